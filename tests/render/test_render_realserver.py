# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/realserver_dr: the templates rendered for DR, DR+IPv6, TUN and VLAN views (realserver/render.yml), their content
and shell syntax, then the real lvs-realserver script run in a private network and mount namespace made here (own lo,
own net.* sysctls, tmpfs /run): apply/check/status/stop, drift repair, removal of dropped VIPs, sysctls before VIPs,
and hostile files refused without running anything. The namespace tests run in file order and share the namespace."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import signal
import subprocess

import pytest

from lvs_helpers import REPO, need, need_root, playbook

HERE = os.path.join(REPO, 'tests', 'render', 'realserver')
CASES = ['dr', 'dr-less', 'tun', 'vlan', 'hostile']
# (case, file, text, present?)
CONTENT = [
    ('dr', 'realserver.conf', 'LVS_DR_VIP=203.0.113.100/32', True),
    ('dr', 'realserver.conf', 'LVS_DR_VIP=2001:db8::100/128', True),
    ('dr', 'realserver.conf', 'LVS_TUN=no', True),
    ('dr', 'sysctl.conf', 'net.ipv4.conf.all.arp_ignore = 1', True),
    ('dr', 'sysctl.conf', 'net.ipv4.conf.eth0.arp_announce = 2', True),
    ('dr', 'sysctl.conf', 'rp_filter', False),
    ('hostile', 'realserver.conf', 'LVS_DR_VIP=203.0.113.120/32', True),
    ('tun', 'realserver.conf', 'LVS_TUN_VIP=203.0.113.110/32', True),
    ('tun', 'realserver.conf', 'LVS_DR_VIP=203.0.113.100/32', True),
    ('tun', 'realserver.conf', 'LVS_TUN_VIP=203.0.113.100/32', False),
    ('tun', 'realserver.conf', 'LVS_TUN=yes', True),
    ('tun', 'sysctl.conf', 'net.ipv4.conf.tunl0.rp_filter = 0', True),
    ('tun', 'sysctl.conf', 'net.ipv4.conf.all.rp_filter = 0', True),
    ('vlan', 'sysctl.conf', 'net.ipv4.conf.eth0/100.arp_ignore = 1', True),
    ('vlan', 'sysctl.conf', 'net.ipv4.conf.eth0/100.arp_announce = 1', True),
    ('vlan', 'sysctl.conf', 'net.ipv4.conf.all.arp_announce = 1', True),
]
# The script reads its files as data: no sourcing, no eval, no shell started with a value in its command line.
IMPURE = [
    ('sources a file', r'(^|[;&|(])[ \t]*(\.|source)[ \t]+[^ \t]'),
    ('uses eval', r'(^|[^A-Za-z0-9_])eval([^A-Za-z0-9_]|$)'),
    ('starts sh -c', r'(^|[^A-Za-z0-9_])(ba|da)?sh[ \t]+-c'),
]


@pytest.fixture(scope='module')
def out(tmp_path_factory):
    work = tmp_path_factory.mktemp('realserver')
    os.chmod(str(work), 0o755)
    run = playbook('-i', 'localhost,', os.path.join(HERE, 'render.yml'), '-e', 'out_dir=%s' % work,
                   '-e', 'render_role_dir=%s' % os.path.join(REPO, 'roles', 'realserver_dr'))
    assert run.rc == 0, 'render.yml:\n%s' % run.tail()
    return str(work)


def text(out, case, name):
    with open(os.path.join(out, case, name)) as src:
        return src.read()


@pytest.mark.parametrize('case, name, line, present', CONTENT, ids=['%s/%s: %s%s' % (c[0], c[1], '' if c[3] else 'no ', c[2]) for c in CONTENT])
def test_rendered_content(out, case, name, line, present):
    assert (line in text(out, case, name)) == present


def test_service_unit_runs_the_script(out):
    unit = text(out, 'dr', 'lvs-realserver.service')
    script = os.path.join(out, 'dr', 'lvs-realserver')
    assert 'ExecStart=%s apply' % script in unit and 'ExecStop=%s stop' % script in unit


