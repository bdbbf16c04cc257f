"""What the notebooks call: parameter checking, training an architecture's runs for one loss,
and the views an architecture notebook shows. Notebooks stay narrative; the logic lives here."""
from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES, references_beside
from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from ..core.checks import ConfigError, check_choice
from ..core.io import PROJECT_ROOT
from ..data.dataset import load_dataset
from ..experiment.config import (LOSS_NAMES, OBFUSCATION_NAMES, PROFILE_NAMES,
                                 REFERENCE_ARCHITECTURE, REFERENCE_LOSS, parse_list)
from ..reporting import face_plots, figures, formatting, result_plots, strengths, tables
from ..reporting.formatting import NOT_TRAINED
from ..reporting.evidence import gather_evidence
from ..reporting.reproduction import load_reference
from ..training.runs import RunStore, grid, select, sweep
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


def profile_view(settings):
    """What a profile fixes, in a few lines (not the dataclass's repr)."""
    from IPython.display import Markdown

    from ..axes.obfuscation import setting_label

    strengths = ", ".join(f"{OBFUSCATIONS[o].label.lower()} {setting_label(o, settings.obfuscation_settings(o))}"
                          for o in settings.obfuscations)
    return Markdown(
        f"Profile **{settings.name}**: {settings.description.rstrip('.')}. Faces "
        f"{settings.height}×{settings.width}; {settings.n_train:,} training, {settings.n_test:,} "
        f"test and {settings.n_val:,} validation images (split seed {settings.split_seed}); "
        f"seeds {', '.join(map(str, settings.seeds))}; Adam {settings.learning_rate:g}, batch "
        f"{settings.batch_size}, patience {settings.patience}, at most {settings.max_epochs} "
        f"epochs; obfuscations: {strengths}.")


def calibration_view(table: pd.DataFrame):
    """The calibration's table as a reader reads it: each candidate strength, our faces' test
    means and where the study's example faces fall among them (percentiles)."""
    return pd.DataFrame({
        "Obfuscation": table["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Strength": [f"{s} *" if c else s for s, c in zip(table["setting"], table["chosen"])],
        "Test PSNR (dB)": table["test_psnr_mean"].map("{:.2f}".format),
        "Test SSIM": table["test_ssim_mean"].map("{:.4f}".format),
        **{f"Study's {subset} example, {m} percentile": table[
            f"study_{subset}_{m.lower()}_percentile"].map("{:.0f}".format)
           for subset in ("test", "train") for m in ("PSNR", "SSIM")},
        "Distance from the middle": table["distance_from_middle"].map("{:.0f}".format)}
    ).style.hide(axis="index")


def baselines_view(summary: pd.DataFrame):
    """The baselines' chosen settings and mean scores, with display names."""
    from ..data.baselines import METHODS

    return pd.DataFrame({
        "Obfuscation": summary["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Baseline": summary["method"].map(lambda m: METHODS[m].short_label),
        "Setting": summary["setting"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        **{f"{subset.capitalize()} {m.upper()}{' (dB)' if m == 'psnr' else ''}":
           summary[f"{subset}_{m}"].map(("{:.2f}" if m == "psnr" else "{:.4f}").format)
           for subset in ("train", "test") for m in ("psnr", "ssim")}}).style.hide(axis="index")


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


def train_architecture(arch: str, params: ArchitectureNotebookParams) -> pd.DataFrame:
    """Trains (or loads from the cache; with report_only, only reads) the runs of one
    architecture under the notebook's loss, for each obfuscation and seed; one summary row per
    run."""
    return train_or_read(grid(params.settings, [arch], [params.loss], params.obfuscations,
                              params.seeds), params)


def strength_label(obfuscation: str, name, settings) -> str:
    """'k 13, σ 7' for a sweep run's strength name ('kernel13-sigma7'); the profile's own where
    the run has none."""
    from ..axes.obfuscation import setting_label
    from ..experiment.config import named_candidates

    if not isinstance(name, str) or not name:
        return "the profile's"
    candidates = named_candidates(settings.obfuscations[obfuscation])
    return setting_label(obfuscation, candidates[name]) if name in candidates else name


def runs_view(summary: pd.DataFrame, settings=None):
    """A summary of runs (train_architecture, train_sweep) as a reader reads it: display names,
    the test scores at their digits, epochs; nothing when there is no run. `settings`: the
    profile, to name a sweep run's strength."""
    from ..axes.measures import MEASURES

    if summary is None or summary.empty:
        return None
    shown = pd.DataFrame({
        "Network": summary["architecture"].map(lambda a: ARCHITECTURES[a].label),
        "Obfuscation": summary["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        **({"Strength": [strength_label(o, name, settings) for o, name in
                         zip(summary["obfuscation"], summary["strength"])]}
           if "strength" in summary else {}),
        "Split": summary["split"].map(lambda s: "random" if s == "random" else f"{s}-disjoint"),
        "Seed": summary["seed"].astype(int),
        "Status": summary["status"],
        **{f"Test {m.heading}": summary.get(f"test_{n}", pd.Series(index=summary.index))
           .map(lambda v, d=m.digits: "" if pd.isna(v) else f"{v:.{d}f}")
           for n, m in MEASURES.items()},
        "Epochs": summary.get("epochs_run", pd.Series(index=summary.index)).map(
            lambda v: "" if pd.isna(v) else f"{int(v)}"),
        **({"Why": summary["reason"].fillna("")} if "reason" in summary else {})})
    return shown.style.hide(axis="index")


def parameters_view(params):
    """The notebook's parameters in one line (not the dataclass's repr)."""
    from IPython.display import Markdown

    said = {"profile": f"profile **{params.profile}**"}
    if isinstance(params, ArchitectureNotebookParams):
        said["loss"] = f"loss **{LOSSES[params.loss].label}**"
        said["obfuscations"] = "obfuscations " + ", ".join(
            OBFUSCATIONS[o].label.lower() for o in params.obfuscations)
        said["seeds"] = "seeds " + ", ".join(map(str, params.seeds or params.settings.seeds))
    if getattr(params, "report_only", False):
        said["report_only"] = ("shows the runs that exist and trains none (./run_all.sh trains "
                               "the missing ones before, through Ray, unless --report-only)")
    elif getattr(params, "force", False):
        said["force"] = "retrains finished runs"
    return Markdown("Parameters: " + "; ".join(said.values()) + ".")


def completeness(params, arch: str | None = None):
    """Near the top of every notebook: how many of the runs it shows exist, on which seeds, and
    what is missing (the whole grid's in 00 and 90; this architecture and loss's in an
    architecture notebook; the sweep's in 40)."""
    from IPython.display import Markdown

    from ..reporting.findings import completeness_text

    runs = store(params).collect()
    if arch is not None:
        archs = [arch, *(references_beside(arch) if params.loss == REFERENCE_LOSS else [])]
        runs = select(runs, architecture=archs, loss=params.loss)
        what = f"{ARCHITECTURES[arch].label} under {LOSSES[params.loss].label}"
    else:
        what = f"the {params.profile} grid"
    return Markdown(f"**Runs of {what}.** {completeness_text(runs)}")


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
    pixelated, for the notebook's loss. A missing run leaves only its reconstructions missing:
    its originals and obfuscated faces are data, read from the dataset (prepared by
    00_data_prep) where no run's samples show them."""
    seed = seed if seed is not None else (params.seeds or params.settings.seeds)[0]
    rows = figures.reconstruction_rows(store(params), arch,
                                       {o: (params.loss, seed) for o in OBFUSCATIONS})
    if any(tile is None for row in rows for tile in row):
        rows = face_plots.with_inputs(rows, load_dataset(params.settings, params.data_home))
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
                      .assign(Obfuscation=OBFUSCATIONS[obfuscation].label))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[["Obfuscation", *[c for c in frame.columns if c != "Obfuscation"]]]
    return frame.style.hide(axis="index")


