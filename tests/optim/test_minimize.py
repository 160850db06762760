"""cr.optim.minimize: convergence facts of each method, agreement with SciPy, the result,
and bad input."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

import chainrule as cr
from chainrule.optim import convergence_order, error_sequence, minimize, testfunctions, truncated_cg

RNG = np.random.default_rng(7)
A_RECT = RNG.standard_normal((8, 4))
B_VEC = RNG.standard_normal(4)


def smooth_convex(x):
    """A smooth, strongly convex function of 4 variables (log-sum-exp + quadratic + quartic)."""
    return cr.logsumexp(cr.tensor(A_RECT) @ x) + 0.5 * cr.sum(x * x) + cr.tensor(B_VEC) @ x + 0.1 * cr.sum(x ** 4)


def smooth_convex_numpy(x):
    z = A_RECT @ x
    return np.log(np.sum(np.exp(z - z.max()))) + z.max() + 0.5 * x @ x + B_VEC @ x + 0.1 * np.sum(x ** 4)


@pytest.fixture(scope="module")
def x_star():
    result = minimize(smooth_convex, 3 * np.ones(4), method="newton", options={"gtol": 1e-14})
    assert result.success
    return result.x


def spd(n, condition=10.0):
    q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    return q @ np.diag(np.geomspace(1.0, condition, n)) @ q.T


# ----------------------------------------------------------------------------- convergence facts
def test_newton_minimizes_a_strictly_convex_quadratic_in_one_step():
    A, b = spd(6, 100.0), RNG.standard_normal(6)
    f = testfunctions.quadratic(A, b)
    result = minimize(f, RNG.standard_normal(6), method="newton", options={"gtol": 1e-10})
    assert result.success and result.nit == 1 and result.nhev == 1
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=0, atol=1e-12)


def test_newton_converges_quadratically(x_star):
    result = minimize(smooth_convex, 3 * np.ones(4), method="newton", options={"gtol": 1e-13})
    errors = error_sequence(result.history, x_star)
    assert convergence_order(errors) == pytest.approx(2.0, abs=0.15)
    assert np.all(result.hessian_shifts == 0)        # positive definite everywhere: pure Newton steps


def test_bfgs_converges_superlinearly(x_star):
    result = minimize(smooth_convex, 3 * np.ones(4), method="bfgs", options={"gtol": 1e-10})
    errors = error_sequence(result.history, x_star)
    ratios = errors[1:] / errors[:-1]
    tail = ratios[-5:]
    assert np.all(np.diff(tail) < 0) and tail[-1] < 0.05           # e_{k+1}/e_k → 0
    gd = minimize(smooth_convex, 3 * np.ones(4), method="gd", options={"maxiter": 60})
    gd_ratios = (error_sequence(gd.history, x_star)[1:] / error_sequence(gd.history, x_star)[:-1])[-10:]
    assert np.min(gd_ratios) > 0.3                                 # linear: the ratio does not shrink
    assert convergence_order(error_sequence(gd.history, x_star)) == pytest.approx(1.0, abs=0.1)


def test_cg_solves_an_spd_system_in_at_most_n_iterations():
    n = 12
    A, b = spd(n, 50.0), RNG.standard_normal(n)
    # n iterations in exact arithmetic; in floating point to a relative residual of 1e-8
    solution = truncated_cg(lambda v: A @ v, -b, tol=1e-8 * np.linalg.norm(b))
    assert solution.reason == "converged" and solution.iterations <= n
    np.testing.assert_allclose(solution.step, np.linalg.solve(A, b), rtol=1e-6)
    np.testing.assert_allclose(solution.hessian_step, A @ solution.step, rtol=1e-8)


def test_cg_with_three_distinct_eigenvalues_needs_three_iterations():
    q, _ = np.linalg.qr(RNG.standard_normal((9, 9)))
    A = q @ np.diag([1.0] * 3 + [4.0] * 3 + [9.0] * 3) @ q.T
    b = RNG.standard_normal(9)
    assert truncated_cg(lambda v: A @ v, -b, tol=1e-10).iterations == 3


def test_cg_stops_at_negative_curvature_and_at_the_trust_boundary():
    A = np.diag([2.0, -1.0])
    g = np.array([1.0, 1.0])
    stopped = truncated_cg(lambda v: A @ v, g, tol=1e-12)
    assert stopped.reason == "negative curvature"
    assert g @ stopped.step < 0                                   # still a descent direction
    bounded = truncated_cg(lambda v: A @ v, g, tol=1e-12, radius=0.5)
    assert bounded.reason in ("boundary", "negative curvature")
    assert np.linalg.norm(bounded.step) == pytest.approx(0.5)


def test_newton_cg_inner_iterations_at_most_n():
    A, b = spd(7, 30.0), RNG.standard_normal(7)
    result = minimize(testfunctions.quadratic(A, b), np.zeros(7), method="newton-cg", options={"gtol": 1e-10})
    assert result.success and np.all(result.cg_iterations <= 7)
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), atol=1e-9)


def test_lbfgs_on_the_10_dimensional_rosenbrock():
    f = testfunctions.rosenbrock(10)
    result = minimize(f, f.start, method="lbfgs", options={"gtol": 1e-9, "maxiter": 200})
    assert result.success and result.nit <= 200
    assert np.linalg.norm(result.grad) < 1e-8
    np.testing.assert_allclose(result.x, np.ones(10), atol=1e-7)


def test_newton_shifts_an_indefinite_hessian_and_still_descends():
    f = testfunctions.rosenbrock()
    start = np.array([0.0, 1.0])               # ∇²f = diag(-398, 200): indefinite
    result = minimize(f, start, method="newton", options={"gtol": 1e-8})
    assert result.success and result.hessian_shifts[0] > 398
    assert np.all(np.diff(result.fun_history) <= 1e-12)
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("method", ["trust-region", "newton-cg", "bfgs", "newton"])
def test_second_order_methods_solve_rosenbrock(method):
    f = testfunctions.rosenbrock()
    result = minimize(f, f.start, method=method, options={"gtol": 1e-8})
    assert result.success, result.message
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-6)


# ----------------------------------------------------------------------------- agreement with SciPy
@pytest.fixture(scope="module")
def scipy_solution():
    result = scipy.optimize.minimize(smooth_convex_numpy, 3 * np.ones(4), method="BFGS",
                                     options={"gtol": 1e-10})
    return result.x


FIRST_ORDER = {"gtol": 1e-6}
SECOND_ORDER = {"gtol": 1e-9}


@pytest.mark.parametrize("method, options, atol", [
    ("gd", FIRST_ORDER, 1e-5), ("momentum", {**FIRST_ORDER, "lr": 0.05}, 1e-5),
    ("nesterov", {**FIRST_ORDER, "lr": 0.05}, 1e-5), ("adam", {**FIRST_ORDER, "lr": 0.05, "maxiter": 5000}, 1e-4),
    ("newton", SECOND_ORDER, 1e-8), ("newton-cg", SECOND_ORDER, 1e-8), ("bfgs", SECOND_ORDER, 1e-8),
    ("lbfgs", SECOND_ORDER, 1e-8), ("trust-region", SECOND_ORDER, 1e-8),
])
def test_agrees_with_scipy(method, options, atol, scipy_solution):
    result = minimize(smooth_convex, 3 * np.ones(4), method=method, options=options)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, scipy_solution, atol=atol)
    assert result.fun == pytest.approx(smooth_convex_numpy(scipy_solution), abs=1e-8)


def test_bounded_lbfgs_agrees_with_scipy_lbfgsb():
    f = testfunctions.rosenbrock(4)
    bounds = [(-2.0, 0.6), (0.5, 2.0), (None, 0.7), (-1.0, None)]
    start = np.array([3.0, -1.2, 1.0, 0.0])                       # outside the box: projected first
    ours = minimize(f, start, method="lbfgs", bounds=bounds, options={"gtol": 1e-9})
    rosen = lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)  # noqa: E731
    theirs = scipy.optimize.minimize(rosen, start, jac=scipy.optimize.rosen_der, method="L-BFGS-B",
                                     bounds=bounds, options={"gtol": 1e-12, "ftol": 1e-15})
    assert ours.success, ours.message
    np.testing.assert_allclose(ours.x, theirs.x, atol=1e-6)
    assert np.all(ours.history[:, 0] <= 0.6) and np.all(ours.history[:, 1] >= 0.5)
    np.testing.assert_array_equal(ours.history[0], [0.6, 0.5, 0.7, 0.0])
    lower = scipy.optimize.Bounds([-1, -1, -1, -1], [0.5, 0.5, 0.5, 0.5])
    boxed = minimize(f, np.zeros(4), method="lbfgs", bounds=lower)
    assert np.all(boxed.x <= 0.5 + 1e-12) and boxed.success


# ----------------------------------------------------------------------------- the result
def test_result_fields_and_history():
    f = testfunctions.booth()
    result = minimize(f, f.start, method="bfgs")
    assert result.success and result.status == 0 and "successfully" in result.message
    assert result.history.shape == (result.nit + 1, 2)
    assert result.fun_history.shape == (result.nit + 1,) and result.grad_norm_history.shape == (result.nit + 1,)
    np.testing.assert_array_equal(result.history[0], f.start)
    np.testing.assert_array_equal(result.history[-1], result.x)
    assert result.grad is result.jac and result.method == "bfgs"
    assert result.nfev >= result.nit and result.njev >= result.nit
    assert "fun" in repr(result)
    with pytest.raises(AttributeError, match="no field 'bogus'"):
        result.bogus


def test_matrix_argument_args_and_tol():
    target = RNG.standard_normal((2, 3))

    def f(X, T, weight):
        return weight * cr.sum((X - T) ** 2)

    result = minimize(f, np.zeros((2, 3)), args=(cr.tensor(target), 2.0), method="lbfgs", tol=1e-10)
    assert result.x.shape == (2, 3) and result.jac.shape == (2, 3)
    np.testing.assert_allclose(result.x, target, atol=1e-9)


def test_user_gradients():
    def value_and_gradient(x):
        return cr.sum(x ** 2), 2 * x

    result = minimize(value_and_gradient, [3.0, -4.0], method="bfgs", jac=True)
    np.testing.assert_allclose(result.x, [0, 0], atol=1e-8)
    counted = []

    def gradient(x):
        counted.append(1)
        return 2 * x.numpy()

    result = minimize(lambda x: cr.sum(x ** 2), [3.0, -4.0], method="gd", jac=gradient)
    assert result.success and len(counted) == result.njev


def test_callback_and_stop_iteration():
    seen = []

    def callback(intermediate):
        seen.append((intermediate.nit, intermediate.fun))
        if intermediate.nit == 3:
            raise StopIteration

    f = testfunctions.rosenbrock()
    result = minimize(f, f.start, method="bfgs", callback=callback)
    assert [k for k, _ in seen] == [1, 2, 3]
    assert result.status == 99 and not result.success and result.nit == 3


def test_iteration_limit():
    f = testfunctions.rosenbrock()
    result = minimize(f, f.start, method="gd", options={"maxiter": 7})
    assert result.status == 1 and result.nit == 7 and not result.success
    assert "Maximum number of iterations (7)" in result.message


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("method", ["gd", "momentum", "adam", "newton", "newton-cg", "bfgs", "lbfgs",
                                    "trust-region"])
def test_nan_at_the_start_stops_with_the_iteration(method):
    result = minimize(lambda x: cr.sum(cr.log(x)), [-1.0, 2.0], method=method)
    assert not result.success and result.status == 3
    assert "iteration 0" in result.message and "nan" in result.message
    np.testing.assert_array_equal(result.x, [-1.0, 2.0])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_divergence_stops_at_the_iteration_that_overflowed():
    result = minimize(lambda x: cr.sum(x ** 4), [3.0, 1.0], method="momentum", options={"lr": 1.0})
    assert result.status == 3 and not result.success
    assert "at iteration" in result.message and "iteration 0" not in result.message
    assert np.all(np.isfinite(result.x)) and np.isfinite(result.fun)


# ----------------------------------------------------------------------------- bad input
def quadratic_2d(x):
    return cr.sum(x ** 2)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(method="simplex"), ValueError, r"unknown method 'simplex'; valid methods: gd, momentum"),
    (dict(method="bfgs", options={"learning_rate": 0.1}), ValueError,
     r"unknown option 'learning_rate'; valid options: maxiter, gtol, c1, c2"),
    (dict(method="gd", options={"lr": -1.0}), ValueError, r"invalid option lr=-1.0; expected > 0"),
    (dict(method="momentum", options={"momentum": 1.0}), ValueError, r"invalid option momentum=1.0"),
    (dict(method="adam", options={"betas": (0.9, 1.0)}), ValueError, r"invalid option betas"),
    (dict(method="bfgs", options={"maxiter": 0}), ValueError, r"invalid option maxiter=0"),
    (dict(method="bfgs", options={"c1": 0.9, "c2": 0.1}), ValueError, r"c1 < c2"),
    (dict(method="bfgs", bounds=[(0, 1), (0, 1)]), ValueError, r"bounds are supported by 'lbfgs' only"),
    (dict(method="lbfgs", bounds=[(0, 1)]), ValueError, r"1 \(low, high\) pairs for 2 variables"),
    (dict(method="lbfgs", bounds=[(0, 1), (2, 1)]), ValueError, r"bounds\[1\] = \(2.0, 1.0\) is empty"),
    (dict(method="newton", constraints=[{"type": "eq", "fun": lambda x: x[0]}]), ValueError,
     r"does not handle constraints"),
    (dict(method="sqp"), ValueError, r"needs constraints"),
    (dict(method=3), TypeError, r"method must be a string"),
    (dict(options=[1]), TypeError, r"options must be a dict"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        minimize(quadratic_2d, [1.0, 2.0], **kwargs)


def test_bad_functions_and_starts():
    with pytest.raises(ValueError, match=r"fun must return a scalar, but it returned a tensor of shape \(2\)"):
        minimize(lambda x: x ** 2, [1.0, 2.0])
    with pytest.raises(TypeError, match="scalar chainrule tensor"):
        minimize(lambda x: float(np.sum(x.numpy() ** 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match="x0 contains NaN"):
        minimize(quadratic_2d, [np.nan, 1.0])
    with pytest.raises(ValueError, match="x0 is empty"):
        minimize(quadratic_2d, [])
    with pytest.raises(TypeError, match="fun must be callable"):
        minimize("x**2", [1.0])


def test_method_names_are_case_insensitive_and_default_by_problem():
    assert minimize(quadratic_2d, [1.0, 2.0], method="BFGS").method == "bfgs"
    assert minimize(quadratic_2d, [1.0, 2.0], method="Newton_CG").method == "newton-cg"
    assert minimize(quadratic_2d, [1.0, 2.0]).method == "bfgs"
    assert minimize(quadratic_2d, [1.0, 2.0], bounds=[(0.5, 1), (0.5, 1)]).method == "lbfgs"
    constrained = minimize(quadratic_2d, [1.0, 2.0], constraints={"type": "eq", "fun": lambda x: x[0] - 1})
    assert constrained.method == "sqp"
