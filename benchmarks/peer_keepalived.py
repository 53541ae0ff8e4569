#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.cluster.director_keepalived against the most-used peer role, evrardjp/ansible-keepalived, on the lab (issue 13).

The same directors job on both sides, on fresh lab guests dr1 and dr2 (203.0.113.11/12; the real servers rs1/rs2,
203.0.113.21/22, are in the inventories but not booted: converge and no-op times are what is measured):

  - one VRRP instance: VIP 203.0.113.100 on eth0, VRID 51, PASS authentication, advert_int 1, unicast between the two
    directors; dr1 MASTER priority 150, dr2 BACKUP priority 100;
  - one LVS virtual_server 203.0.113.100:80, rr, DR, TCP, with an HTTP_GET check (path /, status 200, connect
    timeout 2 s, retry 1, delay_before_retry 1 s, delay_loop 2 s) on rs1 and rs2, weight 1;
  - the packages keepalived and ipvsadm, state present.

Ours: a play applying lvs.cluster.director_keepalived to lvs_directors (gather_facts false: the role gathers the
distribution facts it needs), the job as lvs_* inventory variables (docs/model.md). Peer: a play applying the role
at --peer-role (a checkout of https://github.com/evrardjp/ansible-keepalived that the user of this script fetched;
it is never vendored here nor downloaded by this script) to the same hosts, with the job as its keepalived_instances,
keepalived_virtual_servers and keepalived_scripts_packages (its README, defaults/main.yml and templates), plus
keepalived_use_latest_stable false (state present, as ours) and the smallest fact gathering it works with
(gather_subset !all: it reads distribution, os_family, pkg_mgr and selinux facts), so it is not charged for facts it
does not read. Both inventories are generated into OUT's directory (generated/ours, generated/peer).

The lab guests have no package mirror: the peer's apt cache refresh (update_cache with cache_valid_time from its
cache_timeout, 600 s) fails its package task there after 5 retries, so the peer gets cache_timeout of ten years and
never refreshes (with a mirror it would refresh on a first converge: this favours the peer). The peer's template
validation is off by default (extra variable keepalived_config_testable false; --peer-validate keeps it): its
HTTP_GET block always prints `nb_get_retry`, which keepalived 2.2.7 (Debian 12, the lab) calls deprecated, and
`keepalived --config-test` then exits 5, so the peer's own validate refuses its own file and the play fails. Without
it the peer saves a keepalived start per run while ours validates: that makes the comparison harder for ours, not
easier. Skipped tasks are not displayed on either side (the default callback prints a skipped loop item whole, and
the peer's loops over keepalived_instances would put the VRRP password in the logs).

Each round (side x strategy) starts on fresh guests: the lab is taken down (guests, taps, namespace, overlays and
every process left in the namespace, e.g. SSH control masters) and dr1 dr2 are booted again on new copy-on-write
disks over the cached image (lab/lablib.py); SSH control sockets get a new directory per round. Then the play runs
twice: converge (the first run, wall clock) and no-op (the second run, which must report changed=0; the changed
count is reported when it does not). Every ansible-playbook run has a timeout (--timeout) and runs inside the lab's
network namespace (lab_adapter); nothing is sent elsewhere. --mitogen both (default) runs every side with mitogen's
mitogen_linear strategy and with Ansible's own linear strategy over SSH with pipelining (the repository's
ansible.cfg).

Prints a table (side x converge, no-op x strategy), the ratios ours/peer and whether the target (at most 0.8 for
converge and no-op, with and without mitogen) is met; writes the numbers as JSON to --out. A benchmark prints
numbers: it exits 0 whatever they are (1 only when it could not run, e.g. no peer role, no root, no lab).

