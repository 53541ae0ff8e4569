# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as users install it.

test_tarball_holds_what_users_run: the tarball built from a copy of the repository dirtied with everything a working tree
collects (caches, virtualenvs, build and lab run directories, byte code, archives, editor files) holds exactly the
tracked files users run: roles, plugins, playbooks, meta, docs, README, CHANGELOG, licences, the EE requirement files
that meta/execution-environment.yml names, and tests/unit + tests/sanity (ansible-test's layout).

test_installed_collection_runs_by_fqcn: that tarball installed into a fresh path and driven from a project of one's own
(own inventory, no ansible.cfg of this repository): `lvs.cluster.site --tags lvs_validate` and `lvs.cluster.validate`
pass, a bad inventory fails on the controller naming the FQCN to run, and `--syntax-check` passes for every shipped
playbook by FQCN. The validation contacts no host (validate_inventory has no connection; run_once, delegate_to localhost).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)

# Top-level entries of the tarball (a trailing '/' is a directory).
SHIPPED = ('README.md', 'CHANGELOG.rst', 'COPYING', 'LICENSES/', 'bindep.txt', 'requirements.txt', 'changelogs/changelog.yaml',
           'changelogs/config.yaml', 'docs/', 'meta/', 'playbooks/', 'plugins/', 'roles/', 'tests/unit/', 'tests/sanity/')
# Tracked files under SHIPPED that stay out: unit tests of what is not shipped (the lab, awx/, the clone's inventories),
# and the sanity ignore files while they are empty (galaxy-importer warns for each shipped one; empty, they skip nothing).
NOT_SHIPPED = ('tests/unit/awx/', 'tests/unit/benchmarks/', 'tests/unit/lab/', 'tests/unit/test_matrix_ci.py', 'tests/unit/plugins/action/test_validate_playbook.py', 'tests/sanity/ignore-')
MUST_HAVE = ('README.md', 'CHANGELOG.rst', 'COPYING', 'LICENSES/GPL-3.0-or-later.txt', 'meta/runtime.yml', 'meta/execution-environment.yml',
             'requirements.txt', 'bindep.txt', 'playbooks/site.yml', 'playbooks/validate.yml', 'tests/unit/conftest.py')
# What a working tree collects: none of it may reach the tarball.
DIRT = ('.pytest_cache/v/cache/nodeids', '.venv/bin/python3', '.cache/x', '.ansible/collections/x', 'build/lvs-cluster-1.0.0.tar.gz',
        'build/sanity/ansible_collections/lvs/cluster/galaxy.yml', 'lab/run/vm-dr1/disk.qcow2', 'lab/run/main-job/report.txt',
        'context/_build/collections/x.tar.gz', 'tests/output/junit/x.xml', 'tests/unit/.pytest_cache/README.md',
        'plugins/modules/__pycache__/ipvs.cpython-311.pyc', 'plugins/module_utils/_model/__pycache__/x.pyc', 'roles/realserver_dr/.tasks.swp',
        'roles/realserver_dr/tasks/main.yml~', 'playbooks/site.retry', 'lvs-cluster-0.9.0.tar.gz', 'venv/pyvenv.cfg', 'dist/x.tar.gz',
        'tests/integration/targets/x/tasks/main.yml', 'tests/scratch/test_x.py', 'tests/units/x.py', 'tests/sanity2/x', 'tests/u', 'tests/uni',
        'tests/conftest.py', 'notes.log', '.idea/workspace.xml', 'ansible_collections/x')
LAB_ONLY_PLAYBOOK = 'lab_webservers'


def tracked_files():
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.decode()
    return sorted(p for p in out.split('\0') if p and os.path.lexists(os.path.join(ROOT, p)))


def shipped(path):
    return any(path == s or (s.endswith('/') and path.startswith(s)) for s in SHIPPED) and not any(path.startswith(n) for n in NOT_SHIPPED)


def ansible_env(extra=None):
    """A user's shell: nothing of this repository's Makefile (ANSIBLE_CONFIG pointing at the lab inventory)."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    env.update({'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0'})
    env.update(extra or {})
    return env


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """(tarball, member list, tracked files): built from a dirtied copy of the working tree's tracked files."""
    base = tmp_path_factory.mktemp('dist')
    copy = base / 'repo'
    files = tracked_files()
    for rel in files:
        src = os.path.join(ROOT, rel)
        dst = copy / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), str(dst))
        else:
            shutil.copy2(src, str(dst))
    for rel in DIRT:
        dst = copy / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text('dirt\n')
    # the clone's collections/ symlink loop, as the repository has it
    (copy / 'collections' / 'ansible_collections' / 'lvs').mkdir(parents=True, exist_ok=True)
    if not (copy / 'collections' / 'ansible_collections' / 'lvs' / 'cluster').exists():
        os.symlink('../../..', str(copy / 'collections' / 'ansible_collections' / 'lvs' / 'cluster'))
    out = base / 'out'
    res = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(out), str(copy)],
                         env=ansible_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert res.returncode == 0, res.stdout
    tarballs = sorted(out.glob('lvs-cluster-*.tar.gz'))
    assert len(tarballs) == 1, res.stdout
    with tarfile.open(str(tarballs[0])) as tar:
        members = sorted(m.name for m in tar.getmembers() if not m.isdir())
    return tarballs[0], members, files


