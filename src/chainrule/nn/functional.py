r"""Functions of neural networks: ``cr.nn.functional`` (PyTorch's ``torch.nn.functional`` names)."""
from __future__ import annotations

from ..ops.elementwise import relu  # noqa: F401
from ..ops.reductions import log_softmax, softmax  # noqa: F401
