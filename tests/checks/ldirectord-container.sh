#!/usr/bin/env bash
# roles/director_heartbeat_ldirectord against two systemd containers (Debian 12 image built locally with mmdebstrap):
# check mode on fresh hosts, converge with -v --diff (the heartbeat secret must never appear), authkeys 0600 on both,
# idempotence (changed=0), heartbeat puts the VIP and ldirectord on the primary only, the standalone ldirectord unit is
# masked, lvs_firewall opens heartbeat's port to the peer only, then a change of ldirectord.cf and ha.cf reloads ldirectord and heartbeat in place: the VIP stays on the
# primary and the heartbeat and ldirectord PIDs do not change. The host kernel has no IPVS: ldirectord's ipvsadm calls
# fail inside the containers (logged), which this test does not look at; the lab tests the data path.
# Needs root, podman (runc), mmdebstrap and the project venv. Exits non-zero on any failure.
# expect/refute below take shell strings that eval expands later, hence single quotes around $ expressions.
# shellcheck disable=SC2016
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
image=localhost/lvs-ldirectord-test:bookworm
net=lvs-ldt-net
subnet=198.51.100.64/28
dr1=198.51.100.66
dr2=198.51.100.67
vip=198.51.100.70
secret="ldt-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
work=$(mktemp -d /tmp/ldirectord-container.XXXXXX)
pods=(ldt-dr1 ldt-dr2)
failures=0

cleanup() {
    for c in "${pods[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
    podman network rm "$net" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }

for tool in podman mmdebstrap; do
    command -v "$tool" >/dev/null || { echo "ldirectord-container: $tool is not installed" >&2; exit 1; }
done

if ! podman image exists "$image"; then
    echo "building $image (mmdebstrap, about a minute)"
    mmdebstrap --quiet --variant=apt \
        --include=systemd-sysv,python3,heartbeat,ldirectord,ipvsadm,iproute2,procps,kmod,iptables \
        bookworm "$work/rootfs.tar"
    podman import --change 'CMD ["/sbin/init"]' "$work/rootfs.tar" "$image" >/dev/null
    rm -f "$work/rootfs.tar"
fi

podman network exists "$net" || podman network create --subnet "$subnet" "$net" >/dev/null
i=0
for c in "${pods[@]}"; do
    addr=$dr1; [ $i -eq 1 ] && addr=$dr2
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
    podman run -d --name "$c" --hostname "$c" --network "$net" --ip "$addr" --runtime runc \
        --ulimit nofile=1024:4096 --ulimit nproc=4096:4096 --cap-add NET_ADMIN --cap-add NET_RAW \
        --systemd always "$image" /sbin/init >/dev/null
    i=$((i + 1))
done

write_inventory() { # $1 scheduler, $2 keepalive
    cat > "$work/hosts.yml" <<INV
all:
  children:
    lvs_directors:
      children:
        ldt_directors:
          hosts:
            ldt-dr1: {ansible_host: ldt-dr1, lvs_address: $dr1}
            ldt-dr2: {ansible_host: ldt-dr2, lvs_address: $dr2}
          vars:
            ansible_connection: containers.podman.podman
            lvs_backend: heartbeat_ldirectord
            lvs_cluster_name: ldt
            lvs_realserver_group: ldt_realservers
            lvs_firewall: true
            lvs_heartbeat: {authkey: "$secret", keepalive: $2, warntime: 3, deadtime: 5, initdead: 10}
            lvs_virtual_services:
              - name: www
                vip: $vip
                port: 80
                scheduler: $1
                health_check: {type: http, path: /, expect: real server, timeout: 2, interval: 2}
    lvs_realservers:
      children:
        ldt_realservers:
          hosts:
            ldt-rs1: {ansible_host: 198.51.100.73}
            ldt-rs2: {ansible_host: 198.51.100.74}
INV
}
cat > "$work/play.yml" <<'PLAY'
- name: Configure the heartbeat + ldirectord directors
  hosts: lvs_directors
  gather_facts: false
  vars:
    director_heartbeat_ldirectord_load_ip_vs: false   # containers cannot load modules
  roles:
    - role: lvs.cluster.director_heartbeat_ldirectord
PLAY

play() { # $1 log name, rest: extra args
    local log=$work/$1.log; shift
    (cd "$repo" && ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
        .venv/bin/ansible-playbook -i "$work/hosts.yml" "$work/play.yml" "$@") \
        > "$log" 2>&1
}
recap_changed() { grep -E "^$1 +:" "$work/$2.log" | sed -E 's/.*changed=([0-9]+).*/\1/'; }
in_pod() { podman exec "$1" sh -c "$2"; }

