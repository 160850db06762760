r"""The derivative catalogue's data: one :class:`OpSpec` per checked operation.

An OpSpec says how to call an operation, where its domain is (a sampler for each
input), which input shapes to try (scalars, vectors, matrices, and broadcasting
pairs), and which NumPy/SciPy function computes the same values.  From these the
suite (``tests/ops/test_specs.py``), ``chainrule check`` and ``cr.explain`` verify

* the forward value against the reference, and
* derivatives of order 1 and 2 in forward and reverse mode against central
  differences in float64 (:func:`chainrule.testing.check_grads`).

Every differentiable primitive in the registry must have at least one spec (a test
fails otherwise); composites that users call directly have specs too.

The specs live inside the package (not under ``tests/``) so that the installed
``chainrule check`` command and ``cr.explain`` can run them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np


# ----------------------------------------------------------------------------- domains
# A sampler draws one float64 input of a given shape from the operation's domain.
def real(rng, shape):
    """Anywhere on the real line (standard normal)."""
    return rng.standard_normal(shape)


def positive(rng, shape):
    """Bounded away from 0 and from infinity: (0.5, 2.5)."""
    return rng.uniform(0.5, 2.5, shape)


def unit_interval(rng, shape):
    """Inside (-1, 1), away from the endpoints where arcsin/arccos have infinite slope."""
    return rng.uniform(-0.9, 0.9, shape)


def away_from_zero(rng, shape):
    """Magnitude in (0.5, 2), either sign (for kinks at 0 and poles at 0)."""
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """Real values with no ties, pairwise at least ~0.1 apart (for max, sort, ...)."""
    n = int(np.prod(shape)) if shape else 1
    vals = rng.permutation(n) * 0.25 + rng.uniform(-0.05, 0.05, n) - n * 0.125
    return vals.reshape(shape)


def integers(low, high):
    """A sampler of integer inputs in [low, high) (indices: not differentiated)."""
    def sample(rng, shape):
        return rng.integers(low, high, shape)
    sample.__doc__ = f"integers in [{low}, {high})"
    return sample


@dataclass
class OpSpec:
    """How to check one operation.

    ``op(*args)`` is called with one tensor per entry of ``domains`` (parameters are
    bound in ``op`` by a lambda); ``reference(*arrays)`` computes the same values in
    NumPy/SciPy.  ``shapes`` lists input-shape tuples to try.  Only inputs in
    ``argnums`` are differentiated (indices and masks are not).
    """

    name: str                                   # the registry name (or the composite's name)
    op: Callable
    domains: Sequence[Callable]
    shapes: Sequence[tuple]
    reference: Callable | None = None
    argnums: tuple | None = None                # None: every input
    order: int = 2
    case: str = ""                              # a label when an op has several specs
    composite: bool = False
    rtol: float = 1e-5
    atol: float = 1e-6
    seed: int = 0
    notes: str = ""
    tags: tuple = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.name}[{self.case}]" if self.case else self.name

    def sample(self, shapes, rng=None):
        rng = np.random.default_rng(self.seed) if rng is None else rng
        return [d(rng, s) for d, s in zip(self.domains, shapes)]

    def diff_argnums(self):
        return tuple(range(len(self.domains))) if self.argnums is None else self.argnums


def all_specs() -> list[OpSpec]:
    """Every spec of every chapter: each module of this package holds a list ``SPECS``.

    Chapters are found by listing the package, so a new chapter (``specs/linalg.py``)
    joins the catalogue by existing.
    """
    import importlib
    import pkgutil
    specs = []
    chapters = sorted(pkgutil.iter_modules(__path__),
                      key=lambda i: (_FIRST.index(i.name) if i.name in _FIRST else len(_FIRST), i.name))
    for info in chapters:
        module = importlib.import_module(f"{__name__}.{info.name}")
        specs.extend(getattr(module, "SPECS", []))
    return specs


# The core chapters come first, in reading order; later chapters follow alphabetically.
_FIRST = ("elementwise", "reductions", "shape", "indexing", "ordering", "products", "special", "incomplete",
          "conv")


@dataclass
class SpecResult:
    """The outcome of checking one spec on all its shapes."""

    spec: OpSpec
    value_err: float = 0.0        # max |op - reference| / (atol + rtol |reference|) ratio's numerator
    fwd_err: float = 0.0          # max abs error of J·v against central differences
    rev_err: float = 0.0          # max abs error of the adjoint identity
    second_err: float = 0.0       # max error of the order-2 checks (both modes)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def run_spec(spec: OpSpec, modes=("fwd", "rev")) -> SpecResult:
    """Check one spec on every shape: value against the reference, then derivatives
    up to ``spec.order`` in both modes, in float64.  Never raises; failures are recorded."""
    from ..tensor import Tensor
    from ..testing import GradientCheckError, check_grads
    result = SpecResult(spec)
    rng = np.random.default_rng(spec.seed)
    for shapes in spec.shapes:
        args = spec.sample(shapes, rng)
        try:
            if spec.reference is not None:
                got = spec.op(*[Tensor._wrap(np.asarray(a)) for a in args])
                got = np.asarray(got.numpy() if isinstance(got, Tensor) else got, dtype=np.float64)
                want = np.asarray(spec.reference(*args), dtype=np.float64)
                if got.shape != want.shape:
                    raise GradientCheckError(f"value: shape {got.shape} but the reference gives {want.shape}")
                err = float(np.max(np.abs(got - want))) if got.size else 0.0
                result.value_err = max(result.value_err, err)
                if not np.allclose(got, want, rtol=spec.rtol, atol=spec.atol, equal_nan=True):
                    raise GradientCheckError(f"value differs from the reference by {err:.3g} "
                                             f"at input shapes {shapes}")
            if spec.order > 0:
                rep = check_grads(spec.op, args, order=spec.order, modes=modes, argnums=spec.diff_argnums(),
                                  rtol=spec.rtol, atol=spec.atol, rng=rng)
                result.fwd_err = max(result.fwd_err, rep.get("fwd", 0.0))
                result.rev_err = max(result.rev_err, rep.get("rev", 0.0))
                result.second_err = max(result.second_err, rep.get("fwd2", 0.0), rep.get("rev2", 0.0))
        except Exception as e:  # noqa: BLE001  (a catalogue reports every failure, of any kind)
            result.failure = f"shapes {shapes}: {type(e).__name__}: {e}"
            break
    return result
