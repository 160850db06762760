"""Tests on counts against SciPy: chi-square goodness of fit and independence, the exact
binomial test and its intervals, and the two-proportion z-test against its chi-square identity."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from chainrule import stats

ALTERNATIVES = ["two-sided", "less", "greater"]


def test_chisquare_matches_scipy():
    observed = np.array([16, 18, 16, 14, 12, 12])
    got, want = stats.chisquare(observed), scipy.stats.chisquare(observed)
    assert got.statistic == pytest.approx(want.statistic, rel=1e-13)
    assert got.pvalue == pytest.approx(want.pvalue, rel=1e-12)
    assert got.df == 5
    expected = np.array([16, 16, 16, 16, 16, 8])
    got, want = stats.chisquare(observed, expected, ddof=1), scipy.stats.chisquare(observed, expected, ddof=1)
    assert (got.statistic, got.pvalue) == pytest.approx((want.statistic, want.pvalue), rel=1e-12)


def test_chisquare_along_an_axis():
    table = np.array([[16, 18, 16, 14, 12, 12], [32, 24, 16, 28, 20, 24]]).T
    got, want = stats.chisquare(table), scipy.stats.chisquare(table)
    np.testing.assert_allclose(got.statistic, want.statistic, rtol=1e-13)
    np.testing.assert_allclose(got.pvalue, want.pvalue, rtol=1e-12)
    got, want = stats.chisquare(table.T, axis=1), scipy.stats.chisquare(table.T, axis=1)
    np.testing.assert_allclose(got.statistic, want.statistic, rtol=1e-13)


def test_chisquare_errors():
    with pytest.raises(ValueError, match="same total"):
        stats.chisquare([10, 20], [10, 10])
    with pytest.raises(ValueError, match="expected frequency is zero"):
        stats.chisquare([0, 0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        stats.chisquare([-1, 3])


@pytest.mark.parametrize("table", [
    [[10, 20], [30, 25]],
    [[3, 9], [12, 2]],
    [[12, 5, 9], [7, 14, 3], [5, 6, 11]],
    [[[5, 6], [7, 8]], [[9, 3], [4, 10]]],
])
@pytest.mark.parametrize("correction", [True, False])
def test_chi2_contingency_matches_scipy(table, correction):
    got = stats.chi2_contingency(table, correction=correction)
    want = scipy.stats.chi2_contingency(table, correction=correction)
    statistic, pvalue, dof, expected = got                   # unpacks as SciPy's four fields
    assert statistic == pytest.approx(want.statistic, rel=1e-12)
    assert pvalue == pytest.approx(want.pvalue, rel=1e-11)
    assert dof == want.dof == got.df
    np.testing.assert_allclose(expected, want.expected_freq, rtol=1e-13)


def test_chi2_contingency_degenerate_cases():
    one_row = stats.chi2_contingency([[3, 4, 5]])
    assert (one_row.statistic, one_row.pvalue, one_row.dof) == (0.0, 1.0, 0)
    with pytest.raises(ValueError, match="expected count at index"):
        stats.chi2_contingency([[3, 0], [4, 0]])


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("k, n, p", [(3, 20, 0.3), (7, 10, 0.5), (0, 12, 0.2), (12, 12, 0.4), (682, 925, 0.75),
                                     (6, 50, 0.12), (1, 3, 1 / 3)])
def test_binomtest_matches_scipy(k, n, p, alternative):
    got, want = stats.binomtest(k, n, p, alternative=alternative), scipy.stats.binomtest(k, n, p,
                                                                                          alternative=alternative)
    assert got.statistic == want.statistic and got.k == k and got.n == n
    assert got.pvalue == pytest.approx(want.pvalue, rel=1e-11, abs=1e-300)
    for method in ("exact", "wilson", "wilsoncc"):
        np.testing.assert_allclose(got.proportion_ci(0.9, method=method), want.proportion_ci(0.9, method=method),
                                   rtol=1e-9, atol=1e-12)


def test_binomtest_errors():
    with pytest.raises(ValueError, match="must not be greater"):
        stats.binomtest(5, 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        stats.binomtest(1, 3, p=1.5)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_two_proportion_ztest(alternative):
    counts, nobs = np.array([45, 30]), np.array([100, 90])
    got = stats.proportions_ztest(counts, nobs, alternative=alternative)
    table = np.array([counts, nobs - counts]).T
    chi2 = scipy.stats.chi2_contingency(table, correction=False)
    assert got.statistic ** 2 == pytest.approx(chi2.statistic, rel=1e-12)
    if alternative == "two-sided":
        assert got.pvalue == pytest.approx(chi2.pvalue, rel=1e-10)
    p1, p2 = counts / nobs
    pooled = counts.sum() / nobs.sum()
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 90))
    assert got.statistic == pytest.approx(z, rel=1e-13)
    assert got.pvalue == pytest.approx({"two-sided": 2 * scipy.stats.norm.sf(abs(z)), "less": scipy.stats.norm.cdf(z),
                                        "greater": scipy.stats.norm.sf(z)}[alternative], rel=1e-12)


def test_one_proportion_ztest_is_the_chisquare_test():
    got = stats.proportions_ztest(38, 100, value=0.3)
    want = scipy.stats.chisquare([38, 62], [30, 70])
    assert got.statistic ** 2 == pytest.approx(want.statistic, rel=1e-12)
    assert got.pvalue == pytest.approx(want.pvalue, rel=1e-10)
    with pytest.raises(ValueError, match="null proportion"):
        stats.proportions_ztest(38, 100)
    with pytest.raises(ValueError, match="same outcome"):
        stats.proportions_ztest([0, 0], [10, 20])
