#!/usr/bin/env bash
# The RHEL 8/9 family branch of director_keepalived, realserver_dr and director_heartbeat_ldirectord, as far as it can
# be exercised without an EL system (no container registry here, the lab VMs are Debian).
# For Rocky 9, Rocky 8, RHEL 9 and RHEL 8 facts (os_family RedHat, pkg_mgr dnf, service_mgr systemd), injected with
# -e ansible_facts=..., tests/render/el/probe.yml runs each real role in check mode on this machine (connection local):
#  1. each role loads vars/RedHat.yml through its own first_found task (checked in the -v log), and the values it
#     resolves are the EL ones (packages, service, paths, nologin shell, validate command, package query);
#  2. keepalived and realserver_dr reach their package task, which dispatches to the dnf module with the EL package
#     list and stops there (this Debian machine has no dnf); heartbeat stops at its host check with the message that
#     asks for director_heartbeat_ldirectord_packages, and with that list set it queries rpm and reaches dnf too.
# Every role stops before its first task that could write (and the run is in check mode anyway); the only files
# written are the probe's records in a temp dir. Nothing is installed, no service is touched.
# The vars files do not differ by EL major today; 8 and 9 are both checked so a future RedHat-8.yml/Rocky-9.yml split
# shows up here (update the expectations below when it is intended).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv_bin="${VENV_BIN:-$PWD/.venv/bin}"
[[ -x "$venv_bin/ansible-playbook" ]] && export PATH="$venv_bin:$PATH"
# This tree's ansible.cfg (its collections/ symlink makes lvs.cluster this tree) and the output format parsed below.
export ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inv=tests/render/el/inventory.yml
play=tests/render/el/probe.yml
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL [$label]: $*"; failed=$((failed + 1)); }

# get FILE PATH [raw]: the value at a dotted PATH of a JSON record, as compact JSON ("null" when absent);
# with "raw", a string value is printed as it is.
get() {
    python3 - "$@" <<'EOF'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    value = value.get(key) if isinstance(value, dict) else None
raw = len(sys.argv) > 3 and isinstance(value, str)
print(value if raw else json.dumps(value, separators=(",", ":"), sort_keys=True))
EOF
}
# expect CASE PATH JSON: the record of CASE holds exactly JSON at PATH.
expect() {
    local actual
    if [[ ! -f "$out/$1.json" ]]; then bad "no record for case $1"; return; fi
    actual=$(get "$out/$1.json" "$2")
    if [[ "$actual" == "$3" ]]; then ok; else bad "$1: $2 is $actual, expected $3"; fi
}
# expect_text CASE PATH TEXT: the string at PATH of CASE's record contains TEXT (spaces and newlines squeezed).
expect_text() {
    local actual
    actual=$(get "$out/$1.json" "$2" raw | tr -s ' \n' ' ')
    if grep -qF -- "$3" <<<"$actual"; then ok; else bad "$1: $2 does not contain '$3' (it is $actual)"; fi
}
# expect_log TEXT: the -v log of the run contains TEXT (spaces and newlines squeezed).
expect_log() {
    if grep -qF -- "$1" <<<"$log"; then ok; else bad "log does not contain '$1'"; fi
}
# expect_dnf CASE PACKAGES: CASE stopped in the dnf module (only dnf has use_backend) asked for exactly PACKAGES.
expect_dnf() {
    expect "$1" stop.result.invocation.module_args.name "$2"
    expect "$1" stop.result.invocation.module_args.state '"present"'
    if [[ $(get "$out/$1.json" stop.result.invocation.module_args.use_backend) != null ]]; then ok
    else bad "$1: the package task did not run the dnf module"; fi
    expect_text "$1" stop.result.msg "dnf"
}

