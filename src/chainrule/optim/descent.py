r"""First-order methods of :func:`~chainrule.optim.minimize`: they use only :math:`\nabla f`.

* ``gd`` — steepest descent :math:`x_{k+1} = x_k - t_k \nabla f(x_k)` with the step
  :math:`t_k` found by backtracking until the Armijo condition holds.  On a strongly
  convex function with condition number :math:`\kappa` the error shrinks linearly, by
  about :math:`(\kappa - 1)/(\kappa + 1)` per step.
* ``momentum`` — Polyak's heavy ball, ``nesterov`` — Nesterov's accelerated gradient,
  ``adam`` — Adam: fixed learning rates, run by the training optimizers
  (:class:`~chainrule.optim.SGD`, :class:`~chainrule.optim.Adam`) on a tensor holding
  :math:`x`, so each algorithm has one implementation.

All stop when :math:`\|\nabla f(x_k)\|_\infty \le \text{gtol}` or after ``maxiter``
iterations.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .adam import Adam
from .line_search import backtracking
from .objective import (MAX_ITERATIONS, NO_PROGRESS, SUCCESS, Objective, Trace, gradient_converged,
                        max_iterations_message, success_message)
from .sgd import SGD

__all__ = ["gradient_descent", "optimizer_descent"]


def gradient_descent(objective: Objective, x0: np.ndarray, trace: Trace, *, maxiter: int, gtol: float,
                     lr: float, c1: float, shrink: float) -> tuple[int, str]:
    r"""Steepest descent with a backtracking (Armijo) line search.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \|\nabla f(x_k)\|_\infty \le \text{gtol} \\
       &\quad t \leftarrow 2 t_{k-1} \ (t_0 = \text{lr});\quad
              \textbf{while } f(x_k - t \nabla f_k) > f(x_k) - c_1 t \|\nabla f_k\|^2:\ t \leftarrow \rho t \\
       &\quad x_{k+1} \leftarrow x_k - t \nabla f(x_k)
       \end{aligned}

    Each search starts from twice the last accepted step, so the step can grow back
    after a region of high curvature.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    step = lr / 2
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        search = backtracking(lambda t: objective.value(x - t * g), f, -float(np.dot(g, g)), 2 * step,
                              c1=c1, shrink=shrink)
        if not search.success:
            return NO_PROGRESS, (f"the line search found no step satisfying the Armijo condition at iteration "
                                 f"{trace.nit + 1} (desired accuracy possibly lost to rounding)")
        step = search.step
        x = x - step * g
        f, g = objective.value_and_grad(x)
        trace.record(x, f, g)
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)


def optimizer_descent(objective: Objective, x0: np.ndarray, trace: Trace, *, kind: str, maxiter: int,
                      gtol: float, **options) -> tuple[int, str]:
    r"""Fixed-learning-rate descent by a training optimizer: ``kind`` is ``"momentum"``
    (heavy ball, :class:`~chainrule.optim.SGD` with ``momentum``), ``"nesterov"``
    (:class:`~chainrule.optim.SGD` with ``nesterov=True``) or ``"adam"``
    (:class:`~chainrule.optim.Adam`).

    The iterate lives in a tensor ``p``; each iteration sets ``p.grad`` to
    :math:`\nabla f(p)` and calls ``optimizer.step()``, whose docstring states the update.
    """
    param = Tensor(x0.copy(), requires_grad=True)
    if kind == "adam":
        optimizer = Adam([param], lr=options["lr"], betas=options["betas"], eps=options["eps"],
                         amsgrad=options["amsgrad"])
    else:
        optimizer = SGD([param], lr=options["lr"], momentum=options["momentum"], nesterov=kind == "nesterov")
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    while trace.nit < maxiter:
        if gradient_converged(g, gtol):
            return SUCCESS, success_message(g, gtol)
        param.grad = Tensor(g.copy())
        optimizer.step()
        x = param.data.copy()
        f, g = objective.value_and_grad(x)
        trace.record(x, f, g)
    if gradient_converged(g, gtol):
        return SUCCESS, success_message(g, gtol)
    return MAX_ITERATIONS, max_iterations_message(maxiter)
