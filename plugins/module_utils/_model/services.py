# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Virtual services and their health checks (backend-independent rules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import ipaddress
import re

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import GROUP_NAME, HOSTNAME, NAME, TEXT, URL_PATH, safe
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import (
    ALL_SCHEDULERS, BACKEND_CHECKS, BACKEND_PROTOCOLS, CHECK_TYPES, DNS_TYPES, FORWARDING, HEALTH_DEFAULTS, PERSISTENCE_MAX, PROTOCOLS,
    SCHEDULERS, SERVICE_KEYS,
)


def norm_health(chk, raw, path, backend, port, host=None):
    hc = chk.dict_of(raw if raw is not None else {}, path, HEALTH_DEFAULTS, host)
    allowed = BACKEND_CHECKS.get(backend, CHECK_TYPES)
    if hc['type'] not in CHECK_TYPES:
        chk.choice(hc['type'], path + '.type', CHECK_TYPES, host)
    elif hc['type'] not in allowed:
        chk.error(path + '.type', 'health check %r is not supported by the %s backend' % (hc['type'], backend),
                  'use one of %s with %s, or change lvs_backend' % (', '.join(allowed), backend), host)
    hc['port'] = port if hc['port'] is None else chk.integer(hc['port'], path + '.port', 1, 65535, host=host)
    for key, lo, hi in (('timeout', 1, 3600), ('retry', 0, 100), ('delay_before_retry', 0, 3600),
                        ('interval', 1, 86400), ('status_code', 100, 599)):
        hc[key] = chk.integer(hc[key], '%s.%s' % (path, key), lo, hi, host=host)
    # Free-text fields reach keepalived.conf, ldirectord.cf or lvs.cf: each is checked whatever the check type,
    # since a value set but unused today is rendered as soon as the type changes.
    for key, grammar in (('path', URL_PATH), ('host', HOSTNAME), ('dns_name', HOSTNAME), ('helo_name', HOSTNAME),
                         ('expect', TEXT), ('send', TEXT)):
        if hc[key] is not None:
            hc[key] = chk.text(hc[key], '%s.%s' % (path, key), grammar, host=host)
        elif key == 'path' and hc['type'] in ('http', 'https'):
            chk.error(path + '.path', 'must be a URL path starting with "/"', 'set e.g. path: /health', host)
    hc['misc_argv'] = None
    if hc['misc_path'] is not None:
        hc['misc_argv'] = chk.argv(hc['misc_path'], path + '.misc_path', host=host, example='/usr/local/bin/check_app %h')
        hc['misc_path'] = ' '.join(hc['misc_argv']) if hc['misc_argv'] else None
    if hc['type'] in ('http', 'https'):
        if hc['digest'] is not None and not re.fullmatch(r'[0-9a-fA-F]{32}', str(hc['digest'])):
            chk.error(path + '.digest', 'must be an MD5 hex digest (32 hex characters)',
                      'compute it with `genhash` or `curl -s URL | md5sum`', host)
    if hc['type'] == 'misc' and raw is not None and raw.get('misc_path') is None:
        chk.error(path + '.misc_path', 'is required for a misc health check (an absolute path and its arguments)',
                  'set misc_path to the check script, e.g. /usr/local/bin/check_app %h', host)
    if hc['type'] == 'dns':
        if (raw or {}).get('dns_name') is None:
            chk.error(path + '.dns_name', 'is required for a DNS health check', 'set the name the DNS check resolves, e.g. www.example.com',
                      host)
        chk.choice(hc['dns_type'], path + '.dns_type', DNS_TYPES, host)
    return hc


