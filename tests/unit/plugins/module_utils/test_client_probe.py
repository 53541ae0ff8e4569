# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client probe (plugins/module_utils/_client_probe.py) against real listening sockets on 127.0.0.1: real
servers with their own page, and a "VIP" that hands the requests out in turn, as rr would, and can be changed
while the probe runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

import pytest

try:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
except ImportError:  # pragma: no cover - Python 2
    pytest.skip('Python 3 only', allow_module_level=True)

from ansible_collections.lvs.cluster.plugins.module_utils import _client_probe as cp

LOCAL = '127.0.0.1'


class Server(object):
    """An HTTP server on 127.0.0.1 whose answers come from `pages` in turn (a list that tests may change);
    a page None answers 503."""

    def __init__(self, pages):
        self.pages = list(pages)
        self.count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page = outer.pages[outer.count % len(outer.pages)]
                outer.count += 1
                body = ('%s\n' % page).encode() if page is not None else b'down\n'
                self.send_response(200 if page is not None else 503)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((LOCAL, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made = []

    def make(pages):
        srv = Server(pages)
        made.append(srv)
        return srv
    yield make
    for srv in made:
        srv.stop()


def free_port():
    """A port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind((LOCAL, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_neighbour_mac_reads_the_linux_arp_table():
    table = ("IP address       HW type     Flags       HW address            Mask     Device\n"
             "203.0.113.100    0x1         0x2         02:00:00:00:00:0B     *        eth0\n"
             "203.0.113.101    0x1         0x0         00:00:00:00:00:00     *        eth0\n")
    assert cp.neighbour_mac('203.0.113.100', table) == '02:00:00:00:00:0b'
    assert cp.neighbour_mac('203.0.113.101', table) is None  # incomplete entry
    assert cp.neighbour_mac('203.0.113.102', table) is None
    assert cp.read_neighbour_mac('203.0.113.100', path='/nonexistent/arp') is None


def test_who_prefers_exact_pages():
    markers = {'rs1': 'This is real server1', 'rs10': 'This is real server10'}
    assert cp.who('This is real server10', markers) == 'rs10'
    assert cp.who('<p>This is real server1</p>', markers) == 'rs1'
    assert cp.who('something else', markers) is None


def test_learn_pages_then_count_the_balance(servers):
    rs1, rs2 = servers(['This is real server1']), servers(['This is real server2'])
    vip = servers(['This is real server1', 'This is real server2'])
    probe = cp.Probe(LOCAL, vip.port, timeout=2)
    res = probe.learn([{'host': 'rs1', 'address': LOCAL, 'port': rs1.port}, {'host': 'rs2', 'address': LOCAL, 'port': rs2.port}], 20)
    assert res['markers'] == {'rs1': 'This is real server1', 'rs2': 'This is real server2'}
    assert res['direct_errors'] == {} and res['identical'] == []
    assert res['requests'] == 20 and res['failed'] == 0 and res['by_server'] == {'rs1': 10, 'rs2': 10}
    assert res['sequence'][:4] == ['rs1', 'rs2', 'rs1', 'rs2']
    assert res['vip_mac'] is None  # 127.0.0.1 has no neighbour entry


def test_learn_reports_unreachable_and_identical_real_servers(servers):
    same1, same2 = servers(['welcome']), servers(['welcome'])
    vip = servers([None])
    dead = free_port()
    probe = cp.Probe(LOCAL, vip.port, timeout=1, markers={'rs0': 'known page'})
    res = probe.learn([{'host': 'rs0', 'address': LOCAL, 'port': dead},
                       {'host': 'rs1', 'address': LOCAL, 'port': same1.port},
                       {'host': 'rs2', 'address': LOCAL, 'port': same2.port},
                       {'host': 'rs3', 'address': LOCAL, 'port': dead}], 3)
    assert 'rs0' not in res['direct_errors']  # its marker was given: not asked
    assert res['direct_errors']['rs3'].startswith('ConnectionRefusedError')
    assert res['identical'] == [['rs1', 'rs2']]
    assert res['failed'] == 3 and res['errors'] == ['HTTP status 503'] and res['sequence'] == ['FAILED'] * 3


def test_wait_until_a_real_server_is_out(servers):
    vip = servers(['page-1', 'page-2'])
    markers = {'rs1': 'page-1', 'rs2': 'page-2'}
    since = time.time()
    timer = threading.Timer(0.5, lambda: vip.pages.__setitem__(0, 'page-2'))
    timer.start()
    try:
        res = cp.Probe(LOCAL, vip.port, markers=markers).wait(since, 0.05, 10, {'type': 'rs_out', 'host': 'rs1', 'streak': 4})
    finally:
        timer.cancel()
    assert res['met'] and 0.4 <= res['seconds'] <= 2.5, res
    assert res['confirmed_seconds'] >= res['seconds'] and res['failed'] == 0
    assert res['by_server']['rs1'] >= 1 and res['by_server']['rs2'] >= 4


def test_wait_until_the_vip_answers_again(servers):
    vip = servers([None])
    since = time.time()
    timer = threading.Timer(0.4, lambda: vip.pages.__setitem__(0, 'back'))
    timer.start()
    try:
        res = cp.Probe(LOCAL, vip.port).wait(since, 0.05, 10, {'type': 'vip'})
    finally:
        timer.cancel()
    assert res['met'] and 0.35 <= res['seconds'] <= 2.5, res
    assert res['first_failure'] is not None and res['first_failure'] < 0.2 and res['last_failure'] >= 0.3
    assert res['failed'] >= 2 and res['errors'] == ['HTTP status 503']


def test_wait_that_is_never_met_ends_at_max_seconds(servers):
    vip = servers(['page-1'])
    started = time.time()
    res = cp.Probe(LOCAL, vip.port, markers={'rs1': 'page-1'}).wait(started, 0.1, 0.5, {'type': 'rs_in', 'host': 'rs2'})
    assert not res['met'] and 0.5 <= res['seconds_total'] < 1.5 and res['seconds'] is None
    watch = cp.Probe(LOCAL, vip.port).wait(time.time(), 0.1, 0.3, {'type': 'watch'})
    assert watch['met'] and watch['seconds_total'] >= 0.3


def test_check_target_http_and_tcp(servers):
    web = servers(['hello'])
    assert cp.check_target(LOCAL, web.port, 'http', 1) == (True, '')
    mute = socket.socket()
    mute.bind((LOCAL, 0))
    mute.listen(5)
    try:
        assert cp.check_target(LOCAL, mute.getsockname()[1], 'tcp', 1) == (True, '')
        ok, err = cp.check_target(LOCAL, mute.getsockname()[1], 'http', 0.3)
        assert not ok and 'timed out' in err
    finally:
        mute.close()
    ok, err = cp.check_target(LOCAL, free_port(), 'tcp', 1)
    assert not ok and 'refused' in err


def test_count_until_the_stop_file(servers, tmp_path):
    web = servers(['hello'])
    stop = tmp_path / 'stop'
    port = web.port
    results = {}

    def run():
        results['res'] = cp.count([{'address': LOCAL, 'port': port, 'check': 'http'}], str(stop), 0.05, 0.5, 30)
    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    web.stop()
    time.sleep(0.4)
    stop.write_text('')
    worker.join(10)
    res = results['res']
    assert not worker.is_alive() and res['seconds'] < 5
    assert res['requests'] >= 8 and 2 <= res['failed'] < res['requests'], res
    assert list(res['targets']) == ['127.0.0.1:%d' % port] and res['targets']['127.0.0.1:%d' % port]['failed'] == res['failed']
    assert any('refused' in f for f in res['failures'])


def test_count_is_bounded_in_time(tmp_path):
    res = cp.count([{'address': LOCAL, 'port': free_port()}], str(tmp_path / 'never'), 0.05, 0.2, 0.3)
    assert 0.3 <= res['seconds'] < 2 and res['failed'] == res['requests'] >= 1


def test_target_key():
    assert cp.target_key('2001:db8::100', 80) == '[2001:db8::100]:80'
    assert cp.target_key('203.0.113.100', 80) == '203.0.113.100:80'
