# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The model is resolved once per task and each host reads its own view: same views as a fresh model, never stale,
no secret in clear on disk, and hosts unrelated to LVS are never read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import multiprocessing
import os
import shutil
import subprocess
import textwrap

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model
from ansible_collections.lvs.cluster.plugins.plugin_utils import _inventory
from ansible_collections.lvs.cluster.plugins.plugin_utils._inventory import (
    ViewCache, host_result, model_from_task_vars, read_inventory, resolve, run_cache, scope_parts,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SECRET = 'Vr7pQ2xZ'


class RecordingHostvars(object):
    """Stands in for Ansible's HostVars (a mapping host -> that host's variables) and records every host read."""

    def __init__(self, data):
        self.data = data
        self.reads = []

    def __contains__(self, host):
        return host in self.data

    def __getitem__(self, host):
        self.reads.append(host)
        return self.data[host]

    def __iter__(self):
        return iter(self.data)


def cluster(name, vrid, vip, realserver_group):
    return {
        'lvs_backend': 'keepalived', 'lvs_cluster_name': name, 'lvs_interface': 'eth0',
        'lvs_realserver_group': realserver_group,
        'lvs_keepalived': {'vrid': vrid, 'auth_pass': SECRET},
        'lvs_virtual_services': [{'name': 'www', 'vip': vip, 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr',
                                  'forwarding': 'dr', 'health_check': {'type': 'tcp'}}],
    }


def inventory(unrelated=20):
    """Two keepalived clusters (web, api), their real servers, and ``unrelated`` hosts that have nothing to do with LVS."""
    hostvars, groups = {}, {'all': [], 'lvs_directors': [], 'lvs_realservers': [], 'ungrouped': []}
    for name, vrid, net in (('web', 51, 1), ('api', 52, 2)):
        cvars = cluster(name, vrid, '203.0.113.%d0' % net, '%s_realservers' % name)
        groups['%s_directors' % name], groups['%s_realservers' % name] = [], []
        for i in (1, 2):
            host = 'dr%d.%s.invalid' % (i, name)
            hostvars[host] = dict(copy.deepcopy(cvars), ansible_host='203.0.113.%d%d' % (net, i), ansible_connection='local')
            for group in ('all', 'lvs_directors', '%s_directors' % name):
                groups[group].append(host)
        for i in (1, 2, 3):
            host = 'rs%d.%s.invalid' % (i, name)
            hostvars[host] = {'ansible_host': '198.51.100.%d%d' % (net, i), 'ansible_connection': 'local'}
            for group in ('all', 'lvs_realservers', '%s_realservers' % name):
                groups[group].append(host)
    groups['apps'] = []
    for i in range(unrelated):
        host = 'app%02d.unrelated.invalid' % i
        hostvars[host] = {'ansible_host': '198.51.100.%d' % (200 + i % 50), 'app_tier': 'front', 'lvs_note': 'not ours'}
        groups['all'].append(host)
        groups['apps'].append(host)
    return hostvars, groups


def lvs_hosts(groups):
    return groups['lvs_directors'] + groups['lvs_realservers']


def task_vars(hostvars, groups, play_hosts=None):
    play_hosts = lvs_hosts(groups) if play_hosts is None else play_hosts
    return {'hostvars': RecordingHostvars(hostvars), 'groups': groups, 'ansible_play_hosts_all': list(play_hosts),
            'ansible_play_batch': list(play_hosts)}


def fresh(hostvars, groups, host):
    """The result of ``host`` from a model built from scratch on plain dictionaries (no reader, no cache)."""
    return host_result(Model(copy.deepcopy(hostvars), groups), host)


def new_cache(path, key=None):
    return ViewCache(str(path), key or os.urandom(32))


# ---------------------------------------------------------------------------------------------- reading

def test_only_lvs_hosts_are_read_and_each_once():
    hostvars, groups = inventory(unrelated=200)
    tv = task_vars(hostvars, groups)
    model = model_from_task_vars(tv)
    for host in lvs_hosts(groups):
        host_result(model, host)
    reads = tv['hostvars'].reads
    assert sorted(reads) == sorted(lvs_hosts(groups))  # every LVS host once, no unrelated host
    assert model.errors == []


def test_a_real_server_group_outside_lvs_realservers_is_read_because_a_cluster_names_it():
    hostvars, groups = inventory(unrelated=5)
    groups['lvs_realservers'] = [h for h in groups['lvs_realservers'] if not h.endswith('.api.invalid')]
    tv = task_vars(hostvars, groups)
    data, _groups = read_inventory(tv)
    assert set(groups['api_realservers']) <= set(data)  # named by cluster api: read (so the model can report them)
    assert not any(h.startswith('app') for h in tv['hostvars'].reads)
    errors = [str(p) for p in Model(data, groups, data.other_names).errors]
    assert any('is not in group lvs_realservers' in e for e in errors), errors


def test_a_play_host_outside_lvs_is_read_only_for_its_own_view():
    hostvars, groups = inventory(unrelated=30)
    tv = task_vars(hostvars, groups, play_hosts=lvs_hosts(groups) + ['app03.unrelated.invalid'])
    result, how = resolve(tv, 'app03.unrelated.invalid')
    assert how == 'off' and result['cluster'] is None and result['realserver']['vips'] == []
    assert [h for h in tv['hostvars'].reads if h.startswith('app')] == ['app03.unrelated.invalid']


# ---------------------------------------------------------------------------------------------- the cache

def test_every_host_gets_the_view_of_a_fresh_model(tmp_path):
    hostvars, groups = inventory()
    cache = new_cache(tmp_path)
    scope = cache.scope('play', 'task-1')
    hows = []
    for host in lvs_hosts(groups):
        tv = task_vars(hostvars, groups)
        result, how = resolve(tv, host, cache, scope)
        hows.append(how)
        assert result == fresh(hostvars, groups, host), host
        assert result == resolve(task_vars(hostvars, groups), host)[0]  # the uncached path agrees
        if how == 'hit':
            assert tv['hostvars'].reads == [host]  # a host that reads its view reads its own variables only
    assert hows == ['built'] + ['hit'] * (len(hows) - 1)
    assert fresh(hostvars, groups, 'dr1.web.invalid')['cluster']['keepalived']['auth_pass'] == SECRET


def test_in_lockstep_a_host_reads_no_variable_at_all(tmp_path):
    hostvars, groups = inventory()
    cache = new_cache(tmp_path)
    scope = cache.scope('play', 'task-1')
    assert resolve(task_vars(hostvars, groups), 'dr1.web.invalid', cache, scope, check_own=False)[1] == 'built'
    for host in lvs_hosts(groups)[1:]:
        tv = task_vars(hostvars, groups)
        result, how = resolve(tv, host, cache, scope, check_own=False)
        assert how == 'hit' and tv['hostvars'].reads == [] and result == fresh(hostvars, groups, host)


def test_a_host_whose_variables_changed_is_not_served_stale(tmp_path):
    hostvars, groups = inventory()
    cache = new_cache(tmp_path)
    scope = cache.scope('play', 'task-1')
    assert resolve(task_vars(hostvars, groups), 'dr1.web.invalid', cache, scope)[1] == 'built'
    changed = copy.deepcopy(hostvars)
    changed['dr2.web.invalid']['lvs_priority'] = 120
    result, how = resolve(task_vars(changed, groups), 'dr2.web.invalid', cache, scope)
    assert how == 'built' and result['me']['priority'] == 120
    assert result == fresh(changed, groups, 'dr2.web.invalid')


def test_another_task_or_batch_or_run_never_reads_these_records(tmp_path):
    hostvars, groups = inventory()
    key = os.urandom(32)
    cache = new_cache(tmp_path, key)
    tv = task_vars(hostvars, groups)
    scope = cache.scope(*scope_parts(tv, 'task-1', 'play-1'))
    assert resolve(tv, 'dr1.web.invalid', cache, scope)[1] == 'built'
    assert resolve(task_vars(hostvars, groups), 'rs1.web.invalid', cache, scope)[1] == 'hit'
    # a later task: a real server's weight changed in between (another host's variable), the new task sees it
    changed = copy.deepcopy(hostvars)
    changed['rs1.web.invalid']['lvs_weight'] = 7
    tv2 = task_vars(changed, groups)
    later = cache.scope(*scope_parts(tv2, 'task-2', 'play-1'))
    result, how = resolve(tv2, 'dr1.web.invalid', cache, later)
    assert how == 'built'
    assert [rs['weight'] for rs in result['cluster']['virtual_services'][0]['real_servers']] == [7, 1, 1]
    # another batch of the same task (serial) is another scope
    tv3 = task_vars(changed, groups, play_hosts=groups['web_directors'])
    assert cache.scope(*scope_parts(tv3, 'task-2', 'play-1')) != later
    # another run (another key) finds nothing in the same directory
    assert resolve(task_vars(hostvars, groups), 'rs1.web.invalid', new_cache(tmp_path), scope)[1] == 'built'


def test_records_keep_no_secret_nor_host_name_in_clear_and_refuse_forgeries(tmp_path):
    hostvars, groups = inventory()
    cache = new_cache(tmp_path)
    scope = cache.scope('play', 'task-1')
    resolve(task_vars(hostvars, groups), 'dr1.web.invalid', cache, scope)
    names = os.listdir(str(tmp_path))
    assert len(names) >= len(lvs_hosts(groups))
    for name in names:
        assert 'invalid' not in name and 'web' not in name
        with open(os.path.join(str(tmp_path), name), 'rb') as f:
            blob = f.read()
        for clear in (SECRET, 'dr1.web.invalid', '203.0.113.10', 'keepalived'):
            assert clear.encode() not in blob
    # a record altered on disk is refused: the host's result is built again
    record = cache._name('record', scope, 'dr2.web.invalid')
    path = os.path.join(str(tmp_path), record)
    with open(path, 'rb') as f:
        blob = bytearray(f.read())
    blob[-1] ^= 1
    with open(path, 'wb') as f:
        f.write(bytes(blob))
    assert cache.get(scope, 'dr2.web.invalid') is None
    assert resolve(task_vars(hostvars, groups), 'dr2.web.invalid', cache, scope)[1] == 'built'


class NotPlain(object):
    pass


def test_records_load_back_as_they_were_and_only_plain_data_is_stored(tmp_path):
    cache = new_cache(tmp_path)
    record = ('d', {'set': {1, 2}, 'frozen': frozenset(['a']), 'tuple': (1, 'x'), 'int_keys': {80: 'http'}, 'none': None,
                    'bytes': b'\x00', 'float': 1.5, 'nested': [{'k': [True, False]}]})
    assert cache.put('s', {'h1': record})
    assert cache.get('s', 'h1') == record
    assert cache.put('s', {'h2': ('d', {'obj': NotPlain()})}) is False
    assert cache.get('s', 'h2') is None


def test_an_invalid_inventory_gives_each_host_its_errors(tmp_path):
    hostvars, groups = inventory()
    for host in groups['api_directors']:
        hostvars[host]['lvs_keepalived']['vrid'] = 300
    cache = new_cache(tmp_path)
    scope = cache.scope('play', 'task-1')
    for host in lvs_hosts(groups):
        result, _how = resolve(task_vars(hostvars, groups), host, cache, scope)
        assert result == fresh(hostvars, groups, host)
        assert bool(result['errors']) == host.endswith('.api.invalid'), host
        assert all(SECRET not in e for e in result['errors'])


def _worker(args):
    path, key, host, hostvars, groups = args
    result, how = resolve(task_vars(hostvars, groups), host, ViewCache(path, key), 'one-task')
    return host, how, result == fresh(hostvars, groups, host)


def test_forked_workers_build_the_model_once(tmp_path):
    hostvars, groups = inventory()
    key = os.urandom(32)
    jobs = [(str(tmp_path), key, host, hostvars, groups) for host in lvs_hosts(groups)]
    with multiprocessing.get_context('fork').Pool(4) as pool:
        done = pool.map(_worker, jobs, chunksize=1)
    assert [how for _h, how, _same in done].count('built') == 1
    assert all(same for _h, _how, same in done)


def test_no_shared_cache_in_the_process_that_made_the_key(tmp_path):
    # the key was made in this (pytest) process: nothing could share it, so nothing is written
    assert _inventory._RUN_KEY_PID == os.getpid()
    assert run_cache(str(tmp_path)) is None
    assert os.listdir(str(tmp_path)) == []


# ---------------------------------------------------------------------------------------------- through Ansible

PLAYBOOK = shutil.which('ansible-playbook')

PLAY = textwrap.dedent("""\
    - name: Resolve twice, with a weight changed in between
      hosts: lvs_directors:lvs_realservers
      gather_facts: false
      tasks:
        - name: Resolve the LVS model for this host
          lvs.cluster.cluster_model:
          register: first
          no_log: true
        - name: Change a real server's weight
          ansible.builtin.set_fact:
            lvs_weight: 9
          when: inventory_hostname == 'rs1.web.invalid'
        - name: Resolve again
          lvs.cluster.cluster_model:
          register: second
          no_log: true
        - name: Report how each host got its view (no secret)
          ansible.builtin.copy:
            dest: "{{ out }}"
            content: >-
              {{ {'first': ansible_play_hosts_all | map('extract', hostvars, ['first', 'model_cache']) | list,
                  'second': ansible_play_hosts_all | map('extract', hostvars, ['second', 'model_cache']) | list,
                  'weights': hostvars['dr1.web.invalid'].second.cluster.virtual_services[0].real_servers
                             | map(attribute='weight') | list,
                  'before': hostvars['dr1.web.invalid'].first.cluster.virtual_services[0].real_servers
                            | map(attribute='weight') | list} | to_json }}
            mode: '0600'
          run_once: true
          delegate_to: localhost
    """)


@pytest.mark.skipif(PLAYBOOK is None, reason='ansible-playbook is required (installed by make deps)')
def test_through_ansible_one_build_per_task_and_no_stale_view(tmp_path):
    hostvars, groups = inventory(unrelated=10)
    inv = {'all': {'children': {}, 'hosts': {}}}
    children = inv['all']['children']
    children['lvs_directors'] = {'children': dict((g, {'hosts': dict((h, hostvars[h]) for h in groups[g])})
                                                  for g in ('web_directors', 'api_directors'))}
    children['lvs_realservers'] = {'children': dict((g, {'hosts': dict((h, hostvars[h]) for h in groups[g])})
                                                    for g in ('web_realservers', 'api_realservers'))}
    children['apps'] = {'hosts': dict((h, hostvars[h]) for h in groups['apps'])}
    (tmp_path / 'hosts.json').write_text(json.dumps(inv))
    (tmp_path / 'play.yml').write_text(PLAY)
    out = tmp_path / 'out.json'
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-tmp'))
    proc = subprocess.run([PLAYBOOK, '-i', str(tmp_path / 'hosts.json'), str(tmp_path / 'play.yml'), '-e', 'out=%s' % out],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    n = len(lvs_hosts(groups))
    for task in ('first', 'second'):
        assert sorted(report[task]) == sorted(['built'] + ['hit'] * (n - 1)), report
    assert report['before'] == [1, 1, 1] and report['weights'] == [9, 1, 1]
    # the run's temporary directory (and the encrypted records in it) is gone with the run
    assert not [d for d in os.listdir(str(tmp_path / 'ansible-tmp')) if d.startswith('ansible-local-')]


@pytest.mark.skipif(PLAYBOOK is None, reason='ansible-playbook is required (installed by make deps)')
def test_validation_sees_a_director_group_outside_lvs_directors_from_its_group_vars_file(tmp_path):
    hostvars, groups = inventory(unrelated=3)
    inv = {'all': {'children': {
        'lvs_directors': {'children': {'web_directors': {'hosts': dict((h, hostvars[h]) for h in groups['web_directors'])}}},
        # api's directors are not under lvs_directors; their cluster variables come from group_vars/api_directors.yml
        'api_directors': {'hosts': dict((h, {'ansible_host': hostvars[h]['ansible_host'], 'ansible_connection': 'local'})
                                        for h in groups['api_directors'])},
        'lvs_realservers': {'children': dict((g, {'hosts': dict((h, hostvars[h]) for h in groups[g])})
                                             for g in ('web_realservers', 'api_realservers'))},
        'apps': {'hosts': dict((h, hostvars[h]) for h in groups['apps'])},
    }}}
    (tmp_path / 'hosts.json').write_text(json.dumps(inv))
    (tmp_path / 'group_vars').mkdir()
    api = dict((k, v) for k, v in hostvars['dr1.api.invalid'].items() if k.startswith('lvs_'))
    (tmp_path / 'group_vars' / 'api_directors.json').write_text(json.dumps(api))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0')
    proc = subprocess.run([PLAYBOOK, '-i', str(tmp_path / 'hosts.json'), 'playbooks/validate.yml'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert 'groups.api_directors' in out and 'not a child group of lvs_directors' in out, out
    assert SECRET not in out
    # placed under lvs_directors, the same inventory validates
    inv['all']['children']['lvs_directors']['children']['api_directors'] = inv['all']['children'].pop('api_directors')
    (tmp_path / 'hosts.json').write_text(json.dumps(inv))
    proc = subprocess.run([PLAYBOOK, '-i', str(tmp_path / 'hosts.json'), 'playbooks/validate.yml'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
