# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The heartbeat + ldirectord backend: its defaults, its rules and its view.

What heartbeat 3.0.6 (v1, haresources mode) and ldirectord 4.12 read, learnt from their parsers:

* ha.cf: one directive per line, words split on blanks; ``node`` names are compared with ``uname -n`` in lower case.
* authkeys: ``N sha1 KEY`` read with ``sscanf("%d%s%s")``: only the first word of the key counts.
* ldirectord.cf: inside a ``virtual=`` section everything from ``#`` to the end of the line is dropped (``s/#.*//``),
  ``request``/``receive`` take what lies between the first and the last double quote, ``receive`` is a Perl regular
  expression, simpletcp turns ``\\n`` in its request into a newline and nothing else, ``checkcommand`` is run with
  ``exec`` as one program (no arguments of its own: ldirectord passes the virtual and real addresses and ports),
  ``smtp`` keeps only ``[0-9A-Za-z._+-]`` (no IPv6, no port) and hands ``emailalert`` to Net::SMTP as ONE address.
  The DNS check asks ``Net::DNS::Resolver->search(request)``: an address gives a PTR query, a name an A query, and a
  name without a dot is only tried with the search domains appended.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import (
    ABS_PATH, NODE_NAME, SYSLOG_FACILITIES, Grammar, safe, str_list,
)

