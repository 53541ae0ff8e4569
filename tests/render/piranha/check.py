# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render checks of lvs.cluster.director_piranha, through the real cluster_model plugin and the real role.

The role runs in config-only mode on the controller (connection local) and writes each director's lvs.cf under a
temporary directory. What is checked:

1. The seed topology renders the seed chapter's lvs.cf, key by key (serial_no excepted), on both directors.
2. The lab inventory with lvs_backend switched to piranha renders the same keys as the seed, with the values its
   own settings imply.
3. A matrix of model variants (NAT + sync + timeouts + persistence + sorry server, tunnel + fwmark + misc checks,
   a single director) renders what each variant means; every file passes the strict validator; directors of one
   cluster get byte-identical files; a second run changes nothing; a check-mode run on a fresh host writes nothing.
4. serial_no is the same when nothing changes and changes when the content changes.
5. Clusters that piranha cannot run, and piranha on a system without a piranha package, stop with a clear message.

Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'plugins', 'module_utils'))
import _lvscf  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, os.path.join(ROOT, 'tests', 'daemons', 'piranha'))
import build as piranha_build  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(HERE, 'render.yml')
INV = os.path.join(HERE, 'inventories')
ANSIBLE_PLAYBOOK = os.environ.get('ANSIBLE_PLAYBOOK') or shutil.which('ansible-playbook') or 'ansible-playbook'
FAILURES = []
JUDGE = []   # piranha's own parser (tests/daemons/piranha/build.py), when its tarball is present


def fail(message):
    FAILURES.append(message)
    print('FAIL: %s' % message)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


