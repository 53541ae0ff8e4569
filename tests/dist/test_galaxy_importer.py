# -*- coding: utf-8 -*-
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""galaxy-importer (what Galaxy and Automation Hub run on an upload) on the built tarball: no error, no warning.

galaxy-importer pins its own ansible-lint and ansible-core, so it lives in a virtual environment of its own:
GALAXY_IMPORTER_PYTHON names its interpreter (default: $TMPDIR/lvs-galaxy-importer/bin/python, made by
`python3 -m venv DIR && DIR/bin/pip install galaxy-importer`). The configuration written here runs no container
(run_ansible_test = False: Galaxy's own ansible-test image is not reachable; `make sanity` and tests/matrix run
ansible-test) and lints offline. Without the importer the test is skipped (`make galaxy-importer` installs it and runs this).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BIN = os.path.dirname(sys.executable)
IMPORTER_PYTHON = os.environ.get('GALAXY_IMPORTER_PYTHON', os.path.join(tempfile.gettempdir(), 'lvs-galaxy-importer', 'bin', 'python'))
CONFIG = '''[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
CHECK_CHANGELOG = True
REQUIRE_V1_OR_GREATER = True
'''


def _have_importer():
    if not os.path.exists(IMPORTER_PYTHON):
        return False
    return subprocess.run([IMPORTER_PYTHON, '-c', 'import galaxy_importer'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


@pytest.mark.slow
def test_galaxy_importer_accepts_the_tarball_without_warning(tmp_path):
    if not _have_importer():
        message = 'galaxy-importer is not installed for %s (python3 -m venv DIR && DIR/bin/pip install galaxy-importer)' % IMPORTER_PYTHON
        pytest.skip(message)
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith('ANSIBLE_'))
    build = subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(tmp_path), ROOT], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert build.returncode == 0, build.stdout
    tarball = glob.glob(str(tmp_path / 'lvs-cluster-*.tar.gz'))[0]
    (tmp_path / 'galaxy-importer.cfg').write_text(CONFIG)
    # the importer runs ansible-doc and ansible-lint from its own environment
    env['PATH'] = os.path.dirname(IMPORTER_PYTHON) + os.pathsep + env.get('PATH', '')
    env['GALAXY_IMPORTER_CONFIG'] = str(tmp_path / 'galaxy-importer.cfg')
    res = subprocess.run([IMPORTER_PYTHON, '-m', 'galaxy_importer.main', tarball], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=1200)
    print(res.stdout)
    findings = [line for line in res.stdout.splitlines() if line.startswith(('WARNING', 'ERROR'))]
    assert res.returncode == 0, res.stdout[-4000:]
    assert 'Importer processing completed successfully' in res.stdout
    assert findings == []
