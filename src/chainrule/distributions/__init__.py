r"""Probability distributions: ``cr.distributions`` (``torch.distributions``' names and parameterizations).

Every distribution has ``sample(sample_shape, rng)`` (``rng`` an int seed or a NumPy
Generator: reproducible), ``rsample`` where a reparameterized draw exists, ``log_prob``,
``prob``, ``cdf``, ``icdf``, ``mean``, ``variance``, ``stddev``, ``mode``, ``entropy()``,
``support``, ``batch_shape``/``event_shape`` and ``arg_constraints``; parameters are checked
against their constraints (``validate_args``).  ``log_prob`` is differentiable in the
parameters and the value, so a distribution is a loss: maximum likelihood, VAEs, Bayesian
models.  See :mod:`.distribution` for the conventions.

=======================  ==============================================================================
module                   distributions
=======================  ==============================================================================
``normal``               Normal, LogNormal, HalfNormal, TruncatedNormal
``location_scale``       Laplace, Cauchy, Logistic, StudentT
``gamma``                Exponential, Gamma, Chi2, Weibull, Pareto, InverseGamma
``bounded``              Uniform, Beta
``multivariate``         MultivariateNormal, LowRankMultivariateNormal, Dirichlet
``discrete``             Bernoulli, Binomial, Geometric, NegativeBinomial, Poisson
``categorical``          Categorical, OneHotCategorical, Multinomial
``composite``            Independent, MixtureSameFamily
``compound``             BetaBinomial
``kl``, ``kl_cross``     kl_divergence, register_kl, kl_divergence_mc
``constraints``          the sets parameters and values live in
``transforms``           biject_to / transform_to: unconstrained space onto a constraint
=======================  ==============================================================================
"""
from __future__ import annotations

from . import constraints, transforms  # noqa: F401
from .bounded import Beta, Uniform  # noqa: F401
from .categorical import Categorical, Multinomial, OneHotCategorical  # noqa: F401
from .composite import Independent, MixtureSameFamily  # noqa: F401
from .discrete import Bernoulli, Binomial, Geometric, NegativeBinomial, Poisson  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .compound import BetaBinomial  # noqa: F401
from .gamma import Chi2, Exponential, Gamma, InverseGamma, Pareto, Weibull  # noqa: F401
from .kl import KLEstimate, kl_divergence, kl_divergence_mc, register_kl  # noqa: F401
from .location_scale import Cauchy, Laplace, Logistic, StudentT  # noqa: F401
from .multivariate import Dirichlet, LowRankMultivariateNormal, MultivariateNormal  # noqa: F401
from .normal import HalfNormal, LogNormal, Normal, TruncatedNormal  # noqa: F401
from .transforms import biject_to, transform_to  # noqa: F401

__all__ = [
    "Distribution", "Normal", "LogNormal", "HalfNormal", "TruncatedNormal", "Laplace", "Cauchy", "Logistic",
    "StudentT", "Exponential", "Gamma", "Chi2", "InverseGamma", "BetaBinomial", "Weibull", "Pareto", "Uniform", "Beta", "MultivariateNormal",
    "LowRankMultivariateNormal", "Dirichlet", "Bernoulli", "Binomial", "Geometric", "NegativeBinomial", "Poisson",
    "Categorical", "OneHotCategorical", "Multinomial", "Independent", "MixtureSameFamily", "kl_divergence",
    "kl_divergence_mc", "register_kl", "KLEstimate", "constraints", "transforms", "biject_to", "transform_to",
]
