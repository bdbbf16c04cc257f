"""What a notebook shows: the profile, the calibration, the baselines, a network's layers, the
runs as a reader reads them (display names, digits), their tables, curves and faces, and the
sentences written from their numbers; each a Styler, Markdown or a figure a cell displays.
The work behind them (parameters, training, the runs' store) is notebook.py's."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from ..axes.architectures import ARCHITECTURES, references_beside
from ..axes.losses import LOSSES
from ..axes.measures import MEASURES
from ..axes.obfuscation import OBFUSCATIONS, setting_label
from ..core.io import PROJECT_ROOT
from ..data.baselines import METHODS
from ..data.dataset import load_dataset
from ..experiment.config import REFERENCE_LOSS, named_candidates
from ..experiment.study import select
from ..reporting import face_plots, figures, formatting, result_plots, strengths, tables
from ..reporting.completeness import completeness_text
from ..reporting.study_reference import load_reference
from .notebook import finished_runs, store
from .pipeline import ArchitectureNotebookParams


def profile_view(profile):
    """What a profile fixes, in a few lines (not the dataclass's repr)."""
    strengths = ", ".join(f"{OBFUSCATIONS[o].label.lower()} {setting_label(o, profile.obfuscation_settings(o))}"
                          for o in profile.obfuscations)
    return Markdown(
        f"Profile **{profile.name}**: {profile.description.rstrip('.')}. Faces "
        f"{profile.height}×{profile.width}; {profile.n_train:,} training, {profile.n_test:,} "
        f"test and {profile.n_val:,} validation images (split seed {profile.split_seed}); "
        f"seeds {', '.join(map(str, profile.seeds))}; Adam {profile.learning_rate:g}, batch "
        f"{profile.batch_size}, patience {profile.patience}, at most {profile.max_epochs} "
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
    return pd.DataFrame({
        "Obfuscation": summary["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Baseline": summary["method"].map(lambda m: METHODS[m].short_label),
        "Setting": summary["setting"].map(lambda v: "" if pd.isna(v) else f"{v:g}"),
        **{f"{subset.capitalize()} {measure.heading}":
           summary[f"{subset}_{name}"].map(f"{{:.{measure.digits}f}}".format)
           for subset in ("train", "test") for name, measure in MEASURES.items()}}).style.hide(
        axis="index")


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


def strength_label(obfuscation: str, name, profile) -> str:
    """'k 13, σ 7' for a sweep run's strength name ('kernel13-sigma7'); the profile's own where
    the run has none."""
    if not isinstance(name, str) or not name:
        return "the profile's"
    candidates = named_candidates(profile.obfuscations[obfuscation])
    return setting_label(obfuscation, candidates[name]) if name in candidates else name


def runs_view(summary: pd.DataFrame, profile=None):
    """A summary of runs (architecture_runs, sweep_runs) as a reader reads it: display names,
    the test scores at their digits, epochs; nothing when there is no run. `settings`: the
    profile, to name a sweep run's strength."""
    if summary is None or summary.empty:
        return None
    shown = pd.DataFrame({
        "Network": summary["architecture"].map(lambda a: ARCHITECTURES[a].label),
        "Obfuscation": summary["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        **({"Strength": [strength_label(o, name, profile) for o, name in
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
    runs = store(params).collect()
    if arch is not None:
        archs = [arch, *(references_beside(arch) if params.loss == REFERENCE_LOSS else [])]
        runs = select(runs, architecture=archs, loss=params.loss)
        what = f"{ARCHITECTURES[arch].label} under {LOSSES[params.loss].label}"
    else:
        what = f"the {params.profile} grid"
    return Markdown(f"**Runs of {what}.** {completeness_text(runs)}")


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


def shown_table(table: tables.Table, printer=None):
    """A study table in a notebook: its one sentence where it has nothing to show, else a
    comparison table styled (formatting.styled) or the frame as `printer` prints it."""
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
    if len(frame) > rows:
        where = Path(csv).resolve()
        where = where.relative_to(PROJECT_ROOT) if where.is_relative_to(PROJECT_ROOT) else where
        display(Markdown(f"The first {rows} of {len(frame)} rows; every row is in `{where}`."))
    return frame.head(rows).style.hide(axis="index")


def table_text(arch: str, by_obfuscation: dict[str, pd.DataFrame]):
    """What this architecture's rows show, from their numbers: its test scores against the
    obfuscated input and the best non-learned baseline, per obfuscation."""
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
    runs = finished_runs(arch, params)
    if runs.empty:
        return Markdown("No finished run to describe.")
    lines = [f"- {OBFUSCATIONS[r['obfuscation']].label}, seed {r['seed']}: "
             f"{int(r['epochs_run'])} epoch{'s' if r['epochs_run'] != 1 else ''}"
             f"{' (stopped early)' if r['stopped_early'] else ' (the profile’s limit)'}, "
             f"weights of epoch {int(r['best_epoch'])} kept"
             for _, r in runs.iterrows()]
    return Markdown("\n".join(lines))


def sweep_view(table: pd.DataFrame):
    """The sweep table (sweep_table) as it prints, for the notebook."""
    return formatting.sweep_printed(table).style.hide(axis="index")


def sweep_figure(table: pd.DataFrame):
    return result_plots.strength_sweep(
        table, f"{formatting.network_label(table)} ({strengths.seeds_said(table)})")


def sweep_completeness(table: pd.DataFrame, profile_name: str):
    """How far the sweep is trained, per obfuscation, said once near the top of 40, and the
    command that trains the same runs headless, for the profile the notebook runs."""
    if table.empty:
        return Markdown("This profile has no strength sweep.")
    return Markdown("**Runs of the sweep.** " + "; ".join(
        f"{OBFUSCATIONS[o].label}: {strengths.trained_at(rows)}"
        for o, rows in table.groupby("obfuscation", sort=False))
        + f", on {strengths.seeds_said(table) if table['seeds'].astype(str).str.strip().any() else 'the sweep seeds'}."
        + f" Headless: `{strengths.sweep_command(profile_name)}` trains the same runs.")


def sweep_text(params, table: pd.DataFrame):
    """The gap between the study's numbers and ours, and what the sweep says about it."""
    return Markdown(strengths.gap_text(store(params).collect(), table, load_reference()))
