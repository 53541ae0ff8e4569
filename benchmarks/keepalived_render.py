#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render time of keepalived.conf for a large cluster, before and after the keepalived view (issue 12).

A generated inventory (two directors, --services services on --services/2 VIPs with two ports each, --realservers real
servers behind every service) is resolved by the model once; keepalived.conf is then rendered with Ansible's own
templating engine (what the template action uses), and the CPU time of this process is measured (the wall clock
of a busy machine says little), with:

* before: the template as it was at --before-rev (it derived VIP lists, state and router_id in Jinja, with a
  quadratic VIP de-duplication), fed the resolved ``cluster`` and ``me``;
* after: the role's current template, fed ``keepalived.view(cluster, me)``; the view's own time is counted.

Both renders must give the same file (no deliberate difference applies to this inventory). Prints numbers; it is
not a timed test. Run from the repository root: ``.venv/bin/python benchmarks/keepalived_render.py``
(``--distinct-checks``: every HTTP service checks its own path, so no two services share a checker block).

Where the time goes (cProfile, ansible-core 2.19): not in the view (under 10 ms) nor in Jinja itself (plain Jinja2
prints the same file in under 0.1 s), but in Ansible's lazy variables. Every value the template reads from the view
is handed out by a lazy container that templates it and notifies the access contexts (about 10 us a read), every
``{{ }}`` goes through Ansible's finalizer (about 4 us), and ``.items()`` hands out tuples that are templated item by
item. So the template reads each value once: each distinct checker block is printed once (the view's ``checkers``)
and repeated in every real server using it, and the real servers come in runs of one weight whose body is printed
once, their endpoints being a mapping's keys (Ansible hands keys out as they are).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import re
import subprocess
import sys
import time

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(REPO, 'collections'))

from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar, trust_as_template  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._model import Model, keepalived  # noqa: E402

TEMPLATE = 'roles/director_keepalived/templates/keepalived.conf.j2'


def inventory(services, realservers, distinct_checks=False):
    """Two directors, ``services`` services on services/2 VIPs (ports 80 and 443), ``realservers`` real servers each.
    The HTTP services check /health (one checker block for all of them), or each its own path (``distinct_checks``)."""
    vips = ['203.0.113.%d' % (1 + i) if i < 250 else '2001:db8:1::%x' % i for i in range((services + 1) // 2)]
    svcs = []
    for i in range(services):
        vip = vips[i // 2]
        svcs.append({'name': 's%d' % i, 'vip': vip, 'port': 80 if i % 2 == 0 else 443, 'scheduler': 'wlc',
                     'forwarding': 'tun', 'health_check': {'type': 'http' if i % 2 == 0 else 'tcp',
                                                           'path': '/health/%d' % i if distinct_checks else '/health'}})
    cluster = {'lvs_backend': 'keepalived', 'lvs_cluster_name': 'big', 'lvs_interface': 'eth0',
               'lvs_realserver_group': 'big_realservers', 'lvs_keepalived': {'vrid': 51, 'auth_pass': 'secret1'},
               'lvs_virtual_services': svcs}
    hv = {'dr1': dict(cluster, ansible_host='198.51.100.201'), 'dr2': dict(cluster, ansible_host='198.51.100.202')}
    rss = ['rs%d' % i for i in range(1, realservers + 1)]
    for i, host in enumerate(rss, 1):
        hv[host] = {'ansible_host': '198.51.100.%d' % i}
    groups = {'all': list(hv), 'lvs_directors': ['dr1', 'dr2'], 'big_directors': ['dr1', 'dr2'],
              'lvs_realservers': rss, 'big_realservers': rss}
    return hv, groups


def role_vars():
    variables = {}
    for path in ('roles/director_keepalived/defaults/main.yml', 'roles/director_keepalived/vars/Debian.yml'):
        with open(os.path.join(REPO, path)) as src:
            variables.update(yaml.safe_load(src) or {})
    variables['ansible_managed'] = 'Ansible managed'
    return variables


def render(text, variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(text), escape_backslashes=False,
                            overrides=dict(trim_blocks=True, lstrip_blocks=False))


def render_plain(text, variables):
    """The same template with plain Jinja2 (no Ansible engine): the template's own cost."""
    import jinja2
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters['comment'] = lambda s: '#\n# %s\n#' % s
    env.filters['regex_escape'] = lambda s: re.sub(r'([].^$*+?{}()|[\\])', r'\\\1', s).replace('\\ ', ' ')
    return env.from_string(text.split('\n', 1)[1]).render(**variables)


def best_of(runs, func):
    best, out = None, None
    for _ in range(runs):
        start = time.process_time()
        out = func()
        took = time.process_time() - start
        best = took if best is None else min(best, took)
    return best, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--services', type=int, default=500)
    parser.add_argument('--realservers', type=int, default=10)
    parser.add_argument('--runs', type=int, default=3, help='renders per variant; the best is reported')
    parser.add_argument('--before-rev', default='8f2d2fe', help='git revision of the template before the view')
    parser.add_argument('--distinct-checks', action='store_true',
                        help='every HTTP service checks its own path (no two share a checker block: the template\'s worst case)')
    args = parser.parse_args()

    start = time.process_time()
    model = Model(*inventory(args.services, args.realservers, args.distinct_checks))
    if model.errors:
        sys.exit('the generated inventory is invalid:\n%s' % '\n'.join(str(e) for e in model.errors))
    cluster, me = model.director_view('dr1')
    resolve = time.process_time() - start
    variables = role_vars()

    old_text = subprocess.check_output(['git', 'show', '%s:%s' % (args.before_rev, TEMPLATE)], cwd=REPO, text=True)
    with open(os.path.join(REPO, TEMPLATE)) as src:
        new_text = src.read()

    before, old_out = best_of(args.runs, lambda: render(old_text, dict(variables, __director_keepalived_model={
        'cluster': cluster, 'me': me})))
    view_time, view = best_of(args.runs, lambda: keepalived.view(cluster, me))
    after, new_out = best_of(args.runs, lambda: render(new_text, dict(variables, __director_keepalived_model={
        'cluster': cluster, 'me': me, 'view': keepalived.view(cluster, me)})))

    print('keepalived.conf, %d services on %d VIPs x %d real servers, %d distinct checker blocks (%d lines, %d bytes); '
          'model resolved in %.3f s'
          % (args.services, len(view['instances'][0]['virtual_ipaddress']) + len(view['instances'][0]['virtual_ipaddress_excluded']),
             args.realservers, len(view.get('checkers', [])), new_out.count('\n'), len(new_out), resolve))
    print('before (template %s, Jinja derivations): %.3f s' % (args.before_rev, before))
    print('after  (view %.3f s + template printing it): %.3f s' % (view_time, after))
    print('speed-up: x%.1f; same file: %s' % (before / after, 'yes' if old_out == new_out else 'NO'))
    plain_before, dummy = best_of(args.runs, lambda: render_plain(old_text, dict(variables, __director_keepalived_model={
        'cluster': cluster, 'me': me})))
    plain_after, dummy = best_of(args.runs, lambda: render_plain(new_text, dict(variables, __director_keepalived_model={
        'view': keepalived.view(cluster, me)})))
    print('plain Jinja2 (no Ansible engine): before %.3f s, after %.3f s (view included)' % (plain_before, plain_after))
    return 0 if old_out == new_out else 1


if __name__ == '__main__':
    sys.exit(main())
