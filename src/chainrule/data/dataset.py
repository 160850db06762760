"""Datasets: indexable collections of samples, and the ways to cut and join them.

A *map-style* dataset is anything with ``__len__`` and ``__getitem__(i)`` returning the
``i``-th sample (as in PyTorch). A dataset may also define ``get_batch(indices)``,
returning the already-collated batch for an integer array of indices; datasets that hold
arrays gather it with one fancy-indexing operation per array, instead of a Python loop
over samples, which is what makes :class:`~chainrule.data.DataLoader` fast.

Transforms attached to a dataset (``transform=`` for the inputs, ``target_transform=``
for the targets) are called *batch-wise*, on the gathered ``N × ...`` arrays; indexing a
single sample calls them on a batch of one.
"""
from __future__ import annotations

import bisect
import math
import numbers

import numpy as np

from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .collate import default_collate
from .randomness import make_generator


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``get_batch(indices)`` defaults to collating ``self[i]`` for each index (a Python loop);
    override it when the samples live in arrays that can be gathered at once.
    ``a + b`` concatenates two datasets.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def get_batch(self, indices):
        """The collated batch of the samples at ``indices`` (an integer array)."""
        return default_collate([self[int(i)] for i in indices])

    def __add__(self, other) -> "ConcatDataset":
        return ConcatDataset([self, other])


def fetch_batch(dataset, indices):
    """``dataset.get_batch(indices)`` when the dataset defines it, else collate sample by sample."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    return default_collate([dataset[int(i)] for i in indices])


class TensorDataset(Dataset):
    """Samples are the rows of arrays that share their first dimension: ``(x[i], y[i], ...)``.

    Parameters
    ----------
    *tensors : cr.Tensor or array-like
        One or more arrays of equal length along axis 0. One-dimensional integer arrays
        (class labels) are stored as int64; everything else keeps its dtype.
    transform : callable, optional
        Called on the batch of the first array (the inputs) after gathering, e.g.
        ``Compose([RandomCrop(8, padding=1, seed=0), Normalize(...)])``.
    target_transform : callable, optional
        Called on the batch of the second array (the targets).

    Examples
    --------
    >>> ds = TensorDataset(cr.randn(100, 3, seed=0), np.arange(100) % 2)
    >>> x, y = ds[0]                      # a sample: Tensors of shape (3,) and ()
    >>> x, y = ds.get_batch(np.arange(8)) # a batch: (8×3) and (8,), one gather each
    """

    def __init__(self, *tensors, transform=None, target_transform=None):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        arrays = [_as_array(t) for t in tensors]
        for position, array in enumerate(arrays):
            if array.ndim == 0:
                raise ShapeError(f"TensorDataset: tensor {position} is a scalar; each tensor needs a "
                                 f"first (sample) dimension")
        lengths = {a.shape[0] for a in arrays}
        if len(lengths) > 1:
            listed = ", ".join(fmt_shape(a.shape) for a in arrays)
            raise ShapeError(f"TensorDataset: tensors disagree in their first (sample) dimension: {listed}")
        self._arrays = tuple(a.astype(np.int64) if a.ndim == 1 and a.dtype.kind in "iu" else a
                             for a in arrays)
        self.transform = transform
        self.target_transform = target_transform

    @property
    def tensors(self) -> tuple:
        """The stored arrays as tensors (sharing memory), in the order given."""
        return tuple(Tensor(a) for a in self._arrays)

    def __len__(self) -> int:
        return int(self._arrays[0].shape[0])

    def get_batch(self, indices) -> tuple:
        """Gather the rows at ``indices`` with one fancy index per array, then transform."""
        batch = [array[_index_for(array, indices)] for array in self._arrays]
        if self.transform is not None:
            batch[0] = self.transform(batch[0])
        if self.target_transform is not None and len(batch) > 1:
            batch[1] = self.target_transform(batch[1])
        return tuple(t if isinstance(t, Tensor) else Tensor(t) for t in batch)

    def __getitem__(self, index) -> tuple:
        position = _checked_index(index, len(self), type(self).__name__)
        return tuple(Tensor(t.data[0]) for t in self.get_batch(np.array([position])))


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (a view: nothing is copied).

    Batches are gathered through the parent's ``get_batch``, so a subset of a
    :class:`TensorDataset` is as fast as the dataset itself.
    """

    def __init__(self, dataset, indices):
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a 1-D sequence of integers, got an array of "
                            f"shape {fmt_shape(indices.shape)} and dtype {indices.dtype}")
        n = len(dataset)
        indices = indices.astype(np.int64)
        bad = (indices < -n) | (indices >= n)
        if bad.any():
            raise IndexError(f"Subset: index {int(indices[bad][0])} is out of range for a dataset of "
                             f"{n} samples")
        self.dataset = dataset
        self.indices = np.where(indices < 0, indices + n, indices)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index):
        return self.dataset[int(self.indices[_checked_index(index, len(self), "Subset")])]

    def get_batch(self, indices):
        return fetch_batch(self.dataset, self.indices[indices])


