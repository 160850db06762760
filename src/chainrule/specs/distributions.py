"""Composite OpSpecs of probability: log densities of the main families and the entropies and
divergences of cr.information (see specs/__init__.py).

Each is checked like a primitive: the value against scipy.stats, derivatives of order 2 in
the parameters and the value against central differences, and under ``vmap``.  The full
per-family suites are in tests/distributions/.
"""
from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats as st

from .. import distributions as D
from .. import information
from . import OpSpec, positive, real

SCALAR = [((), (), ()), ((4,), (4,), (4,)), ((3, 1), (1, 4), ()), ((2, 3), (3,), (3,))]
ONE_PARAMETER = [((), ()), ((4,), (4,)), ((3, 4), (4,)), ((2, 3), ())]


def open_unit(rng, shape):
    """In (0.05, 0.95): values of a Beta variable."""
    return rng.uniform(0.05, 0.95, shape)


def shape_parameter(rng, shape):
    """In (0.6, 4): concentrations and degrees of freedom."""
    return rng.uniform(0.6, 4.0, shape)


def counts(rng, shape):
    """Integer-valued floats in {0, ..., 7}: Poisson counts (not differentiated)."""
    return rng.integers(0, 8, shape).astype(np.float64)


def probability_vectors(rng, shape):
    """Rows of positive probabilities summing to 1 along the last axis."""
    x = rng.uniform(0.2, 1.0, shape)
    return x / x.sum(axis=-1, keepdims=True)


def lower_factor(rng, shape):
    """A well-conditioned lower triangular factor with a positive diagonal."""
    x = np.tril(rng.uniform(-0.5, 0.5, shape), -1)
    return x + np.eye(shape[-1]) * rng.uniform(0.8, 1.6, shape[:-1])[..., None]


def _mvn_reference(x, loc, tril):
    cov = tril @ np.swapaxes(tril, -1, -2)
    return st.multivariate_normal(loc, cov).logpdf(x)


SPECS = [
    OpSpec("Normal.log_prob", lambda x, m, s: D.Normal(m, s).log_prob(x), [real, real, positive], SCALAR,
           lambda x, m, s: st.norm(m, s).logpdf(x), composite=True),
    OpSpec("LogNormal.log_prob", lambda x, m, s: D.LogNormal(m, s).log_prob(x), [positive, real, positive], SCALAR,
           lambda x, m, s: st.lognorm(s, scale=np.exp(m)).logpdf(x), composite=True),
    OpSpec("Gamma.log_prob", lambda x, a, b: D.Gamma(a, b).log_prob(x), [positive, shape_parameter, positive], SCALAR,
           lambda x, a, b: st.gamma(a, scale=1 / b).logpdf(x), composite=True),
    OpSpec("Beta.log_prob", lambda x, a, b: D.Beta(a, b).log_prob(x), [open_unit, shape_parameter, shape_parameter],
           SCALAR, lambda x, a, b: st.beta(a, b).logpdf(x), composite=True),
    OpSpec("StudentT.log_prob", lambda x, df, m: D.StudentT(df, m, 1.5).log_prob(x), [real, shape_parameter, real],
           SCALAR, lambda x, df, m: st.t(df, m, 1.5).logpdf(x), composite=True),
    OpSpec("Laplace.log_prob", lambda x, m, s: D.Laplace(m, s).log_prob(x), [real, real, positive], SCALAR,
           lambda x, m, s: st.laplace(m, s).logpdf(x), composite=True,
           notes="|x - loc| has a kink at x = loc (derivative 0 there); random points avoid it"),
    OpSpec("Poisson.log_prob", lambda k, rate: D.Poisson(rate).log_prob(k), [counts, positive], ONE_PARAMETER,
           lambda k, rate: st.poisson(rate).logpmf(k), argnums=(1,), composite=True),
    OpSpec("Categorical.log_prob", lambda logits: D.Categorical(logits=logits).log_prob(np.array(1)), [real],
           [((4,),), ((3, 5),)], lambda logits: scipy.special.log_softmax(logits, axis=-1)[..., 1], composite=True),
    OpSpec("Dirichlet.log_prob", lambda x, a: D.Dirichlet(a).log_prob(x), [probability_vectors, shape_parameter],
           [((4,), (4,)), ((3, 4), (4,)), ((2, 3), (2, 3))],
           lambda x, a: (np.sum((a - 1) * np.log(x), -1) + scipy.special.gammaln(a.sum(-1))
                         - scipy.special.gammaln(a).sum(-1)), argnums=(1,), composite=True),
    OpSpec("MultivariateNormal.log_prob", lambda x, m, L: D.MultivariateNormal(m, scale_tril=L).log_prob(x),
           [real, real, lower_factor], [((3,), (3,), (3, 3)), ((4, 2), (2,), (2, 2))],
           _mvn_reference, composite=True, argnums=(0, 1),
           notes="the factor is checked in tests/distributions (perturbations would leave the triangle)"),
    OpSpec("Normal.entropy", lambda s: D.Normal(0.0 * s, s).entropy(), [positive], [((),), ((5,),)],
           lambda s: st.norm(0, s).entropy(), composite=True),
    OpSpec("Gamma.entropy", lambda a, b: D.Gamma(a, b).entropy(), [shape_parameter, positive],
           [((), ()), ((4,), (4,))], lambda a, b: st.gamma(a, scale=1 / b).entropy(), composite=True),
    OpSpec("information.entropy", lambda logits: information.entropy(logits=logits), [real],
           [((4,),), ((3, 5),)], lambda logits: st.entropy(scipy.special.softmax(logits, -1), axis=-1), composite=True),
    OpSpec("information.kl_divergence", lambda a, b: information.kl_divergence(p_logits=a, q_logits=b), [real, real],
           [((4,), (4,)), ((3, 5), (3, 5)), ((2, 5), (5,))],
           lambda a, b: st.entropy(*np.broadcast_arrays(scipy.special.softmax(a, -1), scipy.special.softmax(b, -1)),
                                   axis=-1), composite=True),
    OpSpec("information.js_divergence", lambda a, b: information.js_divergence(p_logits=a, q_logits=b), [real, real],
           [((4,), (4,)), ((3, 5), (3, 5))],
           lambda a, b: _js(scipy.special.softmax(a, -1), scipy.special.softmax(b, -1)), composite=True),
]


def _js(p, q):
    from scipy.spatial.distance import jensenshannon
    return jensenshannon(p, q, axis=-1) ** 2
