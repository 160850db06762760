"""How a loss turns per-element losses into its result, and the checks every loss shares.

``reduction="none"`` keeps the per-element losses, ``"mean"`` averages them and
``"sum"`` adds them (PyTorch's argument).  Losses check their operands before
computing: prediction and target of different shapes are an error (PyTorch only warns
and broadcasts, a classic silent bug with (N×1) against (N)).
"""
from __future__ import annotations

import numpy as np

from ..errors import GraphError, ShapeError, fmt_shape
from ..ops.creation import as_tensor
from ..ops.reductions import mean, sum as reduce_sum
from ..tensor import Tensor

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: str, name: str, allowed=REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(repr(r) for r in allowed)}, got {reduction!r}")


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply ``reduction`` (already checked) to per-element losses."""
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return reduce_sum(loss)
    return loss


def same_shape(name: str, prediction, target, what=("input", "target")):
    """Both operands as tensors, of one shape."""
    prediction, target = as_tensor(prediction), as_tensor(target)
    if tuple(prediction.shape) != tuple(target.shape):
        raise ShapeError(f"{name}: {what[0]} {fmt_shape(prediction.shape)} and {what[1]} {fmt_shape(target.shape)} "
                         f"must have the same shape")
    return prediction, target


def concrete(t):
    """The values of ``t`` as a NumPy array, or ``None`` inside ``vmap`` (where a batched
    tensor has no single value): value checks run whenever the values exist."""
    if not isinstance(t, Tensor):
        return np.asarray(t)
    try:
        return t.detach().numpy()
    except GraphError:
        return None
