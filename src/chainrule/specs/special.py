"""OpSpecs of the special-functions chapter (see specs/__init__.py).

Each function is checked against ``scipy.special`` on scalars, vectors, matrices and
broadcasting pairs, sampled inside its domain and away from its poles and edges
(:math:`\\Gamma` at the non-positive integers, ``erfinv`` at :math:`\\pm 1`).  The
incomplete gamma and beta functions and Student's t distribution function have their own
chapter of specs (specs/incomplete.py).
"""
from __future__ import annotations

import numpy as np
import scipy.special as sc

from ..ops import special as S
from . import OpSpec, positive, real

UNARY = [((),), ((5,),), ((3, 4),), ((2, 1, 3),)]
BINARY = [((), ()), ((4,), (4,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), ()), ((), (4,))]
TERNARY = [((), (), ()), ((4,), (4,), (4,)), ((3, 1), (1, 4), ()), ((3, 4), (), (3, 4))]


# ----------------------------------------------------------------------------- domains of this chapter
def open_unit(rng, shape):
    """In (0.05, 0.95): probabilities away from 0 and 1 (quantile functions)."""
    return rng.uniform(0.05, 0.95, shape)


def inside_pm_one(rng, shape):
    """In (-0.9, 0.9): erfinv away from its poles at ±1."""
    return rng.uniform(-0.9, 0.9, shape)


def wide_real(rng, shape):
    """In (-6, 4): the normal distribution function including its left tail."""
    return rng.uniform(-6.0, 4.0, shape)


def not_a_pole(rng, shape):
    """Positive, or negative away from the poles of Gamma at the non-positive integers."""
    x = rng.uniform(0.3, 4.0, shape)
    negative = rng.uniform(-2.8, -2.2, shape)
    return np.where(rng.random(shape) < 0.25, negative, x)


def nonzero_or_zero(rng, shape):
    """x of x log y: magnitudes in (0.2, 2) of either sign, and some exact zeros (where
    0 log y = 0 and the derivative in x is still log y)."""
    x = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.25, 0.0, x)


def _unary(name, op, domain, reference, **kw):
    return OpSpec(name, op, [domain], UNARY, reference, **kw)


def _binary(name, op, domains, reference, **kw):
    return OpSpec(name, op, list(domains), BINARY, reference, **kw)


SPECS = [
    _unary("gammaln", S.gammaln, not_a_pole, sc.gammaln),
    _unary("polygamma", S.digamma, not_a_pole, sc.digamma, case="digamma"),
    _unary("polygamma", lambda x: S.polygamma(1, x), positive, lambda x: sc.polygamma(1, x), case="trigamma"),
    _unary("polygamma", lambda x: S.polygamma(3, x), positive, lambda x: sc.polygamma(3, x), case="n=3",
           rtol=1e-4),
    _binary("betaln", S.betaln, (positive, positive), sc.betaln),
    _unary("erfc", S.erfc, real, sc.erfc),
    _unary("erfinv", S.erfinv, inside_pm_one, sc.erfinv, rtol=1e-4),
    _unary("ndtr", S.ndtr, wide_real, sc.ndtr),
    _unary("log_ndtr", S.log_ndtr, wide_real, sc.log_ndtr),
    _unary("ndtri", S.ndtri, open_unit, sc.ndtri, rtol=1e-4),
    _binary("xlogy", S.xlogy, (nonzero_or_zero, positive), sc.xlogy),
    _binary("xlog1py", S.xlog1py, (nonzero_or_zero, positive), sc.xlog1py),
]
