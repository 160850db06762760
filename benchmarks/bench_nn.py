"""Neural-network layers against PyTorch eager and hand-written NumPy, side by side in one run.

    .venv/bin/python benchmarks/bench_nn.py [--repeats 15] [--tasks lenet_step,lstm,conv2d]
                                            [--threads 2] [--clock wall|cpu]

Tasks (float32, two threads for every library):

lenet_step  one training step of LeNet-5 (conv 6@5×5, ReLU, max-pool 2, conv 16@5×5, ReLU,
            max-pool 2, 120-84-10), batch 64 of 1×28×28: forward, mean cross-entropy,
            backward, SGD update; chainrule uses cr.nn layers
lstm        LSTM forward and backward, sequence 35, batch 32, input 128, hidden 256
conv2d      Conv2d forward and backward, input 64×3×32×32, 32 filters 3×3, padding 1

The NumPy columns are straightforward hand-written versions (im2col with a loop over
kernel positions for the convolutions, the textbook backpropagation through time for the
LSTM): what a NumPy program without autodiff costs.

chainrule raises glibc's mmap and trim thresholds when it is imported
(``chainrule.backend.keep_freed_memory``), so that freed arrays are reused instead of
returned to the kernel and faulted in again on the next step; the setting belongs to the
process, so every library here runs with it.  ``CHAINRULE_KEEP_FREED_MEMORY=0`` measures
with glibc's defaults (see benchmarks/README.md for why it matters to NumPy-based code).

``--clock cpu`` times with the process's CPU time instead of the wall clock: on a machine
shared with other jobs it does not count the time the process waits for a core.  Use it
with ``--threads 1`` (with more threads it also counts the threads' spinning).

Each library runs each task in interleaved rounds (so slow phases of this shared machine
hit all of them alike); the table gives medians and the ratio to PyTorch.  Every
library's result is checked against the others before anything is timed.
"""
from __future__ import annotations

import argparse
import os

from harness import CLOCKS, add_common_arguments, cr, header, interleaved_medians, np, ratio, row, seconds_as, torch


