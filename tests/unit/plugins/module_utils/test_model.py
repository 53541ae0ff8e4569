# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the inventory model: defaults, derivation and every validation rule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model, redact

SERVICE = {
    'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr', 'forwarding': 'dr',
    'health_check': {'type': 'http', 'path': '/', 'status_code': 200},
}
CLUSTER = {
    'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
    'lvs_realserver_group': 'web_realservers',
    'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret1'},
    'lvs_heartbeat': {'authkey': 'a-long-heartbeat-key'},
    'lvs_virtual_services': [SERVICE],
}


def inventory(cluster=None, dr_extra=None, rs_extra=None, extra_groups=None, n_directors=2):
    """A seed-like inventory: dr1, dr2 (cluster web) and rs1, rs2."""
    cluster = copy.deepcopy(CLUSTER if cluster is None else cluster)
    hostvars, directors = {}, []
    for i in range(1, n_directors + 1):
        host = 'dr%d' % i
        directors.append(host)
        hostvars[host] = dict(cluster, ansible_host='203.0.113.1%d' % i)
        hostvars[host].update((dr_extra or {}).get(host, {}))
    for i in (1, 2):
        host = 'rs%d' % i
        hostvars[host] = {'ansible_host': '203.0.113.2%d' % i}
        hostvars[host].update((rs_extra or {}).get(host, {}))
    groups = {'all': directors + ['rs1', 'rs2'], 'lvs_directors': directors, 'web_directors': directors,
              'lvs_realservers': ['rs1', 'rs2'], 'web_realservers': ['rs1', 'rs2']}
    groups.update(extra_groups or {})
    return hostvars, groups


def with_service(**changes):
    cluster = copy.deepcopy(CLUSTER)
    svc = cluster['lvs_virtual_services'][0]
    for key, value in changes.items():
        if value is None:
            svc.pop(key, None)
        else:
            svc[key] = value
    return cluster


def with_cluster(**changes):
    cluster = copy.deepcopy(CLUSTER)
    for key, value in changes.items():
        if value is None:
            cluster.pop(key, None)
        else:
            cluster[key] = value
    return cluster


def errors_of(hostvars, groups):
    return Model(hostvars, groups).errors


def test_valid_seed_topology_resolves():
    model = Model(*inventory())
    assert model.errors == []
    cluster, me = model.director_view('dr1')
    assert cluster['backend'] == 'keepalived'
    assert [d['host'] for d in cluster['directors']] == ['dr1', 'dr2']
    assert me['role'] == 'primary' and me['state'] == 'MASTER' and me['priority'] == 150
    assert me['peers'] == ['203.0.113.12']
    assert me['router_id'] == 'dr1' and model.director_view('dr2')[1]['router_id'] == 'dr2'
    me2 = model.director_view('dr2')[1]
    assert me2['role'] == 'backup' and me2['state'] == 'BACKUP' and me2['priority'] == 100
    svc = cluster['virtual_services'][0]
    assert svc['real_servers'] == [
        {'host': 'rs1', 'address': '203.0.113.21', 'port': 80, 'weight': 1},
        {'host': 'rs2', 'address': '203.0.113.22', 'port': 80, 'weight': 1},
    ]
    assert svc['health_check']['port'] == 80 and svc['health_check']['retry'] == 3
    rs = model.realserver_view('rs1')
    assert rs['vips'] == [{'vip': '203.0.113.100', 'prefix': 32, 'family': 4, 'forwarding': 'dr'}]
    assert rs['forwarding'] == ['dr']


def test_host_overrides_role_priority_and_weight():
    hv, groups = inventory(dr_extra={'dr2': {'lvs_director_role': 'primary', 'lvs_priority': 200}},
                           rs_extra={'rs2': {'lvs_weight': 3, 'lvs_weights': {'www': 5}}})
    model = Model(hv, groups)
    assert model.errors == []
    cluster, me = model.director_view('dr2')
    assert me['role'] == 'primary' and me['priority'] == 200
    assert cluster['primary']['host'] == 'dr2'
    assert [r['weight'] for r in cluster['virtual_services'][0]['real_servers']] == [1, 5]


