"""Pooling: max, average and adaptive average pooling, functions and layers.

Values against loop references (chainrule/specs/conv.py), derivatives against central
differences in float64 (on inputs without ties), the tie convention (the first maximum
takes the gradient), errors by their messages, and — with torch installed — outputs,
indices and input gradients against torch.nn for every option.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import ShapeError
from chainrule.nn import pooling as P
from chainrule.specs.conv import adaptive_avg_pool2d_reference, avg_pool2d_reference, max_pool2d_reference
from chainrule.testing import check_grads

RNG = np.random.default_rng(11)


def distinct(*shape):
    """Values with no ties (max pooling is differentiable there)."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 + RNG.uniform(-0.05, 0.05, n)).reshape(shape) - n * 0.15


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- values and derivatives
@pytest.mark.parametrize("kwargs, ref", [
    (dict(kernel_size=2), dict(kernel=(2, 2), stride=(2, 2))),
    (dict(kernel_size=3, stride=1, padding=1), dict(kernel=(3, 3), stride=(1, 1), padding=(1, 1))),
    (dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=True),
     dict(kernel=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=True))])
def test_max_pool2d_values_indices_and_gradients(kwargs, ref):
    x = distinct(2, 3, 7, 8)
    y, idx = P.max_pool2d(t64(x), return_indices=True, **kwargs)
    np.testing.assert_allclose(y.numpy(), max_pool2d_reference(x, **ref), atol=0)
    np.testing.assert_array_equal(idx.numpy(), max_pool2d_reference(x, **ref, indices=True))
    check_grads(lambda x: P.max_pool2d(x, **kwargs), [x], order=2)


@pytest.mark.parametrize("kwargs, ref", [
    (dict(kernel_size=2), dict(kernel=(2, 2), stride=(2, 2))),
    (dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
     dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1), count_include_pad=False)),
    (dict(kernel_size=(2, 3), stride=2, padding=1, ceil_mode=True),
     dict(kernel=(2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True)),
    (dict(kernel_size=3, stride=1, divisor_override=2), dict(kernel=(3, 3), stride=(1, 1), divisor_override=2))])
def test_avg_pool2d_values_and_gradients(kwargs, ref):
    x = RNG.standard_normal((2, 2, 7, 6))
    np.testing.assert_allclose(P.avg_pool2d(t64(x), **kwargs).numpy(), avg_pool2d_reference(x, **ref), atol=1e-14)
    check_grads(lambda x: P.avg_pool2d(x, **kwargs), [x], order=2)


def test_adaptive_avg_pool2d_values_and_gradients():
    for size, out in [((7, 5), (3, 2)), ((4, 4), (4, 4)), ((3, 5), (6, 7)), ((5, 6), (1, 1))]:
        x = RNG.standard_normal((2, 3) + size)
        np.testing.assert_allclose(P.adaptive_avg_pool2d(t64(x), out).numpy(),
                                   adaptive_avg_pool2d_reference(x, out), atol=1e-14)
    check_grads(lambda x: P.adaptive_avg_pool2d(x, (2, 3)), [RNG.standard_normal((1, 2, 5, 7))], order=2)
    assert P.adaptive_avg_pool2d(t64(np.ones((2, 5, 7))), (None, 3)).shape == (2, 5, 3)


def test_one_dimensional_pooling_and_unbatched_inputs():
    x = distinct(2, 3, 9)
    y = P.max_pool1d(t64(x), 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(y.numpy(), max_pool2d_reference(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                                               ceil_mode=True)[:, :, 0])
    np.testing.assert_allclose(P.max_pool1d(t64(x[0]), 3, 2, 1, ceil_mode=True).numpy(), y.numpy()[0])
    a = P.avg_pool1d(t64(x), 2, 1, 1)
    np.testing.assert_allclose(a.numpy(), avg_pool2d_reference(x[:, :, None], (1, 2), (1, 1), (0, 1))[:, :, 0])
    check_grads(lambda x: P.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [x], order=1)
    check_grads(lambda x: P.max_pool1d(x, 2, dilation=2), [x], order=1)
    z = distinct(3, 6, 5)
    np.testing.assert_allclose(P.max_pool2d(t64(z), 2).numpy(), P.max_pool2d(t64(z[None]), 2).numpy()[0])


def test_layers_compute_their_functions():
    x = t64(distinct(2, 3, 6, 7))
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1)(x).numpy(), P.max_pool2d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(nn.AvgPool2d(2, ceil_mode=True)(x).numpy(),
                                  P.avg_pool2d(x, 2, ceil_mode=True).numpy())
    np.testing.assert_array_equal(nn.AdaptiveAvgPool2d(3)(x).numpy(), P.adaptive_avg_pool2d(x, 3).numpy())
    s = t64(distinct(2, 3, 8))
    np.testing.assert_array_equal(nn.MaxPool1d(2)(s).numpy(), P.max_pool1d(s, 2).numpy())
    np.testing.assert_array_equal(nn.AvgPool1d(3, 1)(s).numpy(), P.avg_pool1d(s, 3, 1).numpy())
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.dtype.kind == "i" and y.shape == idx.shape == (2, 3, 3, 3)
    assert list(nn.MaxPool2d(2).parameters()) == []
    assert "kernel_size=3" in repr(nn.MaxPool2d(3, 2, 1))


