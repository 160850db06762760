r"""Norms, condition numbers, rank and the fundamental subspaces.

The vector :math:`p`-norm :math:`\|x\|_p = (\sum_i |x_i|^p)^{1/p}` is a primitive: its
composite form :math:`\sqrt{\sum x_i^2}` has an infinite derivative at :math:`x = 0`
(:math:`\sqrt{\cdot}` at 0), while the norm itself has the subgradient 0 there.

.. math::

    \frac{\partial \|x\|_p}{\partial x_i} = \operatorname{sign}(x_i)
        \left(\frac{|x_i|}{\|x\|_p}\right)^{p-1},
    \qquad
    \frac{\partial \|x\|_2}{\partial x} = \frac{x}{\|x\|_2},
    \qquad
    \frac{\partial \|x\|_\infty}{\partial x_i} = \frac{\operatorname{sign}(x_i)\,[|x_i| = \|x\|_\infty]}
        {\#\{j : |x_j| = \|x\|_\infty\}}

Matrix norms are composites: Frobenius (the 2-norm of the entries), nuclear
(:math:`\sum_i s_i`), spectral (:math:`s_1`), and the maximum column (row) sums for
:math:`\|A\|_1` (:math:`\|A\|_\infty`).  They inherit their derivatives.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import normalize_axis
from ..autodiff.primitive import primitive
from ..autodiff.transforms import stop_gradient
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..ops.piecewise import abs as absolute
from ..ops.elementwise import astype, equal, logical_or, power, where
from ..ops.piecewise import sign
from ..ops.indexing import getitem
from ..ops.reductions import max as reduce_max
from ..ops.reductions import min as reduce_min
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import expand_dims, moveaxis, reshape, transpose
from ..tensor import Tensor
from .basic import inv
from .spectral import svd, svdvals
from .validation import as_tensor, concrete, require_float, require_matrix, require_square

__all__ = ["vector_norm", "matrix_norm", "norm", "cond", "matrix_rank", "null_space", "orth"]


# ----------------------------------------------------------------------------- vector norms
@primitive(name="vector_norm")
def _vector_norm(x, ord, axis, keepdims):  # noqa: A002  (NumPy's argument name)
    return xp(x).linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _keep_shape(shape, axis):
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _norm_partial(out, x, ord, axis, keepdims):  # noqa: A002
    r""":math:`\partial \|x\|_p / \partial x_i`, shaped like ``x``; 0 where the norm is 0 (the
    subgradient) and, for :math:`p < 1`, where :math:`x_i = 0`."""
    y = out if keepdims else reshape(out, _keep_shape(x.shape, axis))
    if ord == 0:
        return None                                   # the count of nonzeros is piecewise constant
    if ord in (np.inf, -np.inf):
        hit = astype(equal(absolute(x), y), x.dtype)
        return sign(x) * hit / reduce_sum(hit, axis=axis, keepdims=True)
    zero_norm = equal(y, 0.0)
    safe_y = where(zero_norm, 1.0, y)
    if ord == 2:
        return where(zero_norm, 0.0, x / safe_y)
    if ord == 1:
        return sign(x)
    undefined = logical_or(zero_norm, equal(x, 0.0))
    ratio = where(undefined, 1.0, absolute(x) / safe_y)
    return where(undefined, 0.0, sign(x) * power(ratio, float(ord) - 1.0))


def _vector_norm_vjp(g, out, x, ord, axis, keepdims):  # noqa: A002
    partial = _norm_partial(out, x, ord, axis, keepdims)
    if partial is None:
        return None
    g = g if keepdims else reshape(g, _keep_shape(x.shape, axis))
    return g * partial


def _vector_norm_jvp(dx, out, x, ord, axis, keepdims):  # noqa: A002
    partial = _norm_partial(out, x, ord, axis, keepdims)
    if partial is None:
        return None
    return reduce_sum(dx * partial, axis=axis, keepdims=keepdims)


def _vector_norm_batch(args, batched, size, ord, axis, keepdims):  # noqa: A002
    return _vector_norm(args[0], ord=ord, axis=tuple(a + 1 for a in axis), keepdims=keepdims)


_vector_norm.defvjp(_vector_norm_vjp)
_vector_norm.defjvp(_vector_norm_jvp)
_vector_norm.defbatch(_vector_norm_batch)
_vector_norm.formula(
    definition=r"\|x\|_p = \big(\textstyle\sum_i |x_i|^p\big)^{1/p}",
    derivative=r"\partial\|x\|_p/\partial x_i = \operatorname{sign}(x_i)\,(|x_i|/\|x\|_p)^{p-1}",
    convention=r"0 at x = 0 (a subgradient); p = \infty: ties split evenly; p = 0 (count): no derivative")


def _axes(axis, ndim, op):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(normalize_axis(int(a), ndim, op) for a in axes)
    if len(set(axes)) != len(axes):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    return axes


def vector_norm(x, ord=2, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002
    r"""The :math:`p`-norm of the vectors along ``axis`` (all entries when None; a tuple of
    axes is flattened), as ``numpy.linalg.vector_norm``: ``ord`` is any real :math:`p`,
    ``inf``, ``-inf`` (largest, smallest magnitude) or 0 (number of nonzeros).

    .. math::

        \frac{\partial \|x\|_p}{\partial x_i} = \operatorname{sign}(x_i)
            \left(\frac{|x_i|}{\|x\|_p}\right)^{p-1}, \qquad
        \frac{\partial \|x\|_2}{\partial x} = \frac{x}{\|x\|_2}

    Conventions: at :math:`x = 0` the derivative is 0 (a subgradient, not NaN); for
    :math:`p = \pm\infty` the entries of extreme magnitude share the derivative evenly; the
    count (:math:`p = 0`) is piecewise constant and has none.  For :math:`p < 1` an entry
    :math:`x_i = 0` gets derivative 0.
    """
    x = as_tensor(x)
    require_float("vector_norm", x)
    if isinstance(ord, str) or ord is None:
        raise ValueError(f"vector_norm: ord must be a number or ±inf, got {ord!r} (matrix norms are "
                         f"matrix_norm's)")
    axes = _axes(axis, x.ndim, "vector_norm")
    return _vector_norm(x, ord=float(ord), axis=axes, keepdims=bool(keepdims))


vector_norm.primitive = _vector_norm


# ----------------------------------------------------------------------------- matrix norms
def matrix_norm(x, ord="fro", keepdims: bool = False) -> Tensor:  # noqa: A002
    r"""Norm of each matrix (last two axes), as ``numpy.linalg.matrix_norm``:

    ==========  =====================================  ================================================
    ``ord``     norm                                    derivative
    ==========  =====================================  ================================================
    ``'fro'``   :math:`\sqrt{\sum_{ij} a_{ij}^2}`       :math:`A / \|A\|_F`
    ``'nuc'``   :math:`\sum_i s_i`                      :math:`U V^\top` (full rank)
    ``2``       :math:`s_1`                             :math:`u_1 v_1^\top` (if :math:`s_1 > s_2`)
    ``-2``      :math:`s_{min}`                         :math:`u_k v_k^\top`
    ``1``       :math:`\max_j \sum_i |a_{ij}|`          sign pattern of the maximal column
    ``-1``      :math:`\min_j \sum_i |a_{ij}|`          ... of the minimal column
    ``inf``     :math:`\max_i \sum_j |a_{ij}|`          ... of the maximal row
    ``-inf``    :math:`\min_i \sum_j |a_{ij}|`          ... of the minimal row
    ==========  =====================================  ================================================

    Composites of :func:`vector_norm`, :func:`svdvals` and max/min, whose conventions they
    inherit (ties of max/min share the derivative evenly).
    """
    x = as_tensor(x)
    require_float("matrix_norm", x)
    require_matrix("matrix_norm", x)
    if ord == "fro":
        out = vector_norm(x, 2, axis=(-2, -1))
    elif ord == "nuc":
        out = reduce_sum(svdvals(x), axis=-1)
    elif ord in (2, -2):
        s = svdvals(x)
        out = getitem(s, (Ellipsis, 0 if ord == 2 else -1))
    elif ord in (1, -1):
        column_sums = reduce_sum(absolute(x), axis=-2)
        out = reduce_max(column_sums, axis=-1) if ord == 1 else reduce_min(column_sums, axis=-1)
    elif ord in (np.inf, -np.inf):
        row_sums = reduce_sum(absolute(x), axis=-1)
        out = reduce_max(row_sums, axis=-1) if ord > 0 else reduce_min(row_sums, axis=-1)
    else:
        raise ValueError(f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}")
    if keepdims:
        out = expand_dims(expand_dims(out, -1), -1)
    return out


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002
    r"""Vector or matrix norm, dispatching as ``numpy.linalg.norm``: with ``axis=None`` the
    2-norm of all entries (``ord=None``), a vector norm of a 1-D ``x`` or a matrix norm of a
    2-D one; an int ``axis`` gives vector norms along it, a pair of axes matrix norms over
    them.  See :func:`vector_norm` and :func:`matrix_norm` for derivatives and conventions.
    """
    x = as_tensor(x)
    require_float("norm", x)
    if axis is None:
        if ord is None:
            out = vector_norm(x, 2)
            if keepdims:
                out = reshape(out, (1,) * x.ndim)
            return out
        if x.ndim == 1:
            return vector_norm(x, ord, keepdims=keepdims)
        if x.ndim == 2:
            return matrix_norm(x, ord, keepdims=keepdims)
        raise ShapeError(f"norm: ord={ord!r} with axis=None needs a vector or a matrix, got {fmt_shape(x.shape)}")
    if isinstance(axis, (int, np.integer)) or len(axis) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: ord={ord!r} is a matrix norm; a single axis gives vector norms")
        return vector_norm(x, 2 if ord is None else ord, axis=axis, keepdims=keepdims)
    if len(axis) != 2:
        raise ShapeError(f"norm: axis must be an int or a pair of axes, got {axis!r}")
    row_axis, col_axis = (normalize_axis(int(a), x.ndim, "norm") for a in axis)
    if row_axis == col_axis:
        raise ShapeError(f"norm: the two axes {axis} are the same axis")
    others = [i for i in range(x.ndim) if i not in (row_axis, col_axis)]
    moved = transpose(x, others + [row_axis, col_axis])      # rows, then columns, as the last two axes
    out = matrix_norm(moved, "fro" if ord is None else ord)
    if keepdims:
        shape = list(x.shape)
        shape[row_axis] = shape[col_axis] = 1
        out = reshape(out, tuple(shape))
    return out


def cond(x, p=None) -> Tensor:
    r"""Condition number :math:`\kappa(A) = \|A\|\,\|A^{-1}\|`, as ``numpy.linalg.cond``:
    for ``p`` None, 2 or -2 the ratio of extreme singular values
    :math:`s_{max}/s_{min}` (or its inverse), from one SVD; for the other norms
    (``'fro'``, ``'nuc'``, :math:`\pm1`, :math:`\pm\infty`) the product of the norms of
    :math:`A` and :math:`A^{-1}`.

    .. math:: d\kappa_2 = \kappa_2 \left(\frac{u_1^\top dA\, v_1}{s_1} - \frac{u_n^\top dA\, v_n}{s_n}\right)

    For ``p`` None/±2 a singular matrix gives infinity (as NumPy); for the other norms
    :func:`inv` raises :class:`~chainrule.LinAlgError`.
    """
    x = as_tensor(x)
    require_float("cond", x)
    require_matrix("cond", x)
    if p in (None, 2, -2):
        s = svdvals(x)
        largest, smallest = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
        with np.errstate(divide="ignore"):
            return largest / smallest if p in (None, 2) else smallest / largest
    require_square("cond", x)
    return matrix_norm(x, p) * matrix_norm(inv(x), p)


# ----------------------------------------------------------------------------- rank and subspaces
def _singular_values_for_rank(x, hermitian):
    from .spectral import eigvalsh
    x = stop_gradient(x)
    return absolute(eigvalsh(x)) if hermitian else svdvals(x)


def matrix_rank(x, tol=None, hermitian: bool = False, *, rtol=None) -> Tensor:
    r"""Rank of each matrix: the number of singular values above a tolerance, as
    ``numpy.linalg.matrix_rank``.

    The tolerance is ``tol`` if given (absolute), else ``rtol`` times the largest
    singular value, else NumPy's default :math:`s_{max}\, \max(m, n)\, \varepsilon`
    (the rounding error of an SVD).  ``hermitian=True`` uses eigenvalue magnitudes.
    An integer: no derivative.
    """
    x = as_tensor(x)
    require_float("matrix_rank", x)
    if x.ndim < 2:
        # NumPy: a vector (or scalar) has rank 1 unless it is zero
        return astype(reduce_sum(astype(x != 0, np.int64)) > 0, np.int64)
    s = _singular_values_for_rank(x, hermitian)
    largest = reduce_max(s, axis=-1, keepdims=True)
    if tol is None:
        relative = rtol if rtol is not None else max(x.shape[-2:]) * np.finfo(x.dtype).eps
        threshold = largest * relative
    else:
        threshold = expand_dims(as_tensor(np.asarray(tol, dtype=x.dtype)), -1)
    return reduce_sum(astype(s > threshold, np.int64), axis=-1)


def _common_rank(op, rank) -> int:
    ranks = np.atleast_1d(concrete(rank))
    if ranks.size and np.any(ranks != ranks.flat[0]):
        raise ShapeError(f"{op}: the matrices of the stack have different ranks ({sorted(set(ranks.tolist()))}), so "
                         f"their subspaces have different dimensions; call {op} on each matrix")
    return int(ranks.flat[0]) if ranks.size else 0


def null_space(a, rcond=None) -> Tensor:
    r"""An orthonormal basis of the null space :math:`\{x : Ax = 0\}`, as
    ``scipy.linalg.null_space``: the right singular vectors whose singular values are at
    most ``rcond`` times the largest (default :math:`\varepsilon \max(m, n)`), as columns.

    Values only: a basis of a space of dimension :math:`\ge 2` is unique only up to
    rotation, so it has no derivative; differentiating raises (use a projector
    :math:`I - A^+A` if a derivative is needed).  Stacks must share one rank.
    """
    a = as_tensor(a)
    require_float("null_space", a)
    require_matrix("null_space", a)
    if _gradient_levels_of(a):
        raise _not_unique_error("null_space")
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(m, n)
    _, s, vh = svd(a, full_matrices=True)
    rank = reduce_sum(astype(s > reduce_max(s, axis=-1, keepdims=True) * rcond, np.int64), axis=-1) \
        if s.shape[-1] else Tensor(np.zeros(a.shape[:-2], dtype=np.int64))
    r = _common_rank("null_space", rank)
    return moveaxis(getitem(vh, (Ellipsis, slice(r, None), slice(None))), -1, -2)


def orth(a, rcond=None) -> Tensor:
    r"""An orthonormal basis of the range (column space) of :math:`A`, as
    ``scipy.linalg.orth``: the left singular vectors whose singular values exceed ``rcond``
    times the largest (default :math:`\varepsilon \max(m, n)`), as columns.

    Differentiable through :func:`svd` where the rank is locally constant and the kept
    singular values are distinct (the basis is then unique up to the signs fixed by the
    SVD convention); repeated ones warn.  Stacks must share one rank.
    """
    a = as_tensor(a)
    require_float("orth", a)
    require_matrix("orth", a)
    m, n = a.shape[-2:]
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(m, n)
    u, s, _ = svd(a, full_matrices=False)
    s_const = stop_gradient(s)
    rank = reduce_sum(astype(s_const > reduce_max(s_const, axis=-1, keepdims=True) * rcond, np.int64), axis=-1)
    r = _common_rank("orth", rank)
    return getitem(u, (Ellipsis, slice(None), slice(0, r)))


def _gradient_levels_of(a):
    from ..autodiff.custom import _gradient_levels
    return _gradient_levels([a])


def _not_unique_error(op):
    from ..errors import GraphError
    return GraphError(f"{op}: an orthonormal basis of a subspace is unique only up to rotation, so it has no "
                      f"derivative; pass A.detach() (or compute under cr.no_grad()) to use the values")
