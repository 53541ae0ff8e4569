# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Problems and the typed value accessors that record them (the value grammar)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import difflib
import ipaddress
import re

from ansible_collections.lvs.cluster.plugins.module_utils._model.words import MOVED_KEYS


class Grammar(object):
    """The shape of one kind of value, for the files and commands it reaches.

    ``pattern`` is matched against the whole value (``fullmatch``: a trailing newline never slips through);
    ``what`` says in words what is allowed (it goes into the error message), ``example`` is a valid value for the fix.
    ``max_bytes`` counts UTF-8 bytes, as the daemons do. ``check`` returns None when the value fits, else the reason.
    """

    def __init__(self, name, pattern, what, example, max_bytes=None, extra=None):
        self.name = name
        self.pattern = re.compile(pattern)
        self.what = what
        self.example = example
        self.max_bytes = max_bytes
        self.extra = extra  # optional callable(value) -> reason or None, for rules a regex cannot say

    def check(self, value):
        if not isinstance(value, str):
            return 'must be a string (%s), got %s' % (self.what, type(value).__name__)
        if self.max_bytes is not None and len(value.encode('utf-8')) > self.max_bytes:
            return 'is %d bytes long, at most %d are allowed (%s)' % (len(value.encode('utf-8')), self.max_bytes, self.what)
        if not self.pattern.fullmatch(value):
            bad = _first_bad_char(value, self)
            return 'is not %s%s' % (self.what, bad)
        if self.extra is not None:
            return self.extra(value)
        return None

    def __repr__(self):
        return 'Grammar(%s)' % self.name


def _first_bad_char(value, grammar):
    """Name the first character of ``value`` that usually breaks a configuration line (newline, quote, brace, comment,
    shell) and that ``grammar`` does not take (probed by appending it to the grammar's own example)."""
    for ch in value:
        special = ch in '\n\r\t\x00"\'{}#!;$`\\|&<> ' or ord(ch) < 32 or ord(ch) == 127 or ord(ch) > 126
        if special and not grammar.pattern.fullmatch(grammar.example + ch):
            return ' (it contains %r, which the file it lands in cannot carry)' % ch
    return ''


def _not_dots(value):
    return 'cannot be "." or ".."' if value in ('.', '..') else None


def _dns_name_extra(value):
    labels = value.rstrip('.').split('.')
    if len(value.rstrip('.')) > 253:
        return 'is longer than 253 characters'
    for label in labels:
        if len(label) > 63:
            return 'has a label longer than 63 characters (%s...)' % label[:20]
    return None


# Linux interface names (dev_valid_name): 1-15 bytes (IFNAMSIZ - 1), no "/", ":" or blanks, not "." or "..".
# Restricted here to the characters udev and ifupdown use, so that a name is also a safe word in every file.
IFNAME = Grammar('interface name', r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}',
                 'an interface name of 1-15 letters, digits, "_", "." or "-" (Linux IFNAMSIZ)', 'eth0', 15, _not_dots)
# An alias (eth0:1): the whole label is an interface name for the kernel and must fit in 15 bytes too, or
# ifconfig truncates it to the base NIC and changes the NIC's own address.
IFALIAS = Grammar('interface alias', r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}:[0-9]{1,4}',
                  'an interface alias DEV:N of at most 15 characters in all (Linux IFNAMSIZ)', 'eth0:1', 15)
NAME = Grammar('name', r'[A-Za-z0-9_.-]{1,64}', 'a name of 1-64 letters, digits, "_", "." or "-"', 'www')
CLUSTER_NAME = Grammar('cluster name', r'[a-z0-9_-]{1,32}', 'a name of 1-32 lower-case letters, digits, "_" or "-"', 'web')
# Inventory group names as Ansible accepts them (no blanks or punctuation that would need quoting anywhere).
GROUP_NAME = Grammar('group name', r'[A-Za-z_][A-Za-z0-9_-]{0,127}', 'an inventory group name of letters, digits, "_" or "-"',
                     'web_realservers')
# DNS host names (RFC 1123 labels, letters/digits/hyphens, not starting or ending with "-"); a final dot is allowed.
HOSTNAME = Grammar('host name',
                   r'(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?',
                   'a DNS host name (letters, digits and "-" in dot-separated labels)', 'www.example.com', 253, _dns_name_extra)
