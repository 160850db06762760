"""Optimizers against PyTorch, side by side: the cost of one ``step()``, and minimize() against SciPy.

    .venv/bin/python benchmarks/bench_optim.py [--repeats 15] [--threads 2] [--clock wall|cpu]

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
import sys

import scipy.optimize
from harness import CLOCKS, add_common_arguments, cr, header, interleaved_medians, np, ratio, row, seconds_as, torch

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


def bench_steps(repeats: int, clock) -> list[tuple[str, float, float | None]]:
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    rows = []
    for name, options in OPTIMIZERS.items():
        ours = _step_task(cr, name, options, values, grads)
        theirs = _step_task(torch, name, options, values, grads) if torch is not None else None
        if theirs is not None:                  # same update before timing
            np.testing.assert_allclose(ours(), theirs(), rtol=1e-4, atol=1e-5)
        med = interleaved_medians({"chainrule": ours, "torch": theirs} if theirs else {"chainrule": ours},
                                  repeats, min_block=0.1, clock=clock)
        rows.append((f"step {name}", med["chainrule"], med.get("torch")))
    return rows


def bench_minimize(repeats: int, clock) -> list[tuple[str, float, float | None]]:
    f = cr.optim.testfunctions.rosenbrock(10)

    def ours():
        return cr.optim.minimize(f, f.start, method="lbfgs", options={"gtol": 1e-6}).x

    def theirs():
        return scipy.optimize.minimize(scipy.optimize.rosen, f.start, jac=scipy.optimize.rosen_der,
                                       method="L-BFGS-B", options={"gtol": 1e-6}).x

    np.testing.assert_allclose(ours(), theirs(), atol=1e-4)
    med = interleaved_medians({"chainrule": ours, "scipy": theirs}, repeats, min_block=0.1, clock=clock)
    return [("minimize lbfgs rosenbrock-10", med["chainrule"], med["scipy"])]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = add_common_arguments(parser).parse_args(argv)
    clock = CLOCKS[args.clock]
    rows = bench_steps(args.repeats, clock) + bench_minimize(max(3, args.repeats // 3), clock)
    print(header("float32 steps, float64 minimize"))
    print(row("task", "chainrule", "reference", "chainrule/reference"))
    print(row(*["---"] * 4))
    for task, ours, theirs in rows:
        print(row(task, seconds_as(ours, "ms"), seconds_as(theirs, "ms"), ratio(ours, theirs)))
    print("(reference: PyTorch's single-tensor optimizers for steps; SciPy's L-BFGS-B with an analytic gradient "
          "for minimize)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
