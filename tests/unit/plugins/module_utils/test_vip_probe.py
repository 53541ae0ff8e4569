# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VIP probe's frames, parsing and loops (plugins/module_utils/_vip_probe.py), on recorded inputs.
The module itself runs on veth pairs in network namespaces in tests/unit/plugins/modules/test_probe_modules.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _vip_probe as vp

MAC_A = vp.mac_bytes('02:00:00:00:00:0a')
MAC_B = vp.mac_bytes('02:00:00:00:00:0b')

# `ip -o addr show` of a director holding two VIPs (iproute2 6.1)
IP_ADDR = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "1: lo    inet6 ::1/128 scope host noprefixroute \\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 203.0.113.11/24 brd 203.0.113.255 scope global eth0\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 203.0.113.100/32 scope global eth0\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet6 2001:db8::100/128 scope global nodad \\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet6 fe80::ff:fe00:a/64 scope link \\       valid_lft forever preferred_lft forever\n"
)


def arp_frame(op, sender_mac, sender_ip, target_ip, target_mac=b'\x00' * 6, dst=b'\xff' * 6):
    return (dst + sender_mac + b'\x08\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, op)
            + sender_mac + socket.inet_aton(sender_ip) + target_mac + socket.inet_aton(target_ip))


def test_local_addresses():
    assert vp.local_addresses(IP_ADDR) == {'127.0.0.1', '::1', '203.0.113.11', '203.0.113.100', '2001:db8::100', 'fe80::ff:fe00:a'}
    assert vp.local_addresses('') == set()


def test_mac_bytes():
    assert vp.mac_bytes('02:00:00:00:00:0a\n') == b'\x02\x00\x00\x00\x00\x0a'
    with pytest.raises(ValueError):
        vp.mac_bytes('02:00:00:00:0a')


def test_arp_request_layout():
    frame = vp.arp_request(MAC_A, '203.0.113.11', '203.0.113.100')
    assert len(frame) == vp.ARP_FRAME_LEN
    assert frame == arp_frame(1, MAC_A, '203.0.113.11', '203.0.113.100')
    probe = vp.arp_request(MAC_A, '0.0.0.0', '203.0.113.100')
    assert probe[28:32] == b'\x00' * 4


def test_parse_arp_reply_and_gratuitous():
    reply = arp_frame(2, MAC_B, '203.0.113.100', '203.0.113.11', MAC_A, dst=MAC_A)
    assert vp.parse_arp(reply, MAC_A) == ('203.0.113.100', '02:00:00:00:00:0b')
    garp = arp_frame(1, MAC_B, '203.0.113.100', '203.0.113.100')
    assert vp.parse_arp(garp, MAC_A) == ('203.0.113.100', '02:00:00:00:00:0b')
    # padded to the Ethernet minimum (60 bytes) as NICs deliver it
    assert vp.parse_arp(reply + b'\x00' * 18, MAC_A) == ('203.0.113.100', '02:00:00:00:00:0b')


def test_parse_arp_ignores_requests_own_frames_and_junk():
    assert vp.parse_arp(arp_frame(1, MAC_B, '203.0.113.12', '203.0.113.100'), MAC_A) is None  # someone else asking
    assert vp.parse_arp(arp_frame(2, MAC_A, '203.0.113.100', '203.0.113.11'), MAC_A) is None  # this host's own answer
    assert vp.parse_arp(arp_frame(2, MAC_B, '203.0.113.100', '203.0.113.11')[:41], MAC_A) is None
    ipv4 = arp_frame(2, MAC_B, '203.0.113.100', '203.0.113.11')
    assert vp.parse_arp(ipv4[:12] + b'\x08\x00' + ipv4[14:], MAC_A) is None  # not ARP


def test_holders_counts_local_and_remote():
    def ask(vips, window):
        return dict((v, {'02:00:00:00:00:0b'} if v == '203.0.113.101' else set()) for v in vips if vp.is_ipv4(v))
    table = vp.holders(['203.0.113.100', '203.0.113.101', '2001:db8::100'], vp.local_addresses(IP_ADDR), ask)
    assert table['203.0.113.100'] == {'local': True, 'remote': [], 'checked': True, 'count': 1}
    assert table['203.0.113.101'] == {'local': False, 'remote': ['02:00:00:00:00:0b'], 'checked': True, 'count': 1}
    assert table['2001:db8::100'] == {'local': True, 'remote': [], 'checked': False, 'count': 1}
    assert vp.holders_ok(table)
    table['203.0.113.101']['count'] = 2
    assert not vp.holders_ok(table)
    table = vp.holders(['2001:db8::1'], set(), None)
    assert table['2001:db8::1']['count'] == 0 and vp.holders_ok(table)  # IPv6 is not checked on the segment


class Clock(object):
    """A clock that advances only when the loop sleeps or asks (the loops read it, they do not wait on it)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_wait_switch_acquire_and_release_timing():
    clock = Clock()
    local = {'203.0.113.11'}

    def read_local():
        if clock.now >= 0.5:
            local.add('203.0.113.100')
        return local
    done, missing = vp.wait_switch('acquire', ['203.0.113.100'], read_local, None, 5, clock=clock, sleep=clock.sleep)
    assert missing == [] and 0.5 <= done['203.0.113.100'] < 0.6

    clock = Clock()

    def read_local2():
        return {'203.0.113.11'} if clock.now >= 0.2 else {'203.0.113.11', '203.0.113.100', '2001:db8::100'}

    def ask(vips, window):
        clock.sleep(window)
        return dict((v, {'02:00:00:00:00:0b'} if clock.now >= 1.0 else set()) for v in vips if vp.is_ipv4(v))
    done, missing = vp.wait_switch('release', ['203.0.113.100', '2001:db8::100'], read_local2, ask, 5, clock=clock,
                                   sleep=clock.sleep)
    assert missing == []
    assert 0.2 <= done['2001:db8::100'] < 0.3  # IPv6: gone from here is enough
    assert 1.0 <= done['203.0.113.100'] < 1.2


def test_wait_switch_times_out_with_the_missing_vips():
    clock = Clock()
    done, missing = vp.wait_switch('acquire', ['203.0.113.100', '203.0.113.101'], lambda: {'203.0.113.101'}, None, 1,
                                   clock=clock, sleep=clock.sleep)
    assert missing == ['203.0.113.100'] and list(done) == ['203.0.113.101'] and 1.0 <= clock.now < 1.1
