#!/usr/bin/env bash
# Offline check of playbooks/verify_cluster.yml (no VM, no IPVS, about 1 minute): a simulated two-director cluster in
# network namespaces. The client namespace has a bridge; each director and the real-server host is a namespace on
# it; the VIP sits on one director, whose own small web server answers for it. Ansible reaches the "hosts" with the
# local connection and a shell wrapper that enters the host's namespace; a fake `systemctl` in the directors moves
# the VIP to the other director (stop) and back (start), as keepalived with preempt would.
#
# Checks:
#   1. with failback expected (preempt): every ha and balance check passes, times are measured, the JSON report is
#      written with the numbers;
#   2. with failback NOT expected (-e verify_expect_failback=false) the simulated VIP still comes back: the playbook
#      must fail on exactly that check (a verify that cannot fail proves nothing).
# Needs root (network namespaces), python3, iproute2, arping; uses 198.51.100.0/24 inside its own namespaces only.
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
AP=${ANSIBLE_PLAYBOOK:-$REPO/.venv/bin/ansible-playbook}
[[ $(id -u) -eq 0 ]] || { echo "verify-sim: needs root (network namespaces)" >&2; exit 2; }
# Its namespaces use 198.51.100.0/24: a command that ran outside them by mistake must not reach a network of this host.
python3 "$REPO/lab/route_check.py" --network 198.51.100.0/24 --setting "the 198.51.100.x addresses of tests/lab/verify-sim.sh" ||
    { echo "verify-sim: refusing to run (see above)" >&2; exit 2; }
P=vsim$$
NS=("${P}c" "${P}d1" "${P}d2" "${P}r")
W=$(mktemp -d /tmp/verify-sim.XXXXXX)
cleanup() {
    local n p
    for n in "${NS[@]}"; do
        for p in $(ip netns pids "$n" 2> /dev/null); do kill "$p" 2> /dev/null || true; done
        ip netns delete "$n" 2> /dev/null || true
    done
    rm -rf -- "$W"
}
trap cleanup EXIT

VIP=198.51.100.100
for n in "${NS[@]}"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "${P}c" link add br0 type bridge
ip -n "${P}c" addr add 198.51.100.1/24 dev br0
ip -n "${P}c" link set br0 up
for n in "${P}d1" "${P}d2" "${P}r"; do
    ip -n "${P}c" link add "v${n: -2}" type veth peer name eth0 netns "$n"
    ip -n "${P}c" link set "v${n: -2}" master br0
    ip -n "${P}c" link set "v${n: -2}" up
    ip -n "$n" link set eth0 up
done
ip -n "${P}d1" addr add 198.51.100.11/24 dev eth0
ip -n "${P}d2" addr add 198.51.100.12/24 dev eth0
ip -n "${P}r" addr add 198.51.100.21/24 dev eth0
ip -n "${P}r" addr add 198.51.100.22/24 dev eth0
ip -n "${P}d1" addr add "$VIP/32" dev eth0

mkdir -p "$W/bin" "$W/w1" "$W/w2"
echo "This is real server1" > "$W/w1/index.html"
echo "This is real server2" > "$W/w2/index.html"
serve() { (cd "$2" && exec ip netns exec "$1" timeout 600 python3 -m http.server 8081 ${3:+--bind "$3"} > /dev/null 2>&1) & }
serve "${P}r" "$W/w1" 198.51.100.21
serve "${P}r" "$W/w2" 198.51.100.22
serve "${P}d1" "$W/w1" # the director holding the VIP answers for it (there is no IPVS here)
serve "${P}d2" "$W/w1"

# fake systemctl: "stop keepalived" gives the VIP to the other director after 1.5 s, "start" takes it back after 2 s
cat > "$W/bin/systemctl" << EOF
#!/bin/bash
me=\$(ip netns identify \$\$)
other=\$([[ \$me == ${P}d1 ]] && echo ${P}d2 || echo ${P}d1)
move() { # move FROM TO
    ip -n "\$1" addr del $VIP/32 dev eth0 2> /dev/null
    ip -n "\$2" addr add $VIP/32 dev eth0 2> /dev/null
    ip netns exec "\$2" arping -U -q -c 2 -i eth0 -S $VIP $VIP > /dev/null 2>&1
}
case "\$1 \$2" in
    "stop keepalived") ip addr del $VIP/32 dev eth0 2> /dev/null; (sleep 1.5; move "\$me" "\$other") > /dev/null 2>&1 & ;;
    "start keepalived") (sleep 2; move "\$other" "\$me") > /dev/null 2>&1 & ;;
