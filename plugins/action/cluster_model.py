# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.lvs.cluster.plugins.plugin_utils._inventory import LOCKSTEP_STRATEGIES, resolve, run_cache, scope_parts


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('host',))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        # _VALID_ARGS already refused any other option (the full argument-spec machinery costs more than the pick below)
        host = self._task.args.get('host')
        if host is not None and not isinstance(host, str):
            result.update(failed=True, msg='host must be an inventory host name (a string), got %s' % type(host).__name__)
            return result
        host = host or task_vars.get('inventory_hostname')
        # The model is built once per task execution (by the first worker) and each host reads its own result.
        cache = run_cache(getattr(C, 'DEFAULT_LOCAL_TMP', None))
        scope = None
        play = self._task.get_play() if hasattr(self._task, 'get_play') else None
        if cache is not None:
            scope = cache.scope(*scope_parts(task_vars, self._task._uuid, getattr(play, '_uuid', None)))
        check_own = str(getattr(play, 'strategy', None) or C.DEFAULT_STRATEGY) not in LOCKSTEP_STRATEGIES
        resolved, how = resolve(task_vars, str(host), cache, scope, check_own)
        result['changed'] = False
        result['model_cache'] = how
        if resolved['errors']:
            result['failed'] = True
            result['msg'] = 'The lvs.cluster inventory model is invalid for %s (run ansible-playbook lvs.cluster.site --tags lvs_validate):\n%s' % (
                host, '\n'.join('  - %s' % p for p in resolved['errors']))
            return result
        realserver = resolved['realserver']
        result['cluster'] = resolved['cluster']
        result['me'] = resolved['me']
        # what the backend's templates print: computed once in the backend's model module
        result['view'] = resolved['view']
        result['realserver'] = realserver if realserver['vips'] or realserver['nat_gateways'] else None
        if result['cluster'] is None and result['realserver'] is None and host not in task_vars.get('groups', {}).get('lvs_realservers', []):
            result['failed'] = True
            result['msg'] = 'Host %s is neither a director (group lvs_directors) nor a real server (group lvs_realservers)' % host
        return result
