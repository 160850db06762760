"""The operations of chainrule, by chapter, and the Tensor's operators and methods."""
from __future__ import annotations

from . import (conv, creation, elementwise, incomplete, indexing, log_sum_exp, ordering, padding,  # noqa: F401
               piecewise, products, reductions, shape, special)
from .conv import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .incomplete import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .log_sum_exp import *  # noqa: F401,F403
from .ordering import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .piecewise import *  # noqa: F401,F403
from .piecewise import abs, round  # noqa: F401,A004  (names shadowing builtins are exported explicitly)
from .elementwise import pow  # noqa: F401,A004
from .products import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .reductions import sum  # noqa: F401,A004
from .shape import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from ..autodiff.engine import apply_operator
from ..autodiff.primitive import Primitive
from ..tensor import Tensor

_e, _pw, _s, _pad, _i, _o, _r, _lse, _p, _sp, _cv = (elementwise, piecewise, shape, padding, indexing, ordering,
                                                     reductions, log_sum_exp, products, special, conv)


def _binary(op, reflected=False):
    """The operator method that applies ``op`` to ``(self, other)`` (or ``(other, self)``).

    Operators are the hottest path of the library (a training step is made of them), so
    a primitive is handed straight to the engine's ``apply_operator``, skipping one call.
    """
    if isinstance(op, Primitive):
        if reflected:
            return lambda self, other: apply_operator(op, other, self)
        return lambda self, other: apply_operator(op, self, other)
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
Tensor.__abs__ = lambda self: _pw.abs(self)
Tensor.__eq__ = _binary(_e.equal)
Tensor.__ne__ = _binary(_e.not_equal)
Tensor.__lt__ = _binary(_e.less)
Tensor.__le__ = _binary(_e.less_equal)
Tensor.__gt__ = _binary(_e.greater)
Tensor.__ge__ = _binary(_e.greater_equal)
Tensor.__and__ = _binary(_e.logical_and)
Tensor.__or__ = _binary(_e.logical_or)
Tensor.__invert__ = lambda self: _e.logical_not(self)
Tensor.__getitem__ = lambda self, index: _i.getitem(self, index)

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


# Each chapter lists, in ``TENSOR_METHODS``, the functions that are also methods of a
# Tensor (method name -> function); the chapters own their lists, so adding an op to a
# chapter never touches this file.
for _chapter in (_e, _pw, _s, _pad, _i, _o, _r, _lse, _p, _sp, _cv):
    for _name, _fn in _chapter.TENSOR_METHODS.items():
        setattr(Tensor, _name, _method(_fn))
