# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side helpers: read the inventory for the lvs.cluster model, and resolve each host's view once per task.

Reading. Only the hosts that matter are read from Ansible's ``hostvars`` (each one once): the members of
``lvs_directors``, of ``lvs_realservers`` and of the real-server groups the directors' clusters name. Any other host the
model asks for (a view requested for it) is read when asked. Hosts unrelated to LVS are never read.

Resolving once. Ansible runs an action plugin in a worker process forked for each host, so the model built by one
host's worker is lost when it exits. The strategy process imports this module (to inspect the action plugin) before it
forks the first worker of a task, so ``_RUN_KEY`` below is made once per run, in the controller's memory only, and
inherited by every worker of the run. The first worker of a task builds the model once and stores each host's result
in the run's own temporary directory (``DEFAULT_LOCAL_TMP``: mode 0700, removed by Ansible at the end of the run),
one record per host, encrypted and authenticated with AES-GCM under that key: the views hold secrets (VRRP, heartbeat
and piranha passwords), which never reach the disk in clear, and a record is unreadable in any other run. The other
workers of the task read their own record. Records are scoped by play, task and batch: a record is never served to
another task, batch or run. Under the linear strategy every worker of one task sees the same variables, so the record
is exact; under strategies where hosts move on their own (free, host_pinned), each record also carries a keyed digest
of its host's own model variables, checked on use, and a host whose variables changed since the build rebuilds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import hmac
import io
import os
import pickle

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX controller: no shared cache, every worker builds
    fcntl = None

try:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # pragma: no cover - ansible-core requires cryptography; without it, no shared cache
    AESGCM = None

from ansible.errors import AnsibleError

from ansible_collections.lvs.cluster.plugins.module_utils._model import READ_VARS, Model
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import DIRECTORS_GROUP, REALSERVERS_GROUP

# Made when the module is first imported: in the strategy (parent) process, before any worker is forked, under Ansible.
_RUN_KEY = os.urandom(32)
_RUN_KEY_PID = os.getpid()
_READ_SET = frozenset(READ_VARS)
# Strategies that run one task for every host of the batch before the next task: no variable a model reads can change
# between two hosts' workers of one task, so a record of the task's scope is exact for every host without a check.
LOCKSTEP_STRATEGIES = frozenset('%s%s' % (prefix, name) for prefix in ('', 'ansible.builtin.', 'ansible.legacy.')
                                for name in ('linear', 'debug'))


def _native(value):
    """Strip Ansible's tagged/unsafe wrappers so the model sees plain Python types."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return dict((_native(k), _native(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_native(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- reading the inventory

def read_host(hostvars, host):
    """(model variables, names of the other lvs_* variables) of one host, or None if the inventory has no such host."""
    if host not in hostvars:
        return None
    hv = hostvars[host]
    if not hasattr(hv, 'keys'):  # an undefined marker
        return None
    entry, others = {}, []
    for key in list(hv):
        if not isinstance(key, str):
            continue
        if key in _READ_SET:
            try:
                entry[key] = _native(hv[key])
            except AnsibleError as exc:
                raise AnsibleError('lvs.cluster: cannot template %s for host %s: %s' % (key, host, exc))
        elif key.startswith('lvs_'):
            # Names only (never values): misspelt model variables are reported by the model.
            others.append(key)
    return entry, others


class InventoryVars(dict):
    """host -> model variables, read from Ansible's ``hostvars`` once per host: eagerly for the hosts that matter,
    on first use (``get``, which is how the model reads a host) for any other host the model asks for."""

    def __init__(self, hostvars, digest=None):
        super(InventoryVars, self).__init__()
        self.source = hostvars
        self.other_names = {}
        self.absent = set()
        self.reads = []
        # host -> digest of what was read (taken at read time, before the model sees the data), when ``digest`` is given
        self._digest = digest
        self.digests = {}

    def load(self, host):
        if host in self or host in self.absent:
            return
        self.reads.append(host)
        got = read_host(self.source, host)
        if self._digest is not None:
            self.digests[host] = self._digest(got)
        if got is None:
            self.absent.add(host)
            return
        self[host], self.other_names[host] = got

    def get(self, host, default=None):
        self.load(host)
        return dict.get(self, host, default)


def named_groups(directors_vars):
    """The real-server groups that the directors' raw variables name (the cluster's and each service's)."""
    names = {REALSERVERS_GROUP}
    for hv in directors_vars:
        group = hv.get('lvs_realserver_group')
        if isinstance(group, str):
            names.add(group)
        services = hv.get('lvs_virtual_services')
        if isinstance(services, list):
            for svc in services:
                if isinstance(svc, dict) and isinstance(svc.get('real_server_group'), str):
                    names.add(svc['real_server_group'])
    return names


