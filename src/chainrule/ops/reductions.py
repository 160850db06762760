r"""Reductions: sums, products, extrema, moments and cumulative scans.

A reduction maps a tensor to a smaller one by combining the elements along
``axis`` (an int, a tuple, or all axes when None); ``keepdims=True`` keeps the
reduced axes with length 1, so the result broadcasts against the input.  The
reverse derivative of a reduction *broadcasts* the cotangent back over the
reduced axes, weighted by :math:`\partial y / \partial x_i`.

Conventions where a derivative is not unique or not finite:

==================  ==============================================================
``max``, ``min``    ties split the gradient evenly among the extremal elements
``prod``            exact with zeros: products of the *other* elements, no division
``std``             0 at zero variance (the minimal subgradient, as :math:`|x|'(0) = 0`)
``argmax`` ...      integer/boolean results, not differentiable
==================  ==============================================================

A 0-d tensor has no axes; as in PyTorch, ``axis=0`` or ``-1`` names the scalar
itself and reduces nothing.  Reducing an empty axis raises :class:`ShapeError`
where the result is undefined (``max``, ``mean``, ``var``), as NumPy does for ``max``.
The normalized exponentials (``logsumexp``, ``softmax``, ``log_softmax``) are the
chapter ``log_sum_exp``, built on the axis handling here.
"""
from __future__ import annotations

import builtins
import math
import numbers

from ..autodiff.batching import normalize_axis
from ..autodiff.primitive import linear, nondifferentiable, primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from .creation import as_tensor, full, ones_like
from .elementwise import astype, sqrt, square, where
from .indexing import getitem
from .shape import _axis_tuple, _broadcast_to, _inverse_permutation, concatenate, reshape, transpose


# ----------------------------------------------------------------------------- axes
def _reduction_axes(axis, ndim, op):
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if ndim == 0 and axis is not None:
        for a in (axis if isinstance(axis, (tuple, list)) else (axis,)):
            if a not in (0, -1):
                raise ShapeError(f"{op}: axis {a} is out of range for a tensor of rank 0")
        return ()                       # PyTorch's rule: a scalar's only "axis" reduces nothing
    return tuple(sorted(_axis_tuple(axis, ndim, op)))


def _scan_axis(axis, ndim, op):
    """The one axis of a scan or an arg-reduction (NumPy accepts no tuple there)."""
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    return normalize_axis(int(axis), ndim, op)


def _count(shape, axes) -> int:
    """How many elements each output combines."""
    return math.prod(shape[a] for a in axes)


def _require_nonempty(shape, axes, op, what):
    for a in axes:
        if shape[a] == 0:
            raise ShapeError(f"{op}: the {what} of an empty axis is undefined (axis {a} of a tensor of "
                             f"shape {fmt_shape(shape)} has length 0)")


def _keep_shape(shape, axes):
    """The shape of a reduction over ``axes`` with ``keepdims=True``."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _keep(y, x_shape, axes):
    """A reduced result with its reduced axes restored as length 1 (broadcasts against x)."""
    return reshape(y, _keep_shape(x_shape, axes))


def _expand_back(g, x_shape, axes):
    """Broadcast a reduced cotangent back to the input's shape (the shapes agree by
    construction, so the primitive is called without the public function's checks)."""
    if g.ndim:                   # a 0-d cotangent (everything was summed) broadcasts as it is
        g = _keep(g, x_shape, axes)
    return _broadcast_to(g, shape=tuple(x_shape))


def _axes_batch(prim):
    """Batching rule of an axis reduction: the batch is axis 0, so every axis moves by one."""
    def rule(args, batched, size, axis, **params):
        return prim(args[0], axis=tuple(a + 1 for a in axis), **params)
    return rule


def _axis_batch(prim):
    """Batching rule of an op along one axis (scans, argmax): the axis moves by one."""
    def rule(args, batched, size, axis, **params):
        return prim(args[0], axis=axis + 1, **params)
    return rule


