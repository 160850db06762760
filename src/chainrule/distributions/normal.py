r"""The normal distribution and its relatives: log-normal, half-normal, truncated normal.

Every density here is built from :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}` and
:math:`\Phi(z)` (``ndtr``), with :math:`z = (x - \mu)/\sigma`; tails are computed in log
space (``log_ndtr``), so that a truncation far out in a tail stays finite.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops import special
from . import constraints
from .distribution import Distribution, broadcast_all
from .location_scale import _LocationScale

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class Normal(_LocationScale):
    r"""The normal (Gaussian) distribution :math:`\mathcal N(\mu, \sigma^2)`, ``loc`` :math:`\mu`, ``scale`` :math:`\sigma > 0`.

    .. math::

        p(x) = \frac{1}{\sigma\sqrt{2\pi}} \exp\Big(-\frac{(x - \mu)^2}{2\sigma^2}\Big),\qquad
        F(x) = \Phi\Big(\frac{x - \mu}{\sigma}\Big)

    Support :math:`\mathbb R`; mean and mode :math:`\mu`; variance :math:`\sigma^2`; entropy
    :math:`\tfrac12\log(2\pi e\sigma^2)`.  ``rsample``: :math:`x = \mu + \sigma\varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, 1)`.
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale * self.scale

    @property
    def stddev(self):
        return self.scale

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_normal(shape))
        return self.loc + self.scale * eps

    def _log_prob(self, value):
        z = self._z(value)
        return -0.5 * (z * z) - ops.log(self.scale) - _HALF_LOG_2PI

    def _cdf(self, value):
        return special.ndtr(self._z(value))

    def _icdf(self, q):
        return self.loc + self.scale * special.ndtri(q)

    def entropy(self):
        return 0.5 + _HALF_LOG_2PI + ops.log(self.scale) + ops.zeros_like(self.loc)


class LogNormal(Distribution):
    r"""The log-normal distribution: :math:`\log X \sim \mathcal N(\mu, \sigma^2)` (``loc``, ``scale``).

    .. math::

        p(x) = \frac{1}{x\sigma\sqrt{2\pi}} \exp\Big(-\frac{(\log x - \mu)^2}{2\sigma^2}\Big),\qquad
        F(x) = \Phi\Big(\frac{\log x - \mu}{\sigma}\Big)

    Support :math:`(0, \infty)`; mean :math:`e^{\mu + \sigma^2/2}`; variance
    :math:`(e^{\sigma^2} - 1)e^{2\mu + \sigma^2}`; mode :math:`e^{\mu - \sigma^2}`; entropy
    :math:`\mu + \tfrac12\log(2\pi e\sigma^2)`.  ``rsample``: :math:`x = e^{\mu + \sigma\varepsilon}`.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        self._dtype = self.loc.dtype
        self.base_dist = Normal(self.loc, self.scale, validate_args=False)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def mean(self):
        return ops.exp(self.loc + 0.5 * self.scale * self.scale)

    @property
    def mode(self):
        return ops.exp(self.loc - self.scale * self.scale)

    @property
    def variance(self):
        s2 = self.scale * self.scale
        return ops.expm1(s2) * ops.exp(2.0 * self.loc + s2)

    def rsample(self, sample_shape=(), rng=None):
        return ops.exp(self.base_dist.rsample(sample_shape, rng))

    def _log_prob(self, value):
        log_value = ops.log(value)
        return self.base_dist._log_prob(log_value) - log_value

    def _cdf(self, value):
        positive = value > 0
        safe = ops.where(positive, value, 1.0)
        return ops.where(positive, self.base_dist._cdf(ops.log(safe)), 0.0)

    def _icdf(self, q):
        return ops.exp(self.base_dist._icdf(q))

    def entropy(self):
        return self.base_dist.entropy() + self.loc


class HalfNormal(Distribution):
    r"""The half-normal distribution: :math:`|Y|` for :math:`Y \sim \mathcal N(0, \sigma^2)` (``scale``).

    .. math::

        p(x) = \frac{\sqrt2}{\sigma\sqrt\pi} \exp\Big(-\frac{x^2}{2\sigma^2}\Big),\qquad
        F(x) = \operatorname{erf}\Big(\frac{x}{\sigma\sqrt2}\Big),\qquad x \ge 0

    Support :math:`[0, \infty)`; mean :math:`\sigma\sqrt{2/\pi}`; variance
    :math:`\sigma^2(1 - 2/\pi)`; mode 0; entropy :math:`\tfrac12\log(\pi\sigma^2/2) + \tfrac12`.
    ``rsample``: :math:`x = \sigma|\varepsilon|`.
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self._dtype = self.scale.dtype
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2.0 / math.pi)

    @property
    def mode(self):
        return ops.zeros_like(self.scale)

    @property
    def variance(self):
        return self.scale * self.scale * (1.0 - 2.0 / math.pi)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: np.abs(g.standard_normal(shape)))
        return self.scale * eps

    def _log_prob(self, value):
        z = value / self.scale
        return 0.5 * math.log(2.0 / math.pi) - ops.log(self.scale) - 0.5 * (z * z)

    def _cdf(self, value):
        return ops.erf(ops.maximum(value, 0.0) / (self.scale * math.sqrt(2.0)))

    def _icdf(self, q):
        return self.scale * special.ndtri(0.5 * (q + 1.0))

    def entropy(self):
        return 0.5 * math.log(0.5 * math.pi) + ops.log(self.scale) + 0.5


