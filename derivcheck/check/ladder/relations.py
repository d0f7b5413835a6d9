"""Inequality steps: ``previous rel this`` with ``rel`` one of ``<=``, ``<``, ``>=``, ``>``.

The step is turned into a sign question, ``g >= 0`` or ``g > 0`` with ``g``
the larger side minus the smaller, and decided in the same ladder as an
equality:

1. refutation at boundary points first (where an ``abs``, ``max`` or ``min``
   switches branch, where the difference vanishes, small simple values), then
   at sampled points; a failure is confirmed at high precision, and an
   equality that breaks a strict relation is confirmed exactly;
2. a symbolic proof of the sign under the conditions, with case splits on
   the signs that decide ``abs``/``max``/``min``, monotonicity of ``exp`` and
   ``log`` and known bounds (``exp(u) > 0``, ``abs(u) >= 0``,
   ``-1 <= sin(u) <= 1``…); the method names the argument used;
3. sums over sizes: each size up to the bound;
4. otherwise ``numeric`` (held at every sampled point) or ``unknown``.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass

import sympy

from derivcheck.bounds import (
    INEQUALITY_PRECISION as HIGH_PREC,
    MAX_BOUNDARY_POINTS,
    MAX_INEQUALITY_SPLIT_DEPTH as MAX_SPLIT_DEPTH,
    MAX_INSTANCES,
    MAX_METHOD_TEXT as MAX_METHOD,
    MAX_SOLVES,
    MIN_HOLDING_POINTS,
)
from derivcheck.check.ladder.sums import step_conditions
from derivcheck.check.limits import proof_share, time_limit
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.prove.assume import (
    Relation,
    apply,
    encode,
    linear_atom,
    scenarios,
    truth,
)
from derivcheck.check.prove.equality import decide_extrema, monotone_core, prove_zero, sign_arguments
from derivcheck.check.prove.sizes import Shape, assignments, instantiate, proved_for_sizes
from derivcheck.check.screen.certified import Unevaluable, bounded_value, differs_from
from derivcheck.check.screen.sampling import (
    CONFIRM_PREC,
    PLAIN_VALUES,
    SCREEN_PREC,
    Point,
    _draw_point,
    allowed_by_assumptions,
    concrete_functions,
    evaluate,
    simpler_values,
)
from derivcheck.errors import CheckTimeout

STRICT = {"<": True, "<=": False, ">": True, ">=": False}
_BOUND_INDEX = 917_000_017  # fixed dummy_index of canonical bound variables
_KINDS = (
    "sign rules", "exp is increasing", "log is increasing", "bound ", "exp(u) > 0, and exp(u) <= 1", "max/min decided"
)
_TOLERANCE = {
    SCREEN_PREC: sympy.Float("1e-20", SCREEN_PREC),
    CONFIRM_PREC: sympy.Float("1e-45", CONFIRM_PREC),
    HIGH_PREC: sympy.Float("1e-80", HIGH_PREC),
}
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


@dataclass(frozen=True)
class SignProof:
    """How a sign was decided, and in how many cases."""

    method: str
    cases: int = 1


def goal_of(previous: sympy.Expr, current: sympy.Expr, relation: str) -> SignGoal:
    """``previous rel current`` as a sign goal on one expression."""
    if relation in ("<", "<="):
        return SignGoal(current - previous, STRICT[relation])
    if relation in (">", ">="):
        return SignGoal(previous - current, STRICT[relation])
    raise ValueError(f"not an inequality: {relation}")


def check_inequality(task, config) -> Outcome:
    """The verdict of ``task.previous task.relation task.current`` under the task's conditions."""

    relation = task.relation
    a, b = instantiate(task.previous, {}), instantiate(task.current, {})
    a, b = canonical_bound_variables(a), canonical_bound_variables(b)
    prepared = step_conditions(a, b, task.conditions, task.symbols, config.max_size)
    relations, shape = prepared.relations, prepared.shape
    tried = ["boundary points", "numeric screen"]
    search = search_counterexample(a, b, relation, prepared.sampled, shape, config)
    if search.counterexample is not None:
        return _wrong(search, relation)
    tried.append("symbolic sign proof")
    stopped = None
    try:
        with time_limit(proof_share(config.timeout, shape)):
            proof = prove_relation(a, b, relation, relations)
        if proof is not None:
            return Outcome(Verdict.PROVED, proof.method, points=search.held)
    except CheckTimeout:
        stopped = "the symbolic proof hit its share of the time limit"
    if not shape.empty:
        tried.append(f"sizes up to {config.max_size}")
        sized = _prove_for_sizes(a, b, relation, relations, shape, config)
        if sized is not None:
            return sized.with_(points=search.held)
    return _undecided(search, relation, tried, stopped)


