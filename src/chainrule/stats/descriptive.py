r"""Descriptive statistics as differentiable code: moments, quantiles, covariance, correlation.

Every function here is written with chainrule's operations, so a statistic can sit
inside a loss and be differentiated (twice, for Hessians).  The arguments follow
NumPy (``mean``, ``var``, ``quantile``, ``cov``, ``corrcoef``: ``axis=None`` flattens)
and SciPy (``skew``, ``kurtosis``, ``moment``, ``describe``, ``sem``, ``zscore``:
``axis=0``), so results agree with those libraries on the same call.

Quantiles sort with :func:`~chainrule.sort`, whose derivative is the sorting
permutation (exact; it also works inside ``vmap``).  Between the two order statistics the quantile interpolates linearly
(NumPy's default), so its derivative is the interpolation weights.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..linalg.validation import concrete
from ..ops.creation import as_tensor
from ..ops.elementwise import astype, sqrt, where
from ..ops.indexing import getitem
from ..ops.ordering import sort
from ..ops.products import matmul
from ..ops.reductions import max as reduce_max, mean, min as reduce_min, std, var
from ..ops.shape import concatenate, expand_dims, matrix_transpose, moveaxis, ravel, reshape, squeeze
from ..tensor import Tensor

__all__ = ["mean", "var", "std", "quantile", "percentile", "median", "moment", "skew", "kurtosis",
           "cov", "corrcoef", "describe", "DescribeResult", "sem", "zscore"]

QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _axis(axis, ndim: int, op: str) -> int:
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}")
    return int(axis) % ndim


# ----------------------------------------------------------------------------- quantiles
def _positions(q_values: np.ndarray, n: int, method: str):
    """Lower and upper order-statistic indices and the weight of the upper one."""
    virtual = q_values * (n - 1)
    low = np.floor(virtual).astype(np.int64)
    high = np.minimum(low + 1, n - 1)
    if method == "lower":
        return low, low, None
    if method == "higher":
        upper = np.ceil(virtual).astype(np.int64)
        return upper, upper, None
    if method == "nearest":
        nearest = np.around(virtual).astype(np.int64)   # half to even, as NumPy
        return nearest, nearest, None
    if method == "midpoint":
        upper = np.ceil(virtual).astype(np.int64)
        return low, upper, np.full(q_values.shape, 0.5)
    return low, high, virtual - low


def quantile(x, q, axis=None, keepdims: bool = False, *, method: str = "linear") -> Tensor:
    r"""The ``q``-th quantile(s) of ``x`` along ``axis`` (flattened when None), as
    ``numpy.quantile``.

    With the order statistics :math:`x_{(0)} \le \dots \le x_{(n-1)}` and the virtual
    index :math:`h = q (n - 1)`, ``method="linear"`` (the default) interpolates

    .. math::

        Q(q) = x_{(\lfloor h \rfloor)} + (h - \lfloor h \rfloor)
               \big(x_{(\lfloor h \rfloor + 1)} - x_{(\lfloor h \rfloor)}\big),

        \frac{\partial Q}{\partial x_{(\lfloor h \rfloor)}} = 1 - (h - \lfloor h \rfloor), \quad
        \frac{\partial Q}{\partial x_{(\lfloor h \rfloor + 1)}} = h - \lfloor h \rfloor, \quad
        \frac{\partial Q}{\partial q} = (n - 1)\big(x_{(\lfloor h \rfloor + 1)} - x_{(\lfloor h \rfloor)}\big).

    ``"lower"``, ``"higher"``, ``"nearest"`` (ties to even, as NumPy) and ``"midpoint"``
    pick or average order statistics.  ``q`` is a number or an array in [0, 1]; an
    array's axes come first in the result (NumPy's layout).  A ``q`` given as a tensor
    is differentiated too.

    Convention at ties: the sort is stable, so among equal values the gradient goes to
    the one that comes first in ``x`` for the lower order statistic (a valid one-sided
    derivative).  NaN in ``x`` raises ``ValueError`` (NumPy returns NaN).
    """
    x = as_tensor(x)
    if method not in QUANTILE_METHODS:
        raise ValueError(f"quantile: method must be one of {', '.join(QUANTILE_METHODS)}, got {method!r}")
    q_tensor = q if isinstance(q, Tensor) else None
    q_values = np.asarray(concrete(q) if q_tensor is not None else q, dtype=np.float64)
    if q_values.ndim > 1:
        raise ShapeError(f"quantile: q must be a number or a 1-D array, got shape {fmt_shape(q_values.shape)}")
    if np.any(np.isnan(q_values)) or np.any(q_values < 0) or np.any(q_values > 1):
        raise ValueError(f"quantile: q must lie in [0, 1], got {q_values}")
    original_ndim = x.ndim
    if axis is None:
        x, a = ravel(x), 0
    else:
        a = _axis(axis, x.ndim, "quantile")
    n = x.shape[a]
    if n == 0:
        raise ShapeError(f"quantile: the quantile of an empty axis is undefined (axis {a} of {fmt_shape(x.shape)})")
    data = np.asarray(concrete(x))                # inside vmap: the whole batch, checked at once
    if np.isnan(data).any():
        raise ValueError("quantile: the data contain NaN (remove them first; NumPy would return NaN)")
    ordered = moveaxis(sort(x, a), a, 0)                              # order statistics on axis 0
    low, high, weight = _positions(q_values, n, method)
    lower = getitem(ordered, (low.reshape(-1),))
    result = lower
    if weight is not None:
        upper = getitem(ordered, (high.reshape(-1),))
        trailing = (1,) * (ordered.ndim - 1)
        if q_tensor is not None and method == "linear":
            fraction = reshape(astype(q_tensor, ordered.dtype) * (n - 1) - low, (-1,) + trailing)
        else:
            fraction = weight.reshape((-1,) + trailing).astype(ordered.dtype)
        result = lower + (upper - lower) * fraction
    result = reshape(result, q_values.shape + tuple(ordered.shape[1:]))
    if keepdims:
        if axis is None:
            result = reshape(result, q_values.shape + (1,) * original_ndim)
        else:
            result = expand_dims(result, q_values.ndim + a)
    return result


def percentile(x, q, axis=None, keepdims: bool = False, *, method: str = "linear") -> Tensor:
    r"""The ``q``-th percentile(s), :math:`q \in [0, 100]`: :func:`quantile` at ``q / 100`` (``numpy.percentile``)."""
    return quantile(x, q / 100.0 if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64) / 100.0,
                    axis=axis, keepdims=keepdims, method=method)


def median(x, axis=None, keepdims: bool = False) -> Tensor:
    r"""The median, :func:`quantile` at :math:`q = 1/2` (``numpy.median``): the middle order
    statistic for odd :math:`n`, the mean of the two middle ones for even :math:`n`, so its
    gradient is 1 on the middle element or :math:`\tfrac12` on each of the middle two."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- moments
