"""cr.bayes: Bayes' rule over hypotheses, and conjugate models against their closed forms
(posterior hyperparameters, predictive distributions, credible intervals), sequential updating
equal to batch updating, predictive distributions against brute-force integration, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import scipy.stats as st

import chainrule as cr
from chainrule import bayes

D = cr.distributions
RNG = np.random.default_rng(21)


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def test_bayes_rule_diagnostic_test():
    """The textbook screening example: 1% prevalence, 99% sensitivity, 5% false positives."""
    prior = np.array([0.01, 0.99])                  # disease, healthy
    likelihood = np.array([0.99, 0.05])             # P(positive | h)
    result = bayes.bayes_rule(prior, likelihood)
    evidence = 0.01 * 0.99 + 0.99 * 0.05
    np.testing.assert_allclose(result.evidence.numpy(), evidence)
    np.testing.assert_allclose(result.posterior.numpy(), [0.0099 / evidence, 0.0495 / evidence])
    logged = bayes.bayes_rule(prior, log_likelihood=np.log(likelihood))
    np.testing.assert_allclose(logged.posterior.numpy(), result.posterior.numpy(), rtol=1e-12)
    np.testing.assert_allclose(logged.log_evidence.numpy(), np.log(evidence), rtol=1e-12)


def test_bayes_rule_in_log_space_survives_underflow_and_is_sequential():
    prior = RNG.dirichlet(np.ones(4))
    log_lik = RNG.normal(-800, 5, (2, 4))           # exp underflows to 0
    once = bayes.bayes_rule(prior, log_likelihood=log_lik.sum(0))
    first = bayes.bayes_rule(prior, log_likelihood=log_lik[0])
    second = bayes.bayes_rule(first.posterior, log_likelihood=log_lik[1])
    np.testing.assert_allclose(second.posterior.numpy(), once.posterior.numpy(), rtol=1e-10)
    np.testing.assert_allclose(first.log_evidence.numpy() + second.log_evidence.numpy(), once.log_evidence.numpy(),
                               rtol=1e-12)
    batch = bayes.bayes_rule(np.tile(prior, (3, 1)), RNG.uniform(0.1, 1, (3, 4)))
    np.testing.assert_allclose(batch.posterior.numpy().sum(-1), 1.0)
    g = cr.grad(lambda p: bayes.bayes_rule(p, t64([0.2, 0.7])).posterior[0])(t64([0.5, 0.5])).numpy()
    # posterior_0 = p0 l0 / (p0 l0 + p1 l1)
    np.testing.assert_allclose(g, [0.2 * 0.7 * 0.5 / 0.45 ** 2, -0.2 * 0.7 * 0.5 / 0.45 ** 2])


def test_bayes_rule_bad_input():
    with pytest.raises(ValueError, match="prior must be non-negative and sum to 1"):
        bayes.bayes_rule([0.5, 0.6], [0.1, 0.2])
    with pytest.raises(ValueError, match="likelihoods must be non-negative"):
        bayes.bayes_rule([0.5, 0.5], [0.1, -0.2])
    with pytest.raises(ValueError, match="evidence is 0"):
        bayes.bayes_rule([1.0, 0.0], [0.0, 0.3])
    with pytest.raises(ValueError, match="exactly one of likelihood and log_likelihood"):
        bayes.bayes_rule([1.0, 0.0])


def test_beta_bernoulli_and_beta_binomial():
    x = RNG.integers(0, 2, 40).astype(float)
    model = bayes.BetaBernoulli(t64(2.0), t64(3.0)).update(x)
    heads = x.sum()
    np.testing.assert_allclose([model.alpha.item(), model.beta.item()], [2 + heads, 3 + 40 - heads])
    np.testing.assert_allclose(model.posterior_predictive().probs.item(), (2 + heads) / 45)
    lo, hi, level = model.credible_interval(0.9)
    np.testing.assert_allclose([lo.item(), hi.item()], st.beta(2 + heads, 43 - heads).ppf([0.05, 0.95]), rtol=1e-10)
    assert level == 0.9
    sequential = bayes.BetaBernoulli(t64(2.0), t64(3.0))
    for chunk in np.array_split(x, 4):
        sequential = sequential.update(chunk)
    np.testing.assert_allclose([sequential.alpha.item(), sequential.beta.item()], [model.alpha.item(), model.beta.item()])
    with pytest.raises(ValueError, match="observations must be 0 or 1"):
        model.update([0.5])
    k, n = np.array([3.0, 5.0, 0.0]), np.array([10.0, 5.0, 4.0])
    binom = bayes.BetaBinomial(t64(1.0), t64(1.0)).update(k, n)
    np.testing.assert_allclose([binom.alpha.item(), binom.beta.item()], [9.0, 12.0])
    predictive = binom.posterior_predictive(trials=6)
    np.testing.assert_allclose(predictive.log_prob(t64(np.arange(7.0))).numpy(), st.betabinom(6, 9, 12).logpmf(np.arange(7)),
                               rtol=1e-12)
    # the predictive equals the binomial integrated against the posterior
    brute = scipy.integrate.quad(lambda p: st.binom(6, p).pmf(2) * st.beta(9, 12).pdf(p), 0, 1)[0]
    np.testing.assert_allclose(predictive.prob(t64(2.0)).numpy(), brute, rtol=1e-8)
    with pytest.raises(ValueError, match=r"successes must be integers in \[0, trials\]"):
        binom.update([3.0], [2.0])


def test_gamma_poisson():
    counts = RNG.poisson(3.0, 30).astype(float)
    model = bayes.GammaPoisson(t64(2.0), t64(0.5)).update(counts)
    np.testing.assert_allclose([model.alpha.item(), model.beta.item()], [2 + counts.sum(), 30.5])
    predictive = model.posterior_predictive()
    a, b = model.alpha.item(), model.beta.item()
    ks = np.arange(12.0)
    np.testing.assert_allclose(predictive.log_prob(t64(ks)).numpy(), st.nbinom(a, b / (1 + b)).logpmf(ks), rtol=1e-10)
    brute = scipy.integrate.quad(lambda lam: st.poisson(lam).pmf(4) * st.gamma(a, scale=1 / b).pdf(lam), 0, 20)[0]
    np.testing.assert_allclose(predictive.prob(t64(4.0)).numpy(), brute, rtol=1e-8)
    lo, hi, _ = model.credible_interval()
    np.testing.assert_allclose([lo.item(), hi.item()], st.gamma(a, scale=1 / b).ppf([0.025, 0.975]), rtol=1e-10)
    halves = bayes.GammaPoisson(t64(2.0), t64(0.5)).update(counts[:11]).update(counts[11:])
    np.testing.assert_allclose([halves.alpha.item(), halves.beta.item()], [a, b])
    with pytest.raises(ValueError, match="counts must be non-negative integers"):
        model.update([1.5])


def test_normal_normal_known_variance():
    x = RNG.normal(1.5, 2.0, 25)
    model = bayes.NormalNormal(t64(0.0), t64(3.0), t64(2.0)).update(x)
    precision = 1 / 9 + 25 / 4
    mean = (0 / 9 + x.sum() / 4) / precision
    np.testing.assert_allclose(model.posterior.mean.item(), mean, rtol=1e-12)
    np.testing.assert_allclose(model.posterior.stddev.item(), precision ** -0.5, rtol=1e-12)
    np.testing.assert_allclose(model.posterior_predictive().stddev.item(), np.sqrt(4 + 1 / precision), rtol=1e-12)
    lo, hi, _ = model.credible_interval(0.95)
    np.testing.assert_allclose([lo.item(), hi.item()], st.norm(mean, precision ** -0.5).ppf([0.025, 0.975]))
    one_at_a_time = bayes.NormalNormal(t64(0.0), t64(3.0), t64(2.0))
    for value in x:
        one_at_a_time = one_at_a_time.update([value])
    np.testing.assert_allclose(one_at_a_time.prior_mean.item(), mean, rtol=1e-12)
    np.testing.assert_allclose(one_at_a_time.prior_std.item(), precision ** -0.5, rtol=1e-12)
    with pytest.raises(ValueError, match="must be positive"):
        bayes.NormalNormal(0.0, -1.0, 1.0)


def test_normal_inverse_gamma():
    x = RNG.normal(-0.5, 1.7, 40)
    mu0, kappa0, alpha0, beta0 = 0.3, 2.0, 3.0, 4.0
    model = bayes.NormalInverseGamma(t64(mu0), t64(kappa0), t64(alpha0), t64(beta0)).update(x)
    n, xbar = len(x), x.mean()
    kappa = kappa0 + n
    mu = (kappa0 * mu0 + n * xbar) / kappa
    alpha = alpha0 + n / 2
    beta = beta0 + 0.5 * ((x - xbar) ** 2).sum() + kappa0 * n * (xbar - mu0) ** 2 / (2 * kappa)
    np.testing.assert_allclose([model.mu.item(), model.kappa.item(), model.alpha.item(), model.beta.item()],
                               [mu, kappa, alpha, beta], rtol=1e-12)
    marginal_mean, marginal_variance = model.posterior
    mean_ref = st.t(2 * alpha, mu, np.sqrt(beta / (alpha * kappa)))
    np.testing.assert_allclose(marginal_mean.log_prob(t64([-1.0, 0.0])).numpy(), mean_ref.logpdf([-1.0, 0.0]))
    np.testing.assert_allclose(marginal_variance.log_prob(t64([2.0, 3.0])).numpy(),
                               st.invgamma(alpha, scale=beta).logpdf([2.0, 3.0]), rtol=1e-12)
    lo, hi, _ = model.credible_interval(0.9)
    np.testing.assert_allclose([lo.item(), hi.item()], mean_ref.ppf([0.05, 0.95]), rtol=1e-10)
    lo, hi, _ = model.credible_interval(0.9, parameter="variance")
    np.testing.assert_allclose([lo.item(), hi.item()], st.invgamma(alpha, scale=beta).ppf([0.05, 0.95]), rtol=1e-10)
    predictive = model.posterior_predictive()
    pred_ref = st.t(2 * alpha, mu, np.sqrt(beta * (kappa + 1) / (alpha * kappa)))
    np.testing.assert_allclose(predictive.log_prob(t64([0.0, 2.0])).numpy(), pred_ref.logpdf([0.0, 2.0]), rtol=1e-12)
    # the predictive density is the normal integrated over the posterior of (mu, sigma^2), by Monte Carlo
    variance = marginal_variance.sample((200_000,), rng=3).numpy()
    means = RNG.normal(mu, np.sqrt(variance / kappa))
    mc = st.norm(means, np.sqrt(variance)).pdf(0.4).mean()
    np.testing.assert_allclose(predictive.prob(t64(0.4)).numpy(), mc, rtol=0.01)
    pieces = bayes.NormalInverseGamma(t64(mu0), t64(kappa0), t64(alpha0), t64(beta0))
    for chunk in np.array_split(x, 5):
        pieces = pieces.update(chunk)
    np.testing.assert_allclose([pieces.mu.item(), pieces.kappa.item(), pieces.alpha.item(), pieces.beta.item()],
                               [mu, kappa, alpha, beta], rtol=1e-12)
    with pytest.raises(ValueError, match="parameter must be 'mean' or 'variance'"):
        model.credible_interval(parameter="sigma")
    with pytest.raises(ValueError, match="kappa must be positive"):
        bayes.NormalInverseGamma(0.0, 0.0, 1.0, 1.0)


def test_dirichlet_categorical():
    observations = RNG.choice(4, size=60, p=[0.1, 0.2, 0.3, 0.4])
    model = bayes.DirichletCategorical(t64([1.0, 1.0, 2.0, 0.5])).update(observations)
    counts = np.bincount(observations, minlength=4)
    alpha = np.array([1.0, 1.0, 2.0, 0.5]) + counts
    np.testing.assert_allclose(model.alpha.numpy(), alpha)
    np.testing.assert_allclose(model.posterior.mean.numpy(), alpha / alpha.sum())
    np.testing.assert_allclose(model.posterior_predictive().probs.numpy(), alpha / alpha.sum())
    lo, hi, _ = model.credible_interval(0.8)
    np.testing.assert_allclose(lo.numpy(), st.beta(alpha, alpha.sum() - alpha).ppf(0.1), rtol=1e-10)
    np.testing.assert_allclose(hi.numpy(), st.beta(alpha, alpha.sum() - alpha).ppf(0.9), rtol=1e-10)
    split = bayes.DirichletCategorical(t64([1.0, 1.0, 2.0, 0.5])).update(observations[:7]).update(observations[7:])
    np.testing.assert_allclose(split.alpha.numpy(), alpha)
    with pytest.raises(ValueError, match=r"category indices in \[0, 3\]"):
        model.update([4])


def test_conjugate_updates_are_differentiable_in_the_prior():
    x = RNG.normal(0.0, 1.0, 10)
    g = cr.grad(lambda m: bayes.NormalNormal(m, t64(1.0), t64(1.0)).update(x).posterior.mean)(t64(0.0)).item()
    np.testing.assert_allclose(g, 1 / 11)       # mu_n = (mu_0 + sum x) / (1 + n) with unit variances
    g = cr.grad(lambda a: bayes.BetaBernoulli(a, t64(1.0)).update([1.0, 0.0]).posterior_predictive().probs)(t64(1.0))
    np.testing.assert_allclose(g.item(), (4 - 2) / 16)    # d/da (a+1)/(a+3) = 2/(a+3)^2 at a = 1


def test_model_repr_shows_hyperparameters():
    assert repr(bayes.BetaBernoulli(t64(2.0), t64(3.0))) == "BetaBernoulli(alpha=2., beta=3.)"
