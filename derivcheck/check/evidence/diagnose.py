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
    DIAGNOSIS_SECONDS,
    MAX_DIAGNOSIS_CANDIDATES as MAX_CANDIDATES,
    MAX_DIAGNOSIS_TEXT as MAX_PAREN_TEXT,
    MAX_DIFFERENCE_TEXT,
    MAX_RATIO_DENOMINATOR,
    MAX_SCALED_PARTS,
)
from derivcheck.check.limits import time_limit
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.printing import decimal_text, readable, writes_decimals  # noqa: F401 (used by api)
from derivcheck.check.prove.assume import Relation, apply, relations_of, scenarios, truth
from derivcheck.check.prove.equality import prove_equal
from derivcheck.check.prove.integrals import IntegralUnevaluated, derivatives_of_antiderivatives
from derivcheck.check.prove.limits import has_limit
from derivcheck.check.prove.sizes import shape_of
from derivcheck.check.screen.sampling import screen
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.model import FunctionDecl, Text
from derivcheck.parse.expressions import Condition, Scope, parse_expression
from derivcheck.parse.probability import indefinite_variables
from derivcheck.parse.symbols import SymbolSpec


@dataclass(frozen=True)
class DiagnoseTask:
    """A wrong step to explain, with everything already parsed.

    It carries the two sides, the step as written, the conditions and the
    declarations, never the document: diagnosing costs the same whatever the
    length of the file.
    """

    previous: sympy.Expr
    current: sympy.Expr
    text: str
    conditions: tuple[Condition, ...]
    symbols: tuple[SymbolSpec, ...]
    functions: tuple[FunctionDecl, ...] = ()
    decimals: bool = False  # the author wrote decimals: show numbers as decimals

    def check(self, config: CheckConfig) -> Outcome:
        """Diagnose the step (the runner's diagnosis stage)."""
        return diagnose_step(self, config)

    def scope(self) -> Scope:
        """The declarations the step was written with, to parse candidate fixes."""
        return Scope({spec.name: spec for spec in self.symbols}, {f.name: f for f in self.functions})


def diagnose_step(task: DiagnoseTask, config: CheckConfig) -> Outcome:
    """Return an Outcome (verdict wrong) carrying the difference and a proved suggestion."""
    a, b = task.previous, task.current
    conditions = task.conditions
    difference = suggestion = None
    stopped = None
    try:
        with time_limit(config.timeout):
            # the difference of two sides with limits would show a limit taken without its sign cases
            exact_only = has_limit(a, b) and not indefinite_variables(a) | indefinite_variables(b)
            difference = None if exact_only else _difference(
                a, b, min(DIAGNOSIS_SECONDS, config.timeout / 3), conditions, task.decimals
            )
            if config.suggest_fixes:
                suggestion = suggest_fix(
                    task.text, a, task.scope(), conditions, task.symbols, config, task.decimals
                )
    except CheckTimeout:
        stopped = "time limit"
    return Outcome(
        Verdict.WRONG, "diagnosis", difference=difference, suggestion=suggestion, diagnosis_stopped=stopped
    )


def _difference(
    a: sympy.Expr, b: sympy.Expr, budget: float, conditions: tuple[Condition, ...], decimals: bool
) -> str | None:
    """How the sides differ; for antiderivatives (up to a constant), how their derivatives differ."""
    try:
        derivatives = derivatives_of_antiderivatives(a, b)
    except IntegralUnevaluated:
        return None
    if derivatives is not None:
        a, b = derivatives.previous, derivatives.current
        if has_limit(a, b):  # a definite integral is left: shown only with its sign cases, so not at all
            return None
    shown = describe_difference(a, b, budget=budget, relations=relations_of(conditions), decimals=decimals)
    if derivatives is None or shown is None:
        return shown
    x = readable(derivatives.variable)
    return f"not up to a constant: the derivatives in {x} differ (the values shown are theirs); {shown}"


