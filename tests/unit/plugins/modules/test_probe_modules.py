# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.cluster.vip_probe and lvs.cluster.client_probe as modules: documentation against argument specs, argument
errors, and real runs. vip_probe runs in network namespaces made here (two hosts on a bridge, 198.51.100.0/24 and
2001:db8::/64; nothing leaves them), which needs root: the tests are skipped otherwise, unless
LVS_TESTS_NETNS=require (set by CI=true, tests/conftest.py) turns the skip into a failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.lvs.cluster.plugins.modules import client_probe, vip_probe

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'collections'))
VIP = '198.51.100.100'
VIP6 = '2001:db8::100'
A, B = '198.51.100.11', '198.51.100.12'


def run_module(mod, args, capsys, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode)
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    basic._ANSIBLE_PROFILE = 'legacy'
    try:
        with pytest.raises(SystemExit):
            mod.main()
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads(capsys.readouterr().out)


def assert_doc_matches(doc, spec, where):
    assert sorted(doc) == sorted(spec), where
    for name, opt in spec.items():
        entry = doc[name]
        for key in ('type', 'default', 'choices', 'elements'):
            want = opt.get(key, 'str' if key == 'type' else None)
            assert entry.get(key, 'str' if key == 'type' else None) == want, (where, name, key)
        assert bool(entry.get('required')) == bool(opt.get('required')), (where, name)
        if 'options' in opt:
            assert_doc_matches(entry['suboptions'], opt['options'], '%s.%s' % (where, name))


@pytest.mark.parametrize('mod', [vip_probe, client_probe], ids=['vip_probe', 'client_probe'])
def test_documentation_matches_the_argument_spec(mod):
    assert_doc_matches(yaml.safe_load(mod.DOCUMENTATION)['options'], mod.ARGUMENT_SPEC, mod.__name__)
    yaml.safe_load(mod.EXAMPLES)
    yaml.safe_load(mod.RETURN)


# ---- client_probe, in this process, against 127.0.0.1 ---------------------------------------------------------------

@pytest.fixture
def page_server():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'This is real server1\n'
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_client_probe_now(capsys):
    before = time.time()
    out = run_module(client_probe, {'mode': 'now'}, capsys)
    assert out['changed'] is False and before <= out['probe']['now'] <= time.time()


def test_client_probe_learn_keeps_failed_out_of_the_result_keys(page_server, capsys):
    out = run_module(client_probe, {'mode': 'learn', 'vip': '127.0.0.1', 'port': page_server, 'requests': 3,
                                    'real_servers': [{'host': 'rs1', 'address': '127.0.0.1', 'port': page_server, 'weight': 1}]},
                     capsys, check_mode=True)
    assert 'failed' not in out and out['changed'] is False
    assert out['probe']['by_server'] == {'rs1': 3} and out['probe']['failed'] == 0 and out['probe']['mode'] == 'learn'


@pytest.mark.parametrize('args, msg', [
    ({'mode': 'learn', 'vip': '127.0.0.1'}, 'mode=learn needs port'),
    ({'mode': 'wait', 'vip': '127.0.0.1', 'port': 1, 'since': 0}, 'mode=wait needs until'),
    ({'mode': 'wait', 'vip': '127.0.0.1', 'port': 1, 'since': 0, 'until': {'type': 'rs_in'}}, 'until.type=rs_in needs until.host'),
    ({'mode': 'count'}, 'mode=count needs stop_file'),
    ({'mode': 'learn', 'vip': '127.0.0.1', 'port': 1, 'requests': 0}, 'requests must be 1-1000'),
    ({'mode': 'now', 'interval': 0}, 'interval must be above 0'),
    ({'mode': 'count', 'stop_file': '/x', 'targets': [{'address': '127.0.0.1', 'port': 1, 'check': 'smtp'}]}, 'check'),
])
def test_client_probe_argument_errors(args, msg, capsys):
    out = run_module(client_probe, args, capsys)
    assert out['failed'] and msg in out['msg'], out


# ---- vip_probe ---------------------------------------------------------------------------------------------------

