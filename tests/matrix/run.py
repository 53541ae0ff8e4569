#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ansible-core version matrix: what meta/runtime.yml's requires_ansible rests on.

For each ansible-core release line (2.16 ... 2.20) this script makes its own virtual environment from PyPI with a
Python that release supports as a controller, and in it:

  build   ansible-galaxy collection build from this repository (that release's build_ignore handling)
  sanity  ansible-test sanity --requirements on the built tarball, extracted at ansible_collections/lvs/cluster
  units   pytest tests/unit from this checkout with that release's ansible-core (as `make unit` runs them), but for
          tests/unit/awx, which needs the awx.awx collection of the `ansible` bundle
  play    from a fresh project directory with no ansible.cfg of this repository: the tarball installed with
          ansible-galaxy collection install, ansible-playbook lvs.cluster.site -i inventories/prod --tags lvs_validate,
          and --syntax-check of every playbook the tarball ships, by FQCN (see play()). These plays contact no host:
          the validation runs on the controller (validate_inventory has no connection, run_once + delegate_to
          localhost), and they run in a network namespace with no interface up, where ssh would only be recorded.

A release that cannot run here (no supported Python on the machine) is reported as such with the reason, and
counts as a failure with --strict or under CI=true. Usage:

  python3 tests/matrix/run.py                         # every release line, work in $TMPDIR/lvs-cluster-matrix
  python3 tests/matrix/run.py --versions 2.16,2.20    # some of them (commas or spaces)
  python3 tests/matrix/run.py --skip sanity           # leave out a step (build, sanity, units, play)

tests/matrix/ci.py is the CI-sized part (build and play only, cached venvs, the lines meta/runtime.yml admits), run by
`make matrix-ci` in `make test`; this script with sanity and units is the release job (`make matrix`, 1.5-2 h).

It prints one line per step, then a table (release, Python, build, sanity, units, play, seconds) and writes it to
<work>/matrix.json. The exit status is 0 when every release that can run here passed every step it ran.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

# Every ansible-core release line this matrix knows: the exact release it installs (the newest of the line when last
# bumped) and the line's controller Pythons (ansible-core's support matrix), newest first: the first one found is used.
# tests/matrix/ci.py (make matrix-ci, part of make test) runs the lines of this table that meta/runtime.yml admits.
RELEASES = {
    '2.16': {'core': '2.16.19', 'pythons': ('3.12', '3.11', '3.10')},
    '2.17': {'core': '2.17.14', 'pythons': ('3.12', '3.11', '3.10')},
    '2.18': {'core': '2.18.19', 'pythons': ('3.13', '3.12', '3.11')},
    '2.19': {'core': '2.19.14', 'pythons': ('3.13', '3.12', '3.11')},
    '2.20': {'core': '2.20.10', 'pythons': ('3.14', '3.13', '3.12')},
}
# ansible-core's own requirements, pinned for every line (resolvelib 1.0.1: 2.16 to 2.18 want <1.1.0, 2.19 and 2.20 >=0.8.0).
CONSTRAINTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'constraints.txt')
STEPS = ('build', 'sanity', 'units', 'play')
# What tests/unit imports besides ansible-core (and PyYAML, Jinja2 that come with it).
UNIT_EXTRA = ('pyroute2>=0.9.7', 'pytest>=8')


def in_ci():
    return os.environ.get('CI', '').lower() in ('true', '1', 'yes')


def log(msg):
    print(msg, flush=True)


