# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived backend: its defaults, its rules and its view.

The rules narrow the shared grammars to what keepalived 2.2.7 (Debian 12) really reads: its DNS_CHECK types, its
DNS name parser, its 1024-byte lines, its quoting of scripts and regular expressions. The view is the plain data
``roles/director_keepalived`` prints: keepalived.conf and the firewall rules, every value final.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import (
    IFNAME, NAME, USER_NAME, Grammar, str_list,
)
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import DNS_TYPES

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
NOTIFY_EVENTS = ('master', 'backup', 'fault', 'stop')

# DNS_CHECK types keepalived 2.2.7 knows (check_dns.c, DNS_TYPE[]); any other makes `keepalived -t` warn and the
# check ask for an A record. Only the model's own types can be chosen (RRSIG and DNSKEY are not offered).
KEEPALIVED_DNS_TYPES = tuple(t for t in DNS_TYPES if t in ('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'))
# keepalived reads its configuration in lines of at most 1024 bytes (parser.h MAXBUF), the newline included.
MAX_LINE = 1023
# The indentation and keyword of the longest quoted line this backend renders ("regex" inside url {}).
_REGEX_LINE_OVERHEAD = len('                regex ""')
# router_id is one word of global_defs (it also names the host in keepalived's e-mails).
ROUTER_ID = Grammar('keepalived router_id', r'[A-Za-z0-9_.-]{1,64}',
                    'a router id of 1-64 letters, digits, "_", "." or "-"', 'lvs1')
