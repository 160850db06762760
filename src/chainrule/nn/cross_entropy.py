r"""Losses of probabilistic classifiers: negative log-likelihoods and divergences.

=================================  ==========================================================
``nll_loss(logp, y)``              :math:`\ell_n = -w_{y_n}\,\log p_{n, y_n}`
``cross_entropy(z, y)``            ``nll_loss(log_softmax(z), y)``, from logits :math:`z`
``binary_cross_entropy(p, y)``     :math:`\ell = -w\,[y \log p + (1 - y)\log(1 - p)]`
``binary_cross_entropy_with_logits``  the same with :math:`p = \sigma(z)`, from logits
``kl_div(logq, p)``                :math:`\ell = p\,(\log p - \log q)` (``input`` is :math:`\log q`)
=================================  ==========================================================

Stability.  Logits never pass through ``exp`` on their own: ``cross_entropy`` uses the
``log_softmax`` primitive and ``binary_cross_entropy_with_logits`` the identity

.. math:: -[y\log\sigma(z) + (1-y)\log(1-\sigma(z))] = (1 - y)\,z + \operatorname{softplus}(-z),

so logits of :math:`\pm 10^4` give finite losses and gradients
(:math:`\partial\ell/\partial z = \sigma(z) - y`).

Weighted means follow PyTorch exactly: with class weights :math:`w` and ignored targets
dropped, ``reduction="mean"`` is :math:`\sum_n w_{y_n}\ell_n / \sum_n w_{y_n}`, a weighted
average rather than the plain mean.

The common case — every target a class, no weights, no smoothing — is one primitive,
``class_nll`` (PyTorch's ``nll_loss`` kernel): a classifier's loss is then two recorded
operations, ``log_softmax`` and ``class_nll``, instead of a gather, a sum, a scaling and
a negation, and its derivative is one scatter.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.primitive import linear
from ..backend import xp
from ..errors import DTypeError, ShapeError, fmt_shape
from ..ops.creation import as_tensor
from ..ops.elementwise import astype, exp, log, softplus, where
from ..ops.piecewise import maximum
from ..ops.indexing import getitem
from ..ops.reductions import mean, sum as reduce_sum
from ..ops.log_sum_exp import log_softmax
from ..ops.shape import broadcast_to, reshape
from ..tensor import Tensor
from .reduction import check_reduction, concrete, reduce, same_shape


# ----------------------------------------------------------------------------- class indices
def _class_axis(x, name):
    if x.ndim == 0:
        raise ShapeError(f"{name}: input must have a class axis: (C), (N×C) or (N×C×d1×…), got a scalar")
    return 0 if x.ndim == 1 else 1


def _class_indices(name, x, target, ignore_index):
    """The integer targets as an array, checked: shape (N, d1, …) and values in [0, C) or ignore_index."""
    axis = _class_axis(x, name)
    expected = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    t = concrete(target)
    if t is None:
        raise ShapeError(f"{name}: class indices must be a plain integer tensor, not a batched one inside vmap")
    if t.dtype.kind not in "iu":
        raise DTypeError(f"{name}: class indices must be integers, got dtype {t.dtype} for input "
                         f"{fmt_shape(x.shape)} (class probabilities must have the input's shape)")
    if tuple(t.shape) != expected:
        raise ShapeError(f"{name}: input {fmt_shape(x.shape)} needs class indices of shape {fmt_shape(expected)}, "
                         f"got {fmt_shape(t.shape)}")
    classes = x.shape[axis]
    if t.size:
        lo, hi = t.min(), t.max()
        if 0 <= lo and hi < classes and not lo <= ignore_index <= hi:
            return t, None, axis        # the common case: every target is a class, none ignored
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= classes))
    if bad.any():
        raise ShapeError(f"{name}: class index {int(t[bad].flat[0])} is out of range for {classes} classes "
                         f"(valid: 0 … {classes - 1}, or ignore_index={ignore_index})")
    return t, valid, axis


# ----------------------------------------------------------------------------- the common case
def _target_positions(shape, target, axis):
    r"""The index of :math:`\log p_{n, y_n}` at every position ``n`` of ``target``: the target
    class along ``axis``, every other axis running over its range (each position once)."""
    ns = xp(target)
    if len(shape) == 2:
        return (ns.arange(shape[0]), target) if axis == 1 else (target, ns.arange(shape[1]))
    k = target.ndim                 # an open grid over the target's axes (numpy.ogrid's), in its namespace
    grid = [ns.arange(n).reshape((1,) * i + (n,) + (1,) * (k - i - 1)) for i, n in enumerate(target.shape)]
    return tuple(grid[:axis] + [target] + grid[axis:])


@linear(name="class_nll")
def _class_nll(logp, target, axis, reduction):
    r"""Negative log-likelihood of the target classes from log-probabilities ``logp``, the
    class axis ``axis`` and one target per other position, reduced by ``reduction``:

    .. math:: \ell_n = -\log p_{n, y_n}, \qquad \text{mean} = \frac1N \sum_n \ell_n

    Linear in :math:`\log p`.  Its adjoint scatters :math:`-\bar\ell_n` (:math:`-\bar\ell/N`
    for the mean) to the target entries, a plain assignment: every position has one target,
    so no entry is written twice.
    """
    picked = logp[_target_positions(logp.shape, target, axis)]
    if reduction == "none":
        return -picked
    total = -picked.sum()
    return total / picked.size if reduction == "mean" else total


@linear(name="class_nll_adjoint")
def _class_nll_adjoint(g, target, axis, reduction, shape):
    r"""The adjoint of ``class_nll``: zeros of ``shape`` with :math:`-\bar\ell_n` at the target
    entries (:math:`-\bar\ell/N` each for the mean, :math:`-\bar\ell` for the sum).

    .. math:: y_{n, c} = -\tfrac1N\, g\, [c = y_n], \qquad \bar g = -\tfrac1N \sum_n \bar y_{n, y_n}

    Linear in ``g``; its adjoint is ``class_nll`` itself.
    """
    out = xp(g).zeros(shape, g.dtype)
    out[_target_positions(shape, target, axis)] = -g / target.size if reduction == "mean" else -g
    return out


_class_nll.transposes(lambda g, out, logp, target, axis, reduction:
                      _class_nll_adjoint(g, target=target, axis=axis, reduction=reduction, shape=tuple(logp.shape)))
_class_nll_adjoint.transposes(lambda ct, out, g, target, axis, reduction, shape:
                              _class_nll(ct, target=target, axis=axis, reduction=reduction))
_class_nll.formula(definition=r"\ell = -\tfrac1N \textstyle\sum_n \log p_{n, y_n}",
                   derivative=r"\bar{\log p}_{n, c} = -\tfrac1N\,\bar\ell\,[c = y_n]",
                   convention=r"\text{sum: no } 1/N;\ \text{none: } \ell_n = -\log p_{n, y_n}")
_class_nll_adjoint.formula(definition=r"y_{n, c} = -\tfrac1N\,g\,[c = y_n]",
                           derivative=r"\bar g = -\tfrac1N \textstyle\sum_n \bar y_{n, y_n}")


def _batched_targets(target, size):
    """One batch's targets for each of ``size`` members (vmap): the same array, broadcast."""
    return xp(target).broadcast_to(target, (size,) + target.shape)


