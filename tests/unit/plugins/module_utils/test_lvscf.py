# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the strict piranha lvs.cf validator (plugins/module_utils/_lvscf.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import glob
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _lvscf

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures', 'lvscf')
GOOD = sorted(glob.glob(os.path.join(FIXTURES, 'good', '*.cf')))
BAD = sorted(glob.glob(os.path.join(FIXTURES, 'bad', '*.cf')))
SCRIPT = _lvscf.__file__.replace('.pyc', '.py')


def _read(path):
    with open(path, 'r', newline='') as handle:
        text = handle.read()
    if os.path.basename(path).startswith('crlf'):
        # Stored with LF (the repository's sanity rules forbid CRLF files); the DOS line ends are made here,
        # after the two header lines.
        head, body = text.split('\n', 2)[:2], text.split('\n', 2)[2]
        text = '\n'.join(head) + '\n' + body.replace('\n', '\r\n')
    return text


def _expectation(path):
    """Second line of a bad fixture: '# expect: LINE: substring of the message'."""
    with open(path, 'r', newline='') as handle:
        handle.readline()
        match = re.match(r'^# expect: (\d+): (.+?)\r?$', handle.readline())
    assert match, '%s lacks its "# expect: LINE: TEXT" header' % path
    return int(match.group(1)), match.group(2)


def test_fixture_counts():
    assert len(GOOD) >= 4
    assert len(BAD) >= 20


@pytest.mark.parametrize('path', GOOD, ids=[os.path.basename(p) for p in GOOD])
def test_good_files_are_valid(path):
    assert _lvscf.validate_text(_read(path)) == []


@pytest.mark.parametrize('path', BAD, ids=[os.path.basename(p) for p in BAD])
def test_bad_files_are_rejected_naming_the_line(path):
    line, text = _expectation(path)
    errors = _lvscf.validate_text(_read(path))
    assert errors, '%s was accepted' % path
    matching = [e for e in errors if e.line == line and text in e.message + ' Fix: ' + e.fix]
    assert matching, 'expected line %d with %r, got:\n%s' % (line, text, '\n'.join(str(e) for e in errors))
    for error in errors:
        rendered = str(error)
        assert rendered.startswith('line %d: ' % error.line if error.line else 'file: ')
        assert '. Fix: ' in rendered and error.fix


def test_seed_settings_parse():
    parsed = _lvscf.parse_settings(_read(os.path.join(FIXTURES, 'good', 'seed.cf')))
    assert parsed['global']['backup'] == '192.168.12.131'
    assert parsed['global']['network'] == 'direct'
    virtual = parsed['virtual'][0]
    assert virtual['name'] == 'www.ixdba.net'
    assert virtual['settings']['address'] == '192.168.12.200 eth0:0'
    assert virtual['settings']['send'] == r'GET / HTTP/1.0\r\n\r\n'
    assert [s['name'] for s in virtual['servers']] == ['RS1', 'RS2']
    assert virtual['servers'][1]['settings'] == {'address': '192.168.12.133', 'active': '1', 'weight': '1'}


@pytest.mark.parametrize('line, problem', [
    ('a = 1', None),
    ('send = "GET / HTTP/1.0\\r\\n"', None),
    ("expect = 'say \"hi\"'", None),
    ('expect = "x', 'never closed'),
    ('expect = "x"y', 'text follows the closing quote'),
    ('expect = "x"  ', 'blanks follow'),
    ('port = 8"0', 'quote character inside'),
])
def test_tokenize(line, problem):
    tokens, found = _lvscf.tokenize(line)
    if problem is None:
        assert found is None
        assert tokens[1] == ('=', False)
    else:
        assert found is not None and problem in found[0]


def test_all_problems_reported_at_once():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf'))
    text = text.replace('port = 80', 'port=80').replace('scheduler = rr', 'scheduler = nq').replace('weight = 1', 'weight = -1', 1)
    errors = _lvscf.validate_text(text)
    assert len(errors) == 3
    assert [e.line for e in errors] == sorted(e.line for e in errors)


def test_quoted_number_is_rejected():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf')).replace('keepalive = 5', 'keepalive = "5"')
    assert any('must not be quoted' in e.message for e in _lvscf.validate_text(text))


