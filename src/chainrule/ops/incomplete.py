r"""The regularized incomplete gamma and beta functions and Student's t distribution function
(the distribution functions of the Gamma, Beta and Student's t families), with their inverses,
differentiable in every argument.

The values come from SciPy's (or CuPy's) kernels.  The derivatives in :math:`x` are the
densities; those in the *shape parameters* have no closed form and are primitives of their
own, :func:`gammainc_da` and :func:`betainc_dab`, computed by series and continued fractions
(:mod:`chainrule.ops.incomplete_series`):

==================  ==========================================================================
function            derivative
==================  ==========================================================================
``gammainc``        in :math:`x`: the Gamma density; in :math:`a`: ``gammainc_da``
``gammaincc``       minus the same
``gammaincinv``     implicit function theorem: :math:`-\partial_a P / \partial_x P` and :math:`1/\partial_x P`
``betainc``         in :math:`x`: the Beta density; in :math:`a, b`: ``betainc_dab``
``betaincinv``      implicit function theorem, as ``gammaincinv``
``stdtr``           in :math:`t`: Student's t density; in :math:`\nu`: through ``betainc_dab``
``stdtrit``         implicit function theorem, as ``gammaincinv``
``gammainc_da``     in :math:`a`: ``gammainc_da`` of one order more; in :math:`x`: :math:`\partial_a^n` of the density
``betainc_dab``     the same, for :math:`I_x(a, b)`
==================  ==========================================================================

**Orders.**  The kernels give first and second derivatives in the shape parameters, so every
function here is twice differentiable in all its arguments (Hessians, Newton steps on a
shape parameter); a third derivative in a shape parameter raises
:class:`NotImplementedError` naming the operation.  Derivatives in :math:`x` and
:math:`t` go to any order.

**Accuracy** of the shape derivatives, against mpmath at 40 digits
(tests/special/test_shape_derivatives.py, grids to :math:`10^{-100}` tails and shape
parameters up to :math:`10^3`): first derivatives to :math:`10^{-13}` relative, the worst
(:math:`10^{-12}`) exactly SciPy's own error in the value of :math:`Q(10^3, x) \sim 10^{-100}`,
which multiplies the logarithmic derivative; second derivatives to :math:`10^{-12}` relative
to their natural scale :math:`|F|(L_a^2 + |L_{aa}|)` (with :math:`L = \partial\log F`; near one
of its zeros, such as :math:`\partial_a^2 P` at :math:`x \approx a`, a second derivative has a
larger relative error).  Where SciPy's value is poor (:math:`F < 10^{-260}`, or :math:`P` in
the far tails for :math:`a \gtrsim 10^6`) so is the derivative; logarithmic derivatives
(:math:`\partial_a F / F`, as in a gradient of ``log_cdf``) keep their accuracy there.
:math:`\partial F_\nu(t)/\partial\nu` is of order :math:`\nu^{-2}`, the difference of two terms
of order :math:`\nu^{-1}`: :math:`10^{-13}` up to :math:`\nu = 100`, :math:`4\cdot10^{-12}` at
:math:`10^3`, :math:`4\cdot10^{-10}` at :math:`10^4`.

**Student's t in** :math:`\nu`.  For :math:`t \ne 0`, with :math:`w = t^2/(\nu + t^2)`,
:math:`F_\nu(t) = \tfrac12 + \tfrac12\operatorname{sign}(t)\, I_w(\tfrac12, \tfrac\nu2)`, and
differentiating at fixed :math:`t` (:math:`\partial w/\partial\nu = -t^2/(\nu+t^2)^2`, and the
Beta density at :math:`w` times that derivative is :math:`-|t| f_\nu(t)/\nu`):

.. math:: \frac{\partial F_\nu(t)}{\partial \nu}
          = \frac{\operatorname{sign} t}{4}\,\partial_b I_w\big(\tfrac12, \tfrac\nu2\big) - \frac{t\, f_\nu(t)}{2\nu}
          = -\frac{\operatorname{sign} t}{4}\,\partial_a I_{1-w}\big(\tfrac\nu2, \tfrac12\big) - \frac{t\, f_\nu(t)}{2\nu}.

The first form is used where :math:`t^2 \le \nu` (:math:`w \le \tfrac12`), the second
beyond, so the argument handed to the kernel is always the one of the two complementary
numbers :math:`w, 1 - w` that is known to full relative accuracy.

**Inverses: implicit reparameterization.**  :math:`y = F^{-1}(p; \theta)` solves
:math:`F(y; \theta) = p`, so :math:`\partial y/\partial\theta = -\partial_\theta F(y; \theta)/f(y; \theta)`:
the derivative of the root, never of the iterations that found it.  With :math:`p` a fixed
uniform draw this is the implicit reparameterization gradient (Figurnov, Mohamed and Mnih,
2018) on which ``rsample`` of :class:`~chainrule.distributions.Gamma` (and through it
``Chi2``, ``InverseGamma``, ``Dirichlet`` and ``StudentT``) and
:class:`~chainrule.distributions.Beta` rests.
"""
from __future__ import annotations

