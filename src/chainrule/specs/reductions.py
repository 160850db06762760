"""OpSpecs of the reductions chapter (see specs/__init__.py)."""
from __future__ import annotations

SPECS = []
