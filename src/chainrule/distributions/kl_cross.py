r"""Closed-form divergences between different families (the pairs PyTorch registers).

Each finite one is :math:`\mathrm{KL}(p\,\|\,q) = -H(p) - E_p[\log q(X)]`, where
:math:`E_p[\log q(X)]` needs only a few moments of :math:`p` (:math:`E[X]`, :math:`E[X^2]`,
:math:`E[\log X]`, :math:`E|X - \mu|`); the helpers below state them.  A pair whose
:math:`p` puts mass outside the support of :math:`q` has divergence :math:`+\infty`.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops import special
from .bounded import Beta, Uniform
from .discrete import Bernoulli, Binomial, Poisson
from .gamma import Exponential, Gamma, Pareto
from .kl import _EULER_GAMMA, _infinite_where, register_kl
from .location_scale import Laplace
from .normal import Normal

_LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- E_p[log q(X)] given moments of p
def _expected_log_normal(q, mean, second_moment):
    r""":math:`E[\log\mathcal N(X; \mu, \sigma^2)] = -\tfrac12\log 2\pi\sigma^2 - \frac{E[X^2] - 2\mu E[X] + \mu^2}{2\sigma^2}`."""
    return -0.5 * _LOG_2PI - ops.log(q.scale) - (second_moment - 2.0 * q.loc * mean + q.loc * q.loc) / (
        2.0 * q.scale * q.scale)


def _expected_log_exponential(q, mean):
    r""":math:`E[\log\lambda e^{-\lambda X}] = \log\lambda - \lambda E[X]`."""
    return ops.log(q.rate) - q.rate * mean


def _expected_log_gamma(q, mean, mean_log):
    r""":math:`\alpha\log\beta - \log\Gamma(\alpha) + (\alpha - 1)E[\log X] - \beta E[X]`."""
    a, b = q.concentration, q.rate
    return a * ops.log(b) - special.gammaln(a) + (a - 1.0) * mean_log - b * mean


def _full_inf(p, q):
    shape = np.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    return ops.full(shape, np.inf, dtype=p._dtype)


def _uniform_mean_log(low, high):
    r""":math:`E[\log X]` for :math:`X \sim U[a, b]`, :math:`a \ge 0`: :math:`\frac{b\log b - a\log a}{b - a} - 1`."""
    return (special.xlogy(high, high) - special.xlogy(low, low)) / (high - low) - 1.0


# ----------------------------------------------------------------------------- p = Bernoulli
@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    r""":math:`-H(p) - (p\log\lambda - \lambda)` (:math:`\log k! = 0` for :math:`k \in \{0, 1\}`)."""
    return -p.entropy() - (p.probs * ops.log(q.rate) - q.rate)


# ----------------------------------------------------------------------------- p = Beta
def _beta_moments(p):
    a, b = p.concentration1, p.concentration0
    return p.mean, p.variance + p.mean * p.mean, special.digamma(a) - special.digamma(a + b)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - _expected_log_exponential(q, p.mean)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    mean, _, mean_log = _beta_moments(p)
    return -p.entropy() - _expected_log_gamma(q, mean, mean_log)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    mean, second, _ = _beta_moments(p)
    return -p.entropy() - _expected_log_normal(q, mean, second)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    r""":math:`-H(p) + \log(b - a)` if :math:`[0, 1] \subseteq [a, b]`, else :math:`\infty`."""
    value = -p.entropy() + ops.log(q.high - q.low)
    return _infinite_where((q.low > 0) | (q.high < 1), value)


# ----------------------------------------------------------------------------- p = Exponential
@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    r""":math:`E[X] = 1/\lambda`, :math:`E[\log X] = -\gamma - \log\lambda`."""
    return -p.entropy() - _expected_log_gamma(q, 1.0 / p.rate, -_EULER_GAMMA - ops.log(p.rate))


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    r""":math:`E[X] = 1/\lambda`, :math:`E[X^2] = 2/\lambda^2`."""
    return -p.entropy() - _expected_log_normal(q, 1.0 / p.rate, 2.0 / (p.rate * p.rate))


# ----------------------------------------------------------------------------- p = Gamma
@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - _expected_log_exponential(q, p.mean)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    r""":math:`E[X^2] = \alpha(\alpha + 1)/\beta^2`."""
    a, b = p.concentration, p.rate
    return -p.entropy() - _expected_log_normal(q, p.mean, a * (a + 1.0) / (b * b))


# ----------------------------------------------------------------------------- p = Laplace, Normal
@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    r""":math:`E[X] = \mu`, :math:`E[X^2] = \mu^2 + 2b^2`."""
    return -p.entropy() - _expected_log_normal(q, p.loc, p.loc * p.loc + 2.0 * p.scale * p.scale)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    r""":math:`-H(p) + \log 2b + E|X - \mu_q|/b`, with the folded-normal mean
    :math:`E|X - \mu_q| = \sigma\sqrt{2/\pi}\,e^{-d^2/2\sigma^2} + d\,(1 - 2\Phi(-d/\sigma))`, :math:`d = \mu_p - \mu_q`."""
    gap = p.loc - q.loc
    z = gap / p.scale
    folded = p.scale * math.sqrt(2.0 / math.pi) * ops.exp(-0.5 * z * z) + gap * (1.0 - 2.0 * special.ndtr(-z))
    return -p.entropy() + ops.log(2.0 * q.scale) + folded / q.scale


# ----------------------------------------------------------------------------- p = Pareto
def _pareto_mean(p):
    return p.mean                               # infinite for alpha <= 1


def _pareto_mean_log(p):
    r""":math:`E[\log X] = \log x_m + 1/\alpha`."""
    return ops.log(p.scale) + 1.0 / p.alpha


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    return -p.entropy() - _expected_log_exponential(q, _pareto_mean(p))


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    return -p.entropy() - _expected_log_gamma(q, _pareto_mean(p), _pareto_mean_log(p))


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    r""":math:`E[X^2] = \alpha x_m^2/(\alpha - 2)` for :math:`\alpha > 2` (else the divergence is infinite)."""
    finite = p.alpha > 2
    a = ops.where(finite, p.alpha, 3.0)
    second = a * p.scale * p.scale / (a - 2.0)
    mean = a * p.scale / (a - 1.0)
    value = -p.entropy() - _expected_log_normal(q, mean, second)
    return _infinite_where(~finite, value)


# ----------------------------------------------------------------------------- p = Uniform
def _uniform_moments(p):
    low, high = p.low, p.high
    return p.mean, (low * low + low * high + high * high) / 3.0


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    mean, second = _uniform_moments(p)
    return -p.entropy() - _expected_log_normal(q, mean, second)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    return _infinite_where(p.low < 0, -p.entropy() - _expected_log_exponential(q, p.mean))


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    outside = p.low < 0
    low = ops.where(outside, 0.0, p.low)
    high = ops.where(outside, p.high - p.low, p.high)
    mean_log = _uniform_mean_log(low, high)
    return _infinite_where(outside, -p.entropy() - _expected_log_gamma(q, p.mean, mean_log))


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    r""":math:`E[\log X]` and :math:`E[\log(1 - X)]` of the uniform; :math:`\infty` unless :math:`[a, b] \subseteq [0, 1]`."""
    outside = (p.low < 0) | (p.high > 1)
    low = ops.where(outside, 0.25, p.low)
    high = ops.where(outside, 0.75, p.high)
    a, b = q.concentration1, q.concentration0
    mean_log = _uniform_mean_log(low, high)
    mean_log_complement = _uniform_mean_log(1.0 - high, 1.0 - low)
    value = -p.entropy() - ((a - 1.0) * mean_log + (b - 1.0) * mean_log_complement - special.betaln(a, b))
    return _infinite_where(outside, value)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    r""":math:`-H(p) - (\log\alpha + \alpha\log x_m - (\alpha + 1)E[\log X])`; :math:`\infty` if :math:`a < x_m`."""
    outside = p.low < q.scale
    low = ops.where(outside, q.scale, p.low)
    high = ops.where(outside, q.scale + (p.high - p.low), p.high)
    mean_log = _uniform_mean_log(low, high)
    value = -p.entropy() - (ops.log(q.alpha) + q.alpha * ops.log(q.scale) - (q.alpha + 1.0) * mean_log)
    return _infinite_where(outside, value)


# ----------------------------------------------------------------------------- infinite: p has mass where q has none
def _register_infinite(p_types, q_types):
    def infinite(p, q):
        """:math:`+\\infty`: the support of :math:`p` is not contained in that of :math:`q`."""
        return _full_inf(p, q)
    for type_p in p_types:
        for type_q in q_types:
            register_kl(type_p, type_q)(infinite)


_register_infinite([Normal, Laplace], [Beta, Exponential, Gamma, Pareto, Uniform])
_register_infinite([Exponential, Gamma], [Beta, Pareto, Uniform])
_register_infinite([Beta], [Pareto])
_register_infinite([Pareto], [Beta, Uniform])
_register_infinite([Poisson], [Bernoulli, Binomial])
