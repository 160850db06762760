"""Bad input gets clear errors; values outside the support give -inf (with finite gradients)
or raise; constraints test membership; biject_to maps unconstrained space onto each set
with the right inverse and log-Jacobian; the contract that cr.stats.fit relies on.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.distributions import biject_to, constraints, transform_to
from chainrule.errors import ShapeError
from chainrule.testing import check_grads

D = cr.distributions


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


# ----------------------------------------------------------------------------- invalid parameters
@pytest.mark.parametrize("make, name, constraint", [
    (lambda: D.Normal(t64(0.0), t64([1.0, -1.0])), "scale", "positive"),
    (lambda: D.Normal(t64(np.nan), t64(1.0)), "loc", "real"),
    (lambda: D.Exponential(t64(0.0)), "rate", "positive"),
    (lambda: D.Gamma(t64(-1.0), t64(1.0)), "concentration", "positive"),
    (lambda: D.Beta(t64(1.0), t64(0.0)), "concentration0", "positive"),
    (lambda: D.Bernoulli(probs=t64(1.5)), "probs", "closed_unit_interval"),
    (lambda: D.Binomial(t64(2.5), probs=t64(0.5)), "total_count", "nonnegative_integer"),
    (lambda: D.Geometric(probs=t64(0.0)), "probs", "open_closed_interval"),
    (lambda: D.Poisson(t64(-0.1)), "rate", "nonnegative"),
    (lambda: D.Categorical(probs=t64([0.5, 0.6])), "probs", "simplex"),
    (lambda: D.Categorical(probs=t64([-0.1, 1.1])), "probs", "simplex"),
    (lambda: D.Dirichlet(t64([1.0, -2.0])), "concentration", r"independent\(positive, 1\)"),
    (lambda: D.MultivariateNormal(t64([0.0, 0.0]), covariance_matrix=t64([[1.0, 2.0], [2.0, 1.0]])),
     "covariance_matrix", "positive_definite"),
    (lambda: D.MultivariateNormal(t64([0.0, 0.0]), covariance_matrix=t64([[1.0, 0.5], [0.0, 1.0]])),
     "covariance_matrix", "positive_definite"),
    (lambda: D.MultivariateNormal(t64([0.0, 0.0]), scale_tril=t64([[1.0, 1.0], [0.0, 1.0]])),
     "scale_tril", "lower_cholesky"),
    (lambda: D.LowRankMultivariateNormal(t64([0.0, 0.0]), t64([[1.0], [1.0]]), t64([1.0, 0.0])),
     "cov_diag", r"independent\(positive, 1\)"),
    (lambda: D.StudentT(t64(-1.0)), "df", "positive"),
    (lambda: D.Weibull(t64(1.0), t64(-2.0)), "concentration", "positive"),
])
def test_invalid_parameters_raise_naming_the_parameter_and_the_constraint(make, name, constraint):
    with pytest.raises(ValueError, match=rf"parameter {name} must satisfy constraints\.{constraint}.*; got "):
        make()


def test_dependent_parameters_and_construction_errors():
    with pytest.raises(ValueError, match="Uniform: the bounds must satisfy low < high"):
        D.Uniform(t64(1.0), t64(1.0))
    with pytest.raises(ValueError, match="TruncatedNormal: the bounds must satisfy low < high"):
        D.TruncatedNormal(t64(0.0), t64(1.0), t64(2.0), t64(1.0))
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        D.Bernoulli(probs=t64(0.5), logits=t64(0.0))
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        D.Categorical()
    with pytest.raises(ValueError, match="exactly one of covariance_matrix, precision_matrix or scale_tril"):
        D.MultivariateNormal(t64([0.0]), covariance_matrix=t64([[1.0]]), scale_tril=t64([[1.0]]))
    with pytest.raises(ShapeError, match=r"covariance_matrix must be a stack of 2×2 matrices"):
        D.MultivariateNormal(t64([0.0, 0.0]), covariance_matrix=t64(np.eye(3)))
    with pytest.raises(ShapeError, match="cannot be broadcast"):
        D.Normal(t64([0.0, 1.0]), t64([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="total_count must be a non-negative int"):
        D.Multinomial(2.5, probs=t64([0.5, 0.5]))
    with pytest.raises(TypeError, match="rng must be an int seed"):
        D.Normal(t64(0.0), t64(1.0)).sample((2,), rng="seed")


def test_validation_can_be_switched_off():
    d = D.Normal(t64(0.0), t64(-1.0), validate_args=False)      # constructed: nothing is checked
    assert d.scale.numpy() == -1.0
    D.Distribution.set_default_validate_args(False)
    try:
        D.Exponential(t64(-1.0))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="rate must satisfy"):
        D.Exponential(t64(-1.0))
    with pytest.raises(ValueError, match="expected True or False"):
        D.Distribution.set_default_validate_args("yes")


# ----------------------------------------------------------------------------- values outside the support
OUTSIDE = [
    (D.Exponential, {"rate": 2.0}, -0.5, 0.5),
    (D.Gamma, {"concentration": 2.0, "rate": 1.0}, -1.0, 1.0),
    (D.Beta, {"concentration1": 2.0, "concentration0": 3.0}, 1.5, 0.5),
    (D.Uniform, {"low": 0.0, "high": 1.0}, 1.0, 0.0),
    (D.Pareto, {"scale": 1.0, "alpha": 3.0}, 0.5, 2.0),
    (D.LogNormal, {"loc": 0.0, "scale": 1.0}, 0.0, 1.0),
    (D.Poisson, {"rate": 3.0}, 1.5, 2.0),
    (D.Binomial, {"total_count": 4.0, "probs": 0.3}, 5.0, 4.0),
    (D.Bernoulli, {"probs": 0.3}, 2.0, 1.0),
    (D.TruncatedNormal, {"loc": 0.0, "scale": 1.0, "low": -1.0, "high": 1.0}, 1.5, 0.5),
]


@pytest.mark.parametrize("family, params, outside, inside", OUTSIDE, ids=[c[0].__name__ for c in OUTSIDE])
def test_log_prob_outside_the_support(family, params, outside, inside):
    values = t64([inside, outside])
    with pytest.raises(ValueError, match="outside the support"):
        family(**{k: t64(v) for k, v in params.items()}).log_prob(values)
    lp = family(**{k: t64(v) for k, v in params.items()}, validate_args=False).log_prob(values).numpy()
    assert np.isfinite(lp[0]) and lp[1] == -np.inf
    # the masked entry passes no NaN into the gradient of the (continuous) parameters
    names = [k for k in params if k != "total_count"]

    def log_prob(*args):
        kw = {k: t64(v) for k, v in params.items()}
        kw.update(zip(names, args))
        return family(**kw, validate_args=False).log_prob(values).sum()

    grads = cr.grad(log_prob, argnums=tuple(range(len(names))))(*[t64(params[k]) for k in names])
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_discrete_values_must_be_integers_and_categorical_indices_in_range():
    with pytest.raises(ValueError, match="outside the support"):
        D.Categorical(probs=t64([0.2, 0.8])).log_prob(cr.tensor(np.array([2])))
    assert D.Categorical(probs=t64([0.2, 0.8]), validate_args=False).log_prob(cr.tensor(np.array([2]))).numpy()[0] \
        == -np.inf
    with pytest.raises(ValueError, match="outside the support"):
        D.Multinomial(3, probs=t64([0.2, 0.8])).log_prob(t64([1.0, 1.0]))
    with pytest.raises(ShapeError, match=r"does not end with the event shape \(2\)"):
        D.Dirichlet(t64([1.0, 2.0])).log_prob(t64([0.2, 0.3, 0.5]))
    with pytest.raises(ShapeError, match="does not broadcast against the batch shape"):
        D.Normal(t64([0.0, 1.0]), t64(1.0)).log_prob(t64([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="probabilities must lie in"):
        D.Normal(t64(0.0), t64(1.0)).icdf(t64(1.5))


def test_cdf_outside_the_support_is_zero_or_one():
    assert D.Exponential(t64(1.0)).cdf(t64(-1.0)).numpy() == 0.0
    assert D.Beta(t64(2.0), t64(2.0)).cdf(t64(1.5)).numpy() == 1.0
    np.testing.assert_array_equal(D.Uniform(t64(0.0), t64(1.0)).cdf(t64([-1.0, 2.0])).numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(D.Poisson(t64(2.0)).cdf(t64([-1.0])).numpy(), [0.0])
    np.testing.assert_array_equal(D.Binomial(t64(3.0), probs=t64(0.5)).cdf(t64([-0.5, 3.0, 7.0])).numpy(),
                                  [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(D.Pareto(t64(1.0), t64(2.0)).cdf(t64([0.5])).numpy(), [0.0])
    assert D.Poisson(t64(2.0)).icdf(t64(1.0)).numpy() == np.inf
    assert D.Binomial(t64(3.0), probs=t64(0.5)).icdf(t64(1.0)).numpy() == 3.0


def test_rsample_where_there_is_none_says_so():
    for d in (D.Poisson(t64(1.0)), D.Bernoulli(probs=t64(0.3)), D.Categorical(probs=t64([0.5, 0.5]))):
        with pytest.raises(NotImplementedError, match=f"{type(d).__name__} has no reparameterized sampler"):
            d.rsample((2,))


def test_undefined_quantities_raise_clearly():
    with pytest.raises(NotImplementedError, match="MultivariateNormal: cdf is not defined"):
        D.MultivariateNormal(t64([0.0]), covariance_matrix=t64([[1.0]])).cdf(t64([0.0]))
    with pytest.raises(NotImplementedError, match="entropy is not implemented"):
        D.MixtureSameFamily(D.Categorical(probs=t64([0.5, 0.5])), D.Normal(t64([0.0, 1.0]), t64(1.0))).entropy()


# ----------------------------------------------------------------------------- constraints
def test_constraint_checks():
    x = t64([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])
    expect = {
        constraints.real: [1, 1, 1, 1, 1, 0], constraints.positive: [0, 0, 1, 1, 1, 0],
        constraints.nonnegative: [0, 1, 1, 1, 1, 0], constraints.unit_interval: [0, 0, 1, 0, 0, 0],
        constraints.closed_unit_interval: [0, 1, 1, 1, 0, 0], constraints.greater_than(0.5): [0, 0, 0, 1, 1, 0],
        constraints.interval(0.0, 1.0): [0, 1, 1, 1, 0, 0], constraints.half_open_interval(0.0, 1.0): [0, 1, 1, 0, 0, 0],
        constraints.nonnegative_integer: [0, 1, 0, 1, 1, 0], constraints.integer_interval(0, 1): [0, 1, 0, 1, 0, 0],
        constraints.boolean: [0, 1, 0, 1, 0, 0], constraints.less_than(1.0): [1, 1, 1, 0, 0, 0],
    }
    for constraint, want in expect.items():
        np.testing.assert_array_equal(constraint.check(x).numpy(), np.array(want, dtype=bool), err_msg=repr(constraint))
    assert constraints.simplex.check(t64([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])).numpy().tolist() == [True, False, False]
    assert constraints.positive_definite.check(t64([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])).numpy().tolist() == [True, False]
    assert constraints.lower_cholesky.check(t64([np.eye(2), [[1.0, 1.0], [0.0, 1.0]]])).numpy().tolist() == [True, False]
    assert constraints.independent(constraints.positive, 1).check(t64([[1.0, 2.0], [1.0, -1.0]])).numpy().tolist() \
        == [True, False]
    assert constraints.one_hot.check(t64([[0.0, 1.0], [1.0, 1.0]])).numpy().tolist() == [True, False]
    assert constraints.multinomial(3).check(t64([[1.0, 2.0], [1.0, 1.0]])).numpy().tolist() == [True, False]
    assert repr(constraints.positive) == "constraints.positive"
    assert constraints.positive.event_dim == 0 and constraints.simplex.event_dim == 1
    assert constraints.nonnegative_integer.is_discrete and not constraints.real.is_discrete


# ----------------------------------------------------------------------------- transforms
UNCONSTRAINED = [
    (constraints.real, (4,)), (constraints.positive, (4,)), (constraints.unit_interval, (4,)),
    (constraints.greater_than(1.5), (4,)), (constraints.less_than(-1.0), (4,)),
    (constraints.interval(-2.0, 3.0), (4,)), (constraints.open_interval(t64(0.5), t64(2.0)), ()),
    (constraints.simplex, (3,)), (constraints.lower_cholesky, (3, 3)), (constraints.positive_definite, (3, 3)),
    (constraints.independent(constraints.positive, 1), (4,)),
]


@pytest.mark.parametrize("constraint, shape", UNCONSTRAINED, ids=[repr(c) for c, _ in UNCONSTRAINED])
def test_biject_to_lands_in_the_set_and_inverts(constraint, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if constraint in (constraints.lower_cholesky, constraints.positive_definite):
        x = np.tril(x)                        # the map reads the lower triangle only
    transform = biject_to(constraint)
    assert transform is not None and constraint.transform.__class__ is transform.__class__
    y = transform(t64(x))
    assert np.all(constraint.check(y).numpy())
    np.testing.assert_allclose(transform.inv(y).numpy(), x, rtol=1e-10, atol=1e-10)
    check_grads(transform, [x], order=2)


@pytest.mark.parametrize("constraint, shape", [(c, s) for c, s in UNCONSTRAINED if c.event_dim == 0],
                         ids=[repr(c) for c, _ in UNCONSTRAINED if c.event_dim == 0])
def test_log_abs_det_jacobian_of_elementwise_transforms(constraint, shape):
    x = t64(np.random.default_rng(1).standard_normal(shape))
    transform = biject_to(constraint)
    y = transform(x)
    derivative = cr.grad(lambda v: transform(v).sum())(x).numpy()
    np.testing.assert_allclose(transform.log_abs_det_jacobian(x, y).numpy(), np.log(np.abs(derivative)), rtol=1e-10)
    np.testing.assert_allclose(transform.inv.log_abs_det_jacobian(y, x).numpy(), -np.log(np.abs(derivative)),
                               rtol=1e-10)


def test_log_abs_det_jacobian_of_stick_breaking_and_matrices():
    x = t64(np.random.default_rng(2).standard_normal(3))
    stick = biject_to(constraints.simplex)
    y = stick(x)
    # the Jacobian of x -> (y_1, ..., y_{K-1}) (y_K is determined by the others)
    jac = cr.jacobian(lambda v: stick(v)[:-1])(x).numpy()
    np.testing.assert_allclose(stick.log_abs_det_jacobian(x, y).numpy(), np.linalg.slogdet(jac)[1], rtol=1e-10)
    np.testing.assert_allclose(stick(t64(np.zeros(3))).numpy(), np.full(4, 0.25))
    n = 3
    rows, cols = np.tril_indices(n)
    # the maps act on the lower triangle: differentiate along its n(n+1)/2 free entries
    embed = np.zeros((n * n, len(rows)))
    embed[rows * n + cols, np.arange(len(rows))] = 1.0
    for transform in (biject_to(constraints.lower_cholesky), biject_to(constraints.positive_definite)):
        raw = np.tril(np.random.default_rng(3).standard_normal((n, n)))

        def on_lower(v, transform=transform):
            out = transform(cr.reshape(t64(embed) @ v, (n, n)))
            return cr.reshape(out, (n * n,))[cr.tensor(rows * n + cols)]

        jac = cr.jacobian(on_lower)(t64(raw[rows, cols])).numpy()
        y = transform(t64(raw))
        np.testing.assert_allclose(transform.log_abs_det_jacobian(t64(raw), y).numpy(), np.linalg.slogdet(jac)[1],
                                   rtol=1e-10)


def test_transform_to_simplex_is_softmax_and_discrete_sets_have_no_bijection():
    y = transform_to(constraints.simplex)(t64([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(y.numpy(), np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum())
    with pytest.raises(NotImplementedError, match="discrete set"):
        biject_to(constraints.nonnegative_integer)
    with pytest.raises(NotImplementedError, match="no transform is registered"):
        biject_to(constraints.dependent)


# ----------------------------------------------------------------------------- the contract with cr.stats.fit
FIT_FAMILIES = [
    (D.Normal, {"loc": 0.3, "scale": 1.2}), (D.Exponential, {"rate": 2.0}), (D.Gamma, {"concentration": 2.0, "rate": 1.5}),
    (D.Beta, {"concentration1": 2.0, "concentration0": 3.0}), (D.Poisson, {"rate": 3.0}),
    (D.Bernoulli, {"probs": 0.3}), (D.Laplace, {"loc": 0.0, "scale": 1.0}), (D.StudentT, {"df": 4.0, "loc": 0.0, "scale": 1.0}),
    (D.LogNormal, {"loc": 0.0, "scale": 0.5}), (D.Weibull, {"scale": 1.0, "concentration": 2.0}),
    (D.Categorical, {"probs": [0.2, 0.3, 0.5]}), (D.Dirichlet, {"concentration": [1.0, 2.0, 3.0]}),
]


@pytest.mark.parametrize("family, params", FIT_FAMILIES, ids=[f.__name__ for f, _ in FIT_FAMILIES])
def test_keyword_construction_through_unconstrained_parameters(family, params):
    """What fit does: map unconstrained numbers through biject_to(arg_constraints[name]), build the
    distribution by keyword and differentiate the log-likelihood."""
    unconstrained = {n: biject_to(family.arg_constraints[n]).inv(t64(v)) for n, v in params.items()}
    data = family(**{n: t64(v) for n, v in params.items()}).sample((5,), rng=0)

    def nll(*values):
        kw = {n: biject_to(family.arg_constraints[n])(v) for n, v in zip(params, values)}
        return -cr.sum(family(**kw).log_prob(data))

    check_grads(nll, list(unconstrained.values()), order=2)
    assert list(family.arg_constraints)[:len(params)] == list(params)
