"""The numeric screen: evaluate both sides at points that satisfy the conditions.

Points: simple values with every sign pattern, random decimals, values far
from the origin (up to about 1e6), both sides of every breakpoint of abs,
max, min, sign and Piecewise, and for complex symbols the branch cuts
(negative real axis, imaginary axis). Every point satisfies every condition
and declaration; equalities (also nonlinear ones) are solved for one symbol.

A difference seen at working precision counts only when the difference
itself, evaluated with its own error bound (accurate.bounded_value), is
clearly nonzero: round-off never makes a counterexample.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy
from sympy.core.function import AppliedUndef

from derivcheck.bounds import (
    COMPLEX_FLOAT_RANGE as _FLOAT_RANGE,
    CONFIRM_PRECISION as CONFIRM_PREC,
    CONSTANT_DIGITS,
    MAX_BREAK_POINTS as _MAX_BREAKS,
    MAX_GROWTH,
    SAMPLE_ATTEMPTS,
    SCREEN_PRECISION as SCREEN_PREC,
    SIMPLE_VALUE_ATTEMPTS as _SIMPLE_ATTEMPTS,
    SOLVE_SECONDS as _SOLVE_BUDGET,
)
from derivcheck.check.limits import own_time_limit, point_share
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import plain_number
from derivcheck.check.prove.assume import Relation, linear_atom, truth
from derivcheck.check.prove.sizes import Shape, assignments, instantiate
from derivcheck.check.screen.branches import Undecided, decide_jumps
from derivcheck.check.screen.certified import Bounded, Unevaluable, bounded_value, differs_from, fits_exactly

RELATIVE_GAP = sympy.Float("1e-18", 30)
_MAGNITUDES = [sympy.Integer(1), sympy.Integer(2), sympy.Rational(1, 2), sympy.Integer(3), sympy.Rational(3, 2)]


@dataclass
class Point:
    """One sample: sizes/indices (``shape``), values of every free atom, and both sides there."""

    shape: dict
    values: dict
    functions: dict = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        """Return ``name -> value`` for reports (``z[2]`` for vector elements)."""
        out: dict[str, str] = {}
        for mapping in (self.shape, self.values):
            for atom, value in sorted(mapping.items(), key=lambda kv: str(kv[0])):
                out[sympy.sstr(atom)] = sympy.sstr(value)
        for name, text in self.functions.items():
            out[name] = text
        return out


@dataclass
class Screen:
    """What the numeric screen found."""

    agreed: int = 0
    tried: int = 0
    undefined: int = 0
    counterexample: Point | None = None
    values: tuple[str, str] | None = None
    agreeing: list = field(default_factory=list)  # (point, a, b) where the sides agreed, a few
    slow: int = 0  # points skipped because they took longer than their share of the screen's time
    stopped: bool = False  # the screen's time ran out before every point was tried
    # Two constants that agree at working precision: whether they agree to CONSTANT_DIGITS digits
    # is decided only when no proof is found (``settle_constants``), which fills in the two below.
    constants: bool = False
    certified_digits: int = 0  # two constants: digits to which they agree under certified evaluation
    certified_value: str = ""  # their common value, as shown


_UNITS = (sympy.Rational(1, 3), sympy.Rational(2, 7), sympy.Rational(3, 11), sympy.Rational(5, 13))


def stand_in(number: int, nargs: int, real_valued: bool) -> tuple[tuple[sympy.Symbol, ...], sympy.Expr]:
    """A generic concrete function for the ``number``-th unknown function.

    Not periodic, not of one sign, neither even nor odd, not a sum of
    functions of one argument each, and different for each function and
    argument position; real-valued at complex arguments only when the
    function is declared real-valued (then of the real and imaginary parts).
    """
    params = sympy.symbols(f"u0:{nargs}")
    body = sympy.Integer(0)
    for k, p in enumerate(params):
        c = _UNITS[(number + k) % len(_UNITS)] + number + k
        parts = (sympy.re(p), sympy.im(p)) if real_valued else (p,)
        for j, q in enumerate(parts):
            shift = c + j
            body += (
                sympy.exp(q / (3 + number + k + j)) - shift + q * (k + 1) / (2 + number)
                - q**2 / (5 + k + j) + q**3 / (7 * (1 + number + k + j))
            )
    if nargs > 1:
        body += sympy.Mul(*[(p + k + 1) for k, p in enumerate(params)]) / (4 + number)
    return params, body


def concrete_functions(exprs: list[sympy.Expr]) -> tuple[list[sympy.Expr], dict[str, str]]:
    """Replace undefined functions by fixed generic ones (a refutation then still stands)."""
    classes = {}
    complex_args = set()
    for expr in exprs:
        for applied in expr.atoms(AppliedUndef):
            classes[applied.func] = len(applied.args)
            if any(arg.is_extended_real is not True for arg in applied.args):
                complex_args.add(applied.func)
    if not classes:
        return exprs, {}
    described = {}
    for number, (cls, nargs) in enumerate(sorted(classes.items(), key=lambda kv: str(kv[0]))):
        real_valued = cls in complex_args and getattr(cls, "is_real", None) is True
        params, body = stand_in(number, nargs, real_valued=real_valued)
        lam = sympy.Lambda(params, body)
        described[str(cls)] = f"{cls}({', '.join(map(str, params))}) = {sympy.sstr(body)}"
        exprs = [e.replace(cls, lam) for e in exprs]
    exprs = [e.doit() if e.has(sympy.Derivative) else e for e in exprs]
    return exprs, described


def draw_value(atom: sympy.Basic, rng: random.Random, attempt: int, slot: int = 0, kind: str = "simple") -> sympy.Expr:
    """Return a value allowed by the atom's assumptions.

    The first attempts use simple values with every pattern of signs across
    the atoms (``slot`` is the atom's position), so that identities that hold
    only for some signs are caught; later attempts use random decimals, and
    ``kind`` "far" values of magnitude 100 to about 1e6. Complex atoms take
    turns on the negative real axis, the imaginary axis and off both.
    """
    for tries in range(SAMPLE_ATTEMPTS):
        if kind == "far" and tries < 10:
            value = _far_value(atom, rng)
        elif kind == "simple" and attempt < _SIMPLE_ATTEMPTS and tries == 0:
            magnitude = _MAGNITUDES[(attempt + slot + rng.randrange(2)) % len(_MAGNITUDES)]
            negative = (attempt >> (slot % 5)) & 1
            value = -magnitude if negative else magnitude
            if attempt % 7 == 6 and slot % 2 == 0:
                value = sympy.Integer(0)
        elif atom.is_integer:
            value = sympy.Integer(rng.randint(-6, 6))
        else:
            spread = 300 if rng.random() < 0.8 else 3000
            value = sympy.Rational(rng.randint(-spread, spread), 100)
        if atom.is_integer and not value.is_Integer:
            value = sympy.Integer(int(value) or 1)
        value = _fit_sign(atom, value)
        if value is not None:
            if is_complex_atom(atom):
                value = _complex_value(value, rng, attempt + slot)
            return value
    return sympy.Integer(1)


def is_complex_atom(atom: sympy.Expr) -> bool:
    """Whether the atom may take non-real values (declared ``complex``)."""
    return atom.is_real is False or (atom.is_complex is True and atom.is_real is None)


def _far_value(atom: sympy.Expr, rng: random.Random) -> sympy.Expr:
    sign = -1 if rng.random() < 0.5 else 1
    if atom.is_integer:
        return sympy.Integer(sign * rng.randint(50, 1000))
    exponent = rng.randint(2, 6)
    mantissa = sympy.Rational(rng.randint(100, 999), 100)
    return sign * (mantissa * 10**exponent + sympy.Rational(1, 7))


def _complex_value(value: sympy.Expr, rng: random.Random, pattern: int) -> sympy.Expr:
    """Negative real axis, imaginary axis, then general points (branch cuts of sqrt, log, powers)."""
    turn = pattern % 4
    if turn == 0 and value != 0:
        return -abs(value)
    if turn == 1:
        return sympy.I * value
    return value + sympy.I * sympy.Rational(rng.choice([-1, 1]) * rng.randint(1, 200), 100)


def _fit_sign(atom: sympy.Expr, value: sympy.Expr) -> sympy.Expr | None:
    if atom.is_positive and not value > 0:
        value = abs(value) or sympy.Integer(1)
    if atom.is_negative and not value < 0:
        value = -abs(value) or sympy.Integer(-1)
    if atom.is_nonnegative and value < 0:
        value = -value
    if atom.is_nonpositive and value > 0:
        value = -value
    if atom.is_nonzero and value == 0:
        return None
    return value


def allowed_by_assumptions(atom: sympy.Expr, value: sympy.Expr) -> bool:
    """Whether ``value`` is consistent with the atom's declared words."""
    checks = (
        (atom.is_real, lambda v: v.is_extended_real),
        (atom.is_positive, lambda v: v > 0),
        (atom.is_negative, lambda v: v < 0),
        (atom.is_nonnegative, lambda v: v >= 0),
        (atom.is_nonpositive, lambda v: v <= 0),
        (atom.is_nonzero, lambda v: v != 0),
        (atom.is_integer, lambda v: v.is_integer),
    )
    try:
        return all(not flag or bool(test(value)) for flag, test in checks)
    except TypeError:
        return False


def evaluate(expr: sympy.Expr, values: dict, prec: int) -> sympy.Float | complex | None:
    """Return the value of ``expr`` at ``values`` to ``prec`` digits, or None if undefined.

    The point is substituted exactly only when the exact numbers that builds
    are of bounded size (``fits_exactly``); otherwise (``2**(2 + x)`` at a far
    ``x``, ``(3/2)**(10**8)``) it is evaluated at working precision.
    """
    try:
        if not fits_exactly(expr, values):
            number = expr.evalf(prec, subs=values)
            if not _precise(number, prec):
                return None
        else:
            result = expr.xreplace(values)
            if result.free_symbols:
                return None
            number = sympy.N(decide_jumps(result), prec)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, RecursionError, Undecided):
        return None
    if not number.is_number or number.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    try:
        return complex(number) if number.has(sympy.I) else sympy.Float(number, prec)
    except (TypeError, ValueError, OverflowError):
        return None


