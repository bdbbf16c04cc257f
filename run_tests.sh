#!/usr/bin/env bash
# The test suite: sets up .venv on first use, then runs pytest (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
exec python -m pytest "$@"
