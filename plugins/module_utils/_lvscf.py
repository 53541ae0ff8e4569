# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validator for piranha's ``lvs.cf`` (``/etc/sysconfig/ha/lvs.cf``), checked against piranha itself.

piranha has no configuration checker of its own: ``pulse``/``lvsd`` only log "error parsing ... on line N"
when they start, after the old configuration is gone. This module reads a file exactly as piranha's parser does
(``lvsParseConfig`` in ``lvsconfig.c``, piranha 0.8.6: the same tokenizer, line splitting, comments and argument
counts) and reports **every** problem with its line number and the fix, plus what the daemons would do wrong with
a file their parser accepts.

It has no dependency outside the Python standard library, so the same file is used two ways:

* imported by the collection's plugins (``check_text()``, ``validate_text()``) and the ``lvs.cluster.lvscf_validate``
  module;
* as a stand-alone program on the director (``python3 _lvscf.py FILE``), which is what the ``director_piranha`` role
  installs and uses as the ``validate:`` command of its template task.

The model (``plugins/module_utils/_model/piranha.py``) decides what the collection writes; this module only judges a
file. ``tests/daemons/test_piranha_parser.py`` builds piranha's real parser and checks that nothing this validator
accepts is refused by piranha, and that every rule below that piranha's parser does not apply is one of these.

Every finding carries a rule id (``LvsCfError.rule``). Rules are of three kinds (``RULES``):

* rules piranha's parser applies itself (it refuses the file too): unknown keywords, a missing ``=``, wrong argument
  counts, values that are not numbers or booleans, unknown enumerations, bad quoting, misplaced blocks;
