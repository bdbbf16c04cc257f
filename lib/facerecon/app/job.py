"""A self-contained GPU job, for a machine without internet, LFW, Ray or this checkout (a lent
GPU window, a cluster node behind a firewall). Three steps:

    python -m facerecon job build --profile paper JOB            # here: JOB/, at most 60 MiB
    JOB/run.sh OUT [--deadline-s 420 --stop-s 540]               # there: trains, packs into OUT
    python -m facerecon job publish OUT                          # here: into results/, models/

`build` writes the package, params/, the prepared faces of the runs to train (the splits they
use, never LFW itself), dlib's two model files, the wheels that machine lacks, job.json (the
runs still missing here, in the study's priority order, and the code version) and run.sh.
`run.sh` (app/job_train.py) installs the wheels into JOB/site and trains the job's runs on that
machine's process pool (schedule's local executor: several runs per GPU, the same task and driver-only publishing
as Ray), every run, or (on a machine lent for a while) starting none after --deadline-s and
stopping any still training at --stop-s; then it
packs every run's records (Y and identity scores included; the test faces stay there) and the
float16 weights of the best run per architecture and obfuscation that fit --back-mib (60) into
parts of at most 15 MiB in OUT. `publish` puts each run
that came back where train_run would have (a run finished here already is kept), the weights
into results/<profile>/weights/, and renews models/ (models.publish_best: the best run per
obfuscation by validation PSNR, among all with weights here).

May import: core, experiment, data, training, app.models.
"""
from __future__ import annotations

import json
import lzma
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from ..axes import face_descriptor
from ..core import io, runtime
from ..core.checks import ConfigError
from ..core.io import PROJECT_ROOT
from ..data.dataset import cache_path, prepare_cache, stored_subset
from ..experiment.config import Profile, RunConfig, load_profile
from ..experiment.fingerprint import fingerprint, run_config, same_fingerprint
from ..experiment.runs import RunStore
from . import models
from .job_train import BACK, NEEDED_THERE

# Sized for a lent GPU machine that copies at most 64 MiB there (what comes back: job_train.py).
JOB_LIMIT = 60 * 2**20
# What a GPU machine with JAX and the scientific Python stack (NumPy, pandas, OpenCV,
# scikit-image, scikit-learn, h5py, PyYAML, typing-extensions) lacks of what a run imports.
LACKED = ("keras", "namex", "optree", "dlib-bin")
WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                   "manylinux2014_x86_64")
RUN_SH = r"""#!/bin/sh
# This GPU job's runs (job.json), trained here and packed into OUT: ./run.sh OUT [--deadline-s S]
# [--stop-s S] [--runs-per-gpu N]. PYTHON names the interpreter (default python3).
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
if ls "$here"/wheels/*.whl >/dev/null 2>&1 && [ ! -d "$here/site" ]; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --target "$here/site.partial" "$here"/wheels/*.whl && mv "$here/site.partial" "$here/site" || exit 1
fi
export PYTHONPATH="$here/lib:$here/site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export KERAS_BACKEND=${KERAS_BACKEND:-jax} TF_CPP_MIN_LOG_LEVEL=3
exec "$py" -m facerecon job train "$here" "$@"
"""


# --- here: the job folder ----------------------------------------------------------------------

