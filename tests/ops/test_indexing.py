"""The indexing chapter: values against NumPy, adjoints (repeated indices accumulate),
batching, errors, Tensor methods and PyTorch parity.

Derivatives are also checked by the specs (``specs/indexing.py``) against central
differences; here are the particular adjoints a reader can verify by hand.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.testing import check_grads
from adjoints import grad_of_sum, t64

RNG = np.random.default_rng(1)


MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
INDICES = [
    1, -1, (2, -1), slice(None, None, 2), (slice(None, None, -1), slice(1, None, -1)), (-1, slice(-3, -1)),
    (None, Ellipsis, 0), Ellipsis, MASK, np.array([True, False, True]), [2, 0], [0, 0, 1],
    np.array([[0, 1], [1, 1]]), (slice(None), [1, 0, 1]), ([0, 2, 2], [1, 1, 3]), ([0, 1], slice(1, 3)),
    (0, slice(None), [1, 0]), ([0, 1], None, [1, 2]),
]


# ----------------------------------------------------------------------------- getitem
class TestGetitem:
    @pytest.mark.parametrize("index", INDICES, ids=[repr(i)[:30] for i in INDICES])
    def test_values_and_adjoint_match_numpy(self, index):
        a = RNG.standard_normal((3, 4, 2)) if not (isinstance(index, np.ndarray) and index.ndim == 2
                                                   and index.dtype == bool) else RNG.standard_normal((3, 4))
        want = a[index]
        np.testing.assert_array_equal(t64(a)[index].numpy(), want)
        w = RNG.standard_normal(np.shape(want))
        adjoint = np.zeros_like(a)
        np.add.at(adjoint, index, w)                  # Sᵀ w, with repeats accumulating
        np.testing.assert_array_equal(grad_of_sum(lambda v: v[index], a, w), adjoint)

    def test_repeated_indices_accumulate(self):
        np.testing.assert_array_equal(grad_of_sum(lambda v: v[[0, 0, 1]], [5.0, 6.0, 7.0]), [2, 1, 0])
        np.testing.assert_array_equal(grad_of_sum(lambda v: v[np.array([[2, 2], [2, 0]])], [5.0, 6.0, 7.0]),
                                      [1, 0, 3])

    def test_index_given_as_tensor_or_list(self):
        a = RNG.standard_normal(4)
        np.testing.assert_array_equal(t64(a)[cr.tensor([3, 3, 0])].numpy(), a[[3, 3, 0]])
        np.testing.assert_array_equal(t64(a)[t64(a) > 0].numpy(), a[a > 0])
        np.testing.assert_array_equal(t64(a)[[True, False, True, True]].numpy(), a[[True, False, True, True]])

    def test_scalar_indexing(self):
        assert t64(2.0)[None].shape == (1,)
        assert t64(2.0)[...].item() == 2.0
        assert cr.grad(lambda v: v[None][0] * 3.0)(t64(2.0)).item() == 3.0

    def test_higher_order_through_repeated_indices(self):
        # f(x) = sum(x[[0, 0, 1]]**3) = 2 x0³ + x1³: Hessian diag(12 x0, 6 x1, 0)
        x = np.array([1.0, 2.0, 3.0])
        hess = cr.hessian(lambda v: cr.sum(v[[0, 0, 1]] ** 3))(t64(x)).numpy()
        np.testing.assert_allclose(hess, np.diag([12.0, 12.0, 0.0]))
        check_grads(lambda v: v[[0, 0, 1]] * v[[2, 1, 1]], [x], order=2)

    @pytest.mark.parametrize("index", [(0, slice(None), [1, 0]), ([0, 1], slice(None), 0), ([1, 1], None, [0, 2]),
                                       (Ellipsis, [0, 0, 1]), MASK])
    def test_vmap_and_jacobians_agree_with_a_loop(self, index):
        # advanced indices separated by a slice move to the front: the batch rule moves the
        # batch axis back instead of looping
        a = RNG.standard_normal((5, 3, 4, 2))
        got = cr.vmap(lambda v: v[index])(t64(a)).numpy()
        np.testing.assert_array_equal(got, np.stack([row[index] for row in a]))
        grads = cr.vmap(cr.grad(lambda v: cr.sum(v[index] ** 2)))(t64(a)).numpy()
        np.testing.assert_allclose(grads, np.stack([cr.grad(lambda v: cr.sum(v[index] ** 2))(t64(r)).numpy()
                                                    for r in a]))
        jac = cr.jacrev(lambda v: v[index])(t64(a[0])).numpy()
        np.testing.assert_allclose(jac, cr.jacfwd(lambda v: v[index])(t64(a[0])).numpy())

    def test_out_of_range_names_the_tensor(self):
        x = t64(np.ones((3, 2)))
        with pytest.raises(cr.ShapeError, match=r"getitem: index 5 is out of bounds for axis 0 with size 3; "
                                                r"the tensor has shape \(3×2\)"):
            x[5]
        with pytest.raises(cr.ShapeError, match=r"getitem: index -3 is out of bounds for axis 1 .*\(3×2\)"):
            x[:, -3]
        with pytest.raises(cr.ShapeError, match=r"getitem: index 4 is out of bounds"):
            x[[0, 4]]
        with pytest.raises(cr.ShapeError, match=r"too many indices .*\(3×2\)"):
            x[0, 0, 0]

    def test_boolean_mask_of_the_wrong_shape(self):
        with pytest.raises(cr.ShapeError, match=r"getitem: boolean index did not match indexed array along axis 0; "
                                                r"size of axis is 3 but size of corresponding boolean axis is 2"):
            t64(np.ones((3, 2)))[np.array([True, False])]
        with pytest.raises(cr.ShapeError, match="boolean index did not match"):
            cr.grad(lambda v: cr.sum(v[np.array([True, False])]))(t64(np.ones(3)))

    def test_batched_index_tensor_is_refused_inside_vmap(self):
        with pytest.raises(cr.ShapeError, match="getitem: indexing with a batched index tensor inside vmap"):
            cr.vmap(lambda v, i: v[i], in_axes=(None, 0))(t64(np.ones(3)), cr.tensor([[0], [1]]))


def test_take():
    a = RNG.standard_normal((3, 4))
    np.testing.assert_array_equal(cr.take(t64(a), [5, 5, 0]).numpy(), np.take(a, [5, 5, 0]))
    np.testing.assert_array_equal(t64(a).take([3, 1], axis=1).numpy(), np.take(a, [3, 1], axis=1))
    np.testing.assert_array_equal(grad_of_sum(lambda v: cr.take(v, [1, 1], axis=0), a),
                                  [[0] * 4, [2] * 4, [0] * 4])


# ----------------------------------------------------------------------------- take_along_axis
class TestTakeAlongAxis:
    @pytest.mark.parametrize("shape, index_shape, axis", [((3, 4), (2, 4), 0), ((3, 4), (3, 6), 1), ((3, 4), (5, 1), 0),
                                                          ((2, 3, 4), (2, 3, 2), -1), ((2, 3, 4), (1, 5, 4), 1)])
    def test_values_and_adjoint_match_numpy(self, shape, index_shape, axis):
        a = RNG.standard_normal(shape)
        idx = RNG.integers(-shape[axis], shape[axis], index_shape)
        want = np.take_along_axis(a, idx, axis)
        np.testing.assert_array_equal(cr.take_along_axis(t64(a), idx, axis).numpy(), want)
        w = RNG.standard_normal(want.shape)
        # the adjoint by hand: coordinates of every output element, the axis one from idx
        coords = list(np.indices(want.shape, sparse=True))
        coords[axis % a.ndim] = idx
        adjoint = np.zeros_like(a)
        np.add.at(adjoint, tuple(np.broadcast_arrays(*coords)), w)
        np.testing.assert_allclose(grad_of_sum(lambda v: cr.take_along_axis(v, idx, axis), a, w), adjoint)

    def test_repeated_indices_accumulate(self):
        x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        idx = np.array([[0, 0, 0, 2], [1, 2, 1, 1]])
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.take_along_axis(v, idx, 1), x),
                                      [[3, 0, 1], [0, 3, 1]])

    def test_flattened_and_tensor_indices(self):
        a = RNG.standard_normal((2, 3))
        np.testing.assert_array_equal(cr.take_along_axis(t64(a), [5, 0, 5], None).numpy(),
                                      np.take_along_axis(a, np.array([5, 0, 5]), None))
        idx = cr.tensor([[2], [0]])
        np.testing.assert_array_equal(t64(a).take_along_axis(idx, 1).numpy(), np.take_along_axis(a, idx.numpy(), 1))

    def test_errors(self):
        x = t64(np.ones((3, 4)))
        with pytest.raises(cr.ShapeError, match=r"take_along_axis: indices \(4\) \(rank 1\) and tensor \(3×4\) "
                                                r"\(rank 2\) must have the same rank"):
            cr.take_along_axis(x, np.array([0, 1, 2, 0]), 1)
        with pytest.raises(cr.ShapeError, match="take_along_axis: indices must be integers"):
            cr.take_along_axis(x, np.zeros((3, 1)), 1)
        with pytest.raises(cr.ShapeError, match="with axis=None the indices must be 1-D"):
            cr.take_along_axis(x, np.zeros((3, 1), dtype=int), None)
        with pytest.raises(cr.ShapeError, match=r"indices \(2×1\) do not broadcast against \(3×4\) outside axis 1"):
            cr.take_along_axis(x, np.zeros((2, 1), dtype=int), 1)
        with pytest.raises(cr.ShapeError, match=r"take_along_axis: an index is out of range for axis 1 of length 4"):
            cr.take_along_axis(x, np.full((3, 1), 4), 1)


# ----------------------------------------------------------------------------- diagonals and triangles
class TestDiagonals:
    @pytest.mark.parametrize("shape, offset, axis1, axis2", [((3, 3), 0, 0, 1), ((3, 4), 1, 0, 1), ((4, 3), -2, 0, 1),
                                                             ((3, 4), 5, 0, 1), ((2, 3, 4), 0, 1, 2),
                                                             ((2, 3, 4), -1, 2, 0), ((2, 3, 4), 1, -1, -3)])
    def test_diagonal_and_trace_match_numpy(self, shape, offset, axis1, axis2):
        a = RNG.standard_normal(shape)
        np.testing.assert_array_equal(cr.diagonal(t64(a), offset, axis1, axis2).numpy(),
                                      np.diagonal(a, offset, axis1, axis2))
        np.testing.assert_allclose(cr.trace(t64(a), offset, axis1, axis2).numpy(), np.trace(a, offset, axis1, axis2))

    def test_gradient_of_the_trace_is_the_identity(self):
        np.testing.assert_array_equal(cr.grad(cr.trace)(t64(np.ones((3, 3)))).numpy(), np.eye(3))
        np.testing.assert_array_equal(cr.grad(lambda v: cr.trace(v, 1))(t64(np.ones((3, 4)))).numpy(),
                                      np.eye(3, 4, 1))
        w = RNG.standard_normal(2)
        np.testing.assert_array_equal(grad_of_sum(lambda v: cr.diagonal(v, -1), np.ones((3, 2)), w),
                                      [[0, 0], [w[0], 0], [0, w[1]]])

    @pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
    @pytest.mark.parametrize("shape", [(3, 3), (3, 5), (4, 2), (2, 3, 4)])
    def test_triu_tril_match_numpy_and_keep_the_same_triangle_of_the_gradient(self, shape, k):
        a = RNG.standard_normal(shape)
        w = RNG.standard_normal(shape)
        for ours, theirs in ((cr.triu, np.triu), (cr.tril, np.tril)):
            np.testing.assert_array_equal(ours(t64(a), k).numpy(), theirs(a, k))
            np.testing.assert_array_equal(grad_of_sum(lambda v: ours(v, k), a, w), theirs(w, k))

    def test_triangle_of_a_matrix_with_infinities_has_no_nan(self):
        a = np.array([[1.0, 2.0], [np.inf, 3.0]])
        np.testing.assert_array_equal(cr.triu(t64(a)).numpy(), np.triu(a))
        np.testing.assert_array_equal(cr.tril(t64(a.T)).numpy(), np.tril(a.T))

    def test_integer_triangles_stay_integers(self):
        a = np.arange(9).reshape(3, 3)
        assert cr.triu(cr.tensor(a)).dtype == np.int64
        np.testing.assert_array_equal(cr.tril(cr.tensor(a), -1).numpy(), np.tril(a, -1))

    def test_under_vmap(self):
        a = RNG.standard_normal((4, 3, 3))
        np.testing.assert_array_equal(cr.vmap(cr.triu)(t64(a)).numpy(), np.triu(a))
        np.testing.assert_array_equal(cr.vmap(lambda v: cr.diagonal(v, 1))(t64(a)).numpy(),
                                      np.diagonal(a, 1, 1, 2))
        np.testing.assert_allclose(cr.vmap(cr.trace)(t64(a)).numpy(), np.trace(a, 0, 1, 2))

    def test_errors(self):
        v = t64(np.ones(3))
        for op in (cr.diagonal, cr.triu, cr.tril, cr.trace):
            with pytest.raises(cr.ShapeError, match=r"needs a tensor of at least 2 dimensions .* got shape \(3\)"):
                op(v)
        with pytest.raises(cr.ShapeError, match="diagonal: axis1 and axis2 are both 1"):
            cr.diagonal(t64(np.ones((2, 2))), 0, 1, -1)
        with pytest.raises(cr.ShapeError, match="diagonal: axis 2 is out of range"):
            cr.diagonal(t64(np.ones((2, 2))), 0, 0, 2)


def test_tensor_methods():
    a = RNG.standard_normal((3, 4))
    x = t64(a)
    np.testing.assert_array_equal(x.diagonal(1).numpy(), a.diagonal(1))
    np.testing.assert_allclose(x.trace().numpy(), a.trace())
    np.testing.assert_array_equal(x.triu(1).numpy(), np.triu(a, 1))
    np.testing.assert_array_equal(x.tril().numpy(), np.tril(a))
    np.testing.assert_array_equal(x.take([0, 0]).numpy(), a.take([0, 0]))


# ----------------------------------------------------------------------------- PyTorch parity (float64)
def _torch_pair(op_cr, op_torch, a):
    """Values and gradients of sum(w * op(x)) in chainrule and PyTorch, for a random w."""
    torch = pytest.importorskip("torch")
    out_c = op_cr(t64(a))
    w = RNG.standard_normal(out_c.shape)
    xt = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    out_t = op_torch(xt)
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_of_sum(op_cr, a, w), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", ["diagonal", "diagonal batched", "triu", "tril", "trace", "gather",
                                  "take_along_dim", "index repeated", "index mask"])
def test_against_pytorch(case):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((3, 4, 5))
    idx = RNG.integers(0, 4, (3, 6, 5))
    mask = a[0] > 0
    ops = {
        "diagonal": (lambda v: cr.diagonal(v, 1), lambda t: torch.diagonal(t, 1)),
        "diagonal batched": (lambda v: cr.diagonal(v, -1, 1, 2), lambda t: torch.diagonal(t, -1, 1, 2)),
        "triu": (lambda v: cr.triu(v, 1), lambda t: torch.triu(t, 1)),
        "tril": (lambda v: cr.tril(v, -1), lambda t: torch.tril(t, -1)),
        "trace": (lambda v: cr.trace(v[0]), lambda t: torch.trace(t[0])),
        "gather": (lambda v: cr.take_along_axis(v, idx, 1), lambda t: torch.gather(t, 1, torch.tensor(idx))),
        "take_along_dim": (lambda v: cr.take_along_axis(v, idx[:1, :, :1], 1),
                           lambda t: torch.take_along_dim(t, torch.tensor(idx[:1, :, :1]), 1)),
        "index repeated": (lambda v: v[[0, 0, 2], :, [1, 1, 4]], lambda t: t[[0, 0, 2], :, [1, 1, 4]]),
        "index mask": (lambda v: v[:, mask], lambda t: t[:, torch.tensor(mask)]),
    }
    _torch_pair(*ops[case], a)
