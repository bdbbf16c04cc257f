"""The evidence behind every table and figure of a profile: its runs, every finished run's
per-image test scores, the baselines' per-image scores, and the paired tests of each loss
against L2. Read once (gather_evidence); everything after it is computed from it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import baselines, stats
from .config import LOSSES, REFERENCE_LOSS
from .runs import RUN_FIELDS, RunStore, finished, select


@dataclass
class Evidence:
    profile: str
    results_root: Path
    runs: pd.DataFrame          # one row per run (runs.RunStore.collect)
    images: pd.DataFrame        # per-image test PSNR/SSIM of every finished run
    baselines: pd.DataFrame     # per-image train and test scores of every baseline
    significance: pd.DataFrame  # each loss against L2 (significance_vs_l2)

    @property
    def store(self) -> RunStore:
        return RunStore(self.results_root, self.profile)


def per_image_test_scores(runs: pd.DataFrame, store: RunStore) -> pd.DataFrame:
    """Per-image test PSNR/SSIM of every finished run, with the run's fields."""
    frames = []
    for _, run in finished(runs, split=None).iterrows():
        frame = select(store.per_image(run["key"]), subset="test")[["lfw_index", "psnr", "ssim"]]
        frames.append(frame.assign(**{c: run[c] for c in RUN_FIELDS}))
    columns = [*RUN_FIELDS, "lfw_index", "psnr", "ssim"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def significance_vs_l2(images: pd.DataFrame) -> pd.DataFrame:
    """Per architecture and obfuscation, each loss against L2 on per-image test PSNR and SSIM
    (each image's mean over seeds; random split): Wilcoxon signed-rank, Holm-corrected across
    every comparison of the table."""
    rows = []
    for (arch, obfuscation), group in select(images, split="random").groupby(
            ["architecture", "obfuscation"], sort=False):
        reference = select(group, loss=REFERENCE_LOSS)
        if reference.empty:
            continue
        for loss in [name for name in LOSSES if name != REFERENCE_LOSS]:
            other = select(group, loss=loss)
            if other.empty:
                continue
            for metric in ("psnr", "ssim"):
                a, b = (stats.mean_per_image(f, metric) for f in (other, reference))
                a, b = a.align(b, join="inner")
                rows.append({"architecture": arch, "obfuscation": obfuscation, "loss": loss,
                             "metric": f"test_{metric}", "against": REFERENCE_LOSS,
                             **stats.paired_wilcoxon(a.to_numpy(), b.to_numpy())})
    table = pd.DataFrame(rows, columns=["architecture", "obfuscation", "loss", "metric",
                                        "against", "n_pairs", "mean_difference",
                                        "median_difference", "statistic", "p"])
    table["p_holm"] = stats.holm(table["p"].to_numpy())
    table["significant"] = table["p_holm"] < stats.ALPHA
    return table


def gather_evidence(results_root, profile: str) -> Evidence:
    store = RunStore(Path(results_root), profile)
    runs = store.collect()
    images = per_image_test_scores(runs, store)
    return Evidence(profile, Path(results_root), runs, images,
                    baselines.per_image_scores(results_root, profile), significance_vs_l2(images))
