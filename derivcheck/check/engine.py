"""The verdict ladder for one step, and the evaluation of one number claim.

1. numeric screen (cheap refutation, confirmed at higher precision);
2. symbolic proof under the conditions, with sign case splits;
3. sums and indices instantiated for each size up to a bound;
4. otherwise ``numeric`` (agreed everywhere sampled) or ``unknown``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import sympy

from derivcheck.check.assume import Relation, relations_of
from derivcheck.check.instantiate import Shape, assignments, instantiate, shape_of
from derivcheck.check.limits import time_limit
from derivcheck.check.numeric import evaluate, refute_at_high_precision, screen
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import readable
from derivcheck.check.prove import prove_equal
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout
from derivcheck.parse.document import ParsedNumber
from derivcheck.parse.expressions import Condition, tree_measure
from derivcheck.parse.symbols import SymbolSpec

MIN_AGREEING_POINTS = 3
MAX_INSTANCES = 400


@dataclass(frozen=True)
class StepTask:
    """Everything one step check needs: both sides, the conditions, the declarations."""

    previous: sympy.Expr
    current: sympy.Expr
    conditions: tuple[Condition, ...]
    symbols: tuple[SymbolSpec, ...]

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


def run_task(task: Task, config: CheckConfig) -> Outcome:
    """Return the Outcome of one task (its ``check``), within the configured time limit."""
    started = time.monotonic()
    try:
        with time_limit(config.timeout):
            outcome = task.check(config)
    except CheckTimeout:
        outcome = Outcome(
            Verdict.UNKNOWN,
            "time limit",
            f"no proof or counterexample within {config.timeout:g} s",
            hint="split the step into smaller steps, or raise --timeout",
        )
    except MemoryError:
        outcome = Outcome(
            Verdict.UNKNOWN,
            "memory limit",
            "the check ran out of memory",
            hint="split the step into smaller steps",
        )
    except RecursionError:
        outcome = Outcome(Verdict.UNKNOWN, "recursion limit", "the expression is too deep to check")
    return outcome.with_(elapsed=round(time.monotonic() - started, 4))


def check_step(task: StepTask, config: CheckConfig) -> Outcome:
    """Run the verdict ladder on ``previous == current`` under the task's conditions.

    The outcome carries the full evidence: both sides as parsed, the
    difference the proof starts from, and the points where the sides agreed.
    """
    evidence: dict = {}
    outcome = _ladder(task, config, evidence)
    try:
        return outcome.with_(**_full_evidence(task, evidence, outcome))
    except (CheckTimeout, ValueError, TypeError, ArithmeticError, RecursionError):
        # Showing the evidence never changes the verdict (a number too long to
        # print, a form SymPy cannot write): the outcome goes without it.
        return outcome


MAX_SHOWN_FORM = 400
MAX_SHOWN_NODES = 3000
MAX_SHOWN_POINTS = 3


def _full_evidence(task: StepTask, evidence: dict, outcome: Outcome) -> dict:
    def shown(expr) -> str:
        if tree_measure(expr)[0] > MAX_SHOWN_NODES:
            return "(too large to show)"
        text = readable(expr)
        return text if len(text) <= MAX_SHOWN_FORM else text[: MAX_SHOWN_FORM - 1] + "…"

    small = all(tree_measure(side)[0] <= MAX_SHOWN_NODES for side in (task.previous, task.current))
    forms = [f"previous - this step = {shown(task.previous - task.current)}"] if small else []
    if "instantiated" in evidence and small:
        forms.append(f"with finite sums written out: previous - this step = {shown(evidence['instantiated'])}")
    if outcome.verdict is Verdict.PROVED:
        forms.append(f"{outcome.method}: previous - this step reduces to 0 under the conditions")
    elif outcome.verdict is Verdict.PROVED_FOR_SIZES and outcome.sizes:
        forms.append(f"for each size {', '.join(map(str, outcome.sizes))}: previous - this step reduces to 0")
    points = []
    for point, ai, bi in evidence.get("agreeing", [])[:MAX_SHOWN_POINTS]:
        where = ", ".join(f"{k} = {v}" for k, v in point.describe().items()) or "no free symbol"
        va, vb = evaluate(ai, point.values, 15), evaluate(bi, point.values, 15)
        points.append(f"{where}: {_number(va)} (previous), {_number(vb)} (this step)")
    return {"sides": (shown(task.previous), shown(task.current)), "forms": tuple(forms), "sample_points": tuple(points)}


def _number(value) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, complex):
        return str(value)
    return sympy.sstr(sympy.Float(value, 12))


def _ladder(task: StepTask, config: CheckConfig, evidence: dict) -> Outcome:
    a, b = task.previous, task.current
    if a == b:
        return Outcome(Verdict.PROVED, "structural", "the two sides are the same expression")
    # Sums with numeric bounds are finite sums: write them out once, here.
    a, b = instantiate(a, {}), instantiate(b, {})
    if (a, b) != (task.previous, task.current):
        evidence["instantiated"] = a - b
    relations = [Relation(r.op, instantiate(r.expr, {}), r.values) for r in relations_of(task.conditions)]
    shape = shape_of([a, b], relations, task.symbols)
    relations = relevant_relations([a, b], relations, set(shape.sizes))
    shape = shape_of([a, b], relations, task.symbols)
    tried = ["numeric screen"]
    found = screen(a, b, relations, shape, config.samples, config.max_size, config.seed)
    evidence["agreeing"] = list(found.agreeing)
    if found.counterexample is not None:
        return _wrong(found, "numeric screen")
    # With sums over a symbolic size the general proof rarely succeeds; keep
    # most of the time for the instances.
    proof_budget = config.timeout * 0.5 if shape.empty else min(1.5, config.timeout * 0.2)
    tried.append("symbolic proof")
    stopped = None
    try:
        with time_limit(proof_budget):
            proof = prove_equal(a, b, relations, config.timeout)
        if proof is not None:
            return Outcome(Verdict.PROVED, proof.method, points=found.agreed)
    except CheckTimeout:
        stopped = "the symbolic proof hit its share of the time limit"
    if not shape.empty:
        tried.append(f"sizes up to {config.max_size}")
        sized = prove_for_sizes(a, b, relations, shape, config)
        if sized is not None:
            return sized.with_(points=found.agreed)
    refuted = refute_at_high_precision(found)
    if refuted is not None:
        return _wrong(refuted, "numeric screen at high precision")
    return _undecided(found, tried, stopped, shape)


def _wrong(found, method: str) -> Outcome:
    return Outcome(
        Verdict.WRONG,
        method,
        "the two sides differ at the point shown",
        counterexample=found.counterexample.describe(),
        values=found.values,
        points=found.agreed,
    )


def relevant_relations(exprs: list[sympy.Expr], relations: list[Relation], sizes: set) -> list[Relation]:
    """Keep the conditions that constrain the step: they share a non-size symbol with it, or speak of sizes only."""
    used = set().union(*(e.free_symbols for e in exprs))
    kept = []
    for relation in relations:
        symbols = relation.expr.free_symbols
        if symbols <= sizes or (symbols - sizes) & used:
            kept.append(relation)
    return kept


def _undecided(found, tried: list[str], stopped: str | None, shape: Shape) -> Outcome:
    hint = "add an assumption (sign, range), split the step with 'cases:', or write smaller steps"
    if found.agreed >= MIN_AGREEING_POINTS:
        detail = f"no proof found; the sides agree at all {found.agreed} sampled points"
        if stopped:
            detail += f" ({stopped})"
        return Outcome(
            Verdict.NUMERIC, "numeric screen", detail, points=found.agreed, tried=tuple(tried), hint=hint
        )
    if found.tried == 0:
        reason = "no sample point satisfies the conditions"
    else:
        reason = f"the sides could be evaluated at only {found.agreed} of {found.tried} points"
    detail = f"no proof found and {reason}" + (f" ({stopped})" if stopped else "")
    return Outcome(Verdict.UNKNOWN, "none", detail, points=found.agreed, tried=tuple(tried), hint=hint)


def prove_for_sizes(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], shape: Shape, config: CheckConfig
) -> Outcome | None:
    """Prove the step for every size and index value up to ``config.max_size``.

    Returns ``proved for sizes``, ``wrong`` (with the size and point), or None
    when some instance could not be decided.
    """
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
        proof = prove_equal(ai, bi, rels, config.timeout)
        if proof is None:
            found = screen(ai, bi, rels, Shape((), ()), config.samples, config.max_size, config.seed)
            if found.counterexample is not None:
                point = found.counterexample
                point.shape = {**mapping, **point.shape}
                return Outcome(
                    Verdict.WRONG,
                    "sizes",
                    "the two sides differ at the size and point shown",
                    counterexample=point.describe(),
                    values=found.values,
                )
            return None
        sizes_seen.update(int(mapping[s]) for s in shape.sizes if s in mapping)
    if count == 0:
        return None
    bound = max(sizes_seen) if sizes_seen else config.max_size
    names = ", ".join(str(s) for s in shape.sizes) or "the indices"
    return Outcome(
        Verdict.PROVED_FOR_SIZES,
        "sizes",
        f"proved for every {names} from {min(sizes_seen) if sizes_seen else 1} to {bound}"
        f" ({count} instances)",
        size_bound=bound,
        sizes=tuple(sorted(sizes_seen)),
    )


def check_number(number: ParsedNumber) -> Outcome:
    """Evaluate a number claim (element by element for lists) against its tolerance."""
    length = max([len(b.values) for b in number.bindings if b.is_list and not b.is_vector] + [1])
    if number.claimed_is_list and length == 1:
        length = len(number.claimed)
    values, texts, failing = [], [], []
    for k in range(length):
        mapping = {}
        for binding in number.bindings:
            if binding.is_vector:
                for position, value in enumerate(binding.values, start=1):
                    mapping[binding.target[position]] = value
            else:
                mapping[binding.target] = binding.values[k if binding.is_list else 0]
        expr = instantiate(number.expr, {key: val for key, val in mapping.items() if isinstance(key, sympy.Symbol)})
        expr = expr.xreplace(mapping)
        value = evaluate(expr, {}, 50)
        if value is None or isinstance(value, complex):
            missing = sorted(str(s) for s in expr.free_symbols)
            detail = (
                f"cannot evaluate: no value given for {', '.join(missing)}"
                if missing
                else "cannot evaluate to a real number"
            )
            return Outcome(Verdict.UNKNOWN, "evaluate", detail, hint="give every symbol a value in 'at'")
        claimed = number.claimed[k if number.claimed_is_list else 0]
        tol = number.tol[k if number.claimed_is_list else 0]
        gap = abs(value - sympy.N(claimed, 50))
        if gap > sympy.N(tol, 50) + sympy.Float("1e-40", 50):
            failing.append(k)
        values.append(sympy.sstr(sympy.Float(value, 20)))
        texts.append(number.claimed_text[k if number.claimed_is_list else 0])
    tols = tuple(sympy.sstr(t) for t in number.tol)
    fields = dict(value=tuple(values), claimed=tuple(texts), tol=tols)
    if failing:
        which = ", ".join(str(k + 1) for k in failing)
        detail = (
            f"element(s) {which} differ from the claim by more than the tolerance"
            if length > 1
            else "the value differs from the claim by more than the tolerance"
        )
        return Outcome(Verdict.WRONG, "evaluate", detail, failing=tuple(failing), **fields)
    return Outcome(Verdict.PROVED, "evaluate", "the value is within the tolerance", **fields)
