r"""Piecewise functions: kinks, ties and steps, and the derivative chosen at each.

Each function here is smooth except on a set of measure zero — a kink (``abs``,
``relu``), a tie (``maximum``, ``minimum``), the edges of an interval (``clip``) — or
constant between jumps (``sign``, ``floor``, ``ceil``, ``round``).  Away from those
points the derivative is the obvious one; *at* them it does not exist, and a value is
chosen, documented, and used the same way in reverse and forward mode:

=================  ==========================================================
``abs``            :math:`|x|'(0) = 0`
``relu``           :math:`\operatorname{relu}'(0) = 0`
``maximum``        ties split evenly: :math:`\partial_x = \partial_y = \tfrac12` where :math:`x = y`
``minimum``        ties split evenly, as ``maximum``
``clip``           derivative 1 on the closed interval :math:`lo \le x \le hi` (PyTorch's ``clamp``)
``sign, floor,``   derivative 0 everywhere (they are constant almost everywhere)
``ceil, round``
=================  ==========================================================

(PyTorch users meet three different answers at 0 — ``relu`` gives 0, ``maximum`` 0.5,
``clamp_min`` 1 — pytorch#184572; chainrule states its choice for each, above.)

Each of these primitives also declares where its kinks are (``.kinks``), so that inside
``with cr.detect_kinks():`` taking a derivative exactly there warns
(:class:`~chainrule.errors.KinkWarning`), naming the operation, how many points sit on the
kink and the convention taken — a derivative at a kink is a choice, and it should be seen.
"""
from __future__ import annotations

from ..autodiff.primitive import elementwise, linear
from ..backend import xp
from .elementwise import _ind, _nondiff_elementwise, logical_and, logical_or


# ----------------------------------------------------------------------------- kinks and ties
@elementwise
def abs(x):  # noqa: A001  (the mathematical name)
    r"""Absolute value :math:`|x|`.

    .. math:: \frac{d}{dx}|x| = \operatorname{sign} x, \qquad |x|'(0) = 0
    """
    return xp(x).abs(x)


abs.partials(lambda out, x: sign(x))
abs.formula(definition=r"y = |x|", derivative=r"dy/dx = \operatorname{sign} x", convention=r"|x|'(0) = 0")
abs.kinks(lambda x: x == 0, "x = 0")


@elementwise
def relu(x):
    r"""Rectified linear unit :math:`y = \max(x, 0)`.

    .. math:: \frac{dy}{dx} = [x > 0], \qquad \operatorname{relu}'(0) = 0

    Convention: the derivative at the kink is 0 (PyTorch's and JAX's choice), so a unit
    that is exactly 0 passes no gradient; its second derivative is 0 everywhere.
    """
    ns = xp(x)
    # Against a row of zeros, not the scalar 0: NumPy 2's maximum has a vectorized loop for
    # a broadcast row but not for a broadcast scalar, and is half as fast there (at 128×512
    # in float32, 25 µs against 52 µs; an addition takes 16 µs).
    return ns.maximum(x, ns.zeros(x.shape[-1:], x.dtype))


@linear(name="relu_mask", linear_args=(0,), elementwise_op=True)
def _relu_mask(g, x):
    r"""``g`` where ``x > 0`` and 0 elsewhere, :math:`g \odot [x > 0]`: relu's derivative
    applied to a cotangent or a tangent, as one primitive (PyTorch's ``threshold_backward``).

    .. math:: \frac{\partial}{\partial g} = [x > 0], \qquad \frac{\partial}{\partial x} = 0

    Linear in ``g``, and its own adjoint; piecewise constant in ``x``, so ``x`` receives
    no derivative.  One primitive instead of a comparison and a product: every ReLU layer
    runs it in the backward pass.
    """
    # The indicator stays boolean: NumPy multiplies a float array by a boolean mask in one
    # pass (29 µs at 128×512 in float32, against 36 µs after a cast, 280 µs for numpy.where).
    return g * (x > 0)


_relu_mask.transposes(lambda ct, out, g, x: _relu_mask(ct, x), None)
_relu_mask.formula(definition=r"y = g \odot [x > 0]", derivative=r"\bar g = \bar y \odot [x > 0],\ \bar x = 0")

relu.defvjp(lambda g, out, x: _relu_mask(g, x))
relu.defjvp(lambda dx, out, x: _relu_mask(dx, x))
relu.formula(definition=r"y = \max(x, 0)", derivative=r"dy/dx = [x > 0]", convention=r"\operatorname{relu}'(0) = 0")
relu.kinks(lambda x: x == 0, "x = 0")


