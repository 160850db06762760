r"""Bootstrap confidence intervals (``scipy.stats.bootstrap``'s algorithm and arguments).

The bootstrap approximates the sampling distribution of a statistic
:math:`\hat\theta = s(x_1, \dots, x_n)` by its values :math:`\hat\theta^*_b` on
:math:`B` resamples drawn with replacement from the data.  Three intervals:

* ``"percentile"``: the :math:`\alpha` and :math:`1 - \alpha` quantiles of :math:`\hat\theta^*`.
* ``"basic"``: the percentile interval reflected about the estimate,
  :math:`[2\hat\theta - q_{1-\alpha},\ 2\hat\theta - q_\alpha]`.
* ``"BCa"`` (bias-corrected and accelerated, Efron 1987): quantiles at adjusted levels

  .. math::

      \alpha_{1,2} = \Phi\Big(\hat z_0 + \frac{\hat z_0 + z_{\alpha, 1-\alpha}}
                                      {1 - \hat a(\hat z_0 + z_{\alpha, 1-\alpha})}\Big),
      \qquad \hat z_0 = \Phi^{-1}\big(\#\{\hat\theta^*_b < \hat\theta\}/B\big),

  with the acceleration :math:`\hat a = \frac{\sum_i U_i^3}{6 (\sum_i U_i^2)^{3/2}}` from the
  jackknife values :math:`U_i = (n - 1)(\bar\theta_{(\cdot)} - \hat\theta_{(i)})` (ties in
  :math:`\hat z_0` count half, as SciPy).

The resamples are drawn exactly as SciPy draws them (``rng.integers(0, n, (B, n))`` per
sample, or once for paired samples), so the same seed gives the same intervals.
"""
from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import numpy as np
from scipy import special

from ..tensor import Tensor
from .results import ConfidenceInterval, check_alternative, check_confidence_level
from .validation import as_array

__all__ = ["bootstrap", "BootstrapResult"]


class BootstrapResult(NamedTuple):
    """``confidence_interval``, ``bootstrap_distribution`` (the :math:`\\hat\\theta^*_b`, on
    the last axis) and ``standard_error`` (their standard deviation, ``ddof=1``)."""

    confidence_interval: ConfidenceInterval
    bootstrap_distribution: np.ndarray
    standard_error: Any


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _statistic_on_last_axis(statistic, vectorized: bool):
    """``statistic(*samples, axis=-1)`` returning a float64 array, looping when not vectorized."""
    if vectorized:
        return lambda *samples: as_array(statistic(*samples, axis=-1))

    def looped(*samples):
        lead = np.broadcast_shapes(*(s.shape[:-1] for s in samples))
        rows = [np.broadcast_to(s, lead + s.shape[-1:]).reshape(-1, s.shape[-1]) for s in samples]
        values = [as_array(statistic(*(r[i] for r in rows))) for i in range(rows[0].shape[0])]
        return np.asarray(values).reshape(lead + np.shape(values[0]))

    return looped


def _of_indices(compute, samples):
    """For paired samples: the statistic as a function of the resampled observation indices."""
    return lambda indices: compute(*(s[..., indices] for s in samples))


def _jackknife(samples, compute):
    """Leave-one-out values of the statistic for each sample in turn (the others whole)."""
    values = []
    for j, sample in enumerate(samples):
        n = sample.shape[-1]
        keep = ~np.eye(n, dtype=bool)                               # row i leaves out observation i
        left_out = np.broadcast_to(sample[..., None, :], sample.shape[:-1] + (n, n))[..., keep]
        left_out = left_out.reshape(sample.shape[:-1] + (n, n - 1))
        others = [s[..., None, :] for s in samples]
        others[j] = left_out
        values.append(compute(*others))
    return values


def _bca_levels(samples, compute, alpha, theta_hat_b):
    theta_hat = compute(*samples)[..., None]
    below = (np.count_nonzero(theta_hat_b < theta_hat, axis=-1)
             + np.count_nonzero(theta_hat_b <= theta_hat, axis=-1)) / (2 * theta_hat_b.shape[-1])
    z0 = special.ndtri(below)
    numerators, denominators = [], []
    for theta_i in _jackknife(samples, compute):
        n = float(theta_i.shape[-1])
        u = (n - 1) * (theta_i.mean(axis=-1, keepdims=True) - theta_i)
        numerators.append(np.sum(u ** 3, axis=-1) / n ** 3)
        denominators.append(np.sum(u ** 2, axis=-1) / n ** 2)
    a_hat = sum(numerators) / 6 / sum(denominators) ** 1.5
    z_alpha = special.ndtri(alpha)
    low, high = z0 + z_alpha, z0 - z_alpha
    return special.ndtr(z0 + low / (1 - a_hat * low)), special.ndtr(z0 + high / (1 - a_hat * high))


