"""The Tensor: an array, plus what calculus needs to know about it.

A tensor holds its numbers (``data``, a NumPy or CuPy array) and, when it takes
part in differentiation, either

* a tape ``Node`` (reverse mode: how it was computed, so that cotangents can flow
  back to its inputs), or
* a ``tangent`` (forward mode: its directional derivative, carried alongside), or
* a batch of values (inside :func:`chainrule.vmap`).

Each of these belongs to one *level*: the global graph of ``requires_grad``
tensors is level 0; every transform (``grad``, ``jvp``, ``vmap``, ...) opens its
own level and wraps ("boxes") its inputs.  A box at level k holds the same value
one level down in ``_lower``.  This is what keeps nested derivatives apart.

There is no mathematics in this file: operators and methods call the ops.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import dtypes
from .backend import add_scaled_
from .errors import DTypeError, GraphError, ShapeError, fmt_shape


class Tensor:
    """An n-dimensional array that can be differentiated.

    Create tensors with :func:`chainrule.tensor` (or ``zeros``, ``randn``, ...).
    ``requires_grad=True`` makes a *leaf* whose gradient ``backward()`` accumulates
    into ``.grad``, as in PyTorch.
    """

    __slots__ = ("_data", "_node", "_index", "_level", "_lower", "_tangent", "requires_grad",
                 "_grad", "_version", "_hooks", "__weakref__")
    # ``_hooks`` (a leaf's gradient hooks, ``register_hook``) is left unset until a hook is
    # registered, so that creating a tensor — thousands per training step — does not pay for it.
    # NumPy defers to Tensor's reflected operators (ndarray * Tensor -> Tensor.__rmul__).
    __array_ufunc__ = None
    # The engine's switches (``autodiff.engine.state``), which in-place updates read and
    # bump.  The engine imports Tensor, so it hands its state over when it loads, rather
    # than every in-place update importing it (an import per call costs about a microsecond).
    _engine_state = None
    # The reverse pass (``autodiff.tape.backward``), handed over by the tape when it loads,
    # for the same reason: ``backward()`` runs once per training step, right after the
    # forward pass's matrix products have pushed the import machinery out of the caches,
    # where one import statement took 15 µs.
    _reverse_pass = None

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        arr = dtypes.as_array(data, dtype)
        if requires_grad and arr.dtype.kind != "f":
            raise DTypeError(f"tensor: only floating tensors can require gradients, got dtype {arr.dtype}; "
                             f"write floats (1.0) or pass dtype=cr.float32")
        self._data = arr
        self._node = None
        self._index = None
        self._level = None
        self._lower = None
        self._tangent = None
        self.requires_grad = requires_grad
        self._grad = None
        self._version = 0

    # -- internal constructors (no validation: the hot path) -------------------
    @classmethod
    def _wrap(cls, data, node=None, requires_grad=False, index=None):
        t = object.__new__(cls)
        t._data = data
        t._node = node
        t._index = index              # which output of a multi-output primitive (eigh, qr, ...)
        t._level = None
        t._lower = None
        t._tangent = None
        t.requires_grad = requires_grad
        t._grad = None
        t._version = 0
        return t

    @classmethod
    def _box(cls, level, lower, node=None, tangent=None, index=None):
        """A value at transform ``level`` whose value one level down is ``lower``."""
        t = object.__new__(cls)
        t._data = None if level.kind == "batch" else lower._data
        t._node = node
        t._index = index
        t._level = level
        t._lower = lower
        t._tangent = tangent
        t.requires_grad = False
        t._grad = None
        t._version = 0
        return t

    # -- what it is ------------------------------------------------------------
    @property
    def data(self):
        """The underlying array (not differentiable; shares memory)."""
        if self._data is None:
            raise GraphError("a batched tensor inside vmap has no single array value; "
                             "return it from the vmapped function instead")
        return self._data

    @data.setter
    def data(self, value):
        value = dtypes.as_array(value)
        if self._level is not None:
            raise GraphError("cannot assign .data of a tensor inside a transform")
        self._data = value
        self._bump()

    @property
    def shape(self) -> tuple:
        if self._data is not None:
            return self._data.shape
        if self._level.kind == "batch":
            return self._lower.shape[1:]      # a batch box: the per-example shape
        # A grad/jvp box above a batch box (cr.grad inside cr.vmap) has no array of its
        # own either, but it has the shape of the value it boxes, not one axis less.
        return self._lower.shape

    @property
    def dtype(self) -> np.dtype:
        if self._data is not None:
            return self._data.dtype
        return self._lower.dtype

    @property
    def ndim(self) -> int:
        data = self._data
        return data.ndim if data is not None else len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for k in self.shape:
            n *= k
        return n

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (PyTorch's meaning)."""
        return self._node is None

    @property
    def device(self) -> str:
        return "cpu" if isinstance(self._data, np.ndarray) or self._data is None else "cuda"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        if self._data is None:
            return f"BatchedTensor(shape={self.shape}, dtype={self.dtype})"
        body = np.array2string(np.asarray(self._data), separator=", ", prefix="tensor(")
        extra = ""
        if self._data.dtype != dtypes.get_default_dtype() and self._data.dtype.kind == "f":
            extra += f", dtype={self._data.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.prim.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self._level is not None:
            extra += f", level={self._level.depth}"
        return f"tensor({body}{extra})"

    # -- the gradient -------------------------------------------------------------
    @property
    def grad(self):
        """The gradient ``backward()`` accumulated here (``None`` before the first one).

        ``backward()`` fills the ``.grad`` of leaves, and of a non-leaf only after its
        ``retain_grad()``.  Reading it on any other non-leaf warns, as PyTorch does: its
        ``None`` means "not kept", not a zero gradient.
        """
        g = self._grad
        if g is None and self._node is not None and self._level is None and not self.retains_grad:
            warnings.warn("the .grad of a non-leaf tensor (one computed from others) is not filled by backward(); "
                          "call .retain_grad() on it before backward() to keep it, or read the .grad of the "
                          "leaf tensors it was computed from", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        # An optimizer updates a parameter with its .grad in place, so a gradient of
        # another shape or dtype would fail there, far from the assignment, or broadcast
        # silently: refuse it here, as PyTorch does.
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned an object of type {type(value).__name__}; a gradient "
                                f"is a Tensor (cr.tensor(...)) or None")
            if value.shape != self.shape:
                raise ShapeError(f"grad: assigned a gradient of shape {fmt_shape(value.shape)} to a tensor of "
                                 f"shape {fmt_shape(self.shape)}; they must be equal")
            if value.dtype != self.dtype:
                raise DTypeError(f"grad: assigned a gradient of dtype {value.dtype} to a tensor of dtype "
                                 f"{self.dtype}; convert it with .astype(cr.{self.dtype})")
        self._grad = value

    # -- conversions -------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory on the CPU)."""
        d = self.data
        return d if isinstance(d, np.ndarray) else d.get()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python number, "
                             f"got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous; "
                             f"use .any() or .all()")
        return bool(self.item())

    __hash__ = object.__hash__

    # -- graph ---------------------------------------------------------------------
    def detach(self) -> "Tensor":
        """The same values, cut from every graph and transform (a constant)."""
        t = self
        while t._level is not None:
            if t._level.kind == "batch":
                # Inside vmap the values are a batch: keep it, and drop only the derivative
                # levels (as torch.func does), which is what stop_gradient computes.
                from .autodiff.transforms import stop_gradient
                return stop_gradient(self)
            t = t._lower
        return Tensor._wrap(t._data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.dtype.kind != "f":
            raise DTypeError(f"requires_grad_: only floating tensors can require gradients, got {self.dtype}")
        if self._node is not None and not requires_grad:
            raise GraphError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after ``backward()``."""
        if self._node is None:
            return
        from .autodiff.tape import retain
        retain(self)

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its gradient in ``.grad`` (``retain_grad()``)."""
        watch = None if self._node is None or self._level is not None else self._node.watch
        return watch is not None and self._index in watch.retained

    def register_hook(self, hook):
        r"""Call ``hook(grad)`` with the gradient of this tensor whenever a reverse pass
        computes it (``backward()``, ``cr.autograd``); a tensor it returns replaces the
        gradient, for the rest of the pass and for ``.grad``.  Returns a handle whose
        ``remove()`` unregisters the hook.  PyTorch's ``Tensor.register_hook``.

        On a leaf the hook sees the sum of all contributions, before it is added to
        ``.grad``; on a computed tensor, its whole cotangent :math:`\bar y`, before the
        rules of the operation that computed it pass it on.  Hooks run in the order they
        were registered, each on the previous one's result.  Return a new tensor rather than
        modifying the argument in place: the pass may share it with another tensor.
        """
        from .autodiff.tape import register_hook
        return register_hook(self, hook)

    def backward(self, grad=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        r"""Accumulate :math:`\partial\,\mathrm{self} / \partial\,\mathrm{leaf}` (times ``grad``)
        into ``.grad`` of every leaf that requires gradients (PyTorch's semantics).

        ``retain_graph`` keeps the saved values for a second backward (it defaults to
        ``create_graph``, as in PyTorch);
        ``create_graph`` records the backward pass itself, so the gradients can be
        differentiated again.
        """
        if retain_graph is None:
            retain_graph = create_graph
        Tensor._reverse_pass(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def zero_(self) -> "Tensor":
        self._inplace_check("zero_")
        self._data[...] = 0
        self._bump()
        return self

    # -- in-place arithmetic (allowed on leaves and constants outside recording) -----
    def _inplace_check(self, name):
        if self._level is not None:
            raise GraphError(f"{name}: in-place operations are not allowed on tensors inside a transform")
        if self._node is not None:
            raise GraphError(f"{name}: in-place operation on a tensor computed by "
                             f"'{self._node.prim.name}' would corrupt its graph; use an out-of-place op")
        if self.requires_grad and self._engine_state.paused == 0:       # recording
            raise GraphError(f"{name}: in-place operation on a leaf that requires grad; "
                             f"wrap the update in `with cr.no_grad():`")

    def _inplace(self, name, other, ufunc):
        self._inplace_check(name)
        o = other._data if isinstance(other, Tensor) else other
        if isinstance(o, np.ndarray) or hasattr(o, "__array_namespace__"):
            if o.shape != self._data.shape and np.broadcast_shapes(self._data.shape, o.shape) != self._data.shape:
                from .errors import ShapeError, fmt_shape
                raise ShapeError(f"{name}: cannot update a {fmt_shape(self.shape)} tensor in place "
                                 f"with a {fmt_shape(o.shape)} operand")
        ufunc(self._data, o, out=self._data, casting="same_kind")
        self._bump()
        return self

    def _bump(self):
        """Record an in-place change: ``_version`` becomes the global in-place counter's new
        value, so backward can tell whether a saved input changed after it was used."""
        state = self._engine_state
        state.inplace_count += 1
        self._version = state.inplace_count

    def __iadd__(self, other):
        return self._inplace("+=", other, np.add)

    def __isub__(self, other):
        return self._inplace("-=", other, np.subtract)

    def __imul__(self, other):
        return self._inplace("*=", other, np.multiply)

    def __itruediv__(self, other):
        return self._inplace("/=", other, np.divide)

    def add_(self, other, alpha=1.0):
        r"""``self += alpha * other`` in place (PyTorch's ``add_``)."""
        if alpha == 1.0:
            return self._inplace("add_", other, np.add)
        return self._scaled_update("add_", other, alpha)

    def sub_(self, other, alpha=1.0):
        r"""``self -= alpha * other`` in place (PyTorch's ``sub_``): the form of a gradient step,
        ``p.sub_(p.grad, alpha=lr)``."""
        if alpha == 1.0:
            return self._inplace("sub_", other, np.subtract)
        return self._scaled_update("sub_", other, -alpha)

    def _scaled_update(self, name, other, alpha):
        """``self += alpha * other``: an operand of this tensor's shape and dtype goes to
        :func:`chainrule.backend.add_scaled_` (one BLAS pass for large float arrays), any
        other through the checks of an in-place update."""
        o = other._data if isinstance(other, Tensor) else other
        if o.__class__ is np.ndarray and o.shape == self._data.shape and o.dtype == self._data.dtype:
            self._inplace_check(name)
            add_scaled_(self._data, o, alpha)
            self._bump()
            return self
        return self._inplace(name, other * alpha, np.add)

    def mul_(self, other):
        return self._inplace("mul_", other, np.multiply)

    def div_(self, other):
        return self._inplace("div_", other, np.divide)

    def copy_(self, other):
        self._inplace_check("copy_")
        o = other._data if isinstance(other, Tensor) else dtypes.as_array(other)
        self._data[...] = o
        self._bump()
        return self

    def fill_(self, value):
        self._inplace_check("fill_")
        self._data[...] = value
        self._bump()
        return self

    def __setitem__(self, index, value):
        self._inplace_check("__setitem__")
        if isinstance(index, Tensor):
            index = index.data
        self._data[index] = value._data if isinstance(value, Tensor) else value
        self._bump()


# Operators and methods are attached in ops/__init__.py, where the ops live:
# tensor.py stays free of mathematics and of import cycles.
