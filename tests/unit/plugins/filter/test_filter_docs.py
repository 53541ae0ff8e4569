# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every filter (and test) plugin the collection exports has documentation that ansible-doc shows.

A plugin file that holds several filters (plugins/filter/ipvs_adapter.py) cannot document them in Python: ansible-core
reads one plugins/filter/<name>.yml per filter (DOCUMENTATION, EXAMPLES, RETURN). The names come from the FilterModule /
TestModule classes themselves, so a new filter without its .yml fails here (and `ansible-doc -t filter lvs.cluster.<name>`,
antsibull-changelog and the docs site would say "Missing documentation"). One ansible-doc call per plugin type checks
them all, with ANSIBLE_COLLECTIONS_PATH on this tree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))

# (ansible-doc type, directory, class, method): the plugin types whose files may export several plugins.
KINDS = (('filter', 'filter', 'FilterModule', 'filters'), ('test', 'test', 'TestModule', 'tests'))


def collections_path(root=ROOT):
    """The directory holding ansible_collections/lvs/cluster for this tree: the repository's collections/ (a link back
    to the root, see tests/unit/conftest.py), or the tree's own ansible_collections parent (ansible-test, an install)."""
    linked = os.path.join(root, 'collections')
    if os.path.isdir(os.path.join(linked, 'ansible_collections', 'lvs', 'cluster')):
        return linked
    parts = os.path.abspath(root).split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'lvs'] and parts[-1] == 'cluster':
        return os.sep.join(parts[:-3]) or os.sep
    raise AssertionError('%s is neither a repository with collections/ nor a tree at ansible_collections/lvs/cluster' % root)


def ansible_doc_command():
    here = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    found = here if os.path.exists(here) else shutil.which('ansible-doc')
    assert found, 'ansible-doc is neither next to %s nor on PATH' % sys.executable
    return found


