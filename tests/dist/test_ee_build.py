# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment built for real (`ansible-builder build`) and the validation play run inside it.

The repository's execution-environment.yml as it is, with the tarball `ansible-galaxy collection build` makes from this
checkout; only build arguments adapt it to this machine, where no registry and no Galaxy are reachable:

- EE_BASE_IMAGE: a local stand-in for quay.io/ansible/awx-ee (tests/dist/ee/base_image.py: Debian 12 from Debian's
  mirror, cached in podman's store per recipe), which carries the collections the EE asks for besides lvs.cluster
  (from the `ansible` PyPI package) and a wheelhouse pip installs from (containers here cannot reach PyPI);
- PYCMD: that image's Python (a venv: ansible-builder runs `$PYCMD -m ensurepip`, refused for Debian's system python);
- PKGMGR: its dnf-like front end to apt-get, so bindep.txt's [platform:dpkg] packages are installed from Debian's mirror.

podman runs with runc and explicit ulimits (containers.conf for the build; flags for `podman run`); `--layers=false`
keeps no intermediate image. Then, in the image and as its default user (1000, as AWX runs it), without network:
`ansible-playbook lvs.cluster.validate -i <a user's inventory, mounted read-only>` passes (and fails on a bad one), lvs.cluster is the built
version, and bindep.txt's tools are there (ssh, sshpass, ip) while requirements.txt's absent packages are (pyroute2).
The timings (base image, EE build, run) are printed (`pytest -s` or the -rA report).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(HERE, 'ee'))

import base_image  # noqa: E402  pylint: disable=wrong-import-position

PODMAN_RUN = ('podman', 'run', '--rm', '--runtime', 'runc', '--ulimit', 'nofile=1024:4096', '--ulimit', 'nproc=4096:4096', '--network', 'none')
CONTAINERS_CONF = '''[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:4096", "nproc=4096:4096"]
'''
HOSTS = '''---
all:
  children:
    lvs_directors:
      children:
        shop_directors:
          hosts:
            lb-a: {ansible_host: 203.0.113.21}
            lb-b: {ansible_host: 203.0.113.22}
    lvs_realservers:
      children:
        shop_backends:
          hosts:
            app-1: {ansible_host: 203.0.113.31}
            app-2: {ansible_host: 203.0.113.32}
'''
DIRECTORS = '''---
lvs_cluster_name: shop
lvs_backend: keepalived
lvs_interface: ens3
lvs_realserver_group: shop_backends
lvs_keepalived:
  vrid: 42
  auth_type: PASS
  auth_pass: s3cret
lvs_virtual_services:
  - name: https
    vip: 203.0.113.100
    port: 443
    protocol: tcp
    scheduler: wlc
    forwarding: dr
    health_check: {type: tcp}
'''

pytestmark = [pytest.mark.ee, pytest.mark.slow]


def run(cmd, timeout=1800, check=True, **kwargs):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=timeout, **kwargs)
    if check:
        assert res.returncode == 0, '%s:\n%s' % (' '.join(cmd), res.stdout[-6000:])
    return res