# When a literal ``expect`` text becomes keepalived's ``regex``: PCRE metacharacters are backslash-escaped, and the
# characters keepalived's own reader interprets are written as PCRE hex escapes.
_PCRE_SPECIAL = frozenset('^.|?*+()[]')
_HEX_ESCAPED = frozenset('"\'\\$#!{}')
# The rich rules this role writes (pruning removes rules of this shape that are no longer wanted).
FIREWALLD_OWNED = r'^rule family="ipv[46]" source address="[^"]+" (protocol value="(vrrp|ah)"|port port="8848" protocol="udp") accept$'


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
    c['keepalived'] = ka
    if backend != 'keepalived':
        return
    if chk.choice(ka['auth_type'], 'lvs_keepalived.auth_type', ('PASS', 'AH', 'none'), host) in ('PASS', 'AH'):
        # keepalived copies at most 8 bytes of auth_pass and its config test fails on a longer one
        ka['auth_pass'] = chk.secret(ka['auth_pass'], 'lvs_keepalived.auth_pass', 1, 8,
                                     'keepalived uses only the first 8 bytes and its config test fails on a longer one; '
                                     'required with auth_type %s, or set auth_type: none' % ka['auth_type'], host)
        if ka['auth_pass'] is not None and ('"' in ka['auth_pass'] or '\\' in ka['auth_pass']):
            # keepalived reads auth_pass "..." up to the next quote, with no escapes
            chk.error('lvs_keepalived.auth_pass', 'contains a double quote or a backslash, which keepalived.conf cannot carry '
                      'inside the quoted auth_pass', 'use letters, digits and punctuation other than " and \\', host)
            ka['auth_pass'] = None
    if ka['auth_type'] == 'AH' and ka['unicast']:
        chk.warn('lvs_keepalived.auth_type', 'AH authentication is deprecated by RFC 3768 and rarely interoperable',
                 'prefer PASS or none with unicast peers on a trusted segment', host)
    if ka['router_id'] is not None:
        ka['router_id'] = chk.text(ka['router_id'], 'lvs_keepalived.router_id', ROUTER_ID, host=host,
                                   fix='use a word of letters, digits, "_", "." or "-", e.g. lvs1, or leave it unset '
                                       '(each director then uses its inventory name)')
    ka['script_user'] = chk.text(ka['script_user'], 'lvs_keepalived.script_user', USER_NAME, host=host,
                                 fix='name the Unix user keepalived runs scripts as, e.g. keepalived_script')
    ifaces = str_list(chk, ka['track_interfaces'], 'lvs_keepalived.track_interfaces', host)
    ka['track_interfaces'] = [name for i, name in enumerate(ifaces)
                              if chk.text(name, 'lvs_keepalived.track_interfaces[%d]' % i, IFNAME, host=host) is not None]
    scripts = []
    if not isinstance(ka['track_scripts'], list):
        chk.error('lvs_keepalived.track_scripts', 'must be a list', 'write [{name: chk_x, script: /path}]', host)
    else:
        seen = {}
        for i, raw in enumerate(ka['track_scripts']):
            p = 'lvs_keepalived.track_scripts[%d]' % i
            ts = chk.dict_of(raw, p, dict(TRACK_SCRIPT_DEFAULTS, name=None, script=None), host)
            ts['name'] = chk.text(ts['name'], p + '.name', NAME, host=host,
                                  fix='name the script with letters, digits, "_", "." or "-", e.g. chk_nginx')
            if ts['name'] is not None:
                if ts['name'] in seen:
                    chk.error(p + '.name', 'duplicates the name of lvs_keepalived.track_scripts[%d]' % seen[ts['name']],
                              'give every track script its own name', host)
                seen.setdefault(ts['name'], i)
            ts['argv'] = chk.argv(ts['script'], p + '.script', host=host, example='/usr/local/bin/check_nginx --quiet')
            ts['script'] = ' '.join(ts['argv']) if ts['argv'] else None
            ts['interval'] = chk.integer(ts['interval'], p + '.interval', 1, 3600, host=host)
            ts['weight'] = chk.integer(ts['weight'], p + '.weight', -253, 253, host=host)
            ts['fall'] = chk.integer(ts['fall'], p + '.fall', 1, 255, host=host)
            ts['rise'] = chk.integer(ts['rise'], p + '.rise', 1, 255, host=host)
            scripts.append(ts)
    ka['track_scripts'] = scripts
    notify = ka['notify']
    ka['notify'], ka['notify_argv'] = {}, {}
    if not isinstance(notify, dict):
        chk.error('lvs_keepalived.notify', 'must be a dictionary', 'write {master: /path, backup: /path}', host)
        notify = {}
    for key, val in notify.items():
        if key not in NOTIFY_EVENTS:
            chk.error('lvs_keepalived.notify.%s' % key, 'is not a known notify event', 'use master, backup, fault or stop',
                      host)
        elif val is not None:
            argv = chk.argv(val, 'lvs_keepalived.notify.%s' % key, host=host, example='/usr/local/bin/notify.sh --mail')
            if argv:
                ka['notify'][key] = ' '.join(argv)
                ka['notify_argv'][key] = argv


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
    for i, svc in enumerate(c['virtual_services']):
        path = 'lvs_virtual_services[%d]' % i
        _check_health(chk, svc['health_check'], path + '.health_check', host)
        if svc['hysteresis'] is not None and svc['quorum'] is not None and svc['hysteresis'] >= svc['quorum']:
            chk.error(path + '.hysteresis', 'is %d but quorum is %d: keepalived needs hysteresis below quorum and would set it to 0'
                      % (svc['hysteresis'], svc['quorum']), 'use a hysteresis between 0 and quorum - 1 (%d)' % (svc['quorum'] - 1), host)
        if svc['family'] == 6 and svc.get('persistence_netmask') and svc.get('persistence_timeout'):
            chk.error(path + '.persistence_netmask', 'is an IPv4 netmask but the VIP is IPv6: keepalived takes a prefix length '
                      '(1-128) for an IPv6 service and refuses the netmask', 'remove persistence_netmask from the IPv6 service', host)


