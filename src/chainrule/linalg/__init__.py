r"""Linear algebra as differentiable code: ``cr.linalg`` (names of ``numpy.linalg`` / ``torch.linalg``).

Every value comes from LAPACK through NumPy and SciPy; every derivative rule is
written with chainrule's own operations (and with the functions of this package),
so each function can sit inside a loss, be differentiated twice, and run inside
``jacobian``, ``hessian`` and ``vmap``.  Functions act on the last two axes and are
batched over the leading ones.

The chapters:

=====================  ========================================================================
``basic``              ``det``, ``slogdet``, ``inv``, ``matrix_power``, ``trace``, ``cross``,
                       ``vecdot``, ``multi_dot``
``systems``            ``solve``, ``lstsq``, ``pinv``
``triangular``         ``solve_triangular``
``lu_decomposition``   ``lu``, ``lu_factor``, ``lu_solve``
``factorizations``     ``cholesky``, ``qr``
``spectral``           ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``, ``eig``, ``eigvals``
``norms``              ``vector_norm``, ``matrix_norm``, ``norm``, ``cond``, ``matrix_rank``,
                       ``null_space``, ``orth``
``functions``          ``expm``
``iterative``          ``cg``, ``power_iteration``
=====================  ========================================================================

Conventions fixed for determinism (and so that derivatives are well defined):
eigenvectors and left singular vectors have their largest-magnitude component
positive; :math:`R` of a QR factorization has a non-negative diagonal; ``cholesky``,
``eigh`` and ``eigvalsh`` use the symmetric part :math:`\tfrac12 (A + A^\top)` of their
input.  Bad input raises before anything is computed: :class:`~chainrule.ShapeError`
for shapes (stated as algebra), :class:`~chainrule.LinAlgError` for singular or
indefinite matrices and for NaN entries.
"""
from __future__ import annotations

from ..ops.products import matmul, outer, tensordot  # noqa: F401  (numpy.linalg has them too)
from ..ops.shape import matrix_transpose  # noqa: F401
from .basic import SlogdetResult, cross, det, inv, matrix_power, multi_dot, slogdet, trace, vecdot  # noqa: F401
from .factorizations import QRResult, cholesky, qr  # noqa: F401
from .functions import expm  # noqa: F401
from .iterative import CGResult, PowerIterationResult, cg, power_iteration  # noqa: F401
from .lu_decomposition import LUResult, lu, lu_factor, lu_solve  # noqa: F401
from .norms import cond, matrix_norm, matrix_rank, norm, null_space, orth, vector_norm  # noqa: F401
from .systems import LstsqResult, lstsq, pinv, solve  # noqa: F401
from .triangular import solve_triangular  # noqa: F401
from .spectral import (EigResult, EighResult, SVDResult, eig, eigh, eigvals, eigvalsh, svd,  # noqa: F401
                       svdvals)
from .structure import diagonal  # noqa: F401
from .validation import DegenerateSpectrumWarning  # noqa: F401

__all__ = [
    "det", "slogdet", "inv", "matrix_power", "trace", "cross", "vecdot", "multi_dot", "matmul", "outer",
    "tensordot", "matrix_transpose", "diagonal",
    "solve", "solve_triangular", "lstsq", "pinv", "lu", "lu_factor", "lu_solve",
    "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "eig", "eigvals",
    "vector_norm", "matrix_norm", "norm", "cond", "matrix_rank", "null_space", "orth",
    "expm", "cg", "power_iteration",
    "SlogdetResult", "QRResult", "EighResult", "SVDResult", "EigResult", "LUResult", "LstsqResult",
    "CGResult", "PowerIterationResult", "DegenerateSpectrumWarning",
]
