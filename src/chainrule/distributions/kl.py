r"""Kullback–Leibler divergence :math:`\mathrm{KL}(p\,\|\,q) = E_p[\log p(X) - \log q(X)]`.

:func:`kl_divergence` looks the pair of classes up in a registry (:func:`register_kl`, as in
PyTorch; the most specific registered pair of base classes wins, so ``Chi2`` uses the
``Gamma`` formula) and raises :class:`NotImplementedError` naming the pair when there is no
closed form; :func:`kl_divergence_mc` is the Monte Carlo estimate with its standard error.

The same-family closed forms are in this module; the cross-family ones, most of the form
:math:`-H(p) - E_p[\log q(X)]` with the moments of :math:`p`, are in :mod:`.kl_cross`.  Where
the support of :math:`p` is not contained in that of :math:`q` the divergence is
:math:`+\infty`.  Every formula is written with chainrule's operations, so it is
differentiable in both distributions' parameters.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import ops
from ..ops import special
from .bounded import Beta, Uniform
from .categorical import Categorical, Multinomial, OneHotCategorical
from .composite import Independent
from .distribution import concrete
from .discrete import Bernoulli, Binomial, Geometric, NegativeBinomial, Poisson
from .gamma import Exponential, Gamma, Pareto, Weibull
from .location_scale import Cauchy, Laplace
from .multivariate import Dirichlet, LowRankMultivariateNormal, MultivariateNormal, _batch_mahalanobis
from .normal import HalfNormal, LogNormal, Normal

_KL_REGISTRY: dict = {}
_EULER_GAMMA = 0.5772156649015329


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as the divergence of a ``type_p`` from a ``type_q``.

    >>> @register_kl(Normal, Normal)
    ... def kl_normal_normal(p, q): ...
    """
    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _lookup(type_p, type_q):
    """The registered function for the most specific pair of base classes (None if none)."""
    best, best_rank = None, None
    for (super_p, super_q), fn in _KL_REGISTRY.items():
        if issubclass(type_p, super_p) and issubclass(type_q, super_q):
            rank = (type_p.__mro__.index(super_p), type_q.__mro__.index(super_q))
            if best_rank is None or rank < best_rank:
                best, best_rank = fn, rank
    return best


def kl_divergence(p, q):
    r""":math:`\mathrm{KL}(p\,\|\,q) = \int p(x)\log\frac{p(x)}{q(x)}\,dx`, in closed form, batched over
    the broadcast of the two batch shapes; differentiable in both distributions' parameters.

    Raises :class:`NotImplementedError` naming the pair when no closed form is registered
    (estimate it with :func:`kl_divergence_mc`).
    """
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"kl_divergence: no closed form is registered for KL({type(p).__name__} ‖ "
                                  f"{type(q).__name__}); estimate it with kl_divergence_mc(p, q, n) or register "
                                  f"one with @register_kl({type(p).__name__}, {type(q).__name__})")
    return fn(p, q)


class KLEstimate(NamedTuple):
    """A Monte Carlo estimate of a divergence and its standard error."""

    estimate: object
    standard_error: object


def kl_divergence_mc(p, q, n: int = 10_000, rng=None) -> KLEstimate:
    r"""Monte Carlo estimate :math:`\frac1n\sum_i \big(\log p(x_i) - \log q(x_i)\big)`, :math:`x_i \sim p`,
    with its standard error :math:`s/\sqrt n` (:math:`s` the sample standard deviation of the
    log ratios).  Uses ``rsample`` where :math:`p` has one, so the estimate is differentiable
    in :math:`p`'s parameters (the reparameterization gradient) as well as in :math:`q`'s.
    """
    if n < 2:
        raise ValueError(f"kl_divergence_mc: need at least 2 samples for a standard error, got n={n}")
    x = p.rsample((n,), rng) if p.has_rsample else p.sample((n,), rng)
    ratios = p.log_prob(x) - q.log_prob(x)
    estimate = ops.mean(ratios, axis=0)
    standard_error = ops.std(ratios.detach(), axis=0, ddof=1) / math.sqrt(n)
    return KLEstimate(estimate, standard_error)


def _infinite_where(condition, value):
    """``value`` where ``condition`` is false and :math:`+\\infty` where it holds."""
    return ops.where(condition, np.inf, value)


