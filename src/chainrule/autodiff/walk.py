r"""The chain rule, one node at a time: a reverse pass you can read and step through.

``backward()`` applies the chain rule to every node of the graph, from the output back to
the leaves, and keeps only the leaves' sums.  ``cr.autograd.walk(y)`` runs the same pass
(the engine's own, not a copy of it) and keeps what happened at each node:

* the **adjoint** :math:`\bar y = \partial L / \partial y` that arrived at the node's output,
  summed over every use of it — complete, since nodes are visited in topological order;
* the **derivative** of the node's primitive, as the catalogue states it
  (:math:`dy/dx = 1 - y^2` for ``tanh``);
* what the rule **sent** to each input, :math:`\bar x_i = (\partial y / \partial x_i)^\top \bar y`,
  summed over broadcast axes;
* at the end, each leaf's **gradient**, the sum of everything sent to it.

.. code-block:: python

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    W = cr.tensor([[0.5, -1.0], [2.0, 0.0]], requires_grad=True)
    y = cr.tanh(x @ W).sum()
    walk = cr.autograd.walk(y, names={"x": x, "W": W})
    print(walk)                    # the steps as text
    for step in walk: ...          # one node at a time
    walk.to_dot()                  # the graph for Graphviz, adjoints on the edges

Tensors are named ``%1``, ``%2``, ... in the order the forward pass computed them, and
leaves by the ``names`` given (``leaf1``, ``leaf2``, ... otherwise).  The walk keeps the
graph (``retain_graph``) and changes no ``.grad`` (not even of a tensor that called
``retain_grad()``), so ``y.backward()`` can follow it.  Hooks do run: they are part of
how the gradients flow, and the walk shows what they made of them.
"""
from __future__ import annotations

import numpy as np

from ..errors import fmt_shape
from ..tensor import Tensor
from .tape import as_tensors, reachable, run, seeds


class Step:
    """One node of the reverse pass, in the order visited.

    ``number``
        1 for the first node visited (the output's), and so on;
    ``label``, ``op``, ``inputs``
        the node as an assignment: ``%3 = matmul(x, W)``;
    ``shape``
        the shape of its output (a tuple of shapes for an operation with several outputs);
    ``adjoint``
        :math:`\bar y`, the complete cotangent of its output (a tuple, ``None`` for an
        output nothing reached, for several outputs);
    ``derivative``
        the primitive's derivative as the catalogue states it, in LaTeX (``""`` if none);
    ``sent``
        ``[(input label, x̄ᵢ), ...]``: what the rule gave each input that wants a gradient.
    """

    __slots__ = ("number", "label", "op", "inputs", "shape", "adjoint", "derivative", "sent")

    def __init__(self, number, label, op, inputs, shape, adjoint, derivative):
        self.number, self.label, self.op, self.inputs = number, label, op, inputs
        self.shape, self.adjoint, self.derivative = shape, adjoint, derivative
        self.sent = []

    @property
    def assignment(self) -> str:
        return f"{self.label} = {self.op}({', '.join(self.inputs)})"

    def __repr__(self) -> str:
        return f"<step {self.number}: {self.assignment}>"


