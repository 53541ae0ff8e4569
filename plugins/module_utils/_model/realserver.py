# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real servers' view: the VIPs each real server holds (on lo or tunl0) and its NAT gateways."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def view(model, host):
    """The real-server view of ``host`` (plain data the realserver_dr role prints)."""
    hv = model._hv(host)
    vips, fwd, gws = [], set(), []
    for name in sorted(model.clusters):
        c = model.clusters[name]
        for svc in c['virtual_services']:
            if not any(rs['host'] == host for rs in svc.get('real_servers', [])):
                continue
            fwd.add(svc['forwarding'])
            if svc['forwarding'] == 'nat':
                if c['nat'].get('inside_vip') and c['nat']['inside_vip'] not in gws:
                    gws.append(c['nat']['inside_vip'])
                continue
            entry = {'vip': svc['vip'], 'prefix': 32 if svc['family'] == 4 else 128, 'family': svc['family'],
                     'forwarding': svc['forwarding']}
            if entry not in vips:
                vips.append(entry)
    return {'host': host, 'address': hv.get('lvs_address', hv.get('ansible_host')),
            'interface': hv.get('lvs_realserver_interface', 'eth0'), 'vips': vips,
            'forwarding': sorted(fwd), 'nat_gateways': gws}


def check(model, chk):
    """Check the real servers' own variables (what reaches their files and scripts)."""
    return None
