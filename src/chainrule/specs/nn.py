"""OpSpecs of the neural-network chapter (see specs/__init__.py): composites, and its
primitives: the dense layers' ``linear_map``, the one of normalization
(``batch_norm_train``, each of its three outputs) and the classification loss's
``class_nll`` with its adjoint.

Every activation, loss, normalization and dense function of ``cr.nn.functional`` is
checked against a NumPy/SciPy reference and its derivatives against central
differences, to order 2 where it is smooth on the sampled domain.  Activations are
sampled away from their kinks (what happens *at* a kink is a convention, tested in
tests/nn/test_activations.py); losses with a kink the sampler could approach
(``l1_loss``, the hinge of ``margin_ranking_loss``) stop at order 1.  Class indices,
masks and random seeds are bound in the lambdas: they are not differentiated.
Names that other chapters also use (``cross_entropy`` of two distributions, the
``softplus`` primitive, the ``linear`` decorator) are qualified: ``nn.functional.cross_entropy``.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import scipy.special

from ..nn import functional as F
from ..nn.cross_entropy import _class_nll, _class_nll_adjoint
from ..nn.linear import _linear_map
from ..nn.normalization import _batch_norm_train as _bn_primitive
from . import OpSpec, away_from_zero, positive, real

UNARY = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]
PAIR = [((5,), (5,)), ((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4))]


# ----------------------------------------------------------------------------- domains
def probabilities(rng, shape):
    """In (0.05, 0.95): probabilities away from 0 and 1, where log(p) and log(1 - p) are smooth."""
    return rng.uniform(0.05, 0.95, shape)


def away_from_unit(rng, shape):
    """Magnitudes in (0.2, 0.8) or (1.2, 2), either sign: inside and outside [-1, 1], away from ±1."""
    inside = rng.uniform(0.2, 0.8, shape)
    outside = rng.uniform(1.2, 2.0, shape)
    sign = rng.choice([-1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.5, inside, outside) * sign


def relu6_domain(rng, shape):
    """In (-2, -0.5) ∪ (0.5, 5.5) ∪ (6.5, 8): on each side of the kinks at 0 and 6."""
    pieces = [rng.uniform(-2, -0.5, shape), rng.uniform(0.5, 5.5, shape), rng.uniform(6.5, 8, shape)]
    return np.choose(rng.integers(0, 3, shape), pieces)


def past_threshold(rng, shape):
    """In (11, 15): with beta = 2, beyond softplus's threshold 20, where it is exactly x."""
    return rng.uniform(11.0, 15.0, shape)


def logits(rng, shape):
    """Normal logits times 3: confident and unconfident predictions."""
    return 3.0 * rng.standard_normal(shape)


def distribution(axis):
    """Rows of probabilities along ``axis`` (a Dirichlet(1) draw): class-probability targets."""
    def sample(rng, shape):
        p = rng.gamma(1.0, 1.0, shape) + 1e-3
        return p / p.sum(axis=axis, keepdims=True)
    sample.__doc__ = f"probability vectors along axis {axis}"
    return sample


def log_distribution(axis):
    """Logarithms of probability vectors along ``axis`` (the input of kl_div)."""
    draw = distribution(axis)

    def sample(rng, shape):
        return np.log(draw(rng, shape))
    sample.__doc__ = f"log-probability vectors along axis {axis}"
    return sample


