#!/usr/bin/env bash
# The Red Hat install path of lvs.cluster.director_piranha, as far as it can be exercised without an EL system
# (no container registry here, and piranha exists only for RHEL/CentOS <= 6):
#  1. the role's task list in install mode, in order (packages, sysctl, checker, lvs.cf, console, pulse);
#  2. a check-mode run on this machine with the facts of a CentOS 6 host injected (extra var ansible_facts):
#     the role takes the Red Hat branch (not the "no piranha package" stop), probes for installed packages and then
#     the repositories, and stops with the "no repository provides piranha" message; nothing is written.
# Package installation, sysctl, the console password and the pulse service are NOT executed by any test here.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv_bin="${VENV_BIN:-$PWD/.venv/bin}"
[[ -x "$venv_bin/ansible-playbook" ]] && export PATH="$venv_bin:$PATH"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inv=tests/render/piranha/inventories/seed/hosts.yml
play=tests/render/piranha/render.yml
fail=0

ansible-playbook -i "$inv" "$play" -e render_out="$work/out" -e director_piranha_config_only=false --list-tasks >"$work/tasks" 2>&1
expected=(
  "Resolve the LVS model for this host"
  "Check the rendered lvs.cf against piranha's grammar"
  "Stop on systems without a piranha package"
  "Look for installed piranha packages"
  "Look for piranha in the package repositories"
  "Stop when no repository provides piranha"
  "Install piranha and ipvsadm"
  "Enable IP forwarding for NAT (both directors)"
  "Install the lvs.cf checker"
  "Write lvs.cf (identical on both directors)"
  "Write the web console password file"
  "Enable and start the web console"
  "Stop and disable the web console"
  "Enable and start pulse"
)
sed -n 's/^ *lvs.cluster.director_piranha : \(.*\)\tTAGS.*/\1/p' "$work/tasks" >"$work/names"
last=0
for name in "${expected[@]}"; do
    line=$(grep -nxF -- "$name" "$work/names" | head -1 | cut -d: -f1 || true)
    if [[ -z "$line" || "$line" -le "$last" ]]; then
        echo "FAIL: task '$name' missing or out of order in the install-mode task list"; fail=1
    else
        last=$line
    fi
done

facts='{"ansible_facts": {"os_family": "RedHat", "distribution": "CentOS", "distribution_major_version": "6",
        "python": {"executable": "'"$(command -v python3)"'"}}}'
set +e
ansible-playbook -i "$inv" "$play" -e render_out="$work/el" -e director_piranha_config_only=false -e "$facts" \
    --check >"$work/el.log" 2>&1
rc=$?
set -e
log=$(tr -s ' \n' ' ' <"$work/el.log")
check() { if ! grep -qF -- "$1" <<<"$log"; then echo "FAIL: EL check-mode run: expected '$1'"; fail=1; fi; }
[[ $rc -ne 0 ]] || { echo "FAIL: the EL run without a piranha repository must stop"; fail=1; }
check "TASK [lvs.cluster.director_piranha : Look for piranha in the package repositories]"
check "No configured repository of DR1 (CentOS 6) provides the piranha package"
if grep -qF "packaged only for RHEL/CentOS up to 6" <<<"$log"; then
    echo "FAIL: a Red Hat host must take the install branch, not the 'no piranha package' stop"; fail=1
fi
[[ ! -e "$work/el" ]] || { echo "FAIL: the EL check-mode run wrote files"; fail=1; }

if [[ $fail -ne 0 ]]; then
    echo "--- task list"; cat "$work/names"; echo "--- EL run"; tail -40 "$work/el.log"
    exit 1
fi
echo "piranha EL path checks: all passed"
