# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the lvs.cluster.ipvs modules (no kernel, no pyroute2).

Everything here is plain data in, plain data out, so that unit tests need no
kernel: validation and normalisation of the module arguments, the desired
state, the comparison with the kernel's table, the ordered plan of netlink
operations and the ``ipvsadm-save -n`` style rendering used for ``--diff``.

Data shapes (all plain dicts):

service  {'key', 'af', 'protocol', 'address', 'port', 'fwmark', 'scheduler',
          'flags', 'timeout', 'netmask', 'pe_name'}
          ``flags`` holds only the user-visible bits (persistent, one-packet,
          scheduler flags); ``netmask`` is a dotted mask (IPv4) or a prefix
          length (IPv6).
dest     {'key', 'af', 'address', 'port', 'forwarding', 'weight',
          'u_threshold', 'l_threshold', 'tun_type', 'tun_port', 'tun_flags'}
operation (kind, service, dest) with kind in add_service, set_service,
          del_service, add_dest, set_dest, del_dest.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

from ansible.module_utils.parsing.convert_bool import boolean

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6

PROTOCOLS = {'tcp': 6, 'udp': 17, 'sctp': 132}
PROTOCOL_NAMES = dict((v, k) for k, v in PROTOCOLS.items())
FAMILIES = {'ipv4': AF_INET, 'ipv6': AF_INET6}
FAMILY_NAMES = {AF_INET: 'ipv4', AF_INET6: 'ipv6'}

# Every scheduler of the Linux kernel (net/netfilter/ipvs/ip_vs_*.c).
SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos')
DEFAULT_SCHEDULER = 'wlc'

# include/uapi/linux/ip_vs.h
F_PERSISTENT = 0x0001
F_HASHED = 0x0002
F_ONEPACKET = 0x0004
F_SCHED1 = 0x0008
F_SCHED2 = 0x0010
F_SCHED3 = 0x0020
F_SCHED_MASK = F_SCHED1 | F_SCHED2 | F_SCHED3
# the bits this module manages (HASHED and anything unknown belong to the kernel)
F_MANAGED = F_PERSISTENT | F_ONEPACKET | F_SCHED_MASK

SCHED_FLAGS = {
    'flag-1': F_SCHED1, 'flag-2': F_SCHED2, 'flag-3': F_SCHED3,
    'sh-fallback': F_SCHED1, 'sh-port': F_SCHED2,
    'mh-fallback': F_SCHED1, 'mh-port': F_SCHED2,
}
# names ipvsadm uses when printing, by scheduler
_SCHED_FLAG_NAMES = {
    'sh': ((F_SCHED1, 'sh-fallback'), (F_SCHED2, 'sh-port'), (F_SCHED3, 'flag-3')),
    'mh': ((F_SCHED1, 'mh-fallback'), (F_SCHED2, 'mh-port'), (F_SCHED3, 'flag-3')),
}
_GENERIC_FLAG_NAMES = ((F_SCHED1, 'flag-1'), (F_SCHED2, 'flag-2'), (F_SCHED3, 'flag-3'))

FORWARDING = {'nat': 0, 'local': 1, 'tun': 2, 'dr': 3, 'bypass': 4}
FORWARDING_NAMES = dict((v, k) for k, v in FORWARDING.items())
_FWD_SWITCH = {'nat': '-m', 'tun': '-i', 'dr': '-g', 'local': '-g', 'bypass': '-g'}

TUN_TYPES = {'ipip': 0, 'gue': 1, 'gre': 2}
TUN_TYPE_NAMES = dict((v, k) for k, v in TUN_TYPES.items())
# IP_VS_TUNNEL_ENCAP_FLAG_*: no bit is "nocsum"
TUN_CHECKSUMS = {'nocsum': 0, 'csum': 0x1, 'remcsum': 0x2}
TUN_CHECKSUM_NAMES = dict((v, k) for k, v in TUN_CHECKSUMS.items())

DEFAULT_PERSISTENCE = 300
MAX_WEIGHT = 2147483647

DEST_DEFAULTS = {'forwarding': 'dr', 'weight': 1, 'u_threshold': 0, 'l_threshold': 0,
                 'tun_type': 'ipip', 'tun_port': 0, 'tun_flags': 0}


class IPVSError(Exception):
    """A problem with the arguments or with the kernel, worded for the user."""


# --------------------------------------------------------------------------
# Option specs: one source for the argument_spec, our own validator and the
# unit test that keeps DOCUMENTATION in step.
# --------------------------------------------------------------------------

