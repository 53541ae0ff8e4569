# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_lvscf.change(): how running pulse and lvsd take a new lvs.cf (director_piranha reloads only when lvsd's reread
would apply the change exactly: real servers added to unchanged virtual blocks; everything else restarts pulse)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _lvscf

CHECKER = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'module_utils', '_lvscf.py')

SERVER = """     server {name} {{
         address = {address}
         active = {active}
         weight = {weight}
     }}
"""


def lvs_cf(serial=18, keepalive=1, scheduler='rr', servers=(('rs1', '203.0.113.21'), ('rs2', '203.0.113.22')), weights=None,
           active=None, second=False):
    text = """serial_no = %d
primary = 203.0.113.11
service = lvs
backup_active = 1
backup = 203.0.113.12
heartbeat = 1
heartbeat_port = 539
keepalive = %d
deadtime = 5
network = direct
debug_level = NONE
""" % (serial, keepalive)
    virtuals = [('www', '203.0.113.100', 80, servers)] + ([('api', '203.0.113.100', 81, servers[:1])] if second else [])
    for name, vip, port, members in virtuals:
        text += """virtual %s {
     active = 1
     address = %s eth0:0
     port = %d
     send = "GET / HTTP/1.0\\r\\n\\r\\n"
     expect = "HTTP"
     use_regex = 0
     load_monitor = none
     scheduler = %s
     protocol = tcp
     timeout = 2
     reentry = 2
     quiesce_server = 0
""" % (name, vip, port, scheduler)
        for host, address in members:
            text += SERVER.format(name=host, address=address, active=(active or {}).get(host, 1), weight=(weights or {}).get(host, 1))
        text += '}\n'
    return text


RS3 = (('rs1', '203.0.113.21'), ('rs2', '203.0.113.22'), ('rs3', '203.0.113.23'))


def test_the_samples_are_valid():
    for text in (lvs_cf(), lvs_cf(servers=RS3), lvs_cf(second=True)):
        assert _lvscf.validate_text(text) == []


@pytest.mark.parametrize('new, kind, words', [
    (lvs_cf(), 'none', 'same'),
    (lvs_cf(serial=99), 'none', 'same'),
    (lvs_cf(servers=RS3), 'reload', 'www/rs3'),
    (lvs_cf(servers=RS3[:1] + RS3[2:] + RS3[1:2]), 'reload', 'www/rs3'),
    (lvs_cf(servers=RS3[:1]), 'restart', 'rs2 left virtual www'),
    (lvs_cf(weights={'rs1': 2}), 'restart', 'rs1 of virtual www changed'),
    (lvs_cf(servers=RS3, active={'rs3': 0}), 'restart', 'added inactive'),
    (lvs_cf(keepalive=2), 'restart', 'global settings changed (keepalive)'),
    (lvs_cf(scheduler='wrr'), 'restart', 'virtual www changed'),
    (lvs_cf(second=True), 'restart', 'virtual blocks added'),
])
def test_change_kinds(new, kind, words):
    got, reason = _lvscf.change(lvs_cf(), new)
    assert got == kind and words in reason, (got, reason)


def test_adding_servers_to_one_of_two_virtuals_reloads():
    assert _lvscf.change(lvs_cf(second=True), lvs_cf(second=True, servers=RS3))[0] == 'reload'


def run(*args):
    proc = subprocess.run([sys.executable, CHECKER] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_command_line(tmp_path):
    running, new, bad = tmp_path / 'running.cf', tmp_path / 'new.cf', tmp_path / 'bad.cf'
    running.write_text(lvs_cf())
    new.write_text(lvs_cf(servers=RS3, serial=19))
    bad.write_text(lvs_cf().replace('port = 80', 'port = 80 81'))
    assert run('--change', str(running), str(new))[:2] == (0, 'reload\n')
    assert run('--change', str(running), str(running))[:2] == (0, 'none\n')
    rc, out, err = run('--change', str(tmp_path / 'missing.cf'), str(new))
    assert (rc, out) == (0, 'restart\n') and 'no copy of the running file' in err
    rc, out, err = run('--change', str(running), str(bad))
    assert rc == 1 and out == '' and 'not a valid lvs.cf' in err
    assert run('--change', str(running))[0] == 2
