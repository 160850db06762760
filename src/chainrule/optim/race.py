r"""The optimizer race: ``chainrule optimize``.

.. code-block:: text

    chainrule optimize --function rosenbrock --methods gd,momentum,adam,newton,lbfgs \
                       --plot race.png [--start=-1.2,1] [--max-iter 2000]

runs several methods of :func:`~chainrule.optim.minimize` from the same starting point
on a two-dimensional test function (:mod:`chainrule.optim.testfunctions`), prints a
table — iterations, function evaluations, the final error :math:`\|x - x^\star\|` and
:math:`f - f^\star`, and the observed order of convergence — and draws their paths on
the function's contour plot.  The order is estimated from the errors
:math:`e_k = \|x_k - x^\star\|` (:math:`x^\star` the known minimizer nearest to the final
iterate) as :math:`q \approx \log(e_{k+1}/e_k) / \log(e_k/e_{k-1})`
(:func:`~chainrule.optim.convergence_order`): about 1 for gradient descent and the
momentum methods (linear), between 1 and 2 for quasi-Newton methods (superlinear), 2
for Newton's method (quadratic).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..autodiff import no_grad
from ..cli import number_in
from ..tensor import Tensor
from .convergence import convergence_order, error_sequence
from .minimize import METHODS, minimize
from .objective import OptimizeResult
from .testfunctions import FUNCTIONS, BenchmarkFunction

__all__ = ["add_arguments", "run", "race", "RaceEntry", "format_table", "plot_race"]

DEFAULT_METHODS = "gd,momentum,adam,newton,lbfgs"
_UNCONSTRAINED = [name for name, spec in METHODS.items() if not spec.constrained]


class RaceEntry(NamedTuple):
    """One method's run: its result, the errors of its iterates and its observed order."""

    method: str
    result: OptimizeResult
    errors: np.ndarray
    order: float
    error: float            # ‖x − x*‖ at the end
    gap: float              # f − f* at the end


def race(function: BenchmarkFunction, methods: Sequence[str], start=None,
         max_iter: int | None = None) -> list[RaceEntry]:
    """Run each method from ``start`` (default: the function's standard start)."""
    start = function.start if start is None else np.asarray(start, dtype=np.float64)
    entries = []
    for method in methods:
        options = {"maxiter": max_iter} if max_iter is not None else None
        result = minimize(function, start, method=method, options=options)
        x_star = function.nearest_minimizer(result.x)
        errors = error_sequence(result.history, x_star)
        entries.append(RaceEntry(method, result, errors, convergence_order(errors), float(errors[-1]),
                                 float(result.fun - function.minimum)))
    return entries


def _status_word(result: OptimizeResult) -> str:
    return {0: "converged", 1: "iteration limit", 2: "no progress", 3: "NaN/inf", 99: "stopped"}.get(
        result.status, f"status {result.status}")


