#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build piranha's daemons for the lab (pulse, lvsd, nanny, send_arp) from the piranha sources, cached by their hash.

No distribution ships piranha any more, so the piranha lab compiles Red Hat's 0.8.6 sources (third-party test data
kept outside the collection, GPL-2.0-or-later, see ../shared/third_party/piranha/README.md) on this host and ships the
binaries to the guests with lvs.cluster.director_piranha's binaries install mode (lvs_piranha.install: binaries). The
guests run the same Debian 12 (same glibc) and have net-tools, libpopt0 and libssl3 in their image
(lab/image/packages.txt). Building needs gcc, libc6-dev, libpopt-dev and libssl-dev (make deps installs them).

The result goes to CACHE/<sha256 of the tarball>/bin/{pulse,lvsd,nanny,send_arp}; a second run with the same tarball
reuses it (builds into a temporary directory, then renames: concurrent builds never see half a result). The link
(default lab/run/piranha) is made to point at that bin directory: the lab inventory's lvs_piranha.binaries_dir names it.

Usage:
  python3 lab/piranha_build.py [--tarball PATH] [--cache DIR] [--link PATH] [--force]

  --tarball  the sources (default: $PIRANHA_TARBALL, else ../shared/third_party/piranha/piranha-0.8.6-src.tar.gz
             next to the repository)
  --cache    cache root (default: $PIRANHA_CACHE, else /var/cache/lvs-cluster/piranha)
  --link     symbolic link to the bin directory ('' for none; default lab/run/piranha in the repository)
  --force    build again even when the cache has this tarball's build

