r"""Quasi-Newton methods of :func:`~chainrule.optim.minimize`: ``bfgs`` and ``lbfgs``.

Instead of the Hessian, they learn an approximation of its inverse from the gradients
seen so far.  Each step :math:`s_k = x_{k+1} - x_k` and gradient change
:math:`y_k = \nabla f_{k+1} - \nabla f_k` tell the curvature along :math:`s_k`
(:math:`y_k \approx \nabla^2 f\, s_k`), and the BFGS update is the symmetric matrix
closest to the last one that satisfies the secant equation :math:`H_{k+1} y_k = s_k`:

.. math:: H_{k+1} = (I - \rho_k s_k y_k^\top) H_k (I - \rho_k y_k s_k^\top) + \rho_k s_k s_k^\top,
          \qquad \rho_k = 1 / y_k^\top s_k.

It stays positive definite when :math:`y_k^\top s_k > 0`, which the strong Wolfe line
search guarantees.  Convergence is superlinear:
:math:`\|x_{k+1} - x^\star\| / \|x_k - x^\star\| \to 0` (Dennis–Moré).  L-BFGS keeps only
the last :math:`m` pairs (:func:`~chainrule.optim.lbfgs.two_loop_direction`).

With ``bounds`` :math:`l \le x \le u`, ``lbfgs`` becomes a projected quasi-Newton method
in the spirit of L-BFGS-B: variables at a bound with the gradient pushing outward are
held fixed, the quasi-Newton direction is taken in the others, and the line search
follows the projected path :math:`P(x + t d)`, :math:`P(z) = \min(\max(z, l), u)`.
"""
from __future__ import annotations

import numpy as np

from .lbfgs import two_loop_direction
from .line_search import backtracking, strong_wolfe
from .objective import (MAX_ITERATIONS, NO_PROGRESS, SUCCESS, Objective, Trace, gradient_converged,
                        max_iterations_message, success_message)

__all__ = ["bfgs", "lbfgs", "projected_gradient"]


def _first_step(gradient: np.ndarray) -> float:
    r"""The first trial step, :math:`\min(1, 1/\|g\|_1)`: a unit step along :math:`-g` could
    be far too long before any curvature is known."""
    return min(1.0, 1.0 / max(float(np.sum(np.abs(gradient))), 1e-300))


def _wolfe_step(objective: Objective, x, f, g, direction, step, c1, c2):
    """The strong Wolfe line search from ``x`` along ``direction``, first trying ``step``."""
    return strong_wolfe(lambda t: objective.value_and_grad(x + t * direction), step, direction, f, g,
                        float(g @ direction), c1=c1, c2=c2, tolerance_change=1e-12 * max(1.0, float(np.max(np.abs(x)))),
                        rounding=4 * np.finfo(np.float64).eps * abs(f))


def _no_progress(trace: Trace) -> tuple[int, str]:
    return NO_PROGRESS, (f"the line search found no step that decreases f at iteration {trace.nit + 1} "
                         f"(desired accuracy possibly lost to rounding)")


def bfgs(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float, c1: float,
         c2: float) -> tuple[int, str]:
    r"""BFGS with a dense inverse-Hessian approximation and a strong Wolfe line search.

    .. math::
       \begin{aligned}
       &H_0 \leftarrow I \\
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|\nabla f_k\|_\infty \le \text{gtol} \\
       &\quad d_k \leftarrow -H_k \nabla f_k;\quad t_k \leftarrow \text{strong Wolfe search};\quad
              s_k \leftarrow t_k d_k,\ y_k \leftarrow \nabla f_{k+1} - \nabla f_k \\
       &\quad \textbf{if } k = 0:\ H_0 \leftarrow \frac{y_0^\top s_0}{y_0^\top y_0} I
              \text{ (scale before the first update)} \\
       &\quad H_{k+1} \leftarrow (I - \rho_k s_k y_k^\top) H_k (I - \rho_k y_k s_k^\top) + \rho_k s_k s_k^\top
       \end{aligned}

    Nocedal & Wright, *Numerical Optimization*, Algorithm 6.1 and eq. (6.20).
    """
    x = x0.copy()
    n = x.size
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    inverse_hessian = np.eye(n)
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        direction = -inverse_hessian @ g
        if float(g @ direction) >= 0:            # lost positive definiteness to rounding: restart
            inverse_hessian = np.eye(n)
            direction = -g
        first = trace.nit == 0
        search = _wolfe_step(objective, x, f, g, direction, _first_step(g) if first else 1.0, c1, c2)
        if search.step == 0 or not search.value <= f + 4 * np.finfo(np.float64).eps * abs(f):
            return _no_progress(trace)
        s = search.step * direction
        y = search.gradient - g
        ys = float(y @ s)
        if ys > 1e-12 * float(np.linalg.norm(y)) * float(np.linalg.norm(s)):
            if first:
                inverse_hessian = np.eye(n) * (ys / float(y @ y))
            rho = 1.0 / ys
            hy = inverse_hessian @ y
            # (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ, expanded so that it costs O(n²)
            inverse_hessian = (inverse_hessian - rho * (np.outer(s, hy) + np.outer(hy, s))
                               + (rho * rho * float(y @ hy) + rho) * np.outer(s, s))
        x = x + s
        f, g = search.value, search.gradient
        trace.record(x, f, g)
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)