write_inventory rr 1

if play check --check --diff; then ok "check mode on fresh hosts"; else fail "check mode run failed"; tail -30 "$work/check.log"; fi
if play converge -v --diff; then ok "converge (-v --diff)"; else fail "converge failed"; tail -40 "$work/converge.log"; fi
cat "$work/check.log" "$work/converge.log" > "$work/all.log"
if grep -qF -- "$secret" "$work/all.log"; then
    fail "the heartbeat secret appears in the ansible output:"; grep -nF -- "$secret" "$work/all.log" | head -5
else
    ok "secret absent from $(wc -l < "$work/all.log") lines of check + converge output (-v --diff)"
fi
# expect MSG CMD: ok when CMD (a shell string, run with eval) succeeds; refute MSG CMD: ok when it fails.
expect() { local msg=$1; shift; if eval "$*"; then ok "$msg"; else fail "$msg"; fi; }
refute() { local msg=$1; shift; if eval "$*"; then fail "$msg"; else ok "$msg"; fi; }

for c in "${pods[@]}"; do
    mode=$(in_pod "$c" "stat -c '%a %U' /etc/ha.d/authkeys")
    expect "$c authkeys mode/owner '$mode' is '600 root'" '[ "$mode" = "600 root" ]'
    expect "$c authkeys holds the secret" 'in_pod "$c" "grep -qx \"1 sha1 $secret\" /etc/ha.d/authkeys"'
    peer=$dr2
    if [ "$c" = ldt-dr2 ]; then peer=$dr1; fi
    expect "$c accepts heartbeat from $peer only (iptables)" \
        'in_pod "$c" "iptables -S INPUT" | grep -q -- "-A INPUT -s $peer/32 -i eth0 -p udp -m udp --dport 694 .*-j ACCEPT"'
    unit=$(in_pod "$c" "systemctl is-enabled ldirectord 2>/dev/null || true")
    expect "$c standalone ldirectord unit is '$unit' (masked)" '[ "$unit" = masked ]'
done

echo "converge task times:"
grep -E -- '-{3,} [0-9.]+s$' "$work/converge.log" | head -8
if play idempotence; then
    for c in "${pods[@]}"; do
        n=$(recap_changed "$c" idempotence)
        expect "$c second run changed=$n (idempotent)" '[ "$n" = 0 ]'
    done
else
    fail "idempotence run failed"; tail -30 "$work/idempotence.log"
fi

# heartbeat takes over after initdead (10 s): VIP and ldirectord on the primary only.
vip_on() { in_pod "$1" "ip -4 -o addr show dev eth0" | grep -q " $vip/32 "; }
ld_pid() { in_pod "$1" "cat /var/run/ldirectord.ldirectord.cf.pid 2>/dev/null || true"; }
# lvs-ldirectord waits for a filled IPVS table (none here: no IPVS in containers) for its WAIT bound before the VIP.
for _ in $(seq 1 60); do
    if vip_on ldt-dr1 && [ -n "$(ld_pid ldt-dr1)" ]; then break; fi
    sleep 1
done
expect "VIP $vip on ldt-dr1 (primary)" 'vip_on ldt-dr1'
refute "VIP not on ldt-dr2" 'vip_on ldt-dr2'
ld1=$(ld_pid ldt-dr1)
expect "ldirectord (pid $ld1) started by heartbeat on ldt-dr1" '[ -n "$ld1" ] && in_pod ldt-dr1 "kill -0 $ld1"'
expect "no ldirectord on ldt-dr2" '[ -z "$(ld_pid ldt-dr2)" ]'
# The role's resource scripts: ldirectord first, the VIP after it (heartbeat starts left to right, stops right to left).
expect "haresources: lvs-ldirectord before lvs-vip" \
    'in_pod ldt-dr1 "grep -v \"^#\" /etc/ha.d/haresources" | grep -qx "ldt-dr1 lvs-ldirectord::ldirectord.cf lvs-vip::$vip/32/eth0"'