def find_python(version):
    """A python<version> that really runs: the one running this script, one on PATH, or one of pyenv's installed versions
    (pyenv puts shims on PATH for versions that are installed but not selected, and they refuse to run)."""
    if '%d.%d' % sys.version_info[:2] == version:
        return sys.executable
    candidates = [shutil.which('python' + version)]
    candidates += sorted(glob.glob(os.path.join(os.environ.get('PYENV_ROOT', os.path.expanduser('~/.pyenv')), 'versions',
                                                version + '.*', 'bin', 'python' + version)), reverse=True)
    for path in candidates:
        if not path:
            continue
        try:
            out = subprocess.run([path, '-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return path
    return None


def pick_python(versions):
    """The Python running this script when the release supports it (the one developers and CI have), else the newest found."""
    mine = '%d.%d' % sys.version_info[:2]
    for version in ([mine] if mine in versions else []) + list(versions):
        path = find_python(version)
        if path:
            return path
    return None


def clean_env(extra=None):
    """The environment of a user's shell: nothing of this repository's Makefile (ANSIBLE_CONFIG, venv PATH)."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'PYTHON', 'VIRTUAL_ENV')))
    env['PATH'] = os.pathsep.join(p for p in env.get('PATH', '').split(os.pathsep) if not p.startswith(ROOT))
    env['ANSIBLE_FORCE_COLOR'] = '0'
    env['PY_COLORS'] = '0'
    env['ANSIBLE_NOCOLOR'] = '1'
    env.update(extra or {})
    return env


def run(cmd, logfile, cwd=None, env=None, timeout=3600):
    """Run cmd with its output appended to logfile; True when it exits 0."""
    with open(logfile, 'a') as f:
        f.write('\n$ %s   (cwd %s)\n' % (' '.join(cmd), cwd or os.getcwd()))
        f.flush()
        try:
            res = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            f.write('TIMEOUT after %d s\n' % timeout)
            return False
        f.write('exit %d\n' % res.returncode)
    return res.returncode == 0


def pip_version_pinned(venv):
    """The pip version ansible-test bootstraps in its own virtual environments (it downloads get-pip.py for it)."""
    for path in glob.glob(os.path.join(venv, 'lib', 'python3*', 'site-packages', 'ansible_test', '_internal',
                                       'python_requirements.py')):
        with open(path) as f:
            found = re.search(r"pip='([0-9.]+)'", f.read())
        if found:
            return found.group(1)
    return None


def offline_get_pip(venv):
    """ansible-test fetches get-pip.py from a host this machine cannot reach: give it the offline stand-in of .ci/."""
    version = pip_version_pinned(venv)
    src = os.path.join(ROOT, '.ci', 'get_pip.py')
    if not version or not os.path.exists(src):
        return
    cache = os.path.join(os.path.expanduser('~'), '.ansible', 'test', 'cache')
    os.makedirs(cache, exist_ok=True)
    shutil.copy(src, os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_')))


def summary_line(logfile):
    """pytest's closing line (N failed, M passed ...) from the log."""
    with open(logfile) as f:
        lines = [line.strip(' =\n') for line in f if re.search(r'\d+ (passed|failed|errors?)\b', line)]
    return lines[-1] if lines else 'see the log'


def run_output(cmd, logfile, cwd=None, env=None, timeout=600):
    """Like run(), and also return the output: (ok, text)."""
    with open(logfile, 'a') as f:
        f.write('\n$ %s   (cwd %s)\n' % (' '.join(cmd), cwd or os.getcwd()))
    try:
        res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                             timeout=timeout)
        out, rc = res.stdout, res.returncode
    except subprocess.TimeoutExpired as exc:
        out, rc = exc.output or '', None
        if isinstance(out, bytes):
            out = out.decode('utf-8', 'replace')
    with open(logfile, 'a') as f:
        f.write(out + ('TIMEOUT after %d s\n' % timeout if rc is None else 'exit %d\n' % rc))
    return rc == 0, out


def no_network_prefix():
    """The prefix that runs a command in a network namespace of its own with no interface up (`unshare --net`, as
    root): a play that tried to reach a host there fails as unreachable and sends nothing. None when it cannot be made."""
    try:
        ok = subprocess.run(['unshare', '--net', '--', 'true'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        ok = False
    return ['unshare', '--net', '--'] if ok else None


PLAYBOOK_PREFIX = 'lvs.cluster.'
VALIDATE_TASK = 'Check every lvs_* variable of the inventory'
RECAP = re.compile(r'^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)


def play(bin_, tarball, project, deps, logfile, env, report, inventory=None, require_no_network=False):
    """The collection as a user runs it, from a fresh project directory with the tarball only:

      install   ansible-galaxy collection install of the tarball into <project>/collections
      validate  ansible-playbook lvs.cluster.site -i inventories/prod --tags lvs_validate
      syntax    ansible-playbook --syntax-check of every playbook the tarball ships, by FQCN (one run; each alone on failure)

    inventories/prod is the repository's example, with private addresses: the plays run in a network namespace of their
    own with no interface up (unshare --net), with an ssh that only records that it was started, and the validation
    passes only when the validation task ran, ssh never started and no host was unreachable: it contacts no host.
    report(step, ok, seconds, detail) is called after each step; the return value is True when all passed."""
    inventory = inventory or os.path.join(ROOT, 'inventories', 'prod')
    shutil.rmtree(project, ignore_errors=True)
    os.makedirs(project)
    collections = os.path.join(project, 'collections')
    ssh_log = os.path.join(project, 'ssh-started.txt')
    ssh_stub = os.path.join(project, 'ssh-stub')
    with open(ssh_stub, 'w') as f:
        f.write('#!/bin/sh\necho "$*" >> "%s"\nexit 255\n' % ssh_log)
    os.chmod(ssh_stub, 0o755)
    penv = dict(env, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(p for p in (collections, deps) if p), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                ANSIBLE_CONFIG=os.path.join(project, 'ansible.cfg'), ANSIBLE_HOME=os.path.join(project, '.ansible'),
                ANSIBLE_SSH_EXECUTABLE=ssh_stub, ANSIBLE_RETRY_FILES_ENABLED='false')
    with open(penv['ANSIBLE_CONFIG'], 'w') as f:
        f.write('[defaults]\ngathering = explicit\n')

    t0 = time.time()
    ok = run([os.path.join(bin_, 'ansible-galaxy'), 'collection', 'install', '--force', '--no-deps', '-p', collections, tarball],
             logfile, cwd=project, env=penv)
    installed = os.path.join(collections, 'ansible_collections', 'lvs', 'cluster')
    names = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(installed, 'playbooks', '*.yml')))
    ok = ok and 'site' in names
    report('install', ok, time.time() - t0, '%s into a fresh project (%d playbooks)' % (os.path.basename(tarball), len(names)))
    if not ok:
        return False

    prefix = no_network_prefix()
    where = 'network namespace with no interface up' if prefix else 'NO network namespace (unshare --net needs root)'
    all_ok = True
    t0 = time.time()
    if prefix is None and require_no_network:
        ok, why = False, 'cannot make a network namespace (unshare --net): not run against inventories/prod'
    else:
        playbook = (prefix or []) + [os.path.join(bin_, 'ansible-playbook'), '-i', inventory]
        ok, out = run_output(playbook + [PLAYBOOK_PREFIX + 'site', '--tags', 'lvs_validate'], logfile, cwd=project, env=penv)
        recap = RECAP.findall(out)
        problems = []
        if not ok:
            problems.append('exit non-zero')
        if VALIDATE_TASK not in out:
            problems.append('the validation task did not run')
        if not recap or any(int(r[3]) or int(r[4]) for r in recap):
            problems.append('a host unreachable or failed in the recap')
        if os.path.exists(ssh_log):
            problems.append('ssh was started')
        ok = not problems
        why = ('; '.join(problems) if problems else
               'site --tags lvs_validate: the validation ran (recap: %s, none unreachable or failed), ssh never started, %s'
               % (', '.join(r[0] for r in recap), where))
    all_ok = all_ok and ok
    report('validate', ok, time.time() - t0, why)

    t0 = time.time()
    playbook = (prefix or []) + [os.path.join(bin_, 'ansible-playbook'), '-i', inventory, '--syntax-check']
    ok = run(playbook + [PLAYBOOK_PREFIX + n for n in names], logfile, cwd=project, env=penv)
    if ok:
        why = '%d playbooks by FQCN' % len(names)
    else:
        bad = [n for n in names if not run(playbook + [PLAYBOOK_PREFIX + n], logfile, cwd=project, env=penv)]
        why = 'failed: %s' % ', '.join(PLAYBOOK_PREFIX + n for n in bad) if bad else 'failed together, passed one by one'
        ok = False
    all_ok = all_ok and ok
    report('syntax', ok, time.time() - t0, why)
    return all_ok


def one_release(release, args, work):
    row = {'release': release, 'python': None, 'core': None, 'seconds': 0}
    for step in STEPS:
        row[step] = 'skipped' if step in args.skip else 'not run'
    start = time.time()
    pythons = RELEASES[release]['pythons']
    python = pick_python(pythons)
    if not python:
        row['note'] = ('cannot run here: ansible-core %s needs Python %s as controller, and none of python%s is on this '
                       'machine' % (release, ' or '.join(pythons), ', python'.join(pythons)))
        for step in STEPS:
            if row[step] == 'not run':
                row[step] = 'cannot run'
        log('== %s: %s' % (release, row['note']))
        return row
    base = os.path.join(work, release)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    logfile = os.path.join(base, 'log.txt')
    venv = os.path.join(base, 'venv')
    bin_ = os.path.join(venv, 'bin')
    env = clean_env({'PATH': bin_ + os.pathsep + clean_env()['PATH'], 'VIRTUAL_ENV': venv})
    log('== %s: venv with %s (log %s)' % (release, python, logfile))
    ok = (run([python, '-m', 'venv', venv], logfile)
          and run([os.path.join(bin_, 'pip'), 'install', '-q', '--upgrade', 'pip'], logfile, env=env)
          and run([os.path.join(bin_, 'pip'), 'install', '-q', '-c', CONSTRAINTS, 'ansible-core==' + RELEASES[release]['core']]
                  + list(UNIT_EXTRA), logfile, env=env))
    if not ok:
        row['note'] = 'pip could not install ansible-core %s (see log)' % RELEASES[release]['core']
        row['build'] = 'failed'
        row['seconds'] = round(time.time() - start)
        return row
    row['python'] = subprocess.run([os.path.join(bin_, 'python'), '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
                                   stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    row['core'] = subprocess.run([os.path.join(bin_, 'python'), '-c', 'import ansible.release as r; print(r.__version__)'],
                                 stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    pyver = '.'.join(row['python'].split('.')[:2])
    offline_get_pip(venv)

    out = os.path.join(base, 'dist')
    tree = os.path.join(base, 'collections', 'ansible_collections', 'lvs', 'cluster')
    tarballs = []
    if 'build' not in args.skip:
        ok = run([os.path.join(bin_, 'ansible-galaxy'), 'collection', 'build', '--output-path', out, ROOT], logfile, env=env)
        tarballs = glob.glob(os.path.join(out, 'lvs-cluster-*.tar.gz'))
        row['build'] = 'passed' if ok and tarballs else 'failed'
        log('   %s build: %s' % (release, row['build']))
        if row['build'] == 'passed':
            os.makedirs(tree)
            with tarfile.open(tarballs[0]) as tar:
                tar.extractall(tree)
            # ansible-test reads the file list from git when there is a repository
            run(['git', 'init', '-q', '.'], logfile, cwd=tree)
            run(['git', 'add', '-A'], logfile, cwd=tree)
    have_tree = os.path.isdir(tree)
    if 'sanity' in args.skip:
        pass
    elif not have_tree:
        row['sanity'] = 'not run (no build)'
    else:
        t0 = time.time()
        ok = run([os.path.join(bin_, 'ansible-test'), 'sanity', '--color', 'no', '--python', pyver, '--requirements'],
                 logfile, cwd=tree, env=env)
        row['sanity'] = 'passed' if ok else 'failed'
        row['sanity_seconds'] = round(time.time() - t0)
        log('   %s sanity: %s (%d s)' % (release, row['sanity'], row['sanity_seconds']))
    if 'units' in args.skip:
        pass
    else:
        # The project's unit suite as developers and CI run it (pytest from the checkout, tests/unit), with this
        # release's ansible-core. (`ansible-test units` on the shipped tree is left out: see docs/matrix.md.)
        t0 = time.time()
        # --continue-on-collection-errors: a test file that cannot be imported with this release does not hide the others.
        # tests/unit/awx checks awx/configure.yml against the awx.awx collection of the `ansible` bundle, which these
        # venvs do not carry (the AWX configuration is not part of the collection; `make unit` runs those tests).
        ok = run([os.path.join(bin_, 'python'), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '--continue-on-collection-errors',
                  '--ignore', 'tests/unit/awx', 'tests/unit'], logfile, cwd=ROOT, env=env)
        row['units'] = 'passed' if ok else 'failed: ' + summary_line(logfile)
        row['units_seconds'] = round(time.time() - t0)
        log('   %s units: %s (%d s)' % (release, row['units'], row['units_seconds']))
    if 'play' not in args.skip:
        if not have_tree:
            row['play'] = 'not run (no build)'
        else:
            failed = []

            def report(step, ok, seconds, detail):
                log('   %s %-8s %-6s %5.1f s  %s' % (release, step, 'passed' if ok else 'FAILED', seconds, detail))
                if not ok:
                    failed.append('%s: %s' % (step, detail))

            play(bin_, tarballs[0], os.path.join(base, 'project'), args.deps_path, logfile, env, report, require_no_network=True)
            row['play'] = 'passed' if not failed else 'failed: ' + '; '.join(failed)
    row['seconds'] = round(time.time() - start)
    return row


def default_deps_path():
    """ansible.posix and community.general (galaxy.yml dependencies, for --syntax-check of the deploy playbooks):
    Galaxy is not reachable here, so use the ones the `ansible` bundle of this repository's .venv carries."""
    found = glob.glob(os.path.join(ROOT, '.venv', 'lib', 'python3*', 'site-packages'))
    for path in found:
        if os.path.isdir(os.path.join(path, 'ansible_collections', 'community', 'general')):
            return path
    return ''


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--versions', default=','.join(RELEASES), help='comma-separated release lines (default: all)')
    parser.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'lvs-cluster-matrix'),
                        help='work directory (default $TMPDIR/lvs-cluster-matrix; not build/, which make build empties)')
    parser.add_argument('--skip', default='', help='comma-separated steps to leave out: ' + ', '.join(STEPS))
    parser.add_argument('--deps-path', default=default_deps_path(),
                        help='a collections path holding ansible.posix and community.general (default: the .venv bundle)')
    parser.add_argument('--strict', action='store_true', default=in_ci(),
                        help='a release that cannot run here fails the matrix (default under CI=true)')
    args = parser.parse_args()
    args.skip = set(s for s in re.split(r'[\s,]+', args.skip) if s)
    unknown = args.skip - set(STEPS)
    versions = [v for v in re.split(r'[\s,]+', args.versions) if v]
    if unknown or any(v not in RELEASES for v in versions):
        parser.error('unknown step or release: %s' % ', '.join(sorted(unknown | set(v for v in versions if v not in RELEASES))))
    os.makedirs(args.work, exist_ok=True)
    start = time.time()
    rows = [one_release(v, args, args.work) for v in versions]
    total = round(time.time() - start)
    log('')
    log('%-7s %-8s %-9s %-8s %-8s %-8s %-8s %s' % ('release', 'core', 'python', 'build', 'sanity', 'units', 'play', 'seconds'))
    bad = False
    for row in rows:
        cells = (row['release'], row['core'] or '-', row['python'] or '-', row['build'], row['sanity'], row['units'].split(':')[0],
                 row['play'].split(':')[0], row['seconds'])
        log('%-7s %-8s %-9s %-8s %-8s %-8s %-8s %s' % cells)
        if row.get('note'):
            log('        note: %s' % row['note'])
        for step in ('units', 'play'):
            if ':' in row[step]:
                log('        %s %s' % (step, row[step]))
        cannot = any(row[s] == 'cannot run' for s in STEPS)
        if (cannot and args.strict) or any(str(row[s]).startswith('failed') for s in STEPS):
            bad = True
    log('matrix: %d release(s) in %d s' % (len(rows), total))
    with open(os.path.join(args.work, 'matrix.json'), 'w') as f:
        json.dump({'seconds': total, 'rows': rows}, f, indent=2)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
