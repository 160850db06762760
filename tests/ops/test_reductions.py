"""The reductions chapter: values against NumPy/SciPy, conventions at ties and zeros,
stability, errors, and agreement with PyTorch in float64.

Derivatives at generic points are checked by the specs (tests/ops/test_specs.py);
here are the points the specs avoid on purpose: ties of max/min, exact zeros in
products (against closed forms written out by hand), infinities, empty axes.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.special

import chainrule as cr
from chainrule.ops import log_sum_exp as S, reductions as R

RNG = np.random.default_rng(7)
X3 = RNG.standard_normal((2, 3, 4))
AXES = [None, 0, 1, -1, (0, 2), (2, 0), (-1, -3), ()]


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def arr(t):
    return np.asarray(t.numpy())


# ----------------------------------------------------------------------------- values
REDUCTIONS = {
    "sum": (R.sum, np.sum),
    "prod": (R.prod, np.prod),
    "max": (R.max, np.max),
    "min": (R.min, np.min),
    "amax": (R.amax, np.amax),
    "amin": (R.amin, np.amin),
    "mean": (R.mean, np.mean),
    "var": (R.var, np.var),
    "std": (R.std, np.std),
    "logsumexp": (S.logsumexp, scipy.special.logsumexp),
    "all": (R.all, np.all),
    "any": (R.any, np.any),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_values_match_numpy_for_every_axis_and_keepdims(name, axis, keepdims):
    ours, ref = REDUCTIONS[name]
    x = X3 * (RNG.random(X3.shape) > 0.3) if name in ("all", "any") else X3
    got = ours(t64(x), axis=axis, keepdims=keepdims)
    want = ref(x, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(arr(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "logsumexp"])
def test_float32_stays_float32(name):
    x = cr.tensor(X3.astype(np.float32))
    assert REDUCTIONS[name][0](x, axis=1).dtype == np.float32


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_scalar_reduces_to_itself_and_accepts_axis_0_and_minus_1(name):
    ours, ref = REDUCTIONS[name]
    x = t64(1.5)
    for axis in (None, 0, -1):
        got = ours(x, axis=axis)
        assert got.shape == ()
        np.testing.assert_allclose(arr(got), ref(np.float64(1.5)))
    with pytest.raises(cr.ShapeError, match=rf"{ours.__name__}: axis 1 is out of range for a tensor of rank 0"):
        ours(x, axis=1)


def test_tensor_methods_call_the_chapter_functions():
    x = t64(X3)
    for method in ("sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "all", "any",
                   "cumsum", "cumprod", "argmax", "argmin"):
        np.testing.assert_allclose(arr(getattr(x, method)(axis=1)), arr(getattr(R, method)(x, axis=1)))
    for method in ("logsumexp", "softmax", "log_softmax"):
        np.testing.assert_allclose(arr(getattr(x, method)(axis=1)), arr(getattr(S, method)(x, axis=1)))
    assert x.max().shape == () and x.var(ddof=1).shape == ()


def test_public_names_are_exported():
    for name in ("prod", "max", "min", "amax", "amin", "var", "std", "cumsum", "cumprod", "argmax", "argmin",
                 "all", "any"):
        assert getattr(cr, name) is getattr(R, name)
    for name in ("logsumexp", "softmax", "log_softmax"):
        assert getattr(cr, name) is getattr(S, name)
    assert cr.nn.functional.softmax is cr.softmax and cr.nn.functional.log_softmax is cr.log_softmax


# ----------------------------------------------------------------------------- max and min: ties
class TestTies:
    """Ties share the gradient evenly: reverse, forward and second order agree."""

    X = np.array([1.0, 3.0, 3.0, -2.0])
    W_MAX = np.array([0.0, 0.5, 0.5, 0.0])

    @pytest.mark.parametrize("op", [cr.max, cr.amax, lambda x: x.max()])
    def test_reverse_mode_splits_evenly(self, op):
        np.testing.assert_allclose(arr(cr.grad(op)(t64(self.X))), self.W_MAX)

    def test_min_splits_evenly_among_three(self):
        x = np.array([0.5, -1.0, -1.0, 2.0, -1.0])
        np.testing.assert_allclose(arr(cr.grad(cr.min)(t64(x))), [0, 1 / 3, 1 / 3, 0, 1 / 3])
        np.testing.assert_allclose(arr(cr.grad(cr.amin)(t64(x))), [0, 1 / 3, 1 / 3, 0, 1 / 3])

    def test_forward_mode_averages_the_tied_tangents(self):
        v = np.array([10.0, 1.0, 4.0, 100.0])
        _, dy = cr.jvp(cr.max, (t64(self.X),), (t64(v),))
        np.testing.assert_allclose(arr(dy), 2.5)                    # (1 + 4) / 2
        jac_fwd = cr.jacfwd(cr.max)(t64(self.X))
        np.testing.assert_allclose(arr(jac_fwd), self.W_MAX)

    def test_along_an_axis_each_slice_splits_its_own_ties(self):
        x = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 4.0], [7.0, 7.0, 7.0]])
        want = np.array([[0.5, 0.5, 0], [0, 1, 0], [1 / 3, 1 / 3, 1 / 3]])
        for keepdims in (False, True):
            f = lambda t, k=keepdims: cr.sum(cr.max(t, axis=1, keepdims=k))  # noqa: E731
            np.testing.assert_allclose(arr(cr.grad(f)(t64(x))), want)
            np.testing.assert_allclose(arr(cr.jacfwd(f)(t64(x))), want)
        # over two axes at once: the two 7s... of the flattened tensor share
        np.testing.assert_allclose(arr(cr.grad(cr.max)(t64(x))), (x == 7) / 3.0)

    def test_second_order_at_a_tie(self):
        # f = max(x)^2: grad = 2 y w, Hessian = 2 w wᵀ with w the tie weights
        f = lambda x: cr.max(x) ** 2  # noqa: E731
        x = t64(self.X)
        np.testing.assert_allclose(arr(cr.grad(f)(x)), 2 * 3.0 * self.W_MAX)
        want = 2 * np.outer(self.W_MAX, self.W_MAX)
        np.testing.assert_allclose(arr(cr.hessian(f)(x)), want)                 # forward over reverse
        np.testing.assert_allclose(arr(cr.jacrev(cr.grad(f))(x)), want)        # reverse over reverse
        np.testing.assert_allclose(arr(cr.jacfwd(cr.jacfwd(f))(x)), want)      # forward over forward

    def test_convention_is_stated(self):
        assert "evenly" in cr.max.__doc__ and "evenly" in cr.min.__doc__
        assert "evenly" in R._max.formulas["convention"] and "evenly" in R._min.formulas["convention"]

    def test_nan_propagates_to_the_value(self):
        assert math.isnan(cr.max(t64([1.0, np.nan, 2.0])).item())


# ----------------------------------------------------------------------------- prod: zeros
def others_product(x):
    """∏_{j≠i} x_j for each i, by the definition (a loop: the test's own closed form)."""
    flat = x.reshape(-1)
    return np.array([np.prod(np.delete(flat, i)) for i in range(flat.size)]).reshape(x.shape)


def prod_hessian(x):
    """∂²∏x / ∂x_a ∂x_b = ∏_{j≠a,b} x_j (a ≠ b), 0 on the diagonal."""
    flat = x.reshape(-1)
    n = flat.size
    h = np.zeros((n, n))
    for a, b in itertools.permutations(range(n), 2):
        h[a, b] = np.prod(np.delete(flat, [a, b]))
    return h


class TestProdWithZeros:
    @pytest.mark.parametrize("x", [
        [2.0, 0.0, 3.0, -1.5],            # one zero: only it gets a gradient
        [0.0, 2.0, 0.0, 4.0],             # two zeros: every gradient is 0
        [0.0, 0.0, 0.0],
        [0.0],
        [1.5, -2.0, 0.5],
    ], ids=["one zero", "two zeros", "all zeros", "single zero", "no zero"])
    def test_gradient_and_hessian_match_the_closed_form(self, x):
        x = np.array(x)
        g = cr.grad(cr.prod)(t64(x))
        np.testing.assert_array_equal(np.isfinite(arr(g)), True)
        np.testing.assert_allclose(arr(g), others_product(x), atol=1e-15)
        np.testing.assert_allclose(arr(cr.jacfwd(cr.prod)(t64(x))), others_product(x), atol=1e-15)
        np.testing.assert_allclose(arr(cr.hessian(cr.prod)(t64(x))), prod_hessian(x), atol=1e-14)
        np.testing.assert_allclose(arr(cr.jacrev(cr.grad(cr.prod))(t64(x))), prod_hessian(x), atol=1e-14)

    def test_one_zero_gets_the_product_of_the_others(self):
        g = cr.grad(cr.prod)(t64([2.0, 0.0, 3.0]))
        np.testing.assert_allclose(arr(g), [0.0, 6.0, 0.0])

    @pytest.mark.parametrize("axis", [0, 1, (0, 2), (1, 2), None], ids=str)
    def test_along_axes_with_zeros(self, axis):
        x = RNG.standard_normal((2, 3, 4))
        x[0, 1, 2] = 0.0
        x[1, 0, 0] = x[1, 2, 3] = 0.0
        w = RNG.standard_normal(np.shape(np.prod(x, axis=axis)))
        f = lambda t: cr.sum(cr.prod(t, axis=axis) * t64(w))  # noqa: E731
        # closed form: x̄_k = w[slice of k] · (product of the slice with x_k replaced by 1)
        w_full = np.broadcast_to(np.prod(x, axis=axis, keepdims=True) * 0 + np.reshape(
            w, np.shape(np.prod(x, axis=axis, keepdims=True))), x.shape)
        want = np.empty_like(x)
        for k in np.ndindex(x.shape):
            x1 = x.copy()
            x1[k] = 1.0
            want[k] = np.broadcast_to(np.prod(x1, axis=axis, keepdims=True), x.shape)[k] * w_full[k]
        np.testing.assert_allclose(arr(cr.grad(f)(t64(x))), want, atol=1e-14)
        np.testing.assert_allclose(arr(cr.jacfwd(f)(t64(x))), want, atol=1e-14)

    def test_empty_product_is_one(self):
        assert cr.prod(t64(np.zeros((0,)))).item() == 1.0
        assert cr.prod(t64(np.zeros((2, 0))), axis=1).shape == (2,)


# ----------------------------------------------------------------------------- cumsum, cumprod
def cumprod_grad(x, g):
    """x̄_k = Σ_{i≥k} ḡ_i ∏_{j≤i, j≠k} x_j, by the definition."""
    n = x.size
    return np.array([sum(g[i] * np.prod(np.delete(x[:i + 1], k)) for i in range(k, n)) for k in range(n)])


class TestScans:
    @pytest.mark.parametrize("axis", [None, 0, 1, -1, -3])
    def test_values_match_numpy(self, axis):
        np.testing.assert_allclose(arr(cr.cumsum(t64(X3), axis=axis)), np.cumsum(X3, axis=axis))
        np.testing.assert_allclose(arr(cr.cumprod(t64(X3), axis=axis)), np.cumprod(X3, axis=axis))

    def test_scalar(self):
        assert cr.cumsum(t64(2.0)).shape == (1,)              # NumPy: the flattened tensor
        assert cr.cumsum(t64(2.0), axis=0).shape == ()        # PyTorch: a running total of one number
        assert cr.cumprod(t64(2.0), axis=-1).item() == 2.0

    def test_cumsum_gradient_is_a_reversed_cumsum(self):
        g = np.array([1.0, 2.0, 3.0, 4.0])
        _, pull = cr.vjp(lambda t: cr.cumsum(t, axis=0), t64(np.zeros(4)))
        np.testing.assert_allclose(arr(pull(t64(g))[0]), np.cumsum(g[::-1])[::-1])

    @pytest.mark.parametrize("x", [
        [2.0, 0.0, 3.0, -1.5, 0.5],
        [0.0, 2.0, 0.0, 4.0, 1.0],
        [1.0, 2.0, 3.0, 0.0],
        [0.5, -1.0, 2.0, 1.5, 3.0, -0.25, 1.25],
    ], ids=["one zero", "two zeros", "last zero", "no zero"])
    def test_cumprod_gradient_with_zeros_matches_the_closed_form(self, x):
        x = np.array(x)
        g = RNG.standard_normal(x.size)
        _, pull = cr.vjp(lambda t: cr.cumprod(t, axis=0), t64(x))
        np.testing.assert_allclose(arr(pull(t64(g))[0]), cumprod_grad(x, g), atol=1e-13)
        jac = np.stack([cumprod_grad(x, e) for e in np.eye(x.size)])      # J[i, k] = ∂y_i/∂x_k
        np.testing.assert_allclose(arr(cr.jacfwd(lambda t: cr.cumprod(t, axis=0))(t64(x))), jac, atol=1e-13)

    def test_cumprod_hessian_with_zeros(self):
        # the last output of cumprod is prod: its Hessian is the closed form of prod's
        x = np.array([1.5, 0.0, -2.0, 0.0, 0.5])
        f = lambda t: cr.cumprod(t, axis=0)[-1]  # noqa: E731
        np.testing.assert_allclose(arr(cr.hessian(f)(t64(x))), prod_hessian(x), atol=1e-14)
        np.testing.assert_allclose(arr(cr.jacrev(cr.grad(f))(t64(x))), prod_hessian(x), atol=1e-14)

    def test_axis_must_be_one_int(self):
        with pytest.raises(TypeError, match=r"cumsum: axis must be an int or None"):
            cr.cumsum(t64(X3), axis=(0, 1))
        with pytest.raises(cr.ShapeError, match=r"cumprod: axis 3 is out of range for a tensor of rank 3"):
            cr.cumprod(t64(X3), axis=3)


# ----------------------------------------------------------------------------- logsumexp, softmax
@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class TestStability:
    @pytest.mark.parametrize("shift", [1000.0, -1000.0])
    def test_logsumexp_far_from_zero(self, shift, no_warnings):
        x = np.array([0.0, 1.0, -2.0]) + shift
        np.testing.assert_allclose(cr.logsumexp(t64(x)).item(), scipy.special.logsumexp(x), rtol=1e-15)
        np.testing.assert_allclose(arr(cr.grad(cr.logsumexp)(t64(x))), scipy.special.softmax(x), rtol=1e-12)
        np.testing.assert_allclose(arr(cr.softmax(t64(x))), scipy.special.softmax(x), rtol=1e-12)
        np.testing.assert_allclose(arr(cr.log_softmax(t64(x))), scipy.special.log_softmax(x), rtol=1e-12)

    def test_minus_infinity_entries_get_weight_zero(self, no_warnings):
        x = np.array([0.0, -np.inf, math.log(3.0)])
        assert cr.logsumexp(t64(x)).item() == pytest.approx(math.log(4.0))
        np.testing.assert_allclose(arr(cr.grad(cr.logsumexp)(t64(x))), [0.25, 0.0, 0.75])
        np.testing.assert_allclose(arr(cr.softmax(t64(x))), [0.25, 0.0, 0.75])
        np.testing.assert_allclose(arr(cr.log_softmax(t64(x))), [math.log(0.25), -np.inf, math.log(0.75)])
        g = cr.grad(lambda t: cr.sum(cr.softmax(t) * t64([1.0, 2.0, 3.0])))(t64(x))
        assert np.all(np.isfinite(arr(g))) and arr(g)[1] == 0.0
        _, pull = cr.vjp(cr.log_softmax, t64(x))           # the value holds -inf: pull back directly
        np.testing.assert_allclose(arr(pull(t64([1.0, 0.5, 3.0]))[0]),
                                   [1 - 0.25 * 4.5, 0.5, 3 - 0.75 * 4.5], atol=1e-15)

    def test_all_minus_infinity_gives_minus_infinity_and_gradient_zero(self, no_warnings):
        x = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
        y = cr.logsumexp(t64(x), axis=1)
        assert arr(y)[0] == -np.inf
        np.testing.assert_allclose(arr(y)[1], scipy.special.logsumexp([0.0, 1.0]))
        g = cr.grad(lambda t: cr.sum(cr.logsumexp(t, axis=1)))(t64(x))
        np.testing.assert_allclose(arr(g), [[0.0, 0.0], scipy.special.softmax([0.0, 1.0])])
        _, dy = cr.jvp(lambda t: cr.logsumexp(t, axis=1), (t64(x),), (t64(np.ones_like(x)),))
        np.testing.assert_allclose(arr(dy), [0.0, 1.0])

    def test_softmax_of_only_minus_infinity_is_nan_as_pytorch(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert np.all(np.isnan(arr(cr.softmax(t64([-np.inf, -np.inf])))))

    def test_logsumexp_of_an_empty_axis_is_minus_infinity(self, no_warnings):
        y = cr.logsumexp(t64(np.zeros((2, 0))), axis=1)
        np.testing.assert_array_equal(arr(y), [-np.inf, -np.inf])

    def test_plus_infinity(self):
        assert cr.logsumexp(t64([0.0, np.inf])).item() == np.inf

    def test_softmax_axis_and_dim(self):
        x = t64(X3)
        np.testing.assert_allclose(arr(cr.softmax(x, dim=1)), scipy.special.softmax(X3, axis=1))
        np.testing.assert_allclose(arr(cr.log_softmax(x, dim=0)), scipy.special.log_softmax(X3, axis=0))
        np.testing.assert_allclose(arr(cr.softmax(x, axis=(0, 2))), scipy.special.softmax(X3, axis=(0, 2)))
        np.testing.assert_allclose(arr(cr.sum(cr.softmax(x), axis=-1)), 1.0)
        with pytest.raises(TypeError, match="softmax: give axis or dim"):
            cr.softmax(x, axis=0, dim=1)
        assert cr.softmax(t64(3.0)).item() == 1.0 and cr.log_softmax(t64(3.0)).item() == 0.0

    def test_softmax_rules_match_their_formulas(self):
        x, g = RNG.standard_normal(5), RNG.standard_normal(5)
        y = scipy.special.softmax(x)
        _, pull = cr.vjp(cr.softmax, t64(x))
        np.testing.assert_allclose(arr(pull(t64(g))[0]), y * (g - np.sum(g * y)))
        _, pull = cr.vjp(cr.log_softmax, t64(x))
        np.testing.assert_allclose(arr(pull(t64(g))[0]), g - y * np.sum(g))
        _, dy = cr.jvp(cr.log_softmax, (t64(x),), (t64(g),))
        np.testing.assert_allclose(arr(dy), g - np.sum(y * g))


# ----------------------------------------------------------------------------- var and std
class TestMoments:
    @pytest.mark.parametrize("ddof", [0, 1, 2])
    @pytest.mark.parametrize("axis", [None, 1, (0, 2)], ids=str)
    def test_values_and_gradient_with_ddof(self, ddof, axis):
        np.testing.assert_allclose(arr(cr.var(t64(X3), axis=axis, ddof=ddof)), np.var(X3, axis=axis, ddof=ddof))
        np.testing.assert_allclose(arr(cr.std(t64(X3), axis=axis, ddof=ddof)), np.std(X3, axis=axis, ddof=ddof))
        n = X3.size / np.size(np.var(X3, axis=axis))
        centered = X3 - np.mean(X3, axis=axis, keepdims=True)
        g = cr.grad(lambda t: cr.sum(cr.var(t, axis=axis, ddof=ddof)))(t64(X3))
        np.testing.assert_allclose(arr(g), 2 * centered / (n - ddof), atol=1e-14)
        g = cr.grad(lambda t: cr.sum(cr.std(t, axis=axis, ddof=ddof)))(t64(X3))
        s = np.std(X3, axis=axis, ddof=ddof, keepdims=True)
        np.testing.assert_allclose(arr(g), centered / ((n - ddof) * s), atol=1e-14)

    def test_correction_is_pytorchs_name_for_ddof(self):
        np.testing.assert_allclose(arr(cr.var(t64(X3), correction=1)), np.var(X3, ddof=1))
        np.testing.assert_allclose(arr(cr.std(t64(X3), 0, correction=1)), np.std(X3, 0, ddof=1))
        with pytest.raises(TypeError, match="var: give ddof or correction"):
            cr.var(t64(X3), ddof=1, correction=1)

    def test_no_degrees_of_freedom_is_an_error(self):
        with pytest.raises(cr.ShapeError, match=r"var: ddof=2 leaves n - ddof = 0 degrees of freedom"):
            cr.var(t64([1.0, 2.0]), ddof=2)
        with pytest.raises(cr.ShapeError, match=r"std: ddof=1 .* for the 1 elements"):
            cr.std(t64(X3[:, :1, :]), axis=1, ddof=1)
        with pytest.raises(cr.ShapeError, match=r"var: .*degrees of freedom"):
            cr.var(t64(np.zeros((0,))))

    def test_std_at_zero_variance_has_gradient_zero_not_nan(self):
        x = t64([2.0, 2.0, 2.0])
        assert cr.std(x).item() == 0.0
        np.testing.assert_array_equal(arr(cr.grad(cr.std)(x)), 0.0)
        _, dy = cr.jvp(cr.std, (x,), (t64([1.0, -1.0, 3.0]),))
        assert arr(dy) == 0.0
        np.testing.assert_array_equal(arr(cr.hessian(cr.std)(x)), 0.0)
        # and next to it the gradient is the ordinary, finite one
        y = np.array([2.0, 2.0, 2.0 + 1e-9])
        g = arr(cr.grad(cr.std)(t64(y)))
        np.testing.assert_allclose(g, (y - y.mean()) / (3 * np.std(y)), rtol=1e-6)


# ----------------------------------------------------------------------------- argmax, all, any
class TestNotDifferentiable:
    @pytest.mark.parametrize("name", ["argmax", "argmin"])
    @pytest.mark.parametrize("axis", [None, 0, 1, -1])
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_arg_extrema_match_numpy(self, name, axis, keepdims):
        got = getattr(cr, name)(t64(X3), axis=axis, keepdims=keepdims)
        want = getattr(np, name)(X3, axis=axis, keepdims=keepdims)
        assert got.dtype == np.int64 and got.shape == want.shape
        np.testing.assert_array_equal(arr(got), want)

    def test_ties_go_to_the_first_occurrence(self):
        assert cr.argmax(t64([1.0, 3.0, 3.0])).item() == 1
        assert cr.argmin(t64([[2.0, 0.0, 0.0]]), axis=1).tolist() == [1]
        assert cr.argmax(t64(5.0)).item() == 0 and cr.argmax(t64(5.0), axis=0).shape == ()

    def test_arg_extrema_errors(self):
        with pytest.raises(TypeError, match=r"argmax: axis must be an int or None, got \(0, 1\)"):
            cr.argmax(t64(X3), axis=(0, 1))
        with pytest.raises(cr.ShapeError, match=r"argmin: the index of the extremum of an empty axis"):
            cr.argmin(t64(np.zeros((2, 0))), axis=1)
        with pytest.raises(cr.ShapeError, match=r"argmax: .*empty"):
            cr.argmax(t64(np.zeros((0,))))

    def test_all_and_any(self):
        x = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
        assert cr.all(t64(x)).dtype == np.bool_ and cr.all(t64(x)).item() is False
        assert cr.all(t64(x), axis=1).tolist() == [False, True]
        assert cr.any(t64(np.zeros((2, 3))), axis=0, keepdims=True).tolist() == [[False, False, False]]
        assert cr.all(t64(np.zeros((0,)))).item() is True and cr.any(t64(np.zeros((0,)))).item() is False

    def test_they_are_constants_for_the_gradient(self):
        f = lambda t: cr.sum(t * cr.astype(cr.argmax(t, axis=1), np.float64)[:, None])  # noqa: E731
        np.testing.assert_allclose(arr(cr.grad(f)(t64(X3[0]))), np.argmax(X3[0], axis=1)[:, None] * np.ones(4))


# ----------------------------------------------------------------------------- errors
class TestErrors:
    @pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "logsumexp", "all",
                                      "any", "softmax", "log_softmax"])
    def test_axis_out_of_range_names_op_axis_and_rank(self, name):
        with pytest.raises(cr.ShapeError, match=rf"^{name}: axis 3 is out of range for a tensor of rank 3$"):
            getattr(cr, name)(t64(X3), axis=3)
        with pytest.raises(cr.ShapeError, match=rf"^{name}: axis -4 is out of range for a tensor of rank 3$"):
            getattr(cr, name)(t64(X3), axis=(0, -4))

    @pytest.mark.parametrize("name", ["sum", "prod", "max", "logsumexp", "var", "all"])
    def test_repeated_axes(self, name):
        with pytest.raises(cr.ShapeError, match=rf"{name}: repeated axis in \(1, -2\)"):
            getattr(cr, name)(t64(X3), axis=(1, -2))

    @pytest.mark.parametrize("name, what", [("max", "maximum"), ("min", "minimum"), ("mean", "mean")])
    def test_empty_axis(self, name, what):
        with pytest.raises(cr.ShapeError, match=rf"{name}: the {what} of an empty axis is undefined "
                                                 rf"\(axis 1 of a tensor of shape \(2×0\) has length 0\)"):
            getattr(cr, name)(t64(np.zeros((2, 0))), axis=1)
        with pytest.raises(cr.ShapeError, match=rf"{name}: the {what} of an empty axis"):
            getattr(cr, name)(t64(np.zeros((0, 3))))
        assert getattr(cr, name)(t64(np.zeros((0, 3))), axis=1).shape == (0,)   # a non-empty axis is fine


