"""OpSpecs of the shape chapter (see specs/__init__.py).

Every operation here is linear, so its second derivatives vanish; the order-2 checks
still matter, because they differentiate the adjoint rules themselves (the transpose
of the transpose must be the operation again).  The ``split`` case that multiplies
two pieces makes the second derivative nonzero.
"""
from __future__ import annotations

import numpy as np

from ..ops.shape import broadcast_to, concatenate, expand_dims, flatten, flip, matrix_transpose, moveaxis, permute, ravel, repeat, reshape, roll, split, squeeze, stack, swapaxes, tile, transpose
from ..ops.padding import pad
from . import OpSpec, real

SCALAR, VECTOR, MATRIX, CUBE = ((),), ((4,),), ((3, 4),), ((2, 3, 4),)


def _halves_product(parts):
    return parts[0] * parts[1]


SPECS = [
    # ------------------------------------------------------------------ reshape
    OpSpec("reshape", lambda x: reshape(x, -1), [real], [SCALAR, VECTOR, MATRIX, CUBE],
           lambda a: np.reshape(a, -1), case="to vector"),
    OpSpec("reshape", lambda x: reshape(x, (1, 1)), [real], [SCALAR, ((1,),)],
           lambda a: np.reshape(a, (1, 1)), case="scalar to matrix"),
    OpSpec("reshape", lambda x: reshape(x, (4, -1, 2)), [real], [CUBE, ((24,),), ((6, 4),)],
           lambda a: np.reshape(a, (4, -1, 2)), case="3-D with -1"),
    # ------------------------------------------------------------------ transpose
    OpSpec("transpose", lambda x: transpose(x), [real], [SCALAR, VECTOR, MATRIX, CUBE],
           np.transpose, case="reverse axes"),
    OpSpec("transpose", lambda x: transpose(x, (1, 2, 0)), [real], [CUBE, ((1, 5, 2),)],
           lambda a: np.transpose(a, (1, 2, 0)), case="permutation"),
    OpSpec("transpose", lambda x: transpose(x, (0, -1, -2)), [real], [CUBE],
           lambda a: np.transpose(a, (0, 2, 1)), case="negative axes"),
    # ------------------------------------------------------------------ broadcast_to
    OpSpec("broadcast_to", lambda x: broadcast_to(x, (2, 4)), [real], [SCALAR, ((1,),), VECTOR, ((2, 1),)],
           lambda a: np.broadcast_to(a, (2, 4)), case="matrix"),
    OpSpec("broadcast_to", lambda x: broadcast_to(x, (3, 2, 5, 4)), [real], [((2, 1, 4),), ((1, 1, 4),), ((2, 5, 1),)],
           lambda a: np.broadcast_to(a, (3, 2, 5, 4)), case="new and length-1 axes"),
    # ------------------------------------------------------------------ concatenate
    OpSpec("concatenate", lambda x, y: concatenate([x, y]), [real, real],
           [((2,), (3,)), ((2, 3), (1, 3)), ((1, 2, 3), (2, 2, 3))],
           lambda a, b: np.concatenate([a, b]), case="axis 0"),
    OpSpec("concatenate", lambda x, y, z: concatenate([x, y, z], axis=1), [real, real, real],
           [((2, 1), (2, 3), (2, 2)), ((2, 1, 3), (2, 2, 3), (2, 3, 3))],
           lambda a, b, c: np.concatenate([a, b, c], axis=1), case="three on axis 1"),
    OpSpec("concatenate", lambda x, y: concatenate([x, y], axis=-1), [real, real],
           [((3, 1), (3, 2)), ((2, 3, 4), (2, 3, 1))],
           lambda a, b: np.concatenate([a, b], axis=-1), case="last axis"),
    # ------------------------------------------------------------------ split (one primitive, several outputs)
    OpSpec("split", lambda x: concatenate(split(x, 3, axis=-1)[::-1], axis=-1), [real],
           [((6,),), ((2, 6),), ((2, 3, 6),)],
           lambda a: np.concatenate(np.split(a, 3, axis=-1)[::-1], axis=-1), case="equal sections, reordered"),
    OpSpec("split", lambda x: split(x, [1, 3])[1], [real], [VECTOR, ((5, 2),), ((4, 2, 3),)],
           lambda a: np.split(a, [1, 3])[1], case="one piece used"),
    OpSpec("split", lambda x: split(x, [-1], axis=1)[0], [real], [MATRIX, CUBE],
           lambda a: np.split(a, [-1], axis=1)[0], case="negative index"),
    OpSpec("split", lambda x: _halves_product(split(x, 2, axis=0)), [real], [VECTOR, ((2, 3),), ((4, 2, 3),)],
           lambda a: _halves_product(np.split(a, 2, axis=0)), case="product of halves"),
    OpSpec("split", lambda x: concatenate(split(x, [3, 1])), [real], [VECTOR, ((5, 2),)],
           lambda a: np.concatenate(np.split(a, [3, 1])), case="overlapping pieces", composite=True),
    # ------------------------------------------------------------------ pad
    OpSpec("pad", lambda x: pad(x, 1), [real], [SCALAR, VECTOR, MATRIX, CUBE],
           lambda a: np.pad(a, 1), case="constant"),
    OpSpec("pad", lambda x: pad(x, ((1, 0), (0, 2))), [real], [MATRIX],
           lambda a: np.pad(a, ((1, 0), (0, 2))), case="pair per axis"),
    OpSpec("pad", lambda x: pad(x, (0, 2)), [real], [VECTOR, CUBE],
           lambda a: np.pad(a, (0, 2)), case="one pair for every axis"),
    OpSpec("pad", lambda x: pad(x, 2, constant_values=1.5), [real], [VECTOR, MATRIX],
           lambda a: np.pad(a, 2, constant_values=1.5), case="constant value"),
    *[OpSpec("pad", (lambda m: lambda x: pad(x, ((1, 2),), mode=m))(mode), [real], [VECTOR, MATRIX, CUBE],
             (lambda m: lambda a: np.pad(a, ((1, 2),), mode=m))(mode), case=mode, composite=True)
      for mode in ("reflect", "symmetric", "edge", "wrap")],
    OpSpec("pad", lambda x: pad(x, 5, mode="reflect"), [real], [((3,),), ((2, 3),)],
           lambda a: np.pad(a, 5, mode="reflect"), case="reflect wider than the tensor", composite=True),
    # ------------------------------------------------------------------ composites
    OpSpec("expand_dims", lambda x: expand_dims(x, 0), [real], [SCALAR, VECTOR, MATRIX],
           lambda a: np.expand_dims(a, 0), composite=True, case="front"),
    OpSpec("expand_dims", lambda x: expand_dims(x, (0, 2)), [real], [VECTOR, MATRIX, CUBE],
           lambda a: np.expand_dims(a, (0, 2)), composite=True, case="two axes"),
    OpSpec("squeeze", lambda x: squeeze(x), [real], [((1,),), ((3, 1),), ((1, 3, 1, 2),)],
           np.squeeze, composite=True, case="all"),
    OpSpec("squeeze", lambda x: squeeze(x, -1), [real], [((3, 1),), ((2, 1, 3, 1),)],
           lambda a: np.squeeze(a, -1), composite=True, case="one axis"),
    OpSpec("ravel", lambda x: ravel(x), [real], [SCALAR, MATRIX, CUBE], np.ravel, composite=True),
    OpSpec("flatten", lambda x: flatten(x, 1), [real], [MATRIX, CUBE, ((2, 3, 4, 2),)],
           lambda a: a.reshape(a.shape[0], -1), composite=True),
    OpSpec("permute", lambda x: permute(x, 2, 0, 1), [real], [CUBE],
           lambda a: np.transpose(a, (2, 0, 1)), composite=True),
    OpSpec("swapaxes", lambda x: swapaxes(x, 0, -1), [real], [MATRIX, CUBE],
           lambda a: np.swapaxes(a, 0, -1), composite=True),
    OpSpec("moveaxis", lambda x: moveaxis(x, 0, -1), [real], [MATRIX, CUBE],
           lambda a: np.moveaxis(a, 0, -1), composite=True, case="one axis"),
    OpSpec("moveaxis", lambda x: moveaxis(x, (0, 1), (2, 0)), [real], [CUBE, ((2, 3, 4, 5),)],
           lambda a: np.moveaxis(a, (0, 1), (2, 0)), composite=True, case="several axes"),
    OpSpec("matrix_transpose", lambda x: matrix_transpose(x), [real], [MATRIX, CUBE],
           lambda a: np.swapaxes(a, -1, -2), composite=True),
    OpSpec("stack", lambda x, y: stack([x, y]), [real, real], [((), ()), ((3,), (3,)), ((2, 3), (2, 3))],
           lambda a, b: np.stack([a, b]), composite=True, case="axis 0"),
    OpSpec("stack", lambda x, y, z: stack([x, y, z], axis=-1), [real, real, real], [((2, 3),) * 3, ((2, 3, 4),) * 3],
           lambda a, b, c: np.stack([a, b, c], axis=-1), composite=True, case="last axis"),
    OpSpec("flip", lambda x: flip(x), [real], [SCALAR, VECTOR, MATRIX, CUBE], np.flip, composite=True, case="all"),
    OpSpec("flip", lambda x: flip(x, (0, 2)), [real], [CUBE], lambda a: np.flip(a, (0, 2)), composite=True,
           case="two axes"),
    OpSpec("roll", lambda x: roll(x, 2), [real], [SCALAR, VECTOR, MATRIX, CUBE], lambda a: np.roll(a, 2),
           composite=True, case="flattened"),
    OpSpec("roll", lambda x: roll(x, (1, -5), (0, -1)), [real], [MATRIX, CUBE],
           lambda a: np.roll(a, (1, -5), (0, -1)), composite=True, case="two axes"),
    OpSpec("tile", lambda x: tile(x, 2), [real], [SCALAR, VECTOR, MATRIX], lambda a: np.tile(a, 2),
           composite=True, case="int"),
    OpSpec("tile", lambda x: tile(x, (2, 1, 3)), [real], [VECTOR, MATRIX, CUBE],
           lambda a: np.tile(a, (2, 1, 3)), composite=True, case="per axis"),
    OpSpec("repeat", lambda x: repeat(x, 2), [real], [SCALAR, VECTOR, MATRIX], lambda a: np.repeat(a, 2),
           composite=True, case="flattened"),
    OpSpec("repeat", lambda x: repeat(x, 3, axis=1), [real], [MATRIX, CUBE], lambda a: np.repeat(a, 3, axis=1),
           composite=True, case="int on an axis"),
    OpSpec("repeat", lambda x: repeat(x, [2, 0, 1], axis=-2), [real], [((3, 2),), ((2, 3, 2),)],
           lambda a: np.repeat(a, [2, 0, 1], axis=-2), composite=True, case="per element"),
]
