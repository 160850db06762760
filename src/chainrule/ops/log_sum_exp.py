r"""Normalized exponentials: log-sum-exp, softmax and log-softmax.

The three are one function seen three ways.  With :math:`\operatorname{lse}(x) =
\log\sum_j e^{x_j}`,

.. math:: \operatorname{softmax}(x)_i = e^{x_i - \operatorname{lse}(x)}, \qquad
          \operatorname{log\_softmax}(x)_i = x_i - \operatorname{lse}(x), \qquad
          \nabla \operatorname{lse}(x) = \operatorname{softmax}(x).

Each is a primitive rather than a composite of ``exp``, ``sum`` and ``log``: computed
naively, :math:`e^{x}` overflows for :math:`x \gtrsim 88` in float32 and the log of a
sum of underflowed terms is :math:`-\infty`.  Shifting by the maximum keeps every
exponent :math:`\le 0`, and the rules reuse the output (``softmax`` from ``lse``)
instead of recomputing exponentials, so values and derivatives stay finite at
:math:`\pm 1000`.

Conventions: an all :math:`-\infty` slice has :math:`\operatorname{lse} = -\infty` and
gradient 0; ``softmax`` of such a slice is NaN, as in PyTorch and SciPy.
"""
from __future__ import annotations

import contextlib
import math

from ..autodiff.batching import materialize
from ..autodiff.primitive import primitive
from ..backend import xp
from .creation import as_tensor
from .elementwise import exp, where
from .reductions import _axes_batch, _expand_back, _keep, _keep_shape, _reduction_axes, _sum


# ----------------------------------------------------------------------------- log-sum-exp
def _quiet_log_of_zero(ns):
    """log(0) = -inf is the right answer for an all -inf slice: no warning for it."""
    errstate = getattr(ns, "errstate", None)
    return errstate(divide="ignore") if errstate is not None else contextlib.nullcontext()


@primitive(name="logsumexp")
def _logsumexp(x, axis, keepdims):
    ns = xp(x)
    # Subtracting the maximum keeps exp from overflowing; where the maximum is not finite
    # (an all -inf slice, or +inf), shift by 0 instead, so that -inf gives log 0 = -inf.
    m = ns.max(x, axis=axis, keepdims=True) if x.size else ns.zeros(_keep_shape(x.shape, axis), x.dtype)
    m = ns.where(ns.isfinite(m), m, 0)
    with _quiet_log_of_zero(ns):
        out = ns.log(ns.sum(ns.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axis))


def _softmax_weights(out, x, axis):
    r""":math:`e^{x - \mathrm{lse}(x)}`, the softmax; 0 (not NaN) on an all :math:`-\infty` slice."""
    y = _keep(out, x.shape, axis)
    return exp(x - where(y == -math.inf, 0.0, y))


_logsumexp.defvjp(lambda g, out, x, axis, keepdims: _expand_back(g, x.shape, axis) * _softmax_weights(out, x, axis))
_logsumexp.defjvp(lambda dx, out, x, axis, keepdims: _sum(dx * _softmax_weights(out, x, axis), axis=axis,
                                                           keepdims=keepdims))
_logsumexp.defbatch(_axes_batch(_logsumexp))
_logsumexp.formula(definition=r"y = \log \textstyle\sum_i e^{x_i}", derivative=r"\bar x = \bar y\,\mathrm{softmax}(x)",
                   convention=r"\text{all } x_i = -\infty:\ y = -\infty,\ \bar x = 0")


def logsumexp(x, axis=None, keepdims: bool = False):
    r""":math:`y = \log \sum_i e^{x_i}` over ``axis`` (all axes when None), without overflow.

    .. math:: y = m + \log \sum_i e^{x_i - m},\ m = \max_i x_i, \qquad
              \frac{\partial y}{\partial x_i} = e^{x_i - y} = \mathrm{softmax}(x)_i

    A primitive rather than ``log(sum(exp(x)))``: the composite overflows at
    :math:`x = 1000` and its derivative divides by a sum that can underflow.
    Entries :math:`-\infty` contribute 0.  When every entry along the axis is
    :math:`-\infty` (or the axis is empty) the value is :math:`-\infty`, and the
    gradient there is 0: moving any entry by a finite amount leaves the value at
    :math:`-\infty` (PyTorch returns NaN).  An entry :math:`+\infty` gives
    :math:`+\infty` with a NaN gradient.
    """
    x = as_tensor(x)
    return _logsumexp(x, axis=_reduction_axes(axis, x.ndim, "logsumexp"), keepdims=keepdims)


logsumexp.primitive = _logsumexp


# ----------------------------------------------------------------------------- softmax and log-softmax
def _softmax_axes(axis, dim, ndim, op):
    if dim is not None:
        if axis != -1:
            raise TypeError(f"{op}: give axis or dim (its PyTorch name), not both")
        axis = dim
    return _reduction_axes(axis, ndim, op)


@primitive(name="softmax")
def _softmax(x, axis):
    ns = xp(x)
    if x.size == 0:
        return ns.exp(x)
    e = ns.exp(x - ns.max(x, axis=axis, keepdims=True))
    return e / ns.sum(e, axis=axis, keepdims=True)


_softmax.defvjp(lambda g, out, x, axis: out * (g - _sum(g * out, axis=axis, keepdims=True)))
_softmax.defjvp(lambda dx, out, x, axis: out * (dx - _sum(dx * out, axis=axis, keepdims=True)))
_softmax.defbatch(_axes_batch(_softmax))
_softmax.formula(definition=r"y_i = e^{x_i} / \textstyle\sum_j e^{x_j}",
                 derivative=r"\bar x = y \odot (\bar y - \langle \bar y, y\rangle)")


