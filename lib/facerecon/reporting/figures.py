"""The study's figures from the evidence: what each shows is gathered here, plots.py draws it,
and every figure is written as PNG and PDF to figures/<profile>/. Missing runs leave gaps."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..experiment.config import STUDY_ARCHITECTURES, RunConfig
from ..experiment.runs import RunStore
from ..experiment.study import finished, select
from . import face_plots, identity_plots, leaders, plots, result_plots
from .evidence import Evidence
from .tables import baseline_rows, model_row


def histories(runs: pd.DataFrame, store: RunStore) -> pd.DataFrame:
    """history.csv of every finished run (random split), with the run's fields."""
    frames = []
    for _, run in finished(runs).iterrows():
        # history.csv's `loss` is the training loss value; the run's loss name is `loss_name`.
        frames.append(store.history(run["key"]).assign(
            architecture=run["architecture"], loss_name=run["loss"],
            obfuscation=run["obfuscation"], seed=run["seed"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sample_tiles(store: RunStore, key: str) -> list[list[np.ndarray]] | None:
    """The rows (original, obfuscated, reconstructed) of a run's test_samples.png, as lists of
    [0, 1] RGB tiles; None if the run has none."""
    path = store.samples(key)
    if not path.exists():
        return None
    p = store.profile
    grid_rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    n = grid_rgb.shape[1] // p.width
    return [[grid_rgb[r * p.height:(r + 1) * p.height, i * p.width:(i + 1) * p.width]
             for i in range(n)] for r in range(3)]


def reconstruction_titles() -> list[str]:
    """Original, then each obfuscation and its reconstruction."""
    return ["Original", *(title for entry in OBFUSCATIONS.values()
                          for title in (entry.label, f"Reconstructed {entry.label.lower()}"))]


def reconstruction_rows(store: RunStore, arch: str, runs: dict[str, tuple[str, int] | None]):
    """Per test face: the original, then each obfuscation and its reconstruction by the run
    `runs` names for it ((loss, seed); None where there is none); columns as
    reconstruction_titles()."""
    tiles = [sample_tiles(store, RunConfig(arch, runs[obfuscation][0], obfuscation,
                                           runs[obfuscation][1], store.profile.name).key)
             if runs.get(obfuscation) else None for obfuscation in OBFUSCATIONS]
    shown = next((t for t in tiles if t is not None), None)
    n = len(shown[0]) if shown else store.profile.n_samples

    def tile(rows, r, i):
        return None if rows is None else rows[r][i]

    return [[tile(shown, 0, i), *(tile(t, r, i) for t in tiles for r in (1, 2))]
            for i in range(n)]


def best_runs(evidence: Evidence, arch: str) -> dict[str, tuple[str, int] | None]:
    """Per obfuscation, the run a figure shows: the loss the findings name best on test SSIM
    (the study's losses, among networks that beat their input) and its first finished seed;
    None where no loss leads."""
    chosen = {}
    for obfuscation in OBFUSCATIONS:
        loss = leaders.leader_row(evidence, arch, obfuscation,
                                  leaders.FIGURE_MEASURE)["best_loss"]
        seeds = select(finished(evidence.runs), architecture=arch, loss=loss,
                       obfuscation=obfuscation)["seed"] if loss else []
        chosen[obfuscation] = (loss, int(min(seeds))) if len(seeds) else None
    return chosen


def best_runs_title(arch: str, runs: dict[str, tuple[str, int] | None]) -> str:
    """'SRResNet, best loss by test SSIM (findings): blurred PSNR+SSIM (seed 0), ...'."""
    parts = [f"{OBFUSCATIONS[o].label.lower()} "
             + (f"{LOSSES[run[0]].label} (seed {run[1]})" if run else "none restores")
             for o, run in runs.items()]
    return (f"{ARCHITECTURES[arch].label}, best loss by test "
            f"{TABLE_MEASURES[leaders.FIGURE_MEASURE].label} (findings): " + ", ".join(parts))


def loss_comparison_rows(evidence: Evidence) -> pd.DataFrame:
    """Every study architecture x loss x obfuscation (test means and intervals) and every
    baseline, for the loss comparison figure."""
    rows = [{**model_row(evidence, ARCHITECTURES[a].label, a, loss, o), "obfuscation": o}
            for o in OBFUSCATIONS for a in STUDY_ARCHITECTURES for loss in LOSSES]
    rows += [{**row, "obfuscation": o} for o in OBFUSCATIONS for row in baseline_rows(evidence, o)]
    return pd.DataFrame(rows)


def save(figure, folder: Path, stem: str) -> list[Path]:
    paths = io.save_figure(figure, folder / stem)
    plots.plt.close(figure)
    return paths


def training_curve_figures(evidence: Evidence, folder: Path) -> list[Path]:
    """training_curves_<arch>_<obfuscation>: one colour per loss, one line per seed."""
    curves, paths = histories(evidence.runs, evidence.store), []
    if curves.empty:
        return paths
    for arch in ARCHITECTURES:
        for obfuscation in OBFUSCATIONS:
            part = select(curves, architecture=arch, obfuscation=obfuscation)
            if part.empty:
                continue
            title = f"{ARCHITECTURES[arch].label}, {OBFUSCATIONS[obfuscation].label.lower()} faces"
            paths += plots.save_in_both_widths(lambda width: result_plots.training_curves(
                part, hue="loss_name", registry=LOSSES,
                title=title, width=width), folder / f"training_curves_{arch}_{obfuscation}")
    return paths


def reconstruction_figures(evidence: Evidence, folder: Path) -> list[Path]:
    """reconstructions_<arch>_best_loss: test faces, each obfuscation reconstructed under the
    loss the findings name best on test SSIM for it (best_runs)."""
    paths = []
    for arch in STUDY_ARCHITECTURES:
        runs = best_runs(evidence, arch)
        if not any(runs.values()):
            continue
        figure = face_plots.image_grid(reconstruction_rows(evidence.store, arch, runs),
                                       reconstruction_titles())
        figure.suptitle(best_runs_title(arch, runs), y=1.02, fontsize=9)
        paths += save(figure, folder, f"reconstructions_{arch}_best_loss")
    return paths


def comparison_figures(evidence: Evidence, folder: Path) -> list[Path]:
    """test_psnr_ssim_architectures_x_losses (heat maps) and
    test_psnr_ssim_losses_with_baselines (means, intervals and the baselines)."""
    done = finished(evidence.runs)
    if done.empty:
        return []
    rows = loss_comparison_rows(evidence)

    def compared(part, width):
        return result_plots.loss_comparison(part, list(LOSSES), width)

    return (plots.save_in_both_widths(
                lambda width: result_plots.metric_heatmaps(done, width),
                folder / "test_psnr_ssim_architectures_x_losses",
                plots.by_obfuscation(result_plots.metric_heatmaps, done))
            + plots.save_in_both_widths(
                lambda width: compared(rows, width), folder / "test_psnr_ssim_losses_with_baselines",
                plots.by_obfuscation(compared, rows)))


def identity_figure(evidence: Evidence, folder: Path) -> list[Path]:
    """identity_vs_psnr: each run's mean test identity distance against its test PSNR (runs
    that recorded it) beside the baselines' (no figure where neither has it)."""
    done = finished(evidence.runs)
    done = done[done["test_identity"].notna()]
    rows = pd.DataFrame([{**row, "obfuscation": o} for o in OBFUSCATIONS
                         for row in baseline_rows(evidence, o)])
    rows = rows[rows["test_identity"].notna()] if "test_identity" in rows else rows.iloc[:0]
    if done.empty and rows.empty:
        return []
    return plots.save_in_both_widths(
        lambda width: identity_plots.identity_vs_psnr(done, rows, width), folder / "identity_vs_psnr",
        plots.by_obfuscation(identity_plots.identity_vs_psnr, done, rows))


def region_figure(evidence: Evidence, folder: Path) -> list[Path]:
    """test_psnr_inner_vs_border: each configuration's gain over its input inside the SSIM
    window's centres and in its border (no figure where no run recorded them)."""
    gains = leaders.region_gains(evidence.runs)
    if gains.empty:
        return []
    return plots.save_in_both_widths(
        lambda width: result_plots.psnr_inner_vs_border(gains, width),
        folder / leaders.REGION_FIGURE, plots.by_obfuscation(result_plots.psnr_inner_vs_border,
                                                             gains))


# The figures this module draws, by the start of their file names: one of them not drawn again
# (its runs are gone, e.g. retrained under a changed profile) is removed, never left to show
# runs that no longer exist.
FAMILIES = ("training_curves_", "reconstructions_", "test_psnr_ssim_", "identity_vs_psnr",
            leaders.REGION_FIGURE)


def write_figures(evidence: Evidence, figures_root) -> list[Path]:
    folder = io.writable_dir(Path(figures_root) / evidence.profile)
    written = (training_curve_figures(evidence, folder) + reconstruction_figures(evidence, folder)
               + comparison_figures(evidence, folder) + identity_figure(evidence, folder)
               + region_figure(evidence, folder))
    names = {path.name for path in written}
    for stale in [p for p in folder.iterdir() if p.name.startswith(FAMILIES)
                  and p.name not in names]:
        stale.unlink()
    return written
