r"""Bayesian updating: Bayes' rule over discrete hypotheses and conjugate models (``cr.bayes``)."""
