r"""Determinants, inverses and the products of linear algebra.

Everything here follows from two differentials (Giles 2008, "Collected matrix
derivative results"):

.. math::

    d\,(A^{-1}) = -A^{-1}\, dA\, A^{-1}, \qquad
    d \log|\det A| = \operatorname{tr}(A^{-1} dA) = \langle A^{-\top}, dA \rangle,

so :math:`\overline{A} = -A^{-\top}\, \overline{X}\, A^{-\top}` for :math:`X = A^{-1}` and
:math:`\overline{A} = \overline{\ell}\, A^{-\top}` for :math:`\ell = \log|\det A|`.  The
rules are written with differentiable operations (the inverse, or a solve with
:math:`A^\top` that reuses the LU factors of the forward pass for a single matrix), so
second derivatives come for free: the Hessian of :math:`\log|\det A|` is the map
:math:`E \mapsto -(A^{-1} E A^{-1})^\top`.

Products (``matrix_power``, ``multi_dot``, ``cross``, ``vecdot``, ``trace``) are
composites of ``matmul``, indexing and sums, and inherit their derivatives.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.primitive import primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..ops.elementwise import multiply
from ..ops.indexing import getitem
from ..ops.indexing import trace as _trace
from ..ops.products import matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import broadcast_to, expand_dims, matrix_transpose, moveaxis, reshape, stack
from ..tensor import Tensor
from .batching import leading_batch
from .systems import lu_factors_to_reuse, solve_with
from .structure import identity
from .validation import (as_tensor, require_finite, require_float, require_square, singular_error)

__all__ = ["det", "slogdet", "inv", "matrix_power", "trace", "cross", "vecdot", "multi_dot",
           "matrix_transpose", "matmul"]


def _scalar_to_matrix(s):
    """A stack of scalars :math:`s` as a stack of 1×1 matrices, to scale matrices."""
    return reshape(s, tuple(s.shape) + (1, 1))


def _trace_of_product(x, y):
    r""":math:`\operatorname{tr}(X^\top Y) = \langle X, Y \rangle` for each matrix of the stack."""
    return reduce_sum(x * y, axis=(-2, -1))


# ----------------------------------------------------------------------------- inverse
@primitive(name="inv")
def _inv(a):
    require_finite("inv", a)
    try:
        x = xp(a).linalg.inv(a)
    except np.linalg.LinAlgError:
        raise singular_error("inv", a, consequence="it has no inverse") from None
    # LAPACK stops only at an exactly zero pivot; a matrix singular to working precision
    # yields an "inverse" without a correct digit.  The 1-norm condition number
    # ‖A‖₁‖A⁻¹‖₁ costs O(n²) once the inverse is known, so it is checked every time.
    if x.size == 0:
        return x
    cond = np.abs(a).sum(axis=-2).max(axis=-1) * np.abs(x).sum(axis=-2).max(axis=-1)
    if not np.all(cond * np.finfo(a.dtype).eps < 1):
        raise singular_error("inv", a, consequence="it has no inverse to working precision")
    return x


_inv.defvjp(lambda g, out, a: -matmul(matrix_transpose(out), matmul(g, matrix_transpose(out))))
_inv.defjvp(lambda da, out, a: -matmul(out, matmul(da, out)))
_inv.defbatch(leading_batch(_inv))
_inv.formula(definition=r"X = A^{-1}",
             derivative=r"dX = -X\,dA\,X,\quad \bar A = -X^\top \bar X X^\top")


def inv(a) -> Tensor:
    r"""Inverse :math:`X = A^{-1}` of a square matrix (or of each matrix of a stack).

    .. math::

        dX = -X\, dA\, X, \qquad \overline{A} = -X^\top\, \overline{X}\, X^\top

    Raises :class:`~chainrule.LinAlgError` (naming the condition number) when
    :math:`A` is singular, exactly (a zero pivot in LAPACK's LU factorization) or to
    working precision (:math:`\kappa_1(A) = \|A\|_1 \|A^{-1}\|_1 \ge 1/\varepsilon`).
    Prefer :func:`solve` to multiplying by an inverse: it is faster and more accurate.
    """
    a = as_tensor(a)
    require_float("inv", a)
    require_square("inv", a)
    return _inv(a)


inv.primitive = _inv


# ----------------------------------------------------------------------------- determinants
def _pivot_parity(piv):
    """(-1)^(number of row interchanges) of LAPACK's pivots."""
    swaps = np.count_nonzero(piv != np.arange(piv.shape[-1]), axis=-1)
    return 1.0 - 2.0 * (swaps % 2)


def _slogdet_arrays(a, packed, piv):
    if packed is None:
        sign, logabsdet = xp(a).linalg.slogdet(a)
        return sign, logabsdet
    # From LAPACK's LU factors (of Aᵀ), as NumPy does: det A = det Aᵀ = (-1)^swaps ∏ U_ii
    diag = np.diagonal(packed, axis1=-2, axis2=-1)
    sign = (_pivot_parity(piv) * np.prod(np.sign(diag), axis=-1)).astype(packed.dtype)
    with np.errstate(divide="ignore"):
        logabsdet = np.sum(np.log(np.abs(diag)), axis=-1)
    return sign, logabsdet


def _inverse_transpose(a, packed, piv, op):
    r""":math:`A^{-\top}`, reusing the LU factors when they are known."""
    eye = identity(a.shape[-1], a)
    if packed is not None:
        # LAPACK's ?getrs takes its right-hand side column-major: the identity's transpose
        # (a view, and the identity still) is, so it is not copied (0.16 ms at n = 256)
        eye = Tensor._wrap(eye._data.T)
    return solve_with(a, eye, packed, piv, transposed=True, op=op)


@primitive(name="det")
def _det(a, packed, piv):
    # ``packed, piv``: LU factors of Aᵀ kept for the derivative (None for a stack; det Aᵀ = det A);
    # lu_factors_to_reuse has checked that A is finite before factoring it
    if packed is None:
        require_finite("det", a)
        return xp(a).linalg.det(a)
    sign, logabsdet = _slogdet_arrays(a, packed, piv)
    return sign * np.exp(logabsdet)


def _det_vjp(g, out, a, packed, piv):
    return _scalar_to_matrix(g * out) * _inverse_transpose(a, packed, piv, "det")


def _det_jvp(da, out, a, packed, piv):
    return out * _trace_of_product(_inverse_transpose(a, packed, piv, "det"), da)


_det.defvjp(_det_vjp, None, None)
_det.defjvp(_det_jvp, None, None)
_det.defbatch(leading_batch(_det))
_det.formula(definition=r"d = \det A",
             derivative=r"d\,(\det A) = \det A\ \operatorname{tr}(A^{-1} dA),\quad \bar A = \bar d\,\det A\,A^{-\top}",
             convention=r"at a singular A the rule needs A^{-1} and raises LinAlgError")


def det(a) -> Tensor:
    r"""Determinant :math:`\det A` of a square matrix (or of each matrix of a stack), from
    LAPACK's LU factorization.

    .. math::

        d\,(\det A) = \det A \,\operatorname{tr}(A^{-1} dA), \qquad
        \overline{A} = \bar d\, \det A\, A^{-\top}

    The derivative is Jacobi's formula; for a single matrix it reuses the LU factors of the
    forward pass.  It needs :math:`A^{-1}`, so at a singular matrix (where the derivative is
    the adjugate) it raises :class:`~chainrule.LinAlgError`.  For logarithms of determinants
    use :func:`slogdet`, which neither overflows nor underflows.
    """
    a = as_tensor(a)
    require_float("det", a)
    require_square("det", a)
    packed, piv = lu_factors_to_reuse(a, "det")
    return _det(a, packed, piv)


det.primitive = _det


@primitive(name="slogdet", multiple_results=True)
def _slogdet(a, packed, piv):
    if packed is None:                 # else lu_factors_to_reuse has checked A before factoring it
        require_finite("slogdet", a)
    return _slogdet_arrays(a, packed, piv)


def _slogdet_vjp(g, out, a, packed, piv):
    g_logabsdet = g[1]                 # the sign is piecewise constant: no derivative
    if g_logabsdet is None:
        return None
    return _scalar_to_matrix(g_logabsdet) * _inverse_transpose(a, packed, piv, "slogdet")


def _slogdet_jvp(da, out, a, packed, piv):
    return None, _trace_of_product(_inverse_transpose(a, packed, piv, "slogdet"), da)


_slogdet.defvjp(_slogdet_vjp, None, None)
_slogdet.defjvp(_slogdet_jvp, None, None)
_slogdet.defbatch(leading_batch(_slogdet))
_slogdet.formula(definition=r"(s, \ell) = (\operatorname{sign}\det A,\ \log|\det A|)",
                 derivative=r"d\ell = \operatorname{tr}(A^{-1} dA),\quad \bar A = \bar\ell\, A^{-\top},\quad ds = 0")


class SlogdetResult(tuple):
    """``(sign, logabsdet)``, as NumPy's ``SlogdetResult``: unpacks as a pair."""

    __slots__ = ()

    def __new__(cls, sign, logabsdet):
        return super().__new__(cls, (sign, logabsdet))

    @property
    def sign(self) -> Tensor:
        return self[0]

    @property
    def logabsdet(self) -> Tensor:
        return self[1]


def slogdet(a) -> SlogdetResult:
    r"""Sign and logarithm of the absolute value of the determinant:
    :math:`\det A = s\, e^{\ell}` with :math:`s \in \{-1, 0, 1\}`.

    .. math::

        d\ell = \operatorname{tr}(A^{-1} dA), \qquad \overline{A} = \bar\ell\, A^{-\top},
        \qquad \frac{\partial^2 \ell}{\partial A^2}[E] = -(A^{-1} E A^{-1})^\top

    The sign is piecewise constant and has no derivative.  For a single matrix the
    derivative reuses the LU factors of the forward pass (:math:`A^{-\top}` costs one
    pair of triangular solves per column, no new factorization).  A singular matrix gives
    :math:`s = 0, \ell = -\infty` (as NumPy); its derivative raises
    :class:`~chainrule.LinAlgError`.  Returns ``(sign, logabsdet)`` with attributes of
    the same names.
    """
    a = as_tensor(a)
    require_float("slogdet", a)
    require_square("slogdet", a)
    packed, piv = lu_factors_to_reuse(a, "slogdet")
    sign, logabsdet = _slogdet(a, packed, piv)
    return SlogdetResult(sign, logabsdet)


slogdet.primitive = _slogdet


# ----------------------------------------------------------------------------- products
def matrix_power(a, n: int) -> Tensor:
    r""":math:`A^n` for an integer :math:`n` by repeated squaring (:math:`A^0 = I`,
    :math:`A^{-n} = (A^{-1})^n`): about :math:`2\log_2 n` matrix products, each
    differentiated by ``matmul``'s rule.

    .. math:: d(A^n) = \sum_{k=0}^{n-1} A^k\, dA\, A^{n-1-k}
    """
    a = as_tensor(a)
    require_square("matrix_power", a)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}")
    if n == 0:
        return broadcast_to(identity(a.shape[-1], a), a.shape)
    if n < 0:
        require_float("matrix_power", a)
        a, n = inv(a), -n
    result = None
    power = a                           # a^(2^k)
    while True:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if not n:
            return result
        power = matmul(power, power)


