"""Derivatives of the incomplete gamma and beta functions and Student's t distribution
function in their shape parameters (``gammainc_da``, ``betainc_dab``, and the rules of
``gammainc``, ``betainc``, ``stdtr`` and their inverses built on them).

The kernels are checked against mpmath at 40 digits on grids that reach far into both
tails and shape parameters up to 10^3; second derivatives are measured against their
natural scale |F| (L_a^2 + |L_aa|) (L = d log F), since near a zero of the second
derivative (d²P/da² at x ≈ a) a relative error is meaningless.  Then gradient checks in
every argument to order 2, the edges, the orders that raise, and the implicit function
theorem for the inverses against SciPy's quantile functions.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import chainrule as cr
from chainrule.ops import incomplete as INC
from chainrule.ops import incomplete_series as K
from chainrule.testing import check_grads

# Measured worst over these grids: first derivatives 1.1e-12 relative (gamma: exactly SciPy's
# own error in Q(1000, 1831) ~ 1e-100, which multiplies the logarithmic derivative), beta 6e-14;
# second derivatives 1.1e-12 (gamma) and 4e-14 (beta) of their scale.
FIRST_RTOL = 1e-11
SECOND_SCALED = 1e-11


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


@pytest.fixture(scope="module")
def mp():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    return mpmath


# ----------------------------------------------------------------------------- grids
def _gamma_grid():
    """Shape parameters 1e-3 .. 1e3; x at lower and upper tail probabilities 1e-100 .. 0.5."""
    a, x = [], []
    for shape in (1e-3, 0.05, 0.5, 1.0, 2.5, 10.0, 60.0, 300.0, 1000.0):
        for tail in (1e-100, 1e-20, 1e-5, 0.05, 0.5):
            for point in (sc.gammaincinv(shape, tail), sc.gammainccinv(shape, tail)):
                if 0 < point < np.inf:
                    a.append(shape)
                    x.append(point)
    return np.array(a), np.array(x)


def _beta_grid():
    """Shape parameters 0.02 .. 1e3 (pairs); x at both tails' probabilities 1e-60 .. 0.5."""
    a, b, x = [], [], []
    for pa, pb in ((0.02, 0.5), (0.5, 0.5), (0.3, 20.0), (2.0, 3.0), (1.0, 1000.0), (40.0, 7.0),
                   (300.0, 900.0), (1000.0, 0.1)):
        for tail in (1e-60, 1e-8, 0.05, 0.5):
            for point in (sc.betaincinv(pa, pb, tail), 1.0 - sc.betaincinv(pb, pa, tail)):
                if 0 < point < 1:
                    a.append(pa)
                    b.append(pb)
                    x.append(point)
    return np.array(a), np.array(b), np.array(x)


def _reference(mp, f, point, orders):
    """Derivatives of f (the smaller of F and 1 - F, an mpmath function of the shape
    parameters) at ``point``, and the scale |F| (sum |L_i|)^2 + |F| sum |L_ij| of its second derivatives."""
    value = f(*point)
    derivatives = {o: mp.diff(f, point, o) for o in orders}
    first = [derivatives[o] / value for o in orders if sum(o) == 1]
    second = [derivatives[o] / value for o in orders if sum(o) == 2]
    scale = abs(value) * (sum(abs(v) for v in first) ** 2 + sum(abs(v) for v in second))
    return derivatives, scale


def test_gammainc_da_against_mpmath(mp):
    a, x = _gamma_grid()
    got = {n: K.gammainc_shape_derivatives(a, x, n) for n in (1, 2)}
    worst_first = worst_second = 0.0
    for i, (ai, xi) in enumerate(zip(a, x)):
        A, X = mp.mpf(ai), mp.mpf(xi)
        lower = mp.gammainc(A, 0, X, regularized=True) < 0.5
        if lower:
            f = lambda s: mp.gammainc(s, 0, X, regularized=True)  # noqa: E731
        else:
            f = lambda s: -mp.gammainc(s, X, mp.inf, regularized=True)  # noqa: E731  (dP = -dQ)
        d, _ = _reference(mp, lambda s: f(s), (A,), [(1,), (2,)])
        value = f(A)
        l1, l2 = d[(1,)] / value, d[(2,)] / value - (d[(1,)] / value) ** 2
        scale = abs(value) * (l1 ** 2 + abs(l2))
        worst_first = max(worst_first, float(abs(got[1][i] - d[(1,)]) / abs(d[(1,)])))
        worst_second = max(worst_second, float(abs(got[2][i] - d[(2,)]) / scale))
    assert worst_first < FIRST_RTOL, worst_first
    assert worst_second < SECOND_SCALED, worst_second


