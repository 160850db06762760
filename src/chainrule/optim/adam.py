r"""Adam and its relatives: momentum and a per-coordinate scale, both as moving averages.

Adam keeps two exponential moving averages, of the gradient (:math:`m`, momentum) and of
its square (:math:`v`, a scale as in RMSprop).  Both start at zero, so early averages are
biased towards zero; dividing by :math:`1 - \beta^t` removes the bias exactly for a
constant gradient.  The step :math:`\hat m / (\sqrt{\hat v} + \epsilon)` is then about the
learning rate in size whatever the gradient's scale.

Variants change one piece: AdamW decouples weight decay from the adaptive scale (decay
the weights directly instead of adding :math:`\lambda\theta` to the gradient); AMSGrad uses
the running maximum of :math:`v` so that the effective step never grows; Adamax replaces
the :math:`\ell_2` average by an :math:`\ell_\infty` one; NAdam applies Nesterov's
look-ahead to the momentum; RAdam switches the adaptive scale on only once the variance
of its estimate is bounded ("rectified").
"""
from __future__ import annotations

from typing import Iterable

from ..backend import add_scaled_, xp
from ..tensor import Tensor
from .optimizer import Optimizer, buffer_like, check_betas, check_nonnegative, divided_root

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _decay_weights(param: Tensor, grad, group: dict, decoupled: bool):
    r"""Weight decay: coupled (L2 penalty, added to the gradient) or decoupled (AdamW:
    :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`, outside the adaptive scale)."""
    weight_decay = group["weight_decay"]
    if weight_decay == 0:
        return grad
    if decoupled:
        param.mul_(1 - group["lr"] * weight_decay)
        return grad
    return grad + weight_decay * param.data


def _check_moment_options(where: str, group: dict, *more: str) -> None:
    """The options of every Adam variant: ``lr``, ``eps``, ``weight_decay`` (and ``more``) ≥ 0,
    and both ``betas`` in :math:`[0, 1)`."""
    for option in ("lr", "eps", "weight_decay") + more:
        check_nonnegative(where, option, group[option])
    check_betas(where, group["betas"])


def _start_moments(param: Tensor, state: dict) -> None:
    r""":math:`m_0 = v_0 = 0`: the two moving averages start at zero (hence the bias correction)."""
    state["exp_avg"] = buffer_like(param)
    state["exp_avg_sq"] = buffer_like(param)


