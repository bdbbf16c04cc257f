#!/usr/bin/env bash
# Paper-profile runs on a lent GPU machine: Python 3.12 with JAX, no TensorFlow, no internet.
# The tree must carry .whl/ (keras, namex, optree wheels for Python 3.12) and data/prepared/ (the
# paper data cache; LFW itself stays behind). Prints the throughput per architecture, measures
# how many training processes side by side give the most images/s, trains in priority order
# until the time is up, and packs the run folders and logs into OUT_DIR/device_results.tar.gz.
#
#   scripts/device_paper.sh OUT_DIR        (env: PROFILE=paper TOTAL_S=540 MEASURE=3,6 STEPS=20
#                                           PYTHON=python3, SKIP_WHEELS=1 where keras is installed)
set -u
out=${1:?usage: scripts/device_paper.sh OUT_DIR}
profile=${PROFILE:-paper}
total_s=${TOTAL_S:-540}
measure=${MEASURE:-3,6}
steps=${STEPS:-20}
py=${PYTHON:-python3}
mkdir -p "$out"
if [ -z "${SKIP_WHEELS:-}" ]; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD/lib
else
  export PYTHONPATH=$PWD/lib
fi
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null

echo "== throughput per architecture, one process ($profile) =="
"$py" -m facerecon bench --profile "$profile" --steps "$steps" | tee "$out/bench.txt"
echo "== processes side by side =="
"$py" -m facerecon schedule --profile "$profile" --measure "$measure" --steps "$steps" | tee "$out/parallel.txt"
# The process count with the most images/s in all (one process: the bench's srresnet figure).
workers=$("$py" - "$out" <<'PY'
import re, sys
out = sys.argv[1]
rates = {1: float(re.search(r"^srresnet: ([\d.]+)", open(f"{out}/bench.txt").read(), re.M)[1])}
for n, r in re.findall(r"^(\d+) process\(es\) side by side: ([\d.na]+)", open(f"{out}/parallel.txt").read(), re.M):
    rates[int(n)] = float(r)
print(max((r, n) for n, r in rates.items() if r == r)[1])
PY
)
left=$(( total_s - SECONDS - 40 ))
echo "== training with $workers processes; $left s left =="
"$py" -m facerecon schedule --profile "$profile" --workers "$workers" \
  --deadline-s $(( left > 240 ? left - 150 : left / 2 )) --grace-s $(( left > 240 ? 140 : left / 3 )) \
  --results-root results --log-dir "results/$profile/logs"
tar czf "$out/device_results.tar.gz" "results/$profile/runs" "results/$profile/logs" \
  "$out/bench.txt" "$out/parallel.txt" 2>/dev/null
ls -la "$out"
