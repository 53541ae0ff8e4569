# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the strict piranha lvs.cf validator (plugins/module_utils/_lvscf.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
WARN = sorted(glob.glob(os.path.join(FIXTURES, 'warn', '*.cf')))
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


@pytest.mark.parametrize('path', WARN, ids=[os.path.basename(p) for p in WARN])
def test_warning_files_are_valid_with_the_warning(path):
    line, text = _expectation(path)
    assert _lvscf.validate_text(_read(path)) == []
    found = [e for e in _lvscf.check_text(_read(path)) if e.line == line and text in e.message]
    assert found and all(e.severity == 'warning' for e in found), _lvscf.check_text(_read(path))
    assert str(found[0]).startswith('warning: line %d: ' % line)


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
        assert error.rule in _lvscf.RULES
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


@pytest.mark.parametrize('line, words, problem', [
    ('a = 1', ['a', '=', '1'], None),
    ('send = "GET / HTTP/1.0\\r\\n"', ['send', '=', 'GET / HTTP/1.0\\r\\n'], None),
    ("expect = 'say \"hi\"'", ['expect', '=', 'say "hi"'], None),
    # a quote inside a quoted value is only part of it before the value's first blank
    ('send = "\\"PING\\" x"', ['send', '=', '\\"PING\\" x'], None),
    ('send = "a \\"b\\" c"', ['send', '=', 'a \\', 'b\\"', 'c"'], None),
    ('expect = "x"y z"', ['expect', '=', 'x"y z'], None),
    ('expect = "# not a comment"', ['expect', '=', '# not a comment'], None),
    ('expect = "a b"   ', ['expect', '=', 'a b'], None),
    ('port = 8"0', ['port', '=', '8"0'], None),
    ('expect = "x', None, 'quotation mismatch'),
    ('expect = "x"y', None, 'quotation mismatch'),
    ('expect = "x"  ', None, 'quotation mismatch'),
])
def test_tokenize_like_piranha(line, words, problem):
    tokens, found = _lvscf.tokenize(line)
    if problem is None:
        assert found is None
        assert [t.text for t in tokens] == words
    else:
        assert found is not None and problem in found[0]


@pytest.mark.parametrize('text, translated', [
    ('GET / HTTP/1.0\\r\\n\\r\\n', 'GET / HTTP/1.0\r\n\r\n'),
    ('a\\tb\\"c\\\'d\\\\e', 'a\tb"c\'d\\e'),
    ('\\x41', None),
    ('OK\\', None),
    ('\\', '\\'),   # nanny leaves one-character strings alone
])
def test_translate_like_nanny(text, translated):
    assert _lvscf.translate(text) == translated


def test_every_stricter_rule_is_documented():
    """Each rule piranha's parser does not apply itself is justified in the module docstring by its id."""
    for rule, (severity, kind) in _lvscf.RULES.items():
        assert severity == ('warning' if kind == 'warning' else 'error')
        if kind == 'runtime' and rule != 'encoding':
            assert '[%s]' % rule in _lvscf.__doc__, rule


def test_posix_regex():
    assert _lvscf.posix_regex_error('^HTTP/1.[01] 200') is None
    assert _lvscf.posix_regex_error('a(') is not None


@pytest.mark.parametrize('dev, ok', [
    ('eth0:0', True), ('enp0s31f6:12', True), ('eth0:web', True), ('abcdefghijklm:1', True),
    ('abcdefghijklmn:1', False), ('enp0s31f6abcde:1', False), ('eth0', False), (':1', False),
])
def test_alias(dev, ok):
    assert (_lvscf.alias_problem(dev) is None) is ok


def test_nul_byte_ends_piranha_reading():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf')).replace('network = direct', 'network = direct\x00')
    errors = _lvscf.validate_text(text)
    assert any(e.rule == 'nul' and e.line == 10 for e in errors)


def test_only_comments():
    errors = _lvscf.validate_text('# nothing\n\n')
    assert len(errors) == 1 and errors[0].rule == 'no-service'
    assert _lvscf.validate_text('')[0].rule == 'syntax'


def test_all_problems_reported_at_once():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf'))
    text = text.replace('port = 80', 'port=80').replace('scheduler = rr', 'scheduler = nq').replace('weight = 1', 'weight = -1', 1)
    errors = _lvscf.validate_text(text)
    assert len(errors) == 3
    assert [e.line for e in errors] == sorted(e.line for e in errors)


def test_quoted_number_is_read_like_piranha():
    text = _read(os.path.join(FIXTURES, 'good', 'seed.cf')).replace('keepalive = 5', 'keepalive = "5"')
    assert _lvscf.validate_text(text) == []
    assert _lvscf.parse_settings(text)['global']['keepalive'] == '5'


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
    latin.write_bytes(b'primary = 203.0.113.1\n# caf\xe9\n')
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
