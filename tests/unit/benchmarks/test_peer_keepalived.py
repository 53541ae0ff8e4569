# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchmarks/peer_keepalived.py without the lab: arguments, both sides' generated files (the same job, checked through
our model), the run's bounds, the recap, the ratios and the printed table."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import importlib.util
import json
import os
import stat

import pytest
import yaml

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
_spec = importlib.util.spec_from_file_location('peer_keepalived_under_test', os.path.join(ROOT, 'benchmarks', 'peer_keepalived.py'))
pk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pk)

PASSWORD = pk.JOB['auth_pass']


@pytest.fixture
def peer_role(tmp_path):
    """A directory shaped like a checkout of the peer role (what --peer-role checks), with a role that does nothing."""
    role = tmp_path / 'ansible-keepalived'
    for rel, text in (('tasks/main.yml', '---\n- name: Nothing\n  ansible.builtin.debug:\n    msg: peer stand-in\n'),
                      ('defaults/main.yml', '---\n{}\n'), ('templates/keepalived.conf.j2', ''), ('templates/keepalived-checks.j2', '')):
        path = role / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(role)


# ---------------------------------------------------------------- arguments

def test_arguments_defaults(peer_role):
    args = pk.parse_args(['--peer-role', peer_role])
    assert (args.mitogen, args.side, args.timeout, args.dry_run, args.keep, args.peer_validate) == ('both', 'both', 900, False, False, False)
    assert args.out == os.path.join(ROOT, 'lab', 'run', 'peer-bench', 'result.json')
    assert args.peer_role == os.path.abspath(peer_role)


def test_arguments_choices(peer_role, tmp_path):
    args = pk.parse_args(['--peer-role', peer_role, '--mitogen', 'off', '--side', 'peer', '--timeout', '60', '--out',
                          str(tmp_path / 'r.json'), '--dry-run', '--peer-validate', '--keep'])
    assert (args.mitogen, args.side, args.timeout, args.dry_run, args.peer_validate, args.keep) == ('off', 'peer', 60, True, True, True)
    assert args.out == str(tmp_path / 'r.json')


@pytest.mark.parametrize('argv', [
    [],                                              # the peer role is the user's to fetch: no default
    ['--mitogen', 'maybe'],
    ['--side', 'theirs'],
    ['--timeout', '10'],                             # every run needs a real bound
    ['--timeout', 'soon'],
])
def test_arguments_refused(peer_role, argv, capsys):
    with pytest.raises(SystemExit) as e:
        pk.parse_args((['--peer-role', peer_role] if argv else []) + argv)
    assert e.value.code == 2


def test_a_path_that_is_not_the_peer_role_is_refused(tmp_path, capsys):
    (tmp_path / 'tasks').mkdir()
    (tmp_path / 'tasks' / 'main.yml').write_text('---\n[]\n')
    with pytest.raises(SystemExit):
        pk.parse_args(['--peer-role', str(tmp_path)])
    err = capsys.readouterr().err
    assert 'not a checkout of https://github.com/evrardjp/ansible-keepalived' in err
    assert 'templates/keepalived.conf.j2' in err and 'defaults/main.yml' in err


def test_plan_rounds():
    assert pk.plan('both', 'both') == [('mitogen', 'ours'), ('mitogen', 'peer'), ('ssh', 'ours'), ('ssh', 'peer')]
    assert pk.plan('peer', 'on') == [('mitogen', 'peer')]
    assert pk.plan('both', 'off') == [('ssh', 'ours'), ('ssh', 'peer')]


# ---------------------------------------------------------------- the generated files: one job on both sides

def our_model(files):
    """Our side's generated inventory as the model sees it (hostvars: group_vars + ansible_host)."""
    hosts = files['inventory/hosts.yml']['all']['children']
    directors = hosts['lvs_directors']['children']['web_directors']['hosts']
    realservers = hosts['lvs_realservers']['children']['web_realservers']['hosts']
    group_vars = files['inventory/group_vars/web_directors.yml']
    hostvars = {h: dict(group_vars, **v) for h, v in directors.items()}
    hostvars.update((h, dict(v)) for h, v in realservers.items())
    groups = {'all': list(directors) + list(realservers), 'lvs_directors': list(directors), 'web_directors': list(directors),
              'lvs_realservers': list(realservers), 'web_realservers': list(realservers)}
    model = Model(hostvars, groups)
    assert model.errors == [], '\n'.join(str(e) for e in model.errors)
    return model