Usage (root; the lab lock /run/lvs-lab.lock is taken for the whole job, or used when the caller holds it, as `make
lab` does with flock):

  git clone https://github.com/evrardjp/ansible-keepalived /tmp/ansible-keepalived     # the peer role, by you
  flock /run/lvs-lab.lock .venv/bin/python benchmarks/peer_keepalived.py --peer-role /tmp/ansible-keepalived
  .venv/bin/python benchmarks/peer_keepalived.py --peer-role /tmp/ansible-keepalived --dry-run   # no lab

About 4 rounds x (boot of two TCG guests, converge, no-op): 15-30 minutes with --mitogen both on the 2-core machine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
LAB_TESTS = os.path.join(REPO, 'tests', 'lab')
DEFAULT_OUT = os.path.join(REPO, 'lab', 'run', 'peer-bench', 'result.json')
PEER_URL = 'https://github.com/evrardjp/ansible-keepalived'
TARGET = 0.8
SIDES = ('ours', 'peer')
STRATEGIES = {'on': ('mitogen',), 'off': ('ssh',), 'both': ('mitogen', 'ssh')}
STRATEGY_TEXT = {'mitogen': 'mitogen_linear', 'ssh': 'linear (ssh, pipelining)'}
PHASES = ('converge', 'noop')
HOSTS = ('dr1', 'dr2')
MASKED = '<lab-only password, in the generated file>'
# The peer's package task refreshes the apt cache when it is older than cache_timeout (its default 600 s); the lab
# guests have no mirror, and apt then fails the task after 5 retries (about 30 s). Ten years: the image's lists count
# as fresh, so the peer never tries (a cost it would pay on a first converge with a mirror: this favours the peer).
PEER_CACHE_TIMEOUT = 315360000

# The job, one place for both sides (addresses of the lab's plan, lab/README.md "Address plan").
JOB = {
    'directors': [('dr1', '203.0.113.11', 'MASTER', 150), ('dr2', '203.0.113.12', 'BACKUP', 100)],
    'realservers': [('rs1', '203.0.113.21'), ('rs2', '203.0.113.22')],
    'interface': 'eth0',
    'vip': '203.0.113.100',
    'port': 80,
    'vrid': 51,
    'advert_int': 1,
    'auth_type': 'PASS',
    'auth_pass': 'bench-vr',  # lab only (at most 8 characters, what keepalived keeps)
    'instance': 'VI_web',
    'check': {'path': '/', 'status_code': 200, 'timeout': 2, 'retry': 1, 'delay_before_retry': 1, 'interval': 2},
    'packages': ['keepalived', 'ipvsadm'],
}

RECAP = re.compile(r'^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
                   r'failed=(?P<failed>\d+)(?:\s+skipped=(?P<skipped>\d+))?(?:\s+rescued=(?P<rescued>\d+))?(?:\s+ignored=(?P<ignored>\d+))?')


# ---------------------------------------------------------------- arguments

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog='See the module docstring (and docs/performance.md) for details.')
    p.add_argument('--peer-role', required=True, metavar='PATH',
                   help='a checkout of %s (fetched by you; this script never downloads it)' % PEER_URL)
    p.add_argument('--mitogen', choices=sorted(STRATEGIES), default='both',
                   help='on: mitogen_linear only; off: Ansible\'s linear over SSH only; both (default)')
    p.add_argument('--side', choices=('both',) + SIDES, default='both', help='which side(s) to run (both: the ratios need both)')
    p.add_argument('--out', default=DEFAULT_OUT, metavar='FILE', help='JSON result (default %(default)s); logs and the generated '
                   'inventories go next to it')
    p.add_argument('--timeout', type=int, default=900, metavar='SECONDS', help='bound of every ansible-playbook run (default %(default)s)')
    p.add_argument('--peer-validate', action='store_true', help='keep the peer role\'s keepalived --config-test (it refuses the '
                   'peer\'s own nb_get_retry on keepalived 2.2.7, see above)')
    p.add_argument('--keep', action='store_true', help='leave the last round\'s guests up at the end (lab/labctl down when done)')
    p.add_argument('--dry-run', action='store_true', help='print the generated inventories, playbooks and planned commands, write the '
                   'inventories and syntax-check both plays; no lab')
    args = p.parse_args(argv)
    if args.timeout < 30:
        p.error('--timeout must be at least 30 s')
    problem = check_peer_role(args.peer_role)
    if problem:
        p.error(problem)
    args.peer_role = os.path.abspath(args.peer_role)
    args.out = os.path.abspath(args.out)
    return args


