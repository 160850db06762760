"""The derivative catalogue: formulas as text, checks, explain, and the Markdown catalogue."""
from __future__ import annotations

import io

import pytest

import chainrule as cr
from chainrule import catalogue
from chainrule.autodiff.primitive import REGISTRY
from chainrule.latex import docstring_markdown, first_math, latex_to_text, summary
from chainrule.specs import SpecResult


# ----------------------------------------------------------------------------- LaTeX as text
@pytest.mark.parametrize("latex, text", [
    (r"\frac{\partial z}{\partial x} = \frac1y", "∂z/∂x = 1/y"),
    (r"\frac{dy}{dx} = \frac{1}{2\sqrt x} = \frac{1}{2y}", "dy/dx = 1/(2√x) = 1/(2y)"),
    (r"\bar X = \bar Z Y^\top,\ \bar Y = X^\top \bar Z", "X\u0304 = Z\u0304 Y\u1d40, Y\u0304 = X\u1d40 Z\u0304"),
    (r"\partial z/\partial x = y x^{y-1},\ \partial z/\partial y = x^y\log x",
     "∂z/∂x = y x^(y-1), ∂z/∂y = x^y log x"),
    (r"\partial z/\partial x = [x>y] + \tfrac12[x=y]", "∂z/∂x = [x>y] + 1/2 [x=y]"),
    (r"dy/dx = [lo \le x \le hi]", "dy/dx = [lo ≤ x ≤ hi]"),
    (r"y = \textstyle\sum_{i \in \text{axes}} x_i", "y = Σ_(i ∈ axes) x_i"),
    (r"\sigma' = \sigma(1-\sigma)", "σ' = σ(1-σ)"),
    (r"\mathrm{unknowncommand}\ \foo", "unknowncommand foo"),
])
def test_latex_to_text(latex, text):
    assert latex_to_text(latex) == text


def test_docstring_pieces():
    doc = """Hyperbolic tangent :math:`y = \\tanh x`.

    .. math:: \\frac{dy}{dx} = 1 - \\tanh^2 x
              = 1 - y^2

    Stable for large :math:`|x|`.

    Parameters
    ----------
    x : Tensor
    """
    assert summary(doc) == "Hyperbolic tangent :math:`y = \\tanh x`."
    assert first_math(doc) == "\\frac{dy}{dx} = 1 - \\tanh^2 x = 1 - y^2"
    assert first_math("Only :math:`a + b` inline.") == "a + b"
    assert first_math("Only :math:`a + b` inline.", roles=False) == ""
    md = docstring_markdown(doc)
    assert "$$\\frac{dy}{dx} = 1 - \\tanh^2 x = 1 - y^2$$" in md
    assert "Stable for large $|x|$." in md
    assert "Parameters" not in md


# ----------------------------------------------------------------------------- resolving operations
def test_entry_accepts_primitive_public_function_and_name():
    assert catalogue.entry(cr.tanh).name == "tanh"
    by_function = catalogue.entry(cr.sum)             # a public wrapper carrying .primitive
    assert (by_function.name, by_function.kind, by_function.prim) == ("sum", "linear", cr.sum.primitive)
    assert catalogue.entry("matmul").prim is REGISTRY["matmul"]
    assert catalogue.entry("sign").differentiable is False
    assert catalogue.entry(cr.Tensor.exp).prim is REGISTRY["exp"]     # a method, by its name
    assert catalogue.entry("mul").prim is REGISTRY["multiply"]       # PyTorch's name for a primitive
    assert catalogue.entry("pow").name == "power"
    assert catalogue.entry(cr.Tensor.sub).prim is REGISTRY["subtract"]


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="did you mean.*tanh"):
        catalogue.entry("tnah")
    with pytest.raises(TypeError):
        catalogue.entry(3.0)
    with pytest.raises(TypeError, match="not a chainrule operation"):
        catalogue.entry(print)


