r"""Pooling: summarize each window of an image by its maximum or its mean.

===========================  ================================================================
function / layer             computes, for window :math:`\Omega_{h,w}`
===========================  ================================================================
``max_pool1d/2d``            :math:`y_{n,c,h,w} = \max_{(u,v) \in \Omega_{h,w}} x_{n,c,u,v}`
``avg_pool1d/2d``            :math:`y_{n,c,h,w} = \frac{1}{|\Omega_{h,w}|} \sum_{(u,v) \in \Omega_{h,w}} x_{n,c,u,v}`
``adaptive_avg_pool2d``      the mean over bins that tile the image into a given output size
===========================  ================================================================

Windows are those of :mod:`chainrule.ops.conv` (kernel :math:`k`, stride :math:`s`,
default :math:`s = k`, padding :math:`p`, dilation :math:`d`):
:math:`H_\mathrm{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1`, or with
``ceil_mode`` rounded up, dropping a last window that would start in the right padding
(PyTorch's rule).

Derivatives.  Max pooling selects one element per window, :math:`y = x[\mathrm{idx}(x)]`
(three primitives: the window maxima with their indices, a gather ``take_2d`` and its
adjoint scatter ``scatter_add_2d``), so the cotangent goes to the position of the maximum (scatter-added where windows
overlap); at ties the *first* maximum in row-major window order receives it (PyTorch's
convention).  Average pooling is linear: :math:`\bar x` spreads :math:`\bar y / |\Omega|`
over each window.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff.batching import materialize
from ..autodiff.primitive import linear, primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..ops.conv import (_as_strided, _channel_major, _disjoint, _merge_images, _padded, _pair, _spatial,
                        _split_images, _unfold)
from ..ops.products import matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import reshape, transpose
from ..tensor import Tensor
from .module import Module


# ----------------------------------------------------------------------------- geometry
def _pool_size(size, kernel, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output size along one axis."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * pad - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1                     # the last window would start in the right padding
    return out


def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode, spatial):
    """Checked parameters as pairs, the output size, and the padding (with the extra
    right/bottom padding that ``ceil_mode`` windows need) as explicit pairs."""
    dims = "×".join("HW"[2 - spatial:])
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ShapeError(f"{op}: expected input of shape (N×C×{dims}) or (C×{dims}), got {fmt_shape(x.shape)}")
    kernel = _spatial(kernel_size, "kernel_size", op, 1, spatial, 1)
    stride = kernel if stride is None or stride == () or stride == [] else \
        _spatial(stride, "stride", op, 1, spatial, 1)
    pads = _spatial(padding, "padding", op, 0, spatial, 0)
    dilation = _spatial(dilation, "dilation", op, 1, spatial, 1)
    for k, d, p in zip(kernel, dilation, pads):
        if 2 * p > d * (k - 1) + 1:
            raise ValueError(f"{op}: padding should be at most half of the effective kernel size, got "
                             f"padding={padding!r} with kernel_size={kernel_size!r} and dilation={dilation[-1]}")
    size = (1,) * (2 - spatial) + tuple(x.shape[-spatial:])
    out = tuple(_pool_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(size, kernel, stride, pads, dilation))
    if min(out) < 1:
        raise ShapeError(f"{op}: kernel size {kernel_size!r} (dilation {dilation[-1]}, padding {padding!r}) is larger "
                         f"than the padded input {fmt_shape(x.shape)}: the output would be {out}")
    # Right padding so that exactly `out` windows fit (ceil_mode may need more than p).
    explicit = tuple((p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
                     for n, k, s, p, d, o in zip(size, kernel, stride, pads, dilation, out))
    return kernel, stride, explicit, dilation, out


def _as_images(x, spatial):
    """(N, C, H, W) from a batched or unbatched 1-D or 2-D input, and how to undo it."""
    shape = tuple(x.shape)
    lead = shape[:-spatial] if x.ndim == spatial + 2 else (1,) + shape[:-spatial]
    images = reshape(x, lead + (1,) * (2 - spatial) + shape[-spatial:])

    def back(y):
        return reshape(y, shape[:-spatial] + tuple(y.shape[4 - spatial:]))
    return images, back


# ----------------------------------------------------------------------------- max pooling: primitives
# max over a window = the element at its argmax: y = x[idx(x)].  The index is piecewise
# constant (no derivative), the selection linear, so max pooling is exactly as differentiable
# as indexing: the cotangent goes to the argmax, and second derivatives are zero.  One
# primitive returns the maxima together with their indices, since the search for the
# index finds the maxima first (selecting them again by index cost 2.4 ms of a 7.2 ms
# forward pass, 128×16×28×28 images); its rules are the selection's, take_2d and its
# adjoint scatter_add_2d.
#
# Layout: each operation here keeps the memory order of its images.  A convolution's
# product leaves channel-major (C, N, H, W) memory behind its NCHW view; pooling it into
# NCHW order, and the cotangent back, would copy every image twice.
@primitive(name="max_pool2d_with_indices", multiple_results=True)
def _max_pool2d_with_indices(x, kernel_size, dilation, padding, stride, out_size):
    r"""The maximum of every window of (N, C, H, W) images, and the flat index (into H·W)
    of its first occurrence:

    .. math:: \mathrm{idx}_{n,c,h,w} = \arg\max_{(i,j)}\; x_{n,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w},
              \qquad y_{n,c,h,w} = x_{n,c,\,\mathrm{idx}_{n,c,h,w}}

    with the index taken as :math:`(s_h h + d_h i - p_h) W + s_w w + d_w j - p_w`; the
    padding reads :math:`-\infty`, ties go to the first (i, j) in row-major order, a NaN
    wins.  The maxima are a selection, linear in x for a fixed index:

    .. math:: \bar x = \mathrm{scatter\_add\_2d}(\bar y, \mathrm{idx}), \qquad
              \dot y = \mathrm{take\_2d}(\dot x, \mathrm{idx})

    and the index, piecewise constant, has no derivative.
    """
    ns = xp(x)
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (sh, sw) = kernel_size, dilation, stride
    ho, wo = out_size
    (pt, _), (pl, _) = padding
    padded = _padded(x, padding, fill=-ns.inf)
    sn, sc, sy, sx = padded.strides
    swap = _channel_major(padded)
    lead, lead_strides = ((c, n), (sc, sn)) if swap else ((n, c), (sn, sc))
    # One row per kernel position (a copy of the windows, kernel-major), so that the max
    # and the first hit are elementwise operations on long contiguous rows: NumPy
    # vectorizes only contiguous operands (the maxima over strided views of the image took
    # 1.6 ms, over the rows 0.2 ms plus 1.0 ms for the copy, 128×16×28×28), and a
    # reduction along windows of 4 or 9 elements pays per window.
    taps = _as_strided(padded, (kh, kw) + lead + (ho, wo), (dh * sy, dw * sx) + lead_strides + (sh * sy, sw * sx))
    rows = taps.reshape(kh * kw, -1)
    best = rows.max(axis=0)
    first = _first_hit(rows, best)
    # Tap (i, j) = divmod(first, kw) lies i·d_h·W + j·d_w after its window's first pixel;
    # integer arithmetic, since a lookup table indexed by the tap took 10× as long.
    index = first.astype(np.int64)
    if dw != 1:
        index *= dw
    if dh * w != kw * dw:                      # zero when the rows of taps abut
        index += ns.multiply(first // kw, dh * w - kw * dw, dtype=np.int64)
    index = index.reshape(lead + (ho, wo))
    index += (ns.arange(ho) * sh - pt)[:, None] * w + (ns.arange(wo) * sw - pl)
    best = best.reshape(lead + (ho, wo))
    if padding != ((0, 0), (0, 0)) and ns.isneginf(best).any():
        # Only a window whose image elements are all -inf can pick the padding: take its
        # first tap inside the image instead, as PyTorch does.
        index = _first_inside(index, best, (h, w), kernel_size, dilation, padding, stride)
    if swap:
        return best.transpose(1, 0, 2, 3), index.transpose(1, 0, 2, 3)
    return best, index


def _first_hit(rows, best):
    """For each column of ``rows`` (K, M), the first row k with ``rows[k] == best`` (a NaN
    matching a NaN), counted as the number of rows that miss before it: one comparison
    per kernel position on contiguous rows (``argmax`` of the K×M hits took 3× as long)."""
    ns = xp(rows)
    kk = rows.shape[0]
    nan_best = ns.isnan(best) if ns.isnan(best).any() else None      # a NaN is the maximum of its window

    def misses(row):
        out = row != best
        if nan_best is not None:
            out &= ~(nan_best & ns.isnan(row))
        return out
    missed = misses(rows[0])
    count = missed.astype(np.min_scalar_type(kk))
    for k in range(1, kk - 1):
        missed &= misses(rows[k])
        count += missed
    return count


def _first_inside(index, best, size, kernel_size, dilation, padding, stride):
    """Indices of all -inf windows moved from their first tap to their first tap in the image."""
    ns = xp(index)
    (_, w), (dh, dw), (sh, sw) = size, dilation, stride
    (pt, _), (pl, _) = padding
    ho, wo = index.shape[-2:]
    top = ns.arange(ho) * sh - pt
    left = ns.arange(wo) * sw - pl
    row = top + (-ns.minimum(top, 0) + dh - 1) // dh * dh          # first tap row ≥ 0
    col = left + (-ns.minimum(left, 0) + dw - 1) // dw * dw
    return ns.where(ns.isneginf(best), row[:, None] * w + col, index)


def _plane_order(index):
    """The axes of ``index`` (…, Ho, Wo) with its leading axes sorted outermost-first in
    memory, so that the transposed index is contiguous when the index was laid out by
    :func:`_max_pool2d_with_indices`."""
    lead = index.ndim - 2
    return tuple(sorted(range(lead), key=lambda axis: -index.strides[axis])) + (lead, lead + 1)


def _plane_offsets(index, plane_size):
    """``index`` plus the offset of its image in a buffer holding the images in order."""
    ns = xp(index)
    lead = index.shape[:-2]
    starts = ns.arange(math.prod(lead), dtype=np.int64) * plane_size
    return index + starts.reshape(tuple(lead) + (1, 1))


@linear(name="take_2d", linear_args=(0,))
def _take_2d(x, index, unique):
    r"""Select one element of each image by flat index: :math:`y_{\dots,p} = x_{\dots,\,\mathrm{idx}_{\dots,p}}`,
    indexing the flattened last two axes of x.  Linear; the adjoint scatter-adds,
    :math:`\bar x_{\dots,u} = \sum_{p : \mathrm{idx}_{\dots,p} = u} \bar y_{\dots,p}`.

    ``unique`` (no index repeats within an image) is passed on to the adjoint."""
    ns = xp(x)
    order = _plane_order(index)
    planes = x.transpose(order).reshape(-1)          # a view when x is laid out as the index
    index = index.transpose(order)
    out = ns.take(planes, _plane_offsets(index, x.shape[-2] * x.shape[-1]))
    return out.transpose(np.argsort(order))


@linear(name="scatter_add_2d", linear_args=(0,))
def _scatter_add_2d(g, index, size, unique):
    r"""Zeros of shape (..., H, W) with (H, W) = ``size`` and each ``g[..., p, q]`` added at
    ``index[..., p, q]``: :math:`y_{\dots,u} = \sum_{p : \mathrm{idx}_{\dots,p} = u} g_{\dots,p}`.
    Linear; its adjoint is :func:`_take_2d`.  When ``unique`` no index repeats and a plain
    assignment suffices.  The images are laid out in memory as the index's."""
    ns = xp(g)
    order = _plane_order(index)
    index, g = index.transpose(order), g.transpose(order)
    out = ns.zeros(tuple(g.shape[:-2]) + tuple(size), dtype=g.dtype)
    offsets = _plane_offsets(index, size[0] * size[1])
    if unique:
        out.reshape(-1)[offsets] = g
    else:
        ns.add.at(out.reshape(-1), offsets, g)
    return out.transpose(np.argsort(order))


