# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify of the molecule lab scenario: the intent of the deployed cluster, checked on real IPVS guests.

Run by molecule (verifier testinfra) after converge and idempotence. Expected values come from inventories/lab, the
same inventory the converge used. The client-side checks run inside the lab namespace, where the client lives:
  - the VIP is held by exactly one director;
  - the IPVS table of that director has the service with the inventory's scheduler and every real server with the
    inventory's forwarding method and weight;
  - only that director answers ARP for the VIP (the real servers hold it on lo and stay silent);
  - the seed's section 11.6 tests (director failover and failback, balancing, real-server removal and return) pass
    within the configured bounds: playbooks/verify_cluster.yml runs them, these tests read its JSON report.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import subprocess
import sys

import pytest
import testinfra
import yaml

NS = os.environ.get('LAB_NETNS', 'lvslab')
PROJECT = os.environ['MOLECULE_PROJECT_DIRECTORY']
INVENTORY = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
BACKEND = os.environ.get('LAB_BACKEND', 'keepalived')
BOUNDS = {  # seconds; verify_cluster.yml asserts them, the tests below report them
    'failover_max_seconds': int(os.environ.get('LAB_FAILOVER_MAX', '30')),
    'failback_max_seconds': int(os.environ.get('LAB_FAILBACK_MAX', '60')),
    'realserver_removal_max_seconds': int(os.environ.get('LAB_RS_REMOVAL_MAX', '30')),
    'realserver_return_max_seconds': int(os.environ.get('LAB_RS_RETURN_MAX', '30')),
}
FORWARDING = {'dr': 'Route', 'nat': 'Masq', 'tun': 'Tunnel'}


