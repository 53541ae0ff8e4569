#!/bin/sh
# roles/director_keepalived on a real Debian 12 target (a podman systemd container, image built locally):
# check mode on a fresh host, converge, check mode and idempotence on the configured host, a config change that
# reloads keepalived (same PID, the VIP never leaves), and a broken config that `keepalived -t` rejects while the
# running file stays untouched. The host kernel has no IPVS, so keepalived runs its VRRP part only (--vrrp);
# the full config, virtual servers included, is still validated by the role. IPVS itself is covered by the VM lab.
# Needs root, podman (runc) and the Debian mirror (first run only, to build the image). Exits non-zero on failure.
# `ok` never fails, so `A && ok || bad` is an if/else here (SC2015); commands run inside the container are
# single-quoted on purpose (SC2016); the trap handler is reached through `trap` (SC2317).
# shellcheck disable=SC2015,SC2016,SC2317
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${LVS_VENV_BIN:-$repo/.venv/bin}
name=lvs-check-kad1
work=$(mktemp -d /tmp/lvs-keepalived-container.XXXXXX)
cleanup() {
    podman rm -f "$name" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/checks/lib/role-container.sh
. "$here/lib/role-container.sh"

# Image: the realserver_dr scenario's Debian 12 image plus the director packages, cached by podman.
role_image localhost/lvs-debian12-kad "keepalived ipvsadm iptables"

# systemd up within 10 s; keepalived VRRP only (no IPVS here); eth1 is the NAT inside segment
start_director_container 50

mkdir -p "$work/group_vars"
cat > "$work/hosts.yml" <<YAML
all:
  children:
    lvs_directors:
      children:
        web_directors:
          hosts:
            $name: {ansible_connection: containers.podman.podman, lvs_address: $address}
            peer-dr2: {ansible_host: 203.0.113.12}
    lvs_realservers:
      children:
        web_realservers:
          hosts:
            rs1: {ansible_host: 203.0.113.21}
            rs2: {ansible_host: 203.0.113.22}
YAML
cat > "$work/group_vars/web_directors.yml" <<'YAML'
lvs_cluster_name: web
lvs_backend: keepalived
lvs_interface: eth0
lvs_realserver_group: web_realservers
lvs_firewall: true
lvs_nat: {inside_vip: 198.51.100.1, inside_interface: eth1}
lvs_keepalived:
  vrid: 51
  unicast: true
  auth_pass: s3cret!x
  track_scripts:
    - {name: chk_true, script: /usr/bin/true}
lvs_virtual_services:
  - {name: www, vip: 203.0.113.100, port: 80, health_check: {type: http, path: /, expect: real server}}
  - {name: web-nat, vip: 203.0.113.101, port: 80, forwarding: nat, health_check: {type: tcp}}
YAML
cat > "$work/play.yml" <<YAML
- name: Director
  hosts: $name
  gather_facts: false
  roles:
    - role: lvs.cluster.director_keepalived
      vars:
        director_keepalived_kernel_modules: []
YAML

# 1. check mode on a fresh host; the secret never appears under --diff
if recap=$(run_play check-fresh.log --check --diff); then ok "check mode on a fresh host: $recap"; else bad "check mode on a fresh host failed: $recap"; fi
if grep -q 's3cret' "$work/check-fresh.log"; then bad "auth_pass printed under --diff"; else ok "auth_pass not printed under --diff"; fi
in_ct 'test ! -e /etc/keepalived/keepalived.conf' && ok "check mode wrote nothing" || bad "check mode wrote keepalived.conf"

# 2. converge
if recap=$(run_play converge.log --diff); then ok "converge: $recap"; else bad "converge failed: $recap"; tail -30 "$work/converge.log"; fi
[ "$(in_ct 'systemctl is-active keepalived')" = active ] && ok "keepalived active" || bad "keepalived not active"
in_ct 'stat -c "%U %a" /etc/keepalived/keepalived.conf' | grep -qx 'root 640' && ok "keepalived.conf root 0640" || bad "keepalived.conf owner/mode"
in_ct 'getent passwd keepalived_script' >/dev/null && ok "script user created" || bad "script user missing"
in_ct 'grep -qx "Restart=on-failure" /etc/systemd/system/keepalived.service.d/50-lvs-cluster.conf' && ok "Restart=on-failure drop-in" || bad "drop-in missing"
in_ct 'iptables -S INPUT' | grep -q -- "-s 203.0.113.12/32 -i eth0 -p vrrp" && ok "VRRP accepted from the peer" || bad "no VRRP firewall rule"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    in_ct 'ip -o addr show dev eth0' | grep -q '203.0.113.100/32 scope global eth0:1' && break
    sleep 1
done
in_ct 'ip -o addr show dev eth0' | grep -q '203.0.113.100/32 scope global eth0:1' && ok "VIP up with its label" || bad "VIP not up"
in_ct 'ip -o addr show dev eth1' | grep -q '198.51.100.1/24' && ok "NAT inside VIP up" || bad "NAT inside VIP not up"
in_ct 'unshare --pid --fork keepalived -t -f /etc/keepalived/keepalived.conf' && ok "validate command accepts the rendered file" || bad "validate command rejects the rendered file"

# 3. check mode and idempotence on the configured host
recap=$(run_play check-configured.log --check --diff) || bad "check mode on the configured host failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "check mode on the configured host: $recap" || bad "check mode reports changes: $recap"
recap=$(run_play idempotence.log) || bad "second run failed"
[ "$(echo "$recap" | changed)" = 0 ] && ok "idempotent: $recap" || bad "second run changed something: $recap"

# 4. a config change reloads (SIGHUP): same PID, the VIP never leaves
pid1=$(in_ct 'systemctl show -p MainPID --value keepalived')
podman exec -d "$name" sh -c ': > /tmp/vipwatch; i=0; while [ $i -lt 400 ]; do if ip -o addr show dev eth0 | grep -q "203.0.113.100/32"; then echo up; else echo DOWN; fi >> /tmp/vipwatch; sleep 0.1; i=$((i+1)); done' >/dev/null
cat >> "$work/group_vars/web_directors.yml" <<'YAML'
  - {name: extra, vip: 203.0.113.102, port: 8080, health_check: {type: tcp}}
YAML
recap=$(run_play change.log) || bad "run with one more service failed"
grep -q 'RUNNING HANDLER \[lvs.cluster.director_keepalived : Reload keepalived\]' "$work/change.log" && ok "config change notified the reload handler: $recap" || bad "no reload on config change"
grep -q 'RUNNING HANDLER \[lvs.cluster.director_keepalived : Restart keepalived\]' "$work/change.log" && bad "config change restarted keepalived" || ok "no restart on config change"
pid2=$(in_ct 'systemctl show -p MainPID --value keepalived')
[ "$pid1" = "$pid2" ] && ok "same keepalived PID after reload ($pid1)" || bad "keepalived PID changed ($pid1 -> $pid2)"
sleep 2
in_ct 'ip -o addr show dev eth0' | grep -q '203.0.113.102/32' && ok "new VIP added by the reload" || bad "new VIP missing after reload"
downs=$(in_ct 'grep -c DOWN /tmp/vipwatch || true')
samples=$(in_ct 'wc -l < /tmp/vipwatch')
[ "$downs" = 0 ] && [ "$samples" -gt 10 ] && ok "VIP stayed up during the change ($samples samples)" || bad "VIP went down ($downs of $samples samples)"

# 5. a config keepalived rejects never replaces the running one
sum1=$(in_ct 'sha256sum /etc/keepalived/keepalived.conf')
if run_play broken.log -e '{"director_keepalived_global_defs_extra": ["nb_get_retry 3"]}' >/dev/null; then
    bad "a broken config was accepted"
else
    grep -q 'failed to validate' "$work/broken.log" && ok "broken config rejected by keepalived -t" || bad "broken run failed for another reason"
fi
sum2=$(in_ct 'sha256sum /etc/keepalived/keepalived.conf')
[ "$sum1" = "$sum2" ] && ok "running keepalived.conf untouched" || bad "keepalived.conf replaced by a broken one"
[ "$(in_ct 'systemctl is-active keepalived')" = active ] && ok "keepalived still active" || bad "keepalived stopped"

if [ "$fail" -eq 0 ]; then echo "keepalived-container: all checks passed"; else echo "keepalived-container: FAILED (logs in $work were removed; rerun by hand to inspect)"; fi
exit "$fail"
