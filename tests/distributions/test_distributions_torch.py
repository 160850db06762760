"""chainrule.distributions against torch.distributions in float64: log_prob, entropy, cdf,
icdf, moments, and the gradient of log_prob in the parameters and the value."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
td = torch.distributions
D = cr.distributions
RNG = np.random.default_rng(17)


def _u(lo, hi, shape=(3,)):
    return RNG.uniform(lo, hi, shape)


# (name, chainrule class, torch class, params (keyword → array), value sampler, differentiable value)
CASES = [
    ("Normal", D.Normal, td.Normal, {"loc": _u(-1, 1), "scale": _u(0.5, 2)}, lambda: _u(-2, 2), True),
    ("LogNormal", D.LogNormal, td.LogNormal, {"loc": _u(-1, 1), "scale": _u(0.5, 2)}, lambda: _u(0.1, 3), True),
    ("HalfNormal", D.HalfNormal, td.HalfNormal, {"scale": _u(0.5, 2)}, lambda: _u(0.1, 3), True),
    ("Laplace", D.Laplace, td.Laplace, {"loc": _u(-1, 1), "scale": _u(0.5, 2)}, lambda: _u(-2, 2), True),
    ("Cauchy", D.Cauchy, td.Cauchy, {"loc": _u(-1, 1), "scale": _u(0.5, 2)}, lambda: _u(-2, 2), True),
    ("StudentT", D.StudentT, td.StudentT, {"df": _u(2.5, 6), "loc": _u(-1, 1), "scale": _u(0.5, 2)},
     lambda: _u(-2, 2), True),
    ("Exponential", D.Exponential, td.Exponential, {"rate": _u(0.5, 2)}, lambda: _u(0.1, 3), True),
    ("Gamma", D.Gamma, td.Gamma, {"concentration": _u(0.5, 3), "rate": _u(0.5, 2)}, lambda: _u(0.1, 3), True),
    ("Chi2", D.Chi2, td.Chi2, {"df": _u(1.0, 5)}, lambda: _u(0.1, 3), True),
    ("Beta", D.Beta, td.Beta, {"concentration1": _u(0.5, 3), "concentration0": _u(0.5, 3)},
     lambda: _u(0.05, 0.95), True),
    ("Uniform", D.Uniform, td.Uniform, {"low": _u(-1, 0), "high": _u(1, 2)}, lambda: _u(0.0, 0.99), True),
    ("Weibull", D.Weibull, td.Weibull, {"scale": _u(0.5, 2), "concentration": _u(0.5, 3)}, lambda: _u(0.1, 3), True),
    ("Pareto", D.Pareto, td.Pareto, {"scale": _u(0.2, 0.5), "alpha": _u(1.0, 4)}, lambda: _u(0.6, 3), True),
    ("InverseGamma", D.InverseGamma, td.InverseGamma, {"concentration": _u(1.0, 3), "rate": _u(0.5, 2)},
     lambda: _u(0.1, 3), True),
    ("Bernoulli", D.Bernoulli, td.Bernoulli, {"probs": _u(0.05, 0.95)}, lambda: RNG.integers(0, 2, 3).astype(float),
     False),
    ("Bernoulli(logits)", D.Bernoulli, td.Bernoulli, {"logits": _u(-3, 3)},
     lambda: RNG.integers(0, 2, 3).astype(float), False),
    ("Binomial", D.Binomial, td.Binomial, {"total_count": np.array([3.0, 7.0, 10.0]), "probs": _u(0.05, 0.95)},
     lambda: np.array([1.0, 7.0, 4.0]), False),
    ("Geometric", D.Geometric, td.Geometric, {"probs": _u(0.05, 0.95)}, lambda: RNG.integers(0, 6, 3).astype(float),
     False),
    ("NegativeBinomial", D.NegativeBinomial, td.NegativeBinomial,
     {"total_count": _u(1.0, 5.0), "probs": _u(0.05, 0.8)}, lambda: RNG.integers(0, 9, 3).astype(float), False),
    ("NegativeBinomial(logits)", D.NegativeBinomial, td.NegativeBinomial,
     {"total_count": _u(1.0, 5.0), "logits": _u(-2, 1)}, lambda: RNG.integers(0, 9, 3).astype(float), False),
    ("Poisson", D.Poisson, td.Poisson, {"rate": _u(0.5, 6)}, lambda: RNG.integers(0, 9, 3).astype(float), False),
]


def _pair(cls, tcls, params):
    ours = cls(**{k: cr.tensor(v) for k, v in params.items()})
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    return ours, tcls(**tparams), tparams


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_log_prob_entropy_and_moments(case):
    name, cls, tcls, params, values, _ = case
    ours, theirs, _ = _pair(cls, tcls, params)
    x = values()
    np.testing.assert_allclose(ours.log_prob(cr.tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.mean.numpy(), theirs.mean.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.variance.numpy(), theirs.variance.detach().numpy(), rtol=1e-10)
    try:
        entropy = theirs.entropy().detach().numpy()
    except NotImplementedError:
        entropy = None
    if entropy is not None:
        np.testing.assert_allclose(ours.entropy().numpy(), entropy, rtol=1e-10, atol=1e-12)
    for method, arg in (("cdf", x), ("icdf", _u(0.05, 0.95))):
        try:
            want = getattr(theirs, method)(torch.tensor(arg)).detach().numpy()
        except NotImplementedError:
            continue
        np.testing.assert_allclose(getattr(ours, method)(cr.tensor(arg)).numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_log_prob_gradients(case):
    name, cls, tcls, params, values, value_differentiable = case
    x = values()
    tparams = {k: torch.tensor(v, requires_grad=k != "total_count") for k, v in params.items()}
    tx = torch.tensor(x, requires_grad=value_differentiable)
    out = tcls(**tparams).log_prob(tx).sum()
    wrt = [tparams[k] for k in params if k != "total_count"] + ([tx] if value_differentiable else [])
    want = [torch.zeros_like(t) if g is None else g for g, t in zip(torch.autograd.grad(out, wrt, allow_unused=True), wrt)]
    names = [k for k in params if k != "total_count"]

    def log_prob(*args):
        kw = dict(zip(names, args))
        kw.update({k: cr.tensor(v) for k, v in params.items() if k == "total_count"})
        value = args[len(names)] if value_differentiable else cr.tensor(x)
        return cls(**kw).log_prob(value).sum()

    inputs = [cr.tensor(params[k]) for k in names] + ([cr.tensor(x)] if value_differentiable else [])
    got = cr.grad(log_prob, argnums=tuple(range(len(inputs))))(*inputs)
    for g, w, label in zip(got, want, names + ["value"]):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"{name}: d/d{label}")


def test_vector_distributions_against_pytorch():
    k = 3
    a = RNG.standard_normal((2, k, k))
    cov = a @ np.swapaxes(a, -1, -2) + k * np.eye(k)
    loc = RNG.standard_normal((2, k))
    x = RNG.standard_normal((4, 2, k))
    for kind, matrix in (("covariance_matrix", cov), ("precision_matrix", np.linalg.inv(cov)),
                         ("scale_tril", np.linalg.cholesky(cov))):
        ours = D.MultivariateNormal(cr.tensor(loc), **{kind: cr.tensor(matrix)})
        theirs = td.MultivariateNormal(torch.tensor(loc), **{kind: torch.tensor(matrix)})
        np.testing.assert_allclose(ours.log_prob(cr.tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.scale_tril.numpy(), theirs.scale_tril.numpy(), rtol=1e-10, atol=1e-12)
    w, dg = RNG.standard_normal((2, k, 2)), RNG.uniform(0.5, 2, (2, k))
    ours = D.LowRankMultivariateNormal(cr.tensor(loc), cr.tensor(w), cr.tensor(dg))
    theirs = td.LowRankMultivariateNormal(torch.tensor(loc), torch.tensor(w), torch.tensor(dg))
    np.testing.assert_allclose(ours.log_prob(cr.tensor(x)).numpy(), theirs.log_prob(torch.tensor(x)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.entropy().numpy(), theirs.entropy().numpy(), rtol=1e-10)
    alpha = RNG.uniform(0.5, 3, (2, 4))
    v = RNG.dirichlet(np.ones(4), size=(5, 2))
    np.testing.assert_allclose(D.Dirichlet(cr.tensor(alpha)).log_prob(cr.tensor(v)).numpy(),
                               td.Dirichlet(torch.tensor(alpha)).log_prob(torch.tensor(v)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(D.Dirichlet(cr.tensor(alpha)).entropy().numpy(),
                               td.Dirichlet(torch.tensor(alpha)).entropy().numpy(), rtol=1e-10)
    logits = RNG.standard_normal((2, 4))
    idx = np.array([[0, 3], [2, 2]])
    np.testing.assert_allclose(D.Categorical(logits=cr.tensor(logits)).log_prob(cr.tensor(idx)).numpy(),
                               td.Categorical(logits=torch.tensor(logits)).log_prob(torch.tensor(idx)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(D.Categorical(logits=cr.tensor(logits)).entropy().numpy(),
                               td.Categorical(logits=torch.tensor(logits)).entropy().numpy(), rtol=1e-12)
    counts = np.array([[1.0, 0.0, 4.0, 2.0], [0.0, 0.0, 7.0, 0.0]])
    np.testing.assert_allclose(D.Multinomial(7, logits=cr.tensor(logits)).log_prob(cr.tensor(counts)).numpy(),
                               td.Multinomial(7, logits=torch.tensor(logits)).log_prob(torch.tensor(counts)).numpy(),
                               rtol=1e-12)
    # (torch's multinomial entropy goes through clamped probabilities: about 1e-7 from scipy's,
    # which chainrule matches to 1e-12 in test_distributions_multivariate.py)
    np.testing.assert_allclose(D.Multinomial(7, logits=cr.tensor(logits)).entropy().numpy(),
                               td.Multinomial(7, logits=torch.tensor(logits)).entropy().numpy(), rtol=1e-6)
    mix = D.MixtureSameFamily(D.Categorical(logits=cr.tensor(logits[0, :2])),
                              D.Normal(cr.tensor(loc[0, :2]), cr.tensor(dg[0, :2])))
    tmix = td.MixtureSameFamily(td.Categorical(logits=torch.tensor(logits[0, :2])),
                                td.Normal(torch.tensor(loc[0, :2]), torch.tensor(dg[0, :2])))
    grid = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(mix.log_prob(cr.tensor(grid)).numpy(), tmix.log_prob(torch.tensor(grid)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(mix.variance.numpy(), tmix.variance.numpy(), rtol=1e-12)
