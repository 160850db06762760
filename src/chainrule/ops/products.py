r"""Products of tensors: matrix multiplication, Einstein summation and their relatives.

For :math:`Z = XY` the derivatives follow from :math:`dZ = dX\,Y + X\,dY`:

.. math:: \bar X = \bar Z Y^\top, \qquad \bar Y = X^\top \bar Z

The reverse rules multiply by *transposed views* (``y.mT`` is a view, and BLAS
reads it transposed), never by ``tensordot`` with copies.

An Einstein sum is *multilinear*: linear in each operand when the others are held
fixed.  So its derivative along operand :math:`k` is the same sum with :math:`X_k`
replaced by its tangent, and its adjoint is again an Einstein sum, of the cotangent
with the other operands (section "einsum" below).

Two primitives carry the chapter: ``matmul`` and ``einsum``.  ``dot``, ``inner``,
``outer``, ``vdot`` and ``tensordot`` are composites of ``matmul``, ``reshape`` and
``transpose`` (principle 3): NumPy itself computes ``tensordot`` as a transposition,
a reshape and one matrix product, so there is no faster kernel to wrap, and their
derivatives come from ``matmul``'s rules on transposed views.
"""
from __future__ import annotations

import functools
import math
import string
from collections import Counter

import numpy as np

from ..autodiff.batching import align, example_ndim, normalize_axis
from ..autodiff.primitive import primitive
from ..backend import xp
from ..errors import ShapeError, fmt_shape
from ..tensor import Tensor
from .elementwise import multiply
from .shape import broadcast_to, expand_dims, matrix_transpose, ravel, reshape, squeeze, transpose


# ----------------------------------------------------------------------------- matmul
@primitive(name="matmul")
def _matmul(x, y):
    return xp(x, y).matmul(x, y)


def _as_matrices(g, x, y):
    """Promote vector operands to matrices, and the cotangent to match (NumPy's matmul rule):
    a vector x is the row (1×k), a vector y the column (k×1)."""
    if y.ndim == 1:
        g = expand_dims(g, -1)
    if x.ndim == 1:
        g = expand_dims(g, -2)
    xe = expand_dims(x, 0) if x.ndim == 1 else x
    ye = expand_dims(y, 1) if y.ndim == 1 else y
    return g, xe, ye


def _stored_transposed(a) -> bool:
    """Whether the matrix ``a`` is stored column-major: the transpose of a row-major array,
    as ``W.mT`` in ``x @ W.mT`` with a PyTorch-layout (out, in) weight.  Memory layout only,
    never values: the reverse rules use it to give a cotangent the layout of its primal."""
    d = a._data if isinstance(a, Tensor) else a
    return d is not None and d.ndim == 2 and not d.flags.c_contiguous and d.flags.f_contiguous


def _matmul_vjp_x(g, out, x, y):
    if y.ndim > 1 and x.ndim > 1:                         # matrices (the common case)
        if _stored_transposed(x):
            # The same product computed transposed, (Y Ḡᵀ)ᵀ, is column-major like X: the
            # cotangent of a transposed row-major matrix then arrives at that matrix
            # row-major, ready for its optimizer, instead of as a strided view to copy.
            return matrix_transpose(_matmul(y, matrix_transpose(g)))
        return _matmul(g, matrix_transpose(y))
    g, xe, ye = _as_matrices(g, x, y)
    gx = _matmul(g, matrix_transpose(ye))
    return squeeze(gx, -2) if x.ndim == 1 else gx


def _matmul_vjp_y(g, out, x, y):
    if x.ndim > 1 and y.ndim > 1:
        if _stored_transposed(y):                         # x Wᵀ of a row-major W: W̄ = Ḡᵀ X, row-major
            return matrix_transpose(_matmul(matrix_transpose(g), x))
        return _matmul(matrix_transpose(x), g)
    g, xe, ye = _as_matrices(g, x, y)
    gy = _matmul(matrix_transpose(xe), g)
    return squeeze(gy, -1) if y.ndim == 1 else gy


