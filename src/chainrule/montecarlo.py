r"""Monte Carlo and integration: expectations, importance sampling, MCMC, quadrature (``cr.montecarlo``)."""
