# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the tests of tests/integration and tests/render share (tests/ is on sys.path: tests/conftest.py): the repository, this tree's ansible tools, and
ansible-playbook runs with their recap parsed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
BIN = os.path.dirname(sys.executable)
IN_CI = os.environ.get('CI', '').lower() in ('true', '1', 'yes')


def tool(name):
    """The venv's tool next to this Python, else the one on PATH."""
    path = os.path.join(BIN, name)
    return path if os.access(path, os.X_OK) else (shutil.which(name) or name)


def need(condition, why):
    """Skip a test whose tool or privilege is missing, except in CI where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail('%s (CI=true: a missing tool is a failure, not a skip)' % why)
    pytest.skip(why)


def need_root():
    need(os.geteuid() == 0, 'needs root (network and mount namespaces)')


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_RETRY_FILES_ENABLED='0',
               ANSIBLE_STDOUT_CALLBACK='default', PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    env.update(extra)
    return env


class Run(object):
    """An ansible-playbook run: rc, output (stdout and stderr together) and the recap {host: {ok: n, changed: n, ...}}."""

    def __init__(self, rc, output):
        self.rc = rc
        self.output = output
        self.recap = dict((m.group(1), dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', m.group(2))))
                          for m in re.finditer(r'^(\S+)\s+:\s+(ok=.*)$', output, re.M))

    @property
    def flat(self):
        """The output with every run of blanks and newlines squeezed to one space (for messages wrapped by the callback)."""
        return re.sub(r'\s+', ' ', self.output)

    def tail(self, chars=4000):
        return self.output[-chars:]


def playbook(*args, **kwargs):
    """Run ansible-playbook ARGS from the repository; keyword ``env`` adds environment variables, ``timeout`` bounds it,
    ``prefix`` is a command line that runs it (``ip netns exec NAME``)."""
    env = ansible_env(**kwargs.get('env', {}))
    proc = subprocess.run(list(kwargs.get('prefix', [])) + [tool('ansible-playbook')] + list(args), cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=kwargs.get('timeout', 600), check=False)
    return Run(proc.returncode, proc.stdout)


def molecule_playbook(path, *args, **kwargs):
    """From a molecule scenario's verifier: ansible-playbook PATH (relative to the scenario directory) against the
    scenario's inventory, with molecule's environment (its ansible.cfg, collections path) and plain output."""
    scenario = os.environ['MOLECULE_SCENARIO_DIRECTORY']
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_STDOUT_CALLBACK='default',
               ANSIBLE_RETRY_FILES_ENABLED='0')
    env.update(kwargs.get('env', {}))
    inventories = []
    # the whole molecule inventory (hosts, group_vars, host_vars) is the inventory file's directory
    for inventory in [os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])] + list(kwargs.get('inventories', [])):
        inventories += ['-i', inventory]
    proc = subprocess.run([tool('ansible-playbook')] + inventories + [os.path.join(scenario, path)] + list(args), env=env,
                          cwd=scenario, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=kwargs.get('timeout', 600), check=False)
    return Run(proc.returncode, proc.stdout)


def podman(*args, **kwargs):
    """podman ARGS: (rc, stdout + stderr)."""
    proc = subprocess.run(['podman'] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=kwargs.get('timeout', 120), check=False)
    return proc.returncode, proc.stdout
