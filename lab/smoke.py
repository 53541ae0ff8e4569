# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab smoke test (pytest): prove that the built-in lab works on this machine, and time it.

    lab/smoke.sh              (python3 -m pytest lab/smoke.py; make lab-smoke)

In order (when the boot fails, the tests that need the guests error out):
  1. no route of the host overlaps the lab network; the guest image is built or reused
  2. dr1 dr2 rs1 rs2 boot and answer SSH
  3. IPVS on Debian's kernel in the guest (modprobe ip_vs, /proc/net/ip_vs, an ipvsadm DR service), pyroute2 >= 0.9.7,
     the roles' packages installed and their units neither enabled nor running; hostname and address of each guest
  4. guest <-> guest, guest -> controller and namespace -> guest ping
  5. fault path: `labctl kill rs2` (power cut), rs2 unreachable, `labctl start rs2`, rs2 back with its identity
  6. `labctl down`: no qemu, tap, bridge, namespace, overlay or lock holder left; a second down is a no-op
  7. a failed boot (LAB_BOOT_TIMEOUT too short) under `labctl run` shows the console and leaves nothing behind
  8. `labctl run` passes the command's exit code through and tears down after it
The whole run holds the lab lock (/run/lvs-lab.lock; the caller's, if it holds it). Needs root; about 5 minutes
under qemu TCG; not part of `make test`. The timings are printed at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib  # noqa: E402  pylint: disable=wrong-import-position

LABCTL = os.path.join(lablib.LAB_DIR, 'labctl')
GUESTS = ('dr1', 'dr2', 'rs1', 'rs2')
TIMING = {}
PING_ALL = 'for ip in %s; do ping -n -q -c 1 -W 3 $ip > /dev/null || { echo "no reply from $ip"; exit 1; }; done'


def labctl(*args, **kwargs):
    return subprocess.run([LABCTL] + list(args), universal_newlines=True, check=False, **kwargs)


def timed(name, func, *args, **kwargs):
    t0 = time.monotonic()
    result = func(*args, **kwargs)
    TIMING[name] = '%ds' % (time.monotonic() - t0)
    return result


def guest(host, command):
    """Run command on a guest; fail with its output unless it exits 0."""
    r = lablib.Lab().ssh(host, command)
    assert r.returncode == 0, 'exit %d: %s%s' % (r.returncode, r.stdout, r.stderr)
    return r.stdout


def left_over(lab):
    """What of the lab is still there (nothing after a down)."""
    left = []
    if lab.ns_exists():
        left.append('namespace ' + lab.netns)
    if subprocess.run(['pgrep', '-f', '--', '-name lvslab-'], stdout=subprocess.DEVNULL, check=False).returncode == 0:
        left.append('qemu of a lab guest')
    if 'tap-' in subprocess.run(['ip', '-o', 'link', 'show', 'type', 'tun'], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout:
        left.append('tap on the host')
    left += glob.glob(lab.path('*.qcow2'))
    if lab.holder_pid() or subprocess.run(['pgrep', '-f', '^' + lablib.HOLDER_NAME], stdout=subprocess.DEVNULL, check=False).returncode == 0:
        left.append('lock holder')
    return left


@pytest.fixture(scope='module', autouse=True)
def session(request):
    """The lab lock for the whole run; the lab down at the end whatever happened; the timings printed."""
    if os.geteuid() != 0:
        pytest.skip('the lab smoke test needs root')
    lab = lablib.Lab()
    t0 = time.monotonic()
    with lab.lock_held():
        try:
            yield lab
        finally:
            labctl('down', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    TIMING['whole smoke run'] = '%ds' % (time.monotonic() - t0)
    write = request.config.pluginmanager.get_plugin('terminalreporter').write_line
    write('')
    write('lab smoke timings on %s (%d cores, load %s):' % (os.uname().nodename, os.cpu_count(), ' '.join(open('/proc/loadavg').read().split()[:3])))
    for name in ('image', 'boot 4 guests to SSH (parallel)', 'restart 1 guest after kill to SSH', 'labctl down',
                 'failed boot + cleanup', 'labctl run, 1 guest, up+cmd+down', 'whole smoke run'):
        write('  %-36s %s' % (name, TIMING.get(name, 'n/a')))


@pytest.fixture(scope='module')
def booted(session):
    labctl('down', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = timed('boot 4 guests to SSH (parallel)', labctl, 'up', *GUESTS)
    if r.returncode:
        pytest.fail('labctl up %s failed (exit %d)' % (' '.join(GUESTS), r.returncode))
    return session


# ---- 1. lab network and image

def test_no_host_route_overlaps_the_lab_network():
    r = labctl('check-net', stdout=subprocess.PIPE)
    assert r.returncode == 0 and r.stdout.startswith('lab network 203.0.113.0/24: none of the ')


def test_the_image_is_built_or_cached():
    build = os.path.join(lablib.LAB_DIR, 'build-image.sh')
    cached = subprocess.run([build, '--check'], check=False).returncode == 0
    image = timed('image', subprocess.check_output, [build], universal_newlines=True).strip()
    TIMING['image'] += ' (%s)' % ('cached' if cached else 'built')
    for name in ('rootfs.raw', 'vmlinuz', 'initrd.img', 'id_ed25519', 'manifest.txt'):
        assert os.path.exists(os.path.join(image, name)), name


# ---- 2. boot; 3. the guest kernel and packages

def test_four_guests_boot_and_answer_ssh(booted):
    text, code = booted.status()
    assert code == 0 and all('%s ' % h in text for h in GUESTS) and text.count('ssh ok') == 4, text


def test_ipvs_on_the_guest_kernel(booted):
    assert guest('dr1', 'modprobe ip_vs && cat /proc/net/ip_vs').startswith('IP Virtual Server version')


def test_ipvsadm_adds_lists_and_clears_a_dr_service(booted):
    out = guest('dr1', 'ipvsadm -A -t 203.0.113.100:80 -s rr && ipvsadm -a -t 203.0.113.100:80 -r 203.0.113.21:80 -g'
                       ' && ipvsadm -Ln && ipvsadm -C && echo cleared && ipvsadm -Ln')
    listed, cleared = out.split('cleared\n')
    assert '203.0.113.21:80' in listed and 'Route' in listed and 'TCP' not in cleared


def test_pyroute2_is_new_enough(booted):
    version = guest('dr1', 'python3 -c "import pyroute2; print(pyroute2.__version__)"').strip()
    assert tuple(int(x) for x in version.split('.')[:3]) >= (0, 9, 7), version


def test_the_roles_packages_are_installed(booted):
    guest('dr1', 'dpkg-query -W keepalived ipvsadm heartbeat ldirectord nginx-light python3-apt && command -v keepalived ipvsadm ldirectord')


@pytest.mark.parametrize('unit', ['keepalived', 'heartbeat', 'ldirectord'])
def test_the_roles_units_are_neither_enabled_nor_running(booted, unit):
    out = guest('dr1', 'systemctl is-enabled %s.service || true; systemctl is-active %s.service || true' % (unit, unit))
    assert out.split()[0] == 'disabled' and out.split()[1] != 'active', out


@pytest.mark.parametrize('host', GUESTS)
def test_only_the_real_servers_serve_their_page_from_boot(booted, host):
    out = guest(host, 'systemctl is-active nginx.service || true; curl -s --max-time 5 http://127.0.0.1/ || true')
    state, dummy, page = out.partition('\n')
    if host in lablib.PAGES:
        assert state == 'active' and page.strip() == 'This is real server%d' % lablib.PAGES[host], out
    else:
        assert state != 'active' and not page.strip(), out


@pytest.mark.parametrize('host', GUESTS)
def test_hostname_and_address_from_the_kernel_command_line(booted, host):
    out = guest(host, 'hostname; ip -4 -o address show eth0')
    assert out.split('\n')[0] == host and ' %s/24 ' % lablib.address(host) in out, out


# ---- 4. network

@pytest.mark.parametrize('host', GUESTS)
def test_guest_pings_the_others_and_the_controller(booted, host):
    guest(host, PING_ALL % ' '.join([lablib.CONTROLLER] + [lablib.address(h) for h in GUESTS]))


def test_the_namespace_pings_every_guest(booted):
    r = labctl('exec', 'sh', '-c', PING_ALL % ' '.join(lablib.address(h) for h in GUESTS), stdout=subprocess.PIPE)
    assert r.returncode == 0, r.stdout


# ---- 5. fault path

def test_power_cut_and_restart(booted):
    assert labctl('kill', 'rs2').returncode == 0
    assert booted.exec_in_namespace(['ping', '-n', '-q', '-c', '2', '-W', '1', lablib.address('rs2')], stdout=subprocess.DEVNULL,
                                    check=False).returncode != 0, 'rs2 still answers after the kill'
    guest('rs1', 'true')
    assert timed('restart 1 guest after kill to SSH', labctl, 'start', 'rs2').returncode == 0
    guest('rs2', 'test "$(hostname)" = rs2 && ping -n -q -c 1 -W 3 %s > /dev/null' % lablib.address('dr1'))


# ---- 6. teardown

def test_down_leaves_nothing_behind(booted):
    assert timed('labctl down', labctl, 'down').returncode == 0
    assert left_over(booted) == []
    assert labctl('down').returncode == 0


# ---- 7. a failed boot under the run wrapper; 8. the wrapper's exit code

def test_a_failed_boot_shows_the_console_and_leaves_nothing_behind(session):
    # a cold boot (no snapshot: a restored guest answers in 3 s) never reaches SSH in 2 s
    env = dict(os.environ, LAB_BOOT_TIMEOUT='2', LAB_SNAPSHOT='0')
    r = timed('failed boot + cleanup', labctl, 'run', '--hosts', 'dr1', '--', 'true', env=env, stderr=subprocess.PIPE)
    assert r.returncode != 0 and 'last lines of the dr1 console' in r.stderr, r.stderr
    assert left_over(session) == []


def test_run_passes_the_exit_code_through_and_tears_down(session):
    r = timed('labctl run, 1 guest, up+cmd+down', labctl, 'run', '--hosts', 'rs3', '--', 'sh', '-c',
              'ping -n -q -c 1 -W 5 %s > /dev/null && exit 7' % lablib.address('rs3'))
    assert r.returncode == 7
    assert left_over(session) == []