def _class_nll_batch(args, batched, size, target, axis, reduction):
    per_position = _class_nll(args[0], target=_batched_targets(target, size), axis=axis + 1, reduction="none")
    if reduction == "none":
        return per_position
    total = reduce_sum(per_position, axis=tuple(range(1, per_position.ndim)))
    return total / target.size if reduction == "mean" else total


def _class_nll_adjoint_batch(args, batched, size, target, axis, reduction, shape):
    g = args[0]
    if reduction != "none":          # one cotangent per member, the same at each of its positions
        g = broadcast_to(reshape(g, (size,) + (1,) * target.ndim), (size,) + target.shape)
        if reduction == "mean":
            g = g / target.size
    return _class_nll_adjoint(g, target=_batched_targets(target, size), axis=axis + 1, reduction="none",
                              shape=(size,) + tuple(shape))


_class_nll.defbatch(_class_nll_batch)
_class_nll_adjoint.defbatch(_class_nll_adjoint_batch)


def _check_weight(name, weight, classes, dtype):
    if weight is None:
        return None
    weight = as_tensor(weight)
    if weight.dtype != dtype and weight.dtype.kind == "f":
        weight = astype(weight, dtype)        # float64 class weights must not promote a float32 loss
    if tuple(weight.shape) != (classes,):
        raise ShapeError(f"{name}: weight must have one entry per class, shape ({classes}), got "
                         f"{fmt_shape(weight.shape)}")
    return weight


