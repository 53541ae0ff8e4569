#!/usr/bin/env python
"""Render matrix for roles/director_heartbeat_ldirectord.

1. render.yml runs the role's own check tasks (tasks/check.yml: the real lvs.cluster.cluster_model plugin, then the
   backend check) on every director of inventory.yml and renders the role's real templates (ha.cf, haresources,
   authkeys, ldirectord.cf, the resource scripts), which print the model's view.
2. Every ldirectord.cf goes through the role's shipped checker (files/lvs-ldirectord-validate, i.e.
   `ldirectord FILE status`, exit 3 = parsed, with nothing on stderr): the positive clusters must pass, neg_parse
   must fail, deliberately broken copies of good files must fail, and so must a file that parses with a warning.
   Every receive= pattern is run through Perl against the literal text the model was given.
3. Every ha.cf/haresources/authkeys set is started by the real heartbeat binary (`heartbeat -r`) inside throw-away
   mount/net/pid/uts namespaces (no process or packet leaves them): valid sets must start, broken ones must not.
4. Expected lines per variant, identical files on all directors of a cluster, the refusal messages (model, role).
Exits non-zero on the first summary with failures. Needs root (namespaces), ldirectord, heartbeat, the venv.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
ROLE = os.path.join(REPO, 'roles', 'director_heartbeat_ldirectord')
VALIDATOR = os.path.join(ROLE, 'files', 'lvs-ldirectord-validate')
PLAYBOOK = os.path.join(REPO, '.venv', 'bin', 'ansible-playbook')
HEARTBEAT = '/usr/libexec/heartbeat/heartbeat'
SECRET = 'render-secret-Zq8xK2mP'

# Lines (regular expressions, whole line) that must appear in a file of the first director of a cluster.
EXPECT = {
    'http-dr-a': {
        'ldirectord.cf': [r'virtual=192\.0\.2\.100:80', r'    real=192\.0\.2\.21:80 gate 1', r'    real=192\.0\.2\.22:80 gate 5',
                          r'    scheduler=rr', r'    protocol=tcp', r'    checktype=negotiate', r'    service=http',
                          r'    request="/health"', r'    receive="real\\ server"', r'    virtualhost="www\.example\.com"',
                          r'    checktimeout=2', r'checkinterval=4', r'quiescent=no', r'autoreload=no', r'failurecount=1',
                          r'logfile="local0"'],
        'haresources': [r'http-dr-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.100/32/eth0'],
        'ha.cf': [r'udpport 694', r'ucast eth0 198\.51\.100\.11', r'ucast eth0 198\.51\.100\.12', r'node http-dr-a',
                  r'node http-dr-b', r'auto_failback on', r'crm off', r'keepalive 2', r'warntime 6', r'deadtime 10',
                  r'initdead 30', r'logfacility daemon'],
        'authkeys': [r'auth 1', r'1 sha1 ' + SECRET],
    },
    'https-nat-a': {
        'ldirectord.cf': [r'    real=192\.0\.2\.21:8443 masq 1', r'    real=192\.0\.2\.22:8443 masq 3',
                          r'    fallback=10\.0\.0\.50:8080 masq', r'    service=https', r'    scheduler=wlc'],
        'haresources': [r'https-nat-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.101/32/eth0 lvs-vip::10\.0\.0\.1/24/eth1'],
    },
    'tcp-tun-a': {
        'timeouts.conf': [r'\[Service\]', r'ExecStartPre=-/usr/sbin/ipvsadm --set 900 0 60'],
        'ldirectord.cf': [r'    real=192\.0\.2\.21:8000 ipip 1', r'    persistent=300', r'    netmask=255\.255\.255\.0',
                          r'    scheduler=sh', r'    checktype=connect', r'    checkport=8081', r'    checktimeout=5'],
    },
    'fwmark-a': {
        'ldirectord.cf': [r'virtual=10', r'    real=192\.0\.2\.21 gate 1', r'    protocol=fwm', r'    checkport=80',
                          r'    fallback=127\.0\.0\.1 gate', r'    persistent=600', r'    scheduler=wrr'],
        'haresources': [r'fwmark-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.103/32/eth0'],
    },
    'dns-udp-a': {
        'ldirectord.cf': [r'    protocol=udp', r'    service=dns', r'    request="www\.example\.com"',
                          r'    receive="192\\\.0\\\.2\\\.1"',
                          # PTR: ldirectord's resolver asks a PTR query when it is given the address
                          r'    request="192\.0\.2\.1"', r'    receive="www\\\.example\\\.com"'],
        'haresources': [r'dns-udp-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.104/32/eth0'],
    },
    'misc-a': {
        'ldirectord.cf': [r'    checktype=external', r'    checkcommand="/usr/local/bin/check-db"', r'    checktimeout=4',
                          r'    service=smtp', r'    checktype=ping', r'    checktype=on', r'    scheduler=mh',
                          r'    scheduler=nq', r'    scheduler=sed'],
        'haresources': [r'misc-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.105/32/eth0 lvs-vip::192\.0\.2\.106/32/eth0 '
                        r'lvs-vip::192\.0\.2\.107/32/eth0'],
    },
    'simpletcp-a': {
        'ldirectord.cf': [r'    service=simpletcp', r'    request="/PING\\n"', r'    receive="\\\+PONG"', r'    request="/"',
                          r'    receive="SSH\\-2\\\.0"', r'    request="/a%23b"',
                          r'    receive="ok\\ \\x231\\ \\\(v2\\\)\\ \\\$5\\ \\\[x\\\]\\\*"',
                          r'    request="/GET \{q: 1\}\\n"', r'    receive="\\\{\\x22ok\\x22:\\ true\\\}\\ \\x23\\ done"'],
    },
    'bcast-a': {
        'ha.cf': [r'udpport 695', r'bcast ens3', r'auto_failback off', r'ping 192\.0\.2\.1', r'ping 192\.0\.2\.2',
                  r'respawn hacluster /usr/libexec/heartbeat/ipfail', r'apiauth ipfail gid=haclient uid=hacluster'],
        'haresources': [r'bcast-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.110/32/ens3'],
    },
    'mcast-a': {
        'ha.cf': [r'mcast eth0 239\.1\.2\.3 694 1 0', r'node mcast-a', r'node mcast-b', r'node mcast-c', r'keepalive 1',
                  r'deadtime 5'],
        'ldirectord.cf': [r'checktimeout=7', r'negotiatetimeout=7', r'checkinterval=9', r'failurecount=3', r'autoreload=yes',
                          r'quiescent=yes', r'logfile="local3"', r'emailalert="ops@example\.com"',
                          r'emailalertfrom=lvs@example\.com', r'smtp=192\.0\.2\.25'],
        'haresources': [r'mcast-a lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.111/32/eth0 lvs-vip::192\.0\.2\.112/24/eth0'],
    },
    'sched-a': {
        'ldirectord.cf': [r'    scheduler=%s' % s for s in
                          ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')],
        'haresources': [r'director-two lvs-ldirectord::ldirectord\.cf lvs-vip::192\.0\.2\.120/32/eth0'],
        'ha.cf': [r'node director-one', r'node director-two'],
    },
}
# Lines that must not appear.
ABSENT = {
    'http-dr-a': {'ha.cf': [r'ping .*', r'respawn .*', r'bcast .*', r'mcast .*'], 'ldirectord.cf': [r'emailalert=.*', r'checkport=.*']},
    'https-nat-a': {'ldirectord.cf': [r'    receive=.*'], 'timeouts.conf': [r'.*']},
    'misc-a': {'haresources': [r'.*192\.0\.2\.105/32/eth0.*192\.0\.2\.105/32/eth0.*']},
}
# These clusters must be refused before anything is rendered, by the controller-side model (cluster_model, the same
# checks as validate_inventory: each message names the variable) or by the role's own check (tasks/check.yml).
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
    ('dns-udp-a', 'dns', '192.0.2.1'),
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
    ('http-dr-a', 'real server outside its virtual', '    real=192.0.2.21:80', 'real=192.0.2.21:80'),
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

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL ' + msg)


def ok(msg):
    print('ok   ' + msg)


def validate(path):
    proc = subprocess.run([VALIDATOR, path], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stderr.strip()


def heartbeat_starts(files, node_name, address, interface, workdir):
    """Start the real heartbeat on the rendered files inside new namespaces; True when it starts."""
    hadir = os.path.join(workdir, 'ha.d')
    if os.path.exists(hadir):
        shutil.rmtree(hadir)
    shutil.copytree('/etc/ha.d', hadir, symlinks=True)
    for name in ('ha.cf', 'haresources', 'authkeys'):
        with open(os.path.join(hadir, name), 'w') as handle:
            handle.write(files[name])
    os.chmod(os.path.join(hadir, 'authkeys'), 0o600)
    script = (
        'set -e; mount --bind "$1" /etc/ha.d; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /var/lib/heartbeat; '
        'mkdir -p /run/heartbeat; hostname "$2"; ip link set lo up; '
        'ip link add "$4" type veth peer name hbpeer0; ip link set "$4" up; ip link set hbpeer0 up; '
        'ip addr add "$3/24" dev "$4"; set +e; "$5" -r >/dev/null 2>&1; rc=$?; exit $rc')
    proc = subprocess.run(['timeout', '20', 'unshare', '--mount', '--net', '--pid', '--uts', '--fork', '--mount-proc',
                           'sh', '-c', script, 'sh', hadir, node_name, address, interface, HEARTBEAT],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0, proc.returncode


def lines(text):
    return text.splitlines()


def spec_in_step():
    """defaults/main.yml and meta/argument_specs.yml name the same variables."""
    import yaml
    with open(os.path.join(ROLE, 'defaults', 'main.yml')) as handle:
        defaults = set(yaml.safe_load(handle))
    with open(os.path.join(ROLE, 'meta', 'argument_specs.yml')) as handle:
        options = set(yaml.safe_load(handle)['argument_specs']['main']['options'])
    if defaults != options:
        fail('defaults/main.yml and argument_specs differ: only in defaults %s, only in specs %s'
             % (sorted(defaults - options), sorted(options - defaults)))
    else:
        ok('argument_specs names the %d variables of defaults/main.yml' % len(defaults))


def main():
    spec_in_step()
    out = tempfile.mkdtemp(prefix='ldirectord-render.')
    try:
        return run(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run(out):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK='default',
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([PLAYBOOK, '-i', os.path.join(HERE, 'inventory.yml'), os.path.join(HERE, 'render.yml'),
                           '-e', 'out_dir=' + out], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-2000:])
        fail('render.yml exited %d' % proc.returncode)
        return 1
    if SECRET in proc.stdout or SECRET in proc.stderr:
        fail('the heartbeat secret appears in the render run output')
    rendered, refused = {}, {}
    for name in sorted(os.listdir(out)):
        if name.endswith('.json'):
            with open(os.path.join(out, name)) as handle:
                data = json.load(handle)
            (refused if data.get('refused_by') else rendered)[name[:-5]] = data
    ok('rendered %d directors' % len(rendered))
    if set(refused) != set(REFUSED):
        fail('refused %s, expected %s' % (sorted(refused), sorted(REFUSED)))
    for host, (by, expected) in sorted(REFUSED.items()):
        text = '\n'.join(refused.get(host, {}).get('problems', []))
        missing = [e for e in expected if e not in text]
        if refused.get(host, {}).get('refused_by') != by or missing:
            fail('%s: %s should refuse it naming %s, got %r' % (host, by, missing, refused.get(host)))
        elif HIDDEN in text:
            fail('%s: a message shows the heartbeat secret' % host)
        else:
            ok('%s refused by %s: %s' % (host, by, ' | '.join(p.strip() for p in refused[host]['problems'][-2:])))

    # Files are identical on every director of a cluster.
    clusters = {}
    for host, files in rendered.items():
        clusters.setdefault(files['cluster'], []).append(host)
    for cluster, hosts in sorted(clusters.items()):
        for name in ('ha.cf', 'haresources', 'authkeys', 'ldirectord.cf'):
            if len({rendered[h][name] for h in hosts}) != 1:
                fail('%s: %s differs between %s' % (cluster, name, ', '.join(hosts)))
    ok('files identical within each of %d clusters' % len(clusters))

    # Every file starts with the ansible_managed comment; authkeys has exactly the two lines heartbeat wants.
    for host, files in sorted(rendered.items()):
        for name in ('ha.cf', 'haresources', 'authkeys', 'ldirectord.cf'):
            if not files[name].startswith('#\n# Ansible managed'):
                fail('%s %s does not start with the ansible_managed comment' % (host, name))
        body = [l for l in lines(files['authkeys']) if l and not l.startswith('#')]
        if len(body) != 2 or body[0] != 'auth 1' or not re.match(r'^1 sha1 \S+$', body[1]):
            fail('%s authkeys body is %r' % (host, body))
        # haresources: exactly one resource line
        res = [l for l in lines(files['haresources']) if l and not l.startswith('#')]
        if len(res) != 1:
            fail('%s haresources has %d resource lines' % (host, len(res)))

    # ldirectord's own parser on every rendered ldirectord.cf.
    passed = 0
    for host, files in sorted(rendered.items()):
        path = os.path.join(out, host + '.ldirectord.cf')
        with open(path, 'w') as handle:
            handle.write(files['ldirectord.cf'])
        if files['log_dir']:
            rc, err = log_dir_needed(host, files, path)
        else:
            rc, err = validate(path)
        if host in PARSE_FAIL:
            if rc == 0:
                fail('%s: ldirectord accepted a file with a bad directive' % host)
            else:
                ok('%s rejected by ldirectord (exit %d): %s' % (host, rc, err.splitlines()[0] if err else ''))
        elif rc != 0:
            fail('%s: ldirectord rejected the rendered file (exit %d): %s' % (host, rc, err))
        else:
            passed += 1
    ok('ldirectord parsed %d rendered files' % passed)

    for host, what, old, new in MUTATIONS:
        text = rendered[host]['ldirectord.cf']
        if old not in text:
            fail('mutation %r: %r not found in %s' % (what, old, host))
            continue
        path = os.path.join(out, 'mutated.cf')
        with open(path, 'w') as handle:
            handle.write(text.replace(old, new, 1))
        rc, err = validate(path)
        if rc == 0:
            fail('mutation %r on %s: ldirectord accepted it' % (what, host))
        else:
            ok('mutation %r rejected (exit %d)' % (what, rc))

    # A file ldirectord parses with a warning (a deprecated directive) must be refused too: exit 4.
    path = os.path.join(out, 'warning.cf')
    with open(path, 'w') as handle:
        handle.write(rendered['http-dr-a']['ldirectord.cf'].replace('failurecount=1', 'checkcount=1', 1))
    rc, err = validate(path)
    if rc != 4 or 'Warning' not in err:
        fail('a file with a parse warning: checker exit %d (expected 4), stderr %r' % (rc, err))
    else:
        ok('a file with a parse warning refused (exit 4): %s' % err.splitlines()[0])

    receive_patterns(rendered, out)

    # The checker must not touch a running instance: ldirectord finds instances through
    # /var/run/ldirectord.<basename>.pid and deletes that file on a configuration error. A broken candidate called
    # ldirectord.cf (the live name) is checked while such a pid file exists (in a private /run): it must survive.
    live = os.path.join(out, 'live')
    os.makedirs(live)
    with open(os.path.join(live, 'ldirectord.cf'), 'w') as handle:
        handle.write(rendered['http-dr-a']['ldirectord.cf'].replace(' gate 1', ' direct 1', 1))
    script = ('mount -t tmpfs tmpfs /run; echo 1 > /run/ldirectord.ldirectord.cf.pid; "$1" "$2" 2>/dev/null; rc=$?; '
              'test -f /run/ldirectord.ldirectord.cf.pid && exit $rc; exit 99')
    proc = subprocess.run(['unshare', '--mount', 'sh', '-c', script, 'sh', VALIDATOR, os.path.join(live, 'ldirectord.cf')],
                          capture_output=True, text=True, check=False)
    if proc.returncode == 99:
        fail('the checker deleted the pid file of the live ldirectord.cf instance')
    elif proc.returncode == 0:
        fail('the checker accepted a broken file named ldirectord.cf')
    else:
        ok('broken ldirectord.cf rejected (exit %d), live instance pid file untouched' % proc.returncode)

    # Expected and absent lines.
    for table, want in ((EXPECT, True), (ABSENT, False)):
        for host, per_file in sorted(table.items()):
            for name, patterns in per_file.items():
                have = lines(rendered[host][name])
                for pattern in patterns:
                    found = any(re.fullmatch(pattern, l) for l in have)
                    if found != want:
                        fail('%s %s: line %s %s' % (host, name, pattern, 'missing' if want else 'present'))
    ok('expected lines checked for %d variants' % len(EXPECT))

    # heartbeat itself on the first director of each positive cluster, and on broken sets.
    work = os.path.join(out, 'hb')
    os.makedirs(work)
    started = 0
    for cluster, hosts in sorted(clusters.items()):
        host = sorted(hosts)[0]
        if host in PARSE_FAIL:
            continue
        files = rendered[host]
        good, rc = heartbeat_starts(files, files['node_name'], files['address'], files['interface'], work)
        if not good:
            fail('%s: heartbeat refused the rendered ha.cf/haresources/authkeys (exit %d)' % (host, rc))
        else:
            started += 1
    ok('heartbeat started on %d rendered sets' % started)
    for host, name, old, new in HB_MUTATIONS:
        files = dict(rendered[host])
        if old not in files[name]:
            fail('heartbeat mutation: %r not in %s %s' % (old, host, name))
            continue
        files[name] = files[name].replace(old, new, 1)
        good, rc = heartbeat_starts(files, files['node_name'], files['address'], files['interface'], work)
        if good:
            fail('heartbeat started with %s %s changed %r -> %r' % (host, name, old, new))
        else:
            ok('heartbeat refused %s with %r -> %r (exit %d)' % (name, old, new, rc))

    resource_scripts(rendered['http-dr-a'], out)

    print('%d failure(s)' % len(failures))
    return 1 if failures else 0


def log_dir_needed(host, files, path):
    """A log file path: ldirectord's parse opens the file, so it fails until the role has created its directory."""
    log_dir = files['log_dir']
    if not log_dir.startswith('/tmp/lvs-render-'):
        fail('%s: unexpected log directory %r' % (host, log_dir))
        return 1, ''
    shutil.rmtree(log_dir, ignore_errors=True)
    try:
        rc, err = validate(path)
        if rc == 0:
            fail('%s: ldirectord parsed a file whose log directory %s is missing' % (host, log_dir))
        else:
            ok('%s: without its log directory the file is refused (exit %d)' % (host, rc))
        os.makedirs(log_dir, mode=0o755)
        return validate(path)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