def check_peer_role(path):
    """None when PATH looks like a checkout of the peer role, else what is wrong."""
    needed = ('tasks/main.yml', 'defaults/main.yml', 'templates/keepalived.conf.j2', 'templates/keepalived-checks.j2')
    missing = [n for n in needed if not os.path.isfile(os.path.join(path, n))]
    if missing:
        return ('--peer-role %s is not a checkout of %s (missing %s); fetch it yourself, e.g. git clone %s'
                % (path, PEER_URL, ', '.join(missing), PEER_URL))
    return None


def plan(sides, mitogen):
    """The rounds in order: [(strategy, side)], every side of one strategy one after the other."""
    sides = SIDES if sides == 'both' else (sides,)
    return [(strategy, side) for strategy in STRATEGIES[mitogen] for side in sides]


# ---------------------------------------------------------------- the generated inventories and plays

def ours_files():
    """{relative path: data} of our side: inventory (groups as inventories/lab), group_vars and the play."""
    check = JOB['check']
    hosts = {'all': {'children': {
        'lvs_directors': {'children': {'web_directors': {'hosts': {h: {'ansible_host': a} for h, a, _s, _p in JOB['directors']}}}},
        'lvs_realservers': {'children': {'web_realservers': {'hosts': {h: {'ansible_host': a} for h, a in JOB['realservers']}}}},
    }}}
    group_vars = {
        'lvs_cluster_name': 'web',
        'lvs_backend': 'keepalived',
        'lvs_interface': JOB['interface'],
        'lvs_realserver_group': 'web_realservers',
        'lvs_keepalived': {'vrid': JOB['vrid'], 'auth_type': JOB['auth_type'], 'auth_pass': JOB['auth_pass'],
                           'advert_int': JOB['advert_int'], 'unicast': True},
        'lvs_virtual_services': [{
            'name': 'www', 'vip': JOB['vip'], 'port': JOB['port'], 'protocol': 'tcp', 'scheduler': 'rr', 'forwarding': 'dr',
            'health_check': {'type': 'http', 'path': check['path'], 'status_code': check['status_code'], 'timeout': check['timeout'],
                             'retry': check['retry'], 'delay_before_retry': check['delay_before_retry'], 'interval': check['interval']},
        }],
    }
    play = [{
        'name': 'Configure the directors with lvs.cluster.director_keepalived',
        'hosts': 'lvs_directors',
        'gather_facts': False,
        'roles': [{'role': 'lvs.cluster.director_keepalived'}],
    }]
    return {'inventory/hosts.yml': hosts, 'inventory/group_vars/web_directors.yml': group_vars, 'play.yml': play}


