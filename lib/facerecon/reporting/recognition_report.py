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
from ..recognition.protocol import CONDITIONS, RECOGNISERS, TOP_K, profile_strength
from ..recognition.recognise import recognise
from ..training.runs import finished, grid, select
from . import latex, plots, result_plots
from .formatting import NOT_TRAINED, RETRAIN


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
    """What the recognition results show, in Markdown, from the numbers: one part per
    recogniser (the tables' `recogniser` column)."""
    if table.empty:
        return "Recognition: missing (no stored results and no LFW to compute them)."
    return "\n\n".join(recogniser_text(name, select(table, recogniser=name),
                                       select(strengths, recogniser=name), protocol)
                        for name in RECOGNISERS if name in set(table["recogniser"]))


def gallery_size(protocol: pd.DataFrame, name: str) -> int:
    gallery = select(protocol, role="gallery")
    return len(gallery.groupby("person", sort=False).head(RECOGNISERS[name].max_gallery))


def recogniser_text(name: str, table: pd.DataFrame, strengths: pd.DataFrame,
                    protocol: pd.DataFrame) -> str:
    n_people, n_probes = protocol["person"].nunique(), (protocol["role"] == "probe").sum()
    original = select(table, condition="original").iloc[0]
    lines = [f"#### {RECOGNISERS[name].label}\n\nThe recogniser ({RECOGNISERS[name].label}) "
             f"knows {n_people} people from "
             f"{gallery_size(protocol, name)} gallery images, none of them an image any "
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
        text += networks_text(select(part, condition="run").dropna(subset=["top1"]), hidden,
                              trained)
        status = select(part, condition="run")["status"]
        retrain, missing = (status == RETRAIN).sum(), (status == "missing").sum()
        if retrain:
            text += (f" {retrain} trained network configuration{'s' if retrain > 1 else ''} "
                     "cannot be scored here: their test faces are not kept, so they need a "
                     "retrain ('retrain' in the tables).")
        if missing:
            text += (f" {missing} network configuration{'s' if missing > 1 else ''} of the grid "
                     f"{'are' if missing > 1 else 'is'} not trained yet ('not trained').")
        lines.append(text + psnr_relation(table, obfuscation))
    lines.append(privacy_text(strengths, protocol, name))
    return "\n\n".join(lines)


def networks_text(nets: pd.DataFrame, hidden, trained) -> str:
    """What the scored network configurations' reconstructions show for one obfuscation: the
    best one's top-1, and how many are named right more and less often than the obfuscated
    faces and than by the recogniser trained on them, with the paired verdicts' counts (a
    point estimate on one seed resolves nothing). Nothing where no configuration is scored."""
    if nets.empty:
        return ""
    best = nets.loc[nets["top1"].idxmax()]
    seeds = f"{best['n_seeds']} seed{'s' if best['n_seeds'] > 1 else ''}"
    return (f" The best reconstruction ({best['label']}, {best['split']} split, {seeds}) is named "
            f"right for {with_interval(best)}. Reconstructions are named right "
            + more_or_less(nets["top1"], hidden["top1"], "the obfuscated faces",
                           f" of the {len(nets)} scored network configuration"
                           f"{'s' if len(nets) > 1 else ''}")
            + " (point estimates; paired verdicts: " + verdict_counts(nets["top1_vs_obfuscated"])
            + "); " + more_or_less(nets["top1"], trained["top1"],
                                   "the obfuscated faces by a recogniser trained on them")
            + " (paired verdicts: " + verdict_counts(nets["top1_vs_trained_on_obfuscated"])
            + "; paired over seeds and faces, resolved only with at least two seeds).")


def more_or_less(top1: pd.Series, reference: float, what: str, of: str = "") -> str:
    """'more often than <what> (47%) for 6<of>, less often for 2 and as often for 1': how many
    configurations' top-1 lies above and below a reference's (and on it, where any does)."""
    above, below = int((top1 > reference).sum()), int((top1 < reference).sum())
    ties = len(top1) - above - below
    said = [f"more often than {what} ({percent(reference)}) for {above}{of}",
            f"less often for {below}"] + ([f"as often for {ties}"] if ties else [])
    return ", ".join(said[:-1]) + " and " + said[-1]


def privacy_text(strengths: pd.DataFrame, protocol: pd.DataFrame, name: str) -> str:
    """The privacy table of one recogniser in sentences: per obfuscation, the highest and the
    lowest top-1 on obfuscated test faces over the strengths tried, by a recogniser of originals
    and by one trained on faces obfuscated alike, and for each of the two at how many strengths
    the faces stay identifiable (its own 95% interval above chance): a claim about one
    recogniser is never carried by the other's numbers."""
    rows = select(strengths, recogniser=name)
    if rows.empty:
        return ""
    level = chance(protocol)
    parts = []
    for obfuscation in dict.fromkeys(rows["obfuscation"]):
        tried = select(rows, obfuscation=obfuscation)
        label = OBFUSCATIONS[obfuscation].label
        said = [s for s in (named_by(tried, "", "a recogniser of original faces", level),
                            named_by(tried, "trained_on_obfuscated_",
                                     f"one trained on {label.lower()} faces", level)) if s]
        if said:
            parts.append(f"{label} faces are named first " + ", and ".join(said) + ".")
    return (f"**Privacy against {RECOGNISERS[name].label}** (top-1 on obfuscated test faces, "
            f"{len(rows)} strengths; chance {percent(level)}; above chance: the lower end of the "
            f"95% interval above it). " + " ".join(parts))


def named_by(tried: pd.DataFrame, prefix: str, who: str, level: float) -> str:
    """'for 9% (block 8) down to 0% (block 18) by <who>, above chance at 1 of 7 strengths
    (block 8)': one recogniser's top-1 over the strengths it scored and at how many of them its
    95% interval lies above chance; nothing where it scored none."""
    scored = tried.dropna(subset=[f"{prefix}top1"])
    if scored.empty:
        return ""
    known = scored[scored[f"{prefix}top1_ci_low"] > level]["strength"]
    which = f" ({'; '.join(known)})" if 0 < len(known) < len(scored) else ""
    return (f"for {span(scored, f'{prefix}top1')} by {who}, above chance at {len(known)} of "
            f"{len(scored)} strength{'s' if len(scored) > 1 else ''}{which}")


def span(tried: pd.DataFrame, column: str) -> str:
    """'95% (k 9, σ 3) down to 44% (k 15, σ 5)': the highest and the lowest value of a column
    over strengths, with the strength of each."""
    high, low = tried.loc[tried[column].idxmax()], tried.loc[tried[column].idxmin()]
    return (f"{percent(high[column])} ({high['strength']}) down to {percent(low[column])} "
            f"({low['strength']})")


def verdict_counts(verdicts: pd.Series) -> str:
    """'2 higher, 1 lower, 16 not resolved, 3 on one seed' (on one seed: nothing to resolve)."""
    counts = verdicts.value_counts()
    said = {"one seed": "on one seed"}
    return ", ".join(f"{counts[v]} {said.get(v, v)}" for v in
                     ("higher", "lower", "not resolved", "one seed", "missing") if v in counts)


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
            lambda width: result_plots.recognition_vs_psnr(points, part, level, width),
            io.writable_dir(Path(figures_root) / profile_name)
            / stem_for("recognition_vs_psnr", name), plots.by_obfuscation(
                lambda runs, rows, width: result_plots.recognition_vs_psnr(runs, rows, level,
                                                                           width), points, part))
    return {"table": table, "strengths": strengths, "figures": paths,
            "text": recognition_text(table, strengths, protocol)}


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


