#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs
short_description: Manage IPVS virtual services and their real servers over netlink
version_added: 1.0.0
description:
  - Manages the Linux IP Virtual Server (IPVS) table through the kernel's C(IPVS) generic netlink family,
    the interface C(ipvsadm) uses, without running or parsing C(ipvsadm).
  - A service is identified by O(protocol), O(address) and O(port), or by O(fwmark) and O(family).
  - Single-service form (O(address)/O(port) or O(fwmark) at the top level) or bulk form (O(services)).
    The bulk form converges a whole table in one run - one read of the kernel table, one comparison,
    and only the netlink requests the differences need, sent pipelined.
  - Options left unset keep what the kernel has for an existing entry; new entries get the
    C(ipvsadm) defaults (scheduler C(wlc), forwarding C(dr), weight 1, no persistence, no thresholds).
  - Loads the C(ip_vs) kernel module and the C(ip_vs_<scheduler>) modules it needs with C(modprobe) when missing
    (not in check mode).
author:
  - lvs.cluster contributors (@lvs-cluster)
requirements:
  - Linux with IPVS (C(CONFIG_IP_VS)); the module speaks generic netlink itself, no Python library or C(ipvsadm) is needed.
  - CAP_NET_ADMIN on the managed host (run as root, O(ignore:become=true)).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The diff is the table of the services in scope rendered like C(ipvsadm-save -n), before and after.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - The real-server port defaults to the virtual port (0 for fwmark services). With C(dr) and C(tun) forwarding it must equal
    the virtual port, as C(ipvsadm) enforces.
  - Persistence timeout and netmask are compared only for persistent services; the kernel ignores them otherwise.
  - Changing the identity of a service (protocol, address, port, fwmark, family) is a new service; remove the old one with
    O(state=absent) or O(purge_services).
  - The network namespace managed is the one of the Ansible process on the managed host.
  - With more than 100 entries in O(services), the result's C(invocation.module_args.services) only gives their number
    instead of echoing the whole list back.
seealso:
  - module: lvs.cluster.ipvs_info
  - name: ipvsadm(8)
    description: The command-line tool for the same kernel table.
    link: https://man7.org/linux/man-pages/man8/ipvsadm.8.html