REAL_SERVER_SPEC = dict(
    address=dict(type='str', required=True),
    port=dict(type='int'),
    weight=dict(type='int'),
    forwarding=dict(type='str', choices=['dr', 'nat', 'tun']),
    u_threshold=dict(type='int'),
    l_threshold=dict(type='int'),
    tun_type=dict(type='str', choices=['ipip', 'gue', 'gre']),
    tun_port=dict(type='int'),
    tun_checksum=dict(type='str', choices=['nocsum', 'csum', 'remcsum']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)

SERVICE_SPEC = dict(
    protocol=dict(type='str', default='tcp', choices=['tcp', 'udp', 'sctp']),
    address=dict(type='str'),
    port=dict(type='int'),
    fwmark=dict(type='int'),
    family=dict(type='str', choices=['ipv4', 'ipv6']),
    scheduler=dict(type='str', choices=list(SCHEDULERS)),
    scheduler_flags=dict(type='list', elements='str', choices=sorted(SCHED_FLAGS)),
    one_packet=dict(type='bool'),
    persistence_timeout=dict(type='int'),
    persistence_netmask=dict(type='str'),
    real_servers=dict(type='list', elements='dict'),
    purge_real_servers=dict(type='bool', default=False),
    drain=dict(type='bool', default=False),
    state=dict(type='str', default='present', choices=['present', 'absent']),
)


def _check_value(path, value, spec):
    kind = spec.get('type', 'str')
    if value is None:
        return None
    if kind == 'str':
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise IPVSError('%s: expected a string, got %r' % (path, value))
        value = str(value)
    elif kind == 'int':
        if isinstance(value, bool):
            raise IPVSError('%s: expected an integer, got %r' % (path, value))
        if not isinstance(value, int):
            try:
                value = int(str(value).strip(), 10)
            except ValueError:
                raise IPVSError('%s: expected an integer, got %r' % (path, value))
    elif kind == 'bool':
        try:
            value = boolean(value, strict=True)
        except TypeError:
            raise IPVSError('%s: expected a boolean, got %r' % (path, value))
    elif kind == 'list':
        if isinstance(value, str):
            value = [v.strip() for v in value.split(',') if v.strip()]
        if not isinstance(value, list):
            raise IPVSError('%s: expected a list, got %r' % (path, value))
        if spec.get('elements') == 'dict':
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise IPVSError('%s[%d]: expected a dictionary, got %r' % (path, i, item))
        else:
            value = [_check_value('%s[%d]' % (path, i), v, {'type': spec.get('elements', 'str')})
                     for i, v in enumerate(value)]
            choices = spec.get('choices')
            if choices:
                for i, v in enumerate(value):
                    if v not in choices:
                        raise IPVSError('%s[%d]: %r is not one of %s' % (path, i, v, ', '.join(choices)))
        return value
    choices = spec.get('choices')
    if choices and value not in choices:
        raise IPVSError('%s: %r is not one of %s' % (path, value, ', '.join(str(c) for c in choices)))
    return value


_SPEC_CACHE = {}


def _spec_info(spec):
    """(defaults, required names, fast types, choices as sets) of a spec, computed once."""
    info = _SPEC_CACHE.get(id(spec))
    if info is None:
        defaults = dict((name, opt.get('default')) for name, opt in spec.items())
        required = tuple(name for name, opt in spec.items() if opt.get('required'))
        fast = dict((name, {'str': str, 'int': int}.get(opt.get('type', 'str'))) for name, opt in spec.items())
        choices = dict((name, frozenset(opt['choices'])) for name, opt in spec.items()
                       if opt.get('choices') and opt.get('type', 'str') != 'list')
        info = _SPEC_CACHE[id(spec)] = (defaults, required, fast, choices)
    return info


def check_options(path, params, spec):
    """Validate one dict against an option spec; return a new dict with defaults.

    This does for list elements what AnsibleModule does for top-level options;
    we do it ourselves because AnsibleModule's nested validation costs about
    0.2 s per 10,000 real servers, more than the kernel work it precedes.
    """
    if not isinstance(params, dict):
        raise IPVSError('%s: expected a dictionary, got %r' % (path, params))
    defaults, required, fast, choices = _spec_info(spec)
    result = dict(defaults)
    for name, value in params.items():
        if name not in defaults:
            unknown = sorted(n for n in params if n not in defaults)
            raise IPVSError('%s: unsupported option%s %s (supported: %s)' % (
                path, 's' if len(unknown) > 1 else '', ', '.join(unknown), ', '.join(sorted(spec))))
        if value is None:
            continue
        # exact type test on purpose: a bool is an int for isinstance() but not a valid integer option
        if type(value) is not fast[name]:  # pylint: disable=unidiomatic-typecheck
            value = _check_value('%s.%s' % (path, name), value, spec[name])
        allowed = choices.get(name)
        if allowed is not None and value not in allowed:
            raise IPVSError('%s.%s: %r is not one of %s' % (path, name, value, ', '.join(spec[name]['choices'])))
        result[name] = value
    for name in required:
        if result[name] is None:
            raise IPVSError('%s: missing required option %s' % (path, name))
    return result


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

_ADDRESS_CACHE = {}


def parse_address(path, address):
    """Return (family, canonical text) of an IPv4/IPv6 address."""
    cached = _ADDRESS_CACHE.get(address)
    if cached is not None:
        return cached
    result = _parse_address(path, address)
    if len(_ADDRESS_CACHE) < 65536:
        _ADDRESS_CACHE[address] = result
    return result


def _parse_address(path, address):
    text = str(address).strip()
    if text.startswith('[') and text.endswith(']'):
        text = text[1:-1]
    for af in (AF_INET, AF_INET6):
        try:
            return af, socket.inet_ntop(af, socket.inet_pton(af, text))
        except (OSError, ValueError):
            continue
    raise IPVSError('%s: %r is not an IPv4 or IPv6 address (host names are not resolved)' % (path, address))


def _check_range(path, value, low, high):
    if value is not None and not low <= value <= high:
        raise IPVSError('%s: %d is out of range %d..%d' % (path, value, low, high))


def normalise_netmask(path, af, value):
    """Persistence granularity: dotted mask for IPv4, prefix length for IPv6."""
    if value is None:
        return None
    text = str(value).strip()
    if text.startswith('/'):
        text = text[1:]
    if text.isdigit():
        plen = int(text)
        limit = 32 if af == AF_INET else 128
        if not 1 <= plen <= limit:
            raise IPVSError('%s: prefix length %d is out of range 1..%d' % (path, plen, limit))
        if af == AF_INET6:
            return plen
        bits = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        return socket.inet_ntoa(bits.to_bytes(4, 'big'))
    if af == AF_INET6:
        raise IPVSError('%s: IPv6 persistence netmask must be a prefix length 1..128, got %r' % (path, value))
    try:
        raw = socket.inet_aton(text)
    except OSError:
        raise IPVSError('%s: %r is neither a netmask nor a prefix length' % (path, value))
    bits = int.from_bytes(raw, 'big')
    inverted = ~bits & 0xFFFFFFFF
    if bits == 0 or inverted & (inverted + 1):
        raise IPVSError('%s: %r is not a contiguous netmask' % (path, value))
    return socket.inet_ntoa(raw)


def default_netmask(af):
    return '255.255.255.255' if af == AF_INET else 128


def service_key(af, protocol, address, port, fwmark):
    if fwmark:
        return ('fwm', af, fwmark)
    return (protocol, af, address, port)


def dest_key(af, address, port):
    return (af, address, port)


def normalise_real_server(path, params, svc):
    """Build a desired dest from one validated real_servers element."""
    opts = check_options(path, params, REAL_SERVER_SPEC)
    af, address = parse_address(path + '.address', opts['address'])
    forwarding = opts['forwarding']
    port = opts['port']
    if port is not None and not 0 <= port <= 65535:
        _check_range(path + '.port', port, 0, 65535)
    if svc['fwmark']:
        if port is None:
            port = 0
    else:
        if port is None:
            port = svc['port']
        elif port != svc['port'] and forwarding in ('dr', 'tun'):
            raise IPVSError('%s.port: with forwarding %s the real-server port must equal the virtual port %d (got %d)'
                            % (path, forwarding, svc['port'], port))
    if af != svc['af'] and forwarding != 'tun':
        raise IPVSError('%s.address: %s real server %s in an %s service needs forwarding: tun'
                        % (path, FAMILY_NAMES[af], address, FAMILY_NAMES[svc['af']]))
    weight = opts['weight']
    if weight is not None and not 0 <= weight <= MAX_WEIGHT:
        _check_range(path + '.weight', weight, 0, MAX_WEIGHT)
    u_threshold = opts['u_threshold']
    l_threshold = opts['l_threshold']
    if u_threshold is not None or l_threshold is not None:
        _check_range(path + '.u_threshold', u_threshold, 0, 0xFFFFFFFF)
        _check_range(path + '.l_threshold', l_threshold, 0, 0xFFFFFFFF)
        if u_threshold and l_threshold is not None and l_threshold > u_threshold:
            raise IPVSError('%s: l_threshold (%d) must not exceed u_threshold (%d)' % (path, l_threshold, u_threshold))
    if forwarding == 'tun' or opts['tun_type'] is not None or opts['tun_port'] is not None or opts['tun_checksum'] is not None:
        return _normalise_tunnel(path, opts, af, address, port)
    return {
        'key': (af, address, port), 'af': af, 'address': address, 'port': port,
        'forwarding': forwarding, 'weight': weight, 'u_threshold': u_threshold, 'l_threshold': l_threshold,
        'tun_type': None, 'tun_port': None, 'tun_flags': None, 'state': opts['state'],
    }


_PLAIN_REAL_SERVER = frozenset(('address', 'port', 'weight', 'forwarding', 'state'))


def _plain_real_server(item, af, default_port, check_port):
    """The dest of a plain real_servers element, or None when it needs normalise_real_server.

    The fast path of bulk tables (10,000 real servers cost 0.1 s less in a
    TCG lab guest): it accepts only what needs none of the other checks -
    options among address, port, weight, forwarding and state, values of the
    exact type (or None), an address already parsed in this run (of the
    service's family), forwarding dr or nat, values in range, a port the
    forwarding allows. Everything else, every error included, goes through
    normalise_real_server, so the messages are the same. The result equals
    normalise_real_server's (tests/unit checks both on the same inputs).
    """
    if type(item) is not dict or not item.keys() <= _PLAIN_REAL_SERVER:  # pylint: disable=unidiomatic-typecheck
        return None
    get = item.get
    address = get('address')
    if type(address) is not str:  # pylint: disable=unidiomatic-typecheck
        return None
    parsed = _ADDRESS_CACHE.get(address)
    if parsed is None or parsed[0] != af:
        return None
    forwarding = get('forwarding')
    if forwarding is not None and (type(forwarding) is not str or forwarding not in ('dr', 'nat')):  # pylint: disable=unidiomatic-typecheck
        return None
    state = get('state')
    if state is None:
        state = 'present'
    elif type(state) is not str or state not in ('present', 'absent'):  # pylint: disable=unidiomatic-typecheck
        return None
    port = get('port')
    if port is None:
        port = default_port
    elif type(port) is not int or not 0 <= port <= 65535:  # pylint: disable=unidiomatic-typecheck
        return None
    elif check_port and port != default_port and forwarding == 'dr':
        return None
    weight = get('weight')
    if weight is not None and (type(weight) is not int or not 0 <= weight <= MAX_WEIGHT):  # pylint: disable=unidiomatic-typecheck
        return None
    address = parsed[1]
    return {
        'key': (af, address, port), 'af': af, 'address': address, 'port': port,
        'forwarding': forwarding, 'weight': weight, 'u_threshold': None, 'l_threshold': None,
        'tun_type': None, 'tun_port': None, 'tun_flags': None, 'state': state,
    }


def _normalise_tunnel(path, opts, af, address, port):
    forwarding = opts['forwarding']
    _check_range(path + '.tun_port', opts['tun_port'], 0, 65535)
    tun_given = [n for n in ('tun_type', 'tun_port', 'tun_checksum') if opts[n] is not None]
    if tun_given and forwarding != 'tun':
        raise IPVSError('%s: %s only apply with forwarding: tun' % (path, ', '.join(tun_given)))
    if opts['tun_type'] == 'gue' and not opts['tun_port']:
        raise IPVSError('%s: tun_type gue needs tun_port' % path)
    if opts['tun_port'] and opts['tun_type'] != 'gue':
        raise IPVSError('%s: tun_port only applies with tun_type: gue' % path)
    if opts['tun_checksum'] is not None and opts['tun_type'] not in ('gue', 'gre'):
        raise IPVSError('%s: tun_checksum only applies with tun_type: gue or gre' % path)
    tun_flags = None if opts['tun_checksum'] is None else TUN_CHECKSUMS[opts['tun_checksum']]
    return {
        'key': dest_key(af, address, port), 'af': af, 'address': address, 'port': port,
        'forwarding': forwarding, 'weight': opts['weight'],
        'u_threshold': opts['u_threshold'], 'l_threshold': opts['l_threshold'],
        'tun_type': opts['tun_type'], 'tun_port': opts['tun_port'], 'tun_flags': tun_flags,
        'state': opts['state'],
    }


def normalise_service(path, params, validated=False):
    """Build the desired state of one service from its (validated) options.

    Options left unset (None) mean "keep what the kernel has" for an existing
    service and "the kernel/ipvsadm default" for a new one.
    """
    opts = params if validated else check_options(path, params, SERVICE_SPEC)
    fwmark = opts['fwmark']
    family = opts['family']
    if fwmark is not None:
        if opts['address'] is not None or opts['port'] is not None:
            raise IPVSError('%s: give either fwmark or address and port, not both' % path)
        _check_range(path + '.fwmark', fwmark, 1, 0xFFFFFFFF)
        af = FAMILIES[family or 'ipv4']
        address, port, protocol = None, None, None
    else:
        if opts['address'] is None or opts['port'] is None:
            raise IPVSError('%s: a service needs address and port (or fwmark)' % path)
        af, address = parse_address(path + '.address', opts['address'])
        if family is not None and FAMILIES[family] != af:
            raise IPVSError('%s.family: %s does not match address %s' % (path, family, address))
        port = opts['port']
        _check_range(path + '.port', port, 0, 65535)
        protocol = opts['protocol']
    scheduler = opts['scheduler']
    sched_flags = None
    if opts['scheduler_flags'] is not None:
        sched_flags = 0
        for name in opts['scheduler_flags']:
            prefix = name.split('-', 1)[0]
            if prefix in ('sh', 'mh') and scheduler not in (None, prefix):
                raise IPVSError('%s.scheduler_flags: %s needs scheduler %s' % (path, name, prefix))
            sched_flags |= SCHED_FLAGS[name]
    one_packet = opts['one_packet']
    if one_packet and protocol != 'udp' and fwmark is None:
        raise IPVSError('%s.one_packet: one-packet scheduling applies to UDP (or fwmark) services only' % path)
    timeout = opts['persistence_timeout']
    _check_range(path + '.persistence_timeout', timeout, 0, 0xFFFFFFFF)
    netmask = normalise_netmask(path + '.persistence_netmask', af, opts['persistence_netmask'])
    if netmask is not None and timeout == 0:
        raise IPVSError('%s.persistence_netmask: needs persistence (persistence_timeout is 0)' % path)
    state = opts['state']
    if state == 'absent' and opts['drain']:
        raise IPVSError('%s: drain applies to real servers; it cannot be combined with state: absent' % path)
    svc = {
        'key': service_key(af, protocol, address, port, fwmark),
        'af': af, 'protocol': protocol, 'address': address, 'port': port, 'fwmark': fwmark,
        'scheduler': scheduler, 'sched_flags': sched_flags, 'one_packet': one_packet,
        'timeout': timeout, 'netmask': netmask,
        'state': state, 'purge_real_servers': opts['purge_real_servers'], 'drain': opts['drain'],
        'real_servers': None,
    }
    if opts['real_servers'] is not None:
        if state == 'absent':
            raise IPVSError('%s: real_servers cannot be given with state: absent' % path)
        dests = []
        seen = {}
        default_port = 0 if fwmark else port
        for i, item in enumerate(opts['real_servers']):
            dest = _plain_real_server(item, af, default_port, not fwmark)
            if dest is None:
                dest = normalise_real_server('%s.real_servers[%d]' % (path, i), item, svc)
            key = dest['key']
            if key in seen:
                raise IPVSError('%s.real_servers[%d]: real server %s is listed twice (also at %s.real_servers[%d])'
                                % (path, i, format_addr_port(dest['af'], dest['address'], dest['port']), path, seen[key]))
            seen[key] = i
            dests.append(dest)
        svc['real_servers'] = dests
    elif opts['purge_real_servers'] and state == 'present':
        svc['real_servers'] = []
    return svc


def normalise_services(entries, path='services'):
    """Validate and normalise a whole ``services`` list; reject duplicates."""
    result = []
    seen = {}
    for i, item in enumerate(entries):
        spath = '%s[%d]' % (path, i)
        svc = normalise_service(spath, item)
        if svc['key'] in seen:
            raise IPVSError('%s: service %s is listed twice (also at %s)'
                            % (spath, format_service_spec(svc), seen[svc['key']]))
        seen[svc['key']] = spath
        result.append(svc)
    return result


# --------------------------------------------------------------------------
# Desired vs current
# --------------------------------------------------------------------------

def _merged_service(current, desired):
    """The full service the kernel should hold (current values where unset)."""
    af = desired['af']
    if current is None:
        flags = 0
        timeout = desired['timeout'] or 0
        netmask = desired['netmask'] if desired['netmask'] is not None else default_netmask(af)
        scheduler = desired['scheduler'] or DEFAULT_SCHEDULER
    else:
        flags = current['flags'] & F_MANAGED
        timeout = current['timeout'] if flags & F_PERSISTENT else 0
        netmask = current['netmask']
        scheduler = desired['scheduler'] or current['scheduler']
        if desired['timeout'] is not None:
            timeout = desired['timeout']
        if desired['netmask'] is not None:
            netmask = desired['netmask']
    if timeout:
        flags |= F_PERSISTENT
    else:
        flags &= ~F_PERSISTENT
    if desired['sched_flags'] is not None:
        flags = (flags & ~F_SCHED_MASK) | desired['sched_flags']
    if desired['one_packet'] is not None:
        flags = (flags | F_ONEPACKET) if desired['one_packet'] else (flags & ~F_ONEPACKET)
    return {
        'key': desired['key'], 'af': af, 'protocol': desired['protocol'], 'address': desired['address'],
        'port': desired['port'], 'fwmark': desired['fwmark'], 'scheduler': scheduler, 'flags': flags,
        'timeout': timeout, 'netmask': netmask,
        'pe_name': current.get('pe_name') if current else None,
    }


def service_differs(current, target):
    """Compare the attributes the kernel lets us set (timeout/netmask only matter when persistent)."""
    if current['scheduler'] != target['scheduler']:
        return True
    if (current['flags'] & F_MANAGED) != (target['flags'] & F_MANAGED):
        return True
    if target['flags'] & F_PERSISTENT:
        if current['timeout'] != target['timeout'] or current['netmask'] != target['netmask']:
            return True
    return False


def _merged_dest(current, desired, weight=None):
    target = dict(current) if current is not None else dict(DEST_DEFAULTS)
    for name in ('forwarding', 'weight', 'u_threshold', 'l_threshold', 'tun_type', 'tun_port', 'tun_flags'):
        value = desired.get(name)
        if value is not None:
            target[name] = value
    if weight is not None:
        target['weight'] = weight
    target['key'] = desired['key']
    target['af'] = desired['af']
    target['address'] = desired['address']
    target['port'] = desired['port']
    if current is not None and desired.get('forwarding') not in (None, 'tun') and current.get('forwarding') == 'tun':
        # leaving tunnel mode: tunnel settings no longer matter, reset them like ipvsadm would
        target['tun_type'], target['tun_port'], target['tun_flags'] = 'ipip', 0, 0
    return target


_DEST_COMPARED = ('forwarding', 'weight', 'u_threshold', 'l_threshold')
_TUN_COMPARED = ('tun_type', 'tun_port', 'tun_flags')


def dest_differs(current, target):
    for name in _DEST_COMPARED:
        if current.get(name) != target.get(name):
            return True
    if target.get('forwarding') == 'tun':
        for name in _TUN_COMPARED:
            if current.get(name, DEST_DEFAULTS[name]) != target.get(name, DEST_DEFAULTS[name]):
                return True
    return False


def _dest_unchanged(current, desired):
    """Fast test for the common case (no tunnel settings involved): nothing to change."""
    value = desired['weight']
    if value is not None and value != current['weight']:
        return False
    value = desired['forwarding']
    if value is not None and value != current['forwarding']:
        return False
    if value == 'tun' or desired['tun_type'] is not None or desired['tun_port'] is not None or desired['tun_flags'] is not None:
        return not dest_differs(current, _merged_dest(current, desired))
    value = desired['u_threshold']
    if value is not None and value != current['u_threshold']:
        return False
    value = desired['l_threshold']
    if value is not None and value != current['l_threshold']:
        return False
    return True


def plan(current, desired, purge_services=False):
    """Compute the netlink operations that turn ``current`` into ``desired``.

    current: dict service key -> service dict with a 'dests' entry
             (dict dest key -> dest) for every service whose real servers
             the plan needs (services with real_servers or purge).
    desired: list of normalised services (see normalise_service).
    Returns (operations, after) where ``after`` maps every service key in
    scope to its predicted service dict (with 'dests') or None when removed.
    """
    ops = []
    after = {}
    wanted = set(svc['key'] for svc in desired)
    if purge_services:
        for key in sorted(current, key=sort_key_service):
            if key not in wanted:
                ops.append(('del_service', current[key], None))
                after[key] = None
    for svc in desired:
        key = svc['key']
        cur = current.get(key)
        if svc['state'] == 'absent':
            if cur is not None:
                ops.append(('del_service', cur, None))
            after[key] = None
            continue
        target = _merged_service(cur, svc)
        if cur is None:
            ops.append(('add_service', target, None))
            cur_dests = {}
        else:
            if service_differs(cur, target):
                ops.append(('set_service', target, None))
            cur_dests = cur.get('dests')
            if cur_dests is None:
                cur_dests = {}
        new_dests = dict(cur_dests)
        if svc['real_servers'] is not None:
            listed = set()
            dels, sets, adds = [], [], []
            for d in svc['real_servers']:
                dk = d['key']
                listed.add(dk)
                cd = cur_dests.get(dk)
                if cd is not None and d['state'] == 'present':
                    # the common no-op case inline (plain options only), else _dest_unchanged
                    value = d['weight']
                    if value is None or value == cd['weight']:
                        value = d['forwarding']
                        if ((value is None or (value == cd['forwarding'] and value != 'tun'))
                                and d['u_threshold'] is None and d['l_threshold'] is None and d['tun_type'] is None
                                and d['tun_port'] is None and d['tun_flags'] is None):
                            continue
                if d['state'] == 'absent':
                    if cd is None:
                        continue
                    if svc['drain']:
                        td = _merged_dest(cd, {'key': cd['key'], 'af': cd['af'], 'address': cd['address'],
                                               'port': cd['port']}, weight=0)
                        if dest_differs(cd, td):
                            sets.append(td)
                            new_dests[d['key']] = td
                    else:
                        dels.append(cd)
                        new_dests.pop(d['key'], None)
                    continue
                if cd is not None and _dest_unchanged(cd, d):
                    continue
                td = _merged_dest(cd, d)
                if cd is None:
                    adds.append(td)
                    new_dests[d['key']] = td
                elif dest_differs(cd, td):
                    sets.append(td)
                    new_dests[d['key']] = td
            if svc['purge_real_servers']:
                unlisted = [dk for dk in cur_dests if dk not in listed]
                for dk in sorted(unlisted, key=sort_key_dest):
                    cd = cur_dests[dk]
                    if svc['drain']:
                        if cd['weight'] != 0:
                            td = dict(cd)
                            td['weight'] = 0
                            sets.append(td)
                            new_dests[dk] = td
                    else:
                        dels.append(cd)
                        new_dests.pop(dk, None)
            # deletions first: they free slots (e.g. a real server moving to another port)
            ops.extend(('del_dest', target, d) for d in dels)
            ops.extend(('set_dest', target, d) for d in sets)
            ops.extend(('add_dest', target, d) for d in adds)
        result = dict(target)
        result['dests'] = new_dests
        after[key] = result
    return ops, after


# --------------------------------------------------------------------------
# Rendering (ipvsadm-save -n style)
# --------------------------------------------------------------------------

def sort_key_service(key):
    if key[0] == 'fwm':
        return (1, key[1], key[2], '', 0)
    return (0, key[1], PROTOCOLS.get(key[0], 0), _addr_sort(key[1], key[2]), key[3])


def _addr_sort(af, address):
    try:
        return socket.inet_pton(af, address)
    except (OSError, ValueError, TypeError):
        return b''


def sort_key_dest(key):
    return (key[0], _addr_sort(key[0], key[1]), key[2])


def format_addr_port(af, address, port):
    if af == AF_INET6:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


def format_service_spec(svc):
    if svc['fwmark']:
        return '-f %d%s' % (svc['fwmark'], ' -6' if svc['af'] == AF_INET6 else '')
    switch = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}[svc['protocol']]
    return '%s %s' % (switch, format_addr_port(svc['af'], svc['address'], svc['port']))


