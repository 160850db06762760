r"""Special functions of probability and statistics (``scipy.special``), as differentiable primitives.

The values come from SciPy's (or CuPy's) kernels, which are accurate where a composite
of elementary functions is not (``gammaln`` for large arguments, ``log_ndtr`` in the far
left tail, ``erfinv`` near :math:`\pm 1`).  The derivatives are written with chainrule's
own operations, and most of them with the functions of this chapter, so every one of
them can be differentiated again:

=================  ===========================================================================
function           derivative
=================  ===========================================================================
``gammaln``        :math:`\psi(x)` (``digamma``)
``digamma``        :math:`\psi_1(x)` (``polygamma(1, x)``)
``polygamma``      :math:`\psi_{n+1}(x)`
``betaln``         :math:`\psi(a) - \psi(a + b)`, :math:`\psi(b) - \psi(a + b)`
``erfc``           :math:`-\tfrac{2}{\sqrt\pi} e^{-x^2}`
``erfinv``         :math:`\tfrac{\sqrt\pi}{2} e^{\operatorname{erfinv}(x)^2}`
``ndtr``           :math:`\varphi(x)`
``log_ndtr``       :math:`\varphi(x) / \Phi(x)`, formed as :math:`e^{\log\varphi(x) - \log\Phi(x)}`
``ndtri``          :math:`1 / \varphi(\Phi^{-1}(p))`
``xlogy``          :math:`\log y` and :math:`x / y` (0 and 0 at :math:`x = y = 0`)
``xlog1py``        :math:`\log(1 + y)` and :math:`x / (1 + y)`
=================  ===========================================================================

The distribution functions of the Gamma, Beta and Student's t families (``gammainc``,
``betainc``, ``stdtr``, their complements and inverses) are the next chapter,
:mod:`chainrule.ops.incomplete`, with their derivatives in the shape parameters.

**Conventions at the edges.**  ``xlogy(0, y) = 0`` and ``xlog1py(0, y) = 0`` for every
:math:`y`, including :math:`y = 0` (resp. :math:`y = -1`), as in SciPy.  The derivatives are
the true ones wherever they exist, also at :math:`x = 0` with :math:`y > 0`
(:math:`\partial_x = \log y`, :math:`\partial_y = 0`): a Gamma log density with shape exactly 1
has the right gradient.  At the corner :math:`x = y = 0` (the term :math:`p\log p` of an
impossible outcome) both derivatives are taken as 0, so no NaN enters a gradient.
(PyTorch instead sets :math:`\partial_x = 0` at every :math:`x = 0`.)
"""
from __future__ import annotations

import math
import numbers

from ..autodiff.primitive import elementwise
from ..backend import special
from .elementwise import exp, log, log1p, where

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _same_dtype(result, like):
    """SciPy returns float64 for some float32 inputs (``polygamma``): keep the input's dtype."""
    dtype = getattr(like, "dtype", None)
    if dtype is not None and dtype.kind == "f" and result.dtype != dtype:
        return result.astype(dtype)
    return result


# ----------------------------------------------------------------------------- gamma and beta
@elementwise
def gammaln(x):
    r"""Logarithm of the absolute value of the gamma function, :math:`\log|\Gamma(x)|`.

    .. math:: \frac{d}{dx}\log\Gamma(x) = \psi(x)

    Defined for :math:`x` not a non-positive integer (poles of :math:`\Gamma`).  PyTorch's
    ``lgamma``.
    """
    return special(x).gammaln(x)


@elementwise(name="polygamma")
def _polygamma(x, n):
    return _same_dtype(special(x).polygamma(n, x), x)


def digamma(x):
    r"""The digamma function :math:`\psi(x) = \frac{d}{dx}\log\Gamma(x)`.

    .. math:: \psi'(x) = \psi_1(x) \quad\text{(the trigamma function)}

    Defined for :math:`x` not a non-positive integer.  Computed as ``polygamma(0, x)``,
    whose derivative is ``polygamma(1, x)``.
    """
    return _polygamma(x, n=0)


