"""``cr.autograd.grad`` and ``cr.autograd.backward``: PyTorch's functional interface to the
reverse pass over the level-0 graph.

References: the function transforms (``cr.grad``, ``cr.vjp``) of the same functions,
derivatives worked out by hand, and ``torch.autograd`` where it is installed.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff.engine import state

RNG = np.random.default_rng(7)
X = RNG.standard_normal(3)
W = RNG.standard_normal((3, 2))


def leaf(values):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def f(x, w):
    """A small network's loss: Σ tanh(x W)²."""
    return (cr.tanh(x @ w) ** 2).sum()


class TestValues:
    def test_gradients_of_leaves_equal_the_transform(self):
        x, w = leaf(X), leaf(W)
        gx, gw = cr.autograd.grad(f(x, w), [x, w])
        ex, ew = cr.grad(f, argnums=(0, 1))(X, W)
        np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-12)

    def test_one_input_gives_a_tuple_of_one(self):
        x = leaf(X)
        result = cr.autograd.grad((x * x).sum(), x)
        assert isinstance(result, tuple) and len(result) == 1
        np.testing.assert_allclose(result[0].numpy(), 2 * X)

    def test_gradient_with_respect_to_an_intermediate_tensor(self):
        x, w = leaf(X), leaf(W)
        h = x @ w
        y = (cr.tanh(h) ** 2).sum()
        (gh,) = cr.autograd.grad(y, h)
        th = np.tanh(X @ W)
        np.testing.assert_allclose(gh.numpy(), 2 * th * (1 - th ** 2), rtol=1e-12)   # d/dh Σ tanh²h

    def test_intermediate_and_leaf_together(self):
        x, w = leaf(X), leaf(W)
        h = x @ w
        y = (cr.tanh(h) ** 2).sum() + (x ** 3).sum()            # x reaches y directly as well
        gh, gx = cr.autograd.grad(y, [h, x])
        th = np.tanh(X @ W)
        np.testing.assert_allclose(gh.numpy(), 2 * th * (1 - th ** 2), rtol=1e-12)
        np.testing.assert_allclose(gx.numpy(), W @ gh.numpy() + 3 * X ** 2, rtol=1e-12)

    def test_grad_outputs_give_the_vector_jacobian_product(self):
        x = leaf(X)
        y = cr.sin(x) * x                                          # J = diag(cos x · x + sin x)
        u = RNG.standard_normal(3)
        (g,) = cr.autograd.grad(y, x, grad_outputs=u)
        np.testing.assert_allclose(g.numpy(), u * (np.cos(X) * X + np.sin(X)), rtol=1e-12)

    def test_several_outputs_add_their_products(self):
        x = leaf(X)
        y1, y2 = x * x, cr.exp(x)
        u1, u2 = RNG.standard_normal(3), RNG.standard_normal(3)
        (g,) = cr.autograd.grad([y1, y2], x, grad_outputs=[u1, u2])
        np.testing.assert_allclose(g.numpy(), 2 * X * u1 + np.exp(X) * u2, rtol=1e-12)

    def test_the_output_with_respect_to_itself_is_its_cotangent(self):
        x = leaf(X)
        y = (x * x).sum()
        (g,) = cr.autograd.grad(y, y)
        assert g.item() == 1.0

    def test_an_output_of_a_multi_output_primitive(self):
        a = RNG.standard_normal((3, 3))
        a = leaf(a + a.T)
        w, v = cr.linalg.eigh(a)
        y = (w * w).sum() + v.sum()
        (gw,) = cr.autograd.grad(y, w)
        np.testing.assert_allclose(gw.numpy(), 2 * w.numpy(), rtol=1e-12)

    def test_used_input_with_an_identically_zero_derivative_gets_zeros(self):
        x = leaf(X)
        y = cr.sign(x).sum() + (0.0 * x).sum()        # sign: no derivative; 0·x: zero
        (g,) = cr.autograd.grad(y, x)
        np.testing.assert_array_equal(g.numpy(), np.zeros(3))

    def test_no_grad_attribute_changes(self):
        x, w = leaf(X), leaf(W)
        w.grad = cr.tensor(np.ones((3, 2)))
        cr.autograd.grad(f(x, w), [x, w])
        assert x.grad is None
        np.testing.assert_array_equal(w.grad.numpy(), np.ones((3, 2)))

    def test_results_own_their_memory(self):
        a, b = leaf(X), leaf(X)
        u = np.ones(3)
        ga, gb = cr.autograd.grad(a + b, [a, b], grad_outputs=u)    # add hands g to both inputs
        ga.numpy()[0] = 5.0
        assert gb.numpy()[0] == 1.0 and u[0] == 1.0

    def test_the_same_input_twice(self):
        x = leaf(X)
        g1, g2 = cr.autograd.grad((x * x).sum(), [x, x])
        np.testing.assert_allclose(g1.numpy(), 2 * X)
        np.testing.assert_allclose(g2.numpy(), 2 * X)
        assert g1._data is not g2._data


