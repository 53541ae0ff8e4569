#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs_info
short_description: Read the IPVS table (services, real servers, connection counts, statistics) over netlink
version_added: 1.0.0
description:
  - Returns every IPVS virtual service and real server of the kernel with scheduler, flags, persistence, forwarding, weights,
    thresholds, active/inactive/persistent connection counts and traffic statistics.
  - Reads the kernel's C(IPVS) generic netlink family directly; C(ipvsadm) is neither run nor parsed.
  - Never loads kernel modules; when C(ip_vs) is not loaded it returns RV(ipvs.loaded=false) and no services.
author:
  - lvs.cluster contributors (@lvs-cluster)
requirements:
  - Linux; CAP_NET_ADMIN on the managed host (run as root, O(ignore:become=true)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
seealso:
  - module: lvs.cluster.ipvs
options:
  protocol:
    description: With O(address) and O(port), select one service of this protocol.
    type: str
    choices: [tcp, udp, sctp]
    default: tcp
  address:
    description: Select the service with this virtual address (requires O(port)).
    type: str
  port:
    description: Virtual port of the selected service.
    type: int
  fwmark:
    description: Select the fwmark service with this mark.
    type: int
  family:
    description: Address family of the fwmark service selected with O(fwmark).
    type: str
    choices: [ipv4, ipv6]
    default: ipv4
  stats:
    description: Include traffic statistics (counters and rates).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Read the whole IPVS table
  lvs.cluster.ipvs_info:
  become: true
  register: ipvs

- name: Active connections of one real server
  ansible.builtin.debug:
    msg: >-
      {{ (ipvs.services | selectattr('spec', 'eq', '-t 203.0.113.100:80') | first).real_servers
         | selectattr('address', 'eq', '203.0.113.21') | map(attribute='active_connections') | first }}

- name: One service only, without statistics
  lvs.cluster.ipvs_info:
    address: 203.0.113.100
    port: 80
    stats: false
  become: true
'''

RETURN = r'''
ipvs:
  description: Global IPVS state.
  returned: always
  type: dict
  contains:
    loaded:
      description: Whether the kernel's IPVS is loaded (its netlink family exists).
      type: bool
      sample: true
    version:
      description: IPVS version of the kernel.
      type: str
      sample: 1.2.1
    connection_table_size:
      description: Size of the connection hash table.
      type: int
      sample: 4096
    timeouts:
      description: Connection timeouts in seconds (C(ipvsadm --set)).
      type: dict
      sample: {tcp: 900, tcp_fin: 120, udp: 300}
  sample: {loaded: true, version: 1.2.1, connection_table_size: 4096, timeouts: {tcp: 900, tcp_fin: 120, udp: 300}}
services:
  description: The virtual services, sorted like C(ipvsadm -Ln).
  returned: always
  type: list
  elements: dict
  contains:
    family:
      description: V(ipv4) or V(ipv6).
      type: str
    protocol:
      description: V(tcp), V(udp) or V(sctp); null for fwmark services.
      type: str
    address:
      description: Virtual address; null for fwmark services.
      type: str
    port:
      description: Virtual port; null for fwmark services.
      type: int
    fwmark:
      description: Firewall mark; null for address services.
      type: int
    spec:
      description: The service as C(ipvsadm) arguments (V(-t ADDR:PORT), V(-u ...), V(--sctp-service ...), V(-f MARK [-6])).
      type: str
    scheduler:
      description: Scheduler name.
      type: str
    scheduler_flags:
      description: Scheduler flags by name.
      type: list
      elements: str
    one_packet:
      description: One-packet scheduling.
      type: bool
    persistent:
      description: Whether the service is persistent.
      type: bool
    persistence_timeout:
      description: Persistence timeout in seconds (0 when not persistent).
      type: int
    persistence_netmask:
      description: Persistence granularity, a netmask (IPv4) or prefix length (IPv6).
      type: raw
    persistence_engine:
      description: Persistence engine (for example V(sip)), or null.
      type: str
    flags:
      description: Raw service flags without the kernel-internal C(hashed) bit.
      type: int
    stats:
      description: Counters (C(conns), C(inpkts), C(outpkts), C(inbytes), C(outbytes)) and rates (C(cps), C(inpps), C(outpps), C(inbps), C(outbps)).
      type: dict
      returned: O(stats=true)
    real_servers:
      description: The real servers of the service.
      type: list
      elements: dict
      contains:
        family:
          description: V(ipv4) or V(ipv6).
          type: str
        address:
          description: Real-server address.
          type: str
        port:
          description: Real-server port.
          type: int
        forwarding:
          description: V(dr), V(nat), V(tun) (or V(local), V(bypass)).
          type: str
        weight:
          description: Weight; 0 is quiescent.
          type: int
        u_threshold:
          description: Upper connection threshold (0 = none).
          type: int
        l_threshold:
          description: Lower connection threshold.
          type: int
        tun_type:
          description: Tunnel type (V(tun) forwarding only).
          type: str
        tun_port:
          description: GUE tunnel port (V(tun) forwarding only).
          type: int
        tun_checksum:
          description: Tunnel checksum, V(nocsum), V(csum) or V(remcsum) (V(tun) forwarding only).
          type: str
        active_connections:
          description: Active connections.
          type: int
        inactive_connections:
          description: Inactive connections.
          type: int
        persistent_connections:
          description: Persistence templates pointing to this real server.
          type: int
        stats:
          description: Like the service RV(services[].stats).
          type: dict
          returned: O(stats=true)
  sample:
    - family: ipv4
      protocol: tcp
      address: 203.0.113.100
      port: 80
      fwmark: null
      spec: "-t 203.0.113.100:80"
      scheduler: wrr
      scheduler_flags: []
      one_packet: false
      persistent: false
      persistence_timeout: 0
      persistence_netmask: 255.255.255.255
      persistence_engine: null
      flags: 0
      real_servers:
        - family: ipv4
          address: 203.0.113.21
          port: 80
          forwarding: dr
          weight: 3
          u_threshold: 0
          l_threshold: 0
          active_connections: 12
          inactive_connections: 40
          persistent_connections: 0
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import (
    IPVSError, normalise_service, service_to_result, sort_key_service,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_kernel import open_ipvs


def run(module):
    params = module.params
    selected = None
    if params['address'] is not None or params['fwmark'] is not None:
        selected = normalise_service('service', dict(
            protocol=params['protocol'], address=params['address'], port=params['port'], fwmark=params['fwmark'],
            family=params['family'] if params['fwmark'] is not None else None,
            scheduler=None, scheduler_flags=None, one_packet=None, persistence_timeout=None, persistence_netmask=None,
            real_servers=None, purge_real_servers=False, drain=False, state='present'), validated=True)
    nl, dummy = open_ipvs(module, load=False)
    if nl is None:
        return dict(changed=False, ipvs=dict(loaded=False), services=[])
    with_stats = params['stats']
    try:
        info = nl.get_info()
        info['timeouts'] = nl.get_timeouts()
        info['loaded'] = True
        if selected is not None:
            found = nl.get_service(selected, with_stats)
            table = {found['key']: found} if found else {}
        else:
            table = nl.dump_services(with_stats)
        services = []
        for key in sorted(table, key=sort_key_service):
            svc = table[key]
            svc['dests'] = nl.dump_dests(svc, with_stats)
            services.append(service_to_result(svc))
    finally:
        nl.close()
    return dict(changed=False, ipvs=info, services=services)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            protocol=dict(type='str', default='tcp', choices=['tcp', 'udp', 'sctp']),
            address=dict(type='str'),
            port=dict(type='int'),
            fwmark=dict(type='int'),
            family=dict(type='str', default='ipv4', choices=['ipv4', 'ipv6']),
            stats=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('address', 'fwmark')],
        required_together=[('address', 'port')],
    )
    try:
        result = run(module)
    except IPVSError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
