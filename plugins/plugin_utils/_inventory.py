# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side helper: build the lvs.cluster model from an action plugin's task_vars."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleError
from ansible.module_utils.six import string_types

from ansible_collections.lvs.cluster.plugins.module_utils._model import READ_VARS, Model


def _native(value):
    """Strip Ansible's tagged/unsafe wrappers so the model sees plain Python types."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, string_types):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return dict((_native(k), _native(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_native(v) for v in value]
    return value


def model_from_task_vars(task_vars):
    """Return the Model of the whole inventory as seen by this task."""
    groups = task_vars.get('groups') or {}
    hostvars = task_vars.get('hostvars') or {}
    wanted = set(groups.get('lvs_directors', [])) | set(groups.get('lvs_realservers', []))
    for members in groups.values():
        wanted.update(members)
    data = {}
    other_names = {}
    for host in wanted:
        try:
            hv = hostvars[host]
        except KeyError:
            continue
        # Names only (never values): misspelt model variables are reported by the model.
        other_names[host] = [key for key in hv if isinstance(key, string_types) and key.startswith('lvs_')
                             and key not in READ_VARS]
        entry = {}
        for key in READ_VARS:
            try:
                if key in hv:
                    entry[key] = _native(hv[key])
            except AnsibleError as exc:
                raise AnsibleError('lvs.cluster: cannot template %s for host %s: %s' % (key, host, exc))
        data[host] = entry
    return Model(data, dict((g, list(h)) for g, h in groups.items()), other_names)
