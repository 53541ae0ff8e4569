# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ctx | lvs.cluster.verify_checks``: the checks of verify_cluster.yml ({name, ok, msg} each) from what its client
probe measured; the logic is plugins/module_utils/_verify_judge.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._verify_judge import verify_checks


def _verify_checks(ctx):
    try:
        return verify_checks(ctx)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_checks: incomplete measurements (%s: %s)' % (type(exc).__name__, exc))


class FilterModule(object):
    def filters(self):
        return {'verify_checks': _verify_checks}
