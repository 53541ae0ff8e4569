# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's plumbing without a VM: labctl's commands and arguments, the lab lock, the network (namespace and bridge)
created and torn down completely, the route check end to end, the image recipe key, and the lab's shell scripts.

Each test that touches the system uses a namespace, run directory and lock file of its own (LAB_NETNS, LAB_RUN_DIR,
LAB_LOCK), so a lab that someone else has up is never touched. The VM checks are lab/smoke.py and tests/lab.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
LABCTL = os.path.join(ROOT, 'lab', 'labctl')
BUILD_IMAGE = os.path.join(ROOT, 'lab', 'build-image.sh')
sys.path.insert(0, os.path.join(ROOT, 'lab'))
import lablib  # noqa: E402  pylint: disable=wrong-import-position
sys.path.pop(0)

root_only = pytest.mark.skipif(os.geteuid() != 0, reason='needs root (network namespaces, the lab lock in /run)')
# lab/main-job.sh is being replaced by the pytest lab harness (tests/lab): not counted (issue 13)
REPLACED = set()  # shell files being replaced, left out of the count until they go


def _shell_scripts():
    found = []
    for path in glob.glob(os.path.join(ROOT, 'lab', '**'), recursive=True):
        rel = os.path.relpath(path, ROOT)
        if os.path.isfile(path) and not rel.startswith('lab/run/') and rel not in REPLACED:
            with open(path, 'rb') as f:
                first = f.readline()
            if path.endswith('.sh') or (first.startswith(b'#!') and first.rstrip().endswith((b'sh', b'bash'))):
                found.append(rel)
    return sorted(found)


SHELL_SCRIPTS = _shell_scripts()


@pytest.fixture
def env(tmp_path):
    """A lab of this test's own: namespace, run directory and lock file."""
    netns = 'lvslabt%d' % os.getpid()
    values = dict(os.environ, LAB_NETNS=netns, LAB_RUN_DIR=str(tmp_path / 'run'), LAB_LOCK=str(tmp_path / 'lock'))
    values.pop('LAB_FORCE', None)
    yield values
    for ns in (netns, netns + 'h'):
        subprocess.run(['ip', 'netns', 'delete', ns], stderr=subprocess.DEVNULL, check=False)


def labctl(env, *args, **kwargs):
    return subprocess.run([LABCTL] + list(args), env=env, capture_output=True, text=True, check=False, **kwargs)


def ns_list():
    return subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture
def other_session(env):
    """Another session holding the lab lock: `flock LOCK sleep`, which is no ancestor of labctl."""
    proc = subprocess.Popen(['flock', env['LAB_LOCK'], 'sleep', '60'], start_new_session=True)
    deadline = time.monotonic() + 10
    while lablib.Lab(env).lock_free():
        assert time.monotonic() < deadline, 'flock did not take the lock'
        time.sleep(0.05)
    yield proc
    end_session(proc)


