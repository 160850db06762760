"""OpSpecs of the elementwise and piecewise chapters (see specs/__init__.py).

Every primitive of ``ops/elementwise.py`` and ``ops/piecewise.py`` is checked here on scalars, vectors,
matrices and broadcasting pairs, sampled where it is smooth: away from the kinks of
``abs``/``relu``, the ties of ``maximum``, the bounds of ``clip``, the poles of
``tan`` and ``1/x``, the branch cut of ``arctan2``.  What happens *at* those points
is a convention, tested explicitly in ``tests/ops/test_elementwise.py``.
Piecewise-constant operations (``sign``, comparisons, ...) get value-only specs.
"""
from __future__ import annotations

import numpy as np
import scipy.special

from ..ops import elementwise as E, piecewise as P
from . import OpSpec, away_from_zero, positive, real, unit_interval

# ----------------------------------------------------------------------------- shapes
UNARY = [((),), ((5,),), ((3, 4),), ((2, 1, 3),)]
BINARY = [((), ()), ((4,), (4,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), ()), ((), (4,)),
          ((2, 1, 3), (4, 1))]


# ----------------------------------------------------------------------------- domains of this chapter
def above_minus_one(rng, shape):
    """In (-0.5, 2), inside the domain x > -1 of log1p."""
    return rng.uniform(-0.5, 2.0, shape)


def tan_domain(rng, shape):
    """In (-1.2, 1.2), away from the poles ±π/2 of tan."""
    return rng.uniform(-1.2, 1.2, shape)


def small_integers(rng, shape):
    """Integer-valued floats in {-2, ..., 3} (exponents of a power at negative bases)."""
    return rng.integers(-2, 4, shape).astype(np.float64)


def booleans(rng, shape):
    """True or False with probability 1/2 (conditions and masks: not differentiated)."""
    return rng.random(shape) < 0.5


def with_nonfinite(rng, shape):
    """Normal values with some NaN and ±inf mixed in."""
    x = rng.standard_normal(shape)
    pick = rng.random(shape)
    return np.where(pick < 0.2, np.nan, np.where(pick > 0.85, np.inf * np.sign(x), x))


def ties(rng, shape):
    """Integers in {-2, ..., 2} as floats, so that comparisons meet equal pairs."""
    return rng.integers(-2, 3, shape).astype(np.float64)


def wide(rng, shape):
    """In (-3, 3): several integers apart (floor, ceil, round, casts to int)."""
    return rng.uniform(-3.0, 3.0, shape)


def clip_input(rng, shape):
    """Below -0.6, in (-0.4, 0.4) or above 0.6: away from the bounds ±0.5 (clip's kinks)."""
    region = rng.integers(0, 3, shape)
    return np.choose(region, [rng.uniform(-2.0, -0.6, shape), rng.uniform(-0.4, 0.4, shape),
                              rng.uniform(0.6, 2.0, shape)])


def clip_input_wide(rng, shape):
    """Below -2, in (-0.4, 0.4) or above 2: away from bounds drawn in ±(0.6, 1.5)."""
    region = rng.integers(0, 3, shape)
    return np.choose(region, [rng.uniform(-3.0, -2.0, shape), rng.uniform(-0.4, 0.4, shape),
                              rng.uniform(2.0, 3.0, shape)])


def lower_bound(rng, shape):
    """In (-1.5, -0.6): a lower clipping bound."""
    return rng.uniform(-1.5, -0.6, shape)


def upper_bound(rng, shape):
    """In (0.6, 1.5): an upper clipping bound."""
    return rng.uniform(0.6, 1.5, shape)


def small(rng, shape):
    """In (-0.01, 0.01): float32 rounds these to within ~1e-9 (astype's checks)."""
    return rng.uniform(-0.01, 0.01, shape)


# ----------------------------------------------------------------------------- specs
def _unary(name, op, domain, reference, **kw):
    return OpSpec(name, op, [domain], UNARY, reference, **kw)


def _binary(name, op, domains, reference, **kw):
    return OpSpec(name, op, list(domains), BINARY, reference, **kw)


