r"""Distributions of vectors: the multivariate normal (full and low-rank covariance) and the Dirichlet.

The multivariate normal works with a lower Cholesky factor :math:`L` of the covariance,
:math:`\Sigma = LL^\top`: the Mahalanobis distance is :math:`\|L^{-1}(x - \mu)\|^2` (one
triangular solve, never an inverse), :math:`\tfrac12\log\det\Sigma = \sum_i \log L_{ii}`, and a
draw is :math:`\mu + L\varepsilon`.  The low-rank form :math:`\Sigma = WW^\top + D` uses the
Woodbury identity and the matrix determinant lemma through the :math:`r \times r`
capacitance :math:`C = I + W^\top D^{-1} W`.
"""
from __future__ import annotations

import math

import numpy as np

from .. import linalg, ops
from ..errors import ShapeError, fmt_shape
from ..ops import special
from . import constraints
from .distribution import Distribution, as_float, broadcast_all, cached_property, float_dtype, generator
from .gamma import open_uniform, standard_gamma

_LOG_2PI = math.log(2.0 * math.pi)


def _batch_mahalanobis(scale_tril, diff):
    r""":math:`\|L^{-1} d\|^2` over the last axis of ``diff``, for every leading index.

    The sample axes of ``diff`` (those left of the factor's batch axes) are moved into the
    columns of one right-hand side, so that a single triangular solve per factor serves
    every sample."""
    k = scale_tril.shape[-1]
    factor_batch = tuple(scale_tril.shape[:-2])
    shape = np.broadcast_shapes(tuple(diff.shape[:-1]), factor_batch) + (k,)
    if tuple(diff.shape) != shape:
        diff = ops.broadcast_to(diff, shape)
    lead = len(shape) - 1 - len(factor_batch)
    sample_shape, rest = shape[:lead], shape[lead:-1]
    count = int(np.prod(sample_shape)) if sample_shape else 1
    columns = ops.moveaxis(ops.reshape(diff, (count,) + rest + (k,)), 0, -1)      # rest + (k, count)
    solved = linalg.solve_triangular(scale_tril, columns, lower=True)
    squared = ops.sum(solved * solved, axis=-2)                                   # rest + (count,)
    return ops.reshape(ops.moveaxis(squared, -1, 0), sample_shape + rest)


def _half_log_det(scale_tril):
    return ops.sum(ops.log(ops.diagonal(scale_tril, axis1=-2, axis2=-1)), axis=-1)


def _precision_to_scale_tril(precision):
    r"""The lower factor :math:`L` of :math:`\Sigma = P^{-1}`: with :math:`J` the flip,
    :math:`JPJ = L_f L_f^\top` gives :math:`P = UU^\top` with :math:`U = JL_fJ` upper triangular, and
    :math:`L = U^{-\top}`, one triangular solve."""
    flipped = ops.flip(ops.flip(precision, -1), -2)
    factor = linalg.cholesky(flipped)
    upper_t = ops.matrix_transpose(ops.flip(ops.flip(factor, -1), -2))          # U^T, lower triangular
    eye = ops.eye(precision.shape[-1], dtype=precision.dtype)
    return linalg.solve_triangular(upper_t, ops.broadcast_to(eye, tuple(upper_t.shape)), lower=True)


def _require_square(name, matrix, k, cls):
    if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != k:
        raise ShapeError(f"{cls}: {name} must be a stack of {k}×{k} matrices to match loc's last axis of "
                         f"{k}, got shape {fmt_shape(tuple(matrix.shape))}")


class _MultivariateGaussian(Distribution):
    r"""What every multivariate normal shares, whatever the form of its covariance: support
    :math:`\mathbb R^k`, mean and mode :math:`\mu` (``loc``), and the entropy
    :math:`\tfrac12 k(1 + \log 2\pi) + \tfrac12\log\det\Sigma` from the subclass's ``_log_det``."""

    support = constraints.real_vector
    has_rsample = True

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _log_det(self):
        r""":math:`\log\det\Sigma`."""
        raise NotImplementedError

    def entropy(self):
        k = self._event_shape[0]
        return ops.broadcast_to(0.5 * k * (1.0 + _LOG_2PI) + 0.5 * self._log_det(), self._batch_shape)