def test_betainc_dab_against_mpmath(mp):
    a, b, x = _beta_grid()
    orders = [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
    got = {o: K.betainc_shape_derivatives(a, b, x, *o) for o in orders}
    worst_first = worst_second = 0.0
    for i, (ai, bi, xi) in enumerate(zip(a, b, x)):
        A, B, X = mp.mpf(ai), mp.mpf(bi), mp.mpf(xi)
        if mp.betainc(A, B, 0, X, regularized=True) < 0.5:
            f = lambda s, t: mp.betainc(s, t, 0, X, regularized=True)  # noqa: E731
        else:     # 1 - I_x(a, b) = I_{1-x}(b, a), with 1 - x exact in mpmath
            f = lambda s, t: -mp.betainc(t, s, 0, 1 - X, regularized=True)  # noqa: E731
        d, _ = _reference(mp, f, (A, B), orders)
        value = f(A, B)
        la, lb = d[(1, 0)] / value, d[(0, 1)] / value
        logs = {(2, 0): d[(2, 0)] / value - la * la, (1, 1): d[(1, 1)] / value - la * lb,
                (0, 2): d[(0, 2)] / value - lb * lb}
        scale = abs(value) * ((abs(la) + abs(lb)) ** 2 + sum(abs(v) for v in logs.values()))
        for o in orders:
            if sum(o) == 1:
                worst_first = max(worst_first, float(abs(got[o][i] - d[o]) / abs(d[o])))
            else:
                worst_second = max(worst_second, float(abs(got[o][i] - d[o]) / scale))
    assert worst_first < FIRST_RTOL, worst_first
    assert worst_second < SECOND_SCALED, worst_second


def test_stdtr_in_df_against_mpmath(mp):
    """Both forms of dF/dnu (t^2 below and above nu), the tails, small and large nu.

    dF/dnu is O(1/nu^2) for large nu, the difference of two O(1/nu) terms: the relative
    error grows like nu (measured: 6e-14 up to nu = 100, 4e-12 at 1e3, 4e-10 at 1e4)."""
    df = np.array([0.05, 0.3, 0.3, 1.0, 2.5, 2.5, 2.5, 7.0, 7.0, 30.0, 100.0, 1000.0, 1000.0, 1000.0])
    t = np.array([3.0, -40.0, 0.2, 1.5, -0.01, 1.58, 12.0, -3.0, 2.6457, 0.7, -300.0, -3.5, 2.0, 40.0])

    def tail(nu, s):
        """F(s) for s < 0, 1 - F(s) for s > 0: (1/2) I_{nu/(nu+s^2)}(nu/2, 1/2)."""
        return 0.5 * mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + s * s), regularized=True)

    want = [float(mp.diff(lambda nu: tail(nu, mp.mpf(s)), mp.mpf(n))) * (1 if s < 0 else -1) for n, s in zip(df, t)]
    got = cr.grad(lambda d: INC.stdtr(d, t64(t)).sum())(t64(df)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=0)
    at_zero = cr.grad(lambda d: INC.stdtr(d, t64(np.zeros(3))).sum())(t64([0.3, 4.0, 500.0])).numpy()
    np.testing.assert_allclose(at_zero, 0.0, atol=1e-140)          # F(0) = 1/2 for every nu


# ----------------------------------------------------------------------------- gradient checks, all arguments
@pytest.mark.parametrize("fn, args", [
    (INC.gammainc, [np.array([0.2, 1.0, 7.5, 50.0]), np.array([0.05, 2.0, 3.0, 60.0])]),
    (INC.gammaincc, [np.array([0.2, 1.0, 7.5, 50.0]), np.array([0.05, 2.0, 12.0, 40.0])]),
    (INC.gammaincinv, [np.array([0.3, 1.0, 7.5, 50.0]), np.array([0.02, 0.5, 0.9, 0.99])]),
    (INC.betainc, [np.array([0.3, 2.0, 9.0, 40.0]), np.array([0.7, 0.4, 3.0, 60.0]), np.array([0.1, 0.6, 0.95, 0.35])]),
    (INC.betaincinv, [np.array([0.5, 2.0, 9.0, 40.0]), np.array([0.7, 0.6, 3.0, 60.0]),
                      np.array([0.1, 0.6, 0.95, 0.35])]),
    (INC.stdtr, [np.array([0.7, 3.0, 3.0, 25.0, 5.0]), np.array([-3.0, 0.4, 2.5, -1.0, 6.0])]),
    (INC.stdtrit, [np.array([0.7, 3.0, 3.0, 25.0]), np.array([0.1, 0.45, 0.8, 0.97])]),
], ids=["gammainc", "gammaincc", "gammaincinv", "betainc", "betaincinv", "stdtr", "stdtrit"])
def test_second_order_gradients_in_every_argument(fn, args):
    check_grads(fn, args, order=2, modes=("fwd", "rev"), rtol=1e-5, atol=1e-8)