def _nll(name, logp, target, weight, ignore_index, reduction, label_smoothing=0.0):
    """``nll_loss`` (and cross-entropy's label smoothing) on log-probabilities ``logp``."""
    t, valid, axis = _class_indices(name, logp, target, ignore_index)
    classes = logp.shape[axis]
    weight = _check_weight(name, weight, classes, logp.dtype)
    if weight is None and label_smoothing == 0.0 and valid is None:
        # the common case: every target counts once, so the weighted mean is the plain mean
        return _class_nll(logp, target=t, axis=axis, reduction=reduction)
    if valid is None:
        valid = np.ones(t.shape, bool)
    safe = np.where(valid, t, 0)
    valid_f = Tensor._wrap(valid.astype(logp.dtype))
    # per-target weights w_{y_n}, 0 where the target is ignored
    w = valid_f if weight is None else getitem(weight, (safe,)) * valid_f
    losses = _class_nll(logp, target=safe, axis=axis, reduction="none") * w     # -w_{y_n} log p_{n, y_n}
    if reduction == "none":
        nll = losses
    elif reduction == "sum":
        nll = reduce_sum(losses)
    else:
        total_weight = reduce_sum(w)
        nll = reduce_sum(losses) / total_weight
    if label_smoothing == 0.0:
        return nll
    # The smoothing term: -Σ_c w_c log p_c per position (PyTorch's formula, including its
    # normalization of the mean by the weights of the non-ignored targets).
    shape = (1,) * axis + (classes,) + (1,) * (logp.ndim - axis - 1)
    weighted = logp if weight is None else logp * reshape(weight, shape)
    smooth = -reduce_sum(weighted, axis=axis) * valid_f
    if reduction == "sum":
        smooth = reduce_sum(smooth)
    elif reduction == "mean":
        smooth = reduce_sum(smooth) / reduce_sum(w)
    return (1.0 - label_smoothing) * nll + smooth * (label_smoothing / classes)


