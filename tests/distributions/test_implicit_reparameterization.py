"""Implicitly reparameterized draws (Figurnov et al., 2018) of the Gamma family, Beta,
Dirichlet and Student's t: a draw x = F^{-1}(u; theta) at a fixed uniform u moves with the
parameters by dx/dtheta = -(dF/dtheta)/p(x).

The exact test is per draw: the gradient of each draw against central differences of
SciPy's quantile function at the same u.  Then in distribution: Monte Carlo averages of the
pathwise gradient against the derivative of the exact mean, PyTorch's gamma gradient
(``_standard_gamma_grad``) at our draws, PyTorch's Beta and Dirichlet rsample gradients in
distribution, float32, speed, and the distribution functions differentiated in the shape.
"""
from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.stats as st

import chainrule as cr
from chainrule.distributions.gamma import open_uniform

D = cr.distributions


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def _draw_gradients(make, params, seed):
    """Each draw of ``make(*params).rsample()`` (one per parameter entry: batch = draws) and its
    derivative in every parameter (draws are independent, so the gradient of the sum is per draw)."""
    tensors = [t64(p) for p in params]
    x = make(*tensors).rsample(rng=seed).numpy()
    grads = cr.grad(lambda *ps: make(*ps).rsample(rng=seed).sum(), argnums=tuple(range(len(params))))(*tensors)
    return x, [g.numpy() for g in grads]


def _central(f, params, i):
    """The 5-point central difference in ``params[i]``, with a step of 1e-4 of its size (SciPy's
    quantiles are accurate to ~1e-13, so a tiny step would drown the derivative in rounding)."""
    h = 1e-4 * np.abs(params[i])

    def at(k):
        return f(*[p + k * h if j == i else p for j, p in enumerate(params)])
    return (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * h)


# ----------------------------------------------------------------------------- per draw, against SciPy's quantiles
@pytest.mark.parametrize("make, ppf, params", [
    (D.Gamma, lambda a, r, u: st.gamma.ppf(u, a, scale=1 / r), [[0.1, 0.8, 3.0, 50.0, 700.0] * 6, [1.7] * 30]),
    (D.Chi2, lambda k, u: st.chi2.ppf(u, k), [[0.5, 1.0, 4.0, 30.0, 200.0] * 6]),
    # beta / P^{-1}(alpha, u) falls as u grows: the quantile at 1 - u (SciPy's inverse survival function)
    (D.InverseGamma, lambda a, r, u: st.invgamma.isf(u, a, scale=r), [[0.6, 2.0, 9.0] * 8, [0.5] * 24]),
    (D.Beta, lambda a, b, u: st.beta.ppf(u, a, b), [[0.2, 1.0, 4.0, 60.0, 0.7] * 6, [0.5, 3.0, 9.0, 40.0, 250.0] * 6]),
], ids=["Gamma", "Chi2", "InverseGamma", "Beta"])
def test_each_draw_moves_along_the_quantile_function(make, ppf, params):
    params = [np.asarray(p, dtype=float) for p in params]
    x, grads = _draw_gradients(make, params, seed=11)
    u = open_uniform(np.random.default_rng(11), params[0].shape)
    np.testing.assert_allclose(x, ppf(*params, u), rtol=1e-10)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g, _central(lambda *p: ppf(*p, u), params, i), rtol=2e-6, atol=1e-12)


def test_student_t_draws_move_with_the_degrees_of_freedom():
    """x = loc + scale z sqrt(nu / (2 g)), g = P^{-1}(nu/2, u): the normal draw first, then u."""
    df = np.array([0.7, 2.0, 5.0, 30.0, 400.0] * 4)
    x, (g_df, g_loc, g_scale) = _draw_gradients(D.StudentT, [df, np.full(20, 0.3), np.full(20, 2.0)], seed=4)
    rng = np.random.default_rng(4)
    z = rng.standard_normal(20)
    u = open_uniform(rng, 20)

    def draw(nu):
        return 0.3 + 2.0 * z * np.sqrt(nu / (2.0 * st.gamma.ppf(u, nu / 2)))

    np.testing.assert_allclose(x, draw(df), rtol=1e-10)
    np.testing.assert_allclose(g_df, _central(draw, [df], 0), rtol=2e-6, atol=1e-12)
    np.testing.assert_array_equal(g_loc, 1.0)
    np.testing.assert_allclose(g_scale, (x - 0.3) / 2.0, rtol=1e-12)


