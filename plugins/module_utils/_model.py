# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lvs.cluster inventory model: defaults, validation and the resolved per-host view.

Pure Python (no Ansible imports) so that it can be unit tested and reused by every plugin.
The input is a mapping ``host -> vars`` (only the keys this model reads are needed) and the
inventory's ``groups`` mapping. See docs/model.md for the user-facing description.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import difflib
import ipaddress
import re

from ansible_collections.lvs.cluster.plugins.module_utils._lvscf import cluster_errors as _piranha_cluster_errors

DIRECTORS_GROUP = 'lvs_directors'
REALSERVERS_GROUP = 'lvs_realservers'
BACKENDS = ('keepalived', 'heartbeat_ldirectord', 'piranha')

ALL_SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')
SCHEDULERS = {
    'keepalived': ALL_SCHEDULERS,
    # ldirectord hands the scheduler to ipvsadm unchanged: every kernel scheduler works.
    'heartbeat_ldirectord': ALL_SCHEDULERS,
    # piranha's lvsd only knows these (lvsconfig.c).
    'piranha': ('lc', 'rr', 'wlc', 'wrr', 'lblc', 'lblcr', 'dh', 'sh'),
}
CHECK_TYPES = ('tcp', 'http', 'https', 'misc', 'dns', 'smtp', 'ping', 'none')
BACKEND_CHECKS = {
    'keepalived': CHECK_TYPES,
    'heartbeat_ldirectord': CHECK_TYPES,
    'piranha': ('tcp', 'http', 'misc'),
}
BACKEND_PROTOCOLS = {
    'keepalived': ('tcp', 'udp', 'sctp'),
    'heartbeat_ldirectord': ('tcp', 'udp'),
    'piranha': ('tcp', 'udp'),
}
FORWARDING = ('dr', 'nat', 'tun')
PROTOCOLS = ('tcp', 'udp', 'sctp')
DNS_TYPES = ('A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT')

NAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
CLUSTER_RE = re.compile(r'^[a-z0-9_-]{1,32}$')
IFACE_RE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')

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
PIRANHA_DEFAULTS = {
    'heartbeat_port': 539,
    'keepalive': 2,
    'deadtime': 10,
    'debug_level': 'NONE',
    'monitor_links': False,
    'gui': False,
    'gui_password': None,
    'config_only': False,
}
HEALTH_DEFAULTS = {
    'type': 'tcp',
    'port': None,
    'path': '/',
    'status_code': 200,
    'digest': None,
    'host': None,
    'expect': None,
    'send': None,
    'timeout': 3,
    'retry': 3,
    'delay_before_retry': 1,
    'interval': 6,
    'misc_path': None,
    'dns_name': None,
    'dns_type': 'A',
    'helo_name': 'lvs.invalid',
}
SERVICE_KEYS = ('name', 'vip', 'vip_prefix', 'port', 'fwmark', 'protocol', 'scheduler', 'forwarding',
                'persistence_timeout', 'persistence_netmask', 'real_server_port', 'real_server_group',
                'sorry_server', 'quorum', 'hysteresis', 'health_check')
CLUSTER_VARS = ('lvs_backend', 'lvs_cluster_name', 'lvs_interface', 'lvs_l2_segment', 'lvs_realserver_group',
                'lvs_virtual_services', 'lvs_notification_email', 'lvs_notification_email_from', 'lvs_smtp_server',
                'lvs_sync_daemon', 'lvs_sync_id', 'lvs_timeouts', 'lvs_nat', 'lvs_firewall',
                'lvs_keepalived', 'lvs_heartbeat', 'lvs_ldirectord', 'lvs_piranha')
HOST_VARS = ('lvs_address', 'lvs_director_role', 'lvs_priority', 'lvs_node_name', 'lvs_weight', 'lvs_weights',
             'lvs_realserver_interface', 'ansible_host')
