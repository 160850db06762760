r"""Sliding windows: convolution (and the windows that pooling, ``nn/pooling.py``, reads too).

Every operation here reads small windows of an image.  For an input of height
:math:`H` padded by :math:`p` on each side, a window of :math:`k` taps spaced by the
dilation :math:`d` and moved by the stride :math:`s` fits

.. math:: H_\mathrm{out} = \left\lfloor \frac{H + 2p - d(k - 1) - 1}{s} \right\rfloor + 1

times; window :math:`h` reads rows :math:`s h + d i - p`, :math:`i = 0, \dots, k - 1`.

Two linear primitives carry the chapter.  ``unfold`` copies every window of the
padded input into a column (PyTorch's ``F.unfold``, known as im2col); ``fold`` is its
adjoint and adds columns back into an image, summing where windows overlap
(``F.fold``, col2im):

.. math:: \mathrm{unfold}(x)_{n,\,(c,i,j),\,(h,w)} = x_{n,\,c,\,s h + d i - p,\,s w + d j - p},
          \qquad \mathrm{fold} = \mathrm{unfold}^\top

A convolution is then one matrix product of the weights with the columns
(:math:`Y = W\,\mathrm{unfold}(x)`), so its derivatives are those of ``matmul`` and
``unfold``: the input's cotangent :math:`\mathrm{fold}(W^\top \bar Y)` *is* the transposed
convolution, and the weight's :math:`\bar Y\,\mathrm{unfold}(x)^\top` is the correlation of
the input with the cotangent.  The columns are kept by the graph, so the backward pass
never rebuilds them.  No operation loops in Python over the batch or the kernel
positions: windows are strided views of one buffer, copied at once.

The formulation depends on the shape: a 1×1 kernel with unit stride needs no columns
(the image is the column matrix); the columns are kernel-major so that each product is
one 2-D GEMM; ``fold`` writes disjoint windows (pooling-like strides) straight into the
image and sums overlapping ones through one skewed view per kernel position.

Layouts follow PyTorch: images are NCHW, convolution weights OIHW (out channels, in
channels per group, kernel height, kernel width), and "convolution" is
cross-correlation (the kernel is not flipped).
"""
from __future__ import annotations

import numpy as np

from ..autodiff.primitive import linear, primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .products import matmul
from .shape import concatenate, matrix_transpose, reshape, transpose
from .padding import pad


# ----------------------------------------------------------------------------- geometry
def _pair(value, name, op, minimum):
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    try:
        pair = tuple(int(v) for v in value)
        ok = len(pair) == 2 and all(int(v) == v for v in value)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be ≥ {minimum}, got {value!r}")
    return pair


def _windows(size, kernel, dilation, stride, pad_before, pad_after):
    """How many windows fit along one axis (the output-size formula)."""
    return (size + pad_before + pad_after - dilation * (kernel - 1) - 1) // stride + 1


def _out_size(shape, kernel, dilation, padding, stride):
    return tuple(_windows(n, k, d, s, *p) for n, k, d, s, p in zip(shape, kernel, dilation, stride, padding))


def _as_strided(a, shape, strides):
    return xp(a).lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _channel_major(a):
    """Whether an (N, C, H, W) array holds its channels outside its images in memory: the
    (C, N, H, W) buffer that a convolution's product leaves, seen as NCHW.  Operations on
    images keep that order (a copy into NCHW order would cost as much as the operation)."""
    return a.shape[0] > 1 and a.shape[1] > 1 and a.strides[1] > a.strides[0]


def _empty_images(shape, dtype, channel_major, ns, fill=None):
    """An (N, C, H, W) array, laid out channel-major if asked, empty or filled with ``fill``."""
    n, c, h, w = shape
    stored = (c, n, h, w) if channel_major else shape
    out = ns.empty(stored, dtype=dtype) if fill is None else ns.full(stored, fill, dtype=dtype)
    return out.transpose(1, 0, 2, 3) if channel_major else out


def _padded(x, padding, fill=0):
    """``x`` inside a buffer enlarged by ``padding`` = ((top, bottom), (left, right)),
    filled with ``fill``, in the memory order of ``x``."""
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = _empty_images((n, c, h + pt + pb, w + pl + pr), x.dtype, _channel_major(x), xp(x), fill)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _disjoint(kernel, dilation, stride, windows):
    """Whether no input element lies in two windows (then fold needs no summation)."""
    return all(k == 1 or n == 1 or s > d * (k - 1) for k, d, s, n in zip(kernel, dilation, stride, windows))


