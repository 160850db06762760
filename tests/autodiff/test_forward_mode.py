"""``cr.jvp`` is true forward mode (issue 2, §4): the tangent travels with the value,
``f`` is evaluated once, and no reverse pass runs.  Also: pytrees, validation, linearity.

The probes are primitives built for this file (not registered in the catalogue):
one with only a JVP rule, and one whose rules count how often they run.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff import tape, transforms
from chainrule.autodiff.batching import elementwise_batch
from chainrule.autodiff.primitive import Primitive

X = np.array([0.5, -1.0, 2.0])


def make_cube(with_vjp: bool):
    """x³ with counters on its forward body and its rules."""
    counts = {"impl": 0, "jvp": 0, "vjp": 0}

    def impl(x):
        counts["impl"] += 1
        return x * x * x

    prim = Primitive(impl, "test_cube", register=False)

    def jvp_rule(dx, out, x):
        counts["jvp"] += 1
        return dx * 3 * x * x

    def vjp_rule(g, out, x):
        counts["vjp"] += 1
        return g * 3 * x * x

    prim.defjvp(jvp_rule)
    if with_vjp:
        prim.defvjp(vjp_rule)
    prim.defbatch(elementwise_batch(prim))
    return prim, counts


@pytest.fixture
def no_reverse_pass(monkeypatch):
    """Make any reverse pass fail loudly."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a reverse pass ran during forward mode")
    monkeypatch.setattr(tape, "reverse_pass", forbidden)
    monkeypatch.setattr(transforms, "reverse_pass", forbidden)


class TestTrueForwardMode:
    def test_primitive_with_only_a_jvp_rule(self, no_reverse_pass):
        cube, counts = make_cube(with_vjp=False)
        y, t = cr.jvp(cube, (cr.tensor(X),), (cr.tensor(np.array([1.0, 2.0, -1.0])),))
        np.testing.assert_allclose(y.numpy(), X ** 3)
        np.testing.assert_allclose(t.numpy(), 3 * X ** 2 * np.array([1.0, 2.0, -1.0]))
        assert counts["impl"] == 1 and counts["jvp"] == 1

    def test_f_is_evaluated_once_and_no_vjp_rule_runs(self, no_reverse_pass):
        cube, counts = make_cube(with_vjp=True)
        y, t = cr.jvp(lambda x: cr.sin(cube(x)).sum(), (cr.tensor(X),), (cr.tensor(np.ones(3)),))
        assert y.item() == pytest.approx(np.sin(X ** 3).sum())
        assert t.item() == pytest.approx((np.cos(X ** 3) * 3 * X ** 2).sum())
        assert counts == {"impl": 1, "jvp": 1, "vjp": 0}

    def test_jacfwd_is_one_batched_forward_pass(self, no_reverse_pass):
        cube, counts = make_cube(with_vjp=False)
        x = np.linspace(-1, 1, 50)
        J = cr.jacfwd(cube)(cr.tensor(x))
        np.testing.assert_allclose(J.numpy(), np.diag(3 * x ** 2))
        assert counts["impl"] == 1, "the primal is computed once, not once per column"
        assert counts["jvp"] == 1, "all 50 tangents go through the rule together"

    def test_jvp_of_jvp_uses_only_forward_rules(self, no_reverse_pass):
        cube, counts = make_cube(with_vjp=False)

        def d(f):
            return lambda x: cr.jvp(f, (x,), (cr.ones_like(x),))[1]

        second = d(d(cube))(cr.tensor(X))
        np.testing.assert_allclose(second.numpy(), 6 * X)
        assert counts["vjp"] == 0

    def test_reverse_mode_of_a_forward_only_primitive_says_so(self):
        cube, _ = make_cube(with_vjp=False)
        # A differentiable primitive with no VJP rule at all cannot be differentiated in
        # reverse mode; treating it as a constant would be a silent wrong answer
        # (here 1 instead of 3x² + 1).
        with pytest.raises((cr.GraphError, NotImplementedError), match="test_cube"):
            cr.grad(lambda x: (cube(x) + x).sum())(cr.tensor(X))


    def test_backward_through_a_forward_only_primitive_says_so(self):
        cube, _ = make_cube(with_vjp=False)
        x = cr.tensor(X, requires_grad=True)
        with pytest.raises((cr.GraphError, NotImplementedError), match="test_cube"):
            (cube(x) + x).sum().backward()


