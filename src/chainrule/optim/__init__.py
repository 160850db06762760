r"""Optimization: ``cr.optim`` (PyTorch's optimizers and schedules; ``minimize`` in SciPy's style)."""