def _quantiles_along_last(values: np.ndarray, levels) -> np.ndarray:
    """Linear-interpolation quantiles (NumPy's default) along the last axis, at one level per
    leading index (BCa levels differ from one statistic to the next); NaN levels give NaN."""
    ordered = np.sort(values, axis=-1)
    count = ordered.shape[-1]
    levels = np.broadcast_to(np.asarray(levels, dtype=np.float64), values.shape[:-1])
    undefined = np.isnan(levels)
    position = np.where(undefined, 0.5, levels) * (count - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, count - 1)
    below = np.take_along_axis(ordered, low[..., None], axis=-1)[..., 0]
    above = np.take_along_axis(ordered, high[..., None], axis=-1)[..., 0]
    return np.where(undefined, np.nan, below + (above - below) * (position - low))


def bootstrap(data, statistic, *, n_resamples: int = 9999, confidence_level: float = 0.95,
              method: str = "BCa", alternative: str = "two-sided", paired: bool = False, vectorized=None,
              axis: int = 0, rng=None) -> BootstrapResult:
    r"""Bootstrap confidence interval of ``statistic`` (``scipy.stats.bootstrap``; see the module
    docstring for the three methods).

    ``data`` is a sequence of samples (one array for a one-sample statistic may be given
    bare); ``statistic(*samples)`` returns a number or array, and, if it accepts ``axis``
    (``vectorized``), is called once on all resamples with ``axis=-1``.  chainrule
    functions (``cr.stats.mean``, ``cr.stats.median``) work as statistics.  ``paired``
    resamples the observations of all samples together.  ``alternative="less"`` /
    ``"greater"`` give one-sided intervals (the other end infinite).  ``rng`` is a seed or
    a ``numpy.random.Generator``.

    A degenerate bootstrap distribution makes the BCa levels undefined: the interval is
    NaN then, as in SciPy (use ``"percentile"``).
    """
    check_alternative(alternative, "bootstrap")
    level = check_confidence_level(confidence_level, "bootstrap")
    kind = str(method).lower()
    if kind not in ("percentile", "basic", "bca"):
        raise ValueError(f"bootstrap: method must be 'percentile', 'basic' or 'BCa', got {method!r}")
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"bootstrap: n_resamples must be a positive integer, got {n_resamples!r}")
    if isinstance(data, (np.ndarray, Tensor)):
        data = (data,)
    samples = [np.moveaxis(as_array(s), axis, -1) if np.ndim(s) else as_array(s) for s in data]
    if not samples or any(s.ndim == 0 or s.shape[-1] < 2 for s in samples):
        raise ValueError("bootstrap: every sample needs at least two observations along axis")
    if vectorized is None:
        vectorized = "axis" in inspect.signature(statistic).parameters
    compute = _statistic_on_last_axis(statistic, vectorized)
    generator = _generator(rng)
    if paired:
        n = samples[0].shape[-1]
        if any(s.shape[-1] != n for s in samples):
            raise ValueError("bootstrap: paired samples must have the same number of observations")
        compute = _of_indices(compute, samples)
        samples = [np.arange(n)]
    resampled = [s[..., generator.integers(0, s.shape[-1], (int(n_resamples), s.shape[-1]))] for s in samples]
    theta_hat_b = compute(*resampled)
    alpha = (1 - level) / 2 if alternative == "two-sided" else 1 - level
    if kind == "bca":
        low_level, high_level = _bca_levels(samples, compute, alpha, theta_hat_b)
    else:
        low_level, high_level = alpha, 1 - alpha
    low = _quantiles_along_last(theta_hat_b, low_level)
    high = _quantiles_along_last(theta_hat_b, high_level)
    if kind == "basic":
        theta_hat = compute(*samples)
        low, high = 2 * theta_hat - high, 2 * theta_hat - low
    if alternative == "less":
        low = np.full_like(low, -np.inf)
    elif alternative == "greater":
        high = np.full_like(high, np.inf)
    scalar = lambda a: a[()] if np.ndim(a) == 0 else a                # noqa: E731
    return BootstrapResult(ConfidenceInterval(scalar(low), scalar(high)), theta_hat_b,
                           scalar(np.std(theta_hat_b, ddof=1, axis=-1)))
