# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Red Hat install path of lvs.cluster.director_piranha, as far as it can be exercised without an EL system (no
container registry here, and piranha exists only for RHEL/CentOS <= 6):

1. the role's task list in install mode, in order (packages, sysctl, checker, lvs.cf, console, pulse);
2. a check-mode run on this machine with the facts of a CentOS 6 host injected (extra var ansible_facts): the role takes
   the Red Hat branch (not the "no piranha package" stop), probes for installed packages and then the repositories, and
   stops with the "no repository provides piranha" message; nothing is written.

Package installation, sysctl, the console password and the pulse service are not executed by any test here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import sys

import pytest

from lvs_helpers import playbook

INVENTORY = 'tests/render/piranha/inventories/seed/hosts.yml'
PLAY = 'tests/render/piranha/render.yml'
INSTALL_TASKS = [
    'Resolve the LVS model for this host',
    "Check the rendered lvs.cf against piranha's grammar",
    'Stop on systems without a piranha package',
    'Look for installed piranha packages',
    'Look for piranha in the package repositories',
    'Stop when no repository provides piranha',
    'Install piranha and ipvsadm',
    'Enable IP forwarding for NAT (both directors)',
    'Install the lvs.cf checker',
    'Write lvs.cf (identical on both directors)',
    'Write the web console password file',
    'Enable and start the web console',
    'Stop and disable the web console',
    'Enable and start pulse',
]


def test_install_mode_task_order(tmp_path):
    run = playbook('-i', INVENTORY, PLAY, '-e', 'render_out=%s' % (tmp_path / 'out'), '-e', 'director_piranha_config_only=false',
                   '--list-tasks', timeout=120)
    assert run.rc == 0, run.tail()
    names = re.findall(r'^ *lvs\.cluster\.director_piranha : (.*?)\tTAGS', run.output, re.M)
    positions = [names.index(name) if name in names else -1 for name in INSTALL_TASKS]
    assert -1 not in positions and positions == sorted(positions), \
        'install-mode tasks missing or out of order:\n  expected %s\n  listed   %s' % (INSTALL_TASKS, names)


@pytest.fixture(scope='module')
def centos6(tmp_path_factory):
    out = tmp_path_factory.mktemp('piranha-el') / 'el'
    facts = {'ansible_facts': {'os_family': 'RedHat', 'distribution': 'CentOS', 'distribution_major_version': '6',
                               'python': {'executable': sys.executable}}}
    return out, playbook('-i', INVENTORY, PLAY, '-e', 'render_out=%s' % out, '-e', 'director_piranha_config_only=false',
                         '-e', json.dumps(facts), '--check', timeout=300)


def test_centos6_stops_without_a_repository(centos6):
    out, run = centos6
    assert run.rc != 0, 'the EL run without a piranha repository must stop'
    assert 'TASK [lvs.cluster.director_piranha : Look for piranha in the package repositories]' in run.flat
    assert 'No configured repository of DR1 (CentOS 6) provides the piranha package' in run.flat, run.tail()


def test_centos6_takes_the_install_branch(centos6):
    assert 'packaged only for RHEL/CentOS up to 6' not in centos6[1].flat


def test_centos6_check_mode_writes_nothing(centos6):
    assert not centos6[0].exists()
