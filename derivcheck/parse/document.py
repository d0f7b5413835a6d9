"""Document model -> parsed document: every expression and condition as SymPy."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sympy

from derivcheck.bounds import DEFAULT_STABILITY_RTOL as DEFAULT_RTOL
from derivcheck.builtins import builtin
from derivcheck.errors import FormatError
from derivcheck.hints import suggest
from derivcheck.model import Chain, Document, NumberClaim, NumberValue, StabilityClaim, Step, SymbolDecl, Text
from derivcheck.parse.elementwise import ElementIndices, scalar_steps
from derivcheck.parse.expressions import (
    RESERVED,
    Condition,
    Scope,
    _parse_ast,
    _prepare,
    declare_dependencies,
    define_function,
    define_quantities,
    parse_conditions,
    parse_expression,
    parse_value_noted,
)
from derivcheck.parse.symbols import SymbolSpec, bound_parts, read_symbol


@dataclass(frozen=True)
class ParsedStep:
    """A step and its SymPy expression."""

    step: Step
    expr: sympy.Expr
    notes: tuple[str, ...] = ()  # what the reading found (a derivative 0 because its variable is absent)


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
    tol: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class ParsedStability:
    """A stability claim ready to evaluate: float64 ranges and values, plain data only.

    ``functions`` holds every declared function as ``(name, params, body text)``
    so that the check can expand definitions as written.
    """

    claim: StabilityClaim
    expr_text: str
    functions: tuple[tuple[str, tuple[str, ...], str], ...]
    over: tuple[tuple[str, float, float], ...]
    at: tuple[tuple[str, float], ...]
    rtol: float
    nonzero: tuple[str, ...] = ()  # symbols whose words exclude 0 (no sample point there)




@dataclass(frozen=True)
class ParsedDocument:
    """A derivation with every expression parsed."""

    document: Document
    symbols: dict[str, SymbolSpec]
    assume: tuple[Condition, ...]
    chains: tuple[ParsedChain, ...]
    numbers: tuple[ParsedNumber, ...]
    scope: Scope | None = field(default=None, compare=False, repr=False)
    stability: tuple[ParsedStability, ...] = ()


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
    _check_definition_names(document, symbols, functions)
    declare_dependencies(scope, document.dependencies, document.definitions)
    define_quantities(scope, document.definitions)
    for decl in document.functions:  # check every body, used or not
        define_function(scope, decl)
    assume = [*_index_conditions(symbols, scope)]
    for text in document.assume:
        assume.extend(parse_conditions(text, scope))
    elements = ElementIndices(scope, set(scope.known_names()))
    chains = tuple(_parse_chain(chain, scope, elements) for chain in document.chains)
    symbols.update({spec.name: spec for spec in elements.specs.values()})
    assume.extend(elements.conditions)
    numbers = tuple(_parse_number(claim, scope) for claim in document.numbers)
    stability = tuple(_parse_stability(claim, scope) for claim in document.stability)
    return ParsedDocument(document, symbols, tuple(assume), chains, numbers, scope, stability)


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
        what = "index bound" if spec.index_range is not None else "size"
        for written in (spec.index_range or ()) + (spec.shape or ()):
            bound = bound_parts(written)[0]
            if bound is None or bound in symbols:
                continue
            if bound in RESERVED:
                raise FormatError(f"{what} '{bound}' of '{spec.name}' is a built-in name", spec.line)
            # A size named only in an index range: an integer of at least 1.
            symbols[bound] = read_symbol(SymbolDecl(bound, "positive integer", spec.line))
    return symbols


def _check_definition_names(document: Document, symbols: dict[str, SymbolSpec], functions: dict) -> None:
    defined = {d.name for d in document.definitions}
    for dependency in document.dependencies:
        name = dependency.name
        if name in RESERVED or name in symbols or name in functions or name in defined:
            raise FormatError(
                f"'{name}' under 'depends' is also built in, declared, a function or defined; a quantity under "
                "'depends' has no formula and no other declaration (keep one)",
                dependency.line,
            )
    for definition in document.definitions:
        name = definition.name
        if name in RESERVED:
            raise FormatError(f"'{name}' is built in; choose another name for the defined quantity", definition.line)
        if name in symbols:
            raise FormatError(
                f"'{name}' is both declared under 'symbols' and defined under 'define'; keep one", definition.line
            )
        if name in functions:
            raise FormatError(f"'{name}' is both a function and a defined quantity; keep one", definition.line)


def _index_conditions(symbols: dict[str, SymbolSpec], scope: Scope) -> list[Condition]:
    out = []
    for spec in symbols.values():
        if spec.index_range is None:
            continue
        lo, hi = spec.index_range
        text = Text(f"{lo} <= {spec.name} <= {hi}", spec.line)
        out.extend(parse_conditions(text, scope))
    return out


def _parse_chain(chain: Chain, scope: Scope, elements: ElementIndices) -> ParsedChain:
    when = []
    for text in chain.when:
        when.extend(parse_conditions(text, scope))
    known_ranges = len(scope.law_ranges)
    read = [parse_value_noted(step.expr, scope) for step in chain.steps]
    for law_range in scope.law_ranges[known_ranges:]:  # a law's rate or scale, read in these steps, is > 0
        if all(c.lhs != law_range.lhs for c in when):
            when.append(law_range)
    exprs = scalar_steps(chain.steps, [value for value, _ in read], elements)  # vectors: a generic element
    steps = tuple(ParsedStep(step, expr, notes) for step, expr, (_, notes) in zip(chain.steps, exprs, read))
    return ParsedChain(chain, steps, tuple(when))


def _parse_number(claim: NumberClaim, scope: Scope) -> ParsedNumber:
    expr = parse_expression(claim.expr, scope)
    constants = Scope({}, {})
    bindings = []
    lines: list[tuple[int, ...]] = []
    for name, value in claim.at:
        spec = scope.symbols.get(name)
        if spec is None:
            raise FormatError(
                f"'at' names '{name}', which is not a declared symbol"
                f"{suggest(name, scope.symbols)}",
                value.line,
            )
        values, is_list = _values(value, constants, f"the value of '{name}'")
        if spec.shape is not None and len(spec.shape) == 2:
            raise FormatError(
                f"'{name}' is a matrix; 'at' gives values to numbers and vectors only (write its elements "
                f"as symbols, or check the claim with symbolic steps)",
                value.line,
            )
        if spec.is_vector and not is_list:
            raise FormatError(f"'{name}' is a vector; give it a list of values", value.line)
        if spec.shape is not None and spec.shape[0].isdigit() and len(values) != int(spec.shape[0]):
            raise FormatError(
                f"'{name}' is a vector of size {spec.shape[0]}; 'at' gives {len(values)} values", value.line
            )
        bindings.append(Binding(spec.obj, values, is_list, spec.is_vector))
        lines.append(tuple(item.line for item in value.items))
    _check_declarations(claim, scope, bindings, lines)
    lengths = {len(b.values) for b in bindings if b.is_list and not b.is_vector}
    if len(lengths) > 1:
        raise FormatError("the lists given in 'at' have different lengths", claim.line)
    claimed, claimed_is_list = _values(claim.claimed, constants, "'is'")
    texts = tuple(item.text for item in claim.claimed.items)
    if lengths and claimed_is_list and len(claimed) != lengths.pop():
        raise FormatError("'is' has a different number of values than the lists in 'at'", claim.line)
    if claim.tol is not None:
        tol_values, _ = _values(claim.tol, constants, "'tol'")
        if len(tol_values) != 1 or not _is_nonnegative_constant(tol_values[0]):
            raise FormatError(
                "'tol' must be one nonnegative number (a constant expression such as pi/100 is fine)",
                claim.tol.line,
            )
        tol = tuple(tol_values[0] for _ in claimed)
    else:
        tol = tuple(default_tolerance(text) for text in texts)
    return ParsedNumber(claim, expr, tuple(bindings), claimed, texts, claimed_is_list, tol)


def _values(written: NumberValue, constants: Scope, what: str) -> tuple[tuple[sympy.Expr, ...], bool]:
    values = []
    for item in written.items:
        value = parse_expression(item, constants)
        if value.free_symbols:
            raise FormatError(f"{what} must be a number: '{item.text}'", item.line)
        values.append(value)
    return tuple(values), written.is_list


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


def _outside_range(spec: SymbolSpec, value: sympy.Expr, position: int | None, given: dict) -> str | None:
    assert spec.index_range is not None  # called for indices only
    bounds = []
    for written in spec.index_range:
        bound, offset = bound_parts(written)
        if bound is None:
            bounds.append(sympy.Integer(offset))
            continue
        binding = given.get(bound)
        if binding is None:
            bounds.append(None)
            continue
        index = position if binding.is_list and position is not None else 0
        bounds.append(binding.values[min(index, len(binding.values) - 1)] + offset)
    lo, hi = bounds
    words = f"index {spec.index_range[0]}..{spec.index_range[1]}"
    if (lo is not None and (value < lo) is sympy.true) or (hi is not None and (value > hi) is sympy.true):
        low, high = (sympy.sstr(b) if b is not None else "?" for b in (lo, hi))
        shown = f" ({spec.index_range[0]}..{spec.index_range[1]} is {low}..{high} here)"
        return words + shown
    return None


def _is_nonnegative_constant(value: sympy.Expr) -> bool:
    """Whether ``value`` is a finite real number >= 0 (exactly, or decided by SymPy)."""
    if value.free_symbols or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return False
    return bool(value.is_extended_real) and value.is_nonnegative is True


def default_tolerance(text: str) -> sympy.Rational:
    """One unit in the last decimal place written (``0.2360`` -> 1/10000); 0 for exact values."""
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return sympy.Integer(0)
    if not number.is_finite():
        return sympy.Integer(0)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite Decimal has an integer exponent
    if "." not in text and "e" not in text.lower():
        return sympy.Integer(0)
    return sympy.Rational(1, 10 ** (-exponent)) if exponent < 0 else sympy.Integer(10) ** exponent


_NOT_FLOAT_EVALUABLE = (sympy.Sum, sympy.Product, sympy.Derivative, sympy.Indexed)


def _parse_stability(claim: StabilityClaim, scope: Scope) -> ParsedStability:
    """Check a stability claim's names and numbers; the expression is evaluated later as written."""
    expr = parse_expression(claim.expr, scope)
    if expr.has(*_NOT_FLOAT_EVALUABLE) or _calls_a_non_scalar_builtin(claim.expr, scope):
        raise FormatError(
            "a stability claim evaluates a scalar expression operation by operation; "
            "Sum, Product, diff and vector elements are not supported there (write the terms out)",
            claim.expr.line,
        )
    undefined = sorted(str(f.func) for f in expr.atoms(sympy.core.function.AppliedUndef))
    if undefined:
        raise FormatError(
            f"a stability claim needs every function defined; {', '.join(undefined)} has no body",
            claim.expr.line,
        )
    constants = Scope({}, {})
    over = []
    seen: dict[str, int] = {}
    for name, low_node, high_node in claim.over:
        spec = _scalar_symbol(name, scope, low_node.line, "over")
        low = _float_value(low_node, constants, f"the low end of the range of '{name}'")
        high = _float_value(high_node, constants, f"the high end of the range of '{name}'")
        if not low < high:
            raise FormatError(f"the range of '{name}' must have low < high, got [{low:g}, {high:g}]", low_node.line)
        for end in (low, high):
            if not _fits_words(spec.obj, end):
                raise FormatError(
                    f"the range of '{name}' leaves what its declared words allow: {end:g}",
                    low_node.line,
                )
        seen[name] = low_node.line
        over.append((name, low, high))
    at = []
    for name, node in claim.at:
        spec = _scalar_symbol(name, scope, node.line, "at")
        if name in seen:
            raise FormatError(f"'{name}' is given both a range in 'over' and a value in 'at'", node.line)
        value = _float_value(node, constants, f"the value of '{name}'")
        if not _fits_words(spec.obj, value):
            raise FormatError(f"the value of '{name}' is not allowed by its declared words", node.line)
        seen[name] = node.line
        at.append((name, value))
    missing = sorted(str(s) for s in expr.free_symbols if str(s) not in seen)
    if missing:
        raise FormatError(
            f"the stability claim gives no range or value for {', '.join(missing)}; "
            "add it to 'over' (a range) or 'at' (a value)",
            claim.line,
        )
    rtol = DEFAULT_RTOL
    if claim.rtol is not None:
        rtol = _float_value(claim.rtol, constants, "'rtol'")
        if not 0 < rtol < 1:
            raise FormatError(f"'rtol' must be a number between 0 and 1, e.g. 1e-6, got {rtol:g}", claim.rtol.line)
    functions = tuple(
        (decl.name, decl.params, decl.body.text) for decl in scope.functions.values() if decl.body is not None
    )
    nonzero = tuple(name for name, _, _ in over if scope.symbols[name].obj.is_nonzero)
    return ParsedStability(claim, claim.expr.text, functions, tuple(over), tuple(at), rtol, nonzero)