def test_header_then_brace_on_next_line_reported_once():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf')).replace('server RS2 {', 'server RS2\n{')
    errors = _lvscf.validate_text(text)
    assert len(errors) == 1 and "'{' on the same line" in errors[0].fix


def test_netmask_bits():
    assert _lvscf.netmask_bits('255.255.255.0') == 24
    assert _lvscf.netmask_bits('255.255.255.255') == 32
    assert _lvscf.netmask_bits('255.0.255.0') is None
    assert _lvscf.netmask_bits('300.0.0.0') is None


def test_validate_file_errors(tmp_path):
    missing = _lvscf.validate_file(str(tmp_path / 'nope.cf'))
    assert missing and 'cannot read' in missing[0].message
    latin = tmp_path / 'latin.cf'
    latin.write_bytes(b'primary = 192.0.2.1\n# caf\xe9\n')
    errors = _lvscf.validate_file(str(latin))
    assert errors[0].line == 2 and 'UTF-8' in errors[0].message


def test_command_line(tmp_path):
    good = os.path.join(FIXTURES, 'good', 'seed.cf')
    bad = os.path.join(FIXTURES, 'bad', 'octal-number.cf')
    ok = subprocess.run([sys.executable, SCRIPT, good], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and 'valid piranha lvs.cf' in ok.stdout
    ko = subprocess.run([sys.executable, SCRIPT, good, bad], capture_output=True, text=True, check=False)
    assert ko.returncode == 1
    assert '%s: line 24: ' % bad in ko.stderr and 'octal' in ko.stderr
    usage = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and 'usage' in usage.stdout
    # The script must not need anything outside the standard library (it runs on the director).
    isolated = subprocess.run([sys.executable, '-I', '-S', SCRIPT, good], capture_output=True, text=True, check=False,
                              cwd=str(tmp_path))
    assert isolated.returncode == 0, isolated.stderr


CLUSTER = {
    'name': 'web',
    'nat': {},
    'directors': [
        {'host': 'dr1', 'address': '192.0.2.11', 'role': 'primary'},
        {'host': 'dr2', 'address': '192.0.2.12', 'role': 'backup'},
    ],
    'virtual_services': [{
        'name': 'www', 'vip': '192.0.2.100', 'family': 4, 'port': 80, 'fwmark': None, 'protocol': 'tcp',
        'scheduler': 'rr', 'forwarding': 'dr', 'real_server_port': 80, 'sorry_server': None,
        'health_check': {'type': 'http', 'port': 80, 'expect': None, 'send': None},
        'real_servers': [{'host': 'rs1', 'address': '192.0.2.21', 'port': 80, 'weight': 1}],
    }],
}


def _variant(**changes):
    cluster = copy.deepcopy(CLUSTER)
    svc = cluster['virtual_services'][0]
    for key, value in changes.items():
        if key == 'directors':
            cluster['directors'] = value
        elif key == 'hc':
            svc['health_check'].update(value)
        else:
            svc[key] = value
    return cluster


def test_cluster_errors_accepts_supported_model():
    assert _lvscf.cluster_errors(CLUSTER) == []


@pytest.mark.parametrize('changes, needle', [
    ({'directors': CLUSTER['directors'] + [{'host': 'dr3', 'address': '192.0.2.13', 'role': 'backup'}]}, 'at most one backup'),
    ({'vip': '2001:db8::100', 'family': 6}, 'only IPv4'),
    ({'scheduler': 'sed'}, 'scheduler'),
    ({'protocol': 'sctp'}, 'tcp and udp'),
    ({'port': None, 'fwmark': 4294967295}, 'signed int'),
    ({'hc': {'type': 'dns'}}, 'health_check.type'),
    ({'hc': {'type': 'misc', 'misc_path': '/bin/true'}}, 'health_check.expect'),
    ({'hc': {'expect': 'say "hi"'}}, 'double quote'),
    ({'sorry_server': {'address': '192.0.2.50', 'port': 8080}}, 'sorry_server.port'),
    ({'real_servers': [{'host': 'rs1', 'address': '2001:db8::21', 'port': 80, 'weight': 1}]}, 'real-server address'),
])
def test_cluster_errors_rejects_what_piranha_cannot_do(changes, needle):
    problems = _lvscf.cluster_errors(_variant(**changes))
    assert any(needle in p for p in problems), problems
    assert all('Fix: ' in p for p in problems)


def test_cluster_errors_mixed_forwarding_and_nat_gateway():
    cluster = copy.deepcopy(CLUSTER)
    second = copy.deepcopy(cluster['virtual_services'][0])
    second.update(name='api', port=8080, forwarding='nat')
    cluster['virtual_services'].append(second)
    problems = _lvscf.cluster_errors(cluster)
    assert any('one cluster-wide network mode' in p for p in problems)
    assert any('lvs_nat.inside_vip' in p for p in problems)
