r"""Eigenvalues and singular values: ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``, ``eig``.

Symmetric eigendecomposition :math:`A = V \operatorname{diag}(\lambda) V^\top` (Giles 2008).
With :math:`M = V^\top dA\, V` and :math:`F_{ij} = 1/(\lambda_j - \lambda_i)` off the
diagonal (0 on it):

.. math::

    d\lambda = \operatorname{diag}(M), \qquad dV = V (F \circ M), \qquad
    \overline{A} = V\big(\operatorname{diag}(\bar\lambda) + F \circ V^\top \overline{V}\big) V^\top .

Singular value decomposition :math:`A = U \operatorname{diag}(s) V^\top` (Townsend 2016),
with :math:`dP = U^\top dA\, V` and :math:`F_{ij} = 1/(s_j^2 - s_i^2)`:

.. math::

    ds = \operatorname{diag}(dP), \quad
    dU = U\big(F \circ (dP\,S + S\,dP^\top)\big) + (I - UU^\top)\, dA\, V S^{-1}, \quad
    dV = V\big(F \circ (S\,dP + dP^\top S)\big) + (I - VV^\top)\, dA^\top U S^{-1}.

Eigenvalues alone (``eigvalsh``, ``svdvals``) have the rules
:math:`\overline{A} = V \operatorname{diag}(\bar\lambda) V^\top` and
:math:`\overline{A} = U \operatorname{diag}(\bar s) V^\top`, which stay finite and correct
at repeated eigenvalues for any function of the spectrum that is symmetric in the
repeated ones (a sum, a norm).  Vectors at repeated values are not unique: the terms
:math:`F_{ij}` for those pairs are set to zero and a
:class:`~chainrule.linalg.DegenerateSpectrumWarning` is emitted.

Sign conventions (so that results are deterministic and the derivatives well defined):
each eigenvector and each left singular vector has its largest-magnitude component
positive (the first one, on a tie); the right singular vector flips with it.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autodiff.custom import _gradient_levels
from ..autodiff.primitive import primitive
from ..autodiff.transforms import stop_gradient
from ..backend import xp
from ..errors import GraphError
from ..ops.elementwise import less_equal, reciprocal, where
from ..ops.products import matmul
from ..ops.reductions import max as reduce_max
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import expand_dims, matrix_transpose
from ..tensor import Tensor
from .batching import leading_batch
from .structure import diag_embed, diagonal, inverse_gaps, sym, symmetric_part_array
from .validation import (as_tensor, concrete, require_finite, require_float, require_matrix, require_square,
                         spectral_tolerance, warn_degenerate)

__all__ = ["eigh", "eigvalsh", "svd", "svdvals", "eig", "eigvals", "EighResult", "SVDResult", "EigResult"]


def _column_signs(v):
    """±1 per column: the sign of the column's largest-magnitude entry (first on a tie)."""
    if v.shape[-2] == 0:
        return np.ones(v.shape[:-2] + (1, v.shape[-1]), dtype=v.dtype)
    biggest = np.argmax(np.abs(v), axis=-2)[..., None, :]
    signs = np.sign(np.take_along_axis(v, biggest, axis=-2))
    signs[signs == 0] = 1
    return signs


# ----------------------------------------------------------------------------- eigh
@primitive(name="eigh", multiple_results=True)
def _eigh(a):
    require_finite("eigh", a)
    w, v = xp(a).linalg.eigh(symmetric_part_array(a))
    return w, v * _column_signs(v)


def _eigh_vjp(g, out, a):
    w, v = out
    gw, gv = g
    inner = None if gw is None else diag_embed(gw)
    if gv is not None:
        f = inverse_gaps(w, "eigh", "eigenvectors", warn=True)
        t = f * matmul(matrix_transpose(v), gv)
        inner = t if inner is None else inner + t
    if inner is None:
        return None
    return sym(matmul(v, matmul(inner, matrix_transpose(v))))


def _eigh_jvp(da, out, a):
    w, v = out
    m = matmul(matrix_transpose(v), matmul(sym(da), v))
    f = inverse_gaps(w, "eigh", "eigenvectors", warn=True)
    return diagonal(m), matmul(v, f * m)