def _update_moments(grad, state: dict, beta1: float, beta2: float) -> None:
    r""":math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`, in place."""
    exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
    add_scaled_(exp_avg, grad - exp_avg, 1 - beta1)          # m + (1-β₁)(g - m): PyTorch's lerp
    exp_avg_sq *= beta2
    add_scaled_(exp_avg_sq, grad * grad, 1 - beta2)


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation (PyTorch's ``torch.optim.Adam``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma \text{ (lr)},\ \beta_1, \beta_2 \text{ (betas)},\ \theta_0,\ f(\theta),\
         \lambda \text{ (weight decay)},\ \textit{amsgrad},\ \textit{maximize},\ \epsilon \\
       &\textbf{initialize: } m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ v_0^{max} \leftarrow 0 \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0: \\
       &\qquad \textbf{if } \textit{decoupled}:\ \theta_{t-1} \leftarrow \theta_{t-1}(1 - \gamma\lambda)
              \quad \textbf{else}:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
       &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
       &\quad v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
       &\quad \hat m_t \leftarrow m_t / (1 - \beta_1^t) \\
       &\quad \textbf{if } \textit{amsgrad}:\ v_t^{max} \leftarrow \max(v_{t-1}^{max}, v_t),\quad
              \hat v_t \leftarrow v_t^{max} / (1 - \beta_2^t) \\
       &\quad \textbf{else}:\ \hat v_t \leftarrow v_t / (1 - \beta_2^t) \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t / (\sqrt{\hat v_t} + \epsilon) \\
       &\textbf{return } \theta_t
       \end{aligned}

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Averaging coefficients of the gradient and of its square, each in :math:`[0, 1)`.
    eps : float, default 1e-8
        Added to the denominator for numerical stability.
    weight_decay : float, default 0
    amsgrad : bool, default False
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        Decay the weights directly (this is :class:`AdamW`).

    References
    ----------
    D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015, arXiv:1412.6980.
    S. J. Reddi, S. Kale, S. Kumar, "On the convergence of Adam and beyond", ICLR 2018 (AMSGrad).
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_options(self, group: dict) -> None:
        _check_moment_options(type(self).__name__, group)

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            _start_moments(param, state)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = buffer_like(param)
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = group["betas"]
        grad = _decay_weights(param, grad, group, group["decoupled_weight_decay"])
        _update_moments(grad, state, beta1, beta2)
        second_moment = state["exp_avg_sq"].data
        if group["amsgrad"]:
            running_max = state["max_exp_avg_sq"].data
            xp(running_max).maximum(running_max, second_moment, out=running_max)
            second_moment = running_max
        step_size = group["lr"] / (1 - beta1 ** step)
        # √v̂ + ε and then m / (√v̂ + ε) in one buffer, the step one scaled subtraction
        ratio = divided_root(second_moment, group["eps"], 1 - beta2 ** step)
        xp(ratio).divide(state["exp_avg"].data, ratio, out=ratio)
        param.sub_(ratio, alpha=step_size)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``).

    .. math::
       \begin{aligned}
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \\
       &\quad \theta_{t-1} \leftarrow \theta_{t-1} - \gamma\lambda\theta_{t-1} \\
       &\quad m_t, v_t, \hat m_t, \hat v_t \text{ as in Adam (with AMSGrad optionally)} \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)
       \end{aligned}

    With Adam's L2 penalty, the decay term :math:`\lambda\theta` is divided by
    :math:`\sqrt{\hat v}` like the rest of the gradient, so weights with large gradients
    are barely regularized; decoupling applies the same relative decay to every weight.
    The default ``weight_decay`` is 1e-2.

    References
    ----------
    I. Loshchilov, F. Hutter, "Decoupled weight decay regularization", ICLR 2019, arXiv:1711.05101.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the root mean square
    (PyTorch's ``torch.optim.Adamax``).

    .. math::
       \begin{aligned}
       &\textbf{initialize: } m_0 \leftarrow 0,\ u_0 \leftarrow 0 \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0:\ g_t \leftarrow g_t + \lambda\theta_{t-1} \\
       &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
       &\quad u_t \leftarrow \max(\beta_2 u_{t-1},\ |g_t| + \epsilon) \\
       &\quad \theta_t \leftarrow \theta_{t-1} - \frac{\gamma}{1 - \beta_1^t}\, \frac{m_t}{u_t}
       \end{aligned}

    :math:`u_t` is the limit :math:`p \to \infty` of :math:`(\beta_2^p v + (1-\beta_2^p)|g|^p)^{1/p}`,
    which needs no bias correction.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    maximize : bool, default False

    References
    ----------
    D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015, section 7.1.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_options(self, group: dict) -> None:
        _check_moment_options("Adamax", group)

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = buffer_like(param)
            state["exp_inf"] = buffer_like(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        grad = _decay_weights(param, grad, group, decoupled=False)
        exp_avg, exp_inf = state["exp_avg"].data, state["exp_inf"].data
        add_scaled_(exp_avg, grad - exp_avg, 1 - beta1)
        exp_inf *= beta2
        array = xp(grad)
        array.maximum(exp_inf, array.abs(grad) + group["eps"], out=exp_inf)
        step_size = group["lr"] / (1 - beta1 ** state["step"])
        param.sub_(exp_avg / exp_inf, alpha=step_size)


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum (PyTorch's ``torch.optim.NAdam``).

    .. math::
       \begin{aligned}
       &\textbf{input: } \gamma,\ \beta_1, \beta_2,\ \lambda,\ \psi \text{ (momentum decay)},\ \epsilon \\
       &\textbf{initialize: } m_0 \leftarrow 0,\ v_0 \leftarrow 0,\ \textstyle\prod_0 \leftarrow 1 \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0:\ \text{decay as in Adam (decoupled or added to } g_t) \\
       &\quad \mu_t \leftarrow \beta_1 \big(1 - \tfrac12\, 0.96^{t\psi}\big),\quad
              \mu_{t+1} \leftarrow \beta_1 \big(1 - \tfrac12\, 0.96^{(t+1)\psi}\big) \\
       &\quad \textstyle\prod_t \leftarrow \prod_{t-1} \mu_t \\
       &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad
              v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
       &\quad \hat v_t \leftarrow v_t / (1 - \beta_2^t) \\
       &\quad \theta_t \leftarrow \theta_{t-1}
              - \gamma \frac{1 - \mu_t}{1 - \prod_t} \frac{g_t}{\sqrt{\hat v_t} + \epsilon}
              - \gamma \frac{\mu_{t+1}}{1 - \prod_t \mu_{t+1}} \frac{m_t}{\sqrt{\hat v_t} + \epsilon}
       \end{aligned}

    The last line is Nesterov's look-ahead: the momentum part uses the *next* step's
    coefficient :math:`\mu_{t+1}`; the schedule :math:`\mu_t` warms the momentum up.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
    decoupled_weight_decay : bool, default False
    maximize : bool, default False

    References
    ----------
    T. Dozat, "Incorporating Nesterov momentum into Adam", ICLR workshop, 2016.
    """

    def __init__(self, params: Iterable, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_options(self, group: dict) -> None:
        _check_moment_options("NAdam", group, "momentum_decay")

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            _start_moments(param, state)
        state["step"] += 1
        step, lr = state["step"], group["lr"]
        beta1, beta2 = group["betas"]
        grad = _decay_weights(param, grad, group, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        _update_moments(grad, state, beta1, beta2)
        exp_avg_sq = state["exp_avg_sq"].data
        denominator = divided_root(exp_avg_sq, group["eps"], 1 - beta2 ** step)
        param.sub_(grad / denominator, alpha=lr * (1.0 - mu) / (1.0 - mu_product))
        ratio = xp(denominator).divide(state["exp_avg"].data, denominator, out=denominator)
        param.sub_(ratio, alpha=lr * mu_next / (1.0 - mu_product * mu_next))


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive scale is switched on (and "rectified") only once the
    variance of :math:`\hat v` is finite (PyTorch's ``torch.optim.RAdam``).

    .. math::
       \begin{aligned}
       &\textbf{initialize: } m_0 \leftarrow 0,\ v_0 \leftarrow 0,\
         \rho_\infty \leftarrow 2/(1 - \beta_2) - 1 \\
       &\textbf{for } t = 1, 2, \ldots \textbf{ do} \\
       &\quad g_t \leftarrow \nabla_\theta f_t(\theta_{t-1}) \quad (-\nabla_\theta f_t \textbf{ if } \textit{maximize}) \\
       &\quad \textbf{if } \lambda \ne 0:\ \text{decay as in Adam (decoupled or added to } g_t) \\
       &\quad m_t \leftarrow \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad
              v_t \leftarrow \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 \\
       &\quad \hat m_t \leftarrow m_t / (1 - \beta_1^t) \\
       &\quad \rho_t \leftarrow \rho_\infty - 2t\beta_2^t / (1 - \beta_2^t) \\
       &\quad \textbf{if } \rho_t > 5: \\
       &\qquad l_t \leftarrow \sqrt{1 - \beta_2^t} / (\sqrt{v_t} + \epsilon),\quad
               r_t \leftarrow \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}} \\
       &\qquad \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t\, l_t\, r_t \\
       &\quad \textbf{else}:\ \theta_t \leftarrow \theta_{t-1} - \gamma\, \hat m_t
       \end{aligned}

    :math:`\rho_t` is the length of the simple moving average that the exponential one
    approximates; with fewer than about 5 effective samples the variance of the
    adaptive scale is unbounded, so the step is plain momentum SGD.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    decoupled_weight_decay : bool, default False
    maximize : bool, default False

    References
    ----------
    L. Liu et al., "On the variance of the adaptive learning rate and beyond", ICLR 2020, arXiv:1908.03265.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _check_options(self, group: dict) -> None:
        _check_moment_options("RAdam", group)

    def _update(self, param: Tensor, grad, group: dict, state: dict) -> None:
        if not state:
            state["step"] = 0
            _start_moments(param, state)
        state["step"] += 1
        step, lr = state["step"], group["lr"]
        beta1, beta2 = group["betas"]
        grad = _decay_weights(param, grad, group, group["decoupled_weight_decay"])
        _update_moments(grad, state, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected_avg = state["exp_avg"].data / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            adaptive = bias_correction2 ** 0.5 / divided_root(state["exp_avg_sq"].data, group["eps"])
            rectification = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            param.sub_(corrected_avg * lr * adaptive * rectification)
        else:
            param.sub_(corrected_avg * lr)
