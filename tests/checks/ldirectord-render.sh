#!/bin/sh
# Render matrix for roles/director_heartbeat_ldirectord (tests/render/ldirectord/check.py): the real cluster_model
# plugin and the role's real templates for many model variants; every ldirectord.cf parsed by ldirectord through the
# role's own checker, every ha.cf/haresources/authkeys started by the real heartbeat inside throw-away namespaces,
# plus negative cases that must be refused. Needs root, ldirectord, heartbeat and the project venv.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${LVS_PYTHON:-$repo/.venv/bin/python}
for tool in /usr/sbin/ldirectord /usr/libexec/heartbeat/heartbeat /usr/sbin/ipvsadm unshare; do
    command -v "$tool" >/dev/null 2>&1 || { echo "ldirectord-render: $tool is not installed" >&2; exit 1; }
done
# About a minute on an idle machine; every ldirectord parse starts Perl, so a loaded one needs far longer.
exec timeout 900 "$python" "$repo/tests/render/ldirectord/check.py"
