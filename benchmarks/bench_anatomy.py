"""Where chainrule's MLP step spends its time: its arithmetic, or its bookkeeping.

    .venv/bin/python benchmarks/bench_anatomy.py [--repeats 15]

The MLP step of ``bench_core.py`` (784-512-512-10, batch 128; and the same network shrunk
to 4-4-4-3, batch 2, where the arrays cost nothing and only the Python is left), four ways:

numpy      the hand-written forward and backward (``bench_core.mlp_numpy``): the floor;
replay     chainrule's own array program, without chainrule: every primitive body
           (``Primitive.impl``) that one chainrule step ran, with the same arguments, in the
           same order, each output passed where the step passed it, and the step's in-place
           updates, run as a flat list of calls. No tensors, no tape, no rules, no checks;
chainrule  the step itself (``bench_core.mlp_chainrule``);
torch      PyTorch's step (``bench_core.mlp_torch``), for scale.

``replay / numpy`` is the price of chainrule's arithmetic (its temporaries, its choice of
kernels: what a better primitive could change); ``chainrule / replay`` is the price of its
bookkeeping (tensors, recording, the reverse pass, argument checks: what only less Python
could change). The replay's own loop (a list lookup per argument) is charged to the
replay, so the bookkeeping's share is if anything understated. The replay is recorded
from the current code on every run, so it cannot drift from it.

Whole steps compared this way leave one doubt: chainrule's arithmetic runs amid the
library (other caches, another memory footprint), the replay's without it.  A second table
settles it by timing every call where it ran: each primitive body inside chainrule's own
step (the outermost ones; a body called by another counts once) and each call of the
replay, in alternating blocks of ten steps.  It gives each step's time in array code and,
by difference, its time outside: the Python around the arrays.  The timers cost both the
same, some 0.3 µs a call.

Arrays made outside the registered primitives enter the replay as recorded constants:
the backward pass's seed of ones, a copy into ``.grad``, and the results of ``custom_vjp``
and ``checkpoint`` functions (unregistered primitives). For this step that is the 0-d seed
alone. The recording wraps each primitive's body rather than using the engine's tracer
(``state.tracer``), which keeps neither the outputs (the data flow) nor which call ran
inside which.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from harness import add_common_arguments, header, interleaved_medians, np, ratio, row, seconds_as, torch
from bench_core import check, mlp_chainrule, mlp_numpy, mlp_problem, mlp_torch
from chainrule.autodiff.primitive import REGISTRY
from chainrule.tensor import Tensor

SIZES = {"784-512-512-10, batch 128": ((784, 512, 512, 10), 128), "4-4-4-3, batch 2": ((4, 4, 4, 3), 2)}


class _Slot:
    """An argument that is the output of an earlier call of the program (``index`` within a
    tuple of outputs, or None)."""

    __slots__ = ("call", "index")

    def __init__(self, call, index):
        self.call, self.index = call, index


def _outermost(on_return):
    """A wrapper for functions: each outermost call of a wrapped function (not one made from
    inside another wrapped function, as a primitive called by another's body) is handed to
    ``on_return(fn, args, params, out, seconds)``, whose result the call returns."""
    depth = [0]
    clock = time.perf_counter

    def wrap(fn):
        def call(*args, **params):
            depth[0] += 1
            start = clock()
            try:
                out = fn(*args, **params)
            finally:
                depth[0] -= 1
            return on_return(fn, args, params, out, clock() - start) if depth[0] == 0 else out
        return call
    return wrap


@contextlib.contextmanager
def _patched(wrap, **methods):
    """While open, every registered primitive's body is wrapped by ``wrap`` and the named
    ``Tensor`` methods are replaced; everything is restored on the way out."""
    impls = {name: prim.impl for name, prim in REGISTRY.items()}
    originals = {name: getattr(Tensor, name) for name in methods}
    try:
        for name, prim in REGISTRY.items():
            prim.impl = wrap(impls[name])
        for name, method in methods.items():
            setattr(Tensor, name, method)
        yield
    finally:
        for name, prim in REGISTRY.items():
            prim.impl = impls[name]
        for name, method in originals.items():
            setattr(Tensor, name, method)


def record(step):
    """Run ``step`` once and return its array program: a list of ``(function, args, params)``,
    with ``_Slot`` for every argument that an earlier call produced, and the slot of the array
    the step read back with ``.item()`` (its loss).  The parameters are left as they were."""
    program, producer, keep = [], {}, []       # keep: recorded outputs stay alive, so ids stay unique
    read_back, updated = [], []
    original_inplace, original_item = Tensor._inplace, Tensor.item

    def argument(a):
        return _Slot(*producer[id(a)]) if id(a) in producer else a

    def append(impl, args, params, out, seconds):
        if isinstance(out, np.generic):
            out = np.asarray(out)              # as the engine does: this array is what flows on
        k = len(program)
        program.append((impl, [argument(a) for a in args], params))
        for i, o in enumerate(out if isinstance(out, tuple) else (out,)):
            producer[id(o)] = (k, i if isinstance(out, tuple) else None)
        keep.append(out)
        return out

    def inplace(self, name, other, ufunc):     # `q -= lr * q.grad`: an in-place ufunc on the parameter
        o = other._data if isinstance(other, Tensor) else other
        program.append((ufunc, [self._data, argument(o)], {"out": self._data, "casting": "same_kind"}))
        updated.append((self._data, self._data.copy()))
        return original_inplace(self, name, other, ufunc)

    def item(self):
        read_back.append(argument(self._data))
        return original_item(self)

    with _patched(_outermost(append), _inplace=inplace, item=item):
        step()
    for array, before in updated:              # undo the recorded step's update: the replay starts
        array[...] = before                    # from the same weights as the other libraries
    return program, read_back[-1]


def replay(program, loss):
    """The recorded program as a step: each call's outputs kept by position, passed on."""
    def value(a, outs):
        if a.__class__ is not _Slot:
            return a
        out = outs[a.call]
        return out if a.index is None else out[a.index]

    def step():
        outs = []
        for fn, args, params in program:
            outs.append(fn(*[value(a, outs) for a in args], **params))
        return float(value(loss, outs))
    return step


def _stopwatch(inside):
    """``_outermost``, adding the time of each outermost call to ``inside[0]``."""
    def add(fn, args, params, out, seconds):
        inside[0] += seconds
        return out
    return _outermost(add)


@contextlib.contextmanager
def timing_array_code():
    """While open, chainrule's primitive bodies and the ufuncs of its in-place updates add the
    time they take to the yielded ``inside[0]``: the step's time in array code, measured where
    the step runs it."""
    inside = [0.0]
    timed = _stopwatch(inside)
    original_inplace = Tensor._inplace

    def inplace(self, name, other, ufunc):
        return original_inplace(self, name, other, timed(ufunc))

    with _patched(timed, _inplace=inplace):
        yield inside


def split(program, loss, chainrule_step, repeats, block=10):
    """Median time per step of chainrule and of its replay, and of the part of each spent in
    array code, every call timed where it ran: chainrule's primitive bodies inside the step,
    the replay's calls inside the replay.  The rest of each step is its Python around the
    arrays.  Blocks of ``block`` steps alternate between the two, ``repeats`` times.

    The first table compares whole steps.  This one shows where chainrule's excess over its
    replay lies: in its arithmetic (the same calls, run amid the library: other caches,
    another memory footprint) or outside it."""
    clock = time.perf_counter
    replay_inside = [0.0]
    replay_step = replay([(_stopwatch(replay_inside)(fn), args, params) for fn, args, params in program], loss)
    samples = {"replay": ([], []), "chainrule": ([], [])}

    def run(name, step, inside):
        for _ in range(block):
            inside[0] = 0.0
            start = clock()
            step()
            samples[name][0].append(clock() - start)
            samples[name][1].append(inside[0])

    for _ in range(repeats):
        with timing_array_code() as inside:
            chainrule_step()                   # the first step after patching warms the wrappers
            run("chainrule", chainrule_step, inside)
        replay_step()
        run("replay", replay_step, replay_inside)
    return {name: (statistics.median(total), statistics.median(inside))
            for name, (total, inside) in samples.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = add_common_arguments(ap).parse_args(argv)
    print(header("float32; the MLP step of bench_core.py"))
    print(row("network", "numpy", "replay", "chainrule", "torch", "replay/numpy", "chainrule/replay",
              "chainrule/numpy", "chainrule/torch", "calls replayed"))
    print(row(*["---"] * 10))
    splits = {}
    for name, (sizes, batch) in SIZES.items():
        params, batches = mlp_problem(sizes=sizes, batch=batch)
        # The replay trains its own copy of the parameters on the first batch, as the others do here.
        program, loss = record(mlp_chainrule(params, batches[:1]))
        fns = {"numpy": mlp_numpy(params, batches[:1]), "replay": replay(program, loss),
               "chainrule": mlp_chainrule(params, batches[:1]), "torch": torch and mlp_torch(params, batches[:1])}
        fns = {k: f for k, f in fns.items() if f}
        check("mlp", fns)                      # each computes the first batch's loss from the same weights
        med = interleaved_medians(fns, args.repeats)
        n, rp, c, t = med["numpy"], med["replay"], med["chainrule"], med.get("torch")
        unit = "ms" if n > 1e-3 else "µs"
        print(row(name, seconds_as(n, unit), seconds_as(rp, unit), seconds_as(c, unit), seconds_as(t, unit),
                  ratio(rp, n), ratio(c, rp), ratio(c, n), ratio(c, t), len(program)), flush=True)
        splits[name] = (unit, split(program, loss, mlp_chainrule(params, batches[:1]), 4 * args.repeats))

    print()
    print("Inside and outside the array code, each call timed where it ran (medians per step; blocks "
          "of ten steps alternating):")
    print(row("network", "replay", "its array code", "chainrule", "its array code", "chainrule's outside",
              "replay's outside", "array code chainrule/replay"))
    print(row(*["---"] * 8))
    for name, (unit, parts) in splits.items():
        (rt, ri), (ct, ci) = parts["replay"], parts["chainrule"]
        print(row(name, seconds_as(rt, unit), seconds_as(ri, unit), seconds_as(ct, unit), seconds_as(ci, unit),
                  seconds_as(ct - ci, "µs"), seconds_as(rt - ri, "µs"), ratio(ci, ri)))


if __name__ == "__main__":
    main()
