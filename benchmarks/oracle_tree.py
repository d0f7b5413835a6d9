"""The oracle's own expression trees: printers (format syntax, LaTeX) and evaluators.

Nothing here imports derivcheck: the oracle builds its trees itself, prints
them to the text an author would write, and evaluates them itself — exactly
with fractions where every operation is rational, else with mpmath at a
stated precision, and in float64 operation by operation for stability claims.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeAlias

import mpmath

Value: TypeAlias = Fraction | Any  # a Fraction when exact, else an mpmath mpf or mpc (untyped)
VECTOR_SIZE = ("n",)  # max(z)/min(z) run over z[1..n]: the size symbol the oracle's documents declare


@dataclass(frozen=True)
class Node:
    """One node: ``op`` names the kind, ``args`` its children (or leaf data).

    Kinds: ``num`` (Fraction), ``var`` (name), ``el`` (vector name, index node),
    ``add``/``sub``/``mul``/``div``/``pow`` (two nodes), ``neg`` (one node),
    ``call`` (function name, then argument nodes), ``sum``/``prod`` (body,
    variable name, low node, high node), ``vmax``/``vmin`` (vector name),
    ``delta`` (two index nodes), ``const`` (``E`` or ``pi``).
    """

    op: str
    args: tuple[object, ...]

    def kids(self) -> list[Node]:
        """The child nodes, in order."""
        return [a for a in self.args if isinstance(a, Node)]


def num(value: int | Fraction) -> Node:
    """A nonnegative number leaf (negative values become a negation)."""
    value = Fraction(value)
    if value < 0:
        return neg(Node("num", (-value,)))
    return Node("num", (value,))


def var(name: str) -> Node:
    return Node("var", (name,))


def el(vec: str, index: Node) -> Node:
    return Node("el", (vec, index))


def add(a: Node, b: Node) -> Node:
    return Node("add", (a, b))


def sub(a: Node, b: Node) -> Node:
    return Node("sub", (a, b))


def mul(a: Node, b: Node) -> Node:
    return Node("mul", (a, b))


def div(a: Node, b: Node) -> Node:
    return Node("div", (a, b))


def pw(a: Node, b: Node | int | Fraction) -> Node:
    return Node("pow", (a, b if isinstance(b, Node) else num(b)))


def neg(a: Node) -> Node:
    return Node("neg", (a,))


def call(name: str, *args: Node) -> Node:
    return Node("call", (name, *args))


def ssum(body: Node, index: str, lo: Node | int, hi: Node | int) -> Node:
    return Node("sum", (body, index, _n(lo), _n(hi)))


def sprod(body: Node, index: str, lo: Node | int, hi: Node | int) -> Node:
    return Node("prod", (body, index, _n(lo), _n(hi)))


def delta(i: Node, j: Node) -> Node:
    return Node("delta", (i, j))


def limit(body: Node, name: str, at: Node, side: str = "") -> Node:
    """The limit of ``body`` as ``name`` tends to ``at`` (``const("oo")`` for infinity); ``side`` "+", "-" or ""."""
    return Node("limit", (body, name, at, side))


def integral(body: Node, name: str, lo: Node, hi: Node) -> Node:
    """``Integral(body, (name, lo, hi))``; a bound may be ``const("oo")`` or its negation."""
    return Node("integral", (body, name, lo, hi))


def expect(body: Node, name: str, dist: str, *params: Node, variance: bool = False) -> Node:
    """``Expectation(body, (name, Dist(params)))`` (``Var`` when ``variance``)."""
    return Node("variance" if variance else "expect", (body, name, dist, *params))


def mvar(name: str) -> Node:
    """A vector or matrix declared with its size, as a whole."""
    return Node("mvar", (name,))


def matmul(a: Node, b: Node) -> Node:
    return Node("matmul", (a, b))


def el2(name: str, i: Node, j: Node) -> Node:
    """The element ``name[i, j]`` of a matrix."""
    return Node("el2", (name, i, j))


def entry(expr: Node, *index: Node) -> Node:
    """An element of a vector or matrix expression: ``(A @ x)[i]``."""
    return Node("entry", (expr, *index))


def diff(body: Node, name: str, index: Node | None = None) -> Node:
    """``diff(body, name)`` or ``diff(body, name[index])``; the variable is kept out of the kids (never edited)."""
    return Node("diff", (body, name, (index,) if index is not None else ()))


def grad(body: Node, vector: str, hessian: bool = False) -> Node:
    """``grad(body, w)`` (``hessian(body, w)``) in a declared vector ``w`` with a size."""
    return Node("hessian" if hessian else "grad", (body, vector))


def matrix(rows: list[list[Node]]) -> Node:
    """``Matrix([[a, b], [c, d]])``; one column prints as ``Matrix([a, b])``."""
    return Node("matrix", (len(rows), len(rows[0]), *[e for row in rows for e in row]))


def kl(first: tuple[str, tuple[Node, ...]], second: tuple[str, tuple[Node, ...]]) -> Node:
    """``KL(P, Q)`` between two declared laws, each a name and its parameters."""
    return Node("kl", (first[0], len(first[1]), second[0], *first[1], *second[1]))


def antiderivative(body: Node, name: str) -> Node:
    """``Integral(body, x)`` without bounds: an antiderivative in the declared symbol ``x``."""
    return Node("antider", (body, name))


OO = Node("const", ("oo",))


def const(name: str) -> Node:
    return Node("const", (name,))


def number_of(n: Node) -> Fraction:
    """The value of a ``num`` leaf."""
    value = n.args[0]
    assert n.op == "num" and isinstance(value, Fraction)
    return value


def child(n: Node, k: int) -> Node:
    """The ``k``-th argument of ``n``, which must be a node."""
    value = n.args[k]
    assert isinstance(value, Node)
    return value


def _n(x: Node | int) -> Node:
    return x if isinstance(x, Node) else num(x)


def adds(*terms: Node) -> Node:
    """Left-nested sum of one term or more."""
    out = terms[0]
    for t in terms[1:]:
        out = add(out, t)
    return out


def muls(*factors: Node) -> Node:
    out = factors[0]
    for f in factors[1:]:
        out = mul(out, f)
    return out


# ------------------------------------------------------------------------------------------
# walking


def nodes(tree: Node) -> list[Node]:
    """Every node of the tree, pre-order."""
    out = [tree]
    for k in tree.kids():
        out.extend(nodes(k))
    return out


def replace_at(tree: Node, target: int, new: Node) -> Node:
    """The tree with its ``target``-th node (pre-order) replaced by ``new``."""
    counter = [0]

    def walk(n: Node) -> Node:
        here = counter[0]
        counter[0] += 1
        if here == target:
            counter[0] += len(nodes(n)) - 1
            return new
        args = tuple(walk(a) if isinstance(a, Node) else a for a in n.args)
        return Node(n.op, args)

    return walk(tree)


def rename(tree: Node, mapping: Mapping[str, str]) -> Node:
    """The tree with names (symbols, vectors, bound indices) renamed."""
    if tree.op in ("var", "const"):
        name = str(tree.args[0])
        return Node(tree.op, (mapping.get(name, name),)) if tree.op == "var" else tree
    if tree.op in ("el", "el2", "vmax", "vmin", "mvar"):
        name = str(tree.args[0])
        rest = tuple(rename(a, mapping) if isinstance(a, Node) else a for a in tree.args[1:])
        return Node(tree.op, (mapping.get(name, name), *rest))
    if tree.op in ("sum", "prod"):
        body, index, lo, hi = tree.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        return Node(tree.op, (rename(body, mapping), mapping.get(str(index), str(index)),
                              rename(lo, mapping), rename(hi, mapping)))
    return Node(tree.op, tuple(rename(a, mapping) if isinstance(a, Node) else a for a in tree.args))


def as_latex_reads(tree: Node) -> Node:
    """The tree as its LaTeX print means it: a normal law is printed with its variance ``sigma^2``,
    so its scale is ``|sigma|`` (a valid law for a negative ``sigma`` too, where the YAML law has none)."""
    args = tuple(as_latex_reads(a) if isinstance(a, Node) else a for a in tree.args)
    if tree.op in ("expect", "variance") and args[2] == "Normal":
        body, name, dist, mu, sigma = args
        assert isinstance(sigma, Node)
        return Node(tree.op, (body, name, dist, mu, call("abs", sigma)))
    if tree.op == "kl":
        first, count, second, *params = args
        laws = [(first, params[:int(str(count))]), (second, params[int(str(count)):])]
        scaled = [ps[:1] + [call("abs", ps[1])] if law == "Normal" else ps for law, ps in laws]  # type: ignore[operator]
        return Node("kl", (first, count, second, *scaled[0], *scaled[1]))
    return Node(tree.op, args)


# ------------------------------------------------------------------------------------------
# the format's Python syntax

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}


def _prec(n: Node) -> int:
    if n.op == "num":
        value = n.args[0]
        assert isinstance(value, Fraction)
        return 2 if "/" in _num_text(value) else 5
    return _PREC.get(n.op, 5)


def _num_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # a finite decimal: exact in the format
        digits = 0
        while (value * 10**digits).denominator != 1:
            digits += 1
        whole = value.numerator * 10**digits // value.denominator
        text = str(whole).rjust(digits + 1, "0")
        return text[:-digits] + "." + text[-digits:]
    return f"{value.numerator}/{value.denominator}"


def py(n: Node) -> str:
    """The tree in the format's Python operator syntax, with the fewest brackets that keep the tree."""
    op = n.op
    if op == "num":
        value = n.args[0]
        assert isinstance(value, Fraction)
        return _num_text(value)
    if op in ("var", "const"):
        return str(n.args[0])
    if op == "el":
        index = n.args[1]
        assert isinstance(index, Node)
        return f"{n.args[0]}[{py(index)}]"
    if op in ("add", "sub", "mul", "div"):
        a, b = n.kids()
        p = _PREC[op]
        left = py(a) if _prec(a) >= p else f"({py(a)})"
        right_needs = _prec(b) > p if op in ("sub", "div") else _prec(b) >= p
        if b.op == "neg" and op in ("add", "sub"):
            right_needs = False
        right = py(b) if right_needs else f"({py(b)})"
        sym = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[op]
        return left + sym + right
    if op == "neg":
        (a,) = n.kids()
        inner = py(a) if _prec(a) >= 4 else f"({py(a)})"
        return "-" + inner
    if op == "pow":
        a, b = n.kids()
        base = py(a) if _prec(a) >= 5 else f"({py(a)})"
        expo = py(b) if _prec(b) >= 5 else f"({py(b)})"
        return f"{base}**{expo}"
    if op == "call":
        name = str(n.args[0])
        return f"{name}({', '.join(py(k) for k in n.kids())})"
    if op in ("sum", "prod"):
        body, index, lo, hi = n.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        word = "Sum" if op == "sum" else "Product"
        return f"{word}({py(body)}, ({index}, {py(lo)}, {py(hi)}))"
    if op in ("vmax", "vmin"):
        return f"{op[1:]}({n.args[0]})"
    if op == "delta":
        i, j = n.kids()
        return f"KroneckerDelta({py(i)}, {py(j)})"
    if op == "limit":
        body, name, at, side = n.args
        assert isinstance(body, Node) and isinstance(at, Node)
        return f"Limit({py(body)}, {name}, {py(at)}" + (f", '{side}')" if side else ")")
    if op == "integral":
        body, name, lo, hi = n.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        return f"Integral({py(body)}, ({name}, {py(lo)}, {py(hi)}))"
    if op in ("expect", "variance"):
        body, name, dist, *params = n.args
        assert isinstance(body, Node)
        word = "Expectation" if op == "expect" else "Var"
        inner = ", ".join(py(p) for p in params if isinstance(p, Node))
        return f"{word}({py(body)}, ({name}, {dist}({inner})))"
    if op == "mvar":
        return str(n.args[0])
    if op == "el2":
        i, j = n.kids()
        return f"{n.args[0]}[{py(i)}, {py(j)}]"
    if op == "matmul":
        a, b = n.kids()
        left = py(a) if a.op in ("mvar", "matmul", "call") else f"({py(a)})"
        right = py(b) if b.op in ("mvar", "call") else f"({py(b)})"
        return f"{left} @ {right}"
    if op == "entry":
        expr, *index = n.kids()
        return f"({py(expr)})[{', '.join(py(k) for k in index)}]"
    if op == "diff":
        body, name, index = n.args
        assert isinstance(body, Node) and isinstance(index, tuple)
        return f"diff({py(body)}, {name}" + (f"[{py(index[0])}])" if index else ")")
    if op in ("grad", "hessian"):
        body, vector = n.args
        assert isinstance(body, Node)
        return f"{op}({py(body)}, {vector})"
    if op == "matrix":
        rows, cols = int(str(n.args[0])), int(str(n.args[1]))
        cells = [py(k) for k in n.kids()]
        if cols == 1:
            return f"Matrix([{', '.join(cells)}])"
        return "Matrix([" + ", ".join("[" + ", ".join(cells[r * cols:(r + 1) * cols]) + "]" for r in range(rows)) + "])"
    if op == "kl":
        first, count, second = str(n.args[0]), int(str(n.args[1])), str(n.args[2])
        ps = n.kids()
        return f"KL({first}({', '.join(py(k) for k in ps[:count])}), {second}({', '.join(py(k) for k in ps[count:])}))"
    if op == "antider":
        body, name = n.args
        assert isinstance(body, Node)
        return f"Integral({py(body)}, {name})"
    raise ValueError(op)


