"""The grid's missing runs as Ray tasks, in the study's priority order, from one laptop to a GPU
cluster (cluster.py: where Ray runs and what a run asks of it; worker.py: what a task does).

This process alone writes the results root: it claims a run (its lock) before sending it, a
task trains in its worker's own folder and returns the StagedRun, and this process publishes
it as train_run would (RunStore.receive). So a cluster needs no shared filesystem, two
schedulers on one results root never train or write one run twice, and a killed scheduler
loses nothing (a rerun skips what is finished). A worker lost mid-run (killed, its node gone)
is retried up to --retries times; a run that fails (a non-finite loss, bad data) is recorded
with failed.json and its reason, and the others go on; Ctrl-C cancels the tasks and stops
within seconds, publishing nothing half.

    python -m facerecon schedule --profile quick                      # a local Ray instance
    python -m facerecon schedule --profile paper --runs-per-gpu 6 --address 10.0.0.5:6379
    python -m facerecon schedule --profile paper --measure 1,3,6      # images/s per runs per GPU
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from ..experiment.config import REFERENCE_ARCHITECTURE, STUDY_LOSSES, Profile, RunConfig
from ..experiment.fingerprint import fingerprint
from . import cluster
from .plan import duration
from .runs import RunBusy, RunStore, grid, sweep
from .train import summary_line


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


def in_priority_order(runs: list[RunConfig], profile: Profile) -> list[RunConfig]:
    """The runs, those of the priority order first and in its order."""
    chosen = set(runs)
    order = [run for run in priority_order(profile) if run in chosen]
    ordered = set(order)
    return order + [run for run in runs if run not in ordered]


@dataclass
class Outcome:
    """What became of each run the scheduler was given."""

    total: int
    started: float = field(default_factory=time.monotonic)
    status: dict[str, str] = field(default_factory=dict)  # key -> finished/failed/busy/lost
    retries: int = 0

    def settle(self, key: str, status: str, said: str) -> None:
        """Records a run's end and prints its progress line."""
        self.status[key] = status
        done, elapsed = len(self.status), time.monotonic() - self.started
        left = elapsed / done * (self.total - done)
        print(f"[{done}/{self.total}] {key}: {said}; {duration(elapsed)} elapsed"
              + (f", about {duration(left)} left" if done < self.total else ""), flush=True)

    def counts(self) -> dict[str, int]:
        counted = {s: list(self.status.values()).count(s)
                   for s in ("finished", "failed", "lost", "busy")}
        counted["not started"] = self.total - len(self.status)
        return counted

    def summary(self) -> str:
        said = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n or s == "finished")
        return (f"{self.total} run(s): {said}; {self.retries} retried after a lost worker; "
                f"{duration(time.monotonic() - self.started)}")

    @property
    def ok(self) -> bool:
        return not {"failed", "lost"} & set(self.status.values())


