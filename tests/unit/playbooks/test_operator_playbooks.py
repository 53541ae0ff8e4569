# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operator playbooks as data: no program hidden in a YAML string, every lvs.cluster name they use exists, and the
drain / enable playbooks are realserver_state.yml under their own variable names, with the same defaults."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
YAML_FILES = sorted(glob.glob(os.path.join(ROOT, 'playbooks', '**', '*.yml'), recursive=True)
                    + glob.glob(os.path.join(ROOT, 'awx', '**', '*.yml'), recursive=True))
INTERPRETERS = re.compile(r'(^|/)(python[0-9.]*|sh|bash|dash|perl|ruby|node)$|_python\b|__python\b')
CODE_LINE = re.compile(r'^\s*(import \w|from [\w.]+ import |def \w+\(|class \w+[(:]|while .*:$|for .* in .*:$)', re.M)


def _load(path):
    with open(path) as f:
        return list(yaml.safe_load_all(f))


def _strings_and_lists(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings_and_lists(value)
    elif isinstance(node, list):
        yield node
        for value in node:
            yield from _strings_and_lists(value)
    elif isinstance(node, str):
        yield node


def programs_in(doc):
    """Strings of a YAML document that are programs: Python-like code lines, or an argument list that hands an
    interpreter code with -c."""
    found = []
    for item in _strings_and_lists(doc):
        if isinstance(item, str):
            if len(CODE_LINE.findall(item)) >= 2:
                found.append(item.strip().splitlines()[0])
        else:
            words = [w for w in item if isinstance(w, str)]
            for i, word in enumerate(words[:-1]):
                if words[i + 1] == '-c' and INTERPRETERS.search(word.strip('{} ')):
                    found.append(' '.join(words[:3]))
    return found


@pytest.mark.parametrize('path', YAML_FILES, ids=[os.path.relpath(p, ROOT) for p in YAML_FILES])
def test_no_program_in_a_yaml_string(path):
    found = [p for doc in _load(path) for p in programs_in(doc)]
    assert not found, '%s carries programs in YAML strings (make them a module, a filter or a tested script): %s' % (
        os.path.relpath(path, ROOT), found)


def test_the_detector_finds_what_the_playbooks_had():
    had = {'vars': {'__probe_py': 'import json, sys\nA = json.loads(sys.argv[1])\n\n\ndef now():\n    return 1\n'},
           'tasks': [{'ansible.builtin.command': {'argv': ['{{ __python }}', '-c', '{{ __probe_py }}', '{}']}},
                     {'x': ['sh', '-c', 'for d in a b; do exec "$d"; done']}]}
    assert len(programs_in(had)) == 3
    assert programs_in({'msg': 'import the table, then def ine it', 'argv': ['ip', '-o', 'addr', 'show']}) == []


def test_every_lvs_cluster_name_exists():
    modules = set(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'plugins', 'modules', '*.py')))
    actions = set(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'plugins', 'action', '*.py')))
    roles = set(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'roles', '*')))
    filters = set()
    for path in glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.py')):
        plugin = importlib.import_module('ansible_collections.lvs.cluster.plugins.filter.' + os.path.basename(path)[:-3])
        filters.update(plugin.FilterModule().filters())
    playbooks = set(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
    known = modules | actions | roles | filters | playbooks
    unknown = set()
    for path in YAML_FILES:
        with open(path) as f:
            text = f.read()
        for name in re.findall(r'\blvs\.cluster\.(\w+)', text):
            if name not in known and not name.startswith('director_'):
                unknown.add('%s: lvs.cluster.%s' % (os.path.relpath(path, ROOT), name))
    assert not unknown, sorted(unknown)


def _play_vars(path):
    out = {}
    for play in _load(path)[0]:
        out.update(play.get('vars') or {})
    return out


@pytest.mark.parametrize('wrapper, state, prefix', [
    ('drain_realserver.yml', 'drained', 'lvs_drain_'),
    ('enable_realserver.yml', 'enabled', 'lvs_enable_'),
])
def test_drain_and_enable_are_realserver_state(wrapper, state, prefix):
    plays = _load(os.path.join(ROOT, 'playbooks', wrapper))[0]
    assert len(plays) == 1 and plays[0]['ansible.builtin.import_playbook'] == 'realserver_state.yml'
    mapping = plays[0]['vars']
    assert mapping.pop('lvs_realserver_state') == state
    defaults = _play_vars(os.path.join(ROOT, 'playbooks', 'realserver_state.yml'))
    for target, expr in mapping.items():
        m = re.fullmatch(r"\{\{ (%s\w+) \| default\((.*)\) \}\}" % prefix, expr)
        assert m, '%s: %s must map one %s* variable with a default: %r' % (wrapper, target, prefix, expr)
        default = None if m.group(2) == 'none' else yaml.safe_load(m.group(2))
        if target in defaults:
            assert default == defaults[target], '%s: %s defaults to %r, realserver_state.yml to %r' % (
                wrapper, m.group(1), default, defaults[target])
        else:
            assert default in ('', None), '%s: %s has a default that realserver_state.yml lacks' % (wrapper, target)
        assert target.startswith('lvs_realserver_state_'), target


def test_realserver_state_reads_every_variable_the_wrappers_set():
    plays = _load(os.path.join(ROOT, 'playbooks', 'realserver_state.yml'))[0]
    used = yaml.safe_dump([p.get('tasks') for p in plays]) + yaml.safe_dump([dict((k, v) for k, v in (p.get('vars') or {}).items()
                                                                                  if k.startswith('__')) for p in plays])
    for wrapper in ('drain_realserver.yml', 'enable_realserver.yml'):
        for name in _load(os.path.join(ROOT, 'playbooks', wrapper))[0][0]['vars']:
            assert re.search(r'\b%s\b' % name, used), '%s sets %s, which realserver_state.yml never reads' % (wrapper, name)
