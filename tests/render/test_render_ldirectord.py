# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render matrix of roles/director_heartbeat_ldirectord.

1. ldirectord/render.yml runs the role's own check tasks (tasks/check.yml: the real lvs.cluster.cluster_model plugin,
   then the backend check) on every director of ldirectord/inventory.yml and renders the role's real templates (ha.cf,
   haresources, authkeys, ldirectord.cf, the resource scripts), which print the model's view.
2. Every ldirectord.cf goes through the role's shipped checker (files/lvs-ldirectord-validate: ``ldirectord FILE
   status``, exit 3 = parsed, with nothing on stderr): the positive clusters pass, neg-parse fails, broken copies of
   good files fail, and so does a file that parses with a warning. Every receive= pattern is run through Perl against
   the literal text the model was given.
3. Every ha.cf/haresources/authkeys set is started by the real heartbeat (``heartbeat -r``, tests/daemons/judges.py)
   inside throw-away namespaces: valid sets start, broken ones do not.
4. Expected lines per variant, identical files on all directors of a cluster, the refusal messages (model, role), and
   the resource scripts run for real in throw-away namespaces.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from lvs_helpers import REPO, need, need_root, playbook

sys.path.insert(0, os.path.join(REPO, 'tests', 'daemons'))
import judges  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.join(REPO, 'tests', 'render', 'ldirectord')
ROLE = os.path.join(REPO, 'roles', 'director_heartbeat_ldirectord')
VALIDATOR = os.path.join(ROLE, 'files', 'lvs-ldirectord-validate')
SECRET = 'render-secret-Zq8xK2mP'

