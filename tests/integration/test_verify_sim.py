# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/verify_cluster.yml against a simulated two-director cluster in network namespaces (no VM, no IPVS).

The client namespace has a bridge; each director and the real-server host is a namespace on it; the VIP sits on one
director, whose own small web server answers for it. Ansible reaches the "hosts" with the local connection and a shell
wrapper that enters the host's namespace; a fake ``systemctl`` in the directors (verify_sim/systemctl) moves the VIP to
the other director (stop) and back (start), as keepalived with preempt would.

1. With failback expected (preempt) every ha and balance check passes, the times are measured and the JSON report holds
   the numbers.
2. With failback NOT expected (-e verify_expect_failback=false) the simulated VIP still comes back: the playbook fails
   on exactly that check (a verify that cannot fail proves nothing).

Needs root (network namespaces), iproute2 and arping; 198.51.100.0/26 only, inside the namespaces made here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from lvs_helpers import REPO, need, need_root, playbook

# a /26: the container scenarios' podman network (molecule/director_heartbeat_ldirectord, 198.51.100.64/28) may exist
NETWORK = '198.51.100.0/26'
VIP = '198.51.100.40'
ADDRESSES = {'d1': ['198.51.100.11'], 'd2': ['198.51.100.12'], 'r': ['198.51.100.21', '198.51.100.22']}


