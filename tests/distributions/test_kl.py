"""Every closed-form KL divergence against a large-sample Monte Carlo estimate; infinite pairs;
the registry (most specific pair wins, clear error for a missing pair); gradients of KL; and
kl_divergence_mc's standard error."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.distributions.kl import _KL_REGISTRY
from chainrule.testing import check_grads

D = cr.distributions
N_MC = 100_000


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def _u(rng, lo, hi, shape=(2,)):
    return t64(rng.uniform(lo, hi, shape))


def _simplex(rng, k=4):
    return t64(rng.dirichlet(np.ones(k) * 2, size=2))


def _spd(rng, k=3):
    a = rng.standard_normal((2, k, k))
    return t64(a @ np.swapaxes(a, -1, -2) + k * np.eye(k))


# one random member of each family (batch shape (2,)); the second argument marks the role
FACTORIES = {
    D.Normal: lambda r: D.Normal(_u(r, -1, 1), _u(r, 0.6, 1.5)),
    D.LogNormal: lambda r: D.LogNormal(_u(r, -0.5, 0.5), _u(r, 0.4, 1.0)),
    D.HalfNormal: lambda r: D.HalfNormal(_u(r, 0.5, 2)),
    D.Uniform: lambda r: (lambda lo: D.Uniform(lo, lo + _u(r, 0.5, 1.5)))(_u(r, -1, 0)),
    D.Exponential: lambda r: D.Exponential(_u(r, 0.5, 2)),
    D.Gamma: lambda r: D.Gamma(_u(r, 1.5, 4), _u(r, 0.5, 2)),
    D.Chi2: lambda r: D.Chi2(_u(r, 2.5, 5)),
    D.Beta: lambda r: D.Beta(_u(r, 1.5, 4), _u(r, 1.5, 4)),
    D.Laplace: lambda r: D.Laplace(_u(r, -1, 1), _u(r, 0.5, 1.5)),
    D.Cauchy: lambda r: D.Cauchy(_u(r, -1, 1), _u(r, 0.5, 1.5)),
    D.Pareto: lambda r: D.Pareto(_u(r, 0.5, 1.0), _u(r, 3.0, 6.0)),
    D.Weibull: lambda r: D.Weibull(_u(r, 0.5, 2), _u(r, 1.2, 3)),
    D.MultivariateNormal: lambda r: D.MultivariateNormal(t64(r.standard_normal((2, 3))), covariance_matrix=_spd(r)),
    D.LowRankMultivariateNormal: lambda r: D.LowRankMultivariateNormal(
        t64(r.standard_normal((2, 3))), t64(r.standard_normal((2, 3, 2))), _u(r, 0.5, 1.5, (2, 3))),
    D.Dirichlet: lambda r: D.Dirichlet(_u(r, 0.8, 4, (2, 4))),
    D.Bernoulli: lambda r: D.Bernoulli(probs=_u(r, 0.1, 0.9)),
    D.Binomial: lambda r: D.Binomial(t64([5.0, 8.0]), probs=_u(r, 0.1, 0.9)),
    D.Categorical: lambda r: D.Categorical(probs=_simplex(r)),
    D.OneHotCategorical: lambda r: D.OneHotCategorical(probs=_simplex(r)),
    D.Multinomial: lambda r: D.Multinomial(6, probs=_simplex(r)),
    D.Geometric: lambda r: D.Geometric(probs=_u(r, 0.2, 0.8)),
    D.Poisson: lambda r: D.Poisson(_u(r, 0.5, 5)),
    D.NegativeBinomial: lambda r: D.NegativeBinomial(t64([2.0, 3.5]), probs=_u(r, 0.2, 0.7)),
    D.Independent: lambda r: D.Independent(D.Normal(t64(r.standard_normal((2, 3))), _u(r, 0.5, 2, (2, 3))), 1),
}

# members of p whose support lies inside q's (where the family's generic member would not)
FIT_P = {
    (D.Uniform, D.Exponential): lambda r: D.Uniform(_u(r, 0.1, 0.5), _u(r, 0.8, 2.0)),
    (D.Uniform, D.Gamma): lambda r: D.Uniform(_u(r, 0.1, 0.5), _u(r, 0.8, 2.0)),
    (D.Uniform, D.Beta): lambda r: D.Uniform(_u(r, 0.1, 0.4), _u(r, 0.6, 0.9)),
    (D.Uniform, D.Pareto): lambda r: D.Uniform(_u(r, 1.1, 1.5), _u(r, 1.8, 3.0)),
}
# members of q whose support contains p's
FIT_Q = {
    (D.Beta, D.Uniform): lambda r: D.Uniform(_u(r, -1.0, 0.0), _u(r, 1.0, 2.0)),
    (D.Uniform, D.Uniform): lambda r: D.Uniform(_u(r, -2.0, -1.0), _u(r, 1.0, 2.0)),
    (D.Pareto, D.Pareto): lambda r: D.Pareto(_u(r, 0.2, 0.4), _u(r, 3.0, 6.0)),
}

FINITE = [(p, q) for (p, q), fn in _KL_REGISTRY.items() if fn.__name__ != "infinite"]
INFINITE = [(p, q) for (p, q), fn in _KL_REGISTRY.items() if fn.__name__ == "infinite"]


def _pair(type_p, type_q, seed):
    rng = np.random.default_rng(seed)
    p = FIT_P.get((type_p, type_q), FACTORIES[type_p])(rng)
    q = FIT_Q.get((type_p, type_q), FACTORIES[type_q])(rng)
    return p, q


def _name(pair):
    return f"{pair[0].__name__}-{pair[1].__name__}"


@pytest.mark.parametrize("pair", FINITE, ids=[_name(p) for p in FINITE])
def test_closed_form_agrees_with_monte_carlo(pair):
    p, q = _pair(*pair, seed=len(_name(pair)))
    exact = D.kl_divergence(p, q).numpy()
    estimate, error = D.kl_divergence_mc(p, q, N_MC, rng=11)
    assert exact.shape == estimate.shape == (2,)
    assert np.all(exact >= -1e-12)
    np.testing.assert_array_less(np.abs(exact - estimate.numpy()), 6 * error.numpy() + 1e-3)


@pytest.mark.parametrize("pair", INFINITE, ids=[_name(p) for p in INFINITE])
def test_infinite_pairs(pair):
    p, q = FACTORIES[pair[0]](np.random.default_rng(0)), FACTORIES[pair[1]](np.random.default_rng(1))
    assert np.all(np.isinf(D.kl_divergence(p, q).numpy()))


def test_support_violations_give_infinity():
    assert np.isinf(D.kl_divergence(D.Uniform(t64(-1.0), t64(1.0)), D.Uniform(t64(0.0), t64(2.0))).numpy())
    assert np.isinf(D.kl_divergence(D.Uniform(t64(-1.0), t64(1.0)), D.Exponential(t64(1.0))).numpy())
    assert np.isinf(D.kl_divergence(D.Pareto(t64(1.0), t64(2.0)), D.Pareto(t64(2.0), t64(2.0))).numpy())
    assert np.isinf(D.kl_divergence(D.Categorical(probs=t64([0.5, 0.5])), D.Categorical(probs=t64([1.0, 0.0]))).numpy())
    np.testing.assert_allclose(D.kl_divergence(D.Categorical(probs=t64([1.0, 0.0])),
                                               D.Categorical(probs=t64([0.5, 0.5]))).numpy(), np.log(2))


def test_every_family_pair_with_itself_is_zero():
    for cls, make in FACTORIES.items():
        if (cls, cls) in _KL_REGISTRY or cls is D.Chi2:
            d = make(np.random.default_rng(3))
            np.testing.assert_allclose(D.kl_divergence(d, d).numpy(), 0.0, atol=1e-12, err_msg=cls.__name__)


def test_registry_lookup_and_errors():
    chi2, gamma = D.Chi2(t64(3.0)), D.Gamma(t64(2.0), t64(1.0))
    np.testing.assert_allclose(D.kl_divergence(chi2, gamma).numpy(),
                               D.kl_divergence(D.Gamma(t64(1.5), t64(0.5)), gamma).numpy())
    with pytest.raises(NotImplementedError, match=r"no closed form is registered for KL\(StudentT ‖ Normal\); "
                                                  r"estimate it with kl_divergence_mc"):
        D.kl_divergence(D.StudentT(t64(3.0)), D.Normal(t64(0.0), t64(1.0)))
    with pytest.raises(NotImplementedError, match="equal total_count"):
        D.kl_divergence(D.Binomial(t64(3.0), probs=t64(0.5)), D.Binomial(t64(4.0), probs=t64(0.5)))

    class Shifted(D.Normal):
        pass

    @D.register_kl(Shifted, D.Normal)
    def _kl_shifted(p, q):
        return cr.zeros(()) + 42.0

    try:
        assert D.kl_divergence(Shifted(t64(0.0), t64(1.0)), D.Normal(t64(0.0), t64(1.0))).item() == 42.0
        assert D.kl_divergence(D.Normal(t64(0.0), t64(1.0)), Shifted(t64(0.0), t64(1.0))).item() == 0.0
    finally:
        del _KL_REGISTRY[Shifted, D.Normal]


def test_monte_carlo_estimate_and_its_standard_error():
    p, q = D.Normal(t64(0.0), t64(1.0)), D.Normal(t64(1.0), t64(2.0))
    exact = D.kl_divergence(p, q).item()
    estimates = [D.kl_divergence_mc(p, q, 2000, rng=s) for s in range(30)]
    values = np.array([e.estimate.item() for e in estimates])
    errors = np.array([e.standard_error.item() for e in estimates])
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(30)
    np.testing.assert_allclose(errors.mean(), values.std(ddof=1), rtol=0.3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        D.kl_divergence_mc(p, q, 1)
    # reparameterized: the estimate's gradient in p's location approaches the exact one
    g_mc = cr.grad(lambda m: D.kl_divergence_mc(D.Normal(m, t64(1.0)), q, 50_000, rng=0).estimate)(t64(0.0)).item()
    g = cr.grad(lambda m: D.kl_divergence(D.Normal(m, t64(1.0)), q))(t64(0.0)).item()
    assert abs(g_mc - g) < 0.02


GRAD_PAIRS = [(D.Normal, D.Normal), (D.Gamma, D.Gamma), (D.Beta, D.Beta), (D.Dirichlet, D.Dirichlet),
              (D.MultivariateNormal, D.MultivariateNormal), (D.Laplace, D.Normal), (D.Normal, D.Laplace),
              (D.Categorical, D.Categorical), (D.Bernoulli, D.Bernoulli), (D.Weibull, D.Weibull),
              (D.Exponential, D.Gamma), (D.Poisson, D.Poisson)]


@pytest.mark.parametrize("pair", GRAD_PAIRS, ids=[_name(p) for p in GRAD_PAIRS])
def test_kl_is_differentiable_in_both_distributions(pair):
    p, q = _pair(*pair, seed=5)
    names_p = [n for n in p.arg_constraints if n in p.__dict__]
    names_q = [n for n in q.arg_constraints if n in q.__dict__]

    def kl(params_p, params_q):
        return D.kl_divergence(type(p)(**params_p, validate_args=False), type(q)(**params_q, validate_args=False))

    check_grads(kl, [{n: p.__dict__[n].numpy() for n in names_p}, {n: q.__dict__[n].numpy() for n in names_q}],
                order=2 if pair[0] is not D.MultivariateNormal else 1)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    T = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))  # noqa: E731
    rng = np.random.default_rng(9)
    a, b, c, d = (rng.uniform(0.5, 3, 3) for _ in range(4))
    cov = _spd(np.random.default_rng(1)).numpy()
    loc = rng.standard_normal((2, 3))
    probs = rng.dirichlet(np.ones(4), size=3)
    pairs = [
        (D.Normal(t64(a), t64(b)), D.Normal(t64(c), t64(d)), td.Normal(T(a), T(b)), td.Normal(T(c), T(d))),
        (D.Gamma(t64(a), t64(b)), D.Gamma(t64(c), t64(d)), td.Gamma(T(a), T(b)), td.Gamma(T(c), T(d))),
        (D.Beta(t64(a), t64(b)), D.Beta(t64(c), t64(d)), td.Beta(T(a), T(b)), td.Beta(T(c), T(d))),
        (D.Laplace(t64(a), t64(b)), D.Normal(t64(c), t64(d)), td.Laplace(T(a), T(b)), td.Normal(T(c), T(d))),
        (D.Exponential(t64(a)), D.Gamma(t64(c), t64(d)), td.Exponential(T(a)), td.Gamma(T(c), T(d))),
        (D.Gamma(t64(a), t64(b)), D.Normal(t64(c), t64(d)), td.Gamma(T(a), T(b)), td.Normal(T(c), T(d))),
        (D.Pareto(t64(a), t64(b + 2)), D.Gamma(t64(c), t64(d)), td.Pareto(T(a), T(b + 2)), td.Gamma(T(c), T(d))),
        (D.Cauchy(t64(a), t64(b)), D.Cauchy(t64(c), t64(d)), td.Cauchy(T(a), T(b)), td.Cauchy(T(c), T(d))),
        (D.Poisson(t64(a)), D.Poisson(t64(c)), td.Poisson(T(a)), td.Poisson(T(c))),
        (D.Geometric(probs=t64(a / 4)), D.Geometric(probs=t64(c / 4)), td.Geometric(T(a / 4)), td.Geometric(T(c / 4))),
        (D.Categorical(probs=t64(probs)), D.Categorical(probs=t64(probs[::-1])),
         td.Categorical(T(probs)), td.Categorical(T(probs[::-1].copy()))),
        (D.Dirichlet(t64(probs * 5)), D.Dirichlet(t64(probs[::-1] * 3)),
         td.Dirichlet(T(probs * 5)), td.Dirichlet(T(probs[::-1].copy() * 3))),
        (D.MultivariateNormal(t64(loc), covariance_matrix=t64(cov)),
         D.MultivariateNormal(t64(loc[::-1]), covariance_matrix=t64(cov[::-1])),
         td.MultivariateNormal(T(loc), covariance_matrix=T(cov)),
         td.MultivariateNormal(T(loc[::-1].copy()), covariance_matrix=T(cov[::-1].copy()))),
        (D.Uniform(t64(0.2), t64(0.7)), D.Beta(t64(c), t64(d)), td.Uniform(T(0.2), T(0.7)), td.Beta(T(c), T(d))),
        (D.HalfNormal(t64(a)), D.HalfNormal(t64(b)), td.HalfNormal(T(a)), td.HalfNormal(T(b))),
    ]
    for ours_p, ours_q, their_p, their_q in pairs:
        np.testing.assert_allclose(D.kl_divergence(ours_p, ours_q).numpy(),
                                   td.kl_divergence(their_p, their_q).numpy(), rtol=1e-10,
                                   err_msg=f"{type(ours_p).__name__}-{type(ours_q).__name__}")
