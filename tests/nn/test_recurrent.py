"""Recurrent layers: RNN, LSTM, GRU and their cells.

Values against a NumPy loop of the gate equations, derivatives against central
differences in float64 over several steps (layers and the LSTM recurrence primitive, to
second order), dropout between layers, errors by their messages, and — with torch
installed — outputs, final states and gradients (input, initial states, every
parameter) against torch.nn with copied weights to 1e-10 for every option.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import ShapeError
from chainrule.nn import recurrent as R
from chainrule.specs.recurrent import lstm_reference
from chainrule.testing import check_grads

RNG = np.random.default_rng(3)


def randn(*shape):
    return RNG.standard_normal(shape)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gru_reference(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU layer over time, straight from the equations (gates r, z, n)."""
    hidden = h.shape[-1]
    outs = []
    for xt in x:
        gi, gh = xt @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = _sigmoid(gi[:, :hidden] + gh[:, :hidden])
        z = _sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
        n = np.tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


# ----------------------------------------------------------------------------- values
def test_lstm_layer_matches_the_gate_equations():
    layer = nn.LSTM(3, 4, dtype="float64")
    x, h0, c0 = randn(5, 2, 3), randn(1, 2, 4), randn(1, 2, 4)
    out, (h_n, c_n) = layer(t64(x), (t64(h0), t64(c0)))
    xw = x @ layer.weight_ih_l0.numpy().T + layer.bias_ih_l0.numpy() + layer.bias_hh_l0.numpy()
    ref = lstm_reference(xw, h0[0], c0[0], layer.weight_hh_l0.numpy())
    np.testing.assert_allclose(out.numpy(), ref[..., :4], atol=1e-14)
    np.testing.assert_allclose(h_n.numpy()[0], ref[-1, :, :4], atol=1e-14)
    np.testing.assert_allclose(c_n.numpy()[0], ref[-1, :, 4:8], atol=1e-14)


def test_gru_and_rnn_layers_match_the_equations():
    gru = nn.GRU(3, 4, dtype="float64")
    x, h0 = randn(6, 2, 3), randn(1, 2, 4)
    out, h_n = gru(t64(x), t64(h0))
    params = [p.numpy() for p in gru.parameters()]
    ref_out, ref_h = gru_reference(x, h0[0], *params)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-14)
    np.testing.assert_allclose(h_n.numpy()[0], ref_h, atol=1e-14)
    rnn = nn.RNN(3, 4, nonlinearity="relu", dtype="float64")
    w_ih, w_hh, b_ih, b_hh = [p.numpy() for p in rnn.parameters()]
    h = np.zeros((2, 4))
    for xt in x:
        h = np.maximum(xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 0)
    np.testing.assert_allclose(rnn(t64(x))[1].numpy()[0], h, atol=1e-14)


def test_bidirectional_output_holds_both_directions():
    layer = nn.GRU(2, 3, bidirectional=True, dtype="float64")
    x = randn(4, 1, 2)
    out, h_n = layer(t64(x))
    assert out.shape == (4, 1, 6) and h_n.shape == (2, 1, 3)
    np.testing.assert_allclose(out.numpy()[-1, :, :3], h_n.numpy()[0])     # forward ends at the last step
    np.testing.assert_allclose(out.numpy()[0, :, 3:], h_n.numpy()[1])      # backward ends at the first


def test_cells_are_one_step_of_the_layers():
    x, h, c = randn(2, 3), randn(2, 4), randn(2, 4)
    for cell_type, layer_type in [(nn.RNNCell, nn.RNN), (nn.LSTMCell, nn.LSTM), (nn.GRUCell, nn.GRU)]:
        cell, layer = cell_type(3, 4, dtype="float64"), layer_type(3, 4, dtype="float64")
        layer.load_state_dict({f"{k}_l0": v for k, v in cell.state_dict().items()})
        if cell_type is nn.LSTMCell:
            h1, c1 = cell(t64(x), (t64(h), t64(c)))
            _, (h2, c2) = layer(t64(x[None]), (t64(h[None]), t64(c[None])))
            np.testing.assert_allclose(c1.numpy(), c2.numpy()[0], atol=1e-14)
        else:
            h1 = cell(t64(x), t64(h))
            h2 = layer(t64(x[None]), t64(h[None]))[1]
        np.testing.assert_allclose(h1.numpy(), h2.numpy()[0], atol=1e-14)


def test_parameters_follow_pytorch_names_shapes_and_initialization():
    layer = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    shapes = dict((n, p.shape) for n, p in layer.named_parameters())
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert shapes["weight_ih_l0_reverse"] == (20, 3) and shapes["weight_ih_l1"] == (20, 10)
    assert shapes["weight_hh_l1_reverse"] == (20, 5) and len(shapes) == 16
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.numpy()).max() <= bound for p in layer.parameters())
    assert len(list(nn.GRU(2, 3, bias=False).parameters())) == 2
    assert nn.GRUCell(2, 3).weight_ih.shape == (9, 2) and nn.RNNCell(2, 3).weight_hh.shape == (3, 3)
    assert "bidirectional=True" in repr(layer)


