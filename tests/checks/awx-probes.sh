#!/usr/bin/env bash
# The two measuring helpers embedded in the operator playbooks, run for real on veth pairs in network namespaces
# made here (192.0.2.0/24 documentation addresses, nothing leaves the namespaces):
#   - the VIP probe (rolling_update.yml and failover_drill.yml carry the same copy): who answers ARP for a VIP,
#     and the time a VIP takes to leave this host for another one (release) or to arrive here (acquire);
#   - the client probe of rolling_update.yml: requests to a VIP, failures counted while the server is down.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || PY=python3
[[ $(id -u) -eq 0 ]] || { echo "FAIL: needs root (network namespaces)" >&2; exit 1; }
TAG="awxp$$"
NS_A="${TAG}a" NS_B="${TAG}b" NS_BR="${TAG}br"
WORK=$(mktemp -d)
cleanup() {
  for ns in "$NS_A" "$NS_B" "$NS_BR"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The helpers, exactly as the playbooks run them.
"$PY" - "$ROOT" "$WORK" <<'PY'
import sys, yaml
root, work = sys.argv[1:3]
def var(playbook, name):
    for play in yaml.safe_load(open('%s/playbooks/%s' % (root, playbook))):
        if name in (play.get('vars') or {}):
            return play['vars'][name]
    raise SystemExit('FAIL: %s has no %s' % (playbook, name))
rolling = var('rolling_update.yml', '__lvs_vip_probe_py')
drill = var('failover_drill.yml', '__vip_probe_py')
if rolling != drill:
    raise SystemExit('FAIL: the VIP probe differs between rolling_update.yml and failover_drill.yml')
open(work + '/vip.py', 'w').write(rolling)
open(work + '/client.py', 'w').write(var('rolling_update.yml', '__lvs_client_probe_py'))
PY

ip netns add "$NS_BR"; ip netns add "$NS_A"; ip netns add "$NS_B"
ip -n "$NS_BR" link add br0 type bridge
ip -n "$NS_BR" link set br0 up
for n in a b; do
  ns="${TAG}${n}"
  ip link add "v$n$$" netns "$ns" type veth peer name "p$n" netns "$NS_BR"
  ip -n "$NS_BR" link set "p$n" master br0 up
  ip -n "$ns" link set "v$n$$" name eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
done
ip -n "$NS_A" addr add 192.0.2.11/24 dev eth0
ip -n "$NS_B" addr add 192.0.2.12/24 dev eth0
VIP=192.0.2.100
vip() { ip netns exec "$NS_A" "$PY" "$WORK/vip.py" "$1"; }
field() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, {"d": d}))' "$1" "$2"; }
args() { printf '{"interface":"eth0","source":"192.0.2.11","vips":["%s"],"mode":"%s","timeout":%s,"trigger":%s}' "$VIP" "$1" "${2:-5}" "${3:-[]}"; }
sleep 1  # bridge ports forwarding

# holders: nobody, the other host, both hosts
out=$(vip "$(args holders)") || true
[[ $(field "$out" 'd["vips"]["'$VIP'"]["count"]') == 0 && $(field "$out" 'd["ok"]') == False ]] || fail "nobody holds the VIP: $out"
ip -n "$NS_B" addr add $VIP/32 dev eth0
out=$(vip "$(args holders)")
[[ $(field "$out" 'd["vips"]["'$VIP'"]["count"]') == 1 && $(field "$out" 'd["vips"]["'$VIP'"]["local"]') == False ]] \
  || fail "the other host holds the VIP: $out"
mac_b=$(ip netns exec "$NS_B" cat /sys/class/net/eth0/address)
[[ $(field "$out" 'd["vips"]["'$VIP'"]["remote"][0]') == "$mac_b" ]] || fail "wrong MAC for the holder: $out"
ip -n "$NS_A" addr add $VIP/32 dev eth0
out=$(vip "$(args holders)") || true
[[ $(field "$out" 'd["vips"]["'$VIP'"]["count"]') == 2 && $(field "$out" 'd["ok"]') == False ]] || fail "two holders not seen: $out"
ip -n "$NS_B" addr del $VIP/32 dev eth0
out=$(vip "$(args holders)")
[[ $(field "$out" 'd["ok"]') == True && $(field "$out" 'd["vips"]["'$VIP'"]["local"]') == True ]] || fail "local holder: $out"

# release: this host drops the VIP, the other takes it 0.8 s later
trig='["sh","-c","ip addr del '$VIP'/32 dev eth0; (sleep 0.8; ip netns exec '$NS_B' ip addr add '$VIP'/32 dev eth0) >/dev/null 2>&1 &"]'
out=$(vip "$(args release 5 "$trig")") || fail "release did not complete: $out"
s=$(field "$out" 'd["seconds"]')
"$PY" -c "import sys; sys.exit(not 0.8 <= $s < 2.0)" || fail "release measured $s s for a 0.8 s switch: $out"
echo "ok: release measured ${s}s for a 0.8 s switch"
# acquire: the VIP comes here 0.5 s after the trigger
trig='["sh","-c","(sleep 0.5; ip addr add '$VIP'/32 dev eth0) >/dev/null 2>&1 &"]'
out=$(vip "$(args acquire 5 "$trig")") || fail "acquire did not complete: $out"
s=$(field "$out" 'd["seconds"]')
"$PY" -c "import sys; sys.exit(not 0.5 <= $s < 1.5)" || fail "acquire measured $s s for a 0.5 s switch: $out"
echo "ok: acquire measured ${s}s for a 0.5 s switch"
# a switch that never happens times out with rc 1; a failing trigger gives rc 2
rc=0; out=$(vip "$(args release 1 '["true"]')") || rc=$?
[[ $rc == 1 && $(field "$out" 'd["missing"]') == "['$VIP']" ]] || fail "timeout not reported (rc $rc): $out"
rc=0; out=$(vip "$(args release 1 '["false"]')") || rc=$?
[[ $rc == 2 && $(field "$out" 'd["trigger_rc"]') == 1 ]] || fail "failing trigger not reported (rc $rc): $out"

# client probe: an HTTP server on the VIP (now on B), stopped for a while during the probe
ip -n "$NS_A" addr del $VIP/32 dev eth0 2>/dev/null || true
ip netns exec "$NS_B" "$PY" -m http.server 80 --bind $VIP >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do ip netns exec "$NS_A" "$PY" -c "import socket; socket.create_connection(('$VIP', 80), 1)" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$NS_A" "$PY" "$WORK/client.py" \
  "{\"targets\": [[\"$VIP\", 80, \"http\"]], \"stop\": \"$WORK/stop\", \"interval\": 0.1, \"timeout\": 0.5, \"max_seconds\": 30}" \
  > "$WORK/client.json" &
client=$!
sleep 1.5; kill "$srv"; wait "$srv" 2>/dev/null || true
sleep 1.5
ip netns exec "$NS_B" "$PY" -m http.server 80 --bind $VIP >/dev/null 2>&1 &
sleep 1.5; touch "$WORK/stop"; wait "$client"
out=$(cat "$WORK/client.json")
req=$(field "$out" 'd["requests"]'); failed=$(field "$out" 'd["failed"]')
[[ $req -ge 20 && $failed -ge 3 && $failed -lt $req ]] || fail "client probe: $req requests, $failed failed: $out"
[[ $(field "$out" 'any("Connection refused" in f for f in d["failures"])') == True ]] || fail "failure reason: $out"
echo "ok: client probe counted $failed failed of $req requests while the server was down ~1.5 s"
