# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real servers: the check of their own variables and the view the realserver_dr role prints.

What reaches a real server's files (and, through the lvs-realserver script, its commands): the interface facing the
directors (sysctl keys), the DR and TUN VIPs (``realserver.conf``), the NAT gateways (compared with the routes).
Every one of them is checked here on the controller, then handed to the role as final data.

Cost: one index host -> services is built once per model (``index``) and cached on the model object, so the check
and every host's view cost the size of that host's entries, not the size of the inventory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import IFNAME, safe
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import REALSERVERS_GROUP

INTERFACE_VAR = 'lvs_realserver_interface'
DEFAULT_INTERFACE = 'eth0'
# Interface values that set the ARP sysctls on ``all`` only (no per-interface line).
ALL_ONLY_INTERFACES = ('lo', 'all')
# The role's sysctl knobs (realserver_dr_arp_ignore, _arp_announce, _tun_rp_filter): default and allowed values,
# as in roles/realserver_dr/meta/argument_specs.yml.
SETTINGS = {
    'arp_ignore': (1, (1, 2, 3, 8)),
    'arp_announce': (2, (1, 2)),
    'tun_rp_filter': (0, (0, 2)),
}
TUN_DEVICE = 'tunl0'
# Host routes only: a VIP on lo with a shorter prefix black-holes the whole subnet.
HOST_PREFIX = {4: 32, 6: 128}
_INDEX_ATTR = '_realserver_index'


def index(model):
    """host -> list of (cluster name, service index, service, the host's real-server entry in it), built once per
    model: every real server of every service is visited once. Clusters in name order, services in their order.
    Cached on ``model`` (its clusters are final once built).
    """
    idx = getattr(model, _INDEX_ATTR, None)
    if idx is None:
        idx = {}
        for name in sorted(model.clusters):
            for i, svc in enumerate(model.clusters[name]['virtual_services']):
                seen = set()
                for rs in svc.get('real_servers', ()):
                    if rs['host'] not in seen:
                        seen.add(rs['host'])
                        idx.setdefault(rs['host'], []).append((name, i, svc, rs))
        setattr(model, _INDEX_ATTR, idx)
    return idx


def services_of(model, host):
    """The (cluster name, service index, service, real-server entry) tuples of ``host``."""
    return index(model).get(host, [])


def clusters_of(model, host):
    """Names of the clusters ``host`` is a real server of (sorted)."""
    return sorted(set(entry[0] for entry in services_of(model, host)))


def _address_problem(value):
    """Why an address the model resolved cannot be printed in a real server's files (or None).

    ipaddress accepts IPv6 scope ids (``fe80::1%eth0``) with any text after the ``%``: never a VIP or a gateway."""
    if value is not None and '%' in value:
        return 'has an IPv6 zone index ("%%..."), which no VIP, gateway or real-server address can carry (got %r)' % (safe(value),)
    return None


def check(model, chk):
    """Check what reaches the real servers' files and commands, for every host that is a real server of a service
    or a member of lvs_realservers. Problems name ``hostvars[<host>].<var>`` (or the service's variable) and a fix;
    they belong to the host's first cluster (inventory-wide for a host that serves nothing)."""
    idx = index(model)
    hosts = set(idx)
    hosts.update(model.groups.get(REALSERVERS_GROUP) or ())
    for host in sorted(hosts):
        entries = idx.get(host, [])
        mark = len(chk.problems)
        _check_host(model, chk, host, entries)
        owner = entries[0][0] if entries else None
        for problem in chk.problems[mark:]:
            problem.cluster = owner
    _check_served_values(model, chk, idx)


def _check_host(model, chk, host, entries):
    hv = model._hv(host)
    path = 'hostvars[%s]' % host
    interface_of(chk, hv, host)
    if not entries and host not in model.host_cluster and hv.get('lvs_address') is not None:
        # A member of lvs_realservers that serves nothing yet: its lvs_address must still be an address.
        addr = chk.ip(hv['lvs_address'], path + '.lvs_address', 'set lvs_address to the IP address of the real server', host)
        reason = _address_problem(str(addr)) if addr is not None else None
        if reason:
            chk.error(path + '.lvs_address', reason, 'set lvs_address to the real server\'s address without "%..."', host)
    if entries:
        # the same resolved address in every service of the host
        reason = _address_problem(entries[0][3]['address'])
        if reason:
            chk.error(path + '.lvs_address', reason, 'set lvs_address to the real server\'s address without "%..."', host)


def interface_of(chk, hv, host):
    """The checked lvs_realserver_interface of a host (default eth0), or None after recording the problem."""
    path = 'hostvars[%s].%s' % (host, INTERFACE_VAR)
    value = hv.get(INTERFACE_VAR, DEFAULT_INTERFACE)
    if value in ALL_ONLY_INTERFACES:
        return value
    fix = ('name the real server\'s interface that faces the directors, 1-15 letters, digits, "_", "." or "-" '
           '(e.g. eth0, ens3, bond0.100); lo or all set the ARP sysctls on all only')
    if value == 'default':
        chk.error(path, 'names net.ipv4.conf.default, the template for interfaces created later, not an interface', fix, host)
        return None
    if isinstance(value, str) and ':' in value and IFNAME.check(value.split(':', 1)[0]) is None:
        chk.error(path, 'is an interface alias (%r): aliases have no sysctls of their own' % (safe(value),),
                  'name the base interface, e.g. %s' % value.split(':', 1)[0], host)
        return None
    return chk.text(value, path, IFNAME, host=host, fix=fix)


