"""OpSpecs of the reductions chapter (see specs/__init__.py).

Every axis reduction is tried on the same grid of cases: all axes (scalars up to
3-D), one axis, a negative axis, a tuple of axes, each with and without
``keepdims``.  ``max``/``min`` sample distinct values (ties are tested in
tests/ops/test_reductions.py); ``prod`` and ``cumprod`` are also checked, to
second order, at inputs holding exact zeros.
"""
from __future__ import annotations

import numpy as np
import scipy.special

from ..ops import log_sum_exp as S, reductions as R
from . import OpSpec, distinct, real

# (case label, axis, keepdims, input shapes)
AXIS_CASES = [
    ("all", None, False, [(), (5,), (3, 4), (2, 3, 4)]),
    ("all,keepdims", None, True, [(), (3, 4), (2, 3, 4)]),
    ("axis=1", 1, False, [(3, 4), (2, 3, 4)]),
    ("axis=-1,keepdims", -1, True, [(5,), (3, 4), (2, 3, 4)]),
    ("axis=(0,2)", (0, 2), False, [(2, 3, 4)]),
    ("axis=(0,2),keepdims", (0, 2), True, [(2, 3, 4)]),
]
SCAN_CASES = [
    ("flattened", None, [(), (5,), (3, 4)]),
    ("axis=0", 0, [(6,), (3, 4)]),
    ("axis=-1", -1, [(3, 4), (2, 3, 5)]),
    ("axis=1", 1, [(2, 3, 4)]),
]


# ----------------------------------------------------------------------------- samplers
def with_zeros(count):
    """Real values with ``count`` entries set to exactly 0 (fewer if the input is smaller)."""
    def sample(rng, shape):
        x = rng.standard_normal(shape)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, min(count, flat.size), replace=False)] = 0.0
        return flat.reshape(shape)
    sample.__doc__ = f"real, with {count} entr{'y' if count == 1 else 'ies'} exactly 0"
    return sample


def some_zeros(rng, shape):
    """Floats, about half of them exactly 0 (for all/any)."""
    return rng.integers(0, 2, shape) * rng.uniform(0.5, 2.0, shape)


def shifted(offset):
    """Standard normal values around ``offset`` (±1000: where a naive exp overflows)."""
    def sample(rng, shape):
        return rng.standard_normal(shape) + offset
    sample.__doc__ = f"real, around {offset}"
    return sample


# ----------------------------------------------------------------------------- references
def _np_with_scalar_axis(fn):
    """A softmax reference that also accepts a 0-d input (a scalar's softmax is 1)."""
    def ref(x, axis):
        if np.ndim(x) == 0:
            return fn(np.reshape(x, (1,)), axis=0).reshape(())
        return fn(x, axis=axis)
    return ref


def _ref_logsumexp(x, axis, keepdims):
    """SciPy's logsumexp; a 0-d input is its own log-sum-exp (SciPy returns shape (1,) with keepdims)."""
    if np.ndim(x) == 0:
        return np.asarray(x)
    return scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)


def _ref_softmax(x, axis):
    return _np_with_scalar_axis(scipy.special.softmax)(x, axis)


def _ref_log_softmax(x, axis):
    return _np_with_scalar_axis(scipy.special.log_softmax)(x, axis)


# ----------------------------------------------------------------------------- builders
def axis_specs(name, fn, reference, domain=real, cases=AXIS_CASES, label="", **kw):
    """One spec per axis case: ``fn(x, axis=..., keepdims=...)`` against ``reference`` likewise."""
    specs = []
    for case, axis, keepdims, shapes in cases:
        specs.append(OpSpec(
            name, (lambda x, a=axis, k=keepdims: fn(x, axis=a, keepdims=k)), [domain], [(s,) for s in shapes],
            reference=(lambda x, a=axis, k=keepdims: reference(x, axis=a, keepdims=k)),
            case=f"{label}{case}", **kw))
    return specs


def scan_specs(name, fn, reference, domain=real, label="", **kw):
    return [OpSpec(name, (lambda x, a=axis: fn(x, axis=a)), [domain], [(s,) for s in shapes],
                   reference=(lambda x, a=axis: reference(x, axis=a)), case=f"{label}{case}", **kw)
            for case, axis, shapes in SCAN_CASES]


def _np_var(ddof):
    return lambda x, axis, keepdims: np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _np_std(ddof):
    return lambda x, axis, keepdims: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


# Cases where n - ddof > 0 for ddof = 1 (no 0-d input, no single-element axis).
MOMENT_CASES = [c for c in AXIS_CASES if c[0] in ("all", "axis=1", "axis=(0,2),keepdims")]
MOMENT_CASES = [(case, axis, keep, [s for s in shapes if s != ()]) for case, axis, keep, shapes in MOMENT_CASES]