def test_vip_probe_refuses_bad_arguments(capsys):
    out = run_module(vip_probe, {'interface': 'lo', 'vips': ['198.51.100.300']}, capsys)
    assert out['failed'] and "'198.51.100.300' is not an IP address" in out['msg']
    out = run_module(vip_probe, {'interface': 'no-such-if0', 'vips': [VIP]}, capsys)
    assert out['failed'] and 'interface no-such-if0 does not exist' in out['msg']
    out = run_module(vip_probe, {'interface': 'lo', 'vips': [VIP], 'source': 'dr1'}, capsys)
    assert out['failed'] and "source: 'dr1' is not an IP address" in out['msg']
    out = run_module(vip_probe, {'interface': 'lo', 'vips': [VIP6], 'mode': 'acquire', 'trigger': ['lvs-no-such-program'],
                                 'trigger_dirs': ['/nonexistent']}, capsys)
    assert out['failed'] and 'lvs-no-such-program is neither in PATH nor in /nonexistent' in out['msg']


def _can_netns():
    return os.geteuid() == 0 and shutil.which('ip') is not None


@pytest.fixture(scope='module')
def segment():
    """Hosts a and b on a bridge (namespace br), each with eth0; yields the namespace names."""
    if not _can_netns():
        if os.environ.get('LVS_TESTS_NETNS') == 'require':
            pytest.fail('LVS_TESTS_NETNS=require but network namespaces need root and iproute2')
        pytest.skip('needs root and iproute2 (network namespaces)')
    tag = 'lvsut%d' % os.getpid()
    ns = {'a': tag + 'a', 'b': tag + 'b', 'br': tag + 'br'}

    def ip(*args):
        subprocess.run(('ip',) + args, check=True)
    try:
        for name in ns.values():
            ip('netns', 'add', name)
        ip('-n', ns['br'], 'link', 'add', 'br0', 'type', 'bridge')
        ip('-n', ns['br'], 'link', 'set', 'br0', 'up')
        for host, addr in (('a', A), ('b', B)):
            ip('link', 'add', 'v%s%d' % (host, os.getpid()), 'netns', ns[host], 'type', 'veth', 'peer', 'name', 'p' + host,
               'netns', ns['br'])
            ip('-n', ns['br'], 'link', 'set', 'p' + host, 'master', 'br0', 'up')
            ip('-n', ns[host], 'link', 'set', 'v%s%d' % (host, os.getpid()), 'name', 'eth0')
            ip('-n', ns[host], 'link', 'set', 'lo', 'up')
            ip('-n', ns[host], 'link', 'set', 'eth0', 'up')
            ip('-n', ns[host], 'addr', 'add', addr + '/24', 'dev', 'eth0')
        time.sleep(1)  # bridge ports forwarding
        yield ns
    finally:
        for name in ns.values():
            subprocess.run(['ip', 'netns', 'del', name], capture_output=True, check=False)


BOOT = '''
import sys
sys.path.insert(0, %r)
import ansible_collections
if %r not in list(ansible_collections.__path__):
    ansible_collections.__path__.append(%r)
from ansible_collections.lvs.cluster.plugins.modules import vip_probe
vip_probe.main()
''' % (COLLECTIONS, os.path.join(COLLECTIONS, 'ansible_collections'), os.path.join(COLLECTIONS, 'ansible_collections'))


def probe_in(ns, args, check_mode=False):
    """Run lvs.cluster.vip_probe in namespace `ns` as Ansible would (arguments as JSON), return its result."""
    payload = json.dumps({'ANSIBLE_MODULE_ARGS': dict(args, _ansible_check_mode=check_mode)})
    run = subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, '-c', BOOT, payload], capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.stdout, run.stderr
    return json.loads(run.stdout)


def addr(ns, action, address):
    subprocess.run(['ip', '-n', ns, 'addr', action, address + ('/128' if ':' in address else '/32'), 'dev', 'eth0', 'nodad']
                   if ':' in address and action == 'add' else
                   ['ip', '-n', ns, 'addr', action, address + ('/128' if ':' in address else '/32'), 'dev', 'eth0'], check=True)


def holders_args(*vips):
    return {'mode': 'holders', 'interface': 'eth0', 'source': A, 'vips': list(vips)}


