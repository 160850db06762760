r"""The engine: levels, and how a primitive is applied — on arrays, recorded on a tape,
carried forward with tangents, or batched.  The reverse pass over the tape is ``tape.py``.

Levels
------
Level 0 is the global graph of tensors with ``requires_grad=True`` (PyTorch's
``backward()``).  Each transform opens a new level on a stack:

* ``"rev"`` (``grad``, ``vjp``): operations on its boxes record tape nodes;
* ``"fwd"`` (``jvp``): its boxes carry a tangent, propagated by the JVP rules;
* ``"batch"`` (``vmap``): its boxes hold a whole batch along axis 0.

Binding a primitive finds the highest level among its arguments, lowers the
arguments of that level to the level below (``box._lower``), binds the primitive
again on them (recursively, so lower levels see the operation too), and boxes
the result.  Because a rule at level k only ever sees values of levels below k,
a value from an outer transform is a constant inside an inner one, and nested
derivatives never confuse their perturbations:
:math:`\frac{d}{dx}\left[x \cdot \frac{d}{dy}(x + y)\right] = 1`.

Memory
------
Outputs point to their inputs, never back: a node holds its inputs and the
output's *array*, and rebuilds an output tensor only when a rule asks for one.
There are no reference cycles, so a step's graph is freed by reference counting
as soon as the loss goes out of scope (a cyclic graph makes Python's collector
most of a training step's time).
"""
from __future__ import annotations

import contextlib
import itertools
import warnings

import numpy as np

from ..errors import AnomalyError, DTypeError, KinkWarning, fmt_shape
from ..tensor import Tensor


# ----------------------------------------------------------------------------- levels
class Level:
    """One open transform on the level stack."""

    __slots__ = ("depth", "kind", "active", "size")

    def __init__(self, depth: int, kind: str, size: int | None = None):
        self.depth = depth
        self.kind = kind
        self.active = True
        self.size = size

    def __repr__(self):
        return f"Level({self.depth}, {self.kind!r})"


class _State:
    """The engine's global switches.

    A plain object rather than ``threading.local``: reading it is on the path of every
    operation, and chainrule's graphs are built by one thread at a time.
    """

    def __init__(self):
        self.levels: list[Level] = []
        # Gradient levels of depth < paused do not record (no_grad).  Batch levels are
        # not gradients and are never paused.
        self.paused = 0
        self._anomaly = False
        self._tracer = None
        # Counts in-place operations ever made: a node created after the last one
        # cannot have had an input modified, and backward skips its version check.
        self.inplace_count = 0
        self._kinks = False
        self.hooks = False          # anomaly, tracer or kinks: one test on the fast path instead of three

    def _update_hooks(self):
        self.hooks = self._anomaly or self._tracer is not None or self._kinks

    @property
    def anomaly(self) -> bool:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, on: bool):
        self._anomaly = on
        self._update_hooks()

    @property
    def kinks(self) -> bool:
        """Whether a derivative taken at a kink warns (:class:`detect_kinks`)."""
        return self._kinks

    @kinks.setter
    def kinks(self, on: bool):
        self._kinks = on
        self._update_hooks()

    @property
    def tracer(self):
        """When a list, every primitive applied to arrays is appended as (prim, arrays, params):
        gradient checking replays them one by one to find the first wrong rule."""
        return self._tracer

    @tracer.setter
    def tracer(self, value):
        self._tracer = value
        self._update_hooks()


state = _State()
Tensor._engine_state = state          # in-place updates read the switches (see Tensor)


@contextlib.contextmanager
def new_level(kind: str, size: int | None = None):
    level = Level(len(state.levels) + 1, kind, size)
    state.levels.append(level)
    try:
        yield level
    finally:
        level.active = False
        state.levels.pop()


def recording() -> bool:
    """Whether operations on ``requires_grad`` tensors are being recorded (level 0)."""
    return state.paused == 0


