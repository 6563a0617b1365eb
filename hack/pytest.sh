#!/usr/bin/env bash
# Run pytest and refuse to call a run that executed no test a success (pytest exit code 5).
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
rc=$?
if [[ $rc == 5 ]]; then
  echo "pytest collected no tests: treating this as a failure" >&2
  exit 1
fi
exit $rc