BACKEND = 'heartbeat_ldirectord'
HEARTBEAT_DEFAULTS = {
    'udpport': 694,
    'keepalive': 2,
    'warntime': 6,
    'deadtime': 10,
    'initdead': 30,
    # off: a returning director stays standby (a failback is a second takeover, which costs clients as much as the
    # failure did; roles/director_heartbeat_ldirectord/README.md, "Failback")
    'auto_failback': False,
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
LINKS = ('ucast', 'bcast', 'mcast')
INITDEAD_MIN = 10
# heartbeat counts a log facility only when its number is above 0 (config.c, check_logd_usage): kern (0) leaves it
# without any log destination and it refuses to start.
HEARTBEAT_FACILITIES = tuple(f for f in SYSLOG_FACILITIES if f != 'kern')
# UDP ports that Debian 12's /etc/services (netbase) gives to other services: heartbeat warns when its udpport is one
# of them (config.c, set_udpport: getservbyport). The role also asks the host's own services database.
RESERVED_UDP_PORTS = {
    7: 'echo', 9: 'discard', 13: 'daytime', 19: 'chargen', 21: 'fsp', 37: 'time', 49: 'tacacs', 53: 'domain', 67: 'bootps',
    68: 'bootpc', 69: 'tftp', 88: 'kerberos', 111: 'sunrpc', 123: 'ntp', 137: 'netbios-ns', 138: 'netbios-dgm', 161: 'snmp',
    162: 'snmp-trap', 163: 'cmip-man', 164: 'cmip-agent', 177: 'xdmcp', 213: 'ipx', 319: 'ptp-event', 320: 'ptp-general',
    369: 'rpc2portmap', 370: 'codaauth2', 371: 'clearcase', 389: 'ldap', 427: 'svrloc', 443: 'https', 464: 'kpasswd',
    500: 'isakmp', 512: 'biff', 513: 'who', 514: 'syslog', 517: 'talk', 518: 'ntalk', 520: 'route', 538: 'gdomap',
    546: 'dhcpv6-client', 547: 'dhcpv6-server', 554: 'rtsp', 623: 'asf-rmcp', 636: 'ldaps', 646: 'ldp', 655: 'tinc',
    750: 'kerberos4', 751: 'kerberos-master', 752: 'passwd-server', 779: 'moira-ureg', 853: 'domain-s', 1194: 'openvpn',
    1210: 'predict', 1434: 'ms-sql-m', 1645: 'datametrics', 1646: 'sa-msg-port', 1701: 'l2f', 1812: 'radius',
    1813: 'radius-acct', 2049: 'nfs', 2086: 'gnunet', 2101: 'rtcm-sc104', 2102: 'zephyr-srv', 2103: 'zephyr-clt',
    2104: 'zephyr-hm', 2430: 'venus', 2431: 'venus-se', 2432: 'codasrv', 2433: 'codasrv-se', 2583: 'mon', 3130: 'icpv2',
    3205: 'isns', 3493: 'nut', 4500: 'ipsec-nat-t', 4569: 'iax', 5060: 'sip', 5061: 'sip-tls', 5353: 'mdns', 5555: 'rplay',
    6346: 'gnutella-svc', 6347: 'gnutella-rtr', 6696: 'babel', 7000: 'afs3-fileserver', 7001: 'afs3-callback',
    7002: 'afs3-prserver', 7003: 'afs3-vlserver', 7004: 'afs3-kaserver', 7005: 'afs3-volser', 7007: 'afs3-bos',
    7008: 'afs3-update', 7009: 'afs3-rmtsys', 17001: 'sgi-cmsd', 17002: 'sgi-crsd', 17003: 'sgi-gcd', 27374: 'asp',
}
# authkeys: heartbeat reads the key with sscanf("%s") from a line read with fgets(): one word, and short enough for
# any line buffer. The minimum is counted in bytes of that one word.
AUTHKEY_MIN_BYTES = 8
AUTHKEY_MAX_BYTES = 1024
# Where ldirectord logs: a syslog facility, or a file it opens for appending (an absolute path, not a directory).
LDIRECTORD_LOGFILE = Grammar(
    'ldirectord log target', '|'.join(SYSLOG_FACILITIES) + '|' + ABS_PATH.pattern.pattern,
    'a syslog facility (%s) or the absolute path of a log file' % ', '.join(SYSLOG_FACILITIES), 'local0', 1024,
    lambda v: ('cannot end with "/": it names a directory, ldirectord needs a file' if v.endswith('/') and v != '/' else
               'cannot be "/"' if v == '/' else ABS_PATH.extra(v) if v.startswith('/') else None))
# simpletcp's request (health_check.send), on top of the shared TEXT grammar: ldirectord.cf cuts the line at "#",
# the quotes delimit the value, and the only escape ldirectord translates is \n.
SEND_WHAT = ('printable text without "#" or double quotes, a backslash only in \\n (a newline: the only escape '
             'ldirectord translates)')
FORWARD = {'dr': 'gate', 'nat': 'masq', 'tun': 'ipip'}
# The health-check fields (beyond type, port and timeouts) that each of ldirectord's checks reads. A field set for a
# check that does not read it would be ignored in silence: it is refused.
CHECK_FIELDS = {
    'tcp': ('send', 'expect'),
    'http': ('path', 'host', 'expect'),
    'https': ('path', 'host', 'expect'),
    'dns': ('dns_name', 'dns_type', 'expect'),
    'smtp': (),
    'misc': ('misc_path',),
    'ping': (),
    'none': (),
}
OPTIONAL_CHECK_FIELDS = ('send', 'expect', 'host', 'dns_name', 'misc_path')
CHECK_SERVICE = {'tcp': 'simpletcp', 'http': 'http', 'https': 'https', 'dns': 'dns', 'smtp': 'smtp'}
# Characters that mean something in a Perl regular expression (those Python's re.escape escapes): each is escaped
# with a backslash, which Perl reads as the character itself. "#" and '"' are written as \x23 and \x22 so that the
# line never carries a comment character or a quote.
_PERL_SPECIAL = frozenset('()[]{}?*+-|^$\\.&~ ')


def settings(chk, hv, c, backend, host):
    """Normalise lvs_heartbeat and lvs_ldirectord (their shape is checked for every backend, their use for this one)."""
    hb = chk.dict_of(hv.get('lvs_heartbeat'), 'lvs_heartbeat', HEARTBEAT_DEFAULTS, host)
    for key, lo, hi in (('udpport', 1, 65535), ('keepalive', 1, 3600), ('warntime', 1, 3600), ('deadtime', 1, 3600),
                        ('initdead', 1, 7200)):
        hb[key] = chk.integer(hb[key], 'lvs_heartbeat.%s' % key, lo, hi, host=host)
    hb['auto_failback'] = bool(chk.boolean(hb['auto_failback'], 'lvs_heartbeat.auto_failback', host))
    chk.choice(hb['link'], 'lvs_heartbeat.link', LINKS, host)
    hb['mcast_group'] = _mcast_group(chk, hb['mcast_group'], host)
    hb['ping_nodes'] = [str(a) for a in (chk.ip(p, 'lvs_heartbeat.ping_nodes[%d]' % i, 'list IP addresses', host)
                                         for i, p in enumerate(str_list(chk, hb['ping_nodes'], 'lvs_heartbeat.ping_nodes', host,
                                                                        example='203.0.113.1')))
                        if a is not None]
    if hb['logfacility'] == 'kern':
        chk.error('lvs_heartbeat.logfacility', 'cannot be kern: heartbeat takes facility 0 (kern) for no log destination '
                  'at all and refuses to start', 'use daemon or one of local0-local7', host)
        hb['logfacility'] = None
    elif hb['logfacility'] not in HEARTBEAT_FACILITIES:
        chk.error('lvs_heartbeat.logfacility', 'must be a syslog facility, got %r' % (safe(hb['logfacility']),),
                  'use one of %s' % ', '.join(HEARTBEAT_FACILITIES), host)
        hb['logfacility'] = None
    if hb['udpport'] in RESERVED_UDP_PORTS:
        chk.error('lvs_heartbeat.udpport', 'is UDP port %d, which /etc/services gives to %s: heartbeat warns that it is '
                  'reserved for another service' % (hb['udpport'], RESERVED_UDP_PORTS[hb['udpport']]),
                  'keep the default 694 (ha-cluster), or choose a port no service of /etc/services uses', host)
    if backend == BACKEND:
        hb['authkey'] = chk.secret(hb['authkey'], 'lvs_heartbeat.authkey', AUTHKEY_MIN_BYTES, AUTHKEY_MAX_BYTES,
                                   'heartbeat keeps only the first word of the key in authkeys', host)
        if None not in (hb['keepalive'], hb['deadtime'], hb['warntime'], hb['initdead']):
            if hb['deadtime'] <= 2 * hb['keepalive']:
                chk.error('lvs_heartbeat.deadtime', 'must be greater than twice keepalive (%s), got %s: heartbeat refuses to start'
                          % (hb['keepalive'], hb['deadtime']),
                          'make deadtime several times keepalive, e.g. keepalive 2, deadtime 10', host)
            if not hb['keepalive'] < hb['warntime'] < hb['deadtime']:
                chk.error('lvs_heartbeat.warntime', 'must lie between keepalive and deadtime',
                          'e.g. keepalive 2, warntime 6, deadtime 10', host)
            # heartbeat refuses initdead below deadtime and warns below 10 s (config.c init_config); twice deadtime
            # leaves room for a slow network start.
            least = max(INITDEAD_MIN, 2 * hb['deadtime'])
            if hb['initdead'] < least:
                chk.error('lvs_heartbeat.initdead', 'must be at least twice deadtime (%s) and at least %d s, got %s: heartbeat '
                          'warns that a shorter initial dead time may be too small' % (hb['deadtime'], INITDEAD_MIN, hb['initdead']),
                          'set initdead to %d or more' % least, host)
    c['heartbeat'] = hb

    ld = chk.dict_of(hv.get('lvs_ldirectord'), 'lvs_ldirectord', LDIRECTORD_DEFAULTS, host)
    for key in ('autoreload', 'quiescent'):
        ld[key] = bool(chk.boolean(ld[key], 'lvs_ldirectord.%s' % key, host))
    ld['failurecount'] = chk.integer(ld['failurecount'], 'lvs_ldirectord.failurecount', 1, 100, host=host)
    for key in ('checktimeout', 'checkinterval'):
        if ld[key] is not None:
            ld[key] = chk.integer(ld[key], 'lvs_ldirectord.%s' % key, 1, 86400, host=host)
    ld['logfile'] = chk.text(ld['logfile'], 'lvs_ldirectord.logfile', LDIRECTORD_LOGFILE, host=host,
                             fix='use a syslog facility such as local0, or an absolute file path such as /var/log/ldirectord.log')
    c['ldirectord'] = ld


def _mcast_group(chk, value, host):
    try:
        addr = ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        addr = None
    if addr is None or addr.version != 4 or not addr.is_multicast:
        chk.error('lvs_heartbeat.mcast_group', 'must be an IPv4 multicast address (224.0.0.0/4), got %r' % (safe(value),),
                  'use an administratively scoped group such as 239.0.0.1', host)
        return None
    return str(addr)


def rules(chk, c, host):
    """What heartbeat v1 + ldirectord 4.12 cannot do, reported before any host is touched."""
    hb = c['heartbeat']
    if c['sync_daemon']:
        chk.error('lvs_sync_daemon', 'the heartbeat_ldirectord backend does not run the IPVS sync daemon',
                  'set lvs_sync_daemon: false, or use the keepalived backend', host)
    for i, node in enumerate(hb['ping_nodes']):
        if ':' in node:
            chk.error('lvs_heartbeat.ping_nodes[%d]' % i, 'is an IPv6 address; heartbeat\'s ping link sends IPv4 ICMP',
                      'list IPv4 addresses (routers both directors can reach)', host)
    if c['notification_email']:
        if c['smtp_port'] != 25:
            chk.error('lvs_smtp_server', 'ldirectord sends alerts only to port 25', 'drop the :port from lvs_smtp_server', host)
        if c['smtp_server'] and ':' in c['smtp_server']:
            chk.error('lvs_smtp_server', 'is an IPv6 address; ldirectord\'s smtp= keeps only letters, digits and "._+-" and '
                      'would cut it at the first ":"', 'use an IPv4 relay (or the keepalived backend)', host)
        if len(c['notification_email']) > 1:
            chk.error('lvs_notification_email', 'lists %d addresses; ldirectord hands its emailalert to Net::SMTP as one '
                      'address, so a list is never delivered' % len(c['notification_email']),
                      'give one address (a mailing list or alias that forwards to the others)', host)
    services = c['virtual_services']
    if c['nat'].get('inside_vip') and ':' in c['nat']['inside_vip'] and any(s['forwarding'] == 'nat' for s in services):
        chk.error('lvs_nat.inside_vip', 'cannot be an IPv6 address with the heartbeat backend: its lvs-vip resource holds '
                  'IPv4 addresses only', 'use an IPv4 inside VIP, or the keepalived backend', host)
    prefixes = {}
    for i, svc in enumerate(services):
        path = 'lvs_virtual_services[%d]' % i
        if svc['family'] == 6:
            chk.error(path + '.vip', 'cannot be an IPv6 address with the heartbeat backend: its lvs-vip resource '
                      '(like heartbeat\'s IPaddr2 with LVS support) holds IPv4 VIPs only',
                      'use an IPv4 VIP with this backend, or the keepalived backend', host)
        elif svc['vip'] is not None:
            first = prefixes.setdefault(svc['vip'], (i, svc['vip_prefix']))
            if first[1] != svc['vip_prefix']:
                chk.error(path + '.vip_prefix', 'is %s but lvs_virtual_services[%d] holds the same VIP with prefix %s: '
                          'haresources holds each VIP once' % (svc['vip_prefix'], first[0], first[1]),
                          'give every service of VIP %s the same vip_prefix' % svc['vip'], host)
        sorry = svc['sorry_server']
        if sorry and sorry.get('address') and ':' in sorry['address']:
            chk.error(path + '.sorry_server.address', 'is an IPv6 address; ldirectord\'s fallback= of an IPv4 virtual '
                      'service takes IPv4 only', 'use an IPv4 sorry server', host)
        _health_rules(chk, svc, path, host)


def _health_rules(chk, svc, path, host):
    hc = svc['health_check']
    hpath = path + '.health_check'
    kind = hc['type']
    if kind not in CHECK_FIELDS:
        return
    for key in OPTIONAL_CHECK_FIELDS:
        if hc.get(key) is not None and key not in CHECK_FIELDS[kind]:
            chk.error('%s.%s' % (hpath, key), 'is not read by ldirectord\'s %s check (it would be ignored)' % kind,
                      'remove it, or choose a check type that uses it (%s)'
                      % ', '.join(t for t in sorted(CHECK_FIELDS) if key in CHECK_FIELDS[t]), host)
    if hc['digest']:
        chk.error(hpath + '.digest', 'ldirectord cannot compare page digests',
                  'use expect (a text the page contains) instead, or the keepalived backend', host)
    if kind in ('http', 'https') and hc['status_code'] is not None and not 200 <= hc['status_code'] <= 299:
        chk.error(hpath + '.status_code', 'ldirectord accepts only 2xx answers, got %s' % hc['status_code'],
                  'check a URL that answers 2xx, or use the keepalived backend', host)
    if svc['fwmark'] is not None and kind in ('tcp', 'http', 'https', 'dns', 'smtp') and not hc['port']:
        chk.error(hpath + '.port', 'is required: a firewall-mark service has no port of its own for ldirectord to check',
                  'name the real servers\' port to check, e.g. port: 80', host)
    if kind == 'misc' and hc.get('misc_argv') and len(hc['misc_argv']) > 1:
        chk.error(hpath + '.misc_path', 'has arguments; ldirectord runs checkcommand as one program and passes it the '
                  'virtual address, virtual port, real address and real port, nothing else',
                  'give the program alone, and put fixed arguments in a wrapper script', host)
    if kind == 'tcp' and hc['send'] is not None:
        reason = _send_reason(hc['send'])
        if reason is not None:
            chk.error(hpath + '.send', '%s (got %r): ldirectord.cf carries %s' % (reason, safe(hc['send']), SEND_WHAT),
                      'write e.g. send: \'PING\\n\' (in single quotes, so that YAML keeps the backslash)', host)
    if kind == 'dns':
        if hc['dns_type'] not in ('A', 'PTR'):
            chk.error(hpath + '.dns_type', 'ldirectord\'s DNS check asks only A or PTR, got %s' % hc['dns_type'],
                      'use dns_type: A (or PTR)', host)
        elif hc['dns_name'] is not None:
            reason = _dns_name_reason(hc['dns_name'], hc['dns_type'])
            if reason is not None:
                chk.error(hpath + '.dns_name', reason[0], reason[1], host)


def _send_reason(text):
    """Why simpletcp's request line cannot carry ``text`` as it is, or None."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in '#"':
            return 'contains %r, which a request line of ldirectord.cf cannot carry ("#" starts a comment, quotes delimit the value)' % ch
        if ch == '\\':
            if text[i + 1:i + 2] != 'n':
                return 'has a backslash that does not start \\n (ldirectord would send it as it is)'
            i += 1
        i += 1
    return None


def _dns_name_reason(name, dns_type):
    """Why ldirectord cannot ask ``dns_type`` about ``name`` (message, fix), or None."""
    if dns_type == 'PTR':
        if ptr_request(name) is None:
            return ('ldirectord asks a PTR query only for an address: give the IPv4 address, or its full '
                    'in-addr.arpa / ip6.arpa name, got %r' % (safe(name),), 'e.g. dns_name: 1.2.0.192.in-addr.arpa')
        return None
    if re.fullmatch(r'[0-9.]+', name):
        return ('looks like an IPv4 address: ldirectord\'s resolver would ask a PTR query, not an A query, for %r' % name,
                'use dns_type: PTR to check a reverse name, or give a host name')
    if '.' not in name:
        return ('has no dot: ldirectord\'s resolver would only try it with the search domains appended',
                'give the full name, or end a single label with "." (e.g. %s.)' % name)
    return None


def ptr_request(name):
    """The address ldirectord must be given so that its resolver asks the PTR query of ``name``, or None."""
    bare = name[:-1] if name.endswith('.') else name
    try:
        return str(ipaddress.IPv4Address(bare))
    except ValueError:
        pass
    labels = bare.lower().split('.')
    if labels[-2:] == ['in-addr', 'arpa'] and 1 <= len(labels) - 2 <= 4:
        octets = labels[:-2]
        if all(re.fullmatch(r'[0-9]{1,3}', o) and int(o) <= 255 and str(int(o)) == o for o in octets):
            return '.'.join(reversed(octets))
    if labels[-2:] == ['ip6', 'arpa'] and len(labels) == 34 and all(re.fullmatch(r'[0-9a-f]', n) for n in labels[:-2]):
        nibbles = ''.join(reversed(labels[:-2]))
        return str(ipaddress.IPv6Address(':'.join(nibbles[i:i + 4] for i in range(0, 32, 4))))
    return None


def cluster_rules(chk, cluster):
    """Rules that need the resolved directors and real servers."""
    seen = {}
    for d in cluster['directors']:
        path = 'hostvars[%s].lvs_node_name' % d['host']
        if chk.text(d['node_name'], path, NODE_NAME, host=d['host'],
                    fix='set lvs_node_name to the director\'s `uname -n` (letters, digits, "_", "." and "-")') is None:
            continue
        other = seen.setdefault(d['node_name'].lower(), d['host'])
        if other != d['host']:
            chk.error(path, 'is the node name of director %s too (heartbeat compares node names in lower case)' % other,
                      'give every director its own host name and lvs_node_name', d['host'])
        if d['address'] and ':' in d['address']:
            chk.error('hostvars[%s].lvs_address' % d['host'], 'is an IPv6 address; heartbeat 3.0.6 links are IPv4 only (ucast '
                      'sends to the IPv4 peers, bcast needs the interface\'s IPv4 broadcast address, mcast its IPv4 address)',
                      'give the directors IPv4 addresses on lvs_interface, or use the keepalived backend', d['host'])
    for i, svc in enumerate(cluster['virtual_services']):
        if svc['family'] != 4:
            continue
        for rs in svc.get('real_servers', []):
            if rs['address'] and ':' in rs['address']:
                chk.error('hostvars[%s].lvs_address' % rs['host'], 'is an IPv6 address, but lvs_virtual_services[%d] (%s) is '
                          'IPv4: ldirectord\'s real= lines of an IPv4 virtual service take IPv4 only' % (i, svc['name']),
                          'give the real server an IPv4 lvs_address', rs['host'])


# -- the view -----------------------------------------------------------------------------------------------

def perl_literal(text):
    """A Perl regular expression matching ``text`` literally, with no "#" or double quote in it."""
    out = []
    for ch in text:
        if ch == '#':
            out.append('\\x23')
        elif ch == '"':
            out.append('\\x22')
        elif ch in _PERL_SPECIAL:
            out.append('\\' + ch)
        else:
            out.append(ch)
    return ''.join(out)


def _check_lines(svc):
    """The checktype and its options, each line final, for one virtual service."""
    hc = svc['health_check']
    kind = hc['type']
    if kind == 'none':
        return ['checktype=on']
    if kind == 'ping':
        return ['checktype=ping', 'checktimeout=%d' % hc['timeout']]
    if kind == 'misc':
        return ['checktype=external', 'checkcommand="%s"' % hc['misc_argv'][0], 'checktimeout=%d' % hc['timeout']]
    if kind == 'tcp' and hc['send'] is None and hc['expect'] is None:
        return ['checktype=connect', 'checktimeout=%d' % hc['timeout']]
    # negotiate: http, https, dns, smtp, and tcp with send/expect (simpletcp)
    lines = ['checktype=negotiate', 'service=%s' % CHECK_SERVICE[kind], 'checktimeout=%d' % hc['timeout'],
             'negotiatetimeout=%d' % hc['timeout']]
    if kind in ('http', 'https'):
        lines.append('request="%s"' % hc['path'])
        if hc['host']:
            lines.append('virtualhost="%s"' % hc['host'])
    elif kind == 'dns':
        lines.append('request="%s"' % (ptr_request(hc['dns_name']) if hc['dns_type'] == 'PTR' else hc['dns_name']))
    elif kind == 'tcp':
        # simpletcp drops the first character of the request: give it the "/" it would otherwise add
        lines.append('request="/%s"' % (hc['send'] or ''))
    if hc['expect'] is not None:
        lines.append('receive="%s"' % perl_literal(hc['expect']))
    elif kind in ('dns', 'tcp'):
        # these checks are down without a receive pattern: accept any answer
        lines.append('receive="."')
    return lines


def _virtual(svc):
    hc = svc['health_check']
    fwd = FORWARD[svc['forwarding']]
    fwmark = svc['fwmark'] is not None
    lines = ['real=%s%s %s %d' % (rs['address'], '' if fwmark else ':%d' % rs['port'], fwd, rs['weight'])
             for rs in svc.get('real_servers', [])]
    sorry = svc['sorry_server']
    if sorry:
        lines.append('fallback=%s%s %s' % (sorry['address'], ':%d' % sorry['port'] if sorry['port'] else '', fwd))
    lines.append('servicename=%s' % svc['name'])
    lines.append('protocol=%s' % ('fwm' if fwmark else svc['protocol']))
    lines.append('scheduler=%s' % svc['scheduler'])
    if svc['persistence_timeout']:
        lines.append('persistent=%d' % svc['persistence_timeout'])
        if svc['persistence_netmask']:
            lines.append('netmask=%s' % svc['persistence_netmask'])
    lines.extend(_check_lines(svc))
    if hc['type'] not in ('none', 'ping') and hc['port'] and (fwmark or hc['port'] != svc['real_server_port']):
        lines.append('checkport=%d' % hc['port'])
    return {'name': svc['name'], 'virtual': str(svc['fwmark']) if fwmark else '%s:%d' % (svc['vip'], svc['port']),
            'lines': lines}


def _ldirectord(cluster):
    ld = cluster['ldirectord']
    checks = [s['health_check'] for s in cluster['virtual_services']]
    # Unset globals are derived: ldirectord (fork=no) checks every service once per checkinterval, so the shortest
    # service interval; each service keeps its own timeout, the global one only covers the rest.
    checktimeout = ld['checktimeout'] or max([hc['timeout'] for hc in checks] or [5])
    checkinterval = ld['checkinterval'] or min([hc['interval'] for hc in checks] or [10])
    lines = ['checktimeout=%d' % checktimeout, 'negotiatetimeout=%d' % checktimeout, 'checkinterval=%d' % checkinterval,
             'failurecount=%d' % ld['failurecount'], 'autoreload=%s' % ('yes' if ld['autoreload'] else 'no'),
             'quiescent=%s' % ('yes' if ld['quiescent'] else 'no'),
             # At start ldirectord would add every real server with its weight and take it out again until its first
             # check passes (readdquiescent=no): traffic to unchecked servers, and a table that looks ready to the
             # lvs-ldirectord resource script before it is. With yes a server that is down is never added with a weight
             # above 0 (with quiescent=yes it is re-added with weight 0, as quiescent says).
             'readdquiescent=yes',
             'logfile="%s"' % ld['logfile']]
    if cluster['notification_email']:
        lines.extend(['emailalert="%s"' % ', '.join(cluster['notification_email']),
                      'emailalertfrom=%s' % cluster['notification_email_from'],
                      'smtp=%s' % cluster['smtp_server']])
    return {'global_lines': lines, 'virtuals': [_virtual(s) for s in cluster['virtual_services']],
            # the directory a log file needs (ldirectord's parse fails when it cannot open the file)
            'log_dir': (ld['logfile'].rsplit('/', 1)[0] or '/') if ld['logfile'].startswith('/') else None}


def failback(cluster):
    """Whether the first director takes the VIPs back when its heartbeat returns (the cluster view's ``failback``;
    ha.cf's auto_failback): with auto_failback on, the node named in haresources (the primary) takes its resource
    group back as soon as it has joined; off, the returning node stays standby. heartbeat has no delay of its own for
    it (initdead only bounds the wait for a peer that is not heard at all)."""
    return {'expected': bool(cluster['heartbeat']['auto_failback']), 'delay_seconds': 0}


def _heartbeat(cluster, me):
    hb = cluster['heartbeat']
    iface = cluster['interface']
    if hb['link'] == 'ucast':
        # one file for every director: heartbeat ignores the ucast line that names its own address
        links = ['ucast %s %s' % (iface, d['address']) for d in cluster['directors']]
    elif hb['link'] == 'mcast':
        links = ['mcast %s %s %d 1 0' % (iface, hb['mcast_group'], hb['udpport'])]
    else:
        links = ['bcast %s' % iface]
    return {
        'udpport': hb['udpport'], 'logfacility': hb['logfacility'], 'keepalive': hb['keepalive'], 'warntime': hb['warntime'],
        'deadtime': hb['deadtime'], 'initdead': hb['initdead'], 'links': links,
        'auto_failback': 'on' if failback(cluster)['expected'] else 'off',
        'nodes': [d['node_name'] for d in cluster['directors']],
        'peers': list(me['peers']),
        'ping_nodes': list(hb['ping_nodes']),
        'authkey': hb['authkey'],
        # firewall: heartbeat's UDP port, from the peers (ucast) or from the segment (bcast, mcast: no source)
        'firewall_sources': list(me['peers']) if hb['link'] == 'ucast' else [''],
    }


def _haresources(cluster):
    """heartbeat's one resource group: lvs-ldirectord first (IPVS before the VIPs), then every VIP once, then the NAT
    inside VIP when a service uses NAT."""
    iface = cluster['interface']
    resources = ['lvs-ldirectord::ldirectord.cf']
    seen = set()
    for svc in cluster['virtual_services']:
        if svc['vip'] not in seen:
            seen.add(svc['vip'])
            resources.append('lvs-vip::%s/%d/%s' % (svc['vip'], svc['vip_prefix'], iface))
    nat = cluster['nat']
    if any(s['forwarding'] == 'nat' for s in cluster['virtual_services']):
        resources.append('lvs-vip::%s/%d/%s' % (nat['inside_vip'], nat['inside_prefix'], nat['inside_interface']))
    return {'node': cluster['primary']['node_name'], 'resources': resources}


def _release(cluster):
    """The resource scripts' stop calls, right to left as heartbeat stops them, as [script, argument] pairs: heartbeat's
    unit runs them before every start, so that a heartbeat restarted after a crash (SIGKILL) starts with its resources
    idle (no VIP left behind while the peer takes over; ResourceManager refuses to start a node whose resources look
    active)."""
    return [list(r.split('::', 1)) for r in reversed(_haresources(cluster)['resources'])]


def view(cluster, me):
    """The plain data this backend's templates and tasks print for director ``me`` of ``cluster``."""
    timeouts = cluster['timeouts']
    return {
        'backend': BACKEND,
        'cluster': cluster['name'],
        'node_name': me['node_name'],
        'address': me['address'],
        'interface': cluster['interface'],
        'heartbeat': _heartbeat(cluster, me),
        'haresources': _haresources(cluster),
        'release': _release(cluster),
        'ldirectord': _ldirectord(cluster),
        # ipvsadm --set TCP TCPFIN UDP (0 keeps the kernel's value), or None when lvs_timeouts is empty
        'ipvs_timeouts': [timeouts.get('tcp', 0), timeouts.get('tcpfin', 0), timeouts.get('udp', 0)] if timeouts else None,
        'ip_forward': any(s['forwarding'] == 'nat' for s in cluster['virtual_services']),
        'firewall': cluster['firewall'],
    }