@pytest.mark.unit
def test_tarball_holds_what_users_run(built):
    tarball, members, files = built
    content = set(members) - {'MANIFEST.json', 'FILES.json'}
    expected = set(p for p in files if shipped(p))
    print('tarball %s: %d bytes, %d files' % (tarball.name, tarball.stat().st_size, len(members)))
    assert sorted(content - expected) == [], 'in the tarball but not tracked files users run (dirt or tooling)'
    assert sorted(expected - content) == [], 'tracked files users run that the tarball lacks (build_ignore too wide)'
    assert [p for p in MUST_HAVE if p not in content] == []
    assert not any(os.path.basename(p) == LAB_ONLY_PLAYBOOK + '.yml' for p in content), 'the lab-only playbook would be a public FQCN'
    tops = set(p.split('/')[0] for p in content)
    assert tops <= set(s.split('/')[0] for s in SHIPPED)
    # every role has argument specs and a README; every playbook of playbooks/ is a public FQCN playbook
    roles = sorted(set(p.split('/')[1] for p in content if p.startswith('roles/')))
    assert roles and all('roles/%s/meta/argument_specs.yml' % r in content and 'roles/%s/README.md' % r in content for r in roles)
    assert tarball.stat().st_size < 400 * 1024, 'the tarball grew past 400 KB: %d bytes' % tarball.stat().st_size


@pytest.mark.unit
def test_sanity_ignore_files_are_empty():
    """galaxy.yml leaves tests/sanity/ignore-*.txt out of the tarball because they are empty; a line in one must ship."""
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'sanity', 'ignore-*.txt'))):
        with open(path) as f:
            lines = [line for line in f.read().splitlines() if line.strip() and not line.startswith('#')]
        assert lines == [], '%s has ignore lines: ship it (remove tests/sanity/ignore-*.txt from build_ignore)' % path


OWN_HOSTS = '''---
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
OWN_DIRECTORS = '''---
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


@pytest.fixture(scope='module')
def project(built, tmp_path_factory):
    """A user's project: the tarball installed into its own collections path, its own inventory, no ansible.cfg of ours."""
    tarball = built[0]
    base = tmp_path_factory.mktemp('project')
    res = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '--no-deps', '-p', str(base / 'collections'),
                          str(tarball)], env=ansible_env(), cwd=str(base), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True)
    assert res.returncode == 0, res.stdout
    inv = base / 'inventory'
    (inv / 'group_vars').mkdir(parents=True)
    (inv / 'hosts.yml').write_text(OWN_HOSTS)
    (inv / 'group_vars' / 'shop_directors.yml').write_text(OWN_DIRECTORS)
    (base / 'ansible.cfg').write_text('[defaults]\ncollections_path = ./collections\ngathering = explicit\n')
    return base


def playbook(project, *args):
    env = ansible_env({'ANSIBLE_CONFIG': str(project / 'ansible.cfg')})
    return subprocess.run([os.path.join(BIN, 'ansible-playbook')] + list(args), cwd=str(project), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)


@pytest.mark.slow
def test_installed_collection_runs_by_fqcn(project):
    installed = project / 'collections' / 'ansible_collections' / 'lvs' / 'cluster'
    assert (installed / 'playbooks' / 'site.yml').is_file()
    assert not (installed / 'playbooks' / (LAB_ONLY_PLAYBOOK + '.yml')).exists()
    for args in (('lvs.cluster.site', '--tags', 'lvs_validate'), ('lvs.cluster.validate',)):
        res = playbook(project, '-i', 'inventory', *args)
        assert res.returncode == 0, res.stdout
        assert 'Check every lvs_* variable of the inventory' in res.stdout
        assert 'lb-a' in res.stdout and 'failed=0' in res.stdout


@pytest.mark.slow
def test_installed_collection_refuses_a_bad_inventory(project):
    bad = project / 'bad'
    shutil.copytree(str(project / 'inventory'), str(bad))
    text = (bad / 'group_vars' / 'shop_directors.yml').read_text().replace('auth_pass: s3cret', 'auth_pass: far-too-long-for-vrrp')
    (bad / 'group_vars' / 'shop_directors.yml').write_text(text)
    res = playbook(project, '-i', 'bad', 'lvs.cluster.site', '--tags', 'lvs_validate')
    assert res.returncode != 0
    assert 'lvs_keepalived.auth_pass' in res.stdout


@pytest.mark.slow
def test_every_shipped_playbook_passes_syntax_check_by_fqcn(project):
    installed = project / 'collections' / 'ansible_collections' / 'lvs' / 'cluster'
    names = sorted(p.stem for p in (installed / 'playbooks').glob('*.yml'))
    assert 'site' in names and 'validate' in names
    failed = {}
    for name in names:
        res = playbook(project, '-i', 'inventory', 'lvs.cluster.' + name, '--syntax-check')
        if res.returncode != 0:
            failed[name] = res.stdout[-2000:]
    assert failed == {}
