r"""Normalization layers: batch, layer and group normalization.

Each standardizes its input over a set of axes :math:`S` and applies a learned affine map
per feature:

.. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}},\qquad y = \gamma \hat x + \beta,
          \qquad \mu = \frac1n \sum_S x,\quad \sigma^2 = \frac1n \sum_S (x - \mu)^2

==============  ==================================================  ===================
layer           statistics over                                     input
==============  ==================================================  ===================
BatchNorm1d/2d  the batch and spatial axes, per channel             (N, C), (N, C, L), (N, C, H, W)
LayerNorm       the last ``len(normalized_shape)`` axes, per sample (*, *normalized_shape)
GroupNorm       each group of ``C/G`` channels and the spatial axes (N, C, *)
==============  ==================================================  ===================

The variance in :math:`\hat x` is the biased one (divide by :math:`n`); batch norm's
running variance is updated with the unbiased one (divide by :math:`n - 1`), as PyTorch:

.. math:: \hat\mu \leftarrow (1 - m)\hat\mu + m\mu,\qquad
          \hat\sigma^2 \leftarrow (1 - m)\hat\sigma^2 + m\,\tfrac{n}{n-1}\sigma^2

and in evaluation mode :math:`\hat\mu, \hat\sigma^2` replace the batch statistics.  Layer
and group normalization, and batch normalization in evaluation mode, are composites of
means, squares and a square root, so their derivatives come from the chain rule, to any
order.  Batch normalization in training is one primitive, ``batch_norm_train``, whose
rules are the well-known closed forms (written with chainrule's ops, so they too
differentiate to any order): the composite's reverse pass made about twice as many passes
over the activations (BatchNorm2d forward and backward of 128×16×14×14, one thread: 2.65 ms
as a composite, 1.76 ms as the primitive, PyTorch 2.46 ms).
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import materialize
from ..autodiff.primitive import primitive
from ..backend import xp
from ..errors import GraphError, ShapeError, fmt_shape
from ..ops.creation import ones, zeros
from ..ops.elementwise import sqrt
from ..ops.reductions import _count, mean
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import broadcast_to, reshape
from ..tensor import Tensor
from .input_checks import check_rank, check_size
from .module import Module, Parameter


def _channel_shape(x, channels):
    """``(1, C, 1, ..., 1)``: a per-channel vector, broadcastable against ``x`` of shape (N, C, *)."""
    return (1, channels) + (1,) * (x.ndim - 2)


def _update_running(buffer: Tensor, batch_value: Tensor, momentum: float) -> None:
    r""":math:`\hat v \leftarrow (1 - m)\hat v + m v`, in place, outside every graph."""
    try:
        value = batch_value.detach().data.reshape(buffer.shape)
    except GraphError:
        raise GraphError("batch_norm: running statistics cannot be updated inside vmap, where the batch "
                         "statistics differ per example; call .eval() or use track_running_stats=False") from None
    buffer.data[...] = (1 - momentum) * buffer.data + momentum * value
    buffer._bump()


# ----------------------------------------------------------------------------- batch statistics
@primitive(name="batch_norm_train", multiple_results=True)
def _batch_norm_train(x, weight, bias, axes, eps):
    r"""Batch normalization with the batch's statistics over ``axes``; ``weight`` and ``bias``
    broadcast against ``x`` (shape (1, C, 1, ...)).  Returns :math:`y`, :math:`\mu` and the
    biased :math:`\sigma^2` (kept dimensions):

    .. math:: \mu = \frac1n \sum_S x,\quad \sigma^2 = \frac1n \sum_S (x - \mu)^2,\quad
              r = (\sigma^2 + \epsilon)^{-1/2},\quad \hat x = (x - \mu)\,r,\quad y = \gamma \hat x + \beta

    With :math:`\bar\beta = \sum_S \bar y` and :math:`\bar\gamma = \sum_S \bar y\,\hat x`
    (the parameters' cotangents), the input's is

    .. math:: \bar x = \gamma r \Big(\bar y - \frac{\bar\beta + \hat x\,\bar\gamma}{n}\Big)
              + \frac{\bar\mu}{n} + \frac{2\bar\sigma^2}{n}(x - \mu)

    and the tangent :math:`\dot y = \gamma\big((\dot x - \dot\mu) r - \tfrac12 \hat x\, r^2
    \dot\sigma^2\big) + \dot\gamma \hat x + \dot\beta` with :math:`\dot\mu = \frac1n \sum_S \dot x`,
    :math:`\dot\sigma^2 = \frac2n \sum_S (x - \mu)\dot x`.
    """
    ns = xp(x)
    mu = x.mean(axis=axes, keepdims=True)
    centered = x - mu
    # The two-pass variance (mean of squared deviations): E[x²] − μ² cancels catastrophically
    # in float32 when |μ| ≫ σ.
    var = ns.multiply(centered, centered).mean(axis=axes, keepdims=True)
    scale = weight / ns.sqrt(var + eps)
    dtype = ns.result_type(centered, scale, bias)
    y = centered if dtype == centered.dtype else centered.astype(dtype)
    y *= scale                          # in place: the deviations are a temporary of this call
    y += bias
    return y, mu, var


def _batch_norm_train_vjp(g, out, x, weight, bias, axes, eps):
    # Σ ȳ x̂ from the deviations x − μ, never as Σ ȳ x − μ Σ ȳ (which cancels when |μ| ≫ σ);
    # the input's cotangent is then ȳ·γr + (x − μ)·c₂ + c₃ with per-channel c₂, c₃.
    gy, gmu, gvar = g
    _, mu, var = out
    n = _count(x.shape, axes)
    rstd = 1.0 / sqrt(var + eps)
    centered = x - mu
    gx = gw = gb = c2 = c3 = None
    if gy is not None:
        gb = reduce_sum(gy, axis=axes, keepdims=True)
        gw = reduce_sum(gy * centered, axis=axes, keepdims=True) * rstd
        scale = weight * rstd
        gx = gy * scale
        c2 = -(scale * rstd * gw) / n
        c3 = -(scale * gb) / n
    if gvar is not None:
        c2 = gvar * (2.0 / n) if c2 is None else c2 + gvar * (2.0 / n)
    if gmu is not None:
        c3 = gmu / n if c3 is None else c3 + gmu / n
    if c2 is not None:
        gx = centered * c2 if gx is None else gx + centered * c2
    if c3 is not None:
        gx = broadcast_to(c3, tuple(x.shape)) if gx is None else gx + c3
    return gx, gw, gb


def _batch_norm_train_jvp(tangents, out, x, weight, bias, axes, eps):
    dx, dw, db = tangents
    _, mu, var = out
    rstd = 1.0 / sqrt(var + eps)
    centered = x - mu
    normalized = centered * rstd
    dy = dmu = dvar = None
    if dx is not None:
        dmu = mean(dx, axis=axes, keepdims=True)
        dvar = 2.0 * mean(centered * dx, axis=axes, keepdims=True)
        dy = ((dx - dmu) * rstd - normalized * (0.5 * dvar * rstd * rstd)) * weight
    if dw is not None:
        dy = normalized * dw if dy is None else dy + normalized * dw
    if db is not None:
        dy = broadcast_to(db, tuple(x.shape)) if dy is None else dy + db
    return dy, dmu, dvar


def _batch_norm_train_batch(args, batched, size, axes, eps):
    x, weight, bias = (a if b else materialize(a, size) for a, b in zip(args, batched))
    return _batch_norm_train(x, weight, bias, axes=tuple(a + 1 for a in axes), eps=eps)


_batch_norm_train.defvjp_joint(_batch_norm_train_vjp)
_batch_norm_train.defjvp_joint(_batch_norm_train_jvp)
_batch_norm_train.defbatch(_batch_norm_train_batch)
_batch_norm_train.formula(
    definition=r"y = \gamma\,(x - \mu)(\sigma^2 + \epsilon)^{-1/2} + \beta,\ \mu = \tfrac1n\textstyle\sum_S x,\ "
               r"\sigma^2 = \tfrac1n\textstyle\sum_S (x - \mu)^2",
    derivative=r"\bar x = \gamma r\,(\bar y - (\bar\beta + \hat x\,\bar\gamma)/n),\ \bar\gamma = \textstyle\sum_S \bar y\,\hat x,"
               r"\ \bar\beta = \textstyle\sum_S \bar y",
    convention="biased variance; outputs y, μ, σ² (cotangents of μ and σ² are added when given)")


# ----------------------------------------------------------------------------- functions
def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    r"""Batch normalization of ``x`` (N, C, *) per channel (PyTorch's ``F.batch_norm``).

    ``training=True``: normalize with the batch statistics over every axis but 1, and,
    when running statistics are given, update them in place (``momentum`` :math:`m` as
    above; the running variance with the unbiased batch variance).  ``training=False``:
    normalize with ``running_mean`` and ``running_var``:
    :math:`y = (x - \hat\mu)\,\gamma/\sqrt{\hat\sigma^2 + \epsilon} + \beta`.
    """
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected an input (N×C×*) of rank ≥ 2, got {fmt_shape(x.shape)}")
    channels = x.shape[1]
    shape = _channel_shape(x, channels)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"batch_norm: {name} must have shape ({channels},) for an input with {channels} "
                             f"channels {fmt_shape(x.shape)}, got {fmt_shape(t.shape)}")
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.size // channels if channels else 0
        if n <= 1:
            raise ShapeError(f"batch_norm: expected more than 1 value per channel when training, got input "
                             f"{fmt_shape(x.shape)}")
        gamma = ones(shape, dtype=x.dtype) if weight is None else reshape(weight, shape)
        beta = zeros(shape, dtype=x.dtype) if bias is None else reshape(bias, shape)
        y, mu, var = _batch_norm_train(x, gamma, beta, axes=axes, eps=eps)
        if running_mean is not None:
            _update_running(running_mean, mu, momentum)
        if running_var is not None:
            _update_running(running_var, var * (n / (n - 1)), momentum)
        return y
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        scale = 1.0 / sqrt(reshape(running_var, shape) + eps)
        if weight is not None:
            scale = scale * reshape(weight, shape)
        y = (x - reshape(running_mean, shape)) * scale
    return y if bias is None else y + reshape(bias, shape)


def _standardize(x, axes, eps):
    mu = mean(x, axis=axes, keepdims=True)
    centered = x - mu
    var = mean(centered * centered, axis=axes, keepdims=True)
    return centered / sqrt(var + eps)


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    r"""Layer normalization over the last ``len(normalized_shape)`` axes of each sample;
    ``weight`` and ``bias`` have shape ``normalized_shape`` (PyTorch's ``F.layer_norm``)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != normalized_shape:
        raise ShapeError(f"layer_norm: expected an input (*×{'×'.join(map(str, normalized_shape))}) ending in "
                         f"normalized_shape {fmt_shape(normalized_shape)}, got {fmt_shape(x.shape)}")
    y = _standardize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    r"""Group normalization of ``x`` (N, C, *): the C channels form ``num_groups`` groups of
    consecutive channels, each standardized with its spatial axes per sample; then the
    per-channel affine map (PyTorch's ``F.group_norm``)."""
    if x.ndim < 2:
        raise ShapeError(f"group_norm: expected an input (N×C×*) of rank ≥ 2, got {fmt_shape(x.shape)}")
    n, channels = x.shape[0], x.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ShapeError(f"group_norm: {channels} channels of {fmt_shape(x.shape)} cannot be split into "
                         f"{num_groups} groups of equal size")
    grouped = reshape(x, (n, num_groups, -1))
    y = reshape(_standardize(grouped, (2,), eps), x.shape)
    shape = _channel_shape(x, channels)
    if weight is not None:
        y = y * reshape(weight, shape)
    return y if bias is None else y + reshape(bias, shape)


# ----------------------------------------------------------------------------- modules
def _param(values, dtype):
    from .. import dtypes
    return Parameter(np.asarray(values, dtype=dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)))


def _buffer(values, dtype):
    from .. import dtypes
    return Tensor(np.asarray(values, dtype=dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)))


class _BatchNorm(Module):
    _ranks: tuple = ()
    _expected: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None):
        super().__init__()
        self.num_features = int(num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = _param(np.ones(self.num_features), dtype)
            self.bias = _param(np.zeros(self.num_features), dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _buffer(np.zeros(self.num_features), dtype))
            self.register_buffer("running_var", _buffer(np.ones(self.num_features), dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1), (self.num_batches_tracked, 0)):
                buffer.data[...] = value
                buffer._bump()

    def forward(self, x):
        expected = self._expected.replace("C", f"C={self.num_features}")
        check_rank(self, x, self._ranks, expected)
        check_size(self, x, 1, self.num_features, expected, "channels C")
        if self.training and x.size // max(1, self.num_features) <= 1:
            # checked here as well as in batch_norm: before num_batches_tracked changes
            raise ShapeError(f"{type(self).__name__}({self.extra_repr()}): expected more than 1 value per channel "
                             f"when training, got input {fmt_shape(x.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting:
            count = int(self.num_batches_tracked.data) + 1
            if self.momentum is None:            # cumulative moving average
                factor = 1.0 / count
        # Batch statistics in training, and in evaluation when no running statistics are kept.
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        y = batch_norm(x, self.running_mean if keep else None, self.running_var if keep else None,
                       self.weight, self.bias, use_batch, factor, self.eps)
        if counting:                             # counted once the batch went through
            self.num_batches_tracked.data[...] = count
            self.num_batches_tracked._bump()
        return y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs per channel (see the chapter's formulas).

    Parameters ``weight`` (ones) and ``bias`` (zeros) when ``affine``; buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` when
    ``track_running_stats``.  ``momentum=None`` averages all batches seen (cumulative).
    """

    _ranks = (2, 3)
    _expected = "(N×C) or (N×C×L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs per channel; as :class:`BatchNorm1d`."""

    _ranks = (4,)
    _expected = "(N×C×H×W)"


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape``; ``weight`` (ones) and ``bias``
    (zeros) of that shape when ``elementwise_affine`` (``bias=False`` drops the bias)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = ((int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer))
                                 else tuple(int(n) for n in normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = _param(np.ones(self.normalized_shape), dtype)
            if bias:
                self.bias = _param(np.zeros(self.normalized_shape), dtype)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            raise ShapeError(f"LayerNorm({self.extra_repr()}): expected input "
                             f"(*×{'×'.join(map(str, self.normalized_shape))}), got {fmt_shape(x.shape)}")
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalization: ``num_channels`` split into ``num_groups``; per-channel ``weight``
    (ones) and ``bias`` (zeros) when ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels {num_channels} must be divisible by num_groups {num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = _param(np.ones(self.num_channels), dtype)
            self.bias = _param(np.zeros(self.num_channels), dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        check_rank(self, x, (2, 3, 4, 5), f"(N×C×*) with C={self.num_channels}")
        check_size(self, x, 1, self.num_channels, "(N×C×*)", "channels C")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