def sched_flag_names(scheduler, flags):
    table = _SCHED_FLAG_NAMES.get(scheduler, _GENERIC_FLAG_NAMES)
    return [name for bit, name in table if flags & bit]


def render_service(svc):
    # option order of ipvsadm-save (ipvsadm 1.31)
    line = '-A %s -s %s' % (format_service_spec(svc), svc['scheduler'])
    flags = svc['flags']
    if flags & F_PERSISTENT:
        line += ' -p %d' % svc['timeout']
        if svc['netmask'] != default_netmask(svc['af']):
            line += ' -M %s' % svc['netmask']
    if svc.get('pe_name'):
        line += ' --pe %s' % svc['pe_name']
    if flags & F_ONEPACKET:
        line += ' -o'
    names = sched_flag_names(svc['scheduler'], flags)
    if names:
        line += ' -b %s' % ','.join(names)
    return line


def render_dest(svc, dest):
    line = '-a %s -r %s %s -w %d' % (format_service_spec(svc), format_addr_port(dest['af'], dest['address'], dest['port']),
                                     _FWD_SWITCH.get(dest['forwarding'], '-g'), dest['weight'])
    if dest.get('u_threshold'):
        line += ' -x %d' % dest['u_threshold']
    if dest.get('l_threshold'):
        line += ' -y %d' % dest['l_threshold']
    if dest['forwarding'] == 'tun':
        # as ipvsadm-save prints it (which leaves the thresholds out)
        tun_type = dest.get('tun_type') or 'ipip'
        line += ' --tun-type %s' % tun_type
        if tun_type == 'gue':
            line += ' --tun-port %d' % (dest.get('tun_port') or 0)
        if tun_type in ('gue', 'gre'):
            line += ' --tun-%s' % tun_checksum_name(dest.get('tun_flags') or 0)
    return line