# ----------------------------------------------------------------------------- sum and mean
@linear(name="sum")
def _sum(x, axis, keepdims):
    # the array's own method (NumPy's and CuPy's alike): it skips numpy.sum's Python wrapper
    return x.sum(axis=axis, keepdims=keepdims)


_sum.transposes(lambda g, out, x, axis, keepdims: _expand_back(g, x.shape, axis))
_sum.defbatch(_axes_batch(_sum))
_sum.formula(definition=r"y = \textstyle\sum_{i \in \text{axes}} x_i",
             derivative=r"\bar x_i = \bar y \text{ (broadcast back)}")


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001
    r"""Sum over ``axis`` (all axes when None).

    .. math:: y = \sum_{i \in \mathrm{axis}} x_i, \qquad \bar x_i = \bar y
    """
    x = as_tensor(x)
    return _sum(x, axis=_reduction_axes(axis, x.ndim, "sum"), keepdims=keepdims)


sum.primitive = _sum


def _sum_to(g, shape):
    """Adjoint of broadcasting: sum ``g`` down to ``shape`` (over the new leading axes, and
    over the axes where ``shape`` has length 1 and ``g`` has more)."""
    g_shape = g.shape
    lead = len(g_shape) - len(shape)
    if g_shape[lead:] == shape:        # only new leading axes (a bias): the sum has the shape already
        return _sum(g, axis=tuple(range(lead)), keepdims=False) if lead else g
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
    return reshape(_sum(g, axis=tuple(range(lead)) + kept, keepdims=False), shape)


def mean(x, axis=None, keepdims: bool = False):
    r"""Arithmetic mean over ``axis``: :math:`\frac1n \sum_i x_i`; derivative :math:`\bar x_i = \bar y / n`.

    The mean of an empty axis is undefined: :class:`ShapeError` (NumPy warns and returns NaN).
    """
    x = as_tensor(x)
    axes = _reduction_axes(axis, x.ndim, "mean")
    _require_nonempty(x.shape, axes, "mean", "mean")
    return _sum(x, axis=axes, keepdims=keepdims) * (1.0 / _count(x.shape, axes))


# ----------------------------------------------------------------------------- product
@primitive(name="prod")
def _prod(x, axis, keepdims):
    return xp(x).prod(x, axis=axis, keepdims=keepdims)


def _flip(x, axis):
    """``x`` reversed along ``axis`` (a view)."""
    return getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


def _shift(v, d, axis, fill):
    """``v`` moved ``d`` places toward the end of ``axis``: ``fill`` enters, the last ``d`` leave."""
    n = v.shape[axis]
    d = builtins.min(d, n)
    head = full(v.shape[:axis] + (d,) + v.shape[axis + 1:], fill, dtype=v.dtype)
    body = getitem(v, (slice(None),) * axis + (slice(0, n - d),))
    return concatenate([head, body], axis=axis)


def _exclusive_products(x, axis):
    r""":math:`\prod_{j \ne i} x_j` along one axis, for every :math:`i`, as the product of the
    exclusive cumulative products before and after :math:`i`."""
    if x.shape[axis] <= 1:
        return ones_like(x)
    before = _shift(_cumprod(x, axis=axis), 1, axis, 1.0)
    after = _flip(_shift(_cumprod(_flip(x, axis), axis=axis), 1, axis, 1.0), axis)
    return before * after


def _products_of_others(x, axes):
    r"""For each element, the product of the other elements of its reduced group.

    Several reduced axes are moved to the end and merged into one, so that one
    pair of exclusive cumulative products covers the whole group.
    """
    if len(axes) == 1:
        return _exclusive_products(x, axes[0])
    if _count(x.shape, axes) <= 1 or x.size == 0:
        return ones_like(x)
    kept = tuple(i for i in range(x.ndim) if i not in axes)
    order = kept + tuple(axes)
    moved = transpose(x, order)
    merged = reshape(moved, tuple(moved.shape[:len(kept)]) + (-1,))
    others = _exclusive_products(merged, len(kept))
    return transpose(reshape(others, moved.shape), _inverse_permutation(order))


