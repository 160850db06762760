r"""Tests of association: Pearson's product-moment correlation and Spearman's rank correlation.

Both test :math:`H_0: \rho = 0`.  For the value of a correlation inside a computation
(differentiable), use :func:`chainrule.stats.corrcoef`; these functions return SciPy's
results with p-values.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as _scipy_stats

from .nonparametric import _ranks_and_ties
from .results import PearsonRResult, SignificanceResult, check_alternative
from .validation import require_positive_spread, sample

__all__ = ["pearsonr", "spearmanr"]


def _paired(x, y, where: str, minimum: int):
    a = sample(x, where, "first sample", minimum=minimum)
    b = sample(y, where, "second sample", minimum=minimum)
    if a.size != b.size:
        raise ValueError(f"{where}: x and y must have the same length, got {a.size} and {b.size}")
    return a, b


def _correlation(a: np.ndarray, b: np.ndarray, where: str) -> float:
    da, db = a - a.mean(), b - b.mean()
    norm_a, norm_b = np.linalg.norm(da), np.linalg.norm(db)
    require_positive_spread(norm_a * norm_b, where, "the variance of one input")
    return np.float64(np.clip(np.dot(da / norm_a, db / norm_b), -1.0, 1.0))


def pearsonr(x, y, *, alternative: str = "two-sided") -> PearsonRResult:
    r"""Pearson's correlation coefficient and the test of :math:`H_0: \rho = 0`
    (``scipy.stats.pearsonr``).

    .. math:: r = \frac{\sum_i (x_i - \bar x)(y_i - \bar y)}{\sqrt{\sum_i (x_i - \bar x)^2 \sum_i (y_i - \bar y)^2}}

    Null distribution (bivariate normal data, :math:`\rho = 0`): :math:`(r + 1)/2 \sim
    \mathrm{Beta}(n/2 - 1, n/2 - 1)`, equivalently :math:`r\sqrt{(n-2)/(1-r^2)} \sim t_{n-2}`.
    For :math:`n = 2`, :math:`r = \pm 1` and the p-value is 1.  ``confidence_interval()``
    uses Fisher's transformation.  A constant input raises ``ValueError`` (SciPy warns and
    returns NaN).
    """
    check_alternative(alternative, "pearsonr")
    a, b = _paired(x, y, "pearsonr", 2)
    n = a.size
    r = _correlation(a, b, "pearsonr")
    if n == 2:
        r, p = np.sign(r), 1.0                   # two points lie on a line: exactly ±1
    else:
        null = _scipy_stats.beta(n / 2 - 1, n / 2 - 1, loc=-1, scale=2)
        p = {"greater": lambda: null.sf(r), "less": lambda: null.cdf(r),
             "two-sided": lambda: 2 * null.sf(abs(r))}[alternative]()
    return PearsonRResult(np.float64(r), np.float64(min(p, 1.0)), nobs=n, alternative=alternative)


def spearmanr(x, y, *, alternative: str = "two-sided") -> SignificanceResult:
    r"""Spearman's rank correlation and the test of :math:`H_0: \rho_s = 0`
    (``scipy.stats.spearmanr`` for two 1-D samples).

    :math:`\rho_s` is Pearson's :math:`r` of the (average) ranks; the p-value uses

    .. math:: t = \rho_s \sqrt{\frac{n - 2}{1 - \rho_s^2}} \;\overset{H_0}{\approx}\; t_{n-2}

    (:math:`|\rho_s| = 1` gives :math:`t = \pm\infty`).  Needs :math:`n \ge 3` (with two
    points :math:`t_0` is undefined and SciPy returns NaN); a constant input raises
    ``ValueError``.
    """
    check_alternative(alternative, "spearmanr")
    a, b = _paired(x, y, "spearmanr", 3)
    rho = _correlation(_ranks_and_ties(a)[0], _ranks_and_ties(b)[0], "spearmanr")
    df = a.size - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = rho * np.sqrt(np.clip(df / ((rho + 1.0) * (1.0 - rho)), 0, None))
    if alternative == "greater":
        p = _scipy_stats.t.sf(t, df)
    elif alternative == "less":
        p = _scipy_stats.t.cdf(t, df)
    else:
        p = 2 * _scipy_stats.t.sf(np.abs(t), df)
    return SignificanceResult(np.float64(rho), np.float64(p))
