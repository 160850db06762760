"""User-defined derivatives (``cr.custom_vjp``) and rematerialization (``cr.checkpoint``),
issue 2 §4.

custom_vjp defines first derivatives only: nested use must raise rather than silently
treat residuals as constants.  checkpoint recomputes its function and is exact to any order.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

X = np.array([0.3, 1.0, -0.7])
Y = np.array([2.0, -1.0, 0.5])


def make_sin_times():
    """f(x, y) = sin(x) y with a hand-written VJP; counts bwd calls."""
    calls = {"fwd": 0, "bwd": 0}

    @cr.custom_vjp
    def sin_times(x, y):
        return cr.sin(x) * y

    def fwd(x, y):
        calls["fwd"] += 1
        return cr.sin(x) * y, (cr.cos(x), cr.sin(x), y)

    def bwd(residuals, g):
        calls["bwd"] += 1
        cos_x, sin_x, y = residuals
        return g * cos_x * y, g * sin_x

    sin_times.defvjp(fwd, bwd)
    return sin_times, calls


def make_clip_gradient():
    """Identity forward, gradient clipped to [-1, 1] backward (a deliberately modified gradient)."""
    @cr.custom_vjp
    def clip_gradient(x):
        return x * 1.0

    clip_gradient.defvjp(lambda x: (x * 1.0, None), lambda _, g: (cr.clip(g, -1.0, 1.0),))
    return clip_gradient


class TestCustomVjp:
    def test_forward_value_without_differentiation(self):
        f, calls = make_sin_times()
        np.testing.assert_allclose(f(cr.tensor(X), cr.tensor(Y)).numpy(), np.sin(X) * Y)
        assert calls["fwd"] == 0                # nothing differentiated: fun itself runs

    def test_grad_uses_the_rule(self):
        f, calls = make_sin_times()
        gx, gy = cr.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(cr.tensor(X), cr.tensor(Y))
        np.testing.assert_allclose(gx.numpy(), np.cos(X) * Y)
        np.testing.assert_allclose(gy.numpy(), np.sin(X))
        assert calls == {"fwd": 1, "bwd": 1}

    def test_the_rule_is_really_used(self):
        clip = make_clip_gradient()
        g = cr.grad(lambda x: (clip(x) * 5.0).sum())(cr.tensor(X))
        np.testing.assert_array_equal(g.numpy(), np.ones(3))          # 5 clipped to 1

    def test_backward_uses_the_rule(self):
        clip = make_clip_gradient()
        x = cr.tensor(X, requires_grad=True)
        (clip(x) * np.array([5.0, 0.5, -3.0])).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.5, -1.0])

    def test_vjp_and_jacrev(self):
        f, _ = make_sin_times()
        y, pull = cr.vjp(f, cr.tensor(X), cr.tensor(Y))
        np.testing.assert_allclose(y.numpy(), np.sin(X) * Y)
        u = np.array([1.0, 2.0, 3.0])
        gx, gy = pull(cr.tensor(u))
        np.testing.assert_allclose(gx.numpy(), u * np.cos(X) * Y)
        np.testing.assert_allclose(gy.numpy(), u * np.sin(X))
        J = cr.jacrev(lambda a: f(a, cr.tensor(Y)))(cr.tensor(X))
        np.testing.assert_allclose(J.numpy(), np.diag(np.cos(X) * Y), atol=1e-15)

    def test_per_example_gradients_under_vmap(self):
        f, _ = make_sin_times()
        g = cr.vmap(cr.grad(lambda a: f(a, 2.0)))(cr.tensor(X))
        np.testing.assert_allclose(g.numpy(), 2 * np.cos(X))

    def test_gradient_of_a_vmapped_custom_function(self):
        # grad(vmap(f)): the derivative level lies beneath the batch
        f, calls = make_sin_times()
        xs = cr.tensor(np.array([0.2, -0.4, 1.1]))
        g = cr.grad(lambda w: cr.vmap(lambda x: f(x, w))(xs).sum())(cr.tensor(2.0, dtype=cr.float64))
        assert g.item() == pytest.approx(np.sin(xs.numpy()).sum())
        w = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
        cr.vmap(lambda x: f(x, w))(xs).sum().backward()
        assert w.grad.item() == pytest.approx(np.sin(xs.numpy()).sum())

    def test_broadcast_argument_gets_its_own_shape(self):
        f, _ = make_sin_times()
        g = cr.grad(lambda s: f(cr.tensor(X), s).sum())(cr.tensor(2.0, dtype=cr.float64))
        assert g.shape == ()
        assert g.item() == pytest.approx(np.sin(X).sum())

    def test_none_cotangent_means_zero(self):
        @cr.custom_vjp
        def first(x, y):
            return x * 1.0

        first.defvjp(lambda x, y: (x * 1.0, None), lambda _, g: (g, None))
        gx, gy = cr.grad(lambda a, b: first(a, b).sum(), argnums=(0, 1))(cr.tensor(X), cr.tensor(Y))
        np.testing.assert_array_equal(gx.numpy(), np.ones(3))
        np.testing.assert_array_equal(gy.numpy(), np.zeros(3))

    def test_residuals_may_be_any_pytree(self):
        @cr.custom_vjp
        def scaled_product(x, y):
            return x * y

        def fwd(x, y):
            return x * y, {"xy": (x, y), "scale": 2.0, "note": None}

        def bwd(res, g):
            x, y = res["xy"]
            assert res["scale"] == 2.0 and res["note"] is None       # static leaves come back as they were
            return g * y * res["scale"], g * x

        scaled_product.defvjp(fwd, bwd)
        gx, gy = cr.grad(lambda a, b: scaled_product(a, b).sum(), argnums=(0, 1))(cr.tensor(X), cr.tensor(Y))
        np.testing.assert_allclose(gx.numpy(), 2 * Y)
        np.testing.assert_allclose(gy.numpy(), X)

    def test_residuals_do_not_outlive_the_graph(self):
        import gc
        import weakref

        probe = []

        @cr.custom_vjp
        def square(x):
            return x * x

        def fwd(x):
            saved = x * 2
            probe.append(weakref.ref(saved))
            return x * x, saved

        square.defvjp(fwd, lambda saved, g: (g * saved,))
        gc.disable()
        try:
            x = cr.tensor(X, requires_grad=True)
            (square(x)).sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), 2 * X)
            assert probe[0]() is None, "the custom_vjp function kept its last residuals alive"
        finally:
            gc.enable()

    def test_nested_grad_raises(self):
        f, _ = make_sin_times()
        with pytest.raises(cr.GraphError, match="nested differentiation"):
            cr.grad(cr.grad(lambda a: f(a, 2.0)))(cr.tensor(0.5, dtype=cr.float64))
        with pytest.raises(cr.GraphError):
            cr.hessian(lambda a: f(a, cr.tensor(Y)).sum())(cr.tensor(X))

    def test_forward_mode_raises(self):
        f, _ = make_sin_times()
        with pytest.raises(cr.GraphError, match="forward-mode"):
            cr.jvp(lambda a: f(a, cr.tensor(Y)), (cr.tensor(X),), (cr.tensor(np.ones(3)),))
        with pytest.raises(cr.GraphError):
            cr.jacfwd(lambda a: f(a, cr.tensor(Y)))(cr.tensor(X))

    def test_create_graph_backward_raises(self):
        f, _ = make_sin_times()
        x = cr.tensor(X, requires_grad=True)
        with pytest.raises(cr.GraphError, match="create_graph"):
            (f(x, cr.tensor(Y)) ** 2).sum().backward(create_graph=True)

    def test_grad_of_backward_raises(self):
        f, _ = make_sin_times()
        w = cr.tensor(Y, requires_grad=True)
        with pytest.raises(cr.GraphError):
            cr.grad(lambda a: f(a, w).sum())(cr.tensor(X))

    def test_missing_defvjp(self):
        @cr.custom_vjp
        def h(x):
            return x

        with pytest.raises(cr.GraphError, match="defvjp"):
            h(cr.tensor(1.0))

    def test_bwd_returning_the_wrong_number_of_cotangents(self):
        @cr.custom_vjp
        def h(x, y):
            return x * y

        h.defvjp(lambda x, y: (x * y, None), lambda _, g: (g,))
        with pytest.raises(cr.GraphError, match="2 cotangents"):
            cr.grad(lambda a: h(a, cr.tensor(Y)).sum())(cr.tensor(X))

    def test_errors_are_runtime_errors(self):
        f, _ = make_sin_times()
        with pytest.raises(RuntimeError):
            cr.grad(cr.grad(lambda a: f(a, 2.0)))(cr.tensor(0.5, dtype=cr.float64))


def tanh_block(x):
    return cr.tanh(x) * cr.sin(x) + x ** 3


class TestCheckpoint:
    def test_value_and_gradient(self):
        ck = cr.checkpoint(tanh_block)
        x = cr.tensor(X)
        np.testing.assert_allclose(ck(x).numpy(), tanh_block(x).numpy(), rtol=1e-15)
        g = cr.grad(lambda t: ck(t).sum())(x)
        expected = cr.grad(lambda t: tanh_block(t).sum())(x)
        np.testing.assert_allclose(g.numpy(), expected.numpy(), rtol=1e-14)

    def test_exact_to_second_order(self):
        ck = cr.checkpoint(tanh_block)
        x = cr.tensor(X)
        H = cr.hessian(lambda t: ck(t).sum())(x)
        H_ref = cr.hessian(lambda t: tanh_block(t).sum())(x)
        np.testing.assert_allclose(H.numpy(), H_ref.numpy(), rtol=1e-13, atol=1e-15)
        d2 = cr.grad(cr.grad(lambda t: ck(t).sum()))(cr.tensor(0.4, dtype=cr.float64))
        t = np.tanh(0.4)
        s, c = np.sin(0.4), np.cos(0.4)
        # (tanh·sin)'' = tanh'' sin + 2 tanh' cos - tanh sin; (x³)'' = 6x
        expected = -2 * t * (1 - t ** 2) * s + 2 * (1 - t ** 2) * c - t * s + 6 * 0.4
        assert d2.item() == pytest.approx(expected, rel=1e-12)

    def test_forward_mode(self):
        ck = cr.checkpoint(tanh_block)
        v = np.array([1.0, -1.0, 2.0])
        _, t = cr.jvp(ck, (cr.tensor(X),), (cr.tensor(v),))
        _, t_ref = cr.jvp(tanh_block, (cr.tensor(X),), (cr.tensor(v),))
        np.testing.assert_allclose(t.numpy(), t_ref.numpy(), rtol=1e-14)

    def test_backward_twice_with_create_graph(self):
        ck = cr.checkpoint(lambda t: cr.sin(t) * t)
        x = cr.tensor(X, requires_grad=True)
        ck(x).sum().backward(create_graph=True)
        g = x.grad
        np.testing.assert_allclose(g.detach().numpy(), np.cos(X) * X + np.sin(X), rtol=1e-14)
        x.grad = None
        g.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), -np.sin(X) * X + 2 * np.cos(X), rtol=1e-13)

    def test_function_is_recomputed_in_backward(self):
        calls = []

        def block(t):
            calls.append(1)
            return cr.exp(t) * t

        ck = cr.checkpoint(block)
        x = cr.tensor(X, requires_grad=True)
        y = ck(x).sum()
        assert len(calls) == 1
        y.backward()
        assert len(calls) == 2                 # recomputed, not stored
        np.testing.assert_allclose(x.grad.numpy(), np.exp(X) * (X + 1), rtol=1e-14)

    def test_differentiating_through_a_vmapped_checkpoint(self):
        # grad/hessian/backward of vmap(checkpoint): f = Σ_i sin(x_i) w², so f' = 2w Σ sin, f'' = 2 Σ sin
        ck = cr.checkpoint(lambda x, w: cr.sin(x) * w * w)
        xs = cr.tensor(np.array([0.2, -0.4, 1.1]))
        s = np.sin(xs.numpy()).sum()

        def f(w):
            return cr.vmap(lambda x: ck(x, w))(xs).sum()

        w0 = cr.tensor(2.0, dtype=cr.float64)
        assert cr.grad(f)(w0).item() == pytest.approx(4 * s)
        assert cr.hessian(f)(w0).item() == pytest.approx(2 * s)
        w = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
        f(w).backward()
        assert w.grad.item() == pytest.approx(4 * s)

    def test_several_arguments(self):
        ck = cr.checkpoint(lambda a, b: cr.tanh(a @ b))
        A, b = np.random.default_rng(1).standard_normal((2, 3)), X
        ga, gb = cr.grad(lambda p, q: ck(p, q).sum(), argnums=(0, 1))(cr.tensor(A), cr.tensor(b))
        d = 1 - np.tanh(A @ b) ** 2
        np.testing.assert_allclose(ga.numpy(), np.outer(d, b), rtol=1e-13)
        np.testing.assert_allclose(gb.numpy(), A.T @ d, rtol=1e-13)
