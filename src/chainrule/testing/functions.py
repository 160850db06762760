r"""The pieces every check is made of: a function of flat float64 arrays, its derivatives
by forward and reverse mode and by central differences, and the error types.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..autodiff.engine import state
from ..autodiff.pytree import tree_flatten, tree_unflatten
from ..autodiff.transforms import jvp, vjp
from ..errors import fmt_shape
from ..tensor import Tensor

EPS = 1e-6


class GradientCheckError(AssertionError):
    """A derivative disagrees with finite differences (or the other mode); the message says
    where and by how much, and which primitive's rule is the first to be wrong.

    Attributes: ``derivative`` (``"vjp(jvp(f))"``); ``argument`` and ``output`` (names such
    as ``"argument 1['w']"``) and ``argument_index``, ``output_index`` (element indices) of
    the worst entry, ``None`` when unknown; ``abs_err``, ``rel_err``; and ``rule``, the name
    of the first primitive whose own rule fails (``None`` if none does).
    """

    def __init__(self, message, *, derivative=None, argument=None, output=None, argument_index=None,
                 output_index=None, abs_err=float("nan"), rel_err=float("nan"), rule=None):
        super().__init__(message)
        self.derivative, self.argument, self.output = derivative, argument, output
        self.argument_index, self.output_index = argument_index, output_index
        self.abs_err, self.rel_err, self.rule = abs_err, rel_err, rule


class PrecisionWarning(UserWarning):
    """Inputs below float64 precision: central differences cannot resolve them."""


# ----------------------------------------------------------------------------- arrays and trees
def _is_float(a) -> bool:
    return getattr(a, "dtype", None) is not None and np.dtype(a.dtype).kind == "f"


def _array(a):
    """The values of a tensor (at any level), array or number, as a NumPy array."""
    if isinstance(a, Tensor):
        a = a.detach().numpy()
    return np.asarray(a)


def _f64(a):
    return _array(a).astype(np.float64)


def _leaf_names(treedef, prefix: str) -> list[str]:
    """Names of a pytree's leaves in flattening order: ``args[1]['w']``-style paths."""
    if treedef.kind == "leaf":
        return [prefix]
    if treedef.kind == "none":
        return []
    keys = treedef.aux if treedef.kind is dict else range(len(treedef.children))
    names = []
    for key, child in zip(keys, treedef.children):
        names.extend(_leaf_names(child, f"{prefix}[{key!r}]"))
    return names


def _message(parts) -> str:
    # One line: the catalogue and ``chainrule check`` show a failure as one line of a table.
    return "; ".join(parts)


def _index_str(shape, flat_index) -> str:
    if not shape:
        return ""
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat_index, shape)) + "]"


def _shapes_phrase(arrays) -> str:
    shapes = [fmt_shape(np.shape(a)) for a in arrays if hasattr(a, "shape")]
    if len(shapes) == 1:
        return f"an input of shape {shapes[0]}"
    return "inputs of shapes " + ", ".join(shapes)


@contextlib.contextmanager
def _traced():
    """Record every primitive applied to arrays while the block runs (the engine's tracer)."""
    previous, records = state.tracer, []
    state.tracer = records
    try:
        yield records
    finally:
        state.tracer = previous


