r"""Triangular factorizations: Cholesky :math:`A = LL^\top` and QR :math:`A = QR`.

Both differentiate by the same move: write the differential of the factorization,
multiply by inverses of the factors, and split the result into its triangular and
(skew-)symmetric parts, which the triangularity of the factors pins down.

Cholesky (Murray 2016, "Differentiation of the Cholesky decomposition"):

.. math::

    dL = L\, \Phi\big(L^{-1} dA\, L^{-\top}\big), \qquad
    \overline{A} = \operatorname{sym}\big(L^{-\top} \Phi(L^\top \overline{L})\, L^{-1}\big)

with :math:`\Phi` the lower triangle with the diagonal halved.

QR with :math:`m \ge n` (Walter & Lehmann 2018; Seeger et al. 2017): with
:math:`C = Q^\top dA\, R^{-1}` and :math:`\Omega = \operatorname{tril}_{-1}(C) - \operatorname{tril}_{-1}(C)^\top`,

.. math::

    dQ = Q(\Omega - C) + dA\, R^{-1}, \qquad dR = (C - \Omega) R, \qquad
    \overline{A} = \big(\overline{Q} + Q\, \operatorname{copyltu}(M)\big) R^{-\top},
    \quad M = R\overline{R}^\top - \overline{Q}^\top Q.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import lapack

from ..autodiff.primitive import primitive
from ..backend import scipy_lapack_threads, xp
from ..ops.indexing import tril
from ..ops.products import matmul
from ..ops.shape import matrix_transpose
from ..tensor import Tensor
from .batching import leading_batch
from .triangular import _solve_triangular
from .structure import copy_upper_to_lower, phi, sym, symmetric_part_array
from .validation import (as_tensor, not_positive_definite_error, require_finite, require_float,
                         require_matrix, require_square)

__all__ = ["cholesky", "qr", "QRResult"]


# ----------------------------------------------------------------------------- Cholesky
def _potrf_lower_in_place(s):
    """Overwrite one symmetric matrix with its lower Cholesky factor (LAPACK ``?potrf``).

    A C-ordered symmetric ``s`` is its own Fortran-ordered transpose, so LAPACK factors it
    as upper, :math:`s = U^\top U`, without a copy; read back in C order, :math:`U^\top = L`.
    Returns LAPACK's ``info`` (> 0: not positive definite).
    """
    potrf = lapack.get_lapack_funcs("potrf", (s,))
    factor, info = potrf(s.T, lower=0, clean=1, overwrite_a=1)
    if not np.shares_memory(factor, s):        # LAPACK worked on a copy after all
        s[...] = factor.T
    return info


@primitive(name="cholesky")
def _cholesky(a):
    require_finite("cholesky", a)
    s = symmetric_part_array(a)
    n = s.shape[-1]
    if s.size == 0:
        return s
    # SciPy's ?potrf, called directly, is 2-5× faster than NumPy's cholesky from n ≈ 128 on
    # (measured with numpy 2.4 / scipy 1.17 wheels); for a stack of small matrices NumPy's
    # batched kernel wins, as it avoids one Python-level call per matrix.
    if s.ndim == 2 or n >= 128:
        stack = s.reshape((-1, n, n))          # a view: LAPACK overwrites s matrix by matrix
        with scipy_lapack_threads(n):
            infos = [_potrf_lower_in_place(matrix) for matrix in stack]
        if max(infos) > 0:
            raise not_positive_definite_error("cholesky", symmetric_part_array(a))
        return s
    try:
        return xp(a).linalg.cholesky(s)
    except np.linalg.LinAlgError:
        raise not_positive_definite_error("cholesky", s) from None


def _cholesky_vjp(g, out, a):
    l = out
    p = phi(matmul(matrix_transpose(l), g))
    s = _solve_triangular(matrix_transpose(l), p, lower=False, left=True, unit_diagonal=False)   # L^{-T} Φ
    s = _solve_triangular(l, s, lower=True, left=False, unit_diagonal=False)                      # (·) L^{-1}
    return sym(s)


def _cholesky_jvp(da, out, a):
    l = out
    y = _solve_triangular(l, sym(da), lower=True, left=True, unit_diagonal=False)                  # L^{-1} dS
    z = _solve_triangular(matrix_transpose(l), y, lower=False, left=False, unit_diagonal=False)   # (·) L^{-T}
    return matmul(l, phi(z))


_cholesky.defvjp(_cholesky_vjp)
_cholesky.defjvp(_cholesky_jvp)
_cholesky.defbatch(leading_batch(_cholesky))
_cholesky.formula(
    definition=r"L L^\top = \operatorname{sym}(A),\ L \text{ lower triangular},\ L_{ii} > 0",
    derivative=r"dL = L\,\Phi(L^{-1} dA\,L^{-\top}),\quad "
               r"\bar A = \operatorname{sym}(L^{-\top}\Phi(L^\top\bar L)L^{-1})",
    convention=r"the input is symmetrized, \operatorname{sym}(A) = (A + A^\top)/2, so the derivative is symmetric")


def cholesky(a, upper: bool = False) -> Tensor:
    r"""Cholesky factor of a symmetric positive-definite matrix: lower triangular :math:`L`
    with a positive diagonal and :math:`LL^\top = A` (``upper=True`` returns :math:`L^\top`).
    LAPACK's ``?potrf``; batched over leading axes.

    .. math::

        dL = L\, \Phi\big(L^{-1} dA\, L^{-\top}\big), \qquad
        \overline{A} = \operatorname{sym}\big(L^{-\top} \Phi(L^\top \overline{L})\, L^{-1}\big)

    where :math:`\Phi(X)` keeps the strictly lower triangle and half the diagonal, and
    :math:`\operatorname{sym}(X) = \tfrac12 (X + X^\top)` (Murray 2016).

    Convention: the factor is that of the symmetric part :math:`\tfrac12 (A + A^\top)` (as
    JAX), so the function is defined, and differentiated consistently, for any square input;
    for a symmetric :math:`A` it is the usual factor, and the gradient is symmetric.  A
    matrix that is not positive definite raises :class:`~chainrule.LinAlgError` stating its
    smallest eigenvalue.
    """
    a = as_tensor(a)
    require_float("cholesky", a)
    require_square("cholesky", a)
    factor = _cholesky(a)
    return matrix_transpose(factor) if upper else factor


cholesky.primitive = _cholesky


# ----------------------------------------------------------------------------- QR
def _positive_diagonal(q, r):
    """Flip the signs of columns of Q and rows of R so that diag(R) ≥ 0 (Q R unchanged)."""
    k = min(r.shape[-2], r.shape[-1])
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1)[..., :k]).astype(r.dtype)
    d[d == 0] = 1
    q[..., :, :k] *= d[..., None, :]
    r[..., :k, :] *= d[..., :, None]
    return q, r


@primitive(name="qr", multiple_results=True)
def _qr(a, complete):
    require_finite("qr", a)
    q, r = xp(a).linalg.qr(a, mode="complete" if complete else "reduced")
    return _positive_diagonal(q, r)


def _require_differentiable_qr(a, complete):
    m, n = a.shape[-2:]
    if m < n:
        raise NotImplementedError(f"qr: the derivative is implemented for m ≥ n (tall or square A); A has "
                                  f"{m} rows and {n} columns.  Differentiate the QR of A.mT instead")
    if complete and m > n:
        raise NotImplementedError(f"qr: with mode='complete' and m > n ({m} > {n}) the last {m - n} columns of "
                                  f"Q are not unique and have no derivative; use mode='reduced'")


def _qr_jvp(da, out, a, complete):
    _require_differentiable_qr(a, complete)
    q, r = out
    dx_rinv = _solve_triangular(r, da, lower=False, left=False, unit_diagonal=False)       # dA R^{-1}
    c = matmul(matrix_transpose(q), dx_rinv)
    lower = tril(c, -1)
    omega = lower - matrix_transpose(lower)                                                  # skew: Qᵀ dQ
    dq = matmul(q, omega - c) + dx_rinv
    dr = matmul(c - omega, r)
    return dq, dr


def _qr_vjp(g, out, a, complete):
    _require_differentiable_qr(a, complete)
    q, r = out
    gq, gr = g
    m = None
    if gr is not None:
        m = matmul(gr, matrix_transpose(r))
    if gq is not None:
        t = matmul(matrix_transpose(q), gq)
        m = -t if m is None else m - t
    if m is None:
        return None
    b = matmul(q, copy_upper_to_lower(m))
    if gq is not None:
        b = b + gq
    return _solve_triangular(matrix_transpose(r), b, lower=True, left=False, unit_diagonal=False)   # b R^{-T}


_qr.defvjp(_qr_vjp)
_qr.defjvp(_qr_jvp)
_qr.defbatch(leading_batch(_qr))
_qr.formula(
    definition=r"A = QR,\ Q^\top Q = I,\ R \text{ upper triangular},\ R_{ii} \ge 0",
    derivative=r"dQ = Q(\Omega - C) + dA\,R^{-1},\ dR = (C - \Omega)R,\ C = Q^\top dA\,R^{-1},\ "
               r"\Omega = \operatorname{tril}_{-1}(C) - \operatorname{tril}_{-1}(C)^\top",
    convention="R has a non-negative diagonal; derivatives for m ≥ n (reduced, or complete when square)")


class QRResult(NamedTuple):
    """``(Q, R)``, as NumPy's ``QRResult``."""

    Q: Tensor
    R: Tensor


