# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/piranha_build.py: the piranha lab's build of pulse, lvsd, nanny and send_arp, cached by the tarball's sha256.

The build runs gcc on a small stand-in source tree with piranha's layout (the real sources take 10-20 s to compile;
the lab run and tests/daemons build those): the cache key, the reuse, the link, the refusal of a tarball that would
write outside its directory, and the message naming PIRANHA_TARBALL when the sources are missing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import io
import os
import shutil
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def _load():
    spec = importlib.util.spec_from_file_location('piranha_build', os.path.join(ROOT, 'lab', 'piranha_build.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pb = _load()

MAIN = '#include <stdio.h>\nint main(void) { puts("A component of: piranha-0.8.6-1 (" VERSION ")"); return 0; }\n'
SOURCES = {
    'send_arp.c': MAIN, 'pulse.c': MAIN, 'lvsd.c': MAIN, 'nanny.c': MAIN,
    'util.c': 'int util_x;\n', 'lvsconfig.c': 'int lvsconfig_x;\n', 'ipvs_exec.c': 'int ipvs_exec_x;\n',
}


def make_tarball(path, extra=None):
    with tarfile.open(path, 'w:gz') as archive:
        files = dict(('piranha-0.8.6/PiranhaLastVerBackupSourceFiles/' + k, v) for k, v in SOURCES.items())
        files['piranha-0.8.6/linkstate.c'] = 'int linkstate_x;\n'
        files.update(extra or {})
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


needs_toolchain = pytest.mark.skipif(
    not shutil.which('gcc') or not all(os.path.exists(p) for p in ('/usr/include/popt.h', '/usr/include/openssl/ssl.h')),
    reason='gcc, libpopt-dev and libssl-dev are needed (make deps)')


@needs_toolchain
def test_build_is_cached_by_the_tarball_hash_and_linked(tmp_path):
    tarball = make_tarball(str(tmp_path / 'piranha-0.8.6-src.tar.gz'))
    cache, link = str(tmp_path / 'cache'), str(tmp_path / 'run' / 'piranha')
    assert pb.main(['--tarball', tarball, '--cache', cache, '--link', link]) == 0
    bindir = os.path.join(cache, pb.sha256(tarball), 'bin')
    assert sorted(os.listdir(bindir)) == ['lvsd', 'nanny', 'pulse', 'send_arp']
    assert os.path.realpath(link) == os.path.realpath(bindir)
    assert [n for n in os.listdir(cache) if n.startswith('.build-')] == []
    stamp = os.stat(os.path.join(bindir, 'pulse')).st_mtime_ns
    assert pb.build(tarball, cache) == (bindir, 'cached')
    assert os.stat(os.path.join(bindir, 'pulse')).st_mtime_ns == stamp
    assert pb.build(tarball, cache, force=True) == (bindir, 'built')


@needs_toolchain
def test_a_failing_compile_names_the_program_and_keeps_no_result(tmp_path):
    tarball = make_tarball(str(tmp_path / 'src.tar.gz'), {'piranha-0.8.6/PiranhaLastVerBackupSourceFiles/nanny.c': 'int main(void) { return x; }\n'})
    cache = str(tmp_path / 'cache')
    with pytest.raises(pb.BuildError, match='compiling nanny failed'):
        pb.build(tarball, cache)
    assert os.listdir(cache) == []
    assert pb.main(['--tarball', tarball, '--cache', cache, '--link', '']) == 1


@pytest.mark.parametrize('member', ['../evil.c', '/tmp/evil.c', 'piranha-0.8.6/../../evil.c'])
def test_members_outside_the_tree_are_refused(tmp_path, member):
    tarball = make_tarball(str(tmp_path / 'src.tar.gz'), {member: 'x'})
    with pytest.raises(pb.BuildError, match='unexpected member'):
        pb.extract(tarball, str(tmp_path / 'out'))
    assert not os.path.exists(str(tmp_path / 'evil.c'))


def test_a_tarball_without_the_sources_is_refused(tmp_path):
    path = str(tmp_path / 'other.tar.gz')
    with tarfile.open(path, 'w:gz') as archive:
        info = tarfile.TarInfo('README')
        archive.addfile(info, io.BytesIO(b''))
    with pytest.raises(pb.BuildError, match='PiranhaLastVerBackupSourceFiles'):
        pb.extract(path, str(tmp_path / 'out'))


def test_missing_tarball_names_the_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('PIRANHA_TARBALL', str(tmp_path / 'absent.tar.gz'))
    assert pb.main(['--cache', str(tmp_path / 'cache'), '--link', '']) == 2
    err = capsys.readouterr().err
    assert 'PIRANHA_TARBALL' in err and str(tmp_path / 'absent.tar.gz') in err


def test_tarball_precedence():
    assert pb.tarball_path('/a.tgz', {'PIRANHA_TARBALL': '/b.tgz'}) == '/a.tgz'
    assert pb.tarball_path(None, {'PIRANHA_TARBALL': '/b.tgz'}) == '/b.tgz'
    assert pb.tarball_path(None, {}) == pb.DEFAULT_TARBALL
    assert pb.DEFAULT_TARBALL.endswith(os.path.join('shared', 'third_party', 'piranha', 'piranha-0.8.6-src.tar.gz'))