# ----------------------------------------------------------------------------- references
def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x):
    return 0.5 * x * (1 + scipy.special.erf(x / np.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _softplus(x, beta, threshold):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](loss)


def _log_softmax(z, axis):
    return scipy.special.log_softmax(z, axis=axis)


def _cross_entropy_indices(z, y, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    """PyTorch's definition, written out: weighted NLL plus the smoothing term, both
    normalized in the mean by the weights of the non-ignored targets."""
    axis = 0 if z.ndim == 1 else 1
    classes = z.shape[axis]
    logp = np.moveaxis(_log_softmax(z, axis), axis, -1)          # (..., C)
    w = np.ones(classes) if weight is None else weight
    valid = y != ignore_index
    safe = np.where(valid, y, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    wy = w[safe] * valid
    nll = -picked * wy
    smooth = -(logp * w).sum(-1) * valid
    if reduction == "mean":
        nll, smooth = nll.sum() / wy.sum(), smooth.sum() / wy.sum()
    elif reduction == "sum":
        nll, smooth = nll.sum(), smooth.sum()
    return (1 - smoothing) * nll + smoothing / classes * smooth


def _class_nll_reference(logp, y, axis, reduction):
    """-log p at the target class of every position, by take_along_axis."""
    picked = np.take_along_axis(logp, np.expand_dims(y, axis), axis).squeeze(axis)
    return {"mean": -picked.mean(), "sum": -picked.sum(), "none": -picked}[reduction]


def _class_nll_adjoint_reference(g, y, axis, reduction, shape):
    """A one-hot pattern of the targets, times -g (divided by the count for the mean)."""
    onehot = np.moveaxis(np.eye(shape[axis])[y], -1, axis)
    scale = np.asarray(g) / y.size if reduction == "mean" else np.asarray(g)
    return -onehot * (scale if reduction != "none" else np.expand_dims(scale, axis))


def _cross_entropy_probabilities(z, q, smoothing=0.0):
    classes = z.shape[1]
    q = q * (1 - smoothing) + smoothing / classes
    return -(q * _log_softmax(z, 1)).sum(1).mean()


def _bce(p, y):
    return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100)).mean()


def _bce_logits(z, y, pos_weight=1.0):
    log_sig, log_one_minus = -np.logaddexp(0, -z), -np.logaddexp(0, z)
    return -(pos_weight * y * log_sig + (1 - y) * log_one_minus).mean()


def _batch_norm_train(x, g, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g.reshape(shape) + b.reshape(shape)


def _bn_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _batch_norm_outputs(x, g, b, axes, eps=1e-5):
    mu, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b, mu, var


def _batch_norm_eval(x, m, v, g, b, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + eps) * g.reshape(shape) + b.reshape(shape)


def _layer_norm(x, g, b, k, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps) * g + b


def _group_norm(x, g, b, groups, eps=1e-5):
    n, c = x.shape[:2]
    grouped = x.reshape(n, groups, -1)
    normed = ((grouped - grouped.mean(-1, keepdims=True)) / np.sqrt(grouped.var(-1, keepdims=True) + eps))
    shape = (1, c) + (1,) * (x.ndim - 2)
    return normed.reshape(x.shape) * g.reshape(shape) + b.reshape(shape)


def _cosine_embedding(x1, x2, t, margin):
    eps = 1e-12
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + eps) * ((x2 * x2).sum(-1) + eps))
    return np.where(t == 1, 1 - cos, np.maximum(cos - margin, 0)).mean()


# ----------------------------------------------------------------------------- fixed (non-differentiated) inputs
_Y4 = np.array([2, 0, 4, 2])                        # class indices for (4×5) logits
_Y_IGNORED = np.array([2, -100, 4, 1])
_Y_ND = np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])   # (2×2×2) targets of (2×3×2×2) logits
_CLASS_WEIGHT = np.array([0.5, 1.0, 2.0, 1.5, 0.8])
_POS_WEIGHT = np.array([0.5, 1.0, 2.0, 3.0])
_LABELS = np.array([1.0, -1.0, 1.0])
_INDICES = np.array([[0, 3, 3], [5, 1, 0]])


def _dropout_reference(x, p=0.3, seed=7):
    keep = np.random.default_rng(seed).random(np.shape(x)) >= p
    return x * keep / (1 - p)


