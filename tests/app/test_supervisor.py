"""A command that starts Ray runs as a child of a supervisor (app/supervisor.py): an end Ray
forces on it (`_exit(1)`, no Python handler) is said in one line, its own exits pass through
silently, and Ctrl-C and SIGTERM reach it once. The last test kills the dashboard agent of a
real `schedule` (smoke, real LFW)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import descendants

from facerecon.app import supervisor
from facerecon.experiment.config import load_profile
from facerecon.experiment.runs import RunStore

RAY_ENDED = "error: Ray's node ended under this command"


def child(code: str) -> list[str]:
    """A child that, as `python -m facerecon` does, marks its exits through Python."""
    return [sys.executable, "-c",
            f"from facerecon.app import supervisor; supervisor.supervised()\n{code}"]


def test_an_exit_ray_forces_is_said_in_one_line(capfd):
    assert supervisor.run_as_child(child("import os; os._exit(1)")) == 1
    said = capfd.readouterr().err
    assert said.startswith(RAY_ENDED) and said.count("\n") == 1
    assert "finished runs are kept" in said


def test_the_commands_own_exits_pass_through_silently(capfd):
    assert supervisor.run_as_child(child("raise SystemExit(1)")) == 1
    assert supervisor.run_as_child(child("raise SystemExit(2)")) == 2
    assert supervisor.run_as_child(child("pass")) == 0
    assert capfd.readouterr().err == ""


def test_a_child_killed_from_outside_is_said_with_the_signal(capfd):
    assert supervisor.run_as_child(child("import os, signal; os.kill(os.getpid(), 9)")) == 137
    assert capfd.readouterr().err.startswith("error: the command was killed (SIGKILL)")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_supervisor_reaches_the_child_once(tmp_path, signum):
    """The child counts what reaches it; a Ctrl-C to the supervisor's group reaches the child
    through the supervisor only (the child has a group of its own)."""
    counted = tmp_path / "counted"
    code = ("import signal, sys, time\n"
            f"def count(signum, frame): open({str(counted)!r}, 'a').write('x')\n"
            "signal.signal(signal.SIGINT, count); signal.signal(signal.SIGTERM, count)\n"
            "print('ready', flush=True)\n"
            "time.sleep(3); sys.exit(130)")
    supervising = subprocess.Popen(
        [sys.executable, "-c", "import sys; from facerecon.app import supervisor; "
         f"sys.exit(supervisor.run_as_child({child(code)!r}))"],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert supervising.stdout.readline() == "ready\n"
    os.killpg(supervising.pid, signum)  # the terminal's way: the whole foreground group
    assert supervising.wait(timeout=30) == 130
    assert counted.read_text() == "x"


def test_ray_ending_a_schedule_is_one_line_and_keeps_the_finished_runs(lfw_home, tmp_path):
    """Killing Ray's dashboard agent ends the local node, and Ray then ends the command with
    status 1: its supervisor says so in one line, the runs published stay, no process of it is
    left."""
    command = [sys.executable, "-m", "facerecon", "schedule", "--profile", "smoke", "--arch",
               "simple_cnn,srresnet", "--loss", "l2,l1", "--split", "random",
               "--results-root", str(tmp_path)]
    env = {**os.environ, "LFW_HOME": str(lfw_home)}
    env.pop("RAY_ADDRESS", None)
    scheduler = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, env=env)
    said = []
    for line in scheduler.stdout:  # until the first run is published
        said.append(line)
        if ": finished: test PSNR" in line:
            break
    below = descendants(scheduler.pid)
    agents = [pid for pid in below
              if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::DashboardAgent")]
    assert agents, "".join(said)
    os.kill(agents[0], signal.SIGKILL)
    said.append(scheduler.communicate(timeout=120)[0])
    output = "".join(said)
    assert scheduler.returncode == 1, output
    assert RAY_ENDED in output, output
    store = RunStore(tmp_path, load_profile("smoke"))
    published = [line.split("] ", 1)[1].split(":")[0] for line in output.splitlines()
                 if line.startswith("[") and ": finished: test PSNR" in line]
    assert published and all(store.status(key) == "finished" for key in published)
    assert not list(store.runs_dir.glob(".*.partial"))
    time.sleep(2)  # a killed process's exit reaches /proc
    assert not [pid for pid in below if Path(f"/proc/{pid}").exists()], "Ray left processes"