def canonical_bound_variables(expr: sympy.Expr) -> sympy.Expr:
    """Give the bound variable of each Sum/Product one fixed Dummy per name, so equal sums cancel.

    Each parsed Sum has its own Dummy; ``Sum(f, (k, 1, C)) - Sum(f, (k, 1, C))`` written in
    two steps would not cancel. Nested sums over the same name are left alone.
    """

    def rename(node):
        variable = node.limits[0][0]
        inner = [n for n in node.function.atoms(sympy.Sum, sympy.Product) if n.limits[0][0].name == variable.name]
        if inner or len(node.limits) != 1:
            return node
        fixed = sympy.Dummy(variable.name, dummy_index=_BOUND_INDEX, **variable.assumptions0)
        return node.xreplace({variable: fixed})

    return expr.replace(lambda n: isinstance(n, (sympy.Sum, sympy.Product)), rename)


# -- proof ------------------------------------------------------------------------------------


def prove_relation(a: sympy.Expr, b: sympy.Expr, relation: str, relations: list[Relation]) -> SignProof | None:
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
                    return SignProof(f"{unconditional.method} (without the conditions)", unconditional.cases)
            return None
        methods.append(proof.method)
        cases += proof.cases
    if not methods:
        return SignProof("conditions are contradictory", 0)
    method = " / ".join(dict.fromkeys(methods))
    if len(plans) > 1:
        method = f"{len(plans)} scenarios from the conditions: {method}"
    return SignProof(method, cases)


def _sign_with_splits(goal: SignGoal, depth: int) -> SignProof | None:
    method = decide_sign(goal)
    if method is not None:
        return SignProof(method)
    expr = goal.expr
    decided = decide_extrema(expr)
    if decided != expr:
        method = decide_sign(SignGoal(decided, goal.strict))
        if method is not None:
            return SignProof(f"max/min decided by monotonicity, {method}")
        expr = decided
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
            if not plans:  # this sign is impossible under the assumptions
                continue
            sub = _sign_with_splits(SignGoal(apply(expr, plans[0]), goal.strict), depth + 1)
            if sub is None:
                return None
            cases += sub.cases
            shown_op = {">": "<", "<": ">"}.get(op, op) if flip else op
            methods.append(f"{shown} {shown_op.replace('==', '=')} 0: {sub.method}")
        method = f"cases on the sign of {shown} ({'; '.join(methods)})"
        if len(method) > MAX_METHOD:
            kinds = [k for k in _KINDS if k in method]
            method = f"cases on the sign of {shown} and further splits, {cases} cases ({'; '.join(kinds)})"
        return SignProof(method, cases)
    return None


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


def _forms(expr: sympy.Expr):
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


def _sum_of_exp_bound(total: sympy.Sum, coeff, whole: sympy.Expr):
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


# -- refutation -------------------------------------------------------------------------------


@dataclass
class Search:
    """What the search for a failing point found."""

    held: int = 0
    tried: int = 0
    counterexample: Point | None = None
    values: tuple[str, str] | None = None
    equal_there: bool = False
    boundary: bool = False
    inconclusive: int = 0


def holds_at(a_value, b_value, relation: str, prec: int) -> bool | None:
    """Whether ``a relation b`` holds for two numbers at ``prec`` digits; None when too close to tell."""
    gap = (b_value - a_value) if relation in ("<", "<=") else (a_value - b_value)
    scale = max(sympy.Float(1, prec), abs(a_value), abs(b_value))
    tolerance = _TOLERANCE[prec] * scale
    if gap > tolerance:
        return True
    if gap < -tolerance:
        return False
    return None  # equal to within rounding: decided exactly by the caller


def search_counterexample(a, b, relation: str, relations: list[Relation], shape: Shape, config) -> Search:
    """Look for a point allowed by the conditions where the relation fails: boundary points first."""
    (a, b), functions = concrete_functions([a, b])
    shapes = list(assignments(shape, relations, config.max_size)) if not shape.empty else [{}]
    shapes = sorted(shapes, key=lambda m: sum(int(m[k]) for k in shape.sizes if k in m))[:6]
    search = Search()
    rng = random.Random(config.seed)
    for mapping in shapes:
        ai, bi = instantiate(a, mapping), instantiate(b, mapping)
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        for values in _boundary_points(ai, bi, rels):
            if _try_point(ai, bi, relation, rels, Point(dict(mapping), values, functions), search, boundary=True):
                return search
    attempts = 0
    while search.tried < config.samples + MAX_BOUNDARY_POINTS and attempts < config.samples * 8:
        attempts += 1
        mapping = shapes[(attempts - 1) % len(shapes)] if shapes else {}
        drawn = _draw_point(a, b, relations, mapping, rng, attempts - 1)
        if drawn is None:
            continue
        point, ai, bi = drawn
        point.functions = functions
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        if _try_point(ai, bi, relation, rels, point, search):
            _simplify(ai, bi, relation, rels, search)
            return search
        if attempts >= config.samples and search.tried >= config.samples:
            break
    return search