def _check_health(chk, hc, path, host):
    """What keepalived's parser narrows in a health check the shared grammar already accepted."""
    if hc.get('dns_type') is not None and hc['dns_type'] in DNS_TYPES and hc['dns_type'] not in KEEPALIVED_DNS_TYPES:
        chk.error(path + '.dns_type', 'DNS type %s is unknown to keepalived\'s DNS_CHECK (it would ask for an A record)'
                  % hc['dns_type'], 'use one of %s with keepalived' % ', '.join(KEEPALIVED_DNS_TYPES), host)
    name = hc.get('dns_name')
    if isinstance(name, str) and len(name) > 1 and name[1] == '.':
        chk.error(path + '.dns_name', 'starts with a one-character label (%r): keepalived 2.2.7 takes it for an empty '
                  'label and ignores the name' % name.split('.')[0],
                  'use a name whose first label has at least two characters (a CNAME to the name works)', host)
    expect = hc.get('expect')
    if isinstance(expect, str) and expect:
        size = len(expect_regex(expect)) + _REGEX_LINE_OVERHEAD
        if size > MAX_LINE:
            chk.error(path + '.expect', 'becomes a regex line of %d bytes once escaped for keepalived, which reads at most %d'
                      % (size, MAX_LINE), 'shorten the text or use fewer special characters ("\\", "$", quotes, brackets)',
                      host)


def cluster_rules(chk, cluster):
    """Rules that need the resolved directors and real servers."""
    for i, svc in enumerate(cluster['virtual_services']):
        total = sum(rs['weight'] for rs in svc.get('real_servers', []))
        if svc['real_servers'] and svc['quorum'] > total:
            chk.error('lvs_virtual_services[%d].quorum' % i,
                      'is %d but the real servers\' weights add up to %d, so the service could never be up' % (svc['quorum'], total),
                      'lower quorum or raise the weights (lvs_weight)')
    directors = [d for d in cluster.get('directors', []) if d.get('address')]
    families = sorted(set(_family(d['address']) for d in directors))
    if len(families) > 1:
        chk.error('lvs_address', 'the directors of cluster %r mix IPv4 and IPv6 addresses (%s): VRRP peers speak one family'
                  % (cluster['name'], ', '.join('%s %s' % (d['host'], d['address']) for d in directors)),
                  'give every director of the cluster an address of one family (lvs_address)')
        return
    if not families:
        return
    family = families[0]
    ka = cluster['keepalived']
    vip_families = set(svc['family'] for svc in cluster['virtual_services'] if svc.get('vip'))
    main_family = family
    if vip_families and family not in vip_families:
        main_family = 10 - family
        if ka['unicast']:
            chk.error('lvs_virtual_services', 'every VIP of cluster %r is IPv%d but its directors send unicast VRRP from IPv%d '
                      'addresses: keepalived would ignore every VIP and hold none' % (cluster['name'], main_family, family),
                      'add a VIP of the directors\' family, give the directors IPv%d addresses (lvs_address), or use '
                      'multicast VRRP (lvs_keepalived.unicast: false)' % main_family)
        elif cluster.get('firewall'):
            chk.error('lvs_firewall', 'every VIP of cluster %r is IPv%d, so VRRP runs over IPv%d multicast from link-local '
                      'addresses, which the firewall rules (from the directors\' IPv%d addresses) would not accept'
                      % (cluster['name'], main_family, main_family, family),
                      'add a VIP of the directors\' family, or manage the firewall yourself (lvs_firewall: false)')
    inside = (cluster.get('nat') or {}).get('inside_vip')
    if inside and _uses_inside(cluster) and _family(inside) != family:
        if ka['unicast']:
            chk.error('lvs_nat.inside_vip', 'is IPv%d but the directors of cluster %r send unicast VRRP from IPv%d addresses: '
                      'keepalived would ignore it and the inside instance would hold no address'
                      % (_family(inside), cluster['name'], family),
                      'use an inside VIP of the directors\' family, or multicast VRRP (lvs_keepalived.unicast: false)')
        elif cluster.get('firewall'):
            chk.error('lvs_firewall', 'lvs_nat.inside_vip is IPv%d, so the inside VRRP instance runs over IPv%d multicast from '
                      'link-local addresses, which the firewall rules would not accept' % (_family(inside), _family(inside)),
                      'use an inside VIP of the directors\' family, or manage the firewall yourself (lvs_firewall: false)')
    # the families the VRRP instances speak (as the view builds them): VRRPv2 over IPv4, VRRPv3 over IPv6
    families = set([vrrp_family(cluster, family)])
    if inside and _uses_inside(cluster):
        families.add(family if ka['unicast'] else _family(inside))
    _check_advert_int(chk, ka.get('advert_int'), families)
    if ka['unicast'] and len(directors) < 2:
        chk.warn('lvs_keepalived.unicast', 'cluster %r has one director: with no unicast peer, keepalived falls back to multicast '
                 '(the unicast block is left out)' % cluster['name'], 'add a second director, or set unicast: false')
    if not cluster['keepalived'].get('router_id') or cluster['keepalived']['router_id'] in set(d['host'] for d in directors):
        for d in directors:
            if ROUTER_ID.check(d['host']) is not None:
                chk.error('lvs_keepalived.router_id', 'is unset, so director %s would use its inventory name, which is not %s'
                          % (d['host'], ROUTER_ID.what), 'set lvs_keepalived.router_id to a word such as lvs1', d['host'])


