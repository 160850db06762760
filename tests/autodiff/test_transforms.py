"""Function transforms (issue 2, §4): grad, value_and_grad, vjp, jacobian (rev/fwd/auto),
jacrev, jacfwd, hessian, hvp, vmap — argument kinds, pytrees, argnums, has_aux, shapes.

Expected values are closed-form derivatives evaluated with NumPy.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(0)
X3 = np.array([0.3, -1.1, 0.8])
A34 = RNG.standard_normal((3, 4))


def f_scalar(x):
    return (cr.sin(x) * x).sum()


def df_scalar(x):
    return np.sin(x) + x * np.cos(x)


# ----------------------------------------------------------------------------- grad
class TestGrad:
    def test_value(self):
        g = cr.grad(f_scalar)(cr.tensor(X3))
        assert isinstance(g, cr.Tensor) and g.shape == (3,) and g.dtype == np.float64
        np.testing.assert_allclose(g.numpy(), df_scalar(X3), rtol=1e-12)

    def test_python_float_argument(self):
        g = cr.grad(lambda x: x ** 3)(2.0)
        assert isinstance(g, cr.Tensor) and g.shape == ()
        assert g.item() == pytest.approx(12.0)
        assert g.dtype == cr.get_default_dtype()
        assert cr.grad(lambda x: x * x)(3).item() == pytest.approx(6.0)      # an int is a number too

    def test_numpy_argument_keeps_its_dtype(self):
        g = cr.grad(f_scalar)(X3)
        assert g.dtype == np.float64
        np.testing.assert_allclose(g.numpy(), df_scalar(X3), rtol=1e-12)
        g32 = cr.grad(f_scalar)(X3.astype(np.float32))
        assert g32.dtype == np.float32

    def test_argnums(self):
        def f(x, y, z):
            return (x * y ** 2).sum() + z

        x, y = cr.tensor(X3), cr.tensor(X3 + 2)
        gy = cr.grad(f, argnums=1)(x, y, 1.0)
        np.testing.assert_allclose(gy.numpy(), 2 * X3 * (X3 + 2))
        gx, gz = cr.grad(f, argnums=(0, 2))(x, y, 1.0)
        np.testing.assert_allclose(gx.numpy(), (X3 + 2) ** 2)
        assert gz.item() == pytest.approx(1.0)
        (gx_only,) = cr.grad(f, argnums=(0,))(x, y, 1.0)          # a tuple argnums gives a tuple
        np.testing.assert_allclose(gx_only.numpy(), (X3 + 2) ** 2)
        g_last = cr.grad(f, argnums=-1)(x, y, 1.0)
        assert g_last.item() == pytest.approx(1.0)

    def test_argnums_out_of_range(self):
        with pytest.raises(ValueError, match="argnums"):
            cr.grad(lambda x: x * x, argnums=1)(1.0)

    def test_has_aux(self):
        def f(x):
            loss = (x * x).sum()
            return loss, {"loss": loss, "double": x * 2}

        g, aux = cr.grad(f, has_aux=True)(cr.tensor(X3))
        np.testing.assert_allclose(g.numpy(), 2 * X3)
        assert aux["loss"].item() == pytest.approx((X3 ** 2).sum())
        np.testing.assert_allclose(aux["double"].numpy(), 2 * X3)
        # the aux values are plain values outside the transform
        assert aux["double"]._level is None

    def test_value_and_grad(self):
        v, g = cr.value_and_grad(f_scalar)(cr.tensor(X3))
        assert v.item() == pytest.approx((np.sin(X3) * X3).sum())
        np.testing.assert_allclose(g.numpy(), df_scalar(X3), rtol=1e-12)
        assert v._level is None and g._level is None

    def test_value_and_grad_has_aux_and_argnums(self):
        def f(a, b):
            return (a * b).sum(), a + b

        (v, aux), (ga, gb) = cr.value_and_grad(f, argnums=(0, 1), has_aux=True)(cr.tensor(X3), cr.tensor(2 * X3))
        assert v.item() == pytest.approx(2 * (X3 ** 2).sum())
        np.testing.assert_allclose(aux.numpy(), 3 * X3)
        np.testing.assert_allclose(ga.numpy(), 2 * X3)
        np.testing.assert_allclose(gb.numpy(), X3)

    def test_nested_dict_list_tuple_arguments(self):
        params = {"w": cr.tensor(A34), "b": [cr.tensor(X3), (1.5, np.array([2.0, -1.0]))]}

        def f(p):
            w, (b, (c, d)) = p["w"], p["b"]
            return (b @ w).sum() * c + (d * d).sum()

        g = cr.grad(f)(params)
        assert set(g) == {"w", "b"} and isinstance(g["b"], list) and isinstance(g["b"][1], tuple)
        c = 1.5
        np.testing.assert_allclose(g["w"].numpy(), c * np.outer(X3, np.ones(4)))
        np.testing.assert_allclose(g["b"][0].numpy(), c * A34.sum(1))
        assert g["b"][1][0].item() == pytest.approx((X3 @ A34).sum())
        np.testing.assert_allclose(g["b"][1][1].numpy(), 2 * np.array([2.0, -1.0]))

    def test_unused_argument_gets_zeros(self):
        g = cr.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(cr.tensor(X3), cr.tensor(A34))
        np.testing.assert_array_equal(g[1].numpy(), np.zeros((3, 4)))
        assert g[1].shape == (3, 4)

    def test_gradients_are_writable_and_do_not_alias(self):
        # the adjoint of sum is a broadcast (read-only view); add passes one cotangent to both
        # inputs: the results must still be independent arrays a user can update in place
        g = cr.grad(lambda x: x.sum())(cr.tensor(X3))
        g += 1.0
        np.testing.assert_array_equal(g.numpy(), np.full(3, 2.0))
        ga, gb = cr.grad(lambda a, b: (a + b).sum(), argnums=(0, 1))(cr.tensor(X3), cr.tensor(X3))
        ga *= 5.0
        np.testing.assert_array_equal(gb.numpy(), np.ones(3))

    def test_grad_does_not_touch_dot_grad_and_composes_with_backward(self):
        x = cr.tensor(X3, requires_grad=True)
        g = cr.grad(lambda t: (t ** 3).sum())(x)
        assert x.grad is None
        np.testing.assert_allclose(g.detach().numpy(), 3 * X3 ** 2)
        g.sum().backward()                      # the gradient is itself differentiable
        np.testing.assert_allclose(x.grad.numpy(), 6 * X3)

    def test_grad_inside_no_grad_still_works(self):
        with cr.no_grad():
            g = cr.grad(f_scalar)(cr.tensor(X3))
        np.testing.assert_allclose(g.numpy(), df_scalar(X3), rtol=1e-12)

    def test_detach_and_stop_gradient_inside_grad(self):
        assert cr.grad(lambda t: t * t.detach())(3.0).item() == pytest.approx(3.0)
        assert cr.grad(lambda t: t * cr.stop_gradient(t) ** 2)(3.0).item() == pytest.approx(9.0)
        # stop_gradient of a pytree
        g = cr.grad(lambda t: (t * cr.stop_gradient({"a": t})["a"]).sum())(cr.tensor(X3))
        np.testing.assert_allclose(g.numpy(), X3)


# ----------------------------------------------------------------------------- vjp
class TestVjp:
    def test_pullback_called_several_times(self):
        W = cr.tensor(A34)
        y, pull = cr.vjp(lambda x: cr.tanh(x @ W), cr.tensor(X3))
        np.testing.assert_allclose(y.numpy(), np.tanh(X3 @ A34))
        d = 1 - np.tanh(X3 @ A34) ** 2
        for u in (np.ones(4), np.array([1.0, 0.0, -2.0, 0.5]), np.arange(4.0)):
            (gx,) = pull(cr.tensor(u))
            np.testing.assert_allclose(gx.numpy(), A34 @ (u * d), rtol=1e-12)
        (again,) = pull(cr.tensor(np.ones(4)))
        np.testing.assert_allclose(again.numpy(), A34 @ d, rtol=1e-12)

    def test_several_primals_and_pytree_output(self):
        y, pull = cr.vjp(lambda a, b: {"p": a * b, "s": (a + b).sum()}, cr.tensor(X3), cr.tensor(X3 + 1))
        np.testing.assert_allclose(y["p"].numpy(), X3 * (X3 + 1))
        ga, gb = pull({"p": cr.tensor(np.ones(3)), "s": cr.tensor(2.0, dtype=cr.float64)})
        np.testing.assert_allclose(ga.numpy(), X3 + 1 + 2)
        np.testing.assert_allclose(gb.numpy(), X3 + 2)

    def test_has_aux(self):
        y, pull, aux = cr.vjp(lambda x: (x * 3, x.sum()), cr.tensor(X3), has_aux=True)
        assert aux.item() == pytest.approx(X3.sum())
        np.testing.assert_allclose(pull(cr.tensor(np.ones(3)))[0].numpy(), np.full(3, 3.0))

    def test_cotangent_shape_is_checked(self):
        _, pull = cr.vjp(lambda x: x * 2, cr.tensor(X3))
        with pytest.raises(cr.GraphError, match=r"\(4\).*\(3\)"):
            pull(cr.tensor(np.ones(4)))

    def test_output_independent_of_input(self):
        _, pull = cr.vjp(lambda x: cr.tensor(np.ones(2)), cr.tensor(X3))
        np.testing.assert_array_equal(pull(cr.tensor(np.ones(2)))[0].numpy(), np.zeros(3))


# ----------------------------------------------------------------------------- Jacobians
def f_vec(x):
    """R^n -> R^n with a dense Jacobian: tanh(x) * sum(x)."""
    return cr.tanh(x) * x.sum()


def jac_f_vec(x):
    t = np.tanh(x)
    return np.diag((1 - t ** 2) * x.sum()) + np.outer(t, np.ones_like(x))


class TestJacobian:
    @pytest.mark.parametrize("mode", ["rev", "fwd", "auto"])
    def test_modes_agree_with_closed_form(self, mode):
        J = cr.jacobian(f_vec, mode=mode)(cr.tensor(X3))
        assert J.shape == (3, 3)
        np.testing.assert_allclose(J.numpy(), jac_f_vec(X3), rtol=1e-12)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd])
    def test_shape_is_out_shape_plus_in_shape(self, transform):
        M = RNG.standard_normal((2, 3))
        J = transform(lambda m: cr.sin(m.T) @ cr.tensor(A34[:2]))(cr.tensor(M))   # (3×2)·(2×4) -> (3×4)
        assert J.shape == (3, 4, 2, 3)
        # J[l,k,i,j] = d out[l,k] / d M[i,j] = cos(M[i,j]) A[i,k] δ(j,l)
        expected = np.zeros((3, 4, 2, 3))
        for i in range(2):
            for j in range(3):
                expected[j, :, i, j] = np.cos(M[i, j]) * A34[i]
        np.testing.assert_allclose(J.numpy(), expected, rtol=1e-12, atol=1e-15)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd, cr.jacobian])
    def test_scalar_input_and_output(self, transform):
        J = transform(lambda x: x ** 3)(2.0)
        assert J.shape == ()
        assert J.item() == pytest.approx(12.0)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd])
    def test_scalar_output_jacobian_is_the_gradient(self, transform):
        J = transform(f_scalar)(cr.tensor(X3))
        assert J.shape == (3,)
        np.testing.assert_allclose(J.numpy(), df_scalar(X3), rtol=1e-12)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd])
    def test_scalar_input_vector_output(self, transform):
        J = transform(lambda t: cr.sin(t * cr.tensor(X3)))(cr.tensor(0.7, dtype=cr.float64))
        assert J.shape == (3,)
        np.testing.assert_allclose(J.numpy(), X3 * np.cos(0.7 * X3), rtol=1e-12)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd])
    def test_argnums_tuple(self, transform):
        Ja, Jb = transform(lambda a, b: a * b, argnums=(0, 1))(cr.tensor(X3), cr.tensor(X3 + 1))
        np.testing.assert_allclose(Ja.numpy(), np.diag(X3 + 1))
        np.testing.assert_allclose(Jb.numpy(), np.diag(X3))

    @pytest.mark.parametrize("mode", ["rev", "fwd", "auto"])
    def test_numpy_argument(self, mode):
        J = cr.jacobian(f_vec, mode=mode)(X3)
        np.testing.assert_allclose(J.numpy(), jac_f_vec(X3), rtol=1e-12)

    @pytest.mark.parametrize("mode", ["rev", "fwd"])
    def test_dict_argument(self, mode):
        J = cr.jacobian(lambda p: p["a"] * p["b"], mode=mode)({"a": cr.tensor(X3), "b": cr.tensor(2.0, dtype=cr.float64)})
        assert set(J) == {"a", "b"}
        assert J["a"].shape == (3, 3) and J["b"].shape == (3,)
        np.testing.assert_allclose(J["a"].numpy(), 2 * np.eye(3))
        np.testing.assert_allclose(J["b"].numpy(), X3)

    @pytest.mark.parametrize("transform", [cr.jacrev, cr.jacfwd])
    def test_pytree_output(self, transform):
        J = transform(lambda x: {"sq": x * x, "s": (x * 3).sum()})(cr.tensor(X3))
        assert J["sq"].shape == (3, 3) and J["s"].shape == (3,)
        np.testing.assert_allclose(J["sq"].numpy(), np.diag(2 * X3))
        np.testing.assert_allclose(J["s"].numpy(), np.full(3, 3.0))

    def test_auto_picks_the_cheaper_mode_and_agrees(self):
        wide = lambda x: cr.tensor(np.ones((5, 2))) @ cr.tanh(x)        # R^2 -> R^5: forward is cheaper
        tall = lambda x: cr.tensor(np.ones((2, 5))) @ cr.tanh(x)        # R^5 -> R^2: reverse is cheaper
        for f, n in ((wide, 2), (tall, 5)):
            x = cr.tensor(np.linspace(-1, 1, n))
            np.testing.assert_allclose(cr.jacobian(f)(x).numpy(), cr.jacrev(f)(x).numpy(), rtol=1e-12)
            np.testing.assert_allclose(cr.jacobian(f)(x).numpy(), cr.jacfwd(f)(x).numpy(), rtol=1e-12)


class TestHessian:
    def test_closed_form(self):
        # f = sum(x³) + x0 x1 x2  ->  H = diag(6x) + off-diagonal x_k
        def f(x):
            return (x ** 3).sum() + x[0] * x[1] * x[2]

        H = cr.hessian(f)(cr.tensor(X3))
        x0, x1, x2 = X3
        expected = np.diag(6 * X3) + np.array([[0, x2, x1], [x2, 0, x0], [x1, x0, 0]])
        np.testing.assert_allclose(H.numpy(), expected, rtol=1e-12)

    def test_matrix_argument_shape(self):
        M = RNG.standard_normal((2, 3))
        H = cr.hessian(lambda m: (m ** 4).sum())(cr.tensor(M))
        assert H.shape == (2, 3, 2, 3)
        np.testing.assert_allclose(H.numpy().reshape(6, 6), np.diag(12 * M.ravel() ** 2), rtol=1e-12)

    def test_scalar_argument(self):
        assert cr.hessian(lambda x: cr.exp(2 * x))(0.5).item() == pytest.approx(4 * np.exp(1.0), rel=1e-6)

    def test_argnums_tuple_gives_blocks(self):
        # f(a, b) = sum(a² b): H[i][j] = ∂²f / ∂x_i ∂x_j (JAX's nesting), H[i][j] shaped x_i + x_j
        a, b = cr.tensor(X3), cr.tensor(np.array([2.0, 1.0]))
        H = cr.hessian(lambda a, b: (a * a).sum() * b.sum(), argnums=(0, 1))(a, b)
        assert H[0][0].shape == (3, 3) and H[0][1].shape == (3, 2)
        assert H[1][0].shape == (2, 3) and H[1][1].shape == (2, 2)
        np.testing.assert_allclose(H[0][0].numpy(), 2 * 3.0 * np.eye(3))
        np.testing.assert_allclose(H[0][1].numpy(), np.outer(2 * X3, np.ones(2)))
        np.testing.assert_allclose(H[1][0].numpy(), np.outer(np.ones(2), 2 * X3))
        np.testing.assert_allclose(H[1][1].numpy(), np.zeros((2, 2)))

    def test_dict_argument_gives_nested_blocks_and_hvp(self):
        # f(a, b) = b Σ a²: H[a][a] = 2b I, H[a][b] = H[b][a] = 2a, H[b][b] = 0
        f = lambda p: (p["a"] ** 2 * p["b"]).sum()
        p = {"a": cr.tensor(np.array([1.0, 2.0])), "b": cr.tensor(3.0, dtype=cr.float64)}
        H = cr.hessian(f)(p)
        np.testing.assert_allclose(H["a"]["a"].numpy(), 6 * np.eye(2))
        np.testing.assert_allclose(H["a"]["b"].numpy(), [2.0, 4.0])
        np.testing.assert_allclose(H["b"]["a"].numpy(), [2.0, 4.0])
        assert H["b"]["b"].shape == () and H["b"]["b"].item() == 0.0
        v = {"a": cr.tensor(np.array([1.0, 0.0])), "b": cr.tensor(1.0, dtype=cr.float64)}
        hv = cr.hvp(f, (p,), (v,))
        np.testing.assert_allclose(hv["a"].numpy(), [8.0, 4.0])
        assert hv["b"].item() == pytest.approx(2.0)

    def test_hvp_equals_hessian_times_vector(self):
        def f(x):
            return (cr.tanh(x) ** 2).sum() * (x * x).sum()

        x = cr.tensor(np.linspace(-1, 1, 5))
        v = cr.tensor(RNG.standard_normal(5))
        H = cr.hessian(f)(x).numpy()
        got = cr.hvp(f, (x,), (v,))
        assert got.shape == (5,)
        np.testing.assert_allclose(got.numpy(), H @ v.numpy(), rtol=1e-11, atol=1e-13)

    def test_hvp_several_arguments(self):
        # f(a, b) = sum(a² b): H = [[2 diag(b), 2 diag(a)], [2 diag(a), 0]]
        a, b = cr.tensor(X3), cr.tensor(X3 + 1)
        va, vb = cr.tensor(np.ones(3)), cr.tensor(np.array([1.0, -1.0, 2.0]))
        ha, hb = cr.hvp(lambda a, b: (a * a * b).sum(), (a, b), (va, vb))
        np.testing.assert_allclose(ha.numpy(), 2 * (X3 + 1) * 1.0 + 2 * X3 * vb.numpy())
        np.testing.assert_allclose(hb.numpy(), 2 * X3 * 1.0)


# ----------------------------------------------------------------------------- vmap
class TestVmap:
    def test_agrees_with_a_loop(self):
        xs = RNG.standard_normal((6, 3))
        W = cr.tensor(A34)
        got = cr.vmap(lambda x: cr.tanh(x @ W).sum())(cr.tensor(xs))
        np.testing.assert_allclose(got.numpy(), np.tanh(xs @ A34).sum(1), rtol=1e-12)

    def test_in_axes_and_out_axes(self):
        xs = RNG.standard_normal((3, 5))                  # batch along axis 1
        ys = RNG.standard_normal(3)                       # unbatched
        got = cr.vmap(lambda x, y: x * y, in_axes=(1, None), out_axes=1)(cr.tensor(xs), cr.tensor(ys))
        assert got.shape == (3, 5)
        np.testing.assert_allclose(got.numpy(), xs * ys[:, None])
        got0 = cr.vmap(lambda x, y: x * y, in_axes=(1, None))(cr.tensor(xs), cr.tensor(ys))
        assert got0.shape == (5, 3)
        np.testing.assert_allclose(got0.numpy(), (xs * ys[:, None]).T)

    def test_nested_vmap(self):
        xs = RNG.standard_normal((4, 2, 3))
        got = cr.vmap(cr.vmap(lambda v: (v * v).sum()))(cr.tensor(xs))
        np.testing.assert_allclose(got.numpy(), (xs ** 2).sum(-1))

    def test_pytree_arguments_and_outputs(self):
        xs = RNG.standard_normal((4, 3))
        out = cr.vmap(lambda d: {"s": d["x"].sum(), "t": (d["x"] * 2, d["c"])}, in_axes=0)(
            {"x": cr.tensor(xs), "c": cr.tensor(np.arange(4.0))})
        np.testing.assert_allclose(out["s"].numpy(), xs.sum(1))
        np.testing.assert_allclose(out["t"][0].numpy(), 2 * xs)
        np.testing.assert_allclose(out["t"][1].numpy(), np.arange(4.0))

    def test_unbatched_output_is_broadcast(self):
        got = cr.vmap(lambda x: cr.tensor(np.ones(2)))(cr.tensor(np.zeros((3, 5))))
        assert got.shape == (3, 2)

    def test_per_example_gradients(self):
        # vmap(grad(loss, argnums=0), in_axes=(None, 0)): one gradient per example
        w0 = np.array([0.5, -1.0, 2.0])
        xs = RNG.standard_normal((5, 3))

        def loss(w, x):
            return cr.tanh((w * x).sum()) ** 2

        got = cr.vmap(cr.grad(loss), in_axes=(None, 0))(cr.tensor(w0), cr.tensor(xs))
        assert got.shape == (5, 3)
        s = xs @ w0
        expected = (2 * np.tanh(s) * (1 - np.tanh(s) ** 2))[:, None] * xs
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)

    def test_grad_of_vmap(self):
        xs = RNG.standard_normal((5, 3))
        g = cr.grad(lambda w: cr.vmap(lambda x: (w * x).sum() ** 2)(cr.tensor(xs)).sum())(cr.tensor(X3))
        np.testing.assert_allclose(g.numpy(), 2 * ((xs @ X3)[:, None] * xs).sum(0), rtol=1e-12)

    def test_detach_and_stop_gradient_inside_vmap_of_grad(self):
        # d/ds [s · const(s)] = s, per example
        xs = cr.tensor(np.array([1.0, -2.0, 3.0]))
        for cut in (lambda s: s.detach(), cr.stop_gradient):
            got = cr.vmap(cr.grad(lambda s: s * cut(s) ** 2))(xs)
            np.testing.assert_allclose(got.numpy(), xs.numpy() ** 2)
        kept = cr.vmap(lambda s: s.detach() * 2)(xs)
        np.testing.assert_allclose(kept.numpy(), 2 * xs.numpy())

    def test_stop_gradient_in_forward_mode(self):
        _, t = cr.jvp(lambda s: cr.stop_gradient(s) * s, (2.0,), (1.0,))
        assert t.item() == pytest.approx(2.0)

    def test_inconsistent_sizes(self):
        with pytest.raises(ValueError, match="inconsistent batch sizes"):
            cr.vmap(lambda a, b: a + b)(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((4, 3))))
