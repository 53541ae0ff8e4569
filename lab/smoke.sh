#!/bin/sh
# lab/smoke.sh: the lab smoke test, lab/smoke.py under pytest (see its docstring); arguments go to pytest (-x, -k ...).
exec python3 -m pytest -p no:cacheprovider -q "$(dirname "$(readlink -f "$0")")/smoke.py" "$@"
