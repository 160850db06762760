"""OpSpecs of the sliding-window chapter: unfold/fold, convolutions and pooling.

The references are written independently of the code under test: plain NumPy loops
over output channels and kernel positions (or over output pixels), straight from the
defining sums.  Shapes are small, and every case the rules treat differently has a
spec: stride, padding (symmetric, asymmetric "same"), dilation, groups, overlapping and
disjoint windows, ceil_mode and the divisors of average pooling.

Convolutions are bilinear and pooling piecewise linear, so all are checked to order 2
(for convolutions the mixed second derivatives are nonzero).  Max pooling samples
``distinct`` inputs, away from ties, where it is differentiable.
"""
from __future__ import annotations

import numpy as np

from ..nn import pooling as P
from ..ops import conv as C
from . import OpSpec, distinct, integers, real

SPECS = []


# ----------------------------------------------------------------------------- references
def _pairs(padding):
    """((top, bottom), (left, right)) from an int, an (h, w) pair or explicit pairs."""
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    if isinstance(padding[0], int):
        return (padding[0], padding[0]), (padding[1], padding[1])
    return tuple(padding)


def _taps(start, kernel, dilation, stride, count):
    """The slice of rows that kernel tap ``start`` reads for ``count`` windows."""
    return slice(start * dilation, start * dilation + stride * (count - 1) + 1, stride)


