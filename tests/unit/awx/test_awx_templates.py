# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates, surveys and workflows of awx/ are data: check them the way AWX and the playbooks will use them.

- every job template names a playbook that is in the repository, with options awx.awx.job_template knows and that
  awx/configure.yml passes on;
- every survey passes AWX's survey-spec validation (question types, required keys, default types, min/max, choices);
- every survey variable is read by the template's playbook, and survey defaults equal the playbook's own defaults
  (shell and AWX runs behave the same) and fit the roles' argument_specs when a role reads the variable;
- the workflow graph is valid and chains validate -> deploy -> verify;
- awx/configure.yml, rendered by Ansible itself, produces module arguments that pass awx.awx's argument specs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
AWX = os.path.join(ROOT, 'awx')

# What the other playbooks are, for the message when one is missing (they are written by other people).
OWNERS = {
    'site.yml': 'the lead (foundation issue)',
    'playbooks/validate.yml': 'the lead (foundation issue)',
    'playbooks/verify_cluster.yml': 'the lab owner (the seed\'s three tests)',
    'playbooks/drain_realserver.yml': 'the ipvs module owner',
    'playbooks/enable_realserver.yml': 'the ipvs module owner',
}

# Question types and the Python type of their defaults, as the AWX API (JobTemplateSurveySpec) accepts them.
AWX_TYPES = {
    'text': str, 'textarea': str, 'password': str, 'multiplechoice': str, 'multiselect': str,
    'integer': int, 'float': (float, int),
}
VARIABLE_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
AWX_MODULES = os.path.join(os.path.dirname(yaml.__file__), '..', 'ansible_collections', 'awx', 'awx', 'plugins', 'modules')


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f)


DATA = _load(os.path.join(AWX, 'job_templates.yml'))
TEMPLATES = DATA['lvs_awx_job_templates']
WORKFLOWS = DATA['lvs_awx_workflows']
CONFIGURE = _load(os.path.join(AWX, 'configure.yml'))[0]
SURVEYS = {t['name']: t['survey'] for t in TEMPLATES if 'survey' in t}


def _awx_module_doc(name):
    """DOCUMENTATION of an awx.awx module (from the ansible bundle), options merged with its doc fragments."""
    import ast
    path = os.path.abspath(os.path.join(AWX_MODULES, name + '.py'))
    if not os.path.exists(path):
        pytest.fail('awx.awx is not installed next to PyYAML (%s): install the ansible bundle (requirements-dev.txt)' % path)
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'DOCUMENTATION':
            return yaml.safe_load(node.value.value)
    raise AssertionError('no DOCUMENTATION in %s' % path)


def _task_args(play, module):
    tasks = [t for t in play['tasks'] if module in t]
    assert len(tasks) == 1, 'awx/configure.yml must have exactly one %s task' % module
    return tasks[0], tasks[0][module]


def _code(path):
    """A playbook's text without comment lines (a variable named only in a comment is not read)."""
    with open(path) as f:
        return '\n'.join(line for line in f.read().splitlines() if not line.lstrip().startswith('#'))


def _play_defaults(path):
    """Variables with a literal default in the `vars:` of the playbook's plays."""
    out = {}
    for play in _load(path) or []:
        for key, value in (play.get('vars') or {}).items():
            if not (isinstance(value, str) and '{{' in value):
                out.setdefault(key, value)
    return out


# ---- job templates ------------------------------------------------------------------------------------------------

def test_template_names_are_unique():
    names = [t['name'] for t in TEMPLATES] + [w['name'] for w in WORKFLOWS]
    assert len(names) == len(set(names)), 'duplicate template names: %s' % sorted(n for n in names if names.count(n) > 1)


