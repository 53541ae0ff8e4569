# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""keepalived judges every keepalived.conf of generated valid models: `keepalived -t` exits 0 and says nothing, and every
HTTP regex, read as keepalived reads it, matches the model's expect text (kacheck.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from matrix import model_dir, models, need, need_root, valid_inventory

import judges
import kacheck
import render

pytestmark = pytest.mark.daemons

SEEDS = models('LVS_DAEMONS_KEEPALIVED', 40)


def director_address(inv, host):
    hv = inv.hostvars[host]
    return hv.get('lvs_address', hv['ansible_host'])


@pytest.mark.parametrize('seed', SEEDS)
def test_keepalived_accepts_every_director_file(seed):
    need_root()
    need(judges.have(judges.KEEPALIVED), 'keepalived is not installed (%s)' % judges.KEEPALIVED)
    inv, where, model_path = valid_inventory('keepalived', seed)
    files = render.render_all('keepalived', inv, model_dir('keepalived', seed))
    failures = []

    def judge(host):
        addresses = [(inv.interfaces[0], director_address(inv, host))]
        return judges.keepalived_judge(files[host]['keepalived.conf'], inv.interfaces, addresses, inv.users, inv.scripts)

    with ThreadPoolExecutor(max_workers=2) as pool:  # each judge is a keepalived process: two at a time
        answers = dict(zip(inv.directors, pool.map(judge, inv.directors)))
    model = inv.model()
    for host in inv.directors:
        conf = files[host]['keepalived.conf']
        clean, rc, output, warnings = answers[host]
        # what keepalived makes of the HTTP regexes (alloc_strvec_quoted_escaped, then PCRE) against the model's expect
        with open(conf) as src:
            meaning = kacheck.check(src.read(), render.action_result(model, host)['cluster']['virtual_services'])
        if meaning:
            failures.append('%s: keepalived reads a regex differently from the model:\n%s\n    file: %s'
                            % (host, '\n'.join('    - ' + p for p in meaning), conf))
        with open(os.path.join(os.path.dirname(conf), 'keepalived-t.out'), 'w') as dst:
            dst.write('exit %d\n%s\n' % (rc, output))
        if not clean:
            shown = (warnings or output.splitlines())
            failures.append('%s: keepalived -t exit %d, %d line(s) (a clean file prints none):\n%s%s\n    file: %s'
                            % (host, rc, len(warnings), '\n'.join('    | ' + w for w in shown[:12]),
                               '\n    | ... (%d more)' % (len(shown) - 12) if len(shown) > 12 else '', conf))
    if failures:
        pytest.fail('seed %s: keepalived disagrees with the model\nmodel: %s\n%s' % (seed, model_path, '\n'.join(failures)),
                    pytrace=False)
