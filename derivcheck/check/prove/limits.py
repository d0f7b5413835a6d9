"""Limits and integrals in a step: each evaluated exactly by SymPy, under the conditions.

Integrals are evaluated by ``check/prove/integrals.py`` in the same pass
(innermost first), so a limit of an integral or an integral of a limit works.

A limit whose value SymPy cannot find leaves the step ``unknown``: it is
never decided by sampling the expression at a small ``h``. A difference
quotient of an undefined function, ``(f(x + h) - f(x))/h`` as ``h -> 0``, is
the derivative ``f'(x)`` (an undefined function is taken to be differentiable).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derivcheck.bounds import MAX_LIMIT_SIGN_PARAMETERS, MAX_LIMITS
from derivcheck.check.printing import readable
from derivcheck.check.prove.assume import Relation, apply, scenarios, truth
from derivcheck.check.prove.equality import prove_zero
from derivcheck.check.prove.integrals import IntegralUnevaluated, integral_value

_EVALUATED = (sympy.Limit, sympy.Integral)


class LimitUnevaluated(Exception):
    """A limit whose value could not be found exactly; the message says which.

    ``comparable``: only integrals SymPy could not find (no limit, no divergence) may be compared by quadrature.
    """

    def __init__(self, message: str, comparable: bool = False) -> None:
        super().__init__(message)
        self.comparable = comparable


@dataclass(frozen=True)
class LimitSides:
    """A step's two sides with every limit replaced by its value; ``how`` says how they were found."""

    previous: sympy.Expr
    current: sympy.Expr
    how: str


def has_limit(*exprs: sympy.Expr) -> bool:
    """Whether any of ``exprs`` holds a limit or an integral."""
    return any(expr.has(*_EVALUATED) for expr in exprs)


def evaluate_limits(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every limit and integral (innermost first) replaced by its exact value.

    LimitUnevaluated when one cannot be found.
    """
    count = 0
    while expr.has(*_EVALUATED):
        innermost = [
            op for op in expr.atoms(*_EVALUATED) if not any(a.has(*_EVALUATED) for a in op.args)
        ]
        values = {}
        for op in sorted(innermost, key=sympy.default_sort_key):
            count += 1
            if count > MAX_LIMITS:
                raise LimitUnevaluated(f"more than {MAX_LIMITS} limits and integrals in one step; split the step")
            values[op] = limit_value(op) if isinstance(op, sympy.Limit) else _integral_value(op)
        expr = expr.xreplace(values)
    return expr


def _integral_value(integral: sympy.Integral) -> sympy.Expr:
    try:
        return integral_value(integral)
    except IntegralUnevaluated as exc:
        raise LimitUnevaluated(str(exc), comparable=exc.comparable) from None


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
        return LimitSides(evaluate_limits(previous), evaluate_limits(current), f"{_what(previous, current)} evaluated")
    except LimitUnevaluated:
        if not relations:
            raise
    twins = sign_twins(relations)
    if not twins:
        return None
    back = {twin: symbol for symbol, twin in twins.items()}
    try:
        return LimitSides(
            evaluate_limits(previous.xreplace(twins)).xreplace(back),
            evaluate_limits(current.xreplace(twins)).xreplace(back),
            f"{_what(previous, current)} evaluated under the conditions (the signs they give)",
        )
    except LimitUnevaluated:
        return None


def sign_twins(relations: list[Relation]) -> dict[sympy.Symbol, sympy.Symbol]:
    """Symbol -> a twin known positive (or negative), for each symbol the conditions give that sign outright.

    ``y > 0``, ``y > 2``, ``y >= 1`` make y positive; ``y < 0``, ``y <= -1`` negative.
    Values found with the twins hold wherever the conditions do.
    """
    twins: dict[sympy.Symbol, sympy.Symbol] = {}
    for relation in relations:
        sign = _outright_sign(relation)
        if sign is None:
            continue
        symbol, positive = sign
        if symbol not in twins:
            twins[symbol] = sympy.Dummy(symbol.name, positive=positive, negative=not positive)
    return twins


def _outright_sign(relation: Relation) -> tuple[sympy.Symbol, bool] | None:
    """(symbol, True) when ``relation`` says symbol > c >= 0 (or >= c > 0), (symbol, False) mirrored, else None."""
    if relation.op not in (">", ">=", "<", "<="):
        return None
    free = relation.expr.free_symbols
    if len(free) != 1:
        return None
    (symbol,) = free
    if not isinstance(symbol, sympy.Symbol) or not symbol.is_real:
        return None
    scale = sympy.diff(relation.expr, symbol)
    offset = sympy.expand(relation.expr - scale * symbol)  # expr = scale*symbol + offset
    if not (scale.is_number and scale.is_real and scale != 0 and offset.is_number and offset.is_real):
        return None
    bound = -offset / scale  # symbol op bound, the op flipped when scale < 0
    above = (relation.op in (">", ">=")) == bool(scale > 0)
    strict = relation.op in (">", "<")
    if above:
        return (symbol, True) if (bound >= 0 if strict else bound > 0) else None
    return (symbol, False) if (bound <= 0 if strict else bound < 0) else None


def _what(*exprs: sympy.Expr) -> str:
    """What a step's sides hold: ``limits``, ``integrals`` or ``limits and integrals``."""
    named = ((sympy.Limit, "limits"), (sympy.Integral, "integrals"))
    kinds = [word for cls, word in named if any(e.has(cls) for e in exprs)]
    return " and ".join(kinds) or "limits"


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
                f"{_what(previous, current)} evaluated under the conditions",
            )
        )
    return out