# Lines (regular expressions, whole line) that must appear in a file of the first director of a cluster.
EXPECT = {
    'http-dr-a': {
        'ldirectord.cf': [r'virtual=203\.0\.113\.100:80', r'    real=203\.0\.113\.21:80 gate 1', r'    real=203\.0\.113\.22:80 gate 5',
                          r'    scheduler=rr', r'    protocol=tcp', r'    checktype=negotiate', r'    service=http',
                          r'    request="/health"', r'    receive="real\\ server"', r'    virtualhost="www\.example\.com"',
                          r'    checktimeout=2', r'checkinterval=4', r'quiescent=no', r'autoreload=no', r'failurecount=1',
                          r'logfile="local0"'],
        'haresources': [r'http-dr-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.100/32/eth0'],
        'ha.cf': [r'udpport 694', r'ucast eth0 198\.51\.100\.11', r'ucast eth0 198\.51\.100\.12', r'node http-dr-a',
                  r'node http-dr-b', r'auto_failback off', r'crm off', r'keepalive 2', r'warntime 6', r'deadtime 10',
                  r'initdead 30', r'logfacility daemon'],
        'authkeys': [r'auth 1', r'1 sha1 ' + SECRET],
    },
    'https-nat-a': {
        'ldirectord.cf': [r'    real=203\.0\.113\.21:8443 masq 1', r'    real=203\.0\.113\.22:8443 masq 3',
                          r'    fallback=10\.0\.0\.50:8080 masq', r'    service=https', r'    scheduler=wlc'],
        'haresources': [r'https-nat-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.101/32/eth0 lvs-vip::10\.0\.0\.1/24/eth1'],
    },
    'tcp-tun-a': {
        'timeouts.conf': [r'\[Service\]', r'ExecStartPre=-/usr/sbin/ipvsadm --set 900 0 60'],
        'ldirectord.cf': [r'    real=203\.0\.113\.21:8000 ipip 1', r'    persistent=300', r'    netmask=255\.255\.255\.0',
                          r'    scheduler=sh', r'    checktype=connect', r'    checkport=8081', r'    checktimeout=5'],
    },
    'fwmark-a': {
        'ldirectord.cf': [r'virtual=10', r'    real=203\.0\.113\.21 gate 1', r'    protocol=fwm', r'    checkport=80',
                          r'    fallback=127\.0\.0\.1 gate', r'    persistent=600', r'    scheduler=wrr'],
        'haresources': [r'fwmark-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.103/32/eth0'],
    },
    'dns-udp-a': {
        'ldirectord.cf': [r'    protocol=udp', r'    service=dns', r'    request="www\.example\.com"',
                          r'    receive="203\\\.0\\\.113\\\.1"',
                          # PTR: ldirectord's resolver asks a PTR query when it is given the address
                          r'    request="203\.0\.113\.1"', r'    receive="www\\\.example\\\.com"'],
        'haresources': [r'dns-udp-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.104/32/eth0'],
    },
    'misc-a': {
        'ldirectord.cf': [r'    checktype=external', r'    checkcommand="/usr/local/bin/check-db"', r'    checktimeout=4',
                          r'    service=smtp', r'    checktype=ping', r'    checktype=on', r'    scheduler=mh',
                          r'    scheduler=nq', r'    scheduler=sed'],
        'haresources': [r'misc-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.105/32/eth0 lvs-vip::203\.0\.113\.106/32/eth0 '
                        r'lvs-vip::203\.0\.113\.107/32/eth0'],
    },
    'simpletcp-a': {
        'ldirectord.cf': [r'    service=simpletcp', r'    request="/PING\\n"', r'    receive="\\\+PONG"', r'    request="/"',
                          r'    receive="SSH\\-2\\\.0"', r'    request="/a%23b"',
                          r'    receive="ok\\ \\x231\\ \\\(v2\\\)\\ \\\$5\\ \\\[x\\\]\\\*"',
                          r'    request="/GET \{q: 1\}\\n"', r'    receive="\\\{\\x22ok\\x22:\\ true\\\}\\ \\x23\\ done"'],
    },
    'bcast-a': {
        'ha.cf': [r'udpport 695', r'bcast ens3', r'auto_failback off', r'ping 203\.0\.113\.1', r'ping 203\.0\.113\.2',
                  r'respawn hacluster /usr/libexec/heartbeat/ipfail', r'apiauth ipfail gid=haclient uid=hacluster'],
        'haresources': [r'bcast-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.110/32/ens3'],
    },
    'mcast-a': {
        'ha.cf': [r'mcast eth0 239\.1\.2\.3 694 1 0', r'node mcast-a', r'node mcast-b', r'node mcast-c', r'keepalive 1',
                  r'deadtime 5'],
        'ldirectord.cf': [r'checktimeout=7', r'negotiatetimeout=7', r'checkinterval=9', r'failurecount=3', r'autoreload=yes',
                          r'quiescent=yes', r'logfile="local3"', r'emailalert="ops@example\.com"',
                          r'emailalertfrom=lvs@example\.com', r'smtp=203\.0\.113\.25'],
        'haresources': [r'mcast-a lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.111/32/eth0 lvs-vip::203\.0\.113\.112/24/eth0'],
    },
    'sched-a': {
        'ldirectord.cf': [r'    scheduler=%s' % s for s in
                          ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')],
        'haresources': [r'director-two lvs-ldirectord::ldirectord\.cf lvs-vip::203\.0\.113\.120/32/eth0'],
        'ha.cf': [r'node director-one', r'node director-two'],
    },
}
# Lines that must not appear.
ABSENT = {
    'http-dr-a': {'ha.cf': [r'ping .*', r'respawn .*', r'bcast .*', r'mcast .*'], 'ldirectord.cf': [r'emailalert=.*', r'checkport=.*']},
    'https-nat-a': {'ldirectord.cf': [r'    receive=.*'], 'timeouts.conf': [r'.*']},
    'misc-a': {'haresources': [r'.*203\.0\.113\.105/32/eth0.*203\.0\.113\.105/32/eth0.*']},
}
# Clusters refused before anything is rendered, by the controller-side model (cluster_model, the same checks as
# validate_inventory: each message names the variable) or by the role's own check (tasks/check.yml).
REFUSED = {
    'neg-digest-a': ('cluster_model', ['health_check.digest']),
    'neg-status-a': ('cluster_model', ['health_check.status_code', '301']),
    'neg-ipv6-a': ('cluster_model', ['lvs_virtual_services[0].vip', 'IPv6']),
    'neg-deadtime-a': ('cluster_model', ['lvs_heartbeat.deadtime']),
    'neg-sync-a': ('cluster_model', ['lvs_sync_daemon', 'health_check.dns_type', 'MX']),
    'neg-email-a': ('cluster_model', ['lvs_notification_email', 'Net::SMTP as one address']),
    'neg-grammar-a': ('cluster_model', ['lvs_heartbeat.mcast_group', "'239.0.0.300'", 'lvs_heartbeat.logfacility',
                                        'lvs_heartbeat.authkey', 'lvs_ldirectord.logfile', 'hostvars[neg-grammar-a].lvs_node_name',
                                        'lvs_virtual_services[0].health_check.misc_path', 'has arguments',
                                        'lvs_virtual_services[1].health_check.dns_name', 'PTR',
                                        'lvs_virtual_services[2].health_check.send']),
    'neg-backend-a': ('role', ['lvs_backend is keepalived']),
}
# The secret of neg-grammar-a, which no message may show.
HIDDEN = 'two words'
# receive= patterns: (host, service name, the literal text the model was given). Perl must find the text with the
# pattern as ldirectord reads it from the file.
RECEIVE = [
    ('http-dr-a', 'www', 'real server'),
    ('dns-udp-a', 'dns', '203.0.113.1'),
    ('dns-udp-a', 'dns-tcp', 'www.example.com'),
    ('simpletcp-a', 'redis', '+PONG'),
    ('simpletcp-a', 'banner', 'SSH-2.0'),
    ('simpletcp-a', 'odd', 'ok #1 (v2) $5 [x]*'),
    ('simpletcp-a', 'quoted', '{"ok": true} # done'),
]
# ldirectord must reject these.
PARSE_FAIL = {'neg-parse-a'}
# Broken copies of good files: (base host, description, old, new); ldirectord must reject each.
MUTATIONS = [
    ('http-dr-a', 'unknown forwarding method', ' gate 1', ' direct 1'),
    ('http-dr-a', 'upper-case scheduler', 'scheduler=rr', 'scheduler=RR'),
    ('http-dr-a', 'unquoted request', 'request="/health"', 'request=/health'),
    ('http-dr-a', 'fwm protocol on an address service', 'protocol=tcp', 'protocol=fwm'),
    ('http-dr-a', 'real server outside its virtual', '    real=203.0.113.21:80', 'real=203.0.113.21:80'),
    ('fwmark-a', 'tcp protocol on a firewall-mark service', 'protocol=fwm', 'protocol=tcp'),
    ('mcast-a', 'bad quiescent value', 'quiescent=yes', 'quiescent=maybe'),
    ('dns-udp-a', 'unknown service', 'service=dns', 'service=gopher'),
]
# Broken heartbeat sets: (base host, file, old, new); heartbeat must refuse to start.
HB_MUTATIONS = [
    ('http-dr-a', 'ha.cf', 'deadtime 10', 'deadtime 4'),
    ('http-dr-a', 'ha.cf', 'node http-dr-a\n', ''),
    ('http-dr-a', 'authkeys', '1 sha1', '1 sha9'),
    ('http-dr-a', 'ha.cf', 'udpport 694', 'udpport seventy'),
]
CONFIG_FILES = ('ha.cf', 'haresources', 'authkeys', 'ldirectord.cf')

with open(os.path.join(HERE, 'inventory.yml')) as _src:
    _GROUPS = yaml.safe_load(_src)['all']['children']['lvs_directors']['children']
CLUSTERS = dict((name, sorted(group['hosts'])) for name, group in _GROUPS.items())
DIRECTORS = sorted(h for hosts in CLUSTERS.values() for h in hosts)
RENDERED = [h for h in DIRECTORS if h not in REFUSED]
FIRST_OF_CLUSTERS = sorted(hosts[0] for hosts in CLUSTERS.values() if hosts[0] not in REFUSED and hosts[0] not in PARSE_FAIL)


@pytest.fixture(scope='module')
def render_run(tmp_path_factory):
    """render.yml over the whole inventory: (run, {host: files}, {host: refusal})."""
    out = tmp_path_factory.mktemp('ldirectord-render')
    run = playbook('-i', os.path.join(HERE, 'inventory.yml'), os.path.join(HERE, 'render.yml'), '-e', 'out_dir=%s' % out)
    assert run.rc == 0, 'render.yml:\n%s' % run.tail()
    rendered, refused = {}, {}
    for name in sorted(os.listdir(str(out))):
        if name.endswith('.json'):
            with open(str(out / name)) as src:
                data = json.load(src)
            (refused if data.get('refused_by') else rendered)[name[:-len('.json')]] = data
    return run, rendered, refused


@pytest.fixture(scope='module')
def rendered(render_run):
    return render_run[1]


@pytest.fixture
def checker(tmp_path):
    """The role's ldirectord.cf checker on a text: (exit code, stderr)."""
    need(os.path.exists(judges.LDIRECTORD), 'ldirectord is not installed (%s)' % judges.LDIRECTORD)

    def check(text, name='candidate.cf'):
        path = tmp_path / name
        path.write_text(text)
        proc = subprocess.run([VALIDATOR, str(path)], capture_output=True, text=True, timeout=120, check=False)
        return proc.returncode, proc.stderr.strip()
    return check


def test_secret_not_in_the_render_output(render_run):
    assert SECRET not in render_run[0].output


def test_refused_clusters(render_run):
    assert sorted(render_run[2]) == sorted(REFUSED)
    assert sorted(render_run[1]) == RENDERED


@pytest.mark.parametrize('host', sorted(REFUSED))
def test_refusal_names_the_variable(render_run, host):
    by, expected = REFUSED[host]
    refusal = render_run[2].get(host, {})
    text = '\n'.join(refusal.get('problems', []))
    assert refusal.get('refused_by') == by, refusal
    assert [e for e in expected if e not in text] == [], text
    assert HIDDEN not in text, 'a message shows the heartbeat secret'


@pytest.mark.parametrize('cluster', sorted(c for c, hosts in CLUSTERS.items() if len(hosts) > 1 and hosts[0] not in REFUSED))
def test_files_identical_within_a_cluster(rendered, cluster):
    hosts = CLUSTERS[cluster]
    for name in CONFIG_FILES:
        assert len(set(rendered[h][name] for h in hosts)) == 1, '%s differs between %s' % (name, ', '.join(hosts))


@pytest.mark.parametrize('host', RENDERED)
def test_file_shapes(rendered, host):
    files = rendered[host]
    for name in CONFIG_FILES:
        assert files[name].startswith('#\n# Ansible managed'), '%s does not start with the ansible_managed comment' % name
    body = [line for line in files['authkeys'].splitlines() if line and not line.startswith('#')]
    assert len(body) == 2 and body[0] == 'auth 1' and re.match(r'^1 sha1 \S+$', body[1]), body
    resources = [line for line in files['haresources'].splitlines() if line and not line.startswith('#')]
    assert len(resources) == 1, resources


@pytest.mark.parametrize('host', RENDERED)
def test_ldirectord_parses_the_rendered_file(rendered, checker, host):
    files = rendered[host]
    if host in PARSE_FAIL:
        rc, err = checker(files['ldirectord.cf'])
        assert rc != 0, 'ldirectord accepted a file with a bad directive'
        return
    log_dir = files['log_dir']
    if log_dir:
        # ldirectord's parse opens the log file: the file is refused until the role has created its directory
        assert log_dir.startswith('/tmp/lvs-render-'), 'unexpected log directory %r' % log_dir
        shutil.rmtree(log_dir, ignore_errors=True)
        try:
            rc, err = checker(files['ldirectord.cf'])
            assert rc != 0, 'ldirectord parsed a file whose log directory %s is missing' % log_dir
            os.makedirs(log_dir, mode=0o755)
            rc, err = checker(files['ldirectord.cf'])
        finally:
            shutil.rmtree(log_dir, ignore_errors=True)
    else:
        rc, err = checker(files['ldirectord.cf'])
    assert rc == 0, 'ldirectord rejected the rendered file (exit %d): %s' % (rc, err)


@pytest.mark.parametrize('host, what, old, new', MUTATIONS, ids=[m[1] for m in MUTATIONS])
def test_ldirectord_rejects_a_broken_copy(rendered, checker, host, what, old, new):
    text = rendered[host]['ldirectord.cf']
    assert old in text
    rc, err = checker(text.replace(old, new, 1))
    assert rc != 0, 'ldirectord accepted it'


def test_parse_warning_refused(rendered, checker):
    """A file ldirectord parses with a warning (a deprecated directive) is refused too: exit 4."""
    rc, err = checker(rendered['http-dr-a']['ldirectord.cf'].replace('failurecount=1', 'checkcount=1', 1))
    assert rc == 4 and 'Warning' in err, 'checker exit %d (expected 4), stderr %r' % (rc, err)


def test_checker_keeps_the_live_pid_file(rendered, tmp_path):
    """ldirectord finds instances through /var/run/ldirectord.<basename>.pid and deletes that file on a configuration
    error: a broken candidate called ldirectord.cf (the live name) is checked while such a pid file exists (in a private
    /run): it must survive."""
    need_root()
    live = tmp_path / 'ldirectord.cf'
    live.write_text(rendered['http-dr-a']['ldirectord.cf'].replace(' gate 1', ' direct 1', 1))
    script = ('mount -t tmpfs tmpfs /run; echo 1 > /run/ldirectord.ldirectord.cf.pid; "$1" "$2" 2>/dev/null; rc=$?; '
              'test -f /run/ldirectord.ldirectord.cf.pid && exit $rc; exit 99')
    proc = subprocess.run(['unshare', '--mount', 'sh', '-c', script, 'sh', VALIDATOR, str(live)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode != 99, 'the checker deleted the pid file of the live ldirectord.cf instance'
    assert proc.returncode != 0, 'the checker accepted a broken file named ldirectord.cf'


@pytest.mark.parametrize('host, name, text', RECEIVE, ids=['%s-%s' % r[:2] for r in RECEIVE])
def test_receive_pattern_finds_its_text_in_perl(rendered, tmp_path, host, name, text):
    """Each receive= line, read the way ldirectord reads it (the rest of the line after "#" dropped, the value between
    the first and the last double quote), is a Perl regular expression that matches exactly the literal text of the
    model (so every character the text carries is literal to Perl, quotes, braces and "#" included)."""
    script = ('my ($file, $name, $text) = @ARGV; open(my $fh, "<", $file) or die; my ($in, $re);'
              'while (<$fh>) { $in = ($1 eq $name) if /^# (\\S+)$/; next unless $in; next if /^\\s*#/; s/#.*//;'
              ' $re = $1 if /^ {4,}receive\\s*=\\s*"(.*)"/; }'
              'defined $re or die "no receive for $name\\n"; exit($text =~ /^(?:$re)\\z/ ? 0 : 1);')
    path = tmp_path / 'receive.cf'
    path.write_text(rendered[host]['ldirectord.cf'])
    proc = subprocess.run(['perl', '-e', script, str(path), name, text], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, 'the receive pattern does not find %r in Perl (%s)' % (text, proc.stderr.strip())


@pytest.mark.parametrize('host, name', [(h, n) for h, files in sorted(EXPECT.items()) for n in sorted(files)])
def test_expected_lines(rendered, host, name):
    lines = rendered[host][name].splitlines()
    assert [p for p in EXPECT[host][name] if not any(re.fullmatch(p, line) for line in lines)] == []


@pytest.mark.parametrize('host, name', [(h, n) for h, files in sorted(ABSENT.items()) for n in sorted(files)])
def test_absent_lines(rendered, host, name):
    lines = rendered[host][name].splitlines()
    assert [p for p in ABSENT[host][name] if any(re.fullmatch(p, line) for line in lines)] == []


@pytest.mark.parametrize('host', FIRST_OF_CLUSTERS)
def test_heartbeat_starts(rendered, host):
    need_root()
    need(os.path.exists(judges.HEARTBEAT), 'heartbeat is not installed (%s)' % judges.HEARTBEAT)
    files = rendered[host]
    rc, output = judges.heartbeat_starts(files, files['node_name'], files['address'], files['interface'], timeout=20)
    assert rc == 0, 'heartbeat refused the rendered ha.cf/haresources/authkeys (exit %d):\n%s' % (rc, output[-2000:])


@pytest.mark.parametrize('host, name, old, new', HB_MUTATIONS, ids=['%s %r' % (m[1], m[2]) for m in HB_MUTATIONS])
def test_heartbeat_refuses_a_broken_set(rendered, host, name, old, new):
    need_root()
    need(os.path.exists(judges.HEARTBEAT), 'heartbeat is not installed (%s)' % judges.HEARTBEAT)
    files = dict(rendered[host])
    assert old in files[name]
    files[name] = files[name].replace(old, new, 1)
    rc, output = judges.heartbeat_starts(files, files['node_name'], files['address'], files['interface'], timeout=20)
    assert rc != 0, 'heartbeat started with %s changed %r -> %r' % (name, old, new)


@pytest.fixture(scope='module')
def scripts(rendered, tmp_path_factory):
    """The role's heartbeat resource scripts as rendered for http-dr-a: {name: path}."""
    out = tmp_path_factory.mktemp('resource.d')
    paths = {}
    for name in ('lvs-vip', 'lvs-ldirectord'):
        paths[name] = str(out / name)
        with open(paths[name], 'w') as dst:
            dst.write(rendered['http-dr-a'][name])
        os.chmod(paths[name], 0o755)
    return paths


@pytest.mark.parametrize('name', ['lvs-vip', 'lvs-ldirectord'])
def test_resource_script_header_and_shellcheck(rendered, scripts, name):
    assert rendered['http-dr-a'][name].startswith('#!/bin/sh\n#\n# Ansible managed')
    need(shutil.which('shellcheck'), 'shellcheck is not installed')
    proc = subprocess.run(['shellcheck', '-s', 'sh', scripts[name]], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def in_namespaces(flags, script, program):
    """Run ``sh -c SCRIPT PROGRAM`` in new namespaces (unshare FLAGS): the last line of its output."""
    need_root()
    proc = subprocess.run(['timeout', '30', 'unshare'] + flags + ['sh', '-c', script, program], capture_output=True, text=True,
                          check=False)
    lines = proc.stdout.strip().splitlines()
    return (lines[-1].strip() if lines else ''), proc.stderr.strip()[-300:]


# lvs-vip on a veth interface in a throw-away network namespace: (step, expected exit code or count)
LVS_VIP_STEPS = [
    ('status of a VIP not held', 'r="$r $(st "$0" 203.0.113.100/32/dum0)"', '3'),
    ('start', '"$0" 203.0.113.100/32/dum0 start; r="$r $?"', '0'),
    ('start again (idempotent)', '"$0" 203.0.113.100/32/dum0 start; r="$r $?"', '0'),
    ('the VIP added once', 'r="$r $(ip -o -4 addr show dev dum0 | grep -c " inet 203.0.113.100/32 ")"', '1'),
    ('status of a held VIP', 'r="$r $(st "$0" 203.0.113.100/32/dum0)"', '0'),
    ('start a /24', '"$0" 198.51.100.7/24/dum0 start; r="$r $?"', '0'),
    ('a /24 gets its broadcast', 'r="$r $(ip -o -4 addr show dev dum0 | grep -c " inet 198.51.100.7/24 brd 198.51.100.255 ")"', '1'),
    ('stop', '"$0" 203.0.113.100/32/dum0 stop; r="$r $?"', '0'),
    ('stop again (idempotent)', '"$0" 203.0.113.100/32/dum0 stop; r="$r $?"', '0'),
    ('status after stop', 'r="$r $(st "$0" 203.0.113.100/32/dum0)"', '3'),
    ('the other VIP stays', 'r="$r $(st "$0" 198.51.100.7/24/dum0)"', '0'),
    ('malformed argument', '"$0" 203.0.113.100/dum0 status >/dev/null 2>&1; r="$r $?"', '2'),
    ('no action', '"$0" 203.0.113.100/32/dum0 >/dev/null 2>&1; r="$r $?"', '2'),
    ('unknown action', '"$0" 203.0.113.100/32/dum0 restart >/dev/null 2>&1; r="$r $?"', '2'),
    ('prefix above 32', '"$0" 203.0.113.100/33/dum0 status >/dev/null 2>&1; r="$r $?"', '2'),
    ('not IPv4', '"$0" 2001:db8::1/128/dum0 status >/dev/null 2>&1; r="$r $?"', '2'),
    ('not an interface name', '"$0" "203.0.113.100/32/dum0;reboot" status >/dev/null 2>&1; r="$r $?"', '2'),
    ('four fields', '"$0" 203.0.113.100/32/dum0/x status >/dev/null 2>&1; r="$r $?"', '2'),
    ('16 characters (IFNAMSIZ)', '"$0" 203.0.113.100/32/dum0123456789abc status >/dev/null 2>&1; r="$r $?"', '2'),
]


def test_lvs_vip_in_a_namespace(scripts):
    script = ('set -u; ip link set lo up; ip link add dum0 type veth peer name dum1; ip link set dum1 up; ip link set dum0 up; '
              'r=""; st() { "$1" "$2" status >/dev/null 2>&1; echo "$?"; }; '
              + '; '.join(step[1] for step in LVS_VIP_STEPS) + '; echo "$r"')
    got, err = in_namespaces(['--net'], script, scripts['lvs-vip'])
    want = ' '.join(step[2] for step in LVS_VIP_STEPS)
    wrong = [step[0] for step, value in zip(LVS_VIP_STEPS, got.split()) if value != step[2]]
    assert got == want, 'lvs-vip: %r, expected %r; wrong: %s (%s)' % (got, want, ', '.join(wrong), err)


def test_lvs_vip_status_prints_fixed_words(scripts):
    """heartbeat's ResourceManager reads the status text, not the exit code (anything with "running" or "OK" is
    running): the scripts print fixed words, so an interface named Running1 cannot make a stopped VIP look held."""
    script = ('ip link add Running1 type veth peer name OK0; ip link set Running1 up; ip link set OK0 up; '
              'a=$("$0" 203.0.113.100/32/Running1 status); ra=$?; "$0" 203.0.113.100/32/Running1 start; '
              'b=$("$0" 203.0.113.100/32/Running1 status); rb=$?; c=$("$0" 203.0.113.100/32/OK0 status); rc=$?; '
              'echo "$a|$ra|$b|$rb|$c|$rc"')
    got, err = in_namespaces(['--net'], script, scripts['lvs-vip'])
    assert got == 'lvs-vip: stopped|3|lvs-vip: running|0|lvs-vip: stopped|3', err


def test_lvs_ldirectord_without_an_instance(scripts):
    """lvs-ldirectord needs IPVS to start (the lab runs it); here its status and stop without an instance, and its
    argument checks."""
    script = ('mount -t tmpfs tmpfs /run; r=""; '
              '[ "$("$0" ldirectord.cf 9 status)" = "lvs-ldirectord: stopped" ]; r="$r $?"; '  # 0: fixed words
              '"$0" ldirectord.cf 9 status >/dev/null; r="$r $?"; '          # 3: no instance
              '"$0" ldirectord.cf status >/dev/null; r="$r $?"; '            # 3: WAIT is optional
              'sleep 30 & echo $! > /run/ldirectord.ldirectord.cf.pid; '     # a live pid that is not ldirectord
              '"$0" ldirectord.cf 9 status >/dev/null; r="$r $?"; '          # 3: not taken for ldirectord
              '"$0" ldirectord.cf 9 stop; r="$r $?"; '                       # 0: nothing to stop, nothing killed
              '"$0" ldirectord.cf x status >/dev/null 2>&1; r="$r $?"; '     # 2: WAIT not a number
              '"$0" ldirectord.cf 9 reload >/dev/null 2>&1; r="$r $?"; '     # 2: unknown action
              'kill -0 $! 2>/dev/null; r="$r $?"; kill $! 2>/dev/null; '       # 0: the other process was left alone
              'echo "$r"')
    got, err = in_namespaces(['--mount'], script, scripts['lvs-ldirectord'])
    assert got == '0 3 3 3 0 2 2 0', err