Prints the bin directory on stdout (progress and timings on stderr). Exit status: 0 built or reused; 2 the tarball is
missing (the message names PIRANHA_TARBALL) or unreadable; 1 the build failed (the compiler's output is shown).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARBALL_VAR = 'PIRANHA_TARBALL'
DEFAULT_TARBALL = os.path.join(os.path.dirname(REPO), 'shared', 'third_party', 'piranha', 'piranha-0.8.6-src.tar.gz')
DEFAULT_CACHE = '/var/cache/lvs-cluster/piranha'
DEFAULT_LINK = os.path.join(REPO, 'lab', 'run', 'piranha')
SOURCES = 'PiranhaLastVerBackupSourceFiles'
# The commands of ../shared/third_party/piranha/README.md (measured on Debian 12, gcc 12): -fcommon for the old
# tentative definitions, -w for gcc 12's warnings about 2001 code. Sources are relative to SOURCES.
CFLAGS = ['-O1', '-w', '-DVERSION="0.8.6"', '-DRELEASE="1"', '-DDATE="lvs.cluster lab"', '-fcommon']
PROGRAMS = (
    ('send_arp', ['send_arp.c'], []),
    ('pulse', ['pulse.c', 'util.c', 'lvsconfig.c', '../linkstate.c'], ['-lpopt']),
    ('lvsd', ['lvsd.c', 'util.c', 'lvsconfig.c', 'ipvs_exec.c'], ['-lpopt']),
    ('nanny', ['nanny.c', 'util.c', 'ipvs_exec.c'], ['-lpopt', '-lssl', '-lcrypto', '-lm']),
)
# pulse, lvsd and nanny print their version with --version (a run test of the binary and its libraries).
VERSIONED = ('pulse', 'lvsd', 'nanny')


class BuildError(Exception):
    pass


def log(message):
    sys.stderr.write('[piranha-build] %s\n' % message)
    sys.stderr.flush()


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def tarball_path(arg=None, environ=None):
    """The tarball to build: --tarball, else $PIRANHA_TARBALL, else the default next to the repository."""
    environ = os.environ if environ is None else environ
    return arg or environ.get(TARBALL_VAR) or DEFAULT_TARBALL


def missing_message(path):
    return ('the piranha sources are not at %s: set %s to the path of piranha-0.8.6-src.tar.gz (the third-party '
            'piranha 0.8.6 sources, see ../shared/third_party/piranha/README.md), e.g. make lab BACKEND=piranha %s=/path/to/'
            'piranha-0.8.6-src.tar.gz' % (path, TARBALL_VAR, TARBALL_VAR))


def extract(tarball, dest):
    """Extract the tarball into dest, refusing members that would land outside it (absolute paths, '..', links)."""
    with tarfile.open(tarball, 'r:*') as archive:
        members = archive.getmembers()
        root = os.path.realpath(dest)
        for member in members:
            target = os.path.realpath(os.path.join(dest, member.name))
            if not (target == root or target.startswith(root + os.sep)) or member.issym() or member.islnk() or member.isdev():
                raise BuildError('unexpected member %r in %s: not extracting it' % (member.name, tarball))
        archive.extractall(dest, members=[m for m in members if m.isfile() or m.isdir()])
    for dirpath, dirnames, dummy in os.walk(dest):
        if SOURCES in dirnames:
            return os.path.join(dirpath, SOURCES)
    raise BuildError('%s has no %s directory: is it the piranha 0.8.6 source tarball?' % (tarball, SOURCES))


def compile_all(src, bindir):
    for name, files, libs in PROGRAMS:
        argv = ['gcc'] + CFLAGS + ['-o', os.path.join(bindir, name)] + files + libs
        t0 = time.time()
        proc = subprocess.run(argv, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        if proc.returncode != 0:
            raise BuildError('compiling %s failed (gcc exit %d; gcc, libc6-dev, libpopt-dev and libssl-dev are needed: make deps):\n%s'
                             % (name, proc.returncode, proc.stdout[-4000:]))
        log('%-8s compiled in %.1f s' % (name, time.time() - t0))
    for name in VERSIONED:
        proc = subprocess.run([os.path.join(bindir, name), '--version'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        if proc.returncode != 0 or '0.8.6' not in proc.stdout:
            raise BuildError('%s --version failed (exit %d): %s' % (name, proc.returncode, proc.stdout.strip()[-2000:]))


def build(tarball, cache, force=False):
    """Build (or reuse) the daemons of ``tarball``; returns (bin directory, 'built' or 'cached')."""
    digest = sha256(tarball)
    final = os.path.join(cache, digest)
    bindir = os.path.join(final, 'bin')
    if not force and all(os.access(os.path.join(bindir, name), os.X_OK) for name, dummy, dummy2 in PROGRAMS):
        return bindir, 'cached'
    os.makedirs(cache, mode=0o755, exist_ok=True)
    work = tempfile.mkdtemp(prefix='.build-', dir=cache)
    try:
        src = extract(tarball, os.path.join(work, 'src'))
        os.makedirs(os.path.join(work, 'out', 'bin'))
        compile_all(src, os.path.join(work, 'out', 'bin'))
        with open(os.path.join(work, 'out', 'SOURCE'), 'w') as handle:
            handle.write('%s  %s\n' % (digest, os.path.basename(tarball)))
        os.chmod(os.path.join(work, 'out'), 0o755)
        if os.path.isdir(final):
            shutil.rmtree(final)
        try:
            os.rename(os.path.join(work, 'out'), final)
        except OSError:
            if not os.path.isdir(bindir):  # another build renamed its result first: keep that one
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return bindir, 'built'


def link(path, bindir):
    if not path:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    os.symlink(bindir, tmp)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tarball')
    parser.add_argument('--cache', default=os.environ.get('PIRANHA_CACHE') or DEFAULT_CACHE)
    parser.add_argument('--link', default=DEFAULT_LINK)
    parser.add_argument('--force', action='store_true')
    args = parser.parse_args(argv)
    tarball = tarball_path(args.tarball)
    if not os.path.isfile(tarball):
        log(missing_message(tarball))
        return 2
    t0 = time.time()
    try:
        bindir, how = build(os.path.abspath(tarball), args.cache, args.force)
    except (OSError, tarfile.TarError) as exc:
        log('cannot build from %s: %s' % (tarball, exc))
        return 2
    except BuildError as exc:
        log(str(exc))
        return 1
    link(args.link, bindir)
    log('%s %s in %.1f s (%s)%s' % (how, bindir, time.time() - t0, os.path.basename(tarball),
                                    ', linked from %s' % args.link if args.link else ''))
    print(bindir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
