#!/usr/bin/env bash
# Creates or reuses the project's virtual environment (.venv) and installs the pinned
# requirements on first use, or when requirements.txt changed. Sourced by run_all.sh and
# run_tests.sh; prints nothing when the environment is already up to date.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  case "$version" in
    3.11|3.12) ;;
    *) echo "error: Python 3.11 or 3.12 is needed, $python is $version (set PYTHON=...)" >&2; exit 2 ;;
  esac
  echo "creating $venv (Python $version) ..."
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
wanted=$(cat "$root/requirements.txt" "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing the pinned requirements into $venv (first use: several minutes) ..."
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r "$root/requirements.txt"
  "$venv/bin/python" -m pip install -q --no-deps -e "$root"
  echo "$wanted" > "$stamp"
fi
# A read-only LFW copy beside the checkout (this workplace's shared/) is used when no other is named.
if [ -z "${LFW_HOME:-}" ] && [ -d "$root/../shared/lfw_home" ]; then
  export LFW_HOME="$root/../shared/lfw_home"
fi
export PATH="$venv/bin:$PATH"
# TensorFlow's C++ log lines (CUDA probes on a CPU machine; an "E" line per Keras fit that TF 2.21
# does not know an attribute Keras' tf.data pipeline sets) say nothing a researcher needs; its
# failures still raise in Python.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
