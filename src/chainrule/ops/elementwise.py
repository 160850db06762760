r"""Elementwise functions and their derivatives.

Each function acts on every element independently, with NumPy broadcasting
between operands.  Its Jacobian is diagonal, so a derivative is a product with
the partial derivative, :math:`\bar x = \bar y \,\partial y/\partial x` (reverse)
and :math:`\dot y = \partial y/\partial x\, \dot x` (forward); the engine sums
over broadcast axes.  The partials below are written with chainrule ops, so they
can be differentiated again.

Functions with kinks (``abs``, ``relu``, ``maximum``, ``clip``, ``sign``...) are the
chapter ``piecewise``.  Conventions here, where a derivative is not defined:

=================  ==========================================================
``pow``            :math:`\partial_x x^0 = 0`; :math:`\partial_y x^y = 0` at :math:`x = 0`
``where``          the unselected branch gets a zero cotangent (see "double where" below)
=================  ==========================================================

The "double where".  ``where`` never lets a NaN *value* of the unselected branch into the
selected one's gradient: the unselected branch receives a zero cotangent.  But that zero
still flows through the branch's own derivative: in ``where(x > 0, sqrt(x), 0)`` at
``x = 0`` it meets :math:`\sqrt{x}\,' = \infty`, and :math:`0 \cdot \infty` is NaN.
Evaluate the function at a safe point where it is masked,
``where(x > 0, sqrt(where(x > 0, x, 1)), 0)``; ``power``'s own rules do this.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff.primitive import elementwise, linear, nondifferentiable, primitive
from ..backend import special, xp
from ..errors import ShapeError


def _ind(cond, like):
    """The indicator of ``cond`` as 0/1 in the dtype of ``like`` (a constant)."""
    return astype(cond, like.dtype)


# ----------------------------------------------------------------------------- arithmetic
@linear(elementwise_op=True)
def add(x, y):
    r"""Sum :math:`x + y`.

    .. math:: \bar x = \bar z,\quad \bar y = \bar z
    """
    return x + y


add.transposes(lambda g, out, x, y: g, lambda g, out, x, y: g)
add.defjvp_joint(lambda ts, out, x, y: ts[0] if ts[1] is None else ts[1] if ts[0] is None else ts[0] + ts[1])
add.formula(definition=r"z = x + y", derivative=r"\partial z/\partial x = 1,\ \partial z/\partial y = 1")


@linear(elementwise_op=True)
def subtract(x, y):
    r"""Difference :math:`x - y`.

    .. math:: \bar x = \bar z,\quad \bar y = -\bar z
    """
    return x - y


subtract.transposes(lambda g, out, x, y: g, lambda g, out, x, y: -g)
subtract.defjvp_joint(lambda ts, out, x, y: (ts[0] if ts[1] is None else
                                            -ts[1] if ts[0] is None else ts[0] - ts[1]))
subtract.formula(definition=r"z = x - y", derivative=r"\partial z/\partial x = 1,\ \partial z/\partial y = -1")


@linear(elementwise_op=True)
def negative(x):
    r"""Negation :math:`-x`.

    .. math:: \bar x = -\bar y
    """
    return -x


negative.transposes(lambda g, out, x: -g)
negative.formula(definition=r"y = -x", derivative=r"\partial y/\partial x = -1")


@elementwise
def multiply(x, y):
    r"""Product :math:`x y`.

    .. math:: \frac{\partial z}{\partial x} = y,\quad \frac{\partial z}{\partial y} = x
    """
    return x * y


multiply.partials(lambda out, x, y: y, lambda out, x, y: x)
multiply.formula(definition=r"z = x y", derivative=r"\partial z/\partial x = y,\ \partial z/\partial y = x")


@primitive(elementwise_op=True)
def divide(x, y):
    r"""Quotient :math:`z = x / y`, defined for :math:`y \ne 0`.

    .. math:: \frac{\partial z}{\partial x} = \frac1y,\quad
              \frac{\partial z}{\partial y} = -\frac{x}{y^2} = -\frac{z}{y}
    """
    return x / y


# g / y and -g z / y are one and two ops; g * (1/y) would spend an extra reciprocal.
divide.defvjp(lambda g, out, x, y: g / y, lambda g, out, x, y: -g * out / y)
divide.defjvp(lambda dx, out, x, y: dx / y, lambda dy, out, x, y: -dy * out / y)
divide.formula(definition=r"z = x / y", derivative=r"\partial z/\partial x = 1/y,\ \partial z/\partial y = -z/y")


@primitive(elementwise_op=True)
def power(x, y):
    r"""Power :math:`z = x^y` (``y`` a tensor or a number).

    .. math:: \frac{\partial z}{\partial x} = y\,x^{y-1},\qquad
              \frac{\partial z}{\partial y} = x^y \log x

    Convention: :math:`\partial_x x^0 = 0` (not :math:`0 \cdot x^{-1}`, which is NaN at 0),
    and :math:`\partial_y x^y = 0` at :math:`x = 0`.  Negative bases with non-integer
    exponents give NaN, as in NumPy.
    """
    return x ** y


def _power_dx(out, x, y):
    if not hasattr(y, "shape"):             # a Python number: the common x**2
        return None if y == 0 else y * x ** (y - 1)
    # Double where: where y = 0 the base is replaced by 1 before x ** (y - 1) is formed,
    # so that 0 ** -1 = inf never appears; otherwise the masked branch's own derivative
    # (0 · inf) would put NaN into the second derivative at x = 0.
    zero_exponent = y == 0
    safe = where(zero_exponent, 1.0, x)
    return where(zero_exponent, 0.0, y * safe ** (y - 1))


def _power_dy(out, x, y):
    # Double where: log is evaluated at a safe point where x = 0, so that neither the
    # value nor any derivative of the masked branch can be NaN.
    zero = x == 0
    safe = where(zero, 1.0, x)
    return where(zero, 0.0, out * log(safe))


power.defvjp(lambda g, out, x, y: _mul_opt(g, _power_dx(out, x, y)),
             lambda g, out, x, y: g * _power_dy(out, x, y))
power.defjvp(lambda dx, out, x, y: _mul_opt(dx, _power_dx(out, x, y)),
             lambda dy, out, x, y: dy * _power_dy(out, x, y))
power.formula(definition=r"z = x^y", derivative=r"\partial z/\partial x = y x^{y-1},\ \partial z/\partial y = x^y\log x",
              convention=r"\partial_x x^0 = 0;\ \partial_y x^y = 0 \text{ at } x = 0")


def _mul_opt(a, b):
    return None if b is None else a * b


@elementwise
def square(x):
    r"""Square :math:`y = x^2`.

    .. math:: \frac{dy}{dx} = 2x
    """
    return x * x


square.partials(lambda out, x: 2.0 * x)
square.formula(definition=r"y = x^2", derivative=r"dy/dx = 2x")


@elementwise
def reciprocal(x):
    r"""Reciprocal :math:`y = 1/x`, defined for :math:`x \ne 0`.

    .. math:: \frac{dy}{dx} = -\frac{1}{x^2} = -y^2
    """
    return 1 / x


reciprocal.partials(lambda out, x: -(out * out))
reciprocal.formula(definition=r"y = 1/x", derivative=r"dy/dx = -y^2")


@elementwise
def sqrt(x):
    r"""Square root :math:`y = \sqrt{x}`, defined for :math:`x \ge 0`.

    .. math:: \frac{dy}{dx} = \frac{1}{2\sqrt x} = \frac{1}{2y}

    The derivative is infinite at :math:`x = 0`.
    """
    return xp(x).sqrt(x)


sqrt.partials(lambda out, x: 0.5 / out)
sqrt.formula(definition=r"y = \sqrt{x}", derivative=r"dy/dx = 1/(2y)")


# ----------------------------------------------------------------------------- exp and log
@elementwise
def exp(x):
    r"""Exponential :math:`y = e^x`.

    .. math:: \frac{dy}{dx} = e^x = y
    """
    return xp(x).exp(x)


exp.partials(lambda out, x: out)
exp.formula(definition=r"y = e^x", derivative=r"dy/dx = y")


@elementwise
def expm1(x):
    r""":math:`y = e^x - 1`, accurate for small :math:`|x|` (where :math:`e^x - 1` cancels).

    .. math:: \frac{dy}{dx} = e^x = y + 1
    """
    return xp(x).expm1(x)


expm1.partials(lambda out, x: out + 1.0)
expm1.formula(definition=r"y = e^x - 1", derivative=r"dy/dx = y + 1")


@elementwise
def log(x):
    r"""Natural logarithm :math:`y = \log x`, defined for :math:`x > 0`.

    .. math:: \frac{dy}{dx} = \frac1x
    """
    return xp(x).log(x)


log.partials(lambda out, x: reciprocal(x))
log.formula(definition=r"y = \log x", derivative=r"dy/dx = 1/x")


@elementwise
def log1p(x):
    r""":math:`y = \log(1 + x)`, accurate for small :math:`|x|`; defined for :math:`x > -1`.

    .. math:: \frac{dy}{dx} = \frac{1}{1 + x}
    """
    return xp(x).log1p(x)


log1p.partials(lambda out, x: reciprocal(1.0 + x))
log1p.formula(definition=r"y = \log(1 + x)", derivative=r"dy/dx = 1/(1+x)")


@elementwise
def logaddexp(x, y):
    r""":math:`z = \log(e^x + e^y)`, computed without overflow.

    .. math:: \frac{\partial z}{\partial x} = e^{x - z} = \sigma(x - y),\quad
              \frac{\partial z}{\partial y} = e^{y - z}
    """
    return xp(x, y).logaddexp(x, y)


logaddexp.partials(lambda out, x, y: exp(x - out), lambda out, x, y: exp(y - out))
logaddexp.formula(definition=r"z = \log(e^x + e^y)", derivative=r"\partial z/\partial x = e^{x-z}")


# ----------------------------------------------------------------------------- trigonometric
@elementwise
def sin(x):
    r"""Sine.

    .. math:: \frac{d}{dx}\sin x = \cos x
    """
    return xp(x).sin(x)


@elementwise
def cos(x):
    r"""Cosine.

    .. math:: \frac{d}{dx}\cos x = -\sin x
    """
    return xp(x).cos(x)


sin.partials(lambda out, x: cos(x))
sin.formula(definition=r"y = \sin x", derivative=r"dy/dx = \cos x")
cos.partials(lambda out, x: -sin(x))
cos.formula(definition=r"y = \cos x", derivative=r"dy/dx = -\sin x")


@elementwise
def tan(x):
    r"""Tangent, defined for :math:`x \ne \pi/2 + k\pi`.

    .. math:: \frac{d}{dx}\tan x = 1 + \tan^2 x = 1 + y^2
    """
    return xp(x).tan(x)


tan.partials(lambda out, x: 1.0 + out * out)
tan.formula(definition=r"y = \tan x", derivative=r"dy/dx = 1 + y^2")


@elementwise
def arcsin(x):
    r"""Inverse sine on :math:`[-1, 1]`.

    .. math:: \frac{d}{dx}\arcsin x = \frac{1}{\sqrt{1 - x^2}}
    """
    return xp(x).arcsin(x)


arcsin.partials(lambda out, x: reciprocal(sqrt(1.0 - x * x)))
arcsin.formula(definition=r"y = \arcsin x", derivative=r"dy/dx = 1/\sqrt{1-x^2}")


@elementwise
def arccos(x):
    r"""Inverse cosine on :math:`[-1, 1]`.

    .. math:: \frac{d}{dx}\arccos x = -\frac{1}{\sqrt{1 - x^2}}
    """
    return xp(x).arccos(x)


arccos.partials(lambda out, x: -reciprocal(sqrt(1.0 - x * x)))
arccos.formula(definition=r"y = \arccos x", derivative=r"dy/dx = -1/\sqrt{1-x^2}")


@elementwise
def arctan(x):
    r"""Inverse tangent.

    .. math:: \frac{d}{dx}\arctan x = \frac{1}{1 + x^2}
    """
    return xp(x).arctan(x)


arctan.partials(lambda out, x: reciprocal(1.0 + x * x))
arctan.formula(definition=r"y = \arctan x", derivative=r"dy/dx = 1/(1+x^2)")


@elementwise
def arctan2(y, x):
    r"""The angle :math:`\theta = \operatorname{atan2}(y, x)` of the point :math:`(x, y)`, in :math:`(-\pi, \pi]`.

    .. math:: \frac{\partial\theta}{\partial y} = \frac{x}{x^2 + y^2},\quad
              \frac{\partial\theta}{\partial x} = -\frac{y}{x^2 + y^2}
    """
    return xp(y, x).arctan2(y, x)


arctan2.partials(lambda out, y, x: x / (x * x + y * y), lambda out, y, x: -y / (x * x + y * y))
arctan2.formula(definition=r"\theta = \operatorname{atan2}(y, x)",
                derivative=r"\partial\theta/\partial y = x/(x^2+y^2),\ \partial\theta/\partial x = -y/(x^2+y^2)")


# ----------------------------------------------------------------------------- hyperbolic
@elementwise
def sinh(x):
    r"""Hyperbolic sine.

    .. math:: \frac{d}{dx}\sinh x = \cosh x
    """
    return xp(x).sinh(x)


@elementwise
def cosh(x):
    r"""Hyperbolic cosine.

    .. math:: \frac{d}{dx}\cosh x = \sinh x
    """
    return xp(x).cosh(x)


sinh.partials(lambda out, x: cosh(x))
sinh.formula(definition=r"y = \sinh x", derivative=r"dy/dx = \cosh x")
cosh.partials(lambda out, x: sinh(x))
cosh.formula(definition=r"y = \cosh x", derivative=r"dy/dx = \sinh x")


@elementwise
def tanh(x):
    r"""Hyperbolic tangent :math:`y = \tanh x`.

    .. math:: \frac{dy}{dx} = 1 - \tanh^2 x = 1 - y^2
    """
    return xp(x).tanh(x)


tanh.partials(lambda out, x: 1.0 - out * out)
tanh.formula(definition=r"y = \tanh x", derivative=r"dy/dx = 1 - y^2")


# ----------------------------------------------------------------------------- special functions
@elementwise
def erf(x):
    r"""Error function :math:`\operatorname{erf} x = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt`.

    .. math:: \frac{d}{dx}\operatorname{erf} x = \frac{2}{\sqrt\pi} e^{-x^2}
    """
    return special(x).erf(x)


erf.partials(lambda out, x: (2.0 / math.sqrt(math.pi)) * exp(-(x * x)))
erf.formula(definition=r"y = \tfrac{2}{\sqrt\pi}\int_0^x e^{-t^2}dt", derivative=r"dy/dx = \tfrac{2}{\sqrt\pi}e^{-x^2}")


@elementwise
def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1/(1 + e^{-x})`, without overflow for large :math:`|x|`.

    .. math:: \sigma'(x) = \sigma(x)\,(1 - \sigma(x))
    """
    return special(x).expit(x)


