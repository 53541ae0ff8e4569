# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived backend: its defaults, its rules and its view."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import str_list
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import NAME_RE

KEEPALIVED_DEFAULTS = {
    'vrid': 51,
    'unicast': False,
    'auth_type': 'PASS',
    'auth_pass': None,
    'advert_int': 1,
    'preempt': True,
    'preempt_delay': 0,
    'track_interfaces': [],
    'track_scripts': [],
    'notify': {},
    'script_user': 'keepalived_script',
    'router_id': None,
}
TRACK_SCRIPT_DEFAULTS = {'interval': 2, 'weight': 0, 'fall': 2, 'rise': 2}


def settings(chk, hv, c, backend, host):
    """Normalise lvs_keepalived (read for every backend: lvs_sync_id defaults to its vrid)."""
    ka = chk.dict_of(hv.get('lvs_keepalived'), 'lvs_keepalived', KEEPALIVED_DEFAULTS, host)
    ka['vrid'] = chk.integer(ka['vrid'], 'lvs_keepalived.vrid', 1, 255,
                             'choose a VRRP router id between 1 and 255, unique on the L2 segment', host)
    ka['unicast'] = bool(chk.boolean(ka['unicast'], 'lvs_keepalived.unicast', host))
    ka['preempt'] = bool(chk.boolean(ka['preempt'], 'lvs_keepalived.preempt', host))
    ka['preempt_delay'] = chk.integer(ka['preempt_delay'], 'lvs_keepalived.preempt_delay', 0, 1000, host=host)
    ka['advert_int'] = chk.number(ka['advert_int'], 'lvs_keepalived.advert_int', 0.01, 255, host)
    c['sync_id'] = chk.integer(hv.get('lvs_sync_id', ka['vrid'] or 0), 'lvs_sync_id', 0, 255, host=host)
    if backend == 'keepalived':
        if chk.choice(ka['auth_type'], 'lvs_keepalived.auth_type', ('PASS', 'AH', 'none'), host) in ('PASS', 'AH'):
            secret = ka['auth_pass']
            if not isinstance(secret, str) or not secret:
                chk.error('lvs_keepalived.auth_pass', 'is required with auth_type %s' % ka['auth_type'],
                          'set a secret of 1-8 characters (vault it), or auth_type: none', host)
            elif len(secret) > 8:
                chk.error('lvs_keepalived.auth_pass',
                          'is %d characters long; keepalived uses only the first 8 and its config test fails' % len(secret),
                          'use at most 8 characters', host)
        if ka['auth_type'] == 'AH' and ka['unicast']:
            chk.warn('lvs_keepalived.auth_type', 'AH authentication is deprecated by RFC 3768 and rarely interoperable',
                     'prefer PASS or none with unicast peers on a trusted segment', host)
    ka['track_interfaces'] = str_list(chk, ka['track_interfaces'], 'lvs_keepalived.track_interfaces', host)
    scripts = []
    if not isinstance(ka['track_scripts'], list):
        chk.error('lvs_keepalived.track_scripts', 'must be a list', 'write [{name: chk_x, script: /path}]', host)
    else:
        for i, raw in enumerate(ka['track_scripts']):
            p = 'lvs_keepalived.track_scripts[%d]' % i
            ts = chk.dict_of(raw, p, dict(TRACK_SCRIPT_DEFAULTS, name=None, script=None), host)
            chk.string(ts['name'], p + '.name', 'name the script with letters, digits, "_" or "-"', NAME_RE, host)
            chk.string(ts['script'], p + '.script', 'give the command to run, an absolute path first', host=host)
            ts['interval'] = chk.integer(ts['interval'], p + '.interval', 1, 3600, host=host)
            ts['weight'] = chk.integer(ts['weight'], p + '.weight', -253, 253, host=host)
            ts['fall'] = chk.integer(ts['fall'], p + '.fall', 1, 255, host=host)
            ts['rise'] = chk.integer(ts['rise'], p + '.rise', 1, 255, host=host)
            scripts.append(ts)
    ka['track_scripts'] = scripts
    if not isinstance(ka['notify'], dict):
        chk.error('lvs_keepalived.notify', 'must be a dictionary', 'write {master: /path, backup: /path}', host)
        ka['notify'] = {}
    for key, val in ka['notify'].items():
        if key not in ('master', 'backup', 'fault', 'stop'):
            chk.error('lvs_keepalived.notify.%s' % key, 'is not a known notify event', 'use master, backup, fault or stop',
                      host)
        elif not (isinstance(val, str) and val.startswith('/')):
            chk.error('lvs_keepalived.notify.%s' % key, 'must be an absolute script path', 'e.g. /usr/local/bin/notify.sh',
                      host)
    c['keepalived'] = ka


def rules(chk, c, host):
    """Cluster-wide rules keepalived's own config test would otherwise reject on the host."""
    nat = c['nat']
    if nat.get('inside_vip'):
        if nat.get('inside_interface') == c['interface']:
            chk.error('lvs_nat.inside_interface', 'must differ from lvs_interface (%s): the inside VRRP instance reuses the VRID'
                      % c['interface'], 'name the directors\' interface towards the real servers, e.g. eth1', host)
        for i, ts in enumerate(c['keepalived']['track_scripts']):
            if ts.get('weight'):
                chk.error('lvs_keepalived.track_scripts[%d].weight' % i,
                          'must be 0 with a NAT inside VIP: trackers of instances in a sync group cannot carry weight',
                          'set weight: 0 (a failing script then faults the whole group)', host)


def cluster_rules(chk, cluster):
    """Rules that need the resolved real servers."""
    for i, svc in enumerate(cluster['virtual_services']):
        total = sum(rs['weight'] for rs in svc.get('real_servers', []))
        if svc['real_servers'] and svc['quorum'] > total:
            chk.error('lvs_virtual_services[%d].quorum' % i,
                      'is %d but the real servers\' weights add up to %d, so the service could never be up' % (svc['quorum'], total),
                      'lower quorum or raise the weights (lvs_weight)')



def view(cluster, me):
    """The plain data this backend's templates print for director ``me`` of ``cluster``."""
    return {}