def _as_float(x) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else astype(x, np.float64)


def _axis_count(x: Tensor, axis) -> int:
    if axis is None:
        return x.size
    return x.shape[_axis(axis, x.ndim, "moment")] if x.ndim else 1


def moment(x, order: int = 1, axis=0, keepdims: bool = False, *, center=None) -> Tensor:
    r"""The ``order``-th central moment :math:`m_k = \frac1n \sum_i (x_i - \bar x)^k` along
    ``axis`` (``scipy.stats.moment``; ``center`` replaces :math:`\bar x` when given).

    .. math:: \frac{\partial m_k}{\partial x_i} = \frac kn \big((x_i - \bar x)^{k-1} - m_{k-1}\big)
    """
    x = _as_float(x)
    if int(order) != order or order < 0:
        raise ValueError(f"moment: order must be a non-negative integer, got {order!r}")
    centre = mean(x, axis=axis, keepdims=True) if center is None else center
    if order == 0:
        return mean(x * 0.0 + 1.0, axis=axis, keepdims=keepdims)
    return mean((x - centre) ** int(order), axis=axis, keepdims=keepdims)


def _standardized_moments(x, axis, keepdims):
    """:math:`(m_2, m_3, m_4)`, the mean, and where the variance is zero to rounding (SciPy's test)."""
    x = _as_float(x)
    centre = mean(x, axis=axis, keepdims=True)
    deviation = x - centre
    m2 = mean(deviation ** 2, axis=axis, keepdims=keepdims)
    m3 = mean(deviation ** 3, axis=axis, keepdims=keepdims)
    m4 = mean(deviation ** 4, axis=axis, keepdims=keepdims)
    centre_out = centre if keepdims else (squeeze(centre, axis) if axis is not None else reshape(centre, ()))
    eps = np.finfo(x.dtype).resolution * 10
    zero = m2 <= (eps * centre_out) ** 2
    return m2, m3, m4, zero, _axis_count(x, axis)


