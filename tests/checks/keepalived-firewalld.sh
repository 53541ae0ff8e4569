#!/bin/sh
# roles/director_keepalived with director_keepalived_firewall_tool=firewalld.
# 1. Render: the rich rules computed from the real model (tests/render/keepalived_firewalld: multicast/unicast,
#    PASS/AH, sync daemon on/off, IPv6 peers, NAT inside segment), no host needed.
# 2. A real Debian 12 target (podman systemd container with firewalld on nftables, image built locally): the role
#    refuses to run while firewalld is stopped; check mode writes nothing; converge with --diff gives exactly the
#    expected rich rules, permanent and runtime, in the cluster zone and in the inside zone; check mode and a second
#    run report no change; switching AH and the sync daemon on adds their rules (kept across firewall-cmd --reload),
#    switching them off removes them while a foreign rich rule stays. The steps that only concern the firewall run
#    the role's firewall tasks alone (tasks_from: firewall, same model) to stay well under 5 minutes.
# The host kernel has no IPVS: keepalived runs its VRRP part only (--vrrp), as in keepalived-container.sh.
# Needs root, podman (runc) and the Debian mirror (first run only, to build the image). Exits non-zero on failure.
# `ok` never fails, so `A && ok || bad` is an if/else here (SC2015); commands run inside the container are
# single-quoted on purpose (SC2016); the trap handler is reached through `trap` (SC2317).
# shellcheck disable=SC2015,SC2016,SC2317
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${LVS_VENV_BIN:-$repo/.venv/bin}
name=lvs-check-kadfw1
work=$(mktemp -d /tmp/lvs-keepalived-firewalld.XXXXXX)
cleanup() {
    # one name per call: podman rm -f with several names removes none when one of them does not exist
    podman rm -f "$name" >/dev/null 2>&1 || true
    podman rm -f "$name-build" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/checks/lib/role-container.sh
. "$here/lib/role-container.sh"
# rules ZONE [--permanent]: the zone's rich rules, sorted
rules() { in_ct "firewall-cmd ${2:-} --zone $1 --list-rich-rules" | sort; }
# expect_rules WHAT ZONE EXPECTED: permanent and runtime rules of ZONE are exactly EXPECTED (one per line)
expect_rules() {
    want=$(printf '%s\n' "$3" | sed '/^$/d' | sort)
    for mode in --permanent ""; do
        got=$(rules "$2" "$mode")
        if [ "$got" = "$want" ]; then
            ok "$1: ${mode:-runtime} rules of zone $2 as expected ($(printf '%s\n' "$want" | sed '/^$/d' | wc -l) rules)"
        else
            bad "$1: ${mode:-runtime} rules of zone $2"
            printf '  expected:\n%s\n  got:\n%s\n' "$want" "$got"
        fi
    done
}

# 1. render check (no container)
if ANSIBLE_CONFIG=$repo/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=false \
    timeout 120 "$bin/ansible-playbook" -i "$repo/tests/render/keepalived_firewalld/inventory/hosts.yml" \
    "$repo/tests/render/keepalived_firewalld/render.yml" > "$work/render.log" 2>&1; then
    ok "rich rules rendered from the model: $(grep -c "msg: '.* peer and .* inside rules'" "$work/render.log") directors checked"
else
    bad "rich rule render check"
    grep -E -A12 'fatal|FAILED' "$work/render.log" | head -40
fi

# 2. image: the realserver_dr scenario's Debian 12 image plus keepalived and firewalld (nftables backend), cached.
role_image localhost/lvs-debian12-kadfw "keepalived ipvsadm firewalld netbase"

# systemd up within 20 s; keepalived VRRP only (no IPVS here); eth1 is the NAT inside segment
start_director_container 100
in_ct 'firewall-cmd --state' >/dev/null && ok "firewalld running in the container" || bad "firewalld not running"
# A foreign rich rule in the default zone must survive the role's pruning.
foreign='rule family="ipv4" source address="203.0.113.99" service name="ssh" accept'
in_ct "firewall-cmd -q --permanent --add-rich-rule='$foreign' && firewall-cmd -q --add-rich-rule='$foreign'"
zone=$(in_ct 'firewall-cmd --get-default-zone')

mkdir -p "$work/group_vars"
cat > "$work/hosts.yml.in" <<YAML
all:
  children:
    lvs_directors:
      children:
        web_directors:
          hosts:
            $name: {ansible_connection: containers.podman.podman, lvs_address: $address}
            peer-dr2: {ansible_host: 203.0.113.12}
            #THIRD#
    lvs_realservers:
      children:
        web_realservers:
          hosts:
            rs1: {ansible_host: 203.0.113.21}
YAML
write_vars() {
    # write_vars AUTH_TYPE SYNC_DAEMON [THIRD_DIRECTOR_ADDRESS]
    third=
    [ -z "${3:-}" ] || third="peer-dr3: {ansible_host: $3}"
    sed "s/^ *#THIRD#\$/            $third/" "$work/hosts.yml.in" > "$work/hosts.yml"
    cat > "$work/group_vars/web_directors.yml" <<YAML
lvs_cluster_name: web
lvs_backend: keepalived
lvs_interface: eth0
lvs_realserver_group: web_realservers
lvs_firewall: true
lvs_sync_daemon: $2
lvs_nat: {inside_vip: 198.51.100.1, inside_interface: eth1}
lvs_keepalived: {vrid: 51, unicast: true, auth_type: $1, auth_pass: s3cret!x}
lvs_virtual_services:
  - {name: www, vip: 203.0.113.100, port: 80, health_check: {type: tcp}}
  - {name: web-nat, vip: 203.0.113.101, port: 80, forwarding: nat, health_check: {type: tcp}}
YAML
}
write_vars PASS false
cat > "$work/play.yml" <<YAML
- name: Director
  hosts: $name
  gather_facts: false
  vars:
    director_keepalived_kernel_modules: []
    director_keepalived_firewall_tool: firewalld
    director_keepalived_firewalld_inside_zone: internal
  tasks:
    - name: The whole role
      ansible.builtin.include_role:
        name: lvs.cluster.director_keepalived
      when: not (check_firewall_only | default(false) | bool)

    - name: The role's firewall tasks alone
      when: check_firewall_only | default(false) | bool
      block:
        - name: Resolve the LVS model for this host
          lvs.cluster.cluster_model:
          register: __director_keepalived_model

        - name: The firewall tasks
          ansible.builtin.include_role:
            name: lvs.cluster.director_keepalived
            tasks_from: firewall
YAML
peer_vrrp='rule family="ipv4" source address="203.0.113.12" protocol value="vrrp" accept'
peer_ah='rule family="ipv4" source address="203.0.113.12" protocol value="ah" accept'
peer_sync='rule family="ipv4" source address="203.0.113.12" port port="8848" protocol="udp" accept'
in_vrrp='rule family="ipv4" source address="198.51.100.1/24" protocol value="vrrp" accept'
in_ah='rule family="ipv4" source address="198.51.100.1/24" protocol value="ah" accept'
peer3_vrrp='rule family="ipv4" source address="203.0.113.13" protocol value="vrrp" accept'
peer3_ah='rule family="ipv4" source address="203.0.113.13" protocol value="ah" accept'
peer3_sync='rule family="ipv4" source address="203.0.113.13" port port="8848" protocol="udp" accept'
nl='
'

# 3. firewalld stopped: the role's firewall tasks stop with a clear message
in_ct 'systemctl stop firewalld'
if run_play stopped.log --check -e check_firewall_only=true >/dev/null; then
    bad "the role ran although firewalld is stopped"
else
    grep -q 'firewalld is not running' "$work/stopped.log" && ok "firewalld stopped: the role fails with a clear message" \
        || { bad "firewalld stopped: the run failed for another reason"; grep -A5 fatal "$work/stopped.log" | head -20; }
fi
in_ct 'systemctl start firewalld && firewall-cmd --state >/dev/null'

# 4. check mode on a fresh host writes nothing
if recap=$(run_play check-fresh.log --check --diff); then
    [ "$(echo "$recap" | changed)" -gt 0 ] && ok "check mode on a fresh host: $recap" || bad "check mode on a fresh host reported no change: $recap"
else
    bad "check mode on a fresh host failed: $recap"; grep -A10 fatal "$work/check-fresh.log" | head -30
fi
expect_rules "after check mode" "$zone" "$foreign"
expect_rules "after check mode" internal ""

# 5. converge
if recap=$(run_play converge.log --diff); then ok "converge: $recap"; else bad "converge failed: $recap"; grep -A10 fatal "$work/converge.log" | head -30; fi
[ "$(in_ct 'systemctl is-active keepalived')" = active ] && ok "keepalived active" || bad "keepalived not active"
expect_rules "converge" "$zone" "$foreign$nl$peer_vrrp"
expect_rules "converge" internal "$in_vrrp"

# 6. check mode and idempotence on the configured host
recap=$(run_play check-configured.log --check --diff) || bad "check mode on the configured host failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "check mode on the configured host: $recap" || bad "check mode reports changes: $recap"
recap=$(run_play idempotence.log) || bad "second run failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "idempotent: $recap" || bad "second run changed something: $recap"

# 7. AH and a third director: their rules follow, permanent (they survive a reload)
write_vars AH false 203.0.113.13
recap=$(run_play switch-on.log --diff) || { bad "run with AH and a third director failed"; grep -A10 fatal "$work/switch-on.log" | head -30; }
[ "$(echo "$recap" | changed)" -gt 0 ] && ok "AH and a third director: $recap" || bad "AH and a third director changed nothing: $recap"
in_ct 'firewall-cmd -q --reload'
expect_rules "AH, 3 directors, after --reload" "$zone" "$foreign$nl$peer_vrrp$nl$peer_ah$nl$peer3_vrrp$nl$peer3_ah"
expect_rules "AH, 3 directors, after --reload" internal "$in_vrrp$nl$in_ah"

# 8. the sync daemon on. keepalived 2.2.7 segfaults when its sync daemon finds no IPVS (the host kernel has none),
# so this step runs the role's firewall tasks alone (tasks_from: firewall) with the same model and variables.
write_vars AH true 203.0.113.13
recap=$(run_play sync-on.log --diff -e check_firewall_only=true) || { bad "firewall run with the sync daemon failed"; grep -A10 fatal "$work/sync-on.log" | head -30; }
[ "$(echo "$recap" | changed)" -gt 0 ] && ok "sync daemon on (firewall tasks): $recap" || bad "sync daemon on changed nothing: $recap"
expect_rules "sync daemon on" "$zone" "$foreign$nl$peer_vrrp$nl$peer_ah$nl$peer_sync$nl$peer3_vrrp$nl$peer3_ah$nl$peer3_sync"
recap=$(run_play sync-on-again.log -e check_firewall_only=true) || bad "second firewall run with the sync daemon failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "sync daemon on, second run: $recap" || bad "second run with the sync daemon changed something: $recap"

# 9. back to PASS, two directors, no sync daemon: the stale rules go, the foreign rule stays
write_vars PASS false
recap=$(run_play switch-off.log --diff) || { bad "run back to PASS failed"; grep -A10 fatal "$work/switch-off.log" | head -30; }
[ "$(echo "$recap" | changed)" -gt 0 ] && ok "back to PASS, two directors, no sync: $recap" || bad "back to PASS changed nothing: $recap"
expect_rules "back to PASS" "$zone" "$foreign$nl$peer_vrrp"
expect_rules "back to PASS" internal "$in_vrrp"
[ "$(in_ct 'systemctl is-active keepalived')" = active ] && ok "keepalived still active" || bad "keepalived not active"
recap=$(run_play switch-off-again.log -e check_firewall_only=true) || bad "second firewall run back to PASS failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "back to PASS, second run: $recap" || bad "second run back to PASS changed something: $recap"

if [ "$fail" -eq 0 ]; then echo "keepalived-firewalld: all checks passed"; else echo "keepalived-firewalld: FAILED"; fi
exit "$fail"
