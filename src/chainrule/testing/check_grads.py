r"""``check_grads``: derivatives of any order, in both modes, against central differences —
and, when one is wrong, the explanation: which derivative, where, by how much, and the
first primitive whose own rule disagrees with central differences.
"""
from __future__ import annotations

import numpy as np

from ..autodiff.custom import custom_vjp
from ..autodiff.pytree import tree_flatten, tree_unflatten
from ..autodiff.transforms import vjp
from ..tensor import Tensor
from .functions import (EPS, GradientCheckError, _dot, _f64, _Function, _index_str, _is_float, _leaf_names, _message,
                        _ratio, _shapes_phrase, _traced)

# Localizing a failure to one Jacobian entry costs one evaluation per input element and
# one reverse pass per output element; above these sizes a failure is localized per argument.
_LOCALIZE_INPUTS = 512
_LOCALIZE_OUTPUTS = 512
_MAX_REPLAYED = 200          # primitives re-checked when looking for the first wrong rule


# ----------------------------------------------------------------------------- check_grads
def check_grads(f, args, order: int = 2, modes=("fwd", "rev"), argnums=None, eps: float = EPS,
                rtol: float = 1e-5, atol: float = 1e-6, rng=None) -> dict:
    """Check the derivatives of ``f`` at ``args`` (converted to float64) up to ``order``.

    ``args`` are the positional arguments: tensors, arrays, numbers, or pytrees (lists,
    tuples, dicts) of them; the floating leaves of the arguments in ``argnums`` (all that
    have any, by default) are differentiated, the rest are held fixed.  ``f`` may return a
    tensor or a pytree of tensors.

    Returns a dict of the largest errors seen: ``"fwd"``, ``"rev"``, ``"fwd_rev"`` (the two
    modes against each other) and, for ``order >= 2``, ``"fwd2"`` and ``"rev2"`` (the
    derivative maps' own checks).  Raises :class:`GradientCheckError` naming the
    derivative, the worst argument and output element, the errors and the first
    primitive whose rule is wrong.
    """
    if not set(modes) <= {"fwd", "rev"} or not modes:
        raise ValueError(f"check_grads: modes must be a non-empty subset of ('fwd', 'rev'), got {modes!r}")
    rng = np.random.default_rng(rng if rng is not None else 0)
    F = _root_function(f, list(args), argnums)
    return _check(F, order, tuple(modes), eps, rtol, atol, rng, root=F)


def _root_function(f, args, argnums) -> _Function:
    """``f`` as a function of the floating leaves of the arguments in ``argnums``."""
    trees, leaves_of, names, where = [], [], [], []
    for k, a in enumerate(args):
        leaves, tree = tree_flatten(a)
        leaves = [_f64(x) if _is_float(x) or isinstance(x, float) else x for x in leaves]
        trees.append(tree)
        leaves_of.append(leaves)
    nums = [k for k, ls in enumerate(leaves_of) if any(_is_float(x) for x in ls)] if argnums is None \
        else [int(k) % len(args) for k in argnums]
    for k in nums:
        paths = _leaf_names(trees[k], f"argument {k}")
        floats = [j for j, x in enumerate(leaves_of[k]) if _is_float(x)]
        if not floats:
            raise ValueError(f"check_grads: argument {k} (in argnums) has no floating-point values to differentiate")
        for j in floats:
            where.append((k, j))
            names.append(paths[j])

    def flat_f(*xs):
        full = [list(ls) for ls in leaves_of]
        for (k, j), x in zip(where, xs):
            full[k][j] = x
        call = [tree_unflatten(t, [Tensor._wrap(x) if isinstance(x, np.ndarray) else x for x in ls])
                for t, ls in zip(trees, full)]
        return f(*call)

    return _Function(flat_f, [leaves_of[k][j] for k, j in where], names)


