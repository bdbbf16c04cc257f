"""The strength sweep: one network (the profile's sweep_architecture under its sweep_loss) trained
at every calibration candidate of every obfuscation. The study does not state its strengths, and
ours are placed by where its example faces fall (calibration.py); the sweep shows how far the
strength alone moves a reconstruction's test PSNR and SSIM, and where the study's number for the
same network falls among them. A strength not trained yet is "missing".

    python -m facerecon train --profile <profile> --sweep    # the sweep's runs (sweep_command)
    results/<profile>/strength_sweep_runs.csv                 every sweep run, with its records
    results/<profile>/tables/strength_sweep.{csv,md,tex}      one row per obfuscation and strength
    figures/<profile>/strength_sweep.{png,pdf}
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.measures import MEASURE_NAMES
from ..axes.obfuscation import OBFUSCATIONS, setting_label
from ..core import io
from ..experiment.config import Profile, strength_name
from ..experiment.study import finished, select
from . import formatting, plots, result_plots
from .front import seeds_text
from .conclusions import our_means, value
from .study_reference import STUDY_MEASURES, load_reference, study_means
from .tables import Table


def columns() -> list[str]:
    """The sweep table's columns: per strength the input's, our runs' and the study's means."""
    return ["obfuscation", "strength", "setting", "profile_strength", "architecture", "loss",
            *(f"input_test_{m}" for m in MEASURE_NAMES), "n_seeds", "seeds",
            *(f"test_{m}" for m in MEASURE_NAMES), "status",
            *(f"study_test_{m}" for m in STUDY_MEASURES)]


def sweep_runs_at(runs: pd.DataFrame, sweep_runs: pd.DataFrame, profile: Profile,
                  obfuscation: str, settings: dict) -> pd.DataFrame:
    """The finished runs of the sweep's network at one candidate strength and the sweep's seeds:
    the grid's own runs at the profile's strength, the sweep's elsewhere."""
    cell = {"architecture": profile.sweep_architecture, "loss": profile.sweep_loss,
            "obfuscation": obfuscation, "seed": list(profile.sweep_seeds)}
    own = select(finished(runs), **cell)
    if settings == profile.obfuscation_settings(obfuscation):
        return own
    if "strength" not in sweep_runs:  # no sweep run in any state
        return own.iloc[0:0]
    return select(finished(sweep_runs), **cell, strength=strength_name(settings))