def _log_diff_ndtr(upper, lower):
    r""":math:`\log(\Phi(u) - \Phi(l))` for :math:`l < u`, accurate in both tails: in the right tail
    (:math:`l > 0`) it is computed as :math:`\log(\Phi(-l) - \Phi(-u))`, and the difference of two
    logs as :math:`\log\Phi(u) + \log(1 - e^{\log\Phi(l) - \log\Phi(u)})`."""
    right = lower > 0
    big = ops.where(right, -lower, upper)
    small = ops.where(right, -upper, lower)
    log_big, log_small = special.log_ndtr(big), special.log_ndtr(small)
    return log_big + ops.log(-ops.expm1(log_small - log_big))


class TruncatedNormal(Distribution):
    r"""The normal distribution :math:`\mathcal N(\mu, \sigma^2)` truncated to :math:`[a, b]`
    (``loc``, ``scale``, ``low``, ``high``; bounds may be :math:`\pm\infty`).

    With :math:`\alpha = (a - \mu)/\sigma`, :math:`\beta = (b - \mu)/\sigma` and
    :math:`Z = \Phi(\beta) - \Phi(\alpha)`:

    .. math::

        p(x) = \frac{\varphi(\frac{x - \mu}{\sigma})}{\sigma Z},\qquad
        F(x) = \frac{\Phi(\frac{x-\mu}{\sigma}) - \Phi(\alpha)}{Z},\qquad a \le x \le b

    Mean :math:`\mu + \sigma\frac{\varphi(\alpha) - \varphi(\beta)}{Z}`; variance
    :math:`\sigma^2\big[1 + \frac{\alpha\varphi(\alpha) - \beta\varphi(\beta)}{Z}
    - \big(\frac{\varphi(\alpha) - \varphi(\beta)}{Z}\big)^2\big]`; mode :math:`\operatorname{clip}(\mu, a, b)`;
    entropy :math:`\log(\sqrt{2\pi e}\,\sigma Z) + \frac{\alpha\varphi(\alpha) - \beta\varphi(\beta)}{2Z}`.
    ``rsample`` is the inverse distribution function of a uniform draw, differentiable in all
    four parameters.  :math:`\log Z` and the ratios :math:`\varphi/Z` are formed in log space.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "low": constraints.dependent, "high": constraints.dependent}
    has_rsample = True

    def __init__(self, loc, scale, low, high, validate_args=None):
        self.loc, self.scale, self.low, self.high = broadcast_all(loc, scale, low, high)
        self._dtype = self.loc.dtype
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _validate_dependent(self):
        self._require(self.low < self.high, "the bounds must satisfy low < high")

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    # Standardized bounds; an infinite bound is replaced by ±1000 standard deviations, where
    # phi and Phi are exactly 0 and 1, so that no inf * 0 appears in a value or a derivative.
    @property
    def _alpha(self):
        return self._standardized(self.low)

    @property
    def _beta(self):
        return self._standardized(self.high)

    def _standardized(self, bound):
        finite = ops.isfinite(bound)
        safe = ops.where(finite, bound, 0.0)
        return ops.where(finite, (safe - self.loc) / self.scale, ops.sign(bound) * 1000.0)

    @property
    def _log_z(self):
        return _log_diff_ndtr(self._beta, self._alpha)

    def _phi_over_z(self, z):
        return ops.exp(-0.5 * (z * z) - _HALF_LOG_2PI - self._log_z)

    @property
    def mean(self):
        return self.loc + self.scale * (self._phi_over_z(self._alpha) - self._phi_over_z(self._beta))

    @property
    def variance(self):
        a, b = self._alpha, self._beta
        pa, pb = self._phi_over_z(a), self._phi_over_z(b)
        return self.scale * self.scale * (1.0 + a * pa - b * pb - (pa - pb) * (pa - pb))

    @property
    def mode(self):
        return ops.minimum(ops.maximum(self.loc, self.low), self.high)

    def entropy(self):
        a, b = self._alpha, self._beta
        return (0.5 + _HALF_LOG_2PI + ops.log(self.scale) + self._log_z
                + 0.5 * (a * self._phi_over_z(a) - b * self._phi_over_z(b)))

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        return -0.5 * (z * z) - _HALF_LOG_2PI - ops.log(self.scale) - self._log_z

    def _cdf(self, value):
        z = ops.minimum(ops.maximum((value - self.loc) / self.scale, self._alpha), self._beta)
        # Phi(z) - Phi(alpha) over Z; where z = alpha the difference is 0 (log of it -inf), so
        # the log-difference is evaluated at a safe point there.
        above = z > self._alpha
        safe = ops.where(above, z, self._beta)
        ratio = ops.exp(_log_diff_ndtr(safe, self._alpha) - self._log_z)
        return ops.where(above, ratio, 0.0)

    def _icdf(self, q):
        a, b = self._alpha, self._beta
        # Invert on the side where Phi is not close to 1: for alpha > 0 use the mirror image.
        right = a > 0
        left_tail = special.ndtri(special.ndtr(a) + q * (special.ndtr(b) - special.ndtr(a)))
        right_tail = -special.ndtri(special.ndtr(-a) - q * (special.ndtr(-a) - special.ndtr(-b)))
        z = ops.where(right, right_tail, left_tail)
        return ops.minimum(ops.maximum(self.loc + self.scale * z, self.low), self.high)

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, lambda g, shape: g.uniform(0.0, 1.0, shape))
        return self._icdf(u)
