"""The grid's missing runs as tasks, in the study's priority order, from one laptop to a GPU
cluster: Ray's by default, or this machine's own process pool where Ray is not installed
(executors.py; cluster.py: where Ray runs and what a run asks of it; worker.py: what a task
does).

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
    python -m facerecon schedule --profile paper --executor local     # no Ray: a process pool
"""
from __future__ import annotations

import importlib.util
import os
import signal
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd

from ..core import runtime
from ..core.runtime import duration
from ..data.dataset import prepare_cache
from ..experiment.config import Profile, RunConfig
from ..experiment.fingerprint import fingerprint
from ..experiment.runs import RunBusy, RunStore
from . import cluster, executors, worker
from .executors import TaskFailed, WorkerLost
from .plan import check_device
from .train import summary_line
from .worker import DatasetCache
from .priority import in_priority_order



@dataclass
class Outcome:
    """What became of each run the scheduler was given."""

    total: int
    started: float = field(default_factory=time.monotonic)
    # key -> finished (here), failed, lost, busy or finished elsewhere (by another process)
    status: dict[str, str] = field(default_factory=dict)
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
                   for s in ("finished", "failed", "lost", "busy", "finished elsewhere")}
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


def schedule_runs(runs: list[RunConfig], store: RunStore, executor, force: bool = False,
                  retries: int = 2, deadline_s: float | None = None) -> Outcome:
    """Trains the runs through the executor (executors.py), executor.slots at a time, in their
    order, starting none after deadline_s; prints a line per finished run and a summary."""
    outcome = Outcome(len(runs))
    pending, in_flight = list(runs), {}  # handle -> (run, attempt, the run's lock)
    try:
        while pending or in_flight:
            late = deadline_s is not None and time.monotonic() - outcome.started > deadline_s
            while pending and len(in_flight) < executor.slots and not late:
                run = pending.pop(0)
                claim = claimed(run, store, force)
                if isinstance(claim, str):  # another process's run: never counted as this one's
                    outcome.settle(run.key, "busy" if claim == "busy" else "finished elsewhere",
                                   "skipped: " + ("another process is training it"
                                                  if claim == "busy"
                                                  else "another process finished it"))
                    continue
                in_flight[executor.submit(run)] = (run, 1, claim)
            if late and pending:
                print(f"deadline ({deadline_s:g} s): {len(pending)} run(s) not started",
                      flush=True)
                pending.clear()
            for handle in executor.wait(list(in_flight), timeout=1.0):
                run, attempt, claim = in_flight.pop(handle)
                try:
                    staged = executor.result(handle)
                except WorkerLost as lost:
                    if attempt <= retries:
                        outcome.retries += 1
                        print(f"    {run.key}: worker lost ({lost}); retry {attempt} of "
                              f"{retries}", flush=True)
                        in_flight[executor.submit(run)] = (run, attempt + 1, claim)
                        continue
                    claim.close()
                    outcome.settle(run.key, "lost", f"worker lost {attempt} times ({lost}); "
                                   "not recorded, a rerun trains it")
                    continue
                except TaskFailed as failed:
                    with interrupts_deferred():
                        record_error(store, run, str(failed))
                        claim.close()
                    outcome.settle(run.key, "failed", f"failed: {failed}")
                    continue
                with interrupts_deferred():
                    store.receive(staged)
                    claim.close()
                summary = staged.content
                outcome.settle(run.key, summary["status"], summary_line(summary))
    except KeyboardInterrupt:
        executor.cancel(list(in_flight))
        raise
    finally:
        for _, _, claim in in_flight.values():
            claim.close()
        executor.close()
    print(outcome.summary(), flush=True)
    return outcome


def default_executor() -> str:
    """Ray where it is installed, else this machine's process pool."""
    return "ray" if importlib.util.find_spec("ray") else "local"


@dataclass(frozen=True)
class Place:
    """Where the runs train: Ray's workers (gpu_ids None) or this machine's process pool sharing
    gpu_ids, with what each run gets."""

    where: str
    resources: cluster.Resources
    gpu_ids: list[str] | None

    def executor(self, profile: Profile, cache):
        if self.gpu_ids is None:
            return executors.RayExecutor(self.resources, profile, cache)
        return executors.PoolExecutor(self.resources, profile, cache, self.gpu_ids)


def place_for(executor: str, stack: ExitStack, address: str | None, runs_per_gpu: int) -> Place:
    """A Ray session held open by `stack` (a local instance, or the cluster at `address`), or
    this machine's process pool (executor "local")."""
    if executor == "ray":
        return Place(stack.enter_context(cluster.ray_session(address)),
                     cluster.resources(runs_per_gpu), None)
    resources, gpu_ids = cluster.local_resources(runs_per_gpu)
    return Place(f"this machine's process pool ({os.cpu_count()} CPUs), {len(gpu_ids)} GPU(s)",
                 resources, gpu_ids)


def train_scheduled(plan, store: RunStore, data_home=None, force: bool = False,
                    address: str | None = None, runs_per_gpu: int | None = None,
                    retries: int = 2, deadline_s: float | None = None, allow_cpu: bool = False,
                    executor: str = "ray") -> Outcome:
    """The plan's runs to train (plan.TrainingPlan, said already), in priority order, through
    Ray (a local instance, or the cluster at `address`) or this machine's process pool
    (executor "local"); on a cluster the device check is the cluster's (a paper run needs a GPU
    there, not here)."""
    runs = in_priority_order(list(plan.to_train), store.profile)
    if runs_per_gpu is None:
        runs_per_gpu, source = cluster.best_runs_per_gpu(store.results_root, store.profile.name)
    else:
        source = "--runs-per-gpu"
    with ExitStack() as stack:
        place = place_for(executor, stack, address, runs_per_gpu)
        check_device(plan, allow_cpu or place.resources.gpus > 0)
        print(f"{place.where}; {place.resources.text()}"
              + (f"; {runs_per_gpu} per GPU: {source}" if place.resources.gpus else ""),
              flush=True)
        cache = dataset_cache(store.profile, data_home, carried_by_ray=place.gpu_ids is None)
        return schedule_runs(runs, store, place.executor(store.profile, cache), force, retries,
                             deadline_s)


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


def record_error(store: RunStore, run: RunConfig, reason: str) -> None:
    """A run whose task raised is recorded as failed, with the error, as a non-finite loss is."""
    store.start(run.key, fingerprint(run, store.profile))
    store.fail(run.key, {"status": "failed", "epochs_run": 0, "reason": reason,
                         "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def dataset_cache(profile: Profile, data_home=None, carried_by_ray: bool = True):
    """The profile's prepared cache (made from LFW here if needed): in Ray's object store, or
    its path for this machine's process pool."""
    path = prepare_cache(profile, data_home)
    if not carried_by_ray:
        return DatasetCache(path.name, [str(path)])
    import ray

    return DatasetCache(path.name, [ray.put(path.read_bytes())])


def measure(profile: Profile, arch: str, counts: list[int], steps: int, results_root) -> pd.DataFrame:
    """Total training images/s with N runs side by side per GPU (per machine without GPUs),
    for each N, through Ray; appended to results/<profile>/device/runs_per_gpu.csv."""
    import ray

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