def test_nopreempt_makes_every_director_backup():
    cluster = with_cluster(lvs_keepalived={'vrid': 51, 'auth_pass': 'x', 'preempt': False})
    model = Model(*inventory(cluster))
    assert [d['state'] for d in model.clusters['web']['directors']] == ['BACKUP', 'BACKUP']


def test_two_clusters_in_one_inventory():
    hv, groups = inventory()
    other = dict(copy.deepcopy(CLUSTER), lvs_cluster_name='api', lvs_keepalived={'vrid': 52, 'auth_pass': 'x'},
                 lvs_realserver_group='api_realservers')
    other['lvs_virtual_services'] = [dict(SERVICE, vip='203.0.113.101')]
    for host, addr in (('dr3', '203.0.113.13'), ('dr4', '203.0.113.14')):
        hv[host] = dict(other, ansible_host=addr)
    hv['rs9'] = {'ansible_host': '203.0.113.29'}
    groups['lvs_directors'] += ['dr3', 'dr4']
    groups['lvs_realservers'] += ['rs9']
    groups['api_realservers'] = ['rs9']
    model = Model(hv, groups)
    assert model.errors == []
    assert sorted(model.clusters) == ['api', 'web']
    assert model.director_view('dr3')[1]['role'] == 'primary'
    assert model.director_view('dr3')[1]['peers'] == ['203.0.113.14']


@pytest.mark.parametrize('nat, prefix, error', [
    ({'inside_vip': '198.51.100.1'}, 24, None),
    ({'inside_vip': '2001:db8:1::1'}, 64, None),
    ({'inside_vip': '2001:db8:1::1', 'inside_prefix': 112}, 112, None),
    ({'inside_vip': '198.51.100.1', 'inside_prefix': 33}, None, 'between 1 and 32'),
    ({'inside_vip': '2001:db8:1::1', 'inside_prefix': 129}, None, 'between 1 and 128'),
])
def test_nat_inside_prefix_follows_the_family(nat, prefix, error):
    cluster = with_cluster(lvs_nat=dict(nat, inside_interface='eth1'))
    model = Model(*inventory(cluster))
    problems = [str(e) for e in model.errors if e.path == 'lvs_nat.inside_prefix']
    if error:
        assert problems and error in problems[0], problems
    else:
        assert problems == [] and model.clusters['web']['nat']['inside_prefix'] == prefix


def test_fwmark_ipv6_and_backend_switch():
    cluster = with_service(port=None, fwmark=7, vip='2001:db8::100')
    for backend in ('keepalived',):
        cluster['lvs_backend'] = backend
        # DR keeps the address family: the real servers of an IPv6 VIP have IPv6 addresses
        model = Model(*inventory(cluster, rs_extra={'rs1': {'lvs_address': '2001:db8::21'}, 'rs2': {'lvs_address': '2001:db8::22'}}))
        assert model.errors == [], backend
        svc = model.clusters['web']['virtual_services'][0]
        assert svc['family'] == 6 and svc['vip_prefix'] == 128 and svc['fwmark'] == 7


def test_redact_hides_secrets():
    model = Model(*inventory())
    cluster = model.director_view('dr1')[0]
    text = repr(redact(cluster))
    assert 'secret1' not in text and 'a-long-heartbeat-key' not in text


