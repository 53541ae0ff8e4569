# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the pure IPVS logic: validation, normalisation, plan, rendering (no kernel)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import socket

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import (
    F_HASHED, F_ONEPACKET, F_PERSISTENT, F_SCHED1, F_SCHED2, IPVSError, check_options,
    normalise_netmask, normalise_service, normalise_services, parse_address, plan, render, render_operation,
    service_to_result, SERVICE_SPEC,
)

AF4 = socket.AF_INET
AF6 = socket.AF_INET6


def svc(**kwargs):
    return normalise_service('s', kwargs)


def kernel_service(address='203.0.113.100', port=80, protocol='tcp', fwmark=None, af=AF4, scheduler='wlc',
                   flags=0, timeout=0, netmask=None, dests=None):
    """A service as _ipvs_netlink decodes it from a kernel dump."""
    if fwmark:
        key = ('fwm', af, fwmark)
        address, port, protocol = None, None, None
    else:
        key = (protocol, af, address, port)
    result = {'key': key, 'af': af, 'protocol': protocol, 'address': address, 'port': port, 'fwmark': fwmark,
              'scheduler': scheduler, 'flags': flags, 'timeout': timeout,
              'netmask': netmask if netmask is not None else ('255.255.255.255' if af == AF4 else 128),
              'pe_name': None}
    if dests is not None:
        result['dests'] = dict((d['key'], d) for d in dests)
    return result


def kernel_dest(address, port=80, weight=1, forwarding='dr', af=AF4, u=0, l=0, active=0):
    return {'key': (af, address, port), 'af': af, 'address': address, 'port': port, 'forwarding': forwarding,
            'weight': weight, 'u_threshold': u, 'l_threshold': l, 'tun_type': 'ipip', 'tun_port': 0, 'tun_flags': 0,
            'active_connections': active, 'inactive_connections': 0, 'persistent_connections': 0}


def table(*services):
    return dict((s['key'], s) for s in services)


# ---------------------------------------------------------------- validation

class TestCheckOptions:
    def test_defaults_and_types(self):
        opts = check_options('x', {'address': '203.0.113.1', 'port': '80', 'one_packet': 'yes'}, SERVICE_SPEC)
        assert opts['port'] == 80
        assert opts['one_packet'] is True
        assert opts['protocol'] == 'tcp'
        assert opts['state'] == 'present'
        assert opts['purge_real_servers'] is False
        assert opts['scheduler'] is None

    @pytest.mark.parametrize('params, message', [
        ({'adress': '203.0.113.1'}, 'x: unsupported option adress'),
        ({'port': 'eighty'}, "x.port: expected an integer, got 'eighty'"),
        ({'port': True}, 'x.port: expected an integer, got True'),
        ({'protocol': 'icmp'}, "x.protocol: 'icmp' is not one of tcp, udp, sctp"),
        ({'scheduler': 'fifo'}, "x.scheduler: 'fifo' is not one of rr,"),
        ({'scheduler_flags': ['sh-port', 'bogus']}, "x.scheduler_flags[1]: 'bogus' is not one of"),
        ({'drain': 'maybe'}, "x.drain: expected a boolean, got 'maybe'"),
        ({'real_servers': ['203.0.113.21']}, "x.real_servers[0]: expected a dictionary, got '203.0.113.21'"),
        ({'real_servers': {'address': '203.0.113.21'}}, 'x.real_servers: expected a list'),
        ({'address': ['203.0.113.1']}, 'x.address: expected a string'),
    ])
    def test_errors(self, params, message):
        with pytest.raises(IPVSError) as exc:
            check_options('x', params, SERVICE_SPEC)
        assert str(exc.value).startswith(message)

    def test_comma_separated_list(self):
        opts = check_options('x', {'scheduler_flags': 'sh-port, sh-fallback'}, SERVICE_SPEC)
        assert opts['scheduler_flags'] == ['sh-port', 'sh-fallback']

    def test_not_a_dict(self):
        with pytest.raises(IPVSError, match='expected a dictionary'):
            check_options('x', ['a'], SERVICE_SPEC)


# ---------------------------------------------------------------- normalisation

