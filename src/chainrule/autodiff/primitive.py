r"""Declaring a primitive: its forward body and its derivative rules.

A primitive is an operation the engine treats as atomic.  Three tiers keep most
declarations to one formula:

``@elementwise``
    Give the partial derivatives :math:`\partial y / \partial x_i` as functions of
    ``(out, *inputs)``.  Then :math:`\mathrm{VJP}_i(g) = g\,\partial_i` and
    :math:`\mathrm{JVP}_i(\dot x_i) = \dot x_i\,\partial_i`.
``@linear``
    For maps linear in their (differentiable) inputs: the JVP is the map itself,
    applied to the tangents; give only the adjoint (transpose) of each input.
``@primitive``
    Everything else: ``.defvjp(*rules)`` and ``.defjvp(*rules)``.

Every rule has the signature ``rule(g_or_dx, out, *inputs, **params)``: one rule
per input in positional order (``None`` for an input with no derivative, such as
an index).  Variadic primitives (``concatenate``, ``einsum``) give a single rule
that also receives ``argnum=i``.  Rules are written with chainrule's own ops,
never with ``numpy`` on their arguments, so that every derivative is itself
differentiable: higher orders, Hessian-vector products and Hessians need no
further code.

The engine, not the rules, sums cotangents over broadcast axes, skips inputs
that need no gradient, treats ``None`` as a symbolic zero and adds contributions.
A reverse rule that never reads ``out`` (the transpose of a linear map, the rules
of ``matmul`` or ``sum``) receives ``None`` there: the reverse pass then need not
wrap the saved output in a tensor for it (:func:`rules_read_output`).
"""
from __future__ import annotations

import dis
import functools
import types

REGISTRY: dict[str, "Primitive"] = {}