def format_table(entries: Sequence[RaceEntry]) -> str:
    """The race's results as a text table."""
    header = ("method", "iterations", "f evals", "‖x − x*‖", "f − f*", "order q", "status")
    rows = [header]
    for e in entries:
        order = "—" if math.isnan(e.order) else f"{e.order:.2f}"
        rows.append((e.method, str(e.result.nit), str(e.result.nfev), f"{e.error:.2e}", f"{e.gap:.2e}", order,
                     _status_word(e.result)))
    widths = [max(len(row[k]) for row in rows) for k in range(len(header))]
    lines = []
    for k, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:-1])] + [row[-1]]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_race(function: BenchmarkFunction, entries: Sequence[RaceEntry], path, start=None,
              resolution: int = 200) -> None:
    """Draw the paths of the race's methods on the contour plot of ``function`` and save it
    (PNG, or any format matplotlib infers from ``path``).  Uses matplotlib's Agg canvas
    directly, so the caller's matplotlib backend is left alone."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    (x_low, x_high), (y_low, y_high) = function.domain
    paths = [e.result.history.reshape(len(e.result.history), -1) for e in entries]
    # widen the box to show every path (a method may wander outside the usual domain)
    for p in paths:
        finite = p[np.all(np.isfinite(p), axis=1)]
        if finite.size:
            x_low, x_high = min(x_low, finite[:, 0].min()), max(x_high, finite[:, 0].max())
            y_low, y_high = min(y_low, finite[:, 1].min()), max(y_high, finite[:, 1].max())
    xs, ys = np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with no_grad():
        values = function(Tensor(np.stack([grid_x, grid_y]))).numpy()
    # contours of log10(f − f*) show both the valley floor and the walls
    height = np.maximum(values - function.minimum, 0.0)
    floor = max(float(height.max()) * 1e-7, 1e-12)
    log_height = np.log10(height + floor)

    figure = Figure(figsize=(7.5, 6.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    contours = axes.contour(grid_x, grid_y, log_height, levels=30, cmap="viridis", linewidths=0.7)
    figure.colorbar(contours, ax=axes, label="log₁₀(f − f*)")
    for entry, p in zip(entries, paths):
        axes.plot(p[:, 0], p[:, 1], marker="o", markersize=2.5, linewidth=1.2,
                  label=f"{entry.method} ({entry.result.nit} it.)")
    origin = paths[0][0] if paths else (function.start if start is None else start)
    axes.plot(origin[0], origin[1], marker="s", color="black", markersize=7, linestyle="none", label="start")
    axes.plot(function.minimizers[:, 0], function.minimizers[:, 1], marker="*", color="red", markersize=14,
              linestyle="none", label="minimizers")
    axes.set_xlim(x_low, x_high)
    axes.set_ylim(y_low, y_high)
    axes.set_xlabel("$x_1$")
    axes.set_ylabel("$x_2$")
    axes.set_title(f"Optimizer race on {function.name}")
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


# ----------------------------------------------------------------------------- the command
def _methods(text: str) -> list[str]:
    names = [m.strip().lower() for m in text.split(",") if m.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of methods")
    unknown = [m for m in names if m not in _UNCONSTRAINED]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown method {unknown[0]!r}; choose from {', '.join(_UNCONSTRAINED)}")
    return names


def _point(text: str) -> np.ndarray:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers 'x,y', got {text!r}") from None
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected two finite numbers 'x,y', got {text!r}")
    return np.array(values)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Declare the arguments of ``chainrule optimize``."""
    parser.add_argument("--function", default="rosenbrock", choices=sorted(FUNCTIONS),
                        help="the test function (default: rosenbrock)")
    parser.add_argument("--methods", default=DEFAULT_METHODS, type=_methods,
                        help=f"comma-separated methods of cr.optim.minimize (default: {DEFAULT_METHODS})")
    parser.add_argument("--start", type=_point, default=None, metavar="X,Y",
                        help="the common starting point (default: the function's standard start); write "
                             "--start=-1.2,1 when the first coordinate is negative")
    parser.add_argument("--max-iter", type=number_in(int, "the iteration limit"), default=2000, metavar="N",
                        help="iteration limit of every method (default: 2000)")
    parser.add_argument("--plot", type=Path, default=None, metavar="PATH",
                        help="draw the paths on the contour plot and save it there (e.g. race.png)")
    return parser


def run(args) -> int:
    """Run the race described by ``args``; print the table; save the plot."""
    function = FUNCTIONS[args.function]()
    start = function.start if args.start is None else args.start
    entries = race(function, args.methods, start, args.max_iter)
    minimizers = ", ".join("(" + ", ".join(f"{v:.6g}" for v in m) + ")" for m in function.minimizers)
    print(f"Optimizer race on {function.name} from ({start[0]:g}, {start[1]:g}); "
          f"x* = {minimizers}, f* = {function.minimum:g}; at most {args.max_iter} iterations")
    print()
    print(format_table(entries))
    print()
    print("‖x − x*‖ is the distance to the nearest known minimizer.  Order q ≈ log(e[k+1]/e[k]) / "
          "log(e[k]/e[k-1]) with e[k] = ‖x_k − x*‖, the median of the estimates from the last three "
          "decreasing triples of errors above 1e-11: 1 linear, between 1 and 2 superlinear, 2 quadratic "
          "(— when too few iterates).")
    if args.plot is not None:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot_race(function, entries, args.plot, start)
        print(f"wrote {args.plot}")
    return 0