class TestNormalise:
    def test_addresses(self):
        assert parse_address('a', '203.0.113.1') == (AF4, '203.0.113.1')
        assert parse_address('a', '2001:DB8:0:0::1') == (AF6, '2001:db8::1')
        assert parse_address('a', '[2001:db8::1]') == (AF6, '2001:db8::1')
        with pytest.raises(IPVSError, match='not an IPv4 or IPv6 address'):
            parse_address('a', 'www.example.com')
        with pytest.raises(IPVSError, match='not an IPv4 or IPv6 address'):
            parse_address('a', '203.0.113.256')

    @pytest.mark.parametrize('af, value, expected', [
        (AF4, '255.255.255.0', '255.255.255.0'),
        (AF4, '24', '255.255.255.0'),
        (AF4, '/16', '255.255.0.0'),
        (AF4, 32, '255.255.255.255'),
        (AF6, '64', 64),
        (AF6, 128, 128),
    ])
    def test_netmask(self, af, value, expected):
        assert normalise_netmask('m', af, value) == expected

    @pytest.mark.parametrize('af, value, message', [
        (AF4, '255.0.255.0', 'not a contiguous netmask'),
        (AF4, '0.0.0.0', 'not a contiguous netmask'),
        (AF4, '33', 'out of range 1..32'),
        (AF4, 'abc', 'neither a netmask nor a prefix length'),
        (AF6, 'ffff::', 'must be a prefix length'),
        (AF6, '129', 'out of range 1..128'),
    ])
    def test_netmask_errors(self, af, value, message):
        with pytest.raises(IPVSError, match=message):
            normalise_netmask('m', af, value)

    def test_service_tcp(self):
        s = svc(address='203.0.113.100', port=80, scheduler='wrr',
                real_servers=[{'address': '203.0.113.21', 'weight': 3}, {'address': '203.0.113.22'}])
        assert s['key'] == ('tcp', AF4, '203.0.113.100', 80)
        assert s['scheduler'] == 'wrr'
        rs = s['real_servers']
        assert [d['key'] for d in rs] == [(AF4, '203.0.113.21', 80), (AF4, '203.0.113.22', 80)]
        assert rs[0]['weight'] == 3
        assert rs[1]['weight'] is None
        assert rs[1]['forwarding'] is None

    def test_service_fwmark(self):
        s = svc(fwmark=7, family='ipv6', real_servers=[{'address': '2001:db8::21'}])
        assert s['key'] == ('fwm', AF6, 7)
        assert s['protocol'] is None
        assert s['real_servers'][0]['port'] == 0

    @pytest.mark.parametrize('params, message', [
        ({'address': '203.0.113.1'}, 'needs address and port'),
        ({'port': 80}, 'needs address and port'),
        ({'fwmark': 1, 'address': '203.0.113.1'}, 'either fwmark or address'),
        ({'fwmark': 0}, 's.fwmark: 0 is out of range'),
        ({'address': '203.0.113.1', 'port': 70000}, 's.port: 70000 is out of range'),
        ({'address': '203.0.113.1', 'port': 80, 'family': 'ipv6'}, 'family: ipv6 does not match address'),
        ({'address': '203.0.113.1', 'port': 80, 'scheduler': 'rr', 'scheduler_flags': ['sh-port']},
         'sh-port needs scheduler sh'),
        ({'address': '203.0.113.1', 'port': 80, 'one_packet': True}, 'one-packet scheduling applies to UDP'),
        ({'address': '203.0.113.1', 'port': 80, 'persistence_timeout': 0, 'persistence_netmask': '24'},
         'needs persistence'),
        ({'address': '203.0.113.1', 'port': 80, 'state': 'absent', 'drain': True}, 'cannot be combined with state: absent'),
        ({'address': '203.0.113.1', 'port': 80, 'state': 'absent', 'real_servers': []}, 'cannot be given with state: absent'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'port': 8080, 'forwarding': 'dr'}]},
         'must equal the virtual port 80'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '2001:db8::2'}]}, 'needs forwarding: tun'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2'}, {'address': '203.0.113.2', 'port': 80}]},
         'real_servers[1]: real server 203.0.113.2:80 is listed twice (also at s.real_servers[0])'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'u_threshold': 10, 'l_threshold': 20}]},
         'l_threshold (20) must not exceed u_threshold (10)'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'tun_type': 'gue'}]},
         'tun_type only apply with forwarding: tun'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'forwarding': 'tun', 'tun_type': 'gue'}]},
         'gue needs tun_port'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'forwarding': 'tun', 'tun_port': 5}]},
         'tun_port only applies with tun_type: gue'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [
            {'address': '203.0.113.2', 'forwarding': 'tun', 'tun_checksum': 'csum'}]},
         'tun_checksum only applies with tun_type: gue or gre'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'weight': -1}]}, 'weight: -1 is out of range'),
        ({'address': '203.0.113.1', 'port': 80, 'real_servers': [{'port': 80}]}, 'missing required option address'),
    ])
    def test_service_errors(self, params, message):
        with pytest.raises(IPVSError) as exc:
            svc(**params)
        assert message in str(exc.value)

    def test_nat_port_and_mixed_family_tun(self):
        s = svc(address='203.0.113.1', port=80, real_servers=[
            {'address': '198.51.100.2', 'port': 8080, 'forwarding': 'nat'},
            {'address': '2001:db8::2', 'forwarding': 'tun'}])
        assert s['real_servers'][0]['port'] == 8080
        assert s['real_servers'][1]['key'] == (AF6, '2001:db8::2', 80)

    def test_duplicates_in_services(self):
        with pytest.raises(IPVSError, match=r'services\[1\]: service -t 203.0.113.1:80 is listed twice'):
            normalise_services([{'address': '203.0.113.1', 'port': 80}, {'address': '203.0.113.1', 'port': '80'}])
        # same address and port with another protocol is another service
        assert len(normalise_services([{'address': '203.0.113.1', 'port': 80},
                                       {'address': '203.0.113.1', 'port': 80, 'protocol': 'udp'}])) == 2


