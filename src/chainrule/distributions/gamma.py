r"""Distributions of waiting times and sizes on :math:`(0, \infty)`: exponential, gamma,
chi-square, Weibull and Pareto.

The gamma distribution function is the regularized incomplete gamma function
:math:`P(\alpha, \beta x)` (``gammainc``), differentiable in :math:`x`, the rate and the
shape :math:`\alpha` (:mod:`chainrule.ops.incomplete`).

**Reparameterized gamma draws** (``rsample`` of :class:`Gamma`, :class:`Chi2`,
:class:`InverseGamma`, and through them :class:`~chainrule.distributions.Dirichlet` and
:class:`~chainrule.distributions.StudentT`) are *implicitly* reparameterized (Figurnov, Mohamed
and Mnih, 2018): a draw :math:`x` with distribution function :math:`F(x; \alpha)` moves with
:math:`\alpha` so that its probability level :math:`u = F(x; \alpha)` stays fixed,

.. math:: \frac{\partial x}{\partial\alpha} = -\frac{\partial F(x; \alpha)/\partial\alpha}{p(x; \alpha)},

the derivative of :math:`x = F^{-1}(u; \alpha)` by the implicit function theorem.  Here the
draw is exactly that, :math:`x = P^{-1}(\alpha, u)` (``gammaincinv``) for a uniform :math:`u`
(computed in float64 whatever the parameters' dtype, so that a :math:`u` near 1 is not
rounded to 1), and the derivative is ``gammaincinv``'s: its numerator comes from the series
and continued fractions of ``gammainc_da``, never from differentiating the root-finding
iterations.  PyTorch's ``Gamma.rsample`` has the same gradient with other noise
(``_standard_gamma_grad``).  ``sample`` keeps NumPy's faster gamma generator.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import incomplete, special
from . import constraints
from .distribution import Distribution, broadcast_all

_EULER_GAMMA = 0.5772156649015329
_TINY64 = float(np.finfo(np.float64).tiny)


def _numpy(t):
    return np.asarray(t.detach().numpy())


def open_uniform(generator, shape):
    """Uniform noise on the open interval (0, 1): NumPy's :math:`[0, 1)` with the point 0 (where
    a quantile function is an endpoint of the support) moved to :math:`2^{-54}`."""
    return np.maximum(generator.random(shape), 2.0 ** -54)


def standard_gamma(concentration, u):
    r"""Reparameterized Gamma(:math:`\alpha`, 1) draws :math:`x = P^{-1}(\alpha, u)` from float64
    uniform noise ``u``, in float64, differentiable in :math:`\alpha` (implicit reparameterization:
    see the module's notes).  A draw that underflows (:math:`\alpha \ll 1` and a small :math:`u`)
    is raised to the smallest normal float64, so that a log density or a normalization of it
    stays finite."""
    x = incomplete.gammaincinv(ops.astype(concentration, np.float64), u)
    return ops.maximum(x, _TINY64)


def positive_in(x, dtype):
    """``x`` (float64) in ``dtype``, at least the smallest normal number of ``dtype``."""
    return ops.maximum(ops.astype(x, dtype), float(np.finfo(dtype).tiny))


class Exponential(Distribution):
    r"""The exponential distribution with ``rate`` :math:`\lambda > 0`.

    .. math:: p(x) = \lambda e^{-\lambda x},\qquad F(x) = 1 - e^{-\lambda x},\qquad x \ge 0

    Support :math:`[0, \infty)`; mean :math:`1/\lambda`; variance :math:`1/\lambda^2`; mode 0;
    entropy :math:`1 - \log\lambda`.  ``rsample``: :math:`x = \varepsilon/\lambda`,
    :math:`\varepsilon \sim \mathrm{Exp}(1)`.
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        self._dtype = self.rate.dtype
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def mean(self):
        return 1.0 / self.rate

    @property
    def mode(self):
        return ops.zeros_like(self.rate)

    @property
    def variance(self):
        return 1.0 / (self.rate * self.rate)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_exponential(shape))
        return eps / self.rate

    def _log_prob(self, value):
        return ops.log(self.rate) - self.rate * value

    def _cdf(self, value):
        return -ops.expm1(-self.rate * ops.maximum(value, 0.0))

    def _icdf(self, q):
        return -ops.log1p(-q) / self.rate

    def entropy(self):
        return 1.0 - ops.log(self.rate)