def test_our_side_is_the_lab_cluster():
    """The job is the lab's own cluster (inventories/lab/group_vars/web_directors.yml) but for the password."""
    with open(os.path.join(ROOT, 'inventories', 'lab', 'group_vars', 'web_directors.yml')) as f:
        lab = yaml.safe_load(f)
    ours = pk.ours_files()['inventory/group_vars/web_directors.yml']
    assert ours['lvs_virtual_services'] == lab['lvs_virtual_services']
    assert {k: v for k, v in ours['lvs_keepalived'].items() if k != 'auth_pass'} == \
        {k: v for k, v in lab['lvs_keepalived'].items() if k != 'auth_pass'}
    for name in ('lvs_cluster_name', 'lvs_interface', 'lvs_realserver_group'):
        assert ours[name] == lab[name]
    assert ours['lvs_backend'] == 'keepalived'


def test_our_play():
    play = pk.ours_files()['play.yml']
    assert play == [{'name': 'Configure the directors with lvs.cluster.director_keepalived', 'hosts': 'lvs_directors',
                     'gather_facts': False, 'roles': [{'role': 'lvs.cluster.director_keepalived'}]}]


def test_peer_play_uses_the_given_checkout_and_minimal_facts():
    play = pk.peer_files('/src/ansible-keepalived')['play.yml'][0]
    assert play['roles'] == [{'role': '/src/ansible-keepalived'}]
    assert play['hosts'] == 'keepalived' and play['gather_facts'] is True and play['gather_subset'] == ['!all']


@pytest.mark.parametrize('host', ['dr1', 'dr2'])
def test_both_sides_configure_the_same_vrrp_instance(host):
    """What our model resolves for HOST is what the peer's variables say: state, priority, VRID, auth, unicast, VIP."""
    view = our_model(pk.ours_files()).backend_view(host)
    assert len(view['instances']) == 1
    ours = view['instances'][0]
    peer_files = pk.peer_files('/src/peer')
    instances = peer_files['inventory/host_vars/%s.yml' % host]['keepalived_instances']
    assert list(instances) == [ours['name']]
    peer = instances[ours['name']]
    assert (peer['state'], peer['priority']) == (ours['state'], ours['priority']) == \
        {'dr1': ('MASTER', 150), 'dr2': ('BACKUP', 100)}[host]
    assert (peer['interface'], peer['virtual_router_id'], peer['advert_int']) == (ours['interface'], ours['vrid'], ours['advert_int'])
    assert (peer['authentication_type'], peer['authentication_password']) == \
        (ours['authentication']['auth_type'], ours['authentication']['auth_pass'])
    assert (peer['unicast_src_ip'], peer['unicast_peers']) == (ours['unicast_src_ip'], ours['unicast_peers'])
    assert peer['vips'] == ['%(address)s/%(prefix)d dev %(dev)s' % v for v in ours['virtual_ipaddress']] == ['203.0.113.100/32 dev eth0']
    assert peer_files['inventory/host_vars/%s.yml' % host]['keepalived_global_defs'] == ['router_id %s' % view['global_defs']['router_id']]


