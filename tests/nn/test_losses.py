"""Losses: derivatives, stability at extreme logits, errors, and parity with torch.nn
(outputs and gradients, every reduction and every CrossEntropyLoss option)."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.testing import check_grads

RNG = np.random.default_rng(0)
N, C = 6, 5


def _data():
    rng = np.random.default_rng(1)
    return {
        "x": rng.standard_normal((N, C)) * 2,
        "y": rng.standard_normal((N, C)),
        "p": rng.uniform(0.05, 0.95, (N, C)),
        "q": rng.uniform(0.0, 1.0, (N, C)),
        "var": rng.uniform(0.3, 2.0, (N, C)),
        "labels": rng.integers(0, C, N),
        "signs": np.where(rng.random(N) < 0.5, -1.0, 1.0),
        "a": rng.standard_normal(N),
        "b": rng.standard_normal(N),
        "dist": rng.dirichlet(np.ones(C), N),
        "weight": rng.uniform(0.5, 2.0, C),
    }


D = _data()


# ----------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name,fn,args,order", [
    ("mse", F.mse_loss, ("x", "y"), 2),
    ("l1", F.l1_loss, ("x", "y"), 1),
    ("huber", lambda a, b: F.huber_loss(a, b, delta=0.5), ("x", "y"), 2),
    ("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5, reduction="sum"), ("x", "y"), 2),
    ("gaussian_nll", lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True), ("x", "y", "var"), 2),
    ("bce", F.binary_cross_entropy, ("p", "q"), 2),
    ("bce_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=cr.tensor(D["weight"])),
     ("x", "q"), 2),
    ("kl", lambda a, b: F.kl_div(F.log_softmax(a, dim=1), b, reduction="batchmean"), ("x", "dist"), 2),
    ("cross_entropy", lambda a: F.cross_entropy(a, D["labels"], cr.tensor(D["weight"]), label_smoothing=0.1),
     ("x",), 2),
    ("cross_entropy_probabilities", lambda a, b: F.cross_entropy(a, b), ("x", "dist"), 2),
    ("cosine_embedding", lambda a, b: F.cosine_embedding_loss(a, b, D["signs"], margin=0.2), ("x", "y"), 1),
    ("margin_ranking", lambda a, b: F.margin_ranking_loss(a, b, D["signs"], margin=0.1), ("a", "b"), 1),
])
def test_derivatives(name, fn, args, order):
    check_grads(fn, tuple(cr.tensor(D[k]) for k in args), order=order)


def test_derivative_conventions():
    zero = cr.tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(cr.grad(lambda x: F.l1_loss(x, zero))(cr.tensor([1.0, 2.0])).numpy(), 0.0)
    # the hinge's clamp counts as active at the margin (clamp_min's convention, as PyTorch)
    g = cr.grad(lambda a: F.margin_ranking_loss(a, cr.tensor([0.0]), cr.tensor([1.0]), margin=1.0,
                                                reduction="sum"))(cr.tensor([1.0]))
    assert g.numpy()[0] == -1.0
    # cross-entropy's gradient is softmax minus the one-hot target
    z = cr.tensor(D["x"])
    g = cr.grad(lambda t: F.cross_entropy(t, D["labels"], reduction="sum"))(z).numpy()
    expected = np.exp(D["x"]) / np.exp(D["x"]).sum(1, keepdims=True)
    expected[np.arange(N), D["labels"]] -= 1
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- stability
def test_extreme_logits_give_finite_losses_and_gradients():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    labels = np.array([1, 0])
    for loss in (lambda t: F.cross_entropy(t, labels), lambda t: F.cross_entropy(t, labels, label_smoothing=0.1),
                 lambda t: F.nll_loss(F.log_softmax(t, dim=1), labels),
                 lambda t: F.binary_cross_entropy_with_logits(t, cr.tensor(np.array([[1.0, 0, 0.5], [0, 1, 1]]))),
                 lambda t: F.binary_cross_entropy_with_logits(t, cr.tensor(np.ones((2, 3))),
                                                              pos_weight=cr.tensor(np.array([2.0, 1, 3])))):
        t = cr.tensor(z)
        value = loss(t)
        g = cr.grad(loss)(t)
        assert np.isfinite(value.numpy()) and np.all(np.isfinite(g.numpy()))
    # a confidently wrong logit of 1e4 costs about 2e4 nats, exactly
    np.testing.assert_allclose(float(F.cross_entropy(cr.tensor(z[:1]), labels[:1])), 2e4, rtol=1e-12)
    np.testing.assert_allclose(float(F.binary_cross_entropy_with_logits(cr.tensor([-1e4]), cr.tensor([1.0]))), 1e4)
    # probabilities exactly 0 and 1: logs clamped at -100, finite gradients
    p = cr.tensor(np.array([0.0, 1.0, 0.5]))
    value = F.binary_cross_entropy(p, cr.tensor(np.array([1.0, 0.0, 1.0])), reduction="none")
    np.testing.assert_allclose(value.numpy(), [100.0, 100.0, np.log(2)])
    assert np.all(np.isfinite(cr.grad(lambda t: F.binary_cross_entropy(t, cr.tensor([1.0, 0.0, 1.0])))(p).numpy()))


# ----------------------------------------------------------------------------- errors
def test_errors():
    x = cr.tensor(D["x"])
    with pytest.raises(cr.ShapeError, match="class index 7 is out of range for 5 classes"):
        F.cross_entropy(x, np.array([0, 1, 7, 2, 3, 4]))
    with pytest.raises(cr.ShapeError, match="class index -2"):
        nn.NLLLoss()(x, np.array([0, 1, -2, 2, 3, 4]))
    with pytest.raises(cr.ShapeError, match=r"needs class indices of shape \(6\), got \(5\)"):
        F.cross_entropy(x, np.arange(5))
    with pytest.raises(cr.ShapeError, match=r"class probabilities must have the input's shape \(6×5\)"):
        F.cross_entropy(x, np.ones((6, 4)))
    with pytest.raises(cr.ShapeError, match=r"weight must have one entry per class, shape \(5\)"):
        F.cross_entropy(x, D["labels"], weight=cr.ones(4))
    with pytest.raises(cr.ShapeError, match=r"mse_loss: input \(6×5\) and target \(6×1\) must have the same shape"):
        F.mse_loss(x, cr.ones(6, 1))
    with pytest.raises(cr.ShapeError, match="binary_cross_entropy_with_logits"):
        nn.BCEWithLogitsLoss()(x, cr.ones(6))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(x, cr.tensor(D["q"]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -cr.tensor(D["var"]))
    with pytest.raises(cr.ShapeError, match="var"):
        F.gaussian_nll_loss(x, x, cr.ones(5, 6))
    with pytest.raises(ValueError, match="labels must be 1 or -1"):
        F.cosine_embedding_loss(x, x, np.zeros(6))


def test_ignored_targets_and_modules():
    labels = D["labels"].copy()
    labels[:2] = -100
    full = F.cross_entropy(cr.tensor(D["x"][2:]), D["labels"][2:])
    np.testing.assert_allclose(float(F.cross_entropy(cr.tensor(D["x"]), labels)), float(full), rtol=1e-12)
    loss = nn.CrossEntropyLoss(weight=cr.tensor(D["weight"]), label_smoothing=0.1)
    assert list(loss.state_dict()) == ["weight"]                    # PyTorch's buffer
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


# ----------------------------------------------------------------------------- parity with torch.nn
def _torch_loss_check(torch, name, kwargs, inputs, diff, tensor_kwargs=()):
    ours_kwargs = {k: (cr.tensor(v) if k in tensor_kwargs else v) for k, v in kwargs.items()}
    theirs_kwargs = {k: (torch.tensor(v) if k in tensor_kwargs else v) for k, v in kwargs.items()}
    ours, theirs = getattr(nn, name)(**ours_kwargs), getattr(torch.nn, name)(**theirs_kwargs)
    cin = [cr.tensor(D[k], requires_grad=k in diff) for k in inputs]
    tin = [torch.tensor(D[k], requires_grad=k in diff) for k in inputs]
    yc, yt = ours(*cin), theirs(*tin)
    u = RNG.standard_normal(tuple(yt.shape))
    (yc * cr.tensor(u)).sum().backward()
    (yt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    for k, c, t in zip(inputs, cin, tin):
        if k in diff:
            np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


LOSSES = [
    ("MSELoss", {}, ("x", "y"), ("x", "y")),
    ("L1Loss", {}, ("x", "y"), ("x", "y")),
    ("HuberLoss", {"delta": 0.7}, ("x", "y"), ("x", "y")),
    ("SmoothL1Loss", {"beta": 0.7}, ("x", "y"), ("x", "y")),
    ("SmoothL1Loss", {"beta": 0.0}, ("x", "y"), ("x", "y")),
    ("GaussianNLLLoss", {"full": True, "eps": 0.5}, ("x", "y", "var"), ("x", "y", "var")),
    ("BCELoss", {}, ("p", "q"), ("p", "q")),
    ("BCEWithLogitsLoss", {}, ("x", "q"), ("x", "q")),
    ("KLDivLoss", {}, ("x", "dist"), ("x", "dist")),
    ("KLDivLoss", {"log_target": True}, ("x", "y"), ("x", "y")),
    ("CosineEmbeddingLoss", {"margin": 0.2}, ("x", "y", "signs"), ("x", "y")),
    ("MarginRankingLoss", {"margin": 0.3}, ("a", "b", "signs"), ("a", "b")),
    ("NLLLoss", {}, ("x", "labels"), ("x",)),
    ("CrossEntropyLoss", {}, ("x", "labels"), ("x",)),
    ("CrossEntropyLoss", {"label_smoothing": 0.25}, ("x", "dist"), ("x", "dist")),
]


@pytest.mark.filterwarnings("ignore:reduction")       # torch's notice about KLDivLoss's 'mean'
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kwargs,inputs,diff", LOSSES, ids=[f"{n}{k}" for n, k, _, _ in LOSSES])
def test_losses_match_torch(name, kwargs, inputs, diff, reduction):
    torch = pytest.importorskip("torch")
    _torch_loss_check(torch, name, {**kwargs, "reduction": reduction}, inputs, diff)


def test_kl_batchmean_and_weighted_losses_match_torch():
    torch = pytest.importorskip("torch")
    _torch_loss_check(torch, "KLDivLoss", {"reduction": "batchmean"}, ("x", "dist"), ("x", "dist"))
    _torch_loss_check(torch, "BCELoss", {"weight": D["weight"]}, ("p", "q"), ("p", "q"), ("weight",))
    _torch_loss_check(torch, "BCEWithLogitsLoss", {"weight": D["weight"], "pos_weight": D["weight"][::-1].copy()},
                      ("x", "q"), ("x", "q"), ("weight", "pos_weight"))
    _torch_loss_check(torch, "NLLLoss", {"weight": D["weight"], "ignore_index": 2}, ("x", "labels"), ("x",),
                      ("weight",))


CROSS_ENTROPY_OPTIONS = [
    {}, {"weight": True}, {"ignore_index": 1}, {"label_smoothing": 0.2},
    {"weight": True, "ignore_index": 3}, {"weight": True, "label_smoothing": 0.3},
    {"ignore_index": 0, "label_smoothing": 0.1}, {"weight": True, "ignore_index": 2, "label_smoothing": 0.15},
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS, ids=[str(sorted(o)) for o in CROSS_ENTROPY_OPTIONS])
@pytest.mark.parametrize("shape", [(5,), (6, 5), (3, 5, 2, 2)], ids=["(C)", "(N×C)", "(N×C×d1×d2)"])
def test_cross_entropy_indices_match_torch(shape, options, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape))
    z = rng.standard_normal(shape) * 2
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    y = rng.integers(0, C, target_shape)
    if "ignore_index" in options and y.size > 1:
        y.flat[0] = options["ignore_index"]
    kw = dict(options, reduction=reduction)
    ours_kw, theirs_kw = dict(kw), dict(kw)
    if options.get("weight"):
        ours_kw["weight"], theirs_kw["weight"] = cr.tensor(D["weight"]), torch.tensor(D["weight"])
    zc, zt = cr.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    lc = nn.CrossEntropyLoss(**ours_kw)(zc, cr.tensor(y))
    lt = torch.nn.CrossEntropyLoss(**theirs_kw)(zt, torch.tensor(y))
    u = rng.standard_normal(tuple(lt.shape))
    (lc * cr.tensor(u)).sum().backward()
    (lt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(lc.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(zc.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing,weighted", [(0.0, False), (0.2, False), (0.0, True), (0.3, True)])
def test_cross_entropy_probabilities_match_torch(smoothing, weighted, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z, q = rng.standard_normal((3, 5, 2)), rng.dirichlet(np.ones(5), (3, 2)).transpose(0, 2, 1).copy()
    wc = cr.tensor(D["weight"]) if weighted else None
    wt = torch.tensor(D["weight"]) if weighted else None
    zc, qc = cr.tensor(z, requires_grad=True), cr.tensor(q, requires_grad=True)
    zt, qt = torch.tensor(z, requires_grad=True), torch.tensor(q, requires_grad=True)
    lc = F.cross_entropy(zc, qc, wc, reduction=reduction, label_smoothing=smoothing)
    lt = torch.nn.functional.cross_entropy(zt, qt, wt, reduction=reduction, label_smoothing=smoothing)
    u = rng.standard_normal(tuple(lt.shape))
    (lc * cr.tensor(u)).sum().backward()
    (lt * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(lc.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(zc.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(qc.grad.numpy(), qt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_gaussian_nll_homoscedastic_and_clamped_match_torch():
    torch = pytest.importorskip("torch")
    x, y = D["x"], D["y"]
    for var in (D["var"][:, 0].copy(), D["var"][:, :1].copy(), np.full((N, C), 1e-8)):
        vc, vt = cr.tensor(var, requires_grad=True), torch.tensor(var, requires_grad=True)
        lc = F.gaussian_nll_loss(cr.tensor(x), cr.tensor(y), vc)
        lt = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(y), vt)
        lc.backward()
        lt.backward()
        np.testing.assert_allclose(lc.numpy(), lt.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(vc.grad.numpy(), vt.grad.numpy(), rtol=1e-10)


def test_cross_entropy_hessian_is_the_softmax_covariance():
    # Forward over reverse through class_nll and its adjoint (their batching rules): each
    # sample's block of the Hessian is (diag p - p pᵀ)/N, and samples do not interact.
    z, y = RNG.standard_normal((3, 4)), np.array([1, 0, 3])
    hessian = cr.hessian(lambda v: F.cross_entropy(v, y))(cr.tensor(z)).numpy()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    expected = np.zeros((3, 4, 3, 4))
    for n in range(3):
        expected[n, :, n, :] = (np.diag(p[n]) - np.outer(p[n], p[n])) / 3
    np.testing.assert_allclose(hessian, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_cross_entropy_jacobians_agree_in_both_modes(reduction):
    z, y = RNG.standard_normal((3, 3, 2)), np.array([[0, 2], [1, 1], [2, 0]])        # (N×C×d1), targets (N×d1)
    f = lambda v: F.cross_entropy(v, y, reduction=reduction)                           # noqa: E731
    rev, fwd = cr.jacrev(f)(cr.tensor(z)).numpy(), cr.jacfwd(f)(cr.tensor(z)).numpy()
    np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-14)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    onehot = np.moveaxis(np.eye(3)[y], -1, 1)                                          # (N×C×d1)
    if reduction == "sum":
        np.testing.assert_allclose(rev, p - onehot, rtol=1e-12, atol=1e-14)
    else:                                  # d ℓ_{n,d} / d z_{m,c,e} = [n = m][d = e] (p - onehot)
        for n, d in np.ndindex(3, 2):
            expected = np.zeros((3, 3, 2))
            expected[n, :, d] = (p - onehot)[n, :, d]
            np.testing.assert_allclose(rev[n, d], expected, rtol=1e-12, atol=1e-14)


def test_an_ignore_index_inside_the_class_range_is_honoured():
    # the common-case test compares ignore_index with the targets' range, not with the classes
    z = cr.tensor(RNG.standard_normal((4, 3)))
    y = np.array([0, 1, 2, 1])
    plain = F.cross_entropy(z, y, ignore_index=5).item()
    kept = F.cross_entropy(z, y, ignore_index=2).item()           # drops the third sample
    logp = z.numpy() - np.log(np.exp(z.numpy()).sum(1, keepdims=True))
    np.testing.assert_allclose(plain, -logp[np.arange(4), y].mean(), rtol=1e-12)
    np.testing.assert_allclose(kept, -logp[[0, 1, 3], [0, 1, 1]].mean(), rtol=1e-12)