def conv2d_reference(x, w, b=None, stride=(1, 1), padding=0, dilation=(1, 1), groups=1):
    """y[n, o] = b[o] + Σ_c Σ_ij w[o, c, i, j] x_pad[n, g(o)·C/G + c, s h + d i, s w + d j], by loops."""
    (pt, pb), (pl, pr) = _pairs(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = xp.shape
    o, cg, kh, kw = w.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, ho, wo))
    per_group = o // groups
    for oc in range(o):
        first = (oc // per_group) * cg
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, first:first + cg, _taps(i, kh, dilation[0], stride[0], ho),
                           _taps(j, kw, dilation[1], stride[1], wo)]
                y[:, oc] += np.einsum("nchw,c->nhw", patch, w[oc, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv_transpose2d_reference(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), groups=1,
                               dilation=(1, 1)):
    """Each input pixel adds w[c, o] · x[n, c, h, w] onto the output window at (s h - p, s w - p), by loops."""
    n, cin, h, wd = x.shape
    _, cout_g, kh, kw = w.shape
    full = ((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1, (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1)
    y = np.zeros((n, cout_g * groups) + tuple(f + e for f, e in zip(full, output_padding)))
    cin_g = cin // groups
    for c in range(cin):
        g = c // cin_g
        for oc in range(cout_g):
            for i in range(kh):
                for j in range(kw):
                    y[:, g * cout_g + oc, _taps(i, kh, dilation[0], stride[0], h),
                      _taps(j, kw, dilation[1], stride[1], wd)] += x[:, c] * w[c, oc, i, j]
    y = y[:, :, padding[0]:padding[0] + full[0] - 2 * padding[0] + output_padding[0],
          padding[1]:padding[1] + full[1] - 2 * padding[1] + output_padding[1]]
    if b is not None:
        y = y + b[None, :, None, None]
    return y


def unfold_reference(x, kernel, dilation, padding, stride):
    """(N, C·kh·kw, L): row (c, i, j), column (h, w) holds x_pad[n, c, s h + d i, s w + d j]."""
    (pt, pb), (pl, pr) = _pairs(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, w = xp.shape
    ho = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    wo = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c, kernel[0], kernel[1], ho, wo))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, :, i, j] = xp[:, :, _taps(i, kernel[0], dilation[0], stride[0], ho),
                                 _taps(j, kernel[1], dilation[1], stride[1], wo)]
    return out.reshape(n, c * kernel[0] * kernel[1], ho * wo)


def fold_reference(cols, size, kernel, dilation, padding, stride):
    """Columns added back onto the padded image at their windows, then the padding cut off."""
    (pt, pb), (pl, pr) = _pairs(padding)
    n = cols.shape[0]
    c = cols.shape[1] // (kernel[0] * kernel[1])
    h, w = size[0] + pt + pb, size[1] + pl + pr
    ho = (h - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    wo = (w - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    blocks = cols.reshape(n, c, kernel[0], kernel[1], ho, wo)
    out = np.zeros((n, c, h, w))
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, :, _taps(i, kernel[0], dilation[0], stride[0], ho),
                _taps(j, kernel[1], dilation[1], stride[1], wo)] += blocks[:, :, i, j]
    return out[:, :, pt:pt + size[0], pl:pl + size[1]]


def _pool_windows(size, kernel, stride, pad, dilation, ceil_mode):
    """Start rows of the windows along one axis (PyTorch's output-size rule)."""
    span = dilation * (kernel - 1) + 1
    top = size + 2 * pad - span
    count = (-(-top // stride) if ceil_mode else top // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + pad:
        count -= 1
    return [t * stride - pad for t in range(count)]


def max_pool2d_reference(x, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False, indices=False):
    """The maximum (or its flat index, the first one) over the in-image taps of each window."""
    n, c, h, w = x.shape
    rows = _pool_windows(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    cols = _pool_windows(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    out = np.zeros((n, c, len(rows), len(cols)), dtype=np.int64 if indices else x.dtype)
    for a, r in enumerate(rows):
        for b, q in enumerate(cols):
            taps = [(r + i * dilation[0], q + j * dilation[1]) for i in range(kernel[0]) for j in range(kernel[1])]
            taps = [(u, v) for u, v in taps if 0 <= u < h and 0 <= v < w]
            values = np.stack([x[:, :, u, v] for u, v in taps], axis=-1)
            best = values.argmax(axis=-1)
            flat = np.array([u * w + v for u, v in taps])
            out[:, :, a, b] = flat[best] if indices else values.max(axis=-1)
    return out


def avg_pool2d_reference(x, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True,
                         divisor_override=None):
    """The sum over each window's in-image taps divided by PyTorch's divisor."""
    n, c, h, w = x.shape
    rows = _pool_windows(h, kernel[0], stride[0], padding[0], 1, ceil_mode)
    cols = _pool_windows(w, kernel[1], stride[1], padding[1], 1, ceil_mode)
    out = np.zeros((n, c, len(rows), len(cols)))
    for a, r in enumerate(rows):
        for b, q in enumerate(cols):
            r_end, q_end = min(r + kernel[0], h + padding[0]), min(q + kernel[1], w + padding[1])
            padded_count = (r_end - r) * (q_end - q)
            r0, q0, r1, q1 = max(r, 0), max(q, 0), min(r_end, h), min(q_end, w)
            total = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3))
            if divisor_override:
                divisor = divisor_override
            else:
                divisor = padded_count if count_include_pad else (r1 - r0) * (q1 - q0)
            out[:, :, a, b] = total / divisor
    return out


def adaptive_avg_pool2d_reference(x, size):
    """Mean over the bins [floor(i H / m), ceil((i+1) H / m)) × (the same for columns)."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(size))
    for a in range(size[0]):
        r0, r1 = (a * h) // size[0], -(-((a + 1) * h) // size[0])
        for b in range(size[1]):
            q0, q1 = (b * w) // size[1], -(-((b + 1) * w) // size[1])
            out[:, :, a, b] = x[:, :, r0:r1, q0:q1].mean(axis=(2, 3))
    return out


# ----------------------------------------------------------------------------- unfold and fold
_WINDOW_CASES = {
    # label: (image size, kernel, dilation, padding, stride)
    "3×3": ((5, 4), (3, 3), (1, 1), 0, (1, 1)),
    "padding, stride (overlapping)": ((5, 6), (2, 3), (1, 1), (1, 2), (2, 1)),
    "dilation": ((6, 5), (2, 2), (2, 1), 1, (1, 2)),
    "disjoint windows": ((6, 4), (2, 2), (1, 1), 0, (2, 2)),
}
for _case, (_size, _k, _d, _p, _s) in _WINDOW_CASES.items():
    _pairs_p = _pairs(_p)
    _ho = (_size[0] + sum(_pairs_p[0]) - _d[0] * (_k[0] - 1) - 1) // _s[0] + 1
    _wo = (_size[1] + sum(_pairs_p[1]) - _d[1] * (_k[1] - 1) - 1) // _s[1] + 1
    SPECS.append(OpSpec("unfold", lambda x, k=_k, d=_d, p=_p, s=_s: C.unfold(x, k, d, p, s), [real],
                        [((2, 3) + _size,)],
                        reference=lambda x, k=_k, d=_d, p=_p, s=_s: unfold_reference(x, k, d, p, s),
                        case=_case))
    SPECS.append(OpSpec("fold", lambda u, n=_size, k=_k, d=_d, p=_p, s=_s: C.fold(u, n, k, d, p, s), [real],
                        [((2, 2 * _k[0] * _k[1], _ho * _wo),)],
                        reference=lambda u, n=_size, k=_k, d=_d, p=_p, s=_s: fold_reference(u, n, k, d, p, s),
                        case=_case))


def _with_ones_reference(x, kernel, dilation, padding, stride):
    """(C·kh·kw + 1, N, L): the columns, kernel-major, then a row of ones."""
    cols = unfold_reference(x, kernel, dilation, padding, stride).transpose(1, 0, 2)
    return np.concatenate([cols, np.ones((1,) + cols.shape[1:])])


for _case in ("3×3", "padding, stride (overlapping)"):
    _size, _k, _d, _p, _s = _WINDOW_CASES[_case]
    _pp = _pairs(_p)
    SPECS.append(OpSpec("unfold_with_ones",
                        lambda x, k=_k, d=_d, p=_pp, s=_s: C._unfold_with_ones(x, kernel_size=k, dilation=d,
                                                                              padding=p, stride=s),
                        [real], [((2, 3) + _size,)],
                        reference=lambda x, k=_k, d=_d, p=_p, s=_s: _with_ones_reference(x, k, d, p, s),
                        case=_case))


# ----------------------------------------------------------------------------- convolutions
_CONV2D_CASES = {
    # label: (input shape, weight shape, keyword arguments)
    "plain": ((2, 3, 5, 4), (4, 3, 3, 2), {}),
    "stride, padding": ((2, 2, 6, 5), (3, 2, 3, 3), {"stride": (2, 1), "padding": (1, 2)}),
    "dilation": ((1, 2, 7, 6), (2, 2, 2, 3), {"dilation": (2, 1), "padding": 1}),
    "groups": ((2, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "stride": 2}),
    "depthwise": ((1, 3, 4, 5), (3, 1, 2, 2), {"groups": 3}),
    "1×1": ((2, 3, 3, 4), (5, 3, 1, 1), {}),
    "1×1 groups": ((2, 4, 3, 2), (2, 2, 1, 1), {"groups": 2}),
}


def _conv2d_reference_for(kw):
    stride = kw.get("stride", 1)
    stride = (stride, stride) if isinstance(stride, int) else stride
    dilation = kw.get("dilation", 1)
    dilation = (dilation, dilation) if isinstance(dilation, int) else dilation
    return lambda x, w, b=None: conv2d_reference(x, w, b, stride, kw.get("padding", 0), dilation,
                                                 kw.get("groups", 1))


for _case, (_xs, _ws, _kw) in _CONV2D_CASES.items():
    SPECS.append(OpSpec("conv2d", lambda x, w, b, kw=_kw: C.conv2d(x, w, b, **kw), [real, real, real],
                        [(_xs, _ws, (_ws[0],))],
                        reference=lambda x, w, b, kw=_kw: _conv2d_reference_for(kw)(x, w, b),
                        case=_case, composite=True))

# padding="same" with an even kernel: the extra row and column go at the end (PyTorch's choice)
SPECS.append(OpSpec("conv2d", lambda x, w: C.conv2d(x, w, padding="same", dilation=(1, 2)), [real, real],
                    [((1, 2, 5, 6), (3, 2, 2, 3))],
                    reference=lambda x, w: conv2d_reference(x, w, None, (1, 1), ((0, 1), (2, 2)), (1, 2)),
                    case="same (asymmetric)", composite=True))
SPECS.append(OpSpec("conv2d", lambda x, w: C.conv2d(x, w, padding=1), [real, real], [((3, 5, 4), (2, 3, 3, 3))],
                    reference=lambda x, w: conv2d_reference(x[None], w, None, (1, 1), 1)[0],
                    case="unbatched", composite=True))
SPECS.append(OpSpec("conv1d", lambda x, w, b: C.conv1d(x, w, b, stride=2, padding=1, dilation=2),
                    [real, real, real], [((2, 3, 9), (4, 3, 3), (4,))],
                    reference=lambda x, w, b: conv2d_reference(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1),
                                                               (1, 2))[:, :, 0],
                    composite=True))
SPECS.append(OpSpec("conv1d", lambda x, w: C.conv1d(x, w, padding="same", groups=2), [real, real],
                    [((2, 4, 6), (2, 2, 4))],
                    reference=lambda x, w: conv2d_reference(x[:, :, None], w[:, :, None], None, (1, 1),
                                                            ((0, 0), (1, 2)), (1, 1), 2)[:, :, 0],
                    case="same, groups", composite=True))

_TRANSPOSE_CASES = {
    "plain": ((2, 3, 3, 4), (3, 2, 3, 2), {}),
    "stride, padding, output_padding": ((2, 2, 3, 3), (2, 3, 3, 3),
                                        {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)}),
    "groups, dilation": ((1, 4, 3, 2), (4, 1, 2, 2), {"groups": 2, "dilation": (2, 1), "stride": 2}),
    "output_padding < dilation": ((1, 2, 3, 3), (2, 2, 3, 3), {"dilation": 2, "padding": 1, "output_padding": 1}),
}


def _transpose_reference_for(kw):
    def pair(v, default):
        v = kw.get(v, default)
        return (v, v) if isinstance(v, int) else v
    return lambda x, w, b: conv_transpose2d_reference(x, w, b, pair("stride", 1), pair("padding", 0),
                                                      pair("output_padding", 0), kw.get("groups", 1),
                                                      pair("dilation", 1))


for _case, (_xs, _ws, _kw) in _TRANSPOSE_CASES.items():
    _groups = _kw.get("groups", 1)
    SPECS.append(OpSpec("conv_transpose2d", lambda x, w, b, kw=_kw: C.conv_transpose2d(x, w, b, **kw),
                        [real, real, real], [(_xs, _ws, (_ws[1] * _groups,))],
                        reference=lambda x, w, b, kw=_kw: _transpose_reference_for(kw)(x, w, b),
                        case=_case, composite=True))


# ----------------------------------------------------------------------------- pooling
def _index_sampler(positions):
    """Flat indices into an image of ``positions`` pixels (repeats included)."""
    return integers(0, positions)


SPECS += [
    OpSpec("max_pool2d_with_indices",
           lambda x: P.max_pool2d(x, 3, 2, 1, return_indices=True)[1], [distinct], [((2, 2, 5, 6),)],
           reference=lambda x: max_pool2d_reference(x, (3, 3), (2, 2), (1, 1), indices=True), order=0,
           case="indices"),
    OpSpec("max_pool2d_with_indices",
           lambda x: P.max_pool2d(x, 3, 2, 1, return_indices=True)[0], [distinct], [((2, 2, 5, 6),)],
           reference=lambda x: max_pool2d_reference(x, (3, 3), (2, 2), (1, 1)), case="maxima"),
    OpSpec("take_2d", lambda x, i: P._take_2d(x, i, unique=False), [real, _index_sampler(12)],
           [((2, 3, 3, 4), (2, 3, 2, 2))], argnums=(0,),
           reference=lambda x, i: np.take_along_axis(x.reshape(2, 3, 12), i.reshape(2, 3, 4), 2).reshape(i.shape)),
    OpSpec("scatter_add_2d", lambda g, i: P._scatter_add_2d(g, i, size=(2, 3), unique=False),
           [real, _index_sampler(6)], [((2, 3, 3, 2), (2, 3, 3, 2))], argnums=(0,),
           reference=lambda g, i: _scatter_reference(g, i, (2, 3))),
]


def _scatter_reference(g, index, size):
    out = np.zeros(g.shape[:-2] + (size[0] * size[1],))
    lead = np.indices(index.shape[:-2]).reshape(len(index.shape) - 2, -1).T
    flat_g = g.reshape(len(lead), -1)
    flat_i = index.reshape(len(lead), -1)
    for row, where in enumerate(lead):
        np.add.at(out[tuple(where)], flat_i[row], flat_g[row])
    return out.reshape(g.shape[:-2] + tuple(size))


_MAX_POOL_CASES = {
    "2×2": ((2, 2, 4, 6), dict(kernel_size=2), dict(kernel=(2, 2), stride=(2, 2))),
    "overlapping, padding": ((1, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1),
                             dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1))),
    "ceil_mode, dilation": ((1, 2, 7, 6), dict(kernel_size=(2, 3), stride=(2, 1), dilation=(2, 1), ceil_mode=True),
                            dict(kernel=(2, 3), stride=(2, 1), dilation=(2, 1), ceil_mode=True)),
}
for _case, (_xs, _kw, _ref) in _MAX_POOL_CASES.items():
    SPECS.append(OpSpec("max_pool2d", lambda x, kw=_kw: P.max_pool2d(x, **kw), [distinct], [(_xs,)],
                        reference=lambda x, r=_ref: max_pool2d_reference(x, **r), case=_case, composite=True))
SPECS.append(OpSpec("max_pool1d", lambda x: P.max_pool1d(x, 3, 2, 1, ceil_mode=True), [distinct], [((2, 3, 8),)],
                    reference=lambda x: max_pool2d_reference(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                                             ceil_mode=True)[:, :, 0],
                    composite=True))

_AVG_POOL_CASES = {
    "2×2": ((2, 2, 4, 6), dict(kernel_size=2), dict(kernel=(2, 2), stride=(2, 2))),
    "padding, count_include_pad": ((1, 2, 5, 5), dict(kernel_size=3, stride=2, padding=1),
                                   dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1))),
    "ceil_mode, count_include_pad=False": ((1, 2, 6, 5), dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True,
                                                              count_include_pad=False),
                                           dict(kernel=(3, 2), stride=(2, 2), padding=(1, 1), ceil_mode=True,
                                                count_include_pad=False)),
    "divisor_override": ((1, 1, 4, 5), dict(kernel_size=2, stride=1, divisor_override=3),
                         dict(kernel=(2, 2), stride=(1, 1), divisor_override=3)),
}
for _case, (_xs, _kw, _ref) in _AVG_POOL_CASES.items():
    SPECS.append(OpSpec("avg_pool2d", lambda x, kw=_kw: P.avg_pool2d(x, **kw), [real], [(_xs,)],
                        reference=lambda x, r=_ref: avg_pool2d_reference(x, **r), case=_case, composite=True))
SPECS += [
    OpSpec("avg_pool1d", lambda x: P.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [real], [((2, 3, 8),)],
           reference=lambda x: avg_pool2d_reference(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                                    count_include_pad=False)[:, :, 0],
           composite=True),
    OpSpec("adaptive_avg_pool2d", lambda x: P.adaptive_avg_pool2d(x, (3, 2)), [real],
           [((2, 2, 7, 5),), ((1, 3, 3, 2),)],
           reference=lambda x: adaptive_avg_pool2d_reference(x, (3, 2)), composite=True),
]
