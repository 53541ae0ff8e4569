#!/usr/bin/env bash
# ansible-builder create must turn execution-environment.yml into a complete build context:
# Containerfile on the documented base image, our Python and system requirements in _build/, the collection tarball
# in _build/collections/ and listed in the galaxy requirements. Then the built tarball is installed into a scratch
# collections path and `ansible-builder introspect` must find the collection-level requirements (meta/execution-environment.yml)
# exactly as the builder stage will at image build time. Offline: nothing is pulled or pushed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/.venv/bin"
[[ -x "$BIN/ansible-builder" ]] || BIN=$(dirname "$(command -v ansible-builder)")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The collection tarball the EE installs (the documented `ansible-galaxy collection build` step).
"$BIN/ansible-galaxy" collection build --force --output-path "$WORK/dist" "$ROOT" >/dev/null
tarball=$(ls "$WORK"/dist/lvs-cluster-*.tar.gz)
mkdir -p "$WORK/src/build"
cp "$tarball" "$WORK/src/build/lvs-cluster.tar.gz"
# The definition and the files it names, copied so the repository stays untouched (context/ is never committed).
cp "$ROOT/execution-environment.yml" "$ROOT/requirements.txt" "$ROOT/bindep.txt" "$WORK/src/"

# 2. ansible-builder create (v3 schema is validated here).
(cd "$WORK/src" && "$BIN/ansible-builder" create -f execution-environment.yml -c "$WORK/ctx" --output-filename Containerfile) \
  || fail "ansible-builder create failed"
ctx="$WORK/ctx"
[[ -s "$ctx/Containerfile" ]] || fail "no Containerfile in the build context"
base=$("$BIN/python" -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["images"]["base_image"]["name"])' "$ROOT/execution-environment.yml")
grep -qxF "ARG EE_BASE_IMAGE=\"$base\"" "$ctx/Containerfile" || fail "Containerfile does not default to the base image $base"
grep -q 'ansible-core>=2.19,<2.20' "$ctx/Containerfile" || fail "ansible-core pin missing from the Containerfile"
grep -q 'ansible-runner' "$ctx/Containerfile" || fail "ansible-runner missing from the Containerfile"
grep -q 'introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt' "$ctx/Containerfile" \
  || fail "the builder stage does not merge our requirements"

# Every requirement line of ours is in the context, unchanged.
for f in requirements.txt bindep.txt; do
  [[ -f "$ctx/_build/$f" ]] || fail "_build/$f missing"
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* || "$line" == -r* ]] && continue
    grep -qxF "$line" "$ctx/_build/$f" || fail "_build/$f lacks '$line'"
  done < "$ROOT/$f"
done
grep -q '^pyroute2>=0.9.7' "$ctx/_build/requirements.txt" || fail "pyroute2 missing from _build/requirements.txt"

# The collection itself: copied into the context and installed from there.
[[ -s "$ctx/_build/collections/lvs-cluster.tar.gz" ]] || fail "collection tarball not copied into _build/collections/"
"$BIN/python" - "$ctx/_build/requirements.yml" <<'PY' || fail "galaxy requirements do not install the collection tarball"
import sys, yaml
reqs = yaml.safe_load(open(sys.argv[1]))["collections"]
assert {"name": "/build/collections/lvs-cluster.tar.gz", "type": "file"} in reqs, reqs
PY

# 3. What the builder stage's introspection will find once the tarball is installed.
ANSIBLE_COLLECTIONS_PATH="$WORK/coll" "$BIN/ansible-galaxy" collection install --no-deps -p "$WORK/coll" \
  "$ctx/_build/collections/lvs-cluster.tar.gz" >/dev/null
meta="$WORK/coll/ansible_collections/lvs/cluster/meta/execution-environment.yml"
[[ -f "$meta" ]] || fail "the installed collection has no meta/execution-environment.yml"
"$BIN/ansible-builder" introspect "$WORK/coll" --write-pip "$WORK/pip.txt" --write-bindep "$WORK/bindep.txt" >/dev/null \
  || fail "ansible-builder introspect failed on the installed collection"
grep -q '^pyroute2>=0.9.7.*# from collection lvs.cluster' "$WORK/pip.txt" || { cat "$WORK/pip.txt" >&2; fail "introspection lost pyroute2"; }
for pkg in openssh-clients iproute sshpass; do
  grep -q "^$pkg .*# from collection lvs.cluster" "$WORK/bindep.txt" || { cat "$WORK/bindep.txt" >&2; fail "introspection lost $pkg"; }
done

stages=$(grep -c '^FROM' "$ctx/Containerfile")
echo "ok: ansible-builder create -> $stages stages on $base;" \
  "$(grep -vc '^#' "$WORK/pip.txt") pip and $(grep -vc '^#' "$WORK/bindep.txt") system requirements after introspection"
