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
from .engine import check_differentiable, new_level
from .tape import reverse_pass
from .pytree import tree_flatten, tree_map, tree_unflatten


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
    return _vjp(f, primals, has_aux, "vjp")


def _vjp(f, primals, has_aux, where):
    """:func:`vjp`, with errors about the arguments naming the transform the user called."""
    flat, trees = [], []
    for p in primals:
        leaves, d = tree_flatten(p)
        leaves = [_as_tensor(x, where) for x in leaves]
        for x in leaves:
            check_differentiable(x, where)
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
        owned = set()
        for d, xs, bs in zip(trees, flat, boxed):
            from ..ops.creation import zeros_like
            cts = [_own(leaves[b], owned) if b in leaves else zeros_like(x) for x, b in zip(xs, bs)]
            result.append(tree_unflatten(d, cts))
        return tuple(result)

    out_value = tree_unflatten(out_tree, lowered)
    if has_aux:
        return out_value, vjp_fn, _strip_tree(aux, level)
    return out_value, vjp_fn


def _own(ct, owned):
    """A cotangent the caller may update in place: the reverse pass may return a read-only
    broadcast view (the adjoint of ``sum``) or one array for several arguments (``add``
    passes its cotangent to both).  Only constants are copied; a cotangent with a graph or
    a transform level is a value of a computation, not a buffer."""
    data = ct._data
    if ct._level is not None or ct._node is not None or data is None:
        return ct
    flags = getattr(data, "flags", None)
    if id(data) in owned or (flags is not None and not getattr(flags, "writeable", True)):
        ct = Tensor._wrap(data.copy())
    owned.add(id(ct._data))
    return ct


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

        res = _vjp(g, [args[k] for k in nums], has_aux, "grad")
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
    return _jvp(f, primals, tangents, "jvp")


def _jvp(f, primals, tangents, where):
    """:func:`jvp`, with errors about the arguments naming the transform the user called."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. cr.jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    flat_p, tree_p = tree_flatten(list(primals))
    flat_t, tree_t = tree_flatten(list(tangents))
    if len(flat_p) != len(flat_t):
        raise ValueError("jvp: primals and tangents must have the same structure")
    xs = [_as_tensor(p, where) for p in flat_p]
    vs = []
    for x, v in zip(xs, flat_t):
        check_differentiable(x, where)
        v = _as_tensor(v, where)
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
    owned = set()
    from ..ops.creation import zeros_like
    for o in out_leaves:
        if isinstance(o, Tensor) and o._level is level:
            values.append(o._lower)
            tans.append(_own(o._tangent, owned))
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
                    if not -x.ndim <= ax < x.ndim:
                        from ..errors import ShapeError
                        raise ShapeError(f"vmap: in_axes={ax} is out of range for an argument of shape "
                                         f"{fmt_shape(x.shape)}")
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


def jacrev(f, argnums=0):
    r"""The Jacobian by reverse mode: one forward pass, then all rows :math:`e_i^\top J`
    in one batched backward pass.  Best when outputs are fewer than inputs.

    Arguments and outputs may be pytrees (as in JAX): every output leaf is replaced by
    the Jacobian with respect to the argument (a pytree like the argument, or a tuple
    of them for a tuple ``argnums``), each leaf of it shaped ``out.shape + in.shape``.
    """
    @functools.wraps(f)
    def wrapper(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacrev")

        def g(*diff):
            full = list(args)
            for k, a in zip(nums, diff):
                full[k] = a
            return f(*full)

        y, pull = _vjp(g, [args[k] for k in nums], False, "jacrev")
        from ..ops.creation import zeros_like
        from ..ops.shape import reshape
        y_leaves, y_tree = tree_flatten(y)
        rows = []
        for o, yo in enumerate(y_leaves):
            if not isinstance(yo, Tensor):
                raise TypeError(f"jacrev: the function must return tensors, got {type(yo).__name__}")

            def pull_row(u, o=o):
                # the cotangent e_i on output leaf o, zero on the others
                return pull(tree_unflatten(y_tree, [u if i == o else zeros_like(yi)
                                                    for i, yi in enumerate(y_leaves)]))

            cts = vmap(pull_row)(_basis(yo))       # per argument: leaves (m, *in.shape)
            jacs = tuple(tree_map(lambda c, yo=yo: reshape(c, tuple(yo.shape) + tuple(c.shape[1:])), ct)
                         for ct in cts)
            rows.append(jacs[0] if single else jacs)
        return tree_unflatten(y_tree, rows)

    return wrapper


def jacfwd(f, argnums=0):
    r"""The Jacobian by forward mode: all columns :math:`J e_j` in one batched forward
    pass (one per leaf of a pytree argument).  Best when inputs are fewer than outputs.
    Pytree arguments and outputs are handled as in :func:`jacrev`."""
    @functools.wraps(f)
    def wrapper(*args):
        nums, single = _argnums_tuple(argnums, len(args), "jacfwd")
        from ..ops.shape import moveaxis, reshape
        per_arg = []                        # per argument: a list over output leaves
        out_tree = None
        for k in nums:
            leaves, tree = tree_flatten(args[k])
            leaves = [_as_tensor(x, "jacfwd") for x in leaves]
            per_leaf = []                   # per input leaf: a list over output leaves
            for j, x in enumerate(leaves):
                def g(xj, j=j, k=k, leaves=leaves, tree=tree):
                    # the other leaves of the argument stay constants
                    full = list(args)
                    full[k] = tree_unflatten(tree, [xj if i == j else leaf for i, leaf in enumerate(leaves)])
                    return f(*full)

                cols = vmap(lambda v, g=g, x=x: _jvp(g, (x,), (v,), "jacfwd")[1])(_basis(x))   # (n, *y.shape)
                col_leaves, out_tree = tree_flatten(cols)
                per_leaf.append([reshape(moveaxis(c, 0, -1), tuple(c.shape[1:]) + tuple(x.shape))
                                 for c in col_leaves])
            n_out = len(per_leaf[0]) if per_leaf else 0
            per_arg.append([tree_unflatten(tree, [per_leaf[j][o] for j in range(len(leaves))])
                            for o in range(n_out)])
        n_out = len(per_arg[0])
        rows = [per_arg[0][o] if single else tuple(p[o] for p in per_arg) for o in range(n_out)]
        return tree_unflatten(out_tree, rows)

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
        nums, _ = _argnums_tuple(argnums, len(args), "jacobian")
        # f sees the arguments as the chosen transform will give them (tensors, not
        # Python floats), so that its output is a tensor whose size can be counted.
        args = list(args)
        for k in nums:
            args[k] = tree_map(lambda x: _as_tensor(x, "jacobian"), args[k])
        with no_grad():
            y = f(*args)
        n_out = sum(int(np.size(o)) if not isinstance(o, Tensor) else o.size for o in tree_flatten(y)[0])
        n_in = sum(x.size for k in nums for x in tree_flatten(args[k])[0])
        chosen = jacfwd if n_in < n_out else jacrev
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
