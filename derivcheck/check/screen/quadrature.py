"""Numeric support for a step with an integral SymPy cannot find: mpmath quadrature at parameter points.

Quadrature never proves. At a few parameter points that satisfy the
conditions, every integral of the step is computed by ``mpmath.quad`` with
its error estimate and the two sides are compared:

- the sides agree at every point, to far below the difference scale and with
  small error estimates: ``numeric`` (method ``quadrature``), never ``proved``;
- at a point the sides differ by far more than the error estimates, and they
  still do when everything is computed again at a higher precision: ``wrong``,
  with that point as the counterexample and both values;
- anything else (an integrand that is not real there, a divergent integral,
  an error estimate too large, nested integrals): no verdict (None).

The integrand is evaluated by SymPy's ``evalf`` at each node (no code is
generated from it); the work is bounded by the caller's time limit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from derivcheck.bounds import (
    MAX_QUADRATURE_POINTS,
    MIN_QUADRATURE_POINTS,
    QUADRATURE_DIGITS,
    QUADRATURE_RECHECK_DIGITS,
)
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import plain_number
from derivcheck.check.prove.assume import Relation, truth

_CANDIDATES = {
    "positive": (1, 2, sympy.Rational(1, 2), 3),
    "negative": (-1, -2, -sympy.Rational(1, 2), -3),
    "nonnegative": (1, 0, 2, sympy.Rational(1, 2)),
    "nonpositive": (-1, 0, -2, -sympy.Rational(1, 2)),
    "real": (1, -1, 2, sympy.Rational(1, 2), 0, -2),
}
"""Simple values tried for a parameter, by its sign."""


class NoQuadrature(Exception):
    """Quadrature cannot decide anything here (the message says why)."""


@dataclass(frozen=True)
class Sides:
    """Both sides evaluated at one point: values and the total error estimate of their integrals."""

    previous: mpmath.mpf
    current: mpmath.mpf
    error: mpmath.mpf

    @property
    def difference(self) -> mpmath.mpf:
        return abs(self.previous - self.current)

    @property
    def scale(self) -> mpmath.mpf:
        return max(mpmath.mpf(1), abs(self.previous), abs(self.current))


def quadrature_outcome(
    previous: sympy.Expr, current: sympy.Expr, relations: list[Relation]
) -> Outcome | None:
    """``numeric`` or ``wrong`` for ``previous == current`` decided by quadrature at parameter points, else None."""
    try:
        return _decide(previous, current, relations)
    except NoQuadrature:
        return None


def _decide(previous: sympy.Expr, current: sympy.Expr, relations: list[Relation]) -> Outcome | None:
    parameters = sorted(
        (previous.free_symbols | current.free_symbols) - _bound(previous) - _bound(current), key=str
    )
    if previous.has(AppliedUndef, sympy.Indexed) or current.has(AppliedUndef, sympy.Indexed):
        raise NoQuadrature("unknown functions or vectors")
    if _jumps_at_an_integral(previous) or _jumps_at_an_integral(current):
        raise NoQuadrature("a function that jumps (floor, ceiling, sign, a case split) of an integral")
    agreed = []
    for point in _points(parameters, relations):
        sides = _evaluate(previous, current, point, QUADRATURE_DIGITS)
        tolerance = sides.scale * mpmath.mpf(10) ** (-(QUADRATURE_DIGITS // 2))
        if sides.error > tolerance:
            raise NoQuadrature("the error estimate is too large")
        if sides.difference <= tolerance:
            agreed.append(sides)
            continue
        again = _evaluate(previous, current, point, QUADRATURE_RECHECK_DIGITS)
        separated = again.difference > 100 * (again.error + sides.error) and again.difference > tolerance
        if not separated:
            raise NoQuadrature("a difference that the recheck does not confirm")
        return Outcome(
            Verdict.WRONG,
            "quadrature",
            "the integrals computed by quadrature (mpmath) at this point, with error estimate "
            f"{plain_number(sympy.Float(str(again.error), 5), 3)}; the sides differ by far more, also "
            f"at {QUADRATURE_RECHECK_DIGITS} digits",
            counterexample={str(s): str(v) for s, v in point.items()},
            values=(_shown(again.previous), _shown(again.current)),
        )
    if len(agreed) < (MIN_QUADRATURE_POINTS if parameters else 1):
        raise NoQuadrature("too few points satisfy the conditions")
    worst = max(s.error for s in agreed)
    return Outcome(
        Verdict.NUMERIC,
        "quadrature",
        f"no exact value of the integrals; by quadrature (mpmath, {QUADRATURE_DIGITS} digits) the sides agree at "
        f"{len(agreed)} parameter points to within the error estimates (largest "
        f"{plain_number(sympy.Float(str(worst), 5), 3)}); quadrature never proves",
        points=len(agreed),
    )


_JUMPS = (sympy.floor, sympy.ceiling, sympy.frac, sympy.sign, sympy.Heaviside, sympy.Piecewise, sympy.KroneckerDelta)
"""Functions with jumps: a value within the quadrature's error of a jump has no certain image."""


