"""Ray's GPU path on a machine without one: a local Ray instance told it has one GPU trains three
smoke runs side by side on it (--runs-per-gpu 3), each task seeing what the scheduler sets for a
GPU (its share of the GPU, Ray's CUDA_VISIBLE_DEVICES, JAX's memory share, TensorFlow's memory
growth, one thread), and the runs' records are those of the same runs trained one after
another in a process without Ray or a GPU. The training itself runs on the CPU."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest

from facerecon.experiment.config import RunConfig
from facerecon.training import cluster, executors, schedule, worker
from facerecon.experiment.runs import RunStore
from support import assert_records_match, synthetic_arrays, trained_alone
from training.test_schedule import PROFILE, carried

ray = pytest.importorskip("ray")
RUNS_PER_GPU = 3
RUNS = [RunConfig("simple_cnn", "l2", "blur", 0, "smoke"),
        RunConfig("srresnet", "l1", "pixelate", 1, "smoke"),
        RunConfig("residual_autoencoder", "ssim", "blur", 0, "smoke")]
# What the scheduler sets for a run on a GPU (cluster.resources), and Ray for a task given a share.
GPU_SETTINGS = {"XLA_PYTHON_CLIENT_MEM_FRACTION": f"{cluster.GPU_MEMORY_SHARED / RUNS_PER_GPU:.3f}",
                "TF_FORCE_GPU_ALLOW_GROWTH": "true", "OMP_NUM_THREADS": "1",
                "CUDA_VISIBLE_DEVICES": "0"}


@contextmanager
def local_ray(**declared):
    """A Ray instance of our own with the resources declared: address "local" never joins the
    cluster RAY_ADDRESS names, nor another local instance."""
    ray.init(address="local", include_dashboard=False, log_to_driver=False,
             logging_level="ERROR", **declared)
    try:
        yield
    finally:
        ray.shutdown()


def recording_what_each_task_sees(monkeypatch, folder: Path) -> Path:
    """The scheduler's task, wrapped to write down, from inside the Ray worker, the settings it
    trained under and when it trained. Defined in here, the wrapper travels by value, and in the
    worker it calls that process's own, unwrapped worker.train_task."""
    def train_task(config, profile, cache, threads):
        import os
        import time

        import ray

        from facerecon.training import worker

        started = time.time()
        staged = worker.train_task(config, profile, cache, threads)
        seen = {name: os.environ.get(name) for name in GPU_SETTINGS}
        (folder / f"{config.key}.json").write_text(json.dumps(
            {"env": seen, "gpu_ids": ray.get_gpu_ids(), "threads": threads,
             "trained": [started, time.time()]}))
        return staged

    folder.mkdir()
    monkeypatch.setattr(worker, "train_task", train_task)
    return folder


def test_runs_sharing_a_gpu_get_its_settings_and_the_records_of_runs_trained_alone(
        monkeypatch, tmp_path):
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")  # the training on the CPU, even beside a GPU
    arrays = synthetic_arrays()
    seen = recording_what_each_task_sees(monkeypatch, tmp_path / "seen")
    with local_ray(num_gpus=1, num_cpus=RUNS_PER_GPU):  # CPUs enough: the GPU's share limits
        resources = cluster.resources(RUNS_PER_GPU)
        assert (resources.gpus, resources.cpus, resources.slots) == (1 / RUNS_PER_GPU, 1,
                                                                     RUNS_PER_GPU)
        store = RunStore(tmp_path / "on_gpu", PROFILE)
        outcome = schedule.schedule_runs(
            RUNS, store, executors.RayExecutor(resources, PROFILE, carried(arrays)))
    assert outcome.ok and outcome.counts()["finished"] == len(RUNS)
    tasks = {run.key: json.loads((seen / f"{run.key}.json").read_text()) for run in RUNS}
    for key, task in tasks.items():
        assert task["env"] == GPU_SETTINGS, key
        assert task["gpu_ids"] == [0] and task["threads"] == 1, key
    # The three trained at one time: each started before any had finished.
    assert max(t["trained"][0] for t in tasks.values()) < min(t["trained"][1]
                                                               for t in tasks.values())

    alone = RunStore(trained_alone(arrays, tmp_path, RUNS, threads=1), PROFILE)
    assert_records_match(store, alone, RUNS)
