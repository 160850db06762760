r"""Maximum-likelihood estimation with automatic derivatives, and the likelihood-ratio test.

:func:`fit` maximizes :math:`\ell(\theta) = \sum_i \log p_\theta(x_i)` for a distribution
class of :mod:`chainrule.distributions`.  Constrained parameters (a positive scale, a
probability, a simplex) are optimized through the bijection
:math:`\theta = T(u)` from unconstrained :math:`u` (``biject_to`` of the parameter's
constraint), so every step is unconstrained.  Gradients and the exact Hessian come from
``cr.grad`` / ``cr.hessian``: nothing is derived by hand.

At the maximum, the observed Fisher information is the Hessian of the negative
log-likelihood in the natural parameters :math:`\theta`,
:math:`\mathcal J(\hat\theta) = -\nabla^2_\theta \ell(\hat\theta)`, and the asymptotic
covariance of :math:`\hat\theta` is :math:`\mathcal J^{-1}`.  It is computed by the delta
method from the unconstrained Hessian, :math:`\Sigma_\theta = J\,H_u^{-1} J^\top` with
:math:`J = \partial\theta/\partial u`, which equals :math:`\mathcal J^{-1}` when
:math:`T` is one-to-one between spaces of equal dimension (at a stationary point
:math:`H_u = J^\top \mathcal J J`) and stays valid for a simplex, whose natural
coordinates are redundant.  Wald intervals are :math:`\hat\theta_j \pm z\,\mathrm{se}_j`.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize as _scipy_optimize, special, stats as _scipy_stats

from ..autodiff import hessian, jacobian, value_and_grad
from ..ops.creation import as_tensor
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import concatenate, reshape
from ..tensor import Tensor
from .results import ConfidenceInterval, SignificanceResult, check_confidence_level
from .summary import coefficient_table, render
from .validation import as_array

__all__ = ["fit", "FitResult", "likelihood_ratio_test"]

# Parameterizations that describe the same thing: only the first one present is fitted.
ALTERNATIVES = (("probs", "logits"), ("covariance_matrix", "scale_tril", "precision_matrix"))


# ----------------------------------------------------------------------------- parameters
def _biject_to(constraint):
    from ..distributions.transforms import biject_to
    return biject_to(constraint)


def _free_parameters(distribution_class, fixed: dict, params):
    constraints = getattr(distribution_class, "arg_constraints", None)
    if constraints is None:
        raise TypeError(f"fit: {distribution_class!r} has no arg_constraints (give a chainrule distribution class)")
    unknown = sorted(set(fixed) - set(constraints))
    if unknown:
        raise ValueError(f"fit: {distribution_class.__name__} has no parameter {', '.join(unknown)} "
                         f"(its parameters: {', '.join(constraints)})")
    if params is not None:
        names = list(params)
        missing = [n for n in names if n not in constraints]
        if missing:
            raise ValueError(f"fit: {distribution_class.__name__} has no parameter {', '.join(missing)}")
    else:
        names = [n for n in constraints if n not in fixed]
        for group in ALTERNATIVES:
            present = [n for n in group if n in constraints]
            if any(n in fixed for n in present):
                names = [n for n in names if n not in present]
            elif present:
                names = [n for n in names if n not in present[1:]]
    for name in names:
        if constraints[name].is_discrete:
            raise ValueError(f"fit: the parameter {name} of {distribution_class.__name__} is discrete "
                             f"({constraints[name]!r}); hold it fixed with fixed={{'{name}': ...}}")
    return names, {n: constraints[n] for n in names}


def _candidates(name: str, constraint, data: np.ndarray):
    """Starting values for one parameter, by its constraint and the sample's moments."""
    from ..distributions import constraints as known
    m = float(np.mean(data))
    s = float(np.std(data)) or 1.0
    a = abs(m) or 1.0
    if data.ndim == 2 and name == "loc":
        return [np.mean(data, axis=0)]
    if data.ndim == 2 and name in ("covariance_matrix", "scale_tril", "precision_matrix"):
        c = np.atleast_2d(np.cov(data, rowvar=False))
        forms = {"covariance_matrix": c, "scale_tril": np.linalg.cholesky(c), "precision_matrix": np.linalg.inv(c)}
        return [forms[name]]
    if isinstance(constraint, type(known.simplex)):
        k = int(np.max(data)) + 1 if data.ndim == 1 else data.shape[-1]
        counts = (np.bincount(data.astype(np.int64), minlength=k) if data.ndim == 1 else data.sum(axis=0)) + 0.5
        return [counts / counts.sum()]
    if getattr(constraint, "event_dim", 0) == 1 and data.ndim == 2:
        # A vector parameter (a Dirichlet's concentration): start from the sample mean of
        # each coordinate, at several overall scales (the total concentration).
        centre = np.clip(np.mean(data, axis=0), 1e-3, None)
        base = getattr(constraint, "base_constraint", None)
        if isinstance(base, type(known.real)):
            return [centre, np.zeros_like(centre)]
        return [centre * scale for scale in (1.0, 5.0, 20.0, 100.0)]
    if isinstance(constraint, type(known.real)):
        return [m, float(np.median(data)), 0.0]
    low, high = getattr(constraint, "lower_bound", None), getattr(constraint, "upper_bound", None)
    if isinstance(low, (int, float)) and low == 0 and high is None:                 # (0, inf)
        return [1.0, a, 1 / a, s, 1 / s, (a / s) ** 2, a / s ** 2, s ** 2 / a]
    if isinstance(low, (int, float)) and low == 0 and isinstance(high, (int, float)) and high == 1:
        clip = lambda p: float(np.clip(p, 0.02, 0.98))      # noqa: E731
        return [0.5, clip(m), clip(1 - m), clip(1 / (1 + a)), clip(a / (1 + a)), 0.1, 0.9]
    transform = _biject_to(constraint)
    return [float(np.asarray(transform(np.zeros(())).numpy()))]