def peer_files(peer_role):
    """{relative path: data} of the peer's side: inventory, group_vars, host_vars (state, priority, unicast) and the play."""
    check = JOB['check']
    hosts = {'all': {'children': {'keepalived': {'hosts': {h: {'ansible_host': a} for h, a, _s, _p in JOB['directors']}}}}}
    real_servers = [{'ip': a, 'port': JOB['port'], 'weight': 1,
                     'http_get': [{'url_path': check['path'], 'status_code': check['status_code'], 'connect_timeout': check['timeout'],
                                   'nb_get_retry': check['retry'], 'delay_before_retry': check['delay_before_retry']}]}
                    for _h, a in JOB['realservers']]
    group_vars = {
        'keepalived_use_latest_stable': False,
        'cache_timeout': PEER_CACHE_TIMEOUT,
        'keepalived_scripts_packages': [p for p in JOB['packages'] if p != 'keepalived'],
        'keepalived_virtual_servers': [{
            'ip': JOB['vip'], 'port': JOB['port'], 'protocol': 'TCP', 'lvs_sched': 'rr', 'lvs_method': 'DR',
            'delay_loop': check['interval'], 'real_servers': real_servers,
        }],
    }
    files = {'inventory/hosts.yml': hosts, 'inventory/group_vars/keepalived.yml': group_vars}
    for host, address, state, priority in JOB['directors']:
        files['inventory/host_vars/%s.yml' % host] = {
            'keepalived_global_defs': ['router_id %s' % host],
            'keepalived_instances': {JOB['instance']: {
                'interface': JOB['interface'], 'state': state, 'virtual_router_id': JOB['vrid'], 'priority': priority,
                'advert_int': JOB['advert_int'], 'authentication_type': JOB['auth_type'], 'authentication_password': JOB['auth_pass'],
                'unicast_src_ip': address, 'unicast_peers': [a for h, a, _s, _p in JOB['directors'] if h != host],
                'vips': ['%s/32 dev %s' % (JOB['vip'], JOB['interface'])],
            }},
        }
    files['play.yml'] = [{
        'name': 'Configure the directors with evrardjp/ansible-keepalived',
        'hosts': 'keepalived',
        'gather_facts': True,
        'gather_subset': ['!all'],
        'roles': [{'role': peer_role}],
    }]
    return files


def side_files(side, peer_role, peer_validate=False):
    if side == 'ours':
        return ours_files()
    files = peer_files(peer_role)
    if not peer_validate:
        files['extra_vars.yml'] = {'keepalived_config_testable': False}  # extra variables win over the role's set_fact
    return files


def to_yaml(data):
    return '---\n' + yaml.safe_dump(data, default_flow_style=False, sort_keys=False)