def exported_plugins(root, directory, class_name, method):
    """{plugin name: the .py file exporting it} for every class_name in root/plugins/<directory>/*.py."""
    out = {}
    for path in sorted(glob.glob(os.path.join(root, 'plugins', directory, '*.py'))):
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem.startswith('_'):
            continue
        spec = importlib.util.spec_from_file_location('lvs_cluster_doc_check_%s_%s_%d' % (directory, stem, id(root)), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cls = getattr(module, class_name, None)
        if cls is None:
            continue
        for name in getattr(cls(), method)():
            assert name not in out, '%s exported by both %s and %s' % (name, out[name], path)
            out[name] = path
    return out


def _option_problems(where, options):
    problems = []
    for name, spec in (options or {}).items():
        if not spec.get('description'):
            problems.append('%s: option %s has no description' % (where, name))
        if not spec.get('type'):
            problems.append('%s: option %s has no type' % (where, name))
        problems.extend(_option_problems('%s.%s' % (where, name), spec.get('suboptions')))
    return problems


def doc_problems(fqcn, entry, doc_file):
    """What is missing or wrong in one plugin's ansible-doc --json entry."""
    short = fqcn.split('.')[-1]
    if not isinstance(entry, dict) or not isinstance(entry.get('doc'), dict):
        return ['%s: ansible-doc returned no documentation' % fqcn]
    doc, problems = entry['doc'], []
    if os.path.realpath(doc.get('filename') or '') != os.path.realpath(doc_file):
        problems.append('%s: documented by %s, expected %s' % (fqcn, doc.get('filename'), doc_file))
    if doc.get('name') != short:
        problems.append('%s: DOCUMENTATION.name is %r' % (fqcn, doc.get('name')))
    for key in ('short_description', 'description', 'version_added', 'author'):
        if not doc.get(key):
            problems.append('%s: DOCUMENTATION.%s is missing' % (fqcn, key))
    options = doc.get('options') or {}
    if '_input' not in options:
        problems.append('%s: DOCUMENTATION.options._input (the value piped in) is missing' % fqcn)
    positional = doc.get('positional') or ''
    positional = positional.split(',') if isinstance(positional, str) else positional
    for name in (p.strip() for p in positional if p.strip()):
        if name not in options:
            problems.append('%s: positional %s is not an option' % (fqcn, name))
    problems.extend(_option_problems(fqcn, options))
    examples = entry.get('examples')
    if not isinstance(examples, str) or not examples.strip():
        problems.append('%s: EXAMPLES is missing' % fqcn)
    else:
        try:
            tasks = yaml.safe_load(examples)
        except yaml.YAMLError as exc:
            problems.append('%s: EXAMPLES is not YAML: %s' % (fqcn, exc))
        else:
            if not isinstance(tasks, list) or not tasks:
                problems.append('%s: EXAMPLES is not a list of tasks' % fqcn)
            if fqcn not in examples:
                problems.append('%s: EXAMPLES never uses %s' % (fqcn, fqcn))
    value = (entry.get('return') or {}).get('_value')
    if not isinstance(value, dict) or not value.get('description') or not value.get('type'):
        problems.append('%s: RETURN._value with a description and a type is missing' % fqcn)
    return problems


def _ansible_doc(args, env, cwd):
    return subprocess.run([ansible_doc_command()] + args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300, check=False)


def check_collection(root, collections):
    """Every problem of the plugin docs of the collection at root, found at collections/ansible_collections/lvs/cluster."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    env.pop('ANSIBLE_COLLECTIONS_PATHS', None)
    problems = []
    for doc_type, directory, class_name, method in KINDS:
        names = exported_plugins(root, directory, class_name, method)
        doc_files = dict((name, os.path.join(root, 'plugins', directory, name + '.yml')) for name in names)
        for path in sorted(glob.glob(os.path.join(root, 'plugins', directory, '*.yml'))):
            stem = os.path.splitext(os.path.basename(path))[0]
            if stem not in names:
                problems.append('%s documents %s plugin %s, which no %s exports' % (
                    os.path.relpath(path, root), doc_type, stem, class_name))
        if not names:
            continue
        fqcns = sorted('lvs.cluster.' + name for name in names)
        proc = _ansible_doc(['-t', doc_type, '--json'] + fqcns, env, root)
        if proc.returncode != 0:
            # ansible-doc stops at the first plugin it cannot document: its list names every undocumented one
            errors = [line for line in proc.stderr.splitlines() if 'ERROR' in line] or proc.stderr.splitlines()[-5:]
            problems.append('ansible-doc -t %s failed (rc %d): %s' % (doc_type, proc.returncode, ' | '.join(errors)))
            listed = _ansible_doc(['-t', doc_type, '-l', '--json', 'lvs.cluster'], env, root)
            if listed.returncode == 0:
                problems.extend('%s: no documentation (add plugins/%s/%s.yml)' % (fqcn, directory, fqcn.split('.')[-1])
                                for fqcn, summary in sorted(json.loads(listed.stdout).items()) if summary == 'UNDOCUMENTED')
            continue
        found = json.loads(proc.stdout)
        for fqcn in fqcns:
            problems.extend(doc_problems(fqcn, found.get(fqcn), doc_files[fqcn.split('.')[-1]]))
    return problems


def test_every_exported_filter_has_documentation_with_examples_and_return():
    names = exported_plugins(ROOT, 'filter', 'FilterModule', 'filters')
    assert len(names) >= 12 and 'held_vips' in names and 'verify_checks' in names, sorted(names)
    assert check_collection(ROOT, collections_path()) == []


def test_every_examples_block_is_yaml_that_uses_its_filter():
    """Read the .yml files directly too: ansible-doc -l shows the short description of a file that does not parse."""
    paths = sorted(glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.yml')) + glob.glob(os.path.join(ROOT, 'plugins', 'test', '*.yml')))
    assert len(paths) >= 12
    for path in paths:
        with open(path) as f:
            data = yaml.safe_load(f)
        assert sorted(data) == ['DOCUMENTATION', 'EXAMPLES', 'RETURN'], path
        name = data['DOCUMENTATION']['name']
        assert os.path.basename(path) == name + '.yml'
        assert re.match(r'^[0-9]+\.[0-9]+\.[0-9]+$', str(data['DOCUMENTATION']['version_added'])), path  # the collection's semver
        tasks = yaml.safe_load(data['EXAMPLES'])
        assert isinstance(tasks, list) and all(isinstance(t, dict) and t.get('name') for t in tasks), path
        assert 'lvs.cluster.%s' % name in data['EXAMPLES'], path


def _scratch_collection(tmp_path):
    """A copy of this collection (its filter files, links to the rest) at tmp_path/ansible_collections/lvs/cluster, to break."""
    root = tmp_path / 'ansible_collections' / 'lvs' / 'cluster'
    (root / 'plugins' / 'filter').mkdir(parents=True)
    for name in ('meta', 'galaxy.yml', 'MANIFEST.json'):
        if os.path.exists(os.path.join(ROOT, name)):
            os.symlink(os.path.join(ROOT, name), str(root / name))
    for path in glob.glob(os.path.join(ROOT, 'plugins', '*')):
        if os.path.basename(path) != 'filter' and os.path.isdir(path):
            os.symlink(path, str(root / 'plugins' / os.path.basename(path)))
    # copies, not links: ansible-doc -l takes a linked plugin file for an alias and leaves it out
    for path in glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.py')) + glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.yml')):
        shutil.copy(path, str(root / 'plugins' / 'filter'))
    return root


NEW_FILTER = '''
from __future__ import absolute_import, division, print_function

__metaclass__ = type


def doubled(value):
    return value * 2


class FilterModule(object):
    def filters(self):
        return {'doubled': doubled}
'''


def _replace_doc(root, name, change):
    path = root / 'plugins' / 'filter' / (name + '.yml')
    with open(str(path)) as f:
        data = yaml.safe_load(f)
    change(data)
    path.write_text(yaml.safe_dump(data))


def _add_undocumented_filter(root):
    (root / 'plugins' / 'filter' / 'doubling.py').write_text(NEW_FILTER)


def _drop_a_doc(root):
    (root / 'plugins' / 'filter' / 'held_vips.yml').unlink()


def _break_docs(root):
    _replace_doc(root, 'held_vips', lambda d: d.update(EXAMPLES='- name: Broken\n  debug: {msg: "{{ x | lvs.cluster.held_vips }}"\n'))
    _replace_doc(root, 'service_vips', lambda d: d.pop('RETURN'))
    _replace_doc(root, 'ipvs_match', lambda d: d['DOCUMENTATION']['options']['kernel_services'].pop('type'))
    shutil.copy(os.path.join(ROOT, 'plugins', 'filter', 'client_targets.yml'), str(root / 'plugins' / 'filter' / 'old_name.yml'))


@pytest.mark.parametrize('breakage, expected', [
    (_add_undocumented_filter, [
        'ansible-doc -t filter failed (rc 1): [ERROR]: filter lvs.cluster.doubled Missing documentation',
        'lvs.cluster.doubled: no documentation (add plugins/filter/doubled.yml)']),
    (_drop_a_doc, [
        'ansible-doc -t filter failed (rc 1): [ERROR]: filter lvs.cluster.held_vips Missing documentation',
        'lvs.cluster.held_vips: no documentation (add plugins/filter/held_vips.yml)']),
    (_break_docs, [
        'lvs.cluster.held_vips: EXAMPLES is not YAML',
        'lvs.cluster.service_vips: RETURN._value with a description and a type is missing',
        'lvs.cluster.ipvs_match: option kernel_services has no type',
        'plugins/filter/old_name.yml documents filter plugin old_name, which no FilterModule exports']),
], ids=['new-undocumented-filter', 'doc-removed', 'docs-broken'])
def test_the_check_fails_on_a_broken_collection(tmp_path, breakage, expected):
    """The same check on a copy of the collection that one change broke: exactly the expected problems (so the copy
    itself is sound, and each breakage is found and named)."""
    root = _scratch_collection(tmp_path)
    breakage(root)
    problems = check_collection(str(root), str(tmp_path))
    assert len(problems) == len(expected), problems
    for part in expected:
        assert len([p for p in problems if p.startswith(part)]) == 1, (part, problems)