class TestJvpSemantics:
    def test_values_and_tangents(self):
        y, t = cr.jvp(lambda a, b: cr.exp(a) * b, (cr.tensor(X), cr.tensor(X + 1)),
                      (cr.tensor(np.ones(3)), cr.tensor(np.zeros(3))))
        np.testing.assert_allclose(y.numpy(), np.exp(X) * (X + 1))
        np.testing.assert_allclose(t.numpy(), np.exp(X) * (X + 1))

    def test_linear_in_the_tangent(self):
        f = lambda x: cr.tanh(x) * x.sum()
        v = np.array([1.0, -2.0, 0.5])
        _, t1 = cr.jvp(f, (cr.tensor(X),), (cr.tensor(v),))
        _, t3 = cr.jvp(f, (cr.tensor(X),), (cr.tensor(3 * v),))
        np.testing.assert_allclose(t3.numpy(), 3 * t1.numpy(), rtol=1e-12)

    def test_python_float_primals(self):
        y, t = cr.jvp(lambda x: x ** 3, (2.0,), (1.0,))
        assert y.item() == pytest.approx(8.0) and t.item() == pytest.approx(12.0)

    def test_pytree_primals_and_outputs(self):
        primals = ({"w": cr.tensor(X), "b": [2.0]},)
        tangents = ({"w": cr.tensor(np.ones(3)), "b": [0.5]},)
        y, t = cr.jvp(lambda p: {"s": (p["w"] * p["b"][0]).sum(), "w2": p["w"] * 2}, primals, tangents)
        assert y["s"].item() == pytest.approx(2 * X.sum())
        assert t["s"].item() == pytest.approx(2 * 3 + 0.5 * X.sum())
        np.testing.assert_allclose(t["w2"].numpy(), np.full(3, 2.0))

    def test_output_not_depending_on_input_has_zero_tangent(self):
        y, t = cr.jvp(lambda x: cr.tensor(np.ones(2)), (cr.tensor(X),), (cr.tensor(np.ones(3)),))
        np.testing.assert_array_equal(t.numpy(), np.zeros(2))

    def test_tangent_dtype_follows_the_primal(self):
        _, t = cr.jvp(lambda x: x * 2, (cr.tensor(X),), (cr.tensor(np.ones(3, np.float32)),))
        assert t.dtype == np.float64

    def test_results_live_outside_the_transform(self):
        y, t = cr.jvp(lambda x: x * x, (cr.tensor(X),), (cr.tensor(np.ones(3)),))
        assert y._level is None and t._level is None

    def test_tangent_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"tangent of shape \(2\) for a primal of shape \(3\)"):
            cr.jvp(lambda x: x, (cr.tensor(X),), (cr.tensor(np.ones(2)),))

    def test_primals_must_be_tuples(self):
        with pytest.raises(TypeError, match="tuples"):
            cr.jvp(lambda x: x, cr.tensor(X), cr.tensor(X))
        with pytest.raises(ValueError, match="1 primals but 2 tangents"):
            cr.jvp(lambda x: x, (cr.tensor(X),), (cr.tensor(X), cr.tensor(X)))

    def test_jvp_inside_no_grad(self):
        with cr.no_grad():
            _, t = cr.jvp(cr.sin, (cr.tensor(X),), (cr.tensor(np.ones(3)),))
        np.testing.assert_allclose(t.numpy(), np.cos(X))

    def test_jvp_of_a_requires_grad_tensor_is_differentiable_by_backward(self):
        x = cr.tensor(X, requires_grad=True)
        _, t = cr.jvp(cr.sin, (x,), (cr.tensor(np.ones(3)),))        # t = cos x
        t.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), -np.sin(X))
