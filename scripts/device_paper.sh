#!/usr/bin/env bash
# Paper-profile runs on a lent GPU machine: Python 3.12 with JAX, no TensorFlow, no internet.
# The tree must carry .whl/ (keras, namex, optree wheels for Python 3.12) and data/prepared/ (the
# paper data cache; LFW itself stays behind). With the grid trainer (the default): prints the
# throughput of each strategy (one architecture, a few seconds each after compiling), trains the
# grid in priority order with the fastest until the time is up, and packs the run folders into
# OUT_DIR in parts of at most 15 MiB (cat the parts | tar xz). TRAINER=processes trains instead
# one run per process, several side by side (python -m facerecon schedule).
#
#   scripts/device_paper.sh OUT_DIR   (env: PROFILE=paper TOTAL_S=540 GROUP=12 BENCH_ARCH=srresnet
#                                      STRATEGIES=fit,vmap,map,loop TRAINER=grid PYTHON=python3,
#                                      SKIP_WHEELS=1 where keras is installed)
set -u
out=${1:?usage: scripts/device_paper.sh OUT_DIR}
profile=${PROFILE:-paper}
total_s=${TOTAL_S:-540}
group=${GROUP:-12}
bench_arch=${BENCH_ARCH:-srresnet}
strategies=${STRATEGIES:-fit,vmap,map,loop}
py=${PYTHON:-python3}
mkdir -p "$out"
if [ -z "${SKIP_WHEELS:-}" ]; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD/lib
else
  export PYTHONPATH=$PWD/lib
fi
# A second call in the same window reuses what the first compiled.
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-/tmp/jax_cache}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null

if [ "${TRAINER:-grid}" = grid ]; then
  echo "== grid strategies ($profile, $bench_arch, $group runs per group) =="
  "$py" -m facerecon bench --profile "$profile" --arch "$bench_arch" --strategy "$strategies" \
    --group-size "$group" | tee "$out/strategies.txt"
  best=$("$py" - "$out/strategies.txt" <<'PY'
import re, sys
rates = re.findall(r"strategy (\w+), group_size \d+, images_per_s ([\d.]+)", open(sys.argv[1]).read())
rates = [r for r in rates if r[0] != "fit"]  # fit is the baseline: one run per process
print(max(rates, key=lambda r: float(r[1]))[0] if rates else "vmap")
PY
)
  left=$(( total_s - SECONDS - 60 ))
  echo "== grid trainer, strategy $best; $left s left =="
  "$py" -m facerecon grid --profile "$profile" --strategy "$best" --group-size "$group" \
    --deadline-s "$left" --results-root results | tee "$out/grid_log.txt"
else
  echo "== processes side by side =="
  "$py" -m facerecon bench --profile "$profile" | tee "$out/bench.txt"
  left=$(( total_s - SECONDS - 60 ))
  "$py" -m facerecon schedule --profile "$profile" --workers 6 --results-root results \
    --deadline-s $(( left > 240 ? left - 150 : left / 2 )) --grace-s $(( left > 240 ? 140 : left / 3 )) \
    --log-dir "results/$profile/logs" | tee "$out/schedule_log.txt"
fi
tar czf - --exclude='.*' "results/$profile/runs" | split -b 15m - "$out/runs.tar.gz.part_"
ls -la "$out"
