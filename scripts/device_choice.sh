#!/usr/bin/env bash
# Which set of wheels scripts/ensure_env.sh installs, and why, in one line: "gpu: REASON" where
# nvidia-smi runs and lists a GPU (an NVIDIA driver is present), else "cpu: REASON".
# FACERECON_DEVICE=cpu|gpu overrides the probe; any other value is one line and exit status 2.
set -euo pipefail
case "${FACERECON_DEVICE:-}" in
  cpu|gpu) echo "$FACERECON_DEVICE: FACERECON_DEVICE=$FACERECON_DEVICE"; exit 0 ;;
  "") ;;
  *) echo "error: FACERECON_DEVICE is '$FACERECON_DEVICE'; valid: cpu, gpu (or unset: gpu where nvidia-smi lists one)" >&2
     exit 2 ;;
esac
if ! command -v nvidia-smi >/dev/null; then
  echo "cpu: no nvidia-smi on the PATH"
  exit 0
fi
# A wedged driver can hang nvidia-smi; the environment must not hang with it.
names=$(timeout 30 nvidia-smi --query-gpu=name --format=csv,noheader 2>&1) || {
  echo "cpu: nvidia-smi fails, exit status $?: $(head -n 1 <<<"$names")"
  exit 0
}
names=$(grep -v '^[[:space:]]*$' <<<"$names" || true)
if [ -z "$names" ]; then
  echo "cpu: nvidia-smi lists no GPU"
  exit 0
fi
listed=$(head -n 1 <<<"$names") count=$(wc -l <<<"$names")
if [ "$count" -gt 1 ]; then
  listed+=" and $((count - 1)) more"
fi
echo "gpu: nvidia-smi lists $listed"