def _check_advert_int(chk, advert_int, families):
    """keepalived speaks VRRPv2 over IPv4 (whole seconds, 1-255) and VRRPv3 over IPv6 (hundredths, below 40.96 s);
    it rounds or clamps anything else with a warning."""
    if advert_int is None:
        return
    if 4 in families and (advert_int != int(advert_int) or not 1 <= advert_int <= 255):
        chk.error('lvs_keepalived.advert_int', 'is %s but VRRPv2 (IPv4) advertises in whole seconds 1-255: keepalived would '
                  'round it' % advert_int, 'use a whole number of seconds, e.g. 1')
    if 6 in families and (abs(advert_int * 100 - round(advert_int * 100)) > 1e-6 or advert_int > 40.95):
        chk.error('lvs_keepalived.advert_int', 'is %s but VRRPv3 (IPv6) advertises in hundredths of a second up to 40.95: '
                  'keepalived would round or clamp it' % advert_int, 'use 0.01-40.95 in steps of 0.01, e.g. 1')


# -- view --------------------------------------------------------------------------------------------------------

def _family(address):
    return ipaddress.ip_address(address).version


def vrrp_family(cluster, family):
    """The address family of the main VRRP instance of directors of ``family``: theirs, unless every VIP is of the other
    family and VRRP is multicast (keepalived then speaks VRRPv3 over IPv6, or VRRPv2 over IPv4, from link-local or
    interface addresses). An instance never holds an empty virtual_ipaddress block."""
    if cluster['keepalived']['unicast']:
        return family
    families = set(svc['family'] for svc in cluster['virtual_services'] if svc.get('vip'))
    return family if family in families or not families else 10 - family


def _uses_inside(cluster):
    return bool((cluster.get('nat') or {}).get('inside_vip')) and any(
        svc['forwarding'] == 'nat' for svc in cluster['virtual_services'])


def quote_command(argv):
    """A command line as keepalived reads it inside double quotes (every word is a plain word: see Checker.argv)."""
    return '"%s"' % ' '.join(argv)


def expect_regex(text):
    """The body of keepalived's ``regex "..."`` matching the literal ``text``.

    keepalived reads the quoted string with C-like escapes (alloc_strvec_quoted_escaped turns ``\\x`` into ``x``), then
    compiles it with PCRE. PCRE metacharacters are escaped for PCRE and that backslash doubled for keepalived: a literal
    ``(`` is written ``\\\\(``. The characters keepalived's line reader itself treats specially (``"``, ``'``, ``\\``,
    ``$`` parameters, ``#``/``!`` comments, ``{``/``}`` blocks) never reach the file: they are written as PCRE hex
    escapes (``\\\\x22``)."""
    out = []
    for ch in text:
        if ch in _HEX_ESCAPED:
            out.append('\\\\x%02x' % ord(ch))
        elif ch in _PCRE_SPECIAL:
            out.append('\\\\' + ch)
        else:
            out.append(ch)
    return ''.join(out)