# ----------------------------------------------------------------------------- NumPy by hand
def np_conv_forward(x, w, b, pad=0):
    """im2col with one loop over kernel positions, then one product (the straightforward way)."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    cols = np.empty((c, k, k, n, ho, wo), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xp[:, :, i:i + ho, j:j + wo].transpose(1, 0, 2, 3)
    cols = cols.reshape(c * k * k, n * ho * wo)
    y = (w.reshape(o, -1) @ cols).reshape(o, n, ho, wo).transpose(1, 0, 2, 3) + b[:, None, None]
    return y, cols


def np_conv_backward(g, x_shape, w, cols, pad=0, need_input=True):
    n, c, h, wd = x_shape
    o, _, k, _ = w.shape
    g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)
    gw = (g2 @ cols.T).reshape(w.shape)
    gb = g2.sum(axis=1)
    if not need_input:
        return None, gw, gb
    ho, wo = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    gcols = (w.reshape(o, -1).T @ g2).reshape(c, k, k, n, ho, wo)
    gx = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=g.dtype)
    for i in range(k):
        for j in range(k):
            gx[:, :, i:i + ho, j:j + wo] += gcols[:, i, j].transpose(1, 0, 2, 3)
    return gx[:, :, pad:pad + h, pad:pad + wd], gw, gb


def np_maxpool2(x):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def np_maxpool2_backward(g, arg, shape):
    n, c, h, w = shape
    win = np.zeros((n, c, h // 2, w // 2, 4), dtype=g.dtype)
    np.put_along_axis(win, arg[..., None], g[..., None], -1)
    return win.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(shape)


# ----------------------------------------------------------------------------- LeNet-5
LENET_SHAPES = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 256), (120,), (84, 120), (84,), (10, 84), (10,)]


def lenet_problem(seed=0, batch=64):
    rng = np.random.default_rng(seed)
    params = []
    for shape in LENET_SHAPES:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else params[-1].shape[1] * (
            int(np.prod(params[-1].shape[2:])) if params[-1].ndim > 2 else 1)
        params.append(rng.uniform(-1, 1, shape).astype(np.float32) / np.sqrt(fan_in))
    batches = [(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch))
               for _ in range(4)]
    return params, batches


class CrLeNet(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = cr.nn.Conv2d(1, 6, 5), cr.nn.Conv2d(6, 16, 5)
        self.pool = cr.nn.MaxPool2d(2)
        self.fc1, self.fc2, self.fc3 = cr.nn.Linear(256, 120), cr.nn.Linear(120, 84), cr.nn.Linear(84, 10)

    def forward(self, x):
        F = cr.nn.functional
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = F.relu(self.fc1(cr.flatten(x, 1)))
        return self.fc3(F.relu(self.fc2(x)))


def lenet_chainrule(params, batches, lr=0.01):
    model = CrLeNet()
    for p, a in zip(model.parameters(), params):
        p.data[...] = a
    data = [(cr.tensor(X), cr.tensor(y)) for X, y in batches]
    k = [0]

    def step():
        X, y = data[k[0] % len(data)]
        k[0] += 1
        loss = cr.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        with cr.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad = None
        return loss.item()
    return step


def lenet_torch(params, batches, lr=0.01):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10))
    with torch.no_grad():
        for p, a in zip(model.parameters(), params):
            p.copy_(torch.tensor(a))
    data = [(torch.tensor(X), torch.tensor(y)) for X, y in batches]
    k = [0]

    def step():
        X, y = data[k[0] % len(data)]
        k[0] += 1
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
                p.grad = None
        return loss.item()
    return step


def lenet_numpy(params, batches, lr=0.01):
    """Hand-written forward and backward with im2col convolutions."""
    p = [a.copy() for a in params]
    k = [0]

    def step():
        X, y = batches[k[0] % len(batches)]
        k[0] += 1
        z1, cols1 = np_conv_forward(X, p[0], p[1])
        a1 = np.maximum(z1, 0)
        m1, arg1 = np_maxpool2(a1)
        z2, cols2 = np_conv_forward(m1, p[2], p[3])
        a2 = np.maximum(z2, 0)
        m2, arg2 = np_maxpool2(a2)
        f = m2.reshape(len(X), -1)
        h1 = np.maximum(f @ p[4].T + p[5], 0)
        h2 = np.maximum(h1 @ p[6].T + p[7], 0)
        z = h2 @ p[8].T + p[9]
        zmax = z.max(axis=1, keepdims=True)
        e = np.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(s[:, 0]) + zmax[:, 0] - z[rows, y]))
        d = e / s
        d[rows, y] -= 1
        d /= len(y)
        grads = [None] * 10
        grads[8], grads[9] = d.T @ h2, d.sum(0)
        d = (d @ p[8]) * (h2 > 0)
        grads[6], grads[7] = d.T @ h1, d.sum(0)
        d = (d @ p[6]) * (h1 > 0)
        grads[4], grads[5] = d.T @ f, d.sum(0)
        d = (d @ p[4]).reshape(m2.shape)
        d = np_maxpool2_backward(d, arg2, a2.shape) * (z2 > 0)
        d, grads[2], grads[3] = np_conv_backward(d, m1.shape, p[2], cols2)
        d = np_maxpool2_backward(d, arg1, a1.shape) * (z1 > 0)
        _, grads[0], grads[1] = np_conv_backward(d, X.shape, p[0], cols1, need_input=False)
        for q, gq in zip(p, grads):
            q -= lr * gq
        return loss
    return step


# ----------------------------------------------------------------------------- LSTM
def lstm_problem(seed=0, steps=35, batch=32, features=128, hidden=256):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden)
    params = [rng.uniform(-bound, bound, s).astype(np.float32)
              for s in [(4 * hidden, features), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]]
    x = rng.standard_normal((steps, batch, features)).astype(np.float32)
    weights = rng.standard_normal((steps, batch, hidden)).astype(np.float32)     # loss = Σ output ⊙ weights
    return params, x, weights


def lstm_chainrule(params, x, weights):
    layer = cr.nn.LSTM(x.shape[2], params[1].shape[1])
    for p, a in zip(layer.parameters(), params):
        p.data[...] = a
    xt, wt = cr.tensor(x), cr.tensor(weights)

    def step():
        out, _ = layer(xt)
        (out * wt).sum().backward()
        g = layer.weight_hh_l0.grad.numpy()
        layer.zero_grad()
        return g
    return step


def lstm_torch(params, x, weights):
    layer = torch.nn.LSTM(x.shape[2], params[1].shape[1])
    with torch.no_grad():
        for p, a in zip(layer.parameters(), params):
            p.copy_(torch.tensor(a))
    xt, wt = torch.tensor(x), torch.tensor(weights)

    def step():
        out, _ = layer(xt)
        (out * wt).sum().backward()
        g = layer.weight_hh_l0.grad.numpy().copy()
        layer.zero_grad()
        return g
    return step


def lstm_numpy(params, x, weights):
    """The textbook forward pass and backpropagation through time."""
    w_ih, w_hh, b_ih, b_hh = params
    hidden = w_hh.shape[1]

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    def step():
        steps, batch, _ = x.shape
        xw = (x.reshape(steps * batch, -1) @ w_ih.T + b_ih + b_hh).reshape(steps, batch, -1)
        h, c = np.zeros((batch, hidden), np.float32), np.zeros((batch, hidden), np.float32)
        hs, cs, acts = [h], [c], []
        for t in range(steps):
            a = xw[t] + h @ w_hh.T
            i, f, g, o = sigmoid(a[:, :hidden]), sigmoid(a[:, hidden:2 * hidden]), \
                np.tanh(a[:, 2 * hidden:3 * hidden]), sigmoid(a[:, 3 * hidden:])
            c = f * c + i * g
            h = o * np.tanh(c)
            hs.append(h)
            cs.append(c)
            acts.append((i, f, g, o))
        dh_next = np.zeros_like(h)
        dc_next = np.zeros_like(c)
        dW = np.zeros_like(w_hh)
        da_all = np.empty_like(xw)
        for t in range(steps - 1, -1, -1):
            i, f, g, o = acts[t]
            dh = weights[t] + dh_next
            tc = np.tanh(cs[t + 1])
            dc = dc_next + dh * o * (1 - tc * tc)
            da = np.concatenate([dc * g * i * (1 - i), dc * cs[t] * f * (1 - f), dc * i * (1 - g * g),
                                 dh * tc * o * (1 - o)], axis=1)
            da_all[t] = da
            dW += da.T @ hs[t]
            dh_next = da @ w_hh
            dc_next = dc * f
        # the input weights' gradient, as the libraries compute it (not returned)
        _ = da_all.reshape(steps * batch, -1).T @ x.reshape(steps * batch, -1)
        return dW
    return step


# ----------------------------------------------------------------------------- Conv2d
def conv_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((32, 3, 3, 3)) / np.sqrt(27)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    g = rng.standard_normal((64, 32, 32, 32)).astype(np.float32)
    return x, w, b, g


def conv_chainrule(x, w, b, g):
    layer = cr.nn.Conv2d(3, 32, 3, padding=1)
    layer.weight.data[...], layer.bias.data[...] = w, b
    xt, gt = cr.tensor(x, requires_grad=True), cr.tensor(g)

    def step():
        layer(xt).backward(gt)
        out = layer.weight.grad.numpy()
        xt.grad = layer.weight.grad = layer.bias.grad = None
        return out
    return step


def conv_torch(x, w, b, g):
    layer = torch.nn.Conv2d(3, 32, 3, padding=1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(w))
        layer.bias.copy_(torch.tensor(b))
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def step():
        layer(xt).backward(gt)
        out = layer.weight.grad.numpy().copy()
        xt.grad = layer.weight.grad = layer.bias.grad = None
        return out
    return step


def conv_numpy(x, w, b, g):
    def step():
        _, cols = np_conv_forward(x, w, b, pad=1)
        _, gw, _ = np_conv_backward(g, x.shape, w, cols, pad=1)
        return gw
    return step


# ----------------------------------------------------------------------------- driver
def build(task):
    if task == "lenet_step":
        params, batches = lenet_problem()
        return {"chainrule": lenet_chainrule(params, batches), "torch": torch and lenet_torch(params, batches),
                "numpy": lenet_numpy(params, batches)}
    if task == "lstm":
        problem = lstm_problem()
        return {"chainrule": lstm_chainrule(*problem), "torch": torch and lstm_torch(*problem),
                "numpy": lstm_numpy(*problem)}
    if task == "conv2d":
        problem = conv_problem()
        return {"chainrule": conv_chainrule(*problem), "torch": torch and conv_torch(*problem),
                "numpy": conv_numpy(*problem)}
    raise KeyError(task)


def check(task, fns):
    """Every library must compute the same thing before it is timed (float32 sums: rtol 1e-3)."""
    outs = {name: fn() for name, fn in fns.items() if fn}
    ref = outs["numpy"]
    for name, out in outs.items():
        if task == "lenet_step":
            ok = abs(out - ref) <= 1e-4 * abs(ref)
        else:
            ok = np.allclose(out, ref, rtol=1e-3, atol=1e-3 * float(np.abs(ref).max()))
        if not ok:
            raise SystemExit(f"{task}: {name} disagrees with the NumPy reference")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="lenet_step,lstm,conv2d")
    args = add_common_arguments(ap).parse_args(argv)
    allocator = "default" if os.environ.get("CHAINRULE_KEEP_FREED_MEMORY") == "0" else "freed memory kept"
    print(header(f"float32; glibc allocator: {allocator}; {args.clock} clock"))
    print(row("task", "chainrule", "torch", "numpy", "chainrule/torch", "chainrule/numpy"))
    print(row(*["---"] * 6))
    for task in args.tasks.split(","):
        fns = {name: fn for name, fn in build(task).items() if fn}
        check(task, fns)
        med = interleaved_medians(fns, args.repeats, clock=CLOCKS[args.clock])
        c, t, n = med["chainrule"], med.get("torch"), med["numpy"]
        print(row(task, seconds_as(c, "ms"), seconds_as(t, "ms"), seconds_as(n, "ms"), ratio(c, t), ratio(c, n)),
              flush=True)


if __name__ == "__main__":
    main()
