"""Executes the study's notebooks with papermill, as ./run_all.sh asks: 00_data_prep, each
architecture notebook once per loss, then 90_comparison. Executed copies go to
results/<profile>/notebooks/. A failing notebook does not stop the others; the exit status is
non-zero and the failures are listed at the end.

    python -m facerecon.pipeline --profile quick [--only srresnet] [--loss l2,ssim] [--force]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from . import io
from .config import (PROFILES, PROJECT_ROOT, ArchitectureNotebookParams, ComparisonNotebookParams,
                     ConfigError, DataPrepNotebookParams, check_choice)
from .losses import LOSSES
from .models import STUDY_ARCHITECTURES
from .train import parse_list

NOTEBOOKS = PROJECT_ROOT / "notebooks"
ARCHITECTURE_NOTEBOOKS = {
    "simple_cnn": "10_simple_cnn.ipynb",
    "srresnet": "20_srresnet.ipynb",
    "residual_autoencoder": "30_residual_autoencoder.ipynb",
}
PARAMS = {"00_data_prep.ipynb": DataPrepNotebookParams,
          **{name: ArchitectureNotebookParams for name in ARCHITECTURE_NOTEBOOKS.values()},
          "90_comparison.ipynb": ComparisonNotebookParams}


@dataclasses.dataclass(frozen=True)
class Step:
    notebook: str
    parameters: dict
    output: Path

    @property
    def label(self) -> str:
        return self.output.stem


def check_parameters(notebook: str, parameters: dict) -> None:
    """Refuses a parameter the notebook does not declare (papermill itself only warns)."""
    import papermill

    declared = set(papermill.inspect_notebook(str(NOTEBOOKS / notebook)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ConfigError(f"{notebook} has no parameter(s) {', '.join(unknown)}; "
                          f"valid: {', '.join(sorted(declared))}")


def plan(profile: str, architectures: list[str], losses: list[str], force: bool,
         results_root: Path, figures_root: Path, data_home: str | None) -> list[Step]:
    out = results_root / profile / "notebooks"
    common = {"profile": profile, "results_root": str(results_root)}
    steps = [Step("00_data_prep.ipynb", {**common, "figures_root": str(figures_root),
                                         "data_home": data_home}, out / "00_data_prep.ipynb")]
    for arch in architectures:
        notebook = ARCHITECTURE_NOTEBOOKS[arch]
        for loss in losses:
            steps.append(Step(notebook, {**common, "loss": loss, "force": force,
                                         "data_home": data_home},
                              out / f"{Path(notebook).stem}__{loss}.ipynb"))
    steps.append(Step("90_comparison.ipynb", {**common, "figures_root": str(figures_root)},
                      out / "90_comparison.ipynb"))
    return steps


def duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{seconds:02d}s"


def execute(steps: list[Step]) -> list[str]:
    """Runs the steps in order with progress; returns the labels of those that failed."""
    import papermill

    started, failed = time.monotonic(), []
    for i, step in enumerate(steps, 1):
        elapsed = time.monotonic() - started
        left = f", about {duration(elapsed / (i - 1) * (len(steps) - i + 1))} left" if i > 1 else ""
        print(f"[{i}/{len(steps)}] {step.label} (elapsed {duration(elapsed)}{left})", flush=True)
        # Written beside the output first: an interrupted notebook never replaces a finished one.
        partial = io.writable_dir(step.output.parent) / f".{step.output.stem}.partial.ipynb"
        try:
            papermill.execute_notebook(str(NOTEBOOKS / step.notebook), str(partial),
                                       parameters=step.parameters, cwd=str(NOTEBOOKS),
                                       progress_bar=False, log_output=False)
        except Exception as error:  # one failing notebook must not stop the others
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            print(f"    FAILED: {reason}", flush=True)
            failed.append(step.label)
        if partial.exists():  # a failed notebook's copy shows where it stopped
            partial.replace(step.output)
    print(f"done in {duration(time.monotonic() - started)}", flush=True)
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facerecon.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--only", help=f"architectures, comma list of: {', '.join(ARCHITECTURE_NOTEBOOKS)}")
    parser.add_argument("--loss", help=f"losses, comma list of: {', '.join(LOSSES)}")
    parser.add_argument("--force", action="store_true", help="retrain finished runs")
    parser.add_argument("--report-only", action="store_true",
                        help="only 90_comparison: tables and figures from the results there are")
    parser.add_argument("--results-root", default=str(PROJECT_ROOT / "results"))
    parser.add_argument("--figures-root", default=str(PROJECT_ROOT / "figures"))
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args(argv)
    try:
        check_choice("profile", args.profile, PROFILES)
        architectures = parse_list(args.only, list(ARCHITECTURE_NOTEBOOKS), "architecture") \
            or list(STUDY_ARCHITECTURES)
        losses = parse_list(args.loss, list(LOSSES), "loss") or list(LOSSES)
        results_root, figures_root = Path(args.results_root).resolve(), Path(args.figures_root).resolve()
        io.writable_dir(results_root)
        io.writable_dir(figures_root)
        steps = plan(args.profile, architectures, losses, args.force, results_root, figures_root,
                     args.data_home)
        if args.report_only:
            steps = steps[-1:]
        for step in steps:
            check_parameters(step.notebook, step.parameters)
    except (ConfigError, io.OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = execute(steps)
    print(f"tables:  {results_root / args.profile / 'tables'}")
    print(f"figures: {figures_root / args.profile}")
    print(f"runs:    {results_root / args.profile / 'all_runs.csv'}")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)} "
              f"(their executed copies show the error; finished runs are kept)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