def _vip_entries(pairs, dev, first_index):
    """virtual_ipaddress lines: (address, prefix) pairs with the label each would carry (IPv4 only, IFNAMSIZ)."""
    out = []
    for index, (address, prefix, family) in enumerate(pairs, first_index):
        label = '%s:%d' % (dev, index)
        out.append({'address': address, 'prefix': prefix, 'dev': dev,
                    'label': label if family == 4 and len(label) <= 15 else None})
    return out


def _instance(name, dev, ka, fb, me, state, family, vips, other, tracked, track_scripts, notify, smtp_alert):
    if not vips:
        # the model refuses this (cluster_rules); a view is never rendered with an empty virtual_ipaddress block
        raise ValueError('VRRP instance %s would have an empty virtual_ipaddress block (every VIP is of the other family)' % name)
    auth = None
    if ka['auth_type'] != 'none' and family == 4:
        # VRRPv3 (IPv6) has no authentication: keepalived ignores the block with a warning
        # the key is auth_pass so that redact() hides it like the model's own
        auth = {'auth_type': ka['auth_type'], 'auth_pass': ka['auth_pass']}
    return {
        'name': name,
        'state': state,
        'interface': dev,
        'vrid': ka['vrid'],
        'priority': me['priority'],
        'advert_int': ka['advert_int'],
        'nopreempt': not fb['expected'],
        'preempt_delay': fb['delay_seconds'] or None,
        'authentication': auth,
        # no peer (one director): no unicast block, or keepalived warns and falls back to multicast anyway
        'unicast_src_ip': me['address'] if ka['unicast'] and me['peers'] else None,
        'unicast_peers': list(me['peers']) if ka['unicast'] else [],
        'virtual_ipaddress': _vip_entries(vips, dev, 1),
        'virtual_ipaddress_excluded': _vip_entries(other, dev, len(vips) + 1),
        'track_interfaces': [i for i in tracked if i != dev],
        'track_scripts': track_scripts,
        'notify': notify,
        'smtp_alert': smtp_alert,
    }


_CHECKER_KEYS = ('kind', 'connect_port', 'connect_timeout', 'retry', 'delay_before_retry', 'path', 'digest', 'status_code',
                 'regex', 'virtualhost', 'misc_path', 'argv', 'misc_timeout', 'type', 'name', 'helo_name')
_CHECKER_KINDS = {'tcp': 'TCP_CHECK', 'http': 'HTTP_GET', 'https': 'SSL_GET', 'misc': 'MISC_CHECK', 'dns': 'DNS_CHECK',
                  'smtp': 'SMTP_CHECK', 'ping': 'PING_CHECK'}


def _checker(hc):
    """The checker block of a service (one shape for every kind: keys a kind does not use are None)."""
    kind = hc['type']
    if kind == 'none':
        return None
    if kind not in _CHECKER_KINDS:
        raise ValueError('unknown health check type %r' % kind)
    out = dict.fromkeys(_CHECKER_KEYS)
    out.update(kind=_CHECKER_KINDS[kind], connect_port=hc['port'] or None, connect_timeout=hc['timeout'], retry=hc['retry'],
               delay_before_retry=hc['delay_before_retry'])
    if kind in ('http', 'https'):
        out.update(path=hc['path'], digest=hc['digest'] or None, status_code=hc['status_code'],
                   regex=expect_regex(hc['expect']) if hc.get('expect') else None, virtualhost=hc['host'] or None)
    elif kind == 'misc':
        argv = hc.get('misc_argv') or hc['misc_path'].split(' ')
        out.update(misc_path=quote_command(argv), argv=list(argv), misc_timeout=hc['timeout'], connect_port=None,
                   connect_timeout=None)
    elif kind == 'dns':
        out.update(type=hc['dns_type'], name=hc['dns_name'])
    elif kind == 'smtp':
        out.update(helo_name=hc['helo_name'])
    elif kind == 'ping':
        out.update(connect_port=None)
    return out


