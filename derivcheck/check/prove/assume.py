"""Conditions as substitutions, so that SymPy's own assumptions can use them.

A condition ``g > 0`` where ``g`` is linear in a real atom ``v`` (``g = k*v + r``)
is encoded by replacing ``v`` with ``(t - r)/k`` for a fresh positive ``t``:
every point that satisfies the condition is reached by some ``t``, so an
identity proved after the replacement holds at every such point. Conditions
that cannot be encoded are dropped, which only weakens what is assumed and
never makes a proof unsound. ``v in {a, b}`` splits into one scenario per value.

A scenario may also split into cases: every point that
satisfies the condition satisfies one of the cases, so proving under
each proves under the condition. ``abs(g) <= d`` with a real ``g`` becomes
``-d <= g <= d``; ``abs(g) >= d`` becomes ``g >= d`` or ``g <= -d``; an
equation polynomial in one symbol (``x*y == 1``, ``x**2 == 2``) becomes one
alternative per root, all roots of the polynomial (checked by multiplying
them back), plus the case where its leading coefficient vanishes;
``abs(z) == r`` with a complex ``z`` becomes ``z = r*exp(I*theta)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sympy

from derivcheck.bounds import MAX_KEPT_SIGNS, MAX_ROOT_DEGREE, MAX_SCENARIOS
from derivcheck.check.printing import readable
from derivcheck.parse.expressions import Condition

_SIGN_OF = {
    ">": {"positive": True},
    ">=": {"nonnegative": True},
    "<": {"negative": True},
    "<=": {"nonpositive": True},
    "!=": {"nonzero": True},
}


@dataclass(frozen=True)
class Relation:
    """``expr op 0`` (``op`` one of == != < <= > >=), or ``atom in values``."""

    op: str
    expr: sympy.Expr
    values: tuple[sympy.Expr, ...] = ()

    def substitute(self, mapping: dict) -> Relation:
        return Relation(
            self.op,
            self.expr.xreplace(mapping),
            tuple(v.xreplace(mapping) for v in self.values),
        )



T = TypeVar("T")


def attempt(compute: Callable[..., T], *args: object) -> T | None:
    """``compute(*args)``, or None when SymPy fails on it (then no rule applies); MemoryError and time-outs pass."""
    try:
        return compute(*args)
    except MemoryError:
        raise
    except Exception:  # a SymPy failure is no reason to stop: the rule just does not apply
        return None

def relations_of(conditions: tuple[Condition, ...] | list[Condition]) -> list[Relation]:
    """Return every condition as a Relation against zero."""
    out = []
    for cond in conditions:
        if cond.op == "in":
            out.append(Relation("in", cond.lhs, cond.values))
        else:
            out.append(Relation(cond.op, cond.lhs - cond.rhs))
    return out


def truth(relation: Relation) -> bool | None:
    """Return True/False when the relation is decided without solving, else None."""
    if relation.op == "in":
        results = [sympy.Eq(relation.expr, v) for v in relation.values]
        if any(r is sympy.true for r in results):
            return True
        if all(r is sympy.false for r in results):
            return False
        return None
    expr = relation.expr
    try:
        if relation.op == "==":
            return _bool(expr.is_zero)
        if relation.op == "!=":
            zero = expr.is_zero
            return None if zero is None else not zero
        if relation.op == ">":
            return _bool(expr.is_extended_positive)
        if relation.op == ">=":
            return _bool(expr.is_extended_nonnegative)
        if relation.op == "<":
            return _bool(expr.is_extended_negative)
        if relation.op == "<=":
            return _bool(expr.is_extended_nonpositive)
    except (TypeError, ValueError, RecursionError):
        return None
    return None


def _bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def linear_atom(expr: sympy.Expr, require_real: bool = True) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
    """Return ``(v, k, r)`` with ``expr == k*v + r``, k a nonzero number and r free of v; or None."""
    # An equation replaces a complex atom first: by a real expression it gains a fact.
    atoms = sorted(
        (a for a in expr.free_symbols if isinstance(a, (sympy.Symbol, sympy.Indexed))),
        key=lambda a: (not require_real and a.is_extended_real is True, *_atom_order(a)),
    )
    for atom in atoms:
        if require_real and not atom.is_real:
            continue
        if isinstance(atom, sympy.Indexed) and any(not i.is_Integer for i in atom.indices):
            continue
        coeff = attempt(sympy.diff, expr, atom)
        if coeff is None or not coeff.is_Number or coeff == 0:
            continue
        rest = sympy.expand(expr - coeff * atom)
        if atom in rest.free_symbols:
            continue
        return atom, coeff, rest
    return None


def _atom_order(atom: sympy.Expr) -> tuple:
    # Replace the symbol that loses least: declared symbols before introduced
    # ones, then those with no sign of their own, then reals before integers.
    signed = any(
        getattr(atom, f"is_{word}") for word in ("positive", "negative", "nonnegative", "nonpositive")
    )
    return (isinstance(atom, sympy.Dummy), signed, bool(atom.is_integer), str(atom))


def encode(relation: Relation) -> list[dict] | None:
    """Return substitutions whose union covers exactly the points satisfying ``relation``.

    None when the relation cannot be encoded (it is then not used in proofs);
    an empty list when no value the declarations allow satisfies it.
    """
    if relation.op == "in":
        atom = relation.expr
        if isinstance(atom, (sympy.Symbol, sympy.Indexed)):
            return [{atom: value} for value in relation.values if not violates_declaration(atom, value)]
        return None
    found = linear_atom(relation.expr, require_real=relation.op != "==")
    if found is None:
        if relation.op == "==":
            return _polar(relation.expr)
        return None
    atom, coeff, rest = found
    if relation.op == "==":
        value = -rest / coeff
        return [] if violates_declaration(atom, value) else [{atom: value}]
    # g = k*v + r must satisfy "g op 0": let s be a fresh symbol with that sign
    # and set v = (s - r)/k, so that g == s exactly. When v and r are integers
    # and k is 1 or -1, g takes exactly the integers of that sign: s is one too.
    whole = bool(atom.is_integer) and coeff in (1, -1) and rest.is_integer is True
    kind = {"integer": True} if whole else {"real": True}
    # Named after what it replaces, as the author wrote it (methods print it by this name).
    fresh = sympy.Dummy(readable(atom), **kind, **_SIGN_OF[relation.op])
    return [{atom: (fresh - rest) / coeff}]


def violates_declaration(atom: sympy.Expr, value: sympy.Expr) -> bool:
    """True when ``value`` provably breaks a word declared for ``atom`` (real, integer, a sign)."""
    if atom.is_extended_real and value.is_extended_real is False:
        return True
    if atom.is_integer and value.is_integer is False:
        return True
    signs = (("positive", ">"), ("negative", "<"), ("nonnegative", ">="), ("nonpositive", "<="), ("nonzero", "!="))
    for word, op in signs:
        if getattr(atom, f"is_{word}") and truth(Relation(op, value)) is False:
            return True
    return False


def _polar(expr: sympy.Expr) -> list[dict] | None:
    # k*abs(z) + r == 0 with z a complex symbol and r free of z: z = (-r/k)*exp(I*theta).
    for node in sorted(expr.atoms(sympy.Abs), key=sympy.default_sort_key):
        z = node.args[0]
        if not isinstance(z, sympy.Symbol) or z.is_extended_real:
            continue  # a real one is split in two by split_abs
        found = _linear_in(expr, node)
        if found is None or z in found[1].free_symbols:
            continue
        coeff, rest = found
        theta = sympy.Dummy(f"arg_{z}", real=True)
        return [{z: (-rest / coeff) * sympy.exp(sympy.I * theta)}]
    return None


def _linear_in(expr: sympy.Expr, node: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """Return ``(k, r)`` with ``expr == k*node + r``, k a nonzero number and r free of ``node``; or None."""
    stand_in = sympy.Dummy()
    replaced = expr.xreplace({node: stand_in})
    coeff = attempt(sympy.diff, replaced, stand_in)
    if coeff is None or not coeff.is_Number or coeff == 0:
        return None
    rest = sympy.expand(replaced - coeff * stand_in)
    if stand_in in rest.free_symbols:
        return None
    return coeff, rest


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def split_abs(relation: Relation) -> list[list[Relation]] | None:
    """Cases without the abs, for ``k*abs(g) + r op 0`` with a real ``g`` (None if not of that form).

    ``abs(g) <= d`` is ``-d <= g <= d`` (one case); ``abs(g) >= d`` is ``g >= d``
    or ``g <= -d`` (two); ``abs(g) == d`` is ``g == d`` or ``g == -d``. ``!=`` is not split.
    """
    if relation.op in ("in", "!="):
        return None
    for node in sorted(relation.expr.atoms(sympy.Abs), key=sympy.default_sort_key):
        g = node.args[0]
        if g.is_extended_real is not True:
            continue
        found = _linear_in(relation.expr, node)
        if found is None:
            continue
        coeff, rest = found
        op = relation.op if coeff > 0 else _FLIPPED[relation.op]
        d = -rest / coeff
        if op in ("<", "<="):  # -d <= g <= d
            return [[Relation(op, g - d), Relation(op, -g - d)]]
        if op in (">", ">="):  # g >= d or g <= -d
            return [[Relation(op, g - d)], [Relation(op, -g - d)]]
        if op == "==":
            return [[Relation("==", g - d)], [Relation("==", g + d)]]
    return None


def split_roots(expr: sympy.Expr) -> list[list[Relation]] | None:
    """Cases for ``expr == 0`` polynomial in one atom ``v`` (None if there is no such atom).

    ``v`` is one of the roots while the leading coefficient is not zero; else
    the leading coefficient is zero and so is the rest of the polynomial.
    """
    numerator = attempt(lambda: sympy.fraction(sympy.together(expr))[0])
    if numerator is None:
        return None
    candidates = []
    for atom in sorted(
        (a for a in numerator.free_symbols if isinstance(a, (sympy.Symbol, sympy.Indexed))), key=_atom_order
    ):
        if isinstance(atom, sympy.Indexed) and any(not i.is_Integer for i in atom.indices):
            continue
        coeffs = _coefficients(numerator, atom)
        if coeffs is None:
            continue
        degree = len(coeffs) - 1
        numeric = all(c.is_Number for c in coeffs)
        if 1 <= degree <= (MAX_ROOT_DEGREE if numeric else 2):
            candidates.append((not coeffs[0].is_Number, degree, atom, coeffs))
    for _, degree, atom, coeffs in sorted(candidates, key=lambda c: (c[0], c[1])):
        roots = _all_roots(coeffs, atom)
        if roots is None:
            continue
        lead = coeffs[0]
        if lead.is_zero is False:
            return [[Relation("==", atom - r)] for r in roots]
        lower = sympy.Add(*(c * atom ** (degree - i) for i, c in enumerate(coeffs) if i > 0))
        cases = [[Relation("!=", lead), Relation("==", atom - r)] for r in roots]
        return cases + [[Relation("==", lead), Relation("==", lower)]]
    return None


def _coefficients(expr: sympy.Expr, atom: sympy.Expr) -> list[sympy.Expr] | None:
    """Coefficients of ``expr`` as a polynomial in ``atom``, highest first; None if it is not one."""
    poly = attempt(sympy.Poly, expr, atom)
    if poly is None:
        return None
    coeffs = [sympy.expand(c) for c in poly.all_coeffs()]
    if any(atom in c.free_symbols for c in coeffs):
        return None
    return coeffs


def _all_roots(coeffs: list[sympy.Expr], atom: sympy.Expr) -> list[sympy.Expr] | None:
    """Every root of the polynomial (distinct), or None unless they provably are all of them."""
    degree = len(coeffs) - 1
    found = attempt(lambda: sympy.roots(sympy.Poly(coeffs, atom)))
    if found is None:
        return None
    if sum(found.values()) != degree:
        return None
    # Multiply the roots back: the product must be the monic polynomial itself.
    product = sympy.Mul(*((atom - r) ** m for r, m in found.items()))
    monic = sympy.Add(*(c / coeffs[0] * atom ** (degree - i) for i, c in enumerate(coeffs)))
    if attempt(lambda: sympy.cancel(sympy.expand(product - monic))) != 0:
        return None
    return sorted(found, key=sympy.default_sort_key)


def scenarios(
    relations: list[Relation], limit: int = MAX_SCENARIOS, abs_first: bool = True
) -> list[list[dict]]:
    """Return the scenarios under which to prove: each a list of substitutions to apply in order.

    Relations found false drop their scenario; relations that cannot be
    encoded are skipped; relations with cases (split_abs, split_roots) split
    the scenario. ``abs_first=False`` encodes a relation with abs as it is
    when it can (one scenario) and splits the abs only otherwise.
    """
    result: list[list[dict]] = []
    pending: list[tuple[list[dict], list[Relation]]] = [([], list(relations))]
    while pending:
        subs: list[dict] | None
        subs, rest = pending.pop()
        kept_signs = 0
        while rest:
            relation = rest.pop(0)
            decided = truth(relation)
            if decided is True:
                continue
            if decided is False:
                subs = None
                break
            options = None
            cases = split_abs(relation) if abs_first else None
            if cases is None:
                options = encode(relation)
                if options is None:
                    if not abs_first:
                        cases = split_abs(relation)
                    if cases is None and relation.op == "==":
                        cases = split_roots(relation.expr)
            if cases is not None:
                for case in cases[1:]:
                    if len(result) + len(pending) >= limit:
                        return result + [s for s, _ in pending] + [subs]
                    pending.append((list(subs), case + rest))
                rest = cases[0] + rest
                continue
            if options is None:
                continue
            if not options:  # no allowed value satisfies it
                subs = None
                break
            if len(options) > 1:
                for option in options[1:]:
                    if len(result) + len(pending) >= limit:
                        return result + [s for s, _ in pending] + [subs]
                    pending.append((subs + [option], [r.substitute(option) for r in rest]))
            option = options[0]
            subs = subs + [option]
            rest = [r.substitute(option) for r in rest]
            if kept_signs < MAX_KEPT_SIGNS:
                lost = lost_signs(option)
                kept_signs += len(lost)
                rest.extend(lost)
        if subs is not None:
            result.append(subs)
    return result


def lost_signs(mapping: dict) -> list[Relation]:
    """The signs that replaced symbols had, as relations on what replaced them.

    Replacing a positive ``b`` by ``t + s`` would forget that ``t + s > 0``;
    keeping it as a condition lets the next substitution carry it on.
    """
    out = []
    for atom, value in mapping.items():
        if value.is_number:
            continue
        for word, op in (("positive", ">"), ("negative", "<"), ("nonnegative", ">="), ("nonpositive", "<=")):
            if getattr(atom, f"is_{word}"):
                out.append(Relation(op, value))
                break
    return out


def apply(expr: sympy.Expr, substitutions: list[dict]) -> sympy.Expr:
    """Apply a scenario's substitutions in order."""
    for mapping in substitutions:
        expr = expr.xreplace(mapping)
    return expr


