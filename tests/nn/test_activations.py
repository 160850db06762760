"""Activations: conventions at the kinks, stability, modules, and parity with torch.nn."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.testing import check_grads


def _derivative(fn, x):
    return cr.grad(lambda t: fn(t).sum())(cr.tensor(np.asarray(x, dtype=np.float64))).numpy()


def test_conventions_at_kinks():
    at_zero = np.array([0.0])
    assert _derivative(F.relu, at_zero)[0] == 0.0
    assert _derivative(lambda x: F.leaky_relu(x, 0.2), at_zero)[0] == 0.2
    assert _derivative(lambda x: F.elu(x, 1.5), at_zero)[0] == 1.5
    np.testing.assert_allclose(_derivative(F.selu, at_zero)[0], nn.activations.SELU_SCALE * nn.activations.SELU_ALPHA)
    bounds = np.array([-1.0, 1.0, -0.999, 0.999])
    np.testing.assert_array_equal(_derivative(F.hardtanh, bounds), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(_derivative(F.relu6, np.array([0.0, 6.0, 3.0])), [0.0, 0.0, 1.0])


def test_extreme_inputs_give_finite_values_and_gradients():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    for fn in (F.elu, F.selu, F.gelu, lambda t: F.gelu(t, "tanh"), F.silu, F.softplus, F.logsigmoid,
               lambda t: F.softplus(t, beta=3.0, threshold=5.0)):
        t = cr.tensor(x)
        y = fn(t)
        g = cr.grad(lambda a: fn(a).sum())(t)
        assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(g.numpy()))
    np.testing.assert_allclose(F.logsigmoid(cr.tensor(x)).numpy()[0], -1e4)


def test_second_derivatives_where_smooth():
    x = cr.tensor(np.array([-1.3, -0.4, 0.7, 2.2]))
    for fn in (F.gelu, lambda t: F.gelu(t, "tanh"), F.silu, F.selu, F.elu, F.logsigmoid,
               lambda t: F.softplus(t, 2.0), lambda t: F.leaky_relu(t, 0.3)):
        check_grads(fn, (x,), order=2)


def test_modules_and_softmax_dims():
    x = cr.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    np.testing.assert_allclose(nn.Softmax(dim=-1)(x).numpy().sum(-1), 1.0)
    np.testing.assert_allclose(nn.Softmax()(x).numpy().sum(0), 1.0)          # PyTorch's implicit dim for rank 3
    np.testing.assert_allclose(np.exp(nn.LogSoftmax(dim=1)(x).numpy()).sum(1), 1.0)
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)


MODULES = [
    ("ReLU", {}), ("LeakyReLU", {"negative_slope": 0.05}), ("ELU", {"alpha": 0.7}), ("SELU", {}),
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Sigmoid", {}), ("Tanh", {}),
    ("Softplus", {"beta": 1.5, "threshold": 3.0}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Hardtanh", {"min_val": -0.5, "max_val": 0.8}), ("ReLU6", {}), ("LogSigmoid", {}),
]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)) * 3
    x[0, :3] = [0.0, -0.5, 0.8]          # kinks of relu, hardtanh
    u = rng.standard_normal((4, 5))
    ours = getattr(nn, name)(**kwargs)
    theirs = getattr(torch.nn, name)(**kwargs)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = ours(xc), theirs(xt)
    (yc * cr.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
