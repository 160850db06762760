r"""Counts: Bernoulli, binomial, geometric, negative binomial and Poisson.

Distributions with a success probability take ``probs`` :math:`p` or ``logits``
:math:`\ell = \log\frac{p}{1-p}` (exactly one), as in PyTorch; the one given is the parameter
(validated, differentiated) and the other is derived.  The log mass is computed from the
one given: from ``probs`` with ``xlogy``/``xlog1py`` (so :math:`p \in \{0, 1\}` is exact), from
``logits`` with softplus (so large :math:`|\ell|` never overflows).

Distribution functions of the integer counts use the regularized incomplete functions:
:math:`P(K \le k)` is ``betainc`` (binomial, negative binomial) or ``gammaincc`` (Poisson),
differentiable in the probability or rate.  Quantiles are found by bisection on the
distribution function (they are integers, so not differentiable).  Entropies without a
closed form (binomial, negative binomial, Poisson) are sums over the support, truncated
where the remaining mass is below :math:`10^{-14}`; they are differentiable.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import incomplete, special
from . import constraints
from .distribution import DiscreteIntegerMixin, Distribution, broadcast_all, cached_property, concrete


def _one_of(cls: str, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{cls}: give exactly one of probs or logits")


def _numpy(t):
    return np.asarray(t.detach().numpy())


class _BinaryParameter(Distribution):
    """Shared by the distributions with one success probability, given as ``probs`` or ``logits``."""

    def _set_probability(self, probs, logits, *others):
        _one_of(type(self).__name__, probs, logits)
        self._from_logits = logits is not None
        values = broadcast_all(logits if self._from_logits else probs, *others)
        if self._from_logits:
            self.logits = values[0]
        else:
            self.probs = values[0]
        self._dtype = values[0].dtype
        return values[1:]

    @cached_property
    def probs(self):
        return ops.sigmoid(self.logits)

    @cached_property
    def logits(self):
        return ops.log(self.probs) - ops.log1p(-self.probs)

    def _log_p(self):
        """:math:`\\log p`, from whichever parameter was given."""
        return -ops.softplus(-self.logits) if self._from_logits else ops.log(self.probs)

    def _log_q(self):
        """:math:`\\log(1 - p)`."""
        return -ops.softplus(self.logits) if self._from_logits else ops.log1p(-self.probs)

    def _xlog_p(self, x):
        """:math:`x\\log p` with :math:`0\\log 0 = 0`."""
        return -x * ops.softplus(-self.logits) if self._from_logits else special.xlogy(x, self.probs)

    def _xlog_q(self, x):
        """:math:`x\\log(1 - p)` with :math:`0\\log 0 = 0`."""
        return -x * ops.softplus(self.logits) if self._from_logits else special.xlog1py(x, -self.probs)

    @property
    def _shape(self):
        return tuple((self.logits if self._from_logits else self.probs).shape)

    def _entropy_by_summation(self, last, upper=None):
        r""":math:`-\sum_{k=0}^{K} p(k)\log p(k)` with :math:`K` = ``last`` (an int), and terms with
        :math:`k >` ``upper`` (a tensor, if given) left out."""
        ks = ops.as_tensor(np.arange(last + 1, dtype=self._dtype).reshape((-1,) + (1,) * len(self._batch_shape)))
        if upper is None:
            log_mass = self._log_prob(ks)
            mask = None
        else:
            mask = ks <= upper
            log_mass = self._log_prob(ops.where(mask, ks, 0.0))
        mass = ops.exp(log_mass)
        terms = special.xlogy(mass, mass)
        if mask is not None:
            terms = ops.where(mask, terms, 0.0)
        return -ops.sum(terms, axis=0)


class Bernoulli(_BinaryParameter):
    r"""The Bernoulli distribution: 1 with probability :math:`p` (``probs``, or ``logits``), else 0.

    .. math:: P(x) = p^x (1 - p)^{1-x},\qquad x \in \{0, 1\}

    Mean :math:`p`; variance :math:`p(1 - p)`; mode :math:`[p > \tfrac12]` (NaN at :math:`p = \tfrac12`);
    entropy :math:`-p\log p - (1 - p)\log(1 - p)`.  With logits the log mass is
    :math:`x\ell - \operatorname{softplus}(\ell)` (minus the binary cross-entropy with logits).
    """

    arg_constraints = {"probs": constraints.closed_unit_interval, "logits": constraints.real}
    support = constraints.boolean

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probability(probs, logits)
        super().__init__(self._shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1.0 - self.probs)

    @property
    def mode(self):
        p = self.probs
        return ops.where(p == 0.5, np.nan, ops.astype(p > 0.5, self._dtype))

    def _sample(self, shape, rng):
        return ops.as_tensor((rng.random(shape) < _numpy(self.probs)).astype(self._dtype))

    def _log_prob(self, value):
        if self._from_logits:
            return value * self.logits - ops.softplus(self.logits)
        return self._xlog_p(value) + self._xlog_q(1.0 - value)

    def _cdf(self, value):
        q = 1.0 - self.probs
        return ops.where(value < 0, 0.0, ops.where(value < 1, q, 1.0))

    def _icdf(self, q):
        return ops.astype(q > 1.0 - self.probs, self._dtype)

    def entropy(self):
        if self._from_logits:
            return ops.softplus(self.logits) - self.probs * self.logits
        p = self.probs
        return -(special.xlogy(p, p) + special.xlog1py(1.0 - p, -p))


class Binomial(DiscreteIntegerMixin, _BinaryParameter):
    r"""The number of successes in ``total_count`` :math:`n` independent trials with success
    probability :math:`p` (``probs``, or ``logits``).

    .. math:: P(k) = \binom nk p^k (1 - p)^{n-k},\qquad k \in \{0, \dots, n\},\qquad
              F(k) = I_{1-p}(n - k, k + 1)

    Mean :math:`np`; variance :math:`np(1 - p)`; mode :math:`\min(\lfloor(n + 1)p\rfloor, n)`;
    entropy by summation over the support.
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.closed_unit_interval, "logits": constraints.real}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (self.total_count,) = self._set_probability(probs, logits, total_count)
        super().__init__(self._shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def _support_end(self):
        return np.broadcast_to(_numpy(self.total_count), self._batch_shape)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def variance(self):
        return self.total_count * self.probs * (1.0 - self.probs)

    @property
    def mode(self):
        return ops.minimum(ops.floor((self.total_count + 1.0) * self.probs), self.total_count)

    def _sample(self, shape, rng):
        n = np.broadcast_to(_numpy(self.total_count), shape).astype(np.int64)
        return ops.as_tensor(rng.binomial(n, np.broadcast_to(_numpy(self.probs), shape)).astype(self._dtype))

    def _log_prob(self, value):
        n = self.total_count
        log_choose = special.gammaln(n + 1.0) - special.gammaln(value + 1.0) - special.gammaln(n - value + 1.0)
        return log_choose + self._xlog_p(value) + self._xlog_q(n - value)

    def _cdf(self, value):
        n = self.total_count
        k = ops.floor(value)
        inside = (k >= 0) & (k < n)
        a = ops.where(inside, n - k, 1.0)
        b = ops.where(inside, k + 1.0, 1.0)
        q = ops.sigmoid(-self.logits) if self._from_logits else 1.0 - self.probs
        return ops.where(inside, incomplete.betainc(a, b, q), ops.where(k < 0, 0.0, 1.0))

    def entropy(self):
        last = int(np.max(concrete(self.total_count))) if self.total_count.size else 0
        return self._entropy_by_summation(last, upper=self.total_count)


class Geometric(_BinaryParameter):
    r"""The number of failures before the first success, success probability :math:`p` (``probs``, or ``logits``).

    .. math:: P(k) = (1 - p)^k p,\qquad k \in \{0, 1, \dots\},\qquad F(k) = 1 - (1 - p)^{k+1}

    Mean :math:`(1 - p)/p`; variance :math:`(1 - p)/p^2`; mode 0; entropy
    :math:`\big(-(1 - p)\log(1 - p) - p\log p\big)/p`.  (SciPy's ``geom`` counts trials, one more.)
    """

    arg_constraints = {"probs": constraints.open_closed_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probability(probs, logits)
        super().__init__(self._shape, validate_args=validate_args)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def variance(self):
        return (1.0 - self.probs) / (self.probs * self.probs)

    @property
    def mode(self):
        return ops.zeros_like(self.probs)

    def _sample(self, shape, rng):
        p = np.broadcast_to(_numpy(self.probs), shape)
        return ops.as_tensor((rng.geometric(p) - 1).astype(self._dtype))

    def _log_prob(self, value):
        return self._xlog_q(value) + self._log_p()

    def _cdf(self, value):
        k = ops.floor(value)
        nonnegative = k >= 0
        safe = ops.where(nonnegative, k, 0.0)
        return ops.where(nonnegative, -ops.expm1(self._xlog_q(safe + 1.0)), 0.0)

    def _icdf(self, q):
        # the smallest k with 1 - (1-p)^(k+1) >= q
        k = ops.ceil(ops.log1p(-q) / self._log_q() - 1.0)
        return ops.maximum(k, 0.0)

    def entropy(self):
        p = self.probs
        if self._from_logits:
            bernoulli = ops.softplus(self.logits) - p * self.logits
        else:
            bernoulli = -(special.xlogy(p, p) + special.xlog1py(1.0 - p, -p))
        return bernoulli / p


class NegativeBinomial(DiscreteIntegerMixin, _BinaryParameter):
    r"""The number of successes before ``total_count`` :math:`r` failures, success probability
    :math:`p` (``probs``, or ``logits``); PyTorch's parameterization (SciPy's ``nbinom(r, 1 - p)``).

    .. math:: P(k) = \frac{\Gamma(k + r)}{k!\,\Gamma(r)} p^k (1 - p)^r,\qquad k \in \{0, 1, \dots\},
              \qquad F(k) = I_{1-p}(r, k + 1)

    Mean :math:`rp/(1 - p)`; variance :math:`rp/(1 - p)^2`; mode
    :math:`\lfloor (r - 1)p/(1 - p)\rfloor` for :math:`r > 1` (else 0); entropy by summation.
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0.0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (self.total_count,) = self._set_probability(probs, logits, total_count)
        super().__init__(self._shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.total_count * ops.exp(self._log_p() - self._log_q())

    @property
    def variance(self):
        return self.mean / ops.exp(self._log_q())

    @property
    def mode(self):
        r = self.total_count
        return ops.maximum(ops.floor((r - 1.0) * ops.exp(self._log_p() - self._log_q())), 0.0)

    def _sample(self, shape, rng):
        r = np.broadcast_to(_numpy(self.total_count), shape)
        failure = np.broadcast_to(1.0 - _numpy(self.probs), shape)
        return ops.as_tensor(rng.negative_binomial(r, failure).astype(self._dtype))

    def _log_prob(self, value):
        r = self.total_count
        log_choose = special.gammaln(value + r) - special.gammaln(value + 1.0) - special.gammaln(r)
        return log_choose + self._xlog_q(r) + self._xlog_p(value)

    def _cdf(self, value):
        k = ops.floor(value)
        nonnegative = k >= 0
        q = ops.sigmoid(-self.logits) if self._from_logits else 1.0 - self.probs
        b = ops.where(nonnegative, k, 0.0) + 1.0
        return ops.where(nonnegative, incomplete.betainc(self.total_count, b, q), 0.0)

    def entropy(self):
        mean, sd = _numpy(self.mean), np.sqrt(_numpy(self.variance))
        decay = -np.log(np.maximum(_numpy(self.probs), 1e-300))
        last = int(np.max(mean + 20.0 * sd + 34.0 / decay)) + 30
        return self._entropy_by_summation(last)


class Poisson(DiscreteIntegerMixin, Distribution):
    r"""The Poisson distribution with ``rate`` :math:`\lambda \ge 0`.

    .. math:: P(k) = \frac{\lambda^k e^{-\lambda}}{k!},\qquad k \in \{0, 1, \dots\},\qquad F(k) = Q(k + 1, \lambda)

    Mean and variance :math:`\lambda`; mode :math:`\lfloor\lambda\rfloor`; entropy by summation
    over :math:`k \le \lambda + 20\sqrt\lambda + 30` (no closed form).
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        self._dtype = self.rate.dtype
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def variance(self):
        return self.rate

    @property
    def mode(self):
        return ops.floor(self.rate)

    def _sample(self, shape, rng):
        return ops.as_tensor(rng.poisson(np.broadcast_to(_numpy(self.rate), shape)).astype(self._dtype))

    def _log_prob(self, value):
        return special.xlogy(value, self.rate) - self.rate - special.gammaln(value + 1.0)

    def _cdf(self, value):
        k = ops.floor(value)
        nonnegative = k >= 0
        return ops.where(nonnegative, incomplete.gammaincc(ops.where(nonnegative, k, 0.0) + 1.0, self.rate), 0.0)

    def entropy(self):
        rate = _numpy(self.rate)
        last = int(np.max(rate + 20.0 * np.sqrt(rate))) + 30 if rate.size else 0
        ks = ops.as_tensor(np.arange(last + 1, dtype=self._dtype).reshape((-1,) + (1,) * len(self._batch_shape)))
        mass = ops.exp(self._log_prob(ks))
        return -ops.sum(special.xlogy(mass, mass), axis=0)