def _try_point(ai, bi, relation, rels, point: Point, search: Search, boundary: bool = False) -> bool:
    values = point.values
    if any(truth(r.substitute(values)) is not True for r in rels):
        return False
    search.tried += 1
    verdict = _relation_at(ai, bi, relation, values)
    if verdict is None:
        search.inconclusive += 1
        return False
    holds, shown, equal = verdict
    if holds:
        search.held += 1
        return False
    search.counterexample = point
    search.values = shown
    search.equal_there = equal
    search.boundary = boundary
    return True


def _relation_at(ai, bi, relation: str, values: dict):
    """``(holds, (a, b) shown, equal)`` at a point, confirmed at high precision; None if undefined or undecided."""
    screened = _real_values(ai, bi, values, SCREEN_PREC)
    if screened is None:
        return None
    if holds_at(*screened, relation, SCREEN_PREC) is True:
        return True, (_num(screened[0]), _num(screened[1])), False
    confirmed_at = _real_values(ai, bi, values, CONFIRM_PREC)
    if confirmed_at is None:
        return None
    ca, cb = confirmed_at
    confirmed = holds_at(ca, cb, relation, CONFIRM_PREC)
    if confirmed is True:
        return True, (_num(ca), _num(cb)), False
    if confirmed is False:
        high = _real_values(ai, bi, values, HIGH_PREC)
        if high is not None and holds_at(*high, relation, HIGH_PREC) is False:
            return False, (_num(ca), _num(cb)), False
        return None
    # Equal to 45 digits: a non-strict relation holds if they are equal; a strict
    # one fails only when the equality is exact.
    if not _exactly_equal(ai, bi, values):
        return (True, (_num(ca), _num(cb)), False) if not STRICT[relation] else None
    return (not STRICT[relation]), (_num(ca), _num(cb)), True


def _real_values(ai, bi, values: dict, prec: int) -> tuple[sympy.Float, sympy.Float] | None:
    """Both sides at the point to ``prec`` digits, or None when one is undefined or not real."""
    va, vb = evaluate(ai, values, prec), evaluate(bi, values, prec)
    if va is None or vb is None or isinstance(va, complex) or isinstance(vb, complex):
        return None
    return va, vb


def _exactly_equal(ai, bi, values: dict) -> bool:
    try:
        difference = (ai - bi).xreplace(values)
        if difference.free_symbols:
            return False
        # A difference that error-bounded evaluation tells from zero (exp(-10**6)
        # is tiny, not 0) is decided there; only a true tie needs a proof.
        try:
            if differs_from(bounded_value(difference), sympy.S.Zero) is True:
                return False
        except Unevaluable:
            pass
        return prove_zero(difference, 0.5) is not None
    except CheckTimeout:
        return False
    except Exception:
        return False


def _boundary_points(ai, bi, rels):
    """Points where a branch switches or the two sides may meet, then small simple values."""
    exprs = [ai, bi] + [r.expr for r in rels]
    atoms = sorted(
        {s for e in exprs for s in e.free_symbols if isinstance(s, (sympy.Symbol, sympy.Indexed))}, key=str
    )
    atoms = [s for s in atoms if not any(i.base.label == s for e in (ai, bi) for i in e.atoms(sympy.Indexed))]
    if not atoms:
        yield {}
        return
    seen = []
    for point in itertools.chain(_switch_points(ai, bi, atoms), _simple_points(atoms)):
        point = {atom: value for atom, value in point.items() if allowed_by_assumptions(atom, value)}
        if len(point) != len(atoms) or point in seen:
            continue
        seen.append(point)
        if len(seen) > MAX_BOUNDARY_POINTS:
            return
        yield point


def _switch_points(ai, bi, atoms):
    """Zeros of each branch argument and of the difference, solved for one atom, the others 0, 1 or -1."""
    targets = sign_arguments(ai) + sign_arguments(bi)
    difference = ai - bi
    if not difference.has(sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Piecewise):
        targets.append(difference)  # with a branch inside, solve rarely helps and costs time
    budget = [MAX_SOLVES]
    for target in targets:
        for base in (sympy.Integer(0), sympy.Integer(1), sympy.Integer(-1)):
            for atom in atoms:
                others = {o: base for o in atoms if o != atom}
                reduced = target.xreplace(others)
                for root in _real_roots(reduced, atom, budget):
                    yield {**others, atom: root}


