"""What every source of a document shares: the YAML pieces and the Markdown parser.

A derivation's YAML (a file, a ```derivation block, the comment above LaTeX
display math) is read into the same keys and declarations by the functions
here; posts are parsed by one CommonMark parser. ``documents``, ``latex`` and
``markdown`` build on this module and never on each other's private helpers.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt

from derivcheck.errors import FormatError
from derivcheck.hints import suggest
from derivcheck.load.yamltree import Mapping, Node, Scalar, Sequence
from derivcheck.model import Chain, Definition, Dependency, FunctionDecl, NumberClaim, NumberValue, SymbolDecl, Text

# -- YAML pieces ----------------------------------------------------------------------------------

# Keys people write for the format's keys: answered with the right key (never accepted).
KEY_ALIASES = {
    "assumptions": "assume", "assumption": "assume", "assumes": "assume", "given": "assume",
    "conditions": "assume", "condition": "assume", "constraints": "assume", "where": "assume",
    "step": "steps", "derivation": "steps", "chain": "steps", "proof": "steps",
    "definitions": "functions", "definition": "functions", "function": "functions",
    "defs": "functions", "defines": "define", "defined": "define",
    "symbol": "symbols", "variables": "symbols", "variable": "symbols", "vars": "symbols",
    "declare": "symbols",
    "case": "cases", "number": "numbers", "checks": "numbers", "values": "numbers",
    "name": "title", "ref": "source", "reference": "source", "url": "source",
    "expression": "expr", "equation": "expr", "eq": "expr", "exp": "expr", "formula": "expr",
    "reason": "by", "because": "by", "why": "by", "justification": "by", "note": "by", "rule": "by",
    "error": "wrong", "erratum": "wrong", "mistake": "wrong", "bug": "wrong",
    "if": "when", "value": "is", "equals": "is", "expected": "is", "claim": "is", "result": "is",
    "tolerance": "tol", "eps": "tol", "with": "at",
}
# Where an alias means something else than its plain meaning (in a case, 'given' is its 'when').
_ALIASES_IN = {
    "case": {
        "given": "when", "assume": "when", "assumptions": "when", "condition": "when",
        "conditions": "when", "where": "when", "step": "steps",
    },
    "number": {"where": "at", "values": "at", "given": "at"},
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FUNCTION_HEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*\Z")


def check_keys(node: Mapping, allowed: tuple[str, ...], where: str) -> None:
    """Refuse a key of ``node`` that is not in ``allowed``, naming the key meant where it can."""
    for key, line in zip(node.keys(), node.key_lines):
        if key not in allowed:
            raise FormatError(
                f"unknown {where} key '{key}'{right_key(key, allowed, where)}; allowed keys: "
                + ", ".join(allowed),
                line,
            )


def right_key(key: str, allowed: tuple[str, ...], where: str) -> str:
    """`` (write 'assume')`` for a known other spelling of a key, else the nearest allowed key."""
    lowered = key.strip().lower()
    for table in (_ALIASES_IN.get(where, {}), KEY_ALIASES):
        right = table.get(lowered)
        if right in allowed:
            return f": write '{right}'"
    if lowered in allowed:
        return f": write '{lowered}' (keys are lower case)"
    return suggest(key, allowed)


def plain_text(node: Node, what: str) -> str:
    """The text of a scalar such as ``source`` or ``by``."""
    if not isinstance(node, Scalar):
        raise FormatError(f"'{what}' must be text", node.line)
    return node.raw


def expr_text(node: Node | None, what: str, line: int) -> Text:
    """The expression text of a scalar, with its line (``what`` names the owner in errors)."""
    if node is None:
        raise FormatError(f"{what} is missing its expression", line)
    if not isinstance(node, Scalar) or node.is_null or not node.raw.strip():
        raise FormatError(f"{what} must be an expression written as text", node.line)
    return Text(node.raw, node.line)


def read_symbols(node: Node | None) -> tuple[SymbolDecl, ...]:
    """The ``symbols`` mapping: one declaration per name (``a, b: real`` declares both)."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    if not isinstance(node, Mapping):
        raise FormatError("'symbols' must be a mapping 'name: words' ({} when empty)", node.line)
    out: list[SymbolDecl] = []
    seen: dict[str, int] = {}
    for (key, value), line in zip(node.items, node.key_lines):
        if isinstance(value, Scalar):
            words = "" if value.is_null else value.raw
        else:
            raise FormatError(f"the words for '{key}' must be text such as 'real' or 'index 1..C'", line)
        for name in (part.strip() for part in key.split(",")):
            if not _NAME.match(name):
                raise FormatError(f"'{name}' is not a valid symbol name (letters, digits, _)", line)
            check_name(name, line)
            if name in seen:
                raise FormatError(f"symbol '{name}' declared twice (first at line {seen[name]})", line)
            seen[name] = line
            out.append(SymbolDecl(name, words.strip(), line))
    return tuple(out)


