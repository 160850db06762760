r"""Distributions over :math:`K` categories: categorical, one-hot categorical and multinomial.

The parameter is ``probs`` (a probability vector along the last axis) or ``logits``
(unnormalized log probabilities, :math:`p = \operatorname{softmax}(\ell)`), exactly one.
Unlike PyTorch, ``probs`` that do not sum to 1 are rejected (``validate_args``) rather than
silently renormalized; logits are normalized, :math:`\ell - \operatorname{logsumexp}(\ell)`.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import ShapeError
from ..ops import special
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution, as_float, cached_property, float_dtype


def _numpy(t):
    return np.asarray(t.detach().numpy())


def _smallest_log(dtype) -> float:
    """The most negative finite number: a log probability of -inf is clamped to it, so that
    :math:`0 \\cdot \\log 0` is 0 and not NaN (PyTorch's device)."""
    return float(np.finfo(dtype).min)


class Categorical(Distribution):
    r"""One of :math:`K` categories :math:`\{0, \dots, K-1\}` with probabilities ``probs``
    :math:`p` (or ``logits``), along the last axis.

    .. math:: P(k) = p_k,\qquad F(k) = \textstyle\sum_{j \le k} p_j

    ``batch_shape`` is the parameter's shape without its last axis; ``event_shape`` is ``()``;
    samples are int64 indices.  Mean and variance are NaN (categories are labels; PyTorch's
    values); mode :math:`\arg\max_k p_k`; entropy :math:`-\sum_k p_k\log p_k`.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_rsample = False

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError(f"{type(self).__name__}: give exactly one of probs or logits")
        given = probs if logits is None else logits
        self._dtype = float_dtype(given)
        given = as_float(given, self._dtype)
        if given.ndim < 1:
            raise ShapeError(f"{type(self).__name__}: probs/logits need a last axis of categories, got a scalar")
        self._from_logits = logits is not None
        if self._from_logits:
            self.logits = given
        else:
            self.probs = given
        self._num_events = given.shape[-1]
        super().__init__(tuple(given.shape[:-1]), validate_args=validate_args)

    @cached_property
    def logits(self):
        return ops.log(self.probs)

    @cached_property
    def probs(self):
        return ops.softmax(self.logits, axis=-1)

    @cached_property
    def _log_probs(self):
        """Normalized log probabilities, clamped below at the smallest finite number."""
        smallest = _smallest_log(self._dtype)
        if self._from_logits:
            return ops.maximum(ops.log_softmax(self.logits, axis=-1), smallest)
        p = self._normalized_probs
        possible = p > 0
        # log of a zero probability is never formed (double where): no warning, no NaN gradient
        return ops.where(possible, ops.log(ops.where(possible, p, 1.0)), smallest)

    @property
    def _normalized_probs(self):
        if self._from_logits:
            return self.probs
        return self.probs / ops.sum(self.probs, axis=-1, keepdims=True)

    @property
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def _as_value(self, value):
        if not isinstance(value, Tensor):
            value = ops.as_tensor(np.asarray(value))
        return value

    @property
    def mean(self):
        return ops.full(self._batch_shape, np.nan, dtype=self._dtype)

    @property
    def variance(self):
        return ops.full(self._batch_shape, np.nan, dtype=self._dtype)

    @property
    def mode(self):
        return ops.argmax(self._log_probs, axis=-1)

    def _sample(self, shape, rng):
        cumulative = np.cumsum(_numpy(self._normalized_probs), axis=-1)
        u = rng.random(shape)[..., None] * cumulative[..., -1:]
        index = np.minimum((u >= cumulative).sum(axis=-1), self._num_events - 1)
        return ops.as_tensor(index.astype(np.int64))

    def _gather(self, table, value):
        """``table[..., value]`` with ``value``'s shape broadcast against the batch shape."""
        index = ops.astype(value, np.int64)
        shape = np.broadcast_shapes(tuple(index.shape), self._batch_shape)
        table = ops.broadcast_to(table, shape + (self._num_events,))
        index = ops.broadcast_to(index, shape) if tuple(index.shape) != shape else index
        return ops.take_along_axis(table, ops.expand_dims(index, -1), axis=-1)[..., 0]

    def _log_prob(self, value):
        return self._gather(self._log_probs, value)

    def _cdf(self, value):
        k = ops.floor(ops.astype(value, self._dtype) if value.dtype.kind != "f" else value)
        last = self._num_events - 1
        inside = (k >= 0) & (k < last)
        cumulative = ops.cumsum(self._normalized_probs, axis=-1)
        within = self._gather(cumulative, ops.where(inside, k, 0.0))
        return ops.where(inside, within, ops.where(k < 0, 0.0, 1.0))

    def _icdf(self, q):
        cumulative = ops.cumsum(self._normalized_probs, axis=-1)
        below = ops.sum(ops.astype(cumulative < ops.expand_dims(q, -1), np.int64), axis=-1)
        return ops.minimum(below, self._num_events - 1)

    def entropy(self):
        return -ops.sum(self._normalized_probs * self._log_probs, axis=-1)

    def enumerate_support(self):
        """The categories :math:`0, \\dots, K-1` as a column broadcasting against the batch."""
        values = np.arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        return ops.as_tensor(values)


class _CategoryCounts(Distribution):
    """What the one-hot categorical and the multinomial share: a vector of :math:`K` counts, one
    per category, of categorical draws with one ``probs`` (or ``logits``) vector.  The
    parameter is held, validated and normalized by an inner :class:`Categorical`; the event
    axis is its categories."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        self._dtype = self._categorical._dtype
        k = self._categorical._num_events
        # the categorical has validated the parameter; its setting carries over to log_prob
        super().__init__(self._categorical.batch_shape, (k,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits


class OneHotCategorical(_CategoryCounts):
    r"""A categorical draw written as a one-hot vector of length :math:`K` (``probs`` or ``logits``).

    .. math:: P(x) = \textstyle\prod_k p_k^{x_k},\qquad x \in \{e_1, \dots, e_K\}

    ``event_shape`` is ``(K,)``.  Mean :math:`p`; variance :math:`p(1 - p)`; mode the one-hot
    vector of :math:`\arg\max_k p_k`; entropy :math:`-\sum_k p_k\log p_k`.
    """

    support = constraints.one_hot

    @property
    def mean(self):
        return self._categorical._normalized_probs

    @property
    def variance(self):
        p = self._categorical._normalized_probs
        return p * (1.0 - p)

    @property
    def mode(self):
        k = self._event_shape[0]
        index = self._categorical.mode
        return ops.astype(ops.expand_dims(index, -1) == ops.arange(k), self._dtype)

    def _sample(self, shape, rng):
        index = _numpy(self._categorical._sample(shape[:-1], rng))
        return ops.as_tensor((index[..., None] == np.arange(shape[-1])).astype(self._dtype))

    def _log_prob(self, value):
        return self._categorical._log_prob(ops.argmax(value, axis=-1))

    def entropy(self):
        return self._categorical.entropy()


class Multinomial(_CategoryCounts):
    r"""Counts of ``total_count`` :math:`n` categorical draws over :math:`K` categories (``probs`` or ``logits``).

    .. math:: P(x) = \frac{n!}{\prod_k x_k!}\prod_k p_k^{x_k},\qquad x_k \in \{0, 1, \dots\},\ \textstyle\sum_k x_k = n

    ``event_shape`` is ``(K,)``.  Mean :math:`np`; variance :math:`np(1 - p)`; entropy
    :math:`-\log n! - n\sum_k p_k\log p_k + \sum_k\sum_{x=0}^n \binom nx p_k^x(1 - p_k)^{n-x}\log x!`
    (each count is binomial).  ``total_count`` is a Python int, as in PyTorch.
    """

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)) or total_count < 0:
            raise ValueError(f"Multinomial: total_count must be a non-negative int, got {total_count!r}")
        self.total_count = int(total_count)
        super().__init__(probs, logits, validate_args)

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.total_count * self._categorical._normalized_probs

    @property
    def variance(self):
        p = self._categorical._normalized_probs
        return self.total_count * p * (1.0 - p)

    def _sample(self, shape, rng):
        p = np.asarray(_numpy(self._categorical._normalized_probs), dtype=np.float64)
        p = p / p.sum(axis=-1, keepdims=True)
        counts = rng.multinomial(self.total_count, np.broadcast_to(p, shape), size=shape[:-1])
        return ops.as_tensor(counts.astype(self._dtype))

    def _log_prob(self, value):
        n = float(self.total_count)
        cat = self._categorical
        if cat._from_logits:
            weighted = ops.sum(value * cat._log_probs, axis=-1)
        else:
            weighted = ops.sum(special.xlogy(value, cat._normalized_probs), axis=-1)
        return special.gammaln(ops.full((), n + 1.0, dtype=self._dtype)) \
            - ops.sum(special.gammaln(value + 1.0), axis=-1) + weighted

    def entropy(self):
        n = self.total_count
        p = self._categorical._normalized_probs
        log_p = self._categorical._log_probs
        xs = ops.as_tensor(np.arange(n + 1, dtype=self._dtype).reshape((-1,) + (1,) * (p.ndim)))
        log_choose = special.gammaln(ops.full((), n + 1.0, dtype=self._dtype)) - special.gammaln(xs + 1.0) \
            - special.gammaln(n - xs + 1.0)
        log_mass = log_choose + special.xlogy(xs, p) + special.xlog1py(n - xs, -p)
        expected_log_factorial = ops.sum(ops.exp(log_mass) * special.gammaln(xs + 1.0), axis=(0, -1))
        log_n_factorial = float(np.sum(np.log(np.arange(1, n + 1)))) if n > 1 else 0.0
        return -log_n_factorial - n * ops.sum(p * log_p, axis=-1) + expected_log_factorial