def _jumps_at_an_integral(expr: sympy.Expr) -> bool:
    """Whether a function with jumps is applied to an integral (its value from quadrature can be off by a step)."""
    return any(node.has(sympy.Integral) for node in expr.atoms(*_JUMPS))


def _bound(expr: sympy.Expr) -> set[sympy.Symbol]:
    return {limits[0] for integral in expr.atoms(sympy.Integral) for limits in integral.limits}


def _points(parameters: list[sympy.Symbol], relations: list[Relation]) -> list[dict[sympy.Symbol, sympy.Expr]]:
    """Up to MAX_QUADRATURE_POINTS assignments of simple values that satisfy every condition."""
    choices = [_candidates(p) for p in parameters]
    found: list[dict[sympy.Symbol, sympy.Expr]] = []
    for k in itertools.count():
        if len(found) >= MAX_QUADRATURE_POINTS or k >= MAX_QUADRATURE_POINTS * 6:
            break
        # parameter i is shifted by i from the first point on, so parameters of one word never share a value at
        # every point (s == p everywhere would hide a log(p/s); oracle F18)
        point = {p: c[(k + i * (1 + k // len(c))) % len(c)] for i, (p, c) in enumerate(zip(parameters, choices))}
        if point in found:
            continue
        if all(truth(r.substitute(point)) is True for r in relations):
            found.append(point)
        if not parameters:
            break
    return found


def _candidates(symbol: sympy.Symbol) -> tuple[sympy.Expr, ...]:
    if symbol.is_integer:
        return (1, 2, 3) if symbol.is_positive else (1, 0, 2, -1)
    for word in ("positive", "negative", "nonnegative", "nonpositive"):
        if getattr(symbol, f"is_{word}"):
            return tuple(sympy.Rational(v) for v in _CANDIDATES[word])
    return tuple(sympy.Rational(v) for v in _CANDIDATES["real"])


def _evaluate(previous: sympy.Expr, current: sympy.Expr, point: dict, digits: int) -> Sides:
    """Both sides at ``point``, every integral by quadrature at ``digits`` digits."""
    values: dict[sympy.Integral, sympy.Expr] = {}
    error = mpmath.mpf(0)
    for integral in (previous.atoms(sympy.Integral) | current.atoms(sympy.Integral)):
        value, estimate = _quadrature(integral.xreplace(point), digits)
        values[integral] = sympy.Float(str(value), digits)
        error += estimate
    return Sides(_number(previous, point, values, digits), _number(current, point, values, digits), error)


def _number(side: sympy.Expr, point: dict, values: dict, digits: int) -> mpmath.mpf:
    value = side.xreplace(values).xreplace(point).evalf(digits)
    if not value.is_real or not value.is_number or not value.is_finite:
        raise NoQuadrature("a side that is not a real number there")
    return mpmath.mpf(str(value))


def _quadrature(integral: sympy.Integral, digits: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The value of a one-range integral with numeric bounds, and mpmath's error estimate."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3 or integral.function.has(sympy.Integral):
        raise NoQuadrature("nested or indefinite integrals")
    var, lo, hi = integral.limits[0]
    body = integral.function
    if body.free_symbols - {var}:
        raise NoQuadrature("a parameter without a value")

    def f(t: mpmath.mpf) -> mpmath.mpf:
        value = body.xreplace({var: sympy.Float(str(t), digits)}).evalf(digits)
        if not value.is_real or not value.is_finite:
            raise NoQuadrature("an integrand that is not real there")
        return mpmath.mpf(str(value))

    with mpmath.workdps(digits):
        a, b = _endpoint(lo, digits), _endpoint(hi, digits)
        try:
            value, estimate = mpmath.quad(f, [a, b], error=True)
        except (ValueError, ZeroDivisionError, ArithmeticError, TypeError) as exc:
            raise NoQuadrature(str(exc)) from None
    if not mpmath.isfinite(value):
        raise NoQuadrature("a divergent integral")
    return value, abs(estimate)


def _endpoint(bound: sympy.Expr, digits: int) -> mpmath.mpf:
    if bound is sympy.oo:
        return mpmath.inf
    if bound is -sympy.oo:
        return -mpmath.inf
    value = bound.evalf(digits)
    if not value.is_real or not value.is_number:
        raise NoQuadrature("a bound that is not a real number")
    return mpmath.mpf(str(value))


def _shown(value: mpmath.mpf) -> str:
    return mpmath.nstr(value, 15)