def test_shape_derivative_primitives_to_first_order_and_in_x_to_second():
    a, b, x = np.array([0.4, 3.0, 20.0]), np.array([1.5, 0.8, 30.0]), np.array([0.2, 0.7, 0.4])
    check_grads(lambda a, x: INC.gammainc_da(a, x), [a, np.array([0.3, 2.0, 25.0])], order=1)
    check_grads(lambda x: INC.gammainc_da(t64(a), x, 2), [np.array([0.3, 2.0, 25.0])], order=2)
    for da, db in ((1, 0), (0, 1)):
        check_grads(lambda a, b, x: INC.betainc_dab(a, b, x, da, db), [a, b, x], order=1)
    for da, db in ((2, 0), (1, 1), (0, 2)):
        check_grads(lambda x: INC.betainc_dab(t64(a), t64(b), x, da, db), [x], order=2)


def test_hessian_in_the_shape_parameter_matches_differences_of_scipy():
    """d²P/da² (through grad of grad) against central differences of SciPy's values."""
    a, x, h = 3.2, 2.1, 1e-3
    second = cr.grad(lambda a: cr.grad(lambda a: INC.gammainc(a, t64(x)))(a))(t64(a)).numpy()
    fd = (sc.gammainc(a + h, x) - 2 * sc.gammainc(a, x) + sc.gammainc(a - h, x)) / h ** 2
    assert second == pytest.approx(fd, rel=1e-5)
    hess = cr.hessian(lambda v: INC.betainc(v[0], v[1], t64(0.3)))(t64([2.0, 5.0])).numpy()
    assert hess[0, 1] == pytest.approx(hess[1, 0], rel=1e-14)
    fd = (sc.betainc(2 + h, 5 + h, 0.3) - sc.betainc(2 + h, 5 - h, 0.3) - sc.betainc(2 - h, 5 + h, 0.3)
          + sc.betainc(2 - h, 5 - h, 0.3)) / (4 * h * h)
    assert hess[0, 1] == pytest.approx(fd, rel=1e-5)


# ----------------------------------------------------------------------------- inverses: implicit function theorem
def test_inverse_shape_derivatives_match_differences_of_scipy_quantiles():
    h = 1e-6
    a, p = np.array([0.3, 2.0, 40.0]), np.array([0.01, 0.5, 0.999])
    g = cr.grad(lambda a: INC.gammaincinv(a, t64(p)).sum())(t64(a)).numpy()
    np.testing.assert_allclose(g, (sc.gammaincinv(a + h, p) - sc.gammaincinv(a - h, p)) / (2 * h), rtol=1e-6)
    b = np.array([4.0, 0.6, 15.0])
    ga, gb = cr.grad(lambda a, b: INC.betaincinv(a, b, t64(p)).sum(), argnums=(0, 1))(t64(a), t64(b))
    np.testing.assert_allclose(ga.numpy(), (sc.betaincinv(a + h, b, p) - sc.betaincinv(a - h, b, p)) / (2 * h),
                               rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), (sc.betaincinv(a, b + h, p) - sc.betaincinv(a, b - h, p)) / (2 * h),
                               rtol=1e-6)
    df, q = np.array([0.8, 4.0, 50.0]), np.array([0.02, 0.6, 0.999])
    g = cr.grad(lambda d: INC.stdtrit(d, t64(q)).sum())(t64(df)).numpy()
    np.testing.assert_allclose(g, (sc.stdtrit(df + h, q) - sc.stdtrit(df - h, q)) / (2 * h), rtol=1e-6)


# ----------------------------------------------------------------------------- edges and errors
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_edges_are_zero_or_nan_never_an_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = INC.gammainc_da(t64([2.0, 2.0, 0.0, -1.0, np.nan]), t64([0.0, np.inf, 1.0, 1.0, 1.0])).numpy()
    np.testing.assert_array_equal(got[:2], 0.0)
    assert np.all(np.isnan(got[2:]))
    got = INC.betainc_dab(t64(2.0), t64(3.0), t64([0.0, 1.0, 1.5]), 0, 1).numpy()
    np.testing.assert_array_equal(got[:2], 0.0)
    assert np.isnan(got[2])
    # a Gamma cdf below its support: every derivative 0, no NaN (the double where in x)
    ga, gx = cr.grad(lambda a, x: cr.distributions.Gamma(a, t64(1.0)).cdf(x), argnums=(0, 1))(t64(2.5), t64(-1.0))
    assert ga.numpy() == 0.0 and gx.numpy() == 0.0
    second = cr.grad(lambda a: cr.grad(lambda a: INC.gammainc(a, t64(0.0)))(a))(t64(2.5)).numpy()
    assert second == 0.0
    mixed = cr.grad(lambda x: cr.grad(lambda a: INC.gammainc(a, x))(t64(2.5)))(t64(0.0)).numpy()
    assert mixed == 0.0