import math
import numbers

from ..autodiff.primitive import elementwise
from ..backend import special, xp
from .elementwise import exp, log, log1p, reciprocal, where
from .incomplete_series import betainc_shape_derivatives, gammainc_shape_derivatives
from .piecewise import sign
from .special import betaln, digamma, gammaln, polygamma

# A point inside (0, 1) at which an unselected branch is evaluated (double where): the
# kernels converge at once there and every derivative is finite.
_SAFE_SMALL = 1e-100


def _like_inputs(result, *inputs):
    """The kernels compute in float64: give the result the floating dtype of the inputs."""
    dtype = xp(*inputs).result_type(*inputs)
    return result.astype(dtype, copy=False) if dtype.kind == "f" and result.dtype != dtype else result


def _check_order(op: str, **orders) -> None:
    total = 0
    for name, n in orders.items():
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"{op}: the order {name} must be a non-negative integer, got {n!r}")
        total += n
    if not 1 <= total <= 2:
        raise ValueError(f"{op}: derivatives of order 1 and 2 in the shape parameters are available, "
                         f"got order {total}")


def _third_order(op: str):
    return NotImplementedError(f"{op}: the third derivative in a shape parameter is not implemented "
                               f"(the kernels give first and second derivatives)")


# ----------------------------------------------------------------------------- incomplete gamma
def _gamma_log_density(a, x):
    r"""The logarithm of the Gamma(a, 1) density, :math:`(a-1)\log x - x - \log\Gamma(a)`."""
    return (a - 1.0) * log(x) - x - gammaln(a)


def _gamma_density(a, x):
    r"""The Gamma(a, 1) density :math:`x^{a-1} e^{-x} / \Gamma(a)`, from its logarithm."""
    return exp(_gamma_log_density(a, x))


@elementwise
def gammainc(a, x):
    r"""Regularized lower incomplete gamma function
    :math:`P(a, x) = \frac{1}{\Gamma(a)}\int_0^x t^{a-1} e^{-t}\,dt` (the Gamma(a) distribution function).

    .. math:: \frac{\partial P}{\partial x} = \frac{x^{a-1} e^{-x}}{\Gamma(a)},\qquad
              \frac{\partial P}{\partial a} = \texttt{gammainc\_da}(a, x)

    Defined for :math:`a > 0, x \ge 0`.
    """
    return special(a, x).gammainc(a, x)


@elementwise
def gammaincc(a, x):
    r"""Regularized upper incomplete gamma function :math:`Q(a, x) = 1 - P(a, x)`, accurate where
    :math:`P` is close to 1.

    .. math:: \frac{\partial Q}{\partial x} = -\frac{x^{a-1} e^{-x}}{\Gamma(a)},\qquad
              \frac{\partial Q}{\partial a} = -\texttt{gammainc\_da}(a, x)
    """
    return special(a, x).gammaincc(a, x)


@elementwise
def gammaincinv(a, p):
    r"""Inverse of the regularized lower incomplete gamma function in :math:`x`: :math:`P(a, y) = p`.

    .. math:: \frac{\partial y}{\partial p} = \frac{1}{\partial_x P(a, y)} = \Gamma(a)\, y^{1-a} e^{y},\qquad
              \frac{\partial y}{\partial a} = -\frac{\partial_a P(a, y)}{\partial_x P(a, y)}

    (the implicit function theorem; with :math:`p` uniform, the implicit reparameterization
    gradient of a Gamma draw).
    """
    return special(a, p).gammaincinv(a, p)


@elementwise(name="gammainc_da")
def _gammainc_da(a, x, n):
    return _like_inputs(gammainc_shape_derivatives(a, x, n), a, x)