class no_grad(contextlib.ContextDecorator):
    """Within this context, operations are not recorded for differentiation.

    It pauses the global graph and every transform already open; a transform
    opened inside it (``cr.grad`` in a ``no_grad`` block) still works, as
    ``torch.func`` does.
    """

    def __enter__(self):
        self._prev = state.paused
        state.paused = len(state.levels) + 1

    def __exit__(self, *exc):
        state.paused = self._prev
        return False


class enable_grad(contextlib.ContextDecorator):
    """Re-enable recording inside a ``no_grad`` block."""

    def __enter__(self):
        self._prev = state.paused
        state.paused = 0

    def __exit__(self, *exc):
        state.paused = self._prev
        return False


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn recording on (``mode=True``, as :class:`enable_grad`) or off (as :class:`no_grad`)
    by a flag: ``with cr.set_grad_enabled(training):``.

    As in PyTorch it is also a function: called alone, it switches the mode until the
    next switch.  As a context manager it restores the mode it found on exit; as a
    decorator it leaves the mode alone until the decorated function runs, and restores
    the caller's mode when it returns.
    """

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        # The modes to restore, a stack so that a decorated function may call itself.  The
        # first is the one this call replaced, for `with set_grad_enabled(...)` right after.
        self._restore = [state.paused]
        self._fresh = True
        state.paused = self._paused()

    def _paused(self) -> int:
        return 0 if self._mode else len(state.levels) + 1

    def __call__(self, fn):
        state.paused = self._restore.pop()          # decorating is not switching
        self._fresh = False
        return super().__call__(fn)

    def __enter__(self):
        if self._fresh:                             # the mode before construction is saved
            self._fresh = False
        else:
            self._restore.append(state.paused)
        state.paused = self._paused()

    def __exit__(self, *exc):
        state.paused = self._restore.pop()
        return False


def is_grad_enabled() -> bool:
    """Whether operations on ``requires_grad`` tensors are recorded now (not inside ``no_grad``)."""
    return state.paused == 0


class detect_anomaly(contextlib.ContextDecorator):
    """Raise :class:`AnomalyError` at the first operation that produces NaN or inf,
    naming it (forward and backward passes alike).  Slower: every result is checked."""

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = True

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


class detect_kinks(contextlib.ContextDecorator):
    """Warn (:class:`~chainrule.errors.KinkWarning`) whenever a derivative is taken exactly at
    a kink or a tie of a piecewise function — ``relu`` at 0, ``abs`` at 0, ``maximum`` of equal
    arguments, ``clip`` at a bound, ``max`` with a tied maximum — where the derivative does not
    exist and chainrule's documented convention decides it.  The warning names the operation,
    how many elements sit there and the convention taken.

    Derivatives are taken by ``backward()`` and the transforms, so those must run inside the
    block (the forward pass may run outside it).  Turn the warnings into errors with Python's
    ``warnings.simplefilter("error", cr.KinkWarning)``.
    """

    def __enter__(self):
        self._prev = state.kinks
        state.kinks = True

    def __exit__(self, *exc):
        state.kinks = self._prev
        return False


def check_kinks(prim, inputs, params):
    """Warn if the derivative of ``prim`` is being taken at a kink of ``inputs`` (see
    :class:`detect_kinks`); inside ``vmap`` the values of one member are not at hand, and
    nothing is checked."""
    values = []
    for x in inputs:
        while isinstance(x, Tensor) and x._level is not None:
            if x._level.kind == "batch":
                return
            x = x._lower
        values.append(x._data if isinstance(x, Tensor) else x)
    at = np.asarray(prim.kink_test(*values, **params))
    count = int(np.count_nonzero(at))
    if count:
        convention = prim.formulas.get("convention", "")
        warnings.warn(f"{prim.name}: derivative taken at a kink, {prim.kink_where}, at {count} of {at.size} "
                      f"point(s); it does not exist there, and chainrule's convention is: {convention}",
                      KinkWarning, stacklevel=2)


def _usable(level: Level) -> bool:
    """A level can take new operations: open, and not paused by ``no_grad``."""
    return level.active and (level.kind == "batch" or level.depth >= state.paused)


def _strip(a):
    """Lower a box through every level that cannot take operations now."""
    while isinstance(a, Tensor) and a._level is not None and not _usable(a._level):
        a = a._lower
    return a


# ----------------------------------------------------------------------------- binding
def bind(prim, args, params):
    """Apply primitive ``prim`` to ``args``: directly on arrays, or through the top level."""
    top = None
    for a in args:
        if isinstance(a, Tensor):
            lv = a._level
            if lv is not None and (top is None or lv.depth > top.depth):
                top = lv
    if top is None:
        return apply(prim, args, params)
    if not _usable(top):
        return bind(prim, [_strip(a) for a in args], params)
    if top.kind == "rev":
        return _bind_rev(top, prim, args, params)
    if top.kind == "fwd":
        return _bind_fwd(top, prim, args, params)
    return _bind_batch(top, prim, args, params)


def apply(prim, args, params):
    """Apply ``prim`` to ``args`` (how a primitive is called).

    The fast path, level 0: with no transform's box among the arguments, compute on the
    arrays and record a node if an input requires gradients.  Anything from a transform
    goes to :func:`bind`, which finds the level that owns the operation.
    """
    datas = []
    wanting = 0                       # bit i set: input i requires gradients
    bit = 1
    for a in args:
        if isinstance(a, Tensor):
            if a._level is not None:
                return bind(prim, args, params)
            datas.append(a._data)
            if a.requires_grad:
                wanting |= bit
        else:
            datas.append(a)
        bit <<= 1
    try:
        out = prim.impl(*datas, **params)
    except ValueError as e:
        _raise_broadcast_error(prim, datas, e)
        raise
    if state.hooks:
        if state.anomaly:
            _check_finite(prim, out)
        if state.tracer is not None:
            state.tracer.append((prim, datas, params))
    record = wanting and prim.differentiable and state.paused == 0
    if prim.multiple_results:
        outs = tuple(_array(o) for o in out)
        if record:
            node = _record(prim, args, params, outs, wanting)
            return tuple(Tensor._wrap(o, node, True, index=i) for i, o in enumerate(outs))
        return tuple(Tensor._wrap(o) for o in outs)
    if out.__class__ is not np.ndarray and isinstance(out, np.generic):   # NumPy's scalars for 0-d results
        out = np.asarray(out)
    if record:
        return Tensor._wrap(out, _record(prim, args, params, out, wanting), True)
    return Tensor._wrap(out)


def apply_operator(prim, x, y):
    """``apply(prim, (x, y), {})`` for the arithmetic operators (``x + y``, ``x * y``, ...),
    with the loop over the arguments unrolled: these are the most frequent calls of a
    training step, and the unrolled version saves about a tenth of the per-op overhead.
    Anything unusual — a transform's box, anomaly mode or tracing — takes :func:`apply`.
    """
    wanting = 0
    if isinstance(x, Tensor):
        if x._level is not None:
            return bind(prim, (x, y), {})
        xd = x._data
        if x.requires_grad:
            wanting = 1
    else:
        xd = x
    if isinstance(y, Tensor):
        if y._level is not None:
            return bind(prim, (x, y), {})
        yd = y._data
        if y.requires_grad:
            wanting |= 2
    else:
        yd = y
    if state.hooks:
        return apply(prim, (x, y), {})
    try:
        out = prim.impl(xd, yd)
    except ValueError as e:
        _raise_broadcast_error(prim, (xd, yd), e)
        raise
    if out.__class__ is not np.ndarray and isinstance(out, np.generic):
        out = np.asarray(out)
    if wanting and prim.differentiable and state.paused == 0:
        return Tensor._wrap(out, _record(prim, (x, y), {}, out, wanting), True)
    return Tensor._wrap(out)


def _raise_broadcast_error(prim, datas, error):
    """NumPy's broadcasting ValueError, restated with the operation and both shapes."""
    if "broadcast" in str(error):
        from ..errors import ShapeError
        shapes = " and ".join(fmt_shape(np.shape(d)) for d in datas if hasattr(d, "shape"))
        raise ShapeError(f"{prim.name}: shapes {shapes} cannot be broadcast together (aligned from the "
                         f"right, each pair of dimensions must be equal or 1)") from None


