"""Layout boxes: typeset mathematics as a small tree, written out as LaTeX or MathML.

The tree is built once from the author's expression text
(``derivcheck.render.expressions``); ``derivcheck.render.latex`` and
``derivcheck.render.mathml`` each turn it into markup. Every decision about
parentheses and multiplication signs is made while building the tree, so the
two outputs always show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ident:
    """A name: ``latex`` and ``text`` (Unicode); ``upright`` for words such as ``loss``."""

    latex: str
    text: str
    upright: bool = False


@dataclass(frozen=True)
class Num:
    """A number as written."""

    text: str


@dataclass(frozen=True)
class Op:
    """An operator or separator: ``latex`` and its Unicode ``text``.

    ``kind`` is ``binary`` (+, −, =, ·), ``prefix`` (unary minus), ``sep``
    (a comma), ``invisible`` (juxtaposition, written as nothing) or ``apply``
    (function application, written as nothing).
    """

    latex: str
    text: str
    kind: str = "binary"


@dataclass(frozen=True)
class Row:
    """Boxes side by side."""

    items: tuple[Box, ...]


@dataclass(frozen=True)
class Frac:
    """``num`` over ``den``."""

    num: Box
    den: Box


@dataclass(frozen=True)
class Scripts:
    """``base`` with an optional subscript and superscript."""

    base: Box
    sub: Box | None = None
    sup: Box | None = None


@dataclass(frozen=True)
class Sqrt:
    """A square root."""

    body: Box


@dataclass(frozen=True)
class Fenced:
    """``body`` between two delimiters (``(``/``)``, ``|``/``|``, ``{``/``}``)."""

    open: str
    close: str
    body: Box


@dataclass(frozen=True)
class BigOp:
    """A large operator (∑, ∏) with limits below and above."""

    latex: str
    text: str
    under: Box
    over: Box


@dataclass(frozen=True)
class Accent:
    """``body`` with an accent above (``hat``, ``bar``, ``tilde``)."""

    name: str
    body: Box


@dataclass(frozen=True)
class Grid:
    """A matrix of boxes (rows of entries) between parentheses, as ``pmatrix`` typesets it."""

    rows: tuple[tuple[Box, ...], ...]


@dataclass(frozen=True)
class Words:
    """Plain text inside mathematics (an expression that could not be typeset is shown as written)."""

    text: str
    monospace: bool = False


Box = Ident | Num | Op | Row | Frac | Scripts | Sqrt | Fenced | BigOp | Accent | Grid | Words

ACCENTS = {"hat": ("\\hat", "^"), "bar": ("\\bar", "\u00af"), "tilde": ("\\tilde", "~"), "dot": ("\\dot", "\u02d9")}


def row(*items: Box) -> Box:
    """Return the boxes side by side, flattening nested rows; one box stays itself."""
    flat: list[Box] = []
    for item in items:
        if isinstance(item, Row):
            flat.extend(item.items)
        else:
            flat.append(item)
    return flat[0] if len(flat) == 1 else Row(tuple(flat))


def is_tall(box: Box) -> bool:
    """Whether a box is taller than a line of text (a fraction, a big operator, a root)."""
    if isinstance(box, (Frac, BigOp)) or (isinstance(box, Grid) and len(box.rows) > 1):
        return True
    if isinstance(box, Row):
        return any(is_tall(item) for item in box.items)
    if isinstance(box, (Fenced, Sqrt, Accent)):
        return is_tall(box.body)
    if isinstance(box, Scripts):
        return is_tall(box.base) or any(
            part is not None and (isinstance(part, Frac) or is_tall(part)) for part in (box.sub, box.sup)
        )
    return False
