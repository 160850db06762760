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


def tree_flatten(tree):
    leaves = []

    def walk(t):
        if isinstance(t, (list, tuple)) and not hasattr(t, "_fields"):
            return TreeDef(type(t), None, [walk(c) for c in t])
        if isinstance(t, tuple):                   # namedtuple
            return TreeDef(type(t), None, [walk(c) for c in t])
        if isinstance(t, dict):
            keys = list(t)
            return TreeDef(dict, keys, [walk(t[k]) for k in keys])
        if t is None:
            return TreeDef("none", None, [])
        if hasattr(t, "__tree_flatten__"):
            children, aux = t.__tree_flatten__()
            return TreeDef(type(t), aux, [walk(c) for c in children])
        leaves.append(t)
        return TreeDef("leaf", None, [])

    return leaves, walk(tree)


def tree_unflatten(treedef: TreeDef, leaves):
    it = iter(leaves)

    def build(d):
        if d.kind == "leaf":
            return next(it)
        if d.kind == "none":
            return None
        children = [build(c) for c in d.children]
        if d.kind is dict:
            return dict(zip(d.aux, children))
        if d.kind in (list, tuple):
            return d.kind(children)
        if hasattr(d.kind, "_fields"):
            return d.kind(*children)
        return d.kind.__tree_unflatten__(d.aux, children)

    return build(treedef)


def tree_map(fn, tree):
    leaves, d = tree_flatten(tree)
    return tree_unflatten(d, [fn(x) for x in leaves])
