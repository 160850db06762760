r"""The regularized incomplete gamma and beta functions differentiated in their shape
parameters: series and continued fractions, on arrays (the kernels behind ``gammainc_da``
and ``betainc_dab`` of :mod:`chainrule.ops.incomplete`).

No closed form exists for :math:`\partial P(a, x)/\partial a` or :math:`\partial I_x(a, b)/\partial a`.
Both functions are a prefactor times a series or a continued fraction whose terms are
rational in the shape parameters, so the derivatives follow term by term.  Each kernel
finds the first and second logarithmic derivatives,

.. math:: L_i = \frac{\partial \log F}{\partial \theta_i},\qquad
          L_{ij} = \frac{\partial^2 \log F}{\partial \theta_i \partial \theta_j},

and multiplies by the function value from SciPy (accurate to the last digits also in the
far tails): :math:`\partial_i F = F L_i` and :math:`\partial_{ij} F = F (L_i L_j + L_{ij})`.
Working with :math:`\log F` keeps the prefactor's large, cancelling logarithms
(:math:`a\log x - \log\Gamma(a)`) out of the result; the prefactor's own derivative
:math:`\log x - \psi(a)` is formed as :math:`\log(x/a) + \lambda(a)` with
:math:`\lambda = \log - \psi` from its asymptotic series, so it keeps its digits for large
:math:`a` too.

**Incomplete gamma.**  For :math:`x < a + 1` the series
:math:`P(a, x) = \frac{x^a e^{-x}}{\Gamma(a+1)} \sum_{n\ge0} t_n`, :math:`t_n = \prod_{k=1}^n \frac{x}{a+k}`,
whose terms all decrease, with :math:`\partial_a \log t_n = -\sum_{k\le n} \frac{1}{a+k}`;
for :math:`x \ge a + 1` the continued fraction of the complement,
:math:`Q(a, x) = \frac{x^a e^{-x}}{\Gamma(a)} \cfrac{1}{x+1-a-\cfrac{1\cdot(1-a)}{x+3-a-\cfrac{2(2-a)}{x+5-a-\cdots}}}`
(Numerical Recipes §6.2), then :math:`\partial P = -\partial Q`.  Each time the smaller of
:math:`P` and :math:`Q` (roughly) is differentiated, the one known to full relative accuracy.

**Incomplete beta.**  The continued fraction
:math:`I_x(a, b) = \frac{x^a(1-x)^b}{a B(a, b)} \cfrac{1}{1+\cfrac{d_1}{1+\cfrac{d_2}{1+\cdots}}}` with
:math:`d_{2m+1} = -\frac{(a+m)(a+b+m)x}{(a+2m)(a+2m+1)}`, :math:`d_{2m} = \frac{m(b-m)x}{(a+2m-1)(a+2m)}`,
for :math:`x < (a+1)/(a+b+2)`, and :math:`I_x(a, b) = 1 - I_{1-x}(b, a)` beyond.

A continued fraction is evaluated by the modified Lentz algorithm, carrying every quantity as
a second-order *jet* — its value, gradient and Hessian in the shape parameters — so the
logarithmic derivatives of the fraction are sums of increments that vanish as it converges
(:func:`_continued_fraction`).  Iteration stops, element by element, when the increments fall
below rounding; only the elements still running are updated (a loop over terms, never over
elements), so the cost follows the slowest element only where it is.

**Accuracy** (against mpmath at 40 digits, tests/special/test_shape_derivatives.py): first
derivatives to about :math:`10^{-13}` relative for shape parameters up to :math:`10^3`, far
into both tails; second derivatives to :math:`10^{-13}` relative to their natural scale
:math:`|F|(L_i^2 + |L_{ii}|)`.  In the extreme tails the value of :math:`F` is SciPy's, with
SciPy's accuracy (below about :math:`10^{-260}` it loses digits, and for :math:`a \gtrsim 10^6`
:math:`P` itself is off in the far tails).  An element that has not converged after
``MAX_TERMS`` terms (shape parameters beyond about :math:`2\cdot10^5`, near the bulk, where the
series' terms decay like :math:`e^{-n^2/2a}`) falls back to 5-point central differences of
:math:`\log P` (or :math:`\log Q`, :math:`\log I`, :math:`\log(1 - I)`) from SciPy in a step of
:math:`10^{-3}\sqrt a` (the scale on which the functions vary), accurate to about
:math:`10^{-10}` (first) and :math:`10^{-8}` (second derivatives) at :math:`a = 10^6`.
"""
from __future__ import annotations

