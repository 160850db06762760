"""SciPy's LAPACK: one thread per call for chainrule's small factorizations, and stacks of
matrices spread over threads (``chainrule.backend``).

The thread-count tests read the count of SciPy's own OpenBLAS, so they skip where SciPy has
none of its own (one BLAS shared with NumPy, as with conda's MKL): there the guard is
documented to do nothing, which a test checks.  The stack tests force the threaded loop on
small stacks (``PARALLEL_STACK_MIN_WORK = 0``) and compare it with the plain loop and with
NumPy.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import backend
from chainrule.backend import SINGLE_THREADED_LAPACK_MAX_N, _SeparateScipyBlas, scipy_lapack_threads

separate = pytest.mark.skipif(not _SeparateScipyBlas.find(), reason="SciPy shares its BLAS with NumPy here")


@pytest.fixture
def two_threads():
    """SciPy's pool at two threads for the test, whatever it was before."""
    before = _SeparateScipyBlas.get_num_threads()
    _SeparateScipyBlas.set_num_threads(2)
    yield
    _SeparateScipyBlas.set_num_threads(before)


@separate
def test_one_thread_inside_and_the_previous_count_restored(two_threads):
    with scipy_lapack_threads(256):
        assert _SeparateScipyBlas.get_num_threads() == 1
    assert _SeparateScipyBlas.get_num_threads() == 2


@separate
def test_restored_when_the_call_inside_raises(two_threads):
    with pytest.raises(cr.LinAlgError), scipy_lapack_threads(3):
        cr.linalg.cholesky(cr.tensor(-np.eye(3)))
    assert _SeparateScipyBlas.get_num_threads() == 2


@separate
def test_large_matrices_keep_every_thread(two_threads):
    with scipy_lapack_threads(SINGLE_THREADED_LAPACK_MAX_N + 1):
        assert _SeparateScipyBlas.get_num_threads() == 2


@separate
@pytest.mark.parametrize("call", [
    lambda a: cr.linalg.cholesky(a),
    lambda a: cr.linalg.lu_factor(a),
    lambda a: cr.linalg.solve(a, cr.ones(a.shape[-1], dtype=a.dtype)),
    lambda a: cr.linalg.solve_triangular(cr.linalg.cholesky(a), cr.eye(a.shape[-1], dtype=a.dtype), lower=True),
    lambda a: cr.linalg.expm(a),
], ids=["cholesky", "lu_factor", "solve", "solve_triangular", "expm"])
def test_linalg_calls_leave_the_users_thread_count_alone(two_threads, monkeypatch, call):
    """Inside, the LAPACK call saw one thread; after it, the user's two are back."""
    seen = []
    real = _SeparateScipyBlas.set_num_threads
    monkeypatch.setattr(_SeparateScipyBlas, "set_num_threads", lambda n: (seen.append(n), real(n))[1])
    rng = np.random.default_rng(0)
    m = rng.standard_normal((8, 8))
    call(cr.tensor(m @ m.T / 8 + np.eye(8)))
    assert seen and seen[0] == 1 and seen[-1] == 2
    assert _SeparateScipyBlas.get_num_threads() == 2


def test_nothing_is_changed_without_a_separate_scipy_blas(monkeypatch):
    monkeypatch.setattr(_SeparateScipyBlas, "searched", True)
    monkeypatch.setattr(_SeparateScipyBlas, "set_num_threads", None)
    monkeypatch.setattr(_SeparateScipyBlas, "get_num_threads", None)
    with scipy_lapack_threads(4) as guard:
        assert not guard.active
    assert backend.scipy_lapack_threads(4).active is False


# ----------------------------------------------------------------------------- stacks
STACK_N = 32            # stacks of this order are LU-factored once and the factors reused


def _stack(count=6, n=STACK_N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, n, n)) / np.sqrt(n) + 2 * np.eye(n)


@pytest.fixture(params=["plain loop", "threads"])
def stack_mode(request, monkeypatch):
    """Run each stack test through the plain loop and through the threaded one."""
    monkeypatch.setattr(backend, "PARALLEL_STACK_MIN_WORK", 1 << 60 if request.param == "plain loop" else 0)
    if request.param == "threads" and _SeparateScipyBlas.find():
        before = _SeparateScipyBlas.get_num_threads()
        _SeparateScipyBlas.set_num_threads(3)            # three slices, even on fewer cores
        yield request.param
        _SeparateScipyBlas.set_num_threads(before)
    else:
        yield request.param


def test_for_each_matrix_covers_every_index_once(stack_mode):
    seen = np.zeros(10, dtype=int)

    def work(start, stop):
        seen[start:stop] += 1
    backend.for_each_matrix(10, 64, work)
    np.testing.assert_array_equal(seen, 1)


def test_for_each_matrix_raises_a_slices_error_after_all_finished(stack_mode):
    done = np.zeros(9, dtype=int)

    def work(start, stop):
        done[start:stop] = 1
        if stop == 9:
            raise ValueError("the last slice failed")
    with pytest.raises(ValueError, match="the last slice failed"):
        backend.for_each_matrix(9, 64, work)
    np.testing.assert_array_equal(done, 1)


