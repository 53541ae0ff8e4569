#!/usr/bin/env bash
# Render checks of lvs.cluster.director_piranha (issue 7): seed equivalence, lab inventory with lvs_backend piranha,
# a matrix of model variants (all accepted by the strict validator), idempotence, check mode, serial_no behaviour,
# and the clusters/systems that must stop. About 2 minutes; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv_bin="${VENV_BIN:-$PWD/.venv/bin}"
if [[ -x "$venv_bin/ansible-playbook" ]]; then
    export PATH="$venv_bin:$PATH"
fi
ANSIBLE_PLAYBOOK="$(command -v ansible-playbook)"
export ANSIBLE_PLAYBOOK
exec timeout 900 python3 tests/render/piranha/check.py