def _check(F, order, modes, eps, rtol, atol, rng, root, diagnose=True) -> dict:
    step = F.step(eps)
    v = [rng.standard_normal(x.shape) for x in F.x]
    num = F.numerical(v, step)
    report = {"fwd": 0.0, "rev": 0.0}
    fail = _Failure(F, eps, step, rtol, atol, root if diagnose else None, modes)
    ydot = None
    if "fwd" in modes:
        ydot = F.forward(v)
        ratios = [_ratio(a, n, rtol, atol) for a, n in zip(ydot, num)]
        report["fwd"] = max((float(np.max(np.abs(a - n))) for a, n in zip(ydot, num) if a.size), default=0.0)
        if any(r.size and np.max(r) > 1 for r in ratios):
            fail("fwd")
    u = [rng.standard_normal(s) for s in F.out_shapes]
    if "rev" in modes:
        cts = F.pullback()(u)
        lhs, lhs_scale = _dot(u, num)
        rhs, _ = _dot(cts, v)
        tol = atol * np.sqrt(max(1, sum(x.size for x in u))) + rtol * lhs_scale
        report["rev"] = abs(rhs - lhs)
        if not abs(rhs - lhs) <= tol:
            fail("rev", f"<Jᵀu, v> = {rhs:.10g} by reverse mode but <u, J v> = {lhs:.10g} by central differences")
        if ydot is not None:
            # Both sides are exact up to rounding, so the modes must agree far more closely
            # than either agrees with central differences: this catches a wrong rule where
            # differences are blunt (near a kink, in low precision).
            fwd, fwd_scale = _dot(u, ydot)
            rounding = np.sqrt(F.resolution)
            tight = min(rtol, max(rounding, 1e-3 * rtol))
            tol = tight * (fwd_scale + _dot(cts, v)[1]) + min(atol, rounding)
            report["fwd_rev"] = abs(rhs - fwd)
            if not abs(rhs - fwd) <= tol:
                fail("fwd_rev", f"<u, J v> = {fwd:.10g} by forward mode but <Jᵀu, v> = {rhs:.10g} by reverse mode",
                     f"(the modes must agree to rounding: relative tolerance {tight:.2g})")
    if order > 1:
        if "fwd" in modes:
            sub = _check(F.jvp_map(v), order - 1, modes, eps, rtol, atol, rng, root, diagnose)
            report["fwd2"] = max(sub["fwd"], sub["rev"])
        if "rev" in modes:
            sub = _check(F.vjp_map(u), order - 1, modes, eps, rtol, atol, rng, root, diagnose)
            report["rev2"] = max(sub["fwd"], sub["rev"])
    return report


# ----------------------------------------------------------------------------- explaining a failure
class _Failure:
    """Builds the message of a failed check of ``F`` and raises it."""

    def __init__(self, F, eps, step, rtol, atol, root, modes):
        self.F, self.eps, self.step, self.rtol, self.atol, self.root, self.modes = F, eps, step, rtol, atol, root, modes

    def __call__(self, kind, summary="", tolerance=None):
        F = self.F
        derivative = {"fwd": f"jvp({F.path})", "rev": f"vjp({F.path})",
                      "fwd_rev": f"jvp({F.path}) and vjp({F.path})"}[kind]
        what = {"fwd": "forward mode disagrees with central differences",
                "rev": "reverse mode disagrees with central differences (adjoint identity)",
                "fwd_rev": "forward and reverse mode disagree with each other"}[kind]
        lines = [f"{derivative}: {what}" + (f": {summary}" if summary else "")]
        try:
            worst = _worst_entry(F, kind, self.step, self.rtol, self.atol)
        except Exception:         # noqa: BLE001  (localizing is a courtesy; the failure stands)
            worst = None
        info = {}
        if worst is not None:
            line, info = worst
            lines.append(line)
        lines.append(tolerance or f"(tolerance atol={self.atol:g} + rtol={self.rtol:g}·|reference|; "
                                  f"difference step {self.step:g})")
        if F.resolution > np.finfo(np.float64).eps:
            lines.append(f"note: the computation runs below float64 (resolution {F.resolution:.2g}), so central "
                         f"differences are accurate to about {F.resolution ** (2 / 3):.1g} at best")
        rule = None
        if self.root is not None:
            found = _first_wrong_rule(self.root, F.depth + 1, sorted(self.modes, key=lambda m: m != kind),
                                      self.eps, self.rtol, self.atol)
            lines.append(found[0])
            rule = found[1]
        raise GradientCheckError(_message(lines), derivative=derivative, rule=rule, **info)


