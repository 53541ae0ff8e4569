#!/bin/sh
# roles/realserver_dr: render the templates for DR, DR+IPv6 and TUN views, check their content and shell syntax,
# then run the real lvs-realserver script in a private network namespace (apply/check/status/stop, drift repair,
# removal of dropped VIPs, sysctls before VIPs). Needs root (unshare) and the project venv. Exits non-zero on failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${LVS_VENV_BIN:-$repo/.venv/bin}
work=$(mktemp -d /tmp/lvs-realserver-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
short() { echo "$(basename "$(dirname "$1")")/$(basename "$1")"; }
has() { if grep -qF -- "$2" "$1"; then ok "$(short "$1") has: $2"; else bad "$1 lacks: $2"; fi; }
lacks() { if grep -qF -- "$2" "$1"; then bad "$1 has unexpected: $2"; else ok "$(short "$1") lacks: $2"; fi; }

cat > "$work/render.yml" <<'YAML'
---
# Render the realserver_dr templates for a few resolved views (realserver part of docs/model.md) into out_dir/<case>/,
# with every path pointing inside out_dir/<case>. Written and run by tests/checks/realserver-script.sh.
- name: Render the realserver_dr templates
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    # Real-server views as plugins/module_utils/_model/realserver.py returns them (the unit tests check that shape);
    # the templates only print them.
    render_cases:
      dr:
        {host: rs1, address: 203.0.113.21, interface: eth0, sysctl_interfaces: [all, eth0], forwarding: [dr], nat_gateways: [],
         sysctls: [{key: net.ipv4.conf.all.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.all.arp_announce, setting: arp_announce, value: 2},
                   {key: net.ipv4.conf.eth0.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.eth0.arp_announce, setting: arp_announce, value: 2}],
         vips: [{vip: 203.0.113.100, prefix: 32, family: 4, forwarding: dr}, {vip: "2001:db8::100", prefix: 128, family: 6, forwarding: dr}],
         dr_vips: [203.0.113.100/32, "2001:db8::100/128"], tun_vips: [], tun: false, holds_vips: true}
      dr-less:
        {host: rs1, address: 203.0.113.21, interface: eth0, sysctl_interfaces: [all, eth0], forwarding: [dr], nat_gateways: [],
         sysctls: [{key: net.ipv4.conf.all.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.all.arp_announce, setting: arp_announce, value: 2},
                   {key: net.ipv4.conf.eth0.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.eth0.arp_announce, setting: arp_announce, value: 2}],
         vips: [{vip: 203.0.113.101, prefix: 32, family: 4, forwarding: dr}],
         dr_vips: [203.0.113.101/32], tun_vips: [], tun: false, holds_vips: true}
      tun:
        {host: rs1, address: 203.0.113.21, interface: eth0, sysctl_interfaces: [all, eth0], forwarding: [dr, tun], nat_gateways: [],
         sysctls: [{key: net.ipv4.conf.all.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.all.arp_announce, setting: arp_announce, value: 2},
                   {key: net.ipv4.conf.eth0.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.eth0.arp_announce, setting: arp_announce, value: 2},
                   {key: net.ipv4.conf.all.rp_filter, setting: tun_rp_filter, value: 0}, {key: net.ipv4.conf.tunl0.rp_filter, setting: tun_rp_filter, value: 0}],
         vips: [{vip: 203.0.113.100, prefix: 32, family: 4, forwarding: dr}, {vip: 203.0.113.110, prefix: 32, family: 4, forwarding: tun},
                {vip: 203.0.113.100, prefix: 32, family: 4, forwarding: tun}],
         dr_vips: [203.0.113.100/32], tun_vips: [203.0.113.110/32], tun: true, holds_vips: true}
      vlan:
        {host: rs1, address: 203.0.113.21, interface: eth0.100, sysctl_interfaces: [all, eth0.100], forwarding: [dr], nat_gateways: [],
         sysctls: [{key: net.ipv4.conf.all.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.all.arp_announce, setting: arp_announce, value: 2},
                   {key: net.ipv4.conf.eth0/100.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.eth0/100.arp_announce, setting: arp_announce, value: 2}],
         vips: [{vip: 203.0.113.102, prefix: 32, family: 4, forwarding: dr}],
         dr_vips: [203.0.113.102/32], tun_vips: [], tun: false, holds_vips: true}
      # the same view as dr: its files are replaced by hostile ones in the namespace run
      hostile:
        {host: rs1, address: 203.0.113.21, interface: eth0, sysctl_interfaces: [all, eth0], forwarding: [dr], nat_gateways: [],
         sysctls: [{key: net.ipv4.conf.all.arp_ignore, setting: arp_ignore, value: 1}, {key: net.ipv4.conf.all.arp_announce, setting: arp_announce, value: 2}],
         vips: [{vip: 203.0.113.120, prefix: 32, family: 4, forwarding: dr}],
         dr_vips: [203.0.113.120/32], tun_vips: [], tun: false, holds_vips: true}
  # vars_files (not include_vars): the per-case task vars must be able to override the role's paths.
  vars_files:
    - "{{ render_role_dir }}/vars/main.yml"
    - "{{ render_role_dir }}/vars/Debian.yml"
    - "{{ render_role_dir }}/defaults/main.yml"
  tasks:
    - name: Render every template of every case
      ansible.builtin.include_tasks: render-case.yml
      loop: "{{ render_cases | dict2items }}"
      loop_control:
        loop_var: render_case
YAML
cat > "$work/render-case.yml" <<'YAML'
---
- name: Create the case directory {{ render_case.key }}
  ansible.builtin.file:
    path: "{{ out_dir }}/{{ render_case.key }}"
    state: directory
    mode: "0755"

- name: Render the templates of case {{ render_case.key }}
  ansible.builtin.template:
    src: "{{ render_role_dir }}/templates/{{ item.src }}"
    dest: "{{ out_dir }}/{{ render_case.key }}/{{ item.dest }}"
    mode: "{{ item.mode }}"
  loop:
    - {src: sysctl.conf.j2, dest: sysctl.conf, mode: "0644"}
    - {src: realserver.conf.j2, dest: realserver.conf, mode: "0644"}
    - {src: lvs-realserver.sh.j2, dest: lvs-realserver, mode: "0755"}
    - {src: lvs-realserver.service.j2, dest: lvs-realserver.service, mode: "0644"}
  vars:
    __realserver_dr_model:
      realserver: "{{ render_case.value }}"
    realserver_dr_sysctl_file: "{{ out_dir }}/{{ render_case.key }}/sysctl.conf"
    realserver_dr_config_file: "{{ out_dir }}/{{ render_case.key }}/realserver.conf"
    realserver_dr_script: "{{ out_dir }}/{{ render_case.key }}/lvs-realserver"
    # a role knob set for one case: the sysctl file prints the host's knob for the line the view names
    realserver_dr_arp_announce: "{{ 1 if render_case.key == 'vlan' else 2 }}"
YAML
cat > "$work/functional.sh" <<'SH'
#!/bin/sh
# Runs inside `unshare --net --mount --fork` (written and started by tests/checks/realserver-script.sh): exercises the rendered
# lvs-realserver script against a private network namespace (own lo, own net.* sysctls, tmpfs /run).
set -u
dir=$1
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
expect_in() { case $2 in *"$3"*) ok "$1" ;; *) bad "$1: missing '$3' in: $2" ;; esac; }
expect_empty() { [ -z "$2" ] && ok "$1" || bad "$1: expected no output, got: $2"; }
on_lo() { ip -o addr show dev lo | awk '{print $4}' | grep -qx "$1"; }

