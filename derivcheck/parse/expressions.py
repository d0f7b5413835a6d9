"""Expression text -> SymPy, safely.

The text is parsed by Python's ``ast`` in ``eval`` mode and nothing else:
every node kind is checked against a whitelist and SymPy objects are built
here, by hand. No ``eval``, ``exec``, ``sympify`` or ``parse_expr`` ever sees
file text. Sizes are bounded so that no literal can make the process compute
without end.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy
from sympy.concrete.expr_with_limits import ExprWithLimits
from sympy.core.function import AppliedUndef, UndefinedFunction
from sympy.core.logic import fuzzy_and

from derivcheck.bounds import (
    CHUNK_TERMS as _CHUNK_TERMS,
    CHUNKED_TEXT,
    MAX_CALL_DEPTH,
    MAX_DIFF_ORDER,
    MAX_EXPRESSION_TEXT as MAX_TEXT,
    MAX_INT_DIGITS,
    MAX_MATRIX_LITERAL_ENTRIES,
    MAX_NUMBER_BITS,
    MAX_SEGMENTED_NAME,
    MAX_SYNTAX_DEPTH as MAX_DEPTH,
    MAX_TREE_DEPTH,
    MAX_TREE_NODES,
)
from derivcheck.builtins import BUILTIN_NAMES, BUILTINS, builtin, unary_builtins
from derivcheck.errors import FormatError
from derivcheck.hints import suggest
from derivcheck.model import Definition, Dependency, FunctionDecl, Text
from derivcheck.parse import linalg, probability
from derivcheck.parse.symbols import SymbolSpec, bound_value
from derivcheck.parse.syntax import show

CONSTANTS = {"E": sympy.E, "pi": sympy.pi}
INFINITY = "oo"  # allowed only as the point of a Limit or a bound of an Integral
# Written out, so that the proof methods see log and exp as usual.
_WRITTEN_OUT: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "log1p": lambda t: sympy.log(1 + t),
    "expm1": lambda t: sympy.exp(t) - 1,
}
# The one-argument built-ins of the registry (derivcheck/builtins.py), as SymPy functions.
_UNARY: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    b.name: _WRITTEN_OUT[b.name] if b.sympy is None else getattr(sympy, b.sympy) for b in unary_builtins()
}
BUILTIN_FUNCTIONS = BUILTIN_NAMES
LIMIT_DUMMY_INDEX = 0  # SymPy numbers its own dummies from a random base far above this
LIMIT_DIRECTIONS = {"+": "+", "-": "-"}  # one-sided limits; without a direction a limit is two-sided

# Constructs that are not read, with what to write instead.
NOT_SUPPORTED = {
    "Piecewise": "write max, min, abs or sign, or split the chain with 'cases:' (one case per piece)",
    "integrate": "write Integral(f, (x, a, b)) (bounds may be oo or -oo)",
    "limit": "write Limit(expr, h, 0) (or Limit(expr, h, 0, '+') for a one-sided limit)",
    "lim": "write Limit(expr, h, 0) (or Limit(expr, h, 0, '+') for a one-sided limit)",
    "Derivative": "write diff(expr, x)",
    "E": "E is Euler's number; an expectation is written Expectation(f, (x, Normal(mu, sigma)))",
    "Variance": "write Var(f, (x, Normal(mu, sigma)))",
}

# Common functions that are not built in, with the definition to write under 'functions'.
DEFINE_INSTEAD = {
    "sigmoid": "sigmoid(t): 1/(1 + exp(-t))",
    "sigma": "sigma(t): 1/(1 + exp(-t))",
    "logistic": "logistic(t): 1/(1 + exp(-t))",
    "softplus": "softplus(t): log(1 + exp(t))",
    "relu": "relu(t): max(t, 0)",
    "ReLU": "ReLU(t): max(t, 0)",
    "logit": "logit(p): log(p/(1 - p))",
    "silu": "silu(t): t/(1 + exp(-t))",
    "swish": "swish(t): t/(1 + exp(-t))",
    "gelu": "gelu(t): t*(1 + erf(t/sqrt(2)))/2",
    "heaviside": "heaviside(t): (1 + sign(t))/2",
    "softmax": "softmax(k): exp(z[k])/Sum(exp(z[j]), (j, 1, C))  (with z a vector, j and k indices)",
    "logsumexp": "logsumexp(): log(Sum(exp(z[j]), (j, 1, C)))  (with z a vector, j an index)",
}
# Other spellings of built-ins.
SPELLED_AS = {
    "ln": "log(x)",
    "log10": "log(x, 10)",
    "log2": "log(x, 2)",
    "arctan": "atan(x)",
    "arcsin": "asin(x)",
    "arccos": "acos(x)",
    "ceil": "ceiling(x)",
    "Abs": "abs(x)",
    "fabs": "abs(x)",
    "Max": "max(a, b)",
    "Min": "min(a, b)",
    "sgn": "sign(x)",
    "sum": "Sum(term, (k, lo, hi))",
    "prod": "Product(term, (k, lo, hi))",
}
# Built-ins added after version 1 of the format: a document may still declare
# its own symbol or function of that name, which then takes precedence.
SHADOWABLE = frozenset(b.name for b in BUILTINS if not b.reserved)
RESERVED = (BUILTIN_FUNCTIONS - SHADOWABLE) | frozenset(CONSTANTS)


_DUNDER = "names starting with '__' are not allowed (a derivation never refers to Python)"
_FORBIDDEN = {
    ast.Attribute: "attribute access ('.')",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "an assignment expression (':=')",
    ast.Starred: "a starred argument ('*')",
    ast.Dict: "a dict",
    ast.Set: "a set (sets are only allowed in 'name in {…}' conditions)",
    ast.List: "a list",
    ast.IfExp: "a conditional expression ('if … else')",
    ast.BoolOp: "'and'/'or' (write conditions as a list instead)",
    ast.Compare: "a comparison inside an expression",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Slice: "a slice (':')",
    ast.Tuple: "a tuple (tuples only appear as the limits of Sum/Product)",
}


@dataclass(frozen=True)
class Condition:
    """One parsed condition: ``lhs op rhs`` or ``lhs in {values}``."""

    op: str
    lhs: sympy.Expr
    rhs: sympy.Expr | None
    values: tuple[sympy.Expr, ...]
    text: str
    line: int
    every: tuple = ()  # (index, lo, hi) of "… for every c": one condition per element

    @property
    def is_for_every(self) -> bool:
        return bool(self.every)


_FOR_EVERY = re.compile(r"^(?P<body>.*\S)\s+for\s+every\s+(?P<index>[A-Za-z_][A-Za-z0-9_]*)\s*$", re.S)


@dataclass
class Scope:
    """Declared names of one document, and the memo of expanded function calls."""

    symbols: dict[str, SymbolSpec]
    functions: dict[str, FunctionDecl]
    _bodies: dict[str, tuple[tuple[sympy.Dummy, ...], sympy.Expr | None]] = field(
        default_factory=dict
    )
    _expanding: list[str] = field(default_factory=list)
    _measures: dict[str, tuple[int, int]] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    _defined: dict[str, Defined] = field(default_factory=dict)
    _dependent: dict[str, Dependent] = field(default_factory=dict)
    _partials: dict[tuple[str, str], sympy.Symbol | sympy.IndexedBase] = field(default_factory=dict)
    # The ranges of laws' parameters met while reading (a rate or a scale > 0, when its sign is not
    # declared): the chain that uses the law is checked under them (parse/document.py).
    law_ranges: list[Condition] = field(default_factory=list)

    def need_positive(self, parameter: sympy.Expr, law: str, line: int) -> None:
        """Record that ``parameter``, a rate or scale of ``law``, is taken in its range (> 0)."""
        if parameter.is_positive:
            return
        text = f"{parameter} > 0 (a parameter of {law} is taken in its range)"
        self.law_ranges.append(Condition(">", parameter, sympy.Integer(0), (), text, line))

    def known_names(self) -> list[str]:
        return [*self.symbols, *self.functions, *self.definitions, *self._dependent, *RESERVED]

    def partial(self, quantity: str, on: str, indexed: bool) -> sympy.Symbol | sympy.IndexedBase:
        """The unknown partial derivative of a quantity under ``depends`` in one of its dependencies (∂L/∂y)."""
        key = (quantity, on)
        if key not in self._partials:
            label = f"∂{quantity}/∂{on}"
            self._partials[key] = sympy.IndexedBase(label, real=True) if indexed else sympy.Symbol(label, real=True)
        return self._partials[key]


    def measure(self, name: str) -> tuple[int, int]:
        """Return the tree size and depth of the parsed body of function ``name``."""
        if name not in self._measures:
            body = self._bodies[name][1]
            self._measures[name] = tree_measure(body) if body is not None else (1, 1)
        return self._measures[name]


@dataclass(frozen=True)
class Defined:
    """A named quantity: its placeholder in expressions and its body.

    ``placeholder`` is a Symbol (``L``) or an IndexedBase (``p``, its element
    ``p[k]`` with ``index`` the Dummy ``k`` of the body).
    """

    name: str
    placeholder: sympy.Symbol | sympy.IndexedBase
    index: tuple[sympy.Dummy, ...] | None
    body: sympy.Expr

    def replace_in(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with every occurrence of this quantity replaced by its body."""
        if self.index is None:
            return expr.xreplace({self.placeholder: self.body})
        base, index, body = self.placeholder, self.index, self.body
        return expr.replace(
            lambda e: isinstance(e, sympy.Indexed) and e.base == base and len(e.indices) == len(index),
            lambda e: body.xreplace(dict(zip(index, e.indices, strict=True))),
        )

    def occurs_in(self, expr: sympy.Expr) -> bool:
        """Whether ``expr`` mentions this quantity."""
        if self.index is None:
            return self.placeholder in expr.free_symbols
        return any(e.base == self.placeholder for e in expr.atoms(sympy.Indexed))


