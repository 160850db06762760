r"""Linear regression by ordinary least squares, with the inference statsmodels reports.

For the model :math:`y = X\beta + \varepsilon`, :math:`\varepsilon \sim \mathcal N(0, \sigma^2 I)`,
with :math:`n` observations and :math:`p` columns (the intercept included):

.. math::

    \hat\beta = \arg\min_\beta \|y - X\beta\|^2 = R^{-1} Q^\top y \quad (X = QR), \qquad
    \hat\sigma^2 = \frac{\|y - X\hat\beta\|^2}{n - p}, \qquad
    \widehat{\mathrm{Cov}}(\hat\beta) = \hat\sigma^2 (X^\top X)^{-1} = \hat\sigma^2 R^{-1} R^{-\top}.

The QR route never forms :math:`X^\top X`, whose condition number is the square of
:math:`X`'s.  Coefficients, standard errors, t statistics, fitted values, residuals,
leverages, :math:`R^2` and the F statistic are chainrule tensors computed from ``X``
and ``y`` with differentiable operations, so ``cr.grad`` of any function of the fit
works (e.g. the sensitivity of a coefficient to each observation).  p-values and
quantiles come from SciPy.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats as _scipy_stats

from ..errors import LinAlgError, ShapeError, fmt_shape
from ..linalg import qr, solve_triangular
from ..linalg.validation import concrete
from ..ops.creation import as_tensor, ones
from ..ops.elementwise import astype, log, sqrt
from ..ops.products import matmul
from ..ops.reductions import mean, sum as reduce_sum
from ..ops.shape import concatenate, reshape
from ..tensor import Tensor
from .results import ConfidenceInterval, check_confidence_level
from .summary import coefficient_table, render

__all__ = ["ols", "OLSResult", "Prediction"]


def _float64(x, name: str, where: str) -> Tensor:
    x = as_tensor(x, dtype=np.float64) if not isinstance(x, Tensor) else x
    if x.dtype != np.float64:
        x = astype(x, np.float64)
    if np.isnan(np.asarray(concrete(x))).any():
        raise ValueError(f"{where}: {name} contains NaN; remove missing values first")
    return x


def design_matrix(X, add_intercept: bool, where: str, n_rows=None) -> Tensor:
    """The regressors as an (n×p) float64 tensor, a column of ones first when asked."""
    x = _float64(X, "X", where)
    if x.ndim == 1:
        x = reshape(x, (-1, 1))
    if x.ndim != 2:
        raise ShapeError(f"{where}: X must be 1-D or 2-D (observations × regressors), got {fmt_shape(x.shape)}")
    if n_rows is not None and x.shape[0] != n_rows:
        raise ShapeError(f"{where}: X has {x.shape[0]} rows but y has {n_rows} observations")
    if add_intercept:
        x = concatenate([ones(x.shape[0], 1, dtype=np.float64), x], axis=1)
    return x


def column_names(X, names, add_intercept: bool, p: int) -> list[str]:
    if names is None and hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
    if names is None:
        names = [f"x{i + 1}" for i in range(p - int(add_intercept))]
    names = list(names)
    if add_intercept:
        names = ["const"] + names
    if len(names) != p:
        raise ValueError(f"names: {len(names)} names for {p} columns")
    return names


def require_full_rank(x: Tensor, names, where: str) -> float:
    """Raise on a rank-deficient design, naming the dependent columns; return cond(X)."""
    data = np.asarray(concrete(x))
    n, p = data.shape
    _, s, vt = np.linalg.svd(data, full_matrices=False)
    tolerance = s[0] * max(n, p) * np.finfo(np.float64).eps if s.size else 0.0
    rank = int(np.sum(s > tolerance))
    if rank < p:
        direction = vt[-1]
        involved = [names[i] for i in np.flatnonzero(np.abs(direction) > 1e-8 * np.abs(direction).max())]
        raise LinAlgError(f"{where}: the design matrix {fmt_shape(data.shape)} has rank {rank} < {p} columns; "
                          f"the columns {', '.join(involved)} are linearly dependent (so the coefficients are "
                          f"not identified): drop or combine one of them")
    return float(s[0] / s[-1])


class Prediction(NamedTuple):
    """Predicted means with their standard errors and interval (``predict(..., interval=...)``)."""

    predicted: Tensor
    standard_error: Tensor
    low: Tensor
    high: Tensor


class OLSResult:
    r"""A fitted linear model (see :func:`ols`).  Attribute names follow statsmodels.

    Tensors (differentiable): ``params``, ``bse``, ``tvalues``, ``fittedvalues``,
    ``resid``, ``leverage``, ``ssr``, ``scale`` (:math:`\hat\sigma^2`), ``rsquared``,
    ``rsquared_adj``, ``fvalue``, ``llf``, ``aic``, ``bic``, ``cov_params``.  Arrays and
    numbers: ``pvalues``, ``f_pvalue``, ``nobs``, ``df_model``, ``df_resid``,
    ``durbin_watson``, ``jarque_bera`` (statistic, p-value, skew, kurtosis),
    ``condition_number``, ``names``.
    """

    def __init__(self, x: Tensor, y: Tensor, names, add_intercept: bool, condition_number: float):
        n, p = x.shape
        self.names, self.nobs, self.add_intercept = names, n, add_intercept
        self.df_resid = n - p
        q, r = qr(x)
        self._r = r
        self.params = reshape(solve_triangular(r, matmul(q.mT, reshape(y, (-1, 1)))), (-1,))
        self.fittedvalues = matmul(x, self.params)
        self.resid = y - self.fittedvalues
        self.ssr = reduce_sum(self.resid ** 2)
        self.scale = self.ssr / self.df_resid
        r_inverse = solve_triangular(r, np.eye(p))
        self.cov_params = self.scale * matmul(r_inverse, r_inverse.mT)
        self.bse = sqrt(reduce_sum(r_inverse ** 2, axis=1) * self.scale)
        self.tvalues = self.params / self.bse
        self.pvalues = 2 * _scipy_stats.t.sf(np.abs(np.asarray(concrete(self.tvalues))), self.df_resid)
        self.leverage = reduce_sum(q ** 2, axis=1)         # diagonal of the hat matrix Q Qᵀ

        # A constant column (statsmodels' k_constant) makes R² and F compare with the mean model.
        data = np.asarray(concrete(x))
        self.k_constant = int(np.any(np.all(data == data[:1], axis=0) & (data[0] != 0)))
        self.df_model = p - self.k_constant
        self.centered_tss = reduce_sum((y - mean(y)) ** 2)
        tss = self.centered_tss if self.k_constant else reduce_sum(y ** 2)
        self.ess = tss - self.ssr
        self.rsquared = 1 - self.ssr / tss
        self.rsquared_adj = 1 - (n - self.k_constant) / self.df_resid * (1 - self.rsquared)
        if self.df_model > 0:
            self.fvalue = (self.ess / self.df_model) / self.scale
            self.f_pvalue = float(_scipy_stats.f.sf(float(np.asarray(concrete(self.fvalue))), self.df_model,
                                                     self.df_resid))
        else:
            self.fvalue, self.f_pvalue = Tensor(np.float64(np.nan)), float("nan")
        self.llf = -n / 2 * (np.log(2 * np.pi) + log(self.ssr / n) + 1)
        self.aic = -2 * self.llf + 2 * p
        self.bic = -2 * self.llf + np.log(n) * p

        residuals = np.asarray(concrete(self.resid))
        self.durbin_watson = float(np.sum(np.diff(residuals) ** 2) / np.sum(residuals ** 2))
        skewness = float(_scipy_stats.skew(residuals))
        kurt = float(_scipy_stats.kurtosis(residuals, fisher=False))
        jb = n / 6 * (skewness ** 2 + (kurt - 3) ** 2 / 4)
        self.jarque_bera = (jb, float(_scipy_stats.chi2.sf(jb, 2)), skewness, kurt)
        self.condition_number = condition_number

    def conf_int(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        r""":math:`\hat\beta_j \pm t_{n-p}\big(\tfrac{1 + c}{2}\big)\,\mathrm{se}_j` for each coefficient."""
        level = check_confidence_level(confidence_level, "conf_int")
        q = _scipy_stats.t.ppf((1 + level) / 2, self.df_resid)
        return ConfidenceInterval(self.params - q * self.bse, self.params + q * self.bse)

    def predict(self, X_new, interval: str | None = None, confidence_level: float = 0.95):
        r"""Predicted means :math:`\hat y_0 = x_0^\top \hat\beta` for new rows (the intercept column
        is added as at fit time).

        ``interval="confidence"``: for the mean response,
        :math:`\mathrm{se} = \hat\sigma\sqrt{x_0^\top (X^\top X)^{-1} x_0}`;
        ``interval="prediction"``: for a new observation,
        :math:`\mathrm{se} = \hat\sigma\sqrt{1 + x_0^\top (X^\top X)^{-1} x_0}`; the interval is
        :math:`\hat y_0 \pm t_{n-p}(\tfrac{1+c}{2})\,\mathrm{se}` (a :class:`Prediction`).
        Without ``interval``, the predicted means as a tensor.
        """
        x0 = design_matrix(X_new, self.add_intercept, "predict")
        if x0.shape[1] != self.params.shape[0]:
            raise ShapeError(f"predict: X_new has {x0.shape[1] - int(self.add_intercept)} regressors, the model "
                             f"{self.params.shape[0] - int(self.add_intercept)}")
        predicted = matmul(x0, self.params)
        if interval is None:
            return predicted
        if interval not in ("confidence", "prediction"):
            raise ValueError(f"predict: interval must be None, 'confidence' or 'prediction', got {interval!r}")
        level = check_confidence_level(confidence_level, "predict")
        z = solve_triangular(self._r, x0.mT, trans=1)       # R⁻ᵀ x₀, so x₀ᵀ(XᵀX)⁻¹x₀ = |z|²
        variance = reduce_sum(z ** 2, axis=0) * self.scale
        if interval == "prediction":
            variance = variance + self.scale
        se = sqrt(variance)
        q = _scipy_stats.t.ppf((1 + level) / 2, self.df_resid)
        return Prediction(predicted, se, predicted - q * se, predicted + q * se)

    def summary(self, confidence_level: float = 0.95, yname: str = "y"):
        """The statsmodels-style table: model statistics, coefficients and residual diagnostics."""
        low, high = self.conf_int(confidence_level)
        num = lambda t: float(np.asarray(concrete(t)))          # noqa: E731
        left = [("Dep. Variable", yname), ("Model", "OLS"), ("Method", "Least Squares"),
                ("No. Observations", self.nobs), ("Df Residuals", self.df_resid), ("Df Model", self.df_model)]
        right = [("R-squared", num(self.rsquared)), ("Adj. R-squared", num(self.rsquared_adj)),
                 ("F-statistic", num(self.fvalue)), ("Prob (F-statistic)", self.f_pvalue),
                 ("Log-Likelihood", num(self.llf)), ("AIC", num(self.aic)), ("BIC", num(self.bic))]
        table = coefficient_table(self.names, *(np.asarray(concrete(t)) for t in (self.params, self.bse,
                                                                                self.tvalues)),
                                  self.pvalues, np.asarray(concrete(low)), np.asarray(concrete(high)), "t",
                                  confidence_level)
        jb, jb_p, skewness, kurt = self.jarque_bera
        diagnostics = ([("Durbin-Watson", self.durbin_watson), ("Skew", skewness), ("Kurtosis", kurt)],
                       [("Jarque-Bera (JB)", jb), ("Prob(JB)", jb_p), ("Cond. No.", self.condition_number)])
        notes = ["[1] Standard errors assume that the covariance matrix of the errors is correctly specified."]
        if self.condition_number > 1e6:
            notes.append(f"[2] The condition number is large, {self.condition_number:.3g}: the columns may be "
                         f"nearly collinear, or need rescaling.")
        return render("OLS Regression Results", left, right, table, diagnostics, notes)

    def __repr__(self) -> str:
        return f"OLSResult(nobs={self.nobs}, params={np.asarray(concrete(self.params))})"


def ols(X, y, add_intercept: bool = True, *, names=None) -> OLSResult:
    r"""Fit :math:`y = X\beta + \varepsilon` by ordinary least squares (statsmodels' ``OLS`` results).

    ``X`` is (n) or (n×k); with ``add_intercept`` (the default) a column of ones is put
    first (named ``const``), so :math:`p = k + 1`.  Inference (see the module docstring):
    :math:`t_j = \hat\beta_j / \mathrm{se}_j \sim t_{n-p}` under :math:`\beta_j = 0`;
    :math:`R^2 = 1 - \mathrm{SSR}/\mathrm{TSS}` (TSS centred when the model has a
    constant, uncentred otherwise), :math:`\bar R^2 = 1 - \frac{n - k_c}{n - p}(1 - R^2)`;
    :math:`F = \frac{\mathrm{ESS}/(p - k_c)}{\mathrm{SSR}/(n - p)} \sim F_{p-k_c,\,n-p}` for
    all slopes zero; log-likelihood :math:`-\frac n2(\log 2\pi + \log(\mathrm{SSR}/n) + 1)`,
    AIC :math:`= -2\ell + 2p`, BIC :math:`= -2\ell + p\log n`.

    Diagnostics: leverages :math:`h_{ii} = \|Q_{i\cdot}\|^2`, Durbin–Watson
    :math:`\sum_t (e_t - e_{t-1})^2 / \sum_t e_t^2`, Jarque–Bera
    :math:`\frac n6\big(S^2 + \frac{(K - 3)^2}{4}\big) \sim \chi^2_2`, and the condition
    number :math:`\sigma_{\max}(X)/\sigma_{\min}(X)`.

    A rank-deficient design (collinear columns) raises :class:`~chainrule.LinAlgError`
    naming the dependent columns; :math:`n \le p` raises :class:`ShapeError`.
    """
    target = _float64(y, "y", "ols")
    if target.ndim != 1:
        raise ShapeError(f"ols: y must be a vector of n observations, got {fmt_shape(target.shape)}")
    x = design_matrix(X, add_intercept, "ols", n_rows=target.shape[0])
    n, p = x.shape
    if n <= p:
        raise ShapeError(f"ols: {n} observations for {p} coefficients leave no residual degrees of freedom "
                         f"(needs n > p)")
    labels = column_names(X, names, add_intercept, p)
    condition = require_full_rank(x, labels, "ols")
    return OLSResult(x, target, labels, add_intercept, condition)
