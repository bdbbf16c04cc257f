"""Face recognition's tables, verdicts and figure, from the ranks recognition/recognise.py
recorded (this module only reads them; `python -m facerecon recognise` and run_all score):
accuracy per condition with seed-aware intervals, each network configuration's paired verdict
against the obfuscated faces and against a recogniser trained on them, the strengths that still
leak identity, and results/<profile>/recognition.csv, recognition_strengths.csv,
tables/recognition.{md,tex} and figures/<profile>/recognition_vs_psnr. Their text is
recognition_text.py's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import MEASURE_NAMES, MEASURES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io, stats
from ..data import baselines
from ..experiment.config import Profile
from ..experiment.runs import RunStore
from ..experiment.study import finished, grid, select
from ..recognition.protocol import (CONDITIONS, RECOGNISERS, RECORDS, TOP_K, kept_features,
                                    profile_strength, stored_per_probe)
from . import identity_plots, latex, plots
from .formatting import NOT_TRAINED, RETRAIN
from .recognition_text import chance, recognition_text


def accuracy(frame: pd.DataFrame) -> dict:
    """Top-k accuracy over probes averaged over seeds, with the two-level (seeds, then probes)
    bootstrap interval (stats.seed_image_bootstrap), for each k in TOP_K."""
    row = {"n_seeds": int(frame["seed"].fillna(-1).nunique()),
           "n_probes": int(frame["lfw_index"].nunique())}
    for k in TOP_K:
        interval = stats.seed_image_bootstrap(hit_matrix(frame, k).to_numpy())
        row.update({f"top{k}": interval["difference"], f"top{k}_ci_low": interval["ci_low"],
                    f"top{k}_ci_high": interval["ci_high"]})
    return row


def hit_matrix(frame: pd.DataFrame, k: int = 1) -> pd.DataFrame:
    """(seeds, probes) 1.0 where the true person is among the first k."""
    seeds = frame.assign(seed=frame["seed"].fillna(-1), hit=(frame["rank"] <= k).astype(float))
    return seeds.pivot_table(index="seed", columns="lfw_index", values="hit")


def verdict_against(runs: pd.DataFrame, reference: pd.DataFrame) -> str:
    """Whether a configuration's top-1 accuracy is higher or lower than a reference condition's
    on the same probes: the paired difference per seed and probe, resolved where its two-level
    bootstrap interval excludes zero on at least two seeds (stats.seed_image_bootstrap)."""
    if reference.empty:
        return "missing"
    ours, theirs = hit_matrix(runs), hit_matrix(reference)
    ours, theirs = ours.align(theirs, join="inner", axis=1)
    return stats.seed_image_bootstrap(ours.to_numpy() - theirs.to_numpy()[:1])["verdict"]


def condition_label(condition: str, method=None, architecture=None, loss=None) -> str:
    if condition == "run":
        return f"{ARCHITECTURES[architecture].label}, {LOSSES[loss].label}"
    if condition == "baseline":
        return baselines.METHODS[method].label
    return CONDITIONS[condition]


TABLE_COLUMNS = ["recogniser", "label", "condition", "obfuscation", "strength", "method", "architecture",
                 "loss", "split", "n_seeds", "n_probes", "top1", "top1_ci_low", "top1_ci_high",
                 "top5", "top5_ci_low", "top5_ci_high", "top1_vs_obfuscated",
                 "top1_vs_trained_on_obfuscated", "test_psnr", "test_ssim", "status"]


def recognition_table(per_probe: pd.DataFrame, runs: pd.DataFrame, input_scores: pd.DataFrame,
                      profile) -> pd.DataFrame:
    """One row per condition at the profile's strength (runs: per architecture x loss x split,
    over seeds): top-1 and top-5 accuracy with intervals, and the condition's mean test PSNR and
    SSIM (all test faces) from the runs and baselines; every configuration of the grid without
    a scored run as 'missing'."""
    chosen = per_probe["obfuscation"].map(
        lambda o: profile_strength(profile, o) if isinstance(o, str) else None)
    at_strength = per_probe[(per_probe["condition"] == "original")
                            | (per_probe["strength"] == chosen)]
    fields = ["condition", "obfuscation", "strength", "method", "architecture", "loss", "split"]
    rows = []
    for values, group in at_strength.groupby(fields, dropna=False, sort=False):
        cell = dict(zip(fields, values))
        cell = {k: (None if pd.isna(v) else v) for k, v in cell.items()}
        row = {"label": condition_label(cell["condition"], cell["method"], cell["architecture"],
                                        cell["loss"]), **cell, **accuracy(group)}
        if cell["condition"] == "run":
            for reference in ("obfuscated", "trained_on_obfuscated"):
                row[f"top1_vs_{reference}"] = verdict_against(group, select(
                    at_strength, condition=reference, obfuscation=cell["obfuscation"]))
            done = select(finished(runs, split=cell["split"]), architecture=cell["architecture"],
                          loss=cell["loss"], obfuscation=cell["obfuscation"])
            row.update({f"test_{m}": done[f"test_{m}"].mean() for m in MEASURE_NAMES})
        elif cell["condition"] in ("baseline", "obfuscated"):
            method = cell["method"] or "input"
            scores = select(input_scores, obfuscation=cell["obfuscation"], method=method,
                            subset="test")
            row.update({f"test_{m}": scores[m].mean() if m in scores else np.nan
                        for m in MEASURE_NAMES})
        rows.append({**row, "status": "finished"})
    rows += missing_configurations(at_strength, runs, profile)
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    order = {name: i for i, name in enumerate(CONDITIONS)}
    return table.sort_values(["obfuscation", "condition", "architecture", "loss"],
                             key=lambda c: c.map(order) if c.name == "condition" else c,
                             na_position="first", kind="stable").reset_index(drop=True)


FIELDS = ["architecture", "loss", "obfuscation", "split"]


def missing_configurations(scored: pd.DataFrame, runs: pd.DataFrame, profile) -> list[dict]:
    """A row for every architecture x loss x obfuscation x split of the profile's grid that no
    scored run stands for: status 'retrain' where a run of it finished but its test faces for
    this recogniser are not kept here (nor its weights), 'missing' where none finished."""
    if runs.empty:
        return []
    have = set(map(tuple, select(scored, condition="run")[FIELDS].to_numpy()))
    trained = set(map(tuple, finished(runs, split=None)[FIELDS].to_numpy()))
    wanted = dict.fromkeys((r.architecture, r.loss, r.obfuscation, r.split)
                           for r in grid(profile))
    return [{"label": condition_label("run", architecture=a, loss=l), "condition": "run",
             "obfuscation": o, "architecture": a, "loss": l, "split": s, "n_seeds": 0,
             "status": RETRAIN if (a, l, o, s) in trained else "missing"}
            for a, l, o, s in wanted if (a, l, o, s) not in have]


def strengths_table(per_probe: pd.DataFrame, profile) -> pd.DataFrame:
    """Per obfuscation and candidate strength (the privacy table): top-1 and top-5 accuracy on
    obfuscated probes by the original gallery's recogniser and by the one trained on the gallery
    obfuscated alike, with intervals (one recogniser's rows)."""
    rows = []
    for (obfuscation, strength), group in select(
            per_probe, condition=["obfuscated", "trained_on_obfuscated"]).groupby(
            ["obfuscation", "strength"], sort=False):
        row = {"obfuscation": obfuscation, "strength": strength,
               "profile_strength": strength == profile_strength(profile, obfuscation)}
        for condition, part in group.groupby("condition"):
            prefix = "" if condition == "obfuscated" else "trained_on_obfuscated_"
            row.update({f"{prefix}{k}": v for k, v in accuracy(part).items()
                        if k.startswith("top")})
        rows.append(row)
    return pd.DataFrame(rows)


def unscored(per_probe: pd.DataFrame, runs: pd.DataFrame, store: RunStore) -> list[str]:
    """The finished runs that recognise could score but no recorded rank stands for (trained
    since it last ran): their test faces are kept here for some recogniser."""
    scored = set(select(per_probe, condition="run")["key"])
    return [key for key in finished(runs, split=None)["key"]
            if key not in scored and kept_features(store.folder(key))]


def write_recognition(profile: Profile, results_root, figures_root, runs: pd.DataFrame) -> dict:
    """From the recorded ranks, writes results/<profile>/recognition.csv,
    recognition_strengths.csv and the figure figures/<profile>/recognition_vs_psnr; returns the
    tables, the figure's paths, the text and the finished runs not scored yet."""
    profile_name = profile.name
    results = Path(results_root) / profile_name
    per_probe, _ = stored_per_probe(results / RECORDS)
    waiting = unscored(per_probe, runs, RunStore(Path(results_root), profile))
    protocol_path = results / "recognition_protocol.csv"
    if per_probe.empty or not protocol_path.exists():
        return {"table": pd.DataFrame(), "strengths": pd.DataFrame(), "figures": [],
                "text": recognition_text(pd.DataFrame(), None, None),
                "unscored": waiting}
    protocol = pd.read_csv(protocol_path)
    scores = baselines.per_image_scores(results_root, profile_name)
    names = [name for name in RECOGNISERS if name in set(per_probe["recogniser"])]
    table = pd.concat([recognition_table(select(per_probe, recogniser=name), runs, scores,
                                         profile).assign(recogniser=name) for name in names],
                      ignore_index=True)
    strengths = pd.concat([strengths_table(select(per_probe, recogniser=name), profile).assign(
        recogniser=name) for name in names], ignore_index=True)
    io.write_csv(results / "recognition.csv", table)
    io.write_csv(results / "recognition_strengths.csv", strengths)
    write_printed(table, results / "tables", profile_name)
    write_privacy(strengths, results / "tables", profile_name)
    level, paths = chance(protocol), []
    for name in names:
        part = select(table, recogniser=name)
        points = part[(part["condition"] == "run") & part["top1"].notna()
                      & part["split"].eq("random")]
        paths += plots.save_in_both_widths(
            lambda width: identity_plots.recognition_vs_psnr(points, part, level, width),
            io.writable_dir(Path(figures_root) / profile_name)
            / stem_for("recognition_vs_psnr", name), plots.by_obfuscation(
                lambda runs, rows, width: identity_plots.recognition_vs_psnr(runs, rows, level,
                                                                           width), points, part))
    return {"table": table, "strengths": strengths, "figures": paths,
            "text": recognition_text(table, strengths, protocol),
            "unscored": waiting}


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The recognition table as it prints: accuracies in percent with their intervals."""
    split = table["split"].map(lambda v: " (identity split)" if v == "identity" else "")
    return pd.DataFrame({
        "Recogniser": table["recogniser"].map(lambda r: RECOGNISERS[r].label),
        "Faces": table["label"].str.replace(" (no model)", "", regex=False) + split,
        "Obfuscation": table["obfuscation"].map(
            lambda o: OBFUSCATIONS[o].label if isinstance(o, str) else "none"),
        "Seeds scored": table["n_seeds"],
        "Top-1 (%)": [percent_cell(r, "", 1) for _, r in table.iterrows()],
        "Top-5 (%)": [percent_cell(r, "", 5) for _, r in table.iterrows()],
        f"Test {MEASURES['psnr'].heading}, all seeds": table["test_psnr"].map(
            lambda v: "" if pd.isna(v) else f"{v:.{MEASURES['psnr'].digits}f}"),
        "vs obf.": table["top1_vs_obfuscated"].fillna(""),
        "vs trained": table["top1_vs_trained_on_obfuscated"].fillna("")})


def printed_tables(table: pd.DataFrame, scored_only: bool = False) -> dict[str, pd.DataFrame]:
    """The printed recognition table of each recogniser (name -> table, without the recogniser
    column); with scored_only, only its scored rows (the text counts the others)."""
    if scored_only:
        table = table[table["status"] == "finished"]
    return {name: printed(select(table, recogniser=name).reset_index(drop=True)).drop(
                columns="Recogniser") for name in dict.fromkeys(table["recogniser"])}


def percent_cell(row, prefix: str, k: int) -> str:
    """'54 [38, 69]': a top-k accuracy in percent with its 95% interval; 'retrain' for a
    trained configuration that could not be scored (its faces are not kept), else 'not
    trained'."""
    value = row.get(f"{prefix}top{k}")
    if pd.isna(value):
        return RETRAIN if row.get("status") == RETRAIN else NOT_TRAINED
    return (f"{100 * value:.0f} [{100 * row[f'{prefix}top{k}_ci_low']:.0f}, "
            f"{100 * row[f'{prefix}top{k}_ci_high']:.0f}]")


def privacy_printed(strengths: pd.DataFrame) -> pd.DataFrame:
    """The privacy table as it prints: per recogniser, obfuscation and strength, top-1 and
    top-5 on the obfuscated probes by a recogniser of originals and by one trained alike."""
    rows = [r for _, r in strengths.iterrows()]
    return pd.DataFrame({
        "Recogniser": [RECOGNISERS[r["recogniser"]].label for r in rows],
        "Obfuscation": [OBFUSCATIONS[r["obfuscation"]].label for r in rows],
        "Strength": [f"{r['strength']}{' *' if r['profile_strength'] else ''}" for r in rows],
        "Top-1 (%)": [percent_cell(r, "", 1) for r in rows],
        "Top-5 (%)": [percent_cell(r, "", 5) for r in rows],
        "Trained alike, top-1 (%)": [percent_cell(r, "trained_on_obfuscated_", 1) for r in rows],
        "Trained alike, top-5 (%)": [percent_cell(r, "trained_on_obfuscated_", 5) for r in rows]})


def write_privacy(strengths: pd.DataFrame, folder: Path, profile_name: str) -> None:
    caption = (f"Privacy: obfuscated test faces named by each recogniser at every calibration "
               f"strength ({profile_name} profile; * the profile's strength). Top-k in percent with a "
               f"95% bootstrap interval over faces; trained alike: a recogniser trained on gallery "
               f"faces obfuscated at the same strength (McPherson et al., 2016)")
    write_table(privacy_printed(strengths), caption, folder, "recognition_privacy")


def write_printed(table: pd.DataFrame, folder: Path, profile_name: str) -> None:
    """tables/recognition.{md,tex} (eigenfaces, the table's old name) and recognition_<name>
    for every other recogniser: one table each, so that each fits the page."""
    for name, shown in printed_tables(table).items():
        caption = (f"Face recognition by {RECOGNISERS[name].label} on original, obfuscated and "
                   f"reconstructed test faces ({profile_name} profile). Top-k: the true person among "
                   f"the recogniser's first k, mean over the seeds scored with a 95% bootstrap "
                   f"interval drawing seeds, then faces; test PSNR: mean over all test faces "
                   f"and all the grid's finished seeds (as in every table); vs obf., vs "
                   f"trained: the paired difference in top-1 against the obfuscated faces and "
                   f"against a recogniser trained on obfuscated faces, resolved with at least two "
                   f"seeds; retrain: trained, but its test faces for this recogniser are not kept "
                   f"here (it needs a retrain); not trained: no run yet")
        write_table(shown, caption, folder, stem_for("recognition", name))


def stem_for(base: str, name: str) -> str:
    """A recogniser's file name: eigenfaces keeps the name files had before there were two."""
    return base if name == "eigenfaces" else f"{base}_{name}"


def write_table(shown: pd.DataFrame, caption: str, folder: Path, name: str) -> None:
    """tables/<name>.md and .tex of a printed table (in LaTeX, intervals under their means)."""
    io.write_text(io.writable_dir(folder) / f"{name}.md",
                  f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    io.write_text(folder / f"{name}.tex", latex.table_tex(shown.map(latex.stacked), caption, name))