def test_dirichlet_draws_are_normalized_gamma_quantiles():
    alpha = np.array([[0.3, 2.0, 7.0], [1.0, 1.0, 40.0]])
    x = D.Dirichlet(t64(alpha)).rsample((5,), rng=2).numpy()
    u = open_uniform(np.random.default_rng(2), (5,) + alpha.shape)

    def draw(a):
        g = st.gamma.ppf(u, a)
        return g / g.sum(-1, keepdims=True)

    np.testing.assert_allclose(x, draw(alpha), rtol=1e-10)
    jac = cr.jacobian(lambda a: D.Dirichlet(a).rsample((5,), rng=2))(t64(alpha)).numpy()   # (5, 2, 3, 2, 3)
    for i in range(2):
        for j in range(3):
            def along(v):
                a = alpha.copy()
                a[i, j] = v
                return draw(a)
            np.testing.assert_allclose(jac[:, :, :, i, j], _central(along, [alpha[i, j]], 0), rtol=2e-6, atol=1e-10)


# ----------------------------------------------------------------------------- in distribution
def _mean_gradient(make, params, n, seed):
    """The pathwise estimate of d E[X] / d params from n draws, and its standard errors."""
    tensors = [t64(np.full(n, p)) for p in params]
    grads = cr.grad(lambda *ps: make(*ps).rsample(rng=seed).sum(), argnums=tuple(range(len(params))))(*tensors)
    g = np.stack([gr.numpy() for gr in grads])
    return g.mean(axis=1), g.std(axis=1) / np.sqrt(n)


@pytest.mark.parametrize("make, params, exact", [
    (D.Gamma, (0.3, 2.0), (1 / 2.0, -0.3 / 4.0)),
    (D.Gamma, (6.0, 0.5), (2.0, -24.0)),
    (D.Chi2, (3.0,), (1.0,)),
    (D.Beta, (0.5, 2.0), (2.0 / 2.5 ** 2, -0.5 / 2.5 ** 2)),
    (D.Beta, (5.0, 5.0), (5.0 / 100, -5.0 / 100)),
], ids=["Gamma(0.3)", "Gamma(6)", "Chi2", "Beta(0.5, 2)", "Beta(5, 5)"])
def test_pathwise_gradients_average_to_the_derivative_of_the_mean(make, params, exact):
    mean, se = _mean_gradient(make, params, 40_000, seed=8)
    assert np.all(np.abs(mean - exact) < 5 * se + 1e-12), (mean, exact, se)


def test_student_t_second_moment_gradient():
    """E[X^2] = nu/(nu - 2) for the standard t: d/dnu = -2/(nu - 2)^2."""
    nu = 9.0
    n = 100_000
    g = cr.grad(lambda d: (D.StudentT(d).rsample((n,), rng=5) ** 2).mean())(t64(nu)).numpy()
    assert g == pytest.approx(-2.0 / (nu - 2.0) ** 2, rel=0.1)


def test_dirichlet_mean_gradient():
    alpha = np.array([0.5, 2.0, 4.5])
    total = alpha.sum()
    got = cr.jacobian(lambda a: D.Dirichlet(a).rsample((40_000,), rng=1).mean(axis=0))(t64(alpha)).numpy()
    exact = (np.eye(3) * total - alpha[:, None]) / total ** 2
    np.testing.assert_allclose(got, exact, atol=0.01)


def test_rsample_draws_follow_the_distribution():
    gamma = D.Gamma(t64(0.7), t64(2.0)).rsample((4000,), rng=0).numpy()
    assert st.kstest(gamma, st.gamma(0.7, scale=0.5).cdf).pvalue > 1e-3
    t = D.StudentT(t64(3.0), t64(1.0), t64(2.0)).rsample((4000,), rng=0).numpy()
    assert st.kstest(t, st.t(3.0, 1.0, 2.0).cdf).pvalue > 1e-3
    dirichlet = D.Dirichlet(t64([0.5, 2.0, 3.0])).rsample((4000,), rng=0).numpy()
    assert st.kstest(dirichlet[:, 1], st.beta(2.0, 3.5).cdf).pvalue > 1e-3
    np.testing.assert_allclose(dirichlet.sum(-1), 1.0, rtol=1e-14)


# ----------------------------------------------------------------------------- PyTorch
def test_gamma_gradient_matches_pytorch_at_our_draws():
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "_standard_gamma_grad"):
        pytest.skip("this PyTorch has no _standard_gamma_grad")
    alpha = np.array([0.05, 0.4, 1.0, 3.0, 20.0, 300.0] * 50)
    x, (g, _) = _draw_gradients(D.Gamma, [alpha, np.ones_like(alpha)], seed=3)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    # PyTorch evaluates the same derivative by series and asymptotic approximations (~1e-4 to 1e-3)
    np.testing.assert_allclose(g, theirs, rtol=2e-3, atol=1e-8)


