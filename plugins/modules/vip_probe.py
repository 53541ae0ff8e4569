#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vip_probe
short_description: See which hosts of the segment hold virtual IPs, or measure a VIP switch, from a director
version_added: 1.0.0
description:
  - With O(mode=holders), reports for each VIP whether this host has it and which other hosts of the segment answer
    ARP for it (IPv4; three rounds of who-has requests, 0.3 s each). IPv6 VIPs are only checked locally.
  - With O(mode=release) or O(mode=acquire), runs O(trigger) (for example C(systemctl stop keepalived)) and measures,
    on this host's clock, the seconds until every VIP has left this host and another host answers ARP for it
    (C(release)), or until every VIP is an address of this host (C(acquire)).
  - Used by the operator playbooks C(rolling_update.yml) and C(failover_drill.yml).
author:
  - lvs.cluster contributors (@lvs-cluster)
requirements:
  - Linux with C(ip) (iproute2); CAP_NET_RAW for the ARP requests (run as root, O(ignore:become=true)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: V(holders) only reads and runs in check mode; V(release) and V(acquire) do not run O(trigger) in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  mode:
    description:
      - V(holders) reads who holds each VIP; V(release) and V(acquire) run O(trigger) and measure the switch.
    type: str
    choices: [holders, release, acquire]
    default: holders
  interface:
    description: Interface of the VIPs' segment; the ARP requests leave through it.
    type: str
    required: true
  vips:
    description: The virtual IP addresses (IPv4 or IPv6).
    type: list
    elements: str
    required: true
  source:
    description:
      - IPv4 sender address of the ARP requests, normally this host's own address on O(interface).
      - Unset, or an IPv6 address, sends RFC 5227 probes (sender 0.0.0.0), which every host answers too.
    type: str
  timeout:
    description: Seconds the switch may take (V(release), V(acquire)); the VIPs still not moved are then reported missing.
    type: float
    default: 30
  trigger:
    description:
      - Command that makes the switch happen, as an argument list (run directly, never through a shell).
      - Its first element, when not an absolute path, is searched in E(PATH) and then in O(trigger_dirs).
    type: list
    elements: str
  trigger_dirs:
    description: Directories searched for the program of O(trigger) after E(PATH), e.g. C(/usr/share/heartbeat).
    type: list
    elements: path
    default: []
seealso:
  - module: lvs.cluster.ipvs_info
'''

EXAMPLES = r'''
- name: Wait until exactly one host of the segment answers ARP for each VIP
  lvs.cluster.vip_probe:
    interface: eth0
    source: 203.0.113.11
    vips: [203.0.113.100, 2001:db8::100]
  register: holders
  until: holders.ok
  retries: 15
  delay: 1
  become: true

- name: Stop keepalived and measure until the backup answers for every VIP
  lvs.cluster.vip_probe:
    mode: release
    interface: eth0
    source: 203.0.113.11
    vips: [203.0.113.100]
    timeout: 60
    trigger: [systemctl, stop, keepalived]
  become: true

- name: Take the VIPs back with heartbeat (hb_takeover lives outside PATH)
  lvs.cluster.vip_probe:
    mode: acquire
    interface: eth0
    vips: [203.0.113.100]
    trigger: [hb_takeover, all]
    trigger_dirs: [/usr/share/heartbeat, /usr/lib64/heartbeat, /usr/lib/heartbeat]
  become: true
'''

RETURN = r'''
mode:
  description: The O(mode) that ran.
  returned: always
  type: str
  sample: holders
vips:
  description:
    - V(holders) - for each VIP, whether this host holds it (C(local)), the MACs of the other hosts that answered ARP
      for it (C(remote)), their number (C(count)) and whether the segment could be asked (C(checked), false for IPv6).
    - V(release), V(acquire) - for each VIP that moved, the seconds from the start of the run (before O(trigger)).
  returned: always
  type: dict
  sample: {"203.0.113.100": {"local": true, "remote": [], "count": 1, "checked": true}}
ok:
  description: V(holders) - every IPv4 VIP has exactly one holder on the segment.
  returned: O(mode=holders)
  type: bool
  sample: true
seconds:
  description: Seconds until the last VIP moved (null when none moved).
  returned: O(mode=release) or O(mode=acquire), not in check mode
  type: float
  sample: 1.42
missing:
  description: VIPs that had not moved when O(timeout) ran out.
  returned: O(mode=release) or O(mode=acquire), not in check mode
  type: list
  elements: str
  sample: []
trigger_rc:
  description: Exit status of O(trigger).
  returned: O(trigger) ran
  type: int
  sample: 0
trigger_output:
  description: The last 2,000 characters of O(trigger)'s standard output and error.
  returned: O(trigger) ran
  type: str
  sample: ""
trigger_seconds:
  description: Seconds O(trigger) took.
  returned: O(trigger) ran
  type: float
  sample: 0.21
'''

import ipaddress
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.lvs.cluster.plugins.module_utils._vip_probe import (
    ArpAsker, holders, holders_ok, is_ipv4, local_addresses, wait_switch,
)


ARGUMENT_SPEC = dict(
    mode=dict(type='str', default='holders', choices=['holders', 'release', 'acquire']),
    interface=dict(type='str', required=True),
    vips=dict(type='list', elements='str', required=True),
    source=dict(type='str'),
    timeout=dict(type='float', default=30),
    trigger=dict(type='list', elements='str'),
    trigger_dirs=dict(type='list', elements='path', default=[]),
)


def _vips(module):
    out = []
    for raw in module.params['vips']:
        try:
            out.append(str(ipaddress.ip_address(to_text(raw).strip())))
        except ValueError:
            module.fail_json(msg='vips: %r is not an IP address' % (raw,))
    if not out:
        module.fail_json(msg='vips: give at least one VIP')
    return out


def _trigger(module):
    argv = module.params['trigger']
    if not argv:
        return None
    program = argv[0]
    if not os.path.isabs(program):
        found = module.get_bin_path(program, opt_dirs=module.params['trigger_dirs'])
        if found is None:
            module.fail_json(msg='trigger: %s is neither in PATH nor in %s' % (program, ', '.join(module.params['trigger_dirs']) or 'trigger_dirs'))
        program = found
    return [program] + list(argv[1:])


def run(module):
    p = module.params
    vips = _vips(module)
    if not os.path.isdir('/sys/class/net/%s' % p['interface']):
        module.fail_json(msg='interface %s does not exist on this host' % p['interface'])
    if p['source'] is not None:
        try:
            ipaddress.ip_address(to_text(p['source']))
        except ValueError:
            module.fail_json(msg='source: %r is not an IP address' % (p['source'],))
    ip = module.get_bin_path('ip', required=True)

    def read_local():
        rc, out, err = module.run_command([ip, '-o', 'addr', 'show'])
        if rc != 0:
            module.fail_json(msg='ip -o addr show failed (rc %d): %s' % (rc, err.strip()))
        return local_addresses(out)

    result = dict(changed=False, mode=p['mode'], vips={})
    trigger = _trigger(module)
    if p['mode'] != 'holders' and module.check_mode:
        result['changed'] = trigger is not None
        result['msg'] = 'check mode: %s not run, nothing measured' % ('trigger' if trigger else 'switch')
        return result
    asker = None
    try:
        # acquiring only reads this host's addresses: no ARP
        if p['mode'] != 'acquire' and any(is_ipv4(v) for v in vips):
            try:
                asker = ArpAsker(p['interface'], p['source'])
            except (OSError, ValueError) as exc:
                module.fail_json(msg='cannot send ARP requests on %s: %s (run as root)' % (p['interface'], to_text(exc)))
        ask = asker.ask if asker is not None else None
        if p['mode'] == 'holders':
            result['vips'] = holders(vips, read_local(), ask)
            result['ok'] = holders_ok(result['vips'])
            return result
        start = time.monotonic()
        if trigger is not None:
            result['changed'] = True
            rc, out, err = module.run_command(trigger)
            result.update(trigger_rc=rc, trigger_output=(out + err).strip()[-2000:],
                          trigger_seconds=round(time.monotonic() - start, 3))
            if rc != 0:
                result['msg'] = '%s failed (rc %d)' % (' '.join(trigger), rc)
                module.fail_json(**result)
        done_at, missing = wait_switch(p['mode'], vips, read_local, ask, p['timeout'], start=start)
    finally:
        if asker is not None:
            asker.close()
    result.update(vips=done_at, missing=missing, seconds=max(done_at.values()) if done_at else None)
    if missing:
        where = 'on this host' if p['mode'] == 'acquire' else 'answered by another host'
        result['msg'] = '%s not %s within %s s' % (', '.join(missing), where, p['timeout'])
        module.fail_json(**result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    module.exit_json(**run(module))


if __name__ == '__main__':
    main()
