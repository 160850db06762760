r"""The base class of every distribution, and what its subclasses share.

A distribution has a ``batch_shape`` (independent, differently parameterized copies) and
an ``event_shape`` (the shape of one draw: ``()`` for a scalar, ``(k,)`` for a vector).
``sample(sample_shape)`` returns ``sample_shape + batch_shape + event_shape``;
``log_prob(value)`` returns the broadcast of ``value``'s leading axes with ``batch_shape``.

Conventions (PyTorch's, with one addition):

* Parameters are tensors; Python numbers take the dtype of the tensor parameters (the
  default dtype if there are none), and all are broadcast to ``batch_shape``.  A parameter
  given as a tensor keeps its graph: ``log_prob``, ``cdf``, ``entropy``, moments and
  ``rsample`` are differentiable in it.
* ``validate_args`` (default ``True``, see :meth:`Distribution.set_default_validate_args`):
  a parameter outside its constraint raises :class:`ValueError` naming the parameter and
  the constraint, before anything is computed, and ``log_prob`` of a value outside the
  support raises too.  With ``validate_args=False`` no parameter is checked and ``log_prob``
  outside the support is :math:`-\infty` (computed at a safe point and masked, so
  that no NaN reaches a gradient).
* ``sample(sample_shape, rng)`` takes ``rng``: an int seed or a
  ``numpy.random.Generator``; the same seed gives bit-identical draws.  ``sample`` is
  never differentiable; ``rsample`` (where ``has_rsample``) is the reparameterized draw
  :math:`x = g_\theta(\varepsilon)`, differentiable in the parameters :math:`\theta`.
* ``cdf`` is defined on the whole line (0 below the support, 1 above); ``icdf`` takes
  probabilities in :math:`[0, 1]`.
"""
from __future__ import annotations

import numbers
from functools import cached_property  # noqa: F401  (re-exported for the subclasses' derived parameters)

import numpy as np

from .. import dtypes, ops
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from . import constraints


# ----------------------------------------------------------------------------- helpers
def concrete(value):
    """The values of a tensor as a NumPy array, or ``None`` inside ``vmap`` (where a batched
    tensor has no single value: validation that needs values is then skipped)."""
    if not isinstance(value, Tensor):
        return np.asarray(value)
    data = value._data
    if data is None:
        return None
    return data if isinstance(data, np.ndarray) else data.get()


