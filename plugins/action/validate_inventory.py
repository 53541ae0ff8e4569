# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.lvs.cluster.plugins.plugin_utils._inventory import group_tree, model_from_task_vars

display = Display()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('fail_on_warnings',))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=dict(fail_on_warnings=dict(type='bool', default=False)))[1]
        task_vars = task_vars or {}
        # the group tree (groups and their own lvs_backend / lvs_cluster_name) lets the model see director groups placed
        # outside lvs_directors and hosts in two clusters' groups; it reads groups, never hosts
        model = model_from_task_vars(task_vars, group_tree(task_vars))
        for warning in model.warnings:
            display.warning('lvs.cluster: %s' % warning)
        result['changed'] = False
        result['problems'] = [p.as_dict() for p in model.problems]
        result['clusters'] = dict(
            (name, {'backend': c['backend'], 'directors': [d['host'] for d in c.get('directors', [])],
                    'services': len(c['virtual_services'])})
            for name, c in model.clusters.items())
        bad = model.errors + (model.warnings if args['fail_on_warnings'] else [])
        if bad:
            result['failed'] = True
            result['msg'] = 'The inventory has %d problem(s); nothing was changed:\n%s' % (
                len(bad), '\n'.join('  - %s' % p for p in bad))
        else:
            result['msg'] = 'Inventory is valid: %d cluster(s), %d warning(s)' % (len(model.clusters), len(model.warnings))
        return result