def gammainc_da(a, x, n: int = 1):
    r"""The derivative of the regularized incomplete gamma function in its shape parameter,
    :math:`\partial^n P(a, x) / \partial a^n` for :math:`n = 1, 2`.

    .. math:: \frac{\partial P}{\partial a} = \frac{1}{\Gamma(a)}\int_0^x \log t\; t^{a-1}e^{-t}\,dt - \psi(a)\,P(a, x),
              \qquad \frac{\partial}{\partial x}\frac{\partial^n P}{\partial a^n} = \frac{\partial^n}{\partial a^n}\,
              \frac{x^{a-1}e^{-x}}{\Gamma(a)}

    with :math:`\partial_a p = p\,(\log x - \psi(a))` and
    :math:`\partial_a^2 p = p\,((\log x - \psi(a))^2 - \psi_1(a))` for the density :math:`p`.
    Computed from the series of :math:`P` (:math:`x < a + 1`) or the continued fraction of
    :math:`Q` (beyond), differentiated term by term (:mod:`chainrule.ops.incomplete_series`).
    The derivative in :math:`a` is ``gammainc_da`` of order :math:`n + 1`; of order 3 it
    raises :class:`NotImplementedError`.  0 at :math:`x = 0` and :math:`x = \infty`.
    """
    _check_order("gammainc_da", n=n)
    return _gammainc_da(a, x, n=int(n))


gammainc_da.primitive = _gammainc_da


def _gammainc_da_in_a(out, a, x, n):
    if n >= 2:
        raise _third_order("gammainc_da")
    return _gammainc_da(a, x, n=n + 1)


def _gammainc_da_in_x(out, a, x, n):
    """:math:`\\partial_a^n` of the density; 0 at :math:`x = 0` (double where: no log 0)."""
    inside = x > 0
    safe = where(inside, x, 1.0)
    u = log(safe) - digamma(a)
    p = _gamma_density(a, safe)
    d = p * u if n == 1 else p * (u * u - polygamma(1, a))
    return where(inside, d, 0.0)


def _gammaincinv_in_a(out, a, p):
    """:math:`-\\partial_a P(a, y)/\\partial_x P(a, y)`; 0 where :math:`y = 0` (:math:`p = 0`, or a draw
    below the smallest float), without evaluating the density there (double where)."""
    inside = out > 0
    y = where(inside, out, 1.0)
    return where(inside, -gammainc_da(a, y) * exp(-_gamma_log_density(a, y)), 0.0)


gammainc.partials(lambda out, a, x: gammainc_da(a, x), lambda out, a, x: _gamma_density(a, x))
gammainc.formula(definition=r"P(a, x) = \tfrac{1}{\Gamma(a)}\int_0^x t^{a-1}e^{-t}dt",
                 derivative=r"\partial P/\partial x = x^{a-1}e^{-x}/\Gamma(a),\ "
                            r"\partial P/\partial a = \texttt{gammainc\_da}(a, x)")
gammaincc.partials(lambda out, a, x: -gammainc_da(a, x), lambda out, a, x: -_gamma_density(a, x))
gammaincc.formula(definition=r"Q(a, x) = 1 - P(a, x)",
                  derivative=r"\partial Q/\partial x = -x^{a-1}e^{-x}/\Gamma(a),\ "
                             r"\partial Q/\partial a = -\texttt{gammainc\_da}(a, x)")
gammaincinv.partials(_gammaincinv_in_a, lambda out, a, p: exp(-_gamma_log_density(a, out)))
gammaincinv.formula(definition=r"P(a, y) = p",
                    derivative=r"\partial y/\partial p = \Gamma(a)\,y^{1-a}e^{y},\ "
                               r"\partial y/\partial a = -\partial_a P(a, y)\,\Gamma(a)\,y^{1-a}e^{y}")
_gammainc_da.partials(_gammainc_da_in_a, _gammainc_da_in_x)
_gammainc_da.formula(definition=r"y = \partial^n P(a, x)/\partial a^n,\ n = 1, 2",
                     derivative=r"\partial y/\partial a = \partial^{n+1} P/\partial a^{n+1},\ "
                                r"\partial y/\partial x = \partial_a^n\, x^{a-1}e^{-x}/\Gamma(a)",
                     convention=r"\partial^3 P/\partial a^3 \text{ not implemented (raises)}")


# ----------------------------------------------------------------------------- incomplete beta
def _beta_density(a, b, x):
    r"""The Beta(a, b) density :math:`x^{a-1}(1-x)^{b-1} / B(a, b)`, from its logarithm."""
    return exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - betaln(a, b))