class TestHigherOrder:
    def test_gradient_penalty_equals_the_transforms(self):
        """d/dx ‖∇ₓ f‖² through create_graph=True, against cr.grad of cr.grad."""
        x, w = leaf(X), leaf(W)
        (g,) = cr.autograd.grad(f(x, w), x, create_graph=True)
        penalty = (g * g).sum()
        penalty.backward()

        def reference(x, w):
            gx = cr.grad(f)(x, w)
            return (gx * gx).sum()
        ex, ew = cr.grad(reference, argnums=(0, 1))(X, W)
        np.testing.assert_allclose(x.grad.numpy(), ex.numpy(), rtol=1e-10)
        np.testing.assert_allclose(w.grad.numpy(), ew.numpy(), rtol=1e-10)

    def test_second_derivative_of_a_scalar_function(self):
        x = leaf(0.7)
        y = x ** 4
        (dy,) = cr.autograd.grad(y, x, create_graph=True)
        (d2y,) = cr.autograd.grad(dy, x)
        assert d2y.item() == pytest.approx(12 * 0.7 ** 2, rel=1e-12)

    def test_hessian_rows_by_repeated_vector_products(self):
        """Row i of the Hessian of xᵀAx is (A + Aᵀ)ᵢ: grad of the i-th entry of the gradient."""
        a = RNG.standard_normal((3, 3))
        x = leaf(X)
        y = x @ cr.tensor(a) @ x
        (g,) = cr.autograd.grad(y, x, create_graph=True)
        rows = [cr.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
        np.testing.assert_allclose(np.stack(rows), a + a.T, rtol=1e-12)


class TestGraphLifetime:
    def test_the_graph_is_freed_unless_retained(self):
        x = leaf(X)
        y = (cr.exp(x)).sum()
        cr.autograd.grad(y, x, retain_graph=True)
        cr.autograd.grad(y, x)
        with pytest.raises(cr.GraphError, match="second time"):
            cr.autograd.grad(y, x)

    def test_an_unused_input_is_reported_before_anything_is_freed(self):
        x, z = leaf(X), leaf(1.0)
        y = cr.exp(x).sum()
        with pytest.raises(cr.GraphError, match=r"autograd.grad: input 1 \(shape \(\)\) was not used"):
            cr.autograd.grad(y, [x, z])
        y.backward()                                    # the graph is intact
        np.testing.assert_allclose(x.grad.numpy(), np.exp(X))

    def test_allow_unused_and_materialize_grads(self):
        x, z = leaf(X), leaf([1.0, 2.0])
        y = cr.exp(x).sum()
        gx, gz = cr.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
        assert gz is None
        np.testing.assert_allclose(gx.numpy(), np.exp(X))
        _, gz = cr.autograd.grad(y, [x, z], materialize_grads=True)
        np.testing.assert_array_equal(gz.numpy(), np.zeros(2))

    def test_only_the_graph_leading_to_the_inputs_is_run(self):
        """The cotangent of W (xᵀ Ḡ, a matrix product) is never computed when only x is asked for."""
        x, w = leaf(RNG.standard_normal((4, 3))), leaf(W)
        y = f(x, w)
        state.tracer = []
        try:
            cr.autograd.grad(y, x)
            products = [p.name for p, _, _ in state.tracer if p.name == "matmul"]
        finally:
            state.tracer = None
        assert products == ["matmul"]                     # Ḡ Wᵀ only
        y2 = f(x, w)
        state.tracer = []
        try:
            y2.backward()
            both = [p.name for p, _, _ in state.tracer if p.name == "matmul"]
        finally:
            state.tracer = None
        assert both == ["matmul", "matmul"]


class TestBadInput:
    def test_materialize_grads_with_allow_unused_false(self):
        x = leaf(X)
        with pytest.raises(ValueError, match="materialize_grads=True"):
            cr.autograd.grad((x * x).sum(), x, allow_unused=False, materialize_grads=True)

    def test_input_that_does_not_require_grad(self):
        x, c = leaf(X), cr.tensor(X)
        with pytest.raises(cr.GraphError, match=r"input 1 \(shape \(3\)\) does not require grad"):
            cr.autograd.grad((x * c).sum(), [x, c])

    def test_output_that_does_not_require_grad(self):
        x = leaf(X)
        with cr.no_grad():
            y = (x * x).sum()
        with pytest.raises(cr.GraphError, match="output 0 does not require grad"):
            cr.autograd.grad(y, x)

    def test_non_scalar_output_needs_grad_outputs(self):
        x = leaf(X)
        with pytest.raises(cr.GraphError, match=r"scalar outputs, but output 0 has shape \(3\)"):
            cr.autograd.grad(x * x, x)

    def test_grad_outputs_of_the_wrong_shape(self):
        x = leaf(X)
        with pytest.raises(cr.GraphError, match=r"grad_outputs has shape \(2\) but output 0 has shape \(3\)"):
            cr.autograd.grad(x * x, x, grad_outputs=np.ones(2))

    def test_grad_outputs_of_the_wrong_length(self):
        x = leaf(X)
        with pytest.raises(ValueError, match=r"2 output\(s\) but 1 grad_outputs"):
            cr.autograd.grad([x * x, x + 1], x, grad_outputs=[np.ones(3)])

    def test_not_tensors(self):
        x = leaf(X)
        with pytest.raises(TypeError, match="inputs\\[0\\] must be a tensor, got ndarray"):
            cr.autograd.grad((x * x).sum(), [X])
        with pytest.raises(TypeError, match="outputs must be a tensor"):
            cr.autograd.grad(3.0, x)

    def test_inside_a_transform(self):
        def g(x):
            cr.autograd.grad((x * x).sum(), x)
            return x.sum()
        with pytest.raises(cr.GraphError, match="output 0 lives inside a transform"):
            cr.grad(g)(X)


class TestBackward:
    def test_several_tensors_in_one_pass(self):
        x = leaf(X)
        u = RNG.standard_normal(3)
        cr.autograd.backward([(x * x).sum(), cr.sin(x)], [None, u])
        np.testing.assert_allclose(x.grad.numpy(), 2 * X + np.cos(X) * u, rtol=1e-12)

    def test_same_as_one_backward_each(self):
        x, w = leaf(X), leaf(W)
        h = x @ w
        cr.autograd.backward([(h * h).sum(), cr.exp(h).sum()])
        x2, w2 = leaf(X), leaf(W)
        h2 = x2 @ w2
        (h2 * h2).sum().backward()
        cr.exp(x2 @ w2).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12)

    def test_inputs_restrict_the_accumulation(self):
        x, w = leaf(X), leaf(W)
        h = x @ w
        cr.autograd.backward((cr.tanh(h) ** 2).sum() + (h * h).sum(), inputs=[w, h])
        assert x.grad is None
        th = np.tanh(X @ W)
        gh = 2 * th * (1 - th ** 2) + 2 * (X @ W)
        np.testing.assert_allclose(h.grad.numpy(), gh, rtol=1e-12)        # a non-leaf, as if retained
        np.testing.assert_allclose(w.grad.numpy(), np.outer(X, gh), rtol=1e-12)

    def test_accumulates_like_backward(self):
        x = leaf(X)
        cr.autograd.backward((x * x).sum())
        cr.autograd.backward((3 * x).sum())
        np.testing.assert_allclose(x.grad.numpy(), 2 * X + 3)

    def test_grads_own_their_memory(self):
        a, b = leaf(X), leaf(X)
        u = cr.tensor(np.ones(3))
        cr.autograd.backward(a + b, u)
        a.grad.numpy()[0] = 7.0
        assert b.grad.numpy()[0] == 1.0 and u.numpy()[0] == 1.0

    def test_bad_input(self):
        x = leaf(X)
        with pytest.raises(ValueError, match="at least one tensor"):
            cr.autograd.backward([])
        with pytest.raises(cr.GraphError, match="input 0 .* does not require grad"):
            cr.autograd.backward((x * x).sum(), inputs=[cr.tensor(X)])
        assert x.grad is None


