"""How the primitives of ``cr.linalg`` act on batches (``vmap``).

LAPACK-backed functions of NumPy already treat every axis but the last two as a
stack of matrices, so a batch from ``vmap`` (on axis 0) is just one more leading
axis: most batching rules call the primitive on the batched arrays.  Primitives
with several matrix arguments first align the ranks of the batch axes, as
``matmul`` does, so that an unbatched argument broadcasts against a batched one.
"""
from __future__ import annotations

from ..autodiff.batching import align, example_ndim


def leading_batch(prim):
    """The batching rule of a one-matrix primitive (possibly also given the LU factors of
    its matrix, batched alike): the batch is one more leading axis."""
    def rule(args, batched, size, **params):
        return prim(*args, **params)
    return rule


def aligned_batch(prim):
    """The batching rule of a primitive of several stacks of matrices (``solve(A, B)``):
    insert unit axes after the batch axis of a batched argument so that its batch axes
    line up with those of an unbatched argument of higher rank."""
    def rule(args, batched, size, **params):
        rank = max(example_ndim(a, b) for a, b in zip(args, batched))
        return prim(*[align(a, b, rank) for a, b in zip(args, batched)], **params)
    return rule

