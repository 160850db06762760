r"""Shape and indexing: moving numbers around without changing them.

Every operation here is *linear*: :math:`y = L x` for a fixed selection or
rearrangement :math:`L`.  Its forward derivative is the operation itself,
:math:`\dot y = L \dot x`, and its reverse derivative is the adjoint,
:math:`\bar x = L^\top \bar y`:

==================  ===================================================
reshape             reshape back
transpose           the inverse permutation
broadcast_to        sum over the broadcast axes
concatenate         split the cotangent into the pieces
pad                 slice the padding off
==================  ===================================================

Composites (``expand_dims``, ``stack``, ``flip``, ``roll``, ...) inherit their
derivatives from these.  Selecting elements by index (``x[i]``, ``take``,
``diagonal``, ``triu``) is the chapter ``indexing``.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import materialize, normalize_axis
from ..autodiff.primitive import linear
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor


def _axis_tuple(axis, ndim, op):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = tuple(normalize_axis(int(a), ndim, op) for a in axis)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis}")
    return out


# ----------------------------------------------------------------------------- reshape
@linear(name="reshape")
def _reshape(x, shape):
    return x.reshape(shape)


_reshape.transposes(lambda g, out, x, shape: reshape(g, x.shape))
_reshape.defbatch(lambda args, batched, size, shape: _reshape(args[0], shape=(size,) + shape))
_reshape.formula(definition=r"y = \mathrm{reshape}(x)", derivative=r"\bar x = \mathrm{reshape}^{-1}(\bar y)")


def reshape(x, *shape) -> Tensor:
    """The same elements (in row-major order) in a new shape; one entry may be -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    n = x.size
    if shape.count(-1) > 1:
        raise ShapeError(f"reshape: only one dimension can be -1, got {shape}")
    if -1 in shape:
        rest = int(np.prod([s for s in shape if s != -1]))
        if rest == 0 or n % rest:
            raise ShapeError(f"reshape: cannot reshape {fmt_shape(x.shape)} ({n} elements) into {shape}")
        shape = tuple(n // rest if s == -1 else s for s in shape)
    if int(np.prod(shape)) != n:
        raise ShapeError(f"reshape: cannot reshape {fmt_shape(x.shape)} ({n} elements) into "
                         f"{fmt_shape(shape)} ({int(np.prod(shape))} elements)")
    if shape == tuple(x.shape):
        return x
    return _reshape(x, shape=shape)


reshape.primitive = _reshape


def expand_dims(x, axis) -> Tensor:
    """Insert axes of length 1 at the positions ``axis`` (of the result)."""
    axes = _axis_tuple(axis, x.ndim + (1 if isinstance(axis, int) else len(axis)), "expand_dims")
    shape = list(x.shape)
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None) -> Tensor:
    """Remove axes of length 1 (all of them, or those in ``axis``)."""
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = _axis_tuple(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} of {fmt_shape(x.shape)} has length {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def ravel(x) -> Tensor:
    return reshape(x, (-1,))


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (PyTorch's ``flatten``)."""
    nd = x.ndim
    if nd == 0:
        return reshape(x, (1,))
    s, e = normalize_axis(start_dim, nd, "flatten"), normalize_axis(end_dim, nd, "flatten")
    shape = tuple(x.shape[:s]) + (-1,) + tuple(x.shape[e + 1:])
    return reshape(x, shape)


# ----------------------------------------------------------------------------- permutations
@linear(name="transpose")
def _transpose(x, axes):
    return x.transpose(axes)


def _inverse_permutation(axes):
    """The permutation that undoes ``axes``: ``inverse[axes[i]] = i``."""
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


_transpose.transposes(lambda g, out, x, axes: _transpose(g, axes=_inverse_permutation(axes)))
_transpose.defbatch(lambda args, batched, size, axes: _transpose(args[0], axes=(0,) + tuple(a + 1 for a in axes)))
_transpose.formula(definition=r"y_{i_{\pi(1)} \dots} = x_{i_1 \dots}", derivative=r"\bar x = \mathrm{transpose}_{\pi^{-1}}(\bar y)")


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None), as ``numpy.transpose``; a view."""
    nd = x.ndim
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = tuple(normalize_axis(int(a), nd, "transpose") for a in axes)
    if sorted(axes) != list(range(nd)):
        raise ShapeError(f"transpose: axes {axes} are not a permutation of the {nd} axes of {fmt_shape(x.shape)}")
    if axes == tuple(range(nd)):
        return x
    return _transpose(x, axes=axes)


transpose.primitive = _transpose


def permute(x, *dims) -> Tensor:
    """PyTorch's name for :func:`transpose` with explicit axes."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return transpose(x, dims)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    nd = x.ndim
    a, b = normalize_axis(axis1, nd, "swapaxes"), normalize_axis(axis2, nd, "swapaxes")
    axes = list(range(nd))
    axes[a], axes[b] = b, a
    return transpose(x, axes)


def moveaxis(x, source: int, destination: int) -> Tensor:
    nd = x.ndim
    s, d = normalize_axis(source, nd, "moveaxis"), normalize_axis(destination, nd, "moveaxis")
    order = [i for i in range(nd) if i != s]
    order.insert(d, s)
    return transpose(x, order)


def matrix_transpose(x) -> Tensor:
    """Swap the last two axes (``x.mT``): the transpose of each matrix in a batch."""
    if x.ndim < 2:
        raise ShapeError(f"mT: needs at least 2 dimensions, got {fmt_shape(x.shape)}")
    return swapaxes(x, -1, -2)


# ----------------------------------------------------------------------------- broadcasting
def _sum_to(g, shape):
    """Adjoint of broadcasting: sum ``g`` down to ``shape``."""
    from .reductions import sum as _sum
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return reshape(_sum(g, axis=axes), shape) if axes else reshape(g, shape)


@linear(name="broadcast_to")
def _broadcast_to(x, shape):
    return xp(x).broadcast_to(x, shape)


def _broadcast_batch(args, batched, size, shape):
    from ..autodiff.batching import align
    return _broadcast_to(align(args[0], True, len(shape)), shape=(size,) + shape)


_broadcast_to.transposes(lambda g, out, x, shape: _sum_to(g, x.shape))
_broadcast_to.defbatch(_broadcast_batch)
_broadcast_to.formula(definition=r"y = x \text{ repeated along broadcast axes}",
                      derivative=r"\bar x = \textstyle\sum_{\text{broadcast axes}} \bar y")


def broadcast_to(x, shape) -> Tensor:
    """Repeat ``x`` along new or length-1 axes to ``shape`` (a read-only view)."""
    shape = tuple(int(s) for s in shape)
    if tuple(x.shape) == shape:
        return x
    try:
        np.broadcast_shapes(tuple(x.shape), shape)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast {fmt_shape(x.shape)} to {fmt_shape(shape)}") from None
    if np.broadcast_shapes(tuple(x.shape), shape) != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast {fmt_shape(x.shape)} to {fmt_shape(shape)}")
    return _broadcast_to(x, shape=shape)


broadcast_to.primitive = _broadcast_to


# ----------------------------------------------------------------------------- joining
@linear(name="concatenate", variadic=True)
def _concatenate(*xs, axis):
    return xp(*xs).concatenate(xs, axis=axis)


def _concatenate_transpose(g, out, *xs, argnum, axis):
    start = sum(x.shape[axis] for x in xs[:argnum])
    from .indexing import getitem         # indexing builds on this chapter, not the reverse
    index = (slice(None),) * axis + (slice(start, start + xs[argnum].shape[axis]),)
    return getitem(g, index)


def _concatenate_batch(args, batched, size, axis):
    return _concatenate(*[a if b else materialize(a, size) for a, b in zip(args, batched)], axis=axis + 1)


_concatenate.transposes(_concatenate_transpose)
_concatenate.defbatch(_concatenate_batch)
_concatenate.formula(definition=r"y = [x_1; x_2; \dots]", derivative=r"\bar x_i = \bar y[\text{block } i]")


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    nd = tensors[0].ndim
    if nd == 0:
        raise ShapeError("concatenate: zero-dimensional tensors cannot be concatenated; use stack")
    a = normalize_axis(axis, nd, "concatenate")
    for t in tensors[1:]:
        if t.ndim != nd or any(p != q for i, (p, q) in enumerate(zip(t.shape, tensors[0].shape)) if i != a):
            raise ShapeError(f"concatenate: shapes {', '.join(fmt_shape(u.shape) for u in tensors)} differ "
                             f"outside axis {a}")
    if len(tensors) == 1:
        return tensors[0]
    return _concatenate(*tensors, axis=a)


concatenate.primitive = _concatenate
cat = concatenate


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    shape = tuple(tensors[0].shape)
    for t in tensors[1:]:
        if tuple(t.shape) != shape:
            raise ShapeError(f"stack: all tensors must have the same shape, got "
                             f"{', '.join(fmt_shape(u.shape) for u in tensors)}")
    a = normalize_axis(axis, len(shape) + 1, "stack")
    return concatenate([expand_dims(t, a) for t in tensors], axis=a)


# The functions that are also Tensor methods (``x.reshape(...)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": permute, "swapaxes": swapaxes,
    "moveaxis": moveaxis, "expand_dims": expand_dims, "unsqueeze": expand_dims, "squeeze": squeeze,
    "flatten": flatten, "ravel": ravel, "broadcast_to": broadcast_to, "expand": broadcast_to,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
