"""Render matrix for roles/director_keepalived/templates/keepalived.conf.j2.

1. Compute the keepalived view of every fixture (base.yml merged with the fixture, then the model's own
   keepalived.view()), and render it through the role's real template (render.yml, ansible-playbook on localhost).
2. Check the lines each fixture expects / forbids / counts (structure the anchors got wrong).
3. Run `keepalived -t -l -f FILE` on every rendered file inside throw-away namespaces (sandbox.sh): exit 0 and no
   output at all (not one warning) required.
4. Negative cases: break good files in the ways the anchor roles did; `keepalived -t` must exit non-zero for each.
Exit status: 0 when everything passed, 1 otherwise. Needs root (namespaces) and keepalived on the PATH.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import json

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
sys.path.insert(0, os.path.join(REPO, "collections"))

from ansible_collections.lvs.cluster.plugins.module_utils._model import keepalived  # noqa: E402

SCRIPT = "#!/bin/sh\nexit 0\n"

# (name, fixture whose rendered file is broken, regex to find, replacement, count) - each must make -t fail.
NEGATIVE = [
    ("nb_get_retry in HTTP_GET (deprecated)", "02-http-get", r"(?m)^(\s+)retry (\d+)$", r"\1nb_get_retry \2", 1),
    ("nb_get_retry in TCP_CHECK (unknown)", "01-tcp-dr-multicast-pass", r"(?m)^(\s+)retry (\d+)$", r"\1nb_get_retry \2", 1),
    ("auth_pass longer than 8 characters", "01-tcp-dr-multicast-pass", r'auth_pass "[^"]*"', 'auth_pass "123456789"', 1),
    ("authentication block on one line", "01-tcp-dr-multicast-pass",
     r"(?s)authentication \{\n\s+auth_type PASS\n\s+auth_pass (\S+)\n\s+\}",
     r"authentication { auth_type PASS auth_pass \1 }", 1),
    ("scripts without enable_script_security", "17-track-notify-scripts", r"(?m)^\s+enable_script_security\n", "", 1),
    ("unknown scheduler", "09-tun", r"lvs_sched wlc", "lvs_sched bogus", 1),
    ("VRRP interface that does not exist", "01-tcp-dr-multicast-pass", r"(?m)^    interface eth0$", "    interface eth9", 1),
    ("stray closing brace after DNS_CHECK", "05-dns-check-udp", r"(?m)^(            name \S+\n        \})$", r"\1\n        }", 1),
    ("checker block opened on the real_server line", "04-misc-check",
     r"(?s)\{\n        weight 1\n        MISC_CHECK \{", "{ weight 1 MISC_CHECK {", 1),
]


def log(msg):
    print(msg, flush=True)


def prepare_sandbox(work):
    with open("/etc/passwd") as src:
        passwd = src.read()
    with open("/etc/group") as src:
        group = src.read()
    if not re.search(r"(?m)^keepalived_script:", passwd):
        passwd += "keepalived_script:x:64990:64990::/nonexistent:/usr/sbin/nologin\n"
    if not re.search(r"(?m)^keepalived_script:", group):
        group += "keepalived_script:x:64990:\n"
    for name, text in (("passwd", passwd), ("group", group)):
        with open(os.path.join(work, name), "w") as dst:
            dst.write(text)
    scripts = os.path.join(work, "etc-keepalived", "scripts")
    os.makedirs(scripts)
    os.chmod(os.path.join(work, "etc-keepalived"), 0o755)
    for name in ("check_app.sh", "notify.sh"):
        path = os.path.join(scripts, name)
        with open(path, "w") as dst:
            dst.write(SCRIPT)
        os.chmod(path, 0o755)


def merge(base, over):
    """base with over merged in: dictionaries recursively, anything else (lists included) replaced."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(base.get(key), value) if key in base else value
    return out


def fixture_views(names):
    """fixture name -> keepalived view of the resolved cluster base.yml + fixture (see README.md)."""
    with open(os.path.join(HERE, "base.yml")) as src:
        base = yaml.safe_load(src)
    views = {}
    for name in names:
        with open(os.path.join(HERE, "fixtures", name + ".yml")) as src:
            fixture = yaml.safe_load(src)
        cluster = merge(base["cluster"], fixture.get("cluster") or {})
        if "services" in fixture:
            cluster["virtual_services"] = [merge(base["cluster"]["virtual_services"][0], svc) for svc in fixture["services"]]
        me = merge(base["me"], fixture.get("me") or {})
        views[name] = keepalived.view(cluster, me)
    return views


