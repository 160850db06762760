"""Test functions: values against their formulas, and their stated minima are minima."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import testfunctions as T

RNG = np.random.default_rng(3)

FORMULAS = {
    "rosenbrock": lambda v: np.sum(100 * (v[1:] - v[:-1] ** 2) ** 2 + (1 - v[:-1]) ** 2, axis=0),
    "beale": lambda v: ((1.5 - v[0] + v[0] * v[1]) ** 2 + (2.25 - v[0] + v[0] * v[1] ** 2) ** 2
                        + (2.625 - v[0] + v[0] * v[1] ** 3) ** 2),
    "himmelblau": lambda v: (v[0] ** 2 + v[1] - 11) ** 2 + (v[0] + v[1] ** 2 - 7) ** 2,
    "booth": lambda v: (v[0] + 2 * v[1] - 7) ** 2 + (2 * v[0] + v[1] - 5) ** 2,
    "rastrigin": lambda v: 10 * len(v) + np.sum(v ** 2 - 10 * np.cos(2 * np.pi * v), axis=0),
    "ackley": lambda v: (-20 * np.exp(-0.2 * np.sqrt(np.mean(v ** 2, axis=0))) - np.exp(np.mean(np.cos(2 * np.pi * v),
                                                                                                axis=0)) + 20 + math.e),
}


def every_function():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    return [T.quadratic(A, np.array([1.0, -1.0]), 0.5), T.rosenbrock(), T.rosenbrock(5), T.beale(), T.himmelblau(),
            T.booth(), T.rastrigin(), T.rastrigin(3), T.ackley(), T.ackley(4)]


@pytest.mark.parametrize("f", [f for f in every_function() if f.name in FORMULAS],
                         ids=lambda f: f"{f.name}{f.dim}")
def test_values_match_the_formula_on_points_and_grids(f):
    points = RNG.uniform(-2, 2, (f.dim, 7, 3))
    with cr.no_grad():
        values = f(cr.tensor(points)).numpy()
    np.testing.assert_allclose(values, FORMULAS[f.name](points), rtol=1e-12)
    single = f(cr.tensor(points[:, 0, 0]))
    assert single.shape == () and single.item() == pytest.approx(FORMULAS[f.name](points[:, 0, 0]), rel=1e-12)


@pytest.mark.parametrize("f", every_function(), ids=lambda f: f"{f.name}{f.dim}")
def test_stated_minima_are_stationary_with_the_stated_value(f):
    for x_star in f.minimizers:
        assert f(cr.tensor(x_star)).item() == pytest.approx(f.minimum, abs=1e-12)
        if f.name == "ackley":
            continue                                # not differentiable at its minimizer
        gradient = cr.grad(f)(cr.tensor(x_star)).numpy()
        np.testing.assert_allclose(gradient, 0, atol=1e-9)
        hessian = cr.hessian(f)(cr.tensor(x_star)).numpy()
        assert np.all(np.linalg.eigvalsh(hessian) > 0)              # a strict local minimum
    low = np.array([lo for lo, _ in f.domain])
    high = np.array([hi for _, hi in f.domain])
    assert np.all((f.minimizers >= low) & (f.minimizers <= high)) and f.start.shape == (f.dim,)


def test_the_minimum_is_the_lowest_value_on_the_domain():
    for f in every_function():
        if f.dim != 2:
            continue
        (x0, x1), (y0, y1) = f.domain
        grid = np.stack(np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101)))
        with cr.no_grad():
            values = f(cr.tensor(grid)).numpy()
        assert values.min() >= f.minimum - 1e-12


def test_quadratic_closed_form_and_validation():
    A, b = np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0])
    f = T.quadratic(A, b, c=2.0)
    np.testing.assert_allclose(f.minimizers[0], np.linalg.solve(A, b))
    assert f.minimum == pytest.approx(2.0 - 0.5 * b @ np.linalg.solve(A, b))
    with pytest.raises(ValueError, match="positive definite"):
        T.quadratic(np.array([[1.0, 0.0], [0.0, -1.0]]), b)
    with pytest.raises(ValueError, match="symmetric"):
        T.quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]), b)
    with pytest.raises(ValueError, match=r"expected A of shape \(3, 3\)"):
        T.quadratic(A, np.ones(3))


def test_nearest_minimizer_and_errors():
    f = T.himmelblau()
    np.testing.assert_allclose(f.nearest_minimizer([-3.0, -3.0]), f.minimizers[2])
    with pytest.raises(ValueError, match=r"expected x of shape \(2,\)"):
        f(cr.tensor(np.ones(3)))
    with pytest.raises(ValueError, match="n must be an integer ≥ 2"):
        T.rosenbrock(1)
    assert set(T.FUNCTIONS) == {"quadratic", "rosenbrock", "beale", "himmelblau", "booth", "rastrigin", "ackley"}
