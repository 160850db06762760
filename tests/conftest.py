"""Fixtures shared by the test modules of more than one chapter."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import specs
from chainrule.specs import OpSpec


@pytest.fixture
def tanh_spec(monkeypatch):
    """tanh's spec: the library's own when it has one, else a minimal one for these tests
    (the derivative catalogue's and the ``chainrule`` command's)."""
    found = [s for s in specs.all_specs() if s.name == "tanh"]
    if found:
        return found[0]
    spec = OpSpec("tanh", cr.tanh, [specs.real], [((),), ((2, 3),)], np.tanh)
    monkeypatch.setattr(specs.elementwise, "SPECS", [*specs.elementwise.SPECS, spec])
    return spec
