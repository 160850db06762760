"""SciPy's LAPACK runs on one thread for chainrule's factorizations of matrices up to 512
(``chainrule.backend.scipy_lapack_threads``), and only then; stacks of matrices, looped over
one LAPACK call per matrix, give NumPy's values and name the matrix at fault.

The thread-count tests read the count of SciPy's own OpenBLAS, so they skip where SciPy has
none of its own (one BLAS shared with NumPy, as with conda's MKL): there the guard is
documented to do nothing, which a test checks.
"""
import numpy as np
import pytest
import scipy.linalg

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
STACK_N = 32


def _stack(count=6, n=STACK_N, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, n, n)) / np.sqrt(n) + 2 * np.eye(n)


def test_stack_values_match_numpy_and_scipy():
    a = _stack()
    b = np.random.default_rng(1).standard_normal((6, STACK_N, 2))
    A = cr.tensor(a)
    np.testing.assert_allclose(cr.linalg.solve(A, cr.tensor(b)).numpy(), np.linalg.solve(a, b), rtol=1e-12)
    packed, piv = cr.linalg.lu_factor(A)
    for k in range(6):
        ref_packed, ref_piv = scipy.linalg.lu_factor(a[k])
        np.testing.assert_allclose(packed.numpy()[k], ref_packed, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(piv.numpy()[k], ref_piv)
    x = cr.linalg.lu_solve((packed, piv), cr.tensor(b))
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    spd = a @ np.swapaxes(a, -1, -2)
    l = cr.linalg.cholesky(cr.tensor(spd))
    np.testing.assert_allclose(l.numpy(), np.linalg.cholesky(spd), rtol=1e-10, atol=1e-12)
    y = cr.linalg.solve_triangular(l, cr.tensor(b), lower=True)
    np.testing.assert_allclose(np.linalg.cholesky(spd) @ y.numpy(), b, rtol=1e-10, atol=1e-12)


def test_stack_errors_name_the_matrix():
    t = np.tril(_stack(count=5))
    t[2, 7, 7] = 0.0
    with pytest.raises(cr.LinAlgError, match=r"solve_triangular: the triangular matrix is singular \(matrix \(2,\)"):
        cr.linalg.solve_triangular(cr.tensor(t), cr.ones((5, STACK_N, 1), dtype=cr.float64), lower=True)


def test_cholesky_of_a_stack_of_large_matrices():
    """From n = 128 on, a stack is factored by SciPy's ?potrf matrix by matrix."""
    a = _stack(count=3, n=128, seed=6)
    spd = a @ np.swapaxes(a, -1, -2)
    np.testing.assert_allclose(cr.linalg.cholesky(cr.tensor(spd)).numpy(), np.linalg.cholesky(spd),
                               rtol=1e-10, atol=1e-12)
    spd[1] = -spd[1]
    with pytest.raises(cr.LinAlgError, match=r"not positive definite.*matrix \(1,\)"):
        cr.linalg.cholesky(cr.tensor(spd))
