"""The relation of a step as a strategy of the one verdict ladder (check/ladder/engine.py).

Every step is ``previous rel this`` with ``rel`` one of ``==``, ``<=``, ``<``,
``>=``, ``>``. The ladder (screen, general proof, sizes, larger sizes,
evidence) is the same for all; a relation brings what differs:

- how a point is judged: ``==`` by the difference with its own error bound
  (check/screen/sampling.py); an order by the sign of the certified interval
  of the larger side minus the smaller, an exact tie decided exactly (a
  strict relation fails there, a non-strict one holds);
- how the screen looks for a failing point: an order tries boundary points
  first (where an ``abs``, ``max`` or ``min`` switches branch, where the
  sides meet, small simple values), then sampled points;
- how it is proved: ``prove_equal`` or the sign proof of check/prove/signs.py;
- how a failure and an undecided step are worded.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import sympy

from derivcheck.bounds import (
    MAX_BOUNDARY_POINTS,
    MAX_EARLY_PROOF_SECONDS,
    MAX_FAR_POINTS,
    MAX_SCAN_POINTS,
    MAX_SOLVES,
    MIN_AGREEING_POINTS,
    MIN_HOLDING_POINTS,
)
from derivcheck.check.limits import own_time_limit, seconds_left
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import plain_number
from derivcheck.check.prove.assume import Relation, linear_atom, truth
from derivcheck.check.prove.equality import Proof, prove_equal, sign_arguments
from derivcheck.check.prove.signs import STRICT, goal_of, prove_relation
from derivcheck.check.prove.sizes import Shape, assignments, instantiate
from derivcheck.check.screen.branches import certified_sign, proved_zero
from derivcheck.check.screen.certified import Unevaluable, fits_exactly
from derivcheck.check.screen.sampling import (
    PLAIN_VALUES,
    SCREEN_PREC,
    Point,
    Screen,
    _draw_point,
    allowed_by_assumptions,
    bound_variables,
    bounded_at,
    certified_agreement,
    compare_at,
    concrete_functions,
    constants_outcome,
    evaluate,
    growth_arguments,
    moderate_growth,
    real_roots,
    refute_at_high_precision,
    screen,
    shown_values,
    simpler_values,
)

_BOUND_INDEX = 917_000_017  # fixed dummy_index of canonical bound variables
_HINT = "add an assumption (sign, range), split the step with 'cases:', or write smaller steps"


class RelationRule(Protocol):
    """What one relation brings to the ladder."""

    @property
    def relation(self) -> str:
        """``==``, ``<=``, ``<``, ``>=`` or ``>``."""
        ...

    def prepare(self, a: sympy.Expr, b: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
        """The two sides as the rest of the ladder sees them."""
        ...

    def screen(
        self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], shape: Shape, samples: int, max_size: int,
        seed: int, budget: float | None = None, early: EarlyProof | None = None,
    ) -> Screen:
        """Look for a point the conditions allow where the relation fails, within ``budget`` CPU seconds.

        ``early``: the step's proof, which a search may try before its longer part (then it stops
        when the proof succeeds, ``EarlyProof``); a screen without such a part does not try it.
        """
        ...

    def prove(self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float) -> Proof | None:
        """A symbolic proof of the relation under ``relations``, or None."""
        ...

    def fails_at(self, a: sympy.Expr, b: sympy.Expr, values: dict) -> bool:
        """Whether the relation certainly fails between the constant sides at ``values``."""
        ...

    def refute_near_misses(self, found: Screen) -> Screen | None:
        """A counterexample among the points the screen let pass, decided at high precision."""
        ...

    def wrong(self, found: Screen, method: str, where: str | None = None, prefix: str = "") -> Outcome:
        """The ``wrong`` outcome of a confirmed counterexample."""
        ...

    def undecided(self, found: Screen, tried: list[str], stopped: str | None) -> Outcome:
        """``numeric`` (held at enough points) or ``unknown``."""
        ...

    def proof_form(self) -> str:
        """What a proof showed, for the evidence (``previous - this step reduces to 0``)."""
        ...


@dataclass(frozen=True)
class Equality:
    """``previous == this``."""

    relation: str = "=="

    def prepare(self, a: sympy.Expr, b: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
        return a, b

    def screen(
        self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], shape: Shape, samples: int, max_size: int,
        seed: int, budget: float | None = None, early: EarlyProof | None = None,
    ) -> Screen:
        return screen(a, b, relations, shape, samples, max_size, seed, budget)  # no far part: ``early`` unused

    def prove(self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float) -> Proof | None:
        return prove_equal(a, b, relations, budget)

    def fails_at(self, a: sympy.Expr, b: sympy.Expr, values: dict) -> bool:
        if compare_at(a, b, values, exact=True) == "differ":
            return True
        if values or a.free_symbols or b.free_symbols:
            return False
        # Two constants: decided as the screen decided them, to as many digits as it takes.
        agreement = certified_agreement(a, b)
        return agreement is not None and agreement.counterexample

    def refute_near_misses(self, found: Screen) -> Screen | None:
        return refute_at_high_precision(found)

    def wrong(self, found: Screen, method: str, where: str | None = None, prefix: str = "") -> Outcome:
        return _wrong(found, method, f"{prefix}the two sides differ {where or 'at the point shown'}")

    def undecided(self, found: Screen, tried: list[str], stopped: str | None) -> Outcome:
        return constants_outcome(found) or _undecided(
            found, tried, stopped, "the sides agree", MIN_AGREEING_POINTS, "the sides could be evaluated"
        )

    def proof_form(self) -> str:
        return "previous - this step reduces to 0"


@dataclass(frozen=True)
class Order:
    """``previous rel this`` for ``rel`` one of ``<=``, ``<``, ``>=``, ``>``."""

    relation: str

    def prepare(self, a: sympy.Expr, b: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
        return canonical_bound_variables(a), canonical_bound_variables(b)

    def screen(
        self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], shape: Shape, samples: int, max_size: int,
        seed: int, budget: float | None = None, early: EarlyProof | None = None,
    ) -> Screen:
        with own_time_limit(budget):
            return search_counterexample(a, b, self.relation, relations, shape, samples, max_size, seed, early)
        return Search(stopped=True)  # the search's share ran out: the proof keeps its time

    def prove(self, a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float) -> Proof | None:
        return prove_relation(a, b, self.relation, relations)

    def fails_at(self, a: sympy.Expr, b: sympy.Expr, values: dict) -> bool:
        judged = relation_at(a, b, self.relation, values)
        return judged is not None and not judged.holds

    def refute_near_misses(self, found: Screen) -> Screen | None:
        return None  # every point was already decided on a certified interval

    def wrong(self, found: Screen, method: str, where: str | None = None, prefix: str = "") -> Outcome:
        assert found.counterexample is not None  # called for a counterexample
        point = ", ".join(f"{k} = {v}" for k, v in found.counterexample.describe().items())
        equal = isinstance(found, Search) and found.equal_there
        if equal:
            detail = (
                f"{prefix}the two sides are equal at {point or 'every point'}, so '{self.relation}' fails there "
                f"(it holds there as '{self.relation}=')"
            )
        elif isinstance(found, Search) and found.not_real:
            detail = (
                f"{prefix}a side is not real at {point or 'every point'}, so 'previous {self.relation} this' "
                "fails there (an order compares real numbers)"
            )
        else:
            detail = f"{prefix}'previous {self.relation} this' fails {where or 'at ' + (point or 'every point')}"
        hint = f"write 'rel: \"{self.relation}=\"'" if equal and self.relation in ("<", ">") else None
        return _wrong(found, method, detail).with_(hint=hint)

    def undecided(self, found: Screen, tried: list[str], stopped: str | None) -> Outcome:
        return _undecided(
            found, tried, stopped, f"'previous {self.relation} this' holds", MIN_HOLDING_POINTS,
            "the relation could be decided",
        )

    def proof_form(self) -> str:
        op = ">" if STRICT[self.relation] else ">="
        larger = "this step - previous" if self.relation in ("<", "<=") else "previous - this step"
        return f"{larger} {op} 0"


def rule_for(relation: str) -> RelationRule:
    """The strategy of ``relation`` (``==`` or an order)."""
    if relation == "==":
        return Equality()
    if relation in STRICT:
        return Order(relation)
    raise ValueError(f"not a relation: {relation}")


def _wrong(found: Screen, method: str, detail: str) -> Outcome:
    assert found.counterexample is not None  # called for a counterexample
    return Outcome(
        Verdict.WRONG,
        method,
        detail,
        counterexample=found.counterexample.describe(),
        values=found.values,
        points=found.agreed,
    )


def _undecided(
    found: Screen, tried: list[str], stopped: str | None, agreement: str, minimum: int, judged: str
) -> Outcome:
    """``numeric`` when ``agreement`` held at ``minimum`` points or more, else ``unknown`` saying at how
    many points ``judged`` (the sides could be evaluated, the relation decided)."""
    if found.agreed >= minimum:
        detail = f"no proof found; {agreement} at all {found.agreed} sampled points"
        if stopped:
            detail += f" ({stopped})"
        return Outcome(
            Verdict.NUMERIC, "numeric screen", detail, points=found.agreed, tried=tuple(tried), hint=_HINT
        )
    if found.tried == 0:
        reason = "no sample point satisfies the conditions"
    else:
        reason = f"{judged} at only {found.agreed} of {found.tried} points"
    detail = f"no proof found and {reason}" + (f" ({stopped})" if stopped else "")
    return Outcome(Verdict.UNKNOWN, "none", detail, points=found.agreed, tried=tuple(tried), hint=_HINT)


def canonical_bound_variables(expr: sympy.Expr) -> sympy.Expr:
    """Give the bound variable of each Sum/Product one fixed Dummy per name, so equal sums cancel.

    Each parsed Sum has its own Dummy; ``Sum(f, (k, 1, C)) - Sum(f, (k, 1, C))`` written in
    two steps would not cancel. Nested sums over the same name are left alone.
    """

    def rename(node: sympy.Basic) -> sympy.Basic:
        variable = node.limits[0][0]
        inner = [n for n in node.function.atoms(sympy.Sum, sympy.Product) if n.limits[0][0].name == variable.name]
        if inner or len(node.limits) != 1:
            return node
        fixed = sympy.Dummy(variable.name, dummy_index=_BOUND_INDEX, **variable.assumptions0)
        return node.xreplace({variable: fixed})

    return expr.replace(lambda n: isinstance(n, (sympy.Sum, sympy.Product)), rename)


# -- an order at one point --------------------------------------------------------------------


@dataclass(frozen=True)
class AtPoint:
    """An order decided at one point: whether it holds, and whether the sides are exactly equal there."""

    holds: bool
    equal: bool = False
    not_real: bool = False  # a side has a certified nonzero imaginary part: no order holds there


def relation_at(ai: sympy.Expr, bi: sympy.Expr, relation: str, values: dict) -> AtPoint | None:
    """``ai relation bi`` at the point, decided on the certified sign of the gap; None if undecided.

    The gap (the larger side minus the smaller) is evaluated with its own error
    bound: it holds or fails only when the interval lies on one side of 0. A
    gap that cannot be told from 0 is decided only when it is exactly 0 (a
    strict relation then fails, a non-strict one holds); otherwise, and where
    a side is undefined or not real, the point decides nothing.
    """
    reality = _reality_at(ai, bi, values)
    if reality is not True:
        return None if reality is None else AtPoint(False, not_real=True)
    gap = goal_of(ai, bi, relation).expr
    try:
        bounded = bounded_at(gap, values)
    except Unevaluable:
        return None
    sign = certified_sign(bounded)
    if sign is None:
        # A gap evaluated to a precise nonzero value below the error floor (1/(1 + exp(10**6)))
        # is no tie: the point stays undecided without a proof attempt that cannot succeed.
        if bounded.value != 0 or not _exactly_zero_at(gap, values):
            return None
        sign = 0
    if sign == 0:
        return AtPoint(not STRICT[relation], equal=True)
    return AtPoint(sign > 0)


def _reality_at(ai: sympy.Expr, bi: sympy.Expr, values: dict) -> bool | None:
    """True when both sides are real at the point, False when one is defined and certainly not
    real (its imaginary part bounded away from 0), None when a side is undefined or undecided."""
    real = True
    for side in (ai, bi):
        value = evaluate(side, values, SCREEN_PREC)
        if value is None:
            return None
        if isinstance(value, complex):
            try:
                bounded = bounded_at(side, values)
            except Unevaluable:
                return None
            imag = bounded.value.as_real_imag()[1]
            if abs(sympy.N(imag, 60)) <= bounded.error:
                return None  # an imaginary part lost in rounding: undecided
            real = False
    return real


def _exactly_zero_at(gap: sympy.Expr, values: dict) -> bool:
    if not fits_exactly(gap, values):
        return False  # an exact tie would have to be decided on numbers too large to build
    difference = gap.xreplace(values)
    return not difference.free_symbols and proved_zero(difference)


# -- the search for a failing point -----------------------------------------------------------


@dataclass
class EarlyProof:
    """The step's proof, tried once by the inequality search when its near (boundary) points found nothing.

    The far points and the sampled points that follow cost far more than most proofs
    (a far point can hold a gap too small to tell from 0, whose tie proof fails only after
    its budget): a step proved here needs none of them, since a proved relation has no
    failing point to find. ``attempt`` returns a proof or None; ``proof`` is what it found;
    ``known``: the attempt ran to its end within its time, so the ladder's proof rung
    would find the same and is not run again.
    """

    attempt: Callable[[], Proof | None]
    tried: bool = False
    proof: Proof | None = None
    known: bool = False

    def proves(self) -> bool:
        """Try the proof once (within MAX_EARLY_PROOF_SECONDS, at most half the time left); whether it succeeded."""
        if not self.tried:
            self.tried = True
            left = seconds_left()
            seconds = MAX_EARLY_PROOF_SECONDS if left is None else min(MAX_EARLY_PROOF_SECONDS, left / 2)
            with own_time_limit(seconds) as spent:
                self.proof = self.attempt()
            self.known = not spent.ran_out
        return self.proof is not None


@dataclass
class Search(Screen):
    """What the search for a failing point found (``agreed``: points where the relation held)."""

    equal_there: bool = False
    not_real: bool = False
    boundary: bool = False
    inconclusive: int = 0


def search_counterexample(
    a: sympy.Expr,
    b: sympy.Expr,
    relation: str,
    relations: list[Relation],
    shape: Shape,
    samples: int,
    max_size: int,
    seed: int,
    early: EarlyProof | None = None,
) -> Search:
    """Look for a point allowed by the conditions where the relation fails: boundary points first.

    With ``early``, the step's proof is tried once the first size assignment's boundary points
    found nothing; when it succeeds the search ends there (no failing point exists).
    """
    (a, b), functions = concrete_functions([a, b])
    shapes = list(assignments(shape, relations, max_size)) if not shape.empty else [{}]
    shapes = sorted(shapes, key=lambda m: sum(int(m[k]) for k in shape.sizes if k in m))[:6]
    search = Search()
    rng = random.Random(seed)
    for mapping in shapes:
        ai, bi = instantiate(a, mapping), instantiate(b, mapping)
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        for values in _boundary_points(ai, bi, rels):
            if _try_point(ai, bi, relation, rels, Point(dict(mapping), values, functions), search, boundary=True):
                return search
        if early is not None and early.proves():
            return search
        for values in itertools.chain(_far_points(ai, bi, rels), _scan_points(ai, bi, rels)):
            if _try_point(ai, bi, relation, rels, Point(dict(mapping), values, functions), search):
                _simplify(ai, bi, relation, rels, search)
                return search
    attempts = 0
    while search.tried < samples + MAX_BOUNDARY_POINTS and attempts < samples * 8 and shapes:
        attempts += 1
        mapping = shapes[(attempts - 1) % len(shapes)]
        drawn = _draw_point(a, b, relations, mapping, rng, attempts - 1)
        if drawn is None:
            continue
        point, ai, bi = drawn
        point.functions = functions
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        if _try_point(ai, bi, relation, rels, point, search):
            _simplify(ai, bi, relation, rels, search)
            return search
        if attempts >= samples and search.tried >= samples:
            break
    return search


def _try_point(
    ai: sympy.Expr, bi: sympy.Expr, relation: str, rels: list[Relation], point: Point, search: Search,
    boundary: bool = False,
) -> bool:
    values = point.values
    if any(truth(r.substitute(values)) is not True for r in rels):
        return False
    search.tried += 1
    judged = relation_at(ai, bi, relation, values)
    if judged is None:
        search.inconclusive += 1
        return False
    if judged.holds:
        search.agreed += 1
        if len(search.agreeing) < 4:
            search.agreeing.append((point, ai, bi))
        return False
    search.counterexample = point
    search.values = _shown(ai, bi, values, judged)
    search.equal_there, search.not_real = judged.equal, judged.not_real
    search.boundary = boundary
    return True


def _shown(ai: sympy.Expr, bi: sympy.Expr, values: dict, judged: AtPoint) -> tuple[str, str]:
    """Both sides at a failing point: exactly equal ones as they are, others with the digits that tell them apart."""
    if judged.equal:
        shown = tuple(_plain_at(side, values) for side in (ai, bi))
        return shown[0], shown[1]
    return shown_values(ai, bi, values)


def _plain_at(side: sympy.Expr, values: dict) -> str:
    value = evaluate(side, values, SCREEN_PREC)
    return "undefined" if value is None else plain_number(value)


def _boundary_points(ai: sympy.Expr, bi: sympy.Expr, rels: list[Relation]) -> Iterator[dict]:
    """Points where a branch switches or the two sides may meet, then small simple values."""
    atoms = _search_atoms(ai, bi, rels)
    if not atoms:
        yield {}
        return
    seen: list[dict] = []
    for point in itertools.chain(_switch_points(ai, bi, atoms), _simple_points(atoms)):
        point = {atom: value for atom, value in point.items() if allowed_by_assumptions(atom, value)}
        if len(point) != len(atoms) or point in seen:
            continue
        seen.append(point)
        if len(seen) > MAX_BOUNDARY_POINTS:
            return
        yield point


def _search_atoms(ai: sympy.Expr, bi: sympy.Expr, rels: list[Relation]) -> list:
    """The symbols (and elements) a boundary or far point gives values to: not bound, not a vector named whole."""
    exprs = [ai, bi] + [r.expr for r in rels]
    atoms = sorted(
        {s for e in exprs for s in e.free_symbols if isinstance(s, (sympy.Symbol, sympy.Indexed))}, key=str
    )
    bound = bound_variables(exprs)
    return [
        s for s in atoms
        if not any(i.base.label == s for e in (ai, bi) for i in e.atoms(sympy.Indexed)) and not (s.free_symbols & bound)
    ]


_FAR_EXPONENTS = range(1, 7)
"""The far points' magnitudes: 10, 100, …, 10**6."""