def test_both_sides_configure_the_same_virtual_server():
    view = our_model(pk.ours_files()).backend_view('dr1')
    (vs,), (checker,) = view['virtual_servers'], view['checkers']
    (peer,) = pk.peer_files('/src/peer')['inventory/group_vars/keepalived.yml']['keepalived_virtual_servers']
    assert '%s %s' % (peer['ip'], peer['port']) == vs['address'] == '203.0.113.100 80'
    assert (peer['lvs_sched'], peer['lvs_method'], peer['protocol'], peer['delay_loop']) == \
        (vs['lvs_sched'], vs['lvs_method'], vs['protocol'], vs['delay_loop'])
    ours_reals = {endpoint: group['weight'] for group in vs['real_servers'] for endpoint in group['endpoints']}
    assert {'%s %s' % (r['ip'], r['port']): r['weight'] for r in peer['real_servers']} == ours_reals == \
        {'203.0.113.21 80': 1, '203.0.113.22 80': 1}
    assert checker['kind'] == 'HTTP_GET'
    for real in peer['real_servers']:
        (check,) = real['http_get']
        assert (check['url_path'], check['status_code'], check['connect_timeout'], check['nb_get_retry'], check['delay_before_retry']) == \
            (checker['path'], checker['status_code'], checker['connect_timeout'], checker['retry'], checker['delay_before_retry'])


def test_both_sides_install_the_same_packages():
    group_vars = pk.peer_files('/src/peer')['inventory/group_vars/keepalived.yml']
    with open(os.path.join(ROOT, 'roles', 'director_keepalived', 'vars', 'Debian.yml')) as f:
        ours = yaml.safe_load(f)
    assert ours['__director_keepalived_packages'] == pk.JOB['packages']  # (firewall packages only with lvs_firewall)
    assert ['keepalived'] + group_vars['keepalived_scripts_packages'] == pk.JOB['packages']
    assert group_vars['keepalived_use_latest_stable'] is False  # state present, as ours
    # no mirror in the lab: the image's apt lists must count as fresh for the peer's update_cache
    assert group_vars['cache_timeout'] >= 10 * 365 * 86400


def test_run_env():
    env = pk.run_env({'ANSIBLE_STRATEGY': 'mitogen_linear', 'ANSIBLE_DISPLAY_SKIPPED_HOSTS': 'true'}, '/tmp/cp')
    assert env == {'ANSIBLE_STRATEGY': 'mitogen_linear', 'ANSIBLE_SSH_CONTROL_PATH_DIR': '/tmp/cp', 'ANSIBLE_DISPLAY_SKIPPED_HOSTS': 'false'}


def test_peer_validation_is_off_unless_asked():
    assert pk.side_files('peer', '/src/peer')['extra_vars.yml'] == {'keepalived_config_testable': False}
    assert 'extra_vars.yml' not in pk.side_files('peer', '/src/peer', peer_validate=True)
    assert 'extra_vars.yml' not in pk.side_files('ours', '/src/peer')


def test_only_lab_addresses():
    text = json.dumps([pk.ours_files(), pk.peer_files('/src/peer')])
    for prefix in ('192.0.2.', '198.18.', '10.', '172.16.', '192.168.'):
        assert '"%s' % prefix not in text and ' %s' % prefix not in text
    assert '203.0.113.' in text


def test_the_password_is_masked_for_printing():
    shown = json.dumps([pk.masked(pk.ours_files()), pk.masked(pk.peer_files('/src/peer')), pk.masked(pk.JOB)])
    assert PASSWORD not in shown
    assert shown.count(pk.MASKED) == 1 + 2 + 1
    assert pk.masked({'a': [{'auth_pass': 'x', 'b': ('y',)}]}) == {'a': [{'auth_pass': pk.MASKED, 'b': ('y',)}]}


def test_written_files_and_the_command(tmp_path):
    base = pk.write_files(str(tmp_path / 'peer'), pk.side_files('peer', '/src/peer'))
    (tmp_path / 'peer' / 'stale.yml').write_text('old')
    base = pk.write_files(base, pk.side_files('peer', '/src/peer'))
    assert not (tmp_path / 'peer' / 'stale.yml').exists()  # emptied first
    for rel, data in pk.side_files('peer', '/src/peer').items():
        path = os.path.join(base, rel)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path) as f:
            assert yaml.safe_load(f) == data
    argv = pk.playbook_argv(base, '/lab/run/connection.yml')
    assert argv[0].endswith('/ansible-playbook')
    assert argv[1:] == ['-i', os.path.join(base, 'inventory'), '-e', '@/lab/run/connection.yml', '-e', '@' + os.path.join(base, 'extra_vars.yml'),
                        os.path.join(base, 'play.yml')]
    ours = pk.write_files(str(tmp_path / 'ours'), pk.side_files('ours', '/src/peer'))
    assert pk.playbook_argv(ours, None, syntax_check=True)[1:] == ['-i', os.path.join(ours, 'inventory'), '--syntax-check',
                                                                   os.path.join(ours, 'play.yml')]