# status of a resource script on a container, with its exit code: "<output> rc=<n> "
rs_status() { in_pod "$1" "/etc/ha.d/resource.d/$2 status; echo rc=\$?" | tr '\n' ' '; }
expect "lvs-vip status: running on ldt-dr1" 'rs_status ldt-dr1 "lvs-vip $vip/32/eth0" | grep -q "^lvs-vip: running rc=0 "'
expect "lvs-vip status: stopped (exit 3) on ldt-dr2" 'rs_status ldt-dr2 "lvs-vip $vip/32/eth0" | grep -q "^lvs-vip: stopped rc=3 "'
expect "lvs-ldirectord status: running on ldt-dr1" 'rs_status ldt-dr1 "lvs-ldirectord ldirectord.cf" | grep -q "^lvs-ldirectord: running, pid $ld1 rc=0 "'
expect "lvs-ldirectord status: stopped (exit 3) on ldt-dr2" 'rs_status ldt-dr2 "lvs-ldirectord ldirectord.cf" | grep -q "^lvs-ldirectord: stopped rc=3 "'
# The start of lvs-ldirectord returned (after its IPVS wait) before lvs-vip added the address.
order=$(in_pod ldt-dr1 "journalctl --no-pager -o cat -t lvs-ldirectord -t lvs-vip" | sed -n -e 's/^ldirectord ldirectord.cf: .*/L/p' -e 's/^WARNING: ldirectord ldirectord.cf: .*/L/p' -e 's/^added .*/V/p' | tr -d '\n')
expect "ldirectord's start finished before the VIP was added (journal order '$order')" '[ "${order:0:2}" = LV ]'
# No IPVS here, so the wait ran to its bound, read from ldirectord.cf: 5 s + 2 real servers x checktimeout 2 s.
expect "lvs-ldirectord waited for its bound from ldirectord.cf (9 s)" \
    'in_pod ldt-dr1 "journalctl --no-pager -o cat -t lvs-ldirectord" | grep -q "real server after 9 s; going on"'
refute "lvs-vip refuses a malformed argument" 'in_pod ldt-dr1 "/etc/ha.d/resource.d/lvs-vip $vip/eth0 status" 2>/dev/null'
hb1=$(in_pod ldt-dr1 "systemctl show -p MainPID --value heartbeat")
hb_up_before=$(in_pod ldt-dr1 "journalctl --no-pager -o cat _PID=$hb1" | grep -c "Local status now set to: 'up'" || true)

# Change ldirectord.cf (scheduler) and ha.cf (keepalive): both reload in place.
write_inventory wlc 2
if play change; then
    expect "ldirectord reload handler ran" \
        'grep -q "RUNNING HANDLER \[lvs.cluster.director_heartbeat_ldirectord : Reload ldirectord\]" "$work/change.log"'
    expect "heartbeat reload handler ran" \
        'grep -q "RUNNING HANDLER \[lvs.cluster.director_heartbeat_ldirectord : Reload heartbeat\]" "$work/change.log"'
else
    fail "change run failed"; tail -30 "$work/change.log"
fi
sleep 3
expect "new ldirectord.cf in place" 'in_pod ldt-dr1 "grep -qx \"    scheduler=wlc\" /etc/ha.d/ldirectord.cf"'
expect "ldirectord re-read the file (ipvsadm ... -s wlc)" \
    'in_pod ldt-dr1 "journalctl -t ldirectord --no-pager" | grep -qE "ipvsadm -[AE] -t $vip:80 -s wlc"'
# heartbeat -r makes the running daemon re-exec itself (same PID) and bring its links up again. The line it logs
# just before the exec ("Performing heartbeat restart exec.") can be lost with the exec, so count the
# "Local status now set to: 'up'" lines of the main PID instead: the restart adds one. Up to 60 s on a loaded machine.
hb_restarted() {
    local n
    n=$(in_pod ldt-dr1 "journalctl --no-pager -o cat _PID=$hb1" | grep -c "Local status now set to: 'up'" || true)
    [ "${n:-0}" -gt "$hb_up_before" ]
}
for _ in $(seq 1 60); do hb_restarted && break; sleep 1; done
expect "heartbeat restarted in place (-r)" 'hb_restarted'
if ! hb_restarted; then
    echo "heartbeat's journal on ldt-dr1 (last 25 lines):"
    in_pod ldt-dr1 "journalctl --no-pager -o short-monotonic | grep -Ei 'heartbeat|ResourceManager' | tail -25" || true
fi
expect "VIP still on ldt-dr1" 'vip_on ldt-dr1'
refute "VIP not on ldt-dr2" 'vip_on ldt-dr2'
expect "ldirectord pid unchanged ($ld1)" '[ "$(ld_pid ldt-dr1)" = "$ld1" ]'
expect "heartbeat MainPID unchanged ($hb1)" '[ "$(in_pod ldt-dr1 "systemctl show -p MainPID --value heartbeat")" = "$hb1" ]'
refute "secret absent from the idempotence and change runs" 'grep -qF -- "$secret" "$work/change.log" "$work/idempotence.log"'

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
