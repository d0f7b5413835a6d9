"""Diagnostics for a wrong step: the difference, whether it is a lone slip, and a proved fix.

A suggestion is a single edit of the written step (rename one index, swap two
symbols, flip the sign of a term, fix a constant factor, move a closing
parenthesis) that the engine *proves* equal to the previous step; candidates
that the numeric screen refutes are dropped first, so most cost microseconds.
"""

from __future__ import annotations

import ast
import copy
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

import sympy

from derivcheck.bounds import (
    DIAGNOSIS_SAMPLES as SCREEN_SAMPLES,
    MAX_DIAGNOSIS_CANDIDATES as MAX_CANDIDATES,
    MAX_DIAGNOSIS_TEXT as MAX_PAREN_TEXT,
)
from derivcheck.check.assume import relations_of
from derivcheck.check.instantiate import shape_of
from derivcheck.check.limits import time_limit
from derivcheck.check.numeric import screen
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.prove import prove_equal
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.load.model import Document, Text
from derivcheck.parse.expressions import Scope, parse_expression


@dataclass(frozen=True)
class DiagnoseTask:
    """A wrong step to explain: which chain of which document, which step, against which step."""

    document: Document
    chain: int
    position: int
    anchor: int


def diagnose_step(task: DiagnoseTask, config: CheckConfig) -> Outcome:
    """Return an Outcome (verdict wrong) carrying difference, suggestion and localization."""
    from derivcheck.check.engine import StepTask, check_step
    from derivcheck.parse.document import parse_document

    parsed = parse_document(task.document)
    chain = parsed.chains[task.chain]
    a = chain.steps[task.anchor].expr
    b = chain.steps[task.position].expr
    conditions = parsed.assume + chain.when
    symbols = tuple(parsed.symbols.values())
    next_equals_previous = False
    stopped = None
    difference = suggestion = None
    try:
        with time_limit(config.timeout):
            difference = describe_difference(
                a, b, budget=min(3.0, config.timeout / 3), relations=relations_of(conditions)
            )
            if task.position + 1 < len(chain.steps):
                after = chain.steps[task.position + 1]
                if after.step.wrong is None:
                    quick = config.with_(timeout=min(config.timeout, 5.0))
                    verdict = check_step(StepTask(a, after.expr, conditions, symbols), quick).verdict
                    next_equals_previous = verdict in (
                        Verdict.PROVED,
                        Verdict.PROVED_FOR_SIZES,
                        Verdict.NUMERIC,
                    )
            if config.suggest_fixes:
                text = chain.steps[task.position].step.expr.text
                assert parsed.scope is not None  # parse_document always sets it
                suggestion = suggest_fix(text, a, parsed.scope, conditions, symbols, config)
    except CheckTimeout:
        stopped = "time limit"
    return Outcome(
        Verdict.WRONG,
        "diagnosis",
        difference=difference,
        suggestion=suggestion,
        next_equals_previous=next_equals_previous,
        diagnosis_stopped=stopped,
    )


def readable(expr: sympy.Expr) -> str:
    """Return ``expr`` as text in the format's syntax, bound variables shown by their names."""
    dummies = {d: sympy.Symbol(d.name) for d in expr.atoms(sympy.Dummy)}
    return sympy.sstr(expr.xreplace(dummies) if dummies else expr)


def describe_difference(
    a: sympy.Expr, b: sympy.Expr, budget: float, relations: list | None = None
) -> str | None:
    """Say how the step differs from the previous one: a constant factor, or ``previous - step``.

    Conditions that only give a symbol a sign (``x > 0``) are used, so the
    difference is written as simply as the case allows.
    """
    signed, back = _sign_only(relations or [])
    a, b = a.xreplace(signed), b.xreplace(signed)
    try:
        with time_limit(budget):
            ratio = sympy.cancel(sympy.together(b / a)) if a != 0 else None
            if ratio is not None and ratio.free_symbols == set() and ratio.is_Number and ratio not in (0, 1):
                return f"this step is the previous one times {readable(ratio)}"
            diff = sympy.simplify(a - b).xreplace(back)
            if diff.free_symbols == set() and diff.is_Number:
                return f"the sides differ by the constant {readable(diff)} (previous - this step)"
            text = readable(diff)
            if len(text) <= 240:
                return f"the sides differ by {text} (previous - this step)"
    except CheckTimeout:
        return None
    except MemoryError:
        raise
    except Exception:  # SymPy failing to simplify is no reason to fail the report
        return None
    return None


def _sign_only(relations) -> tuple[dict, dict]:
    """Substitutions that only rename a symbol to one with a sign (x -> positive t), and their inverse."""
    from derivcheck.check.assume import scenarios

    plans = scenarios(relations)
    if len(plans) != 1:
        return {}, {}
    forward, back = {}, {}
    for mapping in plans[0]:
        for atom, value in mapping.items():
            if isinstance(value, sympy.Dummy) and isinstance(atom, sympy.Symbol):
                forward[atom] = value
                back[value] = atom
    return forward, back


