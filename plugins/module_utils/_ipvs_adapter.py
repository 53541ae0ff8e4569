# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""From the model's virtual services (the `cluster.virtual_services` of lvs.cluster.cluster_model) to the IPVS
table: the `services` argument of lvs.cluster.ipvs, and the rows of lvs.cluster.ipvs_info that a real server has.

One place for the correspondence (identity of a service, family names, real-server ports of fwmark services,
drain = weight 0); the filters of plugins/filter/ipvs_adapter.py expose it to the operator playbooks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.lvs.cluster.plugins.module_utils._vip_probe import local_addresses

FAMILY_NAMES = {4: 'ipv4', 6: 'ipv6'}
STATES = ('drained', 'enabled')
_SWITCH = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}


class AdapterError(ValueError):
    pass


def _family(vs):
    try:
        return FAMILY_NAMES[int(vs.get('family') or 4)]
    except (KeyError, ValueError, TypeError):
        raise AdapterError('service %s: family must be 4 or 6, got %r' % (vs.get('name'), vs.get('family')))


def _addr(address):
    """The canonical text of an address (the form the kernel, ipvs_info and `ip` print)."""
    try:
        return str(ipaddress.ip_address(str(address)))
    except ValueError:
        raise AdapterError('%r is not an IP address' % (address,))


def service_identity(vs):
    """What identifies a model service in the ipvs module: protocol/address/port, or fwmark/family."""
    if vs.get('fwmark'):
        return {'fwmark': int(vs['fwmark']), 'family': _family(vs)}
    return {'protocol': vs.get('protocol') or 'tcp', 'address': _addr(vs['vip']), 'port': int(vs['port'])}


def service_key(entry):
    """A key equal for a model service and the ipvs_info service it is programmed as."""
    if entry.get('fwmark'):
        fam = entry.get('family')
        fam = FAMILY_NAMES.get(fam, fam) if isinstance(fam, int) else (fam or 'ipv4')
        return ('fwmark', fam, int(entry['fwmark']))
    address = entry['vip'] if 'vip' in entry else entry['address']
    return (entry.get('protocol') or 'tcp', _addr(address), int(entry['port']))


def service_spec(vs):
    """The service as ipvsadm (and ipvs_info's `spec`) writes it: -t 203.0.113.100:80, -f 10 -6."""
    ident = service_identity(vs)
    if 'fwmark' in ident:
        return '-f %d%s' % (ident['fwmark'], ' -6' if ident['family'] == 'ipv6' else '')
    addr = ident['address']
    return '%s %s' % (_SWITCH[ident['protocol']], ('[%s]:%d' if ':' in addr else '%s:%d') % (addr, ident['port']))


def _rs_port(vs, rs):
    # fwmark services have no port; the kernel keeps 0 for their real servers unless one is given
    port = rs.get('port')
    return int(port) if port else (0 if vs.get('fwmark') else int(vs['port']))


def ipvs_services(virtual_services, real_servers=True):
    """The model's services as the `services` argument of lvs.cluster.ipvs (the table the model describes)."""
    out = []
    for vs in virtual_services:
        svc = service_identity(vs)
        svc['scheduler'] = vs.get('scheduler') or 'wlc'
        timeout = int(vs.get('persistence_timeout') or 0)
        svc['persistence_timeout'] = timeout
        if timeout and vs.get('persistence_netmask') and _family(vs) == 'ipv4':
            svc['persistence_netmask'] = str(vs['persistence_netmask'])
        if real_servers:
            svc['real_servers'] = [{'address': _addr(rs['address']), 'port': _rs_port(vs, rs), 'weight': int(rs['weight']),
                                    'forwarding': vs.get('forwarding') or 'dr'}
                                   for rs in vs.get('real_servers') or []]
        out.append(svc)
    return out


def realserver_targets(virtual_services, host, names=None, weight=None):
    """One row per service of `virtual_services` that lists the real server `host` (only the services named in
    `names`, when given): the service's name, spec and identity, the real server's address, port and weight
    (`weight` instead of the model's when given)."""
    names = list(names or [])
    rows = []
    for vs in virtual_services:
        if names and vs.get('name') not in names:
            continue
        for rs in vs.get('real_servers') or []:
            if rs.get('host') != host:
                continue
            rows.append({'name': vs.get('name'), 'spec': service_spec(vs), 'service': service_identity(vs),
                         'key': list(service_key(vs)), 'vip': _addr(vs['vip']), 'fwmark': vs.get('fwmark'),
                         'address': _addr(rs['address']), 'port': _rs_port(vs, rs),
                         'weight': int(rs['weight'] if weight is None else weight)})
    return rows


def _kernel_index(kernel_services):
    return dict((service_key(s), s) for s in kernel_services or [])


