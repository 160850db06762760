"""Nested differentiation (issue 2, §4 and §8): no perturbation confusion, nth
derivatives of known functions, Hessians of quadratic forms, jacfwd == jacrev,
hvp == H·v, gradients of broadcast ops, and agreement with PyTorch.

Every expected value is a closed-form derivative evaluated with NumPy (or PyTorch).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(42)


def deriv_rev(f):
    """x -> f'(x) by reverse mode."""
    return cr.grad(f)


def deriv_fwd(f):
    """x -> f'(x) by forward mode."""
    return lambda x: cr.jvp(f, (x,), (cr.ones_like(x) if isinstance(x, cr.Tensor) else 1.0,))[1]


DERIVATIVES = {"grad": deriv_rev, "jvp": deriv_fwd}


def nth(f, n, how):
    for _ in range(n):
        f = DERIVATIVES[how](f)
    return f


# ----------------------------------------------------------------------------- confusion
class TestPerturbationConfusion:
    """d/dx [x · d/dy (x + y)] = 1: the inner derivative is 1 whatever x is; a system that
    confuses the two perturbations gets 2."""

    @staticmethod
    def inner_grad(x):
        return x * cr.grad(lambda y: x + y)(1.0)

    @staticmethod
    def inner_jvp(x):
        return x * cr.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    @pytest.mark.parametrize("inner", ["inner_grad", "inner_jvp"])
    @pytest.mark.parametrize("outer", ["grad", "jvp"])
    def test_combinations(self, outer, inner):
        f = getattr(self, inner)
        d = DERIVATIVES[outer](f)(cr.tensor(2.0, dtype=cr.float64))
        assert d.item() == pytest.approx(1.0, abs=1e-15)

    def test_inner_derivative_depending_on_outer_variable(self):
        # d/dx [x · d/dy (x y)] = d/dx [x · x] = 2x  (confusion would add a spurious term)
        for outer in ("grad", "jvp"):
            f = lambda x: x * cr.grad(lambda y: x * y)(3.0)
            assert DERIVATIVES[outer](f)(cr.tensor(1.5, dtype=cr.float64)).item() == pytest.approx(3.0)

    def test_backward_of_a_function_containing_grad(self):
        x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
        (x * cr.grad(lambda y: x + y)(1.0)).backward()
        assert x.grad.item() == pytest.approx(1.0)

    def test_three_levels(self):
        # d/dx [x · d/dy [y · d/dz (x + y + z)]] = d/dx [x · 1] = 1
        def f(x):
            return x * cr.grad(lambda y: y * cr.jvp(lambda z: x + y + z, (0.5,), (1.0,))[1])(2.0)

        for outer in ("grad", "jvp"):
            assert DERIVATIVES[outer](f)(cr.tensor(0.7, dtype=cr.float64)).item() == pytest.approx(1.0)


# ----------------------------------------------------------------------------- nth derivatives
X0 = 0.7


class TestNthDerivatives:
    @pytest.mark.parametrize("how", ["grad", "jvp"])
    def test_sin_cycles_with_period_four(self, how):
        cycle = [np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)]
        for n in range(7):
            got = nth(cr.sin, n, how)(cr.tensor(X0, dtype=cr.float64))
            assert got.item() == pytest.approx(cycle[n % 4](X0), rel=1e-12, abs=1e-14), f"order {n}"

    @pytest.mark.parametrize("how", ["grad", "jvp"])
    def test_exp_is_its_own_derivative(self, how):
        for n in range(5):
            assert nth(lambda x: cr.exp(2 * x), n, how)(cr.tensor(X0, dtype=cr.float64)).item() == \
                pytest.approx(2.0 ** n * np.exp(2 * X0), rel=1e-12)

    @pytest.mark.parametrize("how", ["grad", "jvp"])
    @pytest.mark.parametrize("power", [2, 3, 5])
    def test_polynomials(self, how, power):
        # d^k x^p = p!/(p-k)! x^(p-k), and 0 beyond order p
        for k in range(power + 2):
            got = nth(lambda x: x ** power, k, how)(cr.tensor(X0, dtype=cr.float64)).item()
            expected = math.factorial(power) / math.factorial(power - k) * X0 ** (power - k) if k <= power else 0.0
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), f"order {k}"

    @pytest.mark.parametrize("how", ["grad", "jvp"])
    def test_reciprocal(self, how):
        # d^k (1/x) = (-1)^k k! / x^(k+1)
        for k in range(5):
            got = nth(lambda x: 1 / x, k, how)(cr.tensor(X0, dtype=cr.float64)).item()
            assert got == pytest.approx((-1) ** k * math.factorial(k) / X0 ** (k + 1), rel=1e-12)

    def test_mixed_forward_and_reverse_orders(self):
        # grad(jvp(grad(jvp(tanh)))) = tanh''''
        f = deriv_rev(deriv_fwd(deriv_rev(deriv_fwd(cr.tanh))))
        t = np.tanh(X0)
        # tanh' = 1-t², tanh'' = -2t(1-t²), tanh''' = -2(1-t²)(1-3t²), tanh'''' = 8t(1-t²)(2-3t²)
        expected = 8 * t * (1 - t ** 2) * (2 - 3 * t ** 2)
        assert f(cr.tensor(X0, dtype=cr.float64)).item() == pytest.approx(expected, rel=1e-12)

    def test_elementwise_on_vectors(self):
        x = np.linspace(0.2, 1.4, 5)
        # third derivative of sum(sin) along each coordinate: grad of sum(grad of sum(grad))
        g1 = cr.grad(lambda t: cr.sin(t).sum())
        g2 = cr.grad(lambda t: g1(t).sum())
        g3 = cr.grad(lambda t: g2(t).sum())
        np.testing.assert_allclose(g3(cr.tensor(x)).numpy(), -np.cos(x), rtol=1e-12)


