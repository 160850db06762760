r"""Structured matrices the derivative rules are written with.

The rules of this package keep meeting the same few shapes of matrix: the identity,
a diagonal matrix built from a vector, the diagonal of a matrix, a triangle, the
symmetric part :math:`\operatorname{sym}(X) = \tfrac12 (X + X^\top)`, and the matrix of
inverse eigenvalue gaps :math:`F_{ij} = 1/(\lambda_j - \lambda_i)`.  Each is written here
once, with chainrule's differentiable ops (products with constant masks, ``where``,
indexing), so every rule that uses them can be differentiated again.  All act on the
last two axes and broadcast over leading (batch) axes.
"""
from __future__ import annotations

import functools

import numpy as np

from ..autodiff.transforms import stop_gradient
from ..ops.piecewise import abs as absolute
from ..ops.elementwise import less_equal, reciprocal, where
from ..ops.indexing import diagonal as _diagonal
from ..ops.indexing import tril, triu
from ..ops.reductions import max as reduce_max
from ..ops.shape import expand_dims, matrix_transpose
from ..tensor import Tensor
from .validation import spectral_tolerance, warn_if_repeated

__all__ = ["identity", "diagonal", "diag_embed", "sym", "tril", "triu", "phi", "outer",
           "inverse_gaps", "copy_upper_to_lower"]


@functools.lru_cache(maxsize=64)
def _eye(n: int, dtype: str) -> np.ndarray:
    e = np.eye(n, dtype=dtype)
    e.flags.writeable = False          # shared between calls: never modified
    return e


def identity(n: int, like) -> Tensor:
    """The :math:`n \\times n` identity in the dtype of ``like`` (a constant)."""
    return Tensor._wrap(_eye(n, np.dtype(like.dtype).str))


def diagonal(x) -> Tensor:
    """The diagonal of each matrix: :math:`d_i = X_{ii}` (last axis of the result)."""
    return _diagonal(x, 0, -2, -1)


def diag_embed(v) -> Tensor:
    r"""The diagonal matrix :math:`\operatorname{diag}(v)` of each vector on the last axis."""
    n = v.shape[-1]
    return expand_dims(v, -1) * identity(n, v)


def sym(x) -> Tensor:
    r"""Symmetric part :math:`\tfrac12 (X + X^\top)`."""
    return (x + matrix_transpose(x)) * 0.5


def symmetric_part_array(a):
    r""":math:`\tfrac12 (A + A^\top)` of an array (or of each matrix of a stack), as a new array
    that LAPACK may overwrite: what the symmetric factorizations (``cholesky``, ``eigh``,
    ``eigvalsh``) factor, so that their derivatives are those of a function of the
    symmetric part, whatever the upper and lower triangles hold.  Two passes over the data
    (the halving in place)."""
    s = a + np.swapaxes(a, -1, -2)
    s *= 0.5
    return s


@functools.lru_cache(maxsize=64)
def _phi_mask(n: int, dtype: str) -> np.ndarray:
    m = np.tri(n, dtype=dtype) - 0.5 * np.eye(n, dtype=dtype)
    m.flags.writeable = False
    return m


def phi(x) -> Tensor:
    r""":math:`\Phi(X)`: the lower triangle with the diagonal halved (Murray 2016):
    :math:`\Phi(X)_{ij} = X_{ij}` for :math:`i > j`, :math:`\tfrac12 X_{ii}` on the diagonal,
    0 above.  It is self-adjoint (a product with a constant mask), and
    :math:`\Phi(X) + \Phi(X)^\top = X` for symmetric :math:`X`."""
    return x * Tensor._wrap(_phi_mask(x.shape[-1], np.dtype(x.dtype).str))


def copy_upper_to_lower(x) -> Tensor:
    r"""The symmetric matrix with the upper triangle of :math:`X`:
    :math:`\operatorname{triu}(X) + \operatorname{triu}(X, 1)^\top`."""
    return triu(x) + matrix_transpose(triu(x, 1))


def outer(u, v) -> Tensor:
    r"""Batched outer product :math:`u v^\top` of the vectors on the last axes."""
    return expand_dims(u, -1) * expand_dims(v, -2)


def inverse_gaps(w, op: str, what: str, warn: bool) -> Tensor:
    r"""The matrix :math:`F_{ij} = 1 / (w_j - w_i)` for :math:`i \ne j`, 0 on the diagonal.

    It carries the eigenvector (singular-vector) derivative:
    :math:`dV = V\,(F \circ V^\top dA\, V)`.  Pairs whose gap is below
    :math:`\sqrt{\varepsilon}\,\max_k |w_k|` count as repeated: their entries are 0 (the
    derivative does not exist there), and with ``warn`` a
    :class:`~chainrule.linalg.DegenerateSpectrumWarning` says so.  The entries are
    computed at a safe point where masked ("double where"), so no NaN reaches a
    derivative of :math:`F` either.
    """
    gaps = expand_dims(w, -2) - expand_dims(w, -1)          # gaps[..., i, j] = w_j - w_i
    scale = stop_gradient(reduce_max(absolute(w), axis=-1, keepdims=True))
    tolerance = expand_dims(scale, -1) * spectral_tolerance(w.dtype) + np.finfo(w.dtype).tiny
    repeated = less_equal(absolute(gaps), tolerance)         # the diagonal (gap 0) included
    if warn:
        warn_if_repeated(op, w, what)
    safe = where(repeated, 1.0, gaps)
    return where(repeated, 0.0, reciprocal(safe))
