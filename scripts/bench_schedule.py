"""A benchmark, not a test: the wall time of a profile's grid through Ray (`python -m facerecon
schedule`: reused workers) against the path it replaced, a new `python -m facerecon train`
process per run, one after another, on this machine in one invocation. Each trains the same
runs into a fresh results root; the ratio is what to read (machines differ between sessions).

    .venv/bin/python scripts/bench_schedule.py [--profile smoke] [slice options of schedule]
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from facerecon.app.cli import parser
from facerecon.app.commands import selected_runs
from facerecon.experiment.config import load_profile
from facerecon.training.priority import in_priority_order


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str]) -> None:
    options = argv or ["--profile", "smoke"]
    args = parser().parse_args(["schedule", *options])
    args.profile = load_profile(args.profile)
    runs = in_priority_order(selected_runs(args), args.profile)
    cli = [sys.executable, "-m", "facerecon"]
    with tempfile.TemporaryDirectory() as ray_root, tempfile.TemporaryDirectory() as alone_root:
        through_ray = timed([*cli, "schedule", *options, "--results-root", ray_root])
        one_by_one = sum(timed([*cli, "train", "--profile", run.profile, "--arch",
                                run.architecture, "--loss", run.loss, "--obfuscation",
                                run.obfuscation, "--seed", str(run.seed), "--split", run.split,
                                *(["--strength", run.strength] if run.strength else []),
                                "--results-root", alone_root])
                         for run in runs)
    print(f"{len(runs)} runs of profile {args.profile.name}: through Ray {through_ray:.0f} s, "
          f"one process per run {one_by_one:.0f} s; ratio {one_by_one / through_ray:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
