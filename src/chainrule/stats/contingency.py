r"""Tests on counts: chi-square goodness of fit and independence, the exact binomial test
and the two-proportion z-test.

Counts are compared with the counts expected under the null hypothesis.  Pearson's
statistic :math:`X^2 = \sum (O - E)^2 / E` is asymptotically :math:`\chi^2`; the
binomial test is exact.  Names, arguments and results follow ``scipy.stats``
(``proportions_ztest`` follows statsmodels).
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats as _scipy_stats

from .parametric import _z_pvalue
from .results import (Chi2ContingencyResult, ConfidenceInterval, Power_divergenceResult, TestResult,
                      ZtestResult, check_alternative, check_confidence_level)
from .validation import as_array

__all__ = ["chisquare", "chi2_contingency", "binomtest", "BinomTestResult", "proportions_ztest"]


def _counts(x, where: str, name: str) -> np.ndarray:
    counts = as_array(x)
    if np.isnan(counts).any():
        raise ValueError(f"{where}: the {name} contain NaN")
    if np.any(counts < 0):
        raise ValueError(f"{where}: the {name} must be non-negative, got {counts.min()}")
    return counts


# ----------------------------------------------------------------------------- goodness of fit
def chisquare(f_obs, f_exp=None, ddof: int = 0, axis: int = 0) -> Power_divergenceResult:
    r"""Pearson's chi-square goodness-of-fit test (``scipy.stats.chisquare``).

    .. math:: X^2 = \sum_{i=1}^k \frac{(O_i - E_i)^2}{E_i} \;\overset{H_0}{\sim}\; \chi^2_{k - 1 - \mathrm{ddof}}
        \ \text{(asymptotically)}

    ``f_exp`` defaults to equal frequencies; it must have the same total as ``f_obs``
    (relative tolerance :math:`10^{-8}`, as SciPy).  ``ddof`` subtracts estimated
    parameters from the degrees of freedom (``df`` on the result).  An expected count
    of zero raises ``ValueError``.
    """
    given = _counts(f_obs, "chisquare", "observed frequencies")
    if given.ndim == 0:
        raise ValueError("chisquare: f_obs must hold the frequencies of two or more categories")
    observed = np.moveaxis(given, axis, -1)
    k = observed.shape[-1]
    if f_exp is None:
        expected = np.broadcast_to(observed.mean(axis=-1, keepdims=True), observed.shape)
    else:
        expected = np.moveaxis(np.broadcast_to(_counts(f_exp, "chisquare", "expected frequencies"), given.shape),
                               axis, -1)
        sum_obs, sum_exp = observed.sum(axis=-1), expected.sum(axis=-1)
        if not np.allclose(sum_obs, sum_exp, rtol=1e-8, atol=0):
            raise ValueError(f"chisquare: the observed and expected frequencies must have the same total, "
                             f"got {sum_obs} and {sum_exp} (relative tolerance 1e-8)")
    if np.any(expected == 0):
        raise ValueError("chisquare: an expected frequency is zero, so (O - E)^2 / E is undefined")
    df = k - 1 - ddof
    if df <= 0:
        raise ValueError(f"chisquare: {k} categories with ddof={ddof} leave {df} degrees of freedom")
    statistic = np.sum((observed - expected) ** 2 / expected, axis=-1)
    return Power_divergenceResult(statistic, _scipy_stats.chi2.sf(statistic, df), df=df)


def chi2_contingency(observed, correction: bool = True) -> Chi2ContingencyResult:
    r"""Chi-square test of independence of the factors of a contingency table
    (``scipy.stats.chi2_contingency``, Pearson's statistic).

    Under independence the expected counts are the products of the margins over the
    total (for a 2-D table :math:`E_{ij} = r_i c_j / N`), and

    .. math:: X^2 = \sum \frac{(O - E)^2}{E} \;\sim\; \chi^2_{\nu}, \qquad
        \nu = \textstyle\prod_a n_a - \sum_a n_a + \text{ndim} - 1 \ \big(= (r-1)(c-1)\big).

    With ``correction`` and :math:`\nu = 1` (a 2×2 table), Yates' continuity correction
    moves each :math:`O` half a count towards :math:`E` (never past it).  Tables of any
    rank are accepted.  A zero expected count (an empty row or column) raises
    ``ValueError``; :math:`\nu = 0` gives statistic 0 and p-value 1, as SciPy.
    """
    table = _counts(observed, "chi2_contingency", "observed counts")
    if table.ndim == 0 or table.size == 0:
        raise ValueError("chi2_contingency: the table must have at least one cell along each axis")
    total = table.sum()
    expected = np.full(table.shape, 1.0)
    for axis in range(table.ndim):
        margin = table.sum(axis=tuple(a for a in range(table.ndim) if a != axis))
        shape = [1] * table.ndim
        shape[axis] = -1
        expected = expected * margin.reshape(shape)
    expected = expected / total ** (table.ndim - 1) if total > 0 else expected
    if np.any(expected == 0):
        zeros = np.argwhere(expected == 0)[0]
        raise ValueError(f"chi2_contingency: the expected count at index {tuple(int(i) for i in zeros)} is zero "
                         f"(an empty row or column), so the statistic is undefined")
    dof = int(table.size - sum(table.shape) + table.ndim - 1)
    if dof == 0:
        return Chi2ContingencyResult(np.float64(0.0), np.float64(1.0), 0, expected)
    difference = expected - table
    if correction and dof == 1:
        difference = difference - np.sign(difference) * np.minimum(0.5, np.abs(difference))
    statistic = np.float64(np.sum(difference ** 2 / expected))
    return Chi2ContingencyResult(statistic, np.float64(_scipy_stats.chi2.sf(statistic, dof)), dof, expected)


# ----------------------------------------------------------------------------- binomial test
class BinomTestResult(TestResult):
    """Result of :func:`binomtest`: ``statistic`` (:math:`k/n`), ``pvalue``, ``k``, ``n``,
    ``alternative``, ``proportion_estimate`` and :meth:`proportion_ci`."""

    def proportion_ci(self, confidence_level: float = 0.95, method: str = "exact") -> ConfidenceInterval:
        r"""Interval of the success probability (``scipy``'s ``proportion_ci``).

        ``"exact"`` (Clopper–Pearson): the ends solve :math:`P(X \ge k \mid p) = \alpha`
        and :math:`P(X \le k \mid p) = \alpha` (:math:`\alpha = (1-c)/2` two-sided), i.e.
        quantiles of :math:`\mathrm{Beta}(k, n-k+1)` and :math:`\mathrm{Beta}(k+1, n-k)`.
        ``"wilson"`` and ``"wilsoncc"`` (with continuity correction) invert the score test
        (Newcombe 1998).
        """
        level = check_confidence_level(confidence_level, "proportion_ci")
        if method == "exact":
            return _clopper_pearson(self.k, self.n, level, self.alternative)
        if method in ("wilson", "wilsoncc"):
            return _wilson(self.k, self.n, level, self.alternative, method == "wilsoncc")
        raise ValueError(f"proportion_ci: method must be 'exact', 'wilson' or 'wilsoncc', got {method!r}")


def _clopper_pearson(k, n, level, alternative):
    alpha = (1 - level) / 2 if alternative == "two-sided" else 1 - level
    low = 0.0 if (k == 0 or alternative == "less") else special.betaincinv(k, n - k + 1, alpha)
    high = 1.0 if (k == n or alternative == "greater") else special.betaincinv(k + 1, n - k, 1 - alpha)
    return ConfidenceInterval(float(low), float(high))


def _wilson(k, n, level, alternative, correction):
    p, q = k / n, 1 - k / n
    z = special.ndtri(0.5 + 0.5 * level) if alternative == "two-sided" else special.ndtri(level)
    denom = 2 * (n + z ** 2)
    center = (2 * n * p + z ** 2) / denom
    if correction:
        low_half = (1 + z * np.sqrt(z ** 2 - 2 - 1 / n + 4 * p * (n * q + 1))) / denom if k > 0 else 0.0
        high_half = (1 + z * np.sqrt(z ** 2 + 2 - 1 / n + 4 * p * (n * q - 1))) / denom if k < n else 0.0
    else:
        low_half = high_half = z / denom * np.sqrt(4 * n * p * q + z ** 2)
    low = 0.0 if (alternative == "less" or k == 0) else center - low_half
    high = 1.0 if (alternative == "greater" or k == n) else center + high_half
    return ConfidenceInterval(float(low), float(high))


def binomtest(k: int, n: int, p: float = 0.5, alternative: str = "two-sided") -> BinomTestResult:
    r"""Exact test of :math:`H_0: \pi = p` from :math:`k` successes in :math:`n` Bernoulli trials
    (``scipy.stats.binomtest``).

    The statistic is :math:`X \sim \mathrm{Bin}(n, p)` under :math:`H_0`.  ``"greater"``:
    :math:`P(X \ge k)`; ``"less"``: :math:`P(X \le k)`; ``"two-sided"``: the probability
    of every outcome no more likely than the one observed,
    :math:`\sum_{i:\, f(i) \le f(k)(1 + 10^{-7})} f(i)` with :math:`f` the binomial pmf
    (the relative slack, SciPy's, absorbs rounding in :math:`f`).
    """
    check_alternative(alternative, "binomtest")
    if int(k) != k or int(n) != n or n < 1 or k < 0:
        raise ValueError(f"binomtest: k and n must be integers with n >= 1 and k >= 0, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    if k > n:
        raise ValueError(f"binomtest: k ({k}) must not be greater than n ({n})")
    if not 0 <= p <= 1:
        raise ValueError(f"binomtest: p ({p}) must lie in [0, 1]")
    binom = _scipy_stats.binom
    if alternative == "less":
        pvalue = binom.cdf(k, n, p)
    elif alternative == "greater":
        pvalue = binom.sf(k - 1, n, p)
    elif k == p * n:
        pvalue = 1.0
    else:
        # The pmf is unimodal: the outcomes no more likely than k on the far side of the
        # mode form a tail, whose length is counted and summed with cdf/sf (accurate).
        threshold = binom.pmf(k, n, p) * (1 + 1e-7)
        if k < p * n:
            far = np.arange(np.ceil(p * n), n + 1)
            tail = int(np.count_nonzero(binom.pmf(far, n, p) <= threshold))
            pvalue = binom.cdf(k, n, p) + binom.sf(n - tail, n, p)
        else:
            far = np.arange(0, np.floor(p * n) + 1)
            tail = int(np.count_nonzero(binom.pmf(far, n, p) <= threshold))
            pvalue = binom.cdf(tail - 1, n, p) + binom.sf(k - 1, n, p)
        pvalue = min(1.0, pvalue)
    return BinomTestResult(k / n, np.float64(pvalue), k=k, n=n, alternative=alternative,
                           proportion_estimate=k / n)


# ----------------------------------------------------------------------------- proportions
def proportions_ztest(count, nobs, value=None, alternative: str = "two-sided") -> ZtestResult:
    r"""z-test for one proportion, or for the difference of two (statsmodels' name).

    Two samples (``count`` and ``nobs`` pairs), :math:`H_0: \pi_1 - \pi_2 = \delta_0`
    (``value``, default 0), with the pooled proportion
    :math:`\hat\pi = (k_1 + k_2)/(n_1 + n_2)`:

    .. math:: Z = \frac{\hat\pi_1 - \hat\pi_2 - \delta_0}{\sqrt{\hat\pi (1 - \hat\pi)(1/n_1 + 1/n_2)}}
        \;\overset{H_0}{\sim}\; \mathcal N(0, 1) \ \text{(asymptotically)}.

    (:math:`Z^2` equals the uncorrected chi-square statistic of the 2×2 table.)  One
    sample, :math:`H_0: \pi = \pi_0` (``value`` required): the score test
    :math:`Z = (\hat\pi - \pi_0)/\sqrt{\pi_0(1 - \pi_0)/n}`, whose square is the
    chi-square goodness-of-fit statistic (statsmodels defaults to :math:`\hat\pi` in the
    variance instead).  ``confidence_interval()`` is the Wald interval with the
    unpooled standard error.
    """
    check_alternative(alternative, "proportions_ztest")
    counts = np.atleast_1d(as_array(count))
    sizes = np.atleast_1d(as_array(nobs))
    if counts.shape != sizes.shape or counts.ndim != 1 or counts.size not in (1, 2):
        raise ValueError(f"proportions_ztest: count and nobs must both hold one or two numbers, got shapes "
                         f"{counts.shape} and {sizes.shape}")
    if np.any(sizes <= 0) or np.any(counts < 0) or np.any(counts > sizes):
        raise ValueError(f"proportions_ztest: need 0 <= count <= nobs and nobs > 0, got count={counts}, "
                         f"nobs={sizes}")
    proportions = counts / sizes
    if counts.size == 1:
        if value is None:
            raise ValueError("proportions_ztest: a one-sample test needs the null proportion as value")
        if not 0 < value < 1:
            raise ValueError(f"proportions_ztest: the null proportion must lie in (0, 1), got {value}")
        estimate, null = proportions[0], float(value)
        se_null = np.sqrt(value * (1 - value) / sizes[0])
        se_wald = np.sqrt(estimate * (1 - estimate) / sizes[0])
    else:
        null = 0.0 if value is None else float(value)
        pooled = counts.sum() / sizes.sum()
        se_null = np.sqrt(pooled * (1 - pooled) * np.sum(1.0 / sizes))
        se_wald = np.sqrt(np.sum(proportions * (1 - proportions) / sizes))
        estimate = proportions[0] - proportions[1]
    if se_null == 0:
        raise ValueError("proportions_ztest: every trial had the same outcome, so the standard error is zero")
    z = (estimate - null) / se_null
    return ZtestResult(np.float64(z), _z_pvalue(z, alternative), estimate=np.float64(estimate),
                       standard_error=np.float64(se_wald), alternative=alternative)