def test_every_requested_template_exists():
    playbooks = {t['playbook'] for t in TEMPLATES}
    for wanted in ('site.yml', 'playbooks/validate.yml', 'playbooks/verify_cluster.yml', 'playbooks/drain_realserver.yml',
                   'playbooks/enable_realserver.yml', 'playbooks/add_realserver.yml', 'playbooks/rolling_update.yml',
                   'playbooks/failover_drill.yml', 'playbooks/status.yml'):
        assert wanted in playbooks, 'no job template runs %s' % wanted


@pytest.mark.parametrize('tpl', TEMPLATES, ids=[t['name'] for t in TEMPLATES])
def test_template_playbook_is_in_the_repository(tpl):
    path = os.path.join(ROOT, tpl['playbook'])
    assert os.path.isfile(path), (
        'job template %r runs %s, which is not in the repository yet (owner: %s); AWX refuses a template whose playbook '
        'the project does not contain' % (tpl['name'], tpl['playbook'], OWNERS.get(tpl['playbook'], 'AWX/day-2 issue')))
    plays = _load(path)
    assert isinstance(plays, list) and plays, '%s is not a playbook (a list of plays)' % tpl['playbook']


def test_template_options_are_known_and_passed_on():
    doc = _awx_module_doc('job_template')['options']
    args = _task_args(CONFIGURE, 'awx.awx.job_template')[1]
    passed = set(re.findall(r'\bitem\.(\w+)', json.dumps(args)))
    extra = {'survey', 'credentials'}
    assert passed - extra <= set(doc), 'configure.yml passes options awx.awx.job_template lacks: %s' % (passed - extra - set(doc))
    for tpl in TEMPLATES:
        unknown = set(tpl) - passed - extra
        assert not unknown, '%s: keys %s are not passed on by awx/configure.yml' % (tpl['name'], sorted(unknown))
        for key, value in tpl.items():
            if key in extra or key not in doc:
                continue
            kind = doc[key].get('type', 'str')
            pytype = {'bool': bool, 'int': int, 'str': str, 'list': list, 'dict': dict}[kind]
            assert isinstance(value, pytype), '%s: %s must be a %s, not %r' % (tpl['name'], key, kind, value)
            if 'choices' in doc[key]:
                assert value in doc[key]['choices'], '%s: %s=%r not in %s' % (tpl['name'], key, value, doc[key]['choices'])


@pytest.mark.parametrize('tpl', TEMPLATES, ids=[t['name'] for t in TEMPLATES])
def test_template_credentials(tpl):
    roles = tpl.get('credentials', [])
    assert set(roles) <= {'machine', 'vault'}, '%s: unknown credential roles %s' % (tpl['name'], roles)
    assert len(roles) == len(set(roles))
    plays = _load(os.path.join(ROOT, tpl['playbook'])) if os.path.isfile(os.path.join(ROOT, tpl['playbook'])) else []
    touches_hosts = tpl['playbook'] == 'site.yml' or any(
        p.get('hosts') not in ('localhost', None) and not all(
            t.get('delegate_to') == 'localhost' for t in p.get('tasks', []) if isinstance(t, dict))
        for p in plays if 'hosts' in p)
    if touches_hosts:
        assert 'machine' in roles, '%s runs on managed hosts but gets no machine credential' % tpl['name']


def test_deploy_offers_check_mode_limit_and_tags():
    deploy = [t for t in TEMPLATES if t['playbook'] == 'site.yml']
    assert len(deploy) == 1
    d = deploy[0]
    # Check mode is AWX's job type "check" (ansible-playbook --check): no extra variable can switch Ansible's check mode.
    for key in ('ask_job_type_on_launch', 'ask_limit_on_launch', 'ask_tags_on_launch'):
        assert d.get(key) is True, 'the deploy template must prompt on launch: %s' % key
    assert d.get('job_type', 'run') == 'run'


# ---- surveys ------------------------------------------------------------------------------------------------------