* **stricter rules**, where piranha's parser accepts the file but a daemon then misbehaves. Each is an error and each is
  justified by what pulse, lvsd or nanny do with the value (piranha 0.8.6 sources):

  - ``[cr]`` carriage returns: ``getNextToks`` ends a line at the next CR found anywhere later in the file, so one CR
    makes every line before it be misread;
  - ``[nul]`` a NUL byte: the parser reads the file as a C string and silently ignores everything after it;
  - ``[no-service]`` no active virtual (or failover) block: pulse exits with "no active lvs services defined";
  - ``[partial-line]`` a quotation mismatch inside a virtual or failover block (after its first line):
    ``parseVirtualServer`` ignores the tokenizer's error and silently keeps the words before the mismatch;
  - ``[decimal]`` numbers are read with ``strtol(..., 0)``: ``010`` is octal 8;
  - ``[range]`` each number's range: what the daemons do outside it is named in the message (``htons`` wrapping a
    port, ``syncd_id & 0xff``, nanny dividing by ``timeout``, lvsd printing an unsigned mark with ``%d``, ipvsadm
    refusing weights above 65535 and persistence above 2678400 s, a keepalive of 0 sending heartbeats in a busy loop);
  - ``[ipv4]`` addresses as four decimal numbers: piranha resolves host names with DNS once at start-up and
    ``inet_aton`` reads ``10.1`` or ``010.0.0.1`` as other addresses than they look; ``0.0.0.0`` means "unset" to pulse;
  - ``[netmask]`` ``vip_nmask``/``nat_nmask`` contiguous: pulse runs ``ifconfig DEV ADDR netmask MASK``, which the kernel
    refuses for a non-contiguous mask (the address is then not brought up); ``[pmask]`` an unreadable ``pmask`` is
    silently ignored by the parser;
  - ``[alias]`` ``address``/``nat_router`` need ``DEV:N`` of at most 15 characters (IFNAMSIZ - 1): pulse runs
    ``/sbin/ifconfig DEV:N ADDR up`` and, at failover or stop, ``/sbin/ifconfig DEV:N down``; on a bare interface that
    replaces the NIC's own address and then takes the whole NIC down, and ifconfig truncates a longer label to the
    base NIC with the same effect;
  - ``[ifname]`` ``syncd_iface`` is an interface name for ``ipvsadm --mcast-interface`` (at most 15 characters);
  - ``[exec-path]`` ``ipvsadm``, ``client_monitor``, ``active_cmd``/``inactive_cmd`` start with an absolute path: pulse
    and lvsd run them with ``execv``, which does not search ``PATH``; ``[load-monitor]`` ``load_monitor`` (and
    ``rsh_command``) are run by nanny as the load command: only ``none``, ``uptime``, ``rup``, ``ruptime`` (``rsh``, ``ssh``);
  - ``[single-quote]`` ``send``, ``expect`` and ``send_program`` in double quotes (or one unquoted word): lvsd's
    ``strip_quotes`` removes only double quotes, so single quotes would be sent or expected literally;
  - ``[escape]`` in ``send`` and ``expect`` a backslash must start ``\\\\``, ``\\r``, ``\\n``, ``\\t``, ``\\'`` or ``\\"``:
    nanny's ``convert_str`` translates exactly those and loops forever on any other (or on a final backslash);
  - ``[expect-length]`` ``expect`` at most 254 bytes once translated: nanny reads at most 254 bytes of the reply
    (``read_buf[255]``) and compares only that many;
  - ``[program-size]`` ``send_program`` at most 254 bytes and 39 words, ``active_cmd``/``inactive_cmd`` at most 39 words:
    nanny copies the command into a 255-byte buffer and both split it into at most 40 ``argv`` slots, without bounds;
  - ``[program-expect]`` ``send_program`` needs ``expect``: nanny's ``external_check`` fails every check without it;
  - ``[regex]`` with ``use_regex = 1``, ``expect`` must compile as a POSIX extended regular expression
    (``regcomp(REG_EXTENDED)`` as nanny does; checked with the C library when it can be loaded): otherwise every check fails;
  - ``[network]`` ``network`` must be set: the parser silently defaults to NAT and lvsd then masquerades (``-m``);
    ``[nat-router]`` NAT needs ``nat_router``: pulse brings up the real servers' gateway only from it;
  - ``[primary]`` ``primary`` must be set: pulse decides whether it is the primary by comparing it with its addresses;
    ``[backup]`` ``backup_active = 1`` needs ``backup`` (pulse clears backup_active and the backup's pulse exits), and
    ``backup`` must differ from ``primary``; ``[private]`` a ``*_private`` heartbeat address must not be the other
    director's public one: pulse binds a second heartbeat socket on it and exits when it cannot;
  - ``[deadtime]`` ``deadtime`` above ``keepalive``: the backup declares the primary dead when no heartbeat came within
    ``deadtime`` and would fail over between two heartbeats;
  - ``[required]`` ``address`` and ``active`` in every virtual and server block: ``active`` defaults to 0 (lvsd silently
    skips the block) and a missing address makes lvsd use 0.0.0.0;
  - ``[vip-director]`` a virtual address equal to a director's address: pulse takes the alias down at failover and the
    director loses its own address; ``[alias-clash]`` two addresses on one alias: the second ``ifconfig`` replaces the
    first;
  - ``[duplicate-service]`` two virtuals with one address:port:protocol or one fwmark, ``[duplicate-server]`` one real
    server twice in a virtual: ipvsadm refuses the second (lvsd fails to add it); ``[server-vip]`` a real server at the
    virtual address would make the director forward to itself;
  - ``[port-remap]`` with ``network = direct``/``tunnel`` a server port different from the virtual port: ipvsadm keeps
    the virtual port for ``-g``/``-i`` while nanny checks the server port, a port that gets no traffic;
  - ``[failover-cmd]`` a failover block needs ``start_cmd`` and ``stop_cmd``: fos runs them to move the service;
* **warnings** (reported, never fatal) for what the daemons ignore or read in a surprising way: a repeated key (the
  last wins), keys of the other block kind, ``nat_*``/``syncd_*``/``pmask`` without the setting that uses them, a
  ``send`` next to ``send_program``, ``use_regex`` without ``expect``, an unknown ``debug_level`` (no daemon reads it),
  a port given as a service name (resolved through each director's ``/etc/services``), a hexadecimal number, an
  unclosed block at the end of the file, duplicate block names, a virtual without servers, control characters or an
  empty ``send``/``expect``, a relative ``send_program`` (nanny uses ``execvp``, which searches ``PATH``).

Rules of earlier versions of this validator that neither piranha's parser nor its daemons justify were dropped:
quoted numbers, unquoted one-word ``send``/``expect``, ``#`` inside a quoted value, ``\\t`` and ``\\"`` escapes,
``heartbeat = 0`` with a backup (pulse never reads ``heartbeat``), alias labels that are not numbers, a blank after a
closing quote when the value has one inside; and what the daemons only ignore became a warning.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket
import sys

SCHEDULERS = ('lc', 'rr', 'wlc', 'wrr', 'lblc', 'lblcr', 'dh', 'sh')
NETWORKS = ('direct', 'nat', 'tunnel')
PROTOCOLS = ('tcp', 'udp')
LOAD_MONITORS = ('none', 'uptime', 'rup', 'ruptime')
RSH_COMMANDS = ('rsh', 'ssh')
DEBUG_LEVELS = ('NONE', 'LOW', 'MEDIUM', 'HIGH')
INT_MAX = 2147483647
INT_MIN = -2147483648
# nanny reads at most this many bytes of a reply and compares only that many characters of expect (read_buf[255]).
EXPECT_MAX = 254
# nanny copies send_program into char temp[255]; nanny and pulse split commands into char *argv[40] (NULL included).
PROGRAM_MAX = 254
PROGRAM_WORDS = 39
IFNAMSIZ = 16
# piranha's tokenizer keeps at most LVS_MAX_TOKENS - 1 tokens per line.
MAX_TOKENS = 99
# The escapes nanny's convert_str translates (after a backslash); any other makes it loop forever.
NANNY_ESCAPES = {'\\': '\\', 'r': '\r', 'n': '\n', 't': '\t', "'": "'", '"': '"'}

_BLANK = ' \t'
_DEC_RE = re.compile(r'[+-]?[0-9]+')
_IPV4_RE = re.compile(r'(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
# An interface alias as pulse hands it to ifconfig: DEV:LABEL, at most IFNAMSIZ - 1 characters in all.
_DEV_ALIAS_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+')
_IFACE_RE = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}')
_NAME_RE = re.compile(r'[A-Za-z0-9_.:@-]+')

# rule id -> (severity, kind): kind 'parser' = piranha's parser refuses it too; 'runtime' = stricter than the
# parser, justified in the module docstring by what pulse/lvsd/nanny do; 'warning' = reported only.
RULES = {
    'syntax': ('error', 'parser'), 'quoting': ('error', 'parser'), 'keyword': ('error', 'parser'),
    'equal': ('error', 'parser'), 'arguments': ('error', 'parser'), 'integer': ('error', 'parser'),
    'boolean': ('error', 'parser'), 'choice': ('error', 'parser'), 'address': ('error', 'parser'),
    'block': ('error', 'parser'),
    'cr': ('error', 'runtime'), 'nul': ('error', 'runtime'), 'no-service': ('error', 'runtime'),
    'decimal': ('error', 'runtime'), 'range': ('error', 'runtime'), 'ipv4': ('error', 'runtime'),
    'netmask': ('error', 'runtime'), 'pmask': ('error', 'runtime'), 'alias': ('error', 'runtime'),
    'ifname': ('error', 'runtime'), 'exec-path': ('error', 'runtime'), 'load-monitor': ('error', 'runtime'),
    'single-quote': ('error', 'runtime'), 'escape': ('error', 'runtime'), 'expect-length': ('error', 'runtime'),
    'program-size': ('error', 'runtime'), 'program-expect': ('error', 'runtime'), 'regex': ('error', 'runtime'),
    'network': ('error', 'runtime'), 'nat-router': ('error', 'runtime'), 'primary': ('error', 'runtime'),
    'backup': ('error', 'runtime'), 'private': ('error', 'runtime'), 'deadtime': ('error', 'runtime'),
    'required': ('error', 'runtime'), 'vip-director': ('error', 'runtime'), 'alias-clash': ('error', 'runtime'),
    'duplicate-service': ('error', 'runtime'), 'duplicate-server': ('error', 'runtime'), 'server-vip': ('error', 'runtime'),
    'port-remap': ('error', 'runtime'), 'failover-cmd': ('error', 'runtime'), 'encoding': ('error', 'runtime'),
    'partial-line': ('error', 'runtime'),
    'warning': ('warning', 'warning'),
}


class LvsCfError(object):
    """One finding: the line it is on (0 for the whole file), what is wrong, the fix, its rule and severity."""

    def __init__(self, line, message, fix, rule='syntax'):
        self.line = line
        self.message = message
        self.fix = fix
        self.rule = rule
        self.severity = RULES[rule][0]

    def __str__(self):
        where = 'line %d' % self.line if self.line else 'file'
        return '%s%s: %s. Fix: %s' % ('warning: ' if self.severity == 'warning' else '', where, self.message, self.fix)

    def __repr__(self):
        return 'LvsCfError(%r, rule=%s)' % (str(self), self.rule)

    def as_dict(self):
        return {'line': self.line, 'message': self.message, 'fix': self.fix, 'rule': self.rule, 'severity': self.severity}


class Token(object):
    """One token as piranha's tokenizer cuts it: its text (quotes removed) and the quote character ('' when bare)."""

    def __init__(self, text, quote):
        self.text = text
        self.quote = quote

    def __eq__(self, other):
        return (self.text, self.quote) == (other.text, other.quote)

    def __repr__(self):
        return 'Token(%r, %r)' % (self.text, self.quote)


class Block(object):
    """``global`` (the file), ``virtual``, ``failover`` or ``server`` with its settings and children."""

    def __init__(self, kind, name, line, parent=None):
        self.kind = kind
        self.name = name
        self.line = line
        self.parent = parent
        self.settings = {}   # keyword -> (list of token texts, line, list of Token)
        self.children = []
        self.present = set()  # keywords seen, valid or not (so a bad value is not also reported as missing)
        self.lines = 0        # lines read inside the block (piranha checks the tokenizer's error on the first one only)

    def get(self, key, default=None):
        return self.settings[key][0][0] if key in self.settings else default

    def args(self, key):
        return self.settings[key][0] if key in self.settings else None

    def line_of(self, key):
        return self.settings[key][1] if key in self.settings else self.line

    def number(self, key, default):
        return _int_value(self.get(key)) if key in self.settings else default

    def label(self):
        return 'global section' if self.kind == 'global' else '%s %s (line %d)' % (self.kind, self.name, self.line)


# --------------------------------------------------------------------------------------------------
# Reading values as piranha does

def _int_value(text):
    """The integer piranha's getNum reads (strtol base 0), or None when it refuses the text."""
    if text == '':
        return 0  # strtol reads nothing and stops at the end: piranha reads 0
    match = re.fullmatch(r'[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)', text)
    if not match:
        return None
    sign, digits = match.groups()
    if digits[:2] in ('0x', '0X'):
        value = int(digits, 16)
    elif digits.startswith('0'):
        value = int(digits, 8)
    else:
        value = int(digits)
    return -value if sign == '-' else value


def translate(text):
    """``text`` after nanny's convert_str (None when nanny would loop forever on it)."""
    if len(text) <= 1:
        return text
    out = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == '\\':
            nxt = text[pos + 1:pos + 2]
            if nxt not in NANNY_ESCAPES:
                return None
            out.append(NANNY_ESCAPES[nxt])
            pos += 2
            continue
        out.append(char)
        pos += 1
    return ''.join(out)


def posix_regex_error(pattern):
    """None when ``pattern`` compiles with the C library's regcomp(REG_EXTENDED) (what nanny uses), else a reason.
    Falls back to Python's re when the C library cannot be loaded (the result is then only indicative)."""
    try:
        import ctypes  # pylint: disable=import-outside-toplevel
        libc = ctypes.CDLL(None)
        buf = ctypes.create_string_buffer(1024)  # larger than glibc's and musl's regex_t
        status = libc.regcomp(buf, pattern.encode('utf-8'), 1)
        if status == 0:
            libc.regfree(buf)
            return None
        return 'regcomp error %d' % status
    except (OSError, AttributeError, ImportError):
        try:
            re.compile(pattern)
        except re.error as exc:
            return str(exc)
        return None


def netmask_bits(text):
    """Prefix length of a dotted netmask, or None when it is not a contiguous IPv4 netmask."""
    if not _IPV4_RE.fullmatch(text):
        return None
    value = 0
    for part in text.split('.'):
        value = (value << 8) | int(part)
    inverted = (~value) & 0xFFFFFFFF
    if inverted & (inverted + 1):
        return None
    return 32 - bin(inverted).count('1')


def _inet_aton(text):
    """True when glibc's inet_aton would read the text as an address (any of its shortened/octal/hex forms)."""
    parts = text.split('.')
    if not 1 <= len(parts) <= 4 or any(p == '' for p in parts):
        return False
    values = []
    for part in parts:
        if not re.fullmatch(r'0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*', part):
            return False
        values.append(int(part, 16) if part[:2].lower() == '0x' and len(part) > 2 else int(part, 8) if part.startswith('0') else int(part))
    limits = [256] * (len(values) - 1) + [256 ** (5 - len(values))]
    return all(v < lim for v, lim in zip(values, limits))


# --------------------------------------------------------------------------------------------------
# Value checkers: each takes (tokens, key) and returns (message, fix, rule) or None.

def _check_int(lo, hi, why, port=False):
    def check(tokens, key):
        text = tokens[0].text
        value = _int_value(text)
        if value is None and port:
            try:
                value = socket.getservbyname(text, 'tcp')
            except (OSError, socket.error):
                return ('%s is neither a number nor a service name known to this host: %r' % (key, text),
                        'write the port number', 'integer')
            return ('%s is the service name %r; piranha looks it up in each director\'s /etc/services (%d here)' % (key, text, value),
                    'write %s = %d' % (key, value), 'warning')
        if value is None:
            return ('%s needs an integer, got %r' % (key, text), 'write a decimal integer between %d and %d' % (lo, hi), 'integer')
        if not _DEC_RE.fullmatch(text):
            if re.fullmatch(r'[+-]?0[xX][0-9a-fA-F]+', text):
                return ('%r is a hexadecimal number (%d)' % (text, value), 'write %s = %d' % (key, value), 'warning')
            return ('%r is read as %d by piranha (strtol reads a leading 0 as octal)' % (text, value),
                    'write the number in decimal without leading zeros', 'decimal')
        if re.fullmatch(r'[+-]?0[0-9]+', text):
            return ('%r is read as the octal number %d by piranha' % (text, value),
                    'write the number in decimal without leading zeros', 'decimal')
        if not lo <= value <= hi:
            return ('%s must be between %d and %d, got %d (%s)' % (key, lo, hi, value, why), 'write a value between %d and %d' % (lo, hi),
                    'range')
        return None
    return check


def _check_bool(tokens, key):
    value = _int_value(tokens[0].text)
    if value is None:
        return ('%s is a boolean and must be 0 or 1, got %r' % (key, tokens[0].text), 'write %s = 0 or %s = 1' % (key, key), 'integer')
    if not INT_MIN <= value <= INT_MAX:
        return ('%s must be 0 or 1, got %r, which piranha stores in an int (it wraps to another value)' % (key, tokens[0].text),
                'write %s = 0 or %s = 1' % (key, key), 'range')
    if value not in (0, 1):
        return ('%s is a boolean and must be 0 or 1, got %r' % (key, tokens[0].text), 'write %s = 0 or %s = 1' % (key, key),
                'warning' if key == 'monitor_links' else 'boolean')
    return None


def _check_enum(choices, rule='choice', why=''):
    def check(tokens, key):
        if tokens[0].text not in choices:
            return ('%s must be one of %s, got %r%s' % (key, ' '.join(choices), tokens[0].text, why),
                    'write one of: %s' % ', '.join('%s = %s' % (key, c) for c in choices), rule)
        return None
    return check


def _ipv4_problem(text, key, dns=True):
    if _IPV4_RE.fullmatch(text):
        if text == '0.0.0.0':
            return ('%s must not be 0.0.0.0: pulse and lvsd read it as "not set"' % key, 'write the real IPv4 address',
                    'address' if key == 'primary' else 'ipv4')
        return None
    parser_reads = _inet_aton(text) or (dns and re.fullmatch(r'[A-Za-z0-9.-]+', text) and not text.replace('.', '').isdigit())
    if ':' in text and re.fullmatch(r'[0-9A-Fa-f:.]+', text):
        return ('%s must be an IPv4 address; piranha does not support IPv6 (%r)' % (key, text),
                'use an IPv4 address, or the keepalived backend for IPv6', 'address')
    return ('%s must be four decimal numbers 0-255 (an IPv4 address), got %r; %s' % (
        key, text, 'piranha resolves host names with DNS once at start-up and inet_aton reads shortened or leading-zero forms as '
        'other addresses' if parser_reads else 'piranha cannot read it'),
        'write e.g. 203.0.113.10', 'ipv4' if parser_reads else 'address')


def _check_ipv4(tokens, key):
    return _ipv4_problem(tokens[0].text, key)


def _check_ipv4_no_dns(tokens, key):
    return _ipv4_problem(tokens[0].text, key, dns=False)


def _check_netmask(tokens, key):
    text = tokens[0].text
    if key == 'pmask':
        if not _inet_aton(text):
            return ('pmask %r is not an address; the parser silently ignores it (no persistence netmask)' % text,
                    'write e.g. pmask = 255.255.255.0', 'pmask')
        if not _IPV4_RE.fullmatch(text):
            return ('pmask %r is not written as four decimal numbers: inet_aton reads it as another mask than it looks' % text,
                    'write e.g. pmask = 255.255.255.0', 'ipv4')
        if netmask_bits(text) is None or text in ('0.0.0.0', '255.255.255.255'):
            return ('pmask %r is not a contiguous netmask below /32 (255.255.255.255 is read as no mask)' % text,
                    'write e.g. pmask = 255.255.255.0', 'warning')
        return None
    if not _inet_aton(text):
        return ('%s must be a netmask, got %r' % (key, text), 'write e.g. %s = 255.255.255.0' % key, 'address')
    if netmask_bits(text) is None or text == '0.0.0.0':
        return ('%s must be a contiguous IPv4 netmask written as four decimal numbers, got %r: pulse runs ifconfig ... netmask %s, '
                'which the kernel refuses for anything else' % (key, text, text), 'write e.g. %s = 255.255.255.0' % key, 'netmask')
    return None


def alias_problem(dev):
    """Why ``dev`` cannot be the interface alias pulse brings a floating address up on, or None."""
    if ':' not in dev:
        return 'a bare interface (%r): pulse would replace its own address and take the whole NIC down at failover' % dev
    if not _DEV_ALIAS_RE.fullmatch(dev):
        return '%r is not an interface alias DEV:N' % dev
    if len(dev.encode('utf-8')) > IFNAMSIZ - 1:
        return ('%r is %d characters long; Linux interface names have at most %d (IFNAMSIZ), and ifconfig truncates a longer '
                'alias to the base NIC, replaces its address and then takes the whole NIC down' % (dev, len(dev), IFNAMSIZ - 1))
    return None


def _check_addr_dev(tokens, key):
    bad = _ipv4_problem(tokens[0].text, key)
    if bad:
        return bad
    problem = alias_problem(tokens[1].text)
    if problem:
        base = tokens[1].text.split(':')[0][:IFNAMSIZ - 3] or 'eth0'
        return ('%s needs the interface alias DEV:N after the address: %s' % (key, problem),
                'write %s = %s %s:1 (at most %d characters)' % (key, tokens[0].text, base, IFNAMSIZ - 1), 'alias')
    return None


def _check_iface(tokens, key):
    if not _IFACE_RE.fullmatch(tokens[0].text):
        return ('%s must be an interface name of at most 15 characters, got %r (ipvsadm --mcast-interface)' % (key, tokens[0].text),
                'write e.g. %s = eth0' % key, 'ifname')
    return None


def _check_any(tokens, key):
    return None


def _check_exec_path(tokens, key):
    if not tokens[0].text.startswith('/'):
        return ('%s must be an absolute path, got %r: it is run with execv, which does not search PATH' % (key, tokens[0].text),
                'write the full path, e.g. /sbin/ipvsadm', 'exec-path')
    return None


def _check_text(tokens, key):
    """send and expect: what nanny sends or expects, after lvsd's strip_quotes and nanny's convert_str."""
    token = tokens[0]
    if token.quote == "'":
        return ('%s is in single quotes; lvsd strips only double quotes, so nanny would %s the quotes too' % (
            key, 'send' if key == 'send' else 'expect'), 'write %s = "%s"' % (key, token.text), 'single-quote')
    if not token.quote and token.text.endswith('"'):
        return ('%s ends with a double quote, which lvsd strips' % key, 'quote the whole value', 'single-quote')
    text = token.text
    translated = translate(text)
    if translated is None:
        bad = re.search(r'\\(.?)', text.replace('\\\\', ''))
        shown = '\\' + (bad.group(1) if bad else '')
        return ('%s contains the escape %r: nanny translates only \\\\, \\r, \\n, \\t, \\\' and \\" and loops forever on any '
                'other backslash' % (key, shown), 'write a literal backslash as \\\\ and use only those escapes', 'escape')
    if text == '':
        return ('%s is empty' % key, 'remove the line or give the text', 'warning')
    if any(ord(c) < 32 and c != '\t' or ord(c) == 127 for c in text):
        return ('%s contains a control character' % key, 'write \\r, \\n or \\t escapes instead', 'warning')
    return None


def _check_command(tokens, key):
    """A command line as pulse (active_cmd, inactive_cmd) or nanny (send_program) splits it: words between single blanks."""
    token = tokens[0]
    text = token.text
    if token.quote == "'" and key in ('send_program', 'start_cmd', 'stop_cmd'):
        return ('%s is in single quotes; lvsd strips only double quotes, so the program name would start with a quote' % key,
                'write %s = "%s"' % (key, text), 'single-quote')
    words = [w for w in text.split(' ') if w]
    if not words:
        return ('%s is empty' % key, 'give the absolute path of the program', 'required')
    if len(words) > PROGRAM_WORDS:
        return ('%s has %d words; the daemons split it into at most %d arguments without bounds checks' % (key, len(words), PROGRAM_WORDS),
                'put the command in a script and call the script', 'program-size')
    if key == 'send_program' and len(text.encode('utf-8')) > PROGRAM_MAX:
        return ('send_program is %d bytes long; nanny copies it into a %d-byte buffer' % (len(text.encode('utf-8')), PROGRAM_MAX + 1),
                'put the command in a script with a shorter path and fewer arguments', 'program-size')
    if not words[0].startswith('/'):
        if key in ('active_cmd', 'inactive_cmd'):
            return ('%s must start with the absolute path of the program, got %r: pulse runs it with execv, which does not search '
                    'PATH' % (key, words[0]), 'write %s = "/usr/local/bin/script ARGS"' % key, 'exec-path')
        return ('%s does not start with an absolute path (%r): it is looked up in the daemon\'s PATH' % (key, words[0]),
                'write %s = "/usr/local/bin/check %%h"' % key, 'warning')
    return None


_PORT_WHY = 'ipvsadm refuses other ports and nanny would check another one'
GLOBAL_KEYS = {
    # keyword: (number of arguments, checker)
    'serial_no': (1, _check_int(INT_MIN, INT_MAX, 'piranha stores it in an int: larger values wrap')),
    'service': (1, _check_enum(('lvs', 'fos'))),
    'primary': (1, _check_ipv4),
    'primary_private': (1, _check_ipv4),
    'primary_shared': (1, _check_any),
    'backup': (1, _check_ipv4),
    'backup_active': (1, _check_bool),
    'backup_private': (1, _check_ipv4),
    'backup_shared': (1, _check_any),
    'heartbeat': (1, _check_bool),
    'heartbeat_port': (1, _check_int(1, 65535, 'pulse binds htons(port): other values wrap to another port', port=True)),
    'keepalive': (1, _check_int(1, INT_MAX, 'pulse adds it to its heartbeat timer: 0 or less sends heartbeats in a busy loop')),
    'deadtime': (1, _check_int(1, INT_MAX, 'pulse adds it to its dead-partner timer: 0 or less declares the partner dead at once')),
    'network': (1, _check_enum(NETWORKS)),
    'nat_router': (2, _check_addr_dev),
    'nat_nmask': (1, _check_netmask),
    'debug_level': (1, _check_enum(DEBUG_LEVELS, 'warning', ' (no daemon reads it)')),
    'monitor_links': (1, _check_bool),
    'syncdaemon': (1, _check_bool),
    'syncd_iface': (1, _check_iface),
    'syncd_id': (1, _check_int(0, 255, 'pulse passes syncd_id & 0xff to ipvsadm')),
    'tcp_timeout': (1, _check_int(0, INT_MAX, 'lvsd passes it to ipvsadm --set, which refuses negative values')),
    'tcpfin_timeout': (1, _check_int(0, INT_MAX, 'lvsd passes it to ipvsadm --set, which refuses negative values')),
    'udp_timeout': (1, _check_int(0, INT_MAX, 'lvsd passes it to ipvsadm --set, which refuses negative values')),
    'hard_shutdown': (1, _check_bool),
    'reservation_conflict_action': (1, _check_enum(('nothing', 'preempt'))),
    'rsh_command': (1, _check_enum(RSH_COMMANDS, 'load-monitor', ': nanny runs it as the load command')),
    'ipvsadm': (1, _check_exec_path),
    'active_cmd': (1, _check_command),
    'inactive_cmd': (1, _check_command),
    'sync': (1, _check_bool),
}

_SERVICE_COMMON = {
    'active': (1, _check_bool),
    'address': (2, _check_addr_dev),
    'vip_nmask': (1, _check_netmask),
    'port': (1, _check_int(1, 65535, _PORT_WHY, port=True)),
    'protocol': (1, _check_enum(PROTOCOLS)),
    'send': (1, _check_text),
    'expect': (1, _check_text),
    'use_regex': (1, _check_bool),
    'send_program': (1, _check_command),
    'timeout': (1, _check_int(1, INT_MAX, 'nanny divides reentry by it and waits that long per check')),
    'reentry': (1, _check_int(0, INT_MAX, 'nanny counts reentry / timeout good checks before re-adding a server')),
    'sorry_server': (1, _check_ipv4_no_dns),
    'fwmark': (1, _check_int(1, INT_MAX, 'lvsd prints the mark with %d: larger marks become negative for ipvsadm; 0 means no mark')),
    'scheduler': (1, _check_enum(SCHEDULERS)),
    'persistent': (1, _check_int(0, 2678400, 'ipvsadm refuses persistence above 31 days; lvsd ignores values of 0 or less')),
    'pmask': (1, _check_netmask),
    'load_monitor': (1, _check_enum(LOAD_MONITORS, 'load-monitor', ': nanny runs any other value as a program')),
    'quiesce_server': (1, _check_bool),
    'client_monitor': (1, _check_exec_path),
    'start_cmd': (1, _check_command),
    'stop_cmd': (1, _check_command),
}
VIRTUAL_ONLY = ('sorry_server', 'fwmark', 'scheduler', 'persistent', 'pmask', 'load_monitor', 'quiesce_server', 'client_monitor')
FAILOVER_ONLY = ('start_cmd', 'stop_cmd')
VIRTUAL_KEYS = dict((k, v) for k, v in _SERVICE_COMMON.items() if k not in FAILOVER_ONLY)
FAILOVER_KEYS = dict((k, v) for k, v in _SERVICE_COMMON.items() if k not in VIRTUAL_ONLY)
# Keys piranha's parser reads in both kinds of block but that only one kind uses; master and dirs are never used.
IGNORED_KEYS = {'virtual': FAILOVER_ONLY + ('master',), 'failover': VIRTUAL_ONLY + ('master',)}

SERVER_KEYS = {
    'address': (1, _check_ipv4),
    'active': (1, _check_bool),
    'weight': (1, _check_int(0, 65535, 'ipvsadm refuses weights outside 0-65535')),
    'port': (1, _check_int(1, 65535, _PORT_WHY)),
}

KEYS = {'global': GLOBAL_KEYS, 'virtual': VIRTUAL_KEYS, 'failover': FAILOVER_KEYS, 'server': SERVER_KEYS}
STRING_KEYS = ('send', 'expect', 'send_program', 'start_cmd', 'stop_cmd', 'active_cmd', 'inactive_cmd')


# --------------------------------------------------------------------------------------------------
# Tokenizer and parser (lvsconfig.c: getNextToks, tokenizeString)

def tokenize(line):
    """Cut one line (without its line end, leading blanks removed) into Tokens exactly as piranha's tokenizeString does.

    A bare token runs to the next blank. A token starting with a quote runs to the next blank when the character
    before that blank is the same quote, else to the first same quote after that blank (so a quote character can be
    part of a quoted value only before its first blank). Returns (tokens, problem) where problem is (message, fix) for
    what piranha reports as a quotation mismatch.
    """
    tokens = []
    pos, size = 0, len(line)
    while pos < size and len(tokens) < MAX_TOKENS:
        end = pos
        while end < size and line[end] not in _BLANK:
            end += 1
        quote = line[pos] if line[pos] in '"\'' else ''
        start = pos + 1 if quote else pos
        if quote:
            while end < size and line[end] != quote:
                end += 1
            if end < size:
                end += 1
            if end <= start or line[end - 1] != quote:
                return tokens, ('the value quoted with %s at column %d has no closing quote at the end of a word (piranha: '
                                'quotation mismatch)' % (quote, pos + 1),
                                'close the quote right before a blank or the line end, with no blanks after it unless the value '
                                'has one inside')
            tokens.append(Token(line[start:end - 1], quote))
        else:
            tokens.append(Token(line[pos:end], ''))
        while end < size and line[end] in _BLANK:
            end += 1
        pos = end
    return tokens, None


def parse(text):
    """Parse lvs.cf text. Returns (root Block, [LvsCfError]) with the syntax findings."""
    errors = []
    root = Block('global', None, 0)
    if '\x00' in text:
        errors.append(LvsCfError(text[:text.index('\x00')].count('\n') + 1, 'the file contains a NUL byte; piranha stops reading '
                                 'at it and ignores the rest', 'remove it', 'nul'))
        text = text[:text.index('\x00')]
    if '\r' in text:
        first = text[:text.index('\r')].count('\n') + 1
        errors.append(LvsCfError(first, 'the file contains carriage returns (DOS line ends); piranha ends the current line '
                                        'at the next CR anywhere in the file and misreads every line before it',
                                 'convert the file to Unix line ends (dos2unix)', 'cr'))
        text = text.replace('\r', '')
    stack = [root]
    pending = None   # a block header without '{' (already reported): its '{' alone on the next line is not reported again
    for number, raw in enumerate(text.split('\n'), 1):
        line = raw.lstrip(_BLANK)
        if not line or line.startswith('#'):
            continue
        tokens, problem = tokenize(line)
        block = stack[-1]
        block.lines += 1
        if problem:
            if block.kind in ('virtual', 'failover') and block.lines > 1:
                # parseVirtualServer ignores getNextToks' error after the block's first line: it reads the words before it.
                errors.append(LvsCfError(number, problem[0] + '; inside a %s block piranha ignores the mismatch and silently reads '
                                         'only the words before it' % block.kind, problem[1], 'partial-line'))
            else:
                errors.append(LvsCfError(number, problem[0], problem[1], 'quoting'))
            continue
        first = tokens[0]
        words = [token.text for token in tokens]
        if pending is not None:
            pending = None
            if words == ['{']:
                continue  # the header without '{' was reported already
        if first.text == '}' and not first.quote:
            if len(tokens) > 1:
                errors.append(LvsCfError(number, "'}' must be alone on its line, got %r" % ' '.join(words),
                                         "put each '}' and each setting on its own line", 'block'))
            if len(stack) == 1:
                errors.append(LvsCfError(number, "'}' closes no block", 'remove it, or open the block it belongs to', 'keyword'))
            else:
                stack.pop()
            continue
        if first.text in ('virtual', 'failover', 'server') and not first.quote:
            pending = _open_block(errors, stack, number, tokens)
            continue
        _setting(errors, block, number, tokens)
    for block in stack[1:]:
        errors.append(LvsCfError(block.line, '%s %s is never closed (piranha reads it to the end of the file; a truncated file?)'
                                 % (block.kind, block.name), "add a line with '}' at the end of the block", 'warning'))
    return root, errors


def _open_block(errors, stack, number, tokens):
    """Open a block; returns the block when its '{' is missing (it may follow alone on the next line)."""
    kind = tokens[0].text
    block = stack[-1]
    words = [token.text for token in tokens]
    allowed_parent = ('virtual', 'failover') if kind == 'server' else ('global',)
    if block.kind not in allowed_parent:
        if kind == 'server':
            fix = 'put server blocks inside a virtual block'
        else:
            fix = "close the %s block with '}' before opening %s %s" % (block.kind, kind, words[1] if len(words) > 1 else '')
        errors.append(LvsCfError(number, '%s block not allowed inside the %s' % (kind, block.label()), fix, 'keyword'))
    elif kind == 'server' and block.kind == 'failover':
        errors.append(LvsCfError(number, 'server block inside failover %s: failover services have no real servers (fos ignores it)'
                                 % block.name, 'remove it', 'warning'))
    if len(tokens) == 3 and words[2] == '{':
        name = words[1]
        if not _NAME_RE.fullmatch(name):
            errors.append(LvsCfError(number, '%s name %r is not one plain word' % (kind, name),
                                     'use letters, digits, "_", ".", ":", "@" or "-" without quotes', 'warning'))
    else:
        pending = None
        if len(tokens) == 2 and words[1].endswith('{') and len(words[1]) > 1:
            name, fix = words[1][:-1], "put a blank before '{': %s %s {" % (kind, words[1][:-1])
        elif len(tokens) == 2:
            name, fix = words[1], "put '{' on the same line: %s %s {" % (kind, words[1])
            pending = True
        elif len(tokens) > 3 and words[-1] == '{':
            name, fix = words[1], "write '%s NAME {' with a one-word name" % kind
        else:
            name, fix = None, "write '%s NAME {'" % kind
        errors.append(LvsCfError(number, '%s block header must be "%s NAME {", got %r' % (kind, kind, ' '.join(words)), fix,
                                 'arguments'))
        if name is None:
            return None
        child = Block(kind, name, number, block)
        block.children.append(child)
        stack.append(child)
        return child if pending else None
    child = Block(kind, name, number, block)
    block.children.append(child)
    stack.append(child)
    return None


def _setting(errors, block, number, tokens):
    key = tokens[0].text
    words = [token.text for token in tokens]
    known = KEYS[block.kind]
    block.present.add(key)
    if key not in known:
        if key in IGNORED_KEYS.get(block.kind, ()):
            errors.append(LvsCfError(number, '%s is read but not used in a %s block' % (key, block.kind), 'remove it', 'warning'))
            return
        if '=' in key and not tokens[0].quote:
            bare, rest = key.split('=', 1)
            fix = "piranha needs blanks around '=': write '%s = %s'" % (bare, rest if rest else ' '.join(words[1:]))
            errors.append(LvsCfError(number, 'unknown keyword %r (no blank before "=")' % key, fix, 'keyword'))
            return
        elsewhere = [k for k in ('global', 'virtual', 'failover', 'server') if k != block.kind and key in KEYS[k]]
        if key == '{':
            fix = "put '{' at the end of the block header line"
        elif elsewhere:
            fix = '%s belongs in a %s block, not in the %s' % (key, ' or '.join(elsewhere), block.label())
        else:
            fix = 'remove it or use one of: %s' % ', '.join(sorted(known))
        errors.append(LvsCfError(number, 'unknown keyword %r in the %s' % (key, block.label()), fix, 'keyword'))
        return
    nargs, checker = known[key]
    if len(tokens) < 2 or words[1] != '=':
        got = words[1] if len(tokens) > 1 else 'end of line'
        errors.append(LvsCfError(number, "'=' expected after %s, got %r" % (key, got), "write '%s = VALUE' with blanks around '='" % key,
                                 'equal'))
        return
    args = tokens[2:]
    if len(args) != nargs:
        example = {'address': 'address = 203.0.113.100 eth0:1' if block.kind != 'server' else 'address = 203.0.113.21',
                   'nat_router': 'nat_router = 198.51.100.1 eth1:1'}.get(key, '%s = VALUE' % key)
        if any(arg.text.startswith('#') and not arg.quote for arg in args):
            fix = "piranha has no end-of-line comments: move the comment to a line of its own starting with '#'"
        elif key in STRING_KEYS and len(args) > nargs:
            fix = 'quote the whole value: %s = "%s" (a double quote inside it is only possible before its first blank)' % (
                key, ' '.join(arg.text for arg in args))
        else:
            fix = 'write exactly %d value%s: %s' % (nargs, '' if nargs == 1 else 's', example)
        errors.append(LvsCfError(number, '%s takes exactly %d value%s, got %d' % (key, nargs, '' if nargs == 1 else 's', len(args)),
                                 fix, 'arguments'))
        return
    if key in block.settings:
        errors.append(LvsCfError(number, '%s is set twice in the %s (first on line %d); piranha keeps the last'
                                 % (key, block.label(), block.settings[key][1]), 'remove one of the two lines', 'warning'))
    problem = checker(args, key)
    if problem:
        errors.append(LvsCfError(number, problem[0], problem[1], problem[2]))
        if RULES[problem[2]][0] == 'error':
            return
    block.settings[key] = ([arg.text for arg in args], number, args)


# --------------------------------------------------------------------------------------------------
# Cross-checks: what the daemons do with a file their parser accepts

def _cross_check(root):
    errors = []

    def err(line, message, fix, rule):
        errors.append(LvsCfError(line, message, fix, rule))

    g = root
    network = g.get('network', 'nat')
    if 'primary' not in g.present:
        err(0, 'primary is not set: pulse tells the primary from the backup by this address',
            'add "primary = ADDRESS" (the primary director\'s IPv4 address)', 'primary')
    if 'network' not in g.present:
        err(0, 'network is not set; piranha then silently uses NAT', 'add "network = direct", "network = nat" or "network = tunnel"',
            'network')
    if g.get('backup_active') == '1' and 'backup' not in g.present:
        err(g.line_of('backup_active'), 'backup_active = 1 but backup is not set: pulse clears backup_active and the backup exits',
            'add "backup = ADDRESS" (the backup director\'s IPv4 address) or set backup_active = 0', 'backup')
    if 'backup' in g.settings and g.get('backup') == g.get('primary'):
        err(g.line_of('backup'), 'backup has the same address as primary', 'give the backup director its own address', 'backup')
    keepalive, deadtime = g.number('keepalive', 2), g.number('deadtime', 5)
    if ('keepalive' in g.settings or 'deadtime' in g.settings) and keepalive is not None and deadtime is not None and deadtime <= keepalive:
        err(g.line_of('deadtime'), 'deadtime (%d) must be greater than keepalive (%d): the backup would take over between two '
            'heartbeats' % (deadtime, keepalive), 'make deadtime several times keepalive, e.g. keepalive = 2 and deadtime = 10',
            'deadtime')
    if network == 'nat' and 'nat_router' not in g.present and 'network' in g.present:
        err(g.line_of('network'), 'network = nat needs nat_router (the real servers\' gateway, which pulse brings up)',
            'add "nat_router = INSIDE_VIP DEV:N", e.g. nat_router = 198.51.100.1 eth1:1', 'nat-router')
    for key in ('nat_router', 'nat_nmask'):
        if key in g.settings and network != 'nat':
            err(g.line_of(key), '%s is only used with network = nat' % key, 'remove it or set network = nat', 'warning')
    for key in ('syncd_iface', 'syncd_id'):
        if key in g.settings and g.get('syncdaemon') != '1':
            err(g.line_of(key), '%s has no effect without syncdaemon = 1' % key, 'remove it or add "syncdaemon = 1"', 'warning')
    for key, own, other in (('primary_private', 'primary', 'backup'), ('backup_private', 'backup', 'primary')):
        if key in g.settings and g.get(key) == g.get(other):
            err(g.line_of(key), '%s is the %s director\'s public address: pulse binds a heartbeat socket on it and exits when it '
                'cannot' % (key, other), 'give this director\'s private heartbeat address or remove the line', 'private')
        elif key in g.settings and g.get(key) == g.get(own):
            err(g.line_of(key), '%s repeats %s' % (key, own), 'remove the line', 'warning')

    services = [b for b in g.children if b.kind in ('virtual', 'failover')]
    kind = 'failover' if g.get('service') == 'fos' else 'virtual'
    if not [b for b in services if b.kind == kind and b.get('active') == '1']:
        err(g.line_of('service') if 'service' in g.settings else 0,
            'there is no active %s block: pulse exits with "no active %s services defined"' % (kind, 'fos' if kind == 'failover' else 'lvs'),
            'add a "%s NAME {" block with active = 1' % kind, 'no-service')

    names = {}
    aliases = {}   # device alias -> (address, line)
    endpoints = {}
    marks = {}
    director_addrs = set(a for a in (g.get('primary'), g.get('backup')) if a)
    if 'nat_router' in g.settings:
        nat_addr, nat_dev = g.args('nat_router')
        aliases[nat_dev] = (nat_addr, g.line_of('nat_router'))
    for block in services:
        if block.name in names:
            err(block.line, '%s name %r is already used on line %d' % (block.kind, block.name, names[block.name]),
                'give every virtual and failover block a unique name', 'warning')
        names.setdefault(block.name, block.line)
        for key in ('address', 'active'):
            if key not in block.present:
                why = 'lvsd would use 0.0.0.0' if key == 'address' else 'it defaults to 0 and the block is silently skipped'
                err(block.line, '%s %s has no %s (%s)' % (block.kind, block.name, key, why),
                    'add "%s" to the block' % ('address = VIP DEV:N' if key == 'address' else 'active = 1'), 'required')
        if 'address' in block.settings:
            addr, dev = block.args('address')
            line = block.line_of('address')
            if addr in director_addrs:
                err(line, 'the virtual address %s is a director\'s own address: pulse takes its alias down at failover' % addr,
                    'use a dedicated floating IP address', 'vip-director')
            seen = aliases.get(dev)
            if seen and seen[0] != addr:
                err(line, 'interface alias %s already carries %s (line %d); pulse would replace that address' % (dev, seen[0], seen[1]),
                    'give each floating address its own DEV:N alias', 'alias-clash')
            aliases.setdefault(dev, (addr, line))
            for other_dev, (other_addr, other_line) in aliases.items():
                if other_addr == addr and other_dev != dev:
                    err(line, 'address %s is already on alias %s (line %d)' % (addr, other_dev, other_line),
                        'use the same DEV:N for every service of one floating address', 'warning')
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
            errors.append(LvsCfError(block.line_of('send'), 'send is ignored when send_program is set', 'remove send (or send_program)',
                                     'warning'))
        if 'expect' not in block.present:
            errors.append(LvsCfError(block.line_of('send_program'), 'send_program needs expect: nanny fails every check without it',
                                     'add expect = "TEXT THE PROGRAM PRINTS ON SUCCESS"', 'program-expect'))
    regex = block.get('use_regex') == '1'
    if regex and 'expect' not in block.present:
        errors.append(LvsCfError(block.line_of('use_regex'), 'use_regex = 1 without expect has no effect', 'add expect = "REGEX" or remove use_regex',
                                 'warning'))
    if 'expect' in block.settings:
        expect = translate(block.get('expect'))
        if regex:
            problem = posix_regex_error(expect)
            if problem:
                errors.append(LvsCfError(block.line_of('expect'), 'expect is not a POSIX extended regular expression (%s): nanny then '
                                         'fails every check' % problem, 'fix the expression or set use_regex = 0', 'regex'))
        elif 'send_program' not in block.settings and len(expect.encode('utf-8')) > EXPECT_MAX:
            errors.append(LvsCfError(block.line_of('expect'), 'expect is %d bytes once translated; nanny reads and compares at most %d'
                                     % (len(expect.encode('utf-8')), EXPECT_MAX), 'shorten it to the start of the reply',
                                     'expect-length'))
    return errors


def _check_virtual(block, network, endpoints, marks):
    errors = []

    def err(line, message, fix, rule):
        errors.append(LvsCfError(line, message, fix, rule))

    port = block.number('port', 80) if 'port' in block.settings and _int_value(block.get('port')) is not None else 80
    fwmark = block.get('fwmark')
    proto = block.get('protocol', 'tcp')
    active = block.get('active') == '1'
    if fwmark is not None:
        if 'port' not in block.present:
            err(block.line_of('fwmark'), 'this fwmark service has no port: nanny checks the real servers on port 80',
                'add "port = N" with the port to health-check', 'warning')
        if fwmark in marks and active:
            err(block.line_of('fwmark'), 'fwmark %s is already used by virtual %s: ipvsadm refuses the second service' % (fwmark, marks[fwmark]),
                'give each firewall-mark service its own mark', 'duplicate-service')
        if active:
            marks.setdefault(fwmark, block.name)
    elif 'address' in block.settings and active:
        key = (block.args('address')[0], port, proto)
        if key in endpoints:
            err(block.line, 'virtual %s repeats %s:%s/%s of virtual %s: ipvsadm refuses the second service'
                % (block.name, key[0], key[1], key[2], endpoints[key]), 'give each virtual a distinct address, port and protocol',
                'duplicate-service')
        endpoints.setdefault(key, block.name)
    if 'pmask' in block.settings and (block.number('persistent', 0) or 0) <= 0:
        err(block.line_of('pmask'), 'pmask has no effect without persistent', 'add "persistent = SECONDS" or remove pmask', 'warning')
    servers = [c for c in block.children if c.kind == 'server']
    if not servers and active:
        err(block.line, 'virtual %s is active but has no server block' % block.name, 'add "server NAME {" blocks or set active = 0',
            'warning')
    seen, seen_addr = {}, {}
    for srv in servers:
        if srv.name in seen:
            err(srv.line, 'server name %r is already used in virtual %s (line %d)' % (srv.name, block.name, seen[srv.name]),
                'give every server of a virtual a unique name', 'warning')
        seen.setdefault(srv.name, srv.line)
        for key in ('address', 'active'):
            if key not in srv.present:
                why = 'ipvsadm would get 0.0.0.0' if key == 'address' else 'it defaults to 0 and lvsd silently skips the server'
                err(srv.line, 'server %s has no %s (%s)' % (srv.name, key, why),
                    'add "%s" to the block' % ('address = REAL_SERVER_IP' if key == 'address' else 'active = 1'), 'required')
        addr = srv.get('address')
        rport = srv.number('port', port) if 'port' in srv.settings else port
        if addr is not None:
            if (addr, rport) in seen_addr and srv.get('active') == '1':
                err(srv.line_of('address'), 'server %s repeats %s:%s of server %s: ipvsadm refuses the second destination'
                    % (srv.name, addr, rport, seen_addr[(addr, rport)]), 'list each real server once per virtual', 'duplicate-server')
            if srv.get('active') == '1':
                seen_addr.setdefault((addr, rport), srv.name)
            if 'address' in block.settings and addr == block.args('address')[0]:
                err(srv.line_of('address'), 'server %s has the virtual address %s: the director would forward to itself' % (srv.name, addr),
                    'use the real server\'s own address', 'server-vip')
        if 'port' in srv.settings and network in ('direct', 'tunnel') and fwmark is None and rport != port:
            err(srv.line_of('port'), 'server %s uses port %s but virtual %s listens on %s: with %s routing ipvsadm keeps the virtual '
                'port while nanny checks port %s' % (srv.name, rport, block.name, port, network, rport),
                'remove the server port or use network = nat', 'port-remap')
    return errors


def _check_failover(block):
    errors = []
    for key in ('start_cmd', 'stop_cmd'):
        if key not in block.present:
            errors.append(LvsCfError(block.line, 'failover %s has no %s: fos runs it to move the service' % (block.name, key),
                                     'add %s = "/path/to/script ARGS"' % key, 'failover-cmd'))
    return errors


def check_text(text):
    """Every finding (errors and warnings) in lvs.cf text, sorted by line."""
    if text == '':
        return [LvsCfError(0, 'the file is empty; piranha refuses an empty configuration', 'render the configuration', 'syntax')]
    root, findings = parse(text)
    if not root.present and not root.children and not findings:
        return [LvsCfError(0, 'the file is empty (no settings): pulse exits with "no active lvs services defined"',
                           'render the configuration', 'no-service')]
    seen = set((e.line, e.message) for e in findings)
    for finding in _cross_check(root):
        if (finding.line, finding.message) not in seen:
            findings.append(finding)
    return sorted(findings, key=lambda e: (e.line, e.severity != 'error'))


def validate_text(text):
    """The errors (not the warnings) in lvs.cf text; empty when piranha's daemons can run the file."""
    return [e for e in check_text(text) if e.severity == 'error']


def _read(path):
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        return None, [LvsCfError(0, 'cannot read %s: %s' % (path, exc), 'check the path and permissions', 'encoding')]
    try:
        return data.decode('utf-8'), []
    except UnicodeDecodeError as exc:
        return None, [LvsCfError(data[:exc.start].count(b'\n') + 1, 'the file is not valid UTF-8 text (the collection writes ASCII)',
                                 'write it in ASCII or UTF-8', 'encoding')]


def check_file(path):
    text, problems = _read(path)
    return problems if text is None else check_text(text)


def validate_file(path):
    return [e for e in check_file(path) if e.severity == 'error']


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
# How the running daemons can take a new file

def change(old_text, new_text):
    """How pulse and lvsd can take ``new_text`` when they run with ``old_text``: ``(kind, reason)``.

    ``kind`` is ``none`` (the same settings; ``serial_no`` is only a label), ``reload`` (real servers were only added to
    virtual blocks that are otherwise unchanged: lvsd rereads the file on SIGHUP and starts a nanny for each new server,
    without touching the others) or ``restart`` (anything else). Why not reload more (piranha 0.8.6):

    * pulse never rereads lvs.cf (it only forwards SIGHUP to lvsd): global settings, heartbeat and VIPs need a restart;
    * lvsd's ``rereadConfigFiles`` skips a server that is active before and after (a new weight or port is ignored), and
      for a server that is gone it shuts the whole virtual service down (``ipvsadm -D``) without starting it again;
    * it changes nothing of a virtual service that stays (scheduler, persistence, checks) and pairs the n-th new virtual
      with the n-th old one (``newConfig.virtServers + j``): virtual blocks must stay as they are, in the same order.
    """
    old, new = parse_settings(old_text), parse_settings(new_text)
    for conf in (old, new):
        conf['global'].pop('serial_no', None)
    if old == new:
        return 'none', 'the same settings'
    changed = sorted(k for k in set(old['global']) | set(new['global']) if old['global'].get(k) != new['global'].get(k))
    if changed:
        return 'restart', 'global settings changed (%s): pulse reads them only when it starts' % ', '.join(changed)
    if old['failover'] != new['failover']:
        return 'restart', 'failover blocks changed'
    if [v['name'] for v in old['virtual']] != [v['name'] for v in new['virtual']]:
        return 'restart', 'virtual blocks added, removed or reordered'
    added = []
    for before, after in zip(old['virtual'], new['virtual']):
        if before['settings'] != after['settings']:
            return 'restart', 'virtual %s changed: lvsd keeps a running virtual service as it is' % after['name']
        servers = dict((s['name'], s['settings']) for s in after['servers'])
        for server in before['servers']:
            if server['name'] not in servers:
                return 'restart', 'server %s left virtual %s: lvsd would shut the whole virtual service down' % (server['name'], after['name'])
            if servers[server['name']] != server['settings']:
                return 'restart', 'server %s of virtual %s changed: lvsd ignores changes to a running server' % (server['name'], after['name'])
        known = set(s['name'] for s in before['servers'])
        for server in after['servers']:
            if server['name'] not in known:
                if server['settings'].get('active') != '1':
                    return 'restart', 'server %s of virtual %s is added inactive' % (server['name'], after['name'])
                added.append('%s/%s' % (after['name'], server['name']))
    return 'reload', 'real servers added (%s): lvsd starts their nannies when it rereads the file' % ', '.join(added)


def _change_main(argv):
    """lvscf-check --change RUNNING NEW: print none, reload or restart (the reason on stderr)."""
    if len(argv) != 2:
        sys.stderr.write('usage: lvscf-check --change RUNNING NEW\n')
        return 2
    new_text, problems = _read(argv[1])
    if new_text is None or any(f.severity == 'error' for f in check_text(new_text)):
        sys.stderr.write('%s: not a valid lvs.cf (run lvscf-check %s)\n' % (argv[1], argv[1]))
        return 1
    old_text, problems = _read(argv[0])
    if old_text is None:
        kind, reason = 'restart', 'no copy of the running file (%s)' % problems[0].message
    else:
        kind, reason = change(old_text, new_text)
    sys.stdout.write('%s\n' % kind)
    sys.stderr.write('%s\n' % reason)
    return 0


# --------------------------------------------------------------------------------------------------
# Command line: the role installs this file on the director and uses it as the template's validate command.

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        sys.stdout.write('usage: lvscf-check FILE [FILE...]\n'
                         'Validate piranha lvs.cf files; print every problem; exit 0 when none has an error, 1 otherwise.\n'
                         '       lvscf-check --change RUNNING NEW\n'
                         'Print how pulse and lvsd running with RUNNING can take NEW: none, reload or restart.\n')
        return 0 if argv else 2
    if argv[0] == '--change':
        return _change_main(argv[1:])
    status = 0
    for path in argv:
        findings = check_file(path)
        for finding in findings:
            sys.stderr.write('%s: %s\n' % (path, finding))
        if any(f.severity == 'error' for f in findings):
            status = 1
        else:
            sys.stdout.write('%s: valid piranha lvs.cf%s\n' % (path, ' (with warnings)' if findings else ''))
    return status


if __name__ == '__main__':
    raise SystemExit(main())