class _Likelihood:
    """The negative log-likelihood as a function of the flat unconstrained vector :math:`u`."""

    def __init__(self, distribution_class, data: Tensor, names, constraints, fixed):
        self.cls, self.data, self.names, self.fixed = distribution_class, data, names, fixed
        self.transforms = [_biject_to(constraints[n]) for n in names]
        self.shapes, self.natural_shapes = [], []

    def set_shapes(self, natural: dict):
        self.natural_shapes = [tuple(np.shape(natural[n])) for n in self.names]
        self.shapes = [tuple(t.inv(as_tensor(np.asarray(natural[n], np.float64))).shape)
                       for n, t in zip(self.names, self.transforms)]

    def pack(self, natural: dict) -> np.ndarray:
        parts = [np.asarray(t.inv(as_tensor(np.asarray(natural[n], np.float64))).numpy()).reshape(-1)
                 for n, t in zip(self.names, self.transforms)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _split(self, flat, shapes):
        pieces, start = [], 0
        for shape in shapes:
            size = math.prod(shape)
            pieces.append(reshape(flat[start:start + size], shape))
            start += size
        return pieces

    def natural(self, u) -> dict:
        return {n: t(piece) for n, t, piece in zip(self.names, self.transforms, self._split(u, self.shapes))}

    def natural_flat(self, u) -> Tensor:
        values = self.natural(u)
        return concatenate([reshape(values[n], (-1,)) for n in self.names], axis=0)

    def negative_log_likelihood(self, params: dict):
        dist = self.cls(**params, **self.fixed, validate_args=False)
        return -reduce_sum(dist.log_prob(self.data))

    def __call__(self, u):
        return self.negative_log_likelihood(self.natural(u))

    def of_natural_flat(self, flat):
        return self.negative_log_likelihood(dict(zip(self.names, self._split(flat, self.natural_shapes))))

    def value(self, natural: dict) -> float:
        try:
            with np.errstate(all="ignore"):
                return float(self.negative_log_likelihood({n: as_tensor(np.asarray(v, np.float64))
                                                           for n, v in natural.items()}).item())
        except (ValueError, FloatingPointError):
            return math.inf


def _starting_point(likelihood: _Likelihood, constraints, data: np.ndarray, init: dict):
    """Per-parameter candidates, chosen one coordinate at a time by the likelihood."""
    options = {n: ([init[n]] if n in init else _candidates(n, constraints[n], data)) for n in likelihood.names}
    current = {n: options[n][0] for n in likelihood.names}
    for _ in range(2):
        for name in likelihood.names:
            scores = [likelihood.value({**current, name: c}) for c in options[name]]
            scores = [s if np.isfinite(s) else math.inf for s in scores]
            current[name] = options[name][int(np.argmin(scores))]
    if not np.isfinite(likelihood.value(current)):
        raise ValueError(f"fit: the log-likelihood of {likelihood.cls.__name__} is -inf or NaN at every starting "
                         f"point tried: are the data inside the support?  (Or give init={{...}}.)")
    return current


# ----------------------------------------------------------------------------- optimizers
def _newton(likelihood, u0: np.ndarray, max_iter: int, tol: float):
    """Newton's method with the exact Hessian, Levenberg damping when it is not positive
    definite, and a backtracking (Armijo) line search."""
    value_grad, hess = value_and_grad(likelihood), hessian(likelihood)
    u = u0.copy()
    message = f"no convergence in {max_iter} iterations"
    for iteration in range(1, max_iter + 1):
        value, gradient = value_grad(as_tensor(u))
        f, g = float(value.item()), np.asarray(gradient.numpy())
        if np.max(np.abs(g), initial=0.0) <= tol * max(1.0, abs(f)):
            return u, iteration - 1, True, "gradient below tolerance"
        h = np.asarray(hess(as_tensor(u)).numpy())
        if not np.all(np.isfinite(h)) or not np.all(np.isfinite(g)):
            return u, iteration, False, "the gradient or Hessian is not finite"
        # Levenberg: add λI until H + λI is positive definite (λ = 0 when H already is).
        damping, chol = 0.0, None
        while chol is None:
            try:
                chol = np.linalg.cholesky(h + damping * np.eye(u.size))
            except np.linalg.LinAlgError:
                damping = max(4 * damping, 1e-8 * max(1.0, np.abs(h).max()))
        step = -np.linalg.solve(chol.T, np.linalg.solve(chol, g))
        t = 1.0
        while t > 1e-12:
            candidate = u + t * step
            new = _objective(likelihood, candidate)
            if np.isfinite(new) and new <= f + 1e-4 * t * float(g @ step):
                break
            t /= 2
        else:
            return u, iteration, False, "line search failed to decrease the negative log-likelihood"
        u = candidate
        if np.max(np.abs(t * step)) <= tol * (1 + np.max(np.abs(u))) and abs(new - f) <= 1e-12 * max(1.0, abs(f)):
            return u, iteration, True, "step below tolerance"
    return u, max_iter, False, message


def _objective(likelihood, u: np.ndarray) -> float:
    """The negative log-likelihood at ``u``; inf where it cannot be evaluated."""
    try:
        with np.errstate(all="ignore"):
            value = float(likelihood(as_tensor(u)).item())
    except (ValueError, FloatingPointError):
        return math.inf
    return value if np.isfinite(value) else math.inf


def _lbfgs(likelihood, u0: np.ndarray, max_iter: int, tol: float):
    value_grad = value_and_grad(likelihood)

    def objective(u):
        value, gradient = value_grad(as_tensor(np.asarray(u, np.float64)))
        f = float(value.item())
        return (f, np.asarray(gradient.numpy())) if np.isfinite(f) else (math.inf, np.zeros_like(u))

    result = _scipy_optimize.minimize(objective, u0, jac=True, method="L-BFGS-B",
                                      options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15})
    return result.x, int(result.nit), bool(result.success), str(result.message)


