# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The piranha backend: its defaults, its rules and its view.

Every value of the view reaches ``lvs.cf``, which pulse, lvsd and nanny read with piranha's own parser; the limits
below are those of that parser and of the daemons (the reasons are in ``plugins/module_utils/_lvscf.py``, whose
tokenizer and escape translation are piranha's and are reused here so that the model and the file validator can
never disagree).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import json

from ansible_collections.lvs.cluster.plugins.module_utils import _lvscf
from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import ABS_PATH, IFALIAS, Grammar, safe

PIRANHA_DEFAULTS = {
    'heartbeat_port': 539,
    'keepalive': 2,
    'deadtime': 10,
    'debug_level': 'NONE',
    'monitor_links': False,
    'gui': False,
    'gui_password': None,
    'config_only': False,
    'install': 'package',
    'binaries_dir': None,
}
# How director_piranha gets pulse, lvsd, nanny and send_arp onto a director: the EL piranha package, or binaries the
# user built (a directory on the controller holding the four programs, copied to /usr/sbin where they exec each other).
INSTALL_MODES = ('package', 'binaries')
BINARIES = ('pulse', 'lvsd', 'nanny', 'send_arp')
NETWORK = {'dr': 'direct', 'nat': 'nat', 'tun': 'tunnel'}
# piranha reads marks into an int (lvsd prints them with %d).
FWMARK_MAX = _lvscf.INT_MAX
# Server block names (server NAME {, the inventory host name): one word for piranha's tokenizer, no quote, brace or
# comment character. Virtual names are service names, whose grammar (NAME) is narrower already.
BLOCK_NAME = Grammar('piranha block name', r'[A-Za-z0-9_.:@-]{1,255}',
                     'one word of letters, digits, "_", ".", ":", "@" or "-" (a piranha block name)', 'rs1')
# The console password is hashed here ($apr1$ MD5 reads every byte); 255 bytes is what piranha-passwd's htpasswd takes.
GUI_PASSWORD_BYTES = (6, 255)


def settings(chk, hv, c, backend, host):
    """Normalise lvs_piranha."""
    pi = chk.dict_of(hv.get('lvs_piranha'), 'lvs_piranha', PIRANHA_DEFAULTS, host)
    for key, lo, hi in (('heartbeat_port', 1, 65535), ('keepalive', 1, 3600), ('deadtime', 1, 3600)):
        pi[key] = chk.integer(pi[key], 'lvs_piranha.%s' % key, lo, hi, host=host)
    for key in ('monitor_links', 'gui', 'config_only'):
        pi[key] = bool(chk.boolean(pi[key], 'lvs_piranha.%s' % key, host))
    if backend == 'piranha':
        if pi['keepalive'] is not None and pi['deadtime'] is not None and pi['deadtime'] <= pi['keepalive']:
            chk.error('lvs_piranha.deadtime', 'must be greater than keepalive (%s), got %s: the backup would take over between two '
                      'heartbeats' % (pi['keepalive'], pi['deadtime']),
                      'make deadtime several times keepalive, e.g. keepalive 2, deadtime 10', host)
        if pi['gui']:
            chk.secret(pi['gui_password'], 'lvs_piranha.gui_password', GUI_PASSWORD_BYTES[0], GUI_PASSWORD_BYTES[1],
                       'the piranha-gui password, required when gui is true', host)
        chk.choice(pi['debug_level'], 'lvs_piranha.debug_level', _lvscf.DEBUG_LEVELS, host)
        chk.choice(pi['install'], 'lvs_piranha.install', INSTALL_MODES, host,
                   ' (package: the EL piranha package; binaries: pulse, lvsd, nanny and send_arp from lvs_piranha.binaries_dir)')
        if pi['binaries_dir'] is not None or (pi['install'] == 'binaries' and not pi['config_only']):
            fix = 'set it to the directory on the controller that holds %s (e.g. a build of the piranha sources)' % ', '.join(BINARIES)
            pi['binaries_dir'] = chk.text(pi['binaries_dir'], 'lvs_piranha.binaries_dir', ABS_PATH, host, fix=fix)
        if pi['monitor_links']:
            # pulse.c (check_links, 0.8.6): when a director's NIC link goes down, pulse shuts its services down and then runs
            # `service mysqld stop` and `service network restart` - on a director that may run other services.
            side = ('pulse then runs "service mysqld stop" and "service network restart" on the director (piranha 0.8.6, '
                    'pulse.c check_links): it stops a MySQL server and restarts the host\'s whole network')
            if pi['install'] == 'binaries':
                chk.error('lvs_piranha.monitor_links', 'a NIC link going down makes pulse go inactive, and ' + side,
                          'set monitor_links: false (the backup still takes over when this director stops sending heartbeats)', host)
            else:
                chk.warn('lvs_piranha.monitor_links', 'check what your piranha package does on a link failure: in the 0.8.6 sources ' + side,
                         'set monitor_links: false unless your package\'s pulse does not do this', host)
        if pi['gui'] and pi['install'] == 'binaries':
            chk.error('lvs_piranha.gui', 'piranha-gui (Apache and PHP pages) comes only with the EL piranha package; the piranha '
                      'sources the binaries install mode runs hold the daemons only',
                      'set gui: false with install: binaries, or use install: package on an EL host with a piranha repository', host)
    c['piranha'] = pi


