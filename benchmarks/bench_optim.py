"""Optimizers against PyTorch, side by side: the cost of one ``step()``, and minimize() against SciPy.

    .venv/bin/python benchmarks/bench_optim.py [--repeats 15] [--size 1000000]

Tasks (float32 for the training optimizers, two threads for every library):

step       one optimizer.step() on four parameters of 1M entries in all (a 1000×768 matrix,
           its bias, a 768×300 matrix and its bias), for SGD with Nesterov momentum,
           RMSprop, Adam (AMSGrad) and NAdam: the per-step overhead of the update
           arithmetic, which runs whole-array NumPy operations per parameter
minimize   minimize the 10-dimensional Rosenbrock function from its standard start with
           L-BFGS (chainrule: derivatives by autodiff; SciPy: a hand-written gradient)

Each library runs each task in interleaved rounds; the table gives medians and the
ratio to the reference (PyTorch for steps, SciPy for minimize).  Results are checked
against each other before anything is timed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import scipy.optimize  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
import chainrule as cr  # noqa: E402

try:
    import torch
    torch.set_num_threads(2)
except ImportError:  # the comparison needs torch; chainrule still runs
    torch = None

SHAPES = [(1000, 768), (768,), (768, 300), (300,)]
OPTIMIZERS = {
    "SGD (nesterov)": dict(lr=0.01, momentum=0.9, nesterov=True),
    "RMSprop": dict(lr=0.01),
    "Adam (amsgrad)": dict(lr=0.01, amsgrad=True),
    "NAdam": dict(lr=0.01),
}


def _step_task(lib, name, options, values, grads):
    cls = getattr(lib.optim, name.split(" ")[0])
    if lib is cr:
        params = [cr.tensor(v.copy(), requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = cr.tensor(g)
    else:
        params = [torch.tensor(v.copy(), requires_grad=True) for v in values]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
    optimizer = cls(params, **options) if lib is cr else cls(params, foreach=False, **options)

    def step():
        optimizer.step()
        return params[0].detach().numpy() if lib is torch else params[0].numpy()
    return step


def _interleaved_ms(functions, repeats):
    """Median milliseconds of each function, timed in alternating rounds."""
    times = [[] for _ in functions]
    for _ in range(repeats):
        for fn, out in zip(functions, times):
            if fn is None:
                continue
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return [1e3 * statistics.median(t) if t else None for t in times]


def bench_steps(repeats: int) -> list[tuple[str, float, float | None]]:
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    rows = []
    for name, options in OPTIMIZERS.items():
        ours = _step_task(cr, name, options, values, grads)
        theirs = _step_task(torch, name, options, values, grads) if torch is not None else None
        if theirs is not None:                  # same update before timing
            np.testing.assert_allclose(ours(), theirs(), rtol=1e-4, atol=1e-5)
        ours_ms, theirs_ms = _interleaved_ms([ours, theirs], repeats)
        rows.append((f"step {name}", ours_ms, theirs_ms))
    return rows


def bench_minimize(repeats: int) -> list[tuple[str, float, float | None]]:
    f = cr.optim.testfunctions.rosenbrock(10)

    def ours():
        return cr.optim.minimize(f, f.start, method="lbfgs", options={"gtol": 1e-6}).x

    def theirs():
        return scipy.optimize.minimize(scipy.optimize.rosen, f.start, jac=scipy.optimize.rosen_der,
                                       method="L-BFGS-B", options={"gtol": 1e-6}).x

    np.testing.assert_allclose(ours(), theirs(), atol=1e-4)
    return [("minimize lbfgs rosenbrock-10", *_interleaved_ms([ours, theirs], repeats))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rows = bench_steps(args.repeats) + bench_minimize(max(3, args.repeats // 3))
    print(f"{'task':38s} {'chainrule ms':>13s} {'reference ms':>13s} {'ratio':>7s}")
    for task, ours, theirs in rows:
        ratio = f"{ours / theirs:7.2f}" if theirs else "      —"
        reference = f"{theirs:13.2f}" if theirs else "            —"
        print(f"{task:38s} {ours:13.2f} {reference} {ratio}")
    print("(reference: PyTorch single-tensor optimizers for steps; SciPy L-BFGS-B with an analytic gradient "
          "for minimize)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