def sweep_table(runs: pd.DataFrame, sweep_runs: pd.DataFrame, calibration: pd.DataFrame,
                reference: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """One row per obfuscation and candidate strength (the profile's order): the obfuscated test
    faces' mean PSNR/SSIM (from the calibration), the sweep network's test means over its
    finished seeds (or 'missing'), and the study's number for that network."""
    if not profile.sweep_seeds:
        return pd.DataFrame(columns=columns())
    study = study_means(reference)
    arch, loss = profile.sweep_architecture, profile.sweep_loss
    rows = []
    for obfuscation in OBFUSCATIONS:
        for settings in profile.obfuscations[obfuscation]["candidates"]:
            label = setting_label(obfuscation, settings)
            inputs = select(calibration, obfuscation=obfuscation, setting=label)
            done = sweep_runs_at(runs, sweep_runs, profile, obfuscation, settings)
            rows.append({
                "obfuscation": obfuscation, "strength": strength_name(settings), "setting": label,
                "profile_strength": settings == profile.obfuscation_settings(obfuscation),
                "architecture": arch, "loss": loss,
                **{f"input_test_{m}": float(inputs[f"test_{m}_mean"].iloc[0])
                   if len(inputs) and f"test_{m}_mean" in inputs else np.nan
                   for m in MEASURE_NAMES},
                "n_seeds": len(done), "seeds": " ".join(str(int(s)) for s in sorted(done["seed"])),
                **{f"test_{m}": done[f"test_{m}"].mean() if len(done) else np.nan
                   for m in MEASURE_NAMES},
                "status": "finished" if len(done) else "missing",
                **{f"study_test_{m}": value(study, arch, loss, obfuscation, f"test_{m}")
                   for m in STUDY_MEASURES}})
    return pd.DataFrame(rows, columns=columns())


# --- what it says ------------------------------------------------------------------------------


def sweep_command(profile_name: str) -> str:
    """The command that trains a profile's sweep without a notebook: said with the profile a
    notebook was executed for, so that its reader runs that profile's sweep."""
    return f"python -m facerecon train --profile {profile_name} --sweep"


def spread(rows: pd.DataFrame) -> str:
    """How far the strength alone moves the network's test PSNR (and its input's), over the
    strengths trained; at how many the reconstruction is below its input."""
    trained = rows[rows["status"] == "finished"]
    if len(trained) < 2:
        return ""
    psnr, inputs = trained["test_psnr"], trained["input_test_psnr"]
    text = (f" Over the {len(trained)} strengths trained, the network's test PSNR spans "
            f"{psnr.max() - psnr.min():.2f} dB, its input's {inputs.max() - inputs.min():.2f} dB.")
    below = int((trained["test_psnr"] < trained["input_test_psnr"]).sum())
    if below:
        text += (f" At {below} of them the reconstruction scores below the obfuscated input it "
                 f"was given.")
    return text


def seeds_said(rows: pd.DataFrame) -> str:
    """'seed 0', 'seeds 0, 1': the seeds the sweep's numbers rest on (fewer than the grid's,
    so said beside every number)."""
    seeds = sorted({int(float(s)) for text in rows["seeds"].dropna().astype(str)
                    for s in text.split()})
    return seeds_text(seeds) if seeds else "no seed"


def trained_at(rows: pd.DataFrame) -> str:
    """'trained at 1 of 6 strengths (k 13, σ 7)': said once, for a sweep not trained at all."""
    trained = rows[rows["status"] == "finished"]
    return (f"trained at {len(trained)} of {len(rows)} strengths"
            + (f" ({'; '.join(trained['setting'])})" if len(trained) else ""))


def placement(rows: pd.DataFrame) -> str:
    """Where the study's number for the sweep's network falls among the trained strengths."""
    study = rows["study_test_psnr"].iloc[0]
    if pd.isna(study):
        return " The study reports no number for this network."
    trained = rows[rows["status"] == "finished"]
    said = f" The study's {study:.2f} dB for this network"
    if len(trained) < 2:
        return f"{said} cannot be placed until the sweep has at least two strengths."
    above, below = trained[trained["test_psnr"] >= study], trained[trained["test_psnr"] < study]
    if len(above) and len(below):
        a, b = above.loc[above["test_psnr"].idxmin()], below.loc[below["test_psnr"].idxmax()]
        where = (f" lies between {a['setting']} ({a['test_psnr']:.2f} dB) and {b['setting']} "
                 f"({b['test_psnr']:.2f} dB)")
    elif len(above):
        low = above.loc[above["test_psnr"].idxmin()]
        where = (f" is below every strength trained (lowest: {low['setting']}, "
                 f"{low['test_psnr']:.2f} dB)")
    else:
        high = below.loc[below["test_psnr"].idxmax()]
        where = (f" is above every strength trained (highest: {high['setting']}, "
                 f"{high['test_psnr']:.2f} dB)")
    return f"{said}{where}."


def gap_text(runs: pd.DataFrame, table: pd.DataFrame, reference: pd.DataFrame) -> str:
    """Per obfuscation, the gap between our test means and the study's (over the configurations
    of its tables that have finished runs here), then what the strength sweep says about it
    (Markdown list)."""
    gaps = (our_means(runs) - study_means(reference)).dropna(subset=["test_psnr"]).reset_index()
    lines = []
    for obfuscation in OBFUSCATIONS:
        label = f"**{OBFUSCATIONS[obfuscation].label} faces**"
        gap = select(gaps, obfuscation=obfuscation)
        if gap.empty:
            lines.append(f"- {label}: no configuration of the study's tables has a finished run "
                         f"of ours yet (missing).")
            continue
        psnr = gap["test_psnr"]
        text = (f"- {label}: our test PSNR is {abs(psnr.mean()):.2f} dB "
                f"{'below' if psnr.mean() < 0 else 'above'} the study's on average "
                f"({len(gap)} configurations of its tables with finished runs; from "
                f"{psnr.min():+.2f} to {psnr.max():+.2f} dB), test SSIM "
                f"{gap['test_ssim'].mean():+.4f}.")
        rows = table[table["obfuscation"] == obfuscation]
        if len(rows) < 2:
            lines.append(text + " This profile sweeps no other strength.")
            continue
        network = formatting.network_label(rows)
        trained = rows[rows["status"] == "finished"]
        listed = "; ".join(
            f"{r['setting']}{' (the profile’s)' if r['profile_strength'] else ''} "
            f"{r['test_psnr']:.2f} dB (input {r['input_test_psnr']:.2f} dB)"
            for _, r in trained.iterrows())
        text += (f" The study does not state its strengths. The strength sweep of the {network} "
                 f"is {trained_at(rows)}, on {seeds_said(rows)}"
                 + (f"; test PSNR of its reconstructions: {listed}." if listed else ".")
                 + spread(rows) + placement(rows))
        lines.append(text)
    return "\n".join(lines)


def stored_text(results: Path) -> str:
    """gap_text from a profile's CSVs (all_runs.csv and the sweep table)."""
    paths = results / "all_runs.csv", results / "tables" / "strength_sweep.csv"
    if not all(p.exists() for p in paths):
        return "No strength sweep yet (`python -m facerecon report`)."
    return gap_text(*(pd.read_csv(p) for p in paths), load_reference())


# --- what it writes ----------------------------------------------------------------------------

CAPTION = ("The strength sweep: one network at every candidate strength. Test PSNR (dB) and SSIM "
           "of its reconstructions (mean over the sweep's seeds: column Seeds) beside those of "
           "the obfuscated input")


def read_calibration(results: Path) -> pd.DataFrame:
    """obfuscation_quality.csv (calibration.py), or no rows before the calibration ran."""
    path = results / "obfuscation_quality.csv"
    return pd.read_csv(path) if path.exists() else pd.DataFrame(
        columns=["obfuscation", "setting", "test_psnr_mean", "test_ssim_mean"])


def write_sweep(runs: pd.DataFrame, sweep_runs: pd.DataFrame, profile: Profile, results: Path,
                figures: Path, reference: pd.DataFrame) -> dict:
    """strength_sweep_runs.csv, the sweep table and its figure; returns the table and the text."""
    io.write_csv(results / "strength_sweep_runs.csv", sweep_runs)
    table = sweep_table(runs, sweep_runs, read_calibration(results), reference, profile)
    if table.empty:
        return {"table": table, "text": "", "figures": []}
    formatting.write_table(Table(table, CAPTION, formatting.sweep_legend(table)),
                           io.writable_dir(results / "tables"), "strength_sweep")
    network = formatting.network_label(table)
    network = f"{network} ({seeds_said(table)})"
    paths = plots.save_in_both_widths(
        lambda width: result_plots.strength_sweep(table, network, width),
        io.writable_dir(figures) / "strength_sweep",
        plots.by_obfuscation(lambda part, width: result_plots.strength_sweep(part, network, width),
                             table))
    return {"table": table, "text": gap_text(runs, table, reference), "figures": paths}
