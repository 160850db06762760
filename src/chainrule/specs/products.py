"""OpSpecs of the products chapter (see specs/__init__.py).

``matmul`` is checked on every pairing NumPy defines (vectors promoted to rows and
columns, batches that broadcast); ``einsum`` on each kind of subscripts its rules
treat differently: plain contractions, transpositions, diagonals and traces
(repeated indices), indices summed within one operand, outer products, ``...``
with broadcasting, several operands and implicit outputs.  Some cases are large
enough that the forward pass takes the planned BLAS path rather than NumPy's
single loop.  The composites (``dot``, ``inner``, ``outer``, ``vdot``,
``tensordot``) are checked against NumPy too.  Every product is smooth (polynomial),
so all are checked to order 2 on standard normal inputs.
"""
from __future__ import annotations

import numpy as np

from ..ops import products as P
from . import OpSpec, real

SPECS = []

# ----------------------------------------------------------------------------- matmul
_MATMUL_CASES = {
    "vector·vector": [((4,), (4,))],
    "vector·matrix": [((3,), (3, 4))],
    "matrix·vector": [((3, 4), (4,))],
    "matrix·matrix": [((2, 3), (3, 4)), ((1, 1), (1, 1))],
    "batched": [((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5))],
    "broadcast batch": [((2, 1, 3, 4), (5, 4, 2))],
    "batched·vector": [((3,), (2, 3, 4)), ((2, 3, 4), (4,))],
}
for _case, _shapes in _MATMUL_CASES.items():
    SPECS.append(OpSpec("matmul", lambda x, y: P.matmul(x, y), [real, real], _shapes, reference=np.matmul,
                        case=_case))


# ----------------------------------------------------------------------------- einsum
# (subscripts, input shapes, label or None, optimize): also the cases that
# tests/ops/test_products.py compares with PyTorch.
EINSUM_CASES = [
    ("ij,jk->ik", [((2, 3), (3, 4)), ((1, 3), (3, 1))], None, "greedy"),
    ("ij->ji", [((2, 3),)], None, "greedy"),
    ("ii->i", [((3, 3),)], None, "greedy"),
    ("ii->", [((3, 3),), ((1, 1),)], None, "greedy"),
    ("iii->i", [((3, 3, 3),)], None, "greedy"),
    ("iji->j", [((3, 2, 3),)], None, "greedy"),
    ("ij->", [((2, 3),)], None, "greedy"),
    ("ij->i", [((2, 3),)], None, "greedy"),
    ("i,i->", [((4,), (4,))], None, "greedy"),
    ("i,j->ij", [((2,), (3,))], None, "greedy"),
    ("...ij,...jk->...ik", [((2, 3), (3, 4)), ((2, 1, 3, 4), (5, 4, 2))], None, "greedy"),
    ("...ii->...i", [((2, 3, 3),)], None, "greedy"),
    ("...i->...", [((4,),), ((2, 3, 4),)], None, "greedy"),
    ("bij,bjk->bik", [((2, 3, 4), (2, 4, 5))], None, "greedy"),
    ("bij,bjk->bik", [((4, 20, 16), (4, 16, 20))], "bij,bjk->bik (BLAS)", "greedy"),
    ("bik,bjk->bij", [((4, 20, 16), (4, 20, 16))], "bik,bjk->bij (BLAS)", "greedy"),
    ("ij,jk,kl->il", [((2, 3), (3, 4), (4, 5))], None, "greedy"),
    ("ij,jk,kl->il", [((20, 30), (30, 40), (40, 10))], "ij,jk,kl->il (planned path)", "greedy"),
    ("ij,jk,kl->il", [((20, 30), (30, 40), (40, 10))], "ij,jk,kl->il (optimal path)", "optimal"),
    ("ij,jk,kl->il", [((2, 3), (3, 4), (4, 5))], "ij,jk,kl->il (optimize=False)", False),
    ("ij,jk", [((2, 3), (3, 4))], "ij,jk (implicit)", "greedy"),
    ("ba", [((2, 3),)], "ba (implicit transpose)", "greedy"),
    ("ii", [((3, 3),)], "ii (implicit trace)", "greedy"),
    ("i...", [((2, 3, 4),)], "i... (implicit)", "greedy"),
    ("iij,j->i", [((3, 3, 4), (4,))], None, "greedy"),
    ("ij,k->i", [((2, 3), (4,))], None, "greedy"),
    ("ij,ij,ij->", [((2, 3), (2, 3), (2, 3))], None, "greedy"),
    ("i,i,i->i", [((4,), (4,), (4,))], None, "greedy"),
    ("ab,cd,bc->ad", [((2, 3), (4, 5), (3, 4))], None, "greedy"),
    ("ij,jk->ik", [((2, 1), (3, 4))], "ij,jk->ik (length-1 broadcast)", "greedy"),
    ("ij->ij", [((2, 3),)], None, "greedy"),
]


def _einsum_spec(subscripts, shapes, case, optimize):
    return OpSpec("einsum", lambda *xs: P.einsum(subscripts, *xs, optimize=optimize), [real] * len(shapes[0]),
                  shapes, reference=lambda *xs: np.einsum(subscripts, *xs), case=case or subscripts)


SPECS += [_einsum_spec(*case) for case in EINSUM_CASES]


# ----------------------------------------------------------------------------- composites
def _composite(name, op, shapes, reference, case):
    return OpSpec(name, op, [real, real], shapes, reference=reference, case=case, composite=True)


SPECS += [
    _composite("dot", P.dot, [((4,), (4,))], np.dot, "vector·vector"),
    _composite("dot", P.dot, [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,))], np.dot, "matrices"),
    _composite("dot", P.dot, [((2, 3, 4), (5, 4, 2)), ((2, 3, 4), (4, 3))], np.dot, "N-D"),
    _composite("dot", P.dot, [((), (2, 3)), ((3,), ())], np.dot, "scalar"),
    _composite("inner", P.inner, [((4,), (4,)), ((2, 3), (4, 3)), ((2, 5, 3), (3,)), ((), (2,))], np.inner, ""),
    _composite("outer", P.outer, [((3,), (4,)), ((2, 3), (2, 2)), ((), (3,))], np.outer, ""),
    _composite("vdot", P.vdot, [((4,), (4,)), ((2, 3), (3, 2))], np.vdot, ""),
    _composite("tensordot", P.tensordot, [((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4))], np.tensordot, "axes=2"),
    _composite("tensordot", lambda a, b: P.tensordot(a, b, axes=1), [((2, 3), (3, 4)), ((3,), (3, 2))],
               lambda a, b: np.tensordot(a, b, axes=1), "axes=1"),
    _composite("tensordot", lambda a, b: P.tensordot(a, b, axes=0), [((2, 3), (4,)), ((), (2,))],
               lambda a, b: np.tensordot(a, b, axes=0), "axes=0 (outer)"),
    _composite("tensordot", lambda a, b: P.tensordot(a, b, axes=([0, 2], [2, 0])), [((2, 3, 4), (4, 5, 2))],
               lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])), "axes=([0, 2], [2, 0])"),
    _composite("tensordot", lambda a, b: P.tensordot(a, b, axes=(1, -1)), [((2, 3), (4, 3))],
               lambda a, b: np.tensordot(a, b, axes=(1, -1)), "axes=(1, -1)"),
]
