"""Symbolic proof that two expressions are equal, cheapest method first.

Every method here returns an expression SymPy guarantees equal to the input
(under the symbols' assumptions); a proof is an exact zero at the end. Random
evaluation (``Expr.equals``) is never used here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_SPLIT_DEPTH
from derivcheck.check.assume import Relation, apply, encode, scenarios
from derivcheck.check.limits import time_limit
from derivcheck.errors import CheckTimeout


@dataclass(frozen=True)
class Proof:
    """How a proof succeeded: the method, and the case splits used."""

    method: str
    cases: int = 1


def _exp_as_powers(expr: sympy.Expr) -> sympy.Expr:
    # exp(a*x + b) -> exp(x)**a * exp(b): lets cancel see exp(x) and exp(-x) as one generator.
    return sympy.powsimp(sympy.expand(expr, power_exp=True, mul=False, multinomial=False), combine="base")


def _cancel(expr):
    return sympy.cancel(sympy.together(expr))


def _log_expand(expr):
    return _cancel(sympy.expand(sympy.expand_log(expr)))


_CHEAP: tuple[tuple[str, Callable], ...] = (
    ("expand", sympy.expand),
    ("cancel", _cancel),
    ("exp as powers", lambda e: _cancel(_exp_as_powers(e))),
    ("expand log", _log_expand),
    ("combine logs", lambda e: _cancel(sympy.logcombine(e))),
    ("expand functions", lambda e: _cancel(sympy.expand_func(e))),
)


def prove_zero(diff: sympy.Expr, budget: float) -> str | None:
    """Return the name of the method that reduces ``diff`` to exactly 0, or None.

    Raises CheckTimeout when ``budget`` seconds pass.
    """
    if diff == 0:
        return "identical under the conditions"
    with time_limit(budget):
        if diff.has(sympy.Sum, sympy.Product):
            doit = diff.doit()
            if doit == 0:
                return "evaluate sums"
            diff = doit
        for name, transform in _CHEAP:
            try:
                if transform(diff) == 0:
                    return name
            except (CheckTimeout, MemoryError):
                raise
            except Exception:  # a SymPy failure is no proof, and no reason to stop
                continue
        method = _prove_by_exponentiating(diff)
        if method:
            return method
        try:
            if sympy.simplify(diff) == 0:
                return "simplify"
        except (CheckTimeout, MemoryError):
            raise
        except Exception:
            pass
        try:
            rewritten = sympy.simplify(diff.rewrite(sympy.exp))
            if rewritten == 0:
                return "rewrite as exp, simplify"
        except (CheckTimeout, MemoryError):
            raise
        except Exception:
            pass
    return None


def _prove_by_exponentiating(diff: sympy.Expr) -> str | None:
    # For real d: d == 0 exactly when exp(d) == 1 (exp is one-to-one on the reals).
    if not diff.has(sympy.log) or diff.is_extended_real is not True:
        return None
    try:
        exponentiated = sympy.exp(diff)
        for transform in (_cancel, lambda e: _cancel(_exp_as_powers(sympy.powsimp(e))), sympy.simplify):
            if sympy.simplify(transform(exponentiated) - 1) == 0:
                return "exponentiate (exp is one-to-one on reals)"
    except (CheckTimeout, MemoryError):
        raise
    except Exception:
        return None
    return None


def monotone_core(g: sympy.Expr) -> sympy.Expr:
    """Return an expression with the same sign as ``g`` (real), peeling the increasing exp.

    ``exp(u) - exp(v)`` has the sign of ``u - v``, and ``exp(u) - c`` (c > 0)
    the sign of ``u - log(c)``.
    """
    for _ in range(8):
        terms = sympy.Add.make_args(g)
        if len(terms) != 2:
            return g
        parts = [_signed_exp(t) for t in terms]
        exps = [p for p in parts if p is not None]
        constants = [t for t, p in zip(terms, parts) if p is None and t.is_number]
        if len(exps) == 2 and exps[0][0] == -exps[1][0]:
            (sign, u), (_, v) = exps
            g = sign * (u - v)
        elif len(exps) == 1 and len(constants) == 1 and (-exps[0][0] * constants[0]).is_positive:
            sign, u = exps[0]
            g = sign * (u - sympy.log(-sign * constants[0]))
        else:
            return g
        g = sympy.expand(g)
    return g


def _signed_exp(term: sympy.Expr):
    if isinstance(term, sympy.exp):
        return 1, term.args[0]
    if isinstance(-term, sympy.exp):
        return -1, (-term).args[0]
    return None


def decide_extrema(expr: sympy.Expr) -> sympy.Expr:
    """Replace max/min whose arguments' order the assumptions decide (after monotone peeling)."""

    def decide(node):
        if not isinstance(node, (sympy.Max, sympy.Min)) or len(node.args) != 2:
            return node
        a, b = node.args
        core = monotone_core(sympy.expand(a - b))
        if core.is_nonnegative:
            return a if isinstance(node, sympy.Max) else b
        if core.is_nonpositive:
            return b if isinstance(node, sympy.Max) else a
        return node

    return expr.replace(lambda n: isinstance(n, (sympy.Max, sympy.Min)), decide)


def sign_arguments(expr: sympy.Expr) -> list[sympy.Expr]:
    """Return the expressions whose sign decides the branch of Abs, Max, Min, sign, Piecewise."""
    found: list[sympy.Expr] = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            found.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)):
            args = node.args
            found.extend(args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args)))
        elif isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sympy.core.relational.Relational):
                    found.append(cond.lhs - cond.rhs)
    unique = []
    for arg in found:
        if arg not in unique:
            unique.append(arg)
    return unique


def prove_equal(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float
) -> Proof | None:
    """Prove ``a == b`` under ``relations``: encode them, then split on signs where needed."""
    plans = scenarios(relations)
    methods: list[str] = []
    total_cases = 0
    for plan in plans:
        result = _prove_with_splits(apply(a - b, plan), budget, 0)
        if result is None:
            return None
        methods.append(result.method)
        total_cases += result.cases
    if not methods:  # every scenario was contradictory: nothing to prove
        return Proof("conditions are contradictory", 0)
    method = methods[0] if len(set(methods)) == 1 else " / ".join(dict.fromkeys(methods))
    if len(plans) > 1:
        method = f"{len(plans)} scenarios from the conditions: {method}"
    return Proof(method, total_cases)


def _prove_with_splits(diff: sympy.Expr, budget: float, depth: int) -> Proof | None:
    method = prove_zero(diff, budget)
    if method is not None:
        return Proof(method)
    decided = decide_extrema(diff)
    if decided != diff:
        method = prove_zero(decided, budget)
        if method is not None:
            return Proof(f"max/min decided by monotonicity, {method}")
        diff = decided
    if depth >= MAX_SPLIT_DEPTH:
        return None
    for arg in sign_arguments(diff):
        if not arg.free_symbols:
            continue
        options = []
        for op in (">", "<", "=="):
            if encode(Relation(op, arg)) is None:
                break
            options.append((op, scenarios([Relation(op, arg)])))
        if len(options) != 3:
            continue
        cases = 0
        methods = []
        for _op, plans in options:
            if not plans:  # this sign is impossible under the assumptions
                continue
            case_diff = apply(diff, plans[0])
            sub = _prove_with_splits(case_diff, budget, depth + 1)
            if sub is None:
                return None
            cases += sub.cases
            methods.append(sub.method)
        inner = ", ".join(dict.fromkeys(methods))
        shown = -arg if arg.could_extract_minus_sign() else arg
        return Proof(f"cases on the sign of {sympy.sstr(shown)} ({inner})", cases)
    return None
