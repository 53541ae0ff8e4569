"""Verify lvs.cluster.director_piranha in config-only mode on Debian 12.

The intent: both directors hold the same lvs.cf, the file pulse would read, valid for piranha's grammar
(checked by the validator the role installed, on the director itself), with the cluster of the scenario's model,
owned and protected as piranha expects; and config-only mode installed and started nothing.
"""
import os

import testinfra.utils.ansible_runner

# The containers are reached with `podman exec` (much faster than an Ansible connection per command).
NAMES = sorted(testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("lvs_directors"))
testinfra_hosts = ["podman://%s" % name for name in NAMES]
CONF = "/etc/sysconfig/ha/lvs.cf"
CHECKER = "/usr/local/libexec/lvs-cluster/lvscf-check"


def settings(text):
    """[(block path, key, value)] of an lvs.cf, in order."""
    out, stack = [], []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("{"):
            stack.append(" ".join(line.split()[:2]))
        elif line == "}":
            stack.pop()
        else:
            key, value = line.split(" = ", 1)
            out.append(("/".join(stack), key, value))
    return out


def test_lvs_cf_is_valid_for_piranha(host):
    assert host.file(CONF).exists
    result = host.run("python3 %s %s", CHECKER, CONF)
    assert result.rc == 0, result.stderr
    assert "valid piranha lvs.cf" in result.stdout


def test_ownership_and_mode(host):
    conf = host.file(CONF)
    assert conf.user == "root"
    if host.group("piranha").exists:
        assert (conf.group, conf.mode) == ("piranha", 0o640)
    else:
        assert (conf.group, conf.mode) == ("root", 0o600)


def _hosts():
    return [testinfra.get_host(spec) for spec in testinfra_hosts]


def test_both_ownership_cases_are_covered():
    assert sorted(h.group("piranha").exists for h in _hosts()) == [False, True]


def test_directors_have_identical_files():
    contents = [h.file(CONF).content_string for h in _hosts()]
    assert len(contents) == 2 and contents[0] == contents[1]


def test_content_is_the_model(host):
    found = settings(host.file(CONF).content_string)
    keys = dict(((block, key), value) for block, key, value in found)
    assert keys[("", "primary")] == "203.0.113.11"
    assert keys[("", "backup")] == "203.0.113.12"
    assert keys[("", "backup_active")] == "1" and keys[("", "heartbeat")] == "1"
    assert keys[("", "keepalive")] == "5" and keys[("", "deadtime")] == "10"
    assert keys[("", "network")] == "direct"
    assert keys[("virtual www", "address")] == "203.0.113.100 eth0:0"
    assert keys[("virtual www-tls", "address")] == "203.0.113.100 eth0:0"
    assert keys[("virtual www", "send")] == '"GET / HTTP/1.0\\r\\n\\r\\n"'
    assert keys[("virtual www", "expect")] == '"HTTP"'
    assert keys[("virtual www", "reentry")] == "15"
    assert keys[("virtual www-tls", "port")] == "443"
    assert keys[("virtual www-tls/server rs2", "weight")] == "3"
    assert [entry[0] for entry in found if entry[1] == "address" and entry[0].startswith("virtual www/")] == [
        "virtual www/server rs1", "virtual www/server rs2"]


def test_config_only_installs_and_starts_nothing(host):
    assert not host.package("piranha").is_installed
    assert not host.package("ipvsadm").is_installed
    assert not host.exists("pulse")
    assert host.run("pgrep -x pulse").rc == 1
