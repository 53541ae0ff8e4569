# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify lvs.cluster.director_heartbeat_ldirectord on two containers (lvs-molecule-ldt1 primary, ldt2 backup):
authkeys 0600 on both, heartbeat's port open to the peer only, the package's ldirectord unit masked; ldirectord runs on
both directors (the role's lvs-ldirectord unit keeps the standby's table warm) while heartbeat puts the VIP and the
lvs-ldirectord resource (the "table in service" mark) on the primary only, the resource's start returning before the
VIP is added; the resource scripts' status words; the heartbeat secret never printed under -v --diff; then a change of ldirectord.cf and ha.cf reloads
ldirectord and heartbeat in place (same PIDs, the VIP stays on the primary). The tests run in file order; the last
ones change the hosts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.environ['MOLECULE_PROJECT_DIRECTORY'], 'tests'))
from lvs_helpers import molecule_playbook  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.container

DR1, DR2 = 'lvs-molecule-ldt1', 'lvs-molecule-ldt2'
ADDRESS = {DR1: '198.51.100.66', DR2: '198.51.100.67'}
VIP = '198.51.100.70'
SECRET = 'ldt-molecule-5e1f0c9a7b'
HEARTBEAT = {'authkey': SECRET, 'keepalive': 1, 'warntime': 3, 'deadtime': 5, 'initdead': 10}
SERVICE = {'name': 'www', 'vip': VIP, 'port': 80, 'scheduler': 'rr',
           'health_check': {'type': 'http', 'path': '/', 'expect': 'real server', 'timeout': 2, 'interval': 2}}
PIDFILE = '/var/run/ldirectord.ldirectord.cf.pid'


@pytest.fixture(scope='module')
def hosts():
    return dict((name, testinfra.get_host('podman://' + name)) for name in (DR1, DR2))


def vip_on(host):
    return (' %s/32 ' % VIP) in host.check_output('ip -4 -o addr show dev eth0')


def ld_pid(host):
    return host.check_output('cat %s 2>/dev/null || true' % PIDFILE)


def rs_status(host, script):
    """A resource script's status: (output, exit code)."""
    cmd = host.run('/etc/ha.d/resource.d/%s status' % script)
    return cmd.stdout.strip(), cmd.rc


def up_lines(host, pid):
    """heartbeat's "Local status now set to: 'up'" lines of one PID: a restart in place (-r) adds one."""
    return host.check_output('journalctl --no-pager -o cat _PID=%s' % pid).count("Local status now set to: 'up'")


@pytest.mark.parametrize('name', [DR1, DR2])
def test_authkeys_root_0600_with_the_secret(hosts, name):
    authkeys = hosts[name].file('/etc/ha.d/authkeys')
    assert authkeys.user == 'root' and authkeys.mode == 0o600
    assert '1 sha1 %s' % SECRET in authkeys.content_string.splitlines()


@pytest.mark.parametrize('name', [DR1, DR2])
def test_heartbeat_port_open_to_the_peer_only(hosts, name):
    peer = ADDRESS[DR2 if name == DR1 else DR1]
    rules = [r for r in hosts[name].check_output('iptables -S INPUT').splitlines() if '--dport 694' in r]
    assert len(rules) == 1 and rules[0].startswith('-A INPUT -s %s/32 -i eth0 -p udp -m udp --dport 694 ' % peer), rules
    assert rules[0].endswith('-j ACCEPT')


@pytest.mark.parametrize('name', [DR1, DR2])
def test_package_ldirectord_unit_masked_the_roles_unit_runs(hosts, name):
    assert hosts[name].run('systemctl is-enabled ldirectord').stdout.strip() == 'masked'
    assert hosts[name].run('systemctl is-active lvs-ldirectord').stdout.strip() == 'active'


@pytest.mark.parametrize('name', [DR1, DR2])
def test_ldirectord_runs_on_every_director(hosts, name):
    pid = ld_pid(hosts[name])
    assert pid and 'ldirectord' in hosts[name].check_output('cat /proc/%s/cmdline' % pid)


def test_vip_on_the_primary_only(hosts):
    # heartbeat takes over after initdead (10 s); lvs-ldirectord waits for a filled IPVS table (none here) for its
    # bound (9 s) before the VIP is added. Up to 3 minutes on a loaded machine.
    deadline = time.time() + 180
    while time.time() < deadline and not vip_on(hosts[DR1]):
        time.sleep(1)
    assert vip_on(hosts[DR1]) and not vip_on(hosts[DR2])


