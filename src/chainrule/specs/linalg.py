"""OpSpecs of the linear-algebra chapter, ``cr.linalg`` (see specs/__init__.py).

Each function is sampled where it is smooth: well-conditioned matrices (singular values
in [1, 3]) for ``inv``, ``solve`` and determinants; symmetric positive-definite ones for
``cholesky``; well-separated spectra (gaps ≥ 0.5) wherever eigenvectors or singular
vectors are differentiated; full-rank matrices with distinct singular values for ``qr``,
``svd`` and ``pinv``.  A multi-output primitive has one spec per output.  References are
NumPy/SciPy, with this package's sign conventions applied to vectors (largest-magnitude
component positive, ``R`` with a non-negative diagonal).  Matrices are small (at most
4×4, batches of 2) so that the order-2 checks stay quick.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from .. import linalg as LA
from ..linalg import lu_decomposition as _lu_chapter
from . import OpSpec, away_from_zero, real

SPECS = []


# ----------------------------------------------------------------------------- samplers
def _orthogonal(rng, n, batch):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _with_singular_values(rng, shape, values):
    batch, (m, n) = tuple(shape[:-2]), shape[-2:]
    k = min(m, n)
    u, v = _orthogonal(rng, m, batch)[..., :, :k], _orthogonal(rng, n, batch)[..., :k, :]
    return (u * values(k)[..., None, :]) @ v


def well_conditioned(rng, shape):
    """Square or rectangular matrices with singular values in [1, 3] (either sign of det)."""
    return _with_singular_values(rng, shape, lambda k: rng.uniform(1.0, 3.0, tuple(shape[:-2]) + (k,)))


def distinct_singular_values(rng, shape):
    """Full-rank matrices with singular values 1, 1.7, 2.4, ... (jittered): gaps ≥ 0.5."""
    def values(k):
        return 1.0 + 0.7 * np.arange(k)[::-1] + rng.uniform(-0.1, 0.1, tuple(shape[:-2]) + (k,))
    return _with_singular_values(rng, shape, values)


def _symmetric_with(rng, shape, eigenvalues):
    batch, n = tuple(shape[:-2]), shape[-1]
    q = _orthogonal(rng, n, batch)
    return (q * eigenvalues(batch, n)[..., None, :]) @ np.swapaxes(q, -1, -2)


def spd(rng, shape):
    """Symmetric positive-definite matrices, eigenvalues in [1, 4]."""
    return _symmetric_with(rng, shape, lambda batch, n: rng.uniform(1.0, 4.0, batch + (n,)))


def separated_symmetric(rng, shape):
    """Symmetric matrices whose eigenvalues (either sign) are at least 0.6 apart."""
    return _symmetric_with(rng, shape, lambda batch, n: np.arange(n) - n / 2 + rng.uniform(-0.2, 0.2, batch + (n,)))


def triangular_friendly(rng, shape):
    """Matrices whose triangles are well conditioned: diagonal entries of magnitude in
    [1.5, 2.5] and either sign, off-diagonal entries about 0.3."""
    n = shape[-1]
    diagonal = rng.uniform(1.5, 2.5, tuple(shape[:-2]) + (n,)) * rng.choice([-1.0, 1.0], tuple(shape[:-2]) + (n,))
    return 0.3 * rng.standard_normal(shape) + np.eye(n) * diagonal[..., None, :]


def small_matrix(rng, shape):
    """Entries of moderate size (norm about 1), where the exponential is well behaved."""
    return rng.standard_normal(shape) / np.sqrt(shape[-1])


def pivots(rng, shape):
    """Valid LAPACK pivot vectors: entry i in [i, n)."""
    n = shape[-1]
    return np.stack([rng.integers(i, n, tuple(shape[:-1])) for i in range(n)], axis=-1)


# ----------------------------------------------------------------------------- references
def _sym(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def _signed_columns(v):
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    s = np.sign(np.take_along_axis(v, idx, axis=-2))
    return v * np.where(s == 0, 1, s)


def _np_eigh(a):
    w, v = np.linalg.eigh(_sym(a))
    return w, _signed_columns(v)


def _np_svd(a, full_matrices=False):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    idx = np.argmax(np.abs(u[..., :, :k]), axis=-2)[..., None, :]
    signs = np.sign(np.take_along_axis(u[..., :, :k], idx, axis=-2))
    signs = np.where(signs == 0, 1, signs)
    return u[..., :, :k] * signs, s, vh[..., :k, :] * np.swapaxes(signs, -1, -2)


def _np_qr(a, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    k = min(a.shape[-2:])
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1)[..., :k])
    d = np.where(d == 0, 1, d)
    q, r = q.copy(), r.copy()
    q[..., :, :k] *= d[..., None, :]
    r[..., :k, :] *= d[..., :, None]
    return q, r


def _np_lu(a):
    return scipy.linalg.lu(a)


def _np_permutation(piv):
    """P with A = PLU from 0-based LAPACK pivots, by swapping rows of the identity in turn."""
    piv = np.asarray(piv)
    n = piv.shape[-1]
    out = np.empty(piv.shape + (n,))
    for index in np.ndindex(piv.shape[:-1]):
        perm = list(range(n))
        for i, j in enumerate(piv[index]):
            perm[i], perm[j] = perm[j], perm[i]
        p = np.zeros((n, n))
        p[perm, range(n)] = 1.0
        out[index] = p
    return out


def _np_triangular(lower, left, unit):
    def ref(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if unit:
            t = t - np.eye(a.shape[-1]) * np.diagonal(a, axis1=-2, axis2=-1)[..., None, :] + np.eye(a.shape[-1])
        return np.linalg.solve(t, b) if left else np.swapaxes(
            np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    return ref


def _np_null_projector(a):
    stack = a.reshape((-1,) + a.shape[-2:])
    projectors = [scipy.linalg.null_space(m) @ scipy.linalg.null_space(m).T for m in stack]
    return np.stack(projectors).reshape(a.shape[:-2] + (a.shape[-1], a.shape[-1]))


def _unit_phase(v):
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    pivot = np.take_along_axis(v, idx, axis=-2)
    return v / (pivot / np.abs(pivot))


def _complex_as_real(z):
    """|z + 2| and |z + 2i| stacked: a real encoding from which z can be recovered."""
    return np.stack([np.abs(z + 2.0), np.abs(z + 2.0j)])


def _cr_complex_as_real(z):
    from ..ops.piecewise import abs as absolute
    from ..ops.shape import stack
    return stack([absolute(z + 2.0), absolute(z + 2.0j)])


# ----------------------------------------------------------------------------- basic
SQUARE = [((3, 3),), ((2, 3, 3),)]

SPECS += [
    OpSpec("inv", LA.inv, [well_conditioned], SQUARE + [((1, 1),)], reference=np.linalg.inv),
    OpSpec("det", LA.det, [well_conditioned], SQUARE + [((1, 1),)], reference=np.linalg.det),
    OpSpec("slogdet", lambda a: LA.slogdet(a).logabsdet, [well_conditioned], SQUARE,
           reference=lambda a: np.linalg.slogdet(a)[1], case="logabsdet"),
    OpSpec("slogdet", lambda a: LA.slogdet(a).sign, [well_conditioned], SQUARE,
           reference=lambda a: np.linalg.slogdet(a)[0], case="sign", order=0),
    OpSpec("matrix_power", lambda a: LA.matrix_power(a, 3), [small_matrix], SQUARE,
           reference=lambda a: np.linalg.matrix_power(a, 3), case="n=3", composite=True),
    OpSpec("matrix_power", lambda a: LA.matrix_power(a, -2), [well_conditioned], SQUARE[:1],
           reference=lambda a: np.linalg.matrix_power(a, -2), case="n=-2", composite=True),
    OpSpec("trace", LA.trace, [real], [((3, 3),), ((2, 3, 4),)], reference=lambda a: np.trace(a, axis1=-2, axis2=-1),
           composite=True),
    OpSpec("cross", LA.cross, [real, real], [((3,), (3,)), ((2, 3), (3,)), ((4, 3), (4, 3))],
           reference=np.cross, composite=True),
    OpSpec("vecdot", LA.vecdot, [real, real], [((4,), (4,)), ((2, 4), (4,))],
           reference=lambda x, y: np.sum(x * y, axis=-1), composite=True),
    OpSpec("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]), [real, real, real],
           [((2, 3), (3, 5), (5, 2)), ((3,), (3, 4), (4,))],
           reference=lambda a, b, c: np.linalg.multi_dot([a, b, c]), composite=True),
]


# ----------------------------------------------------------------------------- solving
SPECS += [
    OpSpec("solve", LA.solve, [well_conditioned, real], [((3, 3), (3,)), ((3, 3), (3, 2))],
           reference=np.linalg.solve, case="vector and matrix b"),
    OpSpec("solve", LA.solve, [well_conditioned, real], [((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1)),
                                                          ((2, 1, 3, 3), (2, 3, 2))],
           reference=np.linalg.solve, case="batched and broadcast"),
    OpSpec("pinv", LA.pinv, [distinct_singular_values], [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)],
           reference=np.linalg.pinv),
    OpSpec("lstsq", lambda a, b: LA.lstsq(a, b).solution, [distinct_singular_values, real],
           [((4, 2), (4,)), ((4, 3), (4, 2)), ((2, 4), (2,))],
           reference=lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], composite=True),
]
for _lower in (True, False):
    for _left in (True, False):
        for _unit in (False, True):
            _shapes = [((3, 3), (3, 2) if _left else (2, 3)), ((2, 3, 3), (3, 1) if _left else (1, 3))]
            SPECS.append(OpSpec(
                "solve_triangular",
                lambda a, b, lo=_lower, le=_left, u=_unit: LA.solve_triangular(a, b, lower=lo, unit_diagonal=u,
                                                                               left=le),
                [triangular_friendly, real], _shapes, reference=_np_triangular(_lower, _left, _unit),
                case=f"{'lower' if _lower else 'upper'}, {'left' if _left else 'right'}"
                     f"{', unit diagonal' if _unit else ''}"))
SPECS.append(OpSpec("solve_triangular", lambda a, b: LA.solve_triangular(a, b, trans=1, lower=True),
                    [triangular_friendly, real], [((3, 3), (3,))],
                    reference=lambda a, b: np.linalg.solve(np.tril(a).T, b), case="trans=1, vector b"))


# ----------------------------------------------------------------------------- LU
SPECS += [
    OpSpec("lu", lambda a: LA.lu(a).L, [well_conditioned], SQUARE, reference=lambda a: _np_lu(a)[1], case="L"),
    OpSpec("lu", lambda a: LA.lu(a).U, [well_conditioned], SQUARE, reference=lambda a: _np_lu(a)[2], case="U"),
    OpSpec("lu", lambda a: LA.lu(a).L, [well_conditioned], [((4, 2),), ((2, 4),)], reference=lambda a: _np_lu(a)[1],
           case="L, non-square"),
    OpSpec("lu", lambda a: LA.lu(a).U, [well_conditioned], [((4, 2),), ((2, 4),)], reference=lambda a: _np_lu(a)[2],
           case="U, non-square"),
    OpSpec("lu", lambda a: LA.lu(a).P, [well_conditioned], SQUARE + [((3, 2),)], reference=lambda a: _np_lu(a)[0],
           case="P", order=0),
    OpSpec("lu_factor", lambda a: LA.lu_factor(a)[0], [well_conditioned], SQUARE + [((4, 2),), ((2, 4),)],
           reference=lambda a: scipy.linalg.lu_factor(a)[0]),
    OpSpec("lu_permutation", lambda piv: _lu_chapter._lu_permutation(piv, m=piv.shape[-1], dtype="<f8"),
           [pivots], [((4,),), ((2, 3),)], reference=_np_permutation, order=0),
    OpSpec("lu_solve", lambda a, b: LA.lu_solve(LA.lu_factor(a), b), [well_conditioned, real],
           [((3, 3), (3,)), ((3, 3), (3, 2))], reference=np.linalg.solve, composite=True),
    OpSpec("lu_solve", lambda a, b: LA.lu_solve(LA.lu_factor(a), b, trans=1), [well_conditioned, real],
           [((3, 3), (3, 2))], reference=lambda a, b: np.linalg.solve(a.T, b), composite=True, case="trans=1"),
]


# ----------------------------------------------------------------------------- factorizations
SPECS += [
    OpSpec("cholesky", LA.cholesky, [spd], SQUARE + [((1, 1),)], reference=lambda a: np.linalg.cholesky(_sym(a))),
    OpSpec("cholesky", lambda a: LA.cholesky(a, upper=True), [spd], SQUARE[:1],
           reference=lambda a: np.linalg.cholesky(_sym(a)).T, case="upper"),
    OpSpec("qr", lambda a: LA.qr(a).Q, [distinct_singular_values], [((3, 3),), ((4, 2),), ((2, 4, 3),)],
           reference=lambda a: _np_qr(a)[0], case="Q"),
    OpSpec("qr", lambda a: LA.qr(a).R, [distinct_singular_values], [((3, 3),), ((4, 2),), ((2, 4, 3),)],
           reference=lambda a: _np_qr(a)[1], case="R"),
    OpSpec("qr", lambda a: LA.qr(a, mode="complete").Q, [distinct_singular_values], [((3, 3),)],
           reference=lambda a: _np_qr(a, "complete")[0], case="complete, square"),
    OpSpec("qr", lambda a: LA.qr(a, mode="complete").R, [distinct_singular_values], [((4, 2),), ((2, 4),)],
           reference=lambda a: _np_qr(a, "complete")[1], case="complete R, values", order=0),
]


# ----------------------------------------------------------------------------- spectra
SPECS += [
    OpSpec("eigh", lambda a: LA.eigh(a).eigenvalues, [separated_symmetric], SQUARE,
           reference=lambda a: _np_eigh(a)[0], case="eigenvalues"),
    OpSpec("eigh", lambda a: LA.eigh(a).eigenvectors, [separated_symmetric], SQUARE,
           reference=lambda a: _np_eigh(a)[1], case="eigenvectors"),
    OpSpec("eigvalsh", LA.eigvalsh, [separated_symmetric], SQUARE, reference=lambda a: np.linalg.eigvalsh(_sym(a))),
    OpSpec("svd", lambda a: LA.svd(a, full_matrices=False).S, [distinct_singular_values],
           [((3, 3),), ((4, 2),), ((2, 2, 3),)], reference=lambda a: _np_svd(a)[1], case="S"),
    OpSpec("svd", lambda a: LA.svd(a, full_matrices=False).U, [distinct_singular_values],
           [((3, 3),), ((4, 2),), ((2, 2, 3),)], reference=lambda a: _np_svd(a)[0], case="U"),
    OpSpec("svd", lambda a: LA.svd(a, full_matrices=False).Vh, [distinct_singular_values],
           [((3, 3),), ((4, 2),), ((2, 2, 3),)], reference=lambda a: _np_svd(a)[2], case="Vh"),
    OpSpec("svd", lambda a: LA.svd(a).U, [distinct_singular_values], [((3, 3),)],
           reference=lambda a: _np_svd(a, True)[0], case="full_matrices, square"),
    OpSpec("svdvals", LA.svdvals, [distinct_singular_values], [((3, 3),), ((4, 2),), ((2, 2, 3),)],
           reference=lambda a: np.linalg.svd(a, compute_uv=False)),
    OpSpec("eigvals", lambda a: _cr_complex_as_real(LA.eigvals(a)), [real], SQUARE,
           reference=lambda a: _complex_as_real(np.linalg.eigvals(a)), order=0),
    OpSpec("eig", lambda a: _cr_complex_as_real(LA.eig(a).eigenvectors), [real], SQUARE,
           reference=lambda a: _complex_as_real(_unit_phase(np.linalg.eig(a)[1])), order=0, case="eigenvectors"),
    OpSpec("eig", lambda a: _cr_complex_as_real(LA.eig(a).eigenvalues), [real], SQUARE[:1],
           reference=lambda a: _complex_as_real(np.linalg.eig(a)[0]), order=0, case="eigenvalues"),
]


# ----------------------------------------------------------------------------- norms
_VECTOR_NORMS = [(2, "2"), (1, "1"), (np.inf, "inf"), (-np.inf, "-inf"), (3, "3"), (0.5, "0.5")]
for _ord, _label in _VECTOR_NORMS:
    SPECS.append(OpSpec("vector_norm", lambda x, o=_ord: LA.vector_norm(x, o), [away_from_zero], [((4,),), ((2, 3),)],
                        reference=lambda x, o=_ord: np.linalg.vector_norm(x, ord=o), case=f"ord={_label}"))
SPECS += [
    OpSpec("vector_norm", lambda x: LA.vector_norm(x, 2, axis=-1, keepdims=True), [away_from_zero], [((2, 3),)],
           reference=lambda x: np.linalg.vector_norm(x, axis=-1, keepdims=True), case="axis=-1, keepdims"),
    OpSpec("vector_norm", lambda x: LA.vector_norm(x, 2, axis=(0, 2)), [away_from_zero], [((2, 3, 2),)],
           reference=lambda x: np.linalg.vector_norm(x, axis=(0, 2)), case="axis=(0, 2)"),
    OpSpec("vector_norm", lambda x: LA.vector_norm(x, 0), [away_from_zero], [((4,),)],
           reference=lambda x: np.linalg.vector_norm(x, ord=0), case="ord=0", order=0),
]
_MATRIX_NORMS = [("fro", away_from_zero), ("nuc", distinct_singular_values), (2, distinct_singular_values),
                 (-2, distinct_singular_values), (1, away_from_zero), (-1, away_from_zero),
                 (np.inf, away_from_zero), (-np.inf, away_from_zero)]
for _ord, _domain in _MATRIX_NORMS:
    SPECS.append(OpSpec("matrix_norm", lambda x, o=_ord: LA.matrix_norm(x, o), [_domain], [((3, 3),), ((2, 3, 2),)],
                        reference=lambda x, o=_ord: np.linalg.matrix_norm(x, ord=o), composite=True,
                        case=f"ord={_ord}"))
SPECS += [
    OpSpec("norm", LA.norm, [away_from_zero], [((4,),), ((2, 3),), ((2, 2, 2),)], reference=np.linalg.norm,
           composite=True, case="ord=None"),
    OpSpec("norm", lambda x: LA.norm(x, 1, axis=1), [away_from_zero], [((2, 3),)],
           reference=lambda x: np.linalg.norm(x, 1, axis=1), composite=True, case="vector, axis=1"),
    OpSpec("norm", lambda x: LA.norm(x, "fro", axis=(2, 0), keepdims=True), [away_from_zero], [((2, 3, 4),)],
           reference=lambda x: np.linalg.norm(x, "fro", axis=(2, 0), keepdims=True), composite=True,
           case="matrix, axis=(2, 0)"),
    OpSpec("norm", lambda x: LA.norm(x, np.inf, axis=(2, 0)), [away_from_zero], [((2, 3, 4),)],
           reference=lambda x: np.linalg.norm(x, np.inf, axis=(2, 0)), composite=True, case="inf, axis=(2, 0)"),
    OpSpec("cond", LA.cond, [distinct_singular_values], [((3, 3),), ((4, 2),)], reference=np.linalg.cond,
           composite=True, case="p=None"),
    OpSpec("cond", lambda x: LA.cond(x, "fro"), [well_conditioned], [((3, 3),)],
           reference=lambda x: np.linalg.cond(x, "fro"), composite=True, case="p='fro'"),
    OpSpec("matrix_rank", LA.matrix_rank, [real], [((3, 3),), ((2, 4, 3),)], reference=np.linalg.matrix_rank,
           composite=True, order=0),
    OpSpec("matrix_rank", lambda a: LA.matrix_rank(a[..., :1] * a[..., :1, :]), [real], [((3, 3),)],
           reference=lambda a: np.linalg.matrix_rank(a[..., :1] * a[..., :1, :]), composite=True, order=0,
           case="rank one"),
    OpSpec("null_space", lambda a: LA.null_space(a) @ LA.null_space(a).mT, [real], [((2, 4),), ((2, 2, 3),)],
           reference=lambda a: _np_null_projector(a), composite=True, order=0, case="projector onto the null space"),
    OpSpec("orth", lambda a: LA.orth(a) @ LA.orth(a).mT, [distinct_singular_values], [((4, 2),), ((3, 3),)],
           reference=lambda a: scipy.linalg.orth(a) @ scipy.linalg.orth(a).T, composite=True,
           case="projector onto the range"),
]


# ----------------------------------------------------------------------------- functions
SPECS += [
    OpSpec("expm", LA.expm, [small_matrix], [((3, 3),), ((2, 2, 2),), ((1, 1),)], reference=scipy.linalg.expm),
]