# ----------------------------------------------------------------------------- unfold and fold
# The columns are stored kernel-major, (C·kh·kw, N, L): reshaped to (C·kh·kw, N·L) they are
# one matrix, so every product of a convolution and of its derivatives is a single 2-D
# GEMM (a batch of N small products, with a transposed operand, is up to 4× slower in
# NumPy).  The public unfold/fold present PyTorch's (N, C·kh·kw, L) as a transposed view.
#
# Measured and rejected: a "wide" layout for unit stride, whose rows keep all Wp padded
# columns so that each kernel position is one contiguous run (fast to copy); discarding
# the extra columns after the product, and padding the cotangent back for the backward
# product, cost more than the copy saved (LeNet step 12.2 vs 10.9 ms, the Conv2d
# benchmark 19 vs 18 ms, one thread).
def _column_view(buffer, kernel_size, dilation, stride, windows):
    """The (C, kh, kw, N, Ho, Wo) view of an (N, C, H, W) buffer: column (h, w) of kernel
    position (i, j) reads pixel (s_h h + d_h i, s_w w + d_w j)."""
    n, c = buffer.shape[:2]
    sn, sc, sy, sx = buffer.strides
    (dh, dw), (sh, sw) = dilation, stride
    return _as_strided(buffer, (c,) + tuple(kernel_size) + (n,) + tuple(windows),
                       (sc, dh * sy, dw * sx, sn, sh * sy, sw * sx))


@linear(name="unfold")
def _unfold(x, kernel_size, dilation, padding, stride):
    r"""The windows of (N, C, H, W) images as kernel-major columns (C·kh·kw, N, Ho·Wo):

    .. math:: y_{(c,i,j),\,n,\,(h,w)} = x_{n,\,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w}

    (zero in the padding).  Linear; its adjoint is :func:`_fold`.
    """
    ho, wo = _out_size(x.shape[2:], kernel_size, dilation, padding, stride)
    view = _column_view(_padded(x, padding), kernel_size, dilation, stride, (ho, wo))
    # the copy reads each window position's rows (length Wo) at once
    return view.reshape(view.shape[0] * kernel_size[0] * kernel_size[1], x.shape[0], ho * wo)


@linear(name="fold")
def _fold(cols, output_size, kernel_size, dilation, padding, stride):
    r"""The adjoint of :func:`_unfold`: every column added back onto the pixels it was read from,

    .. math:: y_{n,c,u,v} = \sum_{(i,j,h,w) \,:\, s_h h + d_h i - p_h = u,\ s_w w + d_w j - p_w = v}
              x_{(c,i,j),\,n,\,(h,w)}

    (values that land in the padding are dropped).
    """
    ns = xp(cols)
    n = cols.shape[1]
    kh, kw = kernel_size
    c = cols.shape[0] // (kh * kw)
    (pt, pb), (pl, pr) = padding
    ho, wo = _out_size(output_size, kernel_size, dilation, padding, stride)
    shape = (n, c, output_size[0] + pt + pb, output_size[1] + pl + pr)
    blocks = cols.reshape(c, kh, kw, n, ho, wo)
    # The image is built channel-major ((C, N, H, W) memory seen as NCHW), the order of the
    # columns and of a convolution's output: a convolution's input gradient then has the
    # layout of the activations it meets in the backward pass (ReLU, batch norm, pooling),
    # whose elementwise operations ran on mismatched strides with an NCHW gradient
    # (Fashion-MNIST CNN step 48.0 -> 43.4 ms, LeNet-5 12.4 -> 11.8 ms, one thread).
    if _disjoint(kernel_size, dilation, stride, (ho, wo)):
        # Each element of the image lies in at most one window: write the columns in place.
        out = ns.zeros((c, n) + shape[2:], dtype=cols.dtype).transpose(1, 0, 2, 3)
        _column_view(out, kernel_size, dilation, stride, (ho, wo))[...] = blocks
    else:
        # Overlapping windows: give each kernel position (i, j) an image of its own, write
        # the columns of (i, j) into it shifted by (d_h i, d_w j) -- one strided copy for
        # all positions at once, through a skewed view -- and add the kh·kw images.
        stack = ns.zeros((kh * kw, c, n) + shape[2:], dtype=cols.dtype)
        skewed = _column_view(stack[0].transpose(1, 0, 2, 3), kernel_size, dilation, stride, (ho, wo))
        step = stack.strides[0]
        skewed = _as_strided(stack, blocks.shape, skewed.strides[:1] + (skewed.strides[1] + kw * step,
                                                                        skewed.strides[2] + step)
                             + skewed.strides[3:])
        skewed[...] = blocks
        out = stack.sum(axis=0).transpose(1, 0, 2, 3)
    return out[:, :, pt:pt + output_size[0], pl:pl + output_size[1]]