def _load(path):
    with open(os.path.join(PROJECT, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


HOSTS = _load('inventories/lab/hosts.yml')['all']['children']
CLUSTER = _load('inventories/lab/group_vars/web_directors.yml')
DIRECTORS = sorted(HOSTS['lvs_directors']['children']['web_directors']['hosts'])
REALSERVERS = HOSTS['lvs_realservers']['children'][CLUSTER.get('lvs_realserver_group', 'lvs_realservers')]['hosts']
SERVICE = CLUSTER['lvs_virtual_services'][0]
VIP, PORT = SERVICE['vip'], SERVICE['port']


def guest(name):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def mac_of(name):
    return guest(name).file('/sys/class/net/eth0/address').content_string.strip().lower()


def in_ns(*cmd, **kw):
    check = kw.pop('check', False)
    return subprocess.run(('ip', 'netns', 'exec', NS) + cmd, capture_output=True, text=True, check=check, **kw)


@pytest.fixture(scope='module')
def holders():
    pattern = re.compile(r'\binet %s/' % re.escape(VIP))
    return [d for d in DIRECTORS if pattern.search(guest(d).check_output('ip -o addr show'))]


def test_vip_held_by_exactly_one_director(holders):
    print('VIP %s held by: %s' % (VIP, holders))
    assert len(holders) == 1, 'VIP %s must be on exactly one director, found on %s' % (VIP, holders or 'none')


def test_ipvs_table_of_the_active_director(holders):
    assert holders, 'no director holds the VIP'
    table = guest(holders[0]).check_output('ipvsadm -Ln')
    print(table)
    sched = SERVICE.get('scheduler', 'wlc')
    lines = table.splitlines()
    head = [i for i, line in enumerate(lines) if re.match(r'^TCP\s+%s:%d\s+%s\b' % (re.escape(VIP), PORT, sched), line)]
    assert len(head) == 1, 'expected one service "TCP %s:%d %s" in the IPVS table of %s' % (VIP, PORT, sched, holders[0])
    dests = []
    for line in lines[head[0] + 1:]:
        if not line.startswith('  ->'):
            break
        dests.append(line.split())
    found = {d[1]: (d[2], int(d[3])) for d in dests}
    want = {'%s:%d' % (v['ansible_host'], PORT): (FORWARDING[SERVICE.get('forwarding', 'dr')], int(v.get('lvs_weight', 1)))
            for v in REALSERVERS.values()}
    assert found == want, 'real servers of %s:%d: expected %s, got %s' % (VIP, PORT, want, found)


def test_only_the_active_director_answers_arp_for_the_vip(holders):
    assert holders, 'no director holds the VIP'
    for rs in REALSERVERS:
        lo = guest(rs).check_output('ip -o addr show dev lo')
        assert re.search(r'\binet %s/32\b' % re.escape(VIP), lo), '%s must hold the VIP on lo (DR real server): %s' % (rs, lo)
    r = in_ns('arping', '-i', 'br0', '-c', '4', VIP, timeout=60)
    macs = set(re.findall(r'\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b', r.stdout.lower()))
    print(r.stdout)
    rs_macs = {mac_of(rs): rs for rs in REALSERVERS}
    assert macs == {mac_of(holders[0])}, 'ARP replies for %s came from %s; expected only %s (%s), real servers: %s' % (
        VIP, sorted(macs), holders[0], mac_of(holders[0]), rs_macs)


@pytest.fixture(scope='module')
def seed(tmp_path_factory):
    """Run playbooks/verify_cluster.yml from the client side (inside the namespace) once; return its JSON report."""
    report = str(tmp_path_factory.mktemp('verify') / 'verify.json')
    cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', INVENTORY,
           os.path.join(PROJECT, 'playbooks', 'verify_cluster.yml'),
           '-e', 'lab_backend=%s' % BACKEND, '-e', 'verify_report_file=%s' % report, '-e', 'verify_fail_on_error=false']
    for k, v in BOUNDS.items():
        cmd += ['-e', 'verify_%s=%d' % (k, v)]
    r = in_ns(*cmd, timeout=1200)
    print(r.stdout[-6000:], r.stderr[-3000:])
    assert r.returncode == 0, 'verify_cluster.yml failed (rc %d)' % r.returncode
    with open(report, encoding='utf-8') as f:
        data = json.load(f)
    assert len(data['clusters']) == 1, 'expected one cluster in the report: %s' % data
    return data['clusters'][0]


def _checks(seed, prefix):
    found = [c for c in seed['checks'] if c['name'].startswith(prefix)]
    for c in found:
        print('[%s] %s: %s' % ('PASS' if c['ok'] else 'FAIL', c['name'], c['msg']))
    assert found, 'verify_cluster.yml ran no "%s" check' % prefix
    return [c for c in found if not c['ok']]


def test_seed_balancing(seed):
    print('balance: %s' % json.dumps(seed['balance']['counts'], sort_keys=True))
    assert not _checks(seed, 'balance -')


def test_seed_director_failover_and_failback(seed):
    ha = seed['ha']
    assert ha, 'the failover test did not run'
    print('failover: %s s (bound %s), failback: %s s (bound %s)' % (
        ha['failover']['seconds'], BOUNDS['failover_max_seconds'], ha['failback']['seconds'], BOUNDS['failback_max_seconds']))
    assert not _checks(seed, 'ha -')
    assert ha['failover']['seconds'] <= BOUNDS['failover_max_seconds']


def test_seed_realserver_removal_and_return(seed):
    rs = seed['realserver']
    assert rs, 'the real-server test did not run'
    print('real server %s: removed after %s s (bound %s), back after %s s (bound %s)' % (
        rs['host'], rs['removal']['seconds'], BOUNDS['realserver_removal_max_seconds'],
        rs['return']['seconds'], BOUNDS['realserver_return_max_seconds']))
    assert not _checks(seed, 'realserver -')
    assert rs['removal']['seconds'] <= BOUNDS['realserver_removal_max_seconds']
    assert rs['return']['seconds'] <= BOUNDS['realserver_return_max_seconds']


def test_cluster_healthy_after_the_tests():
    """After the disruptive tests everything is back: one holder, every real server answering through the VIP."""
    pattern = re.compile(r'\binet %s/' % re.escape(VIP))
    now = [d for d in DIRECTORS if pattern.search(guest(d).check_output('ip -o addr show'))]
    assert len(now) == 1, 'VIP holders after the tests: %s' % now
    pages = set()
    for _attempt in range(4 * len(REALSERVERS)):
        r = in_ns('curl', '-s', '-m', '2', 'http://%s:%d/' % (VIP, PORT), timeout=10)
        assert r.returncode == 0, 'request to the VIP failed: %s' % r.stderr
        pages.add(r.stdout.strip())
    assert len(pages) == len(REALSERVERS), 'pages seen through the VIP: %s' % sorted(pages)
