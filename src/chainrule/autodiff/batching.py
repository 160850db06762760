r"""Batching rules: how a primitive acts on a batch of inputs (``vmap``).

Inside ``vmap`` a batched value is stored with its batch along axis 0; a rule
receives the arguments one level down, a flag per argument saying whether it is
batched, the batch size and the primitive's parameters, and returns the output
with its batch along axis 0.  Unbatched arguments are the same for every member
of the batch.

Batching is what lets ``jacrev``, ``jacfwd`` and ``hessian`` push all basis
vectors through one pass instead of looping in Python over output elements:
:math:`J = [\,J e_1 \cdots J e_n\,]` is one batched JVP.

A primitive without a rule falls back to ``loop_batch``: correct, one call per
batch member.
"""
from __future__ import annotations


def example_ndim(a, batched: bool) -> int:
    """Rank of one batch member."""
    if batched:
        return a.ndim - 1
    return getattr(a, "ndim", 0)


def align(a, batched: bool, rank: int):
    """Insert singleton axes after the batch axis so a batched operand broadcasts
    against unbatched ones of rank ``rank`` (broadcasting aligns from the right)."""
    from ..ops.shape import reshape
    if not batched or a.ndim - 1 >= rank:
        return a
    r = a.ndim - 1
    return reshape(a, (a.shape[0],) + (1,) * (rank - r) + tuple(a.shape[1:]))


def materialize(a, size: int):
    """An unbatched operand repeated along a new batch axis 0 (a broadcast view)."""
    from ..ops.shape import broadcast_to
    from ..tensor import Tensor
    if not isinstance(a, Tensor):
        a = Tensor(a)
    return broadcast_to(a, (size,) + tuple(a.shape))


def normalize_axis(axis: int, ndim: int, op: str = "") -> int:
    if not -ndim <= axis < max(ndim, 1):
        from ..errors import ShapeError
        raise ShapeError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % ndim if ndim else 0


def elementwise_batch(prim):
    """Elementwise ops (and comparisons): align ranks, then apply the op to the whole batch."""
    def rule(args, batched, size, **params):
        rank = max(example_ndim(a, b) for a, b in zip(args, batched))
        return prim(*[align(a, b, rank) for a, b in zip(args, batched)], **params)
    return rule


def loop_batch(prim):
    """Fallback: apply the primitive to each batch member and stack the results."""
    def rule(args, batched, size, **params):
        from ..ops.shape import stack
        outs = []
        for k in range(size):
            outs.append(prim(*[a[k] if b else a for a, b in zip(args, batched)], **params))
        if isinstance(outs[0], tuple):
            return tuple(stack([o[j] for o in outs]) for j in range(len(outs[0])))
        return stack(outs)
    return rule
