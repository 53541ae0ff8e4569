# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The in-process renderer (render.py) writes the same bytes as a real play: the lvs.cluster.cluster_model action
registered as the role registers it, the role's defaults and Debian values, and an ansible.builtin.template task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest
import yaml

from matrix import FIRST_SEED, model_dir, need, valid_inventory

import generate
import render

pytestmark = pytest.mark.daemons

PLAYBOOK = os.path.join(render.REPO, '.venv', 'bin', 'ansible-playbook')
PLAY = '''
- name: Render the role's templates for every director, as the role does
  hosts: lvs_directors
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    parity_role_dir: "%(repo)s/roles/%(role)s"
  tasks:
    - name: Resolve the model
      lvs.cluster.cluster_model:
      register: __%(role)s_model

    - name: Load the role defaults and the Debian values
      ansible.builtin.include_vars:
        file: "{{ item }}"
      loop:
        - "{{ parity_role_dir }}/defaults/main.yml"
        - "{{ parity_role_dir }}/vars/Debian.yml"

    - name: Render
      ansible.builtin.template:
        src: "{{ parity_role_dir }}/templates/{{ item.key }}"
        dest: "{{ parity_out }}/{{ inventory_hostname }}/{{ item.value | replace('/', '_') }}"
        mode: "0600"
      loop: "{{ parity_files | dict2items }}"
'''


def _inventory_yaml(inv):
    """The generated inventory as an Ansible YAML inventory (director group under lvs_directors, real-server groups
    under lvs_realservers, every host's variables on the host)."""
    children = {}
    dgroup = '%s_directors' % inv.cluster_name
    for name, members in inv.groups.items():
        if name in ('all', 'ungrouped', 'lvs_directors', 'lvs_realservers'):
            continue
        children[name] = {'hosts': dict((h, None) for h in members)}
    tree = {'all': {
        'hosts': dict((h, v) for h, v in inv.hostvars.items()),
        'children': {
            'lvs_directors': {'children': {dgroup: children.pop(dgroup)}},
            'lvs_realservers': {'children': children},
        },
    }}
    return yaml.safe_dump(tree, sort_keys=True, width=1000)


def _plain(inv):
    """True when no value looks like Jinja (Ansible would template inventory strings)."""
    text = json.dumps(inv.hostvars)
    return not any(mark in text for mark in ('{{', '{%', '{#'))


def _seeds(backend, count):
    out, seed = [], FIRST_SEED
    while len(out) < count and seed < FIRST_SEED + 200:
        inv = generate.generate(backend, seed)
        if _plain(inv) and not inv.model().errors:
            out.append(seed)
        seed += 1
    return out


@pytest.mark.parametrize('backend', sorted(render.ROLES))
def test_in_process_render_equals_a_real_template_task(backend):
    need(os.path.exists(PLAYBOOK), 'ansible-playbook not found in the venv (%s)' % PLAYBOOK)
    role = render.ROLES[backend]
    for seed in _seeds(backend, int(os.environ.get('LVS_DAEMONS_PARITY', '1'))):
        inv, where, model_path = valid_inventory(backend, seed)
        work = os.path.join(model_dir(backend, seed), 'parity')
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        with open(os.path.join(work, 'inventory.yml'), 'w') as dst:
            dst.write(_inventory_yaml(inv))
        with open(os.path.join(work, 'play.yml'), 'w') as dst:
            dst.write(PLAY % {'repo': render.REPO, 'role': role})
        out = os.path.join(work, 'play-out')
        for host in inv.directors:
            os.makedirs(os.path.join(out, host))
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(render.REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_LOCALHOST_WARNING='false')
        extra = json.dumps({'parity_out': out, 'parity_files': render.FILES[backend]})
        proc = subprocess.run([PLAYBOOK, '-i', os.path.join(work, 'inventory.yml'), os.path.join(work, 'play.yml'),
                               '-e', extra], capture_output=True, text=True, env=env, cwd=render.REPO, timeout=600,
                              check=False)
        assert proc.returncode == 0, 'seed %s: the parity play failed (model %s)\n%s%s' % (
            seed, model_path, proc.stdout[-3000:], proc.stderr[-3000:])
        mine = render.render_all(backend, inv, os.path.join(work, 'in-process'))
        for host in inv.directors:
            for name, path in mine[host].items():
                with open(path) as src:
                    expected = src.read()
                with open(os.path.join(out, host, name.replace('/', '_'))) as src:
                    played = src.read()
                assert expected == played, 'seed %s %s %s: the in-process render differs from the template task (%s)' % (
                    seed, host, name, work)
