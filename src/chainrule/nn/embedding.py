r"""Embeddings: a lookup table of vectors, one row per token.

:math:`y_{\dots} = W_{i_{\dots}}` for integer indices :math:`i`; the derivative scatters
the cotangent back onto the rows that were looked up (rows used twice receive both
contributions):

.. math:: \bar W_r = \sum_{\dots :\, i_{\dots} = r} \bar y_{\dots}

With ``padding_idx`` that row receives no gradient (it stays as it is, zeros at
initialization), as in PyTorch.  ``scale_grad_by_freq`` divides each row's gradient by
the number of times its index occurs in the batch.  ``max_norm`` renormalizes, *in place*
and outside the graph, every looked-up row whose ``norm_type``-norm exceeds ``max_norm``
to that norm (PyTorch's :math:`W_r \leftarrow W_r\,\mathrm{max\_norm}/(\|W_r\| + 10^{-7})`).
"""
from __future__ import annotations

import numpy as np

from ..autodiff.transforms import stop_gradient
from ..errors import DTypeError, ShapeError, fmt_shape
from ..ops.elementwise import where
from ..ops.indexing import getitem
from ..ops.shape import expand_dims
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, empty_parameter
from .reduction import concrete


def _indices(indices, num_embeddings, where_):
    """The integer index array, checked against the table size."""
    data = concrete(indices)
    if data is None:
        raise ShapeError(f"{where_}: indices must be a plain integer tensor, not a batched one inside vmap")
    if data.dtype.kind not in "iu":
        raise DTypeError(f"{where_}: indices must be integers, got dtype {data.dtype}")
    if data.size and (data.min() < 0 or data.max() >= num_embeddings):
        bad = data[(data < 0) | (data >= num_embeddings)].flat[0]
        raise ShapeError(f"{where_}: index {int(bad)} is out of range for a table of {num_embeddings} rows "
                         f"(valid: 0 … {num_embeddings - 1})")
    return data


def _renorm_(weight: Tensor, rows, max_norm: float, norm_type: float) -> None:
    """Scale the rows ``rows`` of ``weight`` whose norm exceeds ``max_norm`` down to it, in place."""
    rows = np.unique(rows)
    table = weight.detach().data
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
    too_long = norms > max_norm
    if too_long.any():
        table[rows[too_long]] *= (max_norm / (norms[too_long] + 1e-7))[:, None].astype(table.dtype)
        weight._bump()


def embedding(indices, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at integer ``indices`` (any shape): output
    ``indices.shape + (dim,)``.  See the chapter for ``padding_idx``, ``max_norm`` and
    ``scale_grad_by_freq``; ``sparse`` is accepted and ignored (gradients are dense)."""
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be a matrix (num_embeddings×dim), got {fmt_shape(weight.shape)}")
    num = weight.shape[0]
    idx = _indices(indices, num, "embedding")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _renorm_(weight, idx.reshape(-1), max_norm, norm_type)
    out = getitem(weight, (idx,))
    if scale_grad_by_freq:
        values, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(idx.shape)]).astype(weight.dtype)
        frozen = stop_gradient(out)
        # value unchanged, gradient divided by the frequency of its index
        out = frozen + (out - frozen) * Tensor._wrap(scale[..., None])
    if padding_idx is not None:
        padded = expand_dims(Tensor._wrap(idx == padding_idx), -1)
        out = where(padded, stop_gradient(out), out)
    return out


class Embedding(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim``: ``weight`` ~ N(0, 1)
    (PyTorch's initialization), with the ``padding_idx`` row zeroed.  Input: integer
    indices of any shape; output: ``indices.shape + (embedding_dim,)``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None, dtype=None,
                 generator=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within num_embeddings "
                                 f"{self.num_embeddings}")
            padding_idx = padding_idx % self.num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = empty_parameter((self.num_embeddings, self.embedding_dim), dtype)
            self.weight.requires_grad = not _freeze
            self.reset_parameters(generator)
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ShapeError(f"Embedding: _weight has shape {fmt_shape(_weight.shape)}, expected "
                                 f"{fmt_shape((self.num_embeddings, self.embedding_dim))}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self, generator=None) -> None:
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
            self.weight._bump()

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False) -> "Embedding":
        """An embedding whose table is ``embeddings`` (rows × dim); frozen by default."""
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, indices):
        return embedding(indices, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s