# ------------------------------------------------------------------------------------------
# LaTeX, by the oracle's own printer (two bracket habits)


@dataclass(frozen=True)
class LatexStyle:
    """How the printer writes products and brackets."""

    cdot: bool = True  # ``a \\cdot b`` (else juxtaposition with a space)
    left_right: bool = False  # ``\\left( \\right)`` (else plain brackets)


_LATEX_FUNCS = {
    "sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "sinh": "\\sinh", "cosh": "\\cosh",
    "tanh": "\\tanh", "log": "\\log", "atan": "\\arctan",
}


def _br(text: str, style: LatexStyle) -> str:
    return f"\\left({text}\\right)" if style.left_right else f"({text})"


def tex(n: Node, style: LatexStyle) -> str:
    """The tree as LaTeX display math, read back by any reader that honours brackets."""
    op = n.op
    if op == "num":
        value = n.args[0]
        assert isinstance(value, Fraction)
        if value.denominator == 1:
            return str(value.numerator)
        text = _num_text(value)
        if "/" in text:
            return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
        return text
    if op == "var":
        return str(n.args[0])
    if op == "const":
        return {"pi": "\\pi", "oo": "\\infty"}.get(str(n.args[0]), "e")
    if op == "el":
        index = n.args[1]
        assert isinstance(index, Node)
        return f"{n.args[0]}_{{{tex(index, style)}}}"
    if op in ("add", "sub"):
        a, b = n.kids()
        right = tex(b, style)
        if op == "sub" and _prec(b) <= 1 or b.op == "neg":
            right = _br(right, style)
        return tex(a, style) + (" + " if op == "add" else " - ") + right
    if op == "mul":
        a, b = n.kids()
        left = tex(a, style)
        if _prec(a) < 2 or a.op in ("sum", "prod", "neg"):
            left = _br(left, style)
        right = tex(b, style)
        if _prec(b) <= 2 or b.op in ("sum", "prod", "neg", "num") or (a.op == "num" and b.op == "num"):
            right = _br(right, style)
        joiner = " \\cdot " if style.cdot else " "
        return left + joiner + right
    if op == "div":
        a, b = n.kids()
        return f"\\frac{{{tex(a, style)}}}{{{tex(b, style)}}}"
    if op == "neg":
        (a,) = n.kids()
        inner = tex(a, style)
        if _prec(a) < 2 or a.op in ("neg", "sum", "prod"):
            inner = _br(inner, style)
        return "-" + inner
    if op == "pow":
        a, b = n.kids()
        base = tex(a, style)
        if a.op == "el":
            base = "{" + base + "}"
        elif not (a.op in ("var", "const") or (a.op == "num" and _prec(a) == 5)):
            base = _br(base, style)
        return f"{base}^{{{tex(b, style)}}}"
    if op == "call":
        name = str(n.args[0])
        args = n.kids()
        if name == "exp":
            return f"e^{{{tex(args[0], style)}}}"
        if name == "sqrt":
            return f"\\sqrt{{{tex(args[0], style)}}}"
        if name == "abs":
            return f"\\left|{tex(args[0], style)}\\right|"
        if name in ("max", "min"):
            return f"\\{name}\\left({', '.join(tex(a, style) for a in args)}\\right)"
        if name == "transpose":
            base = tex(args[0], style)
            return (base if args[0].op == "mvar" else _br(base, style)) + "^\\top"
        if name == "dot":
            return tex(call("transpose", args[0]), style) + " " + (
                tex(args[1], style) if args[1].op == "mvar" else _br(tex(args[1], style), style))
        if name == "norm":
            return f"\\|{tex(args[0], style)}\\|"
        if name == "trace":
            return f"\\operatorname{{tr}}{_br(tex(args[0], style), style)}"
        if name == "eye":
            return f"I_{{{tex(args[0], style)}}}"
        head = _LATEX_FUNCS.get(name, f"\\operatorname{{{name}}}")
        return f"{head}{_br(', '.join(tex(a, style) for a in args), style)}"
    if op in ("sum", "prod"):
        body, index, lo, hi = n.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        word = "\\sum" if op == "sum" else "\\prod"
        return f"{word}_{{{index}={tex(lo, style)}}}^{{{tex(hi, style)}}} {_br(tex(body, style), style)}"
    if op == "delta":
        i, j = n.kids()
        return f"\\delta_{{{tex(i, style)},{tex(j, style)}}}"
    if op == "limit":
        body, name, at, side = n.args
        assert isinstance(body, Node) and isinstance(at, Node)
        point = tex(at, style) + (f"^{{{side}}}" if side else "")
        inner = tex(body, style)
        if body.op not in ("div", "call", "var", "num"):
            inner = _br(inner, style)
        return f"\\lim_{{{name} \\to {point}}} {inner}"
    if op == "integral":
        body, name, lo, hi = n.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        inner = tex(body, style)
        if style.cdot and _prec(body) <= 1:
            inner = _br(inner, style)
        return f"\\int_{{{tex(lo, style)}}}^{{{tex(hi, style)}}} {inner} \\, d{name}"
    if op in ("expect", "variance"):
        body, name, dist, *params = n.args
        assert isinstance(body, Node)
        law = _law_tex(str(dist), [p for p in params if isinstance(p, Node)], style)
        head = "\\mathbb{E}" if op == "expect" else "\\operatorname{Var}"
        return f"{head}_{{{name} \\sim {law}}}\\left[{tex(body, style)}\\right]"
    if op == "kl":
        first, count, second = str(n.args[0]), int(str(n.args[1])), str(n.args[2])
        ps = n.kids()
        return (f"D_{{\\mathrm{{KL}}}}({_law_tex(first, ps[:count], style)} \\| "
                f"{_law_tex(second, ps[count:], style)})")
    if op == "matrix":
        cols = int(str(n.args[1]))
        cells = [tex(k, style) for k in n.kids()]
        rows = [" & ".join(cells[r:r + cols]) for r in range(0, len(cells), cols)]
        return "\\begin{pmatrix} " + " \\\\ ".join(rows) + " \\end{pmatrix}"
    if op == "mvar":
        name = str(n.args[0])
        return f"\\mathbf{{{name}}}" if name.islower() else name
    if op == "el2":
        i, j = n.kids()
        return f"{n.args[0]}_{{{tex(i, style)},{tex(j, style)}}}"
    if op == "matmul":
        a, b = n.kids()
        left, right = tex(a, style), tex(b, style)
        if _prec(a) < 2:
            left = _br(left, style)
        if _prec(b) <= 2 and b.op != "matmul" or b.op in ("neg", "num"):
            right = _br(right, style)
        return f"{left} {right}"
    raise ValueError(f"no LaTeX for {op}")


