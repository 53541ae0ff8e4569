# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's address plan is one plan: every file that names a lab address agrees with lab/lablib.py.

lab/lablib.py (NET_PREFIX and the host numbers) gives the guests their addresses; the image's /etc/hosts, the lab
inventories, the ipvs lab test and the lab README must say the same, and none of them may name an address outside
the lab network (a command that ran outside the lab namespace by mistake would reach it: see lab/route_check.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib
import ipaddress
import os
import re
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
IPV4 = re.compile(r'(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])')
NETMASK = re.compile(r'255\.(?:\d{1,3}\.){2}\d{1,3}$')


def read(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as f:
        return f.read()


def load(path):
    return yaml.safe_load(read(path))


def _load_lablib():
    sys.path.insert(0, os.path.join(ROOT, 'lab'))
    try:
        return importlib.import_module('lablib')
    finally:
        sys.path.pop(0)


lablib = _load_lablib()
PREFIX, NETWORK = lablib.NET_PREFIX, ipaddress.ip_network(lablib.NETWORK)
GUESTS = lablib.addresses()
CONTROLLER = PREFIX + '.1'
VIP = PREFIX + '.100'
# Files that belong to the lab (what a move of the lab must change); lab/run/ is the lab's state, not a source.
LAB_FILES = sorted(
    p for pattern in ('lab/**', 'inventories/lab/**', 'inventories/lab_scaleout/**', 'molecule/lab/**', 'tests/lab/**')
    for p in glob.glob(os.path.join(ROOT, pattern), recursive=True)
    if os.path.isfile(p) and not os.path.relpath(p, ROOT).startswith('lab/run/') and '__pycache__' not in p
)
# Other addresses a lab file may name: a netmask, loopback, the default route, verify-sim's own segment (README: its doc).
VERIFY_SIM = ipaddress.ip_network('198.51.100.0/24')
OWN_NETWORKS = {'lab/README.md': VERIFY_SIM}


def test_the_plan_is_the_documentation_network_test_net_3():
    assert NETWORK == ipaddress.ip_network('203.0.113.0/24')
    assert GUESTS == {'dr1': '203.0.113.11', 'dr2': '203.0.113.12', 'rs1': '203.0.113.21', 'rs2': '203.0.113.22', 'rs3': '203.0.113.23'}


def test_the_lab_files_were_found():
    rel = [os.path.relpath(p, ROOT) for p in LAB_FILES]
    assert {'lab/labctl', 'lab/lablib.py', 'lab/image/overlay/etc/hosts', 'inventories/lab/hosts.yml', 'tests/lab/ipvs/playbook.yml'} <= set(rel)


@pytest.mark.parametrize('path', [os.path.relpath(p, ROOT) for p in LAB_FILES])
def test_no_lab_file_names_an_address_outside_the_plan(path):
    try:
        text = read(path)
    except UnicodeDecodeError:
        pytest.skip('binary file')
    allowed = [NETWORK] + ([OWN_NETWORKS[path]] if path in OWN_NETWORKS else [])
    strays = []
    for n, line in enumerate(text.splitlines(), 1):
        for literal in IPV4.findall(line):
            if NETMASK.match(literal) or literal in ('0.0.0.0', '127.0.0.1'):
                continue
            try:
                address = ipaddress.ip_address(literal)
            except ValueError:
                continue  # a version number, not an address
            if not any(address in net for net in allowed):
                strays.append('%s:%d: %s' % (path, n, literal))
    assert not strays, 'addresses outside the lab network %s: %s' % (NETWORK, strays)


def test_inventories_use_the_lab_addresses():
    hosts = {}
    for path in ('inventories/lab/hosts.yml', 'inventories/lab_scaleout/hosts.yml'):
        def walk(group):
            for name, hv in (group.get('hosts') or {}).items():
                hosts[name] = hv['ansible_host']
            for child in (group.get('children') or {}).values():
                walk(child or {})
        walk(load(path)['all'])
    assert hosts == GUESTS


def test_the_vip_is_in_the_lab_network_and_free():
    vips = [s['vip'] for s in load('inventories/lab/group_vars/web_directors.yml')['lvs_virtual_services']]
    assert vips == [VIP]
    assert ipaddress.ip_address(VIP) in NETWORK and VIP not in GUESTS.values() and VIP != CONTROLLER


def test_the_image_hosts_file_matches_lablib():
    entries = {}
    for line in read('lab/image/overlay/etc/hosts').splitlines():
        words = line.split('#', 1)[0].split()
        if words and IPV4.fullmatch(words[0]) and not words[0].startswith('127.'):
            for name in words[1:]:
                entries[name] = words[0]
    assert entries == dict(GUESTS, controller=CONTROLLER, client=CONTROLLER)


def test_the_lab_readme_table_matches_lablib():
    rows = dict(re.findall(r'^\| (\w+) +\| ([\d.]+) +\|', read('lab/README.md'), re.M))
    assert rows == GUESTS
    assert '| (namespace) | %s/%d on `br0` |' % (CONTROLLER, NETWORK.prefixlen) in read('lab/README.md')
