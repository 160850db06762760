r"""Helpers over a model's parameters: ``cr.nn.utils`` (PyTorch's layout).

- :mod:`.clip_grad`: ``clip_grad_norm_``, ``clip_grad_value_`` (after ``backward()``);
- :mod:`.penalties`: ``l1_penalty``, ``l2_penalty`` (regularizers added to a loss);
- :mod:`.convert_parameters`: ``parameters_to_vector``, ``vector_to_parameters``.
"""
from __future__ import annotations

from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .penalties import l1_penalty, l2_penalty  # noqa: F401