@elementwise
def betainc(a, b, x):
    r"""Regularized incomplete beta function
    :math:`I_x(a, b) = \frac{1}{B(a, b)}\int_0^x t^{a-1}(1-t)^{b-1}\,dt` (the Beta(a, b) distribution function).

    .. math:: \frac{\partial I_x(a, b)}{\partial x} = \frac{x^{a-1}(1-x)^{b-1}}{B(a, b)},\qquad
              \frac{\partial I}{\partial a} = \texttt{betainc\_dab}(a, b, x, 1, 0),\quad
              \frac{\partial I}{\partial b} = \texttt{betainc\_dab}(a, b, x, 0, 1)

    Defined for :math:`a, b > 0` and :math:`0 \le x \le 1`.
    """
    return special(a, b, x).betainc(a, b, x)


@elementwise
def betaincinv(a, b, p):
    r"""Inverse of the regularized incomplete beta function in :math:`x`: :math:`I_y(a, b) = p`.

    .. math:: \frac{\partial y}{\partial p} = \frac{B(a, b)}{y^{a-1}(1-y)^{b-1}},\qquad
              \frac{\partial y}{\partial a} = -\frac{\partial_a I_y(a, b)}{\partial_y I_y(a, b)},\quad
              \frac{\partial y}{\partial b} = -\frac{\partial_b I_y(a, b)}{\partial_y I_y(a, b)}
    """
    return special(a, b, p).betaincinv(a, b, p)


@elementwise(name="betainc_dab")
def _betainc_dab(a, b, x, da, db):
    return _like_inputs(betainc_shape_derivatives(a, b, x, da, db), a, b, x)


def betainc_dab(a, b, x, da: int = 1, db: int = 0):
    r"""Derivatives of the regularized incomplete beta function in its shape parameters,
    :math:`\partial_a^{d_a}\partial_b^{d_b} I_x(a, b)` for :math:`1 \le d_a + d_b \le 2`.

    .. math:: \frac{\partial I}{\partial a} = \frac{1}{B(a, b)}\int_0^x \log t\; t^{a-1}(1-t)^{b-1}dt
              - \big(\psi(a) - \psi(a+b)\big) I_x(a, b),\qquad
              \frac{\partial}{\partial x}\,\partial_a^{d_a}\partial_b^{d_b} I = \partial_a^{d_a}\partial_b^{d_b}\,p

    where the Beta density :math:`p` has :math:`\partial_a\log p = \log x - \psi(a) + \psi(a+b)`,
    :math:`\partial_b\log p = \log(1-x) - \psi(b) + \psi(a+b)`,
    :math:`\partial_a^2\log p = \psi_1(a+b) - \psi_1(a)`, :math:`\partial_a\partial_b\log p = \psi_1(a+b)`,
    :math:`\partial_b^2\log p = \psi_1(a+b) - \psi_1(b)`.  Computed from the continued fraction of
    :math:`I_x(a, b)` below :math:`x = (a+1)/(a+b+2)` and of :math:`I_{1-x}(b, a) = 1 - I_x(a, b)`
    above, differentiated term by term (:mod:`chainrule.ops.incomplete_series`).  The
    derivatives in :math:`a, b` are ``betainc_dab`` of one order more; of order 3 they raise
    :class:`NotImplementedError`.  0 at :math:`x = 0` and :math:`x = 1`.
    """
    _check_order("betainc_dab", da=da, db=db)
    return _betainc_dab(a, b, x, da=int(da), db=int(db))


betainc_dab.primitive = _betainc_dab


def _betainc_dab_in(shape_parameter: int):
    """The partial in ``a`` (0) or ``b`` (1): one order more."""
    def partial(out, a, b, x, da, db):
        if da + db >= 2:
            raise _third_order("betainc_dab")
        return _betainc_dab(a, b, x, da=da + (shape_parameter == 0), db=db + (shape_parameter == 1))
    partial.__qualname__ = f"betainc_dab_d{'ab'[shape_parameter]}"
    return partial


def _betainc_dab_in_x(out, a, b, x, da, db):
    """:math:`\\partial_a^{d_a}\\partial_b^{d_b}` of the Beta density; 0 at :math:`x = 0, 1`."""
    inside = (x > 0) & (x < 1)
    safe = where(inside, x, 0.5)
    p = _beta_density(a, b, safe)
    psi_ab = digamma(a + b)
    u = log(safe) - digamma(a) + psi_ab
    v = log1p(-safe) - digamma(b) + psi_ab
    if (da, db) == (1, 0):
        d = p * u
    elif (da, db) == (0, 1):
        d = p * v
    elif (da, db) == (2, 0):
        d = p * (u * u + polygamma(1, a + b) - polygamma(1, a))
    elif (da, db) == (1, 1):
        d = p * (u * v + polygamma(1, a + b))
    else:
        d = p * (v * v + polygamma(1, a + b) - polygamma(1, b))
    return where(inside, d, 0.0)


