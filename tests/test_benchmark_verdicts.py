"""How benchmarks/ judges a speed target: per-round ratios, intervals for a median, verdicts.

The module is loaded from its file: benchmarks/ is a folder of scripts, not a package,
and ``verdicts.py`` is the part of it that imports no library under test.
"""
import importlib.util
import math
import pathlib
import statistics

import numpy as np
import pytest
from scipy import stats

PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "verdicts.py"
_spec = importlib.util.spec_from_file_location("benchmark_verdicts", PATH)
verdicts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verdicts)


def order_statistic_interval(values, confidence=0.95):
    """The textbook interval for a median, written out: the largest k with
    P(Bin(n, 1/2) < k) <= (1 - confidence)/2 gives [x_(k), x_(n+1-k)]."""
    x = sorted(values)
    n = len(x)
    k = 0
    while stats.binom.cdf(k, n, 0.5) <= (1 - confidence) / 2:      # P(Bin < k + 1)
        k += 1
    if k == 0:
        return math.nan, math.nan
    return x[k - 1], x[n - k]


def test_medians_per_library():
    samples = {"chainrule": [3.0, 1.0, 2.0], "torch": [4.0, 8.0, 6.0, 5.0]}
    assert verdicts.medians(samples) == {"chainrule": 2.0, "torch": 5.5}


def test_round_ratios_pair_the_rounds():
    samples = {"a": [1.0, 3.0, 2.0], "b": [2.0, 3.0, 8.0]}
    assert verdicts.round_ratios(samples, "a", "b") == [0.5, 1.0, 0.25]


def test_round_ratios_refuse_unequal_rounds():
    with pytest.raises(ValueError, match="a has 2 rounds and b has 3"):
        verdicts.round_ratios({"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}, "a", "b")


@pytest.mark.parametrize("n", [6, 9, 21, 31, 41])
def test_paired_ratio_is_the_median_with_its_order_statistic_interval(n):
    rng = np.random.default_rng(n)
    samples = {"chainrule": list(rng.lognormal(0.0, 0.2, n)), "torch": list(rng.lognormal(0.1, 0.2, n))}
    ratios = [x / y for x, y in zip(samples["chainrule"], samples["torch"])]
    middle, low, high = verdicts.paired_ratio(samples, "chainrule", "torch")
    assert middle == statistics.median(ratios)
    assert (low, high) == order_statistic_interval(ratios)
    assert low <= middle <= high


def test_too_few_rounds_give_no_interval_and_no_verdict():
    samples = {"a": [1.0, 1.1, 0.9, 1.0, 1.2], "b": [2.0] * 5}
    middle, low, high = verdicts.paired_ratio(samples, "a", "b")
    assert middle == 0.5
    assert math.isnan(low) and math.isnan(high)
    assert verdicts.verdict(low, high, 10.0) == "undecided"


def test_median_interval_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no values"):
        verdicts.median_interval([])


def test_the_interval_covers_the_true_median_as_often_as_it_claims():
    """1000 samples of 21 draws from a skewed distribution whose median is known (a
    log-normal's is e^mu): the 95 % interval must contain it in about 95 % of them or more
    (the order statistics give at least the confidence asked; for n = 21, 97.3 %)."""
    rng = np.random.default_rng(0)
    mu = -0.05
    covered = 0
    for _ in range(1000):
        _, low, high = verdicts.median_interval(rng.lognormal(mu, 0.3, 21))
        covered += low <= math.exp(mu) <= high
    assert 0.95 <= covered / 1000 <= 0.99


def test_process_ratio_takes_each_process_median_first():
    runs = [{"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 1.0]},       # round ratios 1, 2, 3: median 2
            {"a": [1.0, 1.0, 4.0], "b": [2.0, 2.0, 2.0]},       # 0.5, 0.5, 2: median 0.5
            {"a": [3.0, 3.0, 3.0], "b": [3.0, 3.0, 1.0]}]       # 1, 1, 3: median 1
    per_process, middle, low, high = verdicts.process_ratio(runs, "a", "b")
    assert per_process == [2.0, 0.5, 1.0]
    assert middle == 1.0
    assert math.isnan(low) and math.isnan(high)       # three processes cannot reach 95 %


def test_process_ratio_interval_over_nine_processes():
    rng = np.random.default_rng(1)
    runs = [{"a": list(rng.uniform(0.9, 1.1, 7)), "b": list(rng.uniform(0.9, 1.1, 7))} for _ in range(9)]
    per_process, middle, low, high = verdicts.process_ratio(runs, "a", "b")
    assert len(per_process) == 9
    assert (low, high) == order_statistic_interval(per_process)
    assert sorted(per_process)[1] == low and sorted(per_process)[7] == high   # k = 2 for n = 9


@pytest.mark.parametrize("low, high, target, expected", [
    (0.90, 0.94, 0.95, "met"),
    (0.90, 0.95, 0.95, "met"),             # an interval ending at the target is under it
    (0.96, 0.99, 0.95, "not met"),
    (0.95, 0.99, 0.95, "undecided"),       # starting at the target: it may be met
    (0.93, 0.97, 0.95, "undecided"),
    (math.nan, math.nan, 0.95, "undecided"),
])
def test_verdict(low, high, target, expected):
    assert verdicts.verdict(low, high, target) == expected
