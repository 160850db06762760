"""cr.information against scipy: entropy, cross-entropy, KL and JS divergence (probs or logits,
any axis, nats or bits), mutual information and conditional entropy of joint tables,
differential entropy; identities between them; gradients; bad input."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy.spatial.distance import jensenshannon

import chainrule as cr
from chainrule import information as info
from chainrule.testing import check_grads

RNG = np.random.default_rng(8)
P = RNG.dirichlet(np.ones(5), size=(3, 2))        # (3, 2, 5): distributions along the last axis
Q = RNG.dirichlet(np.ones(5), size=(3, 2))


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


@pytest.mark.parametrize("base", [None, 2, 10])
@pytest.mark.parametrize("axis", [-1, 0])
def test_entropy_cross_entropy_kl_against_scipy(base, axis):
    p, q = np.moveaxis(P, -1, axis), np.moveaxis(Q, -1, axis)
    np.testing.assert_allclose(info.entropy(t64(p), axis=axis, base=base).numpy(),
                               st.entropy(p, axis=axis, base=base), rtol=1e-12)
    np.testing.assert_allclose(info.kl_divergence(t64(p), t64(q), axis=axis, base=base).numpy(),
                               st.entropy(p, q, axis=axis, base=base), rtol=1e-12)
    cross = -(p * np.log(q)).sum(axis) / (np.log(base) if base else 1.0)
    np.testing.assert_allclose(info.cross_entropy(t64(p), t64(q), axis=axis, base=base).numpy(), cross, rtol=1e-12)
    js = jensenshannon(p, q, axis=axis, base=base) ** 2
    np.testing.assert_allclose(info.js_divergence(t64(p), t64(q), axis=axis, base=base).numpy(), js, rtol=1e-10)


def test_logits_give_the_same_values():
    logits_p, logits_q = np.log(P) + 2.0, np.log(Q) - 1.0
    np.testing.assert_allclose(info.entropy(logits=t64(logits_p)).numpy(), st.entropy(P, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(info.kl_divergence(p_logits=t64(logits_p), q_logits=t64(logits_q)).numpy(),
                               st.entropy(P, Q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(info.cross_entropy(t64(P), q_logits=t64(logits_q)).numpy(),
                               -(P * np.log(Q)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(info.js_divergence(p_logits=t64(logits_p), q=t64(Q)).numpy(),
                               jensenshannon(P, Q, axis=-1) ** 2, rtol=1e-10)


def test_identities_and_bounds():
    h, hpq = info.entropy(t64(P)).numpy(), info.cross_entropy(t64(P), t64(Q)).numpy()
    np.testing.assert_allclose(hpq - h, info.kl_divergence(t64(P), t64(Q)).numpy(), rtol=1e-12)
    js = info.js_divergence(t64(P), t64(Q)).numpy()
    assert np.all(js >= 0) and np.all(js <= np.log(2))
    np.testing.assert_allclose(js, info.js_divergence(t64(Q), t64(P)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(info.entropy(t64(np.full(8, 1 / 8)), base=2).numpy(), 3.0)
    np.testing.assert_allclose(info.js_divergence(t64([1.0, 0.0]), t64([0.0, 1.0]), base=2).numpy(), 1.0)


def test_zero_probabilities():
    p, q = t64([0.5, 0.5, 0.0]), t64([0.25, 0.25, 0.5])
    np.testing.assert_allclose(info.entropy(p).numpy(), np.log(2))
    np.testing.assert_allclose(info.kl_divergence(p, q).numpy(), np.log(2))
    assert info.kl_divergence(q, p).numpy() == np.inf
    assert info.cross_entropy(q, p).numpy() == np.inf
    g = cr.grad(lambda v: info.entropy(v))(p).numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[:2], -np.log(0.5) - 1)


def test_gradients():
    # (finite differences step off the simplex: normalize=True keeps the perturbed inputs valid)
    check_grads(lambda p, q: info.kl_divergence(p, q, normalize=True), [P[0], Q[0]], order=2)
    check_grads(lambda p: info.entropy(p, normalize=True), [P], order=2)
    check_grads(lambda lp, lq: info.js_divergence(p_logits=lp, q_logits=lq), [np.log(P[0]), np.log(Q[0])], order=2)
    # dH/dp_i = -log p_i - 1
    np.testing.assert_allclose(cr.grad(lambda p: info.entropy(p).sum())(t64(P)).numpy(), -np.log(P) - 1, rtol=1e-12)


def test_mutual_information_and_conditional_entropy():
    joint = RNG.dirichlet(np.ones(12)).reshape(3, 4)
    px, py = joint.sum(1), joint.sum(0)
    mi = (joint * np.log(joint / np.outer(px, py))).sum()
    np.testing.assert_allclose(info.mutual_information(t64(joint)).numpy(), mi, rtol=1e-12)
    np.testing.assert_allclose(info.mutual_information(t64(joint), base=2).numpy(), mi / np.log(2), rtol=1e-12)
    h_xy, h_x, h_y = st.entropy(joint.ravel()), st.entropy(px), st.entropy(py)
    np.testing.assert_allclose(mi, h_x + h_y - h_xy, rtol=1e-12)
    np.testing.assert_allclose(info.conditional_entropy(t64(joint)).numpy(), h_xy - h_x, rtol=1e-12)
    independent = np.outer(px, py)
    np.testing.assert_allclose(info.mutual_information(t64(independent)).numpy(), 0.0, atol=1e-14)
    counts = np.round(joint * 1000)
    np.testing.assert_allclose(info.mutual_information(t64(counts), normalize=True).numpy(),
                               info.mutual_information(t64(counts / counts.sum())).numpy(), rtol=1e-12)
    batch = np.stack([joint, independent])
    np.testing.assert_allclose(info.mutual_information(t64(batch)).numpy(), [mi, 0.0], atol=1e-14)
    diagonal = np.eye(3) / 3                      # X determines Y: I = H(X)
    np.testing.assert_allclose(info.mutual_information(t64(diagonal)).numpy(), np.log(3))
    check_grads(lambda j: info.mutual_information(j, normalize=True), [joint], order=2)


def test_differential_entropy():
    D = cr.distributions
    np.testing.assert_allclose(info.differential_entropy(D.Normal(t64(0.0), t64(2.0))).numpy(), st.norm(0, 2).entropy())
    np.testing.assert_allclose(info.differential_entropy(D.Uniform(t64(0.0), t64(0.5)), base=2).numpy(), -1.0)
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    np.testing.assert_allclose(info.differential_entropy(D.MultivariateNormal(t64([0.0, 0.0]),
                                                                              covariance_matrix=t64(cov))).numpy(),
                               st.multivariate_normal(cov=cov).entropy())


def test_bad_input():
    with pytest.raises(ValueError, match="must sum to 1 along axis -1"):
        info.entropy(t64([0.5, 0.6]))
    with pytest.raises(ValueError, match="negative or NaN"):
        info.kl_divergence(t64([1.5, -0.5]), t64([0.5, 0.5]))
    with pytest.raises(ValueError, match="exactly one of probs and probs_logits"):
        info.entropy()
    with pytest.raises(ValueError, match="exactly one of p and p_logits"):
        info.cross_entropy(t64([0.5, 0.5]), t64([0.5, 0.5]), p_logits=t64([0.0, 0.0]))
    with pytest.raises(ValueError, match="base must be positive and not 1"):
        info.entropy(t64([0.5, 0.5]), base=1)
    with pytest.raises(ValueError, match="two axes"):
        info.mutual_information(t64([0.5, 0.5]))
    with pytest.raises(ValueError, match="sums to 0"):
        info.entropy(t64([0.0, 0.0]), normalize=True)
    np.testing.assert_allclose(info.entropy(t64([1.0, 3.0]), normalize=True).numpy(), st.entropy([1.0, 3.0]))
