#!/usr/bin/env bash
# The test suite: sets up .venv on first use, then runs pytest (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
# One worker per core, at most 4 (each holds TensorFlow); pass -n 0 to run in this process.
exec python -m pytest -n auto --maxprocesses 4 --dist loadfile "$@"
