"""OpSpecs of the indexing chapter (see specs/__init__.py).

Indices are static: bound in the lambda, or integer inputs (sampled by ``integers``)
that are not differentiated (``argnums`` names the float input only).  The cases with
repeated indices check that the adjoint accumulates (``x[[0, 0, 1]]``).
"""
from __future__ import annotations

import numpy as np

from ..ops.creation import tensor as cr_tensor
from ..ops.indexing import (_scatter_add, _scatter_add_along_axis, diagonal, getitem, take, take_along_axis, trace,
                            tril, triu)
from . import OpSpec, integers, real

SCALAR, VECTOR, MATRIX, CUBE = ((),), ((4,),), ((3, 4),), ((2, 3, 4),)

_MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
_ROWS = np.array([True, False, True])


def _scatter_reference(index, shape):
    def reference(g):
        out = np.zeros(shape)
        np.add.at(out, index, g)
        return out
    return reference


def _getitem_spec(case, index, shapes):
    return OpSpec("getitem", lambda x: getitem(x, index), [real], shapes, lambda a: np.asarray(a)[index], case=case)


def _np_scatter_along(g, indices, axis, shape):
    """NumPy reference of the scatter-add along an axis (repeated indices add up)."""
    out = np.zeros(shape)
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    np.add.at(out, tuple(grid), g)
    return out


