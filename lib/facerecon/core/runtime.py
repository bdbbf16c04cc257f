"""What produced a number: backend, device, package versions and code version; how long it took,
as people read it."""
from __future__ import annotations

import functools
import importlib
import os
import platform
import subprocess
from importlib import metadata

from .io import PROJECT_ROOT


def backend() -> str:
    from .quiet_keras import keras

    return keras.backend.backend()


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def find_accelerator() -> str | None:
    """The first GPU the current Keras backend sees, or None; raises where the backend's GPU
    runtime cannot be asked (a broken CUDA install, say)."""
    name = backend()
    if name == "jax":
        jax = importlib.import_module("jax")
        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        return gpus[0].device_kind if gpus else None
    if name == "torch":
        torch = importlib.import_module("torch")
        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    if name == "tensorflow":
        tf = importlib.import_module("tensorflow")
        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return None
        details = tf.config.experimental.get_device_details(gpus[0])
        return details.get("device_name", gpus[0].name)
    return None


def accelerator_name() -> str | None:
    """find_accelerator, with a GPU runtime that cannot be asked counted as no accelerator."""
    try:
        return find_accelerator()
    except Exception:  # a broken GPU runtime means: no usable accelerator
        return None


def device_name() -> str:
    return accelerator_name() or f"CPU: {cpu_name()} ({os.cpu_count()} cores)"


CODE_PATHS = ("lib", "params", "notebooks", "scripts", "run_all.sh", "requirements.txt")


@functools.cache
def code_version() -> str:
    """The git commit of this checkout (with -dirty for uncommitted changes to the code, not to
    results) when this process first asked, which provenance() does on import;
    FACERECON_CODE_VERSION overrides it where the tree travels without .git (a GPU machine)."""
    if os.environ.get("FACERECON_CODE_VERSION"):
        return os.environ["FACERECON_CODE_VERSION"]
    try:
        def git(*args):
            return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True,
                                  text=True, check=True, timeout=10).stdout.strip()

        changed = git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
        return git("rev-parse", "--short=12", "HEAD") + ("-dirty" if changed else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    names = ["keras", "numpy", "opencv-python-headless", "scikit-learn", "scikit-image",
             {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend(), "")]
    versions = {}
    for name in filter(None, names):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    return versions


def provenance() -> dict:
    return {"backend": backend(), "device": device_name(), "code_version": code_version(),
            "packages": package_versions()}


def set_threads(threads: int) -> None:
    """The backend's CPU threads per operation, so that runs side by side do not oversubscribe
    the cores; before the backend's first operation (TensorFlow refuses it after)."""
    name = backend()
    if name == "tensorflow":
        tf = importlib.import_module("tensorflow")
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif name == "torch":
        importlib.import_module("torch").set_num_threads(threads)
    # JAX's CPU client takes every core: one run at a time per CPU machine keeps it in bounds.


def enable_determinism() -> bool:
    """Deterministic ops where the backend offers a switch (TensorFlow); True if enabled."""
    if backend() == "tensorflow":
        importlib.import_module("tensorflow").config.experimental.enable_op_determinism()
        return True
    return False


# Taken when the package loads: a long grid must record the code it runs, not the checkout's
# state when each run ends.
code_version()


def duration(seconds: float) -> str:
    """'4h08m', '12m35s'."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"
