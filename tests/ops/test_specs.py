"""The registry-driven checks: every primitive has a spec, and every spec passes.

Each OpSpec (``chainrule/specs/<chapter>.py``) is run on all its input shapes: the
value against its NumPy/SciPy reference, then derivatives up to the spec's order
(2 for smooth operations) in forward and reverse mode against central differences
in float64.  ``pytest tests/ops -k reductions`` runs one chapter.
"""
from __future__ import annotations

import pytest

from chainrule import catalogue
from chainrule.autodiff.primitive import REGISTRY
from chainrule.specs import all_specs, run_spec

catalogue._load_all_modules()        # every chapter registers its primitives on import
SPECS = all_specs()


@pytest.mark.parametrize("spec", SPECS, ids=[f"{catalogue.chapter(s.op)}:{s.label}" for s in SPECS])
def test_spec(spec):
    result = run_spec(spec)
    assert result.ok, f"{spec.label}: {result.failure}"


def test_every_primitive_has_a_spec():
    """Completeness: a primitive the library registers cannot escape the catalogue."""
    checked = {s.name for s in SPECS if not s.composite}
    missing = sorted(p.name for p in catalogue._library_primitives() if p.name not in checked)
    assert not missing, f"primitives with no OpSpec: {', '.join(missing)}"


def test_differentiable_primitives_are_checked_to_second_order():
    """A smooth primitive's rules must themselves be differentiable (principle 2)."""
    order = {}
    for s in SPECS:
        order[s.name] = max(order.get(s.name, 0), s.order)
    low = sorted(p.name for p in catalogue._library_primitives()
                 if p.differentiable and order.get(p.name, 0) < 2 and not getattr(p, "first_order_only", False))
    assert not low, f"differentiable primitives whose specs stop below order 2: {', '.join(low)}"


def test_spec_names_are_registered_or_composite():
    unknown = sorted({s.name for s in SPECS if not s.composite and s.name not in REGISTRY})
    assert not unknown, f"specs naming no registered primitive (mark them composite=True): {unknown}"


def test_spec_labels_are_unique():
    labels = [s.label for s in SPECS]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    assert not dupes, f"two specs share a label: {dupes}"
