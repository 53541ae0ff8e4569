# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The piranha backend: its defaults, its rules and its view."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._lvscf import cluster_errors as _lvscf_cluster_errors

PIRANHA_DEFAULTS = {
    'heartbeat_port': 539,
    'keepalive': 2,
    'deadtime': 10,
    'debug_level': 'NONE',
    'monitor_links': False,
    'gui': False,
    'gui_password': None,
    'config_only': False,
}


def settings(chk, hv, c, backend, host):
    """Normalise lvs_piranha."""
    pi = chk.dict_of(hv.get('lvs_piranha'), 'lvs_piranha', PIRANHA_DEFAULTS, host)
    for key, lo, hi in (('heartbeat_port', 1, 65535), ('keepalive', 1, 3600), ('deadtime', 1, 3600)):
        pi[key] = chk.integer(pi[key], 'lvs_piranha.%s' % key, lo, hi, host=host)
    for key in ('monitor_links', 'gui', 'config_only'):
        pi[key] = bool(chk.boolean(pi[key], 'lvs_piranha.%s' % key, host))
    if backend == 'piranha':
        if pi['keepalive'] is not None and pi['deadtime'] is not None and pi['deadtime'] <= pi['keepalive']:
            chk.error('lvs_piranha.deadtime', 'must be greater than keepalive (%s), got %s' % (pi['keepalive'], pi['deadtime']),
                      'make deadtime several times keepalive, e.g. keepalive 2, deadtime 10', host)
        if pi['gui'] and not (isinstance(pi['gui_password'], str) and len(pi['gui_password']) >= 6):
            chk.error('lvs_piranha.gui_password', 'is required (at least 6 characters) when gui is true',
                      'set a secret (vault it) or gui: false', host)
        chk.choice(pi['debug_level'], 'lvs_piranha.debug_level', ('NONE', 'LOW', 'HIGH', 'MEDIUM'), host)
    c['piranha'] = pi


def rules(chk, c, host):
    """Cluster-wide rules of piranha's single lvs.cf."""
    fwd = set(s['forwarding'] for s in c['virtual_services'])
    if len(fwd) > 1:
        chk.error('lvs_virtual_services', 'piranha has one cluster-wide "network" mode; services mix %s' % ', '.join(sorted(fwd)),
                  'use the same forwarding for every service of a piranha cluster', host)


def cluster_rules(chk, cluster):
    """What piranha's lvs.cf cannot express (IPv6, more than two directors, ...), from the lvs.cf validator."""
    known = set(p.path for p in chk.problems)
    for text in _lvscf_cluster_errors(cluster):
        head, _sep, fix = text.partition('. Fix: ')
        path, _sep, message = head.partition(': ')
        if path not in known:
            chk.error(path, message, fix or 'see roles/director_piranha/README.md')


def view(cluster, me):
    """The plain data this backend's templates print for director ``me`` of ``cluster``."""
    return {}