def build(runs: list[RunConfig], profile: Profile, job: Path, python_version: str,
          wheels: list[str], data_home=None) -> dict:
    """Writes the job folder for `runs` (in the order to train them); returns job.json."""
    check_new_folder(job)
    if not runs:
        raise ConfigError(f"no run of profile {profile.name} is missing here: nothing to train")
    staging = io.writable_dir(job.with_name(job.name + ".partial"))
    try:
        copy_code(staging)
        splits = sorted({run.split for run in runs})
        carry_faces(prepare_cache(profile, data_home), splits, staging / "faces")
        carry_dlib_models(staging / "dlib_models")
        carried = download_wheels(wheels, python_version, staging / "wheels")
        manifest = {"profile": profile.name, "runs": [run.as_dict() for run in runs],
                    "code_version": runtime.code_version(), "python": python_version,
                    "wheels": carried, "cache": cache_path(profile).name,
                    "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        io.write_json(staging / "job.json", manifest)
        io.write_text(staging / "run.sh", RUN_SH)
        (staging / "run.sh").chmod(0o755)
        io.write_text(staging / "README.txt", job_readme(manifest))
        size = folder_size(staging)
        if size > JOB_LIMIT:
            raise ConfigError(f"the job would hold {size / 2**20:.1f} MiB, more than "
                              f"{JOB_LIMIT // 2**20} MiB: carry fewer wheels (--wheels)")
        staging.rename(job)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest | {"size": size}


def check_new_folder(job: Path) -> None:
    if job.exists() and (not job.is_dir() or any(job.iterdir())):
        raise ConfigError(f"{job} exists and is not an empty folder: name a new folder for the "
                          "job")


def job_readme(manifest: dict) -> str:
    """What the machine that runs the job needs, the command, and what to bring back."""
    carried = ", ".join(manifest["wheels"]) or "none"
    return f"""A GPU job of the face-reconstruction study: {len(manifest['runs'])} run(s) of profile
{manifest['profile']}, code version {manifest['code_version']}, built {manifest['built_at']}.

Needs there: Linux x86_64, Python {manifest['python']} with JAX (its CUDA build on a GPU) and
{', '.join(m for m in NEEDED_THERE if m not in ('keras', 'dlib', 'jax'))}; Keras and dlib too
unless their wheels are carried (carried: {carried}). No internet, LFW or Ray.

    ./run.sh OUT                                   # every run, then packs into OUT
    ./run.sh OUT --deadline-s 420 --stop-s 540     # a machine lent for 10 minutes
    ./run.sh OUT --runs-per-gpu 6                  # runs sharing each GPU (default 1)

PYTHON names the interpreter (default python3). Bring back every OUT/{BACK}NN file, then, in the
checkout the job was built from: python -m facerecon job publish OUT
"""


def copy_code(job: Path) -> None:
    """The package and the profiles (the checkout's own code, caches left out)."""
    shutil.copytree(PROJECT_ROOT / "lib" / "facerecon", job / "lib" / "facerecon",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(PROJECT_ROOT / "params", job / "params")


def carry_faces(cache: Path, splits: list[str], folder: Path) -> None:
    """The prepared cache with the splits the runs use alone, xz-compressed (a fifth smaller
    than the cache's own zip compression)."""
    with np.load(cache) as arrays:
        wanted = {stored_subset(split, subset) for split in splits
                  for subset in ("train", "val", "test")}
        kept = {name: arrays[name] for name in arrays.files if name.rsplit("_", 1)[0] in wanted}
    buffer = tempfile.SpooledTemporaryFile()
    np.savez(buffer, **kept)
    buffer.seek(0)
    io.write_bytes(io.writable_dir(folder) / f"{cache.name}.xz",
                   lzma.compress(buffer.read(), preset=9 | lzma.PRESET_EXTREME))


def carry_dlib_models(folder: Path) -> None:
    """dlib's landmark and descriptor models (what the identity distance needs), xz-compressed at
    the fastest preset: measured, preset 9 saves 0.35 of their 30 MiB in four times the time."""
    source = face_descriptor.model_folder()
    for name in (face_descriptor.LANDMARKS_FILE, face_descriptor.DESCRIPTOR_FILE):
        io.write_bytes(io.writable_dir(folder) / f"{name}.xz",
                       lzma.compress((source / name).read_bytes(), preset=0))


def download_wheels(packages: list[str], python_version: str, folder: Path) -> list[str]:
    """Wheels of `packages` at the versions installed here, for Linux x86_64 and the job's
    Python (pip download: the package index must answer)."""
    if not packages:
        return []
    pinned = []
    for package in packages:
        try:
            pinned.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            raise ConfigError(f"--wheels: {package} is not installed here, so no version to "
                              "carry; install it or leave it out") from None
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
               "--only-binary=:all:", "--python-version", python_version, "--implementation",
               "cp", *[f"--platform={p}" for p in WHEEL_PLATFORMS], "-d", str(folder), *pinned]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"pip download of {', '.join(pinned)} for Python {python_version} "
                          f"failed: {last}")
    return sorted(path.name for path in folder.glob("*.whl"))


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# --- there: train, then pack -------------------------------------------------------------------


# --- here: what came back ----------------------------------------------------------------------

def publish(folder: Path, results_root: Path, models_dir: Path = models.MODELS_DIR) -> dict:
    """Publishes the runs and weights of a job's parts in `folder`; returns counts by outcome
    (published, kept: finished here already, stale: trained under settings the profile no
    longer has) and the models written."""
    if not folder.is_dir():
        raise ConfigError(f"{folder} does not exist: name the folder `run.sh OUT` filled")
    parts = sorted(folder.glob(f"{BACK}*"))
    if not parts:
        raise ConfigError(f"{folder} holds no {BACK}NN: the folder `run.sh OUT` filled")
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "back.tar.gz"
        with archive.open("wb") as whole:
            for part in parts:
                whole.write(part.read_bytes())
        came = Path(scratch) / "came"
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(came, members=plain_members(tar, folder), **DATA_FILTER)
        except (tarfile.TarError, EOFError) as error:
            raise ConfigError(f"the parts in {folder} do not make a whole archive ({error}): "
                              "a part is missing or cut short") from None
        manifest = json.loads((came / "job.json").read_text())
        profile = load_profile(manifest["profile"])
        theirs, ours = RunStore(came, profile), RunStore(results_root, profile)
        said = {"published": [], "kept": [], "stale": [], "models": []}
        for key in theirs.keys_found():
            said[receive(theirs, ours, key, profile)].append(key)
        if any(ours.weights(key).exists() for key in said["published"]):
            said["models"] = [row["name"] for row in models.publish_best(ours.results_root,
                                                                        profile, models_dir)]
    said["not back"] = [RunConfig(**r).key for r in manifest["runs"]
                        if RunConfig(**r).key not in theirs_keys(said)]
    said["job"] = manifest
    return said


# tarfile's own check of what an archive may write (Python 3.11.4 on); plain_members everywhere.
DATA_FILTER = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def plain_members(tar: tarfile.TarFile, folder: Path) -> list[tarfile.TarInfo]:
    """The archive's files and folders, none of which may land outside where it is unpacked."""
    members = tar.getmembers()
    for member in members:
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise ConfigError(f"the parts in {folder} hold {member.name!r}, which no job packs "
                              "(a path outside the archive, or a link): not unpacked")
    return members


def theirs_keys(said: dict) -> set[str]:
    return {key for outcome in ("published", "kept", "stale") for key in said[outcome]}


def receive(theirs: RunStore, ours: RunStore, key: str, profile: Profile) -> str:
    """One run that came back into our results root, as schedule publishes a worker's run."""
    staged = theirs.packed(key)
    trained_as = json.loads(staged.files["config.json"])  # a failed run's fingerprint too
    wanted = fingerprint(run_config(trained_as["run"]), profile)
    if not same_fingerprint(trained_as, wanted):
        return "stale"
    with ours.lock(key):
        if ours.cached(key, wanted):
            return "kept"
        ours.receive(staged)
    return "published"
