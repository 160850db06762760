r"""Statistics: descriptive statistics, estimation, hypothesis tests, regression (SciPy's names and results).

The chapters:

====================  ===============================================================================
``descriptive``       ``mean``, ``var``, ``std``, ``quantile``, ``percentile``, ``median``, ``moment``,
                      ``skew``, ``kurtosis``, ``sem``, ``zscore``, ``cov``, ``corrcoef``, ``describe``
                      (differentiable chainrule code)
``estimation``        ``fit`` (maximum likelihood with autodiff Hessians: Fisher information,
                      standard errors, Wald intervals, AIC/BIC), ``likelihood_ratio_test``
``resampling``        ``bootstrap`` (percentile, basic, BCa intervals)
``parametric``        ``ztest``, ``ttest_1samp``, ``ttest_ind`` (Student, Welch), ``ttest_rel``,
                      ``f_oneway``
``contingency``       ``chisquare``, ``chi2_contingency``, ``binomtest``, ``proportions_ztest``
``nonparametric``     ``rankdata``, ``ks_1samp``, ``ks_2samp``, ``kstest``, ``mannwhitneyu``,
                      ``wilcoxon``
``correlation``       ``pearsonr``, ``spearmanr``
``regression``        ``ols`` (coefficients differentiable; t tests, R², F, diagnostics, ``predict``)
``logistic``          ``logistic_regression`` (Newton/IRLS, Wald tests)
====================  ===============================================================================

A test returns SciPy's result: a tuple ``(statistic, pvalue)`` with named attributes
(``.df`` where the null distribution has degrees of freedom, ``.confidence_interval()``
where the test inverts to an interval).  Every docstring states the statistic and its
null distribution.  Bad input (too few observations, zero variance, NaN, a singular
design) raises ``ValueError`` naming the test and the reason.
"""
from __future__ import annotations

from .contingency import BinomTestResult, binomtest, chi2_contingency, chisquare, proportions_ztest  # noqa: F401
from .correlation import pearsonr, spearmanr  # noqa: F401
from .descriptive import (DescribeResult, corrcoef, cov, describe, kurtosis, mean, median, moment,  # noqa: F401
                          percentile, quantile, sem, skew, std, var, zscore)
from .estimation import FitResult, fit, likelihood_ratio_test  # noqa: F401
from .logistic import LogisticResult, logistic_regression  # noqa: F401
from .nonparametric import kstest, ks_1samp, ks_2samp, mannwhitneyu, rankdata, wilcoxon  # noqa: F401
from .parametric import f_oneway, ttest_1samp, ttest_ind, ttest_rel, ztest  # noqa: F401
from .regression import OLSResult, Prediction, ols  # noqa: F401
from .resampling import BootstrapResult, bootstrap  # noqa: F401
from .results import (Chi2ContingencyResult, ConfidenceInterval, F_onewayResult, KstestResult,  # noqa: F401
                      MannwhitneyuResult, PearsonRResult, Power_divergenceResult, SignificanceResult,
                      TestResult, TtestResult, WilcoxonResult, ZtestResult)

__all__ = [
    "mean", "var", "std", "quantile", "percentile", "median", "moment", "skew", "kurtosis", "sem", "zscore",
    "cov", "corrcoef", "describe", "DescribeResult",
    "fit", "FitResult", "likelihood_ratio_test", "bootstrap", "BootstrapResult",
    "ztest", "ttest_1samp", "ttest_ind", "ttest_rel", "f_oneway",
    "chisquare", "chi2_contingency", "binomtest", "BinomTestResult", "proportions_ztest",
    "rankdata", "ks_1samp", "ks_2samp", "kstest", "mannwhitneyu", "wilcoxon", "pearsonr", "spearmanr",
    "ols", "OLSResult", "Prediction", "logistic_regression", "LogisticResult",
    "ConfidenceInterval", "TestResult", "TtestResult", "ZtestResult", "F_onewayResult", "Power_divergenceResult",
    "Chi2ContingencyResult", "KstestResult", "MannwhitneyuResult", "WilcoxonResult", "PearsonRResult",
    "SignificanceResult",
]
