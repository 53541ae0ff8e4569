# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of lvs.cluster.ipvs against ipvsadm on a real kernel (a benchmark, not a timed test).

Table: SERVICES virtual services x REALS real servers (default 1,000 x 10 = 11,000 entries).

  (a) apply from an empty table   vs  ipvsadm-restore of the same table (from empty)
  (b) no-op re-run                vs  ipvsadm -Ln of the table (-L -n; ipvsadm refuses a second -n)
  (c) change one weight: the netlink change requests made (must be exactly 1)

Each lvs.cluster.ipvs figure is given twice:
  module  - the whole module process, as Ansible runs it on the managed host: a fresh
            ``python3 -m ...plugins.modules.ipvs ARGS.json`` (interpreter start, imports,
            AnsibleModule argument handling, netlink work, JSON result)
  engine  - the IPVS work inside that process: validation/normalisation of the services
            list, reading the kernel table, the comparison, the netlink changes
ipvsadm figures are whole processes too. Times are the median of --repeat runs.
After (a) the script also checks that ``ipvsadm -Sn`` shows exactly the table the module
predicted, and after (c) that only the one weight changed.

For (b) it also shows where the time of the whole module process goes: interpreter start
(``python3 -c pass``), ``import ansible.module_utils.basic``, and, timed inside one no-op
module process (``ipvs_bench.py phases``), AnsibleModule's argument handling (JSON decoding,
its two deep copies of the arguments, the invocation log, the rest of the validation), then
the module's own phases (normalise, read, plan, result).

Usage (needs root and IPVS, destroys the IPVS table of the machine it runs on):
  inside a lab guest:   python3 ipvs_bench.py run [--services N] [--reals N] [--repeat N] [--no-breakdown]
  from the host with the lab up (copies the collection's module code, ansible's
  module_utils and this script to the guest, runs it there):
                        python3 benchmarks/ipvs_bench.py lab [--host dr1] [run options]
