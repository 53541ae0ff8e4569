# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validation play runs on the controller only: a bad inventory of unreachable hosts fails with every problem."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PLAYBOOK = shutil.which('ansible-playbook')

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason='ansible-playbook is required (installed by make deps)')

BAD_INVENTORY = textwrap.dedent("""\
    all:
      children:
        lvs_directors:
          children:
            web_directors:
              hosts:
                dr1.nonexistent.invalid: {ansible_host: 203.0.113.250}
                dr2.nonexistent.invalid: {ansible_host: 203.0.113.251}
              vars:
                lvs_backend: keepalived
                lvs_keepalived: {vrid: 300, auth_pass: far-too-long-secret}
                lvs_virtual_services:
                  - {name: www, vip: 203.0.113.300, port: 80, scheduler: fastest}
                lvs_virtual_service: []
        lvs_realservers:
          hosts:
            rs1.nonexistent.invalid: {ansible_host: 203.0.113.252}
    """)


def run(inventory, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0')
    return subprocess.run([PLAYBOOK, 'site.yml', '-i', inventory] + list(extra), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_bad_inventory_fails_on_controller_before_any_host(tmp_path):
    inv = tmp_path / 'hosts.yml'
    inv.write_text(BAD_INVENTORY)
    proc = run(str(inv))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for path in ('lvs_keepalived.vrid', 'lvs_keepalived.auth_pass', 'lvs_virtual_services[0].vip',
                 'lvs_virtual_services[0].scheduler', 'lvs_virtual_service (host dr1.nonexistent.invalid)'):
        assert path in out, out
    assert 'misspelling of lvs_virtual_services' in out, out
    # Nothing tried to reach the (non-existent) hosts: no UNREACHABLE, no SSH.
    assert 'UNREACHABLE' not in out and 'ssh:' not in out, out
    assert 'far-too-long-secret' not in out
    assert 'Prepare the real servers' not in out


@pytest.mark.parametrize('inventory', ['inventories/prod', 'inventories/lab'])
def test_shipped_inventories_validate(inventory):
    proc = run(inventory, '--tags', 'lvs_validate')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'Inventory is valid' in proc.stdout or 'ok=' in proc.stdout
    # --tags lvs_validate runs the validation task and nothing else (no role, not even its argument-spec check)
    tasks = [line.split('[', 1)[1].rsplit(']', 1)[0] for line in proc.stdout.splitlines() if line.startswith('TASK [')]
    assert tasks == ['Check every lvs_* variable of the inventory'], proc.stdout
