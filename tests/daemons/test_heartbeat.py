# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""heartbeat + ldirectord judge the files of generated valid models: ldirectord parses ldirectord.cf without a word
on stderr and reads every check string as the model meant it (ldcheck.py); heartbeat's reading rules (hbcheck.py)
find nothing in ha.cf, authkeys and haresources; every haresources resource, run as ResourceManager runs it
(`script args status`), answers "stopped" cleanly; the real heartbeat starts on every director's files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from matrix import model_dir, models, need, need_root, valid_inventory

import hbcheck
import judges
import ldcheck
import render

pytestmark = pytest.mark.daemons

SEEDS = models('LVS_DAEMONS_HEARTBEAT', 20)
# The resource scripts the role installs in /etc/ha.d/resource.d (heartbeat finds them there first).
ROLE_SCRIPTS = ('lvs-ldirectord', 'lvs-vip')


def _nodes(hacf):
    out = []
    for line in hacf.splitlines():
        words = line.split('#', 1)[0].split()
        if words[:1] == ['node']:
            out.extend(w for word in words[1:] for w in word.split(',') if w)
    return out


@pytest.mark.parametrize('seed', SEEDS)
def test_ldirectord_parses_every_director_file(seed):
    need_root()
    need(judges.have(judges.LDIRECTORD), 'ldirectord is not installed (%s)' % judges.LDIRECTORD)
    inv, where, model_path = valid_inventory('heartbeat_ldirectord', seed)
    files = render.render_all('heartbeat_ldirectord', inv, model_dir('heartbeat_ldirectord', seed))
    failures = []
    model = inv.model()
    for host in inv.directors:
        conf = files[host]['ldirectord.cf']
        log_dir = ((render.action_result(model, host).get('view') or {}).get('ldirectord') or {}).get('log_dir')
        clean, rc, out, err = judges.ldirectord_judge(conf, [log_dir] if log_dir else [])
        with open(os.path.join(os.path.dirname(conf), 'ldirectord-status.out'), 'w') as dst:
            dst.write('exit %d\nstdout:\n%s\nstderr:\n%s\n' % (rc, out, err))
        if not clean:
            failures.append('%s: ldirectord %s status: exit %d (3 = parsed), stderr:\n%s\n    file: %s'
                            % (host, conf, rc, '\n'.join('    | ' + line for line in err.splitlines()), conf))
        # what ldirectord makes of the check strings (read_config, check_simpletcp/check_http, Perl's /$receive/)
        with open(conf) as src:
            meaning = ldcheck.check(src.read(), render.action_result(model, host)['cluster']['virtual_services'])
        if meaning:
            failures.append('%s: ldirectord reads the checks differently from the model:\n%s\n    file: %s'
                            % (host, '\n'.join('    - ' + p for p in meaning), conf))
    if failures:
        pytest.fail('seed %s: ldirectord disagrees with the model\nmodel: %s\n%s' % (seed, model_path, '\n'.join(failures)),
                    pytrace=False)


@pytest.mark.parametrize('seed', SEEDS)
def test_heartbeat_reads_every_director_file(seed):
    need_root()
    inv, where, model_path = valid_inventory('heartbeat_ldirectord', seed)
    files = render.render_all('heartbeat_ldirectord', inv, model_dir('heartbeat_ldirectord', seed))
    failures = []
    texts = {}
    for host in inv.directors:
        text = dict((name, open(path).read()) for name, path in files[host].items())
        texts[host] = text
        problems = ['ha.cf: ' + p for p in hbcheck.check_hacf(text['ha.cf'])]
        problems += ['authkeys: ' + p for p in hbcheck.check_authkeys(text['authkeys'])]
        res_problems, groups = hbcheck.check_haresources(text['haresources'], _nodes(text['ha.cf']), ROLE_SCRIPTS)
        problems += ['haresources: ' + p for p in res_problems]
        for _node, resources, _lineno in groups:
            for res in resources:
                script, _sep, args = res.partition('::')
                if script not in ROLE_SCRIPTS:
                    continue
                path = files[host]['resource.d/' + script]
                rc, out, err = judges.resource_status(path, args.split('::') if args else [])
                if rc != 3 or err.strip() or hbcheck.status_says_running(out):
                    problems.append('haresources: %s status (as ResourceManager runs it) exit %d (3 = stopped), stdout %r, '
                                    'stderr %r%s' % (res, rc, out.strip(), err.strip(),
                                                     '; ResourceManager reads this output as "running"'
                                                     if hbcheck.status_says_running(out) else ''))
        if problems:
            failures.append('%s (%s):\n%s' % (host, os.path.dirname(files[host]['ha.cf']),
                                              '\n'.join('    - ' + p for p in problems)))
    # heartbeat v1: haresources must be identical on every node, ha.cf and authkeys too (one file serves all nodes)
    first = inv.directors[0]
    for host in inv.directors[1:]:
        for name in ('ha.cf', 'haresources', 'authkeys'):
            if texts[host][name] != texts[first][name]:
                failures.append('%s differs between %s and %s (heartbeat v1 needs the same file on every node)'
                                % (name, first, host))
    if failures:
        pytest.fail('seed %s: heartbeat\'s reading rules disagree with the model\nmodel: %s\n%s'
                    % (seed, model_path, '\n'.join(failures)), pytrace=False)


@pytest.mark.parametrize('seed', SEEDS)
def test_heartbeat_starts_on_every_director(seed):
    """The real heartbeat (`heartbeat -r`, in namespaces named like the director) starts on the rendered files with
    no ERROR and no WARN line beyond the host-related ones (judges.HEARTBEAT_KNOWN)."""
    need_root()
    need(judges.have(judges.HEARTBEAT), 'heartbeat is not installed (%s)' % judges.HEARTBEAT)
    inv, where, model_path = valid_inventory('heartbeat_ldirectord', seed)
    model = inv.model()
    failures = []
    for host in inv.directors:
        result = render.action_result(model, host)
        files = dict((name, render.render('heartbeat_ldirectord', template, inv, host, result))
                     for template, name in render.FILES['heartbeat_ldirectord'].items()
                     if name in ('ha.cf', 'haresources', 'authkeys'))
        rc, output = judges.heartbeat_starts(files, result['me']['node_name'], result['me']['address'],
                                             result['cluster']['interface'])
        hdir = os.path.join(model_dir('heartbeat_ldirectord', seed), host)
        os.makedirs(hdir, exist_ok=True)
        with open(os.path.join(hdir, 'heartbeat-r.out'), 'w') as dst:
            dst.write('exit %d\n%s\n' % (rc, output))
        findings = judges.heartbeat_findings(output)
        if rc != 0 or findings:
            failures.append('%s (node %s): heartbeat -r exit %d:\n%s\n    output: %s' % (
                host, result['me']['node_name'], rc, '\n'.join('    | ' + line for line in findings[:12]),
                os.path.join(hdir, 'heartbeat-r.out')))
    if failures:
        pytest.fail('seed %s: heartbeat disagrees with the model\nmodel: %s\n%s' % (seed, model_path, '\n'.join(failures)),
                    pytrace=False)
