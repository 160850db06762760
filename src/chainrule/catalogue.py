r"""The derivative catalogue: every primitive's formula, stated and checked now.

chainrule's derivatives are written twice: once as mathematics (the ``.. math::``
blocks of a docstring and the LaTeX attached with ``Primitive.formula``) and once as
code (the VJP and JVP rules).  This chapter puts the two side by side and runs the
specs of :mod:`chainrule.specs`, which compare the code with central differences in
float64, so that a reader can see each formula next to the evidence that the code
computes it:

``check(names)``
    run the specs and return one :class:`~chainrule.specs.SpecResult` each;
    ``table(results)`` renders them (``chainrule check``).
``explain(op)``
    one operation's definition, derivative, convention at kinks, kind and domain,
    verified on the spot (``cr.explain(cr.tanh)``, ``chainrule explain tanh``).
``markdown()``
    the whole catalogue as Markdown: ``docs/derivatives.md`` (``chainrule docs``).
"""
from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import sys
from typing import Callable, Iterable, Sequence

from . import specs as _specs
from .autodiff.primitive import REGISTRY, Primitive
from .latex import (display_width, docstring_markdown, first_math, latex_to_text, ljust, rst_to_markdown,
                    summary)

# Chapters in reading order; chapters added later (linalg, nn, ...) follow alphabetically.
CHAPTER_ORDER = ("elementwise", "piecewise", "reductions", "log_sum_exp", "shape", "padding", "indexing", "ordering",
                 "products", "special", "incomplete", "conv")
DASH = "—"