def test_holders_nobody_other_both_here(segment):
    out = probe_in(segment['a'], holders_args(VIP))
    assert out['vips'][VIP]['count'] == 0 and out['ok'] is False and out['changed'] is False
    addr(segment['b'], 'add', VIP)
    try:
        out = probe_in(segment['a'], holders_args(VIP))
        mac_b = subprocess.run(['ip', 'netns', 'exec', segment['b'], 'cat', '/sys/class/net/eth0/address'],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert out['ok'] and out['vips'][VIP] == {'local': False, 'remote': [mac_b], 'count': 1, 'checked': True}
        addr(segment['a'], 'add', VIP)
        out = probe_in(segment['a'], holders_args(VIP))
        assert out['vips'][VIP]['count'] == 2 and out['ok'] is False
    finally:
        subprocess.run(['ip', '-n', segment['b'], 'addr', 'del', VIP + '/32', 'dev', 'eth0'], capture_output=True, check=False)
    out = probe_in(segment['a'], dict(holders_args(VIP), source=None), check_mode=True)  # RFC 5227 probe; reads only
    assert out['ok'] and out['vips'][VIP]['local'] and out['vips'][VIP]['remote'] == []
    subprocess.run(['ip', '-n', segment['a'], 'addr', 'del', VIP + '/32', 'dev', 'eth0'], capture_output=True, check=False)


def test_holders_ipv6_is_local_only(segment):
    addr(segment['a'], 'add', VIP6)
    try:
        out = probe_in(segment['a'], holders_args(VIP6))
        assert out['ok'] and out['vips'][VIP6] == {'local': True, 'remote': [], 'count': 1, 'checked': False}
    finally:
        addr(segment['a'], 'del', VIP6)


def test_release_measures_the_switch_to_the_other_host(segment):
    addr(segment['a'], 'add', VIP)
    trigger = ['sh', '-c', 'ip addr del %s/32 dev eth0; (sleep 0.8; ip netns exec %s ip addr add %s/32 dev eth0) >/dev/null 2>&1 &'
               % (VIP, segment['b'], VIP)]
    try:
        out = probe_in(segment['a'], {'mode': 'release', 'interface': 'eth0', 'source': A, 'vips': [VIP], 'timeout': 5,
                                      'trigger': trigger})
        assert not out.get('failed'), out
        assert out['changed'] and out['trigger_rc'] == 0 and out['missing'] == []
        assert 0.8 <= out["seconds"] < 3.0 and out['vips'][VIP] == out['seconds'], out
    finally:
        subprocess.run(['ip', '-n', segment['b'], 'addr', 'del', VIP + '/32', 'dev', 'eth0'], capture_output=True, check=False)


def test_acquire_with_a_program_from_trigger_dirs(segment, tmp_path):
    script = tmp_path / 'lvs_take_vip'
    script.write_text('#!/bin/sh\n(sleep 0.5; ip addr add %s/32 dev eth0) >/dev/null 2>&1 &\n' % VIP)
    script.chmod(0o755)
    try:
        out = probe_in(segment['a'], {'mode': 'acquire', 'interface': 'eth0', 'vips': [VIP], 'timeout': 5,
                                      'trigger': ['lvs_take_vip'], 'trigger_dirs': [str(tmp_path)]})
        assert not out.get('failed'), out
        assert 0.5 <= out["seconds"] < 2.5 and out["trigger_seconds"] < 1.5, out
    finally:
        subprocess.run(['ip', '-n', segment['a'], 'addr', 'del', VIP + '/32', 'dev', 'eth0'], capture_output=True, check=False)


def test_timeout_and_failing_trigger_fail_the_task(segment):
    out = probe_in(segment['a'], {'mode': 'acquire', 'interface': 'eth0', 'vips': [VIP], 'timeout': 1, 'trigger': ['true']})
    assert out['failed'] and out['missing'] == [VIP] and 'not on this host within 1.0 s' in out['msg']
    out = probe_in(segment['a'], {'mode': 'release', 'interface': 'eth0', 'vips': [VIP], 'timeout': 1,
                                  'trigger': ['sh', '-c', 'echo no daemon >&2; exit 3']})
    assert out['failed'] and out['trigger_rc'] == 3 and out['trigger_output'] == 'no daemon' and 'failed (rc 3)' in out['msg']


def test_check_mode_runs_no_trigger(segment, tmp_path):
    mark = tmp_path / 'ran'
    out = probe_in(segment['a'], {'mode': 'release', 'interface': 'eth0', 'vips': [VIP], 'trigger': ['touch', str(mark)]},
                   check_mode=True)
    assert out['changed'] is True and not mark.exists() and 'check mode' in out['msg']
