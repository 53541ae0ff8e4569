# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The assertion every bad-input test of the model makes: refused on the controller, naming the variable and a fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def assert_refused(model, path, words, hosts):
    """``model`` has an error at ``path`` (mentioning ``words`` when given) with a fix, reported for every host in
    ``hosts`` (the plays stop before touching any of them)."""
    errors = [e for e in model.errors if e.path == path]
    assert errors, 'expected an error at %s, got:\n%s' % (path, '\n'.join(str(e) for e in model.errors))
    if words:
        assert any(words in str(e) for e in errors), [str(e) for e in errors]
    for e in errors:
        assert e.fix and 'Fix: ' in str(e)
    for host in hosts:
        assert any(e.path == path for e in model.errors_for(host)), host