class _FromStandardGamma(Distribution):
    r"""What the gamma and the inverse gamma share: the parameters ``concentration``
    :math:`\alpha > 0` and ``rate`` :math:`\beta > 0`, and draws built from a standard gamma
    variable :math:`G \sim \mathrm{Gamma}(\alpha, 1)` (the gamma is :math:`G/\beta`, the
    inverse gamma :math:`\beta/G`)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        self._dtype = self.rate.dtype
        super().__init__(self.rate.shape, validate_args=validate_args)

    def _numpy_standard_gamma(self, shape, rng):
        """:math:`G` of ``shape`` from NumPy's gamma generator (for ``sample``: faster, no gradient)."""
        return rng.standard_gamma(np.broadcast_to(_numpy(self.concentration), shape))

    def _reparameterized_standard_gamma(self, sample_shape, rng):
        r""":math:`G = P^{-1}(\alpha, u)` in float64, implicitly differentiable in :math:`\alpha`."""
        u = self._noise(sample_shape, rng, open_uniform, dtype=np.float64)
        return standard_gamma(self.concentration, u)


class Gamma(_FromStandardGamma):
    r"""The gamma distribution with ``concentration`` (shape) :math:`\alpha > 0` and ``rate`` :math:`\beta > 0`.

    .. math::

        p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)} x^{\alpha-1} e^{-\beta x},\qquad
        F(x) = P(\alpha, \beta x),\qquad x > 0

    Support :math:`(0, \infty)`; mean :math:`\alpha/\beta`; variance :math:`\alpha/\beta^2`; mode
    :math:`(\alpha - 1)/\beta` for :math:`\alpha \ge 1` (else 0); entropy
    :math:`\alpha - \log\beta + \log\Gamma(\alpha) + (1 - \alpha)\psi(\alpha)`.
    ``rsample``: :math:`x = P^{-1}(\alpha, u)/\beta`, :math:`u \sim U(0, 1)`, implicitly
    reparameterized in :math:`\alpha` (see the module's notes).  ``cdf`` and ``icdf`` are
    differentiable in every argument.
    """

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ops.maximum(self.concentration - 1.0, 0.0) / self.rate

    @property
    def variance(self):
        return self.concentration / (self.rate * self.rate)

    def _sample(self, shape, rng):
        return ops.as_tensor((self._numpy_standard_gamma(shape, rng) / _numpy(self.rate)).astype(self._dtype))

    def rsample(self, sample_shape=(), rng=None):
        return positive_in(self._reparameterized_standard_gamma(sample_shape, rng) / self.rate, self._dtype)

    def _log_prob(self, value):
        a = self.concentration
        return special.xlogy(a, self.rate) + special.xlogy(a - 1.0, value) - self.rate * value - special.gammaln(a)

    def _cdf(self, value):
        return incomplete.gammainc(self.concentration, self.rate * ops.maximum(value, 0.0))

    def _icdf(self, q):
        return incomplete.gammaincinv(self.concentration, q) / self.rate

    def entropy(self):
        a = self.concentration
        return a - ops.log(self.rate) + special.gammaln(a) + (1.0 - a) * special.digamma(a)


