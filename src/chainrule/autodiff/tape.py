r"""The reverse pass: cotangents flow from an output back along the tape to the leaves.

Each recorded :class:`~chainrule.autodiff.engine.Node` holds a primitive's inputs and
output; running its VJP rules on the cotangent of the output gives the cotangents of
its inputs (the chain rule, :math:`\bar x = J^\top \bar y`), which are summed where a
value was used more than once, and summed over broadcast axes where it was broadcast.
``backward()`` is PyTorch's interface to this pass; ``cr.grad`` and ``cr.vjp`` call it
inside their own level; ``cr.autograd.grad`` asks it for the cotangents of chosen tensors
only, and it then visits only the part of the graph that leads to them (:class:`Wanted`).
"""
from __future__ import annotations

import sys
import weakref
from heapq import heappop, heappush

import numpy as np

from .. import ops      # partly loaded here (the ops import the engine): used at call time only
from ..errors import DTypeError, GraphError, fmt_shape
from ..tensor import Tensor
from .engine import _ABSENT, _current_rule, check_kinks, state


# ----------------------------------------------------------------------------- watching a tensor
class Watch:
    """What the reverse pass does at a node besides running its rules, for each of its
    outputs (by index, ``None`` for a single output):

    ``retained``
        ``retain_grad()``: a weak reference to the output tensor, whose ``.grad`` receives
        the output's cotangent (weak, so retaining never keeps a tensor alive);
    ``hooks``
        ``register_hook()``: ``(index, hook)`` pairs in registration order; they run first,
        so a retained ``.grad`` shows what the hooks made of the cotangent (as in PyTorch).
    """

    __slots__ = ("retained", "hooks")

    def __init__(self):
        self.retained = {}
        self.hooks = []


def _watch(tensor: Tensor) -> Watch:
    node = tensor._node
    if node.watch is None:
        node.watch = Watch()
    return node.watch


def retain(tensor: Tensor) -> None:
    """Make ``backward()`` store the cotangent of the non-leaf ``tensor`` in its ``.grad``."""
    _watch(tensor).retained[tensor._index] = weakref.ref(tensor)


class HookHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook (a second call does nothing)."""

    __slots__ = ("_hooks", "_entry")
    #: Whether a hook was ever registered on a leaf: until then a pass does not look for any.
    on_leaves = False

    def __init__(self, hooks: list, entry):
        self._hooks, self._entry = hooks, entry

    def remove(self) -> None:
        for k, entry in enumerate(self._hooks):
            if entry is self._entry:
                del self._hooks[k]
                return


def register_hook(tensor: Tensor, hook) -> HookHandle:
    """``tensor.register_hook(hook)``: on a leaf the hook lives on the tensor, on a computed
    tensor on the node that computed it (so it runs even after the tensor object is gone)."""
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
    if tensor._level is not None:
        raise GraphError("register_hook: the tensor lives inside a transform (cr.grad, cr.jvp, ...); "
                         "hooks are for tensors of the graph that backward() goes through")
    if not tensor.requires_grad:
        raise GraphError(f"register_hook: cannot register a hook on a tensor that does not require grad "
                         f"(shape {fmt_shape(tensor.shape)}): no gradient will ever be computed for it")
    if tensor._node is None:
        hooks = getattr(tensor, "_hooks", None)
        if hooks is None:
            hooks = tensor._hooks = []
        entry = hook
        HookHandle.on_leaves = True
    else:
        hooks = _watch(tensor).hooks
        entry = (tensor._index, hook)
    hooks.append(entry)
    return HookHandle(hooks, entry)


def _hooked(hook, g, like, where):
    """``hook(g)``, checked: ``None`` keeps ``g``; a tensor replaces it if it has ``like``'s
    shape and dtype (the checks of an assignment to ``.grad``, which the result may reach
    without passing through the setter)."""
    result = hook(g)
    if result is None:
        return g
    if not isinstance(result, Tensor):
        raise TypeError(f"{where}: hook {getattr(hook, '__name__', hook)!r} returned a "
                        f"{type(result).__name__}; a hook returns a Tensor or None")
    if result.shape != like.shape:
        raise GraphError(f"{where}: hook {getattr(hook, '__name__', hook)!r} changed the gradient's shape "
                         f"from {fmt_shape(like.shape)} to {fmt_shape(result.shape)}")
    if result.dtype != like.dtype:
        raise DTypeError(f"{where}: hook {getattr(hook, '__name__', hook)!r} changed the gradient's dtype "
                         f"from {like.dtype} to {result.dtype}; convert it back with .astype(cr.{like.dtype})")
    return result


def _watched(node, g, create_graph, retain=True):
    """Run the hooks registered on the node's outputs on their cotangents, then (with
    ``retain``) store the cotangents of retained outputs; the (possibly replaced) cotangent
    is returned."""
    watch = node.watch
    for index, hook in list(watch.hooks):
        if index is None:
            g = _hooked(hook, g, g, "backward")
        elif g[index] is not None:
            g = g[:index] + (_hooked(hook, g[index], g[index], "backward"),) + g[index + 1:]
    for index, ref in (watch.retained.items() if retain else ()):
        tensor = ref()
        ct = g if index is None else g[index]
        if tensor is None or ct is None:
            continue
        if not create_graph:
            ct = Tensor._wrap(ct._data.copy())      # its own memory: the cotangent may be shared
        # .grad of a retained non-leaf accumulates across passes, like a leaf's
        tensor._grad = ct if tensor._grad is None else tensor._grad + ct
    return g


def _leaf_hooks(leaves: dict) -> None:
    """Run the hooks of the leaves that have any on their complete cotangents, in place in ``leaves``."""
    for leaf, ct in leaves.items():
        hooks = getattr(leaf, "_hooks", None)
        if hooks:
            for hook in list(hooks):
                ct = _hooked(hook, ct, leaf, "backward")
            leaves[leaf] = ct


def _unbroadcast(ct, like):
    """Sum a cotangent over the axes along which ``like`` was broadcast, and match its dtype."""
    shape = like.shape
    if ct.shape == shape and ct.dtype == like.dtype:
        return ct
    if ct.shape != shape:
        if len(ct.shape) < len(shape):
            ct = ops.shape.broadcast_to(ct, shape)
        else:
            ct = ops.reductions._sum_to(ct, shape)
    if ct.dtype != like.dtype:
        ct = ops.elementwise.astype(ct, like.dtype)
    return ct


def reverse_pass(roots, *, free: bool = False, create_graph: bool = True, wanted=None, observer=None):
    """Propagate cotangents from ``roots`` = [(tensor, cotangent), ...] to the leaves.

    Returns a dict mapping each reached leaf tensor (a tensor with no node) to its
    cotangent.  ``free`` releases each node's saved values once it has been used.
    With ``create_graph=False`` nothing is being recorded, so contributions are summed
    on the arrays directly, in place into buffers this pass allocated itself.

    ``wanted`` (a :class:`Wanted`, from ``cr.autograd``) restricts the pass to the paths
    that lead to some given tensors, and keeps the complete cotangent of those that are
    not leaves.  ``observer`` (``cr.autograd.walk``) is told of every node visited,
    ``observer.visit(node, g)``, and of every cotangent a rule sends to an input,
    ``observer.send(node, i, ct)``.

    Nodes are visited in decreasing creation order — a topological order, since every
    node is created after the nodes of its inputs — from a heap that a node joins when
    its first cotangent arrives: so every contribution to a node has been added before
    its rules run, and nodes that no cotangent reaches are never visited.
    """
    acc = _Accumulator(in_place=not create_graph)
    for t, ct in roots:
        if t._node is None:
            acc.add(t, ct)
        else:
            acc.send(t, ct)
    cts, leaves, heap = acc.table, acc.leaves, acc.heap
    named = state.hooks                  # anomaly mode names the rule that produced a NaN
    extra = wanted is not None or observer is not None      # one test per input when neither is
    depth = len(_current_rule)
    try:
        while heap:
            node = heappop(heap)[1]
            g = cts.pop(node)
            parents = node.parents
            if parents is None:
                raise _freed(node)
            if g.__class__ is list:                      # a multi-output node: one slot per output
                g = tuple(g)
            if node.stamp is not None and node.stamp != state.inplace_count:
                _check_versions(node)
            if node.watch is not None:                   # hooks, retain_grad() (not while walking)
                g = _watched(node, g, create_graph, retain=observer is None)
            prim, params, boxes, rest = node.prim, node.params, node.boxes, node.rest
            # node.inputs, inlined (hot): two slots for unary and binary ops, else a tuple
            inputs = (node.first, node.second) if rest is None else (node.first,) if rest is _ABSENT else rest
            out = node.out
            if not prim.vjp_reads_out:                   # no rule reads it: nothing to wrap
                out = None
            elif out.__class__ is tuple:
                out = node.output(create_graph)
            elif not isinstance(out, Tensor):            # level 0 keeps the array: wrap it for the rules
                out = Tensor._wrap(out, node if create_graph else None, create_graph)
            sources = inputs if boxes is None else boxes
            if named:
                _current_rule.append(prim.name)
                if state.kinks and prim.kink_test is not None:
                    check_kinks(prim, inputs, params)
            joint = None if prim.vjp_joint is None else prim.vjp_joint(g, out, *inputs, **params)
            rules = prim.vjp_rules
            if rules is None and joint is None:
                raise GraphError(f"backward: '{prim.name}' has no reverse-mode (VJP) rule, so nothing can be "
                                 f"differentiated through it in reverse mode; use forward mode (cr.jvp, "
                                 f"cr.jacfwd) or declare its rule with .defvjp")
            if extra:
                if wanted is not None and node in wanted.kept:
                    wanted.keep(node, g)
                if observer is not None:
                    observer.visit(node, g)
            for i in parents:
                p = sources[i]
                if extra and wanted is not None and (p if p._node is None else p._node) not in wanted.needed:
                    continue                             # leads to no wanted tensor: not computed
                if joint is not None:
                    ct = joint[i]
                elif prim.variadic:
                    ct = rules[0](g, out, *inputs, argnum=i, **params)
                else:
                    ct = rules[i](g, out, *inputs, **params)
                if ct is None:
                    continue
                cd, pd = ct._data, p._data
                if cd is None or pd is None or cd.shape != pd.shape or (cd.dtype is not pd.dtype
                                                                         and cd.dtype != pd.dtype):
                    ct = _unbroadcast(ct, p)
                if extra and observer is not None:
                    observer.send(node, i, ct)
                if p._node is None:
                    acc.add(p, ct)
                else:
                    acc.send(p, ct)
            if named:
                _current_rule.pop()
            if free:                                     # release the saved values (inlined: hot)
                node.first = node.second = node.rest = node.out = node.parents = node.boxes = None
    finally:
        del _current_rule[depth:]        # a rule that raised must not stay named
    return leaves


def _freed(node) -> GraphError:
    return GraphError(f"backward: trying to go through '{node.prim.name}' a second time, but its saved "
                      f"values were freed by the first backward(); call backward(retain_graph=True) "
                      f"the first time if you need to go back twice")


class _Accumulator:
    """Sums of cotangents: per node (``table``; a list of slots for a multi-output node)
    and per leaf (``leaves``); ``heap`` holds the nodes with a cotangent waiting, by
    decreasing creation number.

    In place only into arrays it allocated itself: a cotangent may be shared (``add``
    passes the same ``g`` to both inputs), so the first contribution is kept as it is
    and the second allocates the sum.
    """

    __slots__ = ("table", "leaves", "heap", "in_place", "owned")

    def __init__(self, in_place: bool):
        self.table = {}
        self.leaves = {}
        self.heap = []
        self.in_place = in_place
        self.owned = set()

    def sum(self, key, prev, ct):
        if not self.in_place:
            return prev + ct
        if key in self.owned:
            prev._data += ct._data
            return prev
        self.owned.add(key)
        return Tensor._wrap(prev._data + ct._data)

    def add(self, leaf, ct):
        """Add ``ct`` to the cotangent of the leaf tensor ``leaf``."""
        prev = self.leaves.get(leaf)
        if prev is None:
            self.leaves[leaf] = ct
        elif self.in_place and leaf in self.owned:        # the common case, inlined (hot)
            prev._data += ct._data
        else:
            self.leaves[leaf] = self.sum(leaf, prev, ct)

    def send(self, t, ct):
        """Add ``ct`` to the cotangent waiting at the node that computed ``t``."""
        node = t._node
        prev = self.table.get(node)
        k = t._index
        if prev is None:
            heappush(self.heap, (-node.seq, node))
            if k is None:
                self.table[node] = ct
                return
            prev = self.table[node] = [None] * len(node.out)
        if k is None:
            self.table[node] = self.sum(node, prev, ct)
        else:
            prev[k] = ct if prev[k] is None else self.sum((node, k), prev[k], ct)


def _sole_view(data) -> bool:
    """Whether the view ``data`` may become a ``.grad`` without a copy: row-major, covering
    all of a writeable NumPy array that nothing else refers to, so that no other array can
    see its memory.  This is the cotangent of ``W.mT`` in ``x @ W.mT`` (a PyTorch-layout
    weight used by hand): a transposed view of a fresh product, whose copy (1.6 MB for a
    784×512 weight) cost more than the product's own backward arithmetic.

    The test is on reference counts, as PyTorch's ``AccumulateGrad`` steals a gradient
    whose use count says no one else holds it: the base is held by the view and by the
    reference that ``data.base`` hands to ``getrefcount``, and by nothing else exactly when
    the count is 2.  The base is not bound to a local name first: from Python 3.14 the
    interpreter passes a local to a call as a borrowed reference, which does not count, so
    a count taken through a local would be one lower there and would miss one holder.
    """
    if type(data) is not np.ndarray or not (data.flags.c_contiguous and data.flags.writeable):
        return False
    base = data.base
    if type(base) is not np.ndarray or base.base is not None or data.size != base.size:
        return False
    del base
    return sys.getrefcount(data.base) <= 2


def _check_versions(node):
    """Some tensor was modified in place since ``node`` was recorded: was it an input?

    A tensor's ``_version`` is the value of the global in-place counter at its last
    in-place change, so an input changed after the node exactly when its version is
    later than the node's stamp.
    """
    changed = [a for a in node.inputs if isinstance(a, Tensor) and a._version > node.stamp]
    if changed:
        shapes = ", ".join(fmt_shape(a.shape) for a in changed)
        raise GraphError(f"backward: an input of '{node.prim.name}' (shape {shapes}) was modified in place "
                         f"after it was used; its derivative would be computed from the new values. "
                         f"Modify a copy, or compute the loss again after the update")


# ----------------------------------------------------------------------------- backward()
def seed(tensor: Tensor, grad, where: str, which: str = "the output", argument: str = "grad=") -> Tensor:
    """The cotangent that starts a reverse pass at ``tensor``: ``grad`` checked against it,
    or ones for a one-element ``tensor`` when ``grad`` is None (the derivative of the
    output with respect to itself).  ``argument`` names where the caller passes ``grad``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: {which} must be a tensor, got {type(tensor).__name__}")
    if tensor._level is not None:
        raise GraphError(f"{where}: {which} lives inside a transform (cr.grad, cr.jvp, ...); "
                         f"use the transform's result instead of calling {where} inside it")
    if not tensor.requires_grad:
        raise GraphError(f"{where}: {which} does not require grad and has no grad_fn: nothing "
                         f"it was computed from requires gradients (did you forget requires_grad=True, "
                         f"or compute it under no_grad?)")
    if grad is None:
        if tensor.size != 1:
            raise GraphError(f"{where}: grad can be implicitly created only for scalar outputs, but "
                             f"{which} has shape {fmt_shape(tensor.shape)}; pass {argument} of that shape")
        ones = np.empty_like(tensor._data)          # not ones_like: a Python function, cold here
        ones.fill(1)
        return Tensor._wrap(ones)
    grad = grad if isinstance(grad, Tensor) else Tensor(grad, dtype=tensor.dtype)
    if grad.shape != tensor.shape:
        raise GraphError(f"{where}: {argument.rstrip('=')} has shape {fmt_shape(grad.shape)} but "
                         f"{which} has shape {fmt_shape(tensor.shape)}")
    return grad


