# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewalld rich rules of roles/director_keepalived computed from the real model (keepalived_firewalld/: multicast
and unicast, PASS and AH, sync daemon on and off, IPv6 peers, the NAT inside segment): exactly the rules each director
must get, the view's "owned rule" pattern matching every rule the role writes (or pruning would fight the additions)
and no foreign rule, one firewalld rule per iptables rule. The firewalld run itself is molecule/director_keepalived."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest
import yaml

from lvs_helpers import REPO, playbook

HERE = os.path.join(REPO, 'tests', 'render', 'keepalived_firewalld')
with open(os.path.join(HERE, 'inventory', 'hosts.yml')) as _src:
    _GROUPS = yaml.safe_load(_src)['all']['children']['lvs_directors']['children']
DIRECTORS = sorted(h for g in _GROUPS.values() for h in g['hosts'])
EXPECTING = sorted(h for g in _GROUPS.values() for h, hv in g['hosts'].items() if 'expected_peer_rules' in (hv or {}))
FOREIGN = [
    'rule family="ipv4" source address="203.0.113.99" service name="ssh" accept',
    'rule family="ipv4" source address="203.0.113.99" protocol value="vrrp" log prefix="x" accept',
    'rule family="ipv4" source address="203.0.113.99" port port="8849" protocol="udp" accept',
    'rule family="ipv4" protocol value="vrrp" accept',
    'rule family="ipv4" source address="203.0.113.99" protocol value="vrrp" drop',
]


@pytest.fixture(scope='module')
def views(tmp_path_factory):
    out = tmp_path_factory.mktemp('keepalived-firewalld')
    run = playbook('-i', os.path.join(HERE, 'inventory', 'hosts.yml'), os.path.join(HERE, 'render.yml'), '-e', 'out_dir=%s' % out)
    assert run.rc == 0, run.tail()
    found = {}
    for name in os.listdir(str(out)):
        with open(str(out / name)) as src:
            found[name[:-len('.json')]] = json.load(src)
    assert sorted(found) == DIRECTORS
    return found


def test_most_directors_name_their_rules():
    assert len(EXPECTING) * 2 > len(DIRECTORS)


@pytest.mark.parametrize('host', EXPECTING)
def test_rules_as_expected(views, host):
    view = views[host]
    assert sorted(view['firewall']['firewalld_peer_rules']) == sorted(view['expected_peer_rules'])
    assert sorted(view['firewall']['firewalld_inside_rules']) == sorted(view['expected_inside_rules'])


@pytest.mark.parametrize('host', DIRECTORS)
def test_owned_pattern_matches_every_rule_of_the_role(views, host):
    firewall = views[host]['firewall']
    rules = firewall['firewalld_peer_rules'] + firewall['firewalld_inside_rules']
    assert [r for r in rules if not re.match(firewall['firewalld_owned'], r)] == []


@pytest.mark.parametrize('rule', FOREIGN)
def test_owned_pattern_matches_no_foreign_rule(views, rule):
    assert [h for h in DIRECTORS if re.match(views[h]['firewall']['firewalld_owned'], rule)] == []


@pytest.mark.parametrize('host', DIRECTORS)
def test_one_firewalld_rule_per_iptables_rule(views, host):
    firewall = views[host]['firewall']
    assert len(firewall['firewalld_peer_rules']) == len(firewall['iptables_peer_rules'])
    assert len(firewall['firewalld_inside_rules']) == len(firewall['iptables_inside_rules'])
