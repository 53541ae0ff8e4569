# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render matrix of roles/director_keepalived/templates/keepalived.conf.j2 (see keepalived/README.md).

1. Every fixture (keepalived/base.yml merged with keepalived/fixtures/NAME.yml) goes through the model's own
   keepalived.view() and the role's real template, rendered in process by Ansible's own templating with the role's
   defaults and vars (tests/daemons/render.py, whose bytes test_render_parity.py holds equal to a real play's): the
   lines it expects, forbids and counts, one keyword or brace per line.
2. The real cluster_model plugin over keepalived/inventory (render-inventory.yml): one file per director.
3. keepalived itself judges every file (``keepalived -t -l`` in throw-away namespaces, tests/daemons/judges.py): exit 0
   and not one warning. Broken copies of good files (the anchors' mistakes) must be rejected.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from lvs_helpers import REPO, need, need_root, playbook

sys.path.insert(0, os.path.join(REPO, 'tests', 'daemons'))
import generate  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import  (puts the collection on sys.path)
import judges  # noqa: E402  pylint: disable=wrong-import-position
import render  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.lvs.cluster.plugins.module_utils._model import keepalived  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.join(REPO, 'tests', 'render', 'keepalived')
FIXTURES = sorted(f[:-len('.yml')] for f in os.listdir(os.path.join(HERE, 'fixtures')) if f.endswith('.yml'))
with open(os.path.join(HERE, 'inventory', 'hosts.yml')) as _src:
    _INVENTORY = yaml.safe_load(_src)
DIRECTORS = sorted(h for g in _INVENTORY['all']['children']['lvs_directors']['children'].values() for h in g['hosts'])

# The world keepalived -t sees (the fixtures name these): eth0 with both directors' addresses and an IPv6 one, eth1 (the
# NAT inside segment), the script user, and root-owned scripts under /etc/keepalived/scripts.
INTERFACES = ['eth0', 'eth1']
ADDRESSES = [('eth0', '203.0.113.11'), ('eth0', '203.0.113.12'), ('eth0', '2001:db8::11'), ('eth1', '198.51.100.2')]
USERS = ['keepalived_script']
SCRIPTS = ['/etc/keepalived/scripts/check_app.sh', '/etc/keepalived/scripts/notify.sh']

# (name, fixture whose rendered file is broken, regex to find, replacement, count): keepalived -t must fail on each.
NEGATIVE = [
    ('nb_get_retry in HTTP_GET (deprecated)', '02-http-get', r'(?m)^(\s+)retry (\d+)$', r'\1nb_get_retry \2', 1),
    ('nb_get_retry in TCP_CHECK (unknown)', '01-tcp-dr-multicast-pass', r'(?m)^(\s+)retry (\d+)$', r'\1nb_get_retry \2', 1),
    ('auth_pass longer than 8 characters', '01-tcp-dr-multicast-pass', r'auth_pass "[^"]*"', 'auth_pass "123456789"', 1),
    ('authentication block on one line', '01-tcp-dr-multicast-pass',
     r'(?s)authentication \{\n\s+auth_type PASS\n\s+auth_pass (\S+)\n\s+\}', r'authentication { auth_type PASS auth_pass \1 }', 1),
    ('scripts without enable_script_security', '17-track-notify-scripts', r'(?m)^\s+enable_script_security\n', '', 1),
    ('unknown scheduler', '09-tun', r'lvs_sched wlc', 'lvs_sched bogus', 1),
    ('VRRP interface that does not exist', '01-tcp-dr-multicast-pass', r'(?m)^    interface eth0$', '    interface eth9', 1),
    ('stray closing brace after DNS_CHECK', '05-dns-check-udp', r'(?m)^(            name \S+\n        \})$', r'\1\n        }', 1),
    ('checker block opened on the real_server line', '04-misc-check', r'(?s)\{\n        weight 1\n        MISC_CHECK \{',
     '{ weight 1 MISC_CHECK {', 1),
]


class NoInventory(object):
    """The fixtures are views: the template reads no group and no other host."""
    groups = {}
    hostvars = {}


NO_INVENTORY = NoInventory()


def merge(base, over):
    """base with over merged in: dictionaries recursively, anything else (lists included) replaced."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(base.get(key), value) if key in base else value
    return out


def fixture(name):
    with open(os.path.join(HERE, 'fixtures', name + '.yml')) as src:
        return yaml.safe_load(src)


def fixture_view(base, name):
    data = fixture(name)
    cluster = merge(base['cluster'], data.get('cluster') or {})
    if 'services' in data:
        cluster['virtual_services'] = [merge(base['cluster']['virtual_services'][0], svc) for svc in data['services']]
    return keepalived.view(cluster, merge(base['me'], data.get('me') or {}))


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """{'fixtures': {name: path}, 'inventory': {host: path}, 'negative': {label: path or None}}."""
    work = tmp_path_factory.mktemp('keepalived-render')
    with open(os.path.join(HERE, 'base.yml')) as src:
        base = yaml.safe_load(src)
    out, inv_out = work / 'out', work / 'inventory-out'
    out.mkdir()
    inv_out.mkdir()
    for name in FIXTURES:
        text = render.render('keepalived', 'keepalived.conf.j2', NO_INVENTORY, 'dr1', {'view': fixture_view(base, name)})
        (out / (name + '.conf')).write_text(text)
    run = playbook('-i', os.path.join(HERE, 'inventory', 'hosts.yml'), os.path.join(HERE, 'render-inventory.yml'), '-e', 'out_dir=%s' % inv_out)
    assert run.rc == 0, 'render-inventory.yml:\n%s' % run.tail()
    files = {'fixtures': dict((name, str(out / (name + '.conf'))) for name in FIXTURES),
             'inventory': dict((host, str(inv_out / ('inventory-%s.conf' % host))) for host in DIRECTORS), 'negative': {}}
    for index, (label, source, pattern, repl, want) in enumerate(NEGATIVE):
        with open(files['fixtures'][source]) as src:
            broken, subs = re.subn(pattern, repl, src.read(), count=want)
        path = None
        if subs == want:
            path = str(out / ('negative-%d.conf' % index))
            with open(path, 'w') as dst:
                dst.write(broken)
        files['negative'][label] = path
    return files


@pytest.fixture(scope='module')
def verdicts(rendered):
    """keepalived -t on every rendered and broken file, two at a time (the CI machine has two cores): {path: verdict}."""
    need_root()
    need(judges.have(judges.KEEPALIVED), 'keepalived is not installed (%s)' % judges.KEEPALIVED)
    paths = [p for group in rendered.values() for p in group.values() if p and os.path.exists(p)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(lambda p: judges.keepalived_judge(p, INTERFACES, ADDRESSES, USERS, SCRIPTS), paths)))


def assert_clean(verdict):
    clean, rc, output, warnings = verdict
    assert clean, 'keepalived -t exited %d with %d line(s) (a clean file prints none):\n%s' % (rc, len(warnings), output)


@pytest.mark.parametrize('name', FIXTURES)
def test_fixture_lines(rendered, name):
    data = fixture(name)
    assert data.get('description') and data.get('expect_lines'), 'a fixture needs a description and at least one expect_lines entry'
    with open(rendered['fixtures'][name]) as src:
        text = src.read()
    problems = ['missing line /%s/' % p for p in data['expect_lines'] if not re.search(p, text, re.M)]
    problems += ['forbidden text /%s/ present' % p for p in data.get('absent_lines', []) if re.search(p, text, re.M)]
    for pattern, count in (data.get('count_lines') or {}).items():
        found = len(re.findall(pattern, text, re.M))
        if found != count:
            problems.append('/%s/ found %d times, want %d' % (pattern, found, count))
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.lstrip().startswith('#') and (line.count('{') + line.count('}') > 1 or re.search(r'\{\s*\S', line)):
            problems.append('line %d has more than one keyword/brace: %r' % (lineno, line))
    assert not problems, '%s (%s):\n  %s' % (name, data['description'], '\n  '.join(problems))


@pytest.mark.parametrize('name', FIXTURES)
def test_keepalived_accepts_fixture(rendered, verdicts, name):
    assert_clean(verdicts[rendered['fixtures'][name]])


@pytest.mark.parametrize('host', DIRECTORS)
def test_model_plugin_view(rendered, verdicts, host):
    with open(rendered['inventory'][host]) as src:
        text = src.read()
    assert re.search(r'(?m)^    router_id %s$' % re.escape(host), text)
    assert not [p for p in (r'nb_get_retry', r'\blb_algo\b', r'\blb_kind\b') if re.search(p, text)]
    assert_clean(verdicts[rendered['inventory'][host]])


@pytest.mark.parametrize('label', [n[0] for n in NEGATIVE])
def test_keepalived_rejects_broken_file(rendered, verdicts, label):
    path = rendered['negative'][label]
    assert path, 'the mutation did not apply to its fixture'
    assert verdicts[path][1] != 0, 'keepalived -t exited 0 on a broken file (%s)' % label
