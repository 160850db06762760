"""Which array library an array belongs to: NumPy, or CuPy on a GPU.

Forward bodies of primitives call ``xp(x).exp(x)`` rather than ``numpy.exp(x)``,
so that a CuPy array stays on its device; nothing else in chainrule needs to
know which library holds the numbers.
"""
from __future__ import annotations

import numpy as np
import scipy.special as _scipy_special


def xp(*arrays):
    """The array namespace (``numpy`` or ``cupy``) of the first array among ``arrays``."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            import cupy
            return cupy
    return np


def special(*arrays):
    """``scipy.special`` or ``cupyx.scipy.special``, matching the arrays."""
    if xp(*arrays) is np:
        return _scipy_special
    import cupyx.scipy.special
    return cupyx.scipy.special
