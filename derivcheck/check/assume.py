"""Conditions as substitutions, so that SymPy's own assumptions can use them.

A condition ``g > 0`` where ``g`` is linear in a real atom ``v`` (``g = k*v + r``)
is encoded by replacing ``v`` with ``(t - r)/k`` for a fresh positive ``t``:
every point that satisfies the condition is reached by some ``t``, so an
identity proved after the replacement holds at every such point. Conditions
that cannot be encoded are dropped, which only weakens what is assumed and
never makes a proof unsound. ``v in {a, b}`` splits into one scenario per value.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_KEPT_SIGNS, MAX_SCENARIOS
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


def _bool(value) -> bool | None:
    return None if value is None else bool(value)


def linear_atom(expr: sympy.Expr, require_real: bool = True):
    """Return ``(v, k, r)`` with ``expr == k*v + r``, k a nonzero number and r free of v; or None."""
    atoms = sorted(
        (a for a in expr.free_symbols if isinstance(a, (sympy.Symbol, sympy.Indexed))),
        key=_atom_order,
    )
    for atom in atoms:
        if require_real and not atom.is_real:
            continue
        if isinstance(atom, sympy.Indexed) and any(not i.is_Integer for i in atom.indices):
            continue
        try:
            coeff = sympy.diff(expr, atom)
        except Exception:
            continue
        if not coeff.is_Number or coeff == 0:
            continue
        rest = sympy.expand(expr - coeff * atom)
        if atom in rest.free_symbols:
            continue
        return atom, coeff, rest
    return None


def _atom_order(atom) -> tuple:
    # Replace the symbol that loses least: declared symbols before introduced
    # ones, then those with no sign of their own, then reals before integers.
    signed = any(
        getattr(atom, f"is_{word}") for word in ("positive", "negative", "nonnegative", "nonpositive")
    )
    return (isinstance(atom, sympy.Dummy), signed, bool(atom.is_integer), str(atom))


def encode(relation: Relation) -> list[dict] | None:
    """Return substitutions whose union covers exactly the points satisfying ``relation``.

    None when the relation cannot be encoded (it is then not used in proofs).
    """
    if relation.op == "in":
        atom = relation.expr
        if isinstance(atom, (sympy.Symbol, sympy.Indexed)):
            return [{atom: value} for value in relation.values]
        return None
    found = linear_atom(relation.expr, require_real=relation.op != "==")
    if found is None:
        return None
    atom, coeff, rest = found
    if relation.op == "==":
        return [{atom: -rest / coeff}]
    # g = k*v + r must satisfy "g op 0": let s be a fresh symbol with that sign
    # and set v = (s - r)/k, so that g == s exactly.
    fresh = sympy.Dummy(sympy.sstr(atom), real=True, **_SIGN_OF[relation.op])  # named after what it replaces
    return [{atom: (fresh - rest) / coeff}]


def scenarios(relations: list[Relation], limit: int = MAX_SCENARIOS) -> list[list[dict]]:
    """Return the scenarios under which to prove: each a list of substitutions to apply in order.

    Relations found false drop their scenario; relations that cannot be
    encoded are skipped.
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
            options = encode(relation)
            if options is None:
                continue
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