class Primitive:
    """An operation with a forward body on raw arrays and derivative rules in chainrule ops.

    Calling a primitive binds it: with nothing traced the body runs directly on the
    arrays (the fast path); otherwise the engine records or propagates derivatives.
    """

    kind = "primitive"

    def __init__(self, impl, name: str | None = None, *, differentiable: bool = True,
                 variadic: bool = False, multiple_results: bool = False, register: bool = True):
        self.impl = impl
        self.name = name or impl.__name__
        self.differentiable = differentiable
        self.variadic = variadic
        # A primitive with several outputs (eigh -> (w, V)) returns a tuple; its rules then
        # receive a tuple of cotangents (None where an output is unused) and a tuple `out`,
        # and its JVP rules return a tuple of tangents.
        self.multiple_results = multiple_results
        self.vjp_rules: tuple | None = None
        self.jvp_rules: tuple | None = None
        self.jvp_joint = None          # rule(tangents, out, *inputs, **params), all inputs at once
        self.vjp_joint = None          # rule(g, out, *inputs, **params) -> one cotangent per input
        self.batch_rule = None         # rule(args, batched, size, **params) -> output, batch on axis 0
        self.formulas: dict[str, str] = {}   # LaTeX shown by explain() and the catalogue
        self.kink_test = None          # kinks(): which inputs sit where the derivative does not exist
        self.kink_where = ""
        # Which inputs get a cotangent, by the bit pattern of inputs requiring gradients:
        # filled by the engine, so recording a node allocates no new tuple.
        self.parent_sets: dict[int, tuple] = {}
        self.vjp_reads_out = True      # False when no reverse rule reads `out` (rules_read_output)
        functools.update_wrapper(self, impl)
        if register:
            if self.name in REGISTRY:
                raise ValueError(f"primitive {self.name!r} is already registered")
            REGISTRY[self.name] = self

    def __call__(self, *args, **params):
        # The engine's `apply` takes the fast path — nothing from a transform among the
        # arguments, the common case — straight to the arrays, and hands anything else to
        # the level search of `bind`.
        return apply(self, args, params)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"

    # -- declaring rules ----------------------------------------------------------
    def defvjp(self, *rules) -> "Primitive":
        """One vector-Jacobian rule per input: ``rule(g, out, *inputs, **params)``."""
        self.vjp_rules = rules
        self.parent_sets.clear()
        self.vjp_reads_out = rules_read_output(*rules, self.vjp_joint)
        return self

    def defjvp(self, *rules) -> "Primitive":
        """One Jacobian-vector rule per input: ``rule(dx, out, *inputs, **params)``."""
        self.jvp_rules = rules
        return self

    def defvjp_joint(self, rule) -> "Primitive":
        """A VJP rule returning the cotangents of all inputs at once (``None`` for none):
        for ops whose input cotangents share work (a factorization, a recomputation)."""
        self.vjp_joint = rule
        self.parent_sets.clear()
        self.vjp_reads_out = rules_read_output(rule, *(self.vjp_rules or ()))
        return self

    def defjvp_joint(self, rule) -> "Primitive":
        """A JVP rule given all input tangents at once (``None`` for a zero tangent)."""
        self.jvp_joint = rule
        return self

    def defbatch(self, rule) -> "Primitive":
        """How to apply the primitive to a batch (see ``autodiff/batching.py``)."""
        self.batch_rule = rule
        return self

    def kinks(self, test, where: str) -> "Primitive":
        """Declare where the derivative does not exist: ``test(*arrays, **params)`` is true
        (a boolean array) at each element, or slice, that sits on a kink or a tie, and
        ``where`` says it in words (``"x = 0"``).  :func:`chainrule.detect_kinks` then warns
        when a derivative is taken there; the rules themselves apply the convention stated
        in the ``convention`` formula."""
        self.kink_test = test
        self.kink_where = where
        return self

    def formula(self, **latex) -> "Primitive":
        """Attach LaTeX for the catalogue: ``definition=``, ``derivative=``, ``convention=``."""
        self.formulas.update(latex)
        return self

    # -- used by the engine -----------------------------------------------------------
    def vjp(self, i, g, out, inputs, params):
        if self.variadic:
            return self.vjp_rules[0](g, out, *inputs, argnum=i, **params)
        rule = self.vjp_rules[i]
        return None if rule is None else rule(g, out, *inputs, **params)

    def has_vjp(self, i) -> bool:
        """Whether input ``i`` receives a cotangent.  ``False`` only for a position declared
        ``None`` (an index, a mask); a primitive with no reverse rule at all says ``True``,
        so that backward reports the missing rule instead of treating the input as a constant."""
        if self.variadic or self.vjp_joint is not None or self.vjp_rules is None:
            return True
        return self.vjp_rules[i] is not None

    def jvp(self, tangents, out, inputs, params):
        """The output tangent, summed over inputs; ``None`` if every tangent is zero."""
        if self.jvp_joint is not None:
            return self.jvp_joint(tangents, out, *inputs, **params)
        total = None
        for i, dx in enumerate(tangents):
            if dx is None:
                continue
            if self.variadic:
                t = self.jvp_rules[0](dx, out, *inputs, argnum=i, **params)
            else:
                rule = self.jvp_rules[i]
                t = None if rule is None else rule(dx, out, *inputs, **params)
            if t is None:
                continue
            if self.multiple_results:
                total = t if total is None else tuple(_add_opt(a, b) for a, b in zip(total, t))
            else:
                total = t if total is None else total + t
        return total


def _add_opt(a, b):
    """Sum where ``None`` is a symbolic zero."""
    if a is None:
        return b
    return a if b is None else a + b


class Elementwise(Primitive):
    r"""An elementwise primitive declared by its partial derivatives.

    ``op.partials(f_1, ..., f_n)`` with :math:`f_i(\mathrm{out}, x_1..x_n) = \partial\,\mathrm{out}/\partial x_i`.
    """

    kind = "elementwise"

    def partials(self, *fns) -> "Elementwise":
        self.partial_fns = fns

        def vjp_rule(f):
            if f is None:
                return None
            return lambda g, out, *xs, **p: _times(g, f(out, *xs, **p))

        def jvp_rule(f):
            if f is None:
                return None
            return lambda dx, out, *xs, **p: _times(dx, f(out, *xs, **p))

        self.vjp_rules = tuple(vjp_rule(f) for f in fns)
        self.jvp_rules = tuple(jvp_rule(f) for f in fns)
        self.parent_sets.clear()
        self.vjp_reads_out = True         # the partials receive `out`
        return self


