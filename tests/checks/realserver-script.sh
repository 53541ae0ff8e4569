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
    render_cases:
      dr:
        {host: rs1, address: 192.0.2.21, interface: eth0, forwarding: [dr], nat_gateways: [],
         vips: [{vip: 192.0.2.100, prefix: 32, family: 4, forwarding: dr}, {vip: 2001:db8::100, prefix: 128, family: 6, forwarding: dr}]}
      dr-less:
        {host: rs1, address: 192.0.2.21, interface: eth0, forwarding: [dr], nat_gateways: [],
         vips: [{vip: 192.0.2.101, prefix: 32, family: 4, forwarding: dr}]}
      tun:
        {host: rs1, address: 192.0.2.21, interface: eth0, forwarding: [dr, tun], nat_gateways: [],
         vips: [{vip: 192.0.2.100, prefix: 32, family: 4, forwarding: dr}, {vip: 192.0.2.110, prefix: 32, family: 4, forwarding: tun},
                {vip: 192.0.2.100, prefix: 32, family: 4, forwarding: tun}]}
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
expect_in "apply adds the IPv4 VIP on lo" "$out" "add 192.0.2.100/32 on lo"
expect_in "apply adds the IPv6 VIP on lo" "$out" "add 2001:db8::100/128 on lo"
first_sysctl=$(echo "$out" | grep -n '^sysctl' | head -1 | cut -d: -f1)
first_vip=$(echo "$out" | grep -n '^add ' | head -1 | cut -d: -f1)
[ "$first_sysctl" -lt "$first_vip" ] && ok "sysctls are applied before the VIPs" || bad "VIP added before the sysctls"
on_lo 192.0.2.100/32 && ok "192.0.2.100/32 on lo" || bad "192.0.2.100/32 not on lo"
on_lo 2001:db8::100/128 && ok "2001:db8::100/128 on lo" || bad "2001:db8::100/128 not on lo"
[ "$(cat /proc/sys/net/ipv4/conf/all/arp_ignore)" = 1 ] && ok "arp_ignore live" || bad "arp_ignore not live"

expect_empty "second apply changes nothing" "$($S apply)"
$S status && ok "status 0 when in place" || bad "status non-zero when in place"

ip addr del 192.0.2.100/32 dev lo
$S status; [ $? -eq 3 ] && ok "status 3 on a missing VIP" || bad "status did not report the missing VIP"
expect_in "check reports the missing VIP" "$($S check)" "add 192.0.2.100/32 on lo"
on_lo 192.0.2.100/32 && bad "check changed something" || ok "check changes nothing"
expect_in "apply repairs the VIP" "$($S apply)" "add 192.0.2.100/32 on lo"
echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore
expect_in "apply repairs the sysctl" "$($S apply)" "sysctl net.ipv4.conf.all.arp_ignore: 0 -> 1"

cp "$dir/dr-less/realserver.conf" "$dir/dr/realserver.conf"
out=$($S apply)
expect_in "a dropped VIP is removed" "$out" "remove 192.0.2.100/32 from lo"
expect_in "a dropped IPv6 VIP is removed" "$out" "remove 2001:db8::100/128 from lo"
expect_in "a new VIP is added" "$out" "add 192.0.2.101/32 on lo"
expect_empty "apply after the change is stable" "$($S apply)"

out=$($S stop)
expect_in "stop removes the VIPs" "$out" "remove 192.0.2.101/32 from lo"
on_lo 192.0.2.101/32 && bad "VIP left after stop" || ok "no VIP left after stop"
[ -e /run/lvs-realserver/vips ] && bad "state file left after stop" || ok "state file removed by stop"

T=$dir/tun/lvs-realserver
out=$($T check)
expect_in "TUN: plans to load ipip" "$out" "load kernel module ipip"
expect_in "TUN: the DR VIP still goes on lo" "$out" "add 192.0.2.100/32 on lo"
exit $fail
SH
chmod 0755 "$work/functional.sh"
mkdir "$work/out"

ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_NOCOLOR=1 ANSIBLE_CONFIG=$repo/ansible.cfg \
    timeout 200 "$bin/ansible-playbook" -i localhost, "$work/render.yml" \
    -e "out_dir=$work/out" -e "render_role_dir=$repo/roles/realserver_dr" \
    > "$work/render.log" 2>&1 || { cat "$work/render.log"; echo "FAIL render playbook"; exit 1; }

has "$work/out/dr/realserver.conf" 'LVS_DR_VIPS="192.0.2.100/32 2001:db8::100/128"'
has "$work/out/dr/realserver.conf" 'LVS_TUN=no'
has "$work/out/dr/sysctl.conf" 'net.ipv4.conf.all.arp_ignore = 1'
has "$work/out/dr/sysctl.conf" 'net.ipv4.conf.eth0.arp_announce = 2'
lacks "$work/out/dr/sysctl.conf" 'rp_filter'
has "$work/out/tun/realserver.conf" 'LVS_TUN_VIPS="192.0.2.110/32"'
has "$work/out/tun/realserver.conf" 'LVS_DR_VIPS="192.0.2.100/32"'
has "$work/out/tun/realserver.conf" 'LVS_TUN=yes'
has "$work/out/tun/sysctl.conf" 'net.ipv4.conf.tunl0.rp_filter = 0'
has "$work/out/tun/sysctl.conf" 'net.ipv4.conf.all.rp_filter = 0'
has "$work/out/dr/lvs-realserver.service" "ExecStart=$work/out/dr/lvs-realserver apply"
has "$work/out/dr/lvs-realserver.service" "ExecStop=$work/out/dr/lvs-realserver stop"
for case in dr dr-less tun; do
    if sh -n "$work/out/$case/lvs-realserver"; then ok "$case: sh -n"; else bad "$case: shell syntax"; fi
    if command -v shellcheck >/dev/null 2>&1; then
        if shellcheck -s sh "$work/out/$case/lvs-realserver"; then ok "$case: shellcheck"; else bad "$case: shellcheck"; fi
    fi
done

timeout 120 unshare --net --mount --fork "$work/functional.sh" "$work/out" || fail=1
if [ "$fail" -eq 0 ]; then echo "realserver-script: all checks passed"; else echo "realserver-script: FAILED"; fi
exit "$fail"
