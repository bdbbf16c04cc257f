"""Face recognition's tables, verdicts, figure and text, from the ranks recognition/recognise.py
computes: accuracy per condition with seed-aware intervals, each network configuration's paired
verdict against the obfuscated faces and against a recogniser trained on them, the strengths
that still leak identity, and results/<profile>/recognition.csv, recognition_strengths.csv,
tables/recognition.{md,tex} and figures/<profile>/recognition_vs_psnr.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import MEASURES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io, stats
from ..data import baselines
from ..experiment.config import Profile
from ..recognition.protocol import CONDITIONS, TOP_K, profile_strength
from ..recognition.recognise import recognise
from ..training.runs import finished, grid, select
from . import latex, plots, result_plots


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


TABLE_COLUMNS = ["label", "condition", "obfuscation", "strength", "method", "architecture",
                 "loss", "split", "n_seeds", "n_probes", "top1", "top1_ci_low", "top1_ci_high",
                 "top5", "top5_ci_low", "top5_ci_high", "top1_vs_obfuscated",
                 "top1_vs_trained_on_obfuscated", "test_psnr", "test_ssim", "status"]


def recognition_table(per_probe: pd.DataFrame, runs: pd.DataFrame, input_scores: pd.DataFrame,
                      profile_settings) -> pd.DataFrame:
    """One row per condition at the profile's strength (runs: per architecture x loss x split,
    over seeds): top-1 and top-5 accuracy with intervals, and the condition's mean test PSNR and
    SSIM (all test faces) from the runs and baselines; every configuration of the grid without
    a scored run as 'missing'."""
    chosen = per_probe["obfuscation"].map(
        lambda o: profile_strength(profile_settings, o) if isinstance(o, str) else None)
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
            row["test_psnr"], row["test_ssim"] = done["test_psnr"].mean(), done["test_ssim"].mean()
        elif cell["condition"] in ("baseline", "obfuscated"):
            method = cell["method"] or "input"
            scores = select(input_scores, obfuscation=cell["obfuscation"], method=method,
                            subset="test")
            row["test_psnr"], row["test_ssim"] = scores["psnr"].mean(), scores["ssim"].mean()
        rows.append({**row, "status": "finished"})
    rows += missing_configurations(at_strength, runs, profile_settings)
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    order = {name: i for i, name in enumerate(CONDITIONS)}
    return table.sort_values(["obfuscation", "condition", "architecture", "loss"],
                             key=lambda c: c.map(order) if c.name == "condition" else c,
                             na_position="first", kind="stable").reset_index(drop=True)


def missing_configurations(scored: pd.DataFrame, runs: pd.DataFrame, profile) -> list[dict]:
    """A row with status 'missing' for every architecture x loss x obfuscation x split of the
    profile's grid that no scored run stands for (not trained yet, or trained before runs kept
    their test faces and without weights here)."""
    if runs.empty:
        return []
    have = set(map(tuple, select(scored, condition="run")[
        ["architecture", "loss", "obfuscation", "split"]].to_numpy()))
    wanted = dict.fromkeys((r.architecture, r.loss, r.obfuscation, r.split)
                           for r in grid(profile))
    return [{"label": condition_label("run", architecture=a, loss=l), "condition": "run",
             "obfuscation": o, "architecture": a, "loss": l, "split": s, "n_seeds": 0,
             "status": "missing"} for a, l, o, s in wanted if (a, l, o, s) not in have]


def strengths_table(per_probe: pd.DataFrame, profile) -> pd.DataFrame:
    """Per obfuscation and candidate strength: top-1 accuracy on obfuscated probes by the
    original gallery's recogniser and by the one trained on the gallery obfuscated alike."""
    rows = []
    for (obfuscation, strength), group in select(
            per_probe, condition=["obfuscated", "trained_on_obfuscated"]).groupby(
            ["obfuscation", "strength"], sort=False):
        row = {"obfuscation": obfuscation, "strength": strength,
               "profile_strength": strength == profile_strength(profile, obfuscation)}
        for condition, part in group.groupby("condition"):
            prefix = "" if condition == "obfuscated" else "trained_on_obfuscated_"
            row.update({f"{prefix}{k}": v for k, v in accuracy(part).items()
                        if k.startswith("top1")})
        rows.append(row)
    return pd.DataFrame(rows)


def chance(protocol: pd.DataFrame) -> float:
    """Top-1 accuracy of guessing uniformly among the gallery's people."""
    return 1 / protocol["person"].nunique() if len(protocol) else np.nan


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def with_interval(row, k: int = 1) -> str:
    return (f"{percent(row[f'top{k}'])} (95% interval {percent(row[f'top{k}_ci_low'])}–"
            f"{percent(row[f'top{k}_ci_high'])})")