def polygamma(n: int, x):
    r"""The polygamma function :math:`\psi_n(x) = \frac{d^{n+1}}{dx^{n+1}}\log\Gamma(x)`.

    .. math:: \frac{d}{dx}\psi_n(x) = \psi_{n+1}(x)

    ``n`` is a non-negative integer (not differentiated); :math:`\psi_0 = \psi` is the
    digamma and :math:`\psi_1` the trigamma function.  Argument order as SciPy and
    ``torch.polygamma``.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"polygamma: the order n must be a non-negative integer, got {n!r}")
    return _polygamma(x, n=int(n))


digamma.primitive = _polygamma
polygamma.primitive = _polygamma

gammaln.partials(lambda out, x: digamma(x))
gammaln.formula(definition=r"y = \log|\Gamma(x)|", derivative=r"dy/dx = \psi(x)")
_polygamma.partials(lambda out, x, n: polygamma(n + 1, x))
_polygamma.formula(definition=r"y = \psi_n(x) = \frac{d^{n+1}}{dx^{n+1}}\log\Gamma(x)",
                   derivative=r"dy/dx = \psi_{n+1}(x)")


@elementwise
def betaln(a, b):
    r"""Logarithm of the beta function, :math:`\log B(a, b) = \log\Gamma(a) + \log\Gamma(b) - \log\Gamma(a + b)`.

    .. math:: \frac{\partial}{\partial a}\log B(a, b) = \psi(a) - \psi(a + b),\qquad
              \frac{\partial}{\partial b}\log B(a, b) = \psi(b) - \psi(a + b)

    Defined for :math:`a, b > 0`.  SciPy's kernel avoids the cancellation of the three
    log-gammas when :math:`a` or :math:`b` is large.
    """
    return special(a, b).betaln(a, b)


betaln.partials(lambda out, a, b: digamma(a) - digamma(a + b), lambda out, a, b: digamma(b) - digamma(a + b))
betaln.formula(definition=r"y = \log B(a, b)",
               derivative=r"\partial y/\partial a = \psi(a) - \psi(a+b),\ \partial y/\partial b = \psi(b) - \psi(a+b)")


# ----------------------------------------------------------------------------- error function and normal
@elementwise
def erfc(x):
    r"""Complementary error function :math:`\operatorname{erfc} x = 1 - \operatorname{erf} x`,
    accurate where :math:`\operatorname{erf} x` is close to 1.

    .. math:: \frac{d}{dx}\operatorname{erfc} x = -\frac{2}{\sqrt\pi} e^{-x^2}
    """
    return special(x).erfc(x)


erfc.partials(lambda out, x: (-2.0 / math.sqrt(math.pi)) * exp(-(x * x)))
erfc.formula(definition=r"y = 1 - \operatorname{erf} x", derivative=r"dy/dx = -\tfrac{2}{\sqrt\pi}e^{-x^2}")


@elementwise
def erfinv(x):
    r"""Inverse error function on :math:`(-1, 1)`: :math:`\operatorname{erf}(\operatorname{erfinv} x) = x`.

    .. math:: \frac{d}{dx}\operatorname{erfinv} x = \frac{\sqrt\pi}{2}\, e^{(\operatorname{erfinv} x)^2}

    :math:`\pm 1` map to :math:`\pm\infty`; outside :math:`[-1, 1]` the value is NaN.
    """
    return special(x).erfinv(x)


erfinv.partials(lambda out, x: (0.5 * math.sqrt(math.pi)) * exp(out * out))
erfinv.formula(definition=r"\operatorname{erf}(y) = x", derivative=r"dy/dx = \tfrac{\sqrt\pi}{2}e^{y^2}")


@elementwise
def ndtr(x):
    r"""Standard normal distribution function :math:`\Phi(x) = \int_{-\infty}^x \varphi(t)\,dt`,
    with :math:`\varphi(t) = e^{-t^2/2}/\sqrt{2\pi}`.

    .. math:: \Phi'(x) = \varphi(x)
    """
    return special(x).ndtr(x)


ndtr.partials(lambda out, x: exp(-0.5 * (x * x) - _LOG_SQRT_2PI))
ndtr.formula(definition=r"y = \Phi(x)", derivative=r"dy/dx = \varphi(x) = e^{-x^2/2}/\sqrt{2\pi}")


@elementwise
def log_ndtr(x):
    r""":math:`\log\Phi(x)`, accurate in the far left tail (where :math:`\Phi(x)` underflows).

    .. math:: \frac{d}{dx}\log\Phi(x) = \frac{\varphi(x)}{\Phi(x)} = e^{\log\varphi(x) - \log\Phi(x)}

    The ratio is formed from the two logarithms, so it stays finite (about :math:`-x`)
    for large negative :math:`x`, where both :math:`\varphi` and :math:`\Phi` underflow.
    """
    return special(x).log_ndtr(x)


log_ndtr.partials(lambda out, x: exp(-0.5 * (x * x) - _LOG_SQRT_2PI - out))
log_ndtr.formula(definition=r"y = \log\Phi(x)", derivative=r"dy/dx = e^{\log\varphi(x) - y}")


@elementwise
def ndtri(p):
    r"""Standard normal quantile function :math:`\Phi^{-1}(p)` on :math:`(0, 1)`.

    .. math:: \frac{d}{dp}\Phi^{-1}(p) = \frac{1}{\varphi(\Phi^{-1}(p))} = \sqrt{2\pi}\, e^{y^2/2}
    """
    return special(p).ndtri(p)


ndtri.partials(lambda out, p: _SQRT_2PI * exp(0.5 * (out * out)))
ndtri.formula(definition=r"\Phi(y) = p", derivative=r"dy/dp = \sqrt{2\pi}\,e^{y^2/2}")


# ----------------------------------------------------------------------------- x log y
@elementwise(name="xlogy")
def _xlogy(x, y):
    return special(x, y).xlogy(x, y)


@elementwise(name="xlog1py")
def _xlog1py(x, y):
    return special(x, y).xlog1py(x, y)


def _as_operands(x, y):
    """Numbers become tensors of the other operand's dtype, so the rules can compare ``x == 0``."""
    from .creation import as_tensor
    from ..tensor import Tensor
    dtype = next((t.dtype for t in (x, y) if isinstance(t, Tensor) and t.dtype.kind == "f"), None)
    return as_tensor(x, dtype=dtype if not isinstance(x, Tensor) else None), \
        as_tensor(y, dtype=dtype if not isinstance(y, Tensor) else None)