from ..backend import special, xp

MAX_TERMS = 5000
_TOLERANCE = 2.0 ** -52          # on the change of a logarithmic derivative, relative to its size
_SECOND_TOLERANCE = 2.0 ** -46   # the second derivatives carry more rounding; looser
_TINY = 1e-300                   # Lentz's replacement for a vanishing denominator


# ----------------------------------------------------------------------------- jets
def _pairs(k: int):
    """The index pairs (i, j), i <= j, of the upper triangle of a k×k Hessian, in storage order."""
    return [(i, j) for i in range(k) for j in range(i, k)]


def _width(k: int, second: bool) -> int:
    return 1 + k + (len(_pairs(k)) if second else 0)


def _jet_product(u, v, k: int):
    """The product of two jets in k variables.

    A jet is a list ``[value, gradient_0 .. gradient_{k-1}]`` followed, for second order, by
    the Hessian's upper triangle ``hessian_(i,j) for i <= j``; the product rule gives
    :math:`(uv)_i = u_i v + u v_i` and :math:`(uv)_{ij} = u_{ij} v + u_i v_j + u_j v_i + u v_{ij}`."""
    out = [u[0] * v[0]]
    out += [u[1 + i] * v[0] + u[0] * v[1 + i] for i in range(k)]
    if len(u) > 1 + k:
        for h, (i, j) in enumerate(_pairs(k)):
            at = 1 + k + h
            out.append(u[at] * v[0] + u[1 + i] * v[1 + j] + u[1 + j] * v[1 + i] + u[0] * v[at])
    return out


def _log_jet(f, k: int):
    """The derivatives of :math:`\\log f` from a jet of :math:`f`: :math:`f_i/f` and
    :math:`f_{ij}/f - f_i f_j/f^2` (the value itself omitted)."""
    first = [f[1 + i] / f[0] for i in range(k)]
    if len(f) == 1 + k:
        return first
    return first + [f[1 + k + h] / f[0] - first[i] * first[j] for h, (i, j) in enumerate(_pairs(k))]


def _constant_jet(value, width: int, np_):
    zero = np_.zeros_like(value)
    return [value] + [zero] * (width - 1)


# ----------------------------------------------------------------------------- continued fractions
def _reciprocal_jet(v, k: int):
    r"""The jet of :math:`1/v`: :math:`-v_i/v^2` and :math:`(2 v_i v_j/v - v_{ij})/v^2`."""
    inverse = 1.0 / v[0]
    out = [inverse] + [-v[1 + i] * inverse * inverse for i in range(k)]
    if len(v) > 1 + k:
        for h, (i, j) in enumerate(_pairs(k)):
            out.append((2.0 * v[1 + i] * v[1 + j] * inverse - v[1 + k + h]) * inverse * inverse)
    return out


def _away_from_zero(v, np_):
    """Lentz's guard: a denominator whose value vanishes is replaced by a tiny number."""
    small = np_.abs(v[0]) < _TINY
    return [np_.where(small, _TINY, v[0])] + v[1:] if small.any() else v