def run(inventories, out, *extra):
    cmd = [ANSIBLE_PLAYBOOK, PLAYBOOK, '-e', 'render_out=%s' % out]
    for inv in inventories:
        cmd += ['-i', inv]
    cmd += list(extra)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_STDOUT_CALLBACK='default', ANSIBLE_RETRY_FILES_ENABLED='0')
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    recap = dict((m.group(1), dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', m.group(2))))
                 for m in re.finditer(r'^(\S+)\s+:\s+(ok=.*)$', proc.stdout, re.M))
    return proc.returncode, proc.stdout, recap


def load(out, host):
    path = os.path.join(out, host, 'lvs.cf')
    with open(path) as handle:
        return handle.read(), os.stat(path)


def flat(text):
    """{'global.key': value, 'virtual[NAME].key': value, 'virtual[NAME].server[NAME].key': value}."""
    parsed = _lvscf.parse_settings(text)
    out = dict(('global.%s' % k, v) for k, v in parsed['global'].items())
    for vs in parsed['virtual']:
        out['virtual'] = out.get('virtual', ()) + (vs['name'],)
        for k, v in vs['settings'].items():
            out['virtual[%s].%s' % (vs['name'], k)] = v
        for srv in vs['servers']:
            for k, v in srv['settings'].items():
                out['virtual[%s].server[%s].%s' % (vs['name'], srv['name'], k)] = v
    return out


def check_file(out, host):
    text, st = load(out, host)
    errors = _lvscf.validate_text(text)
    check(not errors, '%s: rendered lvs.cf is not valid:\n  %s' % (host, '\n  '.join(str(e) for e in errors)))
    warnings = [e for e in _lvscf.check_text(text) if e.severity == 'warning']
    check(not warnings, '%s: rendered lvs.cf has warnings:\n  %s' % (host, '\n  '.join(str(e) for e in warnings)))
    if JUDGE:
        result = piranha_build.judge_text(JUDGE[0], text)
        check(result['rc'] == 0, '%s: piranha\'s own parser refuses the rendered lvs.cf at line %d: %s' % (host, result['line'], result['error']))
    check(oct(st.st_mode & 0o777) == '0o600' and st.st_uid == 0 and st.st_gid == 0,
          '%s: lvs.cf must be root:root 0600 without a piranha group, got %o %d:%d' % (host, st.st_mode & 0o777, st.st_uid, st.st_gid))
    check(text.startswith('#\n# Ansible managed\n#\n'), '%s: lvs.cf must start with the ansible_managed comment' % host)
    body = text.split('\n', 4)[4]
    serial = int(re.search(r'^serial_no = (\d+)$', text, re.M).group(1))
    check(1 <= serial <= _lvscf.INT_MAX, '%s: serial_no %d out of int range' % (host, serial))
    return text, flat(text), body


def same_files(out, hosts):
    texts = [load(out, h)[0] for h in hosts]
    return check(all(t == texts[0] for t in texts), 'directors %s must get identical lvs.cf files' % ', '.join(hosts))


def main():
    work = tempfile.mkdtemp(prefix='piranha-render-')
    try:
        return _main(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_role_docs():
    """meta/argument_specs.yml, defaults/main.yml and the README variable table must agree."""
    import yaml  # pylint: disable=import-outside-toplevel
    role = os.path.join(ROOT, 'roles', 'director_piranha')
    with open(os.path.join(role, 'meta', 'argument_specs.yml')) as handle:
        options = yaml.safe_load(handle)['argument_specs']['main']['options']
    with open(os.path.join(role, 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(role, 'README.md')) as handle:
        readme = handle.read()
    check(sorted(options) == sorted(defaults), 'argument_specs options %s differ from defaults %s' % (sorted(options), sorted(defaults)))
    for name, spec in options.items():
        templated = isinstance(defaults.get(name), str) and '{{' in defaults[name]
        check(spec.get('default') == defaults.get(name) or (templated and 'default' not in spec),
              '%s: argument_specs default %r != defaults/main.yml %r' % (name, spec.get('default'), defaults.get(name)))
        check('| `%s` |' % name in readme, '%s is missing from the README variable table' % name)


def _main(work):
    check_role_docs()
    if piranha_build.tarball():
        JUDGE.append(piranha_build.build())
        print('piranha\'s parser (%s) judges every rendered lvs.cf' % JUDGE[0])
    seed_inv = os.path.join(INV, 'seed', 'hosts.yml')
    matrix_inv = os.path.join(INV, 'matrix', 'hosts.yml')
    out = os.path.join(work, 'main')

    # -- 1 + 3: seed and matrix together, twice (the second run must change nothing) --------------------------------
    rc, log, recap = run([seed_inv, matrix_inv], out)
    if not check(rc == 0, 'rendering the seed and matrix inventories failed:\n%s' % log[-4000:]):
        return 1
    hosts = ['DR1', 'DR2', 'nat-a', 'nat-b', 'tun-a', 'tun-b', 'solo']
    check(sorted(recap) == sorted(hosts), 'unexpected hosts in the recap: %s' % sorted(recap))
    files = dict((h, check_file(out, h)) for h in hosts)

    with open(os.path.join(INV, 'seed', 'expected.cf')) as handle:
        expected = flat(handle.read())
    got = files['DR1'][1]
    for key in sorted(set(expected) | set(got)):
        if key == 'global.serial_no':
            continue
        check(expected.get(key) == got.get(key), 'seed: %s expected %r, rendered %r' % (key, expected.get(key), got.get(key)))
    same_files(out, ['DR1', 'DR2'])

    nat, tun, solo = files['nat-a'][1], files['tun-a'][1], files['solo'][1]
    same_files(out, ['nat-a', 'nat-b'])
    same_files(out, ['tun-a', 'tun-b'])
    for key, value in {
        'global.network': 'nat', 'global.nat_router': '198.51.100.1 eth1:0', 'global.nat_nmask': '255.255.255.0',
        'global.syncdaemon': '1', 'global.syncd_iface': 'eth0', 'global.syncd_id': '7', 'global.tcp_timeout': '900',
        'global.tcpfin_timeout': '120', 'global.udp_timeout': '300', 'global.monitor_links': '1', 'global.debug_level': 'LOW',
        'global.deadtime': '8', 'virtual': ('web', 'tls', 'api'),
        'virtual[web].address': '203.0.113.130 eth0:0', 'virtual[tls].address': '203.0.113.130 eth0:0',
        'virtual[api].address': '203.0.113.131 eth0:1', 'virtual[web].persistent': '300', 'virtual[web].pmask': '255.255.255.0',
        'virtual[web].send': r'GET /health HTTP/1.0\r\nHost: www.example.com\r\n\r\n',
        'virtual[web].expect': '^HTTP/1.[01] 204', 'virtual[web].use_regex': '1', 'virtual[web].scheduler': 'wlc',
        'virtual[web].timeout': '4', 'virtual[web].reentry': '10', 'virtual[web].sorry_server': '198.51.100.50',
        'virtual[web].server[nat-rs1].port': '8080', 'virtual[web].server[nat-rs1].weight': '3',
        'virtual[web].server[nat-rs2].weight': '2', 'virtual[api].server[nat-rs1].weight': '0',
        'virtual[api].send': r'PING\r\n', 'virtual[api].expect': 'PONG', 'virtual[tls].scheduler': 'lc',
    }.items():
        check(nat.get(key) == value, 'nat: %s expected %r, rendered %r' % (key, value, nat.get(key)))
    check('virtual[tls].send' not in nat and 'virtual[tls].server[nat-rs1].port' not in nat,
          'nat: a tcp check has no send/expect and equal ports need no server port')
    for key, value in {
        'global.network': 'tunnel', 'global.primary': '203.0.113.42', 'global.backup': '203.0.113.41',
        'virtual[shop].address': '203.0.113.100 ens3:0', 'virtual[shop].vip_nmask': '255.255.255.0',
        'virtual[shop].fwmark': '80', 'virtual[shop].port': '443', 'virtual[shop].persistent': '1800',
        'virtual[shop].send_program': '/usr/local/bin/check_shop %h', 'virtual[shop].expect': 'OK',
        'virtual[shop].scheduler': 'sh', 'virtual[dns].protocol': 'udp', 'virtual[dns].address': '203.0.113.101 ens3:1',
        'virtual[dns].send_program': '/usr/local/bin/check_dns %h example.com',
        'virtual[shop].server[shop1.example.net].address': '203.0.113.21',
    }.items():
        check(tun.get(key) == value, 'tun: %s expected %r, rendered %r' % (key, value, tun.get(key)))
    check(not any(k.startswith('global.nat') or k.startswith('global.sync') for k in tun), 'tun: no NAT or sync keys expected')
    for key, value in {'global.backup_active': '0', 'global.heartbeat': '0', 'virtual[mail].reentry': '10',
                       'virtual[mail].timeout': '5', 'virtual[mail].scheduler': 'wlc'}.items():
        check(solo.get(key) == value, 'solo: %s expected %r, rendered %r' % (key, value, solo.get(key)))
    check('global.backup' not in solo, 'solo: a single director has no backup line')
    serials = set(f[1]['global.serial_no'] for f in files.values())
    check(len(serials) == 4, 'four different clusters must get four different serial numbers, got %s' % sorted(serials))

    rc, log, recap = run([seed_inv, matrix_inv], out)
    check(rc == 0 and recap and all(r.get('changed') == 0 for r in recap.values()),
          'second run must change nothing (idempotence), recap: %s\n%s' % (json.dumps(recap), log[-3000:] if rc else ''))
    for host in hosts:
        check(load(out, host)[0] == files[host][0], '%s: second run changed lvs.cf' % host)

    fresh = os.path.join(work, 'check-mode')
    rc, log, recap = run([seed_inv], fresh, '--check', '--diff')
    check(rc == 0 and all(r.get('changed', 0) > 0 for r in recap.values()),
          'check mode on a fresh host must succeed and report changes:\n%s' % log[-3000:])
    check('+serial_no = %s' % files['DR1'][1]['global.serial_no'] in log, 'check mode --diff must show the new lvs.cf')
    check(not os.path.exists(os.path.join(fresh, 'DR1', 'lvs.cf')), 'check mode must not write lvs.cf')

    # -- 4: serial_no follows the content -----------------------------------------------------------------------------
    changed = os.path.join(work, 'changed')
    rc, log = run([seed_inv], changed, '-e', json.dumps({'lvs_piranha': {'keepalive': 6, 'deadtime': 10}}))[:2]
    if check(rc == 0, 'rendering the seed with keepalive 6 failed:\n%s' % log[-3000:]):
        other = check_file(changed, 'DR1')
        diff = sorted(k for k in set(other[1]) | set(got) if other[1].get(k) != got.get(k))
        check(diff == ['global.keepalive', 'global.serial_no'],
              'changing keepalive must change exactly keepalive and serial_no, changed: %s' % diff)

    # -- 2: the lab inventory switched to piranha ----------------------------------------------------------------------
    lab = os.path.join(work, 'lab')
    rc, log = run([os.path.join(ROOT, 'inventories', 'lab')], lab, '-e', 'lab_backend=piranha')[:2]
    if check(rc == 0, 'rendering the lab inventory with lab_backend=piranha failed:\n%s' % log[-3000:]):
        lab_files = dict((h, check_file(lab, h)) for h in ('dr1', 'dr2'))
        same_files(lab, ['dr1', 'dr2'])
        rename = {'www.ixdba.net': 'www', 'RS1': 'rs1', 'RS2': 'rs2'}

        def seed_key(key):
            for old, new in rename.items():
                key = key.replace('[%s]' % old, '[%s]' % new)
            return key
        lab_flat = lab_files['dr1'][1]
        import yaml  # pylint: disable=import-outside-toplevel
        with open(os.path.join(ROOT, 'inventories', 'lab', 'group_vars', 'web_directors.yml')) as handle:
            lab_hc = yaml.safe_load(handle)['lvs_virtual_services'][0]['health_check']
        lab_expect = lab_hc.get('expect') or '^HTTP/1.[01] %s' % lab_hc.get('status_code', 200)
        check(set(seed_key(k) for k in expected) == set(lab_flat),
              'lab: the keys must be the seed\'s: missing %s, extra %s' % (
                  sorted(set(seed_key(k) for k in expected) - set(lab_flat)),
                  sorted(set(lab_flat) - set(seed_key(k) for k in expected))))
        # Values that differ from the seed, and why (inventories/lab sets them):
        because = {
            'global.primary': '203.0.113.11', 'global.backup': '203.0.113.12',        # lab addresses
            'virtual[www].address': '203.0.113.100 eth0:0',
            'virtual[www].server[rs1].address': '203.0.113.21', 'virtual[www].server[rs2].address': '203.0.113.22',
            'global.keepalive': '1', 'global.deadtime': '5',                           # inventories/lab/piranha.yml
            'virtual[www].expect': lab_expect, 'virtual[www].use_regex': '0' if lab_hc.get('expect') else '1',  # health_check
            'virtual[www].timeout': '2',                                               # health_check.timeout
            'virtual[www].reentry': '2',                                               # interval 2 x retry 1
            'virtual': ('www',),
        }
        for key, value in expected.items():
            key = seed_key(key)
            if key == 'global.serial_no':
                continue
            want = because.get(key, value)
            check(lab_flat.get(key) == want, 'lab: %s expected %r, rendered %r' % (key, want, lab_flat.get(key)))

    # -- 5: what must stop ---------------------------------------------------------------------------------------------
    neg = os.path.join(work, 'negative')
    rc, log, recap = run([os.path.join(INV, 'negative', 'hosts.yml'), seed_inv], neg, '-e', 'director_piranha_config_only=false')
    check(rc != 0, 'the negative inventory must fail')
    for host in ('v6-a', 'v6-b', 'three-a', 'three-b', 'three-c', 'mark-a', 'sorry-a', 'DR1', 'DR2'):
        check(recap.get(host, {}).get('failed') == 1, '%s must fail, recap %s' % (host, recap.get(host)))
    flat_log = re.sub(r'\s+', ' ', log)
    for needle in ('lvs_virtual_services[0].vip: piranha supports only IPv4',
                   'piranha runs exactly one primary and at most one backup director, the cluster three has 3',
                   'lvs_virtual_services[0].fwmark: piranha reads the mark as a signed int',
                   'lvs_virtual_services[0].sorry_server.port (host sorry-a): must equal the virtual port (80)',
                   'lvs_virtual_services[1].health_check.expect: required for a misc check',
                   'piranha (pulse, lvsd, nanny) is packaged only for RHEL/CentOS up to 6'):
        check(needle in flat_log, 'negative run must report %r' % needle)
    check(not os.path.exists(neg), 'nothing may be written for hosts that stop')

    print('piranha render checks: %s' % ('%d failure(s)' % len(FAILURES) if FAILURES else 'all passed'))
    return 1 if FAILURES else 0


if __name__ == '__main__':
    sys.exit(main())
