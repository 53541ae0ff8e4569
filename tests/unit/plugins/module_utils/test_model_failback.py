# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster view's ``failback``: whether the first director takes the VIPs back when it returns, and the seconds its
backend waits on purpose first. One value derived per backend in the model, which the files the roles print agree
with, which docs/model.md documents, and which the lab's fault tests read for the lab inventory."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SERVICE = {'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr', 'forwarding': 'dr',
           'health_check': {'type': 'http', 'path': '/', 'status_code': 200}}
BACKEND_VARS = {
    'keepalived': {'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret1'}},
    'heartbeat_ldirectord': {'lvs_heartbeat': {'authkey': 'heartbeat-secret-0001'}},
    'piranha': {'lvs_piranha': {'keepalive': 2, 'deadtime': 10}},
}


def build(backend, **variables):
    """dr1, dr2 (cluster web of BACKEND; lvs_* VARIABLES merged into the backend's dicts) and rs1, rs2."""
    cluster = dict(copy.deepcopy(BACKEND_VARS[backend]), lvs_backend=backend, lvs_cluster_name='web', lvs_interface='eth0',
                   lvs_realserver_group='web_realservers', lvs_virtual_services=[SERVICE])
    for key, value in variables.items():
        cluster[key] = dict(cluster.get(key) or {}, **value)
    hostvars = dict(('dr%d' % i, dict(copy.deepcopy(cluster), ansible_host='203.0.113.1%d' % i)) for i in (1, 2))
    hostvars.update(('rs%d' % i, {'ansible_host': '203.0.113.2%d' % i}) for i in (1, 2))
    groups = {'all': sorted(hostvars), 'lvs_directors': ['dr1', 'dr2'], 'web_directors': ['dr1', 'dr2'],
              'lvs_realservers': ['rs1', 'rs2'], 'web_realservers': ['rs1', 'rs2']}
    model = Model(hostvars, groups)
    assert model.errors == [], [str(e) for e in model.errors]
    return model


def failback_of(model):
    cluster, me = model.director_view('dr1')
    assert me['role'] == 'primary'
    return cluster['failback']


@pytest.mark.parametrize('backend, variables, expected, delay', [
    # keepalived: preemption (the default), held back preempt_delay seconds after keepalived starts; nopreempt: never
    ('keepalived', {}, True, 0),
    ('keepalived', {'lvs_keepalived': {'preempt_delay': 30}}, True, 30),
    ('keepalived', {'lvs_keepalived': {'preempt': False}}, False, 0),
    ('keepalived', {'lvs_keepalived': {'preempt': False, 'preempt_delay': 30}}, False, 0),
    ('keepalived', {'lvs_keepalived': {'auth_type': 'AH', 'preempt_delay': 5}}, True, 5),
    # heartbeat: auto_failback (off by default), never delayed
    ('heartbeat_ldirectord', {}, False, 0),
    ('heartbeat_ldirectord', {'lvs_heartbeat': {'auto_failback': True}}, True, 0),
    ('heartbeat_ldirectord', {'lvs_heartbeat': {'auto_failback': True}, 'lvs_keepalived': {'preempt_delay': 30}}, True, 0),
    # piranha: pulse never fails back, whatever the other backends' settings say
    ('piranha', {}, False, 0),
    ('piranha', {'lvs_keepalived': {'preempt': True}, 'lvs_heartbeat': {'auto_failback': True}}, False, 0),
])
def test_failback_per_backend(backend, variables, expected, delay):
    assert failback_of(build(backend, **variables)) == {'expected': expected, 'delay_seconds': delay}


@pytest.mark.parametrize('variables', [{}, {'preempt_delay': 30}, {'preempt': False}, {'preempt': False, 'preempt_delay': 30}])
def test_keepalived_conf_says_what_failback_says(variables):
    model = build('keepalived', lvs_keepalived=variables)
    failback = failback_of(model)
    for host in ('dr1', 'dr2'):
        view = model.backend_view(host)
        for instance in view['instances']:
            assert instance['nopreempt'] is not failback['expected']
            assert instance['preempt_delay'] == (failback['delay_seconds'] or None)
    # keepalived keeps an initial MASTER only without nopreempt and preempt_delay
    assert model.backend_view('dr1')['state'] == ('MASTER' if failback['expected'] and not failback['delay_seconds'] else 'BACKUP')


@pytest.mark.parametrize('auto_failback', [False, True])
def test_ha_cf_says_what_failback_says(auto_failback):
    model = build('heartbeat_ldirectord', lvs_heartbeat={'auto_failback': auto_failback})
    assert model.backend_view('dr1')['heartbeat']['auto_failback'] == ('on' if failback_of(model)['expected'] else 'off')


def test_the_cluster_agrees_on_every_director():
    model = build('keepalived', lvs_keepalived={'preempt_delay': 12})
    want = {'expected': True, 'delay_seconds': 12}
    assert model.director_view('dr2')[0]['failback'] == model.director_view('dr1')[0]['failback'] == want


def test_invalid_backend_has_no_failback():
    hostvars = {'dr1': {'lvs_backend': 'vrrpd', 'ansible_host': '203.0.113.11', 'lvs_virtual_services': [SERVICE]}}
    model = Model(hostvars, {'lvs_directors': ['dr1'], 'lvs_realservers': []})
    assert model.errors and model.clusters['lvs']['failback'] is None


def test_docs_resolved_view_lists_every_cluster_key():
    """docs/model.md's resolved view names every key of the cluster view (failback among them) and no other."""
    with open(os.path.join(ROOT, 'docs', 'model.md')) as handle:
        doc = handle.read()
    section = doc[doc.index('\n## Resolved view'):]
    block = section[section.index('\ncluster:'):section.index('\nme:')]
    documented = set()
    for line in block.splitlines()[1:]:
        if not re.match(r'  [a-z]', line):  # only the cluster's own keys (two spaces in), not those of its lists
            continue
        line = re.sub(r'\{[^}]*\}', '{}', line.split('#', 1)[0])
        documented.update(re.findall(r'(?:^ {2}| {2})([a-z_0-9]+):', line))
    assert documented == set(build('keepalived').director_view('dr1')[0])
    assert 'failback: {expected:' in block and '| keepalived | `lvs_keepalived.preempt`' in section