def _continued_fraction(coefficients, offset, size: int, k: int, second: bool, np_):
    r"""Logarithmic derivatives of :math:`K = \alpha_1/(\beta_1 + \alpha_2/(\beta_2 + \cdots))` in k variables.

    Modified Lentz's algorithm on jets: :math:`K = \alpha_1/T` with
    :math:`T = \beta_1\prod_{n\ge2}\Delta_n`, :math:`\Delta_n = C_n D_n`,
    :math:`C_n = \beta_n + \alpha_n/C_{n-1}`, :math:`D_n = 1/(\beta_n + \alpha_n D_{n-1})`
    (:math:`C_1 = \beta_1`, :math:`D_1 = 0`), so
    :math:`\partial\log K = \partial\log\alpha_1 - \partial\log\beta_1 - \sum_n (\partial\log C_n + \partial\log D_n)`.
    The increments vanish as :math:`\Delta_n \to 1`: nothing grows and cancels, unlike the
    quotient :math:`A_n/B_n` of the forward recurrence, whose two logarithmic derivatives grow
    together (which cost up to three digits near the boundary of the fraction's region).

    ``coefficients(n, keep)`` returns the jets of :math:`\beta_n` and :math:`\alpha_n` for the
    elements still running (``keep``: their indices); ``offset`` is the list of the
    prefactor's logarithmic derivatives, the scale against which convergence is judged.
    Returns the list ``[L_i ..., L_ij ...]`` of :math:`\log K` (first derivatives only unless
    ``second``), and a mask of the elements that did not converge within ``MAX_TERMS`` terms."""
    width = _width(k, second)
    running = np_.arange(size)
    beta, alpha = coefficients(1, running)
    result = [p - q for p, q in zip(_log_jet(alpha, k), _log_jet(beta, k))]
    c, d = _away_from_zero(beta, np_), [np_.zeros(size)] * width
    scale_first = [np_.abs(o) for o in offset[:k]]
    unconverged = np_.zeros(size, dtype=bool)
    for n in range(2, MAX_TERMS + 1):
        beta, alpha = coefficients(n, running)
        d = _reciprocal_jet(_away_from_zero([p + q for p, q in zip(beta, _jet_product(alpha, d, k))], np_), k)
        c = _away_from_zero([p + q for p, q in zip(beta, _jet_product(alpha, _reciprocal_jet(c, k), k))], np_)
        step = [p + q for p, q in zip(_log_jet(c, k), _log_jet(d, k))]
        total = [r[running] - t for r, t in zip(result, step)]
        for r, t in zip(result, total):
            r[running] = t
        # converged: the factor is 1 and the increments are below rounding of the result
        first_scale = [s[running] + np_.abs(t) for s, t in zip(scale_first, total[:k])]
        done = np_.abs(c[0] * d[0] - 1.0) <= 2.0 ** -40
        for i in range(k):
            done = done & (np_.abs(step[i]) <= _TOLERANCE * first_scale[i])
        if second:
            for h, (i, j) in enumerate(_pairs(k)):
                size_ij = np_.abs(total[k + h]) + np_.abs(offset[k + h][running]) + first_scale[i] * first_scale[j]
                done = done & (np_.abs(step[k + h]) <= _SECOND_TOLERANCE * size_ij)
        if n == MAX_TERMS:
            unconverged[running[~done]] = True
            break
        if done.any():
            keep = ~done
            running = running[keep]
            if running.size == 0:
                break
            c, d = [v[keep] for v in c], [v[keep] for v in d]
    return result, unconverged


def _log_minus_digamma(s, np_, sf):
    r""":math:`\lambda(s) = \log s - \psi(s)`, from its asymptotic series
    :math:`\frac1{2s} + \frac1{12s^2} - \frac1{120s^4} + \frac1{252s^6} - \frac1{240s^8} + \frac1{132s^{10}}`
    for :math:`s \ge 16` (truncation below :math:`10^{-16}`), directly below.

    For a large shape parameter :math:`\log x - \psi(a)` is a small difference of two large
    numbers; written as :math:`\log(x/a) + \lambda(a)` it loses nothing."""
    large = s >= 16.0
    t = 1.0 / np_.where(large, s, 16.0)
    t2 = t * t
    series = t * (0.5 + t * (1.0 / 12 + t2 * (-1.0 / 120 + t2 * (1.0 / 252 + t2 * (-1.0 / 240 + t2 / 132)))))
    return np_.where(large, series, np_.log(s) - sf.digamma(s))


# ----------------------------------------------------------------------------- incomplete gamma
def _gamma_series(a, x, second, np_, sf):
    r""":math:`\partial_a\log P` (and :math:`\partial_a^2\log P`) by the series, for :math:`x < a + 1`.

    With :math:`S = \sum t_n`, :math:`H_n = \sum_{k\le n}\frac1{a+k}`, :math:`K_n = \sum_{k\le n}\frac1{(a+k)^2}`:
    :math:`\partial_a t_n = -t_n H_n`, :math:`\partial_a^2 t_n = t_n(H_n^2 + K_n)`."""
    size = a.size
    total, first, curvature = np_.ones(size), np_.zeros(size), np_.zeros(size)
    term, harmonic, squares = np_.ones(size), np_.zeros(size), np_.zeros(size)
    running, a_run, x_run = np_.arange(size), a, x
    unconverged = np_.zeros(size, dtype=bool)
    for n in range(1, MAX_TERMS + 1):
        shifted = a_run + n
        term = term * (x_run / shifted)
        harmonic = harmonic + 1.0 / shifted
        total[running] += term
        first[running] -= term * harmonic
        if second:
            squares = squares + 1.0 / (shifted * shifted)
            curvature[running] += term * (harmonic * harmonic + squares)
        # The remaining terms shrink at least by the ratio x/(a+n+1) < 1: bound their sum.
        ratio = x_run / (shifted + 1.0)
        done = term * (1.0 + harmonic) ** 2 <= 2.0 ** -56 * (1.0 - ratio) * total[running]
        if n == MAX_TERMS:
            unconverged[running[~done]] = True
        elif done.any():
            keep = ~done
            running, term, harmonic, squares = running[keep], term[keep], harmonic[keep], squares[keep]
            a_run, x_run = a_run[keep], x_run[keep]
            if running.size == 0:
                break
    ratio_first = first / total
    # log(x/(a+1)): as a difference of two negative logarithms below x = 1, where the quotient
    # could fall among the subnormal numbers and lose digits
    log_ratio = np_.where(x < 1.0, np_.log(x) - np_.log1p(a), np_.log(np_.maximum(x, 1.0) / (a + 1.0)))
    d1 = log_ratio + _log_minus_digamma(a + 1.0, np_, sf) + ratio_first
    d2 = -sf.polygamma(1, a + 1.0) + curvature / total - ratio_first * ratio_first if second else None
    return d1, d2, unconverged


