# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A client of the virtual services: HTTP/TCP requests to VIPs, counted per real server and timed.

Used by the lvs.cluster.client_probe module (verify_cluster.yml, rolling_update.yml). Every loop is bounded in
iterations and time. Plain functions over a `Probe` so that unit tests run them against local listening sockets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import time

try:
    import http.client as http_client
except ImportError:  # Python 2 (never a client of this collection: the module refuses it)
    http_client = None

USER_AGENT = 'lvs.cluster-verify'
MAX_REQUESTS = 1000
MAX_ERRORS = 5
MAX_FAILURES = 50


def neighbour_mac(ip, arp_table):
    """MAC that a Linux /proc/net/arp table has for `ip` (complete entries only), None otherwise."""
    for line in arp_table.splitlines()[1:]:
        p = line.split()
        if len(p) >= 4 and p[0] == ip and p[2] != '0x0':
            return p[3].lower()
    return None


def read_neighbour_mac(ip, path='/proc/net/arp'):
    """The client's neighbour-table MAC for `ip` (Linux), None elsewhere or when `ip` is behind a router."""
    try:
        with open(path) as f:
            return neighbour_mac(ip, f.read())
    except (IOError, OSError):
        return None


def who(body, markers):
    """The real server whose page `body` is: an exact match first, then the first marker the page contains."""
    for host, mark in markers.items():
        if body == mark:
            return host
    for host, mark in markers.items():
        if mark and mark in body:
            return host
    return None


def target_key(address, port):
    return ('[%s]:%s' if ':' in address else '%s:%s') % (address, port)


class Probe(object):
    """HTTP/1.1 GETs of `path` to one VIP; `status` is the answer that counts."""

    def __init__(self, vip=None, port=None, path='/', status=200, timeout=1.0, markers=None):
        self.vip, self.port, self.path = vip, port, path
        self.status, self.timeout = status, timeout
        self.markers = dict(markers or {})
        self.res = {'requests': 0, 'failed': 0, 'by_server': {}, 'errors': []}

    def get(self, host, port):
        """(status, body, error) of one GET."""
        conn = http_client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.request('GET', self.path, headers={'Connection': 'close', 'User-Agent': USER_AGENT})
            resp = conn.getresponse()
            return resp.status, resp.read(65536).decode('utf-8', 'replace').strip(), None
        except (OSError, http_client.HTTPException) as exc:
            return None, '', '%s: %s' % (type(exc).__name__, exc)
        finally:
            conn.close()

    def one(self, seq=None):
        """One request to the VIP, counted; returns (answered with `status`, real server or None)."""
        res = self.res
        status, body, err = self.get(self.vip, self.port)
        res['requests'] += 1
        ok = status == self.status
        host = who(body, self.markers) if ok else None
        if ok:
            res['by_server'][host or 'unknown'] = res['by_server'].get(host or 'unknown', 0) + 1
        else:
            res['failed'] += 1
            error = err or 'HTTP status %s' % status
            if error not in res['errors'] and len(res['errors']) < MAX_ERRORS:
                res['errors'].append(error)
        if seq is not None:
            seq.append(host or ('unknown' if ok else 'FAILED'))
        return ok, host

    def learn(self, real_servers, requests):
        """Ask each real server directly for its page (unless its marker is known), then send `requests` requests
        to the VIP and record which real server answered each."""
        res = self.res
        res['direct_errors'] = {}
        for rs in real_servers:
            if rs['host'] in self.markers:
                continue
            status, body, err = self.get(rs['address'], int(rs['port']))
            if status == self.status and body:
                self.markers[rs['host']] = body
            else:
                res['direct_errors'][rs['host']] = err or 'HTTP status %s' % status
        seen = {}
        for host, mark in self.markers.items():
            seen.setdefault(mark, []).append(host)
        res['identical'] = [sorted(hosts) for hosts in seen.values() if len(hosts) > 1]
        res['markers'] = dict(self.markers)
        seq = []
        for dummy in range(max(1, min(MAX_REQUESTS, int(requests)))):
            self.one(seq)
        res['sequence'] = seq
        res['vip_mac'] = read_neighbour_mac(self.vip)
        return res

    def wait(self, since, interval, max_seconds, until, arp=read_neighbour_mac, clock=time.time, sleep=time.sleep):
        """Poll the VIP until the condition `until` holds, or `max_seconds` after `since` (a clock() of this client).

        until: {'type': 'vip', 'macs': [...]}  the VIP answers (through one of these MACs, when given);
               {'type': 'rs_out', 'host': h, 'streak': n}  n answers in a row from real servers other than h;
               {'type': 'rs_in', 'host': h}  h answers;
               {'type': 'watch'}  poll for the whole time (always met)."""
        res = self.res
        kind, macs, target = until['type'], until.get('macs') or [], until.get('host')
        streak, streak_start, n = 0, None, 0
        res.update(met=False, seconds=None, confirmed_seconds=None, first_failure=None, last_failure=None, mac=None,
                   first_request=None)
        while n < int(max_seconds / interval) + 20:
            n += 1
            t = clock()
            ok, host = self.one()
            rel = round(t - since, 2)
            res['first_request'] = rel if n == 1 else res['first_request']
            if not ok:
                res['first_failure'] = rel if res['first_failure'] is None else res['first_failure']
                res['last_failure'] = rel
            mac = arp(self.vip) if macs else None
            res['mac'] = mac or res['mac']
            if kind == 'vip' and ok and (not macs or mac in macs):
                res.update(met=True, seconds=round(clock() - since, 2))
            elif kind == 'rs_out':
                if ok and host != target:
                    streak += 1
                    streak_start = rel if streak == 1 else streak_start
                else:
                    streak = 0
                if streak >= int(until['streak']):
                    res.update(met=True, seconds=streak_start, confirmed_seconds=round(clock() - since, 2))
            elif kind == 'rs_in' and ok and host == target:
                res.update(met=True, seconds=round(clock() - since, 2))
            if res['met'] or clock() - since >= max_seconds:
                break
            sleep(max(0.0, interval - (clock() - t)))
        res['met'] = res['met'] or kind == 'watch'
        res['seconds_total'] = round(clock() - since, 2)
        return res


