"""What the notebooks do: check their parameters, train (or read) an architecture's runs for one
loss, the reference rows and the strength sweep, and gather the runs and tables their views
(views.py) show. Notebooks stay narrative; the logic lives here."""
from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from ..core.checks import ConfigError, check_choice
from ..core.io import PROJECT_ROOT
from ..experiment.config import (LOSS_NAMES, OBFUSCATION_NAMES, PROFILE_NAMES,
                                 REFERENCE_ARCHITECTURE, REFERENCE_LOSS, parse_list)
from ..experiment.runs import RunStore
from ..experiment.study import grid, select, sweep
from ..reporting import formatting, strengths, tables
from ..reporting.formatting import NOT_TRAINED
from ..reporting.evidence import gather_evidence
from ..reporting.study_reference import load_reference
from .pipeline import ArchitectureNotebookParams

IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}


def notebook_parameters(namespace: dict, params_class):
    """The notebook's parameters: every plain value defined before this call (the `parameters`
    cell and papermill's injected cell), so call it in the next cell, importing only modules,
    classes or functions before it. A name that is not a parameter stops the notebook, since
    papermill itself only warns about it."""
    given = {name: value for name, value in namespace.items()
             if not name.startswith("_") and name not in IPYTHON_NAMES
             and not isinstance(value, (types.ModuleType, type)) and not callable(value)}
    valid = [f.name for f in dataclasses.fields(params_class)]
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ConfigError(f"unknown notebook parameter(s) {', '.join(unknown)}; "
                          f"valid: {', '.join(valid)}")
    missing = [name for name in valid if name not in given]
    if missing:
        raise ConfigError(f"the notebook's parameters cell lacks {', '.join(missing)}")
    params = params_class(**given)
    check_choice("profile", params.profile, PROFILE_NAMES)
    if isinstance(params, ArchitectureNotebookParams):
        check_choice("loss", params.loss, LOSS_NAMES)
        obfuscations = parse_list(params.obfuscations, OBFUSCATION_NAMES, "obfuscation") \
            or list(params.settings.obfuscations)
        seeds = parse_list(params.seeds)
        seeds = [int(s) for s in seeds] if seeds is not None else None
        params = dataclasses.replace(params, obfuscations=obfuscations, seeds=seeds)
    return params


def results_root(params) -> Path:
    return Path(params.results_root) if params.results_root else PROJECT_ROOT / "results"


def figures_root(params) -> Path:
    return Path(params.figures_root) if params.figures_root else PROJECT_ROOT / "figures"


def train_or_read(runs: list, params) -> pd.DataFrame:
    """Trains (or loads from the cache) the runs, one summary row each; with report_only
    (./run_all.sh has trained them before, through Ray), trains none and says which exist
    (finished), which failed (with the reason) and which not ('not trained')."""
    if not params.report_only:
        from ..training.train import train_many  # Keras, only where a notebook trains

        return train_many(runs, results_root(params), params.force, params.data_home, verbose=2)
    found = store(params).collect().set_index("key")
    found = pd.concat([found, store(params).collect_sweep().set_index("key")])
    rows = []
    for run in runs:
        record = found.loc[run.key] if run.key in found.index else None
        status = record["status"] if record is not None and record["status"] in (
            "finished", "failed") else NOT_TRAINED
        shown = {"finished": ("test_psnr", "test_ssim", "epochs_run"),
                 "failed": ("reason",)}.get(status, ())
        rows.append({"key": run.key, **run.as_dict(), "status": status,
                     **{m: record[m] for m in shown}})
    return pd.DataFrame(rows)


def architecture_runs(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    """The runs of one architecture under the notebook's loss, for each obfuscation and seed, one
    summary row each: read where finished (run_all trains them before any notebook starts),
    trained where missing (the notebook run alone; with report_only, only read)."""
    return train_or_read(grid(params.settings, [arch], [params.loss], params.obfuscations,
                              params.seeds), params)


def store(params) -> RunStore:
    return RunStore(results_root(params), params.settings)


def loss_tables(params: ArchitectureNotebookParams) -> dict[str, pd.DataFrame]:
    """The comparison table of the notebook's loss for each of its obfuscations, from the
    evidence as it is now (read once for the views below)."""
    evidence = gather_evidence(results_root(params), params.settings)
    return {o: tables.loss_table(evidence, params.loss, o) for o in params.obfuscations}


def table_rows(arch: str, by_obfuscation: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """This architecture's rows of the comparison tables (loss_tables), one per obfuscation,
    beside the non-learned baselines, as the tables print them (see formatting.LEGEND)."""
    frames = []
    for obfuscation, table in by_obfuscation.items():
        table = table[(table["architecture"] == arch) | (table["kind"] == "baseline")]
        frames.append(formatting.formatted(table.reset_index(drop=True), "{}")
                      .assign(Obfuscation=OBFUSCATIONS[obfuscation].label))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["Obfuscation", *[c for c in frame.columns if c != "Obfuscation"]]]
    return frame.style.hide(axis="index")


def reference_runs(params: ArchitectureNotebookParams) -> pd.DataFrame | None:
    """The study's reference row, the original residual autoencoder, trained (or loaded) under
    REFERENCE_LOSS only: in the notebook of that loss; in the others nothing is trained (None)."""
    if params.loss != REFERENCE_LOSS:
        display(Markdown(f"The reference is trained under {LOSSES[REFERENCE_LOSS].label} only: "
                         f"its runs are in this notebook's {LOSSES[REFERENCE_LOSS].label} "
                         f"execution; nothing to train under {LOSSES[params.loss].label}."))
        return None
    return architecture_runs(REFERENCE_ARCHITECTURE, params)


def reference_rows(params: ArchitectureNotebookParams) -> pd.DataFrame:
    """The reference's rows of the comparison tables (those of REFERENCE_LOSS)."""
    reference = dataclasses.replace(params, loss=REFERENCE_LOSS)
    return table_rows(REFERENCE_ARCHITECTURE, loss_tables(reference))


def raise_on_failures(*summaries: pd.DataFrame) -> None:
    """Ends the notebook with an error if any of its runs failed (after everything is shown)."""
    summary = pd.concat([s for s in summaries if s is not None], ignore_index=True)
    failed = summary[~summary["status"].isin(["finished", "cached", "busy", NOT_TRAINED])]
    if len(failed):
        raise RuntimeError("runs failed: " + "; ".join(
            f"{row.key} ({row.reason})" for row in failed.itertuples()))


def finished_runs(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    runs = select(store(params).collect(), architecture=arch, loss=params.loss,
                  obfuscation=params.obfuscations, split="random")
    return runs[runs["status"] == "finished"]


# --- 40_strength_sweep -------------------------------------------------------------------------

def sweep_runs(params) -> pd.DataFrame:
    """The profile's strength sweep, one summary row per run: read where finished, trained where
    missing (with report_only, only read)."""
    return train_or_read(sweep(params.settings), params)


def sweep_table(params) -> pd.DataFrame:
    """The sweep's numbers, one row per obfuscation and candidate strength (strengths.py)."""
    runs_of = store(params)
    return strengths.sweep_table(runs_of.collect(), runs_of.collect_sweep(),
                                 strengths.read_calibration(results_root(params) / params.profile),
                                 load_reference(), params.settings)
