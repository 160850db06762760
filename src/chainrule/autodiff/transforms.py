r"""Function transforms: derivatives of Python functions.

========================  ==========================================================
``grad(f)(x)``            :math:`\nabla f(x)` for scalar :math:`f` (reverse mode)
``value_and_grad(f)(x)``  :math:`(f(x), \nabla f(x))`
``vjp(f, x)``             :math:`f(x)` and the pull-back :math:`u \mapsto J^\top u`
``jvp(f, (x,), (v,))``    :math:`(f(x), J v)` in true forward mode
``vmap(f)(xs)``           :math:`f` applied to every slice of a batch, in one pass
``jacrev(f)(x)``          :math:`J` row by row, the rows batched: one reverse pass
``jacfwd(f)(x)``          :math:`J` column by column, batched: one forward pass
``jacobian(f, mode=)``    ``"rev"``, ``"fwd"``, or ``"auto"`` (fewer basis vectors wins)
``hessian(f)(x)``         :math:`\nabla^2 f(x)`, forward over reverse
``hvp(f, (x,), (v,))``    :math:`\nabla^2 f(x)\, v` without forming the Hessian
========================  ==========================================================

All transforms nest to any order (``grad(grad(f))``, ``jacfwd(jacrev(f))``), take
arguments that are tensors, NumPy arrays, Python floats or nested lists, tuples and
dicts of them, and return tensors shaped like the arguments.  The Jacobian of
:math:`f: \mathbb{R}^{n} \to \mathbb{R}^{m}` has shape ``out.shape + in.shape``.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import GraphError, fmt_shape
from ..tensor import Tensor
from .engine import check_differentiable, new_level, reverse_pass
from .pytree import tree_flatten, tree_unflatten


def _as_tensor(x, where):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float, np.ndarray, np.generic, list)):
        return Tensor(x) if not isinstance(x, int) else Tensor(float(x))
    raise TypeError(f"{where}: expected tensors, arrays or numbers as arguments to differentiate, "
                    f"got {type(x).__name__}")


def _argnums_tuple(argnums, nargs, where):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise ValueError(f"{where}: argnums={argnums} but the function was called with {nargs} "
                             f"positional arguments")
    return tuple(a % nargs for a in nums), single


def _lower_out(t, level):
    """A result of the transform, seen from outside it (one level down)."""
    if isinstance(t, Tensor) and t._level is level:
        return t._lower
    return t


# ----------------------------------------------------------------------------- reverse
def vjp(f, *primals, has_aux: bool = False):
    r"""Evaluate ``f(*primals)`` and return its pull-back :math:`u \mapsto u^\top J`.

    Returns ``(out, vjp_fn)`` (and ``aux`` with ``has_aux``); ``vjp_fn(u)`` takes a
    cotangent shaped like ``out`` and returns a tuple with one cotangent per primal.
    ``vjp_fn`` can be called many times (and inside ``vmap``).
    """
    flat, trees = [], []
    for p in primals:
        leaves, d = tree_flatten(p)
        leaves = [_as_tensor(x, "vjp") for x in leaves]
        for x in leaves:
            check_differentiable(x, "vjp")
        flat.append(leaves)
        trees.append(d)
    with new_level("rev") as level:
        boxed = [[Tensor._box(level, x) for x in leaves] for leaves in flat]
        out = f(*[tree_unflatten(d, b) for d, b in zip(trees, boxed)])
        if has_aux:
            out, aux = out
    out_leaves, out_tree = tree_flatten(out)
    lowered = [_lower_out(o, level) for o in out_leaves]

    def vjp_fn(cotangent):
        ct_leaves, ct_tree = tree_flatten(cotangent)
        if len(ct_leaves) != len(out_leaves):
            raise GraphError(f"vjp_fn: expected a cotangent with the structure of the output "
                             f"({len(out_leaves)} tensors), got {len(ct_leaves)}")
        roots = []
        for o, low, ct in zip(out_leaves, lowered, ct_leaves):
            ct = _as_tensor(ct, "vjp_fn")
            if ct.shape != low.shape:
                raise GraphError(f"vjp_fn: cotangent of shape {fmt_shape(ct.shape)} for an output of "
                                 f"shape {fmt_shape(low.shape)}")
            if isinstance(o, Tensor) and o._level is level:
                roots.append((o, ct))
        leaves = reverse_pass(roots) if roots else {}
        result = []
        for d, xs, bs in zip(trees, flat, boxed):
            from ..ops.creation import zeros_like
            cts = [leaves[b] if b in leaves else zeros_like(x) for x, b in zip(xs, bs)]
            result.append(tree_unflatten(d, cts))
        return tuple(result)

    out_value = tree_unflatten(out_tree, lowered)
    if has_aux:
        return out_value, vjp_fn, _strip_tree(aux, level)
    return out_value, vjp_fn


def _strip_tree(tree, level):
    leaves, d = tree_flatten(tree)
    return tree_unflatten(d, [_lower_out(x, level) for x in leaves])


def value_and_grad(f, argnums=0, has_aux: bool = False):
    r"""A function returning ``(f(*args), ∇f)``, the gradient taken with respect to ``argnums``.

    ``f`` must return a scalar (a one-element tensor); with ``has_aux=True`` it returns
    ``(scalar, aux)`` and the result is ``((value, aux), grad)``.
    """
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        nums, single = _argnums_tuple(argnums, len(args), "grad")

        def g(*diff):
            full = list(args)
            for k, a in zip(nums, diff):
                full[k] = a
            return f(*full, **kwargs)

        res = vjp(g, *[args[k] for k in nums], has_aux=has_aux)
        out, pull = res[0], res[1]
        if not isinstance(out, Tensor) or out.size != 1:
            shape = fmt_shape(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise GraphError(f"grad: the function must return a scalar to take its gradient, but it "
                             f"returned {shape}; use cr.jacobian for vector outputs, or reduce it (e.g. .sum())")
        from ..ops.creation import ones_like
        grads = pull(ones_like(out))
        grads = grads[0] if single else grads
        if has_aux:
            return (out, res[2]), grads
        return out, grads

    return wrapper


def grad(f, argnums=0, has_aux: bool = False):
    r"""The gradient :math:`\nabla f` of a scalar function, as a function.

    ``cr.grad(f)(x)`` has the shape (and nesting) of ``x``; ``argnums`` picks the
    arguments (an int, or a tuple giving a tuple of gradients).  Nests to any order:
    ``cr.grad(cr.grad(f))``.
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


