r"""Stochastic gradient descent, with heavy-ball or Nesterov momentum.

Gradient descent moves against the gradient, :math:`\theta \leftarrow \theta - \gamma g`.
Momentum keeps a running sum of past gradients, so that steps along a consistent
direction grow while oscillating components cancel; on an ill-conditioned quadratic it
improves the rate from :math:`(\kappa-1)/(\kappa+1)` to :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`
per step (Polyak's heavy ball).  Nesterov's variant evaluates the momentum step "ahead".
"""
from __future__ import annotations

from typing import Iterable

from ..backend import add_scaled_
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ \theta_0 \text{ (params)},\ f(\theta) \text{ (objective)},\
         \lambda \text{ (weight decay)},\ \mu \text{ (momentum)},\ \tau \text{ (dampening)},\
         \textit{nesterov},\ \textit{maximize} \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1})
             \quad (\textbf{if } \textit{maximize}:\ g_t \leftarrow -\nabla_\theta f_t(\theta_{t-1})) \\
       &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
       &\quad \textbf{if } \mu \ne 0: \\
       &\qquad b_t \leftarrow g_t \ \textbf{ if } t = 1 \textbf{ else } \mu b_{t-1} + (1 - \tau) g_t \\
       &\qquad g_t \leftarrow g_t + \mu b_t \ \textbf{ if } \textit{nesterov} \textbf{ else } b_t \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t \\
       &\textbf{return } \theta_t
       \end{aligned}

    The momentum buffer starts as the first gradient (no dampening on the first step),
    and the learning rate multiplies the whole velocity, as in PyTorch (Sutskever et al.
    write :math:`v \leftarrow \mu v + \gamma g`; the two agree for a constant
    :math:`\gamma`).

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters to optimize, or parameter groups.
    lr : float, default 1e-3
        Learning rate :math:`\gamma \ge 0`.
    momentum : float, default 0
        Momentum factor :math:`\mu \ge 0`.
    dampening : float, default 0
        Dampening :math:`\tau` of the gradient's contribution to the buffer.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0` (adds :math:`\tfrac{\lambda}{2}\|\theta\|^2` to the objective).
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening = 0``).
    maximize : bool, default False
        Maximize the objective instead of minimizing it.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
    USSR Computational Mathematics and Mathematical Physics 4(5), 1964.
    I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of initialization and
    momentum in deep learning", ICML 2013.
    Y. Nesterov, "A method for solving the convex programming problem with convergence rate
    O(1/k²)", Soviet Mathematics Doklady 27, 1983.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _check_options(self, group: dict) -> None:
        check_nonnegative("SGD", "lr", group["lr"])
        check_nonnegative("SGD", "momentum", group["momentum"])
        check_nonnegative("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        # In place throughout, each scaled sum one pass (Tensor.sub_ and add_scaled_ run
        # BLAS's axpy on large arrays), as PyTorch's fused kernels do.
        momentum, weight_decay, lr = group["momentum"], group["weight_decay"], group["lr"]
        if weight_decay != 0:
            grad = grad + weight_decay * param.data
        if momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = Tensor(grad.copy())
                buffer = state["momentum_buffer"].data
            else:
                buffer = state["momentum_buffer"].data
                buffer *= momentum
                add_scaled_(buffer, grad, 1 - group["dampening"])
            if group["nesterov"]:                 # θ − γ(g + μb), as two scaled subtractions
                param.sub_(grad, alpha=lr)
                param.sub_(buffer, alpha=lr * momentum)
                return
            grad = buffer
        param.sub_(grad, alpha=lr)
