r"""Constrained minimization: Lagrange multipliers and the KKT conditions.

.. math::

    \min_x f(x) \quad\text{subject to}\quad h_i(x) = 0\ (i \in \mathcal E),\qquad c_j(x) \ge 0\ (j \in \mathcal I)

(constraints given as SciPy's dicts ``{"type": "eq" | "ineq", "fun": ...}``, ``"ineq"``
meaning :math:`\ge 0`).  With the Lagrangian
:math:`\mathcal L(x, \lambda, \mu) = f(x) - \lambda^\top h(x) - \mu^\top c(x)`, a regular
local minimizer :math:`x^\star` has multipliers with

.. math::
    \begin{aligned}
    &\nabla f(x^\star) = \textstyle\sum_i \lambda_i \nabla h_i(x^\star) + \sum_j \mu_j \nabla c_j(x^\star)
        && \text{(stationarity)} \\
    &h(x^\star) = 0,\ c(x^\star) \ge 0 && \text{(primal feasibility)} \\
    &\mu \ge 0 && \text{(dual feasibility)} \\
    &\mu_j c_j(x^\star) = 0 && \text{(complementary slackness)}
    \end{aligned}

(Karush–Kuhn–Tucker).  :math:`\lambda_i` is the rate at which the optimal value changes
when the constraint :math:`h_i = 0` is relaxed to :math:`h_i = \epsilon`.  Every method
returns the multipliers and these four residuals, so the theory can be seen to hold.

* ``kkt-newton`` — Newton's method on the stationarity and feasibility equations
  (equality constraints);
* ``augmented-lagrangian`` — minimize :math:`\mathcal L` plus a quadratic penalty,
  then update the multipliers; repeat (equalities and inequalities);
* ``sqp`` — sequential quadratic programming: each step solves the quadratic program
  of a quadratic model of :math:`\mathcal L` under linearized constraints
  (:func:`~chainrule.optim.solve_qp`), with an :math:`\ell_1` merit line search.

Derivatives (constraint Jacobians, the Hessian of the Lagrangian) come from autodiff.
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from ..autodiff import hessian, jacobian, no_grad
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import concatenate, reshape
from ..ops.piecewise import relu
from ..tensor import Tensor
from .line_search import backtracking
from .newton import cholesky_with_shift
from .objective import INFEASIBLE, MAX_ITERATIONS, NO_PROGRESS, SUCCESS, Objective, Stop, Trace
from .quadratic_program import solve_qp
from .quasi_newton import lbfgs

__all__ = ["Constraints", "kkt_residuals", "kkt_newton", "augmented_lagrangian", "sqp"]


class Constraints:
    r"""SciPy-style constraint dicts as two vector functions, :math:`h(x) = 0` and
    :math:`c(x) \ge 0`, with Jacobians and the Lagrangian's Hessian by autodiff.

    Each dict has ``"type"`` (``"eq"`` or ``"ineq"``), ``"fun"`` (a chainrule function of
    ``x``, returning a scalar or a tensor of constraint values) and optionally ``"args"``.
    """

    def __init__(self, constraints, x0: np.ndarray, shape: tuple, where: str = "minimize") -> None:
        if isinstance(constraints, dict):
            constraints = [constraints]
        self.shape, self.where = shape, where
        self.items: list[tuple[str, callable, tuple, int]] = []
        for k, spec in enumerate(constraints):
            if not isinstance(spec, dict):
                raise TypeError(f"{where}: constraint {k} must be a dict {{'type': 'eq'|'ineq', 'fun': f}}, got "
                                f"{type(spec).__name__}")
            unknown = sorted(set(spec) - {"type", "fun", "args"})
            if unknown:
                raise ValueError(f"{where}: constraint {k} has unknown key(s) {unknown}; valid keys: 'type', "
                                 f"'fun', 'args' (derivatives come from autodiff)")
            kind = spec.get("type")
            if kind not in ("eq", "ineq"):
                raise ValueError(f"{where}: constraint {k} has type {kind!r}; expected 'eq' (fun(x) = 0) or 'ineq' "
                                 f"(fun(x) ≥ 0)")
            fun = spec.get("fun")
            if not callable(fun):
                raise TypeError(f"{where}: constraint {k} needs a callable 'fun'")
            args = tuple(spec.get("args", ()))
            with no_grad():
                value = fun(Tensor(x0.reshape(shape)), *args)
            if not isinstance(value, Tensor):
                raise TypeError(f"{where}: constraint {k}'s fun must return a chainrule tensor, got "
                                f"{type(value).__name__}")
            self.items.append((kind, fun, args, value.size))
        self.eq = [item for item in self.items if item[0] == "eq"]
        self.ineq = [item for item in self.items if item[0] == "ineq"]
        self.n_eq = sum(item[3] for item in self.eq)
        self.n_ineq = sum(item[3] for item in self.ineq)

    def _stacked(self, items, z):
        """The values of ``items`` at the tensor ``z``, as one vector (a chainrule op)."""
        return concatenate([reshape(fun(z, *args), (-1,)) for _, fun, args, _ in items])

    def _tensor(self, x):
        return Tensor(np.array(x, dtype=np.float64).reshape(self.shape))

    def values(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(h(x), c(x))` as flat arrays."""
        t = self._tensor(x)
        with no_grad():
            h = self._stacked(self.eq, t).numpy() if self.eq else np.zeros(0)
            c = self._stacked(self.ineq, t).numpy() if self.ineq else np.zeros(0)
        return np.asarray(h, dtype=np.float64), np.asarray(c, dtype=np.float64)

    def jacobians(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""The Jacobians :math:`\partial h / \partial x` and :math:`\partial c / \partial x` (rows:
        constraints), by reverse mode."""
        t, n = self._tensor(x), x.size
        jh = (np.asarray(jacobian(lambda z: self._stacked(self.eq, z), mode="rev")(t).numpy()).reshape(-1, n)
              if self.eq else np.zeros((0, n)))
        jc = (np.asarray(jacobian(lambda z: self._stacked(self.ineq, z), mode="rev")(t).numpy()).reshape(-1, n)
              if self.ineq else np.zeros((0, n)))
        return jh, jc

    def lagrangian_hessian(self, objective: Objective, x: np.ndarray, eq_multipliers: np.ndarray,
                           ineq_multipliers: np.ndarray) -> np.ndarray:
        r""":math:`\nabla^2_{xx} \mathcal L = \nabla^2 f - \sum \lambda_i \nabla^2 h_i - \sum \mu_j \nabla^2 c_j`."""
        lam, mu = Tensor(eq_multipliers), Tensor(ineq_multipliers)

        def lagrangian(z):
            value = objective.scalar(z)
            if self.eq:
                value = value - reduce_sum(lam * self._stacked(self.eq, z))
            if self.ineq:
                value = value - reduce_sum(mu * self._stacked(self.ineq, z))
            return value

        objective.nhev += 1
        n = x.size
        h = hessian(lagrangian)(self._tensor(x))
        return np.asarray(h.numpy(), dtype=np.float64).reshape(n, n)

    def per_constraint(self, eq_values: np.ndarray, ineq_values: np.ndarray) -> list[np.ndarray]:
        """Split stacked multipliers back into one array per constraint, in the user's order."""
        out, e, i = [], 0, 0
        for kind, _, _, size in self.items:
            if kind == "eq":
                out.append(eq_values[e:e + size].copy())
                e += size
            else:
                out.append(ineq_values[i:i + size].copy())
                i += size
        return out


def kkt_residuals(gradient, h, jac_h, c, jac_c, eq_multipliers, ineq_multipliers) -> dict[str, float]:
    r"""The four KKT residuals (infinity norms; 0 at a KKT point).

    ``stationarity`` :math:`\|\nabla f - J_h^\top \lambda - J_c^\top \mu\|_\infty`,
    ``primal_feasibility`` :math:`\max(\|h\|_\infty, \max_j (-c_j)^+)`,
    ``dual_feasibility`` :math:`\max_j (-\mu_j)^+`,
    ``complementary_slackness`` :math:`\max_j |\mu_j c_j|`.
    """
    lagrangian_gradient = gradient - jac_h.T @ eq_multipliers - jac_c.T @ ineq_multipliers
    return {
        "stationarity": float(np.max(np.abs(lagrangian_gradient), initial=0.0)),
        "primal_feasibility": max(float(np.max(np.abs(h), initial=0.0)), float(np.max(-c, initial=0.0))),
        "dual_feasibility": float(np.max(-ineq_multipliers, initial=0.0)) + 0.0,     # + 0.0: no "-0.0"
        "complementary_slackness": float(np.max(np.abs(ineq_multipliers * c), initial=0.0)),
    }


def _finish(trace: Trace, constraints: Constraints, objective: Objective, x, lam, mu) -> dict[str, float]:
    """Store the multipliers and the KKT residuals at ``x`` in the result; return the residuals."""
    g = objective.gradient(x)
    h, c = constraints.values(x)
    jh, jc = constraints.jacobians(x)
    residuals = kkt_residuals(g, h, jh, c, jc, lam, mu)
    trace.extra["multipliers"] = constraints.per_constraint(lam, mu)
    trace.extra["kkt"] = residuals
    return residuals


def _kkt_message(residuals: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.2g}" for name, value in residuals.items())


def kkt_newton(objective: Objective, constraints: Constraints, x0: np.ndarray, trace: Trace, *, maxiter: int,
               tol: float, c1: float) -> tuple[int, str]:
    r"""Newton's method on the Lagrange conditions of an equality-constrained problem.

    .. math::
       F(x, \lambda) = \begin{pmatrix} \nabla f(x) - J(x)^\top \lambda \\ h(x) \end{pmatrix} = 0,
       \qquad
       \begin{pmatrix} \nabla^2_{xx}\mathcal L & -J^\top \\ J & 0 \end{pmatrix}
       \begin{pmatrix} \Delta x \\ \Delta\lambda \end{pmatrix} = -F(x, \lambda)

    (:math:`J = \partial h/\partial x`), with a backtracking line search on the merit
    :math:`\tfrac12\|F\|^2`, along which the Newton direction descends at the rate
    :math:`-\|F\|^2`.  The first multipliers are the least-squares solution of
    :math:`J^\top \lambda = \nabla f`.  A quadratic objective with linear constraints is
    solved in one step.  Like any Newton method on :math:`F = 0`, it converges to the
    stationary point nearest in its basin — a minimizer, a maximizer or a saddle of
    :math:`f` on the constraint set — so check the result.
    """
    n = x0.size
    x = x0.copy()

    def residual(x, lam):
        f, g = objective.value_and_grad(x)
        h, _ = constraints.values(x)
        jh, _ = constraints.jacobians(x)
        return f, g, h, jh, np.concatenate([g - jh.T @ lam, h])

    f, g = objective.value_and_grad(x)
    h, _ = constraints.values(x)
    jh, _ = constraints.jacobians(x)
    lam = np.linalg.lstsq(jh.T, g, rcond=None)[0]
    trace.start(x, f, g)
    F = np.concatenate([g - jh.T @ lam, h])
    empty = np.zeros(0)
    while trace.nit < maxiter:
        if np.max(np.abs(F), initial=0.0) <= tol:
            residuals = _finish(trace, constraints, objective, x, lam, empty)
            return SUCCESS, f"Optimization terminated successfully: KKT residuals {_kkt_message(residuals)}"
        w = constraints.lagrangian_hessian(objective, x, lam, empty)
        m = jh.shape[0]
        kkt_matrix = np.block([[w, -jh.T], [jh, np.zeros((m, m))]])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                step = scipy.linalg.solve(kkt_matrix, -F)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning):
            _finish(trace, constraints, objective, x, lam, empty)
            raise Stop(NO_PROGRESS, f"the KKT matrix is singular at iteration {trace.nit + 1}: the constraint "
                                    f"gradients are linearly dependent, or the Hessian of the Lagrangian is "
                                    f"singular on their null space") from None
        dx, dlam = step[:n], step[n:]
        merit = 0.5 * float(F @ F)

        def merit_along(t):
            return 0.5 * float(np.sum(residual(x + t * dx, lam + t * dlam)[4] ** 2))

        search = backtracking(merit_along, merit, -2 * merit, 1.0, c1=c1)
        if not search.success:
            _finish(trace, constraints, objective, x, lam, empty)
            raise Stop(NO_PROGRESS, f"the line search on ½‖F‖² found no step at iteration {trace.nit + 1} "
                                    f"(desired accuracy possibly lost to rounding)")
        x, lam = x + search.step * dx, lam + search.step * dlam
        f, g, h, jh, F = residual(x, lam)
        trace.record(x, f, g)
    residuals = _finish(trace, constraints, objective, x, lam, empty)
    if max(residuals.values()) <= tol:
        return SUCCESS, f"Optimization terminated successfully: KKT residuals {_kkt_message(residuals)}"
    return MAX_ITERATIONS, f"Maximum number of iterations ({maxiter}) reached: KKT residuals {_kkt_message(residuals)}"


