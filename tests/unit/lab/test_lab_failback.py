# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/lab/lab_adapter.py's lab_cluster(): the lab's tests read who fails back from the model (cluster.failback),
resolved from inventories/lab on the controller; nothing of the lab is started."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
for _path in (os.path.join(ROOT, 'tests', 'lab'), os.path.join(ROOT, 'lab')):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import lab_adapter  # noqa: E402  pylint: disable=wrong-import-position,import-error


@pytest.mark.parametrize('backend, expected', [('keepalived', True), ('heartbeat_ldirectord', False), ('piranha', False)])
def test_lab_cluster_reads_the_models_failback(backend, expected):
    """inventories/lab with lab_backend=BACKEND, resolved with Ansible's inventory and the model as cluster_model does
    for the lab's playbooks: keepalived preempts, heartbeat's auto_failback is off, pulse never fails back."""
    assert lab_adapter.lab_cluster(backend) == {'primary': 'dr1', 'failback': {'expected': expected, 'delay_seconds': 0}}
