r"""Recurrent networks: ``RNN``, ``LSTM``, ``GRU`` and their cells (PyTorch's ``torch.nn``).

A recurrent layer applies one cell at every time step, carrying a hidden state
:math:`h_t` (and for the LSTM a cell state :math:`c_t`) from step to step.  With
:math:`\sigma` the logistic sigmoid and :math:`\odot` the elementwise product:

Elman RNN (``nonlinearity="tanh"`` or ``"relu"``)

.. math:: h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

LSTM (gates in PyTorch's order i, f, g, o)

.. math::
    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

GRU (gates r, z, n)

.. math::
    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

Parameters follow PyTorch: ``weight_ih_l{k}`` is (G·hidden, input) with the G gates
stacked in the order above, ``weight_hh_l{k}`` (G·hidden, hidden), two bias vectors
``bias_ih_l{k}`` and ``bias_hh_l{k}``, and ``_reverse`` for the backward direction of a
bidirectional layer; all start :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`.

The input projection :math:`W_{ih} x_t + b_{ih}` of all time steps is one matrix
product before the time loop; the loop over time steps is inherent in a recurrence
(each step needs the previous state) and never loops over the batch.  The gradient is
backpropagation through time: the engine runs the steps' rules in reverse.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError, fmt_shape
from ..ops.elementwise import sigmoid, tanh
from ..ops.piecewise import relu
from ..ops.products import matmul
from ..autodiff.batching import materialize
from ..autodiff.primitive import primitive
from ..backend import xp
from ..ops.creation import zeros_like
from ..ops.shape import concatenate, matrix_transpose, reshape, split, stack, transpose
from ..tensor import Tensor
from . import init
from .dropout import dropout
from .input_checks import describe
from .module import Module, empty_parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ----------------------------------------------------------------------------- one step
# Each step takes the input projection xw = W_ih x_t + b_ih (+ b_hh where it can be folded
# in), the previous state, the transposed recurrent weight and the recurrent bias.
def _rnn_step(xw, h, w_hh_t, b_hh, activation):
    return activation(xw + matmul(h, w_hh_t))


def _lstm_step(xw, state, w_hh_t, b_hh):
    h, c = state
    i, f, g, o = split(xw + matmul(h, w_hh_t), 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def _gru_step(xw, h, w_hh_t, b_hh):
    hw = matmul(h, w_hh_t)
    if b_hh is not None:
        hw = hw + b_hh                     # b_hn sits inside r ⊙ (W_hn h + b_hn): it cannot be folded
    x_rz, x_n = split(xw, [2 * h.shape[-1]], axis=-1)
    h_rz, h_n = split(hw, [2 * h.shape[-1]], axis=-1)
    r, z = split(sigmoid(x_rz + h_rz), 2, axis=-1)
    n = tanh(x_n + r * h_n)
    return n + z * (h - n)


def _step_function(mode):
    if mode == "LSTM":
        return _lstm_step
    if mode == "GRU":
        return _gru_step
    activation = tanh if mode == "RNN_TANH" else relu
    return lambda xw, h, w_hh_t, b_hh: _rnn_step(xw, h, w_hh_t, b_hh, activation)


def _input_projection(x, w_ih, b_ih, b_hh, mode):
    """W_ih x + b_ih for every row of x at once (and b_hh too, except for the GRU)."""
    lead = tuple(x.shape[:-1])
    y = matmul(reshape(x, (-1, x.shape[-1])), w_ih.mT)
    bias = b_ih
    if b_hh is not None and mode != "GRU":
        bias = b_hh if bias is None else bias + b_hh
    if bias is not None:
        y = y + bias
    return reshape(y, lead + (w_ih.shape[0],))


def _run_direction(x, state, weights, mode, reverse):
    """One direction of one layer over a sequence x (L, N, I); returns outputs (L, N, H) and the last state."""
    w_ih, w_hh, b_ih, b_hh = weights
    projected = _input_projection(x, w_ih, b_ih, b_hh, mode)
    if mode == "LSTM":
        h0, c0 = state
        hs, cs, _ = _lstm_recurrence(projected, h0, c0, w_hh, reverse=reverse)
        last = 0 if reverse else x.shape[0] - 1
        return hs, (hs[last], cs[last])
    step = _step_function(mode)
    steps = [reshape(p, tuple(p.shape[1:])) for p in split(projected, x.shape[0], axis=0)]
    w_hh_t = w_hh.mT                                    # one transposed view for all steps
    outputs = [None] * len(steps)
    for t in (reversed(range(len(steps))) if reverse else range(len(steps))):
        state = step(steps[t], state, w_hh_t, b_hh)
        outputs[t] = state[0] if mode == "LSTM" else state
    return stack(outputs, axis=0), state


# ----------------------------------------------------------------------------- the LSTM recurrence
# An LSTM layer's time loop is one primitive: the forward pass runs on the arrays with no
# graph, and the derivatives are written once for the whole sequence.  Its reverse rule
# is backpropagation through time with the work that does not depend on the previous
# step taken out of the loop: the gate derivatives for all steps at once before it, and
# the weight's cotangent  W̄ = Σ_t Ḡ_tᵀ h_{t-1}  as one matrix product after it (35 small
# products in a step-by-step graph).  Written in chainrule ops, so it differentiates again.
def _sigmoid_(a):
    """σ(a) in place, as 1/(1 + e^{-a}): exp overflows to inf for a < -88, giving exactly 0."""
    ns = xp(a)
    with (np.errstate(over="ignore") if ns is np else _nothing()):
        ns.negative(a, out=a)
        ns.exp(a, out=a)
        a += 1
        ns.reciprocal(a, out=a)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@primitive(name="lstm_recurrence", multiple_results=True)
def _lstm_recurrence(xw, h0, c0, w_hh, reverse):
    """The states (h_t, c_t) at every step and the activated gates [i, f, g, o] of an LSTM
    layer, from the input projections xw (L, N, 4H) = W_ih x_t + b_ih + b_hh."""
    ns = xp(xw, w_hh)
    steps, batch, gates = xw.shape
    hidden = gates // 4
    dtype = np.result_type(xw.dtype, h0.dtype, c0.dtype, w_hh.dtype)
    hs = ns.empty((steps, batch, hidden), dtype=dtype)
    cs = ns.empty((steps, batch, hidden), dtype=dtype)
    acts = ns.empty((steps, batch, gates), dtype=dtype)
    w_t = w_hh.T
    h, c = h0, c0
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        a = acts[t]
        ns.matmul(h, w_t, out=a)
        a += xw[t]
        _sigmoid_(a[:, :2 * hidden])
        ns.tanh(a[:, 2 * hidden:3 * hidden], out=a[:, 2 * hidden:3 * hidden])
        _sigmoid_(a[:, 3 * hidden:])
        ns.multiply(a[:, hidden:2 * hidden], c, out=cs[t])
        cs[t] += a[:, :hidden] * a[:, 2 * hidden:3 * hidden]
        ns.tanh(cs[t], out=hs[t])
        hs[t] *= a[:, 3 * hidden:]
        h, c = hs[t], cs[t]
    return hs, cs, acts


def _previous(states, first, reverse):
    """The state before each step: [first, s_0, ..., s_{L-2}] (or the mirror image in reverse)."""
    first = reshape(first, (1,) + tuple(first.shape))
    if states.shape[0] == 1:
        return first
    if reverse:
        return concatenate([states[1:], first], axis=0)
    return concatenate([first, states[:-1]], axis=0)


def _lstm_factors(out, c0, reverse):
    """What the derivatives need at every step, for all steps at once: the gates, tanh c_t
    and the previous c."""
    hs, cs, acts = out
    i, f, g, o = split(acts, 4, axis=-1)
    return i, f, g, o, tanh(cs), _previous(cs, c0, reverse)


def _gate_slopes(i, f, g, o):
    """The gates' derivatives at their pre-activations: σ' = σ(1 - σ), tanh' = 1 - g²."""
    return concatenate([i * (1.0 - i), f * (1.0 - f), 1.0 - g * g, o * (1.0 - o)], axis=-1)


