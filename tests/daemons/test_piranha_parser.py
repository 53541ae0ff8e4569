# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""piranha as the judge of lvs.cf: its real parser (lvsParseConfig, built from the third-party tarball by
tests/daemons/piranha/build.py) reads every fixture and every lvs.cf rendered from generated valid models.

* Nothing the collection's validator (plugins/module_utils/_lvscf.py) accepts may be refused by piranha, and piranha
  must read the values the validator read (addresses, aliases, ports, send/expect/send_program, servers, ...).
* A file the validator refuses but piranha accepts may only be refused by rules of kind "runtime", each documented in
  _lvscf.py's docstring with the daemon behaviour that justifies it; a file refused only by rules of kind "parser" must be
  refused by piranha too.
* The validator's tokenizer is piranha's: random send values cut the same way; its escape translation is nanny's
  (nanny's own convert_str, built from the same tarball): same text, and the same texts nanny loops forever on.
* lvs.cf rendered (with the role's own template) from the model's view of generated valid inventories is accepted by
  both, and piranha reads exactly the view's values.

Skipped only when the piranha tarball is absent; a missing compiler or library (gcc, libc6-dev, libpopt-dev, libssl-dev)
fails, in CI and elsewhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib.util
import ipaddress
import os
import random
import socket
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
_COLLECTIONS = os.path.join(ROOT, 'collections')
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ansible_collections.lvs.cluster.plugins.module_utils import _lvscf  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._model import Model  # noqa: E402

_SPEC = importlib.util.spec_from_file_location('piranha_judge_build', os.path.join(HERE, 'piranha', 'build.py'))
build = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(build)

try:
    import generate  # tests/daemons/generate.py: random valid inventories (another helper's)
except ImportError:  # pragma: no cover - the generator is optional, the hand-written models below always run
    generate = None

UNIT_FIXTURES = os.path.join(ROOT, 'tests', 'unit', 'plugins', 'module_utils', 'fixtures', 'lvscf')
ACCEPTED = sorted(glob.glob(os.path.join(UNIT_FIXTURES, 'good', '*.cf')) + glob.glob(os.path.join(UNIT_FIXTURES, 'warn', '*.cf'))
                  + glob.glob(os.path.join(ROOT, 'tests', 'render', 'piranha', 'inventories', '*', '*.cf')))
REFUSED = sorted(glob.glob(os.path.join(UNIT_FIXTURES, 'bad', '*.cf')))
TEMPLATE = os.path.join(ROOT, 'roles', 'director_piranha', 'templates', 'lvs.cf.j2')
SCHEDULER = dict((name, i + 1) for i, name in enumerate(('lc', 'rr', 'wlc', 'wrr', 'lblc', 'lblcr', 'dh', 'sh')))
NETWORK = {'nat': 1, 'direct': 2, 'tunnel': 3}
GENERATED_SEEDS = range(int(os.environ.get('PIRANHA_JUDGE_SEEDS', '60')))
# Another offset explores other random edits and values (the default keeps runs reproducible).
SEED_OFFSET = int(os.environ.get('PIRANHA_JUDGE_OFFSET', '0'))

pytestmark = pytest.mark.daemons


@pytest.fixture(scope='module')
def judge():
    if build.tarball() is None:
        pytest.skip('the piranha source tarball is absent (%s): nothing to build the judge from' % build.DEFAULT_TARBALL)
    try:
        binary = build.build()
    except build.BuildError as exc:
        pytest.fail('cannot build piranha\'s parser (%s); install gcc and libc6-dev' % exc)
    return lambda text: build.judge_text(binary, text)


@pytest.fixture(scope='module')
def nanny():
    if build.tarball() is None:
        pytest.skip('the piranha source tarball is absent (%s): nothing to build nanny from' % build.DEFAULT_TARBALL)
    try:
        binary = build.build_nanny()
    except build.BuildError as exc:
        pytest.fail('cannot build nanny\'s escape translation (%s); install gcc, libpopt-dev and libssl-dev' % exc)
    return lambda texts: build.nanny_translate(binary, texts)


def _read(path):
    with open(path, 'r', newline='') as handle:
        text = handle.read()
    if os.path.basename(path).startswith('crlf'):
        # stored with LF (see test_lvscf.py): the DOS line ends are made here, after the two header lines
        head, body = text.split('\n', 2)[:2], text.split('\n', 2)[2]
        text = '\n'.join(head) + '\n' + body.replace('\n', '\r\n')
    return text


def _number(text, port=False):
    value = _lvscf._int_value(text)
    if value is None and port:
        value = socket.getservbyname(text, 'tcp')  # piranha's getPort: a service name of /etc/services
    return value


def _same_reading(text, config):
    """Differences between what _lvscf read and what piranha read (empty when they agree)."""
    root = _lvscf.parse(text)[0]
    diffs = []

    def same(where, ours, theirs):
        if ours != theirs:
            diffs.append('%s: ours %r, piranha %r' % (where, ours, theirs))

    for key, (values, _line, tokens) in root.settings.items():
        value = values[0]
        if key in ('primary', 'backup', 'primary_private', 'backup_private', 'nat_nmask'):
            same(key, value, config[key])
        elif key == 'nat_router':
            same(key, values, [config['nat_router'], config['nat_router_device']])
        elif key == 'network':
            same(key, NETWORK[value], config['network'])
        elif key == 'service':
            same(key, {'lvs': 0, 'fos': 1}[value], config['service'])
        elif key in ('debug_level', 'syncd_iface', 'rsh_command', 'ipvsadm', 'active_cmd', 'inactive_cmd', 'primary_shared'):
            same(key, value, config[key])
        elif key == 'heartbeat_port':
            same(key, _number(value, port=True), config[key])
        elif key in ('serial_no', 'keepalive', 'deadtime', 'syncd_id', 'tcp_timeout', 'tcpfin_timeout',
                     'udp_timeout', 'backup_active', 'heartbeat', 'monitor_links', 'syncdaemon', 'hard_shutdown'):
            same(key, _number(value), config[key])
    blocks = [b for b in root.children if b.kind in ('virtual', 'failover')]
    same('number of blocks', len(blocks), len(config['virtual']))
    for block, theirs in zip(blocks, config['virtual']):
        where = '%s %s' % (block.kind, block.name)
        same(where + ' name', block.name, theirs['name'])
        same(where + ' kind', block.kind == 'failover', bool(theirs['failover']))
        for key, (values, _line, tokens) in block.settings.items():
            value = values[0]
            if key == 'address':
                same(where + ' address', values, [theirs['address'], theirs['device']])
            elif key in ('vip_nmask', 'sorry_server', 'pmask', 'protocol', 'load_monitor', 'client_monitor'):
                same(where + ' ' + key, value, theirs[key])
            elif key == 'scheduler':
                same(where + ' scheduler', SCHEDULER[value], theirs['scheduler'])
            elif key in ('send', 'expect', 'send_program', 'start_cmd', 'stop_cmd'):
                # piranha keeps the quote characters around the value (lvsd's strip_quotes removes double quotes)
                same(where + ' ' + key, tokens[0].quote + value + tokens[0].quote, theirs[key])
            elif key in ('active', 'fwmark', 'port', 'persistent', 'timeout', 'reentry', 'quiesce_server', 'use_regex'):
                same(where + ' ' + key, _number(value, port=key == 'port'), theirs[key])
        servers = [c for c in block.children if c.kind == 'server']
        same(where + ' servers', [s.name for s in servers], [s['name'] for s in theirs['servers']])
        for srv, their_srv in zip(servers, theirs['servers']):
            for key, (values, _line, _tokens) in srv.settings.items():
                ours = values[0] if key == 'address' else _number(values[0])
                same('%s server %s %s' % (where, srv.name, key), ours, their_srv[key])
    return diffs


# ---------------------------------------------------------------------------------------------------------------------
# Fixtures

def test_fixture_sets():
    assert len(ACCEPTED) >= 10 and len(REFUSED) >= 40


@pytest.mark.parametrize('path', ACCEPTED, ids=[os.path.relpath(p, ROOT) for p in ACCEPTED])
def test_piranha_accepts_what_we_accept_and_reads_the_same(judge, path):
    text = _read(path)
    assert _lvscf.validate_text(text) == [], 'the fixture itself must be valid'
    result = judge(text)
    assert result['rc'] == 0, 'piranha refuses %s at line %d: %s' % (path, result['line'], result['error'])
    assert _same_reading(text, result['config']) == []


@pytest.mark.parametrize('path', REFUSED, ids=[os.path.basename(p) for p in REFUSED])
def test_every_refusal_piranha_does_not_share_is_documented(judge, path):
    text = _read(path)
    errors = _lvscf.validate_text(text)
    assert errors
    kinds = set(_lvscf.RULES[e.rule][1] for e in errors)
    result = judge(text)
    if result['rc'] == 0:
        undocumented = [str(e) for e in errors if _lvscf.RULES[e.rule][1] != 'runtime']
        assert not undocumented, 'piranha accepts %s, but these rules claim piranha refuses it: %s' % (path, undocumented)
        for error in errors:
            assert '[%s]' % error.rule in _lvscf.__doc__, 'rule %s is stricter than piranha and undocumented' % error.rule
    elif kinds == {'parser'}:
        assert any(e.line == result['line'] or e.line == 0 for e in errors) or result['line'] == 0, \
            'piranha refuses line %d (%s), we refuse %s' % (result['line'], result['error'], [str(e) for e in errors])


# ---------------------------------------------------------------------------------------------------------------------
# The tokenizer, against piranha's, on random values

def _random_values(count, seed=12 + SEED_OFFSET):
    rnd = random.Random(seed)
    alphabet = ['a', 'b', ' ', '"', "'", '\\', '#', '\t', '=', '{']
    values = []
    for _ in range(count):
        body = ''.join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        style = rnd.choice(['"', '"', "'", ''])
        values.append(style + body + style if style else body or 'x')
    return values


def test_tokenizer_cuts_lines_like_piranha(judge):
    seed = _read(os.path.join(UNIT_FIXTURES, 'good', 'seed.cf'))
    mismatches = []
    for value in _random_values(400):
        line = 'send = %s' % value
        tokens, problem = _lvscf.tokenize(line)
        if line.split()[-1] in ('"', "'"):
            continue  # possibly a lone quote at the end: piranha's tokenizer then writes before its buffer (undefined behaviour)
        # the virtual's first line: piranha checks the tokenizer's error there
        text = seed.replace('     active = 1\n', '     %s\n     active = 1\n' % line, 1).replace('     send = "GET / HTTP/1.0\\r\\n\\r\\n"\n', '')
        result = judge(text)
        ours_ok = problem is None and len(tokens) == 3
        if ours_ok != (result['rc'] == 0):
            ours = [t.text for t in tokens] if problem is None else problem[0]
            mismatches.append('%r: ours %s, piranha rc %d %s' % (value, ours, result['rc'], result['error']))
        elif ours_ok:
            theirs = result['config']['virtual'][0]['send']
            if tokens[2].quote + tokens[2].text + tokens[2].quote != theirs:
                mismatches.append('%r: ours %r, piranha %r' % (value, tokens[2].text, theirs))
    assert not mismatches, '\n'.join(mismatches[:20])


VALUES = ['0', '1', '2', '-1', '010', '08', '0x10', '+5', ' ', '""', '"a b"', "'x'", '"x"', 'eth0:1', 'eth0', 'abc', '203.0.113.1',
          '10.1', '0.0.0.0', '255.255.0.255', '2147483648', '65536', 'http', '#x', '{', '}', 'a=b', '"a\\xb"', '"a\\tb"',
          'enp0s31f6abcdef:1', '"/bin/x %h"', 'rr', 'nat', 'lc', 'udp', 'none', 'uptime', 'NONE']


def _mutations(text, count, seed):
    rnd = random.Random(seed)
    lines = text.split('\n')
    for _ in range(count):
        out = list(lines)
        for _step in range(rnd.randint(1, 2)):
            i = rnd.randrange(len(out))
            words = out[i].split(' = ', 1)
            kind = rnd.random()
            if kind < 0.55 and len(words) == 2:
                value = rnd.choice(VALUES)
                if ' ' in words[1] and rnd.random() < 0.5:
                    value = words[1].split(' ')[0] + ' ' + value
                out[i] = '%s = %s' % (words[0], value)
            elif kind < 0.65:
                del out[i]
            elif kind < 0.75:
                out.insert(i, out[i])
            elif kind < 0.85 and len(words) == 2:
                out[i] = words[0] + rnd.choice([' ', '=', ' =', '= ']) + words[1]
            else:
                out.insert(i, rnd.choice(['}', 'server x {', 'virtual v {', 'scheduler = rr', 'port = 81', 'send = "x"',
                                          'expect = OK', 'use_regex = 1', 'backup = 203.0.113.99', 'fwmark = 5']))
        yield '\n'.join(out)


@pytest.mark.parametrize('fixture', ['seed.cf', 'nat-sync-timeouts.cf', 'fwmark-misc.cf'])
def test_mutated_files_we_accept_piranha_accepts(judge, fixture):
    """Random edits of valid files: what the validator accepts, piranha accepts and reads the same; what it refuses
    with parser rules only, piranha refuses; what piranha accepts and we refuse is refused by documented runtime rules."""
    text = _read(os.path.join(UNIT_FIXTURES, 'good', fixture))
    problems, accepted, refused = [], 0, 0
    for n, mutated in enumerate(_mutations(text, 300, zlib.crc32(fixture.encode()) + SEED_OFFSET)):
        errors = _lvscf.validate_text(mutated)
        result = judge(mutated)
        kinds = set(_lvscf.RULES[e.rule][1] for e in errors)
        if not errors:
            accepted += 1
            if result['rc'] != 0:
                problems.append('#%d accepted by us, refused by piranha at line %d (%s):\n%s' % (n, result['line'], result['error'], mutated))
            elif _same_reading(mutated, result['config']):
                problems.append('#%d read differently: %s' % (n, _same_reading(mutated, result['config'])))
        else:
            refused += 1
            if result['rc'] == 0 and kinds - {'runtime'}:
                problems.append('#%d piranha accepts it, we claim a parser rule: %s\n%s' % (n, [str(e) for e in errors], mutated))
            if result['rc'] != 0 and kinds == {'parser'} and not any(e.line == result['line'] for e in errors):
                problems.append('#%d piranha refuses line %d (%s), we refuse other lines: %s' % (
                    n, result['line'], result['error'], [str(e) for e in errors]))
    assert not problems, '\n\n'.join(problems[:5])
    assert accepted >= 10 and refused >= 10


def test_escapes_are_translated_like_nanny(nanny):
    rnd = random.Random(7 + SEED_OFFSET)
    alphabet = ['a', '\\', 'r', 'n', 't', "'", '"', 'x', ' ', '0']
    texts = sorted(set(''.join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 7))) for _ in range(700)))
    texts += ['GET / HTTP/1.0\\r\\n\\r\\n', '\\"PING\\"\\t#1', 'C:\\\\dir', '\\', 'OK\\', '\\d+']
    theirs = nanny(texts)
    mismatches = ['%r: ours %r, nanny %r' % (t, _lvscf.translate(t), n) for t, n in zip(texts, theirs) if _lvscf.translate(t) != n]
    assert not mismatches, '\n'.join(mismatches[:20])
    assert sum(n is None for n in theirs) > 50, 'the sample must contain texts nanny loops on'


