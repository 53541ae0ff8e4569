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
  play    from an empty project directory with no ansible.cfg, the installed collection only:
          ansible-playbook lvs.cluster.validate -i inventories/prod, lvs.cluster.site --tags lvs_validate, and
          --syntax-check of every playbook the tarball ships, by FQCN. These plays contact no host: the validation
          runs on the controller (validate_inventory has no connection, run_once + delegate_to localhost).

A release that cannot run here (no supported Python on the machine) is reported as such with the reason, and
counts as a failure only with --strict. Usage:

  python3 tests/matrix/run.py                       # every release line, work in $TMPDIR/lvs-cluster-matrix
  python3 tests/matrix/run.py --versions 2.16,2.20  # some of them
  python3 tests/matrix/run.py --skip sanity         # leave out a step (build, sanity, units, play)

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

# Controller Pythons of each release line (ansible-core's support matrix), newest first: the first one found here is used.
RELEASES = {
    '2.16': ('3.12', '3.11', '3.10'),
    '2.17': ('3.12', '3.11', '3.10'),
    '2.18': ('3.13', '3.12', '3.11'),
    '2.19': ('3.13', '3.12', '3.11'),
    '2.20': ('3.14', '3.13', '3.12'),
}
STEPS = ('build', 'sanity', 'units', 'play')
# What tests/unit imports besides ansible-core (and PyYAML, Jinja2 that come with it).
UNIT_EXTRA = ('pyroute2>=0.9.7', 'pytest>=8')


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


def shipped_playbooks(tree):
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(tree, 'playbooks', '*.yml')))


def one_release(release, args, work):
    row = {'release': release, 'python': None, 'core': None, 'seconds': 0}
    for step in STEPS:
        row[step] = 'skipped' if step in args.skip else 'not run'
    start = time.time()
    pythons = RELEASES[release]
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
          and run([os.path.join(bin_, 'pip'), 'install', '-q', 'ansible-core==%s.*' % release] + list(UNIT_EXTRA), logfile, env=env))
    if not ok:
        row['note'] = 'pip could not install ansible-core %s.* (see log)' % release
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
            project = os.path.join(base, 'project')
            os.makedirs(project)
            inventory = os.path.join(ROOT, 'inventories', 'prod')
            penv = dict(env, ANSIBLE_COLLECTIONS_PATH=os.path.join(base, 'collections'),
                        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_CONFIG=os.path.join(project, 'ansible.cfg'))
            with open(penv['ANSIBLE_CONFIG'], 'w') as f:
                f.write('[defaults]\ngathering = explicit\n')
            playbook = os.path.join(bin_, 'ansible-playbook')
            checks = [[playbook, 'lvs.cluster.validate', '-i', inventory],
                      [playbook, 'lvs.cluster.site', '-i', inventory, '--tags', 'lvs_validate']]
            deps = args.deps_path
            if deps:
                penv['ANSIBLE_COLLECTIONS_PATH'] += os.pathsep + deps
            checks += [[playbook, 'lvs.cluster.' + name, '-i', inventory, '--syntax-check'] for name in shipped_playbooks(tree)]
            failed = [' '.join(c[1:2] + c[4:]) for c in checks if not run(c, logfile, cwd=project, env=penv, timeout=600)]
            row['play'] = 'passed' if not failed else 'failed: ' + '; '.join(failed)
            log('   %s play: %s (%d checks)' % (release, row['play'], len(checks)))
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
    parser.add_argument('--strict', action='store_true', help='a release that cannot run here fails the matrix')
    args = parser.parse_args()
    args.skip = set(s for s in args.skip.split(',') if s)
    unknown = args.skip - set(STEPS)
    versions = [v for v in args.versions.split(',') if v]
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
