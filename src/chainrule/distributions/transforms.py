r"""Bijections between unconstrained space and the sets of :mod:`.constraints`.

A :class:`Transform` :math:`T` maps :math:`x` (its ``domain``) to :math:`y = T(x)` (its
``codomain``); ``T.inv`` is the inverse transform and ``T.log_abs_det_jacobian(x, y)`` is
:math:`\log|\det \partial y/\partial x|`, summed over the transform's event axes (the
change-of-variables term of a transformed density,
:math:`\log p_Y(y) = \log p_X(x) - \log|\det J_T(x)|`).

:func:`biject_to` (PyTorch's name) gives, for a constraint, the transform from
:math:`\mathbb{R}^n` onto it: optimizers then work on unconstrained :math:`x` (maximum
likelihood with a positive scale, a probability, a simplex, a covariance matrix).
:func:`transform_to` is the same except for the simplex, which it reaches by a softmax
(not injective) instead of stick-breaking (a bijection onto the open simplex).

Everything is written with chainrule's operations, so a transform, its inverse and its
Jacobian term can be differentiated (twice).
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from . import constraints


class Transform:
    """An invertible map :math:`y = T(x)` with its log-Jacobian determinant."""

    domain = constraints.real
    codomain = constraints.real
    bijective = True

    @property
    def event_dim(self) -> int:
        return self.domain.event_dim

    def __call__(self, x):
        return self._call(_tensor(x))

    @property
    def inv(self) -> "Transform":
        """The inverse transform (calling it computes :math:`T^{-1}(y)`)."""
        return _InverseTransform(self)

    def log_abs_det_jacobian(self, x, y):
        r""":math:`\log|\det \partial y / \partial x|` summed over the event axes."""
        raise NotImplementedError(f"{type(self).__name__}: log_abs_det_jacobian is not defined")

    def forward_shape(self, shape):
        return tuple(shape)

    def inverse_shape(self, shape):
        return tuple(shape)

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _tensor(x):
    from ..tensor import Tensor
    return x if isinstance(x, Tensor) else ops.as_tensor(np.asarray(x, dtype=np.float64)
                                                         if isinstance(x, (list, tuple)) else x)


class _InverseTransform(Transform):
    def __init__(self, transform: Transform):
        self._transform = transform
        self.domain, self.codomain = transform.codomain, transform.domain
        self.bijective = transform.bijective

    @property
    def inv(self) -> Transform:
        return self._transform

    def __call__(self, y):
        return self._transform._inverse(_tensor(y))

    def log_abs_det_jacobian(self, y, x):
        return -self._transform.log_abs_det_jacobian(x, y)

    def forward_shape(self, shape):
        return self._transform.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._transform.forward_shape(shape)

    def __repr__(self) -> str:
        return f"{self._transform!r}.inv"


def _sum_rightmost(x, n: int):
    return ops.sum(x, axis=tuple(range(-n, 0))) if n > 0 else x


# ----------------------------------------------------------------------------- elementwise transforms
class IdentityTransform(Transform):
    """:math:`y = x` (onto the real line)."""

    def _call(self, x):
        return x

    def _inverse(self, y):
        return y

    def log_abs_det_jacobian(self, x, y):
        return ops.zeros_like(x)


class ExpTransform(Transform):
    r""":math:`y = e^x`, onto :math:`(0, \infty)`; :math:`\log|dy/dx| = x`."""

    codomain = constraints.positive

    def _call(self, x):
        return ops.exp(x)

    def _inverse(self, y):
        return ops.log(y)

    def log_abs_det_jacobian(self, x, y):
        return x


class SigmoidTransform(Transform):
    r""":math:`y = \sigma(x)`, onto :math:`(0, 1)`;
    :math:`\log|dy/dx| = \log\sigma(x) + \log\sigma(-x) = -\operatorname{softplus}(-x) - \operatorname{softplus}(x)`."""

    codomain = constraints.unit_interval

    def _call(self, x):
        return ops.sigmoid(x)

    def _inverse(self, y):
        return ops.log(y) - ops.log1p(-y)

    def log_abs_det_jacobian(self, x, y):
        return -ops.softplus(-x) - ops.softplus(x)


class SoftplusTransform(Transform):
    r""":math:`y = \log(1 + e^x)`, onto :math:`(0, \infty)`; :math:`\log|dy/dx| = -\operatorname{softplus}(-x)`."""

    codomain = constraints.positive

    def _call(self, x):
        return ops.softplus(x)

    def _inverse(self, y):
        return y + ops.log(-ops.expm1(-y))

    def log_abs_det_jacobian(self, x, y):
        return -ops.softplus(-x)


class AffineTransform(Transform):
    r""":math:`y = \mathrm{loc} + \mathrm{scale}\cdot x`; :math:`\log|dy/dx| = \log|\mathrm{scale}|`
    (summed over ``event_dim`` rightmost axes)."""

    def __init__(self, loc, scale, event_dim: int = 0):
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        scale = ops.as_tensor(self.scale, dtype=x.dtype) if not hasattr(self.scale, "shape") else self.scale
        term = ops.broadcast_to(ops.log(ops.abs(scale)), np.broadcast_shapes(tuple(x.shape), tuple(scale.shape)))
        return _sum_rightmost(term, self._event_dim)

    def __repr__(self) -> str:
        return f"AffineTransform(loc={self.loc!r}, scale={self.scale!r})"


class ComposeTransform(Transform):
    """:math:`T_n \\circ \\dots \\circ T_1`: the parts applied in order."""

    def __init__(self, parts):
        self.parts = list(parts)
        self.domain = self.parts[0].domain if self.parts else constraints.real
        self.codomain = self.parts[-1].codomain if self.parts else constraints.real
        self.bijective = all(p.bijective for p in self.parts)

    @property
    def event_dim(self) -> int:
        return max((p.event_dim for p in self.parts), default=0)

    def _call(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y):
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        total = None
        event_dim = self.event_dim
        for part in self.parts:
            x_next = part(x)
            term = _sum_rightmost(part.log_abs_det_jacobian(x, x_next), event_dim - part.event_dim)
            total = term if total is None else total + term
            x = x_next
        return ops.zeros_like(y) if total is None else total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __repr__(self) -> str:
        return "ComposeTransform(" + ", ".join(repr(p) for p in self.parts) + ")"


class IndependentTransform(Transform):
    """A transform of entries, with its Jacobian term summed over ``n`` more rightmost axes."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int):
        self.base_transform = base_transform
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.domain = constraints.independent(base_transform.domain, reinterpreted_batch_ndims)
        self.codomain = constraints.independent(base_transform.codomain, reinterpreted_batch_ndims)

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