def test_student_t_at_zero_and_infinity():
    """F_nu(0) = 1/2: dF/dnu = 0, and d²F/dnu dt = d f_nu(0)/dnu, not NaN and not 0."""
    df = np.array([0.5, 2.0, 7.0])
    mixed = cr.grad(lambda t: cr.grad(lambda d: INC.stdtr(d, t).sum())(t64(df)).sum())(t64(np.zeros(3))).numpy()
    h = 1e-5
    np.testing.assert_allclose(mixed, (st.t.pdf(0.0, df + h) - st.t.pdf(0.0, df - h)) / (2 * h), rtol=1e-7)
    g32 = cr.grad(lambda d: INC.stdtr(d, cr.tensor(np.zeros(3, np.float32))).sum())(cr.tensor(df.astype(np.float32)))
    assert g32.dtype == np.float32 and np.all(np.abs(g32.numpy()) < 1e-6)
    # at t = +-inf, F is 0 or 1 for every nu: the derivative is 0 (not inf * 0); NaN stays NaN
    g = cr.grad(lambda d: INC.stdtr(d, t64([np.inf, -np.inf, np.nan])).sum())(t64(df)).numpy()
    np.testing.assert_array_equal(g[:2], 0.0)
    assert np.isnan(g[2])


def test_third_derivative_in_a_shape_parameter_raises_naming_the_operation():
    def third(f):
        return cr.grad(lambda a: cr.grad(lambda a: cr.grad(lambda a: f(a))(a))(a))(t64(1.7))

    with pytest.raises(NotImplementedError, match="gammainc_da: the third derivative in a shape parameter"):
        third(lambda a: INC.gammainc(a, t64(1.2)))
    with pytest.raises(NotImplementedError, match="betainc_dab: the third derivative in a shape parameter"):
        third(lambda b: INC.betainc(t64(2.0), b, t64(0.3)))
    # a third derivative through x only is fine
    check_grads(lambda x: INC.gammainc(t64(2.0), x), [np.array([0.5, 3.0])], order=3, rtol=1e-4)


@pytest.mark.parametrize("call", [lambda: INC.gammainc_da(t64(1.0), t64(1.0), 3),
                                  lambda: INC.gammainc_da(t64(1.0), t64(1.0), 0),
                                  lambda: INC.gammainc_da(t64(1.0), t64(1.0), 1.5),
                                  lambda: INC.betainc_dab(t64(1.0), t64(1.0), t64(0.5), 2, 1),
                                  lambda: INC.betainc_dab(t64(1.0), t64(1.0), t64(0.5), -1, 2)])
def test_bad_orders_are_rejected(call):
    with pytest.raises(ValueError, match="order"):
        call()


def test_float32_in_float32_out():
    a32, x32 = cr.tensor(np.float32([0.5, 3.0])), cr.tensor(np.float32([0.4, 2.0]))
    assert INC.gammainc_da(a32, x32).dtype == np.float32
    assert INC.betainc_dab(a32, a32, cr.tensor(np.float32([0.2, 0.5])), 1, 1).dtype == np.float32
    g = cr.grad(lambda a: INC.gammainc(a, x32).sum())(a32)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), K.gammainc_shape_derivatives(np.float64([0.5, 3.0]),
                                                                       np.float64([0.4, 2.0]), 1), rtol=1e-6)


# ----------------------------------------------------------------------------- very large shape parameters
def test_the_difference_fallback_beyond_the_series_budget(monkeypatch):
    """For a ~ 1e6 near the bulk the series needs more than MAX_TERMS terms: those elements fall
    back to differences of SciPy's log P; compare with the series run to convergence."""
    a = np.full(4, 1e6)
    x = a + np.array([-3.0, -1.0, -0.1, 2.0]) * 1e3
    fallback = [K.gammainc_shape_derivatives(a, x, n) for n in (1, 2)]
    monkeypatch.setattr(K, "MAX_TERMS", 100_000)
    converged = [K.gammainc_shape_derivatives(a, x, n) for n in (1, 2)]
    np.testing.assert_allclose(fallback[0], converged[0], rtol=1e-10)
    np.testing.assert_allclose(fallback[1], converged[1], rtol=1e-7)
