# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The piranha backend of the model: every field it reads refused on the controller with its variable path when lvs.cf
or piranha's daemons cannot carry it, and the view lvs.cf.j2 prints."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import random
import shutil
import string
import subprocess

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _lvscf
from ansible_collections.lvs.cluster.plugins.module_utils._model import Model
from ansible_collections.lvs.cluster.plugins.module_utils._model import piranha

SERVICE = {'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'scheduler': 'rr', 'forwarding': 'dr',
           'health_check': {'type': 'http', 'path': '/', 'expect': 'HTTP', 'timeout': 6, 'interval': 5, 'retry': 3}}
CLUSTER = {'lvs_backend': 'piranha', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0', 'lvs_realserver_group': 'web_realservers',
           'lvs_piranha': {'keepalive': 5, 'deadtime': 10}, 'lvs_virtual_services': [SERVICE]}


def inventory(cluster=None, n_directors=2, dr_vars=None, rs_vars=None, rs_names=('rs1', 'rs2')):
    cluster = copy.deepcopy(CLUSTER if cluster is None else cluster)
    hostvars, groups = {}, {'lvs_directors': [], 'web_directors': [], 'lvs_realservers': [], 'web_realservers': []}
    for i in range(1, n_directors + 1):
        host = 'dr%d' % i
        hostvars[host] = dict(cluster, ansible_host='203.0.113.1%d' % i)
        hostvars[host].update((dr_vars or {}).get(host, {}))
        groups['lvs_directors'].append(host)
        groups['web_directors'].append(host)
    for i, host in enumerate(rs_names, 1):
        hostvars[host] = {'ansible_host': '203.0.113.2%d' % i}
        hostvars[host].update((rs_vars or {}).get(host, {}))
        groups['lvs_realservers'].append(host)
        groups['web_realservers'].append(host)
    return hostvars, groups


def cluster_with(service=None, hc=None, services=None, **top):
    cluster = copy.deepcopy(CLUSTER)
    svc = cluster['lvs_virtual_services'][0]
    svc.update(service or {})
    svc['health_check'].update(hc or {})
    for key in [k for k, v in svc['health_check'].items() if v is None]:
        del svc['health_check'][key]
    if services is not None:
        cluster['lvs_virtual_services'] = services
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(cluster.get(key), dict):
            cluster[key] = dict(cluster[key], **value)
        else:
            cluster[key] = value
    return cluster


def many_services(count, **extra):
    return [dict({'name': 's%d' % i, 'vip': '203.0.113.%d' % (100 + i), 'port': 80, 'health_check': {'type': 'tcp'}}, **extra)
            for i in range(count)]


def test_the_seed_model_is_valid():
    model = Model(*inventory())
    assert model.errors == []


def test_monitor_links_with_the_package_warns_of_pulse_restarting_the_network():
    model = Model(*inventory(cluster_with(lvs_piranha={'monitor_links': True})))
    assert model.errors == []
    warned = [p for p in model.problems if p.path == 'lvs_piranha.monitor_links']
    assert warned and all(p.severity == 'warning' for p in warned)
    assert 'service mysqld stop' in warned[0].message and 'monitor_links: false' in warned[0].fix


