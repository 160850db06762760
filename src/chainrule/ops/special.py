r"""Special functions of probability and statistics (``scipy.special``), as differentiable primitives."""
from __future__ import annotations

TENSOR_METHODS: dict = {}

__all__: list = []