# ----------------------------------------------------------------------------- the simplex
def _stick_offsets(k_minus_one: int, dtype):
    """:math:`\\log(K - 1 - i)` for :math:`i = 0..K-2`: centres the sticks so that x = 0 maps
    to the uniform probability vector."""
    return ops.tensor(np.log(np.arange(k_minus_one, 0, -1, dtype=np.float64)).astype(dtype))


class StickBreakingTransform(Transform):
    r"""Stick-breaking from :math:`\mathbb{R}^{K-1}` onto the open simplex in :math:`\mathbb{R}^K`.

    .. math::

        z_i = \sigma\big(x_i - \log(K - 1 - i)\big),\qquad
        y_i = z_i \prod_{j<i} (1 - z_j),\qquad y_K = \prod_{j<K}(1 - z_j)

    :math:`\log|\det J| = \sum_i \big(\log\sigma(x_i') + \log\sigma(-x_i') + \log\textstyle\prod_{j<i}(1 - z_j)\big)`
    with :math:`x_i' = x_i - \log(K-1-i)`.  The offsets make :math:`x = 0` the uniform vector.
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        shifted = x - _stick_offsets(x.shape[-1], x.dtype)
        z = ops.sigmoid(shifted)
        remaining = ops.cumprod(1.0 - z, axis=-1)
        ones = ops.ones_like(z[..., :1])
        return ops.concatenate([z, ones], axis=-1) * ops.concatenate([ones, remaining], axis=-1)

    def _inverse(self, y):
        head = y[..., :-1]
        # What is left of the stick after each break: 1 - (y_1 + ... + y_i); floored so that a
        # rounding error never takes a logarithm of a non-positive number.
        left = ops.clip(1.0 - ops.cumsum(head, axis=-1), float(np.finfo(y.dtype).tiny), None)
        return ops.log(head) - ops.log(left) + _stick_offsets(head.shape[-1], y.dtype)

    def log_abs_det_jacobian(self, x, y):
        # log dz_i/dx_i = log z_i + log(1 - z_i), and y_i = z_i prod_{j<i}(1 - z_j), so the
        # triangular Jacobian's diagonal gives log(1 - z_i) + log y_i = -softplus(x_i') + log y_i.
        shifted = x - _stick_offsets(x.shape[-1], x.dtype)
        return ops.sum(-ops.softplus(shifted) + ops.log(y[..., :-1]), axis=-1)

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class SoftmaxTransform(Transform):
    r""":math:`y = \operatorname{softmax}(x)` onto the simplex; not injective (adding a constant to
    :math:`x` changes nothing), so it has no Jacobian determinant.  Its inverse is :math:`\log y`."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = False

    def _call(self, x):
        return ops.softmax(x, axis=-1)

    def _inverse(self, y):
        return ops.log(y)


