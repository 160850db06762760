r"""Classic test functions of optimization, with their known minima.

Each function returns a :class:`BenchmarkFunction`: callable on a chainrule tensor ``x``
of shape ``(n,)`` (a scalar result, usable by :func:`~chainrule.optim.minimize`) or
``(n, *grid)`` (one value per grid point, for contour plots), with its global
minimizers, minimum value, plotting domain and a standard starting point.

==============  ============================================================================  =====================
``quadratic``   :math:`\tfrac12 x^\top A x - b^\top x + c`                                      :math:`x^\star = A^{-1} b`
``rosenbrock``  :math:`\sum_i b (x_{i+1} - x_i^2)^2 + (1 - x_i)^2` (a curved, narrow valley)     :math:`(1, \ldots, 1)`
``beale``       :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`          :math:`(3, 0.5)`
``himmelblau``  :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2` (four minima)                        :math:`(3, 2)`, ...
``booth``       :math:`(x + 2y - 7)^2 + (2x + y - 5)^2` (a quadratic)                           :math:`(1, 3)`
``rastrigin``   :math:`A n + \sum_i (x_i^2 - A \cos 2\pi x_i)` (many local minima)             :math:`0`
``ackley``      :math:`-a e^{-b \sqrt{\overline{x^2}}} - e^{\overline{\cos c x}} + a + e`          :math:`0`
==============  ============================================================================  =====================
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.linalg

from ..ops.elementwise import cos, exp, sqrt
from ..ops.reductions import mean, sum as reduce_sum
from ..ops.products import tensordot
from ..tensor import Tensor

__all__ = ["BenchmarkFunction", "quadratic", "rosenbrock", "beale", "himmelblau", "booth", "rastrigin", "ackley",
           "FUNCTIONS"]


@dataclass(frozen=True)
class BenchmarkFunction:
    r"""A test function with what is known about it.

    Attributes
    ----------
    name : str
    fun : callable
        Tensor of shape ``(n,)`` or ``(n, *grid)`` → tensor of shape ``()`` or ``grid``.
    minimizers : ndarray, shape (k, n)
        The global minimizers.
    minimum : float
        :math:`f^\star`, the value there.
    domain : tuple of (low, high)
        A box, per coordinate, showing the interesting part (for plots).
    start : ndarray
        A standard starting point.
    formula : str
        The definition in LaTeX.
    """

    name: str
    fun: Callable = field(repr=False)
    minimizers: np.ndarray = field(repr=False)
    minimum: float
    domain: tuple
    start: np.ndarray = field(repr=False)
    formula: str = field(default="", repr=False)

    def __call__(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=np.float64))
        if x.ndim == 0 or x.shape[0] != self.dim:
            raise ValueError(f"{self.name}: expected x of shape ({self.dim},) or ({self.dim}, ...), got "
                             f"{tuple(x.shape)}")
        return self.fun(x)

    @property
    def dim(self) -> int:
        """The number of variables :math:`n`."""
        return self.minimizers.shape[1]

    def nearest_minimizer(self, x) -> np.ndarray:
        """The global minimizer closest to ``x`` (several functions have more than one)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        distances = np.linalg.norm(self.minimizers - x, axis=1)
        return self.minimizers[int(np.argmin(distances))]


def _column(values: np.ndarray, x: Tensor) -> Tensor:
    """A constant vector shaped to broadcast against ``x`` of shape ``(n, *grid)``."""
    return Tensor(np.asarray(values, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1)))


def quadratic(A, b, c: float = 0.0) -> BenchmarkFunction:
    r""":math:`f(x) = \tfrac12 x^\top A x - b^\top x + c` with :math:`A` symmetric positive
    definite: the minimizer solves :math:`A x = b`, :math:`f^\star = c - \tfrac12 b^\top A^{-1} b`.

    The condition number :math:`\kappa(A)` sets how slowly gradient descent converges.
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    n = b.size
    if A.shape != (n, n):
        raise ValueError(f"quadratic: A has shape {A.shape} but b has {n} entries; expected A of shape ({n}, {n})")
    if not np.allclose(A, A.T, rtol=1e-12, atol=1e-12 * np.abs(A).max(initial=1.0)):
        raise ValueError("quadratic: A must be symmetric")
    try:
        factor = scipy.linalg.cho_factor(A)
    except np.linalg.LinAlgError:
        raise ValueError("quadratic: A must be positive definite for the quadratic to have a unique minimum") from None
    x_star = scipy.linalg.cho_solve(factor, b)
    f_star = float(c - 0.5 * b @ x_star)

    def fun(x):
        ax = tensordot(Tensor(A.astype(x.dtype)), x, axes=1)
        return 0.5 * reduce_sum(x * ax, axis=0) - reduce_sum(_column(b, x) * x, axis=0) + c

    spread = 3.0 * max(1.0, float(np.max(np.abs(x_star))))
    domain = tuple((float(v - spread), float(v + spread)) for v in x_star)
    start = x_star + spread * np.where(np.arange(n) % 2 == 0, -0.8, 0.6)
    return BenchmarkFunction("quadratic", fun, x_star[None, :], f_star, domain, start,
                             r"\tfrac12 x^\top A x - b^\top x + c")


def rosenbrock(n: int = 2, b: float = 100.0) -> BenchmarkFunction:
    r"""Rosenbrock's valley :math:`f(x) = \sum_{i=1}^{n-1} b (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`.

    The minimizer :math:`(1, \ldots, 1)` (:math:`f^\star = 0`) lies in a long, curved, flat
    valley: easy to find, slow to follow for gradient methods.  For :math:`4 \le n \le 7`
    there is also a local minimizer near :math:`(-1, 1, \ldots, 1)`.  The standard start
    is :math:`(-1.2, 1, -1.2, 1, \ldots)`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"rosenbrock: n must be an integer ≥ 2, got {n!r}")

    def fun(x):
        return reduce_sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2, axis=0)

    start = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    domain = ((-2.0, 2.0), (-1.0, 3.0)) if n == 2 else tuple((-2.0, 2.0) for _ in range(n))
    return BenchmarkFunction("rosenbrock", fun, np.ones((1, n)), 0.0, domain, start,
                             r"\sum_{i=1}^{n-1} b (x_{i+1} - x_i^2)^2 + (1 - x_i)^2")