# ----------------------------------------------------------------------------- continuous, same family
def _normal_normal(loc_p, scale_p, loc_q, scale_q):
    ratio = scale_p / scale_q
    gap = (loc_p - loc_q) / scale_q
    return 0.5 * (ratio * ratio + gap * gap - 1.0) - ops.log(ratio)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    r""":math:`\log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12`."""
    return _normal_normal(p.loc, p.scale, q.loc, q.scale)


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    """That of the underlying normals (the divergence is invariant under the bijection exp)."""
    return _normal_normal(p.loc, p.scale, q.loc, q.scale)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    r""":math:`\tfrac12(r - 1 - \log r)` with :math:`r = \sigma_p^2/\sigma_q^2`."""
    ratio = (p.scale / q.scale) ** 2
    return 0.5 * (ratio - 1.0 - ops.log(ratio))


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    r""":math:`\log\frac{b_q - a_q}{b_p - a_p}` if :math:`[a_p, b_p] \subseteq [a_q, b_q]`, else :math:`\infty`."""
    value = ops.log((q.high - q.low) / (p.high - p.low))
    return _infinite_where((q.low > p.low) | (q.high < p.high), value)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    r""":math:`\log\frac{\lambda_p}{\lambda_q} + \frac{\lambda_q}{\lambda_p} - 1`."""
    ratio = q.rate / p.rate
    return ratio - 1.0 - ops.log(ratio)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    r""":math:`(\alpha_p - \alpha_q)\psi(\alpha_p) - \log\Gamma(\alpha_p) + \log\Gamma(\alpha_q)
    + \alpha_q\log\frac{\beta_p}{\beta_q} + \alpha_p\frac{\beta_q - \beta_p}{\beta_p}`."""
    a_p, b_p, a_q, b_q = p.concentration, p.rate, q.concentration, q.rate
    return ((a_p - a_q) * special.digamma(a_p) - special.gammaln(a_p) + special.gammaln(a_q)
            + a_q * (ops.log(b_p) - ops.log(b_q)) + a_p * (b_q - b_p) / b_p)


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    r""":math:`\log\frac{B(\alpha_q, \beta_q)}{B(\alpha_p, \beta_p)} + (\alpha_p - \alpha_q)\psi(\alpha_p)
    + (\beta_p - \beta_q)\psi(\beta_p) + (\alpha_q - \alpha_p + \beta_q - \beta_p)\psi(\alpha_p + \beta_p)`."""
    a_p, b_p, a_q, b_q = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    return (special.betaln(a_q, b_q) - special.betaln(a_p, b_p) + (a_p - a_q) * special.digamma(a_p)
            + (b_p - b_q) * special.digamma(b_p) + (a_q - a_p + b_q - b_p) * special.digamma(a_p + b_p))


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    r""":math:`\log\frac{b_q}{b_p} + \frac{|\mu_p - \mu_q|}{b_q} + \frac{b_p}{b_q}e^{-|\mu_p - \mu_q|/b_p} - 1`."""
    ratio = p.scale / q.scale
    gap = ops.abs(p.loc - q.loc)
    return -ops.log(ratio) + gap / q.scale + ratio * ops.exp(-gap / p.scale) - 1.0


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    r""":math:`\log\frac{(\gamma_p + \gamma_q)^2 + (x_p - x_q)^2}{4\gamma_p\gamma_q}`."""
    gap = p.loc - q.loc
    total = p.scale + q.scale
    return ops.log((total * total + gap * gap) / (4.0 * p.scale * q.scale))


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    r""":math:`\alpha_q\log\frac{m_p}{m_q} - \log\frac{\alpha_q}{\alpha_p} + \frac{\alpha_q}{\alpha_p} - 1`
    if :math:`m_p \ge m_q`, else :math:`\infty`."""
    ratio = q.alpha / p.alpha
    value = q.alpha * ops.log(p.scale / q.scale) - ops.log(ratio) + ratio - 1.0
    return _infinite_where(p.scale < q.scale, value)


@register_kl(Weibull, Weibull)
def _kl_weibull_weibull(p, q):
    r""":math:`\log\frac{k_p}{\lambda_p^{k_p}} - \log\frac{k_q}{\lambda_q^{k_q}} + (k_p - k_q)\big(\log\lambda_p - \frac{\gamma}{k_p}\big)
    + \big(\frac{\lambda_p}{\lambda_q}\big)^{k_q}\Gamma\big(\frac{k_q}{k_p} + 1\big) - 1` (Bauckhage 2013)."""
    k_p, l_p, k_q, l_q = p.concentration, p.scale, q.concentration, q.scale
    log_l_p, log_l_q = ops.log(l_p), ops.log(l_q)
    return (ops.log(k_p) - k_p * log_l_p - ops.log(k_q) + k_q * log_l_q
            + (k_p - k_q) * (log_l_p - _EULER_GAMMA / k_p)
            + ops.exp(k_q * (log_l_p - log_l_q) + special.gammaln(k_q / k_p + 1.0)) - 1.0)


# ----------------------------------------------------------------------------- vectors
def _mvn_mvn(loc_p, tril_p, loc_q, tril_q):
    k = loc_p.shape[-1]
    half_log_det = lambda t: ops.sum(ops.log(ops.diagonal(t, axis1=-2, axis2=-1)), axis=-1)  # noqa: E731
    from .. import linalg
    # tr(Sigma_q^{-1} Sigma_p) = ||L_q^{-1} L_p||_F^2
    batch = np.broadcast_shapes(tuple(tril_p.shape[:-2]), tuple(tril_q.shape[:-2]))
    solved = linalg.solve_triangular(ops.broadcast_to(tril_q, batch + (k, k)), ops.broadcast_to(tril_p, batch + (k, k)),
                                     lower=True)
    trace = ops.sum(solved * solved, axis=(-2, -1))
    distance = _batch_mahalanobis(tril_q, loc_q - loc_p)
    return 0.5 * (trace + distance - k) + half_log_det(tril_q) - half_log_det(tril_p)