def _precise(number: sympy.Expr, prec: int) -> bool:
    """Reject the low-precision garbage evalf returns at a removable singularity."""
    parts = number.as_real_imag() if number.is_number else ()
    for part in parts:
        if isinstance(part, sympy.Float) and part != 0 and part._prec < prec * 3:
            return False
    return True


def _gap(va: sympy.Float | complex, vb: sympy.Float | complex) -> tuple[object, bool]:
    """The gap between two values and whether it looks like a difference at working precision.

    Complex values beyond the range of floats (``cosh`` at a far complex point)
    always look different: the caller then decides on the difference itself,
    with its error bound.
    """
    if isinstance(va, complex) or isinstance(vb, complex):
        za, zb = complex(va), complex(vb)
        parts = (za.real, za.imag, zb.real, zb.imag)
        if not all(math.isfinite(part) and abs(part) < _FLOAT_RANGE for part in parts):
            return None, True
        diff = abs(za - zb)
        scale = max(1.0, abs(za), abs(zb))
        return diff, diff > 1e-12 * scale
    diff = abs(va - vb)
    scale = max(sympy.Float(1), abs(va), abs(vb))
    return diff, diff > RELATIVE_GAP * scale


def shown_values(ai: sympy.Expr, bi: sympy.Expr, values: dict) -> tuple[str, str]:
    """Both sides at the point, with as many digits as it takes to see them differ (up to 40)."""
    sides = []
    for expr in (ai, bi):
        try:
            sides.append(bounded_at(expr, values).value)
        except Unevaluable:
            number = evaluate(expr, values, CONFIRM_PREC)
            if number is None:
                sides.append(sympy.nan)
            elif isinstance(number, complex):
                sides.append(sympy.Float(number.real, CONFIRM_PREC) + sympy.I * sympy.Float(number.imag, CONFIRM_PREC))
            else:
                sides.append(number)
    if sympy.nan in sides:
        return tuple(sympy.sstr(v) for v in sides)
    for digits in (15, 25, 40):
        texts = (plain_number(sides[0], digits), plain_number(sides[1], digits))
        if texts[0] != texts[1]:
            return texts
    gap = sympy.N(sides[1] - sides[0], 15)
    return texts[0], f"{texts[1]} (differs by {plain_number(gap, 4)})"