class MultivariateNormal(_MultivariateGaussian):
    r"""The multivariate normal :math:`\mathcal N(\mu, \Sigma)` in :math:`\mathbb R^k`, given by ``loc``
    :math:`\mu` and exactly one of ``covariance_matrix`` :math:`\Sigma`, ``precision_matrix``
    :math:`\Sigma^{-1}` or ``scale_tril`` :math:`L` (lower triangular, positive diagonal, :math:`\Sigma = LL^\top`).

    .. math::

        \log p(x) = -\tfrac12\big(k\log 2\pi + \log\det\Sigma + (x - \mu)^\top\Sigma^{-1}(x - \mu)\big)

    Support :math:`\mathbb R^k`; mean and mode :math:`\mu`; covariance :math:`\Sigma` (``variance``
    is its diagonal); entropy :math:`\tfrac12 k(1 + \log 2\pi) + \tfrac12\log\det\Sigma`.
    ``rsample``: :math:`x = \mu + L\varepsilon`.  No ``cdf``/``icdf``.
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = {n: m for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                   ("scale_tril", scale_tril)) if m is not None}
        if len(given) != 1:
            raise ValueError("MultivariateNormal: give exactly one of covariance_matrix, precision_matrix or "
                             f"scale_tril (got {', '.join(given) or 'none'})")
        (name, matrix), = given.items()
        dtype = float_dtype(loc, matrix)
        loc, matrix = as_float(loc, dtype), as_float(matrix, dtype)
        if loc.ndim < 1:
            raise ShapeError("MultivariateNormal: loc must be at least one-dimensional (the event axis), got a scalar")
        k = loc.shape[-1]
        _require_square(name, matrix, k, "MultivariateNormal")
        batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        self._dtype = dtype
        self.loc = ops.broadcast_to(loc, batch + (k,))
        self.__dict__[name] = ops.broadcast_to(matrix, batch + (k, k))
        super().__init__(batch, (k,), validate_args=validate_args)
        # The factor keeps the matrix's own (unbroadcast) batch shape: fewer solves.
        if name == "scale_tril":
            self._scale_tril = matrix
        elif name == "covariance_matrix":
            self._scale_tril = linalg.cholesky(matrix)
        else:
            self._scale_tril = _precision_to_scale_tril(matrix)

    @cached_property
    def scale_tril(self):
        return ops.broadcast_to(self._scale_tril, self._batch_shape + self._event_shape * 2)

    @cached_property
    def covariance_matrix(self):
        factor = self._scale_tril
        return ops.broadcast_to(ops.matmul(factor, ops.matrix_transpose(factor)),
                                self._batch_shape + self._event_shape * 2)

    @cached_property
    def precision_matrix(self):
        eye = ops.eye(self._event_shape[0], dtype=self._dtype)
        inverse = linalg.solve_triangular(self._scale_tril, ops.broadcast_to(eye, tuple(self._scale_tril.shape)),
                                          lower=True)
        return ops.broadcast_to(ops.matmul(ops.matrix_transpose(inverse), inverse),
                                self._batch_shape + self._event_shape * 2)

    @property
    def variance(self):
        factor = self._scale_tril
        return ops.broadcast_to(ops.sum(factor * factor, axis=-1), self._batch_shape + self._event_shape)

    def _log_det(self):
        return 2.0 * _half_log_det(self._scale_tril)

    def rsample(self, sample_shape=(), rng=None):
        eps = self._noise(sample_shape, rng, lambda g, shape: g.standard_normal(shape))
        return self.loc + ops.matmul(self._scale_tril, ops.expand_dims(eps, -1))[..., 0]

    def _log_prob(self, value):
        k = self._event_shape[0]
        distance = _batch_mahalanobis(self._scale_tril, value - self.loc)
        return -0.5 * (k * _LOG_2PI + distance) - _half_log_det(self._scale_tril)


class LowRankMultivariateNormal(_MultivariateGaussian):
    r"""The multivariate normal with covariance :math:`\Sigma = WW^\top + D`: ``loc`` :math:`\mu` (k),
    ``cov_factor`` :math:`W` (k × r) and ``cov_diag`` :math:`D` (k, positive).

    With the capacitance :math:`C = I_r + W^\top D^{-1}W`:

    .. math::

        \log\det\Sigma = \log\det C + \textstyle\sum_i\log D_i,\qquad
        x^\top\Sigma^{-1}x = x^\top D^{-1}x - (W^\top D^{-1}x)^\top C^{-1}(W^\top D^{-1}x)

    Mean and mode :math:`\mu`; variance :math:`\sum_j W_{ij}^2 + D_i`; entropy
    :math:`\tfrac12 k(1 + \log 2\pi) + \tfrac12\log\det\Sigma`.  ``rsample``:
    :math:`x = \mu + W\varepsilon_r + \sqrt D\,\varepsilon_k`.  Costs :math:`O(kr^2)`, not :math:`O(k^3)`.
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        dtype = float_dtype(loc, cov_factor, cov_diag)
        loc, cov_factor, cov_diag = (as_float(v, dtype) for v in (loc, cov_factor, cov_diag))
        if loc.ndim < 1 or cov_factor.ndim < 2 or cov_diag.ndim < 1:
            raise ShapeError("LowRankMultivariateNormal: loc (k), cov_factor (k×r) and cov_diag (k) need their "
                             "event axes")
        k = loc.shape[-1]
        if cov_factor.shape[-2] != k or cov_diag.shape[-1] != k:
            raise ShapeError(f"LowRankMultivariateNormal: loc {fmt_shape(tuple(loc.shape))}, cov_factor "
                             f"{fmt_shape(tuple(cov_factor.shape))} and cov_diag {fmt_shape(tuple(cov_diag.shape))} "
                             f"must agree on the event size k = {k} (cov_factor is k×r)")
        rank = cov_factor.shape[-1]
        batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        self._dtype = dtype
        self.loc = ops.broadcast_to(loc, batch + (k,))
        self.cov_factor = ops.broadcast_to(cov_factor, batch + (k, rank))
        self.cov_diag = ops.broadcast_to(cov_diag, batch + (k,))
        super().__init__(batch, (k,), validate_args=validate_args)
        self._unbroadcast = (cov_factor, cov_diag)
        w_over_d = cov_factor / ops.expand_dims(cov_diag, -1)
        capacitance = ops.eye(rank, dtype=dtype) + ops.matmul(ops.matrix_transpose(cov_factor), w_over_d)
        self._capacitance_tril = linalg.cholesky(capacitance)

    @property
    def variance(self):
        w, d = self._unbroadcast
        return ops.broadcast_to(ops.sum(w * w, axis=-1) + d, self._batch_shape + self._event_shape)

    @cached_property
    def covariance_matrix(self):
        w, d = self._unbroadcast
        k = self._event_shape[0]
        cov = ops.matmul(w, ops.matrix_transpose(w)) + ops.eye(k, dtype=self._dtype) * ops.expand_dims(d, -2)
        return ops.broadcast_to(cov, self._batch_shape + (k, k))

    @cached_property
    def scale_tril(self):
        return linalg.cholesky(self.covariance_matrix)

    @cached_property
    def precision_matrix(self):
        k = self._event_shape[0]
        return linalg.solve(self.covariance_matrix, ops.broadcast_to(ops.eye(k, dtype=self._dtype),
                                                                     self._batch_shape + (k, k)))

    def _log_det(self):
        _, d = self._unbroadcast
        return 2.0 * _half_log_det(self._capacitance_tril) + ops.sum(ops.log(d), axis=-1)

    def rsample(self, sample_shape=(), rng=None):
        w, d = self._unbroadcast
        shape = self._extended_shape(sample_shape)
        g = generator(rng)
        eps_w = ops.as_tensor(g.standard_normal(shape[:-1] + (w.shape[-1],)).astype(self._dtype))
        eps_d = ops.as_tensor(g.standard_normal(shape).astype(self._dtype))
        return self.loc + ops.matmul(w, ops.expand_dims(eps_w, -1))[..., 0] + ops.sqrt(d) * eps_d

    def _log_prob(self, value):
        w, d = self._unbroadcast
        k = self._event_shape[0]
        diff = value - self.loc
        projected = ops.matmul(ops.expand_dims(diff / d, -2), w)[..., 0, :]          # W^T D^{-1} x
        correction = _batch_mahalanobis(self._capacitance_tril, projected)
        distance = ops.sum(diff * diff / d, axis=-1) - correction
        return -0.5 * (k * _LOG_2PI + distance + self._log_det())


