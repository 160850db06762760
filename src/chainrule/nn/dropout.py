r"""Dropout: random zeroing of activations during training, a regularizer.

In training each element is kept with probability :math:`1 - p` and scaled so that the
expectation is unchanged,

.. math:: y = \frac{m \odot x}{1 - p},\quad m_i \sim \mathrm{Bernoulli}(1 - p),
          \qquad \frac{\partial y}{\partial x} = \frac{m}{1 - p},

and in evaluation mode dropout is the identity.

Randomness is explicit: ``generator`` is an int seed or a ``numpy.random.Generator``.
A :class:`Dropout` module given an int seed makes its own generator from it once, so
successive calls draw different masks and a rerun draws the same sequence.  Without
one, masks come from the default generator of ``cr.nn``, reset by
:func:`chainrule.nn.manual_seed`.
"""
from __future__ import annotations

import numbers

from ..tensor import Tensor
from .init import as_generator
from .module import Module


def _check_p(p, where):
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: dropout probability p must be in [0, 1], got {p!r}")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None) -> Tensor:
    r"""Zero each element with probability ``p`` and scale the rest by :math:`1/(1-p)` (when ``training``).

    ``p = 1`` gives zeros; ``training=False`` or ``p = 0`` returns ``x`` itself.  ``inplace`` is
    accepted for PyTorch compatibility and ignored.  Inside ``vmap`` one mask is drawn per
    example shape and shared by the batch.
    """
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = as_generator(generator).random(x.shape) >= p
    scale = keep.astype(x.dtype) * (1.0 / (1.0 - p))
    return x * Tensor._wrap(scale.astype(x.dtype, copy=False))


class Dropout(Module):
    """:func:`dropout` as a module: active in training mode, the identity after ``eval()``.

    ``generator``: an int seed (a private generator is made from it once) or a
    ``numpy.random.Generator``; ``None`` uses the default generator of ``cr.nn``.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None):
        super().__init__()
        _check_p(p, "Dropout")
        self.p, self.inplace = float(p), inplace
        self.generator = None if generator is None else as_generator(generator)

    def forward(self, x):
        return dropout(x, self.p, self.training, generator=self.generator)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
