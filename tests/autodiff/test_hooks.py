"""``Tensor.register_hook`` and ``retain_grad`` on every kind of output, with PyTorch's semantics.

A hook sees a tensor's complete gradient when a reverse pass computes it and may replace
it; retained gradients show what the hooks made of it.  Expected values are worked out by
hand and, where it is installed, compared with PyTorch running the same program.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest

import chainrule as cr

X = np.array([1.0, -2.0, 0.5])


def leaf(values=X):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


class TestLeafHooks:
    def test_the_hook_sees_the_sum_of_all_contributions(self):
        x = leaf()
        seen = []
        x.register_hook(lambda g: seen.append(g.numpy().copy()))
        (x * x + 3 * x).sum().backward()                 # two paths into x: 2x + 3
        assert len(seen) == 1
        np.testing.assert_allclose(seen[0], 2 * X + 3)
        np.testing.assert_allclose(x.grad.numpy(), 2 * X + 3)

    def test_a_returned_tensor_replaces_the_gradient(self):
        x = leaf()
        x.register_hook(lambda g: g * 0.5)
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), X)

    def test_hooks_chain_in_registration_order(self):
        x = leaf()
        x.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 10)
        (2 * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), np.full(3, 30.0))       # (2 + 1)·10, not 2·10 + 1

    def test_remove(self):
        x = leaf()
        handle = x.register_hook(lambda g: g * 0)
        handle.remove()
        handle.remove()                                  # a second remove does nothing
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * X)

    def test_hooks_run_in_autograd_grad(self):
        x = leaf()
        x.register_hook(lambda g: g + 1)
        (g,) = cr.autograd.grad((x * x).sum(), x)
        np.testing.assert_allclose(g.numpy(), 2 * X + 1)
        assert x.grad is None


class TestComputedTensorHooks:
    def test_a_replaced_cotangent_flows_on_to_the_leaves(self):
        x = leaf()
        h = x * x
        h.register_hook(lambda g: g * 10)
        (h.sum() + x.sum()).backward()                   # x̄ = 10 · 2x + 1
        np.testing.assert_allclose(x.grad.numpy(), 20 * X + 1)

    def test_the_hook_lives_on_after_the_tensor_object(self):
        x = leaf()
        h = cr.exp(x)
        calls = []
        h.register_hook(lambda g: calls.append(1))
        y = h.sum()
        del h
        gc.collect()
        y.backward()
        assert calls == [1]
        np.testing.assert_allclose(x.grad.numpy(), np.exp(X))

    def test_retained_gradient_shows_the_hooked_value(self):
        x = leaf()
        h = x * x
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        h.sum().backward()
        np.testing.assert_allclose(h.grad.numpy(), np.full(3, 10.0))
        np.testing.assert_allclose(x.grad.numpy(), 20 * X)

    def test_the_captured_gradient_of_autograd_grad_is_hooked(self):
        x = leaf()
        h = x * x
        h.register_hook(lambda g: g * 10)
        (gh,) = cr.autograd.grad(h.sum(), h)
        np.testing.assert_allclose(gh.numpy(), np.full(3, 10.0))

    def test_hooks_inside_a_recorded_backward_are_differentiated(self):
        """With create_graph the hook's own operation is part of the graph: d/dx of the
        gradient 3 · 2x is 6 per entry."""
        x = leaf()
        h = x * x
        h.register_hook(lambda g: g * 3)
        (g,) = cr.autograd.grad(h.sum(), x, create_graph=True)
        np.testing.assert_allclose(g.numpy(), 6 * X)
        (gg,) = cr.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(gg.numpy(), np.full(3, 6.0))

    def test_a_hook_on_one_output_of_a_multi_output_primitive(self):
        a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
        A = leaf(a)
        w, V = cr.linalg.eigh(A)
        w.register_hook(lambda g: g * 0)                 # only V's path reaches A
        (w.sum() + (V * V).sum()).backward()             # V is orthogonal: Σ V² = 3, derivative 0
        np.testing.assert_allclose(A.grad.numpy(), np.zeros((3, 3)), atol=1e-12)


class TestRetainGrad:
    def test_every_retained_output_of_a_multi_output_primitive(self):
        a = np.array([[2.0, 1.0], [1.0, 3.0]])
        A = leaf(a)
        w, V = cr.linalg.eigh(A)
        w.retain_grad()
        V.retain_grad()
        ((w * w).sum() + V.sum()).backward()
        np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())
        np.testing.assert_allclose(V.grad.numpy(), np.ones((2, 2)))

    def test_retains_grad(self):
        x = leaf()
        h = x * 2
        assert not h.retains_grad and not x.retains_grad
        h.retain_grad()
        assert h.retains_grad and not x.retains_grad


class TestBadHooks:
    def test_a_hook_that_changes_the_shape(self):
        x = leaf()
        x.register_hook(lambda g: g.sum())
        with pytest.raises(cr.GraphError, match=r"changed the gradient's shape from \(3\) to \(\)"):
            (x * x).sum().backward()

    def test_a_hook_that_changes_the_dtype(self):
        x = leaf()                                       # float64
        x.register_hook(lambda g: g.astype(cr.float32))
        with pytest.raises(cr.DTypeError, match="changed the gradient's dtype from float64 to float32"):
            (x * x).sum().backward()
        assert x.grad is None

    def test_a_hook_that_returns_something_else(self):
        x = leaf()
        h = x * x
        h.register_hook(lambda g: g.numpy())
        with pytest.raises(TypeError, match="returned a ndarray; a hook returns a Tensor or None"):
            h.sum().backward()

    def test_registering_on_a_tensor_without_gradients(self):
        with pytest.raises(cr.GraphError, match=r"does not require grad \(shape \(3\)\)"):
            cr.tensor(X).register_hook(lambda g: g)

    def test_registering_something_not_callable(self):
        with pytest.raises(TypeError, match="must be callable, got int"):
            leaf().register_hook(3)

    def test_registering_inside_a_transform(self):
        def f(x):
            x.register_hook(lambda g: g)
            return x.sum()
        with pytest.raises(cr.GraphError, match="inside a transform"):
            cr.grad(f)(X)


def test_the_same_program_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (cr, torch):
        x = lib.tensor(X, requires_grad=True)
        h = x * x
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g + 1)
        y = (h * x).sum() + x.sum()                      # h̄ = 10x, x̄ = 10x · 2x + h + 1, then + 1
        (gh,) = (cr.autograd.grad if lib is cr else torch.autograd.grad)(y, h, retain_graph=True)
        y.backward()
        results.append([np.asarray(t.detach().numpy()) for t in (gh, h.grad, x.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
