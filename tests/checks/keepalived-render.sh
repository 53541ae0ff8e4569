#!/bin/sh
# Render matrix for roles/director_keepalived: every fixture in tests/render/keepalived/fixtures is rendered through
# the role's real template and must pass `keepalived -t -l -f` (exit 0); deliberately broken files must be rejected.
# Needs root (unshare namespaces), keepalived and the project venv. Exits non-zero on any failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${LVS_PYTHON:-$repo/.venv/bin/python}
command -v keepalived >/dev/null 2>&1 || { echo "keepalived-render: keepalived is not installed" >&2; exit 1; }
exec timeout 400 "$python" "$repo/tests/render/keepalived/check.py"