def test_every_survey_file_is_used():
    files = {os.path.basename(p) for p in glob.glob(os.path.join(AWX, 'surveys', '*.yml'))}
    used = set(SURVEYS.values())
    assert used <= files, 'templates name missing survey files: %s' % sorted(used - files)
    assert files <= used, 'survey files no template uses: %s' % sorted(files - used)


def validate_survey(spec):
    """Problems AWX would raise when the survey is saved (API) or answered with its defaults (launch)."""
    problems = []
    for field, kind in (('name', str), ('description', str), ('spec', list)):
        if not isinstance(spec.get(field), kind):
            problems.append('%s must be a %s' % (field, kind.__name__))
    if problems:
        return problems
    if not spec['spec']:
        problems.append('spec has no question')
    seen = set()
    for idx, q in enumerate(spec['spec']):
        where = 'question %d (%s)' % (idx, q.get('variable'))
        missing = ['%s: %s must be a %s' % (where, key, kind.__name__)
                   for key, kind in (('type', str), ('question_name', str), ('variable', str), ('required', bool))
                   if not isinstance(q.get(key), kind)]
        if missing:
            problems.extend(missing)
            continue
        if not VARIABLE_RE.match(q['variable']):
            problems.append('%s: variable is not an Ansible variable name' % where)
        if q['variable'] in seen:
            problems.append('%s: variable used twice' % where)
        seen.add(q['variable'])
        qtype = q['type']
        if qtype not in AWX_TYPES:
            problems.append('%s: type %r is not one of %s' % (where, qtype, sorted(AWX_TYPES)))
            continue
        for key in ('min', 'max'):
            if key in q and q[key] is not None and (not isinstance(q[key], int) or isinstance(q[key], bool)):
                problems.append('%s: %s must be an integer' % (where, key))
        if isinstance(q.get('min'), int) and isinstance(q.get('max'), int) and q['min'] > q['max']:
            problems.append('%s: min > max' % where)
        has_default = 'default' in q and q['default'] not in ('', None)
        if has_default and (not isinstance(q['default'], AWX_TYPES[qtype]) or isinstance(q['default'], bool)):
            problems.append('%s: default %r is not a %s' % (where, q['default'], qtype))
            continue
        if qtype in ('multiplechoice', 'multiselect'):
            choices = q.get('choices')
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            if not choices or not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                problems.append('%s: %s needs a list of string choices' % (where, qtype))
                continue
            if len(set(choices)) != len(choices):
                problems.append('%s: duplicate choices' % where)
            if has_default:
                defaults = [d for d in q['default'].splitlines() if d.strip()]
                if qtype == 'multiplechoice' and len(defaults) > 1:
                    problems.append('%s: a multiple choice has one default' % where)
                if any(d not in choices for d in defaults):
                    problems.append('%s: default %r is not among the choices %s' % (where, q['default'], choices))
        elif qtype in ('integer', 'float') and has_default:
            if isinstance(q.get('min'), int) and q['default'] < q['min']:
                problems.append('%s: default %s below min %s' % (where, q['default'], q['min']))
            if isinstance(q.get('max'), int) and q['default'] > q['max']:
                problems.append('%s: default %s above max %s' % (where, q['default'], q['max']))
        elif qtype in ('text', 'textarea', 'password') and has_default:
            if qtype == 'password':
                problems.append('%s: a password question must not carry a default in the repository' % where)
            if isinstance(q.get('min'), int) and len(q['default']) < q['min']:
                problems.append('%s: default shorter than min %s' % (where, q['min']))
            if isinstance(q.get('max'), int) and len(q['default']) > q['max']:
                problems.append('%s: default longer than max %s' % (where, q['max']))
        if q['required'] and qtype in ('text', 'textarea') and q.get('min', 0) < 1 and not has_default:
            problems.append('%s: a required text question needs min >= 1 (AWX accepts an empty answer otherwise)' % where)
    return problems


