r"""Initialization of parameters: ``cr.nn.init`` (PyTorch's names and formulas).

Every function fills its tensor *in place*, without recording a graph, and returns it;
the names end in an underscore, as PyTorch's do.  The variance-preserving schemes
choose the scale from the tensor's fans (for a weight of shape ``(out, in, *kernel)``,
:math:`\mathrm{fan_{in}} = \mathrm{in}\cdot|\mathrm{kernel}|` and
:math:`\mathrm{fan_{out}} = \mathrm{out}\cdot|\mathrm{kernel}|`):

========================  ===================================================================
``xavier_uniform_``       :math:`U(-a, a)`, :math:`a = g\sqrt{6/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`
``xavier_normal_``        :math:`N(0, \sigma^2)`, :math:`\sigma = g\sqrt{2/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`
``kaiming_uniform_``      :math:`U(-b, b)`, :math:`b = g\sqrt{3/\mathrm{fan}}`
``kaiming_normal_``       :math:`N(0, \sigma^2)`, :math:`\sigma = g/\sqrt{\mathrm{fan}}`
========================  ===================================================================

with the gain :math:`g` of :func:`calculate_gain`.

Randomness.  Each function takes ``generator``: an int seed or a
``numpy.random.Generator``.  Without one, draws come from the default generator of
``cr.nn``, which :func:`manual_seed` resets; it starts from a fixed seed, so a
program that builds the same layers in the same order gets the same weights run
after run (as PyTorch's global generator).  Layers' default initializations and
:class:`~chainrule.nn.Dropout` without a generator use it too.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.special

from ..autodiff.engine import no_grad
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor

_DEFAULT_SEED = 0
_default = {"generator": np.random.default_rng(_DEFAULT_SEED)}


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator of ``cr.nn`` (initializations, dropout) to ``seed``."""
    _default["generator"] = np.random.default_rng(seed)
    return _default["generator"]


def default_generator() -> np.random.Generator:
    """The generator used when no ``generator`` is given."""
    return _default["generator"]


def as_generator(generator) -> np.random.Generator:
    """``generator`` (None, an int seed or a ``numpy.random.Generator``) as a Generator."""
    if generator is None:
        return _default["generator"]
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be None, an int seed or a numpy.random.Generator, got {type(generator).__name__}")


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor`` in place, outside any graph."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor to fill, got {type(tensor).__name__}")
    with no_grad():
        tensor.data[...] = values
        tensor._bump()
    return tensor


# ----------------------------------------------------------------------------- gains and fans
def calculate_gain(nonlinearity: str, param=None) -> float:
    r"""The gain :math:`g` that keeps activations' variance through ``nonlinearity`` (PyTorch's table).

    ====================================  =======================================
    linear, conv*, sigmoid                :math:`1`
    tanh                                  :math:`5/3`
    relu                                  :math:`\sqrt2`
    leaky_relu (slope ``param``, 0.01)    :math:`\sqrt{2/(1 + \mathrm{slope}^2)}`
    selu                                  :math:`3/4`
    ====================================  =======================================
    """
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                   "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``(out, in, *kernel)``: ``in·|kernel|`` and ``out·|kernel|``."""
    if tensor.ndim < 2:
        raise ShapeError(f"init: fan in and fan out need a tensor of at least 2 dimensions, got shape "
                         f"{fmt_shape(tensor.shape)}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")


# ----------------------------------------------------------------------------- plain fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with draws from :math:`U(a, b)`."""
    return _fill(tensor, as_generator(generator).uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    r"""Fill with draws from :math:`N(\mathrm{mean}, \mathrm{std}^2)`."""
    return _fill(tensor, as_generator(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    r"""Fill with draws from :math:`N(\mathrm{mean}, \mathrm{std}^2)` conditioned on :math:`[a, b]`.

    Inverse-CDF sampling: :math:`u \sim U(\Phi(\alpha), \Phi(\beta))` with
    :math:`\alpha = (a - \mathrm{mean})/\mathrm{std}`, then
    :math:`x = \mathrm{mean} + \mathrm{std}\,\Phi^{-1}(u)`, clipped to :math:`[a, b]` against rounding.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: the interval [a, b] = [{a}, {b}] is empty")
    lo = scipy.special.ndtr((a - mean) / std)
    hi = scipy.special.ndtr((b - mean) / std)
    u = as_generator(generator).uniform(lo, hi, tensor.shape)
    return _fill(tensor, np.clip(mean + std * scipy.special.ndtri(u), a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a matrix with the identity (ones on the diagonal of a rectangular matrix)."""
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: needs a matrix, got shape {fmt_shape(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


# ----------------------------------------------------------------------------- variance-preserving schemes
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""Glorot: :math:`U(-a, a)`, :math:`a = g\sqrt{6/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""Glorot: :math:`N(0, \sigma^2)`, :math:`\sigma = g\sqrt{2/(\mathrm{fan_{in}} + \mathrm{fan_{out}})}`."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    r"""He: :math:`U(-b, b)`, :math:`b = g\sqrt{3/\mathrm{fan}}`, :math:`g` = ``calculate_gain(nonlinearity, a)``.

    PyTorch's default for Linear and Conv weights is ``a = √5``: :math:`b = 1/\sqrt{\mathrm{fan_{in}}}`.
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    r"""He: :math:`N(0, \sigma^2)`, :math:`\sigma = g/\sqrt{\mathrm{fan}}`."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    r"""A (semi-)orthogonal matrix times ``gain``: the Q of the QR factorization of a Gaussian
    matrix, with the signs of R's diagonal moved into Q so that Q is Haar-distributed.

    A tensor of more than 2 dimensions is filled as the matrix ``(shape[0], rest)``.
    """
    if tensor.ndim < 2:
        raise ShapeError(f"orthogonal_: needs at least 2 dimensions, got shape {fmt_shape(tensor.shape)}")
    rows = tensor.shape[0]
    cols = tensor.size // rows if rows else 0
    flat = as_generator(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# PyTorch's layer initializations, used by the layers' reset_parameters.
def default_weight_and_bias_(weight: Tensor, bias: Tensor | None, generator=None) -> None:
    r"""PyTorch's default for Linear, Bilinear and convolutions: ``kaiming_uniform_(a=√5)``,
    i.e. :math:`W \sim U(-1/\sqrt{\mathrm{fan_{in}}}, 1/\sqrt{\mathrm{fan_{in}}})`, and the bias
    from the same interval."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, generator)