def _lstm_vjp(cts, out, xw, h0, c0, w_hh, reverse):
    r"""Backpropagation through time.  With :math:`\bar h_t` (from the output and the next
    step) and :math:`\bar c_t`:

    .. math:: \bar c_t \mathrel{+}= \bar h_t\, o_t (1 - \tanh^2 c_t), \qquad
              \bar a_t = [\bar c_t g_t,\ \bar c_t c_{t-1},\ \bar c_t i_t,\ \bar h_t \tanh c_t] \odot a'_t,

    :math:`\bar h_{t-1} = \bar a_t W_{hh}`, :math:`\bar c_{t-1} = \bar c_t f_t`; then
    :math:`\bar x_w = [\bar a_t]_t` and :math:`\bar W_{hh} = \sum_t \bar a_t^\top h_{t-1}`.
    """
    g_hs, g_cs, g_acts = cts
    hs = out[0]
    i, f, g, o, tanh_c, c_prev = _lstm_factors(out, c0, reverse)
    # Per step, the pre-activation cotangent is [c̄, c̄, c̄, h̄] ⊙ q_t with q_t fixed in advance.
    q = concatenate([g * (i * (1.0 - i)), c_prev * (f * (1.0 - f)), i * (1.0 - g * g), tanh_c * (o * (1.0 - o))],
                    axis=-1)
    dc_from_dh = o * (1.0 - tanh_c * tanh_c)
    steps = xw.shape[0]
    per_step = [list(split(a, steps, axis=0)) if steps > 1 else [a]
                for a in (q, dc_from_dh, f) + tuple(x for x in (g_hs, g_cs, g_acts) if x is not None)]
    q_t, dcdh_t, f_t = per_step[:3]
    extra = iter(per_step[3:])
    gh_t = next(extra) if g_hs is not None else None
    gc_t = next(extra) if g_cs is not None else None
    ga_t = next(extra) if g_acts is not None else None
    if g_acts is not None:
        slopes = _gate_slopes(i, f, g, o)
        slopes_t = list(split(slopes, steps, axis=0)) if steps > 1 else [slopes]
    dh = dc = None
    grads = [None] * steps
    for t in (range(steps) if reverse else range(steps - 1, -1, -1)):
        if gh_t is not None:
            dh = gh_t[t] if dh is None else dh + gh_t[t]
        if gc_t is not None:
            dc = gc_t[t] if dc is None else dc + gc_t[t]
        if dh is not None:
            dc = dh * dcdh_t[t] if dc is None else dc + dh * dcdh_t[t]
        if dc is None:                            # nothing reaches this step yet
            da = None
        else:
            dh_part = dh if dh is not None else zeros_like(dc)
            da = concatenate([dc, dc, dc, dh_part], axis=-1) * q_t[t]
        if ga_t is not None:
            da = ga_t[t] * slopes_t[t] if da is None else da + ga_t[t] * slopes_t[t]
        if da is None:
            da = zeros_like(xw[:1])
        grads[t] = da
        dh = matmul(da, w_hh)                      # (1, N, 4H)·(4H, H)
        dc = dc * f_t[t] if dc is not None else None
    d_xw = concatenate(grads, axis=0) if steps > 1 else grads[0]
    h_prev = _previous(hs, h0, reverse)
    d_w = matmul(matrix_transpose(reshape(d_xw, (-1, d_xw.shape[-1]))), reshape(h_prev, (-1, h_prev.shape[-1])))
    d_h0 = reshape(dh, tuple(h0.shape))
    d_c0 = reshape(dc, tuple(c0.shape)) if dc is not None else zeros_like(c0)
    return d_xw, d_h0, d_c0, d_w


