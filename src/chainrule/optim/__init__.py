r"""Optimization: ``cr.optim``.

* Training optimizers with PyTorch's names, arguments and defaults: :class:`SGD`,
  :class:`Adagrad`, :class:`RMSprop`, :class:`Adadelta`, :class:`Adam`, :class:`AdamW`,
  :class:`Adamax`, :class:`NAdam`, :class:`RAdam`, :class:`LBFGS`, and the schedules of
  :mod:`chainrule.optim.lr_scheduler`.
* :func:`minimize`, SciPy-style: gradient descent and its variants, Newton and
  quasi-Newton methods, trust regions, and constrained optimization with Lagrange
  multipliers (KKT-Newton, augmented Lagrangian, SQP); derivatives by autodiff.
* :mod:`chainrule.optim.testfunctions` (Rosenbrock, Beale, Himmelblau, ...) and the
  ``chainrule optimize`` race that compares methods on them.
"""
from __future__ import annotations

from . import lr_scheduler, testfunctions  # noqa: F401
from .adam import Adam, Adamax, AdamW, NAdam, RAdam  # noqa: F401
from .adaptive import Adadelta, Adagrad, RMSprop  # noqa: F401
from .convergence import convergence_order, error_sequence  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from .line_search import backtracking, strong_wolfe  # noqa: F401
from .minimize import METHODS, minimize  # noqa: F401
from .newton import truncated_cg  # noqa: F401
from .objective import OptimizeResult  # noqa: F401
from .optimizer import Optimizer, required  # noqa: F401
from .quadratic_program import solve_qp  # noqa: F401
from .sgd import SGD  # noqa: F401
