"""Descriptive statistics: values against NumPy/SciPy, derivatives by finite differences,
the quantile's interpolation gradient and tie convention, and errors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import chainrule as cr
from chainrule.stats import descriptive as D
from chainrule.testing import check_grads

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 7))


# ----------------------------------------------------------------------------- quantiles
@pytest.mark.parametrize("q", [0.3, 0.0, 1.0, [0.1, 0.5, 0.99]])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("method", D.QUANTILE_METHODS)
def test_quantile_matches_numpy(q, axis, keepdims, method):
    got = D.quantile(X, q, axis=axis, keepdims=keepdims, method=method).numpy()
    want = np.quantile(X, q, axis=axis, keepdims=keepdims, method=method)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


def test_percentile_and_median_match_numpy():
    np.testing.assert_allclose(D.percentile(X, [5, 50, 95], axis=1).numpy(), np.percentile(X, [5, 50, 95], axis=1))
    np.testing.assert_allclose(D.median(X).numpy(), np.median(X))
    np.testing.assert_allclose(D.median(X, axis=0, keepdims=True).numpy(), np.median(X, axis=0, keepdims=True))


@pytest.mark.parametrize("q", [0.37, [0.05, 0.5, 0.8]])
@pytest.mark.parametrize("axis", [None, 1])
def test_quantile_gradients(q, axis):
    check_grads(lambda x: D.quantile(x, q, axis=axis), [X], order=2)


def test_quantile_gradient_is_the_interpolation_weights():
    x = np.array([3.0, 1.0, 4.0, 2.0, 5.0])            # sorted: 1 2 3 4 5; q=0.3 -> h = 1.2
    g = cr.grad(lambda t: D.quantile(t, 0.3))(cr.tensor(x)).numpy()
    # order statistic 1 (value 2, at index 3) weight 0.8, order statistic 2 (value 3, index 0) weight 0.2
    np.testing.assert_allclose(g, [0.2, 0.0, 0.0, 0.8, 0.0], atol=1e-15)


def test_quantile_gradient_in_q():
    x = cr.tensor(np.array([3.0, 1.0, 4.0, 2.0, 5.0]))
    dq = cr.grad(lambda q: D.quantile(x, q))(cr.tensor(0.3, dtype=np.float64)).item()
    assert dq == pytest.approx((5 - 1) * (3.0 - 2.0))
    check_grads(lambda q: D.quantile(X, q, axis=1), [np.array([0.12, 0.64])], order=1)


def test_median_gradient_even_and_odd():
    odd = cr.grad(lambda t: D.median(t))(cr.tensor(np.array([5.0, 1.0, 3.0]))).numpy()
    np.testing.assert_allclose(odd, [0.0, 0.0, 1.0])
    even = cr.grad(lambda t: D.median(t))(cr.tensor(np.array([4.0, 1.0, 3.0, 2.0]))).numpy()
    np.testing.assert_allclose(even, [0.0, 0.0, 0.5, 0.5])


def test_quantile_tie_convention_goes_to_the_first_occurrence():
    x = cr.tensor(np.array([2.0, 1.0, 2.0, 7.0]))
    g = cr.grad(lambda t: D.quantile(t, 1 / 3, method="lower"))(x).numpy()     # h = 1: the first 2
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0, 0.0])
    g = cr.grad(lambda t: D.quantile(t, 2 / 3, method="lower"))(x).numpy()     # h = 2: the second 2
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0, 0.0])


def test_quantile_errors():
    with pytest.raises(ValueError, match=r"q must lie in \[0, 1\]"):
        D.quantile(X, 1.5)
    with pytest.raises(ValueError, match="method must be one of"):
        D.quantile(X, 0.5, method="cubic")
    with pytest.raises(ValueError, match="NaN"):
        D.quantile(np.array([1.0, np.nan]), 0.5)
    with pytest.raises(cr.ShapeError, match="empty axis"):
        D.quantile(np.zeros((0, 3)), 0.5, axis=0)


def test_quantile_under_vmap_matches_numpy_per_row():
    data = np.random.default_rng(5).standard_normal((4, 7))
    got = cr.vmap(lambda t: D.quantile(t, [0.1, 0.5, 0.9]))(cr.tensor(data)).numpy()
    np.testing.assert_allclose(got, np.quantile(data, [0.1, 0.5, 0.9], axis=1).T)


# ----------------------------------------------------------------------------- moments
@pytest.mark.parametrize("axis", [0, 1, None])
@pytest.mark.parametrize("bias", [True, False])
def test_skew_and_kurtosis_match_scipy(axis, bias):
    np.testing.assert_allclose(D.skew(X, axis=axis, bias=bias).numpy(), scipy.stats.skew(X, axis=axis, bias=bias),
                               rtol=1e-12)
    for fisher in (True, False):
        np.testing.assert_allclose(D.kurtosis(X, axis=axis, fisher=fisher, bias=bias).numpy(),
                                   scipy.stats.kurtosis(X, axis=axis, fisher=fisher, bias=bias), rtol=1e-12)


def test_skew_and_kurtosis_gradients():
    check_grads(lambda x: D.skew(x, axis=1, bias=False), [X], order=2)
    check_grads(lambda x: D.kurtosis(x, axis=0), [X], order=2)


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")   # SciPy's, on the constant row
def test_zero_variance_gives_nan_with_zero_gradient():
    data = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    assert np.isnan(D.skew(data, axis=1).numpy()[0]) and np.isnan(scipy.stats.skew(data, axis=1)[0])
    assert np.isnan(D.kurtosis(data, axis=1).numpy()[0])
    g = cr.grad(lambda t: cr.sum(cr.where(cr.isnan(D.skew(t, axis=1)), 0.0, D.skew(t, axis=1))))(cr.tensor(data))
    assert np.all(np.isfinite(g.numpy())) and np.all(g.numpy()[0] == 0)


def test_moment_sem_zscore_describe():
    np.testing.assert_allclose(D.moment(X, 4, axis=1).numpy(), scipy.stats.moment(X, 4, axis=1))
    np.testing.assert_allclose(D.moment(X, 0).numpy(), scipy.stats.moment(X, 0))
    np.testing.assert_allclose(D.sem(X, axis=1).numpy(), scipy.stats.sem(X, axis=1))
    np.testing.assert_allclose(D.zscore(X).numpy(), scipy.stats.zscore(X))
    got, want = D.describe(X, axis=1, bias=False), scipy.stats.describe(X, axis=1, bias=False)
    assert got.nobs == want.nobs
    for g, w in zip([*got.minmax, got.mean, got.variance, got.skewness, got.kurtosis],
                    [*want.minmax, want.mean, want.variance, want.skewness, want.kurtosis]):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-12)
    assert cr.stats.mean is cr.mean and cr.stats.var is cr.var and cr.stats.std is cr.std


# ----------------------------------------------------------------------------- covariance
def test_cov_and_corrcoef_match_numpy():
    np.testing.assert_allclose(D.cov(X).numpy(), np.cov(X))
    np.testing.assert_allclose(D.cov(X, rowvar=False, bias=True).numpy(), np.cov(X, rowvar=False, bias=True))
    np.testing.assert_allclose(D.cov(X[0], X[1]).numpy(), np.cov(X[0], X[1]))
    np.testing.assert_allclose(D.cov(X[0]).numpy(), np.cov(X[0]))
    assert D.cov(X[0]).shape == ()
    np.testing.assert_allclose(D.corrcoef(X).numpy(), np.corrcoef(X), atol=1e-15)
    np.testing.assert_allclose(D.corrcoef(X[:, 0], X[:, 1]).numpy(), np.corrcoef(X[:, 0], X[:, 1]))


def test_cov_and_corrcoef_gradients():
    check_grads(lambda x: D.cov(x, ddof=2), [X], order=2)
    check_grads(lambda x: D.corrcoef(x, rowvar=False), [X], order=2)


def test_cov_errors():
    with pytest.raises(cr.ShapeError, match="observations"):
        D.cov(X, X[:, :3])
    with pytest.raises(cr.ShapeError, match="no degrees of freedom"):
        D.cov(np.ones((2, 1)))


def test_torch_agrees_on_quantile_gradient():
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    torch.quantile(x, torch.tensor([0.2, 0.7], dtype=torch.float64), dim=1).sum().backward()
    g = cr.grad(lambda t: cr.sum(D.quantile(t, [0.2, 0.7], axis=1)))(cr.tensor(X)).numpy()
    np.testing.assert_allclose(g, x.grad.numpy(), atol=1e-12)
