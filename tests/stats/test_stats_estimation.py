"""Maximum likelihood with autodiff: estimates, observed Fisher information and standard errors
against their closed forms (Normal, Poisson, Exponential, Bernoulli, Categorical), fits
against SciPy's, the likelihood-ratio test, and errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule import stats

RNG = np.random.default_rng(2024)


def distribution(name):
    """A class of cr.distributions; the test is skipped while it does not exist yet."""
    cls = getattr(cr.distributions, name, None)
    if cls is None:
        pytest.skip(f"cr.distributions.{name} is not available")
    return cls


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_normal_fisher_information_and_standard_errors(method):
    x = RNG.normal(3.0, 2.0, 400)
    n, mu, sigma = x.size, x.mean(), x.std()
    fit = stats.fit(distribution("Normal"), x, method=method)
    assert fit.converged
    assert fit.params["loc"] == pytest.approx(mu, rel=1e-8)
    assert fit.params["scale"] == pytest.approx(sigma, rel=1e-7)
    # observed information at the MLE: diag(n / sigma^2, 2n / sigma^2)
    np.testing.assert_allclose(fit.fisher_information, np.diag([n / sigma ** 2, 2 * n / sigma ** 2]), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(fit.cov, np.linalg.inv(fit.fisher_information), rtol=1e-6, atol=1e-12)
    assert fit.stderr["loc"] == pytest.approx(sigma / np.sqrt(n), rel=1e-6)
    assert fit.stderr["scale"] == pytest.approx(sigma / np.sqrt(2 * n), rel=1e-6)
    loglik = scipy.stats.norm.logpdf(x, mu, sigma).sum()
    assert fit.loglik == pytest.approx(loglik, rel=1e-10)
    assert (fit.aic, fit.bic) == pytest.approx((4 - 2 * loglik, 2 * np.log(n) - 2 * loglik), rel=1e-10)
    low, high = fit.confidence_interval(0.95)["loc"]
    assert (high - low) / 2 == pytest.approx(1.959963984540054 * sigma / np.sqrt(n), rel=1e-6)
    assert fit.names == ["loc", "scale"] and fit.nobs == n and fit.n_params == 2


@pytest.mark.parametrize("name, draw, estimate, stderr, information", [
    ("Poisson", lambda: RNG.poisson(3.5, 300).astype(float), lambda x: x.mean(),
     lambda x: np.sqrt(x.mean() / x.size), lambda x: x.size / x.mean()),
    ("Exponential", lambda: RNG.exponential(0.5, 250), lambda x: 1 / x.mean(),
     lambda x: 1 / x.mean() / np.sqrt(x.size), lambda x: x.size * x.mean() ** 2),
    ("Bernoulli", lambda: (RNG.random(200) < 0.3).astype(float), lambda x: x.mean(),
     lambda x: np.sqrt(x.mean() * (1 - x.mean()) / x.size), lambda x: x.size / (x.mean() * (1 - x.mean()))),
])
def test_one_parameter_families_against_analytic_fisher_information(name, draw, estimate, stderr, information):
    x = draw()
    fit = stats.fit(distribution(name), x)
    (param,) = fit.params
    assert fit.params[param] == pytest.approx(estimate(x), rel=1e-8)
    assert fit.stderr[param] == pytest.approx(stderr(x), rel=1e-6)
    assert fit.fisher_information[0, 0] == pytest.approx(information(x), rel=1e-6)


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_fits_from_a_poor_starting_point(method):
    x = RNG.normal(3.0, 2.0, 200)
    fit = stats.fit(distribution("Normal"), x, method=method, init={"loc": -40.0, "scale": 0.05})
    assert fit.converged and fit.n_iter > 3
    assert (fit.params["loc"], fit.params["scale"]) == pytest.approx((x.mean(), x.std()), rel=1e-6)


def test_categorical_on_the_simplex():
    x = RNG.integers(0, 4, 500).astype(float)
    fit = stats.fit(distribution("Categorical"), x)
    p = np.bincount(x.astype(int), minlength=4) / 500
    np.testing.assert_allclose(fit.params["probs"], p, rtol=1e-7)
    np.testing.assert_allclose(fit.stderr["probs"], np.sqrt(p * (1 - p) / 500), rtol=1e-5)
    # the multinomial covariance: -p_i p_j / n off the diagonal
    np.testing.assert_allclose(fit.cov, (np.diag(p) - np.outer(p, p)) / 500, atol=1e-8)
    assert fit.n_params == 3 and fit.names[0] == "probs[0]"


def test_multivariate_normal_covariance_standard_errors():
    x = RNG.multivariate_normal([1.0, 2.0], [[1.0, 0.5], [0.5, 2.0]], 300)
    fit = stats.fit(distribution("MultivariateNormal"), x)
    c = np.cov(x.T, bias=True)
    np.testing.assert_allclose(fit.params["loc"], x.mean(axis=0), rtol=1e-8)
    np.testing.assert_allclose(fit.params["covariance_matrix"], c, rtol=1e-6)
    # normal theory: Var(S_ij) = (s_ii s_jj + s_ij^2) / n
    np.testing.assert_allclose(fit.stderr["covariance_matrix"], np.sqrt((np.outer(np.diag(c), np.diag(c)) + c ** 2) / 300),
                               rtol=1e-5)
    np.testing.assert_allclose(fit.stderr["loc"], np.sqrt(np.diag(c) / 300), rtol=1e-6)
    assert fit.n_params == 5                       # 2 means and the 3 free entries of a symmetric 2×2 matrix


def test_two_parameter_fits_agree_with_scipy():
    x = RNG.gamma(2.5, 1.5, 500)
    fit = stats.fit(distribution("Gamma"), x)
    shape, _, scale = scipy.stats.gamma.fit(x, floc=0)
    assert fit.params["concentration"] == pytest.approx(shape, rel=1e-5)
    assert fit.params["rate"] == pytest.approx(1 / scale, rel=1e-5)
    t = RNG.standard_t(4, 300) * 2 + 1
    fit = stats.fit(distribution("StudentT"), t, fixed={"df": 4.0}, method="lbfgs")
    _, loc, scale = scipy.stats.t.fit(t, f0=4.0)
    assert (fit.params["loc"], fit.params["scale"]) == pytest.approx((loc, scale), rel=1e-4)
    assert "df" not in fit.params and fit.fixed == {"df": 4.0}
    assert "Maximum Likelihood Fit" in fit.summary()


def test_likelihood_ratio_test_between_nested_normal_models():
    x = RNG.normal(0.3, 1.0, 100)
    normal = distribution("Normal")
    null = stats.fit(normal, x, fixed={"loc": 0.0})
    alternative = stats.fit(normal, x)
    result = stats.likelihood_ratio_test(null, alternative)
    # 2(l1 - l0) = n log(s0^2 / s^2) with s0^2 = mean(x^2), s^2 = var(x)
    assert result.statistic == pytest.approx(100 * np.log(np.mean(x ** 2) / np.var(x)), rel=1e-7)
    assert result.df == 1
    assert result.pvalue == pytest.approx(scipy.stats.chi2.sf(result.statistic, 1), rel=1e-10)
    with pytest.raises(ValueError, match="nested"):
        stats.likelihood_ratio_test(alternative, null)


def test_fit_errors():
    normal = distribution("Normal")
    with pytest.raises(ValueError, match="has no parameter mean"):
        stats.fit(normal, [1.0, 2.0], fixed={"mean": 0.0})
    with pytest.raises(ValueError, match="method must be"):
        stats.fit(normal, [1.0, 2.0], method="adam")
    with pytest.raises(ValueError, match="support"):
        stats.fit(distribution("Exponential"), [-1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="total_count .* is discrete"):
        stats.fit(distribution("Binomial"), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="NaN"):
        stats.fit(normal, [1.0, np.nan])
