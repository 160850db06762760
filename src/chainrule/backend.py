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


# ----------------------------------------------------------------------------- the CPU allocator
def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the kernel.

    A training step allocates and frees the same large arrays (activations, columns of a
    convolution, gradients) over and over.  By default glibc serves each large block with
    a fresh ``mmap`` and returns it with ``munmap`` when freed, so every step faults its
    pages in again: measured on a LeNet-5 step here, about 2,300 page faults of ~3.5 µs,
    half of the step's time.  Raising the mmap threshold and the trim threshold to 1 GiB
    makes glibc reuse the freed blocks, as PyTorch's caching allocator does for its own
    tensors; the price is that memory freed by chainrule stays with the process (it is
    reused, not leaked).  Both settings are needed: either one alone was slower.

    Called once when chainrule is imported, on Linux with glibc only; set the environment
    variable ``CHAINRULE_KEEP_FREED_MEMORY=0`` to leave the allocator alone.  Returns
    whether the settings were applied.
    """
    import ctypes
    import os
    import sys
    if os.environ.get("CHAINRULE_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3          # mallopt parameters, from <malloc.h>
        return libc.mallopt(m_trim_threshold, 1 << 30) == 1 and libc.mallopt(m_mmap_threshold, 1 << 30) == 1
    except (OSError, AttributeError):                         # musl or another libc: nothing to tune
        return False