BAD = [
    # lvs_piranha
    ('heartbeat port 0', cluster_with(lvs_piranha={'heartbeat_port': 0}), 'lvs_piranha.heartbeat_port', 'between 1 and 65535'),
    ('heartbeat port too big', cluster_with(lvs_piranha={'heartbeat_port': 65536}), 'lvs_piranha.heartbeat_port', 'between'),
    ('heartbeat port word', cluster_with(lvs_piranha={'heartbeat_port': 'http'}), 'lvs_piranha.heartbeat_port', 'integer'),
    ('keepalive 0', cluster_with(lvs_piranha={'keepalive': 0}), 'lvs_piranha.keepalive', 'between 1'),
    ('deadtime not above keepalive', cluster_with(lvs_piranha={'keepalive': 5, 'deadtime': 5}), 'lvs_piranha.deadtime', 'greater'),
    ('deadtime too big', cluster_with(lvs_piranha={'deadtime': 3601}), 'lvs_piranha.deadtime', 'between'),
    ('debug level', cluster_with(lvs_piranha={'debug_level': 'TRACE'}), 'lvs_piranha.debug_level', 'one of'),
    ('debug level newline', cluster_with(lvs_piranha={'debug_level': 'NONE\nvirtual x {'}), 'lvs_piranha.debug_level', 'one of'),
    ('monitor_links', cluster_with(lvs_piranha={'monitor_links': 'maybe'}), 'lvs_piranha.monitor_links', 'boolean'),
    ('config_only', cluster_with(lvs_piranha={'config_only': 'sometimes'}), 'lvs_piranha.config_only', 'boolean'),
    ('unknown key', cluster_with(lvs_piranha={'keepalive_time': 2}), 'lvs_piranha.keepalive_time', 'not a known key'),
    ('install mode', cluster_with(lvs_piranha={'install': 'source'}), 'lvs_piranha.install', 'one of package, binaries'),
    ('binaries without dir', cluster_with(lvs_piranha={'install': 'binaries'}), 'lvs_piranha.binaries_dir', 'got nothing'),
    ('binaries dir relative', cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': 'lab/run/piranha'}),
     'lvs_piranha.binaries_dir', 'absolute path'),
    ('binaries dir dot-dot', cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': '/srv/../etc'}),
     'lvs_piranha.binaries_dir', '".." component'),
    ('binaries dir blank', cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': '/srv/my build'}),
     'lvs_piranha.binaries_dir', 'absolute path'),
    ('gui with binaries', cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': '/srv/piranha', 'gui': True,
                                                    'gui_password': 'secret-123'}), 'lvs_piranha.gui', 'EL piranha package'),
    ('monitor_links with binaries', cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': '/srv/piranha', 'monitor_links': True}),
     'lvs_piranha.monitor_links', 'service network restart'),
    ('binaries dir list', cluster_with(lvs_piranha={'binaries_dir': ['/srv/piranha']}), 'lvs_piranha.binaries_dir', 'string'),
    ('not a dict', cluster_with(lvs_piranha=['keepalive', 2]), 'lvs_piranha', 'dictionary'),
    ('gui without password', cluster_with(lvs_piranha={'gui': True}), 'lvs_piranha.gui_password', 'required'),
    ('gui password number', cluster_with(lvs_piranha={'gui': True, 'gui_password': 123456}), 'lvs_piranha.gui_password', 'YAML'),
    ('gui password short', cluster_with(lvs_piranha={'gui': True, 'gui_password': 'abc'}), 'lvs_piranha.gui_password', 'bytes'),
    ('gui password blank', cluster_with(lvs_piranha={'gui': True, 'gui_password': 'two words'}), 'lvs_piranha.gui_password',
     'printable ASCII'),
    ('gui password accents', cluster_with(lvs_piranha={'gui': True, 'gui_password': 'caf\u00e9-caf\u00e9'}),
     'lvs_piranha.gui_password', 'printable ASCII'),
    # aliases (IFNAMSIZ)
    ('alias too long', cluster_with(lvs_interface='enp0s31f6abcdef'), 'lvs_interface', 'IFNAMSIZ'),
    ('eleventh alias too long', cluster_with(lvs_interface='enp0s31f6abcd', services=many_services(11)), 'lvs_interface', 'VIP number 10'),
    ('nat alias too long', cluster_with(service={'forwarding': 'nat'},
                                        lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'enp0s31f6abcdef'}),
     'lvs_nat.inside_interface', 'inside VIP'),
    ('alias of an alias', cluster_with(lvs_interface='eth0:1'), 'lvs_interface', 'interface'),
    # what lvs.cf cannot express
    ('IPv6 VIP', cluster_with(service={'vip': '2001:db8::100'}), 'lvs_virtual_services[0].vip', 'only IPv4'),
    ('fwmark above int', cluster_with(service={'port': None, 'fwmark': 2147483648, 'real_server_port': 80}),
     'lvs_virtual_services[0].fwmark', 'signed int'),
    ('fwmark without check port', cluster_with(service={'port': None, 'fwmark': 7}, hc={'type': 'tcp', 'path': None, 'expect': None}),
     'lvs_virtual_services[0].health_check.port', 'port nanny checks'),
    ('scheduler', cluster_with(service={'scheduler': 'sed'}), 'lvs_virtual_services[0].scheduler', 'not supported'),
    ('protocol', cluster_with(service={'protocol': 'sctp'}), 'lvs_virtual_services[0].protocol', 'not supported'),
    ('check type', cluster_with(hc={'type': 'dns', 'dns_name': 'www.example.com'}), 'lvs_virtual_services[0].health_check.type',
     'not supported'),
    ('mixed forwarding', cluster_with(services=[dict(SERVICE), dict(SERVICE, name='api', port=81, forwarding='tun')]),
     'lvs_virtual_services', 'one cluster-wide'),
    ('nat sorry port', cluster_with(service={'forwarding': 'nat', 'real_server_port': 8080, 'sorry_server': {'address': '198.51.100.9'}},
                                    lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'}),
     'lvs_virtual_services[0].sorry_server.port', 'virtual port 80'),
    ('IPv6 sorry server', cluster_with(service={'sorry_server': {'address': '2001:db8::9', 'port': 80}}),
     'lvs_virtual_services[0].sorry_server.address', 'IPv4'),
    # misc checks (nanny's external check)
    ('misc without expect', cluster_with(hc={'type': 'misc', 'misc_path': '/usr/local/bin/check %h', 'expect': None}),
     'lvs_virtual_services[0].health_check.expect', 'required for a misc check'),
    ('misc too many words', cluster_with(hc={'type': 'misc', 'misc_path': '/bin/check' + ' a' * 39, 'expect': 'OK'}),
     'lvs_virtual_services[0].health_check.misc_path', '39 words'),
    ('misc too long', cluster_with(hc={'type': 'misc', 'misc_path': '/bin/' + 'c' * 200 + ' ' + 'a' * 60, 'expect': 'OK'}),
     'lvs_virtual_services[0].health_check.misc_path', '254 bytes'),
    ('misc shell', cluster_with(hc={'type': 'misc', 'misc_path': '/bin/check %h; reboot', 'expect': 'OK'}),
     'lvs_virtual_services[0].health_check.misc_path', 'argument'),
    # send and expect: what lvs.cf's quoting and nanny's escapes can carry
    ('send quote', cluster_with(hc={'send': 'GET "/" HTTP/1.0'}), 'lvs_virtual_services[0].health_check.send', 'double quote'),
    ('send escaped quote after blank', cluster_with(hc={'send': 'GET \\"/\\" HTTP/1.0'}), 'lvs_virtual_services[0].health_check.send',
     'after a blank'),
    ('send unknown escape', cluster_with(hc={'send': 'GET / HTTP/1.0\\x0d'}), 'lvs_virtual_services[0].health_check.send',
     'loops forever'),
    ('send final backslash', cluster_with(hc={'send': 'PING\\'}), 'lvs_virtual_services[0].health_check.send', 'final backslash'),
    ('send newline', cluster_with(hc={'send': 'GET /\nvirtual x {'}), 'lvs_virtual_services[0].health_check.send', 'text'),
    ('send tab', cluster_with(hc={'send': 'a\tb'}), 'lvs_virtual_services[0].health_check.send', 'text'),
    ('expect quote', cluster_with(hc={'expect': 'say "hi"'}), 'lvs_virtual_services[0].health_check.expect', 'double quote'),
    ('expect escape', cluster_with(hc={'expect': '\\d+'}), 'lvs_virtual_services[0].health_check.expect', 'loops forever'),
    ('expect too long', cluster_with(hc={'expect': 'H' * 255}), 'lvs_virtual_services[0].health_check.expect', '254'),
    ('expect newline', cluster_with(hc={'expect': 'OK\n'}), 'lvs_virtual_services[0].health_check.expect', 'text'),
    ('http expect a page word', cluster_with(hc={'expect': 'real server'}), 'lvs_virtual_services[0].health_check.expect',
     'first bytes of the HTTP reply'),
    ('http expect a later part of the status line', cluster_with(hc={'expect': '200 OK'}), 'lvs_virtual_services[0].health_check.expect',
     'status line'),
    ('tcp expect quote', cluster_with(hc={'type': 'tcp', 'path': None, 'expect': 'a"b'}), 'lvs_virtual_services[0].health_check.expect',
     'double quote'),
    # names that become lvs.cf block names
    ('service name brace', cluster_with(service={'name': 'www{'}), 'lvs_virtual_services[0].name', 'name'),
]


