r"""Strictly convex quadratic programs, by the dual active-set method of Goldfarb and Idnani.

.. math::

    \min_x\ \tfrac12 x^\top P x + q^\top x \quad\text{subject to}\quad
    A_{eq} x = b_{eq},\quad A_{in} x \ge b_{in},

with :math:`P` symmetric positive definite.  The solution and its multipliers satisfy
the KKT conditions

.. math::

    P x + q = A_{eq}^\top \lambda + A_{in}^\top \mu,\quad A_{eq} x = b_{eq},\quad
    A_{in} x \ge b_{in},\quad \mu \ge 0,\quad \mu_i (A_{in} x - b_{in})_i = 0.

The dual method starts at the unconstrained minimizer :math:`-P^{-1} q` (optimal for the
dual, infeasible for the primal) and adds violated constraints one at a time, keeping
the active set's multipliers non-negative and dropping a constraint whose multiplier
would become negative.  Each addition increases the dual objective, so no active set
repeats and the method terminates; it needs no feasible starting point, which is what
makes it the workhorse of SQP.  This is the QP solver of ``minimize(method="sqp")``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg

from ..errors import ShapeError, fmt_shape

__all__ = ["solve_qp", "QPResult"]


class QPResult(NamedTuple):
    r"""The solution ``x``, the multipliers of the equalities (``eq_multipliers``,
    :math:`\lambda`) and inequalities (``ineq_multipliers``, :math:`\mu \ge 0`), the
    ``active`` inequalities, ``iterations``, ``success`` and a ``message``."""

    x: np.ndarray
    eq_multipliers: np.ndarray
    ineq_multipliers: np.ndarray
    active: np.ndarray
    iterations: int
    success: bool
    message: str


def _as_constraints(a, b, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    if a is None:
        return np.zeros((0, n)), np.zeros(0)
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_1d(np.asarray(b, dtype=np.float64)).reshape(-1)
    if a.shape[1] != n or a.shape[0] != b.size:
        raise ShapeError(f"solve_qp: A_{kind} is {fmt_shape(a.shape)} and b_{kind} has {b.size} entries, for "
                         f"{n} variables; expected A_{kind} of shape (m×{n}) and b_{kind} of m entries")
    return a, b


def solve_qp(P, q, A_eq=None, b_eq=None, A_ineq=None, b_ineq=None, maxiter: int | None = None) -> QPResult:
    r"""Solve :math:`\min \tfrac12 x^\top P x + q^\top x` subject to :math:`A_{eq} x = b_{eq}`,
    :math:`A_{in} x \ge b_{in}`, for a symmetric positive-definite :math:`P`.

    .. math::
       \begin{aligned}
       &x \leftarrow -P^{-1} q,\ \mathcal{A} \leftarrow \emptyset \\
       &\textbf{loop:}\ \text{pick a violated constraint } n_q^\top x \ge b_q
              \text{ (an equality not yet active, else the most violated inequality); none: done} \\
       &\quad \textbf{repeat:}\ N \leftarrow \text{normals of } \mathcal{A},\
              r \leftarrow (N P^{-1} N^\top)^{-1} N P^{-1} n_q,\ z \leftarrow P^{-1}(n_q - N^\top r) \\
       &\qquad t_1 \leftarrow \min_{j \in \mathcal{A}_{in},\, r_j > 0} u_j / r_j \text{ (dual step)},\quad
               t_2 \leftarrow -(n_q^\top x - b_q) / z^\top n_q \text{ (primal step; } \infty \text{ if } z = 0) \\
       &\qquad \textbf{if } t_1 = t_2 = \infty: \text{ infeasible} \\
       &\qquad t \leftarrow \min(t_1, t_2);\ x \leftarrow x + t z;\ u_{\mathcal A} \leftarrow u_{\mathcal A} - t r;\ u_q \leftarrow u_q + t \\
       &\qquad \textbf{if } t = t_2: \text{ add } q \text{ to } \mathcal{A} \text{ and continue the loop;}
               \textbf{ else } \text{drop the constraint that gave } t_1
       \end{aligned}

    Linear algebra is a Cholesky factorization of :math:`P` and small dense solves with
    the active set's normals (NumPy/SciPy).

    Returns
    -------
    QPResult
        ``success=False`` with a message when the constraints are inconsistent (or the
        iteration limit, default :math:`10(n + m) + 50`, is reached).

    References
    ----------
    D. Goldfarb, A. Idnani, "A numerically stable dual method for solving strictly convex
    quadratic programs", Mathematical Programming 27, 1983.
    """
    P = np.asarray(P, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64).reshape(-1)
    n = q.size
    if P.shape != (n, n):
        raise ShapeError(f"solve_qp: P is {fmt_shape(P.shape)} for {n} variables; expected ({n}×{n})")
    a_eq, b_eq = _as_constraints(A_eq, b_eq, n, "eq")
    a_in, b_in = _as_constraints(A_ineq, b_ineq, n, "ineq")
    m_eq, m_in = len(b_eq), len(b_in)
    try:
        factor = scipy.linalg.cho_factor(0.5 * (P + P.T))
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError("solve_qp: P must be symmetric positive definite (Cholesky failed)") from None
    maxiter = 10 * (n + m_eq + m_in) + 50 if maxiter is None else maxiter

    def inverse_times(v):
        return scipy.linalg.cho_solve(factor, v)

    normals = np.vstack([a_eq, a_in])            # constraint k: normals[k] @ x >= rhs[k] (equalities signed below)
    rhs = np.concatenate([b_eq, b_in])
    sign = np.ones(m_eq + m_in)                  # an equality is used as ±(a x - b) ≥ 0, whichever is violated
    x = -inverse_times(q)
    active: list[int] = []
    u = np.zeros(m_eq + m_in)                    # multipliers of the signed constraints
    scale = 1.0 + np.abs(rhs) + np.linalg.norm(normals, axis=1) * max(1.0, float(np.linalg.norm(x)))
    redundant: set[int] = set()                  # equalities implied by the active ones
    iterations = 0

    def slack(k):
        return sign[k] * (normals[k] @ x - rhs[k])

    while True:
        # the next constraint to add: an inactive equality, else the most violated inequality
        candidate = None
        for k in range(m_eq):
            if k not in active and k not in redundant:
                sign[k] = 1.0 if normals[k] @ x - rhs[k] <= 0 else -1.0
                candidate = k
                break
        if candidate is None and m_in:
            violations = np.array([slack(m_eq + i) / scale[m_eq + i] for i in range(m_in)])
            violations[[k - m_eq for k in active if k >= m_eq]] = np.inf
            worst = int(np.argmin(violations))
            if violations[worst] < -1e-12:
                candidate = m_eq + worst
        if candidate is None:
            break
        q_normal = sign[candidate] * normals[candidate]
        while True:
            iterations += 1
            if iterations > maxiter:
                return _result(x, u, sign, active, m_eq, m_in, iterations, False,
                               f"solve_qp: no solution after {maxiter} iterations")
            if active:
                n_active = sign[active, None] * normals[active]
                p_inv_nt = inverse_times(n_active.T)
                r = np.linalg.solve(n_active @ p_inv_nt, p_inv_nt.T @ q_normal)
                z = inverse_times(q_normal - n_active.T @ r)
            else:
                r = np.zeros(0)
                z = inverse_times(q_normal)
            # dual step: the largest t keeping the active inequalities' multipliers ≥ 0
            t_dual, blocking = math.inf, None
            for j, k in enumerate(active):
                if k >= m_eq and r[j] > 0 and u[k] / r[j] < t_dual:
                    t_dual, blocking = u[k] / r[j], j
            # primal step: the t that makes the new constraint hold with equality
            curvature = float(z @ q_normal)
            dependent = curvature <= 1e-14 * float(q_normal @ inverse_times(q_normal))
            t_primal = math.inf if dependent else -slack(candidate) / curvature
            if dependent and candidate < m_eq and abs(slack(candidate)) <= 1e-10 * scale[candidate]:
                redundant.add(candidate)         # a repeated or combined equality: already satisfied
                break
            if math.isinf(t_dual) and math.isinf(t_primal):
                return _result(x, u, sign, active, m_eq, m_in, iterations, False,
                               f"solve_qp: the constraints are inconsistent (constraint {candidate} cannot be "
                               f"satisfied together with the active ones)")
            t = min(t_dual, t_primal)
            if not dependent:
                x = x + t * z
            for j, k in enumerate(active):
                u[k] -= t * r[j]
            u[candidate] += t
            if t == t_primal:
                active.append(candidate)
                break
            u[active[blocking]] = 0.0
            del active[blocking]
    return _result(x, u, sign, active, m_eq, m_in, iterations, True, "solve_qp: optimal")


def _result(x, u, sign, active, m_eq, m_in, iterations, success, message) -> QPResult:
    multipliers = sign * u                       # back to the unsigned constraints
    active_ineq = np.array(sorted(k - m_eq for k in active if k >= m_eq), dtype=np.int64)
    return QPResult(x, multipliers[:m_eq], multipliers[m_eq:], active_ineq, iterations, success, message)