@dataclass(frozen=True)
class Dependent:
    """A quantity under ``depends``: no formula, only what it depends on (``on``: name, indices or None)."""

    name: str
    placeholder: sympy.Symbol | sympy.IndexedBase
    indexed: bool
    on: tuple[tuple[str, tuple[str, ...] | None], ...]
    line: int

    def occurs_in(self, expr: sympy.Expr) -> bool:
        if not self.indexed:
            return self.placeholder in expr.free_symbols
        return any(e.base == self.placeholder for e in expr.atoms(sympy.Indexed))


def declare_dependencies(
    scope: Scope, dependencies: tuple[Dependency, ...], definitions: tuple[Definition, ...] = ()
) -> None:
    """Put the quantities under ``depends`` into ``scope``; FormatError for a name they cannot depend on."""
    defined = {d.name for d in definitions}
    for dependency in dependencies:
        placeholder: sympy.Symbol | sympy.IndexedBase = (
            sympy.IndexedBase(dependency.name, real=True)
            if dependency.index is not None
            else sympy.Symbol(dependency.name, real=True)
        )
        on = []
        for written in dependency.on:
            name, _, rest = written.partition("[")
            indices = tuple(part.strip() for part in rest.rstrip("]").split(",")) if rest else None
            known = name in scope.symbols or name in defined or any(d.name == name for d in dependencies)
            if not known or name == dependency.name:
                raise FormatError(
                    f"'{dependency.name}' depends on '{name}', which is not a declared symbol, a defined quantity "
                    "or another quantity under 'depends'",
                    dependency.line,
                )
            for index in indices or ():
                spec = scope.symbols.get(index)
                if spec is None or spec.index_range is None:
                    raise FormatError(
                        f"'{index}' in '{written}' must be an index declared with its range (e.g. {index}: index 1..n)",
                        dependency.line,
                    )
            on.append((name, indices))
        scope._dependent[dependency.name] = Dependent(
            dependency.name, placeholder, dependency.index is not None, tuple(on), dependency.line
        )


def define_quantities(scope: Scope, definitions: tuple[Definition, ...]) -> None:
    """Parse every definition into ``scope``; FormatError on a fault or a definition that uses itself.

    The bodies are read once to learn which definition uses which, then again
    in that order, so that a derivative inside a body sees every body it needs.
    """
    for definition in definitions:
        if definition.index is None:
            placeholder: sympy.Symbol | sympy.IndexedBase = sympy.Symbol(definition.name, real=True)
        else:
            placeholder = sympy.IndexedBase(definition.name, real=True)
        scope.definitions[definition.name] = definition
        index = (
            tuple(sympy.Dummy(part, integer=True) for part in definition.index.split(", "))
            if definition.index is not None
            else None
        )
        scope._defined[definition.name] = Defined(definition.name, placeholder, index, sympy.Integer(0))
    by_name = {d.name: d for d in definitions}
    for definition in definitions:
        _read_definition(scope, definition, derivatives=False)
    scope._bodies.clear()  # function bodies read while the definitions were incomplete
    scope._measures.clear()
    for name in _definition_order(scope):
        _read_definition(scope, by_name[name], derivatives=True)


def _read_definition(scope: Scope, definition: Definition, derivatives: bool) -> None:
    index = scope._defined[definition.name].index
    bound: dict[str, sympy.Expr] = {}
    if definition.index is not None and index is not None:
        bound.update(zip(definition.index.split(", "), index, strict=True))
    with _depth_guard(definition.line):
        builder = _Builder(scope, definition.body, bound, expand=False)
        builder.derivatives_expand = derivatives
        body = builder.build_text()
    scope._defined[definition.name] = replace(scope._defined[definition.name], body=body)


def _definition_order(scope: Scope) -> list[str]:
    """The defined names, each after the ones its body uses; FormatError on a cycle."""
    uses = {
        name: [other for other in scope._defined if scope._defined[other].occurs_in(item.body)]
        for name, item in scope._defined.items()
    }
    order: list[str] = []
    state: dict[str, int] = {}  # 1 while visiting, 2 when placed
    for start in uses:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(uses[start]))] if start not in state else []
        if stack:
            state[start] = 1
        while stack:
            name, following = stack[-1]
            nxt = next(following, None)
            if nxt is None:
                stack.pop()
                state[name] = 2
                order.append(name)
                continue
            if state.get(nxt) == 1:
                path = [n for n, _ in stack]
                cycle = path[path.index(nxt):] + [nxt]
                raise FormatError(
                    f"definitions use each other in a cycle: {_call_path(cycle)}", scope.definitions[nxt].line
                )
            if nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(uses[nxt])))
    return order


def expand_definitions(scope: Scope, expr: sympy.Expr, keep: str | None = None) -> sympy.Expr:
    """``expr`` with every defined quantity (but ``keep``) replaced by its body, through every level."""
    for _ in range(len(scope._defined) + 1):
        present = [d for d in scope._defined.values() if d.name != keep and d.occurs_in(expr)]
        if not present:
            return expr
        for item in present:
            expr = item.replace_in(expr)
    return expr



def parse_expression(text: Text, scope: Scope) -> sympy.Expr:
    """Return the SymPy expression written in ``text``; FormatError points at the fault."""
    with _depth_guard(text.line):
        return _Builder(scope, text).build_text()


def parse_expression_noted(text: Text, scope: Scope) -> tuple[sympy.Expr, tuple[str, ...]]:
    """The expression of ``text`` and the notes its reading made (a derivative 0 because its variable is absent)."""
    with _depth_guard(text.line):
        builder = _Builder(scope, text)
        expr = builder.build_text()
    return expr, tuple(dict.fromkeys(builder.notes))


def _names(variable: sympy.Expr) -> str | None:
    """The name of a symbol, or of the vector of an element (``z`` for ``z[i]``)."""
    if isinstance(variable, sympy.Indexed):
        return str(variable.base.label)
    return variable.name if isinstance(variable, sympy.Symbol) else None


def parse_value_noted(text: Text, scope: Scope) -> tuple[linalg.Value, tuple[str, ...]]:
    """As parse_expression_noted, but a step whose value is a vector or matrix gives that matrix expression."""
    with _depth_guard(text.line):
        builder = _Builder(scope, text)
        value = builder.build_text(allow_matrix=True)
    return value, tuple(dict.fromkeys(builder.notes))


def element_of(value: linalg.Value, scope: Scope, row: sympy.Expr, col: sympy.Expr, text: Text) -> sympy.Expr:
    """The element (row, col) of a matrix value in index form, bounded as every expression is."""
    builder = _Builder(scope, text)
    try:
        with _depth_guard(text.line):
            return builder._bounded(builder.algebra.element(value, row, col))
    except linalg.ShapeError as exc:
        raise FormatError(str(exc), text.line) from None


def define_function(scope: Scope, decl: FunctionDecl) -> None:
    """Parse the body of ``decl`` into ``scope`` (FormatError on a fault or a cycle)."""
    with _depth_guard(decl.line):
        _Builder(scope, decl.body or Text("0", decl.line))._function_body(decl)


def parse_conditions(text: Text, scope: Scope) -> list[Condition]:
    """Return the conditions written in ``text`` (a chain ``0 < p < 1`` gives two)."""
    match = _FOR_EVERY.match(text.text.strip()) if text.tree is None else None
    if match is None:
        with _depth_guard(text.line):
            return _Builder(scope, text).build_condition()
    every = _every_index(match.group("index"), scope, text)
    with _depth_guard(text.line):
        conditions = _Builder(scope, Text(match.group("body"), text.line)).build_condition()
    index = every[0]
    for condition in conditions:
        mentioned = condition.lhs.free_symbols | (condition.rhs.free_symbols if condition.rhs is not None else set())
        if index not in mentioned:
            raise FormatError(
                f"'for every {index}' but the condition does not use {index}: '{text.text.strip()}'; "
                f"write e.g. 'y[{index}] in {{0, 1}} for every {index}'",
                text.line,
            )
    return [replace(c, text=text.text, every=every) for c in conditions]


