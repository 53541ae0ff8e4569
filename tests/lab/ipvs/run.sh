#!/usr/bin/env bash
# Lab test of lvs.cluster.ipvs / lvs.cluster.ipvs_info on a real kernel: boots one lab guest (dr1), runs
# tests/lab/ipvs/playbook.yml and drain_enable.yml against it from inside the lab namespace, then stops the guest.
# With --bench it also runs benchmarks/ipvs_bench.py in the guest (1,000 services x 10 real servers, a few minutes).
#
#   flock /run/lvs-lab.lock tests/lab/ipvs/run.sh [--bench]
#
# Exit status: the playbook's (and the benchmark's). Needs root (namespaces, qemu) and the lab image.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../../.." && pwd)
cd "$ROOT"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export PATH="$ROOT/.venv/bin:$PATH"
bench=false
case "${1:-}" in
    --bench) bench=true ;;
    "") ;;
    *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac
steps="ansible-playbook -i '$ROOT/lab/run/hosts.yml' '$ROOT/tests/lab/ipvs/playbook.yml'"
steps="$steps && ansible-playbook -i '$ROOT/inventories/lab' -e @'$ROOT/lab/run/connection.yml' --limit dr1"
steps="$steps -e lvs_drain_realserver=rs1 -e lvs_enable_realserver=rs1 '$ROOT/tests/lab/ipvs/drain_enable.yml'"
if $bench; then
    steps="$steps && python3 '$ROOT/benchmarks/ipvs_bench.py' lab --host dr1"
fi
exec "$ROOT/lab/labctl" run --hosts dr1 -- bash -c "$steps"
