"""OpSpecs of the recurrent chapter: the LSTM recurrence primitive.

The reference is a plain NumPy loop over time steps straight from the gate equations.
The spec's operation returns every output of the primitive side by side (states h_t,
c_t and the activated gates), so that a cotangent reaches each of them; it is checked
to order 2 in both time directions and with a single step.  RNN and GRU layers are
composites of elementwise ops and products, already checked by their chapters.
"""
from __future__ import annotations

import numpy as np

from ..nn import recurrent as R
from ..ops.shape import concatenate
from . import OpSpec, real

SPECS = []


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_reference(xw, h0, c0, w_hh, reverse=False):
    """States and gates of an LSTM layer, one step at a time: gates i, f, g, o."""
    steps, _, gates = xw.shape
    hidden = gates // 4
    hs, cs, acts = np.zeros(xw.shape[:2] + (hidden,)), np.zeros(xw.shape[:2] + (hidden,)), np.zeros(xw.shape)
    h, c = h0, c0
    for t in (reversed(range(steps)) if reverse else range(steps)):
        pre = xw[t] + h @ w_hh.T
        i, f = _sigmoid(pre[:, :hidden]), _sigmoid(pre[:, hidden:2 * hidden])
        g, o = np.tanh(pre[:, 2 * hidden:3 * hidden]), _sigmoid(pre[:, 3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t], acts[t] = h, c, np.concatenate([i, f, g, o], axis=1)
    return np.concatenate([hs, cs, acts], axis=-1)


def _all_outputs(reverse):
    def op(xw, h0, c0, w_hh):
        return concatenate(list(R._lstm_recurrence(xw, h0, c0, w_hh, reverse=reverse)), axis=-1)
    return op


for _reverse in (False, True):
    SPECS.append(OpSpec("lstm_recurrence", _all_outputs(_reverse), [real, real, real, real],
                        [((3, 2, 8), (2, 2), (2, 2), (8, 2)), ((1, 1, 4), (1, 1), (1, 1), (4, 1))],
                        reference=lambda xw, h0, c0, w, r=_reverse: lstm_reference(xw, h0, c0, w, r),
                        case="reverse" if _reverse else "forward"))