def recognition_text(table: pd.DataFrame, strengths: pd.DataFrame,
                     protocol: pd.DataFrame) -> str:
    """What the recognition results show, in Markdown, from the numbers."""
    if table.empty:
        return "Recognition: missing (no stored results and no LFW to compute them)."
    n_people, n_probes = protocol["person"].nunique(), (protocol["role"] == "probe").sum()
    original = select(table, condition="original").iloc[0]
    lines = [f"The recogniser (eigenfaces + SVM) knows {n_people} people from "
             f"{(protocol['role'] == 'gallery').sum()} gallery images, none of them an image any "
             f"network trained, validated or was tested on; it is asked to name {n_probes} test "
             f"faces. On the original faces it names the right person first for "
             f"{with_interval(original)} and among its first five for "
             f"{percent(original['top5'])}; guessing would name {percent(chance(protocol))}."]
    for obfuscation in OBFUSCATIONS:
        part = select(table, obfuscation=obfuscation)
        if part.empty:
            continue
        hidden = select(part, condition="obfuscated").iloc[0]
        trained = select(part, condition="trained_on_obfuscated").iloc[0]
        text = (f"**{OBFUSCATIONS[obfuscation].label} faces** ({hidden['strength']}, the "
                f"profile's strength): {with_interval(hidden)} by the same recogniser, "
                f"{with_interval(trained)} by one trained on {OBFUSCATIONS[obfuscation].label.lower()}"
                f" gallery faces.")
        nets = select(part, condition="run").dropna(subset=["top1"])
        if len(nets):
            best = nets.loc[nets["top1"].idxmax()]
            seeds = f"{best['n_seeds']} seed{'s' if best['n_seeds'] > 1 else ''}"
            text += (f" The best reconstruction ({best['label']}, {best['split']} split, "
                     f"{seeds}) is named right for {with_interval(best)}. Against the obfuscated "
                     f"faces, of {len(nets)} network configurations "
                     + verdict_counts(nets["top1_vs_obfuscated"]) + "; against the recogniser "
                     "trained on obfuscated faces, " + verdict_counts(
                         nets["top1_vs_trained_on_obfuscated"]) + " (paired over seeds and "
                     "faces; resolved only with at least two seeds).")
        missing = (select(part, condition="run")["status"] == "missing").sum()
        if missing:
            text += (f" {missing} network configuration{'s' if missing > 1 else ''} of the grid "
                     "have no recognition yet (missing).")
        lines.append(text + psnr_relation(table, obfuscation))
    lines.append("**Which strengths leak identity** to a recogniser trained on faces obfuscated "
                 "alike (the lower end of its 95% interval above chance): "
                 + "; ".join(leaking_strengths(strengths, chance(protocol), o)
                             for o in dict.fromkeys(strengths["obfuscation"])) + ".")
    return "\n\n".join(lines)


