"""Constrained minimization: solutions and Lagrange multipliers against the closed-form KKT
solution and SciPy, the KKT residuals, solve_qp, and bad constraints."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

import chainrule as cr
from chainrule.optim import minimize, solve_qp

RNG = np.random.default_rng(11)
N, M = 5, 2
_L = RNG.standard_normal((N, N))
P = _L @ _L.T + np.eye(N)
Q = RNG.standard_normal(N)
A = RNG.standard_normal((M, N))
B = RNG.standard_normal(M)
G = RNG.standard_normal((3, N))
H = RNG.standard_normal(3) + 2.0


def qp_objective(x):
    return 0.5 * x @ (cr.tensor(P) @ x) + cr.tensor(Q) @ x


EQUALITY = {"type": "eq", "fun": lambda x: cr.tensor(A) @ x - cr.tensor(B)}
INEQUALITY = {"type": "ineq", "fun": lambda x: cr.tensor(H) - cr.tensor(G) @ x}       # G x ≤ H


@pytest.fixture(scope="module")
def kkt_solution():
    r"""The closed form: [[P, -Aᵀ], [A, 0]] [x; λ] = [-q; b] (∇f = Aᵀλ at the solution)."""
    kkt = np.block([[P, -A.T], [A, np.zeros((M, M))]])
    solution = np.linalg.solve(kkt, np.concatenate([-Q, B]))
    return solution[:N], solution[N:]


@pytest.mark.parametrize("method, options, atol", [
    ("kkt-newton", {}, 1e-12), ("sqp", {}, 1e-12), ("augmented-lagrangian", {"tol": 1e-9}, 1e-7),
])
def test_equality_qp_matches_the_closed_form_kkt_solution(method, options, atol, kkt_solution):
    x_star, multipliers = kkt_solution
    result = minimize(qp_objective, np.zeros(N), method=method, constraints=[EQUALITY], options=options)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, x_star, atol=atol)
    np.testing.assert_allclose(result.multipliers[0], multipliers, atol=10 * atol)
    assert max(result.kkt.values()) <= 10 * atol
    if method != "augmented-lagrangian":
        assert result.nit == 1                        # a quadratic with linear constraints: one Newton step


@pytest.fixture(scope="module")
def scipy_mixed():
    constraints = [{"type": "eq", "fun": lambda x: A @ x - B, "jac": lambda x: A},
                   {"type": "ineq", "fun": lambda x: H - G @ x, "jac": lambda x: -G}]
    result = scipy.optimize.minimize(lambda x: 0.5 * x @ P @ x + Q @ x, np.zeros(N), jac=lambda x: P @ x + Q,
                                     method="SLSQP", constraints=constraints, options={"ftol": 1e-14})
    assert result.success
    return result.x


@pytest.mark.parametrize("method, options", [("sqp", {}), ("augmented-lagrangian", {"tol": 1e-9})])
def test_mixed_qp_agrees_with_scipy_and_satisfies_kkt(method, options, scipy_mixed):
    result = minimize(qp_objective, np.zeros(N), method=method, constraints=[EQUALITY, INEQUALITY], options=options)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, scipy_mixed, atol=1e-6)
    lam, mu = result.multipliers
    assert lam.shape == (M,) and mu.shape == (3,)
    # the KKT conditions, checked here from their definitions
    gradient = P @ result.x + Q
    np.testing.assert_allclose(gradient, A.T @ lam + (-G).T @ mu, atol=1e-6)   # ∇f = Σλ∇h + Σμ∇c
    slack = H - G @ result.x
    assert np.all(mu >= 0) and np.all(slack >= -1e-8)
    np.testing.assert_allclose(mu * slack, 0, atol=1e-7)
    assert np.any(mu > 1e-3)                                                     # an active inequality
    assert result.kkt["dual_feasibility"] == 0.0


def test_active_set_qp_multipliers_by_hand():
    # min (x-2)² + (y-1)²  s.t.  x + y ≤ 2:  x* = (1.5, 0.5), ∇f = (-1, -1) = μ ∇c with c = 2 - x - y, μ = 1
    for method in ("sqp", "augmented-lagrangian"):
        result = minimize(lambda v: (v[0] - 2) ** 2 + (v[1] - 1) ** 2, [0.0, 0.0], method=method,
                          constraints={"type": "ineq", "fun": lambda v: 2 - v[0] - v[1]},
                          options={"tol": 1e-10})
        np.testing.assert_allclose(result.x, [1.5, 0.5], atol=1e-8)
        np.testing.assert_allclose(result.multipliers[0], [1.0], atol=1e-7)


@pytest.mark.parametrize("method", ["kkt-newton", "sqp", "augmented-lagrangian"])
def test_nonlinear_equality_the_lagrange_multiplier_is_the_sensitivity(method):
    # min x + y on the circle x² + y² = r²: x* = -(r, r)/√2, f* = -√2 r, λ = df*/d(r²) = -1/(√2 r)
    def solve(r2):
        return minimize(lambda v: v[0] + v[1], [-1.5, -0.5], method=method,
                        constraints={"type": "eq", "fun": lambda v: v[0] ** 2 + v[1] ** 2 - r2},
                        options={"tol": 1e-10})

    result = solve(2.0)
    assert result.success, result.message
    np.testing.assert_allclose(result.x, [-1.0, -1.0], atol=1e-7)
    np.testing.assert_allclose(result.multipliers[0], [-0.5], atol=1e-7)
    shifted = solve(2.0 + 1e-4)
    sensitivity = (shifted.fun - result.fun) / 1e-4
    assert sensitivity == pytest.approx(result.multipliers[0][0], rel=1e-3)


def test_nonlinear_inequalities_agree_with_scipy():
    def objective(v):
        return (v[0] - 2) ** 2 + (v[1] - 1) ** 2 + 0.1 * v[0] * v[1]

    constraints = [{"type": "ineq", "fun": lambda v: v[1] - v[0] ** 2}, {"type": "ineq", "fun": lambda v: 2 - v[0] - v[1]}]
    reference = scipy.optimize.minimize(
        lambda v: (v[0] - 2) ** 2 + (v[1] - 1) ** 2 + 0.1 * v[0] * v[1], [0.0, 0.0], method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda v: v[1] - v[0] ** 2},
                     {"type": "ineq", "fun": lambda v: 2 - v[0] - v[1]}], options={"ftol": 1e-14})
    for method in ("sqp", "augmented-lagrangian"):
        result = minimize(objective, [0.0, 0.0], method=method, constraints=constraints, options={"tol": 1e-9})
        assert result.success, result.message
        np.testing.assert_allclose(result.x, reference.x, atol=1e-6)


def test_infeasible_starting_point_is_fine_and_inconsistent_constraints_fail_clearly():
    result = minimize(lambda v: cr.sum(v ** 2), [10.0, -10.0], method="sqp",
                      constraints={"type": "ineq", "fun": lambda v: v[0] + v[1] - 1})
    assert result.success and result.x.sum() == pytest.approx(1.0)
    inconsistent = [{"type": "ineq", "fun": lambda v: v[0] - 1}, {"type": "ineq", "fun": lambda v: -v[0]}]
    failed = minimize(lambda v: cr.sum(v ** 2), [0.5, 0.0], method="sqp", constraints=inconsistent)
    assert not failed.success and failed.status == 4 and "inconsistent" in failed.message
    stuck = minimize(lambda v: cr.sum(v ** 2), [0.5, 0.0], method="augmented-lagrangian",
                     constraints=inconsistent, options={"maxiter": 5})
    assert not stuck.success and stuck.status == 1 and stuck.kkt["primal_feasibility"] > 0.1


def test_dependent_equality_constraints_in_kkt_newton():
    twice = [{"type": "eq", "fun": lambda v: v[0] + v[1] - 1}, {"type": "eq", "fun": lambda v: 2 * v[0] + 2 * v[1] - 2}]
    result = minimize(lambda v: cr.sum(v ** 2), [0.0, 0.0], method="kkt-newton", constraints=twice)
    assert not result.success and "singular" in result.message


@pytest.mark.parametrize("constraints, error, match", [
    ({"type": "le", "fun": lambda v: v[0]}, ValueError, r"type 'le'; expected 'eq'"),
    ({"type": "eq"}, TypeError, r"needs a callable 'fun'"),
    ({"type": "eq", "fun": lambda v: v[0], "jac": None}, ValueError, r"unknown key\(s\) \['jac'\]"),
    ([lambda v: v[0]], TypeError, r"must be a dict"),
    ({"type": "eq", "fun": lambda v: 1.0}, TypeError, r"must return a chainrule tensor"),
])
def test_bad_constraints(constraints, error, match):
    with pytest.raises(error, match=match):
        minimize(lambda v: cr.sum(v ** 2), [1.0, 2.0], method="sqp", constraints=constraints)


def test_kkt_newton_needs_equalities_only():
    with pytest.raises(ValueError, match="equality constraints only"):
        minimize(lambda v: cr.sum(v ** 2), [1.0, 2.0], method="kkt-newton", constraints=[INEQUALITY_2D])


INEQUALITY_2D = {"type": "ineq", "fun": lambda v: v[0]}


# ----------------------------------------------------------------------------- solve_qp
def test_solve_qp_random_problems_satisfy_kkt():
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(2, 7))
        m_eq, m_in = int(rng.integers(0, n)), int(rng.integers(0, 7))
        L = rng.standard_normal((n, n))
        p, q = L @ L.T + 0.5 * np.eye(n), rng.standard_normal(n)
        a_eq, a_in = rng.standard_normal((m_eq, n)), rng.standard_normal((m_in, n))
        feasible = rng.standard_normal(n)
        b_eq, b_in = a_eq @ feasible, a_in @ feasible - rng.uniform(0, 1, m_in)
        r = solve_qp(p, q, a_eq, b_eq, a_in, b_in)
        assert r.success
        np.testing.assert_allclose(p @ r.x + q, a_eq.T @ r.eq_multipliers + a_in.T @ r.ineq_multipliers, atol=1e-10)
        np.testing.assert_allclose(a_eq @ r.x, b_eq, atol=1e-10)
        slack = a_in @ r.x - b_in
        assert np.all(slack >= -1e-10) and np.all(r.ineq_multipliers >= -1e-12)
        np.testing.assert_allclose(r.ineq_multipliers * slack, 0, atol=1e-10)


def test_solve_qp_errors():
    with pytest.raises(ValueError, match=r"P is \(2×3\)"):
        solve_qp(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="A_eq is"):
        solve_qp(np.eye(2), np.ones(2), np.ones((1, 3)), [1.0])
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        solve_qp(-np.eye(2), np.ones(2))
    result = solve_qp(np.eye(2), np.zeros(2), A_ineq=[[1, 0], [-1, 0]], b_ineq=[1, 0])     # x ≥ 1 and x ≤ 0
    assert not result.success and "inconsistent" in result.message
