# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: validate_inventory
short_description: Check the whole lvs.cluster inventory model on the controller
version_added: 1.0.0
description:
  - Reads the C(lvs_*) variables of the hosts of the groups C(lvs_directors) and C(lvs_realservers) and of the real-server
    groups the clusters name (each host once; hosts unrelated to LVS are never read) and checks them against the model
    described in C(docs/model.md).
  - Reports B(every) problem at once, each naming the variable path (for example C(lvs_virtual_services[1].port)) and the fix.
  - Runs only on the controller; it never contacts a managed host and changes nothing.
options:
  fail_on_warnings:
    description: Treat warnings (for example a cluster with a single director) as errors.
    type: bool
    default: false
author:
  - lvs.cluster contributors (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes.controller
"""

EXAMPLES = r"""
- name: Validate the LVS inventory
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check every lvs_* variable of the inventory
      lvs.cluster.validate_inventory:
"""

RETURN = r"""
problems:
  description: Every finding (errors and warnings).
  returned: always
  type: list
  elements: dict
  sample:
    - path: lvs_virtual_services[0].port
      message: must be between 1 and 65535, got 0
      fix: set a value between 1 and 65535
      severity: error
      host: dr1
clusters:
  description: Names of the clusters found, with their backend and directors.
  returned: always
  type: dict
  sample: {web: {backend: keepalived, directors: [dr1, dr2], services: 1}}
"""
