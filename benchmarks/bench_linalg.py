"""cr.linalg against torch.linalg (and hand-written NumPy), side by side in one run.

    .venv/bin/python benchmarks/bench_linalg.py [--repeats 9] [--ops slogdet,solve,cholesky,eigh,svd]
                                                [--sizes 256,64x32]

For each operation, on a 256×256 matrix and on a batch of 64 matrices 32×32 (float64,
two threads for every library), two tasks:

value      the decomposition (or solution) itself
gradient   the value and the gradient of a scalar loss of it with respect to the input(s)

The losses (the same in every library):

slogdet    log|det A|                                        gradient w.r.t. A
solve      Σ c ∘ x,  x = A⁻¹ b  (b a vector, c fixed)          gradient w.r.t. A and b
cholesky   Σ W ∘ L                                           gradient w.r.t. A (symmetric)
eigh       Σ c ∘ λ + Σ (W ∘ V)²                               gradient w.r.t. A (symmetric)
svd        Σ c ∘ s + Σ (W ∘ U)² + Σ (W' ∘ Vᵀ)²                gradient w.r.t. A

(the squares make the eigh and svd losses independent of the signs of the vectors,
which each library fixes differently).  The NumPy column is the floor: LAPACK through
NumPy with the gradient written out by hand, no autodiff.

Each library runs each task in interleaved rounds (so slow phases of a shared machine
hit all of them alike); the table gives medians and the ratio to PyTorch.  Every
library's result is checked against the others before anything is timed.
"""
from __future__ import annotations

import argparse
import os

from harness import CLOCKS, add_common_arguments, cr, header, interleaved_medians, np, ratio, row, seconds_as, torch

LA = cr.linalg


