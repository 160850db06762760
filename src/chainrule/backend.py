"""Which array library an array belongs to: NumPy, or CuPy on a GPU.

Forward bodies of primitives call ``xp(x).exp(x)`` rather than ``numpy.exp(x)``,
so that a CuPy array stays on its device; nothing else in chainrule needs to
know which library holds the numbers.

The CPU libraries underneath are tuned here too: glibc's allocator
(:func:`keep_freed_memory`), the threads of SciPy's LAPACK
(:func:`scipy_lapack_threads`), and scaled sums in place in one BLAS pass
(:func:`add_scaled_`, the arithmetic of an optimizer's update).
"""
from __future__ import annotations

import numpy as np
import scipy.special as _scipy_special
from scipy.linalg import blas as _blas


def xp(*arrays):
    """The array namespace (``numpy`` or ``cupy``) of the first array among ``arrays``."""
    for a in arrays:
        if a.__class__ is np.ndarray:        # the common case, decided without a string test
            return np
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


# ----------------------------------------------------------------------------- LAPACK threads
class _SeparateScipyBlas:
    """SciPy's own OpenBLAS, when it is a different library from NumPy's (found once, lazily).

    The wheels on PyPI each bundle an OpenBLAS: NumPy's (``numpy.libs``) serves ``@`` and
    ``numpy.linalg``, SciPy's (``scipy.libs``) serves ``scipy.linalg.lapack``.  Each keeps
    its own pool of worker threads, and an OpenBLAS worker keeps spinning for a while after
    its last job.  Code that alternates the two — a Cholesky gradient does a NumPy product,
    a SciPy triangular solve, a NumPy product... — then has both pools' workers fighting for
    the same cores: measured on 2 cores with n = 256, a product followed by a triangular
    solve took 10 ms instead of 1.5 ms.  Where both libraries share one BLAS (conda's MKL,
    a distribution's OpenBLAS), or SciPy's runs on OpenMP, nothing is found and nothing is
    changed.

    ``threadpoolctl`` finds the library; its two entry points are then called directly
    through ``ctypes`` (a microsecond, where a ``threadpool_limits`` block costs ~10 µs).
    """

    searched = False
    get_num_threads = set_num_threads = None

    @classmethod
    def find(cls) -> bool:
        if not cls.searched:
            cls.searched = True
            try:
                cls._find()
            except Exception:            # no threadpoolctl, or a library it cannot read
                cls.get_num_threads = cls.set_num_threads = None
        return cls.set_num_threads is not None

    @classmethod
    def _find(cls):
        import ctypes
        import itertools
        import os

        import scipy
        from threadpoolctl import ThreadpoolController
        scipy_dir = os.path.dirname(scipy.__file__)          # .../site-packages/scipy
        for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
            path = os.path.realpath(lib.filepath)
            ours = path.startswith(scipy_dir + os.sep) or path.startswith(scipy_dir + ".libs" + os.sep)
            if not ours or getattr(lib, "threading_layer", None) != "pthreads":
                continue
            dll = ctypes.CDLL(lib.filepath)
            for prefix, suffix in itertools.product(("", "scipy_"), ("", "64_", "_64")):
                getter = getattr(dll, f"{prefix}openblas_get_num_threads{suffix}", None)
                setter = getattr(dll, f"{prefix}openblas_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    cls.get_num_threads, cls.set_num_threads = getter, setter
                    return


#: Matrices up to this order are factored and solved by SciPy's LAPACK on one thread.
SINGLE_THREADED_LAPACK_MAX_N = 512


class scipy_lapack_threads:
    """``with scipy_lapack_threads(n):`` runs the SciPy LAPACK calls inside on one thread
    when the matrices are of order ``n`` ≤ :data:`SINGLE_THREADED_LAPACK_MAX_N` and SciPy
    has its own OpenBLAS.

    Why one thread: then SciPy's pool never wakes, so it never spins against NumPy's (see
    :class:`_SeparateScipyBlas`), and at these sizes its second thread does not pay anyway —
    measured on 2 cores, ``?potrf`` at n = 256 took 0.51 ms on one thread and 0.80 ms on
    two, ``?getrf`` 0.67 and 0.75 ms; two threads start to win from n ≈ 512.  The previous
    thread count is restored on the way out, so the user's own SciPy calls are untouched.
    """

    __slots__ = ("active", "previous")

    def __init__(self, n: int):
        self.active = n <= SINGLE_THREADED_LAPACK_MAX_N and _SeparateScipyBlas.find()

    def __enter__(self):
        if self.active:
            self.previous = _SeparateScipyBlas.get_num_threads()
            _SeparateScipyBlas.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        if self.active:
            _SeparateScipyBlas.set_num_threads(self.previous)
        return False


# ----------------------------------------------------------------------------- y += αx in one pass
#: Arrays with fewer entries are updated by NumPy: below this the call into BLAS costs
#: as much as the temporary it saves.
AXPY_MIN_SIZE = 1 << 14

_AXPY_BY_TYPE = {"f": _blas.saxpy, "d": _blas.daxpy}        # by NumPy's type character


def add_scaled_(y, x, alpha: float) -> None:
    r""":math:`y \leftarrow y + \alpha x` in place on arrays of the same shape: one pass of
    BLAS ``?axpy`` where it applies, else NumPy's (or CuPy's) product and sum.

    NumPy computes ``alpha * x`` into a temporary and then adds it: two passes over memory
    and a fresh array, where ``?axpy`` makes one.  For a parameter update of a million
    float32 entries that is 290 µs against 110 µs (PyTorch's fused ``add_``: 130 µs).
    ``?axpy`` is used for NumPy arrays ``y`` (writeable) and ``x`` of one dtype, float32 or
    float64, both C-contiguous, not overlapping, with at least :data:`AXPY_MIN_SIZE`
    entries; its result may differ from NumPy's in the last bit (it may fuse the multiply
    and the add).  SciPy's BLAS runs it on one thread (:class:`scipy_lapack_threads`): the
    update is bound by memory, not arithmetic, and SciPy's worker pool must not wake to
    spin against NumPy's.
    """
    if not _axpy_in_place(y, x, alpha):
        y += alpha * x


def _axpy_in_place(y, x, alpha) -> bool:
    """:func:`add_scaled_` by ``?axpy``, if it applies (see there); whether it did."""
    if (y.__class__ is not np.ndarray or x.__class__ is not np.ndarray or y.size < AXPY_MIN_SIZE
            or y.dtype != x.dtype or y.shape != x.shape):
        return False
    if not (y.flags.c_contiguous and x.flags.c_contiguous and y.flags.writeable):
        return False
    axpy = _AXPY_BY_TYPE.get(y.dtype.char)
    if axpy is None or np.may_share_memory(x, y):
        return False
    flat = y.reshape(-1)                                  # a view: y is C-contiguous
    with scipy_lapack_threads(1):                         # a vector: one thread
        out = axpy(x.reshape(-1), flat, a=alpha)
    if out.ctypes.data != flat.ctypes.data:               # f2py made a copy after all: write it back
        flat[...] = out
    return True
