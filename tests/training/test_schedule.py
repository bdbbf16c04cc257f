"""The grid through Ray (training/schedule.py) on a local instance with this machine's 2 CPUs:
the same records as the runs trained alone, a worker killed mid-run retried and its run
published once, a failing run that does not stop the others, two schedulers on one results root,
and a bad --address in one line. Smoke profile on synthetic faces carried as a prepared cache
(no LFW), but for the two schedulers, which run the command line on the real LFW."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import ROOT, TIMES, synthetic_arrays, training_workers

from facerecon.data.dataset import dataset_from_arrays
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.training import cluster, executors, schedule
from facerecon.training.plan import training_plan
from facerecon.experiment.runs import RunStore
from facerecon.training.train import train_run

ray = pytest.importorskip("ray")
PROFILE = load_profile("smoke")


def carried(arrays: dict):
    from facerecon.training.worker import DatasetCache

    buffer = BytesIO()
    np.savez(buffer, **arrays)
    return DatasetCache("synthetic.npz", [ray.put(buffer.getvalue())])


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def through_ray(runs, root: Path, arrays: dict, **options) -> schedule.Outcome:
    store = RunStore(root, PROFILE)
    return schedule.schedule_runs(
        runs, store, executors.RayExecutor(cluster.resources(1), PROFILE, carried(arrays)),
        **options)


RUNS = [RunConfig("simple_cnn", "l2", "blur", 0, "smoke"),
        RunConfig("srresnet", "l1", "pixelate", 1, "smoke"),
        RunConfig("residual_autoencoder", "l2", "blur", 0, "smoke", "identity")]


def test_runs_through_ray_have_the_records_of_runs_trained_alone(local_ray, tmp_path):
    arrays = synthetic_arrays()
    outcome = through_ray(RUNS, tmp_path / "ray", arrays)
    assert outcome.ok and outcome.counts()["finished"] == len(RUNS)
    for run in RUNS:
        train_run(run, dataset_from_arrays(PROFILE, arrays, run.split), tmp_path / "alone",
                  verbose=0)
    by_ray, alone = RunStore(tmp_path / "ray", PROFILE), RunStore(tmp_path / "alone", PROFILE)
    for run in RUNS:
        assert by_ray.status(run.key) == "finished"
        mine, theirs = by_ray.metrics(run.key), alone.metrics(run.key)
        for name in TIMES:
            mine.pop(name), theirs.pop(name)
        assert mine == theirs, run.key
        files = sorted(p.name for p in by_ray.folder(run.key).iterdir())
        assert files == sorted(p.name for p in alone.folder(run.key).iterdir())
        for name in files:
            if name == "history.csv":  # but its seconds column
                pd.testing.assert_frame_equal(by_ray.history(run.key).drop(columns="seconds"),
                                              alone.history(run.key).drop(columns="seconds"))
            elif name != "metrics.json":
                assert (by_ray.folder(run.key) / name).read_bytes() == \
                    (alone.folder(run.key) / name).read_bytes(), (run.key, name)
        assert by_ray.weights(run.key).exists()
    assert not list(by_ray.runs_dir.glob(".*.partial"))


def kill_the_first_training_worker(killed: list, stop: threading.Event) -> None:
    """SIGKILLs the first of this process's Ray workers seen training a run, once."""
    while not stop.is_set():
        for pid in training_workers(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
            killed.append(pid)
            return
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_a_worker_killed_mid_run_is_retried_and_its_run_published_once(local_ray, tmp_path,
                                                                        capsys):
    killed, stop = [], threading.Event()
    killer = threading.Thread(target=kill_the_first_training_worker, args=(killed, stop))
    killer.start()
    try:
        outcome = through_ray(RUNS[:1], tmp_path, synthetic_arrays(), retries=2)
    finally:
        stop.set()
        killer.join()
    assert killed, "no training worker was seen"
    assert outcome.retries == 1 and outcome.status == {RUNS[0].key: "finished"}
    out = capsys.readouterr().out
    assert "worker lost" in out and "1 retried after a lost worker" in out
    store = RunStore(tmp_path, PROFILE)
    assert store.keys_found() == [RUNS[0].key] and store.status(RUNS[0].key) == "finished"
    assert not list(store.runs_dir.glob(".*.partial"))


def test_a_failing_run_is_recorded_and_the_others_go_on(local_ray, tmp_path, capsys):
    """A cache without the identity split (what the GPU job carries): the identity run fails
    with the reason, the runs around it finish."""
    runs = [RUNS[0], RUNS[2], RunConfig("simple_cnn", "l2", "pixelate", 0, "smoke")]
    outcome = through_ray(runs, tmp_path, synthetic_arrays(identity=False))
    assert outcome.status == {runs[0].key: "finished", runs[1].key: "failed",
                              runs[2].key: "finished"}
    assert not outcome.ok
    store = RunStore(tmp_path, PROFILE)
    failure = json.loads((store.folder(runs[1].key) / "failed.json").read_text())
    assert "holds no identity split" in failure["reason"]
    assert "holds no identity split" in capsys.readouterr().out
    # A rerun trains the failed run again and nothing else.
    assert [r.key for r in training_plan(runs, store).to_train] == [runs[1].key]


def test_two_schedulers_on_one_results_root_neither_duplicate_nor_corrupt_a_run(lfw_home,
                                                                               tmp_path):
    command = [sys.executable, "-m", "facerecon", "schedule", "--profile", "smoke", "--arch",
               "simple_cnn,residual_autoencoder", "--loss", "l2", "--split", "random",
               "--results-root", str(tmp_path)]
    env = {**os.environ, "LFW_HOME": str(lfw_home)}
    env.pop("RAY_ADDRESS", None)
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=env) for _ in range(2)]
    outputs = [process.communicate(timeout=900)[0] for process in both]
    assert [p.returncode for p in both] == [0, 0], outputs
    store = RunStore(tmp_path, PROFILE)
    expected = {"simple_cnn", "residual_autoencoder"}
    frame = store.collect()
    ran = frame[frame["architecture"].isin(expected) & (frame["loss"] == "l2")
                & (frame["split"] == "random")]
    assert len(ran) == 8 and (ran["status"] == "finished").all()
    # Each run was trained and published by one of the two.
    published = [line.split("] ", 1)[1].split(":")[0] for out in outputs
                 for line in out.splitlines()
                 if line.startswith("[") and ": finished: test PSNR" in line]
    assert sorted(published) == sorted(ran["key"]), outputs
    # and each counts only its own as finished: the other's are "finished elsewhere"
    counted = [int(line.split(": ", 1)[1].split(" finished")[0]) for out in outputs
               for line in out.splitlines() if line.startswith("8 run(s): ")]
    assert len(counted) == 2 and sum(counted) == 8, outputs
    assert not list(store.runs_dir.glob(".*.partial"))


