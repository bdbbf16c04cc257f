"""Executes the study's notebooks with papermill, as ./run_all.sh asks: first the training
phase (the runs the notebooks show that are missing, through Ray: training/schedule.py), then
00_data_prep, each architecture notebook once per loss, 40_strength_sweep (where the profile
has a sweep) and 90_comparison, which read the runs and train none. Executed copies go to
results/<profile>/notebooks/. A failing notebook does not stop the others; the exit status is
non-zero and the failures are listed at the end.

    python -m facerecon run --profile quick [--only srresnet] [--loss l2,ssim] [--force]
"""
from __future__ import annotations

import functools
import os
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..axes.architectures import references_beside
from ..core import io
from ..core.checks import ConfigError
from ..data.dataset import prepare_cache
from ..data.lfw import lfw_source
from ..experiment.config import (LOSS_NAMES, REFERENCE_LOSS, STUDY_ARCHITECTURES, Profile,
                                 load_profile)
from ..experiment.runs import RunStore
from ..experiment.study import grid, sweep
from ..recognition.recognise import recognise
from ..reporting.document import compile_report
from ..reporting.readme import update_readme
from ..training.plan import check_device, training_plan
from .execution import NOTEBOOKS, Step, execute, portable


# A notebook's parameters: the fields of its class, with the defaults its `parameters` cell gives
# (the one place they are written, where a reader edits them).

@dataclass(frozen=True)
class NotebookParams:
    """What every notebook takes: the profile and the results root (None: the project's)."""

    profile: str
    results_root: str | None

    @functools.cached_property
    def settings(self) -> Profile:
        """The profile, read once for the notebook."""
        return load_profile(self.profile)


@dataclass(frozen=True)
class ArchitectureNotebookParams(NotebookParams):
    """An architecture notebook: one loss, on the profile's obfuscations (None: all of them)
    and seeds (None: all of them)."""

    loss: str
    obfuscations: list | None
    seeds: list | None
    data_home: str | None
    force: bool
    report_only: bool  # show the runs that exist, train none (./run_all.sh --report-only)


@dataclass(frozen=True)
class DataPrepNotebookParams(NotebookParams):
    """00_data_prep."""

    data_home: str | None
    figures_root: str | None


@dataclass(frozen=True)
class SweepNotebookParams(NotebookParams):
    """40_strength_sweep."""

    data_home: str | None
    force: bool
    report_only: bool


@dataclass(frozen=True)
class ComparisonNotebookParams(NotebookParams):
    """90_comparison, which reads results and never trains."""

    figures_root: str | None


# The notebooks beside the architectures' own (notebooks/NN_<architecture>.ipynb).
STEP_PARAMS = {"00_data_prep.ipynb": DataPrepNotebookParams,
               "40_strength_sweep.ipynb": SweepNotebookParams,
               "90_comparison.ipynb": ComparisonNotebookParams}


def architecture_notebook(arch: str) -> str:
    """The notebook that trains and shows a compared architecture: notebooks/NN_<arch>.ipynb
    (the reference row trains in the notebook of the architecture its entry names)."""
    found = sorted(p.name for p in NOTEBOOKS.glob(f"[0-9][0-9]_{arch}.ipynb"))
    if len(found) != 1:
        raise ConfigError(f"architecture {arch} needs one notebook, notebooks/NN_{arch}.ipynb (a "
                          f"copy of 20_srresnet.ipynb); found {', '.join(found) or 'none'}")
    return found[0]


def params_of(notebook: str) -> type[NotebookParams]:
    """The configuration of a notebook's parameters cell."""
    if notebook in STEP_PARAMS:
        return STEP_PARAMS[notebook]
    if notebook in {architecture_notebook(a) for a in STUDY_ARCHITECTURES}:
        return ArchitectureNotebookParams
    raise ConfigError(f"{notebook} is no notebook of the pipeline: name an architecture's "
                      f"NN_<architecture>.ipynb, or one of {', '.join(STEP_PARAMS)}")


def check_parameters(notebook: str, parameters: dict) -> None:
    """Refuses a parameter the notebook does not declare (papermill itself only warns)."""
    import papermill

    declared = set(papermill.inspect_notebook(str(NOTEBOOKS / notebook)))
    unknown = sorted(set(parameters) - declared)
    if unknown:
        raise ConfigError(f"{notebook} has no parameter(s) {', '.join(unknown)}; "
                          f"valid: {', '.join(sorted(declared))}")


def notebook_path(path: Path) -> str:
    """A folder as a notebook parameter: relative to notebooks/, where the notebooks run."""
    return portable(path, NOTEBOOKS)


