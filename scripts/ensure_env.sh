#!/usr/bin/env bash
# Creates or reuses the project's virtual environment (.venv) and installs the pinned
# requirements on first use, or when requirements.txt changed. Where an NVIDIA GPU is found
# (scripts/device_choice.sh; FACERECON_DEVICE=cpu|gpu overrides), JAX's CUDA build of
# requirements-gpu.txt goes on top and Keras trains on JAX; switching sets reinstalls. Sourced by
# run_all.sh and run_tests.sh; prints nothing when the environment is already up to date.
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
# The CPU set is requirements.txt; the GPU set adds requirements-gpu.txt on top, and what it adds
# is listed in .venv/.gpu-packages, so that a switch back to the CPU set removes it (JAX would
# otherwise still load its CUDA plugin).
install_pinned_set() {  # $1: cpu or gpu
  local pip=("$venv/bin/python" -m pip) added="$venv/.gpu-packages" before
  if [ "$1" = cpu ] && [ -s "$added" ]; then
    "${pip[@]}" uninstall -q -y $(cat "$added")
    rm "$added"
  fi
  "${pip[@]}" install -q -r "$root/requirements.txt"
  if [ "$1" = gpu ]; then
    before=$(installed_packages)
    "${pip[@]}" install -q -r "$root/requirements.txt" -r "$root/requirements-gpu.txt"
    { comm -13 <(echo "$before") <(installed_packages); cat "$added" 2>/dev/null || true; } \
      | sort -u > "$added.new"
    mv "$added.new" "$added"
  fi
}
installed_packages() {
  "$venv/bin/python" -m pip list --format=freeze --exclude-editable | cut -d= -f1 | sort
}
# "gpu: why" or "cpu: why"; a bad FACERECON_DEVICE is its one line, and nothing is installed.
choice=$("$root/scripts/device_choice.sh") || exit 2
device=${choice%%:*}
sets=("$root/requirements.txt")
if [ "$device" = gpu ]; then
  sets+=("$root/requirements-gpu.txt")
  export KERAS_BACKEND=${KERAS_BACKEND:-jax}  # the CUDA wheels are JAX's
fi
# What python -m facerecon run says it trains on, and why.
export FACERECON_DEVICE_CHOICE=$choice
stamp="$venv/.requirements.sha256"
# The set is stamped by name and by its files' hash: switching sets reinstalls.
wanted="$device $(cat "${sets[@]}" "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing the pinned requirements, the $device set, into $venv (${choice#*: }; first use: several minutes) ..."
  "$venv/bin/python" -m pip install -q --upgrade pip
  install_pinned_set "$device"
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
