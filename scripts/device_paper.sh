#!/usr/bin/env bash
# Paper-profile runs on a lent GPU machine: Python 3.12 with JAX, no TensorFlow, no internet.
#
#   scripts/device_paper.sh pack       (here) the wheels Keras, Ray and dlib need there (.whl/),
#                                      dlib's two model files gzipped (.device/dlib_models/) and
#                                      the paper data cache without LFW and without the identity
#                                      split (.device/prepared/), all git-ignored: carry .whl,
#                                      .device
#   scripts/device_paper.sh OUT_DIR    (there) trains the grid's missing runs on the random split
#                                      in priority order through Ray until the time is up
#                                      (python -m facerecon schedule: RUNS_PER_GPU side by side,
#                                      default the best of the last measurement), and packs the
#                                      run folders (parts of at most 15 MiB: cat the parts | tar
#                                      xz) and the weights of each architecture x obfuscation's
#                                      best seed-0 run (by validation PSNR) that fit what a call
#                                      brings back.
#   scripts/device_paper.sh unpack DIR (here) the runs and weights a call brought back into
#                                      results/ (a run already here is kept as it is). Unpack
#                                      before the next call: its tree is this checkout's, and a
#                                      run finished there but not here is trained again.
# env: PROFILE=paper TOTAL_S=540 PYTHON=python3 RUNS_PER_GPU=, SKIP_WHEELS=1 where Keras and Ray
#      are installed, MEASURE=1,3,6 measures images/s at those runs per GPU first (schedule
#      --measure; the result comes back in results/<profile>/device/runs_per_gpu.csv).
set -u
profile=${PROFILE:-paper}
py=${PYTHON:-python3}

if [ "${1:?usage: scripts/device_paper.sh pack | OUT_DIR}" = pack ]; then
  mkdir -p .whl .device/prepared
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    "keras==$("$py" -c 'from importlib.metadata import version; print(version("keras"))')" namex optree \
    "dlib-bin==$("$py" -c 'from importlib.metadata import version; print(version("dlib-bin"))')" \
    "ray==$("$py" -c 'from importlib.metadata import version; print(version("ray"))')" \
    jsonschema jsonschema-specifications referencing rpds-py || exit 1
  # dlib's two model files (the deep face descriptor, axes/identity.py), gzipped: 27 of 31 MB
  mkdir -p .device/dlib_models
  PYTHONPATH=lib "$py" -c 'from facerecon.axes import identity; print(identity.model_folder())' \
    | while read -r folder; do
        for name in shape_predictor_5_face_landmarks.dat dlib_face_recognition_resnet_model_v1.dat; do
          gzip -9 -c "$folder/$name" > ".device/dlib_models/$name.gz" || exit 1
        done
      done || exit 1
  PYTHONPATH=lib "$py" - "$profile" <<'PY' || exit 1
import sys, zipfile
from facerecon.experiment.config import load_profile
from facerecon.data.dataset import cache_path
source = cache_path(load_profile(sys.argv[1]))
target = f".device/prepared/{source.name}"
with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
    for item in zin.infolist():  # entries copied as they are; the identity split stays here
        if not item.filename.startswith("identity_"):
            zout.writestr(item, zin.read(item.filename), compress_type=item.compress_type)
print(f"{target}: the random split of {source.name}")
PY
  du -sh .whl .device
  carried=$(du -cb .whl .device | tail -1 | cut -f1)
  [ "$carried" -gt $(( 64 * 2**20 )) ] && echo "warning: .whl and .device hold" \
    "$(( carried / 2**20 )) MiB, more than a device call carries with the tree (64 MiB in all)"
  exit 0
fi

if [ "$1" = unpack ]; then
  from=${2:?usage: scripts/device_paper.sh unpack DIR}
  cat "$from"/runs.tar.gz.part_* | tar xz --skip-old-files || exit 1
  for weights in "$from"/weights_*.tar.gz; do
    [ -e "$weights" ] && tar xzf "$weights" --skip-old-files
  done
  ls "results/$profile/runs" | wc -l | xargs echo "run folders in results/$profile/runs:"
  exit 0
