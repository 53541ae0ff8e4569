#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local stand-in for the EE's base image (quay.io/ansible/awx-ee is not reachable here), built once per recipe.

What execution-environment.yml's base image gives ansible-builder, made with mmdebstrap from Debian's mirror and
`podman import`:

- Debian 12 whose Python for the EE is a virtual environment, /opt/ee-python (PATH and the PYCMD build argument
  name it): ansible-builder's first step runs `$PYCMD -m ensurepip`, which Debian disables for its system python3 and
  allows in a venv; then every pip install of the build lands there, away from Debian's own packages;
- /usr/local/sbin/ee-pkgmgr (tests/dist/ee/ee-pkgmgr): the PKGMGR build argument, dnf's `install`/`clean` on apt-get;
- the collections the EE asks for besides lvs.cluster (execution-environment.yml's galaxy entries, galaxy.yml's
  dependencies, and theirs), copied from the `ansible` package of the Python running this (awx-ee carries them too):
  Galaxy is not reachable, and `ansible-galaxy collection install -r requirements.yml` skips what is installed;
- a wheelhouse in /opt/ee-wheels with /etc/pip.conf pointing pip at it alone (tests/dist/ee/pip.conf): every
  `pip install` of the build (ansible-core and ansible-runner as the EE file pins them, bindep/pyyaml/packaging of the
  builder stage, dumb-init, the collections' Python requirements). Containers here reach Debian's mirror (plain
  HTTP) but not PyPI: TLS to it is intercepted by a CA only the host trusts, so the wheels are fetched on the host
  (`pip wheel`) rather than putting that CA into the image.

The image is tagged localhost/lvs-ee-base:<key>, <key> the sha256 of the recipe (the files of tests/dist/ee but this
one's caches, the package list, the wheel requirements, the collections and their versions): podman's image store
is the cache and a build happens only when the recipe changes (older tags are removed). A lock under
/var/cache/lvs-cluster/podman serialises builders. Usage:

  python3 tests/dist/ee/base_image.py [--print-key] [--force]     # prints the image reference on stdout
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
REPOSITORY = 'localhost/lvs-ee-base'
SUITE = 'bookworm'
MIRROR = os.environ.get('LVS_DEBIAN_MIRROR', 'http://deb.debian.org/debian')
PACKAGES = ('python3', 'python3-venv', 'ca-certificates')
# The Python of the EE (the PYCMD build argument) and the image's PATH
PYTHON_DIR = '/opt/ee-python'
PYCMD = PYTHON_DIR + '/bin/python3'
PATH = PYTHON_DIR + '/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# ansible-builder's own pip installs (containerfile.py: the builder stage; ee_schema.py: container_init's default)
BUILDER_PIP = ('bindep', 'pyyaml', 'packaging')
CONTAINER_INIT_PIP = 'dumb-init==1.2.5'
RECIPE_FILES = ('ee-pkgmgr', 'pip.conf')
LOCK = '/var/cache/lvs-cluster/podman/lvs-ee-base.lock'


def log(msg):
    sys.stderr.write('[ee-base %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def _requirement_lines(path):
    lines = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.split('#', 1)[0].strip()
                if line:
                    lines.append(line)
    return lines


def source_collections():
    """The ansible_collections directory of the `ansible` package of this Python."""
    for entry in sys.path:
        path = os.path.join(entry, 'ansible_collections')
        if os.path.isdir(os.path.join(path, 'ansible', 'posix')):
            return path
    raise RuntimeError('the `ansible` package (its bundled collections) is not installed for %s' % sys.executable)


def collection_python_requirements(path):
    """A collection's Python requirements as ansible-builder's introspection finds them."""
    meta = os.path.join(path, 'meta', 'execution-environment.yml')
    name = 'requirements.txt'
    if os.path.exists(meta):
        deps = (_load(meta) or {}).get('dependencies') or {}
        python = deps.get('python')
        if isinstance(python, list):
            return [str(p) for p in python]
        if not python:
            return []
        name = python
    return _requirement_lines(os.path.join(path, name))


def recipe(ee_file=os.path.join(ROOT, 'execution-environment.yml')):
    """Everything the base image is made of, as plain data (its hash is the cache key)."""
    ee = _load(ee_file)
    deps = ee.get('dependencies') or {}
    wanted = [c['name'] for c in (deps.get('galaxy') or {}).get('collections', []) if c.get('type') != 'file' and '/' not in c['name']]
    wanted += list((_load(os.path.join(ROOT, 'galaxy.yml')).get('dependencies') or {}))
    source = source_collections()
    collections = {}
    while wanted:
        fqcn = wanted.pop(0)
        if fqcn in collections or fqcn == 'lvs.cluster':
            continue
        path = os.path.join(source, *fqcn.split('.'))
        with open(os.path.join(path, 'MANIFEST.json')) as f:
            info = json.load(f)['collection_info']
        collections[fqcn] = info['version']
        wanted += list(info.get('dependencies') or {})
    pip = [deps[k]['package_pip'] for k in ('ansible_core', 'ansible_runner') if (deps.get(k) or {}).get('package_pip')]
    pip += list(BUILDER_PIP)
    pip.append(((ee.get('options') or {}).get('container_init') or {}).get('package_pip', CONTAINER_INIT_PIP))
    for fqcn in sorted(collections):
        pip += collection_python_requirements(os.path.join(source, *fqcn.split('.')))
    pip += collection_python_requirements(ROOT)
    files = {}
    for name in RECIPE_FILES:
        with open(os.path.join(HERE, name), 'rb') as f:
            files[name] = hashlib.sha256(f.read()).hexdigest()
    return {'suite': SUITE, 'packages': list(PACKAGES), 'python': PYTHON_DIR, 'path': PATH, 'pip': sorted(set(pip)), 'collections': collections, 'files': files,
            'source': source}


def key_of(data):
    data = dict(data)
    data.pop('source')
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def run(cmd, **kwargs):
    log('$ ' + ' '.join(cmd))
    subprocess.run(cmd, check=True, **kwargs)


def image_exists(ref):
    return subprocess.run(['podman', 'image', 'exists', ref]).returncode == 0


def build(data, ref):
    work = tempfile.mkdtemp(prefix='lvs-ee-base-')
    try:
        overlay = os.path.join(work, 'overlay')
        wheels = os.path.join(overlay, 'opt', 'ee-wheels')
        os.makedirs(wheels)
        # the wheels for Debian 12's python3 (3.11), on the host: pip's cache and PyPI (sdists are built into wheels here)
        run([sys.executable, '-m', 'pip', 'wheel', '-q', '--wheel-dir', wheels] + data['pip'], stdout=sys.stderr)
        os.makedirs(os.path.join(overlay, 'etc'))
        shutil.copy(os.path.join(HERE, 'pip.conf'), os.path.join(overlay, 'etc', 'pip.conf'))
        os.makedirs(os.path.join(overlay, 'usr', 'local', 'sbin'))
        shutil.copy(os.path.join(HERE, 'ee-pkgmgr'), os.path.join(overlay, 'usr', 'local', 'sbin', 'ee-pkgmgr'))
        os.chmod(os.path.join(overlay, 'usr', 'local', 'sbin', 'ee-pkgmgr'), 0o755)
        for fqcn in sorted(data['collections']):
            namespace, name = fqcn.split('.')
            shutil.copytree(os.path.join(data['source'], namespace, name),
                            os.path.join(overlay, 'usr', 'share', 'ansible', 'collections', 'ansible_collections', namespace, name),
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        for dirpath, dirnames, filenames in os.walk(overlay):
            for entry in dirnames:
                os.chmod(os.path.join(dirpath, entry), 0o755)
            for entry in filenames:
                path = os.path.join(dirpath, entry)
                os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)
        rootfs = os.path.join(work, 'rootfs.tar')
        run(['mmdebstrap', '--quiet', '--variant=apt', '--include=' + ','.join(data['packages']),
             '--customize-hook=sync-in %s /' % overlay, '--customize-hook=chroot "$1" python3 -m venv ' + data['python'],
             data['suite'], rootfs, MIRROR])
        run(['podman', 'import', '--change', 'ENV PATH=' + data['path'], '--change', 'CMD ["bash"]', rootfs, ref], stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prune(keep):
    out = subprocess.run(['podman', 'images', '--format', '{{.Repository}}:{{.Tag}}', REPOSITORY], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout.split()
    for ref in out:
        if ref != keep and ref.startswith(REPOSITORY + ':'):
            log('removing the image of an older recipe: %s' % ref)
            subprocess.run(['podman', 'rmi', ref], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure(force=False):
    """The base image of the current recipe, built if it is not in podman's store; returns its reference."""
    data = recipe()
    ref = '%s:%s' % (REPOSITORY, key_of(data))
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not image_exists(ref):
            start = time.time()
            log('building %s: Debian %s + %s, %d wheels for %s, collections %s' % (
                ref, data['suite'], ','.join(data['packages']), len(data['pip']), ' '.join(data['pip']),
                ', '.join('%s %s' % kv for kv in sorted(data['collections'].items()))))
            build(data, ref)
            log('built %s in %.0f s' % (ref, time.time() - start))
        prune(ref)
    return ref


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--print-key', action='store_true', help='print the key of the current recipe and exit')
    parser.add_argument('--force', action='store_true', help='build even if the image of this recipe exists')
    args = parser.parse_args()
    if args.print_key:
        print(key_of(recipe()))
        return 0
    print(ensure(force=args.force))
    return 0


if __name__ == '__main__':
    sys.exit(main())
