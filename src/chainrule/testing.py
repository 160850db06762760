r"""Checking derivatives against finite differences — public, for users' own ops too.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` verifies, in float64,

* forward mode: :math:`J v` against the central difference
  :math:`\frac{f(x + \varepsilon v) - f(x - \varepsilon v)}{2\varepsilon}` along a random
  direction :math:`v`;
* reverse mode, by the adjoint identity :math:`\langle u, J v\rangle = \langle J^\top u, v\rangle`
  for a random cotangent :math:`u` (the right side from central differences);
* the two modes against each other: :math:`\langle u, J v\rangle` from forward mode must
  equal :math:`\langle J^\top u, v\rangle` from reverse mode;
* recursively, the derivative maps themselves up to ``order``
  (:math:`(x, v) \mapsto Jv` and :math:`(x, u) \mapsto J^\top u`).

``gradcheck`` and ``gradgradcheck`` have PyTorch's meaning: the full Jacobian (and the
Jacobian of a vector-Jacobian product) against the numerical one, element by element.

A failure explains itself: the message names the derivative (``vjp(jvp(f))``), the
argument and output element where the error is worst, the errors, and — replaying the
computation primitive by primitive through the engine's tracer — the first primitive
whose own rule disagrees with central differences on the inputs it actually received.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from .autodiff.custom import custom_vjp
from .autodiff.engine import state
from .autodiff.pytree import tree_flatten, tree_unflatten
from .autodiff.transforms import jvp, vjp
from .errors import fmt_shape
from .specs import OpSpec  # noqa: F401  (re-exported: users write specs for their own ops)
from .tensor import Tensor

EPS = 1e-6
# Localizing a failure to one Jacobian entry costs one evaluation per input element and
# one reverse pass per output element; above these sizes a failure is localized per argument.
_LOCALIZE_INPUTS = 512
_LOCALIZE_OUTPUTS = 512
_MAX_REPLAYED = 200          # primitives re-checked when looking for the first wrong rule


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