def _far_points(ai: sympy.Expr, bi: sympy.Expr, rels: list[Relation]) -> Iterator[dict]:
    """Points far out at growing scales: every atom at +10**k, every atom at -10**k, then each atom alone.

    A relation can fail only far out (``log(1 + exp(y/17)) <= max(y/26, 0) + log(2)`` for y > 34.4).
    Each sign pattern grows from 10 to 10**6 and stops growing where an exp, trig or power argument
    would pass MAX_GROWTH (the equality screen's bound), so a far point is always evaluated with a
    bounded precision; a pattern is not dropped because its largest scale is too far.
    """
    atoms = _search_atoms(ai, bi, rels)
    if not atoms:
        return
    growth = growth_arguments([ai, bi])
    # atom -> the sign it is scaled with, or None: the atom stays at 1
    patterns: list[dict] = [dict.fromkeys(atoms, 1), dict.fromkeys(atoms, -1)]
    if len(atoms) > 1:
        for atom in atoms:
            for sign in (1, -1):
                patterns.append({other: (sign if other == atom else None) for other in atoms})
    count = 0
    for pattern in patterns:
        for exponent in _FAR_EXPONENTS:
            scale = sympy.Integer(10) ** exponent
            point = {atom: sympy.Integer(1) if sign is None else sign * scale for atom, sign in pattern.items()}
            if not all(allowed_by_assumptions(atom, value) for atom, value in point.items()):
                break
            if not moderate_growth(growth, point):
                break  # larger scales grow further still
            count += 1
            if count > MAX_FAR_POINTS:
                return
            yield point