@elementwise
def maximum(x, y):
    r"""Elementwise maximum :math:`z = \max(x, y)`.

    .. math:: \frac{\partial z}{\partial x} = [x > y] + \tfrac12 [x = y]

    Ties split the gradient evenly between the two operands.
    """
    return xp(x, y).maximum(x, y)


@elementwise
def minimum(x, y):
    r"""Elementwise minimum :math:`z = \min(x, y)`.

    .. math:: \frac{\partial z}{\partial x} = [x < y] + \tfrac12 [x = y]

    Ties split the gradient evenly between the two operands.
    """
    return xp(x, y).minimum(x, y)


def _share(wins, ties, like):
    return _ind(wins, like) + 0.5 * _ind(ties, like)


maximum.partials(lambda out, x, y: _share(x > y, x == y, out), lambda out, x, y: _share(y > x, x == y, out))
maximum.formula(definition=r"z = \max(x, y)", derivative=r"\partial z/\partial x = [x>y] + \tfrac12[x=y]",
                convention="ties split evenly")
minimum.partials(lambda out, x, y: _share(x < y, x == y, out), lambda out, x, y: _share(y < x, x == y, out))
minimum.formula(definition=r"z = \min(x, y)", derivative=r"\partial z/\partial x = [x<y] + \tfrac12[x=y]",
                convention="ties split evenly")
for _tied in (maximum, minimum):
    _tied.kinks(lambda x, y: x == y, "x = y (a tie)")


@elementwise(name="clip")
def _clip(x, lo, hi):
    return xp(x).clip(x, lo, hi)


def _clip_dx(out, x, lo, hi):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        inside = (x <= hi) if inside is None else logical_and(inside, x <= hi)
    return _ind(inside, out) if inside is not None else 1.0


def _clip_dlo(out, x, lo, hi):
    below = x < lo
    if hi is not None:
        # With lo > hi the result is hi everywhere (NumPy's clip, PyTorch's clamp), so the
        # lower bound is never the active one there.
        below = logical_and(below, lo <= hi)
    return _ind(below, out)


def _clip_dhi(out, x, lo, hi):
    above = x > hi
    if lo is not None:
        above = logical_or(above, lo > hi)
    return _ind(above, out)


_clip.partials(_clip_dx, _clip_dlo, _clip_dhi)
_clip.formula(definition=r"y = \min(\max(x, lo), hi)",
              derivative=(r"dy/dx = [lo \le x \le hi],\ \partial y/\partial lo = [x < lo],"
                          r"\ \partial y/\partial hi = [x > hi]"),
              convention="derivative 1 on the closed interval; where lo > hi, y = hi")


def _at_a_bound(x, lo, hi):
    """Where ``x`` equals an active bound of ``clip`` (the kinks of its derivative in ``x``)."""
    at = xp(x).zeros(x.shape, bool)
    if lo is not None:
        at = at | (x == lo)
    if hi is not None:
        at = at | (x == hi)
    return at


_clip.kinks(_at_a_bound, "x at a bound")


def clip(x, min=None, max=None):  # noqa: A002  (NumPy/PyTorch argument names)
    r"""Clamp every element into :math:`[\mathrm{min}, \mathrm{max}]` (either bound may be ``None``).

    .. math:: \frac{dy}{dx} = [\mathrm{min} \le x \le \mathrm{max}]

    Convention: the derivative is 1 on the *closed* interval, as PyTorch's ``clamp``.
    Tensor bounds receive the gradient where they are active,

    .. math:: \frac{\partial y}{\partial\,\mathrm{min}} = [x < \mathrm{min}],\qquad
              \frac{\partial y}{\partial\,\mathrm{max}} = [x > \mathrm{max}],

    and where ``min > max`` the result is ``max`` (as in NumPy and PyTorch), so only
    ``max`` receives the gradient there.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return _clip(x, min, max)


clip.primitive = _clip


# ----------------------------------------------------------------------------- piecewise constant
sign = _nondiff_elementwise("sign", lambda x: xp(x).sign(x), "Sign of each element (-1, 0 or 1); derivative 0.")
floor = _nondiff_elementwise("floor", lambda x: xp(x).floor(x), "Largest integer ≤ x; derivative 0.")
ceil = _nondiff_elementwise("ceil", lambda x: xp(x).ceil(x), "Smallest integer ≥ x; derivative 0.")
round = _nondiff_elementwise("round", lambda x: xp(x).round(x),  # noqa: A001
                             "Round half to even (NumPy's rule); derivative 0.")


# The functions that are also Tensor methods (``x.abs()``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {
    "abs": abs, "relu": relu, "maximum": maximum, "minimum": minimum, "clip": clip, "clamp": clip,
    "sign": sign, "floor": floor, "ceil": ceil, "round": round,
}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