def nll_loss(input: Tensor, target, weight=None, *, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    r"""Negative log-likelihood of class indices under log-probabilities ``input`` (C), (N, C) or (N, C, d1, …).

    .. math:: \ell_n = -w_{y_n} \log p_{n, y_n}, \qquad
              \text{mean} = \frac{\sum_n \ell_n}{\sum_n w_{y_n}}

    Targets equal to ``ignore_index`` contribute nothing (nor weight).  The derivative is
    :math:`-w_{y_n}` at the target entry and 0 elsewhere (a scatter of the gather).
    """
    check_reduction(reduction, "nll_loss")
    input = as_tensor(input)
    return _nll("nll_loss", input, target, weight, ignore_index, reduction)


def cross_entropy(input: Tensor, target, weight=None, *, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    r"""Cross-entropy between logits ``input`` (C), (N, C) or (N, C, d1, …) and a target of class
    indices (shape without the class axis) or class probabilities (the input's shape).

    Indices, with :math:`\log p = \operatorname{log\_softmax}(z)` over the class axis,
    :math:`C` classes and smoothing :math:`\varepsilon`:

    .. math:: \ell_n = (1 - \varepsilon)\,(-w_{y_n}\log p_{n,y_n})
              + \frac{\varepsilon}{C}\Big(-\sum_c w_c \log p_{n,c}\Big)

    and ``mean`` divides both sums by :math:`\sum_n w_{y_n}` over non-ignored targets
    (PyTorch's normalization).  Probabilities :math:`q` (smoothed to
    :math:`(1-\varepsilon)q + \varepsilon/C`): :math:`\ell_n = -\sum_c w_c q_{n,c}\log p_{n,c}`,
    ``mean`` over the :math:`N\,d_1\cdots` positions (unweighted); ``ignore_index`` does not
    apply.  Without weights and smoothing the gradient is the familiar
    :math:`\partial\ell_n/\partial z_n = \operatorname{softmax}(z_n) - e_{y_n}`.
    """
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = as_tensor(input)
    axis = _class_axis(input, "cross_entropy")
    logp = log_softmax.primitive(input, axis=(axis,))
    probabilities = isinstance(target, Tensor) and target.dtype.kind == "f" or (
        not isinstance(target, Tensor) and np.asarray(target).dtype.kind == "f")
    if not probabilities:
        return _nll("cross_entropy", logp, target, weight, ignore_index, reduction, label_smoothing)
    target = as_tensor(target)
    if tuple(target.shape) != tuple(input.shape):
        raise ShapeError(f"cross_entropy: class probabilities must have the input's shape {fmt_shape(input.shape)}, "
                         f"got {fmt_shape(target.shape)} (class indices must be integers)")
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index applies to class indices, not to class probabilities")
    classes = input.shape[axis]
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    weighted = target * logp
    weight = _check_weight("cross_entropy", weight, classes, input.dtype)
    if weight is not None:
        weighted = weighted * reshape(weight, (classes,) + (1,) * (input.ndim - axis - 1))
    losses = -reduce_sum(weighted, axis=axis)
    if reduction == "mean":
        return reduce_sum(losses) * (1.0 / max(1, input.size // classes)) if input.size else mean(losses)
    return reduce(losses, reduction)


# ----------------------------------------------------------------------------- binary
def _clamped_log(p):
    r""":math:`\max(\log p, -100)` (PyTorch's clamp), with the logarithm evaluated at 1 where
    :math:`p \le 0` so that no :math:`0\cdot\infty` reaches the gradient (derivative 0 there)."""
    positive = p > 0
    return where(positive, maximum(log(where(positive, p, 1.0)), -100.0), -100.0)


def binary_cross_entropy(input: Tensor, target, weight=None, *, reduction: str = "mean") -> Tensor:
    r"""Binary cross-entropy of probabilities ``input`` in :math:`[0, 1]` against targets ``target``:

    .. math:: \ell = -w\,\big[y\,\max(\log p, -100) + (1 - y)\max(\log(1 - p), -100)\big]

    The logarithms are clamped at :math:`-100` as in PyTorch, so :math:`p \in \{0, 1\}` gives a
    finite loss.  Prefer :func:`binary_cross_entropy_with_logits`, which is stable in the logits.
    """
    check_reduction(reduction, "binary_cross_entropy")
    input, target = same_shape("binary_cross_entropy", input, target)
    values = concrete(input)
    if values is not None and values.size and ((values < 0) | (values > 1)).any():
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got values in "
                         f"[{values.min():.4g}, {values.max():.4g}] (pass logits to binary_cross_entropy_with_logits)")
    losses = -(target * _clamped_log(input) + (1.0 - target) * _clamped_log(1.0 - input))
    if weight is not None:
        losses = losses * weight
    return reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, *, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    r"""Binary cross-entropy from logits :math:`z`, with positive-class weight :math:`c` (``pos_weight``,
    broadcast along the last axis):

    .. math:: \ell = w\,\big[(1 - y)\,z + (1 + (c - 1)\,y)\operatorname{softplus}(-z)\big]
              = -w\,[c\,y\log\sigma(z) + (1 - y)\log(1 - \sigma(z))]

    .. math:: \frac{\partial\ell}{\partial z} = w\,[(1 + (c-1)y)\,\sigma(z) - c\,y]
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        losses = (1.0 - target) * input + softplus(-input)
    else:
        losses = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus(-input)
    if weight is not None:
        losses = losses * weight
    return reduce(losses, reduction)


# ----------------------------------------------------------------------------- divergence
def kl_div(input: Tensor, target, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    r"""Kullback–Leibler divergence :math:`\ell = p\,(\log p - \log q)` per element, with ``input``
    :math:`= \log q` (log-probabilities) and ``target`` :math:`= p` (or :math:`\log p` with ``log_target``).

    Terms with :math:`p = 0` are 0 (:math:`0 \log 0 = 0`).  ``reduction="batchmean"`` divides
    the sum by the batch size ``input.shape[0]`` — the divergence per sample, the
    mathematically meaningful choice; ``"mean"`` averages over all elements (as PyTorch).

    .. math:: \frac{\partial\ell}{\partial \log q} = -p, \qquad
              \frac{\partial\ell}{\partial p} = \log p + 1 - \log q
    """
    check_reduction(reduction, "kl_div", ("none", "mean", "sum", "batchmean"))
    input, target = same_shape("kl_div", input, target)
    if log_target:
        losses = exp(target) * (target - input)
    else:
        positive = target > 0
        # x log x with 0 log 0 = 0; log evaluated at 1 where masked, so no 0·∞ in the gradient
        entropy_term = where(positive, target * log(where(positive, target, 1.0)), 0.0)
        losses = entropy_term - target * input
    if reduction == "batchmean":
        total = reduce_sum(losses)
        return total / input.shape[0] if input.ndim else total
    return reduce(losses, reduction)


__all__ = ["nll_loss", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]
