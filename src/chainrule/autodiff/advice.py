r"""Which mode? Measured costs of a Jacobian, a Hessian and their products, before computing them.

For :math:`f: \mathbb{R}^n \to \mathbb{R}^m` the Jacobian is :math:`m` reverse passes (one
cotangent :math:`e_i` per output, ``jacrev``) or :math:`n` forward passes (one tangent
:math:`e_j` per input, ``jacfwd``); the Hessian of a scalar function is :math:`n`
forward-over-reverse passes, and a Hessian-vector product is one.  Which is cheaper depends
on :math:`m`, :math:`n` and on what one pass costs — and a full matrix may not fit in memory
at all, where its products would (jax#787: 551 GB for a 221 MB Hessian).

:func:`advise_mode` measures instead of guessing.  Each method pushes a batch of :math:`k`
basis vectors through one batched pass (``vmap``), whose cost grows linearly in :math:`k`
once the fixed part — the forward values, stored once; the Python work, paid once — is
paid:

.. math:: T(k) \approx a + b\,k, \qquad M(k) \approx c + d\,k .

So it times the pass, and measures the memory it allocates (with :mod:`tracemalloc`,
which sees NumPy's arrays), for :math:`k = 1` and :math:`k = 16` random directions, and
reads the cost of all :math:`m` (or :math:`n`) off that line; with 16 or fewer it measures
the whole batch outright.  Then it recommends a method and says why.
"""
from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

from ..tensor import Tensor
from .pytree import tree_flatten, tree_map
from .transforms import _argnums_tuple, _as_tensor, hvp, jvp, vjp, vmap

#: A matrix larger than this is not worth forming when its products would do.
LARGE_BYTES = 1 << 30
#: Estimates closer than this factor are a tie: the machine's noise could reverse them.
TIE = 1.25


class Costs:
    """What :func:`advise_mode` measured and estimated; ``str()`` gives the table and the advice.

    ``n``, ``m``
        the number of input and output entries; ``itemsize`` of the result's dtype;
    ``estimates``
        ``{method: (seconds, bytes)}`` for ``"f"``, ``"vjp"``, ``"jvp"``, ``"jacrev"``,
        ``"jacfwd"``, and for a scalar function ``"grad"``, ``"hvp"``, ``"hessian"``;
    ``recommended``, ``reason``
        the method to use and why.
    """

    def __init__(self, n, m, itemsize, estimates, recommended, reason):
        self.n, self.m, self.itemsize = n, m, itemsize
        self.estimates = estimates
        self.recommended, self.reason = recommended, reason

    def table(self) -> str:
        lines = [f"f: {self.n} input entries -> {self.m} output entries; the Jacobian is {self.m}×{self.n} "
                 f"({_bytes(self.m * self.n * self.itemsize)})",
                 f"{'method':<9} {'passes':<26} {'time ≈':>10} {'memory ≈':>10}"]
        passes = {"f": "f alone", "vjp": "1 reverse (one vjp)", "jvp": "1 forward (one jvp)",
                  "grad": "1 reverse", "jacrev": f"{self.m} reverse (one per output)",
                  "jacfwd": f"{self.n} forward (one per input)", "hvp": "1 forward over reverse",
                  "hessian": f"{self.n} forward over reverse"}
        for method, (seconds, nbytes) in self.estimates.items():
            lines.append(f"{method:<9} {passes[method]:<26} {_seconds(seconds):>10} {_bytes(nbytes):>10}")
        lines.append(f"use {self.recommended}: {self.reason}")
        return "\n".join(lines)

    __str__ = table

    def __repr__(self) -> str:
        return f"<costs of derivatives of f: R^{self.n} -> R^{self.m}; use {self.recommended}>"


