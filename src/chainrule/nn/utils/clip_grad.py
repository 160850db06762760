r"""Gradient clipping, applied to ``.grad`` in place after ``backward()`` and before a step.

``clip_grad_norm_`` rescales all gradients together when their joint norm is too large,

.. math:: \|g\|_p = \Big(\sum_i \|g_i\|_p^p\Big)^{1/p},\qquad
          g_i \leftarrow g_i \cdot \min\Big(1, \frac{\mathrm{max\_norm}}{\|g\|_p + 10^{-6}}\Big),

(:math:`\|g\|_\infty = \max_i \max |g_i|`), which keeps the update's direction; the
:math:`10^{-6}` is PyTorch's.  ``clip_grad_value_`` clamps each entry to :math:`[-c, c]`,
which does not.
"""
from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif hasattr(parameters, "parameters") and callable(parameters.parameters):
        parameters = parameters.parameters()
    return [p for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0) -> Tensor:
    r"""The joint :math:`p`-norm of ``tensors`` (their concatenation's norm), as a 0-d tensor."""
    norm_type = float(norm_type)
    arrays = [t.detach().numpy() for t in tensors]
    if not arrays:
        return Tensor(np.array(0.0))
    dtype = np.result_type(*arrays)
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrays)
    elif norm_type == 0:
        total = float(sum(np.count_nonzero(a) for a in arrays))
    else:
        total = float(sum(np.sum(np.abs(a.astype(np.float64)) ** norm_type) for a in arrays)) ** (1.0 / norm_type)
    return Tensor(np.array(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Rescale the gradients of ``parameters`` (a module, a tensor or an iterable) in place so
    that their joint ``norm_type``-norm is at most ``max_norm``; returns the norm *before*
    clipping.  ``norm_type`` may be ``float('inf')``.  A non-finite norm raises with
    ``error_if_nonfinite``.  ``foreach`` is accepted and ignored."""
    params = _with_grads(parameters)
    grads = [p.grad for p in params]
    total = get_total_norm(grads, norm_type)
    value = float(total.item())
    if error_if_nonfinite and not math.isfinite(value):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {value}; "
                           f"pass error_if_nonfinite=False to clip anyway")
    coefficient = min(1.0, float(max_norm) / (value + 1e-6))
    if coefficient < 1.0:
        for p in params:
            p.grad = Tensor._wrap(p.grad.detach().numpy() * np.asarray(coefficient, p.grad.dtype))
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient entry of ``parameters`` into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _with_grads(parameters):
        p.grad = Tensor._wrap(np.clip(p.grad.detach().numpy(), -clip_value, clip_value))
