"""cr.nn.init: gains, fans, the distributions each scheme draws from, seeds, in-place fills."""
from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import init


def test_gains_match_pytorch_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans():
    assert init.calculate_fan_in_and_fan_out(cr.zeros(7, 3)) == (3, 7)
    assert init.calculate_fan_in_and_fan_out(cr.zeros(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(cr.ShapeError, match="at least 2 dimensions"):
        init.kaiming_uniform_(cr.zeros(5))


@pytest.mark.parametrize("fill,low,high,std", [
    (lambda t: init.uniform_(t, -2.0, 3.0, generator=0), -2.0, 3.0, 5 / math.sqrt(12)),
    (lambda t: init.xavier_uniform_(t, gain=2.0, generator=0), -2 * math.sqrt(6 / 700), 2 * math.sqrt(6 / 700),
     2 * math.sqrt(2 / 700)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5), generator=0), -1 / math.sqrt(300), 1 / math.sqrt(300),
     1 / math.sqrt(900)),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu", generator=0),
     -math.sqrt(6 / 400), math.sqrt(6 / 400), math.sqrt(2 / 400)),
    (lambda t: init.trunc_normal_(t, mean=0.5, std=1.0, a=0.0, b=1.0, generator=0), 0.0, 1.0, None),
])
def test_bounded_schemes(fill, low, high, std):
    t = fill(cr.zeros(400, 300, dtype=cr.float64))
    values = t.numpy()
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (high - low)
    if std is not None:
        assert abs(values.std() - std) < 0.01 * std


@pytest.mark.parametrize("fill,std", [
    (lambda t: init.normal_(t, 0.0, 0.3, generator=1), 0.3),
    (lambda t: init.xavier_normal_(t, generator=1), math.sqrt(2 / 700)),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu", generator=1), math.sqrt(2 / 300)),
])
def test_normal_schemes(fill, std):
    values = fill(cr.zeros(400, 300, dtype=cr.float64)).numpy()
    assert abs(values.mean()) < 0.01 * std * 10 and abs(values.std() - std) < 0.01 * std


def test_trunc_normal_matches_the_truncated_density():
    import scipy.stats
    values = init.trunc_normal_(cr.zeros(20000, dtype=cr.float64), mean=1.0, std=2.0, a=-1.0, b=2.0,
                                generator=2).numpy()
    reference = scipy.stats.truncnorm(a=-1.0, b=0.5, loc=1.0, scale=2.0)
    assert scipy.stats.kstest(values, reference.cdf).pvalue > 1e-3


def test_constant_fills_and_orthogonal():
    t = cr.zeros(3, 4, dtype=cr.float64)
    assert np.all(init.ones_(t).numpy() == 1) and np.all(init.zeros_(t).numpy() == 0)
    assert np.all(init.constant_(t, 2.5).numpy() == 2.5)
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))
    for shape in [(5, 3), (3, 5), (4, 2, 3)]:
        q = init.orthogonal_(cr.zeros(*shape, dtype=cr.float64), gain=2.0, generator=0).numpy().reshape(shape[0], -1)
        gram = q @ q.T if shape[0] <= q.shape[1] else q.T @ q
        np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-12)


def test_fills_are_in_place_outside_the_graph_and_seeded():
    layer = nn.Linear(3, 4)
    weight = layer.weight
    out = init.normal_(layer.weight, generator=3)
    assert out is weight and weight.requires_grad and weight.is_leaf
    again = init.normal_(cr.zeros(4, 3), generator=3)
    np.testing.assert_array_equal(weight.numpy(), again.numpy())
    nn.manual_seed(11)
    first = nn.Linear(3, 4).weight.numpy().copy()
    nn.manual_seed(11)
    np.testing.assert_array_equal(nn.Linear(3, 4).weight.numpy(), first)
    rng = np.random.default_rng(0)
    a, b = init.uniform_(cr.zeros(3), generator=rng).numpy(), init.uniform_(cr.zeros(3), generator=rng).numpy()
    assert not np.array_equal(a, b)                                # a Generator advances between calls
    with pytest.raises(TypeError, match="generator"):
        init.uniform_(cr.zeros(3), generator="seed")