def qr(a, mode: str = "reduced"):
    r"""QR factorization :math:`A = QR` (Householder, LAPACK ``?geqrf``): :math:`Q` with
    orthonormal columns, :math:`R` upper triangular.  ``mode`` as NumPy: ``'reduced'``
    (:math:`Q` is :math:`m \times k`, :math:`R` is :math:`k \times n`, :math:`k = \min(m, n)`),
    ``'complete'`` (:math:`Q` is :math:`m \times m`) or ``'r'`` (:math:`R` only).

    Convention: the diagonal of :math:`R` is non-negative (columns of :math:`Q` and rows of
    :math:`R` are flipped together where LAPACK gives a negative entry), which makes the
    factorization of a full-column-rank matrix unique, hence differentiable.  For
    :math:`m \ge n`, with :math:`C = Q^\top dA\, R^{-1}` and
    :math:`\Omega = \operatorname{tril}_{-1}(C) - \operatorname{tril}_{-1}(C)^\top`:

    .. math::

        dQ = Q(\Omega - C) + dA\, R^{-1}, \qquad dR = (C - \Omega) R,

        \overline{A} = \big(\overline{Q} + Q\,\operatorname{copyltu}(M)\big) R^{-\top},
        \qquad M = R\overline{R}^\top - \overline{Q}^\top Q

    (:math:`\operatorname{copyltu}` mirrors the lower triangle onto the upper).  The
    derivative needs :math:`R` invertible (full column rank).  Wide matrices
    (:math:`m < n`) and the extra columns of a complete :math:`Q` have no derivative here:
    differentiating them raises ``NotImplementedError``.
    """
    a = as_tensor(a)
    require_float("qr", a)
    require_matrix("qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = _qr(a, complete=(mode == "complete"))
    if mode == "r":
        return r
    return QRResult(q, r)


qr.primitive = _qr