def _betaincinv_in(shape_parameter: int):
    """:math:`-\\partial I_y/\\partial_y I_y` in ``a`` (0) or ``b`` (1); 0 at :math:`y = 0, 1` (double where)."""
    def partial(out, a, b, p):
        inside = (out > 0) & (out < 1)
        y = where(inside, out, 0.5)
        d = betainc_dab(a, b, y, da=int(shape_parameter == 0), db=int(shape_parameter == 1))
        return where(inside, -d / _beta_density(a, b, y), 0.0)
    partial.__qualname__ = f"betaincinv_d{'ab'[shape_parameter]}"
    return partial


betainc.partials(lambda out, a, b, x: betainc_dab(a, b, x, 1, 0), lambda out, a, b, x: betainc_dab(a, b, x, 0, 1),
                 lambda out, a, b, x: _beta_density(a, b, x))
betainc.formula(definition=r"I_x(a, b) = \tfrac{1}{B(a,b)}\int_0^x t^{a-1}(1-t)^{b-1}dt",
                derivative=r"\partial I/\partial x = x^{a-1}(1-x)^{b-1}/B(a,b),\ "
                           r"\partial I/\partial a,\ \partial I/\partial b = \texttt{betainc\_dab}")
betaincinv.partials(_betaincinv_in(0), _betaincinv_in(1), lambda out, a, b, p: reciprocal(_beta_density(a, b, out)))
betaincinv.formula(definition=r"I_y(a, b) = p",
                   derivative=r"\partial y/\partial p = B(a,b)/(y^{a-1}(1-y)^{b-1}),\ "
                              r"\partial y/\partial a = -\partial_a I_y\,B(a,b)/(y^{a-1}(1-y)^{b-1})")
_betainc_dab.partials(_betainc_dab_in(0), _betainc_dab_in(1), _betainc_dab_in_x)
_betainc_dab.formula(definition=r"y = \partial_a^{d_a}\partial_b^{d_b} I_x(a, b),\ 1 \le d_a + d_b \le 2",
                     derivative=r"\partial y/\partial a,\ \partial y/\partial b: \text{one order more};\ "
                                r"\partial y/\partial x = \partial_a^{d_a}\partial_b^{d_b}\,x^{a-1}(1-x)^{b-1}/B(a,b)",
                     convention=r"\text{third derivatives in } a, b \text{ not implemented (raise)}")


# ----------------------------------------------------------------------------- Student's t
def _stirling_remainder(x):
    r""":math:`\delta(x) = \log\Gamma(x) - (x - \frac12)\log x + x - \frac12\log 2\pi`
    :math:`= \frac1{12x} - \frac1{360x^3} + \frac1{1260x^5} - \frac1{1680x^7}`, truncated below
    :math:`10^{-16}` for :math:`x \ge 30`."""
    r = 1.0 / x
    r2 = r * r
    return r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 - r2 / 1680)))


def _log_student_constant(df):
    r""":math:`\log\frac{\Gamma(\frac{\nu+1}{2})}{\sqrt{\nu\pi}\,\Gamma(\frac\nu2)}`, the logarithm of the
    density at 0, to full accuracy for every :math:`\nu`.

    The two log-gammas (and SciPy's ``betaln``) lose about :math:`\nu\epsilon` to cancellation;
    for :math:`\nu \ge 60` Stirling's series with :math:`b = \nu/2` gives it as
    :math:`-\frac12\log 2\pi + b\,(\log(1 + \frac1{2b}) - \frac1{2b}) + \delta(b + \frac12) - \delta(b)`,
    a sum of small terms; below, :math:`-\log B(\frac\nu2, \frac12) - \frac12\log\nu`."""
    large = df >= 60.0
    b = 0.5 * where(large, df, 60.0)                      # double where: the series only where valid
    h = 0.5 / b
    series = (-0.5 * math.log(2.0 * math.pi) + b * (log1p(h) - h)
              + _stirling_remainder(b + 0.5) - _stirling_remainder(b))
    small = where(large, 1.0, df)
    exact = -betaln(0.5 * small, 0.5 + 0.0 * small) - 0.5 * log(small)
    return where(large, series, exact)


