r"""Indexing: selecting elements, and the adjoint that puts them back.

Selecting elements is linear, :math:`y = S x` with a 0/1 selection matrix
:math:`S`.  The forward derivative selects the tangent, :math:`\dot y = S\dot x`;
the reverse derivative is the adjoint :math:`S^\top`, which *scatters* the
cotangent back into zeros of the input's shape and *adds* where an element was
selected more than once:

.. math:: \bar x = S^\top \bar y, \qquad \bar x_j = \sum_{i : \mathrm{index}_i = j} \bar y_i

so ``x[[0, 0, 1]]`` sends two contributions to ``x[0]``.  ``scatter_add`` is itself a
primitive, with ``getitem`` as its adjoint, so that derivatives of any order exist.

``take_along_axis`` (PyTorch's ``gather``) is a primitive too, with the indices as an
input (so they may vary across a ``vmap`` batch) and a scatter-add along the axis as
its adjoint.  Everything else here is a composite of ``getitem`` (with integer arrays)
and ``where``: ``take``, ``diagonal``, ``trace``, ``triu`` and ``tril`` inherit exact
adjoints from them.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import normalize_axis
from ..autodiff.primitive import linear
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .elementwise import where
from .shape import broadcast_to, moveaxis, ravel, transpose


# ----------------------------------------------------------------------------- indexing
def _normalize_index(index):
    """Index entries as NumPy understands them: tensors and lists become arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for k in index:
        if isinstance(k, (Tensor, list)):
            k = _index_array(k, "getitem")
        out.append(k)
    return tuple(out)


def _index_array(indices, op):
    """Integer indices (a tensor, list or array) as an array; they are not differentiated."""
    if isinstance(indices, Tensor):
        if indices._level is not None and indices._level.kind == "batch":
            raise ShapeError(f"{op}: indexing with a batched index tensor inside vmap is not supported")
        return indices.detach().data
    return np.asarray(indices)


def _is_advanced(k):
    return hasattr(k, "shape") and hasattr(k, "dtype") and not isinstance(k, (int, np.integer))


def _basic(index):
    return not any(_is_advanced(k) for k in index)


def _advanced_positions(index):
    """Positions of the advanced entries; with an array present, NumPy counts ints as advanced too."""
    has_array = any(_is_advanced(k) for k in index)
    return [i for i, k in enumerate(index)
            if _is_advanced(k) or (has_array and isinstance(k, (int, np.integer)) and not isinstance(k, bool))]


def _advanced_rank(index):
    """Rank of the block of axes that the advanced entries of ``index`` produce."""
    shapes = []
    for k in index:
        if _is_advanced(k):
            shapes.append((int(k.sum()),) if k.dtype == bool else tuple(k.shape))
    return len(np.broadcast_shapes(*shapes))


def _batch_index(index):
    """The index of a batch (batch on axis 0), and where the batch axis lands in the result.

    The index gets a full slice in front.  NumPy puts the axes of the advanced entries
    where they stand when these are adjacent, so the batch stays first; when a slice,
    ``None`` or ``...`` separates them, their axes go first and the batch follows them.
    """
    positions = _advanced_positions(index)
    separated = bool(positions) and positions[-1] - positions[0] + 1 != len(positions)
    return (slice(None),) + index, (_advanced_rank(index) if separated else 0)


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
    bindex, batch_axis = _batch_index(index)
    return moveaxis(_getitem(args[0], index=bindex), batch_axis, 0)


def _scatter_add_batch(args, batched, size, index, shape):
    bindex, batch_axis = _batch_index(index)
    return _scatter_add(moveaxis(args[0], 0, batch_axis), index=bindex, shape=(size,) + shape)


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
        raise ShapeError(f"getitem: {e}; the tensor has shape {fmt_shape(x.shape)}") from None


getitem.primitive = _getitem


def take(x, indices, axis=None) -> Tensor:
    """Elements at integer ``indices`` along ``axis`` (flattened when None), as ``numpy.take``."""
    if axis is None:
        return getitem(ravel(x), (indices,))
    a = normalize_axis(axis, x.ndim, "take")
    return getitem(x, (slice(None),) * a + (indices,))


@linear(name="take_along_axis", linear_args=(0,))
def _take_along_axis(x, indices, axis):
    return xp(x).take_along_axis(x, indices, axis=axis)


