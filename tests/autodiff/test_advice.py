"""``cr.advise_mode``: measured costs of jacrev, jacfwd, hessian and hvp, and a recommendation.

Times depend on the machine, so the tests check what does not: which method wins when the
counts differ by orders of magnitude, the counts and sizes reported, the extrapolation of
memory (whose cost per basis vector is exact), and the advice for a matrix too large to form.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import advice

RNG = np.random.default_rng(11)


def test_few_outputs_many_inputs_is_reverse_mode():
    A = cr.tensor(RNG.standard_normal((3, 400)))
    costs = cr.advise_mode(lambda x: cr.tanh(A @ x), RNG.standard_normal(400))
    assert (costs.n, costs.m, costs.recommended) == (400, 3, "jacrev")
    assert costs.estimates["jacrev"][0] < costs.estimates["jacfwd"][0]
    assert costs.reason.startswith("jacrev, 3 reverse passes (one per output), ≈ ")
    assert "jacfwd, 400 forward passes (one per input), ≈ " in costs.reason


def test_few_inputs_many_outputs_is_forward_mode():
    B = cr.tensor(RNG.standard_normal((400, 3)))
    costs = cr.advise_mode(lambda x: cr.tanh(B @ x), RNG.standard_normal(3))
    assert (costs.n, costs.m, costs.recommended) == (3, 400, "jacfwd")
    assert costs.estimates["jacfwd"][0] < costs.estimates["jacrev"][0]


def test_a_scalar_function_gets_its_gradient_and_the_hessian_costed():
    C = cr.tensor(RNG.standard_normal((30, 30)) / 6)
    costs = cr.advise_mode(lambda x: (cr.tanh(C @ x) ** 2).sum(), RNG.standard_normal(30))
    assert costs.recommended == "grad"
    assert set(costs.estimates) == {"f", "grad", "jvp", "hvp", "hessian"}
    assert all(seconds > 0 and nbytes >= 0 for seconds, nbytes in costs.estimates.values())
    assert "the Hessian (cr.hessian) is 30 forward-over-reverse passes" in costs.reason


def test_a_hessian_too_large_to_form_gets_products(monkeypatch):
    monkeypatch.setattr(advice, "LARGE_BYTES", 10_000)                # 40² float64 entries = 12.8 kB
    costs = cr.advise_mode(lambda x: (x ** 4).sum(), RNG.standard_normal(40))
    assert costs.recommended == "hvp"
    assert "40×40 = 12.5 kB" in costs.reason and "cr.hvp" in costs.reason


def test_argnums_picks_the_differentiated_argument():
    x = RNG.standard_normal(5)
    costs = cr.advise_mode(lambda x, A: A @ x, x, RNG.standard_normal((7, 5)), argnums=1)
    assert (costs.n, costs.m) == (35, 7)


def test_the_table():
    A = cr.tensor(RNG.standard_normal((2, 50)))
    costs = cr.advise_mode(lambda x: A @ x, RNG.standard_normal(50))
    text = str(costs)
    assert text.startswith("f: 50 input entries -> 2 output entries; the Jacobian is 2×50 (800 B)")
    for row in ("jacrev    2 reverse (one per output)", "jacfwd    50 forward (one per input)"):
        assert row in text
    assert text.splitlines()[-1] == f"use {costs.recommended}: {costs.reason}"


def test_a_near_tie_is_decided_by_the_counts(monkeypatch):
    """Estimates within the noise (TIE) of each other: fewer basis vectors wins, as in
    cr.jacobian(mode="auto"), instead of whichever measurement came out lower."""
    monkeypatch.setattr(advice, "TIE", 1e9)
    A = cr.tensor(RNG.standard_normal((2, 50)))
    costs = cr.advise_mode(lambda x: A @ x, RNG.standard_normal(50))
    assert costs.recommended == "jacrev" and "as fast as each other here" in costs.reason
    costs = cr.advise_mode(lambda x: A.mT @ x, RNG.standard_normal(2))
    assert costs.recommended == "jacfwd"


def test_memory_is_extrapolated_along_the_line_through_1_and_16():
    """A 'pass' that allocates k MiB: the cost of 64 is read off the line, 64 MiB, while only
    16 MiB were ever allocated."""
    mib = 1 << 20
    def batched(k):
        return np.ones((k, mib // 8))
    one = advice._measure(lambda: batched(1))
    seconds, nbytes = advice._scaled(batched, 64, one)
    assert seconds > 0
    assert nbytes == pytest.approx(64 * mib, rel=0.02)
    _, measured = advice._scaled(batched, 3, one)                         # small: measured outright
    assert measured == pytest.approx(3 * mib, rel=0.02)


def test_integer_arguments_cannot_be_differentiated():
    with pytest.raises(cr.DTypeError):
        cr.advise_mode(lambda x: (x * x).sum(), np.arange(3))