def plan(profile: Profile, architectures: list[str], losses: list[str], force: bool,
         results_root: Path, figures_root: Path, data_home: str | None,
         report_only: bool = False) -> list[Step]:
    """Every notebook to execute, in order, with its parameters; with report_only the
    architecture and sweep notebooks show the runs that exist and train none."""
    out = results_root / profile.name / "notebooks"
    common = {"profile": profile.name, "results_root": notebook_path(results_root)}
    steps = [Step("00_data_prep.ipynb", {**common, "figures_root": notebook_path(figures_root),
                                         "data_home": data_home}, out / "00_data_prep.ipynb")]
    for arch in architectures:
        notebook = architecture_notebook(arch)
        for loss in losses:
            references = references_beside(arch) if loss == REFERENCE_LOSS else []
            trains = grid(profile, [arch, *references], [loss])
            steps.append(Step(notebook, {**common, "loss": loss, "force": force,
                                         "data_home": data_home, "report_only": report_only},
                              out / f"{Path(notebook).stem}__{loss}.ipynb", tuple(trains)))
    if profile.sweep_seeds and profile.sweep_architecture in architectures \
            and profile.sweep_loss in losses:
        steps.append(Step("40_strength_sweep.ipynb", {**common, "force": force,
                                                      "data_home": data_home,
                                                      "report_only": report_only},
                          out / "40_strength_sweep.ipynb", tuple(sweep(profile))))
    steps.append(Step("90_comparison.ipynb", {**common, "figures_root": notebook_path(figures_root)},
                      out / "90_comparison.ipynb"))
    return steps


def planned_training(steps: list[Step], store: RunStore, force: bool, allow_cpu: bool):
    """Says what the steps' notebooks show that is not trained yet (with force: all of it) and
    refuses it where the profile needs an accelerator this machine lacks, before any work."""
    training = training_plan([run for step in steps for run in step.trains], store, force)
    print(training.text(), flush=True)
    check_device(training, allow_cpu)
    return training


def train_first(training, store: RunStore, force: bool, data_home: str | None,
                allow_cpu: bool) -> None:
    """The training phase: trains what the plan holds through Ray, a local instance (where Ray
    is installed; else this machine's process pool), before any notebook runs. Runs that fail
    are recorded and shown by their notebooks."""
    if training.to_train:
        # Imported here: the scheduler loads Keras, which the notebooks' kernels (they import
        # this module for their parameters) need only where they train.
        from ..training.schedule import default_executor, train_scheduled

        train_scheduled(training, store, data_home, force, allow_cpu=allow_cpu,
                        executor=default_executor())


@contextmanager
def one_invocation_at_a_time(results_root: Path, profile_name: str):
    """Held while an invocation runs a profile's notebooks on a results root: a second one waits
    (saying for whom), then finds the first's runs finished. The lock goes with its process."""
    path = io.writable_dir(results_root / profile_name) / ".run_all.lock"
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(io.exclusive(path))
        except BlockingIOError:
            try:
                holder = path.read_text().strip()
            except FileNotFoundError:  # it ended meanwhile
                holder = ""
            print(f"waiting: {holder or 'another invocation'} is running the {profile_name} "
                  f"notebooks on {results_root}; this one starts when it ends", flush=True)
            handle = stack.enter_context(io.exclusive(path, wait=True))
        handle.truncate(0)
        handle.write(f"process {os.getpid()}")
        handle.flush()
        yield


def run_notebooks(profile: Profile, architectures: list[str] | None, losses: list[str] | None,
                  force: bool, report_only: bool, results_root, figures_root,
                  data_home: str | None, allow_cpu: bool = False) -> int:
    """Checks every step's parameters, draws the profile's faces (data/prepared/), says what the
    notebooks need trained (and refuses a profile that needs an accelerator on a CPU unless
    allow_cpu) and trains it through Ray
    (with report_only: nothing), then executes the steps, which show the runs that exist, and
    says where the results are; 1 if a notebook failed, else 0."""
    profile_name = profile.name
    results_root, figures_root = Path(results_root).resolve(), Path(figures_root).resolve()
    store = RunStore(results_root, profile)
    if report_only:
        store.check_has_runs()
    steps = plan(profile, architectures or list(STUDY_ARCHITECTURES), losses or list(LOSS_NAMES),
                 force, results_root, figures_root, data_home, report_only=True)
    for step in steps:
        check_parameters(step.notebook, step.parameters)
    with one_invocation_at_a_time(results_root, profile_name):
        # The faces drawn and cached here first, on the console: a fresh clone's first loading
        # of LFW never writes its lines (and this machine's paths) into 00_data_prep, and a
        # missing LFW stops the invocation before any plan is said or any folder made.
        print(lfw_source(data_home), flush=True)
        prepare_cache(profile, data_home)
        io.writable_dir(results_root / profile_name / "notebooks")
        io.writable_dir(figures_root / profile_name)
        training = None if report_only else planned_training(steps, store, force, allow_cpu)
        if training:
            train_first(training, store, force, data_home, allow_cpu)
        # Face recognition scored on the console too (what is scored is kept): 90_comparison
        # reads the scores, and a notebook shows the same outputs however often it runs.
        recognise(profile, results_root, data_home)
        try:
            failed = execute(steps)
        except KeyboardInterrupt:
            # A kernel stopped by a signal after the shutdown's grace time leaves its staging
            # folder; it holds no lock now, so nothing else trains that run.
            store.discard_abandoned()
            raise
        print(f"tables:  {results_root / profile_name / 'tables'}")
        print(f"figures: {figures_root / profile_name}")
        print(f"runs:    {results_root / profile_name / 'all_runs.csv'}")

        pdf_failed = False
        if (results_root / profile_name / "report.tex").exists():  # 90_comparison wrote it
            said, pdf_failed = compile_report(results_root / profile_name)
            print(said, file=sys.stderr if pdf_failed else sys.stdout)

        if not failed and update_readme(profile_name, results_root):
            print(f"README:  its {profile_name} headline rewritten from these")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)} "
              f"(their executed copies show the error; finished runs are kept)", file=sys.stderr)
        return 1
    return 1 if pdf_failed else 0