def _array(o):
    return np.asarray(o) if isinstance(o, np.generic) else o


def _check_finite(prim, out):
    if isinstance(out, tuple):
        for o in out:
            _check_finite(prim, o)
        return
    if getattr(out, "dtype", None) is not None and out.dtype.kind in "fc" and not np.isfinite(out).all():
        where = f" (in the derivative rule of '{_current_rule[-1]}')" if _current_rule else ""
        raise AnomalyError(f"detect_anomaly: '{prim.name}' produced "
                           f"{'NaN' if np.isnan(out).any() else 'inf'} in an output of shape "
                           f"{fmt_shape(out.shape)}{where}")


_current_rule: list[str] = []


def _lowered(level, args):
    """The arguments one level down; the boxes of ``level`` among them, by position
    (``None`` at the other positions); and which positions they are, as a bit pattern
    (bit i set: argument i is a box), the key of the primitive's cache of parents."""
    lowered = []
    sources = []
    boxed = 0
    bit = 1
    for a in args:
        if isinstance(a, Tensor) and a._level is not None:
            if a._level is level:
                lowered.append(a._lower)
                sources.append(a)
                boxed |= bit
            else:
                lowered.append(_strip(a))
                sources.append(None)
        else:
            lowered.append(a)
            sources.append(None)
        bit <<= 1
    return lowered, sources, boxed