mount --make-rprivate /
mount -t tmpfs tmpfs /run
ip link set lo up
ip link add eth0 type veth peer name eth0p
ip link set eth0 up

S=$dir/dr/lvs-realserver
out=$($S apply) || bad "apply exited non-zero"
expect_in "apply sets arp_ignore on all" "$out" "sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1"
expect_in "apply sets arp_announce on eth0" "$out" "sysctl net.ipv4.conf.eth0.arp_announce: 0 -> 2"
expect_in "apply adds the IPv4 VIP on lo" "$out" "add 203.0.113.100/32 on lo"
expect_in "apply adds the IPv6 VIP on lo" "$out" "add 2001:db8::100/128 on lo"
first_sysctl=$(echo "$out" | grep -n '^sysctl' | head -1 | cut -d: -f1)
first_vip=$(echo "$out" | grep -n '^add ' | head -1 | cut -d: -f1)
[ "$first_sysctl" -lt "$first_vip" ] && ok "sysctls are applied before the VIPs" || bad "VIP added before the sysctls"
on_lo 203.0.113.100/32 && ok "203.0.113.100/32 on lo" || bad "203.0.113.100/32 not on lo"
on_lo 2001:db8::100/128 && ok "2001:db8::100/128 on lo" || bad "2001:db8::100/128 not on lo"
[ "$(cat /proc/sys/net/ipv4/conf/all/arp_ignore)" = 1 ] && ok "arp_ignore live" || bad "arp_ignore not live"