def _check_served_values(model, chk, idx):
    """The VIPs and NAT gateways of the services that have real servers: printed into realserver.conf or compared
    with the real servers' routes. Checked once per service, not once per real server."""
    done = set()
    for entries in idx.values():
        for name, i, svc, _rs in entries:
            if (name, i) in done:
                continue
            done.add((name, i))
            mark = len(chk.problems)
            path = 'lvs_virtual_services[%d]' % i
            if svc['forwarding'] in ('dr', 'tun'):
                reason = _address_problem(svc['vip'])
                if reason:
                    chk.error(path + '.vip', reason, 'write the VIP as a plain address, e.g. 203.0.113.100 or 2001:db8::100')
            elif svc['forwarding'] == 'nat':
                reason = _address_problem(model.clusters[name]['nat'].get('inside_vip'))
                if reason:
                    chk.error('lvs_nat.inside_vip', reason, 'write the inside VIP as a plain address, e.g. 198.51.100.1')
            for problem in chk.problems[mark:]:
                problem.cluster = name


def _settings(settings):
    out = {}
    for key, (default, choices) in SETTINGS.items():
        value = (settings or {}).get(key)
        value = default if value is None else value
        if isinstance(value, bool) or value not in choices:
            raise ValueError('realserver setting %s must be one of %s, got %r' % (key, ', '.join(map(str, choices)), value))
        out[key] = int(value)
    unknown = set(settings or {}) - set(SETTINGS)
    if unknown:
        raise ValueError('unknown realserver settings: %s' % ', '.join(sorted(unknown)))
    return out


def sysctl_key(interface, name):
    """The sysctl.d key of net.ipv4.conf.<interface>.<name>: dots inside the interface name (VLANs, eth0.100) are
    written as "/", the sysctl.d and sysctl(8) convention when the first separator is a dot."""
    return 'net.ipv4.conf.%s.%s' % (interface.replace('.', '/'), name)


def view(model, host, settings=None):
    """The real-server view of ``host``: plain data the realserver_dr role and its script only print.

    ``settings`` overrides the role's sysctl knobs (see SETTINGS). Keys:
    ``interface``, ``sysctl_interfaces`` (where the ARP sysctls are set), ``sysctls`` (``[{key, setting, value}]`` in
    the order they are applied: ``value`` is final for ``settings``; ``setting`` names the knob, so that the role,
    whose knobs are per-host role variables the controller's once-per-run model cannot see, prints its own
    ``realserver_dr_<setting>``), ``dr_vips`` / ``tun_vips`` ("addr/prefix", de-duplicated; a TUN VIP that is also a DR VIP
    lives on lo only), ``tun`` (ipip and tunl0 needed), ``holds_vips``, ``nat_gateways``, ``forwarding``, ``vips``
    (one entry per distinct VIP and method) and ``address``.
    """
    knobs = _settings(settings)
    hv = model._hv(host)
    vips, seen, fwd, gws = [], set(), set(), []
    dr_vips, tun_vips, dr_seen, tun_seen = [], [], set(), set()
    entries = services_of(model, host)
    address = entries[0][3]['address'] if entries else None
    for name, _i, svc, _rs in entries:
        fwd.add(svc['forwarding'])
        if svc['forwarding'] == 'nat':
            gw = model.clusters[name]['nat'].get('inside_vip')
            if gw and gw not in gws:
                gws.append(gw)
            continue
        if svc['vip'] is None:
            continue
        prefix = HOST_PREFIX[svc['family']]
        key = (svc['vip'], prefix, svc['family'], svc['forwarding'])
        if key not in seen:
            seen.add(key)
            vips.append({'vip': svc['vip'], 'prefix': prefix, 'family': svc['family'], 'forwarding': svc['forwarding']})
        cidr = '%s/%d' % (svc['vip'], prefix)
        if svc['forwarding'] == 'dr' and cidr not in dr_seen:
            dr_seen.add(cidr)
            dr_vips.append(cidr)
        elif svc['forwarding'] == 'tun' and cidr not in tun_seen:
            tun_seen.add(cidr)
            tun_vips.append(cidr)
    tun_vips = [cidr for cidr in tun_vips if cidr not in dr_seen]
    tun = 'tun' in fwd
    interface = hv.get(INTERFACE_VAR, DEFAULT_INTERFACE)
    if interface not in ALL_ONLY_INTERFACES and (interface == 'default' or IFNAME.check(interface) is not None):
        if vips or gws:
            # check() refuses it first (cluster_model fails before any view): a view is never made of unchecked values
            raise ValueError('%s of %s was not checked: %r' % (INTERFACE_VAR, host, safe(interface)))
        interface = None  # not a real server: nothing of this view is printed
    interfaces = ['all'] + ([interface] if interface is not None and interface not in ALL_ONLY_INTERFACES else [])
    lines = []
    for ifname in interfaces:
        lines += [(ifname, 'arp_ignore', 'arp_ignore'), (ifname, 'arp_announce', 'arp_announce')]
    if tun:
        # decapsulated packets arrive on tunl0 with the VIP as destination: reverse-path filtering would drop them
        lines += [('all', 'rp_filter', 'tun_rp_filter'), (TUN_DEVICE, 'rp_filter', 'tun_rp_filter')]
    sysctls = [{'key': sysctl_key(ifname, name), 'setting': setting, 'value': knobs[setting]} for ifname, name, setting in lines]
    return {'host': host, 'address': address, 'interface': interface, 'sysctl_interfaces': interfaces, 'sysctls': sysctls,
            'vips': vips, 'dr_vips': dr_vips, 'tun_vips': tun_vips, 'tun': tun, 'holds_vips': bool(vips),
            'forwarding': sorted(fwd), 'nat_gateways': gws}
