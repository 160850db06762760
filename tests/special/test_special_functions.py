"""The special-functions chapter beyond its specs: wide ranges and extreme arguments,
conventions at the edges (xlogy at 0), derivatives of order 2 and 3 in both modes, dtypes,
and agreement with PyTorch.  The derivatives of the incomplete functions in their shape
parameters are tested in test_shape_derivatives.py.

Generic points (values and derivatives to order 2) are covered by the OpSpecs in
``chainrule/specs/special.py``, run by tests/ops/test_specs.py.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sc

import chainrule as cr
from chainrule.ops import incomplete as INC
from chainrule.ops import special as S
from chainrule.testing import check_grads


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def grad_of(f, x):
    return np.asarray(cr.grad(lambda x: f(x).sum())(t64(x)).numpy())


def fwd_of(f, x):
    x = t64(x)
    return np.asarray(cr.jvp(f, (x,), (cr.ones_like(x),))[1].numpy())


# ----------------------------------------------------------------------------- values on wide ranges
@pytest.mark.parametrize("name, fn, ref, x", [
    ("gammaln", S.gammaln, sc.gammaln, np.concatenate([np.geomspace(1e-8, 1e8, 40), -np.linspace(0.1, 7.9, 20) - 0.05])),
    ("digamma", S.digamma, sc.digamma, np.concatenate([np.geomspace(1e-6, 1e6, 40), [-0.5, -1.5, -2.3]])),
    ("erfc", S.erfc, sc.erfc, np.linspace(-6, 26, 60)),
    ("erfinv", S.erfinv, sc.erfinv, np.concatenate([np.linspace(-0.999999, 0.999999, 50), [-1.0, 1.0, 0.0]])),
    ("ndtr", S.ndtr, sc.ndtr, np.linspace(-38, 9, 60)),
    ("log_ndtr", S.log_ndtr, sc.log_ndtr, np.linspace(-1e3, 40, 80)),
    ("ndtri", S.ndtri, sc.ndtri, np.concatenate([np.geomspace(1e-300, 0.5, 30), 1 - np.geomspace(1e-16, 0.5, 30)])),
])
def test_values_on_wide_ranges(name, fn, ref, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = ref(x)
    np.testing.assert_allclose(fn(t64(x)).numpy(), want, rtol=1e-14, atol=0, err_msg=name)


def test_polygamma_orders_and_the_bad_order():
    x = np.linspace(0.2, 5.0, 9)
    for n in range(5):
        np.testing.assert_allclose(S.polygamma(n, t64(x)).numpy(), sc.polygamma(n, x), rtol=1e-13)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="polygamma: the order n must be a non-negative integer"):
            S.polygamma(bad, t64(x))


def test_incomplete_functions_and_inverses_against_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.1, 30, 50), rng.uniform(0.1, 30, 50)
    x, p = rng.uniform(0.0, 40, 50), rng.uniform(0.0, 1.0, 50)
    u = rng.uniform(0, 1, 50)
    np.testing.assert_allclose(INC.gammainc(t64(a), t64(x)).numpy(), sc.gammainc(a, x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(INC.gammaincc(t64(a), t64(x)).numpy(), sc.gammaincc(a, x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(INC.gammaincinv(t64(a), t64(p)).numpy(), sc.gammaincinv(a, p), rtol=1e-13)
    np.testing.assert_allclose(INC.betainc(t64(a), t64(b), t64(u)).numpy(), sc.betainc(a, b, u), rtol=1e-13)
    np.testing.assert_allclose(INC.betaincinv(t64(a), t64(b), t64(p)).numpy(), sc.betaincinv(a, b, p), rtol=1e-13)
    np.testing.assert_allclose(INC.stdtr(t64(a), t64(x - 20)).numpy(), sc.stdtr(a, x - 20), rtol=1e-13)
    np.testing.assert_allclose(INC.stdtrit(t64(a), t64(p)).numpy(), sc.stdtrit(a, p), rtol=1e-13)
    np.testing.assert_allclose(S.betaln(t64(a * 1e3), t64(b)).numpy(), sc.betaln(a * 1e3, b), rtol=1e-13)


def test_float32_stays_float32():
    x32 = cr.tensor(np.array([0.3, 1.7, 4.0], dtype=np.float32))
    for fn in (S.gammaln, S.digamma, lambda x: S.polygamma(2, x), S.erfc, S.ndtr, S.log_ndtr):
        out = fn(x32)
        assert out.dtype == np.float32
    assert S.xlogy(0.0, x32).dtype == np.float32


# ----------------------------------------------------------------------------- derivatives at the edges
def test_log_ndtr_derivative_is_finite_far_in_the_left_tail():
    x = np.array([-1e3, -200.0, -40.0, -10.0, 0.0, 5.0, 30.0])
    g = grad_of(S.log_ndtr, x)
    # phi/Phi = -x - 1/x + 2/x^3 + ... for x -> -inf (Mills' ratio); exact for moderate x via scipy
    exact = np.exp(-0.5 * x * x - 0.5 * math.log(2 * math.pi) - sc.log_ndtr(x))
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[:3], -x[:3] - 1 / x[:3] + 2 / x[:3] ** 3, rtol=1e-6)
    np.testing.assert_allclose(g[3:], exact[3:], rtol=1e-12, atol=1e-300)


def test_erfinv_and_ndtri_derivatives_near_the_edges():
    p = np.array([1e-12, 1e-6, 0.5, 1 - 1e-6])
    np.testing.assert_allclose(grad_of(S.ndtri, p), 1.0 / np.exp(-0.5 * sc.ndtri(p) ** 2 - 0.5 * math.log(2 * math.pi)),
                               rtol=1e-10)
    x = np.array([-0.999999, -0.5, 0.0, 0.9999])
    np.testing.assert_allclose(grad_of(S.erfinv, x), 0.5 * math.sqrt(math.pi) * np.exp(sc.erfinv(x) ** 2), rtol=1e-10)


@pytest.mark.parametrize("fn", [S.xlogy, S.xlog1py], ids=["xlogy", "xlog1py"])
def test_x_log_y_at_x_zero(fn):
    """0 log y = 0 for every y.  At x = 0 the derivatives are the true ones (d/dx = log y, d/dy = 0)
    where y is inside the domain, and 0 at the corner y = 0 (resp. -1): never NaN."""
    edge = 0.0 if fn is S.xlogy else -1.0
    log = np.log if fn is S.xlogy else np.log1p
    x, y = t64([0.0, 0.0, 0.0]), t64([edge, 0.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        np.testing.assert_array_equal(fn(x, y).numpy(), 0.0)
        gx, gy = cr.grad(lambda x, y: fn(x, y).sum(), argnums=(0, 1))(x, y)
        np.testing.assert_allclose(gx.numpy(), [0.0, log(0.5), log(2.0)])
        np.testing.assert_array_equal(gy.numpy(), 0.0)
        _, tangent = cr.jvp(lambda x, y: fn(x, y), (x, y), (cr.ones_like(x), cr.ones_like(y)))
        np.testing.assert_allclose(tangent.numpy(), [0.0, log(0.5), log(2.0)])
        # the mixed second derivative at x = 0 is 1/y (resp. 1/(1+y)), symmetric in both orders
        xy = cr.hessian(lambda v: fn(v[0], v[1]))(t64([0.0, 0.5])).numpy()
        shift = 0.0 if fn is S.xlogy else 1.0
        np.testing.assert_allclose(xy, [[0.0, 1 / (0.5 + shift)], [1 / (0.5 + shift), 0.0]])
        corner = cr.hessian(lambda v: fn(v[0], v[1]))(t64([0.0, edge])).numpy()
        assert np.all(np.isfinite(corner))
    # the derivative in x is continuous through x = 0: a Gamma log density with shape exactly 1
    check_grads(lambda x: fn(x, t64([0.5, 2.0])), [np.array([0.0, 0.0])], order=2)


def test_x_log_y_away_from_zero_and_number_operands():
    x, y = t64([2.0, -1.5]), t64([0.5, 3.0])
    gx, gy = cr.grad(lambda x, y: S.xlogy(x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx.numpy(), np.log([0.5, 3.0]))
    np.testing.assert_allclose(gy.numpy(), [4.0, -0.5])
    np.testing.assert_allclose(S.xlogy(2.0, y).numpy(), 2.0 * np.log([0.5, 3.0]))
    np.testing.assert_allclose(S.xlog1py(x, 1.0).numpy(), [2 * math.log(2), -1.5 * math.log(2)])


@pytest.mark.parametrize("fn, domain", [
    (S.gammaln, (0.4, 5.0)), (S.digamma, (0.4, 5.0)), (lambda x: S.polygamma(2, x), (0.4, 5.0)),
    (S.erfinv, (-0.8, 0.8)), (S.log_ndtr, (-8.0, 3.0)), (S.ndtri, (0.1, 0.9)), (S.erfc, (-2.0, 2.0)),
])
def test_third_derivatives(fn, domain):
    """Rules written in chainrule ops differentiate to any order: check order 3 numerically."""
    x = np.random.default_rng(0).uniform(*domain, 4)
    check_grads(fn, [x], order=3, rtol=1e-4, atol=1e-6)


def test_gradients_of_incomplete_functions_in_x_match_the_densities():
    a, x = 2.5, np.array([0.3, 1.0, 4.0])
    g = cr.grad(lambda x: INC.gammainc(t64(a), x).sum())(t64(x)).numpy()
    np.testing.assert_allclose(g, x ** (a - 1) * np.exp(-x) / math.gamma(a), rtol=1e-12)
    u = np.array([0.1, 0.5, 0.9])
    g = cr.grad(lambda u: INC.betainc(t64(2.0), t64(3.0), u).sum())(t64(u)).numpy()
    np.testing.assert_allclose(g, u * (1 - u) ** 2 * 12, rtol=1e-12)
    check_grads(lambda x: INC.gammaincc(t64(a), x), [x], order=2)
    check_grads(lambda t: INC.stdtr(t64(3.5), t), [np.array([-2.0, 0.1, 3.0])], order=2)


def test_tensor_methods():
    x = t64([0.5, 2.0])
    np.testing.assert_allclose(x.lgamma().numpy(), sc.gammaln([0.5, 2.0]))
    np.testing.assert_allclose(x.digamma().numpy(), sc.digamma([0.5, 2.0]))
    np.testing.assert_allclose(t64([0.3]).erfinv().numpy(), sc.erfinv([0.3]))


def test_catalogue_formulas_are_attached():
    for op in (S.gammaln, S.digamma.primitive, S.betaln, S.erfc, S.erfinv, S.ndtr, S.log_ndtr, S.ndtri,
               S.xlogy.primitive, S.xlog1py.primitive, INC.gammainc, INC.gammaincc, INC.betainc, INC.stdtr,
               INC.gammainc_da.primitive, INC.betainc_dab.primitive):
        assert "definition" in op.formulas and "derivative" in op.formulas, op.name


# ----------------------------------------------------------------------------- PyTorch in float64
def test_values_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.uniform(0.2, 4.0, 7)
    u = rng.uniform(-0.9, 0.9, 7)
    p = rng.uniform(0.05, 0.95, 7)
    cases = [
        (S.gammaln, torch.lgamma, x), (S.digamma, torch.digamma, x),
        (lambda v: S.polygamma(2, v), lambda v: torch.polygamma(2, v), x),
        (S.erfc, torch.erfc, u), (S.erfinv, torch.erfinv, u), (S.ndtr, torch.special.ndtr, u * 4),
        (S.log_ndtr, torch.special.log_ndtr, u * 8), (S.ndtri, torch.special.ndtri, p),
        (lambda v: S.xlogy(v, t64(x)), lambda v: torch.xlogy(v, torch.tensor(x)), u),
        (lambda v: S.xlog1py(t64(u), v), lambda v: torch.special.xlog1py(torch.tensor(u), v), x),
        (lambda v: INC.gammainc(t64(x), v), lambda v: torch.special.gammainc(torch.tensor(x), v), x),
        (lambda v: INC.gammaincc(t64(x), v), lambda v: torch.special.gammaincc(torch.tensor(x), v), x),
    ]
    for ours, theirs, v in cases:
        tv = torch.tensor(v, dtype=torch.float64, requires_grad=True)
        out = theirs(tv)
        (g,) = torch.autograd.grad(out.sum(), tv)
        np.testing.assert_allclose(ours(t64(v)).numpy(), out.detach().numpy(), rtol=1e-12, atol=1e-14)
        # torch's trigamma (the derivative of its digamma) is a series accurate to about 1e-9
        rtol = 1e-8 if theirs is torch.digamma else 1e-10
        np.testing.assert_allclose(grad_of(ours, v), g.numpy(), rtol=rtol, atol=1e-12, err_msg=str(theirs))
    # second derivative of lgamma: torch's trigamma
    tv = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(torch.lgamma(tv).sum(), tv, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), tv)
    second = grad_of(lambda v: cr.grad(lambda w: S.gammaln(w).sum())(v), x)
    np.testing.assert_allclose(second, h.numpy(), rtol=1e-8)
    np.testing.assert_allclose(second, sc.polygamma(1, x), rtol=1e-14)
