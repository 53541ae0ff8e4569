# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cluster-wide settings shared by every backend."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._model import heartbeat_ldirectord, keepalived, piranha
from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import (
    CLUSTER_NAME, EMAIL, GROUP_NAME, IFNAME, NAME, safe, str_list,
)
from ansible_collections.lvs.cluster.plugins.module_utils._model.services import check_service_set, norm_service
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import BACKENDS, REALSERVERS_GROUP

BACKEND_MODULES = {
    'keepalived': keepalived,
    'heartbeat_ldirectord': heartbeat_ldirectord,
    'piranha': piranha,
}


def host_address(chk, host, hv, path_host):
    raw = hv.get('lvs_address', hv.get('ansible_host'))
    if raw is None:
        chk.error('%s.lvs_address' % path_host, 'host %s has no address (neither lvs_address nor ansible_host)' % host,
                  'set lvs_address (or ansible_host) to the host IP address in the inventory', host)
        return None
    addr = chk.ip(raw, '%s.lvs_address' % path_host,
                  'set lvs_address to an IP address (ansible_host may be a name; lvs_address may not)', host)
    return str(addr) if addr is not None else None


def cluster_settings(chk, hv, host):
    """Normalise the cluster-level variables as seen on one director."""
    c = {}
    backend = hv.get('lvs_backend')
    if backend not in BACKENDS:
        chk.error('lvs_backend', 'must be one of %s, got %r' % (', '.join(BACKENDS), safe(backend)),
                  'set lvs_backend in the group vars of the director group', host)
        backend = None
    c['backend'] = backend
    c['name'] = chk.text(hv.get('lvs_cluster_name', 'lvs'), 'lvs_cluster_name', CLUSTER_NAME, host=host) or 'lvs'
    c['interface'] = chk.text(hv.get('lvs_interface', 'eth0'), 'lvs_interface', IFNAME, host=host,
                              fix='name the directors\' VIP interface (1-15 letters, digits, "_", "." or "-"), e.g. eth0')
    if c['interface'] == 'lo':
        chk.error('lvs_interface', 'the VIP cannot live on lo on a director (keepalived refuses interface lo)',
                  'name the directors\' network interface, e.g. eth0', host)
    segment = hv.get('lvs_l2_segment', 'default')
    c['l2_segment'] = chk.text(str(segment) if isinstance(segment, int) and not isinstance(segment, bool) else segment,
                               'lvs_l2_segment', NAME, host=host) or 'default'
    c['realserver_group'] = chk.text(hv.get('lvs_realserver_group', REALSERVERS_GROUP), 'lvs_realserver_group', GROUP_NAME,
                                     host=host, fix='name the inventory group of the real servers, e.g. web_realservers')
    c['notification_email'] = str_list(chk, hv.get('lvs_notification_email', []), 'lvs_notification_email', host, EMAIL,
                                       'ops@example.com')
    c['notification_email_from'] = chk.text(hv.get('lvs_notification_email_from', 'lvs-%s@lvs.invalid' % c['name']),
                                            'lvs_notification_email_from', EMAIL, host=host)
    smtp = str(hv.get('lvs_smtp_server', '127.0.0.1'))
    smtp_host, smtp_port = smtp.rsplit(':', 1) if smtp.count(':') == 1 else (smtp, '')
    if chk.ip(smtp_host, 'lvs_smtp_server', 'give an IP address, optionally with :port', host) is not None:
        c['smtp_server'] = smtp_host
    else:
        c['smtp_server'] = None
    c['smtp_port'] = chk.integer(smtp_port or 25, 'lvs_smtp_server', 1, 65535, host=host) or 25
    c['sync_daemon'] = bool(chk.boolean(hv.get('lvs_sync_daemon', False), 'lvs_sync_daemon', host))
    c['firewall'] = bool(chk.boolean(hv.get('lvs_firewall', False), 'lvs_firewall', host))
    timeouts = hv.get('lvs_timeouts', {})
    c['timeouts'] = {}
    if not isinstance(timeouts, dict):
        chk.error('lvs_timeouts', 'must be a dictionary', 'write {tcp: 900, tcpfin: 120, udp: 300}', host)
    else:
        for key, val in timeouts.items():
            if key not in ('tcp', 'tcpfin', 'udp'):
                chk.error('lvs_timeouts.%s' % key, 'is not a known timeout', 'use tcp, tcpfin or udp', host)
            else:
                c['timeouts'][key] = chk.integer(val, 'lvs_timeouts.%s' % key, 1, 2147483, host=host)
    nat = hv.get('lvs_nat', {}) or {}
    c['nat'] = {}
    if not isinstance(nat, dict):
        chk.error('lvs_nat', 'must be a dictionary', 'write {inside_vip: 198.51.100.1, inside_interface: eth1}', host)
    elif nat:
        for key in nat:
            if key not in ('inside_vip', 'inside_prefix', 'inside_interface'):
                chk.error('lvs_nat.%s' % key, 'is not a known key', 'use inside_vip, inside_prefix, inside_interface', host)
        ivip = chk.ip(nat.get('inside_vip'), 'lvs_nat.inside_vip', 'set the real servers\' gateway VIP', host)
        c['nat'] = {
            'inside_vip': str(ivip) if ivip else None,
            # the prefix follows the inside VIP's family: /24 by default for IPv4, /64 for IPv6
            'inside_prefix': chk.integer(nat.get('inside_prefix', 64 if ivip and ivip.version == 6 else 24),
                                         'lvs_nat.inside_prefix', 1, 128 if ivip and ivip.version == 6 else 32,
                                         host=host),
            'inside_interface': chk.text(nat.get('inside_interface', 'eth1'), 'lvs_nat.inside_interface', IFNAME, host=host,
                                         fix='name the directors\' interface towards the real servers, e.g. eth1'),
        }

    for backend_module in BACKEND_MODULES.values():
        backend_module.settings(chk, hv, c, backend, host)
    # whether the first director takes the VIPs back when it returns, and the seconds its backend waits on purpose
    # first: one derived value that playbooks and tests read (each backend module owns its rule)
    c['failback'] = BACKEND_MODULES[backend].failback(c) if backend else None

    services = hv.get('lvs_virtual_services')
    c['virtual_services'] = []
    if not isinstance(services, list) or not services:
        chk.error('lvs_virtual_services', 'must be a non-empty list of virtual services',
                  'define at least one service: [{name: www, vip: 203.0.113.100, port: 80}]', host)
    elif backend:
        for i, raw in enumerate(services):
            svc = norm_service(chk, raw, 'lvs_virtual_services[%d]' % i, backend, host)
            if svc is not None:
                c['virtual_services'].append(svc)
        check_service_set(chk, c, host)
        BACKEND_MODULES[backend].rules(chk, c, host)
    return c
