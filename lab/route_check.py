# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Refuse a lab network that overlaps a route of the host.

The lab's guests sit on a bridge inside a network namespace of their own. A command meant for the lab that runs
outside that namespace by mistake (a forgotten ``labctl exec``) goes wherever the host routes the address: when the
host has a route to a network that overlaps the lab's, that command reaches a real network. labctl runs this check
before it creates anything (``labctl up``, ``start``, ``net``, ``check-net``).

What counts as an overlap: any route of the host (every routing table: ``ip -j -4/-6 route show table all``, or
/proc/net/route and /proc/net/ipv6_route when ``ip`` cannot print JSON) whose destination network overlaps one of
the lab's networks: the same network, a wider one (a VPN route that covers the lab) or a narrower one (a host route,
one of the host's own addresses). What does not count:
  - default routes (prefix length 0): every address matches them, the lab's included, and the lab's addresses are
    documentation ranges that no real network behind a gateway carries;
  - routes that send nothing anywhere: blackhole, unreachable, prohibit, throw (e.g. a bogon filter's routes);
  - broadcast and multicast entries of the local table (an address of the host already shows as a local route).
A split default route (two routes of prefix length 1, as OpenVPN's def1 installs) is not a default route: it covers every
lab network, so the lab does not start on such a host until that VPN is down.

Usage (labctl runs it with python3; standard library only):
  python3 lab/route_check.py --network CIDR [--network CIDR ...] [--setting TEXT] [--routes-json FILE ...] [--verbose]

  --network      a network of the lab (repeat for each segment); host bits must be zero
  --setting      where the lab's address plan is set, named in the message (default: "the lab's address plan")
  --routes-json  check the routes of FILE (the output of ``ip -j route``) instead of this host's; repeatable
  --verbose      say so on stdout when there is no overlap

Exit status: 0 no overlap; 1 overlap (a message on stderr names each overlapping route and the setting to change);
2 bad arguments, or the host's routes could not be read (the lab must not start unchecked).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import collections
import ipaddress
import json
import socket
import struct
import subprocess
import sys

# Route types that forward nothing: an overlap with them sends no packet anywhere.
NON_FORWARDING = frozenset(('blackhole', 'unreachable', 'prohibit', 'throw'))
# Entries of the local table that only repeat what another route says (or cannot overlap a unicast network).
IMPLIED = frozenset(('broadcast', 'multicast'))
# Flags of /proc/net/route and /proc/net/ipv6_route (linux/route.h, linux/ipv6_route.h)
RTF_GATEWAY = 0x0002
RTF_REJECT = 0x0200

Route = collections.namedtuple('Route', 'network type gateway dev table text')


class RouteError(Exception):
    """The host's routes could not be read or understood."""


def _network(dst, family=None):
    """The network of a route destination as ``ip`` prints it: 'default', 'A.B.C.D/N', a bare address (host route)."""
    if dst in ('default', 'any'):
        return ipaddress.ip_network('::/0' if family == 6 else '0.0.0.0/0')
    return ipaddress.ip_network(dst, strict=False)


def describe(entry):
    """One route of ``ip -j route`` as ``ip route`` prints it (what the user will recognise)."""
    words = []
    if entry.get('type') and entry['type'] != 'unicast':
        words.append(entry['type'])
    words.append(str(entry.get('dst', '?')))
    for key, word in (('gateway', 'via'), ('dev', 'dev'), ('protocol', 'proto'), ('scope', 'scope'),
                      ('prefsrc', 'src'), ('metric', 'metric')):
        if entry.get(key) not in (None, ''):
            words += [word, str(entry[key])]
    words += ['table', str(entry.get('table') or 'main')]
    return ' '.join(words)


def parse_ip_json(entries, family=None):
    """Routes from the JSON of ``ip -j [-4|-6] route show [table all]`` (a list of objects).

    family: 4 or 6 when the listing was asked for one family (it tells what 'default' means); None: guessed from
    the gateway or the other fields, IPv4 when nothing says.
    """
    if not isinstance(entries, list):
        raise RouteError('expected a JSON list of routes, got %s' % type(entries).__name__)
    routes = []
    for entry in entries:
        if not isinstance(entry, dict) or 'dst' not in entry:
            raise RouteError('not a route of `ip -j route`: %r' % (entry,))
        fam = family
        if fam is None:
            hint = str(entry.get('gateway') or entry.get('prefsrc') or entry.get('dst'))
            fam = 6 if ':' in hint else 4
        try:
            network = _network(str(entry['dst']), fam)
        except ValueError as e:
            raise RouteError('route %r: %s' % (describe(entry), e)) from e
        routes.append(Route(network, entry.get('type') or 'unicast', entry.get('gateway'), entry.get('dev'),
                            entry.get('table') or 'main', describe(entry)))
    return routes


def _hex_ipv4(word):
    # /proc/net/route prints the address as the host's integer of the network-order bytes: pack it back the same way.
    return socket.inet_ntoa(struct.pack('=I', int(word, 16)))


def parse_proc_route(text):
    """Routes from /proc/net/route (IPv4, main table)."""
    routes = []
    lines = text.splitlines()
    for line in lines[1:]:
        f = line.split()
        if not f:
            continue
        if len(f) < 8:
            raise RouteError('/proc/net/route: short line %r' % line)
        dev, dst, gw, flags, mask = f[0], _hex_ipv4(f[1]), _hex_ipv4(f[2]), int(f[3], 16), _hex_ipv4(f[7])
        network = ipaddress.ip_network('%s/%s' % (dst, mask), strict=False)
        rtype = 'unreachable' if flags & RTF_REJECT else 'unicast'
        gateway = gw if flags & RTF_GATEWAY else None
        text_ = '%s%s%s dev %s (/proc/net/route)' % ('unreachable ' if rtype != 'unicast' else '',
                                                     'default' if network.prefixlen == 0 else network,
                                                     ' via %s' % gateway if gateway else '', dev)
        routes.append(Route(network, rtype, gateway, dev, 'main', text_))
    return routes


def parse_proc_ipv6_route(text):
    """Routes from /proc/net/ipv6_route (IPv6, every table)."""
    routes = []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if len(f) < 10:
            raise RouteError('/proc/net/ipv6_route: short line %r' % line)
        dst = ipaddress.IPv6Address(bytes.fromhex(f[0]))
        network = ipaddress.ip_network('%s/%d' % (dst, int(f[1], 16)), strict=False)
        nexthop = ipaddress.IPv6Address(bytes.fromhex(f[4]))
        flags, dev = int(f[8], 16), f[9]
        rtype = 'unreachable' if flags & RTF_REJECT else 'unicast'
        gateway = str(nexthop) if flags & RTF_GATEWAY else None
        text_ = '%s%s%s dev %s (/proc/net/ipv6_route)' % ('unreachable ' if rtype != 'unicast' else '',
                                                          'default' if network.prefixlen == 0 else network,
                                                          ' via %s' % gateway if gateway else '', dev)
        routes.append(Route(network, rtype, gateway, dev, None, text_))
    return routes


def host_routes(ip_command='ip', proc='/proc'):
    """Every route of this host's network namespace, IPv4 and IPv6.

    ``ip -j`` first (every table); when it is missing or too old for JSON, /proc/net/route and /proc/net/ipv6_route.
    Raises RouteError when neither can be read.
    """
    routes, errors = [], []
    for family in (4, 6):
        try:
            out = subprocess.run([ip_command, '-j', '-%d' % family, 'route', 'show', 'table', 'all'],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True).stdout
            routes += parse_ip_json(json.loads(out or '[]'), family)
            continue
        except (OSError, subprocess.CalledProcessError, ValueError, RouteError) as e:
            errors.append('%s -j -%d route: %s' % (ip_command, family, e))
        path, parse = ('%s/net/route' % proc, parse_proc_route) if family == 4 else ('%s/net/ipv6_route' % proc, parse_proc_ipv6_route)
        try:
            with open(path) as f:
                routes += parse(f.read())
        except FileNotFoundError:
            if family == 6:
                continue  # a kernel without IPv6 has no IPv6 route
            raise RouteError('cannot read the IPv4 routes of this host (%s; no %s)' % ('; '.join(errors), path)) from None
        except (OSError, ValueError, RouteError) as e:
            raise RouteError('cannot read the IPv%d routes of this host (%s; %s: %s)' % (family, '; '.join(errors), path, e)) from e
    return routes


def counts(route):
    """Does this route count as a place where the lab's addresses could really go?"""
    return route.network.prefixlen > 0 and route.type not in NON_FORWARDING and route.type not in IMPLIED


def overlaps(lab_networks, routes):
    """[(lab network, route)] for every route that counts and overlaps a lab network of the same family."""
    found = []
    for lab in lab_networks:
        for route in routes:
            if route.network.version == lab.version and counts(route) and lab.overlaps(route.network):
                found.append((lab, route))
    return found


def message(found, setting):
    """The refusal: each overlapping route, why it matters, what to change."""
    labs = []
    for lab, _route in found:
        if lab not in labs:
            labs.append(lab)
    lines = ['the lab network%s %s overlap%s routes of this host (outside the lab namespace):'
             % ('s' if len(labs) > 1 else '', ', '.join(str(n) for n in labs), '' if len(labs) > 1 else 's')]
    lines += ['  - %s  (overlaps the lab network %s)' % (route.text, lab) for lab, route in found]
    lines += ['A command meant for the lab that ran outside its namespace would reach this host\'s real network there.',
              'Refusing to start the lab. Move it to a network that no route of this host covers: change %s.' % setting]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='route_check.py', description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--network', action='append', required=True, help='a network of the lab (CIDR)')
    parser.add_argument('--setting', default="the lab's address plan", help='where the lab networks are set')
    parser.add_argument('--routes-json', action='append', default=[], help='routes to check (`ip -j route` output)')
    parser.add_argument('--verbose', action='store_true')
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code in (0, None) else 2
    try:
        labs = [ipaddress.ip_network(n) for n in args.network]
    except ValueError as e:
        print('route_check.py: --network: %s (a network in CIDR form, host bits zero: 203.0.113.0/24)' % e, file=sys.stderr)
        return 2
    try:
        if args.routes_json:
            routes = []
            for path in args.routes_json:
                with open(path) as f:
                    routes += parse_ip_json(json.load(f))
        else:
            routes = host_routes()
    except (OSError, ValueError, RouteError) as e:
        print('route_check.py: cannot check the lab networks against the host routes: %s' % e, file=sys.stderr)
        return 2
    found = overlaps(labs, routes)
    if found:
        print(message(found, args.setting), file=sys.stderr)
        return 1
    if args.verbose:
        print('lab network%s %s: none of the %d routes of this host overlaps'
              % ('s' if len(labs) > 1 else '', ', '.join(str(n) for n in labs), len(routes)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
