"""Ray for the scheduler: a local instance by default, or the cluster at --address / RAY_ADDRESS;
what one run asks of it or of this machine's process pool (a share of a GPU, or a CPU
machine's cores) and the environment its worker starts with (memory share, threads, backend,
the code version, JAX's compilation cache); and the runs per GPU the last measurement found
best (schedule --measure writes it).

May import: core, experiment.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import io, runtime
from ..core.checks import ConfigError
from ..core.io import PROJECT_ROOT

MEASUREMENTS = "runs_per_gpu.csv"  # results/<profile>/device/: schedule --measure appends
# Measured before that file existed (six processes on one H200, docs/running.md); read as one.
EARLIER_MEASUREMENT = "throughput_side_by_side.txt"
GPU_MEMORY_SHARED = 0.9  # of a GPU's memory, split between the runs that share it
REACH_TIMEOUT_S = 5


def cluster_address(given: str | None) -> str | None:
    """The cluster to join: `given`, else RAY_ADDRESS, else None (a local instance); a
    host:port is checked to answer first."""
    address = given or os.environ.get("RAY_ADDRESS") or None
    if address and address != "auto":
        reachable(address)
    return address


def reachable(address: str) -> None:
    """Fails in one line unless a Ray head answers at host:port (ray.init would wait for
    minutes, printing a warning every few seconds)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"Ray address {address!r} is not host:port (e.g. 10.0.0.5:6379, the "
                          "address `ray start --head` prints) or 'auto'")
    try:
        socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError as error:
        raise ConfigError(f"no Ray cluster answers at {address} ({error.strerror or error}); "
                          "start one with `ray start --head`, or leave out --address and "
                          "RAY_ADDRESS for a local instance") from None


@contextmanager
def ray_session(address: str | None):
    """Ray for the duration: the cluster at `address` (else RAY_ADDRESS), else a local
    instance, shut down after; a process that has Ray running already keeps its own. Yields
    a line saying which and its resources."""
    import ray

    if ray.is_initialized():
        yield describe("this process's Ray")
        return
    address = cluster_address(address)
    # Ray starts its services with fork+exec; JAX's warning about forking a threaded process
    # does not apply to a child that execs at once.
    warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR,
                 # Nodes of a cluster need not share this checkout: the code travels with the job.
                 runtime_env={"py_modules": [str(PROJECT_ROOT / "lib" / "facerecon")]}
                 if address else None)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ConfigError(f"cannot join the Ray cluster at {address}: "
                          f"{str(error).strip().splitlines()[0]}") from None
    # Ray's core installs a handler that aborts on SIGTERM; this process's own handler (stop
    # as Ctrl-C does: cli.stop_cleanly_on_sigterm) comes back.
    signal.signal(signal.SIGTERM, handler)
    try:
        yield describe(f"the Ray cluster at {address}" if address else "a local Ray instance")
    finally:
        ray.shutdown()


def describe(which: str) -> str:
    import ray

    total = ray.cluster_resources()
    return (f"{which}: {len(cpu_nodes())} node(s), {int(total.get('CPU', 0))} CPUs, "
            f"{int(total.get('GPU', 0))} GPUs")


def cpu_nodes() -> list[float]:
    """The CPU count of every live node."""
    import ray

    return [node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]]


@dataclass(frozen=True)
class Resources:
    """What each run asks of Ray, how many run at once, and its worker's environment."""

    cpus: float
    gpus: float
    threads: int
    slots: int
    env: dict

    def options(self) -> dict:
        return {"num_cpus": self.cpus, "num_gpus": self.gpus,
                "runtime_env": {"env_vars": self.env}}

    def text(self) -> str:
        share = (f"{self.gpus:.3g} GPU and {self.cpus:g} CPU each (JAX memory share "
                 f"{self.env['XLA_PYTHON_CLIENT_MEM_FRACTION']})" if self.gpus
                 else f"{self.cpus:g} CPUs and {self.threads} threads each")
        return f"{self.slots} run(s) at a time, {share}"


def resources(runs_per_gpu: int) -> Resources:
    """What each run asks of the Ray this process is connected to (resources_for)."""
    import ray

    return resources_for(runs_per_gpu, int(ray.cluster_resources().get("GPU", 0)), cpu_nodes())


def local_resources(runs_per_gpu: int) -> tuple[Resources, list[str]]:
    """What each run of this machine's process pool gets (resources_for), and the GPU ids
    its processes share: CUDA_VISIBLE_DEVICES where set, else those nvidia-smi lists."""
    gpus = local_gpu_ids()
    return resources_for(runs_per_gpu, len(gpus), [float(os.cpu_count() or 1)]), gpus