def generator(rng) -> np.random.Generator:
    """``rng`` as a NumPy Generator: an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int seed, a numpy.random.Generator or None, got {type(rng).__name__}")


def float_dtype(*values):
    """The floating dtype of the tensor parameters (NumPy's promotion), else the default dtype."""
    kinds = [v.dtype for v in values if isinstance(v, (Tensor, np.ndarray)) and v.dtype.kind == "f"]
    return np.result_type(*kinds) if kinds else dtypes.get_default_dtype()


def as_float(value, dtype):
    """``value`` as a tensor of the floating ``dtype`` (differentiably, if it is a tensor)."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else ops.astype(value, dtype)
    return ops.as_tensor(np.asarray(value, dtype=dtype))


def broadcast_all(*values):
    """The parameters as tensors of one floating dtype, broadcast to one shape (differentiably)."""
    dtype = float_dtype(*values)
    tensors = [as_float(v, dtype) for v in values]
    try:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:
        shapes = " and ".join(fmt_shape(tuple(t.shape)) for t in tensors)
        raise ShapeError(f"the parameters' shapes {shapes} cannot be broadcast together") from None
    return [t if tuple(t.shape) == shape else ops.broadcast_to(t, shape) for t in tensors]


def _sample_shape(sample_shape) -> tuple:
    if isinstance(sample_shape, numbers.Integral):
        return (int(sample_shape),)
    return tuple(int(n) for n in sample_shape)


def _first_failure(value, ok) -> str:
    """``-1.0 (at index (2,))``: the first entry that fails a check, for an error message."""
    values = concrete(value)
    bad = np.argwhere(~np.asarray(ok, dtype=bool))
    if values is None or bad.shape[0] == 0:
        return ""
    index = tuple(int(i) for i in bad[0])
    shown = values[index]             # an entry, or the whole failing event (a vector, a matrix)
    where = f" at index {index}" if index else ""
    text = np.array2string(np.asarray(shown), precision=6, separator=", ", max_line_width=10**6)
    return f"got {text.replace(chr(10), '')}{where}"


def _expand_event(inside, event_dim: int):
    """A per-event mask with singleton event axes, so it broadcasts against the value."""
    if event_dim == 0:
        return inside
    return ops.reshape(inside, tuple(inside.shape) + (1,) * event_dim)


# ----------------------------------------------------------------------------- the base class
class Distribution:
    r"""A probability distribution: sampling, log density (or mass), moments and entropy.

    Subclasses set ``arg_constraints`` (parameter name → constraint, in the order of the
    constructor's arguments), ``support`` and implement ``_log_prob`` (and what else they
    can: ``_cdf``, ``_icdf``, ``_sample`` or ``rsample``, ``mean``, ``variance``, ``mode``,
    ``entropy``).
    """

    arg_constraints: dict = {}
    support: constraints.Constraint | None = None
    has_rsample = False
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            self._validate_parameters()

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether new distributions validate their parameters and ``log_prob`` values (default True)."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_default = value

    # -- shapes ----------------------------------------------------------------------
    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        return _sample_shape(sample_shape) + self._batch_shape + self._event_shape

    @property
    def dtype(self):
        """The floating dtype of the parameters (and of samples, except integer indices)."""
        return self._dtype

    # -- validation ------------------------------------------------------------------
    def _validate_parameters(self) -> None:
        name_of = type(self).__name__
        for name, constraint in self.arg_constraints.items():
            if isinstance(constraint, constraints._Dependent) or name not in self.__dict__:
                continue            # derived (logits from probs) or checked by the class itself
            value = self.__dict__[name]
            ok = concrete(constraint.check(value))
            if ok is not None and not np.all(ok):
                raise ValueError(f"{name_of}: parameter {name} must satisfy {constraints.describe(constraint)}; "
                                 f"{_first_failure(value, ok)}")
        self._validate_dependent()

    def _validate_dependent(self) -> None:
        """Checks of parameters constrained by each other (``low < high``); subclasses override."""

    def _require(self, condition, message: str) -> None:
        """Raise ``ValueError(message)`` unless ``condition`` (a boolean tensor) holds everywhere."""
        ok = concrete(condition)
        if ok is not None and not np.all(ok):
            raise ValueError(f"{type(self).__name__}: {message}")

    def _as_value(self, value):
        """A value as a tensor of the parameters' dtype (counts given as ints become floats)."""
        if not isinstance(value, Tensor):
            return ops.as_tensor(np.asarray(value, dtype=self._dtype))
        if value.dtype.kind != "f":
            return ops.astype(value, self._dtype)
        return value

    def _validate_sample(self, value, where: str) -> None:
        event = len(self._event_shape)
        shape = tuple(value.shape)
        if event and shape[len(shape) - event:] != self._event_shape:
            raise ShapeError(f"{type(self).__name__}.{where}: a value of shape {fmt_shape(shape)} does not end "
                             f"with the event shape {fmt_shape(self._event_shape)}")
        try:
            np.broadcast_shapes(shape[:len(shape) - event], self._batch_shape)
        except ValueError:
            raise ShapeError(f"{type(self).__name__}.{where}: a value of shape {fmt_shape(shape)} does not "
                             f"broadcast against the batch shape {fmt_shape(self._batch_shape)}") from None
        ok = concrete(self.support.check(value))
        if ok is not None and not np.all(ok):
            raise ValueError(f"{type(self).__name__}.{where}: the value is outside the support "
                             f"{constraints.describe(self.support)}; {_first_failure(value, ok)} "
                             f"(with validate_args=False, log_prob is -inf there)")

    # -- densities -------------------------------------------------------------------
    def log_prob(self, value):
        r"""The log density (or log mass) :math:`\log p(x)`; :math:`-\infty` outside the support
        (or ``ValueError`` with ``validate_args``)."""
        value = self._as_value(value)
        if self._validate_args:
            self._validate_sample(value, "log_prob")
            return self._log_prob(value)
        return self._masked(value, self._log_prob, -np.inf)

    def _masked(self, value, fn, fill):
        """``fn(value)`` inside the support and ``fill`` outside, with ``fn`` evaluated at a safe
        point of the support where the value is outside ("double where": no NaN in a gradient)."""
        support = self.support
        inside = support.check(value)
        ok = concrete(inside)
        if ok is not None and np.all(ok):
            return fn(value)
        mask = _expand_event(inside, support.event_dim)
        safe = ops.where(mask, value, support.safe_point(value))
        return ops.where(inside, fn(safe), fill)

    def prob(self, value):
        """The density (or mass) :math:`p(x) = e^{\\log p(x)}`."""
        return ops.exp(self.log_prob(value))

    def cdf(self, value):
        r"""The distribution function :math:`F(x) = P(X \le x)` (0 below the support, 1 above)."""
        return self._cdf(self._as_value(value))

    def icdf(self, value):
        r"""The quantile function :math:`F^{-1}(q)` for :math:`q \in [0, 1]`."""
        q = self._as_value(value)
        if self._validate_args:
            ok = concrete((q >= 0) & (q <= 1))
            if ok is not None and not np.all(ok):
                raise ValueError(f"{type(self).__name__}.icdf: probabilities must lie in [0, 1]; "
                                 f"{_first_failure(q, ok)}")
        return self._icdf(q)

    def _log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__}: log_prob is not implemented")

    def _cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__}: cdf is not defined")

    def _icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__}: icdf is not defined")

    # -- sampling --------------------------------------------------------------------
    def sample(self, sample_shape=(), rng=None):
        """Draws of shape ``sample_shape + batch_shape + event_shape`` (not differentiable).

        ``rng``: an int seed or a ``numpy.random.Generator`` (the same seed, the same draws).
        A family with a sampler of its own (``_sample``: NumPy's gamma, beta and t generators,
        faster than the inverse distribution functions behind their ``rsample``) uses it; the
        others return ``rsample`` detached."""
        rng = generator(rng)
        if self.has_rsample and type(self)._sample is Distribution._sample:
            return self.rsample(sample_shape, rng).detach()
        return self._sample(self._extended_shape(sample_shape), rng)

    def rsample(self, sample_shape=(), rng=None):
        r"""A reparameterized draw :math:`x = g_\theta(\varepsilon)`, differentiable in the parameters."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler (rsample); "
                                  f"use sample(), whose draws carry no gradient")

    def _sample(self, shape, rng):
        raise NotImplementedError(f"{type(self).__name__}: sample is not implemented")

    def _noise(self, sample_shape, rng, draw, dtype=None):
        """Parameter-free noise :math:`\\varepsilon` for ``rsample``, of the extended shape, in the
        parameters' dtype (or ``dtype``): ``draw(generator, shape)`` is a NumPy sampler."""
        shape = self._extended_shape(sample_shape)
        return ops.as_tensor(np.asarray(draw(generator(rng), shape), dtype=self._dtype if dtype is None else dtype))

    # -- moments ---------------------------------------------------------------------
    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__}: mean is not implemented")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__}: variance is not implemented")

    @property
    def stddev(self):
        """:math:`\\sqrt{\\operatorname{Var} X}`."""
        return ops.sqrt(self.variance)

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__}: mode is not implemented")

    def entropy(self):
        r"""The (differential) entropy :math:`H = -E[\log p(X)]` in nats."""
        raise NotImplementedError(f"{type(self).__name__}: entropy is not implemented")

    def __repr__(self) -> str:
        params = ", ".join(f"{name}: {fmt_shape(tuple(self.__dict__[name].shape))}"
                           for name in self.arg_constraints if isinstance(self.__dict__.get(name), Tensor))
        return f"{type(self).__name__}({params})"


