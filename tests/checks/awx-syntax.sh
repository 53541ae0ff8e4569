#!/usr/bin/env bash
# Every playbook an AWX job template runs, and awx/configure.yml itself, must pass `ansible-playbook --syntax-check`
# against both shipped inventories (the job templates run them against inventories imported from inventories/).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/.venv/bin"
[[ -x "$BIN/ansible-playbook" ]] || BIN=$(dirname "$(command -v ansible-playbook)")
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
cd "$ROOT"

mapfile -t playbooks < <("$BIN/python" -c '
import yaml
for t in yaml.safe_load(open("awx/job_templates.yml"))["lvs_awx_job_templates"]:
    print(t["playbook"])' | sort -u)
failed=0
for pb in awx/configure.yml "${playbooks[@]}"; do
  if [[ ! -f $pb ]]; then
    echo "FAIL: $pb (run by an AWX job template) is not in the repository" >&2; failed=1; continue
  fi
  for inv in inventories/prod inventories/lab; do
    if ! out=$("$BIN/ansible-playbook" --syntax-check -i "$inv" "$pb" 2>&1); then
      echo "FAIL: $pb -i $inv" >&2; echo "$out" >&2; failed=1
    fi
  done
done
[[ $failed == 0 ]] || exit 1
echo "ok: --syntax-check passes for awx/configure.yml and ${#playbooks[@]} job-template playbooks on inventories/prod and inventories/lab"
