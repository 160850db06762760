"""Checks shared by the tests and estimators: samples as float64 arrays, sizes, alternatives.

A test takes plain data (lists, NumPy arrays or tensors) and computes in float64; a
sample that is empty, holds NaN or is too small for the test raises ``ValueError``
naming the test and the reason, before anything is computed.
"""
from __future__ import annotations

import numpy as np

from ..linalg.validation import concrete
from ..tensor import Tensor


def as_array(x) -> np.ndarray:
    """The values of ``x`` (a tensor at any transform level, an array or a list) as float64."""
    if isinstance(x, Tensor):
        x = concrete(x)
    return np.asarray(x, dtype=np.float64)


def sample(x, where: str, name: str = "sample", axis=None, minimum: int = 1) -> np.ndarray:
    """A sample as float64 with the observations on the last axis (``axis=None``: flattened)."""
    a = as_array(x)
    if axis is None:
        a = a.reshape(-1)
    else:
        if a.ndim == 0:
            raise ValueError(f"{where}: the {name} must be an array of observations, got a single number")
        a = np.moveaxis(a, axis, -1)
    if np.isnan(a).any():
        raise ValueError(f"{where}: the {name} contains NaN; remove missing values first")
    if a.shape[-1] < minimum:
        raise ValueError(f"{where}: the {name} has {a.shape[-1]} observation{'s' if a.shape[-1] != 1 else ''}; "
                         f"the test needs at least {minimum}")
    return a


def require_positive_spread(value, where: str, what: str) -> None:
    """Zero variance leaves a statistic undefined (0/0 or x/0): say so instead of returning NaN."""
    if np.any(np.asarray(value) <= 0):
        raise ValueError(f"{where}: {what} is zero (all observations equal), so the statistic is undefined")
