r"""What the input of a linear-algebra function must be, and what is said when it is not.

Every function of ``cr.linalg`` checks its arguments before computing and fails
with a message that states the algebra:

* shapes: ``solve: A is (3×3) but b is (4×2); b needs 3 rows``;
* square matrices where the operation needs one (``det``, ``inv``, ``eigh``, ...);
* floating-point dtypes (integers have no derivatives and LAPACK works in floats);
* finite entries: LAPACK given a NaN returns NaNs or nonsense, so a NaN or an
  infinity is reported, with where it is, before anything is computed;
* singular matrices (``inv``, ``solve``) and matrices that are not positive definite
  (``cholesky``): :class:`chainrule.LinAlgError`, naming the operation and the
  condition number.

The checks on *values* run inside the primitives' forward bodies, on the arrays, so
they hold at every level of differentiation and inside ``vmap``.

Derivatives through eigenvectors and singular vectors do not exist where eigenvalues
or singular values repeat; the rules then emit a :class:`DegenerateSpectrumWarning`.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import DTypeError, LinAlgError, ShapeError, fmt_shape
from ..tensor import Tensor


class DegenerateSpectrumWarning(UserWarning):
    r"""A derivative through eigenvectors (or singular vectors) was taken where two
    eigenvalues (singular values) coincide.

    There the eigenvectors are not unique (any rotation of a basis of the shared
    eigenspace is as good), so their derivative does not exist: the formula divides
    by :math:`\lambda_j - \lambda_i = 0`.  chainrule drops the terms coupling the
    repeated pairs (it treats them as zero) and warns.  The result is correct when the
    loss depends on the eigenspace only (a projector, a function :math:`V f(\Lambda) V^\top`,
    the eigenvalues themselves); otherwise it depends on the arbitrary basis LAPACK chose.
    """


def as_tensor(x) -> Tensor:
    """A tensor for ``x`` (arrays and nested lists are wrapped; tensors pass through)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def require_float(op: str, *tensors) -> None:
    for t in tensors:
        if t.dtype.kind != "f":
            raise DTypeError(f"{op}: needs a floating-point matrix, got dtype {t.dtype}; "
                             f"convert with .astype(cr.float64)")


def require_matrix(op: str, a, name: str = "A") -> None:
    """At least two dimensions: a matrix, or a stack of matrices along leading axes."""
    if a.ndim < 2:
        raise ShapeError(f"{op}: {name} must be a matrix (or a stack of matrices), got shape "
                         f"{fmt_shape(a.shape)}")


def require_square(op: str, a, name: str = "A") -> None:
    require_matrix(op, a, name)
    if a.shape[-1] != a.shape[-2]:
        m, n = a.shape[-2:]
        raise ShapeError(f"{op}: {name} must be square, got {fmt_shape(a.shape)} ({m} rows, {n} columns)")


def batch_shape(op: str, a, b, a_name: str = "A", b_name: str = "b") -> tuple:
    """The broadcast of the leading (batch) axes of two stacks of matrices."""
    try:
        return np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ValueError:
        raise ShapeError(f"{op}: the batch axes of {a_name} {fmt_shape(a.shape)} and {b_name} "
                         f"{fmt_shape(b.shape)} cannot be broadcast together") from None


# ----------------------------------------------------------------------------- values
def _where(index: tuple) -> str:
    return f" (matrix {tuple(int(i) for i in index)} of the stack)" if index else ""


def require_finite(op: str, a, name: str = "A") -> None:
    """Raise :class:`LinAlgError` if ``a`` holds a NaN or an infinity.

    A single sum is the cheap test (it is finite exactly when no entry is NaN or
    infinite, barring overflow); only when it fails are the entries inspected.
    """
    xp_ = np if isinstance(a, np.ndarray) else _namespace(a)
    if a.size == 0 or xp_.isfinite(a.sum()):
        return
    bad = ~xp_.isfinite(a)
    if not bad.any():                          # the sum overflowed; the entries are finite
        return
    position = tuple(int(i) for i in np.argwhere(np.asarray(bad))[0])
    kind = "NaN" if xp_.isnan(a).any() else "an infinity"
    raise LinAlgError(f"{op}: {name} contains {kind} (first at index {position} of a "
                      f"{fmt_shape(a.shape)} array); LAPACK would return meaningless numbers")


