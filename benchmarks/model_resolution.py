#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the model resolution on the controller (prints numbers; it is not a timed test).

For generated inventories of 50, 200, 1,000 and 5,000 hosts (small clusters of 2 directors and 3 real servers:
10, 40, 200 and 1,000 clusters), it measures the controller CPU spent resolving every host's view:

  ansible   the real Ansible path: ``ansible-playbook`` on a generated inventory of ``*.invalid`` hosts
            (``ansible_connection: local``, ``gather_facts: false``, nothing is contacted) with the repository's
            ansible.cfg. Three playbooks per size, each CPU figure being the ansible-playbook process and all
            the workers it forked (getrusage of the children; with --ansible-repeat, the playbooks take
            turns and the least CPU of each is kept):
              baseline  one ``ansible.builtin.set_fact`` task on every host (Ansible's own per-host cost)
              resolve   one ``lvs.cluster.cluster_model`` task on every host (what each role does first)
              site      site.yml's first play (playbooks/validate.yml, run once on the controller) followed by
                        the ``cluster_model`` task on every host
            "net" is the playbook's CPU minus the baseline's: the cost of the model itself.
  python    the pure-Python Model for the same inventory: the build, then every host's errors and views.

Also an inventory of 12 LVS hosts among 1,000 hosts unrelated to LVS (they must cost nothing but Ansible's own).

Each table ends with the growth exponent (slope of log CPU against log hosts, least squares over the sizes;
1.0 is linear). Targets (issue 12): under 5 ms of controller CPU per host at 1,000 hosts, exponent at most 1.15.

  python3 benchmarks/model_resolution.py                   # all sizes, this checkout
  python3 benchmarks/model_resolution.py --sizes 50,200 --root /tmp/wt-before   # another checkout (e.g. HEAD before)
  python3 benchmarks/model_resolution.py --python-only

A run that exceeds --timeout is stopped and reported as such (with its elapsed CPU as a lower bound).
"""

from __future__ import absolute_import, division, print_function

import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PER_CLUSTER_DIRECTORS = 2
PER_CLUSTER_REALSERVERS = 3


# ------------------------------------------------------------------ the generated inventory

def cluster_vars(i):
    """Group vars of cluster ``i``: one keepalived cluster with one IPv6 DR service (documentation prefix 2001:db8::/32)."""
    name = 'c%04d' % i
    return name, {
        'lvs_cluster_name': name,
        'lvs_backend': 'keepalived',
        'lvs_interface': 'eth0',
        'lvs_l2_segment': 'seg%04d' % i,
        'lvs_realserver_group': '%s_realservers' % name,
        'lvs_keepalived': {'vrid': 51, 'auth_pass': 'bench%03d' % (i % 1000)},
        'lvs_virtual_services': [{
            'name': 'www', 'vip': '2001:db8:%x::100' % i, 'port': 80, 'protocol': 'tcp', 'scheduler': 'rr',
            'forwarding': 'dr', 'health_check': {'type': 'tcp'},
        }],
    }


def generate(hosts, unrelated=0):
    """(inventory dict for YAML/JSON, flat hostvars, groups) for ``hosts`` LVS hosts and ``unrelated`` other hosts."""
    per = PER_CLUSTER_DIRECTORS + PER_CLUSTER_REALSERVERS
    clusters = max(1, hosts // per)
    inv = {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
                   'children': {'lvs_directors': {'children': {}}, 'lvs_realservers': {'children': {}}}}}
    hostvars, groups = {}, {'all': [], 'lvs_directors': [], 'lvs_realservers': [], 'ungrouped': []}
    for i in range(1, clusters + 1):
        name, cvars = cluster_vars(i)
        dgroup, rgroup = {'hosts': {}, 'vars': cvars}, {'hosts': {}}
        groups[name + '_directors'], groups[name + '_realservers'] = [], []
        for d in range(1, PER_CLUSTER_DIRECTORS + 1):
            host = 'dr%d.%s.invalid' % (d, name)
            hv = {'ansible_host': '2001:db8:%x::1%d' % (i, d)}
            dgroup['hosts'][host] = dict(hv)
            hostvars[host] = dict(cvars, **hv)
            for g in ('all', 'lvs_directors', name + '_directors'):
                groups[g].append(host)
        for r in range(1, PER_CLUSTER_REALSERVERS + 1):
            host = 'rs%d.%s.invalid' % (r, name)
            hv = {'ansible_host': '2001:db8:%x::2%d' % (i, r)}
            rgroup['hosts'][host] = dict(hv)
            hostvars[host] = dict(hv)
            for g in ('all', 'lvs_realservers', name + '_realservers'):
                groups[g].append(host)
        inv['all']['children']['lvs_directors']['children'][name + '_directors'] = dgroup
        inv['all']['children']['lvs_realservers']['children'][name + '_realservers'] = rgroup
    if unrelated:
        others = {'hosts': {}, 'vars': {'app_role': 'web', 'app_tier': 'front'}}
        groups['others'] = []
        for n in range(unrelated):
            host = 'app%05d.unrelated.invalid' % n
            others['hosts'][host] = {'ansible_host': '198.51.100.%d' % (n % 250 + 1), 'app_index': n}
            hostvars[host] = {'ansible_host': others['hosts'][host]['ansible_host'], 'app_index': n}
            groups['all'].append(host)
            groups['others'].append(host)
        inv['all']['children']['others'] = others
    return inv, hostvars, groups


def lvs_hosts(groups):
    return groups['lvs_directors'] + groups['lvs_realservers']


# ------------------------------------------------------------------ the Ansible path

PLAY_RESOLVE = """
- name: Resolve every host's view (what each role does first)
  hosts: lvs_directors:lvs_realservers
  gather_facts: false
  tasks:
    - name: Resolve the LVS model for this host
      lvs.cluster.cluster_model:
      register: __bench_model
      no_log: true
"""

PLAY_BASELINE = """
- name: Ansible's own cost of one task on every host
  hosts: lvs_directors:lvs_realservers
  gather_facts: false
  tasks:
    - name: Set one fact
      ansible.builtin.set_fact:
        __bench_fact: 1
"""


def playbooks(root, workdir):
    site = "- name: Validate the inventory model\n  ansible.builtin.import_playbook: %s\n" % os.path.join(root, 'playbooks', 'validate.yml')
    books = {'baseline': '---' + PLAY_BASELINE, 'resolve': '---' + PLAY_RESOLVE, 'site': '---\n' + site + PLAY_RESOLVE}
    paths = {}
    for name, text in books.items():
        paths[name] = os.path.join(workdir, name + '.yml')
        with open(paths[name], 'w') as f:
            f.write(text)
    return paths


def run_playbook(root, inventory, playbook, timeout):
    """(cpu seconds of ansible-playbook and its workers, wall seconds, ok, tail of the output)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(root, 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_LOCALHOST_WARNING='0')
    cmd = [shutil.which('ansible-playbook') or 'ansible-playbook', '-i', inventory, playbook]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    try:
        out = proc.communicate(timeout=timeout)[0]
        ok = proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate()[0]
        ok = None
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, ok, '\n'.join((out or '').splitlines()[-15:])


def bench_ansible(root, sizes, timeout, keep, unrelated, repeat=1):
    workdir = tempfile.mkdtemp(prefix='lvs-bench-')
    books = playbooks(root, workdir)
    rows = []
    cases = [(n, 0) for n in sizes] + ([(12, unrelated)] if unrelated else [])
    try:
        for hosts, others in cases:
            inv, _hv, groups = generate(hosts, others)
            n = len(lvs_hosts(groups))
            path = os.path.join(workdir, 'hosts-%d-%d.json' % (hosts, others))
            with open(path, 'w') as f:
                json.dump(inv, f)
            row = {'hosts': n, 'unrelated': others, 'clusters': len(groups) - 4 - (1 if others else 0)}
            row['clusters'] //= 2
            # the playbooks take turns (baseline, resolve, site, baseline, ...): a change of load on the machine
            # touches all three alike, and the least CPU of each is kept (other load only ever adds)
            for dummy in range(repeat):
                for name in ('baseline', 'resolve', 'site'):
                    if name in row and not row[name][2]:
                        continue
                    cpu, wall, ok, tail = run_playbook(root, path, books[name], timeout)
                    if name not in row or (ok and cpu < row[name][0]):
                        row[name] = (cpu, wall, ok)
                    if ok is False:
                        print('  %s on %d hosts FAILED:\n%s' % (name, n, tail), file=sys.stderr)
                    print('  ansible %-8s %5d LVS hosts%s: cpu %8.1f s  wall %8.1f s%s' % (
                        name, n, ' + %d unrelated' % others if others else '', cpu, wall,
                        '' if ok else ('  TIMEOUT (> %d s)' % timeout if ok is None else '  FAILED')), flush=True)
            rows.append(row)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print('  inventories and playbooks kept in %s' % workdir)
    return rows


# ------------------------------------------------------------------ the pure-Python path

def import_model(root):
    collections = os.path.join(root, 'collections')
    sys.path.insert(0, collections)
    import ansible_collections  # noqa: F401  pylint: disable=unused-import
    extra = os.path.join(collections, 'ansible_collections')
    if extra not in list(ansible_collections.__path__):
        ansible_collections.__path__.insert(0, extra)
    from ansible_collections.lvs.cluster.plugins.module_utils._model import Model
    return Model


def bench_python(root, sizes, repeat):
    Model = import_model(root)
    rows = []
    for hosts in sizes:
        _inv, hostvars, groups = generate(hosts)
        all_hosts = lvs_hosts(groups)
        best_build, best_views = None, None
        for dummy in range(repeat):
            t0 = time.process_time()
            model = Model(hostvars, groups)
            t1 = time.process_time()
            for host in all_hosts:
                model.errors_for(host)
                model.director_view(host)
                if hasattr(model, 'backend_view'):
                    model.backend_view(host)
                model.realserver_view(host)
            t2 = time.process_time()
            best_build = t1 - t0 if best_build is None else min(best_build, t1 - t0)
            best_views = t2 - t1 if best_views is None else min(best_views, t2 - t1)
        errors = len(model.errors)
        rows.append({'hosts': len(all_hosts), 'clusters': len(model.clusters), 'build': best_build, 'views': best_views,
                     'errors': errors})
        print('  python  %5d hosts %4d clusters: build %8.1f ms  views %8.1f ms  (%d model errors)' % (
            len(all_hosts), len(model.clusters), best_build * 1000, best_views * 1000, errors), flush=True)
    return rows


# ------------------------------------------------------------------ report

def exponent(points):
    """Least-squares slope of log(y) against log(x); None with fewer than two usable points."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def fmt_exp(value):
    return 'n/a' if value is None else '%.2f' % value


def report(ansible_rows, python_rows):
    if ansible_rows:
        print('\nAnsible path (controller CPU: ansible-playbook and its workers; net = minus the set_fact baseline)')
        print('%6s %9s %9s | %10s %10s %11s %11s | %10s %11s' % (
            'hosts', 'unrelated', 'clusters', 'baseline s', 'resolve s', 'net ms/host', 'gross ms/h', 'site s',
            'net ms/host'))
        series = {'resolve': [], 'site': [], 'baseline': []}
        for row in ansible_rows:
            n = row['hosts']
            base = row['baseline'][0]
            cells = []
            for name in ('resolve', 'site'):
                cpu, _wall, ok = row[name]
                net = (cpu - base) * 1000.0 / n
                mark = '' if ok else ('>' if ok is None else '!')
                cells.append((cpu, net, mark))
                if not row['unrelated'] and ok:
                    series[name].append((n, max(cpu - base, 1e-6)))
            if not row['unrelated'] and row['baseline'][2]:
                series['baseline'].append((n, base))
            print('%6d %9d %9d | %10.1f %9.1f%1s %11.2f %11.2f | %9.1f%1s %11.2f' % (
                n, row['unrelated'], row['clusters'], base, cells[0][0], cells[0][2], cells[0][1],
                cells[0][0] * 1000.0 / n, cells[1][0], cells[1][2], cells[1][1]))
        print('growth exponent (net CPU vs hosts): resolve %s, site %s; Ansible baseline itself %s' % (
            fmt_exp(exponent(series['resolve'])), fmt_exp(exponent(series['site'])), fmt_exp(exponent(series['baseline']))))
        print('("!" failed, ">" stopped at the timeout: its CPU is a lower bound and it is left out of the exponent)')
    if python_rows:
        print('\nPure-Python Model (CPU, best of the repeats)')
        print('%6s %9s | %10s %10s %12s' % ('hosts', 'clusters', 'build ms', 'views ms', 'total ms/host'))
        for row in python_rows:
            print('%6d %9d | %10.1f %10.1f %12.3f' % (row['hosts'], row['clusters'], row['build'] * 1000,
                                                      row['views'] * 1000, (row['build'] + row['views']) * 1000 / row['hosts']))
        print('growth exponent: build %s, views of every host %s, total %s' % (
            fmt_exp(exponent([(r['hosts'], r['build']) for r in python_rows])),
            fmt_exp(exponent([(r['hosts'], r['views']) for r in python_rows])),
            fmt_exp(exponent([(r['hosts'], r['build'] + r['views']) for r in python_rows]))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--root', default=REPO, help='checkout of the collection to measure (default: this one)')
    parser.add_argument('--sizes', default='50,200,1000,5000', help='host counts (comma-separated)')
    parser.add_argument('--unrelated', type=int, default=1000,
                        help='hosts unrelated to LVS added to a 12-host LVS inventory (0: skip that case)')
    parser.add_argument('--timeout', type=int, default=900, help='seconds before one ansible-playbook run is stopped')
    parser.add_argument('--repeat', type=int, default=3, help='repeats of the pure-Python measure (best is kept)')
    parser.add_argument('--ansible-repeat', type=int, default=1,
                        help='runs of each playbook (the least CPU is kept: other load on the machine only adds)')
    parser.add_argument('--python-only', action='store_true')
    parser.add_argument('--ansible-only', action='store_true')
    parser.add_argument('--keep', action='store_true', help='keep the generated inventories and playbooks')
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    sizes = [int(s) for s in args.sizes.split(',') if s.strip()]
    git = subprocess.run(['git', '-C', root, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True, check=False)
    print('lvs.cluster model resolution benchmark: %s (commit %s), %d CPU(s)' % (
        root, git.stdout.strip() or '?', os.cpu_count() or 0))
    python_rows = [] if args.ansible_only else bench_python(root, sizes, args.repeat)
    ansible_rows = [] if args.python_only else bench_ansible(root, sizes, args.timeout, args.keep, args.unrelated,
                                                             args.ansible_repeat)
    report(ansible_rows, python_rows)
    return 0


if __name__ == '__main__':
    sys.exit(main())