def probable_every(conditions: tuple[Condition, ...], symbols: dict[str, SymbolSpec]) -> tuple[str, ...]:
    """Warnings for conditions on one element ``y[k]`` (k a declared index) that likely meant every element."""
    indices = {spec.obj for spec in symbols.values() if spec.index_range is not None}
    warnings = []
    for condition in conditions:
        if condition.every or not isinstance(condition.lhs, sympy.Indexed):
            continue
        if condition.op != "in" and not (condition.rhs is not None and condition.rhs.is_number):
            continue
        index = condition.lhs.indices[0] if len(condition.lhs.indices) == 1 else None
        if index not in indices:
            continue
        text = condition.text.strip()
        warning = (
            f"warning: '{text}' (line {condition.line}) constrains the one element {condition.lhs}; "
            f"if every element is meant, write '{text} for every {index}'"
        )
        if warning not in warnings:
            warnings.append(warning)
    return tuple(warnings)


def _every_index(name: str, scope: Scope, text: Text) -> tuple:
    spec = scope.symbols.get(name)
    if spec is None or spec.index_range is None:
        raise FormatError(
            f"'for every {name}' needs an index declared with its range, e.g. '{name}: index 1..C'",
            text.line,
        )
    bounds = [bound_value(bound, lambda name: scope.symbols[name].obj) for bound in spec.index_range]
    return (spec.obj, bounds[0], bounds[1])


@contextmanager
def _depth_guard(line: int) -> Iterator[None]:
    # SymPy recurses over the trees we build; a tree deep through nested
    # function calls can reach Python's recursion limit even within MAX_DEPTH.
    try:
        yield
    except RecursionError:
        raise FormatError(
            "expression nested too deeply (directly or through function definitions)", line
        ) from None


