"""Bootstrap intervals against scipy.stats.bootstrap: the same seed draws the same resamples,
so the intervals agree to rounding for every method and alternative."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule import stats

RNG = np.random.default_rng(17)
X = RNG.exponential(size=30)
Y = RNG.normal(size=25)


def assert_same(got, want):
    np.testing.assert_allclose(got.confidence_interval, want.confidence_interval, rtol=1e-12)
    np.testing.assert_allclose(got.standard_error, want.standard_error, rtol=1e-12)
    np.testing.assert_allclose(got.bootstrap_distribution, want.bootstrap_distribution, rtol=1e-12)


@pytest.mark.parametrize("method", ["percentile", "basic", "BCa"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_one_sample_matches_scipy(method, alternative):
    options = dict(method=method, alternative=alternative, n_resamples=999, confidence_level=0.9)
    assert_same(stats.bootstrap((X,), np.mean, rng=1, **options),
                scipy.stats.bootstrap((X,), np.mean, rng=1, **options))


def test_two_samples_paired_and_axis_match_scipy():
    def difference(a, b, axis):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    assert_same(stats.bootstrap((X, Y), difference, rng=2, n_resamples=500),
                scipy.stats.bootstrap((X, Y), difference, rng=2, n_resamples=500))

    def correlation(a, b):
        return np.corrcoef(a, b)[0, 1]

    assert_same(stats.bootstrap((X, X ** 2 + Y[:1]), correlation, paired=True, rng=3, n_resamples=300),
                scipy.stats.bootstrap((X, X ** 2 + Y[:1]), correlation, paired=True, rng=3, n_resamples=300,
                                      vectorized=False))
    matrix = RNG.normal(size=(3, 20))
    assert_same(stats.bootstrap((matrix,), np.std, axis=1, rng=4, n_resamples=400),
                scipy.stats.bootstrap((matrix,), np.std, axis=1, rng=4, n_resamples=400))


def test_chainrule_statistics_and_a_bare_sample():
    got = stats.bootstrap(X, stats.median, rng=5, n_resamples=400)
    want = scipy.stats.bootstrap((X,), np.median, rng=5, n_resamples=400)
    assert_same(got, want)
    got = stats.bootstrap(cr.tensor(X), lambda s: cr.mean(s), rng=5, n_resamples=200, method="percentile")
    want = scipy.stats.bootstrap((X,), np.mean, rng=5, n_resamples=200, method="percentile", vectorized=False)
    assert_same(got, want)


def test_coverage_of_the_mean():
    # 95% intervals for the mean of normal samples cover the truth about 95% of the time.
    samples = np.random.default_rng(0).normal(1.0, 1.0, (200, 40))
    result = stats.bootstrap((samples,), np.mean, axis=1, n_resamples=999, method="BCa", rng=6)
    low, high = result.confidence_interval
    coverage = np.mean((low < 1.0) & (1.0 < high))
    assert 0.88 < coverage < 0.99


def test_bootstrap_errors():
    with pytest.raises(ValueError, match="method must be"):
        stats.bootstrap((X,), np.mean, method="studentized")
    with pytest.raises(ValueError, match="at least two observations"):
        stats.bootstrap(([1.0],), np.mean)
    with pytest.raises(ValueError, match="same number of observations"):
        stats.bootstrap((X, Y), lambda a, b: 0.0, paired=True)