@pytest.mark.parametrize('survey', sorted(set(SURVEYS.values())))
def test_survey_is_valid_for_awx(survey):
    problems = validate_survey(_load(os.path.join(AWX, 'surveys', survey)))
    assert not problems, '%s:\n  %s' % (survey, '\n  '.join(problems))


@pytest.mark.parametrize('bad, expected', [
    ({'name': 'x', 'description': '', 'spec': []}, 'no question'),
    ({'name': 'x', 'spec': [{'type': 'text', 'question_name': 'q', 'variable': 'v', 'required': False}]}, 'description'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'boolean', 'question_name': 'q', 'variable': 'v', 'required': True}]},
     'not one of'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'integer', 'question_name': 'q', 'variable': 'v', 'required': True,
                                                'default': 700, 'min': 1, 'max': 600}]}, 'above max'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'integer', 'question_name': 'q', 'variable': 'v', 'required': True,
                                                'default': '30'}]}, 'is not a integer'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'multiplechoice', 'question_name': 'q', 'variable': 'v',
                                                'required': True, 'default': 'maybe', 'choices': ['yes', 'no']}]},
     'not among the choices'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'multiplechoice', 'question_name': 'q', 'variable': 'v',
                                                'required': True}]}, 'needs a list'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'text', 'question_name': 'q', 'variable': 'v', 'required': True},
                                               {'type': 'text', 'question_name': 'r', 'variable': 'v', 'required': True,
                                                'min': 1}]}, 'used twice'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'text', 'question_name': 'q', 'variable': 'lvs-host',
                                                'required': True, 'min': 1}]}, 'not an Ansible variable name'),
    ({'name': 'x', 'description': '', 'spec': [{'type': 'text', 'question_name': 'q', 'variable': 'v', 'required': 'yes',
                                                'min': 1}]}, 'required must be a bool'),
])
def test_survey_validation_catches(bad, expected):
    problems = validate_survey(bad)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize('name', sorted(SURVEYS), ids=sorted(SURVEYS))
def test_survey_variables_are_read_by_the_playbook(name):
    tpl = [t for t in TEMPLATES if t['name'] == name][0]
    path = os.path.join(ROOT, tpl['playbook'])
    if not os.path.isfile(path):
        pytest.fail('%s: %s is not in the repository yet (owner: %s), its survey cannot be checked against it'
                    % (name, tpl['playbook'], OWNERS.get(tpl['playbook'], '?')))
    code = _code(path)
    # a playbook may read its variables by prefix, e.g. lookup('vars', 'verify_' ~ k) over a dict of defaults {tests: ...}
    prefixes = re.findall(r"""['"](\w+_)['"]\s*~""", code)
    spec = _load(os.path.join(AWX, 'surveys', tpl['survey']))['spec']
    for q in spec:
        var = q['variable']
        by_prefix = any(var.startswith(p) and re.search(r'^\s*%s:' % re.escape(var[len(p):]), code, re.M) for p in prefixes)
        assert re.search(r'\b%s\b' % re.escape(var), code) or by_prefix, (
            '%s: the survey asks for %s but %s never reads it' % (name, var, tpl['playbook']))


@pytest.mark.parametrize('name', sorted(SURVEYS), ids=sorted(SURVEYS))
def test_survey_defaults_equal_the_playbook_defaults(name):
    tpl = [t for t in TEMPLATES if t['name'] == name][0]
    path = os.path.join(ROOT, tpl['playbook'])
    if not os.path.isfile(path):
        pytest.fail('%s is not in the repository yet (owner: %s)' % (tpl['playbook'], OWNERS.get(tpl['playbook'], '?')))
    defaults = _play_defaults(path)
    for q in _load(os.path.join(AWX, 'surveys', tpl['survey']))['spec']:
        if q['variable'] not in defaults or 'default' not in q:
            continue
        mine, theirs = q['default'], defaults[q['variable']]
        if q['type'] == 'multiselect':
            mine = [c for c in mine.splitlines() if c.strip()]
        if isinstance(theirs, bool):
            assert mine in ('yes', 'no', 'true', 'false'), '%s: %s is a boolean in the playbook' % (name, q['variable'])
            mine = mine in ('yes', 'true')
        assert mine == theirs, '%s: survey default %s=%r differs from the playbook default %r' % (
            name, q['variable'], q['default'], theirs)


