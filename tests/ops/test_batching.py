"""Every primitive can act on a batch at once (``vmap``), and agrees with a loop.

``jacrev``, ``jacfwd`` and ``hessian`` push all basis vectors through one batched
pass; a primitive without a batching rule would fall back to a Python loop over
the batch, which the calculus core forbids for anything but tiny sizes.  For each
spec, three stacked samples go through ``vmap(op)`` and must equal the op applied
to each sample.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import catalogue
from chainrule.specs import all_specs

catalogue._load_all_modules()
SPECS = all_specs()


def test_every_primitive_has_a_batching_rule():
    missing = sorted(p.name for p in catalogue._library_primitives() if p.batch_rule is None)
    assert not missing, f"primitives with no batching rule (vmap would loop): {', '.join(missing)}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.label for s in SPECS])
def test_vmap_agrees_with_a_loop(spec):
    rng = np.random.default_rng(1)
    shapes = spec.shapes[-1]
    samples = [spec.sample(shapes, rng) for _ in range(3)]
    batched = [i for i in range(len(spec.domains)) if np.asarray(samples[0][i]).dtype.kind == "f"]
    if not batched:
        pytest.skip("no floating input to batch")
    stacked = [cr.tensor(np.stack([s[i] for s in samples])) if i in batched else cr.tensor(np.asarray(samples[0][i]))
               for i in range(len(spec.domains))]
    # unbatched inputs (indices) are shared, so every sample uses the first one's
    per_example = []
    for s in samples:
        args = [s[i] if i in batched else samples[0][i] for i in range(len(spec.domains))]
        out = spec.op(*[cr.tensor(np.asarray(a)) for a in args])
        per_example.append(np.asarray(out.numpy() if isinstance(out, cr.Tensor) else out))
    in_axes = tuple(0 if i in batched else None for i in range(len(spec.domains)))
    got = cr.vmap(spec.op, in_axes=in_axes)(*stacked)
    np.testing.assert_allclose(np.asarray(got.numpy()), np.stack(per_example), rtol=1e-10, atol=1e-12)
