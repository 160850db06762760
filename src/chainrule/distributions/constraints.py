r"""Constraints: the sets that parameters and values of a distribution live in.

A constraint is a set :math:`C` with a membership test ``check(value)`` (a boolean tensor,
reduced over the constraint's ``event_dim`` rightmost axes) and, for continuous sets, a
bijection from unconstrained space onto it (``constraint.transform``, the same as
:func:`chainrule.distributions.transforms.biject_to`).  Names follow ``torch.distributions.constraints``:

===========================  ===============================================  =====================
constraint                   set                                              ``biject_to``
===========================  ===============================================  =====================
``real``                     :math:`\mathbb{R}` (not NaN)                     identity
``positive``                 :math:`(0, \infty)`                              :math:`e^x`
``nonnegative``              :math:`[0, \infty)`                              :math:`e^x`
``greater_than(lo)``         :math:`(lo, \infty)`                             :math:`lo + e^x`
``greater_than_eq(lo)``      :math:`[lo, \infty)`                             :math:`lo + e^x`
``less_than(hi)``            :math:`(-\infty, hi)`                            :math:`hi - e^x`
``unit_interval``            :math:`(0, 1)`, **open**                         :math:`\sigma(x)`
``closed_unit_interval``     :math:`[0, 1]`                                   :math:`\sigma(x)`
``interval(lo, hi)``         :math:`[lo, hi]`                                 :math:`lo + (hi - lo)\sigma(x)`
``open_interval(lo, hi)``    :math:`(lo, hi)`                                 as ``interval``
``half_open_interval``       :math:`[lo, hi)`                                 as ``interval``
``simplex``                  :math:`p_i \ge 0,\ \sum_i p_i = 1` (last axis)   stick-breaking
``lower_cholesky``           lower triangular, positive diagonal              strict tril + exp(diag)
``positive_definite``        symmetric positive definite                      :math:`LL^\top`
``independent(c, n)``        :math:`c` on each of the ``n`` rightmost axes    that of :math:`c`
``boolean``                  :math:`\{0, 1\}`                                 none (discrete)
``integer_interval(lo, hi)`` :math:`\{lo, \dots, hi\}`                        none (discrete)
``nonnegative_integer``      :math:`\{0, 1, 2, \dots\}`                       none (discrete)
``positive_integer``         :math:`\{1, 2, \dots\}`                          none (discrete)
``multinomial(n)``           non-negative integer vectors summing to ``n``    none (discrete)
``one_hot``                  one-hot vectors                                  none (discrete)
``dependent``                depends on other parameters (checked by the      none
                             distribution itself)
===========================  ===============================================  =====================

Note one deliberate difference from PyTorch: ``unit_interval`` is the *open* interval
:math:`(0, 1)` (the set a sigmoid maps onto, where maximum likelihood fits a probability);
PyTorch's closed :math:`[0, 1]` is ``closed_unit_interval`` here.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import ops


def _as_tensor(value):
    from ..tensor import Tensor
    return value if isinstance(value, Tensor) else ops.as_tensor(np.asarray(value))


def _bound_str(b) -> str:
    if isinstance(b, numbers.Number):
        return f"{b:g}"
    return "(a tensor)"


class Constraint:
    """A set of values.  ``check(value)`` is a boolean tensor of shape
    ``value.shape[:value.ndim - event_dim]``."""

    is_discrete = False
    event_dim = 0
    name = "constraint"

    def check(self, value):
        raise NotImplementedError

    def safe_point(self, value):
        """A point of the set that broadcasts against ``value`` (where a masked log-density
        is evaluated instead of outside the support, so that no NaN enters a derivative)."""
        raise NotImplementedError(f"{self}: no interior point is defined")

    @property
    def transform(self):
        """The bijection from unconstrained space onto this set (``biject_to(self)``)."""
        from .transforms import biject_to
        return biject_to(self)

    def __repr__(self) -> str:
        return f"constraints.{self.name}"


# ----------------------------------------------------------------------------- real line and half lines
class _Real(Constraint):
    name = "real"
    description = "a real number (not NaN)"

    def check(self, value):
        value = _as_tensor(value)
        return value == value

    def safe_point(self, value):
        return 0.0


class _GreaterThan(Constraint):
    def __init__(self, lower_bound, inclusive=False):
        self.lower_bound = lower_bound
        self.inclusive = inclusive
        sign = "≥" if inclusive else ">"
        self.description = f"{sign} {_bound_str(lower_bound)}"
        if isinstance(lower_bound, numbers.Number) and lower_bound == 0:
            self.name = "nonnegative" if inclusive else "positive"
        else:
            self.name = f"greater_than{'_eq' if inclusive else ''}({_bound_str(lower_bound)})"

    def check(self, value):
        value = _as_tensor(value)
        return value >= self.lower_bound if self.inclusive else value > self.lower_bound

    def safe_point(self, value):
        return self.lower_bound + 1.0


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound
        self.description = f"< {_bound_str(upper_bound)}"
        self.name = f"less_than({_bound_str(upper_bound)})"

    def check(self, value):
        return _as_tensor(value) < self.upper_bound

    def safe_point(self, value):
        return self.upper_bound - 1.0


class _Interval(Constraint):
    """An interval with each end open or closed."""

    def __init__(self, lower_bound, upper_bound, closed_lower=True, closed_upper=True, name=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.closed_lower, self.closed_upper = closed_lower, closed_upper
        left, right = "[" if closed_lower else "(", "]" if closed_upper else ")"
        self.description = f"in {left}{_bound_str(lower_bound)}, {_bound_str(upper_bound)}{right}"
        kind = {(True, True): "interval", (False, False): "open_interval",
                (True, False): "half_open_interval", (False, True): "open_closed_interval"}
        self.name = name or f"{kind[closed_lower, closed_upper]}({_bound_str(lower_bound)}, {_bound_str(upper_bound)})"

    def check(self, value):
        value = _as_tensor(value)
        above = value >= self.lower_bound if self.closed_lower else value > self.lower_bound
        below = value <= self.upper_bound if self.closed_upper else value < self.upper_bound
        return above & below

    def safe_point(self, value):
        return 0.5 * (self.lower_bound + self.upper_bound)


# ----------------------------------------------------------------------------- integers
class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        if upper_bound is None:
            self.description = f"an integer ≥ {_bound_str(lower_bound)}"
            self.name = {0: "nonnegative_integer", 1: "positive_integer"}.get(
                lower_bound if isinstance(lower_bound, numbers.Number) else None,
                f"integer_greater_than({_bound_str(lower_bound)})")
        else:
            self.description = f"an integer in {{{_bound_str(lower_bound)}, ..., {_bound_str(upper_bound)}}}"
            self.name = f"integer_interval({_bound_str(lower_bound)}, {_bound_str(upper_bound)})"

    def check(self, value):
        value = _as_tensor(value)
        ok = (value == ops.floor(value)) & (value >= self.lower_bound)
        if self.upper_bound is not None:
            ok = ok & (value <= self.upper_bound)
        return ok

    def safe_point(self, value):
        return self.lower_bound


class _Boolean(Constraint):
    is_discrete = True
    name = "boolean"
    description = "0 or 1"

    def check(self, value):
        value = _as_tensor(value)
        return (value == 0) | (value == 1)

    def safe_point(self, value):
        return 0.0


# ----------------------------------------------------------------------------- vectors and matrices
def _sum_tolerance(dtype) -> float:
    """How far from 1 a float sum of probabilities may be (PyTorch uses 1e-6)."""
    return 1e-6 if np.dtype(dtype).itemsize >= 8 else 1e-5


class _Simplex(Constraint):
    event_dim = 1
    name = "simplex"
    description = "a probability vector (entries ≥ 0 summing to 1 along the last axis)"

    def check(self, value):
        value = _as_tensor(value)
        total = ops.sum(value, axis=-1)
        return ops.all(value >= 0, axis=-1) & (ops.abs(total - 1.0) < _sum_tolerance(value.dtype))

    def safe_point(self, value):
        k = value.shape[-1]
        return ops.full((k,), 1.0 / k, dtype=value.dtype)


class _Multinomial(Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, total_count):
        self.total_count = total_count
        self.name = f"multinomial({_bound_str(total_count)})"
        self.description = f"non-negative integer counts summing to {_bound_str(total_count)}"

    def check(self, value):
        value = _as_tensor(value)
        counts_ok = ops.all((value >= 0) & (value == ops.floor(value)), axis=-1)
        return counts_ok & (ops.sum(value, axis=-1) == self.total_count)

    def safe_point(self, value):
        k = value.shape[-1]
        first = ops.tensor(np.eye(1, k, dtype=value.dtype)[0])
        return first * ops.expand_dims(ops.as_tensor(self.total_count, dtype=value.dtype), -1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1
    name = "one_hot"
    description = "a one-hot vector"

    def check(self, value):
        value = _as_tensor(value)
        return ops.all((value == 0) | (value == 1), axis=-1) & (ops.sum(value, axis=-1) == 1)

    def safe_point(self, value):
        return ops.tensor(np.eye(1, value.shape[-1], dtype=value.dtype)[0])


def _symmetric_tolerance(value) -> float:
    return 1e-8 if value.dtype.itemsize >= 8 else 1e-5


class _LowerCholesky(Constraint):
    event_dim = 2
    name = "lower_cholesky"
    description = "a lower triangular matrix with a positive diagonal"

    def check(self, value):
        value = _as_tensor(value)
        lower = ops.all(value == ops.tril(value), axis=(-2, -1))
        return lower & ops.all(ops.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)

    def safe_point(self, value):
        return ops.eye(value.shape[-1], dtype=value.dtype)


class _PositiveDefinite(Constraint):
    event_dim = 2
    name = "positive_definite"
    description = "a symmetric positive-definite matrix"

    def check(self, value):
        from .. import linalg
        value = _as_tensor(value)
        scale = ops.max(ops.abs(value), axis=(-2, -1))
        asym = ops.max(ops.abs(value - ops.matrix_transpose(value)), axis=(-2, -1))
        symmetric = asym <= _symmetric_tolerance(value) * (1.0 + scale)
        return symmetric & (ops.min(linalg.eigvalsh(value), axis=-1) > 0)

    def safe_point(self, value):
        return ops.eye(value.shape[-1], dtype=value.dtype)


class _Independent(Constraint):
    """``base`` holds on each element of the ``reinterpreted_batch_ndims`` rightmost axes."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.description = f"{getattr(base_constraint, 'description', base_constraint)} in every entry"
        self.name = f"independent({base_constraint.name}, {reinterpreted_batch_ndims})"

    def check(self, value):
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        return ops.all(ok, axis=tuple(range(-n, 0))) if n else ok

    def safe_point(self, value):
        return self.base_constraint.safe_point(value)