def test_survey_variables_fit_role_argument_specs():
    """A survey variable that a role also reads must have a type, choices and default that role accepts."""
    options = {}
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')):
        for entry in (_load(path).get('argument_specs') or {}).values():
            for opt, spec in (entry.get('options') or {}).items():
                options[opt] = (path, spec)
    assert options, 'no role argument_specs found under roles/'
    compatible = {'integer': ('int',), 'float': ('float',), 'text': ('str', 'path', 'raw'), 'textarea': ('str', 'raw'),
                  'password': ('str', 'raw'), 'multiplechoice': ('str', 'bool', 'raw'), 'multiselect': ('list', 'raw')}
    for survey in sorted(set(SURVEYS.values())):
        for q in _load(os.path.join(AWX, 'surveys', survey))['spec']:
            if q['variable'] not in options:
                continue
            path, spec = options[q['variable']]
            kind = spec.get('type', 'str')
            assert kind in compatible[q['type']], '%s: %s is a %s in %s' % (survey, q['variable'], kind, path)
            if 'choices' in spec and q['type'] == 'multiplechoice':
                assert set(q['choices']) <= {str(c) for c in spec['choices']}, '%s: choices outside %s' % (survey, path)


# ---- workflows ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('wf', WORKFLOWS, ids=[w['name'] for w in WORKFLOWS])
def test_workflow_graph(wf):
    nodes = {n['identifier']: n for n in wf['nodes']}
    assert len(nodes) == len(wf['nodes']), 'duplicate node identifiers'
    names = {t['name']: t for t in TEMPLATES}
    children = set()
    for n in wf['nodes']:
        assert n['job_template'] in names, '%s: node %s runs unknown template %r' % (wf['name'], n['identifier'], n['job_template'])
        for nxt in n.get('success', []):
            assert nxt in nodes, '%s: node %s links to unknown node %s' % (wf['name'], n['identifier'], nxt)
            children.add(nxt)
        if wf.get('ask_limit_on_launch'):
            assert names[n['job_template']].get('ask_limit_on_launch'), (
                '%s asks for a limit but %s would ignore it' % (wf['name'], n['job_template']))
    roots = [i for i in nodes if i not in children]
    assert len(roots) == 1, '%s: expected one start node, got %s' % (wf['name'], roots)
    chain, node = [], roots[0]
    while node:
        assert node not in chain, '%s: cycle at %s' % (wf['name'], node)
        chain.append(node)
        nxt = nodes[node].get('success', [])
        node = nxt[0] if nxt else None
    assert len(chain) == len(nodes), '%s: nodes not on the success chain: %s' % (wf['name'], set(nodes) - set(chain))


def test_validate_deploy_verify_workflow():
    names = {t['name']: t['playbook'] for t in TEMPLATES}
    chains = []
    for wf in WORKFLOWS:
        nodes = {n['identifier']: n for n in wf['nodes']}
        start = [i for i in nodes if not any(i in n.get('success', []) for n in wf['nodes'])][0]
        chain = []
        while start:
            chain.append(names[nodes[start]['job_template']])
            start = (nodes[start].get('success') or [None])[0]
        chains.append(chain)
    assert ['playbooks/validate.yml', 'site.yml', 'playbooks/verify_cluster.yml'] in chains


# ---- awx/configure.yml, rendered by Ansible -----------------------------------------------------------------------

