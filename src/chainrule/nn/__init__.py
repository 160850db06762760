r"""Neural networks: ``cr.nn`` (PyTorch's names, arguments and parameter layouts)."""
from . import functional  # noqa: F401