def _namespace(a):
    from ..backend import xp
    return xp(a)


def condition_numbers(a) -> np.ndarray:
    """2-norm condition numbers :math:`\\sigma_{max}/\\sigma_{min}` of a stack (inf where singular)."""
    a = np.asarray(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.linalg.svd(a, compute_uv=False)
        return np.where(s[..., -1] > 0, s[..., 0] / s[..., -1], np.inf)


def singular_error(op: str, a, what: str = "A", consequence: str = "") -> LinAlgError:
    """The error for a singular matrix, with its condition number (computed here, on the
    error path only: an SVD is too costly to run on every call)."""
    cond = condition_numbers(a)
    worst = np.unravel_index(int(np.argmax(cond)), cond.shape) if cond.ndim else ()
    value = float(cond[worst]) if cond.ndim else float(cond)
    rest = f"; {consequence}" if consequence else ""
    return LinAlgError(f"{op}: {what} is singular{_where(worst)}: its condition number is {value:.3g} "
                       f"(1/ε = {1 / np.finfo(np.asarray(a).dtype).eps:.3g}){rest}")


def not_positive_definite_error(op: str, a) -> LinAlgError:
    w = np.linalg.eigvalsh(np.asarray(a))
    lowest = w[..., 0]
    worst = np.unravel_index(int(np.argmin(lowest)), lowest.shape) if lowest.ndim else ()
    value = float(lowest[worst]) if lowest.ndim else float(lowest)
    return LinAlgError(f"{op}: the matrix is not positive definite{_where(worst)}: its smallest "
                       f"eigenvalue is {value:.3g}; a Cholesky factor exists only for symmetric "
                       f"positive-definite matrices")


# ----------------------------------------------------------------------------- spectra
def spectral_tolerance(dtype) -> float:
    r"""Relative gap below which two eigenvalues (singular values) count as repeated:
    :math:`\sqrt{\varepsilon}` of the dtype (1.5e-8 in float64).  Eigenvectors computed by
    LAPACK are accurate to about :math:`\varepsilon\,\|A\| / \text{gap}`, so below this gap
    their derivative has no correct digits left."""
    return float(np.sqrt(np.finfo(dtype).eps))


def concrete(t) -> np.ndarray | None:
    """The array under a tensor at any transform level (batched values included).

    For inspecting values (diagnostics, data-dependent shapes), never for computing a
    derivative.
    """
    while isinstance(t, Tensor):
        if t._level is None:
            return t._data
        t = t._lower
    return t


def warn_degenerate(op: str, what: str, where: str) -> None:
    """Say that a derivative through eigenvectors or singular vectors was taken where it
    does not exist (the rule has already dropped the terms that would be infinite)."""
    warnings.warn(f"{op}: the derivative through the {what} was taken at {where}, where the {what} are not "
                  f"unique and have no derivative; the terms coupling the degenerate pairs were set to zero. "
                  f"The result is correct only if the loss is invariant to the choice of basis of each "
                  f"degenerate space (e.g. it uses only the eigenvalues or projectors onto the eigenspaces).",
                  DegenerateSpectrumWarning, stacklevel=4)


def warn_if_repeated(op: str, values, what: str) -> None:
    r"""Warn if two of ``values`` (eigenvalues, squared singular values; last axis) are closer
    than :func:`spectral_tolerance` relative to the largest: the pairs the rule drops.

    The closest pair of a set is adjacent once sorted, so this costs :math:`O(n \log n)`
    per matrix rather than a look at all :math:`n^2` pairs."""
    w = concrete(values)
    if w is None or w.shape[-1] < 2:
        return
    w = np.sort(np.asarray(w), axis=-1)
    tolerance = np.max(np.abs(w), axis=-1, keepdims=True) * spectral_tolerance(w.dtype) + np.finfo(w.dtype).tiny
    if np.any(np.diff(w, axis=-1) <= tolerance):
        warn_degenerate(op, what, "repeated singular values" if what == "singular vectors" else "repeated eigenvalues")
