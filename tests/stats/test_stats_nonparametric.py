"""Rank and ECDF tests, and correlation tests, against SciPy: statistics, p-values (exact and
asymptotic), every alternative, ties and zeros, and the errors for degenerate input."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule import stats

ALTERNATIVES = ["two-sided", "less", "greater"]
RNG = np.random.default_rng(3)
X = RNG.standard_normal(12)
Y = RNG.standard_normal(9) + 0.8


def assert_result(got, want, rtol=1e-10):
    assert got.statistic == pytest.approx(want.statistic, rel=1e-12, abs=1e-14)
    assert got.pvalue == pytest.approx(want.pvalue, rel=rtol, abs=1e-300)


@pytest.mark.parametrize("method", ["approx", "asymp"])
def test_rankdata_and_ks_1samp_methods(method):
    data = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    for ranking in ("average", "min", "max", "dense", "ordinal"):
        np.testing.assert_array_equal(stats.rankdata(data, ranking), scipy.stats.rankdata(data, ranking))
    assert_result(stats.ks_1samp(X, scipy.stats.norm.cdf, method=method),
                  scipy.stats.ks_1samp(X, scipy.stats.norm.cdf, method=method))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ks_1samp(alternative):
    want = scipy.stats.ks_1samp(X, scipy.stats.norm.cdf, alternative=alternative)
    for cdf, args in ((scipy.stats.norm.cdf, ()), ("norm", ()), ("t", (4,))):
        got = stats.ks_1samp(X, cdf, args=args, alternative=alternative)
        if args:
            want = scipy.stats.ks_1samp(X, scipy.stats.t.cdf, args=args, alternative=alternative)
        assert_result(got, want)
        assert got.statistic_location == want.statistic_location
        assert got.statistic_sign == want.statistic_sign
    normal = cr.distributions.Normal(cr.tensor(0.0, dtype=np.float64), cr.tensor(1.0, dtype=np.float64))
    assert_result(stats.kstest(X, normal, alternative=alternative),
                  scipy.stats.ks_1samp(X, scipy.stats.norm.cdf, alternative=alternative), rtol=1e-8)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("sizes", [(12, 9), (10, 10), (7, 25), (30, 14)])
def test_ks_2samp_exact(alternative, sizes):
    a, b = RNG.standard_normal(sizes[0]), RNG.standard_normal(sizes[1]) + 0.6
    got, want = stats.ks_2samp(a, b, alternative=alternative), scipy.stats.ks_2samp(a, b, alternative=alternative)
    assert_result(got, want, rtol=1e-9)
    assert got.statistic_location == want.statistic_location and got.statistic_sign == want.statistic_sign
    assert_result(stats.kstest(a, b, alternative=alternative), want, rtol=1e-9)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ks_2samp_ties_small_pvalues_and_asymptotic(alternative):
    a, b = np.round(RNG.standard_normal(40), 1), np.round(RNG.standard_normal(33) + 0.3, 1)
    assert_result(stats.ks_2samp(a, b, alternative=alternative),
                  scipy.stats.ks_2samp(a, b, alternative=alternative), rtol=1e-9)
    far_a, far_b = RNG.standard_normal(25), RNG.standard_normal(20) + 4
    want = scipy.stats.ks_2samp(far_a, far_b, alternative=alternative)
    assert_result(stats.ks_2samp(far_a, far_b, alternative=alternative), want, rtol=1e-7)
    assert_result(stats.ks_2samp(a, b, alternative=alternative, method="asymp"),
                  scipy.stats.ks_2samp(a, b, alternative=alternative, method="asymp"))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_mannwhitneyu(alternative):
    small = X[:6]
    for method in ("auto", "exact", "asymptotic"):
        assert_result(stats.mannwhitneyu(small, Y, alternative=alternative, method=method),
                      scipy.stats.mannwhitneyu(small, Y, alternative=alternative, method=method))
    assert_result(stats.mannwhitneyu(X, Y, alternative=alternative),
                  scipy.stats.mannwhitneyu(X, Y, alternative=alternative))
    assert_result(stats.mannwhitneyu(X, Y, use_continuity=False, alternative=alternative),
                  scipy.stats.mannwhitneyu(X, Y, use_continuity=False, alternative=alternative))
    tied_x, tied_y = np.round(X, 0), np.round(Y[:5], 0)
    for method in ("auto", "exact"):
        assert_result(stats.mannwhitneyu(tied_x, tied_y, alternative=alternative, method=method),
                      scipy.stats.mannwhitneyu(tied_x, tied_y, alternative=alternative, method=method))


def test_mannwhitneyu_exact_for_a_larger_second_sample():
    a, b = RNG.standard_normal(5), RNG.standard_normal(60)
    assert_result(stats.mannwhitneyu(a, b), scipy.stats.mannwhitneyu(a, b))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_wilcoxon_exact_and_asymptotic(alternative):
    d = RNG.standard_normal(20) + 0.4
    assert_result(stats.wilcoxon(d, alternative=alternative), scipy.stats.wilcoxon(d, alternative=alternative))
    assert_result(stats.wilcoxon(d, d[::-1] * 0.3, alternative=alternative),
                  scipy.stats.wilcoxon(d, d[::-1] * 0.3, alternative=alternative))
    for correction in (False, True):
        got = stats.wilcoxon(d, alternative=alternative, method="asymptotic", correction=correction)
        want = scipy.stats.wilcoxon(d, alternative=alternative, method="asymptotic", correction=correction)
        assert_result(got, want)
        assert got.zstatistic == pytest.approx(want.zstatistic, rel=1e-12)
    large = RNG.standard_normal(70) + 0.2
    assert_result(stats.wilcoxon(large, alternative=alternative), scipy.stats.wilcoxon(large, alternative=alternative))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("zero_method", ["wilcox", "pratt", "zsplit"])
def test_wilcoxon_ties_and_zeros(alternative, zero_method):
    small = np.array([0.0, 1.5, -1.5, 2.0, 3.0, 3.0, -0.5, 4.0, 0.0, 2.5])      # n <= 13: exact permutation
    larger = np.round(RNG.standard_normal(30) + 0.5, 1)
    larger[:2] = 0.0                                                               # asymptotic, with zeros
    for d in (small, larger):
        assert_result(stats.wilcoxon(d, zero_method=zero_method, alternative=alternative),
                      scipy.stats.wilcoxon(d, zero_method=zero_method, alternative=alternative))
    for method in ("exact", "asymptotic"):
        assert_result(stats.wilcoxon(small, zero_method=zero_method, alternative=alternative, method=method),
                      scipy.stats.wilcoxon(small, zero_method=zero_method, alternative=alternative, method=method))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_pearsonr_and_spearmanr(alternative):
    a, b = X[:9], Y + 0.5 * X[:9]
    got, want = stats.pearsonr(a, b, alternative=alternative), scipy.stats.pearsonr(a, b, alternative=alternative)
    assert_result(got, want)
    np.testing.assert_allclose(got.confidence_interval(0.9), want.confidence_interval(0.9), rtol=1e-12)
    assert_result(stats.spearmanr(a, b, alternative=alternative),
                  scipy.stats.spearmanr(a, b, alternative=alternative))
    tied = np.round(b)
    assert_result(stats.spearmanr(a, tied, alternative=alternative),
                  scipy.stats.spearmanr(a, tied, alternative=alternative))
    perfect = stats.spearmanr(a, a ** 3, alternative=alternative)
    assert perfect.statistic == 1.0
    assert perfect.pvalue == pytest.approx(scipy.stats.spearmanr(a, a ** 3, alternative=alternative).pvalue)


def test_pearsonr_of_two_points_and_constant_input():
    result = stats.pearsonr([1.0, 2.0], [3.0, 1.0])
    assert (result.statistic, result.pvalue) == (-1.0, 1.0)
    assert result.confidence_interval() == (-1.0, 1.0)
    with pytest.raises(ValueError, match="zero"):
        stats.pearsonr([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="same length"):
        stats.spearmanr([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 3"):
        stats.spearmanr([1.0, 2.0], [1.0, 2.0])


def test_degenerate_rank_tests_raise():
    with pytest.raises(ValueError, match="every difference is zero"):
        stats.wilcoxon([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="every observation is equal"):
        stats.mannwhitneyu(np.ones(10), np.ones(12))
    with pytest.raises(ValueError, match="observation"):
        stats.ks_2samp([], [1.0, 2.0])
    with pytest.raises(ValueError, match="not the name"):
        stats.ks_1samp(X, "no_such_distribution")