class Walk:
    """The record of one reverse pass: :class:`Step` s in the order visited (iterate, index,
    ``len``), and ``gradients``, each leaf's total by name.  ``str(walk)`` (or
    :meth:`table`) shows it as text, :meth:`to_dot` as a Graphviz graph."""

    def __init__(self, steps: list, gradients: dict, leaves: dict, outputs: list, vertices: dict):
        self.steps = steps
        self.gradients = gradients
        self._leaves = leaves          # name -> shape
        self._outputs = outputs
        self._vertices = vertices      # label -> the vertex of the graph it belongs to

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k) -> Step:
        return self.steps[k]

    def table(self) -> str:
        lines = [f"reverse pass from {', '.join(self._outputs)}: {len(self.steps)} step(s), each node once, "
                 f"outputs before inputs"]
        for step in self.steps:
            lines.append(f"step {step.number}  {step.assignment}   shape {_shapes(step.shape)}")
            lines.append(f"    adjoint arriving   ȳ = {_brief(step.adjoint)}")
            if step.derivative:
                lines.append(f"    derivative         {step.derivative}")
            for label, ct in step.sent:
                lines.append(f"    sends to {label:<9} {_brief(ct)}")
        lines.append("gradients of the leaves (the sums of what was sent to them):")
        for name, g in self.gradients.items():
            lines.append(f"    {name:<18} {_brief(g)}")
        return "\n".join(lines)

    __str__ = table

    def __repr__(self) -> str:
        return f"<walk of {len(self.steps)} step(s) from {', '.join(self._outputs)}>"

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (render with ``dot -Tsvg``): a box per leaf
        with its gradient, an ellipse per operation with the adjoint that reached it, and
        an edge from each input to the operation labelled with what the rule sent back."""
        lines = ["digraph backward {", "  rankdir=BT;", '  node [fontname="Helvetica"];']
        for name, shape in self._leaves.items():
            g = self.gradients.get(name)
            text = f"{name} {fmt_shape(shape)}\\ngradient {_brief(g)}" if g is not None else f"{name} {fmt_shape(shape)}"
            lines.append(f'  "{_quote(name)}" [shape=box, label="{_quote(text)}"];')
        for step in self.steps:
            text = f"{step.assignment}\\nadjoint {_brief(step.adjoint)}"
            lines.append(f'  "{_quote(step.label)}" [shape=ellipse, label="{_quote(text)}"];')
        for step in self.steps:
            for label, ct in step.sent:
                source = self._vertices.get(label, label)      # %k[j]: the node %k
                lines.append(f'  "{_quote(source)}" -> "{_quote(step.label)}" [label="{_quote(_brief(ct))}"];')
        lines.append("}")
        return "\n".join(lines)


class _Recorder:
    """The observer a reverse pass reports to (``reverse_pass(observer=...)``): a step per
    node visited, with copies of the arrays (a hook, or the next pass, may reuse them)."""

    def __init__(self, labels: _Labels):
        self.labels = labels
        self.steps = []
        self.current = {}

    def visit(self, node, g):
        adjoint = tuple(None if x is None else x._data.copy() for x in g) if isinstance(g, tuple) \
            else g._data.copy()
        inputs = [self.labels.of(x) for x in node.inputs]
        out = node.out
        shape = tuple(np.shape(o) for o in out) if isinstance(out, tuple) else np.shape(out)
        derivative = node.prim.formulas.get("derivative", "")
        step = Step(len(self.steps) + 1, self.labels.nodes[node], node.prim.name, inputs, shape, adjoint, derivative)
        self.steps.append(step)
        self.current[node] = (step, inputs)

    def send(self, node, i, ct):
        step, inputs = self.current[node]
        step.sent.append((inputs[i], ct._data.copy()))


def walk(outputs, grad_outputs=None, *, names: dict | None = None) -> Walk:
    r"""Run the reverse pass from ``outputs`` (seeded with ``grad_outputs``, ones for a
    one-element output when omitted, as :func:`chainrule.autograd.grad`) and return what
    happened at every node, as a :class:`Walk`.  ``names`` maps a name to a leaf (or to any
    tensor of the graph) to show it by that name.  The graph is kept and no ``.grad`` changes.
    """
    where = "autograd.walk"
    outputs = as_tensors(outputs, "outputs", where)
    roots = seeds(outputs, grad_outputs, where, "grad_outputs")
    names = dict(names or {})
    for name, t in names.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: names[{name!r}] must be a tensor, got {type(t).__name__}")
    labels = _Labels(reachable(outputs), names)
    recorder = _Recorder(labels)
    leaves = run(roots, retain_graph=True, create_graph=False, observer=recorder)
    totals = {id(leaf): ct._data.copy() for leaf, ct in leaves.items() if leaf.requires_grad}
    gradients = {name: totals[key] for name, key in labels.leaves.items() if key in totals}
    return Walk(recorder.steps, gradients, labels.shapes, [labels.of(t) for t in outputs], labels.vertices)


class _Labels:
    """The names a walk shows: ``%k`` for the k-th node the forward pass computed (``%k[j]``
    for its j-th output), a given name where ``names`` has one, ``leaf1``, ``leaf2``, ... for
    the other leaves in the order the forward pass used them, and ``const(shape)`` for tensors
    that want no gradient."""

    def __init__(self, nodes: list, names: dict):
        self.by_id = {id(t): name for name, t in names.items()}
        self.nodes = {node: f"%{k}" for k, node in enumerate(nodes, start=1)}
        for name, t in names.items():
            if t._node in self.nodes and t._index is None:
                self.nodes[t._node] = name
        self.leaves = {}          # name -> id of the leaf
        self.shapes = {}          # name -> shape of the leaf
        self.vertices = {}        # the label of one output of a multi-output node -> the node's
        for node in nodes:
            for x in node.inputs:
                self.of(x)

    def of(self, x) -> str:
        if not isinstance(x, Tensor):
            return f"const{fmt_shape(np.shape(x))}" if isinstance(x, np.ndarray) else repr(x)
        if x._node is not None and x._node in self.nodes:
            if x._index is None:
                return self.nodes[x._node]
            label = f"{self.nodes[x._node]}[{x._index}]"
            self.vertices[label] = self.nodes[x._node]
            return label
        if not x.requires_grad:
            return self.by_id.get(id(x), f"const{fmt_shape(x.shape)}")
        name = self.by_id.get(id(x))
        if name is None:
            name = self.by_id[id(x)] = f"leaf{len(self.leaves) + 1}"
        if name not in self.leaves:
            self.leaves[name], self.shapes[name] = id(x), x.shape
        return name


def _brief(a) -> str:
    """An array in a line: its values when there are few, else its shape and norm."""
    if a is None:
        return "none (nothing reached it)"
    if isinstance(a, tuple):
        return "(" + "; ".join(_brief(x) for x in a) + ")"
    a = np.asarray(a)
    if a.size <= 6:
        return np.array2string(a, precision=4, separator=", ", suppress_small=True).replace("\n", "")
    return f"{fmt_shape(a.shape)}, norm {float(np.linalg.norm(a)):.4g}"


def _shapes(shape) -> str:
    if shape and isinstance(shape[0], tuple):
        return ", ".join(fmt_shape(s) for s in shape)
    return fmt_shape(shape)


def _quote(text: str) -> str:
    return text.replace('"', '\\"')
