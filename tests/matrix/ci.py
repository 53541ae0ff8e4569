#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CI-sized ansible-core matrix (`make matrix-ci`, part of `make test`): what meta/runtime.yml's requires_ansible admits.

The release lines come from requires_ansible and the lines tests/matrix/run.py knows (its RELEASES, with the exact
ansible-core release of each): every line that requires_ansible admits runs, and a line whose pinned release it does
not admit fails. For each line:

  python    a Python the line supports as a controller (the one running this script, one on PATH, pyenv's); none is a failure
  venv      its own virtual environment from PyPI, ansible-core and its requirements pinned (tests/matrix/constraints.txt),
            cached under ~/.cache/lvs-matrix/<line>-<key>, the key a hash of the pins and the Python: made once, then reused
  build     ansible-galaxy collection build of this repository with that release
  install   the tarball installed into a fresh project directory (ansible-galaxy collection install)
  validate  ansible-playbook lvs.cluster.site -i inventories/prod --tags lvs_validate, in a network namespace with no
            interface up and an ssh that only records being started: passes when the validation ran and contacted no host
  syntax    ansible-playbook --syntax-check of every playbook the tarball ships, by FQCN

It prints one line per step with its seconds, a table, a closing line, and exits non-zero when any step of any line
failed. Sanity and the unit suite per release are the release job: tests/matrix/run.py (`make matrix`, 1.5-2 h).

  python3 tests/matrix/ci.py                       # the lines requires_ansible admits
  python3 tests/matrix/ci.py --versions 2.20       # some lines only (a developer's check)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import concurrent.futures
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as matrix  # noqa: E402  (tests/matrix/run.py: RELEASES, the Python finder, the play step)

ROOT = matrix.ROOT
STEPS = ('venv', 'build', 'install', 'validate', 'syntax')
CACHE = os.path.join(os.path.expanduser('~'), '.cache', 'lvs-matrix')
CLAUSE = re.compile(r'^\s*(~=|==|!=|>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)*)(\.\*)?\s*$')


def read_requires_ansible(root=ROOT):
    """requires_ansible of meta/runtime.yml (a version specifier such as '>=2.19.0')."""
    with open(os.path.join(root, 'meta', 'runtime.yml')) as f:
        found = re.search(r'''^requires_ansible:\s*(["']?)([^"'#\n]+)\1''', f.read(), re.M)
    if not found:
        raise ValueError('meta/runtime.yml has no requires_ansible')
    return found.group(2).strip()


def parse_version(text):
    return tuple(int(part) for part in text.split('.'))


def _padded(version, length):
    return tuple(version) + (0,) * (length - len(version))


def spec_admits(spec, version):
    """Whether the version (a tuple of ints) satisfies the specifier (clauses ~= == != >= <= > <, '.*' after == and !=,
    joined by commas). A clause this does not know raises ValueError: CI then fails instead of guessing."""
    for clause in spec.split(','):
        found = CLAUSE.match(clause)
        if not found:
            raise ValueError('requires_ansible clause not understood: %r' % clause)
        op, want, star = found.group(1), parse_version(found.group(2)), bool(found.group(3))
        if star and op not in ('==', '!='):
            raise ValueError('requires_ansible clause not understood: %r' % clause)
        length = max(len(want), len(version))
        have, want_p = _padded(version, length), _padded(want, length)
        if star:
            ok = tuple(version[:len(want)]) == want
            ok = ok if op == '==' else not ok
        elif op == '~=':
            if len(want) < 2:
                raise ValueError('~= needs two version parts or more: %r' % clause)
            ok = have >= want_p and tuple(version[:len(want) - 1]) == want[:-1]
        else:
            ok = {'==': have == want_p, '!=': have != want_p, '>=': have >= want_p, '<=': have <= want_p,
                  '>': have > want_p, '<': have < want_p}[op]
        if not ok:
            return False
    return True


def admitted_lines(spec, releases):
    """(lines, problems): the release lines of `releases` (run.py's RELEASES) of which requires_ansible admits a release,
    oldest first; a problem for each such line whose pinned release it does not admit (the pin must move)."""
    lines, problems = [], []
    for line in sorted(releases, key=parse_version):
        pin = parse_version(releases[line]['core'])
        first, last = parse_version(line) + (0,), parse_version(line) + (10 ** 6,)
        if not any(spec_admits(spec, v) for v in (first, pin, last)):
            continue
        lines.append(line)
        if not spec_admits(spec, pin):
            problems.append('requires_ansible %r admits ansible-core %s.x but not the pinned %s (tests/matrix/run.py RELEASES)'
                            % (spec, line, releases[line]['core']))
    return lines, problems


def venv_key(python_path, python_version, core, constraints_text):
    """The cache key of a line's venv: the Python (its path and exact version), the ansible-core pin and the constraints."""
    text = '\n'.join((os.path.realpath(python_path), python_version, 'ansible-core==' + core, constraints_text))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]


