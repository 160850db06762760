r"""Information theory: entropy, cross-entropy, KL and Jensen–Shannon divergence, mutual information (``cr.information``).

For discrete distributions given as probability vectors along ``axis`` (``probs``) or as
unnormalized log probabilities (``logits``, normalized by ``log_softmax``):

.. math::

    H(p) = -\sum_i p_i\log p_i,\qquad
    H(p, q) = -\sum_i p_i\log q_i,\qquad
    \mathrm{KL}(p\,\|\,q) = \sum_i p_i\log\frac{p_i}{q_i} = H(p, q) - H(p),

    \mathrm{JS}(p, q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m),\quad m = \tfrac12(p + q),
    \qquad I(X; Y) = \sum_{x,y} p(x, y)\log\frac{p(x, y)}{p(x)p(y)}

in nats, or in bits with ``base=2`` (any base :math:`b` divides by :math:`\log b`).  Terms with
:math:`p_i = 0` are 0 (``xlogy``), also in the derivatives; :math:`q_i = 0` where
:math:`p_i > 0` gives :math:`+\infty`.  Everything is differentiable.

Probabilities must be non-negative and sum to 1 along ``axis`` (``ValueError`` otherwise);
``normalize=True`` divides by the sum first, as ``scipy.stats.entropy`` always does.
:func:`differential_entropy` is the entropy of a :mod:`chainrule.distributions` object.
"""
from __future__ import annotations

import math

import numpy as np

from . import ops
from .ops import special
from .tensor import Tensor

__all__ = ["entropy", "cross_entropy", "kl_divergence", "js_divergence", "mutual_information",
           "conditional_entropy", "differential_entropy"]


def _log_base(base) -> float:
    if base is None:
        return 1.0
    if base <= 0 or base == 1:
        raise ValueError(f"the logarithm's base must be positive and not 1, got {base}")
    return math.log(base)


def _tensor(x):
    return x if isinstance(x, Tensor) else ops.as_tensor(x)


def _validated(where: str, name: str, p, axis, normalize: bool):
    """``p`` as a probability tensor along ``axis``: checked (or normalized) before any use."""
    p = _tensor(p)
    if p.ndim == 0:
        raise ValueError(f"{where}: {name} needs an axis of outcomes, got a scalar")
    values = p._data
    if values is not None:
        values = np.asarray(values)
        if np.any(values < 0) or np.any(np.isnan(values)):
            raise ValueError(f"{where}: {name} has negative or NaN probabilities")
        total = values.sum(axis=axis)
        if not normalize:
            tolerance = 1e-6 if values.dtype.itemsize >= 8 else 1e-4
            if np.any(np.abs(total - 1.0) > tolerance):
                raise ValueError(f"{where}: {name} must sum to 1 along axis {axis} (sums range over "
                                 f"[{total.min():.6g}, {total.max():.6g}]); pass normalize=True to divide by the sum")
        elif np.any(total <= 0):
            raise ValueError(f"{where}: {name} sums to 0 along axis {axis}; it cannot be normalized")
    return p / ops.sum(p, axis=axis, keepdims=True) if normalize else p


def _probs_and_logs(where: str, name: str, probs, logits, axis, normalize):
    """``(p, log p)`` from exactly one of ``probs`` and ``logits`` (``log p`` is None for probs:
    their terms use ``xlogy``, exact at 0)."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{where}: give exactly one of {name} and {name}_logits")
    if logits is not None:
        log_p = ops.log_softmax(_tensor(logits), axis=axis)
        return ops.exp(log_p), log_p
    return _validated(where, name, probs, axis, normalize), None


def _plogq(p, log_p, q, log_q):
    r""":math:`p\log q`, elementwise, with :math:`0\log q = 0`."""
    if log_q is None:
        return special.xlogy(p, q)
    return ops.where(p == 0, 0.0, p * log_q)


def entropy(probs=None, *, logits=None, axis: int = -1, base: float | None = None, normalize: bool = False):
    r"""Shannon entropy :math:`H(p) = -\sum_i p_i\log p_i` along ``axis`` (nats; bits with ``base=2``).

    .. math:: \frac{\partial H}{\partial p_i} = -\log p_i - 1

    ``scipy.stats.entropy(pk, base=base, axis=axis)`` for normalized ``pk``.
    """
    p, log_p = _probs_and_logs("entropy", "probs", probs, logits, axis, normalize)
    return -ops.sum(_plogq(p, log_p, p, log_p), axis=axis) / _log_base(base)


def cross_entropy(p=None, q=None, *, p_logits=None, q_logits=None, axis: int = -1, base: float | None = None,
                  normalize: bool = False):
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i\log q_i` along ``axis``: the expected code length
    of outcomes from :math:`p` coded for :math:`q`.  :math:`H(p, q) = H(p) + \mathrm{KL}(p\,\|\,q)`."""
    p, log_p = _probs_and_logs("cross_entropy", "p", p, p_logits, axis, normalize)
    q, log_q = _probs_and_logs("cross_entropy", "q", q, q_logits, axis, normalize)
    return -ops.sum(_plogq(p, log_p, q, log_q), axis=axis) / _log_base(base)