def _dense_factor(d):
    return d._scale_tril if isinstance(d, MultivariateNormal) else d.scale_tril


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    r""":math:`\tfrac12\big(\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) + (\mu_q - \mu_p)^\top\Sigma_q^{-1}(\mu_q - \mu_p)
    - k + \log\frac{\det\Sigma_q}{\det\Sigma_p}\big)`, through the Cholesky factors."""
    return _mvn_mvn(p.loc, _dense_factor(p), q.loc, _dense_factor(q))


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank(p, q):
    """The multivariate normal formula on the dense Cholesky factors of :math:`WW^\\top + D`."""
    return _mvn_mvn(p.loc, _dense_factor(p), q.loc, _dense_factor(q))


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    r""":math:`\log\Gamma(\alpha_{p,0}) - \sum\log\Gamma(\alpha_p) - \log\Gamma(\alpha_{q,0}) + \sum\log\Gamma(\alpha_q)
    + \sum(\alpha_p - \alpha_q)(\psi(\alpha_p) - \psi(\alpha_{p,0}))`."""
    a_p, a_q = p.concentration, q.concentration
    total_p, total_q = ops.sum(a_p, axis=-1), ops.sum(a_q, axis=-1)
    return (special.gammaln(total_p) - ops.sum(special.gammaln(a_p), axis=-1) - special.gammaln(total_q)
            + ops.sum(special.gammaln(a_q), axis=-1)
            + ops.sum((a_p - a_q) * (special.digamma(a_p) - ops.expand_dims(special.digamma(total_p), -1)), axis=-1))


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    """The base divergences summed over the reinterpreted axes (which must agree)."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("kl_divergence: Independent distributions with different "
                                  "reinterpreted_batch_ndims have no registered divergence")
    n = p.reinterpreted_batch_ndims
    value = kl_divergence(p.base_dist, q.base_dist)
    return ops.sum(value, axis=tuple(range(-n, 0))) if n else value


# ----------------------------------------------------------------------------- discrete, same family
def _bernoulli_terms(p, q):
    r""":math:`p\log\frac pq + (1 - p)\log\frac{1 - p}{1 - q}` with :math:`0\log 0 = 0`."""
    return (special.xlogy(p, p) - special.xlogy(p, q) + special.xlog1py(1.0 - p, -p)
            - special.xlog1py(1.0 - p, -q))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    r""":math:`p\log\frac pq + (1 - p)\log\frac{1 - p}{1 - q}`."""
    return _bernoulli_terms(p.probs, q.probs)


def _same_total_count(p, q):
    n_p, n_q = concrete(p.total_count), concrete(q.total_count)
    if n_p is not None and n_q is not None and not np.all(n_p == n_q):
        raise NotImplementedError(f"kl_divergence: KL({type(p).__name__} ‖ {type(q).__name__}) has a closed form only "
                                  f"for equal total_count")


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    r""":math:`n\,\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q))` (equal :math:`n` only)."""
    _same_total_count(p, q)
    return p.total_count * _bernoulli_terms(p.probs, q.probs)


def _categorical_terms(p, q):
    r""":math:`\sum_k p_k(\log p_k - \log q_k)`: 0 where :math:`p_k = 0`, :math:`\infty` where only :math:`q_k = 0`."""
    probs_p, probs_q = p._normalized_probs, q._normalized_probs
    terms = probs_p * (p._log_probs - q._log_probs)
    terms = ops.where(probs_q == 0, np.inf, terms)
    return ops.sum(ops.where(probs_p == 0, 0.0, terms), axis=-1)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    r""":math:`\sum_k p_k\log\frac{p_k}{q_k}`."""
    return _categorical_terms(p, q)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p, q):
    return _categorical_terms(p._categorical, q._categorical)


@register_kl(Multinomial, Multinomial)
def _kl_multinomial_multinomial(p, q):
    r""":math:`n\sum_k p_k\log\frac{p_k}{q_k}` (equal :math:`n` only)."""
    _same_total_count(p, q)
    return p.total_count * _categorical_terms(p._categorical, q._categorical)


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    r""":math:`-H(p) - \frac{1 - p}{p}\log(1 - q) - \log q`."""
    return -p.entropy() - special.xlog1py((1.0 - p.probs) / p.probs, -q.probs) - ops.log(q.probs)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    r""":math:`\lambda_p\log\frac{\lambda_p}{\lambda_q} - \lambda_p + \lambda_q`."""
    return special.xlogy(p.rate, p.rate) - special.xlogy(p.rate, q.rate) - p.rate + q.rate


@register_kl(NegativeBinomial, NegativeBinomial)
def _kl_negativebinomial_negativebinomial(p, q):
    r""":math:`\frac{rp}{1 - p}\log\frac pq + r\log\frac{1 - p}{1 - q}` (equal :math:`r` only)."""
    _same_total_count(p, q)
    return p.mean * (p._log_p() - q._log_p()) + p.total_count * (p._log_q() - q._log_q())


from . import kl_cross  # noqa: E402,F401  (registers the cross-family pairs)