def _bind_rev(level, prim, args, params):
    lowered, sources, boxed = _lowered(level, args)
    out_low = apply(prim, lowered, params)          # apply hands a lower level's box on to bind
    if not prim.differentiable or not boxed:
        return out_low
    parents = prim.parent_sets.get(boxed)           # shared with _record: the same function of the bits
    if parents is None:
        parents = prim.parent_sets[boxed] = tuple(i for i in range(boxed.bit_length())
                                                  if boxed >> i & 1 and prim.has_vjp(i))
    if not parents:
        return out_low
    node = Node(prim, lowered, params, out_low, parents, sources, None)
    if prim.multiple_results:
        return tuple(Tensor._box(level, o, node=node, index=i) for i, o in enumerate(out_low))
    return Tensor._box(level, out_low, node=node)


def _bind_fwd(level, prim, args, params):
    lowered, sources, boxed = _lowered(level, args)
    out_low = apply(prim, lowered, params)
    if not prim.differentiable:
        return out_low
    tangents = [None if b is None else b._tangent for b in sources]
    if state.hooks and state.kinks and prim.kink_test is not None:
        check_kinks(prim, lowered, params)
    _current_rule.append(prim.name)
    try:
        t = prim.jvp(tangents, out_low, lowered, params)
    finally:
        _current_rule.pop()
    if prim.multiple_results:
        ts = (None,) * len(out_low) if t is None else t
        return tuple(o if ti is None else Tensor._box(level, o, tangent=_fit(ti, o)) for o, ti in zip(out_low, ts))
    if t is None:
        return out_low
    return Tensor._box(level, out_low, tangent=_fit(t, out_low))


def _fit(t, out):
    """A tangent broadcast to its output's shape (a tangent of ``x + c`` has the shape of ``x``)."""
    if t.shape != out.shape:
        from ..ops.shape import broadcast_to
        t = broadcast_to(t, out.shape)
    return t