@contextmanager
def interrupts_deferred():
    """Ctrl-C and SIGTERM wait until the block ends (publishing a run), then stop as usual
    (signals reach the main thread only: elsewhere nothing is deferred)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum))
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            raise KeyboardInterrupt


def schedule_runs(runs: list[RunConfig], store: RunStore, cache, resources: cluster.Resources,
                  force: bool = False, retries: int = 2,
                  deadline_s: float | None = None) -> Outcome:
    """Trains the runs through Ray (connected already), resources.slots at a time, in their
    order, starting none after deadline_s; prints a line per finished run and a summary."""
    import ray

    from . import worker

    task = ray.remote(max_calls=0, max_retries=0)(worker.train_task)  # workers are reused
    lost_errors = lost_worker_errors()
    outcome = Outcome(len(runs))
    pending, in_flight = list(runs), {}  # ObjectRef -> (run, attempt, the run's lock)

    def send(run, attempt, claim):
        ref = task.options(**resources.options()).remote(run, store.profile, cache,
                                                         resources.threads)
        in_flight[ref] = (run, attempt, claim)

    try:
        while pending or in_flight:
            late = deadline_s is not None and time.monotonic() - outcome.started > deadline_s
            while pending and len(in_flight) < resources.slots and not late:
                run = pending.pop(0)
                claim = claimed(run, store, force)
                if isinstance(claim, str):
                    outcome.settle(run.key, claim, "skipped: " + (
                        "another process is training it" if claim == "busy"
                        else "another process finished it"))
                    continue
                send(run, 1, claim)
            if late and pending:
                print(f"deadline ({deadline_s:g} s): {len(pending)} run(s) not started",
                      flush=True)
                pending.clear()
            done, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in done:
                run, attempt, claim = in_flight.pop(ref)
                try:
                    staged = ray.get(ref)
                except lost_errors as lost:
                    if attempt <= retries:
                        outcome.retries += 1
                        print(f"    {run.key}: worker lost ({type(lost).__name__}); retry "
                              f"{attempt} of {retries}", flush=True)
                        send(run, attempt + 1, claim)
                        continue
                    claim.close()
                    outcome.settle(run.key, "lost", f"worker lost {attempt} times "
                                   f"({type(lost).__name__}); not recorded, a rerun trains it")
                    continue
                except ray.exceptions.RayTaskError as error:
                    with interrupts_deferred():
                        record_error(store, run, error)
                        claim.close()
                    outcome.settle(run.key, "failed", f"failed: {reason_of(error)}")
                    continue
                with interrupts_deferred():
                    store.receive(staged)
                    claim.close()
                summary = staged.content
                outcome.settle(run.key, summary["status"], summary_line(summary))
    except KeyboardInterrupt:
        for ref in in_flight:
            ray.cancel(ref, force=True)
        raise
    finally:
        for _, _, claim in in_flight.values():
            claim.close()
    print(outcome.summary(), flush=True)
    return outcome


def train_on_ray(plan, store: RunStore, data_home=None, force: bool = False,
                 address: str | None = None, runs_per_gpu: int | None = None, retries: int = 2,
                 deadline_s: float | None = None, allow_cpu: bool = False) -> Outcome:
    """The plan's runs to train (plan.TrainingPlan, said already), in priority order, through
    a local Ray instance or the cluster at `address`; on a cluster the device check is the
    cluster's (a paper run needs a GPU there, not here)."""
    from .plan import check_device

    runs = in_priority_order(list(plan.to_train), store.profile)
    with cluster.ray_session(address) as where:
        if runs_per_gpu is None:
            runs_per_gpu, source = cluster.best_runs_per_gpu(store.results_root,
                                                             store.profile.name)
        else:
            source = "--runs-per-gpu"
        resources = cluster.resources(runs_per_gpu)
        check_device(plan, allow_cpu or resources.gpus > 0)
        print(f"{where}; {resources.text()}"
              + (f"; {runs_per_gpu} per GPU: {source}" if resources.gpus else ""), flush=True)
        return schedule_runs(runs, store, dataset_cache(store.profile, data_home), resources,
                             force, retries, deadline_s)


def lost_worker_errors() -> tuple[type, ...]:
    """Ray's errors for a task whose worker or node went away (not the task's own error)."""
    import ray.exceptions as errors

    return (errors.WorkerCrashedError, errors.NodeDiedError, errors.OutOfMemoryError,
            errors.ObjectLostError, errors.LocalRayletDiedError)


def claimed(run: RunConfig, store: RunStore, force: bool) -> ExitStack | str:
    """The run's lock, held until it is published; 'busy' if another process holds it,
    'finished' if another finished it meanwhile (unless force)."""
    wanted = fingerprint(run, store.profile)
    if not force and store.cached(run.key, wanted):
        return "finished"
    claim = ExitStack()
    try:
        claim.enter_context(store.lock(run.key))
    except RunBusy:
        return "busy"
    if not force and store.cached(run.key, wanted):
        claim.close()
        return "finished"
    return claim


def reason_of(error) -> str:
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}".rstrip(": ")


def record_error(store: RunStore, run: RunConfig, error) -> None:
    """A run whose task raised is recorded as failed, with the error, as a non-finite loss is."""
    store.start(run.key, fingerprint(run, store.profile))
    store.fail(run.key, {"status": "failed", "epochs_run": 0, "reason": reason_of(error),
                         "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def dataset_cache(profile: Profile, data_home=None):
    """The profile's prepared cache (made from LFW here if needed) in Ray's object store."""
    import ray

    from ..data.dataset import prepare_cache
    from .worker import DatasetCache

    path = prepare_cache(profile, data_home)
    return DatasetCache(path.name, [ray.put(path.read_bytes())])


def measure(profile: Profile, arch: str, counts: list[int], steps: int, results_root) -> pd.DataFrame:
    """Total training images/s with N runs side by side per GPU (per machine without GPUs),
    for each N, through Ray; appended to results/<profile>/device/runs_per_gpu.csv."""
    import ray

    from ..core import runtime
    from . import worker

    task = ray.remote(max_calls=0, max_retries=0)(worker.bench_task)
    measured_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = []
    for n in counts:
        resources = cluster.resources(n)
        results = ray.get([task.options(**resources.options()).remote(
            arch, profile, steps, resources.threads) for _ in range(n)])
        rows.append({"runs_per_gpu": n, "images_per_s": round(sum(r for r, _ in results), 1),
                     "architecture": arch, "steps": steps, "device": results[0][1],
                     "backend": runtime.backend(), "code_version": runtime.code_version(),
                     "measured_at": measured_at})
        print(f"{n} run(s) side by side: {rows[-1]['images_per_s']} images/s in all ({arch}, "
              f"{rows[-1]['device']})", flush=True)
    table = pd.DataFrame(rows)
    print(f"written to {cluster.record_measurement(results_root, profile.name, table)}")
    return table