def _law_tex(dist: str, ps: list[Node], style: LatexStyle) -> str:
    """A law as authors write it after ``\\sim`` or in a divergence."""
    # plain brackets around the parameters: the reader refused \left( \right) there (ORACLE_FINDINGS F14)
    if dist == "Normal":  # authors write the variance: N(mu, sigma^2)
        return f"\\mathcal{{N}}({tex(ps[0], style)}, {tex(pw(ps[1], 2), style)})"
    if dist == "Uniform":
        return f"\\mathcal{{U}}({', '.join(tex(p, style) for p in ps)})"
    word = "Exp" if dist == "Exponential" else dist
    return f"\\operatorname{{{word}}}({', '.join(tex(p, style) for p in ps)})"


def latex_ok(n: Node) -> bool:
    """Whether the oracle's LaTeX printer covers every node of the tree."""
    allowed_calls = {"exp", "sqrt", "abs", "max", "min", "sign", "transpose", "dot", "norm", "trace", "eye", *_LATEX_FUNCS}
    for k in nodes(n):
        if k.op in ("vmax", "vmin", "entry", "diff", "grad", "hessian", "antider"):
            return False
        if k.op in ("expect", "variance") and k.args[2] not in ("Normal", "Uniform", "Exponential", "Bernoulli",
                                                                 "Laplace", "Categorical"):
            return False
        if k.op == "call" and k.args[0] not in allowed_calls:
            return False
    return True


# ------------------------------------------------------------------------------------------
# evaluation


class Undefined(ArithmeticError):
    """The expression has no value at this point (a pole, a log of 0, an order of complex values)."""


class Tie(ArithmeticError):
    """A discontinuous function (sign, floor) meets an argument the precision cannot tell from 0."""


@dataclass(frozen=True)
class Point:
    """Values of plain symbols, vectors (1-based lists) and sizes at one sample point."""

    scalars: Mapping[str, Value]
    vectors: Mapping[str, Mapping[int, Value]]
    matrices: Mapping[str, Mapping[tuple[int, int], Value]] = field(default_factory=dict)
    shapes: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # sized vectors and matrices: (rows, cols)


@dataclass(frozen=True)
class Mat:
    """A vector or matrix value: its elements row by row and its shape in size names (``("n", "1")``).

    Shapes are compared by name, as the format does: a product of an ``n``-column
    matrix and a ``d``-row one is refused even where ``n`` and ``d`` are equal.
    """

    rows: tuple[tuple[Value, ...], ...]
    shape: tuple[str, str]

    def transposed(self) -> Mat:
        return Mat(tuple(zip(*self.rows)) if self.rows else (), (self.shape[1], self.shape[0]))


