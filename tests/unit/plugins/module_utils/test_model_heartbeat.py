# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The heartbeat + ldirectord backend: every value refused before any host (the message names its variable), and
the view the role's templates print."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model
from ansible_collections.lvs.cluster.plugins.module_utils._model import heartbeat_ldirectord as hb

ROLE = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'director_heartbeat_ldirectord'))
SECRET = 'hb-secret-Zq8xK2mP'
SERVICE = {'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'scheduler': 'rr',
           'health_check': {'type': 'http', 'path': '/health', 'expect': 'ok', 'host': 'www.example.com'}}
CLUSTER = {
    'lvs_backend': 'heartbeat_ldirectord', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
    'lvs_realserver_group': 'web_realservers',
    'lvs_heartbeat': {'authkey': SECRET},
    'lvs_virtual_services': [SERVICE],
}


def inventory(cluster=None, dr_extra=None, rs_extra=None):
    """dr1, dr2 (cluster web, heartbeat_ldirectord) and rs1, rs2."""
    cluster = copy.deepcopy(CLUSTER if cluster is None else cluster)
    hostvars = {}
    for i in (1, 2):
        hostvars['dr%d' % i] = dict(cluster, ansible_host='198.51.100.1%d' % i)
        hostvars['dr%d' % i].update((dr_extra or {}).get('dr%d' % i, {}))
        hostvars['rs%d' % i] = {'ansible_host': '203.0.113.2%d' % i}
        hostvars['rs%d' % i].update((rs_extra or {}).get('rs%d' % i, {}))
    groups = {'all': ['dr1', 'dr2', 'rs1', 'rs2'], 'lvs_directors': ['dr1', 'dr2'], 'web_directors': ['dr1', 'dr2'],
              'lvs_realservers': ['rs1', 'rs2'], 'web_realservers': ['rs1', 'rs2']}
    return hostvars, groups


def cluster_with(heartbeat=None, ldirectord=None, services=None, **variables):
    cluster = copy.deepcopy(CLUSTER)
    if heartbeat is not None:
        cluster['lvs_heartbeat'] = dict(cluster['lvs_heartbeat'], **heartbeat)
    if ldirectord is not None:
        cluster['lvs_ldirectord'] = ldirectord
    if services is not None:
        cluster['lvs_virtual_services'] = services
    cluster.update(variables)
    return cluster


def service(health_check=None, **changes):
    svc = dict(copy.deepcopy(SERVICE), **changes)
    if health_check is not None:
        svc['health_check'] = health_check
    return svc


def check(**health):
    return cluster_with(services=[service(health_check=health)])


def view_of(cluster=None, host='dr1', **kwargs):
    model = Model(*inventory(cluster, **kwargs))
    assert model.errors == [], '\n'.join(str(e) for e in model.errors)
    return model.backend_view(host)


