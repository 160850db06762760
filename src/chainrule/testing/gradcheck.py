r"""PyTorch's ``gradcheck`` and ``gradgradcheck``: full Jacobians, element by element."""
from __future__ import annotations

import warnings

import numpy as np

from ..autodiff.pytree import tree_flatten, tree_unflatten
from ..autodiff.transforms import vjp
from ..tensor import Tensor
from .check_grads import _first_wrong_rule, _jacobians, _worst_in
from .functions import EPS, GradientCheckError, PrecisionWarning, _array, _f64, _Function, _is_float, _message


# ----------------------------------------------------------------------------- PyTorch's gradcheck
def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, check_forward_ad: bool = True, check_backward_ad: bool = True) -> bool:
    r"""PyTorch's ``gradcheck``: the full Jacobian of ``func`` at ``inputs`` against central differences.

    ``inputs`` is a tensor or a tuple of tensors; the floating ones are differentiated
    (only those with ``requires_grad=True`` if any has it, as in PyTorch).  ``func``
    returns a tensor or a tuple of tensors.  For every output :math:`y_i` and input
    :math:`x_k` the analytical Jacobian, by reverse mode (``check_backward_ad``) and by
    forward mode (``check_forward_ad``), must satisfy
    :math:`|J - J_{\mathrm{num}}| \le \mathrm{atol} + \mathrm{rtol}\,|J_{\mathrm{num}}|`
    elementwise, and the two modes must agree.  Returns ``True``, or raises
    :class:`GradientCheckError` (returns ``False`` with ``raise_exception=False``).

    Central differences need float64: in float32 a step of 1e-6 is about 8 units in the
    last place, and a correct function fails.  Inputs below float64 raise a
    :class:`PrecisionWarning` (and a failure says so).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    return _gradcheck(func, inputs, _diff_positions(inputs), eps, atol, rtol, raise_exception,
                      check_forward_ad, check_backward_ad, "gradcheck", 1, [f"input {k}" for k in range(len(inputs))])


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, check_fwd_over_rev: bool = True, check_rev_over_rev: bool = True,
                  seed: int = 0) -> bool:
    r"""PyTorch's ``gradgradcheck``: second derivatives, as the Jacobian of a vector-Jacobian product.

    With :math:`g(x, \bar y) = J(x)^\top \bar y` (the gradient of :math:`\langle \bar y, f(x)\rangle`),
    :func:`gradcheck` is applied to :math:`g` with respect to the inputs and to
    ``grad_outputs`` :math:`\bar y` (random normal with ``seed`` when not given): reverse
    over reverse (``check_rev_over_rev``) and forward over reverse (``check_fwd_over_rev``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    positions = _diff_positions(inputs)
    outputs = func(*inputs)
    out_leaves, out_tree = tree_flatten(outputs)
    float_out = [i for i, o in enumerate(out_leaves) if _is_float(o)]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(Tensor._wrap(rng.standard_normal(out_leaves[i].shape).astype(out_leaves[i].dtype))
                             for i in float_out)
    else:
        grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        if len(grad_outputs) != len(float_out):
            raise ValueError(f"gradgradcheck: {len(grad_outputs)} grad_outputs for {len(float_out)} floating outputs")
    n = len(inputs)

    def grad_of_func(*xs_and_cotangents):
        xs, cotangents = xs_and_cotangents[:n], xs_and_cotangents[n:]

        def of_differentiated(*diff):
            full = list(xs)
            for p, d in zip(positions, diff):
                full[p] = d
            return func(*full)
        _, pull = vjp(of_differentiated, *[xs[p] for p in positions])
        cts = [Tensor._wrap(np.zeros(np.shape(_array(o)))) for o in out_leaves]
        for i, c in zip(float_out, cotangents):
            cts[i] = c
        return tuple(pull(tree_unflatten(out_tree, cts)))

    all_inputs = inputs + tuple(g if isinstance(g, Tensor) else Tensor(g) for g in grad_outputs)
    names = [f"input {k}" for k in range(n)] + [f"grad_outputs[{j}]" for j in range(len(grad_outputs))]
    return _gradcheck(grad_of_func, all_inputs, positions + list(range(n, len(all_inputs))), eps, atol, rtol,
                      raise_exception, check_fwd_over_rev, check_rev_over_rev, "gradgradcheck", 2, names,
                      [f"gradient of input {p}" for p in positions])


def _diff_positions(inputs) -> list[int]:
    floats = [k for k, x in enumerate(inputs) if _is_float(x)]
    marked = [k for k in floats if getattr(inputs[k], "requires_grad", False)]
    if not floats:
        raise ValueError("gradcheck: no floating-point input to differentiate")
    return marked or floats


def _gradcheck(func, inputs, positions, eps, atol, rtol, raise_exception, fwd, rev, name, order, names,
               out_names=None) -> bool:
    low = [k for k in positions if np.dtype(inputs[k].dtype) != np.float64]
    for k in low:
        warnings.warn(f"{name}: {names[k]} is {np.dtype(inputs[k].dtype)}; central differences with eps={eps:g} "
                      f"cannot resolve it (relative precision {np.finfo(inputs[k].dtype).eps:.1g}), so even a "
                      f"correct function will likely fail. Check in float64: x.astype(cr.float64)",
                      PrecisionWarning, stacklevel=3)
    arrays = [_array(x) for x in inputs]

    def flat(*xs):
        full = [x if isinstance(x, Tensor) else Tensor._wrap(a) for x, a in zip(inputs, arrays)]
        for k, x in zip(positions, xs):
            full[k] = x
        return func(*full)
    F = _Function(flat, [arrays[k] for k in positions], [names[k] for k in positions], out_names=out_names)
    kinds = [kind for kind, on in (("fwd", fwd), ("rev", rev), ("fwd_rev", fwd and rev)) if on]
    J = _jacobians(F, eps, kinds)
    for kind in kinds:
        found = _worst_in(F, J, kind, rtol, atol)
        if found is None or found[0] <= 1:
            continue
        if not raise_exception:
            return False
        _, line, info = found
        what = {"fwd": "forward mode", "rev": "reverse mode", "fwd_rev": "reverse mode against forward mode"}[kind]
        lines = [f"{name}: Jacobian mismatch ({what}) for {info['output']} with respect to {info['argument']}", line,
                 f"(tolerance atol={atol:g} + rtol={rtol:g}·|reference|; eps={eps:g})"]
        if low:
            verb = "is" if len(low) == 1 else "are"
            lines.append(f"note: {', '.join(names[k] for k in low)} {verb} not float64; central differences in "
                         f"low precision are inaccurate (check in float64)")
        rule_line, rule = _first_wrong_rule(_as_float64(F), order, ("fwd", "rev"), EPS, rtol, atol)
        if rule is None and low:
            rule_line = ("every primitive's own rule agrees with central differences in float64: the mismatch is "
                         "the rounding of central differences in low precision; check with float64 inputs")
        lines.append(rule_line)
        raise GradientCheckError(_message(lines), derivative=f"{name} ({what})", rule=rule, **info)
    return True


def _as_float64(F) -> _Function:
    """The same function at its inputs converted to float64 (for replaying the rules)."""
    return _Function(F.fn, [_f64(x) for x in F.x], F.names, out_names=F.out_names)
