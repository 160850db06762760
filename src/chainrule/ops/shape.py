r"""Shape: moving numbers around without changing them.

Every operation here is *linear*: :math:`y = L x` for a fixed selection or
rearrangement :math:`L`.  Its forward derivative is the operation itself,
:math:`\dot y = L \dot x`, and its reverse derivative is the adjoint,
:math:`\bar x = L^\top \bar y`:

==================  ===================================================
reshape             reshape back
transpose           the inverse permutation
broadcast_to        sum over the broadcast axes
concatenate         split the cotangent into the pieces
split               concatenate the pieces' cotangents (zeros for unused pieces)
==================  ===================================================

Composites (``expand_dims``, ``stack``, ``flip``, ``roll``, ``tile``, ``repeat``)
inherit their derivatives from these and from indexing.  Padding is the chapter
``padding``.
Selecting elements by index (``x[i]``, ``take``, ``diagonal``, ``triu``) is the
chapter ``indexing``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops      # partly loaded here: indexing and reductions build on this chapter, used at call time
from ..autodiff.batching import align, materialize, normalize_axis
from ..autodiff.primitive import Linear, linear
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .creation import zeros_like


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
    if shape == x.shape:
        return x
    n = math.prod(x.shape)
    if shape.count(-1) > 1 or min(shape, default=0) < -1:
        raise ShapeError(f"reshape: one dimension may be -1 and none may be below it, got {shape}")
    if -1 in shape:
        rest = math.prod(s for s in shape if s != -1)
        if rest == 0 or n % rest:
            raise ShapeError(f"reshape: cannot reshape {fmt_shape(x.shape)} ({n} elements) into {shape}")
        shape = tuple(n // rest if s == -1 else s for s in shape)
    if math.prod(shape) != n:
        raise ShapeError(f"reshape: cannot reshape {fmt_shape(x.shape)} ({n} elements) into "
                         f"{fmt_shape(shape)} ({math.prod(shape)} elements)")
    if shape == x.shape:
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
_transpose.formula(definition=r"y_{i_{\pi(1)} \dots} = x_{i_1 \dots}",
                   derivative=r"\bar x = \mathrm{transpose}_{\pi^{-1}}(\bar y)")


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


def moveaxis(x, source, destination) -> Tensor:
    """Move axes ``source`` to positions ``destination`` (ints or sequences), as ``numpy.moveaxis``."""
    nd = x.ndim
    sources = _axis_tuple(source, nd, "moveaxis")
    destinations = _axis_tuple(destination, nd, "moveaxis")
    if len(sources) != len(destinations):
        raise ShapeError(f"moveaxis: {len(sources)} source axes but {len(destinations)} destinations")
    order = [i for i in range(nd) if i not in sources]
    for d, s in sorted(zip(destinations, sources)):
        order.insert(d, s)
    return transpose(x, order)


def matrix_transpose(x) -> Tensor:
    """Swap the last two axes (``x.mT``): the transpose of each matrix in a batch."""
    nd = x.ndim
    if nd < 2:
        raise ShapeError(f"mT: needs at least 2 dimensions, got {fmt_shape(x.shape)}")
    return _transpose(x, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


# ----------------------------------------------------------------------------- broadcasting
@linear(name="broadcast_to")
def _broadcast_to(x, shape):
    return xp(x).broadcast_to(x, shape)


def _broadcast_batch(args, batched, size, shape):
    return _broadcast_to(align(args[0], True, len(shape)), shape=(size,) + shape)


def _broadcast_to_adjoint(g, out, x, shape):
    """Sum the cotangent over the broadcast axes (``reductions`` builds on this chapter)."""
    return ops.reductions._sum_to(g, x.shape)


_broadcast_to.transposes(_broadcast_to_adjoint)
_broadcast_to.defbatch(_broadcast_batch)
_broadcast_to.formula(definition=r"y = x \text{ repeated along broadcast axes}",
                      derivative=r"\bar x = \textstyle\sum_{\text{broadcast axes}} \bar y")


def broadcast_to(x, shape) -> Tensor:
    """Repeat ``x`` along new or length-1 axes to ``shape`` (a read-only view)."""
    shape = tuple(int(s) for s in shape)
    if tuple(x.shape) == shape:
        return x
    try:
        joint = np.broadcast_shapes(tuple(x.shape), shape)
    except ValueError:
        joint = None
    if joint != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast {fmt_shape(x.shape)} to {fmt_shape(shape)}")
    return _broadcast_to(x, shape=shape)


broadcast_to.primitive = _broadcast_to


# ----------------------------------------------------------------------------- joining
@linear(name="concatenate", variadic=True)
def _concatenate(*xs, axis):
    return xp(*xs).concatenate(xs, axis=axis)


def _concatenate_transpose(g, out, *xs, argnum, axis):
    start = sum(x.shape[axis] for x in xs[:argnum])
    index = (slice(None),) * axis + (slice(start, start + xs[argnum].shape[axis]),)
    return ops.indexing.getitem(g, index)


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


# ----------------------------------------------------------------------------- splitting
def _split_pieces(x, axis, bounds):
    r"""Split :math:`x` along ``axis`` into consecutive blocks :math:`y_k = x[c_k : c_{k+1}]`.

    ``bounds`` holds the ``(c_k, c_{k+1})`` pairs; they tile the axis, so splitting is
    the inverse of concatenation and its adjoint *is* concatenation:

    .. math:: \bar x = [\bar y_1; \bar y_2; \dots], \qquad \bar y_k = 0 \text{ for an unused piece}

    One primitive with several outputs rather than one slice per piece: a slice's
    adjoint writes into a zero tensor of the whole input's shape, so k pieces would
    cost k full-size scatters and k-1 additions; one concatenation costs one copy.
    """
    lead = (slice(None),) * axis
    return tuple(x[lead + (slice(start, stop),)] for start, stop in bounds)


_split = Linear(_split_pieces, name="split", multiple_results=True)


def _split_transpose(g, out, x, axis, bounds):
    # g holds one cotangent per piece, None for a piece the computation never used.
    pieces = [zeros_like(y) if gk is None else gk for gk, y in zip(g, out)]
    return concatenate(pieces, axis=axis)


_split.transposes(_split_transpose)
_split.defbatch(lambda args, batched, size, axis, bounds: _split(args[0], axis=axis + 1, bounds=bounds))
_split.formula(definition=r"y_k = x[c_k : c_{k+1}]",
               derivative=r"\bar x = [\bar y_1; \bar y_2; \dots]",
               convention=r"an unused piece contributes \bar y_k = 0")


def _split_points(indices_or_sections, length, shape, axis):
    """NumPy's cut points along an axis of ``length``: equal sections, or explicit indices."""
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ShapeError(f"split: the number of sections must be positive, got {sections}")
        if length % sections:
            raise ShapeError(f"split: axis {axis} of {fmt_shape(shape)} has length {length}, which does not "
                             f"divide into {sections} equal sections; pass the split indices instead")
        return [length // sections * k for k in range(1, sections)]
    # explicit indices follow Python slicing: negative ones count from the end, large ones clip
    return [slice(None, int(i)).indices(length)[1] for i in indices_or_sections]


def split(x, indices_or_sections, axis: int = 0) -> list:
    r"""Split ``x`` along ``axis`` into a list of tensors, as ``numpy.split``.

    ``indices_or_sections`` is an int N (N equal pieces; the axis length must divide by N)
    or a sequence of indices :math:`c_1 \le c_2 \le \dots` (pieces ``x[:c_1]``,
    ``x[c_1:c_2]``, ..., ``x[c_k:]``).  The derivative concatenates the pieces'
    cotangents; pieces that are not used contribute zeros.
    """
    if x.ndim == 0:
        raise ShapeError("split: a zero-dimensional tensor has no axis to split")
    a = normalize_axis(axis, x.ndim, "split")
    length = x.shape[a]
    cuts = [0] + _split_points(indices_or_sections, length, x.shape, a) + [length]
    bounds = tuple(zip(cuts[:-1], cuts[1:]))
    if len(bounds) == 1:
        return [x]
    if any(stop < start for start, stop in bounds):
        # Decreasing indices give overlapping pieces (NumPy allows it); concatenation is then
        # not the adjoint, so each piece is a slice whose adjoint accumulates.
        lead = (slice(None),) * a
        return [_select(x, lead + (slice(start, stop),)) for start, stop in bounds]
    return list(_split(x, axis=a, bounds=bounds))


split.primitive = _split


# ----------------------------------------------------------------------------- rearranging
# flip, roll, tile and repeat are composites: slices, reshapes and broadcasts already have
# exact adjoints, and the composites cost the same copies a primitive would.
def _select(x, index):
    return ops.indexing.getitem(x, index)


def flip(x, axis=None) -> Tensor:
    r"""Reverse the order of elements along ``axis`` (all axes when None), as ``numpy.flip``.

    A view ``x[::-1]``; its adjoint flips the cotangent back: :math:`\bar x = \mathrm{flip}(\bar y)`.
    """
    axes = _axis_tuple(axis, x.ndim, "flip")
    if not axes:
        return x
    return _select(x, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim)))