# ----------------------------------------------------------------------------- a function of flat arrays
class _Function:
    """``fn`` as a function of a flat list of floating arrays ``x``, with names for messages.

    ``fn`` takes one tensor per entry of ``x`` and returns a tensor or a pytree of them;
    only its floating outputs are differentiated.  ``depth`` counts the derivative maps
    applied so far (``jvp(f)`` has depth 1).
    """

    def __init__(self, fn, x, names, path="f", depth=0, out_prefix="output", out_names=None):
        self.fn, self.x, self.names, self.path, self.depth = fn, list(x), list(names), path, depth
        with _traced() as records:
            out = self._call(self.x)
        leaves, self.out_tree = tree_flatten(out)
        self.float_out = [i for i, o in enumerate(leaves) if _is_float(o)]
        self.out_shapes = [np.shape(_array(leaves[i])) for i in self.float_out]
        self.out_dtypes = [leaves[i].dtype for i in self.float_out]
        all_names = _leaf_names(self.out_tree, out_prefix)
        self.out_names = list(out_names) if out_names is not None else [all_names[i] for i in self.float_out]
        self.out_leaves = leaves
        # What central differences can resolve is bounded by the least precise dtype that the
        # computation casts to (astype to float32 rounds every perturbation) or returns.  A
        # float32 *constant* is not counted: NumPy promotes it away in float64 arithmetic.
        dtypes = [np.dtype(p["dtype"]) for _, _, p in records if p.get("dtype") is not None]
        dtypes += [np.dtype(leaves[i].dtype) for i in self.float_out] + [a.dtype for a in self.x]
        self.resolution = max((float(np.finfo(d).eps) for d in dtypes if d.kind == "f"),
                              default=float(np.finfo(np.float64).eps))

    def _call(self, arrays):
        return self.fn(*[Tensor._wrap(np.asarray(a)) for a in arrays])

    def step(self, eps: float) -> float:
        """The difference step: ``eps``, widened to ``resolution^(1/3)`` (the step that balances
        rounding against truncation) when the computation runs below float64."""
        if self.resolution > np.finfo(np.float64).eps:
            return max(eps, self.resolution ** (1 / 3))
        return eps

    def outputs(self, arrays) -> list:
        leaves, _ = tree_flatten(self._call(arrays))
        return [_f64(leaves[i]) for i in self.float_out]

    def numerical(self, tangents, eps: float) -> list:
        """Central differences along ``tangents`` (``None``: that input is held fixed)."""
        plus = [x if t is None else (x + eps * t).astype(x.dtype) for x, t in zip(self.x, tangents)]
        minus = [x if t is None else (x - eps * t).astype(x.dtype) for x, t in zip(self.x, tangents)]
        return [(p - m) / (2 * eps) for p, m in zip(self.outputs(plus), self.outputs(minus))]

    def forward(self, tangents) -> list:
        """:math:`J v` by forward mode (``None`` tangents are zeros)."""
        vs = tuple(Tensor._wrap(np.zeros_like(x) if t is None else np.asarray(t, dtype=x.dtype))
                   for x, t in zip(self.x, tangents))
        _, ydot = jvp(self.fn, tuple(Tensor._wrap(x) for x in self.x), vs)
        leaves, _ = tree_flatten(ydot)
        return [np.broadcast_to(_f64(leaves[i]), s) for i, s in zip(self.float_out, self.out_shapes)]

    def pullback(self):
        r"""The map :math:`u \mapsto J^\top u` by reverse mode (one forward pass, many pulls)."""
        _, pull = vjp(self.fn, *[Tensor._wrap(x) for x in self.x])
        return lambda us: [_f64(c) for c in pull(self.cotangent_tree(
            [Tensor._wrap(np.asarray(u, dtype=d)) for u, d in zip(us, self.out_dtypes)]))]

    def cotangent_tree(self, us):
        """A cotangent of ``fn``'s output: ``us`` at the floating outputs, zeros elsewhere."""
        cts = [Tensor._wrap(np.zeros(np.shape(_array(o)))) for o in self.out_leaves]
        for i, u in zip(self.float_out, us):
            cts[i] = u
        return tree_unflatten(self.out_tree, cts)

    # -- the derivative maps, as functions to check in turn -----------------------------
    def jvp_map(self, v) -> "_Function":
        n = len(self.x)

        def jvp_of_f(*xv):
            return jvp(self.fn, tuple(xv[:n]), tuple(xv[n:]))[1]
        return _Function(jvp_of_f, self.x + list(v), self.names + [f"tangent of {a}" for a in self.names],
                         f"jvp({self.path})", self.depth + 1, out_prefix=f"tangent of {self.out_names_root()}")

    def vjp_map(self, u) -> "_Function":
        n = len(self.x)

        def vjp_of_f(*xu):
            return vjp(self.fn, *xu[:n])[1](self.cotangent_tree(xu[n:]))
        return _Function(vjp_of_f, self.x + list(u), self.names + [f"cotangent of {o}" for o in self.out_names],
                         f"vjp({self.path})", self.depth + 1, out_names=[f"cotangent of {a}" for a in self.names])

    def out_names_root(self) -> str:
        return self.out_names[0] if len(self.out_names) == 1 else "the outputs"


def _dot(a_list, b_list) -> tuple[float, float]:
    """:math:`\\sum_i \\langle a_i, b_i\\rangle` and :math:`\\sum_i \\langle |a_i|, |b_i|\\rangle` (its scale)."""
    total = sum(float(np.sum(a * b)) for a, b in zip(a_list, b_list))
    scale = sum(float(np.sum(np.abs(a * b))) for a, b in zip(a_list, b_list))
    return total, scale


def _ratio(analytic, numerical, rtol, atol):
    """Elementwise error relative to the tolerance: > 1 fails (NaN and inf fail too)."""
    err = np.abs(analytic - numerical)
    ratio = err / (atol + rtol * np.abs(numerical))
    return np.where(np.isfinite(analytic) == np.isfinite(numerical), np.nan_to_num(ratio, nan=np.inf), np.inf)


def numerical_jvp(f, args, tangents, eps: float = EPS):
    r"""Central-difference estimate of :math:`J v`: :math:`(f(x+\varepsilon v) - f(x-\varepsilon v)) / 2\varepsilon`.

    ``args`` are arrays; ``tangents`` has one entry per argument (``None``: held fixed).
    Returns an array shaped like the output (a pytree of arrays for a pytree output).
    """
    def call(xs):
        out = f(*[Tensor._wrap(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in xs])
        leaves, tree = tree_flatten(out)
        return [_f64(o) for o in leaves], tree
    plus, tree = call([a if t is None else a + eps * t for a, t in zip(args, tangents)])
    minus, _ = call([a if t is None else a - eps * t for a, t in zip(args, tangents)])
    return tree_unflatten(tree, [(p - m) / (2 * eps) for p, m in zip(plus, minus)])
