r"""Reading the mathematics in docstrings: LaTeX to plain text, reStructuredText to Markdown.

chainrule's docstrings state each derivative in LaTeX (``.. math::`` blocks and
``:math:`` roles).  The derivative catalogue shows those formulas in a terminal,
where ``\frac{\partial z}{\partial x}`` should read ``∂z/∂x``, and in Markdown,
where GitHub renders ``$...$``.  Only the small part of LaTeX that the docstrings
use is translated; an unknown command keeps its name without the backslash, so
nothing is ever lost, only left less pretty.  (A full LaTeX-to-Unicode converter
exists on PyPI as ``pylatexenc``; chainrule's runtime dependencies are kept to
NumPy and SciPy, and this subset is enough.)
"""
from __future__ import annotations

import inspect
import re
import unicodedata

SYMBOLS = {
    "partial": "∂", "nabla": "∇", "sigma": "σ", "Sigma": "Σ", "theta": "θ", "pi": "π",
    "lambda": "λ", "mu": "μ", "alpha": "α", "beta": "β", "gamma": "γ", "Gamma": "Γ",
    "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η", "rho": "ρ", "tau": "τ",
    "phi": "φ", "psi": "ψ", "omega": "ω", "kappa": "κ", "xi": "ξ", "zeta": "ζ", "nu": "ν",
    "sum": "Σ", "prod": "Π", "int": "∫", "infty": "∞",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "in": "∈", "lnot": "¬", "neg": "¬", "land": "∧", "lor": "∨", "to": "→", "mapsto": "↦",
    "cdot": "·", "times": "×", "odot": "⊙", "otimes": "⊗", "pm": "±",
    "dots": "…", "ldots": "…", "cdots": "⋯", "top": "ᵀ", "langle": "⟨", "rangle": "⟩",
    "quad": "  ", "qquad": "  ", "lbrace": "{", "rbrace": "}", "{": "{", "}": "}", "_": "_",
    "|": "‖",
}
# Commands that only change the style of their argument, or of what follows.
STYLE = {"mathrm", "operatorname", "text", "textrm", "mathbf", "mathit", "boldsymbol", "mathcal", "mathbb"}
DROP = {"textstyle", "displaystyle", "left", "right", "big", "Big", "bigl", "bigr", "limits"}
ACCENTS = {"bar": "\u0304", "overline": "\u0304", "dot": "\u0307", "hat": "\u0302", "tilde": "\u0303",
           "vec": "\u20d7"}