@pytest.mark.parametrize('cluster, path, words', [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_piranha_input_is_refused_with_its_path(cluster, path, words):
    errors = Model(*inventory(cluster)).errors
    matching = [e for e in errors if e.path == path]
    assert matching, 'no error on %s: %s' % (path, [str(e) for e in errors])
    assert any(words in str(e) for e in matching), [str(e) for e in matching]


@pytest.mark.parametrize('case, build, path, words', [
    ('three directors', lambda: inventory(n_directors=3), 'lvs_directors', 'at most one backup'),
    ('IPv6 director', lambda: inventory(dr_vars={'dr1': {'lvs_address': '2001:db8::11'}}), 'hostvars[dr1].lvs_address', 'IPv4'),
    ('IPv6 real server', lambda: inventory(rs_vars={'rs1': {'lvs_address': '2001:db8::21'}}), 'hostvars[rs1].lvs_address', 'IPv4'),
    ('server name', lambda: inventory(rs_names=('rs1', 'rs"2')), 'hostvars[rs"2]', 'piranha server name'),
])
def test_bad_piranha_hosts_are_refused_with_their_path(case, build, path, words):
    errors = Model(*build()).errors
    assert any(e.path == path and words in str(e) for e in errors), [str(e) for e in errors]


def test_at_least_45_piranha_bad_inputs():
    assert len(BAD) + 4 >= 45


@pytest.mark.parametrize('install', [
    {'install': 'binaries', 'binaries_dir': '/var/cache/lvs-cluster/piranha/6c06cdeb8c8b/bin'},
    {'install': 'binaries', 'binaries_dir': '/srv/piranha/'},
    {'install': 'binaries', 'config_only': True},
    {'install': 'package'},
    {},
])
def test_install_modes_piranha_accepts(install):
    model = Model(*inventory(cluster_with(lvs_piranha=install)))
    assert model.errors == [], [str(e) for e in model.errors]
    piranha_settings = model.clusters['web']['piranha']
    assert piranha_settings['install'] == install.get('install', 'package')
    assert piranha_settings['binaries_dir'] == install.get('binaries_dir')


def test_install_mode_is_not_part_of_lvs_cf():
    plain = view_of()
    built = view_of(cluster_with(lvs_piranha={'install': 'binaries', 'binaries_dir': '/srv/piranha'}))
    assert plain['serial_no'] == built['serial_no'] and plain['global'] == built['global']


def test_other_backends_ignore_the_piranha_install_settings():
    cluster = cluster_with(lvs_backend='keepalived', lvs_keepalived={'auth_pass': 'secret12'},
                           lvs_piranha={'install': 'binaries'})
    assert [e for e in Model(*inventory(cluster)).errors if e.path.startswith('lvs_piranha')] == []


@pytest.mark.parametrize('expect', ['HTTP', 'HTTP/1.1 200', 'HTTP/1.0 200 OK', 'H', 'HTT', '*', 'HTTP/1.1 2'])
def test_http_expect_the_start_of_the_status_line(expect):
    assert piranha.http_expect_problem(expect) is None
    assert Model(*inventory(cluster_with(hc={'expect': expect}))).errors == []


def test_tcp_expect_is_any_reply_start():
    cluster = cluster_with(hc={'type': 'tcp', 'path': None, 'send': 'PING\\r\\n', 'expect': '+PONG'})
    assert Model(*inventory(cluster)).errors == []


@pytest.mark.parametrize('text', ['\\"PING\\" x', 'a\\tb\\r\\n', '# ok', 'braces {} and # are text', "it's", 'C:\\\\dir', '*'])
def test_texts_piranha_carries(text):
    assert piranha.text_problem('send', text) is None
    assert piranha.text_problem('expect', text) is None


def test_free_text_fields_refuse_newline_and_bare_quote():
    for key in ('send', 'expect'):
        for bad in ('a\nb', 'a"b', 'a \\"b\\"', 'a\\'):
            errors = Model(*inventory(cluster_with(hc={key: bad}))).errors
            assert any(e.path == 'lvs_virtual_services[0].health_check.%s' % key for e in errors), (key, bad)


# ---------------------------------------------------------------------------------------------------------------------
# The view

def view_of(cluster=None, host='dr1', **kwargs):
    model = Model(*inventory(cluster, **kwargs))
    assert model.errors == [], [str(e) for e in model.errors]
    return model.backend_view(host)


def settings(block):
    return dict((k, v) for k, v in block['settings'])


def test_view_of_the_seed():
    view = view_of()
    assert view['global'] == [['primary', '203.0.113.11'], ['service', 'lvs'], ['backup_active', 1], ['backup', '203.0.113.12'],
                              ['heartbeat', 1], ['heartbeat_port', 539], ['keepalive', 5], ['deadtime', 10], ['network', 'direct'],
                              ['debug_level', 'NONE']]
    (www,) = view['virtuals']
    assert (www['name'], www['address'], www['device'], www['port']) == ('www', '203.0.113.100', 'eth0:0', 80)
    assert settings(www)['send'] == '"GET / HTTP/1.0\\r\\n\\r\\n"' and settings(www)['expect'] == '"HTTP"'
    assert settings(www)['reentry'] == 15 and settings(www)['timeout'] == 6 and settings(www)['use_regex'] == 0
    assert [s['name'] for s in www['servers']] == ['rs1', 'rs2']
    assert www['servers'][0]['settings'] == [['address', '203.0.113.21'], ['active', 1], ['weight', 1]]
    assert view['nat_router'] is None and www['send_program'] is None
    assert 1 <= view['serial_no'] <= _lvscf.INT_MAX


def test_view_is_the_same_on_both_directors_and_serial_follows_content():
    assert view_of(host='dr1') == view_of(host='dr2')
    other = view_of(cluster_with(lvs_piranha={'keepalive': 6}))
    assert other['serial_no'] != view_of()['serial_no']
    assert view_of()['serial_no'] == view_of()['serial_no']


def test_view_aliases_per_vip_and_nat_router_after_them():
    services = many_services(3) + [dict(many_services(1)[0], name='again', port=443)]
    for svc in services:
        svc['forwarding'] = 'nat'
    view = view_of(cluster_with(services=services, lvs_interface='eth1',
                                lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1', 'inside_prefix': 25}))
    assert [v['device'] for v in view['virtuals']] == ['eth1:0', 'eth1:1', 'eth1:2', 'eth1:0']
    assert view['nat_router'] == {'address': '198.51.100.1', 'device': 'eth1:3'}
    assert ['nat_router', '198.51.100.1 eth1:3'] in view['global'] and ['nat_nmask', '255.255.255.128'] in view['global']
    assert ['network', 'nat'] in view['global']


def test_view_longest_interface_that_fits():
    view = view_of(cluster_with(lvs_interface='enp0s31f6abcd', services=many_services(10)))
    assert view['virtuals'][-1]['device'] == 'enp0s31f6abcd:9'


def test_view_misc_check_is_an_argument_list_with_the_address():
    view = view_of(cluster_with(hc={'type': 'misc', 'misc_path': '/usr/local/bin/check --port=%p', 'expect': 'OK', 'path': None}))
    (vs,) = view['virtuals']
    assert vs['send_program'] == ['/usr/local/bin/check', '--port=%p', '%h']
    assert settings(vs)['send_program'] == '"/usr/local/bin/check --port=%p %h"' and 'send' not in settings(vs)
    view = view_of(cluster_with(hc={'type': 'misc', 'misc_path': ['/usr/local/bin/check', '%h', 'x'], 'expect': 'OK', 'path': None}))
    assert view['virtuals'][0]['send_program'] == ['/usr/local/bin/check', '%h', 'x']


def test_view_http_defaults_and_persistence():
    view = view_of(cluster_with(service={'persistence_timeout': 300, 'persistence_netmask': '255.255.255.255', 'vip_prefix': 24},
                                hc={'expect': None, 'host': 'www.example.com', 'status_code': 204, 'path': '/health'}))
    got = settings(view['virtuals'][0])
    assert got['send'] == '"GET /health HTTP/1.0\\r\\nHost: www.example.com\\r\\n\\r\\n"'
    assert got['expect'] == '"^HTTP/1.[01] 204"' and got['use_regex'] == 1
    assert got['persistent'] == 300 and 'pmask' not in got  # /32 is read as "no mask" by piranha: ipvsadm's default
    assert got['vip_nmask'] == '255.255.255.0'


def test_view_keeps_escapes_as_written():
    view = view_of(cluster_with(hc={'type': 'tcp', 'path': None, 'send': '\\"PING\\"\\tx\\r\\n', 'expect': 'PONG #1'}))
    got = settings(view['virtuals'][0])
    assert got['send'] == '"\\"PING\\"\\tx\\r\\n"' and got['expect'] == '"PONG #1"'
    assert view['virtuals'][0]['send'] == '\\"PING\\"\\tx\\r\\n'


def test_view_nat_server_ports_and_sorry_server():
    sorry = {'address': '198.51.100.9', 'port': 80}
    view = view_of(cluster_with(service={'forwarding': 'nat', 'real_server_port': 8080, 'sorry_server': sorry},
                                lvs_nat={'inside_vip': '198.51.100.1', 'inside_interface': 'eth1'}))
    vs = view['virtuals'][0]
    assert vs['sorry_server'] == '198.51.100.9' and ['sorry_server', '198.51.100.9'] in vs['settings']
    assert vs['servers'][0]['settings'][-1] == ['port', 8080]
    assert view['nat_router'] == {'address': '198.51.100.1', 'device': 'eth1:0'}


def test_view_single_director_and_sync():
    view = view_of(cluster_with(lvs_sync_daemon=True, lvs_sync_id=9, lvs_timeouts={'tcp': 900}), n_directors=1)
    assert ['backup_active', 0] in view['global'] and ['heartbeat', 0] in view['global']
    assert not any(k == 'backup' for k, _v in view['global'])
    assert [['syncdaemon', 1], ['syncd_iface', 'eth0'], ['syncd_id', 9], ['tcp_timeout', 900]] == view['global'][-4:]


@pytest.mark.parametrize('password, salt, expected', [
    # computed with `openssl passwd -apr1 -salt SALT -stdin`
    ('pir4nha-Secret', 'Zx8Kq2Lm', '$apr1$Zx8Kq2Lm$NhNZhp51Nr4Vx1qdUS1Kg0'),
    ('caf\u00e9 au lait!', './09AZaz', '$apr1$./09AZaz$GTD13JlthCa45LgVSSsKd1'),
])
def test_apr1_is_apaches(password, salt, expected):
    assert piranha.apr1(password, salt) == expected


def test_apr1_agrees_with_openssl_on_random_passwords():
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.skip('openssl is not installed (the fixed vectors above still hold)')
    rnd = random.Random(3)
    for _round in range(25):
        password = ''.join(rnd.choice(string.printable[:94]) for _char in range(rnd.randint(1, 72)))
        salt = ''.join(rnd.choice(piranha.ITOA64) for _char in range(8))
        proc = subprocess.run([openssl, 'passwd', '-apr1', '-salt', salt, '-stdin'], input=password + '\n', stdout=subprocess.PIPE,
                              universal_newlines=True, check=True)
        assert piranha.apr1(password, salt) == proc.stdout.strip(), password


def test_view_gui_password_line_is_hashed_on_the_controller():
    hashed = view_of(cluster_with(lvs_piranha={'gui': True, 'gui_password': 'secret-1'}))
    again = view_of(cluster_with(lvs_piranha={'gui': True, 'gui_password': 'secret-1'}))
    other = view_of(cluster_with(lvs_piranha={'gui': True, 'gui_password': 'secret-2'}))
    line = hashed['gui']['htpasswd']
    assert hashed['gui']['enabled'] is True and line.startswith('piranha:$apr1$') and line == again['gui']['htpasswd']
    salt = line.split('$')[2]
    assert piranha.apr1('secret-1', salt) == line[len('piranha:'):]
    assert other['gui']['htpasswd'] != line
    assert hashed['serial_no'] == other['serial_no'] and hashed['virtuals'] == other['virtuals']
    assert 'secret-1' not in repr(hashed)
    assert piranha.gui_password_hash('web', 'secret-1') != piranha.gui_password_hash('shop', 'secret-1')
    assert view_of()['gui'] == {'enabled': False, 'htpasswd': None}