def _worst_entry(F, kind, step, rtol, atol):
    """The worst Jacobian entry (small problems) or the worst argument (large ones)."""
    n_out = sum(int(np.prod(s)) for s in F.out_shapes)
    if n_out == 0:
        return None
    if sum(x.size for x in F.x) > _LOCALIZE_INPUTS or n_out > _LOCALIZE_OUTPUTS:
        return _worst_argument(F, kind, step, rtol, atol)
    found = _worst_in(F, _jacobians(F, step, (kind,)), kind, rtol, atol)
    return None if found is None else found[1:]


def _jacobian_columns(F, k, fn):
    """Columns of :math:`\\partial y_i / \\partial x_k` from ``fn(tangents)`` (one per element of x_k)."""
    cols = []
    for j in range(F.x[k].size):
        e = np.zeros(F.x[k].shape)
        e.flat[j] = 1.0
        cols.append(fn([e if i == k else None for i in range(len(F.x))]))
    return [np.stack([c[i].reshape(-1) for c in cols], axis=1) if cols else np.zeros((int(np.prod(s)), 0))
            for i, s in enumerate(F.out_shapes)]


def _reverse_rows(F):
    """All of :math:`J` by reverse mode: rows[k][i] has shape (size of y_i, size of x_k)."""
    pull = F.pullback()
    rows = [[[] for _ in F.out_shapes] for _ in F.x]
    for i, s in enumerate(F.out_shapes):
        for r in range(int(np.prod(s))):
            us = [np.zeros(t) for t in F.out_shapes]
            us[i].flat[r] = 1.0
            for k, c in enumerate(pull(us)):
                rows[k][i].append(c.reshape(-1))
    return [[np.stack(p) if p else np.zeros((0, x.size)) for p in per_out] for per_out, x in zip(rows, F.x)]


def _jacobians(F, step, kinds) -> dict:
    """Full Jacobians ``J[mode][k][i]`` (output i by input k, flattened): by central differences
    (``"num"``) and by whichever modes ``kinds`` need."""
    need_fwd = any(k in ("fwd", "fwd_rev") for k in kinds)
    need_rev = any(k in ("rev", "fwd_rev") for k in kinds)
    J = {"num": [_jacobian_columns(F, k, lambda t: F.numerical(t, step)) for k in range(len(F.x))]}
    if need_fwd:
        J["fwd"] = [_jacobian_columns(F, k, F.forward) for k in range(len(F.x))]
    if need_rev:
        J["rev"] = _reverse_rows(F)
    return J


_COMPARED = {"fwd": ("fwd", "num", "forward mode", "central differences"),
             "rev": ("rev", "num", "reverse mode", "central differences"),
             "fwd_rev": ("rev", "fwd", "reverse mode", "forward mode")}