def _checker_index(checker, checkers, index):
    """The position of ``checker`` in ``checkers`` (the view's distinct checkers), appending it when new."""
    if checker is None:
        return None
    key = tuple(tuple(v) if isinstance(v, list) else v for v in (checker[k] for k in _CHECKER_KEYS))
    if key not in index:
        index[key] = len(checkers)
        checkers.append(checker)
    return index[key]


def _virtual_server(svc, smtp_alert, checkers, index):
    port = svc['port']
    if svc['fwmark']:
        address = 'fwmark %s' % svc['fwmark']
    else:
        address = '%s %s' % (svc['vip'], port)
    sorry = None
    if svc['sorry_server']:
        # keepalived forces the sorry server's port to the virtual port in DR/TUN
        if svc['forwarding'] in ('dr', 'tun'):
            sport = port
        else:
            sport = svc['sorry_server'].get('port') or svc['real_server_port']
        sorry = '%s %s' % (svc['sorry_server']['address'], sport or 0)
    checker = _checker_index(_checker(svc['health_check']), checkers, index)
    default_port = svc['real_server_port'] or 0
    # The real servers in inventory order, as runs of consecutive real servers of one weight:
    # [{'weight': W, 'endpoints': {"IP PORT": None, ...}}, ...]. One destination per address and port (IPVS keeps one;
    # the model refuses two real servers with one address in a service). The shape is the one Ansible's templating
    # prints fastest: a run's weight is read once (usually one run per service), and the endpoints are a mapping's
    # keys, which Ansible hands out as they are (a list's items, a mapping's values and .items() are templated one by
    # one: 5,000 real servers in a file).
    real_servers, seen = [], set()
    for rs in svc['real_servers']:
        endpoint = '%s %s' % (rs['address'], rs.get('port') or default_port)
        if endpoint in seen:
            raise ValueError('virtual service %s has real server %s twice' % (svc['name'], endpoint))
        seen.add(endpoint)
        if not real_servers or real_servers[-1]['weight'] != rs['weight']:
            real_servers.append({'weight': rs['weight'], 'endpoints': {}})
        real_servers[-1]['endpoints'][endpoint] = None
    return {
        'name': svc['name'],
        'address': address,
        # a firewall-mark service has no address: keepalived takes it as IPv4 unless told
        'ip_family': 'inet6' if svc['fwmark'] and svc['family'] == 6 else None,
        'delay_loop': svc['health_check'].get('interval') or 6,
        'lvs_sched': svc['scheduler'],
        'lvs_method': svc['forwarding'].upper(),
        'protocol': None if svc['fwmark'] else svc['protocol'].upper(),
        'persistence_timeout': svc['persistence_timeout'] or None,
        'persistence_granularity': (svc['persistence_netmask'] or None) if svc['persistence_timeout'] else None,
        'quorum': svc['quorum'],
        'hysteresis': svc['hysteresis'],
        'sorry_server': sorry,
        'smtp_alert': smtp_alert,
        # one checker per service, every real server of the service prints its block: the position of the block in
        # the view's distinct checkers (None: no checker). Services with the same health check share one block, which
        # the template prints once and repeats (a 500-service file then costs a few checker renders, not 500).
        'checker': checker,
        'real_servers': real_servers,
    }