def test_batch_first_and_unbatched_inputs():
    layer = nn.LSTM(3, 4, batch_first=True, dtype="float64")
    x = randn(2, 5, 3)
    out, (h, c) = layer(t64(x))
    assert out.shape == (2, 5, 4) and h.shape == (1, 2, 4)
    seq = nn.LSTM(3, 4, dtype="float64")
    seq.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(out.numpy(), np.swapaxes(seq(t64(np.swapaxes(x, 0, 1)))[0].numpy(), 0, 1))
    single, (h1, c1) = seq(t64(x[0]))
    assert single.shape == (5, 4) and h1.shape == (1, 4)
    np.testing.assert_allclose(single.numpy(), seq(t64(x[0][:, None]))[0].numpy()[:, 0], atol=1e-14)


def test_dropout_between_layers_only_in_training():
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.5, dtype="float64")
    x = t64(randn(5, 2, 3))
    plain = nn.GRU(3, 4, num_layers=2, dtype="float64")
    plain.load_state_dict(layer.state_dict())
    layer.eval()
    np.testing.assert_allclose(layer(x)[0].numpy(), plain(x)[0].numpy())
    layer.train()
    nn.manual_seed(0)
    a = layer(x)[0].numpy()
    nn.manual_seed(0)
    np.testing.assert_array_equal(layer(x)[0].numpy(), a)          # seeded: reproducible
    assert not np.allclose(a, plain(x)[0].numpy())


# ----------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("layer_type, kwargs", [
    (nn.LSTM, dict(num_layers=2)), (nn.LSTM, dict(bidirectional=True)), (nn.GRU, dict(bidirectional=True)),
    (nn.RNN, dict(num_layers=2)), (nn.GRU, dict(bias=False))])
def test_layer_gradients_against_finite_differences(layer_type, kwargs):
    layer = layer_type(2, 3, dtype="float64", **kwargs)
    x = randn(4, 2, 2)

    def f(m, x):
        out = m(x)
        return out[0]
    check_grads(f, [layer, x], order=1)


def test_initial_state_gradients_against_finite_differences():
    layer = nn.LSTM(2, 3, dtype="float64")
    check_grads(lambda x, h, c: layer(x, (h, c))[1][1], [randn(3, 2, 2), randn(1, 2, 3), randn(1, 2, 3)], order=2)
    cell = nn.GRUCell(2, 3, dtype="float64")
    check_grads(lambda x, h: cell(x, h), [randn(2, 2), randn(2, 3)], order=2)


def test_second_derivatives_of_an_lstm_loss():
    layer = nn.LSTM(2, 3, dtype="float64")
    x = t64(randn(3, 1, 2))

    def loss(w):
        xw = R._input_projection(x, layer.weight_ih_l0, layer.bias_ih_l0, layer.bias_hh_l0, "LSTM")
        hs, cs, _ = R._lstm_recurrence(xw, t64(np.zeros((1, 3))), t64(np.zeros((1, 3))), w, reverse=False)
        return (hs ** 2).sum() + cs.sum()
    w = layer.weight_hh_l0.numpy()
    check_grads(loss, [w], order=2)
    h = cr.hessian(loss)(t64(w))
    np.testing.assert_allclose(h.numpy().reshape(w.size, w.size), h.numpy().reshape(w.size, w.size).T, atol=1e-10)


def test_lstm_recurrence_under_vmap_and_forward_mode():
    xw, h0, c0, w = randn(3, 4, 2, 8), randn(3, 2, 2), randn(3, 2, 2), randn(8, 2)     # batch 3 of (L=4, N=2)
    batched = cr.vmap(lambda a, b, c: R._lstm_recurrence(a, b, c, t64(w), reverse=True)[0])(t64(xw), t64(h0), t64(c0))
    for k in range(3):
        want = lstm_reference(xw[k], h0[k], c0[k], w, reverse=True)[..., :2]
        np.testing.assert_allclose(batched.numpy()[k], want, atol=1e-14)
    jac_f = cr.jacfwd(lambda w: R._lstm_recurrence(t64(xw[0]), t64(h0[0]), t64(c0[0]), w, reverse=False)[0])(t64(w))
    jac_r = cr.jacrev(lambda w: R._lstm_recurrence(t64(xw[0]), t64(h0[0]), t64(c0[0]), w, reverse=False)[0])(t64(w))
    np.testing.assert_allclose(jac_f.numpy(), jac_r.numpy(), atol=1e-12)


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_layer_and_the_shapes():
    layer = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ShapeError, match=r"LSTM\(3, 4, num_layers=2\): expected input with H_in = input_size = 3"):
        layer(cr.tensor(np.ones((5, 2, 2), np.float32)))
    with pytest.raises(ShapeError, match=r"expected input \(L×N×H_in\) or unbatched \(L×H_in\)"):
        layer(cr.tensor(np.ones((5,), np.float32)))
    h = cr.tensor(np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ShapeError, match=r"expected h_0 of shape \(2×2×4\).*got \(1×2×4\)"):
        layer(cr.tensor(np.ones((5, 2, 3), np.float32)), (h, h))
    with pytest.raises(ShapeError, match=r"hx must be a pair"):
        layer(cr.tensor(np.ones((5, 2, 3), np.float32)), h)
    with pytest.raises(ShapeError, match=r"GRUCell\(3, 4\): expected hx of shape \(2×4\)"):
        nn.GRUCell(3, 4)(cr.tensor(np.ones((2, 3), np.float32)), cr.tensor(np.ones((3, 4), np.float32)))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout must be a probability"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)


