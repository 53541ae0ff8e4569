# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge of verify_cluster.yml (plugins/module_utils/_verify_judge.py): the inputs have the shape of what
lvs.cluster.client_probe returns (learn / wait) and what the playbook notes about the holders."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.filter.verify import FilterModule
from ansible_collections.lvs.cluster.plugins.module_utils._verify_judge import verify_checks

RS = [{'host': 'rs1', 'address': '198.51.100.21', 'port': 80, 'weight': 1},
      {'host': 'rs2', 'address': '198.51.100.22', 'port': 80, 'weight': 1}]
LEARN = {'mode': 'learn', 'requests': 20, 'failed': 0, 'by_server': {'rs1': 10, 'rs2': 10}, 'errors': [],
         'markers': {'rs1': 'This is real server1', 'rs2': 'This is real server2'}, 'identical': [], 'direct_errors': {},
         'sequence': ['rs1', 'rs2'] * 10, 'vip_mac': None}


def wait(met=True, seconds=1.5, failed=0, requests=4):
    return {'mode': 'wait', 'met': met, 'seconds': seconds, 'first_request': 0.1, 'failed': failed, 'requests': requests,
            'errors': [], 'by_server': {}}


HA = {'director_stopped': 'dr1', 'daemon': 'keepalived', 'client_on_segment': True, 'failover': wait(),
      'holders_after_failover': ['dr2'], 'failback_expected': True, 'failback': wait(seconds=2.1),
      'vip_back_on_director_seconds': 1.9, 'holders_after_failback': ['dr1']}


def ctx(**changes):
    base = {'vs': {'name': 'www', 'vip': '198.51.100.100', 'port': 80, 'scheduler': 'rr', 'persistence_timeout': 0,
                   'real_servers': copy.deepcopy(RS)},
            'active_rs': copy.deepcopy(RS), 'learn': copy.deepcopy(LEARN), 'tests': ['ha', 'balance', 'realserver'],
            'ran_ha': True, 'ran_rs': True, 'ha': copy.deepcopy(HA),
            'rs': {'host': 'rs1', 'service': 'nginx', 'removal': wait(seconds=6.2, failed=1), 'return': wait(seconds=7.0)},
            'holders_before': ['dr1'], 'directors': ['dr1', 'dr2'], 'all_directors_here': True,
            'failover_max': 30, 'failback_max': 60, 'failback_extra': 0, 'removal_max': 30, 'return_max': 30}
    base.update(changes)
    return base


def failed(checks):
    return [c['name'] for c in checks if not c['ok']]


def by_prefix(checks, prefix):
    return [c for c in checks if c['name'].startswith(prefix)]


def test_a_healthy_cluster_passes_every_check():
    checks = verify_checks(ctx())
    assert failed(checks) == []
    assert [c['name'] for c in checks] == [
        'VIP 198.51.100.100 is held by exactly one director', 'every real server page is known and distinct',
        'balance - all 20 requests answered by a known real server', 'balance - spread as scheduler rr says',
        'balance - real servers of weight 0 get nothing',
        'ha - failover ran (2+ directors, all in the play, one holder to start from)',
        'ha - VIP answers again after keepalived stopped on dr1, within 30 s',
        'ha - exactly one other director holds the VIP after the failover',
        'ha - VIP back on dr1 and answering within 60.0 s of the restart',
        'realserver - test ran (2+ real servers with weight > 0, pages known and distinct)',
        'realserver - rs1 out of rotation within 30 s of stopping nginx',
        'realserver - rs1 back in rotation within 30 s of starting nginx']
    assert checks[6]['msg'] == '1.5 s (first request 0.1 s after the stop; 0 of 4 requests failed [])'


@pytest.mark.parametrize('sched, counts, persistence, ok', [
    ('rr', {'rs1': 10, 'rs2': 10}, 0, True),
    ('rr', {'rs1': 11, 'rs2': 9}, 0, False),
    ('sh', {'rs1': 20}, 0, True),
    ('sh', {'rs1': 19, 'rs2': 1}, 0, False),
    ('rr', {'rs2': 20}, 300, True),  # persistence: one real server per client
    ('wlc', {'rs1': 20}, 0, False),  # lc/wlc: every real server gets requests
    ('wlc', {'rs1': 12, 'rs2': 8}, 0, True),
    ('sed', {'rs1': 20}, 0, True),  # no fixed shape
])
def test_spread_follows_the_scheduler(sched, counts, persistence, ok):
    c = ctx(learn=dict(LEARN, by_server=counts), tests=['balance'], ran_ha=False, ran_rs=False)
    c['vs'].update(scheduler=sched, persistence_timeout=persistence)
    spread = by_prefix(verify_checks(c), 'balance - spread')
    assert len(spread) == 1 and spread[0]['ok'] is ok, spread
    assert spread[0]['name'].endswith('%s%s says' % (sched, ' with persistence' if persistence else ''))