def _matmul_batch(args, batched, size):
    x, y = args
    bx, by = batched
    # Vectors (batched or not) become explicit rows and columns, so the batch axis
    # can never be confused with NumPy's implicit vector promotion.
    x_vec = example_ndim(x, bx) == 1
    y_vec = example_ndim(y, by) == 1
    if x_vec:
        x = expand_dims(x, -2)                # (..., k) -> (..., 1, k): row vectors
    if y_vec:
        y = expand_dims(y, -1)                # (..., k) -> (..., k, 1): column vectors
    rank = max(example_ndim(x, bx), example_ndim(y, by))
    out = _matmul(align(x, bx, rank), align(y, by, rank))
    if y_vec:
        out = squeeze(out, -1)
    if x_vec:
        out = squeeze(out, -1 if y_vec else -2)
    return out


_matmul.defvjp(_matmul_vjp_x, _matmul_vjp_y)
_matmul.defjvp(lambda dx, out, x, y: _matmul(dx, y), lambda dy, out, x, y: _matmul(x, dy))
_matmul.defbatch(_matmul_batch)
_matmul.formula(definition=r"Z = XY", derivative=r"\bar X = \bar Z Y^\top,\ \bar Y = X^\top \bar Z")


def _check_inner(op, x, y):
    """The contracted dimensions of ``x @ y`` (last of x, second to last of y) must agree."""
    k1 = x.shape[-1]
    k2 = y.shape[-2] if y.ndim > 1 else y.shape[0]
    if k1 != k2:
        raise ShapeError(f"{op}: {fmt_shape(x.shape)}·{fmt_shape(y.shape)} is undefined, "
                         f"inner dimensions {k1} ≠ {k2}")


def matmul(x, y):
    r"""Matrix product :math:`Z = XY`, with NumPy's rules: vectors are promoted to
    matrices and leading (batch) axes broadcast.

    .. math:: \bar X = \bar Z Y^\top, \qquad \bar Y = X^\top \bar Z
    """
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got {fmt_shape(x.shape)} and "
                         f"{fmt_shape(y.shape)}; use * for scalars")
    _check_inner("matmul", x, y)
    return _matmul(x, y)


matmul.primitive = _matmul


# ----------------------------------------------------------------------------- composites of matmul
def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def dot(a, b):
    r"""NumPy's ``dot``: a product with a scalar, the inner product of vectors, the matrix
    product of matrices, and for N-D operands the sum over the last axis of ``a`` and
    the second to last of ``b``:

    .. math:: \mathrm{dot}(a, b)_{i\dots j\dots m} = \sum_k a_{i\dots k}\, b_{j\dots k m}

    A composite of ``matmul`` (and ``tensordot`` for N-D·M-D, M ≥ 2, where NumPy's axis
    order differs from ``matmul``'s broadcasting), so it inherits their derivatives.
    """
    a, b = _as_tensor(a), _as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    _check_inner("dot", a, b)
    if a.ndim == 1 or b.ndim == 1 or (a.ndim == 2 and b.ndim == 2):
        return _matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


