"""The verdict ladder for one step, and the evaluation of one number claim.

One ladder for every relation (``==``, ``<=``, ``<``, ``>=``, ``>``); the
relation is a strategy (check/ladder/relations.py) that judges points,
proves, and words the verdicts:

0. conditions that cannot hold together end the step ``unknown``, naming them;
1. sums over a symbolic size: a proof for every size (check/ladder/sums.py);
2. numeric screen (cheap refutation, confirmed on a certified value);
3. symbolic proof under the conditions, with sign case splits;
4. sums and indices instantiated for each size up to a bound, then screened
   at a few larger sizes;
5. near misses decided at high precision;
6. otherwise ``numeric`` (held everywhere sampled) or ``unknown``.

Every counterexample is re-checked on the step as written before it is shown.
"""

from __future__ import annotations

import fractions
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeGuard, TypeVar

import sympy

from derivcheck.bounds import (
    EXACT_INTEGRATION_SHARE,
    EXACT_PROOF_SECONDS as EXACT_PROOF_BUDGET,
    MAX_INSTANCES,
    MAX_SHOWN_FORM,
    MAX_SHOWN_NODES,
    MAX_SHOWN_POINTS,
)
from derivcheck.check.ladder.relations import EarlyProof, RelationRule, Search, rule_for
from derivcheck.check.ladder.sums import (
    CONTRADICTORY,
    every_relations,
    larger_size_assignments,
    step_conditions,
    try_general_proof,
)
from derivcheck.check.limits import OuterTimeout, memory_limit_outcome, proof_share, screen_share, time_limit
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import plain_number, readable
from derivcheck.check.prove.assume import Relation, conflicting_conditions, relations_of, truth
from derivcheck.check.prove.equality import Proof, prove_zero
from derivcheck.check.prove.integrals import IntegralUnevaluated, derivatives_of_antiderivatives, same_integrands
from derivcheck.check.prove.limits import (
    LimitSides,
    LimitUnevaluated,
    SignCase,
    differs_at,
    evaluate_limits,
    has_limit,
    limit_parameters,
    limits_under_conditions,
    resolve_limits,
    sign_cases,
)
from derivcheck.check.prove.signs import STRICT
from derivcheck.check.prove.sizes import Shape, assignments, instantiate, proved_for_sizes
from derivcheck.check.screen.branches import Undecided, decide_jumps, settle_jumps
from derivcheck.check.screen.certified import Unevaluable, bounded_value, differs_from
from derivcheck.check.screen.quadrature import quadrature_outcome
from derivcheck.check.screen.sampling import Screen, concrete_functions, evaluate
from derivcheck.check.screen.stability import StabilityTask, check_stability
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout
from derivcheck.parse.document import ParsedNumber
from derivcheck.parse.expressions import Condition, tree_measure
from derivcheck.parse.symbols import SymbolSpec

T = TypeVar("T")


@dataclass(frozen=True)
class StepTask:
    """Everything one step check needs: both sides, the conditions, the declarations."""

    previous: sympy.Expr
    current: sympy.Expr
    conditions: tuple[Condition, ...]
    symbols: tuple[SymbolSpec, ...]
    relation: str = "=="  # previous relation current: == or an order (check/ladder/relations.py)

    def check(self, config: CheckConfig) -> Outcome:
        """Run the verdict ladder on this step."""
        return check_step(self, config)


@dataclass(frozen=True)
class NumberTask:
    """One number claim to evaluate."""

    number: ParsedNumber

    def check(self, config: CheckConfig) -> Outcome:
        """Evaluate this number claim."""
        return check_number(self.number)


class Task(Protocol):
    """Anything the runner can run: a step, a number claim, a diagnosis."""

    def check(self, config: CheckConfig) -> Outcome: ...


def run_task(task: Task | bytes, config: CheckConfig) -> Outcome:
    """Return the Outcome of one task (its ``check``), within the configured time limit.

    A task sent to a worker arrives pickled (``bytes``) and is unpickled
    within the limit too: unpickling rebuilds each SymPy node, and building
    one can evaluate it, which SymPy may do slowly.
    """
    started = time.monotonic()
    try:
        with time_limit(config.timeout):
            own: Task = pickle.loads(task) if isinstance(task, bytes) else task  # noqa: S301 - the parent's task
            if isinstance(own, StabilityTask):
                outcome = check_stability(own, config)
            else:
                outcome = own.check(config)
    except CheckTimeout:
        outcome = Outcome(
            Verdict.UNKNOWN,
            "time limit",
            f"no proof or counterexample within {config.timeout:g} s",
            hint="split the step into smaller steps, or raise --timeout",
        )
    except MemoryError:
        outcome = memory_limit_outcome()
    except RecursionError:
        outcome = Outcome(Verdict.UNKNOWN, "recursion limit", "the expression is too deep to check")
    return outcome.with_(elapsed=round(time.monotonic() - started, 4))


