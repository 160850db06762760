"""Synthetic generators: shapes, labels, geometry and determinism."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import make_blobs, make_circles, make_moons, make_regression_line, make_spirals

GENERATORS = [make_moons, make_circles, make_spirals, make_blobs]


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_shapes_dtypes_and_determinism(make):
    X, y = make(101, random_state=3)
    assert X.shape == (101, 2) and X.dtype == cr.get_default_dtype()
    assert y.shape == (101,) and y.dtype == np.int64
    X2, y2 = make(101, random_state=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(101, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(X, X3)                       # int seed == Generator(seed)
    X4, _ = make(101, random_state=4)
    assert not np.array_equal(X, X4)
    assert make(10, random_state=0, dtype=np.float64)[0].dtype == np.float64


def test_moons_lie_on_their_half_circles_without_noise():
    X, y = make_moons(200, shuffle=False, random_state=0, dtype=np.float64)
    outer, inner = X[y == 0], X[y == 1]
    assert len(outer) == len(inner) == 100
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-12)
    assert (outer[:, 1] >= -1e-12).all() and (inner[:, 1] <= 0.5 + 1e-12).all()
    assert make_moons((3, 5), random_state=0)[1].tolist().count(1) == 5


def test_circles_radii_and_noise():
    X, y = make_circles(100, factor=0.5, random_state=0, dtype=np.float64)
    radius = np.hypot(*X.T)
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radius[y == 1], 0.5, atol=1e-12)
    Xn, yn = make_circles(4000, noise=0.1, random_state=0, dtype=np.float64)
    clean = np.where(yn == 0, 1.0, 0.8)
    assert abs(np.hypot(*Xn.T).mean() - clean.mean()) < 0.02
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\)"):
        make_circles(10, factor=1.5)


def test_spirals_classes_and_radius():
    X, y = make_spirals(30, n_classes=3, shuffle=False, random_state=0, dtype=np.float64)
    np.testing.assert_array_equal(np.bincount(y), [10, 10, 10])
    radius = np.hypot(*X.T)
    for k in range(3):
        np.testing.assert_allclose(radius[y == k], np.linspace(0, 1, 10), atol=1e-12)
    # the arms are rotated copies: arm k is arm 0 turned by 2πk/3
    turn = 2 * np.pi / 3
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    np.testing.assert_allclose(X[y == 1], X[y == 0] @ rotation.T, atol=1e-12)
    assert np.bincount(make_spirals(11, n_classes=3, random_state=0)[1]).tolist() == [4, 4, 3]


def test_blobs_centres_and_spread():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, -5.0, 2.0]])
    X, y, returned = make_blobs(4000, centers=centers, cluster_std=[0.5, 2.0], random_state=1,
                                return_centers=True, dtype=np.float64)
    assert X.shape == (4000, 3)
    np.testing.assert_array_equal(returned, centers)
    for k, std in enumerate([0.5, 2.0]):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.15)
        np.testing.assert_allclose(X[y == k].std(axis=0), std, rtol=0.06)
    _, _, drawn = make_blobs(10, n_features=4, centers=5, random_state=0, return_centers=True)
    assert drawn.shape == (5, 4) and (np.abs(drawn) <= 10).all()


def test_regression_line_recovers_slope_and_intercept():
    X, y = make_regression_line(5000, slope=-3.0, intercept=0.5, noise=0.2, random_state=0,
                                dtype=np.float64)
    assert X.shape == (5000, 1) and y.shape == (5000,)
    slope, intercept = np.polyfit(X[:, 0], y, 1)
    assert abs(slope + 3.0) < 0.02 and abs(intercept - 0.5) < 0.01
    residual = y - (-3.0 * X[:, 0] + 0.5)
    assert abs(residual.std() - 0.2) < 0.01
    assert (X >= -1).all() and (X <= 1).all()


@pytest.mark.parametrize("call, message", [
    (lambda: make_moons(0), "n_samples must be a positive integer"),
    (lambda: make_moons(10, noise=-1), "noise must be a non-negative number"),
    (lambda: make_spirals(10, n_classes=0), "n_classes must be a positive integer"),
    (lambda: make_blobs(10, cluster_std=-1.0), "cluster_std must be non-negative"),
    (lambda: make_regression_line(10, noise=-0.1), "noise must be a non-negative number"),
    (lambda: make_moons(10, random_state=1.5), "seed must be an int"),
])
def test_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
