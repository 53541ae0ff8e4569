# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/lab/lab_report.py: the lab run's report (stages, numbers, verify_cluster.yml's checks) as text and JSON."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
_spec = importlib.util.spec_from_file_location('lab_report_under_test', os.path.join(ROOT, 'tests', 'lab', 'lab_report.py'))
lab_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_report)

# the shape of verify_cluster.yml's report (verify_report_file), first cluster, keepalived, one real server stopped
VERIFY = {'clusters': [{
    'balance': {'requests': 20, 'failed': 0, 'counts': {'rs2': 10, 'rs1': 10}},
    'ha': {'daemon': 'keepalived', 'director_stopped': 'dr1', 'failback_expected': True,
           'failover': {'seconds': 3.1, 'failed': 2, 'requests': 14}, 'failback': {'seconds': 4.2, 'failed': 0, 'requests': 18},
           'holders_after_failback': ['dr1'], 'vip_back_on_director_seconds': 2.5},
    'realserver': {'service': 'nginx', 'host': 'rs1', 'removal': {'seconds': 5.0, 'failed': 1, 'requests': 12},
                   'return': {'seconds': 6.5}},
    'checks': [{'name': 'balance - rr', 'ok': True, 'msg': 'rs1=10 rs2=10'}, {'name': 'ha - failover', 'ok': False, 'msg': 'slow'}],
}]}


def test_verify_numbers():
    got = dict(lab_report.verify_numbers(VERIFY))
    assert got['balance: requests / failed'] == '20 / 0'
    assert got['balance: per real server'] == 'rs1=10 rs2=10'
    assert got['failover: keepalived stopped on dr1, VIP answers (s)'] == 3.1
    assert got['failover: failed requests meanwhile'] == '2 of 14'
    assert got['failback: expected, VIP back and answering (s)'] == 4.2
    assert got['failback: VIP on dr1 again, seen there (s)'] == 2.5
    assert got['real server: nginx stopped on rs1, removed (s)'] == 5.0
    assert got['real server: failed requests until removed'] == '1 of 12'
    assert got['real server: rs1 back in rotation (s)'] == 6.5


def test_verify_numbers_without_failback():
    v = json.loads(json.dumps(VERIFY))
    c = v['clusters'][0]
    c['ha']['failback_expected'] = False
    c['ha']['holders_after_failback'] = ['dr2']
    del c['realserver']
    got = dict(lab_report.verify_numbers(v))
    assert got['failback: not expected, VIP back and answering (s)'] == 'stayed on dr2'
    assert not [k for k in got if k.startswith('real server')]


def test_report_text_and_json(tmp_path):
    r = lab_report.Report('backend keepalived, mitogen_linear', str(tmp_path))
    r.stage('boot', 95)
    r.stage('converge', 120)
    r.add_verify(VERIFY)
    r.note('power cut: dr1 killed, VIP answers from dr2 (s)', 4.5)
    assert r.passed
    r.stage('scale-out', 60, 'FAILED')
    r.fail('stage scale-out: requests failed')
    assert not r.passed
    r.write()
    text = (tmp_path / 'report.txt').read_text()
    assert 'lvs.cluster lab: backend keepalived, mitogen_linear' in text
    assert 'converge                          120  ok' in text
    assert 'scale-out                          60  FAILED' in text
    assert '[FAIL] ha - failover: slow' in text and '[PASS] balance - rr: rs1=10 rs2=10' in text
    assert 'result: FAILED' in text
    d = json.loads((tmp_path / 'report.json').read_text())
    assert d['result'] == 'FAILED'
    assert [s['stage'] for s in d['stages']] == ['boot', 'converge', 'scale-out']
    assert {'what': 'power cut: dr1 killed, VIP answers from dr2 (s)', 'value': 4.5} in d['numbers']
    assert d['failed'] == ['stage scale-out: requests failed']