SPECS = [
    # -- activations: sampled away from their kinks --------------------------------------------
    OpSpec("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [away_from_zero], UNARY, composite=True,
           reference=lambda x: np.where(x > 0, x, 0.1 * x)),
    OpSpec("elu", lambda x: F.elu(x, 1.5), [away_from_zero], UNARY, reference=lambda x: _elu(x, 1.5),
           composite=True),
    OpSpec("selu", F.selu, [away_from_zero], UNARY, composite=True,
           reference=lambda x: 1.0507009873554804934193349852946 * _elu(x, 1.6732632423543772848170429916717)),
    OpSpec("gelu", F.gelu, [real], UNARY, reference=_gelu, composite=True, case="exact"),
    OpSpec("gelu", lambda x: F.gelu(x, approximate="tanh"), [real], UNARY, reference=_gelu_tanh,
           composite=True, case="tanh"),
    OpSpec("silu", F.silu, [real], UNARY, reference=lambda x: x * scipy.special.expit(x), composite=True),
    OpSpec("nn.functional.softplus", lambda x: F.softplus(x, beta=2.0), [real], UNARY, composite=True,
           reference=lambda x: _softplus(x, 2.0, 20.0), case="beta=2"),
    OpSpec("nn.functional.softplus", lambda x: F.softplus(x, beta=2.0), [past_threshold], [((5,),)],
           reference=lambda x: _softplus(x, 2.0, 20.0), composite=True, case="beta=2,past threshold"),
    OpSpec("logsigmoid", F.logsigmoid, [real], UNARY, reference=lambda x: -np.logaddexp(0, -x), composite=True),
    OpSpec("hardtanh", F.hardtanh, [away_from_unit], UNARY, reference=lambda x: np.clip(x, -1, 1),
           composite=True),
    OpSpec("relu6", F.relu6, [relu6_domain], UNARY, reference=lambda x: np.clip(x, 0, 6), composite=True),
    # -- regression and ranking losses ---------------------------------------------------------------
    *[OpSpec("mse_loss", (lambda x, y, r=r: F.mse_loss(x, y, reduction=r)), [real, real], PAIR,
             reference=(lambda x, y, r=r: _reduce((x - y) ** 2, r)), composite=True, case=r)
      for r in ("mean", "sum", "none")],
    OpSpec("l1_loss", F.l1_loss, [real, real], PAIR, reference=lambda x, y: np.abs(x - y).mean(),
           order=1, composite=True),
    OpSpec("huber_loss", lambda x, y: F.huber_loss(x, y, delta=0.8, reduction="sum"), [logits, real], PAIR,
           reference=lambda x, y: np.where(np.abs(x - y) < 0.8, 0.5 * (x - y) ** 2,
                                           0.8 * (np.abs(x - y) - 0.4)).sum(), composite=True),
    OpSpec("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), [logits, real], PAIR,
           reference=lambda x, y: np.where(np.abs(x - y) < 0.5, (x - y) ** 2, np.abs(x - y) - 0.25).mean(),
           composite=True),
    OpSpec("gaussian_nll_loss", lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True), [real, real, positive],
           [((4,), (4,), (4,)), ((3, 4), (3, 4), (3, 4))], composite=True,
           reference=lambda x, y, v: (0.5 * (np.log(v) + (x - y) ** 2 / v) + 0.5 * math.log(2 * math.pi)).mean()),
    OpSpec("gaussian_nll_loss", lambda x, y, v: F.gaussian_nll_loss(x, y, v, reduction="sum"),
           [real, real, positive], [((3, 4), (3, 4), (3,))], composite=True, case="homoscedastic",
           reference=lambda x, y, v: (0.5 * (np.log(v[:, None]) + (x - y) ** 2 / v[:, None])).sum()),
    OpSpec("margin_ranking_loss", lambda a, b: F.margin_ranking_loss(a, b, _LABELS, margin=0.1), [real, real],
           [((3,), (3,))], reference=lambda a, b: np.maximum(0, -_LABELS * (a - b) + 0.1).mean(), order=1,
           composite=True),
    OpSpec("cosine_embedding_loss", lambda a, b: F.cosine_embedding_loss(a, b, _LABELS, margin=-0.5),
           [real, real], [((3, 4), (3, 4))], reference=lambda a, b: _cosine_embedding(a, b, _LABELS, -0.5),
           order=1, composite=True),
    # -- classification losses ----------------------------------------------------------------------------
    *[OpSpec("class_nll", (lambda lp, r=r: _class_nll(lp, target=_Y4, axis=1, reduction=r)), [real], [((4, 5),)],
             reference=(lambda lp, r=r: _class_nll_reference(lp, _Y4, 1, r)), case=r) for r in ("mean", "sum", "none")],
    OpSpec("class_nll", lambda lp: _class_nll(lp, target=np.array(3), axis=0, reduction="mean"), [real], [((5,),)],
           reference=lambda lp: _class_nll_reference(lp, np.array(3), 0, "mean"), case="one sample"),
    OpSpec("class_nll", lambda lp: _class_nll(lp, target=_Y_ND, axis=1, reduction="sum"), [real], [((2, 3, 2, 2),)],
           reference=lambda lp: _class_nll_reference(lp, _Y_ND, 1, "sum"), case="(N×C×d1×d2)"),
    *[OpSpec("class_nll_adjoint",
             (lambda g, r=r, shape=shape: _class_nll_adjoint(g, target=_Y4, axis=1, reduction=r, shape=(4, 5))),
             [real], [(shape,)], reference=(lambda g, r=r: _class_nll_adjoint_reference(g, _Y4, 1, r, (4, 5))), case=r)
      for r, shape in (("mean", ()), ("none", (4,)))],
    OpSpec("class_nll_adjoint",
           lambda g: _class_nll_adjoint(g, target=_Y_ND, axis=1, reduction="sum", shape=(2, 3, 2, 2)), [real], [((),)],
           reference=lambda g: _class_nll_adjoint_reference(g, _Y_ND, 1, "sum", (2, 3, 2, 2)), case="(N×C×d1×d2)"),
    *[OpSpec("nn.functional.cross_entropy", (lambda z, r=r: F.cross_entropy(z, _Y4, reduction=r)), [logits], [((4, 5),)],
             reference=(lambda z, r=r: _cross_entropy_indices(z, _Y4, reduction=r)), composite=True,
             case=f"indices,{r}") for r in ("mean", "sum", "none")],
    OpSpec("nn.functional.cross_entropy", lambda z: F.cross_entropy(z, np.array(3)), [logits], [((5,),)], composite=True,
           reference=lambda z: _cross_entropy_indices(z, np.array(3)), case="one sample"),
    OpSpec("nn.functional.cross_entropy", lambda z: F.cross_entropy(z, _Y_IGNORED, _CLASS_WEIGHT, label_smoothing=0.2),
           [logits], [((4, 5),)], composite=True, case="weight,ignore_index,label_smoothing",
           reference=lambda z: _cross_entropy_indices(z, _Y_IGNORED, _CLASS_WEIGHT, smoothing=0.2)),
    OpSpec("nn.functional.cross_entropy", lambda z: F.cross_entropy(z, _Y_ND, label_smoothing=0.1), [logits], [((2, 3, 2, 2),)],
           reference=lambda z: _cross_entropy_indices(z, _Y_ND, smoothing=0.1), composite=True, case="(N×C×d1×d2)"),
    OpSpec("nn.functional.cross_entropy", lambda z, q: F.cross_entropy(z, q, label_smoothing=0.1), [logits, distribution(1)],
           [((4, 5), (4, 5))], reference=lambda z, q: _cross_entropy_probabilities(z, q, 0.1), composite=True,
           case="probabilities"),
    OpSpec("nll_loss", lambda lp: F.nll_loss(lp, _Y_IGNORED, _CLASS_WEIGHT), [log_distribution(1)], [((4, 5),)],
           composite=True, reference=lambda lp: _cross_entropy_indices(lp, _Y_IGNORED, _CLASS_WEIGHT)),
    OpSpec("binary_cross_entropy", F.binary_cross_entropy, [probabilities, probabilities],
           [((4,), (4,)), ((3, 4), (3, 4))], reference=_bce, composite=True),
    OpSpec("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, [logits, probabilities],
           [((), ()), ((3, 4), (3, 4))], reference=_bce_logits, composite=True),
    OpSpec("binary_cross_entropy_with_logits",
           lambda z, y: F.binary_cross_entropy_with_logits(z, y, pos_weight=_POS_WEIGHT), [logits, probabilities],
           [((3, 4), (3, 4))], reference=lambda z, y: _bce_logits(z, y, _POS_WEIGHT), composite=True,
           case="pos_weight"),
    OpSpec("kl_div", lambda lq, p: F.kl_div(lq, p, reduction="batchmean"), [log_distribution(-1), distribution(-1)],
           [((3, 4), (3, 4))], reference=lambda lq, p: (p * (np.log(p) - lq)).sum() / lq.shape[0],
           composite=True, case="batchmean"),
    OpSpec("kl_div", lambda lq, lp: F.kl_div(lq, lp, reduction="sum", log_target=True),
           [log_distribution(-1), log_distribution(-1)], [((3, 4), (3, 4))], composite=True,
           reference=lambda lq, lp: (np.exp(lp) * (lp - lq)).sum(), case="log_target"),
    # -- normalization ---------------------------------------------------------------------------------------
    OpSpec("batch_norm", lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), [real, real, real],
           [((4, 3), (3,), (3,)), ((3, 2, 4), (2,), (2,)), ((2, 2, 3, 3), (2,), (2,))],
           reference=_batch_norm_train, composite=True, case="training"),
    *(OpSpec("batch_norm_train",
             lambda x, g, b, k=k: _bn_primitive(x, g, b, axes=_bn_axes(x), eps=1e-5)[k], [real, real, real],
             [((4, 3), (1, 3), (1, 3)), ((2, 2, 3, 3), (1, 2, 1, 1), (1, 2, 1, 1))],
             reference=lambda x, g, b, k=k: _batch_norm_outputs(x, g, b, _bn_axes(x))[k], case=case)
      for k, case in enumerate(("y", "mean", "variance"))),
    OpSpec("batch_norm", lambda x, m, v, g, b: F.batch_norm(x, m, v, g, b, training=False),
           [real, real, positive, real, real], [((4, 3), (3,), (3,), (3,), (3,)),
                                                 ((2, 3, 4), (3,), (3,), (3,), (3,))],
           reference=_batch_norm_eval, composite=True, case="evaluation"),
    OpSpec("layer_norm", lambda x, g, b: F.layer_norm(x, (4,), g, b), [real, real, real],
           [((4,), (4,), (4,)), ((3, 4), (4,), (4,))], reference=lambda x, g, b: _layer_norm(x, g, b, 1),
           composite=True, case="last axis"),
    OpSpec("layer_norm", lambda x, g, b: F.layer_norm(x, (3, 4), g, b), [real, real, real],
           [((2, 3, 4), (3, 4), (3, 4))], reference=lambda x, g, b: _layer_norm(x, g, b, 2), composite=True,
           case="last two axes"),
    OpSpec("group_norm", lambda x, g, b: F.group_norm(x, 2, g, b), [real, real, real],
           [((2, 4), (4,), (4,)), ((2, 4, 3), (4,), (4,)), ((2, 6, 2, 2), (6,), (6,))],
           reference=lambda x, g, b: _group_norm(x, g, b, 2), composite=True),
    # -- dense layers, embedding, dropout ---------------------------------------------------------------------
    OpSpec("linear_map", lambda x, w: _linear_map(x, w), [real, real], [((4,), (3, 4)), ((5, 4), (3, 4)),
                                                                      ((2, 5, 4), (3, 4))],
           reference=lambda x, w: x @ w.T),
    OpSpec("nn.functional.linear", F.linear, [real, real, real], [((4,), (3, 4), (3,)), ((5, 4), (3, 4), (3,)),
                                                    ((2, 5, 4), (3, 4), (3,))],
           reference=lambda x, w, b: x @ w.T + b, composite=True),
    OpSpec("bilinear", F.bilinear, [real, real, real, real], [((3,), (4,), (2, 3, 4), (2,)),
                                                              ((5, 3), (5, 4), (2, 3, 4), (2,))],
           reference=lambda x1, x2, w, b: np.einsum("...i,kij,...j->...k", x1, w, x2) + b, composite=True),
    OpSpec("embedding", lambda w: F.embedding(_INDICES, w), [real], [((6, 4),)], composite=True,
           reference=lambda w: w[_INDICES]),
    OpSpec("dropout", lambda x: F.dropout(x, 0.3, generator=7), [real], [((5,),), ((3, 4),)], composite=True,
           reference=_dropout_reference),
]


# Each lambda takes the name, module and docstring of the function it checks, so that the
# catalogue shows that function's mathematics and files it under its chapter.
_QUALIFIED = "nn.functional."
_PRIMITIVES = {"batch_norm_train": _bn_primitive, "class_nll": _class_nll, "class_nll_adjoint": _class_nll_adjoint,
               "linear_map": _linear_map}
for _spec in SPECS:
    if _spec.op.__name__ == "<lambda>":
        _checked = _PRIMITIVES[_spec.name].impl if _spec.name in _PRIMITIVES else \
            getattr(F, _spec.name.removeprefix(_QUALIFIED))
        functools.wraps(_checked)(_spec.op)
