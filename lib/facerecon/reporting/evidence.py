"""The evidence behind every table and figure of a profile: its runs, every finished run's
per-image test scores, the baselines' per-image scores, and the paired tests of each loss
against L2. Read once (gather_evidence); everything after it is computed from it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.measures import TABLE_MEASURES
from ..core import stats
from ..data import baselines
from ..experiment.config import LOSS_NAMES, REFERENCE_LOSS, Profile
from ..experiment.runs import RUN_FIELDS, RunStore
from ..experiment.study import finished, select


@dataclass
class Evidence:
    store: RunStore             # the profile's runs under the results root
    runs: pd.DataFrame          # one row per run (runs.RunStore.collect)
    images: pd.DataFrame        # per-image test PSNR/SSIM of every finished run
    baselines: pd.DataFrame     # per-image train and test scores of every baseline
    significance: pd.DataFrame  # each loss against L2 (significance_vs_l2)

    @property
    def profile(self) -> str:
        return self.store.profile.name

    @property
    def results_root(self) -> Path:
        return Path(self.store.results_root)


def per_image_test_scores(runs: pd.DataFrame, store: RunStore) -> pd.DataFrame:
    """Per-image test scores (TABLE_MEASURES) of every finished run, with the run's fields; a
    measure its run did not record (trained before it existed) is NaN."""
    scores = list(TABLE_MEASURES)
    frames = []
    for _, run in finished(runs, split=None).iterrows():
        frame = select(store.per_image(run["key"]), subset="test").reindex(
            columns=["lfw_index", *scores])
        frames.append(frame.assign(**{c: run[c] for c in RUN_FIELDS}))
    columns = [*RUN_FIELDS, "lfw_index", *scores]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def paired_by_seed(other: pd.DataFrame, reference: pd.DataFrame, metric: str) -> np.ndarray:
    """(seeds, images) differences other minus reference: the same seed (the same initial
    weights and batch order) and the same test face, over the seeds and faces both have."""
    a, b = (f.pivot_table(index="seed", columns="lfw_index", values=metric) for f in
            (other, reference))
    a, b = a.align(b, join="inner")
    return (a - b).to_numpy()


def seed_range(runs: pd.DataFrame, metric: str) -> float:
    """How far one configuration's test means lie apart from seed to seed (the largest minus
    the smallest per-seed mean over its test faces); NaN with fewer than two seeds."""
    means = runs.groupby("seed")[metric].mean().dropna()
    return float(means.max() - means.min()) if len(means) >= 2 else float("nan")


def larger_range(*ranges: float) -> float:
    """The larger of the configurations' seed ranges that are known (two seeds or more): a lower
    bound of the noise where one configuration has a single seed; NaN where none is known."""
    known = [r for r in ranges if not np.isnan(r)]
    return max(known) if known else float("nan")


# Said of an effect smaller than its seed range (VERDICT_RULE), beside its verdict; the paired
# tests' table, short of room, marks it.
WITHIN_SEED_RANGE = "within seed range"
WITHIN_SEED_RANGE_MARK = "†"

# How every verdict against L2 is reached: shown wherever one is (findings, tables, report).
VERDICT_RULE = (
    "Each loss is compared with L2 on the same seeds and test faces: the mean paired "
    "difference (loss − L2) with a 95% bootstrap interval that draws seeds, then faces, so that "
    "it carries training noise. A difference is resolved (higher or lower) where that interval "
    f"excludes zero with both losses on at least {stats.MIN_SEEDS} seeds, whatever other runs "
    "are missing; with one seed it stays open. Seed range: the larger of the two "
    "configurations' spread of per-seed test means (largest minus smallest; of those with two "
    "seeds or more); an effect smaller "
    f"than it is {WITHIN_SEED_RANGE} ({WITHIN_SEED_RANGE_MARK} in the paired tests' table): "
    "within seed-to-seed noise, even where resolved.")


def significance_vs_l2(images: pd.DataFrame) -> pd.DataFrame:
    """Per architecture and obfuscation, each loss against L2 on per-image test PSNR, SSIM and
    identity distance (random split; where both losses' runs recorded it). Headline: the mean
    difference with a two-level bootstrap interval over seeds and test images, resolved only
    where it excludes zero with at least two seeds (stats.seed_image_bootstrap), beside the seed
    range of the two configurations (seed_range). Secondary: the
    Wilcoxon signed-rank test on each image's mean over seeds, Holm-corrected across the table:
    it asks whether these trained *networks* differ on these faces, not whether the losses do."""
    rows = []
    for (arch, obfuscation), group in select(images, split="random").groupby(
            ["architecture", "obfuscation"], sort=False):
        reference = select(group, loss=REFERENCE_LOSS)
        if reference.empty:
            continue
        for loss in [name for name in LOSS_NAMES if name != REFERENCE_LOSS]:
            other = select(group, loss=loss)
            if other.empty:
                continue
            for metric in TABLE_MEASURES:
                if other[metric].isna().all() or reference[metric].isna().all():
                    continue  # a measure these runs did not record
                a, b = (stats.mean_per_image(f, metric) for f in (other, reference))
                a, b = a.align(b, join="inner")
                wilcoxon = stats.paired_wilcoxon(a.to_numpy(), b.to_numpy())
                rows.append({"architecture": arch, "obfuscation": obfuscation, "loss": loss,
                             "metric": f"test_{metric}", "against": REFERENCE_LOSS,
                             **stats.seed_image_bootstrap(paired_by_seed(other, reference, metric)),
                             "seed_range": larger_range(seed_range(other, metric),
                                                        seed_range(reference, metric)),
                             **{k: v for k, v in wilcoxon.items() if k != "mean_difference"}})
    table = pd.DataFrame(rows, columns=["architecture", "obfuscation", "loss", "metric",
                                        "against", "n_seeds", "n_images", "difference",
                                        "ci_low", "ci_high", "verdict", "seed_range", "n_pairs",
                                        "median_difference", "statistic", "p"])
    table["p_holm"] = stats.holm(table["p"].to_numpy())
    table["networks_differ"] = table["p_holm"] < stats.ALPHA
    table["within_seed_range"] = table["difference"].abs() < table["seed_range"]
    return table


def gather_evidence(results_root, profile: Profile) -> Evidence:
    store = RunStore(Path(results_root), profile)
    runs = store.collect()
    images = per_image_test_scores(runs, store)
    return Evidence(store, runs, images, baselines.per_image_scores(results_root, profile.name),
                    significance_vs_l2(images))
