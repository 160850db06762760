"""Collation: turning a list of samples into one batch.

A sample is a nested structure (tuple, list, named tuple, dict) whose leaves are tensors,
NumPy arrays or numbers; the batch has the same structure, each leaf stacked along a new
first axis into a :class:`chainrule.Tensor`:

=====================================  ===============================================
leaf                                   batched as
=====================================  ===============================================
``cr.Tensor`` / ``numpy.ndarray``      stacked, dtype kept (integer scalars → int64)
Python ``int`` / NumPy integer         int64 vector (class labels)
Python ``float``                       the default dtype (float32 unless changed)
NumPy floating scalar                  its dtype
``bool``                               bool vector
``str``                                a Python list of the strings
=====================================  ===============================================

This is the slow, general path, used for datasets that only define ``__getitem__``:
datasets that hold arrays (:class:`~chainrule.data.TensorDataset`, the built-in datasets)
define ``get_batch`` and gather a whole batch with one fancy-indexing operation instead.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import dtypes
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor


def default_collate(samples):
    """Stack a list of samples into a batch of the same structure (see the module's table).

    Raises
    ------
    ValueError
        ``samples`` is empty, or samples disagree in their structure (keys, lengths).
    ShapeError
        Array leaves disagree in shape.
    TypeError
        A leaf is of a type that cannot be batched.
    """
    if len(samples) == 0:
        raise ValueError("default_collate: cannot collate an empty list of samples")
    first = samples[0]
    if isinstance(first, Mapping):
        keys = list(first.keys())
        for sample in samples:
            if not isinstance(sample, Mapping) or set(sample.keys()) != set(keys):
                raise ValueError(f"default_collate: samples disagree in their keys: {sorted(map(str, keys))} "
                                 f"and {_describe(sample)}")
        return {key: default_collate([sample[key] for sample in samples]) for key in keys}
    if isinstance(first, (tuple, list)):
        for sample in samples:
            if not isinstance(sample, (tuple, list)) or len(sample) != len(first):
                raise ValueError(f"default_collate: samples disagree in their structure: a "
                                 f"{type(first).__name__} of length {len(first)} and {_describe(sample)}")
        columns = [default_collate(list(column)) for column in zip(*samples)]
        if hasattr(first, "_fields"):                      # a named tuple keeps its type
            return type(first)(*columns)
        return columns if isinstance(first, list) else tuple(columns)
    if isinstance(first, str):
        return list(samples)
    return Tensor(stack_leaves(samples))


def stack_leaves(leaves) -> np.ndarray:
    """Stack tensors, arrays or numbers into one array with a new first axis."""
    first = leaves[0]
    if isinstance(first, (bool, np.bool_)):
        return np.asarray(leaves, dtype=np.bool_)
    if isinstance(first, (int, np.integer)):
        return np.asarray(leaves, dtype=np.int64)
    if isinstance(first, float):
        return np.asarray(leaves, dtype=dtypes.get_default_dtype())
    if isinstance(first, np.floating):
        return np.asarray(leaves)
    arrays = []
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            arrays.append(leaf.detach().data)
        elif hasattr(leaf, "__array_namespace__") or isinstance(leaf, np.ndarray):
            arrays.append(leaf)
        else:
            raise TypeError(f"default_collate: cannot batch a leaf of type {type(leaf).__name__}; "
                            f"samples may hold tensors, NumPy arrays, numbers, strings, and "
                            f"tuples/lists/dicts of these (or pass collate_fn=)")
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        listed = ", ".join(fmt_shape(s) for s in sorted(shapes))
        raise ShapeError(f"default_collate: cannot stack samples of different shapes {listed}")
    stacked = xp(arrays[0]).stack(arrays)
    if stacked.ndim == 1 and stacked.dtype.kind in "iu":
        stacked = stacked.astype(np.int64)                 # integer scalars are class labels
    return stacked


def map_structure(function, structure):
    """Apply ``function`` to every leaf of a nested tuple/list/dict structure."""
    if isinstance(structure, Mapping):
        return {key: map_structure(function, value) for key, value in structure.items()}
    if isinstance(structure, (tuple, list)) and not isinstance(structure, str):
        mapped = [map_structure(function, value) for value in structure]
        if hasattr(structure, "_fields"):
            return type(structure)(*mapped)
        return mapped if isinstance(structure, list) else tuple(mapped)
    return function(structure)


def _describe(sample) -> str:
    if isinstance(sample, Mapping):
        return f"a dict with keys {sorted(map(str, sample.keys()))}"
    if isinstance(sample, (tuple, list)):
        return f"a {type(sample).__name__} of length {len(sample)}"
    return f"a {type(sample).__name__}"
