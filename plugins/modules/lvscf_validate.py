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
short_description: Validate a piranha lvs.cf the way piranha's parser and daemons read it
version_added: 1.0.0
description:
  - Reads piranha's C(lvs.cf) exactly as piranha's own parser does (C(lvsParseConfig) - its tokenizer, exact argument
    counts, known keywords per block, numbers, booleans, choices, quoting), then checks what pulse, lvsd and nanny would
    do wrong with a file their parser accepts (interface aliases longer than 15 characters, escapes nanny loops on,
    C(expect) texts longer than nanny reads, C(send_program) commands that overflow nanny's buffers, a missing
    C(nat_router) for NAT, two addresses on one alias, ...). Each such rule is justified in C(plugins/module_utils/_lvscf.py).
  - Reports every problem at once, each with its line number, rule and fix, and fails when there is any error.
    Warnings (what the daemons ignore) are returned and do not fail.
  - Changes nothing. Whether an inventory fits piranha is decided earlier, on the controller, by the model
    (C(lvs.cluster.cluster_model)); this module judges a file. The same checks are available on a host without Ansible
    by running C(python3 plugins/module_utils/_lvscf.py FILE), which the C(lvs.cluster.director_piranha) role installs
    as its template C(validate) command.
options:
  content:
    description: The text of an C(lvs.cf) to check. Mutually exclusive with O(path).
    type: str
  path:
    description: Path of an C(lvs.cf) on the managed host to check. Mutually exclusive with O(content).
    type: path
author:
  - lvs.cluster contributors (@lvs-cluster)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module never changes anything; it runs and reports the same way in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
notes:
  - One of O(content) and O(path) is required.
seealso:
  - module: lvs.cluster.cluster_model
"""

EXAMPLES = r"""
- name: Check the lvs.cf in place
  lvs.cluster.lvscf_validate:
    path: /etc/sysconfig/ha/lvs.cf

- name: Check a candidate lvs.cf kept beside the playbook (files/lvs.cf) before it is installed; works in check mode
  lvs.cluster.lvscf_validate:
    content: "{{ lookup('ansible.builtin.file', 'files/lvs.cf') }}"
  register: candidate

- name: Show what the daemons would ignore or read in a surprising way
  ansible.builtin.debug:
    msg: "line {{ item.line }}: {{ item.message }} ({{ item.fix }})"
  loop: "{{ candidate.warnings_found }}"

- name: Check a text given inline
  lvs.cluster.lvscf_validate:
    content: |
      serial_no = 1
      primary = 203.0.113.11
      service = lvs
      backup_active = 1
      backup = 203.0.113.12
      heartbeat = 1
      heartbeat_port = 539
      keepalive = 5
      deadtime = 10
      network = direct
      virtual www {
           active = 1
           address = 203.0.113.100 eth0:1
           port = 80
           send = "GET / HTTP/1.0\r\n\r\n"
           expect = "HTTP"
           scheduler = wlc
           protocol = tcp
           timeout = 6
           reentry = 15
           server rs1 {
               address = 203.0.113.21
               active = 1
               weight = 1
           }
      }
"""

RETURN = r"""
valid:
  description: True when no error was found (warnings do not count).
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
    rule:
      description: The rule id (see C(RULES) in C(plugins/module_utils/_lvscf.py)).
      type: str
    severity:
      description: Always C(error) here.
      type: str
  sample:
    - line: 17
      message: unknown keyword 'port=80' (no blank before "=")
      fix: "piranha needs blanks around '=': write 'port = 80'"
      rule: keyword
      severity: error
warnings_found:
  description: What the daemons would ignore or read in a surprising way; reported, never fatal. Same keys as RV(errors).
  returned: always
  type: list
  elements: dict
  sample:
    - line: 23
      message: "scheduler is set twice in the virtual www (line 12) (first on line 20); piranha keeps the last"
      fix: remove one of the two lines
      rule: warning
      severity: warning
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._lvscf import check_file, check_text


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            content=dict(type='str'),
            path=dict(type='path'),
        ),
        mutually_exclusive=[('content', 'path')],
        required_one_of=[('content', 'path')],
        supports_check_mode=True,
    )
    params = module.params
    findings = check_text(params['content']) if params['content'] is not None else check_file(params['path'])
    errors = [f for f in findings if f.severity == 'error']
    warnings = [f for f in findings if f.severity != 'error']
    result = dict(
        changed=False,
        valid=not errors,
        errors=[e.as_dict() for e in errors],
        warnings_found=[w.as_dict() for w in warnings],
    )
    for warning in warnings:
        module.warn('lvs.cf%s %s' % (' (%s)' % params['path'] if params['path'] else '', warning))
    if errors:
        lines = ['lvs.cf%s is not valid for piranha:' % (' (%s)' % params['path'] if params['path'] else '')]
        lines.extend('  - %s' % e for e in errors)
        module.fail_json(msg='\n'.join(lines), **result)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == '__main__':
    main()