# ----------------------------------------------------------------------------- PyTorch
def _copy_from(theirs, ours):
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


LAYER_CASES = [
    ("RNN", {}), ("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True)),
    ("RNN", dict(batch_first=True, bias=False)),
    ("LSTM", {}), ("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(batch_first=True, bias=False)),
    ("GRU", {}), ("GRU", dict(bidirectional=True, batch_first=True)), ("GRU", dict(num_layers=2, bias=False)),
]


@pytest.mark.parametrize("name, kwargs", LAYER_CASES, ids=[f"{n}-{k}" for n, k in LAYER_CASES])
@pytest.mark.parametrize("initial_state", [False, True])
def test_layers_match_torch(name, kwargs, initial_state):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, **kwargs).double()
    ours = getattr(nn, name)(3, 4, dtype="float64", **kwargs)
    _copy_from(theirs, ours)
    states = (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
    x = randn(2, 5, 3) if kwargs.get("batch_first") else randn(5, 2, 3)
    h0, c0 = randn(states, 2, 4), randn(states, 2, 4)
    X = torch.tensor(x, requires_grad=True)
    xt = t64(x, requires_grad=True)
    T = [torch.tensor(a, requires_grad=True) for a in (h0, c0)]
    S = [t64(a, requires_grad=True) for a in (h0, c0)]
    lstm = name == "LSTM"
    if initial_state:
        Y, HN = theirs(X, tuple(T) if lstm else T[0])
        y, hn = ours(xt, tuple(S) if lstm else S[0])
    else:
        Y, HN = theirs(X)
        y, hn = ours(xt)
    finals_t = HN if lstm else (HN,)
    finals_c = hn if lstm else (hn,)
    weights = [randn(*Y.shape)] + [randn(*f.shape) for f in finals_t]
    loss_t = (Y * torch.tensor(weights[0])).sum() + sum((f * torch.tensor(w)).sum() ** 2
                                                        for f, w in zip(finals_t, weights[1:]))
    loss_c = (y * t64(weights[0])).sum() + sum((f * t64(w)).sum() ** 2 for f, w in zip(finals_c, weights[1:]))
    loss_t.backward()
    loss_c.backward()
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), atol=1e-10)
    for a, b in zip(finals_c, finals_t):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), atol=1e-10)
    if initial_state:
        for a, b in zip(S[:2 if lstm else 1], T):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10)
    for (n1, p), (n2, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=n1)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4).double()
    ours = getattr(nn, name)(3, 4, dtype="float64")
    _copy_from(theirs, ours)
    x, h, c = randn(2, 3), randn(2, 4), randn(2, 4)
    X, H, Cc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    xt, ht, ct = (t64(a, requires_grad=True) for a in (x, h, c))
    if name == "LSTMCell":
        a, b = theirs(X, (H, Cc)), ours(xt, (ht, ct))
        (a[0] * a[1]).sum().backward()
        (b[0] * b[1]).sum().backward()
        np.testing.assert_allclose(b[1].numpy(), a[1].detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ct.grad.numpy(), Cc.grad.numpy(), atol=1e-10)
        a, b = a[0], b[0]
    else:
        a, b = theirs(X, H), ours(xt, ht)
        (a ** 2).sum().backward()
        (b ** 2).sum().backward()
    np.testing.assert_allclose(b.numpy(), a.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ht.grad.numpy(), H.grad.numpy(), atol=1e-10)
    for (n1, p), (n2, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=n1)
    unbatched = ours(t64(x[0]))
    want = theirs(torch.tensor(x[0]))
    np.testing.assert_allclose((unbatched[0] if name == "LSTMCell" else unbatched).numpy(),
                               (want[0] if name == "LSTMCell" else want).detach().numpy(), atol=1e-10)
