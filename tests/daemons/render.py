# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render a director's files through the roles' REAL templates, in process, with Ansible's own templating.

What an ``ansible.builtin.template`` task of the role sees is rebuilt here:

* ``__<role>_model``: the ``lvs.cluster.cluster_model`` action's result for the host ({cluster, me, view, realserver}),
  computed by the same model calls the action makes (``Model.director_view``, ``Model.backend_view``,
  ``Model.realserver_view``; see plugins/action/cluster_model.py);
* the role's ``defaults/main.yml`` and ``vars/Debian.yml`` (loaded by DataLoader as trusted templates, so that their
  lazy ``{{ ... }}`` references resolve as in a play), ``inventory_hostname``, ``groups``, ``hostvars``;
* the template action's own variables (``ansible_managed``, ``template_*``) and its defaults (trim_blocks on,
  ``#jinja2:`` headers honoured).

test_render_parity.py renders a few inventories both ways (this module and a real ``ansible-playbook`` template task)
and requires identical bytes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(_HERE, '..', '..'))
os.environ.setdefault('ANSIBLE_CONFIG', os.path.join(REPO, 'ansible.cfg'))
sys.path.insert(0, _HERE)

import generate  # noqa: E402,F401  (puts the collection on sys.path)
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar, trust_as_template  # noqa: E402
from ansible._internal._templating import _template_vars  # noqa: E402

ROLES = {
    'keepalived': 'director_keepalived',
    'heartbeat_ldirectord': 'director_heartbeat_ldirectord',
}
# The files each backend's judge reads: template -> output name.
FILES = {
    'keepalived': {'keepalived.conf.j2': 'keepalived.conf'},
    'heartbeat_ldirectord': {'ha.cf.j2': 'ha.cf', 'haresources.j2': 'haresources', 'authkeys.j2': 'authkeys',
                             'ldirectord.cf.j2': 'ldirectord.cf', 'lvs-vip.j2': 'resource.d/lvs-vip',
                             'lvs-ldirectord.j2': 'resource.d/lvs-ldirectord'},
}

_LOADER = DataLoader()


def action_result(model, host):
    """The cluster_model action's result for ``host`` (plugins/action/cluster_model.py, without Ansible's wrapping)."""
    errors = model.errors_for(host)
    if errors:
        return {'failed': True, 'msg': '\n'.join(str(p) for p in errors)}
    cluster, me = model.director_view(host)
    realserver = model.realserver_view(host)
    return {
        'changed': False,
        'cluster': cluster,
        'me': me,
        'view': model.backend_view(host),
        'realserver': realserver if realserver['vips'] or realserver['nat_gateways'] else None,
    }


def role_vars(role):
    """Role defaults under the Debian OS values, as a play sees them after the role's include_vars."""
    out = {}
    base = os.path.join(REPO, 'roles', role)
    for rel in ('defaults/main.yml', 'vars/Debian.yml'):
        path = os.path.join(base, rel)
        if os.path.exists(path):
            out.update(_LOADER.load_from_file(path, trusted_as_template=True) or {})
    return out


def render(backend, template, inventory, host, result=None):
    """The text of ``template`` of ``backend``'s role for director ``host`` of a generated ``inventory``."""
    role = ROLES[backend]
    path = os.path.join(REPO, 'roles', role, 'templates', template)
    if result is None:
        result = action_result(inventory.model(), host)
    variables = role_vars(role)
    variables.update({
        '__%s_model' % role: result,
        'inventory_hostname': host,
        'inventory_hostname_short': host.split('.')[0],
        'groups': inventory.groups,
        'hostvars': inventory.hostvars,
        'role_path': os.path.join(REPO, 'roles', role),
        'ansible_facts': {'os_family': 'Debian', 'nodename': host},
    })
    variables.update(_template_vars.generate_ansible_template_vars(path=template, fullpath=path, dest_path='/dev/null',
                                                                   include_ansible_managed=True))
    searchpath = [os.path.join(REPO, 'roles', role, 'templates'), os.path.dirname(path)]
    templar = Templar(loader=_LOADER, variables=variables).copy_with_new_env(searchpath=searchpath)
    with open(path) as src:
        data = trust_as_template(src.read())
    text = templar.template(data, escape_backslashes=False, overrides=dict(trim_blocks=True, lstrip_blocks=False,
                                                                           newline_sequence='\n'))
    return text or ''


def render_all(backend, inventory, out_dir):
    """Render every judged file of every director into ``out_dir/<host>/``; returns {host: {name: path}}."""
    model = inventory.model()
    done = {}
    for host in inventory.directors:
        result = action_result(model, host)
        if result.get('failed'):
            raise AssertionError('seed %s: the model refuses the generated inventory for %s:\n%s'
                                 % (inventory.seed, host, result['msg']))
        hdir = os.path.join(out_dir, host)
        os.makedirs(hdir, exist_ok=True)
        done[host] = {}
        for template, name in FILES[backend].items():
            target = os.path.join(hdir, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'w') as dst:
                dst.write(render(backend, template, inventory, host, result))
            if name.startswith('resource.d/'):
                os.chmod(target, 0o755)
            done[host][name] = target
    return done