# A node name as `uname -n` prints it (heartbeat compares them): one label or a dotted name, no blanks.
NODE_NAME = Grammar('node name', r'[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?',
                    'a node name as `uname -n` prints it (letters, digits, "_", "." and "-", at most 64)', 'lvs1')
# A URL path (and query) of printable characters that are never special in keepalived.conf, ldirectord.cf or lvs.cf:
# no blanks, quotes, braces, "#", "!", "\\", "$", "`" or ";".
URL_PATH = Grammar('URL path', r"/[A-Za-z0-9._~%/?&=+,:@*()\[\]-]{0,1023}",
                   'a URL path starting with "/" (letters, digits and ._~%/?&=+,:@*()[]-; no blanks, quotes, "#" or "!")',
                   '/health')
EMAIL = Grammar('e-mail address',
                r'[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*',
                'an e-mail address local@domain (letters, digits and ._%+- before the "@", a host name after it)',
                'ops@example.com', 254)
# Unix user names as useradd accepts them by default (NAME_REGEX).
USER_NAME = Grammar('user name', r'[a-z_][a-z0-9_-]{0,30}\$?', 'a Unix user name (lower-case letters, digits, "_", "-")',
                    'keepalived_script')
# An absolute path of a file: no blanks, quotes, shell or configuration metacharacters, no ".." component.
ABS_PATH = Grammar('absolute path', r'(?:/[A-Za-z0-9_.+@=,-]+)+/?|/',
                   'an absolute path of letters, digits and _.+@=,- (no blanks, quotes or shell characters)',
                   '/usr/local/bin/check_app', 1024,
                   lambda v: 'cannot contain a ".." component' if '/../' in v + '/' else None)
# One argument of a script: printable, no blanks, quotes, braces, comment or shell characters ("%h"-style placeholders are fine).
SCRIPT_ARG = Grammar('script argument', r'[A-Za-z0-9_.,:=+@%/-]{1,255}',
                     'a word of letters, digits and _.,:=+@%/- (no blanks, quotes, "#", braces or shell characters)', '--port=80')
# Free text a health check sends or expects: printable ASCII and blanks, no control characters (a newline would end the
# directive and start a new one in every daemon's file). Backends narrow it to what their quoting can carry.
TEXT = Grammar('text', r'[\x20-\x7e]{1,255}', 'printable ASCII text of at most 255 characters, without newlines or tabs',
               'HTTP/1.1 200 OK', 255)
# Printable ASCII without blanks (secrets: heartbeat splits a line on blanks; keepalived counts bytes).
PRINTABLE_WORD = Grammar('printable word', r'[\x21-\x7e]+', 'printable ASCII characters without blanks', 'Zx8Kq2Lm')
SYSLOG_FACILITIES = ('auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
                     'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7')

# Every shared grammar, by name (documentation and tests iterate over it).
GRAMMARS = dict((g.name, g) for g in (IFNAME, IFALIAS, NAME, CLUSTER_NAME, GROUP_NAME, HOSTNAME, NODE_NAME, URL_PATH, EMAIL,
                                      USER_NAME, ABS_PATH, SCRIPT_ARG, PRINTABLE_WORD, TEXT))


class Problem(object):
    """One finding: the variable path, what is wrong and how to fix it."""

    def __init__(self, path, message, fix, severity='error', host=None):
        self.path = path
        self.message = message
        self.fix = fix
        self.severity = severity
        self.host = host
        self.cluster = None  # name of the cluster the problem belongs to; None = the whole inventory

    def __str__(self):
        where = '%s (host %s)' % (self.path, self.host) if self.host else self.path
        return '%s: %s. Fix: %s' % (where, self.message, self.fix)

    def as_dict(self):
        return {'path': self.path, 'message': self.message, 'fix': self.fix,
                'severity': self.severity, 'host': self.host, 'cluster': self.cluster}

    def __repr__(self):
        return 'Problem(%r)' % str(self)