def beale() -> BenchmarkFunction:
    r"""Beale's function :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`;
    minimum 0 at :math:`(3, 0.5)`, with sharp ridges near the corners of :math:`[-4.5, 4.5]^2`."""
    def fun(v):
        x, y = v[0], v[1]
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2

    return BenchmarkFunction("beale", fun, np.array([[3.0, 0.5]]), 0.0, ((-4.5, 4.5), (-4.5, 4.5)),
                             np.array([1.0, 1.5]), r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2")


# The three irrational minimizers of Himmelblau's function, solved to full precision.
_HIMMELBLAU_MINIMIZERS = np.array([[3.0, 2.0],
                                   [-2.805118086952745, 3.131312518250573],
                                   [-3.779310253377747, -3.2831859912861696],
                                   [3.5844283403304917, -1.8481265269644036]])


def himmelblau() -> BenchmarkFunction:
    r"""Himmelblau's function :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four global
    minimizers with :math:`f^\star = 0`, at :math:`(3, 2)` and three irrational points."""
    def fun(v):
        x, y = v[0], v[1]
        return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2

    return BenchmarkFunction("himmelblau", fun, _HIMMELBLAU_MINIMIZERS.copy(), 0.0, ((-5.0, 5.0), (-5.0, 5.0)),
                             np.array([-0.5, -0.5]), r"(x^2 + y - 11)^2 + (x + y^2 - 7)^2")


def booth() -> BenchmarkFunction:
    r"""Booth's function :math:`(x + 2y - 7)^2 + (2x + y - 5)^2`, a convex quadratic with
    minimum 0 at :math:`(1, 3)`."""
    def fun(v):
        x, y = v[0], v[1]
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2

    return BenchmarkFunction("booth", fun, np.array([[1.0, 3.0]]), 0.0, ((-10.0, 10.0), (-10.0, 10.0)),
                             np.array([-6.0, -4.0]), r"(x + 2y - 7)^2 + (2x + y - 5)^2")


def rastrigin(n: int = 2, A: float = 10.0) -> BenchmarkFunction:
    r"""Rastrigin's function :math:`A n + \sum_i (x_i^2 - A \cos 2\pi x_i)`: a paraboloid
    rippled into a lattice of local minima near the integers; the global minimum is 0
    at the origin.  Local methods stop in the nearest basin."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"rastrigin: n must be a positive integer, got {n!r}")

    def fun(x):
        return A * n + reduce_sum(x ** 2 - A * cos(2 * math.pi * x), axis=0)

    return BenchmarkFunction("rastrigin", fun, np.zeros((1, n)), 0.0, tuple((-5.12, 5.12) for _ in range(n)),
                             np.full(n, 0.4), r"A n + \sum_i \left(x_i^2 - A \cos 2\pi x_i\right)")


def ackley(n: int = 2, a: float = 20.0, b: float = 0.2, c: float = 2 * math.pi) -> BenchmarkFunction:
    r"""Ackley's function
    :math:`-a \exp\big(-b \sqrt{\tfrac1n \sum x_i^2}\big) - \exp\big(\tfrac1n \sum \cos c x_i\big) + a + e`:
    nearly flat outside, a deep hole at the origin (minimum 0), covered in ripples.
    The square root makes it non-differentiable at the origin itself (its gradient
    there is NaN)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"ackley: n must be a positive integer, got {n!r}")

    def fun(x):
        return (-a * exp(-b * sqrt(mean(x ** 2, axis=0))) - exp(mean(cos(c * x), axis=0)) + a + math.e)

    return BenchmarkFunction("ackley", fun, np.zeros((1, n)), 0.0, tuple((-5.0, 5.0) for _ in range(n)),
                             np.full(n, 0.3), r"-a e^{-b\sqrt{\frac1n\sum x_i^2}} - e^{\frac1n\sum\cos c x_i} + a + e")


def _default_quadratic() -> BenchmarkFunction:
    """An ill-conditioned, rotated 2-D quadratic (κ = 10) for the race."""
    rotation = np.array([[math.cos(0.5), -math.sin(0.5)], [math.sin(0.5), math.cos(0.5)]])
    return quadratic(rotation @ np.diag([1.0, 10.0]) @ rotation.T, np.array([1.0, 2.0]))


# name -> a constructor of the function in two dimensions (the race's menu)
FUNCTIONS: dict[str, Callable[[], BenchmarkFunction]] = {
    "quadratic": _default_quadratic,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "booth": booth,
    "rastrigin": rastrigin,
    "ackley": ackley,
}
