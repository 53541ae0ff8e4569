# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES users read in ansible-doc, exercised.

- every module's EXAMPLES parse, and each lvs.cluster task uses only options its DOCUMENTATION declares;
- the examples that need no IPVS kernel, no VIP and no other host run for real on localhost: lvscf_validate (all of
  them; the in-place path is pointed at a copy), validate_inventory and cluster_model on an inventory of their own,
  client_probe's clock; ipvs, ipvs_info and vip_probe change or probe the kernel and the segment, so their examples are
  checked here by --syntax-check and option names, and run against the lab's kernel by tests/lab;
- every role's argument_specs carry examples (ansible-doc -t role shows them), which name the role, set only its
  options, and pass --syntax-check.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p))) for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')))
# Modules whose examples run on localhost here; the others touch IPVS, VIPs or other hosts.
RUN_HERE = ('lvscf_validate', 'validate_inventory', 'cluster_model')


def module_docs(path):
    out = {}
    for node in ast.parse(open(path).read()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], 'id', None) in ('DOCUMENTATION', 'EXAMPLES'):
            out[node.targets[0].id] = node.value.value
    return yaml.safe_load(out['DOCUMENTATION']), yaml.safe_load(out['EXAMPLES'])


def tasks_of(examples):
    """The tasks of an EXAMPLES block (a task list, or plays holding tasks)."""
    for item in examples:
        if 'hosts' in item:
            for task in item.get('tasks', []):
                yield task
        else:
            yield item


def env():
    out = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    out.update({'ANSIBLE_COLLECTIONS_PATH': os.path.join(ROOT, 'collections'), 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_GATHERING': 'explicit',
                'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false'})
    return out


def playbook(cwd, *args):
    return subprocess.run([os.path.join(BIN, 'ansible-playbook')] + list(args), cwd=str(cwd), env=env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)


@pytest.mark.unit
@pytest.mark.parametrize('path', MODULES, ids=lambda p: os.path.basename(p)[:-3])
def test_module_examples_use_declared_options(path):
    name = os.path.basename(path)[:-3]
    doc, examples = module_docs(path)
    assert isinstance(examples, list) and examples, 'EXAMPLES of %s is empty' % name
    assert '(!UNKNOWN)' not in ' '.join(doc['author'])
    options = set(doc.get('options') or {})
    used = 0
    for task in tasks_of(examples):
        args = task.get('lvs.cluster.' + name)
        if 'lvs.cluster.' + name not in task:
            continue
        used += 1
        assert set(args or {}) <= options, '%s example %r uses undeclared options %s' % (name, task.get('name'), set(args or {}) - options)
    assert used, 'no example of %s calls lvs.cluster.%s' % (name, name)


@pytest.mark.slow
@pytest.mark.parametrize('path', MODULES, ids=lambda p: os.path.basename(p)[:-3])
def test_module_examples_pass_syntax_check(path, tmp_path):
    examples = module_docs(path)[1]
    plays = examples
    if not any('hosts' in item for item in examples):
        plays = [{'name': 'examples', 'hosts': 'localhost', 'gather_facts': False, 'tasks': examples}]
    (tmp_path / 'examples.yml').write_text(yaml.safe_dump(plays))
    res = playbook(tmp_path, '-i', 'localhost,', 'examples.yml', '--syntax-check')
    assert res.returncode == 0, res.stdout


INVENTORY = '''---
all:
  children:
    lvs_directors:
      children:
        web_directors:
          hosts:
            lb1: {ansible_host: 203.0.113.11}
            lb2: {ansible_host: 203.0.113.12}
          vars:
            lvs_cluster_name: web
            lvs_backend: keepalived
            lvs_interface: eth0
            lvs_realserver_group: web_realservers
            lvs_keepalived: {vrid: 51, auth_type: PASS, auth_pass: s3cret}
            lvs_virtual_services:
              - {name: www, vip: 203.0.113.100, port: 80, protocol: tcp, scheduler: rr, forwarding: dr, health_check: {type: tcp}}
    lvs_realservers:
      children:
        web_realservers:
          hosts:
            rs1: {ansible_host: 203.0.113.21}
            rs2: {ansible_host: 203.0.113.22}
'''


@pytest.mark.slow
@pytest.mark.parametrize('name', RUN_HERE)
def test_module_examples_run(name, tmp_path):
    """The examples run unchanged on this host (only the in-place lvs.cf path points at a copy of the inline example)."""
    examples = module_docs(os.path.join(ROOT, 'plugins', 'modules', name + '.py'))[1]
    (tmp_path / 'inventory.yml').write_text(INVENTORY)
    if name == 'lvscf_validate':
        inline = [t for t in examples if 'content' in (t.get('lvs.cluster.lvscf_validate') or {})
                  and '{{' not in t['lvs.cluster.lvscf_validate']['content']]
        assert inline, 'lvscf_validate has no inline example'
        text = inline[0]['lvs.cluster.lvscf_validate']['content']
        (tmp_path / 'files').mkdir()
        (tmp_path / 'files' / 'lvs.cf').write_text(text)
        (tmp_path / 'lvs.cf').write_text(text)
        for task in examples:
            args = task.get('lvs.cluster.lvscf_validate') or {}
            if 'path' in args:
                args['path'] = str(tmp_path / 'lvs.cf')
    if any('hosts' in item for item in examples):
        plays = examples
    else:
        # modules that read the inventory model run for an LVS host (cluster_model), delegated nowhere: connection local
        plays = [{'name': 'examples', 'hosts': 'lb1' if name == 'cluster_model' else 'localhost', 'gather_facts': False,
                  'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}, 'tasks': examples}]
    (tmp_path / 'examples.yml').write_text(yaml.safe_dump(plays))
    res = playbook(tmp_path, '-i', 'inventory.yml', 'examples.yml')
    assert res.returncode == 0, res.stdout
    assert 'failed=0' in res.stdout


@pytest.mark.slow
@pytest.mark.parametrize('role', ROLES)
def test_role_examples(role, tmp_path):
    with open(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')) as f:
        spec = yaml.safe_load(f)['argument_specs']['main']
    assert spec.get('examples'), 'roles/%s/meta/argument_specs.yml has no examples (ansible-doc -t role shows none)' % role
    plays = yaml.safe_load(spec['examples'])
    assert isinstance(plays, list) and plays
    options = set(spec.get('options') or {})
    for play in plays:
        entries = [r if isinstance(r, dict) else {'role': r} for r in play.get('roles', [])]
        assert [e['role'] for e in entries] == ['lvs.cluster.' + role], play.get('name')
        for entry in entries:
            assert set(entry.get('vars') or {}) <= options, 'undeclared options in %s: %s' % (play.get('name'), set(entry['vars']) - options)
    (tmp_path / 'example.yml').write_text(spec['examples'])
    res = playbook(tmp_path, '-i', 'localhost,', 'example.yml', '--syntax-check')
    assert res.returncode == 0, res.stdout
    doc = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'role', 'lvs.cluster.' + role], env=env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    assert doc.returncode == 0 and 'EXAMPLES' in doc.stdout, doc.stdout[-2000:]
