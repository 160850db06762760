r"""Logistic regression by Newton's method (iteratively reweighted least squares), with Wald inference.

For :math:`y_i \in \{0, 1\}` and :math:`P(y_i = 1) = \sigma(x_i^\top\beta)`, the
log-likelihood, its gradient (score) and Hessian are

.. math::

    \ell(\beta) = \sum_i \big(y_i \eta_i - \log(1 + e^{\eta_i})\big), \quad \eta = X\beta, \qquad
    \nabla\ell = X^\top (y - \pi), \qquad
    \nabla^2\ell = -X^\top W X, \quad W = \operatorname{diag}(\pi_i (1 - \pi_i)).

Newton's step :math:`\beta \leftarrow \beta + (X^\top W X)^{-1} X^\top (y - \pi)` is a
weighted least-squares solve (IRLS).  The logit link is canonical, so the observed and
expected Fisher information agree: :math:`\mathcal I(\hat\beta) = X^\top W X`, and
:math:`\widehat{\mathrm{Cov}}(\hat\beta) = \mathcal I^{-1}`.  Wald tests compare
:math:`\hat\beta_j / \mathrm{se}_j` with :math:`\mathcal N(0, 1)`.  There is no penalty
(unlike scikit-learn's default).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg as _scipy_linalg, special, stats as _scipy_stats

from ..linalg import inv, solve
from ..linalg.validation import concrete
from ..ops.elementwise import sigmoid, softplus, sqrt
from ..ops.indexing import diagonal
from ..ops.products import matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import reshape
from ..tensor import Tensor
from .regression import _float64, column_names, design_matrix, require_full_rank
from .results import ConfidenceInterval, SignificanceResult, check_confidence_level
from .summary import coefficient_table, render

__all__ = ["logistic_regression", "LogisticResult"]


def _log_likelihood(x, y, beta):
    eta = x @ beta
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def _newton(x: np.ndarray, y: np.ndarray, max_iter: int, tol: float):
    """IRLS with step halving; returns (beta, iterations, converged)."""
    beta = np.zeros(x.shape[1])
    llf = _log_likelihood(x, y, beta)
    for iteration in range(1, max_iter + 1):
        pi = special.expit(x @ beta)
        weights = pi * (1 - pi)
        information = x.T @ (x * weights[:, None])
        try:
            step = _scipy_linalg.solve(information, x.T @ (y - pi), assume_a="pos")
        except (np.linalg.LinAlgError, ValueError):
            return beta, iteration, False
        # Step halving keeps the likelihood increasing far from the optimum.
        scale = 1.0
        while True:
            candidate = beta + scale * step
            new_llf = _log_likelihood(x, y, candidate)
            if new_llf >= llf - 1e-12 * abs(llf) or scale < 1e-10:
                break
            scale /= 2
        beta, previous, llf = candidate, llf, new_llf
        if np.max(np.abs(scale * step)) <= tol * (1 + np.max(np.abs(beta))) or abs(llf - previous) < tol * 1e-3:
            return beta, iteration, True
    return beta, max_iter, False


class LogisticResult:
    r"""A fitted logistic regression (see :func:`logistic_regression`); statsmodels' names.

    Tensors: ``params`` (differentiable in ``X`` and ``y`` to first order, by the implicit
    function theorem), ``bse``, ``tvalues`` (Wald :math:`z`), ``cov_params``
    (:math:`\mathcal I^{-1}`), ``fisher_information``, ``fittedvalues`` (probabilities),
    ``llf``.  Numbers: ``pvalues``, ``llnull``, ``llr``, ``llr_pvalue``, ``prsquared``
    (McFadden), ``aic``, ``bic``, ``nobs``, ``df_model``, ``df_resid``, ``converged``,
    ``n_iter``.
    """

    def __init__(self, x: Tensor, y: Tensor, beta: np.ndarray, names, add_intercept, n_iter, converged):
        n, p = x.shape
        self.names, self.nobs, self.add_intercept = names, n, add_intercept
        self.n_iter, self.converged = n_iter, converged
        # One Newton step from the (constant) solution: the value is unchanged at the optimum,
        # and its derivative in X and y is the implicit one, -H⁻¹ ∂(score)/∂(X, y).
        anchor = Tensor(beta)
        pi = sigmoid(matmul(x, anchor))
        information = matmul(x.mT, x * reshape(pi * (1 - pi), (-1, 1)))
        self.params = anchor + solve(information, matmul(x.mT, y - pi))
        eta = matmul(x, self.params)
        self.fittedvalues = sigmoid(eta)
        self.fisher_information = information
        self.cov_params = inv(information)
        self.bse = sqrt(diagonal(self.cov_params))
        self.tvalues = self.params / self.bse
        z = np.asarray(concrete(self.tvalues))
        self.pvalues = 2 * special.ndtr(-np.abs(z))
        self.llf = reduce_sum(y * eta - softplus(eta))
        data, targets = np.asarray(concrete(x)), np.asarray(concrete(y))
        k_constant = int(np.any(np.all(data == data[:1], axis=0) & (data[0] != 0)))
        rate = targets.mean()
        self.llnull = float(n * (rate * np.log(rate) + (1 - rate) * np.log1p(-rate))) if k_constant else \
            float(-n * np.log(2.0))
        self.df_model = p - k_constant
        self.df_resid = n - p
        llf = float(np.asarray(concrete(self.llf)))
        self.llr = 2 * (llf - self.llnull)
        self.llr_pvalue = float(_scipy_stats.chi2.sf(self.llr, self.df_model)) if self.df_model else float("nan")
        self.prsquared = 1 - llf / self.llnull
        self.aic = -2 * llf + 2 * p
        self.bic = -2 * llf + np.log(n) * p

    def conf_int(self, confidence_level: float = 0.95) -> ConfidenceInterval:
        r"""Wald intervals :math:`\hat\beta_j \pm z_{(1+c)/2}\,\mathrm{se}_j`."""
        level = check_confidence_level(confidence_level, "conf_int")
        q = special.ndtri((1 + level) / 2)
        return ConfidenceInterval(self.params - q * self.bse, self.params + q * self.bse)

    def wald_test(self, restrictions, value=None) -> SignificanceResult:
        r"""Wald test of the linear hypothesis :math:`H_0: R\beta = q`:

        .. math:: W = (R\hat\beta - q)^\top \big(R\,\mathcal I^{-1} R^\top\big)^{-1} (R\hat\beta - q)
            \;\sim\; \chi^2_r \ \text{(asymptotically)},

        :math:`r` the number of rows of :math:`R` (``restrictions``, or a list of coefficient
        names / indices to test jointly equal to ``value``, default 0).  ``df`` on the result.
        """
        beta, cov = np.asarray(concrete(self.params)), np.asarray(concrete(self.cov_params))
        r = np.asarray(restrictions)
        if r.ndim == 1 and (r.dtype.kind in "iuUO"):
            indices = [self.names.index(j) if isinstance(j, str) else int(j) for j in restrictions]
            r = np.eye(beta.size)[indices]
        r = np.atleast_2d(r.astype(np.float64))
        if r.shape[1] != beta.size:
            raise ValueError(f"wald_test: R has {r.shape[1]} columns for {beta.size} coefficients")
        q = np.zeros(r.shape[0]) if value is None else np.broadcast_to(np.asarray(value, np.float64), r.shape[:1])
        difference = r @ beta - q
        statistic = float(difference @ np.linalg.solve(r @ cov @ r.T, difference))
        return SignificanceResult(statistic, _scipy_stats.chi2.sf(statistic, r.shape[0]), df=r.shape[0])

    def predict(self, X_new) -> Tensor:
        r"""Predicted probabilities :math:`\sigma(x_0^\top\hat\beta)` for new rows."""
        x0 = design_matrix(X_new, self.add_intercept, "predict")
        if x0.shape[1] != self.params.shape[0]:
            raise ValueError(f"predict: X_new has {x0.shape[1]} columns (with the intercept), the model "
                             f"{self.params.shape[0]}")
        return sigmoid(matmul(x0, self.params))

    def summary(self, confidence_level: float = 0.95, yname: str = "y"):
        """The statsmodels-style table of the fit and its Wald tests."""
        low, high = self.conf_int(confidence_level)
        left = [("Dep. Variable", yname), ("Model", "Logit"), ("Method", "MLE (Newton)"),
                ("No. Observations", self.nobs), ("Df Residuals", self.df_resid), ("Df Model", self.df_model),
                ("Converged", str(self.converged))]
        right = [("Pseudo R-squ.", self.prsquared), ("Log-Likelihood", float(np.asarray(concrete(self.llf)))),
                 ("LL-Null", self.llnull), ("LLR p-value", self.llr_pvalue), ("AIC", self.aic),
                 ("BIC", self.bic), ("Iterations", self.n_iter)]
        table = coefficient_table(self.names, *(np.asarray(concrete(t)) for t in (self.params, self.bse,
                                                                                self.tvalues)),
                                  self.pvalues, np.asarray(concrete(low)), np.asarray(concrete(high)), "z",
                                  confidence_level)
        return render("Logit Regression Results", left, right, table)

    def __repr__(self) -> str:
        return f"LogisticResult(nobs={self.nobs}, params={np.asarray(concrete(self.params))})"


def logistic_regression(X, y, add_intercept: bool = True, *, names=None, max_iter: int = 100,
                        tol: float = 1e-10) -> LogisticResult:
    r"""Fit :math:`P(y = 1 \mid x) = \sigma(x^\top\beta)` by maximum likelihood (Newton/IRLS,
    see the module docstring), as statsmodels' ``Logit``.

    ``y`` holds 0/1 (or booleans); ``X`` is (n) or (n×k), a column of ones put first when
    ``add_intercept``.  Standard errors are :math:`\sqrt{\operatorname{diag}\mathcal I^{-1}}`
    with :math:`\mathcal I = X^\top W X`; ``tvalues`` are Wald :math:`z` statistics with
    normal p-values.

    Perfect separation (a hyperplane splits the classes, so the likelihood has no maximum:
    :math:`\|\beta\| \to \infty`) raises ``ValueError``; a collinear design raises
    :class:`~chainrule.LinAlgError`; if Newton has not converged in ``max_iter`` steps a
    ``RuntimeWarning`` is issued and ``converged`` is False.
    """
    target = _float64(y, "y", "logistic_regression")
    if target.ndim != 1:
        raise ValueError(f"logistic_regression: y must be a vector, got shape {target.shape}")
    targets = np.asarray(concrete(target))
    if not np.all((targets == 0) | (targets == 1)):
        raise ValueError("logistic_regression: y must hold only 0 and 1")
    if targets.min() == targets.max():
        raise ValueError("logistic_regression: y holds one class only, so the slopes are not identified")
    x = design_matrix(X, add_intercept, "logistic_regression", n_rows=target.shape[0])
    n, p = x.shape
    if n <= p:
        raise ValueError(f"logistic_regression: {n} observations for {p} coefficients (needs n > p)")
    labels = column_names(X, names, add_intercept, p)
    require_full_rank(x, labels, "logistic_regression")
    data = np.asarray(concrete(x))
    beta, n_iter, converged = _newton(data, targets, max_iter, tol)
    fitted = special.expit(data @ beta)
    if np.all(np.where(targets == 1, fitted > 1 - 1e-8, fitted < 1e-8)):
        raise ValueError("logistic_regression: perfect separation: a hyperplane separates the classes, so the "
                         "maximum-likelihood estimate does not exist (the coefficients diverge)")
    if not converged:
        warnings.warn(f"logistic_regression: Newton did not converge in {max_iter} iterations (quasi-separation "
                      f"can make some coefficients diverge)", RuntimeWarning, stacklevel=2)
    return LogisticResult(x, target, beta, labels, add_intercept, n_iter, converged)