_prod.defvjp(lambda g, out, x, axis, keepdims: _expand_back(g, x.shape, axis) * _products_of_others(x, axis))
_prod.defjvp(lambda dx, out, x, axis, keepdims: _sum(dx * _products_of_others(x, axis), axis=axis,
                                                      keepdims=keepdims))
_prod.defbatch(_axes_batch(_prod))
_prod.formula(definition=r"y = \textstyle\prod_{i \in \text{axes}} x_i",
              derivative=r"\bar x_i = \bar y \textstyle\prod_{j \ne i} x_j",
              convention=r"\prod_{j \ne i} x_j \text{ from exclusive cumulative products: exact with zeros}")


def prod(x, axis=None, keepdims: bool = False):
    r"""Product over ``axis`` (all axes when None); 1 over an empty axis.

    .. math:: y = \prod_{i} x_i, \qquad \frac{\partial y}{\partial x_i} = \prod_{j \ne i} x_j

    The derivative is *not* computed as :math:`y / x_i`, which is 0/0 at a zero.
    The products of the other elements are the exclusive cumulative products
    :math:`\prod_{j < i} x_j \cdot \prod_{j > i} x_j` (two ``cumprod`` passes, no
    division), exact with one zero (only that element gets a non-zero gradient)
    and with several (every gradient is 0).  The rule is a polynomial in
    :math:`x`, built from ``cumprod`` whose own derivatives are division-free,
    so second and higher derivatives are exact at zeros too.
    """
    x = as_tensor(x)
    return _prod(x, axis=_reduction_axes(axis, x.ndim, "prod"), keepdims=keepdims)


prod.primitive = _prod


# ----------------------------------------------------------------------------- max and min
@primitive(name="max")
def _max(x, axis, keepdims):
    return x.max(axis=axis, keepdims=keepdims)


@primitive(name="min")
def _min(x, axis, keepdims):
    return xp(x).min(x, axis=axis, keepdims=keepdims)


def _tie_weights(out, x, axis):
    r""":math:`[x_i = y] / \#\{j : x_j = y\}`: each extremal element's share of the derivative."""
    hit = astype(x == _keep(out, x.shape, axis), x.dtype)
    return hit / _sum(hit, axis=axis, keepdims=True)


for _extremum in (_max, _min):
    _extremum.defvjp(lambda g, out, x, axis, keepdims: _expand_back(g, x.shape, axis) * _tie_weights(out, x, axis))
    _extremum.defjvp(lambda dx, out, x, axis, keepdims: _sum(dx * _tie_weights(out, x, axis), axis=axis,
                                                              keepdims=keepdims))
    _extremum.defbatch(_axes_batch(_extremum))
_max.formula(definition=r"y = \max_i x_i", derivative=r"\bar x_i = \bar y\,[x_i = y] / \#\{j : x_j = y\}",
             convention="ties split the gradient evenly (forward and reverse)")
_min.formula(definition=r"y = \min_i x_i", derivative=r"\bar x_i = \bar y\,[x_i = y] / \#\{j : x_j = y\}",
             convention="ties split the gradient evenly (forward and reverse)")
_max.kinks(lambda x, axis, keepdims: (x == x.max(axis=axis, keepdims=True)).sum(axis=axis) > 1,
          "a tied maximum")
_min.kinks(lambda x, axis, keepdims: (x == x.min(axis=axis, keepdims=True)).sum(axis=axis) > 1,
           "a tied minimum")


def max(x, axis=None, keepdims: bool = False):  # noqa: A001
    r"""Largest element over ``axis`` (all axes when None): values only, as ``numpy.max``.

    .. math:: y = \max_i x_i, \qquad
              \frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{\#\{j : x_j = y\}}

    Convention: ties share the gradient evenly (PyTorch's ``amax`` does the same),
    in reverse and forward mode alike: :math:`\dot y` is the mean of the tangents of
    the maximal elements.  A NaN propagates to the value and makes the gradient NaN
    along its slice.  The maximum of an empty axis is undefined: :class:`ShapeError`.
    For indices use :func:`argmax`.
    """
    x = as_tensor(x)
    axes = _reduction_axes(axis, x.ndim, "max")
    _require_nonempty(x.shape, axes, "max", "maximum")
    return _max(x, axis=axes, keepdims=keepdims)


