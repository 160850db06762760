"""Synthetic datasets: small, seeded point clouds for classification and regression.

Names and arguments follow scikit-learn's ``sklearn.datasets`` where it has the generator
(``make_moons``, ``make_circles``, ``make_blobs``: ``n_samples``, ``noise``,
``random_state``, ``shuffle``); ``make_spirals`` and ``make_regression_line`` are ours.
Each returns NumPy arrays ``(X, y)``: ``X`` of shape ``n_samples × n_features`` in
``dtype`` (the default float dtype, float32, unless given), ``y`` the int64 class labels
(the float targets for the regression line). The same ``random_state`` (an int or a
``numpy.random.Generator``) gives the same arrays, bit for bit; the numbers differ from
scikit-learn's, which draws from NumPy's legacy ``RandomState``.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from .randomness import make_generator


def make_moons(n_samples=100, *, shuffle: bool = True, noise: float | None = None,
               random_state=None, dtype=None):
    r"""Two interleaving half circles.

    The outer moon (label 0) is :math:`(\cos t, \sin t)`, the inner one (label 1)
    :math:`(1 - \cos t,\ \tfrac12 - \sin t)`, with :math:`t` evenly spaced on
    :math:`[0, \pi]`; ``n_samples // 2`` points on the outer moon, the rest on the inner
    (or a pair ``(n_outer, n_inner)``). Gaussian noise of standard deviation ``noise`` is
    added to every coordinate.
    """
    _check_noise(noise, "make_moons")
    n_outer, n_inner = _two_counts(n_samples, "make_moons")
    rng = make_generator(random_state, owner="make_moons")
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate([np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1),
                        np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1)])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _finish(X, y, rng, shuffle, noise, dtype)


def make_circles(n_samples=100, *, shuffle: bool = True, noise: float | None = None,
                 random_state=None, factor: float = 0.8, dtype=None):
    r"""A circle inside another: the outer of radius 1 (label 0), the inner of radius ``factor`` (label 1).

    Points are evenly spaced in angle, :math:`(r\cos\theta, r\sin\theta)` with
    :math:`\theta = 2\pi k / m`, ``n_samples // 2`` on the outer circle; Gaussian noise of
    standard deviation ``noise`` is added to every coordinate.
    """
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor}")
    _check_noise(noise, "make_circles")
    n_outer, n_inner = _two_counts(n_samples, "make_circles")
    rng = make_generator(random_state, owner="make_circles")
    angle_outer = np.linspace(0.0, 2 * np.pi, n_outer, endpoint=False)
    angle_inner = np.linspace(0.0, 2 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([np.stack([np.cos(angle_outer), np.sin(angle_outer)], axis=1),
                        factor * np.stack([np.cos(angle_inner), np.sin(angle_inner)], axis=1)])
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _finish(X, y, rng, shuffle, noise, dtype)


def make_spirals(n_samples=100, *, n_classes: int = 2, turns: float = 1.0, noise: float | None = None,
                 shuffle: bool = True, random_state=None, dtype=None):
    r"""``n_classes`` interleaved spiral arms in the plane, one per class.

    Arm :math:`k` is :math:`r(\cos\phi, \sin\phi)` with radius :math:`r` evenly spaced on
    :math:`[0, 1]` and angle :math:`\phi = 2\pi(\text{turns}\cdot r + k / K)`; the samples
    are shared out as evenly as possible (the first arms get one more). Gaussian noise of
    standard deviation ``noise`` is added to every coordinate.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral) or n_classes < 1:
        raise ValueError(f"make_spirals: n_classes must be a positive integer, got {n_classes!r}")
    _check_noise(noise, "make_spirals")
    n = _count(n_samples, "make_spirals")
    rng = make_generator(random_state, owner="make_spirals")
    y = _labels_evenly(n, int(n_classes))
    # position of each sample along its arm: 0, 1/(m-1), ..., 1 within its class
    counts = np.bincount(y, minlength=n_classes)
    first_of_class = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(n) - first_of_class[y]
    radius = rank / np.maximum(counts[y] - 1, 1)
    angle = 2 * np.pi * (turns * radius + y / n_classes)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return _finish(X, y, rng, shuffle, noise, dtype)


