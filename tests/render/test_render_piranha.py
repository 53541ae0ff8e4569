# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render checks of lvs.cluster.director_piranha, through the real cluster_model plugin and the real role.

The role runs in config-only mode on the controller (piranha/render.yml, connection local) and writes each director's
lvs.cf under a temporary directory:

1. the seed topology renders the seed chapter's lvs.cf, key by key (serial_no excepted), on both directors;
2. the lab inventory with lab_backend=piranha renders the seed's keys, with the values its own settings imply;
3. a matrix of model variants (NAT + sync + timeouts + persistence + sorry server, tunnel + fwmark + misc checks, a single
   director) renders what each variant means; every file passes the strict validator and piranha's own parser
   (tests/daemons/piranha, when its source tarball is present); directors of one cluster get byte-identical files;
   a second run changes nothing; a check-mode run on a fresh host writes nothing;
4. serial_no is the same when nothing changes and changes when the content changes;
5. clusters that piranha cannot run, and piranha on a system without a piranha package, stop with a clear message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import sys

import pytest
import yaml

from lvs_helpers import REPO, IN_CI, playbook

sys.path.insert(0, os.path.join(REPO, 'plugins', 'module_utils'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'daemons', 'piranha'))
import _lvscf  # noqa: E402  pylint: disable=wrong-import-position
import build as piranha_build  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.join(REPO, 'tests', 'render', 'piranha')
SEED = os.path.join(HERE, 'inventories', 'seed', 'hosts.yml')
MATRIX = os.path.join(HERE, 'inventories', 'matrix', 'hosts.yml')
NEGATIVE = os.path.join(HERE, 'inventories', 'negative', 'hosts.yml')
PLAY = os.path.join(HERE, 'render.yml')
HOSTS = ['DR1', 'DR2', 'nat-a', 'nat-b', 'tun-a', 'tun-b', 'solo']
SAME = [('DR1', 'DR2'), ('nat-a', 'nat-b'), ('tun-a', 'tun-b')]

NAT = {
    'global.network': 'nat', 'global.nat_router': '198.51.100.1 eth1:0', 'global.nat_nmask': '255.255.255.0',
    'global.syncdaemon': '1', 'global.syncd_iface': 'eth0', 'global.syncd_id': '7', 'global.tcp_timeout': '900',
    'global.tcpfin_timeout': '120', 'global.udp_timeout': '300', 'global.monitor_links': '1', 'global.debug_level': 'LOW',
    'global.deadtime': '8', 'virtual': ('web', 'tls', 'api'),
    'virtual[web].address': '203.0.113.130 eth0:0', 'virtual[tls].address': '203.0.113.130 eth0:0',
    'virtual[api].address': '203.0.113.131 eth0:1', 'virtual[web].persistent': '300', 'virtual[web].pmask': '255.255.255.0',
    'virtual[web].send': r'GET /health HTTP/1.0\r\nHost: www.example.com\r\n\r\n',
    'virtual[web].expect': '^HTTP/1.[01] 204', 'virtual[web].use_regex': '1', 'virtual[web].scheduler': 'wlc',
    'virtual[web].timeout': '4', 'virtual[web].reentry': '10', 'virtual[web].sorry_server': '198.51.100.50',
    'virtual[web].server[nat-rs1].port': '8080', 'virtual[web].server[nat-rs1].weight': '3',
    'virtual[web].server[nat-rs2].weight': '2', 'virtual[api].server[nat-rs1].weight': '0',
    'virtual[api].send': r'PING\r\n', 'virtual[api].expect': 'PONG', 'virtual[tls].scheduler': 'lc',
    # a tcp check has no send/expect and equal ports need no server port
    'virtual[tls].send': None, 'virtual[tls].server[nat-rs1].port': None,
}
TUN = {
    'global.network': 'tunnel', 'global.primary': '203.0.113.42', 'global.backup': '203.0.113.41',
    'virtual[shop].address': '203.0.113.100 ens3:0', 'virtual[shop].vip_nmask': '255.255.255.0',
    'virtual[shop].fwmark': '80', 'virtual[shop].port': '443', 'virtual[shop].persistent': '1800',
    'virtual[shop].send_program': '/usr/local/bin/check_shop %h', 'virtual[shop].expect': 'OK',
    'virtual[shop].scheduler': 'sh', 'virtual[dns].protocol': 'udp', 'virtual[dns].address': '203.0.113.101 ens3:1',
    'virtual[dns].send_program': '/usr/local/bin/check_dns %h example.com',
    'virtual[shop].server[shop1.example.net].address': '203.0.113.21',
}
SOLO = {'global.backup_active': '0', 'global.heartbeat': '0', 'virtual[mail].reentry': '10', 'virtual[mail].timeout': '5',
        'virtual[mail].scheduler': 'wlc', 'global.backup': None}