esac
exit 0
EOF
chmod +x "$W/bin/systemctl"
for h in d1 d2 r; do
    # shellcheck disable=SC2016  # $PATH and "$@" belong to the generated wrapper
    printf '#!/bin/bash\nexport PATH=%s/bin:$PATH\nexec ip netns exec %s /bin/sh "$@"\n' "$W" "${P}$h" > "$W/sh-$h"
    chmod +x "$W/sh-$h"
done
cat > "$W/inventory.yml" << EOF
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: /usr/bin/python3
  children:
    lvs_directors:
      children:
        web_directors:
          vars:
            lvs_backend: keepalived
            lvs_cluster_name: web
            lvs_interface: eth0
            lvs_realserver_group: web_realservers
            lvs_keepalived: {auth_pass: sim}
            lvs_virtual_services:
              - {name: www, vip: $VIP, port: 8081, scheduler: sh, forwarding: dr}
          hosts:
            dr1: {ansible_host: 198.51.100.11, ansible_shell_executable: $W/sh-d1}
            dr2: {ansible_host: 198.51.100.12, ansible_shell_executable: $W/sh-d2}
    lvs_realservers:
      children:
        web_realservers:
          hosts:
            rs1: {ansible_host: 198.51.100.21, ansible_shell_executable: $W/sh-r}
            rs2: {ansible_host: 198.51.100.22, ansible_shell_executable: $W/sh-r}
EOF
sleep 1

run() { # run REPORT EXTRA-ARGS...: verify_cluster.yml from the client namespace
    local report=$1
    shift
    ip netns exec "${P}c" env ANSIBLE_CONFIG="$REPO/ansible.cfg" ANSIBLE_FORCE_COLOR=0 \
        "$AP" -i "$W/inventory.yml" "$REPO/playbooks/verify_cluster.yml" \
        -e '{"verify_tests": ["ha", "balance"]}' -e "verify_report_file=$report" "$@"
}

echo "== 1. failback expected: every check must pass"
run "$W/r1.json" > "$W/run1.log" 2>&1 || { tail -60 "$W/run1.log"; echo "verify-sim: run 1 failed" >&2; exit 1; }
python3 - "$W/r1.json" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = d['clusters'][0]
assert d['ok'], 'report not ok: %s' % d
names = [k['name'] for k in c['checks']]
assert any(n.startswith('ha - VIP answers again') for n in names) and any(n.startswith('ha - VIP back on dr1') for n in names), names
assert c['ha']['client_on_segment'] is True, c['ha']
fo, fb = c['ha']['failover'], c['ha']['failback']
assert fo['met'] and 1.5 <= fo['seconds'] < 30, fo      # the fake moves the VIP after 1.5 s: it cannot be faster
assert fb['met'] and 2.0 <= fb['seconds'] < 60, fb
assert c['ha']['holders_after_failover'] == ['dr2'] and c['ha']['holders_after_failback'] == ['dr1'], c['ha']
assert c['balance']['requests'] == 20 and c['balance']['failed'] == 0, c['balance']
print('failover %.2f s (%d of %d requests failed), failback %.2f s, balance %s' % (
    fo['seconds'], fo['failed'], fo['requests'], fb['seconds'], c['balance']['counts']))
EOF

echo "== 2. failback not expected but the VIP comes back: the run must fail on that check only"
if run "$W/r2.json" -e verify_expect_failback=false -e verify_settle_seconds=4 > "$W/run2.log" 2>&1; then
    tail -40 "$W/run2.log"
    echo "verify-sim: run 2 passed although the VIP moved back" >&2
    exit 1
fi
python3 - "$W/r2.json" << 'EOF'
import json, sys
c = json.load(open(sys.argv[1]))['clusters'][0]
bad = [k['name'] for k in c['checks'] if not k['ok']]
assert len(bad) == 1 and bad[0].startswith('ha - VIP stays where it is'), bad
print('failed as expected: %s' % bad[0])
EOF
echo "verify-sim: passed"
