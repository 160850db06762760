r"""Triangular systems :math:`TX = B` and :math:`XT = B`, by substitution (LAPACK ``?trtrs``).

Only one triangle of :math:`A` is read, so only that triangle has a derivative.
Differentiating :math:`TX = B` gives :math:`dX = T^{-1}(dB - dT\,X)`, hence

.. math::

    \overline{B} = T^{-\top}\,\overline{X}, \qquad
    \overline{A} = -\operatorname{tri}\big(\overline{B} X^\top\big),

one more triangular solve, with :math:`T^\top`.  These solves carry the derivatives of
the Cholesky, QR and LU factorizations.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

from ..autodiff.primitive import primitive
from ..backend import scipy_lapack_threads
from ..errors import LinAlgError, ShapeError, fmt_shape
from ..ops.indexing import tril, triu
from ..ops.products import matmul
from ..ops.shape import expand_dims, matrix_transpose, squeeze
from ..tensor import Tensor
from .batching import aligned_batch
from .validation import as_tensor, batch_shape, require_finite, require_float, require_square

__all__ = ["solve_triangular"]


def rhs_shape_error(op, a, b, needed):
    """``solve: A is (3×3) but b is (4×2); b needs 3 rows``."""
    return ShapeError(f"{op}: A is {fmt_shape(a.shape)} but b is {fmt_shape(b.shape)}; b needs {needed}")


# ----------------------------------------------------------------------------- triangular
def _trtrs(a, b, lower, transpose, unit_diagonal):
    """LAPACK's ``?trtrs`` on one matrix: :math:`T^{-1} B` or :math:`T^{-\\top} B`.

    A C-ordered ``a`` is the Fortran-ordered :math:`a^\\top`, so it is handed over as such
    (swapping ``lower`` and ``transpose``) rather than copied."""
    fn = lapack.get_lapack_funcs("trtrs", (a, b))
    if a.flags.c_contiguous and not a.flags.f_contiguous:
        a, lower, transpose = a.T, not lower, not transpose
    x, info = fn(a, b, lower=int(lower), trans=int(transpose), unitdiag=int(unit_diagonal))
    return x, info


def _triangular_solve_arrays(a, b, lower, left, unit_diagonal):
    transpose = False
    if not left:
        # X T = B  ⟺  Tᵀ Xᵀ = Bᵀ
        b = np.swapaxes(b, -1, -2)
        transpose = True
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    dtype = np.result_type(a, b)
    a = np.asarray(a, dtype=dtype)
    b = np.asarray(b, dtype=dtype)
    if not batch:
        with scipy_lapack_threads(a.shape[-1]):
            x, info = _trtrs(a, b, lower, transpose, unit_diagonal)
        bad = () if info <= 0 else (None,)
    else:
        # LAPACK's ?trtrs solves one system per call and neither NumPy nor SciPy has a batched
        # triangular solver, so the stack is looped over here, one direct LAPACK call per matrix.
        a_stack = np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
        b_stack = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
        x = np.empty(b_stack.shape, dtype=dtype)
        bad = ()
        with scipy_lapack_threads(a.shape[-1]):
            for k in range(a_stack.shape[0]):
                x[k], info = _trtrs(a_stack[k], b_stack[k], lower, transpose, unit_diagonal)
                if info > 0:
                    bad = np.unravel_index(k, batch)
                    break
        x = x.reshape(batch + b.shape[-2:])
    if bad != ():
        where = "" if bad == (None,) else f" (matrix {tuple(int(i) for i in bad)} of the stack)"
        raise LinAlgError(f"solve_triangular: the triangular matrix is singular{where}: a diagonal entry is "
                          f"exactly zero, so its condition number is infinite")
    return np.swapaxes(x, -1, -2) if not left else x


@primitive(name="solve_triangular")
def _solve_triangular(a, b, lower, left, unit_diagonal):
    require_finite("solve_triangular", a)
    require_finite("solve_triangular", b, "b")
    return _triangular_solve_arrays(a, b, lower, left, unit_diagonal)


def _triangle(x, lower, unit_diagonal):
    """The part of a matrix that a triangular solve reads: one triangle, without the
    diagonal when it is taken to be 1."""
    if lower:
        return tril(x, -1 if unit_diagonal else 0)
    return triu(x, 1 if unit_diagonal else 0)


def _solve_triangular_vjp(g, out, a, b, lower, left, unit_diagonal):
    gb = _solve_triangular(matrix_transpose(a), g, lower=not lower, left=left, unit_diagonal=unit_diagonal)
    if left:
        ga = -matmul(gb, matrix_transpose(out))
    else:
        ga = -matmul(matrix_transpose(out), gb)
    return _triangle(ga, lower, unit_diagonal), gb


def _solve_triangular_jvp(tangents, out, a, b, lower, left, unit_diagonal):
    da, db = tangents
    rhs = db
    if da is not None:
        dt = _triangle(da, lower, unit_diagonal)
        t = matmul(dt, out) if left else matmul(out, dt)
        rhs = -t if rhs is None else rhs - t
    if rhs is None:
        return None
    return _solve_triangular(a, rhs, lower=lower, left=left, unit_diagonal=unit_diagonal)


_solve_triangular.defvjp_joint(_solve_triangular_vjp)
_solve_triangular.defjvp_joint(_solve_triangular_jvp)
_solve_triangular.defbatch(aligned_batch(_solve_triangular))
_solve_triangular.formula(
    definition=r"X = T^{-1} B \ (\text{left}),\quad X = B\,T^{-1}\ (\text{right}),\quad "
               r"T = \operatorname{tril}(A) \text{ or } \operatorname{triu}(A)",
    derivative=r"\bar B = T^{-\top}\bar X,\quad \bar A = -\operatorname{tri}(\bar B X^\top)",
    convention="only the triangle read (without the diagonal when unit_diagonal) receives a derivative")


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False, *,
                     left: bool = True) -> Tensor:
    r"""Solve :math:`TX = B` (or :math:`XT = B` with ``left=False``) where :math:`T` is the
    lower (``lower=True``) or upper triangle of :math:`A` (SciPy's names and defaults);
    ``trans=1`` (or ``'T'``) solves with :math:`T^\top`; ``unit_diagonal`` takes the
    diagonal to be 1 without reading it.  LAPACK's ``?trtrs``; batch axes broadcast.

    .. math::

        dX = T^{-1}(dB - dT\,X), \qquad \overline{B} = T^{-\top}\,\overline{X}, \qquad
        \overline{A} = -\operatorname{tri}\big(\overline{B}\, X^\top\big)

    where :math:`\operatorname{tri}` keeps the triangle that is read: entries of
    :math:`A` outside it do not affect :math:`X` and get a zero derivative.  A zero on
    the diagonal raises :class:`~chainrule.LinAlgError`.
    """
    a, b = as_tensor(a), as_tensor(b)
    require_float("solve_triangular", a, b)
    require_square("solve_triangular", a)
    if trans in (1, "T", "C", 2):
        a, lower = matrix_transpose(a), not lower
    elif trans not in (0, "N"):
        raise ValueError(f"solve_triangular: trans must be 0/'N' or 1/'T', got {trans!r}")
    n = a.shape[-1]
    vector = b.ndim == 1
    if vector:
        b = expand_dims(b, -1 if left else 0)
    if b.ndim < 2:
        raise rhs_shape_error("solve_triangular", a, b, f"{n} entries")
    if left and b.shape[-2] != n:
        raise rhs_shape_error("solve_triangular", a, b, f"{n} rows")
    if not left and b.shape[-1] != n:
        raise rhs_shape_error("solve_triangular", a, b, f"{n} columns (it is solved from the right)")
    batch_shape("solve_triangular", a, b)
    x = _solve_triangular(a, b, lower=bool(lower), left=bool(left), unit_diagonal=bool(unit_diagonal))
    if vector:
        x = squeeze(x, -1 if left else 0)
    return x


solve_triangular.primitive = _solve_triangular