class Chi2(Gamma):
    r"""The chi-square distribution with ``df`` :math:`k > 0` degrees of freedom: :math:`\mathrm{Gamma}(k/2, 1/2)`.

    .. math:: p(x) = \frac{x^{k/2 - 1} e^{-x/2}}{2^{k/2}\Gamma(k/2)},\qquad F(x) = P(k/2, x/2),\qquad x > 0

    Mean :math:`k`; variance :math:`2k`; mode :math:`\max(k - 2, 0)`; entropy
    :math:`\frac k2 + \log 2 + \log\Gamma(\frac k2) + (1 - \frac k2)\psi(\frac k2)`.
    ``rsample`` is :class:`Gamma`'s, differentiable in :math:`k`.
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (self.df,) = broadcast_all(df)
        super().__init__(0.5 * self.df, ops.full_like(self.df, 0.5), validate_args=validate_args)


class Weibull(Distribution):
    r"""The Weibull distribution with ``scale`` :math:`\lambda > 0` and ``concentration`` :math:`k > 0`.

    .. math::

        p(x) = \frac{k}{\lambda}\Big(\frac x\lambda\Big)^{k-1} e^{-(x/\lambda)^k},\qquad
        F(x) = 1 - e^{-(x/\lambda)^k},\qquad x \ge 0

    Support :math:`[0, \infty)`; mean :math:`\lambda\Gamma(1 + 1/k)`; variance
    :math:`\lambda^2[\Gamma(1 + 2/k) - \Gamma(1 + 1/k)^2]`; mode
    :math:`\lambda((k-1)/k)^{1/k}` for :math:`k > 1` (else 0); entropy
    :math:`\gamma(1 - 1/k) + \log(\lambda/k) + 1` (:math:`\gamma` Euler's constant).
    ``rsample``: :math:`x = \lambda\,\varepsilon^{1/k}`, :math:`\varepsilon \sim \mathrm{Exp}(1)`.
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self._dtype = self.scale.dtype
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * ops.exp(special.gammaln(1.0 + 1.0 / self.concentration))

    @property
    def variance(self):
        k = self.concentration
        first = ops.exp(special.gammaln(1.0 + 1.0 / k))
        return self.scale * self.scale * (ops.exp(special.gammaln(1.0 + 2.0 / k)) - first * first)

    @property
    def mode(self):
        k = self.concentration
        peaked = k > 1
        safe = ops.where(peaked, k, 2.0)
        return ops.where(peaked, self.scale * ((safe - 1.0) / safe) ** (1.0 / safe), 0.0)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_exponential(shape))
        return self.scale * eps ** (1.0 / self.concentration)

    def _log_prob(self, value):
        k = self.concentration
        z = value / self.scale
        return ops.log(k / self.scale) + special.xlogy(k - 1.0, z) - z ** k

    def _cdf(self, value):
        return -ops.expm1(-(ops.maximum(value, 0.0) / self.scale) ** self.concentration)

    def _icdf(self, q):
        return self.scale * (-ops.log1p(-q)) ** (1.0 / self.concentration)

    def entropy(self):
        k = self.concentration
        return _EULER_GAMMA * (1.0 - 1.0 / k) + ops.log(self.scale / k) + 1.0


