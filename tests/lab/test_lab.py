# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The main job on the built-in lab, one test per stage, in this order (conftest.py boots the guests and reports):

  converge         site.yml -i inventories/lab (the real servers serve the seed's test pages from boot: nginx in the
                   lab image, lab/lablib.py PAGES)
  idempotence      a second site.yml changes nothing on any host
  verify           the seed's section 11.6 tests: playbooks/verify_cluster.yml (director failover and failback,
                   balancing, real-server removal and return) writes verify.json; its numbers go into the report
  cluster-state    one director holds the VIP, its IPVS table is the inventory's, only it answers ARP for the VIP, every
                   real server answers through the VIP
  day2-*           (marker day2) the operator playbooks: status, drain/enable rs1 under load, rolling update with its
                   client probe, failover drill
  power-cut        hard-kill the director holding the VIP, measure until the VIP answers from the other one; boot it
                   again and measure until the VIP is back where the configuration says (preempt / auto_failback)
  scale-out        boot rs3 (its page served from boot) and run site.yml with inventories/lab_scaleout while a client
                   polls the VIP: no request may fail, and rs3 answers through the VIP afterwards
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

import pytest
import yaml

import lab_adapter
from lab_adapter import REPO, Timer

pytestmark = pytest.mark.lab

CLIENT = lab_adapter.load_client()


def _load(path):
    with open(os.path.join(REPO, path), encoding='utf-8') as f:
        return yaml.safe_load(f)


HOSTS = _load('inventories/lab/hosts.yml')['all']['children']
CLUSTER = _load('inventories/lab/group_vars/web_directors.yml')
DIRECTORS = sorted(HOSTS['lvs_directors']['children']['web_directors']['hosts'])
REALSERVERS = HOSTS['lvs_realservers']['children'][CLUSTER.get('lvs_realserver_group', 'lvs_realservers')]['hosts']
SERVICE = CLUSTER['lvs_virtual_services'][0]
VIP, PORT = SERVICE['vip'], SERVICE['port']
FORWARDING = {'dr': 'Route', 'nat': 'Masq', 'tun': 'Tunnel'}
SITE = 'site.yml'
LAB = ['-i', 'inventories/lab']
SCALEOUT = LAB + ['-i', 'inventories/lab_scaleout']
# The playbooks whose client runs as an async task delegated to the controller run under Ansible's own strategy: under
# mitogen_linear (0.3.54) verify_cluster.yml's async client_probe job never reported ("Job reached maximum time limit of
# 90 seconds", no output; lab run of 2026-12-07, keepalived). Everything else runs under mitogen.
LINEAR = True
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def run_stats(text):
    """The set_stats data a run printed ("RUN: {...}" with ANSIBLE_SHOW_CUSTOM_STATS), {} when none."""
    found = re.findall(r'^\s*RUN: (\{.*\})\s*$', text, re.M)
    return json.loads(found[-1]) if found else {}


def one_holder(lab):
    holders = lab.vip_holders(VIP, DIRECTORS)
    assert len(holders) == 1, 'expected exactly one director with the VIP %s, found: %s' % (VIP, holders or 'none')
    return holders[0]


# ---------------------------------------------------------------- converge, pages, idempotence
@pytest.mark.converge
def test_converge(lab):
    rc, dummy = lab.playbook('converge', SITE, *LAB)
    assert rc == 0, 'site.yml failed (rc %d)' % rc


@pytest.mark.converge
def test_idempotence(lab, report):
    rc, text = lab.playbook('idempotence', SITE, *LAB)
    assert rc == 0, 'the second site.yml failed (rc %d)' % rc
    recap = RECAP.findall(text)
    bad = [h for h, c, u, f in recap if (c, u, f) != ('0', '0', '0')]
    assert recap, 'no PLAY RECAP in the output of the second site.yml'
    assert not bad, 'the second site.yml changed something on %s (PLAY RECAP in idempotence.log)' % ', '.join(bad)
    report.note('idempotence (second site.yml)', 'changed=0 on every host (%d)' % len(recap))