def read_inventory(task_vars, digest=None):
    """(InventoryVars, groups) with every host that matters read once; no other host is read here."""
    groups = dict((g, list(h)) for g, h in (task_vars.get('groups') or {}).items())
    data = InventoryVars(task_vars.get('hostvars') or {}, digest)
    for host in groups.get(DIRECTORS_GROUP, []):
        data.load(host)
    directors_vars = [data[h] for h in groups.get(DIRECTORS_GROUP, []) if h in data]
    for group in sorted(named_groups(directors_vars)):
        for host in groups.get(group) or []:
            data.load(host)
    return data, groups


def model_from_task_vars(task_vars, tree=None):
    """Return the Model of the whole inventory as seen by this task (each host that matters read once)."""
    data, groups = read_inventory(task_vars)
    if tree is None:
        return Model(data, groups, data.other_names)
    return Model(data, groups, data.other_names, group_tree=tree)


def _own_value(value, templated):
    """A group's own value of a model variable for the group tree: plain text, or ``templated`` for a template."""
    if value is None:
        return None
    if isinstance(value, str):
        return templated if ('{{' in value or '{%' in value) else str(value)
    return str(value)


def group_tree(task_vars):
    """group -> {'parents', 'cluster_name', 'backend'}: the inventory's groups with their own (not merged) values of
    lvs_cluster_name and lvs_backend, from the inventory source and the group_vars next to it or to the playbook.

    Reads groups, never hosts. Returns None when this Ansible does not expose its inventory to the action (the relations
    that need the tree are then not checked)."""
    try:
        return _group_tree(task_vars)
    except Exception:  # an Ansible whose inventory objects look otherwise: the tree relations are left unchecked
        return None


def _group_tree(task_vars):
    hostvars = task_vars.get('hostvars')
    inventory = getattr(hostvars, '_inventory', None)
    loader = getattr(hostvars, '_loader', None)
    groups = getattr(inventory, 'groups', None)
    if not isinstance(groups, dict):
        return None
    try:
        from ansible.vars.plugins import get_vars_from_inventory_sources, get_vars_from_path
    except ImportError:  # pragma: no cover - another Ansible layout
        get_vars_from_inventory_sources = get_vars_from_path = None
    basedir = task_vars.get('playbook_dir')
    tree = {}
    for name, group in groups.items():
        own = dict(group.get_vars())
        if get_vars_from_inventory_sources is not None:
            try:
                own.update(get_vars_from_inventory_sources(loader, getattr(inventory, '_sources', []), [group], 'task'))
                if basedir:
                    own.update(get_vars_from_path(loader, basedir, [group], 'task'))
            except Exception:  # a vars plugin that cannot answer for one group: its inventory values still count
                pass
        tree[str(name)] = {'parents': [str(p.name) for p in group.parent_groups],
                           # a templated name cannot be compared before templating: unknown; a templated backend is set
                           'cluster_name': _own_value(own.get('lvs_cluster_name'), None),
                           'backend': _own_value(own.get('lvs_backend'), '(templated)')}
    return tree


# ---------------------------------------------------------------------------------------------- one host's result

def host_result(model, host):
    """What ``cluster_model`` returns for ``host``: plain data (errors as text)."""
    errors = [str(p) for p in model.errors_for(host)]
    if errors:
        return {'errors': errors}
    cluster, me = model.director_view(host)
    return {'errors': [], 'cluster': cluster, 'me': me, 'view': model.backend_view(host),
            'realserver': model.realserver_view(host)}