sigmoid.partials(lambda out, x: out * (1.0 - out))
sigmoid.formula(definition=r"\sigma(x) = 1/(1+e^{-x})", derivative=r"\sigma' = \sigma(1-\sigma)")


@elementwise
def softplus(x):
    r"""Softplus :math:`y = \log(1 + e^x)`, computed as ``logaddexp(0, x)`` so it never overflows.

    .. math:: \frac{dy}{dx} = \sigma(x)
    """
    return xp(x).logaddexp(0, x)


softplus.partials(lambda out, x: sigmoid(x))
softplus.formula(definition=r"y = \log(1+e^x)", derivative=r"dy/dx = \sigma(x)")


@linear(linear_args=(1, 2), elementwise_op=True)
def where(cond, x, y):
    r"""Select :math:`z = x` where ``cond`` holds, else :math:`y`.

    .. math:: \bar x = [\mathrm{cond}]\,\bar z,\quad \bar y = [\lnot\mathrm{cond}]\,\bar z

    Linear in ``(x, y)``; ``cond`` receives no gradient.  A NaN in the branch that
    is *not* selected does not reach the gradient of the selected one, but the
    unselected branch's own derivative is still computed: evaluate a function that
    is undefined somewhere at a safe point there ("double where").
    """
    return xp(x, y).where(cond, x, y)


