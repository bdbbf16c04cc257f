"""This machine's process pool as the scheduler's executor (training/executors.py), where Ray is
not installed (a GPU job, app/job.py): the runs' records are those of the runs trained alone, a
pool process killed mid-run is replaced and its run published once, a failing run is recorded
and the others go on, and each process starts with the GPU settings a run sharing a GPU gets.
Smoke profile on synthetic faces (no LFW, no Ray)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from support import assert_records_match, synthetic_arrays, trained_alone

from facerecon.experiment.config import RunConfig, load_profile
from facerecon.training import cluster, executors, schedule, worker
from facerecon.training.worker import DatasetCache
from facerecon.experiment.runs import RunStore

PROFILE = load_profile("smoke")
RUNS = [RunConfig("simple_cnn", "l2", "blur", 0, "smoke"),
        RunConfig("srresnet", "l1", "pixelate", 1, "smoke"),
        RunConfig("residual_autoencoder", "l2", "blur", 0, "smoke", "identity")]
GPU_NAMES = ("CUDA_VISIBLE_DEVICES", "XLA_PYTHON_CLIENT_MEM_FRACTION", "OMP_NUM_THREADS")


def cache_file(arrays: dict, folder: Path) -> DatasetCache:
    np.savez(folder / "faces.npz", **arrays)
    return DatasetCache("faces.npz", [str(folder / "faces.npz")])


def pool(arrays: dict, folder: Path, runs_per_machine: int = 2) -> executors.PoolExecutor:
    """A pool of this machine's two cores: two runs at a time, one thread each."""
    resources = cluster.resources_for(runs_per_machine, 0, [2.0])
    return executors.PoolExecutor(resources, PROFILE, cache_file(arrays, folder))


def test_runs_through_the_pool_have_the_records_of_runs_trained_alone(tmp_path):
    arrays = synthetic_arrays()
    store = RunStore(tmp_path / "pool", PROFILE)
    outcome = schedule.schedule_runs(RUNS, store, pool(arrays, tmp_path))
    assert outcome.ok and outcome.counts()["finished"] == len(RUNS)
    alone = RunStore(trained_alone(arrays, tmp_path, RUNS, threads=1), PROFILE)
    assert_records_match(store, alone, RUNS)
    for run in RUNS:
        assert store.weights(run.key).exists()
    assert not list(store.runs_dir.glob(".*.partial"))


def test_a_pool_process_killed_mid_run_is_replaced_and_its_run_published_once(tmp_path, capsys):
    executor = pool(synthetic_arrays(), tmp_path, runs_per_machine=1)
    killed, stop = [], threading.Event()

    def kill_the_first_pool_process():
        while not stop.is_set() and not killed:
            processes = list((getattr(executor.pool, "_processes", None) or {}).values())
            if processes and processes[0].pid:
                time.sleep(2)  # the run under way
                os.kill(processes[0].pid, signal.SIGKILL)
                killed.append(processes[0].pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_first_pool_process)
    killer.start()
    try:
        outcome = schedule.schedule_runs(RUNS[:1], RunStore(tmp_path, PROFILE), executor,
                                         retries=2)
    finally:
        stop.set()
        killer.join()
    assert killed, "no pool process was seen"
    assert outcome.retries == 1 and outcome.status == {RUNS[0].key: "finished"}
    assert "worker lost (a pool process died)" in capsys.readouterr().out
    store = RunStore(tmp_path, PROFILE)
    assert store.keys_found() == [RUNS[0].key] and store.status(RUNS[0].key) == "finished"
    assert not list(store.runs_dir.glob(".*.partial"))
    # the killed process's own run folder went with the retry that replaced it
    assert not list(Path(tempfile.gettempdir()).glob(f"{worker.RUN_FOLDER}{killed[0]}-*"))


def test_a_dead_workers_run_folder_is_removed_and_a_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead = tmp_path / f"{worker.RUN_FOLDER}{ended.stdout.strip()}-x1" / "runs" / ".a.partial"
    live = tmp_path / f"{worker.RUN_FOLDER}{os.getpid()}-x2" / "runs" / ".b.partial"
    other = tmp_path / "facerecon-kernels-x3"
    for folder in (dead, live, other):
        folder.mkdir(parents=True)
    assert worker.remove_orphaned_run_folders() == [dead.parents[1]]
    assert live.exists() and other.exists() and not dead.parents[1].exists()


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, capsys):
    """A cache without the identity split (what a GPU job carries): the identity run fails with
    the reason, the run beside it finishes."""
    runs = [RUNS[0], RUNS[2]]
    outcome = schedule.schedule_runs(runs, RunStore(tmp_path, PROFILE),
                                     pool(synthetic_arrays(identity=False), tmp_path))
    assert outcome.status == {runs[0].key: "finished", runs[1].key: "failed"}
    failure = json.loads((RunStore(tmp_path, PROFILE).folder(runs[1].key)
                          / "failed.json").read_text())
    assert "holds no identity split" in failure["reason"]
    assert "holds no identity split" in capsys.readouterr().out


def settings_seen(config, profile, cache, threads) -> dict:
    """In place of a run: what the pool process was started with (and which process it is)."""
    time.sleep(0.5)  # long enough that every process of the pool takes a task
    return {"pid": os.getpid(), "threads": threads,
            **{name: os.environ.get(name) for name in GPU_NAMES}}


def test_each_pool_process_gets_its_gpu_and_its_share_of_it(tmp_path):
    runs_per_gpu = 2
    resources = cluster.resources_for(runs_per_gpu, 2, [16.0])
    assert (resources.gpus, resources.slots, resources.threads) == (0.5, 4, 1)
    executor = executors.PoolExecutor(resources, PROFILE, cache_file({}, tmp_path), ["0", "1"])
    executor.task = settings_seen
    try:
        handles = [executor.submit(run) for run in RUNS + RUNS[:1]]
        seen = [executor.result(handle) for handle in handles]
    finally:
        executor.close()
    by_process = {s["pid"]: s for s in seen}
    assert sorted(s["CUDA_VISIBLE_DEVICES"] for s in by_process.values()) == ["0", "0", "1", "1"]
    assert {(s["XLA_PYTHON_CLIENT_MEM_FRACTION"], s["OMP_NUM_THREADS"], s["threads"])
            for s in seen} == {(f"{cluster.GPU_MEMORY_SHARED / runs_per_gpu:.3f}", "1", 1)}


@pytest.mark.parametrize("visible, listed", [("", []), ("2,3", ["2", "3"]), ("-1", [])])
def test_the_gpus_a_pool_shares_are_those_cuda_visible_devices_names(monkeypatch, visible,
                                                                      listed):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert cluster.local_gpu_ids() == listed


def test_without_cuda_visible_devices_the_gpus_are_those_nvidia_smi_lists(monkeypatch, tmp_path):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-1)'\n"
                    "echo 'GPU 1: NVIDIA H200 (UUID: GPU-2)'\n")
    fake.chmod(0o755)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert cluster.local_gpu_ids() == ["0", "1"]
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert cluster.local_gpu_ids() == []