# ----------------------------------------------------------------------------- forward
def jvp(f, primals, tangents):
    r"""Forward mode: ``(f(x), J v)`` computed in one pass, tangents travelling with values.

    ``primals`` and ``tangents`` are tuples of the same structure (one entry per
    argument of ``f``).
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. cr.jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    flat_p, tree_p = tree_flatten(list(primals))
    flat_t, tree_t = tree_flatten(list(tangents))
    if len(flat_p) != len(flat_t):
        raise ValueError("jvp: primals and tangents must have the same structure")
    xs = [_as_tensor(p, "jvp") for p in flat_p]
    vs = []
    for x, v in zip(xs, flat_t):
        check_differentiable(x, "jvp")
        v = _as_tensor(v, "jvp")
        if v.shape != x.shape:
            raise ValueError(f"jvp: tangent of shape {fmt_shape(v.shape)} for a primal of shape "
                             f"{fmt_shape(x.shape)}")
        if v.dtype != x.dtype:
            from ..ops.elementwise import astype
            v = astype(v, x.dtype)
        vs.append(v)
    with new_level("fwd") as level:
        boxed = [Tensor._box(level, x, tangent=v) for x, v in zip(xs, vs)]
        out = f(*tree_unflatten(tree_p, boxed))
    out_leaves, out_tree = tree_flatten(out)
    values, tans = [], []
    from ..ops.creation import zeros_like
    for o in out_leaves:
        if isinstance(o, Tensor) and o._level is level:
            values.append(o._lower)
            tans.append(o._tangent)
        else:
            values.append(o)
            tans.append(zeros_like(o) if isinstance(o, Tensor) else 0.0)
    return tree_unflatten(out_tree, values), tree_unflatten(out_tree, tans)


# ----------------------------------------------------------------------------- batching
def vmap(f, in_axes=0, out_axes=0):
    r"""Vectorize ``f`` over an axis of its arguments: ``vmap(f)(xs)[i] == f(xs[i])``.

    ``in_axes`` is an int (every argument), ``None`` (not batched) or a tuple with
    one entry per positional argument; ``out_axes`` says where the batch axis goes
    in the result.  The function runs once, on the whole batch.
    """
    @functools.wraps(f)
    def wrapper(*args):
        axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        if len(axes) != len(args):
            raise ValueError(f"vmap: in_axes has {len(axes)} entries for {len(args)} arguments")
        size = None
        flat_args = []
        for a, ax in zip(args, axes):
            leaves, d = tree_flatten(a)
            leaves = [_as_tensor(x, "vmap") if ax is not None else x for x in leaves]
            if ax is not None:
                for x in leaves:
                    if x.ndim == 0:
                        raise ValueError("vmap: cannot map over axis of a 0-d tensor")
                    n = x.shape[ax]
                    if size is not None and n != size:
                        raise ValueError(f"vmap: inconsistent batch sizes {size} and {n} along in_axes")
                    size = n
            flat_args.append((leaves, d, ax))
        if size is None:
            raise ValueError("vmap: no argument is mapped (all in_axes are None)")
        from ..ops.shape import moveaxis
        with new_level("batch", size) as level:
            call = []
            for leaves, d, ax in flat_args:
                if ax is None:
                    call.append(tree_unflatten(d, leaves))
                else:
                    call.append(tree_unflatten(d, [Tensor._box(level, moveaxis(x, ax, 0)) for x in leaves]))
            out = f(*call)
        from .batching import materialize
        out_leaves, out_tree = tree_flatten(out)
        results = []
        for o in out_leaves:
            if isinstance(o, Tensor) and o._level is level:
                r = o._lower
            else:
                r = materialize(o, size)
            results.append(moveaxis(r, 0, out_axes) if out_axes != 0 else r)
        return tree_unflatten(out_tree, results)

    return wrapper


# ----------------------------------------------------------------------------- Jacobians
def _basis(x: Tensor) -> Tensor:
    """The standard basis of the space of ``x``: ``n`` tensors shaped like ``x``, stacked."""
    n = x.size
    return Tensor._wrap(np.eye(n, dtype=x.dtype).reshape((n,) + tuple(x.shape)))


def _fix_others(f, args, k):
    def g(x):
        full = list(args)
        full[k] = x
        return f(*full)
    return g


def jacrev(f, argnums=0):
    r"""The Jacobian by reverse mode: one forward pass, then all rows :math:`e_i^\top J`
    in one batched backward pass.  Best when outputs are fewer than inputs."""
    @functools.wraps(f)
    def wrapper(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacrev")
        xs = [_as_tensor(args[k], "jacrev") for k in nums]

        def g(*diff):
            full = list(args)
            for k, a in zip(nums, diff):
                full[k] = a
            return f(*full)

        y, pull = vjp(g, *xs)
        if not isinstance(y, Tensor):
            raise TypeError("jacrev: the function must return a single tensor")
        cts = vmap(pull)(_basis(y))
        from ..ops.shape import reshape
        jacs = tuple(reshape(c, tuple(y.shape) + tuple(x.shape)) for c, x in zip(cts, xs))
        return jacs[0] if single else jacs

    return wrapper


def jacfwd(f, argnums=0):
    r"""The Jacobian by forward mode: all columns :math:`J e_j` in one batched forward
    pass.  Best when inputs are fewer than outputs."""
    @functools.wraps(f)
    def wrapper(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacfwd")
        jacs = []
        for k in nums:
            x = _as_tensor(args[k], "jacfwd")
            g = _fix_others(f, args, k)
            cols = vmap(lambda v: jvp(g, (x,), (v,))[1])(_basis(x))   # (n, *y.shape)
            from ..ops.shape import moveaxis, reshape
            yshape = tuple(cols.shape[1:])
            jacs.append(reshape(moveaxis(cols, 0, -1), yshape + tuple(x.shape)))
        return jacs[0] if single else tuple(jacs)

    return wrapper


def jacobian(f, argnums=0, mode: str = "auto"):
    r"""The Jacobian :math:`J_{ij} = \partial f_i / \partial x_j`, shaped ``out.shape + in.shape``.

    ``mode="rev"`` pushes one cotangent per output (cheap for few outputs),
    ``"fwd"`` one tangent per input (cheap for few inputs); ``"auto"`` evaluates
    ``f`` once to count both and picks the smaller.
    """
    if mode not in ("rev", "fwd", "auto"):
        raise ValueError(f"jacobian: unknown mode {mode!r}; expected 'rev', 'fwd' or 'auto'")
    if mode == "rev":
        return jacrev(f, argnums)
    if mode == "fwd":
        return jacfwd(f, argnums)

    @functools.wraps(f)
    def wrapper(*args):
        from .engine import no_grad
        with no_grad():
            y = f(*args)
        nums, _ = _argnums_tuple(argnums, len(args), "jacobian")
        n_in = sum(_as_tensor(args[k], "jacobian").size for k in nums)
        chosen = jacfwd if n_in < y.size else jacrev
        return chosen(f, argnums)(*args)

    return wrapper


def hessian(f, argnums=0):
    r"""The Hessian :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j` of a scalar
    function, computed forward over reverse: ``jacfwd(jacrev(f))``."""
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    r"""The Hessian-vector product :math:`\nabla^2 f(x)\, v`, as the forward-mode
    derivative of the gradient along :math:`v` (no Hessian is formed).

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``; the
    result has the shape of the single argument (a tuple for several).
    """
    gradient = grad(f, argnums=tuple(range(len(primals))))
    products = jvp(gradient, tuple(primals), tuple(tangents))[1]
    return products[0] if len(primals) == 1 else products


def stop_gradient(x):
    """The value of ``x`` as a constant: no derivative flows through it at any level."""
    leaves, d = tree_flatten(x)
    return tree_unflatten(d, [_stop(v) for v in leaves])


def _stop(v):
    if not isinstance(v, Tensor):
        return v
    t = v
    while t._level is not None and t._level.kind != "batch":
        t = t._lower
    if t._level is None:
        return Tensor._wrap(t._data)
    # inside vmap: keep the batch, drop the derivative levels beneath it
    return Tensor._box(t._level, _stop(t._lower))