def min(x, axis=None, keepdims: bool = False):  # noqa: A001
    r"""Smallest element over ``axis`` (all axes when None): values only, as ``numpy.min``.

    .. math:: y = \min_i x_i, \qquad
              \frac{\partial y}{\partial x_i} = \frac{[x_i = y]}{\#\{j : x_j = y\}}

    Ties share the gradient evenly, in both modes, as :func:`max`.
    """
    x = as_tensor(x)
    axes = _reduction_axes(axis, x.ndim, "min")
    _require_nonempty(x.shape, axes, "min", "minimum")
    return _min(x, axis=axes, keepdims=keepdims)


max.primitive = _max
min.primitive = _min
amax = max
amin = min


# ----------------------------------------------------------------------------- moments
def _ddof(ddof, correction, op):
    if correction is not None:
        if ddof != 0:
            raise TypeError(f"{op}: give ddof or correction (its PyTorch name), not both")
        return correction
    return ddof


# var and std are composites (principle 3): NumPy computes the variance by the same two
# passes, and the composite's derivative, 2(x - mean)/(n - ddof), is exact and stable.
def var(x, axis=None, *, ddof=0, keepdims: bool = False, correction=None):
    r"""Variance over ``axis``, :math:`\frac{1}{n - \mathrm{ddof}} \sum_i (x_i - \bar x)^2`.

    .. math:: \frac{\partial\,\mathrm{var}}{\partial x_i} = \frac{2 (x_i - \bar x)}{n - \mathrm{ddof}}

    ``ddof=0`` (NumPy's default) is the maximum-likelihood estimate, ``ddof=1`` the
    unbiased one; ``correction`` is PyTorch's name for ``ddof`` (PyTorch defaults to 1).
    ``n - ddof <= 0`` leaves no degrees of freedom: :class:`ShapeError`, where NumPy
    warns and returns inf or NaN.
    """
    return _variance(x, axis, ddof, keepdims, correction, "var")


def _variance(x, axis, ddof, keepdims, correction, op):
    x = as_tensor(x)
    axes = _reduction_axes(axis, x.ndim, op)
    ddof = _ddof(ddof, correction, op)
    n = _count(x.shape, axes)
    if n - ddof <= 0:
        raise ShapeError(f"{op}: ddof={ddof} leaves n - ddof = {n - ddof} degrees of freedom for the {n} "
                         f"elements reduced over axis {axis} of {fmt_shape(x.shape)}; it must be positive")
    centered = x - mean(x, axis=axes, keepdims=True)
    return _sum(square(centered), axis=axes, keepdims=keepdims) * (1.0 / (n - ddof))


def std(x, axis=None, *, ddof=0, keepdims: bool = False, correction=None):
    r"""Standard deviation over ``axis``, :math:`\sqrt{\mathrm{var}(x)}`; ``ddof`` as in :func:`var`.

    .. math:: \frac{\partial\,\mathrm{std}}{\partial x_i} = \frac{x_i - \bar x}{(n - \mathrm{ddof})\,\mathrm{std}}

    At zero variance (all elements equal) the formula is 0/0: std has a kink
    there, like :math:`|x|` at 0 (the slope of :math:`\mathrm{std}(x + t v)` in
    :math:`t` jumps from :math:`-\mathrm{std}(v)` to :math:`\mathrm{std}(v)`).
    Convention: the gradient is 0 there, the minimal subgradient (std is convex
    with its minimum there), as in PyTorch, rather than NaN; second derivatives
    there are 0 as well.
    """
    v = _variance(x, axis, ddof, keepdims, correction, "std")
    # Double where: sqrt is evaluated at 1 where var = 0, so no infinite slope reaches
    # the gradient, and the selected branch there is the constant 0.
    zero = v == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


# ----------------------------------------------------------------------------- cumulative sums and products
@linear(name="cumsum")
def _cumsum(x, axis):
    return xp(x).cumsum(x, axis=axis)


