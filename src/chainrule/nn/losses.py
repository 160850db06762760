r"""Losses: regression, ranking and likelihood losses as functions, and every loss as a module.

Per element, with :math:`d = x - y` (prediction minus target):

======================  ===============================================================  =====================
loss                    :math:`\ell`                                                     :math:`\partial\ell/\partial x`
======================  ===============================================================  =====================
``mse_loss``            :math:`d^2`                                                      :math:`2d`
``l1_loss``             :math:`|d|`                                                      :math:`\operatorname{sign} d` (0 at 0)
``huber_loss``          :math:`\tfrac12 d^2` if :math:`|d| < \delta`, else :math:`\delta(|d| - \tfrac12\delta)`  :math:`\operatorname{clip}(d, -\delta, \delta)`
``smooth_l1_loss``      :math:`\tfrac12 d^2/\beta` if :math:`|d| < \beta`, else :math:`|d| - \tfrac12\beta`   :math:`\operatorname{clip}(d/\beta, -1, 1)`
``gaussian_nll_loss``   :math:`\tfrac12(\log v + d^2/v)` (+ :math:`\tfrac12\log 2\pi` if ``full``)   :math:`d/v`
======================  ===============================================================  =====================

and for pairs, with labels :math:`t \in \{1, -1\}`,
``margin_ranking_loss`` :math:`\max(0, -t(x_1 - x_2) + m)` and ``cosine_embedding_loss``
:math:`1 - \cos(x_1, x_2)` for :math:`t = 1`, :math:`\max(0, \cos(x_1, x_2) - m)` for :math:`t = -1`.
Their clamps at 0 use ``clip`` (derivative 1 at the kink, as PyTorch's ``clamp_min``).

``reduction`` is ``"none"``, ``"mean"`` (default) or ``"sum"``.  The classification losses
(cross-entropy and relatives) are in :mod:`chainrule.nn.cross_entropy`.
"""
from __future__ import annotations

import math

from ..autodiff.transforms import stop_gradient
from ..errors import ShapeError, fmt_shape
from ..ops.creation import as_tensor
from ..ops.elementwise import log, sqrt, where
from ..ops.piecewise import abs as absolute, clip
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import expand_dims
from ..tensor import Tensor
from .cross_entropy import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, kl_div,
                            nll_loss)
from .module import Module
from .reduction import check_reduction, concrete, reduce, same_shape


# ----------------------------------------------------------------------------- regression
def mse_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    r"""Squared error :math:`\ell = (x - y)^2` per element."""
    check_reduction(reduction, "mse_loss")
    input, target = same_shape("mse_loss", input, target)
    d = input - target
    return reduce(d * d, reduction)


def l1_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    r"""Absolute error :math:`\ell = |x - y|`; derivative :math:`\operatorname{sign}(x - y)`, 0 at a tie."""
    check_reduction(reduction, "l1_loss")
    input, target = same_shape("l1_loss", input, target)
    return reduce(absolute(input - target), reduction)