def receive_patterns(rendered, out):
    """Each receive= line, read the way ldirectord reads it (the rest of the line after "#" dropped, the value between
    the first and the last double quote), is a Perl regular expression that matches exactly the literal text of the
    model (so every character the text carries is literal to Perl, quotes, braces and "#" included)."""
    script = ('my ($file, $name, $text) = @ARGV; open(my $fh, "<", $file) or die; my ($in, $re);'
              'while (<$fh>) { $in = ($1 eq $name) if /^# (\\S+)$/; next unless $in; next if /^\\s*#/; s/#.*//;'
              ' $re = $1 if /^ {4,}receive\\s*=\\s*"(.*)"/; }'
              'defined $re or die "no receive for $name\\n"; exit($text =~ /^(?:$re)\\z/ ? 0 : 1);')
    checked = 0
    for host, name, text in RECEIVE:
        path = os.path.join(out, host + '.receive.cf')
        with open(path, 'w') as handle:
            handle.write(rendered[host]['ldirectord.cf'])
        proc = subprocess.run(['perl', '-e', script, path, name, text], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            fail('%s %s: the receive pattern does not find %r in Perl (%s)' % (host, name, text, proc.stderr.strip()))
        else:
            checked += 1
    ok('%d receive patterns find their literal text in Perl' % checked)


def resource_scripts(files, out):
    """The role's heartbeat resource scripts as rendered: shellcheck-clean, and lvs-vip run for real on a dummy
    interface (veth) in a throw-away network namespace (add, idempotent start, status, stop, bad arguments). lvs-ldirectord
    needs IPVS (the lab runs it); here its status and stop on a stopped instance and its argument checks."""
    paths = {}
    for name in ('lvs-vip', 'lvs-ldirectord'):
        text = files[name]
        if not text.startswith('#!/bin/sh\n#\n# Ansible managed'):
            fail('%s does not start with #!/bin/sh and the ansible_managed comment' % name)
        paths[name] = os.path.join(out, name)
        with open(paths[name], 'w') as handle:
            handle.write(text)
        os.chmod(paths[name], 0o755)
        if shutil.which('shellcheck'):
            proc = subprocess.run(['shellcheck', '-s', 'sh', paths[name]], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                fail('shellcheck %s: %s' % (name, proc.stdout.strip()))
            else:
                ok('%s passes shellcheck' % name)
    vip = paths['lvs-vip']
    script = (
        'set -u; ip link set lo up; ip link add dum0 type veth peer name dum1; ip link set dum1 up; ip link set dum0 up; r=""; '
        'st() { "$1" "$2" status >/dev/null 2>&1; echo "$?"; }; '
        'r="$r $(st "$0" 192.0.2.100/32/dum0)"; '                      # 3: not held
        '"$0" 192.0.2.100/32/dum0 start; r="$r $?"; '                  # 0
        '"$0" 192.0.2.100/32/dum0 start; r="$r $?"; '                  # 0: idempotent
        'r="$r $(ip -o -4 addr show dev dum0 | grep -c " inet 192.0.2.100/32 ")"; '  # 1: added once
        'r="$r $(st "$0" 192.0.2.100/32/dum0)"; '                      # 0: held
        '"$0" 198.51.100.7/24/dum0 start; r="$r $?"; '                 # 0
        'r="$r $(ip -o -4 addr show dev dum0 | grep -c " inet 198.51.100.7/24 brd 198.51.100.255 ")"; '  # 1: broadcast
        '"$0" 192.0.2.100/32/dum0 stop; r="$r $?"; '                   # 0
        '"$0" 192.0.2.100/32/dum0 stop; r="$r $?"; '                   # 0: idempotent
        'r="$r $(st "$0" 192.0.2.100/32/dum0)"; '                      # 3
        'r="$r $(st "$0" 198.51.100.7/24/dum0)"; '                     # 0: the other one stays
        '"$0" 192.0.2.100/dum0 status >/dev/null 2>&1; r="$r $?"; '    # 2: malformed
        '"$0" 192.0.2.100/32/dum0 >/dev/null 2>&1; r="$r $?"; '        # 2: no action
        '"$0" 192.0.2.100/32/dum0 restart >/dev/null 2>&1; r="$r $?"; '  # 2: unknown action
        '"$0" 192.0.2.100/33/dum0 status >/dev/null 2>&1; r="$r $?"; '   # 2: prefix above 32
        '"$0" 2001:db8::1/128/dum0 status >/dev/null 2>&1; r="$r $?"; '  # 2: not IPv4
        '"$0" "192.0.2.100/32/dum0;reboot" status >/dev/null 2>&1; r="$r $?"; '  # 2: not an interface name
        '"$0" 192.0.2.100/32/dum0/x status >/dev/null 2>&1; r="$r $?"; '  # 2: four fields
        '"$0" 192.0.2.100/32/dum0123456789abc status >/dev/null 2>&1; r="$r $?"; '  # 2: 16 characters (IFNAMSIZ)
        'echo "$r"')
    proc = subprocess.run(['timeout', '30', 'unshare', '--net', 'sh', '-c', script, vip],
                          capture_output=True, text=True, check=False)
    want = '3 0 0 1 0 0 1 0 0 3 0 2 2 2 2 2 2 2 2'
    got = proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else ''
    if got != want:
        fail('lvs-vip in a namespace: exit codes / counts %r, expected %r (%s)' % (got, want, proc.stderr.strip()[-300:]))
    else:
        ok('lvs-vip adds, keeps, reports and removes addresses on a veth interface, refuses malformed arguments (%s)' % got)
    # heartbeat's ResourceManager reads the status text, not the exit code (anything with "running" or "OK" is running):
    # the scripts print fixed words, so an interface named Running1 cannot make a stopped VIP look held.
    script = ('ip link add Running1 type veth peer name OK0; ip link set Running1 up; ip link set OK0 up; '
              'a=$("$0" 192.0.2.100/32/Running1 status); ra=$?; "$0" 192.0.2.100/32/Running1 start; '
              'b=$("$0" 192.0.2.100/32/Running1 status); rb=$?; c=$("$0" 192.0.2.100/32/OK0 status); rc=$?; '
              'echo "$a|$ra|$b|$rb|$c|$rc"')
    proc = subprocess.run(['timeout', '30', 'unshare', '--net', 'sh', '-c', script, vip], capture_output=True, text=True, check=False)
    want = 'lvs-vip: stopped|3|lvs-vip: running|0|lvs-vip: stopped|3'
    got = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''
    if got != want:
        fail('lvs-vip status text: %r, expected %r (%s)' % (got, want, proc.stderr.strip()[-300:]))
    else:
        ok('lvs-vip status prints fixed words (interfaces Running1, OK0): %s' % got)
    ld = paths['lvs-ldirectord']
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
    proc = subprocess.run(['timeout', '30', 'unshare', '--mount', 'sh', '-c', script, ld],
                          capture_output=True, text=True, check=False)
    want = '0 3 3 3 0 2 2 0'
    got = proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else ''
    if got != want:
        fail('lvs-ldirectord without an instance: exit codes %r, expected %r (%s)' % (got, want, proc.stderr.strip()[-300:]))
    else:
        ok('lvs-ldirectord status/stop without an instance and argument checks (%s)' % got)


if __name__ == '__main__':
    if os.geteuid() != 0:
        print('ldirectord-render: needs root (network/mount namespaces for the heartbeat stage)', file=sys.stderr)
        sys.exit(1)
    sys.exit(main())