class Pareto(Distribution):
    r"""The Pareto (type I) distribution with ``scale`` :math:`x_m > 0` and ``alpha`` :math:`\alpha > 0`.

    .. math:: p(x) = \frac{\alpha x_m^\alpha}{x^{\alpha+1}},\qquad F(x) = 1 - \Big(\frac{x_m}{x}\Big)^\alpha,\qquad x \ge x_m

    Support :math:`[x_m, \infty)`; mean :math:`\alpha x_m/(\alpha - 1)` for :math:`\alpha > 1`
    (else :math:`\infty`); variance :math:`x_m^2\alpha/((\alpha-1)^2(\alpha-2))` for
    :math:`\alpha > 2` (else :math:`\infty`); mode :math:`x_m`; entropy
    :math:`\log(x_m/\alpha) + 1/\alpha + 1`.  ``rsample``: :math:`x = x_m e^{\varepsilon/\alpha}`,
    :math:`\varepsilon \sim \mathrm{Exp}(1)`.
    """

    arg_constraints = {"scale": constraints.positive, "alpha": constraints.positive}
    has_rsample = True

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        self._dtype = self.scale.dtype
        super().__init__(self.scale.shape, validate_args=validate_args)

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self):
        a = self.alpha
        finite = a > 1
        safe = ops.where(finite, a, 2.0)
        return ops.where(finite, safe * self.scale / (safe - 1.0), np.inf)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha
        finite = a > 2
        safe = ops.where(finite, a, 3.0)
        return ops.where(finite, self.scale * self.scale * safe / ((safe - 1.0) ** 2 * (safe - 2.0)), np.inf)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_exponential(shape))
        return self.scale * ops.exp(eps / self.alpha)

    def _log_prob(self, value):
        a = self.alpha
        return ops.log(a) + a * ops.log(self.scale) - (a + 1.0) * ops.log(value)

    def _cdf(self, value):
        above = value > self.scale
        safe = ops.where(above, value, 2.0 * self.scale)
        return ops.where(above, -ops.expm1(self.alpha * ops.log(self.scale / safe)), 0.0)

    def _icdf(self, q):
        return self.scale * ops.exp(-ops.log1p(-q) / self.alpha)

    def entropy(self):
        return ops.log(self.scale / self.alpha) + 1.0 / self.alpha + 1.0



class InverseGamma(_FromStandardGamma):
    r"""The inverse-gamma distribution: :math:`1/Y` for :math:`Y \sim \mathrm{Gamma}(\alpha, \beta)`
    (``concentration`` :math:`\alpha > 0`, ``rate`` :math:`\beta > 0`, PyTorch's names); the conjugate
    prior of a normal variance.

    .. math::

        p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)} x^{-\alpha-1} e^{-\beta/x},\qquad
        F(x) = Q(\alpha, \beta/x),\qquad x > 0

    Mean :math:`\beta/(\alpha - 1)` for :math:`\alpha > 1` (else :math:`\infty`); variance
    :math:`\beta^2/((\alpha-1)^2(\alpha-2))` for :math:`\alpha > 2` (else :math:`\infty`); mode
    :math:`\beta/(\alpha + 1)`; entropy :math:`\alpha + \log\beta + \log\Gamma(\alpha) - (1 + \alpha)\psi(\alpha)`.
    ``rsample``: :math:`x = \beta/P^{-1}(\alpha, u)`, :math:`u \sim U(0, 1)`, implicitly
    reparameterized in :math:`\alpha` (see the module's notes).
    """

    @property
    def mean(self):
        a = self.concentration
        finite = a > 1
        return ops.where(finite, self.rate / ops.where(finite, a - 1.0, 1.0), np.inf)

    @property
    def variance(self):
        a = self.concentration
        finite = a > 2
        safe = ops.where(finite, a, 3.0)
        return ops.where(finite, self.rate * self.rate / ((safe - 1.0) ** 2 * (safe - 2.0)), np.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1.0)

    def _sample(self, shape, rng):
        return ops.as_tensor((_numpy(self.rate) / self._numpy_standard_gamma(shape, rng)).astype(self._dtype))

    def rsample(self, sample_shape=(), rng=None):
        return ops.astype(self.rate / self._reparameterized_standard_gamma(sample_shape, rng), self._dtype)

    def _log_prob(self, value):
        a, b = self.concentration, self.rate
        return a * ops.log(b) - special.gammaln(a) - (a + 1.0) * ops.log(value) - b / value

    def _cdf(self, value):
        positive = value > 0
        safe = ops.where(positive, value, 1.0)
        return ops.where(positive, incomplete.gammaincc(self.concentration, self.rate / safe), 0.0)

    def _icdf(self, q):
        return self.rate / incomplete.gammaincinv(self.concentration, 1.0 - q)

    def entropy(self):
        a = self.concentration
        return a + ops.log(self.rate) + special.gammaln(a) - (1.0 + a) * special.digamma(a)
