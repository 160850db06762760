"""OpSpecs of the special-functions chapter (see specs/__init__.py)."""
from __future__ import annotations

SPECS = []
