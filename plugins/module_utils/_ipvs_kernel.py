# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel-module handling shared by lvs.cluster.ipvs and lvs.cluster.ipvs_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import IPVSError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import IPVSNetlink, IPVSUnavailable


def module_loaded(name):
    return os.path.isdir('/sys/module/%s' % name)


def modprobe(module, name, dry_run=False):
    """Run modprobe; return (ok, message)."""
    binary = module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
    if binary is None:
        return False, 'modprobe not found'
    cmd = [binary]
    if dry_run:
        cmd.append('--dry-run')
    cmd.append(name)
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        return False, (err or out or 'exit code %d' % rc).strip()
    return True, ''


def open_ipvs(module, load=True, probe=False):
    """Open the IPVS netlink socket, loading ip_vs first when needed and allowed.

    Returns (socket, loaded): the socket is None when IPVS is not loaded and
    ``load`` is false (check mode, info), the caller then treats the table as
    empty; ``loaded`` tells whether this call loaded ip_vs.  With ``probe``
    (check mode of the ipvs module) a missing ip_vs must at least be loadable.
    """
    was_loaded = module_loaded('ip_vs')
    if load or was_loaded:
        # resolving the IPVS netlink family makes the kernel load ip_vs by itself (module alias):
        # only do it when loading is allowed or ip_vs is there already
        try:
            return IPVSNetlink(), not was_loaded
        except IPVSUnavailable:
            pass
    if not load:
        if probe:
            ok, message = modprobe(module, 'ip_vs', dry_run=True)
            if not ok:
                raise IPVSError('the kernel has no IPVS (ip_vs is not loaded and "modprobe ip_vs" would fail: %s)'
                                % message)
        return None, False
    ok, message = modprobe(module, 'ip_vs')
    if not ok:
        raise IPVSError('the kernel has no IPVS: the IPVS netlink family is missing and "modprobe ip_vs" failed: %s '
                        '(a kernel built with CONFIG_IP_VS is needed)' % message)
    try:
        return IPVSNetlink(), True
    except IPVSUnavailable:
        raise IPVSError('the kernel has no IPVS: "modprobe ip_vs" succeeded but the IPVS netlink family is still missing')


def load_schedulers(module, names):
    """modprobe ip_vs_<sched> for schedulers not loaded yet; the kernel reports failures when used."""
    loaded = []
    for name in names:
        mod = 'ip_vs_%s' % name
        if module_loaded(mod):
            continue
        ok, dummy = modprobe(module, mod)
        if ok:
            loaded.append(mod)
    return loaded
