"""Checks of what a layer receives, with messages that name the layer and both shapes.

A layer raises :class:`~chainrule.errors.ShapeError` before computing anything when its
input has the wrong rank or the wrong number of features or channels, e.g.
``Linear(in_features=4): expected input (*×4), got (2×3)``.
"""
from __future__ import annotations

from ..errors import ShapeError, fmt_shape


def describe(layer) -> str:
    """``Linear(in_features=4, ...)``: the layer as it prints, on one line."""
    return f"{type(layer).__name__}({layer.extra_repr()})"


def check_rank(layer, x, ranks, expected: str) -> None:
    """``x.ndim`` must be one of ``ranks``; ``expected`` spells the accepted shapes (``"(N×C) or (N×C×L)"``)."""
    if x.ndim not in ranks:
        raise ShapeError(f"{describe(layer)}: expected input {expected} (rank {' or '.join(map(str, ranks))}), "
                         f"got {fmt_shape(x.shape)} (rank {x.ndim})")


def check_size(layer, x, axis: int, size: int, expected: str, what: str) -> None:
    """``x.shape[axis]`` must be ``size`` (features or channels)."""
    if x.shape[axis] != size:
        raise ShapeError(f"{describe(layer)}: expected input {expected} with {what} = {size}, "
                         f"got {fmt_shape(x.shape)} ({what} = {x.shape[axis]})")


def check_floating(name: str, x) -> None:
    from ..errors import DTypeError
    if x.dtype.kind != "f":
        raise DTypeError(f"{name}: expected a floating-point input, got dtype {x.dtype}")
