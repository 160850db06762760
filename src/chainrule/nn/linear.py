r"""Dense layers: affine and bilinear maps, and the layers that only reshape.

================  ======================================================  ===================
layer             computes                                                parameters
================  ======================================================  ===================
``Linear``        :math:`y = x W^\top + b`                                 W (out, in), b (out)
``Bilinear``      :math:`y_k = x_1^\top W_k\, x_2 + b_k`                  W (out, in1, in2)
``Identity``      :math:`y = x`
``Flatten``       dims ``start_dim..end_dim`` merged into one
``Unflatten``     one dim split into ``unflattened_size``
================  ======================================================  ===================

Layouts are PyTorch's, so weights move between the libraries unchanged.  The product
:math:`x W^\top` is one primitive, ``linear_map`` (PyTorch's ``linear``), whose
derivatives are matrix products of the operands as they are stored,

.. math:: \bar x = \bar y\, W,\qquad \bar W = \bar y^\top x,\qquad \bar b = \textstyle\sum_n \bar y_n,

so the weight's gradient comes out in the weight's own (out, in) layout, and a layer
records two operations (the product and the bias), not three (with ``weight.mT``).
"""
from __future__ import annotations

import numpy as np

from ..autodiff.batching import materialize
from ..autodiff.primitive import primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..ops.products import _matmul, matmul
from ..ops.reductions import sum as reduce_sum
from ..ops.shape import flatten, matrix_transpose, reshape
from ..tensor import Tensor
from . import init
from .input_checks import check_rank, check_size
from .module import Module


# ----------------------------------------------------------------------------- the linear map
@primitive(name="linear_map")
def _linear_map(x, weight):
    r""":math:`y = x W^\top` over the last axis of ``x`` (shape ``(*, in)``), ``W`` of shape
    (out, in): each row of ``x`` mapped by ``W``.

    .. math:: \bar x = \bar y\, W, \qquad \bar W = \textstyle\sum_n \bar y_n x_n^\top = \bar Y^\top X,
              \qquad \dot y = \dot x W^\top + x \dot W^\top

    Inputs of rank > 2 are reshaped to one matrix, so the product is a single matrix
    multiplication rather than a batch of small ones.
    """
    ns = xp(x, weight)
    if x.ndim > 2:
        y = ns.matmul(x.reshape(-1, x.shape[-1]), weight.T)
        return y.reshape(x.shape[:-1] + (weight.shape[0],))
    return ns.matmul(x, weight.T)


def _rows(a):
    """``a`` as a matrix of rows: its leading axes merged, a vector as one row."""
    return reshape(a, (-1, a.shape[-1])) if a.ndim != 2 else a


def _linear_map_vjp_x(g, out, x, weight):
    gx = _matmul(_rows(g), weight)
    return gx if x.ndim == 2 else reshape(gx, x.shape)


def _linear_map_vjp_weight(g, out, x, weight):
    return _matmul(matrix_transpose(_rows(g)), _rows(x))


def _linear_map_batch(args, batched, size):
    x, weight = args
    if not batched[1]:
        return _linear_map(x, weight)          # the batch is one more leading axis of x
    # a batch of weights (size, out, in): one batched product per member's rows
    if not batched[0]:
        x = materialize(x, size)
    lead = tuple(x.shape[1:-1])
    y = _matmul(reshape(x, (size, -1, x.shape[-1])), matrix_transpose(weight))
    return reshape(y, (size,) + lead + (weight.shape[1],))


_linear_map.defvjp(_linear_map_vjp_x, _linear_map_vjp_weight)
_linear_map.defjvp(lambda dx, out, x, weight: _linear_map(dx, weight),
                   lambda dw, out, x, weight: _linear_map(x, dw))
_linear_map.defbatch(_linear_map_batch)
_linear_map.formula(definition=r"Y = X W^\top", derivative=r"\bar X = \bar Y W,\ \bar W = \bar Y^\top X")


