"""Statistics: spread over seeds, bootstrap intervals, Wilcoxon and Holm, on edge cases too."""
import numpy as np
import pytest
from scipy import stats as scipy_stats

from facerecon import stats


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
