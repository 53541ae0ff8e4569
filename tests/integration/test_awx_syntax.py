# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every playbook an AWX job template runs, and awx/configure.yml itself, passes ``ansible-playbook --syntax-check``
against both shipped inventories (the job templates run them against inventories imported from inventories/)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from lvs_helpers import REPO, playbook

with open(os.path.join(REPO, 'awx', 'job_templates.yml')) as _src:
    PLAYBOOKS = ['awx/configure.yml'] + sorted(set(t['playbook'] for t in yaml.safe_load(_src)['lvs_awx_job_templates']))
INVENTORIES = ['inventories/prod', 'inventories/lab']


@pytest.mark.parametrize('path', PLAYBOOKS)
def test_job_template_playbook_exists(path):
    assert os.path.isfile(os.path.join(REPO, path)), '%s (run by an AWX job template) is not in the repository' % path


@pytest.mark.parametrize('inventory', INVENTORIES)
def test_syntax_check(inventory):
    """All the playbooks in one ansible-playbook run per inventory (one process: the run names a failing playbook)."""
    run = playbook('--syntax-check', '-i', inventory, *PLAYBOOKS, timeout=300)
    assert run.rc == 0, '-i %s:\n%s' % (inventory, run.tail())
    assert run.output.count('playbook: ') == len(PLAYBOOKS), run.output
