"""Statistics: spread over seeds, bootstrap intervals, Wilcoxon and Holm, on edge cases too."""
import numpy as np
import pytest
from scipy import stats as scipy_stats

from facerecon.core import stats


def test_seed_spread_of_one_value_has_no_standard_deviation():
    mean, sd, n = stats.seed_spread([24.5])
    assert (mean, n) == (24.5, 1) and np.isnan(sd)
    mean, sd, n = stats.seed_spread([1.0, 3.0])
    assert (mean, sd, n) == (2.0, pytest.approx(np.sqrt(2)), 2)
    assert stats.seed_spread([])[2] == 0


def test_bootstrap_interval_contains_the_mean_and_narrows_with_more_images():
    rng = np.random.default_rng(0)
    small, large = rng.normal(25, 2, 50), rng.normal(25, 2, 800)
    for values in (small, large):
        low, high = stats.bootstrap_ci(values)
        assert low < values.mean() < high
    assert np.subtract(*stats.bootstrap_ci(large)[::-1]) < np.subtract(*stats.bootstrap_ci(small)[::-1])


def test_bootstrap_interval_of_constant_values_is_the_value():
    assert stats.bootstrap_ci(np.full(30, 0.5)) == (0.5, 0.5)
    assert stats.bootstrap_ci([0.7]) == (0.7, 0.7)
    assert all(np.isnan(stats.bootstrap_ci([])))


def test_wilcoxon_matches_scipy_and_is_safe_on_identical_scores():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 40)
    b = a + rng.normal(0.3, 0.5, 40)
    result = stats.paired_wilcoxon(b, a)
    assert result["p"] == pytest.approx(scipy_stats.wilcoxon(b - a).pvalue)
    assert result["mean_difference"] > 0 and result["n_pairs"] == 40
    same = stats.paired_wilcoxon(a, a)
    assert same["p"] == 1.0 and same["mean_difference"] == 0.0
    assert np.isnan(stats.paired_wilcoxon([], [])["p"])


def test_holm_adjusts_in_steps_and_keeps_nan():
    adjusted = stats.holm([0.01, 0.04, np.nan, 0.03])
    # sorted p: 0.01 (x3), 0.03 (x2), 0.04 (x1), made monotone
    np.testing.assert_allclose(adjusted[[0, 3, 1]], [0.03, 0.06, 0.06])
    assert np.isnan(adjusted[2])
    assert stats.holm([]).size == 0
    assert stats.holm([0.9, 0.8])[0] == 1.0


# --- the paired difference between two trainings, over seeds and images ---------------------

def synthetic_differences(seed_offsets, image_sd, n_images=400, shift=0.3, rng_seed=1):
    """loss minus L2 per (seed, image): a true shift, each seed's training offset and per-image
    noise."""
    rng = np.random.default_rng(rng_seed)
    offsets = np.asarray(seed_offsets, dtype=float)[:, None]
    return shift + offsets + rng.normal(0, image_sd, (len(offsets), n_images))


def width(result):
    return result["ci_high"] - result["ci_low"]


def test_large_seed_noise_widens_the_interval_and_leaves_the_difference_unresolved():
    noisy_seeds = stats.seed_image_bootstrap(synthetic_differences([-1.0, 0.1, 0.9], image_sd=0.05))
    quiet_seeds = stats.seed_image_bootstrap(synthetic_differences([0, 0, 0], image_sd=0.05))
    assert width(noisy_seeds) > 10 * width(quiet_seeds)
    assert noisy_seeds["verdict"] == "not resolved" and quiet_seeds["verdict"] == "higher"
    # An image-only bootstrap of the same noisy data would call it resolved: the flaw it replaces.
    low, high = stats.bootstrap_ci(synthetic_differences([-1.0, 0.1, 0.9], image_sd=0.05).mean(axis=0))
    assert high - low < width(noisy_seeds) / 10


def test_large_image_noise_widens_the_interval_as_an_image_bootstrap_does():
    d = synthetic_differences([0, 0, 0], image_sd=2.0, shift=0.0)
    both = stats.seed_image_bootstrap(d)
    low, high = stats.bootstrap_ci(d.mean(axis=0))
    assert both["ci_low"] < 0 < both["ci_high"] and both["verdict"] == "not resolved"
    assert 0.7 < width(both) / (high - low) < 1.6


def test_one_seed_is_never_resolved_and_the_mean_is_the_plain_mean():
    d = synthetic_differences([0], image_sd=0.01)
    result = stats.seed_image_bootstrap(d)
    assert result["verdict"] == "one seed" and result["ci_low"] > 0
    assert result["difference"] == pytest.approx(d.mean())
    lower = stats.seed_image_bootstrap(-synthetic_differences([0, 0], image_sd=0.01))
    assert lower["verdict"] == "lower"


def test_images_missing_for_a_seed_are_left_out_and_nothing_is_missing():
    d = synthetic_differences([0.1, -0.1], image_sd=0.1, n_images=5)
    d[1, 2] = np.nan
    assert stats.seed_image_bootstrap(d)["n_images"] == 4
    assert stats.seed_image_bootstrap(np.empty((0, 0)))["verdict"] == "missing"
