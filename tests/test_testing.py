"""chainrule.testing: gradient checks that pass on correct derivatives, fail on wrong ones,
and explain the failure (which derivative, argument, output element, and the first
primitive whose own rule is wrong).

The wrong primitives below are declared by the tests themselves, each under a fresh name
(the registry rejects duplicates), exactly as a user would declare their own op.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff.engine import state
from chainrule.autodiff.primitive import elementwise, primitive
from chainrule.backend import xp
from chainrule.specs import run_spec
from chainrule.tensor import Tensor
from chainrule.testing import (GradientCheckError, OpSpec, PrecisionWarning, check_grads, gradcheck,
                               gradgradcheck, numerical_jvp)

RNG = np.random.default_rng(3)
_names = itertools.count()


def fresh(name):
    """A primitive name no other test (or a second run of this one) has registered."""
    return f"test_testing_{name}_{next(_names)}"


def wrong_tanh():
    """tanh whose partial forgets the square: 1 - y instead of 1 - y²."""
    op = elementwise(lambda x: xp(x).tanh(x), name=fresh("wrong_tanh"))
    return op.partials(lambda out, x: 1.0 - out)


def numpy_sin():
    """sin whose partial is computed with NumPy: right first derivative, wrong (zero) second."""
    op = elementwise(lambda x: xp(x).sin(x), name=fresh("numpy_sin"))
    return op.partials(lambda out, x: Tensor._wrap(np.cos(x.detach().numpy())))


def wrong_vjp_square():
    """x² whose forward-mode rule is right and whose reverse-mode rule is 3x instead of 2x."""
    op = primitive(lambda x: x * x, name=fresh("wrong_vjp_square"), elementwise_op=True)
    op.defjvp(lambda dx, out, x: 2.0 * x * dx)
    return op.defvjp(lambda g, out, x: 3.0 * x * g)


# ----------------------------------------------------------------------------- check_grads passes
@pytest.mark.parametrize("f, shapes", [
    (lambda x: cr.tanh(x), [(3, 2)]),
    (lambda x, w: cr.sin(x @ w) * cr.exp(-x.sum()), [(2, 3), (3, 4)]),
    (lambda x, y: cr.logaddexp(x, y) / (1.0 + y * y), [(3, 1), (1, 4)]),
    (lambda x: cr.sigmoid(x) ** 3, [()]),
])
def test_check_grads_passes_on_correct_functions(f, shapes):
    args = [RNG.standard_normal(s) for s in shapes]
    report = check_grads(f, args, order=2)
    assert set(report) >= {"fwd", "rev", "fwd_rev", "fwd2", "rev2"}
    assert max(report.values()) < 1e-6


def test_check_grads_order_one_has_no_second_order_keys_and_order_three_works():
    x = RNG.standard_normal(3)
    assert "fwd2" not in check_grads(cr.tanh, [x], order=1)
    report = check_grads(lambda x: cr.exp(cr.sin(x)), [x], order=3)
    assert report["fwd2"] < 1e-6 and report["rev2"] < 1e-6


def test_check_grads_accepts_pytrees_of_arguments_and_outputs():
    params = {"W": RNG.standard_normal((3, 2)), "b": [RNG.standard_normal(2)]}

    def f(params, x):
        h = x @ params["W"] + params["b"][0]
        return {"y": cr.tanh(h), "norm": (params["W"] ** 2).sum()}

    report = check_grads(f, [params, RNG.standard_normal((4, 3))])
    assert report["rev"] < 1e-6 and report["rev2"] < 1e-6


def test_check_grads_holds_non_float_arguments_fixed():
    # an integer index and a boolean mask are passed through, not differentiated
    def f(x, index, mask):
        return cr.where(mask, x[index], 0.0)

    report = check_grads(f, [RNG.standard_normal(5), np.array([4, 0, 2]), np.array([True, False, True])])
    assert report["fwd"] < 1e-8


def test_check_grads_argnums_restricts_what_is_differentiated():
    bad = wrong_tanh()
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    check_grads(lambda x, y: x * bad(y), [x, y], argnums=(0,))        # y's wrong rule is never used
    with pytest.raises(GradientCheckError):
        check_grads(lambda x, y: x * bad(y), [x, y], argnums=(1,))


def test_check_grads_converts_float32_inputs_to_float64():
    x = cr.tensor(RNG.standard_normal(4).astype(np.float32))
    assert check_grads(lambda x: cr.tanh(x) ** 3, [x])["fwd"] < 1e-8


def test_check_grads_widens_the_step_for_a_float32_computation():
    # a cast to float32 inside f rounds every perturbation of 1e-6; the step is widened
    x = RNG.uniform(-0.01, 0.01, 4)
    report = check_grads(lambda x: cr.astype(x, np.float32) * 2.0, [x], rtol=1e-4, atol=1e-5)
    assert report["fwd"] < 1e-5


def test_check_grads_restores_the_tracer():
    bad = wrong_tanh()
    with pytest.raises(GradientCheckError):
        check_grads(bad, [RNG.standard_normal(3)])
    assert state.tracer is None


def test_check_grads_rejects_unknown_modes():
    with pytest.raises(ValueError, match="modes"):
        check_grads(cr.sin, [np.ones(2)], modes=("backward",))


# ----------------------------------------------------------------------------- check_grads explains failures
def test_a_wrong_rule_is_named_with_its_input_shape_and_error():
    bad = wrong_tanh()
    x, w = RNG.standard_normal((3, 2)), RNG.standard_normal((2, 2))

    def f(x, w):
        return cr.sin(x @ w) + bad(x)

    with pytest.raises(GradientCheckError) as info:
        check_grads(f, [x, w], order=1, modes=("rev",))
    e = info.value
    message = str(e)
    assert e.rule == bad.name
    assert f"the first wrong rule is '{bad.name}' (applied to an input of shape (3×2)): its VJP differs" in message
    assert e.derivative == "vjp(f)" and message.startswith("vjp(f): reverse mode")
    # the worst entry is on the diagonal of d bad(x) / d x: output[i, j] against argument 0[i, j]
    assert e.argument == "argument 0" and e.output == "output"
    assert e.output_index == e.argument_index
    assert "worst entry: ∂ output[" in message and "absolute error" in message and "relative" in message
    # the error of the rule itself: |(1 - y) - (1 - y²)| = |y - y²| at the worst element
    y = np.tanh(x)
    assert e.rel_err > 1e-3 and e.abs_err == pytest.approx(np.abs(y - y * y)[e.argument_index], rel=1e-4)


def test_forward_mode_failure_names_the_jvp():
    bad = wrong_tanh()
    with pytest.raises(GradientCheckError, match=r"(?s)^jvp\(f\): forward mode .*its JVP differs") as info:
        check_grads(lambda x: cr.exp(bad(x)), [RNG.standard_normal(4)], modes=("fwd",))
    assert info.value.rule == bad.name


def test_the_first_of_two_wrong_rules_is_named():
    first, second = wrong_tanh(), wrong_tanh()
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: second(first(x) * 2.0), [RNG.standard_normal(3)])
    assert info.value.rule == first.name
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: first(cr.sin(second(x))), [RNG.standard_normal(3)])
    assert info.value.rule == second.name


def test_a_rule_not_written_in_chainrule_ops_fails_at_second_order_and_is_explained():
    bad = numpy_sin()
    x = RNG.standard_normal(4)
    check_grads(lambda x: cr.exp(x) * bad(x), [x], order=1)           # first order is right
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: cr.exp(x) * bad(x), [x], order=2)
    e = info.value
    assert e.derivative in ("jvp(jvp(f))", "vjp(jvp(f))", "jvp(vjp(f))", "vjp(vjp(f))")
    assert e.rule == bad.name
    assert "its second derivative" in str(e) and "first derivatives are right" in str(e)
    assert "NumPy" in str(e)


def test_second_order_failure_names_tangent_arguments():
    bad = numpy_sin()
    with pytest.raises(GradientCheckError) as info:
        check_grads(bad, [RNG.standard_normal(3)], order=2, modes=("fwd",))
    e = info.value
    assert e.derivative == "jvp(jvp(f))"
    assert e.output == "tangent of output"
    assert e.argument in ("argument 0", "tangent of argument 0")


def test_wrong_rule_inside_a_pytree_names_the_path():
    bad = wrong_tanh()

    def f(params, x):
        return bad(params["W"]).sum() * x + params["b"]

    params = {"b": RNG.standard_normal(2), "W": RNG.standard_normal((2, 2))}
    with pytest.raises(GradientCheckError) as info:
        check_grads(f, [params, RNG.standard_normal(2)], order=1)
    assert info.value.argument == "argument 0['W']"
    assert "∂ output[" in str(info.value) and "argument 0['W'][" in str(info.value)


def test_forward_and_reverse_mode_must_agree_with_each_other():
    # the reverse rule is off by one part in a million: within the central-difference tolerance,
    # but the two modes are exact up to rounding and must agree far more closely
    op = primitive(lambda x: x * 1.0, name=fresh("skewed_identity"), elementwise_op=True)
    op.defjvp(lambda dx, out, x: dx)
    op.defvjp(lambda g, out, x: g * (1.0 + 1e-6))
    x = RNG.standard_normal(5)
    check_grads(lambda x: cr.exp(op(x)), [x], order=1, modes=("fwd",))
    check_grads(lambda x: cr.exp(op(x)), [x], order=1, modes=("rev",))
    with pytest.raises(GradientCheckError, match="forward and reverse mode disagree") as info:
        check_grads(lambda x: cr.exp(op(x)), [x], order=1)
    assert info.value.rule == op.name
    assert "its JVP and VJP disagree with each other" in str(info.value)


def test_reverse_only_error_found_by_the_adjoint_identity():
    op = wrong_vjp_square()
    x = RNG.standard_normal(3)
    check_grads(lambda x: cr.sin(op(x)), [x], modes=("fwd",), order=1)
    with pytest.raises(GradientCheckError, match=r"^vjp\(f\)") as info:
        check_grads(lambda x: cr.sin(op(x)), [x], order=1)
    assert info.value.rule == op.name and "its VJP differs" in str(info.value)


def test_large_problems_are_localized_per_argument():
    bad = wrong_tanh()
    x, y = RNG.standard_normal((30, 30)), RNG.standard_normal(3)
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x, y: bad(x).sum() * y, [x, y], order=1, modes=("fwd",))
    assert "worst argument: argument 0" in str(info.value)
    assert info.value.rule == bad.name


def test_a_wrong_derivative_with_no_wrong_rule_says_so():
    # stop_gradient makes f's derivative differ from its finite differences on purpose:
    # no primitive is at fault, and the message does not blame one
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: x * cr.stop_gradient(x), [RNG.standard_normal(3)], order=1)
    assert info.value.rule is None
    assert "no primitive's own rule disagrees" in str(info.value)


def test_a_convention_at_a_kink_is_not_blamed_as_a_wrong_rule():
    # relu'(0) = 0 by convention; central differences see 1/2.  The check fails (it must: the
    # point is not differentiable), but relu's rule is reported as at a kink, not as wrong.
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: cr.relu(x) * 2.0, [np.array([0.0, 1.0, -1.0])], order=1)
    assert info.value.rule is None
    assert "'relu' received an input at a kink" in str(info.value)
    assert info.value.argument_index == (0,)


def test_a_wrong_custom_vjp_is_named():
    @cr.custom_vjp
    def square(x):
        return x * x

    square.defvjp(lambda x: (x * x, x), lambda x, g: (3.0 * x * g,))
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: cr.sin(square(x)), [RNG.standard_normal(3)], order=1, modes=("rev",))
    assert info.value.rule == "custom_vjp:square"


# ----------------------------------------------------------------------------- gradcheck / gradgradcheck
def t64(shape):
    return cr.tensor(RNG.standard_normal(shape))


def test_gradcheck_passes_on_correct_functions_of_several_inputs_and_outputs():
    assert gradcheck(cr.tanh, t64((3,)))
    assert gradcheck(lambda x, w: (cr.sin(x @ w), (x * x).sum()), (t64((2, 3)), t64((3, 2))))


def test_gradcheck_raises_on_a_wrong_function_and_names_the_entry():
    bad = wrong_tanh()
    x = t64((2, 2))
    with pytest.raises(GradientCheckError) as info:
        gradcheck(lambda x, y: (x * y, bad(y)), (t64((2, 2)), x))
    e = info.value
    assert "Jacobian mismatch" in str(e) and "output[1]" in str(e) and "input 1" in str(e)
    assert e.output == "output[1]" and e.argument == "input 1"
    assert e.rule == bad.name


def test_gradcheck_returns_false_without_raise_exception():
    bad = wrong_tanh()
    assert gradcheck(bad, t64((3,)), raise_exception=False) is False
    assert gradcheck(cr.tanh, t64((3,)), raise_exception=False) is True


def test_gradcheck_checks_both_modes_and_their_agreement():
    op = wrong_vjp_square()
    x = t64((3,))
    assert gradcheck(op, x, check_backward_ad=False)
    with pytest.raises(GradientCheckError, match="reverse mode"):
        gradcheck(op, x, check_forward_ad=False)


def test_gradcheck_differentiates_only_inputs_that_require_grad_when_some_do():
    bad = wrong_tanh()
    x = cr.tensor(RNG.standard_normal(3), requires_grad=True)
    y = cr.tensor(RNG.standard_normal(3))
    assert gradcheck(lambda x, y: x * bad(y), (x, y))           # y is held fixed, as in PyTorch
    with pytest.raises(GradientCheckError):
        gradcheck(lambda x, y: x * bad(y), (x.detach(), y))     # none requires grad: all floats


def test_gradcheck_warns_on_float32_and_explains_the_failure():
    x = cr.tensor(RNG.standard_normal(4).astype(np.float32))
    with pytest.warns(PrecisionWarning, match="float32"):
        with pytest.raises(GradientCheckError) as info:
            gradcheck(lambda x: cr.tanh(x) ** 3, x)
    message = str(info.value)
    assert "input 0 is not float64" in message
    assert "every primitive's own rule agrees" in message
    # the same function passes in float64, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda x: cr.tanh(x) ** 3, x.astype(np.float64))


def test_gradgradcheck_passes_on_correct_functions():
    assert gradgradcheck(lambda x: cr.tanh(x) * cr.exp(x), t64((3,)))
    x, y = t64((2, 3)), t64((3,))
    assert gradgradcheck(lambda x, y: (cr.sin(x * y), (x ** 2).sum()), (x, y))
    assert gradgradcheck(lambda x: cr.sin(x) ** 2, x, grad_outputs=t64((2, 3)))


def test_gradgradcheck_finds_a_rule_that_is_not_differentiable():
    bad = numpy_sin()
    x = t64((3,))
    assert gradcheck(lambda x: cr.exp(x) * bad(x), x)
    with pytest.raises(GradientCheckError) as info:
        gradgradcheck(lambda x: cr.exp(x) * bad(x), x)
    assert "gradient of input 0" in str(info.value)
    assert info.value.rule == bad.name


def test_gradgradcheck_checks_grad_outputs_count():
    with pytest.raises(ValueError, match="grad_outputs"):
        gradgradcheck(lambda x: (x, x), t64((2,)), grad_outputs=t64((2,)))


# ----------------------------------------------------------------------------- numerical_jvp and OpSpec
def test_numerical_jvp_matches_the_derivative():
    x, v = RNG.standard_normal(5), RNG.standard_normal(5)
    np.testing.assert_allclose(numerical_jvp(cr.sin, [x], [v]), np.cos(x) * v, rtol=1e-8)
    y = RNG.standard_normal(5)
    np.testing.assert_allclose(numerical_jvp(cr.multiply, [x, y], [v, None]), y * v, rtol=1e-8)


def test_opspec_is_reexported_for_users_own_ops():
    import chainrule.specs
    assert OpSpec is chainrule.specs.OpSpec
    op = elementwise(lambda x: xp(x).sinh(x), name=fresh("my_sinh"))
    op.partials(lambda out, x: cr.cosh(x))
    spec = OpSpec(op.name, op, [lambda rng, s: rng.standard_normal(s)], [((),), ((3, 2),)], np.sinh)
    result = run_spec(spec)
    assert result.ok, result.failure
    wrong = elementwise(lambda x: xp(x).sinh(x), name=fresh("my_wrong_sinh"))
    wrong.partials(lambda out, x: cr.sinh(x))
    result = run_spec(OpSpec(wrong.name, wrong, [lambda rng, s: rng.standard_normal(s)], [((3,),)], np.sinh))
    assert not result.ok and f"the first wrong rule is '{wrong.name}'" in result.failure
