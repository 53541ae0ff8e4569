# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes shared by the collection's controller-only action plugins."""

    # Read-only plugins that run on the controller and never contact a managed host.
    CONTROLLER = r"""
attributes:
  check_mode:
    support: full
    description: Reads variables only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Returns no diff; nothing is changed.
  action:
    support: full
    description: Runs entirely on the controller; the managed host is never contacted.
"""
