r"""Reductions: sums, means, extrema and their relatives along axes.

A reduction maps a tensor to a smaller one by combining the elements along
``axis`` (all axes when ``axis`` is None); ``keepdims=True`` keeps the reduced
axes with length 1, so the result broadcasts against the input.  The reverse
derivative of a reduction *broadcasts* the cotangent back over the reduced axes.
"""
from __future__ import annotations

from ..autodiff.primitive import linear
from ..backend import xp
from .shape import _axis_tuple, broadcast_to, reshape


def _keep_shape(shape, axes):
    """The shape of a reduction over ``axes`` with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand_back(g, x_shape, axes):
    """Broadcast a reduced cotangent back to the input's shape."""
    return broadcast_to(reshape(g, _keep_shape(x_shape, axes)), x_shape)


def _axes_batch(prim):
    """Batching rule of an axis reduction: the batch is axis 0, so every axis moves by one."""
    def rule(args, batched, size, axis, keepdims, **params):
        return prim(args[0], axis=tuple(a + 1 for a in axis), keepdims=keepdims, **params)
    return rule


@linear(name="sum")
def _sum(x, axis, keepdims):
    return xp(x).sum(x, axis=axis, keepdims=keepdims)


_sum.transposes(lambda g, out, x, axis, keepdims: _expand_back(g, x.shape, axis))
_sum.defbatch(_axes_batch(_sum))
_sum.formula(definition=r"y = \textstyle\sum_{i \in \text{axes}} x_i",
             derivative=r"\bar x_i = \bar y \text{ (broadcast back)}")


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001
    r"""Sum over ``axis`` (all axes when None).

    .. math:: y = \sum_{i \in \mathrm{axis}} x_i, \qquad \bar x_i = \bar y
    """
    axes = _axis_tuple(axis, x.ndim, "sum")
    return _sum(x, axis=axes, keepdims=keepdims)


sum.primitive = _sum


def mean(x, axis=None, keepdims: bool = False):
    r"""Arithmetic mean over ``axis``: :math:`\frac1n \sum_i x_i`; derivative :math:`\bar x_i = \bar y / n`."""
    axes = _axis_tuple(axis, x.ndim, "mean")
    n = 1
    for a in axes:
        n *= x.shape[a]
    return _sum(x, axis=axes, keepdims=keepdims) * (1.0 / n)


# The functions that are also Tensor methods (``x.sum()``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"sum": sum, "mean": mean}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
