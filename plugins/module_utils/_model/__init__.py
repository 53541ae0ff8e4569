# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lvs.cluster inventory model: defaults, validation and the resolved per-host views.

Pure Python (no Ansible imports) so that it can be unit tested and reused by every plugin. One module per concern:

* ``words``: names, enumerations and limits;
* ``grammar``: problems and the typed accessors that check a value's shape for the file it lands in;
* ``services``: virtual services and health checks;
* ``cluster``: the cluster-wide settings shared by every backend;
* ``keepalived``, ``heartbeat_ldirectord``, ``piranha``: one module per backend (defaults, rules, view);
* ``inventory``: the whole inventory (clusters, directors, real servers, relations) and each host's view.

The input is a mapping ``host -> vars`` (only the keys in ``READ_VARS`` are needed) and the inventory's
``groups`` mapping. See docs/model.md for the user-facing description.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import Problem  # noqa: F401
from ansible_collections.lvs.cluster.plugins.module_utils._model.inventory import Model, redact  # noqa: F401
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import READ_VARS  # noqa: F401
