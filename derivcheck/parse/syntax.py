"""Expression trees of the Python syntax built without text, and their display text.

A front end that is not the Python syntax (the LaTeX reader) builds its
expression as Python ``ast`` nodes with the helpers here and hands the tree to
the same whitelisted builder (``derivcheck.parse.expressions``); nothing it
reads is ever written out as text and parsed again. ``show`` writes a tree in
the format's syntax for reports (``read as``): the text it gives parses back to
a tree of the same meaning, with every bracket that the tree's grouping needs.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

# Binding strength of each node kind in the Python syntax (higher binds tighter).
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


class ExactDecimal(float):
    """A decimal literal that keeps the digits as written (``0.1`` is exactly 1/10 for the builder)."""

    text: str

    def __new__(cls, text: str) -> ExactDecimal:
        value = super().__new__(cls, text)
        value.text = text
        return value

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def number(digits: str) -> ast.Constant:
    """The literal ``digits`` (``12`` or ``0.25``), exact."""
    if "." in digits:
        return ast.Constant(ExactDecimal(digits))
    return ast.Constant(int(digits))


def name(identifier: str) -> ast.Name:
    """A name node (resolved by the builder against the declarations)."""
    return ast.Name(identifier, ast.Load())


def call(function: str, args: Sequence[ast.expr]) -> ast.Call:
    """``function(args…)``."""
    return ast.Call(name(function), list(args), [])


def limits(variable: str, low: ast.expr, high: ast.expr) -> ast.Tuple:
    """``(k, lo, hi)``, the limits of Sum, Product and an extremum over an index."""
    return ast.Tuple([name(variable), low, high], ast.Load())


def element(vector: str, indices: Sequence[ast.expr]) -> ast.Subscript:
    """``v[i]`` or ``v[i, j]``."""
    index: ast.expr = indices[0] if len(indices) == 1 else ast.Tuple(list(indices), ast.Load())
    return ast.Subscript(name(vector), index, ast.Load())


def binary(left: ast.expr, op: ast.operator, right: ast.expr) -> ast.BinOp:
    """``left op right``."""
    return ast.BinOp(left, op, right)


def negative(operand: ast.expr) -> ast.UnaryOp:
    """``-operand``."""
    return ast.UnaryOp(ast.USub(), operand)


def show(node: ast.AST) -> str:
    """Write ``node`` in the format's Python syntax, bracketed as its grouping requires."""
    if isinstance(node, ast.Expression):
        return show(node.body)
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return f"{show(node.func)}({', '.join(show(arg) for arg in node.args)})"
    if isinstance(node, ast.Tuple):
        return f"({', '.join(show(elt) for elt in node.elts)})"
    if isinstance(node, ast.List):  # the rows of a matrix literal
        return f"[{', '.join(show(elt) for elt in node.elts)}]"
    if isinstance(node, ast.Subscript):
        index = node.slice
        inner = ", ".join(show(e) for e in index.elts) if isinstance(index, ast.Tuple) else show(index)
        return f"{show(node.value)}[{inner}]"
    if isinstance(node, ast.UnaryOp):
        symbol = "-" if isinstance(node.op, ast.USub) else "+"
        return symbol + _operand(node.operand, _NEG + 1 if isinstance(node.operand, ast.UnaryOp) else _NEG)
    if isinstance(node, ast.BinOp):
        return _show_binary(node)
    if isinstance(node, ast.Compare):
        parts = [show(node.left)]
        for op, right in zip(node.ops, node.comparators):
            parts.append(f" {_COMPARE.get(type(op), '?')} {show(right)}")
        return "".join(parts)
    return ast.unparse(node)


_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _show_binary(node: ast.BinOp) -> str:
    if isinstance(node.op, ast.Pow):
        return f"{_operand(node.left, _ATOM)}**{_operand(node.right, _ATOM)}"
    level = _strength(node)
    # A left-deep chain (a + b - c …) is written in one pass: long sums do not recurse per term.
    links: list[tuple[ast.operator, ast.expr]] = []
    first: ast.expr = node
    while isinstance(first, ast.BinOp) and not isinstance(first.op, ast.Pow) and _strength(first) == level:
        links.append((first.op, first.right))
        first = first.left
    out = [_operand(first, level)]
    for op, right in reversed(links):
        # The right operand binds tighter than the chain (a - (b - c), a/(b*c)); a negative one is
        # bracketed for the reader (a*(-b)).
        out.append(_SYMBOLS.get(type(op), " ? "))
        out.append(_operand(right, _ATOM if isinstance(right, ast.UnaryOp) else level + 1))
    return "".join(out)


_SYMBOLS = {ast.Add: " + ", ast.Sub: " - ", ast.Mult: "*", ast.Div: "/"}


def _operand(node: ast.AST, needed: int) -> str:
    text = show(node)
    return f"({text})" if _strength(node) < needed else text


def _strength(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            return _POW
        return _ADD if isinstance(node.op, (ast.Add, ast.Sub)) else _MUL
    if isinstance(node, ast.UnaryOp):
        return _NEG
    if isinstance(node, ast.Compare):
        return 0
    return _ATOM
