"""Limits in a step: each evaluated exactly by SymPy's limit machinery, under the conditions.

A limit whose value SymPy cannot find leaves the step ``unknown``: it is
never decided by sampling the expression at a small ``h``. A difference
quotient of an undefined function, ``(f(x + h) - f(x))/h`` as ``h -> 0``, is
the derivative ``f'(x)`` (an undefined function is taken to be differentiable).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivcheck.bounds import MAX_LIMITS
from derivcheck.check.printing import readable
from derivcheck.check.prove.assume import Relation, apply, scenarios
from derivcheck.check.prove.equality import prove_zero


class LimitUnevaluated(Exception):
    """A limit whose value could not be found exactly; the message says which."""


@dataclass(frozen=True)
class LimitSides:
    """A step's two sides with every limit replaced by its value; ``how`` says how they were found."""

    previous: sympy.Expr
    current: sympy.Expr
    how: str


def has_limit(*exprs: sympy.Expr) -> bool:
    """Whether any of ``exprs`` holds a limit."""
    return any(expr.has(sympy.Limit) for expr in exprs)


def evaluate_limits(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every limit (innermost first) replaced by its exact value; LimitUnevaluated otherwise."""
    count = 0
    while expr.has(sympy.Limit):
        innermost = [lim for lim in expr.atoms(sympy.Limit) if not any(a.has(sympy.Limit) for a in lim.args)]
        values = {}
        for lim in sorted(innermost, key=sympy.default_sort_key):
            count += 1
            if count > MAX_LIMITS:
                raise LimitUnevaluated(f"more than {MAX_LIMITS} limits in one step; split the step")
            values[lim] = limit_value(lim)
        expr = expr.xreplace(values)
    return expr


def limit_value(lim: sympy.Limit) -> sympy.Expr:
    """The exact value of one limit without a limit inside it; LimitUnevaluated if SymPy cannot find it."""
    term, var, point, _ = lim.args
    shown = readable(lim)
    try:
        value = lim.doit()
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, sympy.PoleError) as exc:
        reason = str(exc).split("\n")[0]
        if "does not exist" in reason:
            raise LimitUnevaluated(f"{shown}: {reason}") from None
        value = None
    if value is None or _unfinished(value):
        quotient = difference_quotient(term, var, point)
        if quotient is not None:
            return quotient
        raise LimitUnevaluated(f"SymPy cannot evaluate {shown}")
    if value.has(sympy.oo, -sympy.oo, sympy.zoo):
        raise LimitUnevaluated(f"{shown} is infinite ({readable(value)}); only finite limits are compared")
    return value


def _unfinished(value: sympy.Expr) -> bool:
    return value.has(sympy.Limit, sympy.AccumBounds, sympy.nan)


def difference_quotient(term: sympy.Expr, var: sympy.Symbol, point: sympy.Expr) -> sympy.Expr | None:
    """``N(h)/(c (h - a))`` with ``N(a) = 0`` and undefined functions in N: the value ``N'(a)/c``, else None."""
    if point.is_infinite or not term.has(AppliedUndef):
        return None
    numerator, denominator = sympy.fraction(sympy.together(term))
    scale = sympy.cancel(denominator / (var - point))
    if scale.has(var) or scale == 0:
        return None
    if prove_zero(numerator.subs(var, point), 1.0) is None:
        return None
    slope = sympy.diff(numerator, var).subs(var, point).doit()
    return slope / scale


def resolve_limits(previous: sympy.Expr, current: sympy.Expr, relations: list[Relation]) -> LimitSides | None:
    """Both sides with their limits evaluated as written, or None when that needs the conditions.

    LimitUnevaluated when a limit cannot be found even under the conditions' sign scenarios.
    """
    try:
        return LimitSides(evaluate_limits(previous), evaluate_limits(current), "limits evaluated")
    except LimitUnevaluated:
        if not relations:
            raise
    return None


def limits_under_conditions(
    previous: sympy.Expr, current: sympy.Expr, relations: list[Relation]
) -> list[LimitSides]:
    """The sides with their limits evaluated in each sign scenario of the conditions (LimitUnevaluated if one fails)."""
    out = []
    for plan in scenarios(relations):
        out.append(
            LimitSides(
                evaluate_limits(apply(previous, plan)),
                evaluate_limits(apply(current, plan)),
                "limits evaluated under the conditions",
            )
        )
    return out