expect_empty "second apply changes nothing" "$($S apply)"
$S status && ok "status 0 when in place" || bad "status non-zero when in place"

ip addr del 203.0.113.100/32 dev lo
$S status; [ $? -eq 3 ] && ok "status 3 on a missing VIP" || bad "status did not report the missing VIP"
expect_in "check reports the missing VIP" "$($S check)" "add 203.0.113.100/32 on lo"
on_lo 203.0.113.100/32 && bad "check changed something" || ok "check changes nothing"
expect_in "apply repairs the VIP" "$($S apply)" "add 203.0.113.100/32 on lo"
echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore
expect_in "apply repairs the sysctl" "$($S apply)" "sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1"

cp "$dir/dr-less/realserver.conf" "$dir/dr/realserver.conf"
out=$($S apply)
expect_in "a dropped VIP is removed" "$out" "remove 203.0.113.100/32 from lo"
expect_in "a dropped IPv6 VIP is removed" "$out" "remove 2001:db8::100/128 from lo"
expect_in "a new VIP is added" "$out" "add 203.0.113.101/32 on lo"
expect_empty "apply after the change is stable" "$($S apply)"

out=$($S stop)
expect_in "stop removes the VIPs" "$out" "remove 203.0.113.101/32 from lo"
on_lo 203.0.113.101/32 && bad "VIP left after stop" || ok "no VIP left after stop"
[ -e /run/lvs-realserver/vips ] && bad "state file left after stop" || ok "state file removed by stop"

T=$dir/tun/lvs-realserver
out=$($T check)
expect_in "TUN: plans to load ipip" "$out" "load kernel module ipip"
expect_in "TUN: the DR VIP still goes on lo" "$out" "add 203.0.113.100/32 on lo"

# An interface with a dot in its name (a VLAN's usual name; a veth here): its sysctls are keyed eth0/100 (sysctl.d
# convention) and land in conf/eth0.100.
if ip link add eth0.100 type veth peer name vp100; then
    V=$dir/vlan/lvs-realserver
    out=$($V apply) || bad "vlan: apply exited non-zero"
    expect_in "vlan: arp_ignore set on eth0.100" "$out" "sysctl net.ipv4.conf.eth0/100.arp_ignore: 0 -> 1"
    [ "$(cat /proc/sys/net/ipv4/conf/eth0.100/arp_announce)" = 1 ] && ok "vlan: arp_announce (knob 1) live on eth0.100" \
        || bad "vlan: arp_announce not set on eth0.100"
    expect_empty "vlan: second apply changes nothing" "$($V apply)"
    $V stop >/dev/null
else
    bad "vlan: cannot create eth0.100"
fi

# Hostile files: every line below must be refused (exit 2), nothing may change and nothing may run. A marker file
# shows execution; a control run proves the marker does appear when such a file is sourced (as the old script did).
H=$dir/hostile
M=$dir/hostile/MARKER
hostile_conf=$H/realserver.conf
hostile_sysctl=$H/sysctl.conf
valid_sysctl='net.ipv4.conf.all.arp_ignore = 1'
cp "$hostile_conf" "$H/realserver.conf.good"
cp "$hostile_sysctl" "$H/sysctl.conf.good"
printf 'LVS_DR_VIP=$(touch %s)\n' "$M" > "$H/control"
(. "$H/control") 2>/dev/null
[ -e "$M" ] && ok "control: sourcing a hostile line runs it (the marker works)" || bad "control: the marker never appears"
rm -f "$M" "$H/control"