def _lstm_jvp(tangents, out, xw, h0, c0, w_hh, reverse):
    """Tangents propagated forward through time: ȧ_t = a'_t ⊙ (ẋ_t + ḣ_{t-1} W^T + h_{t-1} Ẇ^T),
    ċ_t = ḟ c_{t-1} + f ċ_{t-1} + i̇ g + i ġ, ḣ_t = ȯ tanh c_t + o (1 - tanh² c_t) ċ_t."""
    d_xw, d_h0, d_c0, d_w = tangents
    hs = out[0]
    i, f, g, o, tanh_c, c_prev = _lstm_factors(out, c0, reverse)
    slopes = _gate_slopes(i, f, g, o)
    h_prev = _previous(hs, h0, reverse)
    steps = xw.shape[0]
    # the parts of the gate tangents that do not depend on the previous step
    base = zeros_like(out[2]) if d_xw is None else d_xw
    if d_w is not None:
        base = base + matmul(h_prev, matrix_transpose(d_w))
    pieces = [list(split(a, steps, axis=0)) if steps > 1 else [a]
              for a in (base, slopes, i, f, g, o, tanh_c, c_prev)]
    base_t, slopes_t, i_t, f_t, g_t, o_t, tc_t, cp_t = pieces
    dh = None if d_h0 is None else reshape(d_h0, (1,) + tuple(d_h0.shape))
    dc = None if d_c0 is None else reshape(d_c0, (1,) + tuple(d_c0.shape))
    dhs, dcs, das = [None] * steps, [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        pre = base_t[t] if dh is None else base_t[t] + matmul(dh, matrix_transpose(w_hh))
        da = slopes_t[t] * pre
        di, df, dg, do = split(da, 4, axis=-1)
        dc_new = df * cp_t[t] + di * g_t[t] + i_t[t] * dg
        if dc is not None:
            dc_new = dc_new + f_t[t] * dc
        dh = do * tc_t[t] + o_t[t] * (1.0 - tc_t[t] * tc_t[t]) * dc_new
        dc = dc_new
        dhs[t], dcs[t], das[t] = dh, dc, da
    return tuple(concatenate(x, axis=0) if steps > 1 else x[0] for x in (dhs, dcs, das))


def _lstm_batch(args, batched, size, reverse):
    """vmap: with a shared weight the batch joins the LSTM's own batch N; a batched weight
    (per-example weights) runs the members one by one."""
    xw, h0, c0, w_hh = args
    if batched[3]:
        from ..autodiff.batching import loop_batch
        return loop_batch(_lstm_recurrence)(args, batched, size, reverse=reverse)
    xw, h0, c0 = (a if b else materialize(a, size) for a, b in zip((xw, h0, c0), batched))
    steps, n, gates = xw.shape[1:]
    merged = reshape(transpose(xw, (1, 0, 2, 3)), (steps, size * n, gates))
    outs = _lstm_recurrence(merged, reshape(h0, (size * n, -1)), reshape(c0, (size * n, -1)), w_hh,
                            reverse=reverse)
    return tuple(transpose(reshape(y, (steps, size, n, y.shape[-1])), (1, 0, 2, 3)) for y in outs)


_lstm_recurrence.defvjp_joint(_lstm_vjp)
_lstm_recurrence.defjvp_joint(_lstm_jvp)
_lstm_recurrence.defbatch(_lstm_batch)
_lstm_recurrence.formula(
    definition=r"a_t = [\sigma, \sigma, \tanh, \sigma](x_t + W_{hh} h_{t-1}),\ "
               r"c_t = f_t c_{t-1} + i_t g_t,\ h_t = o_t \tanh c_t",
    derivative=r"\bar a_t = [\bar c_t g_t, \bar c_t c_{t-1}, \bar c_t i_t, \bar h_t \tanh c_t] \odot a'_t,\ "
               r"\bar W_{hh} = \textstyle\sum_t \bar a_t^\top h_{t-1}",
    convention="backpropagation through time; the weight's cotangent is one product over all steps")


# ----------------------------------------------------------------------------- layers
class _RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's parameters and the loop over layers and directions."""

    mode = "RNN_TANH"

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, generator=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), num_layers
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        dtype = np.dtype(dtype) if dtype is not None else None
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                self.register_parameter(f"weight_ih_l{layer}{suffix}", empty_parameter((gates, layer_input), dtype))
                self.register_parameter(f"weight_hh_l{layer}{suffix}", empty_parameter((gates, hidden_size), dtype))
                if bias:
                    self.register_parameter(f"bias_ih_l{layer}{suffix}", empty_parameter((gates,), dtype))
                    self.register_parameter(f"bias_hh_l{layer}{suffix}", empty_parameter((gates,), dtype))
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """PyTorch's initialization: every parameter :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound, generator)

    def _weights(self, layer, suffix):
        names = (f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}", f"bias_ih_l{layer}{suffix}",
                 f"bias_hh_l{layer}{suffix}")
        return tuple(getattr(self, n) if self.bias or n.startswith("weight") else None for n in names)

    def _check_input(self, input):
        if input.ndim not in (2, 3):
            layout = "(N×L×H_in)" if self.batch_first else "(L×N×H_in)"
            raise ShapeError(f"{describe(self)}: expected input {layout} or unbatched (L×H_in) (rank 3 or 2), "
                             f"got {fmt_shape(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ShapeError(f"{describe(self)}: expected input with H_in = input_size = {self.input_size} features, "
                             f"got {fmt_shape(input.shape)}")

    def _check_state(self, state, batch, unbatched, what):
        directions = 2 if self.bidirectional else 1
        want = (self.num_layers * directions,) + (() if unbatched else (batch,)) + (self.hidden_size,)
        if tuple(state.shape) != want:
            raise ShapeError(f"{describe(self)}: expected {what} of shape {fmt_shape(want)} "
                             f"(num_layers·directions{'' if unbatched else ', N'}, hidden_size), "
                             f"got {fmt_shape(state.shape)}")

    def forward(self, input, hx=None):
        self._check_input(input)
        unbatched = input.ndim == 2
        x = reshape(input, (input.shape[0], 1, input.shape[1])) if unbatched else input
        if self.batch_first and not unbatched:
            x = transpose(x, (1, 0, 2))
        batch = x.shape[1]
        states = self._initial_states(hx, batch, unbatched, x)
        directions = ("", "_reverse") if self.bidirectional else ("",)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(directions):
                k = layer * len(directions) + d
                out, last = _run_direction(x, states[k], self._weights(layer, suffix), self.mode, reverse=d == 1)
                outs.append(out)
                finals.append(last)
            x = outs[0] if len(outs) == 1 else concatenate(outs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, training=True)
        output = x
        if self.batch_first and not unbatched:
            output = transpose(output, (1, 0, 2))
        if self.mode == "LSTM":
            h_n, c_n = stack([h for h, _ in finals]), stack([c for _, c in finals])
            if unbatched:
                return reshape(output, (output.shape[0], -1)), (h_n[:, 0], c_n[:, 0])
            return output, (h_n, c_n)
        h_n = stack(finals)
        if unbatched:
            return reshape(output, (output.shape[0], -1)), h_n[:, 0]
        return output, h_n

    def _initial_states(self, hx, batch, unbatched, like):
        """One state per layer and direction (zeros when ``hx`` is None), each (N, H)."""
        count = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zero = Tensor._wrap(np.zeros((batch, self.hidden_size), dtype=like.dtype))
            return [(zero, zero) if self.mode == "LSTM" else zero] * count
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise ShapeError(f"{describe(self)}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
            h0, c0 = hx
            self._check_state(h0, batch, unbatched, "h_0")
            self._check_state(c0, batch, unbatched, "c_0")
            hs, cs = (_per_layer(s, count, unbatched) for s in (h0, c0))
            return list(zip(hs, cs))
        self._check_state(hx, batch, unbatched, "h_0")
        return _per_layer(hx, count, unbatched)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _per_layer(state, count, unbatched):
    """(layers·directions, N, H) as a list of (N, H) states (an unbatched (·, H) gets N = 1)."""
    if unbatched:
        state = reshape(state, (state.shape[0], 1, state.shape[1]))
    return [reshape(s, tuple(s.shape[1:])) for s in split(state, count, axis=0)] if count > 1 \
        else [reshape(state, tuple(state.shape[1:]))]


class RNN(_RNNBase):
    r"""Elman recurrent network (PyTorch's ``nn.RNN``):

    .. math:: h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    (``nonlinearity="relu"`` uses ReLU).  ``forward(input, h_0=None)`` with input
    (L, N, H_in) — (N, L, H_in) if ``batch_first`` — or unbatched (L, H_in), and
    h_0 (num_layers·D, N, H); returns ``(output, h_n)``: output (L, N, D·H) holds the
    last layer's :math:`h_t` (both directions side by side when bidirectional), h_n the
    final state of every layer and direction.  ``dropout`` is applied to the outputs of
    every layer but the last, in training mode.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, device, dtype, generator)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    r"""Long short-term memory (PyTorch's ``nn.LSTM``), gates i, f, g, o:

    .. math::
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}),\quad
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}),

        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}),\quad
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}),

        c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t)

    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``; shapes as
    :class:`RNN`.  ``weight_ih_l{k}`` is (4H, H_in) with the gates stacked i, f, g, o.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None, generator=None):
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 (projected LSTM) is not implemented")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype, generator)


class GRU(_RNNBase):
    r"""Gated recurrent unit (PyTorch's ``nn.GRU``), gates r, z, n:

    .. math::
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}),\quad
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}),

        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})),\qquad
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    ``forward(input, h_0=None)`` returns ``(output, h_n)``; shapes as :class:`RNN`.
    ``weight_ih_l{k}`` is (3H, H_in) with the gates stacked r, z, n.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, generator=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype, generator)