for facts_set in Rocky:9 Rocky:8 RedHat:9 RedHat:8; do
    distribution=${facts_set%:*}
    major=${facts_set#*:}
    label="$distribution $major"
    out="$work/$distribution-$major"
    mkdir -p "$out"
    facts='{"ansible_facts": {"os_family": "RedHat", "distribution": "'"$distribution"'",
            "distribution_major_version": "'"$major"'", "pkg_mgr": "dnf", "service_mgr": "systemd",
            "nodename": "el-director"}}'
    set +e
    timeout 120 ansible-playbook -v -i "$inv" "$play" --check -e el_out="$out" -e "$facts" >"$out.log" 2>&1
    rc=$?
    set -e
    log=$(tr -s ' \n' ' ' <"$out.log")
    if [[ $rc -eq 0 ]]; then ok; else bad "the probe playbook failed (rc $rc) outside the roles' rescued stops"; fi

    # 1. Each role's own first_found loaded vars/RedHat.yml (Rocky-N.yml / RedHat-N.yml do not exist).
    for role in director_keepalived realserver_dr director_heartbeat_ldirectord; do
        if grep -qE "ansible_included_var_files: - [^ ]*/roles/$role/vars/RedHat\.yml( |$)" <<<"$log"; then ok
        else bad "$role did not load vars/RedHat.yml"; fi
    done
    # The facts were taken from the injected set: no role gathered its own (that would be this Debian host's).
    if grep -qE "TASK \[lvs\.cluster\.[a-z_]+ : Gather the OS family[^]]*\] \*+ (ok|changed):" <<<"$log"; then
        bad "a role gathered facts instead of using the injected EL facts"
    else ok; fi

    # director_keepalived: EL values, then the package task runs dnf with them and the role stops there.
    expect keepalived resolved.packages '["keepalived","ipvsadm"]'
    expect keepalived resolved.service '"keepalived"'
    expect keepalived resolved.config_dir '"/etc/keepalived"'
    expect keepalived resolved.config_file '"/etc/keepalived/keepalived.conf"'
    expect keepalived resolved.validate '"unshare --pid --fork keepalived -t -f %s"'
    expect keepalived resolved.nologin_shell '"/sbin/nologin"'
    expect keepalived resolved.firewall_packages '["iptables"]'
    expect keepalived resolved.sysctl_file '"/etc/sysctl.d/60-lvs-cluster-director.conf"'
    expect keepalived stop.task '"Install keepalived and ipvsadm"'
    expect_dnf keepalived '["keepalived","ipvsadm"]'
    expect_log "TASK [lvs.cluster.director_keepalived : Install keepalived and ipvsadm]"

    # realserver_dr: EL package names, the sysctl.d file, then dnf.
    expect realserver resolved.packages '["iproute","procps-ng","kmod"]'
    expect realserver resolved.sysctl_file '"/etc/sysctl.d/60-lvs-realserver.conf"'
    expect realserver resolved.modules_load_file '"/etc/modules-load.d/lvs-realserver.conf"'
    expect realserver resolved.service '"lvs-realserver"'
    expect realserver stop.task '"Install the tools the real-server script uses"'
    expect_dnf realserver '["iproute","procps-ng","kmod"]'

    # director_heartbeat_ldirectord with its defaults: no EL package, a clear stop naming the OS and the variable.
    expect heartbeat resolved.packages '[]'
    expect heartbeat resolved.package_query '["rpm","--query","--queryformat=installed\\n"]'
    expect heartbeat resolved.package_installed '"installed"'
    expect heartbeat stop.task '"Check the host against the model"'
    expect_text heartbeat stop.result.msg "heartbeat and ldirectord are not in the base repositories of $distribution:"
    expect_text heartbeat stop.result.msg "set director_heartbeat_ldirectord_packages to the packages your EPEL/ClusterLabs repositories provide"
    expect heartbeat package_state 'null'
    # ... and with director_heartbeat_ldirectord_packages set: rpm finds what is missing, dnf is asked for the list.
    expect heartbeat-packages resolved.config_dir '"/etc/ha.d"'
    expect heartbeat-packages resolved.ldirectord_bin '"/usr/sbin/ldirectord"'
    expect heartbeat-packages resolved.heartbeat_bin '"/usr/libexec/heartbeat/heartbeat"'
    expect_text heartbeat-packages package_state.cmd "rpm --query '--queryformat=installed\\n' heartbeat ldirectord ipvsadm"
    expect heartbeat-packages stop.task '"Install heartbeat, ldirectord and ipvsadm"'
    expect_dnf heartbeat-packages '["heartbeat","ldirectord","ipvsadm"]'

    if [[ $failed -ne 0 ]]; then
        echo "--- $label: last lines of the run"; tail -30 "$out.log"
        break
    fi
done

if [[ $failed -ne 0 ]]; then
    echo "EL path checks: $failed failed, $passed passed"
    exit 1
fi
echo "EL path checks: all $passed passed (Rocky 9, Rocky 8, RHEL 9, RHEL 8)"
