r"""User-defined derivatives and rematerialization.

``custom_vjp``
    Give a function your own reverse-mode rule: a more stable formula, a derivative
    through an iterative solver, a deliberately modified gradient (straight-through
    estimators, gradient clipping inside a graph).  As in JAX,
    ``f.defvjp(f_fwd, f_bwd)`` with ``f_fwd(*args) -> (out, residuals)`` and
    ``f_bwd(residuals, g) -> (x̄_1, ..., x̄_n)``.

``checkpoint``
    Trade compute for memory: the forward pass keeps only the inputs of ``f``;
    backward recomputes ``f`` and differentiates it.  Because the recomputation is
    ordinary chainrule code, checkpointed functions differentiate to any order.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import GraphError
from ..tensor import Tensor
from .primitive import Primitive
from .pytree import tree_flatten, tree_unflatten


def _as_tensor(a):
    return a if isinstance(a, Tensor) else Tensor(a)


def _is_array(a) -> bool:
    return isinstance(a, (Tensor, np.ndarray)) or hasattr(a, "__array_namespace__")


def _gradient_levels(args):
    """How many differentiation levels (global graph included) the arguments take part in."""
    from .engine import _usable, recording
    levels = set()
    for a in args:
        t = a
        while isinstance(t, Tensor):
            if t._level is None:
                if t.requires_grad and recording():
                    levels.add(0)
                break
            if t._level.kind != "batch" and _usable(t._level):
                levels.add(t._level.depth)
            t = t._lower
    return levels


class custom_vjp:
    r"""A function with a user-supplied vector-Jacobian product.

    .. code-block:: python

        @cr.custom_vjp
        def clip_gradient(x):
            return x

        def fwd(x):
            return x, None                      # output, residuals for bwd

        def bwd(residuals, g):
            return (cr.clip(g, -1.0, 1.0),)     # one cotangent per argument

        clip_gradient.defvjp(fwd, bwd)

    ``bwd`` receives the residuals saved by ``fwd`` and the cotangent :math:`\bar y`,
    and returns :math:`(\bar x_1, \dots, \bar x_n)` (``None`` for an argument with no
    gradient).  Arguments and the output are tensors.  The rule defines *first*
    derivatives: differentiating through it again (``grad(grad(f))``, forward mode)
    raises a :class:`GraphError` rather than silently treating the residuals as
    constants — write the function in chainrule ops, or use :func:`checkpoint`, when
    higher derivatives are needed.
    """

    def __init__(self, fun):
        self.fun = fun
        self.fwd = self.bwd = None
        functools.update_wrapper(self, fun)
        self._prim = None

    def defvjp(self, fwd, bwd) -> "custom_vjp":
        self.fwd, self.bwd = fwd, bwd
        name = getattr(self.fun, "__name__", "custom_vjp")
        self._prim = Primitive(self._forward, f"custom_vjp:{name}", multiple_results=True, register=False)
        self._prim.defvjp_joint(self._backward)
        self._prim.defjvp_joint(self._no_jvp)
        self._prim.defbatch(self._batch)
        return self

    def __call__(self, *args):
        if self._prim is None:
            raise GraphError(f"custom_vjp {self.fun.__name__}: call .defvjp(fwd, bwd) before using it")
        levels = _gradient_levels(args)
        if not levels:
            return self.fun(*args)                  # nothing is being differentiated
        if len(levels) > 1:
            raise GraphError(f"custom_vjp {self.fun.__name__}: nested differentiation (grad of grad, or "
                             f"hessian) of a custom_vjp function is not supported: its residuals would "
                             f"be treated as constants; write it in chainrule ops or use cr.checkpoint")
        return self._prim(*[_as_tensor(a) for a in args])[0]

    # the primitive: outputs (y, *residuals) so that the rule can see the residuals
    def _forward(self, *arrays):
        from .engine import no_grad
        with no_grad():
            outs = self._forward_tensors(*[Tensor._wrap(a) for a in arrays])
        return tuple(o._data for o in outs)

    def _forward_tensors(self, *args):
        out, residuals = self.fwd(*args)
        # Residuals may be any pytree (as in JAX): its tensors and arrays become outputs of
        # the primitive, so the node keeps them; other leaves (numbers, strings, None) are
        # static and kept here.  Only the layout is kept on the function, never the
        # tensors, which would otherwise outlive the graph.
        leaves, tree = tree_flatten(residuals)
        is_array = tuple(_is_array(r) for r in leaves)
        static = tuple(None if a else r for r, a in zip(leaves, is_array))
        self._residual_layout = (tree, is_array, static)
        return (_as_tensor(out),) + tuple(_as_tensor(r) for r, a in zip(leaves, is_array) if a)

    def _batch(self, args, batched, size):
        """Under vmap (per-example gradients, ``vmap(grad(f))``), ``fwd`` runs once on the
        whole batch; ``bwd`` then receives batched residuals and cotangents, written in
        chainrule ops."""
        from .batching import loop_batch
        from .engine import no_grad
        from .transforms import vmap
        if _gradient_levels(args):
            # Differentiated beneath the vmap (grad(vmap(f))): each member must bind the
            # primitive at that level so its rule is recorded; running fwd under no_grad
            # here would silently drop the derivative.
            return loop_batch(self._prim)(args, batched, size)
        with no_grad():
            return vmap(self._forward_tensors, in_axes=tuple(0 if b else None for b in batched))(*args)

    def _backward(self, g, out, *inputs):
        gy = g[0]
        if gy is None:
            return (None,) * len(inputs)
        from .engine import recording
        if recording() and (getattr(gy, "requires_grad", False) or any(getattr(x, "requires_grad", False)
                                                                       for x in inputs)):
            raise GraphError(f"custom_vjp {self.fun.__name__}: backward(create_graph=True) through a custom_vjp "
                             f"function is not supported (second derivatives)")
        tree, is_array, static = self._residual_layout
        saved = iter(out[1:])
        residuals = tree_unflatten(tree, [next(saved) if a else v for a, v in zip(is_array, static)])
        cts = self.bwd(residuals, gy)
        if not isinstance(cts, (tuple, list)) or len(cts) != len(inputs):
            raise GraphError(f"custom_vjp {self.fun.__name__}: bwd must return a tuple of {len(inputs)} "
                             f"cotangents (one per argument), got {type(cts).__name__}")
        return tuple(None if c is None else _as_tensor(c) for c in cts)

    def _no_jvp(self, tangents, out, *inputs):
        raise GraphError(f"custom_vjp {self.fun.__name__}: a custom_vjp function has no forward-mode rule "
                         f"(jvp, jacfwd, hessian); use jacrev, or write it in chainrule ops")


def checkpoint(fun):
    r"""Rematerialize ``fun`` in the backward pass instead of storing its intermediates.

    The forward pass records one node holding only the inputs; its derivative rules
    re-run ``fun`` under :func:`chainrule.vjp` / :func:`chainrule.jvp`.  Memory for
    the intermediate values of ``fun`` is freed right after the forward pass, at the
    price of computing ``fun`` twice.  Exact to any order.
    """
    from .transforms import jvp, vjp, vmap

    def impl(*arrays):
        from .engine import no_grad
        with no_grad():
            out = fun(*[Tensor._wrap(a) for a in arrays])
        return _as_tensor(out)._data

    name = getattr(fun, "__name__", "fun")
    prim = Primitive(impl, f"checkpoint:{name}", register=False)
    prim.defvjp_joint(lambda g, out, *xs: vjp(fun, *xs)[1](g))
    prim.defjvp_joint(lambda ts, out, *xs: jvp(fun, xs, tuple(t if t is not None else _zeros(x)
                                                              for t, x in zip(ts, xs)))[1])

    def batch_rule(args, batched, size):
        # vmap of a checkpointed function: checkpoint the vmapped function, so the batch
        # goes through fun in one pass (not a loop over its members) and stays rematerialized
        return checkpoint(vmap(fun, in_axes=tuple(0 if b else None for b in batched)))(*args)

    prim.defbatch(batch_rule)

    @functools.wraps(fun)
    def wrapper(*args):
        return prim(*[_as_tensor(a) for a in args])

    return wrapper


def _zeros(x):
    from ..ops.creation import zeros_like
    return zeros_like(x)
