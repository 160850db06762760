"""Conjugate gradients and power iteration: convergence, reports, callables, errors."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

LA = cr.linalg
RNG = np.random.default_rng(13)


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def spd_with(eigenvalues):
    q, _ = np.linalg.qr(RNG.standard_normal((len(eigenvalues), len(eigenvalues))))
    return q @ np.diag(eigenvalues) @ q.T


def test_cg_converges_in_at_most_n_iterations():
    n = 8
    a = spd_with(np.linspace(1, 10, n))
    b = RNG.standard_normal(n)
    result = LA.cg(t64(a), t64(b), rtol=1e-10)
    assert result.converged and result.iterations <= n
    np.testing.assert_allclose(result.x.numpy(), np.linalg.solve(a, b), rtol=1e-8)
    assert result.residual_norm == pytest.approx(np.linalg.norm(b - a @ result.x.numpy()), rel=1e-3, abs=1e-12)


def test_cg_with_few_distinct_eigenvalues_needs_that_many_iterations():
    a = spd_with([1.0, 1.0, 1.0, 4.0, 4.0, 4.0])             # two distinct eigenvalues: two steps
    result = LA.cg(t64(a), t64(RNG.standard_normal(6)), rtol=1e-10)
    assert result.converged and result.iterations == 2


def test_cg_accepts_a_callable_and_a_preconditioner():
    n = 10
    d = np.linspace(1, 1000, n)
    b = RNG.standard_normal(n)
    diag = t64(d)
    plain = LA.cg(lambda v: diag * v, t64(b), rtol=1e-12)
    jacobi = LA.cg(lambda v: diag * v, t64(b), rtol=1e-12, M=lambda r: r / diag)
    np.testing.assert_allclose(plain.x.numpy(), b / d, rtol=1e-8)
    assert jacobi.iterations == 1 and jacobi.converged                    # the exact inverse as preconditioner


def test_cg_reports_non_convergence_at_the_iteration_limit():
    a = spd_with(np.linspace(1, 1e4, 20))
    result = LA.cg(t64(a), t64(RNG.standard_normal(20)), rtol=1e-14, maxiter=3)
    assert not result.converged and result.iterations == 3 and result.residual_norm > 0


def test_cg_refuses_an_indefinite_matrix():
    with pytest.raises(cr.LinAlgError, match="not positive definite"):
        LA.cg(t64(np.diag([1.0, -2.0, 3.0])), t64(np.ones(3)))


def test_cg_shape_errors():
    with pytest.raises(cr.ShapeError, match=r"A is \(3×3\) but b has 4 entries"):
        LA.cg(t64(np.eye(3)), t64(np.ones(4)))
    with pytest.raises(cr.ShapeError, match="b must be a vector"):
        LA.cg(t64(np.eye(3)), t64(np.ones((3, 1))))


def test_cg_is_differentiable_through_its_iterations():
    a = spd_with([1.0, 2.0, 3.0])
    b = RNG.standard_normal(3)
    g = cr.grad(lambda y: LA.cg(t64(a), y, rtol=1e-12).x.sum())(t64(b)).numpy()
    np.testing.assert_allclose(g, np.linalg.solve(a, np.ones(3)), rtol=1e-6)


def test_power_iteration_finds_the_dominant_eigenpair():
    a = spd_with([0.5, 1.0, 2.0, 6.0])
    result = LA.power_iteration(t64(a), tol=1e-12)
    w, v = np.linalg.eigh(a)
    top = v[:, -1] * np.sign(v[np.argmax(np.abs(v[:, -1])), -1])
    assert result.converged
    assert result.eigenvalue.item() == pytest.approx(6.0, rel=1e-10)
    np.testing.assert_allclose(result.eigenvector.numpy(), top, atol=1e-6)
    assert result.residual_norm <= 1e-12 * 6.0


def test_power_iteration_with_a_callable_and_negative_dominant_eigenvalue():
    d = t64(np.array([1.0, -5.0, 2.0]))
    result = LA.power_iteration(lambda v: d * v, v0=t64(np.ones(3)), tol=1e-10)
    assert result.converged and result.eigenvalue.item() == pytest.approx(-5.0)
    np.testing.assert_allclose(np.abs(result.eigenvector.numpy()), [0, 1, 0], atol=1e-8)
    assert result.eigenvector.numpy()[1] > 0                      # the sign convention


def test_power_iteration_reports_slow_convergence():
    a = np.diag([1.0, 0.999, 0.5])
    result = LA.power_iteration(t64(a), maxiter=5)
    assert not result.converged and result.iterations == 5


def test_power_iteration_needs_a_start_for_callables():
    with pytest.raises(ValueError, match="give v0"):
        LA.power_iteration(lambda v: v)
