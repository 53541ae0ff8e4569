"""Offline stand-in for ansible-test's get-pip bootstrap (ci-files.testing.ansible.com is unreachable here).

ansible-test runs this file as ``python get_pip.py <pip install options> pip==X ...`` inside a fresh virtual
environment. We install the pip wheel bundled with CPython (ensurepip) in a child process, then let that pip
install what was asked from the machine's configured package index, also in a child process.
"""
import subprocess
import sys

# get-pip.py's own options (--no-setuptools, --no-wheel) mean "do not install those": pip has no such flags.
ARGS = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + ARGS))