def _as_mp(v: Value) -> mpmath.mpf | mpmath.mpc:
    if isinstance(v, Fraction):
        return mpmath.mpf(v.numerator) / v.denominator
    return v


def _real(v: Value) -> Fraction | mpmath.mpf:
    """A real value, or Undefined."""
    if isinstance(v, mpmath.mpc):
        if abs(v.imag) > abs(v) * mpmath.mpf(10) ** (-mpmath.mp.dps + 8) + mpmath.mpf(10) ** (-mpmath.mp.dps + 8):
            raise Undefined("not real")
        return v.real
    return v


def _int(v: Value) -> int:
    r = _real(v)
    if isinstance(r, Fraction):
        if r.denominator != 1:
            raise Undefined("a non-integer bound")
        return int(r)
    rounded = int(mpmath.nint(r))
    if abs(r - rounded) > mpmath.mpf(10) ** (-mpmath.mp.dps + 10):
        raise Undefined("a non-integer bound")
    return rounded


def _tiny(x: mpmath.mpf | mpmath.mpc) -> bool:
    return bool(abs(x) < mpmath.mpf(10) ** (-mpmath.mp.dps + 12))


def _sign_of(v: Value) -> int:
    r = _real(v)
    if isinstance(r, Fraction):
        return (r > 0) - (r < 0)
    if _tiny(r):
        raise Tie("sign of a value the precision cannot tell from 0")
    return 1 if r > 0 else -1


ELEMENTWISE = ("exp", "log", "sin", "cos", "tanh", "sinh", "cosh", "atan", "sqrt", "erf", "log1p", "expm1")
QUAD_DPS = 60  # integrals are computed with at most these digits (mpmath's quadrature is slow beyond)
QUAD_TOL = mpmath.mpf(10) ** -45  # a quadrature error estimate above this (relative) leaves the integral Undefined
FAR_TAIL = 100  # beyond this, an integrand too large an argument to evaluate counts as 0 (a vanishing tail)
QUAD_DEGREE = 8  # mpmath.quad's maxdegree: its work per integral
HUGE = 10**5  # an exp/sinh/cosh argument beyond this (or a power beyond 10**HUGE) leaves the point out


def _mp_call(name: str, xs: list[mpmath.mpf | mpmath.mpc]) -> mpmath.mpf | mpmath.mpc:
    x = xs[0]
    if name in ("exp", "sinh", "cosh", "expm1", "tan", "sin", "cos", "tanh", "erf", "erfc") and abs(x) > HUGE:
        raise Undefined("an argument too large to evaluate densely")
    if name == "log":
        if x == 0:
            raise Undefined("log of 0")
        if len(xs) == 2:
            if xs[1] == 0 or xs[1] == 1:
                raise Undefined("log base")
            return mpmath.log(x) / mpmath.log(xs[1])
        return mpmath.log(x)
    if name == "sqrt":
        return mpmath.sqrt(x)
    if name == "log1p":
        if x == -1:
            raise Undefined("log1p of -1")
        return mpmath.log1p(x)
    simple: dict[str, Callable[[mpmath.mpf | mpmath.mpc], mpmath.mpf | mpmath.mpc]] = {
        "exp": mpmath.exp, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
        "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh, "atan": mpmath.atan,
        "asin": mpmath.asin, "acos": mpmath.acos, "erf": mpmath.erf, "erfc": mpmath.erfc,
        "expm1": mpmath.expm1,
    }
    if name in simple:
        return simple[name](x)
    raise ValueError(f"no evaluation for {name}")


def _shift(x0: Value, h: Fraction) -> Value:
    """``x0 + h``, exactly when ``x0`` is exact."""
    return x0 + h if isinstance(x0, Fraction) else _as_mp(x0) + _as_mp(h)


def _log_density(law: str, ps: list[mpmath.mpf]) -> tuple[Callable[[mpmath.mpf], mpmath.mpf], list]:
    """The log density of a continuous law (the oracle's own formulas) and the cuts of its support."""
    if law == "Normal":
        mu, sigma = ps
        if sigma <= 0:
            raise Undefined("a normal law needs sigma > 0")
        return (lambda t: -(t - mu) ** 2 / (2 * sigma**2) - mpmath.log(sigma) - mpmath.log(2 * mpmath.pi) / 2,
                [mu + k * sigma for k in (-40, -8, -2, 0, 2, 8, 40)])
    if law == "Laplace":
        mu, scale = ps
        if scale <= 0:
            raise Undefined("a Laplace law needs a positive scale")
        return (lambda t: -abs(t - mu) / scale - mpmath.log(2 * scale),
                [-mpmath.inf, *(mu + k * scale for k in (-10, -2, 0, 2, 10)), mpmath.inf])
    if law == "Exponential":
        (rate,) = ps
        if rate <= 0:
            raise Undefined("an exponential law needs a positive rate")
        return (lambda t: mpmath.log(rate) - rate * t if t >= 0 else -mpmath.inf,
                [mpmath.mpf(0), 1 / rate, 10 / rate, mpmath.inf])
    if law == "Uniform":
        a, b = ps
        if not a < b:
            raise Undefined("a uniform law needs a < b")
        return (lambda t: -mpmath.log(b - a) if a <= t <= b else -mpmath.inf, [a, b])
    raise ValueError(f"no law {law}")