# ----------------------------------------------------------------------------- result
class FitResult:
    r"""A maximum-likelihood fit (see :func:`fit`).

    ``params`` (name → estimate), ``distribution`` (the fitted instance), ``names`` (the
    flat parameter labels, ``scale`` or ``probs[2]``), ``fisher_information`` (the observed
    information :math:`-\nabla^2\ell` in the natural parameters, in ``names`` order), ``cov``
    (the asymptotic covariance), ``stderr`` (name → standard errors), ``loglik``, ``aic``
    (:math:`2k - 2\ell`), ``bic`` (:math:`k\log n - 2\ell`), ``n_params`` (:math:`k`, free
    dimensions), ``nobs``, ``converged``, ``n_iter``, ``method``, ``message``.
    """

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def confidence_interval(self, confidence_level: float = 0.95) -> dict:
        r"""Wald intervals :math:`\hat\theta \pm z_{(1+c)/2}\,\mathrm{se}` (name → ``ConfidenceInterval``).
        They can leave the parameter's constraint for small samples; intervals on the
        unconstrained scale mapped back are the remedy then."""
        level = check_confidence_level(confidence_level, "confidence_interval")
        q = special.ndtri((1 + level) / 2)
        return {n: ConfidenceInterval(self.params[n] - q * self.stderr[n], self.params[n] + q * self.stderr[n])
                for n in self.params}

    @property
    def pvalues(self) -> dict:
        r"""Wald tests of :math:`\theta_j = 0`: :math:`2\Phi(-|\hat\theta_j/\mathrm{se}_j|)` (name → p-values)."""
        return {n: 2 * special.ndtr(-np.abs(self.params[n] / self.stderr[n])) for n in self.params}

    def summary(self, confidence_level: float = 0.95):
        """A statsmodels-style table of the estimates and their Wald statistics."""
        estimates = np.concatenate([np.ravel(self.params[n]) for n in self.params])
        errors = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        q = special.ndtri((1 + check_confidence_level(confidence_level, "summary")) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = estimates / errors
        table = coefficient_table(self.names, estimates, errors, z, 2 * special.ndtr(-np.abs(z)),
                                  estimates - q * errors, estimates + q * errors, "z", confidence_level)
        left = [("Distribution", self.distribution_class.__name__), ("Method", f"MLE ({self.method})"),
                ("No. Observations", self.nobs), ("Parameters", self.n_params), ("Converged", str(self.converged))]
        right = [("Log-Likelihood", self.loglik), ("AIC", self.aic), ("BIC", self.bic), ("Iterations", self.n_iter)]
        return render("Maximum Likelihood Fit", left, right, table)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={np.array2string(np.round(np.asarray(v), 6), separator=', ')}"
                          for n, v in self.params.items())
        return f"FitResult({self.distribution_class.__name__}: {shown}, loglik={self.loglik:.6g})"


