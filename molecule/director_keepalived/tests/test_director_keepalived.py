# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify lvs.cluster.director_keepalived on lvs-molecule-kad1 (cluster web, iptables): the converged host, then what
molecule's own steps cannot show: check mode on the configured host, the secret never printed under -v --diff, a
config change that reloads keepalived in place (same PID, the VIP never leaves), and a config keepalived -t rejects
that never replaces the running file. The tests run in file order and the last ones change the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'tests'))
from lvs_helpers import molecule_playbook, podman  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.container

NAME = 'lvs-molecule-kad1'
SECRET = 's3cret!x'
VIP = '203.0.113.100'
CONF = '/etc/keepalived/keepalived.conf'
SERVICES = [
    {'name': 'www', 'vip': VIP, 'port': 80, 'health_check': {'type': 'http', 'path': '/', 'expect': 'real server'}},
    {'name': 'web-nat', 'vip': '203.0.113.101', 'port': 80, 'forwarding': 'nat', 'health_check': {'type': 'tcp'}},
]
EXTRA = {'name': 'extra', 'vip': '203.0.113.102', 'port': 8080, 'health_check': {'type': 'tcp'}}


@pytest.fixture(scope='module')
def host():
    return testinfra.get_host('podman://' + NAME)


def converge(*args):
    return molecule_playbook('converge.yml', '--limit', NAME, *args)


def eth0(host):
    return host.check_output('ip -o addr show dev eth0')


def test_keepalived_active_and_enabled(host):
    service = host.service('keepalived')
    assert service.is_running and service.is_enabled


def test_config_file_owner_and_mode(host):
    conf = host.file(CONF)
    assert conf.user == 'root' and conf.group == 'root' and conf.mode == 0o640


def test_script_user(host):
    assert host.user('keepalived_script').exists


def test_restart_on_failure_drop_in(host):
    assert 'Restart=on-failure' in host.file('/etc/systemd/system/keepalived.service.d/50-lvs-cluster.conf').content_string.splitlines()


def test_vrrp_accepted_from_the_peer_only(host):
    rules = host.check_output('iptables -S INPUT')
    assert '-s 203.0.113.12/32 -i eth0 -p vrrp' in rules
    assert '-s 203.0.113.11/32' not in rules


def test_vips_up_with_their_label(host):
    for dummy in range(30):
        if '%s/32 scope global eth0:1' % VIP in eth0(host):
            break
        time.sleep(0.5)
    assert '%s/32 scope global eth0:1' % VIP in eth0(host)
    assert '198.51.100.1/24' in host.check_output('ip -o addr show dev eth1')


def test_the_roles_checker_accepts_the_file(host):
    host.run_expect([0], '/usr/local/sbin/lvs-keepalived-validate %s' % CONF)


def test_check_mode_on_the_configured_host_changes_nothing():
    run = converge('--check', '--diff')
    assert run.rc == 0 and run.recap[NAME]['changed'] == 0, run.tail()


def test_secret_never_printed_under_verbose_diff(host):
    """A fresh file (another path) in check mode with -v --diff: the whole file would be in the diff; nothing written."""
    fresh = '/etc/keepalived/molecule-fresh.conf'
    run = converge('--check', '--diff', '-v', '-e', 'director_keepalived_config_file=' + fresh)
    assert run.rc == 0 and run.recap[NAME]['changed'] > 0, run.tail()
    assert SECRET not in run.output
    assert not host.file(fresh).exists


def test_config_change_reloads_in_place(host):
    pid = host.check_output('systemctl show -p MainPID --value keepalived')
    # one sample every 0.1 s for 40 s: is the VIP on eth0?
    rc, out = podman('exec', '-d', NAME, 'sh', '-c', ': > /tmp/vipwatch; i=0; while [ $i -lt 400 ]; do '
                     'if ip -o addr show dev eth0 | grep -q "%s/32"; then echo up; else echo DOWN; fi >> /tmp/vipwatch; '
                     'sleep 0.1; i=$((i+1)); done' % VIP)
    assert rc == 0, out
    run = converge('--diff', '-e', json.dumps({'molecule_web_services': SERVICES + [EXTRA]}))
    assert run.rc == 0, run.tail()
    assert 'RUNNING HANDLER [lvs.cluster.director_keepalived : Reload keepalived]' in run.output
    assert 'RUNNING HANDLER [lvs.cluster.director_keepalived : Restart keepalived]' not in run.output
    assert SECRET not in run.output
    assert host.check_output('systemctl show -p MainPID --value keepalived') == pid
    time.sleep(2)
    assert '203.0.113.102/32' in eth0(host)
    samples = host.check_output('cat /tmp/vipwatch').split()
    assert len(samples) > 10 and 'DOWN' not in samples, '%d of %d samples without the VIP' % (samples.count('DOWN'), len(samples))


def test_rejected_config_never_replaces_the_running_one(host):
    before = host.check_output('sha256sum %s' % CONF)
    run = converge('-e', json.dumps({'molecule_web_services': SERVICES + [EXTRA],
                                     'director_keepalived_global_defs_extra': ['nb_get_retry 3']}))
    assert run.rc != 0 and 'failed to validate' in run.output, run.tail()
    assert host.check_output('sha256sum %s' % CONF) == before
    assert host.service('keepalived').is_running
