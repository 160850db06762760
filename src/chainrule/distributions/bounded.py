r"""Distributions on a bounded interval: uniform and beta."""
from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import incomplete, special
from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import open_uniform


class Uniform(Distribution):
    r"""The continuous uniform distribution on :math:`[a, b)` (``low``, ``high``; :math:`a < b`).

    .. math:: p(x) = \frac{1}{b - a},\qquad F(x) = \operatorname{clip}\Big(\frac{x - a}{b - a}, 0, 1\Big),\qquad a \le x < b

    Mean :math:`(a + b)/2`; variance :math:`(b - a)^2/12`; every point of the support is a
    mode, so ``mode`` is NaN (as in PyTorch); entropy :math:`\log(b - a)`.  ``rsample``:
    :math:`x = a + (b - a)u`, :math:`u \sim U[0, 1)`.
    """

    arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        self._dtype = self.low.dtype
        super().__init__(self.low.shape, validate_args=validate_args)

    def _validate_dependent(self):
        self._require(self.low < self.high, "the bounds must satisfy low < high")

    @property
    def support(self):
        return constraints.half_open_interval(self.low, self.high)

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def mode(self):
        return ops.full(self.low.shape, np.nan, dtype=self._dtype)

    @property
    def variance(self):
        width = self.high - self.low
        return width * width / 12.0

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, lambda g, shape: g.random(shape))
        return self.low + (self.high - self.low) * u

    def _log_prob(self, value):
        return -ops.log(self.high - self.low) + ops.zeros_like(value)

    def _cdf(self, value):
        return ops.clip((value - self.low) / (self.high - self.low), 0.0, 1.0)

    def _icdf(self, q):
        return self.low + q * (self.high - self.low)

    def entropy(self):
        return ops.log(self.high - self.low)


class Beta(Distribution):
    r"""The beta distribution with ``concentration1`` :math:`\alpha > 0` and ``concentration0`` :math:`\beta > 0`
    (PyTorch's names: :math:`\alpha` weighs 1, :math:`\beta` weighs 0).

    .. math:: p(x) = \frac{x^{\alpha-1}(1 - x)^{\beta-1}}{B(\alpha, \beta)},\qquad F(x) = I_x(\alpha, \beta),\qquad 0 \le x \le 1

    Mean :math:`\alpha/(\alpha + \beta)`; variance
    :math:`\alpha\beta/((\alpha+\beta)^2(\alpha+\beta+1))`; mode
    :math:`(\alpha - 1)/(\alpha + \beta - 2)` for :math:`\alpha, \beta > 1` (NaN otherwise); entropy
    :math:`\log B(\alpha, \beta) - (\alpha-1)\psi(\alpha) - (\beta-1)\psi(\beta) + (\alpha+\beta-2)\psi(\alpha+\beta)`.
    ``rsample``: :math:`x = I^{-1}_u(\alpha, \beta)` (``betaincinv``), :math:`u \sim U(0, 1)`, implicitly
    reparameterized: :math:`\partial x/\partial\alpha = -\partial_\alpha I_x(\alpha, \beta)/p(x)` and the same in
    :math:`\beta` (see :mod:`chainrule.distributions.gamma`), computed in float64 and kept inside
    :math:`(0, 1)`.  ``cdf`` and ``icdf`` are differentiable in every argument.
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.closed_unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        self._dtype = self.concentration1.dtype
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        peaked = (a > 1) & (b > 1)
        return ops.where(peaked, (a - 1.0) / ops.where(peaked, a + b - 2.0, 1.0), np.nan)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total * total * (total + 1.0))

    def _sample(self, shape, rng):
        a = np.broadcast_to(np.asarray(self.concentration1.detach().numpy()), shape)
        b = np.broadcast_to(np.asarray(self.concentration0.detach().numpy()), shape)
        return ops.as_tensor(rng.beta(a, b).astype(self._dtype))

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, open_uniform, dtype=np.float64)
        a, b = (ops.astype(c, np.float64) for c in (self.concentration1, self.concentration0))
        x = ops.astype(incomplete.betaincinv(a, b, u), self._dtype)
        # a draw at an end of [0, 1] (concentrations far below 1) is moved just inside
        finfo = np.finfo(self._dtype)
        return ops.clip(x, float(finfo.tiny), 1.0 - float(finfo.epsneg))

    def _log_prob(self, value):
        a, b = self.concentration1, self.concentration0
        return special.xlogy(a - 1.0, value) + special.xlog1py(b - 1.0, -value) - special.betaln(a, b)

    def _cdf(self, value):
        return incomplete.betainc(self.concentration1, self.concentration0, ops.clip(value, 0.0, 1.0))

    def _icdf(self, q):
        return incomplete.betaincinv(self.concentration1, self.concentration0, q)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return (special.betaln(a, b) - (a - 1.0) * special.digamma(a) - (b - 1.0) * special.digamma(b)
                + (a + b - 2.0) * special.digamma(a + b))
