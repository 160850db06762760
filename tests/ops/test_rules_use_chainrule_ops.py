"""Principle 2 of DESIGN.md: derivative rules are written in chainrule's own ops.

A rule that computes on raw arrays (``np.exp(x.data)``) gives a correct first
derivative and a silently wrong (zero) second one.  The order-2 specs catch that
numerically; this test catches it in the source, naming the rule: no rule body may
call NumPy, SciPy or the array namespace, nor reach into ``.data``/``._data``/
``.numpy()``.  Arithmetic on *parameters* (axes, shapes) belongs in a named helper
outside the rule.
"""
from __future__ import annotations

import inspect
import re

from chainrule import catalogue

FORBIDDEN = re.compile(r"(?<![\w.])(np|numpy|scipy|xp|special)\s*[.(]|\.data\b|\._data\b|\.numpy\s*\(")


def _rules(prim):
    """The user-written callables that define a primitive's derivatives."""
    found = []
    for attr in ("vjp_rules", "jvp_rules", "partial_fns"):
        found.extend(r for r in (getattr(prim, attr, None) or ()) if r is not None)
    for attr in ("vjp_joint", "jvp_joint", "batch_rule"):
        r = getattr(prim, attr, None)
        if r is not None and attr != "batch_rule":
            found.append(r)
    # The Elementwise/Linear tiers wrap the declared partials and transposes in closures
    # defined in autodiff/primitive.py; those are engine code, the partials are the rules.
    return [r for r in found if getattr(r, "__module__", "") != "chainrule.autodiff.primitive"
            and not (inspect.ismethod(r) and r.__func__.__module__ == "chainrule.autodiff.primitive")]


def _source(fn):
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def test_no_rule_calls_numpy_or_touches_raw_data():
    catalogue._load_all_modules()
    offenders = []
    for prim in catalogue._library_primitives():
        for rule in _rules(prim):
            src = _source(rule)
            # drop comments and docstrings' words: only code matters
            code = "\n".join(line.split("#", 1)[0] for line in src.splitlines())
            m = FORBIDDEN.search(code)
            if m:
                offenders.append(f"{prim.name}: {rule.__qualname__} uses {m.group(0)!r}")
    assert not offenders, "derivative rules computing on raw arrays:\n" + "\n".join(offenders)