def check_step(task: StepTask, config: CheckConfig) -> Outcome:
    """Run the verdict ladder on ``previous relation current`` under the task's conditions.

    The outcome carries the full evidence: both sides as parsed, the
    difference the proof starts from, and the points where the sides agreed.
    """
    conflict = conflicting_conditions(task.conditions)
    if conflict:
        return _contradictory(conflict)
    if has_limit(task.previous, task.current):
        return _with_antiderivatives(task, config)
    rule = rule_for(task.relation)
    evidence: dict = {}
    outcome = _ladder(task, rule, config, evidence)
    if not config.evidence:
        return outcome
    try:
        return outcome.with_(**_full_evidence(task, rule, evidence, outcome))
    except (CheckTimeout, ValueError, TypeError, ArithmeticError, RecursionError):
        # Showing the evidence never changes the verdict (a number too long to
        # print, a form SymPy cannot write): the outcome goes without it.
        return outcome


def _with_antiderivatives(task: StepTask, config: CheckConfig) -> Outcome:
    """A step with indefinite integrals holds up to a constant: both sides' derivatives are compared.

    Without one, the limits and integrals are evaluated (``_with_limits``).
    """
    try:
        derivatives = derivatives_of_antiderivatives(task.previous, task.current)
    except IntegralUnevaluated as exc:
        return Outcome(Verdict.UNKNOWN, "antiderivative", str(exc), hint="write one antiderivative per step")
    if derivatives is None:
        return _with_limits(task, config)
    x = readable(derivatives.variable)
    if task.relation != "==":
        return Outcome(
            Verdict.UNKNOWN,
            "antiderivative",
            f"an antiderivative in {x} is defined up to a constant, so it is not ordered against another value",
            hint="compare antiderivatives with '=' (up to a constant), or write definite integrals",
        )
    outcome = check_step(replace(task, previous=derivatives.previous, current=derivatives.current), config)
    how = f"up to a constant: the derivatives in {x} of both sides compared"
    detail = f"d/d{x} previous = {readable(derivatives.previous)}; d/d{x} this step = {readable(derivatives.current)}"
    if outcome.verdict is Verdict.WRONG:
        detail = f"the derivatives in {x} differ (the values shown are theirs): {detail}"
    return outcome.with_(method=f"{how}; {outcome.method}", detail=detail)


def _with_limits(task: StepTask, config: CheckConfig, by_signs: bool = True) -> Outcome:
    """Evaluate the step's limits and integrals exactly, then run the ladder on the values.

    Unknown if one cannot be found. An equality of integrals is first tried by
    linearity, integrand by integrand (which needs no value). ``by_signs``: a
    limit that depends on the sign of a parameter is evaluated in each sign case.
    """
    relations = relations_of(task.conditions)
    hint = (
        "write the value of the limit or integral (or a simpler one) in a step of its own, "
        "or add the conditions it needs"
    )
    if task.relation == "==":
        method = _by_linearity(task, config)
        if method is not None:
            return Outcome(Verdict.PROVED, method)
    try:
        sides = _exact_values(task, relations, config)
        if sides is not None:
            outcome = check_step(replace(task, previous=sides.previous, current=sides.current), config)
            return outcome.with_(method=f"{sides.how}; {outcome.method}")
        cases = limits_under_conditions(task.previous, task.current, relations)
    except LimitUnevaluated as exc:
        by_cases = _limits_by_sign_cases(task, config) if by_signs else None
        if by_cases is not None:
            return by_cases
        by_quadrature = (
            _by_quadrature(task, relations, config) if exc.comparable and not _limit_or_order(task) else None
        )
        if by_quadrature is not None:
            return by_quadrature.with_(detail=f"{exc}; {by_quadrature.detail}", hint=hint)
        return Outcome(
            Verdict.UNKNOWN,
            "limit",
            f"{exc}; a limit is never decided by sampling, an integral never proved by quadrature",
            hint=hint,
        )
    rule = rule_for(task.relation)
    methods = []
    for case in cases:
        with time_limit(proof_share(config.timeout, Shape((), ()))):
            proof = rule.prove(case.previous, case.current, [], config.timeout)
        if proof is None:
            break
        methods.append(proof.method)
    else:
        how = " / ".join(dict.fromkeys(methods)) or "conditions are contradictory"
        return Outcome(Verdict.PROVED, f"limits or integrals evaluated under the conditions; {how}")
    by_cases = _limits_by_sign_cases(task, config) if by_signs else None
    if by_cases is not None:
        return by_cases
    return Outcome(
        Verdict.UNKNOWN,
        "limit",
        "the limits have values only under the conditions' sign cases, and the step was not proved in each",
        hint=hint,
    )