def vdot(a, b):
    r"""The inner product of the flattened operands, :math:`\sum_i a_i b_i` (real tensors)."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.size != b.size:
        raise ShapeError(f"vdot: {fmt_shape(a.shape)} and {fmt_shape(b.shape)} hold {a.size} and {b.size} "
                         f"elements; the flattened operands must have equal length")
    return _matmul(ravel(a), ravel(b))


def inner(a, b):
    r"""Inner product over the last axes (NumPy's ``inner``):

    .. math:: \mathrm{inner}(a, b)_{i\dots j\dots} = \sum_k a_{i\dots k}\, b_{j\dots k}

    Shape ``a.shape[:-1] + b.shape[:-1]``; with a scalar operand, the product.
    """
    a, b = _as_tensor(a), _as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner: {fmt_shape(a.shape)} and {fmt_shape(b.shape)} have last dimensions "
                         f"{a.shape[-1]} ≠ {b.shape[-1]}")
    if a.ndim == 1 and b.ndim == 1:
        return _matmul(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a, b):
    r"""Outer product of the flattened operands, :math:`Z_{ij} = a_i b_j` (NumPy's ``outer``).

    Computed as the product of a column and a row: the reverse derivatives
    :math:`\bar a = \bar Z b`, :math:`\bar b = \bar Z^\top a` are then matrix-vector
    products (BLAS), about ten times faster than the broadcast product's multiply-and-sum.
    """
    a, b = _as_tensor(a), _as_tensor(b)
    return _matmul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def _tensordot_axes(a, b, axes):
    """The contracted axes of ``a`` and ``b`` (non-negative), from an int or a pair."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ShapeError(f"tensordot: axes={n} needs {n} ≥ 0 axes in each operand, got "
                             f"{fmt_shape(a.shape)} and {fmt_shape(b.shape)}")
        return tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of axis sequences, got {axes!r}") from None
    axes_a = (axes_a,) if isinstance(axes_a, (int, np.integer)) else tuple(axes_a)
    axes_b = (axes_b,) if isinstance(axes_b, (int, np.integer)) else tuple(axes_b)
    if len(axes_a) != len(axes_b):
        raise ShapeError(f"tensordot: {len(axes_a)} axes of a {axes_a} but {len(axes_b)} of b {axes_b}")
    axes_a = tuple(normalize_axis(int(i), a.ndim, "tensordot") for i in axes_a)
    axes_b = tuple(normalize_axis(int(i), b.ndim, "tensordot") for i in axes_b)
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ShapeError(f"tensordot: repeated axis in {axes!r}")
    return axes_a, axes_b


def tensordot(a, b, axes=2):
    r"""Sum of products over chosen axes (NumPy's ``tensordot``).

    ``axes=n`` contracts the last ``n`` axes of ``a`` with the first ``n`` of ``b``;
    ``axes=(axes_a, axes_b)`` contracts ``a``'s ``axes_a[i]`` with ``b``'s ``axes_b[i]``.

    .. math:: C_{I J} = \sum_K A_{I K} B_{K J}

    with :math:`I, J` the free axes and :math:`K` the contracted ones: the free and the
    contracted axes are flattened, so this is one matrix product :math:`C = AB` whose
    derivatives :math:`\bar A = \bar C B^\top`, :math:`\bar B = A^\top \bar C` flow back
    through the reshapes and transpositions.
    """
    a, b = _as_tensor(a), _as_tensor(b)
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(f"tensordot: axis {i} of a {fmt_shape(a.shape)} has length {a.shape[i]} but axis "
                             f"{j} of b {fmt_shape(b.shape)} has length {b.shape[j]}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    m = math.prod(a.shape[i] for i in free_a)
    k = math.prod(a.shape[i] for i in axes_a)
    n = math.prod(b.shape[j] for j in free_b)
    a2 = reshape(transpose(a, free_a + list(axes_a)), (m, k))
    b2 = reshape(transpose(b, list(axes_b) + free_b), (k, n))
    shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    return reshape(_matmul(a2, b2), shape)


# ----------------------------------------------------------------------------- einsum
# Subscripts are parsed and checked by the public ``einsum`` against the operands' shapes,
# and handed to the primitive in a *canonical* form: explicit output, every ``...``
# replaced by letters, and no broadcasting (an operand's length-1 axis that broadcasts
# is squeezed out, and its label dropped from that operand).  So inside the primitive
# and its rules every label has one length, which keeps the adjoint a plain einsum.
_LETTERS = string.ascii_letters
_SYNTAX = "indices are letters a-z and A-Z, with '...' for broadcast dimensions"


def _tokens(term, subscripts):
    """A term of the subscripts as tokens: single letters and '...'."""
    tokens, i = [], 0
    while i < len(term):
        if term.startswith("...", i):
            if "..." in tokens:
                raise ValueError(f"einsum: '...' appears twice in the term {term!r} of {subscripts!r}")
            tokens.append("...")
            i += 3
        elif term[i] in _LETTERS:
            tokens.append(term[i])
            i += 1
        else:
            what = "a '.' outside '...'" if term[i] == "." else f"invalid character {term[i]!r}"
            raise ValueError(f"einsum: {what} in subscripts {subscripts!r}; {_SYNTAX}")
    return tuple(tokens)


@functools.lru_cache(maxsize=1024)
def _parse(subscripts):
    """``(input terms, output term or None when implicit)``, parsed once per string."""
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"einsum: '->' appears more than once in {subscripts!r}")
    lhs, arrow, rhs = text.partition("->")
    inputs = tuple(_tokens(term, subscripts) for term in lhs.split(","))
    return inputs, (_tokens(rhs, subscripts) if arrow else None)


def _check_lengths(labels, shapes, ellipsis):
    """Each label's length, checked: equal within an operand, equal or 1 across operands."""
    seen = {}                                 # label -> [(operand, length)]
    for k, (term, shape) in enumerate(zip(labels, shapes)):
        here = {}
        for lab, n in zip(term, shape):
            if here.setdefault(lab, n) != n:
                raise ShapeError(f"einsum: index '{lab}' repeats in operand {k} {fmt_shape(shape)} over "
                                 f"lengths {here[lab]} and {n}; a diagonal needs equal lengths")
        for lab, n in here.items():
            seen.setdefault(lab, []).append((k, n))
    length = {}
    for lab, where in seen.items():
        long = [(k, n) for k, n in where if n != 1]
        for k, n in long[1:]:
            if n != long[0][1]:
                k0, n0 = long[0]
                if lab in ellipsis:
                    raise ShapeError(f"einsum: the dimensions under '...' of operand {k0} {fmt_shape(shapes[k0])} "
                                     f"and operand {k} {fmt_shape(shapes[k])} cannot be broadcast together")
                raise ShapeError(f"einsum: index '{lab}' is {n0} in operand {k0} but {n} in operand {k}")
        length[lab] = long[0][1] if long else 1
    return length


@functools.lru_cache(maxsize=1024)
def _canonical(subscripts, shapes):
    """Validate ``subscripts`` against the operand shapes; return the canonical subscripts
    and, per operand, the broadcast (length-1) axes to squeeze away."""
    inputs, output = _parse(subscripts)
    if len(inputs) != len(shapes):
        raise ShapeError(f"einsum: subscripts {subscripts!r} name {len(inputs)} operand(s) but "
                         f"{len(shapes)} were given")
    named = [len(term) - ("..." in term) for term in inputs]
    for k, (term, shape, n) in enumerate(zip(inputs, shapes, named)):
        if len(shape) < n or ("..." not in term and len(shape) != n):
            raise ShapeError(f"einsum: operand {k} has {len(shape)} dimension(s) {fmt_shape(shape)} but its "
                             f"subscripts {''.join(term)!r} name {n}")
    rank = max((len(s) - n for s, n, t in zip(shapes, named, inputs) if "..." in t), default=0)
    free = [c for c in _LETTERS if c not in subscripts]
    if rank > len(free):
        raise ValueError(f"einsum: {subscripts!r} leaves too few unused letters for {rank} broadcast dimensions")
    ellipsis = free[:rank]                    # the letters that stand for the dimensions under '...'

    def expand(term, r):
        return [lab for tok in term for lab in (ellipsis[rank - r:] if tok == "..." else [tok])]

    labels = [expand(t, len(s) - n) for t, s, n in zip(inputs, shapes, named)]
    if output is None:                        # implicit: '...', then the labels used once, sorted
        counts = Counter(tok for term in inputs for tok in term if tok != "...")
        out = ellipsis + sorted(lab for lab, c in counts.items() if c == 1)
    else:
        if rank and "..." not in output:
            raise ShapeError(f"einsum: the operands have dimensions under '...' but the output "
                             f"{''.join(output)!r} of {subscripts!r} has no '...' to hold them")
        for lab, c in Counter(output).items():
            if c > 1:
                raise ShapeError(f"einsum: index '{lab}' appears {c} times in the output of {subscripts!r}")
            if lab != "..." and not any(lab in term for term in inputs):
                raise ShapeError(f"einsum: output index '{lab}' appears in no input of {subscripts!r}")
        out = expand(output, rank)
    length = _check_lengths(labels, shapes, set(ellipsis))
    squeezes = []
    for k, (term, shape) in enumerate(zip(labels, shapes)):
        axes = tuple(i for i, (lab, n) in enumerate(zip(term, shape)) if n == 1 and length[lab] != 1)
        squeezes.append(axes)
        labels[k] = [lab for i, lab in enumerate(term) if i not in axes]
    return ",".join("".join(t) for t in labels) + "->" + "".join(out), tuple(squeezes)


@functools.lru_cache(maxsize=1024)
def _terms(subscripts):
    """Canonical subscripts as (input terms, output term)."""
    lhs, _, rhs = subscripts.partition("->")
    return tuple(lhs.split(",")), rhs


def _fresh(subscripts, count=1):
    """``count`` letters that ``subscripts`` does not use (for new axes)."""
    free = [c for c in _LETTERS if c not in subscripts]
    if len(free) < count:
        raise ValueError(f"einsum: {subscripts!r} uses too many of the 52 index letters to add {count} more")
    return free[:count]


# A naive loop over every label combination this small is faster than planning a
# contraction order (~15 µs of Python in numpy.einsum_path).
_SMALL_EINSUM = 1 << 14


@functools.lru_cache(maxsize=1024)
def _contraction_order(subscripts, shapes, optimize):
    """numpy's ``optimize=`` argument: False (one C loop) for one operand or a tiny problem,
    else a contraction path planned once per subscripts and shapes; numpy then computes
    each pairwise contraction with BLAS (batched matmul or tensordot)."""
    inputs, _ = _terms(subscripts)
    length = {lab: n for term, shape in zip(inputs, shapes) for lab, n in zip(term, shape)}
    if not optimize or len(shapes) == 1 or math.prod(length.values()) <= _SMALL_EINSUM:
        return False
    if len(shapes) == 2:
        return ("einsum_path", (0, 1))
    dummies = [np.broadcast_to(np.empty(()), s) for s in shapes]   # einsum_path needs only shapes
    return tuple(np.einsum_path(subscripts, *dummies, optimize=optimize)[0])


@primitive(name="einsum", variadic=True)
def _einsum(*operands, subscripts, optimize):
    ns = xp(*operands)
    if ns is np:
        order = _contraction_order(subscripts, tuple(o.shape for o in operands), optimize)
        return np.einsum(subscripts, *operands, optimize=list(order) if order else False)
    return ns.einsum(subscripts, *operands, optimize=optimize)


@functools.lru_cache(maxsize=256)
def _diagonal_ones(n, m, dtype):
    r"""The constant :math:`\delta_{i_1 \dots i_m}`: shape (n,)*m, ones where all indices agree."""
    d = np.zeros((n,) * m, dtype=dtype)
    d[(np.arange(n),) * m] = 1
    d.flags.writeable = False
    return d


def _delta(n, m, dtype):
    return Tensor._wrap(_diagonal_ones(n, m, np.dtype(dtype)))


@functools.lru_cache(maxsize=1024)
def _adjoint_plan(subscripts, argnum, shape):
    """How the cotangent of operand ``argnum`` is an einsum of the output's cotangent with
    the other operands: its subscripts, the diagonal patterns (length, multiplicity) to
    append as operands, and the shape to broadcast from (or None)."""
    inputs, output = _terms(subscripts)
    mine = inputs[argnum]
    others = tuple(j for j in range(len(inputs)) if j != argnum)
    elsewhere = set(output).union(*(inputs[j] for j in others))
    fresh = iter(_fresh(subscripts, len(mine) - len(set(mine))))
    groups, result = {}, []
    for lab in mine:                          # a repeated label gets a new letter per repeat
        result.append(lab if lab not in groups else next(fresh))
        groups.setdefault(lab, []).append(result[-1])
    deltas = tuple((shape[mine.index(lab)], len(g)) for lab, g in groups.items() if len(g) > 1)
    delta_terms = ["".join(g) for g in groups.values() if len(g) > 1]
    lonely = {lab for lab, g in groups.items() if len(g) == 1 and lab not in elsewhere}
    kept = "".join(lab for lab in result if lab not in lonely)
    terms = [output] + [inputs[j] for j in others] + delta_terms
    identity = len(terms) == 1 and terms[0] == kept
    kept_shape = tuple(1 if lab in lonely else n for lab, n in zip(result, shape)) if lonely else None
    return ",".join(terms) + "->" + kept, others, deltas, kept_shape, identity


def _einsum_vjp(g, out, *xs, argnum, subscripts, optimize):
    # x̄_k = einsum(ḡ, x_j for j ≠ k, δ for each repeated index of x_k -> indices of x_k),
    # then broadcast along the indices that only x_k has (the sum over them is a constant).
    x = xs[argnum]
    adjoint, others, deltas, kept_shape, identity = _adjoint_plan(subscripts, argnum, tuple(x.shape))
    operands = [g] + [xs[j] for j in others] + [_delta(n, m, g.dtype) for n, m in deltas]
    gx = g if identity else _einsum(*operands, subscripts=adjoint, optimize=optimize)
    if kept_shape is not None:
        gx = broadcast_to(reshape(gx, kept_shape), x.shape)
    return gx


def _einsum_jvp(dx, out, *xs, argnum, subscripts, optimize):
    # multilinear: the tangent along x_k is the same sum with x_k replaced by dx_k
    args = list(xs)
    args[argnum] = dx
    return _einsum(*args, subscripts=subscripts, optimize=optimize)


def _batched_subscripts(subscripts, batched):
    inputs, output = _terms(subscripts)
    (b,) = _fresh(subscripts)
    return ",".join(b + t if bt else t for t, bt in zip(inputs, batched)) + "->" + b + output


def _einsum_batch(args, batched, size, subscripts, optimize):
    # the batch axis is one more index, carried by the batched operands and the output
    return _einsum(*args, subscripts=_batched_subscripts(subscripts, tuple(batched)), optimize=optimize)


_einsum.defvjp(_einsum_vjp)
_einsum.defjvp(_einsum_jvp)
_einsum.defbatch(_einsum_batch)
_einsum.formula(definition=r"Y_{\mathrm{out}} = \textstyle\sum_{\text{other indices}} \prod_k X^{(k)}_{\mathrm{in}_k}",
                derivative=r"\bar X^{(k)} = \mathrm{einsum}(\bar Y, X^{(j \ne k)}, \delta \to \mathrm{in}_k)",
                convention="the cotangent of a repeated index lands on the diagonal")


def einsum(subscripts: str, *operands, optimize="greedy"):
    r"""Einstein summation: multiply the operands along shared indices and sum over the
    indices not in the output (NumPy's ``einsum``).

    .. math:: Y_{\mathrm{out}} = \sum_{\text{indices not in out}} \prod_k X^{(k)}_{\mathrm{in}_k}

    ``'ij,jk->ik'`` is a matrix product, ``'ii->'`` a trace, ``'ii->i'`` a diagonal,
    ``'i,j->ij'`` an outer product, ``'...ij,...jk->...ik'`` a batched product whose
    leading dimensions broadcast.  Without ``->`` the output holds the broadcast
    dimensions, then the indices used once, in alphabetical order (uppercase first).
    Length-1 dimensions broadcast against longer ones, as in NumPy.

    The sum is linear in each operand, so its derivatives are einsums too:

    .. math:: \dot Y = \sum_k \mathrm{einsum}(\dots, \dot X^{(k)}, \dots), \qquad
              \bar X^{(k)} = \mathrm{einsum}(\bar Y, X^{(j \ne k)} \to \mathrm{in}_k)

    An index that only :math:`X^{(k)}` has is summed away, so its cotangent is
    constant (broadcast) along it; an index repeated in :math:`X^{(k)}` reads a
    diagonal, so its cotangent lands on that diagonal and is zero elsewhere.

    ``optimize`` chooses the contraction order of three or more operands: ``"greedy"``
    (default; ``True`` is the same), ``"optimal"``, or ``False`` (one loop over all
    indices, NumPy's default).  Pairwise contractions run on BLAS.
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {type(subscripts).__name__}")
    if optimize is True:
        optimize = "greedy"
    if optimize not in (False, "greedy", "optimal"):
        raise ValueError(f"einsum: optimize must be 'greedy', 'optimal', True or False, got {optimize!r}")
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    operands = [_as_tensor(x) for x in operands]
    canonical, squeezes = _canonical(subscripts, tuple(tuple(x.shape) for x in operands))
    operands = [squeeze(x, axes) if axes else x for x, axes in zip(operands, squeezes)]
    return _einsum(*operands, subscripts=canonical, optimize=optimize)


einsum.primitive = _einsum


# The functions that are also Tensor methods (``x.matmul(y)``), wired in ``ops/__init__.py``.
TENSOR_METHODS = {"matmul": matmul, "dot": dot, "inner": inner, "outer": outer, "vdot": vdot}


# The public names of this chapter: the functions defined here (not the helpers it imports).
__all__ = [_n for _n, _v in list(globals().items())
           if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__]