def keepalived_test(work, conf):
    proc = subprocess.run(
        ["unshare", "--mount", "--net", "--pid", "--fork", os.path.join(HERE, "sandbox.sh"), work, conf],
        capture_output=True, text=True, timeout=60, check=False,
    )
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def test_all(work, paths):
    """keepalived -t for many files, two at a time (the CI machine has two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(lambda path: keepalived_test(work, path), paths)))


def main():
    start = time.monotonic()
    failures = []
    work = tempfile.mkdtemp(prefix="lvs-keepalived-render-")
    os.chmod(work, 0o755)
    try:
        out = os.path.join(work, "out")
        os.makedirs(out)
        prepare_sandbox(work)
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="false", PATH=VENV_BIN + ":" + os.environ.get("PATH", ""))
        playbook = shutil.which("ansible-playbook", path=env["PATH"])
        fixtures = sorted(f[:-4] for f in os.listdir(os.path.join(HERE, "fixtures")) if f.endswith(".yml"))
        views_file = os.path.join(work, "views.json")
        with open(views_file, "w") as dst:
            json.dump(fixture_views(fixtures), dst)
        proc = subprocess.run([playbook, "-i", "localhost,", os.path.join(HERE, "render.yml"), "-e", "out_dir=" + out,
                               "-e", "views_file=" + views_file],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
        if proc.returncode != 0:
            log(proc.stdout + proc.stderr)
            log("FAIL render playbook exited %d" % proc.returncode)
            return 1

        passed = 0
        results = test_all(work, [os.path.join(out, name + ".conf") for name in fixtures])
        for name in fixtures:
            with open(os.path.join(HERE, "fixtures", name + ".yml")) as src:
                fixture = yaml.safe_load(src)
            conf = os.path.join(out, name + ".conf")
            with open(conf) as src:
                text = src.read()
            problems = []
            for pattern in fixture.get("expect_lines", []):
                if not re.search(pattern, text, re.M):
                    problems.append("missing line /%s/" % pattern)
            for pattern in fixture.get("absent_lines", []):
                if re.search(pattern, text, re.M):
                    problems.append("forbidden text /%s/ present" % pattern)
            for pattern, count in (fixture.get("count_lines") or {}).items():
                found = len(re.findall(pattern, text, re.M))
                if found != count:
                    problems.append("/%s/ found %d times, want %d" % (pattern, found, count))
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.lstrip().startswith("#"):
                    continue
                if line.count("{") + line.count("}") > 1 or re.search(r"\{\s*\S", line):
                    problems.append("line %d has more than one keyword/brace: %r" % (lineno, line))
            rc, output = results[conf]
            if rc != 0 or output:
                # zero warnings: keepalived -t -l prints nothing at all for a clean file
                problems.append("keepalived -t exited %d: %s" % (rc, output))
            if problems:
                failures.append(name)
                log("FAIL %s (%s)" % (name, fixture.get("description", "")))
                for problem in problems:
                    log("     - " + problem)
            else:
                passed += 1
                log("ok   %s: keepalived -t rc=0 (%s)" % (name, fixture.get("description", "")))

        # Stage 2: resolved views from the real cluster_model plugin over inventory/hosts.yml.
        inv_out = os.path.join(work, "inventory-out")
        os.makedirs(inv_out)
        env_inv = dict(env, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
        proc = subprocess.run([playbook, "-i", os.path.join(HERE, "inventory", "hosts.yml"),
                               os.path.join(HERE, "render-inventory.yml"), "-e", "out_dir=" + inv_out],
                              capture_output=True, text=True, env=env_inv, cwd=REPO, timeout=300, check=False)
        inventory_files = sorted(os.listdir(inv_out))
        if proc.returncode != 0 or not inventory_files:
            log(proc.stdout + proc.stderr)
            failures.append("inventory render")
            log("FAIL render-inventory playbook exited %d" % proc.returncode)
        inv_passed = 0
        results = test_all(work, [os.path.join(inv_out, name) for name in inventory_files])
        for name in inventory_files:
            host = name[len("inventory-"):-len(".conf")]
            with open(os.path.join(inv_out, name)) as src:
                text = src.read()
            problems = []
            if not re.search(r"(?m)^    router_id %s$" % re.escape(host), text):
                problems.append("router_id is not %s" % host)
            for pattern in (r"nb_get_retry", r"\blb_algo\b", r"\blb_kind\b"):
                if re.search(pattern, text):
                    problems.append("old keyword /%s/" % pattern)
            rc, output = results[os.path.join(inv_out, name)]
            if rc != 0 or output:
                problems.append("keepalived -t exited %d: %s" % (rc, output))
            if problems:
                failures.append(name)
                log("FAIL %s" % name)
                for problem in problems:
                    log("     - " + problem)
            else:
                inv_passed += 1
                log("ok   %s: keepalived -t rc=0 (model plugin view of %s)" % (name, host))

        caught = 0
        broken_files = []
        for index, (label, source, pattern, repl, want) in enumerate(NEGATIVE, 1):
            with open(os.path.join(out, source + ".conf")) as src:
                text = src.read()
            broken, subs = re.subn(pattern, repl, text, count=want)
            if subs != want:
                failures.append("negative: " + label)
                log("FAIL negative %r: mutation did not apply to %s" % (label, source))
                continue
            path = os.path.join(out, "negative-%d.conf" % index)
            with open(path, "w") as dst:
                dst.write(broken)
            broken_files.append((label, path))
        results = test_all(work, [path for dummy, path in broken_files])
        for label, path in broken_files:
            rc, output = results[path]
            if rc == 0:
                failures.append("negative: " + label)
                log("FAIL negative %r: keepalived -t exited 0 on a broken file" % label)
            else:
                caught += 1
                first = output.splitlines()[0] if output else ""
                log("ok   negative %r: keepalived -t rc=%d (%s)" % (label, rc, first))

        log("")
        log("render matrix: %d/%d fixtures and %d/%d model-plugin views pass keepalived -t; %d/%d broken files rejected; %.1f s"
            % (passed, len(fixtures), inv_passed, len(inventory_files), caught, len(NEGATIVE), time.monotonic() - start))
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