_eigh.defvjp(_eigh_vjp)
_eigh.defjvp(_eigh_jvp)
_eigh.defbatch(leading_batch(_eigh))
_eigh.formula(
    definition=r"\operatorname{sym}(A) = V \operatorname{diag}(\lambda) V^\top,\ \lambda_1 \le \dots \le \lambda_n",
    derivative=r"d\lambda = \operatorname{diag}(V^\top dA V),\ dV = V(F \circ V^\top dA V),\ "
               r"F_{ij} = 1/(\lambda_j - \lambda_i)",
    convention="largest-magnitude component of each eigenvector positive; at repeated eigenvalues the "
               "F terms of the repeated pairs are zero and a DegenerateSpectrumWarning is emitted")


class EighResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as NumPy's ``EighResult``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def eigh(a) -> EighResult:
    r"""Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix,
    :math:`A = V \operatorname{diag}(\lambda) V^\top` (LAPACK ``?syevd``); batched.

    .. math::

        d\lambda_i = v_i^\top dA\, v_i, \qquad
        dV = V (F \circ V^\top dA\, V), \quad F_{ij} = \frac{1}{\lambda_j - \lambda_i}\ (i \ne j),

        \overline{A} = V\big(\operatorname{diag}(\bar\lambda) + F \circ V^\top \overline{V}\big) V^\top

    Conventions: the input is symmetrized, :math:`\tfrac12 (A + A^\top)` (so the function
    and its derivative are consistent for any square input, and the gradient is symmetric);
    each eigenvector has its largest-magnitude component positive.  Where eigenvalues
    repeat (a relative gap below :math:`\sqrt\varepsilon`) eigenvectors are not unique: the
    derivative through them drops the repeated pairs and warns
    (:class:`DegenerateSpectrumWarning`).  Use :func:`eigvalsh` for eigenvalues alone.
    """
    a = as_tensor(a)
    require_float("eigh", a)
    require_square("eigh", a)
    return EighResult(*_eigh(a))


eigh.primitive = _eigh


@primitive(name="eigvalsh")
def _eigvalsh(a):
    require_finite("eigvalsh", a)
    return xp(a).linalg.eigvalsh(symmetric_part_array(a))


def _eigvalsh_vjp(g, out, a):
    v = _eigh(a)[1]
    return matmul(v * expand_dims(g, -2), matrix_transpose(v))


def _eigvalsh_jvp(da, out, a):
    v = _eigh(a)[1]
    return reduce_sum(v * matmul(sym(da), v), axis=-2)


_eigvalsh.defvjp(_eigvalsh_vjp)
_eigvalsh.defjvp(_eigvalsh_jvp)
_eigvalsh.defbatch(leading_batch(_eigvalsh))
_eigvalsh.formula(definition=r"\lambda(\operatorname{sym}(A)),\ \text{ascending}",
                  derivative=r"d\lambda_i = v_i^\top dA\,v_i,\quad \bar A = V\operatorname{diag}(\bar\lambda)V^\top",
                  convention="finite at repeated eigenvalues (exact for functions symmetric in the repeated ones)")


def eigvalsh(a) -> Tensor:
    r"""Eigenvalues (ascending) of a symmetric matrix (the symmetric part of the input);
    LAPACK ``?syevd`` without vectors, which is faster than :func:`eigh`.

    .. math::

        d\lambda_i = v_i^\top dA\, v_i, \qquad
        \overline{A} = V \operatorname{diag}(\bar\lambda)\, V^\top

    The derivative (computed with the eigenvectors, found when it is needed) stays finite
    at repeated eigenvalues, and is exact there for any function symmetric in the repeated
    eigenvalues (their sum, :math:`\sum_i \lambda_i^2 = \|A\|_F^2`, ...): no division by
    gaps appears.  Second derivatives involve eigenvectors, and warn at repeats.
    """
    a = as_tensor(a)
    require_float("eigvalsh", a)
    require_square("eigvalsh", a)
    return _eigvalsh(a)