def test_stack_values_match_numpy(stack_mode):
    a = _stack()
    b = np.random.default_rng(1).standard_normal((6, STACK_N, 2))
    A = cr.tensor(a)
    np.testing.assert_allclose(cr.linalg.solve(A, cr.tensor(b)).numpy(), np.linalg.solve(a, b), rtol=1e-12)
    sign, logabsdet = cr.linalg.slogdet(A)
    np.testing.assert_allclose(sign.numpy(), np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logabsdet.numpy(), np.linalg.slogdet(a)[1], rtol=1e-12)
    np.testing.assert_allclose(cr.linalg.det(A).numpy(), np.linalg.det(a), rtol=1e-10)
    packed, piv = cr.linalg.lu_factor(A)
    for k in range(6):
        ref_packed, ref_piv = __import__("scipy.linalg").linalg.lu_factor(a[k])
        np.testing.assert_allclose(packed.numpy()[k], ref_packed, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(piv.numpy()[k], ref_piv)
    spd = a @ np.swapaxes(a, -1, -2)
    l = cr.linalg.cholesky(cr.tensor(spd))
    np.testing.assert_allclose(l.numpy(), np.linalg.cholesky(spd), rtol=1e-10, atol=1e-12)
    x = cr.linalg.solve_triangular(l, cr.tensor(b), lower=True)
    np.testing.assert_allclose(np.linalg.cholesky(spd) @ x.numpy(), b, rtol=1e-10, atol=1e-12)


def test_stack_gradients_reuse_the_factors_and_are_right(stack_mode):
    """d log|det A| = A⁻ᵀ and the solve rule, through factors kept from the forward pass."""
    a = _stack(count=3)
    b = np.random.default_rng(2).standard_normal((3, STACK_N))
    c = np.random.default_rng(3).standard_normal((3, STACK_N))
    g = cr.grad(lambda a: cr.linalg.slogdet(a).logabsdet.sum())(cr.tensor(a))
    np.testing.assert_allclose(g.numpy(), np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10, atol=1e-12)
    ga, gb = cr.grad(lambda a, b: (cr.tensor(c) * cr.linalg.solve(a, b[..., None])[..., 0]).sum(),
                     argnums=(0, 1))(cr.tensor(a), cr.tensor(b))
    x = np.linalg.solve(a, b[..., None])
    ref_gb = np.linalg.solve(np.swapaxes(a, -1, -2), c[..., None])
    np.testing.assert_allclose(gb.numpy(), ref_gb[..., 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ga.numpy(), -ref_gb @ np.swapaxes(x, -1, -2), rtol=1e-10, atol=1e-12)


def test_stack_derivatives_to_second_order(stack_mode):
    a = _stack(count=2, seed=4)
    b = np.random.default_rng(5).standard_normal((2, STACK_N, 1))
    cr.testing.check_grads(lambda a: cr.linalg.slogdet(a).logabsdet, (a,), order=2)
    cr.testing.check_grads(lambda a, b: cr.linalg.solve(a, b), (a, b), order=2)


def test_stack_errors_name_the_matrix(stack_mode):
    a = _stack(count=5)
    a[3, :, 0] = 0.0                                  # matrix 3 singular: a zero column
    with pytest.raises(cr.LinAlgError, match=r"solve: A is singular.*matrix \(3,\)"):
        cr.linalg.solve(cr.tensor(a), cr.ones((5, STACK_N, 1), dtype=cr.float64))
    spd = _stack(count=5)
    spd = spd @ np.swapaxes(spd, -1, -2)
    spd[4] = -spd[4]
    with pytest.raises(cr.LinAlgError, match=r"cholesky: the matrix is not positive definite.*matrix \(4,\)"):
        cr.linalg.cholesky(cr.tensor(spd), )
    t = np.tril(_stack(count=5))
    t[2, 7, 7] = 0.0
    with pytest.raises(cr.LinAlgError, match=r"solve_triangular: the triangular matrix is singular \(matrix \(2,\)"):
        cr.linalg.solve_triangular(cr.tensor(t), cr.ones((5, STACK_N, 1), dtype=cr.float64), lower=True)


def test_cholesky_of_a_stack_of_large_matrices(stack_mode):
    """From n = 128 on, a stack is factored by SciPy's ?potrf matrix by matrix."""
    a = _stack(count=3, n=128, seed=6)
    spd = a @ np.swapaxes(a, -1, -2)
    np.testing.assert_allclose(cr.linalg.cholesky(cr.tensor(spd)).numpy(), np.linalg.cholesky(spd),
                               rtol=1e-10, atol=1e-12)
    spd[1] = -spd[1]
    with pytest.raises(cr.LinAlgError, match=r"not positive definite.*matrix \(1,\)"):
        cr.linalg.cholesky(cr.tensor(spd))