# Every variable this model reads; plugins copy only these out of hostvars.
READ_VARS = CLUSTER_VARS + HOST_VARS
# lvs_* variables that belong to the collection's playbooks, not to the model (drain, AWX, rolling update...).
PLAYBOOK_VAR_PREFIXES = ('lvs_awx_', 'lvs_drain_', 'lvs_enable_', 'lvs_rolling_', 'lvs_drill_', 'lvs_add_',
                         'lvs_status_', 'lvs_validate_', 'lvs_new_realserver')
SECRET_KEYS = ('auth_pass', 'authkey', 'gui_password')


class Problem(object):
    """One finding: the variable path, what is wrong and how to fix it."""

    def __init__(self, path, message, fix, severity='error', host=None):
        self.path = path
        self.message = message
        self.fix = fix
        self.severity = severity
        self.host = host
        self.cluster = None  # name of the cluster the problem belongs to; None = the whole inventory

    def __str__(self):
        where = '%s (host %s)' % (self.path, self.host) if self.host else self.path
        return '%s: %s. Fix: %s' % (where, self.message, self.fix)

    def as_dict(self):
        return {'path': self.path, 'message': self.message, 'fix': self.fix,
                'severity': self.severity, 'host': self.host, 'cluster': self.cluster}

    def __repr__(self):
        return 'Problem(%r)' % str(self)


# Keys users put in a cluster-wide dict (lvs_keepalived, lvs_heartbeat, ...) that the model takes per host.
MOVED_KEYS = {
    'priority': 'the priority is per director: set the host variable lvs_priority (1-254) on the director instead',
    'state': 'MASTER/BACKUP follows each director\'s role: set the host variable lvs_director_role (primary or backup)',
    'unicast_src_ip': 'the source address is each director\'s own: set the host variable lvs_address if it is not ansible_host',
}


class _Checker(object):
    """Collects problems; typed accessors that record a problem and return a safe value."""

    def __init__(self):
        self.problems = []
        self._seen = set()

    def _add(self, path, message, fix, severity, host):
        # the same value can be reached twice (a real server in two services): report it once
        key = (path, message, fix, severity, host)
        if key not in self._seen:
            self._seen.add(key)
            self.problems.append(Problem(path, message, fix, severity, host))

    def error(self, path, message, fix, host=None):
        self._add(path, message, fix, 'error', host)

    def warn(self, path, message, fix, host=None):
        self._add(path, message, fix, 'warning', host)

    def integer(self, value, path, lo, hi, fix=None, host=None):
        if isinstance(value, bool) or value is None:
            ok = False
        elif isinstance(value, int):
            ok = True
        elif isinstance(value, str) and re.match(r'^-?[0-9]+$', value.strip()):
            value = int(value.strip())
            ok = True
        else:
            ok = False
        if not ok:
            self.error(path, 'must be an integer between %d and %d, got %r' % (lo, hi, _safe(value)),
                       fix or 'set an integer between %d and %d' % (lo, hi), host)
            return None
        if not lo <= value <= hi:
            self.error(path, 'must be between %d and %d, got %d' % (lo, hi, value),
                       fix or 'set a value between %d and %d' % (lo, hi), host)
            return None
        return value

    def number(self, value, path, lo, hi, host=None):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.error(path, 'must be a number between %s and %s, got %r' % (lo, hi, _safe(value)),
                       'set a number between %s and %s' % (lo, hi), host)
            return None
        try:
            num = float(value)
        except ValueError:
            self.error(path, 'must be a number, got %r' % (value,), 'set a number between %s and %s' % (lo, hi), host)
            return None
        if not lo <= num <= hi:
            self.error(path, 'must be between %s and %s, got %s' % (lo, hi, value),
                       'set a number between %s and %s' % (lo, hi), host)
            return None
        return int(num) if num == int(num) else num

    def boolean(self, value, path, host=None):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ('yes', 'true', 'on', '1', 'no', 'false', 'off', '0'):
            return value.lower() in ('yes', 'true', 'on', '1')
        self.error(path, 'must be a boolean, got %r' % (_safe(value),), 'use true or false', host)
        return None

    def string(self, value, path, fix, pattern=None, host=None, secret=False):
        if not isinstance(value, str) or not value:
            shown = '<hidden>' if secret else repr(_safe(value))
            self.error(path, 'must be a non-empty string, got %s' % shown, fix, host)
            return None
        if pattern is not None and not pattern.match(value):
            shown = '<hidden>' if secret else repr(value)
            self.error(path, 'has an invalid value %s' % shown, fix, host)
            return None
        return value

    def choice(self, value, path, choices, host=None, why=''):
        if value not in choices:
            self.error(path, 'must be one of %s, got %r%s' % (', '.join(choices), _safe(value), why),
                       'choose one of %s' % ', '.join(choices), host)
            return None
        return value

    def ip(self, value, path, fix, host=None):
        try:
            return ipaddress.ip_address(str(value).strip()) if isinstance(value, str) else ipaddress.ip_address(value)
        except (ValueError, TypeError):
            self.error(path, 'is not a valid IP address: %r' % (_safe(value),), fix, host)
            return None

    def dict_of(self, value, path, defaults, host=None):
        """Merge a user dict over defaults; report unknown keys and non-dicts."""
        if value is None:
            return copy.deepcopy(defaults)
        if not isinstance(value, dict):
            self.error(path, 'must be a dictionary, got %s' % type(value).__name__,
                       'give a mapping of keys (%s)' % ', '.join(sorted(defaults)), host)
            return copy.deepcopy(defaults)
        out = copy.deepcopy(defaults)
        for key, val in value.items():
            if key not in defaults:
                moved = MOVED_KEYS.get(key)
                close = difflib.get_close_matches(str(key), sorted(defaults), 1, 0.8)
                fix = moved or ('rename it to %s' % close[0] if close else
                                'remove it or use one of %s' % ', '.join(sorted(defaults)))
                self.error('%s.%s' % (path, key), 'is not a known key' + (' here' if moved else ''), fix, host)
                continue
            out[key] = val
        return out