where.transposes(None, lambda g, out, c, x, y: where(c, g, 0.0), lambda g, out, c, x, y: where(c, 0.0, g))
where.defjvp_joint(lambda ts, out, c, x, y: where(c, 0.0 if ts[1] is None else ts[1], 0.0 if ts[2] is None else ts[2]))
where.formula(definition=r"z = \mathrm{cond}\ ?\ x : y", derivative=r"\bar x = [c]\bar z,\ \bar y = [\lnot c]\bar z")


# ----------------------------------------------------------------------------- dtype
@linear(name="astype", elementwise_op=True)
def _astype(x, dtype):
    return x.astype(dtype, copy=False)


_astype.transposes(lambda g, out, x, dtype: astype(g, x.dtype))
_astype.formula(definition=r"y = \mathrm{cast}(x)", derivative=r"\bar x = \mathrm{cast}^{-1}(\bar y)")


@nondifferentiable(name="astype_nondiff", elementwise_op=True)
def _astype_constant(x, dtype):
    return x.astype(dtype, copy=False)


def astype(x, dtype):
    """Convert to ``dtype``; differentiable between floating dtypes, a constant otherwise."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and x.dtype.kind == "f":
        return x if x.dtype == dtype else _astype(x, dtype=dtype)
    return _astype_constant(x, dtype=dtype)


astype.primitive = _astype


# ----------------------------------------------------------------------------- comparisons (boolean results)
def _nondiff_elementwise(name, fn, doc):
    op = nondifferentiable(fn, name=name, elementwise_op=True)
    op.__doc__ = doc
    return op


equal = _nondiff_elementwise("equal", lambda x, y: x == y, "x == y, elementwise (boolean).")
not_equal = _nondiff_elementwise("not_equal", lambda x, y: x != y, "x != y, elementwise (boolean).")
less = _nondiff_elementwise("less", lambda x, y: x < y, "x < y, elementwise (boolean).")
less_equal = _nondiff_elementwise("less_equal", lambda x, y: x <= y, "x <= y, elementwise (boolean).")
greater = _nondiff_elementwise("greater", lambda x, y: x > y, "x > y, elementwise (boolean).")
greater_equal = _nondiff_elementwise("greater_equal", lambda x, y: x >= y, "x >= y, elementwise (boolean).")
logical_and = _nondiff_elementwise("logical_and", lambda x, y: xp(x).logical_and(x, y), "Elementwise AND.")
logical_or = _nondiff_elementwise("logical_or", lambda x, y: xp(x).logical_or(x, y), "Elementwise OR.")
logical_not = _nondiff_elementwise("logical_not", lambda x: xp(x).logical_not(x), "Elementwise NOT.")
isnan = _nondiff_elementwise("isnan", lambda x: xp(x).isnan(x), "True where x is NaN.")
isfinite = _nondiff_elementwise("isfinite", lambda x: xp(x).isfinite(x), "True where x is finite.")


def _broadcast_error(op: str, x, y) -> ShapeError:
    from ..errors import fmt_shape
    return ShapeError(f"{op}: shapes {fmt_shape(np.shape(x))} and {fmt_shape(np.shape(y))} cannot be broadcast "
                      f"together (aligned from the right, each pair of dimensions must be equal or 1)")


# PyTorch's short names for the arithmetic (``torch.sub``, ``torch.mul``, ...): the same
# primitives under a second name, so ``cr.mul is cr.multiply``; NumPy's names stay the ones
# the catalogue shows.  ``pow`` shadows the builtin in this module only (nothing here uses it).
sub, mul, div, neg, pow = subtract, multiply, divide, negative, power  # noqa: A001

# The functions that are also Tensor methods (``x.exp()``), wired in ``ops/__init__.py``.
# The arithmetic is there under PyTorch's names (``x.add(y)``, ``x.mul(y)``), next to the
# operators.
TENSOR_METHODS = {
    "add": add, "sub": subtract, "mul": multiply, "div": divide, "neg": negative,
    "exp": exp, "expm1": expm1, "log": log, "log1p": log1p, "sqrt": sqrt, "square": square,
    "reciprocal": reciprocal, "sin": sin, "cos": cos, "tan": tan, "arcsin": arcsin, "arccos": arccos,
    "arctan": arctan, "sinh": sinh, "cosh": cosh, "tanh": tanh, "sigmoid": sigmoid, "softplus": softplus,
    "erf": erf, "astype": astype, "pow": power,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
