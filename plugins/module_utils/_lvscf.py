# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strict validator for piranha's ``lvs.cf`` (``/etc/sysconfig/ha/lvs.cf``).

piranha has no configuration checker of its own: ``pulse``/``lvsd`` only log "error parsing ... on line N"
when they start, after the old configuration is gone. This module implements the grammar of piranha's
parser (``lvsconfig.c``, piranha 0.8.x) strictly, plus the cross-checks the daemons rely on, and reports
**every** problem with its line number and the fix.

It has no dependency outside the Python standard library, so the very same file is used three ways:

* imported by the collection's plugins (``validate_text()``, ``cluster_errors()``);
* as the ``lvs.cluster.lvscf_validate`` module's logic;
* as a stand-alone program on the managed host (``python3 _lvscf.py FILE``), which is what the
  ``director_piranha`` role installs and uses as the ``validate:`` command of its template task.

Grammar facts taken from piranha's parser (and why some rules here are stricter than piranha itself):

* A line is ``keyword = value [value]``; tokens are separated by blanks, so ``port=80`` is one unknown
  keyword and ``port =80`` lacks the ``=``. Argument counts are exact.
* ``#`` starts a comment only as the first non-blank character; there are no end-of-line comments.
* ``virtual NAME {``, ``failover NAME {`` and ``server NAME {`` open blocks; ``}`` must be alone on its line.
  piranha silently accepts a file that ends inside a block; this validator does not.
* Numbers are read with ``strtol(..., 0)``: ``010`` is octal 8 and ``0x10`` is 16. Only plain decimal is accepted here.
* Addresses go through ``inet_aton``/``gethostbyname`` (IPv4 only). Only dotted-quad IPv4 addresses are accepted here.
* A quoted value runs to the next quote character; a quoted value without an inner blank that is followed
  by trailing blanks is a quoting error in piranha.
* The parser ends a line at the next carriage return found *anywhere* later in the file, so a single CR
  corrupts every line before it: CR characters are rejected.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import sys

SCHEDULERS = ('lc', 'rr', 'wlc', 'wrr', 'lblc', 'lblcr', 'dh', 'sh')
NETWORKS = ('direct', 'nat', 'tunnel')
PROTOCOLS = ('tcp', 'udp')
LOAD_MONITORS = ('none', 'uptime', 'rup', 'ruptime')
DEBUG_LEVELS = ('NONE', 'LOW', 'MEDIUM', 'HIGH')
INT_MAX = 2147483647
MAX_STRING = 255

_BLANK = ' \t'
_DEC_RE = re.compile(r'^(0|[1-9][0-9]*)$')
_IPV4_RE = re.compile(r'^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$')
_DEV_ALIAS_RE = re.compile(r'^([A-Za-z0-9_.-]{1,15}):([0-9]{1,4})$')
_IFACE_RE = re.compile(r'^[A-Za-z0-9_.-]{1,15}$')
_NAME_RE = re.compile(r'^[^\s{}"\'#=]+$')
_ESCAPE_RE = re.compile(r'\\(.?)')


class LvsCfError(object):
    """One problem: the line it is on (0 for the whole file), what is wrong and the fix."""

    def __init__(self, line, message, fix):
        self.line = line
        self.message = message
        self.fix = fix

    def __str__(self):
        where = 'line %d' % self.line if self.line else 'file'
        return '%s: %s. Fix: %s' % (where, self.message, self.fix)

    def __repr__(self):
        return 'LvsCfError(%r)' % str(self)

    def as_dict(self):
        return {'line': self.line, 'message': self.message, 'fix': self.fix}


class Block(object):
    """``global`` (the file), ``virtual``, ``failover`` or ``server`` with its settings and children."""

    def __init__(self, kind, name, line, parent=None):
        self.kind = kind
        self.name = name
        self.line = line
        self.parent = parent
        self.settings = {}   # keyword -> (list of values, line)
        self.children = []
        self.pending_brace = False   # header seen without '{' (already reported)
        self.present = set()         # keywords seen, valid or not (so a bad value is not also reported as missing)

    def get(self, key, default=None):
        return self.settings[key][0][0] if key in self.settings else default

    def args(self, key):
        return self.settings[key][0] if key in self.settings else None

    def line_of(self, key):
        return self.settings[key][1] if key in self.settings else self.line

    def label(self):
        return 'global section' if self.kind == 'global' else '%s %s (line %d)' % (self.kind, self.name, self.line)


# --------------------------------------------------------------------------------------------------
# Value checkers: each takes the token list [(text, quoted), ...] and returns (message, fix) or None.

def _plain(tokens, key):
    for text, quoted in tokens:
        if quoted:
            return ('the value of %s must not be quoted' % key, 'write %s = %s' % (key, text))
    return None


def _check_int(lo, hi):
    def check(tokens, key):
        bad = _plain(tokens, key)
        if bad:
            return bad
        text = tokens[0][0]
        if not _DEC_RE.match(text):
            if re.match(r'^0[0-7]+$', text):
                return ('%r is read as the octal number %d by piranha' % (text, int(text, 8)),
                        'write the number in decimal without leading zeros')
            if re.match(r'^0[xX][0-9a-fA-F]+$', text):
                return ('%r is a hexadecimal number' % text, 'write %s = %d' % (key, int(text, 16)))
            return ('%s needs a decimal integer, got %r' % (key, text), 'write an integer between %d and %d' % (lo, hi))
        value = int(text)
        if not lo <= value <= hi:
            return ('%s must be between %d and %d, got %d' % (key, lo, hi, value), 'write a value between %d and %d' % (lo, hi))
        return None
    return check


def _check_bool(tokens, key):
    bad = _plain(tokens, key)
    if bad:
        return bad
    if tokens[0][0] not in ('0', '1'):
        return ('%s is a boolean and must be 0 or 1, got %r' % (key, tokens[0][0]), 'write %s = 0 or %s = 1' % (key, key))
    return None


def _check_enum(choices):
    def check(tokens, key):
        bad = _plain(tokens, key)
        if bad:
            return bad
        if tokens[0][0] not in choices:
            return ('%s must be one of %s, got %r' % (key, ' '.join(choices), tokens[0][0]),
                    'write one of: %s' % ', '.join('%s = %s' % (key, c) for c in choices))
        return None
    return check


def _ipv4_problem(text, key):
    if not _IPV4_RE.match(text):
        if ':' in text and re.match(r'^[0-9A-Fa-f:.]+$', text):
            return ('%s must be an IPv4 address; piranha does not support IPv6 (%r)' % (key, text),
                    'use an IPv4 address, or the keepalived backend for IPv6')
        return ('%s must be a dotted-quad IPv4 address, got %r' % (key, text),
                'write four decimal numbers 0-255 without leading zeros, e.g. 192.0.2.10 (host names depend on DNS at start-up)')
    if text == '0.0.0.0':
        return ('%s must not be 0.0.0.0' % key, 'write the real IPv4 address')
    return None


def _check_ipv4(tokens, key):
    return _plain(tokens, key) or _ipv4_problem(tokens[0][0], key)


def netmask_bits(text):
    """Prefix length of a dotted netmask, or None when it is not a contiguous IPv4 netmask."""
    if not _IPV4_RE.match(text):
        return None
    value = 0
    for part in text.split('.'):
        value = (value << 8) | int(part)
    inverted = (~value) & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - bin(inverted).count('1')


def _check_netmask(tokens, key):
    bad = _plain(tokens, key)
    if bad:
        return bad
    if netmask_bits(tokens[0][0]) is None or tokens[0][0] == '0.0.0.0':
        return ('%s must be a contiguous IPv4 netmask, got %r' % (key, tokens[0][0]), 'write e.g. %s = 255.255.255.0' % key)
    return None


def _check_addr_dev(tokens, key):
    bad = _plain(tokens, key) or _ipv4_problem(tokens[0][0], key)
    if bad:
        return bad
    dev = tokens[1][0]
    if not _DEV_ALIAS_RE.match(dev):
        return ('%s needs the interface alias as DEV:N after the address, got %r; pulse runs ifconfig on it, and a bare '
                'interface would replace its primary address' % (key, dev),
                'write %s = %s eth0:1' % (key, tokens[0][0]))
    return None


def _check_iface(tokens, key):
    bad = _plain(tokens, key)
    if bad:
        return bad
    if not _IFACE_RE.match(tokens[0][0]):
        return ('%s must be an interface name, got %r' % (key, tokens[0][0]), 'write e.g. %s = eth0' % key)
    return None


def _check_word(tokens, key):
    bad = _plain(tokens, key)
    if bad:
        return bad
    if not re.match(r'^[A-Za-z0-9_./-]+$', tokens[0][0]):
        return ('%s has an invalid value %r' % (key, tokens[0][0]), 'use letters, digits, "_", ".", "/" or "-"')
    return None


def _check_abs_path(tokens, key):
    bad = _plain(tokens, key)
    if bad:
        return bad
    if not tokens[0][0].startswith('/'):
        return ('%s must be an absolute path, got %r' % (key, tokens[0][0]), 'write the full path, e.g. /sbin/ipvsadm')
    return None


def _escape_problem(text, key):
    for match in _ESCAPE_RE.finditer(text):
        if match.group(1) not in ('n', 'r', '\\', "'"):
            return ('%s contains the escape %r, which nanny does not translate' % (key, match.group(0)),
                    'use only \\n, \\r, \\\\ or \\\' escapes')
    if len(text) > MAX_STRING:
        return ('%s is %d characters long; nanny keeps at most %d' % (key, len(text), MAX_STRING), 'shorten the text')
    if any(ord(c) < 32 for c in text):
        return ('%s contains a control character' % key, 'write \\r or \\n escapes instead')
    return None


def _check_quoted(tokens, key):
    text, quoted = tokens[0]
    if not quoted:
        return ('%s must be a quoted string, got %s' % (key, text), 'write %s = "%s"' % (key, text))
    if text == '':
        return ('%s is empty' % key, 'remove the line or give the text')
    return _escape_problem(text, key)


def _check_command(tokens, key):
    """A command line: an absolute program path, optionally with arguments (then it must be quoted)."""
    text, quoted = tokens[0]
    if not text.strip():
        return ('%s is empty' % key, 'give the absolute path of the program')
    if not text.startswith('/'):
        return ('%s must start with the absolute path of the program, got %r' % (key, text),
                'write %s = "/usr/local/bin/check %%h"' % key)
    return None


GLOBAL_KEYS = {
    # keyword: (number of arguments, checker)
    'serial_no': (1, _check_int(0, INT_MAX)),
    'service': (1, _check_enum(('lvs', 'fos'))),
    'primary': (1, _check_ipv4),
    'primary_private': (1, _check_ipv4),
    'primary_shared': (1, _check_word),
    'backup': (1, _check_ipv4),
    'backup_active': (1, _check_bool),
    'backup_private': (1, _check_ipv4),
    'backup_shared': (1, _check_word),
    'heartbeat': (1, _check_bool),
    'heartbeat_port': (1, _check_int(1, 65535)),
    'keepalive': (1, _check_int(1, 3600)),
    'deadtime': (1, _check_int(1, 3600)),
    'network': (1, _check_enum(NETWORKS)),
    'nat_router': (2, _check_addr_dev),
    'nat_nmask': (1, _check_netmask),
    'debug_level': (1, _check_enum(DEBUG_LEVELS)),
    'monitor_links': (1, _check_bool),
    'syncdaemon': (1, _check_bool),
    'syncd_iface': (1, _check_iface),
    'syncd_id': (1, _check_int(0, 255)),
    'tcp_timeout': (1, _check_int(0, INT_MAX)),
    'tcpfin_timeout': (1, _check_int(0, INT_MAX)),
    'udp_timeout': (1, _check_int(0, INT_MAX)),
    'hard_shutdown': (1, _check_bool),
    'reservation_conflict_action': (1, _check_enum(('nothing', 'preempt'))),
    'rsh_command': (1, _check_enum(('rsh', 'ssh'))),
    'ipvsadm': (1, _check_abs_path),
    'active_cmd': (1, _check_command),
    'inactive_cmd': (1, _check_command),
    'sync': (1, _check_bool),
}

_SERVICE_COMMON = {
    'active': (1, _check_bool),
    'address': (2, _check_addr_dev),
    'vip_nmask': (1, _check_netmask),
    'port': (1, _check_int(1, 65535)),
    'protocol': (1, _check_enum(PROTOCOLS)),
    'send': (1, _check_quoted),
    'expect': (1, _check_quoted),
    'use_regex': (1, _check_bool),
    'send_program': (1, _check_command),
    'timeout': (1, _check_int(1, 86400)),
    'reentry': (1, _check_int(0, 86400)),
}

VIRTUAL_KEYS = dict(_SERVICE_COMMON)
VIRTUAL_KEYS.update({
    'sorry_server': (1, _check_ipv4),
    'fwmark': (1, _check_int(1, INT_MAX)),
    'scheduler': (1, _check_enum(SCHEDULERS)),
    'persistent': (1, _check_int(0, INT_MAX)),
    'pmask': (1, _check_netmask),
    'load_monitor': (1, _check_enum(LOAD_MONITORS)),
    'quiesce_server': (1, _check_bool),
    'client_monitor': (1, _check_abs_path),
})

FAILOVER_KEYS = dict(_SERVICE_COMMON)
FAILOVER_KEYS.update({
    'start_cmd': (1, _check_command),
    'stop_cmd': (1, _check_command),
})

SERVER_KEYS = {
    'address': (1, _check_ipv4),
    'active': (1, _check_bool),
    'weight': (1, _check_int(0, 65535)),
    'port': (1, _check_int(1, 65535)),
}

KEYS = {'global': GLOBAL_KEYS, 'virtual': VIRTUAL_KEYS, 'failover': FAILOVER_KEYS, 'server': SERVER_KEYS}
STRING_KEYS = ('send', 'expect', 'send_program', 'start_cmd', 'stop_cmd', 'active_cmd', 'inactive_cmd')


# --------------------------------------------------------------------------------------------------
# Tokenizer and parser

def tokenize(line):
    """Split one line (without newline, leading blanks removed) into [(text, quoted)].

    Returns (tokens, problem) where problem is (message, fix) or None.
    """
    tokens = []
    pos, size = 0, len(line)
    while pos < size:
        char = line[pos]
        if char in _BLANK:
            pos += 1
            continue
        if char in '"\'':
            close = line.find(char, pos + 1)
            if close < 0:
                return tokens, ('the quoted value starting at column %d is never closed' % (pos + 1),
                                'add the closing %s' % char)
            value = line[pos + 1:close]
            rest = line[close + 1:]
            if rest[:1] and rest[:1] not in _BLANK:
                return tokens, ('text follows the closing quote directly (%r)' % rest,
                                'a quoted value cannot contain its own quote character; use the other quote type')
            if rest and not rest.strip(_BLANK):
                return tokens, ('blanks follow the closing quote; piranha reports a quotation mismatch for them',
                                'remove the trailing blanks')
            tokens.append((value, True))
            pos = close + 1
            continue
        end = pos
        while end < size and line[end] not in _BLANK:
            end += 1
        word = line[pos:end]
        if '"' in word or "'" in word:
            return tokens, ('a quote character inside %r; piranha only understands quotes at the start of a value' % word,
                            'quote the whole value')
        tokens.append((word, False))
        pos = end
    return tokens, None


def parse(text):
    """Parse lvs.cf text. Returns (root Block, [LvsCfError]) with syntax errors only."""
    errors = []
    root = Block('global', None, 0)
    if '\r' in text:
        first = text[:text.index('\r')].count('\n') + 1
        errors.append(LvsCfError(first, 'the file contains carriage returns (DOS line ends); piranha ends the current line '
                                        'at the next CR anywhere in the file and misreads every line before it',
                                 'convert the file to Unix line ends (dos2unix)'))
        text = text.replace('\r', '')
    if not any(line.strip(_BLANK) and not line.lstrip(_BLANK).startswith('#') for line in text.split('\n')):
        errors.append(LvsCfError(0, 'the file is empty (no settings); pulse refuses an empty configuration',
                                 'render the configuration'))
        return root, errors
    stack = [root]
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.lstrip(_BLANK)
        if not line or line.startswith('#'):
            continue
        tokens, problem = tokenize(line)
        if problem:
            errors.append(LvsCfError(number, problem[0], problem[1]))
            continue
        block = stack[-1]
        first, quoted = tokens[0]
        words = [token[0] for token in tokens]
        if block.pending_brace:
            block.pending_brace = False
            if words == ['{']:
                continue  # already reported with the block header
        if first == '}' and not quoted:
            if len(tokens) > 1:
                errors.append(LvsCfError(number, "'}' must be alone on its line, got %r" % ' '.join(words),
                                         "put each '}' and each setting on its own line"))
            if len(stack) == 1:
                errors.append(LvsCfError(number, "'}' closes no block", 'remove it, or open the block it belongs to'))
            else:
                stack.pop()
            continue
        if first in ('virtual', 'failover', 'server') and not quoted:
            _open_block(errors, stack, number, tokens)
            continue
        if '#' in words[1:] or any(w.startswith('#') for w in words[1:]):
            errors.append(LvsCfError(number, 'piranha has no end-of-line comments (%r)' % line,
                                     "move the comment to a line of its own starting with '#'"))
            continue
        _setting(errors, block, number, tokens)
    for block in stack[1:]:
        errors.append(LvsCfError(block.line, '%s %s is never closed' % (block.kind, block.name),
                                 "add a line with '}' at the end of the block"))
    return root, errors


def _open_block(errors, stack, number, tokens):
    kind = tokens[0][0]
    block = stack[-1]
    words = [token[0] for token in tokens]
    allowed_parent = 'virtual' if kind == 'server' else 'global'
    if block.kind != allowed_parent:
        if kind == 'server':
            fix = 'put server blocks inside a virtual block' + (' (failover services have no servers)' if block.kind == 'failover' else '')
        else:
            fix = "close the %s block with '}' before opening %s %s" % (block.kind, kind, words[1] if len(words) > 1 else '')
        errors.append(LvsCfError(number, '%s block not allowed inside the %s' % (kind, block.label()), fix))
    pending = False
    if len(tokens) == 3 and words[2] == '{':
        name = words[1]
        if tokens[1][1] or not _NAME_RE.match(name):
            errors.append(LvsCfError(number, 'invalid %s name %r' % (kind, name),
                                     'use one word of letters, digits, "_", "." or "-" without quotes'))
    else:
        if len(tokens) == 2 and words[1].endswith('{') and len(words[1]) > 1:
            name, fix = words[1][:-1], "put a blank before '{': %s %s {" % (kind, words[1][:-1])
        elif len(tokens) == 2:
            name, fix, pending = words[1], "put '{' on the same line: %s %s {" % (kind, words[1]), True
        elif len(tokens) > 3 and words[-1] == '{':
            name, fix = words[1], "write '%s NAME {' with a one-word name" % kind
        else:
            name, fix = None, "write '%s NAME {'" % kind
        errors.append(LvsCfError(number, '%s block header must be "%s NAME {", got %r' % (kind, kind, ' '.join(words)), fix))
        if name is None:
            return
    child = Block(kind, name, number, block)
    child.pending_brace = pending
    block.children.append(child)
    stack.append(child)


def _setting(errors, block, number, tokens):
    key, quoted = tokens[0]
    words = [token[0] for token in tokens]
    known = KEYS[block.kind]
    block.present.add(key)
    if quoted or key not in known:
        if '=' in key and not quoted:
            bare = key.split('=', 1)[0]
            rest = key.split('=', 1)[1]
            fix = "piranha needs blanks around '=': write '%s = %s'" % (bare, rest if rest else ' '.join(words[1:]))
            errors.append(LvsCfError(number, 'unknown keyword %r (no blank before "=")' % key, fix))
            return
        elsewhere = [k for k in ('global', 'virtual', 'failover', 'server') if k != block.kind and key in KEYS[k]]
        if key == '{':
            fix = "put '{' at the end of the block header line"
        elif elsewhere:
            fix = '%s belongs in a %s block, not in the %s' % (key, ' or '.join(elsewhere), block.label())
        else:
            fix = 'remove it or use one of: %s' % ', '.join(sorted(known))
        errors.append(LvsCfError(number, 'unknown keyword %r in the %s' % (key, block.label()), fix))
        return
    nargs, checker = known[key]
    if len(tokens) < 2 or words[1] != '=' or tokens[1][1]:
        got = words[1] if len(tokens) > 1 else 'end of line'
        errors.append(LvsCfError(number, "'=' expected after %s, got %r" % (key, got), "write '%s = VALUE' with blanks around '='" % key))
        return
    args = tokens[2:]
    if len(args) != nargs:
        example = {'address': 'address = 192.0.2.100 eth0:1' if block.kind != 'server' else 'address = 192.0.2.21',
                   'nat_router': 'nat_router = 198.51.100.1 eth1:1'}.get(key, '%s = VALUE' % key)
        if key in STRING_KEYS and len(args) > nargs:
            fix = 'quote the whole value: %s = "%s"' % (key, ' '.join(arg[0] for arg in args))
        else:
            fix = 'write exactly %d value%s: %s' % (nargs, '' if nargs == 1 else 's', example)
        errors.append(LvsCfError(number, '%s takes exactly %d value%s, got %d' % (key, nargs, '' if nargs == 1 else 's', len(args)),
                                 fix))
        return
    if key in block.settings:
        errors.append(LvsCfError(number, '%s is set twice in the %s (first on line %d); piranha silently keeps the last'
                                 % (key, block.label(), block.settings[key][1]), 'remove one of the two lines'))
        return
    problem = checker(args, key)
    if problem:
        errors.append(LvsCfError(number, problem[0], problem[1]))
        return
    block.settings[key] = ([arg[0] for arg in args], number)


# --------------------------------------------------------------------------------------------------
# Cross-checks

def _cross_check(root):
    errors = []
    err = errors.append
    g = root
    network = g.get('network')
    if 'primary' not in g.present:
        err(LvsCfError(0, 'primary is not set', 'add "primary = ADDRESS" (the primary director\'s IPv4 address)'))
    if 'service' not in g.present:
        err(LvsCfError(0, 'service is not set', 'add "service = lvs"'))
    if 'network' not in g.present:
        err(LvsCfError(0, 'network is not set; piranha then silently uses NAT',
                       'add "network = direct", "network = nat" or "network = tunnel"'))
    if g.get('backup_active') == '1' and 'backup' not in g.present:
        err(LvsCfError(g.line_of('backup_active'), 'backup_active = 1 but backup is not set',
                       'add "backup = ADDRESS" (the backup director\'s IPv4 address) or set backup_active = 0'))
    if 'backup' in g.settings and g.get('backup') == g.get('primary'):
        err(LvsCfError(g.line_of('backup'), 'backup has the same address as primary', 'give the backup director its own address'))
    if g.get('backup_active') == '1' and g.get('heartbeat') != '1':
        err(LvsCfError(g.line_of('backup_active'), 'backup_active = 1 without heartbeat = 1: the backup never sees the primary and takes over at once',
                       'add "heartbeat = 1"'))
    if 'keepalive' in g.settings or 'deadtime' in g.settings:
        keepalive, deadtime = int(g.get('keepalive', '2')), int(g.get('deadtime', '5'))
        if deadtime <= keepalive:
            err(LvsCfError(g.line_of('deadtime'), 'deadtime (%d) must be greater than keepalive (%d)' % (deadtime, keepalive),
                           'make deadtime several times keepalive, e.g. keepalive = 2 and deadtime = 10'))
    if network == 'nat' and 'nat_router' not in g.present:
        err(LvsCfError(g.line_of('network'), 'network = nat needs nat_router (the real servers\' gateway)',
                       'add "nat_router = INSIDE_VIP DEV:N", e.g. nat_router = 198.51.100.1 eth1:1'))
    for key in ('nat_router', 'nat_nmask'):
        if key in g.settings and network != 'nat':
            err(LvsCfError(g.line_of(key), '%s is only used with network = nat' % key, 'remove it or set network = nat'))
    for key in ('syncd_iface', 'syncd_id'):
        if key in g.settings and g.get('syncdaemon') != '1':
            err(LvsCfError(g.line_of(key), '%s has no effect without syncdaemon = 1' % key, 'remove it or add "syncdaemon = 1"'))
    for key in ('primary_private', 'backup_private'):
        if key in g.settings and g.get(key) in (g.get('primary'), g.get('backup')):
            err(LvsCfError(g.line_of(key), '%s repeats a public director address' % key, 'give the private heartbeat address or remove it'))

    virtuals = [b for b in g.children if b.kind == 'virtual']
    failovers = [b for b in g.children if b.kind == 'failover']
    if g.get('service', 'lvs') == 'lvs' and not virtuals:
        err(LvsCfError(g.line_of('service'), 'service = lvs but there is no virtual block', 'add a "virtual NAME {" block'))
    if g.get('service') == 'fos' and not failovers:
        err(LvsCfError(g.line_of('service'), 'service = fos but there is no failover block', 'add a "failover NAME {" block'))

    names = {}
    aliases = {}   # device alias -> (address, line)
    endpoints = {}
    marks = {}
    director_addrs = set(a for a in (g.get('primary'), g.get('backup')) if a)
    if 'nat_router' in g.settings:
        nat_addr, nat_dev = g.args('nat_router')
        aliases[nat_dev] = (nat_addr, g.line_of('nat_router'))
    for block in g.children:
        if block.kind not in ('virtual', 'failover'):
            continue  # a misplaced block, already reported
        if block.name in names:
            err(LvsCfError(block.line, '%s name %r is already used on line %d' % (block.kind, block.name, names[block.name]),
                           'give every virtual and failover block a unique name'))
        names.setdefault(block.name, block.line)
        for key in ('address', 'active'):
            if key not in block.present:
                err(LvsCfError(block.line, '%s %s has no %s' % (block.kind, block.name, key),
                               'add "%s" to the block' % ('address = VIP DEV:N' if key == 'address' else 'active = 1')))
        if 'address' in block.settings:
            addr, dev = block.args('address')
            line = block.line_of('address')
            if addr in director_addrs:
                err(LvsCfError(line, 'the virtual address %s is a director\'s own address' % addr,
                               'use a dedicated floating IP address'))
            seen = aliases.get(dev)
            if seen and seen[0] != addr:
                err(LvsCfError(line, 'interface alias %s already carries %s (line %d); pulse would replace that address'
                               % (dev, seen[0], seen[1]), 'give each floating address its own DEV:N alias'))
            aliases.setdefault(dev, (addr, line))
            for other_dev, (other_addr, other_line) in aliases.items():
                if other_addr == addr and other_dev != dev:
                    err(LvsCfError(line, 'address %s is already on alias %s (line %d)' % (addr, other_dev, other_line),
                                   'use the same DEV:N for every service of one floating address'))
                    break
        if block.kind == 'virtual':
            errors.extend(_check_virtual(block, network, endpoints, marks))
        else:
            errors.extend(_check_failover(block))
        errors.extend(_check_health(block))
    return errors


def _check_health(block):
    errors = []
    if 'send_program' in block.settings:
        if 'send' in block.settings:
            errors.append(LvsCfError(block.line_of('send'), 'send is ignored when send_program is set',
                                     'remove send (or send_program)'))
        if 'expect' not in block.settings:
            errors.append(LvsCfError(block.line_of('send_program'), 'send_program needs expect: nanny compares the program\'s output with it',
                                     'add expect = "TEXT THE PROGRAM PRINTS ON SUCCESS"'))
    if block.get('use_regex') == '1':
        if 'expect' not in block.settings:
            errors.append(LvsCfError(block.line_of('use_regex'), 'use_regex = 1 without expect',
                                     'add expect = "REGEX" or remove use_regex'))
        else:
            try:
                re.compile(block.get('expect'))
            except re.error as exc:
                errors.append(LvsCfError(block.line_of('expect'), 'expect is not a valid regular expression (%s)' % exc,
                                         'fix the expression or set use_regex = 0'))
    return errors


def _check_virtual(block, network, endpoints, marks):
    errors = []
    err = errors.append
    port = block.get('port')
    fwmark = block.get('fwmark')
    proto = block.get('protocol', 'tcp')
    if fwmark is not None:
        if port is None:
            err(LvsCfError(block.line_of('fwmark'), 'a fwmark service still needs port: nanny checks the real servers on it (default 80)',
                           'add "port = N" with the port to health-check'))
        if fwmark in marks:
            err(LvsCfError(block.line_of('fwmark'), 'fwmark %s is already used by virtual %s' % (fwmark, marks[fwmark]),
                           'give each firewall-mark service its own mark'))
        marks.setdefault(fwmark, block.name)
    elif 'address' in block.settings:
        key = (block.args('address')[0], port or '80', proto)
        if key in endpoints:
            err(LvsCfError(block.line, 'virtual %s repeats %s:%s/%s of virtual %s' % (block.name, key[0], key[1], key[2], endpoints[key]),
                           'give each virtual a distinct address, port and protocol'))
        endpoints.setdefault(key, block.name)
    if 'pmask' in block.settings and int(block.get('persistent', '0')) == 0:
        err(LvsCfError(block.line_of('pmask'), 'pmask has no effect without persistent', 'add "persistent = SECONDS" or remove pmask'))
    servers = [c for c in block.children if c.kind == 'server']
    if not servers and block.get('active') == '1':
        err(LvsCfError(block.line, 'virtual %s is active but has no server block' % block.name,
                       'add "server NAME {" blocks or set active = 0'))
    seen, seen_addr = {}, {}
    for srv in servers:
        if srv.name in seen:
            err(LvsCfError(srv.line, 'server name %r is already used in virtual %s (line %d)' % (srv.name, block.name, seen[srv.name]),
                           'give every server of a virtual a unique name'))
        seen.setdefault(srv.name, srv.line)
        for key in ('address', 'active'):
            if key not in srv.present:
                err(LvsCfError(srv.line, 'server %s has no %s' % (srv.name, key),
                               'add "%s" to the block' % ('address = REAL_SERVER_IP' if key == 'address' else 'active = 1')))
        addr = srv.get('address')
        rport = srv.get('port', port or '80')
        if addr is not None:
            if (addr, rport) in seen_addr:
                err(LvsCfError(srv.line_of('address'), 'server %s repeats %s:%s of server %s' % (srv.name, addr, rport, seen_addr[(addr, rport)]),
                               'list each real server once per virtual'))
            seen_addr.setdefault((addr, rport), srv.name)
            if 'address' in block.settings and addr == block.args('address')[0]:
                err(LvsCfError(srv.line_of('address'), 'server %s has the virtual address %s' % (srv.name, addr),
                               'use the real server\'s own address'))
        if 'port' in srv.settings and network in ('direct', 'tunnel') and fwmark is None and srv.get('port') != (port or '80'):
            err(LvsCfError(srv.line_of('port'), 'server %s uses port %s but virtual %s listens on %s; %s routing cannot change the port'
                           % (srv.name, srv.get('port'), block.name, port or '80', network),
                           'remove the server port or use network = nat'))
    return errors


def _check_failover(block):
    errors = []
    for key in ('start_cmd', 'stop_cmd'):
        if key not in block.settings:
            errors.append(LvsCfError(block.line, 'failover %s has no %s' % (block.name, key),
                                     'add %s = "/path/to/script ARGS"' % key))
    return errors


def validate_text(text):
    """Return the list of LvsCfError found in lvs.cf text (empty when the file is valid), sorted by line."""
    root, errors = parse(text)
    seen = set((e.line, e.message) for e in errors)
    for error in _cross_check(root):
        if (error.line, error.message) not in seen:
            errors.append(error)
    return sorted(errors, key=lambda e: e.line)


def validate_file(path):
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        return [LvsCfError(0, 'cannot read %s: %s' % (path, exc), 'check the path and permissions')]
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as exc:
        return [LvsCfError(data[:exc.start].count(b'\n') + 1, 'the file is not valid UTF-8 text', 'write it in ASCII or UTF-8')]
    return validate_text(text)


def parse_settings(text):
    """Parsed view of a valid file: {'global': {...}, 'virtual': [{'name':..., 'settings': {...}, 'servers': [...]}]}."""
    root = parse(text)[0]

    def flat(block):
        return dict((k, ' '.join(v[0])) for k, v in block.settings.items())

    out = {'global': flat(root), 'virtual': [], 'failover': []}
    for block in root.children:
        entry = {'name': block.name, 'settings': flat(block),
                 'servers': [{'name': s.name, 'settings': flat(s)} for s in block.children]}
        out[block.kind].append(entry)
    return out


# --------------------------------------------------------------------------------------------------
# What the shared inventory model can express but piranha cannot (checked before rendering).

def cluster_errors(cluster):
    """Problems of a resolved cluster view (docs/model.md) that piranha cannot represent, as strings."""
    problems = []
    add = problems.append
    directors = cluster.get('directors') or []
    if len(directors) > 2:
        add('lvs_directors: piranha runs exactly one primary and at most one backup director, the cluster %s has %d (%s). '
            'Fix: keep two directors in the cluster group, or use the keepalived backend'
            % (cluster.get('name'), len(directors), ', '.join(d['host'] for d in directors)))
    for d in directors:
        if not _IPV4_RE.match(str(d.get('address'))):
            add('hostvars[%s].lvs_address: piranha needs an IPv4 director address, got %r. Fix: set lvs_address to the IPv4 address'
                % (d.get('host'), d.get('address')))
    services = cluster.get('virtual_services') or []
    forwarding = sorted(set(s.get('forwarding') for s in services))
    if len(forwarding) > 1:
        add('lvs_virtual_services: piranha has one cluster-wide network mode, the services use %s. '
            'Fix: use the same forwarding for every service' % ', '.join(forwarding))
    if 'nat' in forwarding and not (cluster.get('nat') or {}).get('inside_vip'):
        add('lvs_nat.inside_vip: required with NAT forwarding (piranha nat_router). Fix: set the real servers\' gateway address')
    nat = cluster.get('nat') or {}
    if nat.get('inside_vip') and not _IPV4_RE.match(str(nat['inside_vip'])):
        add('lvs_nat.inside_vip: piranha needs an IPv4 address, got %r. Fix: use IPv4' % nat['inside_vip'])
    for i, svc in enumerate(services):
        path = 'lvs_virtual_services[%d]' % i
        if svc.get('family', 4) != 4 or not _IPV4_RE.match(str(svc.get('vip'))):
            add('%s.vip: piranha supports only IPv4, got %r. Fix: use an IPv4 VIP or the keepalived backend' % (path, svc.get('vip')))
        if svc.get('scheduler') not in SCHEDULERS:
            add('%s.scheduler: piranha knows only %s, got %r. Fix: choose one of them' % (path, ' '.join(SCHEDULERS), svc.get('scheduler')))
        if svc.get('protocol') not in PROTOCOLS:
            add('%s.protocol: piranha supports tcp and udp, got %r. Fix: use tcp or udp' % (path, svc.get('protocol')))
        if svc.get('fwmark') is not None and not 1 <= int(svc['fwmark']) <= INT_MAX:
            add('%s.fwmark: piranha reads the mark as a signed int, so at most %d, got %s. Fix: use a smaller mark'
                % (path, INT_MAX, svc['fwmark']))
        hc = svc.get('health_check') or {}
        if svc.get('fwmark') is not None and not (hc.get('port') or svc.get('real_server_port')):
            add('%s.health_check.port: a piranha fwmark service needs the port nanny checks. '
                'Fix: set health_check.port or real_server_port' % path)
        if hc.get('type') not in ('tcp', 'http', 'misc'):
            add('%s.health_check.type: piranha\'s nanny supports tcp, http and misc, got %r. Fix: choose one of them'
                % (path, hc.get('type')))
        if hc.get('type') == 'misc' and not hc.get('expect'):
            add('%s.health_check.expect: required for a misc check with piranha: nanny compares the script output with it. '
                'Fix: set expect to the text the script prints on success' % path)
        for key in ('send', 'expect'):
            if hc.get(key) is not None and ('"' in str(hc[key]) or len(str(hc[key])) > MAX_STRING):
                add('%s.health_check.%s: piranha cannot carry a double quote or more than %d characters. Fix: shorten or rephrase it'
                    % (path, key, MAX_STRING))
        sorry = svc.get('sorry_server')
        if sorry:
            vport = svc.get('port') or hc.get('port') or svc.get('real_server_port')
            if not _IPV4_RE.match(str(sorry.get('address'))):
                add('%s.sorry_server.address: piranha needs IPv4, got %r. Fix: use an IPv4 address' % (path, sorry.get('address')))
            if sorry.get('port') and vport and int(sorry['port']) != int(vport):
                add('%s.sorry_server.port: piranha always sends to the sorry server on the virtual port %s, the model says %s '
                    '(the default is real_server_port). Fix: set sorry_server.port: %s and make the sorry server listen there'
                    % (path, vport, sorry['port'], vport))
        for rs in svc.get('real_servers') or []:
            if not _IPV4_RE.match(str(rs.get('address'))):
                add('hostvars[%s].lvs_address: piranha needs an IPv4 real-server address, got %r. Fix: use IPv4'
                    % (rs.get('host'), rs.get('address')))
            if not _NAME_RE.match(str(rs.get('host'))):
                add('hostvars[%s]: the inventory name cannot be a piranha server name. Fix: rename the host' % rs.get('host'))
    return problems


# --------------------------------------------------------------------------------------------------
# Command line: the role installs this file on the director and uses it as the template's validate command.

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        sys.stdout.write('usage: lvscf-check FILE [FILE...]\n'
                         'Strictly validate piranha lvs.cf files; print every problem; exit 0 when all are valid, 1 otherwise.\n')
        return 0 if argv else 2
    status = 0
    for path in argv:
        errors = validate_file(path)
        if errors:
            status = 1
            for error in errors:
                sys.stderr.write('%s: %s\n' % (path, error))
        else:
            sys.stdout.write('%s: valid piranha lvs.cf\n' % path)
    return status


if __name__ == '__main__':
    raise SystemExit(main())