SPECS = [
    *axis_specs("sum", R.sum, np.sum),
    *axis_specs("prod", R.prod, np.prod),
    *axis_specs("prod", R.prod, np.prod, domain=with_zeros(1), label="one zero,",
                cases=[c for c in AXIS_CASES if c[0] in ("all", "axis=1", "axis=(0,2),keepdims")]),
    *axis_specs("prod", R.prod, np.prod, domain=with_zeros(2), label="two zeros,",
                cases=[c for c in AXIS_CASES if c[0] in ("all", "axis=(0,2)")]),
    *axis_specs("max", R.max, np.max, domain=distinct),
    *axis_specs("min", R.min, np.min, domain=distinct),
    *axis_specs("logsumexp", S.logsumexp, _ref_logsumexp),
    OpSpec("logsumexp", lambda x: S.logsumexp(x, axis=-1), [shifted(1000.0)], [((4,),), ((3, 4),)],
           reference=lambda x: scipy.special.logsumexp(x, axis=-1), case="around 1000"),
    OpSpec("logsumexp", lambda x: S.logsumexp(x, axis=0), [shifted(-1000.0)], [((3, 4),)],
           reference=lambda x: scipy.special.logsumexp(x, axis=0), case="around -1000"),
    OpSpec("softmax", lambda x: S.softmax(x), [real], [((),), ((5,),), ((3, 4),), ((2, 3, 4),)],
           reference=lambda x: _ref_softmax(x, -1), case="axis=-1"),
    OpSpec("softmax", lambda x: S.softmax(x, axis=0), [real], [((3, 4),)],
           reference=lambda x: _ref_softmax(x, 0), case="axis=0"),
    OpSpec("softmax", lambda x: S.softmax(x, axis=1), [shifted(1000.0)], [((2, 3, 4),)],
           reference=lambda x: _ref_softmax(x, 1), case="axis=1,around 1000"),
    OpSpec("log_softmax", lambda x: S.log_softmax(x), [real], [((),), ((5,),), ((3, 4),), ((2, 3, 4),)],
           reference=lambda x: _ref_log_softmax(x, -1), case="axis=-1"),
    OpSpec("log_softmax", lambda x: S.log_softmax(x, axis=0), [real], [((3, 4),)],
           reference=lambda x: _ref_log_softmax(x, 0), case="axis=0"),
    OpSpec("log_softmax", lambda x: S.log_softmax(x, axis=1), [shifted(-1000.0)], [((2, 3, 4),)],
           reference=lambda x: _ref_log_softmax(x, 1), case="axis=1,around -1000"),
    # log-softmax's reverse rule as a primitive: g a cotangent, y a log-softmax output (any real y is in its domain)
    OpSpec("log_softmax_vjp", lambda g, y: S._log_softmax_vjp(g, y, axis=(1,)), [real, real],
           [((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4))],
           reference=lambda g, y: g - np.exp(y) * g.sum(axis=1, keepdims=True), case="axis=1"),
    OpSpec("log_softmax_vjp", lambda g, y: S._log_softmax_vjp(g, y, axis=(0,)), [real, real], [((5,), (5,))],
           reference=lambda g, y: g - np.exp(y) * g.sum(axis=0, keepdims=True), case="vector"),
    *scan_specs("cumsum", R.cumsum, np.cumsum),
    *scan_specs("cumprod", R.cumprod, np.cumprod),
    *scan_specs("cumprod", R.cumprod, np.cumprod, domain=with_zeros(1), label="one zero,"),
    OpSpec("cumprod", lambda x: R.cumprod(x, axis=-1), [with_zeros(3)], [((7,),), ((2, 9),)],
           reference=lambda x: np.cumprod(x, axis=-1), case="three zeros"),
    *axis_specs("argmax", R.argmax, np.argmax, domain=distinct, order=0,
                cases=[c for c in AXIS_CASES if not isinstance(c[1], tuple)]),
    *axis_specs("argmin", R.argmin, np.argmin, domain=distinct, order=0,
                cases=[c for c in AXIS_CASES if not isinstance(c[1], tuple)]),
    *axis_specs("all", R.all, np.all, domain=some_zeros, order=0),
    *axis_specs("any", R.any, np.any, domain=some_zeros, order=0),
    # composites: their derivatives come from the primitives above
    *axis_specs("mean", R.mean, np.mean, composite=True),
    *axis_specs("var", R.var, _np_var(0), composite=True),
    *axis_specs("var", lambda x, axis, keepdims: R.var(x, axis, ddof=1, keepdims=keepdims), _np_var(1),
                cases=MOMENT_CASES, label="ddof=1,", composite=True),
    *axis_specs("std", R.std, _np_std(0), composite=True,
                cases=[c for c in AXIS_CASES if c[0] != "all,keepdims"]),
    *axis_specs("std", lambda x, axis, keepdims: R.std(x, axis, correction=1, keepdims=keepdims), _np_std(1),
                cases=MOMENT_CASES, label="correction=1,", composite=True),
]
