# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""labctl: the lvs.cluster lab launcher (lab/labctl runs this; the work is in lab/lablib.py).

  up [HOST...]        boot guests (default: LAB_HOSTS or dr1 dr2 rs1 rs2), wait for SSH; builds the image on first use
  down                stop every guest, remove taps, bridge, namespace and overlays (safe to repeat)
  status              show the namespace and each guest's state (exit 3 when the lab is down)
  ssh HOST [CMD...]   ssh to a guest (from inside the namespace)
  console HOST        attach to a guest's serial console (root shell; leave with Ctrl-])
  kill HOST           hard-kill a guest's qemu process (power cut, for fault tests)
  start HOST          boot a killed guest again (same disk) and wait for SSH
  exec CMD...         run CMD inside the lab namespace (ansible-playbook, curl http://203.0.113.100/, ...)
  run [--hosts "H.."] -- CMD...
                      up, run CMD inside the namespace, then down whatever happens: for CI and scripts
  inventory           print the path of the generated connection variables (YAML) for Ansible
  hosts               print the lab's host names and addresses
  net                 the namespace and bridge only, no guest
  check-net           check that no route of the host overlaps the lab network (up, start and net do it first)

Guests: dr1 203.0.113.11, dr2 203.0.113.12, rs1 203.0.113.21, rs2 203.0.113.22, rs3 203.0.113.23 (rs3 only on
request); the namespace has 203.0.113.1/24 on br0; 203.0.113.100 is left free for the VIP.
Lock: /run/lvs-lab.lock; under `flock /run/lvs-lab.lock CMD` labctl uses the caller's lock, otherwise `up` starts a
holder process that `down` ends (lab/README.md, "Lock").
Environment: LAB_NETNS, LAB_RUN_DIR, LAB_ACCEL, LAB_CPU, LAB_MEM, LAB_BOOT_TIMEOUT, LAB_LOCK, LAB_LOCK_TIMEOUT,
LAB_HOSTS, LAB_FORCE, LAB_CACHE_DIR (lab/README.md, "Settings").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import sys

import lablib


def usage(code):
    sys.stderr.write(__doc__.split('\n\n', 1)[1])
    return code


def one_host(args):
    if len(args) != 1:
        raise lablib.LabError('expected one lab host (%s)' % ' '.join(lablib.ALL_HOSTS))
    lablib.check_host(args[0])
    return args[0]


def cmd_run(lab, args):
    hosts = None
    if args[:1] == ['--hosts']:
        hosts, args = args[1].split() if len(args) > 1 else [], args[2:]
    if args[:1] == ['--']:
        args = args[1:]
    if not args:
        raise lablib.LabError('usage: labctl run [--hosts "dr1 dr2 ..."] -- CMD...')
    return lab.run(args, hosts)


def main(argv):
    cmd, args = (argv[0], argv[1:]) if argv else ('', [])
    if cmd in ('-h', '--help', 'help'):
        return usage(0)
    # up and run clean up after an interrupt or a TERM (lablib.Lab.up); 128 + the signal, as a shell says.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    lab = lablib.Lab()
    if cmd == 'up':
        lab.up(args)
    elif cmd == 'down' and not args:
        lab.down()
    elif cmd == 'status':
        text, code = lab.status()
        print(text)
        return code
    elif cmd == 'ssh' and args:
        lablib.check_host(args[0])
        if not lab.ns_exists():
            raise lablib.LabError('the lab is not up (run: labctl up)')
        argv = lab.ssh_argv(args[0], args[1:])
        os.execvp(argv[0], argv)
    elif cmd == 'console':
        host = one_host(args)
        serial = lab.path(host + '.serial')
        if not os.path.exists(serial):
            raise lablib.LabError('guest %s is not running' % host)
        lablib.log('serial console of %s: press Ctrl-] to leave' % host)
        os.execvp('socat', ['socat', 'STDIO,raw,echo=0,escape=0x1d', 'UNIX-CONNECT:' + serial])
    elif cmd == 'kill':
        lab.kill(one_host(args))
    elif cmd == 'start':
        lab.start(one_host(args))
    elif cmd == 'exec' and args:
        if not lab.ns_exists():
            raise lablib.LabError('the lab is not up (run: labctl up)')
        os.execvp('ip', lab.in_ns(args))
    elif cmd == 'run':
        return cmd_run(lab, args)
    elif cmd == 'inventory':
        print(lab.inventory()['connection'])
    elif cmd == 'hosts':
        print('\n'.join('%s %s' % item for item in lablib.addresses().items()))
    elif cmd == 'net':
        lab.net()
    elif cmd == 'check-net':
        lab.check_net(verbose=True)
    else:
        return usage(2)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except lablib.LabError as e:
        lablib.log('ERROR: %s' % e)
        sys.exit(1)
    except subprocess.CalledProcessError as e:
        lablib.log('ERROR: %s' % e)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
