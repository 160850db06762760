"""chainrule: the mathematics of deep learning, as code you can read and verify.

Tensors and differentiable operations (``cr.tensor``, ``cr.exp``, ``x @ W``), the
chain rule in reverse and forward mode (``t.backward()``, ``cr.grad``, ``cr.jvp``,
``cr.jacobian``, ``cr.hessian``), and the tools that check every derivative
(``cr.testing.check_grads``, ``cr.explain``).
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import errors  # noqa: F401
from .backend import keep_freed_memory as _keep_freed_memory
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,  # noqa: F401
                     set_default_dtype)
from .errors import AnomalyError, DTypeError, GraphError, KinkWarning, LinAlgError, ShapeError  # noqa: F401
from .tensor import Tensor  # noqa: F401
from .ops import *  # noqa: F401,F403
from .ops import abs, pow, round, sum  # noqa: F401,A004
from .autodiff import (advise_mode, checkpoint, custom_vjp, detect_anomaly, detect_kinks, enable_grad,  # noqa: F401
                       grad, hessian, hvp, is_grad_enabled, jacfwd, jacobian, jacrev, jvp, no_grad,
                       set_grad_enabled, stop_gradient, value_and_grad, vjp, vmap)
from .catalogue import explain  # noqa: F401,E402
from . import autograd, bayes, distributions, information, linalg, montecarlo, nn, optim, stats, testing  # noqa: F401,E402,E501
from .serialization import load, save  # noqa: F401,E402
from . import data, train  # noqa: F401,E402

_keep_freed_memory()       # glibc: reuse freed blocks instead of faulting pages in every step