# The lab inventory's values that differ from the seed, and why (inventories/lab sets them).
LAB_BECAUSE = {
    'global.primary': '203.0.113.11', 'global.backup': '203.0.113.12',        # lab addresses
    'virtual[www].address': '203.0.113.100 eth0:0',
    'virtual[www].server[rs1].address': '203.0.113.21', 'virtual[www].server[rs2].address': '203.0.113.22',
    'global.keepalive': '1', 'global.deadtime': '5',                           # inventories/lab/piranha.yml
    'virtual[www].expect': '^HTTP/1.[01] 200', 'virtual[www].use_regex': '1',  # no health_check.expect: the status code
    'virtual[www].timeout': '2',                                               # health_check.timeout
    'virtual[www].reentry': '2',                                               # interval 2 x retry 1
    'virtual': ('www',),
}
LAB_RENAME = {'www.ixdba.net': 'www', 'RS1': 'rs1', 'RS2': 'rs2'}
NEGATIVE_HOSTS = ['v6-a', 'v6-b', 'three-a', 'three-b', 'three-c', 'mark-a', 'sorry-a', 'DR1', 'DR2']
NEGATIVE_MESSAGES = [
    'lvs_virtual_services[0].vip: piranha supports only IPv4',
    'piranha runs exactly one primary and at most one backup director, the cluster three has 3',
    'lvs_virtual_services[0].fwmark: piranha reads the mark as a signed int',
    'lvs_virtual_services[0].sorry_server.port (host sorry-a): must equal the virtual port (80)',
    'lvs_virtual_services[1].health_check.expect: required for a misc check',
    'piranha (pulse, lvsd, nanny) is packaged only for RHEL/CentOS up to 6',
]


def flat(text):
    """{'global.key': value, 'virtual': (names), 'virtual[NAME].key': value, 'virtual[NAME].server[NAME].key': value}."""
    parsed = _lvscf.parse_settings(text)
    out = dict(('global.%s' % k, v) for k, v in parsed['global'].items())
    for vs in parsed['virtual']:
        out['virtual'] = out.get('virtual', ()) + (vs['name'],)
        for k, v in vs['settings'].items():
            out['virtual[%s].%s' % (vs['name'], k)] = v
        for srv in vs['servers']:
            for k, v in srv['settings'].items():
                out['virtual[%s].server[%s].%s' % (vs['name'], srv['name'], k)] = v
    return out


def read(out, host):
    path = os.path.join(str(out), host, 'lvs.cf')
    with open(path) as src:
        return src.read(), os.stat(path)


def render(out, *args):
    inventories = []
    for arg in args:
        if arg.endswith('.yml') or arg.startswith(os.path.join(REPO, 'inventories')):
            inventories += ['-i', arg]
    extra = [a for a in args if not (a.endswith('.yml') or a.startswith(os.path.join(REPO, 'inventories')))]
    return playbook(PLAY, '-e', 'render_out=%s' % out, *(inventories + extra))


def mismatches(got, want):
    return ['%s: expected %r, rendered %r' % (k, v, got.get(k)) for k, v in sorted(want.items()) if got.get(k) != v]


@pytest.fixture(scope='module')
def judge():
    """piranha's own lvs.cf parser, built from its source tarball (tests/daemons/piranha), or None without the tarball."""
    if not piranha_build.tarball():
        if IN_CI:
            pytest.fail('the piranha source tarball is missing (CI=true: piranha\'s own parser must judge the files)')
        return None
    return piranha_build.build()


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    return tmp_path_factory.mktemp('piranha-render')


@pytest.fixture(scope='module')
def first(work):
    """The seed and the matrix rendered together: (out, run, {host: text})."""
    out = work / 'main'
    run = render(out, SEED, MATRIX)
    assert run.rc == 0, 'rendering the seed and matrix inventories failed:\n%s' % run.tail()
    return out, run, dict((h, read(out, h)[0]) for h in HOSTS)


@pytest.fixture(scope='module')
def files(first):
    return dict((h, flat(text)) for h, text in first[2].items())


@pytest.fixture(scope='module')
def expected():
    with open(os.path.join(HERE, 'inventories', 'seed', 'expected.cf')) as src:
        return flat(src.read())


def test_role_readme_table():
    role = os.path.join(REPO, 'roles', 'director_piranha')
    with open(os.path.join(role, 'defaults', 'main.yml')) as src:
        defaults = yaml.safe_load(src)
    with open(os.path.join(role, 'README.md')) as src:
        readme = src.read()
    assert [name for name in sorted(defaults) if '| `%s` |' % name not in readme] == []


def test_recap_hosts(first):
    assert sorted(first[1].recap) == sorted(HOSTS)