def _safe(value):
    """Shorten a value for an error message."""
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + '...'


def _prefix_ok(family, prefix):
    return 1 <= prefix <= (32 if family == 4 else 128)


def _norm_health(chk, raw, path, backend, port, host=None):
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
    if hc['type'] in ('http', 'https'):
        if not isinstance(hc['path'], str) or not hc['path'].startswith('/'):
            chk.error(path + '.path', 'must be a URL path starting with "/", got %r' % (_safe(hc['path']),),
                      'set e.g. path: /health', host)
        if hc['digest'] is not None and not re.match(r'^[0-9a-fA-F]{32}$', str(hc['digest'])):
            chk.error(path + '.digest', 'must be an MD5 hex digest (32 hex characters)',
                      'compute it with `genhash` or `curl -s URL | md5sum`', host)
    if hc['type'] == 'misc' and not (isinstance(hc['misc_path'], str) and hc['misc_path'].startswith('/')):
        chk.error(path + '.misc_path', 'is required for a misc health check and must be an absolute path',
                  'set misc_path to the check script, e.g. /usr/local/bin/check_app %h', host)
    if hc['type'] == 'dns':
        chk.string(hc['dns_name'], path + '.dns_name', 'set the name the DNS check resolves, e.g. www.example.com',
                   host=host)
        chk.choice(hc['dns_type'], path + '.dns_type', DNS_TYPES, host)
    return hc