def skew(x, axis=0, bias: bool = True, keepdims: bool = False) -> Tensor:
    r"""Sample skewness (``scipy.stats.skew``): :math:`g_1 = m_3 / m_2^{3/2}`, and with
    ``bias=False`` the adjusted Fisher–Pearson coefficient
    :math:`G_1 = \frac{\sqrt{n(n-1)}}{n-2} g_1` (for :math:`n > 2`).

    Derivative: with :math:`d_i = x_i - \bar x`,
    :math:`\partial g_1/\partial x_i = \frac{3}{n m_2^{3/2}}\big(d_i^2 - m_2 - g_1 m_2^{1/2} d_i\big)`.

    Zero variance (all values equal, to rounding): NaN, as SciPy (the ratio is 0/0),
    with a zero gradient there.
    """
    m2, m3, _, zero, n = _standardized_moments(x, axis, keepdims)
    safe_m2 = where(zero, 1.0, m2)
    g1 = where(zero, np.nan, m3 / safe_m2 ** 1.5)
    if not bias and n > 2:
        g1 = g1 * (np.sqrt((n - 1.0) * n) / (n - 2.0))
    return g1


def kurtosis(x, axis=0, fisher: bool = True, bias: bool = True, keepdims: bool = False) -> Tensor:
    r"""Sample kurtosis (``scipy.stats.kurtosis``): :math:`g_2 = m_4 / m_2^2`, minus 3 when
    ``fisher`` (excess kurtosis, 0 for a normal distribution).  With ``bias=False``
    (for :math:`n > 3`) the unbiased estimate of the excess kurtosis under normality,

    .. math:: G_2 = \frac{(n+1)(n-1)}{(n-2)(n-3)} g_2 - \frac{3 (n-1)^2}{(n-2)(n-3)}.

    Derivative: :math:`\partial g_2/\partial x_i = \frac{4}{n m_2^2}\big(d_i^3 - m_3 - g_2 m_2 d_i\big)`.

    Zero variance: NaN, as SciPy, with a zero gradient there.
    """
    m2, _, m4, zero, n = _standardized_moments(x, axis, keepdims)
    safe_m2 = where(zero, 1.0, m2)
    g2 = where(zero, np.nan, m4 / safe_m2 ** 2)
    if not bias and n > 3:
        g2 = ((n * n - 1.0) * g2 - 3.0 * (n - 1.0) ** 2) / ((n - 2.0) * (n - 3.0)) + 3.0
    return g2 - 3.0 if fisher else g2


def sem(x, axis=0, ddof: int = 1, keepdims: bool = False) -> Tensor:
    r"""Standard error of the mean, :math:`s / \sqrt n` with :math:`s` the standard deviation
    at ``ddof`` (``scipy.stats.sem``)."""
    x = _as_float(x)
    return std(x, axis=axis, ddof=ddof, keepdims=keepdims) / np.sqrt(_axis_count(x, axis))


def zscore(x, axis=0, ddof: int = 0) -> Tensor:
    r"""Standardized values :math:`(x_i - \bar x)/s` along ``axis`` (``scipy.stats.zscore``)."""
    x = _as_float(x)
    return (x - mean(x, axis=axis, keepdims=True)) / std(x, axis=axis, ddof=ddof, keepdims=True)


