"""Steps whose value is a vector or matrix: each side compared at a generic element.

A chain whose steps are vectors of size n is checked at element ``i`` of every
step, ``i`` a fresh index over ``1..n`` declared for the check exactly as a
document's own ``i: index 1..n`` (so ``A @ x == A @ w + A @ (x - w)`` is the
step ``(A @ x)[i] == (A @ w)[i] + (A @ (x - w))[i]`` in index form); a matrix
chain at a generic element ``(i, j)``. Every step of such a chain must have
the same shape, else a FormatError names both shapes. The indices are named
apart from the document's names (``i``, ``j``, then ``i2``, …) so that a
counterexample names the element: ``i = 2, n = 2, x[2] = 1, …``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy

from derivcheck.errors import FormatError
from derivcheck.model import Step, SymbolDecl, Text
from derivcheck.parse import linalg
from derivcheck.parse.expressions import Condition, Scope, element_of, parse_conditions
from derivcheck.parse.symbols import SymbolSpec, bound_parts, read_symbol

_NAMES = ("i", "j", "k", "l", "r", "s")


@dataclass
class ElementIndices:
    """The element indices of one document's vector- and matrix-valued chains, made as they are needed."""

    scope: Scope
    taken: set[str]
    specs: dict[tuple[str, str], SymbolSpec] = field(default_factory=dict)  # (row/col, size) -> index
    conditions: list[Condition] = field(default_factory=list)

    def index(self, position: str, size: sympy.Expr, line: int) -> sympy.Symbol:
        """The index over ``1..size`` for rows or columns (one per position and size in a document)."""
        written = _size_text(size, line)
        key = (position, written)
        if key not in self.specs:
            name = self._fresh(0 if position == "row" else 1)
            spec = read_symbol(SymbolDecl(name, f"index 1..{written}", line))
            self.specs[key] = spec
            self.taken.add(name)
            known = Scope({**self.scope.symbols, name: spec}, {})
            self.conditions.extend(parse_conditions(Text(f"1 <= {name} <= {written}", line), known))
        obj = self.specs[key].obj
        assert isinstance(obj, sympy.Symbol)  # an index is a symbol
        return obj

    def _fresh(self, start: int) -> str:
        for suffix in ("", *map(str, range(2, 100))):
            for name in _NAMES[start:] + _NAMES[:start]:
                if name + suffix not in self.taken:
                    return name + suffix
        raise FormatError("too many element indices in one document", 1)  # pragma: no cover - 600 names


def _size_text(size: sympy.Expr, line: int) -> str:
    """A size as an index bound is written (``n``, ``3``, ``n+1``); FormatError for any other size."""
    text = sympy.sstr(size).replace(" ", "")
    try:
        bound_parts(text)
    except ValueError:
        raise FormatError(
            f"a step whose value has size {size} is not read: a vector- or matrix-valued step needs sizes "
            "that are names or whole numbers (or a name plus a whole number)",
            line,
        ) from None
    return text


def _shape(value: linalg.Value) -> tuple[sympy.Expr, sympy.Expr] | None:
    return value.shape if linalg.is_matrix(value) else None


def scalar_steps(
    steps: Sequence[Step], values: Sequence[linalg.Value], indices: ElementIndices
) -> list[sympy.Expr]:
    """Every step as a number: the generic element of each when the chain is vector- or matrix-valued.

    A chain of numbers is returned as it is. Otherwise every step must have the
    first matrix step's shape (FormatError naming both shapes) and be an equality.
    """
    if not any(linalg.is_matrix(value) for value in values):
        return list(values)
    first_step, first = steps[0], values[0]
    for step, value in zip(steps, values):
        if _shape(value) != _shape(first):
            raise FormatError(
                f"this step is {linalg.describe(value)}, but the first step (line {first_step.expr.line}) is "
                f"{linalg.describe(first)}: the steps of a chain have one shape",
                step.expr.line,
            )
        if step.rel != "==":
            raise FormatError(
                f"'rel: {step.rel}' between vectors or matrices is not read (only equal steps are compared "
                "element by element)",
                step.expr.line,
            )
    rows, cols = first.shape
    line = first_step.expr.line
    row = indices.index("row", rows, line) if rows != 1 else sympy.Integer(1)
    col = indices.index("col", cols, line) if cols != 1 else sympy.Integer(1)
    return [element_of(value, indices.scope, row, col, step.expr) for step, value in zip(steps, values)]