def check_target(address, port, check, timeout):
    """(ok, error) of one request: a TCP connect, and for `http` a GET / HTTP/1.0 whose reply starts with HTTP/."""
    try:
        conn = socket.create_connection((address, port), timeout=timeout)
        try:
            if check == 'http':
                conn.sendall(('GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: %s\r\n\r\n' % (address, USER_AGENT)).encode())
                if conn.recv(16).startswith(b'HTTP/'):
                    return True, ''
                return False, 'no HTTP reply'
            return True, ''
        finally:
            conn.close()
    except (OSError, socket.error) as exc:
        return False, str(exc)


def count(targets, stop_file, interval, timeout, max_seconds, clock=time.monotonic, sleep=time.sleep):
    """Request every target every `interval` seconds until `stop_file` exists or `max_seconds` passed;
    count the requests and the failures (the first 50 failures are kept, with their time)."""
    t0 = clock()
    res = {'requests': 0, 'failed': 0, 'targets': {}, 'failures': []}
    while not os.path.exists(stop_file) and clock() - t0 < max_seconds:
        for tgt in targets:
            key = target_key(tgt['address'], tgt['port'])
            ok, err = check_target(tgt['address'], tgt['port'], tgt.get('check', 'tcp'), timeout)
            entry = res['targets'].setdefault(key, {'requests': 0, 'failed': 0})
            entry['requests'] += 1
            res['requests'] += 1
            if not ok:
                entry['failed'] += 1
                res['failed'] += 1
                if len(res['failures']) < MAX_FAILURES:
                    res['failures'].append('%.2fs %s %s' % (clock() - t0, key, err))
        sleep(interval)
    res['seconds'] = round(clock() - t0, 1)
    return res