class Dirichlet(Distribution):
    r"""The Dirichlet distribution on the probability simplex, ``concentration`` :math:`\alpha` (K, positive).

    .. math::

        p(x) = \frac{1}{B(\alpha)}\prod_i x_i^{\alpha_i - 1},\qquad
        B(\alpha) = \frac{\prod_i\Gamma(\alpha_i)}{\Gamma(\alpha_0)},\quad \alpha_0 = \textstyle\sum_i\alpha_i

    Mean :math:`\alpha/\alpha_0`; variance :math:`\alpha_i(\alpha_0 - \alpha_i)/(\alpha_0^2(\alpha_0 + 1))`;
    mode :math:`(\alpha - 1)/(\alpha_0 - K)` when every :math:`\alpha_i > 1` (NaN otherwise); entropy
    :math:`\log B(\alpha) + (\alpha_0 - K)\psi(\alpha_0) - \sum_i(\alpha_i - 1)\psi(\alpha_i)`.
    ``rsample``: :math:`x = g/\sum_i g_i` for independent :math:`g_i \sim \mathrm{Gamma}(\alpha_i, 1)`,
    each implicitly reparameterized (see :mod:`chainrule.distributions.gamma`).
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        (self.concentration,) = broadcast_all(concentration)
        if self.concentration.ndim < 1:
            raise ShapeError("Dirichlet: concentration must be at least one-dimensional (K categories)")
        self._dtype = self.concentration.dtype
        shape = tuple(self.concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    @property
    def _total(self):
        return ops.sum(self.concentration, axis=-1, keepdims=True)

    @property
    def mean(self):
        return self.concentration / self._total

    @property
    def mode(self):
        a = self.concentration
        peaked = ops.all(a > 1, axis=-1, keepdims=True)
        k = a.shape[-1]
        return ops.where(peaked, (a - 1.0) / ops.where(peaked, self._total - k, 1.0), np.nan)

    @property
    def variance(self):
        a, total = self.concentration, self._total
        return a * (total - a) / (total * total * (total + 1.0))

    def _sample(self, shape, rng):
        alpha = np.broadcast_to(np.asarray(self.concentration.detach().numpy()), shape)
        draws = rng.standard_gamma(alpha)
        return ops.as_tensor((draws / draws.sum(axis=-1, keepdims=True)).astype(self._dtype))

    def rsample(self, sample_shape=(), rng=None):
        u = self._noise(sample_shape, rng, open_uniform, dtype=np.float64)
        g = standard_gamma(self.concentration, u)
        return ops.astype(g / ops.sum(g, axis=-1, keepdims=True), self._dtype)

    def _log_prob(self, value):
        a = self.concentration
        return (ops.sum(special.xlogy(a - 1.0, value), axis=-1) + special.gammaln(ops.sum(a, axis=-1))
                - ops.sum(special.gammaln(a), axis=-1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        total = ops.sum(a, axis=-1)
        log_beta = ops.sum(special.gammaln(a), axis=-1) - special.gammaln(total)
        return log_beta + (total - k) * special.digamma(total) - ops.sum((a - 1.0) * special.digamma(a), axis=-1)