def _limits_by_sign_cases(task: StepTask, config: CheckConfig) -> Outcome | None:
    """The step decided in each sign case of its limits' parameters (a > 0, a < 0, a = 0), or None.

    ``wrong`` when one case refutes it (the counterexample re-checked on the
    step as written, its limits evaluated at that point), ``proved`` when
    every case the conditions allow is proved; None otherwise.
    """
    cases = sign_cases(limit_parameters(task.previous, task.current), relations_of(task.conditions))
    if not cases:
        return None
    methods = []
    for case in cases:
        outcome = _with_limits(_in_case(task, case), config, by_signs=False)
        refuted = _rechecked(task, case, outcome) if outcome.verdict is Verdict.WRONG else None
        if refuted is not None:
            return refuted
        methods.append(f"{case.label}: {outcome.method}" if outcome.verdict is Verdict.PROVED else "")
    if not all(methods):
        return None
    return Outcome(Verdict.PROVED, "limits evaluated in each sign case of their parameters; " + "; ".join(methods))


def _in_case(task: StepTask, case: SignCase) -> StepTask:
    """The step in one sign case: the parameters that are 0 put in, the signs of the others as conditions."""
    zero = sympy.Integer(0)
    conditions = [
        replace(
            c,
            lhs=case.substitute(c.lhs),
            rhs=case.substitute(c.rhs) if c.rhs is not None else None,
            values=tuple(case.substitute(v) for v in c.values),
        )
        for c in task.conditions
    ]
    conditions += [Condition(op, p, zero, (), f"{p.name} {op} 0", 0) for p, op in case.signs]
    return replace(
        task,
        previous=case.substitute(task.previous),
        current=case.substitute(task.current),
        conditions=tuple(conditions),
    )


def _rechecked(task: StepTask, case: SignCase, outcome: Outcome) -> Outcome | None:
    """The wrong outcome of a sign case with its parameter values, if the step as written fails at that point."""
    point_text = {**(outcome.counterexample or {}), **{p.name: "0" for p in case.zeros}}
    free = task.previous.free_symbols | task.current.free_symbols
    symbols = {s.name: s for s in free if isinstance(s, sympy.Symbol)}
    point: dict[sympy.Symbol, sympy.Expr] = {}
    for name, value in point_text.items():
        if name not in symbols:
            continue
        try:
            exact = fractions.Fraction(value)
        except (ValueError, ZeroDivisionError):
            return None
        point[symbols[name]] = sympy.Rational(exact.numerator, exact.denominator)
    relations = relations_of(task.conditions)
    for parameter, op in case.signs:  # a case whose limits no longer hold the parameter: a value of its sign
        if parameter not in point:
            chosen = _value_of_sign(parameter, op, point, relations)
            if chosen is None:
                return None
            point[parameter] = chosen
    if set(symbols.values()) - set(point) or not differs_at(task.previous, task.current, task.relation, point):
        return None
    shown = {s.name: plain_number(v) for s, v in sorted(point.items(), key=lambda item: item[0].name)}
    parameters = ", ".join(p.name for p in (*case.zeros, *(q for q, _ in case.signs)))
    return outcome.with_(
        method=f"limits evaluated in the sign case {case.label}; {outcome.method}",
        counterexample=shown,
        detail=f"the limit depends on the sign of {parameters}; in the case {case.label} the step fails "
        "(re-checked with the limits evaluated at the counterexample)",
    )


