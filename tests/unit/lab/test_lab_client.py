# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lab/client.py, the lab tests' client: against real local HTTP servers (127.0.0.1, ports of this test)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.server
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SCRIPT = os.path.join(ROOT, 'lab', 'client.py')
_spec = importlib.util.spec_from_file_location('lab_client', SCRIPT)
client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(client)


class _Page(http.server.BaseHTTPRequestHandler):
    page = b'This is real server1\n'

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header('Content-Length', str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_server_of_and_pages_line():
    assert client.server_of('This is real server2') == 'rs2'
    assert client.server_of('This is real server12') == 'rs12'
    assert client.server_of('It works') == 'It works'
    assert client.server_of('Not a real serverX') == 'Not a real serverX'
    assert client.pages_line({'This is real server2': 4, 'This is real server1': 3}) == 'rs1=3 rs2=4'
    assert client.pages_line({}) == 'none'
    assert client.served({'This is real server2': 4, 'This is real server1': 3}, 'rs2') == 4
    assert client.served({'This is real server2': 4}, 'rs1') == 0


def test_poll_counts_requests_and_pages(server):
    r = client.poll('127.0.0.1', rate=50, max_seconds=10, port=server, count=6)
    assert (r['requests'], r['failed'], r['by_page']) == (6, 0, {'This is real server1': 6})
    assert r['failures'] == []


def test_poll_counts_failures(closed_port):
    r = client.poll('127.0.0.1', rate=50, max_seconds=10, port=closed_port, count=3, timeout=0.5)
    assert (r['requests'], r['failed'], r['by_page']) == (3, 3, {})
    assert len(r['failures']) == 3 and 'ConnectionRefusedError' in r['failures'][0]


def test_poll_stops_at_the_stop_file(server, tmp_path):
    stop = tmp_path / 'stop'
    stop.write_text('')
    r = client.poll('127.0.0.1', rate=50, max_seconds=10, port=server, stop=str(stop))
    assert r['requests'] == 0


def test_poll_is_bounded_in_time(server):
    r = client.poll('127.0.0.1', rate=20, max_seconds=0.5, port=server)
    assert 0 < r['requests'] <= 12 and r['seconds'] < 2


def test_poll_counts_apart_after_the_mark(tmp_path):
    """Requests sent once the mark file exists are counted apart; the client ends after `after` of them."""
    mark = tmp_path / 'mark'
    answers = iter([(200, 'This is real server1', None), (None, '', 'timeout'), (200, 'This is real server1', None)]
                   + [(200, 'This is real server2', None)] * 10)
    calls = []

    def get(host, port):
        calls.append((host, port))
        if len(calls) == 3:
            mark.write_text('')
        return next(answers)

    r = client.poll('203.0.113.100', rate=1000, max_seconds=10, port=80, mark=str(mark), after=4, get=get)
    assert calls[0] == ('203.0.113.100', 80)
    assert (r['requests'], r['failed']) == (7, 1)
    assert r['after']['requests'] == 4 and r['after']['failed'] == 0
    assert r['after']['by_page'] == {'This is real server2': 4}
    assert r['by_page'] == {'This is real server1': 2, 'This is real server2': 4}


def test_wait_until_the_vip_answers(server):
    """`wait` is the collection's Probe.wait: without a MAC to match on 127.0.0.1 it never meets its condition."""
    r = client.wait('127.0.0.1', ['52:54:00:cb:71:0b'], since=client.time.time(), max_seconds=0.6, interval=0.1,
                    port=server)
    assert r['mode'] == 'wait' and r['met'] is False and r['failed'] == 0 and r['requests'] >= 3


def test_command_line(server):
    args = {'mode': 'poll', 'vip': '127.0.0.1', 'port': server, 'rate': 50, 'count': 2, 'max_seconds': 10}
    out = subprocess.run([sys.executable, SCRIPT, json.dumps(args)], capture_output=True, text=True, check=True, timeout=30).stdout
    assert json.loads(out)['requests'] == 2
    bad = subprocess.run([sys.executable, SCRIPT, '{"mode": "other"}'], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and 'mode must be wait or poll' in bad.stderr


def test_poll_outage_is_the_longest_failure_streak():
    """outage_seconds: from a failed request to the next answered one, the longest such span; an unhealed streak
    counts until the end."""
    now = [0.0]
    answers = iter([True, False, False, True, False, True, True, False, False, False])

    def get(vip, port):
        now[0] += 0.5
        return (200, 'This is real server1', None) if next(answers) else (None, '', 'TimeoutError: timed out')

    res = client.poll('203.0.113.100', rate=1000, max_seconds=100, count=10, get=get, clock=lambda: now[0],
                      sleep=lambda s: None, since=0.0)
    assert res['requests'] == 10 and res['failed'] == 6
    # requests at 0.0..4.5 s: failed 0.5, 1.0 -> answered 1.5 (1.0 s); failed 2.0 -> 2.5 (0.5 s); failed 3.5, 4.0,
    # 4.5 and never answered again: 1.5 s until the end (5.0 s)
    assert res['first_failure'] == 0.5 and res['last_failure'] == 4.5
    assert res['outage_seconds'] == 1.5


def test_poll_without_failures_has_no_outage():
    res = client.poll('203.0.113.100', rate=1000, max_seconds=100, count=3, get=lambda v, p: (200, 'x', None),
                      sleep=lambda s: None)
    assert (res['failed'], res['outage_seconds'], res['first_failure']) == (0, 0.0, None)


class _Big(http.server.BaseHTTPRequestHandler):
    size = 200000
    cut = None  # close the connection after this many bytes (a reset stream)

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header('Content-Length', str(self.size))
        self.end_headers()
        self.wfile.write(b'x' * (self.cut or self.size))

    def log_message(self, *args):  # quiet
        pass


@pytest.mark.parametrize('cut', [None, 50000])
def test_stream_reads_the_whole_body_or_reports_the_break(cut):
    handler = type('H', (_Big,), {'cut': cut})
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        res = client.stream('127.0.0.1', '/big.bin', rate=1000, chunk=16384, max_seconds=20, port=httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert res['status'] == 200 and res['length'] == 200000
    if cut is None:
        assert res['complete'] and res['bytes'] == 200000 and res['error'] is None
    else:
        assert not res['complete'] and res['bytes'] == 50000


def test_faults_table(tmp_path):
    """tests/lab/faults_table.py: one row per fault and backend, sorted, '|' kept out of the cells."""
    spec = importlib.util.spec_from_file_location('faults_table', os.path.join(ROOT, 'tests', 'lab', 'faults_table.py'))
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    path = tmp_path / 'faults.json'
    path.write_text(json.dumps({'backend': 'keepalived', 'mitogen': True, 'rows': [
        {'fault': 'partition', 'outage_seconds': 1.5, 'requests': 120, 'failed': 3, 'holders_at_end': ['dr1'],
         'heal_seconds': 4.0, 'ok': True, 'note': 'a | b'},
        {'fault': 'bad-push', 'outage_seconds': 0.0, 'requests': 90, 'failed': 0, 'holders_at_end': ['dr1'],
         'heal_seconds': 0, 'ok': True, 'note': ''}]}))
    lines = table.table(table.rows_of([str(path)])).splitlines()
    assert lines[2] == '| bad-push | keepalived | 0.0 | 0 / 90 | dr1 | 0 | pass |  |'
    assert lines[3] == '| partition | keepalived | 1.5 | 3 / 120 | dr1 | 4.0 | pass | a / b |'
