# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the daemon-parser matrix (``pytest -m daemons tests/daemons``): generated valid inventories, rendered through the
roles' real templates, judged by the daemons' own parsers.

Knobs (environment): ``LVS_DAEMONS_KEEPALIVED`` / ``LVS_DAEMONS_HEARTBEAT`` / ``LVS_DAEMONS_MODELS`` (number of models
per backend), ``LVS_DAEMONS_SEED`` (first seed; change it to explore new models), ``LVS_DAEMONS_OUT`` (where each
model, its rendered files and the daemon output are kept for a failure). With ``CI=true`` a missing daemon or missing
root privileges fail the tests instead of skipping them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import generate  # noqa: E402  (also makes the collection importable)

IN_CI = os.environ.get('CI', '').lower() in ('true', '1', 'yes')
FIRST_SEED = int(os.environ.get('LVS_DAEMONS_SEED', '0'))
OUT = os.environ.get('LVS_DAEMONS_OUT') or os.path.join(tempfile.gettempdir(), 'lvs-daemons')


def models(env, default):
    count = int(os.environ.get(env) or os.environ.get('LVS_DAEMONS_MODELS') or default)
    return list(range(FIRST_SEED, FIRST_SEED + count))


def need(condition, why):
    """Skip a test whose tool is missing, except in CI where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail('%s (CI=true: a missing daemon is a failure, not a skip)' % why)
    pytest.skip(why)


def need_root():
    need(os.geteuid() == 0, 'the daemon judges need root (namespaces, veth interfaces, bind mounts)')


def model_dir(backend, seed):
    """Where a model, its files and the daemon's answers are kept (printed in every failure)."""
    path = os.path.join(OUT, '%s-%s' % (backend, seed))
    os.makedirs(path, exist_ok=True)
    return path


def valid_inventory(backend, seed):
    """The generated inventory of ``seed``, written to ``model_dir``; fails when the model refuses it."""
    inv = generate.generate(backend, seed)
    where = model_dir(backend, seed)
    path = os.path.join(where, 'inventory.json')
    with open(path, 'w') as dst:
        json.dump(inv.as_dict(), dst, indent=1, sort_keys=True)
    errors = inv.model().errors
    if errors:
        pytest.fail('seed %s (%s): the model refuses a generated inventory (a generator bug, unless the model is wrong)\n'
                    'model: %s\n%s' % (seed, backend, path, '\n'.join('  - %s' % e for e in errors)), pytrace=False)
    return inv, where, path