class TestAgainstTorch:
    def test_gradient_penalty(self):
        torch = pytest.importorskip("torch")
        xs = RNG.standard_normal((5, 3))
        x, w = leaf(xs), leaf(W)
        (g,) = cr.autograd.grad(f(x, w), x, create_graph=True)
        penalty = ((cr.sqrt((g * g).sum(axis=1)) - 1) ** 2).mean()
        penalty.backward()

        tx = torch.tensor(xs, requires_grad=True)
        tw = torch.tensor(W, requires_grad=True)
        (tg,) = torch.autograd.grad((torch.tanh(tx @ tw) ** 2).sum(), tx, create_graph=True)
        tp = ((tg.pow(2).sum(dim=1).sqrt() - 1) ** 2).mean()
        tp.backward()
        np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(penalty.item(), tp.item(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)

    def test_retained_tensors_receive_their_gradient_like_torch(self):
        torch = pytest.importorskip("torch")
        grads = []
        for lib in (cr, torch):
            x = lib.tensor(X, requires_grad=True)
            h = x * 2
            h.retain_grad()
            y = (h * h).sum()
            (cr.autograd.grad if lib is cr else torch.autograd.grad)(y, x, retain_graph=True)
            grads.append((None if h.grad is None else h.grad.detach().numpy().copy(), x.grad))
        (ours, ours_leaf), (theirs, theirs_leaf) = grads
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
        assert ours_leaf is None and theirs_leaf is None

    def test_allow_unused_and_materialize_like_torch(self):
        torch = pytest.importorskip("torch")
        x, z = leaf(X), leaf(1.0)
        tx, tz = torch.tensor(X, requires_grad=True), torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        ours = cr.autograd.grad(cr.exp(x).sum(), [x, z], allow_unused=True)
        theirs = torch.autograd.grad(torch.exp(tx).sum(), [tx, tz], allow_unused=True)
        assert (ours[1] is None) == (theirs[1] is None)
        np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy(), rtol=1e-12)