# ---------------------------------------------------------------- runs: bound, recap, summary

def test_run_bounded_ends_a_run_at_its_timeout(tmp_path):
    log = str(tmp_path / 'run.log')
    rc, seconds, output = pk.run_bounded(['sh', '-c', 'echo started; sleep 30 & wait'], dict(os.environ), log, 1)
    assert rc == 'timeout' and 1 <= seconds < 15
    assert output.startswith('# sh -c') and 'started' in output
    rc, seconds, output = pk.run_bounded(['sh', '-c', 'echo done; exit 3'], dict(os.environ), log, 30)
    assert rc == 3 and 'done' in output


RECAP_TEXT = '''PLAY [x] ***
PLAY RECAP *********************************************************************
dr1                        : ok=9    changed=4    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
PLAY [again] ***
TASK [t] ***
PLAY RECAP *********************************************************************
dr1                        : ok=9    changed=0    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
dr2                        : ok=8    changed=1    unreachable=0    failed=1    skipped=3    rescued=0    ignored=1
'''


def test_parse_recap_reads_the_last_recap():
    recap = pk.parse_recap(RECAP_TEXT)
    assert recap == {'dr1': {'ok': 9, 'changed': 0, 'unreachable': 0, 'failed': 0, 'skipped': 2, 'rescued': 0, 'ignored': 0},
                     'dr2': {'ok': 8, 'changed': 1, 'unreachable': 0, 'failed': 1, 'skipped': 3, 'rescued': 0, 'ignored': 1}}
    assert pk.parse_recap('no recap here') == {}


def recap(changed=(0, 0), failed=(0, 0), unreachable=(0, 0)):
    return {h: {'ok': 5, 'changed': c, 'unreachable': u, 'failed': f, 'skipped': 0, 'rescued': 0, 'ignored': 0}
            for h, c, f, u in zip(pk.HOSTS, changed, failed, unreachable)}


def test_run_summary():
    good = pk.run_summary(0, 12.34, recap(changed=(3, 4)))
    assert (good['ok'], good['seconds'], good['changed'], good['problems']) == (True, 12.3, 7, [])
    assert pk.run_summary('timeout', 900.0, {})['problems'] == ['timed out', 'no recap for dr1 dr2']
    failed = pk.run_summary(2, 5.0, recap(failed=(0, 1)))
    assert not failed['ok'] and failed['problems'] == ['exit status 2', 'failed or unreachable: dr2']
    assert pk.run_summary(4, 5.0, recap(unreachable=(1, 0)))['problems'] == ['exit status 4', 'failed or unreachable: dr1']
    assert pk.run_summary(0, 5.0, {'dr1': recap()['dr1']})['problems'] == ['no recap for dr2']


# ---------------------------------------------------------------- ratios and the table

def round_(strategy, side, converge, noop, noop_changed=0, noop_rc=0):
    return {'strategy': strategy, 'side': side, 'boot_seconds': 40.0,
            'converge': pk.run_summary(0, converge, recap(changed=(9, 9))),
            'noop': pk.run_summary(noop_rc, noop, recap(changed=(noop_changed, 0)))}


def test_ratios_and_target():
    rounds = [round_('mitogen', 'ours', 60.0, 20.0), round_('mitogen', 'peer', 100.0, 40.0),
              round_('ssh', 'ours', 110.0, 45.0), round_('ssh', 'peer', 100.0, 50.0)]
    rat = pk.ratios(rounds)
    assert rat == {'mitogen': {'converge': 0.6, 'noop': 0.5}, 'ssh': {'converge': 1.1, 'noop': 0.9}}
    assert not pk.target_met(rat)
    assert pk.target_met({'mitogen': {'converge': 0.6, 'noop': 0.8}})  # at most 0.8
    assert (pk.verdict(0.8), pk.verdict(0.81), pk.verdict(None)) == ('met', 'NOT met', 'not measured')


