"""Verify lvs.cluster.realserver_dr in the container: the intent, not just files.

The container's test segment (prepare.yml): lvs0 203.0.113.21/24 <-> cl0 203.0.113.50/24 in netns "client".
VIPs from the scenario's model: 203.0.113.100 (two DR services, one VIP); 203.0.113.105 is a NAT service (no VIP on lo).
"""
import os
import re
import subprocess

import testinfra.utils.ansible_runner

# Only the container: the director dr1 exists in the inventory for the model but is never created.
HOSTS = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("lvs_realservers")
# `podman exec` directly (the instances are podman containers named like the hosts): much faster than one ansible
# ad-hoc run per command.
testinfra_hosts = ["podman://" + name for name in HOSTS]
# The whole molecule inventory (hosts, group_vars, host_vars) lives in the inventory file's directory.
INVENTORY_DIR = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])

VIP = "203.0.113.100"
OWN = "203.0.113.21"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def arp_reply(host, address):
    """True when `address` answers ARP on the segment (asked from the client namespace)."""
    cmd = host.run("ip netns exec client arping -c 1 -w 2 -I cl0 %s", address)
    assert cmd.rc in (0, 1), cmd.stderr
    return cmd.rc == 0


def sysctl(host, key):
    return host.run_expect([0], "sysctl -n %s", key).stdout.strip()


def lo_addresses(host):
    out = host.check_output("ip -o addr show dev lo")
    return [line.split()[3] for line in out.splitlines()]


def test_sysctls_live_and_persisted(host):
    for ifname in ("all", "lvs0"):
        assert sysctl(host, "net.ipv4.conf.%s.arp_ignore" % ifname) == "1"
        assert sysctl(host, "net.ipv4.conf.%s.arp_announce" % ifname) == "2"
    conf = host.file("/etc/sysctl.d/60-lvs-realserver.conf")
    assert conf.is_file and conf.user == "root" and conf.mode == 0o644
    for line in ("net.ipv4.conf.all.arp_ignore = 1", "net.ipv4.conf.all.arp_announce = 2",
                 "net.ipv4.conf.lvs0.arp_ignore = 1", "net.ipv4.conf.lvs0.arp_announce = 2"):
        assert line in conf.content_string
    assert "rp_filter" not in conf.content_string  # no TUN service in this scenario


def test_vips_on_lo_as_host_routes(host):
    addresses = lo_addresses(host)
    assert VIP + "/32" in addresses
    assert not [a for a in addresses if ":" in a and a != "::1/128"]  # no IPv6 VIP in this scenario
    assert addresses.count(VIP + "/32") == 1  # two services, one VIP
    assert not [a for a in addresses if a.startswith(VIP + "/") and a != VIP + "/32"]
    assert "tunl0" not in host.check_output("ip -o addr show")  # no TUN service in this scenario


def test_unit_enabled_and_active(host):
    unit = host.service("lvs-realserver")
    assert unit.is_enabled
    assert unit.is_running or host.run("systemctl is-active lvs-realserver").stdout.strip() == "active"
    assert host.run("/usr/local/sbin/lvs-realserver status").rc == 0
    conf = host.file("/etc/lvs-cluster/realserver.conf").content_string
    # one VIP per line, read as data by the script; two services share 203.0.113.100: one line
    assert [line for line in conf.splitlines() if line.startswith("LVS_")] == [
        "LVS_TUN=no", "LVS_DR_VIP=%s/32" % VIP]


def test_script_refuses_a_hostile_config_and_runs_nothing(host):
    # A line the model can never write (a command substitution): the script refuses the file, changes nothing and
    # never runs the value. The file is restored by the next apply's template run (here: by hand).
    conf = "/etc/lvs-cluster/realserver.conf"
    marker = "/run/lvs-molecule-marker"
    host.run_expect([0], "cp %s %s.bak" % (conf, conf))
    try:
        host.run_expect([0], "printf 'LVS_DR_VIP=$(touch %s)\\n' >> %s" % (marker, conf))
        refused = host.run("/usr/local/sbin/lvs-realserver apply")
        assert refused.rc == 2, refused.stdout + refused.stderr
        assert "nothing was changed" in refused.stderr
        assert not host.file(marker).exists
    finally:
        host.run_expect([0], "mv %s.bak %s" % (conf, conf))
    assert host.run("/usr/local/sbin/lvs-realserver status").rc == 0


