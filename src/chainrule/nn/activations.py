r"""Activation functions: the non-linearities between layers, as functions and modules.

Each is a composite of chainrule's primitives (DESIGN principle 3), so its derivative
comes from theirs; the formulas below are what they compute.  Conventions at kinks
follow PyTorch's backward formulas:

==============  =========================================================================
``relu``        :math:`\operatorname{relu}'(0) = 0`
``leaky_relu``  :math:`\operatorname{leaky\_relu}'(0) = \mathrm{negative\_slope}` (the test is :math:`x > 0`)
``elu, selu``   derivative at 0 from the left branch: :math:`\alpha` (times ``scale`` for selu)
``hardtanh``    derivative 0 at the bounds: 1 only strictly inside :math:`(\min, \max)`
``softplus``    exactly :math:`x` (derivative 1) where :math:`\beta x > \mathrm{threshold}`
==============  =========================================================================

Where a branch that ``where`` discards could overflow (``expm1`` of a large :math:`x`
in ``elu``), it is evaluated at a safe point, so that its derivative — multiplied by
the zero cotangent ``where`` sends it — is never :math:`0\cdot\infty` (the "double where").

``inplace`` arguments are accepted for PyTorch compatibility and ignored: every result is
a new tensor (an in-place activation would overwrite a value the backward pass needs).
"""
from __future__ import annotations

import math

from ..autodiff.transforms import stop_gradient
from ..ops.elementwise import erf, expm1, logical_and, sigmoid, softplus as _softplus, tanh, where
from ..ops.piecewise import clip, relu
from ..ops.log_sum_exp import log_softmax, softmax
from ..tensor import Tensor
from .module import Module

_SQRT_HALF = 1 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# PyTorch's constants for SELU (Klambauer et al. 2017), to the digits PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ----------------------------------------------------------------------------- functions
def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r""":math:`y = x` for :math:`x > 0`, else :math:`\mathrm{negative\_slope}\cdot x`.

    .. math:: y' = [x > 0] + \mathrm{negative\_slope}\,[x \le 0]

    so the derivative at 0 is the slope (PyTorch's convention).
    """
    return where(x > 0, x, x * negative_slope)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Exponential linear unit: :math:`y = x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)`.

    .. math:: y' = [x > 0] + \alpha e^x [x \le 0]

    (:math:`\alpha` at 0).  ``expm1`` is evaluated at 0 where :math:`x > 0`, so a large
    positive :math:`x` never makes :math:`e^x = \infty` in the discarded branch.
    """
    positive = x > 0
    return where(positive, x, alpha * expm1(where(positive, 0.0, x)))


def selu(x: Tensor, inplace: bool = False) -> Tensor:
    r"""Scaled ELU: :math:`y = \lambda\,\mathrm{elu}(x, \alpha)` with PyTorch's
    :math:`\lambda \approx 1.0507` and :math:`\alpha \approx 1.6733`, the fixed point that keeps
    activations at zero mean and unit variance."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit :math:`y = x\,\Phi(x)`.

    ``approximate="none"``: :math:`\Phi(x) = \tfrac12(1 + \operatorname{erf}(x/\sqrt2))`, so

    .. math:: y' = \Phi(x) + x\,\varphi(x),\qquad \varphi(x) = e^{-x^2/2}/\sqrt{2\pi}.

    ``approximate="tanh"``: :math:`y = \tfrac12 x\,(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715\,x^3)))`.
    """
    if approximate == "none":
        return 0.5 * x * (1.0 + erf(x * _SQRT_HALF))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    r"""Sigmoid-weighted linear unit (swish): :math:`y = x\,\sigma(x)`;
    :math:`y' = \sigma(x)\,(1 + x(1 - \sigma(x)))`."""
    return x * sigmoid(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r""":math:`y = \frac1\beta \log(1 + e^{\beta x})`, and :math:`y = x` where :math:`\beta x > \mathrm{threshold}`
    (PyTorch's switch to the asymptote).

    .. math:: y' = \sigma(\beta x) \quad (1 \text{ past the threshold})

    The log-sum-exp form never overflows, so the discarded branch is safe.
    """
    scaled = x * beta
    return where(scaled > threshold, x, _softplus(scaled) / beta)


def logsigmoid(x: Tensor) -> Tensor:
    r""":math:`y = \log\sigma(x) = -\operatorname{softplus}(-x)`, finite for every :math:`x`;
    :math:`y' = \sigma(-x)`."""
    return -_softplus(-x)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    r""":math:`y = \min(\max(x, \min), \max)`, with derivative :math:`[\min < x < \max]`.

    Convention: the derivative is 0 *at* the bounds (PyTorch's ``hardtanh_backward``), unlike
    ``clip``, whose derivative is 1 on the closed interval.
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    inside = logical_and(x > min_val, x < max_val)
    # Outside (and at) the bounds the value is the clipped one, held constant: derivative 0.
    return where(inside, x, stop_gradient(clip(x, min_val, max_val)))


def relu6(x: Tensor, inplace: bool = False) -> Tensor:
    r""":math:`y = \min(\max(x, 0), 6)`: ``hardtanh(x, 0, 6)``."""
    return hardtanh(x, 0.0, 6.0)


def _softmax_dim(dim, ndim):
    """PyTorch's implicit softmax axis when ``dim`` is None: 0 for ranks 0, 1 and 3, else 1."""
    if dim is not None:
        return dim
    return 0 if ndim in (0, 1, 3) else 1


# ----------------------------------------------------------------------------- modules
class ReLU(Module):
    r""":math:`\max(x, 0)` elementwise (``inplace`` is accepted and ignored: results are new tensors)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return relu(x)


class LeakyReLU(Module):
    """:func:`leaky_relu` as a module."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """:func:`elu` as a module."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x):
        return elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """:func:`selu` as a module."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return selu(x)


class GELU(Module):
    """:func:`gelu` as a module (``approximate="none"`` or ``"tanh"``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """:func:`silu` as a module."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return silu(x)


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`."""

    def forward(self, x):
        return sigmoid(x)


class Tanh(Module):
    r""":math:`\tanh x`."""

    def forward(self, x):
        return tanh(x)


class LogSigmoid(Module):
    """:func:`logsigmoid` as a module."""

    def forward(self, x):
        return logsigmoid(x)


class Softplus(Module):
    """:func:`softplus` as a module."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """:func:`hardtanh` as a module."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must not exceed max_val {max_val}")
        self.min_val, self.max_val = min_val, max_val
        self.inplace = inplace

    def forward(self, x):
        return hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """:func:`relu6` as a module."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return ""


class Softmax(Module):
    r"""Softmax along ``dim``: :math:`y_i = e^{x_i}/\sum_j e^{x_j}`.

    ``dim=None`` follows PyTorch's legacy rule (axis 0 for inputs of rank 0, 1 or 3,
    axis 1 otherwise); give ``dim`` explicitly.
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return softmax(x, axis=_softmax_dim(self.dim, x.ndim))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    r""":math:`y = x - \log\sum_j e^{x_j}` along ``dim`` (``dim=None`` as :class:`Softmax`)."""

    def forward(self, x):
        return log_softmax(x, axis=_softmax_dim(self.dim, x.ndim))
