# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM lab as pytest: a session fixture boots the guests once (lab/lablib.py) and takes them down at the end; the
tests of test_lab.py are the main job's stages, in order. A failing stage ends the run (the later ones are skipped).
At the end the report (every stage's time, every measured number) is printed and written to OUT/report.txt and
OUT/report.json, next to each stage's log and JSON.

    make lab                  pytest -m "lab and not day2" tests/lab             (converge ... power cut, scale-out)
    make lab-day2             pytest -m "lab and not powercut and not scaleout" tests/lab
    molecule test -s lab      molecule boots and converges; its verify runs the "seed" tests here with LAB_REUSE=1

The lab tests run only when the marker expression (-m) names ``lab``. Needs root; the caller holds /run/lvs-lab.lock
(make and molecule run under flock) or labctl takes it while the guests are up.

Environment:
  LAB_BACKEND      keepalived (default) | heartbeat_ldirectord | piranha (the daemons are built from PIRANHA_TARBALL by
                   lab/piranha_build.py before the guests boot)
  LAB_MITOGEN      1 (default): Ansible runs with mitogen's mitogen_linear strategy; 0: Ansible's own linear over ssh
  LAB_KEEP=1       leave the lab up at the end (lab/labctl down when done)
  LAB_REUSE=1      use the lab that is up (booted and converged by the caller, e.g. molecule); never boot or take down
  LAB_OUT          logs, JSON and the report (default lab/run/main-job, lab/run/main-job-day2 when day-2 tests run)
  LAB_FAILOVER_MAX, LAB_FAILBACK_MAX   bounds of verify_cluster.yml (s; keepalived 30/60, heartbeat_ldirectord 25/35)
  LAB_KILL_MAX     power cut: until the VIP answers from the other director (s; 60/30)
  LAB_BACK_MAX     power cut: killed director booted until the VIP is back (s; 120/45)
  LAB_POLL_RATE    requests/s of the scale-out client (5); LAB_DAY2_REQUESTS requests counted after drain/enable (20)
  LAB_NETNS and the other LAB_* of lab/labctl.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import lab_adapter  # noqa: E402  pylint: disable=wrong-import-position
import lab_report  # noqa: E402  pylint: disable=wrong-import-position

BACKENDS = {  # bounds in seconds: verify failover, verify failback, power cut, return after the power cut
    # heartbeat_ldirectord, measured in the TCG lab: heartbeat's takeover scripts (~3 s), ldirectord's Perl start and
    # first checks (~5 s), deadtime 4 s on a power cut: failover ~12 s, failback ~18 s, power cut ~13 s on an idle
    # machine; starved guests (load 6 on two cores) took 35 s and more (roles/director_heartbeat_ldirectord/README.md).
    'keepalived': {'failover': 30, 'failback': 60, 'kill': 60, 'back': 120},
    'heartbeat_ldirectord': {'failover': 25, 'failback': 35, 'kill': 30, 'back': 45},
    # piranha: pulse keepalive 1 s, deadtime 5 s (inventories/lab/piranha.yml); not yet measured in the lab
    'piranha': {'failover': 25, 'failback': 35, 'kill': 30, 'back': 45},
}
MARKERS = {
    'lab': 'the VM lab (needs the lab lock and qemu)',
    'converge': 'lab stage: site.yml, the test pages, idempotence',
    'seed': "lab stage: the seed's section 11.6 tests (verify_cluster.yml) and the cluster's state",
    'day2': 'lab stage: the day-2 playbooks (status, drain/enable, rolling update, failover drill)',
    'powercut': 'lab stage: power cut of the director holding the VIP',
    'scaleout': 'lab stage: scale-out (rs3) under client load',
    'faults': 'lab stage: faults under client load (test_lab_faults.py; make lab-faults)',
}


class Settings(object):
    def __init__(self, env):
        self.backend = env.get('LAB_BACKEND', 'keepalived')
        if self.backend not in BACKENDS:
            raise pytest.UsageError('LAB_BACKEND must be one of %s (got %r)' % (', '.join(BACKENDS), self.backend))
        bounds = BACKENDS[self.backend]
        self.failover_max = int(env.get('LAB_FAILOVER_MAX', bounds['failover']))
        self.failback_max = int(env.get('LAB_FAILBACK_MAX', bounds['failback']))
        self.kill_max = int(env.get('LAB_KILL_MAX', bounds['kill']))
        self.back_max = int(env.get('LAB_BACK_MAX', bounds['back']))
        self.poll_rate = float(env.get('LAB_POLL_RATE', '5'))
        self.day2_requests = int(env.get('LAB_DAY2_REQUESTS', '20'))
        if not 1 <= self.day2_requests <= 9999:
            raise pytest.UsageError('LAB_DAY2_REQUESTS must be 1-9999 (got %d)' % self.day2_requests)
        self.mitogen = env.get('LAB_MITOGEN', '1') != '0'
        self.keep = env.get('LAB_KEEP', '0') == '1'
        self.reuse = env.get('LAB_REUSE', '0') == '1'
        self.out = env.get('LAB_OUT')


SETTINGS = None
REPORT = None
STATE = {'aborted': None, 'day2': False}


def _is_lab_item(item):
    return os.path.dirname(str(item.path)) == HERE


def pytest_configure(config):
    for name, text in MARKERS.items():
        config.addinivalue_line('markers', '%s: %s' % (name, text))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """After -m chose the tests: the lab runs only when -m names it; OUT depends on whether day-2 tests run."""
    global SETTINGS, REPORT  # pylint: disable=global-statement
    lab_items = [i for i in items if _is_lab_item(i)]
    if not lab_items:
        return
    if 'lab' not in (config.getoption('markexpr') or ''):
        skip = pytest.mark.skip(reason='the VM lab runs only with -m naming lab (make lab)')
        for item in lab_items:
            item.add_marker(skip)
        return
    SETTINGS = Settings(os.environ)
    STATE['day2'] = any(i.get_closest_marker('day2') for i in lab_items)
    out = SETTINGS.out or os.path.join(lab_adapter.REPO, 'lab', 'run', 'main-job-day2' if STATE['day2'] else 'main-job')
    title = 'backend %s, %s%s' % (SETTINGS.backend, 'mitogen_linear' if SETTINGS.mitogen else 'linear (ssh)',
                                  ', day-2 playbooks' if STATE['day2'] else '')
    REPORT = lab_report.Report(title, out)
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(('.log', '.json', '.txt')):
            os.remove(os.path.join(out, name))


def stage_name(item):
    return item.name[len('test_'):].replace('_', '-') if item.name.startswith('test_') else item.name


def pytest_runtest_setup(item):
    if _is_lab_item(item) and STATE['aborted']:
        pytest.skip('an earlier lab stage failed: %s' % STATE['aborted'])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if REPORT is None or not _is_lab_item(item):
        return
    name = stage_name(item)
    if rep.when == 'call' or (rep.when == 'setup' and not rep.passed):
        if rep.skipped and STATE['aborted']:
            return
        result = 'ok' if rep.passed else ('skipped' if rep.skipped else 'FAILED')
        seconds = int(round(call.duration)) if rep.when == 'call' else 0
        if rep.when == 'setup' and REPORT.stages and REPORT.stages[-1]['result'] == 'FAILED':
            name = REPORT.stages[-1]['stage']  # the lab fixture's own stage (boot, image, ...) failed and is in the report
        elif rep.when == 'call' or rep.failed:
            REPORT.stage(name, seconds, result)
        if rep.failed:
            msg = str(call.excinfo.value).strip().splitlines() if call.excinfo else []
            REPORT.fail('stage %s: %s (log: %s)' % (name, msg[0] if msg else rep.outcome, REPORT.out))
            STATE['aborted'] = name


@pytest.fixture(scope='session')
def settings():
    return SETTINGS


@pytest.fixture(scope='session')
def report():
    return REPORT


def _timed(name, func, *args, **kwargs):
    t = lab_adapter.Timer()
    try:
        with t:
            value = func(*args, **kwargs)
    except Exception:
        REPORT.stage(name, t.seconds, 'FAILED')
        raise
    REPORT.stage(name, t.seconds)
    return value


@pytest.fixture(scope='session')
def lab():
    """The running lab: booted here (dr1 dr2 rs1 rs2) unless LAB_REUSE=1, taken down at the end unless LAB_KEEP=1."""
    s = SETTINGS
    lab_ = lab_adapter.Lab(REPORT.out, backend=s.backend, mitogen=s.mitogen)
    started = False
    try:
        if s.reuse:
            if not lab_.exists():
                raise lab_adapter.LabError('LAB_REUSE=1 but no lab is up (namespace %s)' % lab_.netns)
        else:
            REPORT.note('lab network', _timed('lab-network', lab_.check_net))
            cached = lab_.image_cached()
            REPORT.note('image', 'cached (recipe %s)' % lab_.image_key()[:12] if cached else 'built now')
            _timed('image', lab_.build_image)
            if lab_.exists():
                # make lab and molecule hold the lab lock while they run: a lab found now is a leftover of a crashed
                # run of this session's owner; labctl down refuses when another session holds the lock
                print('a leftover lab is up in namespace %s: taking it down first' % lab_.netns)
                lab_.down()
            if s.backend == 'piranha':
                _timed('piranha-build', subprocess.run, [sys.executable, os.path.join(lab_adapter.REPO, 'lab', 'piranha_build.py')],
                       check=True)
            started = True
            _timed('boot', lab_.up, 'dr1', 'dr2', 'rs1', 'rs2')
        yield lab_
    finally:
        lab_.stop_background()
        if started and not s.keep:
            _timed('lab down', lab_.down)
        elif started:
            print('LAB_KEEP=1: the lab stays up (lab/labctl status; lab/labctl down when done)')


def pytest_sessionfinish(session):
    if REPORT is not None and REPORT.used:
        REPORT.write()


def pytest_terminal_summary(terminalreporter):
    if REPORT is not None and REPORT.used:
        terminalreporter.write_line(REPORT.text())
