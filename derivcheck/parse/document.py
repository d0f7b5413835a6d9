"""Document model -> parsed document: every expression and condition as SymPy."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sympy

from derivcheck.errors import FormatError
from derivcheck.load.documents import suggest
from derivcheck.load.model import Chain, Document, NumberClaim, Step, SymbolDecl, Text
from derivcheck.load.yamltree import Node, Scalar, Sequence
from derivcheck.parse.expressions import (
    RESERVED,
    Condition,
    Scope,
    define_function,
    parse_conditions,
    parse_expression,
)
from derivcheck.parse.symbols import SymbolSpec, read_symbol


@dataclass(frozen=True)
class ParsedStep:
    """A step and its SymPy expression."""

    step: Step
    expr: sympy.Expr


@dataclass(frozen=True)
class ParsedChain:
    """A chain with its parsed steps and the extra conditions of its case."""

    chain: Chain
    steps: tuple[ParsedStep, ...]
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class Binding:
    """Values given in ``at:``: one value, a list for a plain symbol, or a vector's elements."""

    target: sympy.Basic
    values: tuple[sympy.Expr, ...]
    is_list: bool
    is_vector: bool


@dataclass(frozen=True)
class ParsedNumber:
    """A number claim ready to evaluate."""

    claim: NumberClaim
    expr: sympy.Expr
    bindings: tuple[Binding, ...]
    claimed: tuple[sympy.Expr, ...]
    claimed_text: tuple[str, ...]
    claimed_is_list: bool
    tol: tuple[sympy.Rational, ...]


@dataclass(frozen=True)
class ParsedDocument:
    """A derivation with every expression parsed."""

    document: Document
    symbols: dict[str, SymbolSpec]
    assume: tuple[Condition, ...]
    chains: tuple[ParsedChain, ...]
    numbers: tuple[ParsedNumber, ...]
    scope: Scope | None = field(default=None, compare=False, repr=False)


def parse_document(document: Document) -> ParsedDocument:
    """Parse every expression of ``document``; FormatError (with line) on the first fault."""
    symbols = _declare_symbols(document)
    functions = {}
    for decl in document.functions:
        if decl.name in RESERVED:
            raise FormatError(f"'{decl.name}' is built in; choose another function name", decl.line)
        if decl.name in symbols:
            raise FormatError(f"'{decl.name}' is declared both as a symbol and a function", decl.line)
        if decl.name in functions:
            raise FormatError(f"function '{decl.name}' defined twice", decl.line)
        functions[decl.name] = decl
    scope = Scope(symbols, functions)
    for decl in document.functions:  # check every body, used or not
        define_function(scope, decl)
    assume = [*_index_conditions(symbols, scope)]
    for text in document.assume:
        assume.extend(parse_conditions(text, scope))
    chains = tuple(_parse_chain(chain, scope) for chain in document.chains)
    numbers = tuple(_parse_number(claim, scope) for claim in document.numbers)
    return ParsedDocument(document, symbols, tuple(assume), chains, numbers, scope)


def _declare_symbols(document: Document) -> dict[str, SymbolSpec]:
    symbols: dict[str, SymbolSpec] = {}
    for decl in document.symbols:
        if decl.name in RESERVED:
            raise FormatError(
                f"'{decl.name}' is built in (a function or constant); choose another symbol name",
                decl.line,
            )
        symbols[decl.name] = read_symbol(decl)
    for spec in list(symbols.values()):
        if spec.index_range is None:
            continue
        for bound in spec.index_range:
            if bound.lstrip("-").isdigit() or bound in symbols:
                continue
            if bound in RESERVED:
                raise FormatError(f"index bound '{bound}' of '{spec.name}' is a built-in name", spec.line)
            # A size named only in an index range: an integer of at least 1.
            symbols[bound] = read_symbol(SymbolDecl(bound, "positive integer", spec.line))
    return symbols


def _index_conditions(symbols: dict[str, SymbolSpec], scope: Scope) -> list[Condition]:
    out = []
    for spec in symbols.values():
        if spec.index_range is None:
            continue
        lo, hi = spec.index_range
        text = Text(f"{lo} <= {spec.name} <= {hi}", spec.line)
        out.extend(parse_conditions(text, scope))
    return out


def _parse_chain(chain: Chain, scope: Scope) -> ParsedChain:
    when = []
    for text in chain.when:
        when.extend(parse_conditions(text, scope))
    steps = tuple(ParsedStep(step, parse_expression(step.expr, scope)) for step in chain.steps)
    return ParsedChain(chain, steps, tuple(when))


