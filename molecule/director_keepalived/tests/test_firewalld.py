# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify director_keepalived_firewall_tool=firewalld on lvs-molecule-kadfw1 (cluster fw, firewalld on nftables): after
converge exactly the expected rich rules, permanent and runtime, in the cluster zone and in the inside zone; the role's
firewall tasks refuse to run while firewalld is stopped; check mode changes no rule; AH and a third director add their
rules (kept across firewall-cmd --reload); the sync daemon adds its port; back to PASS and two directors the stale rules
go while a foreign rich rule stays. The steps that only concern the firewall run the role's firewall tasks alone
(firewall.yml, same model). The tests run in file order and change the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'tests'))
from lvs_helpers import molecule_playbook  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.container

NAME = 'lvs-molecule-kadfw1'
FOREIGN = 'rule family="ipv4" source address="203.0.113.99" service name="ssh" accept'
PEER_VRRP = 'rule family="ipv4" source address="203.0.113.32" protocol value="vrrp" accept'
PEER_AH = 'rule family="ipv4" source address="203.0.113.32" protocol value="ah" accept'
PEER_SYNC = 'rule family="ipv4" source address="203.0.113.32" port port="8848" protocol="udp" accept'
PEER3_VRRP = 'rule family="ipv4" source address="203.0.113.33" protocol value="vrrp" accept'
PEER3_AH = 'rule family="ipv4" source address="203.0.113.33" protocol value="ah" accept'
PEER3_SYNC = 'rule family="ipv4" source address="203.0.113.33" port port="8848" protocol="udp" accept'
IN_VRRP = 'rule family="ipv4" source address="198.51.100.129/24" protocol value="vrrp" accept'
IN_AH = 'rule family="ipv4" source address="198.51.100.129/24" protocol value="ah" accept'
# the cluster fw's own switches (molecule.yml): an extra lvs_* variable would change both clusters
AH = {'molecule_fw_auth_type': 'AH'}
THIRD_DIRECTOR = {'all': {'children': {'lvs_directors': {'children': {'fw_directors': {'hosts': {
    'fw-dr3': {'ansible_host': '203.0.113.33'}}}}}}}}


@pytest.fixture(scope='module')
def host():
    return testinfra.get_host('podman://' + NAME)


@pytest.fixture(scope='module')
def zone(host):
    return host.check_output('firewall-cmd --get-default-zone')


@pytest.fixture(scope='module')
def third(tmp_path_factory):
    path = tmp_path_factory.mktemp('fw') / 'third-director.yml'
    path.write_text(json.dumps(THIRD_DIRECTOR))
    return str(path)


def play(path, *args, **kwargs):
    return molecule_playbook(path, '--limit', NAME, *args, **kwargs)


def rules(host, zone_name):
    """{'permanent': sorted rules, 'runtime': sorted rules} of a zone."""
    out = {}
    for mode, flag in (('permanent', '--permanent '), ('runtime', '')):
        out[mode] = sorted(line for line in host.check_output('firewall-cmd %s--zone %s --list-rich-rules' % (flag, zone_name)).splitlines()
                           if line.strip())
    return out


def expect(host, zone_name, *wanted):
    want = sorted(wanted)
    assert rules(host, zone_name) == {'permanent': want, 'runtime': want}


def test_firewalld_running_and_a_foreign_rule(host):
    host.run_expect([0], 'firewall-cmd --state')
    host.run_expect([0], "firewall-cmd -q --permanent --add-rich-rule='%s' && firewall-cmd -q --add-rich-rule='%s'" % (FOREIGN, FOREIGN))


def test_converged_rules(host, zone):
    assert host.service('keepalived').is_running
    expect(host, zone, FOREIGN, PEER_VRRP)
    expect(host, 'internal', IN_VRRP)


def test_check_mode_on_the_configured_host_changes_nothing():
    run = play('converge.yml', '--check', '--diff')
    assert run.rc == 0 and run.recap[NAME]['changed'] == 0, run.tail()


def test_firewalld_stopped_is_refused(host):
    host.run_expect([0], 'systemctl stop firewalld')
    try:
        run = play('firewall.yml', '--check')
        assert run.rc != 0 and 'firewalld is not running' in run.flat, run.tail()
    finally:
        host.run_expect([0], 'systemctl start firewalld && firewall-cmd --state')


def test_check_mode_writes_no_rule(host, zone, third):
    run = play('converge.yml', '--check', '--diff', '-e', json.dumps(AH), inventories=[third])
    assert run.rc == 0 and run.recap[NAME]['changed'] > 0, run.tail()
    expect(host, zone, FOREIGN, PEER_VRRP)
    expect(host, 'internal', IN_VRRP)


def test_ah_and_a_third_director(host, zone, third):
    run = play('converge.yml', '--diff', '-e', json.dumps(AH), inventories=[third])
    assert run.rc == 0 and run.recap[NAME]['changed'] > 0, run.tail()
    host.run_expect([0], 'firewall-cmd -q --reload')
    expect(host, zone, FOREIGN, PEER_VRRP, PEER_AH, PEER3_VRRP, PEER3_AH)
    expect(host, 'internal', IN_VRRP, IN_AH)


def test_sync_daemon_on(host, zone, third):
    extra = json.dumps(dict(AH, molecule_fw_sync_daemon=True))
    run = play('firewall.yml', '--diff', '-e', extra, inventories=[third])
    assert run.rc == 0 and run.recap[NAME]['changed'] > 0, run.tail()
    expect(host, zone, FOREIGN, PEER_VRRP, PEER_AH, PEER_SYNC, PEER3_VRRP, PEER3_AH, PEER3_SYNC)
    run = play('firewall.yml', '-e', extra, inventories=[third])
    assert run.rc == 0 and run.recap[NAME]['changed'] == 0, run.tail()


def test_back_to_pass_and_two_directors(host, zone):
    run = play('converge.yml', '--diff')
    assert run.rc == 0 and run.recap[NAME]['changed'] > 0, run.tail()
    expect(host, zone, FOREIGN, PEER_VRRP)
    expect(host, 'internal', IN_VRRP)
    assert host.service('keepalived').is_running
    run = play('firewall.yml')
    assert run.rc == 0 and run.recap[NAME]['changed'] == 0, run.tail()
