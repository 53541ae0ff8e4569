# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keepalived backend of the model: the values only keepalived.conf receives (bad inputs refused on the controller,
before any host, with the variable path) and the view roles/director_keepalived prints."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model, keepalived, redact
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils import model_asserts

SERVICE = {
    'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr', 'forwarding': 'dr',
    'health_check': {'type': 'tcp'},
}
CLUSTER = {
    'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
    'lvs_realserver_group': 'web_realservers',
    'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret1'},
    'lvs_virtual_services': [SERVICE],
}
NAT = {'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'}


def build(cluster=None, dr=None, rs=None, directors=2):
    """dr1, dr2 (cluster web, addresses 203.0.113.11-12) and rs1, rs2 (198.51.100.21-22 under NAT, else 203.0.113.21-22)."""
    cluster = copy.deepcopy(CLUSTER if cluster is None else cluster)
    nat = any(s.get('forwarding') == 'nat' for s in cluster['lvs_virtual_services'])
    names = ['dr%d' % i for i in range(1, directors + 1)]
    hv = dict((host, dict(cluster, ansible_host='203.0.113.1%d' % i)) for i, host in enumerate(names, 1))
    for i in (1, 2):
        hv['rs%d' % i] = {'ansible_host': ('198.51.100.2%d' if nat else '203.0.113.2%d') % i}
    for host, extra in (dr or {}).items():
        hv[host].update(extra)
    for host, extra in (rs or {}).items():
        hv[host].update(extra)
    groups = {'all': list(hv), 'lvs_directors': names, 'web_directors': names,
              'lvs_realservers': ['rs1', 'rs2'], 'web_realservers': ['rs1', 'rs2']}
    return Model(hv, groups)


def ka(**changes):
    cluster = copy.deepcopy(CLUSTER)
    cluster['lvs_keepalived'].update(changes)
    return cluster


def svc(*services, **cluster_changes):
    cluster = copy.deepcopy(CLUSTER)
    cluster['lvs_virtual_services'] = [dict(SERVICE, **s) for s in (services or ({},))]
    cluster.update(cluster_changes)
    return cluster


def hc(**changes):
    return svc({'health_check': changes})


def assert_refused(model, path, words=None, hosts=('dr1', 'dr2', 'rs1')):
    model_asserts.assert_refused(model, path, words, hosts)


def view_of(model, host='dr1'):
    assert model.errors == [], [str(e) for e in model.errors]
    return model.backend_view(host)


# --- injection: every keepalived free-text field refuses what keepalived.conf cannot carry ---------------------------
HOSTILE = ['x\nvrrp_script evil {', 'a"b', 'a{b', 'a}b', 'a#b', 'a;reboot', '$(reboot)', 'eth0\n', 'a b', "a'b", 'a\\b']

FIELDS = [
    ('track script name', lambda v: ka(track_scripts=[{'name': v, 'script': '/usr/bin/true'}]),
     'lvs_keepalived.track_scripts[0].name'),
    ('track script argument', lambda v: ka(track_scripts=[{'name': 'chk', 'script': ['/usr/bin/true', v]}]),
     'lvs_keepalived.track_scripts[0].script'),
    ('track script program', lambda v: ka(track_scripts=[{'name': 'chk', 'script': ['/usr/bin/' + v]}]),
     'lvs_keepalived.track_scripts[0].script'),
    ('notify argument', lambda v: ka(notify={'master': ['/usr/local/bin/notify', v]}), 'lvs_keepalived.notify.master'),
    ('notify program', lambda v: ka(notify={'fault': ['/usr/local/bin/' + v]}), 'lvs_keepalived.notify.fault'),
    ('script user', lambda v: ka(script_user=v), 'lvs_keepalived.script_user'),
    ('router id', lambda v: ka(router_id=v), 'lvs_keepalived.router_id'),
    ('track interface', lambda v: ka(track_interfaces=[v]), 'lvs_keepalived.track_interfaces[0]'),
]


@pytest.mark.parametrize('value', HOSTILE, ids=repr)
@pytest.mark.parametrize('label,make,path', FIELDS, ids=[f[0] for f in FIELDS])
def test_free_text_refuses_what_keepalived_conf_cannot_carry(label, make, path, value):
    assert_refused(build(make(value)), path)


@pytest.mark.parametrize('label,make,path', [f for f in FIELDS if 'program' not in f[0]], ids=[f[0] for f in FIELDS if 'program' not in f[0]])
def test_free_text_refuses_an_empty_value(label, make, path):
    assert_refused(build(make('')), path)


