"""Symbolic proof that two expressions are equal, cheapest method first.

Every method here returns an expression SymPy guarantees equal to the input
(under the symbols' assumptions); a proof is an exact zero at the end. Random
evaluation (``Expr.equals``) is never used here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_SPLIT_DEPTH
from derivcheck.check.limits import time_limit
from derivcheck.check.printing import readable
from derivcheck.check.prove.assume import Relation, apply, encode, scenarios, split_abs
from derivcheck.errors import CheckTimeout


@dataclass(frozen=True)
class Proof:
    """How a proof succeeded: the method, and the case splits used."""

    method: str
    cases: int = 1


def _exp_as_powers(expr: sympy.Expr) -> sympy.Expr:
    # exp(a*x + b) -> exp(x)**a * exp(b): lets cancel see exp(x) and exp(-x) as one generator.
    return sympy.powsimp(sympy.expand(expr, power_exp=True, mul=False, multinomial=False), combine="base")


def _cancel(expr: sympy.Expr) -> sympy.Expr:
    return sympy.cancel(sympy.together(expr))


def _log_expand(expr: sympy.Expr) -> sympy.Expr:
    return _cancel(sympy.expand(sympy.expand_log(expr)))


_TRIGONOMETRIC = (sympy.sin, sympy.cos, sympy.tan, sympy.cot, sympy.sec, sympy.csc)


def _trigonometric_values_as_radicals(expr: sympy.Expr) -> sympy.Expr:
    """Trigonometric functions at numbers written in radicals (``cos(pi/51)``), then expanded.

    SymPy's exact values at rational multiples of pi; ``expr`` itself when it
    has no trigonometric function of a number.
    """
    if not any(f.args[0].is_number for f in expr.atoms(*_TRIGONOMETRIC)):
        return expr
    return sympy.expand(expr.rewrite(sympy.sqrt))


def _is_square_root(node: sympy.Basic) -> bool:
    return isinstance(node, sympy.Pow) and node.exp.is_Rational and node.exp.q == 2


def _has_nested_square_root(expr: sympy.Expr) -> bool:
    roots = [p for p in expr.atoms(sympy.Pow) if _is_square_root(p)]
    return any(_is_square_root(node) for root in roots for node in sympy.preorder_traversal(root.base))


def _denest_square_roots(expr: sympy.Expr) -> sympy.Expr:
    """Each term with its nested square roots denested (``sqrtdenest``), then expanded.

    Term by term: a side that denests alone often does not inside the whole
    difference. Constants only (SymPy's denesting of symbols assumes signs);
    ``expr`` itself otherwise, and when it has no square root inside another.
    """
    if expr.free_symbols or not _has_nested_square_root(expr):
        return expr
    return sympy.expand(sympy.Add(*[sympy.sqrtdenest(term) for term in sympy.Add.make_args(expr)]))


_CHEAP: tuple[tuple[str, Callable], ...] = (
    ("expand", sympy.expand),
    ("trigonometric values as radicals", _trigonometric_values_as_radicals),
    ("denest square roots", _denest_square_roots),
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
            evaluated = hide_undecided_ranges(evaluate_sums(diff))
            if evaluated == 0:
                return "evaluate sums"
            diff = evaluated
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


def evaluate_sums(expr: sympy.Expr) -> sympy.Expr:
    """Write sums and products in closed form where SymPy's meaning is the format's.

    The format's bounds are inclusive and a range with ``hi < lo`` is empty (a
    sum 0, a product 1). SymPy follows Karr's convention instead
    (``Sum(k, (k, 3, 1))`` is -2); the two agree when ``hi - lo + 1 >= 0``.
    A sum or product is evaluated only when that is proved (with integer
    bounds), replaced by 0 or 1 when its range is provably empty, and left
    as it is otherwise.
    """
    try:
        return _evaluate(expr, ())[0]
    except (CheckTimeout, MemoryError, RecursionError):
        raise
    except Exception:  # a node SymPy cannot rebuild: evaluate nothing (the sums stay opaque)
        return expr


def _evaluate(expr: sympy.Basic, outer: tuple) -> tuple[sympy.Basic, bool]:
    # Returns the expression and whether every sum in it has a decided range.
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Sum, sympy.Product):
        return expr, True
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        limits = tuple(expr.limits)
        body, decided = _evaluate(expr.function, outer + limits)
        for position, (var, lo, hi) in enumerate(limits):  # the first limit is the innermost
            node = type(expr)(body, (var, lo, hi))
            status = range_status(lo, hi, outer + limits[position + 1 :])
            if status == "empty":
                body, decided = (sympy.S.Zero if isinstance(expr, sympy.Sum) else sympy.S.One), True
            elif status == "proper" and decided:
                body = _close(node)
            else:
                body, decided = node, False
        return body, decided
    args, decided = [], True
    for arg in expr.args:
        new, ok = _evaluate(arg, outer)
        args.append(new)
        decided = decided and ok
    return (expr.func(*args) if tuple(args) != expr.args else expr), decided


def _close(node: sympy.Basic) -> sympy.Basic:
    try:
        return node.doit(deep=False)
    except (CheckTimeout, MemoryError):
        raise
    except Exception:
        return node


def range_status(lo: sympy.Expr, hi: sympy.Expr, outer: tuple = ()) -> str | None:
    """``"proper"`` when ``hi - lo + 1 >= 0`` is proved (Karr's convention and the format's
    agree), ``"empty"`` when ``hi < lo`` is proved, None when undecided or a bound may not be an integer.

    ``outer`` holds the limits of enclosing sums: their variable lies within its bounds.
    """
    if lo.is_integer is not True or hi.is_integer is not True:
        return None
    count = hi - lo + 1
    for version in _with_outer_variables(count, outer):
        if version.is_nonnegative:
            return "proper"
        if version.is_negative:
            return "empty"
    return None


def _with_outer_variables(expr: sympy.Expr, outer: tuple) -> Iterator[sympy.Expr]:
    """``expr``, then ``expr`` with each enclosing variable written from its lower or upper bound."""
    yield expr
    used = [(v, lo, hi) for v, lo, hi in outer if v in expr.free_symbols][:3]
    if not used:
        return
    offsets = [sympy.Dummy(integer=True, nonnegative=True) for _ in used]
    for choice in itertools.product((0, 1), repeat=len(used)):
        mapping = {
            v: (lo + m if side == 0 else hi - m) for (v, lo, hi), m, side in zip(used, offsets, choice)
        }
        yield expr.xreplace(mapping)


def ranges_decided(expr: sympy.Basic, outer: tuple = ()) -> bool:
    """True when every sum and product in ``expr`` has a range known proper or known empty."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.Sum, sympy.Product):
        return True
    if isinstance(expr, (sympy.Sum, sympy.Product)):
        limits = tuple(expr.limits)
        for position, (_, lo, hi) in enumerate(limits):
            if range_status(lo, hi, outer + limits[position + 1 :]) is None:
                return False
        return ranges_decided(expr.function, outer + limits)
    return all(ranges_decided(arg, outer) for arg in expr.args)