def kl_divergence(p=None, q=None, *, p_logits=None, q_logits=None, axis: int = -1, base: float | None = None,
                  normalize: bool = False):
    r"""Kullback–Leibler divergence :math:`\mathrm{KL}(p\,\|\,q) = \sum_i p_i\log\frac{p_i}{q_i} \ge 0` along ``axis``.

    ``scipy.stats.entropy(pk, qk)``; :math:`+\infty` where :math:`q_i = 0 < p_i`.  For
    distribution objects see :func:`chainrule.distributions.kl_divergence`.
    """
    p, log_p = _probs_and_logs("kl_divergence", "p", p, p_logits, axis, normalize)
    q, log_q = _probs_and_logs("kl_divergence", "q", q, q_logits, axis, normalize)
    terms = _plogq(p, log_p, p, log_p) - _plogq(p, log_p, q, log_q)
    return ops.sum(terms, axis=axis) / _log_base(base)


def js_divergence(p=None, q=None, *, p_logits=None, q_logits=None, axis: int = -1, base: float | None = None,
                  normalize: bool = False):
    r"""Jensen–Shannon divergence :math:`\tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)`,
    :math:`m = \tfrac12(p + q)`: symmetric, finite, at most :math:`\log 2` (1 bit).

    Its square root is a metric, ``scipy.spatial.distance.jensenshannon``."""
    p, _ = _probs_and_logs("js_divergence", "p", p, p_logits, axis, normalize)
    q, _ = _probs_and_logs("js_divergence", "q", q, q_logits, axis, normalize)
    m = 0.5 * (p + q)
    terms = 0.5 * (special.xlogy(p, p) + special.xlogy(q, q)) - special.xlogy(m, m)
    return ops.sum(terms, axis=axis) / _log_base(base)


def _joint(where: str, joint, normalize: bool):
    joint = _tensor(joint)
    if joint.ndim < 2:
        raise ValueError(f"{where}: the joint table needs two axes (X along -2, Y along -1), got shape {joint.shape}")
    flat = ops.reshape(joint, tuple(joint.shape[:-2]) + (-1,))
    flat = _validated(where, "joint", flat, -1, normalize)
    return ops.reshape(flat, tuple(joint.shape))


def mutual_information(joint, *, base: float | None = None, normalize: bool = False):
    r"""Mutual information :math:`I(X; Y) = \sum_{x,y} p(x, y)\log\frac{p(x, y)}{p(x)\,p(y)}` of a joint
    probability table (X along axis -2, Y along -1; leading axes are a batch).

    :math:`I(X; Y) = H(X) + H(Y) - H(X, Y) = \mathrm{KL}(p_{XY}\,\|\,p_X p_Y) \ge 0`, zero exactly
    when X and Y are independent.  ``normalize=True`` accepts a contingency table of counts.
    """
    joint = _joint("mutual_information", joint, normalize)
    p_x = ops.sum(joint, axis=-1, keepdims=True)
    p_y = ops.sum(joint, axis=-2, keepdims=True)
    terms = special.xlogy(joint, joint) - special.xlogy(joint, p_x * p_y)
    return ops.sum(terms, axis=(-2, -1)) / _log_base(base)


def conditional_entropy(joint, *, base: float | None = None, normalize: bool = False):
    r"""Conditional entropy :math:`H(Y \mid X) = -\sum_{x,y} p(x, y)\log\frac{p(x, y)}{p(x)} = H(X, Y) - H(X)`
    of a joint table (X along axis -2, Y along -1)."""
    joint = _joint("conditional_entropy", joint, normalize)
    p_x = ops.sum(joint, axis=-1, keepdims=True)
    terms = special.xlogy(joint, joint) - special.xlogy(joint, p_x)
    return -ops.sum(terms, axis=(-2, -1)) / _log_base(base)


def differential_entropy(distribution, *, base: float | None = None):
    r"""The (differential) entropy :math:`h(X) = -\int p(x)\log p(x)\,dx` of a
    :class:`chainrule.distributions.Distribution` (its closed form), in nats or base ``base``.

    Unlike the discrete entropy it can be negative (:math:`\mathcal U(0, \tfrac12)` has :math:`-\log 2`)
    and is not invariant under a change of variables."""
    return distribution.entropy() / _log_base(base)
