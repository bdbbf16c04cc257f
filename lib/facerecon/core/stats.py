"""Statistics for the tables: spread over seeds, a bootstrap confidence interval over test
images, the two-level (seeds, then images) bootstrap of a paired difference between two
trainings, paired Wilcoxon signed-rank tests and Holm's correction. Every function accepts a
single value, a single seed and constant data (where there is nothing to test, p is 1)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05
N_BOOTSTRAP = 2000
BOOTSTRAP_SEED = 0
# Training noise can only be seen between trainings: with one seed a difference is never resolved.
MIN_SEEDS = 2


def seed_spread(values) -> tuple[float, float, int]:
    """Mean, sample standard deviation (NaN with fewer than two values) and count."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return np.nan, np.nan, 0
    sd = float(values.std(ddof=1)) if len(values) > 1 else np.nan
    return float(values.mean()), sd, len(values)


def bootstrap_ci(per_image, confidence: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP,
                 seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over images (resampling images); NaN for no
    images, the value itself for one image or constant values."""
    values = np.asarray(per_image, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def seed_image_bootstrap(differences, confidence: float = CONFIDENCE,
                         n_boot: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> dict:
    """The mean of paired differences (seeds, images), e.g. loss minus L2 per seed and test
    image, with a percentile interval that carries both noises: each replicate draws seeds with
    replacement, then images with replacement (the same images for every seed drawn, as every
    network is scored on the same faces). Images with a non-finite value for some seed are left
    out. `verdict`: 'higher' or 'lower' where the interval excludes zero and rests on at least
    MIN_SEEDS seeds, else 'not resolved' (or 'one seed')."""
    d = np.atleast_2d(np.asarray(differences, dtype=np.float64))
    d = d[:, np.isfinite(d).all(axis=0)]
    n_seeds, n_images = d.shape
    result = {"n_seeds": n_seeds, "n_images": n_images, "difference": np.nan,
              "ci_low": np.nan, "ci_high": np.nan, "verdict": "missing"}
    if not n_seeds or not n_images:
        return result
    rng = np.random.default_rng(seed)
    seed_draws = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=n_boot)
    image_draws = rng.multinomial(n_images, np.full(n_images, 1 / n_images), size=n_boot)
    means = np.einsum("bs,sn,bn->b", seed_draws, d, image_draws) / (n_seeds * n_images)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    if n_seeds < MIN_SEEDS:
        verdict = "one seed"
    else:
        verdict = "higher" if low > 0 else "lower" if high < 0 else "not resolved"
    return {**result, "difference": float(d.mean()), "ci_low": float(low), "ci_high": float(high),
            "verdict": verdict}


def paired_wilcoxon(a, b) -> dict:
    """Wilcoxon signed-rank test of paired values a vs b (two-sided, zero differences dropped).
    With no non-zero difference there is nothing to test: p = 1."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    difference = a[keep] - b[keep]
    result = {"n_pairs": int(keep.sum()),
              "mean_difference": float(difference.mean()) if len(difference) else np.nan,
              "median_difference": float(np.median(difference)) if len(difference) else np.nan}
    if not len(difference):
        return {**result, "statistic": np.nan, "p": np.nan}
    if not np.any(difference != 0):
        return {**result, "statistic": np.nan, "p": 1.0}
    test = stats.wilcoxon(difference, zero_method="wilcox", alternative="two-sided")
    return {**result, "statistic": float(test.statistic), "p": float(test.pvalue)}


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(pvalues, dtype=np.float64)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = len(valid)
    running = 0.0
    for rank, index in enumerate(valid[np.argsort(p[valid], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def mean_per_image(frame: pd.DataFrame, metric: str) -> pd.Series:
    """A metric per test image (lfw_index), averaged over the seeds in `frame`."""
    return frame.groupby("lfw_index")[metric].mean()
