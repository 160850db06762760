"""Linear and logistic regression: against the normal equations, NIST's certified Longley
fit, closed-form inference, an autodiff Newton solve, and the derivative of a fit."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule import stats
from chainrule.testing import check_grads

# NIST StRD "Longley" (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml):
# y = total employment; x1..x6 = GNP deflator, GNP, unemployed, armed forces, population, year.
LONGLEY = np.array([
    [60323, 83.0, 234289, 2356, 1590, 107608, 1947], [61122, 88.5, 259426, 2325, 1456, 108632, 1948],
    [60171, 88.2, 258054, 3682, 1616, 109773, 1949], [61187, 89.5, 284599, 3351, 1650, 110929, 1950],
    [63221, 96.2, 328975, 2099, 3099, 112075, 1951], [63639, 98.1, 346999, 1932, 3594, 113270, 1952],
    [64989, 99.0, 365385, 1870, 3547, 115094, 1953], [63761, 100.0, 363112, 3578, 3350, 116219, 1954],
    [66019, 101.2, 397469, 2904, 3048, 117388, 1955], [67857, 104.6, 419180, 2822, 2857, 118734, 1956],
    [68169, 108.4, 442769, 2936, 2798, 120445, 1957], [66513, 110.8, 444546, 4681, 2637, 121950, 1958],
    [68655, 112.6, 482704, 3813, 2552, 123366, 1959], [69564, 114.2, 502601, 3931, 2514, 125368, 1960],
    [69331, 115.7, 518173, 4806, 2572, 127852, 1961], [70551, 116.9, 554894, 4007, 2827, 130081, 1962]],
    dtype=np.float64)
CERTIFIED_COEF = [-3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
                  -1.03322686717359, -0.511041056535807e-01, 1829.15146461355]
CERTIFIED_SE = [890420.383607373, 84.9149257747669, 0.334910077722432e-01, 0.488399681651699,
                0.214274163161675, 0.226073200069370, 455.478499142212]
CERTIFIED_SIGMA, CERTIFIED_R2, CERTIFIED_RSS = 304.854073561965, 0.995479004577296, 836424.055505915

RNG = np.random.default_rng(5)
X = RNG.standard_normal((40, 3))
Y = 1.0 + X @ np.array([0.5, -1.0, 2.0]) + RNG.standard_normal(40)


def test_longley_against_nist_certified_values():
    fit = stats.ols(LONGLEY[:, 1:], LONGLEY[:, 0])
    np.testing.assert_allclose(fit.params.numpy(), CERTIFIED_COEF, rtol=1e-9)
    np.testing.assert_allclose(fit.bse.numpy(), CERTIFIED_SE, rtol=1e-9)
    assert float(cr.sqrt(fit.scale).item()) == pytest.approx(CERTIFIED_SIGMA, rel=1e-10)
    assert fit.rsquared.item() == pytest.approx(CERTIFIED_R2, rel=1e-12)
    assert fit.ssr.item() == pytest.approx(CERTIFIED_RSS, rel=1e-9)
    assert fit.df_model == 6 and fit.df_resid == 9
    assert fit.condition_number == pytest.approx(np.linalg.cond(np.column_stack([np.ones(16), LONGLEY[:, 1:]])))


def test_ols_against_normal_equations_and_closed_forms():
    fit = stats.ols(X, Y)
    design = np.column_stack([np.ones(40), X])
    beta = np.linalg.solve(design.T @ design, design.T @ Y)
    residuals = Y - design @ beta
    sigma2 = residuals @ residuals / (40 - 4)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    np.testing.assert_allclose(fit.params.numpy(), beta, rtol=1e-12)
    np.testing.assert_allclose(fit.cov_params.numpy(), cov, rtol=1e-11)
    np.testing.assert_allclose(fit.bse.numpy(), np.sqrt(np.diag(cov)), rtol=1e-12)
    t = beta / np.sqrt(np.diag(cov))
    np.testing.assert_allclose(fit.tvalues.numpy(), t, rtol=1e-11)
    np.testing.assert_allclose(fit.pvalues, 2 * scipy.stats.t.sf(np.abs(t), 36), rtol=1e-10)
    r2 = 1 - residuals @ residuals / np.sum((Y - Y.mean()) ** 2)
    assert fit.rsquared.item() == pytest.approx(r2, rel=1e-13)
    assert fit.rsquared_adj.item() == pytest.approx(1 - (1 - r2) * 39 / 36, rel=1e-13)
    f = (r2 / 3) / ((1 - r2) / 36)
    assert fit.fvalue.item() == pytest.approx(f, rel=1e-11)
    assert fit.f_pvalue == pytest.approx(scipy.stats.f.sf(f, 3, 36), rel=1e-9)
    np.testing.assert_allclose(fit.leverage.numpy(), np.diag(design @ np.linalg.inv(design.T @ design) @ design.T),
                               rtol=1e-11)
    llf = -20 * (np.log(2 * np.pi) + np.log(residuals @ residuals / 40) + 1)
    assert (fit.llf.item(), fit.aic.item(), fit.bic.item()) == pytest.approx(
        (llf, -2 * llf + 8, -2 * llf + 4 * np.log(40)), rel=1e-12)
    assert fit.durbin_watson == pytest.approx(np.sum(np.diff(residuals) ** 2) / np.sum(residuals ** 2), rel=1e-10)
    jb = scipy.stats.jarque_bera(residuals)
    assert fit.jarque_bera[:2] == pytest.approx((jb.statistic, jb.pvalue), rel=1e-9)
    low, high = fit.conf_int(0.9)
    np.testing.assert_allclose(high.numpy() - beta, scipy.stats.t.ppf(0.95, 36) * np.sqrt(np.diag(cov)), rtol=1e-11)
    assert scipy.stats.linregress(X[:, 0], Y).slope == pytest.approx(stats.ols(X[:, 0], Y).params.numpy()[1])


@pytest.mark.parametrize("interval", ["confidence", "prediction"])
def test_predict_intervals(interval):
    fit = stats.ols(X, Y)
    new = RNG.standard_normal((5, 3))
    design, rows = np.column_stack([np.ones(40), X]), np.column_stack([np.ones(5), new])
    beta = np.linalg.lstsq(design, Y, rcond=None)[0]
    sigma2 = np.sum((Y - design @ beta) ** 2) / 36
    variance = sigma2 * np.einsum("ij,jk,ik->i", rows, np.linalg.inv(design.T @ design), rows)
    if interval == "prediction":
        variance += sigma2
    result = fit.predict(new, interval=interval, confidence_level=0.9)
    np.testing.assert_allclose(result.predicted.numpy(), rows @ beta, rtol=1e-12)
    np.testing.assert_allclose(result.standard_error.numpy(), np.sqrt(variance), rtol=1e-11)
    np.testing.assert_allclose(result.high.numpy() - result.predicted.numpy(),
                               scipy.stats.t.ppf(0.95, 36) * np.sqrt(variance), rtol=1e-11)
    np.testing.assert_allclose(fit.predict(new).numpy(), rows @ beta, rtol=1e-12)


def test_ols_without_intercept_uses_uncentered_r2():
    fit = stats.ols(X, Y, add_intercept=False)
    residuals = fit.resid.numpy()
    assert fit.rsquared.item() == pytest.approx(1 - residuals @ residuals / (Y @ Y), rel=1e-13)
    assert fit.df_model == 3 and fit.names == ["x1", "x2", "x3"]
    with_constant = stats.ols(np.column_stack([np.ones(40), X]), Y, add_intercept=False)
    assert with_constant.k_constant == 1 and with_constant.df_model == 3


def test_gradient_through_an_ols_fit():
    # d(coefficients)/d(data): checked against finite differences, to second order.
    check_grads(lambda x, y: stats.ols(x, y).params, [X[:12], Y[:12]], order=2)
    check_grads(lambda y: stats.ols(X[:12], y).rsquared, [Y[:12]], order=1)
    influence = cr.grad(lambda y: stats.ols(X, y).params[1])(cr.tensor(Y)).numpy()
    design = np.column_stack([np.ones(40), X])
    np.testing.assert_allclose(influence, np.linalg.pinv(design)[1], rtol=1e-10, atol=1e-14)


def test_ols_errors():
    collinear = np.column_stack([X, X[:, 0] + 2 * X[:, 1]])
    with pytest.raises(cr.LinAlgError, match=r"rank 4 < 5 columns; the columns x1, x2, x4 are linearly dependent"):
        stats.ols(collinear, Y)
    with pytest.raises(cr.LinAlgError, match="const"):
        stats.ols(np.column_stack([np.ones(40), X]), Y)
    with pytest.raises(cr.ShapeError, match="no residual degrees of freedom"):
        stats.ols(X[:4], Y[:4])
    with pytest.raises(cr.ShapeError, match="40 rows but y has 39"):
        stats.ols(X, Y[:39])
    with pytest.raises(ValueError, match="NaN"):
        stats.ols(np.where(X > 2, np.nan, X), Y)


def test_summary_table():
    text = stats.ols(LONGLEY[:, 1:], LONGLEY[:, 0], names=["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"]).summary(
        yname="TOTEMP")
    for needle in ("OLS Regression Results", "R-squared:", "0.9955", "330.3", "Durbin-Watson:", "2.559",
                   "YEAR", "1829.1515", "Cond. No.", "4.859e+09"):
        assert needle in text, needle


# ----------------------------------------------------------------------------- logistic regression
LOGIT_X = RNG.standard_normal((150, 2))
LOGIT_Y = (RNG.random(150) < 1 / (1 + np.exp(-(0.3 + LOGIT_X @ np.array([1.2, -0.8]))))).astype(np.float64)


def test_logistic_regression_against_an_autodiff_newton_solve():
    design = cr.tensor(np.column_stack([np.ones(150), LOGIT_X]))
    y = cr.tensor(LOGIT_Y)

    def negative_log_likelihood(beta):
        eta = design @ beta
        return cr.sum(cr.softplus(eta) - y * eta)

    beta = cr.tensor(np.zeros(3))
    for _ in range(25):
        beta = beta - cr.linalg.solve(cr.hessian(negative_log_likelihood)(beta),
                                      cr.grad(negative_log_likelihood)(beta))
    fit = stats.logistic_regression(LOGIT_X, LOGIT_Y)
    np.testing.assert_allclose(fit.params.numpy(), beta.numpy(), rtol=1e-10)
    information = cr.hessian(negative_log_likelihood)(beta).numpy()
    np.testing.assert_allclose(fit.bse.numpy(), np.sqrt(np.diag(np.linalg.inv(information))), rtol=1e-10)
    z = beta.numpy() / np.sqrt(np.diag(np.linalg.inv(information)))
    np.testing.assert_allclose(fit.pvalues, 2 * scipy.stats.norm.sf(np.abs(z)), rtol=1e-9)
    assert fit.llf.item() == pytest.approx(-negative_log_likelihood(beta).item(), rel=1e-12)
    rate = LOGIT_Y.mean()
    assert fit.llnull == pytest.approx(150 * (rate * np.log(rate) + (1 - rate) * np.log(1 - rate)), rel=1e-12)
    assert fit.converged


def test_logistic_regression_wald_test_likelihood_ratio_and_prediction():
    fit = stats.logistic_regression(LOGIT_X, LOGIT_Y)
    single = fit.wald_test(["x1"])
    assert single.statistic == pytest.approx(fit.tvalues.numpy()[1] ** 2, rel=1e-10) and single.df == 1
    null = stats.logistic_regression(LOGIT_X[:, 1], LOGIT_Y)
    lrt = stats.likelihood_ratio_test(null, fit)
    assert lrt.df == 1
    assert lrt.statistic == pytest.approx(2 * (fit.llf.item() - null.llf.item()), rel=1e-12)
    assert lrt.pvalue == pytest.approx(scipy.stats.chi2.sf(lrt.statistic, 1), rel=1e-12)
    np.testing.assert_allclose(fit.predict(LOGIT_X[:4]).numpy(), fit.fittedvalues.numpy()[:4], rtol=1e-13)
    assert "Logit Regression Results" in fit.summary() and "Pseudo R-squ." in fit.summary()


def test_logistic_coefficients_have_implicit_derivatives():
    x, y = LOGIT_X[:40], LOGIT_Y[:40]
    check_grads(lambda x: stats.logistic_regression(x, y).params, [x], order=1)


def test_logistic_regression_errors():
    with pytest.raises(ValueError, match="perfect separation"):
        stats.logistic_regression(LOGIT_X[:, 0], (LOGIT_X[:, 0] > 0).astype(float))
    with pytest.raises(ValueError, match="only 0 and 1"):
        stats.logistic_regression(LOGIT_X, LOGIT_Y * 2)
    with pytest.raises(ValueError, match="one class"):
        stats.logistic_regression(LOGIT_X, np.ones(150))


def test_sklearn_agrees_when_installed():
    linear_model = pytest.importorskip("sklearn.linear_model")
    model = linear_model.LogisticRegression(penalty=None, tol=1e-12, max_iter=1000).fit(LOGIT_X, LOGIT_Y)
    fit = stats.logistic_regression(LOGIT_X, LOGIT_Y)
    np.testing.assert_allclose(fit.params.numpy(), np.r_[model.intercept_, model.coef_[0]], rtol=1e-5)
