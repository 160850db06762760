r"""What a method of :func:`~chainrule.optim.minimize` sees of the user's function.

The user writes :math:`f` once, as a chainrule function of a tensor returning a scalar;
:class:`Objective` turns it into the maps a method needs on flat float64 vectors —
:math:`f(x)`, :math:`(f(x), \nabla f(x))`, :math:`\nabla^2 f(x)` and
:math:`v \mapsto \nabla^2 f(x) v` — computing every derivative by automatic
differentiation (``cr.value_and_grad``, ``cr.hessian``, ``cr.hvp``), and counts the
evaluations.  :class:`Trace` records the iterates (for plots and for the observed order
of convergence), calls the user's callback, and stops a run that produced NaN or inf,
naming the iteration.  :class:`OptimizeResult` is SciPy's result: a dict whose keys
are also attributes.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..autodiff import hessian, hvp, no_grad, value_and_grad
from ..errors import fmt_shape
from ..tensor import Tensor

__all__ = ["OptimizeResult", "Objective", "Trace", "Stop"]

# status codes of a result (SciPy's where they exist)
SUCCESS, MAX_ITERATIONS, NO_PROGRESS, NOT_FINITE, INFEASIBLE, CALLBACK = 0, 1, 2, 3, 4, 99


class OptimizeResult(dict):
    """The result of :func:`~chainrule.optim.minimize`: a dict whose keys are attributes.

    Keys: ``x`` (the solution, shaped like ``x0``), ``fun``, ``jac`` and its alias
    ``grad`` (the gradient at ``x``), ``nit``, ``nfev``, ``njev``, ``nhev`` (iterations and
    evaluations of :math:`f`, of its gradient and of second-order products), ``success``,
    ``status``, ``message``, ``method``, and the history: ``history`` (the iterates
    :math:`x_0, \\ldots, x_{nit}`), ``fun_history`` and ``grad_norm_history``.  Constrained
    methods add ``multipliers`` and ``kkt``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"OptimizeResult has no field {name!r}; fields: {', '.join(self)}") from None

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __dir__(self):
        return list(self.keys())

    def __repr__(self) -> str:
        order = ["message", "success", "status", "fun", "x", "nit", "nfev", "njev", "nhev", "jac", "method"]
        keys = [k for k in order if k in self] + [k for k in self if k not in order and k != "grad"]
        width = max(map(len, keys)) + 1
        lines = []
        for k in keys:
            value = self[k]
            if isinstance(value, np.ndarray) and value.ndim >= 2 and k.endswith("history"):
                text = f"<array of shape {value.shape}>"
            else:
                text = repr(value)
                if "\n" in text:
                    text = text.replace("\n", "\n" + " " * (width + 2))
            lines.append(f"{k.rjust(width)}: {text}")
        return "\n".join(lines)


