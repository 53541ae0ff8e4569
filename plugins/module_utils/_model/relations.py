# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Relations across the whole inventory: what no single value, and often no single cluster, can see on its own.

Every rule here reads the resolved clusters (after each value passed its grammar) and costs one pass over the
services and real servers: addresses are indexed in dictionaries, never compared pairwise.

* an address has one owner: a VIP (or a NAT inside VIP, or a sorry server) is never a director's or a real server's own
  address, and a sorry server is not the VIP it stands in for;
* VIP ownership is unique on an L2 segment: two clusters on one segment never claim the same VIP (both would answer ARP
  for it, and two VRRP instances would fight over it), and a VIP:port:protocol is served by one cluster only;
* the data path is possible: IPVS direct routing and NAT keep the address family of the packet, so their real servers
  have the VIP's family (only tunnelling can cross families, and only from kernel 3.18);
* a real server is reached by one address per service; every ``lvs_weights`` key names a service the host serves;
* every host in ``lvs_realservers`` serves some service: otherwise its directors' group is not under ``lvs_directors``
  (or its group is not named by any cluster) and the real-server role would take the removal path on it;
* with the inventory's group tree (``Model(group_tree=...)``): a group that sets ``lvs_backend`` sits under
  ``lvs_directors``, and no host is in two groups that set different ``lvs_cluster_name`` values (Ansible would keep one
  of them in silence).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.lvs.cluster.plugins.module_utils._model.words import DIRECTORS_GROUP, REALSERVERS_GROUP


def _family(address):
    try:
        return ipaddress.ip_address(address).version
    except ValueError:
        return None


class _Scoped(object):
    """Adds problems to the checker with the cluster they belong to (None: the whole inventory)."""

    def __init__(self, chk):
        self.chk = chk

    def error(self, cluster, path, message, fix, host=None):
        before = len(self.chk.problems)
        self.chk.error(path, message, fix, host)
        for problem in self.chk.problems[before:]:
            problem.cluster = cluster


def check(model, chk):
    """Record every relation problem of the resolved inventory ``model`` in ``chk``."""
    out = _Scoped(chk)
    _own_addresses(model, out)
    _vip_ownership(model, out)
    _families(model, out)
    _realserver_keys(model, out)
    _unused_realservers(model, out)
    _group_tree(model, out)


def _own_addresses(model, out):
    """Host addresses (directors, real servers) against the addresses a cluster floats or forwards to."""
    owner = {}  # address -> description of the host that owns it
    for name in sorted(model.clusters):
        for d in model.clusters[name].get('directors', []):
            if d['address']:
                owner.setdefault(d['address'], 'director %s' % d['host'])
        for svc in model.clusters[name]['virtual_services']:
            for rs in svc.get('real_servers', []):
                if rs['address']:
                    owner.setdefault(rs['address'], 'real server %s' % rs['host'])
    for name in sorted(model.clusters):
        c = model.clusters[name]
        inside = (c.get('nat') or {}).get('inside_vip')
        if inside and inside in owner:
            out.error(name, 'lvs_nat.inside_vip', 'is the own address of %s, so it cannot float between the directors' % owner[inside],
                      'choose a free address on the real servers\' network for the inside VIP')
        for i, svc in enumerate(c['virtual_services']):
            path = 'lvs_virtual_services[%d]' % i
            if svc['vip'] and svc['vip'] in owner:
                out.error(name, path + '.vip', 'is the own address of %s: a VIP must be an address no host owns'
                          % owner[svc['vip']], 'use a dedicated virtual IP address')
            if inside and svc['vip'] == inside:
                out.error(name, path + '.vip', 'equals lvs_nat.inside_vip (the real servers\' gateway)',
                          'use different addresses for the service VIP and the NAT inside VIP')
            sorry = (svc.get('sorry_server') or {}).get('address')
            if sorry and sorry == svc['vip']:
                out.error(name, path + '.sorry_server.address', 'equals the VIP it stands in for: the director would forward to itself',
                          'point sorry_server at a real host that serves the maintenance page')
            seen = {}
            for rs in svc.get('real_servers', []):
                if rs['address'] and rs['address'] in seen:
                    out.error(name, 'hostvars[%s].lvs_address' % rs['host'],
                              'is the same address as real server %s of %s: IPVS keeps one destination per address'
                              % (seen[rs['address']], path), 'give every real server its own address', rs['host'])
                seen.setdefault(rs['address'], rs['host'])