def suggest_fix(
    text: str,
    previous: sympy.Expr,
    scope: Scope,
    conditions,
    symbols,
    config: CheckConfig,
) -> str | None:
    """Return the first single edit of ``text`` proved equal to ``previous``, or None."""
    from derivcheck.check.engine import prove_for_sizes

    relations = relations_of(conditions)
    seen: set[str] = {text.strip()}
    for count, candidate in enumerate(candidate_edits(text, scope, previous)):
        if count >= MAX_CANDIDATES:
            break
        if candidate in seen:
            continue
        seen.add(candidate)
        try:
            expr = parse_expression(Text(candidate, 1), scope)
        except FormatError:
            continue
        shape = shape_of([previous, expr], relations, symbols)
        found = screen(previous, expr, relations, shape, SCREEN_SAMPLES, config.max_size, config.seed)
        if found.counterexample is not None or found.agreed == 0:
            continue
        try:
            with time_limit(min(2.0, config.timeout)):
                if prove_equal(previous, expr, relations, config.timeout) is not None:
                    return candidate
                if not shape.empty:
                    sized = prove_for_sizes(previous, expr, relations, shape, config)
                    if sized is not None and sized.verdict is Verdict.PROVED_FOR_SIZES:
                        return candidate
        except CheckTimeout:
            continue
    return None


def candidate_edits(text: str, scope: Scope, previous: sympy.Expr) -> Iterator[str]:
    """Yield single edits of the written step, the most likely slips first."""
    source = text.replace("^", "**").strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    yield from _rename_one_occurrence(tree, scope, indices_only=True)
    yield from _swap_symbols(tree, scope)
    yield from _flip_signs(tree)
    yield from _rename_one_occurrence(tree, scope, indices_only=False)
    yield from _fix_factor(source, scope, previous)
    if len(source) <= MAX_PAREN_TEXT:
        yield from _move_parenthesis(source)


def _names(tree: ast.AST) -> list[ast.Name]:
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
    return sorted(names, key=lambda n: (n.lineno, n.col_offset))


def _unparse(tree: ast.AST) -> str:
    """ast.unparse, written compactly as people write steps (``x**2``, ``2*x``)."""
    text = ast.unparse(tree)
    return text.replace(" ** ", "**").replace(" * ", "*").replace(" / ", "/")


def _plain_symbols(scope: Scope, indices_only: bool) -> list[str]:
    return [
        name
        for name, spec in scope.symbols.items()
        if not spec.is_vector and (spec.is_index or not indices_only)
    ]


def _rename_one_occurrence(tree, scope: Scope, indices_only: bool) -> Iterator[str]:
    candidates = _plain_symbols(scope, indices_only)
    for position, node in enumerate(_names(tree)):
        if node.id not in candidates:
            continue
        for other in candidates:
            if other == node.id:
                continue
            edited = copy.deepcopy(tree)
            _names(edited)[position].id = other
            yield _unparse(edited)


def _swap_symbols(tree, scope: Scope) -> Iterator[str]:
    present = sorted({n.id for n in _names(tree)} & set(_plain_symbols(scope, False)))
    for i, first in enumerate(present):
        for second in present[i + 1 :]:
            edited = copy.deepcopy(tree)
            for node in _names(edited):
                if node.id == first:
                    node.id = second
                elif node.id == second:
                    node.id = first
            yield _unparse(edited)


def _flip_signs(tree) -> Iterator[str]:
    # Flip each operator of a sum, then negate each whole factor-free term.
    for position, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            edited = copy.deepcopy(tree)
            target = list(ast.walk(edited))[position]
            assert isinstance(target, ast.BinOp)  # the copy has the same node at the same position
            target.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            yield _unparse(edited)
    for position, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            edited = copy.deepcopy(tree)
            nodes = list(ast.walk(edited))
            negation = nodes[position]
            assert isinstance(negation, ast.UnaryOp)
            _replace_child(edited, negation, negation.operand)
            yield _unparse(edited)
    yield _unparse(ast.UnaryOp(ast.USub(), copy.deepcopy(tree.body)))


def _replace_child(tree, old, new) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def _fix_factor(source: str, scope: Scope, previous: sympy.Expr) -> Iterator[str]:
    try:
        written = parse_expression(Text(source, 1), scope)
        ratio = sympy.cancel(sympy.together(previous / written)) if written != 0 else None
    except (FormatError, Exception):
        return
    if ratio is not None and ratio.is_Number and ratio not in (0, 1) and ratio.is_finite:
        yield f"{sympy.sstr(ratio)}*({source})"


def _move_parenthesis(source: str) -> Iterator[str]:
    boundaries = _token_ends(source)
    closes = [i for i, ch in enumerate(source) if ch == ")"]
    for close in reversed(closes):
        without = source[:close] + source[close + 1 :]
        for end in boundaries:
            position = end if end < close else end - 1
            if position == close or position < 0 or position > len(without):
                continue
            yield without[:position] + ")" + without[position:]


def _token_ends(source: str) -> list[int]:
    ends = []
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NAME, tokenize.NUMBER) or tok.string == ")":
                ends.append(offsets[tok.end[0] - 1] + tok.end[1])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    return ends

