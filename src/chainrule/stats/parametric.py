r"""Tests of means under normal theory: z-test, t-tests (one-sample, Student, Welch, paired)
and one-way ANOVA.

Each test standardizes an estimate by its standard error and compares the result with
its null distribution (normal, Student's t or Fisher's F).  The t-tests follow
``scipy.stats`` (names, arguments, results); the z-test follows statsmodels' ``ztest``.
Statistics are computed in float64 along ``axis``; ``alternative`` picks the tail
(see :mod:`chainrule.stats.results`).
"""
from __future__ import annotations

import numpy as np
from scipy import special, stats as _scipy_stats

from .results import F_onewayResult, TtestResult, ZtestResult, check_alternative
from .validation import require_positive_spread, sample

__all__ = ["ztest", "ttest_1samp", "ttest_ind", "ttest_rel", "f_oneway"]


def _tail(statistic, sf, cdf, alternative):
    """p-value of a statistic with a symmetric null distribution (survival ``sf``, cdf ``cdf``)."""
    if alternative == "greater":
        return sf(statistic)
    if alternative == "less":
        return cdf(statistic)
    return np.minimum(2.0 * sf(np.abs(statistic)), 1.0)


def _t_pvalue(t, df, alternative):
    return _tail(t, lambda s: _scipy_stats.t.sf(s, df), lambda s: _scipy_stats.t.cdf(s, df), alternative)


def _z_pvalue(z, alternative):
    return _tail(z, lambda s: special.ndtr(-s), special.ndtr, alternative)


# ----------------------------------------------------------------------------- z-test
def ztest(x1, x2=None, value: float = 0.0, *, sigma=None, alternative: str = "two-sided",
          usevar: str = "pooled", ddof: int = 1, axis: int = 0) -> ZtestResult:
    r"""z-test of a mean, or of the difference of two means (statsmodels' ``ztest``).

    One sample: :math:`Z = (\bar x - \mu_0) / (\sigma / \sqrt n)`; two samples:
    :math:`Z = (\bar x_1 - \bar x_2 - \delta_0) / \mathrm{se}` with
    :math:`\mathrm{se} = \sigma_p \sqrt{1/n_1 + 1/n_2}` (``usevar="pooled"``) or
    :math:`\sqrt{s_1^2/n_1 + s_2^2/n_2}` (``usevar="unequal"``).  :math:`\mu_0` or
    :math:`\delta_0` is ``value``.  With ``sigma`` (the known population standard
    deviation; a pair for two samples) it is used in place of the sample estimates (at
    ``ddof``), which is the classical z-test.

    Null distribution: :math:`Z \sim \mathcal N(0, 1)` (exactly for known :math:`\sigma`
    and normal data; asymptotically otherwise).  The result has ``estimate``,
    ``standard_error`` and ``confidence_interval()``.
    """
    check_alternative(alternative, "ztest")
    if usevar not in ("pooled", "unequal"):
        raise ValueError(f"ztest: usevar must be 'pooled' or 'unequal', got {usevar!r}")
    minimum = 1 if sigma is not None else ddof + 1
    a = sample(x1, "ztest", "first sample", axis=axis, minimum=minimum)
    n1 = a.shape[-1]
    if x2 is None:
        s = np.asarray(sigma, dtype=np.float64) if sigma is not None else np.std(a, axis=-1, ddof=ddof)
        require_positive_spread(s, "ztest", "the standard deviation")
        estimate, se = np.mean(a, axis=-1), s / np.sqrt(n1)
    else:
        b = sample(x2, "ztest", "second sample", axis=axis, minimum=minimum)
        n2 = b.shape[-1]
        if sigma is not None:
            s1, s2 = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (2,))
            se = np.sqrt(s1 ** 2 / n1 + s2 ** 2 / n2)
        elif usevar == "pooled":
            if n1 + n2 - 2 * ddof <= 0:
                raise ValueError("ztest: the two samples leave no degrees of freedom for the pooled variance")
            pooled = (np.sum((a - a.mean(-1, keepdims=True)) ** 2, -1)
                      + np.sum((b - b.mean(-1, keepdims=True)) ** 2, -1)) / (n1 + n2 - 2 * ddof)
            se = np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
        else:
            se = np.sqrt(np.var(a, -1, ddof=ddof) / n1 + np.var(b, -1, ddof=ddof) / n2)
        require_positive_spread(se, "ztest", "the standard error")
        estimate = np.mean(a, axis=-1) - np.mean(b, axis=-1)
    z = (estimate - value) / se
    return ZtestResult(z, _z_pvalue(z, alternative), estimate=estimate, standard_error=se,
                       alternative=alternative)


# ----------------------------------------------------------------------------- t-tests
def ttest_1samp(a, popmean, axis: int = 0, *, alternative: str = "two-sided") -> TtestResult:
    r"""One-sample t-test of :math:`H_0: \mu = \mu_0` (``scipy.stats.ttest_1samp``).

    .. math:: T = \frac{\bar x - \mu_0}{s / \sqrt n}, \qquad s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2

    Null distribution: Student's :math:`t_{n-1}` (for normal data).
    ``confidence_interval()`` is the interval of :math:`\mu`.  Needs :math:`n \ge 2`;
    a sample with zero variance raises ``ValueError`` (SciPy returns ±inf or NaN).
    """
    check_alternative(alternative, "ttest_1samp")
    x = sample(a, "ttest_1samp", axis=axis, minimum=2)
    n = x.shape[-1]
    se = np.std(x, axis=-1, ddof=1) / np.sqrt(n)
    require_positive_spread(se, "ttest_1samp", "the sample variance")
    estimate = np.mean(x, axis=-1)
    t = (estimate - popmean) / se
    df = np.float64(n - 1)
    return TtestResult(t, _t_pvalue(t, df, alternative), df=df, estimate=estimate, standard_error=se,
                       alternative=alternative)


