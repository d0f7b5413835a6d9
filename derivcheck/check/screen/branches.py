"""Functions that jump, decided exactly at a point: never from rounding noise.

``sign(u)``, ``Heaviside(u)``, ``floor(u)``, ``ceiling(u)``, ``frac(u)`` and the
conditions of a ``Piecewise`` change value where their argument is exactly 0
(or an integer): evaluated in floating point, ``sign(cos(1)**2 + sin(1)**2 - 1)``
comes out -1. Before a constant expression is evaluated, each such node
(innermost first) is replaced by its exact value: decided on the certified
value of its argument when the error bound keeps clear of the jump, else on
an exact proof that the argument is at the jump; otherwise the point is
undecided (``Undecided``) and the caller treats it as undefined.
"""

from __future__ import annotations

import sympy

from derivcheck.bounds import TIE_DIGITS, TIE_PROOF_SECONDS as _TIE_BUDGET
from derivcheck.check.limits import OuterTimeout, own_time_limit
from derivcheck.check.prove.equality import prove_zero
from derivcheck.check.screen.certified import Bounded, Unevaluable, bounded_value
from derivcheck.errors import CheckTimeout

JUMPS = (sympy.sign, sympy.Heaviside, sympy.floor, sympy.ceiling, sympy.frac, sympy.Piecewise)


class Undecided(Exception):
    """A jump whose side cannot be decided at this point."""


