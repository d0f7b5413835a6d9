"""Symbolic proof of a sign: ``g > 0`` or ``g >= 0`` under the conditions.

An inequality step ``previous rel this`` is the sign of the larger side minus
the smaller (``goal_of``). The proof uses the same scenarios as equalities
(every scenario proved), case splits on the signs that decide
``abs``/``max``/``min`` (every branch proved), SymPy's sign rules,
monotonicity of ``exp`` and ``log`` and known bounds (``exp(u) > 0``,
``-1 <= sin(u) <= 1``…), each used only where its argument is proved real on
the whole domain; the method names the argument used.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import sympy

from derivcheck.bounds import (
    MAX_EXTREMUM_CHOICES,
    MAX_INEQUALITY_SPLIT_DEPTH as MAX_SPLIT_DEPTH,
    MAX_METHOD_TEXT as MAX_METHOD,
)
from derivcheck.check.prove.assume import Relation, apply, encode, scenarios
from derivcheck.check.prove.equality import Proof, decide_extrema, monotone_core, sign_arguments
from derivcheck.errors import CheckTimeout
from derivcheck.parse.extrema import EXTREMA, ElementMax

STRICT = {"<": True, "<=": False, ">": True, ">=": False}
_KINDS = (
    "sign rules", "exp is increasing", "log is increasing", "bound ", "exp(u) > 0, and exp(u) <= 1", "max/min decided"
)
# Functions bounded on the reals: (low, high, whether the bounds are reached).
_BOUNDED = {sympy.sin: (-1, 1, True), sympy.cos: (-1, 1, True), sympy.tanh: (-1, 1, False)}


@dataclass(frozen=True)
class SignGoal:
    """Prove ``expr > 0`` (``strict``) or ``expr >= 0``."""

    expr: sympy.Expr
    strict: bool

    @property
    def op(self) -> str:
        return ">" if self.strict else ">="


def goal_of(previous: sympy.Expr, current: sympy.Expr, relation: str) -> SignGoal:
    """``previous rel current`` as a sign goal on one expression."""
    if relation in ("<", "<="):
        return SignGoal(current - previous, STRICT[relation])
    if relation in (">", ">="):
        return SignGoal(previous - current, STRICT[relation])
    raise ValueError(f"not an inequality: {relation}")


# -- proof ------------------------------------------------------------------------------------


def prove_relation(a: sympy.Expr, b: sympy.Expr, relation: str, relations: list[Relation]) -> Proof | None:
    """Prove ``a relation b`` under ``relations``; None when no argument was found."""
    goal = goal_of(a, b, relation)
    plans = scenarios(relations)
    methods: list[str] = []
    cases = 0
    for plan in plans:
        proof = _sign_with_splits(SignGoal(apply(goal.expr, plan), goal.strict), 0)
        if proof is None:
            # Conditions only narrow the points; a sign shown without them
            # (from the symbols' own words) holds under them too.
            if relations:
                unconditional = _sign_with_splits(goal, 0)
                if unconditional is not None:
                    return Proof(f"{unconditional.method} (without the conditions)", unconditional.cases)
            return None
        methods.append(proof.method)
        cases += proof.cases
    if not methods:
        return Proof("conditions are contradictory", 0)
    method = " / ".join(dict.fromkeys(methods))
    if len(plans) > 1:
        method = f"{len(plans)} scenarios from the conditions: {method}"
    return Proof(method, cases)


def _sign_with_splits(goal: SignGoal, depth: int) -> Proof | None:
    method = decide_sign(goal)
    if method is not None:
        return Proof(method)
    expr = goal.expr
    decided = decide_extrema(expr)
    if decided != expr:
        method = decide_sign(SignGoal(decided, goal.strict))
        if method is not None:
            return Proof(f"max/min decided by monotonicity, {method}")
        expr = decided
    bounded = _sign_by_extremum_bounds(SignGoal(expr, goal.strict))
    if bounded is not None:
        return bounded
    if depth >= MAX_SPLIT_DEPTH:
        return None
    for arg in sign_arguments(expr):
        if not arg.free_symbols:
            continue
        options = []
        for op in (">", "<", "=="):
            if encode(Relation(op, arg)) is None:
                break
            options.append(scenarios([Relation(op, arg)]))
        if len(options) != 3:
            continue
        cases, methods = 0, []
        flip = arg.could_extract_minus_sign()
        shown = _show(-arg if flip else arg)
        for op, plans in zip((">", "<", "=="), options):
            # Every scenario of this sign is a branch to prove (none: the sign is impossible).
            branch = _prove_every_plan(expr, goal.strict, plans, depth)
            if branch is None:
                return None
            if branch.cases == 0:
                continue
            cases += branch.cases
            shown_op = {">": "<", "<": ">"}.get(op, op) if flip else op
            methods.append(f"{shown} {shown_op.replace('==', '=')} 0: {branch.method}")
        method = f"cases on the sign of {shown} ({'; '.join(methods)})"
        if len(method) > MAX_METHOD:
            kinds = [k for k in _KINDS if k in method]
            method = f"cases on the sign of {shown} and further splits, {cases} cases ({'; '.join(kinds)})"
        return Proof(method, cases)
    return None


def _prove_every_plan(expr: sympy.Expr, strict: bool, plans: list[list[dict]], depth: int) -> Proof | None:
    """The sign of ``expr`` proved in every one of ``plans`` (a Proof of 0 cases when there is none)."""
    methods: list[str] = []
    cases = 0
    for plan in plans:
        sub = _sign_with_splits(SignGoal(apply(expr, plan), strict), depth + 1)
        if sub is None:
            return None
        methods.append(sub.method)
        cases += sub.cases
    return Proof(" / ".join(dict.fromkeys(methods)), cases)


def _sign_by_extremum_bounds(goal: SignGoal) -> Proof | None:
    """``goal`` shown on a lower bound: a max (positive coefficient) replaced by one of its
    arguments, a min (negative coefficient) likewise; ``max(z)``/``min(z)`` over a range that
    is not empty by one element ``z[t]`` of it, the same ``t`` for the same range."""
    for bound in itertools.islice(_extremum_lower_bounds(goal.expr), MAX_EXTREMUM_CHOICES):
        method = decide_sign(SignGoal(bound, goal.strict))
        if method is not None:
            return Proof(f"max is at least each element, min at most each: {method}")
    return None


def _extremum_lower_bounds(expr: sympy.Expr) -> Iterator[sympy.Expr]:
    choices: list[tuple[sympy.Expr, tuple[sympy.Expr, ...]]] = []
    elements: dict[tuple[sympy.Expr, sympy.Expr], sympy.Dummy] = {}
    for node in sorted(expr.atoms(sympy.Max, sympy.Min, *EXTREMA), key=sympy.default_sort_key):
        coeff = _coefficient(expr, node)
        if coeff is None or not (coeff > 0 if isinstance(node, (sympy.Max, ElementMax)) else coeff < 0):
            continue
        if isinstance(node, (sympy.Max, sympy.Min)):
            choices.append((node, tuple(node.args)))
            continue
        var, lo, hi = node.limits[0]
        if (hi - lo).is_nonnegative is not True or node.function.is_extended_real is not True:
            continue  # an empty range has no element
        element = elements.setdefault((lo, hi), sympy.Dummy(f"{var}", integer=True))
        choices.append((node, (node.function.xreplace({var: element}),)))
    if not choices:
        return
    nodes = [node for node, _ in choices]
    for combo in itertools.product(*(options for _, options in choices)):
        yield sympy.expand(expr.xreplace(dict(zip(nodes, combo))))


def _coefficient(expr: sympy.Expr, node: sympy.Expr) -> sympy.Expr | None:
    """``k`` with ``expr == k*node + r``, k a nonzero number and r free of ``node``; else None."""
    stand_in = sympy.Dummy()
    replaced = expr.xreplace({node: stand_in})
    try:
        coeff = sympy.diff(replaced, stand_in)
    except (ValueError, TypeError):
        return None
    if not coeff.is_Number or coeff == 0 or stand_in in (replaced - coeff * stand_in).free_symbols:
        return None
    return coeff


def decide_sign(goal: SignGoal) -> str | None:
    """Return the argument that shows ``goal`` (without case splits), or None."""
    # While a max/min is undecided a case split usually follows: try only the
    # cheap arguments on the expression as it is.
    light = goal.expr.has(sympy.Max, sympy.Min)
    for form in [goal.expr] if light else _forms(goal.expr):
        method = _direct_sign(form, goal)
        if method is not None:
            return method
        peeled = _peel_logs(form)
        if peeled is not None:
            for inner in [peeled] if light else _forms(peeled):
                method = _direct_sign(inner, goal)
                if method is not None:
                    return f"log is increasing, so compare without logs: {method}"
    return None


def _direct_sign(form: sympy.Expr, goal: SignGoal, depth: int = 0) -> str | None:
    """Sign rules, exp monotonicity, bounded functions and exp bounds on one form (or its numerator)."""
    method = _simple_sign(form, goal)
    if method is not None or depth:
        return method
    try:
        numerator, denominator = sympy.together(form).as_numer_denom()
    except (CheckTimeout, MemoryError):
        raise
    except Exception:
        return None
    if denominator != 1 and _has_sign(denominator, True):
        method = _direct_sign(sympy.expand(numerator), goal, depth + 1)
        if method is not None:
            return f"the denominator {_show(denominator)} > 0; numerator: {method}"
    return None


def _simple_sign(form: sympy.Expr, goal: SignGoal) -> str | None:
    # SymPy's sign rules on a log of a sum are slow and rarely succeed; the
    # log is peeled off instead (decide_sign).
    if not any(not arg.is_number for arg in _log_arguments(form)):
        method = _known_sign(form, goal.strict)
        if method:
            return method
    core = monotone_core(form)
    if core != form and _has_sign(core, goal.strict):
        return f"exp is increasing: the sign is that of {_show(core)} {goal.op} 0"
    bounded = _worst_case_of_bounded(form, goal.strict)
    if bounded is not None:
        return bounded
    return _exp_bounds(form, goal.strict)


def _exp_bounds(expr: sympy.Expr, strict: bool) -> str | None:
    """Bound each ``c*exp(u)`` term from below: by 0 (c > 0), by c when u <= 0 and c < 0, by c when u >= 0 and c > 0."""
    lower, strict_step, used = [], False, False
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coeff, factor = term.as_coeff_Mul()
        factor = _merge_into_sum(sympy.powsimp(factor))  # exp(-a)*exp(c) -> exp(c - a)
        if isinstance(factor, sympy.Sum) and coeff.is_number and coeff != 0:
            bound = _sum_of_exp_bound(factor, coeff, expr)
            if bound is not None:
                value, is_strict = bound
                lower.append(value)
                strict_step |= is_strict
                used = True
                continue
        if not isinstance(factor, sympy.exp) or not coeff.is_number or coeff == 0:
            lower.append(term)
            continue
        u = factor.args[0]
        if u.is_extended_real is not True:
            lower.append(term)  # exp of a number that may be complex has no order
            continue
        if coeff > 0 and u.is_nonnegative:
            lower.append(coeff)  # exp(u) >= 1
            strict_step |= bool(u.is_positive)
        elif coeff > 0:
            strict_step = True  # exp(u) > 0
        elif u.is_nonpositive:
            lower.append(coeff)  # -exp(u) >= -1
            strict_step |= bool(u.is_negative)
        else:
            lower.append(term)  # kept exactly: it may cancel against another bound
            continue
        used = True
    if not used:
        return None
    bound = sympy.Add(*lower)
    if _has_sign(bound, strict and not strict_step):
        return (
            "bounds on the exp terms (exp(u) > 0; exp(u) <= 1 for u <= 0, >= 1 for u >= 0; a sum of "
            f"C exponentials lies between its largest term and C times e^max): at least {_show(bound)}"
        )
    return None


def _forms(expr: sympy.Expr) -> Iterator[sympy.Expr]:
    yield expr
    seen = {expr}
    for transform in (sympy.expand, lambda e: sympy.cancel(sympy.together(e)), sympy.factor):
        try:
            form = transform(expr)
        except (CheckTimeout, MemoryError):
            raise
        except Exception:
            continue
        if form not in seen:
            seen.add(form)
            yield form


def _has_sign(expr: sympy.Expr, strict: bool) -> bool:
    try:
        return bool(expr.is_extended_positive) if strict else bool(expr.is_extended_nonnegative)
    except (TypeError, ValueError, RecursionError):
        return False


def _known_sign(expr: sympy.Expr, strict: bool) -> str | None:
    if not _has_sign(expr, strict):
        return None
    if expr.is_number:
        return f"{_show(expr)} {'>' if strict else '>='} 0"
    return f"sign rules (exp(u) > 0, abs(u) >= 0, squares >= 0, …) give {_show(expr)} {'>' if strict else '>='} 0"


def _merge_into_sum(factor: sympy.Expr) -> sympy.Expr:
    """``exp(v) * Sum(exp(u), (c, lo, hi))`` with v free of c -> ``Sum(exp(u + v), (c, lo, hi))``."""
    if not isinstance(factor, sympy.Mul):
        return factor
    sums = [f for f in factor.args if isinstance(f, sympy.Sum) and len(f.limits) == 1]
    if len(sums) != 1 or not isinstance(sums[0].function, sympy.exp):
        return factor
    total = sums[0]
    var = total.limits[0][0]
    others = [f for f in factor.args if f is not total]
    if not all(isinstance(f, sympy.exp) and var not in f.free_symbols for f in others):
        return factor
    exponent = total.function.args[0] + sympy.Add(*[f.args[0] for f in others])
    return sympy.Sum(sympy.exp(exponent), total.limits)


def _sum_of_exp_bound(
    total: sympy.Sum, coeff: sympy.Expr, whole: sympy.Expr
) -> tuple[sympy.Expr, bool] | None:
    """A lower bound of ``coeff * Sum(exp(u), (c, lo, hi))`` and whether it is strict, or None.

    ``coeff > 0``: at least the term of the largest element, ``exp(max(z) + a)`` when
    ``u = z[c] + a`` and ``max(z)`` over the same range appears; else more than 0.
    ``coeff < 0``: at least ``coeff * (hi - lo + 1)`` when every ``u <= 0``
    (``u = z[c] - max(z) + a`` with ``a <= 0``).
    """
    from derivcheck.parse.extrema import ElementMax

    if not isinstance(total.function, sympy.exp) or len(total.limits) != 1:
        return None
    if total.function.args[0].is_extended_real is not True:
        return None  # exp of a complex number has no order
    var, lo, hi = total.limits[0]
    if (hi - lo).is_nonnegative is not True:
        return None  # an empty range has no largest term
    u = total.function.args[0]
    maxima = [
        m for m in whole.atoms(ElementMax)
        if isinstance(m.function, sympy.Indexed) and m.function.indices == (m.limits[0][0],)
        and (m.limits[0][1], m.limits[0][2]) == (lo, hi)
    ]
    for maximum in maxima:
        element = maximum.function.base[var]
        if coeff > 0:
            rest = sympy.expand(u - element)
            if var not in rest.free_symbols:
                return coeff * sympy.exp(maximum + rest), False
        else:
            rest = sympy.expand(u - element + maximum)
            if var not in rest.free_symbols and rest.is_nonpositive:
                return coeff * (hi - lo + 1), bool(rest.is_negative)
    if coeff > 0:
        return sympy.Integer(0), True
    return None


def _log_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    return [node.args[0] for node in expr.atoms(sympy.log)]


def _peel_logs(expr: sympy.Expr) -> sympy.Expr | None:
    """``sum c_k log(u_k) + r`` (integer c_k, u_k > 0, r real) -> ``P - Q*exp(-r)``, of the same sign."""
    terms = sympy.Add.make_args(sympy.expand(expr))
    positive: list = []
    negative: list = []
    rest: list = []
    for term in terms:
        coeff, factor = term.as_coeff_Mul()
        if isinstance(factor, sympy.log) and len(factor.args) == 1 and coeff.is_Integer:
            if factor.args[0].is_positive is not True:
                return None
            (positive if coeff > 0 else negative).append(factor.args[0] ** abs(int(coeff)))
        else:
            rest.append(term)
    if not positive and not negative:
        return None
    remainder = sympy.Add(*rest)
    if remainder.has(sympy.log) or remainder.is_extended_real is not True:
        return None
    left = sympy.Mul(*positive)
    right = sympy.Mul(*negative) * sympy.exp(-remainder)
    return sympy.expand(left - right)


def _worst_case_of_bounded(expr: sympy.Expr, strict: bool) -> str | None:
    """``c*f(u) + r`` with ``f`` bounded (sin, cos in [-1, 1], tanh in (-1, 1)): show the worst end."""
    atoms = [a for a in sympy.preorder_traversal(expr) if type(a) in _BOUNDED and a.args[0].is_extended_real]
    for atom in dict.fromkeys(atoms):
        fresh = sympy.Dummy("s", real=True)
        linear = sympy.expand(expr.xreplace({atom: fresh}))
        coeff = linear.coeff(fresh)
        rest = sympy.expand(linear - coeff * fresh)
        if not coeff.is_number or fresh in rest.free_symbols or coeff == 0:
            continue
        low, high, reached = _BOUNDED[type(atom)]
        worst = rest + coeff * (low if coeff > 0 else high)
        # An open bound (tanh) is never reached: worst >= 0 already gives a strict sign.
        if _has_sign(worst, strict and reached):
            name = type(atom).__name__
            bound = f"{low} <= {name}(u) <= {high}" if reached else f"{low} < {name}(u) < {high}"
            return f"bound {bound}: at the worst end {_show(worst)} {'>' if strict else '>='} 0"
    return None


def _show(expr: sympy.Expr, width: int = 60) -> str:
    # Variables introduced by case splits print as _x: show them as the symbol they stand for.
    text = re.sub(r"(?<![A-Za-z0-9_])_(?=[A-Za-z])", "", sympy.sstr(expr))
    return text if len(text) <= width else text[: width - 1] + "…"


