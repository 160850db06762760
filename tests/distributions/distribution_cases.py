"""The distributions under test, each beside its scipy.stats twin, with parameter and value samplers.

Shared by the test modules of this folder (imported by name: pytest puts the folder on
``sys.path``).  Parameters are float64 and drawn at random from where each family is
regular; values are drawn inside the support.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.stats as st

import chainrule as cr

D = cr.distributions
BATCH = (3,)


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


@dataclass
class Case:
    """One distribution family: ``make(**params)`` builds it from float64 arrays, ``scipy(**params)``
    the frozen scipy.stats twin; ``params(rng)`` draws parameters of batch shape ``BATCH``."""

    name: str
    make: Callable
    scipy: Callable
    params: Callable
    discrete: bool = False
    differentiable: tuple = ()           # parameter names whose log_prob derivative is checked

    def build(self, params, **kw):
        return self.make(**{k: t64(v) for k, v in params.items()}, **kw)


def _u(rng, lo, hi):
    return rng.uniform(lo, hi, BATCH)


def _truncnorm_params(rng):
    loc, scale = _u(rng, -1, 1), _u(rng, 0.5, 2)
    low = loc + scale * _u(rng, -2.0, 0.5)
    return {"loc": loc, "scale": scale, "low": low, "high": low + scale * _u(rng, 0.5, 3.0)}


CONTINUOUS = [
    Case("Normal", D.Normal, lambda loc, scale: st.norm(loc, scale),
         lambda r: {"loc": _u(r, -2, 2), "scale": _u(r, 0.5, 2)}, differentiable=("loc", "scale")),
    Case("LogNormal", D.LogNormal, lambda loc, scale: st.lognorm(s=scale, scale=np.exp(loc)),
         lambda r: {"loc": _u(r, -1, 1), "scale": _u(r, 0.3, 1)}, differentiable=("loc", "scale")),
    Case("HalfNormal", D.HalfNormal, lambda scale: st.halfnorm(scale=scale),
         lambda r: {"scale": _u(r, 0.5, 2)}, differentiable=("scale",)),
    Case("TruncatedNormal", D.TruncatedNormal,
         lambda loc, scale, low, high: st.truncnorm((low - loc) / scale, (high - loc) / scale, loc, scale),
         _truncnorm_params, differentiable=("loc", "scale", "low", "high")),
    Case("Laplace", D.Laplace, lambda loc, scale: st.laplace(loc, scale),
         lambda r: {"loc": _u(r, -2, 2), "scale": _u(r, 0.5, 2)}, differentiable=("loc", "scale")),
    Case("Cauchy", D.Cauchy, lambda loc, scale: st.cauchy(loc, scale),
         lambda r: {"loc": _u(r, -2, 2), "scale": _u(r, 0.5, 2)}, differentiable=("loc", "scale")),
    Case("Logistic", D.Logistic, lambda loc, scale: st.logistic(loc, scale),
         lambda r: {"loc": _u(r, -2, 2), "scale": _u(r, 0.5, 2)}, differentiable=("loc", "scale")),
    Case("StudentT", D.StudentT, lambda df, loc, scale: st.t(df, loc, scale),
         lambda r: {"df": _u(r, 2.5, 8), "loc": _u(r, -1, 1), "scale": _u(r, 0.5, 2)},
         differentiable=("df", "loc", "scale")),
    Case("Exponential", D.Exponential, lambda rate: st.expon(scale=1 / rate),
         lambda r: {"rate": _u(r, 0.5, 2)}, differentiable=("rate",)),
    Case("Gamma", D.Gamma, lambda concentration, rate: st.gamma(concentration, scale=1 / rate),
         lambda r: {"concentration": _u(r, 1.5, 4), "rate": _u(r, 0.5, 2)},
         differentiable=("concentration", "rate")),
    Case("Chi2", D.Chi2, lambda df: st.chi2(df), lambda r: {"df": _u(r, 2.5, 6)},
         differentiable=("df",)),
    Case("Weibull", D.Weibull, lambda scale, concentration: st.weibull_min(concentration, scale=scale),
         lambda r: {"scale": _u(r, 0.5, 2), "concentration": _u(r, 1.2, 3)},
         differentiable=("scale", "concentration")),
    Case("Pareto", D.Pareto, lambda scale, alpha: st.pareto(alpha, scale=scale),
         lambda r: {"scale": _u(r, 0.5, 2), "alpha": _u(r, 4.5, 7)}, differentiable=("scale", "alpha")),
    Case("Uniform", D.Uniform, lambda low, high: st.uniform(low, high - low),
         lambda r: (lambda lo: {"low": lo, "high": lo + _u(r, 0.5, 2)})(_u(r, -1, 1)),
         differentiable=("low", "high")),
    Case("Beta", D.Beta, lambda concentration1, concentration0: st.beta(concentration1, concentration0),
         lambda r: {"concentration1": _u(r, 1.5, 4), "concentration0": _u(r, 1.5, 4)},
         differentiable=("concentration1", "concentration0")),
]


def _nbinom(total_count, probs):
    return st.nbinom(total_count, 1 - probs)


DISCRETE = [
    Case("Bernoulli", lambda probs, **kw: D.Bernoulli(probs=probs, **kw), lambda probs: st.bernoulli(probs),
         lambda r: {"probs": _u(r, 0.1, 0.9)}, discrete=True, differentiable=("probs",)),
    Case("Binomial", lambda total_count, probs, **kw: D.Binomial(total_count, probs=probs, **kw),
         lambda total_count, probs: st.binom(total_count.astype(np.int64), probs),
         lambda r: {"total_count": r.integers(1, 12, BATCH).astype(float), "probs": _u(r, 0.1, 0.9)},
         discrete=True, differentiable=("probs",)),
    Case("Geometric", lambda probs, **kw: D.Geometric(probs=probs, **kw), lambda probs: st.geom(probs, loc=-1),
         lambda r: {"probs": _u(r, 0.2, 0.9)}, discrete=True, differentiable=("probs",)),
    Case("NegativeBinomial", lambda total_count, probs, **kw: D.NegativeBinomial(total_count, probs=probs, **kw),
         _nbinom,
         lambda r: {"total_count": _u(r, 1.0, 5.0), "probs": _u(r, 0.1, 0.7)}, discrete=True,
         differentiable=("total_count", "probs")),
    Case("Poisson", D.Poisson, lambda rate: st.poisson(rate), lambda r: {"rate": _u(r, 0.5, 6)},
         discrete=True, differentiable=("rate",)),
]

UNIVARIATE = CONTINUOUS + DISCRETE


def case_ids(cases):
    return [c.name for c in cases]
