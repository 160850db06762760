r"""How fast an iterative method converges, measured from its iterates.

A sequence :math:`x_k \to x^\star` with errors :math:`e_k = \|x_k - x^\star\|` converges
with *order* :math:`q` and rate :math:`C` when :math:`e_{k+1} \approx C e_k^q`: linearly
(:math:`q = 1`, :math:`C < 1`; gradient descent), superlinearly
(:math:`e_{k+1}/e_k \to 0`; quasi-Newton methods), quadratically (:math:`q = 2`; Newton's
method: the number of correct digits doubles at each step).  Taking logarithms of
:math:`e_{k+1} = C e_k^q` and :math:`e_k = C e_{k-1}^q` and subtracting eliminates
:math:`C`:

.. math:: q \approx \frac{\log(e_{k+1}/e_k)}{\log(e_k/e_{k-1})}.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["error_sequence", "convergence_order"]


def error_sequence(history, x_star) -> np.ndarray:
    r"""The errors :math:`e_k = \|x_k - x^\star\|_2` of the iterates ``history`` (shape
    ``(k, *x.shape)``, as in :attr:`OptimizeResult.history`)."""
    history = np.asarray(history, dtype=np.float64)
    x_star = np.asarray(x_star, dtype=np.float64)
    return np.linalg.norm((history - x_star).reshape(len(history), -1), axis=1)


def convergence_order(errors, floor: float = 1e-11, estimates: int = 3) -> float:
    r"""The observed order of convergence :math:`q` from an error sequence.

    Each triple of consecutive errors above ``floor`` that strictly decrease,
    :math:`e_{k-1} > e_k > e_{k+1}`, gives an estimate
    :math:`q_k = \log(e_{k+1}/e_k) / \log(e_k/e_{k-1})`; the result is the median of the
    last ``estimates`` of them (the last one alone is easily thrown off by one uneven
    step).  Errors below ``floor`` are left out: there rounding, not the method, decides
    them; repeated errors (a rejected trust-region step) are skipped.  Returns NaN when
    fewer than three usable errors remain.
    """
    e = np.asarray(errors, dtype=np.float64).reshape(-1)
    e = e[np.isfinite(e) & (e > floor)]
    if e.size:
        e = e[np.concatenate([[True], np.diff(e) != 0])]       # drop repeats
    found = []
    for k in range(e.size - 2, 0, -1):
        previous, current, following = e[k - 1], e[k], e[k + 1]
        if previous > current > following:
            found.append(math.log(following / current) / math.log(current / previous))
            if len(found) == estimates:
                break
    return float(np.median(found)) if found else math.nan
