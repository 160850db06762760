r"""Linear algebra as differentiable code: ``cr.linalg`` (names of ``numpy.linalg`` / ``torch.linalg``)."""
