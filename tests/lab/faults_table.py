#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault table of docs/faults.md from the faults.json files of lab runs (one per backend; tests/lab/test_lab_faults.py).

    python3 tests/lab/faults_table.py lab/run/main-job/faults.json [more faults.json ...]

prints a Markdown table: one row per fault and backend with the client-visible outage, the failed requests, the VIP
holder at the end, the time to heal and the test's verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys


def rows_of(paths):
    rows = []
    for path in paths:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        for row in data['rows']:
            rows.append(dict(row, backend=data['backend']))
    return rows


def cell(value):
    return '-' if value is None else str(value)


def table(rows):
    lines = ['| fault | backend | outage (s) | failed / requests | VIP on at the end | heal (s) | result | what happened |',
             '| --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(rows, key=lambda r: (r['fault'], r['backend'])):
        failed = '-' if r['requests'] is None else '%s / %s' % (r['failed'], r['requests'])
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            r['fault'], r['backend'], cell(r['outage_seconds']), failed, ' '.join(r['holders_at_end']) or 'none',
            cell(r['heal_seconds']), 'pass' if r['ok'] else 'FAIL', r['note'].replace('|', '/')))
    return '\n'.join(lines)


def main(argv):
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    print(table(rows_of(argv)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
