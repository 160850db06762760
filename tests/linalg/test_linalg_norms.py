"""Norms, condition numbers, rank, null space and range; the matrix exponential."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import chainrule as cr
from chainrule.testing import check_grads

LA = cr.linalg
RNG = np.random.default_rng(5)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- vector norms
@pytest.mark.parametrize("ord", [2, 1, np.inf, -np.inf, 3, 0.5, 0, -1])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (-1, True), ((0, 2), False)])
def test_vector_norm_matches_numpy(ord, axis, keepdims):
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(LA.vector_norm(t64(x), ord, axis=axis, keepdims=keepdims).numpy(),
                               np.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims), rtol=1e-12)


@pytest.mark.parametrize("ord", [2, 1, 3, np.inf, 0.5])
def test_vector_norm_gradient_at_zero_is_zero(ord):
    g = cr.grad(lambda v: LA.vector_norm(v, ord))(t64(np.zeros(3)))
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))


def test_two_norm_gradient_is_unit_vector_and_second_order():
    x = RNG.standard_normal(4)
    g = cr.grad(LA.vector_norm)(t64(x)).numpy()
    np.testing.assert_allclose(g, x / np.linalg.norm(x), rtol=1e-12)
    h = cr.hessian(LA.vector_norm)(t64(x)).numpy()
    r = np.linalg.norm(x)
    np.testing.assert_allclose(h, (np.eye(4) - np.outer(x, x) / r**2) / r, rtol=1e-10)


def test_inf_norm_ties_share_the_gradient():
    g = cr.grad(lambda v: LA.vector_norm(v, np.inf))(t64(np.array([3.0, -3.0, 1.0])))
    np.testing.assert_allclose(g.numpy(), [0.5, -0.5, 0.0])


def test_count_norm_has_no_derivative():
    g = cr.grad(lambda v: LA.vector_norm(v, 0))(t64(np.array([3.0, 0.0, 1.0])))
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))


def test_vector_norm_refuses_matrix_orders():
    with pytest.raises(ValueError, match="matrix_norm"):
        LA.vector_norm(t64(np.ones(3)), "fro")


# ----------------------------------------------------------------------------- matrix norms
@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_matches_numpy(ord):
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(LA.matrix_norm(t64(x), ord).numpy(), np.linalg.matrix_norm(x, ord=ord), rtol=1e-12)
    np.testing.assert_allclose(LA.matrix_norm(t64(x), ord, keepdims=True).numpy(),
                               np.linalg.matrix_norm(x, ord=ord, keepdims=True), rtol=1e-12)


def test_spectral_norm_gradient_is_top_singular_pair():
    a = RNG.standard_normal((4, 3))
    g = cr.grad(lambda m: LA.matrix_norm(m, 2))(t64(a)).numpy()
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(g, np.outer(u[:, 0], vh[0]), atol=1e-12)


@pytest.mark.parametrize("ord, axis", [(None, None), (None, 1), (1, 0), ("fro", (0, 1)), (np.inf, (1, 0)),
                                       ("nuc", None), (-2, None)])
def test_norm_dispatches_as_numpy(ord, axis):
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(LA.norm(t64(x), ord, axis=axis).numpy(), np.linalg.norm(x, ord, axis=axis), rtol=1e-12)
    np.testing.assert_allclose(LA.norm(t64(x), ord, axis=axis, keepdims=True).numpy(),
                               np.linalg.norm(x, ord, axis=axis, keepdims=True), rtol=1e-12)


def test_norm_of_3d_with_order_needs_axes():
    with pytest.raises(cr.ShapeError, match="vector or a matrix"):
        LA.norm(t64(np.ones((2, 2, 2))), 2)


# ----------------------------------------------------------------------------- cond, rank, subspaces
@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
def test_cond_matches_numpy(p):
    a = RNG.standard_normal((2, 4, 4)) + 3 * np.eye(4)
    np.testing.assert_allclose(LA.cond(t64(a), p).numpy(), np.linalg.cond(a, p), rtol=1e-10)


def test_cond_gradient():
    a = RNG.standard_normal((3, 3)) + 2 * np.eye(3)
    g = cr.grad(LA.cond)(t64(a)).numpy()
    u, s, vh = np.linalg.svd(a)
    kappa = s[0] / s[-1]
    np.testing.assert_allclose(g, kappa * (np.outer(u[:, 0], vh[0]) / s[0] - np.outer(u[:, -1], vh[-1]) / s[-1]),
                               rtol=1e-10)


def test_matrix_rank_uses_numpys_tolerance():
    a = RNG.standard_normal((6, 2)) @ RNG.standard_normal((2, 5))
    assert int(LA.matrix_rank(t64(a)).item()) == np.linalg.matrix_rank(a) == 2
    s = np.linalg.svd(a, compute_uv=False)
    # a singular value just above the default tolerance s_max · max(m, n) · ε counts
    tol = s[0] * 6 * np.finfo(float).eps
    u, _, vh = np.linalg.svd(a)
    b = a + 10 * tol * np.outer(u[:, 2], vh[2])
    assert int(LA.matrix_rank(t64(b)).item()) == np.linalg.matrix_rank(b) == 3
    assert int(LA.matrix_rank(t64(b), tol=1e-3).item()) == 2
    assert int(LA.matrix_rank(t64(b), rtol=1e-3).item()) == 2
    stack = np.stack([a, np.eye(6, 5)])
    np.testing.assert_array_equal(LA.matrix_rank(t64(stack)).numpy(), [2, 5])
    sym = a @ a.T
    assert int(LA.matrix_rank(t64(sym), hermitian=True).item()) == np.linalg.matrix_rank(sym, hermitian=True)
    assert int(LA.matrix_rank(t64(np.zeros(3))).item()) == 0 and int(LA.matrix_rank(t64(np.ones(3))).item()) == 1


def test_null_space_and_orth_match_scipy():
    a = RNG.standard_normal((3, 2)) @ RNG.standard_normal((2, 5))        # rank 2: null space of dimension 3
    n = LA.null_space(t64(a)).numpy()
    assert n.shape == (5, 3)
    np.testing.assert_allclose(a @ n, 0, atol=1e-12)
    np.testing.assert_allclose(n.T @ n, np.eye(3), atol=1e-12)
    want = scipy.linalg.null_space(a)
    np.testing.assert_allclose(n @ n.T, want @ want.T, atol=1e-12)            # the same subspace
    q = LA.orth(t64(a)).numpy()
    want = scipy.linalg.orth(a)
    assert q.shape == want.shape == (3, 2)
    np.testing.assert_allclose(q @ q.T, want @ want.T, atol=1e-12)


def test_null_space_is_value_only_and_stacks_need_one_rank():
    with pytest.raises(cr.GraphError, match="unique only up to rotation"):
        cr.grad(lambda m: LA.null_space(m).sum())(t64(RNG.standard_normal((2, 4))))
    stack = np.stack([np.eye(3), np.diag([1.0, 1.0, 0.0])])
    with pytest.raises(cr.ShapeError, match="different ranks"):
        LA.null_space(t64(stack))


def test_orth_is_differentiable_where_the_range_moves_smoothly():
    check_grads(lambda m: LA.orth(m) @ LA.orth(m).mT, [RNG.standard_normal((4, 2))], order=1)


# ----------------------------------------------------------------------------- expm
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_expm_matches_scipy(shape):
    a = RNG.standard_normal(shape)
    np.testing.assert_allclose(LA.expm(t64(a)).numpy(), scipy.linalg.expm(a), rtol=1e-12)


def test_expm_derivative_is_frechet_derivative():
    a, e = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))
    _, d = cr.jvp(LA.expm, (t64(a),), (t64(e),))
    np.testing.assert_allclose(d.numpy(), scipy.linalg.expm_frechet(a, e, compute_expm=False), rtol=1e-10)
    g = RNG.standard_normal((4, 4))
    grad = cr.grad(lambda m: (LA.expm(m) * t64(g)).sum())(t64(a)).numpy()
    np.testing.assert_allclose(grad, scipy.linalg.expm_frechet(a.T, g, compute_expm=False), rtol=1e-10)


def test_expm_identities():
    a = RNG.standard_normal((3, 3))
    s = a - a.T                                                  # skew: e^S is a rotation
    r = LA.expm(t64(s)).numpy()
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    # det e^A = e^{tr A}, so d/dA log det e^A = I
    g = cr.grad(lambda m: LA.slogdet(LA.expm(m)).logabsdet)(t64(a)).numpy()
    np.testing.assert_allclose(g, np.eye(3), atol=1e-10)


def test_expm_second_order():
    check_grads(LA.expm, [RNG.standard_normal((2, 2)) / 2], order=2)
