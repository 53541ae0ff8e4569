#!/usr/bin/env bash
# Remote commands are single-quoted on purpose: they expand in the guest.
# shellcheck disable=SC2016
# lab/smoke.sh: prove the built-in lab works on this machine, and time it.
#   1. build (or reuse) the guest image
#   2. boot dr1 dr2 rs1 rs2, wait for SSH
#   3. IPVS on Debian's kernel in the guest (modprobe ip_vs, /proc/net/ip_vs, an ipvsadm service), pyroute2 >= 0.9.7,
#      the roles' packages installed and their units not enabled
#   4. guest <-> guest and namespace -> guest ping
#   5. fault path: `labctl kill rs2` (power cut), rs2 unreachable, `labctl start rs2`, rs2 back
#   6. `labctl down`: no qemu process, tap, bridge, namespace, overlay or lock holder left; a second down is a no-op
#   7. a failed boot (LAB_BOOT_TIMEOUT too short) under `labctl run` leaves nothing behind
#   8. `labctl run` passes the command's exit code through and tears down after it
# Runs under the VM lab lock (/run/lvs-lab.lock), taking it itself unless the caller holds it. Needs root.
# Not part of `make test` (about 5 minutes under qemu TCG); run it by hand or from CI's lab stage.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LABCTL=$LAB_DIR/labctl
LOCK=${LAB_LOCK:-/run/lvs-lab.lock}
NS=${LAB_NETNS:-lvslab}
RUN=${LAB_RUN_DIR:-$LAB_DIR/run}

[[ $(id -u) -eq 0 ]] || { echo "smoke.sh must run as root" >&2; exit 1; }
# Under `flock /run/lvs-lab.lock lab/smoke.sh` the caller already owns the lock (taking it again would wait forever).
lock_held_by_ancestor() {
    [[ -e $LOCK ]] || return 1
    local inode owners p
    inode=$(stat -c %i "$LOCK")
    owners=$(awk -v ino="$inode" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks)
    p=$$
    while [[ -n $p && $p -gt 1 ]]; do
        if grep -qx "$p" <<< "$owners"; then return 0; fi
        p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2> /dev/null || true)
    done
    return 1
}
if [[ -z ${LVSLAB_SMOKE_LOCKED:-} ]] && ! lock_held_by_ancestor; then
    export LVSLAB_SMOKE_LOCKED=1
    echo "[smoke] waiting for the lab lock $LOCK (up to ${LAB_LOCK_TIMEOUT:-3600}s)" >&2
    exec flock -w "${LAB_LOCK_TIMEOUT:-3600}" "$LOCK" "$0" "$@"
fi

PASS=0
FAIL=0
FAILED=()
declare -A TIMING
T_START=$(date +%s)

say() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
ok() { PASS=$((PASS + 1)); say "PASS $1"; }
ko() { FAIL=$((FAIL + 1)); FAILED+=("$1"); say "FAIL $1${2:+: $2}"; }
# check NAME CMD...: run CMD, PASS if it exits 0
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else ko "$name" "$(tail -n 5 <<< "$out" | tr '\n' ' ')"; fi
}
lab_ssh() { "$LABCTL" ssh "$@"; }

# Nothing of the lab may be left: no qemu of a lab guest, no namespace, no overlay, no lock holder.
check_clean() {
    local what=$1 left=""
    if ip netns list | grep -qw "$NS"; then left+="namespace $NS; "; fi
    if pgrep -f -- '-name lvslab-' > /dev/null; then left+="qemu: $(pgrep -f -- '-name lvslab-' | tr '\n' ' '); "; fi
    if ip -o link show type tun 2> /dev/null | grep -q 'tap-\(dr\|rs\)[0-9]'; then left+="tap on the host; "; fi
    if compgen -G "$RUN/*.qcow2" > /dev/null; then left+="overlays: $(echo "$RUN"/*.qcow2); "; fi
    if pgrep -f '^lvslab-lock-holder' > /dev/null; then left+="lock holder; "; fi
    if [[ -z $left ]]; then ok "$what leaves nothing behind"; else ko "$what leaves nothing behind" "$left"; fi
}

