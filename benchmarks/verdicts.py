r"""How a speed target is judged: a ratio of times, an interval for it, and a verdict.

A benchmark times chainrule and another library round after round (``harness``); each
round gives one time per library.  A target such as "at most 0.95× PyTorch's time" is then
judged on the *ratio* of the two, not on the times themselves, because the machines are
shared: a slow phase lasts longer than a round and slows both libraries of the round alike.

Two levels of evidence, each with a distribution-free interval for a median:

``paired_ratio``
    the ratios of one process's rounds.  Its interval covers the noise from round to
    round, but not what differs from one process to the next (where the arrays land in
    memory, which hour it is): two runs minutes apart may give intervals that do not overlap.
``process_ratio``
    the median ratio of each of several processes.  Its interval covers that variation
    too; it needs at least six processes to reach 95 % (nine for an interval narrower than
    the whole range of the processes).

The interval for a median from :math:`n` independent draws :math:`r_{(1)} \le \dots \le
r_{(n)}` is :math:`[r_{(k)}, r_{(n+1-k)}]` with the largest :math:`k` such that
:math:`P(\mathrm{Bin}(n, \tfrac12) < k) \le (1 - \text{confidence})/2`
(:func:`scipy.stats.quantile_test`); it assumes nothing about the shape of the distribution.

This module imports no library under test, so it can be tested without setting threads.
"""
from __future__ import annotations

import math
import statistics

from scipy import stats


def medians(samples: dict) -> dict:
    """The median of each library's per-round times: ``{name: seconds per call}``."""
    return {name: statistics.median(values) for name, values in samples.items()}


def median_interval(values, confidence: float = 0.95):
    """The median of ``values`` and its distribution-free interval, ``(median, low, high)``;
    with too few values for ``confidence`` the interval's ends are NaN."""
    values = list(values)
    if not values:
        raise ValueError("median_interval: no values")
    interval = stats.quantile_test(values, p=0.5).confidence_interval(confidence)
    return statistics.median(values), float(interval.low), float(interval.high)


def round_ratios(samples: dict, a: str, b: str) -> list:
    """``a``'s time over ``b``'s in each round: ``samples[a][i] / samples[b][i]``."""
    if len(samples[a]) != len(samples[b]):
        raise ValueError(f"round_ratios: {a} has {len(samples[a])} rounds and {b} has {len(samples[b])}")
    return [x / y for x, y in zip(samples[a], samples[b])]


def paired_ratio(samples: dict, a: str, b: str, confidence: float = 0.95):
    r"""``a``'s time over ``b``'s, round by round, in one process: the median ratio and its
    interval, ``(median, low, high)``.  With fewer than six rounds no interval reaches
    95 %: its ends are NaN."""
    return median_interval(round_ratios(samples, a, b), confidence)


def process_ratio(runs: list, a: str, b: str, confidence: float = 0.95):
    """``a``'s time over ``b``'s over several processes: each process's median round ratio
    (``runs`` holds one ``samples`` dict per process), and the median of those with its
    interval: ``(per_process, median, low, high)``."""
    per_process = [statistics.median(round_ratios(samples, a, b)) for samples in runs]
    return (per_process, *median_interval(per_process, confidence))


def verdict(low: float, high: float, target: float) -> str:
    """Whether a ratio's interval ``[low, high]`` lies under ``target`` (met), over it
    (not met), or across it (undecided).  An interval with a NaN end decides nothing."""
    if math.isnan(low) or math.isnan(high):
        return "undecided"
    if high <= target:
        return "met"
    if low > target:
        return "not met"
    return "undecided"