def bounded_at(expr: sympy.Expr, values: dict, digits: int = SCREEN_PREC) -> Bounded:
    """The value of ``expr`` at the point with its own error bound (Unevaluable when it has none)."""
    if not fits_exactly(expr, values):
        return bounded_value(expr, digits, subs=values)
    try:
        return bounded_value(decide_jumps(expr.xreplace(values)), digits)
    except Undecided as exc:
        raise Unevaluable(str(exc)) from None


def compare_at(ai: sympy.Expr, bi: sympy.Expr, values: dict, exact: bool = False, digits: int = SCREEN_PREC) -> str:
    """``differ``, ``agree`` or ``undefined`` at the point.

    The sides are first compared at working precision (cheap); a difference
    seen there, or any difference when ``exact``, is decided on the
    difference itself with its error bound: it must be clearly nonzero.
    """
    if not exact:
        va, vb = evaluate(ai, values, SCREEN_PREC), evaluate(bi, values, SCREEN_PREC)
        if va is None or vb is None:
            return "undefined"
        if not _gap(va, vb)[1]:
            return "agree"
    try:
        difference = bounded_at(ai - bi, values, digits)
    except Unevaluable:
        return "undefined"
    return "differ" if differs_from(difference, sympy.Integer(0)) is True else "agree"


