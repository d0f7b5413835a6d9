"""Layout boxes -> LaTeX math, and LaTeX escaping of free text."""

from __future__ import annotations

import re

from derivcheck.printable import printable
from derivcheck.render.boxes import (
    ACCENTS,
    Accent,
    BigOp,
    Box,
    Fenced,
    Frac,
    Grid,
    Ident,
    Num,
    Op,
    Row,
    Scripts,
    Sqrt,
    Words,
    is_tall,
)

_TEXT_ESCAPES = {
    "\\": "\\textbackslash{}",
    "{": "\\{",
    "}": "\\}",
    "$": "\\$",
    "&": "\\&",
    "#": "\\#",
    "^": "\\textasciicircum{}",
    "_": "\\_",
    "%": "\\%",
    "~": "\\textasciitilde{}",
    "<": "\\textless{}",
    ">": "\\textgreater{}",
    "|": "\\textbar{}",
    "`": "\\textasciigrave{}",
}
_FENCES = {
    "(": "(", ")": ")", "[": "[", "]": "]", "|": "|", "{": "\\{", "}": "\\}",
    "⌊": "\\lfloor", "⌋": "\\rfloor", "⌈": "\\lceil", "⌉": "\\rceil",
    "‖": "\\|",
}


def escape_text(text: str, strip: bool = True) -> str:
    """Return ``text`` safe inside LaTeX text mode (and inside ``\\text{…}``), on one line.

    Runs of white space become one space; ``strip`` also drops it at both ends.
    Control and bidirectional characters are written as escapes (ESC as ``\\x1b``).
    """
    flat = printable(" ".join(text.split()) if strip else re.sub(r"\s+", " ", text))
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in flat)


def to_latex(box: Box) -> str:
    """Return the LaTeX math of a box."""
    if isinstance(box, Ident):
        return box.latex
    if isinstance(box, Num):
        return box.text
    if isinstance(box, Op):
        if box.kind in ("invisible", "apply"):
            return ""
        if box.kind == "sep":
            return ", "
        if box.kind == "prefix":
            return box.latex
        return f" {box.latex} "
    if isinstance(box, Row):
        return _join_row([to_latex(item) for item in box.items])
    if isinstance(box, Frac):
        return f"\\frac{{{to_latex(box.num)}}}{{{to_latex(box.den)}}}"
    if isinstance(box, Scripts):
        out = _group_base(box.base)
        if box.sub is not None:
            out += f"_{{{to_latex(box.sub)}}}"
        if box.sup is not None:
            out += f"^{{{to_latex(box.sup)}}}"
        return out
    if isinstance(box, Sqrt):
        return f"\\sqrt{{{to_latex(box.body)}}}"
    if isinstance(box, Fenced):
        left, right = _FENCES[box.open], _FENCES[box.close]
        if box.open == "|":
            left, right = "\\lvert", "\\rvert"
        if box.open == "‖":
            left, right = "\\lVert", "\\rVert"
        if is_tall(box.body):
            return f"\\left{left} {to_latex(box.body)} \\right{right}"
        return _join_row([left, to_latex(box.body), right])
    if isinstance(box, BigOp):
        return f"{box.latex}_{{{to_latex(box.under)}}}^{{{to_latex(box.over)}}}"
    if isinstance(box, Accent):
        return f"{ACCENTS[box.name][0]}{{{to_latex(box.body)}}}"
    if isinstance(box, Grid):
        body = " \\\\ ".join(" & ".join(to_latex(entry) for entry in line) for line in box.rows)
        return f"\\begin{{pmatrix}} {body} \\end{{pmatrix}}"
    if isinstance(box, Words):
        if box.monospace:
            return f"\\texttt{{{escape_text(box.text)}}}"
        return f"\\text{{{escape_text(box.text)}}}"
    raise TypeError(f"not a box: {box!r}")


_OPERATOR_HEADS = frozenset({"\\mathbb{E}", "\\operatorname{Var}"})


def _group_base(base: Box) -> str:
    text = to_latex(base)
    if isinstance(base, (Ident, Num)) and (len(text) == 1 or text.startswith("\\") and text[1:].isalpha()):
        return text
    if isinstance(base, Ident) and text in _OPERATOR_HEADS:  # \mathbb{E}_{x \sim D}, as authors write it
        return text
    return f"{{{text}}}"


def _join_row(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and out[-1].isalpha() and part[:1].isalpha() and _ends_with_command(out):
            out += " "
        out += part
    return out


def _ends_with_command(text: str) -> bool:
    i = len(text)
    while i > 0 and text[i - 1].isalpha():
        i -= 1
    return i > 0 and text[i - 1] == "\\"
