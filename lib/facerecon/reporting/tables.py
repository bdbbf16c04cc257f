"""The study's tables as frames of numbers, computed from the evidence (formatting.py prints
them). Every model row is a mean over seeds with its standard deviation, a 95% bootstrap
interval over test images and the Holm-corrected test of its loss against L2; the non-learned
baselines sit under the models. A run that did not happen, failed or was interrupted is a row
with status 'missing' and no numbers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import best_of, measure_of, run_columns, test_columns
from ..axes.obfuscation import OBFUSCATIONS
from ..core import stats
from ..data.baselines import METHODS
from ..experiment.config import REFERENCE_ARCHITECTURE, REFERENCE_LOSS, STUDY_ARCHITECTURES
from ..experiment.study import finished, select
from .evidence import VERDICT_RULE, Evidence
from .split_comparison import identity_table


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    caption: str
    legend: str | None = None  # None: the legend of comparison tables (formatting.LEGEND)
    empty: str = "No finished run yet."  # what a reader is told where the table has no row


def summary_row(label: str, runs: pd.DataFrame, images: pd.DataFrame) -> dict:
    """Mean, sd and count over seeds of every metric, and the bootstrap interval over test
    images (each image's mean over seeds) of the test metrics; missing if no run finished."""
    row = {"row": label, "kind": "model"}
    for m in run_columns():
        row[m], row[f"{m}_sd"], _ = stats.seed_spread(runs[m])
    row["n_seeds"] = len(runs)
    for m in test_columns():
        per_image = stats.mean_per_image(images, m.split("_")[1]) if len(images) else []
        row[f"{m}_ci_low"], row[f"{m}_ci_high"] = stats.bootstrap_ci(per_image)
    row["status"] = "finished" if len(runs) else "missing"
    return row


def model_row(evidence: Evidence, label: str, arch: str, loss: str, obfuscation: str,
              split: str = "random") -> dict:
    cell = {"architecture": arch, "loss": loss, "obfuscation": obfuscation}
    runs = select(finished(evidence.runs, split), **cell)
    images = select(evidence.images, **cell, split=split)
    row = {**summary_row(label, runs, images), "architecture": arch, "loss": loss}
    for m in test_columns():
        match = select(evidence.significance, **cell, metric=m)
        row[f"{m}_vs_l2"] = match["verdict"].iloc[0] if len(match) else ""
        row[f"{m}_vs_l2_p_holm"] = float(match["p_holm"].iloc[0]) if len(match) else np.nan
        row[f"{m}_vs_l2_within_seed_range"] = bool(len(match)
                                                   and match["within_seed_range"].iloc[0])
    return row


def baseline_rows(evidence: Evidence, obfuscation: str) -> list[dict]:
    """The non-learned baselines of an obfuscation: deterministic, so no seeds; the interval is
    over test images."""
    rows = []
    for method in OBFUSCATIONS[obfuscation].baselines:
        scores = select(evidence.baselines, obfuscation=obfuscation, method=method)
        row = {"row": METHODS[method].label, "kind": "baseline", "architecture": method}
        for m in run_columns():
            subset, metric = m.split("_")
            part = select(scores, subset=subset).reindex(columns=[metric])[metric].dropna()
            row[m] = float(part.mean()) if len(part) else np.nan
        for m in test_columns():
            test = select(scores, subset="test").reindex(columns=[m.split("_")[1]]).iloc[:, 0]
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = stats.bootstrap_ci(test)
        row["status"] = "baseline" if len(scores) else "missing"
        rows.append(row)
    return rows


def comparison_table(rows: list[dict], evidence: Evidence, obfuscation: str) -> pd.DataFrame:
    """Model rows, then the obfuscation's baselines; best values marked."""
    return mark_best(pd.DataFrame(rows + baseline_rows(evidence, obfuscation)))


def mark_best(table: pd.DataFrame) -> pd.DataFrame:
    """Adds best_in: the metric columns in which a network's row is best among the networks
    (ties included); a baseline is never marked best."""
    models = table[table["kind"] == "model"]
    best = {m: best_of(models[m], measure_of(m)) for m in run_columns()}
    table["best_in"] = [";".join(m for m in run_columns() if row["kind"] == "model"
                                 and pd.notna(row[m]) and row[m] == best[m])
                        for _, row in table.iterrows()]
    return table


def loss_table(evidence: Evidence, loss: str, obfuscation: str) -> pd.DataFrame:
    """The study's comparison table: rows = architectures (+ the original residual autoencoder
    under L2) and the baselines; columns = train/test PSNR/SSIM."""
    archs = list(STUDY_ARCHITECTURES) + ([REFERENCE_ARCHITECTURE] if loss == REFERENCE_LOSS else [])
    rows = [model_row(evidence, ARCHITECTURES[a].label, a, loss, obfuscation) for a in archs]
    return comparison_table(rows, evidence, obfuscation)


def architecture_table(evidence: Evidence, arch: str, obfuscation: str) -> pd.DataFrame:
    """Rows = losses, for one architecture and obfuscation, with the baselines."""
    losses = [REFERENCE_LOSS] if arch == REFERENCE_ARCHITECTURE else list(LOSSES)
    rows = [model_row(evidence, LOSSES[loss].label, arch, loss, obfuscation)
            for loss in losses]
    return comparison_table(rows, evidence, obfuscation)


def best_run(evidence: Evidence, obfuscation: str) -> tuple[str, str] | None:
    """The (architecture, loss) with the highest test SSIM (mean over seeds)."""
    done = select(finished(evidence.runs), obfuscation=obfuscation)
    if done.empty:
        return None
    return done.groupby(["architecture", "loss"])["test_ssim"].mean().idxmax()


def input_vs_reconstruction_table(evidence: Evidence) -> pd.DataFrame:
    """As in the study: the obfuscated input and the best reconstruction (highest test SSIM),
    each against the original, on train and test."""
    rows = []
    for obfuscation in OBFUSCATIONS:
        row = next(r for r in baseline_rows(evidence, obfuscation) if r["architecture"] == "input")
        label = OBFUSCATIONS[obfuscation].label
        rows.append({**row, "row": f"{label}: obfuscated input"})
        best = best_run(evidence, obfuscation)
        if best is None:
            rows.append({"row": f"{label}: best reconstruction (missing)", "kind": "model",
                         **{m: np.nan for m in run_columns()}, "n_seeds": 0, "status": "missing"})
        else:
            arch, loss = best
            rows.append(model_row(evidence, f"{label}: best reconstruction "
                                  f"({ARCHITECTURES[arch].label}, {LOSSES[loss].label})",
                                  arch, loss, obfuscation))
    return pd.DataFrame(rows)


def study_tables(evidence: Evidence) -> dict[str, Table]:
    """Every table of the report, by file name."""
    profile, tables = evidence.profile, {}
    for obfuscation in OBFUSCATIONS:
        for loss in LOSSES:
            tables[f"loss_{loss}_{obfuscation}"] = Table(
                loss_table(evidence, loss, obfuscation),
                f"{LOSSES[loss].label} loss, {OBFUSCATIONS[obfuscation].label.lower()} faces "
                f"({profile} profile)")
        for arch in ARCHITECTURES:
            tables[f"architecture_{arch}_{obfuscation}"] = Table(
                architecture_table(evidence, arch, obfuscation),
                f"{ARCHITECTURES[arch].label}, {OBFUSCATIONS[obfuscation].label.lower()} faces: "
                f"losses compared ({profile} profile)")
    tables["input_vs_reconstruction"] = Table(
        input_vs_reconstruction_table(evidence),
        f"Obfuscated input and best reconstruction (the architecture and loss with the highest "
        f"test SSIM, mean over seeds) against the original ({profile} profile)")
    tables["significance_vs_l2"] = Table(
        evidence.significance,
        f"Each loss against L2, per architecture and obfuscation ({profile} profile)",
        f"Loss − L2: the difference, mean over seeds (n) and test images. {VERDICT_RULE} "
        "Secondary, a test of these trained networks rather than of the losses: Wilcoxon "
        "signed-rank on each image's mean over seeds, Holm-corrected over every row (the CSV's "
        "networks_differ: p_holm < 0.05).",
        "No loss can be compared with L2 yet: L2 or the other loss has no finished run.")
    tables["identity_disjoint"] = Table(
        identity_table(evidence),
        f"Random against identity-disjoint split, same test faces ({profile} profile)",
        "drop: random minus identity-disjoint (positive: the random split scores higher); seen "
        "people: test faces whose person the random split trains on; seed SD: standard "
        "deviation over seeds of the random split's runs (a drop within it is not the split's "
        "doing); p (Holm): Wilcoxon signed-rank on all test faces, Holm-corrected over the table "
        "(it treats images, not trainings, as the sample).",
        "No identity-disjoint run has finished yet, so the split cannot be compared.")
    return tables
