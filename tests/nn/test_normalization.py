"""Batch, layer and group normalization: derivatives, train/eval behaviour, running
statistics, errors, and parity with torch.nn (outputs, gradients and buffers)."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.testing import check_grads

RNG = np.random.default_rng(0)


def _x(*shape):
    return cr.tensor(RNG.standard_normal(shape) * 2 + 1)


def _randomize(module, seed=0):
    """Non-trivial affine parameters, so that their gradients are tested."""
    rng = np.random.default_rng(seed)
    with cr.no_grad():
        for p in module.parameters():
            p.copy_(rng.standard_normal(p.shape))
    return module


@pytest.mark.parametrize("layer,shape", [(nn.BatchNorm1d(3, dtype=cr.float64), (5, 3)),
                                         (nn.BatchNorm1d(3, dtype=cr.float64), (4, 3, 2)),
                                         (nn.BatchNorm2d(2, dtype=cr.float64), (3, 2, 2, 3)),
                                         (nn.LayerNorm((3, 4), dtype=cr.float64), (2, 3, 4)),
                                         (nn.GroupNorm(2, 4, dtype=cr.float64), (2, 4, 3))],
                         ids=["bn1d-2d", "bn1d-3d", "bn2d", "layernorm", "groupnorm"])
def test_derivatives_to_second_order(layer, shape):
    _randomize(layer)
    x = _x(*shape)
    check_grads(lambda x, m: m(x), (x, layer), order=2)
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        layer.eval()
        check_grads(lambda x, m: m(x), (x, layer), order=2)
        layer.train()


def test_batch_norm_training_normalizes_and_updates_running_statistics():
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype=cr.float64)
    x = _x(8, 3)
    y = bn(x).numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), 1, rtol=1e-4)               # biased variance, eps = 1e-5
    xs = x.numpy()
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.2 * xs.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.8 + 0.2 * xs.var(0, ddof=1), rtol=1e-12)   # unbiased
    assert int(bn.num_batches_tracked) == 1


def test_batch_norm_eval_uses_running_statistics():
    bn = _randomize(nn.BatchNorm2d(2, dtype=cr.float64))
    with cr.no_grad():
        bn.running_mean.copy_(np.array([0.5, -1.0]))
        bn.running_var.copy_(np.array([2.0, 0.25]))
    bn.eval()
    x = _x(3, 2, 2, 2)
    expected = ((x.numpy() - np.array([0.5, -1.0])[:, None, None]) / np.sqrt(np.array([2.0, 0.25]) + 1e-5)[:, None, None]
                * bn.weight.numpy()[:, None, None] + bn.bias.numpy()[:, None, None])
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-12)
    before = bn.running_mean.numpy().copy()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)   # evaluation changes nothing
    assert int(bn.num_batches_tracked) == 0
    one = bn(_x(1, 2, 1, 1))                                          # a single value per channel is fine in eval
    assert one.shape == (1, 2, 1, 1)


def test_batch_norm_without_running_statistics_uses_the_batch_in_eval():
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False, dtype=cr.float64)
    assert list(bn.state_dict()) == [] and bn.running_mean is None
    x = _x(6, 3)
    np.testing.assert_allclose(bn.eval()(x).numpy(), bn.train()(x).numpy())


def test_normalization_errors():
    with pytest.raises(cr.ShapeError, match=r"BatchNorm1d\(3, .*expected input \(N×C=3\) or \(N×C=3×L\).*"
                                            r"channels C = 3, got \(4×5\)"):
        nn.BatchNorm1d(3)(cr.ones(4, 5))
    with pytest.raises(cr.ShapeError, match=r"BatchNorm2d.*rank 4.*got \(4×3\)"):
        nn.BatchNorm2d(3)(cr.ones(4, 3))
    with pytest.raises(cr.ShapeError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(cr.ones(1, 3))
    with pytest.raises(cr.ShapeError, match=r"LayerNorm.*expected input \(\*×4\), got \(2×3\)"):
        nn.LayerNorm(4)(cr.ones(2, 3))
    with pytest.raises(cr.ShapeError, match=r"GroupNorm.*channels C = 4, got \(2×6\)"):
        nn.GroupNorm(2, 4)(cr.ones(2, 6))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    bn = nn.BatchNorm1d(3)
    with pytest.raises(cr.ShapeError):
        bn(cr.ones(1, 3))
    assert int(bn.num_batches_tracked) == 0                           # rejected before any state changed


def _copy_into_torch(ours, theirs, torch):
    with torch.no_grad():
        for name, value in ours.state_dict().items():
            theirs.state_dict()[name].copy_(torch.tensor(value.numpy()))


def _compare_step(ours, theirs, x, torch):
    u = RNG.standard_normal(x.shape)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = ours(xc), theirs(xt)
    (yc * cr.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    for name, b in ours.state_dict().items():
        np.testing.assert_allclose(b.numpy(), theirs.state_dict()[name].numpy(), rtol=1e-10, err_msg=name)
    ours.zero_grad()
    theirs.zero_grad()


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), {"momentum": None}, (4, 3, 5)),
    ("BatchNorm1d", (3,), {"affine": False, "eps": 1e-3}, (6, 3)),
    ("BatchNorm2d", (2,), {"momentum": 0.3}, (3, 2, 4, 4)),
    ("BatchNorm2d", (2,), {"track_running_stats": False}, (3, 2, 2, 2)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (4,), {"elementwise_affine": False}, (5, 4)),
    ("LayerNorm", (4,), {"bias": False}, (5, 4)),
    ("GroupNorm", (3, 6), {}, (2, 6, 5)),
    ("GroupNorm", (2, 4), {"affine": False}, (2, 4, 2, 3)),
])
def test_matches_torch_in_training_and_evaluation(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    ours = _randomize(getattr(nn, name)(*args, **kwargs, dtype=cr.float64))
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    _copy_into_torch(ours, theirs, torch)
    for step in range(3):                          # running statistics accumulate over steps
        _compare_step(ours, theirs, RNG.standard_normal(shape) * 2 + 0.5, torch)
    ours.eval()
    theirs.eval()
    _compare_step(ours, theirs, RNG.standard_normal(shape), torch)


def test_batch_norm_inside_transforms():
    bn = nn.BatchNorm1d(3, dtype=cr.float64)
    x = _x(6, 3)
    cr.grad(lambda m, x: (m(x) ** 2).sum())(bn, x)        # the model given to a transform shares its buffers
    assert int(bn.num_batches_tracked) == 1
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-12)
    batches = _x(2, 6, 3)
    with pytest.raises(cr.GraphError, match="inside vmap"):
        cr.vmap(bn)(batches)
    assert int(bn.num_batches_tracked) == 1                 # the failed call counted nothing
    bn.eval()
    np.testing.assert_allclose(cr.vmap(bn)(batches).numpy()[1], bn(batches[1]).numpy(), rtol=1e-12)
