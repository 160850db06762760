"""Convolution: unfold/fold, conv1d/conv2d/conv_transpose2d and the Conv layers.

Values against loop references (chainrule/specs/conv.py), derivatives against central
differences in float64, errors by their messages, and — with torch installed — outputs
and gradients (input, weight, bias) against torch.nn with copied weights to 1e-10.
The registry tests check every spec of the chapter at order 2 and under vmap.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import ShapeError
from chainrule.ops import conv as C
from chainrule.specs.conv import conv2d_reference, conv_transpose2d_reference, fold_reference, unfold_reference
from chainrule.testing import check_grads

RNG = np.random.default_rng(7)


def randn(*shape):
    return RNG.standard_normal(shape)


def t64(a, requires_grad=False):
    return cr.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize("stride, padding, dilation, groups", [
    ((1, 1), 0, (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 1), 1, (2, 3), 1), ((2, 2), 1, (1, 1), 2),
    ((1, 2), ((0, 1), (2, 1)), (1, 1), 4)])
def test_conv2d_matches_the_loop_reference(stride, padding, dilation, groups):
    x, w, b = randn(2, 4, 7, 8), randn(8, 4 // groups, 3, 2), randn(8)
    pads = padding if isinstance(padding, int) or isinstance(padding[0], int) else None
    if pads is None:        # explicit asymmetric pairs go through the private core
        got = C._convolve(t64(x), t64(w), t64(b), stride, padding, dilation, groups).numpy()
    else:
        got = C.conv2d(t64(x), t64(w), t64(b), stride, padding, dilation, groups).numpy()
    np.testing.assert_allclose(got, conv2d_reference(x, w, b, stride, padding, dilation, groups), atol=1e-12)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(x, W), y> = <x, conv_transpose2d(y, W)>; output_padding restores the rows that
    # the strided windows never reach, so that the shapes agree
    for size, stride, padding, dilation, groups, extra in [((9, 10), 1, 0, 1, 1, 0), ((9, 10), 2, 1, 1, 2, 0),
                                                          ((10, 10), 2, 1, 1, 1, (1, 0)),
                                                          ((9, 12), (2, 3), (1, 2), (2, 1), 1, (0, 2))]:
        x, w = randn(2, 4, *size), randn(6, 4 // groups, 3, 2)
        y = C.conv2d(t64(x), t64(w), None, stride, padding, dilation, groups).numpy()
        g = randn(*y.shape)
        back = C.conv_transpose2d(t64(g), t64(w), None, stride, padding, extra, groups, dilation).numpy()
        assert back.shape == x.shape
        np.testing.assert_allclose(np.vdot(y, g), np.vdot(x, back), rtol=1e-10)


def test_conv_transpose2d_matches_the_loop_reference():
    x, w, b = randn(2, 4, 3, 5), randn(4, 3, 3, 2), randn(6)
    got = C.conv_transpose2d(t64(x), t64(w), t64(b), stride=(2, 1), padding=(1, 0), output_padding=(1, 0),
                             groups=2, dilation=(1, 2))
    want = conv_transpose2d_reference(x, w, b, (2, 1), (1, 0), (1, 0), 2, (1, 2))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_unfold_and_fold_are_adjoint():
    x = randn(2, 3, 6, 5)
    cols = C.unfold(t64(x), (2, 3), (2, 1), 1, (1, 2))
    np.testing.assert_allclose(cols.numpy(), unfold_reference(x, (2, 3), (2, 1), 1, (1, 2)), atol=0)
    u = randn(*cols.shape)
    folded = C.fold(t64(u), (6, 5), (2, 3), (2, 1), 1, (1, 2)).numpy()
    np.testing.assert_allclose(folded, fold_reference(u, (6, 5), (2, 3), (2, 1), 1, (1, 2)), atol=1e-12)
    np.testing.assert_allclose(np.vdot(cols.numpy(), u), np.vdot(x, folded), rtol=1e-12)


def test_float32_stays_float32():
    x, w = cr.tensor(randn(1, 2, 5, 5).astype(np.float32)), cr.tensor(randn(3, 2, 3, 3).astype(np.float32))
    assert C.conv2d(x, w, padding=1).dtype == np.float32
    assert C.conv_transpose2d(x, cr.tensor(randn(2, 3, 3, 3).astype(np.float32))).dtype == np.float32


# ----------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=(2, 1), padding="same"),
                                    dict(groups=2, stride=(1, 2)), dict(padding="valid")])
def test_conv2d_gradients_against_finite_differences(kwargs):
    x, w, b = randn(2, 4, 5, 6), randn(4, 4 // kwargs.get("groups", 1), 3, 2), randn(4)
    check_grads(lambda x, w, b: C.conv2d(x, w, b, **kwargs), [x, w, b], order=2)


def test_layers_gradients_against_finite_differences():
    for layer, shape in [(nn.Conv1d(3, 4, 3, stride=2, padding=2, dilation=2, dtype="float64"), (2, 3, 9)),
                         (nn.Conv2d(4, 2, (2, 3), padding="same", groups=2, dtype="float64"), (1, 4, 4, 5)),
                         (nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", dtype="float64"), (1, 2, 4, 4)),
                         (nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2,
                                             dtype="float64"), (1, 2, 3, 3))]:
        check_grads(lambda m, x: m(x), [layer, randn(*shape)], order=1)


def test_conv_transpose2d_gradients_against_finite_differences():
    x, w, b = randn(1, 2, 3, 3), randn(2, 3, 2, 3), randn(3)
    check_grads(lambda x, w, b: C.conv_transpose2d(x, w, b, stride=(2, 1), padding=(0, 1), output_padding=(1, 0),
                                                   dilation=(1, 2)), [x, w, b], order=2)


def test_hessian_vector_product_of_a_convolutional_loss():
    x, w = t64(randn(1, 2, 4, 4)), randn(3, 2, 2, 2)

    def loss(w):
        return (cr.tanh(C.conv2d(x, w, padding=1)) ** 2).sum()
    check_grads(loss, [w], order=2)


# ----------------------------------------------------------------------------- layers
def test_conv2d_layer_parameters_and_default_initialization():
    layer = nn.Conv2d(6, 4, (3, 5), groups=2)
    assert layer.weight.shape == (4, 3, 3, 5) and layer.bias.shape == (4,)
    bound = 1 / np.sqrt(3 * 3 * 5)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.8 * bound          # uniform over the whole interval
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(2, 2, 1, bias=False).bias is None
    assert nn.ConvTranspose2d(4, 6, 3, groups=2).weight.shape == (4, 3, 3, 3)
    assert nn.Conv1d(2, 5, 4).weight.shape == (5, 2, 4)
    assert "kernel_size=(3, 5)" in repr(layer) and "groups=2" in repr(layer)


def test_same_seed_gives_the_same_weights():
    a, b = nn.Conv2d(3, 4, 3, generator=5), nn.Conv2d(3, 4, 3, generator=5)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())


def test_unbatched_input_gives_unbatched_output():
    layer = nn.Conv2d(2, 3, 3, padding=1, dtype="float64")
    x = randn(2, 5, 4)
    np.testing.assert_allclose(layer(t64(x)).numpy(), layer(t64(x[None])).numpy()[0], atol=1e-14)
    assert nn.Conv1d(2, 3, 2, dtype="float64")(t64(randn(2, 6))).shape == (3, 5)


def test_conv_transpose_output_size_chooses_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = cr.tensor(randn(1, 2, 4, 4).astype(np.float32))
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="not reachable"):
        layer(x, output_size=(10, 8))


# ----------------------------------------------------------------------------- errors
def test_errors_name_the_operation_and_the_shapes():
    x, w = t64(randn(2, 3, 5, 5)), t64(randn(4, 3, 3, 3))
    with pytest.raises(ShapeError, match=r"conv2d: expected input of shape \(N×C×H×W\) or \(C×H×W\), "
                                         r"got input of shape \(5×5\)"):
        C.conv2d(t64(randn(5, 5)), w)
    with pytest.raises(ShapeError, match=r"has 2 channels, but weight \(4×3×3×3\) with groups=1 expects 3"):
        C.conv2d(t64(randn(2, 2, 5, 5)), w)
    with pytest.raises(ShapeError, match=r"groups=3 must divide the out_channels 4"):
        C.conv2d(t64(randn(2, 3, 5, 5)), t64(randn(4, 1, 3, 3)), groups=3)
    with pytest.raises(ShapeError, match=r"kernel size 3 .* is larger than the padded input .* 2 \+ padding 0\+0 = 2"):
        C.conv2d(t64(randn(1, 3, 2, 5)), w)
    with pytest.raises(ValueError, match="stride must be ≥ 1"):
        C.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match="padding must be ≥ 0"):
        C.conv2d(x, w, padding=-1)
    with pytest.raises(ValueError, match="padding must be an int, a pair of ints, 'valid' or 'same'"):
        C.conv2d(x, w, padding="full")
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        C.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ShapeError, match=r"bias must have shape \(4,\)"):
        C.conv2d(x, w, t64(randn(3)))
    with pytest.raises(ValueError, match="output_padding"):
        C.conv_transpose2d(x, t64(randn(3, 2, 3, 3)), stride=2, output_padding=2)


def test_layer_errors_name_the_layer():
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ShapeError, match=r"Conv2d\(3, 4, kernel_size=\(3, 3\).*\): input of shape \(1×2×5×5\) "
                                         r"has 2 channels"):
        layer(cr.tensor(randn(1, 2, 5, 5).astype(np.float32)))
    with pytest.raises(ShapeError, match=r"Conv1d\(.*\): expected input of shape \(N×C×W\) or \(C×W\)"):
        nn.Conv1d(3, 4, 3)(cr.tensor(randn(1, 3, 5, 5).astype(np.float32)))
    with pytest.raises(ShapeError, match=r"ConvTranspose2d\(.*\): expected input \(N×2×H×W\)"):
        nn.ConvTranspose2d(2, 4, 3)(cr.tensor(randn(1, 3, 5, 5).astype(np.float32)))
    with pytest.raises(ValueError, match="groups=2 must be positive and divide in_channels=3"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")


# ----------------------------------------------------------------------------- PyTorch
def _copy_from(torch_layer, layer):
    layer.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in torch_layer.state_dict().items()})


CONV_CASES = [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 7, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2), (2, 4, 8, 9)),
    ("Conv2d", (3, 3, 4), dict(padding="same", dilation=(2, 1), groups=3, bias=False), (1, 3, 9, 8)),
    ("Conv2d", (2, 5, 3), dict(padding="valid", stride=3), (2, 2, 10, 11)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (1, 2, 6, 7)),
    ("Conv2d", (2, 3, 2), dict(padding="same", padding_mode="replicate"), (1, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), dict(padding=(1, 2), padding_mode="circular", stride=2), (1, 2, 6, 7)),
    ("Conv2d", (3, 4, 1), {}, (2, 3, 4, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=1), (2, 5, 4)),
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1, dilation=2), (2, 3, 11)),
    ("Conv1d", (4, 4, 4), dict(padding="same", groups=4), (2, 4, 9)),
    ("Conv1d", (2, 3, 3), dict(padding=1, padding_mode="circular"), (2, 7)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2), (2, 4, 4, 5)),
    ("ConvTranspose2d", (2, 3, (2, 3)), dict(stride=(1, 3), padding=(0, 2), dilation=(2, 1), bias=False),
     (1, 2, 5, 4)),
    ("ConvTranspose2d", (2, 2, 3), dict(dilation=2, padding=1, output_padding=1), (2, 3, 3)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CONV_CASES,
                         ids=[f"{n}-{k}" for n, _, k, _ in CONV_CASES])
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_layers_match_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs, dtype="float64")
    _copy_from(theirs, ours)
    x = randn(*shape)
    X = torch.tensor(x, requires_grad=True)
    Y = theirs(X)
    g = randn(*Y.shape)
    Y.backward(torch.tensor(g))
    xt = t64(x, requires_grad=True)
    y = ours(xt)
    y.backward(t64(g))
    np.testing.assert_allclose(y.numpy(), Y.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), X.grad.numpy(), atol=1e-10)
    for (n1, p), (n2, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert n1 == n2
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-10, err_msg=n1)


def test_unfold_and_fold_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = randn(2, 3, 7, 6)
    np.testing.assert_allclose(C.unfold(t64(x), (2, 3), (1, 2), (1, 0), (2, 1)).numpy(),
                               F.unfold(torch.tensor(x), (2, 3), (1, 2), (1, 0), (2, 1)).numpy(), atol=0)
    u = randn(2, 3 * 6, 9)
    np.testing.assert_allclose(C.fold(t64(u), (5, 6), (2, 3), 1, 1, (2, 2)).numpy(),
                               F.fold(torch.tensor(u), (5, 6), (2, 3), 1, 1, (2, 2)).numpy(), atol=1e-12)


def test_functional_forms_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = randn(2, 4, 6, 7), randn(6, 2, 3, 3), randn(6)
    np.testing.assert_allclose(
        cr.nn.functional.conv2d(t64(x), t64(w), t64(b), 1, "same", 2, 2).numpy(),
        F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), 1, "same", 2, 2).numpy(), atol=1e-10)
    wt = randn(4, 3, 2, 2)
    np.testing.assert_allclose(
        cr.nn.functional.conv_transpose2d(t64(x), t64(wt), None, 2, 1, 1, 2, 1).numpy(),
        F.conv_transpose2d(torch.tensor(x), torch.tensor(wt), None, 2, 1, 1, 2, 1).numpy(), atol=1e-10)