@pytest.mark.parametrize("family", ["Beta", "Dirichlet"])
def test_beta_and_dirichlet_gradients_agree_with_pytorch_in_distribution(family):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    n = 40_000
    params = [np.array([0.6, 3.0]), np.array([2.0, 0.4])] if family == "Beta" else [np.array([0.6, 3.0, 1.5])]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    tdist = getattr(torch.distributions, family)(*tparams)
    draws = tdist.rsample((n,))
    (draws[..., 0] if family == "Dirichlet" else draws).mean(0).sum().backward()
    theirs = [p.grad.numpy() for p in tparams]

    def ours(*ps):
        d = getattr(D, family)(*ps).rsample((n,), rng=6)
        return (d[..., 0] if family == "Dirichlet" else d).mean(axis=0).sum()

    mine = cr.grad(ours, argnums=tuple(range(len(params))))(*[t64(p) for p in params])
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b, atol=0.02)


# ----------------------------------------------------------------------------- dtypes, edges, speed
def test_float32_draws_stay_positive_and_finite_with_tiny_shapes():
    alpha = cr.tensor(np.array([0.01, 0.1, 2.0], dtype=np.float32))
    x = D.Gamma(alpha, 1.0).rsample((20_000,), rng=0)
    assert x.dtype == np.float32
    values = x.numpy()
    assert np.all(values >= np.finfo(np.float32).tiny) and np.all(np.isfinite(values))
    g = cr.grad(lambda a: D.Gamma(a, 1.0).rsample((20_000,), rng=0).sum())(alpha)
    assert g.dtype == np.float32 and np.all(np.isfinite(g.numpy()))
    assert np.all(np.isfinite(D.Gamma(alpha, 1.0).log_prob(x).numpy()))
    b = D.Beta(cr.tensor(np.float32([0.02, 0.5])), cr.tensor(np.float32([0.03, 2.0]))).rsample((5_000,), rng=1)
    assert b.dtype == np.float32 and np.all((b.numpy() > 0) & (b.numpy() < 1))
    d = D.Dirichlet(cr.tensor(np.float32([0.01, 0.02, 0.05]))).rsample((1_000,), rng=1).numpy()
    assert np.all(np.isfinite(d)) and np.allclose(d.sum(-1), 1.0, atol=1e-6)


def test_sample_keeps_numpys_gamma_generator():
    a = np.array([0.5, 3.0])
    got = D.Gamma(t64(a), t64(2.0)).sample((4,), rng=9).numpy()
    want = np.random.default_rng(9).standard_gamma(np.broadcast_to(a, (4, 2))) / 2.0
    np.testing.assert_array_equal(got, want)
    assert not D.Gamma(t64(a), t64(2.0)).sample((4,), rng=9).requires_grad


def test_a_hundred_thousand_gamma_draws_with_gradient_take_well_under_a_second():
    alpha = cr.tensor(np.float32(2.5), requires_grad=True)
    D.Gamma(alpha, 1.0).rsample((1000,), rng=0).sum().backward()          # warm up
    start = time.perf_counter()
    D.Gamma(alpha, 1.0).rsample((100_000,), rng=0).sum().backward()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"        # about 0.15 s on one core; generous for loaded machines


# ----------------------------------------------------------------------------- distribution functions in the shape
@pytest.mark.parametrize("make, cdf, params, x", [
    (D.Gamma, lambda a, r, x: st.gamma.cdf(x, a, scale=1 / r), [np.array([0.4, 3.0, 30.0]), np.array([1.5] * 3)],
     np.array([0.2, 2.5, 15.0])),
    (D.Beta, lambda a, b, x: st.beta.cdf(x, a, b), [np.array([0.4, 3.0, 30.0]), np.array([2.0, 0.7, 25.0])],
     np.array([0.1, 0.9, 0.6])),
    (D.StudentT, lambda nu, m, s, x: st.t.cdf(x, nu, m, s),
     [np.array([0.8, 4.0, 60.0]), np.array([0.5] * 3), np.array([2.0] * 3)], np.array([-4.0, 1.0, 3.0])),
], ids=["Gamma", "Beta", "StudentT"])
def test_cdf_is_differentiable_in_the_shape_parameters(make, cdf, params, x):
    grads = cr.grad(lambda *ps: make(*ps).cdf(t64(x)).sum(), argnums=tuple(range(len(params))))(
        *[t64(p) for p in params])
    for i, g in enumerate(grads):
        np.testing.assert_allclose(g.numpy(), _central(lambda *p: cdf(*p, x), params, i), rtol=1e-6, atol=1e-12)
