"""cr.linalg against torch.linalg in float64: values and gradients.

The losses are chosen independent of the sign conventions of eigenvectors and singular
vectors (each library fixes them differently); torch reads one triangle of the input of
``cholesky``/``eigh`` while chainrule symmetrizes, so torch's gradients are compared
after symmetrization.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

LA = cr.linalg
RNG = np.random.default_rng(17)


def spd(*shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def well_conditioned(*shape):
    return RNG.standard_normal(shape) / np.sqrt(shape[-1]) + 2 * np.eye(shape[-1])


def both(fn_cr, fn_torch, *arrays, symmetrize=False):
    """Values and gradients of the scalar losses in both libraries."""
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    value = fn_cr(*xs)
    value.backward()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_value = fn_torch(*ts)
    t_value.backward()
    t_grads = [t.grad.numpy() for t in ts]
    if symmetrize:
        t_grads = [(g + np.swapaxes(g, -1, -2)) / 2 for g in t_grads]
    np.testing.assert_allclose(value.item(), t_value.item(), rtol=1e-10)
    for x, g in zip(xs, t_grads):
        np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-8, atol=1e-10)


SHAPES = [(4, 4), (2, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_determinants_and_inverse(shape):
    a = well_conditioned(*shape)
    w = RNG.standard_normal(shape)
    both(lambda x: LA.det(x).sum(), lambda x: torch.linalg.det(x).sum(), a)
    both(lambda x: LA.slogdet(x).logabsdet.sum(), lambda x: torch.linalg.slogdet(x)[1].sum(), a)
    both(lambda x: (LA.inv(x) * cr.tensor(w)).sum(), lambda x: (torch.linalg.inv(x) * torch.tensor(w)).sum(), a)


@pytest.mark.parametrize("shape", SHAPES)
def test_solve_and_triangular_solve(shape):
    a, b = well_conditioned(*shape), RNG.standard_normal(shape[:-1] + (2,))
    both(lambda x, y: (LA.solve(x, y) ** 2).sum(), lambda x, y: (torch.linalg.solve(x, y) ** 2).sum(), a, b)
    both(lambda x, y: (LA.solve_triangular(x, y, lower=True) ** 2).sum(),
         lambda x, y: (torch.linalg.solve_triangular(torch.tril(x), y, upper=False) ** 2).sum(), a, b)


def test_pinv_and_lstsq():
    a, b = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
    both(lambda x: (LA.pinv(x) ** 2).sum(), lambda x: (torch.linalg.pinv(x) ** 2).sum(), a)
    both(lambda x, y: (LA.lstsq(x, y).solution ** 2).sum(),
         lambda x, y: (torch.linalg.lstsq(x, y).solution ** 2).sum(), a, b)


@pytest.mark.parametrize("shape", SHAPES)
def test_cholesky(shape):
    w = RNG.standard_normal(shape)
    both(lambda x: (LA.cholesky(x) * cr.tensor(w)).sum(), lambda x: (torch.linalg.cholesky(x) * torch.tensor(w)).sum(),
         spd(*shape), symmetrize=True)


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (2, 4, 3)])
def test_qr(shape):
    a = RNG.standard_normal(shape)
    w = RNG.standard_normal(shape)
    k = min(shape[-2:])
    wr = RNG.standard_normal(shape[:-2] + (k, shape[-1]))

    def torch_qr(x):
        q, r = torch.linalg.qr(x)
        d = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))      # chainrule's convention: diag(R) ≥ 0
        return q * d[..., None, :], r * d[..., :, None]

    def loss_cr(x):
        q, r = LA.qr(x)
        return (q * cr.tensor(w)).sum() + (r * cr.tensor(wr)).sum()

    def loss_torch(x):
        q, r = torch_qr(x)
        return (q * torch.tensor(w)).sum() + (r * torch.tensor(wr)).sum()
    both(loss_cr, loss_torch, a)


@pytest.mark.parametrize("shape", SHAPES)
def test_eigh(shape):
    a = spd(*shape)
    c, w = RNG.standard_normal(shape[:-1]), RNG.standard_normal(shape)

    def loss_cr(x):
        vals, vecs = LA.eigh(x)
        return (cr.tensor(c) * vals).sum() + ((cr.tensor(w) * vecs) ** 2).sum()

    def loss_torch(x):
        vals, vecs = torch.linalg.eigh(x)
        return (torch.tensor(c) * vals).sum() + ((torch.tensor(w) * vecs) ** 2).sum()
    both(loss_cr, loss_torch, a, symmetrize=True)
    both(lambda x: (LA.eigvalsh(x) ** 3).sum(), lambda x: (torch.linalg.eigvalsh(x) ** 3).sum(), a, symmetrize=True)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 3, 3)])
def test_svd(shape):
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    c = RNG.standard_normal(shape[:-2] + (k,))
    wu, wv = RNG.standard_normal(shape[:-1] + (k,)), RNG.standard_normal(shape[:-2] + (k, shape[-1]))

    def loss_cr(x):
        u, s, vh = LA.svd(x, full_matrices=False)
        return (cr.tensor(c) * s).sum() + ((cr.tensor(wu) * u) ** 2).sum() + ((cr.tensor(wv) * vh) ** 2).sum()

    def loss_torch(x):
        u, s, vh = torch.linalg.svd(x, full_matrices=False)
        return (torch.tensor(c) * s).sum() + ((torch.tensor(wu) * u) ** 2).sum() + ((torch.tensor(wv) * vh) ** 2).sum()
    both(loss_cr, loss_torch, a)
    both(lambda x: (LA.svdvals(x) ** 2).sum(), lambda x: (torch.linalg.svdvals(x) ** 2).sum(), a)


def test_lu_and_lu_factor():
    a = well_conditioned(4, 4)
    w = RNG.standard_normal((4, 4))

    def loss_cr(x):
        p, l, u = LA.lu(x)
        return (l * cr.tensor(w)).sum() + (u * cr.tensor(w.T)).sum()

    def loss_torch(x):
        p, l, u = torch.linalg.lu(x)
        return (l * torch.tensor(w)).sum() + (u * torch.tensor(w.T)).sum()
    both(loss_cr, loss_torch, a)
    both(lambda x: (LA.lu_factor(x)[0] * cr.tensor(w)).sum(),
         lambda x: (torch.linalg.lu_factor(x)[0] * torch.tensor(w)).sum(), a)


def test_norms_cond_expm():
    a = RNG.standard_normal((3, 4))
    x = RNG.standard_normal(5)
    both(lambda m: LA.matrix_norm(m, "nuc"), lambda m: torch.linalg.matrix_norm(m, "nuc"), a)
    both(lambda m: LA.matrix_norm(m, 2), lambda m: torch.linalg.matrix_norm(m, 2), a)
    both(lambda m: LA.matrix_norm(m, 1), lambda m: torch.linalg.matrix_norm(m, 1), a)
    both(lambda v: LA.vector_norm(v, 3), lambda v: torch.linalg.vector_norm(v, 3), x)
    both(lambda v: LA.vector_norm(v, np.inf), lambda v: torch.linalg.vector_norm(v, float("inf")), x)
    sq = well_conditioned(3, 3)
    both(lambda m: LA.cond(m), lambda m: torch.linalg.cond(m), sq)
    both(lambda m: (LA.expm(m) ** 2).sum(), lambda m: (torch.linalg.matrix_exp(m) ** 2).sum(), sq / 2)
    both(lambda m: (LA.matrix_power(m, 3) ** 2).sum(), lambda m: (torch.linalg.matrix_power(m, 3) ** 2).sum(), sq)


def test_eig_values_match_torch():
    a = RNG.standard_normal((4, 4))
    np.testing.assert_allclose(np.sort_complex(LA.eigvals(cr.tensor(a)).numpy()),
                               np.sort_complex(torch.linalg.eigvals(torch.tensor(a)).numpy()), atol=1e-12)
