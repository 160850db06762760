r"""A numerical-stability linter: unstable compositions in a function, and where its values break.

Some formulas are right on paper and wrong in floating point.  ``log(softmax(z))`` rounds
:math:`e^{z_i - \max z}` to 0 for a logit 104 below the largest (in float32) and returns
:math:`-\infty`, where ``log_softmax`` returns the finite :math:`z_i - \operatorname{logsumexp} z`
(pytorch#795, #725).  ``log(1 + x)`` loses every digit of a small ``x`` that ``log1p`` keeps.
``sqrt(sum(x**2))`` has an infinite derivative at 0, where ``vector_norm``'s is defined.

``lint_stability(f, *args)`` evaluates ``f`` once at ``args``, recording the graph, and
reports

* **compositions** that have a stable primitive, whatever the values:

  ===============================  ===========================================
  written                          stable form
  ===============================  ===========================================
  ``log(softmax(z))``              ``log_softmax(z)``
  ``log(sum(exp(z)))``             ``logsumexp(z)``
  ``log(1 + x)``                   ``log1p(x)``
  ``exp(x) - 1``                   ``expm1(x)``
  ``log(sigmoid(z))``              ``-softplus(-z)``
  ``log(1 - sigmoid(z))``          ``-softplus(z)``
  ``sqrt(sum(x**2))``              ``linalg.vector_norm(x)``
  ===============================  ===========================================

* **values** at this point that break an operation: ``exp`` that overflows, ``log`` of a
  number :math:`\le 0`, ``sqrt`` of 0 (an infinite derivative), division by 0, and the
  first operation whose result is not finite.

Each finding names the operation as the graph has it (``%3 = log(%2)``, the numbering of
:func:`chainrule.autograd.walk`) and says what to write instead.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.engine import no_grad
from ..autodiff.pytree import tree_flatten, tree_map
from ..autodiff.tape import reachable
from ..tensor import Tensor

#: The stable primitive for each unstable composition (see the module's table).
REWRITES = {
    "log(softmax)": "cr.nn.functional.log_softmax(z): log-probabilities without rounding e^(z - max z) to 0",
    "log(sum(exp))": "cr.logsumexp(z): the sum shifted by the maximum, so no exp overflows",
    "log(1 + x)": "cr.log1p(x): keeps the digits of a small x that 1 + x rounds away",
    "exp(x) - 1": "cr.expm1(x): keeps the digits of a small x that exp(x) - 1 cancels",
    "log(sigmoid)": "-cr.softplus(-z): finite for very negative z, where sigmoid rounds to 0",
    "log(1 - sigmoid)": "-cr.softplus(z): finite for very positive z, where 1 - sigmoid rounds to 0",
    "sqrt(sum(x**2))": "cr.linalg.vector_norm(x): its derivative at x = 0 is defined (sqrt's is infinite)",
}


class Finding:
    """One thing the linter found: ``kind`` (``"composition"`` or ``"value"``), the operation
    as written (``where``, e.g. ``%3 = log(%2)``), what is wrong and what to write instead."""

    __slots__ = ("kind", "where", "problem", "instead")

    def __init__(self, kind, where, problem, instead=""):
        self.kind, self.where, self.problem, self.instead = kind, where, problem, instead

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}" + (f"; use {self.instead}" if self.instead else "")

    __repr__ = __str__


class Report(list):
    """The findings (a list of :class:`Finding`); ``str()`` prints one per line."""

    def __str__(self) -> str:
        if not self:
            return "no unstable compositions, and no value at this point breaks an operation"
        return "\n".join(str(finding) for finding in self)


def lint_stability(f, *args) -> Report:
    """Evaluate ``f(*args)`` once, recording its graph, and report the compositions that have
    a stable primitive and the values at this point that break an operation (see the
    module's table).  Floating arguments (tensors, arrays, numbers, pytrees of them) are
    recorded, keeping their dtype (float32 and float64 break at different values);
    integers are passed as they are."""
    def leaf(x):
        """A floating argument as a leaf that records (a copy: the caller's tensor is left
        alone); anything else — integers, which may be indices or axes — as it is."""
        if isinstance(x, Tensor):
            return Tensor(x.detach().numpy(), requires_grad=True) if x.dtype.kind == "f" else x
        if isinstance(x, (float, np.floating)) or (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            return Tensor(np.asarray(x), requires_grad=True)
        return x
    args = [tree_map(leaf, a) for a in args]
    with np.errstate(all="ignore"):             # the report says what NumPy would warn about
        out = f(*args)
    roots = [t for t in tree_flatten(out)[0] if isinstance(t, Tensor) and t._node is not None]
    nodes = reachable(roots)
    names = {node: f"%{k}" for k, node in enumerate(nodes, start=1)}
    report = Report()
    non_finite_reported = False
    with no_grad():
        for node in nodes:
            where = _assignment(node, names)
            for pattern in _compositions(node):
                report.append(Finding("composition", where, f"{pattern} is unstable", REWRITES[pattern]))
            for problem in _values(node):
                report.append(Finding("value", where, problem))
            out_values = node.out if isinstance(node.out, tuple) else (node.out,)
            if not non_finite_reported and any(np.issubdtype(np.asarray(o).dtype, np.floating)
                                               and not np.isfinite(o).all() for o in out_values):
                non_finite_reported = True
                report.append(Finding("value", where, "the first result that is not finite (NaN or ±inf); "
                                                      "everything computed from it is suspect"))
    return report


# ----------------------------------------------------------------------------- compositions
def _producer(x):
    """The name of the primitive that computed ``x`` (``None`` for a leaf or a constant)."""
    return x._node.prim.name if isinstance(x, Tensor) and x._node is not None else None


def _is_one(x) -> bool:
    """Whether ``x`` is the constant 1 (a number, or a tensor of ones that wants no gradient)."""
    if isinstance(x, Tensor):
        if x.requires_grad:
            return False
        x = x._data
    return bool(np.size(x)) and bool(np.all(np.asarray(x) == 1))


def _compositions(node):
    name, inputs = node.prim.name, node.inputs
    if name == "log":
        x = inputs[0]
        inner = _producer(x)
        if inner == "softmax":
            yield "log(softmax)"
        elif inner == "sum" and _producer(x._node.inputs[0]) == "exp":
            yield "log(sum(exp))"
        elif inner == "add" and any(_is_one(a) for a in x._node.inputs):
            yield "log(1 + x)"
        elif inner == "sigmoid":
            yield "log(sigmoid)"
        elif inner == "subtract" and _is_one(x._node.inputs[0]) and _producer(x._node.inputs[1]) == "sigmoid":
            yield "log(1 - sigmoid)"
    elif name == "subtract" and _producer(inputs[0]) == "exp" and _is_one(inputs[1]):
        yield "exp(x) - 1"
    elif name == "sqrt" and _producer(inputs[0]) == "sum":
        squared = inputs[0]._node.inputs[0]
        inner = _producer(squared)
        operands = squared._node.inputs if inner is not None else ()
        if inner == "square" or (inner == "power" and np.all(np.asarray(_value(operands[1])) == 2)) or (
                inner == "multiply" and operands[0] is operands[1]):
            yield "sqrt(sum(x**2))"


# ----------------------------------------------------------------------------- values
def _value(x):
    return x._data if isinstance(x, Tensor) else x


def _count(mask) -> str:
    mask = np.asarray(mask)
    return f"{int(np.count_nonzero(mask))} of {mask.size}"


def _values(node):
    name, inputs = node.prim.name, node.inputs
    if name == "exp":
        x = np.asarray(_value(inputs[0]))
        overflow = np.isinf(np.asarray(node.out)) & np.isfinite(x)
        if overflow.any():
            yield (f"exp overflows to inf at {_count(overflow)} entries (the largest argument is "
                   f"{float(x[np.isfinite(x)].max()):.4g}; {x.dtype} overflows above "
                   f"{float(np.log(np.finfo(x.dtype).max)):.4g}): subtract the maximum first")
    elif name == "log":
        x = np.asarray(_value(inputs[0]))
        bad = x <= 0
        if bad.any():
            yield f"log of a number ≤ 0 at {_count(bad)} entries (-inf at 0, NaN below)"
    elif name == "sqrt":
        x = np.asarray(_value(inputs[0]))
        if (x == 0).any():
            yield f"sqrt at 0 in {_count(x == 0)} entries: its derivative 1/(2√x) is infinite there"
        if (x < 0).any():
            yield f"sqrt of a negative number at {_count(x < 0)} entries (NaN)"
    elif name == "divide":
        y = np.asarray(_value(inputs[1]))
        if (y == 0).any():
            yield f"division by 0 at {_count(np.broadcast_to(y == 0, np.shape(node.out)))} entries"


def _assignment(node, names) -> str:
    def label(x):
        if isinstance(x, Tensor):
            if x._node is not None and x._node in names:
                return names[x._node] + ("" if x._index is None else f"[{x._index}]")
            return "x" if x.requires_grad else "const"
        return repr(x) if np.ndim(x) == 0 else "const"
    return f"{names[node]} = {node.prim.name}({', '.join(label(x) for x in node.inputs)})"
