r"""The reverse pass as functions: PyTorch's ``cr.autograd.grad`` and ``backward``, and ``walk``.

``loss.backward()`` adds :math:`\partial\,\mathrm{loss}/\partial\theta` into ``θ.grad`` of
every leaf.  Other questions need the same pass, asked of a graph that already exists:

``grad(outputs, inputs)``
    the vector-Jacobian products :math:`\sum_k \bar y_k^\top\, \partial y_k / \partial x_i`
    for the given ``inputs`` :math:`x_i` only, *returned* instead of accumulated: no leaf's
    ``.grad`` changes.  The inputs may be intermediate tensors as well as leaves.  With
    ``create_graph=True`` the results are themselves differentiable, which is how a penalty
    on a gradient is written (:math:`\lambda\,(\lVert\nabla_x D(x)\rVert - 1)^2` of WGAN-GP,
    the residual of a physics-informed network):

    .. code-block:: python

        (g,) = cr.autograd.grad(d.sum(), x, create_graph=True)
        penalty = ((g.square().sum(axis=1).sqrt() - 1) ** 2).mean()
        penalty.backward()                      # second order, through the first pass

``backward(tensors, grad_tensors)``
    ``tensors[0].backward(grad_tensors[0])`` and so on, in *one* pass: the cotangents of
    all the outputs are summed where their graphs meet, so shared work is done once.
    ``inputs=`` restricts the accumulation to the given tensors.

``walk(outputs)``
    the same pass recorded node by node — the adjoint that reached each node, its
    derivative, what it sent to each input — to read or step through
    (:mod:`chainrule.autodiff.walk`).

Only the part of the graph that leads to the requested tensors is visited: the rules of a
parameter nobody asked about never run (the gradient penalty above costs a pass through the
network's activations, not through its weights' gradients).

These work on the level-0 graph of tensors with ``requires_grad=True``.  The function
transforms (``cr.grad``, ``cr.vjp``) answer the same questions of a *function*, and nest.
"""
from __future__ import annotations

from .autodiff.tape import Wanted, as_tensors, backward_pass, given, owned, run, seeds
from .autodiff.walk import Step, Walk, walk  # noqa: F401  (the reverse pass, node by node)
from .errors import GraphError, fmt_shape
from .ops.creation import zeros_like

__all__ = ["grad", "backward", "walk"]


def _check_inputs(inputs, where: str):
    for k, t in enumerate(inputs):
        if t._level is not None:
            raise GraphError(f"{where}: input {k} lives inside a transform (cr.grad, cr.jvp, ...); "
                             f"differentiate with the transform instead")
        if not t.requires_grad:
            raise GraphError(f"{where}: input {k} (shape {fmt_shape(t.shape)}) does not require grad, so "
                             f"nothing was recorded to differentiate with respect to it")


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple:
    r"""The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (PyTorch's
    ``torch.autograd.grad``); no leaf's ``.grad`` is read or written.  (As in PyTorch, a
    computed tensor that called ``retain_grad()`` does receive its gradient in ``.grad``.)

    .. math:: \mathrm{grad}_i = \sum_k \Big(\frac{\partial y_k}{\partial x_i}\Big)^{\!\top} \bar y_k

    with :math:`\bar y_k` the ``grad_outputs`` (ones for a one-element output when omitted).

    ``inputs`` may be leaves or tensors computed on the way (the gradient of the outputs with
    respect to that intermediate value).  An input the outputs do not depend on is an error,
    unless ``allow_unused=True`` (its gradient is then ``None``) or ``materialize_grads=True``
    (zeros of its shape).  ``retain_graph`` keeps the saved values for another pass; it
    defaults to ``create_graph``, which records this pass so that its results can be
    differentiated again.
    """
    where = "autograd.grad"
    if materialize_grads and allow_unused is False:
        raise ValueError(f"{where}: materialize_grads=True gives zeros for unused inputs; "
                         f"allow_unused=False contradicts it (leave it out)")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs = as_tensors(outputs, "outputs", where)
    inputs = as_tensors(inputs, "inputs", where)
    if not outputs or not inputs:
        raise ValueError(f"{where}: needs at least one output and one input")
    roots = seeds(outputs, grad_outputs, where, "grad_outputs")
    _check_inputs(inputs, where)
    if retain_graph is None:
        retain_graph = create_graph
    wanted = Wanted([t for t, _ in roots], inputs)
    unused = wanted.unused(inputs)
    if unused and not allow_unused:
        k = unused[0]
        raise GraphError(f"{where}: input {k} (shape {fmt_shape(inputs[k].shape)}) was not used to "
                         f"compute the outputs; pass allow_unused=True to get None for it, or "
                         f"materialize_grads=True for zeros")
    leaves = run(roots, retain_graph=retain_graph, create_graph=create_graph, wanted=wanted)
    seen = given(g for _, g in roots)
    results = []
    for k, x in enumerate(inputs):
        ct = leaves.get(x) if x._node is None else wanted.cotangent(x)
        if ct is not None:
            results.append(ct if create_graph else owned(ct, seen))
        elif k in unused and not materialize_grads:
            results.append(None)
        else:         # used, but every rule on the way gave a symbolic zero: the derivative is 0
            results.append(zeros_like(x))
    return tuple(results)          # a tuple for a single input too, as PyTorch's


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    r"""``tensors[k].backward(grad_tensors[k])`` for every ``k``, in one reverse pass (PyTorch's
    ``torch.autograd.backward``): into each leaf's ``.grad`` goes

    .. math:: \sum_k \Big(\frac{\partial y_k}{\partial \theta}\Big)^{\!\top} \bar y_k .

    With ``inputs``, only those tensors accumulate (a non-leaf among them as if it had
    called ``retain_grad()``), and only the graph leading to them is visited.
    """
    where = "autograd.backward"
    tensors = as_tensors(tensors, "tensors", where)
    if not tensors:
        raise ValueError(f"{where}: needs at least one tensor")
    roots = seeds(tensors, grad_tensors, where, "grad_tensors")
    if inputs is not None:
        inputs = as_tensors(inputs, "inputs", where)
        _check_inputs(inputs, where)
    backward_pass(roots, retain_graph=create_graph if retain_graph is None else retain_graph,
                  create_graph=create_graph, inputs=inputs)
