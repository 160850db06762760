"""Learning-rate schedules: each against its closed form, composition, state_dict, errors."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim import lr_scheduler as S


def sgd(lr=0.1, momentum=0.9):
    p = cr.tensor(np.zeros(2), requires_grad=True)
    return cr.optim.SGD([p], lr=lr, momentum=momentum)


def lrs(optimizer, scheduler, n=15, metrics=None):
    out = [optimizer.param_groups[0]["lr"]]
    for k in range(n):
        scheduler.step() if metrics is None else scheduler.step(metrics[k])
        out.append(optimizer.param_groups[0]["lr"])
    return np.array(out)


def test_lambda_lr():
    opt = sgd()
    got = lrs(opt, S.LambdaLR(opt, lambda t: 1 / (1 + t)))
    np.testing.assert_allclose(got, [0.1 / (1 + t) for t in range(16)])


def test_step_lr():
    opt = sgd()
    np.testing.assert_allclose(lrs(opt, S.StepLR(opt, step_size=4, gamma=0.5)),
                               [0.1 * 0.5 ** (t // 4) for t in range(16)], rtol=1e-15)


def test_multistep_lr_counts_repeated_milestones():
    opt = sgd()
    milestones = [3, 7, 7]
    np.testing.assert_allclose(lrs(opt, S.MultiStepLR(opt, milestones, gamma=0.1)),
                               [0.1 * 0.1 ** sum(m <= t for m in milestones) for t in range(16)], rtol=1e-14)


def test_exponential_lr():
    opt = sgd()
    np.testing.assert_allclose(lrs(opt, S.ExponentialLR(opt, 0.9)), [0.1 * 0.9 ** t for t in range(16)], rtol=1e-14)


def test_cosine_annealing_is_its_closed_form_and_periodic():
    opt = sgd()
    T, eta_min = 5, 0.01
    expected = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * t / T)) / 2 for t in range(16)]
    np.testing.assert_allclose(lrs(opt, S.CosineAnnealingLR(opt, T, eta_min)), expected, rtol=1e-12)


def test_cosine_warm_restarts():
    opt = sgd()
    got = lrs(opt, S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0), n=13)
    # periods 2, 4, 8: restarts at t = 2 and t = 6
    t_cur = [0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7]
    t_i = [2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8]
    np.testing.assert_allclose(got, [0.05 * (1 + math.cos(math.pi * c / i)) for c, i in zip(t_cur, t_i)], rtol=1e-12)


def test_cosine_warm_restarts_fractional_epoch():
    opt = sgd()
    scheduler = S.CosineAnnealingWarmRestarts(opt, T_0=4)
    scheduler.step(1.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05 * (1 + math.cos(math.pi * 1.5 / 4)))
    with pytest.raises(ValueError, match="non-negative epoch"):
        scheduler.step(-1)


def test_linear_lr_warm_up():
    opt = sgd()
    start, end, total = 0.25, 1.0, 4
    expected = [0.1 * (start + (end - start) * min(t, total) / total) for t in range(16)]
    np.testing.assert_allclose(lrs(opt, S.LinearLR(opt, start, end, total)), expected, rtol=1e-14)


def test_one_cycle_shape_and_momentum():
    opt = sgd()
    scheduler = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    got = [opt.param_groups[0]["lr"]]
    momenta = [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        scheduler.step()
        got.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
    assert got[0] == pytest.approx(1.0 / 25)                       # max_lr / div_factor
    assert max(got) == pytest.approx(1.0) and int(np.argmax(got)) == 2
    assert got[-1] == pytest.approx(1.0 / 25 / 1e4)               # initial / final_div_factor
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="total_steps=10"):
        for _ in range(3):
            scheduler.step()


def test_sequential_switches_at_milestones():
    opt = sgd()
    warmup = S.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=2)
    decay = S.ExponentialLR(opt, gamma=0.5)
    got = lrs(opt, S.SequentialLR(opt, [warmup, decay], milestones=[3]), n=6)
    np.testing.assert_allclose(got, [0.05, 0.075, 0.1, 0.1, 0.05, 0.025, 0.0125], rtol=1e-14)


def test_chained_schedulers_multiply():
    opt = sgd()
    a, b = S.ExponentialLR(opt, 0.9), S.StepLR(opt, 2, 0.5)
    for t in range(1, 7):
        a.step(), b.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.9 ** t * 0.5 ** (t // 2))


def test_reduce_on_plateau():
    opt = sgd(lr=1.0)
    scheduler = S.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    metrics = [3, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    got = lrs(opt, scheduler, n=10, metrics=metrics)
    # bad epochs at 3, 4 → halve after 4 (patience 1); cooldown 1; then again...; floor 0.2
    np.testing.assert_allclose(got, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2])
    opt = sgd(lr=1.0)
    maximizing = S.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    np.testing.assert_allclose(lrs(opt, maximizing, n=3, metrics=[1.0, 1.05, 1.2]), [1, 1, 0.1, 0.1])


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 3, 0.5),
    lambda o: S.MultiStepLR(o, [2, 4]),
    lambda o: S.CosineAnnealingLR(o, 6),
    lambda o: S.CosineAnnealingWarmRestarts(o, 2, 2),
    lambda o: S.LinearLR(o, 0.1, 1.0, 5),
    lambda o: S.OneCycleLR(o, 1.0, total_steps=20),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, 1.0, 2), S.ExponentialLR(o, 0.8)], [3]),
    lambda o: S.ReduceLROnPlateau(o, patience=0),
], ids=["step", "multistep", "cosine", "restarts", "linear", "onecycle", "sequential", "plateau"])
def test_state_dict_round_trip(make):
    opt = sgd()
    scheduler = make(opt)
    plateau = isinstance(scheduler, S.ReduceLROnPlateau)
    for k in range(4):
        scheduler.step(5 - k % 2) if plateau else scheduler.step()
    saved_sched, saved_opt = copy.deepcopy(scheduler.state_dict()), copy.deepcopy(opt.state_dict())
    later = [opt.param_groups[0]["lr"]]
    for k in range(5):
        scheduler.step(4) if plateau else scheduler.step()
        later.append(opt.param_groups[0]["lr"])
    opt2 = sgd()
    scheduler2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved_sched)
    resumed = [opt2.param_groups[0]["lr"]]
    for k in range(5):
        scheduler2.step(4) if plateau else scheduler2.step()
        resumed.append(opt2.param_groups[0]["lr"])
    assert resumed == later


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, t):
            return self.rate ** t

    opt = sgd()
    scheduler = S.LambdaLR(opt, Decay())
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"rate": 0.5}]
    other = S.LambdaLR(sgd(), Decay())
    other.lr_lambdas[0].rate = 0.9
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].rate == 0.5


def test_scheduler_errors():
    opt = sgd()
    with pytest.raises(TypeError, match="expected a chainrule optimizer"):
        S.StepLR(object(), 3)
    with pytest.raises(ValueError, match="invalid step_size=0"):
        S.StepLR(opt, 0)
    with pytest.raises(ValueError, match="start_factor"):
        S.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps, or both epochs"):
        S.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="cycle_momentum"):
        S.OneCycleLR(cr.optim.Adagrad([cr.tensor(np.ones(2), requires_grad=True)]), 1.0, total_steps=5)
    with pytest.raises(ValueError, match="factor < 1"):
        S.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="2 schedulers need 1 milestones"):
        S.SequentialLR(opt, [S.StepLR(opt, 2), S.StepLR(opt, 2)], [])
    with pytest.raises(ValueError, match="expected the keys"):
        S.StepLR(opt, 2).load_state_dict({"gamma": 0.1})
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(sgd(), 2, last_epoch=3)
