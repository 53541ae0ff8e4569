# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/route_check.py: the lab refuses a network that overlaps a route of the host.

The host's route tables are recorded ones (iproute2 6.1, Debian 12) with the host's own network renumbered to
10.0.2.0/24: eth0 10.0.2.15, a default route via 10.0.2.2, IPv6 on fd00::/64. A lab network there is the case to refuse
(issue 13: the lab used to take the network of the machine it ran on); other tables are built to hit one rule each.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import ipaddress
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'lab', 'route_check.py')
_spec = importlib.util.spec_from_file_location('lab_route_check', SCRIPT)
rc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rc)
sys.path.insert(0, os.path.join(ROOT, 'lab'))
import lablib  # noqa: E402  pylint: disable=wrong-import-position
sys.path.pop(0)

# `ip -j -4 route show table all` and `ip -j -6 route show table all` of the host (see above)
HOST_V4 = [
    {"dst": "default", "gateway": "10.0.2.2", "dev": "eth0", "flags": []},
    {"dst": "10.0.2.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link", "prefsrc": "10.0.2.15", "flags": []},
    {"type": "local", "dst": "127.0.0.0/8", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "host",
     "prefsrc": "127.0.0.1", "flags": []},
    {"type": "local", "dst": "127.0.0.1", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "host",
     "prefsrc": "127.0.0.1", "flags": []},
    {"type": "broadcast", "dst": "127.255.255.255", "dev": "lo", "table": "local", "protocol": "kernel", "scope": "link",
     "prefsrc": "127.0.0.1", "flags": []},
    {"type": "local", "dst": "10.0.2.15", "dev": "eth0", "table": "local", "protocol": "kernel", "scope": "host",
     "prefsrc": "10.0.2.15", "flags": []},
    {"type": "broadcast", "dst": "10.0.2.255", "dev": "eth0", "table": "local", "protocol": "kernel", "scope": "link",
     "prefsrc": "10.0.2.15", "flags": []},
]
HOST_V6 = [
    {"dst": "fd00::/64", "dev": "eth0", "protocol": "kernel", "metric": 256, "flags": [], "pref": "medium"},
    {"dst": "fe80::/64", "dev": "eth0", "protocol": "kernel", "metric": 256, "flags": [], "pref": "medium"},
    {"dst": "default", "gateway": "fd00::1", "dev": "eth0", "metric": 1024, "flags": [], "pref": "medium"},
    {"type": "local", "dst": "::1", "dev": "lo", "table": "local", "protocol": "kernel", "metric": 0, "flags": [], "pref": "medium"},
    {"type": "local", "dst": "fd00::2", "dev": "eth0", "table": "local", "protocol": "kernel", "metric": 0, "flags": [], "pref": "medium"},
    {"type": "multicast", "dst": "ff00::/8", "dev": "eth0", "table": "local", "protocol": "kernel", "metric": 256, "flags": [],
     "pref": "medium"},
    {"type": "unreachable", "dst": "default", "dev": "lo", "table": "unspec", "metric": 4294967295, "flags": []},
]
# the same host's /proc/net/route and /proc/net/ipv6_route (little-endian x86_64)
PROC_ROUTE = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""
Z32 = '0' * 32
PROC_IPV6_ROUTE = ''.join('%s %s %s 00 %s %s %s 00000000 %s %8s\n' % fields for fields in [
    ('fd00' + '0' * 28, '40', Z32, Z32, '00000100', '00000001', '00000001', 'eth0'),
    (Z32, '00', Z32, 'fd00' + '0' * 27 + '1', '00000400', '00000002', '00000003', 'eth0'),
    ('fd00' + '0' * 27 + '2', '80', Z32, Z32, '00000000', '00000003', '80200001', 'eth0'),
    (Z32, '00', Z32, Z32, 'ffffffff', '00000001', '00200200', 'lo'),  # the kernel's unreachable default (RTF_REJECT)
])


def net(text):
    return ipaddress.ip_network(text)


def host_routes():
    return rc.parse_ip_json(HOST_V4, 4) + rc.parse_ip_json(HOST_V6, 6)


def found_texts(lab, routes):
    return [route.text for _lab, route in rc.overlaps([net(lab)], routes)]


# ---------------------------------------------------------------- the two cases of issue 13

def test_a_lab_network_on_the_host_network_overlaps_it():
    found = found_texts('10.0.2.0/24', host_routes())
    assert found == ['10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 table main',
                     'local 10.0.2.15 dev eth0 proto kernel scope host src 10.0.2.15 table local']


def test_the_new_lab_network_overlaps_nothing_on_that_host():
    routes = host_routes()
    assert rc.overlaps([net('203.0.113.0/24'), net('198.51.100.0/24'), net('2001:db8::/32')], routes) == []


