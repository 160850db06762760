r"""Compound distributions: a parameter drawn from one distribution, the data from another
(the posterior predictive distributions of conjugate models, :mod:`chainrule.bayes`)."""
from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import special
from . import constraints
from .distribution import DiscreteIntegerMixin, Distribution, broadcast_all, concrete


class BetaBinomial(DiscreteIntegerMixin, Distribution):
    r"""The number of successes in ``total_count`` :math:`n` trials whose success probability is
    :math:`\mathrm{Beta}(\alpha, \beta)` (``concentration1`` :math:`\alpha`, ``concentration0`` :math:`\beta`).

    .. math:: P(k) = \binom nk \frac{B(k + \alpha, n - k + \beta)}{B(\alpha, \beta)},\qquad k \in \{0, \dots, n\}

    Mean :math:`n\alpha/(\alpha + \beta)`; variance
    :math:`n\alpha\beta(\alpha + \beta + n)/((\alpha + \beta)^2(\alpha + \beta + 1))`; entropy by summation.
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive,
                       "total_count": constraints.nonnegative_integer}

    def __init__(self, concentration1, concentration0, total_count=1, validate_args=None):
        self.concentration1, self.concentration0, self.total_count = broadcast_all(
            concentration1, concentration0, total_count)
        self._dtype = self.concentration1.dtype
        super().__init__(self.concentration1.shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def _support_end(self):
        return np.broadcast_to(concrete(self.total_count), self._batch_shape)

    @property
    def mean(self):
        a, b = self.concentration1, self.concentration0
        return self.total_count * a / (a + b)

    @property
    def variance(self):
        a, b, n = self.concentration1, self.concentration0, self.total_count
        total = a + b
        return n * a * b * (total + n) / (total * total * (total + 1.0))

    def _sample(self, shape, rng):
        a = np.broadcast_to(concrete(self.concentration1), shape)
        b = np.broadcast_to(concrete(self.concentration0), shape)
        n = np.broadcast_to(concrete(self.total_count), shape).astype(np.int64)
        return ops.as_tensor(rng.binomial(n, rng.beta(a, b)).astype(self._dtype))

    def _log_prob(self, value):
        a, b, n = self.concentration1, self.concentration0, self.total_count
        log_choose = special.gammaln(n + 1.0) - special.gammaln(value + 1.0) - special.gammaln(n - value + 1.0)
        return log_choose + special.betaln(value + a, n - value + b) - special.betaln(a, b)

    def _cdf(self, value):
        n = self.total_count
        k = ops.floor(value)
        last = int(np.max(concrete(n))) if n.size else 0
        ks = ops.as_tensor(np.arange(last + 1, dtype=self._dtype).reshape((-1,) + (1,) * len(self._batch_shape)))
        inside = ks <= n
        mass = ops.where(inside, ops.exp(self._log_prob(ops.where(inside, ks, 0.0))), 0.0)
        cumulative = ops.cumsum(mass, axis=0)                                   # F(0), F(1), ..., F(last)
        index = ops.astype(ops.clip(k, 0.0, float(last)), np.int64)
        shape = np.broadcast_shapes(tuple(index.shape), self._batch_shape)
        table = ops.broadcast_to(ops.moveaxis(cumulative, 0, -1), shape + (last + 1,))
        picked = ops.take_along_axis(table, ops.expand_dims(ops.broadcast_to(index, shape), -1), axis=-1)[..., 0]
        return ops.where(k < 0, 0.0, ops.where(k >= n, 1.0, picked))

    def entropy(self):
        n = self.total_count
        last = int(np.max(concrete(n))) if n.size else 0
        ks = ops.as_tensor(np.arange(last + 1, dtype=self._dtype).reshape((-1,) + (1,) * len(self._batch_shape)))
        inside = ks <= n
        mass = ops.exp(self._log_prob(ops.where(inside, ks, 0.0)))
        return -ops.sum(ops.where(inside, special.xlogy(mass, mass), 0.0), axis=0)
