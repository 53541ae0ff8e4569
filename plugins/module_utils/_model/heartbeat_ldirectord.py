# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The heartbeat + ldirectord backend: its defaults, its rules and its view."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import str_list

HEARTBEAT_DEFAULTS = {
    'udpport': 694,
    'keepalive': 2,
    'warntime': 6,
    'deadtime': 10,
    'initdead': 30,
    'auto_failback': True,
    'link': 'ucast',
    'mcast_group': '239.0.0.1',
    'ping_nodes': [],
    'authkey': None,
    'logfacility': 'daemon',
}
LDIRECTORD_DEFAULTS = {
    'checktimeout': None,
    'checkinterval': None,
    'failurecount': 1,
    'autoreload': False,
    'quiescent': False,
    'logfile': 'local0',
}


def settings(chk, hv, c, backend, host):
    """Normalise lvs_heartbeat and lvs_ldirectord."""
    hb = chk.dict_of(hv.get('lvs_heartbeat'), 'lvs_heartbeat', HEARTBEAT_DEFAULTS, host)
    for key, lo, hi in (('udpport', 1, 65535), ('keepalive', 1, 3600), ('warntime', 1, 3600), ('deadtime', 1, 3600),
                        ('initdead', 1, 7200)):
        hb[key] = chk.integer(hb[key], 'lvs_heartbeat.%s' % key, lo, hi, host=host)
    hb['auto_failback'] = bool(chk.boolean(hb['auto_failback'], 'lvs_heartbeat.auto_failback', host))
    chk.choice(hb['link'], 'lvs_heartbeat.link', ('ucast', 'bcast', 'mcast'), host)
    hb['ping_nodes'] = [str(a) for a in (chk.ip(p, 'lvs_heartbeat.ping_nodes[%d]' % i, 'list IP addresses', host)
                                         for i, p in enumerate(str_list(chk, hb['ping_nodes'], 'lvs_heartbeat.ping_nodes', host)))
                        if a is not None]
    if backend == 'heartbeat_ldirectord':
        if not isinstance(hb['authkey'], str) or len(hb['authkey']) < 8:
            chk.error('lvs_heartbeat.authkey', 'is required and must have at least 8 characters',
                      'set a long random secret (vault it)', host)
        if None not in (hb['keepalive'], hb['deadtime'], hb['warntime'], hb['initdead']):
            if hb['deadtime'] <= 2 * hb['keepalive']:
                chk.error('lvs_heartbeat.deadtime', 'must be greater than twice keepalive (%s), got %s: heartbeat refuses to start'
                          % (hb['keepalive'], hb['deadtime']),
                          'make deadtime several times keepalive, e.g. keepalive 2, deadtime 10', host)
            if not hb['keepalive'] < hb['warntime'] < hb['deadtime']:
                chk.error('lvs_heartbeat.warntime', 'must lie between keepalive and deadtime',
                          'e.g. keepalive 2, warntime 6, deadtime 10', host)
            if hb['initdead'] < 2 * hb['deadtime']:
                chk.error('lvs_heartbeat.initdead', 'must be at least twice deadtime (%s)' % hb['deadtime'],
                          'set initdead to %d or more' % (2 * hb['deadtime']), host)
    c['heartbeat'] = hb

    ld = chk.dict_of(hv.get('lvs_ldirectord'), 'lvs_ldirectord', LDIRECTORD_DEFAULTS, host)
    for key in ('autoreload', 'quiescent'):
        ld[key] = bool(chk.boolean(ld[key], 'lvs_ldirectord.%s' % key, host))
    ld['failurecount'] = chk.integer(ld['failurecount'], 'lvs_ldirectord.failurecount', 1, 100, host=host)
    for key in ('checktimeout', 'checkinterval'):
        if ld[key] is not None:
            ld[key] = chk.integer(ld[key], 'lvs_ldirectord.%s' % key, 1, 86400, host=host)
    c['ldirectord'] = ld


def rules(chk, c, host):
    """What heartbeat v1 + ldirectord 4.12 cannot do, reported before any host is touched."""
    if c['sync_daemon']:
        chk.error('lvs_sync_daemon', 'the heartbeat_ldirectord backend does not run the IPVS sync daemon',
                  'set lvs_sync_daemon: false, or use the keepalived backend', host)
    if c['smtp_port'] != 25 and c['notification_email']:
        chk.error('lvs_smtp_server', 'ldirectord sends alerts only to port 25', 'drop the :port from lvs_smtp_server', host)
    for i, svc in enumerate(c['virtual_services']):
        path = 'lvs_virtual_services[%d]' % i
        hc = svc['health_check']
        if svc['family'] == 6:
            chk.error(path + '.vip', 'cannot be an IPv6 address with the heartbeat backend: its lvs-vip resource '
                      '(like heartbeat\'s IPaddr2 with LVS support) holds IPv4 VIPs only',
                      'use an IPv4 VIP with this backend, or the keepalived backend', host)
        if hc['digest']:
            chk.error(path + '.health_check.digest', 'ldirectord cannot compare page digests',
                      'use expect (a text the page contains) instead, or the keepalived backend', host)
        if hc['type'] in ('http', 'https') and hc['status_code'] is not None and not 200 <= hc['status_code'] <= 299:
            chk.error(path + '.health_check.status_code', 'ldirectord accepts only 2xx answers, got %s' % hc['status_code'],
                      'check a URL that answers 2xx, or use the keepalived backend', host)
        if hc['type'] == 'dns' and hc['dns_type'] not in ('A', 'PTR'):
            chk.error(path + '.health_check.dns_type', 'ldirectord\'s DNS check asks only A or PTR, got %s' % hc['dns_type'],
                      'use dns_type: A (or PTR)', host)




def cluster_rules(chk, cluster):
    """Rules that need the resolved directors and real servers (none yet beyond the cluster-wide ones)."""
    return None


def view(cluster, me):
    """The plain data this backend's templates print for director ``me`` of ``cluster``."""
    return {}
