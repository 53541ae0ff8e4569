# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RHEL 8/9 family branch of director_keepalived, realserver_dr and director_heartbeat_ldirectord, as far as it can
be exercised without an EL system (no container registry here, the lab VMs are Debian).

For Rocky 9, Rocky 8, RHEL 9 and RHEL 8 facts (os_family RedHat, pkg_mgr dnf, service_mgr systemd), injected with
``-e ansible_facts=...``, tests/render/el/probe.yml runs each real role in check mode on this machine (connection local):

1. each role loads vars/RedHat.yml through its own first_found task (seen in the -v log), and the values it resolves are
   the EL ones (packages, service, paths, nologin shell, validate command, package query);
2. keepalived and realserver_dr reach their package task, which dispatches to the dnf module with the EL package list
   and stops there (this Debian machine has no dnf); heartbeat stops at its host check with the message that asks for
   director_heartbeat_ldirectord_packages, and with that list set it queries rpm and reaches dnf too.

Every role stops before its first task that could write (and the run is in check mode anyway); the only files written
are the probe's records in a temp dir. The vars files do not differ by EL major today; 8 and 9 are both checked so that
a future RedHat-8.yml/Rocky-9.yml split shows up here (update the expectations when it is intended).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest

from lvs_helpers import playbook

FACT_SETS = [('Rocky', '9'), ('Rocky', '8'), ('RedHat', '9'), ('RedHat', '8')]
ROLES = ['director_keepalived', 'realserver_dr', 'director_heartbeat_ldirectord']

# (case, dotted path in the case's record, expected value)
RESOLVED = [
    ('keepalived', 'resolved.packages', ['keepalived', 'ipvsadm']),
    ('keepalived', 'resolved.service', 'keepalived'),
    ('keepalived', 'resolved.config_dir', '/etc/keepalived'),
    ('keepalived', 'resolved.config_file', '/etc/keepalived/keepalived.conf'),
    ('keepalived', 'resolved.validate', '/usr/local/sbin/lvs-keepalived-validate %s'),
    ('keepalived', 'resolved.nologin_shell', '/sbin/nologin'),
    ('keepalived', 'resolved.firewall_packages', ['iptables']),
    ('keepalived', 'resolved.sysctl_file', '/etc/sysctl.d/60-lvs-cluster-director.conf'),
    ('keepalived', 'stop.task', 'Install keepalived and ipvsadm'),
    ('realserver', 'resolved.packages', ['iproute', 'procps-ng', 'kmod']),
    ('realserver', 'resolved.sysctl_file', '/etc/sysctl.d/60-lvs-realserver.conf'),
    ('realserver', 'resolved.modules_load_file', '/etc/modules-load.d/lvs-realserver.conf'),
    ('realserver', 'resolved.service', 'lvs-realserver'),
    ('realserver', 'stop.task', 'Install the tools the real-server script uses'),
    ('heartbeat', 'resolved.packages', []),
    ('heartbeat', 'resolved.package_query', ['rpm', '--query', '--queryformat=installed\\n']),
    ('heartbeat', 'resolved.package_installed', 'installed'),
    ('heartbeat', 'stop.task', 'Check the host against the model'),
    ('heartbeat', 'package_state', None),
    ('heartbeat-packages', 'resolved.config_dir', '/etc/ha.d'),
    ('heartbeat-packages', 'resolved.ldirectord_bin', '/usr/sbin/ldirectord'),
    ('heartbeat-packages', 'resolved.heartbeat_bin', '/usr/libexec/heartbeat/heartbeat'),
    ('heartbeat-packages', 'stop.task', 'Install heartbeat, ldirectord and ipvsadm'),
]
# (case, the packages the dnf module was asked for)
DNF = [
    ('keepalived', ['keepalived', 'ipvsadm']),
    ('realserver', ['iproute', 'procps-ng', 'kmod']),
    ('heartbeat-packages', ['heartbeat', 'ldirectord', 'ipvsadm']),
]


def squeeze(text):
    return re.sub(r'\s+', ' ', text or '')


def get(record, path):
    value = record
    for key in path.split('.'):
        value = value.get(key) if isinstance(value, dict) else None
    return value


@pytest.fixture(scope='module', params=FACT_SETS, ids=['%s-%s' % f for f in FACT_SETS])
def el(request, tmp_path_factory):
    """One check-mode run of the probe with the facts of an EL host: (distribution, the -v log, {case: record})."""
    distribution, major = request.param
    out = tmp_path_factory.mktemp('el-%s-%s' % (distribution, major))
    facts = {'ansible_facts': {'os_family': 'RedHat', 'distribution': distribution, 'distribution_major_version': major,
                               'pkg_mgr': 'dnf', 'service_mgr': 'systemd', 'nodename': 'el-director'}}
    run = playbook('-v', '-i', 'tests/render/el/inventory.yml', 'tests/render/el/probe.yml', '--check', '-e', 'el_out=%s' % out,
                   '-e', json.dumps(facts), env={'ANSIBLE_CALLBACK_RESULT_FORMAT': 'yaml'}, timeout=300)
    records = {}
    for name in os.listdir(str(out)):
        with open(str(out / name)) as src:
            records[name[:-len('.json')]] = json.load(src)
    return distribution, run, records


def test_probe_runs_to_the_end(el):
    run = el[1]
    assert run.rc == 0, 'the probe playbook failed outside the roles\' rescued stops:\n%s' % run.tail()
    assert sorted(el[2]) == ['heartbeat', 'heartbeat-packages', 'keepalived', 'realserver']


@pytest.mark.parametrize('role', ROLES)
def test_role_loads_redhat_vars(el, role):
    assert re.search(r'ansible_included_var_files: - [^ ]*/roles/%s/vars/RedHat\.yml( |$)' % role, el[1].flat), \
        '%s did not load vars/RedHat.yml' % role


def test_no_role_gathers_its_own_facts(el):
    # the facts are the injected EL set; a role that gathered its own would see this Debian host
    assert not re.search(r'TASK \[lvs\.cluster\.[a-z_]+ : Gather the OS family[^]]*\] \*+ (ok|changed):', el[1].flat)


@pytest.mark.parametrize('case, path, expected', RESOLVED, ids=['%s:%s' % r[:2] for r in RESOLVED])
def test_resolved_value(el, case, path, expected):
    assert get(el[2].get(case, {}), path) == expected


@pytest.mark.parametrize('case, packages', DNF, ids=[d[0] for d in DNF])
def test_package_task_runs_dnf(el, case, packages):
    stop = el[2][case]['stop']['result']
    args = stop.get('invocation', {}).get('module_args', {})
    assert args.get('name') == packages and args.get('state') == 'present'
    assert args.get('use_backend') is not None, 'the package task did not run the dnf module'   # only dnf has use_backend
    assert 'dnf' in squeeze(stop.get('msg'))


def test_keepalived_reaches_its_package_task(el):
    assert 'TASK [lvs.cluster.director_keepalived : Install keepalived and ipvsadm]' in el[1].flat


def test_heartbeat_asks_for_a_package_list(el):
    msg = squeeze(el[2]['heartbeat']['stop']['result'].get('msg'))
    assert 'heartbeat and ldirectord are not in the base repositories of %s:' % el[0] in msg
    assert 'set director_heartbeat_ldirectord_packages to the packages your EPEL/ClusterLabs repositories provide' in msg


def test_heartbeat_queries_rpm_with_a_package_list(el):
    cmd = squeeze((el[2]['heartbeat-packages'].get('package_state') or {}).get('cmd'))
    assert "rpm --query '--queryformat=installed\\n' heartbeat ldirectord ipvsadm" in cmd