"""

from __future__ import absolute_import, division, print_function

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- host side

def bundle(out):
    """A tarball with ansible_collections/lvs/cluster/plugins/{modules/ipvs*,module_utils/_ipvs*},
    ansible/module_utils (from the running ansible) and this script."""
    import ansible.module_utils
    repo = os.path.dirname(HERE)
    au = os.path.dirname(ansible.module_utils.__file__)
    with tarfile.open(out, 'w:gz') as tar:
        def add_bytes(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for pkg in ('ansible_collections', 'ansible_collections/lvs', 'ansible_collections/lvs/cluster',
                    'ansible_collections/lvs/cluster/plugins'):
            add_bytes('lib/%s/__init__.py' % pkg, b'')
        add_bytes('lib/ansible/__init__.py', b'')
        for sub in ('modules', 'module_utils'):
            add_bytes('lib/ansible_collections/lvs/cluster/plugins/%s/__init__.py' % sub, b'')
            folder = os.path.join(repo, 'plugins', sub)
            for name in sorted(os.listdir(folder)):
                if name.endswith('.py') and (name.startswith('ipvs') or name.startswith('_ipvs')):
                    tar.add(os.path.join(folder, name), 'lib/ansible_collections/lvs/cluster/plugins/%s/%s' % (sub, name))
        tar.add(au, 'lib/ansible/module_utils', filter=lambda ti: None if '__pycache__' in ti.name else ti)
        tar.add(os.path.abspath(__file__), 'ipvs_bench.py')


def lab(args, rest):
    repo = os.path.dirname(HERE)
    labctl = os.path.join(repo, 'lab', 'labctl')
    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, 'ipvs-bench.tar.gz')
        bundle(payload)
        with open(payload, 'rb') as src:
            subprocess.run([labctl, 'ssh', args.host, 'rm -rf /root/ipvs-bench && mkdir -p /root/ipvs-bench && '
                            'tar -xzf - -C /root/ipvs-bench'], stdin=src, check=True)
    cmd = 'cd /root/ipvs-bench && python3 ipvs_bench.py run %s' % ' '.join(rest)
    return subprocess.run([labctl, 'ssh', args.host, cmd], check=False).returncode


# ---------------------------------------------------------------- guest side

def sh(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)


def timed(func, repeat, setup=None):
    times = []
    result = None
    for dummy in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build_services(n_services, n_reals):
    """n_services TCP services on 4 VIPs x ports, each with the same n_reals DR real servers."""
    services = []
    for i in range(n_services):
        vip = '203.0.113.%d' % (100 + i % 4)
        port = 10000 + i // 4
        services.append({
            'address': vip, 'port': port, 'scheduler': 'wlc',
            'real_servers': [{'address': '198.51.100.%d' % (j + 1), 'weight': 1 + (i + j) % 10, 'forwarding': 'dr'}
                             for j in range(n_reals)],
            'purge_real_servers': True,
        })
    return services


def phases(args_file):
    """One module process (this one), timed inside: prints a JSON object of phase -> seconds."""
    started = time.perf_counter()
    sys.path.insert(0, os.path.join(HERE, 'lib'))
    from ansible.module_utils import basic
    from ansible.module_utils.common import arg_spec
    imported_basic = time.perf_counter()
    from ansible_collections.lvs.cluster.plugins.modules import ipvs as mod
    imported = time.perf_counter()
    times = {}

    def wrap(owner, name, label):
        orig = getattr(owner, name)

        def timed_call(*a, **kw):
            start = time.perf_counter()
            try:
                return orig(*a, **kw)
            finally:
                times[label] = times.get(label, 0.0) + time.perf_counter() - start
        setattr(owner, name, timed_call)

    # deepcopy is recursive through copy's own global name: wrapping arg_spec's reference times the outer call only
    wrap(basic.json, 'loads', 'json')
    wrap(basic, '_load_params', 'load_params')
    wrap(arg_spec, 'deepcopy', 'deepcopy2')
    wrap(basic.ModuleArgumentSpecValidator, 'validate', 'validate')
    wrap(basic.AnsibleModule, '_log_invocation', 'log_invocation')
    wrap(basic.AnsibleModule, '__init__', 'ansible_module')
    wrap(basic.AnsibleModule, 'exit_json', 'exit_json')
    wrap(mod, 'desired_state', 'normalise')
    wrap(mod, 'open_ipvs', 'open')
    wrap(mod, 'read_current', 'read')
    wrap(mod, 'plan', 'plan')
    sys.argv = [mod.__file__, args_file]
    out = io.StringIO()
    real_stdout = sys.stdout
    sys.stdout = out
    try:
        mod.main()
    except SystemExit:
        pass
    finally:
        sys.stdout = real_stdout
    result = json.loads(out.getvalue()[out.getvalue().index('{'):])
    assert result.get('changed') is False, result
    times['import_basic'] = imported_basic - started
    times['import_module'] = imported - imported_basic
    print(json.dumps(times))
    return 0


def breakdown(args_file, rep, t_module):
    """Where the time of the no-op module process goes (printed)."""
    def python(code):
        return sh([sys.executable, '-c', code])
    t_start, dummy = timed(lambda: python('pass'), rep)
    t_basic, dummy = timed(lambda: python('import ansible.module_utils.basic'), rep)
    runs = []
    for dummy in range(rep):
        out = sh([sys.executable, os.path.abspath(__file__), 'phases', args_file]).stdout
        runs.append(json.loads(out.decode().strip().splitlines()[-1]))
    ph = dict((name, statistics.median(r[name] for r in runs)) for name in runs[0])
    init = ph['ansible_module']
    json_decode = ph['json']
    copy1 = ph['load_params'] - ph['json']
    copy2 = ph['deepcopy2']
    log = ph['log_invocation']
    other = init - ph['load_params'] - copy2 - log
    inside = ph['import_module'] + init + ph['normalise'] + ph['open'] + ph['read'] + ph['plan'] + ph['exit_json']
    rows = [
        ('interpreter start (python3 -c pass)', t_start),
        ('import ansible.module_utils.basic (python3 -c, minus start)', t_basic - t_start),
        ('import of the module and its module_utils', ph['import_module']),
        ('AnsibleModule(): JSON decoding of the arguments', json_decode),
        ('AnsibleModule(): deep copy 1 (_load_params)', copy1),
        ('AnsibleModule(): deep copy 2 (ArgumentSpecValidator)', copy2),
        ('AnsibleModule(): invocation log (syslog)', log),
        ('AnsibleModule(): the rest (argument spec checks, ...)', other),
        ('module: normalise services', ph['normalise']),
        ('module: open the netlink socket', ph['open']),
        ('module: read the kernel table', ph['read']),
        ('module: plan (compare)', ph['plan']),
        ('module: exit_json (result sanitising, JSON)', ph['exit_json']),
        ('rest of the module process (%.3f s): interpreter exit, ...' % t_module, t_module - t_basic - inside),
    ]
    print('    where the no-op module process goes (interpreter and imports: separate processes; the rest timed')
    print('    inside separate no-op module processes; medians of %d):' % rep)
    for label, value in rows:
        print('      %-62s %7.3f s' % (label, value))
    fixed = t_basic + json_decode + copy1 + copy2 + log + other
    print('      => before the module code runs: %.3f s (start, imports, AnsibleModule); the module code: %.3f s'
          % (fixed, ph['import_module'] + ph['normalise'] + ph['open'] + ph['read'] + ph['plan'] + ph['exit_json']))
    return fixed


def run(args):
    sys.path.insert(0, os.path.join(HERE, 'lib'))
    os.environ['PYTHONPATH'] = os.path.join(HERE, 'lib')
    from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs as core
    from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink as netlink

    sh(['modprobe', 'ip_vs'])
    sh(['modprobe', 'ip_vs_wlc'])
    services = build_services(args.services, args.reals)
    desired = core.normalise_services(services)
    plan_ops, after = core.plan({}, desired)
    table_text = core.render(after)
    n_entries = len(plan_ops)
    work = tempfile.mkdtemp(prefix='ipvs-bench-')
    restore_file = os.path.join(work, 'table.rules')
    with open(restore_file, 'w') as f:
        f.write(table_text)
    args_file = os.path.join(work, 'args.json')

    def write_args(svcs):
        with open(args_file, 'w') as f:
            json.dump({'ANSIBLE_MODULE_ARGS': {'services': svcs, 'purge_services': True}}, f)

    def flush():
        sh(['ipvsadm', '-C'])

    def restore():
        with open(restore_file, 'rb') as f:
            subprocess.run(['ipvsadm-restore'], stdin=f, check=True)

    def module():
        proc = subprocess.run([sys.executable, '-m', 'ansible_collections.lvs.cluster.plugins.modules.ipvs', args_file],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        out = proc.stdout.decode()
        try:
            return json.loads(out[out.index('{'):])
        except ValueError:
            raise SystemExit('module failed: %s %s' % (out[-2000:], proc.stderr.decode()[-2000:]))

    from ansible_collections.lvs.cluster.plugins.modules import ipvs as mod

    def engine():
        """The module's IPVS work, in this process (same functions the module calls)."""
        t0 = time.perf_counter()
        wanted = core.normalise_services(json.load(open(args_file))['ANSIBLE_MODULE_ARGS']['services'])
        t1 = time.perf_counter()
        with netlink.IPVSNetlink() as nl:
            current = mod.read_current(nl, wanted, True, False)
            t2 = time.perf_counter()
            ops, dummy = core.plan(current, wanted, True)
            t3 = time.perf_counter()
            nl.apply(ops, render=core.render_operation)
            t4 = time.perf_counter()
            timings = {'normalise': t1 - t0, 'read': t2 - t1, 'plan': t3 - t2, 'apply': t4 - t3,
                       'ops': len(ops), 'reads': nl.requests - nl.changes, 'changes': nl.changes}
        return timings

    def ipvsadm_list():
        return subprocess.run(['ipvsadm', '-Ln'], stdout=subprocess.PIPE, check=True).stdout

    def kernel_table():
        return sorted(sh(['ipvsadm', '-Sn']).stdout.decode().splitlines())

    rep = args.repeat
    print('lvs.cluster.ipvs benchmark: %d services x %d real servers = %d entries (%d netlink changes from empty)'
          % (args.services, args.reals, args.services * (args.reals + 1), n_entries))
    print('kernel %s, python %s, repeat %d (median)' % (os.uname().release, sys.version.split()[0], rep))
    write_args(services)

    # (a) from empty
    t_restore, dummy = timed(restore, rep, setup=flush)
    t_mod_a, res_a = timed(module, rep, setup=flush)
    assert res_a.get('changed') is True and len(res_a['operations']) == n_entries, res_a.get('msg')
    assert res_a['netlink']['changes'] == n_entries, res_a['netlink']
    assert kernel_table() == sorted(table_text.splitlines()), 'kernel table differs from the predicted one'
    t_eng_a, eng_a = timed(engine, rep, setup=flush)
    print('')
    print('(a) apply from empty')
    print('    ipvsadm-restore                 %8.3f s' % t_restore)
    print('    lvs.cluster.ipvs module         %8.3f s   %.2fx  (netlink: %d reads, %d changes)'
          % (t_mod_a, t_mod_a / t_restore, res_a['netlink']['reads'], res_a['netlink']['changes']))
    print('    lvs.cluster.ipvs engine         %8.3f s   %.2fx  (normalise %.3f, read %.3f, plan %.3f, apply %.3f)'
          % (t_eng_a, t_eng_a / t_restore, eng_a['normalise'], eng_a['read'], eng_a['plan'], eng_a['apply']))
    print('    kernel table after the module == predicted table (ipvsadm -Sn): yes')

    # (b) no-op
    t_list, dummy = timed(ipvsadm_list, rep)
    t_mod_b, res_b = timed(module, rep)
    assert res_b.get('changed') is False and res_b['operations'] == [], res_b.get('operations', res_b)
    t_eng_b, eng_b = timed(engine, rep)
    assert eng_b['ops'] == 0
    print('')
    print('(b) no-op re-run')
    print('    ipvsadm -Ln                     %8.3f s' % t_list)
    print('    lvs.cluster.ipvs module         %8.3f s   %.2fx  (changed=%s, netlink: %d reads, %d changes)'
          % (t_mod_b, t_mod_b / t_list, res_b['changed'], res_b['netlink']['reads'], res_b['netlink']['changes']))
    print('    lvs.cluster.ipvs engine         %8.3f s   %.2fx  (normalise %.3f, read %.3f, plan %.3f)'
          % (t_eng_b, t_eng_b / t_list, eng_b['normalise'], eng_b['read'], eng_b['plan']))
    if args.breakdown:
        fixed = breakdown(args_file, rep, t_mod_b)
        print('      => ipvsadm -Ln x 1.5 = %.3f s; the part before the module code alone is %.2fx ipvsadm -Ln'
              % (1.5 * t_list, fixed / t_list))

    # (c) one weight
    before = kernel_table()
    changed = json.loads(json.dumps(services))
    target = changed[len(changed) // 2]['real_servers'][3]
    target['weight'] = target['weight'] + 100
    write_args(changed)
    start = time.perf_counter()
    res_c = module()
    t_mod_c = time.perf_counter() - start
    after_c = kernel_table()
    diff = sorted(set(before) ^ set(after_c))
    print('')
    print('(c) change one weight')
    print('    lvs.cluster.ipvs module         %8.3f s   netlink: %d change request(s) %s, %d reads'
          % (t_mod_c, res_c['netlink']['changes'], res_c['operations'], res_c['netlink']['reads']))
    print('    ipvsadm -Sn lines that differ: %d' % len(diff))
    for line in diff:
        print('      %s %s' % ('+' if line in after_c else '-', line))
    assert res_c['netlink']['changes'] == 1 and len(res_c['operations']) == 1 and len(diff) == 2
    flush()
    print('')
    print('targets: (a) module/restore <= 2: %s (engine %s); (b) module/dump <= 1.5: %s (engine %s); (c) 1 change: %s'
          % ('met' if t_mod_a <= 2 * t_restore else 'MISSED', 'met' if t_eng_a <= 2 * t_restore else 'MISSED',
             'met' if t_mod_b <= 1.5 * t_list else 'MISSED', 'met' if t_eng_b <= 1.5 * t_list else 'MISSED',
             'met' if res_c['netlink']['changes'] == 1 else 'MISSED'))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    p_run = sub.add_parser('run', help='run here (root, IPVS kernel; flushes the IPVS table)')
    p_lab = sub.add_parser('lab', help='copy to a lab guest and run there')
    p_phases = sub.add_parser('phases', help=argparse.SUPPRESS)
    p_phases.add_argument('args_file')
    p_lab.add_argument('--host', default='dr1')
    for p in (p_run,):
        p.add_argument('--services', type=int, default=1000)
        p.add_argument('--reals', type=int, default=10)
        p.add_argument('--repeat', type=int, default=3)
        p.add_argument('--no-breakdown', dest='breakdown', action='store_false',
                       help='skip the breakdown of the no-op module process')
    args, rest = parser.parse_known_args()
    if args.mode == 'lab':
        return lab(args, rest)
    if args.mode == 'phases':
        return phases(args.args_file)
    return run(args)


if __name__ == '__main__':
    sys.exit(main())