_unfold.transposes(lambda g, out, x, kernel_size, dilation, padding, stride:
                   _fold(g, output_size=tuple(x.shape[2:]), kernel_size=kernel_size, dilation=dilation,
                         padding=padding, stride=stride))
_fold.transposes(lambda g, out, cols, output_size, kernel_size, dilation, padding, stride:
                 _unfold(g, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride))


@primitive(name="unfold_with_ones")
def _unfold_with_ones(x, kernel_size, dilation, padding, stride):
    r"""The columns of :func:`_unfold` and a last row of ones, (C·kh·kw + 1, N, Ho·Wo):

    .. math:: y = \begin{pmatrix} \mathrm{unfold}(x) \\ \mathbf 1^\top \end{pmatrix}

    so that a convolution's bias is one more column of its weight matrix,
    :math:`[W\ b]\,y`.  Affine in x:

    .. math:: \bar x = \mathrm{fold}(\bar y_{1:K}), \qquad
              \dot y = \begin{pmatrix} \mathrm{unfold}(\dot x) \\ 0 \end{pmatrix}
    """
    ho, wo = _out_size(x.shape[2:], kernel_size, dilation, padding, stride)
    view = _column_view(_padded(x, padding), kernel_size, dilation, stride, (ho, wo))
    k = view.shape[0] * kernel_size[0] * kernel_size[1]
    out = xp(x).empty((k + 1, x.shape[0], ho * wo), dtype=x.dtype)
    out[:k].reshape(view.shape)[...] = view
    out[k] = 1
    return out


_unfold_with_ones.defvjp(lambda g, out, x, kernel_size, dilation, padding, stride:
                         _fold(g[:-1], output_size=tuple(x.shape[2:]), kernel_size=kernel_size, dilation=dilation,
                               padding=padding, stride=stride))
_unfold_with_ones.defjvp(lambda dx, out, x, kernel_size, dilation, padding, stride:
                         pad(_unfold(dx, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride),
                             ((0, 1), (0, 0), (0, 0))))


def _merge_images(a):
    """(B, N, C, H, W) -> (B·N, C, H, W): the vmap batch joins the image batch."""
    return reshape(a, (a.shape[0] * a.shape[1],) + tuple(a.shape[2:]))