# The adjoint of a running sum is the running sum from the other end: x̄_k = Σ_{i ≥ k} ȳ_i.
_cumsum.transposes(lambda g, out, x, axis: _flip(_cumsum(_flip(g, axis), axis=axis), axis))
_cumsum.defbatch(_axis_batch(_cumsum))
_cumsum.formula(definition=r"y_i = \textstyle\sum_{j \le i} x_j",
                derivative=r"\bar x_k = \textstyle\sum_{i \ge k} \bar y_i")


def _scan(prim, op, x, axis):
    x = as_tensor(x)
    if axis is None:                       # NumPy: over the flattened tensor
        return prim(reshape(x, (-1,)), axis=0)
    if x.ndim == 0:
        _reduction_axes(axis, 0, op)
        return x                           # a running total of one number
    return prim(x, axis=_scan_axis(axis, x.ndim, op))


def cumsum(x, axis=None):
    r"""Running sums :math:`y_i = \sum_{j \le i} x_j` along ``axis`` (the flattened tensor when None).

    .. math:: \bar x_k = \sum_{i \ge k} \bar y_i

    Linear: the forward derivative is the cumsum of the tangent, the reverse one a
    cumsum run from the end.
    """
    return _scan(_cumsum, "cumsum", x, axis)


cumsum.primitive = _cumsum


def _linear_recurrence(a, b, axis):
    r"""Solve :math:`s_i = a_i s_{i-1} + b_i` (:math:`s_{-1} = 0`) along ``axis`` by doubling.

    After the step with offset :math:`d`, each pair :math:`(A_i, B_i)` states
    :math:`s_i = A_i s_{i-2d} + B_i`; composing with the pair :math:`d` places back
    doubles the reach (Hillis–Steele), so :math:`\lceil\log_2 n\rceil` vectorised steps
    suffice.  Only sums and products appear: exact with zeros, differentiable to any order.
    """
    n = b.shape[axis]
    d = 1
    while d < n:
        b = b + a * _shift(b, d, axis, 0.0)
        if 2 * d < n:
            a = a * _shift(a, d, axis, 0.0)
        d *= 2
    return b


@primitive(name="cumprod")
def _cumprod(x, axis):
    return xp(x).cumprod(x, axis=axis)


def _cumprod_jvp(dx, out, x, axis):
    # ẏ_i = Σ_{k≤i} ẋ_k Π_{j≤i, j≠k} x_j satisfies ẏ_i = x_i ẏ_{i-1} + ẋ_i y_{i-1}.
    return _linear_recurrence(x, dx * _shift(out, 1, axis, 1.0), axis)


def _cumprod_vjp(g, out, x, axis):
    # x̄_k = y_{k-1} s_k with s_k = Σ_{i≥k} ȳ_i Π_{k<j≤i} x_j = ȳ_k + x_{k+1} s_{k+1}:
    # the same recurrence, run from the end.
    s = _linear_recurrence(_shift(_flip(x, axis), 1, axis, 0.0), _flip(g, axis), axis)
    return _shift(out, 1, axis, 1.0) * _flip(s, axis)


_cumprod.defvjp(_cumprod_vjp)
_cumprod.defjvp(_cumprod_jvp)
_cumprod.defbatch(_axis_batch(_cumprod))
_cumprod.formula(definition=r"y_i = \textstyle\prod_{j \le i} x_j",
                 derivative=r"\bar x_k = \textstyle\sum_{i \ge k} \bar y_i \prod_{j \le i,\, j \ne k} x_j",
                 convention="division-free (linear recurrences): exact with zeros")


