# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults beyond a power cut (marker ``faults``; ``make lab-faults``), after the converge stages of test_lab.py.

Each fault runs under a bounded client load from inside the lab namespace (lab/client.py ``poll``: 5 requests/s, a
stop file, at most FAULT_MAX seconds) and is measured: the client-visible outage (the longest time from a failed
request to the next answered one), the failed requests, whether exactly one director holds the VIP at the end, and
the time to heal. Every fault ends with the cluster healthy again (or the test fails and the later stages are
skipped). The rows go to OUT/faults.json; tests/lab/faults_table.py turns the files of several backends into the
table of docs/faults.md.

  partition        the directors lose sight of each other (each drops the other's packets), the clients still reach
                   both; held PARTITION_SECONDS, then healed: exactly one VIP holder within HEAL_MAX
  director-reboot  systemctl reboot of the director holding the VIP: VIP, IPVS table and daemons back without Ansible
  realserver-reboot  systemctl reboot of rs1: the VIP on lo and the ARP sysctls are in place before nginx starts
  daemon-sigkill   SIGKILL of the HA daemon (and of ldirectord) on the VIP holder: systemd restarts it, one holder
  realserver-flap  nginx on rs1 stopped and started FLAP_CYCLES times: the checker takes it out and back
  bad-push         an invalid inventory (refused by the model) and a file its daemon refuses (escape-hatch line),
                   pushed under load: refused before the running file changes, 0 failed requests
  stream-sync      (keepalived) a slow download across a director failover, with lvs_sync_daemon off and on
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

import pytest

from lab_adapter import lab_cluster
from test_lab import DIRECTORS, HOSTS, LAB, PORT, REALSERVERS, VIP, one_holder

pytestmark = [pytest.mark.lab, pytest.mark.faults]

RATE = 5                 # client requests per second during a fault
FAULT_MAX = 600          # no fault's client runs longer than this (s)
PARTITION_SECONDS = 20   # how long the directors do not see each other
HEAL_MAX = 60            # partition healed -> exactly one holder (s)
BOOT_MAX = 480           # a rebooted guest answers SSH again (s; TCG guests on a loaded 2-core host showed soft lockups past 300 s)
RETURN_MAX = 120         # rebooted / restarted director -> VIP where the configuration wants it (s)
RESTART_MAX = 60         # SIGKILLed daemon active again (s)
FLAP_CYCLES, FLAP_DOWN, FLAP_UP = 4, 3, 6
STREAM = {'path': '/lab-stream.bin', 'bytes': 12 * 1024 * 1024, 'rate': 8, 'chunk': 65536}  # 512 KiB/s: 24 s

# What each backend runs on a director: the HA daemon (failover), the processes to SIGKILL, the units that must be
# active, the escape-hatch variable whose bad line the daemon's own parser refuses, whether every director keeps the
# IPVS table filled (piranha's lvsd runs on the active director only). Whether the lab's cluster fails back is the
# model's cluster.failback (lab_cluster below), not a property of the backend written here.
BACKEND = {
    'keepalived': {'units': ['keepalived'], 'kill': [('keepalived', ['pkill', '-KILL', '-x', 'keepalived'])],
                   'bad_var': {'director_keepalived_global_defs_extra': ['lvs_lab_no_such_keyword 1']},
                   'config': '/etc/keepalived/keepalived.conf', 'sync': True, 'table_everywhere': True},
    'heartbeat_ldirectord': {'units': ['heartbeat', 'lvs-ldirectord'],
                             'kill': [('ldirectord', ['pkill', '-KILL', '-F', '/run/ldirectord.ldirectord.cf.pid']),
                                      ('heartbeat', ['pkill', '-KILL', '-f', '^heartbeat: '])],
                             'bad_var': {'director_heartbeat_ldirectord_extra_global_lines': ['lvs_lab_no_such_directive = 1']},
                             'config': '/etc/ha.d/ldirectord.cf', 'sync': False, 'table_everywhere': True},
    'piranha': {'units': ['pulse'], 'kill': [('pulse', ['pkill', '-KILL', '-x', 'pulse'])],
                'bad_var': None, 'config': '/etc/sysconfig/ha/lvs.cf', 'sync': True, 'table_everywhere': False},
}
ROWS = []


def backend(lab):
    return BACKEND[lab.backend]


def record(report, fault, res, holders, heal, ok, note=''):
    """One row of the fault table (OUT/faults.json) and the report's lines."""
    row = {'backend': None, 'fault': fault,
           'outage_seconds': res.get('outage_seconds') if res else None,
           'requests': res.get('requests') if res else None, 'failed': res.get('failed') if res else None,
           'holders_at_end': holders, 'heal_seconds': heal, 'ok': ok, 'note': note}
    ROWS.append(row)
    report.note('fault %s: outage (s) / failed of requests' % fault,
                '%s / %s of %s' % (row['outage_seconds'], row['failed'], row['requests']) if res else 'n/a')
    end = '%s / %s%s' % (' '.join(holders) or 'none', heal, ('; ' + note) if note else '')
    report.note('fault %s: VIP on at the end / heal (s)' % fault, end)


@pytest.fixture(scope='module', autouse=True)
def fault_rows(lab, report):
    del ROWS[:]
    yield
    for row in ROWS:
        row['backend'] = lab.backend
    with open(os.path.join(report.out, 'faults.json'), 'w') as f:
        json.dump({'backend': lab.backend, 'mitogen': bool(lab.strategy_dir), 'rows': ROWS}, f, indent=1, sort_keys=True)


class Load(object):
    """A client polling the VIP in the background while a fault happens (bounded: a stop file and FAULT_MAX)."""

    def __init__(self, lab, report, name):
        self.lab, self.stop = lab, os.path.join(report.out, name + '.stop')
        if os.path.exists(self.stop):
            os.remove(self.stop)
        self.started = lab.client_start({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': RATE, 'max_seconds': FAULT_MAX,
                                         'stop': self.stop}, name + '-poll.json')
        time.sleep(2)

    def result(self, settle=3):
        time.sleep(settle)
        open(self.stop, 'w').close()
        return self.lab.client_result(self.started, timeout=FAULT_MAX + 60)


def wait_for(what, bound, probe, interval=1.0):
    """Seconds until probe() is true (at most BOUND), or None."""
    t0 = time.time()
    while time.time() - t0 < bound:
        if probe():
            return round(time.time() - t0, 1)
        time.sleep(interval)
    print('%s: not within %s s' % (what, bound))
    return None


def units_active(lab, host, units):
    r = lab.ssh(host, 'systemctl', 'is-active', *units, timeout=30)
    return r.returncode == 0 and all(w == 'active' for w in r.stdout.split())


def expected_holder(lab, report):
    """The director that holds the VIP when all are up: the primary, unless the cluster does not fail back (the
    model's cluster.failback: as the seed's tests read it, else resolved here from the lab inventory)."""
    cluster = lab_cluster(lab.backend)
    if report.verify:
        fails_back = report.verify['clusters'][0]['ha']['failback_expected']
    else:
        fails_back = cluster['failback']['expected']
    return cluster['primary'] if fails_back else None


def settled(lab, report):
    """Exactly one holder, the expected one when the configuration says which, and the VIP answering."""
    holders = lab.vip_holders(VIP, DIRECTORS)
    want = expected_holder(lab, report)
    return len(holders) == 1 and (want is None or holders == [want])


def reboot_and_wait(lab, host):
    """systemctl reboot on HOST; seconds until it answers SSH again (it goes away first)."""
    t0 = time.time()
    lab.ssh(host, 'systemctl', '--no-block', 'reboot', timeout=30)
    wait_for('%s down' % host, 60, lambda: not lab.lab.ssh_ok(host), interval=0.5)
    up = wait_for('%s SSH' % host, BOOT_MAX, lambda: lab.lab.ssh_ok(host), interval=2)
    assert up is not None, '%s did not answer SSH within %d s of its reboot' % (host, BOOT_MAX)
    return round(time.time() - t0, 1)


def table_has_service(lab, host):
    r = lab.ssh(host, 'ipvsadm', '-Ln', '-t', '%s:%d' % (VIP, PORT), timeout=30)
    return r.returncode == 0 and ' -> ' in r.stdout.replace('  ->', ' -> ')


def in_service(lab, report, host, units):
    """HOST's units active, the cluster settled, and the IPVS table filled: on HOST where every director keeps it,
    else on the VIP's holder."""
    if not units_active(lab, host, units) or not settled(lab, report):
        return False
    if backend(lab)['table_everywhere']:
        return table_has_service(lab, host)
    return all(table_has_service(lab, h) for h in lab.vip_holders(VIP, DIRECTORS))


def table_where(lab):
    return 'its IPVS table filled' if backend(lab)['table_everywhere'] else "the holder's IPVS table filled"


# ---------------------------------------------------------------- partition between the directors only
def test_fault_partition(lab, report):
    holder = one_holder(lab)
    addr = {d: HOSTS['lvs_directors']['children']['web_directors']['hosts'][d]['ansible_host'] for d in DIRECTORS}
    load = Load(lab, report, 'fault-partition')
    rules = []
    try:
        for d in DIRECTORS:
            for peer in DIRECTORS:
                if peer != d:
                    rule = ['INPUT', '-s', addr[peer], '-m', 'comment', '--comment', 'lvs-lab-partition', '-j', 'DROP']
                    lab.ssh(d, 'iptables', '-I', *rule, check=True, timeout=30)
                    rules.append((d, rule))
        time.sleep(PARTITION_SECONDS)
        during = lab.vip_holders(VIP, DIRECTORS)
    finally:
        for d, rule in rules:
            lab.ssh(d, 'iptables', '-D', *rule, timeout=30)
    heal = wait_for('one VIP holder after the partition', HEAL_MAX, lambda: settled(lab, report))
    res = load.result()
    holders = lab.vip_holders(VIP, DIRECTORS)
    note = 'during the partition the VIP was on %s (held by %s before)' % (' and '.join(during) or 'none', holder)
    record(report, 'partition', res, holders, heal, heal is not None, note)
    assert heal is not None, 'the partition healed but the VIP holders are still %s after %d s' % (holders, HEAL_MAX)


# ---------------------------------------------------------------- a director reboots
def test_fault_director_reboot(lab, report):
    holder = one_holder(lab)
    units = backend(lab)['units']
    load = Load(lab, report, 'fault-director-reboot')
    boot = reboot_and_wait(lab, holder)
    back = wait_for('%s back in service' % holder, RETURN_MAX, lambda: in_service(lab, report, holder, units))
    res = load.result()
    holders = lab.vip_holders(VIP, DIRECTORS)
    record(report, 'director-reboot', res, holders, back, back is not None,
           '%s rebooted, SSH after %s s; units %s active, %s, without Ansible' % (holder, boot, ' '.join(units), table_where(lab)))
    assert back is not None, ('%s rebooted: within %d s its units %s were not all active, the IPVS table empty or the VIP '
                              'not where the configuration wants it (holders %s)' % (holder, RETURN_MAX, units, holders))


# ---------------------------------------------------------------- a real server reboots
def test_fault_realserver_reboot(lab, report):
    rs = 'rs1'
    load = Load(lab, report, 'fault-realserver-reboot')
    boot = reboot_and_wait(lab, rs)
    lo = lab.ssh(rs, 'ip', '-o', 'addr', 'show', 'dev', 'lo', check=True, timeout=30).stdout
    sysctl = lab.ssh(rs, 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce', check=True,
                     timeout=30).stdout.split()
    # the real-server unit must have finished before nginx started (monotonic times of this boot)
    show = lab.ssh(rs, 'systemctl', 'show', '-p', 'Id', '-p', 'ActiveEnterTimestampMonotonic', '-p',
                   'ExecMainStartTimestampMonotonic', 'lvs-realserver.service', 'nginx.service', check=True, timeout=30).stdout
    times = {}
    for block in show.strip().split('\n\n'):
        props = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        times[props.get('Id')] = props
    rs_ready = int(times['lvs-realserver.service']['ActiveEnterTimestampMonotonic'])
    nginx_start = int(times['nginx.service']['ExecMainStartTimestampMonotonic'])
    back = wait_for('rs1 in rotation again', RETURN_MAX, lambda: lab.client(
        {'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': 6, 'max_seconds': 20})['by_page'].get('This is real server1'))
    res = load.result()
    ok = bool(re.search(r'\binet %s/32\b' % re.escape(VIP), lo)) and sysctl == ['1', '2'] and 0 < rs_ready <= nginx_start
    record(report, 'realserver-reboot', res, lab.vip_holders(VIP, DIRECTORS), back, ok and back is not None,
           'rs1 SSH after %s s; VIP on lo, arp_ignore/arp_announce %s, lvs-realserver ready %.1f s before nginx started'
           % (boot, '/'.join(sysctl), (nginx_start - rs_ready) / 1e6))
    assert re.search(r'\binet %s/32\b' % re.escape(VIP), lo), 'rs1 lost the VIP on lo across its reboot: %s' % lo
    assert sysctl == ['1', '2'], 'rs1 arp_ignore/arp_announce after its reboot: %s, expected 1/2' % sysctl
    assert 0 < rs_ready <= nginx_start, 'lvs-realserver.service (%d) was not ready before nginx started (%d)' % (rs_ready, nginx_start)
    assert back is not None, 'rs1 was not back in rotation within %d s of its reboot' % RETURN_MAX


# ---------------------------------------------------------------- SIGKILL of the daemons on the VIP holder
@pytest.mark.parametrize('which', [0, 1], ids=['first-daemon', 'second-daemon'])
def test_fault_daemon_sigkill(lab, report, which):
    kills = backend(lab)['kill']
    if which >= len(kills):
        pytest.skip('the %s backend runs one daemon' % lab.backend)
    name, argv = kills[which]
    holder = one_holder(lab)
    units = backend(lab)['units']
    load = Load(lab, report, 'fault-sigkill-%s' % name)
    r = lab.ssh(holder, *argv, timeout=30)
    assert r.returncode == 0, 'no %s process to kill on %s (%s)' % (name, holder, r.stderr)
    time.sleep(2)
    back = wait_for('%s restarted on %s and the cluster settled' % (name, holder), RESTART_MAX + RETURN_MAX,
                    lambda: in_service(lab, report, holder, units))
    res = load.result()
    holders = lab.vip_holders(VIP, DIRECTORS)
    record(report, 'sigkill-%s' % name, res, holders, back, back is not None, 'SIGKILL of %s on %s' % (name, holder))
    assert back is not None, ('after SIGKILL of %s on %s: units %s not all active again, or the VIP holders are %s, '
                              'within %d s' % (name, holder, units, holders, RESTART_MAX + RETURN_MAX))


# ---------------------------------------------------------------- a flapping real server
def test_fault_realserver_flap(lab, report):
    load = Load(lab, report, 'fault-realserver-flap')
    try:
        for dummy in range(FLAP_CYCLES):
            lab.ssh('rs1', 'systemctl', 'stop', 'nginx', check=True, timeout=60)
            time.sleep(FLAP_DOWN)
            lab.ssh('rs1', 'systemctl', 'start', 'nginx', check=True, timeout=60)
            time.sleep(FLAP_UP)
    finally:
        lab.ssh('rs1', 'systemctl', 'start', 'nginx', timeout=60)
    back = wait_for('rs1 in rotation after the flapping', RETURN_MAX, lambda: lab.client(
        {'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': 6, 'max_seconds': 20})['by_page'].get('This is real server1'))
    res = load.result()
    record(report, 'realserver-flap', res, lab.vip_holders(VIP, DIRECTORS), back, back is not None,
           'nginx on rs1 down %d s / up %d s, %d times' % (FLAP_DOWN, FLAP_UP, FLAP_CYCLES))
    assert back is not None, 'rs1 was not back in rotation within %d s after the flapping ended' % RETURN_MAX


# ---------------------------------------------------------------- a bad change pushed while the cluster serves
def test_fault_bad_push(lab, report):
    holder = one_holder(lab)
    conf = backend(lab)['config']
    before = lab.ssh(holder, 'sha256sum', conf, check=True, timeout=30).stdout.split()[0]
    load = Load(lab, report, 'fault-bad-push')
    # 1. refused by the model on the controller: nothing reaches a host
    rc1, out1 = lab.playbook('fault-bad-push-model', 'playbooks/directors.yml', *LAB + [
        '-e', '{"lvs_virtual_services": [{"name": "www", "vip": "%s", "port": %d, "scheduler": "no-such"}]}' % (VIP, PORT)])
    # 2. a line the daemon's own parser refuses (escape hatch): the template's validate step keeps the running file
    bad = backend(lab)['bad_var']
    rc2, out2 = (None, '')
    if bad:
        rc2, out2 = lab.playbook('fault-bad-push-daemon', 'playbooks/directors.yml', *LAB + ['-e', json.dumps(bad)])
    res = load.result()
    after = lab.ssh(holder, 'sha256sum', conf, check=True, timeout=30).stdout.split()[0]
    holders = lab.vip_holders(VIP, DIRECTORS)
    ok = rc1 != 0 and (rc2 is None or rc2 != 0) and before == after and res['failed'] == 0
    record(report, 'bad-push', res, holders, 0, ok,
           'model refusal rc %s%s; %s unchanged: %s' % (rc1, '' if rc2 is None else ', daemon refusal rc %s' % rc2, conf, before == after))
    # directors.yml refuses in the roles' first task (lvs.cluster.cluster_model), site.yml in its validate play: either way
    # the message names the variable and no host was changed
    assert rc1 != 0, 'the invalid inventory was not refused on the controller (rc 0)'
    assert 'lvs_virtual_services[0].scheduler' in out1, 'the refusal does not name lvs_virtual_services[0].scheduler'
    changed = re.findall(r'\bchanged=(\d+)', out1)
    assert changed and set(changed) == {'0'}, 'the refused push changed hosts: changed=%s' % changed
    if bad:
        assert rc2 != 0, 'the line the daemon refuses was accepted (rc 0)'
    assert before == after, '%s on %s changed although the push was refused' % (conf, holder)
    assert res['failed'] == 0, 'requests failed while bad changes were pushed: %s' % res['failures']


# ---------------------------------------------------------------- a long download across a failover, sync off and on
def _stream_across_failover(lab, report, sync):
    holder = one_holder(lab)
    name = 'stream-sync-%s' % ('on' if sync else 'off')
    rc, dummy = lab.playbook('fault-%s-converge' % name, 'playbooks/directors.yml', *LAB + ['-e', json.dumps({'lvs_sync_daemon': sync})])
    assert rc == 0, 'directors.yml with lvs_sync_daemon=%s failed (rc %d)' % (sync, rc)
    wait_for('cluster settled before the stream', RETURN_MAX, lambda: settled(lab, report))
    time.sleep(3)  # let the sync daemons start
    started = lab.client_start({'mode': 'stream', 'vip': VIP, 'port': PORT, 'path': STREAM['path'], 'rate': STREAM['rate'],
                                'chunk': STREAM['chunk'], 'max_seconds': 120, 'timeout': 10}, 'fault-%s.json' % name)
    time.sleep(6)
    units = backend(lab)['units']
    lab.ssh(holder, 'systemctl', 'stop', units[0], check=True, timeout=60)
    try:
        res = lab.client_result(started, timeout=240)
    finally:
        lab.ssh(holder, 'systemctl', 'start', units[0], timeout=60)
    back = wait_for('%s back after the stream test' % holder, RETURN_MAX, lambda: settled(lab, report))
    record(report, name, None, lab.vip_holders(VIP, DIRECTORS), back, res['complete'] == sync or res['complete'],
           'download of %d bytes across the failover: %s after %s s (%s bytes read%s)' % (
               STREAM['bytes'], 'completed' if res['complete'] else 'broken', res['seconds'], res['bytes'],
               ', ' + res['error'] if res['error'] else ''))
    return res, back


def test_fault_stream_sync(lab, report):
    if not backend(lab)['sync']:
        pytest.skip('the %s backend does not run the IPVS connection sync daemon (the model refuses lvs_sync_daemon)' % lab.backend)
    for rs in list(REALSERVERS) + [h for h in ('rs3',) if lab.lab.guest_pid(h)]:  # rs3 after the scale-out stage
        # one command line for the guest's shell (ssh joins its arguments into one string: no nested quoting)
        lab.ssh(rs, 'test -s /var/www/html%s || head -c %d /dev/zero > /var/www/html%s' % (
            STREAM['path'], STREAM['bytes'], STREAM['path']), check=True, timeout=120)
    try:
        off, back_off = _stream_across_failover(lab, report, False)
        on, back_on = _stream_across_failover(lab, report, True)
    finally:
        rc, dummy = lab.playbook('fault-stream-restore', 'playbooks/directors.yml', *LAB)
    assert rc == 0, 'directors.yml (back to the inventory) failed (rc %d)' % rc
    assert back_off is not None and back_on is not None, 'the VIP did not come back after the stream tests'
    assert on['complete'], 'with lvs_sync_daemon on, the download broke at the failover: %s' % on