refused() {
    # refused NAME FILE: the script refuses the prepared files in every mode, changes nothing, runs nothing
    for m in apply check status stop; do
        err=$("$H/lvs-realserver" "$m" 2>&1 >/dev/null)
        rc=$?
        [ "$rc" -eq 2 ] || bad "$1: $m exited $rc, not 2 (refusal)"
        case $err in *"$2 line "*"nothing was changed"*) ;; *) bad "$1: $m did not say which line it refused: $err" ;; esac
    done
    [ -e "$M" ] && bad "$1: the hostile value was EXECUTED" || ok "$1: refused, never executed"
    rm -f "$M"
    on_lo 203.0.113.120/32 && bad "$1: a VIP was added from a refused file" || true
    on_lo 203.0.113.121/32 && bad "$1: a VIP was added from a refused file" || true
    [ "$(cat /proc/sys/net/ipv4/conf/all/arp_ignore)" = 0 ] || bad "$1: a sysctl was changed from a refused file"
    cp "$H/realserver.conf.good" "$hostile_conf"
    cp "$H/sysctl.conf.good" "$hostile_sysctl"
}
conf_case() {
    # conf_case NAME LINE: a valid VIP line, then the hostile one
    printf '# hostile\nLVS_TUN=no\nLVS_DR_VIP=203.0.113.121/32\n%s\n' "$2" > "$hostile_conf"
    refused "config: $1" "$hostile_conf"
}
sysctl_case() {
    printf '%s\n%s\n' "$valid_sysctl" "$2" > "$hostile_sysctl"
    refused "sysctl: $1" "$hostile_sysctl"
}
echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore
conf_case 'semicolon' "LVS_DR_VIP=203.0.113.120/32;touch $M"
conf_case 'command substitution' "LVS_DR_VIP=\$(touch $M)"
conf_case 'backquotes' "LVS_DR_VIP=\`touch $M\`"
conf_case 'double quotes' 'LVS_DR_VIP="203.0.113.120/32"'
conf_case 'single quotes' "LVS_DR_VIP=203.0.113.120/32'; touch $M; '"
conf_case 'newline in a VIP' "LVS_DR_VIP=203.0.113.120/32
touch $M"
conf_case 'blank in a value' 'LVS_DR_VIP=203.0.113.120/32 203.0.113.122/32'
conf_case 'old shell format' "LVS_DR_VIPS=\"\$(touch $M)\""
conf_case 'LVS_TUN with a command' "LVS_TUN=yes;touch $M"
conf_case 'a prefix other than /32' 'LVS_DR_VIP=203.0.113.0/24'
conf_case 'an octet above 255' 'LVS_DR_VIP=203.0.113.300/32'
conf_case 'an IPv6 zone index' 'LVS_DR_VIP=fe80::1%lo/128'
conf_case 'a leading blank' ' LVS_DR_VIP=203.0.113.120/32'
conf_case 'a carriage return' "$(printf 'LVS_DR_VIP=203.0.113.120/32\r')"
sysctl_case 'semicolon in the interface' "net.ipv4.conf.eth0;touch $M;.arp_ignore = 1"
sysctl_case 'command substitution in the interface' "net.ipv4.conf.\$(touch $M).arp_ignore = 1"
sysctl_case 'quotes in the value' "net.ipv4.conf.all.arp_announce = 2'; touch $M; echo '"
sysctl_case 'command substitution in the value' "net.ipv4.conf.all.arp_announce = \$(touch $M)"
sysctl_case 'double quote in the interface' 'net.ipv4.conf.eth0".arp_ignore = 1'
sysctl_case 'newline in the interface' "net.ipv4.conf.eth0
touch $M.arp_ignore = 1"
sysctl_case 'a path out of net.ipv4.conf' 'net.ipv4.conf.all/../../../../kernel/x.arp_ignore = 1'
sysctl_case 'a sysctl the role never sets' 'kernel.core_pattern = 1'
sysctl_case 'an interface name longer than 15' 'net.ipv4.conf.abcdefghijklmnop.arp_ignore = 1'
# The state file (/run) is data too: a hostile entry is skipped, never run, and dropped when the file is rewritten.
cp "$H/realserver.conf.good" "$hostile_conf"
mkdir -p /run/lvs-realserver
printf 'lo=$(touch %s)\nlo=203.0.113.120/32;touch %s\n' "$M" "$M" > /run/lvs-realserver/vips
out=$("$H/lvs-realserver" apply 2>/dev/null) || bad "state file: apply failed"
[ -e "$M" ] && bad "state file: a hostile entry was EXECUTED" || ok "state file: hostile entries skipped, never executed"
grep -q touch /run/lvs-realserver/vips && bad "state file: hostile entries kept" || ok "state file: rewritten without them"
"$H/lvs-realserver" stop >/dev/null
exit $fail
SH
chmod 0755 "$work/functional.sh"
mkdir "$work/out"

ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_NOCOLOR=1 ANSIBLE_CONFIG=$repo/ansible.cfg \
    timeout 900 "$bin/ansible-playbook" -i localhost, "$work/render.yml" \
    -e "out_dir=$work/out" -e "render_role_dir=$repo/roles/realserver_dr" \
    > "$work/render.log" 2>&1 || { cat "$work/render.log"; echo "FAIL render playbook"; exit 1; }

