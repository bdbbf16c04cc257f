"""Runs the grid in priority order as several training processes sharing one accelerator.

A batch of 16 leaves a large GPU mostly idle, so N runs train side by side, each in its own
process with 1/N of the GPU memory. New runs start until the deadline; runs still training at
the hard deadline are stopped and leave no metrics.json (they show as missing).

    python -m facerecon schedule --profile paper --workers 4 --deadline-s 420
    python -m facerecon schedule --profile paper --measure 1,4,8   # aggregate images/s per N
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from ..experiment.config import REFERENCE_ARCHITECTURE, STUDY_LOSSES, Profile, RunConfig
from .runs import RunStore, grid, sweep


def priority_order(profile: Profile) -> list[RunConfig]:
    """The study's grid seed by seed (SRResNet and the residual autoencoder under the study's
    losses, then the Simple CNN, then the original residual autoencoder, all on the random split):
    a second seed of the study's grid comes before MS-SSIM+L1, since a difference between losses
    is resolved only across seeds (stats.seed_image_bootstrap). Then the strength sweep (one
    network at every calibration candidate: how far a strength moves the study's numbers), then
    MS-SSIM+L1 and the rest: further seeds and the identity-disjoint runs."""
    random = ["random"]

    def study_grid(seeds):
        return [*grid(profile, ["srresnet", "residual_autoencoder"], list(STUDY_LOSSES),
                      seeds=seeds, splits=random),
                *grid(profile, ["simple_cnn"], list(STUDY_LOSSES), seeds=seeds, splits=random),
                *grid(profile, [REFERENCE_ARCHITECTURE], seeds=seeds, splits=random)]

    seeds = list(profile.seeds)
    tiers = [study_grid(seeds[:1]), study_grid(seeds[1:2]), sweep(profile),
             grid(profile, ["srresnet", "residual_autoencoder", "simple_cnn"], ["ms_ssim_l1"],
                  seeds=seeds[:1], splits=random),
             grid(profile)]
    ordered, seen = [], set()
    for run in (r for tier in tiers for r in tier):
        if run.key not in seen:
            seen.add(run.key)
            ordered.append(run)
    return ordered


def worker_env(workers: int) -> dict:
    # Each process takes an equal share of GPU memory instead of JAX's default 75%.
    return {**os.environ, "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / workers:.3f}",
            "PYTHONUNBUFFERED": "1"}


def train_command(run: RunConfig, results_root: str) -> list[str]:
    return [sys.executable, "-m", "facerecon", "train", "--profile", run.profile, "--arch",
            run.architecture, "--loss", run.loss, "--obfuscation", run.obfuscation, "--seed",
            str(run.seed), "--split", run.split, "--results-root", results_root,
            "--allow-cpu",  # the scheduler has checked the device already
            *(["--strength", run.strength] if run.strength else [])]


def run_in_parallel(runs: list[RunConfig], workers: int, deadline_s: float, grace_s: float,
                    store: RunStore, log_dir: str) -> dict[str, str]:
    """Starts the store's runs in order, `workers` at a time, until deadline_s; stops what
    still runs at deadline_s + grace_s. Returns each started run's outcome."""
    os.makedirs(log_dir, exist_ok=True)
    results_root = str(store.results_root)
    pending = [r for r in runs if store.status(r.key) != "finished"]
    started, running, outcome = time.monotonic(), {}, {}
    while pending or running:
        elapsed = time.monotonic() - started
        for key, (process, began) in list(running.items()):
            if process.poll() is not None:
                outcome[key] = "finished" if process.returncode == 0 else f"exit {process.returncode}"
                print(f"[{elapsed:6.0f}s] done {key}: {outcome[key]} ({elapsed - began:.0f}s)",
                      flush=True)
                del running[key]
        while pending and len(running) < workers and elapsed < deadline_s:
            run = pending.pop(0)
            log = open(os.path.join(log_dir, f"{run.key}.log"), "w")
            process = subprocess.Popen(train_command(run, results_root), stdout=log,
                                       stderr=subprocess.STDOUT, env=worker_env(workers))
            running[run.key] = (process, elapsed)
            print(f"[{elapsed:6.0f}s] start {run.key}", flush=True)
        if elapsed >= deadline_s:
            pending.clear()
        if elapsed >= deadline_s + grace_s:
            for key, (process, _) in running.items():
                if process.poll() is None:
                    process.terminate()
                outcome[key] = "stopped at the deadline"  # metrics.json, if written, still counts
                print(f"[{elapsed:6.0f}s] stopped {key}", flush=True)
            for process, _ in running.values():
                process.wait()
            running.clear()
        time.sleep(1)
    return outcome


def measure_parallel_throughput(profile: Profile, arch: str, counts: list[int], steps: int) -> dict:
    """Aggregate training images/s with N benchmark processes side by side, for each N."""
    totals = {}
    for n in counts:
        command = [sys.executable, "-m", "facerecon", "bench", "--profile", profile.name, "--arch",
                   arch, "--steps", str(steps)]
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      text=True, env=worker_env(n)) for _ in range(n)]
        rates = []
        for process in processes:
            out, _ = process.communicate()
            rates += [float(m) for m in re.findall(rf"^{arch}: ([\d.]+) images/s", out, re.M)]
        totals[n] = sum(rates) if len(rates) == n else float("nan")
        print(f"{n} process(es) side by side: {totals[n]:.1f} images/s in all ({arch})",
              flush=True)
    return totals


def schedule_grid(profile: Profile, workers: int, deadline_s: float, grace_s: float,
                  results_root: str, log_dir: str) -> dict[str, str]:
    """The profile's grid in priority order, `workers` runs at a time, until the deadline;
    prints how many finished."""
    runs = priority_order(profile)
    outcome = run_in_parallel(runs, workers, deadline_s, grace_s,
                              RunStore(Path(results_root), profile), log_dir)
    finished = sum(v == "finished" for v in outcome.values())
    print(f"{finished} of {len(runs)} runs finished; {len(outcome) - finished} started but not "
          f"finished; {len(runs) - len(outcome)} not started")
    return outcome