def _worst_in(F, J, kind, rtol, atol):
    """The worst entry of one comparison of Jacobians: (ratio to tolerance, sentence, details)."""
    got_key, ref_key, got_name, ref_name = _COMPARED[kind]
    best = None
    for k in range(len(F.x)):
        for i in range(len(F.out_shapes)):
            got, ref = J[got_key][k][i], J[ref_key][k][i]
            if got.size == 0:
                continue
            ratio = _ratio(got, ref, rtol, atol)
            flat = int(np.argmax(ratio))
            if best is None or ratio.flat[flat] > best[0]:
                r, c = np.unravel_index(flat, got.shape)
                best = (float(ratio.flat[flat]), k, i, r, c, float(got[r, c]), float(ref[r, c]),
                        float(J["num"][k][i][r, c]))
    if best is None:
        return None
    ratio, k, i, r, c, got, ref, numerical = best
    out_index, arg_index = _index_str(F.out_shapes[i], r), _index_str(F.x[k].shape, c)
    abs_err, rel_err = abs(got - ref), abs(got - ref) / max(abs(ref), 1e-300)
    digits = max(6, int(np.ceil(-np.log10(max(rel_err, 1e-16)))) + 3)       # enough to see the difference
    line = (f"worst entry: ∂ {F.out_names[i]}{out_index} / ∂ {F.names[k]}{arg_index} is {got:.{digits}g} by "
            f"{got_name} but {ref:.{digits}g} by {ref_name}"
            + (f" ({numerical:.6g} by central differences)" if ref_key != "num" else "")
            + f"; absolute error {abs_err:.3g}, relative {rel_err:.3g}")
    return ratio, line, dict(argument=F.names[k], output=F.out_names[i], abs_err=abs_err, rel_err=rel_err,
                             output_index=tuple(int(n) for n in np.unravel_index(r, F.out_shapes[i])),
                             argument_index=tuple(int(n) for n in np.unravel_index(c, F.x[k].shape)))


def _worst_argument(F, kind, step, rtol, atol):
    """For large problems: the argument whose directional derivative is the most wrong."""
    rng = np.random.default_rng(1)
    v = [rng.standard_normal(x.shape) for x in F.x]
    u = [rng.standard_normal(s) for s in F.out_shapes]
    pull = F.pullback() if kind != "fwd" else None
    cts = pull(u) if pull is not None else None
    best = None
    for k in range(len(F.x)):
        only = [v[k] if i == k else None for i in range(len(F.x))]
        num = F.numerical(only, step)
        if kind == "fwd":
            got, ref = F.forward(only), num
        elif kind == "rev":
            got, ref = [np.asarray(_dot([cts[k]], [v[k]])[0])], [np.asarray(_dot(u, num)[0])]
        else:
            got, ref = [np.asarray(_dot([cts[k]], [v[k]])[0])], [np.asarray(_dot(u, F.forward(only))[0])]
        for i, (a, b) in enumerate(zip(got, ref)):
            ratio = _ratio(np.asarray(a), np.asarray(b), rtol, atol)
            flat = int(np.argmax(ratio)) if ratio.size else 0
            if ratio.size and (best is None or ratio.flat[flat] > best[0]):
                best = (ratio.flat[flat], k, i, flat, float(np.asarray(a).flat[flat]), float(np.asarray(b).flat[flat]))
    if best is None:
        return None
    _, k, i, flat, got, ref = best
    abs_err, rel_err = abs(got - ref), abs(got - ref) / max(abs(ref), 1e-300)
    where = f"{F.out_names[i]}{_index_str(F.out_shapes[i], flat)}" if kind == "fwd" else "the outputs"
    line = (f"worst argument: {F.names[k]} (along a random direction, at {where}): {got:.6g} against {ref:.6g}; "
            f"absolute error {abs_err:.3g}, relative {rel_err:.3g}")
    return line, dict(argument=F.names[k], output=F.out_names[i] if kind == "fwd" else None,
                      abs_err=abs_err, rel_err=rel_err)


def _first_wrong_rule(root, order, modes, eps, rtol, atol):
    """Replay ``root`` primitive by primitive and check each primitive's own rules on the
    inputs it received.  Returns (sentence, name of the first wrong primitive or None)."""
    with _traced() as records:
        try:                          # inside vjp, custom_vjp functions run as their primitive
            vjp(root.fn, *[Tensor._wrap(x) for x in root.x])
        except Exception:             # noqa: BLE001  (a plain evaluation traces as well)
            root._call(root.x)
    at_kinks = []
    for prim, datas, params in [r for r in records if _replayable(r[0], r[1])][:_MAX_REPLAYED]:
        error = _check_primitive(prim, datas, params, order, modes, eps, rtol, atol)
        if error is None:
            continue
        if isinstance(error, str):          # "kink"
            at_kinks.append(f"'{prim.name}'")
            continue
        return (f"the first wrong rule is '{prim.name}' (applied to {_shapes_phrase(datas)}): "
                f"{_rule_phrase(error, prim.name)}", prim.name)
    kinks = (f"; {', '.join(dict.fromkeys(at_kinks))} received an input at a kink, where a derivative "
             f"convention, not central differences, decides" if at_kinks else "")
    return ("no primitive's own rule disagrees with central differences on the inputs it received: the "
            "error comes from how they are combined (a custom derivative, a non-differentiable step such as a "
            f"cast or comparison, or a kink of f at this point){kinks}", None)


