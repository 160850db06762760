r"""Newton's method and its Hessian-free and trust-region forms.

Newton's method minimizes the quadratic model
:math:`m_k(p) = f_k + \nabla f_k^\top p + \tfrac12 p^\top \nabla^2 f_k\, p`
at each step: :math:`p_k = -(\nabla^2 f_k)^{-1} \nabla f_k`.  Near a minimizer with a
positive-definite, Lipschitz Hessian the error squares at every step,
:math:`\|x_{k+1} - x^\star\| \le C \|x_k - x^\star\|^2` (quadratic convergence); a
strictly convex quadratic is minimized in one step.  Far from it the Hessian may be
indefinite and the step an ascent direction, so:

* ``newton`` factorizes :math:`\nabla^2 f_k + \tau I` by Cholesky, raising
  :math:`\tau \ge 0` until it is positive definite (a Levenberg–Marquardt shift), and
  backtracks along the step until the Armijo condition holds;
* ``newton-cg`` never forms the Hessian: it solves the Newton system approximately by
  conjugate gradients, which need only products :math:`\nabla^2 f\, v` (one forward
  pass over the reverse pass, ``cr.hvp``), and stops CG at negative curvature;
* ``trust-region`` minimizes the model within a ball :math:`\|p\| \le \Delta` (Steihaug's
  CG: stop at the boundary or at negative curvature), and grows or shrinks
  :math:`\Delta` by how well the model predicted the actual decrease.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import scipy.linalg

from .line_search import backtracking
from .objective import (MAX_ITERATIONS, NO_PROGRESS, NOT_FINITE, SUCCESS, Objective, Stop, Trace,
                        gradient_converged, max_iterations_message, success_message)

__all__ = ["cholesky_with_shift", "truncated_cg", "CGSolution", "newton", "newton_cg", "trust_region"]


def cholesky_with_shift(matrix: np.ndarray, beta: float = 1e-3, max_tries: int = 100):
    r"""Cholesky factor of :math:`A + \tau I` for the smallest :math:`\tau` of the sequence
    :math:`0, \beta, 2\beta, 4\beta, \ldots` (after the diagonal's deficit) that makes it
    positive definite.

    Nocedal & Wright, *Numerical Optimization*, Algorithm 3.3 ("Cholesky with added
    multiple of the identity"), with :math:`\beta` scaled by the size of :math:`A`'s
    diagonal.  Returns ``(cho_factor result, tau)``.
    """
    matrix = 0.5 * (matrix + matrix.T)          # the Hessian of autodiff is symmetric up to rounding
    scale = max(1.0, float(np.max(np.abs(np.diag(matrix)), initial=0.0)))
    beta = beta * scale
    smallest = float(np.min(np.diag(matrix), initial=1.0))
    tau = 0.0 if smallest > 0 else beta - smallest
    identity = np.eye(len(matrix))
    for _ in range(max_tries):
        try:
            return scipy.linalg.cho_factor(matrix + tau * identity), tau
        except np.linalg.LinAlgError:
            tau = max(2 * tau, beta)
    raise np.linalg.LinAlgError(f"no shift up to τ = {tau:.3g} makes the Hessian positive definite")


class CGSolution(NamedTuple):
    r"""A (truncated) CG solution of :math:`H p = -g`: the step ``p``, the product
    :math:`Hp` (for the model's value), the ``iterations`` and why CG stopped
    (``"converged"``, ``"negative curvature"``, ``"boundary"`` or ``"max iterations"``)."""

    step: np.ndarray
    hessian_step: np.ndarray
    iterations: int
    reason: str


def _to_boundary(p: np.ndarray, d: np.ndarray, radius: float) -> float:
    r"""The :math:`\tau \ge 0` with :math:`\|p + \tau d\| = \Delta` (the positive root)."""
    a, b, c = float(d @ d), 2 * float(p @ d), float(p @ p) - radius ** 2
    return (-b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)


def truncated_cg(hessian_product: Callable[[np.ndarray], np.ndarray], gradient: np.ndarray, tol: float,
                 max_iter: int | None = None, radius: float | None = None) -> CGSolution:
    r"""Conjugate gradients on the Newton system :math:`H p = -g`, truncated.

    .. math::
       \begin{aligned}
       &p_0 = 0,\ r_0 = g,\ d_0 = -g \\
       &\textbf{for } j = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{if } d_j^\top H d_j \le 0:\ \textbf{return } p_j
             \ (-g \text{ if } j = 0;\ \text{with } \Delta:\ \text{go to the boundary along } d_j) \\
       &\quad \alpha_j = r_j^\top r_j / d_j^\top H d_j,\quad p_{j+1} = p_j + \alpha_j d_j \\
       &\quad \textbf{if } \|p_{j+1}\| \ge \Delta:\ \textbf{return } p_j + \tau d_j,\ \|p_j + \tau d_j\| = \Delta \\
       &\quad r_{j+1} = r_j + \alpha_j H d_j;\quad \textbf{if } \|r_{j+1}\| < \text{tol}:\ \textbf{return } p_{j+1} \\
       &\quad \beta_{j+1} = r_{j+1}^\top r_{j+1} / r_j^\top r_j,\quad d_{j+1} = -r_{j+1} + \beta_{j+1} d_j
       \end{aligned}

    On a symmetric positive-definite :math:`H` of size :math:`n` it converges in at most
    :math:`n` iterations in exact arithmetic (the directions are :math:`H`-conjugate).
    Without ``radius`` this is the inner solver of ``newton-cg`` (Nocedal & Wright,
    Algorithm 7.1); with it, Steihaug's method for the trust-region subproblem
    (Algorithm 7.2).

    Parameters
    ----------
    hessian_product : callable
        :math:`v \mapsto Hv`.
    gradient : ndarray
        :math:`g`.
    tol : float
        Stop when the residual :math:`\|Hp + g\|` is below it.
    max_iter : int, optional
        Default :math:`2n`.
    radius : float, optional
        The trust-region radius :math:`\Delta`.
    """
    n = gradient.size
    max_iter = 2 * n if max_iter is None else max_iter
    p = np.zeros_like(gradient)
    hp = np.zeros_like(gradient)
    r = gradient.copy()
    d = -r
    rr = float(r @ r)
    if math.sqrt(rr) < tol:
        return CGSolution(p, hp, 0, "converged")
    for j in range(max_iter):
        hd = hessian_product(d)
        curvature = float(d @ hd)
        if not math.isfinite(curvature):
            raise Stop(NOT_FINITE, f"a Hessian-vector product is not finite (CG iteration {j + 1})")
        if curvature <= 0:
            if radius is not None:
                tau = _to_boundary(p, d, radius)
                return CGSolution(p + tau * d, hp + tau * hd, j + 1, "negative curvature")
            if j == 0:                           # no curvature information yet: steepest descent
                return CGSolution(d, hd, 1, "negative curvature")
            return CGSolution(p, hp, j + 1, "negative curvature")
        alpha = rr / curvature
        p_next = p + alpha * d
        if radius is not None and float(np.linalg.norm(p_next)) >= radius:
            tau = _to_boundary(p, d, radius)
            return CGSolution(p + tau * d, hp + tau * hd, j + 1, "boundary")
        hp = hp + alpha * hd
        r = r + alpha * hd
        rr_next = float(r @ r)
        p = p_next
        if math.sqrt(rr_next) < tol:
            return CGSolution(p, hp, j + 1, "converged")
        d = -r + (rr_next / rr) * d
        rr = rr_next
    return CGSolution(p, hp, max_iter, "max iterations")


def _forcing_tolerance(gradient: np.ndarray) -> float:
    r"""Inexact Newton: solve to :math:`\|r\| \le \eta_k \|g\|` with :math:`\eta_k = \min(0.5, \|g\|)`,
    which keeps the convergence quadratic (Nocedal & Wright, Theorem 7.2; the looser
    :math:`\eta_k = \min(0.5, \sqrt{\|g\|})` gives only superlinear convergence)."""
    norm = float(np.linalg.norm(gradient))
    return min(0.5, norm) * norm


def _line_search_step(objective: Objective, x, f, g, direction, trace, c1) -> tuple[np.ndarray, float, np.ndarray]:
    """Backtrack from the full step; return the new iterate with its value and gradient."""
    slope = float(g @ direction)
    search = backtracking(lambda t: objective.value(x + t * direction), f, slope, 1.0, c1=c1)
    if not search.success:
        raise Stop(NO_PROGRESS, f"the line search found no step satisfying the Armijo condition at iteration "
                                f"{trace.nit + 1} (desired accuracy possibly lost to rounding)")
    x = x + search.step * direction
    f, g = objective.value_and_grad(x)
    return x, f, g


def newton(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float,
           c1: float) -> tuple[int, str]:
    r"""Newton's method with a Levenberg–Marquardt shift and a backtracking line search.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|\nabla f_k\|_\infty \le \text{gtol} \\
       &\quad \tau_k \leftarrow \text{the smallest shift with } \nabla^2 f_k + \tau_k I \succ 0
              \text{ (Cholesky succeeds; } \tau_k = 0 \text{ when } \nabla^2 f_k \succ 0) \\
       &\quad p_k \leftarrow -(\nabla^2 f_k + \tau_k I)^{-1} \nabla f_k \\
       &\quad t_k \leftarrow \text{backtracking from } 1 \text{ (Armijo)},\quad x_{k+1} \leftarrow x_k + t_k p_k
       \end{aligned}

    The Hessian comes from ``cr.hessian`` (forward over reverse mode).  With
    :math:`\tau_k = 0` and :math:`t_k = 1` near the minimizer, convergence is quadratic.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    shifts = []
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        hessian = objective.hessian(x)
        if not np.all(np.isfinite(hessian)):
            raise Stop(NOT_FINITE, f"the Hessian is not finite at iteration {trace.nit + 1}, at x = {x.tolist()}")
        factor, shift = cholesky_with_shift(hessian)
        shifts.append(shift)
        direction = -scipy.linalg.cho_solve(factor, g)
        x, f, g = _line_search_step(objective, x, f, g, direction, trace, c1)
        trace.record(x, f, g)
        trace.extra["hessian_shifts"] = np.array(shifts)
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)


def newton_cg(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float, c1: float,
              cg_maxiter: int | None) -> tuple[int, str]:
    r"""Hessian-free (truncated) Newton: the Newton system solved by conjugate gradients.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|\nabla f_k\|_\infty \le \text{gtol} \\
       &\quad p_k \leftarrow \text{CG on } \nabla^2 f_k\, p = -\nabla f_k \text{ to }
              \|r\| \le \min(0.5, \|\nabla f_k\|)\, \|\nabla f_k\|,
              \text{ stopping at negative curvature} \\
       &\quad t_k \leftarrow \text{backtracking from } 1,\quad x_{k+1} \leftarrow x_k + t_k p_k
       \end{aligned}

    Each CG iteration costs one Hessian-vector product :math:`\nabla^2 f\, v` (``cr.hvp``),
    about the cost of two gradients; the Hessian is never formed.  The CG iteration
    counts are in the result's ``cg_iterations``.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    cg_iterations = []
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        solution = truncated_cg(lambda v, x=x: objective.hvp(x, v), g, _forcing_tolerance(g), cg_maxiter)
        cg_iterations.append(solution.iterations)
        trace.extra["cg_iterations"] = np.array(cg_iterations)
        x, f, g = _line_search_step(objective, x, f, g, solution.step, trace, c1)
        trace.record(x, f, g)
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)


def trust_region(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float,
                 initial_trust_radius: float, max_trust_radius: float, eta: float,
                 cg_maxiter: int | None) -> tuple[int, str]:
    r"""Trust-region Newton with Steihaug's conjugate gradients.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|\nabla f_k\|_\infty \le \text{gtol} \\
       &\quad p_k \approx \arg\min_{\|p\| \le \Delta_k} m_k(p) \text{ (Steihaug CG)},\quad
              \rho_k \leftarrow \frac{f(x_k) - f(x_k + p_k)}{m_k(0) - m_k(p_k)} \\
       &\quad \Delta_{k+1} \leftarrow \tfrac14 \Delta_k \text{ if } \rho_k < \tfrac14;\quad
              \min(2\Delta_k, \Delta_{max}) \text{ if } \rho_k > \tfrac34 \text{ and } \|p_k\| = \Delta_k;\quad
              \Delta_k \text{ otherwise} \\
       &\quad x_{k+1} \leftarrow x_k + p_k \text{ if } \rho_k > \eta \text{ else } x_k
       \end{aligned}

    Nocedal & Wright, *Numerical Optimization*, Algorithm 4.1.  A rejected step counts
    as an iteration (the iterate repeats in the history); the radii are in the
    result's ``trust_radii``.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    radius = initial_trust_radius
    radii = []
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        solution = truncated_cg(lambda v, x=x: objective.hvp(x, v), g, _forcing_tolerance(g), cg_maxiter, radius)
        p = solution.step
        predicted = -(float(g @ p) + 0.5 * float(p @ solution.hessian_step))
        f_trial = objective.value(x + p)
        actual = f - f_trial if math.isfinite(f_trial) else -math.inf
        ratio = actual / predicted if predicted > 0 else -math.inf
        if ratio < 0.25:
            radius = 0.25 * radius
        elif ratio > 0.75 and solution.reason in ("boundary", "negative curvature"):
            radius = min(2 * radius, max_trust_radius)
        if ratio > eta:
            x = x + p
            f, g = objective.value_and_grad(x)
        radii.append(radius)
        trace.extra["trust_radii"] = np.array(radii)
        trace.record(x, f, g)
        if radius < 1e-14 * max(1.0, float(np.linalg.norm(x))):
            return NO_PROGRESS, (f"the trust radius shrank to {radius:.3g} at iteration {trace.nit}: no step "
                                 f"decreases f (desired accuracy possibly lost to rounding)")
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)
