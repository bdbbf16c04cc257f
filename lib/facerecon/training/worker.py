"""What a worker (Ray's, or a process pool's: executors.py) does for the scheduler (schedule.py): trains one run in a folder of its own
and returns it as a StagedRun (the scheduler alone writes the results root), or measures
training throughput. A worker serves many tasks: its framework runtime, the datasets it built
and, on JAX, its compilation cache stay between them, so a run pays only its own training.

The prepared faces travel through Ray's object store (DatasetCache), not a shared filesystem;
a process pool of one machine reads them from its file.

May import: core, experiment, data, experiment.runs, training.train, training.bench.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np

from ..core import runtime
from ..data.dataset import Dataset, dataset_from_arrays, stored_subset
from ..data.lfw import DataError
from ..experiment.config import Profile, RunConfig
from ..experiment.runs import RunStore, StagedRun


@dataclass(frozen=True)
class DatasetCache:
    """A prepared cache (data/prepared/<name>.npz): put into Ray's object store once, or, for
    a process pool, its path. The reference sits in a list so that Ray hands it over as a
    reference: a worker fetches the bytes only for a dataset it has not built yet."""

    name: str
    reference: list

    def read(self) -> bytes:
        held = self.reference[0]
        if isinstance(held, (str, Path)):
            return Path(held).read_bytes()
        import ray

        return ray.get(held)


RUN_FOLDER = "facerecon-run-"  # a task's results root in the temporary folder: <RUN_FOLDER><pid>-...
_datasets: dict[tuple[str, str, str], Dataset] = {}  # (cache, profile, split): the worker's own
_threads: list[int] = []  # the thread count set in this worker, once


def dataset_of(profile: Profile, split: str, cache: DatasetCache) -> Dataset:
    """The profile's dataset on a split, built once per worker from the carried cache."""
    key = (cache.name, profile.name, split)
    if key not in _datasets:
        with np.load(BytesIO(cache.read())) as arrays:
            if f"{stored_subset(split, 'train')}_images" not in arrays:
                raise DataError(f"the prepared cache {cache.name} holds no {split} split (a "
                                "cache packed without it); train those runs where it has one")
            _datasets[key] = dataset_from_arrays(profile, arrays, split)
    return _datasets[key]


def start_task(threads: int) -> None:
    """A fresh Keras state for each task (as a new process has); the threads once per worker."""
    from ..core.quiet_keras import keras

    if not _threads:
        runtime.set_threads(threads)
        _threads.append(threads)
    keras.backend.clear_session()


def train_task(config: RunConfig, profile: Profile, cache: DatasetCache,
               threads: int) -> StagedRun:
    """Trains the run from scratch in a temporary results root and returns what it published
    there (metrics.json or failed.json, its files and weights)."""
    from .train import train_run

    start_task(threads)
    dataset = dataset_of(profile, config.split, cache)
    remove_orphaned_run_folders()
    with tempfile.TemporaryDirectory(prefix=f"{RUN_FOLDER}{os.getpid()}-") as root:
        train_run(config, dataset, root, force=True, verbose=0)
        return RunStore(Path(root), profile).packed(config.key)


def remove_orphaned_run_folders() -> list[Path]:
    """Removes the run folders of this machine's workers that died mid-run (killed, out of
    memory: their folder names their process, and no such process is alive); a worker of a
    live process keeps its own. Returns what it removed."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{RUN_FOLDER}*-*"):
        pid = folder.name[len(RUN_FOLDER):].split("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def bench_task(arch: str, profile: Profile, steps: int, threads: int) -> tuple[float, str]:
    """Training images/s of one architecture on synthetic faces (bench.training_throughput),
    and the device it ran on."""
    from .bench import training_throughput

    start_task(threads)
    return training_throughput(arch, profile, steps), runtime.device_name()
