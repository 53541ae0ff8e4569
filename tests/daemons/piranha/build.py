# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build piranha's own lvs.cf parser (and nanny's escape translation) into small judge programs, at test time.

piranha's parser (``lvsParseConfig`` in ``lvsconfig.c``) is third-party code: it is never copied into the collection.
This module extracts ``lvsconfig.c``, ``lvsconfig.h`` and ``globals.h`` from the piranha source tarball (default
``../shared/third_party/piranha/piranha-0.8.6-src.tar.gz`` next to the repository, or ``$PIRANHA_TARBALL``) and
compiles them with ``judge.c`` (ours: it only calls the parser and prints what it read as JSON) into a cache
directory keyed by the tarball's and judge.c's SHA-256 (``$LVS_CLUSTER_CACHE``, default ``~/.cache/lvs-cluster``).
Only a C compiler and the C library headers are needed for the parser (Debian: ``gcc``, ``libc6-dev``).

``build_nanny()`` does the same with ``nanny.c``, ``util.c`` and ``ipvs_exec.c`` (nanny's ``main`` renamed) and
``nanny_escapes.c``, a judge of nanny's ``convert_str`` (the escapes nanny translates in ``send``/``expect``); it links
libpopt and libssl as nanny does (Debian: ``libpopt-dev``, ``libssl-dev``).

``python3 tests/daemons/piranha/build.py [FILE...]`` builds the judge, prints its path, and runs it on the files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
DEFAULT_TARBALL = os.path.abspath(os.path.join(ROOT, '..', 'shared', 'third_party', 'piranha', 'piranha-0.8.6-src.tar.gz'))
JUDGE_C = os.path.join(HERE, 'judge.c')
NANNY_C = os.path.join(HERE, 'nanny_escapes.c')
SOURCES = ('lvsconfig.c', 'lvsconfig.h', 'globals.h')
NANNY_SOURCES = ('nanny.c', 'nanny.h', 'util.c', 'util.h', 'ipvs_exec.c', 'globals.h', 'lvsconfig.h')
CFLAGS = ['-O1', '-w', '-fcommon']
# What piranha's Makefile passes; nanny.c prints them in --version.
DEFINES = ['-DVERSION="0.8.6"', '-DRELEASE="1"', '-DDATE="test"']


class BuildError(Exception):
    """The judge could not be built (no compiler, no C headers, a broken tarball...)."""


def tarball():
    """Path of the piranha source tarball, or None when it is absent."""
    path = os.environ.get('PIRANHA_TARBALL') or DEFAULT_TARBALL
    return path if os.path.isfile(path) else None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(65536), b''):
            digest.update(block)
    return digest.hexdigest()


def compiler():
    return os.environ.get('CC') or shutil.which('gcc') or shutil.which('cc')


def _build(path, judge_c, sources, name, compile_args):
    path = path or tarball()
    if path is None:
        raise BuildError('the piranha tarball is absent (%s; set PIRANHA_TARBALL)' % DEFAULT_TARBALL)
    key = '%s-%s' % (_sha256(path)[:16], _sha256(judge_c)[:16])
    cache = os.path.join(os.environ.get('LVS_CLUSTER_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'lvs-cluster'),
                         '%s-%s' % (name, key))
    binary = os.path.join(cache, name)
    if os.access(binary, os.X_OK):
        return binary
    cc = compiler()
    if cc is None:
        raise BuildError('no C compiler (install gcc and libc6-dev)')
    work = tempfile.mkdtemp(prefix='%s-' % name)
    try:
        with tarfile.open(path) as tar:
            members = dict((os.path.basename(m.name), m) for m in tar.getmembers()
                           if m.isfile() and '/PiranhaLastVerBackupSourceFiles/' in '/' + m.name)
            for source in sources:
                if source not in members:
                    raise BuildError('%s has no PiranhaLastVerBackupSourceFiles/%s' % (path, source))
                with tar.extractfile(members[source]) as src, open(os.path.join(work, source), 'wb') as dst:
                    shutil.copyfileobj(src, dst)
        out = os.path.join(work, name)
        for step in compile_args(cc, work, out):
            proc = subprocess.run(step, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
            if proc.returncode != 0:
                raise BuildError('compiling piranha\'s sources failed (%s):\n%s' % (' '.join(step), proc.stdout[-3000:]))
        os.makedirs(cache, exist_ok=True)
        staged = binary + '.%d' % os.getpid()
        shutil.copy2(out, staged)
        os.rename(staged, binary)
        return binary
    finally:
        shutil.rmtree(work, ignore_errors=True)


def build(path=None):
    """Return the path of the lvs.cf parser judge, building it when the cache has none. Raises BuildError."""
    return _build(path, JUDGE_C, SOURCES, 'lvscf-judge',
                  lambda cc, work, out: [[cc] + CFLAGS + ['-I', work, '-o', out, JUDGE_C, os.path.join(work, 'lvsconfig.c')]])


def build_nanny(path=None):
    """Return the path of the nanny escape judge (nanny's convert_str), building it when needed. Raises BuildError."""
    def steps(cc, work, out):
        return [[cc] + CFLAGS + DEFINES + ['-Dmain=nanny_main', '-c', 'nanny.c', '-o', 'nanny.o'],
                [cc] + CFLAGS + DEFINES + ['-I', work, '-o', out, NANNY_C, 'nanny.o', 'util.c', 'ipvs_exec.c',
                                           '-lpopt', '-lssl', '-lcrypto', '-lm']]
    return _build(path, NANNY_C, NANNY_SOURCES, 'nanny-escapes', steps)


def nanny_translate(binary, texts):
    """nanny's reading of each text (None when convert_str loops forever on it)."""
    if not texts:
        return []
    proc = subprocess.run([binary] + list(texts), stdout=subprocess.PIPE, universal_newlines=True, check=True, timeout=600)
    lines = proc.stdout.split('\n')[:len(texts)]
    return [None if line == 'loop' else bytes.fromhex(line).decode('latin-1') for line in lines]


def judge(binary, paths):
    """Run the judge on files; return {path: {'rc', 'line', 'error', 'config'}} (rc -1 when the parser crashed)."""
    results = {}
    for path in paths:
        proc = subprocess.run([binary, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              check=False, timeout=30)
        line = proc.stdout.strip().splitlines()
        if proc.returncode < 0 or not line:
            results[path] = {'rc': -1, 'line': 0, 'error': 'parser crashed (signal %d)' % -proc.returncode, 'config': None}
        else:
            results[path] = json.loads(line[-1])
    return results


def judge_text(binary, text):
    """Run the judge on lvs.cf text (written to a temporary file as bytes, exactly)."""
    handle, path = tempfile.mkstemp(suffix='.cf')
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(text.encode('utf-8'))
        return judge(binary, [path])[path]
    finally:
        os.unlink(path)


if __name__ == '__main__':
    BIN = build()
    print(BIN)
    for result in judge(BIN, sys.argv[1:]).values():
        print(json.dumps(result, sort_keys=True))
