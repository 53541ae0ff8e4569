#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: client_probe
short_description: Send requests to virtual services as a client, count who answers and time the changes
version_added: 1.0.0
description:
  - The client side of the operator playbooks C(verify_cluster.yml) and C(rolling_update.yml). Every loop is bounded in
    iterations and time; nothing is changed on any host.
  - V(now) - the time of this client's clock (marks taken before a stop or a start, to measure from).
  - V(learn) - ask each real server directly for its page (what identifies it), then send O(requests) HTTP requests
    to the VIP and count the answers per real server.
  - V(wait) - poll the VIP every O(interval) seconds until O(until) holds or O(max_seconds) after O(since).
  - V(count) - connect to every one of O(targets) every O(interval) seconds until O(stop_file) exists or
    O(max_seconds) passed, and count the failed requests (run it with C(async)).
author:
  - lvs.cluster contributors (@lvs-cluster)
requirements:
  - Python 3 on the client.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only sends requests; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  mode:
    description: What to do (see the description).
    type: str
    choices: [now, learn, wait, count]
    required: true
  vip:
    description: Address of the virtual service (V(learn), V(wait)).
    type: str
  port:
    description: Port of the virtual service (V(learn), V(wait)).
    type: int
  path:
    description: Path of the HTTP requests (V(learn), V(wait)).
    type: str
    default: /
  status:
    description: HTTP status that counts as an answer.
    type: int
    default: 200
  timeout:
    description: Seconds per request.
    type: float
    default: 1
  interval:
    description: Seconds between two requests (V(wait)) or two rounds over O(targets) (V(count)).
    type: float
    default: 0.5
  markers:
    description:
      - Real server (inventory name) to the text of its page; an answer equal to a marker, else containing it, is that real
        server's. V(learn) asks the real servers it lacks and returns the complete map in C(probe.markers).
    type: dict
    default: {}
  real_servers:
    description: V(learn) - the real servers to ask directly for their page.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: Inventory name.
        type: str
        required: true
      address:
        description: Address the real server answers on.
        type: str
        required: true
      port:
        description: Its port.
        type: int
        required: true
      weight:
        description: Not used; accepted so that the model's real-server entries can be passed as they are.
        type: int
  requests:
    description: V(learn) - requests to send to the VIP (1-1000).
    type: int
    default: 20
  since:
    description: V(wait) - the clock value (C(probe.now) of an earlier V(now)) the times are measured from.
    type: float
  max_seconds:
    description: V(wait) - bound after O(since); V(count) - bound of the whole run.
    type: float
    default: 30
  until:
    description: V(wait) - the condition that ends the wait.
    type: dict
    suboptions:
      type:
        description:
          - V(vip) the VIP answers (through one of O(until.macs), when given); V(rs_in) the real server O(until.host)
            answers; V(rs_out) O(until.streak) answers in a row from other real servers than O(until.host);
            V(watch) poll for the whole O(max_seconds) (always met).
        type: str
        choices: [vip, rs_in, rs_out, watch]
        required: true
      macs:
        description: MACs the client's neighbour table must show for the VIP (client on the VIP's segment, Linux).
        type: list
        elements: str
        default: []
      host:
        description: The real server of V(rs_in) and V(rs_out).
        type: str
      streak:
        description: Answers in a row for V(rs_out).
        type: int
        default: 2
  targets:
    description: V(count) - the services to request.
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: VIP.
        type: str
        required: true
      port:
        description: Port.
        type: int
        required: true
      check:
        description: V(http) sends C(GET / HTTP/1.0) and wants a reply starting with C(HTTP/); V(tcp) only connects.
        type: str
        choices: [tcp, http]
        default: tcp
  stop_file:
    description: V(count) - the run ends when this file exists.
    type: path
seealso:
  - module: lvs.cluster.vip_probe
'''

EXAMPLES = r'''
- name: Mark the time on the client
  lvs.cluster.client_probe:
    mode: now
  register: mark

- name: Learn the real servers' pages and send 20 requests to the VIP
  lvs.cluster.client_probe:
    mode: learn
    vip: 203.0.113.100
    port: 80
    real_servers:
      - {host: rs1, address: 203.0.113.21, port: 80}
      - {host: rs2, address: 203.0.113.22, port: 80}
  register: learn

- name: Wait until rs1 answers through the VIP again
  lvs.cluster.client_probe:
    mode: wait
    vip: 203.0.113.100
    port: 80
    markers: "{{ learn.probe.markers }}"
    since: "{{ mark.probe.now }}"
    max_seconds: 30
    until: {type: rs_in, host: rs1}