def cumprod(x, axis=None):
    r"""Running products :math:`y_i = \prod_{j \le i} x_j` along ``axis`` (flattened when None).

    .. math:: \bar x_k = \sum_{i \ge k} \bar y_i \prod_{j \le i,\ j \ne k} x_j
              = y_{k-1}\, s_k, \qquad s_k = \bar y_k + x_{k+1} s_{k+1}

    The derivative never divides by :math:`x_k` (0/0 at a zero).  Both the forward
    derivative :math:`\dot y_i = x_i \dot y_{i-1} + \dot x_i y_{i-1}` and the reverse
    recurrence for :math:`s` are first-order linear recurrences, solved in
    :math:`\lceil\log_2 n\rceil` vectorised doubling steps with sums and products
    only, so derivatives of every order are exact with any number of zeros
    (cost :math:`O(n \log n)` per derivative instead of :math:`O(n)`).
    """
    return _scan(_cumprod, "cumprod", x, axis)


cumprod.primitive = _cumprod


# ----------------------------------------------------------------------------- not differentiable
@nondifferentiable(name="argmax")
def _argmax(x, axis, keepdims):
    return xp(x).argmax(x, axis=axis, keepdims=keepdims)


@nondifferentiable(name="argmin")
def _argmin(x, axis, keepdims):
    return xp(x).argmin(x, axis=axis, keepdims=keepdims)


@nondifferentiable(name="all")
def _all(x, axis, keepdims):
    return xp(x).all(x, axis=axis, keepdims=keepdims)


@nondifferentiable(name="any")
def _any(x, axis, keepdims):
    return xp(x).any(x, axis=axis, keepdims=keepdims)


_argmax.defbatch(_axis_batch(_argmax))
_argmin.defbatch(_axis_batch(_argmin))
_all.defbatch(_axes_batch(_all))
_any.defbatch(_axes_batch(_any))
for _p, _text in ((_argmax, r"\arg\max_i x_i"), (_argmin, r"\arg\min_i x_i"),
                  (_all, r"\bigwedge_i x_i \ne 0"), (_any, r"\bigvee_i x_i \ne 0")):
    _p.formula(definition=_text, derivative="none (integer or boolean result)")


def _arg_extremum(prim, op, x, axis, keepdims):
    x = as_tensor(x)
    if axis is None or x.ndim == 0:
        if axis is not None:
            _reduction_axes(axis, 0, op)
        _require_nonempty((x.size,), (0,), op, "index of the extremum")
        index = prim(reshape(x, (-1,)), axis=0, keepdims=False)     # NumPy: into the flattened tensor
        return reshape(index, (1,) * x.ndim) if keepdims else index
    a = _scan_axis(axis, x.ndim, op)
    _require_nonempty(x.shape, (a,), op, "index of the extremum")
    return prim(x, axis=a, keepdims=keepdims)


def argmax(x, axis=None, keepdims: bool = False):
    """Index (int64) of the largest element along ``axis``, into the flattened tensor when None.

    Ties go to the first occurrence, NaN counts as the largest (NumPy).  Not differentiable.
    """
    return _arg_extremum(_argmax, "argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims: bool = False):
    """Index (int64) of the smallest element along ``axis``; first occurrence wins.  Not differentiable."""
    return _arg_extremum(_argmin, "argmin", x, axis, keepdims)


def all(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Whether every element along ``axis`` is non-zero (True over an empty axis); boolean."""
    x = as_tensor(x)
    return _all(x, axis=_reduction_axes(axis, x.ndim, "all"), keepdims=keepdims)


def any(x, axis=None, keepdims: bool = False):  # noqa: A001
    """Whether some element along ``axis`` is non-zero (False over an empty axis); boolean."""
    x = as_tensor(x)
    return _any(x, axis=_reduction_axes(axis, x.ndim, "any"), keepdims=keepdims)


argmax.primitive, argmin.primitive, all.primitive, any.primitive = _argmax, _argmin, _all, _any


# The functions that are also Tensor methods (``x.sum()``), wired in ``ops/__init__.py``.
# ``x.max(axis)`` returns values only (NumPy), not PyTorch's (values, indices) pair.
TENSOR_METHODS = {
    "sum": sum, "mean": mean, "prod": prod, "max": max, "min": min, "amax": amax, "amin": amin,
    "var": var, "std": std,
    "cumsum": cumsum, "cumprod": cumprod, "argmax": argmax, "argmin": argmin, "all": all, "any": any,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