def _value_of_sign(
    parameter: sympy.Symbol, op: str, point: dict, relations: list[Relation]
) -> sympy.Expr | None:
    """A simple value of the sign ``op`` for ``parameter`` that no condition rules out at ``point``, or None."""
    for magnitude in (sympy.Integer(1), sympy.Integer(2), sympy.Rational(1, 2), sympy.Integer(10)):
        value = magnitude if op == ">" else -magnitude
        trial = {**point, parameter: value}
        if all(truth(r.substitute(trial)) is not False for r in relations):
            return value
    return None


def _exact_values(task: StepTask, relations: list[Relation], config: CheckConfig) -> LimitSides | None:
    """``resolve_limits``; with integrals, within a share of the time, so that quadrature may still follow."""
    if not (task.previous.has(sympy.Integral) or task.current.has(sympy.Integral)):
        return resolve_limits(task.previous, task.current, relations)
    try:
        with time_limit(config.timeout * EXACT_INTEGRATION_SHARE):
            return resolve_limits(task.previous, task.current, relations)
    except OuterTimeout:
        raise
    except CheckTimeout:
        raise LimitUnevaluated(
            "SymPy found no exact value of the integrals within its share of the time", comparable=True
        ) from None


def _limit_or_order(task: StepTask) -> bool:
    """Whether the step holds a Limit (never decided numerically) or is an order (quadrature compares equalities)."""
    return task.relation != "==" or task.previous.has(sympy.Limit) or task.current.has(sympy.Limit)


def _by_quadrature(task: StepTask, relations: list[Relation], config: CheckConfig) -> Outcome | None:
    """``numeric`` or ``wrong`` by quadrature at parameter points (check/screen/quadrature.py), None if undecided."""
    return _within_proof_share(config, lambda share: quadrature_outcome(task.previous, task.current, relations))


def _by_linearity(task: StepTask, config: CheckConfig) -> str | None:
    """The method proving an equality of integrals integrand by integrand, or None (also when out of time)."""
    return _within_proof_share(config, lambda share: same_integrands(task.previous, task.current, share))


def _within_proof_share(config: CheckConfig, compute: Callable[[float], T]) -> T | None:
    """``compute(share)`` within the proof's share of the check's time; None when that runs out."""
    share = proof_share(config.timeout, Shape((), ()))
    try:
        with time_limit(share):
            return compute(share)
    except OuterTimeout:
        raise
    except CheckTimeout:
        return None


def _full_evidence(task: StepTask, rule: RelationRule, evidence: dict, outcome: Outcome) -> dict:
    def shown(expr: sympy.Expr) -> str:
        if tree_measure(expr)[0] > MAX_SHOWN_NODES:
            return "(too large to show)"
        text = readable(expr)
        return text if len(text) <= MAX_SHOWN_FORM else text[: MAX_SHOWN_FORM - 1] + "…"

    small = all(tree_measure(side)[0] <= MAX_SHOWN_NODES for side in (task.previous, task.current))
    forms = [f"previous - this step = {shown(task.previous - task.current)}"] if small else []
    if "instantiated" in evidence and small:
        forms.append(f"with finite sums written out: previous - this step = {shown(evidence['instantiated'])}")
    if outcome.verdict is Verdict.PROVED:
        forms.append(f"{outcome.method}: {rule.proof_form()} under the conditions")
    elif outcome.verdict is Verdict.PROVED_FOR_SIZES and outcome.sizes:
        forms.append(f"for each size {', '.join(map(str, outcome.sizes))}: {rule.proof_form()}")
    points = []
    for point, ai, bi in evidence.get("agreeing", [])[:MAX_SHOWN_POINTS]:
        where = ", ".join(f"{k} = {v}" for k, v in point.describe().items()) or "no free symbol"
        va, vb = evaluate(ai, point.values, 15), evaluate(bi, point.values, 15)
        points.append(f"{where}: {_number(va)} (previous), {_number(vb)} (this step)")
    return {"sides": (shown(task.previous), shown(task.current)), "forms": tuple(forms), "sample_points": tuple(points)}


def _number(value: sympy.Expr | complex | None) -> str:
    return "undefined" if value is None else plain_number(value, 12)


