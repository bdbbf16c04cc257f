"""Executing the notebooks with papermill: each step (a notebook, its parameters, its executed
copy) in a kernel of this process's own, with progress and the time left; an executed copy is
written beside its place and moved in only when whole, and records nothing that differs between
two executions with the same results (clock times, random ids, memory addresses), so that
regenerating with no number changed leaves git clean."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..core import io
from ..core.io import PROJECT_ROOT
from ..core.runtime import duration
from ..experiment.config import RunConfig

NOTEBOOKS = PROJECT_ROOT / "notebooks"


@dataclass(frozen=True)
class Step:
    notebook: str
    parameters: dict
    output: Path
    trains: tuple[RunConfig, ...] = ()  # the runs the notebook trains where they are missing

    @property
    def label(self) -> str:
        return self.output.stem


def portable(path: Path, start: Path = PROJECT_ROOT) -> str:
    """A path as an executed notebook records it: relative to `start` when it lies inside the
    project, so that no committed notebook carries this machine's paths."""
    path = Path(path).resolve()
    return os.path.relpath(path, start) if path.is_relative_to(PROJECT_ROOT) else str(path)


# What an execution records that is not its result: clock times, durations, the interpreter's
# patch release; ids drawn at random (papermill's injected cell, pandas Styler tables) and
# objects' memory addresses (a Styler's plain-text form).
TIMING = ("start_time", "end_time", "duration")
STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"\s{])")
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


def stable_outputs(executed) -> None:
    """Strips what changes between two executions with the same numbers, so that regenerating
    a notebook whose results did not change leaves it byte for byte as it was: Styler tables
    are numbered in the order they appear."""
    for record in (executed.metadata.get("papermill", {}),
                   *(cell.metadata.get("papermill", {}) for cell in executed.cells)):
        for key in TIMING:
            record.pop(key, None)
    language = executed.metadata.get("language_info", {})
    if "version" in language:
        language["version"] = ".".join(language["version"].split(".")[:2])
    tables: dict[str, str] = {}
    for cell in executed.cells:
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/plain" in data:
                data["text/plain"] = ADDRESS.sub(">", data["text/plain"])
            if "text/html" in data:
                data["text/html"] = STYLER_ID.sub(
                    lambda match: tables.setdefault(match[1], f"T_table{len(tables)}"),
                    data["text/html"])


def whole_notebook(path: Path, step: Step) -> bool:
    """Whether the file is a complete, valid notebook (not one cut short by a full disk); if it
    is, it records its source and its place as portable paths, and nothing that differs
    between two executions with the same results (stable_outputs)."""
    import nbformat

    try:
        executed = nbformat.read(path, as_version=4)
        nbformat.validate(executed)
    except Exception:  # unreadable, truncated or invalid: not a notebook to keep
        return False
    executed.metadata.setdefault("papermill", {}).update(
        input_path=portable(NOTEBOOKS / step.notebook), output_path=portable(step.output))
    stable_outputs(executed)
    io.write_text(path, nbformat.writes(executed))
    return True


def local_kernel_manager(socket_dir: str):
    """A kernel manager that talks to its kernel over local IPC sockets in `socket_dir` rather
    than TCP: the kernel never listens on a network port, it says nothing about plain-text TCP,
    and two invocations never pick the same socket (jupyter_client names them kernel-ipc-N in
    the working directory otherwise)."""
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=os.path.join(socket_dir, "kernel"), **kwargs)

    return LocalKernelManager


# jupyter_client interrupts every kernel before it shuts it down; a kernel still busy then (a
# loaded machine) logs "KeyboardInterrupt caught in kernel" to the console. Its errors belong to
# the notebook, which records them; its log says nothing a reader of run_all needs.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def interrupted(error: Exception) -> bool:
    """Whether a notebook failed because its kernel was interrupted (Ctrl-C reaches the
    kernel too): that stops the invocation, not only the notebook."""
    return getattr(error, "ename", None) == "KeyboardInterrupt"


def execute(steps: list[Step]) -> list[str]:
    """Runs the steps in order with progress; returns the labels of those that failed. An
    interrupt stops it (the kernel is shut down, and no executed copy is replaced)."""
    import papermill

    started, failed = time.monotonic(), []
    sockets = tempfile.mkdtemp(prefix="facerecon-kernels-")
    kernel_manager = local_kernel_manager(sockets)
    try:
        for i, step in enumerate(steps, 1):
            elapsed = time.monotonic() - started
            left = f", about {duration(elapsed / (i - 1) * (len(steps) - i + 1))} left" \
                if i > 1 else ""
            print(f"[{i}/{len(steps)}] {step.label} (elapsed {duration(elapsed)}{left})",
                  flush=True)
            # Written beside the output first, under a name of this invocation's own: an
            # interrupted notebook never replaces a finished one.
            partial = io.writable_dir(step.output.parent) / \
                f".{step.output.stem}.{os.getpid()}.partial.ipynb"
            try:
                papermill.execute_notebook(str(NOTEBOOKS / step.notebook), str(partial),
                                           parameters=step.parameters, cwd=str(NOTEBOOKS),
                                           progress_bar=False, log_output=False,
                                           kernel_manager_class=kernel_manager,
                                           extra_arguments=KERNEL_ARGUMENTS)
            except Exception as error:  # one failing notebook must not stop the others
                if interrupted(error):
                    partial.unlink(missing_ok=True)
                    raise KeyboardInterrupt from None
                reason = str(error).strip().splitlines()[-1] if str(error).strip() \
                    else type(error).__name__
                print(f"    FAILED: {reason}", flush=True)
                failed.append(step.label)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            if whole_notebook(partial, step):  # a failed notebook's copy shows where it stopped
                partial.replace(step.output)
            elif partial.exists():
                print(f"    {step.output.name} could not be written whole; its previous copy "
                      "is kept", flush=True)
                partial.unlink()
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    print(f"done in {duration(time.monotonic() - started)}", flush=True)
    return failed
