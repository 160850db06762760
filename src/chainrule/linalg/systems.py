r"""Linear systems :math:`AX = B`, least squares and the pseudo-inverse.

For :math:`X = A^{-1} B`, differentiating :math:`AX = B` gives :math:`dA\,X + A\,dX = dB`:

.. math::

    dX = A^{-1}(dB - dA\, X), \qquad
    \overline{B} = A^{-\top}\, \overline{X}, \qquad \overline{A} = -\overline{B}\, X^\top

so the reverse rule is one more solve, with :math:`A^\top`.  For a single matrix the LU
factors of the forward pass are kept and reused by the derivative (one triangular solve
pair, :math:`O(n^2)` per column, instead of a new factorization), as PyTorch does.  The
pseudo-inverse has the Golub–Pereyra derivative (valid where the rank does not change).
Triangular systems are the chapter ``triangular``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autodiff.batching import align, example_ndim
from ..autodiff.primitive import primitive
from ..autodiff.transforms import stop_gradient
from ..backend import xp
from ..ops.elementwise import astype, square
from ..ops.products import matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import expand_dims, matrix_transpose, squeeze
from ..tensor import Tensor
from .batching import leading_batch
from .lu_decomposition import _lu_factor, getrs_arrays
from .spectral import svdvals
from .triangular import rhs_shape_error
from .validation import (as_tensor, batch_shape, concrete, require_finite, require_float, require_matrix,
                         require_square, singular_error)

__all__ = ["solve", "pinv", "lstsq", "LstsqResult"]


# ----------------------------------------------------------------------------- solve
@primitive(name="solve")
def _solve(a, b, packed, piv, transposed, op):
    # ``packed, piv``: LU factors of Aᵀ computed once and reused (None: factor here; see
    # lu_factors_to_reuse for why Aᵀ).  They are constants holding information about
    # ``a``; the derivatives are those of op(A)⁻¹ B with respect to ``a`` and ``b``.
    require_finite(op, b, "b")
    consequence = "Ax = b has no unique solution" if op == "solve" else "the derivative needs A⁻¹"
    if packed is None:
        require_finite(op, a)
        try:
            return xp(a, b).linalg.solve(np.swapaxes(a, -1, -2) if transposed else a, b)
        except np.linalg.LinAlgError:
            raise singular_error(op, a, consequence=consequence) from None
    if not np.all(np.diagonal(packed, axis1=-2, axis2=-1)):
        raise singular_error(op, a, consequence=consequence)
    # the factors are Aᵀ's: A⁻¹B = (Aᵀ)⁻ᵀB and A⁻ᵀB = (Aᵀ)⁻¹B
    return getrs_arrays(packed, piv, b, not transposed)


def _outer_sum(u, v):
    r""":math:`U V^\top` (a sum of outer products of columns); for single columns a broadcast
    product, which is several times faster than a matrix product with inner dimension 1."""
    if u.shape[-1] == 1:
        return u * matrix_transpose(v)
    return matmul(u, matrix_transpose(v))


def _solve_vjp(g, out, a, b, packed, piv, transposed, op):
    gb = _solve(a, g, packed, piv, transposed=not transposed, op=op)
    # the sign goes on the (n×k) factor, not on the (n×n) product: a pass over k/n of the data
    ga = _outer_sum(out, -gb) if transposed else _outer_sum(-gb, out)
    return ga, gb, None, None


def _solve_jvp(tangents, out, a, b, packed, piv, transposed, op):
    da, db = tangents[0], tangents[1]
    rhs = db
    if da is not None:
        t = matmul(matrix_transpose(da) if transposed else da, out)
        rhs = -t if rhs is None else rhs - t
    if rhs is None:
        return None
    return _solve(a, rhs, packed, piv, transposed=transposed, op=op)


def _solve_batch(args, batched, size, transposed, op):
    """Align the batch axes of A and B (as matmul does); the factors follow A."""
    a, b, packed, piv = args
    rank = max(example_ndim(a, batched[0]), example_ndim(b, batched[1]))
    a, b = align(a, batched[0], rank), align(b, batched[1], rank)
    if packed is not None:
        packed, piv = align(packed, batched[2], rank), align(piv, batched[3], rank - 1)
    return _solve(a, b, packed, piv, transposed=transposed, op=op)


_solve.defvjp_joint(_solve_vjp)
_solve.defjvp_joint(_solve_jvp)
_solve.defbatch(_solve_batch)
_solve.formula(definition=r"X = A^{-1} B",
               derivative=r"dX = A^{-1}(dB - dA\,X),\quad \bar B = A^{-\top}\bar X,\quad \bar A = -\bar B X^\top")


def lu_factors_to_reuse(a, op):
    r"""LU factors of the transpose of a single matrix, :math:`A^\top = PLU`, as constants for
    :func:`_solve` to reuse (``None, None`` for a stack, which NumPy's batched solver handles
    faster than a loop of LAPACK calls).

    Why the transpose: LAPACK works on column-major matrices, and a row-major (C-ordered)
    :math:`A` is, read column by column, :math:`A^\top`.  So ``?getrf`` factors
    :math:`A^\top` where it stands, where factoring :math:`A` first copies it into column-major
    order (at n = 256, 0.63 ms against 0.50 ms).  Nothing is lost: :math:`\det A^\top = \det A`,
    and solving with :math:`A` is solving with the transpose of the factored matrix
    (``?getrs`` with ``trans=1``, at the same cost).  Non-finite entries are refused first,
    in the name of the calling operation ``op`` and at their position in :math:`A`.
    """
    if a.ndim != 2 or a.size == 0:
        return None, None
    require_finite(op, concrete(a))     # before the factorization, so that the index is A's, not Aᵀ's
    return _lu_factor(matrix_transpose(stop_gradient(a)))


def solve_with(a, b, packed, piv, transposed=False, op="solve"):
    r""":math:`A^{-1}B` (or :math:`A^{-\top}B`) reusing factors from :func:`lu_factors_to_reuse`."""
    return _solve(a, b, packed, piv, transposed=transposed, op=op)


def solve(a, b) -> Tensor:
    r"""Solve :math:`AX = B` for a square, nonsingular :math:`A` (LAPACK's LU with partial
    pivoting).  ``b`` is a vector :math:`(n)` or a stack of matrices :math:`(\dots, n, k)`
    (NumPy 2's rule: ``b`` is a vector only when it is one-dimensional); batch axes broadcast.

    .. math::

        dX = A^{-1}(dB - dA\,X), \qquad
        \overline{B} = A^{-\top} \overline{X}, \qquad \overline{A} = -\overline{B}\, X^\top

    For a single matrix :math:`A` the LU factorization is computed once: a stack of
    right-hand sides is solved with it in one LAPACK call, and the derivative reuses it.
    Raises :class:`~chainrule.LinAlgError`, with the condition number, when LAPACK finds
    :math:`A` singular (an exactly zero pivot).
    """
    a, b = as_tensor(a), as_tensor(b)
    require_float("solve", a, b)
    require_square("solve", a)
    n = a.shape[-1]
    if b.ndim == 0:
        raise rhs_shape_error("solve", a, b, f"{n} entries")
    vector = b.ndim == 1
    if vector:
        if b.shape[0] != n:
            raise rhs_shape_error("solve", a, b, f"{n} entries")
        b = expand_dims(b, -1)
    elif b.shape[-2] != n:
        raise rhs_shape_error("solve", a, b, f"{n} rows")
    batch_shape("solve", a, b)
    packed, piv = lu_factors_to_reuse(a, "solve")
    x = _solve(a, b, packed, piv, transposed=False, op="solve")
    return squeeze(x, -1) if vector else x


solve.primitive = _solve


# ----------------------------------------------------------------------------- pseudo-inverse
@primitive(name="pinv")
def _pinv(a, rcond, hermitian):
    require_finite("pinv", a)
    return xp(a).linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(da, out, a, rcond, hermitian):
    x = out
    da_t = matrix_transpose(da)
    shrink = -matmul(x, matmul(da, x))
    left = matmul(x, matmul(matrix_transpose(x), da_t - matmul(matmul(da_t, a), x)))
    right = matmul(da_t - matmul(x, matmul(a, da_t)), matmul(matrix_transpose(x), x))
    return shrink + left + right


def _pinv_vjp(g, out, a, rcond, hermitian):
    x, x_t, g_t = out, matrix_transpose(out), matrix_transpose(g)
    shrink = -matmul(x_t, matmul(g, x_t))
    left = matmul(g_t - matmul(a, matmul(x, g_t)), matmul(x, x_t))
    right = matmul(matmul(x_t, x), g_t - matmul(matmul(g_t, x), a))
    return shrink + left + right


_pinv.defvjp(_pinv_vjp)
_pinv.defjvp(_pinv_jvp)
_pinv.defbatch(leading_batch(_pinv))
_pinv.formula(
    definition=r"X = A^{+}",
    derivative=r"dX = -X\,dA\,X + XX^\top dA^\top (I - AX) + (I - XA)\,dA^\top X^\top X",
    convention="valid where the rank of A is locally constant (singular values below the cutoff stay zero)")


def pinv(a, rcond=None, hermitian: bool = False, *, rtol=None) -> Tensor:
    r"""Moore–Penrose pseudo-inverse :math:`A^+` from the SVD, singular values at or below
    ``rcond`` times the largest treated as zero (``rtol`` is the Array-API name of the same
    cutoff; NumPy's default 1e-15).  ``hermitian=True`` uses the eigendecomposition (of a
    symmetric matrix: its derivative is then meant for symmetric perturbations).

    .. math::

        dA^+ = -A^+ dA\, A^+ + A^+ A^{+\top} dA^\top (I - A A^+) + (I - A^+ A)\, dA^\top A^{+\top} A^+

    (Golub & Pereyra 1973), and its adjoint

    .. math::

        \overline{A} = -A^{+\top}\, \overline{X}\, A^{+\top}
            + (I - A A^+)\, \overline{X}^\top A^+ A^{+\top}
            + A^{+\top} A^+\, \overline{X}^\top (I - A^+ A).

    The derivative exists where the rank is locally constant; at a matrix whose rank a
    perturbation would change (a singular value at the cutoff) it does not.
    """
    a = as_tensor(a)
    require_float("pinv", a)
    require_matrix("pinv", a)
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: give rcond or rtol, not both (they are the same cutoff)")
    cutoff = rtol if rtol is not None else (1e-15 if rcond is None else rcond)
    return _pinv(a, rcond=float(cutoff), hermitian=bool(hermitian))


pinv.primitive = _pinv


# ----------------------------------------------------------------------------- least squares
class LstsqResult(NamedTuple):
    """``(solution, residuals, rank, singular_values)``, as ``numpy.linalg.lstsq`` returns
    (``torch.linalg.lstsq``'s field names)."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def lstsq(a, b, rcond=None) -> LstsqResult:
    r"""The least-squares solution :math:`x = \arg\min_x \|Ax - b\|_2` of minimum norm,
    :math:`x = A^+ b`, with singular values at or below ``rcond`` times the largest treated
    as zero (NumPy's default: machine epsilon times :math:`\max(m, n)`).

    ``b`` is a vector :math:`(m)` or matrix :math:`(m, k)`; batch axes broadcast (NumPy's
    ``lstsq`` takes single matrices; this one takes stacks, as PyTorch's).  ``residuals``
    holds :math:`\|b - Ax\|^2` per column when every matrix has full column rank and
    :math:`m > n`, and is empty otherwise (NumPy's convention).

    The solution is differentiable through the pseudo-inverse (:func:`pinv`), valid where
    the rank is locally constant:

    .. math:: dx = dA^+\, b + A^+ db
    """
    a, b = as_tensor(a), as_tensor(b)
    require_float("lstsq", a, b)
    require_matrix("lstsq", a)
    m, n = a.shape[-2:]
    vector = b.ndim == 1
    if b.ndim == 0 or b.shape[-1 if vector else -2] != m:
        raise rhs_shape_error("lstsq", a, b, f"{m} rows (one per equation)")
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(m, n)
    x = matmul(pinv(a, rcond=rcond), b)
    s = svdvals(a)
    rank = reduce_sum(astype(s > stop_gradient(s[..., :1]) * rcond, np.int64), axis=-1)
    if m > n and np.all(concrete(rank) == n):
        residual = b - matmul(a, x)
        residuals = reduce_sum(square(residual), axis=-1 if vector else -2)
        if vector:
            residuals = expand_dims(residuals, -1)
    else:
        residuals = Tensor(np.zeros((0,), dtype=a.dtype))
    return LstsqResult(x, residuals, rank, s)
