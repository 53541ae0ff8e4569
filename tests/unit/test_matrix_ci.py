# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/matrix/ci.py (make matrix-ci): the release lines come from meta/runtime.yml's requires_ansible and run.py's RELEASES.

tests/matrix is development tooling that the tarball does not carry: from an installed collection these tests skip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MATRIX = os.path.join(ROOT, 'tests', 'matrix')


@pytest.fixture(scope='module')
def ci():
    path = os.path.join(MATRIX, 'ci.py')
    if not os.path.exists(path):
        pytest.skip('tests/matrix is not part of the installed collection')
    sys.path.insert(0, MATRIX)
    try:
        spec = importlib.util.spec_from_file_location('lvs_matrix_ci', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(MATRIX)
    return module


RELEASES = {
    '2.16': {'core': '2.16.19', 'pythons': ('3.11',)},
    '2.19': {'core': '2.19.14', 'pythons': ('3.11',)},
    '2.20': {'core': '2.20.10', 'pythons': ('3.12',)},
}


@pytest.mark.parametrize('spec, version, admitted', [
    ('>=2.19.0', (2, 19, 14), True),
    ('>=2.19.0', (2, 18, 19), False),
    ('>=2.19', (2, 19, 0), True),
    ('>=2.16.0,<2.20', (2, 19, 14), True),
    ('>=2.16.0,<2.20', (2, 20, 0), False),
    ('>2.19.0', (2, 19, 0), False),
    ('<=2.19.3', (2, 19, 3), True),
    ('==2.19.*', (2, 19, 14), True),
    ('==2.19.*', (2, 20, 1), False),
    ('!=2.19.*', (2, 20, 1), True),
    ('==2.19.14', (2, 19, 14), True),
    ('!=2.19.14', (2, 19, 14), False),
    ('~=2.19.2', (2, 19, 14), True),
    ('~=2.19.2', (2, 20, 0), False),
    ('~=2.19', (2, 20, 0), True),
    (' >= 2.19.0 , < 3 ', (2, 20, 10), True),
])
def test_spec_admits(ci, spec, version, admitted):
    assert ci.spec_admits(spec, version) is admitted


@pytest.mark.parametrize('spec', ['2.19', '>=2.19.x', '=>2.19', '>=2.19.*', '~=2', ''])
def test_a_clause_not_understood_fails(ci, spec):
    with pytest.raises(ValueError):
        ci.spec_admits(spec, (2, 19, 0))


@pytest.mark.parametrize('spec, lines, problems', [
    ('>=2.19.0', ['2.19', '2.20'], 0),
    ('>=2.16.0', ['2.16', '2.19', '2.20'], 0),
    ('>=2.16,<2.20', ['2.16', '2.19'], 0),
    ('<2.16', [], 0),
    ('>=2.21', [], 0),
    # the line is admitted but its pinned release is not: CI fails until the pin moves
    ('>=2.19.15', ['2.19', '2.20'], 1),
])
def test_admitted_lines(ci, spec, lines, problems):
    found, found_problems = ci.admitted_lines(spec, RELEASES)
    assert found == lines
    assert len(found_problems) == problems


def test_the_repository_lines_and_pins_agree(ci):
    """What make matrix-ci runs today: at least one line, every pin admitted, each pin in its own line."""
    spec = ci.read_requires_ansible()
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as f:
        assert spec in f.read()
    lines, problems = ci.admitted_lines(spec, ci.matrix.RELEASES)
    assert lines and problems == []
    for line, release in ci.matrix.RELEASES.items():
        assert release['core'].startswith(line + '.') and release['pythons']
    # the lines are sorted as versions, oldest first
    assert lines == sorted(lines, key=lambda v: tuple(int(p) for p in v.split('.')))


def test_the_venv_key_changes_with_every_pin(ci):
    base = ('/usr/bin/python3.11', '3.11.7', '2.19.14', 'Jinja2==3.1.6\n')
    key = ci.venv_key(*base)
    assert key == ci.venv_key(*base) and len(key) == 16
    for index, other in enumerate(('/usr/bin/python3.12', '3.11.8', '2.19.13', 'Jinja2==3.1.5\n')):
        changed = list(base)
        changed[index] = other
        assert ci.venv_key(*changed) != key
