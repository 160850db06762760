"""The shape chapter: values against NumPy, adjoints, errors, Tensor methods, PyTorch parity.

Derivatives of every operation are also checked by the specs (``specs/shape.py``) against
central differences; the tests here state particular adjoints (which element receives
which cotangent), the argument forms NumPy accepts, and the error messages.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import check_grads
from adjoints import grad_of_sum, t64

RNG = np.random.default_rng(0)


# ----------------------------------------------------------------------------- existing operations
class TestReshapeAndPermutations:
    def test_reshape_forms(self):
        a = RNG.standard_normal((2, 3, 4))
        np.testing.assert_array_equal(cr.reshape(t64(a), 4, -1).numpy(), a.reshape(4, -1))
        np.testing.assert_array_equal(t64(a).reshape((6, 4)).numpy(), a.reshape(6, 4))
        np.testing.assert_array_equal(cr.reshape(t64(2.0), (1, 1)).numpy(), np.reshape(2.0, (1, 1)))

    def test_reshape_errors(self):
        with pytest.raises(cr.ShapeError, match=r"reshape: cannot reshape \(2×3\) \(6 elements\) into \(4\)"):
            cr.reshape(t64(np.ones((2, 3))), 4)
        with pytest.raises(cr.ShapeError, match="one dimension may be -1"):
            cr.reshape(t64(np.ones(6)), -1, -1)
        with pytest.raises(cr.ShapeError, match=r"none may be below it, got \(-2, -3\)"):
            cr.reshape(t64(np.ones(6)), -2, -3)       # their product is 6: NumPy would be asked

    @pytest.mark.parametrize("source, destination", [(0, -1), (-1, 0), ((0, 1), (2, 0)), ([2], [0])])
    def test_moveaxis_matches_numpy(self, source, destination):
        a = RNG.standard_normal((2, 3, 4))
        np.testing.assert_array_equal(cr.moveaxis(t64(a), source, destination).numpy(),
                                      np.moveaxis(a, source, destination))

    def test_moveaxis_needs_as_many_destinations(self):
        with pytest.raises(cr.ShapeError, match="moveaxis: 2 source axes but 1 destinations"):
            cr.moveaxis(t64(np.ones((2, 3, 4))), (0, 1), 2)

    def test_transpose_of_a_scalar_is_the_scalar_with_derivative_one(self):
        assert cr.grad(lambda x: cr.transpose(x) * 3.0)(t64(2.0)).item() == 3.0

    def test_transpose_rejects_a_non_permutation(self):
        with pytest.raises(cr.ShapeError, match="not a permutation"):
            cr.transpose(t64(np.ones((2, 3))), (0, 0))

    def test_expand_dims_squeeze_flatten_stack(self):
        a = RNG.standard_normal((2, 1, 3))
        np.testing.assert_array_equal(cr.expand_dims(t64(a), (0, 3)).numpy(), np.expand_dims(a, (0, 3)))
        np.testing.assert_array_equal(cr.squeeze(t64(a)).numpy(), np.squeeze(a))
        np.testing.assert_array_equal(cr.flatten(t64(a), 1).numpy(), a.reshape(2, 3))
        np.testing.assert_array_equal(cr.stack([t64(a), t64(a)], axis=-1).numpy(), np.stack([a, a], axis=-1))
        with pytest.raises(cr.ShapeError, match=r"squeeze: axis 0 of \(2×1×3\) has length 2, not 1"):
            cr.squeeze(t64(a), 0)

    def test_broadcast_to_adjoint_sums_the_copies(self):
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.broadcast_to(v, (4, 2, 3)), np.ones((2, 1))),
                                      np.full((2, 1), 12.0))
        with pytest.raises(cr.ShapeError, match=r"broadcast_to: cannot broadcast \(2×3\) to \(3×3\)"):
            cr.broadcast_to(t64(np.ones((2, 3))), (3, 3))

    def test_concatenate_adjoint_splits_the_cotangent(self):
        w = np.arange(5.0)
        grads = cr.grad(lambda a, b: cr.sum(cr.concatenate([a, b]) * cr.tensor(w)), argnums=(0, 1))(
            t64([1.0, 2.0]), t64([3.0, 4.0, 5.0]))
        np.testing.assert_array_equal(grads[0].numpy(), w[:2])
        np.testing.assert_array_equal(grads[1].numpy(), w[2:])
        with pytest.raises(cr.ShapeError, match=r"concatenate: shapes \(2×3\), \(2×4\) differ outside axis 0"):
            cr.concatenate([t64(np.ones((2, 3))), t64(np.ones((2, 4)))])


# ----------------------------------------------------------------------------- split
class TestSplit:
    @pytest.mark.parametrize("how, axis", [(3, 0), (2, 1), ([1, 3], 0), ([-1], 1), ([0, 0, 5], 0),
                                           ([2, 10], -1), ([3, 1], 0)])
    def test_values_match_numpy(self, how, axis):
        a = RNG.standard_normal((6, 4))
        got = cr.split(t64(a), how, axis=axis)
        want = np.split(a, how, axis=axis)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)

    def test_unused_pieces_get_zero_gradient(self):
        x = np.arange(6.0)
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.split(v, 3)[1], x), [0, 0, 1, 1, 0, 0])
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.split(v, [1, 5])[2] * 2.0, x), [0, 0, 0, 0, 0, 2])

    def test_unused_pieces_with_backward(self):
        x = cr.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
        first, _, last = cr.split(x, [1, 3], axis=1)
        cr.sum(first * 3.0 + last).backward()
        np.testing.assert_array_equal(x.grad.numpy(), [[3, 0, 0, 1], [3, 0, 0, 1]])

    def test_overlapping_pieces_accumulate(self):
        # decreasing indices: pieces x[:3], x[3:1] (empty), x[1:] overlap on x[1:3]
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.concatenate(cr.split(v, [3, 1])), np.ones(5)),
                                      [1, 2, 2, 1, 1])

    def test_second_derivative_through_split(self):
        # f = x0 * x1 on the two halves of a vector: the Hessian couples the halves
        f = lambda v: cr.sum(cr.split(v, 2)[0] * cr.split(v, 2)[1])  # noqa: E731
        hess = cr.hessian(f)(t64([1.0, 2.0, 3.0, 4.0])).numpy()
        want = np.zeros((4, 4))
        want[0, 2] = want[2, 0] = want[1, 3] = want[3, 1] = 1.0
        np.testing.assert_allclose(hess, want)

    def test_split_under_vmap_and_forward_mode(self):
        a = RNG.standard_normal((5, 6))
        got = cr.vmap(lambda v: cr.split(v, [2])[1])(t64(a)).numpy()
        np.testing.assert_array_equal(got, a[:, 2:])
        _, tangent = cr.jvp(lambda v: cr.split(v, 3)[2], (t64(np.ones(6)),), (t64(np.arange(6.0)),))
        np.testing.assert_array_equal(tangent.numpy(), [4.0, 5.0])
        check_grads(lambda v: cr.split(v, 3, axis=1)[0] * cr.split(v, 3, axis=1)[2], [a], order=2)

    def test_errors(self):
        with pytest.raises(cr.ShapeError, match=r"split: axis 0 of \(7\) has length 7, which does not divide "
                                                r"into 3 equal sections"):
            cr.split(t64(np.ones(7)), 3)
        with pytest.raises(cr.ShapeError, match="number of sections must be positive"):
            cr.split(t64(np.ones(4)), 0)
        with pytest.raises(cr.ShapeError, match="zero-dimensional"):
            cr.split(t64(1.0), 1)
        with pytest.raises(cr.ShapeError, match="split: axis 2 is out of range"):
            cr.split(t64(np.ones((2, 2))), 2, axis=2)


# ----------------------------------------------------------------------------- pad
class TestPad:
    @pytest.mark.parametrize("width", [1, (2,), (1, 2), ((1, 2),), ((0, 1), (2, 0), (1, 1)), np.array([[1, 0]])])
    @pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
    def test_values_match_numpy(self, width, mode):
        a = RNG.standard_normal((3, 4, 2))
        np.testing.assert_array_equal(cr.pad(t64(a), width, mode=mode).numpy(), np.pad(a, width, mode=mode))

    def test_wide_reflections_match_numpy(self):
        a = RNG.standard_normal(3)
        for mode in ("reflect", "symmetric", "wrap", "edge"):
            np.testing.assert_array_equal(cr.pad(t64(a), (7, 5), mode=mode).numpy(), np.pad(a, (7, 5), mode=mode))

    def test_constant_values(self):
        a = RNG.standard_normal((2, 3))
        np.testing.assert_array_equal(cr.pad(t64(a), 1, constant_values=-2.5).numpy(),
                                      np.pad(a, 1, constant_values=-2.5))
        np.testing.assert_array_equal(cr.pad(t64(a), 1, constant_values=((1, 2), (3, 4))).numpy(),
                                      np.pad(a, 1, constant_values=((1, 2), (3, 4))))
        # the constant does not depend on x: the gradient is still 1 on the interior
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.pad(v, 2, constant_values=7.0), a), np.ones((2, 3)))

    def test_pytorch_aliases(self):
        a = RNG.standard_normal((2, 3))
        np.testing.assert_array_equal(cr.pad(t64(a), 1, mode="replicate").numpy(), np.pad(a, 1, mode="edge"))
        np.testing.assert_array_equal(cr.pad(t64(a), 1, mode="circular").numpy(), np.pad(a, 1, mode="wrap"))

    @pytest.mark.parametrize("mode, want", [("constant", [1, 1, 1]), ("reflect", [1, 3, 1]),
                                            ("symmetric", [2, 1, 2]), ("edge", [2, 1, 2]), ("wrap", [2, 1, 2])])
    def test_adjoint_adds_each_copy_onto_its_source(self, mode, want):
        # padding [a, b, c] by one: reflect gives [b, a, b, c, b], so b is used three times
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.pad(v, 1, mode=mode), [1.0, 2.0, 3.0]), want)

    def test_constant_pad_is_the_primitive_and_its_adjoint_slices(self):
        assert cr.pad.primitive.name == "pad" and cr.pad.primitive.kind == "linear"
        w = RNG.standard_normal((4, 6))
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.pad(v, ((1, 1), (2, 1))), np.ones((2, 3)), w),
                                      w[1:3, 2:5])

    def test_scalar_and_zero_width_return_the_input(self):
        x = t64(np.ones((2, 3)))
        assert cr.pad(x, 0) is x
        assert cr.pad(t64(1.5), 3).numpy() == np.pad(1.5, 3)
        assert cr.grad(lambda v: cr.pad(v, 2) * 2.0)(t64(1.5)).item() == 2.0

    def test_errors(self):
        x = t64(np.ones((2, 3)))
        with pytest.raises(cr.ShapeError, match="pad: pad widths must be non-negative"):
            cr.pad(x, -1)
        with pytest.raises(cr.ShapeError, match=r"pad: pad_width .* does not fit a tensor of shape \(2×3\)"):
            cr.pad(x, ((1, 1), (1, 1), (1, 1)))
        with pytest.raises(cr.ShapeError, match="pad: pad_width must be integers"):
            cr.pad(x, 1.5)
        with pytest.raises(ValueError, match="pad: unknown mode 'mirror'"):
            cr.pad(x, 1, mode="mirror")
        with pytest.raises(ValueError, match="constant_values is only used by mode 'constant'"):
            cr.pad(x, 1, mode="reflect", constant_values=1.0)
        with pytest.raises(cr.ShapeError, match=r"pad: cannot pad the empty axis 0 of \(0×3\)"):
            cr.pad(t64(np.ones((0, 3))), 1, mode="edge")


# ----------------------------------------------------------------------------- flip, roll, tile, repeat
class TestRearranging:
    @pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
    def test_flip(self, axis):
        a = RNG.standard_normal((2, 3, 4))
        np.testing.assert_array_equal(cr.flip(t64(a), axis).numpy(), np.flip(a, axis))
        w = RNG.standard_normal((2, 3, 4))
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.flip(v, axis), a, w), np.flip(w, axis))

    def test_flip_of_a_scalar(self):
        assert cr.flip(t64(2.0)).item() == 2.0
        assert cr.grad(lambda v: cr.flip(v) * 3.0)(t64(2.0)).item() == 3.0

    @pytest.mark.parametrize("shift, axis", [(2, None), (-7, None), (1, 0), (-1, 1), (5, -1), ((1, 2), (0, 2)),
                                             ((1, 1), (1, 1)), (0, 0), (3, (0, 1))])
    def test_roll(self, shift, axis):
        a = RNG.standard_normal((2, 3, 4))
        np.testing.assert_array_equal(cr.roll(t64(a), shift, axis).numpy(), np.roll(a, shift, axis))
        w = RNG.standard_normal((2, 3, 4))
        # the adjoint rolls back
        want = np.roll(w, -np.asarray(shift), axis) if axis is not None else np.roll(w, -shift)
        np.testing.assert_allclose(grad_of_sum(lambda v: cr.roll(v, shift, axis), a, w), want)

    @pytest.mark.parametrize("reps", [2, (2,), (1, 3), (2, 1, 2), (2, 2, 1, 1), 0])
    def test_tile(self, reps):
        a = RNG.standard_normal((2, 3))
        np.testing.assert_array_equal(cr.tile(t64(a), reps).numpy(), np.tile(a, reps))

    def test_tile_adjoint_sums_the_copies(self):
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.tile(v, (2, 3)), np.ones((2, 2))), np.full((2, 2), 6.0))
        np.testing.assert_array_equal(cr.tile(t64(1.5), (2, 2)).numpy(), np.tile(1.5, (2, 2)))

    @pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 1), ([2], 0), (0, 0),
                                               (np.array([3, 1]), 0)])
    def test_repeat(self, repeats, axis):
        a = RNG.standard_normal((2, 3))
        np.testing.assert_array_equal(cr.repeat(t64(a), repeats, axis).numpy(), np.repeat(a, repeats, axis))

    def test_repeat_adjoint_sums_the_copies(self):
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.repeat(v, [2, 0, 3]), [1.0, 2.0, 3.0]), [2, 0, 3])
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.repeat(v, 4, axis=1), np.ones((2, 2))),
                                      np.full((2, 2), 4.0))
        np.testing.assert_array_equal(cr.repeat(t64(1.5), 3).numpy(), np.repeat(1.5, 3))

    def test_errors(self):
        x = t64(np.ones((2, 3)))
        with pytest.raises(cr.ShapeError, match="repeat: repeats must be non-negative"):
            cr.repeat(x, -1)
        with pytest.raises(cr.ShapeError, match=r"repeat: 2 repeat counts for axis 1 of \(2×3\), which has length 3"):
            cr.repeat(x, [1, 2], axis=1)
        with pytest.raises(cr.ShapeError, match="repeat: repeats must be an int or a 1-D sequence of ints"):
            cr.repeat(x, 1.5)
        with pytest.raises(cr.ShapeError, match="tile: repetitions must be non-negative"):
            cr.tile(x, (1, -2))
        with pytest.raises(cr.ShapeError, match="flip: axis 2 is out of range"):
            cr.flip(x, 2)
        with pytest.raises(cr.ShapeError, match="roll: axis 3 is out of range"):
            cr.roll(x, 1, 3)


def test_tensor_methods():
    a = RNG.standard_normal((4, 3))
    x = t64(a)
    np.testing.assert_array_equal(x.flip(0).numpy(), np.flip(a, 0))
    np.testing.assert_array_equal(x.roll(1, 1).numpy(), np.roll(a, 1, 1))
    np.testing.assert_array_equal(x.repeat(2, 0).numpy(), a.repeat(2, 0))        # NumPy's meaning
    np.testing.assert_array_equal(x.tile((1, 2)).numpy(), np.tile(a, (1, 2)))
    assert [p.shape for p in x.split(2)] == [(2, 3), (2, 3)]
    np.testing.assert_array_equal(x.moveaxis(0, 1).numpy(), np.moveaxis(a, 0, 1))


def test_composites_inside_vmap_agree_with_a_loop():
    a = RNG.standard_normal((3, 4, 5))
    fns = [lambda v: cr.roll(v, 2, 1), lambda v: cr.tile(v, (2, 1)), lambda v: cr.repeat(v, [1, 2, 0, 1], 0),
           lambda v: cr.pad(v, 1, mode="reflect"), lambda v: cr.pad(v, (2, 0)), lambda v: cr.flip(v)]
    for f in fns:
        got = cr.vmap(f)(t64(a)).numpy()
        np.testing.assert_array_equal(got, np.stack([f(t64(row)).numpy() for row in a]))


# ----------------------------------------------------------------------------- PyTorch parity (float64)
def _torch_pair(op_cr, op_torch, a, w):
    """Values and gradients of sum(w * op(x)) in chainrule and PyTorch."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    out_t = op_torch(xt)
    (out_t * torch.tensor(w)).sum().backward()
    out_c = op_cr(t64(a))
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_of_sum(op_cr, a, w), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", ["flip", "roll", "roll2", "tile", "repeat", "repeat per element", "repeat flat"])
def test_against_pytorch(case):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 4, 2))
    ops = {
        "flip": (lambda v: cr.flip(v, (0, 2)), lambda t: torch.flip(t, (0, 2))),
        "roll": (lambda v: cr.roll(v, -3, 1), lambda t: torch.roll(t, -3, 1)),
        "roll2": (lambda v: cr.roll(v, (1, 2), (0, 1)), lambda t: torch.roll(t, (1, 2), (0, 1))),
        "tile": (lambda v: cr.tile(v, (2, 1, 3)), lambda t: torch.tile(t, (2, 1, 3))),
        "repeat": (lambda v: cr.repeat(v, 3, axis=1), lambda t: torch.repeat_interleave(t, 3, dim=1)),
        "repeat per element": (lambda v: cr.repeat(v, [2, 0, 1], axis=0),
                               lambda t: torch.repeat_interleave(t, torch.tensor([2, 0, 1]), dim=0)),
        "repeat flat": (lambda v: cr.repeat(v, 2), lambda t: torch.repeat_interleave(t, 2)),
    }
    op_cr, op_torch = ops[case]
    w = RNG.standard_normal(op_cr(t64(a)).shape)
    _torch_pair(op_cr, op_torch, a, w)


@pytest.mark.parametrize("torch_mode, mode", [("constant", "constant"), ("reflect", "reflect"),
                                               ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("shape, torch_pad", [((2, 3, 5), (1, 2)), ((2, 3, 4, 5), (1, 2, 2, 1))])
def test_pad_against_pytorch(torch_mode, mode, shape, torch_pad):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    a = RNG.standard_normal(shape)
    # F.pad lists (before, after) pairs from the last axis backwards
    pairs = [(0, 0)] * len(shape)
    for k in range(len(torch_pad) // 2):
        pairs[len(shape) - 1 - k] = (torch_pad[2 * k], torch_pad[2 * k + 1])
    w = RNG.standard_normal(np.pad(a, pairs).shape)
    _torch_pair(lambda v: cr.pad(v, pairs, mode=mode), lambda t: F.pad(t, torch_pad, mode=torch_mode), a, w)
