"""Where the scheduler's tasks run (schedule.py sends them, publishes what comes back): Ray's
workers (a local instance or a cluster), or this machine's own process pool (the standard
library's, for a machine without Ray, e.g. a GPU job: app/job.py). Both run worker.train_task
with the same arguments and tell the scheduler the same three outcomes: a StagedRun, the task's
own error (TaskFailed), or its worker gone (WorkerLost: the run is sent again).

May import: core, experiment, training.cluster, training.worker.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_for
from concurrent.futures.process import BrokenProcessPool

from ..experiment.config import Profile, RunConfig
from . import cluster, worker


class WorkerLost(Exception):
    """The task's worker (or its node) went away: not the run's fault, so it is sent again."""


class TaskFailed(Exception):
    """The task raised: the run is recorded as failed with this reason."""


def reason_of(error: BaseException) -> str:
    """'ErrorType: first line of its message'."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


class RayExecutor:
    """Ray tasks with resources.options() each, on the Ray this process is connected to."""

    def __init__(self, resources: cluster.Resources, profile: Profile, cache: worker.DatasetCache):
        import ray

        self.resources, self.profile, self.cache = resources, profile, cache
        self.slots = resources.slots
        # Workers are reused (max_calls=0): a run pays only its own training, not the start-up.
        self.task = ray.remote(max_calls=0, max_retries=0)(worker.train_task)
        self.lost = lost_worker_errors()

    def submit(self, run: RunConfig):
        return self.task.options(**self.resources.options()).remote(
            run, self.profile, self.cache, self.resources.threads)

    def wait(self, handles: list, timeout: float) -> list:
        import ray

        return ray.wait(handles, num_returns=1, timeout=timeout)[0] if handles else []

    def result(self, handle) -> worker.StagedRun:
        import ray

        try:
            return ray.get(handle)
        except self.lost as lost:
            raise WorkerLost(type(lost).__name__) from None
        except ray.exceptions.RayTaskError as error:
            raise TaskFailed(reason_of(getattr(error, "cause", None) or error)) from None

    def cancel(self, handles: list) -> None:
        import ray

        for handle in handles:
            ray.cancel(handle, force=True)

    def close(self) -> None:
        """Ray's session ends with cluster.ray_session."""


def lost_worker_errors() -> tuple[type, ...]:
    """Ray's errors for a task whose worker or node went away (not the task's own error)."""
    import ray.exceptions as errors

    return (errors.WorkerCrashedError, errors.NodeDiedError, errors.OutOfMemoryError,
            errors.ObjectLostError, errors.LocalRayletDiedError)


class PoolExecutor:
    """resources.slots processes of this machine, started fresh (spawn: no copy of this
    process's threads or framework state) and reused between runs. Each sets its environment
    (resources.env, and on GPUs its own CUDA_VISIBLE_DEVICES, runs_per_gpu processes per GPU)
    before anything imports a framework. A process that dies breaks the standard library's
    pool: its runs and those beside it are sent again to a new one."""

    def __init__(self, resources: cluster.Resources, profile: Profile, cache: worker.DatasetCache,
                 gpu_ids: list[str] = ()):
        self.resources, self.profile, self.cache = resources, profile, cache
        self.slots, self.gpu_ids = resources.slots, list(gpu_ids)
        self.task = worker.train_task  # a module's function: a spawned process imports it
        self.pool = None

    def started_pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            context = multiprocessing.get_context("spawn")
            devices = context.Queue()  # one GPU id per process: slots / len(gpu_ids) per GPU
            for slot in range(self.slots):
                devices.put(self.gpu_ids[slot % len(self.gpu_ids)] if self.gpu_ids else None)
            self.pool = ProcessPoolExecutor(self.slots, mp_context=context,
                                            initializer=start_process,
                                            initargs=(self.resources.env, devices))
        return self.pool

    def submit(self, run: RunConfig):
        return self.started_pool().submit(self.task, run, self.profile, self.cache,
                                          self.resources.threads)

    def wait(self, handles: list, timeout: float) -> list:
        return list(wait_for(handles, timeout, FIRST_COMPLETED).done) if handles else []

    def result(self, handle) -> worker.StagedRun:
        try:
            return handle.result()
        except BrokenProcessPool:
            self.discard_pool()
            raise WorkerLost("a pool process died") from None
        except Exception as error:  # the task's own error, raised again here
            raise TaskFailed(reason_of(error)) from None

    def cancel(self, handles: list) -> None:
        for handle in handles:
            handle.cancel()
        self.discard_pool()

    def discard_pool(self) -> None:
        """Stops the pool's processes now (a run they train is lost, never published half)."""
        if self.pool is None:
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=10)
        self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def start_process(env: dict, devices) -> None:
    """A pool process's start: its environment and GPU first; Ctrl-C is the scheduler's to
    handle (it stops the pool), so a keypress at the terminal does not kill runs mid-write."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(env)
    gpu = devices.get()
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
