# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The secrets in the directors' configuration files (issue 15).

* No template task of a role keeps a backup copy of a file that holds a secret (keepalived.conf's auth_pass,
  heartbeat's authkeys), and director_keepalived removes the copies its earlier revisions kept: its backups.yml is run
  for real on this machine against a directory of leftovers.
* A failing `keepalived -t` prints no line carrying auth_pass: the role's real checker (files/lvs-keepalived-validate)
  runs the real keepalived on keepalived.conf files rendered by the role's template from the model and then broken, in
  a network namespace of the test's own (an eth0 with dr1's 203.0.113.0/24 address). keepalived's own
  output is checked to carry the password first, so each case shows what the checker withholds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import shutil
import stat
import subprocess
import sys

import pytest
import yaml

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model, keepalived
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import SECRET_KEYS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
ROLES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'roles', '*')) if os.path.isdir(os.path.join(p, 'tasks')))
KA_ROLE = os.path.join(ROOT, 'roles', 'director_keepalived')
VALIDATOR = os.path.join(KA_ROLE, 'files', 'lvs-keepalived-validate')
KEEPALIVED = shutil.which('keepalived') or '/usr/sbin/keepalived'
PASSWORD = 'Pw0rd#1x'
# what keepalived could print of it: the whole value, and the part before "#" (keepalived's comment sign), which is all
# it reads of the value where it is not quoted
FRAGMENTS = (PASSWORD, 'Pw0rd')


def load(*parts):
    with open(os.path.join(ROOT, *parts)) as src:
        return yaml.safe_load(src)


def tasks_of(role):
    """Every task of a role's tasks/*.yml (blocks flattened), with the file it is in."""
    out = []

    def walk(items, where):
        for task in items or []:
            out.append((where, task))
            for key in ('block', 'rescue', 'always'):
                walk(task.get(key), where)
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', role, 'tasks', '*.yml'))):
        walk(load(path), os.path.relpath(path, ROOT))
    return out


def module_args(task, *names):
    for name in names:
        if name in task:
            return task[name] or {}
    return None


# --- backups ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('role', ROLES)
def test_no_backup_of_a_file_that_holds_a_secret(role):
    """A template task with backup: true renders no secret; a template that renders one is written without backup."""
    problems = []
    for where, task in tasks_of(role):
        args = module_args(task, 'ansible.builtin.template', 'template')
        if args is None or '{{' in str(args.get('src')):
            continue
        with open(os.path.join(ROOT, 'roles', role, 'templates', args['src'])) as src:
            text = src.read()
        secrets = [k for k in SECRET_KEYS if k in text]
        if secrets and args.get('backup'):
            problems.append('%s: %r keeps a backup of %s, which holds %s' % (where, task.get('name'), args['src'], secrets))
    assert not problems, '\n'.join(problems)


def test_the_secret_files_of_the_backends_are_found_by_the_check_above():
    """The check above would see both files: each is a template task of its role and prints a secret key."""
    found = {}
    for role in ('director_keepalived', 'director_heartbeat_ldirectord'):
        for where, task in tasks_of(role):
            args = module_args(task, 'ansible.builtin.template') or {}
            if args.get('src') in ('keepalived.conf.j2', 'authkeys.j2'):
                found[args['src']] = (args, task)
    assert set(found) == {'keepalived.conf.j2', 'authkeys.j2'}
    ka_args, ka_task = found['keepalived.conf.j2']
    assert 'backup' not in ka_args and ka_args['validate'] == '{{ director_keepalived_validate }}'
    hb_args, hb_task = found['authkeys.j2']
    assert 'backup' not in hb_args and hb_args['mode'] == '0600' and hb_task.get('no_log') is True


def test_keepalived_validates_with_the_role_checker():
    defaults = load('roles', 'director_keepalived', 'defaults', 'main.yml')
    assert defaults['director_keepalived_validate'] == '{{ director_keepalived_validator }} %s'
    tasks = [task for where, task in tasks_of('director_keepalived') if where.endswith('main.yml')]
    names = [t.get('name') for t in tasks]
    install = next(t for t in tasks if (module_args(t, 'ansible.builtin.copy') or {}).get('src') == 'lvs-keepalived-validate')
    assert install['ansible.builtin.copy']['dest'] == '{{ director_keepalived_validator }}'
    assert install['ansible.builtin.copy']['mode'] == '0755'
    write = next(t for t in tasks if (module_args(t, 'ansible.builtin.template') or {}).get('src') == 'keepalived.conf.j2')
    prune = next(t for t in tasks if t.get('ansible.builtin.import_tasks') == 'backups.yml')
    assert names.index(install['name']) < names.index(write['name']) < names.index(prune['name'])
    assert os.stat(VALIDATOR).st_mode & stat.S_IXUSR, 'files/lvs-keepalived-validate must be executable in the tree too'