@dataclass(frozen=True)
class _Step:
    """One step on its way up the ladder: the sides as written, as checked, and the relation's rule."""

    task: StepTask
    rule: RelationRule
    a: sympy.Expr
    b: sympy.Expr

    def stands(self, found: Screen | None) -> Screen | None:
        """``found`` when its counterexample holds on the step as written (sizes instantiated), else None.

        The screen works on transformed sides (sums written out, bound variables
        renamed, extrema over a size written out): a counterexample is shown only
        when substituting it into the step as the author wrote it breaks the relation too.
        """
        if found is None or found.counterexample is None:
            return None
        point = found.counterexample
        (a, b), _ = concrete_functions([self.task.previous, self.task.current])
        a, b = instantiate(a, dict(point.shape)), instantiate(b, dict(point.shape))
        try:
            return found if self.rule.fails_at(a, b, point.values) else None
        except (ValueError, TypeError, ArithmeticError, RecursionError):
            return None


def _ladder(task: StepTask, rule: RelationRule, config: CheckConfig, evidence: dict) -> Outcome:
    if task.previous == task.current and not STRICT.get(task.relation, False):
        return Outcome(Verdict.PROVED, "structural", "the two sides are the same expression")
    # Sums with numeric bounds are finite sums: write them out once, here.
    a, b = instantiate(task.previous, {}), instantiate(task.current, {})
    if (a, b) != (task.previous, task.current):
        evidence["instantiated"] = a - b
    a, b = rule.prepare(settle_jumps(a), settle_jumps(b))
    step = _Step(task, rule, a, b)
    prepared = step_conditions(a, b, task.conditions, task.symbols, config.max_size)
    relations, shape, every = prepared.relations, prepared.shape, prepared.every
    # Sums over a symbolic size: the general proof first (sound on its own; it
    # spares the screen from writing the sums out for every small size).
    general = try_general_proof(a, b, relations, config.timeout, rule.prove)
    if _is_proof(general):
        return Outcome(Verdict.PROVED, general.method, "proved for every size")
    tried = ["boundary points", "numeric screen"] if rule.relation != "==" else ["numeric screen"]
    early = EarlyProof(lambda: _proof_or_none(rule.prove(a, b, relations, config.timeout)))
    found = rule.screen(
        a, b, prepared.sampled, shape, config.samples, config.max_size, config.seed, screen_share(config.timeout),
        early,
    )
    evidence["agreeing"] = list(found.agreeing)
    if step.stands(found) is not None:
        method = "boundary point" if isinstance(found, Search) and found.boundary else "numeric screen"
        return rule.wrong(found, method)
    if early.proof is not None:
        return Outcome(Verdict.PROVED, early.proof.method, points=found.agreed)
    # A failure the screen saw that the step as written does not confirm: no proof of
    # anything, but the step can no longer be called numeric.
    doubted = found.counterexample is not None
    tried.append("symbolic proof")
    stopped = None
    try:
        with time_limit(proof_share(config.timeout, shape, constants=found.constants)):
            # An early proof that ran to its end found what this one would (no proof).
            proof = None if early.known else rule.prove(a, b, relations, config.timeout)
        if _is_proof(proof):
            return Outcome(Verdict.PROVED, proof.method, points=found.agreed)
    except OuterTimeout:
        raise
    except CheckTimeout:
        stopped = "the symbolic proof hit its share of the time limit"
    if not shape.empty:
        tried.append(f"sizes up to {config.max_size}")
        sized = _for_sizes(step, relations, shape, config, every)
        if sized is not None and sized.verdict is Verdict.PROVED_FOR_SIZES:
            sized = _refute_at_larger_sizes(step, relations, shape, config, every) or sized
        if sized is not None:
            return sized.with_(points=found.agreed)
    refuted = step.stands(rule.refute_near_misses(found))
    if refuted is not None:
        return rule.wrong(refuted, "numeric screen at high precision")
    undecided = rule.undecided(found, tried, stopped)
    if doubted and undecided.verdict is Verdict.NUMERIC:
        return undecided.with_(
            verdict=Verdict.UNKNOWN,
            method="none",
            detail="no proof found; a point where the relation failed after the step was transformed "
            "for checking did not fail on the step as written, so the sampled points are no evidence",
        )
    return undecided


def _proof_or_none(proof: Proof | None) -> Proof | None:
    return proof if _is_proof(proof) else None


def _is_proof(proof: Proof | None) -> TypeGuard[Proof]:
    # Contradictory conditions prove nothing: conflicting_conditions names them first;
    # a proof that still found no possible scenario is no proof.
    return proof is not None and proof.method != CONTRADICTORY


