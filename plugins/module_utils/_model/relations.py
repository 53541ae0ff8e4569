# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Relations across the whole inventory: what no single cluster can see on its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def check(model, chk):
    """Record every relation problem of the resolved inventory ``model`` in ``chk``."""
    return None