eigvalsh.primitive = _eigvalsh


# ----------------------------------------------------------------------------- SVD
@primitive(name="svd", multiple_results=True)
def _svd(a, full_matrices):
    require_finite("svd", a)
    u, s, vh = xp(a).linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    signs = _column_signs(u[..., :, :k])
    u[..., :, :k] *= signs
    vh[..., :k, :] *= np.swapaxes(signs, -1, -2)
    if u.shape[-1] > k:                       # the extra columns of a full U: same convention
        u[..., :, k:] *= _column_signs(u[..., :, k:])
    if vh.shape[-2] > k:
        vh[..., k:, :] *= np.swapaxes(_column_signs(np.swapaxes(vh[..., k:, :], -1, -2)), -1, -2)
    return u, s, vh


def _require_reduced(a, full_matrices):
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(f"svd: with full_matrices=True and a non-square A ({m}×{n}) the extra "
                                  f"singular vectors are not unique and have no derivative; use "
                                  f"full_matrices=False (or svdvals for singular values alone)")


def _inverse_singular_values(s, op):
    r""":math:`1/s`, with zero singular values (below :math:`\sqrt\varepsilon\, s_{max}`) mapped to 0
    and a warning: the rectangular part of the SVD derivative divides by them."""
    scale = stop_gradient(reduce_max(s, axis=-1, keepdims=True))
    small = less_equal(s, scale * spectral_tolerance(s.dtype) + np.finfo(s.dtype).tiny)
    if np.any(concrete(small)):
        warn_degenerate(op, "singular vectors", "zero singular values of a non-square matrix")
    return where(small, 0.0, reciprocal(where(small, 1.0, s)))


def _svd_vjp(g, out, a, full_matrices):
    u, s, vh = out
    gu, gs, gvh = g
    m, n = a.shape[-2:]
    k = s.shape[-1]
    if gu is not None or gvh is not None:
        _require_reduced(a, full_matrices)
        f = inverse_gaps(s * s, "svd", "singular vectors", warn=True)
    elif full_matrices and m != n:               # only S is used: its rule needs the first k vectors
        u, vh = u[..., :, :k], vh[..., :k, :]
    v = matrix_transpose(vh)
    inner = None if gs is None else diag_embed(gs)
    extra = None
    if gu is not None:
        ut_gu = matmul(matrix_transpose(u), gu)
        t = (f * (ut_gu - matrix_transpose(ut_gu))) * expand_dims(s, -2)           # J S
        inner = t if inner is None else inner + t
        if m > k:                                                                   # (I - UUᵀ) Ū S⁻¹ Vᵀ
            projected = gu - matmul(u, ut_gu)
            extra = matmul(projected * expand_dims(_inverse_singular_values(s, "svd"), -2), vh)
    if gvh is not None:
        gv = matrix_transpose(gvh)
        vt_gv = matmul(vh, gv)
        t = expand_dims(s, -1) * (f * (vt_gv - matrix_transpose(vt_gv)))           # S K
        inner = t if inner is None else inner + t
        if n > k:                                                                   # U S⁻¹ V̄ᵀ (I - VVᵀ)
            projected = gv - matmul(v, vt_gv)
            t = matmul(u, expand_dims(_inverse_singular_values(s, "svd"), -1) * matrix_transpose(projected))
            extra = t if extra is None else extra + t
    result = None if inner is None else matmul(u, matmul(inner, vh))
    if extra is not None:
        result = extra if result is None else result + extra
    return result


