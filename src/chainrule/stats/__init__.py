r"""Statistics: descriptive statistics, estimation, hypothesis tests, regression (SciPy's names and results)."""