def run_accuracy(per_probe: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Top-1 accuracy of every scored run with its fields and test PSNR (the figure's points)."""
    scored = select(per_probe, condition="run")
    top1 = scored.assign(hit=scored["rank"] <= 1).groupby("key")["hit"].mean().rename("top1")
    return runs.merge(top1, left_on="key", right_index=True)


def verdict_counts(verdicts: pd.Series) -> str:
    """'2 higher, 1 lower, 16 not resolved, 3 on one seed' (on one seed: nothing to resolve)."""
    counts = verdicts.value_counts()
    said = {"one seed": "on one seed"}
    return ", ".join(f"{counts[v]} {said.get(v, v)}" for v in
                     ("higher", "lower", "not resolved", "one seed", "missing") if v in counts)


def leaking_strengths(strengths: pd.DataFrame, chance_level: float, obfuscation: str) -> str:
    tried = select(strengths, obfuscation=obfuscation)
    leaking = tried[tried["trained_on_obfuscated_top1_ci_low"] > chance_level]["strength"]
    label = OBFUSCATIONS[obfuscation].label.lower()
    if len(leaking) == len(tried):
        return (f"{label}: every strength tried ({len(tried)}, from {tried['strength'].iloc[0]} "
                f"to {tried['strength'].iloc[-1]})")
    return f"{label}: {' / '.join(leaking) or 'none'} of {' / '.join(tried['strength'])}"


def psnr_relation(table: pd.DataFrame, obfuscation: str) -> str:
    """Whether runs with better test PSNR are recognised more often (Spearman, one point per
    network configuration)."""
    from scipy.stats import spearmanr

    nets = select(table, condition="run", obfuscation=obfuscation).dropna(
        subset=["top1", "test_psnr"])
    if len(nets) < 4:
        return ""
    if nets["top1"].nunique() < 2 or nets["test_psnr"].nunique() < 2:
        return (f" Across the {len(nets)} network configurations, top-1 accuracy or test PSNR "
                "does not vary: no relation to measure.")
    rho, p = spearmanr(nets["test_psnr"], nets["top1"])
    return (f" Across the {len(nets)} network configurations, top-1 accuracy and test PSNR have "
            f"Spearman ρ = {rho:.2f} (p = {p:.2g}).")


def write_recognition(profile: Profile, results_root, figures_root, runs: pd.DataFrame,
                      data_home=None, force: bool = False) -> dict:
    """Computes what is missing (recognise), writes results/<profile>/recognition.csv,
    recognition_strengths.csv and the figure figures/<profile>/recognition_vs_psnr; returns the
    tables, the figure's paths and the text."""
    profile_name = profile.name
    results = Path(results_root) / profile_name
    per_probe = recognise(profile, results_root, data_home, force)
    protocol_path = results / "recognition_protocol.csv"
    if per_probe.empty or not protocol_path.exists():
        return {"table": pd.DataFrame(), "strengths": pd.DataFrame(), "figures": [],
                "text": recognition_text(pd.DataFrame(), None, None)}
    protocol = pd.read_csv(protocol_path)
    table = recognition_table(per_probe, runs, baselines.per_image_scores(results_root,
                                                                          profile_name), profile)
    strengths = strengths_table(per_probe, profile)
    io.write_csv(results / "recognition.csv", table)
    io.write_csv(results / "recognition_strengths.csv", strengths)
    write_printed(table, results / "tables", profile_name)
    points, level = run_accuracy(per_probe, runs), chance(protocol)
    paths = plots.save_in_both_widths(
        lambda width: result_plots.recognition_vs_psnr(points, table, level, width),
        io.writable_dir(Path(figures_root) / profile_name) / "recognition_vs_psnr")
    return {"table": table, "strengths": strengths, "figures": paths,
            "text": recognition_text(table, strengths, protocol)}


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The recognition table as it prints: accuracies in percent with their intervals."""
    def cell(row, k):
        if pd.isna(row.get(f"top{k}")):
            return "missing"
        return (f"{100 * row[f'top{k}']:.0f} [{100 * row[f'top{k}_ci_low']:.0f}, "
                f"{100 * row[f'top{k}_ci_high']:.0f}]")

    split = table["split"].map(lambda v: " (identity split)" if v == "identity" else "")
    return pd.DataFrame({
        "Faces": table["label"].str.replace(" (no model)", "", regex=False) + split,
        "Obfuscation": table["obfuscation"].map(
            lambda o: OBFUSCATIONS[o].label if isinstance(o, str) else "none"),
        "n": table["n_seeds"],
        "Top-1 (%)": [cell(r, 1) for _, r in table.iterrows()],
        "Top-5 (%)": [cell(r, 5) for _, r in table.iterrows()],
        MEASURES["psnr"].heading: table["test_psnr"].map(
            lambda v: "" if pd.isna(v) else f"{v:.{MEASURES['psnr'].digits}f}"),
        "vs obf.": table["top1_vs_obfuscated"].fillna(""),
        "vs trained": table["top1_vs_trained_on_obfuscated"].fillna("")})


def write_printed(table: pd.DataFrame, folder: Path, profile: str) -> None:
    caption = (f"Face recognition (eigenfaces + SVM) on original, obfuscated and reconstructed "
               f"test faces ({profile} profile). Top-k: the true person among the recogniser's "
               f"first k, mean over seeds (n) with a 95% bootstrap interval drawing seeds, then "
               f"faces; PSNR: mean over all test faces; vs obf., vs trained: the paired "
               f"difference in top-1 against the obfuscated faces and against a recogniser "
               f"trained on obfuscated faces, resolved with at least two seeds")
    shown = printed(table)
    io.write_text(io.writable_dir(folder) / "recognition.md",
                  f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    io.write_text(folder / "recognition.tex", latex.table_tex(shown, caption, "recognition"))


def stored_text(results: Path) -> str:
    """recognition_text from the CSVs that write_recognition wrote (e.g. for the README)."""
    names = ("recognition.csv", "recognition_strengths.csv", "recognition_protocol.csv")
    if not all((results / name).exists() for name in names):
        return "Recognition: missing (`python -m facerecon recognise` where LFW is)."
    return recognition_text(*(pd.read_csv(results / name) for name in names))