# ---------------------------------------------------------------- the seed's tests (section 11.6)
@pytest.mark.seed
def test_verify(lab, report, settings):
    path = os.path.join(report.out, 'verify.json')
    rc, dummy = lab.playbook('verify', 'playbooks/verify_cluster.yml', *LAB + [
        '-e', 'verify_report_file=%s' % path, '-e', 'verify_failover_max_seconds=%d' % settings.failover_max,
        '-e', 'verify_failback_max_seconds=%d' % settings.failback_max], linear=LINEAR)
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            verify = json.load(f)
        if verify.get('clusters'):
            report.add_verify(verify)
    assert rc == 0, 'verify_cluster.yml failed (rc %d; checks in verify.json)' % rc
    assert report.verify, 'verify_cluster.yml wrote no cluster into %s' % path
    failed = [k['name'] for c in report.verify['clusters'] for k in c['checks'] if not k['ok']]
    assert not failed, 'verify_cluster.yml checks failed: %s' % failed


@pytest.mark.seed
def test_cluster_state(lab, report):
    """After the seed's disruptive tests: one holder, its IPVS table as in the inventory, only it answers ARP for the
    VIP (the real servers hold it on lo and stay silent), and every real server answers through the VIP."""
    holder = one_holder(lab)
    table = lab.ssh(holder, 'ipvsadm', '-Ln', check=True).stdout
    sched = SERVICE.get('scheduler', 'wlc')
    lines = table.splitlines()
    head = [i for i, line in enumerate(lines) if re.match(r'^TCP\s+%s:%d\s+%s\b' % (re.escape(VIP), PORT, sched), line)]
    assert len(head) == 1, 'expected one service "TCP %s:%d %s" in the IPVS table of %s:\n%s' % (VIP, PORT, sched, holder, table)
    found = {}
    for line in lines[head[0] + 1:]:
        if not line.startswith('  ->'):
            break
        d = line.split()
        found[d[1]] = (d[2], int(d[3]))
    want = {'%s:%d' % (v['ansible_host'], PORT): (FORWARDING[SERVICE.get('forwarding', 'dr')], int(v.get('lvs_weight', 1)))
            for v in REALSERVERS.values()}
    assert found == want, 'real servers of %s:%d on %s: expected %s, got %s' % (VIP, PORT, holder, want, found)

    for rs in REALSERVERS:
        lo = lab.ssh(rs, 'ip', '-o', 'addr', 'show', 'dev', 'lo', check=True).stdout
        assert re.search(r'\binet %s/32\b' % re.escape(VIP), lo), '%s must hold the VIP on lo (DR real server): %s' % (rs, lo)
    r = lab.in_ns('arping', '-i', 'br0', '-c', '4', VIP, timeout=60)
    macs = set(re.findall(r'\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b', r.stdout.lower()))
    assert macs == {lab.mac(holder)}, 'ARP replies for %s came from %s; expected only %s (%s)' % (VIP, sorted(macs), holder, lab.mac(holder))

    r = lab.client({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': 4 * len(REALSERVERS), 'max_seconds': 30})
    report.note('cluster state: VIP on / answers', '%s / %s' % (holder, CLIENT.pages_line(r['by_page'])))
    assert r['failed'] == 0, 'requests to the VIP failed: %s' % r['failures']
    assert sorted(CLIENT.server_of(p) for p in r['by_page']) == sorted(REALSERVERS), 'pages seen: %s' % r['by_page']


# ---------------------------------------------------------------- day 2: the operator playbooks (issue 8)
@pytest.mark.day2
def test_day2_status(lab, report):
    rc, text = lab.playbook('status', 'playbooks/status.yml', *LAB, json_results=True)
    master = ' '.join(sorted(set(re.findall(r'"\s*(\S+)\s+\S+\s+\S+\s+prio \d+: MASTER, holds ', text))))
    holders = ' '.join(lab.vip_holders(VIP, DIRECTORS))
    problems = re.findall(r'problems: ([^"]*)', text)
    report.note('status: MASTER (status.yml) / VIP on (ip addr)', '%s / %s' % (master or 'none', holders or 'none'))
    report.note('status: problems', problems[-1] if problems else '?')
    assert rc == 0, 'status.yml failed (rc %d)' % rc
    assert master and master == holders, 'status.yml names MASTER %r, the VIP is on %r' % (master, holders)


@pytest.mark.day2
def test_day2_drain(lab, report, settings):
    n = settings.day2_requests
    master = one_holder(lab)
    stop, mark = os.path.join(report.out, 'drain.stop'), os.path.join(report.out, 'drain.mark')
    for f in (stop, mark):
        if os.path.exists(f):
            os.remove(f)
    rs1 = REALSERVERS['rs1']['ansible_host']
    poller = lab.client_start({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 5, 'max_seconds': 600, 'stop': stop,
                               'mark': mark, 'after': n}, 'drain-poll.json')
    try:
        time.sleep(2)
        with Timer() as t:
            rc, dummy = lab.playbook('drain', 'playbooks/drain_realserver.yml', *LAB + [
                '-e', 'lvs_drain_realserver=rs1', '-e', 'lvs_drain_timeout=20', '-e', 'lvs_drain_poll=2',
                '-e', 'lvs_drain_fail_on_timeout=true'])
        report.note('drain: drain_realserver.yml rs1 on %s (s)' % master, t.seconds)
        open(mark if rc == 0 else stop, 'w').close()
        weight = lab.ipvs_weight(master, VIP, PORT, rs1)
        r = lab.client_result(poller, timeout=600)
    finally:
        open(stop, 'w').close()
    assert rc == 0, 'drain_realserver.yml failed (rc %d)' % rc
    assert 'after' in r, 'the client ended before the drain was done: %s' % r
    a = r['after']
    report.note('drain: rs1 IPVS weight on %s after the drain' % master, weight)
    report.note('drain: requests during the drain / failed', '%s / %s' % (r['requests'] - a['requests'], r['failed'] - a['failed']))
    report.note('drain: requests after it / failed', '%s / %s' % (a['requests'], a['failed']))
    report.note('drain: after it, answered by', CLIENT.pages_line(a['by_page']))
    assert weight == '0', 'rs1 has IPVS weight %r on %s after the drain, expected 0' % (weight, master)
    assert r['failed'] == 0, 'requests failed: %s' % r['failures']
    assert a['requests'] == n, 'the client sent %s requests after the drain, expected %d' % (a['requests'], n)
    assert (CLIENT.served(a['by_page'], 'rs2'), CLIENT.served(a['by_page'], 'rs1')) == (n, 0), \
        'after the drain: %s, expected rs2=%d only' % (CLIENT.pages_line(a['by_page']), n)

    with Timer() as t:
        rc, dummy = lab.playbook('enable', 'playbooks/enable_realserver.yml', *LAB + ['-e', 'lvs_enable_realserver=rs1'])
    report.note('enable: enable_realserver.yml rs1 (s)', t.seconds)
    assert rc == 0, 'enable_realserver.yml failed (rc %d)' % rc
    weight = lab.ipvs_weight(master, VIP, PORT, rs1)
    report.note('enable: rs1 IPVS weight on %s' % master, weight)
    r = lab.client({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': n, 'max_seconds': 120}, save='enable-poll.json')
    report.note('enable: requests / failed', '%s / %s' % (r['requests'], r['failed']))
    report.note('enable: answered by', CLIENT.pages_line(r['by_page']))
    assert weight not in ('0', 'absent'), 'rs1 has IPVS weight %r on %s after the enable' % (weight, master)
    assert (r['requests'], r['failed']) == (n, 0), 'after the enable: %s' % r
    n1, n2 = CLIENT.served(r['by_page'], 'rs1'), CLIENT.served(r['by_page'], 'rs2')
    assert n1 + n2 == n and abs(n1 - n2) <= 1, 'after the enable: rs1=%d rs2=%d, expected an even split (rr)' % (n1, n2)


def handlers_run(text):
    """director -> the reload/restart handlers that ran there, 'changed' or 'ok' (heartbeat_ldirectord: ldirectord runs
    on the active director only; the standby reads its new file at takeover)."""
    handlers, handler = {}, None
    for line in text.splitlines():
        # piranha's binaries install mode reloads or restarts pulse in tasks (tasks/pulse.yml), not in handlers
        m = (re.match(r'RUNNING HANDLER \[(?:[^\]]*: )?((?:Reload|Restart) [^\]]+)\]', line)
             or re.match(r'TASK \[lvs\.cluster\.director_piranha : ((?:Reload|Restart) pulse[^\]]*)\]', line))
        if m or re.match(r'(TASK|PLAY|RUNNING HANDLER) \[', line):
            handler = m.group(1) if m else None
            continue
        m = re.match(r'(changed|ok): \[([^\]\s]+)\]', line)
        if handler and m:
            handlers.setdefault(m.group(2), []).append('%s (%s)' % (handler.lower(), m.group(1)))
    return handlers


@pytest.mark.day2
def test_day2_rolling_update(lab, report):
    # a changed lvs_notification_email changes keepalived.conf / ldirectord.cf: every director reloads.
    # piranha's lvs.cf has no e-mail, and pulse never rereads lvs.cf: the one change it takes without a restart (so without
    # the VIP moving) is a real server added to a virtual block (lvsd rereads the file on SIGHUP). So the piranha update
    # adds rs3 (inventories/lab_scaleout; not booted here: its nanny finds it down and keeps it out of the table).
    change = (['-i', 'inventories/lab_scaleout'] if lab.backend == 'piranha'
              else ['-e', '{"lvs_notification_email": ["lab-day2@example.org"]}'])
    with Timer() as t:
        rc, text = lab.playbook('rolling-update', 'playbooks/rolling_update.yml', *LAB + change + [
            '-e', 'lvs_rolling_probe=true'], json_results=True, linear=LINEAR)
    report.note('rolling update: duration (s)', t.seconds)
    stats = run_stats(text)
    order = re.findall(r'Directors, in this order: ([^;]+);', text)
    probe = re.findall(r'"(\d+) requests in ([\d.]+) s, (\d+) failed"', text)
    handlers = handlers_run(text)
    report.note('rolling update: order', order[0] if order else '?')
    if probe:
        report.note('rolling update: client probe requests / failed', '%s / %s' % (probe[-1][0], probe[-1][2]))
        report.note('rolling update: client probe duration (s)', probe[-1][1])
    report.note('rolling update: set_stats requests / failed',
                '%s / %s' % (stats.get('lvs_rolling_requests'), stats.get('lvs_rolling_failed_requests')))
    report.note('rolling update: handlers run', '; '.join('%s: %s' % (h, ', '.join(v)) for h, v in sorted(handlers.items())) or 'none')
    assert rc == 0, 'rolling_update.yml failed (rc %d)' % rc
    assert len(probe) == 1, 'expected one client probe report in the output, found %d' % len(probe)
    assert int(probe[0][0]) > 0 and int(probe[0][2]) == 0, 'client probe: %s requests, %s failed (goal: some, 0 failed)' % (probe[0][0], probe[0][2])
    assert str(stats.get('lvs_rolling_failed_requests')) == '0', 'set_stats lvs_rolling_failed_requests = %r' % stats.get('lvs_rolling_failed_requests')
    for d in DIRECTORS:
        assert any(h.startswith('reload ') for h in handlers.get(d, [])), 'no reload handler ran on %s (the changed configuration notifies one)' % d


@pytest.mark.day2
def test_day2_failover_drill(lab, report):
    with Timer() as t:
        rc, text = lab.playbook('failover-drill', 'playbooks/failover_drill.yml', *LAB + ['--limit', 'web_directors'], json_results=True)
    report.note('failover drill: duration (s)', t.seconds)
    stats = run_stats(text)
    fwd = re.findall(r'([^\s"]+) -> (\S+): ([\d.]+) s until the backup answered for every VIP \(\'([^\']+)\' took ([\d.]+) s', text)
    back = re.findall(r'([^\s"]+) -> (\S+): ([\d.]+) s \(measured on ([^\s,]+), (.+?) took ([\d.]+) s of it', text)
    for a, b, s, label, trig in fwd:
        report.note('failover drill: %s -> %s, VIPs moved (s)' % (a, b), '%s (%s: %s s of it)' % (s, label, trig))
    for a, b, s, on, label, trig in back:
        report.note('failover drill: %s -> %s, VIPs back (s)' % (a, b), '%s (measured on %s; %s: %s s of it)' % (s, on, label, trig))
    report.note('failover drill: set_stats', json.dumps(stats.get('lvs_drill'), sort_keys=True))
    assert rc == 0, 'failover_drill.yml failed (rc %d)' % rc
    holders = lab.vip_holders(VIP, DIRECTORS)
    report.note('failover drill: VIP on after the drill', ' '.join(holders) or 'none')
    drill = stats.get('lvs_drill') or {}
    assert drill and all(isinstance(c.get(k), (int, float)) and c[k] > 0 for c in drill.values()
                         for k in ('to_backup_seconds', 'to_primary_seconds')), 'switch times missing in set_stats: %r' % drill
    assert holders == [DIRECTORS[0]], 'the VIP should be back on the primary %s, holders: %s' % (DIRECTORS[0], holders)


# ---------------------------------------------------------------- lab only: power cut of the director holding the VIP
@pytest.mark.powercut
def test_power_cut(lab, report, settings):
    holder = one_holder(lab)
    other = [d for d in DIRECTORS if d != holder][0]
    mac_holder, mac_other = lab.mac(holder), lab.mac(other)
    print('VIP on %s (%s); killing its VM; expecting %s (%s) to serve the VIP' % (holder, mac_holder, other, mac_other))
    t0 = time.time()
    lab.kill(holder)
    r = lab.client({'mode': 'wait', 'vip': VIP, 'port': PORT, 'since': t0, 'max_seconds': settings.kill_max, 'interval': 0.25,
                    'macs': [mac_other]}, save='kill-failover.json')
    report.note('power cut: %s killed, VIP answers from %s (s)' % (holder, other), r['seconds'])
    report.note('power cut: failed requests meanwhile', '%s of %s' % (r['failed'], r['requests']))
    assert r['met'], 'the VIP did not answer from %s within %d s' % (other, settings.kill_max)

    with Timer() as t:
        lab.start(holder)
    report.note('power cut: %s boot to SSH (s)' % holder, t.seconds)
    # the model's cluster.failback (keepalived preempt, heartbeat auto_failback, piranha never): as verify_cluster.yml
    # read it when the seed's tests ran, else resolved from the lab inventory
    failback = lab_adapter.lab_cluster(lab.backend)['failback']
    back_expected = failback['expected']
    if report.verify:
        back_expected = bool(report.verify['clusters'][0]['ha']['failback_expected'])
    back_max = settings.back_max + failback['delay_seconds']
    if back_expected:
        r = lab.client({'mode': 'wait', 'vip': VIP, 'port': PORT, 'since': time.time(), 'max_seconds': back_max,
                        'interval': 0.25, 'macs': [mac_holder]}, save='kill-failback.json')
        report.note('power cut: VIP back on %s after its SSH is up (s)' % holder, r['seconds'])
        report.note('power cut: failed requests during the return', '%s of %s' % (r['failed'], r['requests']))
        assert r['met'], 'the VIP did not come back to %s within %d s' % (holder, back_max)
        assert lab.vip_holders(VIP, DIRECTORS) == [holder], 'VIP holders after the return: %s' % lab.vip_holders(VIP, DIRECTORS)
    else:
        time.sleep(15)
        assert lab.vip_holders(VIP, DIRECTORS) == [other], 'the VIP should have stayed on %s (no failback)' % other
        report.note('power cut: VIP stays on %s (no failback)' % other, 'yes')


# ---------------------------------------------------------------- issue 5: scale-out under load, zero failed requests
@pytest.mark.scaleout
def test_scale_out(lab, report, settings):
    stop = os.path.join(report.out, 'poll.stop')
    if os.path.exists(stop):
        os.remove(stop)
    with Timer() as t:
        lab.up('rs3')
    report.note('scale-out: rs3 boot to SSH (s)', t.seconds)
    print('client polling http://%s/ at %s requests/s during site.yml with rs3 added' % (VIP, settings.poll_rate))
    poller = lab.client_start({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': settings.poll_rate, 'max_seconds': 1800,
                               'stop': stop}, 'scaleout-poll.json')
    try:
        time.sleep(2)
        with Timer() as t:
            rc, dummy = lab.playbook('scaleout-site', SITE, *SCALEOUT)
        report.note('scale-out: site.yml with rs3 (s)', t.seconds)
        # until the health checks take rs3 in (at most 30 s), still polling
        with Timer() as t:
            deadline = time.time() + 30
            while rc == 0 and time.time() < deadline:
                seen = lab.client({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': 6, 'max_seconds': 5})
                if CLIENT.served(seen['by_page'], 'rs3'):
                    break
        report.note('scale-out: rs3 answers through the VIP after the run (s)', t.seconds)
    finally:
        open(stop, 'w').close()
    r = lab.client_result(poller)
    report.note('scale-out: requests sent / failed', '%s / %s' % (r['requests'], r['failed']))
    report.note('scale-out: answers per page', CLIENT.pages_line(r['by_page']))
    assert rc == 0, 'site.yml with rs3 failed (rc %d)' % rc
    assert r['failed'] == 0, 'requests failed during the scale-out: %s' % r['failures']
    assert r['requests'] > 0, 'the client sent no request'
    # rs3 must now be in rotation: 12 requests (rr over 3) must reach it
    r = lab.client({'mode': 'poll', 'vip': VIP, 'port': PORT, 'rate': 10, 'count': 12, 'max_seconds': 30})
    report.note('scale-out: after the run, answers per page', CLIENT.pages_line(r['by_page']))
    assert CLIENT.served(r['by_page'], 'rs3') > 0, 'rs3 does not answer through the VIP after the scale-out: %s' % r