# ----------------------------------------------------------------------------- discrete helpers
class DiscreteIntegerMixin:
    """The quantile function of a distribution on integers, :math:`F^{-1}(q) = \\min\\{k : F(k) \\ge q\\}`,
    found by bisection on ``cdf`` (vectorised; the result is an integer, so not differentiable)."""

    def _icdf(self, q):
        from ..autodiff import no_grad
        with no_grad():
            cdf = lambda k: concrete(self.cdf(ops.as_tensor(k)))  # noqa: E731
            target = np.broadcast_to(concrete(q), np.broadcast_shapes(tuple(q.shape), self._batch_shape))
            target = np.asarray(target, dtype=self._dtype)
            low = np.full(target.shape, -1.0, dtype=self._dtype)       # F(low) = 0 < q (for q > 0)
            high = np.zeros(target.shape, dtype=self._dtype)
            # Grow the upper end until F(high) >= q by doubling (vectorised over the batch); q = 1
            # is reached only at the end of the support, which may be infinite.
            finite = target < 1
            for _ in range(64):
                short = (cdf(high) < target) & finite
                if not short.any():
                    break
                high = np.where(short, 2.0 * high + 1.0, high)
            while np.any(high - low > 1):
                mid = np.floor(0.5 * (low + high))
                reached = cdf(mid) >= target
                high = np.where(reached, mid, high)
                low = np.where(reached, low, mid)
            high = np.where(finite, high, self._support_end())
            return ops.as_tensor(high.astype(self._dtype))

    def _support_end(self):
        """The largest value of the support (infinite unless overridden)."""
        return np.inf
