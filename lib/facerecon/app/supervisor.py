"""A command that starts Ray runs in a child process this one watches.

Ray's core ends a driver whose node died (its raylet killed, or an agent the raylet shares its
fate with, such as the dashboard agent) with `_exit(1)`: no Python handler, `finally` or atexit
runs, so the command itself cannot say what happened. Its parent can: the child marks a file as
it exits through Python, and an exit without that mark is Ray's. Finished runs are published
already; a run in flight lives in its worker's folder, never half in the results root.
"""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# Set in the child: the file it marks when it exits through Python.
CHILD = "FACERECON_EXIT_MARK"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def supervised() -> bool:
    """Whether this process is the child of a supervisor; its grandchildren (Ray's workers,
    kernels) are not."""
    mark = os.environ.pop(CHILD, None)
    if mark:
        atexit.register(Path(mark).touch)
    return bool(mark)


def run_as_child(command: list[str]) -> int:
    """Runs the command (`python -m facerecon ...`) in a process group of its own, forwards
    Ctrl-C and SIGTERM to it, returns its exit status, and says in one line when Ray ended it
    (or a signal this process did not forward, such as the out-of-memory killer's)."""
    with tempfile.TemporaryDirectory(prefix="facerecon-supervisor-") as folder:
        mark = Path(folder) / "exited"
        child = Forwarding()
        previous = {signum: signal.signal(signum, child.forward) for signum in FORWARDED}
        try:
            # A group of its own: Ctrl-C reaches it once, through this process, not twice.
            status = child.start(subprocess.Popen(command, env={**os.environ, CHILD: str(mark)},
                                                  process_group=0)).wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if mark.exists():
            return status
        end_group(child.process.pid)  # what Ray left of it
        if status == 1:
            print("error: Ray's node ended under this command (its raylet, or an agent of it "
                  "such as the dashboard agent, was stopped), and Ray ended the command; "
                  f"{AFTER}", file=sys.stderr, flush=True)
        elif status < 0 and -status not in FORWARDED:
            print(f"error: the command was killed ({signal.Signals(-status).name}); {AFTER}",
                  file=sys.stderr, flush=True)
        return status if status >= 0 else 128 - status


AFTER = ("finished runs are kept, the runs in flight were not published: run the same command "
         "again to go on")


class Forwarding:
    """Signals to the child; one that comes before the child starts is kept for it."""

    def __init__(self):
        self.process, self.pending = None, []

    def start(self, process: subprocess.Popen) -> subprocess.Popen:
        self.process = process
        for signum in self.pending:
            self.forward(signum, None)
        return process

    def forward(self, signum: int, frame) -> None:
        if self.process is None:
            self.pending.append(signum)
            return
        try:
            self.process.send_signal(signum)
        except ProcessLookupError:
            pass


def end_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