SPECS = [
    # arithmetic
    _binary("add", E.add, (real, real), np.add),
    _binary("subtract", E.subtract, (real, real), np.subtract),
    _unary("negative", E.negative, real, np.negative),
    _binary("multiply", E.multiply, (real, real), np.multiply),
    _binary("divide", E.divide, (real, away_from_zero), np.divide),
    _binary("power", E.power, (positive, real), np.power, case="tensor exponent"),
    _unary("power", lambda x: E.power(x, 2.5), positive, lambda x: x ** 2.5, case="number exponent"),
    _unary("power", lambda x: E.power(x, 3), real, lambda x: x ** 3, case="integer exponent, negative bases"),
    _binary("power", E.power, (away_from_zero, small_integers), np.power, argnums=(0,),
            case="integer-valued tensor exponent, negative bases",
            notes="x^y with x < 0 is real only for integer y; it is differentiated in x alone"),
    _unary("square", E.square, real, np.square),
    _unary("reciprocal", E.reciprocal, away_from_zero, np.reciprocal),
    _unary("sqrt", E.sqrt, positive, np.sqrt),
    # exp and log
    _unary("exp", E.exp, real, np.exp),
    _unary("expm1", E.expm1, real, np.expm1),
    _unary("log", E.log, positive, np.log),
    _unary("log1p", E.log1p, above_minus_one, np.log1p),
    _binary("logaddexp", E.logaddexp, (real, real), np.logaddexp),
    # trigonometric
    _unary("sin", E.sin, real, np.sin),
    _unary("cos", E.cos, real, np.cos),
    _unary("tan", E.tan, tan_domain, np.tan),
    _unary("arcsin", E.arcsin, unit_interval, np.arcsin),
    _unary("arccos", E.arccos, unit_interval, np.arccos),
    _unary("arctan", E.arctan, real, np.arctan),
    # y away from 0: the branch cut of atan2 is the negative x axis
    _binary("arctan2", E.arctan2, (away_from_zero, real), np.arctan2),
    # hyperbolic and special
    _unary("sinh", E.sinh, real, np.sinh),
    _unary("cosh", E.cosh, real, np.cosh),
    _unary("tanh", E.tanh, real, np.tanh),
    _unary("erf", E.erf, real, scipy.special.erf),
    _unary("sigmoid", E.sigmoid, real, scipy.special.expit),
    _unary("softplus", E.softplus, real, lambda x: np.logaddexp(0.0, x)),
    # piecewise smooth, sampled away from kinks and ties
    _unary("abs", P.abs, away_from_zero, np.abs),
    _unary("relu", P.relu, away_from_zero, lambda x: np.maximum(x, 0.0)),
    # relu's derivative as a primitive: linear in the cotangent g, constant in x (away from 0)
    _binary("relu_mask", P._relu_mask, (real, away_from_zero), lambda g, x: g * (x > 0), argnums=(0,)),
    _binary("maximum", P.maximum, (real, real), np.maximum),
    _binary("minimum", P.minimum, (real, real), np.minimum),
    _unary("clip", lambda x: P.clip(x, -0.5, 0.5), clip_input, lambda x: np.clip(x, -0.5, 0.5),
           case="number bounds"),
    _unary("clip", lambda x: P.clip(x, -0.5, None), clip_input, lambda x: np.maximum(x, -0.5),
           case="min only"),
    _unary("clip", lambda x: P.clip(x, None, 0.5), clip_input, lambda x: np.minimum(x, 0.5),
           case="max only"),
    OpSpec("clip", P.clip, [clip_input_wide, lower_bound, upper_bound],
           [((4,), (4,), (4,)), ((3, 4), (), ()), ((3, 4), (3, 1), (1, 4)), ((), (), ())],
           np.clip, case="tensor bounds"),
    OpSpec("where", E.where, [booleans, real, real],
           [((), (), ()), ((5,), (5,), (5,)), ((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()),
            ((3, 4), (4,), (3, 1))],
           np.where, argnums=(1, 2)),
    # float64 -> float32 rounds: check_grads widens its difference step for float32 results
    _unary("astype", lambda x: E.astype(x, np.float32), small, lambda x: x.astype(np.float32),
           case="float64->float32", rtol=1e-4, atol=1e-5),
    _unary("astype", lambda x: E.astype(E.astype(x, np.float32), np.float64), small,
           lambda x: x.astype(np.float32).astype(np.float64), case="float32->float64", rtol=1e-4, atol=1e-5),
    # piecewise constant: values only
    _unary("sign", P.sign, real, np.sign, order=0),
    _unary("floor", P.floor, wide, np.floor, order=0),
    _unary("ceil", P.ceil, wide, np.ceil, order=0),
    _unary("round", P.round, wide, np.round, order=0),
    _binary("equal", E.equal, (ties, ties), np.equal, order=0),
    _binary("not_equal", E.not_equal, (ties, ties), np.not_equal, order=0),
    _binary("less", E.less, (ties, ties), np.less, order=0),
    _binary("less_equal", E.less_equal, (ties, ties), np.less_equal, order=0),
    _binary("greater", E.greater, (ties, ties), np.greater, order=0),
    _binary("greater_equal", E.greater_equal, (ties, ties), np.greater_equal, order=0),
    _binary("logical_and", E.logical_and, (booleans, booleans), np.logical_and, order=0),
    _binary("logical_or", E.logical_or, (booleans, booleans), np.logical_or, order=0),
    _unary("logical_not", E.logical_not, booleans, np.logical_not, order=0),
    _unary("isnan", E.isnan, with_nonfinite, np.isnan, order=0),
    _unary("isfinite", E.isfinite, with_nonfinite, np.isfinite, order=0),
    _unary("astype_nondiff", lambda x: E.astype(x, np.int64), wide, lambda x: x.astype(np.int64),
           order=0, case="float->int"),
    _unary("astype_nondiff", lambda x: E.astype(x, np.float64), booleans, lambda x: x.astype(np.float64),
           order=0, case="bool->float"),
]