def test_no_arp_reply_for_the_vip(host):
    # The real server's own address answers: the probe works...
    assert arp_reply(host, OWN)
    # ...and the VIP on lo does not.
    assert not arp_reply(host, VIP)


def test_probe_detects_arp_replies_and_apply_repairs_drift(host):
    # Control: without arp_ignore the kernel answers for the VIP on lo, so the probe above can fail.
    host.run_expect([0], "sysctl -q -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.lvs0.arp_ignore=0")
    try:
        assert arp_reply(host, VIP), "the ARP probe cannot see a VIP answered on lo: the test would prove nothing"
    finally:
        repaired = host.run("/usr/local/sbin/lvs-realserver apply")
    assert repaired.rc == 0
    assert "net.ipv4.conf.all.arp_ignore: 0 -> 1" in repaired.stdout
    assert sysctl(host, "net.ipv4.conf.all.arp_ignore") == "1"
    assert not arp_reply(host, VIP)


def test_unit_restores_vips_like_a_boot(host):
    host.run_expect([0], "ip addr del %s/32 dev lo" % VIP)
    assert host.run("/usr/local/sbin/lvs-realserver status").rc == 3
    host.run_expect([0], "systemctl restart lvs-realserver")
    assert VIP + "/32" in lo_addresses(host)
    host.run_expect([0], "systemctl stop lvs-realserver")
    assert VIP + "/32" not in lo_addresses(host)
    host.run_expect([0], "systemctl start lvs-realserver")
    assert VIP + "/32" in lo_addresses(host)
    assert not arp_reply(host, VIP)


def _playbook(state, expect_rc=0, **extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = ["ansible-playbook", "-i", INVENTORY_DIR, os.path.join(SCENARIO, "converge.yml"),
           "-e", "realserver_dr_state=%s" % state]
    for key, value in extra.items():
        cmd += ["-e", "%s=%s" % (key, value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    if expect_rc:
        return proc.stdout + proc.stderr
    recap = [line for line in proc.stdout.splitlines() if re.match(r"lvs-molecule-rs1\s+: ok=", line)]
    assert recap, proc.stdout
    return int(recap[-1].split("changed=")[1].split()[0])


def test_nat_gateway_check(host):
    # The scenario's cluster has a NAT service too: its real servers must route through the inside VIP 198.51.100.1.
    out = _playbook("present", expect_rc=2, realserver_dr_nat_gateway_check="fail")
    assert "default gateway must be the directors' inside VIP (198.51.100.1)" in " ".join(out.split())
    default = host.check_output("ip route show default").strip()
    host.run_expect([0], "ip addr add 198.51.100.21/24 dev lvs0")
    host.run_expect([0], "ip route replace default via 198.51.100.1 dev lvs0")
    try:
        assert _playbook("present", realserver_dr_nat_gateway_check="fail") == 0
    finally:
        host.run_expect([0], "ip route replace %s" % default)
        host.run_expect([0], "ip addr del 198.51.100.21/24 dev lvs0")


def test_state_absent_removes_cleanly_then_present_restores(host):
    assert _playbook("absent") > 0
    assert _playbook("absent") == 0  # idempotent removal
    addresses = lo_addresses(host)
    assert VIP + "/32" not in addresses
    for path in ("/etc/sysctl.d/60-lvs-realserver.conf", "/etc/lvs-cluster/realserver.conf",
                 "/usr/local/sbin/lvs-realserver", "/etc/systemd/system/lvs-realserver.service"):
        assert not host.file(path).exists, path
    assert host.run("systemctl is-enabled lvs-realserver").stdout.strip() != "enabled"
    assert sysctl(host, "net.ipv4.conf.all.arp_ignore") == "0"
    assert sysctl(host, "net.ipv4.conf.lvs0.arp_announce") == "0"
    # Back to present for whatever runs next (destroy, or a developer's `molecule verify`).
    assert _playbook("present") > 0
    assert VIP + "/32" in lo_addresses(host)
    assert not arp_reply(host, VIP)
