"""The operations of chainrule, by chapter, and the Tensor's operators and methods."""
from __future__ import annotations

from . import creation, elementwise, products, reductions, shape
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .elementwise import abs, round  # noqa: F401,A004  (names shadowing builtins are exported explicitly)
from .products import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .reductions import sum  # noqa: F401,A004
from .shape import *  # noqa: F401,F403
from ..tensor import Tensor

_e, _s, _r, _p = elementwise, shape, reductions, products


def _binary(op, reflected=False):
    if reflected:
        return lambda self, other: op(other, self)
    return lambda self, other: op(self, other)


# -- operators ------------------------------------------------------------------------
Tensor.__add__ = _binary(_e.add)
Tensor.__radd__ = _binary(_e.add, True)
Tensor.__sub__ = _binary(_e.subtract)
Tensor.__rsub__ = _binary(_e.subtract, True)
Tensor.__mul__ = _binary(_e.multiply)
Tensor.__rmul__ = _binary(_e.multiply, True)
Tensor.__truediv__ = _binary(_e.divide)
Tensor.__rtruediv__ = _binary(_e.divide, True)
Tensor.__pow__ = _binary(_e.power)
Tensor.__rpow__ = _binary(_e.power, True)
Tensor.__matmul__ = lambda self, other: _p.matmul(self, other if isinstance(other, Tensor) else Tensor(other))
Tensor.__rmatmul__ = lambda self, other: _p.matmul(other if isinstance(other, Tensor) else Tensor(other), self)
Tensor.__neg__ = lambda self: _e.negative(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: _e.abs(self)
Tensor.__eq__ = _binary(_e.equal)
Tensor.__ne__ = _binary(_e.not_equal)
Tensor.__lt__ = _binary(_e.less)
Tensor.__le__ = _binary(_e.less_equal)
Tensor.__gt__ = _binary(_e.greater)
Tensor.__ge__ = _binary(_e.greater_equal)
Tensor.__and__ = _binary(_e.logical_and)
Tensor.__or__ = _binary(_e.logical_or)
Tensor.__invert__ = lambda self: _e.logical_not(self)
Tensor.__getitem__ = lambda self, index: _s.getitem(self, index)

# -- properties -----------------------------------------------------------------------
Tensor.T = property(lambda self: _s.transpose(self))
Tensor.mT = property(lambda self: _s.matrix_transpose(self))


# -- methods (the function of the same name with the tensor first) --------------------
def _method(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = fn.__name__
    m.__doc__ = fn.__doc__
    return m


for _name, _fn in {
    "exp": _e.exp, "expm1": _e.expm1, "log": _e.log, "log1p": _e.log1p, "sqrt": _e.sqrt,
    "square": _e.square, "reciprocal": _e.reciprocal, "sin": _e.sin, "cos": _e.cos, "tan": _e.tan,
    "arcsin": _e.arcsin, "arccos": _e.arccos, "arctan": _e.arctan, "sinh": _e.sinh, "cosh": _e.cosh,
    "tanh": _e.tanh, "abs": _e.abs, "sign": _e.sign, "floor": _e.floor, "ceil": _e.ceil,
    "round": _e.round, "sigmoid": _e.sigmoid, "softplus": _e.softplus, "erf": _e.erf,
    "clip": _e.clip, "clamp": _e.clip, "maximum": _e.maximum, "minimum": _e.minimum,
    "astype": _e.astype, "pow": _e.power,
    "reshape": _s.reshape, "view": _s.reshape, "transpose": _s.transpose, "permute": _s.permute,
    "swapaxes": _s.swapaxes, "moveaxis": _s.moveaxis, "expand_dims": _s.expand_dims,
    "unsqueeze": _s.expand_dims, "squeeze": _s.squeeze, "flatten": _s.flatten, "ravel": _s.ravel,
    "broadcast_to": _s.broadcast_to, "expand": _s.broadcast_to, "take": _s.take,
    "sum": _r.sum, "mean": _r.mean, "matmul": _p.matmul,
}.items():
    setattr(Tensor, _name, _method(_fn))