def _gamma_continued_fraction(a, x, second, np_, sf):
    r""":math:`\partial_a\log Q` (and :math:`\partial_a^2\log Q`) by the continued fraction, for :math:`x \ge a + 1`:
    :math:`\beta_n = x + 2n - 1 - a` (:math:`\partial_a\beta_n = -1`), :math:`\alpha_1 = 1`,
    :math:`\alpha_n = -(n-1)(n-1-a)` (:math:`\partial_a\alpha_n = n - 1`); no second derivatives."""
    width = _width(1, second)

    def coefficients(n, keep):
        x_n, a_n = x[keep], a[keep]
        zero = np_.zeros_like(x_n)
        beta = [x_n + (2.0 * n - 1.0) - a_n, zero - 1.0, zero][:width]
        if n == 1:
            return beta, _constant_jet(zero + 1.0, width, np_)
        return beta, [-(n - 1.0) * ((n - 1.0) - a_n), zero + (n - 1.0), zero][:width]

    offset = [np_.log(x / a) + _log_minus_digamma(a, np_, sf)] + ([-sf.polygamma(1, a)] if second else [])
    found, unconverged = _continued_fraction(coefficients, offset, a.size, 1, second, np_)
    d1 = offset[0] + found[0]
    return d1, offset[1] + found[1] if second else None, unconverged


def gammainc_shape_derivatives(a, x, order: int):
    r""":math:`\partial_a^{\,order} P(a, x)` (order 1 or 2) for broadcastable float arrays, in float64.

    Where :math:`x < a + 1` from the derivatives of :math:`\log P`, elsewhere from those of
    :math:`\log Q` (:math:`\partial P = -\partial Q`): each time the smaller of the two, the one
    SciPy computes to full relative accuracy.  0 at :math:`x = 0` and :math:`x = \infty` (where
    :math:`P` is 0 or 1 for every :math:`a`); NaN outside the domain :math:`a > 0, x \ge 0`."""
    np_, sf = xp(a, x), special(a, x)
    a64, x64 = np_.broadcast_arrays(*(np_.asarray(v, dtype=np_.float64) for v in (a, x)))
    shape = a64.shape
    a64, x64 = a64.ravel(), x64.ravel()
    out = np_.zeros(a64.size)
    out[~((a64 > 0) & (x64 >= 0))] = np_.nan
    inner = (a64 > 0) & (x64 > 0) & np_.isfinite(x64) & np_.isfinite(a64)
    second = order == 2
    for region, kernel in ((inner & (x64 < a64 + 1.0), _gamma_series),
                           (inner & (x64 >= a64 + 1.0), _gamma_continued_fraction)):
        if not region.any():
            continue
        a_r, x_r = a64[region], x64[region]
        d1, d2, unconverged = kernel(a_r, x_r, second, np_, sf)
        lower = kernel is _gamma_series
        fn = (lambda s: sf.gammainc(s, x_u)) if lower else (lambda s: sf.gammaincc(s, x_u))  # noqa: E731
        if unconverged.any():
            x_u = x_r[unconverged]
            d1[unconverged], second_u = _log_differences(fn, a_r[unconverged], np_)
            if second:
                d2[unconverged] = second_u
        value = sf.gammainc(a_r, x_r) if lower else -sf.gammaincc(a_r, x_r)
        out[region] = value * (d1 * d1 + d2 if second else d1)
    return out.reshape(shape)


