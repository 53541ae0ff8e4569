# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seeded generator of random VALID inventories for the daemon-parser matrix (tests/daemons).

``generate(backend, seed)`` returns an ``Inventory``: the ``hostvars`` and ``groups`` mappings that
``Model(hostvars, groups)`` takes, with random legal values in every field the model reads (virtual services, every
health-check type of the backend, persistence, sorry servers, quorum, NAT, the backend's own settings, host variables),
biased towards the edges (smallest and largest value, longest name, both address families, ...).

Where a value is legal is learnt from the model itself, not written again here:

* the keys come from the model's tables (``words.SERVICE_KEYS``, ``HEALTH_DEFAULTS``, ``CLUSTER_VARS``, ``HOST_VARS``,
  the backend modules' ``*_DEFAULTS``); a key this file does not know makes ``check_tables()`` fail, so a new model key
  is noticed here before it goes untested;
* the enumerations come from ``words`` (schedulers, protocols and check types per backend, DNS types, forwarding);
* numeric limits, string lengths and the characters a free-text field may carry are probed: a minimal valid inventory
  is built with one value changed and the model is asked (``Prober``). A limit the model tightens is followed at once.

Every generated inventory must be valid: the tests assert ``Model(...).errors == []`` (a refused one is a generator bug,
unless the model is wrong). Run ``python tests/daemons/generate.py BACKEND SEED`` to print one as YAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import ipaddress
import os
import random
import re
import string
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# LVS_TEST_COLLECTIONS: another collections directory holding lvs/cluster (e.g. an exported commit), for debugging.
_COLLECTIONS = os.environ.get('LVS_TEST_COLLECTIONS') or os.path.abspath(os.path.join(_HERE, '..', '..', 'collections'))
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._model import words  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._model import heartbeat_ldirectord as _hb  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._model import keepalived as _ka  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._model import piranha as _pi  # noqa: E402

BACKENDS = words.BACKENDS

# Documentation-only address space (RFC 5737 / RFC 3849): directors and VIPs, real servers, IPv6.
DIRECTOR_NET4 = ipaddress.ip_network('203.0.113.0/25')
VIP_NET4 = ipaddress.ip_network('203.0.113.128/25')
RS_NET4 = ipaddress.ip_network('198.51.100.0/25')
INSIDE_NET4 = ipaddress.ip_network('198.51.100.128/25')
DIRECTOR_NET6 = ipaddress.ip_network('2001:db8:0:1::/64')
VIP_NET6 = ipaddress.ip_network('2001:db8:0:2::/64')
RS_NET6 = ipaddress.ip_network('2001:db8:0:3::/64')
INSIDE_NET6 = ipaddress.ip_network('2001:db8:0:4::/64')

PRINTABLE = ''.join(chr(c) for c in range(0x20, 0x7f))
ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits

# Interface names that mean something to a program on the way: ip(8) keyword abbreviations, words heartbeat's
# ResourceManager looks for in a resource's status output (OK, running), dots, the longest Linux name.
IFNAME_EDGES = ('b', 'dev', 'mtu', 'OK', 'ok0', 'Running1', 'not', 'eth0.100', 'a.b-c_d', 'e123456789abcde', 'x', 'help')

# Candidate alphabets (a superset of what the model's grammars allow; the prober keeps what the model accepts).
CANDIDATES = {
    'name': ALNUM + '_.-',
    'ifname': ALNUM + '_.-',
    'group': ALNUM + '_-',
    'cluster': LOWER_ALNUM + '_-',
    'node': ALNUM + '_.-',
    'url': ALNUM + "._~%/?&=+,:@*()[]-!$'#;",
    'text': PRINTABLE,
    'secret': PRINTABLE,
    'path_word': ALNUM + '_.+@=,-',
    'arg': ALNUM + '_.,:=+@%/-',
    'user': string.ascii_lowercase + string.digits + '_-',
    'router_id': ALNUM + '_.-',
    'segment': ALNUM + '_.-',
}

# Keys of the model's tables and what this generator does with them. check_tables() compares them with the model.
KNOWN = {
    'SERVICE_KEYS': {'name', 'vip', 'vip_prefix', 'port', 'fwmark', 'protocol', 'scheduler', 'forwarding',
                     'persistence_timeout', 'persistence_netmask', 'real_server_port', 'real_server_group',
                     'sorry_server', 'quorum', 'hysteresis', 'health_check'},
    'HEALTH_DEFAULTS': {'type', 'port', 'path', 'status_code', 'digest', 'host', 'expect', 'send', 'timeout', 'retry',
                        'delay_before_retry', 'interval', 'misc_path', 'dns_name', 'dns_type', 'helo_name'},
    'CLUSTER_VARS': {'lvs_backend', 'lvs_cluster_name', 'lvs_interface', 'lvs_l2_segment', 'lvs_realserver_group',
                     'lvs_virtual_services', 'lvs_notification_email', 'lvs_notification_email_from', 'lvs_smtp_server',
                     'lvs_sync_daemon', 'lvs_sync_id', 'lvs_timeouts', 'lvs_nat', 'lvs_firewall', 'lvs_keepalived',
                     'lvs_heartbeat', 'lvs_ldirectord', 'lvs_piranha'},
    'HOST_VARS': {'lvs_address', 'lvs_director_role', 'lvs_priority', 'lvs_node_name', 'lvs_weight', 'lvs_weights',
                  'lvs_realserver_interface', 'ansible_host'},
    'KEEPALIVED_DEFAULTS': {'vrid', 'unicast', 'auth_type', 'auth_pass', 'advert_int', 'preempt', 'preempt_delay',
                            'track_interfaces', 'track_scripts', 'notify', 'script_user', 'router_id'},
    'TRACK_SCRIPT_DEFAULTS': {'interval', 'weight', 'fall', 'rise'},
    'HEARTBEAT_DEFAULTS': {'udpport', 'keepalive', 'warntime', 'deadtime', 'initdead', 'auto_failback', 'link',
                           'mcast_group', 'ping_nodes', 'authkey', 'logfacility'},
    'LDIRECTORD_DEFAULTS': {'checktimeout', 'checkinterval', 'failurecount', 'autoreload', 'quiescent', 'logfile'},
    'PIRANHA_DEFAULTS': {'heartbeat_port', 'keepalive', 'deadtime', 'debug_level', 'monitor_links', 'gui', 'gui_password',
                         'config_only', 'install', 'binaries_dir'},
}


def model_tables():
    """The model's own key tables, by the names used in KNOWN."""
    return {
        'SERVICE_KEYS': set(words.SERVICE_KEYS),
        'HEALTH_DEFAULTS': set(words.HEALTH_DEFAULTS),
        'CLUSTER_VARS': set(words.CLUSTER_VARS),
        'HOST_VARS': set(words.HOST_VARS),
        'KEEPALIVED_DEFAULTS': set(_ka.KEEPALIVED_DEFAULTS),
        'TRACK_SCRIPT_DEFAULTS': set(_ka.TRACK_SCRIPT_DEFAULTS),
        'HEARTBEAT_DEFAULTS': set(_hb.HEARTBEAT_DEFAULTS),
        'LDIRECTORD_DEFAULTS': set(_hb.LDIRECTORD_DEFAULTS),
        'PIRANHA_DEFAULTS': set(_pi.PIRANHA_DEFAULTS),
    }


def check_tables():
    """Differences between the model's key tables and what this generator fills: [] when in step."""
    out = []
    for table, keys in sorted(model_tables().items()):
        for key in sorted(keys - KNOWN[table]):
            out.append('%s.%s: the model has this key, tests/daemons/generate.py never sets it' % (table, key))
        for key in sorted(KNOWN[table] - keys):
            out.append('%s.%s: tests/daemons/generate.py sets this key, the model no longer has it' % (table, key))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# A minimal valid inventory per backend, and the prober that asks the model what is legal.

def _base_cluster(backend):
    cv = {
        'lvs_backend': backend,
        'lvs_cluster_name': 'probe',
        'lvs_interface': 'eth0',
        'lvs_realserver_group': 'probe_rs',
        'lvs_virtual_services': [{'name': 'www', 'vip': '203.0.113.200', 'port': 80, 'forwarding': 'dr',
                                  'health_check': {'type': 'tcp'}}],
    }
    if backend == 'keepalived':
        cv['lvs_keepalived'] = {'auth_type': 'PASS', 'auth_pass': 'Zx8Kq2Lm'}
    elif backend == 'heartbeat_ldirectord':
        cv['lvs_heartbeat'] = {'authkey': 'Zx8Kq2Lm-probe-key'}
    return cv


def _materialise(cv, directors=None, realservers=None, rs_vars=None, dr_vars=None, extra_groups=None):
    directors = directors or {'pd1': '203.0.113.1'}
    realservers = realservers or {'pr1': '198.51.100.1'}
    hostvars, groups = {}, {}
    for host, addr in directors.items():
        hostvars[host] = dict(copy.deepcopy(cv), ansible_host=addr)
        hostvars[host].update((dr_vars or {}).get(host, {}))
    for host, addr in realservers.items():
        hostvars[host] = {'ansible_host': addr}
        hostvars[host].update((rs_vars or {}).get(host, {}))
    name = cv.get('lvs_cluster_name', 'lvs')
    groups['all'] = sorted(hostvars)
    groups['lvs_directors'] = sorted(directors)
    groups['%s_directors' % name] = sorted(directors)
    groups['lvs_realservers'] = sorted(realservers)
    groups[cv.get('lvs_realserver_group', 'lvs_realservers')] = sorted(realservers)
    groups.update(extra_groups or {})
    return hostvars, groups


def _set(obj, path, value):
    for key in path[:-1]:
        obj = obj.setdefault(key, {}) if isinstance(obj, dict) else obj[key]
    if value is _DELETE:
        obj.pop(path[-1], None)
    else:
        obj[path[-1]] = value


_DELETE = object()


class Prober(object):
    """Ask the model whether one value is legal, everything else being a minimal valid inventory of ``backend``."""

    def __init__(self, backend):
        self.backend = backend
        self._cache = {}
        base = _base_cluster(backend)
        errors = Model(*_materialise(base)).errors
        if errors:
            raise AssertionError('the minimal %s inventory of tests/daemons/generate.py is refused: %s'
                                 % (backend, '; '.join(str(e) for e in errors)))

    def ok(self, changes):
        """``changes``: list of (path, value) applied to the cluster variables; True when the model accepts them."""
        cv = _base_cluster(self.backend)
        for path, value in changes:
            _set(cv, path, value if value is _DELETE else copy.deepcopy(value))
        return not Model(*_materialise(cv)).errors

    def int_range(self, path, good, context=(), lo=-(2 ** 33), hi=2 ** 33):
        """The interval of integers the model accepts at ``path`` (``good`` is a value known to be accepted)."""
        key = ('int', path, repr(context))
        if key not in self._cache:
            def accepted(value):
                return self.ok(list(context) + [(path, value)])
            if not accepted(good):
                raise AssertionError('%s: the model refuses %r at %s' % (self.backend, good, '.'.join(map(str, path))))
            self._cache[key] = (_gallop(accepted, good, -1, lo), _gallop(accepted, good, 1, hi))
        return self._cache[key]

    def chars(self, path, candidates, make, context=()):
        """Characters accepted inside a value: ``make(ch)`` builds a value around one character."""
        key = ('chars', path, candidates, repr(context), make(''))
        if key not in self._cache:
            self._cache[key] = ''.join(ch for ch in candidates if self.ok(list(context) + [(path, make(ch))]))
        return self._cache[key]

    def max_len(self, path, make, context=(), limit=4096):
        """The longest ``make(n)`` the model accepts (``make(1)`` must be accepted)."""
        key = ('len', path, repr(context), make(1))
        if key not in self._cache:
            a, b = 1, limit + 1
            if not self.ok(list(context) + [(path, make(1))]):
                raise AssertionError('%s: the model refuses %r at %s' % (self.backend, make(1), path))
            while b - a > 1:
                mid = (a + b) // 2
                if self.ok(list(context) + [(path, make(mid))]):
                    a = mid
                else:
                    b = mid
            self._cache[key] = a
        return self._cache[key]

    def accepts(self, path, value, context=()):
        key = ('value', path, repr(value), repr(context))
        if key not in self._cache:
            self._cache[key] = self.ok(list(context) + [(path, value)])
        return self._cache[key]


def _gallop(accepted, good, direction, limit):
    """The last accepted integer from ``good`` towards ``limit`` (acceptance is an interval): steps 1, 2, 4, ... then halves."""
    last, step = good, 1
    while True:
        nxt = last + direction * step
        if (nxt - limit) * direction > 0:
            nxt = limit
        if nxt == last or not accepted(nxt):
            break
        last, step = nxt, step * 2
    bad = last + direction * step if (last + direction * step - limit) * direction <= 0 else limit + direction
    while abs(bad - last) > 1:  # last accepted, bad refused (or past the limit)
        mid = (last + bad) // 2
        if accepted(mid):
            last = mid
        else:
            bad = mid
    return last


_PROBERS = {}


def prober(backend):
    if backend not in _PROBERS:
        _PROBERS[backend] = Prober(backend)
    return _PROBERS[backend]


SVC = ('lvs_virtual_services', 0)
# the probe service under NAT (the model wants an inside VIP on its own interface then)
NAT_CTX = ((SVC + ('forwarding',), 'nat'), (('lvs_nat',), {'inside_vip': '198.51.100.254', 'inside_interface': 'eth1'}))
HC = SVC + ('health_check',)


def _hc_context(check_type, backend=None, **extra):
    ctx = [(HC, dict({'type': check_type}, **extra))]
    if check_type == 'misc':
        ctx[0][1].setdefault('misc_path', '/usr/local/bin/check')
        if backend and not prober(backend).accepts(HC, dict(ctx[0][1])):
            ctx[0][1].setdefault('expect', 'OK')  # piranha's nanny compares the script's output with expect
    if check_type == 'dns':
        ctx[0][1].setdefault('dns_name', 'www.example.com')
    return tuple((p, v) for p, v in ctx)


# ---------------------------------------------------------------------------------------------------------------------
# Random values.

class Gen(object):
    """Random values for one inventory, drawn from ``random.Random(seed)``; ``edge`` is the chance of an edge value."""

    def __init__(self, backend, seed, edge=0.3):
        self.backend = backend
        self.seed = seed
        self.rng = random.Random('%s:%s' % (backend, seed))
        self.edge = edge
        self.probe = prober(backend)
        self._used = set()
        self._pools = {}

    # -- primitives
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        seq = list(seq)
        return seq[self.rng.randrange(len(seq))]

    def integer(self, lo, hi):
        """An integer in [lo, hi], the bounds themselves with probability ``edge``."""
        if lo >= hi:
            return lo
        r = self.rng.random()
        if r < self.edge / 2:
            return lo
        if r < self.edge:
            return hi
        if self.chance(0.5):
            return self.rng.randint(lo, min(hi, lo + 20))
        return self.rng.randint(lo, hi)

    def length(self, lo, hi):
        return self.integer(lo, hi)

    def word(self, alphabet, lo, hi, first=None, last=None):
        n = self.length(lo, hi)
        out = [self.pick(alphabet) for _ in range(n)]
        if first and out:
            out[0] = self.pick(first)
        if last and len(out) > 1:
            out[-1] = self.pick(last)
        return ''.join(out)

    def unique(self, kind, make, tries=200):
        for _ in range(tries):
            value = make()
            if (kind, value) not in self._used:
                self._used.add((kind, value))
                return value
        raise AssertionError('seed %s: could not draw a unique %s' % (self.seed, kind))

    def address(self, net):
        """A fresh address of ``net`` (never the network or broadcast address, never drawn twice)."""
        net = ipaddress.ip_network(net)
        size = min(net.num_addresses - 2, 2 ** 20)

        def make():
            return str(net.network_address + self.rng.randint(1, size))
        return self.unique('address', make)

    # -- grammars (the alphabets are the model's: probed)
    def name(self, lo=1):
        alphabet = self.probe.chars(SVC + ('name',), CANDIDATES['name'], lambda c: 'a%sb' % c)
        hi = self.probe.max_len(SVC + ('name',), lambda n: 'a' * n)
        return self.unique('name', lambda: self.word(alphabet, lo, hi, first=ALNUM))

    def ifname(self, avoid=(), path=('lvs_interface',)):
        alphabet = self.probe.chars(path, CANDIDATES['ifname'], lambda c: 'e%s0' % c)
        hi = self.probe.max_len(path, lambda n: 'e' * n, limit=64)

        def make():
            if self.chance(self.edge / 3):
                value = self.pick(IFNAME_EDGES)
            else:
                value = self.word(alphabet, 1, hi, first=string.ascii_letters)
            return value if value not in avoid and value not in ('lo', '.', '..') and self.probe.accepts(path, value) else None
        for _ in range(100):
            value = self.unique('ifname', make)
            if value:
                return value
        raise AssertionError('seed %s: no interface name' % self.seed)

    def group_name(self):
        alphabet = self.probe.chars(('lvs_realserver_group',), CANDIDATES['group'], lambda c: 'g%sx' % c)
        return self.unique('group', lambda: self.word(alphabet, 1, 40, first=string.ascii_letters + '_'))

    def hostname(self, path, context=(), one_char_label=None):
        """A DNS name; ``one_char_label``: first label of one character (keepalived 2.2.7 refuses them)."""
        labels = []
        for i in range(self.integer(1, 4)):
            n = 1 if (i == 0 and one_char_label) else self.length(1 if i else 2, 63 if self.chance(0.1) else 12)
            label = self.word(ALNUM + '-', n, n, first=ALNUM, last=ALNUM)
            labels.append(label)
        value = '.'.join(labels)
        if self.chance(0.1):
            value += '.'
        if one_char_label is None and self.chance(self.edge / 2):
            value = self.pick(ALNUM) + '.' + value.lstrip('.')
        return value if self.probe.accepts(path, value, context) else 'www.example.com'

    def email(self):
        local = self.word(ALNUM + '._%+-', 1, 64 if self.chance(0.1) else 10, first=ALNUM, last=ALNUM)
        return '%s@%s' % (local, self.pick(['example.com', 'mail.example.org', 'ops.example.net', 'e.example']))

    def text(self, path, context, lo=1):
        """A free-text value (expect/send strings): every character the model accepts there, up to its length limit."""
        mid = self.probe.chars(path, CANDIDATES['text'], lambda c: 'a%sb' % c, context)
        ends = self.probe.chars(path, mid, lambda c: '%sb' % c, context)
        ends = self.probe.chars(path, ends, lambda c: 'a%s' % c, context)
        hi = self.probe.max_len(path, lambda n: 'a' * n, context, limit=2048)
        n = self.length(lo, hi)
        if n == 1:
            return self.pick(ends)
        if self.chance(self.edge / 2):
            # only punctuation: every character needs the daemon's quoting or escaping (the longest rendered line)
            punct = ''.join(c for c in mid if not c.isalnum() and c != ' ') or mid
            value = self.word(punct, n, n, first=[c for c in ends if c in punct] or ends,
                              last=[c for c in ends if c in punct] or ends)
            if self.probe.accepts(path, value, context):
                return value
        return self.word(mid, n, n, first=ends, last=ends)

    def abs_path(self):
        alphabet = CANDIDATES['path_word']
        words_ = [self.word(alphabet, 1, 12, first=ALNUM) for _ in range(self.integer(1, 3))]
        return '/' + '/'.join([self.pick(SCRIPT_DIRS).strip('/')] + words_)

    def argv(self, path, context=()):
        """A command (absolute path and arguments) as one string of blank-separated words."""
        alphabet = self.probe.chars(path, CANDIDATES['arg'], lambda c: '/usr/local/bin/x a%sb' % c, context)
        words_ = [self.abs_path()]
        for _ in range(self.integer(0, 4) if alphabet else 0):
            words_.append(self.word(alphabet, 1, 30, first=ALNUM))
        if alphabet and self.chance(0.3):
            words_.append(self.pick(['%h', '%p', '--port=%p', '--host=%h']))
        value = ' '.join(words_)
        return value if self.probe.accepts(path, value, context) else words_[0]

    def accepted(self, path, draw, fallback, context=()):
        """A value from ``draw()`` that the model accepts at ``path`` (for rules that are not an interval)."""
        for _ in range(20):
            value = draw()
            if self.probe.accepts(path, value, context):
                return value
        return fallback

    def secret(self, path, lo, hi, context=()):
        alphabet = self.probe.chars(path, CANDIDATES['secret'], lambda c: 'Zx8Kq2L%s' % c, context)
        return self.word(alphabet, lo, hi)


# Directories the generated scripts live in: the keepalived judge mounts a tmpfs on each of them in its namespace
# and creates the scripts there, so nothing on the host is touched.
SCRIPT_DIRS = ('/usr/local/bin', '/usr/local/sbin', '/opt/lvs-judge', '/etc/keepalived/scripts')


def _range(g, path, good, context=()):
    return g.probe.int_range(path, good, tuple(context))


# ---------------------------------------------------------------------------------------------------------------------
# The inventory.

class Inventory(object):
    """A generated inventory: ``hostvars`` and ``groups`` for ``Model``, plus what the judges need to know."""

    def __init__(self, backend, seed, hostvars, groups, cluster_name, directors, interfaces, scripts, users):
        self.backend = backend
        self.seed = seed
        self.hostvars = hostvars
        self.groups = groups
        self.cluster_name = cluster_name
        self.directors = directors          # host names, in the order of the cluster group
        self.interfaces = interfaces        # every interface name a director's file names
        self.scripts = scripts              # absolute paths of every program a director's file runs
        self.users = users                  # system users a director's file names (keepalived script_user)

    def model(self):
        return Model(self.hostvars, self.groups)

    def as_dict(self):
        return {'backend': self.backend, 'seed': self.seed, 'hostvars': self.hostvars, 'groups': self.groups}


def _health(g, svc, family, fwmark):
    b = g.backend
    types = [t for t in words.BACKEND_CHECKS[b]]
    t = g.pick(types)
    hc = {'type': t}
    ctx = _hc_context(t, b)
    if t == 'misc' and 'expect' in ctx[0][1]:
        hc['expect'] = g.text(HC + ('expect',), ctx)
    if fwmark or g.chance(0.3):
        lo, hi = _range(g, HC + ('port',), 80, ctx)
        hc['port'] = g.integer(lo, hi)
    for key, good in (('timeout', 3), ('retry', 3), ('delay_before_retry', 1), ('interval', 6)):
        if g.chance(0.8):
            lo, hi = _range(g, HC + (key,), good, ctx)
            hc[key] = g.integer(lo, hi)
    if t in ('http', 'https'):
        alphabet = g.probe.chars(HC + ('path',), CANDIDATES['url'], lambda c: '/a%sb' % c, ctx)
        hc['path'] = '/' + g.word(alphabet, 0, 60)
        lo, hi = _range(g, HC + ('status_code',), 200, ctx)
        hc['status_code'] = g.integer(lo, hi)
        if g.probe.accepts(HC + ('digest',), 'd41d8cd98f00b204e9800998ecf8427e', ctx) and g.chance(0.4):
            hc['digest'] = ''.join(g.pick('0123456789abcdefABCDEF') for _ in range(32))
        if g.chance(0.6):
            hc['host'] = g.hostname(HC + ('host',), ctx)
    if t in ('http', 'https', 'tcp') and g.chance(0.6) and g.probe.accepts(HC + ('expect',), 'a', ctx):
        hc['expect'] = g.text(HC + ('expect',), ctx)
    if t == 'tcp' and g.chance(0.5) and g.probe.accepts(HC + ('send',), 'PING', ctx):
        hc['send'] = g.text(HC + ('send',), ctx)
    if t == 'misc':
        hc['misc_path'] = g.argv(HC + ('misc_path',), ctx)
    if t == 'dns':
        one = g.chance(g.edge)
        hc['dns_name'] = g.hostname(HC + ('dns_name',), ctx, one_char_label=one)
        hc['dns_type'] = g.pick([d for d in words.DNS_TYPES if g.probe.accepts(HC + ('dns_type',), d, ctx)])
        if g.chance(0.3):
            hc['expect'] = g.text(HC + ('expect',), ctx) if g.probe.accepts(HC + ('expect',), 'a', ctx) else None
            if hc['expect'] is None:
                del hc['expect']
    if t == 'smtp':
        hc['helo_name'] = g.hostname(HC + ('helo_name',), ctx)
    return hc


def _service(g, index, family, forwarding, rs_group, cluster_vips):
    b = g.backend
    svc = {'name': g.name()}
    # cluster_vips: VIP -> vip_prefix given to its first service (None: the default)
    same = [v for v in cluster_vips if (':' in v) == (family == 6)]
    vip = g.pick(same) if same and g.chance(0.3) else None
    if vip is None:
        vip = g.address(VIP_NET4 if family == 4 else VIP_NET6)
        cluster_vips[vip] = g.integer(1, 32 if family == 4 else 128) if g.chance(0.2) else None
        prefix = cluster_vips[vip]
    else:
        # a VIP shared by several services: with its first service's prefix, unless the backend takes another one
        other = 31 if family == 4 else 127
        free = g.probe.accepts(('lvs_virtual_services',), [
            {'name': 'a', 'vip': '203.0.113.200', 'vip_prefix': 32, 'port': 80},
            {'name': 'b', 'vip': '203.0.113.200', 'vip_prefix': 31, 'port': 81}])
        prefix = g.pick([cluster_vips[vip], other]) if free else cluster_vips[vip]
    svc['vip'] = vip
    if prefix is not None:
        svc['vip_prefix'] = prefix
    fwmark = g.chance(0.2)
    if fwmark:
        lo, hi = _range(g, SVC + ('fwmark',), 1, [(SVC + ('port',), _DELETE), (HC + ('port',), 80)])
        svc['fwmark'] = g.unique('fwmark', lambda: g.integer(lo, hi))
    else:
        lo, hi = _range(g, SVC + ('port',), 80)
        svc['port'] = g.unique('port', lambda: g.integer(lo, hi))
    if g.chance(0.8):
        svc['protocol'] = g.pick(words.BACKEND_PROTOCOLS[b])
    if g.chance(0.8):
        svc['scheduler'] = g.pick(words.SCHEDULERS[b])
    svc['forwarding'] = forwarding
    if g.chance(0.4):
        lo, hi = _range(g, SVC + ('persistence_timeout',), 300)
        svc['persistence_timeout'] = g.integer(max(lo, 1), hi)
        if g.chance(0.5):
            bits = g.integer(1, 32)
            mask = str(ipaddress.IPv4Network('0.0.0.0/%d' % bits).netmask) if g.chance(0.7) else bits
            if g.probe.accepts(SVC + ('persistence_netmask',), mask, [(SVC + ('persistence_timeout',), 300)]):
                svc['persistence_netmask'] = mask
    elif g.chance(0.1):
        svc['persistence_timeout'] = 0
    if forwarding == 'nat' and not fwmark and g.chance(0.5):
        lo, hi = _range(g, SVC + ('real_server_port',), 80, NAT_CTX)
        svc['real_server_port'] = g.integer(lo, hi)
    elif forwarding != 'nat' and not fwmark and g.chance(0.1):
        svc['real_server_port'] = svc['port']
    if rs_group is not None:
        svc['real_server_group'] = rs_group
    if g.chance(0.3):
        sorry = {'address': g.address(RS_NET4 if family == 4 else RS_NET6)}
        free_port = g.probe.accepts(SVC + ('sorry_server',), {'address': '198.51.100.9', 'port': 81},
                                    NAT_CTX + ((SVC + ('real_server_port',), 8080),))
        if forwarding == 'nat' and not free_port:
            if not fwmark:
                sorry['port'] = svc['port']  # piranha sends to the sorry server on the virtual port
        elif forwarding == 'nat' and g.chance(0.6):
            sorry['port'] = g.integer(1, 65535)
        elif forwarding != 'nat' and not fwmark and g.chance(0.3):
            sorry['port'] = svc['port']
        svc['sorry_server'] = sorry
    svc['health_check'] = _health(g, svc, family, fwmark)
    return svc


def generate(backend, seed, edge=0.3):
    """A random valid inventory of one ``backend`` cluster (plus its real servers), reproducible from ``seed``."""
    if backend not in BACKENDS:
        raise ValueError('unknown backend %r' % backend)
    g = Gen(backend, seed, edge)
    b = backend
    cv = {'lvs_backend': b}
    name_alpha = g.probe.chars(('lvs_cluster_name',), CANDIDATES['cluster'], lambda c: 'a%sb' % c)
    name_hi = g.probe.max_len(('lvs_cluster_name',), lambda n: 'a' * n)
    cluster_name = g.word(name_alpha, 1, name_hi, first=string.ascii_lowercase)
    cv['lvs_cluster_name'] = cluster_name
    interface = g.ifname()
    cv['lvs_interface'] = interface
    interfaces = [interface]
    if g.chance(0.3):
        alpha = g.probe.chars(('lvs_l2_segment',), CANDIDATES['segment'], lambda c: 'a%sb' % c)
        cv['lvs_l2_segment'] = g.word(alpha, 1, 30, first=ALNUM)

    # directors: keepalived may run on IPv6 addresses; heartbeat ucast and piranha need IPv4.
    n_dirs = 2 if b == 'piranha' else g.pick([1, 2, 2, 2, 3])
    # heartbeat: the link decides whether IPv6 director addresses are possible (ucast takes IPv4 only)
    hb_link = g.pick(['ucast', 'bcast', 'mcast']) if b == 'heartbeat_ldirectord' else None
    six = b == 'keepalived' or (hb_link in ('bcast', 'mcast') and _ipv6_directors_ok(g, hb_link))
    dir_family = 6 if (six and g.chance(0.25)) else 4
    directors = ['d%d-%s' % (i + 1, seed) for i in range(n_dirs)]
    dir_addr = dict((h, g.address(DIRECTOR_NET4 if dir_family == 4 else DIRECTOR_NET6)) for h in directors)

    # services: families and forwarding
    if b == 'keepalived':
        families = [4, 6]
    else:
        families = [4]
    n_svc = g.integer(1, 6)
    fwd_all = list(words.FORWARDING)
    piranha_fwd = g.pick(fwd_all)
    svc_specs = []
    for i in range(n_svc):
        fam = g.pick(families) if g.chance(0.5) else dir_family if dir_family in families else 4
        fwd = piranha_fwd if b == 'piranha' else g.pick(fwd_all)
        svc_specs.append((fam, fwd))
    # keepalived with unicast VRRP holds only addresses of the directors' family: one VIP at least, and the inside VIP
    unicast = b == 'keepalived' and g.chance(0.5)
    if unicast:
        if not any(fam == dir_family for fam, _f in svc_specs):
            svc_specs[0] = (dir_family, svc_specs[0][1])
        svc_specs = [(fam, 'dr' if f == 'nat' and fam != dir_family else f) for fam, f in svc_specs]
    # one inside VIP is the gateway of every NAT real server: NAT services share its family
    nat_families = [fam for fam, f in svc_specs if f == 'nat']
    uses_nat = bool(nat_families)
    inside_fam = nat_families[0] if nat_families else dir_family
    svc_specs = [(fam, 'dr' if f == 'nat' and fam != inside_fam else f) for fam, f in svc_specs]

    # real servers: one group per family (the cluster's group for the directors' family), optional subgroups
    rs_hosts, rs_vars, extra_groups = {}, {}, {}
    rs_groups = {}
    for fam in sorted(set(f for f, _ in svc_specs)):
        gname = g.group_name()
        members = []
        for j in range(g.integer(1, 4)):
            host = 'r%d%s-%s' % (fam, chr(ord('a') + j), seed)
            rs_hosts[host] = g.address(RS_NET4 if fam == 4 else RS_NET6)
            members.append(host)
        rs_groups[fam] = (gname, members)
        extra_groups[gname] = members
    main_family = dir_family if dir_family in rs_groups else sorted(rs_groups)[0]
    cv['lvs_realserver_group'] = rs_groups[main_family][0]

    cluster_vips = {}
    services = []
    for i, (fam, fwd) in enumerate(svc_specs):
        group = None if fam == main_family else rs_groups[fam][0]
        if fam == main_family and len(rs_groups[fam][1]) > 1 and g.chance(0.2):
            sub = g.group_name()
            extra_groups[sub] = rs_groups[fam][1][:1]
            group = sub
        services.append(_service(g, i, fam, fwd, group, cluster_vips))
    # every real server serves a service (a subgroup must not leave the others of its family unused)
    used = set()
    for svc in services:
        used.update(extra_groups[svc.get('real_server_group', cv['lvs_realserver_group'])])
    for svc, (fam, _fwd) in zip(services, svc_specs):
        if not set(rs_groups[fam][1]) <= used and svc.get('real_server_group') not in (None, rs_groups[fam][0]):
            extra_groups.pop(svc['real_server_group'])
            svc['real_server_group'] = rs_groups[fam][0] if fam != main_family else None
            if svc['real_server_group'] is None:
                del svc['real_server_group']
            used.update(rs_groups[fam][1])
    cv['lvs_virtual_services'] = services

    # real-server host variables
    for host in rs_hosts:
        hv = {}
        lo, hi = _range_host(g, 'lvs_weight', 1)
        if g.chance(0.5):
            hv['lvs_weight'] = g.integer(lo, hi)
        if g.chance(0.2):
            mine = [s['name'] for s in services if host in extra_groups[s.get('real_server_group', cv['lvs_realserver_group'])]]
            hv['lvs_weights'] = dict((name, g.integer(lo, hi)) for name in mine if g.chance(0.5))
        if g.chance(0.4):
            hv['lvs_realserver_interface'] = g.ifname(path=('lvs_interface',))
        if g.chance(0.2):
            hv['lvs_address'] = rs_hosts[host]
            hv['ansible_host'] = '%s.example.net' % host
        rs_vars[host] = hv

    # quorum: at most the sum of the real servers' weights (each service needs one server with weight > 0)
    for svc, (fam, _fwd) in zip(services, svc_specs):
        gname = svc.get('real_server_group', cv['lvs_realserver_group'])
        members = extra_groups[gname]
        total = 0
        for host in members:
            hv = rs_vars[host]
            w = hv.get('lvs_weights', {}).get(svc['name'], hv.get('lvs_weight', 1))
            total += w
        if total == 0:
            host = members[0]
            rs_vars[host].setdefault('lvs_weights', {})[svc['name']] = 1
            total = 1
        if g.chance(0.5):
            svc['quorum'] = g.integer(1, min(total, 65535))
        if g.chance(0.4):
            # keepalived wants hysteresis below quorum; the other backends do not read it
            below = not g.probe.accepts(SVC + ('hysteresis',), 1, [(SVC + ('quorum',), 1)])
            if below:
                svc['hysteresis'] = g.integer(0, svc.get('quorum', 1) - 1)
            else:
                lo, hi = _range(g, SVC + ('hysteresis',), 0)
                svc['hysteresis'] = g.integer(lo, hi)

    # cluster-wide settings
    if g.chance(0.5):
        most = 3 if g.probe.accepts(('lvs_notification_email',), ['a@example.com', 'b@example.com']) else 1
        cv['lvs_notification_email'] = [g.email() for _ in range(g.integer(1, most))]
    if g.chance(0.4):
        cv['lvs_notification_email_from'] = g.email()
    if g.chance(0.4):
        smtp = g.address(RS_NET4) if g.chance(0.7) or b != 'keepalived' else g.address(RS_NET6)
        if ':' not in smtp and g.chance(0.4) and (b != 'heartbeat_ldirectord' or not cv.get('lvs_notification_email')):
            smtp = '%s:%d' % (smtp, g.integer(1, 65535))
        cv['lvs_smtp_server'] = smtp
    if g.chance(0.3) and g.probe.accepts(('lvs_sync_daemon',), True):
        cv['lvs_sync_daemon'] = True
    if g.chance(0.3):
        lo, hi = _range(g, ('lvs_sync_id',), 5)
        cv['lvs_sync_id'] = g.integer(lo, hi)
    if g.chance(0.4):
        t = {}
        for key in ('tcp', 'tcpfin', 'udp'):
            if g.chance(0.6):
                lo, hi = _range(g, ('lvs_timeouts', key), 60, [(('lvs_timeouts',), {})])
                t[key] = g.integer(lo, hi)
        cv['lvs_timeouts'] = t
    # VRRP of the other family (every VIP, or the inside VIP, not of the directors' family) runs from link-local
    # addresses: the firewall rules are left to the user then
    if g.chance(0.3) and not (uses_nat and inside_fam != dir_family) and any(fam == dir_family for fam, _f in svc_specs):
        cv['lvs_firewall'] = True
    if uses_nat:
        nat = {'inside_vip': g.address(INSIDE_NET4 if inside_fam == 4 else INSIDE_NET6)}
        if g.chance(0.5):
            nat['inside_prefix'] = g.integer(8 if inside_fam == 4 else 48, 30 if inside_fam == 4 else 126)
        inside_if = g.ifname(avoid=(interface,), path=('lvs_interface',))
        nat['inside_interface'] = inside_if
        interfaces.append(inside_if)
        cv['lvs_nat'] = nat

    scripts, users = [], []
    for svc in services:
        if svc['health_check']['type'] == 'misc':
            scripts.append(svc['health_check']['misc_path'].split(' ')[0])
    if b == 'keepalived':
        ka = _keepalived(g, cv, interfaces, scripts, users, uses_nat, unicast)
        cv['lvs_keepalived'] = ka
    elif b == 'heartbeat_ldirectord':
        cv['lvs_heartbeat'] = _heartbeat(g, dir_family, hb_link)
        cv['lvs_ldirectord'] = _ldirectord(g)
    else:
        cv['lvs_piranha'] = _piranha(g)

    # director host variables: roles, priorities, node names, addresses
    dr_vars = {}
    primary = g.pick(directors)
    prios = sorted(g.rng.sample(range(1, 255), n_dirs), reverse=True)
    if g.chance(g.edge):
        prios = sorted([254] + g.rng.sample(range(1, 254), n_dirs - 1), reverse=True)
    order = [primary] + [h for h in directors if h != primary]
    node_alpha = CANDIDATES['node']
    for rank, host in enumerate(order):
        hv = {}
        if host == primary and (g.chance(0.5) or n_dirs == 1):
            hv['lvs_director_role'] = 'primary'
        elif host != primary:
            hv['lvs_director_role'] = 'backup'
        if g.chance(0.7):
            hv['lvs_priority'] = prios[rank]
        if g.chance(0.5):
            hv['lvs_node_name'] = g.unique('node', lambda: g.word(node_alpha, 1, 64, first=ALNUM, last=ALNUM))
        if g.chance(0.3):
            hv['lvs_address'] = dir_addr[host]
            hv['ansible_host'] = '%s.example.net' % host
        dr_vars[host] = hv
    if any('lvs_priority' in dr_vars[h] for h in directors) and not all('lvs_priority' in dr_vars[h] for h in directors):
        for rank, host in enumerate(order):
            dr_vars[host]['lvs_priority'] = prios[rank]

    hostvars, groups = {}, {}
    for host in directors:
        hostvars[host] = copy.deepcopy(cv)
        hostvars[host].update(dr_vars[host])
        hostvars[host].setdefault('ansible_host', dir_addr[host])
    for host in rs_hosts:
        hostvars[host] = dict(rs_vars[host])
        hostvars[host].setdefault('ansible_host', rs_hosts[host])
    cgroup = '%s_directors' % cluster_name
    groups['all'] = sorted(hostvars)
    groups['ungrouped'] = []
    groups['lvs_directors'] = list(directors)
    groups[cgroup] = list(directors)
    groups['lvs_realservers'] = sorted(rs_hosts)
    groups.update(extra_groups)
    _settle(g, hostvars, groups, directors)
    for tif in (cv.get('lvs_keepalived') or {}).get('track_interfaces', []):
        if tif not in interfaces:
            interfaces.append(tif)
    return Inventory(b, seed, hostvars, groups, cluster_name, directors, interfaces, scripts, users)


# Values whose legality depends on the rest of the inventory in ways a one-field probe cannot see (the VRRP version
# follows the address families the view chooses; a netmask means nothing to an IPv6 service): when the model refuses
# exactly one of these, the generator draws again (or leaves the key out). Any other refusal is left for the tests.
_CONTEXT_KEYS = (
    (re.compile(r'lvs_keepalived\.advert_int'), ('lvs_keepalived', 'advert_int')),
    (re.compile(r'lvs_virtual_services\[(\d+)\]\.persistence_netmask'), ('lvs_virtual_services', None, 'persistence_netmask')),
)


def _advert_candidates(g):
    # whole seconds (VRRPv2), hundredths below 40.96 s (VRRPv3), both; 1 suits every instance
    return [g.integer(1, 255), g.integer(1, 4095) / 100.0, g.integer(1, 40), 1]


def _settle(g, hostvars, groups, directors):
    advert = _advert_candidates(g)
    for _ in range(8):
        errors = Model(hostvars, groups).errors
        changed = False
        for problem in errors:
            for pattern, path in _CONTEXT_KEYS:
                m = pattern.fullmatch(problem.path)
                if not m:
                    continue
                for host in directors:
                    hv = hostvars[host]
                    if path[0] == 'lvs_keepalived':
                        if advert:
                            hv['lvs_keepalived']['advert_int'] = advert[0]
                        else:
                            hv['lvs_keepalived'].pop('advert_int', None)
                    else:
                        hv['lvs_virtual_services'][int(m.group(1))].pop('persistence_netmask', None)
                changed = True
        if not changed:
            return
        if any(p.path == 'lvs_keepalived.advert_int' for p in errors) and advert:
            advert.pop(0)


def _range_host(g, key, good):
    """The integers the model accepts in a real server's host variable ``key``."""
    ckey = ('host-int', key)
    if ckey not in g.probe._cache:
        def accepted(value):
            return not Model(*_materialise(_base_cluster(g.backend), rs_vars={'pr1': {key: value}})).errors
        g.probe._cache[ckey] = (_gallop(accepted, good, -1, -(2 ** 33)), _gallop(accepted, good, 1, 2 ** 33))
    return g.probe._cache[ckey]


def _keepalived(g, cv, interfaces, scripts, users, uses_nat, unicast):
    KA = ('lvs_keepalived',)
    ka = {}
    lo, hi = _range(g, KA + ('vrid',), 51)
    ka['vrid'] = g.integer(lo, hi)
    ka['unicast'] = unicast
    auth = g.pick(['PASS', 'AH', 'none'])
    ka['auth_type'] = auth
    if auth != 'none':
        ctx = [(KA + ('auth_type',), auth)]
        hi = g.probe.max_len(KA + ('auth_pass',), lambda n: 'a' * n, ctx, limit=64)
        ka['auth_pass'] = g.secret(KA + ('auth_pass',), 1, hi, ctx)
    if g.chance(0.6):
        if g.chance(0.5):
            ka['advert_int'] = g.integer(1, 255)
        else:
            ka['advert_int'] = g.pick([0.01, 0.5, 1.5, 2.25, 254.99, 255])
    ka['preempt'] = g.chance(0.7)
    if g.chance(0.4):
        lo, hi = _range(g, KA + ('preempt_delay',), 0)
        ka['preempt_delay'] = g.integer(lo, hi)
    if g.chance(0.4):
        ka['track_interfaces'] = []
        for _ in range(g.integer(1, 3)):
            name = g.ifname(path=('lvs_interface',))
            ka['track_interfaces'].append(name)
    if g.chance(0.5):
        ka['track_scripts'] = []
        for i in range(g.integer(1, 3)):
            path = KA + ('track_scripts', 0)
            ts = {'name': g.name(), 'script': g.argv(path + ('script',), [(KA + ('track_scripts',), [{'name': 'x', 'script': '/bin/true'}])])}
            for key, good in (('interval', 2), ('fall', 2), ('rise', 2)):
                if g.chance(0.7):
                    ctx = [(KA + ('track_scripts',), [{'name': 'x', 'script': '/bin/true'}])]
                    lo, hi = _range(g, path + (key,), good, ctx)
                    ts[key] = g.integer(lo, hi)
            if g.chance(0.6) and not uses_nat:
                ctx = [(KA + ('track_scripts',), [{'name': 'x', 'script': '/bin/true'}])]
                lo, hi = _range(g, path + ('weight',), 0, ctx)
                ts['weight'] = g.integer(lo, hi)
            ka['track_scripts'].append(ts)
            scripts.append(ts['script'].split(' ')[0])
    if g.chance(0.5):
        notify = {}
        for event in ('master', 'backup', 'fault', 'stop'):
            if g.chance(0.5):
                notify[event] = g.argv(KA + ('notify', event), [(KA + ('notify',), {})])
                scripts.append(notify[event].split(' ')[0])
        ka['notify'] = notify
    if g.chance(0.5):
        alpha = g.probe.chars(KA + ('script_user',), CANDIDATES['user'], lambda c: 'u%sx' % c)
        user = g.word(alpha, 1, 31, first=string.ascii_lowercase + '_')
        if g.probe.accepts(KA + ('script_user',), user):
            ka['script_user'] = user
    users.append(ka.get('script_user', _ka.KEEPALIVED_DEFAULTS['script_user']))
    if g.chance(0.4):
        alpha = g.probe.chars(KA + ('router_id',), CANDIDATES['router_id'], lambda c: 'a%sb' % c)
        rid = g.word(alpha, 1, 64, first=ALNUM, last=ALNUM)
        if g.probe.accepts(KA + ('router_id',), rid):
            ka['router_id'] = rid
    return ka


def _ipv6_directors_ok(g, link):
    """Whether the model takes IPv6 director addresses with this heartbeat link."""
    key = ('ipv6-directors', link)
    if key not in g.probe._cache:
        cv = _base_cluster(g.backend)
        cv['lvs_heartbeat']['link'] = link
        g.probe._cache[key] = not Model(*_materialise(cv, directors={'pd1': '2001:db8:0:1::1', 'pd2': '2001:db8:0:1::2'})).errors
    return g.probe._cache[key]


def _heartbeat(g, dir_family, link):
    HB = ('lvs_heartbeat',)
    hb = {}
    lo, hi = _range(g, HB + ('udpport',), 694)
    if g.chance(0.5):
        # not an interval: ports /etc/services gives to other services are refused
        hb['udpport'] = g.accepted(HB + ('udpport',), lambda: g.integer(lo, hi), 694)
    # keepalive < warntime < deadtime, deadtime > 2 * keepalive, initdead >= 2 * deadtime (heartbeat refuses others)
    if g.chance(0.7):
        k = g.integer(1, 1000)
        d = g.integer(2 * k + 1, 3600) if 2 * k + 1 <= 3600 else 3600
        w = g.integer(k + 1, d - 1)
        i = g.integer(2 * d, 7200)
        hb.update(keepalive=k, deadtime=d, warntime=w, initdead=i)
    hb['auto_failback'] = g.chance(0.5)
    hb['link'] = link
    if hb['link'] == 'mcast' and g.chance(0.7):
        group = str(ipaddress.ip_address('224.0.0.0') + g.rng.randint(256, 2 ** 28 - 1))
        if g.probe.accepts(HB + ('mcast_group',), group):
            hb['mcast_group'] = group
    if g.chance(0.4):
        hb['ping_nodes'] = [g.address(RS_NET4) for _ in range(g.integer(1, 3))]
    hi = g.probe.max_len(HB + ('authkey',), lambda n: 'a' * (n + 7), limit=1024) + 7
    hb['authkey'] = g.secret(HB + ('authkey',), 8, hi)
    hb['logfacility'] = g.pick([f for f in ('auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news',
                                            'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4',
                                            'local5', 'local6', 'local7')
                                if g.probe.accepts(HB + ('logfacility',), f)])
    return hb


def _ldirectord(g):
    LD = ('lvs_ldirectord',)
    ld = {}
    for key in ('checktimeout', 'checkinterval', 'failurecount'):
        if g.chance(0.5):
            lo, hi = _range(g, LD + (key,), 5, [(LD, {})])
            ld[key] = g.integer(lo, hi)
    ld['autoreload'] = g.chance(0.5)
    ld['quiescent'] = g.chance(0.5)
    if g.chance(0.5):
        choices = ['local%d' % i for i in range(8)] + ['daemon', '/var/log/ldirectord.log', '/var/log/lvs/ld-%s.log' % g.seed]
        ld['logfile'] = g.pick([c for c in choices if g.probe.accepts(LD + ('logfile',), c)])
    return ld


def _piranha(g):
    PI = ('lvs_piranha',)
    pi = {}
    lo, hi = _range(g, PI + ('heartbeat_port',), 539, [(PI, {})])
    if g.chance(0.5):
        pi['heartbeat_port'] = g.integer(lo, hi)
    if g.chance(0.6):
        k = g.integer(1, 1000)
        pi['keepalive'] = k
        pi['deadtime'] = g.integer(k + 1, 3600)
    pi['debug_level'] = g.pick(['NONE', 'LOW', 'MEDIUM', 'HIGH'])
    pi['gui'] = g.chance(0.3)
    if pi['gui']:
        pi['gui_password'] = g.secret(PI + ('gui_password',), 6, 32, [(PI + ('gui',), True)])
    pi['config_only'] = g.chance(0.2)
    # The daemons from the EL package, or binaries the user built (the GUI comes only with the package).
    pi['install'] = 'package' if pi['gui'] else g.pick(['package', 'binaries'])
    # monitor_links: a warning with the package (pulse may stop mysqld and restart the network), refused with binaries
    pi['monitor_links'] = pi['install'] == 'package' and g.chance(0.5)
    if pi['install'] == 'binaries' or g.chance(0.1):
        dirs = ['/opt/piranha/sbin', '/srv/build/piranha-0.8.6', '/home/ops/piranha_%d' % g.seed, '/']
        pi['binaries_dir'] = g.pick([d for d in dirs if g.probe.accepts(PI + ('binaries_dir',), d)])
    return pi


def main(argv):
    import yaml
    backend = argv[1] if len(argv) > 1 else 'keepalived'
    seed = int(argv[2]) if len(argv) > 2 else 1
    inv = generate(backend, seed)
    print(yaml.safe_dump(inv.as_dict(), sort_keys=False, width=160))
    errors = inv.model().errors
    for e in errors:
        print('# MODEL ERROR: %s' % e)
    for line in check_tables():
        print('# TABLES: %s' % line)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