# ----------------------------------------------------------------------------- problems
def problem(op, shape, seed=0):
    """Inputs (float64) and fixed loss weights for one operation and one shape."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    a = rng.standard_normal(shape) / np.sqrt(n)
    if op in ("slogdet", "solve"):
        a = a + 2.0 * np.eye(n)                              # well conditioned
    if op in ("cholesky", "eigh"):
        a = a @ np.swapaxes(a, -1, -2) + np.eye(n)           # symmetric positive definite
    data = {"a": a, "w": rng.standard_normal(shape), "w2": rng.standard_normal(shape),
            "c": rng.standard_normal(shape[:-1])}
    if op == "solve":
        data["b"] = rng.standard_normal(shape[:-1])
    return data


# ----------------------------------------------------------------------------- chainrule
def chainrule_task(op, d, gradient):
    a = cr.tensor(d["a"])
    w, w2, c = cr.tensor(d["w"]), cr.tensor(d["w2"]), cr.tensor(d["c"])

    if op == "slogdet":
        def loss(a):
            return LA.slogdet(a).logabsdet.sum()
    elif op == "solve":
        b = cr.tensor(d["b"])

        def loss(a, b=b):
            return (c * LA.solve(a, b[..., None])[..., 0]).sum()
    elif op == "cholesky":
        def loss(a):
            return (w * LA.cholesky(a)).sum()
    elif op == "eigh":
        def loss(a):
            vals, vecs = LA.eigh(a)
            return (c * vals).sum() + cr.square(w * vecs).sum()
    else:
        def loss(a):
            u, s, vh = LA.svd(a, full_matrices=False)
            return (c * s).sum() + cr.square(w * u).sum() + cr.square(w2 * vh).sum()

    if not gradient:
        value = {"slogdet": lambda: LA.slogdet(a).logabsdet, "cholesky": lambda: LA.cholesky(a),
                 "eigh": lambda: LA.eigh(a)[0], "svd": lambda: LA.svd(a, full_matrices=False)[1],
                 "solve": lambda: LA.solve(a, cr.tensor(d["b"])[..., None])[..., 0]}[op]
        return lambda: value().numpy()
    if op == "solve":
        vg = cr.value_and_grad(loss, argnums=(0, 1))
        b = cr.tensor(d["b"])
        return lambda: _flat(vg(a, b)[1])
    vg = cr.value_and_grad(loss)
    return lambda: vg(a)[1].numpy()


def _flat(grads):
    return np.concatenate([np.asarray(g.numpy() if hasattr(g, "numpy") else g).ravel() for g in grads])


# ----------------------------------------------------------------------------- torch
def torch_task(op, d, gradient):
    tl = torch.linalg
    a0 = torch.tensor(d["a"])
    w, w2, c = torch.tensor(d["w"]), torch.tensor(d["w2"]), torch.tensor(d["c"])
    b0 = torch.tensor(d["b"]) if op == "solve" else None

    def loss(a, b=None):
        if op == "slogdet":
            return tl.slogdet(a)[1].sum()
        if op == "solve":
            return (c * tl.solve(a, b)).sum()
        if op == "cholesky":
            return (w * tl.cholesky(a)).sum()
        if op == "eigh":
            vals, vecs = tl.eigh(a)
            return (c * vals).sum() + torch.square(w * vecs).sum()
        u, s, vh = tl.svd(a, full_matrices=False)
        return (c * s).sum() + torch.square(w * u).sum() + torch.square(w2 * vh).sum()

    if not gradient:
        value = {"slogdet": lambda: tl.slogdet(a0)[1], "cholesky": lambda: tl.cholesky(a0),
                 "eigh": lambda: tl.eigh(a0)[0], "svd": lambda: tl.svd(a0, full_matrices=False)[1],
                 "solve": lambda: tl.solve(a0, b0)}[op]
        return lambda: value().numpy()

    def step():
        a = a0.clone().requires_grad_(True)
        if op == "solve":
            b = b0.clone().requires_grad_(True)
            loss(a, b).backward()
            return np.concatenate([a.grad.numpy().ravel(), b.grad.numpy().ravel()])
        loss(a).backward()
        g = a.grad
        if op in ("cholesky", "eigh"):     # torch reads one triangle; chainrule symmetrizes
            g = (g + g.mT) / 2
        return g.numpy()
    return step


# ----------------------------------------------------------------------------- NumPy
def _sym(x):
    return (x + np.swapaxes(x, -1, -2)) / 2


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _gaps(vals):
    """F_ij = 1 / (vals_j - vals_i), 0 on the diagonal."""
    gaps = vals[..., None, :] - vals[..., :, None]
    idx = np.arange(vals.shape[-1])
    gaps[..., idx, idx] = 1.0
    f = 1.0 / gaps
    f[..., idx, idx] = 0.0
    return f


def numpy_task(op, d, gradient):
    """The same computations with the gradients written out by hand."""
    a, w, w2, c = d["a"], d["w"], d["w2"], d["c"]
    if op == "slogdet":
        if not gradient:
            return lambda: np.linalg.slogdet(a)[1]
        return lambda: (np.linalg.slogdet(a), _mT(np.linalg.inv(a)))[1]
    if op == "solve":
        b = d["b"][..., None]
        if not gradient:
            return lambda: np.linalg.solve(a, b)[..., 0]

        def solve_grad():
            x = np.linalg.solve(a, b)
            gb = np.linalg.solve(_mT(a), c[..., None])
            return np.concatenate([(-gb * _mT(x)).ravel(), gb.ravel()])
        return solve_grad
    if op == "cholesky":
        if not gradient:
            return lambda: np.linalg.cholesky(a)

        def cholesky_grad():
            import scipy.linalg
            l = np.linalg.cholesky(a)
            phi = np.tril(_mT(l) @ w) - 0.5 * np.eye(a.shape[-1]) * (_mT(l) @ w)
            li = np.linalg.inv(l) if a.ndim > 2 else scipy.linalg.solve_triangular(l, np.eye(a.shape[-1]), lower=True)
            return _sym(_mT(li) @ phi @ li)
        return cholesky_grad
    if op == "eigh":
        if not gradient:
            return lambda: np.linalg.eigh(a)[0]

        def eigh_grad():
            vals, vecs = np.linalg.eigh(a)
            gv = 2 * w * w * vecs
            inner = _gaps(vals) * (_mT(vecs) @ gv)
            idx = np.arange(a.shape[-1])
            inner[..., idx, idx] += c
            return _sym(vecs @ inner @ _mT(vecs))
        return eigh_grad
    if not gradient:
        return lambda: np.linalg.svd(a, full_matrices=False)[1]

    def svd_grad():
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        gu, gvh = 2 * w * w * u, 2 * w2 * w2 * vh
        f = _gaps(s * s)
        j = f * (_mT(u) @ gu - _mT(gu) @ u)
        k = f * (vh @ _mT(gvh) - gvh @ _mT(vh))
        inner = j * s[..., None, :] + s[..., :, None] * k
        idx = np.arange(s.shape[-1])
        inner[..., idx, idx] += c
        return u @ inner @ vh
    return svd_grad


# ----------------------------------------------------------------------------- driver
def check(label, fns):
    """Every library must compute the same thing before it is timed."""
    outs = {name: np.asarray(fn(), dtype=np.float64) for name, fn in fns.items()}
    ref = outs["numpy"]
    for name, out in outs.items():
        if out.shape != ref.shape or not np.allclose(out, ref, rtol=1e-6, atol=1e-8):
            err = np.max(np.abs(out - ref)) if out.shape == ref.shape else f"shape {out.shape} vs {ref.shape}"
            raise SystemExit(f"{label}: {name} disagrees with the NumPy reference ({err})")


SHAPES = {"256": (256, 256), "64x32": (64, 32, 32)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", default="slogdet,solve,cholesky,eigh,svd")
    ap.add_argument("--sizes", default="256,64x32")
    ap.add_argument("--tasks", default="value,gradient")
    args = add_common_arguments(ap, repeats=9).parse_args(argv)
    print(header("float64"))
    print(row("operation", "input", "task", "chainrule", "torch", "numpy (by hand)", "chainrule/torch",
              "chainrule/numpy"))
    print(row(*["---"] * 8))
    for op in args.ops.split(","):
        for size in args.sizes.split(","):
            shape = SHAPES[size]
            d = problem(op, shape)
            for task in args.tasks.split(","):
                gradient = task == "gradient"
                fns = {"chainrule": chainrule_task(op, d, gradient), "numpy": numpy_task(op, d, gradient)}
                if torch is not None:
                    fns["torch"] = torch_task(op, d, gradient)
                shape_text = "×".join(map(str, shape))
                check(f"{op} {shape_text} {task}", fns)
                med = interleaved_medians(fns, args.repeats, min_block=0.2, warmup=2, clock=CLOCKS[args.clock])
                c, t, n = med["chainrule"], med.get("torch"), med["numpy"]
                print(row(op, shape_text, task, seconds_as(c, "ms"), seconds_as(t, "ms"), seconds_as(n, "ms"),
                          ratio(c, t), ratio(c, n)), flush=True)
    print(f"(load average {os.getloadavg()[0]:.2f} at the end: on a shared machine, other processes compete for "
          f"the same cores)")


if __name__ == "__main__":
    main()