fi

out=$1
total_s=${TOTAL_S:-540}
mkdir -p "$out" data/prepared
for cache in .device/prepared/*.npz; do  # the carried cache, unless one is there already
  [ -e "$cache" ] && [ ! -e "data/prepared/${cache##*/}" ] && cp "$cache" data/prepared/
done
if [ -z "${SKIP_WHEELS:-}" ]; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD/lib PATH=/tmp/site/bin:$PATH
  mkdir -p /tmp/dlib_models
  for model in .device/dlib_models/*.gz; do
    name=${model##*/}; gunzip -c "$model" > "/tmp/dlib_models/${name%.gz}" || exit 1
  done
  export FACERECON_DLIB_MODELS=/tmp/dlib_models
else
  export PYTHONPATH=$PWD/lib
fi
# Ray's workers inherit this environment; a second call in the same window reuses what the
# first compiled (JAX's persistent compilation cache).
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-/tmp/jax_cache}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null
"$py" -c 'import jax, keras, ray; print("jax", jax.__version__, jax.devices(), "keras", keras.__version__, "ray", ray.__version__)'

if [ -n "${MEASURE:-}" ]; then
  "$py" -m facerecon schedule --profile "$profile" --results-root results --measure "$MEASURE" \
    | tee "$out/measure.txt"
fi
left=$(( total_s - SECONDS - 60 ))
# No run starts after the deadline; at the hard limit Ctrl-C (SIGINT) stops the runs still
# training within seconds and publishes none of them half, leaving time to pack what finished.
timeout -s INT $(( left > 240 ? left - 10 : left )) "$py" -m facerecon schedule \
  --profile "$profile" --split random --results-root results \
  ${RUNS_PER_GPU:+--runs-per-gpu "$RUNS_PER_GPU"} --deadline-s $(( left > 240 ? left - 150 : left / 2 )) \
  2>&1 | tee "$out/schedule_log.txt"
tar czf - --exclude='.*' "results/$profile/runs" $(ls "results/$profile/device/runs_per_gpu.csv" 2>/dev/null) | split -b 15m - "$out/runs.tar.gz.part_"
# Weights, best first, while the files stay within what comes back (8 files, 60 MiB in all).
"$py" - "$profile" "$out" <<'PY'
import glob, json, os, sys, tarfile
import pandas as pd
profile, out = sys.argv[1:]
best = {}
for folder in glob.glob(f"results/{profile}/runs/*__seed0"):
    key = os.path.basename(folder)
    weights = f"results/{profile}/weights/{key}.weights.h5"
    if not (os.path.exists(f"{folder}/metrics.json") and os.path.exists(weights)):
        continue
    run = json.load(open(f"{folder}/config.json"))["run"]
    history = pd.read_csv(f"{folder}/history.csv")
    score = history.loc[history["val_loss"].idxmin(), "val_psnr"]
    pair = (run["architecture"], run["obfuscation"])
    if run.get("split", "random") == "random" and score > best.get(pair, ("", -1))[1]:
        best[pair] = (weights, score)
used = sum(os.path.getsize(f) for f in glob.glob(f"{out}/*"))
files = len(os.listdir(out))
for (arch, obfuscation), (weights, score) in sorted(best.items(), key=lambda kv: os.path.getsize(kv[1][0])):
    size = os.path.getsize(weights)
    if files < 8 and size < 15 * 2**20 and used + size < 60 * 2**20:
        with tarfile.open(f"{out}/weights_{arch}_{obfuscation}.tar.gz", "w:gz") as tar:
            tar.add(weights)
        used, files = used + os.path.getsize(f"{out}/weights_{arch}_{obfuscation}.tar.gz"), files + 1
        print(f"weights of {os.path.basename(weights)} (validation PSNR {score:.2f} dB)")
    else:
        print(f"left behind: {os.path.basename(weights)} ({size / 2**20:.1f} MiB)")
PY
ls -la "$out"
