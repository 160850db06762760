"""Float64 tensors and the adjoint of an operation applied to a cotangent, for the shape and
indexing chapters' tests.

Shared by the test modules of this folder (imported by name: pytest puts the folder on
``sys.path``).
"""
from __future__ import annotations

import numpy as np

import chainrule as cr


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def grad_of_sum(f, x, weights=None):
    """Gradient of sum(w * f(x)) at x (w = 1 when not given): the adjoint of f at x applied to w."""
    def loss(v):
        out = f(v)
        return cr.sum(out if weights is None else out * cr.tensor(weights))
    return cr.grad(loss)(t64(x)).numpy()