def drop_excluded_branches(expr: sympy.Expr, relations: list) -> sympy.Expr:
    """Remove the branches of every Piecewise that the conditions exclude.

    ``Piecewise((n + 1, Eq(b, 1)), (f, True))`` under ``0 < b < 1`` becomes
    ``f``; ``Piecewise((g, C >= i), (h, True))`` with ``i: index 1..C`` becomes
    ``g``. A branch goes only when its condition is decided under every
    scenario of the conditions, so what is shown stays equal to the difference.
    """
    if not relations or not expr.has(sympy.Piecewise):
        return expr
    plans = scenarios(relations)

    def decided(condition: sympy.Basic) -> bool | None:
        if condition in (sympy.true, sympy.false):
            return bool(condition)
        if isinstance(condition, (sympy.And, sympy.Or)):
            parts = [decided(part) for part in condition.args]
            wanted = isinstance(condition, sympy.And)  # an And is decided False by one False part
            if any(part is (not wanted) for part in parts):
                return not wanted
            return wanted if all(part is wanted for part in parts) else None
        if isinstance(condition, sympy.Eq):
            lhs, rhs = condition.args
            if not isinstance(lhs, sympy.Symbol):
                lhs, rhs = rhs, lhs
            if isinstance(lhs, sympy.Symbol) and not rhs.free_symbols:
                if any(truth(r.substitute({lhs: rhs})) is False for r in relations):
                    return False
        if not isinstance(condition, sympy.core.relational.Relational) or not plans:
            return None
        op = {sympy.Eq: "==", sympy.Ne: "!=", sympy.Gt: ">", sympy.Ge: ">=", sympy.Lt: "<", sympy.Le: "<="}.get(
            type(condition)
        )
        if op is None:
            return None
        answers = {truth(Relation(op, apply(condition.lhs - condition.rhs, plan))) for plan in plans}
        return answers.pop() if len(answers) == 1 and None not in answers else None

    def simplify_piecewise(node: sympy.Piecewise) -> sympy.Expr:
        branches = []
        for value, condition in node.args:
            verdict = decided(condition)
            if verdict is False:
                continue
            branches.append((value, condition))
            if verdict is True:
                break
        if not branches:
            return node
        if decided(branches[0][1]) is True:
            return branches[0][0]
        return sympy.Piecewise(*branches)

    return expr.replace(lambda n: isinstance(n, sympy.Piecewise), simplify_piecewise)


def describe_difference(
    a: sympy.Expr, b: sympy.Expr, budget: float, relations: list | None = None, decimals: bool = False
) -> str | None:
    """Say how the step differs from the previous one: a constant factor, or ``previous - step``.

    Conditions that only give a symbol a sign (``x > 0``) are used, and a
    branch the conditions exclude is dropped, so the difference is written as
    simply as the case allows.
    """
    relations = relations or []
    signed, back = _sign_only(relations)
    a, b = a.xreplace(signed), b.xreplace(signed)
    try:
        with time_limit(budget):
            ratio = sympy.cancel(sympy.together(b / a)) if a != 0 else None
            if ratio is not None and ratio.free_symbols == set() and ratio.is_Number and ratio not in (0, 1):
                return f"this step is the previous one times {readable(ratio, decimals)}"
            diff = a - b
            if diff.has(sympy.Sum, sympy.Product):
                # Close the sums first and drop the branches the conditions
                # exclude, so that simplify works on what remains.
                diff = drop_excluded_branches(diff.doit(), relations)
            diff = sympy.simplify(diff).xreplace(back)
            if diff.has(sympy.Piecewise):
                diff = sympy.simplify(drop_excluded_branches(diff, relations))
            if diff.free_symbols == set() and diff.is_Number:
                return f"the sides differ by the constant {readable(diff, decimals)} (previous - this step)"
            text = readable(diff, decimals)
            if len(text) <= MAX_DIFFERENCE_TEXT:
                return f"the sides differ by {text} (previous - this step)"
    except CheckTimeout:
        return None
    except MemoryError:
        raise
    except Exception:  # SymPy failing to simplify is no reason to fail the report
        return None
    return None


