# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One pytest tree: every test is marked by the directory it lives in (the markers are registered in pytest.ini).

    tests/unit     -> unit       tests/integration -> integration    tests/render -> render
    tests/daemons  -> daemons    tests/lab         -> lab            tests/dist   -> dist

so ``pytest -m unit``, ``-m integration``, ``-m render``, ``-m daemons`` and ``-m lab`` select the suites, and ``pytest -m "not lab"`` runs
everything this machine can run in one summary. A test may carry more markers of its own (``slow``).

With ``CI=true`` the tests that need network namespaces (the vip_probe module in tests/unit) must run: a skip there would
hide a probe that was never measured.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
BY_DIRECTORY = {'unit': 'unit', 'integration': 'integration', 'render': 'render', 'daemons': 'daemons', 'lab': 'lab', 'dist': 'dist'}

if os.environ.get('CI', '').lower() in ('true', '1', 'yes'):
    os.environ.setdefault('LVS_TESTS_NETNS', 'require')


def pytest_collection_modifyitems(config, items):
    for item in items:
        rel = os.path.relpath(str(item.path), TESTS)
        top = rel.split(os.sep, 1)[0]
        marker = BY_DIRECTORY.get(top)
        if marker and not rel.startswith('..'):
            item.add_marker(getattr(pytest.mark, marker))