def fit(distribution_class, data, *, method: str = "newton", fixed: dict | None = None, init: dict | None = None,
        params=None, max_iter: int = 100, tol: float = 1e-10) -> FitResult:
    r"""Maximum-likelihood estimate of the parameters of ``distribution_class`` from i.i.d. ``data``.

    ``method="newton"``: Newton's method on the unconstrained parameters with the exact
    Hessian (``cr.hessian``), damped where it is not positive definite, with a
    backtracking line search; ``"lbfgs"``: SciPy's L-BFGS-B with ``cr.grad`` gradients.
    ``fixed`` holds parameters that are known (a Student-t's ``df``, a Binomial's
    ``total_count``); ``init`` overrides starting values (otherwise they are picked from
    moment-based candidates by likelihood); ``params`` names the parameters to fit when a
    class has several parameterizations (default: ``probs`` over ``logits``, a covariance
    matrix over its Cholesky factor or precision).  Starting values are found for scalar
    parameters, location vectors, covariance matrices and probability vectors; other
    vector parameters (a Dirichlet's ``concentration``) need ``init``.

    The data's first axis indexes observations (``nobs``); the log-likelihood is the
    sum of ``log_prob`` over all of them.  See the module docstring for the Fisher
    information, standard errors and intervals.  A fit that does not converge warns
    (``RuntimeWarning``) and reports ``converged=False``.
    """
    if method not in ("newton", "lbfgs"):
        raise ValueError(f"fit: method must be 'newton' or 'lbfgs', got {method!r}")
    fixed, init = dict(fixed or {}), dict(init or {})
    names, constraints = _free_parameters(distribution_class, fixed, params)
    if not names:
        raise ValueError(f"fit: every parameter of {distribution_class.__name__} is fixed; nothing to fit")
    values = as_array(data)
    if values.size == 0 or np.isnan(values).any():
        raise ValueError("fit: the data must be non-empty and free of NaN")
    likelihood = _Likelihood(distribution_class, as_tensor(values), names, constraints, fixed)
    start = _starting_point(likelihood, constraints, values, init)
    likelihood.set_shapes(start)
    optimizer = _newton if method == "newton" else _lbfgs
    u, n_iter, converged, message = optimizer(likelihood, likelihood.pack(start), max_iter, tol)
    if not converged:
        warnings.warn(f"fit: {distribution_class.__name__} did not converge ({message})", RuntimeWarning,
                      stacklevel=2)

    u_tensor = as_tensor(u)
    natural = likelihood.natural(u_tensor)
    estimates = {n: np.asarray(v.numpy())[()] for n, v in natural.items()}
    flat = np.concatenate([np.ravel(estimates[n]) for n in names])
    information = np.asarray(hessian(likelihood.of_natural_flat)(as_tensor(flat)).numpy())
    h_unconstrained = np.asarray(hessian(likelihood)(u_tensor).numpy())
    jac = np.asarray(jacobian(likelihood.natural_flat)(u_tensor).numpy()).reshape(flat.size, u.size)
    # Unconstrained coordinates the parameters do not depend on (the unused triangle of a
    # Cholesky factor's square) carry no information: leave them out of H and of k.
    used = np.any(jac != 0, axis=0)
    h_used, jac = h_unconstrained[np.ix_(used, used)], jac[:, used]
    try:
        root = np.linalg.inv(np.linalg.cholesky(h_used))
        cov_unconstrained = root.T @ root
    except np.linalg.LinAlgError:
        warnings.warn("fit: the Hessian at the estimate is not positive definite (a boundary or unidentified "
                      "parameter); standard errors use its pseudo-inverse", RuntimeWarning, stacklevel=2)
        cov_unconstrained = np.linalg.pinv(h_used)
    cov = jac @ cov_unconstrained @ jac.T
    errors = np.sqrt(np.clip(np.diag(cov), 0, None))
    labels, stderr, start_index = [], {}, 0
    for n in names:
        size = int(np.size(estimates[n]))
        stderr[n] = errors[start_index:start_index + size].reshape(np.shape(estimates[n]))[()]
        labels += [n] if np.ndim(estimates[n]) == 0 else [f"{n}[{', '.join(map(str, i))}]"
                                                         for i in np.ndindex(np.shape(estimates[n]))]
        start_index += size
    loglik = -float(likelihood(u_tensor).item())
    nobs = int(values.shape[0]) if values.ndim else 1
    k = int(used.sum())
    distribution = distribution_class(**{n: as_tensor(np.asarray(v, np.float64)) for n, v in estimates.items()},
                                      **fixed)
    return FitResult(distribution_class=distribution_class, distribution=distribution, params=estimates,
                     names=labels, fisher_information=information, cov=cov, stderr=stderr, loglik=loglik,
                     aic=2 * k - 2 * loglik, bic=k * math.log(nobs) - 2 * loglik, n_params=k, nobs=nobs,
                     converged=converged, n_iter=n_iter, method=method, message=message, fixed=fixed)


