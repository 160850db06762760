r"""Checking derivatives against finite differences — public, for users' own ops too.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` verifies, in float64,

* forward mode: :math:`J v` against the central difference
  :math:`\frac{f(x + \varepsilon v) - f(x - \varepsilon v)}{2\varepsilon}` along a random
  direction :math:`v`;
* reverse mode, by the adjoint identity :math:`\langle u, J v\rangle = \langle J^\top u, v\rangle`
  for a random cotangent :math:`u`;
* recursively, the derivative maps themselves up to ``order``
  (:math:`(x, v) \mapsto Jv` and :math:`(x, u) \mapsto J^\top u`).
"""
from __future__ import annotations

import numpy as np

from .autodiff.transforms import jvp, vjp
from .tensor import Tensor

EPS = 1e-6


class GradientCheckError(AssertionError):
    """A derivative disagrees with finite differences; the message says where and by how much."""


def _f64(a):
    if isinstance(a, Tensor):
        a = a.detach().numpy()
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _call(f, args):
    out = f(*[Tensor._wrap(a) if isinstance(a, np.ndarray) else a for a in args])
    return out


def _value(out):
    return np.asarray(out.detach().numpy() if isinstance(out, Tensor) else out, dtype=np.float64)


def numerical_jvp(f, args, tangents, eps: float = EPS):
    r"""Central-difference estimate of :math:`J v`: :math:`(f(x+\varepsilon v) - f(x-\varepsilon v)) / 2\varepsilon`."""
    plus = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (_value(_call(f, plus)) - _value(_call(f, minus))) / (2 * eps)


def _close(a, b, rtol, atol):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    err = np.abs(a - b)
    scale = np.abs(b)
    ok = bool(np.all(err <= atol + rtol * scale)) and bool(np.all(np.isfinite(a) == np.isfinite(b)))
    abs_err = float(err.max()) if err.size else 0.0
    rel_err = float((err / np.maximum(scale, 1e-300)).max()) if err.size else 0.0
    return ok, abs_err, rel_err


def check_grads(f, args, order: int = 2, modes=("fwd", "rev"), argnums=None, eps: float = EPS,
                rtol: float = 1e-5, atol: float = 1e-6, rng=None, _path: str = "f") -> dict:
    """Check the derivatives of ``f`` at ``args`` (converted to float64) up to ``order``.

    Returns a dict of the largest errors seen; raises :class:`GradientCheckError`
    naming the derivative, the argument and the errors when a check fails.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    args = [_f64(a) for a in args]
    argnums = tuple(i for i, a in enumerate(args) if a.dtype.kind == "f") if argnums is None else tuple(argnums)
    report = {"fwd": 0.0, "rev": 0.0}

    def fixed(*diff):
        full = list(args)
        for k, d in zip(argnums, diff):
            full[k] = d
        return f(*full)

    x = [Tensor._wrap(args[k]) for k in argnums]
    v = [rng.standard_normal(args[k].shape) for k in argnums]
    tangents = [None] * len(args)
    for k, t in zip(argnums, v):
        tangents[k] = t
    num = numerical_jvp(f, args, tangents, eps)
    y, ydot = jvp(fixed, tuple(x), tuple(Tensor._wrap(t) for t in v))
    if "fwd" in modes:
        ok, abs_err, rel_err = _close(_value(ydot), num, rtol, atol)
        report["fwd"] = abs_err
        if not ok:
            raise GradientCheckError(f"forward mode of {_path}: J·v differs from central differences by "
                                     f"{abs_err:.3g} (relative {rel_err:.3g})")
    if "rev" in modes:
        u = rng.standard_normal(np.shape(_value(y)))
        _, pull = vjp(fixed, *x)
        cts = pull(Tensor._wrap(u))
        lhs = float(np.sum(u * num))
        rhs = float(sum(np.sum(_value(c) * t) for c, t in zip(cts, v)))
        ok, abs_err, rel_err = _close(rhs, lhs, rtol, atol * max(1.0, np.sqrt(np.size(u))))
        report["rev"] = abs_err
        if not ok:
            raise GradientCheckError(f"reverse mode of {_path}: <Jᵀu, v> = {rhs:.10g} but <u, J v> = {lhs:.10g} "
                                     f"(finite differences); error {abs_err:.3g}, relative {rel_err:.3g}")
    if order > 1:
        n = len(argnums)
        if "fwd" in modes:
            def jvp_map(*xv):
                return jvp(lambda *d: fixed(*d), tuple(xv[:n]), tuple(xv[n:]))[1]
            sub = check_grads(jvp_map, [*(args[k] for k in argnums), *v], order - 1, modes, None, eps,
                              rtol, atol, rng, _path=f"jvp({_path})")
            report["fwd2"] = max(sub["fwd"], sub["rev"])
        if "rev" in modes:
            u = rng.standard_normal(np.shape(_value(y)))

            def vjp_map(*xu):
                out = vjp(fixed, *xu[:n])[1](xu[n])
                return out[0] if n == 1 else _stack_flat(out)
            sub = check_grads(vjp_map, [*(args[k] for k in argnums), u], order - 1, modes, None, eps,
                              rtol, atol, rng, _path=f"vjp({_path})")
            report["rev2"] = max(sub["fwd"], sub["rev"])
    return report


def _stack_flat(tensors):
    from .ops.shape import concatenate, reshape
    return concatenate([reshape(t, (-1,)) for t in tensors])
