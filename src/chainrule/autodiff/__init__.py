"""Automatic differentiation: primitives, the engine, and the function transforms."""
from .advice import advise_mode  # noqa: F401
from .custom import checkpoint, custom_vjp  # noqa: F401
from .engine import detect_anomaly, detect_kinks, enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .primitive import REGISTRY, Primitive, elementwise, linear, nondifferentiable, primitive  # noqa: F401
from .transforms import (grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, stop_gradient,  # noqa: F401
                         value_and_grad, vjp, vmap)