SPECS = [
    # ------------------------------------------------------------------ getitem
    _getitem_spec("int", 1, [VECTOR, MATRIX, CUBE]),
    _getitem_spec("scalar result", (2, -1), [MATRIX, ((3, 4, 2),)]),
    _getitem_spec("slice with step", slice(None, None, 2), [((5,),), ((5, 3),), ((5, 2, 2),)]),
    _getitem_spec("reversed slices", (slice(None, None, -1), slice(1, None, -1)), [MATRIX, ((3, 4, 2),)]),
    _getitem_spec("negative", (-1, slice(-3, -1)), [MATRIX, CUBE]),
    _getitem_spec("none and ellipsis", (None, Ellipsis, 0), [((3,),), MATRIX, CUBE]),
    _getitem_spec("new axis of a scalar", None, [SCALAR]),
    _getitem_spec("boolean mask", _MASK, [MATRIX, ((3, 4, 2),)]),
    _getitem_spec("boolean rows", _ROWS, [((3,),), ((3, 2),), ((3, 2, 2),)]),
    _getitem_spec("integer array", np.array([2, 0]), [VECTOR, MATRIX, ((3, 4, 2),)]),
    _getitem_spec("repeated integers", [0, 0, 1], [VECTOR, MATRIX, CUBE]),
    _getitem_spec("integer matrix", np.array([[0, 1], [1, 1]]), [((2,),), ((2, 3),)]),
    _getitem_spec("mixed advanced and basic", (slice(None), [1, 0, 1], slice(1, None)), [CUBE]),
    _getitem_spec("advanced apart", ([0, 1, 1], slice(None), 0), [CUBE]),
    _getitem_spec("two arrays", ([0, 2, 2], [1, 1, 3]), [MATRIX, ((3, 4, 2),)]),
    OpSpec("getitem", lambda x, i: getitem(x, i), [real, integers(0, 3)], [((3,), (5,)), ((3, 2), (2, 2))],
           lambda a, i: a[i], argnums=(0,), case="integer tensor input"),
    # ------------------------------------------------------------------ scatter_add (getitem's adjoint)
    OpSpec("scatter_add", lambda g: _scatter_add(g, index=(np.array([0, 2, 0]),), shape=(4,)), [real],
           [((3,),)], _scatter_reference((np.array([0, 2, 0]),), (4,)), case="repeated"),
    OpSpec("scatter_add", lambda g: _scatter_add(g, index=(slice(1, 3),), shape=(4, 3)), [real], [((2, 3),)],
           _scatter_reference((slice(1, 3),), (4, 3)), case="slice"),
    OpSpec("scatter_add", lambda g: _scatter_add(g, index=(slice(None), np.array([[1, 1], [0, 2]])), shape=(2, 3)),
           [real], [((2, 2, 2),)], _scatter_reference((slice(None), np.array([[1, 1], [0, 2]])), (2, 3)),
           case="index matrix"),
    # ------------------------------------------------------------------ composites
    OpSpec("take", lambda x: take(x, [0, 0, 3]), [real], [VECTOR, MATRIX], lambda a: np.take(a, [0, 0, 3]),
           composite=True, case="flattened"),
    OpSpec("take", lambda x: take(x, np.array([[2, 1], [1, 1]]), axis=1), [real], [MATRIX, CUBE],
           lambda a: np.take(a, np.array([[2, 1], [1, 1]]), axis=1), composite=True, case="axis"),
    OpSpec("take_along_axis", lambda x, i: take_along_axis(x, i, axis=0), [real, integers(0, 3)],
           [((3, 4), (2, 4)), ((3, 4), (5, 1)), ((3, 2, 2), (4, 2, 2))],
           lambda a, i: np.take_along_axis(a, i, axis=0), argnums=(0,), case="axis 0"),
    OpSpec("take_along_axis", lambda x, i: take_along_axis(x, i, axis=-1), [real, integers(0, 3)],
           [((3, 3), (3, 5)), ((2, 4, 3), (2, 4, 2))],
           lambda a, i: np.take_along_axis(a, i, axis=-1), argnums=(0,), case="last axis"),
    OpSpec("take_along_axis", lambda x: take_along_axis(x, np.array([3, 3, 0]), axis=None), [real],
           [VECTOR, MATRIX], lambda a: np.take_along_axis(np.ravel(a), np.array([3, 3, 0]), axis=0),
           case="flattened"),
    OpSpec("scatter_add_along_axis",
           lambda g: _scatter_add_along_axis(g, cr_tensor(np.array([[0], [2], [1]])), axis=1, shape=(3, 4)),
           [real], [((3, 1),)], lambda a: _np_scatter_along(a, np.array([[0], [2], [1]]), 1, (3, 4)),
           case="one per line"),
    OpSpec("scatter_add_along_axis",
           lambda g: _scatter_add_along_axis(g, cr_tensor(np.array([[0, 0, 2], [1, 3, 1]])), axis=1, shape=(2, 4)),
           [real], [((2, 3),)], lambda a: _np_scatter_along(a, np.array([[0, 0, 2], [1, 3, 1]]), 1, (2, 4)),
           case="repeated"),
    OpSpec("diagonal", lambda x: diagonal(x), [real], [((3, 3),), MATRIX, ((4, 2),), ((3, 3, 2),)],
           np.diagonal, composite=True, case="main"),
    OpSpec("diagonal", lambda x: diagonal(x, 1), [real], [((3, 3),), MATRIX, ((4, 2),)],
           lambda a: np.diagonal(a, 1), composite=True, case="above"),
    OpSpec("diagonal", lambda x: diagonal(x, -2), [real], [((3, 3),), MATRIX, ((4, 2),)],
           lambda a: np.diagonal(a, -2), composite=True, case="below"),
    OpSpec("diagonal", lambda x: diagonal(x, 0, 2, 0), [real], [CUBE, ((3, 2, 3),)],
           lambda a: np.diagonal(a, 0, 2, 0), composite=True, case="axes 2 and 0"),
    OpSpec("trace", lambda x: trace(x), [real], [((3, 3),), MATRIX, ((3, 3, 2),)], np.trace, composite=True,
           case="main"),
    OpSpec("trace", lambda x: trace(x, 1, -2, -1), [real], [MATRIX, CUBE],
           lambda a: np.trace(a, 1, -2, -1), composite=True, case="batched, offset"),
    *[OpSpec(name, (lambda f, k: lambda x: f(x, k))(fn, k), [real], [((3, 3),), MATRIX, ((4, 2),), CUBE],
             (lambda f, k: lambda a: f(a, k))(ref, k), composite=True, case=f"k={k}")
      for name, fn, ref in (("triu", triu, np.triu), ("tril", tril, np.tril)) for k in (0, 1, -1)],
]