def _canonical(value):
    """A stable text form of plain data (dict order and key types do not matter), for digests."""
    if isinstance(value, dict):
        return '{%s}' % ','.join(sorted('%s:%s' % (_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return '[%s]' % ','.join(_canonical(v) for v in value)
    return repr(value)


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain data only (dict, list, tuple, set, str, bytes, numbers, bool, None): no class, no callable."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError('lvs.cluster view cache: refusing %s.%s' % (module, name))


_CRYPTO = {}


def _crypto(key):
    """(naming key, digest key, AEAD) derived from ``key``, made once per process (and inherited by forked workers)."""
    if key not in _CRYPTO:
        aead = AESGCM(hmac.new(key, b'lvs.cluster/records', hashlib.sha256).digest())
        nonce = os.urandom(12)
        aead.decrypt(nonce, aead.encrypt(nonce, b'warm', None), None)  # the crypto library's first use happens here
        _CRYPTO[key] = (hmac.new(key, b'lvs.cluster/names', hashlib.sha256).digest(),
                        hmac.new(key, b'lvs.cluster/digests', hashlib.sha256).digest(), aead)
    return _CRYPTO[key]


class ViewCache(object):
    """Per-host results of one model build, shared by the workers of one task through files that only the holder of
    ``key`` can name, read or forge (see the module docstring)."""

    def __init__(self, directory, key):
        if AESGCM is None or fcntl is None:
            raise RuntimeError('no shared cache on this controller')
        self.directory = directory
        self._name_key, self._digest_key, self._aead = _crypto(key)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)

    def _name(self, *parts):
        return hmac.new(self._name_key, '\0'.join(str(p) for p in parts).encode('utf-8', 'surrogateescape'),
                        hashlib.sha256).hexdigest()

    def scope(self, *parts):
        return self._name('scope', *parts)

    def digest(self, host_input):
        return hmac.new(self._digest_key, _canonical(host_input).encode('utf-8', 'surrogateescape'), hashlib.sha256).hexdigest()

    @contextlib.contextmanager
    def lock(self, scope):
        fd = os.open(os.path.join(self.directory, self._name('lock', scope)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def get(self, scope, host):
        """(digest, result) stored for ``host`` in ``scope``, or None."""
        name = self._name('record', scope, host)
        try:
            with open(os.path.join(self.directory, name), 'rb') as f:
                blob = f.read()
            plain = self._aead.decrypt(blob[:12], blob[12:], name.encode('ascii'))
            digest, result = _PlainUnpickler(io.BytesIO(plain)).load()
        except Exception:  # missing, torn, forged or of another run: not a record
            return None
        return digest, result

    def put(self, scope, records):
        """Store ``{host: (digest, result)}``. Stores nothing and returns False if a result is not plain data or a file
        cannot be written (every host then builds its own model: slower, never wrong)."""
        blobs = {}
        for host, record in records.items():
            name = self._name('record', scope, host)
            try:
                # protocol 4 writes sets and frozensets without naming a class: plain data loads back as it was
                plain = pickle.dumps(record, protocol=4)
                _PlainUnpickler(io.BytesIO(plain)).load()
            except Exception:
                return False
            nonce = os.urandom(12)
            blobs[name] = nonce + self._aead.encrypt(nonce, plain, name.encode('ascii'))
        try:
            for name, blob in blobs.items():
                path = os.path.join(self.directory, name)
                tmp = '%s.%d' % (path, os.getpid())
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, 'wb') as f:
                    f.write(blob)
                os.rename(tmp, path)
        except OSError:
            return False
        return True


if AESGCM is not None:
    try:
        _crypto(_RUN_KEY)  # in the strategy process: every worker inherits the derived keys, nothing left to set up
    except Exception:  # pragma: no cover - a broken crypto library: ViewCache() fails later, workers build alone
        pass


def run_cache(local_tmp):
    """The cache shared by the workers of this run, or None when no worker can share it (this process made the key
    itself, so it was not inherited from the strategy process) or the controller cannot hold one."""
    if os.getpid() == _RUN_KEY_PID or not local_tmp:
        return None
    try:
        return ViewCache(os.path.join(local_tmp, 'lvs_cluster_model'), _RUN_KEY)
    except (OSError, RuntimeError):
        return None


def scope_parts(task_vars, task_uuid, play_uuid):
    """What identifies one execution of a task: play, task, batch (serial) and the shape of the inventory."""
    groups = task_vars.get('groups') or {}
    batch = task_vars.get('ansible_play_batch') or []  # O(1) here: its length and ends, not every name
    return (play_uuid, task_uuid, len(batch), batch[0] if batch else None, batch[-1] if batch else None, len(groups),
            len(groups.get('all') or []), len(groups.get(DIRECTORS_GROUP) or []), len(groups.get(REALSERVERS_GROUP) or []))


def resolve(task_vars, host, cache=None, scope=None, check_own=True):
    """(result of ``host``, how it was obtained: 'built', 'hit' or 'off').

    Without ``cache`` the model is built for this host alone. With it, the first caller of ``scope`` builds the model
    once and stores the result of every host of the play (``ansible_play_hosts_all``) and of ``host``; the others read
    theirs. With ``check_own`` (strategies where hosts do not move in lockstep), a record is used only if the host's own
    variables are still those the model was built from (one read of this host's variables).
    """
    if cache is None:
        return host_result(model_from_task_vars(task_vars), host), 'off'
    digest = cache.digest(read_host(task_vars.get('hostvars') or {}, host)) if check_own else None

    def usable(got):
        return got is not None and (digest is None or got[0] == digest)

    got = cache.get(scope, host)
    if usable(got):
        return got[1], 'hit'
    try:
        with cache.lock(scope):
            got = cache.get(scope, host)  # built by another worker while this one waited
            if usable(got):
                return got[1], 'hit'
            return _build_records(task_vars, host, cache, scope), 'built'
    except OSError:  # no lock file (the run's directory is gone or full): this host builds for itself
        return host_result(model_from_task_vars(task_vars), host), 'off'


def _build_records(task_vars, host, cache, scope):
    """Build the model once, store the record of every host of the play (and of ``host``), return ``host``'s result."""
    data, groups = read_inventory(task_vars, cache.digest)
    model = Model(data, groups, data.other_names)
    wanted = list(task_vars.get('ansible_play_hosts_all') or [])
    if host not in wanted:
        wanted.append(host)
    records = {}
    for name in wanted:
        result = host_result(model, name)
        data.load(name)  # a play host outside LVS: read for its own (empty) view only
        records[name] = (data.digests[name], result)
    cache.put(scope, records)
    return records[host][1]
