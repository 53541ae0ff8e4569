# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ansible-builder create`` turns execution-environment.yml into a complete build context: a Containerfile on the
documented base image, our Python and system requirements in _build/, the collection tarball in _build/collections/ and
listed in the galaxy requirements. The built tarball, installed into a scratch collections path, gives
``ansible-builder introspect`` the collection-level requirements (meta/execution-environment.yml) exactly as the builder
stage will at image build time. Offline: nothing is pulled or pushed, the repository is not touched."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess

import pytest
import yaml

from lvs_helpers import REPO, ansible_env, tool


def run(*args, **kwargs):
    proc = subprocess.run(list(args), env=ansible_env(**kwargs.pop('env', {})), capture_output=True, text=True,
                          timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, '%s exited %d:\n%s%s' % (' '.join(args), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


@pytest.fixture(scope='module')
def ee(tmp_path_factory):
    work = tmp_path_factory.mktemp('ee')
    run(tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', str(work / 'dist'), REPO)
    tarball, = glob.glob(str(work / 'dist' / 'lvs-cluster-*.tar.gz'))
    src = work / 'src'
    (src / 'build').mkdir(parents=True)
    shutil.copy(tarball, str(src / 'build' / 'lvs-cluster.tar.gz'))
    for name in ('execution-environment.yml', 'requirements.txt', 'bindep.txt'):
        shutil.copy(os.path.join(REPO, name), str(src / name))
    ctx = work / 'ctx'
    run(tool('ansible-builder'), 'create', '-f', 'execution-environment.yml', '-c', str(ctx), '--output-filename', 'Containerfile',
        cwd=str(src))
    coll = work / 'coll'
    run(tool('ansible-galaxy'), 'collection', 'install', '--no-deps', '-p', str(coll), str(ctx / '_build' / 'collections' / 'lvs-cluster.tar.gz'),
        env={'ANSIBLE_COLLECTIONS_PATH': str(coll)})
    run(tool('ansible-builder'), 'introspect', str(coll), '--write-pip', str(work / 'pip.txt'), '--write-bindep', str(work / 'bindep.txt'))
    return {'ctx': ctx, 'coll': coll, 'pip': (work / 'pip.txt').read_text(), 'bindep': (work / 'bindep.txt').read_text(),
            'containerfile': (ctx / 'Containerfile').read_text()}


def test_containerfile_on_the_base_image(ee):
    with open(os.path.join(REPO, 'execution-environment.yml')) as src:
        base = yaml.safe_load(src)['images']['base_image']['name']
    assert 'ARG EE_BASE_IMAGE="%s"' % base in ee['containerfile'].splitlines()


@pytest.mark.parametrize('text', ['ansible-core>=2.19,<2.20', 'ansible-runner',
                                  'introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt'])
def test_containerfile_installs(ee, text):
    assert text in ee['containerfile']


@pytest.mark.parametrize('name', ['requirements.txt', 'bindep.txt'])
def test_every_requirement_in_the_context(ee, name):
    with open(os.path.join(REPO, name)) as src:
        ours = [line.rstrip('\n') for line in src if line.strip() and not line.startswith(('#', '-r'))]
    context = (ee['ctx'] / '_build' / name).read_text().splitlines()
    assert [line for line in ours if line not in context] == []
    if name == 'requirements.txt':
        assert any(line.startswith('pyroute2>=0.9.7') for line in context)


def test_collection_tarball_in_the_context(ee):
    assert (ee['ctx'] / '_build' / 'collections' / 'lvs-cluster.tar.gz').stat().st_size > 0
    reqs = yaml.safe_load((ee['ctx'] / '_build' / 'requirements.yml').read_text())['collections']
    assert {'name': '/build/collections/lvs-cluster.tar.gz', 'type': 'file'} in reqs


def test_installed_collection_has_its_ee_requirements(ee):
    assert (ee['coll'] / 'ansible_collections' / 'lvs' / 'cluster' / 'meta' / 'execution-environment.yml').is_file()


def test_introspection_finds_pip_requirements(ee):
    assert any(line.startswith('pyroute2>=0.9.7') and '# from collection lvs.cluster' in line for line in ee['pip'].splitlines()), ee['pip']


@pytest.mark.parametrize('package', ['openssh-clients', 'iproute', 'sshpass'])
def test_introspection_finds_system_requirements(ee, package):
    assert any(line.startswith(package + ' ') and '# from collection lvs.cluster' in line for line in ee['bindep'].splitlines()), ee['bindep']
