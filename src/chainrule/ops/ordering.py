r"""Ordering: sorting, ranks by position, the k largest.

Sorting permutes: :math:`y = P_\pi x` for the permutation :math:`\pi` that puts
:math:`x` in order.  Where the elements are distinct, :math:`\pi` is constant
nearby, so sorting is *linear* there and its derivative is the same permutation,

.. math:: \dot y = P_\pi \dot x, \qquad \bar x = P_\pi^\top \bar y ,

applied to the tangent, or scattering the cotangent back to where each element
came from.  So ``sort`` needs no rule of its own: it is ``take_along_axis`` of
``x`` with the indices of ``argsort``, and inherits that gather's exact adjoint.

Convention at ties, where sorting is continuous but not differentiable: the sort is
*stable* (equal elements keep their order), and each output position receives the
derivative of the element placed there — as PyTorch's and NumPy's stable sorts do.

``argsort`` itself is piecewise constant: an integer result, not differentiated.
"""
from __future__ import annotations

from typing import NamedTuple

from ..autodiff.batching import normalize_axis
from ..autodiff.primitive import nondifferentiable
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .creation import as_tensor
from .indexing import getitem, take_along_axis
from .shape import ravel


@nondifferentiable(name="argsort")
def _argsort(x, axis, descending):
    if descending:
        # Stable *descending* order, for every dtype (negating fails for unsigned ints):
        # a stable ascending sort of the reversed axis puts equal elements last-first;
        # reading it backwards gives descending order with equal elements first-first,
        # and n - 1 - i maps positions of the reversed axis back to the original.
        n = x.shape[axis]
        flipped = xp(x).flip(x, axis=axis)
        order = xp(x).argsort(flipped, axis=axis, kind="stable")
        return xp(x).flip(n - 1 - order, axis=axis)
    return xp(x).argsort(x, axis=axis, kind="stable")


_argsort.defbatch(lambda args, batched, size, axis, descending: _argsort(args[0], axis=axis + 1,
                                                                        descending=descending))


def argsort(x, axis: int | None = -1, descending: bool = False) -> Tensor:
    r"""The indices that sort ``x`` along ``axis`` (stable: ties keep their order), as
    ``numpy.argsort(kind="stable")``; ``descending=True`` orders from the largest, ties
    still in their original order (PyTorch's ``stable=True``).  ``axis=None`` sorts the
    flattened tensor.  Not differentiable (an integer result)."""
    x = as_tensor(x)
    if axis is None:
        return argsort(ravel(x), 0, descending)
    if x.ndim == 0:
        raise ShapeError("argsort: a 0-d tensor has no axis to sort along")
    return _argsort(x, axis=normalize_axis(axis, x.ndim, "argsort"), descending=bool(descending))


argsort.primitive = _argsort


def sort(x, axis: int | None = -1, descending: bool = False) -> Tensor:
    r"""The elements of ``x`` in order along ``axis`` (``axis=None``: flattened).

    .. math:: y = P_\pi x, \qquad \bar x = P_\pi^\top \bar y

    Differentiable through the permutation (see the chapter's introduction); at ties the
    sort is stable and each output takes the derivative of the element placed there.
    """
    x = as_tensor(x)
    if axis is None:
        return sort(ravel(x), 0, descending)
    order = argsort(x, axis, descending)
    return take_along_axis(x, order, axis)


class TopK(NamedTuple):
    """The ``k`` extreme values along an axis and their indices (PyTorch's ``topk`` result)."""

    values: Tensor
    indices: Tensor


def topk(x, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> TopK:  # noqa: A002
    r"""The ``k`` largest (``largest=False``: smallest) elements along ``axis`` and their
    indices, in order (PyTorch's ``topk``; ``sorted`` is accepted for compatibility — the
    result is always in order).  Differentiable in the values, as :func:`sort`; ties are
    broken by position (the earlier element first)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ShapeError("topk: a 0-d tensor has no axis")
    a = normalize_axis(axis, x.ndim, "topk")
    n = x.shape[a]
    if not 0 <= k <= n:
        raise ShapeError(f"topk: k={k} is out of range for axis {a} of length {n} "
                         f"(tensor of shape {fmt_shape(x.shape)})")
    order = argsort(x, a, descending=largest)
    indices = getitem(order, (slice(None),) * a + (slice(0, k),))
    return TopK(take_along_axis(x, indices, a), indices)


# The functions that are also Tensor methods (``x.sort()``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"sort": sort, "argsort": argsort, "topk": topk}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
           and _n != "TopK"] + ["TopK"]
