# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Wire-format tests of the IPVS netlink codec against pyroute2's IPVS message classes (no kernel)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import struct

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink as nl
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import (
    F_PERSISTENT, F_SCHED2, normalise_service, plan,
)

ipvs = pytest.importorskip('pyroute2.netlink.generic.ipvs')

FAMILY_ID = 0x23


def pyroute2_message(cmd, attrs, flags=1, seq=1):
    msg = ipvs.ipvsmsg()
    msg['header']['type'] = FAMILY_ID
    msg['header']['flags'] = flags
    msg['header']['sequence_number'] = seq
    msg['cmd'] = cmd
    msg['version'] = 1
    msg['attrs'] = attrs
    msg.encode()
    return bytes(msg.data)


def decoded(data):
    msg = ipvs.ipvsmsg(data)
    msg.decode()
    return msg


def nested_attrs(msg, name):
    return dict(msg.get_attr(name)['attrs'])


def operations(*services):
    ops, dummy = plan({}, [normalise_service('s', s) for s in services])
    return ops


class TestEncodeAgainstPyroute2:
    def test_service_key_bytes_equal(self):
        svc = normalise_service('s', {'address': '203.0.113.1', 'port': 80})
        ours = nl.genl_message(FAMILY_ID, nl.CMD_DEL_SERVICE, 1, 1, nl.nla(nl.CMD_ATTR_SERVICE, nl.service_key_attrs(svc)))
        theirs = pyroute2_message(nl.CMD_DEL_SERVICE, [('IPVS_CMD_ATTR_SERVICE', {'attrs': [
            ('IPVS_SVC_ATTR_AF', socket.AF_INET), ('IPVS_SVC_ATTR_PROTOCOL', 6),
            ('IPVS_SVC_ATTR_ADDR', '203.0.113.1'), ('IPVS_SVC_ATTR_PORT', 80)]})])
        assert ours == theirs

    def test_fwmark_key_bytes_equal(self):
        svc = normalise_service('s', {'fwmark': 42, 'family': 'ipv6'})
        ours = nl.genl_message(FAMILY_ID, nl.CMD_DEL_SERVICE, 1, 1, nl.nla(nl.CMD_ATTR_SERVICE, nl.service_key_attrs(svc)))
        theirs = pyroute2_message(nl.CMD_DEL_SERVICE, [('IPVS_CMD_ATTR_SERVICE', {'attrs': [
            ('IPVS_SVC_ATTR_AF', socket.AF_INET6), ('IPVS_SVC_ATTR_FWMARK', 42)]})])
        assert ours == theirs

    def test_full_service_bytes_equal(self):
        ops = operations({'address': '203.0.113.1', 'port': 443, 'scheduler': 'sh', 'scheduler_flags': ['sh-port'],
                          'persistence_timeout': 600, 'persistence_netmask': '24'})
        cmd, attrs = nl._Encoder().operation(ops[0])
        assert cmd == nl.CMD_NEW_SERVICE
        ours = nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs)
        theirs = pyroute2_message(nl.CMD_NEW_SERVICE, [('IPVS_CMD_ATTR_SERVICE', {'attrs': [
            ('IPVS_SVC_ATTR_AF', socket.AF_INET), ('IPVS_SVC_ATTR_PROTOCOL', 6),
            ('IPVS_SVC_ATTR_ADDR', '203.0.113.1'), ('IPVS_SVC_ATTR_PORT', 443),
            ('IPVS_SVC_ATTR_SCHED_NAME', 'sh'),
            ('IPVS_SVC_ATTR_FLAGS', {'flags': F_PERSISTENT | F_SCHED2, 'mask': 0xFFFFFFFF}),
            ('IPVS_SVC_ATTR_TIMEOUT', 600), ('IPVS_SVC_ATTR_NETMASK', '255.255.255.0')]})])
        assert ours == theirs

    def test_ipv6_netmask_is_prefix_length_in_host_order(self):
        # pyroute2 types the netmask as ip4addr; for IPv6 the kernel reads a u32 prefix length
        ops = operations({'address': '2001:db8::1', 'port': 80, 'persistence_timeout': 60, 'persistence_netmask': '64'})
        cmd, attrs = nl._Encoder().operation(ops[0])
        svc_attrs = nested_attrs(decoded(nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs)), 'IPVS_CMD_ATTR_SERVICE')
        raw = socket.inet_aton(svc_attrs['IPVS_SVC_ATTR_NETMASK'])
        assert struct.unpack('=I', raw)[0] == 64
        assert svc_attrs['IPVS_SVC_ATTR_ADDR'] == '2001:db8::1'
        assert svc_attrs['IPVS_SVC_ATTR_FLAGS']['flags'] == F_PERSISTENT

    def test_dest_add_carries_everything_the_kernel_requires(self):
        ops = operations({'address': '203.0.113.1', 'port': 80, 'real_servers': [
            {'address': '198.51.100.7', 'port': 8080, 'forwarding': 'nat', 'weight': 9, 'u_threshold': 100, 'l_threshold': 5}]})
        cmd, attrs = nl._Encoder().operation(ops[1])
        assert cmd == nl.CMD_NEW_DEST
        msg = decoded(nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs))
        svc_attrs = nested_attrs(msg, 'IPVS_CMD_ATTR_SERVICE')
        assert svc_attrs == {'IPVS_SVC_ATTR_AF': 2, 'IPVS_SVC_ATTR_PROTOCOL': 6, 'IPVS_SVC_ATTR_ADDR': '203.0.113.1',
                             'IPVS_SVC_ATTR_PORT': 80}
        dest = nested_attrs(msg, 'IPVS_CMD_ATTR_DEST')
        assert dest == {'IPVS_DEST_ATTR_ADDR': '198.51.100.7', 'IPVS_DEST_ATTR_PORT': 8080,
                        'IPVS_DEST_ATTR_ADDR_FAMILY': 2, 'IPVS_DEST_ATTR_FWD_METHOD': 0, 'IPVS_DEST_ATTR_WEIGHT': 9,
                        'IPVS_DEST_ATTR_U_THRESH': 100, 'IPVS_DEST_ATTR_L_THRESH': 5}

    def test_tunnel_dest(self):
        ops = operations({'address': '203.0.113.1', 'port': 80, 'real_servers': [
            {'address': '2001:db8::7', 'forwarding': 'tun', 'tun_type': 'gue', 'tun_port': 6080, 'tun_checksum': 'remcsum'}]})
        cmd, attrs = nl._Encoder().operation(ops[1])
        dest = nested_attrs(decoded(nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs)), 'IPVS_CMD_ATTR_DEST')
        assert dest['IPVS_DEST_ATTR_ADDR'] == '2001:db8::7'
        assert dest['IPVS_DEST_ATTR_ADDR_FAMILY'] == socket.AF_INET6
        assert dest['IPVS_DEST_ATTR_FWD_METHOD'] == 2
        assert dest['IPVS_DEST_ATTR_TUN_TYPE'] == 1
        assert dest['IPVS_DEST_ATTR_TUN_FLAGS'] == 2
        # the kernel reads the tunnel port as big-endian (nla_get_be16); pyroute2 types it as a host-order uint16
        assert struct.pack('=H', dest['IPVS_DEST_ATTR_TUN_PORT']) == struct.pack('!H', 6080)

    def test_dest_delete_has_only_the_identity(self):
        ops = operations({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.7'}]})
        op = ('del_dest', ops[0][1], ops[1][2])
        cmd, attrs = nl._Encoder().operation(op)
        assert cmd == nl.CMD_DEL_DEST
        dest = nested_attrs(decoded(nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs)), 'IPVS_CMD_ATTR_DEST')
        assert set(dest) == {'IPVS_DEST_ATTR_ADDR', 'IPVS_DEST_ATTR_PORT', 'IPVS_DEST_ATTR_ADDR_FAMILY'}

    def test_set_commands(self):
        ops = operations({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.7'}]})
        enc = nl._Encoder()
        assert enc.operation(('set_service', ops[0][1], None))[0] == nl.CMD_SET_SERVICE
        assert enc.operation(('set_dest', ops[0][1], ops[1][2]))[0] == nl.CMD_SET_DEST
        with pytest.raises(ValueError):
            enc.operation(('update', ops[0][1], None))


def kernel_service_dump(seq=7):
    """A service as the kernel dumps it (ip_vs_genl_fill_service order), encoded by pyroute2."""
    stats = {'attrs': [('IPVS_STATS_ATTR_CONNS', 11), ('IPVS_STATS_ATTR_INBYTES', 1 << 40)]}
    return pyroute2_message(nl.CMD_NEW_SERVICE, [('IPVS_CMD_ATTR_SERVICE', {'attrs': [
        ('IPVS_SVC_ATTR_AF', socket.AF_INET), ('IPVS_SVC_ATTR_PROTOCOL', 17),
        ('IPVS_SVC_ATTR_ADDR', '203.0.113.53'), ('IPVS_SVC_ATTR_PORT', 53),
        ('IPVS_SVC_ATTR_SCHED_NAME', 'sh'),
        ('IPVS_SVC_ATTR_FLAGS', {'flags': F_PERSISTENT | F_SCHED2 | 0x2, 'mask': 0xFFFFFFFF}),
        ('IPVS_SVC_ATTR_TIMEOUT', 300), ('IPVS_SVC_ATTR_NETMASK', '255.255.255.0'),
        ('IPVS_SVC_ATTR_STATS', stats), ('IPVS_SVC_ATTR_STATS64', stats)]})], flags=2, seq=seq)


def kernel_dest_dump(address, weight, seq=8):
    return pyroute2_message(nl.CMD_NEW_DEST, [('IPVS_CMD_ATTR_DEST', {'attrs': [
        ('IPVS_DEST_ATTR_ADDR', address), ('IPVS_DEST_ATTR_PORT', 53), ('IPVS_DEST_ATTR_FWD_METHOD', 3 | 0x100),
        ('IPVS_DEST_ATTR_WEIGHT', weight), ('IPVS_DEST_ATTR_TUN_TYPE', 0), ('IPVS_DEST_ATTR_TUN_PORT', 0),
        ('IPVS_DEST_ATTR_TUN_FLAGS', 0), ('IPVS_DEST_ATTR_U_THRESH', 10), ('IPVS_DEST_ATTR_L_THRESH', 2),
        ('IPVS_DEST_ATTR_ACTIVE_CONNS', 4), ('IPVS_DEST_ATTR_INACT_CONNS', 5), ('IPVS_DEST_ATTR_PERSIST_CONNS', 6),
        ('IPVS_DEST_ATTR_ADDR_FAMILY', socket.AF_INET6 if ':' in address else socket.AF_INET)]})], flags=2, seq=seq)


class TestDecode:
    def test_service(self):
        data = kernel_service_dump()
        msgs = list(nl.iter_messages(data, len(data)))
        assert [(m[0], m[2]) for m in msgs] == [(FAMILY_ID, 7)]
        span = nl.nested_payload(data, msgs[0][3], msgs[0][4], nl.CMD_ATTR_SERVICE)
        svc = nl.decode_service(data, span[0], span[1], with_stats=True)
        assert svc['key'] == ('udp', socket.AF_INET, '203.0.113.53', 53)
        assert svc['scheduler'] == 'sh'
        assert svc['flags'] == F_PERSISTENT | F_SCHED2           # hashed bit dropped
        assert svc['timeout'] == 300 and svc['netmask'] == '255.255.255.0'
        assert svc['stats']['conns'] == 11 and svc['stats']['inbytes'] == 1 << 40

    def test_several_messages_and_dests(self):
        data = kernel_dest_dump('203.0.113.21', 3) + kernel_dest_dump('2001:db8::22', 0)
        found = []
        for m in nl.iter_messages(data, len(data)):
            span = nl.nested_payload(data, m[3], m[4], nl.CMD_ATTR_DEST)
            found.append(nl.decode_dest(data, span[0], span[1], socket.AF_INET))
        assert [d['key'] for d in found] == [(socket.AF_INET, '203.0.113.21', 53), (socket.AF_INET6, '2001:db8::22', 53)]
        first = found[0]
        assert first['forwarding'] == 'dr'        # conn flags above the forwarding mask are ignored
        assert (first['weight'], first['u_threshold'], first['l_threshold']) == (3, 10, 2)
        assert (first['active_connections'], first['inactive_connections'], first['persistent_connections']) == (4, 5, 6)
        assert found[1]['weight'] == 0

    def test_padded_kernel_address(self):
        # the kernel dumps addresses as a 16-byte union nf_inet_addr even for IPv4
        attrs = (nl.nla_u16(nl.SVC_AF, socket.AF_INET) + nl.nla_u16(nl.SVC_PROTOCOL, 6)
                 + nl.nla(nl.SVC_ADDR, socket.inet_aton('203.0.113.9') + b'\0' * 12) + nl.nla_be16(nl.SVC_PORT, 8080)
                 + nl.nla_str(nl.SVC_SCHED_NAME, 'rr') + nl.nla(nl.SVC_FLAGS, struct.pack('=II', 2, 0xFFFFFFFF))
                 + nl.nla_u32(nl.SVC_TIMEOUT, 0) + nl.nla(nl.SVC_NETMASK, b'\xff' * 4))
        svc = nl.decode_service(attrs, 0, len(attrs))
        assert svc['address'] == '203.0.113.9' and svc['port'] == 8080 and svc['flags'] == 0

    def test_error_message_framing(self):
        err = struct.pack('=IHHII', 36, nl.NLMSG_ERROR, 0, 5, 0) + struct.pack('=i', -17) + struct.pack('=IHHII', 20, 0, 0, 5, 0)
        data = err + kernel_dest_dump('203.0.113.1', 1)
        msgs = list(nl.iter_messages(data, len(data)))
        assert [(m[0], m[2]) for m in msgs] == [(nl.NLMSG_ERROR, 5), (FAMILY_ID, 8)]
        assert struct.unpack_from('=i', data, msgs[0][3] + 16)[0] == -17

    def test_truncated_buffer_stops(self):
        data = kernel_service_dump()
        assert list(nl.iter_messages(data, len(data) - 4)) == []

    def test_netmask_codec(self):
        assert nl.encode_netmask(socket.AF_INET, '255.255.0.0') == b'\xff\xff\x00\x00'
        assert nl.decode_netmask(socket.AF_INET6, nl.encode_netmask(socket.AF_INET6, 48)) == 48

    def test_describe_errno(self):
        assert 'CAP_NET_ADMIN' in nl.describe_errno(1, 'x')
        assert nl.describe_errno(17, 'x') == 'x: File exists (EEXIST)'


def kernel_dest_attrs(address, weight, af=socket.AF_INET, port=80, tun=True):
    """Destination attributes in the kernel's order and sizes (16-byte address, stats at the end)."""
    raw = socket.inet_pton(af, address)
    attrs = (nl.nla(nl.DEST_ADDR, raw + b'\0' * (16 - len(raw))) + nl.nla_be16(nl.DEST_PORT, port)
             + nl.nla_u32(nl.DEST_FWD_METHOD, 2 if tun else 0) + nl.nla_u32(nl.DEST_WEIGHT, weight))
    if tun:
        attrs += nl.nla_u8(nl.DEST_TUN_TYPE, 1) + nl.nla_be16(nl.DEST_TUN_PORT, 6080) + nl.nla_u16(nl.DEST_TUN_FLAGS, 2)
    attrs += (nl.nla_u32(nl.DEST_U_THRESH, 100) + nl.nla_u32(nl.DEST_L_THRESH, 10) + nl.nla_u32(nl.DEST_ACTIVE_CONNS, 7)
              + nl.nla_u32(nl.DEST_INACT_CONNS, 8) + nl.nla_u32(nl.DEST_PERSIST_CONNS, 9) + nl.nla_u16(nl.DEST_ADDR_FAMILY, af)
              + nl.nla(nl.DEST_STATS, nl.nla_u32(1, 5)) + nl.nla(nl.DEST_STATS64, nl.nla(1, struct.pack('=Q', 5))))
    return attrs


def dest_message(address, weight, af=socket.AF_INET, port=80, tun=True, seq=9):
    """One destination message of a kernel dump (nlmsghdr, genlmsghdr, IPVS_CMD_ATTR_DEST)."""
    return nl.genl_message(FAMILY_ID, nl.CMD_NEW_DEST, nl.NLM_F_MULTI, seq,
                           nl.nla(nl.CMD_ATTR_DEST, kernel_dest_attrs(address, weight, af, port, tun)))


def generic_dests(data, svc_af):
    found = {}
    for m in nl.iter_messages(data, len(data)):
        span = nl.nested_payload(data, m[3], m[4], nl.CMD_ATTR_DEST)
        dest = nl.decode_dest(data, span[0], span[1], svc_af)
        found[dest['key']] = dest
    return found


def batch_decode(batch, data, seq=9, svc_af=socket.AF_INET):
    into = {}
    ok = batch.decode(memoryview(bytearray(data)), len(data), seq, svc_af, into)
    return ok, into


class TestDestBatch:
    def learn(self, first):
        return nl._DestBatch(first, 0, len(first))

    def test_same_result_as_generic_decoder(self):
        batch = self.learn(dest_message('203.0.113.21', 3))
        assert batch.usable
        data = b''.join(dest_message(a, w) for a, w in (('203.0.113.21', 3), ('203.0.113.22', 0),
                                                        ('198.51.100.250', 2147483647)))
        ok, found = batch_decode(batch, data)
        assert ok
        assert found == generic_dests(data, socket.AF_INET)
        dest = found[(socket.AF_INET, '198.51.100.250', 80)]
        assert dest['weight'] == 2147483647 and dest['tun_port'] == 6080 and dest['tun_type'] == 'gue'
        assert dest['tun_flags'] == 2 and dest['forwarding'] == 'tun'
        assert (dest['u_threshold'], dest['l_threshold'], dest['active_connections']) == (100, 10, 7)

    def test_other_layout_is_left_to_the_generic_decoder(self):
        batch = self.learn(dest_message('203.0.113.21', 3))
        # same length is not enough: one message without the tunnel attributes, then padded differently
        other = dest_message('203.0.113.22', 3, tun=False)
        assert batch_decode(batch, dest_message('203.0.113.21', 3) + other) == (False, {})
        assert generic_dests(other, socket.AF_INET)[(socket.AF_INET, '203.0.113.22', 80)]['forwarding'] == 'nat'

    def test_other_sequence_number_or_done_is_not_decoded(self):
        batch = self.learn(dest_message('203.0.113.21', 3))
        stale = dest_message('203.0.113.22', 3, seq=8)
        assert batch_decode(batch, dest_message('203.0.113.21', 3) + stale) == (False, {})
        done = struct.pack('=IHHII', 20, nl.NLMSG_DONE, nl.NLM_F_MULTI, 9, 0) + struct.pack('=i', 0)
        assert batch_decode(batch, done) == (False, {})
        assert batch_decode(batch, dest_message('203.0.113.21', 3) + done) == (False, {})
        assert batch_decode(batch, b'') == (False, {})

    def test_same_layout_in_several_buffers(self):
        batch = self.learn(dest_message('203.0.113.21', 3))
        for seq in (9, 10, 11):
            ok, found = batch_decode(batch, dest_message('203.0.113.23', seq, seq=seq), seq=seq)
            assert ok and found[(socket.AF_INET, '203.0.113.23', 80)]['weight'] == seq

    def test_ipv6(self):
        batch = self.learn(dest_message('2001:db8::21', 1, socket.AF_INET6))
        data = dest_message('2001:db8::22', 4, socket.AF_INET6) + dest_message('2001:db8::23', 5, socket.AF_INET6)
        ok, found = batch_decode(batch, data, svc_af=socket.AF_INET6)
        assert ok and found == generic_dests(data, socket.AF_INET6)
        assert (socket.AF_INET6, '2001:db8::22', 80) in found

    def test_ipv4_and_ipv6_addresses_with_the_same_bytes(self):
        # 203.0.113.21 padded to 16 bytes is also the IPv6 address cb00:7115:: - the family tells them apart
        batch = self.learn(dest_message('203.0.113.21', 1))
        data = dest_message('203.0.113.21', 1) + dest_message('cb00:7115::', 2, socket.AF_INET6)
        ok, found = batch_decode(batch, data)
        assert ok and sorted(found) == [(socket.AF_INET, '203.0.113.21', 80), (socket.AF_INET6, 'cb00:7115::', 80)]

    def test_message_that_is_not_a_dest_is_unusable(self):
        data = kernel_service_dump(seq=9)
        assert not nl._DestBatch(data, 0, len(data)).usable

    def test_repeated_or_empty_attribute_is_unusable(self):
        # a layout must account for every attribute: a repeated or an empty one goes to the generic decoder
        attrs = kernel_dest_attrs('203.0.113.21', 3, socket.AF_INET, 80, True)
        for extra in (nl.nla_u32(nl.DEST_WEIGHT, 5), nl.nla(nl.DEST_U_THRESH, b'')):
            data = nl.genl_message(FAMILY_ID, nl.CMD_NEW_DEST, nl.NLM_F_MULTI, 9,
                                   nl.nla(nl.CMD_ATTR_DEST, extra + attrs))
            assert not nl._DestBatch(data, 0, len(data)).usable


def kernel_service_message(address=None, port=80, af=socket.AF_INET, protocol=6, fwmark=0, sched='wlc', pe=None,
                           flags=0x2, timeout=0, netmask=b'\xff' * 4, seq=9, extra=b''):
    """A service message in the kernel's order and sizes (ip_vs_genl_fill_service), stats at the end."""
    attrs = nl.nla_u16(nl.SVC_AF, af)
    if fwmark:
        attrs += nl.nla_u32(nl.SVC_FWMARK, fwmark)
    else:
        raw = socket.inet_pton(af, address)
        attrs += (nl.nla_u16(nl.SVC_PROTOCOL, protocol) + nl.nla(nl.SVC_ADDR, raw + b'\0' * (16 - len(raw)))
                  + nl.nla_be16(nl.SVC_PORT, port))
    attrs += nl.nla_str(nl.SVC_SCHED_NAME, sched)
    if pe:
        attrs += nl.nla_str(nl.SVC_PE_NAME, pe)
    attrs += (extra + nl.nla(nl.SVC_FLAGS, struct.pack('=II', flags, 0xFFFFFFFF)) + nl.nla_u32(nl.SVC_TIMEOUT, timeout)
              + nl.nla(nl.SVC_NETMASK, netmask)
              + nl.nla(nl.SVC_STATS, nl.nla_u32(1, 5)) + nl.nla(nl.SVC_STATS64, nl.nla(1, struct.pack('=Q', 5))))
    return nl.genl_message(FAMILY_ID, nl.CMD_NEW_SERVICE, nl.NLM_F_MULTI, seq, nl.nla(nl.CMD_ATTR_SERVICE, attrs))


def generic_service(data):
    span = nl.nested_payload(data, 0, len(data), nl.CMD_ATTR_SERVICE)
    return nl.decode_service(data, span[0], span[1])


class TestServiceLayout:
    @pytest.mark.parametrize('kwargs', [
        {'address': '203.0.113.1'},
        {'address': '203.0.113.1', 'port': 443, 'sched': 'sh', 'flags': F_PERSISTENT | F_SCHED2 | 0x2, 'timeout': 600,
         'netmask': socket.inet_aton('255.255.255.0')},
        {'address': '2001:db8::1', 'af': socket.AF_INET6, 'protocol': 17, 'sched': 'rr', 'flags': 0x4 | 0x1,
         'timeout': 60, 'netmask': struct.pack('=I', 64)},
        {'fwmark': 42, 'sched': 'mh'},
        {'fwmark': 7, 'af': socket.AF_INET6, 'netmask': struct.pack('=I', 128)},
        {'address': '203.0.113.5', 'protocol': 17, 'port': 5060, 'pe': 'sip', 'flags': 0x3, 'timeout': 300},
        {'address': '203.0.113.6', 'protocol': 132, 'sched': 'twos'},
    ])
    def test_same_result_as_generic_decoder(self, kwargs):
        data = kernel_service_message(**kwargs)
        layout = nl._ServiceLayout(data, 0, len(data))
        assert layout.usable
        assert layout.decode(data, 0, 9) == generic_service(data)
        # the same layout reads another service of the same shape
        if 'fwmark' in kwargs:
            other = dict(kwargs, fwmark=kwargs['fwmark'] + 1)
        else:
            other = dict(kwargs, port=kwargs.get('port', 80) + 1)
        data = kernel_service_message(**other)
        assert layout.decode(data, 0, 9) == generic_service(data)

    def test_other_layout_or_sequence_number_is_not_decoded(self):
        data = kernel_service_message('203.0.113.1')
        layout = nl._ServiceLayout(data, 0, len(data))
        assert layout.decode(kernel_service_message('203.0.113.1', seq=8), 0, 9) is None
        # same message length, another attribute length ('rr' + NUL is 3 bytes, 'wlc' + NUL 4)
        other = kernel_service_message('203.0.113.1', sched='rr')
        assert len(other) == len(data)
        assert layout.decode(other, 0, 9) is None
        # same layout, another scheduler name of the same length
        assert layout.decode(kernel_service_message('203.0.113.1', sched='sed'), 0, 9)['scheduler'] == 'sed'

    def test_unknown_attribute_is_left_to_the_generic_decoder(self):
        data = kernel_service_message('203.0.113.1', extra=nl.nla_u32(99, 1))
        assert not nl._ServiceLayout(data, 0, len(data)).usable
        assert generic_service(data)['scheduler'] == 'wlc'

    def test_short_address_is_left_to_the_generic_decoder(self):
        attrs = (nl.nla_u16(nl.SVC_AF, socket.AF_INET) + nl.nla_u16(nl.SVC_PROTOCOL, 6)
                 + nl.nla(nl.SVC_ADDR, socket.inet_aton('203.0.113.9')) + nl.nla_be16(nl.SVC_PORT, 80)
                 + nl.nla_str(nl.SVC_SCHED_NAME, 'rr') + nl.nla(nl.SVC_FLAGS, struct.pack('=II', 0, 0xFFFFFFFF))
                 + nl.nla_u32(nl.SVC_TIMEOUT, 0) + nl.nla(nl.SVC_NETMASK, b'\xff' * 4))
        data = nl.genl_message(FAMILY_ID, nl.CMD_NEW_SERVICE, nl.NLM_F_MULTI, 9, nl.nla(nl.CMD_ATTR_SERVICE, attrs))
        assert not nl._ServiceLayout(data, 0, len(data)).usable

    def test_dest_message_is_not_a_service_layout(self):
        data = dest_message('203.0.113.21', 1)
        assert not nl._ServiceLayout(data, 0, len(data)).usable


def done_message(seq):
    return struct.pack('=IHHII', 20, nl.NLMSG_DONE, nl.NLM_F_MULTI, seq, 0) + struct.pack('=i', 0)


def error_message(seq, err):
    return struct.pack('=IHHII', 36, nl.NLMSG_ERROR, 0, seq, 0) + struct.pack('=i', -err) + struct.pack('=IHHII', 20, 0, 0, seq, 0)


class TestDumpLoops:
    """dump_dests/dump_services over a socket pair replaying kernel replies, one datagram per kernel skb."""

    def netlink(self, replies):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for datagram in replies:
            theirs.send(datagram)
        return nl.IPVSNetlink(sock=ours, family=FAMILY_ID), theirs

    def service(self, address='203.0.113.1'):
        return normalise_service('s', {'address': address, 'port': 80})

    def test_dests_fast_and_generic_paths_agree(self):
        first = [dest_message('203.0.113.%d' % i, i, seq=1) for i in range(21, 25)]
        second = [dest_message('203.0.113.%d' % i, i, seq=2) for i in range(31, 33)]
        # a message of another layout in the third dump: that buffer goes through the generic decoder
        third = [dest_message('203.0.113.41', 1, seq=3), dest_message('203.0.113.42', 2, seq=3, tun=False)]
        sock, peer = self.netlink([b''.join(first), done_message(1), b''.join(second), done_message(2),
                                   b''.join(third), done_message(3), done_message(4)])
        with sock, peer:
            svc = self.service()
            found = [sock.dump_dests(svc) for dummy in range(4)]
            assert sock.requests == 4
        assert found[0] == generic_dests(b''.join(first), socket.AF_INET)
        assert found[1] == generic_dests(b''.join(second), socket.AF_INET)
        assert found[2] == generic_dests(b''.join(third), socket.AF_INET)
        assert sorted(d['weight'] for d in found[0].values()) == [21, 22, 23, 24]
        assert found[2][(socket.AF_INET, '203.0.113.42', 80)]['forwarding'] == 'nat'
        assert found[3] == {}

    def test_stale_replies_are_skipped(self):
        sock, peer = self.netlink([dest_message('203.0.113.9', 9, seq=7), dest_message('203.0.113.21', 3, seq=1),
                                   done_message(1)])
        with sock, peer:
            assert list(sock.dump_dests(self.service())) == [(socket.AF_INET, '203.0.113.21', 80)]

    def test_dest_dump_error(self):
        sock, peer = self.netlink([error_message(1, 3)])
        with sock, peer:
            with pytest.raises(nl.IPVSKernelError) as exc:
                sock.dump_dests(self.service())
        assert exc.value.errno == 3

    def test_services_fast_and_generic_paths_agree(self):
        messages = [kernel_service_message('203.0.113.%d' % i, seq=1) for i in range(1, 5)]
        messages += [kernel_service_message(fwmark=5, sched='rr', seq=1),
                     kernel_service_message('2001:db8::1', af=socket.AF_INET6, netmask=struct.pack('=I', 128), seq=1),
                     kernel_service_message('203.0.113.9', seq=1, extra=nl.nla_u32(99, 1))]
        sock, peer = self.netlink([b''.join(messages[:3]), b''.join(messages[3:]), done_message(1)])
        with sock, peer:
            table = sock.dump_services()
        assert list(table.values()) == [generic_service(m) for m in messages]
        assert ('fwm', socket.AF_INET, 5) in table


def test_set_service_keeps_persistence_engine():
    svc = normalise_service('s', {'protocol': 'udp', 'address': '203.0.113.1', 'port': 5060, 'scheduler': 'rr'})
    current = {'key': svc['key'], 'af': socket.AF_INET, 'protocol': 'udp', 'address': '203.0.113.1', 'port': 5060,
               'fwmark': None, 'scheduler': 'wlc', 'flags': F_PERSISTENT, 'timeout': 300, 'netmask': '255.255.255.255',
               'pe_name': 'sip', 'dests': {}}
    ops, dummy = plan({svc['key']: current}, [svc])
    assert [op[0] for op in ops] == ['set_service']
    cmd, attrs = nl._Encoder().operation(ops[0])
    svc_attrs = nested_attrs(decoded(nl.genl_message(FAMILY_ID, cmd, 1, 1, attrs)), 'IPVS_CMD_ATTR_SERVICE')
    assert svc_attrs['IPVS_SVC_ATTR_PE_NAME'] == 'sip'
    assert svc_attrs['IPVS_SVC_ATTR_SCHED_NAME'] == 'rr'
    assert svc_attrs['IPVS_SVC_ATTR_TIMEOUT'] == 300