def hide_undecided_ranges(expr: sympy.Expr) -> sympy.Expr:
    """Replace each sum or product whose range may be empty by an opaque symbol.

    SymPy's transformations (simplify combines and evaluates sums) follow
    Karr's convention; a proof must not use them on such a sum. The same sum
    gets the same symbol, so ``S - S`` still cancels.
    """
    mapping: dict = {}
    stack = [expr]
    while stack:  # outermost sums only: a kept sum's inner sums are decided too
        node = stack.pop()
        if isinstance(node, (sympy.Sum, sympy.Product)):
            if node not in mapping and not ranges_decided(node):
                real = node.function.is_extended_real is True and node.function.is_finite is True
                mapping[node] = sympy.Dummy("range", real=True) if real else sympy.Dummy("range")
        elif isinstance(node, sympy.Basic) and node.has(sympy.Sum, sympy.Product):
            stack.extend(node.args)
    return expr.xreplace(mapping) if mapping else expr


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


def _signed_exp(term: sympy.Expr) -> tuple[int, sympy.Expr] | None:
    """``(1, u)`` for ``exp(u)``, ``(-1, u)`` for ``-exp(u)``; None otherwise, and None when ``u``
    may be complex (exp is increasing only on the reals)."""
    for sign, candidate in ((1, term), (-1, -term)):
        if isinstance(candidate, sympy.exp):
            return (sign, candidate.args[0]) if candidate.args[0].is_extended_real is True else None
    return None


def decide_extrema(expr: sympy.Expr) -> sympy.Expr:
    """Replace max/min whose arguments' order the assumptions decide (after monotone peeling)."""

    def decide(node: sympy.Basic) -> sympy.Basic:
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
    """Return the expressions whose sign decides the branch of Abs, Max, Min, sign, Piecewise,
    and the counts ``hi - lo + 1`` that decide whether a sum's range is empty.

    Only arguments that are provably real and free of summation variables are
    returned: splitting into ``> 0``, ``< 0`` and ``== 0`` covers every case
    only for a real argument.
    """
    found: list[sympy.Expr] = []
    bound: set = set()
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
        elif isinstance(node, (sympy.Sum, sympy.Product)):
            bound.update(limit[0] for limit in node.limits)
            for _, lo, hi in node.limits:
                if lo.is_integer and hi.is_integer and range_status(lo, hi) is None:
                    found.append(hi - lo + 1)
    unique = []
    for arg in found:
        if arg in unique or not arg.free_symbols or arg.free_symbols & bound:
            continue
        if arg.is_extended_real is True:
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
    arguments = sign_arguments(diff)
    # Arguments a substitution encodes first; those whose abs must be split
    # (more cases) only after them.
    direct = [arg for arg in arguments if encode(Relation(">", arg)) is not None]
    for arg in direct + [arg for arg in arguments if arg not in direct]:
        options = []
        for op in (">", "<", "=="):
            relation = Relation(op, arg)
            if encode(relation) is None and split_abs(relation) is None:
                break
            options.append((op, scenarios([relation], abs_first=False)))
        if len(options) != 3:
            continue
        cases = 0
        methods = []
        for _op, plans in options:
            for plan in plans:  # none: this sign is impossible under the assumptions
                sub = _prove_with_splits(apply(diff, plan), budget, depth + 1)
                if sub is None:
                    return None
                cases += sub.cases
                methods.append(sub.method)
        inner = ", ".join(dict.fromkeys(methods))
        shown = -arg if arg.could_extract_minus_sign() else arg
        return Proof(f"cases on the sign of {readable(shown)} ({inner})", cases)
    return None