# ---------------------------------------------------------------------------------------------------------------------
# lvs.cf rendered from valid models

def _render(model, host):
    """lvs.cf for director ``host`` through the role's real template with Ansible's own templating, as the role's
    template task sees it (the helpers of tests/daemons/render.py: the cluster_model action's result, role variables)."""
    import render as daemon_render  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar, trust_as_template  # pylint: disable=import-outside-toplevel
    from ansible._internal._templating import _template_vars  # pylint: disable=import-outside-toplevel
    variables = daemon_render.role_vars('director_piranha')
    variables.update({'__director_piranha_model': daemon_render.action_result(model, host), 'inventory_hostname': host,
                      'role_path': os.path.dirname(os.path.dirname(TEMPLATE))})
    variables.update(_template_vars.generate_ansible_template_vars(path='lvs.cf.j2', fullpath=TEMPLATE, dest_path='/dev/null',
                                                                   include_ansible_managed=True))
    templar = Templar(loader=daemon_render._LOADER, variables=variables).copy_with_new_env(searchpath=[os.path.dirname(TEMPLATE)])
    with open(TEMPLATE) as handle:
        data = trust_as_template(handle.read())
    return templar.template(data, escape_backslashes=False,
                            overrides=dict(trim_blocks=True, lstrip_blocks=False, newline_sequence='\n')) or ''