def end_session(proc):
    """End flock and its command (which holds the inherited descriptor too)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()


# ---------------------------------------------------------------- the scripts

def test_the_lab_shell_code_stays_small():
    assert {'lab/labctl', 'lab/build-image.sh', 'lab/image/build-rootfs.sh'} <= set(SHELL_SCRIPTS)
    lines = 0
    for path in SHELL_SCRIPTS:
        with open(os.path.join(ROOT, path), encoding='utf-8') as f:
            lines += len(f.readlines())
    assert lines <= 500, 'the lab has %d lines of shell (%s; issue 13: at most 500): plumbing goes to lab/lablib.py' % (lines, SHELL_SCRIPTS)


@pytest.mark.skipif(not shutil.which('shellcheck'), reason='shellcheck not installed (apt-get install shellcheck)')
def test_shellcheck_of_the_lab_scripts():
    r = subprocess.run(['shellcheck', '-x'] + SHELL_SCRIPTS, cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout


@root_only
def test_the_image_recipe_key_is_stable_and_covers_the_recipe(tmp_path):
    key1, key2 = (subprocess.run([BUILD_IMAGE, '--print-key'], capture_output=True, text=True, check=True).stdout.strip() for _i in '12')
    assert key1 == key2 and len(key1) == 64
    # A copy of lab/ with one package more must get another key.
    shutil.copy2(BUILD_IMAGE, tmp_path)
    shutil.copytree(os.path.join(ROOT, 'lab', 'image'), str(tmp_path / 'image'), symlinks=True)
    with open(str(tmp_path / 'image' / 'packages.txt'), 'a') as f:
        f.write('hello\n')
    key3 = subprocess.run([str(tmp_path / 'build-image.sh'), '--print-key'], capture_output=True, text=True, check=True).stdout.strip()
    assert key3 != key1


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize('args, code, message', [
    (['frobnicate'], 2, 'up [HOST...]'),
    ([], 2, 'check-net'),
    (['ssh', 'nosuchhost'], 1, "unknown lab host 'nosuchhost' (known: dr1 dr2 rs1 rs2 rs3)"),
    (['up', 'dr1', 'nosuchhost'], 1, "unknown lab host 'nosuchhost'"),  # before anything boots
    (['kill'], 1, 'expected one lab host'),
    (['start', 'dr1', 'dr2'], 1, 'expected one lab host'),
    (['run', '--hosts', 'dr1'], 1, 'usage: labctl run'),
])
def test_labctl_rejects_bad_arguments(env, args, code, message):
    r = labctl(env, *args)
    assert r.returncode == code and message in r.stderr, r.stderr
    assert env['LAB_NETNS'] not in ns_list()


def test_labctl_help(env):
    r = labctl(env, '--help')
    assert r.returncode == 0 and 'run [--hosts "H.."] -- CMD...' in r.stderr


def test_labctl_hosts_lists_the_fixed_addresses(env):
    expected = ['dr1 203.0.113.11', 'dr2 203.0.113.12', 'rs1 203.0.113.21', 'rs2 203.0.113.22', 'rs3 203.0.113.23', '']
    assert labctl(env, 'hosts').stdout.split('\n') == expected


def test_bad_accel_setting(env):
    r = labctl(dict(env, LAB_ACCEL='xen'), 'status')
    assert r.returncode == 1 and "LAB_ACCEL must be auto, tcg or kvm (got 'xen')" in r.stderr


@root_only
def test_without_a_lab(env):
    r = labctl(env, 'status')
    assert r.returncode == 3 and r.stdout.startswith('namespace %s: absent\n' % env['LAB_NETNS'])
    assert 'dr1  203.0.113.11  stopped' in r.stdout
    for args in (['exec', 'true'], ['ssh', 'dr1', 'true'], ['inventory'], ['start', 'dr1']):
        r = labctl(env, *args)
        assert r.returncode == 1 and 'run: labctl up' in r.stderr, args
    for _i in '12':
        r = labctl(env, 'down')
        assert r.returncode == 0 and "lab down: no guest, tap, bridge or namespace '%s' left" % env['LAB_NETNS'] in r.stderr


# ---------------------------------------------------------------- the lock

@root_only
def test_down_and_kill_refuse_while_another_session_holds_the_lock(env, other_session):
    for args in (['down'], ['kill', 'dr1']):
        r = labctl(env, *args)
        assert r.returncode == 1 and 'another session holds %s (pid %d (flock' % (env['LAB_LOCK'], other_session.pid) in r.stderr, r.stderr
    assert labctl(dict(env, LAB_FORCE='1'), 'down').returncode == 0
    end_session(other_session)
    assert labctl(env, 'down').returncode == 0


@root_only
def test_a_caller_holding_the_lock_is_this_session(env):
    """`flock LOCK labctl down` (and `flock LOCK make ...` further up): labctl uses the caller's lock."""
    r = subprocess.run(['flock', env['LAB_LOCK'], LABCTL, 'down'], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    # the descriptor need not reach labctl (Ansible's command module closes it): an ancestor holding it is enough
    r = subprocess.run(['flock', '-o', env['LAB_LOCK'], 'sh', '-c', '"$0" down', LABCTL], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_up_takes_the_lock_with_a_holder_and_down_gives_it_back(env):
    lab = lablib.Lab(env)
    os.makedirs(env['LAB_RUN_DIR'])
    assert lab.lock_free() and lab.holder_pid() is None
    assert lab.acquire_lock() is True
    holder = lab.holder_pid()
    try:
        assert holder and open('/proc/%d/cmdline' % holder, 'rb').read().split(b'\0')[0] == b'lvslab-lock-holder'
        assert not lab.lock_free() and lab.ours()
        assert lablib.Lab(env).acquire_lock() is False  # a second up of this lab uses the holder
        other = lablib.Lab(dict(env, LAB_RUN_DIR=env['LAB_RUN_DIR'] + '2', LAB_LOCK_TIMEOUT='1'))
        assert not other.ours()  # a lab of another checkout
        with pytest.raises(lablib.LabError, match='could not get the lab lock .* within 1s'):
            other.acquire_lock()
    finally:
        lab.release_lock()
    assert lab.lock_free() and lab.holder_pid() is None and not os.path.exists('/proc/%d' % holder)
    assert not os.path.exists(os.path.join(env['LAB_RUN_DIR'], 'lock.pid'))


def test_up_waits_for_the_lock(env):
    lab = lablib.Lab(dict(env, LAB_LOCK_TIMEOUT='20'))
    os.makedirs(env['LAB_RUN_DIR'])
    other = subprocess.Popen(['flock', env['LAB_LOCK'], 'sleep', '2'])
    try:
        while lab.lock_free():
            time.sleep(0.05)
        t0 = time.monotonic()
        assert lab.acquire_lock() is True
        assert time.monotonic() - t0 >= 1 and other.wait() == 0
    finally:
        lab.release_lock()


def test_a_session_holds_the_lock_in_process(env):
    """lock_held(): a test session (lab/smoke.py, tests/lab) holds the lock; the API and labctl inside it use it."""
    lab = lablib.Lab(env)
    with lab.lock_held():
        assert lab.caller_holds_lock() and lab.ours() and not lab.lock_free()
        assert lab.acquire_lock() is False and lab.holder_pid() is None
        with lab.lock_held():  # nested: uses the outer one
            assert lab.caller_holds_lock()
    assert lab.lock_free() and not lab.caller_holds_lock()


# ---------------------------------------------------------------- the network

@root_only
def test_net_creates_the_namespace_and_down_removes_it(env):
    ns = env['LAB_NETNS']
    assert labctl(env, 'net').returncode == 0
    assert ns in ns_list()
    br0 = subprocess.run(['ip', '-n', ns, '-o', 'address', 'show', 'br0'], capture_output=True, text=True, check=True).stdout
    assert ' 203.0.113.1/24 ' in br0
    assert 'UP' in subprocess.run(['ip', '-n', ns, '-o', 'link', 'show', 'br0'], capture_output=True, text=True, check=True).stdout
    assert ' 203.0.113.1/24 ' not in subprocess.run(['ip', '-4', '-o', 'address', 'show'], capture_output=True, text=True, check=True).stdout
    assert labctl(env, 'net').returncode == 0  # idempotent
    r = labctl(env, 'exec', 'ip', '-o', 'link', 'show', 'br0')
    assert r.returncode == 0 and 'br0' in r.stdout
    assert labctl(env, 'status').stdout.startswith('namespace %s: present (br0 203.0.113.1/24)' % ns)
    r = labctl(env, 'run', '--', 'true')
    assert r.returncode == 1 and "a lab is already up in namespace '%s'" % ns in r.stderr
    assert labctl(env, 'down').returncode == 0
    assert ns not in ns_list()
    assert labctl(env, 'down').returncode == 0


@root_only
def test_the_lab_refuses_a_host_route_into_its_network(env):
    """labctl run from a scratch namespace (standing in for a host) with a route into the lab network."""
    host = env['LAB_NETNS'] + 'h'
    subprocess.run(['ip', 'netns', 'add', host], check=True)
    for args in (['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1'], ['address', 'add', '203.0.113.200/24', 'dev', 'v0'],
                 ['link', 'set', 'v1', 'up'], ['link', 'set', 'v0', 'up']):
        subprocess.run(['ip', '-n', host] + args, check=True)
    for args in (['net'], ['check-net'], ['up', 'dr1']):
        r = subprocess.run(['ip', 'netns', 'exec', host, LABCTL] + args, env=env, capture_output=True, text=True, check=False)
        assert r.returncode == 1, args
        assert '203.0.113.0/24 dev v0' in r.stderr and 'NET_PREFIX in lab/lablib.py' in r.stderr, r.stderr
    assert env['LAB_NETNS'] not in ns_list()


def test_the_lock_wait_outside_the_main_thread_polls(env, other_session):
    """Only the main thread may take SIGALRM: elsewhere the wait polls, and times out the same way."""
    errors = []

    def wait():
        try:
            with lablib.Lab(dict(env, LAB_LOCK_TIMEOUT='1')).lock_held():
                errors.append(None)
        except lablib.LabError as e:
            errors.append(str(e))

    thread = threading.Thread(target=wait)
    thread.start()
    thread.join(30)
    assert errors and 'could not get the lab lock %s within 1s' % env['LAB_LOCK'] in errors[0]