def check_name(name: str, line: int) -> None:
    """Refuse a name no expression could use (``__x``) or one of Python's keywords."""
    # Such names could never be used in an expression, or look like Python's own.
    if name.startswith("__"):
        raise FormatError(f"'{name}': names starting with '__' are not allowed", line)
    if keyword.iskeyword(name):
        raise FormatError(f"'{name}' is a reserved word of the expression syntax; choose another name", line)


def read_functions(node: Node | None) -> tuple[FunctionDecl, ...]:
    """The ``functions`` mapping: ``name(params): body`` (a null body declares an unknown function)."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    if not isinstance(node, Mapping):
        raise FormatError("'functions' must be a mapping 'name(params): body'", node.line)
    out: list[FunctionDecl] = []
    for (key, value), line in zip(node.items, node.key_lines):
        head = _FUNCTION_HEAD.match(key)
        if not head:
            raise FormatError(
                f"'{key}' is not a function head; write it as name(param, ...), e.g. sigma(t)", line
            )
        name, params_text = head.group(1), head.group(2)
        params = tuple(p.strip() for p in params_text.split(",")) if params_text.strip() else ()
        for param in params:
            if not _NAME.match(param):
                raise FormatError(f"'{param}' is not a valid parameter name in '{key}'", line)
            check_name(param, line)
        if len(set(params)) != len(params):
            raise FormatError(f"repeated parameter in '{key}'", line)
        check_name(name, line)
        if isinstance(value, Scalar) and value.is_null:
            body = None
        elif isinstance(value, Scalar) and value.raw.strip():
            body = Text(value.raw, value.line)
        else:
            raise FormatError(f"the body of '{key}' must be an expression or null", value.line)
        out.append(FunctionDecl(name, params, body, line))
    return tuple(out)


_DEFINED_HEAD = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\])?\s*\Z"
)


def read_definitions(node: Node | None) -> tuple[Definition, ...]:
    """The named quantities under ``define``: ``L: body``, ``p[k]: body`` or ``y[a, b]: body`` (element by element)."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    if not isinstance(node, Mapping):
        raise FormatError("'define' must be a mapping 'name: expression' (or 'p[k]: expression')", node.line)
    out: list[Definition] = []
    for (key, value), line in zip(node.items, node.key_lines):
        head = _DEFINED_HEAD.match(key)
        if not head:
            raise FormatError(
                f"'{key}' cannot be defined; write a name (L: …) or an element with its index (p[k]: …)", line
            )
        name, index = head.group(1), head.group(2)
        check_name(name, line)
        if index is not None:
            indices = [part.strip() for part in index.split(",")]
            for part in indices:
                check_name(part, line)
            if len(set(indices)) != len(indices):
                raise FormatError(f"the indices of '{key}' must be distinct names", line)
            index = ", ".join(indices)
        if not isinstance(value, Scalar) or value.is_null or not value.raw.strip():
            raise FormatError(f"the definition of '{key}' must be an expression", value.line)
        if any(d.name == name for d in out):
            raise FormatError(f"'{name}' is defined twice", line)
        out.append(Definition(name, index, Text(value.raw, value.line), line))
    return tuple(out)


def read_dependencies(node: Node | None) -> tuple[Dependency, ...]:
    """The quantities under ``depends``: ``L: y``, ``L: [y, x]``, ``p[k]: z``, ``L: y[i, j]``."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    if not isinstance(node, Mapping):
        raise FormatError("'depends' maps a quantity to what it depends on, e.g. {L: y, p[k]: z}", node.line)
    out: list[Dependency] = []
    for (key, value), line in zip(node.items, node.key_lines):
        head = _DEFINED_HEAD.match(key)
        if not head or (head.group(2) is not None and "," in head.group(2)):
            raise FormatError(
                f"'{key}' cannot depend on anything; write a name (L: y) or an element with its index (p[k]: z)",
                line,
            )
        check_name(head.group(1), line)
        items = value.items if isinstance(value, Sequence) else [value]
        on = []
        for item in items:
            written = item.raw.strip() if isinstance(item, Scalar) and not item.is_null else ""
            match = _DEFINED_HEAD.match(written)  # a name, or a name with its indices
            if not match:
                raise FormatError(
                    f"'{key}' depends on names: a symbol, a vector, or a quantity with its indices (y[i, j])",
                    getattr(item, "line", line),
                )
            indices = f"[{', '.join(p.strip() for p in match.group(2).split(','))}]" if match.group(2) else ""
            on.append(match.group(1) + indices)
        if any(d.name == head.group(1) for d in out):
            raise FormatError(f"'{head.group(1)}' is listed twice under 'depends'", line)
        out.append(Dependency(head.group(1), head.group(2), tuple(on), line))
    return tuple(out)


@dataclass(frozen=True)
class Equations:
    """What ``solve: last`` makes of the chains' trailing ``= 0``: notes, and the solutions to check."""

    notices: tuple[Text, ...] = ()
    claims: tuple[NumberClaim, ...] = ()