def test_wrr_follows_the_weights():
    rs = [dict(RS[0], weight=3), dict(RS[1], weight=1)]
    good = ctx(active_rs=rs, learn=dict(LEARN, by_server={'rs1': 15, 'rs2': 5}))
    good['vs'].update(scheduler='wrr', real_servers=rs)
    assert by_prefix(verify_checks(good), 'balance - spread')[0]['ok']
    bad = ctx(active_rs=rs, learn=dict(LEARN, by_server={'rs1': 10, 'rs2': 10}))
    bad['vs'].update(scheduler='wrr', real_servers=rs)
    check = by_prefix(verify_checks(bad), 'balance - spread')[0]
    assert not check['ok'] and check['msg'].startswith('wrr: counts must follow the weights {"rs1": 3, "rs2": 1} (off: ["rs1", "rs2"])')


def test_weight_zero_and_unknown_answers_fail():
    c = ctx(learn=dict(LEARN, by_server={'rs1': 9, 'rs2': 9, 'unknown': 2}))
    c['vs']['real_servers'].append({'host': 'rs3', 'address': '198.51.100.23', 'port': 80, 'weight': 0})
    c['learn']['by_server']['rs3'] = 1
    wanted = {'balance - all 20 requests answered by a known real server', 'balance - real servers of weight 0 get nothing'}
    assert set(failed(verify_checks(c))) >= wanted


def test_pages_identical_or_unreachable():
    c = ctx(learn=dict(LEARN, identical=[['rs1', 'rs2']], markers={'rs1': 'welcome', 'rs2': 'welcome'}))
    check = verify_checks(c)[1]
    assert not check['ok'] and check['msg'].startswith('identical pages: [["rs1", "rs2"]]; pages: ')
    c = ctx(learn=dict(LEARN, markers={'rs1': 'This is real server1'}, direct_errors={'rs2': 'ConnectionRefusedError: refused'}))
    check = verify_checks(c)[1]
    assert not check['ok'] and 'not reachable directly: {"rs2": "ConnectionRefusedError: refused"} (set verify_realserver_markers)' in check['msg']


def test_failover_not_met_or_too_slow_fails_without_an_error():
    c = ctx(ha=dict(HA, failover=wait(met=False, seconds=None)))
    assert 'ha - VIP answers again after keepalived stopped on dr1, within 30 s' in failed(verify_checks(c))
    c = ctx(ha=dict(HA, failover=wait(seconds=31.0)), failover_max=30)
    assert 'ha - VIP answers again after keepalived stopped on dr1, within 30 s' in failed(verify_checks(c))


def test_failback_bound_adds_the_preempt_delay():
    c = ctx(ha=dict(HA, failback=wait(seconds=64.0)), failback_extra=5)
    assert failed(verify_checks(c)) == []
    assert by_prefix(verify_checks(c), 'ha - VIP back on')[0]['name'] == 'ha - VIP back on dr1 and answering within 65.0 s of the restart'
    c = ctx(ha=dict(HA, holders_after_failback=['dr1', 'dr2']))
    assert failed(verify_checks(c)) == ['ha - VIP back on dr1 and answering within 60.0 s of the restart']


def test_no_failback_configured_but_the_vip_came_back():
    c = ctx(ha=dict(HA, failback_expected=False, failback=wait(met=True, seconds=10.0)))
    assert failed(verify_checks(c)) == ['ha - VIP stays where it is (no failback configured) while dr1 rejoins']
    c = ctx(ha=dict(HA, failback_expected=False, holders_after_failback=['dr2']))
    assert failed(verify_checks(c)) == []


def test_tests_that_could_not_run_are_failures_and_skipped_ones_are_absent():
    c = ctx(ha=None, rs=None, holders_before=[])
    assert failed(verify_checks(c)) == [
        'VIP 198.51.100.100 is held by exactly one director',
        'ha - failover ran (2+ directors, all in the play, one holder to start from)',
        'realserver - test ran (2+ real servers with weight > 0, pages known and distinct)']
    assert verify_checks(c)[0]['msg'] == 'held by no director'
    c = ctx(ran_ha=False, ran_rs=False, tests=['balance'])
    assert not [n for n in (x['name'] for x in verify_checks(c)) if n.startswith(('ha', 'realserver'))]


def test_realserver_removal_too_slow():
    c = ctx(rs={'host': 'rs1', 'service': 'nginx', 'removal': wait(seconds=31.0), 'return': wait(met=False, seconds=None)})
    assert failed(verify_checks(c)) == ['realserver - rs1 out of rotation within 30 s of stopping nginx',
                                        'realserver - rs1 back in rotation within 30 s of starting nginx']


def test_filter_refuses_incomplete_measurements():
    bad = ctx()
    del bad['learn']['by_server']
    with pytest.raises(AnsibleFilterError, match='lvs.cluster.verify_checks: incomplete measurements'):
        FilterModule().filters()['verify_checks'](bad)
