"""Reads finished runs and writes the study's tables and figures. Never trains.

A run that did not happen, failed or was interrupted appears as missing: an empty cell in CSV
(with its status), "missing" in Markdown and LaTeX, a blank in figures. Never a number.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from . import io, plots
from .config import OBFUSCATIONS, load_profile
from .losses import LOSSES
from .models import ARCHITECTURES, STUDY_ARCHITECTURES
from .train import REFERENCE_ARCHITECTURE, REFERENCE_LOSS, grid, run_dir

METRICS = ("train_psnr", "train_ssim", "test_psnr", "test_ssim")
METRIC_LABELS = {"train_psnr": "Train PSNR", "train_ssim": "Train SSIM",
                 "test_psnr": "Test PSNR", "test_ssim": "Test SSIM"}
INPUT_ROW = "Obfuscated input (no model)"
ARCH_LABELS = {name: arch.label for name, arch in ARCHITECTURES.items()}
LOSS_LABELS = {name: loss.label for name, loss in LOSSES.items()}


def run_status(folder: Path) -> str:
    if (folder / "metrics.json").exists():
        return "finished"
    if (folder / "failed.json").exists():
        return "failed"
    return "incomplete" if folder.exists() else "missing"


def collect_runs(results_root, profile: str) -> pd.DataFrame:
    """One row per run of the profile's grid (and any other run folder found), with its status
    and, for finished runs, every metric of metrics.json."""
    expected = {run.key: run for run in grid(profile)}
    runs_folder = Path(results_root) / profile / "runs"
    found = sorted(p.name for p in runs_folder.iterdir() if p.is_dir()) if runs_folder.exists() else []
    rows = []
    for key in list(expected) + [k for k in found if k not in expected]:
        folder = run_dir(results_root, profile, key)
        status = run_status(folder)
        if status == "finished":
            metrics = json.loads((folder / "metrics.json").read_text())
            metrics.pop("identity", None)
            packages = metrics.pop("packages", {})
            row = {**metrics, "keras_version": packages.get("keras")}
        elif key in expected:
            row = expected[key].as_dict()
        else:
            row = json.loads((folder / "config.json").read_text())["run"]
        if status == "failed":
            row["reason"] = json.loads((folder / "failed.json").read_text())["reason"]
        rows.append({"key": key, **row, "status": status})
    frame = pd.DataFrame(rows)
    for column in METRICS:
        if column not in frame:
            frame[column] = np.nan
    first = ["key", "architecture", "loss", "obfuscation", "seed", "profile", "status", *METRICS]
    return frame[first + [c for c in frame.columns if c not in first]]


def finished(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "finished"]


def mean_over_seeds(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    done = finished(runs)
    table = done.groupby(by)[list(METRICS)].mean()
    table["n_seeds"] = done.groupby(by).size()
    return table


def input_row(runs: pd.DataFrame, obfuscation: str) -> dict:
    """The obfuscated input scored against the original: the no-model baseline."""
    done = finished(runs)
    done = done[done["obfuscation"] == obfuscation]
    if done.empty:
        return {m: np.nan for m in METRICS}
    return {m: float(done[f"{m.split('_')[0]}_input_{m.split('_')[1]}"].iloc[0]) for m in METRICS}


def mark_best(table: pd.DataFrame) -> pd.DataFrame:
    """Adds best_in: the metric columns in which a row is best (ties included)."""
    best = {m: table[m].max() for m in METRICS}
    table["best_in"] = [";".join(m for m in METRICS if pd.notna(row[m]) and row[m] == best[m])
                        for _, row in table.iterrows()]
    return table


def comparison_table(means: pd.DataFrame, labels: dict, runs: pd.DataFrame,
                     obfuscation: str) -> pd.DataFrame:
    """One row per name in `labels` (metrics averaged over seeds, or missing), then the
    obfuscated input; best values marked."""
    rows = []
    for name, label in labels.items():
        if name in means.index:
            rows.append({"row": label, **means.loc[name].to_dict(), "status": "finished"})
        else:
            rows.append({"row": label, **{m: np.nan for m in METRICS}, "n_seeds": 0,
                         "status": "missing"})
    rows.append({"row": INPUT_ROW, **input_row(runs, obfuscation), "n_seeds": np.nan,
                 "status": "baseline"})
    return mark_best(pd.DataFrame(rows))


def loss_table(runs: pd.DataFrame, loss: str, obfuscation: str) -> pd.DataFrame:
    """The study's comparison table: rows = architectures (+ the original residual autoencoder
    under L2) and the obfuscated input; columns = train/test PSNR/SSIM."""
    archs = list(STUDY_ARCHITECTURES) + ([REFERENCE_ARCHITECTURE] if loss == REFERENCE_LOSS else [])
    means = mean_over_seeds(runs[(runs["loss"] == loss) & (runs["obfuscation"] == obfuscation)],
                            ["architecture"])
    return comparison_table(means, {a: ARCH_LABELS[a] for a in archs}, runs, obfuscation)


def architecture_table(runs: pd.DataFrame, arch: str, obfuscation: str) -> pd.DataFrame:
    """Rows = losses, for one architecture and obfuscation, with the obfuscated input."""
    means = mean_over_seeds(runs[(runs["architecture"] == arch)
                                 & (runs["obfuscation"] == obfuscation)], ["loss"])
    return comparison_table(means, LOSS_LABELS, runs, obfuscation)


def best_run(runs: pd.DataFrame, obfuscation: str) -> pd.Series | None:
    done = finished(runs)
    done = done[done["obfuscation"] == obfuscation]
    return None if done.empty else done.loc[done["test_ssim"].idxmax()]


def input_vs_reconstruction_table(runs: pd.DataFrame) -> pd.DataFrame:
    """As in the study: the obfuscated input and the best reconstruction (highest test SSIM),
    each against the original, on train and test."""
    rows = []
    for obfuscation in OBFUSCATIONS:
        rows.append({"row": f"{obfuscation}: obfuscated input", **input_row(runs, obfuscation)})
        best = best_run(runs, obfuscation)
        label = "missing" if best is None else \
            f"{ARCH_LABELS[best['architecture']]}, {LOSS_LABELS[best['loss']]}"
        rows.append({"row": f"{obfuscation}: best reconstruction ({label})",
                     **({m: np.nan for m in METRICS} if best is None
                        else {m: float(best[m]) for m in METRICS})})
    return pd.DataFrame(rows)


# --- writing tables ----------------------------------------------------------------------------

def formatted(table: pd.DataFrame, bold: str) -> pd.DataFrame:
    """Metric cells as text: 2 decimals for PSNR, 4 for SSIM, 'missing' for no value, the best
    wrapped in `bold` (a format string)."""
    shown = table[["row"]].copy()
    for m in METRICS:
        digits = 2 if "psnr" in m else 4
        cells = []
        for _, row in table.iterrows():
            if pd.isna(row[m]):
                cells.append("missing")
                continue
            text = f"{row[m]:.{digits}f}"
            cells.append(bold.format(text) if m in str(row.get("best_in", "")).split(";") else text)
        shown[METRIC_LABELS[m]] = cells
    return shown.rename(columns={"row": ""})


def write_table(table: pd.DataFrame, folder: Path, name: str, caption: str) -> None:
    """CSV (numbers; empty = missing), Markdown and LaTeX (booktabs), best values in bold."""
    io.write_csv(folder / f"{name}.csv", table)
    md = formatted(table, "**{}**").to_markdown(index=False)
    io.write_text(folder / f"{name}.md", f"{caption}\n\n{md}\n")
    latex = formatted(table, r"\textbf{{{}}}").to_latex(index=False, escape=False, caption=caption,
                                                        label=f"tab:{name}", column_format="l" + "r" * 4)
    io.write_text(folder / f"{name}.tex", latex)


def write_tables(runs: pd.DataFrame, profile: str, results_root) -> dict[str, pd.DataFrame]:
    folder = io.writable_dir(Path(results_root) / profile / "tables")
    tables = {}
    for obfuscation in OBFUSCATIONS:
        for loss in LOSSES:
            name = f"loss_{loss}_{obfuscation}"
            tables[name] = loss_table(runs, loss, obfuscation)
            write_table(tables[name], folder, name,
                        f"{LOSS_LABELS[loss]} loss, {obfuscation} ({profile} profile)")
        for arch in ARCHITECTURES:
            name = f"architecture_{arch}_{obfuscation}"
            tables[name] = architecture_table(runs, arch, obfuscation)
            write_table(tables[name], folder, name,
                        f"{ARCH_LABELS[arch]}, {obfuscation}: losses compared ({profile} profile)")
    tables["input_vs_reconstruction"] = input_vs_reconstruction_table(runs)
    write_table(tables["input_vs_reconstruction"], folder, "input_vs_reconstruction",
                f"Obfuscated input and best reconstruction against the original ({profile} profile)")
    return tables


# --- figures -----------------------------------------------------------------------------------

def histories(runs: pd.DataFrame, results_root) -> pd.DataFrame:
    frames = []
    for _, run in finished(runs).iterrows():
        history = pd.read_csv(run_dir(results_root, run["profile"], run["key"]) / "history.csv")
        # history.csv's `loss` is the training loss value; the run's loss name is `loss_name`.
        frames.append(history.assign(architecture=run["architecture"], loss_name=run["loss"],
                                     obfuscation=run["obfuscation"], seed=run["seed"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sample_tiles(results_root, profile: str, key: str) -> list[list[np.ndarray]] | None:
    """The rows (original, obfuscated, reconstructed) of a run's test_samples.png, as lists of
    [0, 1] RGB tiles; None if the run has none."""
    path = run_dir(results_root, profile, key) / "test_samples.png"
    if not path.exists():
        return None
    p = load_profile(profile)
    grid_rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    n = grid_rgb.shape[1] // p.width
    return [[grid_rgb[r * p.height:(r + 1) * p.height, i * p.width:(i + 1) * p.width]
             for i in range(n)] for r in range(3)]


def reconstruction_rows(results_root, profile: str, arch: str, loss: str, seed: int):
    """Rows Original | Blurred | Reconstructed blurred | Pixelated | Reconstructed pixelated."""
    blur = sample_tiles(results_root, profile, f"{arch}__{loss}__blur__seed{seed}")
    pixel = sample_tiles(results_root, profile, f"{arch}__{loss}__pixelate__seed{seed}")
    n = len((blur or pixel or [[None] * load_profile(profile).n_samples])[0])
    def tile(rows, r, i):
        return None if rows is None else rows[r][i]
    return [[tile(blur, 0, i) if blur else tile(pixel, 0, i), tile(blur, 1, i), tile(blur, 2, i),
             tile(pixel, 1, i), tile(pixel, 2, i)] for i in range(n)]


def best_loss(runs: pd.DataFrame, arch: str) -> str | None:
    """The loss with the highest test SSIM for an architecture, averaged over obfuscations."""
    done = finished(runs)
    done = done[done["architecture"] == arch]
    return None if done.empty else done.groupby("loss")["test_ssim"].mean().idxmax()


def write_figures(runs: pd.DataFrame, profile: str, results_root, figures_root) -> list[Path]:
    folder = io.writable_dir(Path(figures_root) / profile)
    paths = []
    curves = histories(runs, results_root)
    for arch in ARCHITECTURES:
        for obfuscation in OBFUSCATIONS:
            if curves.empty:
                continue
            part = curves[(curves["architecture"] == arch) & (curves["obfuscation"] == obfuscation)]
            if part.empty:
                continue
            figure = plots.training_curves(part.assign(loss_name=part["loss_name"].map(LOSS_LABELS)),
                                           hue="loss_name", hue_label="loss",
                                           title=f"{ARCH_LABELS[arch]}, {obfuscation}")
            paths += io.save_figure(figure, folder / f"training_curves_{arch}_{obfuscation}")
            plots.plt.close(figure)
    for arch in STUDY_ARCHITECTURES:
        loss = best_loss(runs, arch)
        if loss is None:
            continue
        seed = int(finished(runs)["seed"].min())
        figure = plots.image_grid(reconstruction_rows(results_root, profile, arch, loss, seed),
                                  plots.COLUMN_TITLES)
        figure.suptitle(f"{ARCH_LABELS[arch]}, trained with its best loss ({LOSS_LABELS[loss]})",
                        y=1.02, fontsize=9)
        paths += io.save_figure(figure, folder / f"reconstructions_{arch}_best_loss")
        plots.plt.close(figure)
    if not finished(runs).empty:
        figure = plots.metric_heatmaps(finished(runs), ARCH_LABELS, LOSS_LABELS)
        paths += io.save_figure(figure, folder / "test_psnr_ssim_architectures_x_losses")
        plots.plt.close(figure)
    return paths


def build_report(profile: str, results_root, figures_root) -> dict:
    """all_runs.csv, every table and every figure of a profile, from its results only."""
    runs = collect_runs(results_root, profile)
    io.write_csv(Path(results_root) / profile / "all_runs.csv", runs)
    tables = write_tables(runs, profile, results_root)
    figures = write_figures(runs, profile, results_root, figures_root)
    return {"runs": runs, "tables": tables, "figures": figures}