def rules(chk, c, host):
    """Cluster-wide rules of piranha's single lvs.cf."""
    fwd = set(s['forwarding'] for s in c['virtual_services'])
    if len(fwd) > 1:
        chk.error('lvs_virtual_services', 'piranha has one cluster-wide "network" mode; services mix %s' % ', '.join(sorted(fwd)),
                  'use the same forwarding for every service of a piranha cluster', host)


def text_problem(key, text, regex=False):
    """Why ``text`` cannot be the ``send``/``expect`` value nanny gets from lvs.cf, or None.

    The value is written between double quotes; it must come back from piranha's tokenizer as exactly that text,
    use only the escapes nanny translates, and (for expect) fit what nanny reads of a reply.
    """
    tokens, problem = _lvscf.tokenize('%s = "%s"' % (key, text))
    if '"' in text.replace('\\\\', '').replace('\\"', ''):
        return ('contains a double quote, which would end the value in lvs.cf',
                'write it as \\" (nanny translates it), or leave it out')
    if problem or len(tokens) != 3 or tokens[2].text != text:
        return ('contains \\" after a blank: piranha\'s lvs.cf parser ends a quoted value at the first quote that follows a blank',
                'put \\" only before the first blank of the text, or leave it out')
    translated = _lvscf.translate(text)
    if translated is None:
        return ('contains a backslash that nanny does not translate (it loops forever on any escape but \\\\, \\r, \\n, \\t, '
                '\\\' and \\", and on a final backslash)', 'write a backslash as \\\\ and use only those escapes')
    if key == 'expect' and not regex and len(translated.encode('utf-8')) > _lvscf.EXPECT_MAX:
        return ('is %d bytes once nanny translates its escapes; nanny compares at most %d bytes of the reply'
                % (len(translated.encode('utf-8')), _lvscf.EXPECT_MAX), 'shorten it to the start of the reply')
    return None


def http_expect_problem(text):
    """Why an explicit ``expect`` of an HTTP check can never match with nanny, or None.

    nanny (piranha 0.8.6, ``pinger``) reads exactly as many bytes of the reply as a literal ``expect`` has and compares
    them with it (``strncmp``): the text must be the start of the reply, which for HTTP is the status line
    ``HTTP/1.x NNN``. Any other text (a word of the page, for instance) fails every check, and the real servers never
    enter the table. ``*`` alone accepts any reply.
    """
    translated = _lvscf.translate(text)
    if translated is None or translated == '*':
        return None
    start = 'HTTP/'
    if translated[:len(start)] != start[:len(translated)]:
        return ('nanny compares an explicit expect with the first bytes of the HTTP reply, which are its status line '
                '("HTTP/1.1 200 OK"): this text can never match, so every real server would stay out of the table')
    return None


def _aliases(cluster):
    """The interface alias of each distinct VIP (in service order) and of the NAT inside VIP."""
    vips = []
    for svc in cluster['virtual_services']:
        if svc['vip'] not in vips:
            vips.append(svc['vip'])
    devices = dict((vip, '%s:%d' % (cluster['interface'], i)) for i, vip in enumerate(vips))
    nat = cluster['nat'] or {}
    nat_device = None
    if nat.get('inside_vip'):
        nat_device = '%s:%d' % (nat['inside_interface'], len(vips) if nat['inside_interface'] == cluster['interface'] else 0)
    return devices, nat_device


def _ipv4(value):
    try:
        return ipaddress.ip_address(str(value)).version == 4
    except ValueError:
        return False


