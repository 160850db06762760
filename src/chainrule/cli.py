"""The ``chainrule`` command.

::

    chainrule check [OP ...] [--modes fwd,rev]   verify derivatives; exit 1 on any failure
    chainrule explain NAME [NAME ...]            one operation's mathematics, verified now
    chainrule docs [--output PATH] [--check]     write (or compare) docs/derivatives.md
    chainrule optimize [--function F] [--methods M,...] [--plot PATH]
                                                 race optimization methods on a test function
    chainrule train [--data D] [--model M] [--epochs N] [--batch-size B] [--optimizer O] [--lr LR]
                    [--seed S] [--out DIR] [--name NAME] [--resume]
                                                 train a network; report and pictures in runs/NAME/
    chainrule evaluate CHECKPOINT [--data D]     a trained model's accuracy and per-class scores
    chainrule predict CHECKPOINT IMAGE...        the class and probability of each image
    chainrule --version

Each subcommand is a pair of functions, ``_add_NAME(subparsers)`` declaring its
arguments and ``_run_NAME(args) -> int`` doing the work, listed in ``COMMANDS``;
later chapters add ``train``, ``optimize``, ``evaluate``, ``predict`` the same way.
Results go to standard output, progress to standard error.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Sequence

DEFAULT_DOCS = Path("docs") / "derivatives.md"


# ----------------------------------------------------------------------------- argument types
def number_in(kind, what: str, low: float = 0, high: float = math.inf, *, low_included: bool = False):
    """An argparse ``type``: a number of ``kind`` (``int`` or ``float``) in the interval from
    ``low`` (excluded, unless ``low_included``) to ``high`` (excluded), refused with a message
    naming ``what``.  Shared by the subcommands (``train``, ``optimize``, ...)."""
    noun = "integer" if kind is int else "number"
    if low == 0 and high == math.inf:
        condition = "non-negative" if low_included else "positive"
        wanted = f"a {condition} {noun}"
    else:
        condition = f"in {'[' if low_included else '('}{low:g}, {high:g})"
        wanted = f"a {noun} {condition}"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a {'whole ' if kind is int else ''}number, "
                                             f"got {text!r}") from None
        if not ((value >= low if low_included else value > low) and value < high and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{what} must be {condition}, got {text} (expected {wanted})")
        return value
    parse.__name__ = what
    return parse


# ----------------------------------------------------------------------------- check
def _add_check(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="verify every primitive's derivatives against finite differences",
                       description="Run the specs of the named operations (all when none is named): the "
                                   "value against its NumPy/SciPy reference, and derivatives to second order "
                                   "in forward and reverse mode against central differences in float64. "
                                   "Prints a table and 'N passed, M failed'; exit status 1 on any failure.")
    p.add_argument("ops", nargs="*", metavar="OP", help="operation names or spec labels (default: all)")
    p.add_argument("--modes", default="fwd,rev", type=_modes,
                   help="comma-separated modes of differentiation to check (default: fwd,rev)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")
    return p


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    if not modes or set(modes) - {"fwd", "rev"}:
        raise argparse.ArgumentTypeError(f"expected fwd, rev or fwd,rev; got {text!r}")
    return modes


def _run_check(args) -> int:
    from . import catalogue
    results = catalogue.check(args.ops or None, modes=args.modes, progress=not args.quiet)
    print(catalogue.table(results))
    print(catalogue.summary_line(results))
    return 0 if all(r.ok for r in results) else 1


# ----------------------------------------------------------------------------- explain
def _add_explain(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("explain", help="show one operation's definition and derivative, and verify it",
                       description="Print an operation's definition, derivative, convention at kinks, kind, "
                                   "domain and specs, then run its specs now. Exit status 1 if one fails.")
    p.add_argument("names", nargs="+", metavar="NAME", help="operation names, e.g. tanh matmul")
    return p


def _run_explain(args) -> int:
    from . import catalogue
    status = 0
    for k, name in enumerate(args.names):
        if k:
            print()
        text = catalogue.explain(name)
        status |= "FAILED" in text
    return status


# ----------------------------------------------------------------------------- docs
def _add_docs(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("docs", help="write the derivative catalogue docs/derivatives.md",
                       description="Generate the derivative catalogue (Markdown) from the code.")
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_DOCS,
                   help=f"where to write it, '-' for standard output (default: {DEFAULT_DOCS})")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the file differs from what the code gives")
    return p


def _run_docs(args) -> int:
    from . import catalogue
    text = catalogue.markdown()
    if str(args.output) == "-":
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date: run `chainrule docs --output {args.output}` "
                  f"(or `make docs`)", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10))} lines)")
    return 0


# ----------------------------------------------------------------------------- optimize
def _add_optimize(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("optimize", help="race optimization methods on a test function",
                       description="Run methods of cr.optim.minimize from the same start on a 2-D test function; "
                                   "print iterations, function evaluations, final error and observed order of "
                                   "convergence, and draw the paths on the contour plot.")
    from .optim import race
    return race.add_arguments(p)


def _run_optimize(args) -> int:
    from .optim import race
    return race.run(args)


# ----------------------------------------------------------------------------- train
def _add_train(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train a network (default: a LeNet-style CNN on the embedded digits)",
                       description="Train a model on a dataset, test it, and write the report to OUT/NAME/: "
                                   "metrics.json, curves.png, confusion.png, samples.png and checkpoints/. With "
                                   "no arguments: a LeNet-style CNN on the embedded 8×8 digits, in under a minute. "
                                   "--resume continues from the last complete checkpoint, ending exactly where "
                                   "the uninterrupted run would.")
    from .train import commands
    return commands.add_train_arguments(p)


def _run_train(args) -> int:
    from .train import commands
    return commands.run_train(args)


# ----------------------------------------------------------------------------- evaluate
def _add_evaluate(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("evaluate", help="test a trained model from its checkpoint",
                       description="Load a checkpoint written by `chainrule train` (verified against its "
                                   "manifest) and print accuracy, loss and per-class precision, recall and F1.")
    from .train import commands
    return commands.add_evaluate_arguments(p)


def _run_evaluate(args) -> int:
    from .train import commands
    return commands.run_evaluate(args)


# ----------------------------------------------------------------------------- predict
def _add_predict(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("predict", help="classify image files with a trained model",
                       description="Load a checkpoint written by `chainrule train` and print the predicted class "
                                   "and its probability for each image (PNG or .npy), resized and normalised "
                                   "to the model's input.")
    from .train import commands
    return commands.add_predict_arguments(p)


def _run_predict(args) -> int:
    from .train import commands
    return commands.run_predict(args)


# ----------------------------------------------------------------------------- the command
COMMANDS = {
    "check": (_add_check, _run_check),
    "explain": (_add_explain, _run_explain),
    "docs": (_add_docs, _run_docs),
    "optimize": (_add_optimize, _run_optimize),
    "train": (_add_train, _run_train),
    "evaluate": (_add_evaluate, _run_evaluate),
    "predict": (_add_predict, _run_predict),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``chainrule``, one subparser per entry of ``COMMANDS``."""
    from . import __version__
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="chainrule: the mathematics of deep learning, every derivative stated and verified.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (add, run) in COMMANDS.items():
        add(sub).set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (the process's arguments when None); return the exit status.

    A bad operation name or option is reported on one line, with exit status 2, as
    argparse does for its own usage errors; a failed check gives exit status 1.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (ValueError, TypeError) as e:
        parser.exit(2, f"chainrule {args.command}: error: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
