"""OpSpecs of the ordering chapter (see specs/__init__.py)."""
from __future__ import annotations

import numpy as np

from ..ops.ordering import argsort, sort, topk
from . import OpSpec, distinct, real

SHAPES_1 = [((5,),), ((3, 4),), ((2, 3, 4),)]

SPECS = [
    OpSpec("argsort", lambda x: argsort(x, -1), [real], SHAPES_1,
           lambda a: np.argsort(a, axis=-1, kind="stable"), order=0, case="last axis"),
    OpSpec("argsort", lambda x: argsort(x, 0, descending=True), [real], SHAPES_1,
           lambda a: np.argsort(-a, axis=0, kind="stable"), order=0, case="descending axis 0"),
    OpSpec("sort", lambda x: sort(x, -1), [distinct], SHAPES_1,
           lambda a: np.sort(a, axis=-1), composite=True, case="last axis"),
    OpSpec("sort", lambda x: sort(x, 0, descending=True), [distinct], SHAPES_1,
           lambda a: -np.sort(-a, axis=0), composite=True, case="descending axis 0"),
    OpSpec("sort", lambda x: sort(x, None), [distinct], [((3, 4),)],
           lambda a: np.sort(a, axis=None), composite=True, case="flattened"),
    OpSpec("topk", lambda x: topk(x, 2, axis=-1).values, [distinct], [((5,),), ((3, 4),)],
           lambda a: -np.sort(-a, axis=-1)[..., :2], composite=True, case="largest"),
    OpSpec("topk", lambda x: topk(x, 3, axis=0, largest=False).values, [distinct], [((5,),), ((4, 3),)],
           lambda a: np.sort(a, axis=0)[:3], composite=True, case="smallest"),
]