# ----------------------------------------------------------------------------- finding things
def _load_all_modules() -> None:
    """Import every module of the package, so that every primitive is registered.

    The catalogue must not depend on which chapters the caller happened to import;
    modules that need an optional dependency that is missing are skipped.
    """
    import chainrule
    for info in pkgutil.walk_packages(chainrule.__path__, "chainrule."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue   # importing it would run the command
        try:
            importlib.import_module(info.name)
        except ImportError:
            pass


def _library_primitives() -> list[Primitive]:
    """Registered primitives defined by chainrule itself (not by a user's or a test's module)."""
    return [p for p in REGISTRY.values() if _module_of(p).startswith("chainrule.")]


def _module_of(obj) -> str:
    impl = getattr(obj, "impl", obj)
    return getattr(impl, "__module__", None) or ""


def chapter(obj) -> str:
    """The chapter (module) that defines a primitive or function: ``elementwise``, ``linalg``, ``nn.functional``."""
    module = _module_of(obj)
    for prefix in ("chainrule.ops.", "chainrule."):
        if module.startswith(prefix):
            return module[len(prefix):]
    return module or "other"


def _chapter_key(name: str):
    return (CHAPTER_ORDER.index(name), "") if name in CHAPTER_ORDER else (len(CHAPTER_ORDER), name)


def public_function(prim: Primitive) -> Callable | None:
    """The public function that calls ``prim`` (it carries ``.primitive``), or ``prim`` itself when public."""
    module = sys.modules.get(_module_of(prim))
    if module is None:
        return None
    for name, value in vars(module).items():
        if not name.startswith("_") and getattr(value, "primitive", None) is prim:
            return value
    for name, value in vars(module).items():
        if not name.startswith("_") and value is prim:
            return value
    return None


def _public_by_name(name: str) -> Callable | None:
    """A public chainrule function called ``name``: top level first, then the loaded chapters."""
    import chainrule
    candidates = [chainrule] + [m for n, m in sorted(sys.modules.items())
                                if n.startswith("chainrule.") and m is not None]
    for module in candidates:
        value = getattr(module, name, None)
        if callable(value) and not inspect.isclass(value) and _module_of(value).startswith("chainrule"):
            return value
    return None


def _docstring(prim: Primitive | None, fn: Callable | None) -> str:
    """The docstring that states the mathematics: the primitive's, else its public function's."""
    for obj in (prim, fn):
        doc = getattr(obj, "__doc__", None) if obj is not None else None
        if doc and doc.strip() and doc is not type(obj).__doc__:
            return inspect.cleandoc(doc)
    return ""


def specs_of(name: str) -> list:
    """The specs that check the operation called ``name`` (by name or by label)."""
    return [s for s in _specs.all_specs() if name in (s.name, s.label)]


class Entry:
    """What the catalogue knows about one operation: a primitive, or a composite with specs."""

    def __init__(self, name: str, prim: Primitive | None, fn: Callable | None):
        self.name, self.prim, self.fn = name, prim, fn
        self.doc = _docstring(prim, fn)

    @property
    def kind(self) -> str:
        return self.prim.kind if self.prim is not None else "composite"

    @property
    def differentiable(self) -> bool:
        return self.prim is None or self.prim.differentiable

    @property
    def chapter(self) -> str:
        return chapter(self.prim if self.prim is not None else self.fn)

    def formula(self, key: str) -> str:
        """LaTeX for ``definition``, ``derivative`` or ``convention``; the docstring fills gaps."""
        formulas = self.prim.formulas if self.prim is not None else {}
        if key in formulas:
            return formulas[key]
        if key == "derivative" and self.differentiable:
            return first_math(self.doc, roles=False)    # an inline role usually states the definition
        if key == "definition":
            return first_math(summary(self.doc)) or ""
        return ""

    def derivative_text(self) -> str:
        """The derivative in plain text, for terminals."""
        if not self.differentiable:
            return "not differentiable: 0 where defined"
        if self.prim is None and not self.formula("derivative"):
            return "through its primitives"
        return latex_to_text(self.formula("derivative")) or "(not stated)"


def entry(op) -> Entry:
    """Resolve a :class:`Primitive`, a public function or a name to an :class:`Entry`.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the closest known names.
    TypeError
        For something that is neither a name nor a chainrule operation.
    """
    if isinstance(op, Primitive):
        return Entry(op.name, op, public_function(op))
    if callable(op):
        prim = getattr(op, "primitive", None)
        if isinstance(prim, Primitive):
            return Entry(prim.name, prim, op)
        name = getattr(op, "__name__", None)
        if name is None or not _module_of(op).startswith("chainrule"):
            raise TypeError(f"explain: {op!r} is not a chainrule operation; pass one, or its name")
        prim = REGISTRY.get(name)     # a Tensor method or a composite: found by its name
        return Entry(name, prim, op if prim is None else public_function(prim) or op)
    if not isinstance(op, str):
        raise TypeError(f"explain: expected an operation or its name, got {type(op).__name__}")
    if op not in REGISTRY and not specs_of(op):
        _load_all_modules()
    if op in REGISTRY:
        return Entry(op, REGISTRY[op], public_function(REGISTRY[op]))
    matching = specs_of(op)
    fn = _public_by_name(matching[0].name if matching else op)
    if isinstance(fn, Primitive):             # a second name of a primitive (``mul``, ``pow``)
        return entry(fn)
    if matching or fn is not None:
        return Entry(matching[0].name if matching else op, None, fn)
    raise ValueError(f"unknown operation {op!r}" + _suggest(op, known_names()))


def known_names() -> list[str]:
    """Every name ``explain`` and ``check`` accept: primitives and spec labels."""
    return sorted(set(REGISTRY) | {n for s in _specs.all_specs() for n in (s.name, s.label)})


def _suggest(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=5, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else "; `chainrule check` lists every checked op"


# ----------------------------------------------------------------------------- checking
def select_specs(names: Sequence[str] | None = None) -> list:
    """The specs to run: all of them, or those whose name or label is in ``names``."""
    specs = _specs.all_specs()
    if not names:
        return specs
    chosen, known = [], {n for s in specs for n in (s.name, s.label)}
    for name in names:
        if name not in known:
            if name in REGISTRY:
                raise ValueError(f"no spec checks {name!r} yet (it is a registered primitive)")
            raise ValueError(f"unknown operation {name!r}" + _suggest(name, known | set(REGISTRY)))
        chosen.extend(s for s in specs if name in (s.name, s.label) and s not in chosen)
    return chosen


def check(names: Sequence[str] | None = None, modes: Sequence[str] = ("fwd", "rev"),
          progress: bool = False) -> list:
    """Run the specs of ``names`` (every spec when None) and return their results.

    Parameters
    ----------
    names : sequence of str, optional
        Operation names or spec labels (``"getitem"``, ``"getitem[mask]"``).
    modes : sequence of {"fwd", "rev"}
        Which modes of differentiation to check.
    progress : bool
        Report each spec on standard error as it runs (with tqdm when it is installed).

    Returns
    -------
    list of SpecResult
        One per spec; ``result.ok`` is False and ``result.failure`` says why for a failure.
    """
    bad = set(modes) - {"fwd", "rev"}
    if bad or not modes:
        raise ValueError(f"modes must be a non-empty subset of ('fwd', 'rev'), got {tuple(modes)}")
    specs = select_specs(names)
    results = []
    for spec in _progress(specs, progress):
        results.append(_specs.run_spec(spec, modes=tuple(modes)))
    return results


def _progress(specs: list, enabled: bool):
    """Yield the specs, telling standard error which one runs (a check can take a while)."""
    if not enabled:
        yield from specs
        return
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(specs, file=sys.stderr, unit="spec", leave=False)
        for spec in bar:
            bar.set_postfix_str(spec.label)
            yield spec
        return
    live = sys.stderr.isatty()    # redraw one line on a terminal; one line per spec in a log
    for k, spec in enumerate(specs, 1):
        line = f"[{k}/{len(specs)}] {spec.label}"
        print(f"\r{line:<60}" if live else line, end="" if live else "\n", file=sys.stderr, flush=True)
        yield spec
    if live:
        print(f"\r{'':<60}\r", end="", file=sys.stderr, flush=True)


def summary_line(results) -> str:
    """``N passed, M failed`` — the closing line of ``chainrule check``."""
    failed = sum(not r.ok for r in results)
    return f"{len(results) - failed} passed, {failed} failed"


def _err(x: float, shown: bool = True) -> str:
    return f"{x:.1e}" if shown else DASH


def table(results, width: int = 44) -> str:
    """Render results as a fixed-width table, with the reason for each failure below it.

    Columns: op (spec label), kind, derivative (plain text, cut to ``width``), the
    largest absolute errors of the value (against the NumPy/SciPy reference), reverse,
    forward and second-order derivatives, and the verdict.
    """
    head = ("op", "kind", "derivative", "value", "reverse", "forward", "2nd order", "verdict")
    rows = []
    entries: dict[str, Entry] = {}
    for r in results:
        spec = r.spec
        if spec.name not in entries:
            entries[spec.name] = _entry_of_spec(spec)
        e = entries[spec.name]
        formula = e.derivative_text()
        if len(formula) > width:
            formula = formula[:width - 1] + "…"
        checked = spec.order > 0 and e.differentiable
        rows.append((spec.label, e.kind, formula, _err(r.value_err, spec.reference is not None),
                     _err(r.rev_err, checked), _err(r.fwd_err, checked),
                     _err(r.second_err, checked and spec.order > 1), "PASS" if r.ok else "FAIL"))
    widths = [max(display_width(c) for c in col) for col in zip(head, *rows)]
    lines = ["  ".join(ljust(c, w) for c, w in zip(row, widths)).rstrip() for row in (head, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failures = [r for r in results if not r.ok]
    if failures:
        lines.append("")
        lines.extend(f"FAIL {r.spec.label}: {r.failure}" for r in failures)
    return "\n".join(lines)


def _entry_of_spec(spec) -> Entry:
    if not spec.composite and spec.name in REGISTRY:
        prim = REGISTRY[spec.name]
        return Entry(spec.name, prim, public_function(prim))
    fn = spec.op if _module_of(spec.op).startswith("chainrule") and spec.op.__name__ != "<lambda>" else None
    return Entry(spec.name, None, fn or _public_by_name(spec.name))


# ----------------------------------------------------------------------------- explaining
def _domain(spec) -> str:
    docs = [(d.__doc__ or "a sampler of its own").strip().splitlines()[0].rstrip(".") for d in spec.domains]
    if len(set(docs)) == 1:
        return docs[0]
    return "; ".join(f"input {i + 1}: {d}" for i, d in enumerate(docs))


def _shapes(spec) -> str:
    return ", ".join(" with ".join(str(s) for s in shapes) for shapes in spec.shapes)


def verification(results) -> str:
    """One sentence on what the results show: ``verified: reverse max err 3e-11, ...``."""
    if not results:
        return "not verified: no spec checks it yet"
    failed = [r for r in results if not r.ok]
    if failed:
        return f"FAILED: {failed[0].spec.label}: {failed[0].failure}"
    derivs = [r for r in results if r.spec.order > 0]
    if not derivs:
        return f"verified: value max err {max(r.value_err for r in results):.0e} against the reference"
    parts = [f"reverse max err {max(r.rev_err for r in derivs):.0e}",
             f"forward {max(r.fwd_err for r in derivs):.0e}"]
    if any(r.spec.order > 1 for r in derivs):
        parts.append(f"second order {max(r.second_err for r in derivs if r.spec.order > 1):.0e}")
    return "verified: " + ", ".join(parts) + " (float64, central differences)"


def explain(op, file=None) -> str:
    """Explain one operation and verify its derivatives now.

    Prints its definition, derivative, convention at kinks, kind and chapter, domain
    and the specs that check it, then runs those specs: ``dy/dx = 1 - y^2, verified:
    reverse max err 3e-11, forward 2e-11, second order 1e-10 (float64, central
    differences)``.

    Parameters
    ----------
    op : Primitive, function or str
        ``cr.tanh``, ``cr.sum`` (a public function; its primitive is used), or ``"tanh"``.
    file : file-like, optional
        Where to print; standard output by default.

    Returns
    -------
    str
        The text printed.
    """
    e = entry(op)
    specs = specs_of(e.name)
    results = [_specs.run_spec(s) for s in specs]
    label = e.kind if e.differentiable else f"{e.kind}, not differentiable"
    lines = [f"{e.name}  ({label}; chapter {e.chapter})"]
    if summary(e.doc):
        lines.append("  " + latex_to_text(summary(e.doc)))
    fields = [("definition", latex_to_text(e.formula("definition"))),
              ("derivative", e.derivative_text()),
              ("convention", latex_to_text(e.formula("convention")))]
    if e.prim is not None and e.prim.kink_test is not None:
        fields.append(("kinks", f"where {e.prim.kink_where} (cr.detect_kinks() warns when a derivative is "
                                f"taken there)"))
    for spec in specs:
        fields.append(("checked by", f"{spec.label}: shapes {_shapes(spec)}; domain: {_domain(spec)}"))
    lines.extend(f"  {key:<12} {value}" for key, value in fields if value)
    lines.append(f"  {e.derivative_text()}, {verification(results)}")
    text = "\n".join(lines)
    print(text, file=sys.stdout if file is None else file)
    return text


# ----------------------------------------------------------------------------- the Markdown catalogue
def _spec_lines(specs) -> list[str]:
    if not specs:
        return ["- **Checked by:** no spec yet"]
    out = ["- **Checked by:**"]
    for s in specs:
        how = f"order {s.order}" if s.order > 0 else "value only"
        ref = "" if s.reference is None else f", against {_ref_name(s.reference)}"
        out.append(f"  - `{s.label}`: shapes {_shapes(s)}; {how}{ref}; domain: {_domain(s)}")
    return out


def _ref_name(ref) -> str:
    name = getattr(ref, "__name__", "reference")
    module = getattr(ref, "__module__", None) or ""
    if name == "<lambda>":
        return "a NumPy expression"
    top = module.split(".")[0]
    return f"`{'np' if top == 'numpy' else top}.{name}`" if top in ("numpy", "scipy") else f"`{name}`"


def _entry_markdown(e: Entry, specs) -> list[str]:
    lines = [f"### `{e.name}`", "", f"*{e.kind}*" + ("" if e.differentiable else ", not differentiable")
             + (f" · public: `{_public_path(e.fn)}`" if e.fn is not None else ""), ""]
    for text in (rst_to_markdown(summary(e.doc)), docstring_markdown(e.doc)):
        if text:
            lines += [text, ""]
    definition, derivative, convention = (e.formula(k) for k in ("definition", "derivative", "convention"))
    if definition:
        lines.append(f"- **Definition:** ${definition}$")
    if not e.differentiable:
        lines.append("- **Derivative:** 0 wherever it exists (piecewise constant); the output is a constant")
    elif derivative:
        lines.append(f"- **Derivative:** ${derivative}$")
    if convention:
        lines.append(f"- **Convention:** {_inline(convention)}")
    lines += _spec_lines(specs)
    return lines + [""]


def _inline(latex: str) -> str:
    """A convention is LaTeX when it looks like mathematics, words otherwise."""
    return f"${latex}$" if re.search(r"[\\^_=']", latex) else latex


def _public_path(fn) -> str:
    import chainrule
    name = getattr(fn, "__name__", "")
    if getattr(chainrule, name, None) is fn:
        return f"cr.{name}"
    return f"{_module_of(fn).replace('chainrule', 'cr', 1)}.{name}"


def markdown() -> str:
    """The derivative catalogue as Markdown (``docs/derivatives.md``); deterministic.

    Every primitive chainrule registers, grouped by chapter, with its definition,
    derivative and convention in LaTeX and the specs that check it; then every
    composite that has a spec.  Nothing here runs a check, so the text depends only
    on the code (``chainrule check`` gives the errors).
    """
    _load_all_modules()
    all_specs = _specs.all_specs()
    by_name: dict[str, list] = {}
    for s in all_specs:
        by_name.setdefault(s.name, []).append(s)
    chapters: dict[str, list[Entry]] = {}
    for prim in _library_primitives():
        e = Entry(prim.name, prim, public_function(prim))
        chapters.setdefault(e.chapter, []).append(e)
    composites: dict[str, list[Entry]] = {}
    for name in dict.fromkeys(s.name for s in all_specs if s.composite or s.name not in REGISTRY):
        e = _entry_of_spec(by_name[name][0])
        composites.setdefault(e.chapter, []).append(e)

    n_prims = sum(len(v) for v in chapters.values())
    n_checked = sum(1 for v in chapters.values() for e in v if e.name in by_name)
    out = ["# The derivative catalogue", "",
           "Generated from the code by `chainrule docs` (`make docs`); do not edit by hand. "
           "Each primitive states its definition, its derivatives and its convention where a "
           "derivative does not exist, and names the specs that check it against central "
           "differences in float64, to second order in forward and reverse mode. "
           "`chainrule check NAME` runs them now and prints the errors; "
           "`chainrule explain NAME` (or `cr.explain`) shows one operation.", "",
           "Notation: $\\bar x$ is the cotangent (reverse mode, $\\bar x = \\bar y\\, "
           "\\partial y/\\partial x$), $\\dot x$ the tangent (forward mode); $[P]$ is 1 where $P$ "
           "holds and 0 elsewhere.", "",
           f"{n_prims} primitives ({n_checked} with specs), "
           f"{sum(len(v) for v in composites.values())} composites with specs.", "",
           "## Contents", ""]
    for name in sorted(chapters, key=_chapter_key):
        out.append(f"- [{name}](#{_anchor(name)}): " + ", ".join(f"`{e.name}`" for e in chapters[name]))
    if composites:
        out.append("- [Composites](#composites)")
    out.append("")
    for name in sorted(chapters, key=_chapter_key):
        out += [f"## {name}", ""]
        intro = _chapter_intro(chapters[name][0])
        if intro:
            out += [intro, ""]
        for e in chapters[name]:
            out += _entry_markdown(e, by_name.get(e.name, []))
    if composites:
        out += ["## Composites", "",
                "Written with the primitives above and differentiated through them, with no rule "
                "of their own; their specs check the result end to end.", ""]
        for name in sorted(composites, key=_chapter_key):
            for e in composites[name]:
                out += _entry_markdown(e, by_name.get(e.name, []))
    return "\n".join(out).rstrip() + "\n"


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def _chapter_intro(e: Entry) -> str:
    """The first paragraph of the chapter module's docstring."""
    module = sys.modules.get(_module_of(e.prim if e.prim is not None else e.fn))
    doc = inspect.cleandoc(module.__doc__ or "") if module is not None else ""
    return rst_to_markdown(doc.split("\n\n")[0].replace("\n", " ")) if doc else ""