@dataclass(frozen=True)
class SignCase:
    """One sign case of a step's limit parameters: those set to 0, and the sign (``>`` or ``<`` 0) of the others."""

    zeros: tuple[sympy.Symbol, ...]
    signs: tuple[tuple[sympy.Symbol, str], ...]

    @property
    def label(self) -> str:
        parts = [f"{p.name} {op} 0" for p, op in self.signs] + [f"{p.name} = 0" for p in self.zeros]
        return ", ".join(parts)

    def substitute(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with the parameters of this case that are 0 put in."""
        return expr.xreplace({p: sympy.Integer(0) for p in self.zeros})

    def holds_with(self, relations: list[Relation]) -> bool:
        """Whether the conditions can hold in this case (none is false with its zeros and signs put in)."""
        twins = {p: sympy.Dummy(p.name, positive=op == ">", negative=op == "<") for p, op in self.signs}
        return all(truth(r.substitute({p: sympy.Integer(0) for p in self.zeros}).substitute(twins)) is not False
                   for r in relations)


def limit_parameters(*exprs: sympy.Expr) -> list[sympy.Symbol]:
    """The real symbols of the limits in ``exprs`` (not their variables) whose sign is not known."""
    found: set[sympy.Symbol] = set()
    for expr in exprs:
        for lim in expr.atoms(sympy.Limit):
            found |= {
                s
                for s in lim.free_symbols
                if isinstance(s, sympy.Symbol)
                and s.is_real
                and not s.is_integer
                and s.is_positive is None
                and s.is_negative is None
            }
    return sorted(found, key=lambda s: s.name)


def sign_cases(parameters: list[sympy.Symbol], relations: list[Relation]) -> list[SignCase]:
    """Every sign case of ``parameters`` (> 0, < 0, = 0, as their assumptions allow) the conditions leave open.

    Empty when there are no parameters or more than MAX_LIMIT_SIGN_PARAMETERS.
    """
    if not parameters or len(parameters) > MAX_LIMIT_SIGN_PARAMETERS:
        return []
    options = [
        [op for op in (">", "<", "=") if not (op == "<" and p.is_nonnegative) and not (op == ">" and p.is_nonpositive)
         and not (op == "=" and p.is_nonzero)]
        for p in parameters
    ]
    cases = []
    for choice in itertools.product(*options):
        zeros = tuple(p for p, op in zip(parameters, choice, strict=True) if op == "=")
        signs = tuple((p, op) for p, op in zip(parameters, choice, strict=True) if op != "=")
        case = SignCase(zeros, signs)
        if case.holds_with(relations):
            cases.append(case)
    return cases


def differs_at(previous: sympy.Expr, current: sympy.Expr, relation: str, point: dict) -> bool:
    """Whether the step as written (its limits evaluated exactly at ``point``) fails there at high precision.

    ``point`` gives every free symbol a number; False when a limit has no
    finite value there or the sides cannot be told apart.
    """
    try:
        sides = [evaluate_limits(side.xreplace(point)) for side in (previous, current)]
    except LimitUnevaluated:
        return False
    if any(side.free_symbols for side in sides):
        return False
    a, b = (sympy.N(side, 60) for side in sides)
    if not (a.is_real and b.is_real and a.is_finite and b.is_finite):
        return False
    gap, margin = a - b, sympy.Float(10) ** -40
    if relation == "==":
        return bool(abs(gap) > margin)
    return bool(gap > margin) if relation in ("<=", "<") else bool(gap < -margin)
