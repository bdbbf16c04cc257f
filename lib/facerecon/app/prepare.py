"""Data preparation for a profile: the prepared cache, results/<profile>/split.csv and
split_identity.csv, the obfuscation calibration (results/<profile>/obfuscation_*.csv and its
figure), the non-learned baselines (results/<profile>/baselines/) and a figure of sample faces.

    python -m facerecon prepare --profile quick [--data-home DIR]
    python -m facerecon calibrate --profile paper     # the calibration alone
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core import io
from ..core.io import PROJECT_ROOT
from ..data import baselines, calibration
from ..data.dataset import SPLITS, Dataset, load_dataset
from ..experiment.config import Profile
from ..reporting import face_plots, plots, result_plots
from ..reporting.study_reference import load_reference


@dataclass
class Calibration:
    table: pd.DataFrame       # one row per candidate strength
    per_image: pd.DataFrame   # every face under every candidate
    evidence: pd.DataFrame    # the study's examples against set means and single faces
    conventions: pd.DataFrame  # which SSIM convention the study's examples fit

    @property
    def text(self) -> str:
        return calibration.calibration_text(self.table, self.evidence, self.conventions)


def calibrate(dataset: Dataset, results_root=PROJECT_ROOT / "results",
              figures_root=PROJECT_ROOT / "figures") -> Calibration:
    """Places the study's example faces among ours under every candidate strength; writes the
    tables and the distribution figure."""
    profile = dataset.profile
    results = io.writable_dir(Path(results_root) / profile.name)
    examples = calibration.study_examples(load_reference())
    per_image = calibration.per_image_quality(dataset.images, profile)
    table = calibration.calibration_table(per_image, examples, profile)
    evidence = calibration.examples_not_means(per_image, table, examples)
    conventions = calibration.ssim_conventions(per_image, examples)
    io.write_csv(results / "obfuscation_quality.csv", table)
    io.write_csv(results / "obfuscation_quality_per_image.csv", per_image, float_format="%.6g")
    io.write_csv(results / "obfuscation_examples.csv", evidence)
    io.write_csv(results / "obfuscation_ssim_conventions.csv", conventions)
    # The notebook shows it where it explains it.
    plots.save_in_both_widths(
        lambda width: result_plots.calibration_distributions(per_image, table, width),
        io.writable_dir(Path(figures_root) / profile.name) / "obfuscation_calibration",
        plots.by_obfuscation(result_plots.calibration_distributions, per_image, table))
    return Calibration(table, per_image, evidence, conventions)


def prepare(profile: Profile, data_home=None, results_root=PROJECT_ROOT / "results",
            figures_root=PROJECT_ROOT / "figures") -> tuple[Dataset, Calibration, pd.DataFrame]:
    """Writes every split (split.csv for the random split, split_<name>.csv for the others), the
    calibration, the baselines and the sample figure; returns the dataset (random split), the
    calibration and the baselines' summary."""
    results = io.writable_dir(Path(results_root) / profile.name)
    figures = io.writable_dir(Path(figures_root) / profile.name)
    datasets = {split: load_dataset(profile, data_home, split) for split in SPLITS}
    dataset = datasets["random"]
    for split, split_dataset in datasets.items():
        name = "split.csv" if split == "random" else f"split_{split}.csv"
        io.write_csv(results / name, split_dataset.split_frame())
    calibrated = calibrate(dataset, results_root, figures_root)
    figure = face_plots.sample_faces(dataset, n=profile.n_samples)
    io.save_figure(figure, figures / "sample_faces_original_blurred_pixelated")
    plots.plt.close(figure)  # the notebook shows it where it explains it
    return dataset, calibrated, baselines.run_baselines(dataset, results_root)


def print_summary(dataset: Dataset, calibrated: Calibration, baseline_summary: pd.DataFrame):
    profile = dataset.profile
    sizes = ", ".join(f"{s} {len(v)}" for s, v in dataset.images.items())
    print(f"profile {profile.name}: {sizes} faces at {profile.height}x{profile.width}")
    print_calibration(calibrated)
    print(baseline_summary.to_string(index=False))


def print_calibration(calibrated: Calibration):
    table = calibrated.table
    print(table[["obfuscation", "setting", "test_psnr_mean", "test_ssim_mean",
                 "distance_from_middle", "nearest_middle", "chosen"]].to_string(index=False))
    print(calibrated.text)
