"""The Tensor (issue 2, §2): dtype rules, creation functions, attributes, conversions,
operators with tensors / Python numbers / NumPy arrays, broadcasting, in-place updates, repr.

Values are checked against NumPy computing the same thing; nothing here compares with
numbers produced by chainrule itself.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


@pytest.fixture
def float64_default():
    """Switch the default dtype to float64 for one test, and always restore it."""
    previous = cr.get_default_dtype()
    cr.set_default_dtype(cr.float64)
    try:
        yield
    finally:
        cr.set_default_dtype(previous)


# ----------------------------------------------------------------------------- dtype rules
class TestTensorDtype:
    def test_python_float_and_float_list_become_float32(self):
        assert cr.get_default_dtype() == np.float32
        assert cr.tensor(1.5).dtype == np.float32
        assert cr.tensor([1.0, 2.5]).dtype == np.float32
        assert cr.tensor([[1.0], [2.0]]).dtype == np.float32
        assert cr.tensor([1, 2.5]).dtype == np.float32      # a mixed list is a float list

    def test_python_ints_stay_integers_and_bools_stay_bool(self):
        assert cr.tensor(3).dtype == np.int64
        assert cr.tensor([1, 2, 3]).dtype == np.int64
        assert cr.tensor([True, False]).dtype == np.bool_

    def test_numpy_arrays_keep_their_dtype(self):
        for dtype in (np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_):
            a = np.zeros(3, dtype=dtype)
            assert cr.tensor(a).dtype == dtype
        assert cr.tensor(np.float64(2.0)).dtype == np.float64
        assert cr.tensor(np.int32(2)).dtype == np.int32

    def test_explicit_dtype_wins(self):
        assert cr.tensor([1, 2], dtype=cr.float64).dtype == np.float64
        assert cr.tensor(np.ones(2, np.float64), dtype=cr.float32).dtype == np.float32
        np.testing.assert_array_equal(cr.tensor([1.7, 2.2], dtype=cr.int64).numpy(), [1, 2])

    def test_set_default_dtype_changes_floats_and_creation(self, float64_default):
        assert cr.get_default_dtype() == np.float64
        assert cr.tensor(1.5).dtype == np.float64
        assert cr.tensor([1.0, 2.0]).dtype == np.float64
        assert cr.zeros(2).dtype == np.float64
        assert cr.rand(2, seed=0).dtype == np.float64
        assert cr.linspace(0, 1, 3).dtype == np.float64
        # ints are still ints, NumPy arrays still keep theirs
        assert cr.tensor([1, 2]).dtype == np.int64
        assert cr.tensor(np.ones(2, np.float32)).dtype == np.float32

    def test_set_default_dtype_rejects_non_floating(self):
        with pytest.raises(TypeError, match="floating"):
            cr.set_default_dtype(cr.int64)
        assert cr.get_default_dtype() == np.float32

    def test_tensor_of_a_tensor_is_a_detached_copy(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        c = cr.tensor(y)
        assert not c.requires_grad and c.is_leaf
        np.testing.assert_array_equal(c.numpy(), [2.0, 4.0])
        c.numpy()[0] = 100.0
        assert y.numpy()[0] == 2.0                      # a copy, not a view

    def test_tensor_of_an_array_is_a_copy(self):
        # torch.tensor and numpy.array copy: an optimizer's in-place step on a parameter
        # made from the caller's initial weights must leave those weights as they were
        w0 = np.ones((3, 2), np.float32)
        w = cr.tensor(w0, requires_grad=True)
        assert not np.shares_memory(w.numpy(), w0)
        with cr.no_grad():
            w -= 0.5
        np.testing.assert_array_equal(w0, 1.0)
        w0[0, 0] = 7.0
        assert w.numpy()[0, 0] == 0.5
        view = w0[:, 0]                                  # a view of the caller's array too
        assert not np.shares_memory(cr.tensor(view).numpy(), w0)

    def test_as_tensor_shares_an_array_of_the_same_dtype(self):
        a = np.zeros(3, np.float32)
        t = cr.as_tensor(a)
        a[1] = 2.0
        assert t.numpy()[1] == 2.0                       # torch.as_tensor: the same memory
        assert not np.shares_memory(cr.as_tensor(a, dtype=cr.float64).numpy(), a)

    def test_requires_grad_flag(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        assert x.requires_grad and x.is_leaf and x.grad is None
        assert not cr.tensor([1.0]).requires_grad


# ----------------------------------------------------------------------------- creation
class TestCreation:
    def test_constant_fills(self):
        z = cr.zeros(2, 3)
        assert z.shape == (2, 3) and z.dtype == np.float32
        np.testing.assert_array_equal(z.numpy(), np.zeros((2, 3)))
        assert cr.zeros((2, 3)).shape == (2, 3)
        o = cr.ones(4, dtype=cr.float64)
        assert o.dtype == np.float64
        np.testing.assert_array_equal(o.numpy(), np.ones(4))
        f = cr.full((2, 2), 7.5)
        np.testing.assert_array_equal(f.numpy(), np.full((2, 2), 7.5))
        assert f.dtype == np.float32
        assert cr.full(3, 1.0).shape == (3,)
        assert cr.empty(3, 2).shape == (3, 2)
        assert cr.empty(3, 2).dtype == np.float32
        assert cr.zeros(2, requires_grad=True).requires_grad

    def test_arange(self):
        a = cr.arange(5)
        assert a.dtype == np.int64
        np.testing.assert_array_equal(a.numpy(), np.arange(5))
        np.testing.assert_array_equal(cr.arange(2, 9, 3).numpy(), np.arange(2, 9, 3))
        f = cr.arange(0.0, 1.0, 0.25)
        assert f.dtype == np.float32
        np.testing.assert_allclose(f.numpy(), [0.0, 0.25, 0.5, 0.75])
        assert cr.arange(3, dtype=cr.float64).dtype == np.float64

    def test_linspace_and_eye(self):
        np.testing.assert_allclose(cr.linspace(-1, 1, 5).numpy(), np.linspace(-1, 1, 5), rtol=1e-6)
        assert cr.linspace(0, 1, 7).shape == (7,)
        np.testing.assert_array_equal(cr.eye(3).numpy(), np.eye(3))
        np.testing.assert_array_equal(cr.eye(2, 4).numpy(), np.eye(2, 4))
        assert cr.eye(3).dtype == np.float32

    def test_like_functions_follow_shape_and_dtype(self):
        x = cr.tensor(np.arange(6.0).reshape(2, 3))           # float64
        for fn, expected in ((cr.zeros_like, np.zeros((2, 3))), (cr.ones_like, np.ones((2, 3)))):
            t = fn(x)
            assert t.shape == (2, 3) and t.dtype == np.float64
            np.testing.assert_array_equal(t.numpy(), expected)
            assert fn(x, dtype=cr.float32).dtype == np.float32
        f = cr.full_like(x, 3.0)
        assert f.dtype == np.float64
        np.testing.assert_array_equal(f.numpy(), np.full((2, 3), 3.0))
        i = cr.zeros_like(cr.arange(3))
        assert i.dtype == np.int64

    def test_like_functions_are_constants_even_of_tracked_tensors(self):
        x = cr.ones(3, requires_grad=True)
        assert not cr.zeros_like(x).requires_grad
        assert cr.zeros_like(x, requires_grad=True).requires_grad

    @pytest.mark.parametrize("fn", [cr.rand, cr.randn])
    def test_same_seed_gives_bit_identical_draws(self, fn):
        a = fn(3, 4, seed=123)
        b = fn(3, 4, seed=123)
        assert a.shape == (3, 4) and a.dtype == np.float32
        assert a.numpy().tobytes() == b.numpy().tobytes()
        c = fn(3, 4, seed=124)
        assert not np.array_equal(a.numpy(), c.numpy())
        assert fn(2, seed=0, dtype=cr.float64).dtype == np.float64

    def test_rand_is_uniform_on_unit_interval_and_randn_matches_numpy(self):
        u = cr.rand(10_000, seed=0, dtype=cr.float64).numpy()
        assert u.min() >= 0.0 and u.max() < 1.0
        assert abs(u.mean() - 0.5) < 0.02
        # a Generator passed in is used as is: the same draws as NumPy's from that state
        expected = np.random.default_rng(7).standard_normal((5,))
        np.testing.assert_array_equal(cr.randn(5, seed=np.random.default_rng(7), dtype=cr.float64).numpy(),
                                      expected)

    def test_generator_state_advances(self):
        rng = np.random.default_rng(5)
        a = cr.randn(4, seed=rng)
        b = cr.randn(4, seed=rng)
        assert not np.array_equal(a.numpy(), b.numpy())
        rng2 = np.random.default_rng(5)
        assert cr.randn(4, seed=rng2).numpy().tobytes() == a.numpy().tobytes()
        assert cr.randn(4, seed=rng2).numpy().tobytes() == b.numpy().tobytes()

    def test_without_a_seed_draws_differ(self):
        # fresh entropy: two unseeded calls agreeing on 64 floats has probability ~0
        assert not np.array_equal(cr.rand(64).numpy(), cr.rand(64).numpy())
        assert not np.array_equal(cr.randn(64).numpy(), cr.randn(64).numpy())

    def test_random_draws_need_a_floating_dtype(self):
        # an int dtype would truncate draws in [0, 1) to zeros: refuse, as PyTorch does
        with pytest.raises(cr.DTypeError, match="floating"):
            cr.rand(3, dtype=cr.int64, seed=0)
        with pytest.raises(cr.DTypeError, match="floating"):
            cr.randn(3, dtype=cr.int32, seed=0)
        with pytest.raises(TypeError):
            cr.rand_like(cr.arange(3), seed=0)

    def test_randint(self):
        a = cr.randint(0, 5, (100,), seed=1)
        assert a.dtype == np.int64 and a.shape == (100,)
        assert a.numpy().min() >= 0 and a.numpy().max() < 5
        assert np.array_equal(a.numpy(), cr.randint(0, 5, (100,), seed=1).numpy())

    def test_rand_like_and_randn_like(self):
        x = cr.zeros(2, 3, dtype=cr.float64)
        r = cr.rand_like(x, seed=3)
        n = cr.randn_like(x, seed=3)
        assert r.shape == n.shape == (2, 3)
        assert r.dtype == n.dtype == np.float64
        assert r.numpy().tobytes() == cr.rand_like(x, seed=3).numpy().tobytes()
        assert n.numpy().tobytes() == cr.randn_like(x, seed=3).numpy().tobytes()


# ----------------------------------------------------------------------------- attributes
class TestAttributes:
    def test_shape_ndim_size_dtype_device(self):
        x = cr.tensor(np.zeros((2, 3, 4)))
        assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24
        assert x.dtype == np.float64 and x.device == "cpu"
        s = cr.tensor(1.0)
        assert s.shape == () and s.ndim == 0 and s.size == 1
        assert len(x) == 2
        with pytest.raises(TypeError):
            len(s)

    def test_transposes(self):
        a = np.arange(6.0).reshape(2, 3)
        x = cr.tensor(a)
        np.testing.assert_array_equal(x.T.numpy(), a.T)
        b = np.arange(24.0).reshape(2, 3, 4)
        np.testing.assert_array_equal(cr.tensor(b).mT.numpy(), np.swapaxes(b, -1, -2))
        np.testing.assert_array_equal(cr.tensor(b).T.numpy(), b.T)          # reverses all axes

    def test_is_leaf_and_grad(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        assert x.is_leaf and not y.is_leaf and y.requires_grad
        assert cr.tensor([1.0]).is_leaf

    def test_assigned_grad_must_match_the_tensor(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        x.grad = cr.tensor([0.5, -1.0])                    # as PyTorch: a Tensor of the same shape and dtype
        np.testing.assert_array_equal(x.grad.numpy(), [0.5, -1.0])
        bad = [(np.ones(2, np.float32), TypeError, "type ndarray"),
               (cr.tensor([1.0, 2.0, 3.0]), cr.ShapeError, r"shape \(3\) to a tensor of shape \(2\)"),
               (cr.tensor(np.ones(2)), cr.DTypeError, "dtype float64 to a tensor of dtype float32")]
        for value, error, message in bad:
            with pytest.raises(error, match=message):
                x.grad = value
            np.testing.assert_array_equal(x.grad.numpy(), [0.5, -1.0])      # unchanged
        x.grad = None
        assert x.grad is None

    def test_detach(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        d = y.detach()
        assert not d.requires_grad and d.is_leaf
        np.testing.assert_array_equal(d.numpy(), [3.0, 6.0])
        assert np.shares_memory(d.numpy(), y.numpy())        # PyTorch: detach shares storage

    def test_numpy_item_tolist_astype(self):
        a = np.array([[1.0, 2.0], [3.0, 4.0]])
        x = cr.tensor(a)
        assert isinstance(x.numpy(), np.ndarray)
        np.testing.assert_array_equal(x.numpy(), a)
        assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        v = cr.tensor(2.5).item()
        assert v == 2.5 and isinstance(v, float)
        assert cr.tensor([[7]]).item() == 7 and isinstance(cr.tensor([[7]]).item(), int)
        with pytest.raises(ValueError, match="one-element"):
            x.item()
        y = x.astype(cr.float32)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y.numpy(), a.astype(np.float32))
        assert float(cr.tensor(1.5)) == 1.5 and int(cr.tensor(3)) == 3

    def test_astype_is_differentiable_between_floats(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)            # float32
        (x.astype(cr.float64) ** 2).sum().backward()
        assert x.grad.dtype == np.float32
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])

    def test_array_protocol(self):
        a = np.arange(6.0).reshape(2, 3)
        x = cr.tensor(a)
        np.testing.assert_array_equal(np.asarray(x), a)
        assert np.asarray(x, dtype=np.float32).dtype == np.float32
        np.testing.assert_array_equal(np.array(x) + 1, a + 1)

    def test_bool_of_multi_element_is_ambiguous(self):
        assert bool(cr.tensor(1.0)) and not bool(cr.tensor(0.0))
        with pytest.raises(ValueError, match="ambiguous"):
            bool(cr.tensor([1.0, 2.0]))

    def test_iteration(self):
        rows = list(cr.tensor(np.arange(6.0).reshape(3, 2)))
        assert len(rows) == 3
        np.testing.assert_array_equal(rows[2].numpy(), [4.0, 5.0])


# ----------------------------------------------------------------------------- operators
A = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]])
B = np.array([[1.5, 2.0, -0.5], [0.5, -2.5, 1.25]])
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: abs(a) ** b),
]


class TestOperators:
    @pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
    def test_tensor_tensor(self, name, op):
        got = op(cr.tensor(A), cr.tensor(B))
        assert isinstance(got, cr.Tensor)
        np.testing.assert_allclose(got.numpy(), op(A, B), rtol=1e-12)

    @pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
    def test_with_python_numbers_on_either_side(self, name, op):
        x = cr.tensor(A)
        left, right = op(x, 1.5), op(2.5, cr.tensor(np.abs(A) + 0.5))
        assert isinstance(left, cr.Tensor) and isinstance(right, cr.Tensor)
        np.testing.assert_allclose(left.numpy(), op(A, 1.5), rtol=1e-12)
        np.testing.assert_allclose(right.numpy(), op(2.5, np.abs(A) + 0.5), rtol=1e-12)

    @pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
    def test_with_numpy_arrays_on_either_side(self, name, op):
        left = op(cr.tensor(A), B)
        right = op(A, cr.tensor(B))            # NumPy defers to the Tensor's reflected operator
        assert isinstance(left, cr.Tensor) and isinstance(right, cr.Tensor)
        np.testing.assert_allclose(left.numpy(), op(A, B), rtol=1e-12)
        np.testing.assert_allclose(right.numpy(), op(A, B), rtol=1e-12)

    @pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
    def test_pytorch_named_functions_and_methods(self, name, op):
        # cr.sub(x, y) and x.sub(y), as in PyTorch; pow gets the positive base op() uses
        a = np.abs(A) if name == "pow" else A
        for got in (getattr(cr, name)(cr.tensor(a), cr.tensor(B)), getattr(cr.tensor(a), name)(cr.tensor(B)),
                    getattr(cr.tensor(a), name)(B)):
            assert isinstance(got, cr.Tensor)
            np.testing.assert_allclose(got.numpy(), op(A, B), rtol=1e-12)

    def test_pytorch_names_are_the_numpy_named_primitives(self):
        # One implementation: the short names are the same primitives, so their derivatives
        # are the ones the catalogue checks (and a method call is differentiated through them).
        assert (cr.sub, cr.mul, cr.div, cr.neg, cr.pow) == (cr.subtract, cr.multiply, cr.divide, cr.negative,
                                                            cr.power)
        np.testing.assert_array_equal(cr.neg(cr.tensor(A)).numpy(), -A)
        np.testing.assert_array_equal(cr.tensor(A).neg().numpy(), -A)
        x, y = np.abs(A) + 0.5, B
        cr.testing.check_grads(lambda a, b: a.div(b).mul(a).sub(b).neg().add(a.pow(b)), (x, y), order=2)

    def test_python_scalars_keep_float32(self):
        x = cr.tensor([1.0, 2.0])
        for y in (x + 1.5, 2.0 * x, x / 3, 1 - x, x ** 2, -x):
            assert y.dtype == np.float32

    def test_mixed_float_dtypes_promote_as_numpy(self):
        x32 = cr.tensor(np.ones(2, np.float32))
        x64 = cr.tensor(np.ones(2, np.float64))
        assert (x32 + x64).dtype == np.float64
        assert (x32 * np.ones(2)).dtype == np.float64

    def test_matmul_with_tensors_and_arrays(self):
        M = np.arange(6.0).reshape(3, 2)
        np.testing.assert_allclose((cr.tensor(A) @ cr.tensor(M)).numpy(), A @ M)
        np.testing.assert_allclose((cr.tensor(A) @ M).numpy(), A @ M)
        r = A @ cr.tensor(M)
        assert isinstance(r, cr.Tensor)
        np.testing.assert_allclose(r.numpy(), A @ M)
        v = np.array([1.0, -2.0, 0.5])
        np.testing.assert_allclose((cr.tensor(A) @ cr.tensor(v)).numpy(), A @ v)

    def test_unary_neg_and_abs(self):
        np.testing.assert_array_equal((-cr.tensor(A)).numpy(), -A)
        np.testing.assert_array_equal(abs(cr.tensor(A)).numpy(), np.abs(A))

    def test_comparisons_are_boolean_and_not_differentiable(self):
        x = cr.tensor(A, requires_grad=True)
        y = cr.tensor(B)
        for got, expected in ((x < y, A < B), (x <= y, A <= B), (x > y, A > B), (x >= y, A >= B),
                              (x == y, A == B), (x != y, A != B), (x > 0.0, A > 0.0)):
            assert got.dtype == np.bool_
            assert not got.requires_grad
            np.testing.assert_array_equal(got.numpy(), expected)

    def test_comparisons_with_numbers_and_arrays_on_either_side(self):
        x = cr.tensor(A)
        for got, expected in ((0.5 < x, 0.5 < A), (B >= x, B >= A), (x == B, A == B), (1.0 != x, 1.0 != A)):
            assert isinstance(got, cr.Tensor) and got.dtype == np.bool_
            np.testing.assert_array_equal(got.numpy(), expected)

    def test_comparison_as_a_mask_passes_no_gradient(self):
        # d/dx [x * 1(x > 0)] = 1(x > 0): the mask is a constant
        g = cr.grad(lambda x: (x * (x > 0.0)).sum())(cr.tensor(A))
        np.testing.assert_array_equal(g.numpy(), (A > 0).astype(float))

    def test_broadcasting_follows_numpy(self):
        a = np.arange(3.0).reshape(3, 1)
        b = np.arange(4.0).reshape(1, 4)
        c = np.arange(4.0)
        np.testing.assert_array_equal((cr.tensor(a) + cr.tensor(b)).numpy(), a + b)
        np.testing.assert_array_equal((cr.tensor(a) * cr.tensor(c)).numpy(), a * c)
        assert (cr.ones(2, 1, 3) - cr.ones(4, 1)).shape == (2, 4, 3)

    def test_broadcast_gradients_are_summed_to_input_shapes(self):
        a = cr.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
        b = cr.tensor(np.arange(4.0), requires_grad=True)
        (a * b).sum().backward()
        assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
        np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), np.arange(4.0).sum()))
        np.testing.assert_allclose(b.grad.numpy(), np.full(4, np.arange(3.0).sum()))


# ----------------------------------------------------------------------------- in-place
class TestInPlace:
    def test_inplace_on_constants(self):
        t = cr.zeros(3, dtype=cr.float64)
        t += 1
        t *= np.array([1.0, 2.0, 3.0])
        t -= cr.tensor([0.5, 0.5, 0.5], dtype=cr.float64)
        t /= 2
        np.testing.assert_allclose(t.numpy(), (np.array([1.0, 2.0, 3.0]) - 0.5) / 2)

    def test_inplace_keeps_the_object(self):
        t = cr.ones(2)
        before = id(t)
        t += 1
        assert id(t) == before

    def test_inplace_on_a_leaf_under_no_grad(self):
        w = cr.ones(3, requires_grad=True)
        with cr.no_grad():
            w -= 0.25 * cr.ones(3)
        assert w.requires_grad and w.is_leaf
        np.testing.assert_allclose(w.numpy(), 0.75)

    def test_inplace_on_a_leaf_that_requires_grad_raises(self):
        w = cr.ones(3, requires_grad=True)
        with pytest.raises(cr.GraphError, match="no_grad"):
            w += 1
        np.testing.assert_array_equal(w.numpy(), 1.0)          # no state changed

    def test_inplace_on_a_non_leaf_raises(self):
        w = cr.ones(3, requires_grad=True)
        y = w * 2
        with pytest.raises(cr.GraphError, match="multiply"):
            y += 1
        np.testing.assert_array_equal(y.numpy(), 2.0)

    def test_inplace_shape_mismatch(self):
        t = cr.zeros(3)
        with pytest.raises(cr.ShapeError, match=r"\(2×3\)"):
            t += np.ones((2, 3))

    def test_modifying_a_saved_input_is_detected_by_backward(self):
        w = cr.ones(3, requires_grad=True)
        loss = (w * w).sum()
        with cr.no_grad():
            w += 1
        with pytest.raises(cr.GraphError, match="modified in place"):
            loss.backward()


# ----------------------------------------------------------------------------- repr
class TestRepr:
    def test_repr_shows_values_and_graph_state(self):
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        assert repr(x).startswith("tensor([1., 2.]")
        assert "requires_grad=True" in repr(x)
        assert "grad_fn=<multiply>" in repr(x * x)
        assert "dtype" not in repr(cr.tensor([1.0]))
        assert "dtype=float64" in repr(cr.tensor(np.ones(2)))
        assert repr(cr.tensor(3)) == "tensor(3)"