# ----------------------------------------------------------------------------- incomplete beta
def _beta_continued_fraction(a, b, x, log_x, log_complement, second, np_, sf):
    r"""Logarithmic derivatives in :math:`(a, b)` (first: a, b; second: aa, ab, bb) of
    :math:`I_x(a, b)` by its continued fraction, for :math:`x < (a+1)/(a+b+2)`.

    The prefactor :math:`\log\frac{x^a(1-x)^b}{aB(a,b)}` contributes
    :math:`\log x - \psi(a+1) + \psi(a+b)` and :math:`\log(1-x) - \psi(b) + \psi(a+b)` (using
    :math:`\psi(a) + 1/a = \psi(a+1)`, which avoids the cancellation of :math:`1/a` for small
    :math:`a`), and :math:`-\psi_1(a+1) + \psi_1(a+b)`, :math:`\psi_1(a+b)`, :math:`-\psi_1(b) + \psi_1(a+b)`.

    ``log_x`` and ``log_complement`` are :math:`\log x` and :math:`\log(1 - x)`, formed by the
    caller from whichever of :math:`x` and :math:`1 - x` it was given exactly: for :math:`x`
    within rounding of 1, :math:`1 - x` computed here would have lost its digits."""
    width = _width(2, second)

    def coefficients(n, keep):
        a_n, b_n, x_n = a[keep], b[keep], x[keep]
        zero = np_.zeros_like(a_n)
        one = _constant_jet(zero + 1.0, width, np_)
        if n == 1:
            return one, one
        m, remainder = divmod(n - 2, 2)               # alpha_n = d_{n-1}
        if remainder == 0:
            # d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)): log-derivatives are sums of 1/(.) terms.
            p, q, r, s = a_n + m, a_n + b_n + m, a_n + 2 * m, a_n + 2 * m + 1.0
            d = -p * q * x_n / (r * s)
            la, lb = 1.0 / p + 1.0 / q - 1.0 / r - 1.0 / s, 1.0 / q
            if not second:
                return one, [d, d * la, d * lb]
            laa = -1.0 / (p * p) - 1.0 / (q * q) + 1.0 / (r * r) + 1.0 / (s * s)
            lab = lbb = -1.0 / (q * q)
            return one, [d, d * la, d * lb, d * (la * la + laa), d * (la * lb + lab), d * (lb * lb + lbb)]
        # d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)), linear in b (b - m may vanish: no log-derivative in b).
        m = m + 1
        r, s = a_n + 2 * m - 1.0, a_n + 2 * m
        base = m * x_n / (r * s)
        d = base * (b_n - m)
        la = -1.0 / r - 1.0 / s
        if not second:
            return one, [d, d * la, base]
        laa = 1.0 / (r * r) + 1.0 / (s * s)
        return one, [d, d * la, base, d * (la * la + laa), base * la, zero]

    # psi(a+b) - psi(s) = log((a+b)/s) - lambda(a+b) + lambda(s): no large cancelling terms
    lam_ab = _log_minus_digamma(a + b, np_, sf)
    offset = [log_x + np_.log1p((b - 1.0) / (a + 1.0)) + _log_minus_digamma(a + 1.0, np_, sf) - lam_ab,
              log_complement + np_.log1p(a / b) + _log_minus_digamma(b, np_, sf) - lam_ab]
    if second:
        tri_ab = sf.polygamma(1, a + b)
        offset += [tri_ab - sf.polygamma(1, a + 1.0), tri_ab, tri_ab - sf.polygamma(1, b)]
    terms, unconverged = _continued_fraction(coefficients, offset, a.size, 2, second, np_)
    return [o + t for o, t in zip(offset, terms)], unconverged