def roll(x, shift, axis=None) -> Tensor:
    r"""Shift elements cyclically along ``axis``, as ``numpy.roll``: :math:`y_{(i + s) \bmod n} = x_i`.

    With ``axis=None`` the tensor is flattened, rolled and reshaped back; ``shift``
    and ``axis`` may be sequences (broadcast together; shifts of one axis add).
    The adjoint rolls back by :math:`-s`.  Written as the concatenation of two slices.
    """
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), x.shape)
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for s, a in zip(shifts.ravel(), axes.ravel()):
        a = normalize_axis(int(a), x.ndim, "roll")
        total[a] = total.get(a, 0) + int(s)
    for a, s in total.items():
        n = x.shape[a]
        s = s % n if n else 0
        if s:
            lead = (slice(None),) * a
            x = concatenate([_select(x, lead + (slice(n - s, None),)), _select(x, lead + (slice(0, n - s),))], axis=a)
    return x


def tile(x, reps) -> Tensor:
    r"""Repeat the whole of ``x`` ``reps[i]`` times along each axis, as ``numpy.tile``.

    Axis :math:`i` of length :math:`n` becomes :math:`r n` long with
    :math:`y_{q n + j} = x_j`: a broadcast of ``x`` reshaped to ``(1, n)`` onto
    ``(r, n)``, so the adjoint sums the :math:`r` copies, :math:`\bar x_j = \sum_q \bar y_{qn + j}`.
    """
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    reps = tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ShapeError(f"tile: repetitions must be non-negative, got {reps}")
    nd = max(len(reps), x.ndim)
    reps = (1,) * (nd - len(reps)) + reps
    shape = (1,) * (nd - x.ndim) + tuple(x.shape)
    interleaved = sum(((1, n) for n in shape), ())
    expanded = sum(((r, n) for r, n in zip(reps, shape)), ())
    tiled = broadcast_to(reshape(x, interleaved), expanded)
    return reshape(tiled, tuple(r * n for r, n in zip(reps, shape)))