# ----------------------------------------------------------------------------- Hessians
class TestHessians:
    @pytest.mark.parametrize("how", ["hessian", "jacfwd(jacrev)", "jacrev(jacrev)", "jacrev(jacfwd)",
                                     "jacfwd(jacfwd)"])
    def test_quadratic_form(self, how):
        A = RNG.standard_normal((4, 4))
        At = cr.tensor(A)

        def f(x):
            return x @ At @ x

        transforms = {
            "hessian": cr.hessian(f),
            "jacfwd(jacrev)": cr.jacfwd(cr.jacrev(f)),
            "jacrev(jacrev)": cr.jacrev(cr.jacrev(f)),
            "jacrev(jacfwd)": cr.jacrev(cr.jacfwd(f)),
            "jacfwd(jacfwd)": cr.jacfwd(cr.jacfwd(f)),
        }
        H = transforms[how](cr.tensor(RNG.standard_normal(4)))
        np.testing.assert_allclose(H.numpy(), A + A.T, rtol=1e-12, atol=1e-14)

    def test_hessian_of_nonlinear_function_against_closed_form(self):
        # f = log(sum(exp(x))): H = diag(p) - p pᵀ
        x = RNG.standard_normal(5)
        H = cr.hessian(lambda t: cr.log(cr.exp(t).sum()))(cr.tensor(x)).numpy()
        p = np.exp(x) / np.exp(x).sum()
        np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)

    def test_hvp_equals_hessian_times_vector(self):
        W = cr.tensor(RNG.standard_normal((3, 5)))

        def f(x):
            return (cr.tanh(W @ x) ** 2).sum() + (x * x * x).sum()

        x, v = cr.tensor(RNG.standard_normal(5)), cr.tensor(RNG.standard_normal(5))
        H = cr.hessian(f)(x).numpy()
        np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cr.hvp(f, (x,), (v,)).numpy(), H @ v.numpy(), rtol=1e-11, atol=1e-13)