def huber_loss(input: Tensor, target, *, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    r"""Huber loss: quadratic for :math:`|d| < \delta`, linear beyond; once continuously differentiable.

    .. math:: \ell = \begin{cases}\tfrac12 d^2 & |d| < \delta\\ \delta\,(|d| - \tfrac12\delta) & \text{else}\end{cases}
    """
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = same_shape("huber_loss", input, target)
    d = input - target
    size = absolute(d)
    return reduce(where(size < delta, 0.5 * d * d, delta * (size - 0.5 * delta)), reduction)


def smooth_l1_loss(input: Tensor, target, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    r"""Smooth L1: :math:`\tfrac12 d^2/\beta` for :math:`|d| < \beta`, :math:`|d| - \tfrac12\beta` beyond
    (Huber divided by :math:`\beta`); ``beta=0`` is the L1 loss."""
    check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = same_shape("smooth_l1_loss", input, target)
    d = input - target
    size = absolute(d)
    if beta == 0.0:
        return reduce(size, reduction)
    return reduce(where(size < beta, (0.5 / beta) * d * d, size - 0.5 * beta), reduction)


def _gaussian_var(input, var):
    """``var`` shaped to broadcast against ``input``, by PyTorch's rules for homoscedastic variances."""
    if isinstance(var, (int, float)):
        return as_tensor(float(var)) + 0.0 * input
    var = as_tensor(var)
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(var.shape) == tuple(input.shape[:-1]):
        return expand_dims(var, -1)
    mismatched = [(a, b) for a, b in zip(input.shape, var.shape) if a != b]
    if var.ndim == input.ndim and len(mismatched) == 1 and mismatched[0][1] == 1:
        return var
    raise ShapeError(f"gaussian_nll_loss: var {fmt_shape(var.shape)} does not fit input {fmt_shape(input.shape)}: "
                     f"give the input's shape, the input's shape without its last axis, or one axis of length 1")


def gaussian_nll_loss(input: Tensor, target, var, *, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of ``target`` under :math:`N(\mathrm{input}, \mathrm{var})`:

    .. math:: \ell = \tfrac12\Big(\log v + \frac{(x - y)^2}{v}\Big) \;(+\tfrac12\log 2\pi \text{ if full}),
              \qquad v = \max(\mathrm{var}, \epsilon)

    As in PyTorch the clamp at :math:`\epsilon` only changes the value: the derivative with
    respect to ``var`` is the formula's, :math:`\tfrac12(1/v - d^2/v^2)`, even where it clamps.
    ``var`` may have the input's shape or omit/broadcast one axis (homoscedastic).
    """
    check_reduction(reduction, "gaussian_nll_loss")
    input, target = same_shape("gaussian_nll_loss", input, target)
    var = _gaussian_var(input, var)
    values = concrete(var)
    if values is not None and (values < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entries")
    # the clamped value with an identity derivative (PyTorch clamps in place under no_grad)
    var = var + stop_gradient(clip(var, min=eps) - var)
    d = input - target
    losses = 0.5 * (log(var) + d * d / var)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return reduce(losses, reduction)


# ----------------------------------------------------------------------------- pairs
def _pair_labels(name, x1, x2, target, feature_axis):
    x1, x2 = same_shape(name, x1, x2, ("input1", "input2"))
    target = as_tensor(target)
    expected = tuple(x1.shape[:-1]) if feature_axis else tuple(x1.shape)
    if tuple(target.shape) != expected:
        raise ShapeError(f"{name}: inputs {fmt_shape(x1.shape)} need a target of shape {fmt_shape(expected)}, "
                         f"got {fmt_shape(target.shape)}")
    return x1, x2, target


def margin_ranking_loss(input1: Tensor, input2: Tensor, target, *, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    r""":math:`\ell = \max(0, -t\,(x_1 - x_2) + m)`: zero when :math:`x_1` ranks above :math:`x_2`
    by the margin as the label :math:`t \in \{1, -1\}` says."""
    check_reduction(reduction, "margin_ranking_loss")
    x1, x2, target = _pair_labels("margin_ranking_loss", input1, input2, target, feature_axis=False)
    return reduce(clip(-target * (x1 - x2) + margin, min=0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target, *, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    r"""Cosine embedding loss of pairs (N, D) or (D), labels :math:`t \in \{1, -1\}` (N) or ():

    .. math:: \cos = \frac{x_1\cdot x_2}{\sqrt{(\|x_1\|^2 + \epsilon)(\|x_2\|^2 + \epsilon)}},\quad
              \ell = \begin{cases} 1 - \cos & t = 1\\ \max(0, \cos - m) & t = -1\end{cases}

    with PyTorch's :math:`\epsilon = 10^{-12}` (which keeps the loss finite at :math:`x = 0`).
    """
    check_reduction(reduction, "cosine_embedding_loss")
    x1, x2, target = _pair_labels("cosine_embedding_loss", input1, input2, target, feature_axis=True)
    if x1.ndim not in (1, 2):
        raise ShapeError(f"cosine_embedding_loss: expected inputs (N×D) or (D), got {fmt_shape(x1.shape)}")
    labels = concrete(target)
    if labels is not None and not ((labels == 1) | (labels == -1)).all():
        raise ValueError("cosine_embedding_loss: target labels must be 1 or -1")
    eps = 1e-12
    dot = reduce_sum(x1 * x2, axis=-1)
    cos = dot / sqrt((reduce_sum(x1 * x1, axis=-1) + eps) * (reduce_sum(x2 * x2, axis=-1) + eps))
    losses = where(target == 1, 1.0 - cos, 0.0) + where(target == -1, clip(cos - margin, min=0.0), 0.0)
    return reduce(losses, reduction)


# ----------------------------------------------------------------------------- modules
class _Loss(Module):
    _name = ""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        check_reduction(reduction, type(self).__name__, self._reductions())
        self.reduction = reduction

    @staticmethod
    def _reductions():
        return ("none", "mean", "sum")

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """:func:`mse_loss` as a module: ``loss(input, target)``."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """:func:`l1_loss` as a module."""

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """:func:`huber_loss` as a module (``delta``)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """:func:`smooth_l1_loss` as a module (``beta``)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class GaussianNLLLoss(_Loss):
    """:func:`gaussian_nll_loss` as a module: ``loss(input, target, var)``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """:func:`margin_ranking_loss` as a module: ``loss(input1, input2, target)``."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """:func:`cosine_embedding_loss` as a module: ``loss(input1, input2, target)``."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class _WeightedLoss(_Loss):
    """A loss with class weights, kept as a buffer named ``weight`` (PyTorch's state_dict name)."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight))


class NLLLoss(_WeightedLoss):
    """:func:`nll_loss` as a module: ``loss(log_probabilities, class_indices)``."""

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """:func:`cross_entropy` as a module: ``loss(logits, target)`` with class indices or probabilities."""

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                             label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """:func:`binary_cross_entropy` as a module: ``loss(probabilities, targets)``."""

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """:func:`binary_cross_entropy_with_logits` as a module; ``pos_weight`` is a buffer."""

    def __init__(self, weight=None, *, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None else as_tensor(pos_weight))

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """:func:`kl_div` as a module: ``loss(log_q, p)``; ``reduction`` also accepts ``"batchmean"``."""

    def __init__(self, reduction: str = "mean", *, log_target: bool = False):
        super().__init__(reduction)
        self.log_target = log_target

    @staticmethod
    def _reductions():
        return ("none", "mean", "sum", "batchmean")

    def forward(self, input, target):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "gaussian_nll_loss", "margin_ranking_loss",
           "cosine_embedding_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div"]