# -- bad input: (id, inventory, variable path, words of the message) ----------------------------------------------
BAD = [
    ('mcast group octet 300', inventory(cluster_with(heartbeat={'link': 'mcast', 'mcast_group': '239.0.0.300'})),
     'lvs_heartbeat.mcast_group', 'IPv4 multicast'),
    ('mcast group unicast', inventory(cluster_with(heartbeat={'mcast_group': '203.0.113.1'})), 'lvs_heartbeat.mcast_group',
     '224.0.0.0/4'),
    ('mcast group IPv6', inventory(cluster_with(heartbeat={'mcast_group': 'ff02::1'})), 'lvs_heartbeat.mcast_group',
     'IPv4 multicast'),
    ('mcast group integer', inventory(cluster_with(heartbeat={'mcast_group': 239})), 'lvs_heartbeat.mcast_group',
     'IPv4 multicast'),
    ('mcast group newline', inventory(cluster_with(heartbeat={'mcast_group': '239.0.0.1\nnode evil'})),
     'lvs_heartbeat.mcast_group', 'IPv4 multicast'),
    ('logfacility newline', inventory(cluster_with(heartbeat={'logfacility': 'daemon\nnode evil'})),
     'lvs_heartbeat.logfacility', 'syslog facility'),
    ('logfacility local8', inventory(cluster_with(heartbeat={'logfacility': 'local8'})), 'lvs_heartbeat.logfacility',
     'syslog facility'),
    ('logfacility quoted', inventory(cluster_with(heartbeat={'logfacility': '"daemon"'})), 'lvs_heartbeat.logfacility',
     'syslog facility'),
    ('authkey with blanks', inventory(cluster_with(heartbeat={'authkey': 'abcd efgh ijkl'})), 'lvs_heartbeat.authkey',
     'without blanks'),
    ('authkey short', inventory(cluster_with(heartbeat={'authkey': 'short'})), 'lvs_heartbeat.authkey', '5 bytes long'),
    ('authkey YAML integer', inventory(cluster_with(heartbeat={'authkey': 12345678})), 'lvs_heartbeat.authkey',
     'YAML int'),
    ('authkey non-ASCII counted in bytes', inventory(cluster_with(heartbeat={'authkey': 'clé-clé'})),
     'lvs_heartbeat.authkey', 'printable ASCII'),
    ('authkey too long', inventory(cluster_with(heartbeat={'authkey': 'k' * 1025})), 'lvs_heartbeat.authkey',
     '1025 bytes'),
    ('authkey newline', inventory(cluster_with(heartbeat={'authkey': 'abcdefgh\n2 md5 x'})), 'lvs_heartbeat.authkey',
     'without blanks'),
    ('authkey missing', inventory(cluster_with(heartbeat={'authkey': None})), 'lvs_heartbeat.authkey', 'required'),
    ('heartbeat unknown key', inventory(cluster_with(heartbeat={'authkeys': 'x'})), 'lvs_heartbeat.authkeys',
     'not a known key'),
    ('logfacility kern', inventory(cluster_with(heartbeat={'logfacility': 'kern'})), 'lvs_heartbeat.logfacility',
     'refuses to start'),
    ('udpport of another service', inventory(cluster_with(heartbeat={'udpport': 21})), 'lvs_heartbeat.udpport', 'fsp'),
    ('udpport zero', inventory(cluster_with(heartbeat={'udpport': 0})), 'lvs_heartbeat.udpport', 'between 1 and 65535'),
    ('keepalive text', inventory(cluster_with(heartbeat={'keepalive': 'fast'})), 'lvs_heartbeat.keepalive', 'integer'),
    ('warntime outside', inventory(cluster_with(heartbeat={'warntime': 20})), 'lvs_heartbeat.warntime', 'between'),
    ('initdead short', inventory(cluster_with(heartbeat={'initdead': 12})), 'lvs_heartbeat.initdead', 'twice deadtime'),
    ('initdead under 10 s', inventory(cluster_with(heartbeat={'keepalive': 1, 'warntime': 2, 'deadtime': 3, 'initdead': 6})),
     'lvs_heartbeat.initdead', 'at least 10 s'),
    ('link serial', inventory(cluster_with(heartbeat={'link': 'serial'})), 'lvs_heartbeat.link', 'must be one of'),
    ('auto_failback maybe', inventory(cluster_with(heartbeat={'auto_failback': 'maybe'})), 'lvs_heartbeat.auto_failback',
     'boolean'),
    ('ping node newline', inventory(cluster_with(heartbeat={'ping_nodes': ['203.0.113.1\nnode evil']})),
     'lvs_heartbeat.ping_nodes[0]', 'not a valid IP'),
    ('ping node IPv6', inventory(cluster_with(heartbeat={'ping_nodes': ['2001:db8::1']})), 'lvs_heartbeat.ping_nodes[0]',
     'IPv4 ICMP'),
    ('ping nodes a string', inventory(cluster_with(heartbeat={'ping_nodes': '203.0.113.1'})), 'lvs_heartbeat.ping_nodes',
     'a list is needed'),
    ('logfile facility local9', inventory(cluster_with(ldirectord={'logfile': 'local9'})), 'lvs_ldirectord.logfile',
     'syslog facility'),
    ('logfile relative', inventory(cluster_with(ldirectord={'logfile': 'var/log/ld.log'})), 'lvs_ldirectord.logfile',
     'absolute path'),
    ('logfile directory', inventory(cluster_with(ldirectord={'logfile': '/var/log/'})), 'lvs_ldirectord.logfile',
     'names a directory'),
    ('logfile root', inventory(cluster_with(ldirectord={'logfile': '/'})), 'lvs_ldirectord.logfile', 'cannot be "/"'),
    ('logfile comment', inventory(cluster_with(ldirectord={'logfile': '/var/log/ld#x'})), 'lvs_ldirectord.logfile', "'#'"),
    ('logfile quote', inventory(cluster_with(ldirectord={'logfile': '/var/log/ld"x'})), 'lvs_ldirectord.logfile', "'\"'"),
    ('logfile newline', inventory(cluster_with(ldirectord={'logfile': '/var/log/ld\nemailalert=x@example.com'})),
     'lvs_ldirectord.logfile', "'\\n'"),
    ('logfile dot-dot', inventory(cluster_with(ldirectord={'logfile': '/var/log/../../etc/passwd'})),
     'lvs_ldirectord.logfile', '".."'),
    ('logfile brace', inventory(cluster_with(ldirectord={'logfile': '/var/log/{x}'})), 'lvs_ldirectord.logfile', "'{'"),
    ('logfile pipe', inventory(cluster_with(ldirectord={'logfile': '/var/log/x|'})), 'lvs_ldirectord.logfile', "'|'"),
    ('ldirectord failurecount 0', inventory(cluster_with(ldirectord={'failurecount': 0})), 'lvs_ldirectord.failurecount',
     'between 1 and 100'),
    ('ldirectord checkinterval text', inventory(cluster_with(ldirectord={'checkinterval': 'often'})),
     'lvs_ldirectord.checkinterval', 'integer'),
    ('ldirectord unknown key', inventory(cluster_with(ldirectord={'fork': True})), 'lvs_ldirectord.fork', 'not a known key'),
    ('node name blank', inventory(dr_extra={'dr1': {'lvs_node_name': 'bad name'}}), 'hostvars[dr1].lvs_node_name',
     'node name'),
    ('node name newline', inventory(dr_extra={'dr1': {'lvs_node_name': 'dr1\nnode evil'}}), 'hostvars[dr1].lvs_node_name',
     'node name'),
    ('node name quote', inventory(dr_extra={'dr1': {'lvs_node_name': 'dr"1'}}), 'hostvars[dr1].lvs_node_name', 'node name'),
    ('node name brace', inventory(dr_extra={'dr1': {'lvs_node_name': 'dr{1}'}}), 'hostvars[dr1].lvs_node_name', 'node name'),
    ('node name comment', inventory(dr_extra={'dr1': {'lvs_node_name': 'dr#1'}}), 'hostvars[dr1].lvs_node_name', 'node name'),
    ('node name integer', inventory(dr_extra={'dr1': {'lvs_node_name': 42}}), 'hostvars[dr1].lvs_node_name', 'string'),
    ('node name 65 characters', inventory(dr_extra={'dr1': {'lvs_node_name': 'n' * 65}}), 'hostvars[dr1].lvs_node_name',
     'node name'),
    ('node names equal ignoring case', inventory(dr_extra={'dr1': {'lvs_node_name': 'LVS'}, 'dr2': {'lvs_node_name': 'lvs'}}),
     'hostvars[dr2].lvs_node_name', 'lower case'),
    ('ucast IPv6 directors', inventory(dr_extra={'dr1': {'lvs_address': '2001:db8::11'}}), 'hostvars[dr1].lvs_address',
     'IPv4 only'),
    ('bcast IPv6 directors', inventory(cluster_with(heartbeat={'link': 'bcast'}), dr_extra={'dr2': {'lvs_address': '2001:db8::12'}}),
     'hostvars[dr2].lvs_address', 'broadcast'),
    ('mcast IPv6 directors', inventory(cluster_with(heartbeat={'link': 'mcast'}), dr_extra={'dr2': {'lvs_address': '2001:db8::12'}}),
     'hostvars[dr2].lvs_address', 'IPv4 only'),
    ('two alert addresses', inventory(cluster_with(lvs_notification_email=['ops@example.com', 'noc@example.com'])),
     'lvs_notification_email', 'one address'),
    ('smtp relay IPv6', inventory(cluster_with(lvs_notification_email=['ops@example.com'], lvs_smtp_server='2001:db8::25')),
     'lvs_smtp_server', 'IPv6'),
    ('smtp port', inventory(cluster_with(lvs_notification_email=['ops@example.com'], lvs_smtp_server='203.0.113.25:587')),
     'lvs_smtp_server', 'port 25'),
    ('sync daemon', inventory(cluster_with(lvs_sync_daemon=True)), 'lvs_sync_daemon', 'sync daemon'),
    ('IPv6 VIP', inventory(cluster_with(services=[service(vip='2001:db8::100')])), 'lvs_virtual_services[0].vip',
     'IPv4 VIPs only'),
    ('NAT inside VIP IPv6', inventory(cluster_with(services=[service(forwarding='nat')],
                                                   lvs_nat={'inside_vip': '2001:db8:1::1', 'inside_interface': 'eth1'})),
     'lvs_nat.inside_vip', 'IPv4 addresses only'),
    ('one VIP two prefixes', inventory(cluster_with(services=[service(), service(name='api', port=8080, vip_prefix=24)])),
     'lvs_virtual_services[1].vip_prefix', 'same VIP'),
    ('sorry server IPv6', inventory(cluster_with(services=[service(sorry_server={'address': '2001:db8::50'})])),
     'lvs_virtual_services[0].sorry_server.address', 'IPv4 only'),
    ('real server IPv6', inventory(rs_extra={'rs1': {'lvs_address': '2001:db8::21'}}), 'hostvars[rs1].lvs_address',
     'IPv6'),
    ('digest', inventory(check(type='http', digest='a' * 32)), 'lvs_virtual_services[0].health_check.digest', 'digest'),
    ('status 301', inventory(check(type='http', status_code=301)), 'lvs_virtual_services[0].health_check.status_code', '2xx'),
    ('fwmark without check port', inventory(cluster_with(services=[service(port=None, fwmark=10)])),
     'lvs_virtual_services[0].health_check.port', 'firewall-mark'),
    ('misc with arguments', inventory(check(type='misc', misc_path='/usr/local/bin/check-db --port 3306')),
     'lvs_virtual_services[0].health_check.misc_path', 'has arguments'),
    ('send comment', inventory(check(type='tcp', send='PING #1')), 'lvs_virtual_services[0].health_check.send', "'#'"),
    ('send quote', inventory(check(type='tcp', send='say "hi"')), 'lvs_virtual_services[0].health_check.send', "'\"'"),
    ('send unknown escape', inventory(check(type='tcp', send='PING\\r\\n')), 'lvs_virtual_services[0].health_check.send',
     'does not start \\n'),
    ('send trailing backslash', inventory(check(type='tcp', send='PING\\')), 'lvs_virtual_services[0].health_check.send',
     'does not start \\n'),
    ('send newline', inventory(check(type='tcp', send='PING\n')), 'lvs_virtual_services[0].health_check.send', 'newline'),
    ('expect newline', inventory(check(type='http', expect='ok\nreceive="x"')),
     'lvs_virtual_services[0].health_check.expect', 'newline'),
    ('send with an http check', inventory(check(type='http', send='GET /')), 'lvs_virtual_services[0].health_check.send',
     'not read by ldirectord\'s http check'),
    ('expect with an smtp check', inventory(check(type='smtp', expect='220')), 'lvs_virtual_services[0].health_check.expect',
     'not read by ldirectord\'s smtp check'),
    ('host with a tcp check', inventory(check(type='tcp', host='www.example.com')),
     'lvs_virtual_services[0].health_check.host', 'not read by ldirectord\'s tcp check'),
    ('expect with a ping check', inventory(check(type='ping', expect='x')), 'lvs_virtual_services[0].health_check.expect',
     'ignored'),
    ('DNS type MX', inventory(check(type='dns', dns_name='example.com', dns_type='MX')),
     'lvs_virtual_services[0].health_check.dns_type', 'only A or PTR'),
    ('DNS PTR of a name', inventory(check(type='dns', dns_name='www.example.com', dns_type='PTR')),
     'lvs_virtual_services[0].health_check.dns_name', 'PTR query only for an address'),
    ('DNS PTR partial ip6.arpa', inventory(check(type='dns', dns_name='8.b.d.0.1.0.0.2.ip6.arpa', dns_type='PTR')),
     'lvs_virtual_services[0].health_check.dns_name', 'PTR query only for an address'),
    ('DNS PTR octet 256', inventory(check(type='dns', dns_name='256.113.0.203.in-addr.arpa', dns_type='PTR')),
     'lvs_virtual_services[0].health_check.dns_name', 'PTR query only for an address'),
    ('DNS A of an address', inventory(check(type='dns', dns_name='203.0.113.1')),
     'lvs_virtual_services[0].health_check.dns_name', 'PTR query, not an A query'),
    ('DNS A single label', inventory(check(type='dns', dns_name='intranet')),
     'lvs_virtual_services[0].health_check.dns_name', 'search domains'),
    ('DNS name quote', inventory(check(type='dns', dns_name='www"x.example.com')),
     'lvs_virtual_services[0].health_check.dns_name', 'host name'),
    ('virtualhost comment', inventory(check(type='http', host='www.example.com#x')),
     'lvs_virtual_services[0].health_check.host', 'host name'),
    ('request path comment', inventory(check(type='http', path='/a#b')), 'lvs_virtual_services[0].health_check.path',
     'URL path'),
    ('request path quote', inventory(check(type='http', path='/a"b')), 'lvs_virtual_services[0].health_check.path',
     'URL path'),
]


