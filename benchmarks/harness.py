"""What every benchmark script shares: threads, the libraries, interleaved timing, the table.

Import it first (``from harness import cr, np, torch, ...``): it sets the thread count of
every library before NumPy and PyTorch start (``--threads N`` on the command line, else
``$OMP_NUM_THREADS``, else 2 — the machines have two cores), puts the repository's
``src/`` first on the path, and imports chainrule, NumPy and, when installed, PyTorch.

How a measurement is made (``interleaved_medians``): every library runs each task in
blocks of repeated calls (at least ``min_block`` seconds and 3 calls), round after round,
in an order reversed every other round, so that the slow phases of a shared machine hit
all libraries alike; the result is the median over rounds of the per-call time.  Compare
the ratios, not the absolute times, and treat differences under ~15% as ties — unless the
ratio comes with a confidence interval, which is how a target is judged (``verdicts.py``:
the median of the per-round ratios with its interval, over the rounds of one process or
over several processes, and met, not met, or undecided when the interval straddles the target).

Each block starts with ``settle`` seconds of untimed calls.  Three thread runtimes share
this process and its two cores (NumPy's OpenBLAS, SciPy's OpenBLAS, PyTorch's OpenMP), and
a runtime's idle workers keep spinning after its last call (OpenBLAS's for up to about
0.1 s, its ``THREAD_TIMEOUT``) — on the cores the next library now needs.  Measured on a
256×256 LU, the first 50 ms after a switch ran the next library up to 20× slower.  The
settling period lets the previous library's workers go to sleep, so each library is timed
as in a program that uses it alone; what a library does to itself (chainrule alternating
NumPy and SciPy calls) stays inside its own timed block.
"""
from __future__ import annotations

import os
import sys
import time


def _option(name: str, default: str) -> str:
    """An option read before NumPy starts (thread counts must be set before the import)."""
    for k, arg in enumerate(sys.argv):
        if arg == name and k + 1 < len(sys.argv):
            return sys.argv[k + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


THREADS = int(_option("--threads", os.environ.get("OMP_NUM_THREADS", "2")))
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = str(THREADS)

import numpy as np  # noqa: E402
from verdicts import medians, paired_ratio, process_ratio, verdict  # noqa: E402,F401  (SciPy imports NumPy)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
import chainrule as cr  # noqa: E402

try:
    import torch
    torch.set_num_threads(THREADS)
except ImportError:           # the comparison needs PyTorch; chainrule and NumPy still run
    torch = None

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def add_common_arguments(parser, repeats: int = 15):
    """``--repeats``, ``--threads`` (read before import, listed here for ``--help``) and ``--clock``."""
    parser.add_argument("--repeats", type=int, default=repeats, help="interleaved rounds (default %(default)s)")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads of every library (default 2)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall clock, or the process's CPU time (cpu: with --threads 1, it does not count "
                             "time spent waiting for a core on a busy machine)")
    return parser


def interleaved_medians(fns: dict, repeats: int, **options) -> dict:
    """Median seconds per call of each function in ``fns`` over the rounds of
    :func:`interleaved_samples` (which takes the same options)."""
    return medians(interleaved_samples(fns, repeats, **options))


def interleaved_samples(fns: dict, repeats: int, *, min_block: float = 0.3, warmup: int = 3,
                        clock=time.perf_counter, per_call: int = 1, settle: float = 0.15) -> dict:
    """Seconds per call (divided by ``per_call``) of each function in ``fns``, one value per
    round: ``{name: [round 0, round 1, ...]}``.  Every timed block follows ``settle`` seconds
    of untimed calls of the same function."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, settled = fns[name], time.perf_counter() + settle
            while time.perf_counter() < settled:
                fn()
            n, start = 0, clock()
            while True:
                fn()
                n += 1
                elapsed = clock() - start
                if elapsed >= min_block and n >= 3:
                    break
            samples[name].append(elapsed / n / per_call)
    return samples


def header(what: str = "") -> str:
    """One line saying what was measured with what: versions, threads, load."""
    versions = f"chainrule {cr.__version__}, numpy {np.__version__}, " \
               f"torch {torch.__version__ if torch is not None else 'not installed'}"
    return f"{versions}; {THREADS} thread(s); load average {os.getloadavg()[0]:.2f} at the start" + \
        (f"; {what}" if what else "")


def row(*cells) -> str:
    """A Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def ratio(a, b) -> str:
    """``a / b`` as ``1.23×``, or a dash when ``b`` is missing."""
    return f"{a / b:.2f}×" if a is not None and b else "—"


def seconds_as(value, unit: str) -> str:
    """A time in seconds printed in ``unit`` (``ms``, ``µs/op``, ``s``), or a dash."""
    if value is None:
        return "—"
    scale = {"s": 1.0, "ms": 1e3, "µs/op": 1e6, "µs": 1e6}[unit]
    return f"{value * scale:.3g} {unit}"
