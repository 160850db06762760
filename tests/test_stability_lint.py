"""``cr.testing.lint_stability``: unstable compositions and the values at which operations break.

Each composition of the module's table must be found, named and given its stable form;
the stable forms themselves must pass clean; value findings must count the entries.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr

lint = cr.testing.lint_stability
F32 = np.float32


@pytest.mark.parametrize("f, pattern", [
    (lambda z: cr.log(cr.softmax(z)).sum(), "log(softmax)"),
    (lambda z: cr.log(cr.nn.functional.softmax(z, dim=0)).sum(), "log(softmax)"),
    (lambda z: cr.log(cr.sum(cr.exp(z))), "log(sum(exp))"),
    (lambda x: cr.log(1 + x).sum(), "log(1 + x)"),
    (lambda x: cr.log(x + 1.0).sum(), "log(1 + x)"),
    (lambda x: (cr.exp(x) - 1).sum(), "exp(x) - 1"),
    (lambda z: cr.log(cr.sigmoid(z)).sum(), "log(sigmoid)"),
    (lambda z: cr.log(1 - cr.sigmoid(z)).sum(), "log(1 - sigmoid)"),
    (lambda x: cr.sqrt(cr.sum(x ** 2)), "sqrt(sum(x**2))"),
    (lambda x: cr.sqrt((x * x).sum()), "sqrt(sum(x**2))"),
    (lambda x: cr.sqrt(cr.square(x).sum()), "sqrt(sum(x**2))"),
])
def test_each_unstable_composition_is_found(f, pattern):
    report = lint(f, np.array([0.3, -0.2, 0.5]))
    compositions = [finding for finding in report if finding.kind == "composition"]
    assert len(compositions) == 1
    assert compositions[0].problem == f"{pattern} is unstable"
    assert compositions[0].instead == cr.testing.stability.REWRITES[pattern]


@pytest.mark.parametrize("f", [
    lambda z: cr.nn.functional.log_softmax(z, dim=0).sum(),
    lambda z: cr.logsumexp(z),
    lambda x: cr.log1p(x).sum() + cr.expm1(x).sum(),
    lambda z: (-cr.softplus(-z)).sum(),
    lambda x: cr.linalg.vector_norm(x),
    lambda x: cr.log(2 + x).sum() + (cr.exp(x) - 2).sum() + cr.sqrt(cr.sum(x ** 3) + 1),   # look-alikes
])
def test_the_stable_forms_and_look_alikes_pass_clean(f):
    report = lint(f, np.array([0.3, -0.2, 0.5]))
    assert report == [] and str(report).startswith("no unstable compositions")


def test_log_softmax_of_wide_logits_names_the_composition_and_the_zeros_it_makes():
    report = lint(lambda z: cr.log(cr.softmax(z)).sum(), np.array([1.0, 2.0, 300.0], dtype=F32))
    text = str(report)
    assert "%2 = log(%1): log(softmax) is unstable; use cr.nn.functional.log_softmax" in text
    assert "%2 = log(%1): log of a number ≤ 0 at 2 of 3 entries" in text     # e^(1 - 300) rounds to 0
    assert "the first result that is not finite" in text


def test_exp_overflow_depends_on_the_dtype():
    x = np.array([1.0, 100.0])
    report32 = lint(lambda v: cr.exp(v).sum(), x.astype(F32))
    assert "exp overflows to inf at 1 of 2 entries (the largest argument is 100; float32 overflows above 88.72)" \
        in str(report32)
    assert lint(lambda v: cr.exp(v).sum(), x) == []                           # float64 holds e^100


def test_division_by_zero_and_sqrt_at_zero():
    report = lint(lambda x: (x / (x - 1)).sum(), np.array([1.0, 2.0, 3.0]))
    assert str(report).startswith("%2 = divide(x, %1): division by 0 at 1 of 3 entries")
    report = lint(lambda x: cr.sqrt(x).sum(), np.array([0.0, 4.0]))
    assert "sqrt at 0 in 1 of 2 entries: its derivative 1/(2√x) is infinite there" in str(report)


def test_only_the_first_non_finite_result_is_reported():
    report = lint(lambda x: cr.exp(cr.log(x) * 2).sum(), np.array([-1.0, 1.0]))
    assert sum("first result that is not finite" in str(f) for f in report) == 1


def test_nothing_is_warned_and_arguments_are_untouched():
    x = cr.tensor(np.array([0.0, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lint(lambda v: cr.log(v).sum(), x)
    assert not x.requires_grad and x.grad is None


def test_pytrees_and_integers_left_as_they_are():
    params = {"w": np.array([[1.0, 2.0]]), "n": 3}
    report = lint(lambda p, axis: cr.log(1 + p["w"] * p["n"]).sum(axis=axis), params, 1)
    assert [f.problem for f in report] == ["log(1 + x) is unstable"]