# --- bad inputs, one per rule ------------------------------------------------------------------------------------
BAD = [
    # (label, cluster, path, words)
    ('track script name too long', ka(track_scripts=[{'name': 'c' * 65, 'script': '/usr/bin/true'}]),
     'lvs_keepalived.track_scripts[0].name', 'name'),
    ('track script names twice', ka(track_scripts=[{'name': 'chk', 'script': '/usr/bin/true'},
                                                   {'name': 'chk', 'script': '/usr/bin/false'}]),
     'lvs_keepalived.track_scripts[1].name', 'duplicates'),
    ('track script relative', ka(track_scripts=[{'name': 'chk', 'script': 'check_nginx'}]),
     'lvs_keepalived.track_scripts[0].script', 'absolute path'),
    ('track script user root line', ka(track_scripts=[{'name': 'chk', 'script': '/usr/bin/true"\n    user root'}]),
     'lvs_keepalived.track_scripts[0].script', None),
    ('track script shell', ka(track_scripts=[{'name': 'chk', 'script': '/bin/sh -c "killall nginx"'}]),
     'lvs_keepalived.track_scripts[0].script', 'argument'),
    ('track script two blanks', ka(track_scripts=[{'name': 'chk', 'script': '/usr/bin/chk  -q'}]),
     'lvs_keepalived.track_scripts[0].script', 'empty word'),
    ('track script missing', ka(track_scripts=[{'name': 'chk'}]), 'lvs_keepalived.track_scripts[0].script', 'command'),
    ('track script parent dir', ka(track_scripts=[{'name': 'chk', 'script': '/usr/../bin/sh'}]),
     'lvs_keepalived.track_scripts[0].script', '..'),
    ('notify semicolon', ka(notify={'master': '/usr/local/bin/notify.sh; /sbin/reboot'}), 'lvs_keepalived.notify.master',
     'program'),
    ('notify relative', ka(notify={'backup': 'notify.sh'}), 'lvs_keepalived.notify.backup', 'absolute path'),
    ('notify number', ka(notify={'stop': 5}), 'lvs_keepalived.notify.stop', 'command'),
    ('notify event', ka(notify={'up': '/usr/local/bin/notify.sh'}), 'lvs_keepalived.notify.up', 'notify event'),
    ('script user upper case', ka(script_user='Keepalived'), 'lvs_keepalived.script_user', 'user name'),
    ('script user with group', ka(script_user='keepalived_script root'), 'lvs_keepalived.script_user', 'user name'),
    ('script user number', ka(script_user=0), 'lvs_keepalived.script_user', 'string'),
    ('router id blank', ka(router_id='lvs 1'), 'lvs_keepalived.router_id', 'router id'),
    ('router id too long', ka(router_id='r' * 65), 'lvs_keepalived.router_id', 'router id'),
    ('track interface too long', ka(track_interfaces=['averyverylongname0']), 'lvs_keepalived.track_interfaces[0]', 'IFNAMSIZ'),
    ('track interface alias', ka(track_interfaces=['eth0:1']), 'lvs_keepalived.track_interfaces[0]', 'interface name'),
    ('track interfaces string', ka(track_interfaces='eth0'), 'lvs_keepalived.track_interfaces', 'list'),
    ('auth pass YAML integer', ka(auth_pass=1111), 'lvs_keepalived.auth_pass', 'YAML int'),
    ('auth pass YAML float', ka(auth_pass=12.5), 'lvs_keepalived.auth_pass', 'YAML float'),
    ('auth pass nine bytes', ka(auth_pass='123456789'), 'lvs_keepalived.auth_pass', 'only the first 8'),
    ('auth pass bytes not characters', ka(auth_pass=u'p\u00e4\u00e4ss'), 'lvs_keepalived.auth_pass', 'printable ASCII'),
    ('auth pass blank', ka(auth_pass='a b'), 'lvs_keepalived.auth_pass', 'without blanks'),
    ('auth pass quote', ka(auth_pass='ab"cd'), 'lvs_keepalived.auth_pass', 'double quote'),
    ('auth pass backslash', ka(auth_pass='ab\\'), 'lvs_keepalived.auth_pass', 'backslash'),
    ('auth pass empty', ka(auth_pass=''), 'lvs_keepalived.auth_pass', 'required'),
    ('auth pass missing with AH', ka(auth_type='AH', auth_pass=None), 'lvs_keepalived.auth_pass', 'required'),
    ('auth type', ka(auth_type='MD5'), 'lvs_keepalived.auth_type', 'must be one of'),
    ('dns type PTR', hc(type='dns', dns_name='www.example.com', dns_type='PTR'),
     'lvs_virtual_services[0].health_check.dns_type', 'unknown to keepalived'),
    ('dns type SRV', hc(type='dns', dns_name='www.example.com', dns_type='SRV'),
     'lvs_virtual_services[0].health_check.dns_type', 'unknown to keepalived'),
    ('dns name one-character label', hc(type='dns', dns_name='a.example.com'),
     'lvs_virtual_services[0].health_check.dns_name', 'one-character label'),
    ('dns name one character and dot', hc(type='dns', dns_name='x.'),
     'lvs_virtual_services[0].health_check.dns_name', 'one-character label'),
    ('expect longer than a keepalived line', hc(type='http', path='/', expect='$' * 250),
     'lvs_virtual_services[0].health_check.expect', 'at most 1023'),
    ('persistence above the IPVS limit', svc({'persistence_timeout': 2678401}),
     'lvs_virtual_services[0].persistence_timeout', '2678400'),
    ('unicast with only other-family VIPs', svc({'vip': '2001:db8::100'}, lvs_keepalived={'auth_pass': 'x', 'unicast': True}),
     'lvs_virtual_services', 'unicast VRRP'),
    ('firewall with VRRP moved to IPv6', svc({'vip': '2001:db8::100'}, lvs_firewall=True),
     'lvs_firewall', 'link-local'),
    ('unicast with an inside VIP of the other family',
     svc({'forwarding': 'nat', 'vip': '2001:db8::100'}, {'name': 'v4', 'vip': '203.0.113.101', 'forwarding': 'nat'},
         lvs_nat={'inside_vip': '2001:db8:1::1', 'inside_interface': 'eth1'},
         lvs_keepalived={'auth_pass': 'x', 'unicast': True}),
     'lvs_nat.inside_vip', 'unicast VRRP'),
    ('track weight in a sync group', svc({'forwarding': 'nat'}, lvs_nat=NAT, lvs_keepalived={
        'auth_pass': 'x', 'track_scripts': [{'name': 'chk', 'script': '/usr/bin/true', 'weight': -20}]}),
     'lvs_keepalived.track_scripts[0].weight', 'must be 0'),
    ('delay_loop is not a key', ka(delay_loop=10), 'lvs_keepalived.delay_loop', 'not a known key'),
    ('hysteresis not below quorum', svc({'hysteresis': 1}), 'lvs_virtual_services[0].hysteresis', 'below quorum'),
    ('hysteresis above quorum', svc({'hysteresis': 5, 'quorum': 2}), 'lvs_virtual_services[0].hysteresis', 'below quorum'),
    ('advert_int fraction over IPv4', ka(advert_int=1.5), 'lvs_keepalived.advert_int', 'whole seconds'),
    ('advert_int fraction over IPv4 (string)', ka(advert_int='0.5'), 'lvs_keepalived.advert_int', 'whole seconds'),
    ('IPv6 persistence netmask', svc({'vip': '2001:db8::100', 'forwarding': 'tun', 'persistence_timeout': 60,
                                      'persistence_netmask': '255.255.255.0'}),
     'lvs_virtual_services[0].persistence_netmask', 'prefix length'),
]


