"""How the tables print: cells as 'mean ± sd [interval]*', the best mean in bold, missing runs as
'missing', and each table written as CSV (numbers; empty = missing), Markdown and LaTeX."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import (MEASURE_NAMES, MEASURES, TABLE_MEASURES, measure_of, run_columns,
                             test_columns)
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from . import latex
from .evidence import WITHIN_SEED_RANGE, WITHIN_SEED_RANGE_MARK
from .tables import Table

LEGEND = ("Mean ± standard deviation over seeds (n: seeds) and, for test metrics, a 95% "
          "bootstrap interval over test images; n = 1 shows the mean alone. *: resolved against "
          "L2 (the 95% bootstrap interval of the paired difference, drawing seeds and then "
          f"images, excludes zero; needs at least two seeds); *{WITHIN_SEED_RANGE_MARK}: "
          f"resolved but {WITHIN_SEED_RANGE} (smaller than the larger of the two "
          "configurations' spread of per-seed means). Bold: the "
          "best network mean. ID distance: dlib's face-descriptor distance to the original "
          "(lower: closer; under 0.6 dlib calls it the same person). retrain: the runs were "
          "trained before the measure was recorded and need a retrain. Rows under the rule (LaTeX): "
          "the non-learned baselines (no model).")


RETRAIN = "retrain"  # a trained run that did not record this measure (it predates it)
NOT_TRAINED = "not trained"  # a run, or a configuration of the grid, with no finished run


def metric_cell(row, m: str) -> str:
    """'mean ± sd [CI]' for several seeds, the mean alone for one seed (the table's n column
    says n = 1: an interval over images would hide the seed-to-seed spread it cannot see),
    'mean [CI]' for a deterministic baseline; a star marks a difference from L2 resolved over
    seeds and images, a dagger after it one within its seed range."""
    if pd.isna(row[m]):
        return RETRAIN if row.get("status") == "finished" else "missing"
    digits = digits_of(m)
    text = f"{row[m]:.{digits}f}"
    several = row.get("kind") == "model" and row.get("n_seeds", 0) >= 2
    if several:
        text += f" ± {row[f'{m}_sd']:.{digits}f}"
    if m in test_columns() and (several or row.get("kind") == "baseline"):
        text += f" [{row[f'{m}_ci_low']:.{digits}f}, {row[f'{m}_ci_high']:.{digits}f}]"
    if row.get(f"{m}_vs_l2") in ("higher", "lower"):
        text += "*" + (WITHIN_SEED_RANGE_MARK if row.get(f"{m}_vs_l2_within_seed_range") else "")
    return text


def formatted(table: pd.DataFrame, bold: str) -> pd.DataFrame:
    """Metric cells as text (see metric_cell), 'missing' for no value, the best mean wrapped in
    `bold` (a format string), and the number of seeds."""
    shown = table[["row"]].copy()
    for m in run_columns():
        shown[metric_label(m)] = [
            bold.format(metric_cell(row, m)) if m in str(row.get("best_in", "")).split(";")
            else metric_cell(row, m) for _, row in table.iterrows()]
    shown["n"] = ["" if row.get("kind") != "model"
                  else str(int(row["n_seeds"]) if pd.notna(row.get("n_seeds")) else 0)
                  for _, row in table.iterrows()]
    return shown.rename(columns={"row": ""})


def number(value, digits: int) -> str:
    return "" if pd.isna(value) else f"{value:.{digits}f}"


def p_value(value) -> str:
    return "" if pd.isna(value) else "<0.001" if value < 0.001 else f"{value:.3f}"


def digits_of(metric: str) -> int:
    return measure_of(metric).digits


def metric_label(column: str) -> str:
    """'Test PSNR (dB)' for test_psnr, 'Train SSIM' for train_ssim."""
    subset, measure = column.rsplit("_", 1)
    return f"{subset.capitalize()} {TABLE_MEASURES[measure].heading}"


def labels(column: pd.Series, registry) -> pd.Series:
    return column.map(lambda name: registry[name].label if name in registry else name)


VERDICT_ORDER = ("higher", "lower", "not resolved", "one seed")


def significance_printed(frame: pd.DataFrame, resolved_first: bool = False) -> pd.DataFrame:
    """significance_vs_l2 with readable headers and names, each difference with its interval;
    resolved_first:
    the resolved differences first (a notebook shows a long table's head)."""
    if resolved_first:
        frame = frame.sort_values("verdict", kind="stable", key=lambda v: v.map(
            {name: i for i, name in enumerate(VERDICT_ORDER)}))
    digits = frame["metric"].map(digits_of)
    return pd.DataFrame({
        "Architecture": labels(frame["architecture"], ARCHITECTURES),
        "Obfuscation": labels(frame["obfuscation"], OBFUSCATIONS),
        "Loss": labels(frame["loss"], LOSSES),
        "Metric": frame["metric"].map(lambda m: measure_of(m).heading),
        "n": frame["n_seeds"],
        "Loss − L2 [95% interval]": [
            f"{number(v, d)} [{number(lo, d)}, {number(hi, d)}]" if pd.notna(lo) else number(v, d)
            for v, lo, hi, d in zip(frame["difference"], frame["ci_low"], frame["ci_high"],
                                    digits)],
        "Seed range": [number(v, d) for v, d in zip(frame["seed_range"], digits)],
        "Verdict": [f"{v}{WITHIN_SEED_RANGE_MARK}" if v in ("higher", "lower") and within else v
                    for v, within in zip(frame["verdict"], frame["within_seed_range"])],
        "Wilcoxon p (Holm)": frame["p_holm"].map(p_value)})


def identity_printed(frame: pd.DataFrame) -> pd.DataFrame:
    """identity_disjoint with readable headers, one row per configuration and measure: the drops,
    the seed spread and the test (narrow enough for a page)."""
    rows = []
    for _, row in frame.iterrows():
        for metric in MEASURE_NAMES:
            d = digits_of(metric)
            rows.append({
                "Architecture": ARCHITECTURES[row["architecture"]].label,
                "Loss": LOSSES[row["loss"]].label,
                "Obfuscation": OBFUSCATIONS[row["obfuscation"]].label, "n": row["n_seeds"],
                "Measure": MEASURES[metric].heading,
                "Drop": number(row[f"drop_test_{metric}"], d),
                "Drop, seen people": number(row[f"drop_seen_people_test_{metric}"], d),
                "Seed SD": number(row[f"random_seed_sd_test_{metric}"], d),
                "p (Holm)": p_value(row[f"p_holm_{metric}"])})
    return pd.DataFrame(rows)


def sweep_printed(frame: pd.DataFrame) -> pd.DataFrame:
    """The strength sweep with readable headers; a strength not trained yet as 'missing'."""
    return pd.DataFrame({
        "Obfuscation": labels(frame["obfuscation"], OBFUSCATIONS),
        "Strength": [f"{s} *" if own else s for s, own in zip(frame["setting"],
                                                             frame["profile_strength"])],
        "Input PSNR (dB)": frame["input_test_psnr"].map(lambda v: number(v, 2)),
        "Input SSIM": frame["input_test_ssim"].map(lambda v: number(v, 4)),
        "Seeds": frame["n_seeds"].astype(int).astype(str),
        **{name: [number(v, digits_of(m)) if done == "finished" else "missing"
                  for v, done in zip(frame[m], frame["status"])]
           for name, m in ((MEASURES[n].heading, f"test_{n}") for n in MEASURE_NAMES)}})


def network_label(table: pd.DataFrame) -> str:
    """'Residual Autoencoder under L2': the network of a table's first row."""

    first = table.iloc[0]
    return f"{ARCHITECTURES[first['architecture']].label} under {LOSSES[first['loss']].label}"


def sweep_legend(frame: pd.DataFrame) -> str:
    """Which network the sweep trains, the study's number for it, and the marks."""
    study = "; ".join(
        f"{OBFUSCATIONS[o].label.lower()} {number(rows['study_test_psnr'].iloc[0], 2)} dB / "
        f"{number(rows['study_test_ssim'].iloc[0], 4)}"
        for o, rows in frame.groupby("obfuscation", sort=False)
        if rows["study_test_psnr"].notna().any())
    return (f"The network: {network_label(frame)}. Input: the obfuscated test faces. * : the "
            f"profile's strength (its runs are the grid's). "
            + (f"The study reports for this network (its strength unstated): {study}." if study
               else "The study reports no number for this network."))


PRINTED = {"significance_vs_l2": significance_printed, "identity_disjoint": identity_printed,
           "strength_sweep": sweep_printed}


def empty_text(table: Table) -> str | None:
    """The sentence that replaces a table with nothing to show (no row, or no network row
    that finished); None where the table has something."""
    frame = table.frame
    if frame.empty:
        return table.empty
    if "kind" in frame and not ((frame["kind"] == "model") & frame["test_psnr"].notna()).any():
        return "No network of this table has finished a run yet."
    return None


def write_table(table: Table, folder: Path, name: str) -> None:
    """<name>.csv (every number), .md and .tex (booktabs: latex.table_tex): comparison tables
    (model and baseline rows) print formatted cells with the best values in bold, the others
    with readable headers (PRINTED) or as they are; a table with nothing to show is one sentence.
    The comparison tables' legend (LEGEND) is in their Markdown; the report says it once."""
    frame, legend = table.frame, table.legend or LEGEND
    io.write_csv(folder / f"{name}.csv", frame)
    empty = empty_text(table)
    if empty is not None:
        io.write_text(folder / f"{name}.md", f"{table.caption}: {empty}\n")
        io.write_text(folder / f"{name}.tex", f"\\paragraph{{{latex.text(table.caption)}.}} "
                      f"{latex.text(empty)}\n")
        return
    rule = None
    if "kind" in frame:
        md_frame = formatted(frame, "**{}**")
        tex_frame = formatted(frame, latex.BOLD_OPEN + "{}" + latex.BOLD_CLOSE).map(latex.stacked)
        # The baselines under a rule, named without '(no model)', which the rule says.
        tex_frame.iloc[:, 0] = tex_frame.iloc[:, 0].str.replace(" (no model)", "", regex=False)
        baselines = (frame["kind"] == "baseline").to_numpy().nonzero()[0]
        rule = int(baselines[0]) if len(baselines) else None
    else:
        md_frame = PRINTED.get(name, lambda f: f)(frame)
        tex_frame = md_frame.map(latex.stacked)  # an interval under its value: narrower
    md = md_frame.to_markdown(index=False, floatfmt=".4g")
    io.write_text(folder / f"{name}.md", f"{table.caption}\n\n{md}\n\n{legend}\n")
    caption = table.caption if table.legend is None else f"{table.caption}. {legend}"
    io.write_text(folder / f"{name}.tex", latex.table_tex(
        tex_frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else v), caption, name, rule))