def betainc_shape_derivatives(a, b, x, da: int, db: int):
    r""":math:`\partial_a^{da}\partial_b^{db} I_x(a, b)` (:math:`1 \le da + db \le 2`) for broadcastable
    float arrays, in float64.

    Below :math:`x_0 = (a+1)/(a+b+2)` the continued fraction gives the derivatives of
    :math:`\log I`; above, those of :math:`\log(1 - I) = \log I_{1-x}(b, a)` with the roles of
    :math:`a, b` exchanged, and :math:`\partial(1 - I) = -\partial I`.  0 at :math:`x = 0` and
    :math:`x = 1`; NaN outside :math:`a, b > 0, 0 \le x \le 1`."""
    np_, sf = xp(a, b, x), special(a, b, x)
    a64, b64, x64 = np_.broadcast_arrays(*(np_.asarray(v, dtype=np_.float64) for v in (a, b, x)))
    shape = a64.shape
    a64, b64, x64 = a64.ravel(), b64.ravel(), x64.ravel()
    out = np_.zeros(a64.size)
    out[~((a64 > 0) & (b64 > 0) & (x64 >= 0) & (x64 <= 1))] = np_.nan
    inner = (a64 > 0) & (b64 > 0) & (x64 > 0) & (x64 < 1) & np_.isfinite(a64) & np_.isfinite(b64)
    lower = x64 < (a64 + 1.0) / (a64 + b64 + 2.0)
    second = da + db == 2
    for region, flip in ((inner & lower, False), (inner & ~lower, True)):
        if not region.any():
            continue
        # above x_0: I_x(a, b) = 1 - I_y(b, a) with y = 1 - x, whose (b, a)-derivatives are found;
        # log(1 - y) is then log x, exactly (1 - y would have lost the digits of a small x)
        x_r = x64[region]
        s, t = (b64[region], a64[region]) if flip else (a64[region], b64[region])
        y = 1.0 - x_r if flip else x_r
        log_y, log_complement = (np_.log1p(-x_r), np_.log(x_r)) if flip else (np_.log(x_r), np_.log1p(-x_r))
        logs, unconverged = _beta_continued_fraction(s, t, y, log_y, log_complement, second, np_, sf)
        if unconverged.any():
            _beta_by_differences(logs, unconverged, s, t, y, second, np_, sf)
        if flip:     # back from derivatives in (b, a) to derivatives in (a, b)
            logs = [logs[1], logs[0]] + ([logs[4], logs[3], logs[2]] if second else [])
        value = sf.betainc(s, t, y)
        la, lb = logs[0], logs[1]
        factor = {(1, 0): la, (0, 1): lb}.get((da, db))
        if second:
            factor = {(2, 0): la * la + logs[2], (1, 1): la * lb + logs[3], (0, 2): lb * lb + logs[4]}[(da, db)]
        out[region] = (-value if flip else value) * factor
    return out.reshape(shape)


def _beta_by_differences(logs, unconverged, a, b, x, second, np_, sf):
    """The fallback for the few elements whose continued fraction did not converge: central
    differences of :math:`\\log I_x(a, b)` from SciPy, in each parameter."""
    a_u, b_u, x_u = a[unconverged], b[unconverged], x[unconverged]
    logs[0][unconverged], second_a = _log_differences(lambda s: sf.betainc(s, b_u, x_u), a_u, np_)
    logs[1][unconverged], second_b = _log_differences(lambda t: sf.betainc(a_u, t, x_u), b_u, np_)
    if second:
        logs[2][unconverged], logs[4][unconverged] = second_a, second_b
        # the mixed derivative from four corners: [g(+,+) - g(+,-) - g(-,+) + g(-,-)] / (4 h k)
        h, k = _step(a_u, np_), _step(b_u, np_)
        corner = lambda i, j: np_.log(sf.betainc(a_u + i * h, b_u + j * k, x_u))  # noqa: E731
        logs[3][unconverged] = (corner(1, 1) - corner(1, -1) - corner(-1, 1) + corner(-1, -1)) / (4.0 * h * k)


# ----------------------------------------------------------------------------- the fallback
def _step(a, np_):
    """The difference step: :math:`10^{-3}\\sqrt a` (the scale on which the functions vary in a
    large shape parameter), and never more than a quarter of :math:`a`."""
    return np_.minimum(1e-3 * np_.sqrt(a), 0.25 * a)


def _log_differences(fn, a, np_):
    r"""First and second derivatives of :math:`\log f` at ``a`` by the 5-point central stencils
    :math:`(-g_2 + 8g_1 - 8g_{-1} + g_{-2})/12h` and :math:`(-g_2 + 16g_1 - 30g_0 + 16g_{-1} - g_{-2})/12h^2`
    (truncation :math:`O(h^4)`)."""
    h = _step(a, np_)
    g = {s: np_.log(fn(a + s * h)) for s in (-2, -1, 0, 1, 2)}
    first = (-g[2] + 8.0 * g[1] - 8.0 * g[-1] + g[-2]) / (12.0 * h)
    second = (-g[2] + 16.0 * g[1] - 30.0 * g[0] + 16.0 * g[-1] - g[-2]) / (12.0 * h * h)
    return first, second
