# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad inputs of the shared model (values, relations, units): each is refused on the controller, before any host,
by a problem that names the variable path. Backend-specific fields are tested in test_model_<backend>.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model
from ansible_collections.lvs.cluster.plugins.module_utils._model import grammar
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils import model_asserts

SERVICE = {
    'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr', 'forwarding': 'dr',
    'health_check': {'type': 'http', 'path': '/', 'status_code': 200},
}
CLUSTER = {
    'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
    'lvs_realserver_group': 'web_realservers',
    'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret1'},
    'lvs_virtual_services': [SERVICE],
}


def build(cluster=None, rs=None, dr=None, second=None, extra_rs=None):
    """dr1, dr2 (cluster web) and rs1, rs2; ``second`` adds cluster api (dr3, dr4 + rs3)."""
    cluster = copy.deepcopy(CLUSTER if cluster is None else cluster)
    hv = {'dr1': dict(cluster, ansible_host='203.0.113.11'), 'dr2': dict(cluster, ansible_host='203.0.113.12'),
          'rs1': {'ansible_host': '203.0.113.21'}, 'rs2': {'ansible_host': '203.0.113.22'}}
    for host, extra in (rs or {}).items():
        hv[host].update(extra)
    for host, extra in (dr or {}).items():
        hv[host].update(extra)
    groups = {'all': list(hv), 'lvs_directors': ['dr1', 'dr2'], 'web_directors': ['dr1', 'dr2'],
              'lvs_realservers': ['rs1', 'rs2'], 'web_realservers': ['rs1', 'rs2']}
    if second is not None:
        other = dict(copy.deepcopy(CLUSTER), lvs_cluster_name='api', lvs_realserver_group='api_realservers')
        other['lvs_keepalived'] = {'vrid': 52, 'auth_pass': 'secret2'}
        other['lvs_virtual_services'] = [dict(SERVICE, vip='203.0.113.200')]
        other.update(second)
        hv['dr3'] = dict(other, ansible_host='203.0.113.13')
        hv['dr4'] = dict(other, ansible_host='203.0.113.14')
        hv['rs3'] = {'ansible_host': '203.0.113.23'}
        groups['lvs_directors'] += ['dr3', 'dr4']
        groups['api_directors'] = ['dr3', 'dr4']
        groups['lvs_realservers'] += ['rs3']
        groups['api_realservers'] = ['rs3']
    for host, extra in (extra_rs or {}).items():
        hv[host] = extra
        groups['lvs_realservers'].append(host)
    return Model(hv, groups)


def svc(**changes):
    cluster = copy.deepcopy(CLUSTER)
    cluster['lvs_virtual_services'][0].update(changes)
    return cluster


def hc(**changes):
    return svc(health_check=dict(SERVICE['health_check'], **changes))


def cl(**changes):
    cluster = copy.deepcopy(CLUSTER)
    cluster.update(changes)
    return cluster


def assert_refused(model, path, words=None, hosts=('dr1', 'rs1')):
    model_asserts.assert_refused(model, path, words, hosts)


# --- injection: every shared free-text field refuses what its file cannot carry -------------------------------------
HOSTILE = ['x\nvrrp_script evil {', 'a"b', 'a{b', 'a}b', 'a#b', 'a;reboot', '$(reboot)', 'eth0\n']

