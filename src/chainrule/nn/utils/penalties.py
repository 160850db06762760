r"""Weight penalties: regularizers added to a loss to keep the parameters small.

.. math:: \mathrm{l1\_penalty}(\theta) = \sum_i |\theta_i|, \qquad
          \mathrm{l2\_penalty}(\theta) = \tfrac12 \sum_i \theta_i^2

so ``loss + lam * l2_penalty(model)`` has gradient ``∇loss + lam·θ``: exactly what an
optimizer's ``weight_decay=lam`` adds (for plain SGD).  The L1 penalty's derivative is
:math:`\operatorname{sign}\theta` (0 at 0), whose sparsity-inducing pull is the lasso's.

Both accept a module (its ``parameters()``), a tensor, or an iterable of tensors, and are
differentiable composites: they work inside ``cr.grad`` on a model argument.
"""
from __future__ import annotations

from ...ops.piecewise import abs as absolute
from ...ops.reductions import sum as reduce_sum
from ...tensor import Tensor


def _tensors(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    if hasattr(parameters, "parameters") and callable(parameters.parameters):
        return list(parameters.parameters())
    return list(parameters)


def l1_penalty(parameters) -> Tensor:
    r""":math:`\sum_i |\theta_i|` over every entry of every parameter."""
    terms = [reduce_sum(absolute(p)) for p in _tensors(parameters)]
    if not terms:
        raise ValueError("l1_penalty: no parameters")
    return sum(terms[1:], terms[0])


def l2_penalty(parameters) -> Tensor:
    r""":math:`\tfrac12 \sum_i \theta_i^2` over every entry of every parameter (gradient :math:`\theta`)."""
    terms = [reduce_sum(p * p) for p in _tensors(parameters)]
    if not terms:
        raise ValueError("l2_penalty: no parameters")
    return 0.5 * sum(terms[1:], terms[0])
