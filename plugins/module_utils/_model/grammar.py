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
        if pattern is not None and not pattern.match(value):
            shown = '<hidden>' if secret else repr(value)
            self.error(path, 'has an invalid value %s' % shown, fix, host)
            return None
        return value

    def choice(self, value, path, choices, host=None, why=''):
        if value not in choices:
            self.error(path, 'must be one of %s, got %r%s' % (', '.join(choices), safe(value), why),
                       'choose one of %s' % ', '.join(choices), host)
            return None
        return value

    def ip(self, value, path, fix, host=None):
        try:
            return ipaddress.ip_address(str(value).strip()) if isinstance(value, str) else ipaddress.ip_address(value)
        except (ValueError, TypeError):
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



def str_list(chk, value, path, host):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        chk.error(path, 'must be a list of strings', 'write e.g. [eth0]', host)
        return []
    return value


