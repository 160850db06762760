r"""Checking derivatives against finite differences — public, for users' own ops too.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` verifies, in float64,

* forward mode: :math:`J v` against the central difference
  :math:`\frac{f(x + \varepsilon v) - f(x - \varepsilon v)}{2\varepsilon}` along a random
  direction :math:`v`;
* reverse mode, by the adjoint identity :math:`\langle u, J v\rangle = \langle J^\top u, v\rangle`
  for a random cotangent :math:`u` (the right side from central differences);
* the two modes against each other: :math:`\langle u, J v\rangle` from forward mode must
  equal :math:`\langle J^\top u, v\rangle` from reverse mode;
* recursively, the derivative maps themselves up to ``order``
  (:math:`(x, v) \mapsto Jv` and :math:`(x, u) \mapsto J^\top u`).

``gradcheck`` and ``gradgradcheck`` have PyTorch's meaning: the full Jacobian (and the
Jacobian of a vector-Jacobian product) against the numerical one, element by element.

A failure explains itself: the message names the derivative (``vjp(jvp(f))``), the
argument and output element where the error is worst, the errors, and — replaying the
computation primitive by primitive through the engine's tracer — the first primitive
whose own rule disagrees with central differences on the inputs it actually received.

``lint_stability(f, *args)`` looks for what goes wrong before any derivative: compositions
with a stable primitive (``log(softmax(z))`` for ``log_softmax``) and values at which an
operation breaks (``exp`` overflowing, ``log`` of 0).
"""
from __future__ import annotations

from ..specs import OpSpec  # noqa: F401  (re-exported: users write specs for their own ops)
from .check_grads import check_grads  # noqa: F401
from .functions import EPS, GradientCheckError, PrecisionWarning, numerical_jvp  # noqa: F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: F401
from .stability import lint_stability  # noqa: F401