def masked(data):
    """A copy of DATA with the VRRP password replaced (for printing)."""
    if isinstance(data, dict):
        return {k: (MASKED if k in ('auth_pass', 'authentication_password') else masked(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v) for v in data]
    return data


def write_files(base, files):
    """Write FILES ({relative path: data}) as YAML under BASE (emptied first); returns BASE."""
    if os.path.isdir(base):
        shutil.rmtree(base)
    for rel, data in sorted(files.items()):
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(to_yaml(data))
        os.chmod(path, 0o600)  # holds the (lab-only) VRRP password
    return base


def playbook_argv(base, connection, syntax_check=False):
    """ansible-playbook's argv for a generated side in BASE (outside the namespace; the lab wraps it)."""
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', os.path.join(base, 'inventory')]
    if connection:
        argv += ['-e', '@' + connection]
    if os.path.exists(os.path.join(base, 'extra_vars.yml')):
        argv += ['-e', '@' + os.path.join(base, 'extra_vars.yml')]
    if syntax_check:
        argv.append('--syntax-check')
    return argv + [os.path.join(base, 'play.yml')]


# ---------------------------------------------------------------- reading runs and the result

def parse_recap(text):
    """{host: {ok, changed, unreachable, failed, skipped, rescued, ignored}} of the last PLAY RECAP in TEXT."""
    recap, inside = {}, False
    for line in text.splitlines():
        if line.startswith('PLAY RECAP'):
            recap, inside = {}, True
            continue
        m = RECAP.match(line) if inside else None
        if m:
            recap[m.group('host')] = {k: int(v or 0) for k, v in m.groupdict().items() if k != 'host'}
    return recap


def run_summary(rc, seconds, recap, hosts=HOSTS):
    """One run's numbers and whether it counts: rc 0, every host in the recap, none failed or unreachable."""
    problems = []
    if rc == 'timeout':
        problems.append('timed out')
    elif rc != 0:
        problems.append('exit status %s' % rc)
    missing = [h for h in hosts if h not in recap]
    if missing:
        problems.append('no recap for %s' % ' '.join(missing))
    bad = [h for h, r in sorted(recap.items()) if r['failed'] or r['unreachable']]
    if bad:
        problems.append('failed or unreachable: %s' % ' '.join(bad))
    return {'seconds': round(seconds, 1), 'rc': rc, 'changed': sum(r['changed'] for r in recap.values()), 'recap': recap,
            'ok': not problems, 'problems': problems}


def ratios(rounds):
    """{strategy: {phase: ours/peer or None}} from the rounds' results; None where a side is missing or did not count."""
    out = {}
    for strategy in [s for s in ('mitogen', 'ssh') if any(r['strategy'] == s for r in rounds)]:
        got = {r['side']: r for r in rounds if r['strategy'] == strategy}
        out[strategy] = {}
        for phase in PHASES:
            ours, peer = (got.get(side, {}).get(phase) for side in SIDES)
            if ours and peer and ours['ok'] and peer['ok'] and peer['seconds'] > 0:
                out[strategy][phase] = round(ours['seconds'] / peer['seconds'], 2)
            else:
                out[strategy][phase] = None
    return out


def verdict(ratio, target=TARGET):
    if ratio is None:
        return 'not measured'
    return 'met' if ratio <= target else 'NOT met'


def target_met(rat, target=TARGET):
    """True when every strategy and phase was measured and is at most TARGET; False otherwise."""
    values = [v for phases in rat.values() for v in phases.values()]
    return bool(values) and all(v is not None and v <= target for v in values)


def _cell(run):
    if not run:
        return '-'
    text = '%.1f s' % run['seconds']
    if not run['ok']:
        text += ' (%s)' % '; '.join(run['problems'])
    return text


def table(result):
    """The printed report of RESULT (the JSON's dict)."""
    lines = ['peer comparison: lvs.cluster.director_keepalived (ours) vs evrardjp/ansible-keepalived (peer%s)'
             % (' ' + result['peer']['commit'][:12] if result['peer'].get('commit') else ''),
             'fresh lab guests %s per round; converge = first run, no-op = second run (must be changed=0)' % ' '.join(HOSTS), '',
             '%-8s %-5s %-28s %-28s %s' % ('strategy', 'side', 'converge', 'no-op', 'no-op changed')]
    for r in result['rounds']:
        noop = r.get('noop')
        changed = '-' if not noop else ('%d' % noop['changed'] + ('' if noop['changed'] == 0 else ' (NOT idempotent)'))
        lines.append('%-8s %-5s %-28s %-28s %s' % (r['strategy'], r['side'], _cell(r.get('converge')), _cell(noop), changed))
    lines += ['', 'ratio ours/peer (target <= %.2f for converge and no-op, with and without mitogen)' % result['target'],
              '%-8s %-18s %s' % ('strategy', 'converge', 'no-op')]
    for strategy, phases in result['ratios'].items():
        cells = ['%s %s' % ('%.2f' % phases[p] if phases[p] is not None else '-', verdict(phases[p], result['target'])) for p in PHASES]
        lines.append('%-8s %-18s %s' % (strategy, cells[0], cells[1]))
    lines += ['', 'target %s' % ('met' if result['target_met'] else 'NOT met (or not measured everywhere)')]
    return '\n'.join(lines)


def result_doc(args, rounds, peer_commit, started, finished):
    rat = ratios(rounds)
    return {
        'benchmark': 'peer_keepalived', 'issue': 13, 'target': TARGET, 'target_met': target_met(rat),
        'started': started, 'finished': finished, 'hosts': list(HOSTS),
        'job': masked(JOB),
        'peer': {'path': args.peer_role, 'url': PEER_URL, 'commit': peer_commit, 'validate': args.peer_validate},
        'versions': versions(),
        'rounds': rounds, 'ratios': rat,
    }


def versions():
    """ansible-core and mitogen of this controller (None when absent)."""
    out = {}
    for name in ('ansible-core', 'mitogen'):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def peer_commit_of(path):
    """The checked-out commit of the peer role when PATH is a git work tree (read locally), else None."""
    try:
        r = subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 and re.match(r'^[0-9a-f]{40}$', r.stdout.strip()) else None


# ---------------------------------------------------------------- running

def lab_modules():
    """tests/lab/lab_adapter.py (and through it lab/lablib.py), the lab's API."""
    if LAB_TESTS not in sys.path:
        sys.path.insert(0, LAB_TESTS)
    import lab_adapter  # pylint: disable=import-error,import-outside-toplevel
    return lab_adapter


def run_bounded(argv, env, log_path, timeout):
    """Run ARGV (output to LOG_PATH) at most TIMEOUT seconds; (rc or 'timeout', seconds, output)."""
    with open(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as log:
        log.write('# %s\n' % ' '.join(argv))
        log.flush()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = 'timeout'
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, sig)
                try:
                    p.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        seconds = time.monotonic() - t0
    with open(log_path) as f:
        return rc, seconds, f.read()


def say(msg):
    sys.stdout.write('[peer-bench %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stdout.flush()


def fresh_guests(lab):
    """Fresh dr1 dr2: the lab down (guests, overlays, namespace and its processes) and up again; boot seconds."""
    if lab.exists():
        lab.down()
    t0 = time.monotonic()
    lab.up(*HOSTS)
    return round(time.monotonic() - t0, 1)


def run_env(lab_env, cp_dir):
    """The environment of a round's runs: the lab's (strategy, ansible.cfg), this round's SSH control sockets, no
    skipped tasks shown (the default callback prints a skipped loop item whole: the peer's skipped tasks over
    keepalived_instances would put the VRRP password in the logs; the same on both sides)."""
    return dict(lab_env, ANSIBLE_SSH_CONTROL_PATH_DIR=cp_dir, ANSIBLE_DISPLAY_SKIPPED_HOSTS='false')


def run_round(args, adapters, strategy, side, work):
    adapter = adapters[strategy]
    base = write_files(os.path.join(work, 'generated', side), side_files(side, args.peer_role, args.peer_validate))
    entry = {'strategy': strategy, 'side': side}
    say('%s / %s: fresh guests %s' % (STRATEGY_TEXT[strategy], side, ' '.join(HOSTS)))
    entry['boot_seconds'] = fresh_guests(adapter)
    cp_dir = tempfile.mkdtemp(prefix='lvspb-cp-')
    env = run_env(adapter.ansible_env(), cp_dir)
    try:
        argv = adapter.lab.in_ns(playbook_argv(base, adapter.connection()))
        for phase in PHASES:
            log_path = os.path.join(work, '%s-%s-%s.log' % (strategy, side, phase))
            rc, seconds, output = run_bounded(argv, env, log_path, args.timeout)
            entry[phase] = run_summary(rc, seconds, parse_recap(output))
            entry[phase]['log'] = log_path
            say('%s / %s / %s: %s' % (STRATEGY_TEXT[strategy], side, phase, _cell(entry[phase])))
            if not entry[phase]['ok']:
                break  # a failed converge leaves nothing to measure a no-op on
    finally:
        shutil.rmtree(cp_dir, ignore_errors=True)
    return entry


def dry_run(args, rounds):
    """Print what a run would do, write both sides' files and syntax-check both plays; 1 when a check fails."""
    lab_adapter = lab_modules()
    lablib_lab = lab_adapter.lablib.Lab()
    strategy_dir = lab_adapter.mitogen_strategy_dir() or '<mitogen not installed: pip install -r requirements-dev.txt>'
    connection = lablib_lab.path('connection.yml')
    work = os.path.dirname(args.out)
    print('# dry run: nothing is booted or run; the lab generates %s when it is up' % connection)
    print('# peer role: %s (commit %s)' % (args.peer_role, peer_commit_of(args.peer_role) or 'unknown'))
    bases = {}
    for side in SIDES:
        files = side_files(side, args.peer_role, args.peer_validate)
        bases[side] = write_files(os.path.join(work, 'generated', side), files)
        for rel, data in sorted(files.items()):
            print('\n# ===== %s: %s' % (side, os.path.join(bases[side], rel)))
            sys.stdout.write(to_yaml(masked(data)))
    print('\n# ===== planned rounds (each on fresh guests: lab down, then up %s)' % ' '.join(HOSTS))
    for strategy, side in rounds:
        env = 'ANSIBLE_STRATEGY=mitogen_linear ANSIBLE_STRATEGY_PLUGINS=%s ANSIBLE_TIMEOUT=120' % strategy_dir \
            if strategy == 'mitogen' else '(no ANSIBLE_STRATEGY: linear, ssh with pipelining)'
        print('%s / %s: lab down; lab up %s; converge then no-op, each bounded by %d s:\n  %s ANSIBLE_CONFIG=%s\n  %s'
              % (strategy, side, ' '.join(HOSTS), args.timeout, env, os.path.join(REPO, 'ansible.cfg'),
                 ' '.join(lablib_lab.in_ns(playbook_argv(bases[side], connection)))))
    print('\n# ===== the generated plays, syntax-checked here (ansible-playbook --syntax-check, no connection)')
    env, failed = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1'), 0
    for side in SIDES:
        r = subprocess.run(playbook_argv(bases[side], None, syntax_check=True), cwd=REPO, env=env, capture_output=True, text=True,
                           check=False, timeout=args.timeout)
        print('%s: %s (%s)' % (side, 'syntax ok' if r.returncode == 0 else 'syntax check FAILED, exit %d' % r.returncode, bases[side]))
        if r.returncode != 0:
            failed = 1
            sys.stdout.write(r.stdout[-3000:] + r.stderr[-3000:])
    print('\n# results of a run: %s' % args.out)
    return failed


def main(argv=None):
    args = parse_args(argv)
    rounds_planned = plan(args.side, args.mitogen)
    if args.dry_run:
        return dry_run(args, rounds_planned)
    if os.geteuid() != 0:
        say('the lab needs root (network namespace, taps, qemu); --dry-run does not')
        return 1
    lab_adapter = lab_modules()
    work = os.path.dirname(args.out)
    os.makedirs(work, exist_ok=True)
    say('%d rounds on fresh guests %s: %s; every run bounded by %d s' % (len(rounds_planned), ' '.join(HOSTS),
        ', '.join('%s/%s' % r for r in rounds_planned), args.timeout))
    peer_commit = peer_commit_of(args.peer_role)
    started = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    rounds, lab = [], None
    try:
        adapters = {s: lab_adapter.Lab(work, mitogen=(s == 'mitogen'), stream=False) for s in {s for s, _side in rounds_planned}}
        lab = list(adapters.values())[0]
        with lab.lab.lock_held():
            lab.check_net()
            if lab.exists():
                say('a lab is up in namespace %s: it is taken down (this job holds the lab lock)' % lab.netns)
            try:
                for strategy, side in rounds_planned:
                    rounds.append(run_round(args, adapters, strategy, side, work))
                    doc = result_doc(args, rounds, peer_commit, started, None)
                    with open(args.out, 'w') as f:
                        json.dump(doc, f, indent=2)  # what is measured so far survives an interrupt
            finally:
                if not args.keep and lab.exists():
                    lab.down()
    except (lab_adapter.LabError, subprocess.CalledProcessError, OSError) as e:
        say('the lab failed: %s' % e)
        if not rounds:
            return 1
    doc = result_doc(args, rounds, peer_commit, started, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    with open(args.out, 'w') as f:
        json.dump(doc, f, indent=2)
    print(table(doc))
    print('\nJSON: %s; logs and generated inventories in %s' % (args.out, work))
    return 0


if __name__ == '__main__':
    sys.exit(main())