def _svd_jvp(da, out, a, full_matrices):
    _require_reduced(a, full_matrices)
    u, s, vh = out
    m, n = a.shape[-2:]
    k = s.shape[-1]
    v = matrix_transpose(vh)
    da_v = matmul(da, v)
    dp = matmul(matrix_transpose(u), da_v)                                          # Uᵀ dA V
    f = inverse_gaps(s * s, "svd", "singular vectors", warn=True)
    dp_s = dp * expand_dims(s, -2)                                                  # dP S
    s_dp = expand_dims(s, -1) * dp                                                  # S dP
    du = matmul(u, f * (dp_s + matrix_transpose(dp_s)))
    dv = matmul(v, f * (s_dp + matrix_transpose(s_dp)))
    if m > k:                                                                       # (I - UUᵀ) dA V S⁻¹
        du = du + (da_v - matmul(u, dp)) * expand_dims(_inverse_singular_values(s, "svd"), -2)
    if n > k:                                                                       # (I - VVᵀ) dAᵀ U S⁻¹
        dat_u = matmul(matrix_transpose(da), u)
        dv = dv + (dat_u - matmul(v, matrix_transpose(dp))) * expand_dims(_inverse_singular_values(s, "svd"), -2)
    return du, diagonal(dp), matrix_transpose(dv)


_svd.defvjp(_svd_vjp)
_svd.defjvp(_svd_jvp)
_svd.defbatch(leading_batch(_svd))
_svd.formula(
    definition=r"A = U \operatorname{diag}(s) V^\top,\ s_1 \ge \dots \ge s_k \ge 0",
    derivative=r"ds = \operatorname{diag}(U^\top dA V),\ "
               r"dU = U(F \circ (dP S + S dP^\top)) + (I - UU^\top) dA V S^{-1},\ F_{ij} = 1/(s_j^2 - s_i^2)",
    convention="largest-magnitude component of each left singular vector positive; repeated singular values: "
               "the F terms of the repeated pairs are zero and a DegenerateSpectrumWarning is emitted")


