# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab tests need of the lab, in one place: guests (lab/lablib.py), Ansible and the client inside the namespace.

The lab's plumbing is lab/lablib.py (qemu, taps, bridge, namespace, lock; lab/labctl is its command line); only this
module calls it. Ansible runs inside the lab namespace with the connection variables the lab generates, under
mitogen's mitogen_linear strategy unless LAB_MITOGEN=0 (docs/performance.md). The client is lab/client.py, also run
inside the namespace (its requests must never leave it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import functools
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD_IMAGE = os.path.join(REPO, 'lab', 'build-image.sh')
CLIENT = os.path.join(REPO, 'lab', 'client.py')
BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(REPO, 'collections')  # collections/ansible_collections/lvs/cluster -> this checkout
if os.path.join(REPO, 'lab') not in sys.path:
    sys.path.insert(0, os.path.join(REPO, 'lab'))
import lablib  # noqa: E402  pylint: disable=wrong-import-position,import-error

LabError = lablib.LabError


def mitogen_strategy_dir():
    """The directory of mitogen's strategy plugins (ansible_mitogen/plugins/strategy), None when mitogen is missing."""
    spec = importlib.util.find_spec('ansible_mitogen')
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], 'plugins', 'strategy')
    return path if os.path.isfile(os.path.join(path, 'mitogen_linear.py')) else None