- name: Count failed requests in the background until the stop file appears
  lvs.cluster.client_probe:
    mode: count
    targets: [{address: 203.0.113.100, port: 80, check: http}]
    stop_file: /tmp/lvs_rolling/stop
    interval: 0.2
    max_seconds: 3600
  async: 3660
  poll: 0
'''

RETURN = r'''
probe:
  description:
    - What the probe saw (kept under one key because its counters are named C(failed), a word Ansible reserves in results).
    - V(now) - C(now), the client's clock in seconds.
    - V(learn), V(wait) - C(requests), C(failed), C(by_server) (answers per real server, C(unknown) for an unknown page),
      C(errors) (the first five distinct errors).
    - V(learn) also - C(markers), C(direct_errors) (real servers that did not answer directly), C(identical) (real servers
      with the same page), C(sequence) (who answered each request), C(vip_mac) (the client's neighbour-table MAC of the VIP).
    - V(wait) also - C(met), C(seconds) (from O(since) until met; for V(rs_out) the first answer of the streak),
      C(confirmed_seconds), C(first_request), C(first_failure), C(last_failure), C(mac), C(seconds_total).
    - V(count) - C(requests), C(failed), C(targets) (per C(VIP:port)), C(failures) (the first 50, with their time), C(seconds).
  returned: always
  type: dict
  sample: {"requests": 20, "failed": 0, "by_server": {"rs1": 10, "rs2": 10}, "errors": []}
'''

import sys
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._client_probe import MAX_REQUESTS, Probe, count

ARGUMENT_SPEC = dict(
    mode=dict(type='str', required=True, choices=['now', 'learn', 'wait', 'count']),
    vip=dict(type='str'),
    port=dict(type='int'),
    path=dict(type='str', default='/'),
    status=dict(type='int', default=200),
    timeout=dict(type='float', default=1),
    interval=dict(type='float', default=0.5),
    markers=dict(type='dict', default={}),
    real_servers=dict(type='list', elements='dict', default=[], options=dict(
        host=dict(type='str', required=True),
        address=dict(type='str', required=True),
        port=dict(type='int', required=True),
        weight=dict(type='int'),
    )),
    requests=dict(type='int', default=20),
    since=dict(type='float'),
    max_seconds=dict(type='float', default=30),
    until=dict(type='dict', options=dict(
        type=dict(type='str', required=True, choices=['vip', 'rs_in', 'rs_out', 'watch']),
        macs=dict(type='list', elements='str', default=[]),
        host=dict(type='str'),
        streak=dict(type='int', default=2),
    )),
    targets=dict(type='list', elements='dict', default=[], options=dict(
        address=dict(type='str', required=True),
        port=dict(type='int', required=True),
        check=dict(type='str', default='tcp', choices=['tcp', 'http']),
    )),
    stop_file=dict(type='path'),
)


NEEDS = {
    'learn': ('vip', 'port'),
    'wait': ('vip', 'port', 'since', 'until'),
    'count': ('stop_file',),
}


def run(module):
    p = module.params
    missing = [name for name in NEEDS.get(p['mode'], ()) if p[name] is None]
    if missing:
        module.fail_json(msg='mode=%s needs %s' % (p['mode'], ', '.join(missing)))
    for name in ('timeout', 'interval'):
        if p[name] <= 0:
            module.fail_json(msg='%s must be above 0' % name)
    if p['mode'] == 'now':
        return dict(changed=False, probe={'now': time.time()})
    if p['mode'] == 'count':
        probe = count(p['targets'], p['stop_file'], p['interval'], p['timeout'], p['max_seconds'])
        return dict(changed=False, probe=probe)
    probe = Probe(p['vip'], p['port'], p['path'], p['status'], p['timeout'], p['markers'])
    if p['mode'] == 'learn':
        if not 1 <= p['requests'] <= MAX_REQUESTS:
            module.fail_json(msg='requests must be 1-%d' % MAX_REQUESTS)
        res = probe.learn(p['real_servers'], p['requests'])
    else:
        if p['until']['type'] in ('rs_in', 'rs_out') and not p['until']['host']:
            module.fail_json(msg='until.type=%s needs until.host' % p['until']['type'])
        res = probe.wait(p['since'], p['interval'], p['max_seconds'], p['until'])
    res['mode'] = p['mode']
    return dict(changed=False, probe=res)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    if sys.version_info[0] < 3:
        module.fail_json(msg='lvs.cluster.client_probe needs Python 3 on the client')
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