def rules_read_output(*rules) -> bool:
    """Whether any of the rules ``rule(g, out, *inputs)`` (``None``: no rule) may read ``out``.

    Read off each rule's bytecode, once, when the rules are declared: ``out`` is read if
    any instruction loads the rule's second parameter, or an inner function captures it.
    Whatever cannot be inspected (a builtin, a callable object, a rule taking ``*args``)
    counts as reading it.
    """
    for rule in rules:
        if rule is None:
            continue
        bound = 1 if isinstance(rule, types.MethodType) else 0        # `self` comes first
        code = getattr(rule, "__code__", None)
        if code is None or code.co_argcount < 2 + bound:
            return True
        name = code.co_varnames[1 + bound]
        if name in code.co_cellvars:
            return True
        for instruction in dis.get_instructions(code):
            value = instruction.argval
            if ("FAST" in instruction.opname or "DEREF" in instruction.opname) and (
                    value == name or (isinstance(value, tuple) and name in value)):
                return True
    return False


def _times(a, partial):
    return None if partial is None else a * partial


class Linear(Primitive):
    r"""A primitive linear in its differentiable inputs: :math:`\mathrm{JVP} = f(\dot x)`.

    ``op.transposes(*rules)`` gives the adjoint map for each input;
    ``linear_args`` names the positions that are linear (others, such as the
    condition of ``where``, are passed through unchanged).
    """

    kind = "linear"

    def __init__(self, impl, name=None, *, linear_args=None, **kw):
        super().__init__(impl, name, **kw)
        self.linear_args = linear_args
        self.jvp_joint = self._apply_to_tangents

    def transposes(self, *rules) -> "Linear":
        return self.defvjp(*rules)

    def _apply_to_tangents(self, tangents, out, *inputs, **params):
        from ..ops.creation import zeros_like
        if all(t is None for t in tangents):
            return None
        args = []
        for i, (t, x) in enumerate(zip(tangents, inputs)):
            linear = self.linear_args is None or i in self.linear_args
            if not linear:
                args.append(x)
            elif t is None:
                args.append(zeros_like(x))
            else:
                args.append(t)
        return self(*args, **params)


def _with_batch(p, elementwise_op):
    from .batching import elementwise_batch
    if elementwise_op:
        p.defbatch(elementwise_batch(p))
    return p


def primitive(impl=None, *, name=None, differentiable=True, variadic=False, elementwise_op=False,
              multiple_results=False):
    """Declare a primitive with explicit ``defvjp``/``defjvp`` rules.

    ``elementwise_op=True`` gives it the elementwise batching rule (for ``vmap``);
    ``multiple_results=True`` declares an op returning a tuple of arrays.
    """
    if impl is None:
        return lambda f: primitive(f, name=name, differentiable=differentiable, variadic=variadic,
                                   elementwise_op=elementwise_op, multiple_results=multiple_results)
    return _with_batch(Primitive(impl, name, differentiable=differentiable, variadic=variadic,
                                 multiple_results=multiple_results), elementwise_op)


def elementwise(impl=None, *, name=None):
    """Declare an elementwise primitive; follow with ``.partials(...)``."""
    from .batching import elementwise_batch
    if impl is None:
        return lambda f: elementwise(f, name=name)
    p = Elementwise(impl, name)
    return p.defbatch(elementwise_batch(p))


def linear(impl=None, *, name=None, linear_args=None, variadic=False, elementwise_op=False):
    """Declare a linear primitive; follow with ``.transposes(...)``."""
    if impl is None:
        return lambda f: linear(f, name=name, linear_args=linear_args, variadic=variadic,
                                elementwise_op=elementwise_op)
    return _with_batch(Linear(impl, name, linear_args=linear_args, variadic=variadic), elementwise_op)


def nondifferentiable(impl=None, *, name=None, elementwise_op=False):
    """Declare an op whose output is piecewise constant (sign, floor, comparisons, argmax).

    Its derivative is zero wherever it exists, so the result is a constant: no rules.
    """
    if impl is None:
        return lambda f: nondifferentiable(f, name=name, elementwise_op=elementwise_op)
    return _with_batch(Primitive(impl, name, differentiable=False), elementwise_op)


from .engine import apply  # noqa: E402  (the engine imports this module lazily)
