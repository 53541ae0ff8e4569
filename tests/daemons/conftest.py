# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest configuration of the daemon-parser matrix (see matrix.py): the ``daemons`` marker, and this directory on
sys.path for the matrix's helper modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def pytest_configure(config):
    config.addinivalue_line('markers', 'daemons: the daemon-parser matrix (keepalived -t, ldirectord, heartbeat rules); '
                                       'needs root and the daemons')
