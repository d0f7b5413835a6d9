"""The numeric screen: evaluate both sides at points that satisfy the conditions.

A difference found at working precision is confirmed at a higher precision
before it is reported, so round-off never makes a counterexample.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy
from sympy.core.function import AppliedUndef

from derivcheck.bounds import (
    CONFIRM_PRECISION as CONFIRM_PREC,
    HUGE_EXPONENT,
    SCREEN_PRECISION as SCREEN_PREC,
)
from derivcheck.check.assume import Relation, linear_atom, truth
from derivcheck.check.instantiate import Shape, assignments, instantiate

RELATIVE_GAP = sympy.Float("1e-18", 30)
_MAGNITUDES = [sympy.Integer(1), sympy.Integer(2), sympy.Rational(1, 2), sympy.Integer(3), sympy.Rational(3, 2)]
_SIMPLE_ATTEMPTS = 16


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


def concrete_functions(exprs: list[sympy.Expr]) -> tuple[list[sympy.Expr], dict[str, str]]:
    """Replace undefined functions by fixed concrete ones (a refutation then still stands)."""
    classes = {}
    for expr in exprs:
        for applied in expr.atoms(AppliedUndef):
            classes[applied.func] = len(applied.args)
    if not classes:
        return exprs, {}
    described = {}
    for number, (cls, nargs) in enumerate(sorted(classes.items(), key=lambda kv: str(kv[0]))):
        params = sympy.symbols(f"u0:{nargs}", real=True)
        body = sympy.exp(params[0] / (3 + number)) + params[0] ** 2 / 5
        for k, p in enumerate(params[1:], start=1):
            body += (k + 1) * sympy.sin(p) / 3
        lam = sympy.Lambda(params, body)
        described[str(cls)] = f"{cls}({', '.join(map(str, params))}) = {sympy.sstr(body)}"
        exprs = [e.replace(cls, lam) for e in exprs]
    exprs = [e.doit() if e.has(sympy.Derivative) else e for e in exprs]
    return exprs, described


def draw_value(atom: sympy.Basic, rng: random.Random, attempt: int, slot: int = 0) -> sympy.Expr:
    """Return a value allowed by the atom's assumptions.

    The first attempts use simple values with every pattern of signs across
    the atoms (``slot`` is the atom's position), so that identities that hold
    only for some signs are caught; later attempts use random decimals.
    """
    for tries in range(50):
        if attempt < _SIMPLE_ATTEMPTS and tries == 0:
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
            if atom.is_real is False or (atom.is_complex and atom.is_real is None):
                value = value + sympy.I * sympy.Rational(rng.randint(-200, 200), 100)
            return value
    return sympy.Integer(1)


def _fit_sign(atom, value):
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


def allowed_by_assumptions(atom, value) -> bool:
    """Whether ``value`` is consistent with the atom's declared words."""
    checks = (
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


def evaluate(expr: sympy.Expr, values: dict, prec: int):
    """Return the value of ``expr`` at ``values`` to ``prec`` digits, or None if undefined."""
    try:
        if _has_huge_power(expr):
            # Exact evaluation of (3/2)**(10**8) would never end: evaluate in floating point.
            number = expr.evalf(prec, subs=values)
            if not _precise(number, prec):
                return None
        else:
            result = expr.xreplace(values)
            if result.free_symbols:
                return None
            number = sympy.N(result, prec)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, RecursionError):
        return None
    if not number.is_number or number.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    try:
        return complex(number) if number.has(sympy.I) else sympy.Float(number, prec)
    except (TypeError, ValueError):
        return None


def _has_huge_power(expr: sympy.Expr) -> bool:
    return any(
        p.exp.is_Number and abs(p.exp) > HUGE_EXPONENT
        for p in expr.atoms(sympy.Pow)
    )


def _precise(number, prec: int) -> bool:
    """Reject the low-precision garbage evalf returns at a removable singularity."""
    parts = number.as_real_imag() if number.is_number else ()
    for part in parts:
        if isinstance(part, sympy.Float) and part != 0 and part._prec < prec * 3:
            return False
    return True


def _gap(va, vb):
    if isinstance(va, complex) or isinstance(vb, complex):
        diff = abs(complex(va) - complex(vb))
        scale = max(1.0, abs(complex(va)), abs(complex(vb)))
        return diff, diff > 1e-12 * scale
    diff = abs(va - vb)
    scale = max(sympy.Float(1), abs(va), abs(vb))
    return diff, diff > RELATIVE_GAP * scale


def _show(value) -> str:
    if isinstance(value, complex):
        return f"{_trim(sympy.Float(value.real, 15))} + {_trim(sympy.Float(value.imag, 15))}*I"
    return _trim(sympy.Float(value, 15))


def _trim(number) -> str:
    text = sympy.sstr(number)
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def screen(
    a: sympy.Expr,
    b: sympy.Expr,
    relations: list[Relation],
    shape: Shape,
    samples: int,
    max_size: int,
    seed: int = 0,
) -> Screen:
    """Evaluate ``a`` and ``b`` at up to ``samples`` admissible points; stop at a confirmed difference."""
    rng = random.Random(seed)
    (a, b), functions = concrete_functions([a, b])
    shapes = list(assignments(shape, relations, max_size)) if not shape.empty else [{}]
    preferred = [m for m in shapes if all(int(v) >= 2 for k, v in m.items() if k in shape.sizes)]
    # Small sizes first (simple counterexamples), every size visited early.
    shapes = sorted(preferred or shapes, key=lambda m: sum(int(m[k]) for k in shape.sizes if k in m))
    result = Screen()
    if not shapes:
        return result
    attempts = 0
    memo: dict = {}
    while result.tried < samples and attempts < samples * 8:
        attempts += 1
        if attempts <= len(shapes):
            mapping = shapes[(attempts - 1) % len(shapes)]
        else:
            mapping = shapes[rng.randrange(len(shapes))]
        drawn = _draw_point(a, b, relations, mapping, rng, attempts - 1, memo)
        if drawn is None:
            continue
        point, ai, bi = drawn
        point.functions = functions
        values = point.values
        result.tried += 1
        va, vb = evaluate(ai, values, SCREEN_PREC), evaluate(bi, values, SCREEN_PREC)
        if va is None or vb is None:
            result.undefined += 1
            continue
        _, differs = _gap(va, vb)
        if differs:
            ca, cb = evaluate(ai, values, CONFIRM_PREC), evaluate(bi, values, CONFIRM_PREC)
            differs = ca is not None and cb is not None and _gap(ca, cb)[1]
        if not differs:
            result.agreed += 1
            if len(result.agreeing) < 4:
                result.agreeing.append((point, ai, bi))
            continue
        point, (ca, cb) = simplify_point(ai, bi, relations, point, (ca, cb))
        result.counterexample = point
        result.values = (_show(ca), _show(cb))
        return result
    return result


def _draw_point(a, b, relations, mapping, rng, attempt, memo: dict | None = None):
    key = tuple(sorted((str(k), int(v)) for k, v in mapping.items()))
    if memo is not None and key in memo:
        ai, bi, rels = memo[key]
    else:
        ai, bi = instantiate(a, mapping), instantiate(b, mapping)
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        if memo is not None:
            memo[key] = (ai, bi, rels)
    atoms = set()
    for expr in [ai, bi] + [r.expr for r in rels]:
        atoms |= {s for s in expr.free_symbols if isinstance(s, (sympy.Symbol, sympy.Indexed))}
    atoms = {s for s in atoms if not (isinstance(s, sympy.Symbol) and _is_label(s, ai, bi, rels))}
    values: dict = {}
    solved: list[tuple[sympy.Basic, Relation]] = []
    for rel in rels:
        if rel.op == "in" and rel.expr in atoms and rel.expr not in values:
            values[rel.expr] = rel.values[rng.randrange(len(rel.values))]
        elif rel.op == "==":
            found = linear_atom(rel.expr.xreplace(values), require_real=False)
            if found and found[0] in atoms and found[0] not in values and all(found[0] != s for s, _ in solved):
                solved.append((found[0], rel))
    solved_atoms = {s for s, _ in solved}
    for slot, atom in enumerate(sorted(atoms, key=str)):
        if atom not in values and atom not in solved_atoms:
            values[atom] = draw_value(atom, rng, attempt, slot)
    for atom, rel in solved:
        equation = rel.expr.xreplace(values)
        coeff = sympy.diff(equation, atom)
        if coeff == 0 or coeff.free_symbols:
            return None
        value = -equation.xreplace({atom: 0}) / coeff
        if value.free_symbols or not allowed_by_assumptions(atom, value):
            return None
        values[atom] = value
    for rel in rels:
        if truth(rel.substitute(values)) is not True:
            return None
    return Point(dict(mapping), values), ai, bi


def _is_label(symbol, *exprs) -> bool:
    # The label of an IndexedBase shows up in free_symbols next to its elements.
    for expr in exprs:
        items = expr if isinstance(expr, list) else [expr]
        for item in items:
            target = item.expr if isinstance(item, Relation) else item
            for indexed in target.atoms(sympy.Indexed):
                if indexed.base.label == symbol:
                    return True
    return False


def refute_at_high_precision(found: Screen, prec: int = 110) -> Screen | None:
    """Re-evaluate the points where the sides agreed at far higher precision.

    Returns a Screen with a counterexample if a difference too small for the
    screen's precision shows up (``x`` vs ``x + 10**-30``), else None.
    """
    threshold = sympy.Float(10, prec) ** -(prec * 2 // 3)
    for point, ai, bi in found.agreeing:
        va, vb = evaluate(ai, point.values, prec), evaluate(bi, point.values, prec)
        if va is None or vb is None or isinstance(va, complex) or isinstance(vb, complex):
            continue
        gap = abs(va - vb)
        if gap > threshold * max(sympy.Float(1), abs(va), abs(vb)):
            return Screen(
                agreed=found.agreed - 1,
                tried=found.tried,
                counterexample=point,
                values=(sympy.sstr(sympy.Float(va, 40)), sympy.sstr(sympy.Float(vb, 40))),
            )
    return None


_PLAIN = [sympy.Integer(0), sympy.Integer(1), sympy.Integer(-1), sympy.Integer(2), sympy.Integer(-2),
          sympy.Rational(1, 2), sympy.Integer(3)]


def simplify_point(ai, bi, relations: list[Relation], point: Point, values):
    """Make a counterexample simpler: each value replaced by 0, 1, -1, 2, … where the sides still differ.

    Every replacement keeps the conditions true and is confirmed at high precision.
    """
    rels = [Relation(r.op, instantiate(r.expr, point.shape), r.values) for r in relations]
    current = dict(point.values)
    for atom in sorted(current, key=str):
        for candidate in _PLAIN:
            if current[atom] == candidate or not allowed_by_assumptions(atom, candidate):
                continue
            trial = {**current, atom: candidate}
            if any(truth(r.substitute(trial)) is not True for r in rels):
                continue
            ca, cb = evaluate(ai, trial, CONFIRM_PREC), evaluate(bi, trial, CONFIRM_PREC)
            if ca is None or cb is None or not _gap(ca, cb)[1]:
                continue
            current, values = trial, (ca, cb)
            break
    return Point(point.shape, current, point.functions), values