_SCAN_STEP = sympy.Rational(1, 2)


def _scan_points(ai: sympy.Expr, bi: sympy.Expr, rels: list[Relation]) -> Iterator[dict]:
    """A grid of moderate values: every atom together, then each atom alone (the others at 1).

    ``sin(y) + (y - 5)**2 >= -sin(y)`` fails only for 3.8 < y < 5.9: too far out for the simple
    values, too near for the far ones, and rarely drawn at random. Magnitudes grow by 1/2 from 1/2,
    both signs, within MAX_SCAN_POINTS shared by the patterns; a grown argument past MAX_GROWTH
    ends a pattern, as for the far points.
    """
    atoms = [a for a in _search_atoms(ai, bi, rels) if not a.is_integer]
    if not atoms:
        return
    growth = growth_arguments([ai, bi])
    patterns = [None, *atoms] if len(atoms) > 1 else [None]  # None: every atom together
    per_pattern = MAX_SCAN_POINTS // (2 * len(patterns))
    for pattern in patterns:
        for sign in (1, -1):
            for k in range(1, per_pattern + 1):
                value = sign * k * _SCAN_STEP
                point = {a: value if pattern is None or a == pattern else sympy.Integer(1) for a in atoms}
                if not all(allowed_by_assumptions(a, v) for a, v in point.items()):
                    break
                if not moderate_growth(growth, point):
                    break
                yield point