def _inventory(services, interface='eth0', nat=None, piranha=None, directors=2, rs_count=2, extra=None):
    hostvars, groups = {}, {'lvs_directors': [], 'lvs_realservers': [], 'web_directors': [], 'web_realservers': []}
    cluster_vars = {'lvs_backend': 'piranha', 'lvs_cluster_name': 'web', 'lvs_interface': interface,
                    'lvs_realserver_group': 'web_realservers', 'lvs_virtual_services': services}
    if nat:
        cluster_vars['lvs_nat'] = nat
    if piranha:
        cluster_vars['lvs_piranha'] = piranha
    cluster_vars.update(extra or {})
    for i in range(directors):
        host = 'dr%d' % (i + 1)
        hostvars[host] = dict(cluster_vars, lvs_address='203.0.113.%d' % (11 + i))
        groups['lvs_directors'].append(host)
        groups['web_directors'].append(host)
    for i in range(rs_count):
        host = 'rs%d.example.net' % (i + 1)
        hostvars[host] = {'lvs_address': '198.51.100.%d' % (21 + i), 'lvs_weight': i}
        groups['lvs_realservers'].append(host)
        groups['web_realservers'].append(host)
    return hostvars, groups


def _hand_written():
    """Models chosen for the edges of lvs.cf: escapes nanny translates, '#' and quotes in texts, many VIPs on one
    interface (alias numbers), the longest interface names the aliases allow, NAT on the VIP interface, fwmark + misc."""
    many = [{'name': 'svc%d' % i, 'vip': '203.0.113.%d' % (100 + i), 'port': 80 + i, 'scheduler': 'wrr',
             'health_check': {'type': 'tcp'}} for i in range(12)]
    return {
        'escapes': _inventory([
            {'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'health_check': {
                'type': 'http', 'path': '/health?x=1&y=2', 'host': 'www.example.com', 'expect': '\\"ok\\"#1 x'}},
            {'name': 'echo', 'vip': '203.0.113.100', 'port': 7, 'health_check': {
                'type': 'tcp', 'send': '\\"PING\\"\\t#1 x\\\\y\\r\\n', 'expect': "PONG 'a' \\t\\\\"}},
        ]),
        'many-vips-long-interface': _inventory(many, interface='enp0s31f6abc'),
        'nat-same-interface': _inventory([
            {'name': 'web', 'vip': '203.0.113.100', 'port': 80, 'forwarding': 'nat', 'real_server_port': 8080,
             'persistence_timeout': 2678400, 'persistence_netmask': '255.255.255.0', 'sorry_server': {'address': '198.51.100.50', 'port': 80},
             'health_check': {'type': 'http', 'status_code': 204}},
            {'name': 'dns', 'vip': '203.0.113.101', 'port': 53, 'protocol': 'udp', 'forwarding': 'nat', 'health_check': {'type': 'tcp'}},
        ], interface='ens3', nat={'inside_vip': '198.51.100.1', 'inside_interface': 'ens3', 'inside_prefix': 25},
            piranha={'keepalive': 1, 'deadtime': 3600, 'heartbeat_port': 65535, 'monitor_links': True, 'debug_level': 'HIGH'},
            extra={'lvs_sync_daemon': True, 'lvs_sync_id': 255, 'lvs_timeouts': {'tcp': 2147483, 'tcpfin': 1, 'udp': 300}}),
        'fwmark-misc-tunnel': _inventory([
            {'name': 'shop', 'vip': '203.0.113.100', 'vip_prefix': 24, 'fwmark': 2147483647, 'forwarding': 'tun', 'scheduler': 'sh',
             'health_check': {'type': 'misc', 'port': 443, 'misc_path': '/usr/local/bin/check_shop --port=%p %h', 'expect': 'OK'}},
        ], directors=1),
    }