cleanup() {
    local rc=$?
    "$LABCTL" down > /dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT

# ---- 1. lab network and image
check "no route of this host overlaps the lab network (labctl check-net)" "$LABCTL" check-net
t0=$(date +%s)
if "$LAB_DIR/build-image.sh" --check; then image_state=cached; else image_state=built; fi
IMG=$("$LAB_DIR/build-image.sh")
TIMING[image]="$(($(date +%s) - t0))s ($image_state)"
say "image $IMG ($image_state) in ${TIMING[image]}"

# ---- 2. boot
"$LABCTL" down > /dev/null 2>&1 || true
t0=$(date +%s)
if "$LABCTL" up dr1 dr2 rs1 rs2; then
    TIMING[boot4]="$(($(date +%s) - t0))s"
    ok "4 guests boot and answer SSH (${TIMING[boot4]})"
else
    ko "4 guests boot and answer SSH"
    exit 1
fi
"$LABCTL" status || true

# ---- 3. the guest kernel and packages
check "dr1: modprobe ip_vs && /proc/net/ip_vs" \
    lab_ssh dr1 'modprobe ip_vs && grep -q "^IP Virtual Server version" /proc/net/ip_vs && cat /proc/net/ip_vs'
check "dr1: ipvsadm adds, lists and clears a DR service on the kernel" lab_ssh dr1 '
    set -e
    ipvsadm -A -t 203.0.113.100:80 -s rr
    ipvsadm -a -t 203.0.113.100:80 -r 203.0.113.21:80 -g
    ipvsadm -Ln | grep -q "203.0.113.21:80 *Route"
    ipvsadm -C
    test "$(ipvsadm -Ln | grep -c TCP || true)" = 0'
check "dr1: pyroute2 >= 0.9.7 imports" lab_ssh dr1 \
    'python3 -c "import pyroute2, sys; v = tuple(int(x) for x in pyroute2.__version__.split(\".\")[:3]); sys.exit(v < (0, 9, 7))"'
check "dr1: the roles' packages are installed" lab_ssh dr1 \
    'dpkg-query -W keepalived ipvsadm heartbeat ldirectord nginx-light python3-apt >/dev/null && command -v keepalived ipvsadm ldirectord'
check "dr1: keepalived, heartbeat, ldirectord, nginx not enabled nor running" lab_ssh dr1 '
    for u in keepalived heartbeat ldirectord nginx; do
        s=$(systemctl is-enabled $u.service 2>/dev/null || true); test "$s" = disabled || { echo "$u $s"; exit 1; }
        ! systemctl -q is-active $u.service || { echo "$u active"; exit 1; }
    done'
for h in dr1 dr2 rs1 rs2; do
    check "$h: hostname and address from the kernel command line" lab_ssh "$h" \
        "test \"\$(hostname)\" = $h && ip -4 -o address show eth0 | grep -q ' $("$LABCTL" hosts | awk -v h="$h" '$1 == h {print $2}')/24 '"
done

# ---- 4. network
for h in dr1 dr2 rs1 rs2; do
    check "$h pings the other guests and the controller" lab_ssh "$h" \
        'for ip in 203.0.113.1 203.0.113.11 203.0.113.12 203.0.113.21 203.0.113.22; do ping -n -q -c 1 -W 3 $ip > /dev/null || { echo "no reply from $ip"; exit 1; }; done'
done
check "the namespace (client) pings every guest" "$LABCTL" exec sh -c \
    'for ip in 203.0.113.11 203.0.113.12 203.0.113.21 203.0.113.22; do ping -n -q -c 1 -W 3 $ip > /dev/null || exit 1; done'

# ---- 5. fault path
"$LABCTL" kill rs2
check "kill rs2: rs2 no longer answers" "$LABCTL" exec sh -c '! ping -n -q -c 2 -W 1 203.0.113.22 > /dev/null'
check "kill rs2: the other guests still run" lab_ssh rs1 true
t0=$(date +%s)
if "$LABCTL" start rs2; then
    TIMING[restart1]="$(($(date +%s) - t0))s"
    ok "start rs2 after the kill: SSH again (${TIMING[restart1]})"
else
    ko "start rs2 after the kill"
fi
check "rs2 after restart keeps its identity" lab_ssh rs2 'test "$(hostname)" = rs2 && ping -n -q -c 1 -W 3 203.0.113.11 > /dev/null'

# ---- 6. teardown
t0=$(date +%s)
"$LABCTL" down
TIMING[down]="$(($(date +%s) - t0))s"
check_clean "labctl down"
check "a second labctl down is a no-op" "$LABCTL" down

# ---- 7. a failed boot under the trap wrapper
t0=$(date +%s)
if LAB_BOOT_TIMEOUT=8 "$LABCTL" run --hosts dr1 -- true > /tmp/lvslab-smoke-fail.log 2>&1; then
    ko "labctl run with an impossible boot timeout fails"
else
    ok "labctl run with an impossible boot timeout fails"
fi
check "the failure shows the guest console" grep -q -- "last lines of the dr1 console" /tmp/lvslab-smoke-fail.log
check_clean "a failed boot"
TIMING[failed_up]="$(($(date +%s) - t0))s"

# ---- 8. the wrapper passes the exit code through and tears down
t0=$(date +%s)
rc=0
"$LABCTL" run --hosts rs3 -- sh -c 'ping -n -q -c 1 -W 5 203.0.113.23 > /dev/null && exit 7' || rc=$?
if [[ $rc -eq 7 ]]; then ok "labctl run returns the command's exit code (7)"; else ko "labctl run returns the command's exit code" "got $rc"; fi
check_clean "labctl run"
TIMING[run1]="$(($(date +%s) - t0))s"

trap - EXIT
echo
echo "lab smoke timings on $(hostname) ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %-36s %s\n' "image (build-image.sh)" "${TIMING[image]}" \
    "boot 4 guests to SSH (parallel)" "${TIMING[boot4]:-n/a}" \
    "restart 1 guest after kill to SSH" "${TIMING[restart1]:-n/a}" \
    "labctl down" "${TIMING[down]:-n/a}" \
    "failed boot + cleanup" "${TIMING[failed_up]:-n/a}" \
    "labctl run, 1 guest, up+cmd+down" "${TIMING[run1]:-n/a}" \
    "whole smoke run" "$(($(date +%s) - T_START))s"
((FAIL == 0)) || printf '  failed: %s\n' "${FAILED[@]}"
echo "lab smoke: $PASS passed, $FAIL failed"
((FAIL == 0))