@pytest.mark.parametrize('host', HOSTS)
def test_rendered_file(first, judge, host):
    text, st = read(first[0], host)
    errors = _lvscf.validate_text(text)
    assert not errors, 'rendered lvs.cf is not valid:\n  %s' % '\n  '.join(str(e) for e in errors)
    warnings = [e for e in _lvscf.check_text(text) if e.severity == 'warning']
    assert not warnings, 'rendered lvs.cf has warnings:\n  %s' % '\n  '.join(str(e) for e in warnings)
    if judge:
        result = piranha_build.judge_text(judge, text)
        assert result['rc'] == 0, 'piranha\'s own parser refuses the rendered lvs.cf at line %d: %s' % (result['line'], result['error'])
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o600, 0, 0), 'lvs.cf must be root:root 0600 without a piranha group'
    assert text.startswith('#\n# Ansible managed\n#\n')
    assert 1 <= int(re.search(r'^serial_no = (\d+)$', text, re.M).group(1)) <= _lvscf.INT_MAX


@pytest.mark.parametrize('pair', SAME, ids=['-'.join(p) for p in SAME])
def test_directors_of_a_cluster_get_identical_files(first, pair):
    assert first[2][pair[0]] == first[2][pair[1]]


def test_seed_equivalence(files, expected):
    got = files['DR1']
    keys = sorted((set(expected) | set(got)) - {'global.serial_no'})
    assert ['%s: expected %r, rendered %r' % (k, expected.get(k), got.get(k)) for k in keys if expected.get(k) != got.get(k)] == []


@pytest.mark.parametrize('host, want', [('nat-a', NAT), ('tun-a', TUN), ('solo', SOLO)], ids=['nat', 'tun', 'solo'])
def test_variant_values(files, host, want):
    assert mismatches(files[host], want) == []


def test_tunnel_has_no_nat_or_sync_keys(files):
    assert [k for k in files['tun-a'] if k.startswith(('global.nat', 'global.sync'))] == []


def test_four_clusters_four_serial_numbers(files):
    assert len(set(f['global.serial_no'] for f in files.values())) == 4


def test_second_run_changes_nothing(first):
    run = render(first[0], SEED, MATRIX)
    assert run.rc == 0 and run.recap and all(r.get('changed') == 0 for r in run.recap.values()), json.dumps(run.recap)
    assert [h for h in HOSTS if read(first[0], h)[0] != first[2][h]] == []


def test_check_mode_on_a_fresh_host(work, files):
    out = work / 'check-mode'
    run = render(out, SEED, '--check', '--diff')
    assert run.rc == 0 and all(r.get('changed', 0) > 0 for r in run.recap.values()), run.tail()
    assert '+serial_no = %s' % files['DR1']['global.serial_no'] in run.output, 'check mode --diff must show the new lvs.cf'
    assert not (out / 'DR1' / 'lvs.cf').exists()


def test_serial_follows_the_content(work, files):
    out = work / 'changed'
    run = render(out, SEED, '-e', json.dumps({'lvs_piranha': {'keepalive': 6, 'deadtime': 10}}))
    assert run.rc == 0, run.tail()
    other = flat(read(out, 'DR1')[0])
    got = files['DR1']
    assert sorted(k for k in set(other) | set(got) if other.get(k) != got.get(k)) == ['global.keepalive', 'global.serial_no']


@pytest.fixture(scope='module')
def lab(work):
    out = work / 'lab'
    run = render(out, os.path.join(REPO, 'inventories', 'lab'), '-e', 'lab_backend=piranha')
    assert run.rc == 0, 'rendering the lab inventory with lab_backend=piranha failed:\n%s' % run.tail()
    return dict((h, read(out, h)[0]) for h in ('dr1', 'dr2'))


def seed_key(key):
    for old, new in LAB_RENAME.items():
        key = key.replace('[%s]' % old, '[%s]' % new)
    return key


def test_lab_inventory(lab, judge, expected):
    assert lab['dr1'] == lab['dr2']
    assert not _lvscf.validate_text(lab['dr1'])
    if judge:
        assert piranha_build.judge_text(judge, lab['dr1'])['rc'] == 0
    got = flat(lab['dr1'])
    want = dict((seed_key(k), v) for k, v in expected.items() if k != 'global.serial_no')
    assert sorted(set(got) - {'global.serial_no'}) == sorted(want), 'the keys must be the seed\'s'
    want.update(LAB_BECAUSE)
    assert mismatches(got, want) == []


@pytest.fixture(scope='module')
def negative(work):
    out = work / 'negative'
    return out, render(out, NEGATIVE, SEED, '-e', 'director_piranha_config_only=false')


def test_negative_run_fails_and_writes_nothing(negative):
    assert negative[1].rc != 0
    assert not negative[0].exists()


@pytest.mark.parametrize('host', NEGATIVE_HOSTS)
def test_negative_host_stops(negative, host):
    assert negative[1].recap.get(host, {}).get('failed') == 1, negative[1].recap.get(host)


@pytest.mark.parametrize('message', NEGATIVE_MESSAGES)
def test_negative_message(negative, message):
    assert message in negative[1].flat