def xlogy(x, y):
    r""":math:`x \log y`, with the convention :math:`0 \log y = 0` for every :math:`y` (also :math:`y = 0`).

    .. math:: \frac{\partial}{\partial x} = \log y,\qquad \frac{\partial}{\partial y} = \frac{x}{y}

    Convention at the corner :math:`x = y = 0`: both derivatives are 0, so the entropy term
    :math:`p\log p` of an impossible outcome passes no NaN into a gradient.  Elsewhere the
    derivatives are exact, also at :math:`x = 0` (where :math:`\partial_x = \log y`; PyTorch
    returns 0 there).
    """
    return _xlogy(*_as_operands(x, y))


def xlog1py(x, y):
    r""":math:`x \log(1 + y)`, with :math:`0 \log(1 + y) = 0` for every :math:`y` (also :math:`y = -1`).

    .. math:: \frac{\partial}{\partial x} = \log(1 + y),\qquad \frac{\partial}{\partial y} = \frac{x}{1 + y}

    Accurate for small :math:`|y|`.  At the corner :math:`x = 0, y = -1` both derivatives are 0.
    """
    return _xlog1py(*_as_operands(x, y))


xlogy.primitive = _xlogy
xlog1py.primitive = _xlog1py


def _safe_at_corner(x, y, corner_y):
    """``y`` with the corner ``(x, y) = (0, corner_y)`` replaced by a point where ``log`` is finite
    (double where), so that neither a value nor a derivative there is NaN."""
    corner = (x == 0) & (y == corner_y)
    return where(corner, corner_y + 1.0, y)


_xlogy.partials(lambda out, x, y: log(_safe_at_corner(x, y, 0.0)),
                lambda out, x, y: x / _safe_at_corner(x, y, 0.0))
_xlogy.formula(definition=r"z = x\log y,\ 0\log y = 0", derivative=r"\partial_x z = \log y,\ \partial_y z = x/y",
               convention=r"\partial_x z = \partial_y z = 0 \text{ at } x = y = 0")
_xlog1py.partials(lambda out, x, y: log1p(_safe_at_corner(x, y, -1.0)),
                  lambda out, x, y: x / (1.0 + _safe_at_corner(x, y, -1.0)))
_xlog1py.formula(definition=r"z = x\log(1+y),\ 0\log(1+y) = 0",
                 derivative=r"\partial_x z = \log(1+y),\ \partial_y z = x/(1+y)",
                 convention=r"\partial_x z = \partial_y z = 0 \text{ at } x = 0,\ y = -1")


# The functions that are also Tensor methods (PyTorch's method names).
TENSOR_METHODS = {"lgamma": gammaln, "digamma": digamma, "erfc": erfc, "erfinv": erfinv, "xlogy": xlogy}

__all__ = ["gammaln", "digamma", "polygamma", "betaln", "erfc", "erfinv", "ndtr", "log_ndtr", "ndtri",
           "xlogy", "xlog1py"]
