"""OpSpecs of the descriptive statistics in ``cr.stats`` (composites; see specs/__init__.py).

Each is checked against NumPy/SciPy and differentiated to second order in both modes.
The quantile family samples values with no ties (``distinct``), where sorting is
differentiable.
"""
from __future__ import annotations

import numpy as np
import scipy.stats

from ..stats import descriptive as D
from . import OpSpec, distinct, real

VECTOR, MATRIX, CUBE = ((6,),), ((5, 4),), ((3, 5, 4),)

SPECS = [
    OpSpec("quantile", lambda x: D.quantile(x, [0.1, 0.5, 0.75], axis=0), [distinct], [VECTOR, MATRIX],
           lambda a: np.quantile(a, [0.1, 0.5, 0.75], axis=0), composite=True, case="linear, axis 0"),
    OpSpec("quantile", lambda x: D.quantile(x, 0.3, axis=None, method="midpoint"), [distinct], [MATRIX],
           lambda a: np.quantile(a, 0.3, method="midpoint"), composite=True, case="midpoint, flattened"),
    OpSpec("median", lambda x: D.median(x, axis=-1, keepdims=True), [distinct], [MATRIX, CUBE],
           lambda a: np.median(a, axis=-1, keepdims=True), composite=True),
    OpSpec("percentile", lambda x: D.percentile(x, 90.0, axis=1), [distinct], [MATRIX],
           lambda a: np.percentile(a, 90.0, axis=1), composite=True),
    *[OpSpec("skew", (lambda ax, b: lambda x: D.skew(x, axis=ax, bias=b))(axis, bias), [real], shapes,
             (lambda ax, b: lambda a: scipy.stats.skew(a, axis=ax, bias=b))(axis, bias), composite=True,
             case=f"axis={axis},bias={bias}")
      for axis, shapes in ((0, [VECTOR, MATRIX]), (-1, [MATRIX, CUBE]), (None, [MATRIX]))
      for bias in (True, False)],
    *[OpSpec("kurtosis", (lambda ax, b, f: lambda x: D.kurtosis(x, axis=ax, fisher=f, bias=b))(axis, bias, fisher),
             [real], shapes,
             (lambda ax, b, f: lambda a: scipy.stats.kurtosis(a, axis=ax, fisher=f, bias=b))(axis, bias, fisher),
             composite=True, case=f"axis={axis},bias={bias},fisher={fisher}")
      for axis, shapes in ((0, [VECTOR, MATRIX]), (1, [MATRIX, CUBE]), (None, [MATRIX]))
      for bias in (True, False) for fisher in (True, False)],
    OpSpec("moment", lambda x: D.moment(x, 3, axis=0), [real], [VECTOR, MATRIX],
           lambda a: scipy.stats.moment(a, 3, axis=0), composite=True, case="order 3"),
    OpSpec("moment", lambda x: D.moment(x, 2, axis=-1, keepdims=True), [real], [MATRIX, CUBE],
           lambda a: scipy.stats.moment(a, 2, axis=-1, keepdims=True), composite=True, case="order 2, keepdims"),
    OpSpec("sem", lambda x: D.sem(x, axis=0), [real], [VECTOR, MATRIX], lambda a: scipy.stats.sem(a, axis=0),
           composite=True),
    OpSpec("zscore", lambda x: D.zscore(x, axis=1, ddof=1), [real], [MATRIX, CUBE],
           lambda a: scipy.stats.zscore(a, axis=1, ddof=1), composite=True),
    OpSpec("cov", lambda x: D.cov(x), [real], [VECTOR, ((3, 6),), ((1, 5),)], np.cov, composite=True,
           case="rows are variables"),
    OpSpec("cov", lambda x: D.cov(x, rowvar=False, bias=True), [real], [((6, 3),)],
           lambda a: np.cov(a, rowvar=False, bias=True), composite=True, case="columns, bias"),
    OpSpec("cov", lambda x, y: D.cov(x, y, ddof=2), [real, real], [((2, 6), (6,)), ((6,), (3, 6))],
           lambda a, b: np.cov(a, b, ddof=2), composite=True, case="x and y, ddof=2"),
    OpSpec("corrcoef", lambda x: D.corrcoef(x), [real], [((3, 6),), ((2, 5),)], np.corrcoef, composite=True,
           case="rows"),
    OpSpec("corrcoef", lambda x, y: D.corrcoef(x, y, rowvar=False), [real, real], [((6, 2), (6, 1))],
           lambda a, b: np.corrcoef(a, b, rowvar=False), composite=True, case="x and y, columns"),
]
