"""Floating-point types: the default dtype and how data becomes an array.

chainrule computes in float32 unless told otherwise (speed, and the same default
as PyTorch); gradient checks always run in float64.  Mixed dtypes promote as in
NumPy.  Python floats become the default dtype; Python ints and bools keep an
integer or boolean dtype (as in PyTorch), since they are used as indices and labels.
"""
from __future__ import annotations

import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

_FLOATING = (np.float16, np.float32, np.float64)
_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype given to Python floats and to creation functions (float32 at start)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype (``float32`` or ``float64``)."""
    global _default_dtype
    d = np.dtype(dtype)
    if d.type not in _FLOATING:
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {d}")
    _default_dtype = d


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def as_array(data, dtype=None):
    """Convert ``data`` to an array: NumPy (and CuPy) arrays keep their dtype,
    Python floats and float lists take the default dtype."""
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.generic):            # NumPy 2's scalars also have __array_namespace__
        arr = np.asarray(data, dtype=dtype)
    elif hasattr(data, "__array_namespace__") or isinstance(data, np.ndarray):
        arr = data if dtype is None or data.dtype == dtype else data.astype(dtype)
    else:
        arr = np.asarray(data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        elif arr.dtype.kind == "f" or arr.dtype == object:
            arr = arr.astype(_default_dtype)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        # strings, dates, records: NumPy would store them, but no operation is defined on them
        from .errors import DTypeError
        raise DTypeError(f"tensor: expected numbers (bool, int, float or complex), got data of dtype "
                         f"{arr.dtype}")
    return arr


_NUMERIC_KINDS = "biufc"