# ----------------------------------------------------------------------------- against PyTorch
class TestAgainstPyTorch:
    """Values and gradients agree with PyTorch in float64 (conventions included)."""

    @staticmethod
    def torch_grad(fn, x, weights=None):
        torch = pytest.importorskip("torch")
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        y = fn(xt)
        w = torch.tensor(weights if weights is not None else np.ones(tuple(y.shape)), dtype=torch.float64)
        (y * w).sum().backward()
        return y.detach().numpy(), xt.grad.numpy()

    def compare(self, ours, theirs, x, rtol=1e-12, atol=1e-12):
        y = ours(t64(x))
        w = RNG.standard_normal(y.shape)
        g = cr.grad(lambda t: cr.sum(ours(t) * t64(w)))(t64(x))
        y_t, g_t = self.torch_grad(theirs, x, w)
        np.testing.assert_allclose(arr(y), y_t, rtol=rtol, atol=atol)
        np.testing.assert_allclose(arr(g), g_t, rtol=rtol, atol=atol)

    @pytest.mark.parametrize("zeros", [0, 1, 2])
    def test_prod_with_zeros(self, zeros):
        torch = pytest.importorskip("torch")
        x = RNG.standard_normal((3, 4))
        x.reshape(-1)[[5, 6][:zeros]] = 0.0
        x[2, :2] = 0.0 if zeros == 2 else x[2, :2]
        self.compare(cr.prod, torch.prod, x)
        self.compare(lambda t: cr.prod(t, axis=1), lambda t: torch.prod(t, 1), x)
        self.compare(lambda t: cr.prod(t, axis=0, keepdims=True), lambda t: torch.prod(t, 0, keepdim=True), x)
        h_t = torch.autograd.functional.hessian(torch.prod, torch.tensor(x[1], dtype=torch.float64))
        np.testing.assert_allclose(arr(cr.hessian(cr.prod)(t64(x[1]))), h_t.numpy(), atol=1e-13)

    def test_amax_amin_with_ties(self):
        torch = pytest.importorskip("torch")
        x = np.array([[1.0, 4.0, 4.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, 3.0]])
        self.compare(cr.amax, torch.amax, x)
        self.compare(lambda t: cr.amax(t, axis=1), lambda t: torch.amax(t, 1), x)
        self.compare(lambda t: cr.amin(t, axis=0, keepdims=True), lambda t: torch.amin(t, 0, keepdim=True), x)
        self.compare(lambda t: cr.max(t, axis=(0, 1)), lambda t: torch.amax(t, (0, 1)), x)

    @pytest.mark.parametrize("correction", [0, 1])
    def test_var_std_with_correction(self, correction):
        torch = pytest.importorskip("torch")
        self.compare(lambda t: cr.var(t, axis=1, correction=correction),
                     lambda t: torch.var(t, 1, correction=correction), X3)
        self.compare(lambda t: cr.std(t, axis=(0, 2), correction=correction, keepdims=True),
                     lambda t: torch.std(t, (0, 2), correction=correction, keepdim=True), X3)
        self.compare(lambda t: cr.std(t, correction=correction), lambda t: torch.std(t, correction=correction),
                     np.full((4,), 3.0))                            # zero variance: both give gradient 0

    def test_logsumexp(self):
        torch = pytest.importorskip("torch")
        x = X3 * 300.0
        self.compare(lambda t: cr.logsumexp(t, axis=1), lambda t: torch.logsumexp(t, 1), x)
        self.compare(lambda t: cr.logsumexp(t, axis=(0, 2), keepdims=True),
                     lambda t: torch.logsumexp(t, (0, 2), keepdim=True), x)
        xi = X3.copy()
        xi[0, 1, :2] = -np.inf
        self.compare(lambda t: cr.logsumexp(t, axis=-1), lambda t: torch.logsumexp(t, -1), xi)

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_softmax_and_log_softmax(self, axis):
        torch = pytest.importorskip("torch")
        x = X3 * 500.0
        x[1, 0, 0] = -np.inf
        self.compare(lambda t: cr.softmax(t, axis=axis), lambda t: torch.softmax(t, axis), x)
        self.compare(lambda t: cr.log_softmax(t, dim=axis), lambda t: torch.log_softmax(t, axis), X3 * 500.0)

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_cumsum_and_cumprod(self, axis):
        torch = pytest.importorskip("torch")
        self.compare(lambda t: cr.cumsum(t, axis=axis), lambda t: torch.cumsum(t, axis), X3)
        x = X3.copy()
        x[0, 1, 1] = x[1, 2, 0] = x[1, 2, 2] = x[0, 0, 3] = 0.0
        self.compare(lambda t: cr.cumprod(t, axis=axis), lambda t: torch.cumprod(t, axis), x)
        self.compare(lambda t: cr.cumprod(t, axis=axis), lambda t: torch.cumprod(t, axis), X3)
