# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daemons' own parsers as judges of rendered files.

* keepalived: ``keepalived -t -l -f FILE`` in throw-away mount/net/pid namespaces (``unshare``) holding exactly what the
  file names: every interface (veth pairs, up, the director's own address on the VRRP interface), the script user,
  and every script as a root-owned executable on private tmpfs mounts. Clean = exit 0 and no warning line at all.
* ldirectord: ``ldirectord FILE status`` parses the whole file first; exit 3 (not running) with nothing on stderr = clean.
* heartbeat: see hbcheck.py (heartbeat 3.0.6's reading rules of ha.cf, haresources and authkeys).

Nothing here leaves the namespaces: no packet is sent and no host file is changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shlex
import shutil
import subprocess
import tempfile

KEEPALIVED = shutil.which('keepalived') or '/usr/sbin/keepalived'
LDIRECTORD = '/usr/sbin/ldirectord'
# Mount points (existing directories) that get a private tmpfs for the generated scripts (see generate.SCRIPT_DIRS).
SCRIPT_MOUNTS = ('/usr/local/bin', '/usr/local/sbin', '/opt', '/etc/keepalived')
SCRIPT = '#!/bin/sh\nexit 0\n'
SYSLOG_NOISE = re.compile(r"setlogsock\(\): type='unix': path not available at ")

# keepalived -t -l prints nothing on a clean file (2.2.7, measured): every line it prints is a finding.
_STAMP = re.compile(r'^(?:\w{3} \w{3} +\d+ [\d:]+ \d{4}: |\w{3} +\d+ [\d:]+ \S+ Keepalived\S*: )')


def have(program):
    return os.path.exists(program) and os.access(program, os.X_OK)


def keepalived_warnings(output):
    """The lines of a ``keepalived -t -l`` run (without their time stamps): all of them are findings."""
    return [_STAMP.sub('', line).strip() for line in output.splitlines() if line.strip()]


def _sandbox_script(work, conf, addresses, interfaces, users, scripts):
    """A shell script run as PID 1 of new namespaces: builds the world the file names, then execs keepalived -t."""
    q = shlex.quote
    lines = ['set -eu', 'mount --make-rprivate /']
    lines.append('mount --bind %s /etc/passwd' % q(os.path.join(work, 'passwd')))
    lines.append('mount --bind %s /etc/group' % q(os.path.join(work, 'group')))
    for mnt in SCRIPT_MOUNTS:
        lines.append('mount -t tmpfs -o mode=0755 tmpfs %s' % q(mnt))
    for path in scripts:
        lines.append('mkdir -p -m 0755 %s' % q(os.path.dirname(path)))
        lines.append('printf %s %s > %s' % (q('%s'), q(SCRIPT), q(path)))
        lines.append('chmod 0755 %s' % q(path))
    lines.append('ip link set lo up')
    for i, name in enumerate(interfaces):
        peer = 'jp+%d' % i
        # "name"/"dev" before every interface name: a generated name may equal an ip(8) keyword (addr, mtu, ...)
        lines.append('ip link add name %s type veth peer name %s' % (q(name), q(peer)))
        lines.append('ip link set dev %s up' % q(peer))
        lines.append('ip link set dev %s up' % q(name))
    for name, addr in addresses:
        if ':' in addr:
            lines.append('ip -6 addr add %s/64 dev %s nodad' % (q(addr), q(name)))
        else:
            lines.append('ip addr add %s/24 dev %s' % (q(addr), q(name)))
    lines.append('exec %s -t -l -f %s' % (q(KEEPALIVED), q(conf)))
    return '\n'.join(lines) + '\n'


def keepalived_judge(conf, interfaces, addresses, users, scripts, timeout=60):
    """Run ``keepalived -t`` on ``conf``. Returns (clean, exit code, output, warning lines)."""
    work = tempfile.mkdtemp(prefix='lvs-daemons-ka-')
    try:
        os.chmod(work, 0o755)
        with open('/etc/passwd') as src:
            passwd = src.read()
        with open('/etc/group') as src:
            group = src.read()
        for i, user in enumerate(sorted(set(users))):
            if not re.search(r'(?m)^%s:' % re.escape(user), passwd):
                passwd += '%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n' % (user, 64900 + i, 64900 + i)
            if not re.search(r'(?m)^%s:' % re.escape(user), group):
                group += '%s:x:%d:\n' % (user, 64900 + i)
        for name, text in (('passwd', passwd), ('group', group)):
            with open(os.path.join(work, name), 'w') as dst:
                dst.write(text)
        copy = os.path.join(work, 'keepalived.conf')
        shutil.copy(conf, copy)
        os.chmod(copy, 0o644)
        script = os.path.join(work, 'sandbox.sh')
        with open(script, 'w') as dst:
            dst.write(_sandbox_script(work, copy, addresses, interfaces, users, scripts))
        proc = subprocess.run(['unshare', '--mount', '--net', '--pid', '--fork', 'sh', script],
                              capture_output=True, text=True, timeout=timeout, check=False)
        output = (proc.stdout + proc.stderr).strip()
        warnings = keepalived_warnings(output)
        return proc.returncode == 0 and not warnings, proc.returncode, output, warnings
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ldirectord_judge(conf, make_dirs=(), timeout=60):
    """Parse ``conf`` with ldirectord itself (``ldirectord FILE status``): (clean, exit code, stdout, stderr).

    ldirectord has no test flag; ``status`` reads and checks the whole configuration before it looks for a running
    daemon: exit 3 = parsed and not running. Any stderr output (Perl warnings, ldirectord's own) is a finding. It runs
    in a new mount namespace with empty /var/log, /var/run and /run (the parse opens the configured log file, and
    status reads the pid file), after creating ``make_dirs`` there as the role does (view.ldirectord.log_dir)."""
    work = tempfile.mkdtemp(prefix='lvs-daemons-ld-')
    try:
        copy = os.path.join(work, 'ldirectord-judge.cf')
        shutil.copy(conf, copy)
        env = dict(os.environ, PERLIO='perlio', LANG='C', LC_ALL='C')
        q = shlex.quote
        body = ['set -eu', 'mount --make-rprivate /']
        for mnt in ('/var/log', '/run', '/var/run'):
            body.append('[ -L %s ] || mount -t tmpfs -o mode=0755 tmpfs %s' % (mnt, mnt))
        for path in make_dirs:
            body.append('mkdir -p -m 0755 %s' % q(path))
        body.append('exec %s %s status' % (q(LDIRECTORD), q(copy)))
        proc = subprocess.run(['unshare', '--mount', 'sh', '-c', '\n'.join(body)], capture_output=True, text=True,
                              timeout=timeout, check=False, env=env, cwd=work)
        # One line is about the host, not the file (as in the role's validator): Sys::Syslog without /dev/log.
        stderr = '\n'.join(line for line in proc.stderr.splitlines() if not SYSLOG_NOISE.match(line))
        return proc.returncode == 3 and not stderr.strip(), proc.returncode, proc.stdout, stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


def resource_status(script, args, timeout=30):
    """Run a rendered heartbeat resource script as ResourceManager does for a resource it may own
    (``$spath $arg status``, arguments unquoted) inside new mount/net namespaces with empty /run and /var/run:
    (exit code, stdout, stderr)."""
    body = ('set -eu; mount --make-rprivate /; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /var/run 2>/dev/null || :; '
            'ip link set lo up; exec "$@"')
    proc = subprocess.run(['unshare', '--mount', '--net', 'sh', '-c', body, 'sh', script] + list(args) + ['status'],
                          capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr


HEARTBEAT = '/usr/libexec/heartbeat/heartbeat'
# heartbeat -r lines that are about this host or about choices the role makes on purpose (use_logd no), not the files.
HEARTBEAT_KNOWN = re.compile(r'(?:info: .*|WARN: Core dumps could be lost if multiple dumps occur\.'
                             r'|WARN: Consider setting .* for maximum supportability'
                             r'|WARN: Logging daemon is disabled --enabling logging daemon is recommended)')
_HB_STAMP = re.compile(r'^\w{3} +\d+ [\d:]+ \S+ heartbeat: \[\d+\]: ')


def heartbeat_findings(output):
    """ERROR and WARN lines of a heartbeat -r run, minus HEARTBEAT_KNOWN (the unconditional stderr notes of
    set_udpport/set_baudrate, "... setting must precede media statements", are printed without a newline)."""
    out = []
    text = re.sub(r'heartbeat: (?:udpport|baudrate) setting must precede media statements', '\n', output)
    for line in text.splitlines():
        line = _HB_STAMP.sub('', line.strip())
        if line and not HEARTBEAT_KNOWN.fullmatch(line):
            out.append(line)
    return out


def heartbeat_starts(files, node_name, address, interface, timeout=40):
    """Start the real heartbeat (``heartbeat -r``) on rendered ``files`` ({name: text} for ha.cf, haresources, authkeys)
    inside new mount/net/pid/uts namespaces: hostname ``node_name``, ``interface`` (veth, up) holding ``address``,
    a private copy of /etc/ha.d, tmpfs /run and /var/lib/heartbeat. Nothing leaves the namespaces; every process dies
    with them. Returns (exit code, output)."""
    work = tempfile.mkdtemp(prefix='lvs-daemons-hb-')
    try:
        hadir = os.path.join(work, 'ha.d')
        shutil.copytree('/etc/ha.d', hadir, symlinks=True)
        for name in ('ha.cf', 'haresources', 'authkeys'):
            with open(os.path.join(hadir, name), 'w') as dst:
                dst.write(files[name])
        os.chmod(os.path.join(hadir, 'authkeys'), 0o600)
        q = shlex.quote
        fam = '-6 ' if ':' in address else ''
        body = '; '.join([
            'set -e', 'mount --make-rprivate /', 'mount --bind %s /etc/ha.d' % q(hadir),
            'mount -t tmpfs tmpfs /run', 'mount -t tmpfs tmpfs /var/lib/heartbeat', 'mkdir -p /run/heartbeat',
            # the kernel's own rule for the node name (uname -n), not hostname(1)'s stricter one
            'printf %%s %s > /proc/sys/kernel/hostname' % q(node_name), 'ip link set lo up',
            'ip link add name %s type veth peer name hbjudge0' % q(interface), 'ip link set dev %s up' % q(interface),
            'ip link set dev hbjudge0 up', 'ip %saddr add %s/%d dev %s' % (fam, q(address), 64 if fam else 24, q(interface)),
            'set +e', '%s -r 2>&1; exit $?' % q(HEARTBEAT)])
        proc = subprocess.run(['timeout', str(timeout), 'unshare', '--mount', '--net', '--pid', '--uts', '--fork',
                               '--mount-proc', 'sh', '-c', body], capture_output=True, text=True, check=False)
        return proc.returncode, (proc.stdout + proc.stderr).strip()
    finally:
        shutil.rmtree(work, ignore_errors=True)