def _contradictory(conflict: tuple[Condition, ...]) -> Outcome:
    listed = " and ".join(f"'{c.text}' (line {c.line})" for c in conflict)
    what = f"the conditions {listed} cannot hold together" if len(conflict) > 1 else (
        f"the condition {listed} cannot hold for any value the declarations allow"
    )
    return Outcome(
        Verdict.UNKNOWN,
        CONTRADICTORY,
        f"{what}: every step would hold vacuously, so nothing was checked",
        hint="correct or remove one of these conditions (a case's 'when:' must be possible under 'assume:')",
    )


def prove_for_sizes(
    a: sympy.Expr,
    b: sympy.Expr,
    relations: list[Relation],
    shape: Shape,
    config: CheckConfig,
    every: Sequence[Condition] = (),
    relation: str = "==",
) -> Outcome | None:
    """Prove ``a relation b`` for every size and index value up to ``config.max_size``.

    Returns ``proved for sizes``, ``wrong`` (with the size and point), or None
    when some instance could not be decided.
    """
    rule = rule_for(relation)
    return _for_sizes(_Step(StepTask(a, b, (), (), relation), rule, a, b), relations, shape, config, every)


def _for_sizes(
    step: _Step, relations: list[Relation], shape: Shape, config: CheckConfig, every: Sequence[Condition]
) -> Outcome | None:
    sizes_seen: set[int] = set()
    count = 0
    for mapping in assignments(shape, relations, config.max_size):
        count += 1
        if count > MAX_INSTANCES:
            return None
        ai, bi = instantiate(step.a, mapping), instantiate(step.b, mapping)
        if ai.has(sympy.Sum, sympy.Product) or bi.has(sympy.Sum, sympy.Product):
            return None
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        rels += every_relations(every, [ai, bi], rels, mapping)
        proof = step.rule.prove(ai, bi, rels, config.timeout)
        if proof is None:
            found = _screen_instance(step, ai, bi, rels, config.samples, config.max_size, config.seed)
            if found.counterexample is not None:
                found.counterexample.shape = {**mapping, **found.counterexample.shape}
                if step.stands(found) is not None:
                    return step.rule.wrong(found, "sizes", "at the size and point shown")
            return None
        sizes_seen.update(int(mapping[s]) for s in shape.sizes if s in mapping)
    if count == 0:
        return None
    if not shape.sizes:  # every index has a numeric range: the instances are all the cases
        values = "; ".join(f"{s} = {lo}..{hi}" for s, lo, hi in shape.indices)
        return Outcome(Verdict.PROVED, f"cases on every index value ({values})", f"{count} cases")
    claim = "proved" if step.rule.relation == "==" else f"'{step.rule.relation}' proved"
    return proved_for_sizes(shape, sizes_seen, count, config.max_size, claim)


def _screen_instance(
    step: _Step, ai: sympy.Expr, bi: sympy.Expr, rels: list[Relation], samples: int, max_size: int, seed: int
) -> Screen:
    """The screen of one instance (sizes fixed) after its proof failed; two constants decided to every digit asked."""
    found = step.rule.screen(ai, bi, rels, Shape((), ()), samples, max_size, seed)
    if found.constants:
        found = step.rule.refute_near_misses(found) or found
    return found


