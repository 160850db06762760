"""20 steps of every optimizer and scheduler against torch.optim, on the same parameters
and gradients, in float64; LBFGS against torch.optim.LBFGS on a deterministic problem."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def torch_float64():
    # torch keeps optimizer step counters (and NAdam's μ product) in the default dtype
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


RNG = np.random.default_rng(2024)
# (130, 130) has more entries than chainrule.backend.AXPY_MIN_SIZE: its updates take BLAS's axpy
SHAPES = [(3, 4), (5,), (), (130, 130)]
INITIAL = [RNG.standard_normal(s) for s in SHAPES]
GRADIENTS = [[RNG.standard_normal(s) for s in SHAPES] for _ in range(20)]


def _run(lib, name, options, group_lr):
    if lib is cr:
        params = [cr.tensor(a.copy(), requires_grad=True) for a in INITIAL]
    else:
        params = [torch.tensor(a.copy(), requires_grad=True) for a in INITIAL]
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": group_lr}]
    optimizer = getattr(lib.optim, name)(groups, **options)
    for grads in GRADIENTS:
        for p, g in zip(params, grads):
            p.grad = cr.tensor(g.copy()) if lib is cr else torch.tensor(g.copy())
        optimizer.step()
    return [np.asarray(p.numpy() if lib is cr else p.detach().numpy()) for p in params]


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.9, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_optimizer_matches_torch(name, options):
    ours = _run(cr, name, options, group_lr=0.003)
    theirs = _run(torch, name, options, group_lr=0.003)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def _schedule(lib, name):
    S = lib.optim.lr_scheduler
    if lib is cr:
        a, b = cr.tensor(np.zeros(2), requires_grad=True), cr.tensor(np.zeros(3), requires_grad=True)
    else:
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, momentum=0.9)
    adam = lib.optim.Adam([a], lr=0.01) if name == "OneCycleLR-adam" else None
    make = {
        "LambdaLR": lambda: S.LambdaLR(opt, lambda e: 0.9 ** e + 0.1),
        "StepLR": lambda: S.StepLR(opt, 3, 0.5),
        "MultiStepLR": lambda: S.MultiStepLR(opt, [2, 5, 5, 9], 0.3),
        "ExponentialLR": lambda: S.ExponentialLR(opt, 0.9),
        "CosineAnnealingLR": lambda: S.CosineAnnealingLR(opt, 7, 0.001),
        "CosineAnnealingWarmRestarts": lambda: S.CosineAnnealingWarmRestarts(opt, 3, 2, 0.001),
        "LinearLR": lambda: S.LinearLR(opt, 0.2, 0.9, 6),
        "OneCycleLR": lambda: S.OneCycleLR(opt, [1.0, 0.5], total_steps=25),
        "OneCycleLR-3phase": lambda: S.OneCycleLR(opt, 1.0, total_steps=25, three_phase=True,
                                                  anneal_strategy="linear"),
        "OneCycleLR-adam": lambda: S.OneCycleLR(adam, 0.1, epochs=5, steps_per_epoch=5),
        "SequentialLR": lambda: S.SequentialLR(opt, [S.LinearLR(opt, 0.1, 1.0, 4), S.CosineAnnealingLR(opt, 10),
                                                     S.ExponentialLR(opt, 0.8)], [5, 12]),
        "chained": lambda: [S.ExponentialLR(opt, 0.9), S.CosineAnnealingLR(opt, 5)],
        "ReduceLROnPlateau": lambda: S.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1,
                                                         min_lr=[0.01, 0.0]),
    }[name]
    return (adam or opt), make()


SCHEDULES = ["LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
             "CosineAnnealingWarmRestarts", "LinearLR", "OneCycleLR", "OneCycleLR-3phase", "OneCycleLR-adam",
             "SequentialLR", "chained", "ReduceLROnPlateau"]
METRICS = [5, 4, 4, 4.5, 4, 4, 3, 3.1, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2]


@pytest.mark.parametrize("name", SCHEDULES)
def test_scheduler_matches_torch(name):
    histories = []
    for lib in (cr, torch):
        opt, scheduler = _schedule(lib, name)
        rows = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # torch warns that no optimizer.step() ran before
            for k in range(20):
                if name == "ReduceLROnPlateau":
                    scheduler.step(METRICS[k])
                elif name == "chained":
                    for s in scheduler:
                        s.step()
                else:
                    scheduler.step()
                row = [g["lr"] for g in opt.param_groups]
                row += [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]
                rows.append(row)
        histories.append(np.array(rows, dtype=np.float64))
    np.testing.assert_allclose(histories[0], histories[1], rtol=0, atol=1e-12)


def _quartic(lib, x, target):
    return lib.sum((x - target) ** 4 + 0.5 * x ** 2 + 0.1 * x[:1] * x[1:2])


@pytest.mark.parametrize("line_search_fn, history_size", [(None, 3), ("strong_wolfe", 3), ("strong_wolfe", 100)])
def test_lbfgs_matches_torch(line_search_fn, history_size):
    x0 = np.array([1.5, -0.5, 2.0, 0.3])
    target_np = np.array([0.5, 1.0, -1.0, 0.0])
    results = []
    for lib in (cr, torch):
        if lib is cr:
            p, target = cr.tensor(x0.copy(), requires_grad=True), cr.tensor(target_np)
        else:
            p, target = torch.tensor(x0.copy(), requires_grad=True), torch.tensor(target_np)
        opt = lib.optim.LBFGS([p], lr=1.0 if line_search_fn else 0.05, max_iter=7, history_size=history_size,
                              line_search_fn=line_search_fn)

        def closure(opt=opt, p=p, lib=lib, target=target):
            opt.zero_grad()
            loss = _quartic(lib, p, target)
            loss.backward()
            return loss

        trajectory = []
        for _ in range(3):
            opt.step(closure)
            trajectory.append(np.array(p.numpy() if lib is cr else p.detach().numpy()))
        results.append((np.array(trajectory), opt.state[p]["func_evals"], opt.state[p]["n_iter"]))
    (ours, our_evals, our_iters), (theirs, their_evals, their_iters) = results
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert (our_evals, our_iters) == (their_evals, their_iters)
