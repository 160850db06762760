r"""Adaptive learning rates: a step size per coordinate, from the gradients' history.

A single learning rate is too large for coordinates with steep curvature and too small
for flat ones.  These methods divide each coordinate's step by a running measure of
that coordinate's gradient magnitude: the sum of all squared gradients (Adagrad, good
for sparse features but its steps shrink forever), an exponential moving average of
them (RMSprop, which forgets), or that average matched by a second average of the
squared *updates*, so that the step has the units of the parameter (Adadelta).
"""
from __future__ import annotations

from typing import Iterable

from ..backend import add_scaled_, xp
from ..tensor import Tensor
from .optimizer import Optimizer, buffer_like, check_interval, check_nonnegative, divided_root

__all__ = ["Adagrad", "RMSprop", "Adadelta"]


class Adagrad(Optimizer):
    r"""Adagrad: steps divided by the root of the sum of all past squared gradients
    (PyTorch's ``torch.optim.Adagrad``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ \theta_0,\ f(\theta),\ \lambda \text{ (weight decay)},\
         \tau \text{ (initial accumulator value)},\ \eta \text{ (lr decay)},\ \epsilon \\
       &\textbf{initialize: } \mathit{state\_sum}_0 \leftarrow \tau \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \tilde\gamma \leftarrow \gamma / (1 + (t - 1)\eta) \\
       &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
       &\quad \mathit{state\_sum}_t \leftarrow \mathit{state\_sum}_{t-1} + g_t^2 \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \tilde\gamma\, g_t / (\sqrt{\mathit{state\_sum}_t} + \epsilon) \\
       &\textbf{return } \theta_t
       \end{aligned}

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-2
    lr_decay : float, default 0
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
    eps : float, default 1e-10
    maximize : bool, default False

    References
    ----------
    J. Duchi, E. Hazan, Y. Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12, 2011.
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def _check_options(self, group: dict) -> None:
        for option in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_nonnegative("Adagrad", option, group[option])

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = buffer_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        step = state["step"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        decayed_lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        squares = state["sum"].data
        squares += grad * grad
        ratio = divided_root(squares, group["eps"])
        xp(ratio).divide(grad, ratio, out=ratio)
        param.sub_(ratio, alpha=decayed_lr)


class RMSprop(Optimizer):
    r"""RMSprop: steps divided by the root of a moving average of squared gradients
    (PyTorch's ``torch.optim.RMSprop``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ \alpha \text{ (smoothing)},\ \theta_0,\ f(\theta),\
         \lambda \text{ (weight decay)},\ \mu \text{ (momentum)},\ \textit{centered},\ \epsilon \\
       &\textbf{initialize: } v_0 \leftarrow 0,\ b_0 \leftarrow 0,\ g^{ave}_0 \leftarrow 0 \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
       &\quad v_t \leftarrow \alpha v_{t-1} + (1 - \alpha) g_t^2 \\
       &\quad \tilde v_t \leftarrow v_t \\
       &\quad \textbf{if } \textit{centered}:\ g^{ave}_t \leftarrow \alpha g^{ave}_{t-1} + (1 - \alpha) g_t,\quad
              \tilde v_t \leftarrow \tilde v_t - (g^{ave}_t)^2 \\
       &\quad \textbf{if } \mu > 0:\ b_t \leftarrow \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon),\quad
              \theta_t \leftarrow \theta_{t-1} - \gamma b_t \\
       &\quad \textbf{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon) \\
       &\textbf{return } \theta_t
       \end{aligned}

    ``centered`` divides by an estimate of the gradient's *variance* rather than its
    second moment.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-2
    alpha : float, default 0.99
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
    maximize : bool, default False

    References
    ----------
    G. Hinton, N. Srivastava, K. Swersky, "Neural networks for machine learning", lecture 6e, 2012.
    A. Graves, "Generating sequences with recurrent neural networks", arXiv:1308.0850 (the centered form).
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _check_options(self, group: dict) -> None:
        for option in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_nonnegative("RMSprop", option, group[option])

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = buffer_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = buffer_like(param)
            if group["centered"]:
                state["grad_avg"] = buffer_like(param)
        state["step"] += 1
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        square_avg = state["square_avg"].data
        square_avg *= alpha
        add_scaled_(square_avg, grad * grad, 1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            add_scaled_(grad_avg, grad - grad_avg, 1 - alpha)
            variance = square_avg - grad_avg * grad_avg
        else:
            variance = square_avg
        ratio = divided_root(variance, group["eps"])       # √v + ε, then g / (√v + ε), in one buffer
        xp(ratio).divide(grad, ratio, out=ratio)
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"].data
            buffer *= group["momentum"]
            buffer += ratio
            param.sub_(buffer, alpha=group["lr"])
        else:
            param.sub_(ratio, alpha=group["lr"])


class Adadelta(Optimizer):
    r"""Adadelta: RMSprop whose step is rescaled by a moving RMS of past updates, so that
    it has the units of the parameter (PyTorch's ``torch.optim.Adadelta``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ \rho \text{ (decay)},\ \theta_0,\ f(\theta),\
         \lambda \text{ (weight decay)},\ \epsilon \\
       &\textbf{initialize: } v_0 \leftarrow 0 \text{ (square avg)},\ u_0 \leftarrow 0 \text{ (accumulated updates)} \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda \theta_{t-1} \\
       &\quad v_t \leftarrow \rho v_{t-1} + (1 - \rho) g_t^2 \\
       &\quad \Delta x_t \leftarrow \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
       &\quad u_t \leftarrow \rho u_{t-1} + (1 - \rho) \Delta x_t^2 \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \gamma \Delta x_t \\
       &\textbf{return } \theta_t
       \end{aligned}

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1.0
    rho : float, default 0.9
    eps : float, default 1e-6
    weight_decay : float, default 0
    maximize : bool, default False

    References
    ----------
    M. D. Zeiler, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701, 2012.
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_options(self, group: dict) -> None:
        check_nonnegative("Adadelta", "lr", group["lr"])
        check_interval("Adadelta", "rho", group["rho"], 0.0, 1.0, high_closed=True)
        check_nonnegative("Adadelta", "eps", group["eps"])
        check_nonnegative("Adadelta", "weight_decay", group["weight_decay"])

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = buffer_like(param)
            state["acc_delta"] = buffer_like(param)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        square_avg, acc_delta = state["square_avg"].data, state["acc_delta"].data
        sqrt = xp(square_avg).sqrt
        square_avg *= rho
        add_scaled_(square_avg, grad * grad, 1 - rho)
        delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad
        acc_delta *= rho
        add_scaled_(acc_delta, delta * delta, 1 - rho)
        param.sub_(delta, alpha=group["lr"])