def exact_python_version(python):
    res = subprocess.run([python, '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
    return res.stdout.strip() if res.returncode == 0 else None


def cached_venv(line, python, cache, logfile):
    """(venv, 'cached' | 'made', problem): the line's venv under cache, made when no complete one has this key."""
    core = matrix.RELEASES[line]['core']
    with open(matrix.CONSTRAINTS) as f:
        constraints_text = f.read()
    pyver = exact_python_version(python)
    if not pyver:
        return None, None, '%s does not run' % python
    venv = os.path.join(cache, '%s-%s' % (line, venv_key(python, pyver, core, constraints_text)))
    stamp = os.path.join(venv, '.lvs-matrix-complete')
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, '%s.lock' % line), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once: the second waits for the first's venv
        if os.path.exists(stamp) and os.path.exists(os.path.realpath(os.path.join(venv, 'bin', 'python'))):
            return venv, 'cached', None
        shutil.rmtree(venv, ignore_errors=True)
        env = matrix.clean_env({'PIP_DISABLE_PIP_VERSION_CHECK': '1', 'PIP_NO_INPUT': '1'})
        # pip of the Python running this script installs into the venv (pip --python), which then needs no pip of its
        # own (ensurepip costs seconds per venv); a runner without pip >= 22.3 gives the venv its own.
        outer = subprocess.run([sys.executable, '-m', 'pip', '--python', sys.executable, '--version'], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env).returncode == 0
        if outer:
            pip = [sys.executable, '-m', 'pip', '--python', os.path.join(venv, 'bin', 'python')]
            ok = matrix.run([python, '-m', 'venv', '--without-pip', venv], logfile, env=env)
        else:
            pip = [os.path.join(venv, 'bin', 'python'), '-m', 'pip']
            ok = matrix.run([python, '-m', 'venv', venv], logfile, env=env)
        ok = ok and matrix.run(pip + ['install', '-q', '--no-compile', '--only-binary', ':all:', '-c', matrix.CONSTRAINTS,
                                      'ansible-core==' + core], logfile, env=env, timeout=900)
        if not ok:
            shutil.rmtree(venv, ignore_errors=True)
            return None, None, 'pip could not install ansible-core %s with Python %s (see the log)' % (core, pyver)
        ok, out = matrix.run_output([os.path.join(venv, 'bin', 'ansible-galaxy'), '--version'], logfile, env=env)
        if not ok or ('core %s]' % core) not in out:
            shutil.rmtree(venv, ignore_errors=True)
            return None, None, 'the new venv does not run ansible-core %s (see the log)' % core
        freeze = subprocess.run(pip + ['freeze'], stdout=subprocess.PIPE, universal_newlines=True, env=env).stdout
        with open(stamp + '.tmp', 'w') as f:
            f.write('# python %s (%s)\n%s' % (pyver, os.path.realpath(python), freeze))
        os.rename(stamp + '.tmp', stamp)
        # older venvs of this line (other pins or Python) go: the cache holds one per line
        for other in os.listdir(cache):
            if other.startswith(line + '-') and os.path.join(cache, other) != venv:
                shutil.rmtree(os.path.join(cache, other), ignore_errors=True)
    return venv, 'made', None


def log_tail(logfile, count=40):
    try:
        with open(logfile) as f:
            lines = f.read().splitlines()
    except OSError:
        return
    matrix.log('   --- last %d lines of %s' % (min(count, len(lines)), logfile))
    for text in lines[-count:]:
        matrix.log('   | ' + text)


class Line(object):
    """One release line's row of the table, its work directory and log, and the report of its steps."""

    def __init__(self, line, args):
        self.line, self.args = line, args
        self.row = dict(line=line, core=matrix.RELEASES[line]['core'], python=None, seconds=0, note='')
        for step in STEPS:
            self.row[step] = 'not run'
            self.row[step + '_seconds'] = None
        self.base = os.path.join(args.work, line)
        shutil.rmtree(self.base, ignore_errors=True)
        os.makedirs(self.base)
        self.logfile = os.path.join(self.base, 'log.txt')
        self.venv = None

    def report(self, step, ok, seconds, detail):
        self.row[step] = 'passed' if ok else 'FAILED'
        self.row[step + '_seconds'] = round(seconds, 1)
        self.row['seconds'] = round(self.row['seconds'] + seconds, 1)
        if not ok:
            self.row['note'] = self.row['note'] or '%s: %s' % (step, detail)
        matrix.log('   %s %-8s %-6s %6.1f s  %s' % (self.line, step, self.row[step], seconds, detail))

    def prepare(self):
        """The python and venv steps."""
        t0 = time.time()
        pythons = matrix.RELEASES[self.line]['pythons']
        python = matrix.pick_python(pythons)
        if not python:
            self.report('venv', False, time.time() - t0, 'no Python for ansible-core %s: it needs python%s as controller, and '
                        'none runs here (PATH, pyenv versions)' % (self.line, ' or python'.join(pythons)))
            return
        venv, how, problem = cached_venv(self.line, python, self.args.cache, self.logfile)
        if problem:
            self.report('venv', False, time.time() - t0, problem)
            log_tail(self.logfile)
            return
        self.venv = venv
        self.row['venv_how'] = how
        self.row['python'] = exact_python_version(os.path.join(venv, 'bin', 'python'))
        self.report('venv', True, time.time() - t0, '%s: %s (ansible-core %s, Python %s)' % (how, venv, self.row['core'], self.row['python']))

    def build_and_play(self):
        if not self.venv:
            return
        bin_ = os.path.join(self.venv, 'bin')
        env = matrix.clean_env({'PATH': bin_ + os.pathsep + matrix.clean_env()['PATH'], 'VIRTUAL_ENV': self.venv})
        t0 = time.time()
        out = os.path.join(self.base, 'dist')
        ok = matrix.run([os.path.join(bin_, 'ansible-galaxy'), 'collection', 'build', '--output-path', out, ROOT], self.logfile, env=env)
        tarballs = sorted(os.path.join(out, n) for n in os.listdir(out)) if os.path.isdir(out) else []
        ok = ok and len(tarballs) == 1
        self.report('build', ok, time.time() - t0, '%s, %d KB' % (os.path.basename(tarballs[0]), os.path.getsize(tarballs[0]) // 1024)
                    if ok else 'ansible-galaxy collection build failed')
        if ok:
            ok = matrix.play(bin_, tarballs[0], os.path.join(self.base, 'project'), self.args.deps_path, self.logfile, env,
                             self.report, require_no_network=True)
        if not ok:
            log_tail(self.logfile)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--versions', default='', help='release lines to run, commas or spaces (default: those requires_ansible admits)')
    parser.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'lvs-cluster-matrix-ci'),
                        help='work directory, emptied per line (default $TMPDIR/lvs-cluster-matrix-ci)')
    parser.add_argument('--cache', default=os.environ.get('LVS_MATRIX_CACHE', CACHE), help='venv cache (default ~/.cache/lvs-matrix)')
    parser.add_argument('--deps-path', default=matrix.default_deps_path(),
                        help='a collections path holding ansible.posix and community.general (default: the .venv ansible bundle)')
    parser.add_argument('--jobs', type=int, default=0, help='lines at a time (default: one per core)')
    args = parser.parse_args()
    start = time.time()
    spec = read_requires_ansible()
    lines, problems = admitted_lines(spec, matrix.RELEASES)
    matrix.log('matrix-ci: requires_ansible %r admits %s of the lines tests/matrix/run.py knows (%s)'
               % (spec, ', '.join(lines) or 'none', ', '.join(sorted(matrix.RELEASES, key=parse_version))))
    if args.versions:
        chosen = [v for v in re.split(r'[\s,]+', args.versions) if v]
        unknown = [v for v in chosen if v not in matrix.RELEASES]
        if unknown:
            parser.error('unknown release line: %s' % ', '.join(unknown))
        lines = chosen
        matrix.log('matrix-ci: --versions: %s only' % ', '.join(lines))
    if not lines:
        problems.append('no release line to run')
    if not args.deps_path:
        problems.append('no collections path with ansible.posix and community.general for the syntax checks (the ansible '
                        'bundle of .venv: make venv), or give --deps-path')
    for problem in problems:
        matrix.log('matrix-ci: FAILED: ' + problem)
    os.makedirs(args.work, exist_ok=True)
    todo = [Line(line, args) for line in lines] if args.deps_path else []
    if todo:
        # the lines run side by side (--jobs, default one per core): a cold venv is mostly waiting for PyPI, the rest
        # is one ansible process at a time per line
        jobs = max(1, min(len(todo), args.jobs or os.cpu_count() or 1))
        matrix.log('matrix-ci: %s, %d at a time; venvs cached in %s' % (', '.join(lines), jobs, args.cache))
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(lambda one: one.prepare() or one.build_and_play(), todo))
    rows = [one.row for one in todo]
    total = time.time() - start
    matrix.log('')
    fmt = '%-5s %-8s %-7s %-7s %-7s %-8s %-9s %-7s %s'
    matrix.log(fmt % ('line', 'core', 'python', 'venv', 'build', 'install', 'validate', 'syntax', 'seconds'))

    def cell(row, step):
        if row[step + '_seconds'] is None:
            return '-' if row[step] == 'not run' else row[step]
        return ('%.1f' % row[step + '_seconds']) if row[step] == 'passed' else 'FAILED'

    for row in rows:
        venv = cell(row, 'venv')
        if row.get('venv_how') == 'cached':
            venv = 'cached'
        matrix.log(fmt % ((row['line'], row['core'], row['python'] or '-', venv) + tuple(cell(row, s) for s in STEPS[1:])
                          + (row['seconds'],)))
        if row['note']:
            matrix.log('      %s' % row['note'])
    failed = [r['line'] for r in rows if any(r[s] != 'passed' for s in STEPS)]
    passed = len(rows) - len(failed)
    with open(os.path.join(args.work, 'matrix-ci.json'), 'w') as f:
        json.dump({'requires_ansible': spec, 'seconds': round(total, 1), 'problems': problems, 'rows': rows}, f, indent=2)
    matrix.log('matrix-ci: %d passed, %d failed in %d s (lines %s; logs in %s)'
               % (passed, len(failed) + (1 if problems and not failed else 0), round(total), ', '.join(lines) or 'none', args.work))
    return 1 if failed or problems else 0


if __name__ == '__main__':
    sys.exit(main())
