#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lvscf_validate
short_description: Strictly validate a piranha lvs.cf, and check that a cluster model fits piranha
version_added: 1.0.0
description:
  - Parses piranha's C(lvs.cf) with the grammar of piranha's own parser (exact argument counts, known keywords per block,
    value ranges and choices, balanced blocks, quoting) plus the cross-checks the piranha daemons rely on
    (backup set when C(backup_active = 1), C(nat_router) for NAT, unique virtual and server names, valid addresses,
    one floating address per interface alias, ports with C(fwmark), ...).
  - Reports every problem at once, each with its line number and the fix, and fails when there is any.
  - With O(cluster), also checks that a resolved cluster view of the C(lvs.cluster) model (what
    C(lvs.cluster.cluster_model) returns) uses only what piranha can express (IPv4, two directors, its schedulers,
    health checks, fwmark range, sorry-server port).
  - Changes nothing. The same checks are available on a host without Ansible by running
    C(python3 plugins/module_utils/_lvscf.py FILE), which the C(lvs.cluster.director_piranha) role installs
    as its template C(validate) command.
options:
  content:
    description: The text of an C(lvs.cf) to check. Mutually exclusive with O(path).
    type: str
  path:
    description: Path of an C(lvs.cf) on the managed host to check. Mutually exclusive with O(content).
    type: path
  cluster:
    description:
      - A resolved cluster view (the C(cluster) key returned by C(lvs.cluster.cluster_model)) to check for piranha support.
      - Secrets in it are not needed and should be removed before passing it.
    type: dict
author:
  - lvs.cluster contributors (!UNKNOWN)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module never changes anything; it runs and reports the same way in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - At least one of O(content), O(path) or O(cluster) is required.
seealso:
  - module: lvs.cluster.cluster_model
"""

EXAMPLES = r"""
- name: Check the lvs.cf in place
  lvs.cluster.lvscf_validate:
    path: /etc/sysconfig/ha/lvs.cf

- name: Check a rendered lvs.cf before it is written (works in check mode)
  lvs.cluster.lvscf_validate:
    content: "{{ lookup('ansible.builtin.template', 'lvs.cf.j2') }}"

- name: Check that the cluster model fits piranha
  lvs.cluster.lvscf_validate:
    cluster: "{{ __model.cluster | ansible.builtin.combine({'piranha': {'gui_password': None}}, recursive=true) }}"
"""

RETURN = r"""
valid:
  description: True when no problem was found.
  returned: always
  type: bool
  sample: false
errors:
  description: Problems of the lvs.cf, in line order; line 0 means the whole file.
  returned: always
  type: list
  elements: dict
  contains:
    line:
      description: Line number (1-based), 0 for the whole file.
      type: int
    message:
      description: What is wrong.
      type: str
    fix:
      description: How to fix it.
      type: str
  sample:
    - line: 17
      message: unknown keyword 'port=80' (no blank before "=")
      fix: "piranha needs blanks around '=': write 'port = 80'"
cluster_errors:
  description: Problems of the cluster model for piranha, each naming the inventory variable and the fix.
  returned: always
  type: list
  elements: str
  sample:
    - "lvs_virtual_services[0].vip: piranha supports only IPv4, got '2001:db8::100'. Fix: use an IPv4 VIP or the keepalived backend"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._lvscf import (
    cluster_errors,
    validate_file,
    validate_text,
)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            content=dict(type='str'),
            path=dict(type='path'),
            cluster=dict(type='dict'),
        ),
        mutually_exclusive=[('content', 'path')],
        required_one_of=[('content', 'path', 'cluster')],
        supports_check_mode=True,
    )
    params = module.params
    errors = []
    if params['content'] is not None:
        errors = validate_text(params['content'])
    elif params['path'] is not None:
        errors = validate_file(params['path'])
    model_problems = cluster_errors(params['cluster']) if params['cluster'] is not None else []
    result = dict(
        changed=False,
        valid=not errors and not model_problems,
        errors=[e.as_dict() for e in errors],
        cluster_errors=model_problems,
    )
    if errors or model_problems:
        lines = []
        if model_problems:
            lines.append('The cluster model uses what piranha cannot do:')
            lines.extend('  - %s' % p for p in model_problems)
        if errors:
            lines.append('lvs.cf%s is not valid for piranha:' % (' (%s)' % params['path'] if params['path'] else ''))
            lines.extend('  - %s' % e for e in errors)
        module.fail_json(msg='\n'.join(lines), **result)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == '__main__':
    main()