class TestPlainRealServerFastPath:
    """_plain_real_server (the bulk fast path) must accept only what normalise_real_server accepts, with the same result."""

    ADDRESSES = ['203.0.113.2', '198.51.100.7', '2001:db8::2', ' 203.0.113.2', '[2001:db8::2]', 'www.example.com', 5, None,
                 ['203.0.113.2'], True, '203.0.113.300']
    PORTS = [80, 8080, 0, 65535, 65536, -1, '80', True, 80.0, None]
    WEIGHTS = [0, 1, 3, 2147483647, 2147483648, -1, '3', True, 2.0, None]
    FORWARDING = ['dr', 'nat', 'tun', 'DR', 3, None, '']
    STATES = ['present', 'absent', 'gone', True, None]
    EXTRA = [{}, {'u_threshold': 5}, {'l_threshold': 0}, {'tun_type': 'ipip'}, {'bogus': 1}]
    SERVICES = [{'address': '203.0.113.1', 'port': 80}, {'fwmark': 3}, {'fwmark': 4, 'family': 'ipv6'},
                {'address': '2001:db8::1', 'port': 443}, {'address': '203.0.113.1', 'port': 0, 'persistence_timeout': 60}]

    def items(self, count, seed):
        rng = random.Random(seed)
        absent = object()
        for dummy in range(count):
            item = {}
            for name, values in (('address', self.ADDRESSES), ('port', self.PORTS), ('weight', self.WEIGHTS),
                                 ('forwarding', self.FORWARDING), ('state', self.STATES)):
                value = rng.choice(values + [absent, absent])
                if value is not absent:
                    item[name] = value
            item.update(rng.choice(self.EXTRA + [{}] * 5))
            yield item

    def test_same_result_or_slow_path(self):
        for address in ('203.0.113.2', '198.51.100.7', '2001:db8::2'):
            parse_address('x', address)     # the fast path only knows addresses parsed before
        accepted = 0
        for spec in self.SERVICES:
            service = svc(**spec)
            default_port = 0 if service['fwmark'] else service['port']
            for item in self.items(3000, seed=len(spec)):
                fast = _ipvs._plain_real_server(item, service['af'], default_port, not service['fwmark'])
                try:
                    slow = _ipvs.normalise_real_server('s.real_servers[0]', item, service)
                except IPVSError:
                    slow = None
                if fast is None:
                    continue
                accepted += 1
                assert slow is not None, item
                assert fast == slow, item
                assert [type(fast[k]) for k in sorted(fast)] == [type(slow[k]) for k in sorted(slow)], item
        assert accepted > 100       # the fast path is really taken for plain items

    def test_bulk_result_equals_item_by_item(self):
        entries = [{'address': '203.0.113.%d' % (10 + i % 3), 'port': 8000 + i, 'real_servers': [
            {'address': '198.51.100.%d' % (j + 1), 'weight': (i + j) % 4, 'forwarding': ('dr', 'nat', None)[j % 3]}
            for j in range(6)] + [{'address': '2001:db8::9', 'forwarding': 'tun'}]} for i in range(20)]
        for entry, service in zip(entries, normalise_services(entries)):
            assert service['real_servers'] == [
                _ipvs.normalise_real_server('x', item, service) for item in entry['real_servers']]

    @pytest.mark.parametrize('item, message', [
        ({'address': '198.51.100.7', 'weight': -1}, 'services[1].real_servers[2].weight: -1 is out of range 0..2147483647'),
        ({'address': '198.51.100.7', 'weight': 'heavy'}, "services[1].real_servers[2].weight: expected an integer, got 'heavy'"),
        ({'address': '198.51.100.7', 'weight': True}, 'services[1].real_servers[2].weight: expected an integer, got True'),
        ({'address': '198.51.100.7', 'port': 8080, 'forwarding': 'dr'},
         'services[1].real_servers[2].port: with forwarding dr the real-server port must equal the virtual port 81'),
        ({'address': '198.51.100.7', 'port': 70000}, 'services[1].real_servers[2].port: 70000 is out of range 0..65535'),
        ({'address': '198.51.100.7', 'forwarding': 'fast'},
         "services[1].real_servers[2].forwarding: 'fast' is not one of dr, nat, tun"),
        ({'address': '198.51.100.7', 'state': 'gone'}, "services[1].real_servers[2].state: 'gone' is not one of present, absent"),
        ({'address': '198.51.100.7', 'wieght': 1}, 'services[1].real_servers[2]: unsupported option wieght'),
        ({'address': '2001:db8::7'}, 'services[1].real_servers[2].address: ipv6 real server 2001:db8::7 in an ipv4 service'),
        ({'address': '198.51.100.1'},
         'services[1].real_servers[2]: real server 198.51.100.1:81 is listed twice (also at services[1].real_servers[0])'),
        ('198.51.100.7', "services[1].real_servers[2]: expected a dictionary, got '198.51.100.7'"),
    ])
    def test_errors_name_the_item_and_field(self, item, message):
        # services[0] has the address parsed (slow path) before services[1] meets it again (fast path)
        entries = [{'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '198.51.100.7'}]},
                   {'address': '203.0.113.1', 'port': 81, 'real_servers': [
                       {'address': '198.51.100.1'}, {'address': '198.51.100.2', 'weight': 2}, item]}]
        with pytest.raises(IPVSError) as exc:
            normalise_services(entries)
        assert str(exc.value).startswith(message)


# ---------------------------------------------------------------- plan

def kinds(ops):
    return [render_operation(op) for op in ops]


class TestPlan:
    def test_add_from_empty(self):
        real_servers = [{'address': '203.0.113.21', 'weight': 3}, {'address': '203.0.113.22', 'forwarding': 'nat'}]
        desired = [svc(address='203.0.113.100', port=80, real_servers=real_servers)]
        ops, after = plan({}, desired)
        assert kinds(ops) == ['-A -t 203.0.113.100:80 -s wlc',
                              '-a -t 203.0.113.100:80 -r 203.0.113.21:80 -g -w 3',
                              '-a -t 203.0.113.100:80 -r 203.0.113.22:80 -m -w 1']
        add = ops[0][1]
        assert add['flags'] == 0 and add['timeout'] == 0 and add['netmask'] == '255.255.255.255'
        assert render(after) == ''.join(line + '\n' for line in kinds(ops))

    def test_noop(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21', weight=3), kernel_dest('203.0.113.22')]))
        desired = [svc(address='203.0.113.100', port=80, scheduler='wlc',
                       real_servers=[{'address': '203.0.113.21', 'weight': 3}, {'address': '203.0.113.22'}],
                       purge_real_servers=True)]
        ops, after = plan(cur, desired)
        assert ops == []
        assert render(after) == render(cur)

    def test_unset_options_keep_kernel_values(self):
        cur = table(kernel_service(scheduler='sh', flags=F_PERSISTENT | F_SCHED2, timeout=600, netmask='255.255.255.0',
                                   dests=[kernel_dest('203.0.113.21', weight=5, forwarding='tun', u=100, l=50)]))
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=[{'address': '203.0.113.21'}])])
        assert ops == []

    def test_change_one_weight_is_one_operation(self):
        dests = [kernel_dest('203.0.113.%d' % i) for i in range(20, 30)]
        cur = table(kernel_service(dests=dests))
        wanted = [{'address': '203.0.113.%d' % i, 'weight': 1} for i in range(20, 30)]
        wanted[4]['weight'] = 7
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=wanted, purge_real_servers=True)])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.24:80 -g -w 7']

    def test_service_change(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21')]))
        ops, after = plan(cur, [svc(address='203.0.113.100', port=80, scheduler='rr', persistence_timeout=300)])
        assert kinds(ops) == ['-E -t 203.0.113.100:80 -s rr -p 300']
        assert after[('tcp', AF4, '203.0.113.100', 80)]['dests'] == cur[('tcp', AF4, '203.0.113.100', 80)]['dests']

    def test_persistence_off_and_netmask(self):
        cur = table(kernel_service(flags=F_PERSISTENT, timeout=300, netmask='255.255.255.0'))
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, persistence_timeout=0)])
        assert kinds(ops) == ['-E -t 203.0.113.100:80 -s wlc']
        assert ops[0][1]['flags'] & F_PERSISTENT == 0
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, persistence_netmask='16')])
        assert kinds(ops) == ['-E -t 203.0.113.100:80 -s wlc -p 300 -M 255.255.0.0']

    def test_non_persistent_timeout_ignored(self):
        # the kernel keeps a timeout/netmask for non-persistent services; they must not cause changes
        cur = table(kernel_service(flags=0, timeout=77, netmask='255.0.0.0'))
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, persistence_timeout=0)])
        assert ops == []

    def test_hashed_and_flags(self):
        cur = table(kernel_service(protocol='udp', port=53, scheduler='sh', flags=F_SCHED1 | F_ONEPACKET))
        ops, dummy = plan(cur, [svc(protocol='udp', address='203.0.113.100', port=53, scheduler_flags=['sh-fallback'],
                                    one_packet=True)])
        assert ops == []
        ops, dummy = plan(cur, [svc(protocol='udp', address='203.0.113.100', port=53, scheduler_flags=[],
                                    one_packet=False)])
        assert kinds(ops) == ['-E -u 203.0.113.100:53 -s sh']
        assert ops[0][1]['flags'] & (F_HASHED | F_ONEPACKET | F_SCHED1) == 0

    def test_purge_and_drain(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21'), kernel_dest('203.0.113.22', weight=4),
                                          kernel_dest('203.0.113.23', weight=0)]))
        base = dict(address='203.0.113.100', port=80, real_servers=[{'address': '203.0.113.21'}])
        ops, after = plan(cur, [svc(purge_real_servers=True, **base)])
        assert kinds(ops) == ['-d -t 203.0.113.100:80 -r 203.0.113.22:80', '-d -t 203.0.113.100:80 -r 203.0.113.23:80']
        assert list(after[('tcp', AF4, '203.0.113.100', 80)]['dests']) == [(AF4, '203.0.113.21', 80)]
        # drain: weight 0 instead of delete; already drained ones need nothing
        ops, after = plan(cur, [svc(purge_real_servers=True, drain=True, **base)])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.22:80 -g -w 0']
        # without purge, unlisted ones stay
        ops, dummy = plan(cur, [svc(**base)])
        assert ops == []

    def test_purge_without_real_servers_removes_all(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21'), kernel_dest('203.0.113.22')]))
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, purge_real_servers=True)])
        assert len(ops) == 2 and all(op[0] == 'del_dest' for op in ops)

    def test_real_server_absent(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21'), kernel_dest('203.0.113.22')]))
        rs = [{'address': '203.0.113.22', 'state': 'absent'}, {'address': '203.0.113.99', 'state': 'absent'}]
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=rs)])
        assert kinds(ops) == ['-d -t 203.0.113.100:80 -r 203.0.113.22:80']
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=rs, drain=True)])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.22:80 -g -w 0']

    def test_forwarding_change_and_thresholds(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21', forwarding='dr')]))
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=[
            {'address': '203.0.113.21', 'forwarding': 'nat', 'u_threshold': 100, 'l_threshold': 10}])])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.21:80 -m -w 1 -x 100 -y 10']

    def test_tunnel_settings(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21', forwarding='tun')]))
        rs = [{'address': '203.0.113.21', 'forwarding': 'tun', 'tun_type': 'gue', 'tun_port': 6080, 'tun_checksum': 'remcsum'}]
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=rs)])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.21:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum']
        dest = ops[0][2]
        assert (dest['tun_type'], dest['tun_port'], dest['tun_flags']) == ('gue', 6080, 2)
        # as ipvsadm-save shows them: ipip without checksum option, gre/gue always with one
        ops, dummy = plan(cur, [svc(address='203.0.113.100', port=80, real_servers=[
            {'address': '203.0.113.21', 'forwarding': 'tun', 'tun_type': 'gre'}, {'address': '203.0.113.22', 'forwarding': 'tun'}])])
        assert kinds(ops) == ['-e -t 203.0.113.100:80 -r 203.0.113.21:80 -i -w 1 --tun-type gre --tun-nocsum',
                              '-a -t 203.0.113.100:80 -r 203.0.113.22:80 -i -w 1 --tun-type ipip']

    def test_absent_service(self):
        cur = table(kernel_service(dests=[kernel_dest('203.0.113.21')]))
        ops, after = plan(cur, [svc(address='203.0.113.100', port=80, state='absent')])
        assert kinds(ops) == ['-D -t 203.0.113.100:80']
        assert render(after) == ''
        ops, dummy = plan({}, [svc(address='203.0.113.100', port=80, state='absent')])
        assert ops == []

    def test_purge_services_first_in_order(self):
        keep = kernel_service(port=80, dests={})
        gone1 = kernel_service(port=81, dests={})
        gone2 = kernel_service(fwmark=3, dests={})
        cur = table(gone2, keep, gone1)
        ops, after = plan(cur, [svc(address='203.0.113.100', port=80), svc(address='203.0.113.100', port=82)],
                          purge_services=True)
        assert kinds(ops) == ['-D -t 203.0.113.100:81', '-D -f 3', '-A -t 203.0.113.100:82 -s wlc']
        assert render(after) == '-A -t 203.0.113.100:80 -s wlc\n-A -t 203.0.113.100:82 -s wlc\n'

    def test_ipv6_and_fwmark_rendering(self):
        desired = [svc(address='2001:db8::100', port=443, persistence_timeout=60, persistence_netmask='64',
                       real_servers=[{'address': '2001:db8::21', 'weight': 2}]),
                   svc(fwmark=5, family='ipv6', scheduler='mh', scheduler_flags=['mh-port', 'mh-fallback'],
                       real_servers=[{'address': '2001:db8::22'}]),
                   svc(fwmark=6, protocol='udp', one_packet=True),
                   svc(protocol='sctp', address='203.0.113.1', port=9)]
        ops, after = plan({}, desired)
        assert render(after) == (
            '-A --sctp-service 203.0.113.1:9 -s wlc\n'
            '-A -t [2001:db8::100]:443 -s wlc -p 60 -M 64\n'
            '-a -t [2001:db8::100]:443 -r [2001:db8::21]:443 -g -w 2\n'
            '-A -f 6 -s wlc -o\n'
            '-A -f 5 -6 -s mh -b mh-fallback,mh-port\n'
            '-a -f 5 -6 -r [2001:db8::22]:0 -g -w 1\n')
        add6 = ops[0][1]
        assert add6['netmask'] == 64 and add6['flags'] == F_PERSISTENT and add6['timeout'] == 60

    def test_new_ipv6_service_default_netmask(self):
        ops, dummy = plan({}, [svc(address='2001:db8::1', port=80)])
        assert ops[0][1]['netmask'] == 128

    def test_existing_service_without_dump_keeps_unknown_dests(self):
        # a service whose real servers were not read (state present, no real_servers) keeps them
        cur = table(kernel_service())
        ops, after = plan(cur, [svc(address='203.0.113.100', port=80)])
        assert ops == [] and after[('tcp', AF4, '203.0.113.100', 80)]['dests'] == {}


class TestResults:
    def test_service_to_result(self):
        cur = kernel_service(scheduler='sh', flags=F_PERSISTENT | F_SCHED2, timeout=600,
                             dests=[kernel_dest('203.0.113.21', weight=5, active=3)])
        res = service_to_result(cur)
        assert res['scheduler_flags'] == ['sh-port']
        assert res['persistent'] is True and res['persistence_timeout'] == 600
        assert res['spec'] == '-t 203.0.113.100:80'
        assert res['real_servers'][0]['active_connections'] == 3
        assert res['real_servers'][0]['forwarding'] == 'dr'
        assert 'tun_type' not in res['real_servers'][0]