@pytest.mark.parametrize('label,cluster,path,words', BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_its_path(label, cluster, path, words):
    model = build(cluster)
    hosts = ('dr1', 'dr2') if path.startswith('lvs_keepalived') or path in ('lvs_firewall', 'lvs_nat.inside_vip') else ('dr1',)
    assert_refused(model, path, words, hosts)


def test_secrets_never_appear_in_messages():
    for value in ('123456789', 'ab"cd', 'a b', u'p\u00e4\u00e4ss'):
        for e in build(ka(auth_pass=value)).errors:
            assert value not in str(e)


V6_DIRECTORS = {'dr1': {'ansible_host': '2001:db8::11'}, 'dr2': {'ansible_host': '2001:db8::12'}}
V6_REALSERVERS = {'rs1': {'ansible_host': '2001:db8::21'}, 'rs2': {'ansible_host': '2001:db8::22'}}


@pytest.mark.parametrize('advert_int, error', [(231, True), (40.96, True), (0.015, True), (40.95, False), (0.5, False), (3, False)])
def test_advert_int_over_ipv6_is_vrrpv3(advert_int, error):
    model = build(svc({'vip': '2001:db8::100'}, lvs_keepalived={'auth_type': 'none', 'advert_int': advert_int}),
                  dr=V6_DIRECTORS, rs=V6_REALSERVERS)
    if error:
        assert_refused(model, 'lvs_keepalived.advert_int', 'VRRPv3', hosts=('dr1', 'dr2'))
    else:
        assert model.errors == [], [str(e) for e in model.errors]


def test_unicast_with_one_director_leaves_the_unicast_block_out():
    model = build(ka(unicast=True), directors=1)
    assert model.errors == [] and [w for w in model.warnings if w.path == 'lvs_keepalived.unicast']
    vi = model.backend_view('dr1')['instances'][0]
    assert vi['unicast_src_ip'] is None and vi['unicast_peers'] == []


def test_ipv6_fwmark_service_names_its_family():
    model = build(svc({'port': None, 'fwmark': 7, 'vip': '2001:db8::100'}, {'name': 'v4', 'port': None, 'fwmark': 8}),
                  rs=V6_REALSERVERS)
    vs = list(model.backend_view('dr1')['virtual_servers'])
    assert [v['ip_family'] for v in vs] == ['inet6', None]


def test_mixed_family_directors_are_refused():
    model = build(dr={'dr2': {'ansible_host': '2001:db8::12'}})
    assert_refused(model, 'lvs_address', 'mix IPv4 and IPv6', hosts=('dr1', 'dr2'))


def test_inventory_name_unfit_for_router_id_is_refused_when_it_would_be_used():
    cluster = copy.deepcopy(CLUSTER)
    hv = {'dr;1': dict(cluster, ansible_host='203.0.113.11'), 'dr2': dict(cluster, ansible_host='203.0.113.12'),
          'rs1': {'ansible_host': '203.0.113.21'}}
    groups = {'lvs_directors': ['dr;1', 'dr2'], 'web_directors': ['dr;1', 'dr2'], 'lvs_realservers': ['rs1'],
              'web_realservers': ['rs1']}
    model = Model(hv, groups)
    assert [e for e in model.errors if e.path == 'lvs_keepalived.router_id' and e.host == 'dr;1']
    hv2 = copy.deepcopy(hv)
    for host in ('dr;1', 'dr2'):
        hv2[host]['lvs_keepalived'] = {'vrid': 51, 'auth_pass': 'secret1', 'router_id': 'lvs1'}
    assert not [e for e in Model(hv2, groups).errors if e.path == 'lvs_keepalived.router_id']


@pytest.mark.parametrize('cluster', [
    hc(type='dns', dns_name='ab.example.com', dns_type='AAAA'),
    hc(type='dns', dns_name='www.example.com.', dns_type='TXT'),
    hc(type='http', path='/', expect='HTTP/1.1 200 OK ($1 "a" [b] {c} #!;)'),
    svc({'persistence_timeout': 2678400}),
    ka(auth_pass='12345678', track_interfaces=['eth0', 'bond0.100'], router_id='lvs-1.example',
       track_scripts=[{'name': 'chk_nginx', 'script': ['/usr/local/bin/chk', '--port=80', '%h']}],
       notify={'master': '/usr/local/bin/notify.sh --to=ops@example.com'}),
    ka(auth_type='none', auth_pass=None),
    svc({'vip': '2001:db8::100', 'forwarding': 'tun'}),
], ids=['dns AAAA', 'dns final dot', 'expect specials', 'persistence max', 'scripts', 'no auth', 'ipv6 VIP multicast'])
def test_good_keepalived_values_are_accepted(cluster):
    model = build(cluster)
    assert model.errors == [], [str(e) for e in model.errors]


# --- the view ------------------------------------------------------------------------------------------------------
def test_router_id_falls_back_to_this_director():
    assert view_of(build())['router_id'] == 'dr1'
    assert view_of(build(), 'dr2')['global_defs']['router_id'] == 'dr2'
    # a router_id naming a director is that director's own: the others use their names
    assert view_of(build(ka(router_id='dr1')), 'dr2')['router_id'] == 'dr2'
    assert view_of(build(ka(router_id='lvs1')), 'dr2')['router_id'] == 'lvs1'


@pytest.mark.parametrize('changes, host, state', [
    ({}, 'dr1', 'MASTER'),
    ({}, 'dr2', 'BACKUP'),
    ({'preempt': False}, 'dr1', 'BACKUP'),
    ({'preempt_delay': 30}, 'dr1', 'BACKUP'),
    ({'auth_type': 'AH'}, 'dr1', 'BACKUP'),
])
def test_initial_state(changes, host, state):
    view = view_of(build(ka(**changes)), host)
    assert view['state'] == state and view['instances'][0]['state'] == state


def test_preempt_flags():
    vi = view_of(build(ka(preempt=False, preempt_delay=30)))['instances'][0]
    assert vi['nopreempt'] and vi['preempt_delay'] is None
    vi = view_of(build(ka(preempt_delay=30)))['instances'][0]
    assert not vi['nopreempt'] and vi['preempt_delay'] == 30


def test_vips_are_deduplicated_in_order_with_labels():
    vi = view_of(build(svc({}, {'name': 'tls', 'port': 443}, {'name': 'dns', 'vip': '203.0.113.102', 'port': 53, 'protocol': 'udp'},
                           {'name': 'www6', 'vip': '2001:db8::100', 'forwarding': 'tun'},
                           {'name': 'tls6', 'vip': '2001:db8::100', 'port': 443, 'forwarding': 'tun'})))['instances'][0]
    assert [(v['address'], v['prefix'], v['label']) for v in vi['virtual_ipaddress']] == [
        ('203.0.113.100', 32, 'eth0:1'), ('203.0.113.102', 32, 'eth0:2')]
    assert [(v['address'], v['prefix'], v['label']) for v in vi['virtual_ipaddress_excluded']] == [('2001:db8::100', 128, None)]


def test_labels_never_exceed_ifnamsiz():
    vi = view_of(build(svc(*[{'name': 's%d' % i, 'vip': '203.0.113.%d' % (100 + i)} for i in range(12)],
                           lvs_interface='enp0s31f6abcd')))['instances'][0]
    labels = [v['label'] for v in vi['virtual_ipaddress']]
    assert labels[0] == 'enp0s31f6abcd:1' and labels[8] == 'enp0s31f6abcd:9' and labels[9] is None
    assert all(label is None or len(label) <= 15 for label in labels)


def test_every_vip_of_the_other_family_moves_vrrp_to_that_family():
    cluster = svc({'vip': '2001:db8::100'})
    model = build(cluster, rs={'rs1': {'ansible_host': '2001:db8::21'}, 'rs2': {'ansible_host': '2001:db8::22'}})
    vi = view_of(model)['instances'][0]
    assert [v['address'] for v in vi['virtual_ipaddress']] == ['2001:db8::100']
    assert vi['virtual_ipaddress_excluded'] == [] and vi['authentication'] is None


def test_an_empty_virtual_ipaddress_is_never_viewed():
    model = build()
    cluster, me = model.director_view('dr1')
    cluster = copy.deepcopy(cluster)
    cluster['keepalived']['unicast'] = True
    cluster['virtual_services'][0].update(vip='2001:db8::100', family=6, vip_prefix=128)
    with pytest.raises(ValueError, match='empty virtual_ipaddress'):
        keepalived.view(cluster, me)


def test_authentication_only_for_ipv4_directors():
    assert view_of(build())['instances'][0]['authentication'] == {'auth_type': 'PASS', 'auth_pass': 'secret1'}
    assert 'secret1' not in repr(redact(view_of(build())))
    assert view_of(build(ka(auth_type='none', auth_pass=None)))['instances'][0]['authentication'] is None
    cluster = svc({'vip': '2001:db8::100'})
    model = build(cluster, dr={'dr1': {'ansible_host': '2001:db8::11'}, 'dr2': {'ansible_host': '2001:db8::12'}},
                  rs={'rs1': {'ansible_host': '2001:db8::21'}, 'rs2': {'ansible_host': '2001:db8::22'}})
    vi = view_of(model)['instances'][0]
    assert vi['authentication'] is None and vi['virtual_ipaddress'][0]['label'] is None


def test_unicast_source_and_peers():
    view = view_of(build(ka(unicast=True), directors=3), 'dr2')
    vi = view['instances'][0]
    assert vi['unicast_src_ip'] == '203.0.113.12' and vi['unicast_peers'] == ['203.0.113.11', '203.0.113.13']
    vi = view_of(build())['instances'][0]
    assert vi['unicast_src_ip'] is None and vi['unicast_peers'] == []


def test_scripts_are_argument_lists_rendered_with_keepalived_quoting():
    view = view_of(build(ka(track_scripts=[{'name': 'chk_nginx', 'script': '/usr/local/bin/chk --port=80', 'weight': -20}],
                            notify={'master': ['/usr/local/bin/notify.sh', 'master'], 'stop': '/usr/local/bin/notify.sh'},
                            track_interfaces=['eth0', 'eth1'])))
    script = view['vrrp_scripts'][0]
    assert script['argv'] == ['/usr/local/bin/chk', '--port=80'] and script['command'] == '"/usr/local/bin/chk --port=80"'
    assert script['weight'] == -20
    vi = view['instances'][0]
    assert vi['track_scripts'] == ['chk_nginx'] and vi['track_interfaces'] == ['eth1']
    assert [(n['event'], n['command']) for n in vi['notify']] == [
        ('master', '"/usr/local/bin/notify.sh master"'), ('stop', '"/usr/local/bin/notify.sh"')]
    assert view['global_defs']['enable_script_security'] and view['global_defs']['script_user'] == 'keepalived_script'
    assert view['script_user'] == 'keepalived_script'


def test_no_scripts_no_script_security():
    view = view_of(build())
    assert not view['global_defs']['enable_script_security'] and view['script_user'] is None


def test_misc_check_argv_and_script_security():
    view = view_of(build(hc(type='misc', misc_path='/usr/local/bin/check_app --port=8080', timeout=5)))
    checker = view['checkers'][view['virtual_servers'][0]['checker']]
    assert checker['kind'] == 'MISC_CHECK' and checker['misc_path'] == '"/usr/local/bin/check_app --port=8080"'
    assert checker['misc_timeout'] == 5 and view['global_defs']['enable_script_security']


def test_nat_inside_instance_and_sync_group():
    cluster = svc({'forwarding': 'nat', 'real_server_port': 8080}, lvs_nat=NAT,
                  lvs_keepalived={'auth_pass': 'x', 'auth_type': 'AH', 'notify': {'master': '/usr/local/bin/notify.sh'}})
    view = view_of(build(cluster))
    main, inside = view['instances']
    assert inside['name'] == 'VI_web_inside' and inside['interface'] == 'eth1'
    assert [(v['address'], v['prefix'], v['label']) for v in inside['virtual_ipaddress']] == [('198.51.100.1', 24, 'eth1:1')]
    assert main['notify'] == [] and inside['notify'] == []
    assert view['sync_group']['instances'] == ['VI_web', 'VI_web_inside']
    assert [n['event'] for n in view['sync_group']['notify']] == ['master']
    assert view['ip_forward_sysctls'] == ['net.ipv4.ip_forward']
    fw = view['firewall']
    assert fw['firewalld_inside_rules'] == ['rule family="ipv4" source address="198.51.100.1/24" protocol value="vrrp" accept',
                                            'rule family="ipv4" source address="198.51.100.1/24" protocol value="ah" accept']
    assert [(r['interface'], r['protocol']) for r in fw['iptables_inside_rules']] == [('eth1', '112'), ('eth1', '51')]


def test_global_defs():
    cluster = svc(lvs_notification_email=['ops@example.com'], lvs_notification_email_from='lvs@example.com',
                  lvs_smtp_server='203.0.113.25:2525', lvs_sync_daemon=True, lvs_sync_id=7,
                  lvs_timeouts={'udp': 300, 'tcp': 900})
    view = view_of(build(cluster))
    g = view['global_defs']
    assert g['notification_email'] == ['ops@example.com'] and g['notification_email_from'] == 'lvs@example.com'
    assert g['smtp_server'] == '203.0.113.25 2525'
    assert g['lvs_sync_daemon'] == 'eth0 VI_web id 7' and g['lvs_timeouts'] == 'tcp 900 udp 300'
    assert view['instances'][0]['smtp_alert'] and view['virtual_servers'][0]['smtp_alert']
    g = view_of(build())['global_defs']
    assert g['notification_email'] == [] and g['smtp_server'] is None and g['lvs_sync_daemon'] is None and g['lvs_timeouts'] is None


def test_virtual_servers_hold_final_values():
    cluster = svc({'persistence_timeout': 600, 'persistence_netmask': '255.255.255.0', 'quorum': 2, 'hysteresis': 1,
                   'sorry_server': {'address': '203.0.113.40'}, 'health_check': {'type': 'http', 'path': '/health',
                                                                                 'interval': 10, 'host': 'www.example.com'}},
                  {'name': 'nat', 'vip': '203.0.113.101', 'forwarding': 'nat', 'real_server_port': 8080,
                   'sorry_server': {'address': '198.51.100.40', 'port': 8081}},
                  {'name': 'fwm', 'port': None, 'fwmark': 10, 'health_check': {'type': 'none'}},
                  lvs_nat=NAT)
    model = build(cluster, rs={'rs1': {'ansible_host': '203.0.113.21'}, 'rs2': {'ansible_host': '203.0.113.22'}})
    cluster, me = model.director_view('dr1')
    vs = dict((v['name'], v) for v in keepalived.view(cluster, me)['virtual_servers'])
    www = vs['www']
    assert www['address'] == '203.0.113.100 80' and www['delay_loop'] == 10 and www['protocol'] == 'TCP'
    assert www['persistence_timeout'] == 600 and www['persistence_granularity'] == '255.255.255.0'
    assert www['sorry_server'] == '203.0.113.40 80' and www['lvs_method'] == 'DR' and www['lvs_sched'] == 'rr'
    checkers = keepalived.view(cluster, me)['checkers']
    assert checkers[www['checker']]['kind'] == 'HTTP_GET' and checkers[www['checker']]['virtualhost'] == 'www.example.com'
    assert www['real_servers'] == [{'weight': 1, 'endpoints': {'203.0.113.21 80': None, '203.0.113.22 80': None}}]
    assert vs['nat']['sorry_server'] == '198.51.100.40 8081'
    assert list(vs['nat']['real_servers'][0]['endpoints']) == ['203.0.113.21 8080', '203.0.113.22 8080']
    assert vs['fwm']['address'] == 'fwmark 10' and vs['fwm']['protocol'] is None and vs['fwm']['checker'] is None
    assert list(vs['fwm']['real_servers'][0]['endpoints']) == ['203.0.113.21 0', '203.0.113.22 0']
    assert vs['fwm']['persistence_timeout'] is None


def test_real_server_weights_and_checker_shape():
    view = view_of(build(rs={'rs2': {'lvs_weights': {'www': 0}}}))
    vs = view['virtual_servers'][0]
    # runs of consecutive real servers of one weight, in inventory order
    assert vs['real_servers'] == [{'weight': 1, 'endpoints': {'203.0.113.21 80': None}},
                                  {'weight': 0, 'endpoints': {'203.0.113.22 80': None}}]
    checker = view['checkers'][vs['checker']]
    assert set(checker) == set(keepalived._CHECKER_KEYS) and checker['kind'] == 'TCP_CHECK'
    assert checker['connect_port'] == 80 and checker['virtualhost'] is None


def test_services_with_one_health_check_share_one_checker():
    http = {'type': 'http', 'path': '/health'}
    view = view_of(build(svc({'name': 'a', 'port': 80, 'health_check': http}, {'name': 'b', 'port': 443},
                         {'name': 'c', 'vip': '203.0.113.101', 'port': 80, 'health_check': http}, {'name': 'd', 'port': 8081, 'health_check': {'type': 'none'}},
                         {'name': 'e', 'vip': '203.0.113.102', 'port': 80, 'health_check': dict(http, path='/other')},
                         {'name': 'f', 'vip': '203.0.113.103', 'port': 8080, 'health_check': http})))
    positions = [vs['checker'] for vs in view['virtual_servers']]
    assert positions == [0, 1, 0, None, 2, 3]
    assert [c['kind'] for c in view['checkers']] == ['HTTP_GET', 'TCP_CHECK', 'HTTP_GET', 'HTTP_GET']
    assert [c['path'] for c in view['checkers']] == ['/health', None, '/other', '/health']
    # a block is shared only when every printed value is equal: f checks port 8080
    assert [c['connect_port'] for c in view['checkers']] == [80, 443, 80, 8080]


def test_a_real_server_twice_in_a_service_is_never_viewed():
    cluster, me = build().director_view('dr1')
    cluster = copy.deepcopy(cluster)
    cluster['virtual_services'][0]['real_servers'].append(dict(cluster['virtual_services'][0]['real_servers'][0]))
    with pytest.raises(ValueError, match='twice'):
        keepalived.view(cluster, me)


def test_firewall_rules_per_peer_and_protocol():
    view = view_of(build(dict(ka(auth_type='AH'), lvs_sync_daemon=True, lvs_firewall=True), directors=3))
    fw = view['firewall']
    assert fw['enabled'] and fw['interface'] == 'eth0'
    assert [(r['source'], r['protocol'], r['port']) for r in fw['iptables_peer_rules']] == [
        ('203.0.113.12', '112', None), ('203.0.113.12', '51', None), ('203.0.113.12', 'udp', '8848'),
        ('203.0.113.13', '112', None), ('203.0.113.13', '51', None), ('203.0.113.13', 'udp', '8848')]
    assert fw['firewalld_peer_rules'][:3] == [
        'rule family="ipv4" source address="203.0.113.12" protocol value="vrrp" accept',
        'rule family="ipv4" source address="203.0.113.12" protocol value="ah" accept',
        'rule family="ipv4" source address="203.0.113.12" port port="8848" protocol="udp" accept']
    assert all(re.match(fw['firewalld_owned'], rule) for rule in fw['firewalld_peer_rules'])
    assert fw['iptables_inside_rules'] == [] and fw['firewalld_inside_rules'] == []
    assert view_of(build())['firewall']['enabled'] is False


@pytest.mark.parametrize('text, body', [
    ('OK (ready)', 'OK \\\\(ready\\\\)'),
    ('a.b', 'a\\\\.b'),
    ('cost $5', 'cost \\\\x245'),
    ('say "hi"', 'say \\\\x22hi\\\\x22'),
    ('back\\slash', 'back\\\\x5cslash'),
    ("# it's no comment !", '\\\\x23 it\\\\x27s no comment \\\\x21'),
    ('{x}', '\\\\x7bx\\\\x7d'),
])
def test_expect_becomes_a_regex_keepalived_reads_back_literally(text, body):
    assert keepalived.expect_regex(text) == body


def test_expect_regex_round_trip():
    """keepalived's quoted-string parser then PCRE must match exactly the literal text (emulated: unescape, then re);
    nothing keepalived's line reader interprets (quotes, $, comments, braces) is left in the file."""
    def keepalived_unquote(s):
        out, i = [], 0
        while i < len(s):
            if s[i] == '\\':
                out.append(s[i + 1])
                i += 2
            else:
                out.append(s[i])
                i += 1
        return ''.join(out)
    for text in ('OK (ready)', 'a.b*c+d?e|f^g$h[i]{j}\\k', 'HTTP/1.1 200 OK', '"quoted" #x !y \'single\'', '\\'):
        body = keepalived.expect_regex(text)
        pattern = keepalived_unquote(body)
        assert re.search(pattern, 'xx' + text + 'yy') and re.fullmatch(pattern, text)
        assert not set('"\'$#!{}') & set(body), body


def test_keepalived_dns_types_are_those_keepalived_knows():
    assert set(keepalived.KEEPALIVED_DNS_TYPES) == {'A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'TXT'}


def test_view_is_linear_in_the_number_of_services():
    """2,000 more services on 1,000 VIPs: the VIP list is built with one dict lookup per service."""
    cluster, me = build().director_view('dr1')
    cluster = copy.deepcopy(cluster)
    base = cluster['virtual_services'][0]
    cluster['virtual_services'] += [dict(base, name='s%d' % i, vip='2001:db8::%x' % (i // 2 + 1), family=6, vip_prefix=128,
                                         port=80 + i % 2) for i in range(2000)]
    vi = keepalived.view(cluster, me)['instances'][0]
    assert len(vi['virtual_ipaddress']) == 1 and len(vi['virtual_ipaddress_excluded']) == 1000
    assert vi['virtual_ipaddress_excluded'][-1]['address'] == '2001:db8::3e8'


def _render(view, **role_vars):
    jinja2 = pytest.importorskip('jinja2')
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'director_keepalived', 'templates',
                        'keepalived.conf.j2')
    with open(path) as src:
        text = src.read().split('\n', 1)[1]  # the "#jinja2:" header sets these two options:
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters['comment'] = lambda s: '#\n# %s\n#' % s
    values = {'ansible_managed': 'Ansible managed', 'director_keepalived_vip_labels': True, 'director_keepalived_http_regex': True,
              'director_keepalived_smtp_connect_timeout': 30, 'director_keepalived_global_defs_extra': [],
              'director_keepalived_extra_config': ''}
    values.update(role_vars)
    return env.from_string(text).render(__director_keepalived_model={'view': view}, **values)


def test_template_prints_the_view_one_keyword_per_line():
    cluster = svc({'health_check': {'type': 'http', 'path': '/', 'expect': 'OK (ready)'}},
                  {'name': 'www6', 'vip': '2001:db8::100', 'forwarding': 'tun'},
                  lvs_keepalived={'auth_pass': 'secret1', 'track_scripts': [{'name': 'chk', 'script': '/usr/bin/true'}]})
    text = _render(view_of(build(cluster)))
    assert '        203.0.113.100/32 dev eth0 label eth0:1\n' in text
    assert '    virtual_ipaddress_excluded {\n        2001:db8::100/128 dev eth0\n    }\n' in text
    assert '                regex "OK \\\\(ready\\\\)"\n' in text
    assert '    script "/usr/bin/true"\n' in text
    assert not re.search(r'\{\s*\}', text), 'an empty block was rendered'
    for line in text.splitlines():
        assert line.count('{') + line.count('}') <= 1 or line.lstrip().startswith('#'), line
    assert 'label' not in _render(view_of(build(cluster)), director_keepalived_vip_labels=False)
