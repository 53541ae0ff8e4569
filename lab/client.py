# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's client: HTTP requests to the VIP from inside the lab namespace, counted and timed (tests/lab).

The requests themselves are the collection's own client (plugins/module_utils/_client_probe.py, the code of the
lvs.cluster.client_probe module): one GET is ``Probe.get``, waiting for the VIP is ``Probe.wait``. This file adds what
the lab tests need on top, with every loop bounded in requests and time:

  wait  poll the VIP every INTERVAL seconds until it answers through one of MACS (the director expected to serve it),
        at most MAX_SECONDS after SINCE (a time.time() of the caller);
  poll  RATE requests per second until the STOP file exists, COUNT requests were sent or MAX_SECONDS passed; counts the
        requests, the failed ones and the answers per page. Once the MARK file exists, the requests are also counted
        apart (``after``) and the client ends after AFTER of them.

  stream  one slow download (GET PATH, read CHUNK bytes every 1/RATE s) at most MAX_SECONDS: a long-lived TCP connection
        that a director failover must not reset when connection sync is on; returns the bytes read, the expected
        length, the seconds and the error that ended it early (None when it completed).

poll also reports ``outage_seconds``: the longest time from a failed request to the next answered one (a fault's
client-visible outage), and ``first_failure`` / ``last_failure`` (seconds after SINCE).

Run inside the lab namespace with one JSON object of arguments, prints one JSON object (tests/lab/lab_adapter.py):
  ip netns exec lvslab python3 lab/client.py '{"mode": "poll", "vip": "203.0.113.100", "rate": 5, "count": 20}'
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import json
import os
import sys
import time

PROBE_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          'plugins', 'module_utils', '_client_probe.py')
MAX_REQUESTS = 100000
MAX_FAILURES = 20


def _load_probe():
    spec = importlib.util.spec_from_file_location('lvs_lab_client_probe', PROBE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


client_probe = _load_probe()


def server_of(page):
    """'This is real server2' -> 'rs2' (the lab's pages, lab/lablib.py PAGES); any other page as it is."""
    head, sep, num = page.rpartition('server')
    return 'rs' + num if sep and head.endswith('real ') and num.isdigit() else page


def pages_line(by_page):
    """{'This is real server1': 3, ...} -> 'rs1=3 rs2=3' (sorted), 'none' when nothing answered."""
    return ' '.join('%s=%s' % (server_of(k), v) for k, v in sorted(by_page.items(), key=lambda kv: server_of(kv[0]))) or 'none'


def served(by_page, host):
    """Requests that the real server `host` (rs<N>) answered."""
    return sum(v for k, v in by_page.items() if server_of(k) == host)


def _counter():
    return {'requests': 0, 'failed': 0, 'by_page': {}}


def poll(vip, rate, max_seconds, port=80, stop=None, count=0, mark=None, after=None, since=None, timeout=1.0,
         get=None, clock=time.time, sleep=time.sleep):
    """RATE requests/s to the VIP (see the module's docstring); returns the counts."""
    probe = client_probe.Probe(vip=vip, port=port, timeout=timeout)
    get = get or probe.get
    since = clock() if since is None else float(since)
    deadline = since + float(max_seconds)
    res = dict(_counter(), mode='poll', failures=[])
    after_res = None
    count = int(count or 0)
    streak, longest, first, last = None, 0.0, None, None
    while clock() < deadline and res['requests'] < MAX_REQUESTS:
        if stop and os.path.exists(stop):
            break
        if count and res['requests'] >= count:
            break
        if mark and after_res is None and os.path.exists(mark):
            after_res = res['after'] = dict(_counter(), mark_seconds=round(clock() - since, 1))
        if after_res is not None and after_res['requests'] >= int(after):
            break
        t = clock()
        status, body, err = get(vip, port)
        ok = status == 200
        for r in [res] + ([after_res] if after_res is not None else []):
            r['requests'] += 1
            if ok:
                r['by_page'][body] = r['by_page'].get(body, 0) + 1
            else:
                r['failed'] += 1
        if not ok and len(res['failures']) < MAX_FAILURES:
            res['failures'].append('%.1fs %s' % (t - since, err or 'HTTP status %s' % status))
        if ok and streak is not None:
            longest, streak = max(longest, t - streak), None
        elif not ok:
            streak = t if streak is None else streak
            first = t - since if first is None else first
            last = t - since
        sleep(max(0.0, 1.0 / float(rate) - (clock() - t)))
    res['seconds'] = round(clock() - since, 1)
    if streak is not None:
        longest = max(longest, clock() - streak)
    res['outage_seconds'] = round(longest, 1)
    res['first_failure'] = None if first is None else round(first, 1)
    res['last_failure'] = None if last is None else round(last, 1)
    return res


def stream(vip, path, rate, chunk, max_seconds, port=80, timeout=5.0, clock=time.time, sleep=time.sleep):
    """One slow download of PATH: CHUNK bytes every 1/RATE s, at most MAX_SECONDS (see the module's docstring)."""
    import http.client as http_client  # pylint: disable=import-outside-toplevel
    t0 = clock()
    res = {'mode': 'stream', 'bytes': 0, 'length': None, 'error': None, 'status': None}
    conn = http_client.HTTPConnection(vip, port, timeout=timeout)
    try:
        conn.request('GET', path, headers={'Connection': 'close', 'User-Agent': 'lvs-cluster-lab-stream'})
        resp = conn.getresponse()
        res['status'] = resp.status
        length = resp.getheader('Content-Length')
        res['length'] = int(length) if length and length.isdigit() else None
        while clock() - t0 < float(max_seconds):
            t = clock()
            data = resp.read(int(chunk))
            if not data:
                break
            res['bytes'] += len(data)
            sleep(max(0.0, 1.0 / float(rate) - (clock() - t)))
        else:
            res['error'] = 'still reading after %s s' % max_seconds
    except (OSError, http_client.HTTPException) as exc:
        res['error'] = '%s: %s' % (type(exc).__name__, exc)
    finally:
        conn.close()
    res['seconds'] = round(clock() - t0, 1)
    res['complete'] = res['error'] is None and res['length'] is not None and res['bytes'] == res['length']
    return res


def wait(vip, macs, since, max_seconds, interval=0.25, port=80, timeout=1.0):
    """Until the VIP answers through one of `macs` (Probe.wait, condition 'vip'); returns its counts and times."""
    probe = client_probe.Probe(vip=vip, port=port, timeout=timeout)
    res = probe.wait(float(since), float(interval), float(max_seconds), {'type': 'vip', 'macs': list(macs)})
    res['mode'] = 'wait'
    return res


def run(args):
    """One client run from the JSON arguments (the command line's)."""
    mode = args.get('mode')
    if mode == 'wait':
        return wait(args['vip'], args['macs'], args.get('since') or time.time(), args['max_seconds'],
                    interval=args.get('interval', 0.25), port=args.get('port', 80), timeout=args.get('timeout', 1.0))
    if mode == 'poll':
        return poll(args['vip'], args['rate'], args['max_seconds'], port=args.get('port', 80), stop=args.get('stop'),
                    count=args.get('count'), mark=args.get('mark'), after=args.get('after'), since=args.get('since'),
                    timeout=args.get('timeout', 1.0))
    if mode == 'stream':
        return stream(args['vip'], args.get('path', '/'), args['rate'], args['chunk'], args['max_seconds'],
                      port=args.get('port', 80), timeout=args.get('timeout', 5.0))
    raise ValueError('mode must be wait or poll or stream, not %r' % (mode,))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(run(json.loads(argv[0])), sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