def screen(
    a: sympy.Expr,
    b: sympy.Expr,
    relations: list[Relation],
    shape: Shape,
    samples: int,
    max_size: int,
    seed: int = 0,
    budget: float | None = None,
) -> Screen:
    """Evaluate ``a`` and ``b`` at up to ``samples`` admissible points; stop at a confirmed difference.

    ``budget`` (CPU seconds, None for none of its own) bounds the whole screen:
    when it runs out the screen ends with the points decided so far, so that
    the stages after it keep their time. Each point gets a share of it
    (``point_share``); a point that takes longer is skipped, counted as
    undefined.
    """
    rng = random.Random(seed)
    (a, b), functions = concrete_functions([a, b])
    if shape.empty and not (a.free_symbols | b.free_symbols):
        return _pure_numbers(a, b, relations, functions)
    result = Screen()
    found: list[tuple[Point, sympy.Expr, sympy.Expr]] = []
    with own_time_limit(budget) as spent:
        _sample(a, b, relations, shape, samples, max_size, rng, point_share(budget), result, found)
    result.stopped = spent.ran_out
    if not found:
        return result
    point, ai, bi = found[0]
    point.functions = functions
    with own_time_limit(point_share(budget)):  # out of time: the confirmed point as drawn
        point = simplify_point(ai, bi, relations, point)
    result.counterexample = point
    result.values = shown_values(ai, bi, point.values)
    return result


def _sample(
    a: sympy.Expr,
    b: sympy.Expr,
    relations: list[Relation],
    shape: Shape,
    samples: int,
    max_size: int,
    rng: random.Random,
    per_point: float | None,
    result: Screen,
    found: list[tuple[Point, sympy.Expr, sympy.Expr]],
) -> None:
    """Draw and compare points into ``result``; a confirmed difference goes to ``found`` and ends the loop."""
    shapes = list(assignments(shape, relations, max_size)) if not shape.empty else [{}]
    # Sizes of at least 2 first (readable counterexamples), small sizes first among
    # them; the smaller sizes the declarations allow (1, 0, …) are visited too.
    shapes = sorted(
        shapes,
        key=lambda m: (
            any(int(v) < 2 for k, v in m.items() if k in shape.sizes),
            sum(int(m[k]) for k in shape.sizes if k in m),
        ),
    )
    if not shapes:
        return
    attempts = 0
    memo: dict = {}
    while result.tried < samples and attempts < samples * 8:
        attempts += 1
        if attempts <= len(shapes):
            mapping = shapes[(attempts - 1) % len(shapes)]
        else:
            mapping = shapes[rng.randrange(len(shapes))]
        state = None
        with own_time_limit(per_point) as spent:
            drawn = _draw_point(a, b, relations, mapping, rng, attempts - 1, memo)
            if drawn is not None:
                point, ai, bi = drawn
                result.tried += 1
                state = compare_at(ai, bi, point.values)
        if spent.ran_out:
            result.slow += 1
            continue
        if state is None:
            continue
        if state == "undefined":
            result.undefined += 1
            continue
        if state == "agree":
            result.agreed += 1
            if len(result.agreeing) < 4:
                result.agreeing.append((point, ai, bi))
            continue
        found.append((point, ai, bi))
        return


def _pure_numbers(a: sympy.Expr, b: sympy.Expr, relations: list[Relation], functions: dict) -> Screen:
    """Both sides are numbers: one decision on their difference with its error bound, not a fixed precision.

    Sides that agree are marked ``constants``: if no proof is found, ``settle_constants``
    decides them to ``CONSTANT_DIGITS`` digits, and the step can then be ``numeric``.
    """
    if any(truth(r) is False for r in relations):
        return Screen()
    point = Point({}, {}, functions)
    state = compare_at(a, b, {}, exact=True)
    if state == "differ":
        return Screen(tried=1, counterexample=point, values=shown_values(a, b, {}))
    if state == "undefined":
        return Screen(tried=1, undefined=1)
    return Screen(agreed=1, tried=1, agreeing=[(point, a, b)], constants=True)


def settle_constants(found: Screen) -> Screen | None:
    """Two constants the screen let pass, decided to ``CONSTANT_DIGITS`` digits under certified evaluation.

    Returns a Screen with the counterexample when they differ after all;
    otherwise records in ``found`` the digits to which they agree (read by
    ``constants_outcome``) and returns None. Run only when no proof was found:
    a proof needs no digits.
    """
    if not found.constants or not found.agreeing or found.certified_digits:
        return None
    point, a, b = found.agreeing[0]
    agreement = certified_agreement(a, b)
    if agreement is not None and agreement.counterexample:
        return Screen(tried=found.tried, counterexample=point, values=shown_values(a, b, {}))
    if agreement is not None:
        found.certified_digits, found.certified_value = agreement.digits, agreement.value
    return None