def _firewall(cluster, me, inside):
    """The firewall rules of this director: iptables pairs and firewalld rich rules (in the spelling
    `firewall-cmd --list-rich-rules` prints back, as the pruning compares strings)."""
    ka = cluster['keepalived']
    specs = [{'protocol': '112', 'port': None, 'what': 'vrrp', 'rich': 'protocol value="vrrp"'}]
    if ka['auth_type'] == 'AH':
        specs.append({'protocol': '51', 'port': None, 'what': 'ah', 'rich': 'protocol value="ah"'})
    if cluster['sync_daemon']:
        specs.append({'protocol': 'udp', 'port': '8848', 'what': 'ipvs-sync', 'rich': 'port port="8848" protocol="udp"'})
    iptables, rich4, rich6 = [], [], []
    for peer in me['peers']:
        version = 'ipv6' if ':' in peer else 'ipv4'
        for spec in specs:
            iptables.append({'source': peer, 'ip_version': version, 'protocol': spec['protocol'], 'port': spec['port'],
                             'comment': 'lvs-cluster %s %s' % (cluster['name'], spec['what']),
                             'label': '%s from %s' % (spec['what'], peer)})
            (rich6 if version == 'ipv6' else rich4).append(
                'rule family="%s" source address="%s" %s accept' % (version, peer, spec['rich']))
    inside_iptables, inside_rich = [], []
    if inside:
        nat = cluster['nat']
        version = 'ipv6' if ':' in nat['inside_vip'] else 'ipv4'
        prefix = nat.get('inside_prefix') or (64 if version == 'ipv6' else 24)
        for proto, word in [('112', 'vrrp')] + ([('51', 'ah')] if ka['auth_type'] == 'AH' else []):
            inside_iptables.append({'interface': nat['inside_interface'], 'ip_version': version, 'protocol': proto,
                                    'comment': 'lvs-cluster %s inside %s' % (cluster['name'], proto)})
            inside_rich.append('rule family="%s" source address="%s/%s" protocol value="%s" accept'
                               % (version, nat['inside_vip'], prefix, word))
    return {'enabled': bool(cluster.get('firewall')), 'interface': cluster['interface'],
            'iptables_peer_rules': iptables, 'iptables_inside_rules': inside_iptables,
            'firewalld_peer_rules': rich4 + rich6, 'firewalld_inside_rules': inside_rich, 'firewalld_owned': FIREWALLD_OWNED}


def router_id_of(cluster, host):
    """The router_id of director ``host``: lvs_keepalived.router_id, unless it is unset or names another director of
    the cluster (then each director uses its own inventory name, so no two directors share one)."""
    configured = cluster['keepalived'].get('router_id')
    if not configured or configured in set(d['host'] for d in cluster.get('directors', [])):
        return host
    return configured


def failback(cluster):
    """Whether the first director takes the VIPs back when its keepalived returns, and how many seconds keepalived
    waits on purpose before it does (the cluster view's ``failback``; keepalived.conf's nopreempt / preempt_delay).

    The primary has the highest priority (the model refuses a backup above it), so with preemption, keepalived's
    default, a primary that starts again preempts the lower-priority master: at once when it starts as MASTER, else
    when its master-down timer expires. preempt_delay holds that preemption back for its seconds after keepalived
    starts (the way back after a restart, a reboot or a power cut). With nopreempt (preempt: false; every director
    then starts as BACKUP) the director holding the VIPs keeps them."""
    ka = cluster['keepalived']
    preempt = bool(ka['preempt'])
    return {'expected': preempt, 'delay_seconds': (ka['preempt_delay'] or 0) if preempt else 0}


