"""What tests share besides fixtures (tests/conftest.py): where the checkout and LFW are, faces
and datasets made up for the pipeline's mechanics, and the tools a test needs."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from facerecon.experiment.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED_LFW = ROOT.parent / "shared" / "lfw_home"
# The losses of conftest's `smoke_study`: two keep the suite short; the others show as missing,
# which is tested too.
SMOKE_STUDY_LOSSES = ["l2", "psnr_ssim"]
# The one run that conftest's `trained_run` holds.
TRAINED_RUN = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")


def require_tools(*tools: str) -> None:
    """Skips a test whose command-line tools are missing, with the reason; under CI, which
    installs them (.ci/run), fails it instead: a check CI is meant to run never skips there."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"no {' or '.join(missing)}: .ci/run lists the Debian packages that bring it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def lfw_copy() -> Path | None:
    candidate = Path(os.environ.get("LFW_HOME") or SHARED_LFW)
    return candidate if (candidate / "lfw").is_dir() or (candidate / "lfw_funneled").is_dir() else None


def random_faces(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random 'faces' in 0-255 (uint8), enough for the pipeline's mechanics."""
    rng = np.random.default_rng(seed)
    base = rng.random((n, height // 4 + 1, width // 4 + 1, 3))
    return np.stack([np.clip(cv2.resize(b, (width, height)) * 255, 0, 255) for b in base]
                    ).astype(np.uint8)


def synthetic_dataset_of(profile="smoke", constant_test: int | None = None, split="random"):
    """A Dataset of synthetic faces (no LFW needed) for a profile (a name or a Profile);
    constant_test: every test pixel that value. The identity split trains on other faces."""
    from facerecon.data.dataset import SUBSETS, dataset_from_arrays
    from facerecon.experiment.config import load_profile

    profile = load_profile(profile) if isinstance(profile, str) else profile
    sizes = {"train": profile.n_train, "val": profile.n_val, "test": profile.n_test}
    arrays = {}
    for i, subset in enumerate(SUBSETS):
        seed = i + (10 if split != "random" and subset != "test" else 0)
        arrays[f"{subset}_images"] = random_faces(sizes[subset], 62, 47, seed=seed)
        arrays[f"{subset}_index"] = np.arange(sizes[subset]) + 1000 * i
        arrays[f"{subset}_person"] = np.array([f"person_{j}" for j in range(sizes[subset])])
    if constant_test is not None:
        arrays["test_images"] = np.full_like(arrays["test_images"], constant_test)
    return dataset_from_arrays(profile, arrays)


def cell_defaults(notebook: str) -> dict:
    """The values a notebook's `parameters` cell gives (its parameters' defaults)."""
    import papermill

    from facerecon.app.pipeline import NOTEBOOKS

    return {name: ast.literal_eval(p["default"])
            for name, p in papermill.inspect_notebook(str(NOTEBOOKS / notebook)).items()}


def run_all(*args, **kwargs) -> subprocess.CompletedProcess:
    """./run_all.sh run to its end, its console captured."""
    return subprocess.run([str(ROOT / "run_all.sh"), *args], capture_output=True, text=True,
                          timeout=1500, **kwargs)


def start_run_all(folder: Path, *args) -> subprocess.Popen:
    """./run_all.sh started in the background, its console going to files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(ROOT / "run_all.sh"), *args], text=True,
                            stdout=open(folder / "stdout", "w"), stderr=open(folder / "stderr", "w"))


def finished(process: subprocess.Popen, folder: Path) -> subprocess.CompletedProcess:
    """A background run_all's outcome once it ended (start_run_all)."""
    process.wait(timeout=1500)
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       (folder / "stdout").read_text(),
                                       (folder / "stderr").read_text())


def copy_of(results: Path, where: Path) -> Path:
    """A copy of a shared results root (conftest's trained_run) for a test that changes it."""
    shutil.copytree(results, where / "results")
    return where / "results"


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Ray's raylet and workers are the children of the process that
    started Ray; kernels run in their own session, but are its children)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.update(children)
        todo.extend(children)
    return found


def training_workers(below: int) -> list[int]:
    """The Ray workers training a run (their process title) among the processes below `below`:
    never another Ray's on the same machine (a chroot shares the host's /proc)."""
    found = []
    for pid in descendants(below):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::train_task"):
                found.append(pid)
        except OSError:
            continue
    return found


def synthetic_arrays(identity: bool = True) -> dict:
    """A smoke prepared cache's arrays of synthetic faces; with identity, the identity split
    too."""
    from facerecon.data.dataset import SUBSETS, stored_subset
    from facerecon.experiment.config import load_profile

    profile = load_profile("smoke")
    sizes = {"train": profile.n_train, "val": profile.n_val, "test": profile.n_test}
    arrays = {}
    for split in ("random", "identity") if identity else ("random",):
        for i, subset in enumerate(SUBSETS):
            name = stored_subset(split, subset)
            seed = i + (10 if name != subset else 0)
            arrays[f"{name}_images"] = random_faces(sizes[subset], 62, 47, seed=seed)
            arrays[f"{name}_index"] = np.arange(sizes[subset]) + 1000 * seed
            arrays[f"{name}_person"] = np.array([f"p{seed}_{j}" for j in range(sizes[subset])])
    return arrays


# The runs (JSON) trained one after another from the faces of an .npz, on the threads given (a run
# sharing a GPU has one: TensorFlow's CPU sums depend on the thread count).
TRAIN_ALONE = """
import json, sys
import numpy as np
from facerecon.core import runtime
from facerecon.data.dataset import dataset_from_arrays
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.training.train import train_run

faces, root, runs, threads = sys.argv[1:]
runtime.set_threads(int(threads))
with np.load(faces) as arrays:
    for fields in json.loads(runs):
        run = RunConfig(**fields)
        train_run(run, dataset_from_arrays(load_profile(run.profile), arrays, run.split), root,
                  verbose=0)
"""


def ctrl_c_reaches_it() -> None:
    """Popen's preexec_fn: Ctrl-C (SIGINT) acts in the child whatever this process inherited
    (a shell's background job, e.g. `nohup ... &`, starts with SIGINT ignored, and a Python
    started so never turns it into KeyboardInterrupt)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


# What differs between two trainings of one run: when and how long.
TIMES = ("finished_at", "wall_seconds", "train_seconds")


def assert_records_match(store, alone, runs: list) -> None:
    """The runs' metrics (but their times) and per-image scores are those of the runs trained
    alone, to the last digit."""
    import pandas as pd

    for run in runs:
        mine, theirs = store.metrics(run.key), alone.metrics(run.key)
        for name in TIMES:
            mine.pop(name), theirs.pop(name)
        assert mine == theirs, run.key
        pd.testing.assert_frame_equal(pd.read_csv(store.folder(run.key) / "per_image.csv"),
                                      pd.read_csv(alone.folder(run.key) / "per_image.csv"),
                                      check_exact=True, obj=run.key)


def trained_alone(arrays: dict, folder: Path, runs: list, threads: int) -> Path:
    """A results root of the runs trained one after another in a process of their own, without
    Ray or a GPU, on `threads` threads."""
    import json
    import sys

    np.savez(folder / "faces.npz", **arrays)
    listed = json.dumps([run.as_dict() for run in runs])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", TRAIN_ALONE, str(folder / "faces.npz"),
                           str(folder / "alone"), listed, str(threads)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder / "alone"
