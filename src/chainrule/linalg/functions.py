r"""Matrix functions: the matrix exponential :math:`e^A = \sum_k A^k / k!`.

Its derivative is the Fréchet derivative :math:`L(A, E) = \int_0^1 e^{sA} E\, e^{(1-s)A} ds`,
which the exponential of a block triangular matrix computes exactly (Mathias 1996;
Higham 2008, §3.1):

.. math::

    \exp\begin{pmatrix} A & E \\ 0 & A \end{pmatrix}
        = \begin{pmatrix} e^A & L(A, E) \\ 0 & e^A \end{pmatrix}.

Its adjoint is :math:`L(A^\top, \cdot)`: :math:`\langle G, L(A, E)\rangle = \langle L(A^\top, G), E\rangle`.
Both are written with :func:`expm` itself, so derivatives of every order follow.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from ..autodiff.primitive import primitive
from ..backend import scipy_lapack_threads
from ..ops.indexing import getitem
from ..ops.shape import broadcast_to, concatenate, matrix_transpose
from ..tensor import Tensor
from .batching import leading_batch
from .validation import as_tensor, require_finite, require_float, require_square

__all__ = ["expm"]


@primitive(name="expm")
def _expm(a):
    require_finite("expm", a)
    # SciPy's expm (scaling and squaring with Padé approximants) takes stacks of matrices.
    with scipy_lapack_threads(a.shape[-1]):
        return scipy.linalg.expm(a)


def _frechet(a, e):
    r""":math:`L(A, E)`, the top-right block of :math:`\exp\begin{pmatrix} A & E \\ 0 & A\end{pmatrix}`."""
    n = a.shape[-1]
    shape = np.broadcast_shapes(tuple(a.shape), tuple(e.shape))
    a, e = broadcast_to(a, shape), broadcast_to(e, shape)
    zero = Tensor._wrap(np.zeros(shape, dtype=np.result_type(a.dtype, e.dtype)))
    block = concatenate([concatenate([a, e], axis=-1), concatenate([zero, a], axis=-1)], axis=-2)
    return getitem(_expm(block), (Ellipsis, slice(0, n), slice(n, 2 * n)))


_expm.defvjp(lambda g, out, a: _frechet(matrix_transpose(a), g))
_expm.defjvp(lambda da, out, a: _frechet(a, da))
_expm.defbatch(leading_batch(_expm))
_expm.formula(definition=r"e^A = \textstyle\sum_{k \ge 0} A^k / k!",
              derivative=r"d\,e^A = L(A, dA) = \exp\!\begin{pmatrix} A & dA \\ 0 & A \end{pmatrix}_{12},\quad "
                         r"\bar A = L(A^\top, \bar X)")


def expm(a) -> Tensor:
    r"""Matrix exponential :math:`e^A = \sum_{k \ge 0} A^k / k!` (SciPy's scaling and
    squaring with Padé approximants); batched over leading axes.

    .. math::

        d\,e^{A} = L(A, dA), \qquad
        \exp\begin{pmatrix} A & E \\ 0 & A \end{pmatrix}
            = \begin{pmatrix} e^A & L(A, E) \\ 0 & e^A \end{pmatrix}, \qquad
        \overline{A} = L(A^\top, \overline{X})

    The Fréchet derivative :math:`L(A, E) = \int_0^1 e^{sA} E\, e^{(1-s)A}\, ds` is computed
    exactly from the exponential of the :math:`2n \times 2n` block matrix, so each
    derivative costs one exponential of twice the size, and differentiates again.
    """
    a = as_tensor(a)
    require_float("expm", a)
    require_square("expm", a)
    return _expm(a)


expm.primitive = _expm
