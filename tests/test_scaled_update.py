"""y ← y + αx in place: ``chainrule.backend.add_scaled_`` (one BLAS ``?axpy`` pass for large
float arrays, NumPy otherwise) and the tensor methods built on it, ``add_``/``sub_`` with
``alpha`` (PyTorch's form of a gradient step, ``p.sub_(p.grad, alpha=lr)``)."""
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.backend import AXPY_MIN_SIZE, _axpy_in_place, _SeparateScipyBlas, add_scaled_

LARGE = AXPY_MIN_SIZE + 7


def _pair(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [5, LARGE])
def test_values_are_numpys(dtype, n):
    y, x = _pair(n, dtype)
    expected = y + dtype(-0.37) * x
    buffer = y.ctypes.data
    add_scaled_(y, x, -0.37)
    assert y.ctypes.data == buffer                             # in place
    # ?axpy may fuse the product and the sum: the last bit may differ
    np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)


def test_blas_takes_large_float_arrays_of_one_layout_only():
    y, x = _pair(LARGE, np.float64)
    assert _axpy_in_place(y.copy(), x, 0.5)
    assert not _axpy_in_place(y[:100].copy(), x[:100], 0.5)                     # too small
    assert not _axpy_in_place(y.copy(), x.astype(np.float32), 0.5)              # dtypes differ
    assert not _axpy_in_place(y.astype(np.int64), x.astype(np.int64), 2)        # not floating point
    strided = np.ones(2 * LARGE)[::2]
    assert not _axpy_in_place(y.copy(), strided, 0.5)                           # x not contiguous
    assert not _axpy_in_place(y, y, 0.5)                                        # overlapping
    frozen = y.copy()
    frozen.flags.writeable = False
    assert not _axpy_in_place(frozen, x, 0.5)


@pytest.mark.parametrize("make", [
    lambda y, x: (y, x.astype(np.float32)),
    lambda y, x: (y, y),
    lambda y, x: (y.reshape(2, -1), x.reshape(2, -1)[:, ::-1]),
], ids=["mixed-dtypes", "aliased", "reversed-strides"])
def test_numpy_does_what_blas_does_not(make):
    y, x = make(*_pair(2 * LARGE, np.float64))
    expected = y + 0.25 * x
    add_scaled_(y, x, 0.25)
    np.testing.assert_allclose(y, expected, rtol=1e-15)


@pytest.mark.skipif(not _SeparateScipyBlas.find(), reason="SciPy shares its BLAS with NumPy here")
def test_the_users_scipy_threads_are_restored():
    before = _SeparateScipyBlas.get_num_threads()
    _SeparateScipyBlas.set_num_threads(2)
    try:
        y, x = _pair(LARGE, np.float32)
        add_scaled_(y, x, 1.5)
        assert _SeparateScipyBlas.get_num_threads() == 2
    finally:
        _SeparateScipyBlas.set_num_threads(before)


# ----------------------------------------------------------------------------- the tensor methods
@pytest.mark.parametrize("n", [6, LARGE])
def test_sub_and_add_with_alpha(n):
    y, x = _pair(n, np.float32)
    t = cr.tensor(y.copy())
    t.sub_(cr.tensor(x), alpha=0.1)
    np.testing.assert_allclose(t.numpy(), y - np.float32(0.1) * x, rtol=1e-6, atol=1e-7)
    assert t._version > 0                                  # the change is recorded
    t.add_(x, alpha=0.1)                                   # an array operand works too
    np.testing.assert_allclose(t.numpy(), y, rtol=1e-5, atol=1e-6)


def test_alpha_with_broadcasting_and_scalars():
    t = cr.tensor(np.ones((3, LARGE), np.float32))
    t.sub_(cr.tensor(np.arange(LARGE, dtype=np.float32)), alpha=2.0)       # a row, broadcast
    np.testing.assert_allclose(t.numpy()[2, :4], [1, -1, -3, -5])
    t.add_(1.0, alpha=3.0)
    np.testing.assert_allclose(t.numpy()[0, :2], [4, 2])


def test_refused_before_anything_changes():
    leaf = cr.tensor(np.ones(LARGE, np.float32), requires_grad=True)
    with pytest.raises(cr.GraphError, match="sub_: in-place operation on a leaf that requires grad"):
        leaf.sub_(np.ones(LARGE, np.float32), alpha=0.5)
    assert np.all(leaf.numpy() == 1) and leaf._version == 0
    with cr.no_grad():
        leaf.sub_(np.ones(LARGE, np.float32), alpha=0.5)
    assert np.all(leaf.numpy() == 0.5)
    with pytest.raises(cr.errors.ShapeError, match="add_: cannot update a"):
        cr.tensor(np.ones(LARGE, np.float32)).add_(np.ones((2, LARGE), np.float32), alpha=2.0)


def test_a_graph_saw_the_update():
    """The version counter moves on the BLAS path as on NumPy's: backward notices."""
    w = cr.tensor(np.ones(LARGE), requires_grad=True)
    loss = (w * w).sum()
    with cr.no_grad():
        w.sub_(np.ones(LARGE), alpha=0.1)
    with pytest.raises(cr.GraphError, match="modified in place"):
        loss.backward()


def test_the_tensor_methods_go_through_the_backend(monkeypatch):
    tensor_module = sys.modules["chainrule.tensor"]         # cr.tensor is the function of that name
    calls = []
    monkeypatch.setattr(tensor_module, "add_scaled_", lambda y, x, a: (calls.append(a), add_scaled_(y, x, a)))
    t = cr.tensor(np.ones(4))
    t.sub_(np.ones(4), alpha=0.5)
    t.add_(cr.tensor(np.ones(4)), alpha=0.25)
    assert calls == [-0.5, 0.25]
    np.testing.assert_array_equal(t.numpy(), np.full(4, 0.75))