def view(cluster, me):
    """The plain data this backend's templates print for director ``me`` of ``cluster``."""
    ka = cluster['keepalived']
    fb = failback(cluster)
    name = cluster['name']
    family = _family(me['address'])
    me = dict(me, family=family, peers=[str(p) for p in me.get('peers', [])])
    router_id = router_id_of(cluster, me['host'])
    # keepalived clears an initial MASTER state when nopreempt, preempt_delay or AH is used: BACKUP everywhere then
    state = me['state'] if fb['expected'] and not fb['delay_seconds'] and ka['auth_type'] != 'AH' else 'BACKUP'
    inside = _uses_inside(cluster)
    emails = list(cluster.get('notification_email') or [])
    smtp_alert = bool(emails)
    notify_argv = ka.get('notify_argv')
    if notify_argv is None:  # a cluster dict built by hand (render fixtures): notify holds the command strings
        notify_argv = dict((k, v.split(' ')) for k, v in (ka.get('notify') or {}).items() if v)
    notify = [{'event': event, 'command': quote_command(notify_argv[event]), 'argv': list(notify_argv[event])}
              for event in NOTIFY_EVENTS if notify_argv.get(event)]
    scripts = []
    for ts in ka.get('track_scripts') or []:
        argv = ts.get('argv') or ts['script'].split(' ')
        scripts.append({'name': ts['name'], 'command': quote_command(argv), 'argv': list(argv), 'interval': ts['interval'],
                        'weight': ts['weight'], 'fall': ts['fall'], 'rise': ts['rise']})
    # VIPs per family, first occurrence wins (its prefix), in service order: one dict lookup per service
    seen = {}
    for svc in cluster['virtual_services']:
        if svc['vip'] not in seen:
            seen[svc['vip']] = (svc['vip'], svc['vip_prefix'], svc['family'])
    main_family = vrrp_family(cluster, family)
    own = [v for v in seen.values() if v[2] == main_family]
    other = [v for v in seen.values() if v[2] != main_family]
    tracked = list(ka.get('track_interfaces') or [])
    track_names = [s['name'] for s in scripts]
    main_name = 'VI_%s' % name
    instances = [_instance(main_name, cluster['interface'], ka, fb, me, state, main_family, own, other, tracked, track_names,
                           [] if inside else notify, smtp_alert)]
    sync_group = None
    if inside:
        nat = cluster['nat']
        ivip = nat['inside_vip']
        ifamily = _family(ivip)
        iprefix = nat.get('inside_prefix') or (24 if ifamily == 4 else 64)
        pair = [(ivip, iprefix, ifamily)]
        inside_name = 'VI_%s_inside' % name
        # multicast VRRP follows the inside VIP's family; unicast keeps the directors' (the model refuses a mismatch)
        inside_family = family if ka['unicast'] else ifamily
        instances.append(_instance(inside_name, nat.get('inside_interface') or 'eth1', ka, fb, me, state, inside_family,
                                   pair if ifamily == inside_family else [], [] if ifamily == inside_family else pair,
                                   tracked, track_names, [], smtp_alert))
        sync_group = {'name': 'VG_%s' % name, 'instances': [main_name, inside_name], 'notify': notify}
    timeouts = cluster.get('timeouts') or {}
    script_security = bool(scripts or notify or any(svc['health_check']['type'] == 'misc' for svc in cluster['virtual_services']))
    global_defs = {
        'router_id': router_id,
        'notification_email': emails,
        'notification_email_from': cluster.get('notification_email_from') if emails else None,
        'smtp_server': '%s %s' % (cluster['smtp_server'], cluster.get('smtp_port') or 25) if emails else None,
        'enable_script_security': script_security,
        'script_user': ka['script_user'] if script_security else None,
        'lvs_sync_daemon': '%s %s id %s' % (cluster['interface'], main_name, cluster['sync_id']) if cluster['sync_daemon'] else None,
        'lvs_timeouts': ' '.join('%s %s' % (k, timeouts[k]) for k in ('tcp', 'tcpfin', 'udp') if timeouts.get(k) is not None) or None,
    }
    forwarding = set(svc['family'] for svc in cluster['virtual_services'] if svc['forwarding'] == 'nat')
    checkers, index = [], {}
    virtual_servers = [_virtual_server(svc, smtp_alert, checkers, index) for svc in cluster['virtual_services']]
    return {
        'router_id': router_id,
        'state': state,
        'global_defs': global_defs,
        'vrrp_scripts': scripts,
        'sync_group': sync_group,
        'instances': instances,
        'checkers': checkers,
        'virtual_servers': virtual_servers,
        'firewall': _firewall(cluster, me, inside),
        # tasks: the script user is created when scripts run; IP forwarding is enabled for the NAT families
        'script_user': ka['script_user'] if script_security else None,
        'ip_forward_sysctls': [key for fam, key in ((4, 'net.ipv4.ip_forward'), (6, 'net.ipv6.conf.all.forwarding'))
                               if fam in forwarding],
    }
