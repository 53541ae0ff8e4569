# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Words and limits of the lvs.cluster model: names, enumerations and numeric limits, each defined once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

DIRECTORS_GROUP = 'lvs_directors'
REALSERVERS_GROUP = 'lvs_realservers'
BACKENDS = ('keepalived', 'heartbeat_ldirectord', 'piranha')

ALL_SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')
SCHEDULERS = {
    'keepalived': ALL_SCHEDULERS,
    # ldirectord hands the scheduler to ipvsadm unchanged: every kernel scheduler works.
    'heartbeat_ldirectord': ALL_SCHEDULERS,
    # piranha's lvsd only knows these (lvsconfig.c).
    'piranha': ('lc', 'rr', 'wlc', 'wrr', 'lblc', 'lblcr', 'dh', 'sh'),
}
CHECK_TYPES = ('tcp', 'http', 'https', 'misc', 'dns', 'smtp', 'ping', 'none')
BACKEND_CHECKS = {
    'keepalived': CHECK_TYPES,
    'heartbeat_ldirectord': CHECK_TYPES,
    'piranha': ('tcp', 'http', 'misc'),
}
BACKEND_PROTOCOLS = {
    'keepalived': ('tcp', 'udp', 'sctp'),
    'heartbeat_ldirectord': ('tcp', 'udp'),
    'piranha': ('tcp', 'udp'),
}
FORWARDING = ('dr', 'nat', 'tun')
PROTOCOLS = ('tcp', 'udp', 'sctp')
# Longest persistence the kernel API takes (ipvsadm and keepalived refuse more: 31 days).
PERSISTENCE_MAX = 2678400
DNS_TYPES = ('A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT')

NAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
CLUSTER_RE = re.compile(r'^[a-z0-9_-]{1,32}$')
IFACE_RE = re.compile(r'^[A-Za-z0-9_.:@-]{1,15}$')

HEALTH_DEFAULTS = {
    'type': 'tcp',
    'port': None,
    'path': '/',
    'status_code': 200,
    'digest': None,
    'host': None,
    'expect': None,
    'send': None,
    'timeout': 3,
    'retry': 3,
    'delay_before_retry': 1,
    'interval': 6,
    'misc_path': None,
    'dns_name': None,
    'dns_type': 'A',
    'helo_name': 'lvs.invalid',
}
SERVICE_KEYS = ('name', 'vip', 'vip_prefix', 'port', 'fwmark', 'protocol', 'scheduler', 'forwarding',
                'persistence_timeout', 'persistence_netmask', 'real_server_port', 'real_server_group',
                'sorry_server', 'quorum', 'hysteresis', 'health_check')
CLUSTER_VARS = ('lvs_backend', 'lvs_cluster_name', 'lvs_interface', 'lvs_l2_segment', 'lvs_realserver_group',
                'lvs_virtual_services', 'lvs_notification_email', 'lvs_notification_email_from', 'lvs_smtp_server',
                'lvs_sync_daemon', 'lvs_sync_id', 'lvs_timeouts', 'lvs_nat', 'lvs_firewall',
                'lvs_keepalived', 'lvs_heartbeat', 'lvs_ldirectord', 'lvs_piranha')
HOST_VARS = ('lvs_address', 'lvs_director_role', 'lvs_priority', 'lvs_node_name', 'lvs_weight', 'lvs_weights',
             'lvs_realserver_interface', 'ansible_host')
# Every variable this model reads; plugins copy only these out of hostvars.
READ_VARS = CLUSTER_VARS + HOST_VARS
# lvs_* variables that belong to the collection's playbooks, not to the model (drain, AWX, rolling update...).
PLAYBOOK_VAR_PREFIXES = ('lvs_awx_', 'lvs_drain_', 'lvs_enable_', 'lvs_rolling_', 'lvs_drill_', 'lvs_add_',
                         'lvs_status_', 'lvs_validate_', 'lvs_new_realserver', 'lvs_realserver_state')
SECRET_KEYS = ('auth_pass', 'authkey', 'gui_password')
# Keys users put in a cluster-wide dict (lvs_keepalived, lvs_heartbeat, ...) that the model takes per host.
MOVED_KEYS = {
    'priority': 'the priority is per director: set the host variable lvs_priority (1-254) on the director instead',
    'state': 'MASTER/BACKUP follows each director\'s role: set the host variable lvs_director_role (primary or backup)',
    'unicast_src_ip': 'the source address is each director\'s own: set the host variable lvs_address if it is not ansible_host',
}