def relevant_relations(exprs: list[sympy.Expr], relations: list[Relation], sizes: set) -> list[Relation]:
    """Keep the conditions that constrain the step.

    A condition is kept when it speaks of sizes only, or shares a non-size
    symbol with the step or with another kept condition (the closure: with
    ``x > y`` and ``y > 5``, a step in ``x`` keeps both).
    """
    used = set().union(*(e.free_symbols for e in exprs)) - sizes
    kept = [r for r in relations if r.expr.free_symbols <= sizes]
    pending = [r for r in relations if not r.expr.free_symbols <= sizes]
    changed = True
    while changed:
        changed = False
        for relation in list(pending):
            symbols = relation.expr.free_symbols - sizes
            if symbols & used:
                kept.append(relation)
                pending.remove(relation)
                used |= symbols
                changed = True
    return [r for r in relations if r in kept]


def conflicting_conditions(conditions: Sequence[Condition]) -> tuple[Condition, ...]:
    """Conditions that cannot hold together (with the symbols' declarations), or ``()``.

    Contradictory means what the prover would use to call every step proved
    vacuously: no scenario survives (``scenarios`` is empty). The set returned
    is made small by dropping, one at a time, each condition the conflict does
    not need. Conditions ``for every c`` are not considered.
    """
    plain = [c for c in conditions if not c.every]
    if not plain or not _no_scenario(plain):
        return ()
    kept = list(plain)
    for condition in list(kept):
        trial = [c for c in kept if c is not condition]
        if trial and _no_scenario(trial):
            kept = trial
    return tuple(kept)


def _no_scenario(conditions: list[Condition]) -> bool:
    return not scenarios(relations_of(conditions))
