"""Creating tensors: from data, constant fills, ranges, identity, random draws.

Random tensors take an explicit ``seed`` (an int) or a ``numpy.random.Generator``,
so the same seed gives bit-identical numbers run after run.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor holding ``data`` (a number, nested list, NumPy array or tensor).

    Python floats become the default dtype (float32 unless changed with
    :func:`set_default_dtype`), Python ints int64, NumPy arrays keep their dtype.
    The data is always copied, as by ``torch.tensor`` and ``numpy.array``: updating the
    tensor in place (an optimizer step) never changes the caller's array, nor the
    other way round.  A tensor argument is copied and detached from its graph.  To
    share a NumPy array's memory instead, use :func:`as_tensor`.
    """
    if isinstance(data, Tensor):
        data = data.detach().data
    t = Tensor(data, dtype=dtype, requires_grad=requires_grad)
    if t._data is data:                 # an array taken as it is: make it the tensor's own
        t._data = data.copy()
    return t


def as_tensor(data, dtype=None) -> Tensor:
    """Like :func:`tensor`, but without a copy where none is needed: ``data`` itself when it
    already is a tensor of that dtype, and a tensor sharing the memory of a NumPy array of
    that dtype (``torch.as_tensor``; changes to either show in the other)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return Tensor(data.data if isinstance(data, Tensor) else data, dtype=dtype)


def _dtype(dtype):
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.ones(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.full(shape, fill_value, _dtype(dtype)), requires_grad=requires_grad)


def empty(*shape, dtype=None) -> Tensor:
    return Tensor(np.empty(_shape(shape), _dtype(dtype)))


def _like_dtype(x, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    return x.dtype if isinstance(x, Tensor) or hasattr(x, "dtype") else dtypes.get_default_dtype()


def zeros_like(x, dtype=None, requires_grad=False) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``; a constant, whatever level ``x`` lives at."""
    return Tensor._wrap(np.zeros(np.shape(x) if not isinstance(x, Tensor) else x.shape,
                                 _like_dtype(x, dtype))).requires_grad_(requires_grad)


def ones_like(x, dtype=None, requires_grad=False) -> Tensor:
    return Tensor._wrap(np.ones(np.shape(x) if not isinstance(x, Tensor) else x.shape,
                                _like_dtype(x, dtype))).requires_grad_(requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return Tensor._wrap(np.full(x.shape, fill_value, _like_dtype(x, dtype))).requires_grad_(requires_grad)


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; integer arguments give int64 (as in PyTorch)."""
    if stop is None:
        start, stop = 0, start
    if dtype is None and all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
        dtype = np.int64
    return Tensor(np.arange(start, stop, step, dtype=_dtype(dtype)))


def linspace(start, stop, num=50, dtype=None) -> Tensor:
    return Tensor(np.linspace(start, stop, num, dtype=_dtype(dtype)))


def eye(n, m=None, dtype=None) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_dtype(dtype)))


def _float_dtype(dtype, where):
    """The floating dtype of a random draw: integer or boolean dtypes would truncate
    uniform and normal draws to (mostly) zeros, a silent wrong answer."""
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        from ..errors import DTypeError
        raise DTypeError(f"{where}: draws are real numbers, so the dtype must be floating, got {dtype}; "
                         f"use randint for integers")
    return dtype


def _generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def rand(*shape, seed=None, dtype=None, requires_grad=False) -> Tensor:
    """Uniform draws on ``[0, 1)``; ``seed`` is an int or a ``numpy.random.Generator``."""
    dtype = _float_dtype(dtype, "rand")
    rng = _generator(seed)
    return Tensor(rng.random(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def randn(*shape, seed=None, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal draws; ``seed`` is an int or a ``numpy.random.Generator``."""
    dtype = _float_dtype(dtype, "randn")
    rng = _generator(seed)
    return Tensor(rng.standard_normal(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def randint(low, high, shape, seed=None) -> Tensor:
    rng = _generator(seed)
    return Tensor(rng.integers(low, high, size=shape, dtype=np.int64))


def rand_like(x, seed=None, dtype=None) -> Tensor:
    return rand(*x.shape, seed=seed, dtype=_like_dtype(x, dtype))


def randn_like(x, seed=None, dtype=None) -> Tensor:
    return randn(*x.shape, seed=seed, dtype=_like_dtype(x, dtype))


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
