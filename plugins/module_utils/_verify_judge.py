# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The judge of verify_cluster.yml: from what the client probe measured (lvs.cluster.client_probe) and who held the
VIP, the list of checks {name, ok, msg} of the seed's section 11.6 tests. Exposed as the filter
lvs.cluster.verify_checks (plugins/filter/verify.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# Schedulers (and persistence) that send every request of one client to one real server.
SINGLE_SERVER_SCHEDULERS = ('sh', 'dh', 'mh', 'lblc', 'lblcr', 'fo', 'ovf')


def _j(value):
    return json.dumps(value)


def _le(value, bound):
    """value <= bound, False when nothing was measured."""
    return value is not None and float(value) <= float(bound)


def balance_checks(vs, active_rs, learn):
    """Checks of the balance test: every answer from a known real server, the spread the scheduler promises to one
    client, nothing to real servers of weight 0."""
    n, counts, sched = int(learn['requests']), learn['by_server'], vs['scheduler']
    persistent = int(vs.get('persistence_timeout') or 0) > 0
    rs_counts = [counts.get(r['host'], 0) for r in active_rs]
    out = [('balance - all %s requests answered by a known real server' % n, learn['failed'] == 0 and 'unknown' not in counts,
            'failed %s %s, counts %s' % (learn['failed'], _j(learn['errors']), _j(counts)))]
    what = 'balance - spread as scheduler %s%s says' % (sched, ' with persistence' if persistent else '')
    if persistent or sched in SINGLE_SERVER_SCHEDULERS:
        out.append((what, len(counts) == 1, 'expected one real server for every request of one client, got %s' % _j(counts)))
    elif sched == 'rr':
        ok = not rs_counts or max(rs_counts) - min(rs_counts) <= 1
        out.append((what, ok, 'rr: counts per real server must be equal within 1, got %s' % _j(counts)))
    elif sched == 'wrr':
        total = sum(r['weight'] for r in active_rs)
        top = max([r['weight'] for r in active_rs] or [0])
        off = [r['host'] for r in active_rs if total and abs(counts.get(r['host'], 0) - n * r['weight'] / float(total)) > top]
        out.append((what, not off, 'wrr: counts must follow the weights %s (off: %s), got %s' % (
            _j(dict((r['host'], r['weight']) for r in active_rs)), _j(off), _j(counts))))
    elif sched in ('lc', 'wlc') and n >= len(active_rs):
        out.append((what, bool(rs_counts) and min(rs_counts) > 0,
                    '%s: every real server must get requests, got %s' % (sched, _j(counts))))
    else:
        out.append((what, True, '%s: no fixed shape for one client; counts %s' % (sched, _j(counts))))
    zero = [r['host'] for r in vs.get('real_servers') or [] if r['weight'] == 0]
    out.append(('balance - real servers of weight 0 get nothing', not [h for h in zero if h in counts],
                'weight 0: %s, counts %s' % (_j(zero), _j(counts))))
    return out


def ha_checks(ha, holders_before, directors, all_directors_here, failover_max, back_bound):
    """Checks of the high-availability test (`ha` is None or {} when it could not run)."""
    ha = ha or {}
    out = [('ha - failover ran (2+ directors, all in the play, one holder to start from)', 'failover' in ha,
            'directors %s, all in the play: %s, holders %s' % (_j(directors), all_directors_here, _j(holders_before)))]
    if 'failover' not in ha:
        return out
    fo, fb, stopped = ha['failover'], ha['failback'], ha['director_stopped']
    out.append(('ha - VIP answers again after %s stopped on %s, within %s s' % (ha['daemon'], stopped, failover_max),
                bool(fo['met']) and _le(fo['seconds'], failover_max),
                '%s s (first request %s s after the stop; %s of %s requests failed %s)' % (
                    fo['seconds'], fo['first_request'], fo['failed'], fo['requests'], _j(fo['errors']))))
    after = ha['holders_after_failover']
    out.append(('ha - exactly one other director holds the VIP after the failover', len(after) == 1 and stopped not in after,
                'held by %s' % _j(after)))
    back = ha['holders_after_failback']
    if ha['failback_expected']:
        out.append(('ha - VIP back on %s and answering within %s s of the restart' % (stopped, back_bound),
                    bool(fb['met']) and _le(fb['seconds'], back_bound) and back == [stopped],
                    '%s s (on the director after %s s), held by %s, %s of %s requests failed' % (
                        fb['seconds'], ha.get('vip_back_on_director_seconds'), _j(back), fb['failed'], fb['requests'])))
    else:
        out.append(('ha - VIP stays where it is (no failback configured) while %s rejoins' % stopped,
                    back == after and fb['failed'] == 0,
                    'held by %s, %s of %s requests failed' % (_j(back), fb['failed'], fb['requests'])))
    return out


def realserver_checks(rs, active_rs, markers, removal_max, return_max):
    """Checks of the real-server test (`rs` is None or {} when it could not run)."""
    rs = rs or {}
    out = [('realserver - test ran (2+ real servers with weight > 0, pages known and distinct)', 'removal' in rs,
            'real servers %s, pages %s' % (_j([r['host'] for r in active_rs]), _j(markers)))]
    if 'removal' not in rs:
        return out
    for key, verb, bound, what in (('removal', 'out of', removal_max, 'stopping'), ('return', 'back in', return_max, 'starting')):
        m = rs[key]
        out.append(('realserver - %s %s rotation within %s s of %s %s' % (rs['host'], verb, bound, what, rs['service']),
                    bool(m['met']) and _le(m['seconds'], bound),
                    '%s s (%s of %s requests failed meanwhile)' % (m['seconds'], m['failed'], m['requests'])))
    return out


def verify_checks(ctx):
    """All checks of one cluster. `ctx`: vs, active_rs, learn (client_probe learn), tests, ran_ha, ran_rs, ha, rs,
    holders_before, directors (names), all_directors_here, failover_max, failback_max, failback_extra, removal_max,
    return_max."""
    vs, active_rs, learn, before = ctx['vs'], ctx['active_rs'], ctx['learn'], ctx['holders_before']
    markers = learn.get('markers') or {}
    unknown = [r['host'] for r in active_rs if r['host'] not in markers]
    out = [('VIP %s is held by exactly one director' % vs['vip'], len(before) == 1,
            'held by %s' % (', '.join(before) if before else 'no director')),
           ('every real server page is known and distinct', not learn.get('identical') and not unknown,
            ('identical pages: %s; ' % _j(learn['identical']) if learn.get('identical') else '')
            + ('not reachable directly: %s (set verify_realserver_markers); ' % _j(learn['direct_errors'])
               if learn.get('direct_errors') else '') + 'pages: %s' % _j(markers))]
    if 'balance' in ctx['tests']:
        out.extend(balance_checks(vs, active_rs, learn))
    if ctx.get('ran_ha'):
        back_bound = float(ctx['failback_max']) + float(ctx.get('failback_extra') or 0)
        out.extend(ha_checks(ctx.get('ha'), before, ctx['directors'], ctx['all_directors_here'], ctx['failover_max'], back_bound))
    if ctx.get('ran_rs'):
        out.extend(realserver_checks(ctx.get('rs'), active_rs, markers, ctx['removal_max'], ctx['return_max']))
    return [{'name': name, 'ok': bool(ok), 'msg': msg} for name, ok, msg in out]
