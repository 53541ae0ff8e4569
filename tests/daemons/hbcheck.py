# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""heartbeat 3.0.6's reading rules for ha.cf, authkeys and haresources, as a checker of rendered files.

heartbeat has no configuration-test mode, so this module reads the files the way heartbeat 3.0.6 (Debian 12's
package) does, rule by rule, and reports everything heartbeat would refuse, split, truncate, ignore or warn about.
Each rule names the function of heartbeat's source it follows (heartbeat/config.c, heartbeat/auth.c,
lib/plugins/HBcomm/*.c, heartbeat/lib/ResourceManager.in of heartbeat 3.0.6, e.g. Ubuntu's/Debian's 1:3.0.6 package
sources; clplumbing functions from ClusterLabs/cluster-glue). The constants were read from the same sources and,
for MAXLINE (defined outside heartbeat's tree), from Debian's binary: ``fgets(buf, 0x1400, f)`` in parse_config
and parse_authfile, ``fgets(buf, 0x13ff, f)`` in parse_ha_resources.

``check_hacf(text)``, ``check_authkeys(text)`` and ``check_haresources(text, nodes)`` return a list of problems
(strings); [] means heartbeat reads the file exactly as written, without an error or a warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re
import socket

MAXLINE = 5120          # fgets(buf, MAXLINE, f): config.c parse_config, auth.c parse_authfile
HOSTLENG = 100          # include/heartbeat.h: char nodename[HOSTLENG] (strncpy, so at most 99 bytes stay terminated)
MAXNODE = 100           # include/heartbeat.h
MAXMEDIA = 64           # include/heartbeat.h
MAXAUTH = 16            # include/heartbeat.h
WHITESPACE = ' \t\n\r\f'  # include/heartbeat.h
DELIMS = ', \t\n\r\f'     # include/heartbeat.h: option values are split on these (a comma too)
COMMENTCHAR = '#'

# config.c Directives[]: "keyword value value ..." directives (each value passed to the add_func on its own).
OPTION_DIRECTIVES = (
    'cluster', 'node', 'hopfudge', 'keepalive', 'deadtime', 'deadping', 'initdead', 'warntime', 'watchdog', 'baud',
    'udpport', 'logfacility', 'logfile', 'debugfile', 'nice_failback', 'auto_failback', 'rtprio', 'hbgenmethod',
    'realtime', 'debug', 'msgfmt', 'use_logd', 'conn_logd_time', 'use_apphbd', 'log_badpack', 'syslogmsgfmt',
    'coredumps', 'coreroot', 'crm_daemon_dir', 'crmd_spawns_pengine', 'crm', 'pacemaker', 'autojoin', 'uuidfrom',
    'compression', 'compression_threshold', 'traditional_compression', 'env', 'max_rexmit_delay',
    'record_config_changes', 'record_pengine_inputs', 'enable_config_writes', 'memreserve', 'quorum_server',
)
# config.c WLdirectives[]: whole-line directives.
WHOLE_LINE_DIRECTIVES = ('stonith', 'stonith_host', 'apiauth', 'respawn', 'failfast')
# HBcomm plugins of Debian's package (/usr/lib/heartbeat/plugins/HBcomm): media with a whole-line parse function
# (mcast, ucast and their IPv6 twins) and media whose each option value is one medium ("new" function: bcast, ping).
WHOLE_LINE_MEDIA = ('mcast', 'mcast6', 'ucast', 'ucast6', 'ping_group')
OPTION_MEDIA = ('bcast', 'ping', 'ping6', 'serial')
# Directives whose value is one word: a second word is passed to the same add_func again (the last one wins).
SINGLE_VALUE = ('keepalive', 'deadtime', 'deadping', 'initdead', 'warntime', 'udpport', 'logfacility', 'logfile',
                'debugfile', 'auto_failback', 'use_logd', 'crm', 'pacemaker', 'realtime', 'debug', 'cluster')
# cl_syslog.c cl_syslogfac_str2int over glibc's facilitynames (SYSLOG_NAMES): exact, case-sensitive names.
FACILITIES = ('auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'mark', 'news', 'security', 'syslog',
              'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7')
# cl_misc.c cl_str_to_boolean (strcasecmp).
BOOLEANS = ('true', 'on', 'yes', 'y', '1', 'false', 'off', 'no', 'n', '0')
# auth.c findauth: the HBauth plugins Debian ships; sha1 and md5 need a key, crc takes none.
AUTH_METHODS = {'sha1': True, 'md5': True, 'crc': False}
# cl_get_msec: a decimal number with an optional unit (s by default).
MSEC = re.compile(r'[0-9]+(?:\.[0-9]+)?(?:ms|us|s)?')


def _msec(value):
    m = re.fullmatch(r'([0-9]+(?:\.[0-9]+)?)(ms|us|s)?', value)
    if not m:
        return None
    num = float(m.group(1))
    return {'ms': num, 'us': num / 1000.0, 's': num * 1000.0, None: num * 1000.0}[m.group(2)]


def _lines(text, maxline, path):
    """The lines fgets(buf, maxline, f) returns: a longer line comes back in pieces (each piece is read as a line)."""
    problems, out = [], []
    for lineno, line in enumerate(text.split('\n'), 1):
        raw = line.encode('utf-8')
        if len(raw) + 1 > maxline - 1:
            problems.append('%s line %d: %d bytes; heartbeat reads lines with fgets(buf, %d) and would split it '
                            '(the rest is read as another line)' % (path, lineno, len(raw), maxline))
        out.append((lineno, line))
    return problems, out


def check_hacf(text):
    """heartbeat/config.c parse_config + init_config, and the HBcomm plugins' parse functions."""
    problems, lines = _lines(text, MAXLINE, 'ha.cf')
    values = {}
    nodes, media = [], 0
    seen_media = False
    for lineno, line in lines:
        where = 'ha.cf line %d' % lineno
        bp = line.lstrip(WHITESPACE)
        if COMMENTCHAR in bp:
            # parse_config: "Zap comments on the line" - strchr(bp, '#') anywhere ends the line.
            if bp.index(COMMENTCHAR) > 0:
                problems.append('%s: "#" inside a value ends the line for heartbeat (parse_config strchr COMMENTCHAR): '
                                '%r is read as %r' % (where, line, bp[:bp.index(COMMENTCHAR)]))
            bp = bp[:bp.index(COMMENTCHAR)]
        bp = bp.split('\r')[0]
        if not bp.strip(WHITESPACE):
            continue
        directive = re.split('[%s]' % re.escape(WHITESPACE), bp, 1)[0]
        rest = bp[len(directive):].lstrip(DELIMS)
        if directive not in OPTION_DIRECTIVES + WHOLE_LINE_DIRECTIVES + WHOLE_LINE_MEDIA + OPTION_MEDIA:
            problems.append('%s: illegal directive [%s] (config.c islegaldirective)' % (where, directive))
            continue
        if directive in WHOLE_LINE_MEDIA:
            seen_media = True
            media += 1
            problems.extend(_check_medium(where, directive, rest, values))
            continue
        if directive in WHOLE_LINE_DIRECTIVES:
            if directive == 'respawn' and len(rest.split()) < 2:
                problems.append('%s: respawn needs "userid /path/to/program [args]" (config.c add_client_child_base)' % where)
            continue
        # option directives: every DELIMS-separated word is one add_option(directive, word) call
        words = [w for w in re.split('[%s]' % re.escape(DELIMS), rest) if w]
        if not words:
            continue
        if directive in SINGLE_VALUE and len(words) > 1:
            problems.append('%s: %s takes one value, heartbeat splits %r on blanks and commas (config.c parse_config, '
                            'DELIMS) into %d values and keeps the last' % (where, directive, rest, len(words)))
        for word in words:
            problems.extend(_check_option(where, directive, word, values, nodes, seen_media))
        if directive in OPTION_MEDIA:
            seen_media = True
            media += len(words)
    # init_config
    if media < 1:
        problems.append('ha.cf: no heartbeat media defined (config.c init_config "No heartbeat media defined")')
    if media > MAXMEDIA:
        problems.append('ha.cf: %d media, heartbeat takes at most %d (MAXMEDIA)' % (media, MAXMEDIA))
    if not nodes:
        problems.append('ha.cf: no nodes defined (config.c init_config)')
    if len(nodes) > MAXNODE:
        problems.append('ha.cf: %d nodes, heartbeat takes at most %d (MAXNODE; add_node fails)' % (len(nodes), MAXNODE))
    lowered = [n.lower() for n in nodes]
    for name in sorted(set(n for n in lowered if lowered.count(n) > 1)):
        problems.append('ha.cf: node %r declared twice once lower-cased (config.c add_node inplace_ascii_strdown)' % name)
    keepalive = values.get('keepalive', 1000.0)
    deadtime = values.get('deadtime', 30000.0)
    if deadtime <= 2 * keepalive:
        problems.append('ha.cf: deadtime %g ms <= 2 x keepalive %g ms: "Dead time is too small compared to keeplive" '
                        '(config.c init_config)' % (deadtime, keepalive))
    initdead = values.get('initdead')
    if initdead is None:
        initdead = deadtime if deadtime > 10000 else (12000 if deadtime < 6000 else 2 * deadtime)
    if initdead < deadtime:
        problems.append('ha.cf: initdead %g ms < deadtime %g ms (config.c init_config: error)' % (initdead, deadtime))
    elif initdead < 10000:
        problems.append('ha.cf: initdead %g ms < 10 s: heartbeat warns "Initial dead time may be too small!" '
                        '(config.c init_config)' % initdead)
    if 'warntime' in values and not keepalive < values['warntime'] < deadtime:
        problems.append('ha.cf: warntime %g ms is not between keepalive and deadtime' % values['warntime'])
    # config.c check_logd_usage: a log destination is a logfile, a debugfile or a facility above 0 - LOG_KERN is 0,
    # so "logfacility kern" counts as none; without one and with use_logd off heartbeat does not start.
    has_log = values.get('logfile') or values.get('debugfile') or values.get('logfacility') not in (None, 'kern')
    if not has_log and values.get('use_logd') is False:
        problems.append('ha.cf: "No log entry found in ha.cf and use_logd is set to off" (config.c check_logd_usage: '
                        'logfacility %s is facility number 0, which heartbeat counts as no log) - heartbeat does not start'
                        % values.get('logfacility', '(none)'))
    if values.get('auto_failback') == 'legacy' or 'auto_failback' not in values:
        problems.append('ha.cf: auto_failback legacy (the default when unset): heartbeat warns "Deprecated \'legacy\' '
                        'auto_failback option selected" (config.c init_config)')
    return problems


def _check_option(where, directive, word, values, nodes, seen_media):
    out = []
    if directive == 'node':
        # config.c add_node: strncpy(hip->nodename, value, HOSTLENG), then inplace_ascii_strdown
        if len(word.encode('utf-8')) >= HOSTLENG:
            out.append('%s: node name %r is %d bytes; heartbeat keeps %d (HOSTLENG)' % (where, word, len(word), HOSTLENG - 1))
        nodes.append(word)
    elif directive in ('keepalive', 'deadtime', 'deadping', 'initdead', 'warntime'):
        ms = _msec(word)
        if ms is None:
            out.append('%s: %s %r is not a time cl_get_msec reads (a number, optional ms/us/s)' % (where, directive, word))
        elif directive in ('keepalive', 'warntime') and ms <= 0:
            out.append('%s: %s must be above 0 (config.c set_%s_ms)' % (where, directive, directive))
        else:
            values[directive] = ms
    elif directive == 'udpport':
        # config.c set_udpport: atoi > 0, warning when /etc/services names the port for another service
        if not re.fullmatch(r'[0-9]+', word) or not 0 < int(word) < 65536:
            out.append('%s: udpport %r is not a port (config.c set_udpport atoi)' % (where, word))
        else:
            if seen_media:
                out.append('%s: udpport after a media line: ucast/mcast read it when they are parsed (HBcomm ucast_init)' % where)
            try:
                name = socket.getservbyport(int(word), 'udp')
            except OSError:
                name = None
            if name is not None and name != 'ha-cluster':
                out.append('%s: heartbeat warns "udp port %s reserved for service \\"%s\\"" (config.c set_udpport, '
                           'getservbyport)' % (where, word, name))
            values['udpport'] = int(word)
    elif directive == 'logfacility':
        if word not in FACILITIES:
            out.append('%s: log facility %r not valid (cl_syslogfac_str2int)' % (where, word))
        else:
            values['logfacility'] = word
    elif directive in ('use_logd', 'realtime', 'coredumps'):
        if word.lower() not in BOOLEANS:
            out.append('%s: %s %r is not a boolean heartbeat reads (cl_str_to_boolean)' % (where, directive, word))
        values[directive] = word.lower() in BOOLEANS[:5]
    elif directive in ('logfile', 'debugfile'):
        values[directive] = word
    elif directive == 'auto_failback':
        if word.lower() not in BOOLEANS + ('legacy',):
            out.append('%s: auto_failback %r is not on/off/legacy (config.c set_auto_failback)' % (where, word))
        values['auto_failback'] = word.lower()
    elif directive == 'crm':
        if word.lower() not in BOOLEANS + ('respawn', 'manual'):
            out.append('%s: crm %r is not a value heartbeat reads (config.c set_release2mode)' % (where, word))
    elif directive in ('ping', 'ping6'):
        try:
            ipaddress.ip_address(word)
        except ValueError:
            out.append('%s: ping node %r is not an address (it would be resolved by name at start)' % (where, word))
        nodes_ping = values.setdefault('_ping', [])
        nodes_ping.append(word)
    elif directive == 'bcast':
        out.extend(_check_dev(where, 'bcast', word))
    return out


def _check_dev(where, medium, dev):
    # The interface must exist when heartbeat starts (HBcomm is_valid_dev / if_nametoindex): a kernel name.
    if not re.fullmatch(r'[^\s/:]{1,15}', dev) or dev in ('.', '..'):
        return ['%s: %s interface %r is not a Linux interface name (IFNAMSIZ 16, no "/", ":" or blanks)' % (where, medium, dev)]
    return []


def _check_medium(where, directive, rest, values):
    """HBcomm mcast.c mcast_parse and ucast.c ucast_parse: WHITESPACE-separated fields, the rest of the line ignored."""
    out = []
    fields = [f for f in re.split('[%s]' % re.escape(WHITESPACE), rest) if f]
    if directive in ('ucast', 'ucast6'):
        if len(fields) < 2:
            out.append('%s: ucast needs "ucast DEV PEER" (ucast.c ucast_parse: missing target IP address/hostname)' % where)
        elif len(fields) > 2:
            out.append('%s: ucast reads two fields; %r is ignored without a word (ucast.c ucast_parse)'
                       % (where, ' '.join(fields[2:])))
        if fields:
            out.extend(_check_dev(where, directive, fields[0]))
        if len(fields) > 1:
            try:
                addr = ipaddress.ip_address(fields[1])
                if (addr.version == 6) != (directive == 'ucast6'):
                    out.append('%s: %s with an IPv%d peer %s' % (where, directive, addr.version, addr))
            except ValueError:
                out.append('%s: ucast peer %r is not an address (it would be resolved by name)' % (where, fields[1]))
    elif directive == 'mcast':
        names = ('device', 'mcast address', 'port', 'ttl', 'loop')
        if len(fields) < 5:
            out.append('%s: mcast needs "mcast DEV GROUP PORT TTL LOOP", missing %s (mcast.c mcast_parse)'
                       % (where, names[len(fields)]))
            return out
        if len(fields) > 5:
            out.append('%s: mcast reads five fields; %r is ignored without a word (mcast.c mcast_parse)'
                       % (where, ' '.join(fields[5:])))
        dev, group, port, ttl, loop = fields[:5]
        out.extend(_check_dev(where, 'mcast', dev))
        # mcast.c is_valid_mcast_addr: inet_addr() & 0xf0000000 == 0xe0000000
        try:
            ok = ipaddress.IPv4Address(group).is_multicast
        except ValueError:
            ok = False
        if not ok:
            out.append('%s: mcast bad addr [%s] (mcast.c is_valid_mcast_addr: an IPv4 224.0.0.0/4 address)' % (where, group))
        # get_port/get_ttl/get_loop are atoi(): anything not a plain number reads as 0 or as a prefix
        if not re.fullmatch(r'[0-9]+', port) or not 0 < int(port) < 65536:
            out.append('%s: mcast bad port [%s] (mcast.c get_port: (u_short)atoi > 0)' % (where, port))
        elif 'udpport' in values and int(port) != values['udpport']:
            out.append('%s: mcast port %s differs from udpport %s' % (where, port, values['udpport']))
        if not re.fullmatch(r'[0-9]+', ttl) or int(ttl) > 4:
            out.append('%s: mcast bad ttl [%s] (mcast.c get_ttl: 0-4)' % (where, ttl))
        if loop not in ('0', '1'):
            out.append('%s: mcast bad loop [%s] (mcast.c get_loop: 0 or 1)' % (where, loop))
    return out


def check_authkeys(text):
    """heartbeat/auth.c parse_authfile."""
    problems, lines = _lines(text, MAXLINE, 'authkeys')
    authnum, methods = None, {}
    for lineno, line in lines:
        where = 'authkeys line %d' % lineno
        bp = line.lstrip(WHITESPACE)
        # only a line that starts with '#' is a comment here: a '#' inside a key is part of the key
        if not bp or bp.startswith(COMMENTCHAR):
            continue
        if bp.startswith('a'):
            m = re.match(r'auth[%s]*([+-]?[0-9]+)' % re.escape(WHITESPACE), bp)  # sscanf(bp, "auth %d")
            if not m:
                problems.append('%s: invalid auth line (auth.c parse_authfile: sscanf "auth %%d")' % where)
            else:
                authnum = int(m.group(1))
                if bp[m.end():].strip(WHITESPACE):
                    problems.append('%s: text after "auth N" is ignored (sscanf "auth %%d")' % where)
            continue
        # sscanf(bp, "%d%s%s", &i, method, key): three whitespace-separated words, the rest ignored
        m = re.match(r'([+-]?[0-9]+)', bp)
        words = re.split('[%s]+' % re.escape(WHITESPACE), bp[m.end():].strip(WHITESPACE)) if m else []
        words = [w for w in words if w]
        if not m or not words:
            problems.append('%s: "Auth line is invalid" (auth.c parse_authfile: sscanf "%%d%%s%%s" < 2)' % where)
            continue
        num, method = int(m.group(1)), words[0]
        key = words[1] if len(words) > 1 else ''
        if len(words) > 2:
            problems.append('%s: heartbeat reads only the first word of the key (sscanf "%%s"); %r is dropped'
                            % (where, ' '.join(words[2:])))
        if not 0 <= num < MAXAUTH:
            problems.append('%s: invalid authnum [%d] (MAXAUTH %d)' % (where, num, MAXAUTH))
            continue
        if method not in AUTH_METHODS:
            problems.append('%s: invalid authtype [%s] (auth.c findauth)' % (where, method))
            continue
        if AUTH_METHODS[method] and not key:
            problems.append('%s: auth method [%s] requires a key' % (where, method))
        if not AUTH_METHODS[method] and key:
            problems.append('%s: auth method [%s] does not use a key' % (where, method))
        methods[num] = method
    if authnum is None:
        problems.append('authkeys: missing auth directive (auth.c parse_authfile)')
    elif authnum not in methods:
        problems.append('authkeys: auth key [%d] not found (auth.c parse_authfile)' % authnum)
    return problems


# ResourceManager.in we_own_resource: how the status output of a resource script is read.
def status_says_running(output):
    """ResourceManager.in we_own_resource: `case $(script args status)` in *[Nn][Oo][Tt]\\ *[Rr]unning*) -> 3 (stopped);
    *[Rr]unning*|*OK*) -> 0 (running); *) -> 3."""
    if re.search(r'[Nn][Oo][Tt] .*[Rr]unning', output, re.S):
        return False
    return bool(re.search(r'[Rr]unning|OK', output))


def parse_haresources(text):
    """heartbeat/config.c parse_ha_resources + ResourceManager.in ipres: [(node, [resource, ...])] and problems."""
    problems, lines = _lines(text, MAXLINE - 1, 'haresources')
    groups = []
    joined, pending = [], ''
    for lineno, line in lines:
        # ResourceManager ipres: sed 's%#.*%%' strips comments anywhere; '\\' at the end joins lines
        if COMMENTCHAR in line and line.lstrip(WHITESPACE)[:1] != COMMENTCHAR:
            problems.append('haresources line %d: "#" inside a resource: ResourceManager strips the rest of the line '
                            '(ipres: sed s%%#.*%%%%)' % lineno)
        line = line.split(COMMENTCHAR, 1)[0]
        if line.endswith('\\'):
            pending += line[:-1]
            continue
        joined.append((lineno, pending + line))
        pending = ''
    for lineno, line in joined:
        words = line.split()
        if not words:
            continue
        groups.append((words[0].lower(), words[1:], lineno))
    return groups, problems


def check_haresources(text, nodes, scripts):
    """``nodes``: the node names of ha.cf; ``scripts``: names of the resource scripts that will be installed."""
    groups, problems = parse_haresources(text)
    lowered = [n.lower() for n in nodes]
    if not groups:
        problems.append('haresources: no resource group')
    for node, resources, lineno in groups:
        where = 'haresources line %d' % lineno
        # config.c parse_ha_resources: lookup_node(first token) (node names are lower-cased by add_node)
        if node not in lowered:
            problems.append('%s: bad nodename [%s] (config.c parse_ha_resources lookup_node)' % (where, node))
        for res in resources:
            script, _sep, args = res.partition('::')
            # ResourceManager resource2script/resource2arg: name before the first "::", arguments split on "::",
            # then passed unquoted ($spath $arg status): blanks split them and glob characters expand.
            if script not in scripts:
                problems.append('%s: resource script %r is not installed (ResourceManager scriptpath: resource.d, init.d)'
                                % (where, script))
            for arg in args.split('::') if args else []:
                if not arg or re.search(r'[*?\[\]]', arg):
                    problems.append('%s: resource argument %r of %s: ResourceManager passes arguments unquoted '
                                    '(an empty one vanishes, glob characters expand)' % (where, arg, res))
    return problems, groups