# ----------------------------------------------------------------------------- matrices
class LowerCholeskyTransform(Transform):
    r"""A square matrix to a lower Cholesky factor: the strict lower triangle kept, the diagonal
    exponentiated, :math:`L = \operatorname{tril}_{-1}(X) + \operatorname{diag}(e^{\operatorname{diag} X})`.

    :math:`\log|\det J| = \sum_i X_{ii}` (on the lower triangle, the map's real domain)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        n = x.shape[-1]
        eye = ops.eye(n, dtype=x.dtype)
        return ops.tril(x, -1) + eye * ops.expand_dims(ops.exp(ops.diagonal(x, axis1=-2, axis2=-1)), -2)

    def _inverse(self, y):
        n = y.shape[-1]
        eye = ops.eye(n, dtype=y.dtype)
        return ops.tril(y, -1) + eye * ops.expand_dims(ops.log(ops.diagonal(y, axis1=-2, axis2=-1)), -2)

    def log_abs_det_jacobian(self, x, y):
        return ops.sum(ops.diagonal(x, axis1=-2, axis2=-1), axis=-1)


class PositiveDefiniteTransform(Transform):
    r"""A square matrix to a positive-definite one: :math:`\Sigma = LL^\top` with :math:`L` the
    :class:`LowerCholeskyTransform` of the input.  The inverse goes through ``cholesky``."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        factor = LowerCholeskyTransform()(x)
        return ops.matmul(factor, ops.matrix_transpose(factor))

    def _inverse(self, y):
        from .. import linalg
        return LowerCholeskyTransform().inv(linalg.cholesky(y))

    def log_abs_det_jacobian(self, x, y):
        # d(LL^T) over the lower triangle of L has determinant 2^n prod_i L_ii^(n - i + 1)
        n = x.shape[-1]
        diag = ops.diagonal(x, axis1=-2, axis2=-1)           # log L_ii
        powers = ops.tensor(np.arange(n, 0, -1, dtype=np.float64).astype(x.dtype)) + 1.0
        # ... and the exponential of the diagonal contributes one more factor L_ii each.
        return n * math.log(2.0) + ops.sum(powers * diag, axis=-1)


# ----------------------------------------------------------------------------- registries
class ConstraintRegistry:
    """Maps a constraint (by its class) to a factory of the transform onto it."""

    def __init__(self, name: str):
        self.name = name
        self._factories: dict = {}

    def register(self, constraint_class, factory=None):
        """Register ``factory(constraint) -> Transform`` (usable as a decorator)."""
        if factory is None:
            return lambda f: self.register(constraint_class, f)
        if isinstance(constraint_class, constraints.Constraint):
            constraint_class = type(constraint_class)
        self._factories[constraint_class] = factory
        return factory

    def __call__(self, constraint) -> Transform:
        for cls in type(constraint).__mro__:
            if cls in self._factories:
                return self._factories[cls](constraint)
        if constraint.is_discrete:
            raise NotImplementedError(f"{self.name}: {constraint!r} is a discrete set; no bijection from "
                                      f"unconstrained space onto it exists (hold such parameters fixed)")
        raise NotImplementedError(f"{self.name}: no transform is registered for {constraint!r}")


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


def _real(c):
    return IdentityTransform()


def _greater_than(c):
    if _is_zero(c.lower_bound):
        return ExpTransform()
    return ComposeTransform([ExpTransform(), AffineTransform(c.lower_bound, 1.0)])


def _less_than(c):
    return ComposeTransform([ExpTransform(), AffineTransform(c.upper_bound, -1.0)])


def _interval(c):
    if _is_zero(c.lower_bound) and _is_zero(c.upper_bound - 1):
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(c.lower_bound, c.upper_bound - c.lower_bound)])


def _independent(c):
    return IndependentTransform(biject_to(c.base_constraint), c.reinterpreted_batch_ndims)


def _is_zero(b) -> bool:
    return isinstance(b, (int, float)) and b == 0


for _registry in (biject_to, transform_to):
    _registry.register(constraints._Real, _real)
    _registry.register(constraints._GreaterThan, _greater_than)
    _registry.register(constraints._LessThan, _less_than)
    _registry.register(constraints._Interval, _interval)
    _registry.register(constraints._LowerCholesky, lambda c: LowerCholeskyTransform())
    _registry.register(constraints._PositiveDefinite, lambda c: PositiveDefiniteTransform())
biject_to.register(constraints._Independent, _independent)
transform_to.register(constraints._Independent, lambda c: IndependentTransform(transform_to(c.base_constraint),
                                                                               c.reinterpreted_batch_ndims))
biject_to.register(constraints._Simplex, lambda c: StickBreakingTransform())
transform_to.register(constraints._Simplex, lambda c: SoftmaxTransform())

__all__ = ["Transform", "IdentityTransform", "ExpTransform", "SigmoidTransform", "SoftplusTransform",
           "AffineTransform", "ComposeTransform", "IndependentTransform", "StickBreakingTransform",
           "SoftmaxTransform", "LowerCholeskyTransform", "PositiveDefiniteTransform", "ConstraintRegistry",
           "biject_to", "transform_to"]
