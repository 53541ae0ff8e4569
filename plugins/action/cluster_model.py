# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.lvs.cluster.plugins.plugin_utils._inventory import model_from_task_vars


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('host',))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=dict(host=dict(type='str')))[1]
        host = args['host'] or task_vars.get('inventory_hostname')
        model = model_from_task_vars(task_vars)
        result['changed'] = False
        errors = model.errors_for(host)
        if errors:
            result['failed'] = True
            result['msg'] = 'The lvs.cluster inventory model is invalid for %s (run site.yml --tags lvs_validate):\n%s' % (
                host, '\n'.join('  - %s' % p for p in errors))
            return result
        cluster, me = model.director_view(host)
        realserver = model.realserver_view(host)
        result['cluster'] = cluster
        result['me'] = me
        # what the backend's templates print: computed once in the backend's model module
        result['view'] = model.backend_view(host)
        result['realserver'] = realserver if realserver['vips'] or realserver['nat_gateways'] else None
        if cluster is None and result['realserver'] is None and host not in task_vars.get('groups', {}).get('lvs_realservers', []):
            result['failed'] = True
            result['msg'] = 'Host %s is neither a director (group lvs_directors) nor a real server (group lvs_realservers)' % host
        return result
