"""Determinants, inverses and products (cr.linalg basic): values, identities, errors.

The registry tests (tests/ops/test_specs.py, test_batching.py) check every spec of
``chainrule/specs/linalg.py`` against central differences to order 2 and under vmap;
here are the identities of the mathematics and the behaviour at the edges.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import check_grads

LA = cr.linalg
RNG = np.random.default_rng(7)


def well_conditioned(*shape):
    n = shape[-1]
    return RNG.standard_normal(shape) / np.sqrt(n) + 2.0 * np.eye(n)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize("shape", [(4, 4), (3, 2, 5, 5), (1, 1)])
def test_values_match_numpy(shape):
    a = well_conditioned(*shape)
    np.testing.assert_allclose(LA.det(t64(a)).numpy(), np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(LA.inv(t64(a)).numpy(), np.linalg.inv(a), rtol=1e-12, atol=1e-14)
    sign, logabsdet = LA.slogdet(t64(a))
    want = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.numpy(), want.sign)
    np.testing.assert_allclose(logabsdet.numpy(), want.logabsdet, rtol=1e-12)


def test_slogdet_result_has_numpy_fields():
    result = LA.slogdet(t64(well_conditioned(3, 3)))
    sign, logabsdet = result
    assert result.sign is sign and result.logabsdet is logabsdet


def test_slogdet_of_singular_matrix_is_minus_infinity():
    sign, logabsdet = LA.slogdet(t64(np.ones((3, 3))))
    assert sign.item() == 0 and logabsdet.item() == -np.inf


def test_float32_stays_float32():
    a = cr.tensor(well_conditioned(3, 3).astype(np.float32))
    assert LA.inv(a).dtype == np.float32 and LA.det(a).dtype == np.float32


# ----------------------------------------------------------------------------- identities
def test_a_times_inverse_is_identity():
    a = well_conditioned(2, 5, 5)
    product = (t64(a) @ LA.inv(t64(a))).numpy()
    np.testing.assert_allclose(product, np.broadcast_to(np.eye(5), (2, 5, 5)), atol=1e-12)


def test_determinant_is_multiplicative():
    a, b = well_conditioned(4, 4), well_conditioned(4, 4)
    lhs = LA.det(t64(a) @ t64(b)).item()
    assert lhs == pytest.approx(LA.det(t64(a)).item() * LA.det(t64(b)).item(), rel=1e-12)


def test_gradient_of_log_det_is_inverse_transpose():
    a = well_conditioned(4, 4)
    g = cr.grad(lambda x: LA.slogdet(x).logabsdet)(t64(a))
    np.testing.assert_allclose(g.numpy(), np.linalg.inv(a).T, rtol=1e-12)


def test_gradient_of_det_is_jacobi_formula():
    a = well_conditioned(4, 4)
    g = cr.grad(LA.det)(t64(a))
    np.testing.assert_allclose(g.numpy(), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-12)


def test_hessian_of_log_det_applied_to_a_direction():
    r"""d²/dA² log|det A| [E] = -(A⁻¹ E A⁻¹)ᵀ.  With column-stacking vec, the Hessian is the
    Kronecker product -(A⁻¹ ⊗ A⁻ᵀ), acting on vec(Eᵀ) (the gradient A⁻ᵀ is laid out like A)."""
    a, e = well_conditioned(4, 4), RNG.standard_normal((4, 4))
    a_inv = np.linalg.inv(a)
    gradient = cr.grad(lambda x: LA.slogdet(x).logabsdet)
    hv = cr.jvp(gradient, (t64(a),), (t64(e),))[1].numpy()           # forward over reverse
    np.testing.assert_allclose(hv, -(a_inv @ e @ a_inv).T, rtol=1e-10)

    def vec(m):
        return m.T.ravel()                                            # column stacking
    np.testing.assert_allclose(vec(hv), -np.kron(a_inv, a_inv.T) @ vec(e.T), rtol=1e-10)
    hv_reverse = cr.hvp(lambda x: LA.slogdet(x).logabsdet, (t64(a),), (t64(e),)).numpy()
    np.testing.assert_allclose(hv_reverse, hv, rtol=1e-10)
    full = cr.hessian(lambda x: LA.slogdet(x).logabsdet)(t64(a)).numpy().reshape(16, 16)
    np.testing.assert_allclose(full @ e.ravel(), hv.ravel(), rtol=1e-10)


def test_gradient_of_inverse_matches_differential():
    a, e = well_conditioned(3, 3), RNG.standard_normal((3, 3))
    _, dx = cr.jvp(LA.inv, (t64(a),), (t64(e),))
    a_inv = np.linalg.inv(a)
    np.testing.assert_allclose(dx.numpy(), -a_inv @ e @ a_inv, rtol=1e-12)


def test_second_order_checks_in_both_modes():
    a = well_conditioned(3, 3)
    check_grads(lambda x: LA.det(x) * LA.slogdet(x).logabsdet, [a], order=2)
    check_grads(lambda x: LA.inv(x).sum(axis=0), [a], order=2)


def test_jacobians_and_vmap_through_inverse():
    a = well_conditioned(3, 3)
    forward = cr.jacfwd(LA.inv)(t64(a)).numpy()
    reverse = cr.jacrev(LA.inv)(t64(a)).numpy()
    a_inv = np.linalg.inv(a)
    want = -np.einsum("ik,lj->ijkl", a_inv, a_inv)
    np.testing.assert_allclose(forward, want, rtol=1e-10)
    np.testing.assert_allclose(reverse, want, rtol=1e-10)
    stack = well_conditioned(4, 3, 3)
    np.testing.assert_allclose(cr.vmap(LA.det)(t64(stack)).numpy(), np.linalg.det(stack), rtol=1e-12)


# ----------------------------------------------------------------------------- products
@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power_matches_numpy(n):
    a = well_conditioned(3, 3) / 2
    np.testing.assert_allclose(LA.matrix_power(t64(a), n).numpy(), np.linalg.matrix_power(a, n), rtol=1e-11)


def test_matrix_power_derivative_is_sum_of_products():
    a, e = well_conditioned(3, 3) / 2, RNG.standard_normal((3, 3))
    _, d = cr.jvp(lambda x: LA.matrix_power(x, 3), (t64(a),), (t64(e),))
    np.testing.assert_allclose(d.numpy(), e @ a @ a + a @ e @ a + a @ a @ e, rtol=1e-12)


def test_matrix_power_rejects_non_integer_exponent():
    with pytest.raises(TypeError, match="integer"):
        LA.matrix_power(t64(np.eye(2)), 1.5)


def test_trace_cross_vecdot_multi_dot_match_numpy():
    a = RNG.standard_normal((2, 3, 3))
    np.testing.assert_allclose(LA.trace(t64(a)).numpy(), np.linalg.trace(a))
    np.testing.assert_allclose(LA.trace(t64(a), offset=1).numpy(), np.linalg.trace(a, offset=1))
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    np.testing.assert_allclose(LA.cross(t64(x), t64(y)).numpy(), np.linalg.cross(x, y))
    np.testing.assert_allclose(LA.cross(t64(x.T), t64(y.T), axis=0).numpy(), np.cross(x.T, y.T, axis=0))
    np.testing.assert_allclose(LA.vecdot(t64(x), t64(y)).numpy(), np.linalg.vecdot(x, y))
    chain = [RNG.standard_normal(s) for s in [(5,), (5, 2), (2, 30), (30, 4)]]
    np.testing.assert_allclose(LA.multi_dot([t64(c) for c in chain]).numpy(), np.linalg.multi_dot(chain), rtol=1e-12)


def test_cross_product_gradient():
    x, y, g = (RNG.standard_normal(3) for _ in range(3))
    gx, gy = cr.grad(lambda a, b: (LA.cross(a, b) * t64(g)).sum(), argnums=(0, 1))(t64(x), t64(y))
    np.testing.assert_allclose(gx.numpy(), np.cross(y, g))
    np.testing.assert_allclose(gy.numpy(), np.cross(g, x))


def test_multi_dot_chooses_the_cheap_order():
    from chainrule.linalg.basic import _chain_order
    # (10×100)(100×5)(5×50): (AB)C costs 5000 + 2500, A(BC) 25000 + 50000
    assert _chain_order([10, 100, 5, 50])[0][2] == 1


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", [LA.det, LA.slogdet, LA.inv])
def test_non_square_input_is_a_shape_error(fn):
    with pytest.raises(cr.ShapeError, match=r"must be square, got \(3×4\)"):
        fn(t64(np.ones((3, 4))))


def test_vector_input_is_a_shape_error():
    with pytest.raises(cr.ShapeError, match="must be a matrix"):
        LA.det(t64(np.ones(3)))


def test_singular_inverse_names_the_condition_number():
    with pytest.raises(cr.LinAlgError, match=r"inv: A is singular: its condition number is"):
        LA.inv(t64(np.ones((3, 3))))


def test_numerically_singular_inverse_is_refused():
    a = np.array([[1.0, 2.0], [2.0, 4.0 + 1e-15]])
    with pytest.raises(cr.LinAlgError, match="no inverse to working precision"):
        LA.inv(t64(a))


def test_singular_member_of_a_stack_is_located():
    stack = np.stack([np.eye(2), np.ones((2, 2)), np.eye(2)])
    with pytest.raises(cr.LinAlgError, match=r"matrix \(1,\) of the stack"):
        LA.inv(t64(stack))


def test_linalg_error_is_numpys():
    assert issubclass(cr.LinAlgError, np.linalg.LinAlgError)


@pytest.mark.parametrize("fn", [LA.det, LA.slogdet, LA.inv])
def test_nan_input_is_refused(fn):
    a = np.eye(3)
    a[1, 2] = np.nan
    with pytest.raises(cr.LinAlgError, match=r"contains NaN \(first at index \(1, 2\)"):
        fn(t64(a))


def test_integer_input_is_a_dtype_error():
    with pytest.raises(cr.DTypeError, match="floating-point"):
        LA.inv(cr.tensor(np.eye(3, dtype=np.int64)))


def test_gradient_of_det_at_singular_matrix_raises_instead_of_nan():
    with pytest.raises(cr.LinAlgError, match="singular"):
        cr.grad(LA.det)(t64(np.ones((2, 2))))


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0)])
def test_empty_matrices_follow_numpy(shape):
    e = np.zeros(shape)
    np.testing.assert_array_equal(LA.det(t64(e)).numpy(), np.linalg.det(e))
    np.testing.assert_array_equal(LA.slogdet(t64(e)).logabsdet.numpy(), np.linalg.slogdet(e).logabsdet)
    assert LA.inv(t64(e)).shape == shape and LA.cholesky(t64(e)).shape == shape
    assert LA.eigh(t64(e)).eigenvectors.shape == shape and LA.svd(t64(e)).S.shape == shape[:-1]
    assert LA.solve(t64(e), t64(np.zeros(0))).shape == shape[:-1]