def load_client():
    """lab/client.py as a module (its helpers read the client's results: pages_line, served, server_of)."""
    spec = importlib.util.spec_from_file_location('lvs_lab_client', CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Lab(object):
    """The running lab (lablib.Lab, settings LAB_* from the environment); `out` is where logs and JSON go."""

    def __init__(self, out, backend='keepalived', mitogen=True, stream=True):
        self.out, self.backend, self.stream = out, backend, stream
        self.lab = lablib.Lab()
        self.netns = self.lab.netns
        self.strategy_dir = None
        if mitogen:
            self.strategy_dir = mitogen_strategy_dir()
            if self.strategy_dir is None:
                raise LabError('mitogen is not installed (pip install -r requirements-dev.txt), or run without it: LAB_MITOGEN=0')
        self.background = []

    # ------------------------------------------------------------ the guests
    def check_net(self):
        """The lab network overlaps no route of this host; returns the check's report."""
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            self.lab.check_net(verbose=True)
        text = buf.getvalue().strip()
        sys.stdout.write(text + '\n')
        return re.sub(r'^lab networks? ', '', text.splitlines()[-1]) if text else 'no overlap'

    @staticmethod
    def image_cached():
        return subprocess.run([BUILD_IMAGE, '--check'], capture_output=True, check=False).returncode == 0

    @staticmethod
    def image_key():
        return subprocess.run([BUILD_IMAGE, '--print-key'], capture_output=True, text=True, check=True).stdout.strip()

    @staticmethod
    def build_image():
        subprocess.run([BUILD_IMAGE], check=True, stdout=subprocess.DEVNULL)

    def exists(self):
        return self.lab.ns_exists()

    def up(self, *hosts):
        self.lab.up(list(hosts))

    def down(self):
        self.lab.down()

    def kill(self, host):
        self.lab.kill(host)

    def start(self, host):
        self.lab.start(host)

    def connection(self):
        """The generated Ansible connection variables (a YAML file for -e @FILE)."""
        return self.lab.inventory()['connection']

    def ssh(self, host, *cmd, **kw):
        """Run CMD on a guest (joined by ssh); a CompletedProcess with text output. check, timeout, input as subprocess."""
        return subprocess.run(self.lab.ssh_argv(host, list(cmd)), capture_output=True, text=True, check=kw.get('check', False),
                              timeout=kw.get('timeout'), input=kw.get('input'))

    # ------------------------------------------------------------ inside the namespace
    def in_ns(self, *cmd, **kw):
        kw.setdefault('capture_output', True)
        kw.setdefault('text', True)
        kw.setdefault('check', False)
        return subprocess.run(self.lab.in_ns(cmd), **kw)

    def client(self, args, save=None, timeout=None):
        """Run lab/client.py with ARGS (a dict) inside the namespace and return its JSON result (also into SAVE)."""
        r = self.in_ns(sys.executable, CLIENT, json.dumps(args), timeout=timeout or float(args.get('max_seconds', 60)) + 60)
        if r.returncode != 0:
            raise LabError('lab client exited %d: %s' % (r.returncode, r.stderr[-2000:]))
        if save:
            with open(os.path.join(self.out, save), 'w') as f:
                f.write(r.stdout)
        return json.loads(r.stdout)

    def client_start(self, args, save):
        """Start lab/client.py in the background (its result goes to SAVE); `client_result` collects it."""
        f = open(os.path.join(self.out, save), 'w')
        p = subprocess.Popen(self.lab.in_ns([sys.executable, CLIENT, json.dumps(args)]), stdout=f, text=True)
        f.close()
        self.background.append(p)
        return p, save

    def client_result(self, started, timeout=120):
        p, save = started
        p.wait(timeout=timeout)
        self.background.remove(p)
        with open(os.path.join(self.out, save)) as f:
            text = f.read()
        if p.returncode != 0 or not text.strip():
            raise LabError('lab client exited %d, printed %r' % (p.returncode, text[-500:]))
        return json.loads(text)

    def stop_background(self):
        for p in list(self.background):
            p.kill()
            p.wait()
            self.background.remove(p)

    # ------------------------------------------------------------ Ansible
    def ansible_env(self, json_results=False, linear=False):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_FORCE_COLOR='0', ANSIBLE_NOCOLOR='1',
                   PY_COLORS='0', PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
        if self.strategy_dir and not linear:
            env.update(ANSIBLE_STRATEGY_PLUGINS=self.strategy_dir, ANSIBLE_STRATEGY='mitogen_linear')
            # mitogen's connect timeout is Ansible's `timeout` (30 s in ansible.cfg) and covers the whole bootstrap: ssh,
            # the guest's python3 start and mitogen's first stage; TCG guests on a busy host took longer than 30 s
            env.setdefault('ANSIBLE_TIMEOUT', '120')
        else:
            env.pop('ANSIBLE_STRATEGY', None)
        if json_results:
            # every result on one JSON line and the set_stats data printed ("RUN: {...}"): the day-2 tests read them
            env.update(ANSIBLE_CALLBACK_RESULT_FORMAT='json', ANSIBLE_SHOW_CUSTOM_STATS='true')
        return env

    def playbook(self, log, *args, **kw):
        """ansible-playbook ARGS inside the namespace, from the repository, with the lab's connection variables and
        lab_backend; the output goes to OUT/LOG.log (and to stdout). Returns (exit status, output).
        linear=True: Ansible's own strategy even when the lab runs under mitogen (see test_lab.LINEAR)."""
        cmd = self.lab.in_ns([os.path.join(BIN, 'ansible-playbook'), '-e', '@' + self.connection(),
                              '-e', 'lab_backend=%s' % self.backend] + list(args))
        lines = []
        with open(os.path.join(self.out, log + '.log'), 'w') as f:
            f.write('# %s\n' % ' '.join(cmd))
            p = subprocess.Popen(cmd, cwd=REPO, env=self.ansible_env(kw.get('json_results', False), kw.get('linear', False)), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, bufsize=1)
            for line in p.stdout:
                lines.append(line)
                f.write(line)
                f.flush()  # the log shows how far a long run got
                if self.stream:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            p.wait()
        return p.returncode, ''.join(lines)

    # ------------------------------------------------------------ guests' state
    def mac(self, host):
        return self.ssh(host, 'cat', '/sys/class/net/eth0/address', check=True).stdout.strip().lower()

    def vip_holders(self, vip, directors=('dr1', 'dr2')):
        pattern = re.compile(r'\binet %s/' % re.escape(vip))
        out = []
        for d in directors:
            r = self.ssh(d, 'ip', '-o', 'addr', 'show', timeout=60)
            if r.returncode == 0 and pattern.search(r.stdout):
                out.append(d)
        return out

    def ipvs_weight(self, director, vip, port, address):
        """IPVS weight of the real server ADDRESS in the service VIP:PORT on DIRECTOR, 'absent' when it is not there."""
        table = self.ssh(director, 'ipvsadm', '-Ln', '-t', '%s:%d' % (vip, port), check=True).stdout
        for line in table.splitlines():
            p = line.split()
            if len(p) >= 4 and p[0] == '->' and p[1] == '%s:%d' % (address, port):
                return p[3]
        return 'absent'


class Timer(object):
    """with Timer() as t: ...; t.seconds"""

    def __enter__(self):
        self.t0 = time.time()
        self.seconds = None
        return self

    def __exit__(self, *exc):
        self.seconds = int(round(time.time() - self.t0))
        return False


def _collection_importable():
    """Make ``ansible_collections.lvs.cluster`` (this checkout, through collections/) importable, as tests/unit does."""
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    import ansible_collections  # pylint: disable=import-outside-toplevel
    extra = os.path.join(COLLECTIONS, 'ansible_collections')
    if extra not in list(ansible_collections.__path__):
        ansible_collections.__path__.append(extra)


@functools.lru_cache(maxsize=None)
def lab_cluster(backend_name):
    """What the fault tests need of the lab's cluster (no secrets): its primary and the model's ``cluster.failback``,
    resolved here on the controller as lvs.cluster.cluster_model resolves it for the lab's playbooks: inventories/lab
    read by Ansible's own inventory and variables with lab_backend=BACKEND_NAME, the model built by the collection."""
    _collection_importable()
    # pylint: disable=import-outside-toplevel
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager
    from ansible_collections.lvs.cluster.plugins.plugin_utils._inventory import resolve

    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[os.path.join(REPO, 'inventories', 'lab')])
    # what `-e lab_backend=...` gives the lab's playbooks (group_vars/web_directors.yml reads it): nothing else in the
    # lab inventory sets lab_backend, so group all's own variables are enough (and leave this process's state alone)
    inventory.groups['all'].set_variable('lab_backend', backend_name)
    variables = VariableManager(loader=loader, inventory=inventory)
    HostVars(inventory, variables, loader)  # a play's hostvars: the model reads every director and real server
    host = sorted(h.name for h in inventory.groups['lvs_directors'].get_hosts())[0]
    result = resolve(variables.get_vars(host=inventory.get_host(host)), host)[0]
    if result['errors']:
        raise AssertionError('the lab inventory is invalid for %s:\n%s' % (backend_name, '\n'.join(result['errors'])))
    if result['cluster']['backend'] != backend_name:
        raise AssertionError('lab_backend=%s resolved to backend %s' % (backend_name, result['cluster']['backend']))
    return {'primary': result['cluster']['primary']['host'], 'failback': dict(result['cluster']['failback'])}