def _prepare(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise FormatError(f"expression is {len(text)} characters long (limit {MAX_TEXT})")
    return text.replace("^", "**").strip()


def _parse_ast(source: str, line: int) -> ast.expr:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        msg = exc.msg
        where = f" at column {exc.offset}" if exc.offset else ""
        if "Exceeds the limit" in msg:
            msg = "an integer literal is far too long"
        fixed = implicit_products_fixed(source)
        if fixed is not None:
            raise FormatError(
                f"cannot parse '{_short(source)}': multiplication is written with '*'; write {_short(fixed, 120)}",
                line,
            ) from None
        raise FormatError(f"cannot parse '{_short(source)}': {msg}{where}", line) from None
    except (RecursionError, MemoryError):
        raise FormatError(
            f"expression nested too deeply to parse: '{_short(source)}'", line
        ) from None
    except ValueError as exc:
        raise FormatError(f"cannot parse '{_short(source)}': {exc}", line) from None
    return tree.body


_NOT_FACTORS = frozenset({"in", "and", "or", "not", "if", "else", "for", "is", "lambda"})


def implicit_products(source: str) -> list[int]:
    """Offsets where a ``*`` is missing between two factors (``2x``, ``2 x``, ``(a)(b)``, ``x y``)."""
    try:
        tokens = [
            t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER)
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for piece in lines:
        offsets.append(offsets[-1] + len(piece))
    missing = []
    for left, right in zip(tokens, tokens[1:]):
        ends_factor = left.type == tokenize.NUMBER or left.string == ")" or (
            left.type == tokenize.NAME and left.string not in _NOT_FACTORS
        )
        starts_factor = right.type == tokenize.NUMBER or (
            right.type == tokenize.NAME and right.string not in _NOT_FACTORS
        ) or (right.string == "(" and left.type != tokenize.NAME)
        if ends_factor and starts_factor:
            missing.append(offsets[right.start[0] - 1] + right.start[1])
    return missing


def implicit_products_fixed(source: str) -> str | None:
    """``source`` with every missing ``*`` written, if that makes it parse; else None."""
    missing = implicit_products(source)
    if not missing:
        return None
    out, last = [], 0
    for offset in missing:
        out.append(source[last:offset].rstrip())
        out.append("*")
        last = offset
    out.append(source[last:])
    fixed = "".join(out)
    try:
        ast.parse(fixed, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return fixed


def _short(source: str, width: int = 60) -> str:
    one_line = " ".join(source.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def split_top_level_terms(source: str) -> list[str] | None:
    """Split ``a + b - c`` at its top-level ``+``/``-`` signs; None if it cannot be tokenized.

    Long sums are parsed a chunk at a time so that ``ast`` does not recurse
    once per term.
    """
    terms: list[str] = []
    depth = 0
    start = 0
    previous = None
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for piece in lines:
        offsets.append(offsets[-1] + len(piece))
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER):
                continue
            pos = offsets[tok.start[0] - 1] + tok.start[1]
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif (
                depth == 0
                and tok.type == tokenize.OP
                and tok.string in "+-"
                and previous is not None
                and (previous.type in (tokenize.NAME, tokenize.NUMBER) or previous.string in ")]}")
            ):
                terms.append(source[start:pos])
                start = pos
            previous = tok
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    terms.append(source[start:])
    return terms


class _Builder:
    def __init__(
        self, scope: Scope, text: Text, bound: dict[str, sympy.Expr] | None = None, expand: bool = True
    ) -> None:
        self.scope = scope
        self.text = text
        self.bound = dict(bound or {})
        self.depth = 0
        self.source = ""
        self.expanded = 0
        self.expand = expand  # replace defined quantities by their bodies (not inside a definition)
        self.derivatives_expand = True  # a derivative expands the definitions it needs
        self.notes: list[str] = []
        self.algebra = linalg.MatrixAlgebra(lambda name: self.scope.symbols[name].obj)
        self.allow_matrix = False  # a step may be a vector or matrix (compared element by element)

    # -- entry points -------------------------------------------------------------------------

    def build_text(self, allow_matrix: bool = False) -> sympy.Expr:
        self.allow_matrix = allow_matrix
        if self.text.tree is not None:
            # Read from another notation (LaTeX): build from its tree; the text is only its display.
            self.source = self.text.text
            return self._bounded(self._expanded(self._expr(self.text.tree)))
        self.source = _prepare(self.text.text)
        if not self.source:
            raise FormatError("empty expression", self.text.line)
        if len(self.source) > CHUNKED_TEXT:
            terms = split_top_level_terms(self.source)
            if terms and len(terms) > _CHUNK_TERMS:
                return self._bounded(self._expanded(self._build_chunks(terms)))
        return self._bounded(self._expanded(self._expr(_parse_ast(self.source, self.text.line))))

    def _expanded(self, expr: sympy.Expr, keep: str | None = None) -> sympy.Expr:
        if not self.expand or not self.scope._defined:
            return expr
        return self._bounded(expand_definitions(self.scope, expr, keep))

    def _bounded(self, expr: sympy.Expr) -> sympy.Expr:
        self._check_scalar(expr)
        # Calls of declared functions share subtrees, so a short text can stand
        # for a tree far too large to check (f2(t): f1(f1(t)), f3(t): f2(f2(t)), …).
        size, depth = tree_measure(expr)
        if size > MAX_TREE_NODES:
            raise FormatError(
                f"expression too large: more than {MAX_TREE_NODES} nodes once its function "
                "calls are expanded",
                self.text.line,
            )
        if depth > MAX_TREE_DEPTH:
            raise FormatError(
                f"expression nested too deeply: more than {MAX_TREE_DEPTH} levels once its "
                "function calls are expanded",
                self.text.line,
            )
        return expr

    def _check_scalar(self, expr: sympy.Expr) -> None:
        """A value is a number: a vector or matrix is read only through a number made of it."""
        if linalg.is_matrix(expr) and self.allow_matrix:
            return  # a step's value: its generic element is checked (element_of)
        if linalg.is_matrix(expr):
            raise FormatError(
                f"this is {linalg.describe(expr)}, not a number; a step compares numbers: write an "
                "element such as (A @ x)[i] with a declared index i, or a number such as dot(u, v)",
                self.text.line,
            )
        if expr.has(sympy.MatrixSymbol):
            raise FormatError(
                "a vector or matrix is used where a number is needed (in a function, sum, power or "
                "derivative); only +, -, scalar *, @, transpose, dot, norm, trace and elements are read",
                self.text.line,
            )

    def _build_chunks(self, terms: list[str]) -> sympy.Expr:
        # Every term goes into one Add: adding up per-chunk Adds would sort and
        # collect all terms twice.
        built: list[tuple[type, sympy.Expr]] = []
        for i in range(0, len(terms), _CHUNK_TERMS):
            self.source = "".join(terms[i : i + _CHUNK_TERMS]).strip()
            if self.source.startswith("+"):
                self.source = self.source[1:].lstrip()
            node = _parse_ast(self.source, self.text.line)
            operands: list[tuple[type, ast.AST]] = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                operands.append((type(node.op), node.right))
                node = node.left
            built.append((type(None), self._expr(node)))
            built.extend((op, self._expr(right)) for op, right in reversed(operands))
        return _add_terms(built)

    def build_condition(self) -> list[Condition]:
        if self.text.tree is not None:
            self.source = self.text.text
            node = self.text.tree
        else:
            self.source = _prepare(self.text.text)
            node = _parse_ast(self.source, self.text.line)
        if not isinstance(node, ast.Compare):
            raise self._error(
                node,
                "a condition must be a relation (==, !=, <, <=, >, >=) or 'name in {…}'",
            )
        out: list[Condition] = []
        left = self._bounded(self._expanded(self._expr(node.left)))
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, ast.In):
                if len(node.ops) != 1:
                    raise self._error(node, "'in {…}' cannot be chained with other relations")
                if not isinstance(right_node, ast.Set):
                    raise self._error(right_node, "'in' takes a set of values, e.g. 'y in {0, 1}'")
                values = tuple(self._expr(v) for v in right_node.elts)
                out.append(Condition("in", left, None, values, self.text.text, self.text.line))
                continue
            symbol = _RELATIONS.get(type(op))
            if symbol is None:
                raise self._error(node, "unsupported relation; use ==, !=, <, <=, >, >= or in")
            right = self._bounded(self._expanded(self._expr(right_node)))
            out.append(Condition(symbol, left, right, (), self.text.text, self.text.line))
            left = right
        return out

    # -- nodes ----------------------------------------------------------------------------------

    def _error(self, node: ast.AST, message: str) -> FormatError:
        segment = ast.get_source_segment(self.source, node) if hasattr(node, "lineno") else None
        if segment is None and self.text.tree is not None:
            segment = show(node)
        line = self.text.line + (getattr(node, "lineno", 1) - 1)
        if segment:
            return FormatError(f"{message}: '{_short(segment)}'", line)
        return FormatError(message, line)

    def _expr(self, node: ast.AST) -> sympy.Expr:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._error(node, f"expression nested deeper than {MAX_DEPTH} levels")
            method = _DISPATCH.get(type(node))
            if method is None:
                what = _FORBIDDEN.get(type(node), f"'{type(node).__name__}' syntax")
                raise self._error(node, f"{what} is not allowed in an expression")
            return method(self, node)
        finally:
            self.depth -= 1

    def _constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or value is None:
            raise self._error(node, "True/False/None are not numbers")
        if isinstance(value, int):
            if value.bit_length() > MAX_INT_DIGITS * 3.33:
                raise self._error(node, f"integer literal longer than {MAX_INT_DIGITS} digits")
            return sympy.Integer(value)
        if isinstance(value, float):
            segment = ast.get_source_segment(self.source, node) or repr(value)
            if _exponent_too_large(segment):
                raise self._error(node, "number literal too large")
            try:
                exact = Fraction(segment.replace("_", ""))
            except (ValueError, ZeroDivisionError):
                raise self._error(node, "cannot read this number") from None
            if exact.numerator.bit_length() + exact.denominator.bit_length() > MAX_NUMBER_BITS:
                raise self._error(node, "number literal too large")
            return sympy.Rational(exact.numerator, exact.denominator)
        if isinstance(value, complex):
            raise self._error(node, "imaginary literals are not supported (declare a complex symbol)")
        raise self._error(node, "strings and bytes are not expressions")

    def _name(self, node: ast.Name) -> sympy.Expr:
        name = node.id
        if name in self.bound:
            return self.bound[name]
        spec = self.scope.symbols.get(name)
        if spec is not None:
            if spec.is_matrix:
                try:
                    return linalg.matrix_symbol(spec, self._bound_value)
                except linalg.ShapeError as exc:
                    raise self._error(node, str(exc)) from None
            if spec.is_vector:
                raise self._error(node, f"'{name}' is a vector; use an element such as {name}[i]")
            return spec.obj
        defined = self.scope._defined.get(name)
        if defined is not None:
            if defined.index is not None:
                raise self._error(node, f"'{name}' is defined element by element; use an element such as {name}[i]")
            return defined.placeholder
        dependent = self.scope._dependent.get(name)
        if dependent is not None:
            if dependent.indexed:
                raise self._error(
                    node, f"'{name}' depends on others element by element; use an element such as {name}[i]"
                )
            return dependent.placeholder
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name == INFINITY:
            raise self._error(
                node,
                "'oo' (infinity) is allowed only as the point of a Limit or a bound of an Integral, "
                "e.g. Limit(f, x, oo) or Integral(f, (x, 0, oo))",
            )
        if name.startswith("__"):
            raise self._error(node, f"undeclared name '{name}': {_DUNDER}")
        if name in self.scope.functions or name in BUILTIN_FUNCTIONS:
            raise self._error(node, f"function '{name}' must be called, e.g. {name}(x)")
        candidates = [*self.bound, *self.scope.known_names()]
        product = _as_product(name, [*self.bound, *self.scope.symbols])
        if product:
            raise self._error(
                node, f"undeclared name '{name}'{suggest(name, candidates)}; to multiply, write {product}"
            )
        raise self._error(
            node, f"undeclared name '{name}'{suggest(name, candidates)}; declare it under 'symbols'"
        )

    def _unary(self, node: ast.expr) -> sympy.Expr:
        sign = 1
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            if isinstance(node.op, ast.USub):
                sign = -sign
            node = node.operand
        if isinstance(node, ast.UnaryOp):
            raise self._error(node, "only '+' and '-' are allowed as unary operators")
        value = self._expr(node)
        return -value if sign < 0 else value

    def _binop(self, node: ast.BinOp) -> sympy.Expr:
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            return self._chain(node, (ast.Add, ast.Sub), _add_terms)
        if op in (ast.Mult, ast.Div):
            return self._chain(node, (ast.Mult, ast.Div), _mul_factors)
        if op in (ast.Pow, ast.BitXor):
            base = self._expr(node.left)
            exponent = self._expr(node.right)
            if linalg.is_matrix(base) or linalg.is_matrix(exponent):
                raise self._error(node, "powers of vectors and matrices are not read; write products with '@'")
            return self._power(node, base, exponent)
        if op is ast.MatMult:
            left, right = self._expr(node.left), self._expr(node.right)
            return self._linalg(node, self.algebra.matmul, left, right)
        symbol = _OPERATORS.get(type(node.op), type(node.op).__name__)
        raise self._error(node, f"operator '{symbol}' is not allowed")

    def _chain(self, node: ast.expr, family: tuple, combine: Callable) -> sympy.Expr:
        # Walk a left-deep chain (a + b - c + ...) without recursing once per term.
        whole = node
        operands: list[tuple[type, ast.AST]] = []
        while isinstance(node, ast.BinOp) and type(node.op) in family:
            operands.append((type(node.op), node.right))
            node = node.left
        first = self._expr(node)
        built = [(type(None), first)] + [(op, self._expr(right)) for op, right in reversed(operands)]
        if any(linalg.is_matrix(value) for _, value in built):
            if combine is _add_terms:
                signed = [(-1 if op is ast.Sub else 1, value) for op, value in built]
                return self._linalg(whole, self.algebra.add, signed)
            factors = [(op is ast.Div, value) for op, value in built]
            # In LaTeX a product of vectors and matrices (x^T A x, X^\top X) is the matrix product.
            return self._linalg(whole, self.algebra.multiply, factors, self.text.tree is not None)
        try:
            return combine(built)
        except FormatError as exc:
            raise self._error(whole, exc.message) from None

    def _linalg(self, node: ast.AST, operation: Callable, *args: object) -> sympy.Expr:
        """An operation of linalg.MatrixAlgebra; a ShapeError is a FormatError at ``node``."""
        try:
            return operation(*args)
        except linalg.ShapeError as exc:
            raise self._error(node, str(exc)) from None

    def _power(self, node: ast.AST, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        # SymPy evaluates a power of numbers at once, also the numeric factors of a
        # product ((2*x)**n) and numeric radicals (sqrt(2)**n): bound the result.
        if exponent.is_Rational:
            size = _growth_bits(base) * abs(int(exponent.p))
            if size > MAX_NUMBER_BITS * int(exponent.q):
                digits = size * 100 // (333 * int(exponent.q))
                shown = f"about {digits}" if digits < 10**15 else "more than 10^15"
                raise self._error(
                    node,
                    f"number too large: this power has {shown} digits "
                    f"(limit {int(MAX_NUMBER_BITS / 3.33)})",
                )
        return sympy.Pow(base, exponent)

    def _subscript(self, node: ast.Subscript) -> sympy.Expr:
        if not isinstance(node.value, ast.Name) and isinstance(node.value, (ast.BinOp, ast.Call, ast.UnaryOp)):
            return self._matrix_element(node)
        if not isinstance(node.value, ast.Name):
            raise self._error(node, "only a declared vector can be subscripted, e.g. z[i]")
        name = node.value.id
        spec = self.scope.symbols.get(name)
        defined = self.scope._defined.get(name)
        if spec is None and defined is not None and defined.index is not None:
            return defined.placeholder[self._defined_indices(node, len(defined.index))]
        dependent = self.scope._dependent.get(name)
        if spec is None and dependent is not None and dependent.indexed:
            return dependent.placeholder[self._defined_indices(node, 1)]
        if spec is None or not spec.is_vector:
            hint = "" if spec is None else " (declare it with the word 'vector')"
            raise self._error(node, f"'{name}' is not a declared vector{hint}")
        slice_node = node.slice
        if isinstance(slice_node, ast.Tuple):
            indices = [self._expr(elt) for elt in slice_node.elts]
        else:
            indices = [self._expr(slice_node)]
        if spec.shape is not None and len(spec.shape) == 2 and len(indices) == 1:
            return self._linalg(node, self.algebra.row, self._name(node.value), indices[0])  # X[p]: row p
        if not indices:
            raise self._error(node, "a vector element needs an index, e.g. z[i]")
        for index in indices:
            if index.is_Number and not index.is_Integer:
                raise self._error(node, "a vector index must be a whole number or an index name")
        return spec.obj[tuple(indices) if len(indices) > 1 else indices[0]]

    def _matrix_element(self, node: ast.Subscript) -> sympy.Expr:
        """``(A @ x)[i]``, ``eye(n)[i, j]``: an element of a vector or matrix expression, 1-based."""
        value = self._expr(node.value)
        if not linalg.is_matrix(value):
            raise self._error(node, "only a vector or matrix can be subscripted, e.g. z[i] or (A @ x)[i]")
        slice_node = node.slice
        nodes = slice_node.elts if isinstance(slice_node, ast.Tuple) else [slice_node]
        indices = [self._expr(elt) for elt in nodes]
        rows, cols = value.shape
        wanted = 1 if cols == 1 or rows == 1 else 2
        if len(indices) != wanted or any(linalg.is_matrix(i) or (i.is_Number and not i.is_Integer) for i in indices):
            raise self._error(
                node, f"an element of {linalg.describe(value)} takes {wanted} whole-number or index subscript(s)"
            )
        if wanted == 1:
            indices = [indices[0], sympy.Integer(1)] if cols == 1 else [sympy.Integer(1), indices[0]]
        for index, size in zip(indices, (rows, cols)):
            self._check_index_within(node, index, size, value)
        return self._linalg(node, self.algebra.subscripted, value, *indices)

    def _check_index_within(
        self, node: ast.Subscript, index: sympy.Expr, size: sympy.Expr, value: linalg.Value
    ) -> None:
        """A declared index used on a sized vector or matrix must run inside ``1..size`` (FormatError otherwise).

        The element of ``eye(n)`` or of a gradient outside its size is not defined, and reading it as the
        formula's value there would make a step "proved" about nothing.
        """
        spec = self.scope.symbols.get(str(index)) if isinstance(index, sympy.Symbol) else None
        if spec is None or spec.index_range is None or spec.obj != index:  # a bound variable of the same name
            return
        lo, hi = (self._bound_value(text) for text in spec.index_range)
        inside = sympy.Integer(1) - lo <= 0, hi - (sympy.Integer(size) if isinstance(size, int) else size) <= 0
        if all(fact is sympy.true for fact in inside):
            return
        raise self._error(
            node,
            f"index {index} runs over {spec.index_range[0]}..{spec.index_range[1]}, but {linalg.describe(value)} "
            f"has elements 1..{size} only; declare {index} as 'index 1..{size}'",
        )

    def _defined_indices(self, node: ast.Subscript, count: int) -> sympy.Expr | tuple[sympy.Expr, ...]:
        """The indices of an element of a quantity defined with ``count`` of them (``p[j]``, ``y[i, j]``)."""
        nodes = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(nodes) != count:
            example = "p[j]" if count == 1 else f"y[{', '.join('ijklmn'[:count])}]"
            raise self._error(node, f"a quantity defined element by element takes {count} index(es), e.g. {example}")
        indices = [self._expr(elt) for elt in nodes]
        if any(index.is_Number and not index.is_Integer for index in indices):
            raise self._error(node, "a vector index must be a whole number or an index name")
        return indices[0] if count == 1 else tuple(indices)

    def _call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            what = _FORBIDDEN.get(type(node.func))
            if what is not None:
                raise self._error(node.func, f"{what} is not allowed in an expression")
            raise self._error(node, f"only named functions can be called{self._product_hint(node)}")
        if node.keywords:
            raise self._error(node.keywords[0], "keyword arguments are not allowed")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self._error(arg, "starred arguments ('*') are not allowed")
            if type(arg) in _FORBIDDEN and not isinstance(arg, ast.Tuple) and not self._matrix_literal(node, arg):
                # Say what the argument is before counting arguments (a generator is one).
                raise self._error(arg, f"{_FORBIDDEN[type(arg)]} is not allowed in an expression")
        name = node.func.id
        if name.startswith("__"):
            raise self._error(node.func, f"unknown function '{name}': {_DUNDER}")
        if name in self.scope.functions and name not in self.bound:
            return self._declared_call(node, name)
        if name in ("Sum", "Product"):
            return self._sum_or_product(node, name)
        if name == "diff":
            return self._diff(node)
        if name == "Limit":
            return self._limit(node)
        # A constant integral is held (probability.HeldIntegral): SymPy would evaluate it numerically
        # whenever a function of it is built or printed.
        if name == "Integral" and not self._shadowed(name):
            return probability.held_integrals(self._integral(node))
        if name in ("Expectation", "Var") and not self._shadowed(name):
            return probability.held_integrals(self._expectation(node, name))
        if name == "KL" and not self._shadowed(name) and name not in self.scope.functions:
            return probability.held_integrals(probability.read_divergence(self, node))
        if name in linalg.FUNCTIONS and name not in self.scope.symbols and name not in self.bound:
            return self._linalg_call(node, name)
        if name in SHADOWABLE and (name in self.scope.symbols or name in self.bound):
            raise self._error(node, f"'{name}' is a symbol, not a function (multiplication is written '*')")
        if name in _UNARY:
            self._arity(node, name, 1, 1)
            arg = self._expr(node.args[0])
            if linalg.is_matrix(arg):
                return self._elementwise(node, [arg], _UNARY[name])
            return _UNARY[name](arg)
        if name == "log":
            self._arity(node, name, 1, 2)
            args = [self._expr(a) for a in node.args]
            if any(linalg.is_matrix(arg) for arg in args):
                return self._elementwise(node, args, sympy.log)
            return sympy.log(*args)
        if name == "KroneckerDelta":
            self._arity(node, name, 2, 2)
            return sympy.KroneckerDelta(*(self._expr(a) for a in node.args))
        if name in ("max", "min") and len(node.args) in (1, 2) and self._is_element_extremum(node):
            return self._element_extremum(node, name)
        if name in ("max", "min"):
            self._arity(node, name, 2, None)
            args = [self._expr(a) for a in node.args]
            try:
                return (sympy.Max if name == "max" else sympy.Min)(*args)
            except ValueError:  # SymPy refuses a constant that is not real (max(asin(7), x))
                shown = next((str(a) for a in args if a.is_number and a.is_extended_real is False), None)
                what = f"'{shown}' is not a real number" if shown else "an argument is not a real number"
                raise self._error(node, f"{name} compares real values, but {what}") from None
        if name == "E" and name not in self.scope.symbols and name not in self.bound:
            raise self._error(node, f"'E' is not supported here; {NOT_SUPPORTED['E']}")
        if name in self.scope.symbols or name in CONSTANTS or name in self.bound:
            raise self._error(node, f"'{name}' is a symbol, not a function{self._product_hint(node)}")
        raise self._error(node, unknown_function_message(name, [*self.scope.functions, *BUILTIN_FUNCTIONS]))

    def _linalg_call(self, node: ast.Call, name: str) -> sympy.Expr:
        """transpose, dot, norm, trace, eye, grad, hessian, Matrix (see linalg.FUNCTIONS)."""
        entry = builtin(name)
        assert entry is not None  # a name of linalg.FUNCTIONS
        self._arity(node, name, entry.least, entry.most)
        if name == "Matrix":
            return self._linalg(node, linalg.literal, self._literal_rows(node.args[0]))
        args = [self._expr(a) for a in node.args]
        if name in ("grad", "hessian"):
            result = self._linalg(node, getattr(self.algebra, name), *args, self._derivative)
            if self.derivatives_expand and isinstance(args[1], sympy.MatrixSymbol):  # w absent from f: a note
                target = expand_definitions(self.scope, args[0]) if self.scope._defined else args[0]
                self._note_vanishing(node, target, self.scope.symbols[args[1].name].obj[1])
            return result
        operation = getattr(self.algebra, name)
        return self._linalg(node, operation, *args)

    def _matrix_literal(self, call: ast.Call, arg: ast.AST) -> bool:
        """Whether ``arg`` is the list of rows of a ``Matrix([…])`` (the one place a list is read)."""
        return (
            isinstance(arg, ast.List) and isinstance(call.func, ast.Name) and call.func.id == "Matrix"
            and not self._shadowed("Matrix") and "Matrix" not in self.scope.functions
        )

    def _literal_rows(self, node: ast.AST) -> list[list[sympy.Expr]]:
        """The entries of ``[[a, b], [c, d]]`` (rows) or ``[a, b]`` (a column), every one a number."""
        if not isinstance(node, ast.List) or not node.elts:
            raise self._error(node, "Matrix takes a list of rows, e.g. Matrix([[1, x], [x, 1]]) or Matrix([a, b])")
        nested = [isinstance(elt, ast.List) for elt in node.elts]
        if any(nested) and not all(nested):
            raise self._error(node, "Matrix takes rows that are all lists, e.g. Matrix([[1, x], [x, 1]])")
        rows = [elt.elts for elt in node.elts if isinstance(elt, ast.List)] if all(nested) else [[e] for e in node.elts]
        if sum(len(row) for row in rows) > MAX_MATRIX_LITERAL_ENTRIES:
            raise self._error(node, f"a matrix literal has at most {MAX_MATRIX_LITERAL_ENTRIES} entries")
        if len({len(row) for row in rows}) != 1 or not rows[0]:
            raise self._error(node, "the rows of a Matrix must have one length, at least 1")
        built = [[self._expr(entry) for entry in row] for row in rows]
        for row_nodes, row_values in zip(rows, built):
            for entry, value in zip(row_nodes, row_values):
                if linalg.is_matrix(value):
                    raise self._error(entry, f"an entry of a Matrix is a number, given {linalg.describe(value)}")
        return built

    def _derivative(self, target: sympy.Expr, *variables: sympy.Expr) -> sympy.Expr:
        """The (total) derivative of ``target`` in the elements ``variables``, definitions written out."""
        expanded = target
        if self.derivatives_expand and self.scope._defined:
            expanded = self._bounded(expand_definitions(self.scope, target))
        return sympy.diff(expanded, *variables)

    def _elementwise(self, node: ast.Call, args: list[sympy.Expr], apply: Callable[..., sympy.Expr]) -> sympy.Expr:
        """A function of numbers applied to a vector or matrix element by element (``sigma(z)``, ``exp(z)``)."""
        return self._linalg(node, self.algebra.elementwise, args, apply)

    def _product_hint(self, node: ast.Call) -> str:
        """``; to multiply, write 2*(x + 1)`` for a call that is really a product."""
        func = ast.get_source_segment(self.source, node.func)
        whole = ast.get_source_segment(self.source, node)
        fixed = implicit_products_fixed(whole) if whole else None
        if fixed is None and func and whole and whole.startswith(func):
            fixed = func + "*" + whole[len(func):].lstrip()
        if fixed is None:
            return " (multiplication is written '*')"
        return f"; to multiply, write {_short(fixed, 80)}"

    def _is_element_extremum(self, node: ast.Call) -> bool:
        first = node.args[0]
        if len(node.args) == 1:
            if not isinstance(first, ast.Name):
                return False
            spec = self.scope.symbols.get(first.id)
            return spec is not None and spec.is_vector and first.id not in self.bound
        return isinstance(node.args[1], ast.Tuple)

    def _element_extremum(self, node: ast.Call, name: str) -> sympy.Expr:
        """``max(z)`` (the one index range of the document) or ``max(z[k], (k, lo, hi))``."""
        from derivcheck.parse.extrema import ElementMax, ElementMin

        cls = ElementMax if name == "max" else ElementMin
        if len(node.args) == 2:
            return self._with_limits(node, name, cls)
        first = node.args[0]
        assert isinstance(first, ast.Name)  # _is_element_extremum checked it
        vector = first.id
        shape = self.scope.symbols[vector].shape
        ranges = {spec.index_range for spec in self.scope.symbols.values() if spec.index_range}
        if shape is not None and len(shape) == 2:
            raise self._error(
                node, f"{name}({vector}) of a matrix is not read; write {name}({vector}[i, k], (k, 1, …))"
            )
        if shape is not None:
            ranges = {("1", shape[0])}  # a vector with a size: its own elements
        if len(ranges) != 1:
            found = "no index is declared" if not ranges else "the indices have different ranges"
            raise self._error(
                node,
                f"{name}({vector}) needs one index range, but {found}; write "
                f"{name}({vector}[k], (k, 1, C)) with the range of the elements",
            )
        lo, hi = (self._bound_value(text) for text in ranges.pop())
        var = sympy.Dummy("k", integer=True)
        return cls(self.scope.symbols[vector].obj[var], (var, lo, hi))

    def _bound_value(self, text: str) -> sympy.Expr:
        return bound_value(text, lambda name: self.scope.symbols[name].obj)

    def _arity(self, node: ast.Call, name: str, low: int, high: int | None) -> None:
        count = len(node.args)
        if count < low or (high is not None and count > high):
            if high is None:
                wanted = f"at least {low} arguments"
            elif low == high:
                wanted = f"{low} argument{'s' if low != 1 else ''}"
            else:
                wanted = f"{low} to {high} arguments"
            raise self._error(node, f"{name} takes {wanted}, given {count}")

    def _declared_call(self, node: ast.Call, name: str) -> sympy.Expr:
        decl = self.scope.functions[name]
        self._arity(node, name, len(decl.params), len(decl.params))
        args = [self._expr(a) for a in node.args]
        if any(linalg.is_matrix(arg) for arg in args):
            return self._elementwise(node, args, lambda *scalars: self._applied(node, decl, list(scalars)))
        return self._applied(node, decl, args)

    def _applied(self, node: ast.Call, decl: FunctionDecl, args: list[sympy.Expr]) -> sympy.Expr:
        """A declared function applied to numbers: its body with the arguments put in (bounded)."""
        name = decl.name
        params, body = self._function_body(decl)
        if body is None:
            return unknown_function(name)(*args)
        # Bound the expansion before building it: depth from the measures, size
        # counted call by call, so nested definitions cannot fill the memory.
        _, body_depth = self.scope.measure(decl.name)
        arg_depth = max((tree_measure(arg)[1] for arg in args), default=0)
        if body_depth + arg_depth > MAX_TREE_DEPTH:
            raise self._error(
                node,
                f"expression nested too deeply: more than {MAX_TREE_DEPTH} levels once "
                "function calls are expanded",
            )
        result = body.xreplace(dict(zip(params, args)))
        self.expanded += tree_measure(result)[0]
        if self.expanded > MAX_TREE_NODES:
            raise self._error(
                node,
                f"expression too large: more than {MAX_TREE_NODES} nodes once function "
                "calls are expanded",
            )
        return result

    def _function_body(self, decl: FunctionDecl) -> tuple[tuple[sympy.Dummy, ...], sympy.Expr | None]:
        cached = self.scope._bodies.get(decl.name)
        if cached is not None:
            return cached
        if decl.name in self.scope._expanding:
            cycle = self.scope._expanding[self.scope._expanding.index(decl.name) :] + [decl.name]
            kind = "calls itself" if len(cycle) == 2 else "functions call each other in a cycle"
            raise FormatError(f"{kind}: {_call_path(cycle)}", decl.line)
        if len(self.scope._expanding) >= MAX_CALL_DEPTH:
            path = _call_path(self.scope._expanding + [decl.name])
            raise FormatError(
                f"function definitions nest more than {MAX_CALL_DEPTH} calls deep: {path}", decl.line
            )
        params = tuple(sympy.Dummy(p) for p in decl.params)
        if decl.body is None:
            result = (params, None)
        else:
            self.scope._expanding.append(decl.name)
            try:
                inner = _Builder(self.scope, decl.body, dict(zip(decl.params, params)), expand=False)
                result = (params, inner.build_text())
            finally:
                self.scope._expanding.pop()
        self.scope._bodies[decl.name] = result
        return result

    def _sum_or_product(self, node: ast.Call, name: str) -> sympy.Expr:
        return self._with_limits(node, name, sympy.Sum if name == "Sum" else sympy.Product)

    def _with_limits(self, node: ast.Call, name: str, cls: type[ExprWithLimits]) -> sympy.Expr:
        self._arity(node, name, 2, 2)
        limits = node.args[1]
        if not isinstance(limits, ast.Tuple) or len(limits.elts) != 3:
            raise self._error(node, f"{name} takes (term, (k, lo, hi)), e.g. {name}(z[k], (k, 1, C))")
        var_node, lo_node, hi_node = limits.elts
        if not isinstance(var_node, ast.Name):
            raise self._error(var_node, f"the variable of {name} must be a name")
        var_name = var_node.id
        if var_name.startswith("__"):
            raise self._error(var_node, _DUNDER)
        # The summation variable is bound: a Dummy, so that giving a declared
        # symbol of the same name a value never touches it.
        var = sympy.Dummy(var_name, integer=True)
        lo, hi = self._expr(lo_node), self._expr(hi_node)
        for bound in (lo, hi):
            if bound.is_Number and not bound.is_Integer:
                raise self._error(node, f"the bounds of {name} must be whole numbers or names")
        term = self._with_bound(var_name, var, node.args[0])
        if linalg.is_matrix(term) and cls is sympy.Sum:
            return self._linalg(node, self.algebra.summed, term, var, lo, hi)  # a sum of vectors
        return cls(term, (var, lo, hi))

    def _diff(self, node: ast.Call) -> sympy.Expr:
        self._arity(node, "diff", 2, 3)
        target = self._expr(node.args[0])
        variable = self._expr(node.args[1])
        if not isinstance(variable, (sympy.Symbol, sympy.Indexed)):
            raise self._error(node.args[1], "diff needs a symbol or a vector element to differentiate in")
        order = 1
        if len(node.args) == 3:
            order_expr = self._expr(node.args[2])
            if not order_expr.is_Integer or not 1 <= int(order_expr) <= MAX_DIFF_ORDER:
                raise self._error(
                    node.args[2], f"the order of diff must be a whole number from 1 to {MAX_DIFF_ORDER}"
                )
            order = int(order_expr)
        quantity = self._defined_variable(variable)
        # In a defined quantity: the other definitions stay in place (a partial
        # derivative); in any other variable: every definition is expanded, so
        # the derivative is the total one (through p[k] = softmax(z)[k]).
        expanded = target
        if self.derivatives_expand and self.scope._defined:
            expanded = self._bounded(expand_definitions(self.scope, target, keep=quantity))
        result = sympy.diff(expanded, variable, order)
        if self.derivatives_expand and self.scope._dependent:
            implicit = self._through_dependencies(node, expanded, variable)
            if implicit != 0 and order != 1:
                raise self._error(
                    node, "a derivative of order 2 or more through a quantity under 'depends' is not read"
                )
            result = result + implicit
        if result == 0 and self.derivatives_expand:
            self._note_vanishing(node, expanded, variable)
        return result

    def _through_dependencies(self, node: ast.Call, expr: sympy.Expr, variable: sympy.Expr) -> sympy.Expr:
        """The part of d expr/d variable that goes through quantities under ``depends`` (the chain rule).

        Each occurrence ``q`` of such a quantity becomes ``q + t * dq/dvariable`` and
        the derivative in ``t`` at 0 is taken, so sums over ``q``'s index keep it.
        """
        partials = set(self.scope._partials.values())
        if any(e.base in partials for e in expr.atoms(sympy.Indexed)) or expr.free_symbols & partials:
            raise self._error(node, "a derivative of a partial derivative of a quantity under 'depends' is not read")
        present = [d for d in self.scope._dependent.values() if d.occurs_in(expr)]
        if not present:
            return sympy.Integer(0)
        t = sympy.Dummy("t")
        bumped = expr
        for item in present:
            if item.indexed:
                bumped = bumped.replace(
                    lambda e, base=item.placeholder: isinstance(e, sympy.Indexed) and e.base == base,
                    lambda e, item=item: e + t * self._rate(node, item, tuple(e.indices), variable),
                )
            else:
                rate = self._rate(node, item, (), variable)
                bumped = bumped.xreplace({item.placeholder: item.placeholder + t * rate})
        return self._bounded(sympy.diff(bumped, t).xreplace({t: sympy.Integer(0)}).doit())

    def _rate(self, node: ast.Call, item: Dependent, own: tuple, variable: sympy.Expr) -> sympy.Expr:
        """d item[own]/d variable: the unknown partials of ``item``, through the quantities it depends on."""
        total: sympy.Expr = sympy.Integer(0)
        for name, indices in item.on:
            at = tuple(variable.indices) if isinstance(variable, sympy.Indexed) else ()
            if _names(variable) == name:
                key = own + at
                partial = self.scope.partial(item.name, name, bool(key))
                total += partial[key] if key else partial
                continue
            if name in self.scope.symbols:
                continue  # a declared symbol depends on nothing else
            element, ranges = self._element_over(node, item, name, indices)
            inner = self._diff_total(node, element, variable)
            if inner == 0:
                continue
            key = own + tuple(r[0] for r in ranges)
            partial = self.scope.partial(item.name, name, bool(key))
            term = (partial[key] if key else partial) * inner
            total += sympy.Sum(term, *ranges) if ranges else term
        return total

    def _element_over(
        self, node: ast.Call, item: Dependent, name: str, indices: tuple[str, ...] | None
    ) -> tuple[sympy.Expr, list[tuple[sympy.Expr, sympy.Expr, sympy.Expr]]]:
        """A general element of the quantity ``name`` that ``item`` depends on, and the ranges of its indices."""
        defined = self.scope._defined.get(name)
        dependent = self.scope._dependent.get(name)
        count = len(defined.index) if defined is not None and defined.index is not None else (
            1 if dependent is not None and dependent.indexed else 0
        )
        if count == 0:
            base = defined.placeholder if defined is not None else dependent.placeholder if dependent else None
            assert base is not None
            return base, []
        if indices is None or len(indices) != count:
            example = f"{name}[{', '.join('ijklmn'[:count])}]"
            raise self._error(
                node,
                f"'{item.name}' depends on '{name}', whose elements have {count} index(es): write their ranges under "
                f"'depends' as {item.name}: {example} (indices declared with their ranges)",
            )
        ranges = []
        for index in indices:
            spec = self.scope.symbols[index]
            assert spec.index_range is not None
            dummy = sympy.Dummy(index, integer=True)
            lo, hi = (parse_expression(Text(bound, spec.line), self.scope) for bound in spec.index_range)
            ranges.append((dummy, lo, hi))
        base = defined.placeholder if defined is not None else dependent.placeholder  # type: ignore[union-attr]
        dummies = tuple(r[0] for r in ranges)
        return base[dummies if count > 1 else dummies[0]], ranges

    def _diff_total(self, node: ast.Call, element: sympy.Expr, variable: sympy.Expr) -> sympy.Expr:
        """The total derivative of a quantity's element: its definition written out, then its dependencies."""
        expanded = self._bounded(expand_definitions(self.scope, element))
        return sympy.diff(expanded, variable) + self._through_dependencies(node, expanded, variable)

    def _defined_variable(self, variable: sympy.Expr) -> str | None:
        for item in self.scope._defined.values():
            if variable == item.placeholder or (
                isinstance(variable, sympy.Indexed) and variable.base == item.placeholder
            ):
                return item.name
        return None

    def _held_constant(self, target: sympy.Expr) -> bool:
        """Whether every quantity in ``target`` is a symbol declared ``constant`` (sizes and indices aside)."""
        names = {base.label.name for base in target.atoms(sympy.IndexedBase)}
        names |= {s.name for s in target.free_symbols if isinstance(s, sympy.Symbol) and not s.is_integer}
        specs = [self.scope.symbols.get(name) for name in names]
        return bool(specs) and all(spec is not None and spec.is_constant for spec in specs)

    def _note_vanishing(self, node: ast.Call, target: sympy.Expr, variable: sympy.Expr) -> None:
        """Note a derivative that is 0 only because its variable does not occur in what is differentiated."""
        if not target.free_symbols:
            return  # a constant: its derivative is 0 for a good reason
        if isinstance(variable, sympy.Indexed):
            occurs = any(e.base == variable.base for e in target.atoms(sympy.Indexed))
        else:
            occurs = variable in target.free_symbols
        if occurs or self._held_constant(target):
            return
        written = ast.get_source_segment(self.source, node.args[0]) if hasattr(node.args[0], "lineno") else None
        if written is None:
            written = show(node.args[0]) if self.text.tree is not None else sympy.sstr(target)
        shown = sympy.sstr(variable)
        self.notes.append(
            f"line {self.text.line}: the derivative of {_short(written)} in {shown} is 0 only because {shown} "
            f"does not occur in it; if it depends on {shown}, say how under 'define' (e.g. a: expression in {shown}); "
            "if it does not, declare its symbols 'constant'"
        )

    def _limit(self, node: ast.Call) -> sympy.Expr:
        """``Limit(expr, h, point)`` or ``Limit(expr, h, point, '+')``: kept unevaluated for the checker."""
        self._arity(node, "Limit", 3, 4)
        var_node = node.args[1]
        if not isinstance(var_node, ast.Name) or var_node.id.startswith("__"):
            raise self._error(var_node, "the variable of Limit must be a name, e.g. Limit(expr, h, 0)")
        var_name = var_node.id
        # Bound, and the same object each time the text is read (a fixed dummy index): limits are
        # evaluated innermost first, so limits nested in the same name never meet.
        var = sympy.Dummy(var_name, dummy_index=LIMIT_DUMMY_INDEX, real=True)
        point = self._limit_point(node.args[2])
        direction = "+-"
        if len(node.args) == 4:
            given = node.args[3]
            if not isinstance(given, ast.Constant) or given.value not in LIMIT_DIRECTIONS:
                raise self._error(given, "the direction of Limit is '+' (from above) or '-' (from below)")
            direction = LIMIT_DIRECTIONS[given.value]
        term = self._with_bound(var_name, var, node.args[0])
        if point.is_infinite:
            direction = "-" if point is sympy.oo else "+"
        return sympy.Limit(term, var, point, direction)

    def _shadowed(self, name: str) -> bool:
        return name in self.scope.symbols or name in self.bound

    def _integral(self, node: ast.Call) -> sympy.Expr:
        """``Integral(f, (x, a, b), …)`` or ``Integral(f, x)``: kept unevaluated for the checker."""
        return probability.read_integral(self, node)

    def _with_bound(self, name: str, var: sympy.Expr, node: ast.expr) -> sympy.Expr:
        """``node`` built with ``name`` standing for the bound variable ``var``."""
        saved = self.bound.get(name)
        self.bound[name] = var
        try:
            return self._expr(node)
        finally:
            if saved is None:
                self.bound.pop(name, None)
            else:
                self.bound[name] = saved

    def _expectation(self, node: ast.Call, name: str) -> sympy.Expr:
        """``Expectation(f, (x, Normal(mu, sigma)))`` / ``Var(…)``: the integral or sum it stands for."""
        from derivcheck.parse.distributions import DISTRIBUTIONS, distribution

        self._arity(node, name, 2, 2)
        spec = node.args[1]
        if isinstance(spec, ast.Tuple) and len(spec.elts) > 1 and not probability.is_law(self, spec.elts[1]):
            return probability.density_expectation(self, node, name)
        known = ", ".join(d.spelling for d in DISTRIBUTIONS)
        if not (
            isinstance(spec, ast.Tuple)
            and len(spec.elts) == 2
            and isinstance(spec.elts[0], ast.Name)
            and isinstance(spec.elts[1], ast.Call)
            and isinstance(spec.elts[1].func, ast.Name)
        ):
            raise self._error(node, f"{name} takes (f, (x, D)) with D one of {known}")
        var_node, law_node = spec.elts
        assert isinstance(var_node, ast.Name) and isinstance(law_node, ast.Call)  # checked above
        assert isinstance(law_node.func, ast.Name)
        law = distribution(law_node.func.id)
        if law is None or var_node.id.startswith("__"):
            raise self._error(law_node, f"unknown distribution; write one of {known}")
        self._arity(law_node, law.name, len(law.params), len(law.params))
        params = self._law_parameters(law_node, law.name)
        probability.take_in_range(self, law_node, law, params)
        var = sympy.Dummy(var_node.id, integer=True) if law.discrete else sympy.Dummy(var_node.id, real=True)
        term = self._with_bound(var_node.id, var, node.args[0])
        mean = self._expected(term, var, law.name, params)
        if name == "Expectation":
            return mean
        return self._expected(term**2, var, law.name, params) - mean**2

    def _law_parameters(self, node: ast.Call, law: str) -> tuple[sympy.Expr, ...]:
        if law != "Categorical":
            return tuple(self._expr(arg) for arg in node.args)
        vector = node.args[0]
        spec = self.scope.symbols.get(vector.id) if isinstance(vector, ast.Name) else None
        if spec is None or not spec.is_vector:
            raise self._error(node, "Categorical(p, C) takes a declared vector p of probabilities p[1..C]")
        return (spec.obj, self._expr(node.args[1]))

    @staticmethod
    def _expected(term: sympy.Expr, var: sympy.Dummy, law: str, params: tuple[sympy.Expr, ...]) -> sympy.Expr:
        from derivcheck.parse.distributions import bernoulli_sum, categorical_sum, integral_over

        if law == "Bernoulli":
            return bernoulli_sum(term, var, params[0])
        if law == "Categorical":
            probabilities, count = params
            assert isinstance(probabilities, sympy.IndexedBase)
            return categorical_sum(term, var, probabilities, count)
        return integral_over(term, var, law, params)

    def _limit_point(self, node: ast.expr) -> sympy.Expr:
        sign = 1
        inner = node
        while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
            sign = -sign if isinstance(inner.op, ast.USub) else sign
            inner = inner.operand
        if isinstance(inner, ast.Name) and inner.id == INFINITY and inner.id not in self.bound:
            return sympy.oo if sign > 0 else -sympy.oo
        return self._expr(node)


def _as_product(name: str, known: list[str]) -> str | None:
    """``xy`` -> ``x*y`` when the name splits into known names (shortest split first), else None."""
    names = sorted(set(known), key=len, reverse=True)
    memo: dict[int, list[str] | None] = {}

    def split(start: int) -> list[str] | None:
        if start == len(name):
            return []
        if start not in memo:
            memo[start] = None
            for candidate in names:
                if name.startswith(candidate, start):
                    rest = split(start + len(candidate))
                    if rest is not None:
                        memo[start] = [candidate, *rest]
                        break
        return memo[start]

    parts = split(0) if len(name) <= MAX_SEGMENTED_NAME else None
    return "*".join(parts) if parts and len(parts) > 1 else None


def unknown_function_message(name: str, candidates: list[str]) -> str:
    """Say how to write a function that is neither built in nor declared."""
    if name in NOT_SUPPORTED:
        return f"'{name}' is not supported here; {NOT_SUPPORTED[name]}"
    if name in SPELLED_AS:
        return f"unknown function '{name}': write {SPELLED_AS[name]}"
    if name in DEFINE_INSTEAD:
        return (
            f"'{name}' is not built in; define it under 'functions', e.g. {DEFINE_INSTEAD[name]}"
        )
    return f"unknown function '{name}'{suggest(name, candidates)}; declare it under 'functions'"


class UnknownFunctionValue(AppliedUndef):
    """A call of a function declared with a ``null`` body.

    Its value is real exactly when every argument is real (an unknown function
    of real arguments is a real function, as in version 1 of the format); with
    an argument that may be complex it may be complex. It is finite when its
    arguments are.
    """

    def _eval_is_extended_real(self) -> bool | None:
        return True if fuzzy_and(arg.is_extended_real for arg in self.args) else None

    def _eval_is_finite(self) -> bool | None:
        return True if fuzzy_and(arg.is_finite for arg in self.args) else None


def unknown_function(name: str) -> type[AppliedUndef]:
    """The SymPy function class of a ``null``-bodied function (see UnknownFunctionValue)."""
    return UndefinedFunction(name, bases=(UnknownFunctionValue,))


def tree_measure(expr: sympy.Basic) -> tuple[int, int]:
    """Return the node count and the depth of ``expr`` written out as a tree.

    Shared subtrees count each time they occur; the walk itself visits each
    distinct subtree once and never recurses.
    """
    measured: dict[sympy.Basic, tuple[int, int]] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if ready:
            parts = [measured[arg] for arg in node.args]
            measured[node] = (
                1 + sum(size for size, _ in parts),
                1 + max((depth for _, depth in parts), default=0),
            )
        elif node not in measured:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in measured)
    return measured[expr]


def _call_path(names: list[str], shown: int = 12) -> str:
    if len(names) <= shown:
        return " -> ".join(names)
    half = shown // 2
    return " -> ".join(names[:half]) + " -> … -> " + " -> ".join(names[-half:])


def _exponent_too_large(literal: str) -> bool:
    # Fraction("1e999999999") would build 10**999999999 before any size check.
    _, sep, exponent = literal.lower().partition("e")
    if not sep:
        return False
    digits = exponent.lstrip("+-").replace("_", "").lstrip("0")
    return len(digits) > 6 or (digits != "" and int(digits) > 2 * MAX_NUMBER_BITS)


def _bits(number: sympy.Expr) -> int:
    p, q = int(number.p), int(number.q)
    return max(abs(p).bit_length(), q.bit_length(), 1)


def _growth_bits(expr: sympy.Expr) -> int:
    """Bits of the numbers SymPy multiplies out when ``expr`` is raised to a power or multiplied.

    0, 1 and -1 count nothing; a product counts its numeric factors, a numeric
    radical (``sqrt(2)``) its base in proportion to its exponent.
    """
    if expr.is_Rational:
        return 0 if expr in (0, 1, -1) else _bits(expr)
    if expr.is_Pow and expr.base.is_Rational and expr.exp.is_Rational:
        return _growth_bits(expr.base) * abs(int(expr.exp.p)) // int(expr.exp.q) + 1
    if expr.is_Mul:
        return sum(_growth_bits(arg) for arg in expr.args)
    return 0


def _add_terms(built: list[tuple[type, sympy.Expr]]) -> sympy.Expr:
    return sympy.Add(*[(-value if op is ast.Sub else value) for op, value in built])


def _mul_factors(built: list[tuple[type, sympy.Expr]]) -> sympy.Expr:
    numeric_bits = sum(_growth_bits(value) for _, value in built)
    if numeric_bits > MAX_NUMBER_BITS:
        raise FormatError("product of numbers too large")
    factors = [(sympy.Pow(value, -1) if op is ast.Div else value) for op, value in built]
    return sympy.Mul(*factors)


_OPERATORS = {
    ast.MatMult: "@",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
}

_RELATIONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}

_DISPATCH: dict[type, Callable] = {
    ast.Constant: _Builder._constant,
    ast.Name: _Builder._name,
    ast.UnaryOp: _Builder._unary,
    ast.BinOp: _Builder._binop,
    ast.Call: _Builder._call,
    ast.Subscript: _Builder._subscript,
}
