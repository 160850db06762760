"""The training optimizers: one hand-computed step of each against its update equations,
the Optimizer base (groups, zero_grad, validation), and state_dict round trips."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

THETA = np.array([0.5, -1.5, 2.0])
G1 = np.array([0.3, -0.2, 1.0])
G2 = np.array([-0.1, 0.4, 0.5])


def param(values=THETA):
    return cr.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def steps(optimizer_class, grads, **options):
    """The parameter after one step per gradient in ``grads``."""
    p = param()
    opt = optimizer_class([p], **options)
    for g in grads:
        p.grad = cr.tensor(g.copy())
        opt.step()
    return p.numpy()


# ----------------------------------------------------------------------------- one step, by hand
def test_sgd_plain_step():
    np.testing.assert_allclose(steps(optim.SGD, [G1], lr=0.1), THETA - 0.1 * G1, rtol=0, atol=1e-15)


def test_sgd_weight_decay_and_maximize():
    expected = THETA - 0.1 * (-G1 + 0.01 * THETA)            # maximize flips g before the decay term
    np.testing.assert_allclose(steps(optim.SGD, [G1], lr=0.1, weight_decay=0.01, maximize=True), expected,
                               atol=1e-15)


def test_sgd_momentum_two_steps_with_dampening():
    lr, mu, tau = 0.1, 0.9, 0.25
    b1 = G1                                                   # first buffer: the gradient, undampened
    theta1 = THETA - lr * b1
    b2 = mu * b1 + (1 - tau) * G2
    np.testing.assert_allclose(steps(optim.SGD, [G1, G2], lr=lr, momentum=mu, dampening=tau), theta1 - lr * b2,
                               atol=1e-15)


def test_sgd_nesterov_two_steps():
    lr, mu = 0.1, 0.9
    b1 = G1
    theta1 = THETA - lr * (G1 + mu * b1)
    b2 = mu * b1 + G2
    expected = theta1 - lr * (G2 + mu * b2)
    np.testing.assert_allclose(steps(optim.SGD, [G1, G2], lr=lr, momentum=mu, nesterov=True), expected, atol=1e-15)


def test_adagrad_step_with_decay_and_initial_accumulator():
    lr, lr_decay, wd, tau, eps = 0.1, 0.5, 0.01, 0.2, 1e-10
    g1 = G1 + wd * THETA
    s1 = tau + g1 ** 2
    theta1 = THETA - lr * g1 / (np.sqrt(s1) + eps)
    g2 = G2 + wd * theta1
    s2 = s1 + g2 ** 2
    expected = theta1 - lr / (1 + lr_decay) * g2 / (np.sqrt(s2) + eps)
    got = steps(optim.Adagrad, [G1, G2], lr=lr, lr_decay=lr_decay, weight_decay=wd, initial_accumulator_value=tau)
    np.testing.assert_allclose(got, expected, atol=1e-15)


def test_rmsprop_plain_step():
    lr, alpha, eps = 0.01, 0.9, 1e-8
    v = (1 - alpha) * G1 ** 2
    np.testing.assert_allclose(steps(optim.RMSprop, [G1], lr=lr, alpha=alpha), THETA - lr * G1 / (np.sqrt(v) + eps),
                               atol=1e-15)


def test_rmsprop_centered_with_momentum_two_steps():
    lr, alpha, eps, mu = 0.01, 0.9, 1e-8, 0.5
    v1, m1 = (1 - alpha) * G1 ** 2, (1 - alpha) * G1
    b1 = G1 / (np.sqrt(v1 - m1 ** 2) + eps)
    theta1 = THETA - lr * b1
    v2, m2 = alpha * v1 + (1 - alpha) * G2 ** 2, alpha * m1 + (1 - alpha) * G2
    b2 = mu * b1 + G2 / (np.sqrt(v2 - m2 ** 2) + eps)
    got = steps(optim.RMSprop, [G1, G2], lr=lr, alpha=alpha, momentum=mu, centered=True)
    np.testing.assert_allclose(got, theta1 - lr * b2, atol=1e-14)


def test_adadelta_two_steps():
    lr, rho, eps = 0.5, 0.9, 1e-6
    v1 = (1 - rho) * G1 ** 2
    dx1 = np.sqrt(0 + eps) / np.sqrt(v1 + eps) * G1
    u1 = (1 - rho) * dx1 ** 2
    theta1 = THETA - lr * dx1
    v2 = rho * v1 + (1 - rho) * G2 ** 2
    dx2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * G2
    np.testing.assert_allclose(steps(optim.Adadelta, [G1, G2], lr=lr, rho=rho), theta1 - lr * dx2, atol=1e-15)


def _adam_reference(grads, lr, beta1, beta2, eps, wd=0.0, amsgrad=False, decoupled=False):
    theta, m, v, v_max = THETA.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * wd)
        else:
            g = g + wd * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        v_max = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def test_adam_first_step_is_lr_times_sign():
    # bias correction: m̂₁ = g, v̂₁ = g², so the first step is lr·g/(|g| + eps)
    got = steps(optim.Adam, [G1], lr=0.01)
    np.testing.assert_allclose(got, THETA - 0.01 * G1 / (np.abs(G1) + 1e-8), atol=1e-15)


def test_adam_two_steps_with_l2_decay():
    got = steps(optim.Adam, [G1, G2], lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)
    np.testing.assert_allclose(got, _adam_reference([G1, G2], 0.01, 0.8, 0.9, 1e-8, wd=0.1), atol=1e-15)


def test_adam_amsgrad_uses_running_maximum():
    grads = [G1, 0.01 * G2, G2]                  # v shrinks at step 2: the maximum differs from v
    got = steps(optim.Adam, grads, lr=0.01, betas=(0.5, 0.5), amsgrad=True)
    np.testing.assert_allclose(got, _adam_reference(grads, 0.01, 0.5, 0.5, 1e-8, amsgrad=True), atol=1e-15)
    plain = _adam_reference(grads, 0.01, 0.5, 0.5, 1e-8)
    assert np.max(np.abs(got - plain)) > 1e-4


def test_adamw_decouples_weight_decay():
    got = steps(optim.AdamW, [G1, G2], lr=0.01, weight_decay=0.1)
    np.testing.assert_allclose(got, _adam_reference([G1, G2], 0.01, 0.9, 0.999, 1e-8, wd=0.1, decoupled=True),
                               atol=1e-15)
    assert optim.AdamW([param()]).defaults["weight_decay"] == 1e-2


def test_adamax_two_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.99, 1e-8
    m1, u1 = (1 - b1) * G1, np.maximum(0.0, np.abs(G1) + eps)
    theta1 = THETA - lr / (1 - b1) * m1 / u1
    m2, u2 = b1 * m1 + (1 - b1) * G2, np.maximum(b2 * u1, np.abs(G2) + eps)
    expected = theta1 - lr / (1 - b1 ** 2) * m2 / u2
    np.testing.assert_allclose(steps(optim.Adamax, [G1, G2], lr=lr, betas=(b1, b2)), expected, atol=1e-15)


def test_nadam_two_steps():
    lr, b1, b2, eps, psi = 0.01, 0.9, 0.999, 1e-8, 4e-3
    theta, m, v, product = THETA.copy(), np.zeros(3), np.zeros(3), 1.0
    for t, g in enumerate([G1, G2], start=1):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        denominator = np.sqrt(v / (1 - b2 ** t)) + eps
        theta = (theta - lr * (1 - mu) / (1 - product) * g / denominator
                 - lr * mu_next / (1 - product * mu_next) * m / denominator)
    np.testing.assert_allclose(steps(optim.NAdam, [G1, G2], lr=lr), theta, atol=1e-15)


def _radam_reference(grads, lr, b1, b2, eps):
    theta, m, v = THETA.copy(), np.zeros(3), np.zeros(3)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho > 5:
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            theta = theta - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
        else:
            theta = theta - lr * m_hat
    return theta


def test_radam_is_momentum_sgd_while_variance_is_unbounded():
    got = steps(optim.RAdam, [G1], lr=0.01)
    np.testing.assert_allclose(got, THETA - 0.01 * G1, atol=1e-15)     # ρ₁ = 1 ≤ 5: m̂₁ = g


def test_radam_rectified_steps():
    grads = [G1, G2] * 4                          # ρ_t exceeds 5 from t = 6 on with β₂ = 0.999
    got = steps(optim.RAdam, grads, lr=0.01)
    np.testing.assert_allclose(got, _radam_reference(grads, 0.01, 0.9, 0.999, 1e-8), atol=1e-15)


# ----------------------------------------------------------------------------- the base class
def test_param_groups_use_their_own_options():
    a, b = param(), param([1.0, 2.0, 3.0])
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[1]["momentum"] == 0.0
    a.grad, b.grad = cr.tensor(G1), cr.tensor(G1)
    opt.step()
    np.testing.assert_allclose(a.numpy(), THETA - 0.1 * G1)
    np.testing.assert_allclose(b.numpy(), np.array([1.0, 2.0, 3.0]) - 0.5 * G1)


def test_parameters_without_gradient_are_skipped():
    a, b = param(), param()
    opt = optim.Adam([a, b])
    a.grad = cr.tensor(G1)
    opt.step()
    np.testing.assert_array_equal(b.numpy(), THETA)
    assert b not in opt.state


def test_step_with_closure_and_backward():
    p = param()
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = cr.sum(p * p)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(float(THETA @ THETA))
    np.testing.assert_allclose(p.numpy(), THETA - 0.1 * 2 * THETA)


def test_zero_grad_to_none_or_zeros():
    p = param()
    opt = optim.SGD([p], lr=0.1)
    p.grad = cr.tensor(G1.copy())
    held = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is held and np.all(p.grad.numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_float32_parameters_stay_float32():
    p = cr.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = cr.tensor(np.ones(3, dtype=np.float32))
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_add_param_group_later():
    a, b = param(), param()
    opt = optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD([p], lr=-0.1), r"invalid lr=-0.1"),
    (lambda p: optim.SGD([p], lr=0.1, momentum=-0.5), r"invalid momentum=-0.5"),
    (lambda p: optim.SGD([p], lr=0.1, weight_decay=-1), r"invalid weight_decay=-1"),
    (lambda p: optim.SGD([p], lr=0.1, nesterov=True), r"Nesterov momentum requires momentum > 0"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.999)), r"invalid betas\[0\]=1.0"),
    (lambda p: optim.Adam([p], betas=(0.9, -0.1)), r"invalid betas\[1\]=-0.1"),
    (lambda p: optim.Adam([p], eps=-1e-8), r"invalid eps=-1e-08"),
    (lambda p: optim.Adam([p], betas=0.9), r"betas must be a pair"),
    (lambda p: optim.Adadelta([p], rho=1.5), r"invalid rho=1.5"),
    (lambda p: optim.RMSprop([p], alpha=-0.1), r"invalid alpha=-0.1"),
    (lambda p: optim.Adagrad([p], lr_decay=-1.0), r"invalid lr_decay=-1.0"),
    (lambda p: optim.NAdam([p], momentum_decay=-1.0), r"invalid momentum_decay=-1.0"),
    (lambda p: optim.SGD([{"params": [p], "lr": -1.0}], lr=0.1), r"invalid lr=-1.0"),
    (lambda p: optim.SGD([{"params": [p], "lrr": 1.0}], lr=0.1), r"unknown option 'lrr'.*valid options: dampening"),
    (lambda p: optim.LBFGS([p], line_search_fn="armijo"), r"unknown line_search_fn='armijo'"),
    (lambda p: optim.LBFGS([p], history_size=0), r"invalid history_size=0"),
])
def test_bad_options_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make(param())


def test_bad_parameters():
    with pytest.raises(ValueError, match="does not require gradients"):
        optim.SGD([cr.tensor(np.ones(2))], lr=0.1)
    leaf = param()
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([leaf * 2], lr=0.1)
    with pytest.raises(TypeError, match="single tensor"):
        optim.SGD(leaf, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([leaf, leaf], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD([{"params": {leaf}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="float"):
        optim.SGD(iter([1.0]), lr="0.1")


def test_gradient_of_the_wrong_shape():
    p = param()
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match=r"gradient of shape \(2\) to a tensor of shape \(3\)"):
        p.grad = cr.tensor(np.ones(2))              # refused where it is assigned
    p.grad = cr.tensor(np.ones(3))
    p.data = np.ones(2)                             # the parameter replaced after its gradient was set
    before = p.numpy().copy()
    with pytest.raises(ValueError, match=r"shape \(2\) has a gradient of shape \(3\)"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), before)


# ----------------------------------------------------------------------------- state_dict
OPTIMIZERS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adadelta, dict(lr=0.5)),
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01)),
    (optim.Adamax, dict(lr=0.01)),
    (optim.NAdam, dict(lr=0.01)),
    (optim.RAdam, dict(lr=0.01)),
]


def _gradients(k):
    rng = np.random.default_rng(k)
    return rng.standard_normal(3), rng.standard_normal((2, 2))


@pytest.mark.parametrize("cls, options", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_state_dict_round_trip_resumes_identically(cls, options):
    def make():
        a = cr.tensor(THETA.copy(), requires_grad=True)
        b = cr.tensor(np.eye(2), requires_grad=True)
        return [a, b], cls([{"params": [a]}, {"params": [b], "lr": 0.02}], **options)

    def advance(params, opt, ks):
        for k in ks:
            for p, g in zip(params, _gradients(k)):
                p.grad = cr.tensor(g)
            opt.step()

    params, opt = make()
    advance(params, opt, range(5))
    saved = copy.deepcopy(opt.state_dict())
    saved_params = [p.numpy().copy() for p in params]
    advance(params, opt, range(5, 10))                       # the uninterrupted run

    resumed_params, resumed = make()
    for p, v in zip(resumed_params, saved_params):
        with cr.no_grad():
            p.copy_(v)
    resumed.load_state_dict(saved)
    advance(resumed_params, resumed, range(5, 10))
    for p, q in zip(params, resumed_params):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert resumed.param_groups[1]["lr"] == 0.02


def test_state_dict_is_a_snapshot():
    p = param()
    opt = optim.Adam([p])
    p.grad = cr.tensor(G1)
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["exp_avg"].numpy().copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"].numpy(), before)
    assert saved["param_groups"][0]["params"] == [0]


def test_load_state_dict_validates_and_changes_nothing_on_error():
    p = param()
    opt = optim.Adam([p], lr=0.01)
    p.grad = cr.tensor(G1)
    opt.step()
    good = opt.state_dict()
    other = optim.Adam([param(), param()])
    with pytest.raises(ValueError, match="group 0 has 1 parameters"):
        other.load_state_dict(good)
    with pytest.raises(ValueError, match="lacks the option.*'momentum'"):
        optim.SGD([param()], lr=0.1, momentum=0.9).load_state_dict(good)
    wrong_shape = optim.Adam([cr.tensor(np.ones(4), requires_grad=True)])
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(3\)"):
        wrong_shape.load_state_dict(good)
    assert not wrong_shape.state
    with pytest.raises(ValueError, match="expected a dict with keys"):
        opt.load_state_dict({"state": {}})
    two_groups = optim.Adam([{"params": [param()]}, {"params": [param()]}])
    with pytest.raises(ValueError, match="2 parameter groups"):
        opt.load_state_dict(two_groups.state_dict())
    assert opt.param_groups[0]["lr"] == 0.01 and opt.state[p]["step"] == 1


def test_load_state_dict_casts_to_the_parameter_dtype():
    p = param()
    opt = optim.Adam([p])
    p.grad = cr.tensor(G1)
    opt.step()
    q = cr.tensor(THETA.astype(np.float32), requires_grad=True)
    opt32 = optim.Adam([q])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[q]["exp_avg"].dtype == np.float32 and opt32.state[q]["step"] == 1


def test_lbfgs_state_dict_round_trip():
    target = np.array([1.0, -2.0, 0.5])

    def make(values):
        p = cr.tensor(values.copy(), requires_grad=True)
        return p, optim.LBFGS([p], max_iter=3, history_size=4, line_search_fn="strong_wolfe")

    def closure_for(p, opt):
        def closure():
            opt.zero_grad()
            loss = cr.sum((p - cr.tensor(target)) ** 4 + p ** 2)
            loss.backward()
            return loss
        return closure

    p, opt = make(THETA)
    opt.step(closure_for(p, opt))
    saved, saved_p = copy.deepcopy(opt.state_dict()), p.numpy().copy()
    opt.step(closure_for(p, opt))
    q, resumed = make(saved_p)
    resumed.load_state_dict(saved)
    resumed.step(closure_for(q, resumed))
    np.testing.assert_array_equal(p.numpy(), q.numpy())
    with pytest.raises(ValueError, match="flat|entries in all"):
        make(np.ones(5))[1].load_state_dict(saved)


def test_lbfgs_needs_a_closure_and_one_group():
    p = param()
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([p]).step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [param()]}])
