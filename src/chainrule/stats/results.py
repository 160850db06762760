r"""The results that tests and estimators return, in SciPy's style.

A hypothesis test returns a tuple ``(statistic, pvalue)`` that also carries named
attributes: ``res.statistic``, ``res.pvalue``, ``res.df`` where the null distribution
has degrees of freedom, and ``res.confidence_interval(confidence_level=0.95)`` where
the test inverts to an interval.  So ``t, p = ttest_ind(a, b)`` unpacks as in SciPy
while ``ttest_ind(a, b).df`` is there for those who want it.

The p-value of a test is :math:`P_{H_0}(T \text{ at least as extreme as } t)` under
the null distribution of the statistic :math:`T`; ``alternative`` picks the tail:
``"greater"`` gives :math:`P(T \ge t)`, ``"less"`` :math:`P(T \le t)`, and
``"two-sided"`` twice the smaller tail (for a symmetric null, :math:`P(|T| \ge |t|)`).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy import special, stats as _scipy_stats

ALTERNATIVES = ("two-sided", "less", "greater")


class ConfidenceInterval(NamedTuple):
    """A confidence interval ``(low, high)``; one side is infinite for a one-sided test."""

    low: Any
    high: Any


def check_alternative(alternative: str, where: str) -> str:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"{where}: alternative must be 'two-sided', 'less' or 'greater', got {alternative!r}")
    return alternative


def check_confidence_level(confidence_level, where: str) -> float:
    level = float(confidence_level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"{where}: confidence_level must lie strictly between 0 and 1, got {confidence_level!r}")
    return level


def scalar(a):
    """A 0-d array as a NumPy scalar (as SciPy returns), arrays unchanged."""
    a = np.asarray(a)
    return a[()] if a.ndim == 0 else a


class TestResult(tuple):
    """``(statistic, pvalue)`` with the test's other outputs as attributes.

    Subclasses name the test (``TtestResult``, ``KstestResult``, ...).  The tuple part
    unpacks as two values, like SciPy's results; extra attributes (``df``,
    ``statistic_location``, ...) are keyword arguments of the constructor.
    """

    __test__ = False          # not a pytest test class, despite the name

    def __new__(cls, statistic, pvalue, **attributes):
        self = super().__new__(cls, (scalar(statistic), scalar(pvalue)))
        self._attributes = tuple(attributes)
        for name, value in attributes.items():
            setattr(self, name, value)
        return self

    @property
    def statistic(self):
        return self[0]

    @property
    def pvalue(self):
        return self[1]

    def __repr__(self) -> str:
        shown = [f"statistic={self.statistic!r}", f"pvalue={self.pvalue!r}"]
        shown += [f"{name}={getattr(self, name)!r}" for name in self._attributes if not name.startswith("_")]
        return f"{type(self).__name__}({', '.join(shown)})"


# ----------------------------------------------------------------------------- location tests
class LocationTestResult(TestResult):
    r"""A test of a mean (or difference of means) :math:`\mu` whose statistic is
    :math:`T = (\hat\mu - \mu_0) / \widehat{\mathrm{se}}`.

    Attributes ``estimate`` (:math:`\hat\mu`) and ``standard_error`` are public;
    :meth:`confidence_interval` inverts the test.
    """

    def _quantile(self, probability):
        raise NotImplementedError

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        r"""The interval of :math:`\mu` the test does not reject at level
        :math:`1 - \text{confidence\_level}`:
        :math:`\hat\mu \pm q\,\widehat{\mathrm{se}}` (two-sided, :math:`q` the
        :math:`(1 + c)/2` quantile of the null distribution), or a half-line for
        ``alternative="less"`` / ``"greater"`` (:math:`q` the :math:`c` quantile)."""
        level = check_confidence_level(confidence_level, "confidence_interval")
        estimate, se = np.asarray(self.estimate), np.asarray(self.standard_error)
        if self.alternative == "two-sided":
            q = self._quantile((1 + level) / 2)
            low, high = estimate - q * se, estimate + q * se
        elif self.alternative == "less":
            low, high = np.full_like(estimate, -np.inf), estimate + self._quantile(level) * se
        else:
            low, high = estimate - self._quantile(level) * se, np.full_like(estimate, np.inf)
        return ConfidenceInterval(scalar(low), scalar(high))


class TtestResult(LocationTestResult):
    """Result of a t-test: ``statistic``, ``pvalue``, ``df``, ``estimate``,
    ``standard_error``, ``alternative`` and :meth:`confidence_interval` (SciPy's name)."""

    def _quantile(self, probability):
        return _scipy_stats.t.ppf(probability, self.df)


class ZtestResult(LocationTestResult):
    """Result of a z-test: ``statistic``, ``pvalue``, ``estimate``, ``standard_error``,
    ``alternative`` and :meth:`confidence_interval` (normal quantiles)."""

    def _quantile(self, probability):
        return special.ndtri(probability)


# ----------------------------------------------------------------------------- other named results
class F_onewayResult(TestResult):  # noqa: N801  (SciPy's name)
    """Result of one-way ANOVA: ``statistic`` (F), ``pvalue`` and ``df`` = (between, within)."""


class Power_divergenceResult(TestResult):  # noqa: N801  (SciPy's name)
    """Result of the chi-square goodness-of-fit test: ``statistic``, ``pvalue``, ``df``."""


class KstestResult(TestResult):
    """Result of a Kolmogorov–Smirnov test: ``statistic`` (D), ``pvalue``,
    ``statistic_location`` (where the ECDF distance is largest) and ``statistic_sign``
    (+1 when the first ECDF lies above, -1 below)."""


class MannwhitneyuResult(TestResult):
    """Result of the Mann–Whitney U test: ``statistic`` (:math:`U_1`, of the first sample) and ``pvalue``."""


class WilcoxonResult(TestResult):
    """Result of the Wilcoxon signed-rank test: ``statistic``, ``pvalue`` (and ``zstatistic``
    when ``method="asymptotic"`` was asked for)."""


class SignificanceResult(TestResult):
    """A statistic with its p-value (Spearman's correlation, the likelihood-ratio test, ...)."""


class PearsonRResult(TestResult):
    """Result of :func:`pearsonr`: ``statistic`` (r), ``pvalue`` and :meth:`confidence_interval`."""

    def confidence_interval(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        r"""Fisher's interval: with :math:`z = \operatorname{artanh} r` and
        :math:`\mathrm{se} = 1/\sqrt{n - 3}`, :math:`\tanh(z \pm q\,\mathrm{se})`, :math:`q`
        the standard normal :math:`(1 + c)/2` quantile (one-sided: :math:`c`, the other
        end at ∓1).  For :math:`n \le 3` the interval is :math:`[-1, 1]`."""
        level = check_confidence_level(confidence_level, "confidence_interval")
        if self.nobs <= 3:
            return ConfidenceInterval(-1.0, 1.0)
        z, se = np.arctanh(self.statistic), 1.0 / np.sqrt(self.nobs - 3)
        if self.alternative == "two-sided":
            q = special.ndtri(0.5 + level / 2)
            return ConfidenceInterval(np.tanh(z - q * se), np.tanh(z + q * se))
        q = special.ndtri(level)
        if self.alternative == "less":
            return ConfidenceInterval(-1.0, np.tanh(z + q * se))
        return ConfidenceInterval(np.tanh(z - q * se), 1.0)


class Chi2ContingencyResult(NamedTuple):
    """Result of :func:`chi2_contingency`: unpacks as SciPy's ``(statistic, pvalue, dof, expected_freq)``."""

    statistic: float
    pvalue: float
    dof: int
    expected_freq: np.ndarray

    @property
    def df(self) -> int:
        return self.dof
