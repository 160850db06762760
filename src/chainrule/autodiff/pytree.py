"""Nested containers of tensors ("pytrees"): flatten to a list of leaves and rebuild.

Transforms accept any nesting of lists, tuples and dicts whose leaves are tensors,
NumPy arrays or Python numbers.  Any other object can take part by defining
``__tree_flatten__(self) -> (children, aux)`` and a classmethod
``__tree_unflatten__(aux, children)`` (``nn.Module`` does, so a model can be the
argument of ``cr.grad`` and its gradient comes back shaped like the model).
"""
from __future__ import annotations


class TreeDef:
    __slots__ = ("kind", "aux", "children")

    def __init__(self, kind, aux, children):
        self.kind, self.aux, self.children = kind, aux, children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)


# The walkers are module-level functions that take their state as arguments: a nested
# recursive closure refers to itself through its cell, a reference cycle that would keep
# every leaf (and the graph behind it) alive until the cyclic garbage collector runs.
def _walk(t, leaves):
    if isinstance(t, (list, tuple)):                  # lists, tuples and namedtuples
        return TreeDef(type(t), None, [_walk(c, leaves) for c in t])
    if isinstance(t, dict):
        keys = list(t)
        return TreeDef(dict, keys, [_walk(t[k], leaves) for k in keys])
    if t is None:
        return TreeDef("none", None, [])
    if hasattr(t, "__tree_flatten__"):
        children, aux = t.__tree_flatten__()
        return TreeDef(type(t), aux, [_walk(c, leaves) for c in children])
    leaves.append(t)
    return TreeDef("leaf", None, [])


def tree_flatten(tree):
    """The leaves of ``tree`` in order, and the structure to rebuild it with."""
    leaves = []
    return leaves, _walk(tree, leaves)


def _build(d, it):
    if d.kind == "leaf":
        return next(it)
    if d.kind == "none":
        return None
    children = [_build(c, it) for c in d.children]
    if d.kind is dict:
        return dict(zip(d.aux, children))
    if d.kind in (list, tuple):
        return d.kind(children)
    if hasattr(d.kind, "_fields"):
        return d.kind(*children)
    return d.kind.__tree_unflatten__(d.aux, children)


def tree_unflatten(treedef: TreeDef, leaves):
    """Rebuild the structure ``treedef`` with ``leaves`` in order."""
    return _build(treedef, iter(leaves))


def tree_map(fn, tree):
    leaves, d = tree_flatten(tree)
    return tree_unflatten(d, [fn(x) for x in leaves])
