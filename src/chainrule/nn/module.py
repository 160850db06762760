r"""Modules: a model as a tree of parameters, buffers and sub-modules (PyTorch's ``nn.Module``).

A :class:`Module` finds its state from attribute assignment, as in PyTorch::

    class MLP(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = cr.nn.Linear(4, 8)     # a sub-module
            self.scale = cr.nn.Parameter(cr.ones(8))  # a parameter
            self.register_buffer("steps", cr.zeros(()))  # state that is not trained

        def forward(self, x):
            return cr.nn.functional.relu(self.hidden(x)) * self.scale

Names are dotted paths (``hidden.weight``), the same as PyTorch's, so a ``state_dict``
moves between the two libraries.

A module is also a *pytree* (see :mod:`chainrule.autodiff.pytree`): its leaves are its
parameters, in ``named_parameters()`` order.  So a model can be the argument of a
transform, and the result has the model's structure::

    g = cr.grad(loss)(model, x, y)      # a module shaped like model
    g.hidden.weight                      # ∂loss/∂W, shape (8, 4)

Rebuilding a module from leaves (what transforms do) makes a shallow copy whose
parameters are the given tensors; buffers and hyperparameters are shared with the
original, so running statistics updated inside a transform update the model's.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterator, NamedTuple

import numpy as np

from .. import dtypes
from ..autodiff.engine import no_grad
from ..errors import ChainruleError, DTypeError, fmt_shape
from ..tensor import Tensor


class StateDictError(ChainruleError, RuntimeError):
    """A ``state_dict`` that does not fit a module: missing, unexpected or mis-shaped entries.

    A ``RuntimeError``, as PyTorch raises; ``missing_keys``, ``unexpected_keys`` and
    ``mismatched`` (name → (expected shape, received shape)) say what is wrong.
    """

    def __init__(self, message, missing_keys=(), unexpected_keys=(), mismatched=None):
        super().__init__(message)
        self.missing_keys = list(missing_keys)
        self.unexpected_keys = list(unexpected_keys)
        self.mismatched = dict(mismatched or {})


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list
    unexpected_keys: list


# ----------------------------------------------------------------------------- Parameter
class Parameter(Tensor):
    """A tensor that is a trainable parameter of a :class:`Module`: a leaf that requires
    gradients by default, registered by assigning it to a module attribute.

    ``Parameter(data, requires_grad=True)``; a tensor argument shares its array (as in
    PyTorch), any other data is converted as by :func:`chainrule.tensor`.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros((0,), dtypes.get_default_dtype())
        if isinstance(data, Tensor):
            data = data.detach().data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        body = Tensor.__repr__(Tensor._wrap(self.data))
        return f"Parameter containing:\n{body}" + ("" if self.requires_grad else " (requires_grad=False)")


def empty_parameter(shape, dtype=None) -> Parameter:
    """A parameter of ``shape`` in ``dtype`` (the default dtype when None) whose values are
    not set yet: layers create their weights with it, then fill them with an initializer."""
    return Parameter(np.empty(shape, dtype=dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)))