def test_haresources_ldirectord_before_the_vip(hosts):
    lines = [line for line in hosts[DR1].file('/etc/ha.d/haresources').content_string.splitlines() if line and not line.startswith('#')]
    assert lines == ['%s lvs-ldirectord::ldirectord.cf lvs-vip::%s/32/eth0' % (DR1, VIP)]


def test_resource_script_status(hosts):
    assert rs_status(hosts[DR1], 'lvs-vip %s/32/eth0' % VIP) == ('lvs-vip: running', 0)
    assert rs_status(hosts[DR2], 'lvs-vip %s/32/eth0' % VIP) == ('lvs-vip: stopped', 3)
    assert rs_status(hosts[DR1], 'lvs-ldirectord ldirectord.cf') == ('lvs-ldirectord: running', 0)
    assert rs_status(hosts[DR2], 'lvs-ldirectord ldirectord.cf') == ('lvs-ldirectord: stopped', 3)
    assert hosts[DR1].run('/etc/ha.d/resource.d/lvs-vip %s/eth0 status' % VIP).rc != 0, 'lvs-vip accepted a malformed argument'


def test_ldirectord_started_before_the_vip(hosts):
    journal = hosts[DR1].check_output('journalctl --no-pager -o cat -t lvs-ldirectord -t lvs-vip').splitlines()
    order = ''.join('L' if line.startswith(('ldirectord ldirectord.cf: ', 'WARNING: ldirectord ldirectord.cf: ')) else 'V'
                    for line in journal if line.startswith(('ldirectord ldirectord.cf: ', 'WARNING: ldirectord ldirectord.cf: ', 'added ')))
    assert order[:2] == 'LV', journal
    # no IPVS here, so the wait ran to its bound, read from ldirectord.cf: 5 s + 2 real servers x checktimeout 2 s
    assert any('real server after 9 s; going on' in line for line in journal), journal


def test_secret_never_printed_under_verbose_diff():
    """Check mode with another secret and -v --diff: authkeys would change, its diff must stay hidden."""
    other = 'ldt-other-9c2d4e6f8a'
    run = molecule_playbook('converge.yml', '--check', '--diff', '-v', '-e', json.dumps({'lvs_heartbeat': dict(HEARTBEAT, authkey=other)}))
    assert run.rc == 0 and run.recap[DR1]['changed'] > 0, run.tail()
    assert other not in run.output and SECRET not in run.output


def test_change_reloads_in_place(hosts):
    ld1 = ld_pid(hosts[DR1])
    hb1 = hosts[DR1].check_output('systemctl show -p MainPID --value heartbeat')
    ups = up_lines(hosts[DR1], hb1)
    change = {'lvs_virtual_services': [dict(SERVICE, scheduler='wlc')], 'lvs_heartbeat': dict(HEARTBEAT, keepalive=2)}
    run = molecule_playbook('converge.yml', '-v', '--diff', '-e', json.dumps(change))
    assert run.rc == 0, run.tail()
    assert 'RUNNING HANDLER [lvs.cluster.director_heartbeat_ldirectord : Reload ldirectord]' in run.output
    assert 'RUNNING HANDLER [lvs.cluster.director_heartbeat_ldirectord : Reload heartbeat]' in run.output
    assert SECRET not in run.output
    assert '    scheduler=wlc' in hosts[DR1].file('/etc/ha.d/ldirectord.cf').content_string.splitlines()
    # heartbeat -r re-execs the running daemon (same PID) and brings its links up again: one more 'up' line (the line
    # logged just before the exec can be lost with it). Up to 2 minutes on a loaded machine.
    deadline = time.time() + 120
    while time.time() < deadline and not (up_lines(hosts[DR1], hb1) > ups
                                          and 'wlc' in hosts[DR1].check_output('journalctl -t ldirectord --no-pager')):
        time.sleep(1)
    assert up_lines(hosts[DR1], hb1) > ups, 'heartbeat did not restart in place (-r)'
    assert any(('ipvsadm -A -t %s:80 -s wlc' % VIP) in line or ('ipvsadm -E -t %s:80 -s wlc' % VIP) in line
               for line in hosts[DR1].check_output('journalctl -t ldirectord --no-pager').splitlines()), 'ldirectord did not re-read the file'
    assert vip_on(hosts[DR1]) and not vip_on(hosts[DR2])
    assert ld_pid(hosts[DR1]) == ld1
    assert hosts[DR1].check_output('systemctl show -p MainPID --value heartbeat') == hb1
