"""The GPU job's part on the machine it travels to (app/job.py builds it here and publishes what
comes back): `run.sh OUT` installs the wheels and calls `python -m facerecon job train JOB OUT`,
which checks the imports, unpacks the carried faces, trains the job's runs on that machine's
process pool in priority order until its deadline, and packs every run's records and the float16
weights of the best run per architecture and obfuscation into parts of at most PART_SIZE.

May import what job.py may; nothing of this checkout beyond the package travels."""
from __future__ import annotations

import importlib
import json
import lzma
import os
import signal
import tarfile
import tempfile
import time
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from ..axes import face_descriptor
from ..core import io
from ..core.checks import ConfigError
from ..data import faces
from ..data.dataset import CACHE_DIR
from ..experiment.config import RunConfig, load_profile
from ..experiment.fingerprint import fingerprint
from ..experiment.runs import RunStore
from ..training.executors import reason_of
from ..training.plan import TrainingPlan
from ..training.schedule import train_scheduled
from . import models

# Sized for a lent GPU machine that hands back at most 8 files of 16 MiB, 64 MiB together;
# --back-mib raises the total where nothing limits it.
PART_SIZE = 15 * 2**20
BACK_LIMIT = 60 * 2**20
# What a run imports beyond the standard library, checked there before any run starts.
NEEDED_THERE = ("numpy", "pandas", "yaml", "cv2", "h5py", "scipy", "skimage", "sklearn", "jax",
                "keras", "dlib")
BACK = "job_back.tar.gz.part_"


def train(job: Path, out: Path, deadline_s: float | None, stop_s: float | None,
          runs_per_gpu: int | None, back_limit: int = BACK_LIMIT) -> int:
    """Trains the job's runs in its folder (results/) until the deadline, packs what finished
    into `out` and returns the exit status (0: every run trained)."""
    check_imports()

    manifest = json.loads((job / "job.json").read_text())
    unpack_carried(job, manifest)
    profile = load_profile(manifest["profile"])
    store = RunStore(job / "results", profile)
    runs = [RunConfig(**fields) for fields in manifest["runs"]]
    started = time.monotonic()
    outcome = None
    # The stop is a Ctrl-C (the scheduler defers it while publishing): one that acts even where
    # the job was started with Ctrl-C ignored (a shell's background job, `nohup ... &`).
    previous = {signal.SIGALRM: signal.signal(signal.SIGALRM, stop_training),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler)}
    signal.alarm(max(1, int(stop_s)) if stop_s else 0)
    try:
        # Planned without asking the backend for its device: JAX in this process would take
        # three quarters of the GPU's memory from the runs (its default preallocation).
        to_train = [run for run in runs if not store.cached(run.key, fingerprint(run, profile))]
        plan = TrainingPlan(profile, tuple(runs), tuple(to_train), {}, {}, "this job's machine")
        print(plan.text(), flush=True)
        outcome = train_scheduled(plan, store, runs_per_gpu=runs_per_gpu, deadline_s=deadline_s,
                                  allow_cpu=True, executor="local")
    except KeyboardInterrupt:
        print(f"stopped at {time.monotonic() - started:.0f} s: the runs still training are "
              "not packed (a later job trains them)", flush=True)
    finally:
        signal.alarm(0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    pack(store, manifest, out, back_limit)
    return 0 if outcome is not None and outcome.ok and not outcome.counts()["not started"] else 1


def check_imports() -> None:
    """One line naming each package this machine cannot import, and why, before any work."""
    missing = []
    for module in NEEDED_THERE:
        try:
            importlib.import_module(module)
        except Exception as error:  # an ImportError, or a package broken on import
            missing.append(f"{module} ({reason_of(error)})")
    if missing:
        raise ConfigError(f"this machine cannot import {'; '.join(missing)}: install them, or "
                          "carry their wheels (job build --wheels)")


def stop_training(signum, frame):
    """At --stop-s: Ctrl-C, which the scheduler defers while it publishes a run."""
    os.kill(os.getpid(), signal.SIGINT)


def unpack_carried(job: Path, manifest: dict) -> None:
    """The faces into data/prepared/ and dlib's models into dlib_models/ (once); the records
    carry the checkout's code version and the identity distance uses the carried models."""
    cache = CACHE_DIR / manifest["cache"]
    if not cache.exists():
        io.write_bytes(cache, lzma.decompress((job / "faces" / f"{cache.name}.xz").read_bytes()))
    for packed in (job / "dlib_models").glob("*.xz"):
        target = packed.with_suffix("")
        if not target.exists():
            io.write_bytes(target, lzma.decompress(packed.read_bytes()))
    os.environ[face_descriptor.MODELS_ENV] = str(job / "dlib_models")
    os.environ["FACERECON_CODE_VERSION"] = manifest["code_version"]


def pack(store: RunStore, manifest: dict, out: Path, back_limit: int = BACK_LIMIT) -> list[Path]:
    """Every run's folder but its test faces, then the float16 weights of the best run per
    architecture and obfuscation (models.best_runs) while they fit back_limit bytes, as one
    .tar.gz cut into parts of PART_SIZE in `out`."""
    out = io.writable_dir(out)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "back.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            keys = store.keys_found()
            for key in keys:
                for path in sorted(store.folder(key).iterdir()):
                    if path.name != faces.FACES_FILE:
                        tar.add(path, arcname=f"{store.profile.name}/runs/{key}/{path.name}")
            tar.addfile(*json_member("job.json", manifest | {"packed_at": datetime.now(
                timezone.utc).isoformat(timespec="seconds")}))
            tar.fileobj.flush()
            for key in models.best_runs(store, ("architecture", "obfuscation")).values():
                light = Path(scratch) / f"{key}.weights.h5"
                models.to_float16(store.weights(key), light)
                if archive.stat().st_size + light.stat().st_size > back_limit:
                    print(f"left behind (no room): the weights of {key}", flush=True)
                    continue
                tar.add(light, arcname=f"{store.profile.name}/weights/{key}.weights.h5")
                tar.fileobj.flush()
                print(f"packed: the float16 weights of {key}", flush=True)
        parts = split_file(archive, out / BACK, PART_SIZE)
    print(f"{len(keys)} run folder(s) packed into {len(parts)} part(s) in {out} "
          f"({sum(p.stat().st_size for p in parts) / 2**20:.1f} MiB)", flush=True)
    return parts


def json_member(name: str, content: dict):

    data = json.dumps(content, indent=1).encode()
    member = tarfile.TarInfo(name)
    member.size, member.mtime = len(data), int(time.time())
    return member, BytesIO(data)


def split_file(source: Path, prefix: Path, size: int) -> list[Path]:
    parts = []
    with source.open("rb") as whole:
        while chunk := whole.read(size):
            parts.append(prefix.with_name(f"{prefix.name}{len(parts):02d}"))
            io.write_bytes(parts[-1], chunk)
    return parts
