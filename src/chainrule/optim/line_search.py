r"""Line searches: how far to go along a descent direction.

Given a point :math:`x`, a direction :math:`d` with :math:`\nabla f(x)^\top d < 0` and
:math:`\phi(t) = f(x + t d)`, a step :math:`t > 0` is acceptable when

.. math::

    \text{(Armijo, sufficient decrease)}\quad & \phi(t) \le \phi(0) + c_1 t\, \phi'(0) \\
    \text{(strong Wolfe, curvature)}\quad & |\phi'(t)| \le c_2 |\phi'(0)|

with :math:`0 < c_1 < c_2 < 1`.  Armijo alone rules out steps too long to decrease
:math:`f` enough; backtracking (:math:`t = t_0, \rho t_0, \rho^2 t_0, \ldots`) also rules
out steps too short, since it only shrinks a step that failed.  Quasi-Newton updates
need the curvature condition as well: it implies :math:`s^\top y > 0` for
:math:`s = t d`, :math:`y = \nabla f(x + s) - \nabla f(x)`, which keeps the BFGS matrix
positive definite.  Both searches here are shared by every method that needs one
(``minimize``'s methods and :class:`~chainrule.optim.LBFGS`).

A trial point where :math:`f` or its gradient is NaN or infinite is treated as a step
too long (the search shrinks it), so that a method can back away from the edge of a
function's domain.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

__all__ = ["backtracking", "strong_wolfe", "LineSearchResult"]


class LineSearchResult(NamedTuple):
    """The accepted step ``step``, :math:`f` there (``value``) and, from a search that
    computes it, the gradient there (``gradient``); ``evaluations`` counts calls;
    ``success`` says whether the conditions were met."""

    step: float
    value: float
    gradient: np.ndarray | None
    evaluations: int
    success: bool


def backtracking(evaluate: Callable[[float], float], value: float, slope: float, step: float = 1.0, *,
                 c1: float = 1e-4, shrink: float = 0.5, max_evaluations: int = 60,
                 model_decrease: Callable[[float], float] | None = None) -> LineSearchResult:
    r"""Backtracking until the Armijo condition holds.

    Tries :math:`t = t_0, \rho t_0, \rho^2 t_0, \ldots` and accepts the first with

    .. math:: \phi(t) \le \phi(0) + c_1\, t\, \phi'(0) + \varepsilon_f,
              \qquad \varepsilon_f = 4\,\epsilon_{mach} |\phi(0)|.

    :math:`\varepsilon_f` is the rounding error of :math:`f`: near a minimizer the decrease
    a step promises falls below what floating point can resolve, and an exact Armijo
    test would reject every step (the "approximate Wolfe" idea of Hager & Zhang, 2005).

    Parameters
    ----------
    evaluate : callable
        :math:`t \mapsto \phi(t)`.
    value, slope : float
        :math:`\phi(0)` and :math:`\phi'(0) < 0`.
    step : float
        The first trial :math:`t_0`.
    c1, shrink : float
        The sufficient-decrease constant and the factor :math:`\rho \in (0, 1)`.
    max_evaluations : int
        Give up (``success=False``) after this many trials.
    model_decrease : callable, optional
        :math:`t \mapsto` the predicted change replacing :math:`t\,\phi'(0)`: a projected
        search uses :math:`\nabla f^\top (P(x + t d) - x)`, a merit function its
        directional derivative.
    """
    t = step
    rounding = 4 * np.finfo(np.float64).eps * abs(value)
    for evaluations in range(1, max_evaluations + 1):
        trial = evaluate(t)
        predicted = model_decrease(t) if model_decrease is not None else t * slope
        if math.isfinite(trial) and trial <= value + c1 * predicted + rounding:
            return LineSearchResult(t, trial, None, evaluations, True)
        t *= shrink
    return LineSearchResult(0.0, value, None, max_evaluations, False)


def _cubic_minimizer(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    r"""The minimizer of the cubic through :math:`(x_1, f_1, g_1)` and :math:`(x_2, f_2, g_2)`
    (values and slopes), clipped to ``bounds`` (default: between the two points).

    .. math::

        d_1 = g_1 + g_2 - 3\frac{f_1 - f_2}{x_1 - x_2},\quad d_2 = \sqrt{d_1^2 - g_1 g_2},\quad
        x^\star = x_2 - (x_2 - x_1)\frac{g_2 + d_2 - d_1}{g_2 - g_1 + 2 d_2}

    When the cubic has no minimizer (:math:`d_1^2 < g_1 g_2`, or values are infinite),
    the midpoint (bisection).  Nocedal & Wright, *Numerical Optimization*, eq. (3.59).
    """
    # NumPy scalars, so that a zero denominator gives inf or nan (handled below), not an exception
    x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            if x1 <= x2:
                minimizer = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                minimizer = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        if math.isfinite(minimizer):
            return float(min(max(minimizer, low), high))
    return float((low + high) / 2.0)


def strong_wolfe(evaluate: Callable[[float], tuple[float, np.ndarray]], step: float, direction: np.ndarray,
                 value: float, gradient: np.ndarray, slope: float, *, c1: float = 1e-4, c2: float = 0.9,
                 tolerance_change: float = 1e-9, max_evaluations: int = 25,
                 rounding: float = 0.0) -> LineSearchResult:
    r"""A step satisfying the strong Wolfe conditions, by bracketing and cubic zoom.

    Nocedal & Wright's Algorithms 3.5 (bracketing: extrapolate until an interval is known
    to contain acceptable steps) and 3.6 (zoom: shrink it by safeguarded cubic
    interpolation), as ported to Torch by minFunc's author and used by
    ``torch.optim.LBFGS``; the iterates agree with PyTorch's step for step.

    Parameters
    ----------
    evaluate : callable
        :math:`t \mapsto (f(x + t d), \nabla f(x + t d))`, the gradient a flat array.
    step : float
        The first trial step.
    direction : ndarray
        :math:`d` (flat).
    value, gradient, slope
        :math:`f(x)`, :math:`\nabla f(x)` and :math:`\nabla f(x)^\top d < 0`.
    c1, c2 : float
        The Armijo and curvature constants.
    tolerance_change : float
        Stop zooming when the bracket, times :math:`\|d\|_\infty`, is shorter than this.
    max_evaluations : int
        The most evaluations of ``evaluate``.
    rounding : float
        A tolerance on the sufficient-decrease test, the rounding error of :math:`f`
        (as in :func:`backtracking`); 0, PyTorch's choice, by default.

    Returns
    -------
    LineSearchResult
        The best step found (the low end of the final bracket): ``success`` when it
        satisfies both conditions.
    """
    d_norm = float(np.max(np.abs(direction))) if direction.size else 0.0

    def trial(t):
        f_t, g_t = evaluate(t)
        slope_t = float(np.dot(g_t, direction))
        if not (math.isfinite(f_t) and math.isfinite(slope_t)):
            # outside the function's domain: as if infinitely high, which brackets the search
            return math.inf, g_t, math.inf
        return f_t, g_t, slope_t

    f_new, g_new, slope_new = trial(step)
    evaluations = 1
    t = step
    t_prev, f_prev, g_prev, slope_prev = 0.0, value, gradient, slope
    done = False
    iterations = 0
    # Bracketing: grow the step until [t_prev, t] must contain an acceptable step.
    while iterations < max_evaluations:
        if f_new > value + c1 * t * slope + rounding or (iterations > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_slope = [g_prev, g_new], [slope_prev, slope_new]
            break
        if abs(slope_new) <= -c2 * slope:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if slope_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_slope = [g_prev, g_new], [slope_prev, slope_new]
            break
        # extrapolate: the cubic's minimizer, between 1.01 t and 10 t
        t_next = _cubic_minimizer(t_prev, f_prev, slope_prev, t, f_new, slope_new,
                                  bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, slope_prev = t, f_new, g_new, slope_new
        t = t_next
        f_new, g_new, slope_new = trial(t)
        evaluations += 1
        iterations += 1
    if iterations == max_evaluations:
        bracket, bracket_f, bracket_g = [0.0, t], [value, f_new], [gradient, g_new]

    # Zoom: shrink the bracket around an acceptable step.
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and iterations < max_evaluations:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimizer(bracket[0], bracket_f[0], bracket_slope[0],
                             bracket[1], bracket_f[1], bracket_slope[1])
        # Safeguard: a trial too close to an end of the bracket makes little progress;
        # the second time in a row (or at an end), move it 10% of the bracket inwards.
        margin = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < margin:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - margin if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new, slope_new = trial(t)
        evaluations += 1
        iterations += 1
        if f_new > value + c1 * t * slope + rounding or f_new >= bracket_f[low] + rounding:
            # not enough decrease: the trial becomes the high end
            bracket[high], bracket_f[high], bracket_g[high], bracket_slope[high] = t, f_new, g_new, slope_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(slope_new) <= -c2 * slope:
                done = True
            elif slope_new * (bracket[high] - bracket[low]) >= 0:
                # the minimizer lies on the other side: the old low end becomes the high end
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_slope[high] = bracket_g[low], bracket_slope[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_slope[low] = t, f_new, g_new, slope_new

    t = bracket[low]
    return LineSearchResult(t, bracket_f[low], bracket_g[low], evaluations, done)