def _vip_ownership(model, out):
    """One owner per VIP on an L2 segment, one cluster per VIP:port:protocol, one keepalived VRID per segment."""
    vip_owner = {}  # (segment, address) -> cluster
    endpoint_owner = {}  # (segment, vip, port, protocol) -> (cluster, path)
    vrid_owner = {}  # (segment, vrid) -> cluster
    for name in sorted(model.clusters):
        c = model.clusters[name]
        segment = c['l2_segment']
        floating = set(s['vip'] for s in c['virtual_services'] if s['vip'])
        inside = (c.get('nat') or {}).get('inside_vip')
        if inside:
            floating.add(inside)
        for address in sorted(floating):
            other = vip_owner.setdefault((segment, address), name)
            if other != name:
                out.error(None, 'lvs_virtual_services', 'VIP %s is claimed by clusters %s and %s on L2 segment %r: both would answer '
                          'ARP for it and fight over it' % (address, other, name, segment),
                          'give each cluster its own VIPs, or set lvs_l2_segment if the clusters are on different segments')
        for i, svc in enumerate(c['virtual_services']):
            if svc['port'] is None or not svc['vip']:
                continue
            key = (segment, svc['vip'], svc['port'], svc['protocol'])
            first = endpoint_owner.setdefault(key, (name, i))
            if first[0] != name:
                out.error(None, 'lvs_virtual_services[%d]' % i, '%s:%s/%s of cluster %s is also lvs_virtual_services[%d] of cluster %s'
                          % (svc['vip'], svc['port'], svc['protocol'], name, first[1], first[0]),
                          'serve each VIP:port:protocol from one cluster only')
        if c['backend'] == 'keepalived' and c['keepalived']['vrid'] is not None:
            key = (segment, c['keepalived']['vrid'])
            other = vrid_owner.setdefault(key, name)
            if other != name:
                out.error(None, 'lvs_keepalived.vrid', 'VRID %s is used by clusters %s and %s on L2 segment %r'
                          % (key[1], other, name, segment),
                          'give each keepalived cluster on a segment its own VRID, or set lvs_l2_segment if they are on '
                          'different segments')


def _families(model, out):
    """IPVS DR and NAT keep the packet's address family: their real servers have the VIP's family."""
    for name in sorted(model.clusters):
        c = model.clusters[name]
        for i, svc in enumerate(c['virtual_services']):
            if svc['forwarding'] == 'tun' or not svc['vip']:
                continue
            for rs in svc.get('real_servers', []):
                if rs['address'] and _family(rs['address']) != svc['family']:
                    out.error(name, 'hostvars[%s].lvs_address' % rs['host'],
                              'is an IPv%s address but lvs_virtual_services[%d] (%s) has an IPv%d VIP: %s forwarding cannot '
                              'change the address family' % (_family(rs['address']), i, svc['name'], svc['family'],
                                                             svc['forwarding'].upper()),
                              'give the real server an address of the VIP\'s family (lvs_address), or use forwarding: tun',
                              rs['host'])
        inside = (c.get('nat') or {}).get('inside_vip')
        if inside:
            for i, svc in enumerate(c['virtual_services']):
                if svc['forwarding'] != 'nat':
                    continue
                for rs in svc.get('real_servers', []):
                    if rs['address'] and _family(rs['address']) != _family(inside):
                        out.error(name, 'lvs_nat.inside_vip', 'is IPv%s but real server %s of lvs_virtual_services[%d] is IPv%s: '
                                  'it cannot be that server\'s gateway' % (_family(inside), rs['host'], i, _family(rs['address'])),
                                  'use an inside VIP of the real servers\' address family')


