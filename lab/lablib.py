# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lvs.cluster VM lab as a Python API (lab/labctl is its command line; lab/README.md, section "labctl").

Small Debian 12 VMs (Debian's kernel, IPVS as modules) on a bridge inside a network namespace of their own; the
namespace side of the bridge (CONTROLLER) is the controller and client. Everything needs root.

    import sys; sys.path.insert(0, 'lab'); import lablib
    lablib.up(['dr1', 'rs1'])                   # boot, wait for SSH (builds the image on first use)
    lablib.ssh('dr1', 'ipvsadm -Ln')            # subprocess.CompletedProcess (stdout/stderr captured as text)
    lablib.exec_in_namespace(['curl', '-s', 'http://203.0.113.100/'])
    lablib.inventory()                          # {'hosts': .../hosts.yml, 'connection': .../connection.yml, ...}
    lablib.kill('dr1'); lablib.start('dr1')     # power cut and boot again on the same disk
    lablib.down()                               # everything away; safe to repeat

Settings come from the environment when a Lab() is made (each module-level function makes one): LAB_NETNS,
LAB_RUN_DIR, LAB_ACCEL, LAB_CPU, LAB_MEM, LAB_BOOT_TIMEOUT, LAB_LOCK, LAB_LOCK_TIMEOUT, LAB_HOSTS, LAB_FORCE
(lab/README.md, "Settings").

The lock: the VM lab is one machine-wide resource, serialised by the flock(2) lock LAB_LOCK (/run/lvs-lab.lock),
the same lock that `flock /run/lvs-lab.lock CMD` takes. The lab is ours when
  - this process or one of its ancestors has the lock file open (`flock LOCK make lab`, or lock_held()): the caller
    holds it for the whole job and labctl takes nothing of its own;
  - or the holder process that `up` started for this run directory is alive (RUN/lock.pid, a `lvslab-lock-holder`
    process keeping the locked descriptor while the guests are up; `down` ends it);
  - or nobody holds the lock (e.g. guests left up by a caller that has gone).
Otherwise another session has it: up() and start() wait for it (LAB_LOCK_TIMEOUT), down() and kill() refuse
(LAB_FORCE=1 overrides).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import route_check

LAB_DIR = os.path.dirname(os.path.realpath(__file__))

# The lab's address plan (lab/README.md, "Address plan", lists every file that follows it).
NET_PREFIX = '203.0.113'
NETWORK = NET_PREFIX + '.0/24'
CONTROLLER = NET_PREFIX + '.1'
OCTETS = {'dr1': 11, 'dr2': 12, 'rs1': 21, 'rs2': 22, 'rs3': 23}
ALL_HOSTS = tuple(OCTETS)
DEFAULT_HOSTS = ('dr1', 'dr2', 'rs1', 'rs2')
# The real servers' test pages (the seed, section 11.6.2): rsN boots with lvslab.page=N on its kernel command line and
# serves "This is real serverN" with nginx from boot (lab/image/overlay: lvslab-boot writes it, nginx's drop-in starts
# nginx only there), as a real server runs its application before lvs.cluster prepares it.
PAGES = {'rs1': 1, 'rs2': 2, 'rs3': 3}
BRIDGE = 'br0'
# A fixed address for the bridge (the controller's side): a guest restored from its boot snapshot still has the
# controller's MAC in its ARP cache, and must find it again.
BRIDGE_MAC = '52:54:00:cb:71:01'
# The name of the internal qcow2 snapshot of a freshly booted guest (LAB_SNAPSHOT, lab/README.md "Boot snapshots").
SNAPSHOT = 'lvslab-booted'
# A resumed guest's clock goes on from the snapshot's time; its RTC follows the host's clock (qemu's default).
CLOCK_FROM_RTC = 'hwclock --hctosys --utc'
SETTING = 'NET_PREFIX in lab/lablib.py and the files of the lab\'s address plan (lab/README.md, "Address plan")'
HOLDER_NAME = 'lvslab-lock-holder'


class LabError(Exception):
    """The lab cannot do what was asked; the message says why (labctl prints it and exits 1)."""


class _LockTimeout(Exception):
    pass


def log(msg):
    sys.stderr.write('[labctl %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
    sys.stderr.flush()


def address(host):
    """The lab address of a guest ('dr1' -> '203.0.113.11')."""
    check_host(host)
    return '%s.%d' % (NET_PREFIX, OCTETS[host])


def check_host(host):
    if host not in OCTETS:
        raise LabError("unknown lab host '%s' (known: %s)" % (host, ' '.join(ALL_HOSTS)))


def _read(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


def _pid_file(path):
    text = _read(path).decode('ascii', 'replace').strip()
    return int(text) if text.isdigit() else None


def _cmdline(pid):
    return _read('/proc/%d/cmdline' % pid).split(b'\0')


def _ppid(pid):
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    stat = _read('/proc/%d/stat' % pid)
    fields = stat[stat.rfind(b')') + 2:].split()
    return int(fields[1]) if len(fields) > 1 else 0


def _has_open(pid, ident):
    """Does process pid have the file ident ((st_dev, st_ino)) open?"""
    try:
        fds = os.listdir('/proc/%d/fd' % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            st = os.stat('/proc/%d/fd/%s' % (pid, fd))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == ident:
            return True
    return False


def _wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while os.path.exists('/proc/%d' % pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    return not os.path.exists('/proc/%d' % pid)


def _reap(pid):
    """Collect pid if it is a child of this process (a holder or qemu started by this process)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _elapsed(t0):
    return int(time.monotonic() - t0)


class Lab:
    """One lab: a namespace, a run directory and the lock, configured from env (os.environ by default)."""

    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.run_dir = env.get('LAB_RUN_DIR') or os.path.join(LAB_DIR, 'run')
        self.netns = env.get('LAB_NETNS') or 'lvslab'
        self.accel = env.get('LAB_ACCEL') or 'auto'
        self.cpu = env.get('LAB_CPU') or ''
        self.mem = int(env.get('LAB_MEM') or 640)
        self.boot_timeout = int(env.get('LAB_BOOT_TIMEOUT') or 420)
        self.lock_path = env.get('LAB_LOCK') or '/run/lvs-lab.lock'
        self.lock_timeout = int(env.get('LAB_LOCK_TIMEOUT') or 1800)
        self.default_hosts = tuple((env.get('LAB_HOSTS') or ' '.join(DEFAULT_HOSTS)).split())
        self.force = env.get('LAB_FORCE') == '1'
        self.snapshots = env.get('LAB_SNAPSHOT', '1')
        if self.snapshots not in ('0', '1'):
            raise LabError("LAB_SNAPSHOT must be 1 (restore freshly booted guests from a saved boot) or 0 (always boot) "
                           "(got '%s')" % self.snapshots)
        self.snapshots = self.snapshots == '1'
        self._qemu_version = None
        if self.accel not in ('auto', 'tcg', 'kvm'):
            raise LabError("LAB_ACCEL must be auto, tcg or kvm (got '%s')" % self.accel)

    # ------------------------------------------------------------ paths and small helpers

    def path(self, name):
        return os.path.join(self.run_dir, name)

    def in_ns(self, argv):
        return ['ip', 'netns', 'exec', self.netns] + list(argv)

    def ns_exists(self):
        return os.path.exists('/run/netns/' + self.netns)

    def _ns_run(self, argv, check=True):
        return subprocess.run(self.in_ns(argv), check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    def guest_pid(self, host):
        """The pid of a running guest's qemu, or None (a pid is trusted only if its command line is our guest's)."""
        pid = _pid_file(self.path(host + '.pid'))
        if pid and b'lvslab-' + host.encode() in _cmdline(pid):
            return pid
        return None

    # ------------------------------------------------------------ lock

    def _lock_ident(self):
        try:
            st = os.stat(self.lock_path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def caller_holds_lock(self):
        """Does this process or an ancestor have the lock file open (`flock LOCK CMD`, lock_held())?"""
        ident = self._lock_ident()
        pid = os.getpid()
        while ident and pid > 1:
            if _has_open(pid, ident):
                return True
            pid = _ppid(pid)
        return False

    def holder_pid(self):
        """The pid of the holder process that `up` started for this run directory, if it is alive."""
        pid = _pid_file(self.path('lock.pid'))
        if pid and _cmdline(pid)[0] == HOLDER_NAME.encode():
            return pid
        return None

    def _try_lock(self):
        """An open descriptor holding the lock, or None when someone else holds it."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                return None
            raise
        return fd

    def _wait_lock(self):
        """Wait up to LAB_LOCK_TIMEOUT for the lock; the open descriptor that holds it.

        In the main thread the wait is a blocking flock (in the kernel's queue with `flock` waiters) cut short by an
        alarm; elsewhere it polls.
        """
        t0, fd = time.monotonic(), self._try_lock()
        if fd is None:
            log('waiting for the lab lock %s (open in: %s); up to %ds'
                % (self.lock_path, ', '.join(self.lock_users()) or '?', self.lock_timeout))
        while fd is None:
            left = int(self.lock_timeout - (time.monotonic() - t0))
            if left <= 0:
                raise LabError('could not get the lab lock %s within %ds' % (self.lock_path, self.lock_timeout))
            if threading.current_thread() is threading.main_thread():
                fd = self._blocking_lock(left)
            else:
                time.sleep(1)
                fd = self._try_lock()
        return fd

    def _blocking_lock(self, seconds):
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

        def expired(signum, frame):
            raise _LockTimeout()

        previous = signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return fd
        except _LockTimeout:
            os.close(fd)
            return None
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def lock_free(self):
        if self._lock_ident() is None:
            return True
        fd = self._try_lock()
        if fd is None:
            return False
        os.close(fd)
        return True

    def lock_users(self):
        """'pid N (command line)' of every other process that has the lock file open (for messages)."""
        ident, users = self._lock_ident(), []
        if ident is None:
            return users
        for name in os.listdir('/proc'):
            if name.isdigit() and int(name) != os.getpid() and _has_open(int(name), ident):
                cmd = b' '.join(_cmdline(int(name))).decode('utf-8', 'replace').strip()[:100]
                users.append('pid %s (%s)' % (name, cmd))
        return users

    def ours(self):
        """Is the lab ours to use (see the module's docstring)?"""
        return self.caller_holds_lock() or self.holder_pid() is not None or self.lock_free()

    def refuse_other_session(self, what):
        if not self.force and not self.ours():
            raise LabError('refusing to %s: another session holds %s (%s); wait for it, or LAB_FORCE=1'
                           % (what, self.lock_path, ', '.join(self.lock_users()) or 'holder unknown'))

    def acquire_lock(self):
        """Make the lab ours: use the caller's lock or our holder, else wait for the lock and start a holder.

        Returns True when this call started a holder (release_lock() gives it back).
        """
        if self.caller_holds_lock():
            log('using the lab lock %s held by the caller' % self.lock_path)
            return False
        if self.holder_pid():
            return False
        os.makedirs(self.run_dir, exist_ok=True)
        t0, fd = time.monotonic(), self._wait_lock()
        try:
            # The holder keeps the locked descriptor while the guests are up; this process lets go of its copy.
            holder = subprocess.Popen([HOLDER_NAME, 'infinity'], executable=shutil.which('sleep') or '/bin/sleep',
                                      pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
            with open(self.path('lock.pid'), 'w') as f:
                f.write('%d\n' % holder.pid)
            deadline = time.monotonic() + 10
            while not self.holder_pid() and holder.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)  # the holder's command line shows only once exec is complete
        finally:
            os.close(fd)
        if not self.holder_pid():
            raise LabError('the lock holder (pid %d) did not start' % holder.pid)
        if _elapsed(t0) >= 2:
            log('got the lab lock after %ds' % _elapsed(t0))
        return True

    def release_lock(self):
        pid = self.holder_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            _wait_gone(pid, 5)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path('lock.pid'))

    @contextlib.contextmanager
    def lock_held(self):
        """Hold the lab lock in this process for a whole job (a test session), unless the caller already does.

        Inside the block every call of this API (and every labctl started from this process) sees the caller's lock.
        """
        if self.caller_holds_lock():
            yield
            return
        fd = self._wait_lock()
        try:
            yield
        finally:
            os.close(fd)

    # ------------------------------------------------------------ network

    def check_net(self, verbose=False):
        """Refuse a lab network that overlaps a route of the host (lab/route_check.py; read in this namespace)."""
        args = ['--network', NETWORK, '--setting', SETTING] + (['--verbose'] if verbose else [])
        if route_check.main(args) != 0:
            raise LabError('the lab network %s overlaps a route of this host, or the routes could not be read (see above)' % NETWORK)

    def net_up(self):
        """The namespace and its bridge with the controller address (idempotent)."""
        if not self.ns_exists():
            subprocess.run(['ip', 'netns', 'add', self.netns], check=True)
        ns = ['ip', '-n', self.netns]
        subprocess.run(ns + ['link', 'set', 'lo', 'up'], check=True)
        if subprocess.run(ns + ['link', 'show', BRIDGE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode:
            subprocess.run(ns + ['link', 'add', BRIDGE, 'address', BRIDGE_MAC, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0',
                                 'mcast_snooping', '0'], check=True)
        subprocess.run(ns + ['address', 'replace', CONTROLLER + '/24', 'dev', BRIDGE], check=True)
        subprocess.run(ns + ['link', 'set', BRIDGE, 'up'], check=True)

    def net(self):
        self.check_net()
        self.net_up()

    def _tap_up(self, host):
        ns, tap = ['ip', '-n', self.netns], 'tap-' + host
        if subprocess.run(ns + ['link', 'show', tap], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode:
            subprocess.run(ns + ['tuntap', 'add', 'dev', tap, 'mode', 'tap'], check=True)
        subprocess.run(ns + ['link', 'set', tap, 'master', BRIDGE], check=True)
        subprocess.run(ns + ['link', 'set', tap, 'up'], check=True)

    # ------------------------------------------------------------ generated files

    def _write_client_files(self, img):
        run, key = self.run_dir, self.path('id_ed25519')
        for name, mode in (('id_ed25519', 0o600), ('id_ed25519.pub', 0o644)):
            shutil.copyfile(os.path.join(img, name), self.path(name))
            os.chmod(self.path(name), mode)
        hosts = ''.join('Host %s %s\n    HostName %s\n' % (h, address(h), address(h)) for h in ALL_HOSTS)
        options = ('User root', 'IdentityFile ' + key, 'IdentitiesOnly yes', 'StrictHostKeyChecking no',
                   'UserKnownHostsFile /dev/null', 'GlobalKnownHostsFile /dev/null', 'LogLevel ERROR', 'BatchMode yes',
                   'ConnectTimeout 10', 'ServerAliveInterval 5', 'ServerAliveCountMax 6')
        with open(self.path('ssh_config'), 'w') as f:
            f.write("# Generated by lab/labctl: ssh -F %s/ssh_config HOST (from inside the namespace '%s')\n%sHost *\n%s"
                    % (run, self.netns, hosts, ''.join('    %s\n' % o for o in options)))
        connection = ['ansible_user: root', 'ansible_ssh_private_key_file: ' + key, 'ansible_ssh_common_args: >-',
                      '  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null',
                      '  -o IdentitiesOnly=yes -o LogLevel=ERROR', 'ansible_python_interpreter: /usr/bin/python3']
        with open(self.path('connection.yml'), 'w') as f:
            f.write('---\n# Generated by lab/labctl: Ansible connection variables for the lab guests\n'
                    '# (use with -e @%s/connection.yml, or the lab inventory\'s group_vars).\n%s'
                    % (run, ''.join(line + '\n' for line in connection)))
        groups = (('directors', ('dr1', 'dr2')), ('realservers', ('rs1', 'rs2', 'rs3')))
        with open(self.path('hosts.yml'), 'w') as f:
            f.write('---\n# Generated by lab/labctl: the lab guests as an Ansible inventory (run it inside the namespace: '
                    'labctl exec ...)\nall:\n  vars:\n%s  children:\n' % ''.join('    %s\n' % line for line in connection))
            for group, members in groups:
                f.write('    %s:\n      hosts:\n%s' % (group, ''.join('        %s:\n          ansible_host: %s\n' % (h, address(h))
                                                                      for h in members)))

    # ------------------------------------------------------------ guests

    def _kvm_boots(self, img):
        """True when KVM starts this lab's kernel here (/dev/kvm alone is not enough under nested virtualisation).

        The probe boots the kernel alone and waits up to 20 s for its first console line; the answer is kept in
        /run (gone at reboot), keyed by qemu's version, the kernel image, the CPU model and the host kernel.
        """
        if not os.access('/dev/kvm', os.R_OK | os.W_OK):
            return False
        version = subprocess.run(['qemu-system-x86_64', '--version'], stdout=subprocess.PIPE, check=True).stdout.split(b'\n')[0]
        key = hashlib.sha256(b'\n'.join([version, _read(os.path.join(img, 'vmlinuz')), (self.cpu or 'host').encode(),
                                         os.uname().release.encode()])).hexdigest()[:16]
        stamp = '/run/lvs-lab-kvm-probe.' + key
        if not os.path.exists(stamp):
            answer, seconds = self._kvm_probe(img)
            with open(stamp, 'w') as f:
                f.write('yes\n' if answer else 'no\n')
            log('KVM probe: the lab kernel boots under KVM here (%.1f s)' % seconds if answer else
                'KVM probe: KVM cannot boot the lab kernel here (qemu failed or printed nothing in %.1f s); using TCG' % seconds)
        return _read(stamp).strip() == b'yes'

    def _kvm_probe(self, img):
        with tempfile.NamedTemporaryFile(prefix='lvslab-kvm-probe.') as console:
            qemu = subprocess.Popen(['qemu-system-x86_64', '-machine', 'pc', '-accel', 'kvm', '-cpu', self.cpu or 'host', '-smp', '1',
                                     '-m', '128', '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
                                     '-serial', 'file:' + console.name, '-no-reboot', '-kernel', os.path.join(img, 'vmlinuz'),
                                     '-append', 'console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1'],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0, answer = time.monotonic(), False
            while time.monotonic() - t0 < 20 and qemu.poll() is None:
                if b'Linux version' in _read(console.name):
                    answer = True
                    break
                time.sleep(0.1)
            qemu.kill()
            qemu.wait()
        return answer, time.monotonic() - t0

    def _accel_args(self, img):
        if self.accel == 'auto':
            self.accel = 'kvm' if self._kvm_boots(img) else 'tcg'
        if self.accel == 'kvm':
            return ['-accel', 'kvm', '-cpu', self.cpu or 'host']
        return ['-accel', 'tcg,thread=multi', '-cpu', self.cpu or 'max']

    def _boot_guest(self, host, img, fresh):
        """Start a guest's qemu. fresh: on a new overlay, restored from the guest's boot snapshot when one is cached
        (LAB_SNAPSHOT=1); otherwise (a power cut's start) booted from its disk as it is. Returns the snapshot file to
        save once the guest answers SSH (fresh, booted, none cached yet), or None."""
        overlay = self.path(host + '.qcow2')
        accel = self._accel_args(img)
        machine_id = hashlib.md5(('lvs-cluster-lab-' + host).encode()).hexdigest()  # nosec: an id, not a secret
        cmdline = ('root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 biosdevname=0 fsck.mode=skip mitigations=off quiet '
                   'loglevel=3 systemd.show_status=auto tsc=reliable no_timer_check panic=5 systemd.hostname=%s '
                   'systemd.machine_id=%s lvslab.ip=%s/24 lvslab.gw=%s' % (host, machine_id, address(host), CONTROLLER))
        if host in PAGES:
            cmdline += ' lvslab.page=%d' % PAGES[host]
        mac = '52:54:00:cb:71:%02x' % OCTETS[host]
        # what a saved boot depends on besides the image (the snapshot lives in the image's directory)
        machine = ['-machine', 'pc'] + accel + ['-smp', '1', '-m', str(self.mem), '-device', 'vmgenid']
        snapshot, to_save, restore = None, None, False
        if fresh:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(overlay)
            if self.snapshots:
                key = hashlib.sha256(json.dumps([host, machine, cmdline, mac, self.qemu_version()]).encode()).hexdigest()[:16]
                snapshot = os.path.join(img, 'booted-%s-%s.qcow2' % (host, key))
                restore = os.path.exists(snapshot)
            if restore:
                subprocess.run(['cp', '--sparse=always', snapshot, overlay], check=True)
            else:
                subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o',
                                'backing_file=%s,backing_fmt=raw' % os.path.join(img, 'rootfs.raw'), overlay], check=True)
                to_save = snapshot
        elif not os.path.exists(overlay):  # started without an earlier up: a new disk, booted
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o',
                            'backing_file=%s,backing_fmt=raw' % os.path.join(img, 'rootfs.raw'), overlay], check=True)
        self._tap_up(host)
        for suffix in ('.pid', '.serial', '.qmp'):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(host + suffix))
        if os.path.exists(self.path(host + '.console.log')):
            os.replace(self.path(host + '.console.log'), self.path(host + '.console.log.prev'))
        subprocess.run(self.in_ns([
            'qemu-system-x86_64', '-name', 'lvslab-' + host] + machine + [
            '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
            '-kernel', os.path.join(img, 'vmlinuz'), '-initrd', os.path.join(img, 'initrd.img'), '-append', cmdline,
            '-drive', 'file=%s,if=virtio,format=qcow2,cache=writeback,discard=unmap' % overlay,
            '-netdev', 'tap,id=n0,ifname=tap-%s,script=no,downscript=no' % host,
            '-device', 'virtio-net-pci,netdev=n0,mac=%s' % mac, '-device', 'virtio-rng-pci',
            '-chardev', 'socket,id=con0,path=%s,server=on,wait=off,logfile=%s' % (self.path(host + '.serial'), self.path(host + '.console.log')),
            '-serial', 'chardev:con0', '-qmp', 'unix:%s,server=on,wait=off' % self.path(host + '.qmp'),
            '-daemonize', '-pidfile', self.path(host + '.pid')] + (['-loadvm', SNAPSHOT] if restore else [])),
            check=True, stdin=subprocess.DEVNULL)
        if not self.guest_pid(host):
            raise LabError('qemu for %s did not start' % host)
        if restore:
            log('guest %s: restored from its boot snapshot %s' % (host, snapshot))
        return to_save

    def qemu_version(self):
        if self._qemu_version is None:
            self._qemu_version = subprocess.run(['qemu-system-x86_64', '--version'], stdout=subprocess.PIPE, universal_newlines=True,
                                                check=True).stdout.splitlines()[0]
        return self._qemu_version

    def qmp(self, host, commands, timeout=300):
        """Run QMP commands ({'execute': ..., 'arguments': ...}) on a guest's qemu; the list of their returns."""
        out = []
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(self.path(host + '.qmp'))
            stream = sock.makefile('rwb')
            stream.readline()  # the greeting
            for command in [{'execute': 'qmp_capabilities'}] + list(commands):
                stream.write(json.dumps(command).encode() + b'\n')
                stream.flush()
                while True:
                    line = stream.readline()
                    if not line:
                        raise LabError('qemu of %s closed its QMP socket during %s' % (host, command['execute']))
                    answer = json.loads(line)
                    if 'error' in answer:
                        raise LabError('qemu of %s: %s failed: %s' % (host, command['execute'], answer['error'].get('desc')))
                    if 'return' in answer:
                        out.append(answer['return'])
                        break
        return out[1:]

    def _save_snapshot(self, host, snapshot):
        """Keep a freshly booted guest (SSH up, nothing else done) as SNAPSHOT in a copy of its overlay, for the next
        fresh boot of the same guest on the same image; the guest runs on afterwards."""
        t0 = time.monotonic()
        self.ssh(host, 'sync && echo 3 > /proc/sys/vm/drop_caches', check=True, timeout=120)  # a smaller memory image
        tmp = '%s.tmp-%d' % (snapshot, os.getpid())
        self.qmp(host, [{'execute': 'stop'}])
        try:
            said = self.qmp(host, [{'execute': 'human-monitor-command', 'arguments': {'command-line': 'savevm ' + SNAPSHOT}}])[0]
            if said.strip():
                raise LabError('qemu of %s: savevm: %s' % (host, said.strip()))
            subprocess.run(['cp', '--sparse=always', self.path(host + '.qcow2'), tmp], check=True)
            for name in os.listdir(os.path.dirname(snapshot)):  # an older key of this guest (memory, qemu, ...)
                if name.startswith('booted-%s-' % host) and name.endswith('.qcow2'):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(os.path.dirname(snapshot), name))
            os.replace(tmp, snapshot)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            self.qmp(host, [{'execute': 'cont'}])
        log('guest %s: boot snapshot saved in %ds (%d MiB): %s' % (host, _elapsed(t0), os.path.getsize(snapshot) >> 20, snapshot))

    def _save_snapshots(self, to_save):
        """Save the boot snapshots of guests just booted (in parallel); the pause leaves their clock behind: set it."""
        def one(host):
            self._save_snapshot(host, to_save[host])
            self.ssh(host, CLOCK_FROM_RTC, check=True, timeout=60)

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(to_save)) as pool:
            for future in [pool.submit(one, h) for h in to_save]:
                future.result()

    def console_tail(self, host, lines=25):
        """The last lines of a guest's serial console log, without colour codes (for failure messages)."""
        text = _read(self.path(host + '.console.log')).decode('utf-8', 'replace')
        if not text:
            return '(no console log)'
        return '\n'.join(re.sub(r'\x1b\[[0-9;]*[a-zA-Z]', '', line).replace('\r', '') for line in text.splitlines()[-lines:])

    def ssh_ok(self, host, command='true'):
        return self._ns_run(['timeout', '20', 'ssh', '-F', self.path('ssh_config'), '-o', 'ConnectTimeout=5', host, command], check=False) == 0

    def _wait_ssh(self, t0, hosts, restored=()):
        """restored: guests resumed from a boot snapshot, whose first SSH command also sets their clock."""
        """Wait until every given guest answers SSH (in parallel); on a timeout or a dead qemu show its console and fail."""
        deadline, stop = t0 + self.boot_timeout, threading.Event()

        def wait(host):
            while not stop.is_set():
                if not self.guest_pid(host):
                    log('guest %s: qemu exited during boot' % host)
                    return False
                if self.ssh_ok(host, CLOCK_FROM_RTC if host in restored else 'true'):
                    log('guest %s: SSH ready after %ds' % (host, _elapsed(t0)))
                    return True
                if time.monotonic() >= deadline:
                    log('guest %s: no SSH after %ds' % (host, self.boot_timeout))
                    return False
                time.sleep(1)
            return False

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(hosts))
        try:
            failed = [h for h, ready in zip(hosts, pool.map(wait, hosts)) if not ready]
        finally:
            stop.set()  # an interrupt ends the pollers too
            pool.shutdown(wait=True)
        for host in failed:
            log('----- last lines of the %s console (%s) -----\n%s' % (host, self.path(host + '.console.log'), self.console_tail(host)))
            log('----- end of the %s console -----' % host)
        if failed:
            raise LabError('no SSH from %s' % ' '.join(failed))

    def _stop_guest(self, host):
        pid = self.guest_pid(host)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, 5):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        for suffix in ('.pid', '.serial', '.qmp'):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(host + suffix))

    # ------------------------------------------------------------ the commands

    def up(self, hosts=None):
        """Boot guests (default LAB_HOSTS or dr1 dr2 rs1 rs2) and wait for SSH; guests already running stay.

        On a failure or an interrupt nothing is left behind: the guests started here are stopped and, if this call
        created the lab, the whole lab is taken down; a lock taken here is given back.
        """
        hosts = list(hosts or self.default_hosts)
        for host in hosts:
            check_host(host)
        _need_root()
        self.check_net()
        os.makedirs(self.run_dir, exist_ok=True)
        t0 = time.monotonic()
        img = subprocess.run([os.path.join(LAB_DIR, 'build-image.sh')], stdout=subprocess.PIPE, universal_newlines=True,
                             check=True).stdout.strip()
        log('image ready in %ds: %s' % (_elapsed(t0), img))
        took_lock = self.acquire_lock()
        created_ns, started = not self.ns_exists(), []
        try:
            running = [h for h in ALL_HOSTS if self.guest_pid(h)]
            if not created_ns and not running:
                pids = subprocess.run(['ip', 'netns', 'pids', self.netns], stdout=subprocess.PIPE, universal_newlines=True,
                                      check=False).stdout.split()
                if pids:
                    raise LabError("namespace '%s' has processes this lab did not start (pids: %s), e.g. a lab of another "
                                   "checkout; run 'labctl down' first" % (self.netns, ' '.join(pids)))
            # While guests run, the lab stays on the image they were booted from; a lab without guests moves to the current one.
            if not running or not os.path.exists(self.path('image/rootfs.raw')):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path('image'))
                os.symlink(img, self.path('image'))
                self._write_client_files(img)
            else:
                img = os.path.realpath(self.path('image'))
            self.net_up()
            t0 = time.monotonic()
            for host in hosts:
                if self.guest_pid(host):
                    log('guest %s already running' % host)
            booting = [h for h in hosts if not self.guest_pid(h)]
            self._accel_args(img)  # the KVM probe, once, before the guests start side by side
            to_save = {}
            if booting:
                with concurrent.futures.ThreadPoolExecutor(max_workers=len(booting)) as pool:
                    futures = [(h, pool.submit(self._boot_guest, h, img, True)) for h in booting]
                concurrent.futures.wait([f for dummy, f in futures])
                started.extend(h for h in booting if self.guest_pid(h))
                for host, future in futures:
                    snapshot = future.result()  # the first error, after every guest that started is in `started`
                    if snapshot:
                        to_save[host] = snapshot
            log('booting %s (accel %s, %d MiB, 1 vCPU each); waiting up to %ds for SSH'
                % (' '.join(started) or 'nothing', self.accel, self.mem, self.boot_timeout))
            restored = [h for h in started if self.snapshots and h not in to_save]
            self._wait_ssh(t0, hosts, restored)
            if to_save:
                self._save_snapshots(to_save)
        except BaseException as e:
            log('up failed (%s): cleaning up' % (e or type(e).__name__))
            if created_ns:
                with contextlib.suppress(LabError):
                    self.down()
            else:
                for host in started:
                    self._stop_guest(host)
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.path(host + '.qcow2'))
                if took_lock:
                    self.release_lock()
            raise
        log('lab up: %s answer SSH; boot-to-SSH %ds' % (' '.join(hosts), _elapsed(t0)))
        return _elapsed(t0)

    def start(self, host):
        """Boot a killed guest again (same disk) and wait for SSH."""
        check_host(host)
        _need_root()
        if not self.ns_exists() or not os.path.islink(self.path('image')):
            raise LabError('the lab is not up (run: labctl up)')
        if self.guest_pid(host):
            log('guest %s already running' % host)
            return 0
        self.check_net()
        self.acquire_lock()
        t0 = time.monotonic()
        self._boot_guest(host, os.path.realpath(self.path('image')), False)
        self._wait_ssh(t0, [host])
        return _elapsed(t0)

    def kill(self, host):
        """Hard-kill a guest's qemu (a power cut, for fault tests)."""
        check_host(host)
        _need_root()
        self.refuse_other_session('kill ' + host)
        pid = self.guest_pid(host)
        if not pid:
            log('guest %s is not running' % host)
            return
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(host + '.pid'))
        log('guest %s killed (qemu pid %d)' % (host, pid))

    def down(self):
        """Stop every guest, remove taps, bridge, namespace and overlays, give the lock back (safe to repeat)."""
        _need_root()
        self.refuse_other_session('take the lab down')
        for host in ALL_HOSTS:
            self._stop_guest(host)
        if self.ns_exists():
            # Anything else still running in the namespace (ssh control masters, a client command) belongs to the lab.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                pids = subprocess.run(['ip', 'netns', 'pids', self.netns], stdout=subprocess.PIPE, universal_newlines=True,
                                      check=False).stdout.split()
                if pids and sig == signal.SIGTERM:
                    log('ending processes left in namespace %s: %s' % (self.netns, ' '.join(pids)))
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), sig)
                if pids and sig == signal.SIGTERM:
                    time.sleep(1)
            subprocess.run(['ip', 'netns', 'delete', self.netns], check=True)
        self.release_lock()
        if os.path.isdir(self.run_dir):
            for name in os.listdir(self.run_dir):
                if name == 'image' or name.endswith(('.qcow2', '.pid', '.serial', '.qmp')):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.path(name))
        log("lab down: no guest, tap, bridge or namespace '%s' left" % self.netns)

    def status(self):
        """(text, code): the namespace, the image, the lock holder and each guest's state; code 3 when the lab is down."""
        lines, code = [], 0
        if self.ns_exists():
            br = subprocess.run(['ip', '-n', self.netns, '-brief', 'address', 'show', BRIDGE], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, universal_newlines=True, check=False).stdout.split()
            lines.append('namespace %s: present (%s)' % (self.netns, ' '.join(br[:1] + br[2:3])))
        else:
            lines.append('namespace %s: absent' % self.netns)
            code = 3
        if os.path.islink(self.path('image')):
            lines.append('image: ' + os.path.realpath(self.path('image')))
        if self.holder_pid():
            lines.append('lock: %s held by holder pid %d' % (self.lock_path, self.holder_pid()))
        for host in ALL_HOSTS:
            pid = self.guest_pid(host)
            state = 'stopped' if not pid else 'running pid %d, ssh %s' % (pid, 'ok' if self.ssh_ok(host) else 'not answering')
            lines.append('%-4s %-13s %s' % (host, address(host), state))
        return '\n'.join(lines), code

    def ssh_argv(self, host, command=()):
        """The argv that runs command (a string or a list, joined by ssh) on a guest, from inside the namespace."""
        check_host(host)
        command = [command] if isinstance(command, str) else list(command)
        return self.in_ns(['ssh', '-F', self.path('ssh_config'), host] + command)

    def ssh(self, host, command, check=False, capture=True, timeout=None):
        """Run command on a guest; a CompletedProcess (text stdout/stderr when capture)."""
        if not self.ns_exists():
            raise LabError('the lab is not up (run: labctl up)')
        return subprocess.run(self.ssh_argv(host, command), check=check, timeout=timeout, universal_newlines=True,
                              stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)

    def exec_in_namespace(self, argv, **kwargs):
        """subprocess.run(argv, **kwargs) inside the lab namespace (ansible-playbook, curl, ...)."""
        if not self.ns_exists():
            raise LabError('the lab is not up (run: labctl up)')
        return subprocess.run(self.in_ns(argv), **kwargs)  # pylint: disable=subprocess-run-check

    def run(self, argv, hosts=None):
        """up(hosts), argv inside the namespace, then down() whatever happens; argv's exit code."""
        _need_root()
        if self.ns_exists():
            raise LabError("a lab is already up in namespace '%s'; 'labctl run' starts from nothing (labctl down first)" % self.netns)
        try:
            self.up(hosts)
            return subprocess.run(self.in_ns(argv), check=False).returncode
        finally:
            with contextlib.suppress(LabError):
                self.down()

    def inventory(self):
        """Paths of the generated client files: hosts (inventory), connection (variables), ssh_config, key."""
        if not os.path.exists(self.path('connection.yml')):
            raise LabError('no connection file yet (run: labctl up)')
        return {'hosts': self.path('hosts.yml'), 'connection': self.path('connection.yml'),
                'ssh_config': self.path('ssh_config'), 'key': self.path('id_ed25519')}


def _need_root():
    if os.geteuid() != 0:
        raise LabError('labctl must run as root (network namespaces, taps, qemu)')


# ---------------------------------------------------------------- module-level API (a Lab() from os.environ per call)

def up(hosts=None):
    return Lab().up(hosts)


def down():
    Lab().down()


def start(host):
    return Lab().start(host)


def kill(host):
    Lab().kill(host)


def ssh(host, command, **kwargs):
    return Lab().ssh(host, command, **kwargs)


def exec_in_namespace(argv, **kwargs):
    return Lab().exec_in_namespace(argv, **kwargs)


def inventory():
    return Lab().inventory()


def addresses():
    """{host: address} of every lab guest."""
    return {h: address(h) for h in ALL_HOSTS}


def lock_held():
    return Lab().lock_held()