def softmax(x, axis=-1, *, dim=None):
    r"""Softmax along ``axis`` (``dim`` is accepted as PyTorch's name), computed stably.

    .. math:: y_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},\ m = \max_j x_j, \qquad
              \bar x = y \odot \Big(\bar y - \sum_j \bar y_j y_j\Big), \quad
              \dot y = y \odot \Big(\dot x - \sum_j \dot x_j y_j\Big)

    Entries :math:`-\infty` get probability 0; a slice of only :math:`-\infty` is
    0/0 = NaN, as in PyTorch and SciPy.
    """
    x = as_tensor(x)
    return _softmax(x, axis=_softmax_axes(axis, dim, x.ndim, "softmax"))


softmax.primitive = _softmax


@primitive(name="log_softmax")
def _log_softmax(x, axis):
    ns = xp(x)
    if x.size == 0:
        return ns.exp(x)
    # the arrays' own max and sum (NumPy's and CuPy's alike) skip numpy.max's Python wrapper
    shifted = x - x.max(axis=axis, keepdims=True)                 # x - logsumexp(x), stably
    return shifted - ns.log(ns.exp(shifted).sum(axis=axis, keepdims=True))


@primitive(name="log_softmax_vjp")
def _log_softmax_vjp(g, out, axis):
    r"""The cotangent of log-softmax's input, :math:`\bar x = g - e^{y} \sum_j g_j`, from the
    cotangent ``g`` of its output ``y`` (PyTorch's ``_log_softmax_backward_data``).

    One primitive instead of four (exp, sum, product, difference): it runs in the
    backward pass of every classification loss.  Linear in ``g``; in ``y``,

    .. math:: \bar g = \bar{x}' - \textstyle\sum_j e^{y_j} \bar{x}'_j, \qquad
              \bar y = -e^{y} \odot \bar{x}' \textstyle\sum_j g_j

    (:math:`\bar{x}'` the cotangent of its result, sums along ``axis`` and broadcast back).
    """
    total = g.sum(axis=axis, keepdims=True)
    return g - xp(out).exp(out) * total


def _centred(v, out, axis):
    r""":math:`v - \sum_j e^{y_j} v_j` for log-softmax outputs :math:`y`: log-softmax's JVP, and
    the adjoint in ``g`` of :func:`_log_softmax_vjp`."""
    return v - _sum(exp(out) * v, axis=axis, keepdims=True)


def _log_softmax_vjp_dout(t, g, out, axis):
    r"""The derivative of :func:`_log_softmax_vjp` in ``y`` applied to ``t`` (a diagonal map, so
    its own adjoint): :math:`-e^{y} \odot t \sum_j g_j`."""
    return -exp(out) * t * _sum(g, axis=axis, keepdims=True)


_log_softmax_vjp.defvjp(lambda ct, res, g, out, axis: _centred(ct, out, axis),
                        lambda ct, res, g, out, axis: _log_softmax_vjp_dout(ct, g, out, axis))
_log_softmax_vjp.defjvp(lambda dg, res, g, out, axis: _log_softmax_vjp(dg, out, axis=axis),     # linear in g
                        lambda dout, res, g, out, axis: _log_softmax_vjp_dout(dout, g, out, axis))


def _log_softmax_vjp_batch(args, batched, size, axis):
    g, out = (a if b else materialize(a, size) for a, b in zip(args, batched))
    return _log_softmax_vjp(g, out, axis=tuple(a + 1 for a in axis))


_log_softmax_vjp.defbatch(_log_softmax_vjp_batch)
_log_softmax_vjp.formula(definition=r"\bar x = g - e^{y} \textstyle\sum_j g_j",
                         derivative=(r"\bar g = \bar r - \textstyle\sum_j e^{y_j} \bar r_j,\ "
                                     r"\bar y = -e^{y} \odot \bar r \textstyle\sum_j g_j"))

_log_softmax.defvjp(lambda g, out, x, axis: _log_softmax_vjp(g, out, axis=axis))
_log_softmax.defjvp(lambda dx, out, x, axis: _centred(dx, out, axis))
_log_softmax.defbatch(_axes_batch(_log_softmax))
_log_softmax.formula(definition=r"y = x - \log \textstyle\sum_j e^{x_j}",
                     derivative=r"\bar x = \bar y - \mathrm{softmax}(x) \textstyle\sum_j \bar y_j")


def log_softmax(x, axis=-1, *, dim=None):
    r"""Logarithm of the softmax along ``axis`` (or ``dim``): :math:`y = x - \mathrm{logsumexp}(x)`.

    .. math:: \bar x = \bar y - \mathrm{softmax}(x) \sum_j \bar y_j, \qquad
              \dot y = \dot x - \sum_j \mathrm{softmax}(x)_j\, \dot x_j

    A primitive (principle 3): ``log(softmax(x))`` loses everything below the
    smallest float for very negative entries and its derivative divides by
    the softmax.  Here :math:`-\infty` entries give :math:`-\infty`, large
    entries never overflow; an all :math:`-\infty` slice gives NaN (as PyTorch).
    """
    x = as_tensor(x)
    return _log_softmax(x, axis=_softmax_axes(axis, dim, x.ndim, "log_softmax"))


log_softmax.primitive = _log_softmax


# The functions that are also Tensor methods (``x.softmax()``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
