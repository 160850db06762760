"""Jacobians and Hessians batch their basis vectors (issue 2, §4 and §8): the number of
primitive applications does not grow with the number of outputs or inputs.

The engine's tracer hook (``engine.state.tracer = []``) records every primitive applied
to arrays; a Python loop over output elements would apply ``tanh`` once per element.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import engine


def trace(fn, x):
    """Run ``fn(x)`` and return the names of the primitives applied to arrays."""
    engine.state.tracer = []
    try:
        fn(x)
        return [prim.name for prim, _, _ in engine.state.tracer]
    finally:
        engine.state.tracer = None


W_SMALL = np.random.default_rng(0).standard_normal((50, 50))


def elementwise_tanh(x):
    return cr.tanh(x)


def dense_tanh(x):
    n = x.shape[0]
    return cr.tanh(cr.tensor(W_SMALL[:n, :n]) @ x)


def tanh_energy(x):
    return (cr.tanh(x) ** 2).sum()


TRANSFORMS = {
    "jacrev": lambda f: cr.jacrev(f),
    "jacfwd": lambda f: cr.jacfwd(f),
    "jacobian_auto": lambda f: cr.jacobian(f),
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
@pytest.mark.parametrize("f", [elementwise_tanh, dense_tanh], ids=["elementwise", "dense"])
def test_jacobian_work_does_not_grow_with_size(name, f):
    small = trace(TRANSFORMS[name](f), cr.tensor(np.linspace(-1, 1, 5)))
    large = trace(TRANSFORMS[name](f), cr.tensor(np.linspace(-1, 1, 50)))
    assert large.count("tanh") == small.count("tanh") <= 2
    assert len(large) == len(small), "the number of primitive applications grew with the output size"


def test_hessian_work_does_not_grow_with_size():
    small = trace(cr.hessian(tanh_energy), cr.tensor(np.linspace(-1, 1, 5)))
    large = trace(cr.hessian(tanh_energy), cr.tensor(np.linspace(-1, 1, 50)))
    assert large.count("tanh") == small.count("tanh") == 1
    assert len(large) == len(small)


def test_jacobian_values_at_size_50_are_right():
    x = np.linspace(-1, 1, 50)
    J = cr.jacrev(dense_tanh)(cr.tensor(x)).numpy()
    np.testing.assert_allclose(J, (1 - np.tanh(W_SMALL @ x) ** 2)[:, None] * W_SMALL, rtol=1e-12)
    H = cr.hessian(tanh_energy)(cr.tensor(x)).numpy()
    t = np.tanh(x)
    # d²/dx² tanh² = 2(1 - t²)(1 - 3t²)
    np.testing.assert_allclose(H, np.diag(2 * (1 - t ** 2) * (1 - 3 * t ** 2)), rtol=1e-12, atol=1e-14)


def test_per_example_gradients_are_one_pass():
    def loss(w, x):
        return cr.tanh((w * x).sum()) ** 2

    per_example = cr.vmap(cr.grad(loss), in_axes=(None, 0))
    w = cr.tensor(np.ones(3))
    small = trace(lambda xs: per_example(w, xs), cr.tensor(np.ones((4, 3))))
    large = trace(lambda xs: per_example(w, xs), cr.tensor(np.ones((40, 3))))
    assert len(large) == len(small)


def test_vmap_of_a_checkpointed_function_is_one_pass():
    ck = cr.checkpoint(lambda t: cr.tanh(t) * t)
    small = trace(cr.vmap(ck), cr.tensor(np.linspace(-1, 1, 4).reshape(4, 1)))
    large = trace(cr.vmap(ck), cr.tensor(np.linspace(-1, 1, 40).reshape(40, 1)))
    assert large.count("tanh") == small.count("tanh") == 1
    xs = np.linspace(-1, 1, 6)
    np.testing.assert_allclose(cr.vmap(ck)(cr.tensor(xs)).numpy(), np.tanh(xs) * xs)
    g = cr.vmap(cr.grad(lambda t: ck(t)))(cr.tensor(xs))
    np.testing.assert_allclose(g.numpy(), (1 - np.tanh(xs) ** 2) * xs + np.tanh(xs), rtol=1e-12)


def test_per_example_gradients_through_custom_vjp_are_one_pass():
    @cr.custom_vjp
    def sin_times(x, y):
        return cr.sin(x) * y

    sin_times.defvjp(lambda x, y: (cr.sin(x) * y, (cr.cos(x), y)),
                     lambda res, g: (g * res[0] * res[1], None))
    per_example = cr.vmap(cr.grad(lambda a: sin_times(a, 2.0)))
    small = trace(per_example, cr.tensor(np.linspace(-1, 1, 3)))
    large = trace(per_example, cr.tensor(np.linspace(-1, 1, 30)))
    assert large.count("sin") == small.count("sin") == 1
    xs = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(per_example(cr.tensor(xs)).numpy(), 2 * np.cos(xs), rtol=1e-12)
