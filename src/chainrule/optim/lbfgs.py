r"""Limited-memory BFGS: a quasi-Newton method that stores only the last few steps.

BFGS approximates the inverse Hessian :math:`H_k \approx \nabla^2 f(x_k)^{-1}` by the
update that makes it satisfy the secant equation :math:`H_{k+1} y_k = s_k`
(:math:`s_k = x_{k+1} - x_k`, :math:`y_k = \nabla f_{k+1} - \nabla f_k`) while changing it
least:

.. math:: H_{k+1} = (I - \rho_k s_k y_k^\top) H_k (I - \rho_k y_k s_k^\top) + \rho_k s_k s_k^\top,
          \qquad \rho_k = 1 / (y_k^\top s_k).

L-BFGS never forms :math:`H_k`: it applies the last :math:`m` updates to a scaled
identity :math:`H^0 = \gamma I`, :math:`\gamma = s^\top y / y^\top y`, inside the
*two-loop recursion*, in :math:`O(mn)` time and memory.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import numpy as np

from ..autodiff import enable_grad, no_grad
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, check_nonnegative

__all__ = ["LBFGS", "two_loop_direction"]


def two_loop_direction(gradient: np.ndarray, steps: Sequence[np.ndarray], gradient_changes: Sequence[np.ndarray],
                       inverse_curvatures: Sequence[float], scale: float) -> np.ndarray:
    r"""The L-BFGS direction :math:`d = -H g` by the two-loop recursion.

    .. math::
       \begin{aligned}
       &q \leftarrow -g \\
       &\textbf{for } i = k-1, \ldots, k-m:\quad \alpha_i \leftarrow \rho_i s_i^\top q,\quad q \leftarrow q - \alpha_i y_i \\
       &r \leftarrow \gamma q \\
       &\textbf{for } i = k-m, \ldots, k-1:\quad \beta_i \leftarrow \rho_i y_i^\top r,\quad r \leftarrow r + (\alpha_i - \beta_i) s_i \\
       &\textbf{return } r
       \end{aligned}

    Parameters
    ----------
    gradient : ndarray
        :math:`g` (flat).
    steps, gradient_changes : sequences of ndarray
        :math:`s_i` and :math:`y_i`, oldest first.
    inverse_curvatures : sequence of float
        :math:`\rho_i = 1 / (y_i^\top s_i)`.
    scale : float
        :math:`\gamma` of the initial matrix :math:`H^0 = \gamma I`.

    References
    ----------
    J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed., Algorithm 7.4.
    """
    q = -gradient
    alphas = [0.0] * len(steps)
    for i in range(len(steps) - 1, -1, -1):
        alphas[i] = float(np.dot(steps[i], q)) * inverse_curvatures[i]
        q = q - alphas[i] * gradient_changes[i]
    r = q * scale
    for i in range(len(steps)):
        beta = float(np.dot(gradient_changes[i], r)) * inverse_curvatures[i]
        r = r + (alphas[i] - beta) * steps[i]
    return r


class LBFGS(Optimizer):
    r"""L-BFGS for training (PyTorch's ``torch.optim.LBFGS``): each :meth:`step` runs up to
    ``max_iter`` iterations, re-evaluating the objective through ``closure``.

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ m \text{ (history size)},\ \textit{line search} \\
       &\textbf{for } k = 1, 2, \ldots, \textit{max\_iter} \textbf{ do} \\
       &\quad g_k \leftarrow \nabla f(x_k);\ \textbf{stop if } \|g_k\|_\infty \le \textit{tolerance\_grad} \\
       &\quad \textbf{if } k > 1:\ s \leftarrow t_{k-1} d_{k-1},\ y \leftarrow g_k - g_{k-1};\
              \textbf{if } y^\top s > 10^{-10}: \text{store } (s, y),\ \gamma_H \leftarrow y^\top s / y^\top y \\
       &\quad d_k \leftarrow -g_k \ (k = 1) \textbf{ else } -H_k g_k \text{ (two-loop recursion, last } m \text{ pairs)} \\
       &\quad t_k \leftarrow \min(1, 1/\|g_1\|_1)\,\gamma \ (k = 1) \textbf{ else } \gamma \\
       &\quad \textbf{if } \textit{strong\_wolfe}:\ t_k \leftarrow \text{strong Wolfe line search from } t_k \\
       &\quad x_{k+1} \leftarrow x_k + t_k d_k \\
       &\quad \textbf{stop if } |t_k| \|d_k\|_\infty \le \textit{tolerance\_change} \textbf{ or }
              |f_{k+1} - f_k| < \textit{tolerance\_change} \\
       &\textbf{return } x
       \end{aligned}

    The memory persists across calls of :meth:`step`.  The optimizer supports a single
    parameter group (its parameters are treated as one flat vector).

    Parameters
    ----------
    params : iterable of Tensor
    lr : float, default 1
        The step length before (or without) the line search.
    max_iter : int, default 20
        Iterations per call of :meth:`step`.
    max_eval : int, optional
        Function evaluations per call of :meth:`step` (default ``max_iter * 5 // 4``).
    tolerance_grad : float, default 1e-7
        Stop when :math:`\|g\|_\infty` is at most this.
    tolerance_change : float, default 1e-9
        Stop when the step or the change of :math:`f` is smaller.
    history_size : int, default 100
        The number :math:`m` of pairs :math:`(s, y)` kept.
    line_search_fn : {None, "strong_wolfe"}
        ``None``: fixed steps of length ``lr``.

    References
    ----------
    D. C. Liu, J. Nocedal, "On the limited memory BFGS method for large scale optimization",
    Mathematical Programming 45, 1989.  J. Nocedal, S. J. Wright, *Numerical Optimization*,
    2nd ed., chapter 7.
    """

    _state_shaped_like_params = False

    def __init__(self, params: Iterable, lr: float = 1.0, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: doesn't support per-parameter options (parameter groups); pass one list of tensors")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS: doesn't support per-parameter options (parameter groups); pass one list "
                             "of tensors")
        super().add_param_group(param_group)

    def _check_options(self, group: dict) -> None:
        check_nonnegative("LBFGS", "lr", group["lr"])
        for option in ("max_iter", "max_eval", "history_size"):
            value = group[option]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"LBFGS: invalid {option}={value!r}; expected a positive integer")
        check_nonnegative("LBFGS", "tolerance_grad", group["tolerance_grad"])
        check_nonnegative("LBFGS", "tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: unknown line_search_fn={group['line_search_fn']!r}; expected None or "
                             f"'strong_wolfe'")

    def _check_loaded_state(self, state: dict) -> None:
        size = self._size()
        for value in state.values():
            for key in ("d", "prev_flat_grad"):
                v = value.get(key)
                if isinstance(v, Tensor) and v.shape != (size,):
                    raise ValueError(f"LBFGS.load_state_dict: saved {key!r} has shape {fmt_shape(v.shape)}, but "
                                     f"the parameters have {size} entries in all")

    # -- the parameters as one flat vector ------------------------------------------------
    def _size(self) -> int:
        return sum(p.size for p in self._params)

    def _flat_grad(self) -> np.ndarray:
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(np.zeros(p.size, dtype=p.dtype))
            else:
                if p.grad.shape != p.shape:
                    raise ShapeError(f"LBFGS: a parameter of shape {fmt_shape(p.shape)} has a gradient of shape "
                                     f"{fmt_shape(p.grad.shape)}")
                parts.append(np.asarray(p.grad.data).reshape(-1))
        return np.concatenate(parts)

    def _add_to_params(self, step_size: float, direction: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            p.add_(step_size * direction[offset:offset + p.size].reshape(p.shape))
            offset += p.size

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values):
            p.copy_(v)

    def _evaluate(self, closure) -> float:
        with enable_grad():
            loss = closure()
        return float(loss)

    # -- the step --------------------------------------------------------------------------
    def step(self, closure: Callable[[], Tensor] | None = None):  # noqa: C901  (one algorithm, read top to bottom)
        """Run up to ``max_iter`` L-BFGS iterations; return the loss at the start.

        ``closure`` must clear the gradients, compute the loss, call ``backward()`` and
        return the loss.
        """
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step: needs a closure that re-evaluates the loss and its gradient "
                            "(zero_grad, loss, backward, return loss)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        # The state is global, but kept under the first parameter (as PyTorch does), so that
        # state_dict() and load_state_dict() handle it like any other.
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            original_loss = closure()
        loss = float(original_loss)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.max(np.abs(flat_grad)) <= tolerance_grad:
            return original_loss

        d = _array(state.get("d"))
        t = state.get("t")
        steps = [_array(v) for v in state.get("old_stps", [])]
        changes = [_array(v) for v in state.get("old_dirs", [])]
        inverse_curvatures = list(state.get("ro", []))
        scale = state.get("H_diag", 1.0)
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        with no_grad():
            iteration = 0
            while iteration < max_iter:
                iteration += 1
                state["n_iter"] += 1
                # the direction
                if state["n_iter"] == 1:
                    d = -flat_grad
                    steps, changes, inverse_curvatures, scale = [], [], [], 1.0
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = float(np.dot(y, s))
                    if ys > 1e-10:              # keep H positive definite: store only positive curvature
                        if len(steps) == history_size:
                            steps.pop(0), changes.pop(0), inverse_curvatures.pop(0)
                        steps.append(s)
                        changes.append(y)
                        inverse_curvatures.append(1.0 / ys)
                        scale = ys / float(np.dot(y, y))
                    d = two_loop_direction(flat_grad, steps, changes, inverse_curvatures, scale)
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss
                # the step length
                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
                else:
                    t = lr
                slope = float(np.dot(flat_grad, d))
                if slope > -tolerance_change:
                    break                       # not a descent direction (to working precision)
                if group["line_search_fn"] == "strong_wolfe":
                    start = [np.array(p.data, copy=True) for p in self._params]

                    def along(step_size, start=start, d=d):
                        self._add_to_params(step_size, d)
                        value = self._evaluate(closure)
                        gradient = self._flat_grad().copy()
                        self._set_params(start)
                        return value, gradient

                    search = strong_wolfe(along, t, d, loss, flat_grad, slope,
                                          max_evaluations=max_eval - evaluations)
                    loss, flat_grad, t, line_evaluations = search.value, search.gradient, search.step, search.evaluations
                    self._add_to_params(t, d)
                    converged = np.max(np.abs(flat_grad)) <= tolerance_grad
                else:
                    self._add_to_params(t, d)
                    line_evaluations = 0
                    converged = False
                    if iteration != max_iter:   # the last iteration's loss would go unused
                        loss = self._evaluate(closure)
                        flat_grad = self._flat_grad()
                        converged = np.max(np.abs(flat_grad)) <= tolerance_grad
                        line_evaluations = 1
                evaluations += line_evaluations
                state["func_evals"] += line_evaluations
                if iteration == max_iter or evaluations >= max_eval or converged:
                    break
                if np.max(np.abs(d * t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                    break                       # no more progress

        state.update(d=Tensor(d), t=t, old_stps=[Tensor(s) for s in steps], old_dirs=[Tensor(y) for y in changes],
                     ro=inverse_curvatures, H_diag=scale, prev_flat_grad=Tensor(prev_flat_grad), prev_loss=prev_loss)
        return original_loss


def _array(value):
    """A state vector as an array (state keeps tensors, so that it saves like other state)."""
    return value.data if isinstance(value, Tensor) else value
