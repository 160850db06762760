r"""Indexing: selecting elements, and the adjoint that puts them back.

Selecting elements is linear, :math:`y = S x` with a 0/1 selection matrix
:math:`S`.  The forward derivative selects the tangent, :math:`\dot y = S\dot x`;
the reverse derivative is the adjoint :math:`S^\top`, which *scatters* the
cotangent back into zeros of the input's shape and *adds* where an element was
selected more than once:

.. math:: \bar x = S^\top \bar y, \qquad \bar x_j = \sum_{i : \mathrm{index}_i = j} \bar y_i

so ``x[[0, 0, 1]]`` sends two contributions to ``x[0]``.  ``scatter_add`` is itself a
primitive, with ``getitem`` as its adjoint, so that derivatives of any order exist.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import normalize_axis
from ..autodiff.primitive import linear
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .shape import ravel


# ----------------------------------------------------------------------------- indexing
def _normalize_index(index):
    """Index entries as NumPy understands them: tensors and lists become arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for k in index:
        if isinstance(k, Tensor):
            if k._level is not None and k._level.kind == "batch":
                raise ShapeError("getitem: indexing with a batched index tensor inside vmap is not supported")
            k = k.detach().data
        elif isinstance(k, list):
            k = np.asarray(k)
        out.append(k)
    return tuple(out)


def _is_advanced(k):
    return hasattr(k, "shape") and hasattr(k, "dtype") and not isinstance(k, (int, np.integer))


def _basic(index):
    return not any(_is_advanced(k) for k in index)


def _batch_index(index):
    """Prefix an index with a full slice for the batch axis, if the batch axis stays first.

    NumPy moves the axes of advanced indices to the front when they are separated by a
    slice; in that case batching falls back to a loop (returns None)."""
    positions = [i for i, k in enumerate(index) if _is_advanced(k)]
    if positions and positions[-1] - positions[0] + 1 != len(positions):
        return None
    return (slice(None),) + index


@linear(name="getitem")
def _getitem(x, index):
    return x[index]


@linear(name="scatter_add")
def _scatter_add(g, index, shape):
    r"""Adjoint of indexing: zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    out = xp(g).zeros(shape, dtype=g.dtype)
    if _basic(index):
        out[index] = g                 # basic indices never repeat an element
    else:
        xp(g).add.at(out, index, g)
    return out


_getitem.transposes(lambda g, out, x, index: _scatter_add(g, index=index, shape=tuple(x.shape)))
_scatter_add.transposes(lambda g, out, ct, index, shape: _getitem(g, index=index))
_getitem.formula(definition=r"y = x[\mathrm{index}]",
                 derivative=r"\bar x = \mathrm{scatter\_add}(0, \mathrm{index}, \bar y)",
                 convention="repeated indices accumulate their gradients")
_scatter_add.formula(definition=r"y = 0 + \textstyle\sum_{\text{index}} g",
                     derivative=r"\bar g = \bar y[\mathrm{index}]")


def _getitem_batch(args, batched, size, index):
    bindex = _batch_index(index)
    if bindex is None:
        from ..autodiff.batching import loop_batch
        return loop_batch(_getitem)(args, batched, size, index=index)
    return _getitem(args[0], index=bindex)


def _scatter_add_batch(args, batched, size, index, shape):
    bindex = _batch_index(index)
    if bindex is None:
        from ..autodiff.batching import loop_batch
        return loop_batch(_scatter_add)(args, batched, size, index=index, shape=shape)
    return _scatter_add(args[0], index=bindex, shape=(size,) + shape)


_getitem.defbatch(_getitem_batch)
_scatter_add.defbatch(_scatter_add_batch)


def getitem(x, index) -> Tensor:
    """``x[index]`` with ints, slices, ``None``, ``...``, boolean masks and integer arrays.

    The derivative scatters the cotangent back; repeated integer indices accumulate.
    """
    index = _normalize_index(index)
    try:
        return _getitem(x, index=index)
    except IndexError as e:
        raise ShapeError(f"getitem: {e} (tensor of shape {fmt_shape(x.shape)})") from None


getitem.primitive = _getitem


def take(x, indices, axis=None) -> Tensor:
    """Elements at integer ``indices`` along ``axis`` (flattened when None), as ``numpy.take``."""
    if axis is None:
        return getitem(ravel(x), (indices,))
    a = normalize_axis(axis, x.ndim, "take")
    return getitem(x, (slice(None),) * a + (indices,))


# The functions that are also Tensor methods (``x.take(...)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"take": take}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