def _bind_batch(level, prim, args, params):
    from .batching import loop_batch
    lowered, sources, _ = _lowered(level, args)
    batched = [b is not None for b in sources]
    rule = prim.batch_rule or loop_batch(prim)
    out_low = rule(lowered, batched, level.size, **params)
    if isinstance(out_low, tuple):
        return tuple(Tensor._box(level, o) for o in out_low)
    return Tensor._box(level, out_low)


# ----------------------------------------------------------------------------- tape
# Nodes are numbered as they are created; an input's node is always created before its
# output's, so decreasing numbers are a topological order of any set of nodes.
_creation_order = itertools.count()


class Node:
    """One recorded application of a primitive: enough to run its VJP rules later.

    ``inputs``
        what the rules see: at level 0 the input tensors themselves, at a transform
        level the inputs one level down;
    ``parents``
        the positions of the inputs that want a cotangent;
    ``boxes``
        at a transform level, by position, the boxes that receive those cotangents
        (``None`` at level 0, where the inputs themselves receive them);
    ``out``
        the output array (level 0), or the output one level down;
    ``stamp``
        the in-place counter when the node was made (level 0; ``None`` at transform
        levels, whose values cannot be modified in place).

    Why the inputs are stored in two slots rather than a tuple: a training step makes
    thousands of nodes, and every object the garbage collector tracks brings its next
    full collection closer — although the graph has no cycles and is freed by
    reference counting.  Measured on the per-op benchmark with PyTorch loaded, three
    tracked objects per operation (tensor, node, input tuple) spent a third of the
    forward pass in the collector.  Unary and binary operations, nearly all of them,
    keep their inputs in ``first``/``second``; wider ones keep the tuple in ``rest``.
    """

    __slots__ = ("prim", "first", "second", "rest", "params", "out", "parents", "boxes", "stamp", "seq", "watch")

    def __init__(self, prim, inputs, params, out, parents, boxes, stamp):
        self.seq = next(_creation_order)
        self.prim = prim
        n = len(inputs)
        if n == 2:
            self.first, self.second = inputs
            self.rest = None
        elif n == 1:
            self.first = inputs[0]
            self.second = self.rest = _ABSENT
        else:
            self.first = self.second = None
            self.rest = tuple(inputs)
        self.params = params
        self.out = out
        self.parents = parents
        self.boxes = boxes
        self.stamp = stamp
        self.watch = None              # retain_grad() and hooks on its outputs (tape.Watch)

    @property
    def inputs(self) -> tuple:
        rest = self.rest
        if rest is None:
            return (self.first, self.second)
        if rest is _ABSENT:
            return (self.first,)
        return rest

    def output(self, create_graph):
        """The output as a tensor a rule can use (differentiable again with create_graph)."""
        out = self.out
        if isinstance(out, tuple):
            if isinstance(out[0], Tensor):
                return out
            return tuple(Tensor._wrap(o, self if create_graph else None, create_graph, index=i)
                         for i, o in enumerate(out))
        if isinstance(out, Tensor):
            return out
        return Tensor._wrap(out, self if create_graph else None, create_graph)


_ABSENT = object()      # marks the unused second input slot of a unary node


def _record(prim, args, params, out, wanting):
    """The level-0 node of ``prim(*args)``; ``wanting`` has bit i set when input i
    requires gradients.  The parents are those inputs that also have a rule; the tuple
    is shared between all nodes of the primitive with the same pattern."""
    parents = prim.parent_sets.get(wanting)
    if parents is None:
        parents = prim.parent_sets[wanting] = tuple(i for i in range(wanting.bit_length())
                                                    if wanting >> i & 1 and prim.has_vjp(i))
    return Node(prim, args, params, out, parents, None, state.inplace_count)


def check_differentiable(x: Tensor, where: str):
    if x.dtype.kind != "f":
        raise DTypeError(f"{where}: cannot differentiate with respect to a tensor of dtype {x.dtype}; "
                         f"only floating-point inputs have derivatives (convert with .astype(cr.float64))")
