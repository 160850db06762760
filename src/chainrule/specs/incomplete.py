"""OpSpecs of the incomplete functions' chapter (see specs/__init__.py).

``gammainc``, ``betainc``, ``stdtr`` and their complements and inverses are checked against
``scipy.special`` in every argument, shape parameters included, to order 2.  Their
shape-parameter derivatives ``gammainc_da`` and ``betainc_dab`` are checked against an
independent reference, the quadrature of the differentiated density,

.. math:: \\partial_\\theta F(x) = \\int_0^x \\partial_\\theta\\, p(t; \\theta)\\,dt
          = \\int_0^x p(t; \\theta)\\,\\partial_\\theta \\log p(t; \\theta)\\,dt

(and the same with :math:`\\partial_\\theta\\partial_\\phi p = p\\,(\\partial_\\theta\\log p\\,\\partial_\\phi\\log p
+ \\partial_\\theta\\partial_\\phi\\log p)`), by ``scipy.integrate.quad``.  A third derivative in a
shape parameter is not implemented, so those primitives are checked to order 1 in all their
arguments and to order 2 in :math:`x` alone.  The far tails and large shape parameters are
checked against mpmath in tests/special/test_shape_derivatives.py.
"""
from __future__ import annotations

import numpy as np
import scipy.integrate
import scipy.special as sc

from ..ops import incomplete as INC
from . import OpSpec, real
from .special import BINARY, TERNARY, open_unit


# ----------------------------------------------------------------------------- domains of this chapter
def shape_parameter(rng, shape):
    """In (0.6, 4): shape parameters of the incomplete gamma and beta functions."""
    return rng.uniform(0.6, 4.0, shape)


def gamma_argument(rng, shape):
    """In (0.2, 5): where the lower incomplete gamma function is neither 0 nor 1."""
    return rng.uniform(0.2, 5.0, shape)


def degrees_of_freedom(rng, shape):
    """In (1.5, 12): Student's t degrees of freedom."""
    return rng.uniform(1.5, 12.0, shape)


# ----------------------------------------------------------------------------- quadrature references
def _quadrature(integrand, *arrays):
    """``∫_0^x integrand(t, a, ...) dt`` elementwise, for broadcast ``(a, ..., x)``.

    The integrands behave like :math:`t^{a-1}\\log^k t` at 0; the substitution
    :math:`t = s^{1/a}` (:math:`dt = t\\,ds/(a s)`) leaves a bounded multiple of
    :math:`\\log^k s`, which adaptive quadrature integrates to full accuracy."""
    def one(*values):
        *parameters, x = values
        a = parameters[0]

        def in_s(s):
            t = s ** (1.0 / a)
            return integrand(t, *parameters) * t / (a * s)
        return scipy.integrate.quad(in_s, 0.0, x ** a, limit=200, epsabs=1e-13, epsrel=1e-10)[0]
    return np.vectorize(one, otypes=[float])(*arrays)


def _gamma_da_reference(n):
    r""":math:`\partial_a^n P(a, x)`: the Gamma density times :math:`\log t - \psi(a)` (n = 1) or
    :math:`(\log t - \psi(a))^2 - \psi_1(a)` (n = 2), integrated over :math:`(0, x)`."""
    def integrand(t, a):
        u = np.log(t) - sc.digamma(a)
        density = np.exp((a - 1.0) * np.log(t) - t - sc.gammaln(a))
        return density * (u if n == 1 else u * u - sc.polygamma(1, a))

    def quadrature(a, x):
        return _quadrature(integrand, a, x)
    quadrature.__name__ = "quadrature of " + "d/da " * n + "p"
    return quadrature


def _beta_dab_reference(da, db):
    r""":math:`\partial_a^{d_a}\partial_b^{d_b} I_x(a, b)` from the Beta density's logarithmic derivatives."""
    def integrand(t, a, b):
        psi = sc.digamma(a + b)
        u, v = np.log(t) - sc.digamma(a) + psi, np.log1p(-t) - sc.digamma(b) + psi
        tri = sc.polygamma(1, a + b)
        factor = {(1, 0): u, (0, 1): v, (2, 0): u * u + tri - sc.polygamma(1, a), (1, 1): u * v + tri,
                  (0, 2): v * v + tri - sc.polygamma(1, b)}[(da, db)]
        return np.exp((a - 1.0) * np.log(t) + (b - 1.0) * np.log1p(-t) - sc.betaln(a, b)) * factor

    def quadrature(a, b, x):
        return _quadrature(integrand, a, b, x)
    quadrature.__name__ = "quadrature of " + " ".join(f"d/d{v}" for v, k in (("a", da), ("b", db)) for _ in range(k)) + " p"
    return quadrature


def _binary(name, op, domains, reference, **kw):
    return OpSpec(name, op, list(domains), BINARY, reference, **kw)


def _beta_dab(da, db, **kw):
    in_x = ", in x" if kw.get("argnums") == (2,) else ""
    return OpSpec("betainc_dab", lambda a, b, x: INC.betainc_dab(a, b, x, da, db),
                  [shape_parameter, shape_parameter, open_unit], TERNARY, _beta_dab_reference(da, db),
                  case=f"da={da}, db={db}{in_x}", **kw)


_THIRD = "the derivative in a shape parameter is one order higher, and the third is not implemented"

SPECS = [
    _binary("gammainc", INC.gammainc, (shape_parameter, gamma_argument), sc.gammainc),
    _binary("gammaincc", INC.gammaincc, (shape_parameter, gamma_argument), sc.gammaincc),
    _binary("gammaincinv", INC.gammaincinv, (shape_parameter, open_unit), sc.gammaincinv, rtol=1e-4),
    OpSpec("betainc", INC.betainc, [shape_parameter, shape_parameter, open_unit], TERNARY, sc.betainc),
    OpSpec("betaincinv", INC.betaincinv, [shape_parameter, shape_parameter, open_unit], TERNARY, sc.betaincinv,
           rtol=1e-4),
    _binary("stdtr", INC.stdtr, (degrees_of_freedom, real), sc.stdtr),
    _binary("stdtrit", INC.stdtrit, (degrees_of_freedom, open_unit), sc.stdtrit, rtol=1e-4),
    _binary("gammainc_da", lambda a, x: INC.gammainc_da(a, x), (shape_parameter, gamma_argument),
            _gamma_da_reference(1), case="n=1", order=1, notes=_THIRD),
    _binary("gammainc_da", lambda a, x: INC.gammainc_da(a, x, 2), (shape_parameter, gamma_argument),
            _gamma_da_reference(2), case="n=2, in x", argnums=(1,), notes=_THIRD),
    _beta_dab(1, 0, order=1, notes=_THIRD),
    _beta_dab(0, 1, order=1, notes=_THIRD),
    _beta_dab(2, 0, argnums=(2,), notes=_THIRD),
    _beta_dab(1, 1, argnums=(2,), notes=_THIRD),
    _beta_dab(0, 2, argnums=(2,), notes=_THIRD),
]