def norm_service(chk, raw, path, backend, host=None):
    """Return a normalised service dict (or None when it cannot be used at all)."""
    if not isinstance(raw, dict):
        chk.error(path, 'must be a dictionary describing a virtual service, got %s' % type(raw).__name__,
                  'give name, vip and port (or fwmark)', host)
        return None
    for key in raw:
        if key not in SERVICE_KEYS:
            close = difflib.get_close_matches(str(key), SERVICE_KEYS, 1, 0.8)
            chk.error('%s.%s' % (path, key), 'is not a known virtual-service key',
                      ('rename it to %s' % close[0]) if close else
                      'remove it or use one of %s' % ', '.join(SERVICE_KEYS), host)
    svc = {}
    svc['name'] = chk.text(raw.get('name'), path + '.name', NAME, host=host)
    vip = chk.ip(raw.get('vip'), path + '.vip', 'set vip to the virtual IP address, e.g. 203.0.113.100', host)
    svc['vip'] = str(vip) if vip is not None else None
    svc['family'] = vip.version if vip is not None else 4
    prefix = raw.get('vip_prefix', 32 if svc['family'] == 4 else 128)
    svc['vip_prefix'] = chk.integer(prefix, path + '.vip_prefix', 1, 32 if svc['family'] == 4 else 128, host=host)
    has_port, has_mark = raw.get('port') is not None, raw.get('fwmark') is not None
    svc['port'] = svc['fwmark'] = None
    if has_port == has_mark:
        chk.error(path + '.port', 'exactly one of port and fwmark must be set (got %s)'
                  % ('both' if has_port else 'neither'), 'set port for an address service or fwmark for a firewall-mark service',
                  host)
    elif has_port:
        svc['port'] = chk.integer(raw['port'], path + '.port', 1, 65535, host=host)
    else:
        svc['fwmark'] = chk.integer(raw['fwmark'], path + '.fwmark', 1, 4294967295, host=host)
    proto = raw.get('protocol', 'tcp')
    if chk.choice(proto, path + '.protocol', PROTOCOLS, host) and proto not in BACKEND_PROTOCOLS[backend]:
        chk.error(path + '.protocol', 'protocol %r is not supported by the %s backend' % (proto, backend),
                  'use one of %s' % ', '.join(BACKEND_PROTOCOLS[backend]), host)
    svc['protocol'] = proto
    sched = raw.get('scheduler', 'wlc')
    if sched not in ALL_SCHEDULERS:
        chk.choice(sched, path + '.scheduler', ALL_SCHEDULERS, host)
    elif sched not in SCHEDULERS[backend]:
        chk.error(path + '.scheduler', 'scheduler %r is not supported by the %s backend' % (sched, backend),
                  'use one of %s' % ', '.join(SCHEDULERS[backend]), host)
    svc['scheduler'] = sched
    svc['forwarding'] = chk.choice(raw.get('forwarding', 'dr'), path + '.forwarding', FORWARDING, host) or 'dr'
    svc['persistence_timeout'] = chk.integer(raw.get('persistence_timeout', 0), path + '.persistence_timeout',
                                             0, PERSISTENCE_MAX, host=host) or 0
    mask = raw.get('persistence_netmask')
    svc['persistence_netmask'] = None
    if mask is not None:
        try:
            net = ipaddress.IPv4Network('0.0.0.0/%s' % mask)
            svc['persistence_netmask'] = str(net.netmask)
        except (ValueError, TypeError):
            chk.error(path + '.persistence_netmask', 'is not an IPv4 netmask: %r' % (safe(mask),),
                      'use a dotted netmask such as 255.255.255.0', host)
        if svc['persistence_timeout'] == 0 and svc['persistence_netmask']:
            chk.error(path + '.persistence_netmask', 'has no effect without persistence_timeout',
                      'set persistence_timeout (seconds) or remove persistence_netmask', host)
    rport = raw.get('real_server_port')
    if rport is None:
        svc['real_server_port'] = svc['port']
    else:
        svc['real_server_port'] = chk.integer(rport, path + '.real_server_port', 1, 65535, host=host)
        if svc['forwarding'] in ('dr', 'tun') and svc['port'] is not None and svc['real_server_port'] != svc['port']:
            chk.error(path + '.real_server_port',
                      'must equal port (%s) with %s forwarding: the kernel cannot change the port without NAT'
                      % (svc['port'], svc['forwarding']),
                      'remove real_server_port, or use forwarding: nat', host)
    svc['real_server_group'] = None
    if raw.get('real_server_group') is not None:
        svc['real_server_group'] = chk.text(raw['real_server_group'], path + '.real_server_group', GROUP_NAME, host=host)
    sorry = raw.get('sorry_server')
    svc['sorry_server'] = None
    if sorry is not None:
        if not isinstance(sorry, dict):
            chk.error(path + '.sorry_server', 'must be a dictionary with address and port',
                      'write sorry_server: {address: 203.0.113.50, port: 80}', host)
        else:
            sip = chk.ip(sorry.get('address'), path + '.sorry_server.address', 'set the sorry server IP address', host)
            sport = sorry.get('port', svc['real_server_port'] or 0)
            sport = chk.integer(sport, path + '.sorry_server.port', 1, 65535, host=host) if sport else None
            svc['sorry_server'] = {'address': str(sip) if sip else None, 'port': sport}
    svc['quorum'] = chk.integer(raw.get('quorum', 1), path + '.quorum', 1, 65535, host=host) or 1
    svc['hysteresis'] = chk.integer(raw.get('hysteresis', 0), path + '.hysteresis', 0, 65535, host=host) or 0
    svc['health_check'] = norm_health(chk, raw.get('health_check'), path + '.health_check', backend,
                                      svc['real_server_port'], host)
    return svc


def check_service_set(chk, c, host):
    seen_names, seen_keys = {}, {}
    for i, svc in enumerate(c['virtual_services']):
        path = 'lvs_virtual_services[%d]' % i
        if svc['name'] in seen_names:
            chk.error(path + '.name', 'duplicates the name of lvs_virtual_services[%d]' % seen_names[svc['name']],
                      'give every virtual service a unique name', host)
        seen_names.setdefault(svc['name'], i)
        key = (svc['vip'], svc['port'], svc['protocol']) if svc['fwmark'] is None else ('fwmark', svc['fwmark'], svc['family'])
        if key in seen_keys:
            chk.error(path, 'duplicates %s of lvs_virtual_services[%d]' % (
                'VIP+port+protocol %s:%s/%s' % key if key[0] != 'fwmark' else 'fwmark %s' % key[1], seen_keys[key]),
                'remove one of them or change its vip/port/protocol', host)
        seen_keys.setdefault(key, i)
        if svc['forwarding'] == 'nat' and not c['nat'].get('inside_vip'):
            chk.error('lvs_nat.inside_vip', 'is required because %s uses NAT forwarding' % path,
                      'set lvs_nat.inside_vip to the real servers\' default gateway VIP', host)
    for i, svc in enumerate(c['virtual_services']):
        sorry = svc['sorry_server']
        if sorry and svc['forwarding'] in ('dr', 'tun') and svc['port'] and sorry.get('port') not in (None, svc['port']):
            chk.error('lvs_virtual_services[%d].sorry_server.port' % i,
                      'must equal the virtual port (%s) with %s forwarding' % (svc['port'], svc['forwarding']),
                      'remove sorry_server.port, or use forwarding: nat', host)
