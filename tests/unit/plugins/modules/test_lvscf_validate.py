# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the lvs.cluster.lvscf_validate module (the logic itself is tested in test_lvscf.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.modules import lvscf_validate

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'module_utils', 'fixtures', 'lvscf')
SEED = os.path.join(FIXTURES, 'good', 'seed.cf')


def _run(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            lvscf_validate.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_valid_path(capsys):
    code, result = _run(capsys, {'path': SEED})
    assert code == 0
    assert result['valid'] is True and result['changed'] is False and result['errors'] == []


def test_invalid_content_lists_every_problem(capsys):
    with open(SEED) as handle:
        text = handle.read().replace('port = 80', 'port=80').replace('protocol = tcp', 'protocol = sctp')
    code, result = _run(capsys, {'content': text})
    assert code == 1 and result['failed'] is True and result['valid'] is False
    assert [e['line'] for e in result['errors']] == [15, 21]
    assert 'line 15: ' in result['msg'] and 'line 21: ' in result['msg']


def test_warnings_do_not_fail(capsys):
    with open(SEED) as handle:
        text = handle.read().replace('scheduler = rr', 'scheduler = rr\n     scheduler = rr')
    code, result = _run(capsys, {'content': text})
    assert code == 0 and result['valid'] is True and result['errors'] == []
    assert [w['rule'] for w in result['warnings_found']] == ['warning']
    assert 'set twice' in result['warnings_found'][0]['message']


def test_error_carries_its_rule(capsys):
    with open(SEED) as handle:
        text = handle.read().replace('eth0:0', 'enp0s31f6abcde:0')
    code, result = _run(capsys, {'content': text})
    assert code == 1 and [e['rule'] for e in result['errors']] == ['alias']
    assert 'IFNAMSIZ' in result['msg']


def test_arguments_are_checked(capsys):
    code, result = _run(capsys, {})
    assert code == 1 and 'one of the following is required' in result['msg']
    code, result = _run(capsys, {'content': 'x', 'path': SEED})
    assert code == 1 and 'mutually exclusive' in result['msg']
