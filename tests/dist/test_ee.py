# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment asks for each requirement once, and only for what runs.

`ansible-builder create` on execution-environment.yml with the built tarball, then `ansible-builder introspect` on the
installed tarball, exactly as the builder stage does at image build time: the collection's own requirements come once,
through its meta/execution-environment.yml (the root file does not repeat them), requirements.txt names no package
(the plugins use the standard library; pyroute2 is for tests), and bindep.txt only controller-side tools.
Offline and quick: nothing is pulled or built here; test_ee_build.py builds the image for real (`ansible-builder build` on
a local base image) and runs the validation play in it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)


def run(*args, **kwargs):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    res = subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=600, **kwargs)
    assert res.returncode == 0, '%s:\n%s' % (' '.join(args), res.stdout[-3000:])
    return res.stdout


@pytest.fixture(scope='module')
def ee(tmp_path_factory):
    work = tmp_path_factory.mktemp('ee')
    run('ansible-galaxy', 'collection', 'build', '--output-path', str(work / 'dist'), ROOT)
    tarball = glob.glob(str(work / 'dist' / 'lvs-cluster-*.tar.gz'))[0]
    src = work / 'src'
    (src / 'build').mkdir(parents=True)
    shutil.copy(tarball, str(src / 'build' / 'lvs-cluster.tar.gz'))
    shutil.copy(os.path.join(ROOT, 'execution-environment.yml'), str(src / 'execution-environment.yml'))
    run('ansible-builder', 'create', '-f', 'execution-environment.yml', '-c', str(work / 'ctx'), '--output-filename', 'Containerfile',
        cwd=str(src))
    run('ansible-galaxy', 'collection', 'install', '--force', '--no-deps', '-p', str(work / 'coll'), tarball)
    data = run('ansible-builder', 'introspect', str(work / 'coll'))
    return {'ctx': work / 'ctx', 'introspect': yaml.safe_load(data[data.index('---'):])}


@pytest.mark.slow
def test_root_definition_does_not_repeat_the_collection_requirements(ee):
    with open(os.path.join(ROOT, 'execution-environment.yml')) as f:
        deps = yaml.safe_load(f)['dependencies']
    assert 'python' not in deps and 'system' not in deps
    # nothing of ours copied into the context a second time: only the introspected collection lists reach pip and bindep
    assert not (ee['ctx'] / '_build' / 'requirements.txt').exists()
    assert not (ee['ctx'] / '_build' / 'bindep.txt').exists()
    reqs = yaml.safe_load((ee['ctx'] / '_build' / 'requirements.yml').read_text())['collections']
    assert {'name': '/build/collections/lvs-cluster.tar.gz', 'type': 'file'} in reqs
    assert (ee['ctx'] / '_build' / 'collections' / 'lvs-cluster.tar.gz').stat().st_size > 0


@pytest.mark.slow
def test_runtime_requirements_once(ee):
    python = ee['introspect']['python'] or []
    system = [line.split('#')[0].strip() for line in ee['introspect']['system'] or []]
    assert python == [], 'the plugins need no Python package at run time: %s' % python
    assert len(system) == len(set(system))
    assert sorted(system) == sorted(['openssh-clients [platform:rpm]', 'openssh-client [platform:dpkg]', 'sshpass',
                                     'iproute [platform:rpm]', 'iproute2 [platform:dpkg]'])


@pytest.mark.unit
def test_no_plugin_imports_pyroute2():
    """requirements.txt is empty because nothing shipped imports a third-party package; keep it that way or list it there."""
    offenders = []
    for path in glob.glob(os.path.join(ROOT, 'plugins', '**', '*.py'), recursive=True):
        with open(path) as f:
            for line in f:
                if line.lstrip().startswith(('import pyroute2', 'from pyroute2')):
                    offenders.append(path)
    assert offenders == []