# (inventory builder, expected variable path in the message, expected words)
BAD = [
    ('backend unknown', lambda: inventory(with_cluster(lvs_backend='haproxy')), 'lvs_backend', 'must be one of'),
    ('backend missing', lambda: inventory(with_cluster(lvs_backend=None)), 'lvs_backend', 'must be one of'),
    ('vrid zero', lambda: inventory(with_cluster(lvs_keepalived={'vrid': 0, 'auth_pass': 'x'})),
     'lvs_keepalived.vrid', 'between 1 and 255'),
    ('vrid 256', lambda: inventory(with_cluster(lvs_keepalived={'vrid': 256, 'auth_pass': 'x'})),
     'lvs_keepalived.vrid', 'between 1 and 255'),
    ('vrid text', lambda: inventory(with_cluster(lvs_keepalived={'vrid': 'abc', 'auth_pass': 'x'})),
     'lvs_keepalived.vrid', 'integer'),
    ('auth pass too long', lambda: inventory(with_cluster(lvs_keepalived={'auth_pass': 'ninechars'})),
     'lvs_keepalived.auth_pass', 'only the first 8'),
    ('auth pass missing', lambda: inventory(with_cluster(lvs_keepalived={'auth_type': 'PASS'})),
     'lvs_keepalived.auth_pass', 'required'),
    ('unknown keepalived key', lambda: inventory(with_cluster(lvs_keepalived={'auth_pass': 'x', 'vrrid': 3})),
     'lvs_keepalived.vrrid', 'not a known key'),
    ('priority 255', lambda: inventory(dr_extra={'dr1': {'lvs_priority': 255}}), 'hostvars[dr1].lvs_priority', '1 and 254'),
    ('priority equal', lambda: inventory(dr_extra={'dr2': {'lvs_priority': 150}}), 'lvs_priority', 'share a priority'),
    ('backup outranks primary', lambda: inventory(dr_extra={'dr2': {'lvs_priority': 200}}), 'lvs_priority', 'higher priority'),
    ('two primaries', lambda: inventory(dr_extra={'dr1': {'lvs_director_role': 'primary'}, 'dr2': {'lvs_director_role': 'primary'}}),
     'lvs_director_role', 'several primaries'),
    ('bad role', lambda: inventory(dr_extra={'dr2': {'lvs_director_role': 'master'}}), 'hostvars[dr2].lvs_director_role',
     'primary or backup'),
    ('vip invalid', lambda: inventory(with_service(vip='203.0.113.300')), 'lvs_virtual_services[0].vip', 'not a valid IP'),
    ('port zero', lambda: inventory(with_service(port=0)), 'lvs_virtual_services[0].port', 'between 1 and 65535'),
    ('port and fwmark', lambda: inventory(with_service(fwmark=3)), 'lvs_virtual_services[0].port', 'exactly one'),
    ('neither port nor fwmark', lambda: inventory(with_service(port=None)), 'lvs_virtual_services[0].port', 'exactly one'),
    ('protocol icmp', lambda: inventory(with_service(protocol='icmp')), 'lvs_virtual_services[0].protocol', 'must be one of'),
    ('sctp on ldirectord', lambda: inventory(dict(with_service(protocol='sctp'), lvs_backend='heartbeat_ldirectord')),
     'lvs_virtual_services[0].protocol', 'not supported by the heartbeat_ldirectord'),
    ('scheduler unknown', lambda: inventory(with_service(scheduler='fastest')), 'lvs_virtual_services[0].scheduler', 'must be one of'),
    ('sed on piranha', lambda: inventory(dict(with_service(scheduler='sed'), lvs_backend='piranha')),
     'lvs_virtual_services[0].scheduler', 'not supported by the piranha'),
    ('nq on piranha', lambda: inventory(dict(with_service(scheduler='nq'), lvs_backend='piranha')),
     'lvs_virtual_services[0].scheduler', 'not supported by the piranha'),
    ('https check on piranha', lambda: inventory(dict(with_service(health_check={'type': 'https'}), lvs_backend='piranha')),
     'lvs_virtual_services[0].health_check.type', 'not supported by the piranha'),
    ('unknown check', lambda: inventory(with_service(health_check={'type': 'icmp'})),
     'lvs_virtual_services[0].health_check.type', 'must be one of'),
    ('forwarding', lambda: inventory(with_service(forwarding='masq')), 'lvs_virtual_services[0].forwarding', 'must be one of'),
    ('dr port change', lambda: inventory(with_service(real_server_port=8080)), 'lvs_virtual_services[0].real_server_port',
     'must equal port'),
    ('tun port change', lambda: inventory(with_service(forwarding='tun', real_server_port=8080)),
     'lvs_virtual_services[0].real_server_port', 'must equal port'),
    ('persistence negative', lambda: inventory(with_service(persistence_timeout=-1)),
     'lvs_virtual_services[0].persistence_timeout', 'between 0 and'),
    ('persistence netmask', lambda: inventory(with_service(persistence_timeout=60, persistence_netmask='255.0.255.0')),
     'lvs_virtual_services[0].persistence_netmask', 'not an IPv4 netmask'),
    ('weight too big', lambda: inventory(rs_extra={'rs1': {'lvs_weight': 70000}}), 'hostvars[rs1].lvs_weight', '0 and 65535'),
    ('per-service weight', lambda: inventory(rs_extra={'rs1': {'lvs_weights': {'www': -1}}}), 'hostvars[rs1].lvs_weights.www',
     '0 and 65535'),
    ('rs without address', lambda: inventory(rs_extra={'rs2': {'ansible_host': None}}), 'hostvars[rs2].lvs_address',
     'has no address'),
    ('rs hostname address', lambda: inventory(rs_extra={'rs2': {'lvs_address': 'rs2.example.com'}}),
     'hostvars[rs2].lvs_address', 'not a valid IP'),
    ('rs group missing', lambda: inventory(with_cluster(lvs_realserver_group='nope')), 'lvs_realserver_group', 'does not exist'),
    ('rs not in lvs_realservers', lambda: inventory(extra_groups={'lvs_realservers': ['rs1']}), 'hostvars[rs2]',
     'not in group lvs_realservers'),
    ('duplicate service', lambda: inventory(dict(CLUSTER, lvs_virtual_services=[SERVICE, dict(SERVICE, name='www2')])),
     'lvs_virtual_services[1]', 'duplicates VIP+port+protocol'),
    ('duplicate name', lambda: inventory(dict(CLUSTER, lvs_virtual_services=[SERVICE, dict(SERVICE, port=443)])),
     'lvs_virtual_services[1].name', 'unique name'),
    ('empty services', lambda: inventory(with_cluster(lvs_virtual_services=[])), 'lvs_virtual_services', 'non-empty list'),
    ('unknown service key', lambda: inventory(with_service(lb_algo='rr')), 'lvs_virtual_services[0].lb_algo', 'not a known'),
    ('heartbeat deadtime', lambda: inventory(dict(CLUSTER, lvs_backend='heartbeat_ldirectord',
                                                  lvs_heartbeat={'authkey': 'long-enough', 'keepalive': 5, 'deadtime': 5})),
     'lvs_heartbeat.deadtime', 'greater than twice keepalive'),
    ('heartbeat authkey', lambda: inventory(dict(CLUSTER, lvs_backend='heartbeat_ldirectord', lvs_heartbeat={})),
     'lvs_heartbeat.authkey', 'required'),
    ('piranha deadtime', lambda: inventory(dict(CLUSTER, lvs_backend='piranha', lvs_piranha={'keepalive': 10, 'deadtime': 5})),
     'lvs_piranha.deadtime', 'greater than keepalive'),
    ('piranha gui password', lambda: inventory(dict(CLUSTER, lvs_backend='piranha', lvs_piranha={'gui': True})),
     'lvs_piranha.gui_password', 'required'),
    ('nat without inside vip', lambda: inventory(with_service(forwarding='nat')), 'lvs_nat.inside_vip', 'NAT forwarding'),
    ('interface lo', lambda: inventory(with_cluster(lvs_interface='lo')), 'lvs_interface', 'cannot live on lo'),
    ('bad cluster name', lambda: inventory(with_cluster(lvs_cluster_name='Web Cluster')), 'lvs_cluster_name', 'is not a name'),
    ('misc without path', lambda: inventory(with_service(health_check={'type': 'misc'})),
     'lvs_virtual_services[0].health_check.misc_path', 'required'),
    ('dns without name', lambda: inventory(with_service(health_check={'type': 'dns'})),
     'lvs_virtual_services[0].health_check.dns_name', 'is required'),
    ('http bad path', lambda: inventory(with_service(health_check={'type': 'http', 'path': 'index.html'})),
     'lvs_virtual_services[0].health_check.path', 'starting with'),
    ('bad digest', lambda: inventory(with_service(health_check={'type': 'https', 'digest': 'xyz'})),
     'lvs_virtual_services[0].health_check.digest', 'MD5'),
    ('sorry server address', lambda: inventory(with_service(sorry_server={'address': 'nowhere'})),
     'lvs_virtual_services[0].sorry_server.address', 'not a valid IP'),
    ('no directors', lambda: ({}, {'lvs_directors': [], 'lvs_realservers': []}), 'groups.lvs_directors', 'no director'),
    ('same director address', lambda: inventory(dr_extra={'dr2': {'ansible_host': '203.0.113.11'}}), 'hostvars[dr2].lvs_address',
     'same address'),
    ('cluster vars differ', lambda: inventory(dr_extra={'dr2': {'lvs_interface': 'eth1'}}), 'lvs_cluster_name',
     'cluster variables differ'),
    ('heartbeat deadtime twice keepalive', lambda: inventory(dict(CLUSTER, lvs_backend='heartbeat_ldirectord',
                                                                  lvs_heartbeat={'authkey': 'long-enough', 'keepalive': 2,
                                                                                 'deadtime': 4, 'initdead': 30})),
     'lvs_heartbeat.deadtime', 'twice keepalive'),
    ('ldirectord ipv6', lambda: inventory(dict(with_service(vip='2001:db8::100'), lvs_backend='heartbeat_ldirectord')),
     'lvs_virtual_services[0].vip', 'IPv6'),
    ('ldirectord digest', lambda: inventory(dict(with_service(health_check={'type': 'http', 'digest': 'a' * 32}),
                                                 lvs_backend='heartbeat_ldirectord')),
     'lvs_virtual_services[0].health_check.digest', 'digest'),
    ('ldirectord status', lambda: inventory(dict(with_service(health_check={'type': 'http', 'status_code': 301}),
                                                 lvs_backend='heartbeat_ldirectord')),
     'lvs_virtual_services[0].health_check.status_code', '2xx'),
    ('ldirectord sync', lambda: inventory(dict(CLUSTER, lvs_backend='heartbeat_ldirectord', lvs_sync_daemon=True)),
     'lvs_sync_daemon', 'sync daemon'),
    ('quorum unreachable', lambda: inventory(with_service(quorum=5)), 'lvs_virtual_services[0].quorum', 'add up to 2'),
    ('nat inside interface', lambda: inventory(dict(with_service(forwarding='nat'),
                                                    lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth0'})),
     'lvs_nat.inside_interface', 'must differ'),
    ('nat track weight', lambda: inventory(dict(with_service(forwarding='nat'),
                                                lvs_nat={'inside_vip': '198.51.100.1'},
                                                lvs_keepalived={'auth_pass': 'x', 'track_scripts': [
                                                    {'name': 'chk', 'script': '/bin/true', 'weight': 10}]})),
     'lvs_keepalived.track_scripts[0].weight', 'must be 0'),
    ('dr sorry port', lambda: inventory(with_service(sorry_server={'address': '203.0.113.50', 'port': 8080})),
     'lvs_virtual_services[0].sorry_server.port', 'virtual port'),
    ('piranha ipv6', lambda: inventory(dict(with_service(vip='2001:db8::100'), lvs_backend='piranha')),
     'lvs_virtual_services[0].vip', 'only IPv4'),
    ('timeouts key', lambda: inventory(with_cluster(lvs_timeouts={'tcp': 900, 'sctp': 3})), 'lvs_timeouts.sctp', 'not a known'),
]


@pytest.mark.parametrize('name,build,path,words', BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_variable(name, build, path, words):
    errors = errors_of(*build())
    matching = [e for e in errors if e.path == path and words in str(e)]
    assert matching, 'expected an error at %s mentioning %r, got:\n%s' % (path, words, '\n'.join(str(e) for e in errors))
    assert all(e.fix for e in errors), 'every error must carry a fix'


def test_at_least_25_distinct_bad_inputs():
    assert len(set(b[2] for b in BAD)) >= 25


def test_all_problems_reported_at_once():
    cluster = with_service(port=0, scheduler='fastest', forwarding='masq')
    cluster['lvs_keepalived'] = {'vrid': 300, 'auth_pass': 'far-too-long'}
    paths = set(e.path for e in errors_of(*inventory(cluster)))
    assert {'lvs_virtual_services[0].port', 'lvs_virtual_services[0].scheduler', 'lvs_virtual_services[0].forwarding',
            'lvs_keepalived.vrid', 'lvs_keepalived.auth_pass'} <= paths


def test_a_problem_reached_twice_is_reported_once():
    # rs1 serves two services: its bad weight is one problem, not one per service
    cluster = dict(copy.deepcopy(CLUSTER), lvs_virtual_services=[SERVICE, dict(SERVICE, name='tls', port=443)])
    errors = [str(e) for e in errors_of(*inventory(cluster, rs_extra={'rs1': {'lvs_weight': -3}}))]
    assert len([e for e in errors if e.startswith('hostvars[rs1].lvs_weight')]) == 1, errors
    assert len(errors) == len(set(errors)), errors


def test_shared_real_server_problem_belongs_to_each_cluster():
    hv, groups = inventory(rs_extra={'rs1': {'lvs_weight': -3}})
    other = dict(copy.deepcopy(CLUSTER), lvs_cluster_name='api', lvs_keepalived={'vrid': 52, 'auth_pass': 'x'})
    other['lvs_virtual_services'] = [dict(SERVICE, vip='203.0.113.101')]
    hv['dr3'] = dict(other, ansible_host='203.0.113.13')
    hv['dr4'] = dict(other, ansible_host='203.0.113.14')
    groups['lvs_directors'] += ['dr3', 'dr4']
    model = Model(hv, groups)
    for director in ('dr1', 'dr3'):
        assert [e.path for e in model.errors_for(director)] == ['hostvars[rs1].lvs_weight'], director


@pytest.mark.parametrize('cluster, path, fix', [
    (with_cluster(lvs_keepalived={'vrid': 51, 'auth_pass': 'secret1', 'priority': 150}), 'lvs_keepalived.priority',
     'set the host variable lvs_priority'),
    (with_cluster(lvs_keepalived={'vrid': 51, 'auth_pass': 'secret1', 'state': 'MASTER'}), 'lvs_keepalived.state',
     'lvs_director_role'),
    (with_cluster(lvs_keepalived={'vrid': 51, 'auth_pass': 'secret1', 'advert_intt': 1}), 'lvs_keepalived.advert_intt',
     'rename it to advert_int'),
    (with_service(realserver_port=80), 'lvs_virtual_services[0].realserver_port', 'rename it to real_server_port'),
    (with_service(lb_algo='rr'), 'lvs_virtual_services[0].lb_algo', 'remove it or use one of'),
])
def test_unknown_key_fix_points_to_the_right_place(cluster, path, fix):
    errors = [e for e in errors_of(*inventory(cluster)) if e.path == path]
    assert errors and fix in errors[0].fix, [str(e) for e in errors_of(*inventory(cluster))]


def test_vrid_collision_across_clusters_on_one_segment():
    hv, groups = inventory()
    other = dict(copy.deepcopy(CLUSTER), lvs_cluster_name='api')
    other['lvs_virtual_services'] = [dict(SERVICE, vip='203.0.113.101')]
    hv['dr3'] = dict(other, ansible_host='203.0.113.13')
    hv['dr4'] = dict(other, ansible_host='203.0.113.14')
    groups['lvs_directors'] += ['dr3', 'dr4']
    errors = errors_of(hv, groups)
    assert any(e.path == 'lvs_keepalived.vrid' and 'VRID 51' in str(e) for e in errors)
    # On different L2 segments the same VRID is fine.
    for host in ('dr3', 'dr4'):
        hv[host]['lvs_l2_segment'] = 'dmz'
    assert not [e for e in errors_of(hv, groups) if e.path == 'lvs_keepalived.vrid']


def test_errors_for_a_host_are_those_of_its_cluster():
    hv, groups = inventory()
    other = dict(copy.deepcopy(CLUSTER), lvs_cluster_name='api', lvs_keepalived={'vrid': 52, 'auth_pass': 'x'})
    other['lvs_virtual_services'] = [dict(SERVICE, vip='203.0.113.101', port=0)]
    hv['dr3'] = dict(other, ansible_host='203.0.113.13')
    hv['dr4'] = dict(other, ansible_host='203.0.113.14')
    groups['lvs_directors'] += ['dr3', 'dr4']
    model = Model(hv, groups)
    assert [e.path for e in model.errors_for('dr3')] == ['lvs_virtual_services[0].port']
    assert model.errors_for('dr1') == []


def test_single_director_is_a_warning_not_an_error():
    model = Model(*inventory(n_directors=1))
    assert model.errors == []
    assert any('no failover' in str(w) for w in model.warnings)


def test_secret_never_in_messages():
    errors = errors_of(*inventory(with_cluster(lvs_keepalived={'auth_pass': 'topsecret-too-long'})))
    assert errors and not any('topsecret' in str(e) for e in errors)


@pytest.mark.parametrize('name, expected', [
    ('lvs_virtual_service', 'lvs_virtual_services'),
    ('lvs_keepalive', 'lvs_keepalived'),
    ('lvs_priorty', 'lvs_priority'),
    ('lvs_directorrole', 'lvs_director_role'),
    ('lvs_realserver_groups', 'lvs_realserver_group'),
])
def test_misspelt_model_variable_is_an_error_naming_the_right_one(name, expected):
    hostvars, groups = inventory()
    model = Model(hostvars, groups, {'dr1': [name], 'dr2': [name]})
    errors = [p for p in model.errors if p.path == name]
    assert len(errors) == 1, model.problems  # reported once, not per host
    assert expected in errors[0].message and 'rename it to %s' % expected in errors[0].fix
    assert errors[0].host == 'dr1' and errors[0].cluster is None


def test_other_lvs_variables_warn_and_playbook_variables_pass():
    hostvars, groups = inventory()
    names = ['lvs_vrrp_auth_pass', 'lvs_awx_project', 'lvs_drain_timeout', 'lvs_rolling_pause', 'lvs_new_realserver']
    model = Model(hostvars, groups, {'rs1': names})
    assert model.errors == []
    assert [(p.path, p.severity) for p in model.warnings] == [('lvs_vrrp_auth_pass', 'warning')]
    assert 'docs/model.md' in model.warnings[0].fix


def test_model_variables_are_never_reported_as_unknown():
    hostvars, groups = inventory()
    model = Model(hostvars, groups, {'dr1': ['lvs_backend', 'lvs_virtual_services', 'lvs_priority']})
    assert model.problems == []
