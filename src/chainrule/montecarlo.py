r"""Monte Carlo and integration: expectations, importance sampling, MCMC, quadrature (``cr.montecarlo``).

* :func:`expectation` estimates :math:`\mathbb E_p[f(X)] \approx \frac1n\sum_i f(x_i)` with its
  standard error :math:`s_f/\sqrt n` (the central limit theorem).
* :func:`importance_sampling` draws from a proposal :math:`q` and reweights by
  :math:`w = p/q`; the self-normalized form needs :math:`p` only up to a constant and
  reports the effective sample size :math:`(\sum w)^2/\sum w^2`.
* :func:`inverse_transform_sample` (:math:`X = F^{-1}(U)`) and :func:`rejection_sample`
  (accept :math:`x \sim g` with probability :math:`f(x)/(M g(x))`) draw exactly from a
  target.
* :func:`metropolis_hastings` (random walk) and :func:`hmc` (Hamiltonian Monte Carlo,
  whose gradients :math:`\nabla \log p` come from ``cr.grad``) run Markov chains whose
  stationary distribution is the target; several chains run at once, vectorised.
* :func:`quad` (adaptive Gauss–Kronrod, SciPy's QUADPACK) and :func:`check_normalization`
  (a density integrates to 1 over its support).

Randomness takes a seed or a ``numpy.random.Generator``: the same seed gives the same draws.
A sampler argument is a chainrule distribution, a frozen ``scipy.stats`` distribution, or a
callable ``sampler(n, rng)``.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np
from scipy import integrate as _scipy_integrate, special

from .autodiff import value_and_grad
from .linalg.validation import concrete
from .ops.creation import as_tensor
from .ops.reductions import mean as reduce_mean, sum as reduce_sum
from .tensor import Tensor

__all__ = ["expectation", "MonteCarloResult", "importance_sampling", "ImportanceSamplingResult",
           "inverse_transform_sample", "rejection_sample", "RejectionResult", "metropolis_hastings", "hmc",
           "MCMCResult", "quad", "QuadResult", "check_normalization"]


# ----------------------------------------------------------------------------- plumbing
def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int seed, a numpy.random.Generator or None, got {type(rng).__name__}")


def _array(x) -> np.ndarray:
    """Values of a tensor (at any transform level), an array or a number, as float64."""
    return np.asarray(concrete(x) if isinstance(x, Tensor) else x, dtype=np.float64)


def _draw(sampler, n: int, rng: np.random.Generator, where: str):
    """``n`` draws from a chainrule or SciPy distribution, or from ``sampler(n, rng)``."""
    if hasattr(sampler, "sample") and hasattr(sampler, "log_prob"):
        return sampler.sample((n,), rng=rng)
    if hasattr(sampler, "rvs"):
        return sampler.rvs(size=n, random_state=rng)
    if callable(sampler):
        return sampler(n, rng)
    raise TypeError(f"{where}: the sampler must be a distribution (chainrule or scipy.stats) or a callable "
                    f"sampler(n, rng), got {type(sampler).__name__}")


def _log_density(distribution, where: str):
    """``log q(x)`` of a chainrule distribution (``log_prob``) or a SciPy one (``logpdf``/``logpmf``)."""
    for name in ("log_prob", "logpdf", "logpmf"):
        if hasattr(distribution, name):
            method = getattr(distribution, name)
            return lambda x: _array(method(x))
    raise TypeError(f"{where}: the proposal needs a log density (log_prob, logpdf or logpmf)")


# ----------------------------------------------------------------------------- expectation
class MonteCarloResult(NamedTuple):
    """An estimate with its standard error and the number of draws."""

    estimate: Any
    standard_error: Any
    n: int

    def confidence_interval(self, confidence_level: float = 0.95):
        r"""The normal interval :math:`\hat\mu \pm z_{(1+c)/2}\,\mathrm{se}` (CLT)."""
        from .stats.results import ConfidenceInterval, check_confidence_level
        q = special.ndtri((1 + check_confidence_level(confidence_level, "confidence_interval")) / 2)
        return ConfidenceInterval(self.estimate - q * self.standard_error, self.estimate + q * self.standard_error)


def expectation(f, sampler, n: int = 10000, rng=None, *, reparameterize: bool = False) -> MonteCarloResult:
    r"""Monte Carlo estimate of :math:`\mathbb E[f(X)]` from ``n`` draws of ``sampler``:

    .. math:: \hat\mu = \frac1n \sum_{i=1}^n f(x_i), \qquad
        \mathrm{se} = \frac{s}{\sqrt n}, \quad s^2 = \frac{1}{n-1}\sum_i (f(x_i) - \hat\mu)^2.

    ``f`` maps the (n, ...) draws to (n, ...) values.  With ``reparameterize=True`` (a
    chainrule distribution that has ``rsample``) the draws are reparameterized,
    :math:`x = g_\theta(\varepsilon)`, and the estimate is a tensor differentiable in the
    distribution's parameters (the pathwise gradient estimator).
    """
    if int(n) != n or n < 2:
        raise ValueError(f"expectation: n must be an integer >= 2, got {n!r}")
    generator = _generator(rng)
    if reparameterize:
        if not hasattr(sampler, "rsample"):
            raise TypeError("expectation: reparameterize=True needs a chainrule distribution with rsample")
        values = f(sampler.rsample((int(n),), rng=generator))
        estimate = reduce_mean(values, axis=0)
        spread = np.std(_array(values), axis=0, ddof=1)
        return MonteCarloResult(estimate, spread / math.sqrt(n), int(n))
    values = _array(f(_draw(sampler, int(n), generator, "expectation")))
    if values.ndim == 0 or values.shape[0] != n:
        raise ValueError(f"expectation: f must return one value per draw (leading axis {n}), got {values.shape}")
    return MonteCarloResult(values.mean(axis=0)[()], (values.std(axis=0, ddof=1) / math.sqrt(n))[()], int(n))


class ImportanceSamplingResult(NamedTuple):
    """``estimate``, ``standard_error``, ``ess`` (effective sample size), ``log_normalizer``
    (:math:`\\log \\frac1n\\sum_i w_i`, the log of :math:`\\int \\tilde p`) and the normalized
    ``weights``."""

    estimate: Any
    standard_error: Any
    ess: float
    log_normalizer: float
    weights: np.ndarray


def importance_sampling(f, log_target, proposal, n: int = 10000, rng=None, *,
                        self_normalized: bool = True) -> ImportanceSamplingResult:
    r"""Importance-sampling estimate of :math:`\mathbb E_p[f(X)]` with draws :math:`x_i \sim q`
    (``proposal``) and weights :math:`w_i = \tilde p(x_i)/q(x_i)` (``log_target`` gives
    :math:`\log\tilde p`, the target up to a constant when self-normalized):

    .. math::

        \hat\mu = \frac{\sum_i w_i f(x_i)}{\sum_i w_i}, \qquad
        \mathrm{se} = \sqrt{\textstyle\sum_i \bar w_i^2 (f(x_i) - \hat\mu)^2}, \qquad
        \mathrm{ESS} = \frac{(\sum_i w_i)^2}{\sum_i w_i^2}

    (:math:`\bar w_i = w_i / \sum_j w_j`; the standard error is the delta-method one).
    With ``self_normalized=False`` the target must be normalized and
    :math:`\hat\mu = \frac1n\sum_i w_i f(x_i)`, :math:`\mathrm{se} = s_{wf}/\sqrt n`.
    Weights are handled in logs (log-sum-exp), so extreme ratios do not overflow.
    """
    generator = _generator(rng)
    draws = _draw(proposal, int(n), generator, "importance_sampling")
    log_w = _array(log_target(draws)) - _log_density(proposal, "importance_sampling")(draws)
    if log_w.shape != (n,):
        raise ValueError(f"importance_sampling: log densities must have one value per draw, got {log_w.shape}")
    if np.isnan(log_w).any():
        raise ValueError("importance_sampling: the log weights contain NaN")
    values = _array(f(draws))
    log_total = special.logsumexp(log_w)
    if not np.isfinite(log_total):
        raise ValueError("importance_sampling: every weight is zero (the proposal misses the target's support)")
    weights = np.exp(log_w - log_total)
    shape = (-1,) + (1,) * (values.ndim - 1)
    if self_normalized:
        estimate = np.sum(weights.reshape(shape) * values, axis=0)
        se = np.sqrt(np.sum(weights.reshape(shape) ** 2 * (values - estimate) ** 2, axis=0))
    else:
        weighted = np.exp(log_w).reshape(shape) * values
        estimate, se = weighted.mean(axis=0), weighted.std(axis=0, ddof=1) / math.sqrt(n)
    ess = 1.0 / np.sum(weights ** 2)
    return ImportanceSamplingResult(estimate[()], se[()], float(ess), float(log_total - math.log(n)), weights)


# ----------------------------------------------------------------------------- exact samplers
def inverse_transform_sample(icdf, size, rng=None):
    r"""Draws :math:`X = F^{-1}(U)`, :math:`U \sim \mathrm{Uniform}(0, 1)`: if :math:`F` is the CDF,
    :math:`P(X \le x) = P(U \le F(x)) = F(x)`.

    ``icdf`` is a vectorised quantile function or a distribution with ``icdf``/``ppf``.
    :math:`U` avoids 0 exactly (the smallest value is the least positive double), so an
    unbounded support never yields an infinite draw from the lower end.
    """
    generator = _generator(rng)
    uniforms = np.maximum(generator.random(size), np.finfo(np.float64).tiny)
    if hasattr(icdf, "icdf"):
        return icdf.icdf(as_tensor(uniforms))
    if hasattr(icdf, "ppf"):
        return icdf.ppf(uniforms)
    return icdf(uniforms)


class RejectionResult(NamedTuple):
    """``samples``, ``acceptance_rate`` (near :math:`1/M` for normalized densities) and ``n_proposed``."""

    samples: np.ndarray
    acceptance_rate: float
    n_proposed: int


def rejection_sample(log_density, proposal, log_bound: float, n: int, rng=None) -> RejectionResult:
    r"""Exact draws from the density :math:`f` (known up to a constant) by rejection:
    draw :math:`x \sim g` (``proposal``) and :math:`u \sim U(0, 1)`, accept when
    :math:`u \le f(x) / (M g(x))`; the accepted :math:`x` are distributed as :math:`f`.

    Arguments in logs: ``log_density`` gives :math:`\log f`, ``log_bound`` is
    :math:`\log M` with :math:`f \le M g` everywhere.  Proposals are drawn in vectorised
    batches sized by the running acceptance rate.  A draw where :math:`f > M g` (the
    envelope does not dominate) raises ``ValueError``: the samples would be wrong.
    """
    generator = _generator(rng)
    log_g = _log_density(proposal, "rejection_sample")
    accepted, n_accepted, n_proposed, rate = [], 0, 0, math.exp(min(0.0, -log_bound))
    while n_accepted < n:
        batch = int(min(max(64, 1.2 * (n - n_accepted) / max(rate, 1e-6)), 10 * n + 1000))
        x = _array(_draw(proposal, batch, generator, "rejection_sample"))
        log_ratio = _array(log_density(x)) - log_bound - log_g(x)
        if np.any(log_ratio > 1e-9):
            worst = int(np.argmax(log_ratio))
            raise ValueError(f"rejection_sample: f(x) > M g(x) at x = {x[worst]!r} (by a factor "
                             f"{math.exp(log_ratio[worst]):.4g}); increase log_bound")
        keep = np.log(generator.random(batch)) <= log_ratio
        accepted.append(x[keep])
        n_accepted += int(keep.sum())
        n_proposed += batch
        rate = max(n_accepted / n_proposed, 1e-6)
    samples = np.concatenate(accepted)[:n]
    return RejectionResult(samples, n_accepted / n_proposed, n_proposed)


# ----------------------------------------------------------------------------- Markov chain Monte Carlo
class MCMCResult(NamedTuple):
    """``samples`` (n_samples, [n_chains,] d), ``acceptance_rate`` (per chain), ``log_prob`` of the
    samples, and ``n_divergent`` (HMC trajectories whose energy error exceeded 1000)."""

    samples: np.ndarray
    acceptance_rate: np.ndarray
    log_prob: np.ndarray
    n_divergent: int


def _chains(x0, where: str):
    start = _array(x0)
    if start.ndim not in (1, 2):
        raise ValueError(f"{where}: x0 must be a point (d,) or one point per chain (n_chains, d), "
                         f"got shape {start.shape}")
    return start.reshape(-1, start.shape[-1]).copy(), start.ndim == 1


def _log_prob_array(log_prob, where: str):
    def evaluate(x):
        with np.errstate(all="ignore"):          # proposals outside the support give -inf/NaN: rejected
            value = _array(log_prob(as_tensor(x)))
        if value.shape != x.shape[:1]:
            raise ValueError(f"{where}: log_prob must map (n_chains, d) points to (n_chains,) values, got "
                             f"{value.shape} for {x.shape}")
        return np.where(np.isnan(value), -np.inf, value)
    return evaluate


def metropolis_hastings(log_prob, x0, n_samples: int, *, proposal_scale=1.0, burn_in: int = 0, thin: int = 1,
                        rng=None) -> MCMCResult:
    r"""Random-walk Metropolis: propose :math:`x' = x + \sigma \odot z`, :math:`z \sim \mathcal N(0, I)`,
    accept with probability :math:`\min(1, p(x')/p(x))` (the proposal is symmetric, so the
    Hastings ratio is the density ratio).  The chain's stationary distribution is :math:`p`.

    ``log_prob`` maps points (n_chains, d) to (n_chains,) log densities (up to a constant);
    ``x0`` is one point (d,) or one per chain (n_chains, d) — chains run in lockstep,
    vectorised.  ``proposal_scale`` :math:`\sigma` is a number or one per coordinate.
    ``burn_in`` steps are discarded, then every ``thin``-th state is kept.
    """
    generator = _generator(rng)
    x, single = _chains(x0, "metropolis_hastings")
    evaluate = _log_prob_array(log_prob, "metropolis_hastings")
    scale = np.broadcast_to(_array(proposal_scale), x.shape[-1:])
    current = evaluate(x)
    if not np.all(np.isfinite(current)):
        raise ValueError("metropolis_hastings: log_prob is -inf or NaN at x0; start inside the support")
    samples, log_probs, accepted = [], [], np.zeros(x.shape[0])
    for step in range(burn_in + n_samples * thin):
        proposal = x + scale * generator.standard_normal(x.shape)
        proposed = evaluate(proposal)
        accept = np.log(generator.random(x.shape[0])) < proposed - current
        x = np.where(accept[:, None], proposal, x)
        current = np.where(accept, proposed, current)
        if step >= burn_in:
            accepted += accept
            if (step - burn_in) % thin == thin - 1:
                samples.append(x.copy())
                log_probs.append(current.copy())
    return _mcmc_result(samples, log_probs, accepted / (n_samples * thin), 0, single)


def _mcmc_result(samples, log_probs, rate, n_divergent, single):
    samples, log_probs = np.stack(samples), np.stack(log_probs)
    if single:
        return MCMCResult(samples[:, 0], rate[0], log_probs[:, 0], n_divergent)
    return MCMCResult(samples, rate, log_probs, n_divergent)


def hmc(log_prob, x0, n_samples: int, *, step_size: float = 0.1, n_leapfrog: int | None = None,
        path_length: float | None = None, mass=1.0, burn_in: int = 0, rng=None) -> MCMCResult:
    r"""Hamiltonian Monte Carlo with the leapfrog integrator; :math:`\nabla \log p` comes from
    ``cr.value_and_grad``, so ``log_prob`` is any chainrule-differentiable function.

    With potential :math:`U(x) = -\log p(x)` and momentum :math:`r \sim \mathcal N(0, M)`
    (``mass`` :math:`M`, diagonal), each iteration takes ``n_leapfrog`` steps of size
    :math:`\varepsilon` (``step_size``) on :math:`H(x, r) = U(x) + \tfrac12 r^\top M^{-1} r`:

    .. math::

        r \leftarrow r - \tfrac\varepsilon2 \nabla U(x), \quad
        x \leftarrow x + \varepsilon M^{-1} r, \quad
        r \leftarrow r - \tfrac\varepsilon2 \nabla U(x),

    and accepts with probability :math:`\min(1, e^{H_0 - H_1})`.  The leapfrog map is
    volume-preserving and reversible, so the chain leaves :math:`p` invariant.  Give
    ``n_leapfrog`` or ``path_length`` (:math:`L = \mathrm{round}(\text{path\_length}/\varepsilon)`;
    default 10 steps).  ``log_prob`` maps (n_chains, d) to (n_chains,) (chains are
    independent rows, so one gradient of the sum gives every chain's gradient); ``x0``
    as in :func:`metropolis_hastings`.  Energy errors above 1000 count as divergences
    (rejected).  The result reports the acceptance rate per chain.
    """
    if step_size <= 0:
        raise ValueError(f"hmc: step_size must be positive, got {step_size}")
    if n_leapfrog is not None and path_length is not None:
        raise ValueError("hmc: give n_leapfrog or path_length, not both")
    steps = n_leapfrog if n_leapfrog is not None else (
        max(1, int(round(path_length / step_size))) if path_length is not None else 10)
    if int(steps) != steps or steps < 1:
        raise ValueError(f"hmc: n_leapfrog must be a positive integer, got {steps!r}")
    generator = _generator(rng)
    x, single = _chains(x0, "hmc")
    inverse_mass = 1.0 / np.broadcast_to(_array(mass), x.shape[-1:])
    def total_and_per_chain(points):
        values = log_prob(points)
        return reduce_sum(values), values

    value_grad = value_and_grad(total_and_per_chain, has_aux=True)

    def potential_and_gradient(points):
        with np.errstate(all="ignore"):          # a trajectory leaving the support is rejected below
            (_, values), gradient = value_grad(as_tensor(points))
        values = _array(values)
        if values.shape != points.shape[:1]:
            raise ValueError(f"hmc: log_prob must map (n_chains, d) points to (n_chains,) values, got "
                             f"{values.shape} for {points.shape}")
        return -np.where(np.isnan(values), -np.inf, values), -_array(gradient)

    u, grad_u = potential_and_gradient(x)
    if not np.all(np.isfinite(u)):
        raise ValueError("hmc: log_prob is -inf or NaN at x0; start inside the support")
    samples, log_probs, accepted, divergent = [], [], np.zeros(x.shape[0]), 0
    for iteration in range(burn_in + n_samples):
        momentum = generator.standard_normal(x.shape) / np.sqrt(inverse_mass)
        energy = u + 0.5 * np.sum(momentum ** 2 * inverse_mass, axis=-1)
        position, r, g = x, momentum - 0.5 * step_size * grad_u, grad_u
        with np.errstate(all="ignore"):
            for leap in range(steps):
                position = position + step_size * inverse_mass * r
                new_u, g = potential_and_gradient(position)
                if leap < steps - 1:
                    r = r - step_size * g
            r = r - 0.5 * step_size * g
            new_energy = new_u + 0.5 * np.sum(r ** 2 * inverse_mass, axis=-1)
            error = np.where(np.isfinite(new_energy), new_energy - energy, np.inf)
        accept = np.log(generator.random(x.shape[0])) < -error
        x = np.where(accept[:, None], position, x)
        u = np.where(accept, new_u, u)
        grad_u = np.where(accept[:, None], g, grad_u)
        if iteration >= burn_in:
            accepted += accept
            divergent += int(np.sum(error > 1000))
            samples.append(x.copy())
            log_probs.append(-u)
    return _mcmc_result(samples, log_probs, accepted / n_samples, divergent, single)


# ----------------------------------------------------------------------------- quadrature
class QuadResult(NamedTuple):
    """``value`` of the integral and QUADPACK's estimate of its absolute error ``abserr``."""

    value: float
    abserr: float


def _scalar_function(f):
    """``f`` on a float64 point, as a float (chainrule functions return 0-d tensors)."""
    return lambda x: float(_array(f(np.asarray(x, dtype=np.float64))))


def quad(f, a: float, b: float, **options) -> QuadResult:
    r""":math:`\int_a^b f(x)\,dx` by adaptive Gauss–Kronrod quadrature (``scipy.integrate.quad``,
    QUADPACK; infinite limits are mapped to a finite interval).  ``f`` may be a chainrule
    function; it is called with float64 points.  ``options`` go to SciPy (``points``,
    ``limit``, ``epsabs``, ``epsrel``)."""
    value, error = _scipy_integrate.quad(_scalar_function(f), a, b, **options)
    return QuadResult(float(value), float(error))


def _support_bounds(distribution):
    support = getattr(distribution, "support", None)
    low = getattr(support, "lower_bound", -np.inf)
    high = getattr(support, "upper_bound", np.inf)
    return float(_array(low)) if low is not None else -np.inf, float(_array(high)) if high is not None else np.inf


def _breakpoints(distribution, low, high):
    """Interior points that split the range where the mass is (so QUADPACK cannot miss a narrow peak)."""
    try:
        points = _array(distribution.icdf(as_tensor(np.array([1e-3, 0.5, 1 - 1e-3]))))
    except Exception:  # noqa: BLE001  (icdf is optional; fall back to no breakpoints)
        return []
    return sorted({float(p) for p in points if np.isfinite(p) and low < p < high})


def check_normalization(density, lower=None, upper=None, *, tol: float = 1e-6, raise_error: bool = True,
                        **options) -> QuadResult:
    r"""Verify :math:`\int p(x)\,dx = 1` over the support by :func:`quad`.

    ``density`` is a one-dimensional continuous chainrule distribution (then
    :math:`p = e^{\log p}` from ``log_prob``, the support from ``support`` and breakpoints
    at the 0.1%, 50% and 99.9% quantiles when ``icdf`` exists) or a callable density with
    ``lower``/``upper`` (default :math:`\mp\infty`).  Raises ``ValueError`` when
    :math:`|\int p - 1|` exceeds ``tol`` plus the quadrature error estimate (unless
    ``raise_error=False``); returns the :class:`QuadResult`.
    """
    points = []
    if hasattr(density, "log_prob"):
        if tuple(getattr(density, "event_shape", ())) != () or tuple(getattr(density, "batch_shape", ())) != ():
            raise ValueError("check_normalization: needs a scalar distribution (event and batch shape ())")
        if getattr(getattr(density, "support", None), "is_discrete", False):
            raise ValueError("check_normalization: a discrete distribution's mass is a sum, not an integral")
        low, high = _support_bounds(density)
        low, high = (low if lower is None else lower), (high if upper is None else upper)
        points = _breakpoints(density, low, high)
        distribution = density
        function = lambda x: float(np.exp(_array(distribution.log_prob(as_tensor(x)))))  # noqa: E731
    else:
        low = -np.inf if lower is None else lower
        high = np.inf if upper is None else upper
        function = _scalar_function(density)
    edges = [low, *points, high]
    pieces = [_scipy_integrate.quad(lambda x: function(np.asarray(x, np.float64)), a, b, **options)
              for a, b in zip(edges[:-1], edges[1:])]
    result = QuadResult(float(sum(v for v, _ in pieces)), float(sum(e for _, e in pieces)))
    if raise_error and abs(result.value - 1.0) > tol + result.abserr:
        raise ValueError(f"check_normalization: the density integrates to {result.value!r} over "
                         f"[{low}, {high}], not 1 (error estimate {result.abserr:.2g})")
    return result