@linear(name="scatter_add_along_axis", linear_args=(0,))
def _scatter_add_along_axis(g, indices, axis, shape):
    r"""Adjoint of ``take_along_axis``: zeros of ``shape`` with ``g`` added along ``axis`` at ``indices``."""
    out = xp(g).zeros(shape, dtype=g.dtype)
    if indices.shape[axis] == 1:
        # One index per line cannot repeat: a plain put (the cross-entropy case, and fast).
        xp(g).put_along_axis(out, indices, g, axis)
    else:
        grid = tuple(indices if i == axis else xp(g).arange(n).reshape(_unit_shape(len(shape), i, n))
                     for i, n in enumerate(shape))
        xp(g).add.at(out, grid, g)
    return out


_take_along_axis.transposes(
    lambda g, out, x, indices, axis: _scatter_add_along_axis(g, indices, axis=axis, shape=tuple(x.shape)), None)
_scatter_add_along_axis.transposes(lambda g, out, ct, indices, axis, shape: _take_along_axis(g, indices, axis=axis),
                                   None)
_take_along_axis.formula(definition=r"y_{\dots i \dots} = x_{\dots \mathrm{idx}_{\dots i \dots} \dots}",
                         derivative=r"\bar x = \mathrm{scatter\_add}_{\mathrm{axis}}(0, \mathrm{idx}, \bar y)",
                         convention="repeated indices accumulate their gradients")
_scatter_add_along_axis.formula(definition=r"y = 0 + \textstyle\sum_{\mathrm{idx}} g \text{ along the axis}",
                                derivative=r"\bar g = \mathrm{take\_along\_axis}(\bar y, \mathrm{idx})")


def _along_axis_batch(prim):
    """Batching rule of the gathers along an axis: data and indices both get the batch axis
    in front (an unbatched one is broadcast to the batch), and the axis moves by one.
    Indices are an input here, not a parameter, so they may themselves be batched."""
    def rule(args, batched, size, axis, **params):
        from ..autodiff.batching import materialize
        data, indices = (a if b else materialize(a, size) for a, b in zip(args, batched))
        if "shape" in params:
            params = dict(params, shape=(size,) + tuple(params["shape"]))
        return prim(data, indices, axis=axis + 1, **params)
    return rule


_take_along_axis.defbatch(_along_axis_batch(_take_along_axis))
_scatter_add_along_axis.defbatch(_along_axis_batch(_scatter_add_along_axis))


def take_along_axis(x, indices, axis) -> Tensor:
    r"""Pick, along ``axis``, the elements named by ``indices``, as ``numpy.take_along_axis``
    (PyTorch's ``gather``).

    For axis :math:`a`: :math:`y_{\dots i \dots} = x_{\dots\, \mathrm{idx}_{\dots i \dots}\, \dots}`;
    ``indices`` has the rank of ``x`` and broadcasts against it on the other axes
    (``axis=None``: ``x`` is flattened and ``indices`` is 1-D).  The adjoint
    scatter-adds along the axis, so repeated indices accumulate:

    .. math:: \bar x_{\dots j \dots} = \sum_{i : \mathrm{idx}_{\dots i \dots} = j} \bar y_{\dots i \dots}

    The indices are an input of the primitive rather than a constant, so inside ``vmap``
    they may differ from one batch member to the next (``sort`` relies on it).
    """
    if isinstance(indices, Tensor) and indices._level is not None:
        return _take_along_axis_batched(x, indices, axis)
    index = _index_array(indices, "take_along_axis")
    if index.dtype.kind not in "iu":
        raise ShapeError(f"take_along_axis: indices must be integers, got dtype {index.dtype}")
    if axis is None:
        if index.ndim != 1:
            raise ShapeError(f"take_along_axis: with axis=None the indices must be 1-D, got {fmt_shape(index.shape)}")
        return take_along_axis(ravel(x), index, 0)
    if index.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices {fmt_shape(index.shape)} (rank {index.ndim}) and tensor "
                         f"{fmt_shape(x.shape)} (rank {x.ndim}) must have the same rank")
    a = normalize_axis(axis, x.ndim, "take_along_axis")
    try:
        outside = np.broadcast_shapes(_without(index.shape, a), _without(x.shape, a))
    except ValueError:
        raise ShapeError(f"take_along_axis: indices {fmt_shape(index.shape)} do not broadcast against "
                         f"{fmt_shape(x.shape)} outside axis {a}") from None
    n = x.shape[a]
    if index.size and (index.min() < -n or index.max() >= n):
        raise ShapeError(f"take_along_axis: an index is out of range for axis {a} of length {n} "
                         f"(tensor of shape {fmt_shape(x.shape)})")
    index = np.where(index < 0, index + n, index)
    # The primitive wants the indices and the tensor to agree outside the axis (the adjoint
    # then scatters a cotangent of exactly the indices' shape).
    full = outside[:a] + (index.shape[a],) + outside[a:]
    xfull = outside[:a] + (n,) + outside[a:]
    return _take_along_axis(broadcast_to(x, xfull), Tensor(np.broadcast_to(index, full)), axis=a)


