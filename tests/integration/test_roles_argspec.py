# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role: meta/argument_specs.yml in step with defaults/main.yml (same variables, literal defaults equal) and every
variable documented in the role's README."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
ROLES = sorted(name for name in os.listdir(os.path.join(REPO, 'roles'))
               if os.path.isfile(os.path.join(REPO, 'roles', name, 'defaults', 'main.yml')))


def load(role, *path):
    with open(os.path.join(REPO, 'roles', role, *path)) as src:
        return yaml.safe_load(src) if path[-1].endswith('.yml') else src.read()


def test_roles_found():
    assert {'director_keepalived', 'director_heartbeat_ldirectord', 'director_piranha', 'realserver_dr'} <= set(ROLES)


@pytest.mark.parametrize('role', ROLES)
def test_argument_specs_follow_defaults(role):
    defaults = load(role, 'defaults', 'main.yml') or {}
    options = load(role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']
    problems = ['%s: in defaults/main.yml, missing from meta/argument_specs.yml' % n for n in sorted(set(defaults) - set(options))]
    problems += ['%s: in meta/argument_specs.yml, missing from defaults/main.yml' % n for n in sorted(set(options) - set(defaults))]
    for name in sorted(set(defaults) & set(options)):
        value = defaults[name]
        templated = isinstance(value, str) and '{{' in value
        if 'default' in options[name]:
            if templated:
                problems.append('%s: templated default in defaults/main.yml but a literal default in the spec' % name)
            elif options[name]['default'] != value:
                problems.append('%s: default %r in the spec, %r in defaults/main.yml' % (name, options[name]['default'], value))
        elif not templated:
            problems.append('%s: literal default %r missing from the spec' % (name, value))
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('role', ROLES)
def test_readme_documents_every_variable(role):
    readme = load(role, 'README.md')
    missing = [name for name in sorted(load(role, 'defaults', 'main.yml') or {}) if '`%s`' % name not in readme]
    assert not missing, 'not documented in roles/%s/README.md: %s' % (role, ', '.join(missing))