def _free_direction(g: np.ndarray, free: np.ndarray, steps, changes) -> np.ndarray:
    r"""The L-BFGS direction in the free variables only: the memory pairs restricted to
    them (:math:`s_{\mathcal F}, y_{\mathcal F}`; a gradient change in a fixed variable says
    nothing about the curvature among the free ones), pairs without positive curvature
    there left out."""
    kept_steps, kept_changes, inverse_curvatures = [], [], []
    for s, y in zip(steps, changes):
        s_free, y_free = s * free, y * free
        ys = float(y_free @ s_free)
        if ys > 1e-10 * float(np.linalg.norm(y_free)) * float(np.linalg.norm(s_free)):
            kept_steps.append(s_free)
            kept_changes.append(y_free)
            inverse_curvatures.append(1.0 / ys)
    scale = 1.0 / (inverse_curvatures[-1] * float(kept_changes[-1] @ kept_changes[-1])) if kept_steps else 1.0
    return two_loop_direction(g * free, kept_steps, kept_changes, inverse_curvatures, scale) * free


def projected_gradient(x: np.ndarray, g: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    r""":math:`P(x - \nabla f) - x`: zero exactly at the points satisfying the KKT
    conditions of :math:`\min f` on the box :math:`l \le x \le u`."""
    return np.clip(x - g, lower, upper) - x


def lbfgs(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float, c1: float, c2: float,
          history_size: int, bounds: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[int, str]:
    r"""L-BFGS with a strong Wolfe line search; with ``bounds``, projected L-BFGS.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|P(x_k - \nabla f_k) - x_k\|_\infty \le \text{gtol} \\
       &\quad \mathcal{F} \leftarrow \{i : \neg(x_i = l_i \wedge \partial_i f > 0) \wedge \neg(x_i = u_i \wedge \partial_i f < 0)\}
              \text{ (the free variables)} \\
       &\quad d_k \leftarrow -(H_k\, \nabla f_k|_{\mathcal F})|_{\mathcal F}
              \text{ (two-loop recursion over the last } m \text{ pairs)} \\
       &\quad \text{unbounded: } t_k \leftarrow \text{strong Wolfe search},\ x_{k+1} \leftarrow x_k + t_k d_k \\
       &\quad \text{bounded: } t_k \leftarrow \text{backtracking until }
              f(P(x_k + t d_k)) \le f_k + c_1 \nabla f_k^\top (P(x_k + t d_k) - x_k),\
              x_{k+1} \leftarrow P(x_k + t_k d_k) \\
       &\quad \text{store } (s_k, y_k) \text{ if } y_k^\top s_k > 0
       \end{aligned}

    Restricting to the free variables keeps :math:`d_k` a descent direction (a principal
    submatrix of a positive-definite :math:`H_k` is positive definite); a point where the
    projected gradient vanishes satisfies the KKT conditions of the box.  Nocedal & Wright,
    *Numerical Optimization*, Algorithm 7.5; Byrd, Lu, Nocedal, Zhu, "A limited memory
    algorithm for bound constrained optimization", SIAM J. Sci. Comput. 16, 1995.
    """
    lower, upper = bounds if bounds is not None else (None, None)
    x = x0.copy() if bounds is None else np.clip(x0, lower, upper)
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    steps, changes, inverse_curvatures, scale = [], [], [], 1.0

    def optimality(x, g):
        return g if bounds is None else projected_gradient(x, g, lower, upper)

    measure = "‖∇f‖∞" if bounds is None else "‖P(x − ∇f) − x‖∞"
    while trace.nit < maxiter:
        if gradient_converged(optimality(x, g), gtol):
            return SUCCESS, success_message(optimality(x, g), gtol, measure)
        if bounds is None:
            free = None
            direction = two_loop_direction(g, steps, changes, inverse_curvatures, scale)
        else:
            free = ~(((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0)))
            direction = _free_direction(g, free, steps, changes)
        slope = float(g @ direction)
        if slope >= 0:                           # not a descent direction: forget the memory
            steps, changes, inverse_curvatures, scale = [], [], [], 1.0
            direction = -g if free is None else -g * free
            slope = float(g @ direction)
        first_step = _first_step(g) if trace.nit == 0 else 1.0
        if bounds is None:
            search = _wolfe_step(objective, x, f, g, direction, first_step, c1, c2)
            if search.step == 0 or not search.value <= f + 4 * np.finfo(np.float64).eps * abs(f):
                return _no_progress(trace)
            x_next, f_next, g_next = x + search.step * direction, search.value, search.gradient
        else:
            def along(t, x=x, direction=direction):
                return objective.value(np.clip(x + t * direction, lower, upper))

            search = backtracking(along, f, slope, first_step, c1=c1,
                                  model_decrease=lambda t, x=x, d=direction: float(g @ (np.clip(x + t * d, lower,
                                                                                                upper) - x)))
            x_next = np.clip(x + search.step * direction, lower, upper)
            if not search.success or np.array_equal(x_next, x):
                return _no_progress(trace)
            f_next, g_next = objective.value_and_grad(x_next)
        s, y = x_next - x, g_next - g
        ys = float(y @ s)
        if ys > 1e-10 * float(np.linalg.norm(y)) * float(np.linalg.norm(s)):
            if len(steps) == history_size:
                steps.pop(0), changes.pop(0), inverse_curvatures.pop(0)
            steps.append(s)
            changes.append(y)
            inverse_curvatures.append(1.0 / ys)
            scale = ys / float(y @ y)
        x, f, g = x_next, f_next, g_next
        trace.record(x, f, g)
    if gradient_converged(optimality(x, g), gtol):
        return SUCCESS, success_message(optimality(x, g), gtol, measure)
    return MAX_ITERATIONS, max_iterations_message(maxiter)