class Evaluator:
    """Evaluates trees at a point: exactly while every operation is rational, else with mpmath."""

    def __init__(self, point: Point, functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None,
                 defines: Mapping[str, tuple[str | None, Node]] | None = None) -> None:
        self.point = point
        self.functions = functions or {}
        self.defines = defines or {}  # name -> (its index or None, its expression): ``define:`` entries
        self.peak = mpmath.mpf(0)  # the largest intermediate value computed inexactly: sets the noise level

    def value(self, n: Node, bound: Mapping[str, Value] | None = None) -> Value:
        """The value of ``n`` (Fraction when exact), or Undefined / Tie."""
        return self._ev(n, dict(bound or {}))

    def _ev(self, n: Node, env: dict[str, Value]) -> Value:
        result = self._ev_node(n, env)
        if not isinstance(result, Fraction | Mat):
            size = abs(result)
            if size > self.peak:
                self.peak = size
        return result

    def _ev_node(self, n: Node, env: dict[str, Value]) -> Value:
        op = n.op
        if op == "num":
            value = n.args[0]
            assert isinstance(value, Fraction)
            return value
        if op == "const":
            return mpmath.pi if n.args[0] == "pi" else mpmath.e
        if op == "var":
            name = str(n.args[0])
            if name in env:
                return env[name]
            if name in self.defines and self.defines[name][0] is None:
                return self._ev(self.defines[name][1], env)
            return self.point.scalars[name]
        if op == "el":
            index = n.args[1]
            assert isinstance(index, Node)
            k = _int(self._ev(index, env))
            held = f"{n.args[0]}[{k}]"  # an element a derivative moves (or a defined element held as a variable)
            if held in env:
                return env[held]
            defined = self.defines.get(str(n.args[0]))
            if defined is not None and defined[0] is not None:
                return self._ev(defined[1], {**env, defined[0]: Fraction(k)})
            elements = self.point.vectors[str(n.args[0])]
            if k not in elements:
                raise Undefined("an element out of range")
            return elements[k]
        if op in ("add", "sub", "mul", "div", "pow"):
            a, b = (self._ev(k, env) for k in n.kids())
            return self._binary(op, a, b)
        if op == "neg":
            inner = self._ev(n.kids()[0], env)
            return self._binary("mul", Fraction(-1), inner) if isinstance(inner, Mat) else -inner
        if op == "delta":
            i, j = (_int(self._ev(k, env)) for k in n.kids())
            return Fraction(int(i == j))
        if op in ("sum", "prod"):
            body, index, lo_n, hi_n = n.args
            assert isinstance(body, Node) and isinstance(lo_n, Node) and isinstance(hi_n, Node)
            lo, hi = _int(self._ev(lo_n, env)), _int(self._ev(hi_n, env))
            total: Value = Fraction(0 if op == "sum" else 1)
            for k in range(lo, hi + 1):
                inner = dict(env)
                inner[str(index)] = Fraction(k)
                term = self._ev(body, inner)
                total = self._binary("add" if op == "sum" else "mul", total, term)
            return total
        if op in ("vmax", "vmin"):
            size = self.point.scalars.get(VECTOR_SIZE[0])
            count = _int(size) if size is not None else 0
            members = [_real(self.point.vectors[str(n.args[0])][k]) for k in range(1, count + 1)]
            if not members:
                raise Undefined("max of no elements")
            if not all(isinstance(v, Fraction) for v in members):
                members = [_as_mp(v) for v in members]
            return max(members) if op == "vmax" else min(members)
        if op == "call":
            name = str(n.args[0])
            if name == "eye":
                size = str(n.kids()[0].args[0])
                count = _int(self._ev(n.kids()[0], env))
                return Mat(tuple(tuple(Fraction(int(i == j)) for j in range(count)) for i in range(count)), (size, size))
            return self._call(name, [self._ev(k, env) for k in n.kids()])
        if op == "mvar":
            return self._whole(str(n.args[0]), env)
        if op == "el2":
            i, j = (_int(self._ev(k, env)) for k in n.kids())
            found = self.point.matrices[str(n.args[0])].get((i, j))
            if found is None:
                raise Undefined("an element out of range")
            return found
        if op == "entry":
            value = self._ev(n.kids()[0], env)
            index = [_int(self._ev(k, env)) for k in n.kids()[1:]]
            if not isinstance(value, Mat) or len(index) != (1 if value.shape[1] == "1" else 2):
                raise Undefined("an element of a value without one")
            row, col = (index[0], 1) if len(index) == 1 else (index[0], index[1])
            if not (1 <= row <= len(value.rows) and 1 <= col <= len(value.rows[0])):
                raise Undefined("an element out of range")
            return value.rows[row - 1][col - 1]
        if op == "matmul":
            a, b = (self._ev(k, env) for k in n.kids())
            return self._matmul(a, b)
        if op == "limit":
            return self._limit(n, env)
        if op == "integral":
            body, name, lo_n, hi_n = n.args
            assert isinstance(body, Node) and isinstance(lo_n, Node) and isinstance(hi_n, Node)
            return self._quad(body, str(name), [self._bound(lo_n, env), self._bound(hi_n, env)], env)
        if op in ("expect", "variance"):
            return self._expectation(n, env)
        if op == "diff":
            return self._diff(n, env)
        if op in ("grad", "hessian"):
            return self._gradient(n, env)
        if op == "matrix":
            rows, cols = int(str(n.args[0])), int(str(n.args[1]))
            cells = [self._ev(k, env) for k in n.kids()]
            if any(isinstance(c, Mat) for c in cells):
                raise Undefined("a matrix literal of vectors")
            return Mat(tuple(tuple(cells[r * cols:(r + 1) * cols]) for r in range(rows)), (str(rows), str(cols)))
        if op == "kl":
            return self._kl(n, env)
        if op == "antider":
            return self._antiderivative(n, env)
        raise ValueError(op)

    # -- derivatives by central differences at two step sizes that must agree

    def _held(self, name: str, index: tuple[object, ...], env: dict[str, Value]) -> tuple[str, Value]:
        """The key under which a derivative moves its variable, and the variable's value here."""
        if index:
            node = index[0]
            assert isinstance(node, Node)
            k = _int(self._ev(node, env))
            return f"{name}[{k}]", _real(self._ev(el(name, num(k)), env))
        return name, _real(self._ev(var(name), env))

    def _diff(self, n: Node, env: dict[str, Value]) -> Value:
        body, name, index = n.args
        assert isinstance(body, Node) and isinstance(index, tuple)
        key, x0 = self._held(str(name), index, env)
        anchor = f"@anchor:{name}"

        def at(x: Value) -> mpmath.mpf:
            return _as_mp(self._ev(body, {**env, key: x, anchor: x0}))
        return self._first_difference(at, x0)

    def _first_difference(self, at: Callable[[Value], mpmath.mpf], x0: Value) -> mpmath.mpf:
        """(f(x0 + h) - f(x0 - h)) / 2h at h = 10**-dps and 10**-(dps + 5), three times the digits."""
        dps = mpmath.mp.dps
        with mpmath.workdps(3 * dps):
            estimates = [(at(_shift(x0, h)) - at(_shift(x0, -h))) / (2 * _as_mp(h))
                         for h in (Fraction(1, 10**dps), Fraction(1, 10 ** (dps + 5)))]
            spread = abs(estimates[0] - estimates[1])
        return self._settled(estimates[1], spread)

    def _second_difference(self, at: Callable[[Value, Value], mpmath.mpf], x0: Value, y0: Value,
                           same: bool) -> mpmath.mpf:
        """The second derivative (``same``) or the mixed one, by second differences at two step sizes."""
        dps = mpmath.mp.dps
        estimates = []
        with mpmath.workdps(4 * dps):
            for h in (Fraction(1, 10**dps), Fraction(1, 10 ** (dps + 5))):
                hm = _as_mp(h)
                if same:
                    value = (at(_shift(x0, h), y0) - 2 * at(x0, y0) + at(_shift(x0, -h), y0)) / hm**2
                else:
                    value = (at(_shift(x0, h), _shift(y0, h)) - at(_shift(x0, h), _shift(y0, -h))
                             - at(_shift(x0, -h), _shift(y0, h)) + at(_shift(x0, -h), _shift(y0, -h))) / (4 * hm**2)
                estimates.append(value)
            spread = abs(estimates[0] - estimates[1])
        return self._settled(estimates[1], spread)

    def _settled(self, value: mpmath.mpf, spread: mpmath.mpf) -> mpmath.mpf:
        dps = mpmath.mp.dps
        if not mpmath.isfinite(value) or spread > mpmath.mpf(10) ** (-(dps // 3)):
            raise Undefined("the difference quotients do not settle")
        self._widen(spread)
        return +value

    def _gradient(self, n: Node, env: dict[str, Value]) -> Mat:
        """``grad(f, w)``: element i is the derivative in ``w[i]``; ``hessian``: element (i, j) in w[i], w[j]."""
        body, vector = n.args
        assert isinstance(body, Node)
        shape = self.point.shapes.get(str(vector))
        if shape is None or shape[1] != "1":
            raise Undefined("a gradient in something other than a vector with a size")
        size = _int(self.point.scalars[shape[0]]) if not shape[0].isdigit() else int(shape[0])
        keys = [self._held(str(vector), (num(k),), env) for k in range(1, size + 1)]
        if n.op == "grad":
            def first(key: str) -> Callable[[Value], mpmath.mpf]:
                return lambda x: _as_mp(self._ev(body, {**env, key: x}))
            return Mat(tuple((self._first_difference(first(key), x0),) for key, x0 in keys), shape)

        def second(ki: str, kj: str) -> Callable[[Value, Value], mpmath.mpf]:
            return lambda x, y: _as_mp(self._ev(body, {**env, ki: x, kj: y}) if ki != kj
                                       else self._ev(body, {**env, ki: x}))
        upper = {(a, b): self._second_difference(second(ki, kj), xi, xj, a == b)
                 for a, (ki, xi) in enumerate(keys) for b, (kj, xj) in enumerate(keys) if b >= a}
        # the mixed difference is the same sum of four values in either order: the lower half mirrors it
        return Mat(tuple(tuple(upper[min(a, b), max(a, b)] for b in range(size)) for a in range(size)), (shape[0], shape[0]))

    def _antiderivative(self, n: Node, env: dict[str, Value]) -> Value:
        """``Integral(f, x)``: has a value only inside a derivative in ``x`` (an antiderivative is fixed up to a
        constant): the integral of ``f`` from the point the derivative is taken at to where ``x`` is now, by
        Simpson's rule over that step (its error, h**5, is far below the difference quotient's)."""
        body, name = n.args
        assert isinstance(body, Node)
        anchor = env.get(f"@anchor:{name}")
        if anchor is None:
            raise Undefined("an antiderivative has a value only up to a constant")
        here = _real(self._ev(var(str(name)), env))
        if here == anchor:
            return Fraction(0)

        def f(t: Value) -> mpmath.mpf:
            return _as_mp(self._ev(body, {**env, str(name): t}))
        lo, hi = _as_mp(anchor), _as_mp(here)
        value = (hi - lo) / 6 * (f(lo) + 4 * f((lo + hi) / 2) + f(hi))
        if not mpmath.isfinite(value):
            raise Undefined("an antiderivative that does not settle")
        return value

    # -- vectors and matrices

    def _whole(self, name: str, env: Mapping[str, Value]) -> Mat:
        shape = self.point.shapes.get(name)
        if shape is None:
            raise Undefined(f"{name} has no size")
        rows, cols = (_int(self.point.scalars[s]) if not s.isdigit() else int(s) for s in shape)
        if shape[1] == "1":
            column = self.point.vectors[name]
            return Mat(tuple((env.get(f"{name}[{i}]", column[i]),) for i in range(1, rows + 1)), shape)
        cells = self.point.matrices[name]
        return Mat(tuple(tuple(cells[(i, j)] for j in range(1, cols + 1)) for i in range(1, rows + 1)), shape)

    def _matmul(self, a: Value, b: Value) -> Value:
        if not isinstance(a, Mat) or not isinstance(b, Mat) or a.shape[1] != b.shape[0]:
            raise Undefined("a product of mismatched shapes")
        cells = []
        for row in a.rows:
            out_row = []
            for col in zip(*b.rows):
                total: Value = Fraction(0)
                for x, y in zip(row, col):
                    total = self._binary("add", total, self._binary("mul", x, y))
                out_row.append(total)
            cells.append(tuple(out_row))
        result = Mat(tuple(cells), (a.shape[0], b.shape[1]))
        return result.rows[0][0] if result.shape == ("1", "1") else result

    def _mat_call(self, name: str, xs: list[Value]) -> Value:
        if not all(isinstance(x, Mat) for x in xs):
            raise Undefined(f"{name} of a number")
        if name == "transpose":
            return xs[0].transposed()
        if name == "trace":
            m = xs[0]
            if m.shape[0] != m.shape[1]:
                raise Undefined("trace of a non-square matrix")
            total: Value = Fraction(0)
            for k, row in enumerate(m.rows):
                total = self._binary("add", total, row[k])
            return total
        u = xs[0]
        v = xs[1] if name == "dot" else u
        if u.shape[1] != "1" or v.shape != u.shape:
            raise Undefined(f"{name} of shapes the format refuses")
        inner = self._matmul(u.transposed(), v)
        return inner if name == "dot" else self._call("sqrt", [inner])

    # -- limits, integrals, expectations (the oracle's own numerics)

    def _limit(self, n: Node, env: dict[str, Value]) -> Value:
        """``f(a + h)`` at ``h = 10**-dps`` and ``10**-(dps + 5)`` (``10**dps``, ``10**(dps + 5)`` at
        infinity) with three times the digits; the two must agree (and the two sides of a two-sided
        limit), else the limit is Undefined. Their difference widens the noise of the comparison."""
        body, name, at, side = n.args
        assert isinstance(body, Node) and isinstance(at, Node)
        dps = mpmath.mp.dps
        near = [Fraction(1, 10**dps), Fraction(1, 10 ** (dps + 5))]
        if at == OO:
            points_by_side = [[Fraction(10**dps), Fraction(10 ** (dps + 5))]]
        else:
            a = self._ev(at, env)
            signs = {"+": [1], "-": [-1], "": [1, -1]}[str(side)]
            points_by_side = [[a + s * h if isinstance(a, Fraction) else _as_mp(a) + s * _as_mp(h) for h in near]
                              for s in signs]
        values = []
        spread = mpmath.mpf(0)
        with mpmath.workdps(3 * dps):
            for pts in points_by_side:
                f1, f2 = (_as_mp(self._ev(body, {**env, str(name): p})) for p in pts)
                spread = max(spread, abs(f1 - f2))
                values.append(f2)
            for v in values[1:]:
                spread = max(spread, abs(v - values[0]))
        if spread > mpmath.mpf(10) ** (-(dps // 3)):
            raise Undefined("the limit does not settle")
        self._widen(spread)
        return +values[0]

    def _widen(self, error: mpmath.mpf) -> None:
        """Raise the noise level of the comparison above a numerical method's ``error``."""
        dps = mpmath.mp.dps
        self.peak = max(self.peak, error * mpmath.mpf(10) ** (dps - 14))

    def _bound(self, n: Node, env: dict[str, Value]) -> mpmath.mpf:
        if n == OO:
            return mpmath.inf
        if n.op == "neg" and n.kids()[0] == OO:
            return -mpmath.inf
        return _as_mp(_real(self._ev(n, env)))

    def _quad(self, body: Node, name: str, cuts: list, env: dict[str, Value],
              weight: Callable[[mpmath.mpf], mpmath.mpf] | None = None) -> Value:
        """The integral of ``body`` (times ``weight``) over the pieces between ``cuts`` by mpmath's
        quadrature at up to QUAD_DPS digits; an error estimate above QUAD_TOL leaves it Undefined."""
        def f(t: mpmath.mpf) -> mpmath.mpf:
            try:
                value = _as_mp(self._ev(body, {**env, name: t}))
            except Undefined:
                if abs(t) > FAR_TAIL:  # exp(-t**2) far out: too small to matter, too far to evaluate
                    return mpmath.mpf(0)
                raise
            return value * weight(t) if weight is not None else value
        return self._integrate(f, cuts)

    def _integrate(self, f: Callable[[mpmath.mpf], mpmath.mpf], cuts: list) -> Value:
        """mpmath's quadrature of ``f`` over the pieces between ``cuts`` at up to QUAD_DPS digits."""
        dps = mpmath.mp.dps
        with mpmath.workdps(min(dps, QUAD_DPS)):
            try:
                value, error = mpmath.quad(f, cuts, error=True, maxdegree=QUAD_DEGREE)
            except (ZeroDivisionError, ValueError, OverflowError) as exc:
                raise Undefined(f"quadrature: {exc}") from None
            size = max(mpmath.mpf(1), abs(value))
            if not mpmath.isfinite(value) or error > QUAD_TOL * size:
                raise Undefined("the quadrature does not settle")
        self._widen(max(error, mpmath.mpf(10) ** -(min(dps, QUAD_DPS) - 5)) * size)
        return value

    def _expectation(self, n: Node, env: dict[str, Value]) -> Value:
        body, name, dist, *params = n.args
        assert isinstance(body, Node)
        if dist == "Categorical":  # Sum(p[x]*f, (x, 1, C)), p a declared vector
            weights, count = params
            assert isinstance(weights, Node) and isinstance(count, Node)
            if weights.op != "var":  # a mutation made the weights an expression: not a law the format reads
                raise Undefined("the weights of a categorical law are a declared vector")
            terms = [el(str(weights.args[0]), var(str(name))), body]
            mean_node = Node("sum", (mul(*terms), name, num(1), count))
            square_node = Node("sum", (mul(terms[0], mul(body, body)), name, num(1), count))
            mean_c = self._ev(mean_node, env)
            if n.op == "expect":
                return mean_c
            return self._binary("sub", self._ev(square_node, env), self._binary("mul", mean_c, mean_c))
        ps = [self._ev(p, env) for p in params if isinstance(p, Node)]
        mean = self._mean(body, str(name), str(dist), ps, env)
        if n.op == "expect":
            return mean
        second = self._mean(mul(body, body), str(name), str(dist), ps, env)
        return self._binary("sub", second, self._binary("mul", mean, mean))

    def _mean(self, body: Node, name: str, dist: str, ps: list[Value], env: dict[str, Value]) -> Value:
        if dist == "Bernoulli":
            (p,) = ps
            at0, at1 = (self._ev(body, {**env, name: Fraction(k)}) for k in (0, 1))
            return self._binary("add", self._binary("mul", self._binary("sub", Fraction(1), p), at0),
                                self._binary("mul", p, at1))
        if dist == "Normal":
            mu, sigma = (_as_mp(_real(v)) for v in ps)
            if sigma <= 0:
                raise Undefined("a normal law needs sigma > 0")
            def normal(t: mpmath.mpf) -> mpmath.mpf:
                return mpmath.npdf(t, mu, sigma)
            cuts = [mu + k * sigma for k in (-40, -8, -2, 0, 2, 8, 40)]
            return self._quad(body, name, cuts, env, normal)
        if dist == "Uniform":
            a, b = (_as_mp(_real(v)) for v in ps)
            if a == b:
                raise Undefined("a uniform law over one point")
            return self._quad(body, name, [a, b], env, lambda t: 1 / (b - a))
        if dist == "Exponential":
            (rate,) = (_as_mp(_real(v)) for v in ps)
            if rate <= 0:
                raise Undefined("an exponential law needs a positive rate")
            return self._quad(body, name, [mpmath.mpf(0), 1 / rate, 10 / rate, mpmath.inf], env,
                              lambda t: rate * mpmath.exp(-rate * t))
        if dist == "Laplace":
            mu, scale = (_as_mp(_real(v)) for v in ps)
            if scale <= 0:
                raise Undefined("a Laplace law needs a positive scale")
            cuts = [-mpmath.inf, *(mu + k * scale for k in (-10, -2, 0, 2, 10)), mpmath.inf]
            return self._quad(body, name, cuts, env, lambda t: mpmath.exp(-abs(t - mu) / scale) / (2 * scale))
        raise ValueError(f"no law {dist}")

    def _kl(self, n: Node, env: dict[str, Value]) -> Value:
        """KL(P, Q) by its definition: the sum, or the quadrature of p*(log p - log q) over P's support."""
        first, count, second = str(n.args[0]), int(str(n.args[1])), str(n.args[2])
        params = n.kids()
        if first == "Categorical":
            if params[0].op != "var" or params[2].op != "var":
                raise Undefined("the weights of a categorical law are a declared vector")
            u, v = str(params[0].args[0]), str(params[2].args[0])
            size = _int(self._ev(params[1], env))
            if _int(self._ev(params[3], env)) != size:
                raise Undefined("categorical laws of different sizes")
            total: Value = Fraction(0)
            for k in range(1, size + 1):
                pu, pv = (_as_mp(_real(self._ev(el(w, num(k)), env))) for w in (u, v))
                if pu <= 0 or pv <= 0:
                    raise Undefined("a categorical weight that is not positive")
                total = self._binary("add", total, pu * (mpmath.log(pu) - mpmath.log(pv)))
            return total
        p1 = [_as_mp(_real(self._ev(k, env))) for k in params[:count]]
        p2 = [_as_mp(_real(self._ev(k, env))) for k in params[count:]]
        if first == "Bernoulli":
            (p,), (q,) = p1, p2
            if not (0 < p < 1 and 0 < q < 1):
                raise Undefined("a Bernoulli parameter outside (0, 1)")
            return p * mpmath.log(p / q) + (1 - p) * mpmath.log((1 - p) / (1 - q))
        log_p, cuts = _log_density(first, p1)
        log_q, _ = _log_density(second, p2)
        if second == "Laplace" and cuts[0] < p2[0] < cuts[-1]:  # the kink of log q
            cuts = sorted({*cuts, p2[0]})
        return self._integrate(lambda t: mpmath.exp(log_p(t)) * (log_p(t) - log_q(t)), cuts)

    def _binary(self, op: str, a: Value, b: Value) -> Value:
        if isinstance(a, Mat) or isinstance(b, Mat):
            return self._mat_binary(op, a, b)
        result = self._binary_exact_or_mp(op, a, b)
        if isinstance(result, Fraction) and max(result.numerator.bit_length(), result.denominator.bit_length()) > 20000:
            raise Undefined("an exact value too large to evaluate densely")
        return result

    def _mat_binary(self, op: str, a: Value, b: Value) -> Mat:
        """Sums of one shape, scalar multiples and quotients by a scalar; anything else is Undefined."""
        if op in ("add", "sub") and isinstance(a, Mat) and isinstance(b, Mat) and a.shape == b.shape:
            return Mat(tuple(tuple(self._binary(op, x, y) for x, y in zip(ra, rb)) for ra, rb in zip(a.rows, b.rows)),
                       a.shape)
        if op == "mul" and isinstance(a, Mat) != isinstance(b, Mat):
            m, c = (a, b) if isinstance(a, Mat) else (b, a)
            return Mat(tuple(tuple(self._binary("mul", c, x) for x in row) for row in m.rows), m.shape)
        if op == "div" and isinstance(a, Mat) and not isinstance(b, Mat):
            return Mat(tuple(tuple(self._binary("div", x, b) for x in row) for row in a.rows), a.shape)
        raise Undefined(f"{op} of shapes the format refuses")

    def _binary_exact_or_mp(self, op: str, a: Value, b: Value) -> Value:
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            if op == "add":
                return a + b
            if op == "sub":
                return a - b
            if op == "mul":
                return a * b
            if op == "div":
                if b == 0:
                    raise Undefined("division by 0")
                return a / b
            if b.denominator == 1 and abs(b.numerator) <= 400 and \
                    max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(b.numerator) <= 20000:
                if a == 0 and b < 0:
                    raise Undefined("0 to a negative power")
                return a ** int(b)
        x, y = _as_mp(a), _as_mp(b)
        if op == "add":
            return x + y
        if op == "sub":
            return x - y
        if op == "mul":
            return x * y
        if op == "div":
            if y == 0:
                raise Undefined("division by 0")
            return x / y
        if x == 0:
            yr = _real(y)
            if yr <= 0:
                raise Undefined("0 to a nonpositive power")
            return mpmath.mpf(0)
        if abs(y) * (abs(mpmath.log(abs(x))) + 1) > HUGE:
            raise Undefined("a power too large to evaluate densely")
        result = mpmath.power(x, y)
        if isinstance(a, Fraction) and a > 0 and isinstance(result, mpmath.mpc):
            result = result.real
        return result

    def _elementwise(self, name: str, xs: list[Value]) -> Mat:
        """A function of numbers applied element by element (numbers among the arguments shared)."""
        shapes = {x.shape for x in xs if isinstance(x, Mat)}
        if len(shapes) != 1 or not (name in self.functions or name in ELEMENTWISE):
            raise Undefined(f"{name} of a vector or matrix")
        (shape,) = shapes
        first = next(x for x in xs if isinstance(x, Mat))
        rows = tuple(tuple(self._call(name, [x.rows[r][c] if isinstance(x, Mat) else x for x in xs])
                           for c in range(len(first.rows[r]))) for r in range(len(first.rows)))
        return Mat(rows, shape)

    def _call(self, name: str, xs: list[Value]) -> Value:
        if name in ("transpose", "dot", "norm", "trace"):
            return self._mat_call(name, xs)
        if name in self.functions and not any(isinstance(x, Mat) for x in xs):
            params, body = self.functions[name]
            return self._ev(body, dict(zip(params, xs)))
        if name == "diag":
            (v,) = xs
            if not isinstance(v, Mat) or v.shape[1] != "1":
                raise Undefined("diag of something other than a vector")
            cells = [row[0] for row in v.rows]
            return Mat(tuple(tuple(c if i == j else Fraction(0) for j in range(len(cells))) for i, c in enumerate(cells)),
                       (v.shape[0], v.shape[0]))
        if any(isinstance(x, Mat) for x in xs):
            return self._elementwise(name, xs)
        if name == "abs":
            x = xs[0]
            if isinstance(x, Fraction):
                return abs(x)
            return abs(x) if isinstance(x, mpmath.mpc) else abs(x)
        if name == "sign":
            return Fraction(_sign_of(xs[0]))
        if name in ("max", "min"):
            reals = [_real(v) for v in xs]
            if not all(isinstance(v, Fraction) for v in reals):
                reals = [_as_mp(v) for v in reals]
            best = reals[0]
            for v in reals[1:]:
                if (v > best) if name == "max" else (v < best):
                    best = v
            return best
        if name in ("floor", "ceiling"):
            r = _real(xs[0])
            if isinstance(r, Fraction):
                return Fraction(math.floor(r) if name == "floor" else math.ceil(r))
            nearest = mpmath.nint(r)
            if _tiny(r - nearest):
                raise Tie("floor of a value the precision cannot tell from an integer")
            return Fraction(int(mpmath.floor(r) if name == "floor" else mpmath.ceil(r)))
        mp_args = [_as_mp(v) for v in xs]
        if name == "exp" and isinstance(xs[0], Fraction) and xs[0] == 0:
            return Fraction(1)
        if name == "sqrt" and isinstance(xs[0], Fraction):
            r = xs[0]
            if r >= 0:
                p, q = math.isqrt(r.numerator), math.isqrt(r.denominator)
                if p * p == r.numerator and q * q == r.denominator:
                    return Fraction(p, q)
        result = _mp_call(name, mp_args)
        if isinstance(result, mpmath.mpc) and all(isinstance(v, mpmath.mpf) or isinstance(v, Fraction) for v in xs):
            if name in ("exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan", "erf", "erfc", "expm1"):
                result = result.real
        return result


def evaluate(n: Node, point: Point, dps: int,
             functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None,
             defines: Mapping[str, tuple[str | None, Node]] | None = None) -> Value:
    """The value of ``n`` at ``point`` with ``dps`` digits (exact Fraction when every step is rational)."""
    return evaluate_with_peak(n, point, dps, functions, defines)[0]


def evaluate_with_peak(n: Node, point: Point, dps: int,
                       functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None,
                       defines: Mapping[str, tuple[str | None, Node]] | None = None) -> tuple[Value, mpmath.mpf]:
    """The value and the largest inexact intermediate magnitude (0 when the value is exact)."""
    with mpmath.workdps(dps):
        evaluator = Evaluator(point, functions, defines)
        value = evaluator.value(n)
        return value, evaluator.peak


# ------------------------------------------------------------------------------------------
# float64, operation by operation (IEEE semantics: inf and nan, never an exception)

INF = float("inf")
NAN = float("nan")


def _f_div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def _f_pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return INF if a > 0 or float(b).is_integer() and int(b) % 2 == 0 else -INF
    except ValueError:
        if a == 0 and b < 0:
            return INF
        return NAN


def _f_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _f_log(x: float) -> float:
    if x != x or x < 0:
        return NAN
    if x == 0:
        return -INF
    return math.log(x)


def _f_log1p(x: float) -> float:
    if x != x or x < -1:
        return NAN
    if x == -1:
        return -INF
    return math.log1p(x)


def _f_sqrt(x: float) -> float:
    return NAN if x != x or x < 0 else math.sqrt(x)


def _f_guarded(fn: Callable[[float], float], overflow: float) -> Callable[[float], float]:
    def inner(x: float) -> float:
        try:
            return fn(x)
        except OverflowError:
            return math.copysign(overflow, x) if overflow == INF else overflow
        except ValueError:
            return NAN
    return inner


def _f_max(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    return a if a >= b else b


def _f_min(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    return a if a <= b else b


def _f_sign(x: float) -> float:
    if x != x:
        return NAN
    return float((x > 0) - (x < 0))


_F64: dict[str, Callable[[float], float]] = {
    "exp": _f_exp, "log": _f_log, "sqrt": _f_sqrt, "abs": abs, "log1p": _f_log1p,
    "sin": _f_guarded(math.sin, NAN), "cos": _f_guarded(math.cos, NAN), "tan": _f_guarded(math.tan, NAN),
    "sinh": _f_guarded(math.sinh, INF), "cosh": lambda x: _f_guarded(math.cosh, INF)(x) if x == x else NAN,
    "tanh": math.tanh, "atan": math.atan, "expm1": _f_guarded(math.expm1, INF),
    "erf": math.erf, "erfc": math.erfc, "sign": _f_sign,
}


def float64(n: Node, scalars: Mapping[str, float],
            functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None) -> float:
    """The tree evaluated as written in IEEE float64 (inf/nan propagate)."""
    funcs = functions or {}

    def ev(k: Node, env: Mapping[str, float]) -> float:
        op = k.op
        if op == "num":
            value = k.args[0]
            assert isinstance(value, Fraction)
            return float(value.numerator) / float(value.denominator) if value.denominator != 1 \
                else float(value.numerator)
        if op == "const":
            return math.pi if k.args[0] == "pi" else math.e
        if op == "var":
            name = str(k.args[0])
            return env[name] if name in env else float(scalars[name])
        if op == "neg":
            return -ev(k.kids()[0], env)
        if op in ("add", "sub", "mul", "div", "pow"):
            a, b = (ev(c, env) for c in k.kids())
            if op == "add":
                return a + b
            if op == "sub":
                return a - b
            if op == "mul":
                return a * b
            if op == "div":
                return _f_div(a, b)
            return _f_pow(a, b)
        if op == "call":
            name = str(k.args[0])
            args = [ev(c, env) for c in k.kids()]
            if name in funcs:
                params, body = funcs[name]
                return ev(body, dict(zip(params, args)))
            if name == "max":
                return _f_max(args[0], args[1])
            if name == "min":
                return _f_min(args[0], args[1])
            return _F64[name](args[0])
        raise ValueError(f"no float64 evaluation for {op}")

    return ev(n, {})