def _has_rule(prim, i) -> bool:
    """Whether the primitive states a derivative (either mode) for its input ``i``."""
    if prim.has_vjp(i) or prim.jvp_joint is not None:
        return True
    return prim.jvp_rules is not None and (prim.variadic or prim.jvp_rules[i] is not None)


def _replayable(prim, datas) -> bool:
    return prim.differentiable and any(_is_float(d) and _has_rule(prim, i) for i, d in enumerate(datas))


def _check_primitive(prim, datas, params, order, modes, eps, rtol, atol):
    """The first failure of one recorded application (a GradientCheckError), ``"kink"`` when it
    fails only because its input sits at a kink, or ``None``."""
    owner = getattr(prim.impl, "__self__", None)
    if isinstance(owner, custom_vjp):            # the rule is the user's bwd: first order, reverse
        fn, order, modes = (lambda *xs: owner(*xs)), 1, ("rev",)
    else:
        fn = lambda *xs: prim(*xs, **params)     # noqa: E731
    positions = [i for i, d in enumerate(datas) if _is_float(d) and _has_rule(prim, i)]

    def with_fixed(*xs):
        full = [Tensor._wrap(d) if isinstance(d, np.ndarray) else d for d in datas]
        for i, x in zip(positions, xs):
            full[i] = x
        return fn(*full)

    # Each mode alone at first order, then the modes together (each other), then higher
    # orders: so that a wrong second derivative is reported as such.
    plan = [(1, (mode,)) for mode in modes]
    plan += [(k, tuple(modes)) for k in range(1, order + 1) if len(modes) > 1 or k > 1]
    for k, check_modes in plan:
        try:
            G = _Function(with_fixed, [_f64(datas[i]) for i in positions], [f"input {i}" for i in positions],
                          path=prim.name)
            _check(G, k, check_modes, eps, rtol, atol, np.random.default_rng(0), root=None, diagnose=False)
        except GradientCheckError as e:
            return "kink" if _at_kink(G, eps) else e
        except Exception:             # noqa: BLE001  (a mode the primitive does not support)
            continue
    return None


def _at_kink(G, eps) -> bool:
    """Whether the one-sided differences of ``G`` disagree (O(1) at a kink, O(step) elsewhere)."""
    rng = np.random.default_rng(2)
    v = [rng.standard_normal(x.shape) for x in G.x]
    h = G.step(eps)
    y = G.outputs(G.x)
    ahead = G.outputs([x + h * t for x, t in zip(G.x, v)])
    behind = G.outputs([x - h * t for x, t in zip(G.x, v)])
    return any(np.any(np.abs((a - y0) - (y0 - b)) / h > 1e3 * h * (1.0 + np.abs(a - b) / (2 * h)))
               for a, y0, b in zip(ahead, y, behind))


def _rule_phrase(e: GradientCheckError, name: str) -> str:
    d, err = e.derivative or "", f"{e.abs_err:.2g}"
    if " and " in d:
        return f"its JVP and VJP disagree with each other by {err}"
    if d == f"jvp({name})":
        return f"its JVP differs from central differences by {err}"
    if d == f"vjp({name})":
        return f"its VJP differs from central differences by {err}"
    # its first derivatives passed: the rules compute the right numbers, but not with
    # differentiable chainrule ops
    return (f"its second derivative {d} differs from central differences by {err}, though its first "
            f"derivatives are right (is a rule computed outside chainrule ops, e.g. NumPy on .data?)")