@dataclass(frozen=True)
class Agreement:
    """Two constants compared to ``digits`` digits with a certified error bound.

    ``counterexample``: they differ after all; else they agree to ``digits``
    digits and ``value`` shows their common value.
    """

    digits: int
    value: str
    counterexample: bool = False


def certified_agreement(a: sympy.Expr, b: sympy.Expr, digits: int = CONSTANT_DIGITS) -> Agreement | None:
    """Whether two constants agree to ``digits`` significant digits, decided on their difference with its bound.

    None when the evaluation cannot bound the difference that tightly.
    """
    try:
        side = bounded_value(a, digits + 10)
        difference = bounded_value(a - b, digits + 10)
    except Unevaluable:
        return None
    shown = plain_number(side.value, SHOWN_DIGITS)
    if differs_from(difference, sympy.Integer(0)) is True:
        return Agreement(digits, shown, counterexample=True)
    scale = max(sympy.Integer(1), side.magnitude())
    gap = difference.magnitude() + difference.error
    if gap <= scale * sympy.Float(10, digits + 20) ** (-digits):
        return Agreement(digits, shown)
    return None


SHOWN_DIGITS = 40
"""Significant digits of a constant shown in the evidence of a ``numeric`` step between constants."""


def constants_outcome(found: Screen) -> Outcome | None:
    """The ``numeric`` outcome of a step between two constants that agree under certified evaluation."""
    if not found.certified_digits:
        return None
    detail = (
        f"no proof found; both sides evaluate to {found.certified_value}… and agree to at least "
        f"{found.certified_digits} significant digits (certified error bound)"
    )
    return Outcome(
        Verdict.NUMERIC,
        "certified evaluation",
        detail,
        points=found.agreed,
        tried=("certified evaluation", "symbolic proof"),
        hint="a proof would make this 'proved'; --strict fails on 'numeric'",
    )


_DIRECTIONS = (sympy.Rational(3, 5) + sympy.Rational(4, 5) * sympy.I, sympy.Integer(-1), sympy.I,
               sympy.Rational(-5, 13) + sympy.Rational(12, 13) * sympy.I, sympy.Integer(1), -sympy.I)


@dataclass
class _Plan:
    """What one instance (sizes fixed) needs for drawing points, computed once."""

    ai: sympy.Expr
    bi: sympy.Expr
    rels: list
    atoms: list
    equations: list  # (atom, relation): the atom is solved from the equation
    breaks: list  # (atom, root): a breakpoint of abs/max/min/sign/Piecewise at atom == root
    repairs: list  # (relation, [(atom, coeff, rest)]): a linear inequality and the atoms that can satisfy it
    # Arguments of exp, trig, symbolic powers, innermost first (computed at the first far point).
    growth: list | None = None


def _plan(a: sympy.Expr, b: sympy.Expr, relations: list[Relation], mapping: dict) -> _Plan:
    from derivcheck.check.prove.equality import sign_arguments

    ai, bi = instantiate(a, mapping), instantiate(b, mapping)
    rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
    found: set = set()
    for expr in [ai, bi] + [r.expr for r in rels]:
        found |= {s for s in expr.free_symbols if isinstance(s, (sympy.Symbol, sympy.Indexed))}
    bound = bound_variables([ai, bi] + [r.expr for r in rels])
    atoms = sorted(
        (
            s for s in found
            if not (isinstance(s, sympy.Symbol) and _is_label(s, ai, bi, rels)) and not (s.free_symbols & bound)
        ),
        key=str,
    )
    fixed = {r.expr for r in rels if r.op == "in"}
    equations: list = []
    for rel in rels:
        if rel.op != "==":
            continue
        atom = _equation_atom(rel.expr, atoms, fixed | {s for s, _ in equations})
        if atom is not None:
            equations.append((atom, rel))
    solved = fixed | {s for s, _ in equations}
    repairs = []
    for rel in rels:
        if rel.op in (">", ">=", "<", "<="):
            options = [
                (atom, *found)
                for atom in atoms
                if atom not in solved and not atom.is_integer and atom.is_real
                for found in [_linear_in(rel.expr, atom)]
                if found is not None
            ]
            if options:
                repairs.append((rel, options))
    breaks: list = []
    for arg in sign_arguments(ai) + sign_arguments(bi):
        for atom, root in _roots_symbolic(arg, atoms, solved):
            if (atom, root) not in breaks and len(breaks) < _MAX_BREAKS:
                breaks.append((atom, root))
    return _Plan(ai, bi, rels, atoms, equations, breaks, repairs)


_TAME = (sympy.log, sympy.Abs, sympy.sign, sympy.Max, sympy.Min, sympy.re, sympy.im)