# ----------------------------------------------------------------------------- jacfwd == jacrev
W35 = RNG.standard_normal((3, 5))
FUNCTIONS = {
    "affine_tanh": lambda x: cr.tanh(cr.tensor(W35) @ x + 1.0),
    "softmax_like": lambda x: cr.exp(x) / cr.exp(x).sum(),
    "outer_products": lambda x: (x.reshape(5, 1) * x.reshape(1, 5)).sum(0) * cr.sin(x),
    "indexing_and_concat": lambda x: cr.concatenate([x[1:] * x[:-1], x[::2] ** 2]),
    "matrix_valued": lambda x: cr.stack([x, cr.cos(x)]).T @ cr.tensor(W35[:2]),
    "scalar": lambda x: (cr.log1p(x * x) * x).mean(),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_jacfwd_equals_jacrev(name):
    f = FUNCTIONS[name]
    x = cr.tensor(RNG.standard_normal(5))
    Jf, Jr = cr.jacfwd(f)(x), cr.jacrev(f)(x)
    assert Jf.shape == Jr.shape == tuple(f(x).shape) + (5,)
    np.testing.assert_allclose(Jf.numpy(), Jr.numpy(), rtol=1e-12, atol=1e-14)
    # and both agree with central differences
    eps = 1e-6
    x0 = x.numpy()
    fd = np.stack([(f(cr.tensor(x0 + eps * e)).numpy() - f(cr.tensor(x0 - eps * e)).numpy()) / (2 * eps)
                   for e in np.eye(5)], axis=-1)
    np.testing.assert_allclose(Jr.numpy(), fd, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- broadcasting
class TestBroadcastGradients:
    @pytest.mark.parametrize("shape_a,shape_b", [((3, 1), (1, 4)), ((), (2, 3)), ((4,), (2, 3, 4)),
                                                 ((2, 1, 4), (3, 1))])
    def test_gradient_has_input_shape_and_is_summed(self, shape_a, shape_b):
        a = RNG.standard_normal(shape_a)
        b = RNG.standard_normal(shape_b)
        ga, gb = cr.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(cr.tensor(a), cr.tensor(b))
        assert ga.shape == shape_a and gb.shape == shape_b
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        bb, ba = np.broadcast_to(b, out_shape), np.broadcast_to(a, out_shape)
        # sum over the axes that broadcasting added or stretched
        np.testing.assert_allclose(ga.numpy(), _sum_to(bb, shape_a), rtol=1e-12)
        np.testing.assert_allclose(gb.numpy(), _sum_to(ba, shape_b), rtol=1e-12)

    def test_second_derivative_through_broadcast(self):
        # f(b) = sum((M + b)³), b a row: d²f/db² = diag(6 Σ_rows (M + b))
        M = RNG.standard_normal((3, 4))
        b = RNG.standard_normal(4)
        H = cr.hessian(lambda t: ((cr.tensor(M) + t) ** 3).sum())(cr.tensor(b))
        np.testing.assert_allclose(H.numpy(), np.diag(6 * (M + b).sum(0)), rtol=1e-12)

    def test_forward_mode_tangent_of_broadcast(self):
        y, t = cr.jvp(lambda s: s * cr.tensor(np.ones((2, 3))), (cr.tensor(2.0, dtype=cr.float64),),
                      (cr.tensor(1.0, dtype=cr.float64),))
        assert t.shape == (2, 3)
        np.testing.assert_array_equal(t.numpy(), np.ones((2, 3)))


def _sum_to(a, shape):
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


# ----------------------------------------------------------------------------- PyTorch
class TestAgainstTorch:
    def test_gradients_and_hessians_of_composites(self):
        torch = pytest.importorskip("torch")
        from torch.func import hessian as t_hessian, jacrev as t_jacrev
        W0 = RNG.standard_normal((4, 6))
        x0 = RNG.standard_normal(6)

        def mlp_loss(x, lib, W):
            h = lib.tanh(W @ x)
            return (lib.log1p(h * h) * lib.exp(-h)).sum() + (x ** 3).mean() / (1 + (x * x).sum())

        def vec_fn(x, lib, W):
            return lib.sin(W @ x) * (x[:4] ** 2)

        cW, tW = cr.tensor(W0), torch.tensor(W0)
        xt = torch.tensor(x0)
        g = cr.grad(lambda x: mlp_loss(x, cr, cW))(cr.tensor(x0)).numpy()
        H = cr.hessian(lambda x: mlp_loss(x, cr, cW))(cr.tensor(x0)).numpy()
        J = cr.jacobian(lambda x: vec_fn(x, cr, cW))(cr.tensor(x0)).numpy()
        tg = t_jacrev(lambda x: mlp_loss(x, torch, tW))(xt).numpy()
        tH = t_hessian(lambda x: mlp_loss(x, torch, tW))(xt).numpy()
        tJ = torch.autograd.functional.jacobian(lambda x: vec_fn(x, torch, tW), xt).numpy()
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(H, tH, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(J, tJ, rtol=1e-10, atol=1e-13)

    def test_hvp_matches_torch(self):
        torch = pytest.importorskip("torch")
        x0, v0 = RNG.standard_normal(5), RNG.standard_normal(5)

        def f(x, lib):
            return (lib.sigmoid(x) * lib.cos(x)).sum() ** 2

        got = cr.hvp(lambda x: f(x, cr), (cr.tensor(x0),), (cr.tensor(v0),)).numpy()
        _, expected = torch.autograd.functional.hvp(lambda x: f(x, torch), torch.tensor(x0), torch.tensor(v0))
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-10, atol=1e-13)