# ----------------------------------------------------------------------------- covariance
def _variables(m, y, rowvar: bool, op: str) -> Tensor:
    """The observations as a matrix with one row per variable (NumPy's layout)."""
    m = _as_float(m)
    if m.ndim > 2:
        raise ShapeError(f"{op}: m must be 1-D or 2-D, got {fmt_shape(m.shape)}")
    rows = reshape(m, (1, -1)) if m.ndim < 2 else (m if rowvar else matrix_transpose(m))
    if y is not None:
        y = _as_float(y)
        if y.ndim > 2:
            raise ShapeError(f"{op}: y must be 1-D or 2-D, got {fmt_shape(y.shape)}")
        more = reshape(y, (1, -1)) if y.ndim < 2 else (y if rowvar else matrix_transpose(y))
        if more.shape[1] != rows.shape[1]:
            raise ShapeError(f"{op}: m has {rows.shape[1]} observations but y has {more.shape[1]}")
        rows = concatenate([rows, astype(more, rows.dtype) if more.dtype != rows.dtype else more], axis=0)
    return rows


def cov(m, y=None, rowvar: bool = True, bias: bool = False, ddof=None) -> Tensor:
    r"""Covariance matrix (``numpy.cov``): rows of ``m`` are variables, columns observations
    (``rowvar=False`` swaps them); ``y`` adds more variables.

    .. math:: C = \frac{1}{N - \mathrm{ddof}} (X - \bar X)(X - \bar X)^\top,
        \qquad \bar C = \frac{1}{N - \mathrm{ddof}} (\bar C + \bar C^\top)(X - \bar X)

    ``ddof`` defaults to 1 (0 with ``bias=True``).  A single variable gives a 0-d result,
    as NumPy.  :math:`N - \mathrm{ddof} \le 0` raises :class:`ShapeError`.
    """
    rows = _variables(m, y, rowvar, "cov")
    ddof = (0 if bias else 1) if ddof is None else ddof
    n_obs = rows.shape[1]
    if n_obs - ddof <= 0:
        raise ShapeError(f"cov: {n_obs} observations with ddof={ddof} leave no degrees of freedom")
    centered = rows - mean(rows, axis=1, keepdims=True)
    c = matmul(centered, matrix_transpose(centered)) / (n_obs - ddof)
    return reshape(c, ()) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar: bool = True) -> Tensor:
    r"""Pearson correlation matrix (``numpy.corrcoef``):
    :math:`R_{ij} = C_{ij} / \sqrt{C_{ii} C_{jj}}` with :math:`C` from :func:`cov`.

    A variable of zero variance gives NaN in its row and column (0/0), as NumPy.  NumPy
    also clips to [-1, 1]; here the value is left as computed (it differs from ±1 by
    rounding only), so that the derivative is not cut at the diagonal.
    """
    c = cov(x, y, rowvar=rowvar)
    if c.ndim == 0:
        return c / c
    d = sqrt(getitem(c, (np.arange(c.shape[0]), np.arange(c.shape[0]))))
    return c / reshape(d, (-1, 1)) / reshape(d, (1, -1))


# ----------------------------------------------------------------------------- describe
class DescribeResult(NamedTuple):
    """``scipy.stats.describe``'s fields."""

    nobs: int
    minmax: tuple
    mean: Tensor
    variance: Tensor
    skewness: Tensor
    kurtosis: Tensor


def describe(x, axis=0, ddof: int = 1, bias: bool = True) -> DescribeResult:
    r"""Number of observations, (min, max), mean, variance (at ``ddof``), skewness and excess
    kurtosis along ``axis`` (``scipy.stats.describe``), each differentiable."""
    x = _as_float(x)
    if axis is None:
        x, axis = ravel(x), 0
    n = _axis_count(x, axis)
    if n == 0:
        raise ShapeError(f"describe: no observations along axis {axis} of {fmt_shape(x.shape)}")
    return DescribeResult(n, (reduce_min(x, axis=axis), reduce_max(x, axis=axis)), mean(x, axis=axis),
                          var(x, axis=axis, ddof=ddof), skew(x, axis=axis, bias=bias),
                          kurtosis(x, axis=axis, bias=bias))

