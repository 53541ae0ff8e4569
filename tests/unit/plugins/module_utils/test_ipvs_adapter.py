# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The adapter from the model's virtual services to the IPVS table.

The inputs are what the real model resolves from inventories; the outputs go through the ipvs module's own
argument normaliser and planner (plugins/module_utils/_ipvs.py), whose result is the table the kernel would hold,
in the shape ipvs_info returns. No kernel is needed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.lvs.cluster.plugins.filter.ipvs_adapter import FILTERS, FilterModule
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_adapter as adapter
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import IPVSError, normalise_services, plan, service_to_result
from ansible_collections.lvs.cluster.plugins.module_utils._model import Model

SERVICES = [
    {'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'scheduler': 'wrr', 'health_check': {'type': 'http', 'path': '/'}},
    {'name': 'tls', 'vip': '203.0.113.100', 'port': 443, 'scheduler': 'sh', 'persistence_timeout': 600,
     'persistence_netmask': '255.255.255.0'},
    {'name': 'dns', 'vip': '203.0.113.101', 'port': 53, 'protocol': 'udp', 'scheduler': 'rr'},
    {'name': 'marked', 'vip': '203.0.113.102', 'fwmark': 7, 'scheduler': 'wlc'},
    {'name': 'v6', 'vip': '2001:db8:0:0::100', 'port': 80, 'scheduler': 'lc', 'real_server_group': 'v6_realservers'},
    {'name': 'v6mark', 'vip': '2001:db8::101', 'fwmark': 8, 'scheduler': 'rr', 'real_server_group': 'v6_realservers'},
    {'name': 'nat', 'vip': '203.0.113.103', 'port': 8080, 'forwarding': 'nat', 'real_server_port': 80},
]


def resolved(services=None, rs_extra=None):
    """The virtual services of cluster `web` as lvs.cluster.cluster_model resolves them."""
    cluster = {
        'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
        'lvs_realserver_group': 'web_realservers', 'lvs_keepalived': {'auth_pass': 'secret1'},
        'lvs_nat': {'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'},
        'lvs_virtual_services': copy.deepcopy(SERVICES if services is None else services),
    }
    hostvars = {'dr1': dict(cluster, ansible_host='203.0.113.11'), 'dr2': dict(cluster, ansible_host='203.0.113.12'),
                'rs1': {'ansible_host': '198.51.100.21', 'lvs_weights': {'www': 3}},
                'rs2': {'ansible_host': '198.51.100.22'},
                'rs6': {'ansible_host': '2001:db8::21'}}
    for host, extra in (rs_extra or {}).items():
        hostvars[host].update(extra)
    groups = {'lvs_directors': ['dr1', 'dr2'], 'web_directors': ['dr1', 'dr2'],
              'lvs_realservers': ['rs1', 'rs2', 'rs6'], 'web_realservers': ['rs1', 'rs2'], 'v6_realservers': ['rs6']}
    model = Model(hostvars, groups)
    assert model.errors == [], model.errors
    return model.director_view('dr1')[0]['virtual_services']


def kernel_after(current_table, services):
    """What the kernel holds after lvs.cluster.ipvs ran with `services` on `current_table`, as ipvs_info lists it."""
    ops, after = plan(current_from(current_table), normalise_services(services), False)
    return ops, [service_to_result(after[k]) for k in sorted(after, key=str)]


def current_table_to_args(table):
    out = []
    for s in table:
        args = dict(adapter.service_identity(_as_model(s)), scheduler=s['scheduler'],
                    persistence_timeout=s['persistence_timeout'],
                    real_servers=[{'address': r['address'], 'port': r['port'], 'weight': r['weight'], 'forwarding': r['forwarding']}
                                  for r in s['real_servers']])
        if s['persistent']:
            args['persistence_netmask'] = s['persistence_netmask']
        out.append(args)
    return out


def _as_model(s):
    if s.get('fwmark'):
        return {'fwmark': s['fwmark'], 'family': 6 if s['family'] == 'ipv6' else 4}
    return {'vip': s['address'], 'port': s['port'], 'protocol': s['protocol']}


def current_from(table):
    """The planner's view of a table (as ipvs_info returns it): replay it onto an empty kernel."""
    if not table:
        return {}
    dummy, after = plan({}, normalise_services(current_table_to_args(table)), False)
    return after


def with_connections(table, address, active):
    out = copy.deepcopy(table)
    for s in out:
        for r in s['real_servers']:
            r['active_connections'] = active if r['address'] == address else 0
            r['inactive_connections'] = 0
    return out


# ---- the whole table ---------------------------------------------------------------------------------------------

def test_ipvs_services_is_accepted_by_the_ipvs_module_and_programs_the_model():
    vss = resolved()
    args = adapter.ipvs_services(vss)
    ops, table = kernel_after(None, args)
    assert len(table) == len(SERVICES)
    by_spec = dict((s['spec'], s) for s in table)
    assert sorted(by_spec) == sorted(['-t 203.0.113.100:80', '-t 203.0.113.100:443', '-u 203.0.113.101:53', '-f 7',
                                      '-t [2001:db8::100]:80', '-f 8 -6', '-t 203.0.113.103:8080'])
    www = by_spec['-t 203.0.113.100:80']
    assert www['scheduler'] == 'wrr'
    assert [(r['address'], r['port'], r['weight'], r['forwarding']) for r in www['real_servers']] == [
        ('198.51.100.21', 80, 3, 'dr'), ('198.51.100.22', 80, 1, 'dr')]
    tls = by_spec['-t 203.0.113.100:443']
    assert tls['persistent'] and tls['persistence_timeout'] == 600 and tls['persistence_netmask'] == '255.255.255.0'
    assert [r['port'] for r in by_spec['-f 7']['real_servers']] == [0, 0]
    assert by_spec['-f 8 -6']['family'] == 'ipv6' and [r['address'] for r in by_spec['-f 8 -6']['real_servers']] == ['2001:db8::21']
    nat = by_spec['-t 203.0.113.103:8080']
    assert [(r['port'], r['forwarding']) for r in nat['real_servers']] == [(80, 'nat'), (80, 'nat')]
    # converging again changes nothing
    ops2, dummy = plan(current_from(table), normalise_services(args), False)
    assert ops2 == []


def test_ipvs_services_without_real_servers_leaves_them_alone():
    args = adapter.ipvs_services(resolved(), real_servers=False)
    assert all('real_servers' not in s for s in args)
    normalise_services(args)


def test_service_spec_and_key_agree_with_the_kernel_table():
    vss = resolved()
    dummy, table = kernel_after(None, adapter.ipvs_services(vss))
    kernel = dict((adapter.service_key(s), s['spec']) for s in table)
    for vs in vss:
        assert kernel[adapter.service_key(vs)] == adapter.service_spec(vs), vs['name']


def test_ipv6_vip_is_canonical():
    vs = [v for v in resolved() if v['name'] == 'v6'][0]
    assert adapter.service_identity(vs)['address'] == '2001:db8::100'
    assert adapter.service_spec(vs) == '-t [2001:db8::100]:80'


# ---- one real server: targets, kernel match, drain and enable ---------------------------------------------------

def test_targets_of_a_real_server():
    vss = resolved()
    rows = adapter.realserver_targets(vss, 'rs1')
    assert [r['name'] for r in rows] == ['www', 'tls', 'dns', 'marked', 'nat']
    assert [(r['address'], r['port'], r['weight']) for r in rows] == [
        ('198.51.100.21', 80, 3), ('198.51.100.21', 443, 1), ('198.51.100.21', 53, 1), ('198.51.100.21', 0, 1),
        ('198.51.100.21', 80, 1)]
    assert [r['name'] for r in adapter.realserver_targets(vss, 'rs1', names=['www', 'dns', 'nope'])] == ['www', 'dns']
    assert [r['weight'] for r in adapter.realserver_targets(vss, 'rs1', weight=9)] == [9] * 5
    assert adapter.realserver_targets(vss, 'rs9') == []


def test_drain_then_enable_through_the_ipvs_planner():
    vss = resolved()
    dummy, table = kernel_after(None, adapter.ipvs_services(vss))
    table = with_connections(table, '198.51.100.21', 4)
    targets = adapter.realserver_targets(vss, 'rs1')
    found = adapter.match_kernel(targets, table)
    assert [f['name'] for f in found] == [t['name'] for t in targets]
    assert found[0]['weight_before'] == 3 and found[0]['active_before'] == 4
    assert adapter.active_connections(found, table) == 4 * len(found)

    drain = adapter.state_services(found, 'drained')
    assert all(s['drain'] is True and all(r['state'] == 'absent' for r in s['real_servers']) for s in drain)
    ops, drained = kernel_after(table, drain)
    assert len(ops) == len(found) and all(op[0] == 'set_dest' for op in ops)
    for s in drained:
        weights = dict((r['address'], r['weight']) for r in s['real_servers'])
        if '198.51.100.21' in weights:
            assert weights['198.51.100.21'] == 0, s['spec']
        if '198.51.100.22' in weights:
            assert weights['198.51.100.22'] == 1, s['spec']
    # drained twice: nothing to do
    ops, dummy = plan(current_from(drained), normalise_services(drain), False)
    assert ops == []

    found_drained = adapter.match_kernel(adapter.realserver_targets(vss, 'rs1'), drained)
    assert [f['weight_before'] for f in found_drained] == [0] * len(found)
    enable = adapter.state_services(found_drained, 'enabled')
    ops, enabled = kernel_after(drained, enable)
    assert len(ops) == len(found)
    www = [s for s in enabled if s['spec'] == '-t 203.0.113.100:80'][0]
    assert [r['weight'] for r in www['real_servers']] == [3, 1]
    lines = adapter.state_report(found_drained, targets, enabled, 'enabled')
    assert lines[0] == 'www (-t 203.0.113.100:80): weight 0 -> 3'


def test_real_servers_missing_from_the_kernel_are_left_alone():
    vss = resolved()
    dummy, table = kernel_after(None, adapter.ipvs_services(vss))
    # the health checker removed rs1 from www, and the kernel has no dns service at all
    for s in table:
        if s['spec'] == '-t 203.0.113.100:80':
            s['real_servers'] = [r for r in s['real_servers'] if r['address'] != '198.51.100.21']
    table = [s for s in table if s['spec'] != '-u 203.0.113.101:53']
    targets = adapter.realserver_targets(vss, 'rs1')
    found = adapter.match_kernel(targets, table)
    assert [f['name'] for f in found] == ['tls', 'marked', 'nat']
    assert adapter.missing_in_kernel(targets, table) == ['www (-t 203.0.113.100:80) -> 198.51.100.21:80',
                                                         'dns (-u 203.0.113.101:53) -> 198.51.100.21:53']
    drain = adapter.state_services(found, 'drained')
    assert [s.get('address') or s.get('fwmark') for s in drain] == ['203.0.113.100', 7, '203.0.113.103']
    lines = adapter.state_report(found, targets, with_connections(table, '198.51.100.21', 0), 'drained')
    assert lines[0] == 'tls (-t 203.0.113.100:443): weight 1 -> 1, active connections None -> 0, inactive 0'
    assert lines[-2:] == ['www: 198.51.100.21 is not in the IPVS table (health check failing?), nothing to drain',
                          'dns: 198.51.100.21 is not in the IPVS table (health check failing?), nothing to drain']


def test_fwmark_real_server_matches_with_any_kernel_port():
    vss = resolved()
    marked = [v for v in vss if v['name'] == 'marked']
    table = [{'family': 'ipv4', 'protocol': 'tcp', 'address': None, 'port': 0, 'fwmark': 7, 'spec': '-f 7', 'scheduler': 'wlc',
              'real_servers': [{'address': '198.51.100.21', 'port': 8080, 'weight': 2, 'forwarding': 'dr', 'active_connections': 1}]}]
    found = adapter.match_kernel(adapter.realserver_targets(marked, 'rs1'), table)
    assert len(found) == 1 and found[0]['port'] == 8080 and found[0]['weight_before'] == 2
    assert adapter.state_services(found, 'enabled') == [
        {'fwmark': 7, 'family': 'ipv4', 'real_servers': [{'address': '198.51.100.21', 'port': 8080, 'weight': 1}]}]


def test_kernel_real_servers_of_every_service():
    vss = resolved()
    dummy, table = kernel_after(None, adapter.ipvs_services(vss))
    table = with_connections(table, '198.51.100.22', 2)
    for s in table:  # the checker removed rs1 from www; the dns service is not programmed at all
        if s['spec'] == '-t 203.0.113.100:80':
            s['real_servers'] = [r for r in s['real_servers'] if r['address'] != '198.51.100.21']
    table = [s for s in table if s['spec'] != '-u 203.0.113.101:53']
    where = adapter.kernel_real_servers(vss, table)
    assert sorted(where) == sorted(v['name'] for v in vss)
    assert where['www']['rs1'] is None and where['www']['rs2']['active_connections'] == 2
    assert where['dns'] == {'rs1': None, 'rs2': None}
    assert where['marked']['rs1']['port'] == 0 and where['v6']['rs6']['address'] == '2001:db8::21'
    assert where['nat']['rs2']['port'] == 80 and where['nat']['rs2']['forwarding'] == 'nat'
    assert adapter.kernel_real_servers(vss, []) == dict((v['name'], dict((r['host'], None) for r in v['real_servers'])) for v in vss)


def test_two_rows_of_one_service_make_one_ipvs_entry():
    vss = resolved()
    www = [v for v in vss if v['name'] == 'www']
    targets = adapter.realserver_targets(www, 'rs1') + adapter.realserver_targets(www, 'rs2')
    dummy, table = kernel_after(None, adapter.ipvs_services(www))
    out = adapter.state_services(adapter.match_kernel(targets, table), 'drained')
    assert len(out) == 1 and len(out[0]['real_servers']) == 2
    normalise_services(out)


def test_unknown_state_is_refused():
    with pytest.raises(adapter.AdapterError, match='drained, enabled'):
        adapter.state_services([], 'disabled')


def test_ipvs_module_refuses_what_the_adapter_never_emits():
    # the guard the adapter relies on: a service listed twice is an error of the ipvs module
    args = adapter.ipvs_services(resolved())
    with pytest.raises(IPVSError, match='listed twice'):
        normalise_services(args + args[:1])


# ---- client targets, VIPs -----------------------------------------------------------------------------------------

def test_client_targets_and_vips():
    vss = resolved()
    assert adapter.client_targets(vss) == [
        {'address': '203.0.113.100', 'port': 80, 'check': 'http'}, {'address': '203.0.113.100', 'port': 443, 'check': 'tcp'},
        {'address': '2001:db8::100', 'port': 80, 'check': 'tcp'}, {'address': '203.0.113.103', 'port': 8080, 'check': 'tcp'}]
    assert adapter.vips(vss) == ['203.0.113.100', '203.0.113.101', '203.0.113.102', '2001:db8::100', '2001:db8::101',
                                 '203.0.113.103']


IP_ADDR = """1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host noprefixroute \\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.11/24 brd 203.0.113.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.100/32 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.1000/32 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet6 2001:db8::100/128 scope global nodad \\       valid_lft forever preferred_lft forever
"""


def test_held_vips_reads_ip_addr_output():
    assert adapter.held_vips(resolved(), IP_ADDR) == ['203.0.113.100', '2001:db8::100']
    assert adapter.held_vips(resolved(), '') == []


# ---- the filter plugin ---------------------------------------------------------------------------------------------

def test_filter_plugin_exposes_every_adapter_function():
    filters = FilterModule().filters()
    assert sorted(filters) == sorted(FILTERS)
    assert filters['service_vips'](resolved())[0] == '203.0.113.100'


def test_filter_errors_name_the_filter():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match='lvs.cluster.realserver_state_services: state must be'):
        FilterModule().filters()['realserver_state_services']([], 'off')
    with pytest.raises(AnsibleFilterError, match='lvs.cluster.service_vips: .* is not an IP address'):
        FilterModule().filters()['service_vips']([{'vip': '203.0.113.300'}])


def test_filter_errors_name_the_filter_for_a_bad_number_too():
    # a plain ValueError (int('heavy')) is reported like the adapter's own errors, with the filter's name
    from ansible.errors import AnsibleFilterError
    services = resolved()
    host = services[0]['real_servers'][0]['host']
    with pytest.raises(AnsibleFilterError, match=r'^lvs.cluster.realserver_targets: '):
        FilterModule().filters()['realserver_targets'](services, host, None, 'heavy')