class ConcatDataset(Dataset):
    """Datasets one after another: sample ``i`` of the whole is sample ``i - offset`` of a part.

    A batch that spans parts is gathered from each part with its own ``get_batch`` and
    put back in the requested order (a loop over the parts, never over samples).
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: needs at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).astype(np.int64)

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def _locate(self, index: int):
        part = bisect.bisect_right(self.cumulative_sizes.tolist(), index)
        offset = 0 if part == 0 else int(self.cumulative_sizes[part - 1])
        return part, index - offset

    def __getitem__(self, index):
        part, local = self._locate(_checked_index(index, len(self), "ConcatDataset"))
        return self.datasets[part][local]

    def get_batch(self, indices):
        indices = np.asarray(indices, dtype=np.int64)
        parts_of = np.searchsorted(self.cumulative_sizes, indices, side="right")
        offsets = np.concatenate([[0], self.cumulative_sizes[:-1]])
        batches, positions = [], []
        for part in np.unique(parts_of):
            chosen = np.flatnonzero(parts_of == part)
            batches.append(fetch_batch(self.datasets[part], indices[chosen] - offsets[part]))
            positions.append(chosen)
        if len(batches) == 1:
            return batches[0]
        # Concatenating the parts gives the samples grouped by part; `inverse` restores the
        # order in which they were asked for.
        inverse = np.empty(len(indices), dtype=np.int64)
        inverse[np.concatenate(positions)] = np.arange(len(indices))
        return _concatenate_batches(batches, inverse)


def _concatenate_batches(batches, inverse):
    first = batches[0]
    if isinstance(first, dict):
        return {key: _concatenate_batches([b[key] for b in batches], inverse) for key in first}
    if isinstance(first, list) and first and isinstance(first[0], str):
        joined = [item for b in batches for item in b]
        return [joined[i] for i in inverse]
    if isinstance(first, (tuple, list)):
        columns = [_concatenate_batches(list(column), inverse) for column in zip(*batches)]
        if hasattr(first, "_fields"):
            return type(first)(*columns)
        return columns if isinstance(first, list) else tuple(columns)
    arrays = [b.data if isinstance(b, Tensor) else b for b in batches]
    return Tensor(xp(arrays[0]).concatenate(arrays)[inverse])


def random_split(dataset, lengths, seed=None, *, generator=None) -> list:
    """Split ``dataset`` into non-overlapping random :class:`Subset`\\ s of the given sizes.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int or float
        Sizes summing to ``len(dataset)``, or fractions summing to 1; fractions are floored
        and the remaining samples dealt one each to the first subsets (as in PyTorch).
    seed : int or numpy.random.Generator, optional
        The same seed gives the same split, run after run.
    generator : numpy.random.Generator, optional
        PyTorch's spelling of ``seed=Generator``.
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if any(isinstance(x, bool) or not isinstance(x, numbers.Real) or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative numbers, got {lengths}")
    if all(isinstance(x, numbers.Integral) for x in lengths):
        sizes = [int(x) for x in lengths]
    elif math.isclose(sum(lengths), 1.0, rel_tol=0, abs_tol=1e-9):
        sizes = [math.floor(n * x) for x in lengths]
        for i in range(n - sum(sizes)):               # at most len(lengths) - 1 leftovers
            sizes[i % len(sizes)] += 1
    else:
        raise ValueError(f"random_split: fractional lengths must sum to 1, got {lengths} "
                         f"(sum {sum(lengths):g})")
    if sum(sizes) != n:
        raise ValueError(f"random_split: lengths {sizes} sum to {sum(sizes)}, but the dataset has "
                         f"{n} samples")
    order = make_generator(seed, generator, owner="random_split").permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]


def _as_array(value):
    if isinstance(value, Tensor):
        return value.detach().data
    if hasattr(value, "__array_namespace__") or isinstance(value, np.ndarray):
        return value
    return np.asarray(value)


def _index_for(array, indices):
    """The index array in the array's own library (CuPy arrays take CuPy indices)."""
    namespace = xp(array)
    return indices if namespace is np else namespace.asarray(indices)


def _checked_index(index, length: int, owner: str) -> int:
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{owner}: a sample index must be an integer, got {type(index).__name__}; "
                        f"use get_batch(indices) for many samples at once")
    if not -length <= index < length:
        raise IndexError(f"{owner}: index {index} is out of range for {length} samples")
    return int(index) + length if index < 0 else int(index)


__all__ = ["ConcatDataset", "Dataset", "Subset", "TensorDataset", "fetch_batch", "random_split"]