def tun_checksum_name(flags):
    if flags & TUN_CHECKSUMS['remcsum']:
        return 'remcsum'
    if flags & TUN_CHECKSUMS['csum']:
        return 'csum'
    return 'nocsum'


def render(services):
    """Render {key: service-with-dests or None} as ipvsadm-save -n text (sorted)."""
    lines = []
    for key in sorted(services, key=sort_key_service):
        svc = services[key]
        if svc is None:
            continue
        lines.append(render_service(svc))
        dests = svc.get('dests') or {}
        for dk in sorted(dests, key=sort_key_dest):
            lines.append(render_dest(svc, dests[dk]))
    return ''.join(line + '\n' for line in lines)


def render_operation(op):
    """One operation as the equivalent ipvsadm command line arguments."""
    kind, svc, dest = op
    if kind == 'add_service':
        return render_service(svc)
    if kind == 'set_service':
        return '-E' + render_service(svc)[2:]
    if kind == 'del_service':
        return '-D %s' % format_service_spec(svc)
    if kind == 'add_dest':
        return render_dest(svc, dest)
    if kind == 'set_dest':
        return '-e' + render_dest(svc, dest)[2:]
    if kind == 'del_dest':
        return '-d %s -r %s' % (format_service_spec(svc), format_addr_port(dest['af'], dest['address'], dest['port']))
    raise ValueError(kind)