def repeat(x, repeats, axis=None) -> Tensor:
    r"""Repeat each element ``repeats`` times along ``axis``, as ``numpy.repeat``
    (PyTorch's ``repeat_interleave``; PyTorch's ``Tensor.repeat`` is :func:`tile`).

    ``repeats`` is an int or one count per element of the axis; ``axis=None``
    flattens first.  Element :math:`j` is copied :math:`r_j` times, so its cotangent
    is the sum of its copies' cotangents.  An int count is a broadcast (fast adjoint:
    a sum); per-element counts gather with an index array (adjoint: a scatter-add).
    """
    if axis is None:
        x, axis = ravel(x), 0
    a = normalize_axis(axis, x.ndim, "repeat")
    counts = np.asarray(repeats.detach().numpy() if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise ShapeError(f"repeat: repeats must be an int or a 1-D sequence of ints, got {repeats!r}")
    if (counts < 0).any():
        raise ShapeError(f"repeat: repeats must be non-negative, got {repeats!r}")
    shape, n = tuple(x.shape), x.shape[a]
    if counts.size == 1:
        r = int(counts.reshape(()))
        expanded = broadcast_to(reshape(x, shape[:a + 1] + (1,) + shape[a + 1:]), shape[:a + 1] + (r,) + shape[a + 1:])
        return reshape(expanded, shape[:a] + (n * r,) + shape[a + 1:])
    if counts.size != n:
        raise ShapeError(f"repeat: {counts.size} repeat counts for axis {a} of {fmt_shape(shape)}, "
                         f"which has length {n}")
    return _select(x, (slice(None),) * a + (np.repeat(np.arange(n), counts),))


# The functions that are also Tensor methods (``x.reshape(...)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {
    "reshape": reshape, "view": reshape, "transpose": transpose, "permute": permute, "swapaxes": swapaxes,
    "moveaxis": moveaxis, "expand_dims": expand_dims, "unsqueeze": expand_dims, "squeeze": squeeze,
    "flatten": flatten, "ravel": ravel, "broadcast_to": broadcast_to, "expand": broadcast_to,
    "split": split, "flip": flip, "roll": roll, "tile": tile, "repeat": repeat,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