def _models():
    for name, (hostvars, groups) in sorted(_hand_written().items()):
        yield name, Model(hostvars, groups), 'dr1'
    if generate is not None:
        for seed in GENERATED_SEEDS:
            inv = generate.generate('piranha', seed)
            yield 'generated seed %d' % seed, inv.model(), inv.directors[0]


def test_rendered_models_are_accepted_by_piranha_as_meant(judge):
    checked, invalid, failures = 0, [], []
    for name, model, director in _models():
        if model.errors:
            invalid.append('%s: %s' % (name, model.errors[0]))
            continue
        view = model.backend_view(director)
        text = _render(model, director)
        ours = _lvscf.validate_text(text)
        result = judge(text)
        checked += 1
        if ours or result['rc'] != 0:
            failures.append('%s: ours %s; piranha rc %d line %d %s\n%s' % (name, [str(e) for e in ours], result['rc'], result['line'],
                                                                           result['error'], text))
            continue
        config = result['config']
        problems = _same_reading(text, config)
        for vs, theirs in zip(view['virtuals'], config['virtual']):
            expected = {'name': vs['name'], 'address': vs['address'], 'device': vs['device'], 'port': vs['port'],
                        'send': '"%s"' % vs['send'] if vs['send'] is not None else None,
                        'expect': '"%s"' % vs['expect'] if vs['expect'] is not None else None,
                        'send_program': '"%s"' % ' '.join(vs['send_program']) if vs['send_program'] else None,
                        'sorry_server': vs['sorry_server'] or '0.0.0.0'}
            for key, value in expected.items():
                if theirs[key] != value:
                    problems.append('%s %s: view %r, piranha %r' % (vs['name'], key, value, theirs[key]))
            if [(s['name'], s['address']) for s in vs['servers']] != [(s['name'], s['address']) for s in theirs['servers']]:
                problems.append('%s servers differ' % vs['name'])
            assert len(vs['device']) <= 15 and ipaddress.ip_address(vs['address']).version == 4
        nat_router = view['nat_router']
        if nat_router and [config['nat_router'], config['nat_router_device']] != [nat_router['address'], nat_router['device']]:
            problems.append('nat_router differs')
        if config['serial_no'] != view['serial_no']:
            problems.append('serial_no differs')
        if problems:
            failures.append('%s: %s' % (name, problems))
    assert not failures, '\n\n'.join(failures[:5])
    assert checked >= 4, 'too few valid models (%d); refused: %s' % (checked, invalid[:5])
    if generate is not None:
        assert checked >= 4 + len(GENERATED_SEEDS) // 2, 'most generated models are refused: %s' % invalid[:5]