has "$work/out/dr/realserver.conf" 'LVS_DR_VIP=203.0.113.100/32'
has "$work/out/dr/realserver.conf" 'LVS_DR_VIP=2001:db8::100/128'
has "$work/out/dr/realserver.conf" 'LVS_TUN=no'
has "$work/out/dr/sysctl.conf" 'net.ipv4.conf.all.arp_ignore = 1'
has "$work/out/dr/sysctl.conf" 'net.ipv4.conf.eth0.arp_announce = 2'
lacks "$work/out/dr/sysctl.conf" 'rp_filter'
has "$work/out/hostile/realserver.conf" 'LVS_DR_VIP=203.0.113.120/32'
has "$work/out/tun/realserver.conf" 'LVS_TUN_VIP=203.0.113.110/32'
has "$work/out/tun/realserver.conf" 'LVS_DR_VIP=203.0.113.100/32'
lacks "$work/out/tun/realserver.conf" 'LVS_TUN_VIP=203.0.113.100/32'
has "$work/out/tun/realserver.conf" 'LVS_TUN=yes'
has "$work/out/tun/sysctl.conf" 'net.ipv4.conf.tunl0.rp_filter = 0'
has "$work/out/tun/sysctl.conf" 'net.ipv4.conf.all.rp_filter = 0'
has "$work/out/vlan/sysctl.conf" 'net.ipv4.conf.eth0/100.arp_ignore = 1'
has "$work/out/vlan/sysctl.conf" 'net.ipv4.conf.eth0/100.arp_announce = 1'
has "$work/out/vlan/sysctl.conf" 'net.ipv4.conf.all.arp_announce = 1'
has "$work/out/dr/lvs-realserver.service" "ExecStart=$work/out/dr/lvs-realserver apply"
has "$work/out/dr/lvs-realserver.service" "ExecStop=$work/out/dr/lvs-realserver stop"
# The script reads its files as data: no sourcing, no eval, no shell started with a value in its command line.
script=$work/out/dr/lvs-realserver
if grep -vE '^[[:space:]]*#' "$script" | grep -E '(^|[;&|(])[[:space:]]*(\.|source)[[:space:]]+[^[:space:]]'; then bad "the script sources a file"; else ok "the script sources no file"; fi
if grep -nE '(^|[^[:alnum:]_])eval([^[:alnum:]_]|$)' "$script"; then bad "the script uses eval"; else ok "the script has no eval"; fi
if grep -nE '(^|[^[:alnum:]_])(ba|da)?sh[[:space:]]+-c' "$script"; then bad "the script starts sh -c"; else ok "the script starts no sh -c"; fi
for case in dr dr-less tun vlan hostile; do
    if sh -n "$work/out/$case/lvs-realserver"; then ok "$case: sh -n"; else bad "$case: shell syntax"; fi
    if command -v shellcheck >/dev/null 2>&1; then
        if shellcheck -s sh "$work/out/$case/lvs-realserver"; then ok "$case: shellcheck"; else bad "$case: shellcheck"; fi
    fi
done

timeout 120 unshare --net --mount --fork "$work/functional.sh" "$work/out" || fail=1
if [ "$fail" -eq 0 ]; then echo "realserver-script: all checks passed"; else echo "realserver-script: FAILED"; fi
exit "$fail"