def _student_density(df, t):
    r"""Student's t density with :math:`\nu` degrees of freedom, from its logarithm
    (:func:`_log_student_constant` :math:`- \frac{\nu+1}{2}\log(1 + t^2/\nu)`)."""
    return exp(_log_student_constant(df) - 0.5 * (df + 1.0) * log1p(t * t / df))


def _stdtr_in_df(df, t):
    r""":math:`\partial F_\nu(t)/\partial\nu` through the Beta function (see the module's notes).

    At :math:`t = 0` (where :math:`F = \tfrac12` for every :math:`\nu`) the formula is
    evaluated at a tiny positive :math:`t` instead, :math:`10^{-150}` (:math:`10^{-15}` in float32,
    where :math:`t^2` must not underflow): a shift, not a ``where``, so that the derivative in
    :math:`t` stays the one-sided limit, which is the derivative (the function is smooth there).
    At :math:`t = \\pm\\infty` (:math:`F = 0, 1`) the derivative is 0."""
    infinite = (t == math.inf) | (t == -math.inf)
    t = where(infinite, 1.0, t)
    t = t + where(t == 0, 1e-150 if t.dtype.itemsize >= 8 else 1e-15, 0.0)
    t2 = t * t
    tail = t2 > df                                   # then 1 - w = nu/(nu + t^2) < 1/2
    half_df = 0.5 * df
    near = where(tail, _SAFE_SMALL, t2 / (df + t2))          # w
    far = where(tail, df / (df + t2), _SAFE_SMALL)           # 1 - w
    d_near = betainc_dab(0.5 + 0.0 * df, half_df, near, 0, 1)
    d_far = -betainc_dab(half_df, 0.5 + 0.0 * df, far, 1, 0)
    derivative = 0.25 * sign(t) * where(tail, d_far, d_near) - t * _student_density(df, t) / (2.0 * df)
    return where(infinite, 0.0, derivative)


@elementwise
def stdtr(df, t):
    r"""Student's t distribution function with :math:`\nu` = ``df`` degrees of freedom,
    :math:`F_\nu(t) = \int_{-\infty}^t f_\nu(s)\,ds`.

    .. math:: \frac{\partial F_\nu}{\partial t} = f_\nu(t)
              = \frac{\Gamma(\frac{\nu+1}{2})}{\sqrt{\nu\pi}\,\Gamma(\frac{\nu}{2})}
                \Big(1 + \frac{t^2}{\nu}\Big)^{-\frac{\nu+1}{2}},\qquad
              \frac{\partial F_\nu}{\partial\nu} = \frac{\operatorname{sign} t}{4}\,
                \partial_b I_{t^2/(\nu+t^2)}\big(\tfrac12, \tfrac\nu2\big) - \frac{t f_\nu(t)}{2\nu}

    Defined for :math:`\nu > 0`.
    """
    return special(df, t).stdtr(df, t)


@elementwise
def stdtrit(df, p):
    r"""Student's t quantile function: :math:`F_\nu(y) = p`.

    .. math:: \frac{\partial y}{\partial p} = \frac{1}{f_\nu(y)},\qquad
              \frac{\partial y}{\partial\nu} = -\frac{\partial_\nu F_\nu(y)}{f_\nu(y)}
    """
    return special(df, p).stdtrit(df, p)


stdtr.partials(lambda out, df, t: _stdtr_in_df(df, t), lambda out, df, t: _student_density(df, t))
stdtr.formula(definition=r"F_\nu(t) = \int_{-\infty}^t f_\nu(s)ds",
              derivative=r"\partial F/\partial t = f_\nu(t),\ \partial F/\partial\nu = \tfrac{\operatorname{sign}t}{4}"
                         r"\partial_b I_{t^2/(\nu+t^2)}(\tfrac12,\tfrac\nu2) - t f_\nu(t)/(2\nu)")
stdtrit.partials(lambda out, df, p: -_stdtr_in_df(df, out) / _student_density(df, out),
                 lambda out, df, p: reciprocal(_student_density(df, out)))
stdtrit.formula(definition=r"F_\nu(y) = p",
                derivative=r"\partial y/\partial p = 1/f_\nu(y),\ "
                           r"\partial y/\partial\nu = -\partial_\nu F_\nu(y)/f_\nu(y)")


__all__ = ["gammainc", "gammaincc", "gammaincinv", "gammainc_da", "betainc", "betaincinv", "betainc_dab",
           "stdtr", "stdtrit"]
