r"""Distributions built from others: ``Independent`` (batch axes read as event axes) and
``MixtureSameFamily`` (a finite mixture of components of one family)."""
from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import ShapeError, fmt_shape
from . import constraints
from .categorical import Categorical
from .distribution import Distribution, generator


def _sum_rightmost(x, n: int):
    return ops.sum(x, axis=tuple(range(-n, 0))) if n > 0 else x


class Independent(Distribution):
    r"""Reinterpret the ``reinterpreted_batch_ndims`` rightmost batch axes of ``base_distribution``
    as event axes: the coordinates are independent and

    .. math:: \log p(x) = \sum_{i} \log p_{\text{base}}(x_i)

    summed over those axes.  Mean, variance and mode are the base's; the entropy is the sum of
    the base's entropies.  ``Independent(Normal(mu, sigma), 1)`` is a diagonal Gaussian.
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims: int, validate_args=None):
        n = int(reinterpreted_batch_ndims)
        batch = tuple(base_distribution.batch_shape)
        if n < 0 or n > len(batch):
            raise ShapeError(f"Independent: reinterpreted_batch_ndims must be in [0, {len(batch)}] for a base "
                             f"distribution with batch shape {fmt_shape(batch)}, got {reinterpreted_batch_ndims}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        self._dtype = base_distribution._dtype
        cut = len(batch) - n
        event = batch[cut:] + tuple(base_distribution.event_shape)
        super().__init__(batch[:cut], event, validate_args=False)
        self._validate_args = base_distribution._validate_args if validate_args is None else bool(validate_args)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def support(self):
        return constraints.independent(self.base_dist.support, self.reinterpreted_batch_ndims)

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def variance(self):
        return self.base_dist.variance

    @property
    def mode(self):
        return self.base_dist.mode

    def sample(self, sample_shape=(), rng=None):
        return self.base_dist.sample(sample_shape, rng)

    def rsample(self, sample_shape=(), rng=None):
        return self.base_dist.rsample(sample_shape, rng)

    def log_prob(self, value):
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)


class MixtureSameFamily(Distribution):
    r"""A finite mixture: pick a component :math:`k` from ``mixture_distribution`` (a
    :class:`Categorical` with weights :math:`w`), then draw from component :math:`k` of
    ``component_distribution`` (whose rightmost batch axis indexes the :math:`K` components).

    .. math::

        \log p(x) = \operatorname{logsumexp}_k\big(\log w_k + \log p_k(x)\big),\qquad
        F(x) = \textstyle\sum_k w_k F_k(x)

    Mean :math:`\sum_k w_k\mu_k`; variance (law of total variance)
    :math:`\sum_k w_k\sigma_k^2 + \sum_k w_k(\mu_k - \mu)^2`.  The entropy has no closed form.
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("MixtureSameFamily: mixture_distribution must be a Categorical, got "
                             f"{type(mixture_distribution).__name__}")
        components = tuple(component_distribution.batch_shape)
        k = mixture_distribution._num_events
        if not components or components[-1] != k:
            raise ShapeError(f"MixtureSameFamily: the component distribution's batch shape {fmt_shape(components)} "
                             f"must end with the number of mixture components {k}")
        batch = tuple(mixture_distribution.batch_shape)
        try:
            batch = np.broadcast_shapes(batch, components[:-1])
        except ValueError:
            raise ShapeError(f"MixtureSameFamily: mixture batch shape {fmt_shape(batch)} and component batch shape "
                             f"{fmt_shape(components[:-1])} do not broadcast") from None
        self.mixture_distribution = mixture_distribution
        self.component_distribution = component_distribution
        self._dtype = component_distribution._dtype
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(batch, component_distribution.event_shape, validate_args=False)
        self._validate_args = component_distribution._validate_args if validate_args is None else bool(validate_args)

    @property
    def support(self):
        return self.component_distribution.support

    def _weights(self, log=False):
        """Mixture weights with singleton axes for the event, so they broadcast against components."""
        table = self.mixture_distribution._log_probs if log else self.mixture_distribution._normalized_probs
        return ops.reshape(table, tuple(table.shape) + (1,) * self._event_ndims)

    def _pad(self, value):
        """Insert the component axis left of the event axes."""
        return ops.expand_dims(value, -1 - self._event_ndims)

    @property
    def mean(self):
        return ops.sum(self._weights() * self.component_distribution.mean, axis=-1 - self._event_ndims)

    @property
    def variance(self):
        axis = -1 - self._event_ndims
        w = self._weights()
        means = self.component_distribution.mean
        mean = ops.sum(w * means, axis=axis, keepdims=True)
        spread = means - mean
        return ops.sum(w * self.component_distribution.variance, axis=axis) + ops.sum(w * spread * spread, axis=axis)

    def log_prob(self, value):
        value = self._as_value(value)
        component_log_prob = self.component_distribution.log_prob(self._pad(value))
        return ops.logsumexp(component_log_prob + self.mixture_distribution._log_probs, axis=-1)

    def cdf(self, value):
        value = self._as_value(value)
        component_cdf = self.component_distribution.cdf(self._pad(value))
        return ops.sum(component_cdf * self.mixture_distribution._normalized_probs, axis=-1)

    def sample(self, sample_shape=(), rng=None):
        rng = generator(rng)
        shape = self._extended_shape(sample_shape)
        sample_shape = shape[:len(shape) - len(self._batch_shape) - self._event_ndims]
        index = np.asarray(self.mixture_distribution.sample(sample_shape, rng).numpy())
        draws = np.asarray(self.component_distribution.sample(sample_shape, rng).numpy())
        lead = draws.ndim - 1 - self._event_ndims             # the component axis
        index = np.broadcast_to(index, draws.shape[:lead])
        index = index.reshape(index.shape + (1,) + (1,) * self._event_ndims)
        picked = np.take_along_axis(draws, np.broadcast_to(index, draws.shape[:lead] + (1,) + draws.shape[lead + 1:]),
                                    axis=lead)
        return ops.as_tensor(np.squeeze(picked, axis=lead))