def _send_program(hc):
    """nanny's external check command: misc_path's arguments, with %h (the real server's address) appended when absent."""
    argv = list(hc.get('misc_argv') or (hc.get('misc_path') or '').split())
    if argv and '%h' not in argv:
        argv.append('%h')
    return argv


def _check_port(svc):
    hc = svc['health_check']
    return svc['port'] or hc.get('port') or svc['real_server_port']


def cluster_rules(chk, cluster):
    """What piranha's lvs.cf and its daemons cannot carry (IPv6, more than two directors, long aliases, texts nanny
    would misread, ...), each reported on the variable that causes it."""
    directors = cluster.get('directors') or []
    if len(directors) > 2:
        chk.error('lvs_directors', 'piranha runs exactly one primary and at most one backup director, the cluster %s has %d (%s)'
                  % (cluster['name'], len(directors), ', '.join(d['host'] for d in directors)),
                  'keep two directors in the cluster group, or use the keepalived backend')
    for d in directors:
        if d.get('address') and not _ipv4(d['address']):
            chk.error('hostvars[%s].lvs_address' % d['host'], 'piranha needs an IPv4 director address, got %r' % (d['address'],),
                      'set lvs_address to the director\'s IPv4 address', d['host'])
    nat = cluster.get('nat') or {}
    if nat.get('inside_vip') and not _ipv4(nat['inside_vip']):
        chk.error('lvs_nat.inside_vip', 'piranha needs an IPv4 address (nat_router), got %r' % (nat['inside_vip'],), 'use IPv4')
    if cluster.get('interface') and cluster['virtual_services']:
        devices, nat_device = _aliases(cluster)
        longest = max(devices.values(), key=len)
        reason = IFALIAS.check(longest)
        if reason is not None:
            chk.error('lvs_interface', 'piranha brings VIP number %d up on the alias %r, which %s: ifconfig would truncate it to the '
                      'base NIC, replace its address and later take the whole NIC down' % (len(devices) - 1, longest, reason),
                      'use an interface name of at most %d characters with this many VIPs' % (15 - len(longest.split(':')[1]) - 1))
        if nat_device and nat.get('inside_interface') and IFALIAS.check(nat_device) is not None:
            chk.error('lvs_nat.inside_interface', 'piranha brings the inside VIP up on the alias %r, which %s'
                      % (nat_device, IFALIAS.check(nat_device)), 'use a shorter interface name')
    for i, svc in enumerate(cluster['virtual_services']):
        path = 'lvs_virtual_services[%d]' % i
        hc = svc['health_check']
        if svc['vip'] and not _ipv4(svc['vip']):
            chk.error(path + '.vip', 'piranha supports only IPv4, got %r' % (svc['vip'],), 'use an IPv4 VIP or the keepalived backend')
        if svc['fwmark'] is not None and svc['fwmark'] > FWMARK_MAX:
            chk.error(path + '.fwmark', 'piranha reads the mark as a signed int, so at most %d, got %s' % (FWMARK_MAX, svc['fwmark']),
                      'use a smaller mark')
        if svc['fwmark'] is not None and not (hc.get('port') or svc['real_server_port']):
            chk.error(path + '.health_check.port', 'a piranha fwmark service needs the port nanny checks',
                      'set health_check.port or real_server_port')
        if hc.get('type') == 'misc':
            if not hc.get('expect'):
                chk.error(path + '.health_check.expect', 'required for a misc check with piranha: nanny compares the script output '
                          'with it', 'set expect to the text the script prints on success')
            argv = _send_program(hc)
            if argv:
                size = len(' '.join(argv).encode('utf-8'))
                if size > _lvscf.PROGRAM_MAX or len(argv) > _lvscf.PROGRAM_WORDS:
                    chk.error(path + '.health_check.misc_path', 'nanny runs at most %d bytes and %d words (with %%h appended: %d bytes, '
                              '%d words)' % (_lvscf.PROGRAM_MAX, _lvscf.PROGRAM_WORDS, size, len(argv)),
                              'put the command in a script with a shorter path and fewer arguments')
        regex = hc.get('type') == 'http' and not hc.get('expect')
        for key in ('send', 'expect'):
            if hc.get(key) is not None:
                problem = text_problem(key, hc[key], regex and key == 'expect')
                if problem:
                    chk.error('%s.health_check.%s' % (path, key), problem[0] + ' (got %r)' % (safe(hc[key]),), problem[1])
        if hc.get('type') == 'http' and hc.get('expect') is not None and http_expect_problem(hc['expect']):
            chk.error(path + '.health_check.expect', http_expect_problem(hc['expect']) + ' (got %r)' % (safe(hc['expect']),),
                      'leave expect unset (nanny then matches the status line with the regular expression ^HTTP/1.[01] '
                      '<status_code>), or give the start of the status line, e.g. "HTTP/1.1 200"')
        sorry = svc.get('sorry_server')
        if sorry:
            if sorry.get('address') and not _ipv4(sorry['address']):
                chk.error(path + '.sorry_server.address', 'piranha needs IPv4, got %r' % (sorry['address'],), 'use an IPv4 address')
            vport = _check_port(svc)
            if svc['forwarding'] == 'nat' and sorry.get('port') and vport and int(sorry['port']) != int(vport):
                chk.error(path + '.sorry_server.port', 'piranha always sends to the sorry server on the virtual port %s, the model '
                          'says %s (the default is real_server_port)' % (vport, sorry['port']),
                          'set sorry_server.port: %s and make the sorry server listen there' % vport)
        for rs in svc.get('real_servers') or []:
            if rs.get('address') and not _ipv4(rs['address']):
                chk.error('hostvars[%s].lvs_address' % rs['host'], 'piranha needs an IPv4 real-server address, got %r' % (rs['address'],),
                          'use IPv4', rs['host'])
            if BLOCK_NAME.check(rs['host']) is not None:
                chk.error('hostvars[%s]' % rs['host'], 'the inventory name cannot be a piranha server name: %s'
                          % BLOCK_NAME.check(rs['host']), 'rename the host', rs['host'])


ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def apr1(password, salt):
    """Apache's "$apr1$" MD5 password hash (what ``htpasswd -m`` writes), with an 8-character ``salt`` of ITOA64."""
    pw, sb, magic = password.encode('utf-8'), salt.encode('ascii'), b'$apr1$'
    alt = hashlib.md5(pw + sb + pw).digest()
    ctx = pw + magic + sb
    for left in range(len(pw), 0, -16):
        ctx += alt[:min(16, left)]
    i = len(pw)
    while i:
        ctx += b'\x00' if i & 1 else pw[:1]
        i >>= 1
    final = hashlib.md5(ctx).digest()
    for i in range(1000):
        final = hashlib.md5((pw if i & 1 else final) + (sb if i % 3 else b'') + (pw if i % 7 else b'') + (final if i & 1 else pw)).digest()

    def to64(value, count):
        out = ''
        for _index in range(count):
            out += ITOA64[value & 0x3f]
            value >>= 6
        return out
    groups = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    text = ''.join(to64((final[a] << 16) | (final[b] << 8) | final[c], 4) for a, b, c in groups)
    return '$apr1$%s$%s' % (salt, text + to64(final[11], 2))