def make_blobs(n_samples=100, n_features: int = 2, *, centers=None, cluster_std=1.0,
               center_box=(-10.0, 10.0), shuffle: bool = True, random_state=None,
               return_centers: bool = False, dtype=None):
    """Isotropic Gaussian blobs, one class per centre.

    ``centers`` is a number of centres (drawn uniformly in ``center_box``; 3 when
    ``None``) or an array ``n_centers × n_features``; ``cluster_std`` a number or one
    standard deviation per centre. Samples are shared out as evenly as possible (the first
    centres get one more). Returns ``(X, y)``, or ``(X, y, centers)`` with
    ``return_centers``.
    """
    n = _count(n_samples, "make_blobs")
    rng = make_generator(random_state, owner="make_blobs")
    if centers is None or isinstance(centers, numbers.Integral):
        n_centers = 3 if centers is None else int(centers)
        if n_centers < 1:
            raise ValueError(f"make_blobs: centers must be positive, got {centers}")
        low, high = center_box
        centers = rng.uniform(low, high, size=(n_centers, n_features))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2:
            raise ValueError(f"make_blobs: centers must be an int or an array n_centers × n_features, "
                             f"got shape {centers.shape}")
        n_centers, n_features = centers.shape
    std = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (n_centers,))
    if (std < 0).any():
        raise ValueError(f"make_blobs: cluster_std must be non-negative, got {cluster_std}")
    y = _labels_evenly(n, n_centers)
    X = centers[y] + std[y, None] * rng.standard_normal((n, n_features))
    X, y = _finish(X, y, rng, shuffle, None, dtype)
    return (X, y, centers) if return_centers else (X, y)


def make_regression_line(n_samples=100, *, slope: float = 2.0, intercept: float = 1.0,
                         noise: float = 0.1, x_range=(-1.0, 1.0), random_state=None, dtype=None):
    r"""Points on a noisy line: :math:`y = a x + b + \varepsilon`, :math:`\varepsilon \sim N(0, \sigma^2)`.

    :math:`x` is uniform on ``x_range``; :math:`a` is ``slope``, :math:`b` ``intercept``,
    :math:`\sigma` ``noise``. Returns ``X`` of shape ``n_samples × 1`` and ``y`` of shape
    ``(n_samples,)``, both in ``dtype``.
    """
    n = _count(n_samples, "make_regression_line")
    _check_noise(noise, "make_regression_line")
    rng = make_generator(random_state, owner="make_regression_line")
    low, high = x_range
    x = rng.uniform(low, high, size=n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
    return x[:, None].astype(dtype), y.astype(dtype)


def _count(n_samples, owner) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"{owner}: n_samples must be a positive integer, got {n_samples!r}")
    return int(n_samples)


def _two_counts(n_samples, owner):
    if isinstance(n_samples, (tuple, list)):
        if len(n_samples) != 2 or any(isinstance(m, bool) or not isinstance(m, numbers.Integral)
                                      or m < 0 for m in n_samples):
            raise ValueError(f"{owner}: n_samples must be an int or a pair of non-negative ints, got "
                             f"{n_samples!r}")
        return int(n_samples[0]), int(n_samples[1])
    n = _count(n_samples, owner)
    return n // 2, n - n // 2


def _labels_evenly(n: int, n_classes: int) -> np.ndarray:
    counts = np.full(n_classes, n // n_classes)
    counts[:n % n_classes] += 1
    return np.repeat(np.arange(n_classes, dtype=np.int64), counts)


def _check_noise(noise, owner):
    if noise is not None and not noise >= 0:
        raise ValueError(f"{owner}: noise must be a non-negative number, got {noise!r}")


def _finish(X, y, rng, shuffle, noise, dtype):
    """Shuffle, add coordinate noise, cast: the steps every classifier generator ends with."""
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    if noise is not None:
        X = X + noise * rng.standard_normal(X.shape)
    dtype = dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)
    return X.astype(dtype), y


__all__ = ["make_blobs", "make_circles", "make_moons", "make_regression_line", "make_spirals"]
