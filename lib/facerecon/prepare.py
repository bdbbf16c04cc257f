"""Data preparation for a profile: the prepared cache, results/<profile>/split.csv and
split_identity.csv, the obfuscation calibration (results/<profile>/obfuscation_quality.csv), the
non-learned baselines (results/<profile>/baselines/) and a figure of sample faces.

    python -m facerecon.prepare --profile quick [--data-home DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import baselines, io, plots
from .config import PROJECT_ROOT, ConfigError, load_profile
from .data import DataError, Dataset, load_dataset
from .obfuscation import calibration_table


def prepare(profile_name: str, data_home=None, results_root=PROJECT_ROOT / "results",
            figures_root=PROJECT_ROOT / "figures") -> tuple[Dataset, "pd.DataFrame", "pd.DataFrame"]:
    """Writes both splits, the calibration table, the baselines and the sample figure; returns
    the dataset (random split), the calibration table and the baselines' summary."""
    profile = load_profile(profile_name)
    results = io.writable_dir(Path(results_root) / profile.name)
    figures = io.writable_dir(Path(figures_root) / profile.name)
    dataset = load_dataset(profile, data_home)
    io.write_csv(results / "split.csv", dataset.split_frame())
    io.write_csv(results / "split_identity.csv",
                 load_dataset(profile, data_home, "identity").split_frame())
    calibration = calibration_table(dataset.images["test"], profile)
    io.write_csv(results / "obfuscation_quality.csv", calibration)
    figure = plots.sample_faces(dataset, n=profile.n_samples)
    io.save_figure(figure, figures / "sample_faces_original_blurred_pixelated")
    return dataset, calibration, baselines.run_baselines(dataset, results_root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facerecon.prepare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--results-root", default=str(PROJECT_ROOT / "results"))
    parser.add_argument("--figures-root", default=str(PROJECT_ROOT / "figures"))
    args = parser.parse_args(argv)
    try:
        dataset, calibration, baseline_summary = prepare(args.profile, args.data_home,
                                                         args.results_root, args.figures_root)
    except (ConfigError, DataError, io.OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sizes = ", ".join(f"{s} {len(v)}" for s, v in dataset.images.items())
    print(f"profile {args.profile}: {sizes} faces at {dataset.profile.height}x"
          f"{dataset.profile.width}")
    print(calibration[calibration["chosen"]][["obfuscation", "kernel", "sigma", "block",
                                              "psnr_mean", "ssim_mean", "in_study_range"]]
          .to_string(index=False))
    print(baseline_summary.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