# ----------------------------------------------------------------------------- Module
class Module:
    """Base class of every layer and model: override :meth:`forward`, call the module.

    Attributes that are :class:`Parameter` s, :class:`Module` s or registered buffers are
    tracked in insertion order, which is the order of :meth:`parameters`,
    :meth:`state_dict` and of the leaves when the module is a transform's argument.
    """

    training: bool

    def __init__(self) -> None:
        # Written through object.__setattr__: Module.__setattr__ needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, ...) "
                                  f"to say what the module computes")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ----------------------------------------------------------------
    def _require_init(self, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called; "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")

    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._require_init(name)
            self._forget(name)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (a Parameter or None is expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._require_init(name)
            self._forget(name)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} of "
                                f"{type(self).__name__} (a Module or None is expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None is expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        """Remove ``name`` from every registry and the instance dict (before re-registering it)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        # Only called when ordinary lookup fails: parameters, buffers and children live in
        # their registries, not in the instance dict.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = d.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name, what):
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{what} name {name!r} must be non-empty and contain no '.'")
        if hasattr(type(self), name) or (name in self.__dict__ and name not in
                                         (*self._parameters, *self._buffers, *self._modules)):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def _weight_and_bias(self, weight_shape, bias_size: int, bias: bool, dtype) -> None:
        """``self.weight`` of ``weight_shape`` and, when ``bias``, ``self.bias`` of
        ``(bias_size,)`` (else registered as None): the parameters of an affine layer,
        uninitialized until its ``reset_parameters``."""
        self.weight = empty_parameter(weight_shape, dtype)
        if bias:
            self.bias = empty_parameter((bias_size,), dtype)
        else:
            self.register_parameter("bias", None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter such as ``bias=False``)."""
        self._require_init(name)
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is saved and moved with the module but not trained
        (BatchNorm's running statistics).  ``persistent=False`` keeps it out of ``state_dict``."""
        self._require_init(name)
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what attribute assignment does)."""
        self._require_init(name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._check_name(name, "module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path ``target`` (``""`` is the module itself)."""
        module = self
        if target:
            for part in target.split("."):
                if part not in module._modules or module._modules[part] is None:
                    raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (in {target!r})")
                module = module._modules[part]
        return module

    # -- iteration over the tree ----------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """``(dotted name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            yield from child.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """``(dotted name, parameter)`` pairs; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and bulk changes -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics) for the whole tree."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: to ``None`` (default, as PyTorch), or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = Tensor._wrap(np.zeros_like(p.grad.data))

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every descendant, children first, then on this module (initialization)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype=None) -> Module:
        """Convert floating parameters and buffers to ``dtype``, in place (the Parameter objects
        stay the same, so optimizers holding them keep working).  ``"cpu"`` is accepted and
        changes nothing."""
        if dtype is None or (isinstance(dtype, str) and dtype == "cpu"):
            return self
        target = np.dtype(dtype)
        if target.kind != "f":
            raise DTypeError(f"to: modules convert to a floating dtype, got {target}")
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                if t.dtype.kind == "f" and t.dtype != target:
                    t.data = t.data.astype(target)
                    if t.grad is not None:
                        t.grad = Tensor._wrap(t.grad.data.astype(target))
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # -- state -------------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Every parameter and persistent buffer by dotted name (PyTorch's names and layouts).

        The tensors share memory with the module (detached unless ``keep_vars``); a shared
        parameter appears under each of its names, as in PyTorch.
        """
        out = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = module_prefix + ("." if module_prefix else "")
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def _state_targets(self) -> OrderedDict:
        """The tensors that ``load_state_dict`` writes into, by dotted name."""
        return self.state_dict(keep_vars=True)

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` (name → tensor or array) into the module's tensors.

        Everything is checked before anything is written: a wrong shape always raises, and
        with ``strict=True`` so does a missing or unexpected name; the error lists every
        problem and the module is left unchanged.  Values are copied in place (converted to
        each tensor's dtype), so the Parameter objects stay the same.  Returns the missing
        and unexpected keys.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict: expected a mapping of names to tensors, got {type(state_dict).__name__}")
        targets = self._state_targets()
        values = {k: _array_of(v, k) for k, v in state_dict.items()}
        missing = [k for k in targets if k not in values]
        unexpected = [k for k in values if k not in targets]
        mismatched = {k: (tuple(t.shape), tuple(values[k].shape)) for k, t in targets.items()
                      if k in values and tuple(t.shape) != tuple(values[k].shape)}
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        for k, (want, got) in mismatched.items():
            problems.append(f"size mismatch for {k!r}: the checkpoint has shape {fmt_shape(got)}, "
                            f"the model expects {fmt_shape(want)}")
        if problems:
            raise StateDictError(f"load_state_dict: cannot load into {type(self).__name__} (nothing was changed); "
                                 + "; ".join(problems), missing, unexpected, mismatched)
        with no_grad():
            for k, t in targets.items():
                if k in values:
                    t.data[...] = values[k]
                    t._bump()
        return IncompatibleKeys(missing, unexpected)

    # -- pytree: a module as a transform's argument -------------------------------------------------
    def __tree_flatten__(self):
        names = list(self._parameters)
        children = list(self._modules)
        return ([self._parameters[n] for n in names] + [self._modules[n] for n in children],
                (self, tuple(names), tuple(children)))

    @classmethod
    def __tree_unflatten__(cls, aux, leaves):
        template, names, children = aux
        new = object.__new__(type(template))
        new.__dict__.update(template.__dict__)
        object.__setattr__(new, "_parameters", OrderedDict(zip(names, leaves[:len(names)])))
        object.__setattr__(new, "_modules", OrderedDict(zip(children, leaves[len(names):])))
        object.__setattr__(new, "_buffers", OrderedDict(template._buffers))
        return new

    # -- printing ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The hyperparameters shown inside ``Name(...)``; layers override it."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        if not self._modules:
            return f"{type(self).__name__}({extra})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _array_of(value, name):
    """The array of a state_dict entry (a tensor, array or number)."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    try:
        return np.asarray(value)
    except Exception as e:  # noqa: BLE001  (any unconvertible object gets the same message)
        raise TypeError(f"load_state_dict: entry {name!r} is a {type(value).__name__}, not a tensor or array") from e