def resources_for(runs_per_gpu: int, gpus: int, nodes: list[float]) -> Resources:
    """On GPUs: runs_per_gpu runs per GPU, each with its share of the GPU's memory. Without
    GPUs: runs_per_gpu runs per machine share its cores (1: one run at a time with every core,
    the CPU default), each backend told its thread count. `nodes`: each machine's CPU count."""
    if runs_per_gpu < 1:
        raise ConfigError(f"--runs-per-gpu must be at least 1, not {runs_per_gpu}")
    env = worker_env()
    if gpus:
        env.update(XLA_PYTHON_CLIENT_MEM_FRACTION=f"{GPU_MEMORY_SHARED / runs_per_gpu:.3f}",
                   TF_FORCE_GPU_ALLOW_GROWTH="true")
        return Resources(1, 1 / runs_per_gpu, 1, gpus * runs_per_gpu, env | {"OMP_NUM_THREADS": "1"})
    cores = int(min(nodes))
    if cores < 1:
        raise ConfigError("the Ray cluster has no CPU to train on")
    threads = max(1, cores // runs_per_gpu)
    slots = sum(int(n // threads) for n in nodes)
    return Resources(threads, 0, threads, slots, env | {"OMP_NUM_THREADS": str(threads)})


def local_gpu_ids() -> list[str]:
    """This machine's GPUs for the process pool: CUDA_VISIBLE_DEVICES where it is set (empty:
    none), else one id per GPU that `nvidia-smi -L` lists (none without an NVIDIA driver)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [gpu for gpu in visible.split(",") if gpu.strip() and gpu.strip() != "-1"]
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(listed.splitlines()) if line.startswith("GPU ")]


def worker_env() -> dict:
    """What every worker starts with: this process's backend, code version and log level;
    JAX's persistent compilation cache (a later worker, or a later call, reuses the compiled
    steps); and the dlib model folder where one is named."""
    env = {"KERAS_BACKEND": runtime.backend(),
           "FACERECON_CODE_VERSION": runtime.code_version(),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
           "JAX_COMPILATION_CACHE_DIR": os.environ.get("JAX_COMPILATION_CACHE_DIR") or str(
               Path(tempfile.gettempdir()) / "facerecon_jax_cache")}
    if os.environ.get("FACERECON_DLIB_MODELS"):
        env["FACERECON_DLIB_MODELS"] = os.environ["FACERECON_DLIB_MODELS"]
    return env


# --- the runs per GPU that measured best ------------------------------------------------------

def measurements_dir(results_root: Path, profile_name: str) -> Path:
    return Path(results_root) / profile_name / "device"


def record_measurement(results_root: Path, profile_name: str, rows: pd.DataFrame) -> Path:
    """Appends one measurement (a row per runs-per-GPU count) to the profile's record."""
    path = measurements_dir(results_root, profile_name) / MEASUREMENTS
    earlier = pd.read_csv(path) if path.exists() else pd.DataFrame()
    io.write_csv(io.writable_dir(path.parent) / MEASUREMENTS,
                 pd.concat([earlier, rows], ignore_index=True))
    return path


def best_runs_per_gpu(results_root: Path, profile_name: str) -> tuple[int, str]:
    """The runs per GPU with the most images/s in the latest GPU measurement of the profile,
    and where that comes from; 1 where none was made."""
    folder = measurements_dir(results_root, profile_name)
    path = folder / MEASUREMENTS
    if path.exists():
        rows = pd.read_csv(path)
        rows = rows[~rows["device"].str.startswith("CPU")]
        if len(rows):
            latest = rows[rows["measured_at"] == rows["measured_at"].max()]
            best = latest.loc[latest["images_per_s"].idxmax()]
            return int(best["runs_per_gpu"]), (f"the best in the measurement of "
                                               f"{best['measured_at']} on {best['device']} "
                                               f"({profile_name}/device/{MEASUREMENTS})")
    earlier = folder / EARLIER_MEASUREMENT
    if earlier.exists():
        rates = {int(n): float(rate) for n, rate in re.findall(
            r"^(\d+) process\(es\) side by side: ([\d.]+) images/s", earlier.read_text(), re.M)}
        if rates:
            return max(rates, key=rates.get), f"the best in {profile_name}/device/{earlier.name}"
    return 1, "no GPU measurement of this profile yet (schedule --measure)"