# --------------------------------------------------------------------------
# Presentation for ipvs_info / module results
# --------------------------------------------------------------------------

def service_to_result(svc):
    flags = svc['flags']
    result = {
        'family': FAMILY_NAMES.get(svc['af'], str(svc['af'])),
        'protocol': svc['protocol'],
        'address': svc['address'],
        'port': svc['port'],
        'fwmark': svc['fwmark'],
        'scheduler': svc['scheduler'],
        'scheduler_flags': sched_flag_names(svc['scheduler'], flags),
        'one_packet': bool(flags & F_ONEPACKET),
        'persistent': bool(flags & F_PERSISTENT),
        'persistence_timeout': svc['timeout'] if flags & F_PERSISTENT else 0,
        'persistence_netmask': svc['netmask'],
        'persistence_engine': svc.get('pe_name'),
        'flags': flags,
        'spec': format_service_spec(svc),
    }
    if 'stats' in svc:
        result['stats'] = svc['stats']
    dests = svc.get('dests')
    if dests is not None:
        result['real_servers'] = [dest_to_result(dests[k]) for k in sorted(dests, key=sort_key_dest)]
    return result


def dest_to_result(dest):
    result = {
        'family': FAMILY_NAMES.get(dest['af'], str(dest['af'])),
        'address': dest['address'],
        'port': dest['port'],
        'forwarding': dest['forwarding'],
        'weight': dest['weight'],
        'u_threshold': dest.get('u_threshold', 0),
        'l_threshold': dest.get('l_threshold', 0),
    }
    if dest['forwarding'] == 'tun':
        result['tun_type'] = dest.get('tun_type') or 'ipip'
        result['tun_port'] = dest.get('tun_port') or 0
        result['tun_checksum'] = tun_checksum_name(dest.get('tun_flags') or 0)
    for name in ('active_connections', 'inactive_connections', 'persistent_connections', 'stats'):
        if name in dest:
            result[name] = dest[name]
    return result