_BESIDE = sympy.Rational(1, 1000)
"""How far beside a root or a pole the search tries the relation."""


def _switch_points(ai: sympy.Expr, bi: sympy.Expr, atoms: list) -> Iterator[dict]:
    """Zeros of each branch argument and of the difference, solved for one atom, the others 0, 1 or -1."""
    difference = ai - bi
    # A side changes sign across a pole too: the zeros of every denominator, then the branches.
    targets = [p.base for p in difference.atoms(sympy.Pow) if p.exp.is_negative and p.base.free_symbols]
    targets += sign_arguments(ai) + sign_arguments(bi)
    if not difference.has(sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Piecewise):
        targets.append(difference)  # with a branch inside, solve rarely helps and costs time
        # Where the gap is smallest: a tiny constant shifts the sides apart only near an extremum of the
        # difference (sin(2.5*y) + 10**-30 <= 1 fails only at the maxima of the sine).
        targets += [difference.diff(atom) for atom in atoms]
    budget = [MAX_SOLVES]
    for target in targets:
        for base in (sympy.Integer(0), sympy.Integer(1), sympy.Integer(-1)):
            for atom in atoms:
                others = {o: base for o in atoms if o != atom}
                reduced = target.xreplace(others)
                for root in _switch_roots(reduced, atom, budget):
                    # The relation may fail only beside the point where the sides meet (or a side
                    # jumps): both sides of it are tried, not only the point itself.
                    for value in (root, root - _BESIDE, root + _BESIDE):
                        yield {**others, atom: value}