def augmented_lagrangian(objective: Objective, constraints: Constraints, x0: np.ndarray, trace: Trace, *,
                         maxiter: int, tol: float, inner_maxiter: int, penalty: float, penalty_growth: float,
                         max_penalty: float) -> tuple[int, str]:
    r"""The method of multipliers (augmented Lagrangian), for equalities and inequalities.

    .. math::
       \begin{aligned}
       &\mathcal L_A(x; \lambda, \mu, \rho) = f(x) - \lambda^\top h(x) + \tfrac{\rho}{2}\|h(x)\|^2
         + \tfrac{1}{2\rho} \textstyle\sum_j \big( \max(0, \mu_j - \rho c_j(x))^2 - \mu_j^2 \big) \\
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad x_{k+1} \leftarrow \arg\min_x \mathcal L_A(x; \lambda_k, \mu_k, \rho_k)
              \text{ (L-BFGS from } x_k \text{, to } \|\nabla \mathcal L_A\|_\infty \le \omega_k) \\
       &\quad \lambda_{k+1} \leftarrow \lambda_k - \rho_k h(x_{k+1}),\quad
              \mu_{k+1} \leftarrow \max(0, \mu_k - \rho_k c(x_{k+1})) \\
       &\quad \textbf{stop if } \text{the KKT residuals are} \le \text{tol} \\
       &\quad \rho_{k+1} \leftarrow \gamma \rho_k \text{ if the violation did not fall below } \tfrac14 \text{ of the last}
       \end{aligned}

    At the inner minimizer :math:`\nabla_x \mathcal L_A = \nabla f - J_h^\top \lambda_{k+1} -
    J_c^\top \mu_{k+1}`, so the multiplier update is exactly what makes stationarity hold;
    unlike a pure penalty, :math:`\rho` need not grow without bound.  The inequality term
    is the squared-slack elimination of Rockafellar (Nocedal & Wright, *Numerical
    Optimization*, §17.3–17.4); it is continuously differentiable, as L-BFGS needs.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    lam, mu, rho = np.zeros(constraints.n_eq), np.zeros(constraints.n_ineq), float(penalty)
    h, c = constraints.values(x)
    violation = max(float(np.max(np.abs(h), initial=0.0)), float(np.max(-c, initial=0.0)))
    residuals = None
    for outer in range(maxiter):
        lam_t, mu_t, rho_now = Tensor(lam.copy()), Tensor(mu.copy()), rho

        def augmented(z, lam_t=lam_t, mu_t=mu_t, rho=rho_now):
            value = objective.scalar(z)
            if constraints.eq:
                hz = constraints._stacked(constraints.eq, z)
                value = value - reduce_sum(lam_t * hz) + (rho / 2) * reduce_sum(hz * hz)
            if constraints.ineq:
                shifted = relu(mu_t - rho * constraints._stacked(constraints.ineq, z))
                value = value + reduce_sum(shifted * shifted - mu_t * mu_t) / (2 * rho)
            return value

        inner = Objective(augmented, objective.shape, where=objective.where)
        inner_trace = Trace(inner)
        inner_tolerance = max(0.5 * tol, 0.1 ** (outer + 1))
        try:
            inner_status, _ = lbfgs(inner, x, inner_trace, maxiter=inner_maxiter, gtol=inner_tolerance, c1=1e-4,
                                    c2=0.9, history_size=10)
        except Stop as stop:
            raise Stop(stop.status, f"in the minimization of the augmented Lagrangian (outer iteration "
                                    f"{outer + 1}): {stop.message}") from None
        finally:
            objective.nfev += inner.nfev
            objective.njev += inner.njev
        x = inner_trace.x
        h, c = constraints.values(x)
        lam = lam - rho * h
        mu = np.maximum(0.0, mu - rho * c)
        f, g = objective.value_and_grad(x)
        trace.record(x, f, g)
        residuals = _finish(trace, constraints, objective, x, lam, mu)
        if max(residuals.values()) <= tol:
            trace.extra["penalty"] = rho
            return SUCCESS, f"Optimization terminated successfully: KKT residuals {_kkt_message(residuals)}"
        new_violation = residuals["primal_feasibility"]
        # Feasibility lagging: weigh it more; but not when the inner solve ran into rounding
        # (a larger penalty would only make the inner problem worse conditioned).
        if new_violation > max(0.25 * violation, tol) and inner_status != NO_PROGRESS:
            rho = min(rho * penalty_growth, max_penalty)
        violation = new_violation
    trace.extra["penalty"] = rho
    if residuals is None:
        residuals = _finish(trace, constraints, objective, x, lam, mu)
    return MAX_ITERATIONS, (f"Maximum number of outer iterations ({maxiter}) reached: KKT residuals "
                            f"{_kkt_message(residuals)}")


def sqp(objective: Objective, constraints: Constraints, x0: np.ndarray, trace: Trace, *, maxiter: int, tol: float,
        c1: float) -> tuple[int, str]:
    r"""Sequential quadratic programming with an :math:`\ell_1` merit line search.

    .. math::
       \begin{aligned}
       &\textbf{for } k = 0, 1, \ldots \textbf{ do} \\
       &\quad \textbf{stop if } \text{the KKT residuals at } (x_k, \lambda_k, \mu_k) \text{ are} \le \text{tol} \\
       &\quad B_k \leftarrow \nabla^2_{xx}\mathcal L(x_k, \lambda_k, \mu_k) + \tau_k I
              \text{ (the smallest shift making it positive definite)} \\
       &\quad (p_k, \hat\lambda, \hat\mu) \leftarrow \arg\min_p \tfrac12 p^\top B_k p + \nabla f_k^\top p
              \ \text{s.t.}\ h_k + J_{h,k}\, p = 0,\ c_k + J_{c,k}\, p \ge 0 \\
       &\quad \nu \leftarrow \max(\nu, 1.1\, \|(\hat\lambda, \hat\mu)\|_\infty),\quad
              \phi(x) = f(x) + \nu (\|h(x)\|_1 + \|c(x)^-\|_1) \\
       &\quad \alpha_k \leftarrow \text{backtracking until }
              \phi(x_k + \alpha p_k) \le \phi(x_k) + c_1 \alpha D,\quad
              D = \nabla f_k^\top p_k - \nu(\|h_k\|_1 + \|c_k^-\|_1) \\
       &\quad x_{k+1} \leftarrow x_k + \alpha_k p_k,\quad
              (\lambda, \mu)_{k+1} \leftarrow (\lambda, \mu)_k + \alpha_k ((\hat\lambda, \hat\mu) - (\lambda, \mu)_k)
       \end{aligned}

    The QP's multipliers estimate the problem's (the QP's KKT conditions are the
    linearization of the problem's).  With the exact Hessian of the Lagrangian and unit
    steps near the solution, convergence is quadratic; a quadratic program is solved in
    one step.  Nocedal & Wright, *Numerical Optimization*, Algorithm 18.3.
    """
    x = x0.copy()
    f, g = objective.value_and_grad(x)
    trace.start(x, f, g)
    lam, mu = np.zeros(constraints.n_eq), np.zeros(constraints.n_ineq)
    penalty = 0.0

    def infeasibility(h, c):
        return float(np.sum(np.abs(h)) + np.sum(np.maximum(0.0, -c)))

    while True:
        h, c = constraints.values(x)
        jh, jc = constraints.jacobians(x)
        residuals = kkt_residuals(g, h, jh, c, jc, lam, mu)
        trace.extra["multipliers"] = constraints.per_constraint(lam, mu)
        trace.extra["kkt"] = residuals
        if max(residuals.values()) <= tol:
            return SUCCESS, f"Optimization terminated successfully: KKT residuals {_kkt_message(residuals)}"
        if trace.nit >= maxiter:
            return MAX_ITERATIONS, (f"Maximum number of iterations ({maxiter}) reached: KKT residuals "
                                    f"{_kkt_message(residuals)}")
        w = constraints.lagrangian_hessian(objective, x, lam, mu)
        if not np.all(np.isfinite(w)):
            raise Stop(NO_PROGRESS, f"the Hessian of the Lagrangian is not finite at iteration {trace.nit + 1}")
        _, shift = cholesky_with_shift(w)
        qp = solve_qp(0.5 * (w + w.T) + shift * np.eye(x.size), g, jh, -h, jc, -c)
        if not qp.success:
            raise Stop(INFEASIBLE, f"the linearized constraints are inconsistent at iteration {trace.nit + 1} "
                                   f"({qp.message}); try another starting point")
        p = qp.x
        penalty = max(penalty, 1.1 * float(np.max(np.abs(np.concatenate([qp.eq_multipliers, qp.ineq_multipliers])),
                                                  initial=0.0)) + 1e-8)
        merit = f + penalty * infeasibility(h, c)
        slope = float(g @ p) - penalty * infeasibility(h, c)

        def merit_along(t):
            x_t = x + t * p
            h_t, c_t = constraints.values(x_t)
            return objective.value(x_t) + penalty * infeasibility(h_t, c_t)

        if np.linalg.norm(p) <= 1e-15 * max(1.0, float(np.linalg.norm(x))) or slope >= 0:
            step = 1.0                           # x is (numerically) optimal; only the multipliers move
        else:
            search = backtracking(merit_along, merit, slope, 1.0, c1=c1)
            if not search.success:
                raise Stop(NO_PROGRESS, f"the ℓ1 merit line search found no step at iteration {trace.nit + 1} "
                                        f"(desired accuracy possibly lost to rounding)")
            step = search.step
        x = x + step * p
        lam = lam + step * (qp.eq_multipliers - lam)
        mu = mu + step * (qp.ineq_multipliers - mu)
        f, g = objective.value_and_grad(x)
        trace.record(x, f, g)
