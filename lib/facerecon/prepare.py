"""Data preparation for a profile: the prepared cache, results/<profile>/split.csv and
split_identity.csv, the obfuscation calibration (results/<profile>/obfuscation_quality.csv), the
non-learned baselines (results/<profile>/baselines/) and a figure of sample faces.

    python -m facerecon prepare --profile quick [--data-home DIR]
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import baselines, io, plots
from .config import PROJECT_ROOT, load_profile
from .data import SPLITS, Dataset, load_dataset
from .obfuscation import SETTING_NAMES, calibration_table


def prepare(profile_name: str, data_home=None, results_root=PROJECT_ROOT / "results",
            figures_root=PROJECT_ROOT / "figures") -> tuple[Dataset, pd.DataFrame, pd.DataFrame]:
    """Writes every split (split.csv for the random split, split_<name>.csv for the others), the
    calibration table, the baselines and the sample figure; returns the dataset (random split),
    the calibration table and the baselines' summary."""
    profile = load_profile(profile_name)
    results = io.writable_dir(Path(results_root) / profile.name)
    figures = io.writable_dir(Path(figures_root) / profile.name)
    datasets = {split: load_dataset(profile, data_home, split) for split in SPLITS}
    dataset = datasets["random"]
    for split, split_dataset in datasets.items():
        name = "split.csv" if split == "random" else f"split_{split}.csv"
        io.write_csv(results / name, split_dataset.split_frame())
    calibration = calibration_table(dataset.images["test"], profile)
    io.write_csv(results / "obfuscation_quality.csv", calibration)
    figure = plots.sample_faces(dataset, n=profile.n_samples)
    io.save_figure(figure, figures / "sample_faces_original_blurred_pixelated")
    plots.plt.close(figure)  # the notebook shows it where it explains it
    return dataset, calibration, baselines.run_baselines(dataset, results_root)


def print_summary(dataset: Dataset, calibration: pd.DataFrame, baseline_summary: pd.DataFrame):
    profile = dataset.profile
    sizes = ", ".join(f"{s} {len(v)}" for s, v in dataset.images.items())
    print(f"profile {profile.name}: {sizes} faces at {profile.height}x{profile.width}")
    print(calibration[calibration["chosen"]][["obfuscation", *SETTING_NAMES, "psnr_mean",
                                              "ssim_mean", "in_study_range"]].to_string(index=False))
    print(baseline_summary.to_string(index=False))