def ip(*args):
    subprocess.run(('ip',) + args, check=True, capture_output=True)


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    """The namespaces, web servers, shell wrappers and inventory: {'ns': {...}, 'inventory': path, 'work': dir}."""
    need_root()
    need(shutil.which('arping'), 'arping is not installed')
    # the namespaces use 198.51.100.0/26: a command that ran outside them by mistake must not reach a network of this host
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'lab', 'route_check.py'), '--network', NETWORK,
                           '--setting', 'the 198.51.100.x addresses of tests/integration/test_verify_sim.py'],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'refusing to run: %s' % proc.stderr
    work = tmp_path_factory.mktemp('verify-sim')
    os.chmod(str(work), 0o755)
    tag = 'vsim%d' % os.getpid()
    ns = {'c': tag + 'c', 'd1': tag + 'd1', 'd2': tag + 'd2', 'r': tag + 'r'}
    servers = []
    try:
        for name in ns.values():
            ip('netns', 'add', name)
            ip('-n', name, 'link', 'set', 'lo', 'up')
        ip('-n', ns['c'], 'link', 'add', 'br0', 'type', 'bridge')
        ip('-n', ns['c'], 'addr', 'add', '198.51.100.1/26', 'dev', 'br0')
        ip('-n', ns['c'], 'link', 'set', 'br0', 'up')
        for host in ('d1', 'd2', 'r'):
            port = 'v' + host
            ip('-n', ns['c'], 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[host])
            ip('-n', ns['c'], 'link', 'set', port, 'master', 'br0')
            ip('-n', ns['c'], 'link', 'set', port, 'up')
            ip('-n', ns[host], 'link', 'set', 'eth0', 'up')
            for address in ADDRESSES[host]:
                ip('-n', ns[host], 'addr', 'add', address + '/26', 'dev', 'eth0')
        ip('-n', ns['d1'], 'addr', 'add', VIP + '/32', 'dev', 'eth0')
        for index in (1, 2):
            site = work / ('w%d' % index)
            site.mkdir()
            (site / 'index.html').write_text('This is real server%d\n' % index)
        # the real servers, and the directors answering for the VIP themselves (there is no IPVS here)
        for host, site, bind in (('r', 'w1', '198.51.100.21'), ('r', 'w2', '198.51.100.22'), ('d1', 'w1', None), ('d2', 'w1', None)):
            cmd = ['ip', 'netns', 'exec', ns[host], 'timeout', '600', sys.executable, '-m', 'http.server', '8081']
            servers.append(subprocess.Popen(cmd + (['--bind', bind] if bind else []), cwd=str(work / site),
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        bindir = work / 'bin'
        bindir.mkdir()
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'verify_sim', 'systemctl'), str(bindir / 'systemctl'))
        others = {'d1': ns['d2'], 'd2': ns['d1'], 'r': ns['r']}
        wrappers = {}
        for host in ('d1', 'd2', 'r'):
            wrappers[host] = work / ('sh-' + host)
            wrappers[host].write_text('#!/bin/sh\nexport PATH=%s:$PATH VSIM_ME=%s VSIM_OTHER=%s VSIM_VIP=%s\nexec ip netns exec %s /bin/sh "$@"\n'
                                      % (bindir, ns[host], others[host], VIP, ns[host]))
            os.chmod(str(wrappers[host]), 0o755)
        inventory = {'all': {
            'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '/usr/bin/python3'},
            'children': {
                'lvs_directors': {'children': {'web_directors': {
                    'vars': {'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
                             'lvs_realserver_group': 'web_realservers', 'lvs_keepalived': {'auth_pass': 'sim'},
                             'lvs_virtual_services': [{'name': 'www', 'vip': VIP, 'port': 8081, 'scheduler': 'sh', 'forwarding': 'dr'}]},
                    'hosts': {'dr1': {'ansible_host': '198.51.100.11', 'ansible_shell_executable': str(wrappers['d1'])},
                              'dr2': {'ansible_host': '198.51.100.12', 'ansible_shell_executable': str(wrappers['d2'])}}}}},
                'lvs_realservers': {'children': {'web_realservers': {'hosts': {
                    'rs1': {'ansible_host': '198.51.100.21', 'ansible_shell_executable': str(wrappers['r'])},
                    'rs2': {'ansible_host': '198.51.100.22', 'ansible_shell_executable': str(wrappers['r'])}}}}}}}}
        (work / 'inventory.yml').write_text(json.dumps(inventory))
        time.sleep(1)
        yield {'ns': ns, 'inventory': str(work / 'inventory.yml'), 'work': work}
    finally:
        for server in servers:
            server.kill()
            server.wait()
        for name in ns.values():
            pids = subprocess.run(['ip', 'netns', 'pids', name], capture_output=True, text=True, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except OSError:
                    pass
            subprocess.run(['ip', 'netns', 'delete', name], capture_output=True, check=False)


def verify(cluster, report, *extra):
    """verify_cluster.yml from the client namespace: (run, report or None)."""
    path = cluster['work'] / report
    run = playbook('-i', cluster['inventory'], os.path.join(REPO, 'playbooks', 'verify_cluster.yml'),
                   '-e', json.dumps({'verify_tests': ['ha', 'balance']}), '-e', 'verify_report_file=%s' % path, *extra,
                   prefix=['ip', 'netns', 'exec', cluster['ns']['c']], timeout=600)
    return run, (json.loads(path.read_text()) if path.exists() else None)


def test_failback_expected_every_check_passes(cluster):
    run, report = verify(cluster, 'r1.json')
    assert run.rc == 0 and report, run.tail()
    c = report['clusters'][0]
    assert report['ok'], report
    names = [k['name'] for k in c['checks']]
    assert any(n.startswith('ha - VIP answers again') for n in names) and any(n.startswith('ha - VIP back on dr1') for n in names), names
    assert c['ha']['client_on_segment'] is True, c['ha']
    failover, failback = c['ha']['failover'], c['ha']['failback']
    assert failover['met'] and 1.5 <= failover['seconds'] < 30, failover   # the fake moves the VIP after 1.5 s: it cannot be faster
    assert failback['met'] and 2.0 <= failback['seconds'] < 60, failback
    assert c['ha']['holders_after_failover'] == ['dr2'] and c['ha']['holders_after_failback'] == ['dr1'], c['ha']
    assert c['balance']['requests'] == 20 and c['balance']['failed'] == 0, c['balance']


def test_unexpected_failback_fails_that_check_only(cluster):
    run, report = verify(cluster, 'r2.json', '-e', 'verify_expect_failback=false', '-e', 'verify_settle_seconds=4')
    assert run.rc != 0, 'the run passed although the VIP moved back:\n%s' % run.tail()
    bad = [k['name'] for k in report['clusters'][0]['checks'] if not k['ok']]
    assert len(bad) == 1 and bad[0].startswith('ha - VIP stays where it is'), bad