def ttest_ind(a, b, axis: int = 0, equal_var: bool = True, *, alternative: str = "two-sided") -> TtestResult:
    r"""Two-sample t-test of :math:`H_0: \mu_1 = \mu_2` (``scipy.stats.ttest_ind``).

    Student (``equal_var=True``), with the pooled variance
    :math:`s_p^2 = \frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}`:

    .. math:: T = \frac{\bar x_1 - \bar x_2}{s_p\sqrt{1/n_1 + 1/n_2}} \sim t_{n_1+n_2-2}

    Welch (``equal_var=False``): :math:`T = (\bar x_1 - \bar x_2)/\sqrt{s_1^2/n_1 + s_2^2/n_2}`,
    approximately :math:`t_\nu` with the Welch–Satterthwaite degrees of freedom

    .. math:: \nu = \frac{(s_1^2/n_1 + s_2^2/n_2)^2}{\frac{(s_1^2/n_1)^2}{n_1 - 1} + \frac{(s_2^2/n_2)^2}{n_2 - 1}}.

    ``confidence_interval()`` is the interval of :math:`\mu_1 - \mu_2`.  Student's test
    needs :math:`n_1 + n_2 \ge 3`, Welch's :math:`n_1, n_2 \ge 2`; zero variance raises.
    """
    check_alternative(alternative, "ttest_ind")
    minimum = 1 if equal_var else 2
    x = sample(a, "ttest_ind", "first sample", axis=axis, minimum=minimum)
    y = sample(b, "ttest_ind", "second sample", axis=axis, minimum=minimum)
    n1, n2 = x.shape[-1], y.shape[-1]
    v1 = np.var(x, axis=-1, ddof=1) if n1 > 1 else np.zeros(x.shape[:-1])
    v2 = np.var(y, axis=-1, ddof=1) if n2 > 1 else np.zeros(y.shape[:-1])
    if equal_var:
        df = np.float64(n1 + n2 - 2)
        if df <= 0:
            raise ValueError("ttest_ind: two samples of one observation each leave no degrees of freedom")
        pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        se = np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))
        require_positive_spread(se, "ttest_ind", "the pooled variance")
    else:
        w1, w2 = v1 / n1, v2 / n2
        se = np.sqrt(w1 + w2)
        require_positive_spread(se, "ttest_ind", "the variance of both samples")
        df = (w1 + w2) ** 2 / (w1 ** 2 / (n1 - 1) + w2 ** 2 / (n2 - 1))
    estimate = np.mean(x, axis=-1) - np.mean(y, axis=-1)
    t = estimate / se
    return TtestResult(t, _t_pvalue(t, df, alternative), df=df, estimate=estimate, standard_error=se,
                       alternative=alternative)


def ttest_rel(a, b, axis: int = 0, *, alternative: str = "two-sided") -> TtestResult:
    r"""Paired t-test of :math:`H_0: \mathbb E[a - b] = 0` (``scipy.stats.ttest_rel``): the
    one-sample test on the differences :math:`d_i = a_i - b_i`,

    .. math:: T = \frac{\bar d}{s_d/\sqrt n} \sim t_{n-1}.
    """
    check_alternative(alternative, "ttest_rel")
    x = sample(a, "ttest_rel", "first sample", axis=axis, minimum=2)
    y = sample(b, "ttest_rel", "second sample", axis=axis, minimum=2)
    if x.shape != y.shape:
        raise ValueError(f"ttest_rel: paired samples must have the same shape, got {x.shape} and {y.shape}")
    return ttest_1samp(x - y, 0.0, axis=-1, alternative=alternative)


# ----------------------------------------------------------------------------- ANOVA
def f_oneway(*samples) -> F_onewayResult:
    r"""One-way analysis of variance: do :math:`k` groups share one mean? (``scipy.stats.f_oneway``)

    With group sizes :math:`n_j`, means :math:`\bar x_j`, grand mean :math:`\bar x` and
    :math:`N = \sum_j n_j`:

    .. math::

        F = \frac{\sum_j n_j (\bar x_j - \bar x)^2 / (k - 1)}
                 {\sum_j \sum_i (x_{ij} - \bar x_j)^2 / (N - k)} \sim F_{k-1,\, N-k}.

    ``df`` is the pair :math:`(k - 1, N - k)`.  Needs two or more non-empty groups and
    :math:`N > k`; zero variance within every group raises ``ValueError`` (SciPy returns
    inf with a warning).
    """
    if len(samples) < 2:
        raise ValueError(f"f_oneway: needs at least two groups, got {len(samples)}")
    groups = [sample(s, "f_oneway", f"group {j}") for j, s in enumerate(samples)]
    sizes = np.array([g.size for g in groups], dtype=np.float64)
    total, k = sizes.sum(), len(groups)
    if total - k <= 0:
        raise ValueError(f"f_oneway: {int(total)} observations in {k} groups leave no degrees of freedom "
                         f"within groups (needs more observations than groups)")
    means = np.array([g.mean() for g in groups])
    grand = np.concatenate(groups).mean()
    between = np.sum(sizes * (means - grand) ** 2)
    within = sum(np.sum((g - m) ** 2) for g, m in zip(groups, means))
    require_positive_spread(within, "f_oneway", "the variance within every group")
    dfn, dfd = np.float64(k - 1), np.float64(total - k)
    f = (between / dfn) / (within / dfd)
    return F_onewayResult(f, _scipy_stats.f.sf(f, dfn, dfd), df=(dfn, dfd))
