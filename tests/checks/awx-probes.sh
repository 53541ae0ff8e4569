#!/usr/bin/env bash
# The measuring modules of the operator playbooks, run for real:
#   - lvs.cluster.vip_probe (rolling_update.yml, failover_drill.yml, verify_cluster.yml): who answers ARP for a VIP,
#     and the time a VIP takes to leave this host for another one (release) or to arrive here (acquire), on veth pairs
#     in network namespaces the tests make (198.51.100.0/24, 2001:db8::/64; nothing leaves them);
#   - lvs.cluster.client_probe (verify_cluster.yml, rolling_update.yml): requests to a VIP counted per real server,
#     timed waits, failures counted while a server is down, against listening sockets on 127.0.0.1.
# The same pytest files run in `make unit`, which skips the namespace tests without root; here they must run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || PY=python3
[[ $(id -u) -eq 0 ]] || { echo "FAIL: needs root (network namespaces)" >&2; exit 1; }
cd "$ROOT"
LVS_TESTS_NETNS=require "$PY" -m pytest -q -p no:cacheprovider \
    tests/unit/plugins/modules/test_probe_modules.py \
    tests/unit/plugins/module_utils/test_vip_probe.py \
    tests/unit/plugins/module_utils/test_client_probe.py
echo "ok: vip_probe and client_probe measured switches and requests in namespaces and on 127.0.0.1"