def _take_along_axis_batched(x, indices, axis):
    """``take_along_axis`` with indices that come from a transform (e.g. ``argsort`` of a
    batched tensor inside vmap): same rank and shape as ``x`` outside the axis, checked
    by the array library."""
    if indices.dtype.kind not in "iu":
        raise ShapeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
    if axis is None:
        return take_along_axis(ravel(x), indices, 0)
    return _take_along_axis(x, indices, axis=normalize_axis(axis, x.ndim, "take_along_axis"))


take_along_axis.primitive = _take_along_axis


def _without(shape, axis):
    return tuple(shape[:axis]) + tuple(shape[axis + 1:])


def _unit_shape(ndim, axis, n):
    """``(1, ..., n, ..., 1)``: length ``n`` on ``axis``, 1 elsewhere."""
    return tuple(n if i == axis else 1 for i in range(ndim))


# ----------------------------------------------------------------------------- diagonals
def _require_matrix(x, op):
    if x.ndim < 2:
        raise ShapeError(f"{op}: needs a tensor of at least 2 dimensions (a matrix, or a batch of them), "
                         f"got shape {fmt_shape(x.shape)}")


def _diagonal_indices(rows, cols, offset):
    """Row and column indices of the ``offset`` diagonal of a ``rows × cols`` matrix."""
    first_row, first_col = max(-offset, 0), max(offset, 0)
    length = max(0, min(rows - first_row, cols - first_col))
    return np.arange(length) + first_row, np.arange(length) + first_col


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    r"""The diagonal :math:`y_k = x_{k,\,k + \mathrm{offset}}` of the matrices on ``axis1, axis2``,
    as ``numpy.diagonal``: the diagonal becomes the last axis, the other axes stay in order.

    ``offset > 0`` is above the main diagonal, ``offset < 0`` below.  The adjoint
    writes the cotangent onto the diagonal of a zero tensor.
    """
    _require_matrix(x, "diagonal")
    a1, a2 = normalize_axis(axis1, x.ndim, "diagonal"), normalize_axis(axis2, x.ndim, "diagonal")
    if a1 == a2:
        raise ShapeError(f"diagonal: axis1 and axis2 are both {a1}; they must name two different axes")
    rows, cols = _diagonal_indices(x.shape[a1], x.shape[a2], int(offset))
    others = [i for i in range(x.ndim) if i not in (a1, a2)]
    return getitem(transpose(x, others + [a1, a2]), (Ellipsis, rows, cols))


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    r"""Sum of the diagonal, :math:`\mathrm{tr}\,X = \sum_k X_{k,\,k+\mathrm{offset}}`, as ``numpy.trace``.

    .. math:: \bar X = \bar y\, I \quad (\text{the identity, shifted by the offset})
    """
    from .reductions import sum as reduce_sum    # reductions builds on indexing, not the reverse
    return reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)


def triu(x, k: int = 0) -> Tensor:
    r"""Upper triangle of the last two axes: :math:`y_{ij} = x_{ij}` where :math:`j - i \ge k`, else 0.

    Batched over leading axes, as ``numpy.triu``/``torch.triu``.  The adjoint keeps
    the same triangle of the cotangent: :math:`\bar x = \mathrm{triu}(\bar y, k)`.
    """
    _require_matrix(x, "triu")
    keep = ~np.tri(x.shape[-2], x.shape[-1], int(k) - 1, dtype=bool)
    return where(keep, x, 0)   # where, not a product with a 0/1 mask: inf · 0 would be NaN


def tril(x, k: int = 0) -> Tensor:
    r"""Lower triangle of the last two axes: :math:`y_{ij} = x_{ij}` where :math:`j - i \le k`, else 0.

    Batched over leading axes, as ``numpy.tril``/``torch.tril``; adjoint
    :math:`\bar x = \mathrm{tril}(\bar y, k)`.
    """
    _require_matrix(x, "tril")
    keep = np.tri(x.shape[-2], x.shape[-1], int(k), dtype=bool)
    return where(keep, x, 0)


# The functions that are also Tensor methods (``x.take(...)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {
    "take": take, "take_along_axis": take_along_axis, "diagonal": diagonal, "trace": trace,
    "triu": triu, "tril": tril,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
