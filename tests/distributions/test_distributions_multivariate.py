"""Distributions of vectors and categories, composites and compounds, against scipy.stats:
MultivariateNormal (three parameterizations), LowRankMultivariateNormal, Dirichlet,
Categorical, OneHotCategorical, Multinomial, MixtureSameFamily, Independent, BetaBinomial,
InverseGamma; their gradients and samples.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.stats as st

import chainrule as cr
from chainrule.testing import check_grads

D = cr.distributions
RNG = np.random.default_rng(42)
K = 3


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def _spd(batch=(2,), k=K, seed=0):
    a = np.random.default_rng(seed).standard_normal(batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


COV = _spd()
LOC = np.random.default_rng(1).standard_normal((2, K))
X = np.random.default_rng(2).standard_normal((5, 2, K))


def _mvn(kind, loc=LOC, cov=COV):
    matrix = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
              "scale_tril": np.linalg.cholesky(cov)}[kind]
    return D.MultivariateNormal(t64(loc), **{kind: t64(matrix)})


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal_against_scipy(kind):
    d = _mvn(kind)
    assert d.batch_shape == (2,) and d.event_shape == (K,)
    refs = [st.multivariate_normal(LOC[i], COV[i]) for i in range(2)]
    want = np.stack([refs[i].logpdf(X[:, i]) for i in range(2)], axis=-1)
    np.testing.assert_allclose(d.log_prob(t64(X)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(d.entropy().numpy(), [r.entropy() for r in refs], rtol=1e-12)
    np.testing.assert_allclose(d.covariance_matrix.numpy(), COV, rtol=1e-12)
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(COV), rtol=1e-10)
    np.testing.assert_allclose(d.scale_tril.numpy(), np.linalg.cholesky(COV), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.variance.numpy(), np.diagonal(COV, axis1=-2, axis2=-1), rtol=1e-12)
    np.testing.assert_allclose(d.mean.numpy(), LOC)


def test_multivariate_normal_samples_and_broadcasting():
    d = D.MultivariateNormal(t64(LOC), covariance_matrix=t64(COV[0]))        # one covariance, two means
    draws = d.sample((20000,), rng=5).numpy()
    assert draws.shape == (20000, 2, K)
    for i in range(2):
        np.testing.assert_allclose(draws[:, i].mean(0), LOC[i], atol=5 * np.sqrt(COV[0].diagonal().max() / 20000))
        np.testing.assert_allclose(np.cov(draws[:, i].T), COV[0], atol=0.15 * COV[0].max())
    np.testing.assert_array_equal(draws, d.sample((20000,), rng=5).numpy())


def test_multivariate_normal_gradients():
    tril = np.linalg.cholesky(COV[0])
    x = X[:, 0]

    def log_prob(loc, scale_tril, value):
        return D.MultivariateNormal(loc, scale_tril=cr.tril(scale_tril), validate_args=False).log_prob(value)

    check_grads(log_prob, [LOC[0], tril, x], order=2)
    check_grads(lambda cov: D.MultivariateNormal(t64(LOC[0]), covariance_matrix=0.5 * (cov + cov.mT)).log_prob(t64(x)),
                [COV[0]], order=1)
    check_grads(lambda p: D.MultivariateNormal(t64(LOC[0]), precision_matrix=0.5 * (p + p.mT)).entropy(),
                [np.linalg.inv(COV[0])], order=1)
    check_grads(lambda loc, s: D.MultivariateNormal(loc, scale_tril=cr.tril(s)).rsample((4,), rng=1),
                [LOC[0], tril], order=2)
    # d/d mu log N(x; mu, Sigma) = Sigma^{-1}(x - mu)
    g = cr.grad(lambda m: _mvn("covariance_matrix", cov=COV[0]).__class__(m, covariance_matrix=t64(COV[0]))
                .log_prob(t64(x[0])))(t64(LOC[0])).numpy()
    np.testing.assert_allclose(g, np.linalg.solve(COV[0], x[0] - LOC[0]), rtol=1e-10)


def _integral_2d(log_density, center, half_width, n=401):
    """The trapezoid rule on a square grid: spectrally accurate for a smooth density that has
    decayed to nothing at the edges; one vectorised evaluation."""
    axes = [np.linspace(c - half_width, c + half_width, n) for c in center]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    values = np.exp(log_density(t64(grid)).numpy())
    return np.trapezoid(np.trapezoid(values, axes[1], axis=1), axes[0])


def test_multivariate_normal_densities_integrate_to_one():
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    mvn = D.MultivariateNormal(t64([0.5, -1.0]), covariance_matrix=t64(cov))
    assert abs(_integral_2d(mvn.log_prob, [0.5, -1.0], 12.0) - 1) < 1e-9
    low_rank = D.LowRankMultivariateNormal(t64([0.0, 1.0]), t64([[1.0], [0.5]]), t64([0.5, 0.3]))
    assert abs(_integral_2d(low_rank.log_prob, [0.0, 1.0], 10.0) - 1) < 1e-9


def test_low_rank_multivariate_normal_against_scipy():
    w = RNG.standard_normal((2, K, 2))
    diag = RNG.uniform(0.5, 1.5, (2, K))
    d = D.LowRankMultivariateNormal(t64(LOC), t64(w), t64(diag))
    cov = w @ np.swapaxes(w, -1, -2) + diag[..., None] * np.eye(K)
    refs = [st.multivariate_normal(LOC[i], cov[i]) for i in range(2)]
    np.testing.assert_allclose(d.log_prob(t64(X)).numpy(), np.stack([refs[i].logpdf(X[:, i]) for i in range(2)], -1),
                               rtol=1e-12)
    np.testing.assert_allclose(d.entropy().numpy(), [r.entropy() for r in refs], rtol=1e-12)
    np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, rtol=1e-12)
    np.testing.assert_allclose(d.variance.numpy(), np.diagonal(cov, axis1=-2, axis2=-1), rtol=1e-12)
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-10)
    draws = d.sample((20000,), rng=1).numpy()
    np.testing.assert_allclose(np.cov(draws[:, 0].T), cov[0], atol=0.15 * np.abs(cov[0]).max())
    check_grads(lambda loc, w, dg: D.LowRankMultivariateNormal(loc, w, dg, validate_args=False).log_prob(t64(X[:, 0])),
                [LOC[0], w[0], diag[0]], order=2)
    check_grads(lambda w: D.LowRankMultivariateNormal(t64(LOC[0]), w, t64(diag[0])).rsample((3,), rng=2), [w[0]])


def test_dirichlet_against_scipy():
    alpha = RNG.uniform(0.7, 4.0, (2, 4))
    d = D.Dirichlet(t64(alpha))
    assert d.batch_shape == (2,) and d.event_shape == (4,)
    x = np.stack([RNG.dirichlet(alpha[i], size=6) for i in range(2)], axis=1)
    for i in range(2):
        ref = st.dirichlet(alpha[i])
        np.testing.assert_allclose(d.log_prob(t64(x)).numpy()[:, i], ref.logpdf(x[:, i].T), rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy()[i], ref.entropy(), rtol=1e-12)
        np.testing.assert_allclose(d.mean.numpy()[i], ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(d.variance.numpy()[i], ref.var(), rtol=1e-12)
    draws = d.sample((20000,), rng=3).numpy()
    np.testing.assert_allclose(draws.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(draws.mean(0), d.mean.numpy(), atol=0.01)
    np.testing.assert_allclose(draws.var(0), d.variance.numpy(), rtol=0.1)
    # (the value is not perturbed: off the simplex it is outside the support)
    check_grads(lambda a: D.Dirichlet(a).log_prob(t64(x[:2])), [alpha], order=2)
    np.testing.assert_allclose(D.Dirichlet(t64([2.0, 3.0, 5.0])).mode.numpy(), [1 / 7, 2 / 7, 4 / 7])
    assert np.all(np.isnan(D.Dirichlet(t64([0.5, 3.0])).mode.numpy()))


def test_dirichlet_density_integrates_to_one_on_the_simplex():
    """Gauss–Legendre on the triangle through x = u, y = (1 - u)v (Jacobian 1 - u)."""
    d = D.Dirichlet(t64([2.0, 2.5, 3.0]))
    nodes, weights = np.polynomial.legendre.leggauss(60)
    nodes, weights = 0.5 * (nodes + 1), 0.5 * weights
    u, v = np.meshgrid(nodes, nodes, indexing="ij")
    x, y = u, (1 - u) * v
    points = np.stack([x, y, 1 - x - y], axis=-1)
    total = np.sum(np.outer(weights, weights) * (1 - u) * d.prob(t64(points)).numpy())
    assert abs(total - 1) < 1e-7


def test_categorical_and_one_hot():
    p = RNG.dirichlet(np.ones(4), size=2)
    for d in (D.Categorical(probs=t64(p)), D.Categorical(logits=t64(np.log(p) + 3.0))):
        assert d.batch_shape == (2,) and d.event_shape == ()
        k = np.array([[0, 3], [2, 1], [1, 1]])
        np.testing.assert_allclose(d.log_prob(cr.tensor(k)).numpy(), np.log(p[[0, 1], k]), rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy(), st.entropy(p, axis=-1), rtol=1e-12)
        np.testing.assert_allclose(d.cdf(t64([[1.0, 2.5]])).numpy(), [[p[0, :2].sum(), p[1, :3].sum()]], rtol=1e-12)
        q = np.array([[0.3, 0.99]])
        want = [[np.searchsorted(np.cumsum(p[i]), q[0, i]) for i in range(2)]]
        np.testing.assert_array_equal(d.icdf(t64(q)).numpy(), want)
        draws = d.sample((20000,), rng=4).numpy()
        assert draws.dtype == np.int64
        freq = np.stack([(draws == j).mean(0) for j in range(4)], -1)
        np.testing.assert_allclose(freq, p, atol=0.015)
        np.testing.assert_array_equal(d.mode.numpy(), p.argmax(-1))
        assert np.allclose(np.exp(d.log_prob(d.enumerate_support()).numpy()).sum(0), 1.0)
    check_grads(lambda logits: D.Categorical(logits=logits).log_prob(cr.tensor(np.array([0, 3]))), [np.log(p)])
    check_grads(lambda probs: D.Categorical(probs=probs, validate_args=False).entropy(), [p])
    oh = D.OneHotCategorical(probs=t64(p))
    sample = oh.sample((7,), rng=1)
    assert sample.shape == (7, 2, 4) and np.all(sample.numpy().sum(-1) == 1)
    np.testing.assert_allclose(oh.log_prob(sample).numpy(), np.log((sample.numpy() * p).sum(-1)), rtol=1e-12)
    np.testing.assert_allclose(oh.mean.numpy(), p)
    np.testing.assert_allclose(oh.variance.numpy(), p * (1 - p))
    np.testing.assert_allclose(oh.entropy().numpy(), st.entropy(p, axis=-1))
    np.testing.assert_array_equal(oh.mode.numpy().argmax(-1), p.argmax(-1))


@pytest.mark.parametrize("from_logits", [False, True])
def test_multinomial_against_scipy(from_logits):
    p = RNG.dirichlet(np.ones(4), size=2)
    d = D.Multinomial(9, logits=t64(np.log(p) - 1.0)) if from_logits else D.Multinomial(9, probs=t64(p))
    counts = np.stack([RNG.multinomial(9, p[i], size=5) for i in range(2)], axis=1).astype(float)
    for i in range(2):
        ref = st.multinomial(9, p[i])
        np.testing.assert_allclose(d.log_prob(t64(counts)).numpy()[:, i], ref.logpmf(counts[:, i]), rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy()[i], ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(d.mean.numpy(), 9 * p)
    np.testing.assert_allclose(d.variance.numpy(), 9 * p * (1 - p))
    draws = d.sample((10000,), rng=2).numpy()
    assert np.all(draws.sum(-1) == 9)
    np.testing.assert_allclose(draws.mean(0), 9 * p, atol=0.1)
    check_grads(lambda q: D.Multinomial(9, probs=q, validate_args=False).log_prob(t64(counts)), [p], order=2)


def test_mixture_same_family():
    weights, means, scales = np.array([0.3, 0.7]), np.array([-1.0, 2.0]), np.array([0.5, 1.0])
    mix = D.MixtureSameFamily(D.Categorical(probs=t64(weights)), D.Normal(t64(means), t64(scales)))
    x = np.linspace(-4, 5, 11)
    ref = lambda x: sum(w * st.norm(m, s).pdf(x) for w, m, s in zip(weights, means, scales))  # noqa: E731
    np.testing.assert_allclose(mix.log_prob(t64(x)).numpy(), np.log(ref(x)), rtol=1e-12)
    np.testing.assert_allclose(mix.cdf(t64(x)).numpy(),
                               sum(w * st.norm(m, s).cdf(x) for w, m, s in zip(weights, means, scales)), rtol=1e-12)
    mean = weights @ means
    var = weights @ (scales ** 2 + means ** 2) - mean ** 2
    np.testing.assert_allclose(mix.mean.numpy(), mean)
    np.testing.assert_allclose(mix.variance.numpy(), var)
    assert abs(scipy.integrate.quad(lambda v: float(mix.prob(t64(v)).numpy()), -np.inf, np.inf)[0] - 1) < 1e-8
    draws = mix.sample((20000,), rng=3).numpy()
    assert abs(draws.mean() - mean) < 5 * np.sqrt(var / 20000)
    assert st.kstest(draws, lambda v: sum(w * st.norm(m, s).cdf(v) for w, m, s in zip(weights, means, scales))
                     ).pvalue > 1e-3
    check_grads(lambda lw, m, s: D.MixtureSameFamily(D.Categorical(logits=lw), D.Normal(m, s)).log_prob(t64(x)),
                [np.log(weights), means, scales], order=2)
    # a mixture of multivariate normals (event shape (K,)) over a batch of 2
    comps = D.MultivariateNormal(t64(np.zeros((2, 3, K)) + np.arange(3)[:, None]), covariance_matrix=t64(np.eye(K)))
    mvmix = D.MixtureSameFamily(D.Categorical(probs=t64(np.full((2, 3), 1 / 3))), comps)
    assert mvmix.batch_shape == (2,) and mvmix.event_shape == (K,)
    assert mvmix.log_prob(t64(X)).shape == (5, 2) and mvmix.sample((4,), rng=0).shape == (4, 2, K)
    np.testing.assert_allclose(mvmix.mean.numpy(), np.ones((2, K)))


def test_independent():
    loc, scale = RNG.standard_normal((2, K)), RNG.uniform(0.5, 2, (2, K))
    d = D.Independent(D.Normal(t64(loc), t64(scale)), 1)
    assert d.batch_shape == (2,) and d.event_shape == (K,)
    np.testing.assert_allclose(d.log_prob(t64(X)).numpy(), st.norm(loc, scale).logpdf(X).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(d.entropy().numpy(), st.norm(loc, scale).entropy().sum(-1), rtol=1e-12)
    diagonal = D.MultivariateNormal(t64(loc), covariance_matrix=t64(scale[..., None] ** 2 * np.eye(K)))
    np.testing.assert_allclose(d.log_prob(t64(X)).numpy(), diagonal.log_prob(t64(X)).numpy(), rtol=1e-12)
    assert d.has_rsample and d.rsample((3,), rng=1).shape == (3, 2, K)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims must be in"):
        D.Independent(D.Normal(t64(loc), t64(scale)), 3)


def test_beta_binomial_and_inverse_gamma_against_scipy():
    bb = D.BetaBinomial(t64([2.0, 0.7]), t64([3.0, 1.5]), t64([5.0, 9.0]))
    ref = st.betabinom([5, 9], [2.0, 0.7], [3.0, 1.5])
    k = np.array([[0.0, 3.0], [5.0, 9.0], [2.0, 4.0]])
    np.testing.assert_allclose(bb.log_prob(t64(k)).numpy(), ref.logpmf(k), rtol=1e-12)
    np.testing.assert_allclose(bb.cdf(t64(k + 0.5)).numpy(), ref.cdf(k + 0.5), rtol=1e-12)
    np.testing.assert_allclose(bb.icdf(t64([[0.3, 0.9]])).numpy(), ref.ppf([[0.3, 0.9]]))
    np.testing.assert_allclose(bb.mean.numpy(), ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(bb.variance.numpy(), ref.var(), rtol=1e-12)
    np.testing.assert_allclose(bb.entropy().numpy(), ref.entropy(), rtol=1e-12)
    unchecked = D.BetaBinomial(t64([2.0, 0.7]), t64([3.0, 1.5]), t64([5.0, 9.0]), validate_args=False)
    np.testing.assert_allclose(unchecked.prob(t64(np.arange(12.0)[:, None])).numpy().sum(0), 1.0, rtol=1e-12)
    draws = bb.sample((20000,), rng=1).numpy()
    np.testing.assert_allclose(draws.mean(0), ref.mean(), atol=5 * np.sqrt(ref.var() / 20000).max())
    ig = D.InverseGamma(t64([2.5, 3.5]), t64([1.5, 0.7]))
    ref = st.invgamma([2.5, 3.5], scale=[1.5, 0.7])
    x = np.array([[0.3, 1.2], [2.0, 0.5]])
    np.testing.assert_allclose(ig.log_prob(t64(x)).numpy(), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(ig.cdf(t64(x)).numpy(), ref.cdf(x), rtol=1e-12)
    np.testing.assert_allclose(ig.icdf(t64([0.3, 0.8])).numpy(), ref.ppf([0.3, 0.8]), rtol=1e-12)
    np.testing.assert_allclose(ig.mean.numpy(), ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(ig.variance.numpy(), ref.var(), rtol=1e-12)
    np.testing.assert_allclose(ig.entropy().numpy(), ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(ig.mode.numpy(), [1.5 / 3.5, 0.7 / 4.5])
    total = scipy.integrate.quad(lambda v: float(ig.prob(t64([v, 1.0])).numpy()[0]), 0, np.inf)[0]
    assert abs(total - 1) < 1e-8
    assert st.kstest(ig.sample((4000,), rng=2).numpy()[:, 0], st.invgamma(2.5, scale=1.5).cdf).pvalue > 1e-3
    check_grads(lambda a, b, v: D.InverseGamma(a, b, validate_args=False).log_prob(v),
                [np.array([2.5, 3.5]), np.array([1.5, 0.7]), x], order=2)