def _spec_from_doc(options):
    spec = {}
    for name, opt in options.items():
        entry = {'type': opt.get('type', 'str')}
        for key in ('choices', 'elements', 'aliases'):
            if key in opt:
                entry[key] = opt[key]
        if 'suboptions' in opt:
            entry['options'] = _spec_from_doc(opt['suboptions'])
        spec[name] = entry
    return spec


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    """Run the job_template and workflow tasks of configure.yml through ansible-playbook with debug instead of awx.awx."""
    tmp = tmp_path_factory.mktemp('awx')
    jt_task, jt_args = _task_args(CONFIGURE, 'awx.awx.job_template')
    wf_task, wf_args = _task_args(CONFIGURE, 'awx.awx.workflow_job_template')
    play = {
        'name': 'Render', 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars_files': [os.path.join(AWX, f) for f in CONFIGURE['vars_files']],
        'vars': CONFIGURE['vars'],
        'tasks': [
            {'name': 'jt', 'ansible.builtin.debug': {'msg': jt_args}, 'loop': jt_task['loop'], 'register': 'jt'},
            {'name': 'wf', 'ansible.builtin.debug': {'msg': wf_args}, 'loop': wf_task['loop'], 'vars': wf_task.get('vars', {}),
             'register': 'wf'},
            {'name': 'dump', 'ansible.builtin.copy': {
                'content': "{{ {'jt': jt.results | map(attribute='msg') | list, 'wf': wf.results | map(attribute='msg') | list}"
                           " | to_json }}", 'dest': str(tmp / 'out.json'), 'mode': '0600'}},
        ],
    }
    os.symlink(os.path.join(AWX, 'surveys'), str(tmp / 'surveys'))  # lookup('file', playbook_dir ~ '/surveys/...')
    pb = tmp / 'render.yml'
    pb.write_text(yaml.safe_dump([play]))
    bindir = os.path.dirname(sys.executable)
    exe = os.path.join(bindir, 'ansible-playbook')
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([exe if os.path.exists(exe) else 'ansible-playbook', str(pb), '-i', 'localhost,',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    with open(str(tmp / 'out.json')) as f:
        return json.load(f)


def test_configure_renders_valid_job_template_arguments(rendered):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    validator = ArgumentSpecValidator(_spec_from_doc(_awx_module_doc('job_template')['options']))
    assert len(rendered['jt']) == len(TEMPLATES)
    for tpl, args in zip(TEMPLATES, rendered['jt']):
        result = validator.validate(args)
        assert not result.error_messages, '%s: %s' % (tpl['name'], result.error_messages)
        assert args['playbook'] == tpl['playbook']
        assert args['survey_enabled'] is ('survey' in tpl)
        if 'survey' in tpl:
            assert args['survey_spec'] == _load(os.path.join(AWX, 'surveys', tpl['survey']))
        assert len(args['credentials']) == len(tpl.get('credentials', []))


def test_configure_renders_valid_workflow_arguments(rendered):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    validator = ArgumentSpecValidator(_spec_from_doc(_awx_module_doc('workflow_job_template')['options']))
    assert len(rendered['wf']) == len(WORKFLOWS)
    for wf, args in zip(WORKFLOWS, rendered['wf']):
        result = validator.validate(args)
        assert not result.error_messages, '%s: %s' % (wf['name'], result.error_messages)
        got = {n['identifier']: (n['unified_job_template']['name'], [s['identifier'] for s in n['related']['success_nodes']])
               for n in args['workflow_nodes']}
        assert got == {n['identifier']: (n['job_template'], n.get('success', [])) for n in wf['nodes']}


def test_configure_uses_documented_module_options():
    """Every awx.awx task of configure.yml passes only options its module documents (typos would fail against AWX)."""
    checked = 0
    for task in CONFIGURE['tasks']:
        for key, args in task.items():
            if not key.startswith('awx.awx.'):
                continue
            options = _awx_module_doc(key.split('.')[-1])['options']
            known = set(options) | {a for o in options.values() for a in o.get('aliases', [])}
            unknown = set(args) - known
            assert not unknown, '%s (%s): unknown options %s' % (task['name'], key, sorted(unknown))
            checked += 1
    assert checked >= 9
    defaults = CONFIGURE['module_defaults']['group/awx.awx.controller']
    for option in defaults:
        assert option in ('controller_host', 'controller_username', 'controller_password', 'controller_oauthtoken',
                          'validate_certs'), option
        assert 'default(omit)' in defaults[option], '%s must come from the environment unless given: %s' % (option, defaults[option])


# Playbooks of the AWX/day-2 work: each checks its own variables with ansible.builtin.validate_argument_spec.
SPEC_CHECKED = ('playbooks/status.yml', 'playbooks/rolling_update.yml', 'playbooks/failover_drill.yml',
                'playbooks/add_realserver.yml')


def _argument_spec(path):
    for play in _load(path):
        for task in play.get('tasks', []):
            if 'ansible.builtin.validate_argument_spec' in task:
                return task['ansible.builtin.validate_argument_spec']['argument_spec']
    return None


SPEC_SURVEYS = sorted(t['name'] for t in TEMPLATES if 'survey' in t and t['playbook'] in SPEC_CHECKED)


@pytest.mark.parametrize('name', SPEC_SURVEYS, ids=SPEC_SURVEYS)
def test_survey_matches_the_playbook_argument_spec(name):
    """Survey types, required flags and defaults must pass the playbook's own validate_argument_spec."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    tpl = [t for t in TEMPLATES if t['name'] == name][0]
    path = os.path.join(ROOT, tpl['playbook'])
    if not os.path.isfile(path):
        pytest.fail('%s is not in the repository yet (owner: %s)' % (tpl['playbook'], OWNERS.get(tpl['playbook'], '?')))
    spec = _argument_spec(path)
    assert spec, '%s lost its validate_argument_spec task' % tpl['playbook']
    compatible = {'integer': 'int', 'float': 'float', 'text': 'str', 'textarea': 'str', 'password': 'str',
                  'multiplechoice': ('str', 'bool'), 'multiselect': 'list'}
    answers = {}
    for q in _load(os.path.join(AWX, 'surveys', tpl['survey']))['spec']:
        assert q['variable'] in spec, '%s: %s is asked but not in the argument spec of %s' % (name, q['variable'], tpl['playbook'])
        kind = spec[q['variable']].get('type', 'str')
        assert kind in compatible[q['type']], '%s: %s is a %s question but a %s argument' % (name, q['variable'], q['type'], kind)
        if spec[q['variable']].get('required'):
            assert q['required'], '%s: %s is required by the playbook but optional in the survey' % (name, q['variable'])
        if 'default' in q:
            answers[q['variable']] = q['default'].splitlines() if q['type'] == 'multiselect' else q['default']
        elif q['required']:
            answers[q['variable']] = {'integer': q.get('min', 0), 'float': 0.0}.get(q['type'], 'x' * max(q.get('min', 1), 1))
    for var in spec:
        if spec[var].get('required'):
            assert var in answers, '%s: the survey does not ask for %s, which %s requires' % (name, var, tpl['playbook'])
    result = ArgumentSpecValidator(spec).validate(answers)
    assert not result.error_messages, '%s: survey defaults fail the playbook argument spec: %s' % (name, result.error_messages)


def test_spec_checked_playbooks_have_an_argument_spec():
    for path in SPEC_CHECKED:
        spec = _argument_spec(os.path.join(ROOT, path))
        assert spec, '%s has no validate_argument_spec task' % path
        defaults = _play_defaults(os.path.join(ROOT, path))
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
        values = {k: v for k, v in defaults.items() if k in spec}
        values.update({k: 'placeholder' for k, v in spec.items() if v.get('required') and k not in values})
        result = ArgumentSpecValidator(spec).validate(values)
        assert not result.error_messages, '%s: its own defaults fail its argument spec: %s' % (path, result.error_messages)