def trace(a, offset: int = 0) -> Tensor:
    r"""Sum of the diagonal of each matrix (the last two axes), as ``numpy.linalg.trace``:
    :math:`\operatorname{tr} A = \sum_i A_{i,\,i+\mathrm{offset}}`.

    .. math:: d \operatorname{tr} A = \operatorname{tr} dA, \qquad \overline{A} = \bar t\, I
    """
    a = as_tensor(a)
    if a.ndim < 2:
        raise ShapeError(f"trace: needs a matrix (or a stack of them), got shape {fmt_shape(a.shape)}")
    return _trace(a, offset, -2, -1)


def vecdot(x1, x2, axis: int = -1) -> Tensor:
    r"""Inner products of the vectors along ``axis``, broadcasting the other axes:
    :math:`\langle x, y \rangle = \sum_i x_i y_i`, with :math:`\bar x = \bar s\, y`,
    :math:`\bar y = \bar s\, x`."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[axis] != x2.shape[axis]:
        raise ShapeError(f"vecdot: the vectors along axis {axis} of {fmt_shape(x1.shape)} and "
                         f"{fmt_shape(x2.shape)} must have equal length")
    return reduce_sum(multiply(x1, x2), axis=axis)


def cross(x1, x2, axis: int = -1) -> Tensor:
    r"""Cross product of 3-vectors along ``axis`` (broadcasting the other axes):

    .. math:: x \times y = (x_2 y_3 - x_3 y_2,\; x_3 y_1 - x_1 y_3,\; x_1 y_2 - x_2 y_1)

    It is bilinear, :math:`d(x \times y) = dx \times y + x \times dy`, and
    :math:`\bar x = y \times \bar z`, :math:`\bar y = \bar z \times x`.
    """
    x1, x2 = as_tensor(x1), as_tensor(x2)
    for name, x in (("x1", x1), ("x2", x2)):
        if x.ndim == 0 or x.shape[axis] != 3:
            raise ShapeError(f"cross: {name} {fmt_shape(x.shape)} must have length 3 along axis {axis} "
                             f"(the cross product is defined for 3-vectors)")
    a, b = moveaxis(x1, axis, -1), moveaxis(x2, axis, -1)
    a1, a2, a3 = (getitem(a, (Ellipsis, i)) for i in range(3))
    b1, b2, b3 = (getitem(b, (Ellipsis, i)) for i in range(3))
    c = stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], axis=-1)
    return moveaxis(c, -1, axis)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """Optimal parenthesization of a matrix chain (dynamic programming, as NumPy's
    ``multi_dot``): ``split[i][j]`` is where the product of matrices i..j is split."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(arrays) -> Tensor:
    r"""The product :math:`A_1 A_2 \cdots A_k` of a chain of matrices, multiplied in the order
    that needs the fewest scalar multiplications (the first may be a vector, a row; the
    last a vector, a column), as ``numpy.linalg.multi_dot``.  Its derivatives are those of
    the ``matmul`` calls it makes."""
    arrays = [as_tensor(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("multi_dot: needs at least two arrays")
    first_vector, last_vector = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vector:
        arrays[0] = expand_dims(arrays[0], 0)
    if last_vector:
        arrays[-1] = expand_dims(arrays[-1], -1)
    for k, a in enumerate(arrays):
        if a.ndim != 2:
            raise ShapeError(f"multi_dot: array {k} has shape {fmt_shape(a.shape)}; only the first and last "
                             f"may be vectors, the others must be matrices")
    for k in range(len(arrays) - 1):
        if arrays[k].shape[1] != arrays[k + 1].shape[0]:
            raise ShapeError(f"multi_dot: arrays {k} and {k + 1} are {fmt_shape(arrays[k].shape)}·"
                             f"{fmt_shape(arrays[k + 1].shape)}, inner dimensions "
                             f"{arrays[k].shape[1]} ≠ {arrays[k + 1].shape[0]}")
    dims = [arrays[0].shape[0]] + [a.shape[1] for a in arrays]
    split = _chain_order(dims)

    def product(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    out = product(0, len(arrays) - 1)
    if first_vector:
        out = getitem(out, 0)
    if last_vector:
        out = getitem(out, (Ellipsis, 0))
    return out
