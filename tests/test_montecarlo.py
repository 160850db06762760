"""Monte Carlo: estimates within their own standard errors, exact samplers pass a KS test,
MCMC recovers a correlated Gaussian within Monte Carlo error, and quadrature verifies that
densities integrate to 1."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule import montecarlo as mc

MEAN = np.array([1.0, -2.0])
COV = np.array([[1.0, 0.8], [0.8, 1.0]])
PRECISION = cr.tensor(np.linalg.inv(COV))


def gaussian_log_prob(x):
    d = x - cr.tensor(MEAN)
    return -0.5 * cr.sum((d @ PRECISION) * d, axis=-1)


def f64(value):
    return cr.tensor(value, dtype=np.float64)


def normal(loc=0.0, scale=1.0):
    cls = getattr(cr.distributions, "Normal", None)
    if cls is None:
        pytest.skip("cr.distributions.Normal is not available")
    return cls(f64(loc), f64(scale))


# ----------------------------------------------------------------------------- expectations
def test_expectation_standard_error_and_coverage():
    result = mc.expectation(lambda x: x ** 2, lambda n, rng: rng.standard_normal(n), 40000, rng=0)
    assert abs(result.estimate - 1.0) < 4 * result.standard_error
    assert result.standard_error == pytest.approx(np.sqrt(2 / 40000), rel=0.05)      # Var(X^2) = 2
    covered = 0
    for seed in range(200):
        low, high = mc.expectation(lambda x: np.exp(x), scipy.stats.norm(), 400, rng=seed).confidence_interval()
        covered += low < np.exp(0.5) < high
    assert 0.88 <= covered / 200 <= 0.99


def test_expectation_with_a_chainrule_distribution_and_reparameterized_gradient():
    result = mc.expectation(lambda x: x, normal(0.5, 2.0), 20000, rng=1)
    assert abs(result.estimate - 0.5) < 4 * result.standard_error

    def second_moment(loc, scale):
        dist = cr.distributions.Normal(loc, scale)
        return mc.expectation(lambda x: x ** 2, dist, 20000, rng=2, reparameterize=True).estimate

    d_loc, d_scale = cr.grad(second_moment, argnums=(0, 1))(f64(0.5), f64(2.0))
    assert d_loc.item() == pytest.approx(1.0, abs=0.1)                 # d(loc^2 + scale^2)/d loc = 2 loc
    assert d_scale.item() == pytest.approx(4.0, abs=0.15)              # ... / d scale = 2 scale


def test_importance_sampling():
    target = scipy.stats.norm(1.0, 0.5)
    result = mc.importance_sampling(lambda x: x, lambda x: target.logpdf(x) + 3.0, scipy.stats.norm(0.0, 2.0), 20000,
                                    rng=3)
    assert abs(result.estimate - 1.0) < 4 * result.standard_error
    assert abs(result.log_normalizer - 3.0) < 0.05                      # log of the unnormalized mass
    assert 0 < result.ess < 20000 and result.weights.sum() == pytest.approx(1.0)
    plain = mc.importance_sampling(lambda x: x ** 2, target.logpdf, scipy.stats.norm(0.0, 2.0), 20000, rng=4,
                                   self_normalized=False)
    assert abs(plain.estimate - 1.25) < 4 * plain.standard_error          # E[X^2] = 1 + 0.25
    same = mc.importance_sampling(lambda x: x, target.logpdf, target, 1000, rng=5)
    assert same.ess == pytest.approx(1000.0)


def test_importance_sampling_with_a_chainrule_proposal():
    proposal = normal(0.0, 2.0)
    result = mc.importance_sampling(lambda x: x, lambda x: scipy.stats.norm(1.0, 0.5).logpdf(np.asarray(x)),
                                    proposal, 20000, rng=6)
    assert abs(result.estimate - 1.0) < 4 * result.standard_error


# ----------------------------------------------------------------------------- exact samplers
def test_inverse_transform_sampling():
    draws = mc.inverse_transform_sample(lambda u: -np.log1p(-u), 3000, rng=7)
    assert scipy.stats.kstest(draws, "expon").pvalue > 1e-3
    draws = mc.inverse_transform_sample(normal(1.0, 2.0), 3000, rng=8)
    assert scipy.stats.kstest(np.asarray(draws), scipy.stats.norm(1.0, 2.0).cdf).pvalue > 1e-3
    np.testing.assert_array_equal(mc.inverse_transform_sample(scipy.stats.expon(), 5, rng=9),
                                  mc.inverse_transform_sample(scipy.stats.expon(), 5, rng=9))


def test_rejection_sampling():
    peak = scipy.stats.beta(2, 5).pdf(0.2)                               # the mode of Beta(2, 5)
    result = mc.rejection_sample(lambda x: scipy.stats.beta(2, 5).logpdf(x), scipy.stats.uniform(), np.log(peak),
                                 4000, rng=10)
    assert result.samples.shape == (4000,)
    assert scipy.stats.kstest(result.samples, scipy.stats.beta(2, 5).cdf).pvalue > 1e-3
    assert result.acceptance_rate == pytest.approx(1 / peak, abs=0.03)
    with pytest.raises(ValueError, match="f\\(x\\) > M g\\(x\\)"):
        mc.rejection_sample(lambda x: scipy.stats.beta(2, 5).logpdf(x), scipy.stats.uniform(), 0.0, 100, rng=11)


# ----------------------------------------------------------------------------- MCMC
def assert_recovers_the_gaussian(samples):
    """Chain-wise means and covariances, compared with the truth within 5 Monte Carlo errors."""
    per_chain_mean = samples.mean(axis=0)                                 # (chains, 2)
    centered = samples - MEAN
    per_chain_cov = np.einsum("nci,ncj->cij", centered, centered) / samples.shape[0]
    chains = samples.shape[1]
    for estimate, truth in ((per_chain_mean, MEAN), (per_chain_cov, COV)):
        error = estimate.std(axis=0, ddof=1) / np.sqrt(chains)
        assert np.all(np.abs(estimate.mean(axis=0) - truth) < 5 * error + 1e-12), (estimate.mean(axis=0), truth)


def test_hmc_recovers_a_correlated_gaussian():
    result = mc.hmc(gaussian_log_prob, np.zeros((16, 2)), 250, step_size=0.25, n_leapfrog=8, burn_in=50, rng=0)
    assert result.samples.shape == (250, 16, 2)
    assert np.all(result.acceptance_rate > 0.8) and result.n_divergent == 0
    assert_recovers_the_gaussian(result.samples)
    np.testing.assert_allclose(result.log_prob, gaussian_log_prob(cr.tensor(result.samples)).numpy(), atol=1e-10)


def test_hmc_is_reproducible_and_takes_a_path_length():
    first = mc.hmc(gaussian_log_prob, np.zeros(2), 30, step_size=0.2, path_length=1.0, rng=42)
    second = mc.hmc(gaussian_log_prob, np.zeros(2), 30, step_size=0.2, n_leapfrog=5, rng=42)
    np.testing.assert_array_equal(first.samples, second.samples)          # path 1.0 / step 0.2 = 5 steps
    assert first.samples.shape == (30, 2) and np.ndim(first.acceptance_rate) == 0
    with pytest.raises(ValueError, match="not both"):
        mc.hmc(gaussian_log_prob, np.zeros(2), 3, n_leapfrog=3, path_length=1.0)
    with pytest.raises(ValueError, match="inside the support"):
        mc.hmc(lambda x: cr.log(x[..., 0]), np.array([-1.0, 0.0]), 3)


def test_hmc_with_a_chainrule_distribution_log_prob():
    target = normal(2.0, 0.5)
    result = mc.hmc(lambda x: target.log_prob(x[..., 0]), np.zeros((8, 1)), 200, step_size=0.2, n_leapfrog=6,
                    burn_in=30, rng=1)
    draws = result.samples[..., 0]
    error = draws.mean(axis=0).std(ddof=1) / np.sqrt(8)
    assert abs(draws.mean() - 2.0) < 5 * error


def test_metropolis_hastings_recovers_a_correlated_gaussian():
    result = mc.metropolis_hastings(gaussian_log_prob, np.zeros((16, 2)), 1500, proposal_scale=0.9, burn_in=300,
                                    thin=2, rng=0)
    assert result.samples.shape == (1500, 16, 2)
    assert np.all((0.2 < result.acceptance_rate) & (result.acceptance_rate < 0.8))
    assert_recovers_the_gaussian(result.samples)
    with pytest.raises(ValueError, match=r"\(n_chains,\) values"):
        mc.metropolis_hastings(lambda x: x, np.zeros((3, 2)), 5)


# ----------------------------------------------------------------------------- quadrature
def test_quad():
    value, error = mc.quad(lambda x: cr.exp(-x ** 2), -np.inf, np.inf)
    assert value == pytest.approx(np.sqrt(np.pi), rel=1e-12) and error < 1e-6
    assert mc.quad(np.sin, 0, np.pi).value == pytest.approx(2.0, rel=1e-13)


CONTINUOUS = [("Normal", (0.3, 1.7)), ("Normal", (100.0, 0.01)), ("LogNormal", (0.2, 0.6)), ("Exponential", (1.5,)),
              ("Gamma", (0.5, 2.0)), ("Gamma", (3.0, 0.5)), ("Beta", (2.0, 3.0)), ("Beta", (0.5, 0.5)),
              ("Uniform", (-1.0, 2.0)), ("Laplace", (0.0, 2.0)), ("Cauchy", (1.0, 0.5)), ("StudentT", (3.0, 0.0, 1.0)),
              ("Chi2", (4.0,)), ("HalfNormal", (1.5,)), ("Logistic", (0.0, 1.0)), ("Weibull", (1.0, 1.5)),
              ("Pareto", (1.0, 3.0)), ("TruncatedNormal", (0.0, 1.0, -1.0, 2.0))]


@pytest.mark.parametrize("name, parameters", CONTINUOUS, ids=[f"{n}{p}" for n, p in CONTINUOUS])
def test_every_continuous_density_integrates_to_one(name, parameters):
    cls = getattr(cr.distributions, name, None)
    if cls is None:
        pytest.skip(f"cr.distributions.{name} is not available")
    result = mc.check_normalization(cls(*[f64(p) for p in parameters]), tol=1e-6)
    assert result.value == pytest.approx(1.0, abs=1e-6)


def test_check_normalization_of_a_function_and_its_errors():
    assert mc.check_normalization(lambda x: np.exp(-x), 0.0, np.inf).value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="integrates to"):
        mc.check_normalization(lambda x: 2 * np.exp(-x), 0.0, np.inf)
    assert mc.check_normalization(lambda x: 2 * np.exp(-x), 0.0, np.inf, raise_error=False).value == pytest.approx(2.0)