def advise_mode(f, *args, argnums=0, seed=0) -> Costs:
    r"""Measure what ``jacrev``, ``jacfwd`` and, for a scalar ``f``, ``hessian`` and ``hvp``
    cost in time and memory for ``f(*args)`` (differentiated in the arguments ``argnums``),
    and recommend one, with the reason.

    Each method pushes a batch of basis vectors through one batched pass; it is timed on
    batches of 1 and of up to 16 (random directions, ``seed``), and its cost for all
    :math:`m` (or :math:`n`) vectors is read off the straight line through the two — or
    measured outright when there are 16 or fewer.  Nothing larger is computed.
    """
    nums, _ = _argnums_tuple(argnums, len(args), "advise_mode")
    args = list(args)
    for k in nums:
        args[k] = tree_map(lambda x: _as_tensor(x, "advise_mode"), args[k])
    primals = tuple(args[k] for k in nums)
    rng = np.random.default_rng(seed)

    def g(*diff):
        full = list(args)
        for k, d in zip(nums, diff):
            full[k] = d
        return f(*full)

    from .engine import no_grad
    with no_grad():
        out = g(*primals)
    outs = [o for o in tree_flatten(out)[0] if isinstance(o, Tensor)]
    n = sum(x.size for p in primals for x in tree_flatten(p)[0])
    m = sum(o.size for o in outs)
    itemsize = max((o.dtype.itemsize for o in outs), default=8)

    def directions(tree, k):
        """``k`` random directions shaped like the tensors of ``tree``, stacked on a new first axis."""
        return tree_map(lambda x: Tensor(rng.standard_normal((k,) + tuple(x.shape)).astype(x.dtype))
                        if isinstance(x, Tensor) else x, tree)

    def reverse(k):
        value, pullback = vjp(g, *primals)
        return vmap(pullback)(directions(value, k))

    def forward(k):
        return vmap(lambda *v: jvp(g, primals, v)[1])(*directions(primals, k))

    def products(k):
        return vmap(lambda *v: hvp(g, primals, v))(*directions(primals, k))

    def plain():
        with no_grad():
            return g(*primals)

    # One pass of each kind: a row of the table, and the line's first point (_scaled).
    one_reverse, one_forward = _measure(lambda: reverse(1)), _measure(lambda: forward(1))
    estimates = {"f": _measure(plain)}
    if m == 1:
        one_product = _measure(lambda: products(1))
        estimates.update(grad=one_reverse, jvp=one_forward, hvp=one_product,
                         hessian=_scaled(products, n, one_product))
        hessian_bytes = n * n * itemsize
        if hessian_bytes > LARGE_BYTES:
            return Costs(n, m, itemsize, estimates, "hvp",
                         f"the Hessian would be {n}×{n} = {_bytes(hessian_bytes)}; Hessian-vector products "
                         f"(cr.hvp, one forward-over-reverse pass each) give its action without forming it, "
                         f"and the gradient is one reverse pass (cr.grad)")
        return Costs(n, m, itemsize, estimates, "grad",
                     f"a scalar function: its gradient is one reverse pass (cr.grad), whatever n; "
                     f"the Hessian (cr.hessian) is {n} forward-over-reverse passes, "
                     f"≈ {_seconds(estimates['hessian'][0])}")
    estimates.update(vjp=one_reverse, jvp=one_forward, jacrev=_scaled(reverse, m, one_reverse),
                     jacfwd=_scaled(forward, n, one_forward))
    t_rev, t_fwd = estimates["jacrev"][0], estimates["jacfwd"][0]
    passes = f"jacrev, {m} reverse passes (one per output), ≈ {_seconds(t_rev)}; " \
             f"jacfwd, {n} forward passes (one per input), ≈ {_seconds(t_fwd)}"
    if max(t_rev, t_fwd) > TIE * min(t_rev, t_fwd):
        chosen = "jacrev" if t_rev < t_fwd else "jacfwd"
        why = f"{passes}"
    else:          # within the noise of one measurement: the count decides, as cr.jacobian(mode="auto")
        chosen = "jacrev" if m <= n else "jacfwd"
        why = f"{passes}: as fast as each other here, so the one with fewer basis vectors"
    jacobian_bytes = m * n * itemsize
    if jacobian_bytes > LARGE_BYTES:
        why += (f"; but the Jacobian would be {_bytes(jacobian_bytes)}: if only its action is needed, "
                f"use cr.vjp (uᵀJ) or cr.jvp (Jv), one pass each")
    return Costs(n, m, itemsize, estimates, chosen, why)


#: Batches up to this size are measured outright; larger ones are extrapolated from it.
MEASURED_BATCH = 16


def _scaled(batched, count, one):
    """Seconds and peak bytes of ``batched(count)``, given ``one``, those of ``batched(1)``:
    measured when ``count`` is at most :data:`MEASURED_BATCH`, else read off the line
    through ``batched(1)`` and ``batched(16)``."""
    if count == 1:
        return one
    if count <= MEASURED_BATCH:
        return _measure(lambda: batched(count))
    t1, m1 = one
    tk, mk = _measure(lambda: batched(MEASURED_BATCH))
    slope = (count - 1) / (MEASURED_BATCH - 1)
    return t1 + slope * max(tk - t1, 0.0), m1 + slope * max(mk - m1, 0)


def _measure(fn):
    """Median seconds of a few calls (at least three, for at least 50 ms), and the peak
    bytes one call allocates."""
    fn()                                            # the first call pays for imports and caches
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < 0.05 and len(times) < 50):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), _memory(fn)


def _memory(fn) -> int:
    """The peak bytes allocated while ``fn`` runs, above what was allocated before."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(peak - before, 0)


def _seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale or unit == "µs":
            return f"{s / scale:.3g} {unit}"


def _bytes(b) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{int(b)} B"