class _Dependent(Constraint):
    """A parameter whose valid set depends on others (``low < high`` of a Uniform): the
    distribution checks it itself; it has no transform."""

    name = "dependent"
    description = "constrained by the other parameters"

    def __init__(self, is_discrete=False, event_dim=0):
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def check(self, value):
        raise ValueError("a dependent constraint is checked by its distribution, not on its own")


# ----------------------------------------------------------------------------- the public names
real = _Real()
real_vector = _Independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, inclusive=True)
unit_interval = _Interval(0.0, 1.0, closed_lower=False, closed_upper=False, name="unit_interval")
closed_unit_interval = _Interval(0.0, 1.0, name="closed_unit_interval")
simplex = _Simplex()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
boolean = _Boolean()
nonnegative_integer = _IntegerInterval(0)
positive_integer = _IntegerInterval(1)
one_hot = _OneHot()
dependent = _Dependent()


def greater_than(lower_bound) -> Constraint:
    """:math:`(lo, \\infty)`."""
    return _GreaterThan(lower_bound)


def greater_than_eq(lower_bound) -> Constraint:
    """:math:`[lo, \\infty)`."""
    return _GreaterThan(lower_bound, inclusive=True)


def less_than(upper_bound) -> Constraint:
    """:math:`(-\\infty, hi)`."""
    return _LessThan(upper_bound)