def _calls_a_non_scalar_builtin(text: Text, scope: Scope) -> bool:
    """Whether ``text``, or a body of a declared function it calls, calls Sum, Product or diff as written."""
    pending, seen = [text.text], set()
    while pending:
        tree = _parse_ast(_prepare(pending.pop()), text.line)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            name = node.func.id
            decl = scope.functions.get(name)
            if decl is not None and name not in seen:
                seen.add(name)
                if decl.body is not None:
                    pending.append(decl.body.text)
            elif decl is None and (entry := builtin(name)) is not None and not entry.scalar:
                return True
    return False


def _scalar_symbol(name: str, scope: Scope, line: int, where: str) -> SymbolSpec:
    spec = scope.symbols.get(name)
    if spec is None:
        raise FormatError(
            f"'{where}' names '{name}', which is not a declared symbol{suggest(name, scope.symbols)}", line
        )
    if spec.is_vector or spec.obj.is_integer:
        raise FormatError(f"'{name}' in '{where}' must be a real scalar symbol (float64 inputs)", line)
    return spec


def _float_value(text: Text, constants: Scope, what: str) -> float:
    """A number as the nearest float64; FormatError if it is not a finite real number."""
    value = parse_expression(text, constants)
    if value.free_symbols or not value.is_real:
        raise FormatError(f"{what} must be a real number: '{text.text.strip()}'", text.line)
    number = sympy.N(value, 30)
    if abs(number) > sympy.Float("1.7976931348623157e308", 30):
        raise FormatError(f"{what} is beyond the largest float64 number: '{text.text.strip()}'", text.line)
    return float(number)


def _fits_words(symbol: sympy.Symbol, value: float) -> bool:
    checks = (
        (symbol.is_positive, value > 0),
        (symbol.is_negative, value < 0),
        (symbol.is_nonnegative, value >= 0),
        (symbol.is_nonpositive, value <= 0),
        (symbol.is_nonzero, value != 0),
    )
    return all(ok for flag, ok in checks if flag)