def _parse_number(claim: NumberClaim, scope: Scope) -> ParsedNumber:
    expr = parse_expression(claim.expr, scope)
    constants = Scope({}, {})
    bindings = []
    lines: list[tuple[int, ...]] = []
    for name, node in claim.at:
        spec = scope.symbols.get(name)
        if spec is None:
            raise FormatError(
                f"'at' names '{name}', which is not a declared symbol"
                f"{suggest(name, scope.symbols)}",
                node.line,
            )
        values, is_list = _values(node, constants, f"the value of '{name}'")
        if spec.is_vector and not is_list:
            raise FormatError(f"'{name}' is a vector; give it a list of values", node.line)
        bindings.append(Binding(spec.obj, values, is_list, spec.is_vector))
        lines.append(_item_lines(node))
    _check_declarations(claim, scope, bindings, lines)
    lengths = {len(b.values) for b in bindings if b.is_list and not b.is_vector}
    if len(lengths) > 1:
        raise FormatError("the lists given in 'at' have different lengths", claim.line)
    claimed, claimed_is_list = _values(claim.claimed, constants, "'is'")
    texts = _raw_texts(claim.claimed)
    if lengths and claimed_is_list and len(claimed) != lengths.pop():
        raise FormatError("'is' has a different number of values than the lists in 'at'", claim.line)
    if claim.tol is not None:
        tol_values, _ = _values(claim.tol, constants, "'tol'")
        if len(tol_values) != 1 or not tol_values[0].is_Rational or tol_values[0] < 0:
            raise FormatError("'tol' must be one nonnegative number", claim.tol.line)
        tol = tuple(tol_values[0] for _ in claimed)
    else:
        tol = tuple(default_tolerance(text) for text in texts)
    return ParsedNumber(claim, expr, tuple(bindings), claimed, texts, claimed_is_list, tol)


def _values(node: Node, constants: Scope, what: str) -> tuple[tuple[sympy.Expr, ...], bool]:
    items = node.items if isinstance(node, Sequence) else (node,)
    values = []
    for item in items:
        if not isinstance(item, Scalar) or item.is_null:
            raise FormatError(f"{what} must be a number or a list of numbers", item.line)
        value = parse_expression(Text(item.raw, item.line), constants)
        if value.free_symbols:
            raise FormatError(f"{what} must be a number: '{item.raw}'", item.line)
        values.append(value)
    return tuple(values), isinstance(node, Sequence)


def _item_lines(node: Node) -> tuple[int, ...]:
    items = node.items if isinstance(node, Sequence) else (node,)
    return tuple(item.line for item in items)


_SIGN_TESTS = (
    ("positive", lambda v: v.is_positive),
    ("negative", lambda v: v.is_negative),
    ("nonnegative", lambda v: v.is_nonnegative),
    ("nonpositive", lambda v: v.is_nonpositive),
    ("nonzero", lambda v: v.is_zero is False),
    ("integer", lambda v: v.is_integer),
)


def _check_declarations(claim: NumberClaim, scope: Scope, bindings: list[Binding], lines: list) -> None:
    """Every value in 'at' must be one its symbol's declaration allows (sign words, integer, real, index range)."""
    names = {b.target: name for (name, _), b in zip(claim.at, bindings)}
    given = {names[b.target]: b for b in bindings if not b.is_vector}
    for binding, item_lines in zip(bindings, lines):
        name = names[binding.target]
        spec = scope.symbols[name]
        for position, value in enumerate(binding.values):
            line = item_lines[position] if position < len(item_lines) else claim.line
            problem = None
            if spec.index_range is not None:
                problem = _outside_range(spec, value, position if binding.is_list else None, given)
            problem = problem or declaration_violation(spec, value)
            if problem is not None:
                shown = sympy.sstr(value)
                element = f"{name}[{position + 1}]" if binding.is_vector else name
                raise FormatError(
                    f"'at' gives {element} = {shown}, but '{name}' is declared {problem}; "
                    f"give a value its declaration allows, or change the declaration",
                    line,
                )


def declaration_violation(spec: SymbolSpec, value: sympy.Expr) -> str | None:
    """The declaration word ``value`` breaks (or cannot be shown to keep), else None."""
    probe = spec.obj[1] if spec.is_vector else spec.obj
    if not spec.is_complex and value.is_extended_real is not True:
        return "real" if value.is_extended_real is False else "real (this value cannot be shown real)"
    for word, test in _SIGN_TESTS:
        if getattr(probe, f"is_{word}") and test(value) is not True:
            return word if test(value) is False else f"{word} (this value cannot be shown {word})"
    return None


def _outside_range(spec: SymbolSpec, value, position, given: dict) -> str | None:
    bounds = []
    for bound in spec.index_range:
        if bound.lstrip("-").isdigit():
            bounds.append(sympy.Integer(int(bound)))
            continue
        binding = given.get(bound)
        if binding is None:
            bounds.append(None)
            continue
        index = position if binding.is_list and position is not None else 0
        bounds.append(binding.values[min(index, len(binding.values) - 1)])
    lo, hi = bounds
    words = f"index {spec.index_range[0]}..{spec.index_range[1]}"
    if (lo is not None and (value < lo) is sympy.true) or (hi is not None and (value > hi) is sympy.true):
        shown = f" ({spec.index_range[0]}..{spec.index_range[1]} is {sympy.sstr(lo) if lo is not None else '?'}..{sympy.sstr(hi) if hi is not None else '?'} here)"
        return words + shown
    return None


def _raw_texts(node: Node) -> tuple[str, ...]:
    items = node.items if isinstance(node, Sequence) else (node,)
    return tuple(item.raw if isinstance(item, Scalar) else "" for item in items)


def default_tolerance(text: str) -> sympy.Rational:
    """One unit in the last decimal place written (``0.2360`` -> 1/10000); 0 for exact values."""
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return sympy.Integer(0)
    if not number.is_finite():
        return sympy.Integer(0)
    exponent = number.as_tuple().exponent
    if "." not in text and "e" not in text.lower():
        return sympy.Integer(0)
    return sympy.Rational(1, 10 ** (-exponent)) if exponent < 0 else sympy.Integer(10) ** exponent