class Checker(object):
    """Collects problems; typed accessors that record a problem and return a safe value."""

    def __init__(self):
        self.problems = []
        self._seen = set()

    def _add(self, path, message, fix, severity, host):
        # the same value can be reached twice (a real server in two services): report it once
        key = (path, message, fix, severity, host)
        if key not in self._seen:
            self._seen.add(key)
            self.problems.append(Problem(path, message, fix, severity, host))

    def error(self, path, message, fix, host=None):
        self._add(path, message, fix, 'error', host)

    def warn(self, path, message, fix, host=None):
        self._add(path, message, fix, 'warning', host)

    def integer(self, value, path, lo, hi, fix=None, host=None):
        if isinstance(value, bool) or value is None:
            ok = False
        elif isinstance(value, int):
            ok = True
        elif isinstance(value, str) and re.match(r'^-?[0-9]+$', value.strip()):
            value = int(value.strip())
            ok = True
        else:
            ok = False
        if not ok:
            self.error(path, 'must be an integer between %d and %d, got %r' % (lo, hi, safe(value)),
                       fix or 'set an integer between %d and %d' % (lo, hi), host)
            return None
        if not lo <= value <= hi:
            self.error(path, 'must be between %d and %d, got %d' % (lo, hi, value),
                       fix or 'set a value between %d and %d' % (lo, hi), host)
            return None
        return value

    def number(self, value, path, lo, hi, host=None):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.error(path, 'must be a number between %s and %s, got %r' % (lo, hi, safe(value)),
                       'set a number between %s and %s' % (lo, hi), host)
            return None
        try:
            num = float(value)
        except ValueError:
            self.error(path, 'must be a number, got %r' % (value,), 'set a number between %s and %s' % (lo, hi), host)
            return None
        if not lo <= num <= hi:
            self.error(path, 'must be between %s and %s, got %s' % (lo, hi, value),
                       'set a number between %s and %s' % (lo, hi), host)
            return None
        return int(num) if num == int(num) else num

    def boolean(self, value, path, host=None):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ('yes', 'true', 'on', '1', 'no', 'false', 'off', '0'):
            return value.lower() in ('yes', 'true', 'on', '1')
        self.error(path, 'must be a boolean, got %r' % (safe(value),), 'use true or false', host)
        return None

    def string(self, value, path, fix, pattern=None, host=None, secret=False):
        if not isinstance(value, str) or not value:
            shown = '<hidden>' if secret else repr(safe(value))
            self.error(path, 'must be a non-empty string, got %s' % shown, fix, host)
            return None
        if pattern is not None and not pattern.fullmatch(value):
            shown = '<hidden>' if secret else repr(value)
            self.error(path, 'has an invalid value %s' % shown, fix, host)
            return None
        return value

    def text(self, value, path, grammar, host=None, secret=False, fix=None):
        """A string that must fit ``grammar`` (see Grammar); returns it, or None after recording the problem."""
        if value is None or value == '':
            self.error(path, 'must be %s, got nothing' % grammar.what, fix or 'set e.g. %s' % grammar.example, host)
            return None
        reason = grammar.check(value)
        if reason is not None:
            shown = '' if secret else ' (got %r)' % (safe(value),)
            self.error(path, reason + shown, fix or 'use %s, e.g. %s' % (grammar.what, grammar.example), host)
            return None
        return value

    def secret(self, value, path, min_bytes, max_bytes, why, host=None):
        """A secret: a string (a YAML number is refused with its own message), counted in bytes, printable ASCII
        without blanks. The value never appears in a message."""
        if isinstance(value, bool) or isinstance(value, (int, float)):
            self.error(path, 'is a YAML %s, not a string: quote it so that leading zeros and the exact characters are kept'
                       % type(value).__name__, 'write the secret in quotes, e.g. "{{ vault_secret }}" or "0123"', host)
            return None
        if not isinstance(value, str) or not value:
            self.error(path, 'is required (%s)' % why, 'set a secret of %d-%d printable characters (vault it)'
                       % (min_bytes, max_bytes), host)
            return None
        size = len(value.encode('utf-8'))
        if not PRINTABLE_WORD.pattern.fullmatch(value):
            self.error(path, 'must be printable ASCII without blanks (%s)' % why,
                       'use letters, digits and punctuation only (no blanks, tabs, newlines or accented letters)', host)
            return None
        if size < min_bytes or size > max_bytes:
            self.error(path, 'is %d bytes long, must be %d-%d (%s)' % (size, min_bytes, max_bytes, why),
                       'use a secret of %d-%d characters' % (min_bytes, max_bytes), host)
            return None
        return value

    def argv(self, value, path, host=None, example='/usr/local/bin/check_app --port=80'):
        """A command as the daemons run it: an absolute path and arguments, given as a list or as one string of
        blank-separated words. Returns the argument list; every word fits ABS_PATH / SCRIPT_ARG, so no daemon's
        quoting or word splitting can change it and nothing is ever interpreted by a shell."""
        if isinstance(value, str):
            words = value.split(' ')
            if any(w == '' for w in words):
                self.error(path, 'has an empty word (two blanks in a row, or a leading or trailing blank): %r' % (safe(value),),
                           'separate the words with single blanks, or give a list [path, arg, ...]', host)
                return None
        elif isinstance(value, list) and value and all(isinstance(w, str) for w in value):
            words = list(value)
        else:
            self.error(path, 'must be a command: an absolute path and its arguments (a string or a list of strings), got %r'
                       % (safe(value),), 'write e.g. %s' % example, host)
            return None
        reason = ABS_PATH.check(words[0])
        if reason is None and words[0].endswith('/'):
            reason = 'is not an absolute path of a program: it names a directory'
        if reason is not None:
            self.error(path, 'its program %s (got %r)' % (reason, safe(words[0])),
                       'start with the absolute path of the program, e.g. %s' % example.split(' ')[0], host)
            return None
        for i, word in enumerate(words[1:], 1):
            reason = SCRIPT_ARG.check(word)
            if reason is not None:
                self.error(path, 'argument %d %s (got %r)' % (i, reason, safe(word)),
                           'pass plain words only; put anything more complex in a script of your own and call it', host)
                return None
        return words

    def choice(self, value, path, choices, host=None, why=''):
        if value not in choices:
            self.error(path, 'must be one of %s, got %r%s' % (', '.join(choices), safe(value), why),
                       'choose one of %s' % ', '.join(choices), host)
            return None
        return value

    def ip(self, value, path, fix, host=None):
        """An IPv4 or IPv6 address written as such: a string, no blanks around it (a newline would reach the file),
        no IPv6 zone index (Python accepts any text after "%", the daemons do not), no integer standing for an address."""
        if not isinstance(value, str):
            self.error(path, 'is not an IP address written as a string: %r' % (safe(value),), fix, host)
            return None
        if '%' in value:
            self.error(path, 'has an IPv6 zone index (%r): no daemon here reads one' % (safe(value),),
                       fix + ' (without the "%zone" part)', host)
            return None
        try:
            return ipaddress.ip_address(value)
        except ValueError:
            self.error(path, 'is not a valid IP address: %r' % (safe(value),), fix, host)
            return None

    def dict_of(self, value, path, defaults, host=None):
        """Merge a user dict over defaults; report unknown keys and non-dicts."""
        if value is None:
            return copy.deepcopy(defaults)
        if not isinstance(value, dict):
            self.error(path, 'must be a dictionary, got %s' % type(value).__name__,
                       'give a mapping of keys (%s)' % ', '.join(sorted(defaults)), host)
            return copy.deepcopy(defaults)
        out = copy.deepcopy(defaults)
        for key, val in value.items():
            if key not in defaults:
                moved = MOVED_KEYS.get(key)
                close = difflib.get_close_matches(str(key), sorted(defaults), 1, 0.8)
                fix = moved or ('rename it to %s' % close[0] if close else
                                'remove it or use one of %s' % ', '.join(sorted(defaults)))
                self.error('%s.%s' % (path, key), 'is not a known key' + (' here' if moved else ''), fix, host)
                continue
            out[key] = val
        return out


def safe(value):
    """Shorten a value for an error message."""
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + '...'


def _prefix_ok(family, prefix):
    return 1 <= prefix <= (32 if family == 4 else 128)


def str_list(chk, value, path, host, grammar=None, example='eth0'):
    """A list of strings, each fitting ``grammar`` when one is given (a lone string is answered with its own hint)."""
    if value is None:
        return []
    if isinstance(value, str):
        chk.error(path, 'is a single string, but a list is needed', 'write it as a YAML list: [%s]' % safe(value), host)
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        chk.error(path, 'must be a list of strings, got %r' % (safe(value),), 'write e.g. [%s]' % example, host)
        return []
    if grammar is not None:
        good = [chk.text(v, '%s[%d]' % (path, i), grammar, host=host) for i, v in enumerate(value)]
        return [v for v in good if v is not None]
    return value