def equations_to_solve(
    chains: list[Chain], solve: Node | None, solutions: Node | None
) -> tuple[list[Chain], Equations]:
    """With ``solve: last``, a chain's last step ``0`` sets up an equation: not an identity step.

    Each of ``solutions`` (``{w: -1}`` or a list of them) is checked by a number
    claim: the expression before the ``0`` is 0 there.
    """
    if solve is None:
        if solutions is not None:
            raise FormatError("'solutions' needs 'solve: last' (the equation they solve)", solutions.line)
        return chains, Equations()
    if not isinstance(solve, Scalar) or solve.raw.strip() != "last":
        raise FormatError("'solve' takes 'last': the trailing '= 0' of a chain is an equation to solve", solve.line)
    points = _solution_points(solutions)
    kept: list[Chain] = []
    notices: list[Text] = []
    claims: list[NumberClaim] = []
    for chain in chains:
        last = chain.steps[-1]
        if len(chain.steps) < 2 or (last.expr.text.strip() != "0"):
            kept.append(chain)
            continue
        equation = chain.steps[-2]
        notices.append(
            Text(
                f"{chain.label}: '{_short(equation.latex or equation.expr.text)} = 0' sets up an equation "
                "(solve: last); it is not checked as an identity"
                + ("; the solutions given are checked as numbers" if points else ""),
                last.expr.line,
            )
        )
        for point in points:
            at = tuple((name, NumberValue((value,), False, value.line)) for name, value in point)
            zero = NumberValue((Text("0", last.expr.line),), False, last.expr.line)
            claims.append(NumberClaim(equation.expr, at, zero, None, last.expr.line))
        if len(chain.steps) > 2:
            kept.append(replace(chain, steps=chain.steps[:-1]))
    if points and not notices and solutions is not None:
        raise FormatError("'solutions' are given but no chain ends in 0 (the equation they solve)", solutions.line)
    return kept, Equations(tuple(notices), tuple(claims))


def _short(text: str, width: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def _solution_points(node: Node | None) -> list[list[tuple[str, Text]]]:
    """``{w: -1}`` or ``[{w: -1}, {w: 2}]``: each solution as (name, value text) pairs."""
    if node is None:
        return []
    items = node.items if isinstance(node, Sequence) else [node]
    points = []
    for item in items:
        if not isinstance(item, Mapping):
            raise FormatError("'solutions' is a mapping such as {w: -1}, or a list of them", item.line)
        point = []
        for (name, value), line in zip(item.items, item.key_lines):
            if not isinstance(value, Scalar) or value.is_null:
                raise FormatError(f"the solution's value of '{name}' must be a number", line)
            point.append((name, Text(value.raw, value.line)))
        points.append(point)
    return points


def read_conditions(node: Node | None, what: str) -> tuple[Text, ...]:
    """A condition or a list of them (``assume``, a case's ``when``), each as text with its line."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    items = node.items if isinstance(node, Sequence) else (node,)
    out = []
    for item in items:
        if not isinstance(item, Scalar) or item.is_null or not item.raw.strip():
            raise FormatError(f"each condition in '{what}' must be a relation written as text", item.line)
        out.append(Text(item.raw, item.line))
    return tuple(out)


# -- Markdown ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One fenced derivation block.

    ``first_line`` is the file line of its first content line; ``fence_line``
    the line of the opening fence and ``end_line`` the line of the closing one
    (all 1-based). ``lead`` is the text before the opening fence (a list
    marker, a blockquote's ``>``) and ``indent`` what continues it on the
    following lines.
    """

    text: str
    first_line: int
    fence_line: int = 0
    end_line: int = 0
    indent: str = ""
    lead: str = ""


def markdown_parser() -> MarkdownIt:
    """Return the CommonMark parser used for posts (raw HTML is not passed through)."""
    return MarkdownIt("commonmark", {"html": False})
