"""The document model: a derivation file as plain data, every piece with its line.

Nothing here knows about SymPy; expressions are still text. The parser turns
these texts into SymPy objects (``derivcheck.parse``). An expression read from
another notation (LaTeX) also carries its expression tree, which the parser
builds from directly; its text is then only for display.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Text:
    """A piece of expression text and the 1-based line where it starts.

    ``tree``: the expression already read into the Python syntax's tree (by the
    LaTeX reader); the parser builds from it and never parses ``text`` again.
    """

    text: str
    line: int
    tree: ast.expr | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SymbolDecl:
    """One declared name with its words (``real``, ``vector``, ``index 1..C``)."""

    name: str
    words: str
    line: int


@dataclass(frozen=True)
class FunctionDecl:
    """``name(params): body``; ``body`` is None for an undefined function."""

    name: str
    params: tuple[str, ...]
    body: Text | None
    line: int


@dataclass(frozen=True)
class Definition:
    """``name: body`` under ``define``: a named quantity; ``index`` is ``k`` for ``p[k]: body``.

    Rows that write the name (``L``, ``p[j]``) mean its body; a derivative in a
    defined quantity holds the other quantities' definitions in place.
    """

    name: str
    index: str | None
    body: Text
    line: int


@dataclass(frozen=True)
class Step:
    """One expression of a chain, with the author's reason and erratum note.

    A step written in LaTeX keeps the text as the author wrote it in
    ``latex``; ``expr`` then holds its reading in the Python syntax, and
    ``notes`` what the reading had to decide (shown when the step fails).
    """

    expr: Text
    by: str | None = None
    wrong: str | None = None
    latex: str | None = None
    notes: tuple[str, ...] = ()
    alternative: Text | None = None  # another reading (a \sum covering the terms after it), tried if wrong
    rel: str = "=="  # how the step before relates to this one: ``previous rel this``


@dataclass(frozen=True)
class Chain:
    """A chain of steps under extra conditions (empty for the top level)."""

    label: str
    steps: tuple[Step, ...]
    when: tuple[Text, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class NumberValue:
    """A value of ``at``, ``is`` or ``tol`` as written: one number's text, or a list of them."""

    items: tuple[Text, ...]
    is_list: bool
    line: int


@dataclass(frozen=True)
class NumberClaim:
    """``expr`` at the values ``at`` is ``claimed`` (each value kept as written)."""

    expr: Text
    at: tuple[tuple[str, NumberValue], ...]
    claimed: NumberValue
    tol: NumberValue | None
    line: int


@dataclass(frozen=True)
class StabilityClaim:
    """``expr`` is (or is not, ``stable``) accurate in float64 over the ranges ``over``.

    ``over`` maps symbol names to ``(low, high)``, ``at`` the other symbols to
    values; numbers are kept as written (with their lines) and read by the parser.
    """

    expr: Text
    over: tuple[tuple[str, Text, Text], ...]
    at: tuple[tuple[str, Text], ...]
    stable: bool
    rtol: Text | None
    line: int


@dataclass(frozen=True)
class Document:
    """One derivation (one YAML document)."""

    path: str
    title: str
    line: int
    source: str | None = None
    symbols: tuple[SymbolDecl, ...] = ()
    functions: tuple[FunctionDecl, ...] = ()
    assume: tuple[Text, ...] = ()
    chains: tuple[Chain, ...] = ()
    numbers: tuple[NumberClaim, ...] = ()
    cell: int | None = None  # notebook cell (1-based); lines then count within the cell
    notices: tuple[Text, ...] = ()  # LaTeX rows not checked (a relation that is not '=')
    stability: tuple[StabilityClaim, ...] = ()
    definitions: tuple[Definition, ...] = ()
    dependencies: tuple[Dependency, ...] = ()


@dataclass(frozen=True)
class Dependency:
    """``name: on`` under ``depends``: a quantity of no written formula that depends on other names.

    ``index`` is ``k`` for ``p[k]: z`` (each element depends); ``on`` holds what it
    depends on as written (``z``, ``y[i, j]``: the indices give the ranges summed
    over when the chain rule goes through that quantity).
    """

    name: str
    index: str | None
    on: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class LoadError:
    """A file, or a part of it, that cannot be read as the format."""

    path: str
    line: int | None
    message: str
    cell: int | None = None

    def __str__(self) -> str:
        if self.cell is not None:
            where = f"{self.path}, cell {self.cell}" + (f", line {self.line}" if self.line else "")
        else:
            where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def chain_relation(rels: Iterable[str]) -> str:
    """The relation a chain (or part of it) concludes: the strictest of its steps' relations.

    ``==`` when every step is an equality; ``<`` beats ``<=`` (and ``>`` beats ``>=``).
    """
    found = [r for r in rels if r != "=="]
    if not found:
        return "=="
    strict = [r for r in found if len(r) == 1]
    return strict[0] if strict else found[0]