@pytest.fixture(scope='module')
def ee(tmp_path_factory):
    for tool in ('podman', 'mmdebstrap', 'runc'):
        if shutil.which(tool) is None:
            pytest.fail('%s is missing (make deps installs it)' % tool)
    if os.geteuid() != 0:
        pytest.skip('podman builds here run as root')
    times = {}
    start = time.time()
    base = base_image.ensure()
    times['base image (0 when cached)'] = time.time() - start

    work = tmp_path_factory.mktemp('ee-build')
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(work / 'dist'), ROOT], env=env)
    src = work / 'src'
    (src / 'build').mkdir(parents=True)
    shutil.copy(glob.glob(str(work / 'dist' / 'lvs-cluster-*.tar.gz'))[0], str(src / 'build' / 'lvs-cluster.tar.gz'))
    shutil.copy(os.path.join(ROOT, 'execution-environment.yml'), str(src / 'execution-environment.yml'))
    (work / 'containers.conf').write_text(CONTAINERS_CONF)
    env['CONTAINERS_CONF'] = str(work / 'containers.conf')
    tag = 'localhost/lvs-cluster-ee:test-%d' % os.getpid()
    start = time.time()
    build = run([os.path.join(BIN, 'ansible-builder'), 'build', '-f', 'execution-environment.yml', '-c', str(work / 'context'), '-t', tag,
                 '--container-runtime', 'podman', '-v', '3', '--extra-build-cli-args=--layers=false',
                 '--build-arg', 'EE_BASE_IMAGE=' + base, '--build-arg', 'PYCMD=' + base_image.PYCMD,
                 '--build-arg', 'PKGMGR=/usr/local/sbin/ee-pkgmgr'], cwd=str(src), env=env, check=False)
    times['ansible-builder build'] = time.time() - start
    (work / 'build.log').write_text(build.stdout)
    try:
        assert build.returncode == 0, 'ansible-builder build failed (log: %s):\n%s' % (work / 'build.log', build.stdout[-6000:])
        # a user's project: its own inventory, readable by the image's user 1000 (pytest's tmp tree is root's alone)
        project = tempfile.mkdtemp(prefix='lvs-ee-project-')
        try:
            os.chmod(project, 0o755)
            # the user's inventory, and a copy with a VIP that is no address
            for name, directors in (('inventory', DIRECTORS), ('bad', DIRECTORS.replace('vip: 203.0.113.100', 'vip: 203.0.113.300'))):
                os.makedirs(os.path.join(project, name, 'group_vars'))
                with open(os.path.join(project, name, 'hosts.yml'), 'w') as f:
                    f.write(HOSTS)
                with open(os.path.join(project, name, 'group_vars', 'shop_directors.yml'), 'w') as f:
                    f.write(directors)
            for dirpath, dirnames, filenames in os.walk(project):
                for name in dirnames:
                    os.chmod(os.path.join(dirpath, name), 0o755)
                for name in filenames:
                    os.chmod(os.path.join(dirpath, name), 0o644)
            yield {'tag': tag, 'base': base, 'log': build.stdout, 'project': project, 'times': times}
        finally:
            shutil.rmtree(project, ignore_errors=True)
    finally:
        subprocess.run(['podman', 'rmi', '-f', tag], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print('\nEE timings: ' + ', '.join('%s %.0f s' % kv for kv in times.items()))


def in_image(ee, *cmd, **kwargs):
    args = list(PODMAN_RUN) + ['-v', '%s:/runner/project:ro' % ee['project'], ee['tag']] + list(cmd)
    return run(args, timeout=600, **kwargs)


def test_validate_runs_in_the_ee(ee):
    start = time.time()
    res = in_image(ee, 'ansible-playbook', 'lvs.cluster.validate', '-i', '/runner/project/inventory', check=False)
    ee['times']['ansible-playbook lvs.cluster.validate in the image'] = time.time() - start
    assert res.returncode == 0, res.stdout
    assert 'Check every lvs_* variable of the inventory' in res.stdout
    assert 'ok: [lb-a -> localhost]' in res.stdout and 'failed=0' in res.stdout


def test_validate_in_the_ee_refuses_a_bad_inventory(ee):
    """The play is not a no-op in the image: a VIP that is no address fails on the controller."""
    res = in_image(ee, 'ansible-playbook', 'lvs.cluster.validate', '-i', '/runner/project/bad', check=False)
    assert res.returncode != 0, res.stdout
    assert '203.0.113.300' in res.stdout and 'failed=1' in res.stdout


def test_the_built_collection_and_its_requirements_are_in_the_ee(ee):
    with open(os.path.join(ROOT, 'galaxy.yml')) as f:
        version = yaml.safe_load(f)['version']
    res = in_image(ee, 'sh', '-c', 'ansible-galaxy collection list lvs.cluster; for t in ssh sshpass ip; do command -v $t; done; '
                   'python3 -c "import pyroute2" 2>&1 || echo "no pyroute2"')
    assert ('lvs.cluster %s' % version) in ' '.join(res.stdout.split())
    for tool in ('/ssh', '/sshpass', '/ip'):
        assert any(line.endswith(tool) for line in res.stdout.splitlines()), res.stdout
    assert 'no pyroute2' in res.stdout


def test_build_installed_the_collection_from_the_tarball_and_each_requirement_once(ee):
    log = ee['log']
    assert "Installing 'lvs.cluster:" in log
    # every other collection came with the base image: nothing was asked of Galaxy
    for fqcn in sorted(base_image.recipe()['collections']):
        assert "'%s:" % fqcn in log and 'is already installed, skipping' in log, fqcn
    assert 'galaxy.ansible.com' not in log
    introspected = log[log.index('introspect --write-bindep'):]
    introspected = introspected[introspected.index('---'):introspected.index('-->')]
    ours = [line for line in introspected.splitlines() if line.endswith('from collection lvs.cluster\'')]
    with open(os.path.join(ROOT, 'bindep.txt')) as f:
        bindep = [line for line in f.read().splitlines() if line.strip() and not line.startswith('#')]
    python = base_image.collection_python_requirements(ROOT)
    assert len(ours) == len(set(ours)) == len(bindep) + len(python), introspected
