r"""Containers of modules: :class:`Sequential`, :class:`ModuleList`, :class:`ModuleDict`.

Their children are named as in PyTorch (``"0"``, ``"1"``, ... for the sequences, the
keys for the dict), so ``state_dict`` names such as ``"2.weight"`` match.
"""
from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module


def _as_module(value, where):
    if not isinstance(value, Module):
        raise TypeError(f"{where}: expected a Module, got {type(value).__name__}")
    return value


def _position(idx, n: int, owner: str) -> int:
    """The position in ``0, ..., n-1`` of the index ``idx`` (negative counts from the end)."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{owner}: index {idx} is out of range for {n} modules")
    return idx % n


def _renumber(modules, items) -> None:
    """Hold ``items`` under the names "0", "1", ... in order, as PyTorch's sequences do after a
    deletion or an insertion."""
    modules.clear()
    for i, m in enumerate(items):
        modules[str(i)] = m


class Sequential(Module):
    r"""Modules applied one after another: :math:`y = f_n(\cdots f_2(f_1(x)))`.

    ``Sequential(m1, m2, ...)`` names the children ``"0"``, ``"1"``, ...;
    ``Sequential(OrderedDict(name=module, ...))`` uses the given names.
    Indexing with an int gives a child, with a slice a new ``Sequential``.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, _as_module(m, "Sequential"))
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), _as_module(m, "Sequential"))

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def _index(self, idx):
        return _position(idx, len(self._modules), type(self).__name__)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx, module):
        key = list(self._modules)[self._index(idx)]
        self._modules[key] = _as_module(module, "Sequential")

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]):
            del self._modules[key]
        _renumber(self._modules, list(self._modules.values()))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), _as_module(module, "Sequential.append"))
        return self


class ModuleList(Module):
    """A list of modules whose parameters the parent finds (a plain Python list hides them).

    ``ModuleList([m1, m2])``; supports indexing, slicing, ``len``, iteration, ``append``,
    ``extend`` and ``insert``.  It has no ``forward``: the owner decides how to call them.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx):
        return _position(idx, len(self._modules), "ModuleList")

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __setitem__(self, idx, module):
        self._modules[str(self._index(idx))] = _as_module(module, "ModuleList")

    def __delitem__(self, idx):
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else self._index(idx)]
        _renumber(self._modules, items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), _as_module(module, "ModuleList.append"))
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, _as_module(module, "ModuleList.insert"))
        _renumber(self._modules, items)


class ModuleDict(Module):
    """A dict of modules, in insertion order, whose parameters the parent finds.

    ``ModuleDict({"encoder": ..., "decoder": ...})``; ``[key]``, ``in``, ``len``, iteration
    over keys, ``keys()``, ``values()``, ``items()``, ``update``, ``pop``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _as_module(module, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for key, m in items:
            self[key] = m

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()