class SVDResult(NamedTuple):
    """``(U, S, Vh)`` with :math:`A = U \\operatorname{diag}(S) V_h`, as NumPy's ``SVDResult``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(a, full_matrices: bool = True, compute_uv: bool = True):
    r"""Singular value decomposition :math:`A = U \operatorname{diag}(S)\, V_h` (LAPACK
    ``?gesdd``), singular values descending; batched.  Arguments as NumPy's (``full_matrices``
    defaults to True; ``compute_uv=False`` returns :math:`S` only, see :func:`svdvals`).

    With :math:`dP = U^\top dA\, V`, :math:`S = \operatorname{diag}(s)` and
    :math:`F_{ij} = 1/(s_j^2 - s_i^2)` (Townsend 2016):

    .. math::

        ds = \operatorname{diag}(dP), \qquad
        dU = U\big(F \circ (dP\,S + S\,dP^\top)\big) + (I - UU^\top)\,dA\,V S^{-1},

        dV = V\big(F \circ (S\,dP + dP^\top S)\big) + (I - VV^\top)\,dA^\top U S^{-1}

    Conventions: each left singular vector has its largest-magnitude component positive and
    its right singular vector flips with it.  Derivatives through :math:`U, V_h` need
    distinct singular values (repeated ones warn, as in :func:`eigh`), nonzero ones for a
    non-square :math:`A`, and ``full_matrices=False`` for a non-square :math:`A` (the extra
    columns of a full :math:`U` or :math:`V` are not unique).
    """
    a = as_tensor(a)
    require_float("svd", a)
    require_matrix("svd", a)
    if not compute_uv:
        return svdvals(a)
    return SVDResult(*_svd(a, full_matrices=bool(full_matrices)))


svd.primitive = _svd


@primitive(name="svdvals")
def _svdvals(a):
    require_finite("svdvals", a)
    return xp(a).linalg.svd(a, compute_uv=False)


def _svdvals_vjp(g, out, a):
    u, s, vh = _svd(a, full_matrices=False)
    return matmul(u * expand_dims(g, -2), vh)


def _svdvals_jvp(da, out, a):
    u, s, vh = _svd(a, full_matrices=False)
    return reduce_sum(u * matmul(da, matrix_transpose(vh)), axis=-2)


_svdvals.defvjp(_svdvals_vjp)
_svdvals.defjvp(_svdvals_jvp)
_svdvals.defbatch(leading_batch(_svdvals))
_svdvals.formula(definition=r"s(A),\ \text{descending}",
                 derivative=r"ds_i = u_i^\top dA\,v_i,\quad \bar A = U \operatorname{diag}(\bar s) V^\top",
                 convention="finite at repeated singular values (exact for functions symmetric in them)")


def svdvals(a) -> Tensor:
    r"""Singular values, descending (LAPACK ``?gesdd`` without vectors).

    .. math:: ds_i = u_i^\top dA\, v_i, \qquad \overline{A} = U \operatorname{diag}(\bar s)\, V^\top

    Finite at repeated singular values (exact for functions symmetric in them, such as
    the nuclear norm :math:`\sum_i s_i`).  At a zero singular value the derivative is a
    subgradient (:math:`u_i v_i^\top` for the vectors LAPACK returns).
    """
    a = as_tensor(a)
    require_float("svdvals", a)
    require_matrix("svdvals", a)
    return _svdvals(a)


svdvals.primitive = _svdvals


# ----------------------------------------------------------------------------- general matrices
def _unit_phase(v):
    """Scale each (complex) eigenvector so that its largest-magnitude component is real
    and positive (the first one, on a tie); norms stay 1."""
    if v.shape[-2] == 0:
        return v
    biggest = np.argmax(np.abs(v), axis=-2)[..., None, :]
    pivot = np.take_along_axis(v, biggest, axis=-2)
    magnitude = np.abs(pivot)
    phase = np.where(magnitude > 0, pivot / np.where(magnitude > 0, magnitude, 1), 1)
    return v / phase


@primitive(name="eig", multiple_results=True, differentiable=False)
def _eig(a):
    require_finite("eig", a)
    w, v = xp(a).linalg.eig(a)
    w = w.astype(np.result_type(a.dtype, np.complex64), copy=False)
    v = v.astype(w.dtype, copy=False)
    return w, _unit_phase(v)


_eig.defbatch(leading_batch(_eig))
_eig.formula(definition=r"A v_i = \lambda_i v_i,\ \lambda_i \in \mathbb{C}",
             derivative="value only: differentiating raises an error",
             convention="eigenvectors of unit norm with their largest-magnitude component real and positive")


@primitive(name="eigvals", differentiable=False)
def _eigvals(a):
    require_finite("eigvals", a)
    w = xp(a).linalg.eigvals(a)
    return w.astype(np.result_type(a.dtype, np.complex64), copy=False)


_eigvals.defbatch(leading_batch(_eigvals))
_eigvals.formula(definition=r"\det(A - \lambda_i I) = 0,\ \lambda_i \in \mathbb{C}",
                 derivative="value only: differentiating raises an error")


def _refuse_derivatives(op, a):
    if _gradient_levels([a]):
        raise GraphError(f"{op}: the eigenvalues of a general (non-symmetric) matrix are complex, and chainrule "
                         f"computes them as values only: their derivative is not implemented. Pass A.detach() "
                         f"(or compute under cr.no_grad()) to use the values, or use eigh/eigvalsh for a "
                         f"symmetric matrix")


class EigResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as NumPy's ``EigResult``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def eig(a) -> EigResult:
    r"""Eigenvalues and right eigenvectors of a general square matrix, :math:`A v_i = \lambda_i v_i`
    (LAPACK ``?geev``): complex tensors, in LAPACK's order.

    Values only: the derivative (which exists for simple eigenvalues) is not implemented,
    and calling ``eig`` on a tensor that is being differentiated raises
    :class:`~chainrule.GraphError` rather than silently giving a zero gradient.  Convention:
    eigenvectors have unit norm, with their largest-magnitude component real and positive.
    """
    a = as_tensor(a)
    require_float("eig", a)
    require_square("eig", a)
    _refuse_derivatives("eig", a)
    return EigResult(*_eig(a))


eig.primitive = _eig


def eigvals(a) -> Tensor:
    r"""Eigenvalues of a general square matrix, roots of :math:`\det(A - \lambda I) = 0`
    (complex, LAPACK ``?geev``).  Values only, as :func:`eig`: differentiating raises."""
    a = as_tensor(a)
    require_float("eigvals", a)
    require_square("eigvals", a)
    _refuse_derivatives("eigvals", a)
    return _eigvals(a)


eigvals.primitive = _eigvals