def test_a_bad_address_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "facerecon", "schedule", "--profile", "smoke",
                           "--address", "127.0.0.1:9", "--results-root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert done.stderr.startswith("error: no Ray cluster answers at 127.0.0.1:9")
    assert done.stdout == ""


def test_runs_per_gpu_default_to_the_best_of_the_last_gpu_measurement(tmp_path):
    assert cluster.best_runs_per_gpu(tmp_path, "paper")[0] == 1  # none made: one per GPU
    # The measurement of an earlier window, committed: six processes beat three.
    runs_per_gpu, source = cluster.best_runs_per_gpu(ROOT / "results", "paper")
    assert runs_per_gpu == 6 and "throughput_side_by_side.txt" in source

    def measured(at, device, rates):
        return pd.DataFrame({"runs_per_gpu": list(rates), "images_per_s": list(rates.values()),
                             "device": device, "measured_at": at})

    cluster.record_measurement(tmp_path, "paper", measured("2026-12-01", "NVIDIA H200",
                                                           {1: 1600.0, 4: 4000.0, 8: 3000.0}))
    cluster.record_measurement(tmp_path, "paper", measured("2026-12-02", "CPU: x (2 cores)",
                                                           {1: 10.0, 2: 12.0}))
    assert cluster.best_runs_per_gpu(tmp_path, "paper")[0] == 4  # CPU measurements do not count
    cluster.record_measurement(tmp_path, "paper", measured("2026-12-03", "NVIDIA H100",
                                                           {2: 2500.0, 3: 2600.0}))
    runs_per_gpu, source = cluster.best_runs_per_gpu(tmp_path, "paper")
    assert runs_per_gpu == 3 and "2026-12-03 on NVIDIA H100" in source
