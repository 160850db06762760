r"""Location–scale families on the real line with heavier tails than the normal: Laplace,
Cauchy, logistic and Student's t.

Each is :math:`X = \mu + s\,Z` for a standard variable :math:`Z`, so
:math:`p(x) = p_Z(z)/s` with :math:`z = (x - \mu)/s`, :math:`F(x) = F_Z(z)` and
:math:`F^{-1}(q) = \mu + s F_Z^{-1}(q)`; ``rsample`` pushes parameter-free noise through
:math:`F_Z^{-1}` or an equivalent transformation.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops import incomplete, special
from . import constraints
from .distribution import Distribution, broadcast_all, generator
from .gamma import open_uniform, standard_gamma


class _LocationScale(Distribution):
    r"""A location–scale family on the real line, :math:`X = \mu + s\,Z` with ``loc`` :math:`\mu`
    and ``scale`` :math:`s > 0`, symmetric about its mode :math:`\mu` (the normal of
    :mod:`.normal` is one too)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        self._dtype = self.loc.dtype
        super().__init__(self.loc.shape, validate_args=validate_args)

    def _z(self, value):
        return (value - self.loc) / self.scale

    @property
    def mode(self):
        return self.loc


class Laplace(_LocationScale):
    r"""The Laplace (double exponential) distribution, ``loc`` :math:`\mu`, ``scale`` :math:`b > 0`.

    .. math::

        p(x) = \frac{1}{2b} e^{-|x - \mu|/b},\qquad
        F(x) = \tfrac12 - \tfrac12\operatorname{sign}(x - \mu)\,\big(e^{-|x-\mu|/b} - 1\big)

    Support :math:`\mathbb R`; mean and mode :math:`\mu`; variance :math:`2b^2`; entropy
    :math:`1 + \log 2b`.  The derivative of :math:`|x - \mu|` at :math:`x = \mu` is 0 (the
    convention of ``abs``).  ``rsample``: :math:`x = \mu - b\,\operatorname{sign}(u)\log(1 - |u|)`,
    :math:`u \sim U(-1, 1)`.
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2.0 * self.scale * self.scale

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, lambda g, shape: g.uniform(-1.0, 1.0, shape))
        return self.loc - self.scale * ops.sign(u) * ops.log1p(-ops.abs(u))

    def _log_prob(self, value):
        return -ops.log(2.0 * self.scale) - ops.abs(self._z(value))

    def _cdf(self, value):
        z = self._z(value)
        return 0.5 - 0.5 * ops.sign(z) * ops.expm1(-ops.abs(z))

    def _icdf(self, q):
        centred = q - 0.5
        return self.loc - self.scale * ops.sign(centred) * ops.log1p(-2.0 * ops.abs(centred))

    def entropy(self):
        return 1.0 + ops.log(2.0 * self.scale)


class Cauchy(_LocationScale):
    r"""The Cauchy distribution, ``loc`` :math:`x_0`, ``scale`` :math:`\gamma > 0`.

    .. math::

        p(x) = \frac{1}{\pi\gamma\,\big(1 + ((x - x_0)/\gamma)^2\big)},\qquad
        F(x) = \tfrac12 + \tfrac1\pi\arctan\frac{x - x_0}{\gamma}

    Support :math:`\mathbb R`; mode and median :math:`x_0`; the mean does not exist (NaN) and
    the variance is infinite (PyTorch's values); entropy :math:`\log(4\pi\gamma)`.
    ``rsample``: :math:`x = x_0 + \gamma\tan(\pi(u - \tfrac12))`.
    """

    @property
    def mean(self):
        return ops.full(self.loc.shape, np.nan, dtype=self._dtype)

    @property
    def variance(self):
        return ops.full(self.loc.shape, np.inf, dtype=self._dtype)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_cauchy(shape))
        return self.loc + self.scale * eps

    def _log_prob(self, value):
        z = self._z(value)
        return -math.log(math.pi) - ops.log(self.scale) - ops.log1p(z * z)

    def _cdf(self, value):
        return 0.5 + ops.arctan(self._z(value)) / math.pi

    def _icdf(self, q):
        return self.loc + self.scale * ops.tan(math.pi * (q - 0.5))

    def entropy(self):
        return math.log(4.0 * math.pi) + ops.log(self.scale)


class Logistic(_LocationScale):
    r"""The logistic distribution, ``loc`` :math:`\mu`, ``scale`` :math:`s > 0` (PyTorch has none;
    SciPy's ``logistic``).

    .. math::

        p(x) = \frac{e^{-z}}{s\,(1 + e^{-z})^2},\qquad F(x) = \sigma(z),\qquad z = \frac{x - \mu}{s}

    Support :math:`\mathbb R`; mean and mode :math:`\mu`; variance :math:`s^2\pi^2/3`; entropy
    :math:`\log s + 2`.  The log density is :math:`-z - \log s - 2\operatorname{softplus}(-z)`,
    which never overflows.  ``rsample``: :math:`x = \mu + s\log\frac{u}{1 - u}`.
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return self.scale * self.scale * (math.pi ** 2 / 3.0)

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, lambda g, shape: g.uniform(0.0, 1.0, shape))
        return self._icdf(u)

    def _log_prob(self, value):
        z = self._z(value)
        return -z - ops.log(self.scale) - 2.0 * ops.softplus(-z)

    def _cdf(self, value):
        return ops.sigmoid(self._z(value))

    def _icdf(self, q):
        return self.loc + self.scale * (ops.log(q) - ops.log1p(-q))

    def entropy(self):
        return ops.log(self.scale) + 2.0


class StudentT(Distribution):
    r"""Student's t distribution with ``df`` :math:`\nu > 0`, ``loc`` :math:`\mu`, ``scale`` :math:`\sigma > 0`.

    .. math::

        p(x) = \frac{\Gamma(\frac{\nu+1}{2})}{\Gamma(\frac\nu2)\sqrt{\nu\pi}\,\sigma}
               \Big(1 + \frac{z^2}{\nu}\Big)^{-\frac{\nu+1}{2}},\qquad z = \frac{x - \mu}{\sigma},
        \qquad F(x) = F_\nu(z)

    Support :math:`\mathbb R`; mean :math:`\mu` for :math:`\nu > 1` (else NaN); variance
    :math:`\sigma^2\nu/(\nu - 2)` for :math:`\nu > 2`, :math:`\infty` for :math:`1 < \nu \le 2`,
    NaN otherwise; mode :math:`\mu`; entropy
    :math:`\frac{\nu+1}{2}\big(\psi(\frac{\nu+1}{2}) - \psi(\frac\nu2)\big) + \log\sqrt\nu + \log B(\frac\nu2, \frac12) + \log\sigma`.
    ``rsample``: :math:`x = \mu + \sigma z\sqrt{\nu/(2g)}` with :math:`z \sim N(0, 1)` and
    :math:`g \sim \mathrm{Gamma}(\nu/2, 1)` (so :math:`2g \sim \chi^2_\nu`), the gamma draw implicitly
    reparameterized in :math:`\nu` (see :mod:`chainrule.distributions.gamma`).  ``cdf`` and
    ``icdf`` are differentiable in every argument.
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._dtype = self.df.dtype
        super().__init__(self.df.shape, validate_args=validate_args)

    @property
    def mean(self):
        return ops.where(self.df > 1, self.loc, np.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = df > 2
        safe = ops.where(finite, df, 3.0)
        value = self.scale * self.scale * safe / (safe - 2.0)
        return ops.where(finite, value, ops.where(df > 1, np.inf, np.nan))

    def _sample(self, shape, rng):
        df, loc, scale = (np.asarray(t.detach().numpy()) for t in (self.df, self.loc, self.scale))
        return ops.as_tensor((loc + scale * rng.standard_t(np.broadcast_to(df, shape))).astype(self._dtype))

    def rsample(self, sample_shape=(), rng=None):
        rng = generator(rng)           # one generator for both noises (a seed would repeat itself)
        z = self._noise(sample_shape, rng, lambda g, shape: g.standard_normal(shape), dtype=np.float64)
        u = self._noise(sample_shape, rng, open_uniform, dtype=np.float64)
        df = ops.astype(self.df, np.float64)
        t = z * ops.sqrt(df / (2.0 * standard_gamma(0.5 * df, u)))
        return self.loc + self.scale * ops.astype(t, self._dtype)

    def _log_prob(self, value):
        z = (value - self.loc) / self.scale
        half = 0.5 * (self.df + 1.0)
        return (special.gammaln(half) - special.gammaln(0.5 * self.df) - 0.5 * ops.log(self.df * math.pi)
                - ops.log(self.scale) - half * ops.log1p(z * z / self.df))

    def _cdf(self, value):
        return incomplete.stdtr(self.df, (value - self.loc) / self.scale)

    def _icdf(self, q):
        return self.loc + self.scale * incomplete.stdtrit(self.df, q)

    def entropy(self):
        df = self.df
        half = 0.5 * (df + 1.0)
        return (half * (special.digamma(half) - special.digamma(0.5 * df)) + 0.5 * ops.log(df)
                + special.betaln(0.5 * df, ops.full_like(df, 0.5)) + ops.log(self.scale))
