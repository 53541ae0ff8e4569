# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The matrix's own parts: the generator knows every key of the model's tables and only makes valid models; the
heartbeat reading rules (hbcheck.py) refuse what heartbeat refuses and accept a file heartbeat reads cleanly."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from matrix import FIRST_SEED, models

import generate
import hbcheck
import kacheck
import ldcheck

pytestmark = pytest.mark.daemons

GOOD_HACF = '''# managed
udpport 694
use_logd no
logfacility daemon
keepalive 2
warntime 6
deadtime 10
initdead 30
ucast eth0 203.0.113.11
ucast eth0 203.0.113.12
auto_failback on
node lvs1
node lvs2
crm off
'''
GOOD_AUTHKEYS = '# managed\nauth 1\n1 sha1 Zx8Kq2Lm-secret\n'
GOOD_HARESOURCES = 'lvs1 lvs-ldirectord::ldirectord.cf lvs-vip::203.0.113.100/32/eth0\n'


def test_generator_knows_every_key_of_the_model():
    assert generate.check_tables() == []


@pytest.mark.parametrize('backend', generate.BACKENDS)
def test_generated_models_are_valid(backend):
    refused = []
    for seed in models('LVS_DAEMONS_GENERATED', 30):
        errors = generate.generate(backend, seed).model().errors
        if errors:
            refused.append('seed %s: %s' % (seed, '; '.join(str(e) for e in errors[:3])))
    assert not refused, 'the model refuses generated %s inventories (generator bug, unless the model is wrong):\n%s' % (
        backend, '\n'.join(refused))


def test_generator_is_reproducible():
    one = generate.generate('keepalived', FIRST_SEED + 7)
    two = generate.generate('keepalived', FIRST_SEED + 7)
    assert one.as_dict() == two.as_dict()


def test_hbcheck_accepts_a_clean_set():
    assert hbcheck.check_hacf(GOOD_HACF) == []
    assert hbcheck.check_authkeys(GOOD_AUTHKEYS) == []
    problems, groups = hbcheck.check_haresources(GOOD_HARESOURCES, ['lvs1', 'lvs2'], ('lvs-ldirectord', 'lvs-vip'))
    assert problems == [] and groups[0][0] == 'lvs1'


@pytest.mark.parametrize('old, new, expected', [
    ('1 sha1 Zx8Kq2Lm-secret', '1 sha1 Zx8K q2Lm-secret', 'only the first word of the key'),  # issue 12's 4-byte key
    ('1 sha1 Zx8Kq2Lm-secret', '1 sha1', 'requires a key'),
    ('1 sha1 Zx8Kq2Lm-secret', '1 sha256 Zx8Kq2Lm-secret', 'invalid authtype'),
    ('auth 1', 'auth 2', 'auth key [2] not found'),
    ('auth 1', 'auth one', 'invalid auth line'),
    ('1 sha1 Zx8Kq2Lm-secret', '1 sha1 ' + 'k' * 5200, 'would split it'),
])
def test_hbcheck_authkeys_rules(old, new, expected):
    problems = hbcheck.check_authkeys(GOOD_AUTHKEYS.replace(old, new))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize('old, new, expected', [
    ('node lvs2', 'node lvs2#x', '"#" inside a value'),
    ('node lvs2', 'node lvs2,lvs3', None),                       # a comma separates nodes: two nodes, legal
    ('node lvs2', 'node LVS1', 'declared twice once lower-cased'),
    ('node lvs2', 'node ' + 'n' * 100, 'HOSTLENG'),
    ('keepalive 2', 'keepalive 2 3', 'takes one value'),
    ('deadtime 10', 'deadtime 4', 'too small compared to keeplive'),
    ('initdead 30', 'initdead 5', 'initdead'),
    ('logfacility daemon', 'logfacility kern', 'No log entry found'),
    ('logfacility daemon', 'logfacility daemonx', 'not valid'),
    ('ucast eth0 203.0.113.12', 'ucast eth0 203.0.113.12 203.0.113.13', 'ignored without a word'),
    ('ucast eth0 203.0.113.12', 'mcast eth0 239.0.0.300 694 1 0', 'bad addr'),
    ('ucast eth0 203.0.113.12', 'mcast eth0 239.0.0.1 694 5 0', 'bad ttl'),
    ('ucast eth0 203.0.113.12', 'mcast eth0 239.0.0.1 694 1', 'missing loop'),
    ('ucast eth0 203.0.113.12', 'bcast eth0:1', 'not a Linux interface name'),
    ('udpport 694', 'udpport 21', 'reserved for service'),
    ('auto_failback on', 'auto_failback maybe', 'auto_failback'),
    ('crm off', 'crmx off', 'illegal directive'),
])
def test_hbcheck_hacf_rules(old, new, expected):
    problems = hbcheck.check_hacf(GOOD_HACF.replace(old, new))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


