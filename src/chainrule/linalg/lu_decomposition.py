r"""The LU factorization :math:`A = PLU` and solving with it.

LAPACK's ``?getrf`` (through SciPy) factors a matrix with partial pivoting:
:math:`P` a permutation, :math:`L` unit lower triangular, :math:`U` upper triangular.
Differentiating :math:`P^\top A = LU` (the permutation is piecewise constant) gives
:math:`L^{-1} P^\top dA\, U^{-1} = L^{-1} dL + dU\, U^{-1}`, a strictly lower plus an
upper triangular matrix, so with :math:`X = L^{-1} P^\top dA\, U^{-1}`:

.. math::

    dL = L \operatorname{tril}_{-1}(X), \qquad dU = \operatorname{triu}(X)\, U,
    \qquad
    \overline{A} = P L^{-\top} \big[\operatorname{tril}_{-1}(L^\top \overline{L})
        + \operatorname{triu}(\overline{U} U^\top)\big] U^{-\top}.

A non-square matrix has its factors completed to square ones first (JAX's construction).
The triangular solves are :func:`solve_triangular`, so the rules differentiate again.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
from scipy.linalg import lapack

from ..autodiff.primitive import nondifferentiable, primitive
from ..backend import scipy_lapack_threads
from ..errors import ShapeError, fmt_shape
from ..ops.indexing import getitem, tril, triu
from ..ops.products import matmul
from ..ops.shape import broadcast_to, concatenate, matrix_transpose
from ..tensor import Tensor
from .batching import leading_batch
from .triangular import _solve_triangular, solve_triangular
from .validation import as_tensor, require_finite, require_float, require_matrix, require_square

__all__ = ["lu", "lu_factor", "lu_solve", "LUResult"]


def _constant(array, like_batch):
    """A constant block, broadcast over the batch axes of ``like_batch``."""
    block = Tensor._wrap(array)
    return broadcast_to(block, tuple(like_batch.shape[:-2]) + array.shape)


def _square_factors(l, u):
    r"""Square, invertible completions of the factors of an :math:`m \times n` matrix
    (:math:`k = \min(m, n)`): :math:`\tilde L = [L \mid (0; I_{m-k})]` (unit lower,
    :math:`m \times m`) and :math:`\tilde U = (U; 0 \mid I_{n-k})` (upper, :math:`n \times n`).
    For a square matrix they are :math:`L` and :math:`U` themselves (JAX's construction)."""
    m, k = l.shape[-2:]
    n = u.shape[-1]
    if m > k:
        extra = np.zeros((m, m - k), dtype=l.dtype)
        extra[k:] = np.eye(m - k, dtype=l.dtype)
        l = concatenate([l, _constant(extra, l)], axis=-1)
    if n > k:
        extra = np.zeros((n - k, n), dtype=u.dtype)
        extra[:, k:] = np.eye(n - k, dtype=u.dtype)
        u = concatenate([u, _constant(extra, u)], axis=-2)
    return l, u


def _lu_tangents(p, l, u, da):
    r""":math:`(dL, dU)` from :math:`dA`: with :math:`X = \tilde L^{-1} P^\top dA\, \tilde U^{-1}`,
    :math:`dL` is the first :math:`k` columns of :math:`\tilde L \operatorname{tril}_{-1}(X)` and
    :math:`dU` the first :math:`k` rows of :math:`\operatorname{triu}(X)\, \tilde U`."""
    k = l.shape[-1]
    l_sq, u_sq = _square_factors(l, u)
    y = _solve_triangular(l_sq, matmul(matrix_transpose(p), da), lower=True, left=True, unit_diagonal=True)
    x = _solve_triangular(u_sq, y, lower=False, left=False, unit_diagonal=False)
    dl = matmul(l_sq, tril(x, -1))
    du = matmul(triu(x), u_sq)
    if dl.shape[-1] > k:
        dl = getitem(dl, (Ellipsis, slice(None), slice(0, k)))
    if du.shape[-2] > k:
        du = getitem(du, (Ellipsis, slice(0, k), slice(None)))
    return dl, du


def _lu_cotangent(p, l, u, gl, gu):
    r""":math:`\overline{A} = P \tilde L^{-\top} [\operatorname{tril}_{-1}(\tilde L^\top \overline{L})
    + \operatorname{triu}(\overline{U} \tilde U^\top)] \tilde U^{-\top}`, the cotangents padded with
    zeros to :math:`m \times n` (``None`` cotangents are zeros)."""
    m, k = l.shape[-2:]
    n = u.shape[-1]
    l_sq, u_sq = _square_factors(l, u)
    total = None
    if gl is not None:
        if n > k:
            gl = concatenate([gl, _constant(np.zeros((m, n - k), dtype=gl.dtype), gl)], axis=-1)
        total = tril(matmul(matrix_transpose(l_sq), gl), -1)
    if gu is not None:
        if m > k:
            gu = concatenate([gu, _constant(np.zeros((m - k, n), dtype=gu.dtype), gu)], axis=-2)
        t = triu(matmul(gu, matrix_transpose(u_sq)))
        total = t if total is None else total + t
    if total is None:
        return None
    z = _solve_triangular(matrix_transpose(l_sq), total, lower=False, left=True, unit_diagonal=True)
    w = _solve_triangular(matrix_transpose(u_sq), z, lower=True, left=False, unit_diagonal=False)
    return matmul(p, w)


# ----------------------------------------------------------------------------- P, L, U
@primitive(name="lu", multiple_results=True)
def _lu(a):
    require_finite("lu", a)
    # SciPy's lu loops over a stack in Python, one LAPACK call per matrix: no batched
    # LU kernel exists in NumPy or SciPy.
    with scipy_lapack_threads(max(a.shape[-2:])):
        p, l, u = scipy.linalg.lu(a, check_finite=False)
    return p.astype(a.dtype, copy=False), l, u


def _lu_vjp(g, out, a):
    p, l, u = out
    return _lu_cotangent(p, l, u, g[1], g[2])


def _lu_jvp(da, out, a):
    p, l, u = out
    dl, du = _lu_tangents(p, l, u, da)
    return None, dl, du


_lu.defvjp(_lu_vjp)
_lu.defjvp(_lu_jvp)
_lu.defbatch(leading_batch(_lu))
_lu.formula(definition=r"A = PLU",
            derivative=r"dL = L\,\operatorname{tril}_{-1}(X),\ dU = \operatorname{triu}(X)\,U,\ "
                       r"X = L^{-1}P^\top dA\,U^{-1}",
            convention="P is piecewise constant (no derivative); non-square factors are completed to square ones")


class LUResult(NamedTuple):
    """``(P, L, U)`` with :math:`A = PLU`, as ``torch.linalg.lu``."""

    P: Tensor
    L: Tensor
    U: Tensor


def lu(a) -> LUResult:
    r"""LU factorization with partial pivoting, :math:`A = PLU`: :math:`P` a permutation
    matrix, :math:`L` unit lower triangular (:math:`m \times k`), :math:`U` upper triangular
    (:math:`k \times n`), :math:`k = \min(m, n)`; SciPy's ``lu`` (LAPACK ``?getrf``).

    With :math:`X = L^{-1} P^\top dA\, U^{-1}`:

    .. math::

        dL = L\operatorname{tril}_{-1}(X), \qquad dU = \operatorname{triu}(X)\, U,

        \overline{A} = P L^{-\top}\big[\operatorname{tril}_{-1}(L^\top\overline{L})
            + \operatorname{triu}(\overline{U}U^\top)\big] U^{-\top}

    For a non-square :math:`A` the factors are first completed to square, invertible ones
    (:math:`\tilde L = [L \mid (0; I)]`, :math:`\tilde U = (U; 0 \mid I)`, as JAX does).
    :math:`P` is piecewise constant and has no derivative.  The factors of a singular
    matrix exist (:math:`U` has a zero on its diagonal) but their derivative does not: it
    raises :class:`~chainrule.LinAlgError`.
    """
    a = as_tensor(a)
    require_float("lu", a)
    require_matrix("lu", a)
    return LUResult(*_lu(a))


lu.primitive = _lu


# ----------------------------------------------------------------------------- packed form
def _permutation_from_pivots_array(piv, m, dtype):
    """The permutation matrix :math:`P` of LAPACK's row interchanges ``piv`` (0-based: row
    ``i`` was swapped with row ``piv[i]``, in order), with :math:`A = PLU`."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    rows = np.indices(batch) if batch else ()
    # The interchanges are applied one after another (each depends on the previous ones),
    # so this loops over the k pivots, each step vectorized over the whole stack.
    for i in range(piv.shape[-1]):
        j = piv[..., i]
        here = perm[..., i].copy()
        perm[(*rows, np.full(batch, i, dtype=np.intp))] = perm[(*rows, j)]
        perm[(*rows, j)] = here
    p = np.zeros(batch + (m, m), dtype=dtype)
    # P^T A = A[perm], so P[perm[i], i] = 1
    np.put_along_axis(p, perm[..., None, :], 1, axis=-2)
    return p


@nondifferentiable(name="lu_permutation")
def _lu_permutation(piv, m, dtype):
    return _permutation_from_pivots_array(np.asarray(piv), m, dtype)


_lu_permutation.defbatch(leading_batch(_lu_permutation))
_lu_permutation.formula(definition=r"P = \prod_i P_{i,\,\mathrm{piv}_i}",
                        derivative="integer pivots: no derivative")


def getrf_arrays(a):
    """LAPACK's ``?getrf`` on each matrix: the packed factors and 0-based pivots.

    A singular matrix factors too (a zero on the diagonal of U); solving with it is what fails.
    """
    m, n = a.shape[-2:]
    if a.size == 0:                            # nothing to factor (LAPACK rejects empty matrices)
        return a.copy(), np.zeros(a.shape[:-2] + (min(m, n),), dtype=np.int64)
    getrf = lapack.get_lapack_funcs("getrf", (a,))
    if a.ndim == 2:
        with scipy_lapack_threads(max(m, n)):
            packed, piv, _ = getrf(a)
        return packed, piv.astype(np.int64)
    # No batched LU kernel exists in NumPy or SciPy (SciPy's lu_factor loops in Python
    # too), so the stack is looped over here, one direct LAPACK call per matrix.
    flat = a.reshape((-1, m, n))
    packed = np.empty(flat.shape, dtype=getrf.dtype)
    piv = np.empty((flat.shape[0], min(m, n)), dtype=np.int64)
    with scipy_lapack_threads(max(m, n)):
        for k in range(flat.shape[0]):
            packed[k], piv[k], _ = getrf(flat[k])
    return packed.reshape(a.shape), piv.reshape(a.shape[:-2] + (min(m, n),))


def getrs_arrays(packed, piv, b, transposed):
    """Solve :math:`AX = B` (or :math:`A^\top X = B`) from LU factors, LAPACK ``?getrs``.

    With one factorization and a stack of right-hand sides, the stack becomes the columns
    of one right-hand side: a single LAPACK call."""
    getrs = lapack.get_lapack_funcs("getrs", (packed, b))
    n, k = b.shape[-2:]
    if packed.ndim == 2:
        columns = np.moveaxis(b, -2, 0).reshape(n, -1)
        with scipy_lapack_threads(n):
            x, _ = getrs(packed, piv, columns, trans=int(transposed))
        return np.moveaxis(x.reshape((n,) + b.shape[:-2] + (k,)), 0, -2)
    # A stack of factorizations: one LAPACK call per matrix (no batched ?getrs exists).
    batch = np.broadcast_shapes(packed.shape[:-2], b.shape[:-2])
    packed_stack = np.broadcast_to(packed, batch + packed.shape[-2:]).reshape((-1, n, n))
    piv_stack = np.broadcast_to(piv, batch + piv.shape[-1:]).reshape((-1, n))
    b_stack = np.broadcast_to(b, batch + (n, k)).reshape((-1, n, k))
    x = np.empty(b_stack.shape, dtype=np.result_type(packed, b))
    with scipy_lapack_threads(n):
        for i in range(b_stack.shape[0]):
            x[i], _ = getrs(packed_stack[i], piv_stack[i], b_stack[i], trans=int(transposed))
    return x.reshape(batch + (n, k))


@primitive(name="lu_factor", multiple_results=True)
def _lu_factor(a):
    require_finite("lu_factor", a)
    return getrf_arrays(a)


def _unpacked(packed, piv):
    """P, L, U from the packed factors of an m×n matrix (L is m×k, U is k×n)."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    p = _lu_permutation(piv, m=m, dtype=np.dtype(packed.dtype).str)
    lower = packed if n == k else getitem(packed, (Ellipsis, slice(None), slice(0, k)))
    upper = packed if m == k else getitem(packed, (Ellipsis, slice(0, k), slice(None)))
    unit = np.eye(m, k, dtype=packed.dtype)
    return p, tril(lower, -1) + Tensor._wrap(unit), triu(upper)


def _packed(dl, du):
    """The packed m×n form of the tangents dL (m×k, strictly lower) and dU (k×n)."""
    m, k = dl.shape[-2:]
    n = du.shape[-1]
    if n > k:
        dl = concatenate([dl, _constant(np.zeros((m, n - k), dtype=dl.dtype), dl)], axis=-1)
    if m > k:
        du = concatenate([du, _constant(np.zeros((m - k, n), dtype=du.dtype), du)], axis=-2)
    return dl + du


def _lu_factor_vjp(g, out, a):
    packed, piv = out
    if g[0] is None:
        return None
    p, l, u = _unpacked(packed, piv)
    k = l.shape[-1]
    gl = tril(getitem(g[0], (Ellipsis, slice(None), slice(0, k))), -1)
    gu = triu(getitem(g[0], (Ellipsis, slice(0, k), slice(None))))
    return _lu_cotangent(p, l, u, gl, gu)


def _lu_factor_jvp(da, out, a):
    packed, piv = out
    p, l, u = _unpacked(packed, piv)
    dl, du = _lu_tangents(p, l, u, da)
    return _packed(dl, du), None


_lu_factor.defvjp(_lu_factor_vjp)
_lu_factor.defjvp(_lu_factor_jvp)
_lu_factor.defbatch(leading_batch(_lu_factor))
_lu_factor.formula(definition=r"\mathrm{LU} = (L - I) + U,\ A = PLU",
                   derivative=r"d\,\mathrm{LU} = L\,\operatorname{tril}_{-1}(X) + \operatorname{triu}(X)\,U,\ "
                              r"X = L^{-1}P^\top dA\,U^{-1}",
                   convention="the pivots are integers (no derivative)")


def lu_factor(a):
    r"""LU factorization in LAPACK's packed form, as ``scipy.linalg.lu_factor``: returns
    ``(lu, piv)`` where ``lu`` holds :math:`U` in its upper triangle and the strictly lower
    part of :math:`L` below it (:math:`L` has a unit diagonal), and ``piv`` the row
    interchanges (0-based, SciPy's convention: row ``i`` was swapped with row ``piv[i]``).

    :math:`A` may be rectangular (:math:`m \times n`; ``piv`` has :math:`\min(m, n)` entries).
    Differentiable in ``lu``: :math:`d\,\mathrm{lu} = dL + dU`, with the derivatives of
    :func:`lu`.  Pass the factors of a square matrix to :func:`lu_solve`.
    """
    a = as_tensor(a)
    require_float("lu_factor", a)
    require_matrix("lu_factor", a)
    return _lu_factor(a)


lu_factor.primitive = _lu_factor


def lu_solve(lu_and_piv, b, trans=0) -> Tensor:
    r"""Solve :math:`AX = B` (``trans=0``) or :math:`A^\top X = B` (``trans=1``) from
    :func:`lu_factor`'s ``(lu, piv)``, as ``scipy.linalg.lu_solve``:

    .. math:: X = U^{-1} L^{-1} P^\top B, \qquad X = P L^{-\top} U^{-\top} B

    Two triangular solves (LAPACK ``?trtrs``) read the two triangles of ``lu``, so the
    derivative reaches ``lu`` (each triangle through the solve that reads it) and ``b``.
    """
    packed, piv = lu_and_piv
    packed, b = as_tensor(packed), as_tensor(b)
    require_float("lu_solve", packed, b)
    require_square("lu_solve", packed, "lu")
    n = packed.shape[-1]
    if b.ndim == 0 or b.shape[-1 if b.ndim == 1 else -2] != n:
        raise ShapeError(f"lu_solve: lu is {fmt_shape(packed.shape)} but b is {fmt_shape(b.shape)}; "
                         f"b needs {n} rows")
    p = _lu_permutation(as_tensor(piv), m=n, dtype=np.dtype(packed.dtype).str)
    if trans in (0, "N"):
        y = solve_triangular(packed, matmul(matrix_transpose(p), b), lower=True, unit_diagonal=True)
        return solve_triangular(packed, y, lower=False)
    if trans in (1, "T", 2, "C"):
        y = solve_triangular(packed, b, trans=1, lower=False)
        return matmul(p, solve_triangular(packed, y, trans=1, lower=True, unit_diagonal=True))
    raise ValueError(f"lu_solve: trans must be 0/'N' or 1/'T', got {trans!r}")
