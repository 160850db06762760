r"""Probability distributions: ``cr.distributions`` (``torch.distributions``' names and parameterizations)."""
