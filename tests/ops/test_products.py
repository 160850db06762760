"""Products: matmul, einsum, dot, inner, outer, vdot, tensordot.

Values are compared with NumPy, gradients with closed forms (d/dA tr(AB) = Bᵀ, ...)
and with PyTorch in float64; errors are checked by their messages.  The registry
tests (tests/ops/test_specs.py, test_batching.py) check every spec of
``chainrule/specs/products.py`` against central differences and under vmap.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import products as P
from chainrule.specs.products import EINSUM_CASES
from chainrule.testing import check_grads

RNG = np.random.default_rng(20240611)


def randn(*shape):
    return RNG.standard_normal(shape)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def grads_of(f, *arrays):
    """The gradients of the scalar f at float64 copies of ``arrays``, as NumPy arrays."""
    xs = [t64(a, requires_grad=True) for a in arrays]
    f(*xs).backward()
    return [x.grad.numpy() for x in xs]


EINSUM_IDS = [case or subscripts for subscripts, _, case, _ in EINSUM_CASES]


# ----------------------------------------------------------------------------- values against NumPy
@pytest.mark.parametrize("subscripts, shapes, case, optimize", EINSUM_CASES, ids=EINSUM_IDS)
def test_einsum_values_match_numpy(subscripts, shapes, case, optimize):
    for shape_set in shapes:
        xs = [randn(*s) for s in shape_set]
        got = cr.einsum(subscripts, *[t64(x) for x in xs], optimize=optimize)
        want = np.einsum(subscripts, *xs)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("optimize", [False, True, "greedy", "optimal"])
def test_einsum_every_contraction_order_gives_the_same_values(optimize):
    xs = [randn(20, 30), randn(30, 40), randn(40, 10), randn(10, 5)]
    got = cr.einsum("ij,jk,kl,lm->im", *[t64(x) for x in xs], optimize=optimize)
    np.testing.assert_allclose(got.numpy(), xs[0] @ xs[1] @ xs[2] @ xs[3], rtol=1e-10)


def test_einsum_keeps_float32_and_promotes_mixed_dtypes():
    a32, b32 = cr.tensor(randn(3, 4).astype(np.float32)), cr.tensor(randn(4, 2).astype(np.float32))
    assert cr.einsum("ij,jk->ik", a32, b32).dtype == np.float32
    assert cr.einsum("ij,jk->ik", a32, t64(randn(4, 2))).dtype == np.float64


def test_einsum_accepts_numpy_operands_and_spaces():
    a, b = randn(2, 3), randn(3, 4)
    np.testing.assert_allclose(cr.einsum(" ij , jk -> ik ", a, t64(b)).numpy(), a @ b, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3,), (3, 4)), ((3, 4), (4,)), ((2, 3), (3, 4)),
                                    ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4))])
def test_matmul_values_match_numpy(shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    got = cr.matmul(t64(a), t64(b))
    np.testing.assert_allclose(got.numpy(), np.matmul(a, b), rtol=1e-12)
    np.testing.assert_allclose((t64(a) @ t64(b)).numpy(), a @ b, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((), ()), ((), (2, 3)), ((4,), (4,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                    ((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 3, 4), (5, 4, 2))])
def test_dot_values_match_numpy(shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    got = cr.dot(t64(a), t64(b))
    want = np.dot(a, b)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 3), (4, 3)), ((2, 5, 3), (3,)), ((), (2, 3)),
                                    ((2, 3), (4, 2, 3))])
def test_inner_values_match_numpy(shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    got = cr.inner(t64(a), t64(b))
    assert got.shape == np.shape(np.inner(a, b))
    np.testing.assert_allclose(got.numpy(), np.inner(a, b), rtol=1e-12)


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (2, 2)), ((), (3,)), ((2, 1, 2), ())])
def test_outer_flattens_like_numpy(shapes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    np.testing.assert_allclose(cr.outer(t64(a), t64(b)).numpy(), np.outer(a, b), rtol=1e-12)


def test_vdot_flattens_like_numpy():
    a, b = randn(2, 3), randn(3, 2)
    np.testing.assert_allclose(cr.vdot(t64(a), t64(b)).numpy(), np.vdot(a, b), rtol=1e-12)


@pytest.mark.parametrize("shapes, axes", [(((2, 3, 4), (3, 4, 5)), 2), (((2, 3), (3, 4)), 1), (((2, 3), (4,)), 0),
                                          (((2, 3, 4), (4, 5, 2)), ([0, 2], [2, 0])), (((2, 3), (4, 3)), (1, -1)),
                                          (((3, 4), (3, 4)), 2), (((0, 3), (3, 2)), 1)])
def test_tensordot_values_match_numpy(shapes, axes):
    a, b = randn(*shapes[0]), randn(*shapes[1])
    got = cr.tensordot(t64(a), t64(b), axes=axes)
    want = np.tensordot(a, b, axes=axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_tensor_methods():
    x, y, m = randn(3), randn(3), randn(3, 3)
    tx, ty, tm = t64(x), t64(y), t64(m)
    np.testing.assert_allclose(tx.dot(ty).numpy(), x @ y, rtol=1e-12)
    np.testing.assert_allclose(tm.dot(tx).numpy(), m @ x, rtol=1e-12)
    np.testing.assert_allclose(tx.outer(ty).numpy(), np.outer(x, y), rtol=1e-12)
    np.testing.assert_allclose(tm.inner(tm).numpy(), np.inner(m, m), rtol=1e-12)
    np.testing.assert_allclose(tm.vdot(tm).numpy(), np.vdot(m, m), rtol=1e-12)
    np.testing.assert_allclose(tm.matmul(tm).numpy(), m @ m, rtol=1e-12)


# ----------------------------------------------------------------------------- gradients: closed forms
def test_gradient_of_trace_of_a_product_is_the_transpose():
    a, b = randn(3, 4), randn(4, 3)
    ga, gb = grads_of(lambda A, B: cr.einsum("ij,ji->", A, B), a, b)
    np.testing.assert_allclose(ga, b.T, rtol=1e-12)
    np.testing.assert_allclose(gb, a.T, rtol=1e-12)
    ga, gb = grads_of(lambda A, B: cr.einsum("ii->", A @ B), a, b)        # tr via a diagonal
    np.testing.assert_allclose(ga, b.T, rtol=1e-12)
    np.testing.assert_allclose(gb, a.T, rtol=1e-12)


def test_gradient_of_trace_is_the_identity_and_of_a_diagonal_is_diagonal():
    a = randn(4, 4)
    (g,) = grads_of(lambda A: cr.einsum("ii", A), a)
    np.testing.assert_array_equal(g, np.eye(4))
    w = randn(4)
    (g,) = grads_of(lambda A: cr.sum(cr.einsum("ii->i", A) * t64(w)), a)
    np.testing.assert_array_equal(g, np.diag(w))
    c = randn(3, 3, 3)
    w = randn(3)
    (g,) = grads_of(lambda C: cr.sum(cr.einsum("iii->i", C) * t64(w)), c)
    want = np.zeros((3, 3, 3))
    want[np.arange(3), np.arange(3), np.arange(3)] = w
    np.testing.assert_array_equal(g, want)


def test_gradient_of_a_quadratic_form_and_its_hessian():
    x, a = randn(4), randn(4, 4)
    f = lambda v: cr.einsum("i,ij,j->", v, t64(a), v)
    np.testing.assert_allclose(cr.grad(f)(t64(x)).numpy(), (a + a.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(cr.hessian(f)(t64(x)).numpy(), a + a.T, rtol=1e-12)


def test_gradient_along_an_index_only_one_operand_has_is_broadcast():
    # y_i = sum_jk A_ij v_k: dy/dv_k = sum_ij g_i A_ij, the same for every k
    a, v, w = randn(2, 3), randn(4), randn(2)
    ga, gv = grads_of(lambda A, V: cr.sum(cr.einsum("ij,k->i", A, V) * t64(w)), a, v)
    np.testing.assert_allclose(gv, np.full(4, w @ a.sum(1)), rtol=1e-12)
    np.testing.assert_allclose(ga, np.outer(w, np.ones(3)) * v.sum(), rtol=1e-12)


def test_gradient_of_a_diagonal_with_a_contraction():
    # y_i = sum_j X_iij v_j: dX_abj = δ_ab g_a v_j
    x, v, w = randn(3, 3, 2), randn(2), randn(3)
    gx, gv = grads_of(lambda X, V: cr.sum(cr.einsum("iij,j->i", X, V) * t64(w)), x, v)
    want = np.zeros((3, 3, 2))
    want[np.arange(3), np.arange(3)] = np.outer(w, v)
    np.testing.assert_allclose(gx, want, rtol=1e-12)
    np.testing.assert_allclose(gv, np.einsum("iij,i->j", x, w), rtol=1e-12)


def test_gradient_with_broadcast_ellipsis_has_the_operand_shape():
    a, b = randn(2, 1, 3, 4), randn(5, 4, 2)
    w = randn(2, 5, 3, 2)
    ga, gb = grads_of(lambda A, B: cr.sum(cr.einsum("...ij,...jk->...ik", A, B) * t64(w)), a, b)
    assert ga.shape == a.shape and gb.shape == b.shape
    np.testing.assert_allclose(ga, (w @ np.swapaxes(b, -1, -2)).sum(1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(gb, (np.swapaxes(a, -1, -2) @ w).sum(0), rtol=1e-12)


def test_matmul_gradients_are_products_with_transposes():
    x, y, g = randn(3, 4), randn(4, 5), randn(3, 5)
    gx, gy = grads_of(lambda X, Y: cr.sum((X @ Y) * t64(g)), x, y)
    np.testing.assert_allclose(gx, g @ y.T, rtol=1e-12)
    np.testing.assert_allclose(gy, x.T @ g, rtol=1e-12)


def test_outer_and_tensordot_gradients():
    a, b, w = randn(3), randn(4), randn(3, 4)
    ga, gb = grads_of(lambda A, B: cr.sum(cr.outer(A, B) * t64(w)), a, b)
    np.testing.assert_allclose(ga, w @ b, rtol=1e-12)
    np.testing.assert_allclose(gb, w.T @ a, rtol=1e-12)
    a, b, w = randn(2, 3, 4), randn(3, 4, 5), randn(2, 5)
    ga, gb = grads_of(lambda A, B: cr.sum(cr.tensordot(A, B) * t64(w)), a, b)
    np.testing.assert_allclose(ga, np.einsum("im,jkm->ijk", w, b), rtol=1e-12)
    np.testing.assert_allclose(gb, np.einsum("im,ijk->jkm", w, a), rtol=1e-12)


def test_inner_and_dot_of_vectors_have_gradients_of_the_other_vector():
    a, b = randn(5), randn(5)
    for op in (cr.dot, cr.inner, cr.vdot):
        ga, gb = grads_of(op, a, b)
        np.testing.assert_allclose(ga, b, rtol=1e-12)
        np.testing.assert_allclose(gb, a, rtol=1e-12)


def test_einsum_derivatives_in_every_mode_to_second_order():
    # forward and reverse, second order: the rules are einsums themselves
    xs = [randn(3, 3, 2), randn(2, 4), randn(4)]
    check_grads(lambda a, b, c: cr.einsum("iij,jk,k->i", a, b, c), xs, order=2)


def test_jvp_of_einsum_is_the_sum_over_operands_of_tangent_substitutions():
    a, b, da, db = randn(2, 3), randn(3, 4), randn(2, 3), randn(3, 4)
    _, tangent = cr.jvp(lambda x, y: cr.einsum("ij,jk->ik", x, y), (t64(a), t64(b)), (t64(da), t64(db)))
    np.testing.assert_allclose(tangent.numpy(), da @ b + a @ db, rtol=1e-12)


def test_einsum_under_vmap_with_an_unbatched_operand():
    a, b = randn(5, 2, 3), randn(3, 4)
    got = cr.vmap(lambda x, y: cr.einsum("ij,jk->ik", x, y), in_axes=(0, None))(t64(a), t64(b))
    np.testing.assert_allclose(got.numpy(), a @ b, rtol=1e-12)
    c = randn(5, 3, 3)
    got = cr.vmap(lambda x: cr.einsum("ii->", x))(t64(c))
    np.testing.assert_allclose(got.numpy(), np.trace(c, axis1=1, axis2=2), rtol=1e-12)


def test_jacobian_of_einsum_matches_its_multilinear_form():
    a, b = randn(2, 3), randn(3, 2)
    jac = cr.jacobian(lambda x: cr.einsum("ij,jk->ik", x, t64(b)))(t64(a)).numpy()
    np.testing.assert_allclose(jac, np.einsum("ac,jk->akcj", np.eye(2), b), rtol=1e-12)


# ----------------------------------------------------------------------------- errors
def test_matmul_errors_state_the_shapes():
    with pytest.raises(cr.ShapeError, match=r"matmul: \(2×3\)·\(4×5\) is undefined, inner dimensions 3 ≠ 4"):
        cr.matmul(t64(randn(2, 3)), t64(randn(4, 5)))
    with pytest.raises(cr.ShapeError, match=r"matmul: both operands need at least one dimension"):
        cr.matmul(t64(2.0), t64(randn(3)))
    with pytest.raises(cr.ShapeError, match=r"dot: \(2×3\)·\(4\) is undefined, inner dimensions 3 ≠ 4"):
        cr.dot(t64(randn(2, 3)), t64(randn(4)))


@pytest.mark.parametrize("subscripts, shapes, message", [
    ("ij,jk->ik", [(2, 3), (4, 5)], r"einsum: index 'j' is 3 in operand 0 but 4 in operand 1"),
    ("ij,jk->ik", [(2, 3)], r"einsum: subscripts 'ij,jk->ik' name 2 operand\(s\) but 1 were given"),
    ("ij->ik", [(2, 3)], r"einsum: output index 'k' appears in no input"),
    ("ij->ii", [(2, 3)], r"einsum: index 'i' appears 2 times in the output"),
    ("ijk->i", [(2, 3)], r"einsum: operand 0 has 2 dimension\(s\) \(2×3\) but its subscripts 'ijk' name 3"),
    ("ii->i", [(2, 3)], r"einsum: index 'i' repeats in operand 0 \(2×3\) over lengths 2 and 3"),
    ("...ij->ij", [(4, 2, 3)], r"einsum: the operands have dimensions under '...' but the output 'ij'"),
    ("...i,...i->...", [(2, 3), (4, 3)], r"einsum: the dimensions under '...' of operand 0 \(2×3\) and operand 1 "
                                         r"\(4×3\) cannot be broadcast together"),
])
def test_einsum_shape_errors(subscripts, shapes, message):
    with pytest.raises(cr.ShapeError, match=message):
        cr.einsum(subscripts, *[t64(randn(*s)) for s in shapes])


@pytest.mark.parametrize("subscripts, message", [
    ("i1->i", r"einsum: invalid character '1' in subscripts 'i1->i'"),
    ("i.->i", r"einsum: a '.' outside '...'"),
    ("i->i->i", r"einsum: '->' appears more than once"),
    ("......->", r"einsum: '...' appears twice in the term"),
    ("i-i", r"einsum: invalid character '-'"),
])
def test_einsum_syntax_errors(subscripts, message):
    with pytest.raises(ValueError, match=message):
        cr.einsum(subscripts, t64(randn(3)))


def test_einsum_argument_errors():
    with pytest.raises(TypeError, match="einsum: subscripts must be a string"):
        cr.einsum(t64(randn(3)), [0])
    with pytest.raises(ValueError, match="einsum: needs at least one operand"):
        cr.einsum("i->i")
    with pytest.raises(ValueError, match="einsum: optimize must be"):
        cr.einsum("i->i", t64(randn(3)), optimize="fastest")


def test_errors_of_the_composites():
    with pytest.raises(cr.ShapeError, match=r"tensordot: axis 1 of a \(2×3\) has length 3 but axis 0 of b \(4\)"):
        cr.tensordot(t64(randn(2, 3)), t64(randn(4)), axes=1)
    with pytest.raises(cr.ShapeError, match=r"tensordot: axes=3 needs"):
        cr.tensordot(t64(randn(2, 3)), t64(randn(3, 4)), axes=3)
    with pytest.raises(cr.ShapeError, match=r"tensordot: 2 axes of a"):
        cr.tensordot(t64(randn(2, 3)), t64(randn(3, 2)), axes=([0, 1], [0]))
    with pytest.raises(ValueError, match=r"tensordot: axes must be an int or a pair"):
        cr.tensordot(t64(randn(2, 3)), t64(randn(3, 2)), axes=(0, 1, 2))
    with pytest.raises(cr.ShapeError, match=r"inner: \(2×3\) and \(4\) have last dimensions 3 ≠ 4"):
        cr.inner(t64(randn(2, 3)), t64(randn(4)))
    with pytest.raises(cr.ShapeError, match=r"vdot: \(2×3\) and \(5\) hold 6 and 5 elements"):
        cr.vdot(t64(randn(2, 3)), t64(randn(5)))


# ----------------------------------------------------------------------------- against PyTorch (float64)
def _torch_value_and_grads(torch, fn, arrays, cotangent):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(torch.tensor(cotangent, dtype=torch.float64))
    return out.detach().numpy(), [x.grad.numpy() for x in xs]


def _chainrule_value_and_grads(fn, arrays, cotangent):
    xs = [t64(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(t64(cotangent))
    return out.numpy(), [x.grad.numpy() for x in xs]


def _compare_with_torch(torch, cr_fn, torch_fn, arrays):
    out_shape = np.shape(cr_fn(*[t64(a) for a in arrays]).numpy())
    cotangent = randn(*out_shape)
    want, want_grads = _torch_value_and_grads(torch, torch_fn, arrays, cotangent)
    got, got_grads = _chainrule_value_and_grads(cr_fn, arrays, cotangent)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("subscripts, shapes, case, optimize", EINSUM_CASES, ids=EINSUM_IDS)
def test_einsum_matches_torch(subscripts, shapes, case, optimize):
    torch = pytest.importorskip("torch")
    for shape_set in shapes:
        arrays = [randn(*s) for s in shape_set]
        _compare_with_torch(torch, lambda *xs: cr.einsum(subscripts, *xs, optimize=optimize),
                            lambda *xs: torch.einsum(subscripts, *xs), arrays)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3,), (3, 4)), ((3, 4), (4,)), ((2, 3), (3, 4)),
                                    ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4))])
def test_matmul_matches_torch(shapes):
    torch = pytest.importorskip("torch")
    _compare_with_torch(torch, cr.matmul, torch.matmul, [randn(*s) for s in shapes])


@pytest.mark.parametrize("shapes, axes", [(((2, 3, 4), (3, 4, 5)), 2), (((2, 3), (4,)), 0),
                                          (((2, 3, 4), (4, 5, 2)), ([0, 2], [2, 0])), (((2, 3), (4, 3)), ([1], [1]))])
def test_tensordot_matches_torch(shapes, axes):
    torch = pytest.importorskip("torch")
    _compare_with_torch(torch, lambda a, b: cr.tensordot(a, b, axes=axes),
                        lambda a, b: torch.tensordot(a, b, dims=axes), [randn(*s) for s in shapes])


@pytest.mark.parametrize("name, shapes", [("outer", ((3,), (4,))), ("inner", ((4,), (4,))),
                                          ("inner", ((2, 3), (4, 3))), ("dot", ((5,), (5,))),
                                          ("vdot", ((5,), (5,)))])
def test_vector_products_match_torch(name, shapes):
    torch = pytest.importorskip("torch")
    _compare_with_torch(torch, getattr(cr, name), getattr(torch, name), [randn(*s) for s in shapes])


def test_dot_of_matrices_matches_torch_mm():
    torch = pytest.importorskip("torch")
    _compare_with_torch(torch, cr.dot, torch.mm, [randn(2, 3), randn(3, 4)])


# ----------------------------------------------------------------------------- how it is computed
def test_large_contractions_take_a_planned_blas_path_and_tiny_ones_one_loop():
    assert P._contraction_order("ij,jk->ik", ((2, 3), (3, 4)), "greedy") is False
    assert P._contraction_order("bij,bjk->bik", ((64, 128, 128), (64, 128, 128)), "greedy") == ("einsum_path", (0, 1))
    shapes = ((200, 30), (30, 400), (400, 10))
    path = P._contraction_order("ij,jk,kl->il", shapes, "greedy")
    want = np.einsum_path("ij,jk,kl->il", *[np.empty(s) for s in shapes], optimize="greedy")[0]
    assert list(path) == want
    assert P._contraction_order("ij,jk,kl->il", shapes, False) is False


def test_canonical_subscripts_spell_out_ellipsis_and_squeeze_broadcast_axes():
    canonical, squeezes = P._canonical("...ij,...jk", ((2, 1, 3, 4), (5, 4, 2)))
    # '...' stands for two new letters; operand 0's length-1 axis broadcasts, so it is squeezed
    lhs, out = canonical.split("->")
    a, b = lhs.split(",")
    assert len(a) == 3 and len(b) == 3 and len(out) == 4 and squeezes == ((1,), ())
    assert a[0] == out[0] and b[0] == out[1] and a[1:] == "ij" and b[1:] == "jk" and out[2:] == "ik"
