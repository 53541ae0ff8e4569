# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/model.md against the model's own tables: no documented key the model refuses, no accepted key undocumented,
and the documented enumerations are the model's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._model import heartbeat_ldirectord, keepalived, piranha, words

DOC = os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'model.md')


@pytest.fixture(scope='module')
def doc():
    with open(DOC) as handle:
        return handle.read()


def _section(doc, title):
    start = doc.index('\n## ' + title)
    end = doc.find('\n## ', start + 4)
    return doc[start:end if end != -1 else len(doc)]


def _table_keys(text):
    """First-column names of a markdown table: | `name` | ..."""
    return set(re.findall(r'^\| `([a-z0-9_]+)` \|', text, re.M))


def _paragraph(doc, lead):
    """The paragraph that starts with ``lead`` (up to the next blank line)."""
    start = doc.index('\n' + lead) + 1
    end = doc.find('\n\n', start)
    return doc[start:end]


def _documented_keys(paragraph):
    """Keys written as `key` (default...) in a paragraph (sub-keys inside a default are not keys)."""
    body = paragraph.split(':', 1)[1]
    depth, top = 0, []
    for ch in body:
        depth += ch == '('
        depth -= ch == ')'
        top.append(ch if depth == 0 or ch == '(' else ' ')
    return set(re.findall(r'`([a-z_]+)`\s*\(', ''.join(top)))


def test_cluster_variables_table_is_the_models(doc):
    assert _table_keys(_section(doc, 'Cluster variables')) == set(words.CLUSTER_VARS)


def test_virtual_service_keys_table_is_the_models(doc):
    assert _table_keys(_section(doc, 'Virtual services')) == set(words.SERVICE_KEYS)


def test_host_variables_are_the_models(doc):
    documented = set(re.findall(r'`(lvs_[a-z_]+)`', _section(doc, 'Host variables')))
    assert documented == set(words.HOST_VARS) - {'ansible_host'}


@pytest.mark.parametrize('lead,defaults', [
    ('`lvs_keepalived`:', keepalived.KEEPALIVED_DEFAULTS),
    ('`lvs_heartbeat`:', heartbeat_ldirectord.HEARTBEAT_DEFAULTS),
    ('`lvs_ldirectord`:', heartbeat_ldirectord.LDIRECTORD_DEFAULTS),
    ('`lvs_piranha`:', piranha.PIRANHA_DEFAULTS),
    ('`health_check`:', words.HEALTH_DEFAULTS),
])
def test_backend_dict_keys_are_the_models(doc, lead, defaults):
    documented = _documented_keys(_paragraph(doc, lead))
    assert documented == set(defaults), 'documented but refused: %s; accepted but undocumented: %s' % (
        sorted(documented - set(defaults)), sorted(set(defaults) - documented))


def test_track_script_keys_are_the_models(doc):
    text = _paragraph(doc, '`lvs_keepalived`:')
    listed = re.search(r'list of `\{([^}]*)\}`', text).group(1)
    documented = set(re.findall(r'([a-z_]+)(?::|,|$)', listed.replace(' ', '')))
    assert documented == set(keepalived.TRACK_SCRIPT_DEFAULTS) | {'name', 'script'}


def test_health_check_types_are_the_models(doc):
    text = _paragraph(doc, '`health_check`:')
    types = re.search(r'`type` \(([^)]*)\)', text).group(1)
    assert set(re.findall(r'`([a-z]+)`', types)) == set(words.CHECK_TYPES)
    table = set(re.findall(r'^\| ([a-z]+) \| ', _section(doc, 'Virtual services'), re.M)) - {'key', 'health'}
    assert table == set(words.CHECK_TYPES)


def test_schedulers_forwarding_and_protocols_are_the_models(doc):
    services = _section(doc, 'Virtual services')
    row = re.search(r'^\| `scheduler` \|.*$', services, re.M).group(0)
    assert set(re.search(r'`(rr [a-z ]+)`', row).group(1).split()) == set(words.ALL_SCHEDULERS)
    assert set(re.search(r'piranha: `([a-z ]+)`', row).group(1).split()) == set(words.SCHEDULERS['piranha'])
    row = re.search(r'^\| `forwarding` \|.*$', services, re.M).group(0)
    assert set(re.findall(r'`([a-z]+)`', row.split('|')[2])) == set(words.FORWARDING)
    row = re.search(r'^\| `protocol` \|.*$', services, re.M).group(0)
    assert set(re.findall(r'`([a-z]+)`', row.split('|')[2])) == set(words.PROTOCOLS)


def test_persistence_limit_is_the_models(doc):
    row = re.search(r'^\| `persistence_timeout` \|.*$', _section(doc, 'Virtual services'), re.M).group(0)
    assert '0-%d' % words.PERSISTENCE_MAX in row


def test_nat_and_timeout_keys_are_the_models(doc):
    cluster = _section(doc, 'Cluster variables')
    nat = re.search(r'^\| `lvs_nat` \|.*$', cluster, re.M).group(0)
    assert set(re.findall(r'`(inside_[a-z]+)`', nat)) == {'inside_vip', 'inside_prefix', 'inside_interface'}
    timeouts = re.search(r'^\| `lvs_timeouts` \|.*$', cluster, re.M).group(0)
    assert set(re.search(r'\{([a-z, ]+)\}', timeouts).group(1).replace(' ', '').split(',')) == {'tcp', 'tcpfin', 'udp'}


def test_playbook_variable_prefixes_are_the_models(doc):
    text = doc[doc.index("The variables of the\n  collection's playbooks"):]
    text = text[:text.index('are not reported')]
    documented = set(p.rstrip('*') for p in re.findall(r'`(lvs_[a-z_]+\*?)`', text))
    assert documented == set(words.PLAYBOOK_VAR_PREFIXES)