options:
  protocol:
    description:
      - Protocol of the virtual service (single-service form). Ignored for fwmark services.
    type: str
    choices: [tcp, udp, sctp]
    default: tcp
  address:
    description:
      - Virtual IPv4 or IPv6 address (single-service form). Requires O(port). Mutually exclusive with O(fwmark).
    type: str
  port:
    description:
      - Virtual port, 0-65535 (0 only for persistent services that accept every port).
    type: int
  fwmark:
    description:
      - Firewall mark (1-4294967295) of a fwmark service, instead of O(address) and O(port).
    type: int
  family:
    description:
      - Address family of a fwmark service. For address services it is taken from O(address) and, when given, must match.
      - Defaults to V(ipv4) for fwmark services.
    type: str
    choices: [ipv4, ipv6]
  scheduler:
    description:
      - Scheduling algorithm. New services default to V(wlc); unset keeps the current one.
      - The kernel module C(ip_vs_<scheduler>) is loaded when missing.
    type: str
    choices: [rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos]
  scheduler_flags:
    description:
      - Scheduler flags (C(ipvsadm -b)). V(sh-fallback)/V(sh-port) need the V(sh) scheduler, V(mh-fallback)/V(mh-port) the V(mh) scheduler.
      - An empty list clears them; unset keeps the current ones.
    type: list
    elements: str
    choices: [flag-1, flag-2, flag-3, mh-fallback, mh-port, sh-fallback, sh-port]
  one_packet:
    description:
      - One-packet scheduling (C(ipvsadm -o)) for UDP and fwmark services. Unset keeps the current setting.
    type: bool
  persistence_timeout:
    description:
      - Persistence timeout in seconds (C(ipvsadm -p)); V(0) turns persistence off. Unset keeps the current setting
        (no persistence for a new service).
    type: int
  persistence_netmask:
    description:
      - Persistence granularity (C(ipvsadm -M)). IPv4 accepts a dotted netmask or a prefix length, IPv6 a prefix length.
      - Defaults to a single client address (V(255.255.255.255), V(128)) for a new service.
    type: str
  real_servers:
    description:
      - Real servers of the service. Unset leaves the real servers alone.
      - Real servers of the kernel that are not listed are kept unless O(purge_real_servers=true).
    type: list
    elements: dict
    suboptions:
      address:
        description: IPv4 or IPv6 address of the real server (of the service's family unless O(real_servers[].forwarding=tun)).
        type: str
        required: true
      port:
        description: Port of the real server; defaults to the virtual port (0 for fwmark services).
        type: int
      weight:
        description:
          - Weight, 0-2147483647. 0 is quiescent (no new connections). New real servers default to 1; unset keeps the current weight.
        type: int
      forwarding:
        description:
          - Forwarding method - direct routing, NAT (masquerading) or IP tunnel. New real servers default to V(dr).
        type: str
        choices: [dr, nat, tun]
      u_threshold:
        description: Upper connection threshold (C(ipvsadm -x)); 0 is no limit.
        type: int
      l_threshold:
        description: Lower connection threshold (C(ipvsadm -y)); must not exceed O(real_servers[].u_threshold).
        type: int
      tun_type:
        description: Tunnel type for V(tun) forwarding (kernel 5.2 or later for V(gue) and V(gre)).
        type: str
        choices: [ipip, gue, gre]
      tun_port:
        description: Destination UDP port of V(gue) tunnels.
        type: int
      tun_checksum:
        description:
          - Checksum of V(gue) and V(gre) tunnels (C(ipvsadm --tun-nocsum), C(--tun-csum), C(--tun-remcsum)).
            New tunnels default to V(nocsum).
        type: str
        choices: [nocsum, csum, remcsum]
      state:
        description:
          - V(absent) removes this real server (or sets its weight to 0 when O(drain=true)).
        type: str
        choices: [present, absent]
        default: present
  purge_real_servers:
    description:
      - Remove the real servers of the kernel that O(real_servers) does not list (set their weight to 0 with O(drain=true)).
      - With O(real_servers) unset, removes every real server.
    type: bool
    default: false
  drain:
    description:
      - Instead of removing real servers (O(purge_real_servers), O(real_servers[].state=absent)), set their weight to 0
        so that established connections finish. Cannot be combined with O(state=absent).
    type: bool
    default: false
  state:
    description:
      - V(absent) removes the service and its real servers.
    type: str
    choices: [present, absent]
    default: present
  services:
    description:
      - Bulk form, a list of services, each with the options of the single-service form
        (O(protocol), O(address), O(port), O(fwmark), O(family), O(scheduler), O(scheduler_flags), O(one_packet),
        O(persistence_timeout), O(persistence_netmask), O(real_servers), O(purge_real_servers), O(drain), O(state)) with
        the same meaning and defaults.
      - Mutually exclusive with the single-service options.
    type: list
    elements: dict
  purge_services:
    description:
      - Remove every service of the kernel table that is not listed (the single service, or O(services)).
    type: bool
    default: false
  load_modules:
    description:
      - Load C(ip_vs) and the scheduler modules with C(modprobe) when they are missing.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: A DR web service with two real servers
  lvs.cluster.ipvs:
    address: 203.0.113.100
    port: 80
    scheduler: wrr
    real_servers:
      - address: 203.0.113.21
        weight: 3
      - address: 203.0.113.22
    purge_real_servers: true
  become: true

- name: Persistent HTTPS with NAT real servers on another port
  lvs.cluster.ipvs:
    address: 203.0.113.100
    port: 443
    persistence_timeout: 600
    persistence_netmask: 255.255.255.0
    real_servers:
      - {address: 198.51.100.21, port: 8443, forwarding: nat, u_threshold: 2000, l_threshold: 1500}
  become: true

- name: Drain one real server (weight 0), keep its connections
  lvs.cluster.ipvs:
    address: 203.0.113.100
    port: 80
    real_servers:
      - address: 203.0.113.21
        weight: 0
  become: true

- name: A fwmark service over IPv6
  lvs.cluster.ipvs:
    fwmark: 10
    family: ipv6
    scheduler: sh
    scheduler_flags: [sh-port]
    real_servers:
      - address: 2001:db8::21
  become: true

- name: Converge the whole table in one task, removing everything else
  lvs.cluster.ipvs:
    services: "{{ lvs_ipvs_services }}"
    purge_services: true
  become: true

- name: Remove a service
  lvs.cluster.ipvs:
    protocol: udp
    address: 203.0.113.100
    port: 53
    state: absent
  become: true
'''

RETURN = r'''
changed:
  description: Whether the kernel table was (or in check mode would be) changed.
  returned: always
  type: bool
operations:
  description:
    - The changes made (or, in check mode, that would be made), one per netlink request, written as C(ipvsadm) arguments
      (V(-A)/V(-E)/V(-D) add, edit and delete a service; V(-a)/V(-e)/V(-d) a real server).
  returned: always
  type: list
  elements: str
  sample: ["-A -t 203.0.113.100:80 -s wrr", "-a -t 203.0.113.100:80 -r 203.0.113.21:80 -g -w 3"]
netlink:
  description: Netlink requests made by this run.
  returned: always
  type: dict
  contains:
    reads:
      description: Read requests (service dump or get, one real-server dump per service read).
      type: int
      sample: 2
    changes:
      description: Change requests (NEW/SET/DEL), equal to the length of RV(operations) unless in check mode (0).
      type: int
      sample: 2
  sample: {reads: 2, changes: 2}
service:
  description: The service after the run, in the form of RV(lvs.cluster.ipvs_info#module:services[]). Single-service form only.
  returned: success and single-service form with O(state=present)
  type: dict
  sample:
    family: ipv4
    protocol: tcp
    address: 203.0.113.100
    port: 80
    fwmark: null
    scheduler: wrr
    scheduler_flags: []
    one_packet: false
    persistent: false
    persistence_timeout: 0
    persistence_netmask: 255.255.255.255
    persistence_engine: null
    flags: 0
    spec: "-t 203.0.113.100:80"
    real_servers:
      - {family: ipv4, address: 203.0.113.21, port: 80, forwarding: dr, weight: 3, u_threshold: 0, l_threshold: 0}
modules_loaded:
  description: Kernel modules this run loaded with C(modprobe).
  returned: always
  type: list
  elements: str
  sample: [ip_vs, ip_vs_wrr]
'''

import gc

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import (
    SERVICE_SPEC, IPVSError, normalise_service, normalise_services, plan, render, render_operation,
    service_to_result,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_kernel import (
    open_ipvs, load_schedulers,
)

# Up to this many services are read one by one (GET); more, or purge_services, read the whole table in one dump.
_GET_LIMIT = 16
# Above this many services, invocation.module_args.services is summarised instead of echoed.
_ECHO_LIMIT = 100

SINGLE_OPTIONS = tuple(name for name in SERVICE_SPEC)


def argument_spec():
    spec = {}
    for name, opt in SERVICE_SPEC.items():
        spec[name] = dict((k, v) for k, v in opt.items() if k != 'required')
    spec['services'] = dict(type='list', elements='dict')
    spec['purge_services'] = dict(type='bool', default=False)
    spec['load_modules'] = dict(type='bool', default=True)
    return spec


def desired_state(params):
    if params['services'] is not None:
        given = [name for name in ('address', 'port', 'fwmark', 'family', 'scheduler', 'scheduler_flags', 'one_packet',
                                   'persistence_timeout', 'persistence_netmask', 'real_servers')
                 if params[name] is not None]
        if given:
            raise IPVSError('services cannot be combined with the single-service option%s %s'
                            % ('s' if len(given) > 1 else '', ', '.join(given)))
        return normalise_services(params['services']), False
    if params['address'] is None and params['fwmark'] is None:
        raise IPVSError('one of address (with port), fwmark or services is required')
    single = dict((name, params[name]) for name in SINGLE_OPTIONS)
    return [normalise_service('service', single, validated=True)], True


def read_current(nl, desired, purge_services, want_diff):
    """The part of the kernel table in scope, with real servers where the plan or the diff needs them."""
    if nl is None:
        return {}
    if purge_services or len(desired) > _GET_LIMIT:
        table = nl.dump_services()
        wanted = set(svc['key'] for svc in desired)
        current = {}
        for key, svc in table.items():
            if key in wanted or purge_services:
                current[key] = svc
    else:
        current = {}
        for svc in desired:
            found = nl.get_service(svc)
            if found is not None:
                current[svc['key']] = found
    states = dict((svc['key'], svc['state']) for svc in desired)
    for key, svc in current.items():
        state = states.get(key)
        if state == 'present' or want_diff:
            svc['dests'] = nl.dump_dests(svc)
    return current


def run(module):
    params = module.params
    desired, single = desired_state(params)
    purge_services = params['purge_services']
    loaded = []
    load = params['load_modules'] and not module.check_mode
    need_kernel = purge_services or any(svc['state'] == 'present' for svc in desired)
    nl, did_load = open_ipvs(module, load=load and need_kernel, probe=module.check_mode and need_kernel)
    if did_load:
        loaded.append('ip_vs')
    try:
        current = read_current(nl, desired, purge_services, module._diff)
        ops, after = plan(current, desired, purge_services)
        if ops and not module.check_mode:
            if nl is None:
                raise IPVSError('ip_vs is not loaded and load_modules is false')
            if load:
                scheds = set(op[1]['scheduler'] for op in ops if op[0] in ('add_service', 'set_service'))
                loaded.extend(load_schedulers(module, sorted(scheds)))
            nl.apply(ops, render=render_operation)
        result = dict(
            changed=bool(ops),
            operations=[render_operation(op) for op in ops],
            netlink=dict(reads=nl.requests - nl.changes if nl else 0, changes=nl.changes if nl else 0),
            modules_loaded=loaded,
        )
    finally:
        if nl is not None:
            nl.close()
    if module._diff:
        result['diff'] = dict(before=render(current), after=render(after),
                              before_header='IPVS table (ipvsadm-save -n)', after_header='IPVS table (ipvsadm-save -n)')
    if single and desired[0]['state'] == 'present':
        result['service'] = service_to_result(after[desired[0]['key']])
    if not single and len(params['services']) > _ECHO_LIMIT:
        # Echoing a large table back (invocation.module_args) costs more than converging it
        # (0.45 s for 1,000 x 10 on a fast host, in AnsibleModule's result sanitising and JSON)
        args = dict(params)
        args['services'] = '(%d services, not echoed)' % len(params['services'])
        result['invocation'] = dict(module_args=args)
    return result


def main():
    # A bulk table is ~100,000 containers (AnsibleModule's JSON decoding and two deep copies of the arguments,
    # then ours) in a short-lived process that makes no reference cycles worth collecting: the cyclic garbage
    # collector would only scan them again and again (5% of a 1,000 x 10 no-op run).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        module = AnsibleModule(
            argument_spec=argument_spec(),
            supports_check_mode=True,
            mutually_exclusive=[('address', 'fwmark')],
            required_together=[('address', 'port')],
        )
        try:
            result = run(module)
        except IPVSError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(**result)
    finally:
        if gc_enabled:
            gc.enable()


if __name__ == '__main__':
    main()