def _argument(s: str, i: int) -> tuple[str, int]:
    """The argument of a command starting at ``s[i]``: a {braced group}, a \\command, or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + m.end()
    return s[i], i + 1


# One symbol: a number, a (possibly primed, sub- or superscripted) name, a root or a bracket.
_ATOM = re.compile(r"\d+(\.\d+)?|∂?[^\W\d]\w*'?([\^_]\S+)?|√\S+|\([^()]*\)")
# Commands that bind to what follows, as a prefix: no space after them.
PREFIX = {"partial", "nabla", "lnot", "neg", "sqrt"}


def _grouped(text: str) -> str:
    """Parenthesise a converted sub-expression that is more than one symbol (a numerator, an exponent)."""
    text = text.strip()
    return text if _ATOM.fullmatch(text) else f"({text})"


def latex_to_text(s: str) -> str:
    r"""Plain Unicode text for a LaTeX formula: ``\frac{\partial z}{\partial x} = \bar y`` → ``∂z/∂x = ȳ``."""
    s = re.sub(r":math:`([^`]*)`", r"\1", s or "")
    s = s.replace("``", "")
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name, i = m.group(1), i + m.end()
            if name in ("frac", "tfrac", "dfrac"):
                num, i = _argument(s, i)
                den, i = _argument(s, i)
                out.append(f"{_grouped(latex_to_text(num))}/{_grouped(latex_to_text(den))}")
                if i < len(s) and s[i] not in " ,;.=)]}^_":
                    out.append(" ")          # \tfrac12[x=y] reads 1/2 [x=y], not 1/2[x=y]
            elif name == "sqrt":
                arg, i = _argument(s, i)
                out.append("√" + _grouped(latex_to_text(arg)))
            elif name in ACCENTS:
                arg, i = _argument(s, i)
                text = latex_to_text(arg)
                # A combining accent sits on one letter; a longer expression is named instead.
                out.append(text + ACCENTS[name] if len(text) == 1 else f"{name}({text})")
            elif name in STYLE:
                arg, i = _argument(s, i)
                out.append(latex_to_text(arg))
            elif name in DROP:
                continue
            elif name in (",", ";", "!", ":"):
                out.append(" " if name != "!" else "")
            elif name == " ":
                out.append(" ")
            else:
                word = SYMBOLS.get(name, name)
                if word.isalpha() and len(word) > 1 and out and out[-1][-1:].isalnum():
                    out.append(" ")          # x^y\log x reads x^y log x
                out.append(word)
            if name in PREFIX:
                while i < len(s) and s[i] == " ":
                    i += 1
        elif c in "^_":
            arg, i = _argument(s, i + 1)
            text = latex_to_text(arg)
            out.append(text if text == "ᵀ" else c + _grouped(text))
        elif c in "{}":
            i += 1
        else:
            out.append(c)
            i += 1
    return re.sub(r" {2,}", "  ", "".join(out)).strip()


def summary(doc: str) -> str:
    """The first paragraph of a docstring, on one line."""
    para = (doc or "").strip().split("\n\n")[0]
    if para.lstrip().startswith(".. "):
        return ""
    return " ".join(line.strip() for line in para.splitlines())


def first_math(doc: str, roles: bool = True) -> str:
    """The first ``.. math::`` block of a docstring (its lines joined), else (with ``roles``)
    the first inline ``:math:`` role; empty when there is neither."""
    lines = (doc or "").splitlines()
    for k, line in enumerate(lines):
        head, sep, rest = line.partition(".. math::")
        if not sep:
            continue
        indent = len(head)
        body = [rest.strip()] if rest.strip() else []
        for more in lines[k + 1:]:
            if more.strip() and len(more) - len(more.lstrip()) <= indent:
                break
            if more.strip():
                body.append(more.strip())
        return " ".join(body)
    m = re.search(r":math:`([^`]*)`", doc or "") if roles else None
    return m.group(1) if m else ""


def rst_to_markdown(text: str) -> str:
    """Inline reStructuredText to Markdown: ``:math:`x``` → ``$x$``, double backquotes → single."""
    text = re.sub(r":math:`([^`]*)`", r"$\1$", text)
    return re.sub(r"``([^`]*)``", r"`\1`", text)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: combining accents (the bar of x̄) take none."""
    return sum(not unicodedata.combining(c) for c in text)


def ljust(text: str, width: int) -> str:
    """``str.ljust`` by display width, so that a column with x̄ in it still lines up."""
    return text + " " * max(0, width - display_width(text))


def docstring_markdown(doc: str) -> str:
    """The prose and mathematics of a docstring as Markdown, after its summary line.

    ``.. math::`` blocks become ``$$`` display equations and inline roles ``$...$``;
    NumPy-style sections (``Parameters``, ``Returns``, ...) and other directives are
    left out, since the catalogue is about the mathematics, not the signature.
    """
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")[1:]
    out = []
    for para in paragraphs:
        lines = para.splitlines()
        if len(lines) > 1 and set(lines[1].strip()) == {"-"}:
            break                            # a NumPy section header: the rest is the signature
        if para.lstrip().startswith(".. math::"):
            out.append("$$" + first_math(para) + "$$")
        elif not para.lstrip().startswith((".. ", "=")):
            out.append(rst_to_markdown(" ".join(line.strip() for line in lines)))
    return "\n\n".join(out)
