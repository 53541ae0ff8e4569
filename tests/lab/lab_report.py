# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab run's report: every stage's time and result, every measured number, verify_cluster.yml's checks.

conftest.py fills one Report while the stages run; at the end of the session it is printed (pytest's terminal
summary) and written to OUT/report.txt and OUT/report.json.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time


def verify_numbers(verify):
    """The numbers of verify_cluster.yml's JSON report (its first cluster) as (what, value) pairs."""
    c = verify['clusters'][0]
    out = [('balance: requests / failed', '%s / %s' % (c['balance']['requests'], c['balance']['failed'])),
           ('balance: per real server', ' '.join('%s=%s' % kv for kv in sorted(c['balance']['counts'].items())))]
    ha, rs = c.get('ha'), c.get('realserver')
    if ha:
        out += [('failover: %s stopped on %s, VIP answers (s)' % (ha['daemon'], ha['director_stopped']), ha['failover']['seconds']),
                ('failover: failed requests meanwhile', '%s of %s' % (ha['failover']['failed'], ha['failover']['requests'])),
                ('failback: %s, VIP back and answering (s)' % ('expected' if ha['failback_expected'] else 'not expected'),
                 ha['failback']['seconds'] if ha['failback_expected'] else 'stayed on ' + ','.join(ha['holders_after_failback'])),
                ('failback: VIP on %s again, seen there (s)' % ha['director_stopped'], ha.get('vip_back_on_director_seconds'))]
    if rs:
        out += [('real server: %s stopped on %s, removed (s)' % (rs['service'], rs['host']), rs['removal']['seconds']),
                ('real server: failed requests until removed', '%s of %s' % (rs['removal']['failed'], rs['removal']['requests'])),
                ('real server: %s back in rotation (s)' % rs['host'], rs['return']['seconds'])]
    return out


class Report(object):
    """Stages (name, seconds, result), numbers (what, value), failures; `title` names the backend and strategy."""

    def __init__(self, title='', out=None):
        self.title, self.out = title, out
        self.t0 = time.time()
        self.stages, self.numbers, self.failed = [], [], []
        self.verify = None
        self.used = False

    def stage(self, name, seconds, result='ok'):
        self.used = True
        self.stages.append({'stage': name, 'seconds': seconds, 'result': result})

    def note(self, what, value):
        self.used = True
        self.numbers.append({'what': what, 'value': value})

    def fail(self, text):
        self.failed.append(text)

    def add_verify(self, verify):
        self.verify = verify
        for what, value in verify_numbers(verify):
            self.note(what, value)

    @property
    def passed(self):
        return not self.failed and all(s['result'] in ('ok', 'skipped') for s in self.stages)

    def as_dict(self):
        return {'title': self.title, 'result': 'PASSED' if self.passed else 'FAILED', 'total_seconds': int(round(time.time() - self.t0)),
                'stages': self.stages, 'numbers': self.numbers, 'failed': self.failed,
                'verify_checks': [k for c in (self.verify or {}).get('clusters', []) for k in c.get('checks', [])]}

    def text(self):
        d = self.as_dict()
        lines = ['', '=================== lvs.cluster lab: %s ===================' % self.title,
                 '%-28s %8s  %s' % ('stage', 'seconds', 'result')]
        lines += ['%-28s %8s  %s' % (s['stage'], s['seconds'], s['result']) for s in d['stages']]
        lines.append('%-28s %8s' % ('total', d['total_seconds']))
        if d['numbers']:
            lines.append('--- measured')
            lines += ['  %-60s %s' % (n['what'], n['value']) for n in d['numbers']]
        if d['verify_checks']:
            lines.append('--- verify_cluster.yml checks (verify.json)')
            lines += ['  [%s] %s: %s' % ('PASS' if k['ok'] else 'FAIL', k['name'], k['msg']) for k in d['verify_checks']]
        if d['failed']:
            lines.append('--- FAILED')
            lines += ['  ' + f for f in d['failed']]
        lines.append('result: %s  (logs and JSON in %s)' % (d['result'], self.out))
        lines.append('=' * 78)
        return '\n'.join(lines)

    def write(self):
        if not self.out:
            return
        os.makedirs(self.out, exist_ok=True)
        with open(os.path.join(self.out, 'report.json'), 'w') as f:
            json.dump(self.as_dict(), f, indent=1, sort_keys=True)
            f.write('\n')
        with open(os.path.join(self.out, 'report.txt'), 'w') as f:
            f.write(self.text() + '\n')