@pytest.mark.parametrize('name,built,path,words', BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_the_variable(name, built, path, words):
    model = Model(*built)
    matching = [e for e in model.errors if e.path == path and words in str(e)]
    assert matching, 'expected an error at %s mentioning %r, got:\n%s' % (path, words, '\n'.join(str(e) for e in model.errors))
    assert all(e.fix for e in model.errors), 'every error carries a fix'
    # refused on the controller: no host of the cluster gets a view to apply
    assert model.errors_for('dr1'), 'dr1 must not be configured with this inventory'


def test_at_least_60_bad_inputs():
    assert len(BAD) >= 60
    assert len(set(b[2] for b in BAD)) >= 25


def test_the_secret_never_appears_in_a_message():
    for secret in ('abcd efgh ijkl', 'short', 'k' * 1025, 'clé-clé'):
        model = Model(*inventory(cluster_with(heartbeat={'authkey': secret})))
        assert model.errors and not any(secret in str(e) for e in model.errors), secret


# -- free text: newline, quote, brace and "#" are refused wherever ldirectord.cf / ha.cf cannot carry them --------
SPECIALS = {'newline': '\n', 'quote': '"', 'brace': '{', 'comment': '#'}
# field -> (inventory builder taking the bad value, variable path, characters the file carries literally)
FREE_TEXT = {
    'lvs_node_name': (lambda v: inventory(dr_extra={'dr1': {'lvs_node_name': 'dr%s1' % v}}), 'hostvars[dr1].lvs_node_name', ''),
    'logfacility': (lambda v: inventory(cluster_with(heartbeat={'logfacility': 'daemon%s' % v})), 'lvs_heartbeat.logfacility', ''),
    'mcast_group': (lambda v: inventory(cluster_with(heartbeat={'mcast_group': '239.0.0.1%s' % v})), 'lvs_heartbeat.mcast_group',
                    ''),
    'logfile': (lambda v: inventory(cluster_with(ldirectord={'logfile': '/var/log/ld%s.log' % v})), 'lvs_ldirectord.logfile', ''),
    # authkeys: the key is one word after "1 sha1"; quotes, braces and "#" are ordinary characters there
    'authkey': (lambda v: inventory(cluster_with(heartbeat={'authkey': 'abcdefgh%s1' % v})), 'lvs_heartbeat.authkey', '"{#'),
    # simpletcp request: braces are ordinary characters for ldirectord
    'send': (lambda v: inventory(check(type='tcp', send='PING%s1' % v)), 'lvs_virtual_services[0].health_check.send', '{'),
    # receive: every character is written as a literal Perl escape (\x22, \x23, \{): only the newline is refused
    'expect': (lambda v: inventory(check(type='http', expect='ok%s1' % v)), 'lvs_virtual_services[0].health_check.expect',
               '"{#'),
    'host': (lambda v: inventory(check(type='http', host='www%s.example.com' % v)), 'lvs_virtual_services[0].health_check.host',
             ''),
    'path': (lambda v: inventory(check(type='http', path='/a%sb' % v)), 'lvs_virtual_services[0].health_check.path', ''),
    'dns_name': (lambda v: inventory(check(type='dns', dns_name='www%s.example.com' % v)),
                 'lvs_virtual_services[0].health_check.dns_name', ''),
    'misc_path': (lambda v: inventory(check(type='misc', misc_path='/usr/local/bin/chk%s' % v)),
                  'lvs_virtual_services[0].health_check.misc_path', ''),
    'notification_email': (lambda v: inventory(cluster_with(lvs_notification_email=['ops%s@example.com' % v])),
                           'lvs_notification_email[0]', ''),
    'notification_email_from': (lambda v: inventory(cluster_with(lvs_notification_email=['ops@example.com'],
                                                                 lvs_notification_email_from='lvs%s@example.com' % v)),
                                'lvs_notification_email_from', ''),
}


@pytest.mark.parametrize('field', sorted(FREE_TEXT))
@pytest.mark.parametrize('special', sorted(SPECIALS))
def test_free_text_refuses_what_its_file_cannot_carry(field, special):
    build, path, carried = FREE_TEXT[field]
    char = SPECIALS[special]
    model = Model(*build(char))
    refused = [e for e in model.errors if e.path == path]
    if char in carried:
        assert not model.errors, '\n'.join(str(e) for e in model.errors)
        text = '\n'.join(_all_lines(model.backend_view('dr1')))
        if field == 'expect':
            # written as a Perl escape: never a raw "#" or quote in the line
            literal = hb.perl_literal(char)
            assert 'receive="ok%s1"' % literal in text and '#' not in literal and '"' not in literal
            assert re.fullmatch(literal, char)
    else:
        assert refused, '%s with a %s was accepted' % (field, special)


def _all_lines(view):
    ld = view['ldirectord']
    out = list(ld['global_lines'])
    for vs in ld['virtuals']:
        out.append('virtual=' + vs['virtual'])
        out.extend(vs['lines'])
    out.extend(view['heartbeat']['links'])
    out.append(' '.join([view['haresources']['node']] + view['haresources']['resources']))
    return out


# -- the view --------------------------------------------------------------------------------------------------------
def test_view_of_a_basic_cluster():
    view = view_of()
    assert view['backend'] == 'heartbeat_ldirectord' and view['node_name'] == 'dr1' and view['address'] == '198.51.100.11'
    heartbeat = view['heartbeat']
    assert heartbeat['links'] == ['ucast eth0 198.51.100.11', 'ucast eth0 198.51.100.12']
    assert heartbeat['nodes'] == ['dr1', 'dr2'] and heartbeat['auto_failback'] == 'off'
    assert heartbeat['authkey'] == SECRET and heartbeat['logfacility'] == 'daemon'
    assert (heartbeat['udpport'], heartbeat['keepalive'], heartbeat['warntime'], heartbeat['deadtime'],
            heartbeat['initdead']) == (694, 2, 6, 10, 30)
    assert heartbeat['firewall_sources'] == heartbeat['peers'] == ['198.51.100.12']
    assert view['haresources'] == {'node': 'dr1', 'resources': ['lvs-ldirectord::ldirectord.cf', 'lvs-vip::203.0.113.100/32/eth0']}
    ld = view['ldirectord']
    assert ld['global_lines'] == ['checktimeout=3', 'negotiatetimeout=3', 'checkinterval=6', 'failurecount=1', 'autoreload=no',
                                  'quiescent=no', 'readdquiescent=yes', 'logfile="local0"']
    assert ld['log_dir'] is None
    assert ld['virtuals'] == [{'name': 'www', 'virtual': '203.0.113.100:80', 'lines': [
        'real=203.0.113.21:80 gate 1', 'real=203.0.113.22:80 gate 1', 'servicename=www', 'protocol=tcp', 'scheduler=rr',
        'checktype=negotiate', 'service=http', 'checktimeout=3', 'negotiatetimeout=3', 'request="/health"',
        'virtualhost="www.example.com"', 'receive="ok"']}]
    assert view['ipvs_timeouts'] is None and view['ip_forward'] is False and view['firewall'] is False
    assert view_of(host='dr2')['heartbeat']['firewall_sources'] == ['198.51.100.11']


def test_view_links_and_heartbeat_settings():
    heartbeat = view_of(cluster_with(heartbeat={'link': 'mcast', 'mcast_group': '239.1.2.3', 'udpport': 695,
                                                'auto_failback': False, 'ping_nodes': ['203.0.113.1'],
                                                'logfacility': 'local5'}))['heartbeat']
    assert heartbeat['links'] == ['mcast eth0 239.1.2.3 695 1 0'] and heartbeat['firewall_sources'] == ['']
    assert heartbeat['auto_failback'] == 'off' and heartbeat['ping_nodes'] == ['203.0.113.1']
    assert heartbeat['logfacility'] == 'local5'
    assert view_of(cluster_with(heartbeat={'link': 'bcast'}, lvs_interface='ens3'))['heartbeat']['links'] == ['bcast ens3']


def test_view_node_names_and_preferred_node():
    view = view_of(dr_extra={'dr1': {'lvs_node_name': 'lvs-a', 'lvs_director_role': 'backup'},
                             'dr2': {'lvs_node_name': 'lvs-b', 'lvs_director_role': 'primary', 'lvs_priority': 200}})
    assert view['heartbeat']['nodes'] == ['lvs-a', 'lvs-b'] and view['haresources']['node'] == 'lvs-b'
    assert view['node_name'] == 'lvs-a'


def test_view_haresources_holds_each_vip_once_then_the_nat_inside_vip():
    services = [service(forwarding='nat'), service(name='tls', port=443, forwarding='nat'),
                service(name='api', vip='203.0.113.101', vip_prefix=24, port=8080, forwarding='nat')]
    view = view_of(cluster_with(services=services, lvs_nat={'inside_vip': '10.0.0.1', 'inside_interface': 'eth1'}))
    assert view['haresources']['resources'] == ['lvs-ldirectord::ldirectord.cf', 'lvs-vip::203.0.113.100/32/eth0',
                                                'lvs-vip::203.0.113.101/24/eth0', 'lvs-vip::10.0.0.1/24/eth1']
    assert view['ip_forward'] is True
    assert view['ldirectord']['virtuals'][0]['lines'][:2] == ['real=203.0.113.21:80 masq 1', 'real=203.0.113.22:80 masq 1']


def test_view_global_lines_follow_the_services_and_settings():
    services = [service(health_check={'type': 'tcp', 'timeout': 7, 'interval': 20}),
                service(name='b', port=81, health_check={'type': 'tcp', 'timeout': 2, 'interval': 4})]
    assert view_of(cluster_with(services=services))['ldirectord']['global_lines'][:3] == [
        'checktimeout=7', 'negotiatetimeout=7', 'checkinterval=4']
    ld = view_of(cluster_with(ldirectord={'checktimeout': 9, 'checkinterval': 11, 'failurecount': 3, 'autoreload': True,
                                          'quiescent': True, 'logfile': '/var/log/lvs/ldirectord.log'},
                              lvs_notification_email=['ops@example.com'], lvs_notification_email_from='lvs@example.com',
                              lvs_smtp_server='203.0.113.25'))['ldirectord']
    assert ld['global_lines'] == ['checktimeout=9', 'negotiatetimeout=9', 'checkinterval=11', 'failurecount=3', 'autoreload=yes',
                                  'quiescent=yes', 'readdquiescent=yes', 'logfile="/var/log/lvs/ldirectord.log"',
                                  'emailalert="ops@example.com"', 'emailalertfrom=lvs@example.com', 'smtp=203.0.113.25']
    assert ld['log_dir'] == '/var/log/lvs'
    assert view_of(cluster_with(ldirectord={'logfile': '/ldirectord.log'}))['ldirectord']['log_dir'] == '/'


def _lines(health_check, **changes):
    return view_of(cluster_with(services=[service(health_check=health_check, **changes)]))['ldirectord']['virtuals'][0]['lines']


def test_view_check_lines_per_type():
    checks = {
        'none': ({'type': 'none'}, ['checktype=on']),
        'ping': ({'type': 'ping', 'timeout': 4}, ['checktype=ping', 'checktimeout=4']),
        'misc': ({'type': 'misc', 'misc_path': '/usr/local/bin/check-db'},
                 ['checktype=external', 'checkcommand="/usr/local/bin/check-db"', 'checktimeout=3']),
        'connect': ({'type': 'tcp'}, ['checktype=connect', 'checktimeout=3']),
        'smtp': ({'type': 'smtp'}, ['checktype=negotiate', 'service=smtp', 'checktimeout=3', 'negotiatetimeout=3']),
        'https': ({'type': 'https', 'path': '/'}, ['checktype=negotiate', 'service=https', 'checktimeout=3',
                                                   'negotiatetimeout=3', 'request="/"']),
        'simpletcp': ({'type': 'tcp', 'send': 'PING\\n', 'expect': '+PONG'},
                      ['checktype=negotiate', 'service=simpletcp', 'checktimeout=3', 'negotiatetimeout=3',
                       'request="/PING\\n"', 'receive="\\+PONG"']),
        'banner': ({'type': 'tcp', 'expect': 'SSH-2.0'}, ['checktype=negotiate', 'service=simpletcp', 'checktimeout=3',
                                                          'negotiatetimeout=3', 'request="/"', 'receive="SSH\\-2\\.0"']),
        'send only': ({'type': 'tcp', 'send': 'HELLO'}, ['checktype=negotiate', 'service=simpletcp', 'checktimeout=3',
                                                         'negotiatetimeout=3', 'request="/HELLO"', 'receive="."']),
        'dns A': ({'type': 'dns', 'dns_name': 'www.example.com'},
                  ['checktype=negotiate', 'service=dns', 'checktimeout=3', 'negotiatetimeout=3', 'request="www.example.com"',
                   'receive="."']),
        'dns PTR': ({'type': 'dns', 'dns_name': '1.113.0.203.in-addr.arpa', 'dns_type': 'PTR', 'expect': 'www.example.com'},
                    ['checktype=negotiate', 'service=dns', 'checktimeout=3', 'negotiatetimeout=3', 'request="203.0.113.1"',
                     'receive="www\\.example\\.com"']),
    }
    for name, (health_check, want) in checks.items():
        assert _lines(health_check)[5:] == want, name


def test_view_service_options():
    lines = _lines({'type': 'tcp', 'port': 8081}, forwarding='tun', scheduler='sh', persistence_timeout=300,
                   persistence_netmask='255.255.255.0', sorry_server={'address': '203.0.113.50'})
    assert lines == ['real=203.0.113.21:80 ipip 1', 'real=203.0.113.22:80 ipip 1', 'fallback=203.0.113.50:80 ipip', 'servicename=www',
                     'protocol=tcp', 'scheduler=sh', 'persistent=300', 'netmask=255.255.255.0', 'checktype=connect',
                     'checktimeout=3', 'checkport=8081']
    view = view_of(cluster_with(services=[service(port=None, fwmark=10, health_check={'type': 'http', 'port': 80, 'path': '/'},
                                                  sorry_server={'address': '127.0.0.1'})]))
    virtual = view['ldirectord']['virtuals'][0]
    assert virtual['virtual'] == '10'
    assert virtual['lines'][:5] == ['real=203.0.113.21 gate 1', 'real=203.0.113.22 gate 1', 'fallback=127.0.0.1 gate',
                                    'servicename=www', 'protocol=fwm']
    assert virtual['lines'][-1] == 'checkport=80'
    weights = view_of(rs_extra={'rs1': {'lvs_weight': 0}, 'rs2': {'lvs_weights': {'www': 7}}})['ldirectord']['virtuals'][0]
    assert weights['lines'][:2] == ['real=203.0.113.21:80 gate 0', 'real=203.0.113.22:80 gate 7']
    assert 'protocol=udp' in _lines({'type': 'dns', 'dns_name': 'example.com'}, port=53, protocol='udp')


def test_view_ipvs_timeouts():
    assert view_of(cluster_with(lvs_timeouts={'tcp': 900, 'udp': 60}))['ipvs_timeouts'] == [900, 0, 60]


def test_perl_literal_escapes_every_special_character():
    assert hb.perl_literal('ok #1 (v2) $5 [x]*') == 'ok\\ \\x231\\ \\(v2\\)\\ \\$5\\ \\[x\\]\\*'
    assert hb.perl_literal('{"a": b}|^~&-.?+\\') == '\\{\\x22a\\x22:\\ b\\}\\|\\^\\~\\&\\-\\.\\?\\+\\\\'
    for text in ('a#b', 'say "x"', 'x{1,2}', '$HOME', 'a\\'):
        literal = hb.perl_literal(text)
        assert '#' not in literal and '"' not in literal
        # Python's re reads these escapes the way Perl does: the pattern matches exactly the text
        assert re.fullmatch(literal, text), text


@pytest.mark.parametrize('name,request_', [
    ('203.0.113.1', '203.0.113.1'), ('1.113.0.203.in-addr.arpa', '203.0.113.1'), ('1.113.0.203.IN-ADDR.ARPA.', '203.0.113.1'),
    ('113.0.203.in-addr.arpa', '203.0.113'), ('10.in-addr.arpa', '10'),
    ('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', '2001:db8::1'),
    ('www.example.com', None), ('01.113.0.203.in-addr.arpa', None), ('in-addr.arpa', None), ('1.2.3.4.5.in-addr.arpa', None),
])
def test_ptr_request(name, request_):
    assert hb.ptr_request(name) == request_


def test_every_value_the_view_prints_is_one_line():
    services = [service(health_check={'type': 'tcp', 'send': 'PING\\n', 'expect': 'a "b" {c} #d'}),
                service(name='dns', port=53, protocol='udp', health_check={'type': 'dns', 'dns_name': 'example.com.'})]
    view = view_of(cluster_with(services=services, lvs_notification_email=['ops@example.com'],
                                heartbeat={'ping_nodes': ['203.0.113.1']}))
    for line in _all_lines(view):
        assert '\n' not in line and '\r' not in line and '\t' not in line, line
    for virtual in view['ldirectord']['virtuals']:
        for line in virtual['lines']:
            # ldirectord drops everything after "#" in a virtual section; a value holds at most its two quotes
            assert '#' not in line and line.count('"') in (0, 2), line


# -- generated scripts never run an inventory value ------------------------------------------------------------------
def test_resource_scripts_print_only_quoted_role_paths():
    """lvs-vip and lvs-ldirectord take their inputs as arguments from haresources (checked words) or from files they
    parse; the only values rendered into them are role paths, each a single shell-quoted word."""
    for name in ('lvs-vip.j2', 'lvs-ldirectord.j2'):
        with open(os.path.join(ROLE, 'templates', name)) as handle:
            text = handle.read()
        expressions = re.findall(r'{{(.*?)}}', text, re.S)
        assert expressions, name
        for expression in expressions:
            expression = expression.strip()
            assert expression == 'ansible_managed | comment' or re.fullmatch(
                r'director_heartbeat_ldirectord_[a-z_]+ \| quote', expression), (name, expression)
        assert '{%' not in text and 'eval' not in text.split() and '__director_heartbeat_ldirectord_model' not in text, name


def test_ldirectord_unit_prints_only_role_paths():
    """The role's ldirectord unit (run on every director) prints the role's paths and unit names, nothing from the
    model; it restarts ldirectord after a crash and orders it before heartbeat."""
    with open(os.path.join(ROLE, 'templates', 'lvs-ldirectord.service.j2')) as handle:
        text = handle.read()
    expressions = sorted(set(e.strip() for e in re.findall(r'{{(.*?)}}', text, re.S)))
    assert expressions == ['ansible_managed | comment', 'director_heartbeat_ldirectord_config_dir',
                           'director_heartbeat_ldirectord_heartbeat_service', 'director_heartbeat_ldirectord_ldirectord_bin']
    assert '{%' not in text
    for line in ('Restart=on-failure', 'Environment=PERLIO=perlio', 'PIDFile=/run/ldirectord.ldirectord.cf.pid'):
        assert line in text.splitlines()


def test_restart_drop_in_releases_the_group_right_to_left():
    """heartbeat's restart drop-in stops the group's resources right to left before every start: the view's release
    list is haresources reversed, as [script, argument] words, and the template prints only those and role paths."""
    v = view_of(cluster_with())
    assert v['release'] == [list(r.split('::', 1)) for r in reversed(v['haresources']['resources'])]
    assert v['release'][-1] == ['lvs-ldirectord', 'ldirectord.cf'] and all(s == 'lvs-vip' for s, a in v['release'][:-1])
    with open(os.path.join(ROLE, 'templates', 'heartbeat-restart.conf.j2')) as handle:
        text = handle.read()
    assert sorted(set(e.strip() for e in re.findall(r'{{(.*?)}}', text, re.S))) == [
        'ansible_managed | comment', 'argument', 'director_heartbeat_ldirectord_config_dir', 'script']
    assert 'Restart=on-failure' in text.splitlines()


def test_timeouts_drop_in_prints_integers_only():
    """The systemd drop-in runs ipvsadm: it prints the role's ipvsadm path and the view's integers, nothing else."""
    with open(os.path.join(ROLE, 'templates', 'heartbeat-ipvs-timeouts.conf.j2')) as handle:
        text = handle.read()
    assert sorted(e.strip() for e in re.findall(r'{{(.*?)}}', text, re.S)) == [
        '__director_heartbeat_ldirectord_model.view.ipvs_timeouts | join(\' \')', 'ansible_managed | comment',
        'director_heartbeat_ldirectord_ipvsadm_bin']
    timeouts = view_of(cluster_with(lvs_timeouts={'tcp': '900', 'tcpfin': 120}))['ipvs_timeouts']
    assert timeouts == [900, 120, 0] and all(isinstance(t, int) and not isinstance(t, bool) for t in timeouts)


def test_haresources_arguments_are_checked_words():
    services = [service(), service(name='api', vip='203.0.113.101', port=8080)]
    view = view_of(cluster_with(services=services, lvs_interface='eth0.100'))
    for resource in view['haresources']['resources'][1:]:
        assert re.fullmatch(r'lvs-vip::[0-9.]+/[0-9]{1,2}/[A-Za-z0-9_.-]{1,15}', resource), resource


def test_no_assert_template_and_no_derivation_in_templates():
    assert not os.path.exists(os.path.join(ROLE, 'templates', 'model_checks.j2'))
    for name in os.listdir(os.path.join(ROLE, 'templates')):
        with open(os.path.join(ROLE, 'templates', name)) as handle:
            text = handle.read()
        # a set only names a part of the view
        for statement in re.findall(r'{%-?\s*set\s.*?%}', text, re.S):
            assert re.fullmatch(r'{% set [a-z_]+ = __director_heartbeat_ldirectord_model\.view(\.[a-z_]+)* %}', statement), (
                name, statement)
