"""How the tables print: cells as 'mean ± sd [interval]*', the best mean in bold, missing runs as
'missing', and each table written as CSV (numbers; empty = missing), Markdown and LaTeX."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import io
from .runs import METRICS, TEST_METRICS
from .tables import Table

METRIC_LABELS = {"train_psnr": "Train PSNR", "train_ssim": "Train SSIM",
                 "test_psnr": "Test PSNR", "test_ssim": "Test SSIM"}
LEGEND = ("Mean ± standard deviation over seeds (n: seeds) and, for test metrics, a 95% "
          "bootstrap interval over test images; n = 1 shows the mean alone. * : differs from L2 "
          "beyond training and image noise (95% bootstrap interval of the paired difference, "
          "drawing seeds and then images, excludes zero; needs at least two seeds). Bold: best "
          "mean.")


def metric_cell(row, m: str) -> str:
    """'mean ± sd [CI]' for several seeds, the mean alone for one seed (the table's n column
    says n = 1: an interval over images would hide the seed-to-seed spread it cannot see),
    'mean [CI]' for a deterministic baseline; a star marks a difference from L2 resolved over
    seeds and images."""
    if pd.isna(row[m]):
        return "missing"
    digits = 2 if "psnr" in m else 4
    text = f"{row[m]:.{digits}f}"
    several = row.get("kind") == "model" and row.get("n_seeds", 0) >= 2
    if several:
        text += f" ± {row[f'{m}_sd']:.{digits}f}"
    if m in TEST_METRICS and (several or row.get("kind") == "baseline"):
        text += f" [{row[f'{m}_ci_low']:.{digits}f}, {row[f'{m}_ci_high']:.{digits}f}]"
    if row.get(f"{m}_vs_l2") in ("higher", "lower"):
        text += "*"
    return text


def formatted(table: pd.DataFrame, bold: str) -> pd.DataFrame:
    """Metric cells as text (see metric_cell), 'missing' for no value, the best mean wrapped in
    `bold` (a format string), and the number of seeds."""
    shown = table[["row"]].copy()
    for m in METRICS:
        shown[METRIC_LABELS[m]] = [
            bold.format(metric_cell(row, m)) if m in str(row.get("best_in", "")).split(";")
            else metric_cell(row, m) for _, row in table.iterrows()]
    shown["n"] = ["" if row.get("kind") != "model"
                  else str(int(row["n_seeds"]) if pd.notna(row.get("n_seeds")) else 0)
                  for _, row in table.iterrows()]
    return shown.rename(columns={"row": ""})


LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def latex_text(text: str) -> str:
    """Text with LaTeX's special characters escaped (an unescaped % comments out the rest of its
    line)."""
    return "".join(LATEX_SPECIALS.get(char, char) for char in str(text))


def write_table(table: Table, folder: Path, name: str) -> None:
    """<name>.csv, .md and .tex (booktabs) in folder; comparison tables (model and baseline
    rows) print formatted cells with the best values in bold, other tables print as they are."""
    frame, legend = table.frame, table.legend or LEGEND
    io.write_csv(folder / f"{name}.csv", frame)
    plain = "kind" not in frame
    bold_md = frame if plain else formatted(frame, "**{}**")
    bold_tex = frame if plain else formatted(frame, r"\textbf{{{}}}").assign(
        **{"": lambda shown: shown[""].map(latex_text)})
    md = bold_md.to_markdown(index=False, floatfmt=".4g")
    io.write_text(folder / f"{name}.md", f"{table.caption}\n\n{md}\n\n{legend}\n")
    latex = bold_tex.to_latex(index=False, escape=plain,
                              caption=latex_text(f"{table.caption} {legend}"),
                              label=f"tab:{name}", float_format="%.4g")
    io.write_text(folder / f"{name}.tex", latex)


def write_tables(tables: dict[str, Table], folder: Path) -> None:
    folder = io.writable_dir(folder)
    for name, table in tables.items():
        write_table(table, folder, name)
