#!/bin/sh
# Every role: meta/argument_specs.yml in step with defaults/main.yml (same variables; literal defaults equal)
# and every variable documented in the role's README. Exits non-zero on any drift.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
exec "${LVS_PYTHON:-$repo/.venv/bin/python}" - "$repo"/roles/*/ <<'PY'
import os
import sys

import yaml

failed = False
for role in sys.argv[1:]:
  role = role.rstrip("/")
  with open(os.path.join(role, "defaults", "main.yml")) as f:
      defaults = yaml.safe_load(f) or {}
  with open(os.path.join(role, "meta", "argument_specs.yml")) as f:
      options = yaml.safe_load(f)["argument_specs"]["main"]["options"]
  with open(os.path.join(role, "README.md")) as f:
      readme = f.read()
  problems = []
  for name in sorted(set(defaults) - set(options)):
      problems.append("%s: in defaults/main.yml, missing from meta/argument_specs.yml" % name)
  for name in sorted(set(options) - set(defaults)):
      problems.append("%s: in meta/argument_specs.yml, missing from defaults/main.yml" % name)
  for name in sorted(set(defaults) & set(options)):
      value = defaults[name]
      templated = isinstance(value, str) and "{{" in value
      if "default" in options[name]:
          if templated:
              problems.append("%s: templated default in defaults/main.yml but a literal default in the spec" % name)
          elif options[name]["default"] != value:
              problems.append("%s: default %r in the spec, %r in defaults/main.yml" % (name, options[name]["default"], value))
      elif not templated:
          problems.append("%s: literal default %r missing from the spec" % (name, value))
  for name in sorted(defaults):
      if "`%s`" % name not in readme:
          problems.append("%s: not documented in README.md" % name)
  for problem in problems:
      print("FAIL " + problem)
  print("%s: %d variables, %d problems" % (os.path.basename(role), len(defaults), len(problems)))
  failed = failed or bool(problems)
sys.exit(1 if failed else 0)
PY