def write_privacy(strengths: pd.DataFrame, folder: Path, profile: str) -> None:
    caption = (f"Privacy: obfuscated test faces named by each recogniser at every calibration "
               f"strength ({profile} profile; * the profile's strength). Top-k in percent with a "
               f"95% bootstrap interval over faces; trained alike: a recogniser trained on gallery "
               f"faces obfuscated at the same strength (McPherson et al., 2016)")
    write_table(privacy_printed(strengths), caption, folder, "recognition_privacy")


def write_printed(table: pd.DataFrame, folder: Path, profile: str) -> None:
    """tables/recognition.{md,tex} (eigenfaces, the table's old name) and recognition_<name>
    for every other recogniser: one table each, so that each fits the page."""
    for name, shown in printed_tables(table).items():
        caption = (f"Face recognition by {RECOGNISERS[name].label} on original, obfuscated and "
                   f"reconstructed test faces ({profile} profile). Top-k: the true person among "
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


STORED = ("recognition.csv", "recognition_strengths.csv", "recognition_protocol.csv")


def stored_text(results: Path) -> str:
    """recognition_text from the CSVs that write_recognition wrote (e.g. for the README)."""
    if not all((results / name).exists() for name in STORED):
        return "Recognition: missing (`python -m facerecon recognise` where LFW is)."
    return recognition_text(*(pd.read_csv(results / name) for name in STORED))

