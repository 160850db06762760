"""A model's parameters as one flat vector, and back (PyTorch's ``parameters_to_vector``).

Useful for second-order and line-search methods that treat the parameters as one point
of :math:`\\mathbb{R}^n`.  The order is the order of the iterable (``model.parameters()``),
each tensor flattened in row-major order.
"""
from __future__ import annotations

import numpy as np

from ...autodiff.engine import no_grad
from ...errors import ShapeError, fmt_shape
from ...ops.shape import concatenate, reshape
from ...tensor import Tensor


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    if hasattr(parameters, "parameters") and callable(parameters.parameters):
        return list(parameters.parameters())
    return list(parameters)


def parameters_to_vector(parameters) -> Tensor:
    """The parameters flattened and concatenated into one vector (differentiable)."""
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters")
    return concatenate([reshape(p, (-1,)) for p in params], axis=0)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place (outside any graph)."""
    params = _as_list(parameters)
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    total = sum(p.size for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ShapeError(f"vector_to_parameters: the parameters hold {total} numbers, so the vector must have "
                         f"shape ({total}), got {fmt_shape(vec.shape)}")
    values = vec.detach().numpy()
    offset = 0
    with no_grad():
        for p in params:
            p.data[...] = np.reshape(values[offset:offset + p.size], p.shape)
            p._bump()
            offset += p.size