def _switch_roots(expr: sympy.Expr, atom: sympy.Basic, budget: list[int]) -> list[sympy.Expr]:
    """A few simple real roots of ``expr`` in ``atom`` (its only symbol); each solve takes one of ``budget``."""
    if atom not in expr.free_symbols or expr.free_symbols != {atom}:
        return []
    linear = linear_atom(expr)
    if linear is not None and linear[0] == atom:
        return [-linear[2] / linear[1]]
    if budget[0] <= 0:
        return []
    budget[0] -= 1
    roots = real_roots(expr, atom)
    return [r for r in roots[:4] if not r.free_symbols and sympy.count_ops(r) < 20]


def _simple_points(atoms: list) -> Iterator[dict]:
    count = 0
    for combo in itertools.product(PLAIN_VALUES, repeat=len(atoms)):
        count += 1
        if count > MAX_BOUNDARY_POINTS:
            return
        yield dict(zip(atoms, combo))


def _simplify(ai: sympy.Expr, bi: sympy.Expr, relation: str, rels: list[Relation], search: Search) -> None:
    """Replace each value of a sampled counterexample by a simpler one where the relation still fails."""
    point = search.counterexample
    assert point is not None  # called for a counterexample

    def still_fails(trial: dict) -> bool:
        judged = relation_at(ai, bi, relation, trial)
        return judged is not None and not judged.holds

    current = simpler_values(point.values, rels, still_fails)
    if current != point.values:
        judged = relation_at(ai, bi, relation, current)
        if judged is not None:
            search.values = _shown(ai, bi, current, judged)
            search.equal_there, search.not_real = judged.equal, judged.not_real
    search.counterexample = Point(point.shape, current, point.functions)