# ----------------------------------------------------------------------------- cells
class _CellBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None, generator=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        gates = _GATES[self.mode] * self.hidden_size
        dtype = np.dtype(dtype) if dtype is not None else None
        self.weight_ih = empty_parameter((gates, self.input_size), dtype)
        self.weight_hh = empty_parameter((gates, self.hidden_size), dtype)
        if bias:
            self.bias_ih = empty_parameter((gates,), dtype)
            self.bias_hh = empty_parameter((gates,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    reset_parameters = _RNNBase.reset_parameters

    def _check(self, input, state, what):
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{describe(self)}: expected input (N×{self.input_size}) or ({self.input_size}), "
                             f"got {fmt_shape(input.shape)}")
        want = tuple(input.shape[:-1]) + (self.hidden_size,)
        if state is not None and tuple(state.shape) != want:
            raise ShapeError(f"{describe(self)}: expected {what} of shape {fmt_shape(want)} for input "
                             f"{fmt_shape(input.shape)}, got {fmt_shape(state.shape)}")

    def _zeros(self, input):
        return Tensor._wrap(np.zeros(tuple(input.shape[:-1]) + (self.hidden_size,), dtype=input.dtype))

    def _step(self, input, state):
        xw = _input_projection(input, self.weight_ih, self.bias_ih, self.bias_hh, self.mode)
        return _step_function(self.mode)(xw, state, self.weight_hh.mT, self.bias_hh)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(_CellBase):
    r"""One step of an Elman RNN: :math:`h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`
    (or ReLU).  ``forward(input, hx=None)``: input (N, H_in) or (H_in), hx (N, H) or (H);
    returns h'."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None,
                 generator=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype, generator)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check(input, hx, "hx")
        return self._step(input, self._zeros(input) if hx is None else hx)


class LSTMCell(_CellBase):
    r"""One LSTM step (gates i, f, g, o):
    :math:`c' = f \odot c + i \odot g`, :math:`h' = o \odot \tanh(c')` (see :class:`LSTM`).
    ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    mode = "LSTM"

    def forward(self, input, hx=None):
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        self._check(input, hx[0], "h")
        self._check(input, hx[1], "c")
        return self._step(input, tuple(hx))


class GRUCell(_CellBase):
    r"""One GRU step (gates r, z, n): :math:`h' = (1 - z) \odot n + z \odot h` (see :class:`GRU`).
    ``forward(input, hx=None)`` returns h'."""

    mode = "GRU"

    def forward(self, input, hx=None):
        self._check(input, hx, "hx")
        return self._step(input, self._zeros(input) if hx is None else hx)
