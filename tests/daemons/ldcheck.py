# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What ldirectord 4.12 makes of the health-check strings of a rendered ldirectord.cf, compared with the model.

`ldirectord FILE status` proves that a file parses; it does not say whether a value means what the model meant. This
module reads the request/receive lines the way /usr/sbin/ldirectord's read_config does and runs the receive patterns
through Perl itself, the way the checks use them:

* virtual sections: a line whose first non-blank is '#' is skipped, then ``s/#.*//`` and ``s/\\t/    /g``; section
  lines are indented by 4 or more blanks; ``request\\s*=\\s*"(.*)"`` and ``receive\\s*=\\s*"(.*)"`` (greedy), a request
  that does not start with "/" gets one (read_config);
* simpletcp sends ``substr($request, 1)`` with ``s/\\\\n/\\n/g`` (check_simpletcp), http fetches the request as the URL
  path (check_http), and every negotiate check tests ``$answer =~ /$receive/``.

``check(text, services)`` returns problems: a receive pattern that Perl cannot compile or that does not match the
model's expect text, a simpletcp request whose bytes are not the model's send, an http request that is not the path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import subprocess

PERL_MATCH = r'''
use strict; use warnings; use JSON::PP;
my $in = decode_json(do { local $/; <STDIN> });
my @out;
for my $case (@$in) {
    my ($re, $text) = @$case;
    my $ok = eval { my $m = ($text =~ /$re/) ? 1 : 0; $m };
    push @out, defined $ok ? ($ok ? "match" : "no match") : "error: $@";
}
print encode_json(\@out);
'''


def sections(text):
    """{servicename or virtual: {'virtual': ..., 'request': ..., 'receive': ..., 'service': ...}} as read_config reads."""
    out, current = {}, None
    for raw in text.split('\n'):
        if re.match(r'\s*#', raw):
            continue
        line = re.sub(r'#.*', '', raw).replace('\t', '    ')
        m = re.match(r'virtual\s*=\s*(\S+)', line)
        if m:
            current = {'virtual': m.group(1)}
            out[m.group(1)] = current
            continue
        m = re.match(r' {4,}(.+)', line)
        if not m or current is None:
            if line.strip():
                current = None
            continue
        cmd = m.group(1)
        for key in ('request', 'receive'):
            km = re.match(r'%s\s*=\s*"(.*)"' % key, cmd)
            if km:
                value = km.group(1)
                if key == 'request' and not value.startswith('/'):
                    value = '/' + value
                current[key] = value
        km = re.match(r'(servicename|service|checktype)\s*=\s*(\S+)', cmd)
        if km:
            current[km.group(1)] = km.group(2)
    return dict((s.get('servicename', s['virtual']), s) for s in out.values())


def perl_matches(cases):
    """[(pattern, text)] -> ["match" | "no match" | "error: ..."], with Perl's own regular expressions."""
    if not cases:
        return []
    proc = subprocess.run(['perl', '-e', PERL_MATCH], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=60, check=False)
    if proc.returncode != 0:
        return ['error: perl exited %d: %s' % (proc.returncode, proc.stderr.strip())] * len(cases)
    return json.loads(proc.stdout)


def check(text, services):
    """``services``: the cluster's virtual services from the model (cluster['virtual_services'])."""
    problems, cases, where = [], [], []
    read = sections(text)
    for svc in services:
        sec = read.get(svc['name'])
        hc = svc['health_check']
        if sec is None:
            problems.append('service %s: no virtual section with servicename=%s' % (svc['name'], svc['name']))
            continue
        kind = sec.get('service')
        if 'receive' in sec and hc.get('expect') is not None:
            cases.append((sec['receive'], hc['expect']))
            where.append((svc['name'], sec['receive'], hc['expect']))
        if kind == 'simpletcp' and 'request' in sec:
            sent = sec['request'][1:].replace('\\n', '\n')
            meant = (hc.get('send') or '').replace('\\n', '\n')
            if sent != meant:
                problems.append('service %s: simpletcp sends %r (check_simpletcp: substr(request, 1), \\n -> newline), '
                                'the model says send %r' % (svc['name'], sent, hc.get('send')))
        if kind in ('http', 'https') and sec.get('request') != hc.get('path'):
            problems.append('service %s: ldirectord requests %r (read_config adds a leading "/"), the model says path %r'
                            % (svc['name'], sec.get('request'), hc.get('path')))
    for (name, pattern, expect), answer in zip(where, perl_matches(cases)):
        if answer != 'match':
            problems.append('service %s: receive="%s" as ldirectord reads it (%s) against the model\'s expect %r: %s'
                            % (name, pattern, 'Perl /$receive/', expect, answer))
    return problems