_take_2d.transposes(lambda g, out, x, index, unique:
                    _scatter_add_2d(g, index, size=tuple(x.shape[-2:]), unique=unique), None)
_scatter_add_2d.transposes(lambda g, out, ct, index, size, unique: _take_2d(g, index, unique=unique), None)


def _max_pool_vjp(g, out, x, kernel_size, dilation, padding, stride, out_size):
    if g[0] is None:
        return None
    return _scatter_add_2d(g[0], out[1], size=tuple(x.shape[2:]),
                           unique=_disjoint(kernel_size, dilation, stride, out_size))


def _max_pool_jvp(dx, out, x, kernel_size, dilation, padding, stride, out_size):
    return _take_2d(dx, out[1], unique=_disjoint(kernel_size, dilation, stride, out_size)), None


def _max_pool_batch(args, batched, size, **params):
    y, index = _max_pool2d_with_indices(_merge_images(args[0]), **params)
    return _split_images(y, size), _split_images(index, size)


def _same_lead_batch(prim):
    """Batching rule of take/scatter: the batch is one more leading axis of both operands."""
    def rule(args, batched, batch_size, **params):      # (scatter_add_2d has a parameter `size`)
        return prim(*[a if b else materialize(a, batch_size) for a, b in zip(args, batched)], **params)
    return rule


