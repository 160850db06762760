r"""Bayesian updating: Bayes' rule over discrete hypotheses and conjugate models (``cr.bayes``).

Bayes' rule turns a prior :math:`P(h)` and a likelihood :math:`P(D \mid h)` into the posterior

.. math:: P(h \mid D) = \frac{P(D \mid h)\,P(h)}{P(D)},\qquad P(D) = \sum_h P(D \mid h)\,P(h)

(the evidence).  A *conjugate* prior keeps the posterior in the prior's family, so updating is
arithmetic on hyperparameters.  Each model here is immutable: ``model.update(data)`` returns
the posterior model, which can be updated again; updating on the data in pieces gives
exactly the same hyperparameters as updating on all of it at once (sufficient statistics
add).  Every model reports

* ``posterior``: the distribution of the parameter (a :mod:`chainrule.distributions` object),
* ``posterior_predictive()``: the distribution of a new observation, the parameter integrated out,
* ``credible_interval(level)``: the equal-tailed interval holding ``level`` of the posterior mass.

Observations are along axis 0 of ``data``; hyperparameters may carry batch axes, which
broadcast against the remaining axes of the data.  Hyperparameters are tensors, so
everything is differentiable in the prior.

=======================  ==============================  ==============================================
model                    parameter, prior                posterior predictive
=======================  ==============================  ==============================================
``BetaBernoulli``        :math:`p \sim` Beta              Bernoulli
``BetaBinomial``         :math:`p \sim` Beta              beta-binomial
``GammaPoisson``         :math:`\lambda \sim` Gamma        negative binomial
``NormalNormal``         :math:`\mu \sim` Normal           Normal (:math:`\sigma` known)
``NormalInverseGamma``   :math:`(\mu, \sigma^2) \sim` NIG  Student's t
``DirichletCategorical`` :math:`p \sim` Dirichlet         categorical
=======================  ==============================  ==============================================
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import distributions as D
from . import ops
from .distributions.distribution import as_float, broadcast_all, concrete
from .tensor import Tensor

__all__ = ["BayesResult", "bayes_rule", "CredibleInterval", "BetaBernoulli", "BetaBinomial", "GammaPoisson",
           "NormalNormal", "NormalInverseGamma", "NormalInverseGammaPosterior", "DirichletCategorical"]


class BayesResult(NamedTuple):
    """The posterior over hypotheses, and the evidence :math:`P(D)` (and its logarithm)."""

    posterior: Tensor
    evidence: Tensor
    log_evidence: Tensor


def bayes_rule(prior, likelihood=None, *, log_likelihood=None, axis: int = -1) -> BayesResult:
    r"""Posterior over discrete hypotheses (along ``axis``) from a prior and a likelihood.

    .. math:: P(h \mid D) = \frac{P(D \mid h)P(h)}{\sum_{h'} P(D \mid h')P(h')}

    Give the likelihood :math:`P(D \mid h)` or, for many observations (whose likelihoods
    underflow), ``log_likelihood`` :math:`\log P(D \mid h)`; the computation is then in log space
    (``logsumexp``).  ``prior`` must be a probability vector; data impossible under every
    hypothesis (zero evidence) raise ``ValueError``.
    """
    if (likelihood is None) == (log_likelihood is None):
        raise ValueError("bayes_rule: give exactly one of likelihood and log_likelihood")
    prior = _as_tensor(prior)
    values = concrete(prior)
    if values is not None:
        if np.any(values < 0) or np.any(np.abs(values.sum(axis=axis) - 1.0) > 1e-6):
            raise ValueError("bayes_rule: the prior must be non-negative and sum to 1 along the hypotheses' axis")
    if likelihood is not None:
        likelihood = _as_tensor(likelihood)
        lik = concrete(likelihood)
        if lik is not None and np.any(lik < 0):
            raise ValueError("bayes_rule: likelihoods must be non-negative")
        joint = prior * likelihood
        evidence = ops.sum(joint, axis=axis, keepdims=True)
        _require_possible(evidence)
        posterior = joint / evidence
        evidence = ops.squeeze(evidence, axis)
        return BayesResult(posterior, evidence, ops.log(evidence))
    log_joint = ops.log(prior) + _as_tensor(log_likelihood)
    log_evidence = ops.logsumexp(log_joint, axis=axis, keepdims=True)
    _require_possible(log_evidence, log=True)
    posterior = ops.exp(log_joint - log_evidence)
    log_evidence = ops.squeeze(log_evidence, axis)
    return BayesResult(posterior, ops.exp(log_evidence), log_evidence)


def _require_possible(evidence, log=False):
    values = concrete(evidence)
    if values is not None and np.any(values == (-np.inf if log else 0.0)):
        raise ValueError("bayes_rule: the evidence is 0: the data are impossible under every hypothesis "
                         "with prior mass")


def _as_tensor(x):
    """Tensors as they are; arrays keep their dtype; lists and numbers become float64 (probabilities)."""
    if isinstance(x, Tensor):
        return x
    return ops.as_tensor(x if isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float64))


class CredibleInterval(NamedTuple):
    """An equal-tailed credible interval: :math:`P(\\text{lower} \\le \\theta \\le \\text{upper} \\mid D)` = ``level``."""

    lower: Tensor
    upper: Tensor
    level: float


def _interval(distribution, level: float) -> CredibleInterval:
    if not 0 < level < 1:
        raise ValueError(f"credible_interval: level must lie in (0, 1), got {level}")
    tail = 0.5 * (1.0 - level)
    return CredibleInterval(distribution.icdf(tail), distribution.icdf(1.0 - tail), level)


class _Conjugate:
    """Shared: the data as a tensor in the hyperparameters' dtype, and the count of observations."""

    _dtype = np.float64

    def _data(self, data):
        data = as_float(data, self._dtype) if isinstance(data, Tensor) else ops.as_tensor(np.asarray(data, self._dtype))
        if data.ndim == 0:
            data = ops.reshape(data, (1,))
        return data

    def credible_interval(self, level: float = 0.95) -> CredibleInterval:
        """The equal-tailed interval holding ``level`` of the posterior mass of the parameter."""
        return _interval(self.posterior, level)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={np.array2string(np.asarray(concrete(v)), precision=4)}"
                           for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({fields})"


class BetaBernoulli(_Conjugate):
    r"""Success probability :math:`p \sim \mathrm{Beta}(\alpha, \beta)`, observations :math:`x_i \in \{0, 1\}`.

    .. math:: \alpha' = \alpha + \textstyle\sum_i x_i,\qquad \beta' = \beta + n - \sum_i x_i,\qquad
              P(x_{\text{new}} = 1 \mid D) = \frac{\alpha'}{\alpha' + \beta'}
    """

    def __init__(self, alpha=1.0, beta=1.0):
        self.alpha, self.beta = broadcast_all(alpha, beta)
        self._dtype = self.alpha.dtype

    def _hyperparameters(self):
        return {"alpha": self.alpha, "beta": self.beta}

    def update(self, data) -> "BetaBernoulli":
        x = self._data(data)
        values = concrete(x)
        if values is not None and not np.all((values == 0) | (values == 1)):
            raise ValueError("BetaBernoulli.update: observations must be 0 or 1")
        successes = ops.sum(x, axis=0)
        return type(self)(self.alpha + successes, self.beta + (x.shape[0] - successes))

    @property
    def posterior(self):
        return D.Beta(self.alpha, self.beta)

    def posterior_predictive(self):
        return D.Bernoulli(probs=self.alpha / (self.alpha + self.beta))


class BetaBinomial(_Conjugate):
    r"""Success probability :math:`p \sim \mathrm{Beta}(\alpha, \beta)`, observations: ``successes``
    :math:`k_i` out of ``trials`` :math:`n_i`.

    .. math:: \alpha' = \alpha + \textstyle\sum_i k_i,\qquad \beta' = \beta + \sum_i (n_i - k_i)

    The posterior predictive of the successes in ``trials`` new trials is beta-binomial.
    """

    def __init__(self, alpha=1.0, beta=1.0):
        self.alpha, self.beta = broadcast_all(alpha, beta)
        self._dtype = self.alpha.dtype

    def _hyperparameters(self):
        return {"alpha": self.alpha, "beta": self.beta}

    def update(self, successes, trials) -> "BetaBinomial":
        k, n = self._data(successes), self._data(trials)
        k_values, n_values = concrete(k), concrete(n)
        if k_values is not None and n_values is not None:
            if np.any(k_values < 0) or np.any(k_values > n_values) or np.any(k_values != np.floor(k_values)):
                raise ValueError("BetaBinomial.update: successes must be integers in [0, trials]")
        return type(self)(self.alpha + ops.sum(k, axis=0), self.beta + ops.sum(n - k, axis=0))

    @property
    def posterior(self):
        return D.Beta(self.alpha, self.beta)

    def posterior_predictive(self, trials=1):
        return D.BetaBinomial(self.alpha, self.beta, trials)


class GammaPoisson(_Conjugate):
    r"""Poisson rate :math:`\lambda \sim \mathrm{Gamma}(\alpha, \beta)` (shape, rate), counts :math:`k_i`.

    .. math:: \alpha' = \alpha + \textstyle\sum_i k_i,\qquad \beta' = \beta + n

    The posterior predictive of a new count is negative binomial with :math:`r = \alpha'` and
    success probability :math:`1/(1 + \beta')` (PyTorch's parameterization).
    """

    def __init__(self, alpha=1.0, beta=1.0):
        self.alpha, self.beta = broadcast_all(alpha, beta)
        self._dtype = self.alpha.dtype

    def _hyperparameters(self):
        return {"alpha": self.alpha, "beta": self.beta}

    def update(self, counts) -> "GammaPoisson":
        k = self._data(counts)
        values = concrete(k)
        if values is not None and (np.any(values < 0) or np.any(values != np.floor(values))):
            raise ValueError("GammaPoisson.update: counts must be non-negative integers")
        return type(self)(self.alpha + ops.sum(k, axis=0), self.beta + float(k.shape[0]))

    @property
    def posterior(self):
        return D.Gamma(self.alpha, self.beta)

    def posterior_predictive(self):
        return D.NegativeBinomial(self.alpha, probs=1.0 / (1.0 + self.beta))


class NormalNormal(_Conjugate):
    r"""Mean :math:`\mu \sim \mathcal N(\mu_0, \tau_0^2)` of normal observations with known standard
    deviation :math:`\sigma` (``noise_std``).

    .. math:: \frac{1}{\tau_n^2} = \frac{1}{\tau_0^2} + \frac{n}{\sigma^2},\qquad
              \mu_n = \tau_n^2\Big(\frac{\mu_0}{\tau_0^2} + \frac{\sum_i x_i}{\sigma^2}\Big)

    (precisions add; the mean is the precision-weighted average).  Posterior predictive
    :math:`\mathcal N(\mu_n, \sigma^2 + \tau_n^2)`.
    """

    def __init__(self, prior_mean=0.0, prior_std=1.0, noise_std=1.0):
        self.prior_mean, self.prior_std, self.noise_std = broadcast_all(prior_mean, prior_std, noise_std)
        self._dtype = self.prior_mean.dtype
        std = concrete(self.prior_std), concrete(self.noise_std)
        if any(s is not None and np.any(s <= 0) for s in std):
            raise ValueError("NormalNormal: prior_std and noise_std must be positive")

    def _hyperparameters(self):
        return {"prior_mean": self.prior_mean, "prior_std": self.prior_std, "noise_std": self.noise_std}

    def update(self, data) -> "NormalNormal":
        x = self._data(data)
        prior_precision = 1.0 / (self.prior_std * self.prior_std)
        noise_precision = 1.0 / (self.noise_std * self.noise_std)
        precision = prior_precision + x.shape[0] * noise_precision
        mean = (self.prior_mean * prior_precision + ops.sum(x, axis=0) * noise_precision) / precision
        return type(self)(mean, ops.sqrt(1.0 / precision), self.noise_std)

    @property
    def posterior(self):
        return D.Normal(self.prior_mean, self.prior_std)

    def posterior_predictive(self):
        return D.Normal(self.prior_mean, ops.sqrt(self.prior_std * self.prior_std + self.noise_std * self.noise_std))


class NormalInverseGammaPosterior(NamedTuple):
    """The marginal posteriors of a :class:`NormalInverseGamma` model: of the mean (Student's t)
    and of the variance (inverse gamma)."""

    mean: D.StudentT
    variance: D.InverseGamma


class NormalInverseGamma(_Conjugate):
    r"""Unknown mean and variance of normal observations: :math:`\sigma^2 \sim \mathrm{InvGamma}(\alpha, \beta)`,
    :math:`\mu \mid \sigma^2 \sim \mathcal N(\mu_0, \sigma^2/\kappa)`.

    With :math:`\bar x` the sample mean and :math:`S = \sum_i (x_i - \bar x)^2`:

    .. math::

        \kappa' = \kappa + n,\quad \mu' = \frac{\kappa\mu_0 + n\bar x}{\kappa + n},\quad
        \alpha' = \alpha + \frac n2,\quad \beta' = \beta + \frac S2 + \frac{\kappa n(\bar x - \mu_0)^2}{2(\kappa + n)}

    Marginal posteriors: :math:`\mu \sim t_{2\alpha'}(\mu', \beta'/(\alpha'\kappa'))` and
    :math:`\sigma^2 \sim \mathrm{InvGamma}(\alpha', \beta')` (``posterior.mean``,
    ``posterior.variance``); posterior predictive :math:`t_{2\alpha'}(\mu', \beta'(\kappa' + 1)/(\alpha'\kappa'))`
    (the second arguments are squared scales).
    """

    def __init__(self, mu=0.0, kappa=1.0, alpha=1.0, beta=1.0):
        self.mu, self.kappa, self.alpha, self.beta = broadcast_all(mu, kappa, alpha, beta)
        self._dtype = self.mu.dtype
        for name in ("kappa", "alpha", "beta"):
            values = concrete(getattr(self, name))
            if values is not None and np.any(values <= 0):
                raise ValueError(f"NormalInverseGamma: {name} must be positive")

    def _hyperparameters(self):
        return {"mu": self.mu, "kappa": self.kappa, "alpha": self.alpha, "beta": self.beta}

    def update(self, data) -> "NormalInverseGamma":
        x = self._data(data)
        n = float(x.shape[0])
        mean = ops.mean(x, axis=0)
        spread = ops.sum((x - mean) * (x - mean), axis=0)
        kappa = self.kappa + n
        gap = mean - self.mu
        return type(self)((self.kappa * self.mu + n * mean) / kappa, kappa, self.alpha + 0.5 * n,
                          self.beta + 0.5 * spread + 0.5 * self.kappa * n * gap * gap / kappa)

    @property
    def posterior(self) -> NormalInverseGammaPosterior:
        scale = ops.sqrt(self.beta / (self.alpha * self.kappa))
        return NormalInverseGammaPosterior(D.StudentT(2.0 * self.alpha, self.mu, scale),
                                           D.InverseGamma(self.alpha, self.beta))

    def posterior_predictive(self):
        scale = ops.sqrt(self.beta * (self.kappa + 1.0) / (self.alpha * self.kappa))
        return D.StudentT(2.0 * self.alpha, self.mu, scale)

    def credible_interval(self, level: float = 0.95, parameter: str = "mean") -> CredibleInterval:
        """The equal-tailed interval of the posterior of ``parameter``: ``"mean"`` or ``"variance"``."""
        if parameter not in ("mean", "variance"):
            raise ValueError(f"NormalInverseGamma.credible_interval: parameter must be 'mean' or 'variance', "
                             f"got {parameter!r}")
        return _interval(getattr(self.posterior, parameter), level)


class DirichletCategorical(_Conjugate):
    r"""Category probabilities :math:`p \sim \mathrm{Dir}(\alpha)`, observations: category indices in
    :math:`\{0, \dots, K-1\}`.

    .. math:: \alpha_k' = \alpha_k + n_k,\qquad P(x_{\text{new}} = k \mid D) = \frac{\alpha_k'}{\sum_j\alpha_j'}

    where :math:`n_k` counts the observations in category :math:`k`.  ``credible_interval``
    gives one interval per category, from the marginal :math:`p_k \sim \mathrm{Beta}(\alpha_k', \alpha_0' - \alpha_k')`.
    """

    def __init__(self, alpha):
        (self.alpha,) = broadcast_all(alpha)
        if self.alpha.ndim < 1:
            raise ValueError("DirichletCategorical: alpha needs a last axis of categories")
        self._dtype = self.alpha.dtype

    def _hyperparameters(self):
        return {"alpha": self.alpha}

    def update(self, observations) -> "DirichletCategorical":
        k = self.alpha.shape[-1]
        index = np.asarray(concrete(observations) if isinstance(observations, Tensor) else observations)
        if index.ndim == 0:
            index = index.reshape(1)
        if np.any(index < 0) or np.any(index >= k) or np.any(index != np.floor(index)):
            raise ValueError(f"DirichletCategorical.update: observations must be category indices in [0, {k - 1}]")
        counts = (index[..., None] == np.arange(k)).sum(axis=0).astype(self._dtype)
        return type(self)(self.alpha + ops.as_tensor(counts))

    @property
    def posterior(self):
        return D.Dirichlet(self.alpha)

    def posterior_predictive(self):
        return D.Categorical(probs=self.alpha / ops.sum(self.alpha, axis=-1, keepdims=True))

    def credible_interval(self, level: float = 0.95) -> CredibleInterval:
        total = ops.sum(self.alpha, axis=-1, keepdims=True)
        return _interval(D.Beta(self.alpha, total - self.alpha), level)