# ----------------------------------------------------------------------------- functions
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Affine map :math:`y = x W^\top + b` over the last axis of ``x`` (shape ``(*, in)``),
    ``weight`` of shape (out, in): the product is the primitive ``linear_map``.
    """
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input {fmt_shape(x.shape)} and weight {fmt_shape(weight.shape)} do not fit: "
                         f"the weight must be (out×in) with in equal to the input's last dimension")
    y = _linear_map(x, weight)
    return y if bias is None else y + bias


def bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Bilinear map :math:`y_k = \sum_{ij} x_{1,i} W_{kij} x_{2,j} + b_k` (shapes ``(*, in1)``, ``(*, in2)``).

    Computed as one matrix product :math:`u = x_1 \,[W_{kij}]_{i,(kj)}` followed by
    :math:`y_k = \sum_j u_{kj} x_{2,j}`.

    .. math:: \bar x_{1,i} = \sum_k \bar y_k (W_k x_2)_i,\quad \bar x_{2,j} = \sum_k \bar y_k (W_k^\top x_1)_j,
              \quad \bar W_{kij} = \bar y_k x_{1,i} x_{2,j}
    """
    out_features, in1, in2 = weight.shape
    lead = x1.shape[:-1]
    flat1 = reshape(x1, (-1, in1))
    flat2 = reshape(x2, (-1, 1, in2))
    # (in1, out·in2): the k and j axes side by side, so that x1 meets W in one product
    w = reshape(weight.transpose((1, 0, 2)), (in1, out_features * in2))
    u = reshape(matmul(flat1, w), (-1, out_features, in2))
    y = reduce_sum(u * flat2, axis=-1)
    y = reshape(y, lead + (out_features,))
    return y if bias is None else y + bias


# ----------------------------------------------------------------------------- modules
class Identity(Module):
    """:math:`y = x`; any constructor arguments are accepted and ignored (as PyTorch's)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    r"""Affine layer :math:`y = x W^\top + b`: input ``(*, in_features)``, output ``(*, out_features)``.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``,
    PyTorch's layout.  Initialization is PyTorch's: :math:`W, b \sim U(-k, k)` with
    :math:`k = 1/\sqrt{\mathrm{in\_features}}` (``kaiming_uniform_(a=√5)``).  ``dtype`` sets
    the parameters' dtype (the default dtype otherwise); ``generator`` (an int seed or a
    ``numpy.random.Generator``) overrides the default generator of ``cr.nn`` for the
    initial values.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None,
                 generator=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._weight_and_bias((self.out_features, self.in_features), self.out_features, bias, dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.default_weight_and_bias_(self.weight, self.bias, generator)

    def forward(self, x):
        if x.ndim == 0:
            check_rank(self, x, (1, 2, 3, 4, 5), f"(*×{self.in_features})")
        check_size(self, x, -1, self.in_features, f"(*×{self.in_features})", "in_features")
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    r"""Bilinear layer :math:`y_k = x_1^\top W_k x_2 + b_k`: inputs ``(*, in1_features)`` and
    ``(*, in2_features)``, output ``(*, out_features)``.

    ``weight`` is ``(out_features, in1_features, in2_features)``; initialization is
    PyTorch's, :math:`U(-k, k)` with :math:`k = 1/\sqrt{\mathrm{in1\_features}}` for both.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None, generator=None):
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        self._weight_and_bias((self.out_features, self.in1_features, self.in2_features), self.out_features, bias,
                              dtype)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        bound = 1 / np.sqrt(self.in1_features)
        generator = init.as_generator(generator)
        init.uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x1, x2):
        expected1, expected2 = f"(*×{self.in1_features})", f"(*×{self.in2_features})"
        if x1.ndim == 0 or x2.ndim == 0:
            check_rank(self, x1 if x1.ndim == 0 else x2, (1, 2, 3), "(*×features)")
        check_size(self, x1, -1, self.in1_features, expected1, "in1_features")
        check_size(self, x2, -1, self.in2_features, expected2, "in2_features")
        if x1.shape[:-1] != x2.shape[:-1]:
            from ..errors import ShapeError, fmt_shape
            raise ShapeError(f"Bilinear({self.extra_repr()}): the inputs' leading dimensions must agree, got "
                             f"{fmt_shape(x1.shape)} and {fmt_shape(x2.shape)}")
        return bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Merge dims ``start_dim`` .. ``end_dim`` into one (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a tuple whose product is that dim's length;
    one entry may be -1)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = int(dim)
        self.unflattened_size = tuple(int(n) for n in unflattened_size)

    def forward(self, x):
        from ..autodiff.batching import normalize_axis
        from ..errors import ShapeError, fmt_shape
        d = normalize_axis(self.dim, x.ndim, "Unflatten")
        known = int(np.prod([n for n in self.unflattened_size if n != -1]))
        ok = (known == x.shape[d]) if -1 not in self.unflattened_size else (known and x.shape[d] % known == 0)
        if not ok:
            raise ShapeError(f"Unflatten({self.extra_repr()}): dim {self.dim} of the input {fmt_shape(x.shape)} "
                             f"has length {x.shape[d]}, which {fmt_shape(self.unflattened_size)} does not fill")
        return reshape(x, x.shape[:d] + self.unflattened_size + x.shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