_max_pool2d_with_indices.defvjp(_max_pool_vjp)
_max_pool2d_with_indices.defjvp(_max_pool_jvp)
_max_pool2d_with_indices.defbatch(_max_pool_batch)
_take_2d.defbatch(_same_lead_batch(_take_2d))
_scatter_add_2d.defbatch(_same_lead_batch(_scatter_add_2d))
_max_pool2d_with_indices.formula(
    definition=r"\mathrm{idx}_{n,c,h,w} = \arg\max_{(i,j)} x_{n,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w},\ "
               r"y = x_{\mathrm{idx}}",
    derivative=r"\bar x = \mathrm{scatter\_add\_2d}(\bar y, \mathrm{idx})",
    convention="the first maximum in row-major window order (PyTorch's); padding is -inf; the index has no derivative")
_take_2d.formula(definition=r"y_{\dots,p} = x_{\dots,\mathrm{idx}_{\dots,p}}",
                 derivative=r"\bar x = \mathrm{scatter\_add\_2d}(\bar y, \mathrm{idx})")
_scatter_add_2d.formula(definition=r"y_{\dots,u} = \textstyle\sum_{p : \mathrm{idx}_{\dots,p} = u} g_{\dots,p}",
                        derivative=r"\bar g = \mathrm{take\_2d}(\bar y, \mathrm{idx})",
                        convention="repeated indices (overlapping windows) add")