def decide_jumps(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` (constant) with every jump decided exactly; raises Undecided where one cannot be."""
    if not expr.has(*JUMPS):
        return expr
    args = [decide_jumps(arg) if isinstance(arg, sympy.Basic) else arg for arg in expr.args]
    node = expr.func(*args) if args != list(expr.args) else expr
    if not isinstance(node, JUMPS) or node.free_symbols:
        return node
    if isinstance(node, sympy.Piecewise):
        return _piecewise(node)
    argument = node.args[0]
    if isinstance(node, sympy.sign):
        return sympy.Integer(exact_sign(argument))
    if isinstance(node, sympy.Heaviside):
        sign = exact_sign(argument)
        if sign == 0:
            return node.args[1] if len(node.args) > 1 else sympy.Rational(1, 2)
        return sympy.Integer(1 if sign > 0 else 0)
    whole = exact_floor(argument)
    if isinstance(node, sympy.floor):
        return whole
    if isinstance(node, sympy.frac):
        return argument - whole
    return whole if _is_integer_at(argument, whole) else whole + 1  # ceiling


def settle_jumps(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each ``sign(u)`` and ``Heaviside(u)`` whose argument is proved identically 0
    replaced by its value at 0 (exact wherever ``u`` is defined), so that points need not prove the tie one by one."""
    nodes = [n for n in expr.atoms(sympy.sign, sympy.Heaviside) if n.args[0].free_symbols]
    settled = {}
    for node in nodes:
        if not _nonzero_somewhere(node.args[0]) and proved_zero(node.args[0]):
            at_zero = sympy.Integer(0) if isinstance(node, sympy.sign) else (
                node.args[1] if len(node.args) > 1 else sympy.Rational(1, 2)
            )
            settled[node] = at_zero
    return expr.xreplace(settled) if settled else expr


def _nonzero_somewhere(argument: sympy.Expr) -> bool:
    """Whether ``argument`` is certainly nonzero at one plain point (then it is not identically 0)."""
    point = {}
    for k, atom in enumerate(sorted(argument.free_symbols, key=str)):
        value = sympy.Rational(k + 3, 7)
        point[atom] = -value if atom.is_negative or atom.is_nonpositive else value
        if atom.is_integer:
            point[atom] = sympy.Integer(-(k + 1) if atom.is_negative or atom.is_nonpositive else k + 1)
    try:
        sign = certified_sign(bounded_value(argument.xreplace(point)))
    except (Unevaluable, ValueError, TypeError, ArithmeticError):
        return False
    return sign is not None and sign != 0


def exact_sign(value: sympy.Expr) -> int:
    """The sign of a real constant: from its certified value, or 0 when it is proved exactly 0."""
    if value.is_Rational:
        return int(sympy.sign(value))
    sign = certified_sign(_bounded(value))
    if sign is not None:
        return sign
    if proved_zero(value):
        return 0
    raise Undecided(f"cannot tell the sign of {value}")


def exact_floor(value: sympy.Expr) -> sympy.Integer:
    """The floor of a real constant: from its certified value, or exactly when it is proved an integer."""
    if value.is_Rational:
        return sympy.floor(value)
    bounded = _bounded(value)
    real, imag = bounded.value.as_real_imag()
    if imag != 0 and abs(sympy.N(imag, 30)) > bounded.error:
        raise Undecided(f"{value} is not real")
    low, high = (sympy.floor(sympy.N(real + d, 60)) for d in (-bounded.error, bounded.error))
    if low == high:
        return sympy.Integer(low)
    nearest = sympy.Integer(sympy.floor(sympy.N(real, 60) + sympy.Rational(1, 2)))
    if proved_zero(value - nearest):
        return nearest
    raise Undecided(f"cannot tell whether {value} is an integer")


def certified_sign(bounded: Bounded) -> int | None:
    """The sign (1, -1, or 0 for an exact zero) of a real value with an error bound, or None if undecided."""
    real, imag = bounded.value.as_real_imag()
    if bounded.exact:
        return int(sympy.sign(real)) if imag == 0 else None
    if abs(sympy.N(real, 60)) > bounded.error:
        return 1 if real > 0 else -1
    return None


def _is_integer_at(value: sympy.Expr, whole: sympy.Integer) -> bool:
    if value.is_Rational:
        return bool(value == whole)
    bounded = _bounded(value - whole)
    if certified_sign(bounded) is not None and certified_sign(bounded) != 0:
        return False
    return proved_zero(value - whole)


def _piecewise(node: sympy.Piecewise) -> sympy.Expr:
    for value, condition in node.args:
        if _condition_holds(condition):
            return value
    return sympy.nan  # no branch applies: undefined there


def _condition_holds(condition: sympy.Basic) -> bool:
    if condition in (sympy.true, sympy.false):
        return bool(condition)
    if isinstance(condition, sympy.And):
        return all(_condition_holds(c) for c in condition.args)
    if isinstance(condition, sympy.Or):
        return any(_condition_holds(c) for c in condition.args)
    if isinstance(condition, sympy.Not):
        return not _condition_holds(condition.args[0])
    if isinstance(condition, sympy.core.relational.Relational):
        sign = exact_sign(condition.lhs - condition.rhs)
        return {
            "==": sign == 0, "!=": sign != 0, ">": sign > 0, ">=": sign >= 0, "<": sign < 0, "<=": sign <= 0,
        }[condition.rel_op]
    raise Undecided(f"cannot decide the condition {condition}")


def _bounded(value: sympy.Expr) -> Bounded:
    try:
        return bounded_value(value)
    except Unevaluable as exc:
        raise Undecided(str(exc)) from None


def proved_zero(value: sympy.Expr) -> bool:
    """Whether ``value`` is proved exactly 0 within a short budget (a tie at a point, or an argument identically 0).

    A constant that does not expand to 0 (most ties do: ``log(2*exp(10)) - log(2) - 10``)
    is first evaluated at TIE_DIGITS digits: one found nonzero there
    (``log(E + exp(1000)) - 1000``) is no tie, and needs no further proof attempt.
    """
    if not value.free_symbols:
        with own_time_limit(_TIE_BUDGET):
            if sympy.expand(value) == 0:
                return True
        try:
            if certified_sign(bounded_value(value, TIE_DIGITS)) not in (None, 0):
                return False
        except Unevaluable:
            pass
    try:
        return prove_zero(value, _TIE_BUDGET) is not None
    except OuterTimeout:
        raise
    except CheckTimeout:
        return False