def match_kernel(targets, kernel_services):
    """The targets the kernel has, one row per kernel real server (a fwmark service's real server may be there with
    any port), with the kernel's port, weight and active connections before any change."""
    index = _kernel_index(kernel_services)
    found = []
    for t in targets:
        svc = index.get(tuple(t['key']))
        if svc is None:
            continue
        for r in svc.get('real_servers') or []:
            if _addr(r['address']) != t['address'] or (not t['fwmark'] and r['port'] != t['port']):
                continue
            row = dict(t)
            row.update(spec=svc.get('spec', t['spec']), port=r['port'], weight_before=r.get('weight'),
                       active_before=r.get('active_connections'))
            found.append(row)
    return found


def missing_in_kernel(targets, kernel_services):
    """The targets the kernel does not have, as `NAME (SPEC) -> ADDRESS:PORT`."""
    have = set((f['name'], f['address']) for f in match_kernel(targets, kernel_services))
    return ['%s (%s) -> %s' % (t['name'], t['spec'], ('[%s]:%s' if ':' in t['address'] else '%s:%s') % (t['address'], t['port']))
            for t in targets if (t['name'], t['address']) not in have]


def state_services(found, state):
    """The `services` argument of lvs.cluster.ipvs that puts the found real servers in `state`: drained (weight 0,
    connections carry on: the module's drain) or enabled (their target weight). Only these real servers are named:
    the others and the services' settings are left as the kernel has them."""
    if state not in STATES:
        raise AdapterError('state must be one of %s, got %r' % (', '.join(STATES), state))
    by_key, order = {}, []
    for row in found:
        key = tuple(row['key'])
        if key not in by_key:
            svc = dict(row['service'])
            svc['real_servers'] = []
            if state == 'drained':
                svc['drain'] = True
            by_key[key] = svc
            order.append(key)
        rs = {'address': row['address'], 'port': row['port']}
        if state == 'drained':
            rs['state'] = 'absent'
        else:
            rs['weight'] = int(row['weight'])
        by_key[key]['real_servers'].append(rs)
    return [by_key[k] for k in order]


def _kernel_rs(index, row):
    svc = index.get(tuple(row['key'])) or {}
    for r in svc.get('real_servers') or []:
        if _addr(r['address']) == row['address'] and r['port'] == row['port']:
            return r
    return None


def active_connections(found, kernel_services):
    """Active connections the kernel shows now on the found real servers."""
    index = _kernel_index(kernel_services)
    return sum(int((_kernel_rs(index, row) or {}).get('active_connections') or 0) for row in found)


def state_report(found, targets, kernel_services, state):
    """One line per service: drained, the weight and connections before -> in `kernel_services` (read after the drain);
    enabled, the weight before -> the weight set. Services whose real server is not in the kernel (its health check
    removed it) are named as left alone."""
    index = _kernel_index(kernel_services)
    lines = []
    for row in found:
        r = _kernel_rs(index, row) or {}
        if state == 'enabled':
            lines.append('%s (%s): weight %s -> %s' % (row['name'], row['spec'], row['weight_before'], row['weight']))
            continue
        line = '%s (%s): weight %s -> %s' % (row['name'], row['spec'], row['weight_before'], r.get('weight', '?'))
        if state == 'drained':
            line += ', active connections %s -> %s, inactive %s' % (
                row['active_before'], r.get('active_connections', '?'), r.get('inactive_connections', '?'))
        lines.append(line)
    done = set(row['name'] for row in found)
    for t in targets:
        if t['name'] not in done:
            lines.append('%s: %s is not in the IPVS table (health check failing?), %s' % (
                t['name'], t['address'], 'nothing to drain' if state == 'drained' else 'left alone'))
    return lines


def kernel_real_servers(virtual_services, kernel_services):
    """{service name: {real server host: its kernel entry (weight, connections...) or None}}: where each real server of
    the model is in the kernel table (a fwmark service's real server with any port)."""
    index = _kernel_index(kernel_services)
    out = {}
    for vs in virtual_services:
        svc = index.get(service_key(vs)) or {}
        entries = out.setdefault(vs.get('name'), {})
        for rs in vs.get('real_servers') or []:
            addr, port = _addr(rs['address']), _rs_port(vs, rs)
            entries[rs['host']] = next((r for r in svc.get('real_servers') or []
                                        if _addr(r['address']) == addr and (vs.get('fwmark') or r['port'] == port)), None)
    return out


def client_targets(virtual_services):
    """The TCP services with a port, as lvs.cluster.client_probe targets (an HTTP request where the health check is
    http, a TCP connect otherwise)."""
    return [{'address': _addr(vs['vip']), 'port': int(vs['port']),
             'check': 'http' if (vs.get('health_check') or {}).get('type') == 'http' else 'tcp'}
            for vs in virtual_services if vs.get('protocol', 'tcp') == 'tcp' and vs.get('port')]


def vips(virtual_services):
    """The distinct VIPs of the services, in order."""
    out = []
    for vs in virtual_services:
        addr = _addr(vs['vip'])
        if addr not in out:
            out.append(addr)
    return out


def held_vips(virtual_services, ip_output):
    """The VIPs of the services that are addresses of a host, given its `ip -o addr show` output."""
    local = local_addresses(ip_output)
    return [v for v in vips(virtual_services) if v in local]