def test_formulas_come_from_the_primitive_then_the_docstring():
    e = catalogue.entry(cr.tanh)
    assert e.derivative_text() == latex_to_text(cr.tanh.formulas["derivative"])
    assert e.chapter == "elementwise"
    assert catalogue.entry("matmul").chapter == "products"
    assert "not differentiable" in catalogue.entry("floor").derivative_text()


# ----------------------------------------------------------------------------- checking
def test_check_one_op(tanh_spec):
    results = catalogue.check(["tanh"])
    assert results and all(r.spec.name == "tanh" for r in results)
    assert all(r.ok for r in results), [r.failure for r in results]
    assert max(r.rev_err for r in results) < 1e-6 and max(r.second_err for r in results) < 1e-6
    assert catalogue.summary_line(results) == f"{len(results)} passed, 0 failed"


def test_check_rejects_unknown_names_and_modes(tanh_spec):
    with pytest.raises(ValueError, match="did you mean"):
        catalogue.check(["tnah"])
    with pytest.raises(ValueError, match="modes"):
        catalogue.check(["tanh"], modes=("sideways",))


def test_table_lists_errors_verdicts_and_reasons(tanh_spec):
    good = catalogue.check(["tanh"])
    bad = SpecResult(tanh_spec, rev_err=0.5, failure="shapes ((3,),): GradientCheckError: reverse mode differs")
    text = catalogue.table([*good, bad])
    header = text.splitlines()[0].split()
    assert header[:3] == ["op", "kind", "derivative"] and header[-1] == "verdict"
    assert "PASS" in text and "FAIL" in text and "dy/dx = 1 - y^2" in text
    assert text.splitlines()[-1] == "FAIL tanh: shapes ((3,),): GradientCheckError: reverse mode differs"
    assert catalogue.summary_line([*good, bad]) == f"{len(good)} passed, 1 failed"


# ----------------------------------------------------------------------------- explain
def test_explain_states_and_verifies(tanh_spec):
    out = io.StringIO()
    text = catalogue.explain(cr.tanh, file=out)
    assert out.getvalue() == text + "\n"
    assert "dy/dx = 1 - y^2" in text and "elementwise" in text
    last = text.splitlines()[-1]
    assert "verified: reverse max err" in last and "second order" in last and "float64" in last
    assert "Anywhere on the real line" in text                # the sampler's docstring: the domain


def test_explain_is_public_and_says_when_unverified(capsys, monkeypatch):
    assert cr.explain is catalogue.explain
    monkeypatch.setattr(catalogue, "specs_of", lambda name: [])
    cr.explain("clip")
    printed = capsys.readouterr().out
    assert "convention" in printed and "not verified" in printed


# ----------------------------------------------------------------------------- the Markdown catalogue
def test_markdown_lists_every_primitive_by_chapter_deterministically():
    text = catalogue.markdown()
    assert text == catalogue.markdown()
    for prim in catalogue._library_primitives():
        assert f"### `{prim.name}`" in text
    chapters = [line[3:] for line in text.splitlines() if line.startswith("## ") and line != "## Contents"]
    assert chapters[:len(catalogue.CHAPTER_ORDER)] == list(catalogue.CHAPTER_ORDER)
    assert r"$\bar X = \bar Z Y^\top,\ \bar Y = X^\top \bar Z$" in text    # matmul's LaTeX


def test_markdown_leaves_out_primitives_defined_outside_the_library():
    from chainrule.autodiff.primitive import elementwise
    try:
        @elementwise(name="test_only_cube")
        def cube(x):
            return x ** 3
        assert "test_only_cube" not in catalogue.markdown()
    finally:
        REGISTRY.pop("test_only_cube", None)


def test_markdown_names_the_specs_that_check_an_op(tanh_spec):
    text = catalogue.markdown()
    section = text.split("### `tanh`")[1].split("### ")[0]
    assert f"`{tanh_spec.label}`: shapes" in section


def test_explain_names_the_kinks_of_a_piecewise_primitive(capsys):
    text = cr.explain(cr.relu)
    assert "  kinks        where x = 0 (cr.detect_kinks() warns when a derivative is taken there)" in text
    assert "kinks" not in cr.explain(cr.tanh)