@pytest.mark.parametrize('what, pattern', IMPURE, ids=[i[0] for i in IMPURE])
def test_script_reads_its_files_as_data(out, what, pattern):
    code = [line for line in text(out, 'dr', 'lvs-realserver').splitlines() if not re.match(r'^\s*#', line)]
    assert [line for line in code if re.search(pattern, line)] == [], 'the script %s' % what


@pytest.mark.parametrize('case', CASES)
def test_script_syntax(out, case):
    path = os.path.join(out, case, 'lvs-realserver')
    proc = subprocess.run(['sh', '-n', path], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    need(shutil.which('shellcheck'), 'shellcheck is not installed')
    proc = subprocess.run(['shellcheck', '-s', 'sh', path], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


class Namespace(object):
    """A network and mount namespace held by a sleeping process: own lo, eth0 (veth), tmpfs /run."""

    def __init__(self):
        self.proc = subprocess.Popen(['unshare', '--net', '--mount', '--fork', 'sh', '-c',
                                      'set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /run; ip link set lo up; '
                                      'ip link add eth0 type veth peer name eth0p; ip link set eth0 up; echo "ready $$"; exec sleep 900'],
                                     stdout=subprocess.PIPE, text=True)
        words = self.proc.stdout.readline().split()
        assert words[:1] == ['ready'], 'the namespace did not start'
        self.pid = words[1]

    def run(self, *args):
        """ARGS inside the namespace: (exit code, stdout, stderr)."""
        proc = subprocess.run(['nsenter', '-t', self.pid, '--net', '--mount'] + list(args), capture_output=True, text=True,
                              timeout=60, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def sh(self, command):
        return self.run('sh', '-c', command)

    def sysctl(self, path):
        return self.sh('cat /proc/sys/net/ipv4/conf/%s' % path)[1].strip()

    def on_lo(self, address):
        return address in self.sh("ip -o addr show dev lo | awk '{print $4}'")[1].split()

    def close(self):
        try:
            os.kill(int(self.pid), signal.SIGKILL)
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope='module')
def ns():
    need_root()
    space = Namespace()
    yield space
    space.close()


@pytest.fixture(scope='module')
def script(out):
    return lambda case: os.path.join(out, case, 'lvs-realserver')


def test_apply(ns, script):
    rc, output, err = ns.run(script('dr'), 'apply')
    assert rc == 0, err
    for line in ('sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1', 'sysctl net.ipv4.conf.eth0.arp_announce: 0 -> 2',
                 'add 203.0.113.100/32 on lo', 'add 2001:db8::100/128 on lo'):
        assert line in output
    lines = output.splitlines()
    first_sysctl = min(i for i, line in enumerate(lines) if line.startswith('sysctl'))
    first_vip = min(i for i, line in enumerate(lines) if line.startswith('add '))
    assert first_sysctl < first_vip, 'a VIP was added before the sysctls'
    assert ns.on_lo('203.0.113.100/32') and ns.on_lo('2001:db8::100/128')
    assert ns.sysctl('all/arp_ignore') == '1'


def test_second_apply_changes_nothing(ns, script):
    assert ns.run(script('dr'), 'apply')[:2] == (0, '')
    assert ns.run(script('dr'), 'status')[0] == 0


def test_drift_reported_and_repaired(ns, script):
    ns.sh('ip addr del 203.0.113.100/32 dev lo')
    assert ns.run(script('dr'), 'status')[0] == 3, 'status did not report the missing VIP'
    assert 'add 203.0.113.100/32 on lo' in ns.run(script('dr'), 'check')[1]
    assert not ns.on_lo('203.0.113.100/32'), 'check changed something'
    assert 'add 203.0.113.100/32 on lo' in ns.run(script('dr'), 'apply')[1]
    ns.sh('echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore')
    assert 'sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1' in ns.run(script('dr'), 'apply')[1]


def test_dropped_vips_removed(ns, script, out):
    shutil.copy(os.path.join(out, 'dr-less', 'realserver.conf'), os.path.join(out, 'dr', 'realserver.conf'))
    output = ns.run(script('dr'), 'apply')[1]
    for line in ('remove 203.0.113.100/32 from lo', 'remove 2001:db8::100/128 from lo', 'add 203.0.113.101/32 on lo'):
        assert line in output
    assert ns.run(script('dr'), 'apply')[1] == '', 'apply after the change is not stable'


def test_stop(ns, script):
    assert 'remove 203.0.113.101/32 from lo' in ns.run(script('dr'), 'stop')[1]
    assert not ns.on_lo('203.0.113.101/32')
    assert ns.sh('test -e /run/lvs-realserver/vips')[0] != 0, 'state file left after stop'


def test_tun_check(ns, script):
    output = ns.run(script('tun'), 'check')[1]
    assert 'load kernel module ipip' in output and 'add 203.0.113.100/32 on lo' in output


def test_interface_with_a_dot(ns, script):
    """A VLAN's usual name (a veth here): its sysctls are keyed eth0/100 (sysctl.d convention), land in conf/eth0.100."""
    assert ns.sh('ip link add eth0.100 type veth peer name vp100')[0] == 0
    rc, output, err = ns.run(script('vlan'), 'apply')
    assert rc == 0, err
    assert 'sysctl net.ipv4.conf.eth0/100.arp_ignore: 0 -> 1' in output
    assert ns.sysctl('eth0.100/arp_announce') == '1'
    assert ns.run(script('vlan'), 'apply')[1] == ''
    ns.run(script('vlan'), 'stop')


# Hostile files: every line below must be refused (exit 2) in every mode; nothing may change and nothing may run.
MARK = '@MARKER@'
HOSTILE_CONF = [
    ('semicolon', 'LVS_DR_VIP=203.0.113.120/32;touch @MARKER@'),
    ('command substitution', 'LVS_DR_VIP=$(touch @MARKER@)'),
    ('backquotes', 'LVS_DR_VIP=`touch @MARKER@`'),
    ('double quotes', 'LVS_DR_VIP="203.0.113.120/32"'),
    ('single quotes', "LVS_DR_VIP=203.0.113.120/32'; touch @MARKER@; '"),
    ('newline in a VIP', 'LVS_DR_VIP=203.0.113.120/32\ntouch @MARKER@'),
    ('blank in a value', 'LVS_DR_VIP=203.0.113.120/32 203.0.113.122/32'),
    ('old shell format', 'LVS_DR_VIPS="$(touch @MARKER@)"'),
    ('LVS_TUN with a command', 'LVS_TUN=yes;touch @MARKER@'),
    ('a prefix other than /32', 'LVS_DR_VIP=203.0.113.0/24'),
    ('an octet above 255', 'LVS_DR_VIP=203.0.113.300/32'),
    ('an IPv6 zone index', 'LVS_DR_VIP=fe80::1%lo/128'),
    ('a leading blank', ' LVS_DR_VIP=203.0.113.120/32'),
    ('a carriage return', 'LVS_DR_VIP=203.0.113.120/32\r'),
]
HOSTILE_SYSCTL = [
    ('semicolon in the interface', 'net.ipv4.conf.eth0;touch @MARKER@;.arp_ignore = 1'),
    ('command substitution in the interface', 'net.ipv4.conf.$(touch @MARKER@).arp_ignore = 1'),
    ('quotes in the value', "net.ipv4.conf.all.arp_announce = 2'; touch @MARKER@; echo '"),
    ('command substitution in the value', 'net.ipv4.conf.all.arp_announce = $(touch @MARKER@)'),
    ('double quote in the interface', 'net.ipv4.conf.eth0".arp_ignore = 1'),
    ('newline in the interface', 'net.ipv4.conf.eth0\ntouch @MARKER@.arp_ignore = 1'),
    ('a path out of net.ipv4.conf', 'net.ipv4.conf.all/../../../../kernel/x.arp_ignore = 1'),
    ('a sysctl the role never sets', 'kernel.core_pattern = 1'),
    ('an interface name longer than 15', 'net.ipv4.conf.abcdefghijklmnop.arp_ignore = 1'),
]


@pytest.fixture(scope='module')
def hostile(out, ns):
    """The hostile case's files, their good copies and the marker path; the control shows the marker works."""
    base = os.path.join(out, 'hostile')
    files = {'conf': os.path.join(base, 'realserver.conf'), 'sysctl': os.path.join(base, 'sysctl.conf'),
             'marker': os.path.join(base, 'MARKER'), 'script': os.path.join(base, 'lvs-realserver')}
    good = dict((k, text(out, 'hostile', os.path.basename(files[k]))) for k in ('conf', 'sysctl'))
    control = os.path.join(base, 'control')
    with open(control, 'w') as dst:
        dst.write('LVS_DR_VIP=$(touch %s)\n' % files['marker'])
    subprocess.run(['sh', '-c', '. "$0"', control], capture_output=True, check=False)
    assert os.path.exists(files['marker']), 'control: sourcing a hostile line never creates the marker'
    os.remove(files['marker'])
    os.remove(control)
    ns.sh('echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore')
    yield files
    for key, content in good.items():
        with open(files[key], 'w') as dst:
            dst.write(content)


def refused(ns, files, which, content):
    """Write the hostile ``content`` into one file, run every mode: the problems found (empty = refused, nothing run)."""
    problems = []
    good = {}
    for key in ('conf', 'sysctl'):
        with open(files[key]) as src:
            good[key] = src.read()
    try:
        with open(files[which], 'w') as dst:
            dst.write(content.replace(MARK, files['marker']))
        for mode in ('apply', 'check', 'status', 'stop'):
            rc, dummy, err = ns.run(files['script'], mode)
            if rc != 2:
                problems.append('%s exited %d, not 2 (refusal)' % (mode, rc))
            if not re.search(re.escape(files[which] + ' line ') + '.*nothing was changed', err, re.S):
                problems.append('%s did not say which line it refused: %s' % (mode, err))
        if os.path.exists(files['marker']):
            problems.append('the hostile value was EXECUTED')
        if ns.on_lo('203.0.113.120/32') or ns.on_lo('203.0.113.121/32'):
            problems.append('a VIP was added from a refused file')
        if ns.sysctl('all/arp_ignore') != '0':
            problems.append('a sysctl was changed from a refused file')
    finally:
        if os.path.exists(files['marker']):
            os.remove(files['marker'])
        for key in ('conf', 'sysctl'):
            with open(files[key], 'w') as dst:
                dst.write(good[key])
    return problems


@pytest.mark.parametrize('line', [c[1] for c in HOSTILE_CONF], ids=[c[0] for c in HOSTILE_CONF])
def test_hostile_config_line_refused(ns, hostile, line):
    assert refused(ns, hostile, 'conf', '# hostile\nLVS_TUN=no\nLVS_DR_VIP=203.0.113.121/32\n%s\n' % line) == []


@pytest.mark.parametrize('line', [c[1] for c in HOSTILE_SYSCTL], ids=[c[0] for c in HOSTILE_SYSCTL])
def test_hostile_sysctl_line_refused(ns, hostile, line):
    assert refused(ns, hostile, 'sysctl', 'net.ipv4.conf.all.arp_ignore = 1\n%s\n' % line) == []


def test_hostile_state_file_entries_skipped(ns, hostile):
    """The state file (/run) is data too: a hostile entry is skipped, never run, and dropped when the file is rewritten."""
    marker = hostile['marker']
    ns.sh('mkdir -p /run/lvs-realserver')
    ns.run('sh', '-c', 'printf "lo=\\$(touch %s)\\nlo=203.0.113.120/32;touch %s\\n" "$0" "$0" > /run/lvs-realserver/vips' % ('%s', '%s'),
           marker)
    assert 'touch' in ns.sh('cat /run/lvs-realserver/vips')[1], 'the hostile state file was not written'
    assert ns.run(hostile['script'], 'apply')[0] == 0
    assert not os.path.exists(marker), 'a hostile state entry was EXECUTED'
    assert 'touch' not in ns.sh('cat /run/lvs-realserver/vips')[1], 'hostile entries kept'
    ns.run(hostile['script'], 'stop')
