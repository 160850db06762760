"""Exceptions whose messages state the mathematics that went wrong.

Each subclasses the built-in exception a Python user would already catch, so
``except ValueError`` keeps working, while ``except cr.ShapeError`` can be
precise.
"""
from __future__ import annotations

import numpy as np


class ChainruleError(Exception):
    """Base class of every chainrule-specific error."""


class ShapeError(ChainruleError, ValueError):
    """Operand shapes for which the operation is not defined (``(2×3)·(4×5)``)."""


class DTypeError(ChainruleError, TypeError):
    """An operation was asked of a dtype on which it is not defined."""


class GraphError(ChainruleError, RuntimeError):
    """Misuse of the recorded computation graph (freed graph, non-scalar backward, ...)."""


class LinAlgError(ChainruleError, np.linalg.LinAlgError):
    """A linear-algebra operation is undefined for its input (singular, not positive definite).

    Subclasses ``numpy.linalg.LinAlgError`` (itself a ``ValueError``), so code that catches
    NumPy's exception keeps working.
    """


class AnomalyError(ChainruleError, FloatingPointError):
    """Raised in :func:`chainrule.detect_anomaly` mode at the first op that produces NaN or inf."""


class KinkWarning(UserWarning):
    """Issued in :func:`chainrule.detect_kinks` mode when a derivative is taken exactly at a
    kink or tie of a piecewise function, where it does not exist and a convention decides it."""


def fmt_shape(shape: tuple) -> str:
    """``(2, 3)`` as ``(2×3)``, the way shapes are written in linear algebra."""
    if len(shape) == 0:
        return "()"
    return "(" + "×".join(str(n) for n in shape) + ")"
