"""Line searches: the Armijo and strong Wolfe conditions hold at the steps they return."""
from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.optim.line_search import _cubic_minimizer, backtracking, strong_wolfe


def phi(t):
    """A smooth 1-D function with its minimum near t = 2: f(x0 + t d) for d = 1."""
    return (t - 2.0) ** 4 / 4 + 0.5 * (t - 2.0) ** 2 - 3.0


def dphi(t):
    return (t - 2.0) ** 3 + (t - 2.0)


def evaluate(t):
    return phi(t), np.array([dphi(t)])


@pytest.mark.parametrize("first", [0.01, 1.0, 10.0, 100.0])
def test_strong_wolfe_conditions_hold(first):
    c1, c2 = 1e-4, 0.9
    f0, g0 = evaluate(0.0)
    d = np.array([1.0])
    result = strong_wolfe(evaluate, first, d, f0, g0, float(g0 @ d), c1=c1, c2=c2)
    t = result.step
    assert result.success
    assert phi(t) <= f0 + c1 * t * dphi(0.0)                       # sufficient decrease
    assert abs(dphi(t)) <= c2 * abs(dphi(0.0))                     # curvature
    assert result.value == phi(t) and result.gradient[0] == dphi(t)


def test_strong_wolfe_tight_curvature_finds_the_minimizer():
    f0, g0 = evaluate(0.0)
    result = strong_wolfe(evaluate, 1.0, np.array([1.0]), f0, g0, float(g0[0]), c2=1e-6, max_evaluations=40)
    assert result.step == pytest.approx(2.0, abs=1e-5)


def test_strong_wolfe_backs_away_from_nan():
    def evaluate_with_edge(t):                                   # undefined beyond t = 3
        return (phi(t), np.array([dphi(t)])) if t < 3 else (math.nan, np.array([math.nan]))

    f0, g0 = evaluate(0.0)
    result = strong_wolfe(evaluate_with_edge, 50.0, np.array([1.0]), f0, g0, float(g0[0]))
    assert 0 < result.step < 3 and math.isfinite(result.value)
    assert result.value < f0


def test_backtracking_armijo():
    c1 = 0.3
    result = backtracking(phi, phi(0.0), dphi(0.0), step=64.0, c1=c1, shrink=0.5)
    t = result.step
    assert result.success and phi(t) <= phi(0.0) + c1 * t * dphi(0.0)
    assert not phi(2 * t) <= phi(0.0) + c1 * 2 * t * dphi(0.0)     # the previous trial failed
    assert result.evaluations == round(math.log2(64.0 / t)) + 1


def test_backtracking_treats_nan_as_too_long():
    result = backtracking(lambda t: phi(t) if t < 1 else math.inf, phi(0.0), dphi(0.0), step=8.0)
    assert result.success and result.step < 1


def test_backtracking_reports_failure():
    result = backtracking(lambda t: 1.0 + t, 1.0, -1.0, max_evaluations=5)   # never decreases
    assert not result.success and result.step == 0.0 and result.evaluations == 5


def test_cubic_interpolation_is_exact_for_a_cubic():
    def cubic(t):
        return t ** 3 - 3 * t                                    # local minimizer at t = 1
    def slope(t):
        return 3 * t ** 2 - 3
    assert _cubic_minimizer(0.0, cubic(0.0), slope(0.0), 2.0, cubic(2.0), slope(2.0)) == pytest.approx(1.0)
    assert _cubic_minimizer(2.0, cubic(2.0), slope(2.0), 0.0, cubic(0.0), slope(0.0)) == pytest.approx(1.0)
    # no minimizer (or infinite values): bisection
    assert _cubic_minimizer(0.0, 0.0, 1.0, 1.0, math.inf, math.inf) == 0.5
