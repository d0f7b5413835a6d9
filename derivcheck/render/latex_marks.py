"""Verdict marks in the author's own LaTeX: the display is kept as written, a mark after each checked step.

A LaTeX derivation of a post or notebook (a ``<!-- derivcheck`` comment and
the display math after it) is published as the author wrote it: brackets,
``\\frac{d}{dx}``, annotations and layout stay. After the text of each
checked step (``Step.latex``, the author's source of that expression) comes
``\\quad`` and a coloured mark (✓, ✓≤N, ≈, ✗, ?); a mark with something to say
(anything but a plain proof) gets a note number, and its note goes below the
display. Nothing else in the text changes.
"""

from __future__ import annotations

import re

from derivcheck.render.views import Mark, PageOptions, StepView

TONE_COLORS = {
    "proved": "green",
    "sizes": "green",
    "numeric": "blue",
    "wrong": "red",
    "unknown": "orange",
    "erratum": "purple",
    "erratum-missed": "orange",
    "noted": "orange",
}
SYMBOLS = {"✓": "\\checkmark", "≈": "\\approx", "✗": "\\text{✗}", "?": "\\text{?}", "!": "\\text{!}"}
# In a LaTeX document (any engine, pdflatex included): no Unicode in the marks.
LATEX_SYMBOLS = {**SYMBOLS, "✗": "\\times"}
_DISPLAY_START = re.compile(r"\$\$|\\\[|\\begin\{")
_TOOLTIP_UNSAFE = re.compile(r"[\\{}%$&#^_~]")


def mark_display(
    text: str, first_line: int, steps: list[StepView], options: PageOptions, symbols: dict[str, str] = SYMBOLS
) -> tuple[str, list[tuple[int, StepView]]]:
    """Return ``text`` (a comment and its display math, starting at line ``first_line``) with a mark
    after each marked step, and the steps that got a note number, numbered from 1.

    A step is found by its LaTeX text, in order, from the start of the display
    math; a step whose text is not found is marked at the end of its line.
    """
    if not options.marks:
        return text, []
    start = _display_start(text)
    insertions: list[tuple[int, str]] = []
    noted: list[tuple[int, StepView]] = []
    seen: set[tuple[int, str]] = set()
    cursor = start
    for step in steps:
        if step.latex is None or (step.line, step.latex) in seen:
            continue
        seen.add((step.line, step.latex))
        where = _find(text, step.latex, cursor, start)
        if where is not None:
            cursor = where
        if step.mark is None:
            continue
        if where is None:
            where = _end_of_line(text, step.line - first_line, start)
        number = None
        if step.mark.tone != "proved":
            number = len(noted) + 1
            noted.append((number, step))
        insertions.append((where, mark_latex(step.mark, number, options.tooltips, symbols)))
    for where, mark in sorted(insertions, key=lambda item: item[0], reverse=True):
        text = text[:where] + mark + text[where:]
    return text, noted


def mark_latex(
    mark: Mark, number: int | None = None, tooltip: bool = False, symbols: dict[str, str] = SYMBOLS
) -> str:
    """The LaTeX of one mark: ``\\quad\\color{green}{\\checkmark}``, a size bound, a note number."""
    symbol = symbols.get(mark.symbol, "\\text{?}")
    if mark.bound:
        symbol += f"_{{\\le {mark.bound}}}"
    body = f"\\color{{{TONE_COLORS.get(mark.tone, 'black')}}}{{{symbol}}}"
    if number is not None:
        body += f"^{{\\text{{[{number}]}}}}"
    if tooltip:
        words = mark.label + (f": {mark.detail}" if mark.detail else "")
        body = f"\\texttip{{{body}}}{{{tooltip_text(words)}}}"
    return f"\\quad {body}"


def tooltip_text(text: str) -> str:
    """Plain text safe as the tooltip argument of ``\\texttip``: one line, no TeX specials."""
    return " ".join(_TOOLTIP_UNSAFE.sub(" ", text).split())


def display_start(text: str) -> int:
    """Where the display math of a derivation's text (its comment, then the math) begins."""
    close = text.find("-->")
    match = _DISPLAY_START.search(text, close + 3 if close >= 0 else 0)
    return match.start() if match is not None else len(text)


def _display_start(text: str) -> int:
    close = text.find("-->")
    after = close + 3 if close >= 0 else 0
    match = _DISPLAY_START.search(text, after)
    return match.end() if match is not None else after


def _find(text: str, latex: str, cursor: int, start: int) -> int | None:
    """The offset just after ``latex`` in ``text``: from ``cursor`` on, else from ``start`` on."""
    for origin in (cursor, start):
        found = text.find(latex, origin)
        if found >= 0:
            return found + len(latex)
    return None


def _end_of_line(text: str, line_index: int, start: int) -> int:
    """The end of line ``line_index`` (0-based) of ``text``, before a ``\\\\`` that ends a row there."""
    offset = 0
    for _ in range(max(line_index, 0)):
        following = text.find("\n", offset)
        if following < 0:
            break
        offset = following + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    row_end = text.rfind("\\\\", max(offset, start), end)
    where = row_end if row_end >= 0 else max(end, start)
    while where > max(offset, start) and text[where - 1] in " \t":
        where -= 1  # the mark goes right after the row's last character
    return where
