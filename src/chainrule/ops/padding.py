r"""Padding: a tensor placed inside a larger one.

Constant padding is linear, :math:`y = P x + c\,(\mathbf 1 - P\mathbf 1)`: :math:`P` places
:math:`x` inside zeros and the constant fills the rest.  Its adjoint slices the
padding off, :math:`\bar x = P^\top \bar y = \bar y[b : b + n]`.  Convolutions pad their
input this way, so the primitive is written for speed (one allocation, one copy).

The other modes copy elements of :math:`x` into the border — mirrored (``reflect``,
``symmetric``), repeated (``edge``) or wrapped around (``wrap``) — and their adjoint adds
each border cotangent onto the element it copies.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.primitive import linear
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .indexing import getitem
from .shape import concatenate


# ----------------------------------------------------------------------------- padding
@linear(name="pad")
def _pad(x, pad_width):
    r"""Pad with zeros: :math:`y = P x` places :math:`x` inside a larger zero tensor.

    ``pad_width`` holds one ``(before, after)`` pair per axis.  The adjoint slices the
    padding off, :math:`\bar x = \bar y[b_1 : b_1 + n_1, \dots]`.  A nonzero constant
    is added by :func:`pad` as a constant, so the primitive stays linear.
    """
    out = xp(x).zeros(tuple(n + before + after for n, (before, after) in zip(x.shape, pad_width)), dtype=x.dtype)
    out[_interior(x.shape, pad_width)] = x
    return out


def _interior(shape, pad_width):
    """The slices of a padded tensor that hold the original one."""
    return tuple(slice(before, before + n) for n, (before, _) in zip(shape, pad_width))


_pad.transposes(lambda g, out, x, pad_width: getitem(g, _interior(x.shape, pad_width)))
_pad.defbatch(lambda args, batched, size, pad_width: _pad(args[0], pad_width=((0, 0),) + pad_width))
_pad.formula(definition=r"y = \begin{cases} x_{i-b} & \text{inside} \\ 0 & \text{in the padding} \end{cases}",
             derivative=r"\bar x = \bar y[b : b + n]")


def _pad_pairs(pad_width, shape):
    """NumPy's pad_width forms (n, (n,), (before, after), or one pair per axis) as pairs per axis."""
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise ShapeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        pairs = np.broadcast_to(widths, (len(shape), 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {fmt_shape(shape)}: give "
                         f"one int, one (before, after) pair, or {len(shape)} pairs (one per axis)") from None
    if (pairs < 0).any():
        raise ShapeError(f"pad: pad widths must be non-negative, got {pad_width!r}")
    return tuple((int(before), int(after)) for before, after in pairs)


# PyTorch's names for NumPy's modes (F.pad's "replicate" and "circular").
_MODE_ALIASES = {"replicate": "edge", "circular": "wrap"}
_GATHER_MODES = ("reflect", "symmetric", "edge", "wrap")


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    r"""Pad ``x`` at the ends of its axes, as ``numpy.pad``.

    ``pad_width`` is an int, a ``(before, after)`` pair (for every axis) or one pair
    per axis.  Modes:

    ``"constant"``  the value ``constant_values``: :math:`y = P x + c\,(1 - P 1)`, so
                    :math:`\bar x = \bar y` with the padding sliced off;
    ``"reflect"``   mirror without repeating the edge: ``3 2 | 1 2 3 | 2 1``;
    ``"symmetric"`` mirror repeating the edge: ``2 1 | 1 2 3 | 3 2``;
    ``"edge"``      repeat the edge value (PyTorch's ``"replicate"``);
    ``"wrap"``      continue periodically (PyTorch's ``"circular"``).

    The last four copy elements of ``x``: :math:`y = x[\mathrm{idx}]` along each
    axis, with the index computed by ``numpy.pad`` of :math:`0, \dots, n-1`, so the
    semantics are NumPy's exactly.  The adjoint adds each padding cotangent onto
    the element it copies: :math:`\bar x_j = \sum_{i : \mathrm{idx}_i = j} \bar y_i`.
    """
    mode = _MODE_ALIASES.get(mode, mode)
    pairs = _pad_pairs(pad_width, x.shape)
    padded = any(before or after for before, after in pairs)
    if mode == "constant":
        out = _pad(x, pad_width=pairs) if padded else x
        if padded and np.any(np.asarray(constant_values) != 0):
            border = np.pad(np.zeros(x.shape, dtype=x.dtype), pairs, constant_values=constant_values)
            out = out + Tensor._wrap(border)
        return out
    if mode not in _GATHER_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; use 'constant', 'reflect', 'symmetric', "
                         f"'edge' ('replicate') or 'wrap' ('circular')")
    if np.any(np.asarray(constant_values) != 0):
        raise ValueError(f"pad: constant_values is only used by mode 'constant', not {mode!r}")
    # Per padded axis, [x[left]; x; x[right]] with the border indices from numpy.pad of
    # 0..n-1: NumPy's semantics for any width (reflections of reflections).  The adjoint
    # passes the interior of the cotangent through as a view and scatter-adds only the
    # borders; a gather of the whole axis would scatter-add every element (10× slower).
    for axis, (before, after) in enumerate(pairs):
        n = x.shape[axis]
        if not (before or after):
            continue
        if n == 0:
            raise ShapeError(f"pad: cannot pad the empty axis {axis} of {fmt_shape(x.shape)} in mode {mode!r}")
        index = np.pad(np.arange(n), (before, after), mode=mode)
        lead = (slice(None),) * axis
        pieces = [getitem(x, lead + (index[:before],))] if before else []
        pieces.append(x)
        if after:
            pieces.append(getitem(x, lead + (index[before + n:],)))
        x = concatenate(pieces, axis=axis)
    return x


pad.primitive = _pad


# No Tensor methods: ``x.pad`` is not a NumPy or PyTorch method.
TENSOR_METHODS: dict = {}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
