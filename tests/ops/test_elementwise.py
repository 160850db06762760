"""The elementwise and piecewise chapters: conventions at kinks and ties, stability at extreme inputs,
higher derivatives, agreement with PyTorch in float64, and the Tensor's operators.

Derivatives at generic points are checked by the specs (``specs/elementwise.py``, run by
tests/ops/test_specs.py); here are the points the specs avoid on purpose.  Every
convention is checked in reverse mode, in forward mode and at second order.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special

import chainrule as cr
from chainrule.ops import elementwise as E, piecewise as P

RNG = np.random.default_rng(11)


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def arr(t):
    return np.asarray(t.numpy())


def rev(f, x):
    """df/dx by reverse mode (x and the result shaped alike, f applied elementwise)."""
    return arr(cr.grad(lambda x: f(x).sum())(t64(x)))


def fwd(f, x):
    """df/dx by forward mode (a tangent of ones: the diagonal of an elementwise Jacobian)."""
    x = t64(x)
    return arr(cr.jvp(f, (x,), (cr.ones_like(x),))[1])


def second(f, x):
    """d²f/dx² three ways: reverse over reverse, forward over reverse, forward over forward."""
    x = t64(x)
    ones = cr.ones_like(x)
    g = cr.grad(lambda x: f(x).sum())
    rr = arr(cr.grad(lambda x: g(x).sum())(x))
    fr = arr(cr.jvp(g, (x,), (ones,))[1])
    ff = arr(cr.jvp(lambda x: cr.jvp(f, (x,), (cr.ones_like(x),))[1], (x,), (ones,))[1])
    return rr, fr, ff


def all_modes(f, x):
    """First derivatives by both modes, and the three second derivatives."""
    return (rev(f, x), fwd(f, x)), second(f, x)


@pytest.fixture(autouse=True)
def no_floating_point_warnings():
    """Conventions and stable forms must not compute inf/NaN on the way (0 · inf, exp overflow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ----------------------------------------------------------------------------- kinks
def test_abs_derivative_at_zero_is_zero():
    x = [-2.0, 0.0, 3.0]
    for d in all_modes(P.abs, x)[0]:
        np.testing.assert_array_equal(d, [-1.0, 0.0, 1.0])
    for d in all_modes(P.abs, x)[1]:
        np.testing.assert_array_equal(d, [0.0, 0.0, 0.0])


def test_relu_derivative_at_zero_is_zero():
    x = [-2.0, 0.0, 3.0]
    firsts, seconds = all_modes(cr.relu, x)
    for d in firsts:
        np.testing.assert_array_equal(d, [0.0, 0.0, 1.0])
    for d in seconds:
        np.testing.assert_array_equal(d, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(arr(t64(x).relu()), [0.0, 0.0, 3.0])
    assert "relu}'(0) = 0" in P.relu.formulas["convention"]


def test_relu_keeps_the_dtype():
    assert cr.relu(cr.tensor([1.0, -1.0])).dtype == np.float32


@pytest.mark.parametrize("op, winner", [(P.maximum, "larger"), (P.minimum, "smaller")])
def test_max_min_ties_split_the_gradient_evenly(op, winner):
    x, y = t64([1.5, 2.0, -1.0]), t64([1.5, 1.0, 3.0])
    gx, gy = cr.grad(lambda x, y: op(x, y).sum(), argnums=(0, 1))(x, y)
    wins_x = [0.5, 1.0, 0.0] if winner == "larger" else [0.5, 0.0, 1.0]
    np.testing.assert_array_equal(arr(gx), wins_x)
    np.testing.assert_array_equal(arr(gy), 1.0 - np.array(wins_x))
    # forward mode: each tangent alone, then both (the tie moves with both: slope 1)
    zeros, ones = cr.zeros_like(x), cr.ones_like(x)
    np.testing.assert_array_equal(arr(cr.jvp(op, (x, y), (ones, zeros))[1]), wins_x)
    np.testing.assert_array_equal(arr(cr.jvp(op, (x, y), (zeros, ones))[1]), 1.0 - np.array(wins_x))
    np.testing.assert_array_equal(arr(cr.jvp(op, (x, y), (ones, ones))[1]), [1.0, 1.0, 1.0])
    # second order: the partials are piecewise constant
    hessian = cr.hessian(lambda xy: op(xy[0], xy[1]).sum())(cr.stack([x, y]))
    np.testing.assert_array_equal(arr(hessian), np.zeros((2, 3, 2, 3)))


@pytest.mark.parametrize("lo, hi, expected", [
    (-0.5, 0.5, [0.0, 1.0, 1.0, 1.0, 0.0]),       # 1 on the closed interval, bounds included
    (-0.5, None, [0.0, 1.0, 1.0, 1.0, 1.0]),
    (None, 0.5, [1.0, 1.0, 1.0, 1.0, 0.0]),
])
def test_clip_derivative_is_one_on_the_closed_interval(lo, hi, expected):
    x = [-1.0, -0.5, 0.0, 0.5, 1.0]
    firsts, seconds = all_modes(lambda x: P.clip(x, lo, hi), x)
    for d in firsts:
        np.testing.assert_array_equal(d, expected)
    for d in seconds:
        np.testing.assert_array_equal(d, np.zeros(5))


def test_clip_tensor_bounds_receive_gradient_where_active():
    x = t64([-1.0, -0.5, 0.0, 0.5, 1.0])
    lo, hi = t64(-0.5), t64([0.5, 0.5, 0.5, 0.5, 0.25])
    gx, glo, ghi = cr.grad(lambda x, lo, hi: P.clip(x, lo, hi).sum(), argnums=(0, 1, 2))(x, lo, hi)
    np.testing.assert_array_equal(arr(gx), [0.0, 1.0, 1.0, 1.0, 0.0])
    assert arr(glo) == 1.0                                   # only x = -1 is below; x = lo belongs to x
    np.testing.assert_array_equal(arr(ghi), [0.0, 0.0, 0.0, 0.0, 1.0])
    # forward mode along the bounds
    zeros = cr.zeros_like(x)
    np.testing.assert_array_equal(arr(cr.jvp(P.clip, (x, lo, hi), (zeros, t64(1.0), cr.zeros_like(hi)))[1]),
                                  [1.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(arr(cr.jvp(P.clip, (x, lo, hi), (zeros, t64(0.0), cr.ones_like(hi)))[1]),
                                  [0.0, 0.0, 0.0, 0.0, 1.0])
    # second order: zero
    h = cr.hessian(lambda b: P.clip(x, b[0], b[1]).sum())(t64([-0.5, 0.25]))
    np.testing.assert_array_equal(arr(h), np.zeros((2, 2)))


def test_clip_with_min_above_max_gives_max_and_its_gradient():
    x, lo, hi = t64([0.0, 2.0, -2.0]), t64(1.0), t64(-1.0)
    np.testing.assert_array_equal(arr(P.clip(x, lo, hi)), np.clip(arr(x), 1.0, -1.0))
    gx, glo, ghi = cr.grad(lambda x, lo, hi: P.clip(x, lo, hi).sum(), argnums=(0, 1, 2))(x, lo, hi)
    np.testing.assert_array_equal(arr(gx), [0.0, 0.0, 0.0])
    assert arr(glo) == 0.0 and arr(ghi) == 3.0


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="at least one of min and max"):
        P.clip(t64([1.0]))


# ----------------------------------------------------------------------------- pow
@pytest.mark.parametrize("exponent", [0, 0.0, "tensor"])
def test_pow_derivative_of_x_to_the_zero_is_zero_at_zero(exponent):
    y = t64([0.0, 0.0]) if exponent == "tensor" else exponent
    f = lambda x: E.power(x, y)  # noqa: E731
    firsts, seconds = all_modes(f, [0.0, 2.0])
    for d in firsts + seconds:
        np.testing.assert_array_equal(d, [0.0, 0.0])


def test_pow_second_derivative_at_zero_base_with_tensor_exponents():
    # x^y with y a tensor: d²/dx² at x = 0 is 0 for y = 0 and y = 1, and 2 for y = 2
    y = t64([0.0, 1.0, 2.0])
    for d in second(lambda x: E.power(x, y), [0.0, 0.0, 0.0]):
        np.testing.assert_array_equal(d, [0.0, 0.0, 2.0])


@pytest.mark.parametrize("y", [0.0, 0.5, 2.0, 3.0])
def test_pow_exponent_derivative_is_zero_at_zero_base(y):
    x = t64([0.0, 2.0])
    f = lambda y: E.power(x, y)  # noqa: E731
    firsts, seconds = all_modes(f, [y, y])
    for d in firsts:
        np.testing.assert_allclose(d, [0.0, 2.0 ** y * math.log(2.0)], rtol=1e-14)
    for d in seconds:
        np.testing.assert_allclose(d, [0.0, 2.0 ** y * math.log(2.0) ** 2], rtol=1e-14)


def test_pow_integer_exponent_at_negative_bases():
    x = t64([-2.0, -0.5, 3.0])
    np.testing.assert_allclose(rev(lambda x: x ** 3, arr(x)), 3 * arr(x) ** 2)
    np.testing.assert_allclose(fwd(lambda x: E.power(x, t64(3.0)), arr(x)), 3 * arr(x) ** 2)
    np.testing.assert_allclose(second(lambda x: x ** 3, arr(x))[0], 6 * arr(x))


# ----------------------------------------------------------------------------- where
def test_where_does_not_leak_nan_from_the_unselected_value():
    cond = cr.tensor(np.array([True, True, False]))
    x, y = t64([1.0, 2.0, 3.0]), t64([np.nan, np.inf, 1.0])
    gx, gy = cr.grad(lambda x, y: E.where(cond, x, y).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(arr(gx), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(arr(gy), [0.0, 0.0, 1.0])
    ydot = cr.jvp(lambda x: E.where(cond, x, y), (x,), (cr.ones_like(x),))[1]
    np.testing.assert_array_equal(arr(ydot), [1.0, 1.0, 0.0])


def test_where_double_where_keeps_the_gradient_finite():
    x = [0.0, 4.0]
    # Naive: the unselected branch's cotangent is 0, but sqrt'(0) = inf makes 0 · inf = NaN
    # (PyTorch and JAX behave the same).  This is why the "double where" exists.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        naive = rev(lambda x: E.where(x > 0, E.sqrt(x), 0.0), x)
    assert np.isnan(naive[0]) and naive[1] == 0.25

    def double_where(x):
        safe = E.where(x > 0, x, 1.0)
        return E.where(x > 0, E.sqrt(safe), 0.0)

    firsts, seconds = all_modes(double_where, x)
    for d in firsts:
        np.testing.assert_array_equal(d, [0.0, 0.25])
    for d in seconds:
        np.testing.assert_allclose(d, [0.0, -0.25 * 4.0 ** -1.5])


# ----------------------------------------------------------------------------- piecewise constant
@pytest.mark.parametrize("op", [P.sign, P.floor, P.ceil, P.round])
def test_piecewise_constant_ops_have_zero_derivatives(op):
    x = [-1.7, -0.5, 0.0, 0.4, 2.5]
    value = np.asarray(arr(op(t64(x))))
    # op(x) * x differentiates to op(x): op itself contributes nothing
    np.testing.assert_array_equal(rev(lambda x: op(x) * x, x), value)
    np.testing.assert_array_equal(fwd(lambda x: op(x) * x, x), value)
    np.testing.assert_array_equal(fwd(op, x), np.zeros(5))
    for d in second(lambda x: op(x) * x, x):
        np.testing.assert_array_equal(d, np.zeros(5))


def test_comparisons_and_casts_to_integers_are_constants():
    x = t64([-1.0, 0.5, 2.0])
    for f in (lambda x: (x > 0) * x, lambda x: E.astype(x, np.int64) * x, lambda x: E.isfinite(x) * x):
        g = cr.grad(lambda x: f(x).sum())(x)
        np.testing.assert_array_equal(arr(g), arr(f(x).detach()) / arr(x))


# ----------------------------------------------------------------------------- stability
def test_sigmoid_softplus_logaddexp_at_plus_minus_1000():
    x = t64([-1000.0, 1000.0])
    np.testing.assert_array_equal(arr(E.sigmoid(x)), [0.0, 1.0])
    np.testing.assert_array_equal(rev(E.sigmoid, arr(x)), [0.0, 0.0])
    np.testing.assert_array_equal(arr(E.softplus(x)), [0.0, 1000.0])
    np.testing.assert_array_equal(rev(E.softplus, arr(x)), [0.0, 1.0])
    for f in (E.sigmoid, E.softplus):
        for d in (fwd(f, arr(x)),) + second(f, arr(x)):
            assert np.all(np.isfinite(d))
    a, b = t64([1000.0, -1000.0, 1000.0]), t64([-1000.0, -1000.0, 1000.0])
    np.testing.assert_allclose(arr(E.logaddexp(a, b)), [1000.0, -1000.0 + math.log(2), 1000.0 + math.log(2)])
    ga, gb = cr.grad(lambda a, b: E.logaddexp(a, b).sum(), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(arr(ga), [1.0, 0.5, 0.5])
    np.testing.assert_allclose(arr(gb), [0.0, 0.5, 0.5])
    h = cr.hessian(lambda ab: E.logaddexp(ab[0], ab[1]).sum())(cr.stack([a, b]))
    assert np.all(np.isfinite(arr(h)))


def test_expm1_and_log1p_are_accurate_near_zero():
    x = 1e-10
    # series: expm1(x) = x + x²/2 + ..., log1p(x) = x - x²/2 + ...
    assert arr(E.expm1(t64(x))) == pytest.approx(x + x * x / 2, rel=1e-15)
    assert arr(E.log1p(t64(x))) == pytest.approx(x - x * x / 2, rel=1e-15)
    assert rev(E.expm1, [x])[0] == pytest.approx(1.0 + x, rel=1e-15)
    assert fwd(E.log1p, [x])[0] == pytest.approx(1.0 / (1.0 + x), rel=1e-15)
    assert second(E.log1p, [x])[0][0] == pytest.approx(-1.0 / (1.0 + x) ** 2, rel=1e-15)


# ----------------------------------------------------------------------------- higher derivatives
@pytest.mark.parametrize("f", [lambda x: E.exp(-x * x), lambda x: E.exp(-x ** 2), lambda x: E.exp(-E.square(x))],
                         ids=["exp(-x*x)", "exp(-x**2)", "exp(-square(x))"])
def test_fourth_derivative_of_a_gaussian_at_zero_is_12(f):
    # d⁴/dx⁴ e^{-x²} = (16x⁴ - 48x² + 12) e^{-x²}: 12 at 0 (HIPS/autograd issue #116)
    d = f
    for _ in range(4):
        d = cr.grad(d)
    assert arr(d(t64(0.0))) == pytest.approx(12.0, abs=1e-12)

    def forward_derivative(g):
        return lambda x: cr.jvp(g, (x,), (cr.ones_like(x),))[1]
    d = f
    for _ in range(4):
        d = forward_derivative(d)
    assert arr(d(t64(0.0))) == pytest.approx(12.0, abs=1e-12)
    mixed = forward_derivative(cr.grad(forward_derivative(cr.grad(f))))
    assert arr(mixed(t64(0.0))) == pytest.approx(12.0, abs=1e-12)
    x = 0.7
    assert arr(mixed(t64(x))) == pytest.approx((16 * x**4 - 48 * x**2 + 12) * math.exp(-x * x), rel=1e-12)


# ----------------------------------------------------------------------------- against PyTorch
def _real(shape):
    return RNG.standard_normal(shape)


def _positive(shape):
    return RNG.uniform(0.5, 2.5, shape)


def _unit(shape):
    return RNG.uniform(-0.9, 0.9, shape)


def _nonzero(shape):
    return RNG.uniform(0.5, 2.0, shape) * RNG.choice([-1.0, 1.0], shape)


def _torch_unary(torch):
    F = torch.nn.functional
    return {
        "negative": (E.negative, torch.neg, _real), "square": (E.square, torch.square, _real),
        "reciprocal": (E.reciprocal, torch.reciprocal, _nonzero), "sqrt": (E.sqrt, torch.sqrt, _positive),
        "exp": (E.exp, torch.exp, _real), "expm1": (E.expm1, torch.expm1, _real),
        "log": (E.log, torch.log, _positive), "log1p": (E.log1p, torch.log1p, _positive),
        "sin": (E.sin, torch.sin, _real), "cos": (E.cos, torch.cos, _real), "tan": (E.tan, torch.tan, _unit),
        "arcsin": (E.arcsin, torch.asin, _unit), "arccos": (E.arccos, torch.acos, _unit),
        "arctan": (E.arctan, torch.atan, _real), "sinh": (E.sinh, torch.sinh, _real),
        "cosh": (E.cosh, torch.cosh, _real), "tanh": (E.tanh, torch.tanh, _real),
        "erf": (E.erf, torch.special.erf, _real), "sigmoid": (E.sigmoid, torch.sigmoid, _real),
        "softplus": (E.softplus, F.softplus, _real), "abs": (P.abs, torch.abs, _nonzero),
        "relu": (P.relu, torch.relu, _nonzero),
        "pow 2.5": (lambda x: E.power(x, 2.5), lambda x: torch.pow(x, 2.5), _positive),
        "pow 3": (lambda x: E.power(x, 3), lambda x: torch.pow(x, 3), _real),
        "clip": (lambda x: P.clip(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5), _real),
        "astype": (lambda x: E.astype(E.astype(x, np.float32), np.float64) * x,
                   lambda x: x.to(torch.float32).to(torch.float64) * x, _real),
    }


def _torch_binary(torch):
    return {
        "add": (E.add, torch.add, _real, _real), "subtract": (E.subtract, torch.sub, _real, _real),
        "multiply": (E.multiply, torch.mul, _real, _real), "divide": (E.divide, torch.div, _real, _nonzero),
        "power": (E.power, torch.pow, _positive, _real),
        "logaddexp": (E.logaddexp, torch.logaddexp, _real, _real),
        "arctan2": (E.arctan2, torch.atan2, _nonzero, _real),
        "maximum": (P.maximum, torch.maximum, _real, _real), "minimum": (P.minimum, torch.minimum, _real, _real),
        "where": (lambda x, y: E.where(x > y, x * y, y), lambda x, y: torch.where(x > y, x * y, y), _real, _real),
        "clip tensor bounds": (lambda x, b: P.clip(x, b - 1.0, b + 1.0),
                               lambda x, b: torch.clamp(x, b - 1.0, b + 1.0), lambda s: 3 * _real(s), _real),
    }


def _chainrule_derivatives(f, xs, w, vs):
    """Values, the gradient of <w, f(xs)>, and the derivative of <gradient, v> (second order)."""
    xs = [t64(x) for x in xs]
    nums = tuple(range(len(xs)))

    def first(*xs):
        return (f(*xs) * t64(w)).sum()

    def second(*xs):
        gs = cr.grad(first, argnums=nums)(*xs)
        return sum((g * t64(v)).sum() for g, v in zip(gs, vs))
    return (arr(f(*xs)), [arr(g) for g in cr.grad(first, argnums=nums)(*xs)],
            [arr(g) for g in cr.grad(second, argnums=nums)(*xs)])


def _torch_derivatives(torch, f, xs, w, vs):
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = f(*xs)
    gs = torch.autograd.grad((y * torch.tensor(w)).sum(), xs, create_graph=True)
    inner = sum((g * torch.tensor(v)).sum() for g, v in zip(gs, vs))
    # a linear op's gradient is constant: PyTorch then has no graph to differentiate
    hs = torch.autograd.grad(inner, xs, allow_unused=True) if inner.requires_grad else [None] * len(xs)
    hs = [np.zeros(x.shape) if h is None else h.detach().numpy(force=True) for h, x in zip(hs, xs)]
    return y.detach().numpy(), [g.detach().numpy() for g in gs], hs


def _compare(torch, ours, theirs, domains, shapes):
    xs = [d(s) for d, s in zip(domains, shapes)]
    out_shape = np.broadcast_shapes(*shapes)
    w = RNG.standard_normal(out_shape)
    vs = [RNG.standard_normal(s) for s in shapes]
    got = _chainrule_derivatives(ours, xs, w, vs)
    want = _torch_derivatives(torch, theirs, xs, w, vs)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
    for g, h in zip(got[1] + got[2], want[1] + want[2]):
        np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


_UNARY_NAMES = ["negative", "square", "reciprocal", "sqrt", "exp", "expm1", "log", "log1p", "sin", "cos", "tan",
                "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "erf", "sigmoid", "softplus", "abs", "relu",
                "pow 2.5", "pow 3", "clip", "astype"]


@pytest.mark.parametrize("name", _UNARY_NAMES)
def test_unary_ops_agree_with_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, domain = _torch_unary(torch)[name]
    for shape in [(), (7,), (3, 4)]:
        _compare(torch, ours, theirs, [domain], [shape])


_BINARY_NAMES = ["add", "subtract", "multiply", "divide", "power", "logaddexp", "arctan2", "maximum", "minimum",
                 "where", "clip tensor bounds"]


@pytest.mark.parametrize("name", _BINARY_NAMES)
def test_binary_ops_agree_with_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, dx, dy = _torch_binary(torch)[name]
    for shapes in [((), ()), ((5,), (5,)), ((3, 1), (1, 4)), ((2, 3), ())]:
        _compare(torch, ours, theirs, [dx, dy], shapes)


def test_erf_matches_scipy():
    x = RNG.standard_normal(20)
    np.testing.assert_allclose(arr(E.erf(t64(x))), scipy.special.erf(x), rtol=1e-15)


# ----------------------------------------------------------------------------- Tensor operators
def test_operators_with_numbers_and_arrays_in_both_orders():
    a = RNG.standard_normal((2, 3))
    b = RNG.uniform(0.5, 2.0, (2, 3))
    x = t64(b)
    cases = [
        (x + 2.0, b + 2.0), (2.0 + x, 2.0 + b), (x - 2.0, b - 2.0), (2.0 - x, 2.0 - b),
        (x * 3.0, b * 3.0), (3.0 * x, 3.0 * b), (x / 4.0, b / 4.0), (4.0 / x, 4.0 / b),
        (x ** 2, b ** 2), (2.0 ** x, 2.0 ** b), (x ** 0.5, b ** 0.5), (-x, -b),
        (x + a, b + a), (a + x, a + b), (a - x, a - b), (a * x, a * b), (a / x, a / b), (b.T ** x.T, b.T ** b.T),
        (x @ a.T, b @ a.T), (a.T @ x, a.T @ b), (x @ t64(a.T), b @ a.T),
    ]
    for got, want in cases:
        assert isinstance(got, cr.Tensor)
        np.testing.assert_allclose(arr(got), want, rtol=1e-15)


def test_reflected_operators_differentiate():
    x = t64([0.5, 1.5])
    np.testing.assert_allclose(rev(lambda x: 2.0 - x, arr(x)), [-1.0, -1.0])
    np.testing.assert_allclose(rev(lambda x: 2.0 / x, arr(x)), -2.0 / arr(x) ** 2)
    np.testing.assert_allclose(rev(lambda x: 2.0 ** x, arr(x)), 2.0 ** arr(x) * math.log(2.0))
    np.testing.assert_allclose(fwd(lambda x: np.array([3.0, 4.0]) * x, arr(x)), [3.0, 4.0])
    np.testing.assert_allclose(rev(lambda x: -x, arr(x)), [-1.0, -1.0])


def test_comparisons_return_boolean_tensors():
    x = t64([1.0, 2.0, 3.0])
    a = np.array([2.0, 2.0, 2.0])
    for got, want in [(x < 2.0, [True, False, False]), (x <= 2.0, [True, True, False]),
                      (x > 2.0, [False, False, True]), (x >= 2.0, [False, True, True]),
                      (x == 2.0, [False, True, False]), (x != 2.0, [True, False, True]),
                      (2.0 < x, [False, False, True]), (a < x, [False, False, True]), (a == x, [False, True, False]),
                      ((x > 1.0) & (x < 3.0), [False, True, False]), ((x < 2.0) | (x > 2.0), [True, False, True]),
                      (~(x > 1.0), [True, False, False])]:
        assert isinstance(got, cr.Tensor) and got.dtype == np.bool_
        np.testing.assert_array_equal(arr(got), want)


def test_operators_keep_float32_with_python_numbers_and_promote_with_float64_arrays():
    x = cr.tensor([1.0, 2.0])
    assert (x * 2.0).dtype == np.float32 and (2.0 - x).dtype == np.float32 and (x ** 2).dtype == np.float32
    assert (x + np.array([1.0, 1.0])).dtype == np.float64


def test_broadcasting_error_names_the_shapes():
    with pytest.raises(cr.ShapeError, match=r"\(2×3\) and \(4\)"):
        E.add(t64(np.ones((2, 3))), t64(np.ones(4)))