def growth_arguments(exprs: list[sympy.Expr]) -> list[sympy.Expr]:
    """Arguments whose size decides whether evaluation is feasible (exp(exp(10**6)) is not)."""
    found = set()
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, sympy.Pow) and not node.exp.is_number:
                found.add(node.exp * sympy.log(node.base) if node.base.is_number else node.exp)
            elif isinstance(node, sympy.Function) and not isinstance(node, _TAME):
                found.update(arg for arg in node.args if arg.free_symbols)
    return sorted(found, key=_size)


def _size(expr: sympy.Expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expr))


def _moderate(plan: _Plan, values: dict) -> bool:
    """Whether every growth argument stays below MAX_GROWTH at the point (checked innermost first)."""
    if plan.growth is None:
        plan.growth = growth_arguments([plan.ai, plan.bi])
    return moderate_growth(plan.growth, values)


def moderate_growth(growth: list[sympy.Expr], values: dict) -> bool:
    """Whether every one of the ``growth`` arguments stays below MAX_GROWTH at the point (innermost first)."""
    for arg in growth:
        value = evaluate(arg, values, 5)
        if value is None:
            continue
        if abs(complex(value)) > MAX_GROWTH:
            return False
    return True


def _linear_in(expr: sympy.Expr, atom: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(coeff, rest)`` with ``expr == coeff*atom + rest``, coeff a nonzero number; else None."""
    if atom not in expr.free_symbols:
        return None
    try:
        coeff = sympy.diff(expr, atom)
    except (ValueError, TypeError):
        return None
    if not coeff.is_Number or coeff == 0:
        return None
    rest = sympy.expand(expr - coeff * atom)
    return None if atom in rest.free_symbols else (coeff, rest)


def _equation_atom(expr: sympy.Expr, atoms: list[sympy.Expr], taken: set[sympy.Expr]) -> sympy.Expr | None:
    found = linear_atom(expr, require_real=False)
    if found and found[0] in atoms and found[0] not in taken:
        return found[0]
    candidates = [s for s in atoms if s in expr.free_symbols and s not in taken]
    candidates.sort(key=lambda s: (bool(s.is_integer), str(s)))
    return candidates[0] if candidates and not candidates[0].is_integer else None


def _roots_symbolic(
    arg: sympy.Expr, atoms: list[sympy.Expr], taken: set[sympy.Expr]
) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """Points where ``arg`` changes sign, as ``(atom, root)``: linear, or quadratic in one real atom.

    A product changes sign where one of its factors does (and a power where its base does), so
    ``(x - w)*(2*y + 2)`` has the breakpoints of both factors.
    """
    if arg.is_Mul or (arg.is_Pow and arg.exp.is_Integer):
        parts = arg.args if arg.is_Mul else (arg.base,)
        return list(dict.fromkeys(r for part in parts for r in _roots_symbolic(part, atoms, taken)))
    found = linear_atom(arg)
    if found and found[0] in atoms and found[0] not in taken and not found[0].is_integer:
        atom, coeff, rest = found
        return [(atom, -rest / coeff)]
    for atom in atoms:
        if atom in taken or atom.is_integer or not atom.is_real or atom not in arg.free_symbols:
            continue
        try:
            if not arg.is_polynomial(atom):
                continue
            poly = sympy.Poly(arg, atom)
            if poly.degree() != 2:
                continue
            return [(atom, r) for r in sympy.roots(poly, multiple=True)]
        except (sympy.PolynomialError, ValueError, TypeError, NotImplementedError):
            continue
    return []


def _kind(attempt: int, has_breaks: bool) -> str:
    if attempt < _SIMPLE_ATTEMPTS:
        return "break" if has_breaks and attempt % 4 == 3 else "simple"
    turn = (attempt - _SIMPLE_ATTEMPTS) % 3
    if turn == 0:
        return "far"
    return "break" if has_breaks and turn == 1 else "random"


def _draw_point(
    a: sympy.Expr,
    b: sympy.Expr,
    relations: list[Relation],
    mapping: dict,
    rng: random.Random,
    attempt: int,
    memo: dict[tuple[tuple[str, int], ...], _Plan] | None = None,
) -> tuple[Point, sympy.Expr, sympy.Expr] | None:
    key = tuple(sorted((str(k), int(v)) for k, v in mapping.items()))
    plan = memo.get(key) if memo is not None else None
    if plan is None:
        plan = _plan(a, b, relations, mapping)
        if memo is not None:
            memo[key] = plan
    kind = _kind(attempt, bool(plan.breaks))
    values: dict = {}
    for rel in plan.rels:
        if rel.op == "in" and rel.expr in plan.atoms and rel.expr not in values:
            allowed = [v for v in rel.values if allowed_by_assumptions(rel.expr, v)]
            if not allowed:
                return None
            values[rel.expr] = allowed[rng.randrange(len(allowed))]
    solved = {s for s, _ in plan.equations}
    for slot, atom in enumerate(plan.atoms):
        if atom not in values and atom not in solved:
            far = kind == "far" and rng.random() < 0.75
            style = "far" if far else ("simple" if kind == "simple" else "random")
            values[atom] = draw_value(atom, rng, attempt, slot, style)
    pinned: set = set()
    if kind == "break":
        placed = _place_at_break(plan, values, rng, attempt)
        if placed is None:
            return None
        pinned = placed
    _repair(plan, values, rng, pinned)
    for atom, rel in plan.equations:
        if not fits_exactly(rel.expr, values):
            return None
        roots = _equation_roots(rel.expr.xreplace(values), atom, attempt)
        roots = [r for r in roots if allowed_by_assumptions(atom, r)]
        if not roots:
            return None
        values[atom] = roots[(attempt + rng.randrange(2)) % len(roots)]
    for rel in plan.rels:
        if holds_at(rel, values) is not True:
            return None
    if kind == "far" and not _moderate(plan, values):
        return None
    return Point(dict(mapping), values), plan.ai, plan.bi


_SIGN_TESTS = {
    ">": lambda v: v > 0,
    ">=": lambda v: v >= 0,
    "<": lambda v: v < 0,
    "<=": lambda v: v <= 0,
    "==": lambda v: v == 0,
    "!=": lambda v: v != 0,
}


def holds_at(rel: Relation, values: dict) -> bool | None:
    """Whether a condition holds at the point: exactly when the numbers stay small, else on its bounded value.

    A condition whose exact substitution would build huge numbers (``2**x > 5``
    at a far ``x``) is decided on its value with its error bound: True or
    False only when the bound is clear of 0, None otherwise.
    """
    if rel.op == "in" or fits_exactly(rel.expr, values):
        return truth(rel.substitute(values))
    try:
        value = bounded_at(rel.expr, values)
    except Unevaluable:
        return None
    if value.value.as_real_imag()[1] != 0 or differs_from(value, sympy.Integer(0)) is not True:
        return None  # not real, or too close to 0 to tell its sign
    return bool(_SIGN_TESTS[rel.op](sympy.re(value.value)))


_OFFSETS = (sympy.Rational(1, 8), sympy.Integer(1), sympy.Rational(1, 1000), sympy.Integer(5))


def _place_at_break(plan: _Plan, values: dict, rng: random.Random, attempt: int) -> set | None:
    """Put one atom just beside a breakpoint (each side in turn); return it as pinned, None if impossible."""
    atom, root = plan.breaks[(attempt // 2 + rng.randrange(len(plan.breaks))) % len(plan.breaks)]
    at = root.xreplace(values)
    if at.free_symbols or at.is_extended_real is not True:
        return None
    offset = _OFFSETS[rng.randrange(len(_OFFSETS))]
    value = at + offset if rng.randrange(2) else at - offset
    if not allowed_by_assumptions(atom, value):
        return None
    values[atom] = value
    return {atom} | root.free_symbols


_SLACKS = (sympy.Rational(1, 2), sympy.Integer(1), sympy.Integer(2), sympy.Rational(7, 3), sympy.Integer(10))


def _repair(plan: _Plan, values: dict, rng: random.Random, pinned: set) -> None:
    """Move atoms so that linear inequalities hold (a few passes: chains like x > y > 5).

    Atoms placed at a breakpoint are moved only when no other atom can be.
    """
    for _ in range(3):
        changed = False
        for rel, options in plan.repairs:
            if holds_at(rel, values) is not False:
                continue
            free = [o for o in options if o[0] not in pinned] or options
            atom, coeff, rest = free[rng.randrange(len(free))]
            base = rest.xreplace(values)
            if base.free_symbols or base.is_extended_real is not True:
                continue
            slack = _SLACKS[rng.randrange(len(_SLACKS))]
            target = slack if rel.op in (">", ">=") else -slack
            value = (target - base) / coeff
            if allowed_by_assumptions(atom, value):
                values[atom] = value
                changed = True
        if not changed:
            return


def _equation_roots(equation: sympy.Expr, atom: sympy.Expr, attempt: int) -> list[sympy.Expr]:
    """Values of ``atom`` that make ``equation`` zero: exact where possible, real for real atoms."""
    labels = {indexed.base.label for indexed in equation.atoms(sympy.Indexed)}
    if equation.free_symbols - {atom} - labels - atom.free_symbols:
        return []
    found = linear_atom(equation, require_real=False)
    if found and found[0] == atom:
        _, coeff, rest = found
        return [-rest / coeff]
    if is_complex_atom(atom):
        direction = _DIRECTIONS[attempt % len(_DIRECTIONS)]
        t = sympy.Dummy("t", positive=True)
        return [r * direction for r in real_roots(equation.xreplace({atom: t * direction}), t) if r > 0]
    return real_roots(equation, atom)


def real_roots(equation: sympy.Expr, symbol: sympy.Basic) -> list[sympy.Expr]:
    """The real roots of ``equation`` in ``symbol`` that SymPy finds within a short budget (exact where it can)."""
    try:
        with own_time_limit(_SOLVE_BUDGET):  # out of time: no roots
            if equation.is_polynomial(symbol):
                poly = sympy.Poly(equation, symbol)
                if poly.degree() < 1:
                    return []
                if poly.degree() <= 4:
                    candidates = sympy.roots(poly, multiple=True)
                elif all(c.is_Rational for c in poly.all_coeffs()):
                    candidates = poly.real_roots()
                else:
                    return []
            else:
                candidates = sympy.solve(equation, symbol)
            # solve answers in dicts for some equations in a complex symbol (abs(exp(z)) == 1): no root then
            return [r for r in candidates if isinstance(r, sympy.Expr) and r.is_number and r.is_extended_real is True]
    except (ValueError, TypeError, NotImplementedError, ArithmeticError, sympy.PolynomialError):
        return []
    return []


def bound_variables(exprs: list[sympy.Expr]) -> set:
    """The variables bound by a sum, product or max/min over an index range in ``exprs``.

    An element ``z[k]`` with ``k`` bound is no atom to sample: it stands for
    every element at once; the elements get values once the range is written out.
    """
    from derivcheck.parse.extrema import EXTREMA

    return {
        limit[0]
        for expr in exprs
        for node in expr.atoms(sympy.Sum, sympy.Product, *EXTREMA)
        for limit in node.limits
    }


def _is_label(symbol: sympy.Symbol, *exprs: sympy.Expr | list[Relation]) -> bool:
    # The label of an IndexedBase shows up in free_symbols next to its elements.
    for expr in exprs:
        items = expr if isinstance(expr, list) else [expr]
        for item in items:
            target = item.expr if isinstance(item, Relation) else item
            for indexed in target.atoms(sympy.Indexed):
                if indexed.base.label == symbol:
                    return True
    return False


def refute_at_high_precision(found: Screen, digits: int = 60) -> Screen | None:
    """Decide the points where the sides agreed at working precision on their exact difference.

    Returns a Screen with a counterexample if the difference, evaluated with
    its own error bound, is clearly nonzero (``x`` vs ``x + 10**-30``), else None.
    Two constants are decided to ``CONSTANT_DIGITS`` digits (``settle_constants``).
    """
    if found.constants:
        return settle_constants(found)
    for point, ai, bi in found.agreeing:
        if compare_at(ai, bi, point.values, exact=True, digits=digits) == "differ":
            return Screen(
                agreed=found.agreed - 1,
                tried=found.tried,
                counterexample=point,
                values=shown_values(ai, bi, point.values),
            )
    return None


PLAIN_VALUES = (sympy.Integer(0), sympy.Integer(1), sympy.Integer(-1), sympy.Integer(2), sympy.Integer(-2),
                sympy.Rational(1, 2), sympy.Rational(-1, 2), sympy.Integer(3))
"""Values a counterexample is simplified toward, simplest first."""


def simplify_point(ai: sympy.Expr, bi: sympy.Expr, relations: list[Relation], point: Point) -> Point:
    """Make a counterexample simpler: each value replaced by 0, 1, -1, 2, … where the sides still differ.

    Every replacement keeps the conditions and declarations true and is confirmed
    on the difference with its error bound.
    """
    rels = [Relation(r.op, instantiate(r.expr, point.shape), r.values) for r in relations]
    current = simpler_values(point.values, rels, lambda trial: compare_at(ai, bi, trial) == "differ")
    return Point(point.shape, current, point.functions)


def simpler_values(
    values: dict,
    rels: list[Relation],
    still_fails: Callable[[dict], bool],
    plain: Sequence[sympy.Expr] = PLAIN_VALUES,
) -> dict:
    """Each value replaced, in turn, by the first plain value that keeps every condition,
    the symbol's declaration and ``still_fails(point)`` true."""
    current = dict(values)
    for atom in sorted(current, key=str):
        for candidate in plain:
            if current[atom] == candidate or not allowed_by_assumptions(atom, candidate):
                continue
            trial = {**current, atom: candidate}
            if any(holds_at(r, trial) is not True for r in rels):
                continue
            if still_fails(trial):
                current = trial
                break
    return current