def interval(lower_bound, upper_bound) -> Constraint:
    """The closed interval :math:`[lo, hi]` (PyTorch's ``interval``)."""
    return _Interval(lower_bound, upper_bound)


def open_interval(lower_bound, upper_bound) -> Constraint:
    """The open interval :math:`(lo, hi)`."""
    return _Interval(lower_bound, upper_bound, closed_lower=False, closed_upper=False)


def half_open_interval(lower_bound, upper_bound) -> Constraint:
    """:math:`[lo, hi)` (PyTorch's ``half_open_interval``)."""
    return _Interval(lower_bound, upper_bound, closed_upper=False)


def open_closed_interval(lower_bound, upper_bound) -> Constraint:
    """:math:`(lo, hi]` (the success probability of a Geometric distribution)."""
    return _Interval(lower_bound, upper_bound, closed_lower=False)


def integer_interval(lower_bound, upper_bound) -> Constraint:
    """The integers :math:`\\{lo, \\dots, hi\\}`."""
    return _IntegerInterval(lower_bound, upper_bound)


def integer_greater_than(lower_bound) -> Constraint:
    """The integers :math:`\\ge lo`."""
    return _IntegerInterval(lower_bound)


def multinomial(total_count) -> Constraint:
    """Non-negative integer vectors summing to ``total_count``."""
    return _Multinomial(total_count)


def independent(base_constraint, reinterpreted_batch_ndims: int) -> Constraint:
    """``base_constraint`` on every entry of the ``reinterpreted_batch_ndims`` rightmost axes."""
    return _Independent(base_constraint, reinterpreted_batch_ndims)


def describe(constraint) -> str:
    """``constraints.positive (> 0)``: the name and the set, for error messages."""
    text = getattr(constraint, "description", "")
    return f"{constraint!r} ({text})" if text else repr(constraint)


__all__ = ["Constraint", "real", "real_vector", "positive", "nonnegative", "unit_interval", "closed_unit_interval",
           "simplex", "lower_cholesky", "positive_definite", "boolean", "nonnegative_integer", "positive_integer",
           "one_hot", "dependent", "greater_than", "greater_than_eq", "less_than", "interval", "open_interval",
           "half_open_interval", "open_closed_interval", "integer_interval", "integer_greater_than", "multinomial",
           "independent", "describe"]

