# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who holds a VIP, seen from a director: its own addresses and the ARP answers of the segment.

Used by the lvs.cluster.vip_probe module (rolling_update.yml and failover_drill.yml). The frame building and parsing,
the `ip -o addr show` parsing and the measuring loops are plain functions so that unit tests run them on recorded
frames and on veth pairs in network namespaces of their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import select
import socket
import struct
import time

ETH_P_ARP = 0x0806
ARP_REQUEST = 1
ARP_REPLY = 2
# An ARP frame on Ethernet: 14 bytes of header, 28 of ARP payload.
ARP_FRAME_LEN = 42
_ADDR_RE = re.compile(r'\binet6? ([0-9A-Fa-f:.]+)/')


def is_ipv4(address):
    return ':' not in address


def local_addresses(ip_output):
    """The addresses in the output of `ip -o addr show` (IPv4 and IPv6, without prefix length)."""
    return set(_ADDR_RE.findall(ip_output))


def mac_bytes(text):
    """b'...' (6 bytes) of a MAC address written aa:bb:cc:dd:ee:ff (as /sys/class/net/IF/address has it)."""
    raw = bytes.fromhex(text.strip().replace(':', ''))
    if len(raw) != 6:
        raise ValueError('not an Ethernet MAC address: %r' % text)
    return raw


def arp_request(mac, source, target):
    """A broadcast who-has frame for IPv4 `target`, from `mac` and the IPv4 `source` (0.0.0.0: an RFC 5227 probe)."""
    return (b'\xff' * 6 + mac + struct.pack('!H', ETH_P_ARP)
            + struct.pack('!HHBBH', 1, 0x0800, 6, 4, ARP_REQUEST)
            + mac + socket.inet_aton(source) + b'\x00' * 6 + socket.inet_aton(target))


def parse_arp(frame, own_mac):
    """(sender IPv4, sender MAC) of a frame that claims an address: an ARP reply, or a gratuitous ARP (sender IP ==
    target IP, as keepalived and arping -U send). None for anything else, and for frames this host sent."""
    if len(frame) < ARP_FRAME_LEN or frame[12:14] != struct.pack('!H', ETH_P_ARP):
        return None
    sender_mac = frame[22:28]
    if sender_mac == own_mac:
        return None
    op = struct.unpack('!H', frame[20:22])[0]
    sender_ip, target_ip = frame[28:32], frame[38:42]
    if op != ARP_REPLY and sender_ip != target_ip:
        return None
    return socket.inet_ntoa(sender_ip), ':'.join('%02x' % b for b in bytearray(sender_mac))


class ArpAsker(object):
    """Ask the segment of `interface` who has IPv4 addresses (AF_PACKET socket: needs CAP_NET_RAW)."""

    def __init__(self, interface, source=None, mac=None):
        if mac is None:
            with open('/sys/class/net/%s/address' % interface) as f:
                mac = f.read()
        self.mac = mac_bytes(mac)
        self.source = source if source and is_ipv4(source) else '0.0.0.0'
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.sock.bind((interface, ETH_P_ARP))

    def close(self):
        self.sock.close()

    def ask(self, vips, window):
        """{vip: set of MACs that answered or announced it within `window` seconds} for the IPv4 `vips`."""
        seen = dict((v, set()) for v in vips if is_ipv4(v))
        for vip in seen:
            self.sock.send(arp_request(self.mac, self.source, vip))
        end = time.monotonic() + window
        while seen:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                break
            claim = parse_arp(self.sock.recv(128), self.mac)
            if claim is not None and claim[0] in seen:
                seen[claim[0]].add(claim[1])
        return seen


def holders(vips, local, ask, rounds=3, window=0.3):
    """For each VIP: held here (`local`: this host's addresses), the MACs of other hosts answering for it (IPv4),
    their count, and whether it could be checked on the segment at all (IPv6 VIPs are only seen locally).
    `ask(vips, window)` is ArpAsker.ask, or None when no VIP is IPv4."""
    remote = {}
    if ask is not None:
        for dummy in range(rounds):
            for vip, macs in ask(vips, window).items():
                remote.setdefault(vip, set()).update(macs)
    out = {}
    for vip in vips:
        entry = {'local': vip in local, 'remote': sorted(remote.get(vip, ())), 'checked': is_ipv4(vip)}
        entry['count'] = int(entry['local']) + len(entry['remote'])
        out[vip] = entry
    return out


def holders_ok(table):
    """Exactly one holder for every VIP that can be checked on the segment."""
    return all(v['count'] == 1 for v in table.values() if v['checked'])


def wait_switch(mode, vips, read_local, ask, timeout, clock=time.monotonic, start=None, sleep=time.sleep):
    """Measure a switch: `acquire` until every VIP is local, `release` until every VIP left this host and (IPv4)
    another host answers ARP for it. Returns ({vip: seconds since start}, [vips still missing at the timeout])."""
    start = clock() if start is None else start
    done_at = {}
    todo = set(vips)
    while todo and clock() - start < timeout:
        local = read_local()
        seen_at = round(clock() - start, 3)
        asked = False
        if mode == 'acquire':
            done = set(v for v in todo if v in local)
        else:
            gone = set(v for v in todo if v not in local)
            remote = {}
            if ask is not None and any(is_ipv4(v) for v in gone):
                remote, asked = ask(gone, 0.1), True
            done = set(v for v in gone if not is_ipv4(v) or remote.get(v))
        for vip in done:
            # an address seen (or seen gone) here counts from that reading; an ARP answer from when it came in
            done_at[vip] = round(clock() - start, 3) if asked and is_ipv4(vip) else seen_at
        todo -= done
        if todo and not asked:
            sleep(0.05)
    return done_at, sorted(todo)
