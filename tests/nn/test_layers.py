"""Dense layers, Embedding and Dropout: derivatives, conventions, errors, parity with torch.nn."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.testing import check_grads

RNG = np.random.default_rng(0)


def _f64(*shape):
    return cr.tensor(RNG.standard_normal(shape))


# ----------------------------------------------------------------------------- Linear, Bilinear
def test_linear_shapes_and_derivatives():
    layer = nn.Linear(4, 3, dtype=cr.float64)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    for shape in [(4,), (5, 4), (2, 5, 4)]:
        x = _f64(*shape)
        np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T + layer.bias.numpy(),
                                   rtol=1e-12)
        check_grads(lambda x, m: m(x), (x, layer), order=2)
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]


def test_linear_map_gradients_come_in_the_operands_layouts():
    # W̄ = Ȳᵀ X is computed as it is stored, (out×in) row-major: no transpose to copy
    x, w = _f64(5, 4), cr.tensor(np.random.default_rng(3).standard_normal((3, 4)), requires_grad=True)
    g = np.random.default_rng(4).standard_normal((5, 3))
    F.linear(x, w).backward(g)
    assert w.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.numpy(), rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(4,), (5, 4), (2, 5, 4)])
def test_linear_map_jacobians_agree_in_both_modes(x_shape):
    # jacfwd pushes a batch of weight tangents through linear_map: its batching rule for weights
    x, w = _f64(*x_shape), _f64(3, 4)
    for argnums in (0, 1):
        rev = cr.jacrev(F.linear, argnums=argnums)(x, w).numpy()
        fwd = cr.jacfwd(F.linear, argnums=argnums)(x, w).numpy()
        np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-14)
    expected = np.einsum("...j,op->...opj", x.numpy(), np.eye(3))             # ∂y_o/∂W_pj = [o = p] x_j
    np.testing.assert_allclose(cr.jacrev(F.linear, argnums=1)(x, w).numpy(), expected, rtol=1e-12)


def test_bilinear_derivatives():
    layer = nn.Bilinear(3, 4, 2, dtype=cr.float64)
    x1, x2 = _f64(5, 3), _f64(5, 4)
    expected = np.einsum("ni,kij,nj->nk", x1.numpy(), layer.weight.numpy(), x2.numpy()) + layer.bias.numpy()
    np.testing.assert_allclose(layer(x1, x2).numpy(), expected, rtol=1e-12)
    check_grads(lambda a, b, m: m(a, b), (x1, x2, layer), order=2)


def test_dense_layers_reject_wrong_inputs():
    with pytest.raises(cr.ShapeError, match=r"Linear\(in_features=4, out_features=3, bias=True\): expected input "
                                            r"\(\*×4\) with in_features = 4, got \(2×3\)"):
        nn.Linear(4, 3)(cr.ones(2, 3))
    with pytest.raises(cr.ShapeError, match="Linear.*rank"):
        nn.Linear(4, 3)(cr.ones(()))
    with pytest.raises(cr.ShapeError, match=r"linear: input \(2×3\) and weight \(3×4\) do not fit"):
        F.linear(cr.ones(2, 3), cr.ones(3, 4))
    with pytest.raises(cr.ShapeError, match="Bilinear.*in2_features = 4, got \\(2×5\\)"):
        nn.Bilinear(3, 4, 2)(cr.ones(2, 3), cr.ones(2, 5))
    with pytest.raises(cr.ShapeError, match="leading dimensions"):
        nn.Bilinear(3, 4, 2)(cr.ones(2, 3), cr.ones(3, 4))


def test_flatten_unflatten_identity():
    x = _f64(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert nn.Unflatten(-1, (5, -1))(x).shape == (2, 3, 4, 5, 1)
    assert nn.Identity(54, unused="argument")(x) is x
    with pytest.raises(cr.ShapeError, match="Unflatten.*length 60"):
        nn.Unflatten(1, (7, 8))(nn.Flatten()(x))


# ----------------------------------------------------------------------------- Embedding
def test_embedding_lookup_and_gradient():
    emb = nn.Embedding(6, 3, dtype=cr.float64)
    idx = np.array([[0, 2, 2], [5, 1, 0]])
    np.testing.assert_array_equal(emb(idx).numpy(), emb.weight.numpy()[idx])
    check_grads(lambda m: m(idx), (emb,), order=2)
    g = cr.grad(lambda m: m(idx).sum())(emb).weight.numpy()
    np.testing.assert_array_equal(g[:, 0], [2, 1, 2, 0, 0, 1])            # repeated rows accumulate


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(5, 2, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.numpy()[1], 0.0)
    idx = cr.tensor(np.array([1, 2, 1, 4]))
    emb(idx).sum().backward()
    grad = emb.weight.grad.numpy()
    np.testing.assert_array_equal(grad[1], 0.0)
    np.testing.assert_array_equal(grad[[2, 4]], 1.0)


def test_embedding_max_norm_renormalizes_in_place():
    emb = nn.Embedding(4, 3, max_norm=1.0, dtype=cr.float64)
    with cr.no_grad():
        emb.weight.copy_(np.array([[3.0, 4, 0], [0.1, 0, 0], [0, 0, 2], [1, 1, 1]]))
    emb(np.array([0, 1]))
    norms = np.linalg.norm(emb.weight.numpy(), axis=1)
    np.testing.assert_allclose(norms[:2], [1.0, 0.1], rtol=1e-6)
    np.testing.assert_allclose(norms[2:], [2.0, np.sqrt(3)])             # rows not looked up are untouched


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    with pytest.raises(cr.ShapeError, match="index 4 is out of range for a table of 4 rows"):
        emb(np.array([0, 4]))
    with pytest.raises(cr.DTypeError, match="integers"):
        emb(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


# ----------------------------------------------------------------------------- Dropout
def test_dropout_train_and_eval():
    x = cr.tensor(np.ones((200, 50)))
    drop = nn.Dropout(0.3, generator=0)
    y = drop(x).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.01
    assert not np.array_equal(drop(x).numpy(), y)                       # a new mask each call
    assert np.array_equal(nn.Dropout(0.3, generator=0)(x).numpy(), y)   # the same seed, the same masks
    drop.eval()
    assert drop(x) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0) and F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


def test_dropout_gradient_is_the_mask():
    x = cr.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    y = F.dropout(x, 0.5, generator=3)
    y.sum().backward()
    mask = (y.numpy() != 0) / 0.5
    np.testing.assert_array_equal(x.grad.numpy(), mask)
    check_grads(lambda t: F.dropout(t, 0.5, generator=3), (x.detach(),), order=2)


def test_dropout_default_generator_is_reset_by_manual_seed():
    x = cr.ones(10, 10)
    nn.manual_seed(42)
    a = F.dropout(x, 0.5).numpy()
    nn.manual_seed(42)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)


# ----------------------------------------------------------------------------- parity with torch.nn
def _torch_check(ours, theirs, inputs, torch, int_inputs=()):
    """Copy our parameters into the torch module, run both in float64, compare outputs and
    the gradients of the inputs and parameters to 1e-10."""
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert name == tname
            tp.copy_(torch.tensor(p.numpy()))
    cin = [cr.tensor(a, requires_grad=i not in int_inputs) if i not in int_inputs else cr.tensor(a)
           for i, a in enumerate(inputs)]
    tin = [torch.tensor(a, requires_grad=i not in int_inputs) for i, a in enumerate(inputs)]
    yc, yt = ours(*cin), theirs(*tin)
    u = RNG.standard_normal(tuple(yt.shape))
    (yc * cr.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for i, (c, t) in enumerate(zip(cin, tin)):
        if i not in int_inputs:
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_dense_layers_match_torch():
    torch = pytest.importorskip("torch")
    dt = torch.float64
    _torch_check(nn.Linear(4, 3, dtype=cr.float64), torch.nn.Linear(4, 3, dtype=dt),
                 [RNG.standard_normal((2, 5, 4))], torch)
    _torch_check(nn.Bilinear(3, 4, 2, dtype=cr.float64), torch.nn.Bilinear(3, 4, 2, dtype=dt),
                 [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))], torch)
    _torch_check(nn.Embedding(6, 3, padding_idx=2, dtype=cr.float64),
                 torch.nn.Embedding(6, 3, padding_idx=2, dtype=dt), [np.array([[0, 2, 2], [5, 1, 0]])], torch,
                 int_inputs=(0,))
    _torch_check(nn.Embedding(6, 3, scale_grad_by_freq=True, dtype=cr.float64),
                 torch.nn.Embedding(6, 3, scale_grad_by_freq=True, dtype=dt), [np.array([[0, 2, 2], [5, 2, 0]])],
                 torch, int_inputs=(0,))
    x = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(nn.Flatten()(cr.tensor(x)).numpy(), torch.nn.Flatten()(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(nn.Unflatten(2, (2, 2))(cr.tensor(x)).numpy(),
                                  torch.nn.Unflatten(2, (2, 2))(torch.tensor(x)).numpy())


def test_default_initialization_matches_pytorch_bounds():
    layer = nn.Linear(50, 40, generator=0)
    bound = 1 / np.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert p.numpy().min() >= -bound and p.numpy().max() <= bound
    weights = layer.weight.numpy()                                   # 2000 draws fill the interval
    assert weights.max() > 0.95 * bound and weights.min() < -0.95 * bound
    assert abs(weights.std() - bound / np.sqrt(3)) < 0.05 * bound      # the uniform's standard deviation
    bil = nn.Bilinear(9, 4, 30)
    assert np.abs(bil.weight.numpy()).max() <= 1 / 3
    emb = nn.Embedding(100, 50)
    assert abs(emb.weight.numpy().std() - 1.0) < 0.05
    assert nn.Linear(3, 2).weight.dtype == np.float32
    assert np.array_equal(nn.Linear(3, 2, generator=5).weight.numpy(), nn.Linear(3, 2, generator=5).weight.numpy())
