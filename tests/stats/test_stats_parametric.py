"""z-, t- and F-tests: statistics, p-values, degrees of freedom and intervals against SciPy
(and against the closed forms for the z-test, which SciPy lacks), for every alternative."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from scipy import special

from chainrule import stats

ALTERNATIVES = ["two-sided", "less", "greater"]
RNG = np.random.default_rng(11)
A = RNG.normal(0.3, 1.0, 14)
B = RNG.normal(0.0, 2.0, 19)
M = RNG.normal(0.2, 1.0, (12, 3))


def assert_result(got, want, rtol=1e-12):
    np.testing.assert_allclose(got.statistic, want.statistic, rtol=rtol)
    np.testing.assert_allclose(got.pvalue, want.pvalue, rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ttest_1samp(alternative):
    got = stats.ttest_1samp(A, 0.1, alternative=alternative)
    want = scipy.stats.ttest_1samp(A, 0.1, alternative=alternative)
    assert_result(got, want)
    assert got.df == want.df
    np.testing.assert_allclose(got.confidence_interval(0.9), want.confidence_interval(0.9), rtol=1e-12)
    t, p = got                                           # unpacks as SciPy's result
    assert t == got.statistic and p == got.pvalue


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("equal_var", [True, False])
def test_ttest_ind(alternative, equal_var):
    got = stats.ttest_ind(A, B, equal_var=equal_var, alternative=alternative)
    want = scipy.stats.ttest_ind(A, B, equal_var=equal_var, alternative=alternative)
    assert_result(got, want)
    np.testing.assert_allclose(got.df, want.df, rtol=1e-12)
    np.testing.assert_allclose(got.confidence_interval(), want.confidence_interval(), rtol=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ttest_rel(alternative):
    second = A * 0.5 + 0.1 * np.arange(A.size)
    got, want = (stats.ttest_rel(A, second, alternative=alternative),
                 scipy.stats.ttest_rel(A, second, alternative=alternative))
    assert_result(got, want)
    assert got.df == want.df
    np.testing.assert_allclose(got.confidence_interval(), want.confidence_interval(), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
def test_ttests_along_an_axis(axis):
    assert_result(stats.ttest_1samp(M, 0.0, axis=axis), scipy.stats.ttest_1samp(M, 0.0, axis=axis))
    other = M[::-1] + 0.5
    assert_result(stats.ttest_ind(M, other, axis=axis, equal_var=False),
                  scipy.stats.ttest_ind(M, other, axis=axis, equal_var=False))
    assert_result(stats.ttest_rel(M, other, axis=axis), scipy.stats.ttest_rel(M, other, axis=axis))


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ztest_one_sample_known_sigma_against_closed_form(alternative):
    z = (A.mean() - 0.2) / (1.5 / np.sqrt(A.size))
    want = {"two-sided": 2 * special.ndtr(-abs(z)), "less": special.ndtr(z), "greater": special.ndtr(-z)}[alternative]
    got = stats.ztest(A, value=0.2, sigma=1.5, alternative=alternative)
    assert got.statistic == pytest.approx(z, rel=1e-13)
    assert got.pvalue == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_ztest_two_samples(alternative):
    n1, n2 = A.size, B.size
    pooled = (np.sum((A - A.mean()) ** 2) + np.sum((B - B.mean()) ** 2)) / (n1 + n2 - 2)
    z = (A.mean() - B.mean()) / np.sqrt(pooled * (1 / n1 + 1 / n2))
    got = stats.ztest(A, B, alternative=alternative)
    assert got.statistic == pytest.approx(z, rel=1e-13)
    # the pooled z statistic equals Student's t; only the reference distribution differs
    assert got.statistic == pytest.approx(scipy.stats.ttest_ind(A, B).statistic, rel=1e-12)
    assert got.pvalue == pytest.approx(scipy.stats.norm.sf(z) if alternative == "greater" else
                                       scipy.stats.norm.cdf(z) if alternative == "less" else
                                       2 * scipy.stats.norm.sf(abs(z)), rel=1e-12)
    welch = stats.ztest(A, B, usevar="unequal")
    assert welch.statistic == pytest.approx(scipy.stats.ttest_ind(A, B, equal_var=False).statistic, rel=1e-12)
    known = stats.ztest(A, B, sigma=(1.0, 2.0))
    assert known.statistic == pytest.approx((A.mean() - B.mean()) / np.sqrt(1 / n1 + 4 / n2), rel=1e-13)
    low, high = known.confidence_interval(0.95)
    assert (high - low) / 2 == pytest.approx(special.ndtri(0.975) * np.sqrt(1 / n1 + 4 / n2), rel=1e-12)


def test_f_oneway():
    groups = [A, B, RNG.normal(1.0, 1.0, 8)]
    got, want = stats.f_oneway(*groups), scipy.stats.f_oneway(*groups)
    assert_result(got, want)
    assert got.df == (2, A.size + B.size + 8 - 3)


def test_too_small_and_degenerate_samples_raise():
    with pytest.raises(ValueError, match="ttest_1samp: the sample has 1 observation; the test needs at least 2"):
        stats.ttest_1samp([1.0], 0.0)
    with pytest.raises(ValueError, match="zero"):
        stats.ttest_1samp([2.0, 2.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="pooled variance is zero"):
        stats.ttest_ind([1.0, 1.0], [3.0, 3.0])
    with pytest.raises(ValueError, match="at least 2"):
        stats.ttest_ind([1.0], [3.0, 4.0], equal_var=False)
    with pytest.raises(ValueError, match="NaN"):
        stats.ttest_1samp([1.0, np.nan, 2.0], 0.0)
    with pytest.raises(ValueError, match="same shape"):
        stats.ttest_rel([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least two groups"):
        stats.f_oneway(A)
    with pytest.raises(ValueError, match="within every group is zero"):
        stats.f_oneway([1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="alternative must be"):
        stats.ttest_1samp(A, 0.0, alternative="bigger")
    with pytest.raises(ValueError, match="confidence_level"):
        stats.ttest_1samp(A, 0.0).confidence_interval(95)
