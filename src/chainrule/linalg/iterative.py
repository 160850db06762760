r"""Iterative methods that need only the product :math:`v \mapsto Av`.

Conjugate gradients solve :math:`Ax = b` for a symmetric positive-definite :math:`A`
by minimising :math:`\tfrac12 x^\top A x - b^\top x` along :math:`A`-conjugate
directions; in exact arithmetic they finish in at most :math:`n` steps, and the error
falls at least as fast as :math:`2\big(\tfrac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\big)^k`:

.. math::

    \alpha_k = \frac{r_k^\top z_k}{p_k^\top A p_k}, \quad
    x_{k+1} = x_k + \alpha_k p_k, \quad r_{k+1} = r_k - \alpha_k A p_k, \quad
    z_{k+1} = M r_{k+1}, \quad
    p_{k+1} = z_{k+1} + \frac{r_{k+1}^\top z_{k+1}}{r_k^\top z_k}\, p_k

(:math:`M \approx A^{-1}` a preconditioner, the identity by default).  Power iteration
:math:`v_{k+1} = A v_k / \|A v_k\|` converges to the eigenvector of the eigenvalue of
largest magnitude, at the rate :math:`|\lambda_2 / \lambda_1|^k`.

Both accept a matrix or a callable ``matvec(v)``, stop at a tolerance or an iteration
limit, and report what happened (iterations, residual, convergence).  They are written
with chainrule's ops, so their results can be differentiated (through the iterations).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ..errors import LinAlgError, ShapeError, fmt_shape
from ..ops.products import matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import reshape
from ..tensor import Tensor
from .norms import vector_norm
from .validation import as_tensor, concrete, require_finite, require_float

__all__ = ["cg", "power_iteration", "CGResult", "PowerIterationResult"]


class CGResult(NamedTuple):
    """What :func:`cg` found: the solution, whether it met the tolerance, the number of
    iterations and the final residual norm :math:`\\|b - Ax\\|_2`."""

    x: Tensor
    converged: bool
    iterations: int
    residual_norm: float


class PowerIterationResult(NamedTuple):
    """What :func:`power_iteration` found: the eigenvalue of largest magnitude, its unit
    eigenvector, whether it met the tolerance, the number of iterations and the residual
    norm :math:`\\|Av - \\lambda v\\|_2`."""

    eigenvalue: Tensor
    eigenvector: Tensor
    converged: bool
    iterations: int
    residual_norm: float


def _as_operator(op: str, a, n: int | None) -> tuple[Callable, int | None]:
    """A matrix-vector product and the dimension (None when only a callable is known)."""
    if callable(a) and not isinstance(a, Tensor):
        return a, n
    a = as_tensor(a)
    require_float(op, a)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"{op}: A must be a square matrix or a callable v ↦ Av, got shape {fmt_shape(a.shape)}")
    require_finite(op, concrete(a))
    return (lambda v: matmul(a, v)), a.shape[0]


def _dot(u, v):
    return reduce_sum(u * v)


def _float(t) -> float:
    return float(np.asarray(concrete(t)))


def cg(A, b, x0=None, *, rtol: float = 1e-5, atol: float = 0.0, maxiter: int | None = None,
       M=None) -> CGResult:
    r"""Solve :math:`Ax = b` for a symmetric positive-definite :math:`A` by (preconditioned)
    conjugate gradients, as ``scipy.sparse.linalg.cg``: ``A`` is a matrix or a callable
    ``matvec(v)``, ``M`` an optional preconditioner (matrix or callable, approximating
    :math:`A^{-1}`).

    Stops when :math:`\|b - Ax_k\|_2 \le \max(\mathrm{rtol}\,\|b\|_2,\ \mathrm{atol})` or after
    ``maxiter`` iterations (default :math:`10n`).  In exact arithmetic it needs at most
    :math:`n` iterations.  A direction with :math:`p^\top A p \le 0` proves :math:`A` is not
    positive definite: :class:`~chainrule.LinAlgError`.  Returns a :class:`CGResult`.
    """
    b = as_tensor(b)
    require_float("cg", b)
    if b.ndim != 1:
        raise ShapeError(f"cg: b must be a vector, got shape {fmt_shape(b.shape)}")
    require_finite("cg", concrete(b), "b")
    n = b.shape[0]
    matvec, size = _as_operator("cg", A, n)
    if size is not None and size != n:
        raise ShapeError(f"cg: A is ({size}×{size}) but b has {n} entries; b needs {size}")
    precondition = (lambda r: r) if M is None else _as_operator("cg", M, n)[0]
    maxiter = 10 * n if maxiter is None else int(maxiter)
    tolerance = max(rtol * _float(vector_norm(b)), atol)

    x = Tensor._wrap(np.zeros(n, dtype=b.dtype)) if x0 is None else as_tensor(x0)
    r = b - matvec(x) if x0 is not None else b
    z = precondition(r)
    p = z
    rz = _dot(r, z)
    residual = _float(vector_norm(r))
    iterations = 0
    while residual > tolerance and iterations < maxiter:
        ap = matvec(p)
        curvature = _dot(p, ap)
        if _float(curvature) <= 0:
            raise LinAlgError(f"cg: pᵀAp = {_float(curvature):.3g} ≤ 0 at iteration {iterations + 1}: A is not "
                              f"positive definite, and conjugate gradients need a symmetric positive-definite A")
        alpha = rz / curvature
        x = x + alpha * p
        r = r - alpha * ap
        z = precondition(r)
        rz_next = _dot(r, z)
        p = z + (rz_next / rz) * p
        rz = rz_next
        iterations += 1
        residual = _float(vector_norm(r))
    return CGResult(x, residual <= tolerance, iterations, residual)


def power_iteration(A, v0=None, *, maxiter: int = 1000, tol: float = 1e-10, seed=0) -> PowerIterationResult:
    r"""The eigenvalue of largest magnitude and its eigenvector by power iteration,
    :math:`v_{k+1} = Av_k / \|Av_k\|_2`, with the Rayleigh quotient
    :math:`\lambda_k = v_k^\top A v_k` as the eigenvalue estimate.

    ``A`` is a matrix or a callable ``matvec(v)`` (then ``v0`` is required, to give the
    dimension).  The start is ``v0`` or a random unit vector drawn from ``seed``.  Stops when
    :math:`\|Av_k - \lambda_k v_k\|_2 \le \mathrm{tol}\, |\lambda_k|` or after ``maxiter``
    iterations.  Convergence needs a unique eigenvalue of largest magnitude and is
    geometric with ratio :math:`|\lambda_2/\lambda_1|`.  Convention: the eigenvector has its
    largest-magnitude component positive.  Returns a :class:`PowerIterationResult`.
    """
    matvec, n = _as_operator("power_iteration", A, None)
    if v0 is None:
        if n is None:
            raise ValueError("power_iteration: with a callable A, give v0 (a start vector of the right length)")
        start_vector = np.random.default_rng(seed).standard_normal(n)
        v = Tensor._wrap(start_vector.astype(as_tensor(A).dtype))
    else:
        v = as_tensor(v0)
        if v.ndim != 1 or (n is not None and v.shape[0] != n):
            raise ShapeError(f"power_iteration: v0 must be a vector of length {n}, got shape {fmt_shape(v.shape)}")
    start = _float(vector_norm(v))
    if start == 0:
        raise ValueError("power_iteration: the start vector is zero")
    v = v / start
    eigenvalue, residual, iterations, converged = None, float("inf"), 0, False
    while iterations < maxiter:
        w = matvec(v)
        eigenvalue = _dot(v, w)
        residual = _float(vector_norm(w - eigenvalue * v))
        iterations += 1
        if residual <= tol * abs(_float(eigenvalue)):
            converged = True
            break
        size = vector_norm(w)
        if _float(size) == 0:          # A v = 0: v is an eigenvector of the eigenvalue 0
            converged = True
            break
        v = w / size
    biggest = int(np.argmax(np.abs(np.asarray(concrete(v)))))
    if np.asarray(concrete(v))[biggest] < 0:
        v = -v
    return PowerIterationResult(reshape(eigenvalue, ()), v, converged, iterations, residual)
