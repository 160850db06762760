"""cr.nn.utils: gradient clipping, weight penalties, flat parameter vectors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn.utils import (clip_grad_norm_, clip_grad_value_, l1_penalty, l2_penalty, parameters_to_vector,
                                vector_to_parameters)
from chainrule.testing import check_grads


def _model_with_grads(seed=0):
    model = nn.Sequential(nn.Linear(3, 4, dtype=cr.float64, generator=seed), nn.Tanh(),
                          nn.Linear(4, 2, dtype=cr.float64, generator=seed + 1))
    x = cr.tensor(np.random.default_rng(seed).standard_normal((5, 3)) * 3)
    (model(x) ** 2).sum().backward()
    return model


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm(norm_type):
    model = _model_with_grads()
    grads = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
    total = np.linalg.norm(grads, ord=norm_type)
    returned = clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type=norm_type)
    np.testing.assert_allclose(float(returned), total, rtol=1e-12)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])
    np.testing.assert_allclose(clipped, grads * 0.5 / (total + 1e-6), rtol=1e-12)
    # a norm below the threshold leaves the gradients alone
    before = [p.grad.numpy().copy() for p in model.parameters()]
    clip_grad_norm_(model, max_norm=1e9, norm_type=norm_type)
    for b, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(b, p.grad.numpy())


def test_clip_grad_norm_nonfinite_and_value():
    model = _model_with_grads()
    first = next(model.parameters())
    first.grad = cr.tensor(np.full(first.shape, np.inf))
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_(model, 1.0, error_if_nonfinite=True)
    model = _model_with_grads()
    clip_grad_value_(model, 0.1)
    assert all(np.abs(p.grad.numpy()).max() <= 0.1 for p in model.parameters())


def test_clipping_matches_torch():
    torch = pytest.importorskip("torch")
    for norm_type in (2.0, math.inf, 1.5):
        model = _model_with_grads(3)
        tparams = [torch.tensor(p.numpy(), requires_grad=True) for p in model.parameters()]
        for tp, p in zip(tparams, model.parameters()):
            tp.grad = torch.tensor(p.grad.numpy())
        ours = clip_grad_norm_(model.parameters(), 0.3, norm_type)
        theirs = torch.nn.utils.clip_grad_norm_(tparams, 0.3, norm_type)
        np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-10)
        for tp, p in zip(tparams, model.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-15)
        clip_grad_value_(model.parameters(), 0.01)
        torch.nn.utils.clip_grad_value_(tparams, 0.01)
        for tp, p in zip(tparams, model.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_penalties_values_and_derivatives():
    model = nn.Sequential(nn.Linear(3, 2, dtype=cr.float64), nn.Linear(2, 1, dtype=cr.float64))
    flat = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    np.testing.assert_allclose(float(l1_penalty(model)), np.abs(flat).sum(), rtol=1e-12)
    np.testing.assert_allclose(float(l2_penalty(model.parameters())), 0.5 * (flat ** 2).sum(), rtol=1e-12)
    g = cr.grad(lambda m: l2_penalty(m))(model)
    for p, gp in zip(model.parameters(), g.parameters()):
        np.testing.assert_allclose(gp.numpy(), p.numpy(), rtol=1e-12)          # weight decay's gradient
    check_grads(lambda m: l2_penalty(m) + l1_penalty(m), (model,), order=1)
    with pytest.raises(ValueError, match="no parameters"):
        l1_penalty([])


def test_parameters_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 2, dtype=cr.float64), nn.Linear(2, 1, dtype=cr.float64))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    np.testing.assert_array_equal(vec.numpy(), np.concatenate([p.numpy().ravel() for p in model.parameters()]))
    weight = model[0].weight
    vector_to_parameters(cr.tensor(np.arange(11.0)), model.parameters())
    assert model[0].weight is weight
    np.testing.assert_array_equal(model[0].weight.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.numpy(), [10.0])
    with pytest.raises(cr.ShapeError, match="hold 11 numbers"):
        vector_to_parameters(cr.zeros(10), model.parameters())
    check_grads(lambda m: parameters_to_vector(m), (model,), order=1)