# ----------------------------------------------------------------------------- likelihood-ratio test
def _loglik_and_size(model, where: str):
    if hasattr(model, "loglik") and hasattr(model, "n_params"):
        return float(model.loglik), int(model.n_params)
    if hasattr(model, "llf") and hasattr(model, "params"):        # regression results
        return float(np.asarray(as_array(model.llf))), int(np.size(as_array(model.params)))
    raise TypeError(f"{where}: expected fitted models (fit(), ols(), logistic_regression()), got {type(model)}")


def likelihood_ratio_test(fit_null, fit_alt) -> SignificanceResult:
    r"""Likelihood-ratio test of a model nested in a larger one (Wilks' theorem).

    .. math:: \Lambda = 2\big(\ell(\hat\theta_{\text{alt}}) - \ell(\hat\theta_{\text{null}})\big)
        \;\overset{H_0}{\sim}\; \chi^2_{k_{\text{alt}} - k_{\text{null}}} \ \text{(asymptotically)}

    Accepts results of :func:`fit`, :func:`ols` and :func:`logistic_regression`; ``df`` on
    the result.  The null model must have fewer free parameters.  A statistic below 0
    (beyond rounding) means the models are not nested, or a fit did not converge: it
    raises ``ValueError``.
    """
    ll_null, k_null = _loglik_and_size(fit_null, "likelihood_ratio_test")
    ll_alt, k_alt = _loglik_and_size(fit_alt, "likelihood_ratio_test")
    df = k_alt - k_null
    if df <= 0:
        raise ValueError(f"likelihood_ratio_test: the alternative has {k_alt} free parameters and the null {k_null}; "
                         f"the null must be nested in the alternative (fewer parameters)")
    statistic = 2 * (ll_alt - ll_null)
    if statistic < -1e-8 * max(1.0, abs(ll_alt)):
        raise ValueError(f"likelihood_ratio_test: the null model fits better than the alternative "
                         f"(loglik {ll_null:.6g} > {ll_alt:.6g}): the models are not nested, or a fit did not converge")
    statistic = max(statistic, 0.0)
    return SignificanceResult(statistic, _scipy_stats.chi2.sf(statistic, df), df=df)