def test_a_default_route_is_not_an_overlap():
    routes = rc.parse_ip_json([{"dst": "default", "gateway": "10.0.2.2", "dev": "eth0"}], 4)
    assert routes[0].network == net('0.0.0.0/0')
    assert rc.overlaps([net('10.0.2.0/24')], routes) == []
    routes = rc.parse_ip_json([{"dst": "0.0.0.0/0", "gateway": "10.0.2.2", "dev": "eth0"},
                               {"dst": "default", "gateway": "fd00::1", "dev": "eth0"}])
    assert [r.network.version for r in routes] == [4, 6]
    assert rc.overlaps([net('10.0.2.0/24'), net('2001:db8::/32')], routes) == []


# ---------------------------------------------------------------- what overlaps and what does not

@pytest.mark.parametrize('dst, overlap', [
    ('203.0.113.0/24', True),      # the same network
    ('203.0.0.0/16', True),        # wider: a VPN route that covers the lab
    ('128.0.0.0/1', True),         # wider still (half of a split default route): still a place the addresses go
    ('203.0.113.128/25', True),    # narrower
    ('203.0.113.7', True),         # a host route, e.g. one of the host's own addresses
    ('203.0.112.0/24', False),     # the neighbours
    ('203.0.114.0/23', False),
    ('198.51.100.0/24', False),
])
def test_overlap_rules(dst, overlap):
    routes = rc.parse_ip_json([{"dst": dst, "dev": "tun0"}], 4)
    assert bool(rc.overlaps([net('203.0.113.0/24')], routes)) is overlap


@pytest.mark.parametrize('rtype', ['blackhole', 'unreachable', 'prohibit', 'throw', 'broadcast', 'multicast'])
def test_routes_that_send_nothing_or_repeat_an_address_do_not_count(rtype):
    routes = rc.parse_ip_json([{"type": rtype, "dst": "203.0.113.0/24", "table": "main"}], 4)
    assert rc.overlaps([net('203.0.113.0/24')], routes) == []


def test_local_routes_of_the_host_count():
    routes = rc.parse_ip_json([{"type": "local", "dst": "203.0.113.5", "dev": "lo", "table": "local"}], 4)
    assert found_texts('203.0.113.0/24', routes) == ['local 203.0.113.5 dev lo table local']


def test_families_are_compared_with_their_own_kind_only():
    routes = rc.parse_ip_json([{"dst": "2001:db8::/32", "dev": "wg0"}, {"dst": "203.0.113.0/24", "dev": "eth1"}])
    assert found_texts('2001:db8:1::/64', routes) == ['2001:db8::/32 dev wg0 table main']
    assert found_texts('203.0.113.0/24', routes) == ['203.0.113.0/24 dev eth1 table main']
    assert found_texts('198.51.100.0/24', routes) == []


def test_a_route_is_described_as_ip_route_prints_it():
    route = rc.parse_ip_json([{"dst": "203.0.0.0/16", "gateway": "10.8.0.1", "dev": "tun0", "protocol": "static",
                               "metric": 50, "table": "51820"}], 4)[0]
    assert route.text == '203.0.0.0/16 via 10.8.0.1 dev tun0 proto static metric 50 table 51820'
    assert (route.gateway, route.dev, route.table, route.type) == ('10.8.0.1', 'tun0', '51820', 'unicast')


@pytest.mark.parametrize('entries', [{"dst": "x"}, [{"dev": "eth0"}], [{"dst": "300.1.2.0/24"}], ["203.0.113.0/24"]])
def test_unreadable_route_tables_are_errors(entries):
    with pytest.raises(rc.RouteError):
        rc.parse_ip_json(entries)


# ---------------------------------------------------------------- /proc fallback

def test_proc_net_route():
    routes = rc.parse_proc_route(PROC_ROUTE)
    assert [(str(r.network), r.gateway, r.dev) for r in routes] == [('0.0.0.0/0', '10.0.2.2', 'eth0'), ('10.0.2.0/24', None, 'eth0')]
    assert found_texts('10.0.2.0/24', routes) == ['10.0.2.0/24 dev eth0 (/proc/net/route)']
    assert found_texts('203.0.113.0/24', routes) == []


def test_proc_net_route_reject_routes_do_not_count():
    line = 'lo\t0071CBCB\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0\n'  # unreachable 203.203.113.0/24 (RTF_UP|RTF_REJECT)
    routes = rc.parse_proc_route(PROC_ROUTE.splitlines(True)[0] + line)
    assert [(str(r.network), r.type) for r in routes] == [('203.203.113.0/24', 'unreachable')]
    assert rc.overlaps([net('203.203.113.0/24')], routes) == []


def test_proc_net_ipv6_route():
    routes = rc.parse_proc_ipv6_route(PROC_IPV6_ROUTE)
    assert [(str(r.network), r.gateway, r.type) for r in routes] == [
        ('fd00::/64', None, 'unicast'), ('::/0', 'fd00::1', 'unicast'), ('fd00::2/128', None, 'unicast'), ('::/0', None, 'unreachable')]
    assert found_texts('fd00::/48', routes) == ['fd00::/64 dev eth0 (/proc/net/ipv6_route)', 'fd00::2/128 dev eth0 (/proc/net/ipv6_route)']
    assert found_texts('2001:db8::/32', routes) == []