def _sign_only(relations: list[Relation]) -> tuple[dict, dict]:
    """Substitutions that only rename a symbol to one with a sign (x -> positive t), and their inverse."""
    from derivcheck.check.prove.assume import scenarios

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
    conditions: tuple[Condition, ...],
    symbols: tuple[SymbolSpec, ...],
    config: CheckConfig,
    decimals: bool = False,
) -> str | None:
    """Return the first single edit of ``text`` proved equal to ``previous``, or None.

    Each candidate is screened numerically, then proved (symbolically, or for
    every size up to the bound); at most MAX_CANDIDATES are tried, each within
    a share of the time limit.
    """
    from derivcheck.check.ladder.engine import prove_for_sizes

    relations = relations_of(conditions)
    seen: set[str] = {text.strip()}
    for count, candidate in enumerate(candidate_edits(text, scope, previous, decimals)):
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
        # With sums over a symbolic size the general proof rarely succeeds:
        # keep most of the candidate's budget for the sizes.
        try:
            with time_limit(min(2.0 if shape.empty else 0.5, config.timeout)):
                if prove_equal(previous, expr, relations, config.timeout) is not None:
                    return candidate
        except CheckTimeout:
            pass
        if shape.empty:
            continue
        try:
            with time_limit(min(DIAGNOSIS_SECONDS, config.timeout)):
                sized = prove_for_sizes(previous, expr, relations, shape, config)
                if sized is not None and sized.verdict is Verdict.PROVED_FOR_SIZES:
                    return candidate
        except CheckTimeout:
            continue
    return None


def candidate_edits(
    text: str, scope: Scope, previous: sympy.Expr, decimals: bool = False
) -> Iterator[str]:
    """Yield single edits of the written step, the most likely slips first.

    Renamed indices (declared, or bound by a Sum) first, then swapped symbols,
    flipped signs, one part of the step scaled by the factor that would make
    it right (a dropped or extra constant, a sign inside a parenthesis), the
    whole step scaled, a moved parenthesis.
    """
    source = text.replace("^", "**").strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    yield from _rename_one_occurrence(tree, scope, indices_only=True)
    yield from _swap_symbols(tree, scope)
    yield from _flip_signs(tree)
    yield from _scale_one_part(tree, source, scope, previous, decimals)
    yield from _rename_one_occurrence(tree, scope, indices_only=False)
    yield from _fix_factor(source, scope, previous, decimals)
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


def _bound_names(tree: ast.AST) -> list[str]:
    """The variables bound by the Sums and Products written in the step (``k`` in ``Sum(p[k], (k, 1, K))``)."""
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Sum", "Product")
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Tuple)
            and node.args[1].elts
            and isinstance(node.args[1].elts[0], ast.Name)
        ):
            names.append(node.args[1].elts[0].id)
    return list(dict.fromkeys(names))


def _rename_one_occurrence(tree: ast.Expression, scope: Scope, indices_only: bool) -> Iterator[str]:
    candidates = _plain_symbols(scope, indices_only)
    candidates += [name for name in _bound_names(tree) if name not in candidates]
    for position, node in enumerate(_names(tree)):
        if node.id not in candidates:
            continue
        for other in candidates:
            if other == node.id:
                continue
            edited = copy.deepcopy(tree)
            _names(edited)[position].id = other
            yield _unparse(edited)


def _swap_symbols(tree: ast.Expression, scope: Scope) -> Iterator[str]:
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


def _flip_signs(tree: ast.Expression) -> Iterator[str]:
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