def write_tables(tables: dict[str, Table], folder: Path) -> None:
    folder = io.writable_dir(folder)
    for name, table in tables.items():
        write_table(table, folder, name)


def styled(table: pd.DataFrame):
    """A comparison table for a notebook: formatted cells, the best mean in bold by styling."""
    marks = latex.BOLD_OPEN + latex.BOLD_CLOSE
    marked = formatted(table, latex.BOLD_OPEN + "{}" + latex.BOLD_CLOSE)
    bold = marked.map(lambda cell: "font-weight: bold" if latex.BOLD_OPEN in str(cell) else "")
    return marked.map(lambda cell: str(cell).strip(marks)).style.apply(
        lambda _: bold, axis=None).hide(axis="index")


def significance_text(table: pd.DataFrame) -> str:
    """How many loss-versus-L2 differences are resolved, per metric, and on how many seeds."""
    if table.empty:
        return "No loss can be compared with L2 yet (L2 or the other loss has no finished run)."
    parts = []
    for metric, rows in table.groupby("metric", sort=False):
        counts = rows["verdict"].value_counts()
        parts.append(f"{measure_of(metric).label}: "
                     + ", ".join(f"{counts[v]} {v}" for v in VERDICT_ORDER if v in counts)
                     + f" of {len(rows)} differences (seeds per comparison: "
                     f"{rows['n_seeds'].min()}–{rows['n_seeds'].max()})")
    return "Each loss against L2 — " + "; ".join(parts) + "."