def _split_images(a, size):
    return reshape(a, (size, a.shape[0] // size) + tuple(a.shape[1:]))


def _columns_batch(prim):
    """Batching rule of an op from images to columns: merge the batches, then split them."""
    def rule(args, batched, size, **params):
        cols = prim(_merge_images(args[0]), **params)                 # (K, B·N, L)
        k, bn, length = cols.shape
        return transpose(reshape(cols, (k, size, bn // size, length)), (1, 0, 2, 3))
    return rule


def _fold_batch(args, batched, size, **params):
    cols = transpose(args[0], (1, 0, 2, 3))                           # (B, K, N, L) -> (K, B, N, L)
    k, b, n, length = cols.shape
    return _split_images(_fold(reshape(cols, (k, b * n, length)), **params), size)


_unfold.defbatch(_columns_batch(_unfold))
_unfold_with_ones.defbatch(_columns_batch(_unfold_with_ones))
_fold.defbatch(_fold_batch)
_unfold.formula(definition=r"y_{(c,i,j),n,(h,w)} = x_{n,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w}",
                derivative=r"\bar x = \mathrm{fold}(\bar y)",
                convention="padding reads zeros")
_unfold_with_ones.formula(definition=r"y = \begin{pmatrix} \mathrm{unfold}(x) \\ \mathbf 1^\top \end{pmatrix}",
                          derivative=r"\bar x = \mathrm{fold}(\bar y_{1:K})",
                          convention="the row of ones is constant")
_fold.formula(definition=r"y_{n,c,u,v} = \textstyle\sum_{s_h h + d_h i - p_h = u,\ s_w w + d_w j - p_w = v} "
                         r"x_{(c,i,j),n,(h,w)}",
              derivative=r"\bar x = \mathrm{unfold}(\bar y)",
              convention="overlapping windows add")


def _require_rank(x, ranks, op, what):
    if x.ndim not in ranks:
        raise ShapeError(f"{op}: expected {what}, got input of shape {fmt_shape(x.shape)}")


def _explicit_padding(padding, op):
    """A padding pair (or int) as ((top, bottom), (left, right))."""
    ph, pw = _pair(padding, "padding", op, 0)
    return (ph, ph), (pw, pw)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    r"""Every window of a batch of images as a column (im2col; PyTorch's ``F.unfold``).

    ``input`` is (N, C, H, W); the result is (N, C·kh·kw, L) with L = Ho·Wo windows,
    rows in the order (channel, kernel row, kernel column):

    .. math:: y_{n,(c,i,j),(h,w)} = x_{n,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w}

    zero outside the image.  Linear; the adjoint is :func:`fold`.
    """
    _require_rank(input, (4,), "unfold", "a batch of images (N×C×H×W)")
    kernel = _pair(kernel_size, "kernel_size", "unfold", 1)
    dilation, stride = _pair(dilation, "dilation", "unfold", 1), _pair(stride, "stride", "unfold", 1)
    padding = _explicit_padding(padding, "unfold")
    _check_fits("unfold", input.shape[2:], kernel, dilation, padding)
    cols = _unfold(input, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    return transpose(cols, (1, 0, 2))


unfold.primitive = _unfold


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    r"""Add columns back into images (col2im; PyTorch's ``F.fold``), the adjoint of :func:`unfold`.

    ``input`` is (N, C·kh·kw, L); the result (N, C, H, W) with (H, W) = ``output_size``:

    .. math:: y_{n,c,u,v} = \sum_{s_h h + d_h i - p_h = u,\ s_w w + d_w j - p_w = v} x_{n,(c,i,j),(h,w)}

    Where windows overlap their values add.
    """
    _require_rank(input, (3,), "fold", "columns of shape (N×C·kh·kw×L)")
    size = _pair(output_size, "output_size", "fold", 1)
    kernel = _pair(kernel_size, "kernel_size", "fold", 1)
    dilation, stride = _pair(dilation, "dilation", "fold", 1), _pair(stride, "stride", "fold", 1)
    padding = _explicit_padding(padding, "fold")
    _check_fits("fold", size, kernel, dilation, padding)
    ho, wo = _out_size(size, kernel, dilation, padding, stride)
    kk = kernel[0] * kernel[1]
    if input.shape[1] % kk or input.shape[2] != ho * wo:
        raise ShapeError(f"fold: columns {fmt_shape(input.shape)} do not match kernel {kernel} and output size "
                         f"{size}: expected (N×C·{kk}×{ho * wo}) ({ho}×{wo} windows)")
    return _fold(transpose(input, (1, 0, 2)), output_size=size, kernel_size=kernel, dilation=dilation,
                 padding=padding, stride=stride)


fold.primitive = _fold


def _check_fits(op, size, kernel, dilation, padding):
    """The (dilated) kernel must fit inside the padded input."""
    for axis, (n, k, d, (before, after)) in enumerate(zip(size, kernel, dilation, padding)):
        span = d * (k - 1) + 1
        if n + before + after < span:
            raise ShapeError(f"{op}: kernel size {k} (dilation {d}, spanning {span}) is larger than the padded "
                             f"input along spatial axis {axis}: {n} + padding {before}+{after} = "
                             f"{n + before + after}")


# ----------------------------------------------------------------------------- convolution
def _convolve(x, weight, bias, stride, padding, dilation, groups):
    r"""The convolution of (N, C, H, W) images with (O, C/G, kh, kw) weights and an optional
    bias (O,), padding explicit.

    The formulation depends on the shape.  A 1×1 kernel with unit stride reads each pixel
    once, so the image itself is the column matrix: :math:`Y_n = W X_n` for each image, a
    batched product with no copy.  Otherwise the windows are unfolded kernel-major and
    :math:`Y = W\,\mathrm{unfold}(x)` is one GEMM per group, (O, K)·(K, N·L); its result
    is (O, N, Ho, Wo), returned as the NCHW view.  Without groups the bias rides in the
    product, :math:`Y = [W\ b] \begin{pmatrix}\mathrm{unfold}(x) \\ \mathbf 1^\top\end{pmatrix}`,
    and its gradient :math:`\sum_{n,h,w} \bar y` comes out of the weight gradient's product.
    """
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho, wo = _out_size((h, w), (kh, kw), dilation, padding, stride)
    if (kh, kw) == (1, 1) and stride == (1, 1) and not any(sum(padding, ())):
        if groups == 1:
            y = matmul(reshape(weight, (o, cg)), reshape(x, (n, c, h * w)))
        else:
            y = matmul(reshape(weight, (groups, o // groups, cg)), reshape(x, (n, groups, cg, h * w)))
        y = reshape(y, (n, o, ho, wo))
        return y if bias is None else y + reshape(bias, (-1, 1, 1))
    k = cg * kh * kw
    geometry = {"kernel_size": (kh, kw), "dilation": dilation, "padding": padding, "stride": stride}
    if groups == 1 and bias is not None:
        # A separate bias added the columns' size twice over, forward (y + b) and backward
        # (Σ ȳ); in the product it costs one more row (Fashion-MNIST's first convolution,
        # 128×1×28×28 to 16 channels 3×3, product, bias and their gradients 4.0 -> 2.6 ms;
        # the Conv2d benchmark's 8.4 -> 6.2 ms).
        cols = _unfold_with_ones(x, **geometry)
        weights = concatenate([reshape(weight, (o, k)), reshape(bias, (o, 1))], axis=1)
        y = matmul(weights, reshape(cols, (k + 1, n * ho * wo)))
        return transpose(reshape(y, (o, n, ho, wo)), (1, 0, 2, 3))
    cols = _unfold(x, **geometry)
    if groups == 1:
        y = matmul(reshape(weight, (o, k)), reshape(cols, (k, n * ho * wo)))
    else:
        y = matmul(reshape(weight, (groups, o // groups, k)), reshape(cols, (groups, k, n * ho * wo)))
    y = transpose(reshape(y, (o, n, ho, wo)), (1, 0, 2, 3))
    return y if bias is None else y + reshape(bias, (-1, 1, 1))


def _check_conv(op, x, weight, groups, spatial):
    """Ranks and channel counts of a convolution; returns whether the input was unbatched."""
    dims = "×".join("HW"[2 - spatial:])
    if weight.ndim != spatial + 2:
        raise ShapeError(f"{op}: weight must have {spatial + 2} dimensions (out_channels×in_channels/groups×"
                         f"{'kernel' if spatial == 1 else 'kH×kW'}), got {fmt_shape(weight.shape)}")
    _require_rank(x, (spatial + 1, spatial + 2), op, f"input of shape (N×C×{dims}) or (C×{dims})")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    channels = x.shape[-spatial - 1]
    if weight.shape[0] % groups:
        raise ShapeError(f"{op}: groups={groups} must divide the out_channels {weight.shape[0]} of weight "
                         f"{fmt_shape(weight.shape)}")
    if channels != weight.shape[1] * groups:
        raise ShapeError(f"{op}: input of shape {fmt_shape(x.shape)} has {channels} channels, but weight "
                         f"{fmt_shape(weight.shape)} with groups={groups} expects {weight.shape[1] * groups} "
                         f"(in_channels/groups = {weight.shape[1]})")
    return x.ndim == spatial + 1


def _conv_padding(padding, kernel, dilation, stride, op):
    """Explicit ((top, bottom), (left, right)) padding from an int, a pair, "valid" or "same"."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                                 f"(stride {stride}); give the padding as numbers")
            # PyTorch's choice: the total d(k-1) split evenly, the odd one at the end.
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{op}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    return _explicit_padding(padding, op)


def _spatial(value, name, op, minimum, spatial, neutral):
    """A parameter of a 1-D or 2-D operation as a pair: a 1-D one (an int or a 1-tuple) is
    the width of a 2-D one whose height entry is ``neutral``."""
    if spatial == 2:
        return _pair(value, name, op, minimum)
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise ValueError(f"{op}: {name} must be an int, got {value!r}")
    return neutral, _pair(value, name, op, minimum)[1]


def _conv2d_checked(op, input, weight, bias, stride, padding, dilation, groups, spatial=2):
    """conv1d and conv2d (and the layers, which pass their own name as ``op``)."""
    unbatched = _check_conv(op, input, weight, groups, spatial)
    kernel = (1,) * (2 - spatial) + tuple(weight.shape[2:])      # a 1-D convolution has height 1
    stride = _spatial(stride, "stride", op, 1, spatial, 1)
    dilation = _spatial(dilation, "dilation", op, 1, spatial, 1)
    if not isinstance(padding, str):
        padding = _spatial(padding, "padding", op, 0, spatial, 0)
    pads = _conv_padding(padding, kernel, dilation, stride, op)
    x = reshape(input, (1,) + tuple(input.shape)) if unbatched else input
    if spatial == 1:
        x = reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
        weight = reshape(weight, tuple(weight.shape[:2]) + (1, weight.shape[2]))
    _check_fits(op, x.shape[2:], kernel, dilation, pads)
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{op}: bias must have shape ({weight.shape[0]},), one per output channel, "
                         f"got {fmt_shape(bias.shape)}")
    y = _convolve(x, weight, bias, stride, pads, dilation, int(groups))
    if spatial == 1:
        y = reshape(y, (y.shape[0], y.shape[1], y.shape[3]))
    return reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    r"""2-D convolution (cross-correlation) of images (N, C, H, W) with weights (O, C/G, kh, kw).

    .. math:: y_{n,o,h,w} = b_o + \sum_{c=1}^{C/G} \sum_{i=0}^{k_h-1} \sum_{j=0}^{k_w-1}
              W_{o,c,i,j}\; x_{n,\; g(o)\frac{C}{G} + c,\; s_h h + d_h i - p_h,\; s_w w + d_w j - p_w}

    with :math:`g(o) = \lfloor o G / O \rfloor` the group of output channel :math:`o`, zero
    outside the image, and :math:`H_\mathrm{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1`.
    ``padding`` is an int, a pair, ``"valid"`` (0) or ``"same"`` (output size = input size,
    stride 1; an odd total padding puts the extra row/column at the end, as PyTorch).

    Computed as :math:`Y = W\,\mathrm{unfold}(x)`, one matrix product per group, so the
    derivatives are

    .. math:: \bar x = \mathrm{conv\_transpose2d}(\bar y, W) = \mathrm{fold}(W^\top \bar Y), \qquad
              \bar W_{o,c,i,j} = \sum_{n,h,w} \bar y_{n,o,h,w}\, x_{n,c,\,s_h h + d_h i - p_h,\,s_w w + d_w j - p_w},
              \qquad \bar b_o = \sum_{n,h,w} \bar y_{n,o,h,w}

    An unbatched input (C, H, W) gives an unbatched output.
    """
    return _conv2d_checked("conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    r"""1-D convolution (cross-correlation) of signals (N, C, L) with weights (O, C/G, k).

    .. math:: y_{n,o,t} = b_o + \sum_{c=1}^{C/G} \sum_{i=0}^{k-1} W_{o,c,i}\;
              x_{n,\,g(o)\frac{C}{G} + c,\,s t + d i - p}, \qquad L_\mathrm{out} = \left\lfloor \frac{L + 2p - d(k-1) - 1}{s} \right\rfloor + 1

    A 2-D convolution of height 1 (see :func:`conv2d` for the derivatives).
    """
    return _conv2d_checked("conv1d", input, weight, bias, stride, padding, dilation, groups, spatial=1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    r"""Transposed 2-D convolution: the adjoint of :func:`conv2d` in its input.

    ``input`` is (N, C_in, H, W), ``weight`` (C_in, C_out/G, kh, kw) (PyTorch's layout:
    the weight of the convolution it transposes).  Each input pixel spreads its value
    over a window of the output:

    .. math:: y_{n,o,u,v} = b_o + \sum_{c,h,w,i,j \,:\, s_h h + d_h i - p_h = u,\ s_w w + d_w j - p_w = v}
              W_{c,o,i,j}\, x_{n,c,h,w}

    .. math:: H_\mathrm{out} = (H - 1) s - 2p + d(k - 1) + p_\mathrm{out} + 1

    Computed as :math:`\mathrm{fold}(W^\top X)`; its derivatives are a convolution
    (:math:`\bar x = \mathrm{conv2d}(\bar y, W)`) and the correlation of :math:`\bar y` with
    :math:`x` for :math:`W`.  ``output_padding`` (< stride or dilation) adds rows and
    columns at the end to reach a particular output size.
    """
    op = "conv_transpose2d"
    if weight.ndim != 4:
        raise ShapeError(f"{op}: weight must have 4 dimensions (in_channels×out_channels/groups×kH×kW), "
                         f"got {fmt_shape(weight.shape)}")
    _require_rank(input, (3, 4), op, "input of shape (N×C×H×W) or (C×H×W)")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    unbatched = input.ndim == 3
    x = reshape(input, (1,) + tuple(input.shape)) if unbatched else input
    n, cin, h, w = x.shape
    if cin != weight.shape[0] or cin % groups:
        raise ShapeError(f"{op}: input of shape {fmt_shape(input.shape)} has {cin} channels, but weight "
                         f"{fmt_shape(weight.shape)} expects {weight.shape[0]} (divisible by groups={groups})")
    kernel = tuple(weight.shape[2:])
    stride, dilation = _pair(stride, "stride", op, 1), _pair(dilation, "dilation", op, 1)
    (ph, pw) = _pair(padding, "padding", op, 0)
    extra = _pair(output_padding, "output_padding", op, 0)
    for e, s, d in zip(extra, stride, dilation):
        if e >= max(s, d):
            raise ValueError(f"{op}: output_padding {output_padding!r} must be smaller than either stride "
                             f"{stride} or dilation {dilation}")
    full = tuple((n_ - 1) * s + d * (k - 1) + 1 for n_, s, d, k in zip((h, w), stride, dilation, kernel))
    size = tuple(f - 2 * p + e for f, p, e in zip(full, (ph, pw), extra))
    if min(size) < 1:
        raise ShapeError(f"{op}: padding {padding!r} leaves an empty output {size} for input {fmt_shape(input.shape)}")
    cout_g, kk = weight.shape[1], kernel[0] * kernel[1]
    # The columns fold(W^T X) needs, kernel-major: (G, Cout/G·kh·kw, Cin/G)·(G, Cin/G, N·H·W).
    wt = matrix_transpose(reshape(weight, (groups, cin // groups, cout_g * kk)))
    xs = reshape(transpose(x, (1, 0, 2, 3)), (groups, cin // groups, n * h * w))
    cols = reshape(matmul(wt, xs), (groups * cout_g * kk, n, h * w))
    # Fold onto the full output (no padding), then crop the padding away; output_padding
    # beyond the full extent reads zeros.
    y = _fold(cols, output_size=full, kernel_size=kernel, dilation=dilation, padding=((0, 0), (0, 0)),
              stride=stride)
    y = y[:, :, ph:ph + size[0], pw:pw + size[1]]
    if tuple(y.shape[2:]) != size:
        y = pad(y, ((0, 0), (0, 0), (0, size[0] - y.shape[2]), (0, size[1] - y.shape[3])))
    if bias is not None:
        if bias.shape != (groups * cout_g,):
            raise ShapeError(f"{op}: bias must have shape ({groups * cout_g},), one per output channel, "
                             f"got {fmt_shape(bias.shape)}")
        y = y + reshape(bias, (-1, 1, 1))
    return reshape(y, tuple(y.shape[1:])) if unbatched else y


# The public names of this chapter, exported at the top level as PyTorch's torch.conv2d
# (unfold and fold, PyTorch's F.unfold/F.fold, stay in cr.nn.functional; pooling, whose
# primitives also read windows, is the chapter nn/pooling.py).
TENSOR_METHODS: dict = {}
__all__ = ["conv1d", "conv2d", "conv_transpose2d"]
