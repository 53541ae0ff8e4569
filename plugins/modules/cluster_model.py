# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_model
short_description: Resolve the lvs.cluster inventory model for the current host
version_added: 1.0.0
description:
  - Builds the model of the whole inventory on the controller (see C(docs/model.md)) and returns the resolved view of the
    current host, with every default applied; the roles of this collection render their configuration only from it.
  - Fails with the complete list of problems of the host's own cluster(s) (and inventory-wide ones) when they are invalid;
    problems of unrelated clusters are left to M(lvs.cluster.validate_inventory).
  - Never contacts the managed host. The result holds secrets (VRRP, heartbeat and piranha passwords); use C(no_log) on the task.
  - The model is built once per task execution, not once per host. The first host's worker reads the variables of the hosts
    that matter (members of C(lvs_directors), C(lvs_realservers) and of the real-server groups the clusters name; no other
    host is read), builds the model and stores every host's result in the run's own temporary directory, encrypted with a
    key that exists only in the controller's memory for this run (the files are unreadable afterwards and removed at the
    end of the run). Every other host reads its own result. A result is never reused by another task, batch or run.
options:
  host:
    description: Inventory host whose view is returned.
    type: str
    default: the current C(inventory_hostname)
author:
  - lvs.cluster contributors (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes.controller
"""

EXAMPLES = r"""
- name: Resolve the LVS model for this host
  lvs.cluster.cluster_model:
  register: __lvs_model
  no_log: true
"""

RETURN = r"""
cluster:
  description: The resolved cluster this director belongs to (null on real servers); its keys are described in C(docs/model.md).
  returned: always
  type: dict
  contains:
    failback:
      description: Whether the first director takes the VIPs back when it returns, derived once from the backend's settings.
      returned: on directors
      type: dict
      sample: {expected: true, delay_seconds: 0}
      contains:
        expected:
          description: keepalived C(preempt), heartbeat C(auto_failback); false with piranha (pulse never fails back).
          returned: on directors
          type: bool
        delay_seconds:
          description: Seconds the backend waits on purpose before it takes the VIPs back (keepalived C(preempt_delay) with C(preempt), else 0).
          returned: on directors
          type: int
me:
  description: This director's entry (address, role, priority, state, node_name, peers); null on real servers.
  returned: always
  type: dict
realserver:
  description: The real-server view (VIPs served, forwarding methods, NAT gateways); null on hosts that serve no VIP.
  returned: always
  type: dict
view:
  description: What the director's backend templates print, computed by the backend's model module; null on real servers.
  returned: always
  type: dict
model_cache:
  description:
    - How this host's result was obtained (it holds no secret).
    - C(built) by this host's worker for the whole task; C(hit) read from the task's encrypted records; C(off) built for
      this host alone (no shared records possible, for example outside ansible-playbook's worker processes).
  returned: always
  type: str
  choices: [built, hit, 'off']
  sample: hit
"""