def _realserver_keys(model, out):
    """Every key of a real server's lvs_weights names a service that host serves."""
    served = {}  # host -> set of service names, over every cluster
    clusters_of = {}
    for name in sorted(model.clusters):
        for svc in model.clusters[name]['virtual_services']:
            for rs in svc.get('real_servers', []):
                served.setdefault(rs['host'], set()).add(svc['name'])
                clusters_of.setdefault(rs['host'], set()).add(name)
    for host in sorted(served):
        weights = model._hv(host).get('lvs_weights')
        if not isinstance(weights, dict):
            continue
        for key in sorted(weights, key=str):
            if key not in served[host]:
                cluster = sorted(clusters_of[host])[0] if len(clusters_of[host]) == 1 else None
                out.error(cluster, 'hostvars[%s].lvs_weights.%s' % (host, key),
                          'names no service this host serves (it serves %s), so the weight would be ignored'
                          % ', '.join(sorted(served[host])),
                          'use one of the service names %s, or remove the key' % ', '.join(sorted(served[host])), host)


def _unused_realservers(model, out):
    """A host in lvs_realservers that no service of any cluster uses would have its VIPs and ARP settings removed."""
    if not model.clusters:
        return
    used = set()
    for c in model.clusters.values():
        for svc in c['virtual_services']:
            used.update(rs['host'] for rs in svc.get('real_servers', []))
    directors = set(model.groups.get(DIRECTORS_GROUP, []))
    for host in model.groups.get(REALSERVERS_GROUP, []):
        if host in used or host in directors:
            continue
        out.error(None, 'hostvars[%s]' % host,
                  'is in %s but no service of any cluster uses it (clusters: %s), so lvs.cluster.site would remove its VIPs and ARP '
                  'settings' % (REALSERVERS_GROUP, ', '.join(sorted(model.clusters))),
                  'put its directors\' group under %s and name its group in lvs_realserver_group (or a service\'s '
                  'real_server_group), or take it out of %s' % (DIRECTORS_GROUP, REALSERVERS_GROUP), host)


def _ancestors(tree, group):
    seen, todo = set(), [group]
    while todo:
        for parent in tree.get(todo.pop(), {}).get('parents', []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _group_tree(model, out):
    """Director groups outside lvs_directors; hosts in two clusters' groups."""
    tree = model.group_tree
    if not tree:
        return
    for group in sorted(tree):
        info = tree[group]
        if info.get('backend') is not None and group != DIRECTORS_GROUP and DIRECTORS_GROUP not in _ancestors(tree, group):
            out.error(None, 'groups.%s' % group, 'sets lvs_backend but is not a child group of %s, so its hosts are no directors and '
                      'its real servers would take the removal path' % DIRECTORS_GROUP,
                      'make %s a child of %s in the inventory (children: {%s: ...})' % (group, DIRECTORS_GROUP, group))
    directors = set(model.groups.get(DIRECTORS_GROUP, []))
    names_of = {}  # director -> {cluster name -> [groups]}: one pass over the members of the groups that name a cluster
    for group in sorted(tree):
        name = tree[group].get('cluster_name')
        if name is None:
            continue
        for host in model.groups.get(group, []):
            if host in directors:
                names_of.setdefault(host, {}).setdefault(name, []).append(group)
    for host in sorted(names_of):
        names = names_of[host]
        if len(names) > 1:
            out.error(None, 'groups', 'host %s is in groups of several clusters (%s); Ansible keeps one lvs_cluster_name and drops '
                      'the others in silence' % (host, '; '.join('%s: %s' % (n, ', '.join(g)) for n, g in sorted(names.items()))),
                      'put each director in the group of one cluster only', host)
