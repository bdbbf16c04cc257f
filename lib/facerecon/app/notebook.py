"""What the notebooks call: parameter checking, training an architecture's runs for one loss,
and the views an architecture notebook shows. Notebooks stay narrative; the logic lives here."""
from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from ..core.checks import ConfigError, check_choice
from ..core.io import PROJECT_ROOT
from ..experiment.config import (LOSS_NAMES, OBFUSCATION_NAMES, PROFILE_NAMES,
                                 REFERENCE_ARCHITECTURE, REFERENCE_LOSS, parse_list)
from ..reporting import face_plots, figures, formatting, result_plots, strengths, tables
from ..reporting.evidence import gather_evidence
from ..reporting.reproduction import load_reference
from ..training.runs import RunStore, grid, select, sweep
from ..training.train import train_many
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


def network_summary(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    """The network as the profile sizes it: each layer with weights (type, output shape,
    parameters) and the total, built at the profile's resolution."""
    from ..axes.networks import build_for_profile

    model = build_for_profile(arch, params.settings)
    rows = [{"Layer": layer.name, "Type": type(layer).__name__,
             "Output shape": " × ".join(map(str, layer.output.shape[1:])),
             "Parameters": f"{layer.count_params():,}"}
            for layer in model.layers if layer.count_params()]
    rows.append({"Layer": "total", "Type": "", "Output shape": "",
                 "Parameters": f"{model.count_params():,}"})
    return pd.DataFrame(rows).style.hide(axis="index")


def train_architecture(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    """Trains (or loads from the cache) the runs of one architecture under the notebook's loss,
    for each obfuscation and seed; returns one summary row per run."""
    runs = grid(params.settings, [arch], [params.loss], params.obfuscations, params.seeds)
    return train_many(runs, results_root(params), params.force, params.data_home, verbose=2)


def store(params) -> RunStore:
    return RunStore(results_root(params), params.settings)


def training_curves(arch: str, params: ArchitectureNotebookParams):
    """Loss, PSNR and SSIM per epoch (train vs validation), one colour per obfuscation."""
    runs = select(store(params).collect(), architecture=arch, loss=params.loss,
                  obfuscation=params.obfuscations)
    curves = figures.histories(runs, store(params))
    if curves.empty:
        print("no finished runs to show")
        return None
    return result_plots.training_curves(curves, hue="obfuscation", registry=OBFUSCATIONS,
                                 title=f"{ARCHITECTURES[arch].label}, "
                                       f"{LOSSES[params.loss].label} loss")


def reconstructions(arch: str, params: ArchitectureNotebookParams, seed: int | None = None):
    """Test faces: Original | Blurred | Reconstructed blurred | Pixelated | Reconstructed
    pixelated, for the notebook's loss."""
    seed = seed if seed is not None else (params.seeds or params.settings.seeds)[0]
    rows = figures.reconstruction_rows(store(params), arch, params.loss, seed)
    return face_plots.image_grid(rows, figures.reconstruction_titles())


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
                      .assign(obfuscation=obfuscation))
    frame = pd.concat(frames, ignore_index=True)
    return frame[["obfuscation", *[c for c in frame.columns if c != "obfuscation"]]]


def train_reference(params: ArchitectureNotebookParams) -> pd.DataFrame | None:
    """The study's reference row, the original residual autoencoder, trained (or loaded) under
    REFERENCE_LOSS only: in the notebook of that loss; in the others nothing is trained (None)."""
    from IPython.display import Markdown, display

    if params.loss != REFERENCE_LOSS:
        display(Markdown(f"The reference is trained under {LOSSES[REFERENCE_LOSS].label} only: "
                         f"its runs are in this notebook's {LOSSES[REFERENCE_LOSS].label} "
                         f"execution; nothing to train under {LOSSES[params.loss].label}."))
        return None
    return train_architecture(REFERENCE_ARCHITECTURE, params)


def reference_rows(params: ArchitectureNotebookParams) -> pd.DataFrame:
    """The reference's rows of the comparison tables (those of REFERENCE_LOSS)."""
    reference = dataclasses.replace(params, loss=REFERENCE_LOSS)
    return table_rows(REFERENCE_ARCHITECTURE, loss_tables(reference))


def raise_on_failures(*summaries: pd.DataFrame) -> None:
    """Ends the notebook with an error if any of its runs failed (after everything is shown)."""
    summary = pd.concat([s for s in summaries if s is not None], ignore_index=True)
    failed = summary[~summary["status"].isin(["finished", "cached", "busy"])]
    if len(failed):
        raise RuntimeError("runs failed: " + "; ".join(
            f"{row.key} ({row.reason})" for row in failed.itertuples()))


def table_text(arch: str, by_obfuscation: dict[str, pd.DataFrame]):
    """What this architecture's rows show, from their numbers: its test scores against the
    obfuscated input and the best non-learned baseline, per obfuscation."""
    from IPython.display import Markdown

    lines = []
    for obfuscation, table in by_obfuscation.items():
        ours = table[table["architecture"] == arch].iloc[0]
        label = OBFUSCATIONS[obfuscation].label
        if pd.isna(ours["test_psnr"]):
            lines.append(f"- **{label}**: missing (no finished run).")
            continue
        text = (f"- **{label}**: test PSNR {ours['test_psnr']:.2f} dB, SSIM "
                f"{ours['test_ssim']:.4f} (mean of {int(ours['n_seeds'])} seed"
                f"{'s' if ours['n_seeds'] > 1 else ''})")
        against = [f"{base['row']} {ours['test_psnr'] - base['test_psnr']:+.2f} dB"
                   for _, base in table[table["kind"] == "baseline"].iterrows()]
        if against:
            text += "; test PSNR minus each non-learned baseline's: " + ", ".join(against)
        lines.append(text + ".")
    return Markdown("\n".join(lines))


def training_text(arch: str, params: ArchitectureNotebookParams):
    """When the runs stopped and which epoch's weights they kept, from their records."""
    from IPython.display import Markdown

    runs = finished_runs(arch, params)
    if runs.empty:
        return Markdown("No finished run to describe.")
    lines = [f"- {OBFUSCATIONS[r['obfuscation']].label}, seed {r['seed']}: "
             f"{int(r['epochs_run'])} epoch{'s' if r['epochs_run'] != 1 else ''}"
             f"{' (stopped early)' if r['stopped_early'] else ' (the profile’s limit)'}, "
             f"weights of epoch {int(r['best_epoch'])} kept"
             for _, r in runs.iterrows()]
    return Markdown("\n".join(lines))


def finished_runs(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    runs = select(store(params).collect(), architecture=arch, loss=params.loss,
                  obfuscation=params.obfuscations, split="random")
    return runs[runs["status"] == "finished"]


# --- 40_strength_sweep -------------------------------------------------------------------------

def train_sweep(params) -> pd.DataFrame:
    """Trains (or loads from the cache) the profile's strength sweep; one summary row per run."""
    return train_many(sweep(params.settings), results_root(params), params.force,
                      params.data_home, verbose=2)


def sweep_table(params) -> pd.DataFrame:
    """The sweep's numbers, one row per obfuscation and candidate strength (strengths.py)."""
    runs_of = store(params)
    return strengths.sweep_table(runs_of.collect(), runs_of.collect_sweep(),
                                 strengths.read_calibration(results_root(params) / params.profile),
                                 load_reference(), params.settings)


def sweep_view(table: pd.DataFrame):
    """The sweep table (sweep_table) as it prints, for the notebook."""
    return formatting.sweep_printed(table).style.hide(axis="index")


def sweep_figure(table: pd.DataFrame):
    return result_plots.strength_sweep(table, formatting.network_label(table))


def sweep_text(params, table: pd.DataFrame):
    """The gap between the study's numbers and ours, and what the sweep says about it."""
    from IPython.display import Markdown

    return Markdown(strengths.gap_text(store(params).collect(), table, load_reference()))
