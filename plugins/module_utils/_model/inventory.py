# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory: clusters, directors, real servers, relations across clusters, per-host views."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.lvs.cluster.plugins.module_utils._model import keepalived, realserver, relations
from ansible_collections.lvs.cluster.plugins.module_utils._model.cluster import BACKEND_MODULES, cluster_settings, host_address
from ansible_collections.lvs.cluster.plugins.module_utils._model.grammar import Checker, safe
from ansible_collections.lvs.cluster.plugins.module_utils._model.words import DIRECTORS_GROUP, PLAYBOOK_VAR_PREFIXES, READ_VARS, REALSERVERS_GROUP, SECRET_KEYS


class Model(object):
    """The whole inventory's resolved model.

    ``hostvars`` maps host -> dict of variables (at least the READ_VARS present), ``groups`` maps group -> hosts.
    """

    def __init__(self, hostvars, groups, other_names=None, group_tree=None):
        self.hostvars = hostvars
        self.groups = groups
        # host -> names of the other lvs_* variables the host has (read for misspellings only)
        self.other_names = other_names or {}
        # group -> {'parents': [...], 'cluster_name': <its own lvs_cluster_name or None>, 'backend': <its own lvs_backend
        # or None>}: the inventory's group tree and each group's own model variables (not merged), when the caller can
        # read them; relations use it to find a host in two clusters' groups and director groups outside lvs_directors.
        self.group_tree = group_tree or {}
        self.clusters = {}
        self.host_cluster = {}
        self.problems = []
        self._build()
        self._index()

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == 'error']

    @property
    def warnings(self):
        return [p for p in self.problems if p.severity == 'warning']

    def _hv(self, host):
        return self.hostvars.get(host) or {}

    def _build(self):
        chk = Checker()
        directors = list(self.groups.get(DIRECTORS_GROUP, []))
        self._director_set = set(directors)
        if not directors:
            chk.error('groups.%s' % DIRECTORS_GROUP, 'the inventory has no director (group %s is empty or missing)' % DIRECTORS_GROUP,
                      'put each director cluster group under a parent group named %s' % DIRECTORS_GROUP)
        order = {}
        per_host = {}
        for host in directors:
            hchk = Checker()
            settings = cluster_settings(hchk, self._hv(host), host)
            per_host[host] = (settings, hchk.problems)
            order.setdefault(settings['name'], []).append(host)
        realservers = set(self.groups.get(REALSERVERS_GROUP, []))
        for name, hosts in order.items():
            mark = len(chk.problems)
            chk._seen = set()  # a problem shared by two clusters (a real server in both) belongs to each of them
            first = hosts[0]
            settings, problems = per_host[first]
            # Cluster-level problems are reported once (from the first director), not per director.
            chk.problems.extend(problems)
            for other in hosts[1:]:
                if per_host[other][0] != settings:
                    chk.error('lvs_cluster_name', 'directors %s and %s share cluster %r but their cluster variables differ'
                              % (first, other, name),
                              'set the lvs_* cluster variables in the director group vars, not per host, or give the hosts different lvs_cluster_name',
                              other)
            self.clusters[name] = cluster = settings
            for host in hosts:
                self.host_cluster[host] = name
            self._resolve_directors(chk, cluster, hosts)
            self._resolve_realservers(chk, cluster, realservers)
            if cluster['backend'] in BACKEND_MODULES:
                BACKEND_MODULES[cluster['backend']].cluster_rules(chk, cluster)
            for problem in chk.problems[mark:]:
                problem.cluster = name
        realserver.check(self, chk)
        relations.check(self, chk)
        self._check_names(chk)
        self.problems = chk.problems

    def _check_names(self, chk):
        """lvs_* variables the model does not know: a misspelt model variable is an error (its value would be
        ignored in silence), any other unknown name a warning. The collection's playbook variables are fine."""
        reported = set()
        for host in sorted(self.other_names):
            for name in sorted(self.other_names[host]):
                if name in READ_VARS or name.startswith(PLAYBOOK_VAR_PREFIXES) or name in reported:
                    continue
                reported.add(name)
                close = difflib.get_close_matches(name, READ_VARS, n=1, cutoff=0.8)
                if close:
                    chk.error(name, 'is not a variable of the lvs.cluster model (its value is ignored); it looks like a '
                              'misspelling of %s' % close[0], 'rename it to %s' % close[0], host)
                else:
                    chk.warn(name, 'is not a variable of the lvs.cluster model and is ignored',
                             'use one of the variables in docs/model.md, or a name without the lvs_ prefix for '
                             'your own variables', host)

    def _resolve_directors(self, chk, cluster, hosts):
        if len(hosts) < 2:
            chk.warn('groups.%s' % DIRECTORS_GROUP, 'cluster %r has only one director (%s): no failover is possible'
                     % (cluster['name'], hosts[0]), 'add a second director to the cluster\'s group')
        entries = []
        explicit_primary = [h for h in hosts if self._hv(h).get('lvs_director_role') == 'primary']
        if len(explicit_primary) > 1:
            chk.error('lvs_director_role', 'cluster %r has several primaries: %s' % (cluster['name'], ', '.join(explicit_primary)),
                      'set lvs_director_role: primary on exactly one director')
        primary = explicit_primary[0] if explicit_primary else None
        if primary is None:
            primary = next((h for h in hosts if self._hv(h).get('lvs_director_role') != 'backup'), hosts[0])
        backup_rank = 0
        seen_addr = {}
        for host in hosts:
            hv = self._hv(host)
            path = 'hostvars[%s]' % host
            role = hv.get('lvs_director_role')
            if role is not None and role not in ('primary', 'backup'):
                chk.error(path + '.lvs_director_role', 'must be primary or backup, got %r' % (safe(role),),
                          'set primary on one director and backup (or nothing) on the others', host)
            role = 'primary' if host == primary else 'backup'
            if role == 'backup':
                default_prio = max(100 - backup_rank, 1)
                backup_rank += 1
            else:
                default_prio = 150
            prio = hv.get('lvs_priority', default_prio)
            prio = chk.integer(prio, path + '.lvs_priority', 1, 254,
                               'use 1-254 (255 is reserved for the address owner)', host) or default_prio
            addr = host_address(chk, host, hv, path)
            if addr in seen_addr:
                chk.error(path + '.lvs_address', 'is the same address as director %s' % seen_addr[addr],
                          'give every director its own address', host)
            seen_addr.setdefault(addr, host)
            node = hv.get('lvs_node_name', host.split('.')[0])
            entries.append({'host': host, 'address': addr, 'role': role, 'priority': prio,
                            'state': 'MASTER' if role == 'primary' and cluster['keepalived']['preempt'] else 'BACKUP',
                            'node_name': node})
        prios = [e['priority'] for e in entries]
        if len(set(prios)) != len(prios):
            chk.error('lvs_priority', 'directors of cluster %r share a priority (%s)' % (cluster['name'], prios),
                      'give every director of a cluster a distinct lvs_priority')
        prim = next(e for e in entries if e['role'] == 'primary')
        if any(e['priority'] > prim['priority'] for e in entries if e is not prim):
            chk.error('lvs_priority', 'a backup of cluster %r has a higher priority than the primary %s' % (cluster['name'], prim['host']),
                      'give the primary the highest lvs_priority, or make that backup the primary')
        cluster['directors'] = entries
        cluster['primary'] = prim

    def _resolve_realservers(self, chk, cluster, realservers):
        for i, svc in enumerate(cluster['virtual_services']):
            path = 'lvs_virtual_services[%d]' % i
            own_group = svc['real_server_group']
            group = own_group or cluster['realserver_group']
            svc['real_server_group'] = group
            members = self.groups.get(group)
            svc['real_servers'] = []
            if members is None:
                chk.error(path + '.real_server_group' if own_group else 'lvs_realserver_group',
                          'inventory group %r does not exist (cluster %s)' % (group, cluster['name']),
                          'create the group with the real servers as members, or name an existing group')
                continue
            if not members:
                chk.error(path, 'real-server group %r of cluster %s is empty' % (group, cluster['name']),
                          'add the real servers to the group %r in the inventory' % group)
            for host in members:
                hv = self._hv(host)
                hpath = 'hostvars[%s]' % host
                if host not in realservers:
                    chk.error(hpath, 'real server of %s.%s is not in group %s, so lvs.cluster.site will not prepare it'
                              % (cluster['name'], svc['name'], REALSERVERS_GROUP),
                              'make %r a child group of %s' % (group, REALSERVERS_GROUP), host)
                if host in self._director_set:
                    chk.error(hpath, 'is both a director and a real server', 'use separate hosts for directors and real servers',
                              host)
                addr = host_address(chk, host, hv, hpath)
                weight = hv.get('lvs_weight', 1)
                weights = hv.get('lvs_weights', {})
                if not isinstance(weights, dict):
                    chk.error(hpath + '.lvs_weights', 'must be a dictionary of service name -> weight',
                              'write lvs_weights: {www: 2}', host)
                    weights = {}
                if svc['name'] in weights:
                    weight = weights[svc['name']]
                    wpath = '%s.lvs_weights.%s' % (hpath, svc['name'])
                else:
                    wpath = hpath + '.lvs_weight'
                weight = chk.integer(weight, wpath, 0, 65535, host=host)
                svc['real_servers'].append({'host': host, 'address': addr, 'port': svc['real_server_port'],
                                            'weight': 1 if weight is None else weight})

    def _index(self):
        """Per-host indexes, made once after the build so that each host's errors and views cost what concerns it:
        host -> clusters it directs or serves, cluster -> its errors, (cluster, host) -> the director's entry."""
        self._host_clusters = {}
        for host, name in self.host_cluster.items():
            self._host_clusters.setdefault(host, set()).add(name)
        for name, c in self.clusters.items():
            for svc in c['virtual_services']:
                for rs in svc.get('real_servers', []):
                    self._host_clusters.setdefault(rs['host'], set()).add(name)
        # errors in their original order: (position, problem) so that a host's errors keep the inventory's order
        self._errors_by_cluster = {}
        for pos, problem in enumerate(p for p in self.problems if p.severity == 'error'):
            self._errors_by_cluster.setdefault(problem.cluster, []).append((pos, problem))
        self._director_entry = {}
        for name, c in self.clusters.items():
            for entry in c.get('directors', []):
                self._director_entry.setdefault((name, entry['host']), entry)

    def errors_for(self, host):
        """Errors that concern one host: those of the clusters it directs or serves, and inventory-wide ones."""
        found = list(self._errors_by_cluster.get(None, []))
        for name in self._host_clusters.get(host, ()):
            found.extend(self._errors_by_cluster.get(name, []))
        return [p for _pos, p in sorted(found, key=lambda item: item[0])]

    # -- per-host views -------------------------------------------------------------------------
    def director_view(self, host):
        name = self.host_cluster.get(host)
        if name is None:
            return None, None
        cluster = self.clusters[name]
        me = dict(self._director_entry[(name, host)])
        me['peers'] = [e['address'] for e in cluster['directors'] if e['host'] != host]
        me['router_id'] = keepalived.router_id_of(cluster, host)
        return cluster, me

    def backend_view(self, host):
        """What the director's backend templates print (plain data computed by the backend module), or None."""
        cluster, me = self.director_view(host)
        if cluster is None or cluster['backend'] not in BACKEND_MODULES:
            return None
        return BACKEND_MODULES[cluster['backend']].view(cluster, me)

    def realserver_view(self, host):
        return realserver.view(self, host)


def redact(obj):
    """Copy of a resolved structure with secrets replaced (for logs and debug output)."""
    if isinstance(obj, dict):
        return dict((k, '********' if k in SECRET_KEYS and obj[k] else redact(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj
