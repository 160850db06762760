"""cr.linalg inside the function transforms: jacfwd and jacrev agree, Hessians are
symmetric, vmap batches with shared and per-example matrices."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

LA = cr.linalg
RNG = np.random.default_rng(19)


def t64(a):
    return cr.tensor(np.asarray(a, dtype=np.float64))


def spd(n):
    a = RNG.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


CASES = {
    "cholesky": (lambda m: LA.cholesky(m), lambda: spd(3)),
    "eigh vectors": (lambda m: LA.eigh(m).eigenvectors, lambda: spd(3)),
    "svd": (lambda m: LA.svd(m, full_matrices=False).U, lambda: RNG.standard_normal((4, 3))),
    "qr": (lambda m: LA.qr(m).R, lambda: RNG.standard_normal((4, 3))),
    "inv": (LA.inv, lambda: spd(3)),
    "expm": (LA.expm, lambda: RNG.standard_normal((3, 3)) / 3),
    "lu_factor": (lambda m: LA.lu_factor(m)[0], lambda: spd(3)),
    "pinv": (LA.pinv, lambda: RNG.standard_normal((4, 3))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_reverse_jacobians_agree(name):
    fn, sample = CASES[name]
    a = t64(sample())
    np.testing.assert_allclose(cr.jacfwd(fn)(a).numpy(), cr.jacrev(fn)(a).numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["cholesky", "eigh vectors", "svd", "inv", "expm"])
def test_hessians_are_symmetric(name):
    fn, sample = CASES[name]
    a = sample()
    w = t64(RNG.standard_normal(fn(t64(a)).shape))
    h = cr.hessian(lambda m: (fn(m) * w).sum())(t64(a)).numpy()
    n = a.size
    h = h.reshape(n, n)
    np.testing.assert_allclose(h, h.T, rtol=1e-8, atol=1e-10)


def test_vmap_with_a_shared_matrix_and_batched_right_hand_sides():
    a = spd(4)
    bs = RNG.standard_normal((5, 4))
    got = cr.vmap(LA.solve, in_axes=(None, 0))(t64(a), t64(bs)).numpy()
    np.testing.assert_allclose(got, np.linalg.solve(a, bs.T).T, rtol=1e-12)
    got = cr.vmap(lambda b: LA.solve_triangular(t64(a), b, lower=True))(t64(bs)).numpy()
    np.testing.assert_allclose(got, np.linalg.solve(np.tril(a), bs.T).T, rtol=1e-12)


def test_per_example_gradients_of_log_det():
    stack = np.stack([spd(3) for _ in range(4)])
    grads = cr.vmap(cr.grad(lambda m: LA.slogdet(m).logabsdet))(t64(stack)).numpy()
    np.testing.assert_allclose(grads, np.swapaxes(np.linalg.inv(stack), -1, -2), rtol=1e-10)
