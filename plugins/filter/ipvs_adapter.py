# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters from the model's virtual services (lvs.cluster.cluster_model's `cluster.virtual_services`) to the IPVS
table, for the operator playbooks. The logic is plugins/module_utils/_ipvs_adapter.py.

- ``virtual_services | lvs.cluster.ipvs_services``: the `services` argument of lvs.cluster.ipvs for the whole model;
- ``virtual_services | lvs.cluster.realserver_targets(host, names=[], weight=none)``: the services of one real server;
- ``targets | lvs.cluster.ipvs_match(ipvs_info.services)``: those the kernel has (kernel port, weight, connections);
- ``targets | lvs.cluster.ipvs_missing(ipvs_info.services)``: those it lacks, as text;
- ``found | lvs.cluster.realserver_state_services(state)``: the `services` argument that drains or enables them;
- ``found | lvs.cluster.ipvs_active_connections(ipvs_info.services)``: their active connections now;
- ``found | lvs.cluster.realserver_state_report(targets, ipvs_info.services, state)``: the report lines;
- ``virtual_services | lvs.cluster.ipvs_real_servers(ipvs_info.services)``: each real server's kernel entry (or none);
- ``virtual_services | lvs.cluster.client_targets``: the TCP services as lvs.cluster.client_probe targets;
- ``virtual_services | lvs.cluster.service_vips``: their distinct VIPs;
- ``virtual_services | lvs.cluster.held_vips(ip_addr_output)``: the VIPs a host holds (output of ip -o addr show).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_adapter as adapter


def _wrap(name, func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ValueError, KeyError, TypeError) as exc:  # AdapterError is a ValueError
            raise AnsibleFilterError('lvs.cluster.%s: %s' % (name, exc))
    run.__name__ = name
    run.__doc__ = func.__doc__
    return run


FILTERS = {
    'ipvs_services': adapter.ipvs_services,
    'realserver_targets': adapter.realserver_targets,
    'ipvs_match': adapter.match_kernel,
    'ipvs_missing': adapter.missing_in_kernel,
    'realserver_state_services': adapter.state_services,
    'ipvs_active_connections': adapter.active_connections,
    'ipvs_real_servers': adapter.kernel_real_servers,
    'realserver_state_report': adapter.state_report,
    'client_targets': adapter.client_targets,
    'service_vips': adapter.vips,
    'held_vips': adapter.held_vips,
}


class FilterModule(object):
    def filters(self):
        return dict((name, _wrap(name, func)) for name, func in FILTERS.items())