@pytest.mark.parametrize('text, expected', [
    ('lvs9 lvs-vip::203.0.113.100/32/eth0\n', 'bad nodename'),
    ('LVS1 lvs-vip::203.0.113.100/32/eth0\n', None),             # first field lower-cased by ResourceManager
    ('lvs1 lvs-vip::203.0.113.100/32/eth#0\n', 'strips the rest of the line'),
    ('lvs1 lvs-vip::203.0.113.100/32/eth*\n', 'glob characters'),
    ('lvs1 IPaddr3::203.0.113.100\n', 'not installed'),
])
def test_hbcheck_haresources_rules(text, expected):
    problems, _groups = hbcheck.check_haresources(text, ['lvs1', 'lvs2'], ('lvs-ldirectord', 'lvs-vip'))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_resource_manager_status_reading():
    assert not hbcheck.status_says_running('lvs-vip 203.0.113.100/32/eth0 is stopped')
    assert hbcheck.status_says_running('lvs-vip 203.0.113.100/32/eth0 is running')
    # an interface named OK0 makes a stopped VIP look owned (ResourceManager we_own_resource: *OK*)
    assert hbcheck.status_says_running('lvs-vip 203.0.113.100/32/OK0 is stopped')


LDCF = 'virtual=203.0.113.100:80\n    servicename=w\n    service=%s\n    request="%s"\n    receive="%s"\n'


@pytest.mark.parametrize('service, req, receive, hc, expected', [
    ('http', '/health', 'ok\\ 1', {'path': '/health', 'expect': 'ok 1'}, None),
    ('http', 'health', 'x', {'path': '/health', 'expect': 'x'}, None),            # read_config adds the "/"
    ('http', '/a#b', 'x', {'path': '/a#b', 'expect': 'x'}, 'ldirectord requests'),  # "#" starts a comment
    ('http', '/', 'a(b', {'path': '/', 'expect': 'a(b'}, 'Unmatched ('),
    ('http', '/', 'a.b', {'path': '/', 'expect': 'a-b'}, None),                   # a looser pattern still matches
    ('http', '/', 'ab', {'path': '/', 'expect': 'a b'}, 'no match'),
    ('simpletcp', '/PING\\n', '\\+PONG', {'send': 'PING\\n', 'expect': '+PONG'}, None),
    ('simpletcp', 'PING', 'x', {'send': 'PING', 'expect': 'x'}, None),
    ('simpletcp', '/PING\\t', 'x', {'send': 'PING\t', 'expect': 'x'}, 'simpletcp sends'),
])
def test_ldcheck_rules(service, req, receive, hc, expected):
    problems = ldcheck.check(LDCF % (service, req, receive), [{'name': 'w', 'health_check': hc}])
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


@pytest.mark.parametrize('line, words', [
    (r'regex "a b"', ['regex', 'a b']),
    (r'regex "a\\x24b"', ['regex', r'a\x24b']),      # \\ is one backslash: PCRE then reads \x24
    (r'regex a\x24b', ['regex', 'a' + chr(0x4b)]),    # \xHH... takes every hex digit: 0x24b -> 0x4b
    (r'regex "a\"b"', ['regex', 'a"b']),
    (r'regex "a"b" c"', ['regex', 'ab c']),
    (r'regex "abc', None),                            # unmatched quote
])
def test_kacheck_reads_like_keepalived(line, words):
    assert kacheck.quoted_escaped(line) == words


def test_kacheck_compares_with_expect():
    text = '# virtual service w\nvirtual_server 203.0.113.1 80 {\n    regex "%s"\n}\n'
    svc = [{'name': 'w', 'health_check': {'type': 'http', 'expect': 'a.b (c)'}}]
    assert kacheck.check(text % r'a\\.b \\(c\\)', svc) == []
    assert any('no match' in p for p in kacheck.check(text % r'a\\.b \\(d\\)', svc))
    assert any('error' in p for p in kacheck.check(text % r'a(b', svc))
