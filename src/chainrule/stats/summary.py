"""Printed summaries of fitted models, laid out like statsmodels' tables.

A summary has a title, a two-column block of model statistics, a table of coefficients
(estimate, standard error, test statistic, p-value, confidence interval) and, for
linear regression, a block of residual diagnostics.  ``print(result.summary())``.
"""
from __future__ import annotations

import math

import numpy as np

WIDTH = 78


def _number(value) -> str:
    """A statistic in a short, readable form (statsmodels' ``%#8.4g`` style)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:#.4g}".rstrip(".") if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


class Summary(str):
    """The text of a summary table: a ``str`` (print it), with the title at ``.title``."""

    title: str


def _pairs_block(left: list, right: list) -> list[str]:
    rows = []
    half = WIDTH // 2
    for i in range(max(len(left), len(right))):
        parts = []
        for block in (left, right):
            if i < len(block):
                label, value = block[i]
                text = _number(value)
                parts.append(f"{label + ':':<{half - 2 - max(len(text), 10)}}{text:>{max(len(text), 10)}}")
            else:
                parts.append(" " * (half - 2))
        rows.append("    ".join(parts))
    return rows


def coefficient_table(names, estimates, errors, statistics, pvalues, lows, highs, statistic_label: str,
                      confidence_level: float) -> list[str]:
    """The table of coefficients: one row per parameter."""
    alpha = 1 - confidence_level
    low_label, high_label = f"[{alpha / 2:.3g}", f"{1 - alpha / 2:.3g}]"
    width = max([len(str(n)) for n in names] + [8])
    header = (f"{'':<{width}} {'coef':>11} {'std err':>11} {statistic_label:>9} {'P>|' + statistic_label + '|':>9}"
              f" {low_label:>11} {high_label:>11}")
    rows = [header, "-" * len(header)]
    for values in zip(names, estimates, errors, statistics, pvalues, lows, highs):
        name, est, err, stat, p, lo, hi = values
        rows.append(f"{str(name):<{width}} {_cell(est):>11} {_cell(err):>11} {float(stat):>9.3f} "
                    f"{float(p):>9.3f} {_cell(lo):>11} {_cell(hi):>11}")
    return rows


def _cell(value) -> str:
    """A coefficient in at most 11 characters: fixed point, or scientific when large or tiny."""
    value = float(value)
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.4f}"


def render(title: str, left: list, right: list, table: list[str], diagnostics: tuple = ((), ()),
           notes: list[str] = ()) -> Summary:
    """Assemble the blocks into one table of text."""
    width = max([WIDTH] + [len(r) for r in table])
    rule = "=" * width
    lines = [title.center(width), rule, *_pairs_block(left, right), rule, *table, rule]
    if diagnostics[0] or diagnostics[1]:
        lines += [*_pairs_block(*diagnostics), rule]
    if notes:
        lines += ["Notes:", *notes]
    text = Summary("\n".join(line.rstrip() for line in lines if line is not None))
    text.title = title
    return text
