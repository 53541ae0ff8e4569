# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole no-op lvs.cluster.ipvs task, as Ansible runs it, against `ipvsadm -Ln` on a lab guest (a benchmark).

benchmarks/ipvs_bench.py times the module as a fresh process in the guest: every task pays the interpreter start and
``import ansible.module_utils.basic`` (about 1.2 s under TCG). Under mitogen the guest's interpreter stays up with
those imports done, so this runs tests/lab/ipvs/noop_task.yml (1,000 services x 10 real servers: apply, three no-op
runs, three ``ipvsadm -Ln`` command tasks) with and without mitogen_linear and prints each task's time (the
ansible.posix.json callback's start/end, on the controller: templating, transfer and the module's run), next to
``ipvsadm -Ln`` timed inside the guest (bash's time, median of 5).

    lab/labctl up dr1          # a guest with no director daemon running: the table is destroyed
    python3 tests/lab/ipvs/noop_task.py [--host dr1] [--services 1000] [--reals 10] [--modes mitogen,ssh]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import importlib.util
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import lab_adapter  # noqa: E402  pylint: disable=wrong-import-position

REPO = lab_adapter.REPO


def build_services(services, reals):
    spec = importlib.util.spec_from_file_location('ipvs_bench', os.path.join(REPO, 'benchmarks', 'ipvs_bench.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench.build_services(services, reals)


def task_seconds(callback_json):
    """{task name: seconds} from the ansible.posix.json callback's output (one host)."""
    def when(text):
        return datetime.datetime.strptime(text.replace('Z', ''), '%Y-%m-%dT%H:%M:%S.%f')
    out = {}
    for play in callback_json['plays']:
        for t in play['tasks']:
            d = t['task']['duration']
            out[t['task']['name']] = (when(d['end']) - when(d['start'])).total_seconds()
    return out


def ipvsadm_in_guest(lab, host, repeat=5):
    """Median wall time of `ipvsadm -Ln` run in the guest (bash's time), with the table in place."""
    script = 'TIMEFORMAT=%%R; for i in $(seq %d); do { time ipvsadm -Ln > /dev/null; } 2>&1; done' % repeat
    r = lab.ssh(host, 'bash', '-c', "'%s'" % script, check=True)
    return statistics.median(float(x) for x in r.stdout.split())


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    p.add_argument('--host', default='dr1')
    p.add_argument('--services', type=int, default=1000)
    p.add_argument('--reals', type=int, default=10)
    p.add_argument('--modes', default='mitogen,ssh')
    a = p.parse_args()
    out = os.path.join(REPO, 'lab', 'run', 'ipvs-noop')
    os.makedirs(out, exist_ok=True)
    lab = lab_adapter.Lab(out, mitogen=False, stream=False)
    busy = lab.ssh(a.host, 'systemctl', 'is-active', 'keepalived', 'ldirectord', 'pulse').stdout.split()
    if 'active' in busy:
        raise SystemExit('a director daemon runs on %s (%s): stop it first, this benchmark empties the IPVS table' % (a.host, busy))
    varsfile = os.path.join(out, 'services.json')
    with open(varsfile, 'w') as f:
        json.dump({'bench_services': build_services(a.services, a.reals)}, f)
    print('%d services x %d real servers on %s' % (a.services, a.reals, a.host))
    results = {}
    for mode in a.modes.split(','):
        lab = lab_adapter.Lab(out, mitogen=(mode == 'mitogen'), stream=False)
        os.environ.update(ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_JSON_INDENT='0')
        rc, text = lab.playbook('noop-%s' % mode, 'tests/lab/ipvs/noop_task.yml', '-i', 'inventories/lab', '-e', '@' + varsfile,
                                '-e', 'ipvs_test_host=%s' % a.host)
        if rc != 0:
            raise SystemExit('noop_task.yml (%s) failed (rc %d): see %s/noop-%s.log' % (mode, rc, out, mode))
        results[mode] = task_seconds(json.JSONDecoder().raw_decode(text[text.index('{'):])[0])
    t_list = ipvsadm_measure(lab, a.host, varsfile)
    print('ipvsadm -Ln in the guest (median of 5): %.3f s' % t_list)
    for mode, times in results.items():
        noop = statistics.median(times['No-op %d' % i] for i in (1, 2, 3))
        cmd = statistics.median(times['Ipvsadm -Ln %d' % i] for i in (1, 2, 3))
        runs = ' '.join('%.2f' % times['No-op %d' % i] for i in (1, 2, 3))
        print('%-8s apply %.2f s; no-op task %.2f s (%s) = %.2fx ipvsadm -Ln in the guest; an `ipvsadm -Ln` command task %.2f s '
              '(no-op task / command task %.2fx)' % (mode, times['Apply the table from empty'], noop, runs, noop / t_list, cmd, noop / cmd))
    return 0


def ipvsadm_measure(lab, host, varsfile):
    """Fill the table with ipvsadm-restore of the same services (rendered by the module's own code), time ipvsadm -Ln."""
    sys.path.insert(0, os.path.join(REPO, 'collections'))
    from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs as core  # pylint: disable=import-error
    with open(varsfile) as f:
        services = json.load(f)['bench_services']
    table = core.render(core.plan({}, core.normalise_services(services))[1])
    lab.ssh(host, 'modprobe ip_vs && ipvsadm -C && ipvsadm-restore', input=table, check=True)
    try:
        return ipvsadm_in_guest(lab, host)
    finally:
        lab.ssh(host, 'ipvsadm', '-C')


if __name__ == '__main__':
    sys.exit(main())
