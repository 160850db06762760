r"""Products of tensors: matrix multiplication and its relatives.

For :math:`Z = XY` the derivatives follow from :math:`dZ = dX\,Y + X\,dY`:

.. math:: \bar X = \bar Z Y^\top, \qquad \bar Y = X^\top \bar Z

The reverse rules multiply by *transposed views* (``y.mT`` is a view, and BLAS
reads it transposed), never by ``tensordot`` with copies.
"""
from __future__ import annotations

from ..autodiff.batching import align, example_ndim
from ..autodiff.primitive import primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from .shape import expand_dims, matrix_transpose, squeeze


@primitive(name="matmul")
def _matmul(x, y):
    return xp(x, y).matmul(x, y)


def _as_matrices(g, x, y):
    """Promote vector operands to matrices, and the cotangent to match (NumPy's matmul rule):
    a vector x is the row (1×k), a vector y the column (k×1)."""
    if y.ndim == 1:
        g = expand_dims(g, -1)
    if x.ndim == 1:
        g = expand_dims(g, -2)
    xe = expand_dims(x, 0) if x.ndim == 1 else x
    ye = expand_dims(y, 1) if y.ndim == 1 else y
    return g, xe, ye


def _matmul_vjp_x(g, out, x, y):
    g, xe, ye = _as_matrices(g, x, y)
    gx = _matmul(g, matrix_transpose(ye))
    return squeeze(gx, -2) if x.ndim == 1 else gx


def _matmul_vjp_y(g, out, x, y):
    g, xe, ye = _as_matrices(g, x, y)
    gy = _matmul(matrix_transpose(xe), g)
    return squeeze(gy, -1) if y.ndim == 1 else gy


def _matmul_batch(args, batched, size):
    x, y = args
    bx, by = batched
    # Vectors (batched or not) become explicit rows and columns, so the batch axis
    # can never be confused with NumPy's implicit vector promotion.
    x_vec = example_ndim(x, bx) == 1
    y_vec = example_ndim(y, by) == 1
    if x_vec:
        x = expand_dims(x, -2)                # (..., k) -> (..., 1, k): row vectors
    if y_vec:
        y = expand_dims(y, -1)                # (..., k) -> (..., k, 1): column vectors
    rank = max(example_ndim(x, bx), example_ndim(y, by))
    out = _matmul(align(x, bx, rank), align(y, by, rank))
    if y_vec:
        out = squeeze(out, -1)
    if x_vec:
        out = squeeze(out, -1 if y_vec else -2)
    return out


_matmul.defvjp(_matmul_vjp_x, _matmul_vjp_y)
_matmul.defjvp(lambda dx, out, x, y: _matmul(dx, y), lambda dy, out, x, y: _matmul(x, dy))
_matmul.defbatch(_matmul_batch)
_matmul.formula(definition=r"Z = XY", derivative=r"\bar X = \bar Z Y^\top,\ \bar Y = X^\top \bar Z")


def matmul(x, y):
    r"""Matrix product :math:`Z = XY`, with NumPy's rules: vectors are promoted to
    matrices and leading (batch) axes broadcast.

    .. math:: \bar X = \bar Z Y^\top, \qquad \bar Y = X^\top \bar Z
    """
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got {fmt_shape(x.shape)} and "
                         f"{fmt_shape(y.shape)}; use * for scalars")
    k1 = x.shape[-1]
    k2 = y.shape[-2] if y.ndim > 1 else y.shape[0]
    if k1 != k2:
        raise ShapeError(f"matmul: {fmt_shape(x.shape)}·{fmt_shape(y.shape)} is undefined, "
                         f"inner dimensions {k1} ≠ {k2}")
    return _matmul(x, y)


matmul.primitive = _matmul


# The functions that are also Tensor methods (``x.matmul(y)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"matmul": matmul}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