FREE_TEXT_FIELDS = [
    # (label, cluster builder taking the value, variable path)
    ('service name', lambda v: svc(name=v), 'lvs_virtual_services[0].name'),
    ('http path', lambda v: hc(path='/' + v), 'lvs_virtual_services[0].health_check.path'),
    ('virtual host', lambda v: hc(host=v), 'lvs_virtual_services[0].health_check.host'),
    ('dns name', lambda v: svc(health_check={'type': 'dns', 'dns_name': v}), 'lvs_virtual_services[0].health_check.dns_name'),
    ('helo name', lambda v: svc(health_check={'type': 'smtp', 'helo_name': v}), 'lvs_virtual_services[0].health_check.helo_name'),
    ('misc path', lambda v: svc(health_check={'type': 'misc', 'misc_path': '/usr/local/bin/chk ' + v}),
     'lvs_virtual_services[0].health_check.misc_path'),
    ('cluster name', lambda v: cl(lvs_cluster_name=v), 'lvs_cluster_name'),
    ('interface', lambda v: cl(lvs_interface=v), 'lvs_interface'),
    ('nat inside interface', lambda v: cl(lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': v}), 'lvs_nat.inside_interface'),
    ('e-mail', lambda v: cl(lvs_notification_email=['ops' + v + '@example.com']), 'lvs_notification_email[0]'),
    ('e-mail from', lambda v: cl(lvs_notification_email_from='lvs' + v + '@example.com'), 'lvs_notification_email_from'),
    ('real-server group', lambda v: cl(lvs_realserver_group='web' + v), 'lvs_realserver_group'),
    ('l2 segment', lambda v: cl(lvs_l2_segment='seg' + v), 'lvs_l2_segment'),
]


@pytest.mark.parametrize('value', HOSTILE, ids=repr)
@pytest.mark.parametrize('label,make,path', FREE_TEXT_FIELDS, ids=[f[0] for f in FREE_TEXT_FIELDS])
def test_free_text_fields_refuse_newline_quote_brace_comment_and_shell(label, make, path, value):
    model = build(make(value))
    errors = [e for e in model.errors if e.path == path]
    assert errors, '%s accepted %r' % (label, value)


@pytest.mark.parametrize('value', ['ok\n', 'ok\nreal=203.0.113.9:80 gate', 'ok\x00', 'ok\r', 'ok\x1b[2J', 'ok\t', 'x' * 256],
                         ids=repr)
@pytest.mark.parametrize('key', ['expect', 'send'])
def test_expect_and_send_refuse_control_characters_newlines_and_overlong_text(key, value):
    assert_refused(build(hc(**{key: value})), 'lvs_virtual_services[0].health_check.%s' % key)


def test_patterns_never_accept_a_trailing_newline():
    for name, g in sorted(grammar.GRAMMARS.items()):
        assert g.check(g.example) is None, name
        assert g.check(g.example + '\n') is not None, name


@pytest.mark.parametrize('value', ['eth0:1', 'eth0@if3', 'a' * 16, '.', '..', 'eth 0', 'eth0/1'], ids=repr)
def test_interface_names_follow_linux_ifnamsiz_rules(value):
    assert_refused(build(cl(lvs_interface=value)), 'lvs_interface')


def test_misc_path_is_an_argument_list():
    model = build(svc(health_check={'type': 'misc', 'misc_path': '/usr/local/bin/check_app --port=80 %h'}))
    assert model.errors == []
    check = model.clusters['web']['virtual_services'][0]['health_check']
    assert check['misc_argv'] == ['/usr/local/bin/check_app', '--port=80', '%h']
    model = build(svc(health_check={'type': 'misc', 'misc_path': ['/usr/local/bin/check_app', '-v']}))
    assert model.errors == [] and model.clusters['web']['virtual_services'][0]['health_check']['misc_path'] == '/usr/local/bin/check_app -v'


@pytest.mark.parametrize('value,words', [
    ('check_app', 'absolute path'),
    ('/usr/bin/', 'absolute path'),
    ('/', 'absolute path'),
    ('/usr/bin/../../bin/sh -c id', '".." component'),
    ('/usr/local/bin/check  two', 'empty word'),
    ('/usr/local/bin/check "quoted arg"', 'argument 1'),
    ('/usr/local/bin/check `id`', 'argument 1'),
    (['/usr/local/bin/check', 'a b'], 'argument 1'),
    ([], 'must be a command'),
    (42, 'must be a command'),
])
def test_misc_path_refuses_what_a_daemon_would_split_or_a_shell_would_run(value, words):
    assert_refused(build(svc(health_check={'type': 'misc', 'misc_path': value})), 'lvs_virtual_services[0].health_check.misc_path', words)


# --- relations ------------------------------------------------------------------------------------------------------
def test_vip_equal_to_a_real_server_address_is_refused_under_nat_too():
    model = build(cl(lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'},
                     lvs_virtual_services=[dict(SERVICE, vip='203.0.113.21', forwarding='nat')]))
    assert_refused(model, 'lvs_virtual_services[0].vip', 'real server rs1')


def test_vip_equal_to_a_director_address_is_refused():
    assert_refused(build(svc(vip='203.0.113.12')), 'lvs_virtual_services[0].vip', 'director dr2')


def test_nat_inside_vip_equal_to_a_real_server_is_refused():
    model = build(cl(lvs_nat={'inside_vip': '203.0.113.22', 'inside_interface': 'eth1'},
                     lvs_virtual_services=[dict(SERVICE, forwarding='nat')]))
    assert_refused(model, 'lvs_nat.inside_vip', 'real server rs2')


def test_service_vip_equal_to_the_nat_inside_vip_is_refused():
    model = build(cl(lvs_nat={'inside_vip': '203.0.113.100', 'inside_interface': 'eth1'},
                     lvs_virtual_services=[dict(SERVICE, forwarding='nat')]))
    assert_refused(model, 'lvs_virtual_services[0].vip', 'inside_vip')


def test_sorry_server_equal_to_the_vip_is_refused():
    assert_refused(build(svc(sorry_server={'address': '203.0.113.100'})), 'lvs_virtual_services[0].sorry_server.address')


def test_same_vip_port_in_two_clusters_is_refused():
    model = build(second={'lvs_virtual_services': [dict(SERVICE)]})
    assert_refused(model, 'lvs_virtual_services[0]', 'also lvs_virtual_services[0] of cluster', hosts=('dr1', 'dr3', 'rs3'))


def test_one_vip_claimed_by_two_clusters_on_a_segment_is_refused_even_on_other_ports():
    model = build(second={'lvs_virtual_services': [dict(SERVICE, port=443)]})
    assert_refused(model, 'lvs_virtual_services', 'claimed by clusters api and web', hosts=('dr1', 'dr3'))


def test_the_same_vip_on_different_segments_is_allowed():
    model = build(cl(lvs_l2_segment='site-a'), second={'lvs_virtual_services': [dict(SERVICE)], 'lvs_l2_segment': 'site-b'})
    assert model.errors == []


def test_the_same_vrid_on_one_segment_is_refused():
    model = build(second={'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret2'}})
    assert_refused(model, 'lvs_keepalived.vrid', 'VRID 51', hosts=('dr1', 'dr3'))


def test_ipv6_vip_with_ipv4_real_servers_under_dr_is_refused():
    model = build(svc(vip='2001:db8::100'))
    assert_refused(model, 'hostvars[rs1].lvs_address', 'address family', hosts=('rs1', 'dr1'))


def test_ipv6_vip_with_ipv4_real_servers_under_nat_is_refused():
    model = build(cl(lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'},
                     lvs_virtual_services=[dict(SERVICE, vip='2001:db8::100', forwarding='nat')]))
    assert_refused(model, 'hostvars[rs2].lvs_address', 'NAT forwarding cannot change', hosts=('rs2', 'dr1'))


def test_ipv6_vip_with_ipv4_real_servers_is_allowed_in_tunnel_mode():
    model = build(svc(vip='2001:db8::100', forwarding='tun'),
                  dr={'dr1': {'lvs_address': '2001:db8::11'}, 'dr2': {'lvs_address': '2001:db8::12'}})
    assert model.errors == []


def test_ipv6_real_servers_behind_an_ipv4_inside_vip_are_refused():
    model = build(cl(lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'},
                     lvs_virtual_services=[dict(SERVICE, vip='2001:db8::100', forwarding='nat')]),
                  rs={'rs1': {'lvs_address': '2001:db8::21'}, 'rs2': {'lvs_address': '2001:db8::22'}})
    assert_refused(model, 'lvs_nat.inside_vip', 'cannot be that server')


def test_two_real_servers_with_one_address_are_refused():
    model = build(rs={'rs2': {'lvs_address': '203.0.113.21'}})
    assert_refused(model, 'hostvars[rs2].lvs_address', 'same address as real server rs1', hosts=('rs2',))


def test_a_weights_key_naming_no_service_is_refused():
    model = build(rs={'rs1': {'lvs_weights': {'wwww': 3}}})
    assert_refused(model, 'hostvars[rs1].lvs_weights.wwww', 'names no service', hosts=('rs1', 'dr1'))


def test_a_weights_key_naming_a_served_service_is_used():
    model = build(rs={'rs1': {'lvs_weights': {'www': 3}}})
    assert model.errors == []
    assert model.clusters['web']['virtual_services'][0]['real_servers'][0]['weight'] == 3


def test_a_real_server_no_cluster_uses_is_refused():
    # its directors' group was forgotten under lvs_directors: the real server would take the removal path
    model = build(extra_rs={'rs9': {'ansible_host': '203.0.113.29'}})
    assert_refused(model, 'hostvars[rs9]', 'no service of any cluster uses it', hosts=('rs9', 'dr1'))


def test_a_weights_typo_in_one_cluster_does_not_block_the_other():
    model = build(rs={'rs1': {'lvs_weights': {'wwww': 3}}}, second={})
    assert not model.errors_for('dr3')
    assert [e for e in model.errors_for('dr1') if 'lvs_weights' in e.path]


# --- units and messages ---------------------------------------------------------------------------------------------
def test_persistence_timeout_above_the_kernel_limit_is_refused():
    assert build(svc(persistence_timeout=2678400)).errors == []
    assert_refused(build(svc(persistence_timeout=2678401)), 'lvs_virtual_services[0].persistence_timeout', '2678400')


def test_a_string_where_a_list_is_needed_gets_the_list_hint():
    model = build(cl(lvs_notification_email='ops@example.com'))
    assert_refused(model, 'lvs_notification_email', 'single string')
    assert any('[ops@example.com]' in e.fix for e in model.errors)


@pytest.mark.parametrize('value', ['ops', 'ops@', '@example.com', 'ops@exa mple.com', 'ops@-example.com'])
def test_bad_email_addresses_are_refused(value):
    assert_refused(build(cl(lvs_notification_email=[value])), 'lvs_notification_email[0]', 'e-mail address')


@pytest.mark.parametrize('value', ['a' * 64 + '.example.com', 'exa_mple.com', '-www.example.com', 'www..example.com'])
def test_bad_host_names_are_refused(value):
    assert_refused(build(hc(host=value)), 'lvs_virtual_services[0].health_check.host')


def test_secret_counts_bytes_and_refuses_numbers_and_blanks():
    chk = grammar.Checker()
    assert chk.secret('12345678', 'p', 1, 8, 'why') == '12345678'
    assert chk.secret('\u00e9\u00e9\u00e9\u00e9', 'p', 1, 8, 'why') is None  # 4 characters, 8 bytes, not ASCII
    assert chk.secret(1111, 'p', 1, 8, 'why') is None
    assert chk.secret('two words', 'p', 1, 8, 'why') is None
    assert chk.secret('123456789', 'p', 1, 8, 'why') is None
    messages = [str(p) for p in chk.problems]
    assert any('YAML int' in m for m in messages)
    assert not any('two words' in m or '123456789' in m for m in messages), 'a secret appeared in a message'


def _tree(model_groups, **own):
    tree = dict((g, {'parents': ['all'] if g != 'all' else [], 'cluster_name': None, 'backend': None}) for g in model_groups)
    for group, parents in (('web_directors', ['lvs_directors']), ('api_directors', ['lvs_directors'])):
        if group in tree:
            tree[group]['parents'] = parents
    for group, values in own.items():
        tree.setdefault(group, {'parents': ['all'], 'cluster_name': None, 'backend': None}).update(values)
    return tree


def test_a_director_group_outside_lvs_directors_is_refused():
    model = build()
    tree = _tree(model.groups, web_directors={'backend': 'keepalived', 'cluster_name': 'web'},
                 api_directors={'backend': 'keepalived', 'cluster_name': 'api', 'parents': ['all']})
    model = Model(model.hostvars, model.groups, group_tree=tree)
    assert_refused(model, 'groups.api_directors', 'not a child group of lvs_directors')


def test_a_host_in_two_clusters_groups_is_refused():
    model = build(second={})
    groups = dict(model.groups, api_directors=['dr3', 'dr4', 'dr2'])
    tree = _tree(groups, web_directors={'backend': 'keepalived', 'cluster_name': 'web'},
                 api_directors={'backend': 'keepalived', 'cluster_name': 'api'})
    model = Model(model.hostvars, groups, group_tree=tree)
    assert_refused(model, 'groups', 'host dr2 is in groups of several clusters', hosts=('dr1', 'dr3'))


def test_a_sound_group_tree_passes():
    model = build(second={})
    tree = _tree(model.groups, web_directors={'backend': 'keepalived', 'cluster_name': 'web'},
                 api_directors={'backend': 'keepalived', 'cluster_name': 'api'})
    assert Model(model.hostvars, model.groups, group_tree=tree).errors == []


@pytest.mark.parametrize('value', ['203.0.113.100\n', ' 203.0.113.100', 'fe80::1%$(reboot)', 'fe80::1%eth0', 3405803876, '203.0.113.0100'],
                         ids=repr)
def test_addresses_are_strings_without_blanks_zone_indexes_or_integers(value):
    assert_refused(build(svc(vip=value)), 'lvs_virtual_services[0].vip')


def test_the_default_sender_is_a_valid_address_for_every_cluster_name():
    for name in ('web', 'web_1', '-x-', '_'):
        model = build(cl(lvs_cluster_name=name, lvs_notification_email=['ops@example.com']))
        assert not [e for e in model.errors if 'email' in e.path], name
