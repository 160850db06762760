"""``cr.detect_kinks()``: a warning when a derivative is taken exactly at a kink or a tie.

The derivative of a piecewise function does not exist at its kinks; chainrule takes a
documented convention there (``ops/piecewise.py``).  In this mode every such evaluation
says so, in reverse and forward mode and in nested transforms, and never otherwise.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr


def leaf(values):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("f, args, op, count", [
    (lambda x: cr.relu(x).sum(), ([-1.0, 0.0, 2.0, 0.0],), "relu", "2 of 4"),
    (lambda x: cr.abs(x).sum(), ([0.0, 1.0],), "abs", "1 of 2"),
    (lambda x, y: cr.maximum(x, y).sum(), ([1.0, 2.0], [1.0, 3.0]), "maximum", "1 of 2"),
    (lambda x, y: cr.minimum(x, y).sum(), ([1.0, 2.0], [1.0, 2.0]), "minimum", "2 of 2"),
    (lambda x: cr.clip(x, 0.0, 1.0).sum(), ([0.0, 0.5, 1.0],), "clip", "2 of 3"),
    (lambda x: cr.max(x, axis=1).sum(), ([[1.0, 3.0, 3.0], [1.0, 2.0, 0.0]],), "max", "1 of 2"),
    (lambda x: cr.min(x), ([2.0, 2.0],), "min", "1 of 1"),
])
def test_reverse_mode_at_a_kink_warns_with_the_convention(f, args, op, count):
    tensors = [leaf(a) for a in args]
    with cr.detect_kinks(), pytest.warns(cr.KinkWarning) as record:
        f(*tensors).backward()
    messages = [str(w.message) for w in record if issubclass(w.category, cr.KinkWarning)]
    assert len(messages) == 1
    assert messages[0].startswith(f"{op}: derivative taken at a kink")
    assert f"at {count} point(s)" in messages[0]
    assert messages[0].endswith(cr.autodiff.REGISTRY[op].formulas["convention"])


def test_away_from_kinks_nothing_is_said():
    x = leaf([-1.0, 0.5, 2.0])
    with cr.detect_kinks(), warnings.catch_warnings():
        warnings.simplefilter("error")
        (cr.relu(x) + cr.abs(x) + cr.clip(x, -3.0, 3.0)).sum().backward()
        cr.max(x).backward()


def test_outside_the_mode_nothing_is_said():
    x = leaf([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])      # the convention, relu'(0) = 0


def test_forward_mode_and_transforms():
    with cr.detect_kinks(), pytest.warns(cr.KinkWarning, match="abs: derivative taken at a kink, x = 0"):
        cr.jvp(cr.abs, (cr.tensor([0.0, 1.0]),), (cr.tensor([1.0, 1.0]),))
    with cr.detect_kinks(), pytest.warns(cr.KinkWarning, match="relu"):
        cr.grad(lambda v: cr.relu(v).sum())(np.array([0.0, 1.0]))
    with cr.detect_kinks(), pytest.warns(cr.KinkWarning, match="maximum"):
        cr.hessian(lambda v: (cr.maximum(v, 1.0) ** 2).sum())(np.array([1.0, 2.0]))


def test_only_the_backward_needs_to_run_in_the_mode():
    x = leaf([0.0])
    y = cr.relu(x).sum()
    with cr.detect_kinks(), pytest.warns(cr.KinkWarning, match="relu"):
        y.backward()


def test_inside_vmap_values_are_not_at_hand_and_nothing_fails():
    xs = np.array([[0.0, 1.0], [2.0, 3.0]])
    with cr.detect_kinks():
        out = cr.vmap(cr.grad(lambda v: cr.relu(v).sum()))(xs)
    np.testing.assert_array_equal(out.numpy(), [[0.0, 1.0], [1.0, 1.0]])


def test_the_warning_can_be_an_error_and_the_mode_restores():
    x = leaf([0.0])
    with cr.detect_kinks(), warnings.catch_warnings():
        warnings.simplefilter("error", cr.KinkWarning)
        with pytest.raises(cr.KinkWarning):
            cr.relu(x).sum().backward()
    assert not cr.autodiff.engine.state.kinks and not cr.autodiff.engine.state.hooks