def test_host_routes_fall_back_to_proc_without_ip(tmp_path):
    (tmp_path / 'net').mkdir()
    (tmp_path / 'net' / 'route').write_text(PROC_ROUTE)
    (tmp_path / 'net' / 'ipv6_route').write_text(PROC_IPV6_ROUTE)
    routes = rc.host_routes(ip_command=str(tmp_path / 'no-such-ip'), proc=str(tmp_path))
    assert len(routes) == 6
    assert found_texts('10.0.2.0/24', routes) == ['10.0.2.0/24 dev eth0 (/proc/net/route)']


def test_host_routes_without_ipv6(tmp_path):
    (tmp_path / 'net').mkdir()
    (tmp_path / 'net' / 'route').write_text(PROC_ROUTE)
    assert len(rc.host_routes(ip_command=str(tmp_path / 'no-such-ip'), proc=str(tmp_path))) == 2


def test_host_routes_unreadable_is_an_error(tmp_path):
    with pytest.raises(rc.RouteError, match='cannot read the IPv4 routes'):
        rc.host_routes(ip_command=str(tmp_path / 'no-such-ip'), proc=str(tmp_path))


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='reads the routes of a Linux host')
def test_the_routes_of_this_host_can_be_read():
    routes = rc.host_routes()
    assert routes and all(isinstance(r.network, (ipaddress.IPv4Network, ipaddress.IPv6Network)) for r in routes)


# ---------------------------------------------------------------- the command line (what labctl runs)

class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run(capsys):
    """route_check.py's main() with these arguments (in this process: the command line itself is run once, below)."""
    def _run(*args):
        code = rc.main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return _run


def test_the_script_runs_as_labctl_runs_it(tmp_path):
    path = tmp_path / 'routes.json'
    path.write_text(json.dumps(HOST_V4))
    r = subprocess.run([sys.executable, SCRIPT, '--network', '10.0.2.0/24', '--routes-json', str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and '10.0.2.0/24 dev eth0' in r.stderr


@pytest.fixture
def routes_json(tmp_path):
    path = tmp_path / 'routes.json'
    path.write_text(json.dumps(HOST_V4 + HOST_V6))
    return str(path)


def test_cli_refuses_an_overlap_naming_the_route_and_the_setting(run, routes_json):
    r = run('--network', '10.0.2.0/24', '--setting', 'NET_PREFIX in lab/labctl', '--routes-json', routes_json)
    assert r.returncode == 1 and r.stdout == ''
    assert 'the lab network 10.0.2.0/24 overlaps routes of this host' in r.stderr
    assert '  - 10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 table main  (overlaps the lab network 10.0.2.0/24)' in r.stderr
    assert 'change NET_PREFIX in lab/labctl.' in r.stderr
    assert 'default' not in r.stderr


def test_cli_accepts_a_free_network(run, routes_json):
    r = run('--network', '203.0.113.0/24', '--network', '198.51.100.0/24', '--routes-json', routes_json)
    assert (r.returncode, r.stdout, r.stderr) == (0, '', '')
    r = run('--network', '203.0.113.0/24', '--routes-json', routes_json, '--verbose')
    assert r.returncode == 0 and r.stdout == 'lab network 203.0.113.0/24: none of the 14 routes of this host overlaps\n'


def test_cli_names_every_overlapping_lab_network(run, routes_json):
    r = run('--network', '10.0.2.0/25', '--network', 'fd00::/16', '--routes-json', routes_json)
    assert r.returncode == 1
    assert 'the lab networks 10.0.2.0/25, fd00::/16 overlap routes' in r.stderr
    assert 'fd00::/64 dev eth0 proto kernel metric 256 table main  (overlaps the lab network fd00::/16)' in r.stderr


@pytest.mark.parametrize('args', [
    ['--network', '203.0.113.1/24'],       # host bits: a typo for the network
    ['--network', '203.0.113.0/33'],
    [],                                    # no network at all
    ['--network', '203.0.113.0/24', '--routes-json', '/nonexistent/routes.json'],
])
def test_cli_usage_errors_exit_2(run, args):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr


def test_cli_unreadable_route_file_exits_2(run, tmp_path):
    path = tmp_path / 'routes.json'
    path.write_text('default via 10.0.2.2 dev eth0\n')  # `ip route` without -j
    r = run('--network', '203.0.113.0/24', '--routes-json', str(path))
    assert r.returncode == 2 and 'cannot check the lab networks' in r.stderr


# ---------------------------------------------------------------- labctl wires it in

def test_labctl_check_net_checks_the_lab_network_against_this_host():
    r = subprocess.run([os.path.join(ROOT, 'lab', 'labctl'), 'check-net'], capture_output=True, text=True, check=False)
    lab = ipaddress.ip_network(lablib.NETWORK)
    expected = rc.overlaps([lab], rc.host_routes())
    if expected:
        assert r.returncode == 1 and 'NET_PREFIX in lab/lablib.py' in r.stderr and expected[0][1].text in r.stderr
    else:
        assert r.returncode == 0, r.stderr
        assert r.stdout == 'lab network %s: none of the %d routes of this host overlaps\n' % (lab, len(rc.host_routes()))