def _prune_play(tmp_path, config_file, check=False):
    play = tmp_path / 'prune.yml'
    play.write_text(yaml.safe_dump([{
        'name': 'Remove the keepalived.conf backups', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'Run the role\'s backups.yml', 'ansible.builtin.include_role': {
            'name': 'lvs.cluster.director_keepalived', 'tasks_from': 'backups.yml'}}],
    }]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    bindir = os.path.dirname(sys.executable)
    env['PATH'] = bindir + os.pathsep + env.get('PATH', '')
    cmd = [os.path.join(bindir, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(play),
           '-e', 'director_keepalived_config_file=%s' % config_file, '-e', 'ansible_python_interpreter=%s' % sys.executable]
    if check:
        cmd.append('--check')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    recap = [line for line in proc.stdout.splitlines() if line.startswith('localhost')][-1]
    return int(recap.split('changed=')[1].split()[0])


def test_the_role_removes_the_backups_its_earlier_revisions_kept(tmp_path):
    """backups.yml, run for real: every copy of Ansible's backup shape goes, whatever its mode; nothing else does."""
    conf_dir = tmp_path / 'etc-keepalived'
    conf_dir.mkdir()
    config = conf_dir / 'keepalived.conf'
    config.write_text('auth_pass "%s"\n' % PASSWORD)
    os.chmod(str(config), 0o640)
    leftovers = ['keepalived.conf.1234.2026-11-02@10:15:01~', 'keepalived.conf.98765.2026-12-06@23:59:59~']
    kept = ['keepalived.conf.dpkg-old', 'keepalived.conf~', 'keepalived.conf.1234.notes', 'other.conf.1234.2026-11-02@10:15:01~',
            'keepalived.conf.1234.2026-11-02@10:15:01~.txt']
    for name, mode in zip(leftovers, (0o644, 0o640)):
        (conf_dir / name).write_text('auth_pass "%s"\n' % PASSWORD)
        os.chmod(str(conf_dir / name), mode)
    for name in kept:
        (conf_dir / name).write_text('x\n')
    assert _prune_play(tmp_path, str(config), check=True) == 1  # check mode: reported, nothing removed
    assert all((conf_dir / name).exists() for name in leftovers)
    assert _prune_play(tmp_path, str(config)) == 1
    assert sorted(os.listdir(str(conf_dir))) == sorted(kept + ['keepalived.conf'])
    assert _prune_play(tmp_path, str(config)) == 0  # idempotent


# --- a failing keepalived -t --------------------------------------------------------------------------------------------

def render(**role_vars):
    """keepalived.conf of dr1 (two directors, PASS authentication with PASSWORD) through the role's real template."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    cluster = {'lvs_backend': 'keepalived', 'lvs_cluster_name': 'web', 'lvs_interface': 'eth0',
               'lvs_realserver_group': 'web_realservers', 'lvs_keepalived': {'vrid': 51, 'auth_pass': PASSWORD},
               'lvs_virtual_services': [{'name': 'www', 'vip': '203.0.113.100', 'port': 80, 'protocol': 'tcp',
                                         'scheduler': 'rr', 'forwarding': 'dr', 'health_check': {'type': 'tcp'}}]}
    hv = {'dr1': dict(cluster, ansible_host='203.0.113.11'), 'dr2': dict(cluster, ansible_host='203.0.113.12'),
          'rs1': {'ansible_host': '203.0.113.21'}}
    model = Model(hv, {'all': list(hv), 'lvs_directors': ['dr1', 'dr2'], 'web_directors': ['dr1', 'dr2'],
                       'lvs_realservers': ['rs1'], 'web_realservers': ['rs1']})
    assert model.errors == [], [str(e) for e in model.errors]
    cluster, me = model.director_view('dr1')
    variables = load('roles', 'director_keepalived', 'defaults', 'main.yml')
    variables.update(ansible_managed='Ansible managed', __director_keepalived_model={
        'cluster': cluster, 'me': me, 'view': keepalived.view(cluster, me)}, **role_vars)
    with open(os.path.join(KA_ROLE, 'templates', 'keepalived.conf.j2')) as src:
        text = src.read()
    return Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template(text), escape_backslashes=False, overrides=dict(trim_blocks=True, lstrip_blocks=False))


def in_own_netns(*argv):
    """argv in a new network namespace holding an eth0 (a veth pair) with dr1's address (keepalived -t looks them up)."""
    script = ('ip link add name eth0 type veth peer name eth0p && ip link set dev eth0p up && ip link set dev eth0 up'
              ' && ip addr add 203.0.113.11/24 dev eth0 && exec "$@"')
    proc = subprocess.run(['unshare', '--net', 'sh', '-c', script, 'sh'] + list(argv), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope='module')
def judge():
    if os.geteuid() != 0:
        pytest.skip('needs root (network and PID namespaces)')
    if not os.access(KEEPALIVED, os.X_OK) or not shutil.which('unshare') or not shutil.which('ip'):
        pytest.skip('needs keepalived, unshare and ip')
    return KEEPALIVED


def broken(case):
    """The rendered file, broken the way ``case`` says; every broken file also has an unknown keyword of no secret."""
    text = render(director_keepalived_global_defs_extra=[PASSWORD] if case == 'password in global_defs_extra' else [])
    quoted = 'auth_pass "%s"' % PASSWORD
    assert quoted in text
    text = text.replace('    state ', '    bogus_keyword 1\n    state ', 1)
    if case == 'unterminated quote':
        return text.replace(quoted, 'auth_pass "%s' % PASSWORD)
    if case == 'password pasted as a keyword':
        return text + '\n%s\n' % PASSWORD
    if case == 'longer password, also named as a track script':
        longer = PASSWORD + 'LONGER'
        return text.replace(quoted, 'auth_pass "%s"' % longer).replace('    virtual_ipaddress {', '    track_script {\n        %s\n    }\n'
                                                                       '    virtual_ipaddress {' % longer, 1)
    if case == 'password in global_defs_extra':
        return text
    raise ValueError(case)


CASES = ['unterminated quote', 'password pasted as a keyword', 'longer password, also named as a track script',
         'password in global_defs_extra']


@pytest.mark.parametrize('case', CASES)
def test_a_failing_check_prints_no_line_carrying_auth_pass(judge, tmp_path, case):
    conf = tmp_path / 'keepalived.conf'
    conf.write_text(broken(case))
    rc, out, err = in_own_netns(judge, '-t', '-l', '-G', '-f', str(conf))
    raw = out + err
    assert rc != 0 and any(f in raw for f in FRAGMENTS), \
        'keepalived itself should fail and print the password or a part of it here:\n%s' % raw
    rc_checked, out, err = in_own_netns(VALIDATOR, str(conf))
    shown = out + err
    assert rc_checked == rc, 'the checker must exit with keepalived\'s status'
    own = [line for line in err.splitlines() if line.startswith('lvs-keepalived-validate: ')]
    assert len(own) == 1 and 'line(s) of keepalived output withheld' in own[0], shown
    findings = '\n'.join(line for line in shown.splitlines() if line not in own)
    leaked = [f for f in FRAGMENTS + ('LONGER', 'auth_pass') if f in findings]
    assert not leaked, 'the checker printed %s:\n%s' % (leaked, shown)
    assert "Unknown keyword 'bogus_keyword'" in err, 'the findings without a secret must still be shown:\n%s' % shown
    assert out == ''


def test_the_checker_accepts_a_good_file_and_says_nothing(judge, tmp_path):
    conf = tmp_path / 'keepalived.conf'
    conf.write_text(render())
    assert in_own_netns(VALIDATOR, str(conf)) == (0, '', '')


def test_the_checker_refuses_a_bad_call(tmp_path):
    def run(*argv, **env):
        return subprocess.run([VALIDATOR] + list(argv), env=dict(os.environ, **env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False).returncode
    conf = tmp_path / 'keepalived.conf'
    conf.write_text('global_defs {\n}\n')
    assert run() == 64 and run(str(tmp_path / 'missing.conf')) == 64 and run(str(conf), str(conf)) == 64
    assert run(str(conf), KEEPALIVED=str(tmp_path / 'no-keepalived')) == 69
    assert run(str(conf), UNSHARE='no-such-unshare-here') == 69
