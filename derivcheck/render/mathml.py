"""Layout boxes -> presentation MathML (MathML Core: what browsers render natively)."""

from __future__ import annotations

from html import escape

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


def to_mathml(box: Box) -> str:
    """Return the MathML elements of a box (without the enclosing ``<math>``).

    A sum's limits go below and above it in display style and beside it
    elsewhere (in a fraction, in text): the browser moves them, as TeX does.
    """
    if isinstance(box, Ident):
        variant = ' mathvariant="normal"' if len(box.text) == 1 and box.upright else ""
        return f"<mi{variant}>{escape(box.text)}</mi>"
    if isinstance(box, Num):
        return f"<mn>{escape(box.text)}</mn>"
    if isinstance(box, Op):
        if box.kind == "sep":
            return f"<mo separator=\"true\">{escape(box.text)}</mo>"
        if box.kind == "prefix":
            return f'<mo form="prefix">{escape(box.text)}</mo>'
        return f"<mo>{escape(box.text)}</mo>"
    if isinstance(box, Row):
        return "<mrow>" + "".join(to_mathml(item) for item in box.items) + "</mrow>"
    if isinstance(box, Frac):
        return f"<mfrac>{to_mathml(box.num)}{to_mathml(box.den)}</mfrac>"
    if isinstance(box, Scripts):
        base = to_mathml(box.base)
        if box.sub is not None and box.sup is not None:
            return f"<msubsup>{base}{to_mathml(box.sub)}{to_mathml(box.sup)}</msubsup>"
        if box.sub is not None:
            return f"<msub>{base}{to_mathml(box.sub)}</msub>"
        if box.sup is not None:
            return f"<msup>{base}{to_mathml(box.sup)}</msup>"
        return base
    if isinstance(box, Sqrt):
        return f"<msqrt>{to_mathml(box.body)}</msqrt>"
    if isinstance(box, Fenced):
        stretch = "true" if is_tall(box.body) else "false"
        return (
            f'<mrow><mo fence="true" stretchy="{stretch}">{escape(box.open)}</mo>{to_mathml(box.body)}'
            f'<mo fence="true" stretchy="{stretch}">{escape(box.close)}</mo></mrow>'
        )
    if isinstance(box, BigOp):
        return (
            f"<munderover><mo>{escape(box.text)}</mo>"
            f"{to_mathml(box.under)}{to_mathml(box.over)}</munderover>"
        )
    if isinstance(box, Accent):
        return f'<mover accent="true">{to_mathml(box.body)}<mo>{escape(ACCENTS[box.name][1])}</mo></mover>'
    if isinstance(box, Grid):
        cells = "".join(
            "<mtr>" + "".join(f"<mtd>{to_mathml(entry)}</mtd>" for entry in line) + "</mtr>" for line in box.rows
        )
        return f'<mrow><mo fence="true">(</mo><mtable>{cells}</mtable><mo fence="true">)</mo></mrow>'
    if isinstance(box, Words):
        style = ' style="font-family: monospace"' if box.monospace else ""
        return f"<mtext{style}>{escape(box.text)}</mtext>"
    raise TypeError(f"not a box: {box!r}")


def math_element(box: Box, display: bool = True) -> str:
    """Return a complete ``<math>`` element; ``display`` typesets fractions and sums full size."""
    style = ' displaystyle="true"' if display else ""
    return f'<math{style}>{to_mathml(box)}</math>'