def shown_table(table: tables.Table, printer=None):
    """A study table in a notebook: its one sentence where it has nothing to show, else a
    comparison table styled (formatting.styled) or the frame as `printer` prints it."""
    from IPython.display import Markdown

    empty = formatting.empty_text(table)
    if empty is not None:
        return Markdown(empty)
    if "kind" in table.frame:
        return formatting.styled(table.frame)
    return (printer or (lambda f: f))(table.frame).style.hide(axis="index")


LONG_ROWS = 12  # a longer table shows its head; the whole is in its CSV


def long_table(frame: pd.DataFrame, csv: Path, rows: int = LONG_ROWS):
    """A long printed table in a notebook: where it has more than `rows` rows, a line that says
    so and where the whole table is (its CSV, relative to the project), then its head."""
    from IPython.display import Markdown, display

    if len(frame) > rows:
        where = Path(csv).resolve()
        where = where.relative_to(PROJECT_ROOT) if where.is_relative_to(PROJECT_ROOT) else where
        display(Markdown(f"The first {rows} of {len(frame)} rows; every row is in `{where}`."))
    return frame.head(rows).style.hide(axis="index")


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
    failed = summary[~summary["status"].isin(["finished", "cached", "busy", NOT_TRAINED])]
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
    """Trains (or loads from the cache; with report_only, only reads) the profile's strength
    sweep; one summary row per run."""
    return train_or_read(sweep(params.settings), params)


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
    return result_plots.strength_sweep(
        table, f"{formatting.network_label(table)} ({strengths.seeds_said(table)})")


def sweep_completeness(table: pd.DataFrame, profile: str):
    """How far the sweep is trained, per obfuscation, said once near the top of 40, and the
    command that trains the same runs headless, for the profile the notebook runs."""
    from IPython.display import Markdown

    if table.empty:
        return Markdown("This profile has no strength sweep.")
    return Markdown("**Runs of the sweep.** " + "; ".join(
        f"{OBFUSCATIONS[o].label}: {strengths.trained_at(rows)}"
        for o, rows in table.groupby("obfuscation", sort=False))
        + f", on {strengths.seeds_said(table) if table['seeds'].astype(str).str.strip().any() else 'the sweep seeds'}."
        + f" Headless: `{strengths.sweep_command(profile)}` trains the same runs.")


def sweep_text(params, table: pd.DataFrame):
    """The gap between the study's numbers and ours, and what the sweep says about it."""
    from IPython.display import Markdown

    return Markdown(strengths.gap_text(store(params).collect(), table, load_reference()))