def _refute_at_larger_sizes(
    step: _Step, relations: list[Relation], shape: Shape, config: CheckConfig, every: Sequence[Condition]
) -> Outcome | None:
    """``wrong`` (size shown) when a step proved for small sizes fails at a random larger size."""
    for mapping in larger_size_assignments(shape, relations, config.seed):
        ai, bi = instantiate(step.a, mapping), instantiate(step.b, mapping)
        rels = [Relation(r.op, instantiate(r.expr, mapping), r.values) for r in relations]
        rels += every_relations(every, [ai, bi], rels, mapping)
        found = _screen_instance(step, ai, bi, rels, max(4, config.samples // 4), 1, config.seed)
        if found.counterexample is None:
            continue
        found.counterexample.shape = {**mapping, **found.counterexample.shape}
        if step.stands(found) is None:
            continue
        at = found.counterexample.shape
        sizes = ", ".join(f"{s} = {at[s]}" for s in shape.sizes if s in at)
        return step.rule.wrong(
            found, "numeric screen at larger sizes", f"at {sizes or 'the size shown'}", "proved for small sizes, but "
        )
    return None




@dataclass(frozen=True)
class ClaimElement:
    """The decision for one element of a number claim: ``holds``, ``fails``, ``close`` or ``unknown``."""

    status: str
    value: str
    detail: str = ""


def check_number(number: ParsedNumber) -> Outcome:
    """Evaluate a number claim (element by element for lists) against its tolerance.

    The value is bounded with its own error (accurate.bounded_value): a claim
    holds when value and error together stay within ``tol``, fails when they
    are together beyond it. ``tol`` 0 asks for the exact value: proved only
    when value - claim reduces to exactly 0.
    """
    length = max([len(b.values) for b in number.bindings if b.is_list and not b.is_vector] + [1])
    if number.claimed_is_list and length == 1:
        length = len(number.claimed)
    elements: list[ClaimElement] = []
    for k in range(length):
        expr = _claim_expression(number, k)
        if has_limit(expr):
            # Limits and integrals take their exact values first: never a quadrature or a small h.
            try:
                expr = evaluate_limits(expr)
            except LimitUnevaluated as exc:
                return Outcome(
                    Verdict.UNKNOWN, "limit", f"{exc}; a limit or integral is never decided by sampling or quadrature"
                )
        position = k if number.claimed_is_list else 0
        element = decide_claim(expr, number.claimed[position], number.tol[position])
        if element.status == "missing":
            return Outcome(Verdict.UNKNOWN, "evaluate", element.detail, hint="give every symbol a value in 'at'")
        elements.append(element)
    texts = tuple(number.claimed_text[k if number.claimed_is_list else 0] for k in range(length))
    tols = tuple(sympy.sstr(t) for t in number.tol)
    shown_values = tuple(e.value for e in elements)
    fields: dict[str, Any] = dict(value=shown_values if any(shown_values) else None, claimed=texts, tol=tols)
    failing = tuple(k for k, e in enumerate(elements) if e.status == "fails")
    shown_tol = [show_tolerance(number.tol[k if number.claimed_is_list else 0]) for k in range(length)]
    if failing:
        return Outcome(
            Verdict.WRONG, "evaluate", _failing_detail(elements, texts, shown_tol, failing), failing=failing, **fields
        )
    undecided = [k for k, e in enumerate(elements) if e.status == "unknown"]
    if undecided:
        if length == 1:
            detail = elements[0].detail
        else:
            reasons = "; ".join(f"element {k + 1}: {elements[k].detail}" for k in undecided)
            detail = f"cannot decide {_of(undecided, length)}: {reasons}"
        hint = "check the expression and the values in 'at', or give a larger 'tol'"
        return Outcome(Verdict.UNKNOWN, "evaluate", detail, hint=hint, **fields)
    close = [k for k, e in enumerate(elements) if e.status == "close"]
    if close:
        verb = "agrees" if len(close) == 1 else "agree"
        detail = (
            f"{_of(close, length)} {verb} with the exact claim to every digit computed, "
            "but value - claim was not reduced to exactly 0 (tol 0 asks for the exact value)"
        )
        return Outcome(Verdict.NUMERIC, "evaluate", detail, **fields)
    method = "exact" if all(e.detail == "exact" for e in elements) else "evaluate"
    within = ", ".join(dict.fromkeys(shown_tol))
    detail = (
        "the value equals the claim exactly"
        if all(t == "0" for t in shown_tol)
        else f"the value is within the tolerance {within} of the claim"
    )
    return Outcome(Verdict.PROVED, method, detail, **fields)


def _claim_expression(number: ParsedNumber, k: int) -> sympy.Expr:
    mapping = {}
    for binding in number.bindings:
        if binding.is_vector:
            for position, value in enumerate(binding.values, start=1):
                mapping[binding.target[position]] = value
        else:
            mapping[binding.target] = binding.values[k if binding.is_list else 0]
    expr = instantiate(number.expr, {key: val for key, val in mapping.items() if isinstance(key, sympy.Symbol)})
    return expr.xreplace(mapping)


def _of(positions: list[int], length: int) -> str:
    if length == 1:
        return "the value"
    which = ", ".join(str(k + 1) for k in positions)
    return f"element{'s' if len(positions) > 1 else ''} {which} of {length}"


def _failing_detail(
    elements: Sequence[ClaimElement], texts: Sequence[str], tols: Sequence[str], failing: Sequence[int]
) -> str:
    length = len(elements)
    parts = [
        f"value {elements[k].value}, claimed {texts[k]}, tolerance {tols[k]}" for k in failing
    ]
    if length == 1:
        return f"the value differs from the claim by more than the tolerance: {parts[0]}"
    verb = "differs" if len(failing) == 1 else "differ"
    if len(failing) == 1:
        return f"{_of(list(failing), length)} {verb}: {parts[0]}"
    listed = "; ".join(f"element {k + 1}: {part}" for k, part in zip(failing, parts))
    return f"{_of(list(failing), length)} {verb}: {listed}"


def show_tolerance(tol: sympy.Expr) -> str:
    """A tolerance as the author would write it: 0.0001 rather than 1/10000 where exact."""
    if tol == 0:
        return "0"
    if not tol.is_Rational:
        return sympy.sstr(tol)
    q = sympy.Rational(tol)
    denominator = int(q.q)
    stripped = denominator
    for prime in (2, 5):
        while stripped % prime == 0:
            stripped //= prime
    if stripped != 1:
        return sympy.sstr(q)
    places = 0
    while (q * 10**places).q != 1:
        places += 1
    text = f"{float(q):.{places}f}" if places <= 20 else sympy.sstr(q)
    return text if sympy.Rational(text) == q else sympy.sstr(q)


def decide_claim(expr: sympy.Expr, claimed: sympy.Expr, tol: sympy.Expr) -> ClaimElement:
    """Decide ``|expr - claimed| <= tol`` for a constant ``expr`` with the evaluation's own error bound."""
    if expr.free_symbols:
        missing = sorted(str(s) for s in expr.free_symbols)
        return ClaimElement("missing", "", f"cannot evaluate: no value given for {', '.join(missing)}")
    try:
        expr = decide_jumps(expr)
        bounded = bounded_value(expr)
    except (Unevaluable, Undecided) as exc:
        return ClaimElement("unknown", "", f"cannot evaluate: {exc}")
    if bounded.value.as_real_imag()[1].is_zero is False and not _is_real(expr):
        return ClaimElement("unknown", "", "cannot evaluate to a real number")
    shown = _show_value(bounded.value)
    outside = differs_from(bounded, claimed, tol)
    if outside is True:
        return ClaimElement("fails", _shown_against(bounded.value, claimed))
    if outside is False and tol != 0:
        return ClaimElement("holds", shown)
    if outside is False:  # an exact value equal to an exact claim
        return ClaimElement("holds", shown, "exact")
    difference = expr - claimed
    if tol == 0 or bounded.exact is False:
        # Too close to call from the value alone: evaluate the difference itself
        # (evalf then works for relative accuracy on it), or prove it 0.
        try:
            gap = bounded_value(difference)
            decided = differs_from(gap, sympy.Integer(0), tol)
            if decided is not None:
                return ClaimElement("fails", _shown_against(bounded.value, claimed)) if decided else (
                    ClaimElement("holds", shown)
                )
        except Unevaluable:
            pass
    if tol == 0 and _exactly_zero(difference):
        return ClaimElement("holds", shown, "exact")
    if tol == 0:
        return ClaimElement("close", shown)
    return ClaimElement("unknown", shown, "the value is too close to the edge of the tolerance to decide")


def _shown_against(value: sympy.Expr, claimed: sympy.Expr) -> str:
    """A failing value with the digits that tell it from the claim (never shown equal to it)."""
    for digits in (20, 40, 60):
        text = plain_number(sympy.re(value), digits)
        if text != plain_number(sympy.re(claimed), digits):
            return text
    return f"{text} (differs from the claim by {plain_number(sympy.N(value - claimed, 15), 4)})"


def _show_value(value: sympy.Expr) -> str:
    """20 significant digits, trailing zeros dropped (0.25, not 0.25000000000000000000)."""
    return plain_number(sympy.re(value), 20)


def _is_real(expr: sympy.Expr) -> bool:
    return expr.is_extended_real is True


def _exactly_zero(difference: sympy.Expr) -> bool:
    try:
        return prove_zero(difference, EXACT_PROOF_BUDGET) is not None
    except OuterTimeout:
        raise
    except CheckTimeout:
        return False
