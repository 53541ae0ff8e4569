#!/usr/bin/env bash
# verify_cluster.yml against a simulated two-director cluster in network namespaces (no VMs): a pass run and a must-fail run.
set -euo pipefail
exec bash "$(cd "$(dirname "$0")" && pwd)/../lab/verify-sim.sh" "$@"
