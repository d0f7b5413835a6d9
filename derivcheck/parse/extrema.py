"""``max(z)`` / ``min(z)``: the largest or smallest element of a vector over an index range.

``ElementMax(z[k], (k, lo, hi))`` is a plain real expression: proofs treat it
as one quantity (with ``z[t] <= max(z)`` for every ``t`` in range, see
``element_bounds``), and with whole-number bounds it is written out as
``Max(z[lo], …, z[hi])`` like a finite sum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from sympy.concrete.expr_with_limits import ExprWithLimits

from derivcheck.bounds import MAX_WRITTEN_OUT_EXTREMA as MAX_WRITTEN_OUT


class _ElementExtremum(ExprWithLimits):
    """Base of ElementMax and ElementMin: one limit ``(k, lo, hi)`` over whole numbers."""

    _combine = sympy.Max

    def _eval_is_extended_real(self) -> bool | None:
        return self.function.is_extended_real

    def _eval_is_real(self) -> bool | None:
        return self.function.is_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.function.is_positive else None

    def _eval_is_negative(self) -> bool | None:
        return True if self.function.is_negative else None

    def doit(self, **hints: Any) -> sympy.Expr:
        var, lo, hi = self.limits[0]
        if not (lo.is_Integer and hi.is_Integer) or hi < lo or int(hi) - int(lo) >= MAX_WRITTEN_OUT:
            return self
        body = self.function.doit(**hints) if hints.get("deep", True) else self.function
        return self._combine(*(body.xreplace({var: sympy.Integer(v)}) for v in range(int(lo), int(hi) + 1)))

    def _eval_evalf(self, prec: int) -> sympy.Expr | None:
        written = self.doit()
        if written is self:
            return None
        return written._eval_evalf(prec)

    def _sympystr(self, printer: Any) -> str:
        var, lo, hi = self.limits[0]
        word = "max" if self._combine is sympy.Max else "min"
        limits = ", ".join(printer._print(part) for part in (var, lo, hi))
        return f"{word}({printer._print(self.function)}, ({limits}))"


class ElementMax(_ElementExtremum):
    """The largest of ``f(k)`` for ``k`` from ``lo`` to ``hi``."""

    _combine = sympy.Max


class ElementMin(_ElementExtremum):
    """The smallest of ``f(k)`` for ``k`` from ``lo`` to ``hi``."""

    _combine = sympy.Min


EXTREMA = (ElementMax, ElementMin)


def write_out_extrema(expr: sympy.Expr) -> sympy.Expr:
    """Replace every max/min over a whole-number range by the Max/Min of its elements."""
    if not expr.has(*EXTREMA):
        return expr
    return expr.replace(lambda n: isinstance(n, EXTREMA), lambda n: n.doit())


def element_bounds(
    expr: sympy.Expr, in_range: Callable[[sympy.Expr, sympy.Expr, sympy.Expr], bool | None]
) -> list[tuple[str, sympy.Expr]]:
    """``(op, e)`` meaning ``e op 0``: ``z[t] - max(z) <= 0`` and ``z[t] - min(z) >= 0``.

    One fact for every element ``z[t]`` of ``expr`` whose index ``t`` satisfies
    ``in_range(t, lo, hi)`` (a callable deciding ``lo <= t <= hi``).
    """
    facts = []
    for node in expr.atoms(*EXTREMA):
        var, lo, hi = node.limits[0]
        if not isinstance(node.function, sympy.Indexed) or node.function.indices != (var,):
            continue
        base = node.function.base
        for element in expr.atoms(sympy.Indexed):
            if element.base != base or len(element.indices) != 1:
                continue
            if in_range(element.indices[0], lo, hi):
                op = "<=" if isinstance(node, ElementMax) else ">="
                facts.append((op, element - node))
    return facts