def _replace_child(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
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


def _fix_factor(source: str, scope: Scope, previous: sympy.Expr, decimals: bool = False) -> Iterator[str]:
    try:
        written = parse_expression(Text(source, 1), scope)
        ratio = sympy.cancel(sympy.together(previous / written)) if written != 0 else None
    except MemoryError:
        raise
    except Exception:  # a FormatError, or SymPy failing: no candidate here
        return
    if ratio is not None and ratio.is_Number and ratio not in (0, 1) and ratio.is_finite:
        yield f"{readable(ratio, decimals)}*({source})"


def _scale_one_part(
    tree: ast.Expression, source: str, scope: Scope, previous: sympy.Expr, decimals: bool
) -> Iterator[str]:
    """Scale one term or factor by the constant that makes the step equal the previous one.

    For a part ``N`` of the written step ``W``, ``W + (k - 1)*N == previous``
    when ``(previous - W)/N`` is a constant ``k - 1``; that catches a dropped or
    extra factor in one term, and a sign slip inside a parenthesis (``k = -1``).
    The candidate is then proved like every other.
    """
    try:
        written = parse_expression(Text(source, 1), scope)
        diff = previous - written
    except MemoryError:
        raise
    except Exception:  # a FormatError, or SymPy failing: no candidate here
        return
    if diff == 0:
        return
    parts = [n for n in ast.walk(tree.body) if isinstance(n, (ast.BinOp, ast.Call, ast.Name, ast.Subscript))]
    for node in parts[1:MAX_SCALED_PARTS]:
        segment = ast.get_source_segment(source, node)
        if not segment:
            continue
        try:
            part = parse_expression(Text(segment, 1), scope)
            if part == 0 or not part.free_symbols:
                continue
            factor = _constant_ratio(diff, part)
        except MemoryError:
            raise
        except Exception:  # a FormatError, or SymPy failing: no candidate here
            continue
        if factor is None or factor == -1:
            continue  # k = 0 would delete the part: not a single-factor slip
        edited = copy.deepcopy(tree)
        target = _same_node(edited, tree, node)
        if not isinstance(target, ast.expr):
            continue
        _replace_child(edited, target, _scaled(target, factor + 1, decimals))
        yield _unparse(edited)


def _constant_ratio(diff: sympy.Expr, part: sympy.Expr) -> sympy.Rational | None:
    """``diff/part`` when it is a small rational constant, else None."""
    ratio = sympy.cancel(sympy.together(diff / part))
    if ratio.is_Rational:
        return ratio if ratio != 0 and abs(ratio.q) <= MAX_RATIO_DENOMINATOR else None
    if ratio.has(sympy.Sum, sympy.Product, sympy.Indexed):
        return None
    symbols = sorted(ratio.free_symbols, key=str)
    if not symbols or not all(isinstance(s, sympy.Symbol) for s in symbols):
        return None
    values = []
    for point in ((sympy.Rational(3, 7), sympy.Rational(5, 11)), (sympy.Rational(7, 5), sympy.Rational(2, 13))):
        at = {s: point[i % 2] + i for i, s in enumerate(symbols)}
        value = ratio.xreplace(at).evalf(30)
        if not value.is_real or not value.is_finite:
            return None
        values.append(value)
    if abs(values[0] - values[1]) > sympy.Float("1e-20") * (1 + abs(values[0])):
        return None
    guess = sympy.nsimplify(values[0], rational=True, tolerance=1e-20)
    if not guess.is_Rational or guess == 0 or abs(guess.q) > MAX_RATIO_DENOMINATOR:
        return None
    return guess


def _same_node(edited: ast.AST, original: ast.AST, node: ast.AST) -> ast.AST | None:
    for copied, source in zip(ast.walk(edited), ast.walk(original)):
        if source is node:
            return copied
    return None


def _scaled(node: ast.expr, factor: sympy.Rational, decimals: bool) -> ast.expr:
    """``node`` times ``factor``, written as people write it: ``-(a - b)`` is ``(b - a)``, ``x/2``, ``3*x``."""
    if factor == -1:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            return ast.BinOp(node.right, ast.Sub(), node.left)
        return ast.UnaryOp(ast.USub(), node)
    sign_free = abs(factor)
    decimal = decimal_text(sign_free) if decimals and not sign_free.is_Integer else None
    if decimal is not None:
        scaled: ast.expr = ast.BinOp(ast.Constant(float(decimal)), ast.Mult(), node)
    elif sign_free.q == 1:
        scaled = ast.BinOp(ast.Constant(int(sign_free.p)), ast.Mult(), node)
    elif sign_free.p == 1:
        scaled = ast.BinOp(node, ast.Div(), ast.Constant(int(sign_free.q)))
    else:
        scaled = ast.BinOp(
            ast.BinOp(ast.Constant(int(sign_free.p)), ast.Mult(), node), ast.Div(), ast.Constant(int(sign_free.q))
        )
    return ast.UnaryOp(ast.USub(), scaled) if factor < 0 else scaled


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

