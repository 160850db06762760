r"""Distribution-free tests: Kolmogorov–Smirnov, Mann–Whitney U, Wilcoxon signed-rank.

These tests use only the order of the observations (ranks, or empirical distribution
functions), so their null distributions hold for any continuous distribution.  Exact
null distributions are computed by dynamic programming over lattice paths or rank
sums (each step is a vectorised recurrence with positive weights, so small p-values
keep their relative accuracy); large samples use SciPy's asymptotic forms.  Names,
arguments, defaults and results follow ``scipy.stats`` for one-dimensional samples.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special, stats as _scipy_stats

from .results import KstestResult, MannwhitneyuResult, WilcoxonResult, check_alternative
from .validation import as_array, sample

__all__ = ["rankdata", "ks_1samp", "ks_2samp", "kstest", "mannwhitneyu", "wilcoxon"]


# ----------------------------------------------------------------------------- ranks
def _ranks_and_ties(a: np.ndarray):
    """Average ranks (1-based) of a 1-D array and the sizes of its tie groups."""
    order = np.argsort(a, kind="stable")
    ordered = a[order]
    starts_group = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(starts_group)
    sizes = np.diff(np.append(starts, a.size))
    group = np.cumsum(starts_group) - 1
    ranks = np.empty(a.size)
    ranks[order] = starts[group] + (sizes[group] + 1) / 2.0
    return ranks, sizes


def rankdata(a, method: str = "average") -> np.ndarray:
    r"""Ranks of the data, 1 for the smallest (``scipy.stats.rankdata`` on the flattened input).

    Ties: ``"average"`` gives each member of a tie group the mean of the ranks the group
    spans, ``"min"``/``"max"`` the lowest/highest of them, ``"dense"`` consecutive ranks
    per distinct value, ``"ordinal"`` distinct ranks in order of appearance.
    """
    x = as_array(a).reshape(-1)
    if np.isnan(x).any():
        raise ValueError("rankdata: the data contain NaN")
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    new = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if x.size else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, x.size))
    group = np.cumsum(new) - 1
    by_method = {
        "average": lambda: starts[group] + (sizes[group] + 1) / 2.0,
        "min": lambda: (starts[group] + 1).astype(np.float64),
        "max": lambda: (starts[group] + sizes[group]).astype(np.float64),
        "dense": lambda: (group + 1).astype(np.float64),
        "ordinal": lambda: np.arange(1, x.size + 1, dtype=np.float64),
    }
    if method not in by_method:
        raise ValueError(f"rankdata: method must be one of {', '.join(by_method)}, got {method!r}")
    ranks = np.empty(x.size)
    ranks[order] = by_method[method]()
    return ranks


# ----------------------------------------------------------------------------- Kolmogorov–Smirnov
def _cdf_function(cdf, args):
    """A vectorised CDF from a callable, a SciPy distribution name, or an object with ``.cdf``."""
    if isinstance(cdf, str):
        if not hasattr(_scipy_stats, cdf) or not hasattr(getattr(_scipy_stats, cdf), "cdf"):
            raise ValueError(f"ks_1samp: {cdf!r} is not the name of a scipy.stats distribution")
        return lambda x: getattr(_scipy_stats, cdf).cdf(x, *args)
    if hasattr(cdf, "cdf"):
        return lambda x: as_array(cdf.cdf(x, *args) if args else cdf.cdf(x))
    if callable(cdf):
        return lambda x: as_array(cdf(x, *args))
    raise TypeError(f"ks_1samp: cdf must be a callable, a distribution or a scipy.stats name, got {type(cdf)}")


def ks_1samp(x, cdf, args=(), alternative: str = "two-sided", method: str = "auto") -> KstestResult:
    r"""One-sample Kolmogorov–Smirnov test of :math:`H_0: x_i \sim F` (``scipy.stats.ks_1samp``).

    With the sorted sample :math:`x_{(1)} \le \dots \le x_{(n)}`:

    .. math::

        D^+ = \max_i \Big(\frac in - F(x_{(i)})\Big), \quad
        D^- = \max_i \Big(F(x_{(i)}) - \frac{i-1}{n}\Big), \quad D = \max(D^+, D^-).

    ``"greater"`` uses :math:`D^+`, ``"less"`` :math:`D^-`, each with the exact one-sided
    null distribution (SciPy's ``ksone``); ``"two-sided"`` uses :math:`D` with the exact
    distribution ``kstwo`` (``method="exact"``/``"auto"``), Kolmogorov's limit
    ``kstwobign`` of :math:`\sqrt n D` (``"asymp"``), or twice the one-sided tail
    (``"approx"``).  ``cdf`` is a callable, a ``scipy.stats`` distribution name (with
    ``args``) or a distribution object with a ``cdf`` method (chainrule or SciPy).
    """
    check_alternative(alternative, "ks_1samp")
    if method not in ("auto", "exact", "asymp", "approx"):
        raise ValueError(f"ks_1samp: method must be 'auto', 'exact', 'asymp' or 'approx', got {method!r}")
    data = np.sort(sample(x, "ks_1samp"))
    n = data.size
    values = np.asarray(_cdf_function(cdf, args)(data), dtype=np.float64).reshape(-1)
    if values.shape != data.shape:
        raise ValueError(f"ks_1samp: the cdf returned shape {values.shape} for {n} points")
    above = np.arange(1.0, n + 1) / n - values
    below = values - np.arange(0.0, n) / n
    i_plus, i_minus = int(np.argmax(above)), int(np.argmax(below))
    d_plus, d_minus = above[i_plus], below[i_minus]
    if alternative == "greater":
        return KstestResult(d_plus, _scipy_stats.ksone.sf(d_plus, n), statistic_location=data[i_plus],
                            statistic_sign=np.int8(1))
    if alternative == "less":
        return KstestResult(d_minus, _scipy_stats.ksone.sf(d_minus, n), statistic_location=data[i_minus],
                            statistic_sign=np.int8(-1))
    plus_wins = d_plus > d_minus
    d = d_plus if plus_wins else d_minus
    if method in ("auto", "exact"):
        p = _scipy_stats.kstwo.sf(d, n)
    elif method == "asymp":
        p = _scipy_stats.kstwobign.sf(d * math.sqrt(n))
    else:
        p = 2 * _scipy_stats.ksone.sf(d, n)
    return KstestResult(d, np.clip(p, 0.0, 1.0), statistic_location=data[i_plus if plus_wins else i_minus],
                        statistic_sign=np.int8(1 if plus_wins else -1))


def _ks_2samp_exact(n1: int, n2: int, bound: int, two_sided: bool) -> float:
    r"""P(the ECDF distance reaches :math:`D`) by a walk over the lattice of merged orders.

    A merged ordering of the samples is a path from (0, 0) to :math:`(n_1, n_2)`; at
    :math:`(i, j)` the ECDF difference is :math:`(i n_2 - j n_1)/(n_1 n_2)`, compared in
    integers with ``bound`` :math:`= D n_1 n_2`.  ``q[i]`` on the anti-diagonal
    :math:`i + j = k` is the fraction of the :math:`\binom{k}{i}` paths to :math:`(i, j)`
    that have already crossed; :math:`q(i,j) = \frac ik q(i-1,j) + \frac jk q(i,j-1)`,
    and 1 where :math:`(i, j)` itself crosses.  Positive weights only: relative accuracy
    is kept down to the smallest p-values.
    """
    i = np.arange(n1 + 1)
    q = np.zeros(n1 + 1)
    for k in range(1, n1 + n2 + 1):
        j = k - i
        stepped = q * (j / k)
        stepped[1:] += q[:-1] * (i[1:] / k)
        gap = i * n2 - j * n1
        crossed = (np.abs(gap) if two_sided else gap) >= bound
        q = np.where((j < 0) | (j > n2), 0.0, np.where(crossed, 1.0, stepped))
    return float(q[n1])


def ks_2samp(data1, data2, alternative: str = "two-sided", method: str = "auto") -> KstestResult:
    r"""Two-sample Kolmogorov–Smirnov test of :math:`H_0: F_1 = F_2` (``scipy.stats.ks_2samp``).

    With the empirical CDFs :math:`\hat F_1, \hat F_2`:
    :math:`D^+ = \max_x (\hat F_1 - \hat F_2)` (``"greater"``: :math:`F_1` lies above),
    :math:`D^- = \max_x (\hat F_2 - \hat F_1)` (``"less"``), :math:`D = \max(D^+, D^-)`.

    Null distribution: exact (``method="exact"``, and ``"auto"`` when both samples have at
    most 10000 observations) by counting the merged orderings whose ECDF distance reaches
    :math:`D`; otherwise asymptotic (two-sided: ``kstwo`` at
    :math:`n_e = \mathrm{round}(n_1 n_2/(n_1 + n_2))`; one-sided: Hodges' approximation
    :math:`\exp(-2z^2 - \frac{2z(m + 2n)}{3\sqrt{mn(m+n)}})`, :math:`z = \sqrt{n_e} D`, :math:`m \ge n`).
    Ties are allowed (the ECDFs jump together).
    """
    check_alternative(alternative, "ks_2samp")
    if method not in ("auto", "exact", "asymp"):
        raise ValueError(f"ks_2samp: method must be 'auto', 'exact' or 'asymp', got {method!r}")
    x = np.sort(sample(data1, "ks_2samp", "first sample"))
    y = np.sort(sample(data2, "ks_2samp", "second sample"))
    n1, n2 = x.size, y.size
    pooled = np.concatenate([x, y])
    differences = (np.searchsorted(x, pooled, side="right") / n1
                   - np.searchsorted(y, pooled, side="right") / n2)
    i_min, i_max = int(np.argmin(differences)), int(np.argmax(differences))
    d_minus, d_plus = float(np.clip(-differences[i_min], 0, 1)), float(differences[i_max])
    if alternative == "less" or (alternative == "two-sided" and d_minus > d_plus):
        d, location, sign = d_minus, pooled[i_min], -1
    else:
        d, location, sign = d_plus, pooled[i_max], 1
    if method == "auto":
        method = "exact" if max(n1, n2) <= 10000 else "asymp"
    if method == "exact":
        g = math.gcd(n1, n2)
        h = int(np.round(d * (n1 // g) * n2))       # D in units of 1/lcm(n1, n2), as an integer
        d = h / ((n1 // g) * n2)
        small, large = sorted((n1, n2))
        p = 1.0 if h == 0 else _ks_2samp_exact(small, large, h * g, alternative == "two-sided")
    else:
        m, n = sorted([float(n1), float(n2)], reverse=True)
        en = m * n / (m + n)
        if alternative == "two-sided":
            p = _scipy_stats.kstwo.sf(d, np.round(en))
        else:
            z = np.sqrt(en) * d
            p = np.exp(-2 * z ** 2 - 2 * z * (m + 2 * n) / np.sqrt(m * n * (m + n)) / 3.0)
    return KstestResult(np.float64(d), np.float64(np.clip(p, 0.0, 1.0)), statistic_location=location,
                        statistic_sign=np.int8(sign))


def kstest(rvs, cdf, args=(), alternative: str = "two-sided", method: str = "auto") -> KstestResult:
    """Kolmogorov–Smirnov test (``scipy.stats.kstest``): :func:`ks_2samp` when ``cdf`` is a
    second sample (an array), :func:`ks_1samp` when it is a CDF."""
    if isinstance(cdf, (np.ndarray, list, tuple)) or (hasattr(cdf, "shape") and not hasattr(cdf, "cdf")):
        return ks_2samp(rvs, cdf, alternative=alternative, method=method)
    return ks_1samp(rvs, cdf, args=args, alternative=alternative, method=method)


# ----------------------------------------------------------------------------- Mann–Whitney U
def _mwu_sf(u: int, m: int, n: int) -> float:
    r""":math:`P(U \ge u)` under :math:`H_0` for samples of sizes :math:`m, n` (no ties).

    The rank sum of the first sample is the sum of a uniformly random :math:`m`-subset of
    :math:`\{1, \dots, m + n\}`.  Adding the elements :math:`e = 1, 2, \dots` one at a
    time, ``p[s, t]`` is the fraction of the :math:`\binom{e}{s}` subsets of size
    :math:`s` of :math:`\{1..e\}` with sum :math:`t`:
    :math:`p_e[s, t] = \frac{e-s}{e} p_{e-1}[s, t] + \frac se p_{e-1}[s-1, t-e]`.
    """
    top = m * (m + 1) // 2 + m * n
    if (m + 1) * (top + 1) > 5e7:
        raise ValueError(f"mannwhitneyu: the exact null distribution for samples of {m} and {n} observations is too "
                         f"large to tabulate; use method='asymptotic'")
    p = np.zeros((m + 1, top + 1))
    p[0, 0] = 1.0
    sizes = np.arange(m + 1).reshape(-1, 1)
    for e in range(1, m + n + 1):
        added = np.zeros_like(p)
        added[1:, e:] = p[:-1, :-e] if e <= top else 0.0
        p = p * ((e - sizes) / e).clip(min=0) + added * (sizes / e)
    pmf = p[m, m * (m + 1) // 2:]                       # indexed by U = rank sum - m(m+1)/2
    return float(pmf[max(u, 0):].sum()) if u <= m * n else 0.0


def mannwhitneyu(x, y, use_continuity: bool = True, alternative: str = "two-sided",
                 method: str = "auto") -> MannwhitneyuResult:
    r"""Mann–Whitney U test of :math:`H_0`: the two samples come from one distribution
    (``scipy.stats.mannwhitneyu``).

    With :math:`R_1` the sum of the (average) ranks of ``x`` in the pooled sample,

    .. math:: U_1 = R_1 - \frac{n_1(n_1 + 1)}{2}, \qquad U_2 = n_1 n_2 - U_1,

    the statistic returned is :math:`U_1`.  ``"greater"`` uses :math:`P(U \ge U_1)`,
    ``"less"`` :math:`P(U \ge U_2)`, ``"two-sided"`` twice :math:`P(U \ge \max(U_1, U_2))`.
    ``method="exact"`` uses the exact null distribution of :math:`U` (which assumes no
    ties: with ties :math:`U` is truncated to an integer, as SciPy); ``"asymptotic"`` the
    normal approximation with mean :math:`n_1 n_2 / 2`, tie-corrected variance

    .. math:: \sigma^2 = \frac{n_1 n_2}{12}\Big(n + 1 - \frac{\sum_g (t_g^3 - t_g)}{n(n-1)}\Big)

    and, with ``use_continuity``, a half-unit continuity correction.  ``"auto"``: exact
    when one sample has at most 8 observations and there are no ties.
    """
    check_alternative(alternative, "mannwhitneyu")
    if method not in ("auto", "exact", "asymptotic"):
        raise ValueError(f"mannwhitneyu: method must be 'auto', 'exact' or 'asymptotic', got {method!r}")
    a = sample(x, "mannwhitneyu", "first sample")
    b = sample(y, "mannwhitneyu", "second sample")
    n1, n2 = a.size, b.size
    ranks, ties = _ranks_and_ties(np.concatenate([a, b]))
    u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    if alternative == "greater":
        u, factor = u1, 1
    elif alternative == "less":
        u, factor = u2, 1
    else:
        u, factor = max(u1, u2), 2
    if method == "auto":
        method = "asymptotic" if (n1 > 8 and n2 > 8) or np.any(ties > 1) else "exact"
    if method == "exact":
        p = _mwu_sf(int(u), min(n1, n2), max(n1, n2))
    else:
        n = n1 + n2
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - np.sum(ties ** 3 - ties) / (n * (n - 1))))
        if sigma == 0:
            raise ValueError("mannwhitneyu: every observation is equal, so U carries no information")
        z = (u - n1 * n2 / 2 - (0.5 if use_continuity else 0.0)) / sigma
        p = special.ndtr(-z)
    return MannwhitneyuResult(np.float64(u1), np.float64(np.clip(p * factor, 0.0, 1.0)))


# ----------------------------------------------------------------------------- Wilcoxon signed-rank
def _signed_rank_tails(doubled_ranks: np.ndarray, observed: float):
    r""":math:`P(T \le t)` and :math:`P(T \ge t)` for :math:`T = \sum_i r_i B_i`, :math:`B_i`
    independent fair coins (the null distribution of the signed-rank statistic given the
    ranks).  Ranks are doubled so that average ranks of ties (halves) are integers."""
    pmf = np.zeros(int(doubled_ranks.sum()) + 1)
    pmf[0] = 1.0
    for r in doubled_ranks.astype(np.int64):
        shifted = np.zeros_like(pmf)
        shifted[r:] = pmf[:pmf.size - r]
        pmf = 0.5 * (pmf + shifted)
    support = np.arange(pmf.size)
    t = 2 * observed
    tolerance = 1e-9
    return pmf[support <= t + tolerance].sum(), pmf[support >= t - tolerance].sum()


def wilcoxon(x, y=None, zero_method: str = "wilcox", correction: bool = False, alternative: str = "two-sided",
             method: str = "auto") -> WilcoxonResult:
    r"""Wilcoxon signed-rank test of :math:`H_0`: the differences :math:`d = x - y` (or
    :math:`x`) are symmetric about 0 (``scipy.stats.wilcoxon``).

    Rank :math:`|d_i|` (average ranks for ties) and sum the ranks of the positive ones:

    .. math:: T^+ = \sum_{i:\, d_i > 0} r_i, \qquad T^- = \sum_{i:\, d_i < 0} r_i.

    The statistic is :math:`\min(T^+, T^-)` for ``"two-sided"`` and :math:`T^+` otherwise.
    Zeros: ``"wilcox"`` drops them, ``"pratt"`` ranks them and then drops them,
    ``"zsplit"`` splits their ranks between :math:`T^+` and :math:`T^-`.

    Null distribution of :math:`T^+`: each rank carries a fair random sign.  ``"exact"``
    uses the distribution for ranks :math:`1..n`; ``"asymptotic"`` the normal with mean
    :math:`n(n+1)/4` and variance :math:`\frac{n(n+1)(2n+1)}{24} - \frac{\sum_g (t_g^3 - t_g)}{48}`
    (optionally with a continuity ``correction``); ``"auto"`` (SciPy's choice) is exact
    for :math:`n \le 50` without ties or zeros, the exact conditional (permutation)
    distribution given the tied ranks for :math:`n \le 13`, asymptotic otherwise.
    """
    check_alternative(alternative, "wilcoxon")
    if zero_method not in ("wilcox", "pratt", "zsplit"):
        raise ValueError(f"wilcoxon: zero_method must be 'wilcox', 'pratt' or 'zsplit', got {zero_method!r}")
    if method not in ("auto", "exact", "asymptotic"):
        raise ValueError(f"wilcoxon: method must be 'auto', 'exact' or 'asymptotic', got {method!r}")
    d = sample(x, "wilcoxon", "sample")
    if y is not None:
        other = sample(y, "wilcoxon", "second sample")
        if other.shape != d.shape:
            raise ValueError(f"wilcoxon: x and y must have the same length, got {d.size} and {other.size}")
        d = d - other
    chosen = method
    if chosen == "auto" and d.size > 50:
        chosen = "asymptotic"
    zeros = d == 0
    n_zero = int(zeros.sum())
    ranked = d[~zeros] if zero_method == "wilcox" else d
    if ranked.size == 0:
        raise ValueError("wilcoxon: every difference is zero, so the statistic is undefined")
    ranks, ties = _ranks_and_ties(np.abs(ranked))
    r_plus, r_minus = ranks[ranked > 0].sum(), ranks[ranked < 0].sum()
    count = float(ranked.size)
    mean = count * (count + 1) / 4
    variance_24 = count * (count + 1) * (2 * count + 1)
    tie_groups = ties
    if zero_method == "zsplit":
        r_plus += ranks[ranked == 0].sum() / 2
        r_minus += ranks[ranked == 0].sum() / 2
    elif zero_method == "pratt" and n_zero:
        mean -= n_zero * (n_zero + 1) / 4
        variance_24 -= n_zero * (n_zero + 1) * (2 * n_zero + 1)
        tie_groups = ties[1:]                             # the zeros' group is the first (smallest |d|)
    se = np.sqrt((variance_24 - np.sum(tie_groups ** 3 - tie_groups) / 2) / 24)
    if chosen == "auto":
        chosen = "exact" if not (np.any(ties > 1) or n_zero) else ("permutation" if d.size <= 13 else "asymptotic")
    z = None
    if chosen == "asymptotic":
        if se == 0:
            raise ValueError("wilcoxon: the signed ranks have zero variance (every nonzero difference is tied)")
        z = (r_plus - mean) / se
        if correction:
            sign = {"greater": 1.0, "less": -1.0}.get(alternative, np.sign(z))
            z -= sign * 0.5 / se
        p = {"greater": lambda: special.ndtr(-z), "less": lambda: special.ndtr(z),
             "two-sided": lambda: 2 * special.ndtr(-abs(z))}[alternative]()
    else:
        if chosen == "exact":
            doubled, low, high = 2.0 * np.arange(1, int(count) + 1), np.ceil(r_plus), np.floor(r_plus)
        else:                                             # conditional on the observed (tied) ranks
            doubled, low, high = 2 * ranks[ranked != 0], r_plus, r_plus
            shift = ranks[ranked == 0].sum() / 2 if zero_method == "zsplit" else 0.0
            low, high = low - shift, high - shift
        p_le, _ = _signed_rank_tails(doubled, low)
        _, p_ge = _signed_rank_tails(doubled, high)
        p = {"greater": p_ge, "less": p_le, "two-sided": 2 * min(p_le, p_ge)}[alternative]
    statistic = min(r_plus, r_minus) if alternative == "two-sided" else r_plus
    extra = {}
    if method == "asymptotic":
        extra["zstatistic"] = np.float64(-abs(z) if alternative == "two-sided" else z)
    return WilcoxonResult(np.float64(statistic), np.float64(np.clip(p, 0.0, 1.0)), **extra)