# ----------------------------------------------------------------------------- max pooling
def _max_pool(op, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, spatial):
    kernel, stride, pads, dilation, out = _pool_geometry(op, x, kernel_size, stride, padding, dilation,
                                                         ceil_mode, spatial)
    images, back = _as_images(x, spatial)
    y, index = _max_pool2d_with_indices(images, kernel_size=kernel, dilation=dilation, padding=pads, stride=stride,
                                        out_size=out)
    y = back(y)
    if return_indices:
        return y, back(index)
    return y


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    r"""2-D max pooling of (N, C, H, W) or (C, H, W): the maximum of each window.

    .. math:: y_{n,c,h,w} = \max_{i,j}\; x_{n,c,\; s_h h + d_h i - p_h,\; s_w w + d_w j - p_w}

    (padding counts as :math:`-\infty`; ``stride`` defaults to ``kernel_size``; padding at
    most half the effective kernel, as PyTorch requires).  The derivative routes the
    cotangent to the maximum of each window, :math:`\bar x_{\mathrm{idx}} \mathrel{+}= \bar y`,
    adding where overlapping windows share it; at ties the first maximum in row-major
    window order gets it.  ``return_indices=True`` also returns the flat index of each
    maximum within its image's :math:`H \cdot W` (PyTorch's convention).
    """
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    r"""1-D max pooling of (N, C, L) or (C, L): :math:`y_{n,c,t} = \max_i x_{n,c,\,s t + d i - p}`.

    Derivative and conventions as :func:`max_pool2d` (the first maximum of a window gets
    the cotangent).
    """
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


