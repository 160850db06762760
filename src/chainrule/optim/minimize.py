r"""``cr.optim.minimize``: minimize a function written with chainrule, SciPy-style.

.. code-block:: python

    import chainrule as cr
    rosen = lambda x: cr.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    result = cr.optim.minimize(rosen, [-1.2, 1.0], method="newton")
    result.x, result.fun, result.nit, result.history

The user writes only :math:`f`; gradients, Hessians and Hessian-vector products come
from automatic differentiation.  Methods:

==========================  ==================================================================
``gd``                      gradient descent, backtracking (Armijo) line search
``momentum``, ``nesterov``  heavy-ball and Nesterov momentum, fixed learning rate
``adam``                    Adam, fixed learning rate
``newton``                  Newton with the exact Hessian, Levenberg–Marquardt shift, line search
``newton-cg``               Hessian-free Newton: Hessian-vector products and conjugate gradients
``bfgs``                    BFGS, strong Wolfe line search
``lbfgs``                   L-BFGS; with ``bounds``, projected (L-BFGS-B style)
``trust-region``            trust-region Newton with Steihaug's CG
``kkt-newton``              Newton on the Lagrange conditions (equality constraints)
``augmented-lagrangian``    the method of multipliers (equalities and inequalities)
``sqp``                     sequential quadratic programming (equalities and inequalities)
==========================  ==================================================================

Each method's options and their defaults are in ``METHODS[name].options`` (for
example ``lr=1e-2`` for ``adam`` and ``history_size=10`` for ``lbfgs``).  Every method has
an iteration limit (``options={"maxiter": ...}``) and stops with
``success=False`` and a message naming the iteration when the objective or its
gradient becomes NaN or infinite.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, NamedTuple

import numpy as np

from ..tensor import Tensor
from .constrained import Constraints, augmented_lagrangian, kkt_newton, sqp
from .descent import gradient_descent, optimizer_descent
from .newton import newton, newton_cg, trust_region
from .objective import Objective, OptimizeResult, Stop, Trace
from .quasi_newton import bfgs, lbfgs

__all__ = ["minimize", "METHODS"]


class _Method(NamedTuple):
    run: Callable
    options: dict[str, Any]         # the options and their defaults
    constrained: bool = False       # takes constraints (and needs them)
    bounds: bool = False            # takes bounds


_FIRST_ORDER = {"maxiter": 10000, "gtol": 1e-5}
METHODS: dict[str, _Method] = {
    "gd": _Method(gradient_descent, {**_FIRST_ORDER, "lr": 1.0, "c1": 1e-4, "shrink": 0.5}),
    "momentum": _Method(lambda *a, **k: optimizer_descent(*a, kind="momentum", **k),
                        {**_FIRST_ORDER, "lr": 1e-3, "momentum": 0.9}),
    "nesterov": _Method(lambda *a, **k: optimizer_descent(*a, kind="nesterov", **k),
                        {**_FIRST_ORDER, "lr": 1e-3, "momentum": 0.9}),
    "adam": _Method(lambda *a, **k: optimizer_descent(*a, kind="adam", **k),
                    {**_FIRST_ORDER, "lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False}),
    "newton": _Method(newton, {"maxiter": 200, "gtol": 1e-5, "c1": 1e-4}),
    "newton-cg": _Method(newton_cg, {"maxiter": 500, "gtol": 1e-5, "c1": 1e-4, "cg_maxiter": None}),
    "bfgs": _Method(bfgs, {"maxiter": 1000, "gtol": 1e-5, "c1": 1e-4, "c2": 0.9}),
    "lbfgs": _Method(lbfgs, {"maxiter": 1000, "gtol": 1e-5, "c1": 1e-4, "c2": 0.9, "history_size": 10},
                     bounds=True),
    "trust-region": _Method(trust_region, {"maxiter": 1000, "gtol": 1e-5, "initial_trust_radius": 1.0,
                                           "max_trust_radius": 1000.0, "eta": 0.15, "cg_maxiter": None}),
    "kkt-newton": _Method(kkt_newton, {"maxiter": 100, "tol": 1e-8, "c1": 1e-4}, constrained=True),
    "augmented-lagrangian": _Method(augmented_lagrangian, {"maxiter": 50, "tol": 1e-6, "inner_maxiter": 1000,
                                                           "penalty": 10.0, "penalty_growth": 10.0,
                                                           "max_penalty": 1e10}, constrained=True),
    "sqp": _Method(sqp, {"maxiter": 200, "tol": 1e-8, "c1": 1e-4}, constrained=True),
}


# ----------------------------------------------------------------------------- option checks
def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)


_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "maxiter": (_positive_int, "a positive integer"),
    "inner_maxiter": (_positive_int, "a positive integer"),
    "history_size": (_positive_int, "a positive integer"),
    "cg_maxiter": (lambda v: v is None or _positive_int(v), "None or a positive integer"),
    "gtol": (lambda v: _real(v) and v > 0, "> 0"),
    "tol": (lambda v: _real(v) and v > 0, "> 0"),
    "lr": (lambda v: _real(v) and v > 0, "> 0"),
    "c1": (lambda v: _real(v) and 0 < v < 1, "in (0, 1)"),
    "c2": (lambda v: _real(v) and 0 < v < 1, "in (0, 1)"),
    "shrink": (lambda v: _real(v) and 0 < v < 1, "in (0, 1)"),
    "momentum": (lambda v: _real(v) and 0 <= v < 1, "in [0, 1)"),
    "betas": (lambda v: isinstance(v, (tuple, list)) and len(v) == 2 and all(_real(b) and 0 <= b < 1 for b in v),
              "a pair of numbers in [0, 1)"),
    "eps": (lambda v: _real(v) and v >= 0, "≥ 0"),
    "amsgrad": (lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
    "initial_trust_radius": (lambda v: _real(v) and v > 0, "> 0"),
    "max_trust_radius": (lambda v: _real(v) and v > 0, "> 0"),
    "eta": (lambda v: _real(v) and 0 <= v < 0.25, "in [0, 0.25)"),
    "penalty": (lambda v: _real(v) and v > 0, "> 0"),
    "penalty_growth": (lambda v: _real(v) and v > 1, "> 1"),
    "max_penalty": (lambda v: _real(v) and v > 0, "> 0"),
}


def _resolve_options(name: str, method: _Method, options: dict | None, tol: float | None) -> dict[str, Any]:
    where = f"minimize(method={name!r})"
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"{where}: options must be a dict, got {type(options).__name__}")
    given = dict(options or {})
    unknown = sorted(set(given) - set(method.options))
    if unknown:
        raise ValueError(f"{where}: unknown option {unknown[0]!r}; valid options: {', '.join(method.options)}")
    resolved = {**method.options, **given}
    if tol is not None:
        key = "tol" if "tol" in method.options else "gtol"
        if key not in given:
            resolved[key] = tol
    for key, value in resolved.items():
        check, expected = _RULES[key]
        if not check(value):
            raise ValueError(f"{where}: invalid option {key}={value!r}; expected {expected}")
    if "c1" in resolved and "c2" in resolved and not resolved["c1"] < resolved["c2"]:
        raise ValueError(f"{where}: the line search needs c1 < c2, got c1={resolved['c1']}, c2={resolved['c2']}")
    if "max_trust_radius" in resolved and resolved["initial_trust_radius"] > resolved["max_trust_radius"]:
        raise ValueError(f"{where}: initial_trust_radius={resolved['initial_trust_radius']} exceeds "
                         f"max_trust_radius={resolved['max_trust_radius']}")
    return resolved


def _bounds_arrays(bounds, n: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's bounds (a sequence of ``(low, high)`` pairs, None for unbounded, or an object
    with ``lb`` and ``ub``) as two arrays of length ``n``."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lower = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,)).copy()
        upper = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,)).copy()
    else:
        pairs = list(bounds)
        if len(pairs) != n:
            raise ValueError(f"{where}: bounds has {len(pairs)} (low, high) pairs for {n} variables")
        lower, upper = np.empty(n), np.empty(n)
        for k, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"{where}: bounds[{k}] must be a pair (low, high), got {pair!r}")
            low, high = pair
            lower[k] = -np.inf if low is None else float(low)
            upper[k] = np.inf if high is None else float(high)
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)):
        raise ValueError(f"{where}: bounds contain NaN")
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{where}: bounds[{k}] = ({lower[k]}, {upper[k]}) is empty: low > high")
    return lower, upper


def _as_start(x0, where: str) -> np.ndarray:
    if isinstance(x0, Tensor):
        x0 = x0.numpy()
    try:
        x = np.array(x0, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: x0 must be an array of numbers, got {type(x0).__name__}") from None
    if x.size == 0:
        raise ValueError(f"{where}: x0 is empty")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{where}: x0 contains NaN or infinity")
    return x


def minimize(fun: Callable, x0, args: tuple = (), method: str | None = None, jac=None, *, bounds=None,
             constraints=(), tol: float | None = None, callback: Callable | None = None,
             options: dict | None = None) -> OptimizeResult:
    r"""Minimize a scalar function of one tensor argument.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> scalar tensor``, written with chainrule operations; ``x`` is a
        float64 tensor shaped like ``x0``.
    x0 : array_like or Tensor
        The starting point (any shape; computations are in float64).
    args : tuple
        Extra arguments of ``fun``.
    method : str, optional
        One of :data:`METHODS` (see the module docstring); default ``"bfgs"``,
        ``"lbfgs"`` with ``bounds``, ``"sqp"`` with ``constraints``.
    jac : None, True or callable
        None (default): the gradient by autodiff.  True: ``fun`` returns
        ``(value, gradient)``.  A callable ``jac(x, *args)``: the gradient.
    bounds : sequence of (low, high) or Bounds, optional
        Box constraints (``lbfgs`` only); None for an unbounded side.  A starting point
        outside the box is projected onto it.
    constraints : dict or sequence of dict
        ``{"type": "eq" | "ineq", "fun": c, "args": ()}`` with ``"eq"`` meaning
        :math:`c(x) = 0` and ``"ineq"`` meaning :math:`c(x) \ge 0` (SciPy's convention),
        for ``kkt-newton`` (equalities), ``augmented-lagrangian`` and ``sqp``.
    tol : float, optional
        Shorthand for the method's ``gtol`` (or ``tol`` of the constrained methods).
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration, with ``x``, ``fun`` and
        ``nit``; raising ``StopIteration`` stops the run (status 99).
    options : dict, optional
        Method options (``maxiter``, ``gtol``, ``lr``, ...); an unknown one is an error
        that lists the valid ones.

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``jac`` (alias ``grad``), ``nit``, ``nfev``, ``njev``, ``nhev``,
        ``success``, ``status`` (0 converged, 1 iteration limit, 2 no progress (line
        search or trust region), 3 NaN or inf, 4 infeasible subproblem, 99 callback),
        ``message``, and the history ``history``, ``fun_history``,
        ``grad_norm_history``; constrained methods add ``multipliers`` (one array per
        constraint, in the order given; :math:`\nabla f = \sum \lambda_i \nabla c_i`) and
        ``kkt`` (the four KKT residuals).
    """
    where = "minimize"
    x_start = _as_start(x0, where)
    constraint_list = [constraints] if isinstance(constraints, dict) else list(constraints or ())
    if method is None:
        name = "sqp" if constraint_list else ("lbfgs" if bounds is not None else "bfgs")
    elif isinstance(method, str):
        name = method.lower().replace("_", "-")
    else:
        raise TypeError(f"{where}: method must be a string, got {type(method).__name__}")
    if name not in METHODS:
        raise ValueError(f"{where}: unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    spec = METHODS[name]
    where = f"minimize(method={name!r})"
    options = _resolve_options(name, spec, options, tol)
    if bounds is not None and not spec.bounds:
        raise ValueError(f"{where}: bounds are supported by 'lbfgs' only; for {name!r} write them as "
                         f"inequality constraints with 'sqp' or 'augmented-lagrangian'")
    if constraint_list and not spec.constrained:
        raise ValueError(f"{where}: this method does not handle constraints; use 'sqp', 'augmented-lagrangian' "
                         f"or 'kkt-newton' (equality constraints)")
    if spec.constrained and not constraint_list:
        raise ValueError(f"{where}: this method needs constraints; for an unconstrained problem use 'newton', "
                         f"'bfgs' or 'lbfgs'")
    objective = Objective(fun, x_start.shape, args, jac, where)
    x = x_start.reshape(-1)
    trace = Trace(objective, callback, name)
    run_options = dict(options)
    if spec.constrained:
        parsed = Constraints(constraint_list, x, x_start.shape, where)
        if name == "kkt-newton" and parsed.ineq:
            raise ValueError(f"{where}: kkt-newton handles equality constraints only; use 'sqp' or "
                             f"'augmented-lagrangian' for inequalities")
        call = lambda: spec.run(objective, parsed, x, trace, **run_options)  # noqa: E731
    else:
        if spec.bounds:
            run_options["bounds"] = _bounds_arrays(bounds, x.size, where) if bounds is not None else None
        call = lambda: spec.run(objective, x, trace, **run_options)  # noqa: E731
    try:
        status, message = call()
    except Stop as stop:
        status, message = stop.status, stop.message
    if spec.constrained:                          # present even when a run stopped before computing them
        trace.extra.setdefault("multipliers", None)
        trace.extra.setdefault("kkt", None)
    return trace.result(status, message)