class Stop(Exception):
    """Ends a run early with a status and a message (not finite, callback, failure)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _scalar_output(out, where: str) -> None:
    if not isinstance(out, Tensor):
        raise TypeError(f"{where}: fun must return a scalar chainrule tensor (computed from its argument with "
                        f"chainrule operations), got {type(out).__name__}")
    if out.size != 1:
        raise ValueError(f"{where}: fun must return a scalar, but it returned a tensor of shape "
                         f"{fmt_shape(out.shape)}; reduce it (e.g. cr.sum) or use a least-squares formulation")


class Objective:
    r"""The user's :math:`f: \mathbb{R}^{\text{shape}} \to \mathbb{R}` on flat float64 vectors.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args)`` with ``x`` a float64 tensor of shape ``shape``, returning a
        scalar tensor.
    shape : tuple
        The shape of the argument (``x0.shape``).
    args : tuple
        Extra arguments passed to ``fun`` (and ``jac``).
    jac : None, True or callable
        None: the gradient by reverse-mode autodiff.  True: ``fun`` returns
        ``(value, gradient)``.  A callable: ``jac(x, *args)`` returns the gradient.
        Hessians always come from autodiff of ``fun``.
    where : str
        The name in error messages.
    """

    def __init__(self, fun: Callable, shape: tuple, args: tuple = (), jac=None, where: str = "minimize") -> None:
        if not callable(fun):
            raise TypeError(f"{where}: fun must be callable, got {type(fun).__name__}")
        if not (jac is None or jac is True or callable(jac)):
            raise TypeError(f"{where}: jac must be None (autodiff), True (fun returns value and gradient) or a "
                            f"callable, got {jac!r}")
        self.fun, self.shape, self.args, self.jac, self.where = fun, tuple(shape), tuple(args), jac, where
        self.n = int(np.prod(self.shape, dtype=np.int64))
        self.nfev = self.njev = self.nhev = 0

    def _tensor(self, x: np.ndarray) -> Tensor:
        return Tensor(np.array(x, dtype=np.float64).reshape(self.shape))

    def _call(self, t: Tensor):
        return self.fun(t, *self.args)

    def value(self, x: np.ndarray) -> float:
        """:math:`f(x)`."""
        self.nfev += 1
        with no_grad():
            out = self._call(self._tensor(x))
        if self.jac is True:
            out = out[0]
        _scalar_output(out, self.where)
        return float(out.item())

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        r""":math:`(f(x), \nabla f(x))`, the gradient flat."""
        self.nfev += 1
        self.njev += 1
        t = self._tensor(x)
        if self.jac is True:
            with no_grad():
                out, gradient = self._call(t)
            _scalar_output(out, self.where)
            value = float(out.item())
        elif self.jac is not None:
            with no_grad():
                out = self._call(t)
                _scalar_output(out, self.where)
                gradient = self.jac(t, *self.args)
            value = float(out.item())
        else:
            out, gradient = value_and_grad(self.scalar)(t)
            value = float(out.item())
        gradient = np.asarray(gradient.numpy() if isinstance(gradient, Tensor) else gradient, dtype=np.float64)
        if gradient.size != self.n:
            raise ValueError(f"{self.where}: the gradient has {gradient.size} entries for an argument of shape "
                             f"{fmt_shape(self.shape)}")
        return value, gradient.reshape(-1).copy()

    def gradient(self, x: np.ndarray) -> np.ndarray:
        r""":math:`\nabla f(x)` (flat)."""
        return self.value_and_grad(x)[1]

    def scalar(self, z: Tensor) -> Tensor:
        """:math:`f` as a chainrule function of a tensor, returning a 0-d tensor (what the
        transforms differentiate; the Lagrangians of the constrained methods build on it)."""
        out = self._call(z)
        if self.jac is True:
            out = out[0]
        _scalar_output(out, self.where)
        return out.reshape(()) if out.ndim else out

    def hessian(self, x: np.ndarray) -> np.ndarray:
        r""":math:`\nabla^2 f(x)` as an :math:`n \times n` matrix (forward over reverse)."""
        self.nhev += 1
        h = hessian(self.scalar)(self._tensor(x))
        return np.asarray(h.numpy(), dtype=np.float64).reshape(self.n, self.n)

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        r""":math:`\nabla^2 f(x)\, v` without forming the Hessian."""
        self.nhev += 1
        product = hvp(self.scalar, (self._tensor(x),), (self._tensor(v),))
        return np.asarray(product.numpy(), dtype=np.float64).reshape(-1)


class Trace:
    r"""The iterates of one run, :math:`x_0, x_1, \ldots`, with :math:`f` and :math:`\|\nabla f\|`.

    :meth:`start` records :math:`x_0`, :meth:`record` each new iterate; both stop the
    run (:class:`Stop`) when the value or the gradient is NaN or infinite, or when the
    callback raises ``StopIteration``.
    """

    def __init__(self, objective: Objective, callback: Callable | None = None, method: str = "") -> None:
        self.objective = objective
        self.callback = callback
        self.method = method
        self.xs: list[np.ndarray] = []
        self.fs: list[float] = []
        self.grad_norms: list[float] = []
        self.x = self.gradient = None
        self.f = math.nan
        self.extra: dict[str, Any] = {}

    @property
    def nit(self) -> int:
        """Iterations done (iterates recorded after :math:`x_0`)."""
        return max(len(self.xs) - 1, 0)

    def check_finite(self, x: np.ndarray, f: float, gradient: np.ndarray | None, what: str = "") -> None:
        """Stop (status 3) if ``f`` or the gradient is NaN or infinite, naming the iteration."""
        if math.isfinite(f) and (gradient is None or np.all(np.isfinite(gradient))):
            return
        bad = "objective" if not math.isfinite(f) else "gradient"
        value = f if bad == "objective" else gradient[~np.isfinite(gradient)][0]
        k = len(self.xs)
        when = "at the starting point (iteration 0)" if k == 0 else f"at iteration {k}"
        raise Stop(NOT_FINITE, f"the {what or bad} is {value} {when}, at x = {_short(x)}; the run stopped "
                               f"there (the result holds the last finite iterate)")

    def start(self, x: np.ndarray, f: float, gradient: np.ndarray | None) -> None:
        # remembered even when not finite, so that the result of a run stopped at once shows x0
        self.x, self.f, self.gradient = np.array(x, dtype=np.float64), float(f), gradient
        self.check_finite(x, f, gradient)
        self._append(x, f, gradient)

    def record(self, x: np.ndarray, f: float, gradient: np.ndarray | None) -> None:
        self.check_finite(x, f, gradient)
        self._append(x, f, gradient)
        if self.callback is not None:
            intermediate = OptimizeResult(x=x.reshape(self.objective.shape).copy(), fun=f, nit=self.nit)
            try:
                self.callback(intermediate)
            except StopIteration:
                raise Stop(CALLBACK, "`callback` raised `StopIteration`") from None

    def _append(self, x, f, gradient) -> None:
        self.x = np.array(x, dtype=np.float64)
        self.f = float(f)
        self.gradient = None if gradient is None else np.array(gradient, dtype=np.float64)
        self.xs.append(self.x)
        self.fs.append(self.f)
        self.grad_norms.append(math.nan if gradient is None else float(np.linalg.norm(gradient)))

    def result(self, status: int, message: str) -> OptimizeResult:
        """The :class:`OptimizeResult` of the run so far."""
        shape = self.objective.shape
        n = self.objective.n
        history = np.array(self.xs).reshape((len(self.xs),) + shape) if self.xs else np.empty((0,) + shape)
        result = OptimizeResult(
            x=(self.x if self.x is not None else np.full(n, np.nan)).reshape(shape),
            fun=self.f,
            jac=None if self.gradient is None else self.gradient.reshape(shape),
            nit=self.nit, nfev=self.objective.nfev, njev=self.objective.njev, nhev=self.objective.nhev,
            status=status, success=status == SUCCESS, message=message, method=self.method,
            history=history, fun_history=np.array(self.fs), grad_norm_history=np.array(self.grad_norms))
        result["grad"] = result["jac"]
        result.update(self.extra)
        return result


def _short(x: np.ndarray) -> str:
    """A vector in a message: all of it when short, its first entries otherwise."""
    x = np.asarray(x).reshape(-1)
    if x.size <= 6:
        return np.array2string(x, precision=6, separator=", ")
    return np.array2string(x[:4], precision=6, separator=", ")[:-1] + f", ...] ({x.size} entries)"


def gradient_converged(gradient: np.ndarray, gtol: float) -> bool:
    r""":math:`\|\nabla f\|_\infty \le \text{gtol}`, the first-order optimality test."""
    return bool(np.max(np.abs(gradient), initial=0.0) <= gtol)


def success_message(gradient: np.ndarray, gtol: float, measure: str = "‖∇f‖∞") -> str:
    return (f"Optimization terminated successfully: {measure} = {np.max(np.abs(gradient), initial=0.0):.3g} "
            f"≤ gtol = {gtol:g}")


def max_iterations_message(maxiter: int) -> str:
    return f"Maximum number of iterations ({maxiter}) reached before ‖∇f‖∞ ≤ gtol"
