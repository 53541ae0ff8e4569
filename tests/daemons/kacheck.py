# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What keepalived 2.2.7 makes of the HTTP_GET/SSL_GET ``regex`` of a rendered keepalived.conf, compared with the model.

``keepalived -t`` proves the file parses, not that a regex means what the model's ``expect`` says. keepalived reads
the regex line with ``alloc_strvec_quoted_escaped`` (lib/parser.c, v2.2.7): words split on blanks outside quotes,
"..." and '...' quote, a backslash escapes the next character (``\\xHH...`` takes every following hex digit, ``\\cX``,
octal ``\\NNN``, ``\\a \\b \\E \\f \\n \\r \\t \\v``, anything else stands for itself); the second word is handed to
PCRE2 (check_http.c regex_handler). This module follows those rules and asks Perl (whose regex syntax PCRE2 follows
for everything the view prints) whether the pattern compiles and matches the expect text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import string

from ldcheck import perl_matches

WHITE_SPACE = ' \t\n\r\f\v'
SIMPLE = {'a': '\a', 'b': '\b', 'E': '\x1b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}


def quoted_escaped(line):
    """lib/parser.c alloc_strvec_quoted_escaped: the words of ``line`` (None on an unmatched quote or a final '\\')."""
    words, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in WHITE_SPACE:
            i += 1
        if i >= n:
            break
        word, quote = [], None
        while i < n:
            ch = line[i]
            if ch == '\\':
                i += 1
                if i >= n:
                    return None
                c = line[i]
                if c == 'x' and i + 1 < n and line[i + 1] in string.hexdigits:
                    i += 1
                    value = 0
                    while i < n and line[i] in string.hexdigits:
                        value = ((value << 4) | int(line[i], 16)) & 0xff  # op_char is a char: only 8 bits stay
                        i += 1
                    word.append(chr(value))
                elif c == 'c' and i + 1 < n:
                    word.append(chr(ord(line[i + 1]) & 0x1f))
                    i += 2
                elif '0' <= c <= '7':
                    value = int(c)
                    i += 1
                    for _ in range(2):
                        if i < n and '0' <= line[i] <= '7':
                            value = ((value << 3) + int(line[i])) & 0xff
                            i += 1
                    word.append(chr(value))
                else:
                    word.append(SIMPLE.get(c, c))
                    i += 1
                continue
            if quote:
                if ch == quote:
                    quote = None
                    i += 1
                    continue
                word.append(ch)
                i += 1
                continue
            if ch in '"\'':
                quote = ch
                i += 1
                continue
            if ch in WHITE_SPACE:
                break
            word.append(ch)
            i += 1
        if quote:
            return None
        words.append(''.join(word))
    return words


def regexes(text):
    """{service name: [regex line, ...]} from the '# virtual service NAME' comments the view prints."""
    out, name = {}, None
    for line in text.split('\n'):
        m = re.match(r'# virtual service (\S+)$', line)
        if m:
            name = m.group(1)
            continue
        if name and re.match(r'\s*regex\s', line):
            out.setdefault(name, []).append(line.strip())
    return out


def check(text, services):
    """Problems: a regex keepalived would not take as two words, or whose pattern does not match the expect text."""
    problems, cases, where = [], [], []
    found = regexes(text)
    for svc in services:
        hc = svc['health_check']
        lines = found.get(svc['name'], [])
        if hc.get('type') in ('http', 'https') and hc.get('expect') and not lines:
            continue  # the role may leave the regex out (director_keepalived_http_regex)
        for line in sorted(set(lines)):
            words = quoted_escaped(line)
            if words is None or len(words) != 2:
                problems.append('service %s: keepalived splits %r into %s (regex_handler wants 2 fields)'
                                % (svc['name'], line, words))
                continue
            if hc.get('expect') is not None:
                cases.append((words[1], hc['expect']))
                where.append((svc['name'], words[1], hc['expect']))
    for (name, pattern, expect), answer in zip(where, perl_matches(cases)):
        if answer != 'match':
            problems.append('service %s: keepalived\'s regex pattern %r against the model\'s expect %r: %s'
                            % (name, pattern, expect, answer))
    return problems
