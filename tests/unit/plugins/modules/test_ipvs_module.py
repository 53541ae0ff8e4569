# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument handling of lvs.cluster.ipvs / ipvs_info (no kernel: every case fails or stops before netlink)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import json

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import REAL_SERVER_SPEC, SERVICE_SPEC, IPVSError
from ansible_collections.lvs.cluster.plugins.modules import ipvs as ipvs_module
from ansible_collections.lvs.cluster.plugins.modules import ipvs_info as ipvs_info_module


def run_module(mod, args, capsys):
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    basic._ANSIBLE_PROFILE = 'legacy'
    try:
        with pytest.raises(SystemExit):
            mod.main()
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads(capsys.readouterr().out)


def doc_options(mod):
    return yaml.safe_load(mod.DOCUMENTATION)['options']


def assert_doc_matches(doc, spec, where):
    assert sorted(doc) == sorted(spec), where
    for name, opt in spec.items():
        entry = doc[name]
        assert entry.get('type', 'str') == opt.get('type', 'str'), (where, name)
        assert entry.get('default') == opt.get('default'), (where, name)
        assert entry.get('choices') == opt.get('choices'), (where, name)
        assert entry.get('elements') == opt.get('elements'), (where, name)
        assert bool(entry.get('required')) == bool(opt.get('required')), (where, name)


class TestDocumentation:
    def test_real_server_suboptions_match_spec(self):
        assert_doc_matches(doc_options(ipvs_module)['real_servers']['suboptions'], REAL_SERVER_SPEC, 'real_servers')

    def test_top_level_options_match_spec(self):
        doc = doc_options(ipvs_module)
        spec = ipvs_module.argument_spec()
        for name in spec:
            spec[name] = dict((k, v) for k, v in spec[name].items())
        doc = dict((k, dict((kk, vv) for kk, vv in v.items() if kk != 'suboptions')) for k, v in doc.items())
        assert_doc_matches(doc, spec, 'top level')

    def test_services_document_every_service_option(self):
        text = doc_options(ipvs_module)['services']['description'][0]
        for name in SERVICE_SPEC:
            assert 'O(%s)' % name in text, name


class TestDesiredState:
    def params(self, **kwargs):
        params = dict((name, opt.get('default')) for name, opt in ipvs_module.argument_spec().items())
        params.update(kwargs)
        return params

    def test_single(self):
        desired, single = ipvs_module.desired_state(self.params(address='203.0.113.1', port=80, real_servers=[
            {'address': '203.0.113.2', 'weight': '2'}]))
        assert single is True
        assert desired[0]['key'] == ('tcp', 2, '203.0.113.1', 80)
        assert desired[0]['real_servers'][0]['weight'] == 2

    def test_bulk(self):
        desired, single = ipvs_module.desired_state(self.params(services=[
            {'address': '203.0.113.1', 'port': 80}, {'fwmark': 3, 'state': 'absent'}]))
        assert single is False
        assert [s['key'] for s in desired] == [('tcp', 2, '203.0.113.1', 80), ('fwm', 2, 3)]

    def test_bulk_excludes_single_options(self):
        with pytest.raises(IPVSError, match='services cannot be combined with the single-service options address, port'):
            ipvs_module.desired_state(self.params(services=[], address='203.0.113.1', port=80))

    def test_nothing_given(self):
        with pytest.raises(IPVSError, match='one of address'):
            ipvs_module.desired_state(self.params())


class TestMain:
    @pytest.mark.parametrize('args, message', [
        ({'address': '203.0.113.1'}, 'parameters are required together: address, port'),
        ({'address': '203.0.113.1', 'port': 80, 'fwmark': 1}, 'mutually exclusive: address|fwmark'),
        ({'address': '203.0.113.1', 'port': 80, 'scheduler': 'fifo'}, 'value of scheduler must be one of'),
        ({'address': 'www.example.com', 'port': 80}, "service.address: 'www.example.com' is not an IPv4 or IPv6 address"),
        ({'services': [{'address': '203.0.113.1', 'port': 80, 'real_servers': [{'address': '203.0.113.2', 'wieght': 1}]}]},
         'services[0].real_servers[0]: unsupported option wieght'),
        ({'services': [{'address': '203.0.113.1', 'port': 80}, {'address': '203.0.113.1', 'port': 80}]}, 'listed twice'),
        ({}, 'one of address (with port), fwmark or services is required'),
    ])
    def test_fails_cleanly(self, args, message, capsys):
        result = run_module(ipvs_module, args, capsys)
        assert result['failed'] is True
        assert message in result['msg']

    def test_garbage_collector_is_left_as_it_was(self, capsys):
        # main() pauses the cyclic GC while it runs; it must come back on however main() ends
        assert gc.isenabled()
        run_module(ipvs_module, {}, capsys)
        assert gc.isenabled()
        gc.disable()
        try:
            run_module(ipvs_module, {}, capsys)
            assert not gc.isenabled()
        finally:
            gc.enable()

    def test_info_rejects_partial_selector(self, capsys):
        result = run_module(ipvs_info_module, {'address': '203.0.113.1'}, capsys)
        assert result['failed'] is True
        assert 'address, port' in result['msg']


class TestInfoDocumentation:
    def test_options(self):
        doc = doc_options(ipvs_info_module)
        assert sorted(doc) == ['address', 'family', 'fwmark', 'port', 'protocol', 'stats']


class TestInvocation:
    def test_large_services_list_is_not_echoed(self, monkeypatch):
        # no kernel in unit tests: IPVS "not loaded", the table is empty
        monkeypatch.setattr(ipvs_module, 'open_ipvs', lambda module, load, probe: (None, False))
        module = type('M', (), {})()
        module.params = dict((name, opt.get('default')) for name, opt in ipvs_module.argument_spec().items())
        module.params['services'] = [{'address': '203.0.113.1', 'port': p, 'state': 'absent'} for p in range(1, 202)]
        module.params['load_modules'] = False
        module.check_mode = True
        module._diff = False
        result = ipvs_module.run(module)
        assert result['invocation']['module_args']['services'] == '(201 services, not echoed)'
        assert result['changed'] is False