def _norm_service(chk, raw, path, backend, host=None):
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
    svc['name'] = chk.string(raw.get('name'), path + '.name', 'give the service a name of letters, digits, "_", "." or "-"',
                             NAME_RE, host)
    vip = chk.ip(raw.get('vip'), path + '.vip', 'set vip to the virtual IP address, e.g. 192.0.2.100', host)
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
                                             0, 31536000, host=host) or 0
    mask = raw.get('persistence_netmask')
    svc['persistence_netmask'] = None
    if mask is not None:
        try:
            net = ipaddress.IPv4Network('0.0.0.0/%s' % mask)
            svc['persistence_netmask'] = str(net.netmask)
        except (ValueError, TypeError):
            chk.error(path + '.persistence_netmask', 'is not an IPv4 netmask: %r' % (_safe(mask),),
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
    svc['real_server_group'] = raw.get('real_server_group')
    sorry = raw.get('sorry_server')
    svc['sorry_server'] = None
    if sorry is not None:
        if not isinstance(sorry, dict):
            chk.error(path + '.sorry_server', 'must be a dictionary with address and port',
                      'write sorry_server: {address: 192.0.2.50, port: 80}', host)
        else:
            sip = chk.ip(sorry.get('address'), path + '.sorry_server.address', 'set the sorry server IP address', host)
            sport = sorry.get('port', svc['real_server_port'] or 0)
            sport = chk.integer(sport, path + '.sorry_server.port', 1, 65535, host=host) if sport else None
            svc['sorry_server'] = {'address': str(sip) if sip else None, 'port': sport}
    svc['quorum'] = chk.integer(raw.get('quorum', 1), path + '.quorum', 1, 65535, host=host) or 1
    svc['hysteresis'] = chk.integer(raw.get('hysteresis', 0), path + '.hysteresis', 0, 65535, host=host) or 0
    svc['health_check'] = _norm_health(chk, raw.get('health_check'), path + '.health_check', backend,
                                       svc['real_server_port'], host)
    return svc


def _host_address(chk, host, hv, path_host):
    raw = hv.get('lvs_address', hv.get('ansible_host'))
    if raw is None:
        chk.error('%s.lvs_address' % path_host, 'host %s has no address (neither lvs_address nor ansible_host)' % host,
                  'set lvs_address (or ansible_host) to the host IP address in the inventory', host)
        return None
    addr = chk.ip(raw, '%s.lvs_address' % path_host,
                  'set lvs_address to an IP address (ansible_host may be a name; lvs_address may not)', host)
    return str(addr) if addr is not None else None


def _cluster_settings(chk, hv, host):
    """Normalise the cluster-level variables as seen on one director."""
    c = {}
    backend = hv.get('lvs_backend')
    if backend not in BACKENDS:
        chk.error('lvs_backend', 'must be one of %s, got %r' % (', '.join(BACKENDS), _safe(backend)),
                  'set lvs_backend in the group vars of the director group', host)
        backend = None
    c['backend'] = backend
    c['name'] = chk.string(hv.get('lvs_cluster_name', 'lvs'), 'lvs_cluster_name',
                           'use lower-case letters, digits, "_" or "-" (at most 32)', CLUSTER_RE, host) or 'lvs'
    c['interface'] = chk.string(hv.get('lvs_interface', 'eth0'), 'lvs_interface', 'name the directors\' VIP interface, e.g. eth0',
                                IFACE_RE, host)
    if c['interface'] == 'lo':
        chk.error('lvs_interface', 'the VIP cannot live on lo on a director (keepalived refuses interface lo)',
                  'name the directors\' network interface, e.g. eth0', host)
    c['l2_segment'] = str(hv.get('lvs_l2_segment', 'default'))
    c['realserver_group'] = chk.string(hv.get('lvs_realserver_group', REALSERVERS_GROUP), 'lvs_realserver_group',
                                       'name the inventory group of the real servers', host=host)
    emails = hv.get('lvs_notification_email', [])
    if not isinstance(emails, list) or not all(isinstance(e, str) and '@' in e for e in emails):
        chk.error('lvs_notification_email', 'must be a list of e-mail addresses',
                  'write e.g. [ops@example.com]', host)
        emails = []
    c['notification_email'] = emails
    c['notification_email_from'] = hv.get('lvs_notification_email_from', 'lvs@%s.invalid' % c['name'])
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
            'inside_interface': chk.string(nat.get('inside_interface', 'eth1'), 'lvs_nat.inside_interface',
                                           'name the inside interface', IFACE_RE, host),
        }

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
    ka['track_interfaces'] = _str_list(chk, ka['track_interfaces'], 'lvs_keepalived.track_interfaces', host)
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

    hb = chk.dict_of(hv.get('lvs_heartbeat'), 'lvs_heartbeat', HEARTBEAT_DEFAULTS, host)
    for key, lo, hi in (('udpport', 1, 65535), ('keepalive', 1, 3600), ('warntime', 1, 3600), ('deadtime', 1, 3600),
                        ('initdead', 1, 7200)):
        hb[key] = chk.integer(hb[key], 'lvs_heartbeat.%s' % key, lo, hi, host=host)
    hb['auto_failback'] = bool(chk.boolean(hb['auto_failback'], 'lvs_heartbeat.auto_failback', host))
    chk.choice(hb['link'], 'lvs_heartbeat.link', ('ucast', 'bcast', 'mcast'), host)
    hb['ping_nodes'] = [str(a) for a in (chk.ip(p, 'lvs_heartbeat.ping_nodes[%d]' % i, 'list IP addresses', host)
                                         for i, p in enumerate(_str_list(chk, hb['ping_nodes'], 'lvs_heartbeat.ping_nodes', host)))
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

    pi = chk.dict_of(hv.get('lvs_piranha'), 'lvs_piranha', PIRANHA_DEFAULTS, host)
    for key, lo, hi in (('heartbeat_port', 1, 65535), ('keepalive', 1, 3600), ('deadtime', 1, 3600)):
        pi[key] = chk.integer(pi[key], 'lvs_piranha.%s' % key, lo, hi, host=host)
    for key in ('monitor_links', 'gui', 'config_only'):
        pi[key] = bool(chk.boolean(pi[key], 'lvs_piranha.%s' % key, host))
    if backend == 'piranha':
        if pi['keepalive'] is not None and pi['deadtime'] is not None and pi['deadtime'] <= pi['keepalive']:
            chk.error('lvs_piranha.deadtime', 'must be greater than keepalive (%s), got %s' % (pi['keepalive'], pi['deadtime']),
                      'make deadtime several times keepalive, e.g. keepalive 2, deadtime 10', host)
        if pi['gui'] and not (isinstance(pi['gui_password'], str) and len(pi['gui_password']) >= 6):
            chk.error('lvs_piranha.gui_password', 'is required (at least 6 characters) when gui is true',
                      'set a secret (vault it) or gui: false', host)
        chk.choice(pi['debug_level'], 'lvs_piranha.debug_level', ('NONE', 'LOW', 'HIGH', 'MEDIUM'), host)
    c['piranha'] = pi

    services = hv.get('lvs_virtual_services')
    c['virtual_services'] = []
    if not isinstance(services, list) or not services:
        chk.error('lvs_virtual_services', 'must be a non-empty list of virtual services',
                  'define at least one service: [{name: www, vip: 192.0.2.100, port: 80}]', host)
    elif backend:
        for i, raw in enumerate(services):
            svc = _norm_service(chk, raw, 'lvs_virtual_services[%d]' % i, backend, host)
            if svc is not None:
                c['virtual_services'].append(svc)
        _check_service_set(chk, c, host)
    return c


def _str_list(chk, value, path, host):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        chk.error(path, 'must be a list of strings', 'write e.g. [eth0]', host)
        return []
    return value


def _check_service_set(chk, c, host):
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
    if c['backend'] == 'keepalived':
        _check_keepalived(chk, c, host)
    if c['backend'] == 'heartbeat_ldirectord':
        _check_ldirectord(chk, c, host)
    if c['backend'] == 'piranha':
        fwd = set(s['forwarding'] for s in c['virtual_services'])
        if len(fwd) > 1:
            chk.error('lvs_virtual_services', 'piranha has one cluster-wide "network" mode; services mix %s' % ', '.join(sorted(fwd)),
                      'use the same forwarding for every service of a piranha cluster', host)


def _check_keepalived(chk, c, host):
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


def _check_quorum(chk, cluster):
    for i, svc in enumerate(cluster['virtual_services']):
        total = sum(rs['weight'] for rs in svc.get('real_servers', []))
        if svc['real_servers'] and svc['quorum'] > total:
            chk.error('lvs_virtual_services[%d].quorum' % i,
                      'is %d but the real servers\' weights add up to %d, so the service could never be up' % (svc['quorum'], total),
                      'lower quorum or raise the weights (lvs_weight)')


def _check_ldirectord(chk, c, host):
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


class Model(object):
    """The whole inventory's resolved model.

    ``hostvars`` maps host -> dict of variables (at least the READ_VARS present), ``groups`` maps group -> hosts.
    """

    def __init__(self, hostvars, groups, other_names=None):
        self.hostvars = hostvars
        self.groups = groups
        # host -> names of the other lvs_* variables the host has (read for misspellings only)
        self.other_names = other_names or {}
        self.clusters = {}
        self.host_cluster = {}
        self.problems = []
        self._build()

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == 'error']

    @property
    def warnings(self):
        return [p for p in self.problems if p.severity == 'warning']

    def _hv(self, host):
        return self.hostvars.get(host) or {}

    def _build(self):
        chk = _Checker()
        directors = list(self.groups.get(DIRECTORS_GROUP, []))
        if not directors:
            chk.error('groups.%s' % DIRECTORS_GROUP, 'the inventory has no director (group %s is empty or missing)' % DIRECTORS_GROUP,
                      'put each director cluster group under a parent group named %s' % DIRECTORS_GROUP)
        order = {}
        per_host = {}
        for host in directors:
            hchk = _Checker()
            settings = _cluster_settings(hchk, self._hv(host), host)
            per_host[host] = (settings, hchk.problems)
            order.setdefault(settings['name'], []).append(host)
        realservers = set(self.groups.get(REALSERVERS_GROUP, []))
        for name, hosts in order.items():
            mark = len(chk.problems)
            chk._seen = set()  # a problem shared by two clusters (a real server in both) belongs to each of them
            first = hosts[0]
            settings, problems = per_host[first]
            # Cluster-level problems are reported once (from the first director), not per director.
            chk.problems.extend(problems)
            for other in hosts[1:]:
                if _public(per_host[other][0]) != _public(settings):
                    chk.error('lvs_cluster_name', 'directors %s and %s share cluster %r but their cluster variables differ'
                              % (first, other, name),
                              'set the lvs_* cluster variables in the director group vars, not per host, or give the hosts different lvs_cluster_name',
                              other)
            self.clusters[name] = cluster = settings
            for host in hosts:
                self.host_cluster[host] = name
            self._resolve_directors(chk, cluster, hosts)
            self._resolve_realservers(chk, cluster, realservers)
            if cluster['backend'] == 'piranha':
                self._check_piranha(chk, cluster)
            if cluster['backend'] == 'keepalived':
                _check_quorum(chk, cluster)
            for problem in chk.problems[mark:]:
                problem.cluster = name
        self._check_vrids(chk)
        self._check_names(chk)
        self.problems = chk.problems

    def _check_names(self, chk):
        """lvs_* variables the model does not know: a misspelt model variable is an error (its value would be
        ignored in silence), any other unknown name a warning. The collection's playbook variables are fine."""
        reported = set()
        for host in sorted(self.other_names):
            for name in sorted(self.other_names[host]):
                if name in READ_VARS or name.startswith(PLAYBOOK_VAR_PREFIXES) or name in reported:
                    continue
                reported.add(name)
                close = difflib.get_close_matches(name, READ_VARS, n=1, cutoff=0.8)
                if close:
                    chk.error(name, 'is not a variable of the lvs.cluster model (its value is ignored); it looks like a '
                              'misspelling of %s' % close[0], 'rename it to %s' % close[0], host)
                else:
                    chk.warn(name, 'is not a variable of the lvs.cluster model and is ignored',
                             'use one of the variables in docs/model.md, or a name without the lvs_ prefix for '
                             'your own variables', host)

    def _resolve_directors(self, chk, cluster, hosts):
        if len(hosts) < 2:
            chk.warn('groups.%s' % DIRECTORS_GROUP, 'cluster %r has only one director (%s): no failover is possible'
                     % (cluster['name'], hosts[0]), 'add a second director to the cluster\'s group')
        entries = []
        explicit_primary = [h for h in hosts if self._hv(h).get('lvs_director_role') == 'primary']
        if len(explicit_primary) > 1:
            chk.error('lvs_director_role', 'cluster %r has several primaries: %s' % (cluster['name'], ', '.join(explicit_primary)),
                      'set lvs_director_role: primary on exactly one director')
        primary = explicit_primary[0] if explicit_primary else None
        if primary is None:
            primary = next((h for h in hosts if self._hv(h).get('lvs_director_role') != 'backup'), hosts[0])
        backup_rank = 0
        seen_addr = {}
        for host in hosts:
            hv = self._hv(host)
            path = 'hostvars[%s]' % host
            role = hv.get('lvs_director_role')
            if role is not None and role not in ('primary', 'backup'):
                chk.error(path + '.lvs_director_role', 'must be primary or backup, got %r' % (_safe(role),),
                          'set primary on one director and backup (or nothing) on the others', host)
            role = 'primary' if host == primary else 'backup'
            if role == 'backup':
                default_prio = max(100 - backup_rank, 1)
                backup_rank += 1
            else:
                default_prio = 150
            prio = hv.get('lvs_priority', default_prio)
            prio = chk.integer(prio, path + '.lvs_priority', 1, 254,
                               'use 1-254 (255 is reserved for the address owner)', host) or default_prio
            addr = _host_address(chk, host, hv, path)
            if addr in seen_addr:
                chk.error(path + '.lvs_address', 'is the same address as director %s' % seen_addr[addr],
                          'give every director its own address', host)
            seen_addr.setdefault(addr, host)
            node = hv.get('lvs_node_name', host.split('.')[0])
            entries.append({'host': host, 'address': addr, 'role': role, 'priority': prio,
                            'state': 'MASTER' if role == 'primary' and cluster['keepalived']['preempt'] else 'BACKUP',
                            'node_name': node})
        prios = [e['priority'] for e in entries]
        if len(set(prios)) != len(prios):
            chk.error('lvs_priority', 'directors of cluster %r share a priority (%s)' % (cluster['name'], prios),
                      'give every director of a cluster a distinct lvs_priority')
        prim = next(e for e in entries if e['role'] == 'primary')
        if any(e['priority'] > prim['priority'] for e in entries if e is not prim):
            chk.error('lvs_priority', 'a backup of cluster %r has a higher priority than the primary %s' % (cluster['name'], prim['host']),
                      'give the primary the highest lvs_priority, or make that backup the primary')
        cluster['directors'] = entries
        cluster['primary'] = prim

    def _resolve_realservers(self, chk, cluster, realservers):
        for i, svc in enumerate(cluster['virtual_services']):
            path = 'lvs_virtual_services[%d]' % i
            own_group = svc['real_server_group']
            group = own_group or cluster['realserver_group']
            svc['real_server_group'] = group
            members = self.groups.get(group)
            svc['real_servers'] = []
            if members is None:
                chk.error(path + '.real_server_group' if own_group else 'lvs_realserver_group',
                          'inventory group %r does not exist (cluster %s)' % (group, cluster['name']),
                          'create the group with the real servers as members, or name an existing group')
                continue
            if not members:
                chk.error(path, 'real-server group %r of cluster %s is empty' % (group, cluster['name']),
                          'add the real servers to the group %r in the inventory' % group)
            for host in members:
                hv = self._hv(host)
                hpath = 'hostvars[%s]' % host
                if host not in realservers:
                    chk.error(hpath, 'real server of %s.%s is not in group %s, so site.yml will not prepare it'
                              % (cluster['name'], svc['name'], REALSERVERS_GROUP),
                              'make %r a child group of %s' % (group, REALSERVERS_GROUP), host)
                if host in self.groups.get(DIRECTORS_GROUP, []):
                    chk.error(hpath, 'is both a director and a real server', 'use separate hosts for directors and real servers',
                              host)
                addr = _host_address(chk, host, hv, hpath)
                weight = hv.get('lvs_weight', 1)
                weights = hv.get('lvs_weights', {})
                if not isinstance(weights, dict):
                    chk.error(hpath + '.lvs_weights', 'must be a dictionary of service name -> weight',
                              'write lvs_weights: {www: 2}', host)
                    weights = {}
                if svc['name'] in weights:
                    weight = weights[svc['name']]
                    wpath = '%s.lvs_weights.%s' % (hpath, svc['name'])
                else:
                    wpath = hpath + '.lvs_weight'
                weight = chk.integer(weight, wpath, 0, 65535, host=host)
                svc['real_servers'].append({'host': host, 'address': addr, 'port': svc['real_server_port'],
                                            'weight': 1 if weight is None else weight})
            if svc['forwarding'] in ('dr', 'tun'):
                for rs in svc['real_servers']:
                    if rs['address'] == svc['vip']:
                        chk.error(path + '.vip', 'equals the address of real server %s' % rs['host'],
                                  'use a dedicated virtual IP')

    @staticmethod
    def _check_piranha(chk, cluster):
        """What piranha's lvs.cf cannot express (IPv6, more than two directors, ...), from the lvs.cf validator."""
        known = set(p.path for p in chk.problems)
        for text in _piranha_cluster_errors(cluster):
            head, _sep, fix = text.partition('. Fix: ')
            path, _sep, message = head.partition(': ')
            if path not in known:
                chk.error(path, message, fix or 'see roles/director_piranha/README.md')

    def _check_vrids(self, chk):
        seen = {}
        for name, c in sorted(self.clusters.items()):
            if c['backend'] != 'keepalived' or c['keepalived']['vrid'] is None:
                continue
            key = (c['l2_segment'], c['keepalived']['vrid'])
            if key in seen:
                chk.error('lvs_keepalived.vrid', 'VRID %s is used by clusters %s and %s on L2 segment %r'
                          % (key[1], seen[key], name, key[0]),
                          'give each keepalived cluster on a segment its own VRID, or set lvs_l2_segment if they are on different segments')
            seen.setdefault(key, name)

    def errors_for(self, host):
        """Errors that concern one host: those of the clusters it directs or serves, and inventory-wide ones."""
        clusters = set()
        if host in self.host_cluster:
            clusters.add(self.host_cluster[host])
        for name, c in self.clusters.items():
            if any(rs['host'] == host for svc in c['virtual_services'] for rs in svc.get('real_servers', [])):
                clusters.add(name)
        return [p for p in self.errors if p.cluster is None or p.cluster in clusters]

    # -- per-host views -------------------------------------------------------------------------
    def director_view(self, host):
        name = self.host_cluster.get(host)
        if name is None:
            return None, None
        cluster = self.clusters[name]
        me = dict(next(e for e in cluster['directors'] if e['host'] == host))
        me['peers'] = [e['address'] for e in cluster['directors'] if e['host'] != host]
        me['router_id'] = cluster['keepalived']['router_id'] or host
        return cluster, me

    def realserver_view(self, host):
        hv = self._hv(host)
        vips, fwd, gws = [], set(), []
        for name in sorted(self.clusters):
            c = self.clusters[name]
            for svc in c['virtual_services']:
                if not any(rs['host'] == host for rs in svc.get('real_servers', [])):
                    continue
                fwd.add(svc['forwarding'])
                if svc['forwarding'] == 'nat':
                    if c['nat'].get('inside_vip') and c['nat']['inside_vip'] not in gws:
                        gws.append(c['nat']['inside_vip'])
                    continue
                entry = {'vip': svc['vip'], 'prefix': 32 if svc['family'] == 4 else 128, 'family': svc['family'],
                         'forwarding': svc['forwarding']}
                if entry not in vips:
                    vips.append(entry)
        return {'host': host, 'address': hv.get('lvs_address', hv.get('ansible_host')),
                'interface': hv.get('lvs_realserver_interface', 'eth0'), 'vips': vips,
                'forwarding': sorted(fwd), 'nat_gateways': gws}


def _public(settings):
    """Cluster settings without the per-host parts, for comparing directors of a cluster."""
    out = copy.deepcopy(settings)
    return out


def redact(obj):
    """Copy of a resolved structure with secrets replaced (for logs and debug output)."""
    if isinstance(obj, dict):
        return dict((k, '********' if k in SECRET_KEYS and obj[k] else redact(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj
