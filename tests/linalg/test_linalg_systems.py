"""Linear systems (solve, solve_triangular, lstsq, pinv) and the LU factorization."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import chainrule as cr
from chainrule.testing import check_grads

LA = cr.linalg
RNG = np.random.default_rng(11)


def well_conditioned(*shape):
    n = shape[-1]
    return RNG.standard_normal(shape) / np.sqrt(n) + 2.0 * np.eye(n)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- solve
@pytest.mark.parametrize("a_shape, b_shape", [((4, 4), (4,)), ((4, 4), (4, 2)), ((3, 4, 4), (4,)),
                                              ((3, 4, 4), (4, 2)), ((2, 1, 4, 4), (3, 4, 1)),
                                              ((4, 4), (5, 4, 3))])
def test_solve_matches_numpy_with_broadcasting(a_shape, b_shape):
    a, b = well_conditioned(*a_shape), RNG.standard_normal(b_shape)
    np.testing.assert_allclose(LA.solve(t64(a), t64(b)).numpy(), np.linalg.solve(a, b), rtol=1e-11, atol=1e-13)


def test_solve_gradients_are_the_adjoint_solve():
    a, b, g = well_conditioned(4, 4), RNG.standard_normal(4), RNG.standard_normal(4)
    ga, gb = cr.grad(lambda x, y: (LA.solve(x, y) * t64(g)).sum(), argnums=(0, 1))(t64(a), t64(b))
    x = np.linalg.solve(a, b)
    b_bar = np.linalg.solve(a.T, g)
    np.testing.assert_allclose(gb.numpy(), b_bar, rtol=1e-12)
    np.testing.assert_allclose(ga.numpy(), -np.outer(b_bar, x), rtol=1e-12)


def test_solve_gradient_sums_over_broadcast_batch():
    a, b = well_conditioned(4, 4), RNG.standard_normal((3, 4, 2))
    check_grads(LA.solve, [a, b], order=2)
    ga = cr.grad(lambda x: LA.solve(x, t64(b)).sum())(t64(a))
    assert ga.shape == (4, 4)


def test_solve_shape_error_states_the_algebra():
    with pytest.raises(cr.ShapeError, match=r"solve: A is \(3×3\) but b is \(4×2\); b needs 3 rows"):
        LA.solve(t64(np.eye(3)), t64(np.ones((4, 2))))
    with pytest.raises(cr.ShapeError, match=r"b needs 3 entries"):
        LA.solve(t64(np.eye(3)), t64(np.ones(4)))
    with pytest.raises(cr.ShapeError, match="batch axes"):
        LA.solve(t64(np.ones((2, 3, 3))), t64(np.ones((4, 3, 1))))


def test_singular_system_is_refused_with_condition_number():
    with pytest.raises(cr.LinAlgError, match=r"solve: A is singular: its condition number is .*no unique solution"):
        LA.solve(t64(np.ones((3, 3))), t64(np.ones(3)))


def test_nan_in_right_hand_side_is_refused():
    with pytest.raises(cr.LinAlgError, match="solve: b contains NaN"):
        LA.solve(t64(np.eye(2)), t64(np.array([1.0, np.nan])))


# ----------------------------------------------------------------------------- triangular
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1])
@pytest.mark.parametrize("unit_diagonal", [False, True])
def test_solve_triangular_matches_scipy(lower, trans, unit_diagonal):
    a, b = well_conditioned(4, 4), RNG.standard_normal((4, 3))
    got = LA.solve_triangular(t64(a), t64(b), trans=trans, lower=lower, unit_diagonal=unit_diagonal).numpy()
    want = scipy.linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_solve_triangular_from_the_right_and_batched():
    a, b = well_conditioned(3, 4, 4), RNG.standard_normal((3, 2, 4))
    got = LA.solve_triangular(t64(a), t64(b), lower=True, left=False).numpy()
    np.testing.assert_allclose(got @ np.tril(a), b, atol=1e-12)


def test_solve_triangular_ignores_the_other_triangle_and_its_derivative_is_zero_there():
    a, b = well_conditioned(4, 4), RNG.standard_normal(4)
    junk = a + np.triu(RNG.standard_normal((4, 4)), 1)
    np.testing.assert_allclose(LA.solve_triangular(t64(junk), t64(b), lower=True).numpy(),
                               LA.solve_triangular(t64(a), t64(b), lower=True).numpy())
    g = cr.grad(lambda x: LA.solve_triangular(x, t64(b), lower=True).sum())(t64(a)).numpy()
    assert np.all(np.triu(g, 1) == 0)
    g_unit = cr.grad(lambda x: LA.solve_triangular(x, t64(b), lower=True, unit_diagonal=True).sum())(t64(a)).numpy()
    assert np.all(np.diag(g_unit) == 0)


def test_solve_triangular_zero_diagonal_is_singular():
    a = np.tril(np.ones((3, 3)))
    a[1, 1] = 0
    with pytest.raises(cr.LinAlgError, match="solve_triangular: the triangular matrix is singular"):
        LA.solve_triangular(t64(a), t64(np.ones(3)), lower=True)
    stack = np.stack([np.eye(3), a])
    with pytest.raises(cr.LinAlgError, match=r"matrix \(1,\) of the stack"):
        LA.solve_triangular(t64(stack), t64(np.ones((3, 1))), lower=True)


# ----------------------------------------------------------------------------- least squares, pinv
@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 4), (2, 5, 3)])
def test_pinv_matches_numpy_and_penrose_conditions(shape):
    a = RNG.standard_normal(shape)
    x = LA.pinv(t64(a)).numpy()
    np.testing.assert_allclose(x, np.linalg.pinv(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a @ x @ a, a, atol=1e-12)
    np.testing.assert_allclose(x @ a @ x, x, atol=1e-12)


def test_pinv_of_rank_deficient_matrix_is_differentiable_along_constant_rank():
    u, v = RNG.standard_normal((5, 2)), RNG.standard_normal((2, 4))
    a = u @ v                                                    # rank 2
    du, dv = RNG.standard_normal((5, 2)), RNG.standard_normal((2, 4))
    direction = du @ v + u @ dv                                  # tangent to the rank-2 matrices
    _, dx = cr.jvp(lambda m: LA.pinv(m, rcond=1e-10), (t64(a),), (t64(direction),))
    eps = 1e-6
    numerical = (np.linalg.pinv((u + eps * du) @ (v + eps * dv), rcond=1e-10)
                 - np.linalg.pinv((u - eps * du) @ (v - eps * dv), rcond=1e-10)) / (2 * eps)
    np.testing.assert_allclose(dx.numpy(), numerical, atol=1e-6)


def test_lstsq_matches_numpy():
    a, b = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))
    result = LA.lstsq(t64(a), t64(b))
    want = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(result.solution.numpy(), want[0], rtol=1e-10)
    np.testing.assert_allclose(result.residuals.numpy(), want[1], rtol=1e-10)
    assert int(result.rank.item()) == want[2]
    np.testing.assert_allclose(result.singular_values.numpy(), want[3], rtol=1e-12)
    x, residuals, rank, s = result                                 # unpacks as NumPy's tuple
    assert residuals.shape == (2,)


def test_lstsq_rank_deficient_has_empty_residuals_and_minimum_norm_solution():
    a = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 3))
    b = RNG.standard_normal(5)
    result = LA.lstsq(t64(a), t64(b))
    want = np.linalg.lstsq(a, b, rcond=None)
    assert result.residuals.shape == (0,) and int(result.rank.item()) == 2
    np.testing.assert_allclose(result.solution.numpy(), want[0], rtol=1e-8)


def test_lstsq_gradient_matches_normal_equations():
    a, b = RNG.standard_normal((6, 3)), RNG.standard_normal(6)

    def via_normal_equations(m, y):
        return LA.solve(m.mT @ m, m.mT @ y).sum()
    got = cr.grad(lambda m, y: LA.lstsq(m, y).solution.sum(), argnums=(0, 1))(t64(a), t64(b))
    want = cr.grad(via_normal_equations, argnums=(0, 1))(t64(a), t64(b))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-12)


def test_lstsq_shape_error():
    with pytest.raises(cr.ShapeError, match=r"lstsq: A is \(4×2\) but b is \(3×\d\); b needs 4 rows"):
        LA.lstsq(t64(np.ones((4, 2))), t64(np.ones((3, 1))))


# ----------------------------------------------------------------------------- LU
@pytest.mark.parametrize("shape", [(4, 4), (3, 4, 4), (5, 3), (3, 5)])
def test_lu_reconstructs_and_matches_scipy(shape):
    a = RNG.standard_normal(shape)
    p, l, u = LA.lu(t64(a))
    np.testing.assert_allclose((p @ l @ u).numpy(), a, atol=1e-12)
    for got, want in zip((p, l, u), scipy.linalg.lu(a)):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    assert np.allclose(np.triu(l.numpy(), 1), 0) and np.allclose(np.diagonal(l.numpy(), axis1=-2, axis2=-1), 1)


def test_lu_derivatives_keep_the_structure():
    a, e = well_conditioned(4, 4), RNG.standard_normal((4, 4))
    (p, l, u), (dp, dl, du) = cr.jvp(lambda m: tuple(LA.lu(m)), (t64(a),), (t64(e),))
    assert np.allclose(np.triu(dl.numpy()), 0) and np.allclose(np.tril(du.numpy(), -1), 0)
    np.testing.assert_allclose((p @ (dl @ u + l @ du)).numpy(), e, atol=1e-12)   # d(PLU) = dA
    assert np.all(dp.numpy() == 0)


def test_lu_factor_and_lu_solve_match_scipy():
    a, b = well_conditioned(4, 4), RNG.standard_normal((4, 2))
    packed, piv = LA.lu_factor(t64(a))
    want_packed, want_piv = scipy.linalg.lu_factor(a)
    np.testing.assert_allclose(packed.numpy(), want_packed, atol=1e-12)
    np.testing.assert_array_equal(piv.numpy(), want_piv)
    for trans in (0, 1):
        np.testing.assert_allclose(LA.lu_solve((packed, piv), t64(b), trans=trans).numpy(),
                                   scipy.linalg.lu_solve((want_packed, want_piv), b, trans=trans), rtol=1e-12)


def test_lu_solve_gradient_equals_solve_gradient():
    a, b = well_conditioned(4, 4), RNG.standard_normal(4)
    got = cr.grad(lambda m, y: LA.lu_solve(LA.lu_factor(m), y).sum(), argnums=(0, 1))(t64(a), t64(b))
    want = cr.grad(lambda m, y: LA.solve(m, y).sum(), argnums=(0, 1))(t64(a), t64(b))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-11)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_lu_derivatives_of_non_square_matrices(shape):
    a = RNG.standard_normal(shape)
    check_grads(lambda m: LA.lu(m).L, [a], order=1)
    check_grads(lambda m: LA.lu(m).U, [a], order=1)
    e = RNG.standard_normal(shape)
    (p, l, u), (_, dl, du) = cr.jvp(lambda m: tuple(LA.lu(m)), (t64(a),), (t64(e),))
    np.testing.assert_allclose((p @ (dl @ u + l @ du)).numpy(), e, atol=1e-12)      # d(PLU) = dA


def test_lu_derivative_at_singular_matrix_raises():
    with pytest.raises(cr.LinAlgError, match="singular"):
        cr.grad(lambda m: LA.lu(m).L.sum())(t64(np.ones((3, 3))))
