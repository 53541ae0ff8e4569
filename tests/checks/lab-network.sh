#!/usr/bin/env bash
# Checks are single-quoted bash -c snippets on purpose (they expand when they run).
# shellcheck disable=SC2016
# Fast checks of the lab tooling that boot no VM (the VM checks are lab/smoke.sh and the molecule lab scenario):
# lint (shellcheck) of the lab scripts, the image recipe key, labctl's argument handling, and the lab network
# (namespace + bridge) being created and torn down completely, in a namespace and run directory of its own so
# that a lab someone else has up is never touched.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
LABCTL=$ROOT/lab/labctl
[[ $(id -u) -eq 0 ]] || { echo "lab-network.sh: needs root (network namespaces)"; exit 1; }

export LAB_NETNS=lvslabchk$$
export LAB_RUN_DIR
LAB_RUN_DIR=$(mktemp -d)
export LAB_LOCK=$LAB_RUN_DIR/lock
cleanup() {
    ip netns delete "$LAB_NETNS" 2> /dev/null || true
    ip netns delete "$LAB_NETNS-host" 2> /dev/null || true
    rm -rf -- "$LAB_RUN_DIR"
}
trap cleanup EXIT

pass=0
fail=0
t() {
    local name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "ok   - $name"
    else
        fail=$((fail + 1))
        echo "FAIL - $name"
    fi
}
fails() { ! "$@" > /dev/null 2>&1; }

if command -v shellcheck > /dev/null; then
    t "shellcheck lab scripts" shellcheck -x "$ROOT/lab/labctl" "$ROOT/lab/build-image.sh" "$ROOT/lab/smoke.sh" \
        "$ROOT/lab/image/build-rootfs.sh" "$ROOT/lab/image/overlay/usr/local/sbin/lvslab-boot" "${BASH_SOURCE[0]}"
else
    echo "skip - shellcheck not installed (apt-get install shellcheck)"
fi
t "bash -n lab scripts" bash -n "$ROOT/lab/labctl" "$ROOT/lab/build-image.sh" "$ROOT/lab/smoke.sh" "$ROOT/lab/image/build-rootfs.sh"

key1=$("$ROOT/lab/build-image.sh" --print-key)
key2=$("$ROOT/lab/build-image.sh" --print-key)
t "image recipe key is a stable sha256" test "$key1" = "$key2" -a "${#key1}" = 64
# The key covers the recipe: a copy of lab/ with one package more must get another key.
copy=$(mktemp -d)
cp -a "$ROOT/lab/build-image.sh" "$ROOT/lab/image" "$copy/"
echo "hello" >> "$copy/image/packages.txt"
key3=$("$copy/build-image.sh" --print-key)
rm -rf -- "$copy"
t "image recipe key changes with the recipe" test "$key3" != "$key1"

t "labctl rejects an unknown command" fails "$LABCTL" frobnicate
t "labctl rejects an unknown host" fails "$LABCTL" ssh nosuchhost
t "labctl up rejects an unknown host before booting anything" fails "$LABCTL" up dr1 nosuchhost
t "labctl hosts lists the fixed addresses" \
    test "$("$LABCTL" hosts | tr '\n' ' ')" = "dr1 203.0.113.11 dr2 203.0.113.12 rs1 203.0.113.21 rs2 203.0.113.22 rs3 203.0.113.23 "
t "labctl check-net: no route of this host overlaps the lab network" "$LABCTL" check-net
t "labctl status says the lab is down (exit 3)" bash -c '"$1" status > /dev/null; test $? = 3' _ "$LABCTL"
t "labctl exec refuses to run without a lab" fails "$LABCTL" exec true
t "labctl down without a lab succeeds" "$LABCTL" down

# Another session holding the lab lock: down and kill must refuse (unless LAB_FORCE=1).
flock -o "$LAB_LOCK" sleep 60 &
other=$!
for _ in $(seq 1 50); do grep -q " $other " /proc/locks && break; sleep 0.1; done
t "down refuses while another session holds the lock" fails "$LABCTL" down
t "kill refuses while another session holds the lock" fails "$LABCTL" kill dr1
t "LAB_FORCE=1 down goes ahead" env LAB_FORCE=1 "$LABCTL" down
sleeper=$(pgrep -P "$other" || true)
kill "$other" ${sleeper:+"$sleeper"} 2> /dev/null || true
wait "$other" 2> /dev/null || true
t "down goes ahead once the other session is gone" "$LABCTL" down

"$LABCTL" net
t "net: namespace exists" bash -c 'ip netns list | grep -qw "$LAB_NETNS"'
t "net: br0 has the controller address 203.0.113.1/24" \
    bash -c 'ip netns exec "$LAB_NETNS" ip -4 -o address show br0 | grep -q " 203.0.113.1/24 "'
t "net: the bridge is up" bash -c 'ip netns exec "$LAB_NETNS" ip -o link show br0 | grep -q "state UP\|,UP"'
t "net: the host namespace has no lab address" bash -c '! ip -4 -o address show | grep -q " 203.0.113.1/24 "'
t "net: running it again is idempotent" "$LABCTL" net
t "net: labctl exec runs inside the namespace" \
    bash -c '"$1" exec ip -o link show br0 > /dev/null' _ "$LABCTL"
"$LABCTL" down
t "down: namespace removed" bash -c '! ip netns list | grep -qw "$LAB_NETNS"'
t "down: a second down succeeds" "$LABCTL" down

# The route check end to end: labctl run from a scratch namespace (standing in for a host) that has a route into the
# lab network must refuse, name the route and NET_PREFIX, and create nothing.
ip netns add "$LAB_NETNS-host"
ip -n "$LAB_NETNS-host" link add v0 type veth peer name v1
ip -n "$LAB_NETNS-host" address add 203.0.113.200/24 dev v0
ip -n "$LAB_NETNS-host" link set v1 up
ip -n "$LAB_NETNS-host" link set v0 up
out=$(ip netns exec "$LAB_NETNS-host" "$LABCTL" net 2>&1) && rc=0 || rc=$?
t "net refuses when a host route overlaps the lab network" test "$rc" != 0
t "the refusal names the route and NET_PREFIX" bash -c 'grep -q "203.0.113.0/24 dev v0" <<< "$1" && grep -q "NET_PREFIX in lab/labctl" <<< "$1"' _ "$out"
t "the refusal creates no lab namespace" bash -c '! ip netns list | cut -d" " -f1 | grep -qxF "$LAB_NETNS"'
t "check-net refuses there too" bash -c '! ip netns exec "$LAB_NETNS-host" "$1" check-net > /dev/null 2>&1' _ "$LABCTL"
ip netns delete "$LAB_NETNS-host"

echo "lab-network: $pass passed, $fail failed"
((fail == 0))