def _real_roots(expr, atom, budget: list) -> list:
    if atom not in expr.free_symbols or expr.free_symbols != {atom}:
        return []
    linear = linear_atom(expr)
    if linear is not None and linear[0] == atom:
        return [-linear[2] / linear[1]]
    if budget[0] <= 0:
        return []
    budget[0] -= 1
    try:
        with time_limit(0.5):
            solutions = sympy.solve(expr, atom)
    except (CheckTimeout, NotImplementedError, ValueError, TypeError):
        return []
    except Exception:
        return []
    roots = []
    for root in solutions[:4] if isinstance(solutions, list) else []:
        if root.is_real and not root.free_symbols and sympy.count_ops(root) < 20:
            roots.append(root)
    return roots


def _simple_points(atoms):
    count = 0
    for combo in itertools.product(PLAIN_VALUES, repeat=len(atoms)):
        count += 1
        if count > MAX_BOUNDARY_POINTS:
            return
        yield dict(zip(atoms, combo))


def _simplify(ai, bi, relation, rels, search: Search) -> None:
    """Replace each value of a sampled counterexample by a simpler one where the relation still fails."""
    point = search.counterexample
    assert point is not None  # called for a counterexample

    def still_fails(trial: dict) -> bool:
        verdict = _relation_at(ai, bi, relation, trial)
        if verdict is None or verdict[0]:
            return False
        search.values, search.equal_there = verdict[1], verdict[2]
        return True

    current = simpler_values(point.values, rels, still_fails)
    search.counterexample = Point(point.shape, current, point.functions)


def _num(value) -> str:
    text = sympy.sstr(sympy.Float(value, 15))
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# -- verdicts ---------------------------------------------------------------------------------


def _wrong(search: Search, relation: str) -> Outcome:
    assert search.counterexample is not None  # called for a counterexample
    point = ", ".join(f"{k} = {v}" for k, v in search.counterexample.describe().items())
    if search.equal_there:
        detail = (
            f"the two sides are equal at {point or 'every point'}, so '{relation}' fails there "
            f"(it holds there as '{relation}=')"
        )
    else:
        detail = f"'previous {relation} this' fails at {point or 'every point'}"
    method = "boundary point" if search.boundary else "numeric screen"
    return Outcome(
        Verdict.WRONG,
        method,
        detail,
        counterexample=search.counterexample.describe(),
        values=search.values,
        points=search.held,
        hint=f"write 'rel: \"{relation}=\"'" if search.equal_there and relation in ("<", ">") else None,
    )


def _undecided(search: Search, relation: str, tried: list[str], stopped: str | None) -> Outcome:
    hint = "add an assumption (sign, range), split the step with 'cases:', or write smaller steps"
    if search.held >= MIN_HOLDING_POINTS:
        detail = f"no proof found; 'previous {relation} this' holds at all {search.held} sampled points"
        if stopped:
            detail += f" ({stopped})"
        return Outcome(Verdict.NUMERIC, "numeric screen", detail, points=search.held, tried=tuple(tried), hint=hint)
    reason = (
        "no sample point satisfies the conditions"
        if search.tried == 0
        else f"the relation could be decided at only {search.held} of {search.tried} points"
    )
    detail = f"no proof found and {reason}" + (f" ({stopped})" if stopped else "")
    return Outcome(Verdict.UNKNOWN, "none", detail, points=search.held, tried=tuple(tried), hint=hint)


def _prove_for_sizes(a, b, relation, relations, shape: Shape, config) -> Outcome | None:
    """Prove the relation for every size up to ``config.max_size`` (None if some size is undecided)."""
    sizes_seen: set[int] = set()
    count = 0
    for mapping in assignments(shape, relations, config.max_size):
        count += 1
        if count > MAX_INSTANCES:
            return None
        ai, bi = instantiate(a, mapping), instantiate(b, mapping)
        if ai.has(sympy.Sum, sympy.Product) or bi.has(sympy.Sum, sympy.Product):
            return None
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        if prove_relation(ai, bi, relation, rels) is None:
            return None
        sizes_seen.update(int(mapping[s]) for s in shape.sizes if s in mapping)
    if count == 0:
        return None
    return proved_for_sizes(shape, sizes_seen, count, config.max_size, f"'{relation}' proved")