def as_tensors(tensors, name: str, where: str) -> tuple:
    """A tensor or a sequence of tensors (the ``outputs`` or ``inputs`` of ``cr.autograd``), as a tuple."""
    if isinstance(tensors, Tensor):
        return (tensors,)
    if isinstance(tensors, (list, tuple)):
        for k, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"{where}: {name}[{k}] must be a tensor, got {type(t).__name__}")
        return tuple(tensors)
    raise TypeError(f"{where}: {name} must be a tensor or a sequence of tensors, got {type(tensors).__name__}")


def seeds(outputs, grad_outputs, where: str, name: str) -> list:
    """``[(output, its cotangent), ...]``, every one checked before anything runs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):        # one cotangent, for one output
        grad_outputs = (grad_outputs,)
    grad_outputs = tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{where}: {len(outputs)} output(s) but {len(grad_outputs)} {name}")
    return [(t, seed(t, g, where, f"output {k}", name)) for k, (t, g) in enumerate(zip(outputs, grad_outputs))]


def run(roots, *, retain_graph: bool, create_graph: bool, wanted=None, observer=None):
    """The level-0 reverse pass of ``backward()`` and ``cr.autograd``: recorded with
    ``create_graph``, else with recording paused (first order records nothing)."""
    if create_graph:
        leaves = reverse_pass(roots, free=not retain_graph, create_graph=True, wanted=wanted, observer=observer)
    else:
        prev = state.paused
        state.paused = len(state.levels) + 1       # rules run without recording
        try:
            leaves = reverse_pass(roots, free=not retain_graph, create_graph=False, wanted=wanted,
                                  observer=observer)
        finally:
            state.paused = prev
    if HookHandle.on_leaves:
        _leaf_hooks(leaves)
    return leaves


def owned(ct: Tensor, seen: set) -> Tensor:
    """``ct``, or a copy of it when its memory is not its own to hand out: a cotangent may
    be shared by several tensors (``add`` passes g to both inputs), be a cotangent the
    caller passed in, or be a view of another array.  A ``.grad`` must own its memory,
    since optimizers update it in place.  ``seen`` holds the ``id`` of every array handed
    out so far and of the caller's cotangents (:func:`given`); the result's is added."""
    data = ct._data
    if id(data) in seen or (getattr(data, "base", None) is not None and not _sole_view(data)):
        ct = Tensor._wrap(data.copy())
    seen.add(id(ct._data))
    return ct


def given(cotangents) -> set:
    """The ``seen`` set of :func:`owned` before anything is handed out: the arrays of the
    cotangents the pass started from, which belong to the caller."""
    return {id(g._data) for g in cotangents}


def accumulate(tensor: Tensor, ct: Tensor, create_graph: bool) -> None:
    """``tensor.grad += ct``, allocating the sum (the old ``.grad`` may be held elsewhere).
    ``._grad`` directly: the cotangent has the tensor's shape and dtype (``_unbroadcast``),
    so the checks of the ``.grad`` setter are not repeated here."""
    if tensor._grad is None:
        tensor._grad = ct
    elif create_graph:
        tensor._grad = tensor._grad + ct
    else:
        tensor._grad = Tensor._wrap(tensor._grad._data + ct._data)


def backward(tensor: Tensor, grad=None, *, retain_graph=False, create_graph=False):
    """``tensor.backward()``: accumulate gradients into the ``.grad`` of level-0 leaves."""
    backward_pass([(tensor, seed(tensor, grad, "backward()"))], retain_graph=retain_graph,
                  create_graph=create_graph)


def backward_pass(roots, *, retain_graph: bool, create_graph: bool, inputs=None) -> None:
    """One reverse pass from ``roots`` = [(tensor, cotangent), ...] whose results are added
    to ``.grad``: of every leaf that requires gradients, or with ``inputs`` of those tensors
    only (a non-leaf among them as if retained), visiting only the graph that leads to them."""
    wanted = None if inputs is None else Wanted([t for t, _ in roots], inputs)
    leaves = run(roots, retain_graph=retain_graph, create_graph=create_graph, wanted=wanted)
    seen = given(g for _, g in roots)
    if inputs is None:
        targets = leaves.items()
    else:
        targets = [(x, leaves.get(x) if x._node is None else wanted.cotangent(x)) for x in dict.fromkeys(inputs)]
    for x, ct in targets:
        if ct is not None and x.requires_grad:
            accumulate(x, ct if create_graph else owned(ct, seen), create_graph)


Tensor._reverse_pass = staticmethod(backward)      # Tensor.backward() calls it (see Tensor)


# ----------------------------------------------------------------------------- cr.autograd
class Wanted:
    """The tensors a reverse pass is asked for (``cr.autograd``'s ``inputs``), and the part
    of the graph that leads to them.

    ``needed``
        the leaves among them, and every node from which one of them can be reached going
        from outputs towards inputs: the only places a cotangent is sent, so that no rule
        runs for a parameter nobody asked about (PyTorch prunes its graph the same way);
    ``kept``
        for each node that computed one of the non-leaf tensors, its complete cotangent
        (a tuple for a node with several outputs), stored by the pass when it gets there —
        every contribution has arrived by then, since nodes are visited in topological order.

    ``used`` holds, by the same keys (a leaf, or the node of a non-leaf), everything the
    roots were computed from along differentiable inputs: known before the pass runs, so an
    input the outputs do not depend on is reported before any saved value is freed.
    """

    __slots__ = ("needed", "kept", "used")

    def __init__(self, roots, tensors):
        self.kept = {t._node: None for t in tensors if t._node is not None}
        self.needed = {t for t in tensors if t._node is None}
        self.used = {_key(t) for t in roots}
        nodes = reachable(roots)
        for node in nodes:
            inputs = node.inputs
            self.used.update(_key(inputs[i]) for i in node.parents)
        # In creation order (inputs before outputs), each node's inputs are decided first.
        for node in nodes:
            if node in self.kept or any(_key(node.inputs[i]) in self.needed for i in node.parents):
                self.needed.add(node)

    def unused(self, tensors) -> list:
        """The positions of the ``tensors`` that the roots do not depend on."""
        return [k for k, t in enumerate(tensors) if _key(t) not in self.used]

    def keep(self, node, g):
        self.kept[node] = g

    def cotangent(self, tensor):
        """The complete cotangent of the non-leaf ``tensor`` (None if none reached it)."""
        g = self.kept.get(tensor._node)
        return g if g is None or tensor._index is None else g[tensor._index]


def reachable(roots) -> list:
    """Every node the reverse pass from the tensors ``roots`` can reach (along inputs that
    receive a cotangent), in creation order: a node comes after the nodes of its inputs.
    A freed node is reported here, before anything else is freed."""
    seen, stack = set(), [t._node for t in roots if t._node is not None]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node.parents is None:          # freed: what it was computed from is gone
            raise _freed(node)
        inputs = node.inputs
        stack.extend(inputs[i]._node for i in node.parents if inputs[i]._node is not None)
    return sorted(seen, key=lambda n: n.seq)


def _key(t):
    """How :class:`Wanted` names a tensor: a leaf by itself, a computed tensor by its node."""
    return t if t._node is None else t._node
