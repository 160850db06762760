"""Cholesky, QR, eigh/eigvalsh, SVD/svdvals, eig/eigvals: identities, conventions,
behaviour at repeated eigenvalues, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import check_grads

LA = cr.linalg
RNG = np.random.default_rng(3)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def orthogonal(n):
    q, _ = np.linalg.qr(RNG.standard_normal((n, n)))
    return q


def symmetric_with(eigenvalues):
    q = orthogonal(len(eigenvalues))
    return q @ np.diag(eigenvalues) @ q.T


def spd(*shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def largest_components_positive(v):
    idx = np.argmax(np.abs(v), axis=-2)
    return np.all(np.take_along_axis(v, idx[..., None, :], axis=-2) > 0)


# ----------------------------------------------------------------------------- Cholesky
def test_cholesky_reconstructs_and_matches_numpy():
    a = spd(3, 4, 4)
    l = LA.cholesky(t64(a)).numpy()
    np.testing.assert_allclose(l, np.linalg.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(l @ np.swapaxes(l, -1, -2), a, rtol=1e-12)
    np.testing.assert_allclose(LA.cholesky(t64(a), upper=True).numpy(), np.swapaxes(l, -1, -2))


def test_cholesky_gradient_is_symmetric_and_matches_log_det():
    a = spd(4, 4)
    # log det A = 2 Σ log L_ii, so both paths give A⁻¹
    g = cr.grad(lambda m: 2 * cr.log(LA.diagonal(LA.cholesky(m))).sum())(t64(a)).numpy()
    np.testing.assert_allclose(g, np.linalg.inv(a), rtol=1e-10)
    np.testing.assert_allclose(g, g.T, rtol=1e-12)


def test_cholesky_uses_the_symmetric_part():
    a = spd(3, 3)
    skew = RNG.standard_normal((3, 3))
    skew = skew - skew.T
    np.testing.assert_allclose(LA.cholesky(t64(a + skew)).numpy(), np.linalg.cholesky(a), rtol=1e-12)


def test_cholesky_of_indefinite_matrix_states_smallest_eigenvalue():
    a = symmetric_with([2.0, -0.5, 1.0])
    with pytest.raises(cr.LinAlgError, match=r"cholesky: the matrix is not positive definite: its smallest "
                                             r"eigenvalue is -0\.5"):
        LA.cholesky(t64(a))


def test_cholesky_second_order():
    check_grads(lambda m: LA.cholesky(m).sum(axis=-1), [spd(3, 3)], order=2)


# ----------------------------------------------------------------------------- QR
@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 5), (2, 6, 4)])
def test_qr_reconstructs_with_orthonormal_q_and_nonnegative_diagonal(shape):
    a = RNG.standard_normal(shape)
    q, r = LA.qr(t64(a))
    q, r = q.numpy(), r.numpy()
    k = min(shape[-2:])
    np.testing.assert_allclose(q @ r, a, atol=1e-12)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(k), shape[:-2] + (k, k)), atol=1e-12)
    assert np.allclose(np.tril(r, -1), 0)
    assert np.all(np.diagonal(r, axis1=-2, axis2=-1) >= 0)


def test_qr_modes():
    a = RNG.standard_normal((5, 3))
    q, r = LA.qr(t64(a), mode="complete")
    assert q.shape == (5, 5) and r.shape == (5, 3)
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)
    np.testing.assert_allclose(LA.qr(t64(a), mode="r").numpy(), LA.qr(t64(a)).R.numpy())
    with pytest.raises(ValueError, match="mode"):
        LA.qr(t64(a), mode="economic")


def test_qr_derivatives_keep_orthonormality_and_triangularity():
    a, e = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    (q, r), (dq, dr) = cr.jvp(lambda m: tuple(LA.qr(m)), (t64(a),), (t64(e),))
    q, r, dq, dr = q.numpy(), r.numpy(), dq.numpy(), dr.numpy()
    skew = q.T @ dq
    np.testing.assert_allclose(skew, -skew.T, atol=1e-12)          # d(QᵀQ) = 0
    assert np.allclose(np.tril(dr, -1), 0)
    np.testing.assert_allclose(dq @ r + q @ dr, e, atol=1e-12)     # d(QR) = dA


def test_qr_derivative_of_wide_or_complete_is_refused():
    with pytest.raises(NotImplementedError, match="m ≥ n"):
        cr.grad(lambda m: LA.qr(m).R.sum())(t64(RNG.standard_normal((2, 4))))
    with pytest.raises(NotImplementedError, match="not unique"):
        cr.grad(lambda m: LA.qr(m, mode="complete").Q.sum())(t64(RNG.standard_normal((4, 2))))


# ----------------------------------------------------------------------------- eigh
def test_eigh_reconstructs_and_follows_sign_convention():
    a = spd(2, 5, 5)
    w, v = LA.eigh(t64(a))
    w, v = w.numpy(), v.numpy()
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_allclose((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), a, rtol=1e-11)
    assert largest_components_positive(v)
    assert np.all(np.diff(w, axis=-1) > 0)


def test_eigenvalue_derivative_is_rayleigh_quotient():
    a, e = symmetric_with([1.0, 2.0, 4.0]), RNG.standard_normal((3, 3))
    e = e + e.T
    w, v = np.linalg.eigh(a)
    _, dw = cr.jvp(LA.eigvalsh, (t64(a),), (t64(e),))
    np.testing.assert_allclose(dw.numpy(), np.einsum("ji,jk,ki->i", v, e, v), rtol=1e-12)


def test_eigvalsh_gradient_is_finite_and_exact_at_repeated_eigenvalue():
    a = symmetric_with([1.0, 1.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                          # no warning: nothing is ill defined here
        g_sum_squares = cr.grad(lambda m: (LA.eigvalsh(m) ** 2).sum())(t64(a)).numpy()
        g_pair = cr.grad(lambda m: LA.eigvalsh(m)[:2].sum())(t64(a)).numpy()
        g_via_eigh = cr.grad(lambda m: (LA.eigh(m).eigenvalues ** 2).sum())(t64(a)).numpy()
    np.testing.assert_allclose(g_sum_squares, 2 * a, atol=1e-12)          # Σλ² = ‖A‖_F²
    np.testing.assert_allclose(g_via_eigh, 2 * a, atol=1e-12)
    # the repeated pair's sum has the projector onto its eigenspace as gradient
    w, v = np.linalg.eigh(a)
    np.testing.assert_allclose(g_pair, v[:, :2] @ v[:, :2].T, atol=1e-12)


def test_eigenvector_gradient_at_repeated_eigenvalue_warns():
    a = symmetric_with([1.0, 1.0, 3.0])
    with pytest.warns(LA.DegenerateSpectrumWarning, match="repeated eigenvalues"):
        g = cr.grad(lambda m: (LA.eigh(m).eigenvectors ** 3).sum())(t64(a))
    assert np.all(np.isfinite(g.numpy()))
    with pytest.warns(LA.DegenerateSpectrumWarning):
        cr.jvp(lambda m: LA.eigh(m).eigenvectors, (t64(a),), (t64(np.eye(3)),))


def test_eigenvector_gradient_of_basis_invariant_loss_is_correct_at_repeated_eigenvalue():
    # the projector onto the repeated eigenspace depends on the space, not on the basis
    a = symmetric_with([1.0, 1.0, 3.0])
    e = RNG.standard_normal((3, 3))
    e = e + e.T

    def projector(m):
        v = LA.eigh(m).eigenvectors[:, 2:]
        return v @ v.mT
    with pytest.warns(LA.DegenerateSpectrumWarning):
        _, dp = cr.jvp(projector, (t64(a),), (t64(e),))
    w, v = np.linalg.eigh(a)
    eps = 1e-6
    numerical = (projector(t64(a + eps * e)).numpy() - projector(t64(a - eps * e)).numpy()) / (2 * eps)
    np.testing.assert_allclose(dp.numpy(), numerical, atol=1e-6)


def test_eigh_eigenvector_derivative_formula():
    a, e = symmetric_with([1.0, 2.0, 4.0]), RNG.standard_normal((3, 3))
    e = e + e.T
    w, v = np.linalg.eigh(a)
    _, (dw, dv) = cr.jvp(lambda m: tuple(LA.eigh(m)), (t64(a),), (t64(e),))
    f = 1 / (w[None, :] - w[:, None] + np.eye(3)) - np.eye(3)
    v = v * np.sign(v[np.argmax(np.abs(v), axis=0), range(3)])
    np.testing.assert_allclose(dv.numpy(), v @ (f * (v.T @ e @ v)), atol=1e-12)


def test_eigh_second_order_and_hessian():
    a = symmetric_with([-1.0, 0.5, 2.0])
    check_grads(lambda m: LA.eigh(m).eigenvectors[:, 0], [a], order=2)
    h = cr.hessian(lambda m: LA.eigvalsh(m)[-1])(t64(a))
    assert h.shape == (3, 3, 3, 3) and np.all(np.isfinite(h.numpy()))


def test_eigh_of_non_square_is_shape_error():
    with pytest.raises(cr.ShapeError, match=r"eigh: A must be square, got \(2×3\)"):
        LA.eigh(t64(np.ones((2, 3))))


# ----------------------------------------------------------------------------- SVD
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3)])
def test_svd_reconstructs_and_follows_sign_convention(shape):
    a = RNG.standard_normal(shape)
    u, s, vh = (x.numpy() for x in LA.svd(t64(a), full_matrices=False))
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=1e-12)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    assert largest_components_positive(u)
    np.testing.assert_allclose(LA.svdvals(t64(a)).numpy(), s, rtol=1e-12)
    np.testing.assert_allclose(LA.svd(t64(a), compute_uv=False).numpy(), s, rtol=1e-12)


def test_full_svd_reconstructs():
    a = RNG.standard_normal((5, 3))
    u, s, vh = LA.svd(t64(a))
    assert u.shape == (5, 5) and vh.shape == (3, 3)
    np.testing.assert_allclose(u.numpy()[:, :3] * s.numpy() @ vh.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(u.numpy().T @ u.numpy(), np.eye(5), atol=1e-12)


def test_svd_derivatives_of_tall_and_wide():
    for shape in [(5, 3), (3, 5)]:
        a = RNG.standard_normal(shape)
        check_grads(lambda m: LA.svd(m, full_matrices=False).U, [a], order=1)
        check_grads(lambda m: LA.svd(m, full_matrices=False).Vh, [a], order=1)


def test_nuclear_norm_gradient_is_finite_at_repeated_singular_values():
    a = orthogonal(3) @ np.diag([2.0, 2.0, 1.0]) @ orthogonal(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = cr.grad(lambda m: LA.svdvals(m).sum())(t64(a)).numpy()
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(g, u @ vh, atol=1e-12)                     # ∂‖A‖_* = UVᵀ


def test_singular_vector_gradient_at_repeated_singular_values_warns():
    a = orthogonal(3) @ np.diag([2.0, 2.0, 1.0]) @ orthogonal(3)
    with pytest.warns(LA.DegenerateSpectrumWarning, match="singular values"):
        cr.grad(lambda m: (LA.svd(m).U ** 3).sum())(t64(a))


def test_full_matrices_svd_derivative_of_vectors_is_refused_for_rectangular():
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        cr.grad(lambda m: LA.svd(m).U.sum())(t64(RNG.standard_normal((4, 2))))
    g = cr.grad(lambda m: LA.svd(m).S.sum())(t64(RNG.standard_normal((4, 2))))      # values alone are fine
    assert np.all(np.isfinite(g.numpy()))


# ----------------------------------------------------------------------------- eig
def test_eig_values_and_vectors():
    a = RNG.standard_normal((2, 4, 4))
    w, v = LA.eig(t64(a))
    w, v = w.numpy(), v.numpy()
    assert np.iscomplexobj(w) and np.iscomplexobj(v)
    np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-12)
    np.testing.assert_allclose(np.sort_complex(LA.eigvals(t64(a)).numpy().ravel()),
                               np.sort_complex(np.linalg.eigvals(a).ravel()), atol=1e-12)
    idx = np.argmax(np.abs(v), axis=-2)
    pivot = np.take_along_axis(v, idx[..., None, :], axis=-2)
    np.testing.assert_allclose(pivot.imag, 0, atol=1e-15)
    assert np.all(pivot.real > 0)


@pytest.mark.parametrize("fn", [LA.eig, LA.eigvals])
def test_differentiating_eig_raises(fn):
    a = RNG.standard_normal((3, 3))
    with pytest.raises(cr.GraphError, match="values only"):
        cr.grad(lambda m: cr.abs(fn(m) if fn is LA.eigvals else fn(m)[0]).sum())(t64(a))
    with pytest.raises(cr.GraphError, match="eigh"):
        fn(t64(a, requires_grad=True))
    fn(t64(a, requires_grad=True).detach())                          # values of a detached input are fine
    cr.vmap(fn)(t64(RNG.standard_normal((2, 3, 3))))                 # and batching is not differentiation