def test_a_failed_or_missing_side_gives_no_ratio():
    failed_peer = round_('ssh', 'peer', 100.0, 50.0, noop_rc=2)
    rat = pk.ratios([round_('ssh', 'ours', 50.0, 20.0), failed_peer, round_('mitogen', 'ours', 50.0, 20.0)])
    assert rat == {'mitogen': {'converge': None, 'noop': None}, 'ssh': {'converge': 0.5, 'noop': None}}
    assert not pk.target_met(rat)
    assert not pk.target_met({})


def test_a_changed_noop_still_counts_but_is_shown():
    rounds = [round_('mitogen', 'ours', 60.0, 20.0, noop_changed=2), round_('mitogen', 'peer', 100.0, 40.0)]
    assert pk.ratios(rounds) == {'mitogen': {'converge': 0.6, 'noop': 0.5}}
    args = argparse.Namespace(peer_role='/src/peer', peer_validate=False)
    text = pk.table(pk.result_doc(args, rounds, None, 'start', 'end'))
    assert '2 (NOT idempotent)' in text


def test_table_and_result_document():
    rounds = [round_('mitogen', 'ours', 60.0, 20.0), round_('mitogen', 'peer', 100.0, 40.0),
              round_('ssh', 'ours', 110.0, 45.0), round_('ssh', 'peer', 100.0, 50.0)]
    rounds[3]['noop'] = pk.run_summary('timeout', 900.0, {})
    args = argparse.Namespace(peer_role='/src/peer', peer_validate=False)
    doc = pk.result_doc(args, rounds, 'c9b1c4a' + '0' * 33, '2026-12-07T07:00:00Z', '2026-12-07T07:20:00Z')
    json.dumps(doc)  # the JSON written to --out
    assert PASSWORD not in json.dumps(doc)
    assert doc['ratios'] == {'mitogen': {'converge': 0.6, 'noop': 0.5}, 'ssh': {'converge': 1.1, 'noop': None}}
    assert doc['target'] == 0.8 and doc['target_met'] is False
    assert doc['peer'] == {'path': '/src/peer', 'url': pk.PEER_URL, 'commit': 'c9b1c4a' + '0' * 33, 'validate': False}
    assert set(doc['versions']) == {'ansible-core', 'mitogen'}
    lines = pk.table(doc).splitlines()
    assert lines[0] == 'peer comparison: lvs.cluster.director_keepalived (ours) vs evrardjp/ansible-keepalived (peer c9b1c4a00000)'
    assert 'mitogen  ours  60.0 s                       20.0 s                       0' in lines
    assert 'ssh      peer  100.0 s                      900.0 s (timed out; no recap for dr1 dr2) 0' in lines
    assert 'mitogen  0.60 met           0.50 met' in lines
    assert 'ssh      1.10 NOT met       - not measured' in lines
    assert lines[-1] == 'target NOT met (or not measured everywhere)'


# ---------------------------------------------------------------- the dry run (no lab; ansible-playbook --syntax-check)

def test_dry_run_prints_writes_and_checks_without_the_password(peer_role, tmp_path, capsys):
    out = tmp_path / 'bench' / 'result.json'
    assert pk.main(['--peer-role', peer_role, '--dry-run', '--out', str(out), '--mitogen', 'off']) == 0
    text = capsys.readouterr().out
    assert PASSWORD not in text
    assert 'ours: syntax ok' in text and 'peer: syntax ok' in text
    assert text.count('ip netns exec ') == 2 and 'ANSIBLE_STRATEGY=mitogen_linear' not in text
    assert (tmp_path / 'bench' / 'generated' / 'ours' / 'play.yml').exists()
    assert (tmp_path / 'bench' / 'generated' / 'peer' / 'extra_vars.yml').exists()
    assert not out.exists()  # nothing ran