# ----------------------------------------------------------------------------- conventions
def test_ties_send_the_gradient_to_the_first_maximum():
    x = t64(np.zeros((1, 1, 4, 4)), requires_grad=True)
    P.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1.0                     # the top-left element of each window
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_overlapping_windows_add_their_gradients():
    x = t64([[[[0.0, 5.0, 1.0, 0.0]]]], requires_grad=True)
    P.max_pool2d(x, (1, 2), stride=1).sum().backward()       # windows [0,5], [5,1], [1,0]: 5 wins twice
    np.testing.assert_array_equal(x.grad.numpy()[0, 0, 0], [0.0, 2.0, 1.0, 0.0])


def test_nan_is_the_maximum_and_minus_infinity_windows_point_inside_the_image():
    x = np.array([[[[1.0, np.nan, 3.0, 2.0]]]])
    assert np.isnan(P.max_pool2d(t64(x), (1, 2)).numpy()[0, 0, 0, 0])
    _, idx = P.max_pool2d(t64(np.full((1, 1, 4, 4), -np.inf)), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[0, 1], [4, 5]])


def test_float32_stays_float32():
    x = cr.tensor(RNG.standard_normal((1, 2, 4, 4)).astype(np.float32))
    for y in (P.max_pool2d(x, 2), P.avg_pool2d(x, 2), P.adaptive_avg_pool2d(x, 3)):
        assert y.dtype == np.float32


# ----------------------------------------------------------------------------- errors
def test_errors():
    x = t64(np.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="padding should be at most half of the effective kernel size"):
        P.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="padding should be at most half"):
        P.avg_pool2d(x, 3, padding=2)
    with pytest.raises(ShapeError, match=r"max_pool2d: expected input of shape \(N×C×H×W\) or \(C×H×W\), got \(5×5\)"):
        P.max_pool2d(t64(np.ones((5, 5))), 2)
    with pytest.raises(ShapeError, match=r"larger than the padded input \(1×2×5×5\)"):
        P.max_pool2d(x, 6)
    with pytest.raises(ValueError, match="stride must be ≥ 1"):
        P.avg_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        P.max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match="divisor_override must be nonzero"):
        P.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ShapeError, match=r"MaxPool1d\(kernel_size=2.*\): expected input of shape \(N×C×W\)"):
        nn.MaxPool1d(2)(x)
    with pytest.raises(ShapeError, match=r"adaptive_avg_pool2d: expected input"):
        P.adaptive_avg_pool2d(t64(np.ones(5)), 2)


# ----------------------------------------------------------------------------- PyTorch
POOL_CASES = [
    ("max_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (2, 3, 10, 9), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 3))),
    ("max_pool2d", (3, 10, 9), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ("max_pool1d", (2, 3, 11), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool1d", (3, 11), dict(kernel_size=2, dilation=2)),
    ("avg_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", (2, 3, 9, 8), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), divisor_override=5)),
    ("avg_pool2d", (3, 7, 7), dict(kernel_size=2, stride=1)),
    ("avg_pool1d", (2, 3, 11), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_pool2d", (2, 3, 9, 7), dict(output_size=(4, 3))),
    ("adaptive_avg_pool2d", (3, 9, 7), dict(output_size=(None, 5))),
    ("adaptive_avg_pool2d", (2, 3, 5, 7), dict(output_size=8)),
]


@pytest.mark.parametrize("name, shape, kwargs", POOL_CASES, ids=[f"{n}-{k}" for n, _, k in POOL_CASES])
def test_functions_match_torch(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    x = distinct(*shape)
    X = torch.tensor(x, requires_grad=True)
    Y = getattr(torch.nn.functional, name)(X, **kwargs)
    g = RNG.standard_normal(tuple(Y.shape))
    Y.backward(torch.tensor(g))
    xt = t64(x, requires_grad=True)
    y = getattr(P, name)(xt, **kwargs)
    y.backward(t64(g))
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), atol=1e-12)


def test_indices_and_ties_match_torch():
    torch = pytest.importorskip("torch")
    x = np.round(RNG.standard_normal((2, 2, 7, 7)))          # many ties
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)):
        X = torch.tensor(x, requires_grad=True)
        Y, I = torch.nn.functional.max_pool2d(X, return_indices=True, **kwargs)
        Y.sum().backward()
        xt = t64(x, requires_grad=True)
        y, idx = P.max_pool2d(xt, return_indices=True, **kwargs)
        y.sum().backward()
        np.testing.assert_array_equal(idx.numpy(), I.numpy())
        np.testing.assert_array_equal(xt.grad.numpy(), X.grad.numpy())


def test_layers_match_torch():
    torch = pytest.importorskip("torch")
    x = distinct(2, 3, 9, 8)
    for ours, theirs in [(nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
                         (nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                          torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
                         (nn.AdaptiveAvgPool2d((3, 5)), torch.nn.AdaptiveAvgPool2d((3, 5)))]:
        np.testing.assert_allclose(ours(t64(x)).numpy(), theirs(torch.tensor(x)).numpy(), atol=1e-12)
    s = distinct(2, 3, 10)
    for ours, theirs in [(nn.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1)),
                         (nn.AvgPool1d(4, 3, 2, ceil_mode=True), torch.nn.AvgPool1d(4, 3, 2, ceil_mode=True))]:
        np.testing.assert_allclose(ours(t64(s)).numpy(), theirs(torch.tensor(s)).numpy(), atol=1e-12)