def gui_password_hash(cluster_name, password):
    """The console password's hash, with a salt derived from the cluster name and the password: the same password gives
    the same line on every run (idempotent file), different clusters give different hashes."""
    seed = hashlib.sha256(('lvs.cluster piranha-gui salt %s %s' % (cluster_name, password)).encode('utf-8')).digest()
    return apr1(password, ''.join(ITOA64[b & 0x3f] for b in seed[:8]))


def _netmask(prefix):
    return str(ipaddress.IPv4Network('0.0.0.0/%d' % prefix).netmask)


def _quoted(text):
    return '"%s"' % text


def failback(cluster):
    """Whether the first director takes the VIPs back when its pulse returns (the cluster view's ``failback``): never.
    pulse has no failback: a returning director that hears an active peer stays inactive (roles/director_piranha,
    tasks/pulse.yml), whichever director lvs.cf names primary."""
    return {'expected': False, 'delay_seconds': 0}


def view(cluster, me):
    """The plain data lvs.cf.j2 prints. It depends on the cluster only (never on ``me``): both directors get the same
    file. ``global`` and each block's ``settings`` are ``[key, value]`` pairs in file order, values already in lvs.cf
    form (send/expect quoted); ``address``/``device`` are the floating address and its alias, ``send_program`` the
    external check as an argument list; ``serial_no`` is derived from all the rest, so it changes exactly when the
    content changes."""
    pi = cluster['piranha']
    services = cluster['virtual_services']
    backups = [d for d in cluster['directors'] if d['role'] == 'backup']
    network = NETWORK[services[0]['forwarding']] if services else 'direct'
    devices, nat_device = _aliases(cluster)
    glob = [['primary', cluster['primary']['address']], ['service', 'lvs'], ['backup_active', 1 if backups else 0]]
    if backups:
        glob.append(['backup', backups[0]['address']])
    glob += [['heartbeat', 1 if backups else 0], ['heartbeat_port', pi['heartbeat_port']], ['keepalive', pi['keepalive']],
             ['deadtime', pi['deadtime']], ['network', network]]
    nat_router = None
    if network == 'nat':
        nat_router = {'address': cluster['nat']['inside_vip'], 'device': nat_device}
        glob += [['nat_router', '%s %s' % (nat_router['address'], nat_device)], ['nat_nmask', _netmask(cluster['nat']['inside_prefix'])]]
    glob.append(['debug_level', pi['debug_level']])
    if pi['monitor_links']:
        glob.append(['monitor_links', 1])
    if cluster.get('sync_daemon'):
        glob += [['syncdaemon', 1], ['syncd_iface', cluster['interface']], ['syncd_id', cluster['sync_id']]]
    for key in ('tcp', 'tcpfin', 'udp'):
        if cluster['timeouts'].get(key) is not None:
            glob.append(['%s_timeout' % key, cluster['timeouts'][key]])
    virtuals = []
    for svc in services:
        hc = svc['health_check']
        port = _check_port(svc)
        settings = [['active', 1], ['address', '%s %s' % (svc['vip'], devices[svc['vip']])]]
        if svc['vip_prefix'] != 32:
            settings.append(['vip_nmask', _netmask(svc['vip_prefix'])])
        settings.append(['port', port])
        if svc['fwmark']:
            settings.append(['fwmark', svc['fwmark']])
        if svc['persistence_timeout']:
            settings.append(['persistent', svc['persistence_timeout']])
            # piranha reads pmask 255.255.255.255 as no mask, which is ipvsadm's default /32 anyway
            if svc['persistence_netmask'] and svc['persistence_netmask'] != '255.255.255.255':
                settings.append(['pmask', svc['persistence_netmask']])
        send = expect = None
        regex = 0
        send_program = None
        if hc['type'] == 'http':
            send = hc['send'] or 'GET %s HTTP/1.0\\r\\n%s\\r\\n' % (hc['path'], 'Host: %s\\r\\n' % hc['host'] if hc['host'] else '')
            if hc['expect']:
                expect = hc['expect']
            else:
                expect, regex = '^HTTP/1.[01] %s' % hc['status_code'], 1
        elif hc['type'] == 'misc':
            send_program = _send_program(hc)
            expect = hc['expect']
        else:
            send, expect = hc['send'], hc['expect']
        if send_program:
            settings.append(['send_program', _quoted(' '.join(send_program))])
        if send is not None:
            settings.append(['send', _quoted(send)])
        if expect is not None:
            settings += [['expect', _quoted(expect)], ['use_regex', regex]]
        settings += [['load_monitor', 'none'], ['scheduler', svc['scheduler']], ['protocol', svc['protocol']],
                     ['timeout', hc['timeout']], ['reentry', max(hc['interval'] * hc['retry'], hc['interval'])],
                     ['quiesce_server', 0]]
        if svc['sorry_server']:
            settings.append(['sorry_server', svc['sorry_server']['address']])
        servers = []
        for rs in svc['real_servers']:
            rs_settings = [['address', rs['address']], ['active', 1], ['weight', rs['weight']]]
            if rs['port'] and rs['port'] != port:
                rs_settings.append(['port', rs['port']])
            servers.append({'name': rs['host'], 'address': rs['address'], 'settings': rs_settings})
        virtuals.append({'name': svc['name'], 'address': svc['vip'], 'device': devices[svc['vip']], 'port': port,
                         'send': send, 'expect': expect, 'send_program': send_program,
                         'sorry_server': svc['sorry_server']['address'] if svc['sorry_server'] else None,
                         'settings': settings, 'servers': servers})
    out = {'global': glob, 'nat_router': nat_router, 'virtuals': virtuals}
    digest = hashlib.sha1(json.dumps(out, sort_keys=True).encode('utf-8')).hexdigest()
    out['serial_no'] = int(digest[:7], 16) + 1
    # Not part of lvs.cf (so not of serial_no): the web console and its password file line (user piranha, as
    # piranha-passwd writes it with htpasswd), hashed here on the controller so the password is on no command line.
    gui = pi['gui'] and isinstance(pi['gui_password'], str)
    out['gui'] = {'enabled': pi['gui'], 'htpasswd': 'piranha:%s' % gui_password_hash(cluster['name'], pi['gui_password']) if gui else None}
    return out
