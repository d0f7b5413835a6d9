"""The oracle's own expression trees: printers (format syntax, LaTeX) and evaluators.

Nothing here imports derivcheck: the oracle builds its trees itself, prints
them to the text an author would write, and evaluates them itself — exactly
with fractions where every operation is rational, else with mpmath at a
stated precision, and in float64 operation by operation for stability claims.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
    if tree.op in ("el", "vmax", "vmin"):
        name = str(tree.args[0])
        rest = tuple(rename(a, mapping) if isinstance(a, Node) else a for a in tree.args[1:])
        return Node(tree.op, (mapping.get(name, name), *rest))
    if tree.op in ("sum", "prod"):
        body, index, lo, hi = tree.args
        assert isinstance(body, Node) and isinstance(lo, Node) and isinstance(hi, Node)
        return Node(tree.op, (rename(body, mapping), mapping.get(str(index), str(index)),
                              rename(lo, mapping), rename(hi, mapping)))
    return Node(tree.op, tuple(rename(a, mapping) if isinstance(a, Node) else a for a in tree.args))


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
        return "\\pi" if n.args[0] == "pi" else "e"
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
    raise ValueError(f"no LaTeX for {op}")


def latex_ok(n: Node) -> bool:
    """Whether the oracle's LaTeX printer covers every node of the tree."""
    allowed_calls = {"exp", "sqrt", "abs", "max", "min", "sign", *_LATEX_FUNCS}
    for k in nodes(n):
        if k.op in ("vmax", "vmin"):
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


class Evaluator:
    """Evaluates trees at a point: exactly while every operation is rational, else with mpmath."""

    def __init__(self, point: Point, functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None) -> None:
        self.point = point
        self.functions = functions or {}
        self.peak = mpmath.mpf(0)  # the largest intermediate value computed inexactly: sets the noise level

    def value(self, n: Node, bound: Mapping[str, Value] | None = None) -> Value:
        """The value of ``n`` (Fraction when exact), or Undefined / Tie."""
        return self._ev(n, dict(bound or {}))

    def _ev(self, n: Node, env: dict[str, Value]) -> Value:
        result = self._ev_node(n, env)
        if not isinstance(result, Fraction):
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
            return self.point.scalars[name]
        if op == "el":
            index = n.args[1]
            assert isinstance(index, Node)
            k = _int(self._ev(index, env))
            elements = self.point.vectors[str(n.args[0])]
            if k not in elements:
                raise Undefined("an element out of range")
            return elements[k]
        if op in ("add", "sub", "mul", "div", "pow"):
            a, b = (self._ev(k, env) for k in n.kids())
            return self._binary(op, a, b)
        if op == "neg":
            return -self._ev(n.kids()[0], env)
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
            return self._call(str(n.args[0]), [self._ev(k, env) for k in n.kids()])
        raise ValueError(op)

    def _binary(self, op: str, a: Value, b: Value) -> Value:
        result = self._binary_exact_or_mp(op, a, b)
        if isinstance(result, Fraction) and max(result.numerator.bit_length(), result.denominator.bit_length()) > 20000:
            raise Undefined("an exact value too large to evaluate densely")
        return result

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

    def _call(self, name: str, xs: list[Value]) -> Value:
        if name in self.functions:
            params, body = self.functions[name]
            return self._ev(body, dict(zip(params, xs)))
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
             functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None) -> Value:
    """The value of ``n`` at ``point`` with ``dps`` digits (exact Fraction when every step is rational)."""
    return evaluate_with_peak(n, point, dps, functions)[0]


def evaluate_with_peak(n: Node, point: Point, dps: int,
                       functions: Mapping[str, tuple[tuple[str, ...], Node]] | None = None) -> tuple[Value, mpmath.mpf]:
    """The value and the largest inexact intermediate magnitude (0 when the value is exact)."""
    with mpmath.workdps(dps):
        evaluator = Evaluator(point, functions)
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