# ----------------------------------------------------------------------------- average pooling
def _divisors(size, kernel, stride, pad, out, count_include_pad):
    """PyTorch's divisor along one axis for each window: the window's length clipped to the
    padded input (count_include_pad) or to the input itself."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_pool(op, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, spatial):
    kernel, stride, pads, dilation, out = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode,
                                                         spatial)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{op}: divisor_override must be nonzero")
    images, back = _as_images(x, spatial)
    n, c = images.shape[:2]
    cols = _unfold(images, kernel_size=kernel, dilation=dilation, padding=pads, stride=stride)
    sums = reduce_sum(reshape(cols, (c, kernel[0] * kernel[1], n, out[0] * out[1])), axis=1)   # (C, N, L)
    size = images.shape[2:]
    if divisor_override is not None:
        divisor = np.full(out, float(divisor_override))
    else:
        rows, columns = (_divisors(size[a], kernel[a], stride[a], pads[a][0], out[a], count_include_pad)
                         for a in range(2))
        divisor = np.outer(rows, columns).astype(float)
    y = sums * Tensor._wrap((1.0 / divisor).reshape(-1).astype(images.dtype))
    return back(transpose(reshape(y, (c, n) + out), (1, 0, 2, 3)))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    r"""2-D average pooling of (N, C, H, W) or (C, H, W): the mean of each window.

    .. math:: y_{n,c,h,w} = \frac{1}{D_{h,w}} \sum_{i,j} x_{n,c,\; s_h h + i - p_h,\; s_w w + j - p_w},
              \qquad \bar x_{n,c,u,v} = \sum_{(h,w) \ni (u,v)} \frac{\bar y_{n,c,h,w}}{D_{h,w}}

    with zeros in the padding and :math:`D_{h,w}` PyTorch's divisor: the window's size
    within the padded input (``count_include_pad=True``), within the input alone (False), or
    ``divisor_override``.
    """
    return _avg_pool("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    r"""1-D average pooling of (N, C, L) or (C, L):
    :math:`y_{n,c,t} = \frac{1}{D_t}\sum_i x_{n,c,\,s t + i - p}` (see :func:`avg_pool2d`)."""
    return _avg_pool("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def _bin_matrix(size, out, dtype):
    r"""The (out × size) averaging matrix of adaptive pooling: row :math:`i` averages the
    bin :math:`[\lfloor i\,n/m \rfloor, \lceil (i+1)\,n/m \rceil)`."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    u = np.arange(size)
    inside = (u >= start[:, None]) & (u < end[:, None])
    return Tensor._wrap((inside / (end - start)[:, None]).astype(dtype))


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    r"""Average pooling to a given output size (N, C, H_out, W_out), whatever the input size.

    Output row :math:`i` averages input rows :math:`[\lfloor iH/H_\mathrm{out} \rfloor,
    \lceil (i+1)H/H_\mathrm{out} \rceil)`, and columns alike (PyTorch's bins).  The mean over
    a rectangle is separable, so

    .. math:: y = A_H\, x\, A_W^\top, \qquad \bar x = A_H^\top\, \bar y\, A_W

    with :math:`A` the averaging matrices.  An entry of ``output_size`` may be None (keep
    that size).
    """
    op = "adaptive_avg_pool2d"
    if input.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected input of shape (N×C×H×W) or (C×H×W), got {fmt_shape(input.shape)}")
    h, w = input.shape[-2:]
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        output_size = tuple(n if o is None else o for o, n in zip(output_size, (h, w)))
    out_h, out_w = _pair(output_size, "output_size", op, 1)
    if h == 0 or w == 0:
        raise ShapeError(f"{op}: the input {fmt_shape(input.shape)} has an empty spatial dimension")
    rows = _bin_matrix(h, out_h, input.dtype)
    columns = _bin_matrix(w, out_w, input.dtype)
    return matmul(matmul(rows, input), columns.mT)


# ----------------------------------------------------------------------------- layers
def _name(layer) -> str:
    """How a layer names itself in error messages: ``MaxPool2d(kernel_size=2, ...)``."""
    return f"{type(layer).__name__}({layer.extra_repr()})"


class _MaxPoolNd(Module):
    spatial = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, (kernel_size if stride is None else stride)
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return _max_pool(_name(self), input, self.kernel_size, self.stride, self.padding, self.dilation,
                         self.ceil_mode, self.return_indices, self.spatial)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    r"""2-D max pooling layer: :func:`max_pool2d` of (N, C, H, W) or (C, H, W) inputs.

    .. math:: y_{n,c,h,w} = \max_{i,j}\; x_{n,c,\; s_h h + d_h i - p_h,\; s_w w + d_w j - p_w}

    The gradient goes to the first maximum of each window.  No parameters.
    """

    spatial = 2


class MaxPool1d(_MaxPoolNd):
    r"""1-D max pooling layer: :func:`max_pool1d` of (N, C, L) or (C, L) inputs,
    :math:`y_{n,c,t} = \max_i x_{n,c,\,s t + d i - p}`."""

    spatial = 1


class _AvgPoolNd(Module):
    spatial = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, (kernel_size if stride is None else stride)
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return _avg_pool(_name(self), input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                         self.count_include_pad, self.divisor_override, self.spatial)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    r"""2-D average pooling layer: :func:`avg_pool2d` of (N, C, H, W) or (C, H, W) inputs.

    .. math:: y_{n,c,h,w} = \frac{1}{D_{h,w}} \sum_{i,j} x_{n,c,\; s_h h + i - p_h,\; s_w w + j - p_w}

    with the divisor :math:`D` of ``count_include_pad`` / ``divisor_override``.  No parameters.
    """

    spatial = 2


class AvgPool1d(_AvgPoolNd):
    r"""1-D average pooling layer: :func:`avg_pool1d` of (N, C, L) or (C, L) inputs,
    :math:`y_{n,c,t} = \frac{1}{D_t}\sum_i x_{n,c,\,s t + i - p}`."""

    spatial = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AdaptiveAvgPool2d(Module):
    r"""Average pooling to a fixed output size: :func:`adaptive_avg_pool2d`,
    :math:`y = A_H\, x\, A_W^\top` with PyTorch's bins.  No parameters."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
