"""Round trip of the LaTeX reader: random trees printed to LaTeX, read back, compared.

A random expression tree over the whole grammar is written in the Python
syntax (``ast.unparse``) and built by the Python-syntax front end: that is the
reference. The same tree is printed to LaTeX twice, by the project's renderer
(``derivcheck.render``: layout boxes, then LaTeX) and by ``plain_latex`` below,
a second printer with other habits (fewest brackets, ``\\left( \\right)`` and
``\\bigl( \\bigr)``, juxtaposition, ``\\cdot``, ``\\times``, ``/`` and ``\\frac``);
each LaTeX text is read back by the reader and must give the same SymPy
expression, structurally (bound summation variables compared by name).

Run as a script to measure the mismatch rate:
``python tests/parse/latex_roundtrip.py [cases] [seed]``.
"""

from __future__ import annotations

import ast
import random
import re
import sys
from dataclasses import dataclass, field

import sympy

from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol

SYMBOLS = {
    "x": "real",
    "y": "real",
    "a": "positive",
    "b": "real",
    "z": "real vector",
    "C": "positive integer",
    "j": "index 1..C",
    "k": "index 1..C",
    "u": "vector C",
    "v": "vector C",
    "M": "matrix C C",
}
UNARY = [
    "exp", "sqrt", "abs", "sign", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sech", "csch", "coth",
    "atan", "asin", "acos", "erf", "erfc", "floor", "ceiling", "log1p", "expm1", "log",
]  # fmt: skip
SCALARS = ["x", "y", "a", "b"]


def _name(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Load())


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(_name(function), list(args), [])


def _limits(index: str) -> ast.Tuple:
    return ast.Tuple([_name(index), ast.Constant(1), _name("C")], ast.Load())


class Generator:
    """Random expression trees of the Python syntax over SYMBOLS (``bound``: indices in scope)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def tree(self, depth: int, bound: frozenset[str] = frozenset()) -> ast.expr:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.2:
            return self.leaf(bound)
        kind = rng.choice(
            ["add", "sub", "mul", "div", "pow", "neg", "unary", "unary", "log2", "maxmin", "sum", "prod", "diff",
             "delta", "group"]
        )  # fmt: skip
        if rng.random() < 0.1 and _INSIDE not in bound:  # the constructs of issue 29, less often, never nested:
            kind = rng.choice(["limit", "integral", "expectation", "matrix"])  # expand_mul of nested integrals is slow
        sub = depth - 1
        if kind in ("add", "sub", "mul", "div"):
            op = {"add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "div": ast.Div}[kind]()
            return ast.BinOp(self.tree(sub, bound), op, self.tree(sub, bound))
        if kind == "group":  # a difference on the right of a difference or a product: grouping matters
            inner = ast.BinOp(self.tree(sub - 1, bound), ast.Sub(), self.tree(sub - 1, bound))
            op = rng.choice([ast.Sub, ast.Add, ast.Mult, ast.Div])()
            return ast.BinOp(self.tree(sub - 1, bound), op, inner)
        if kind == "pow":
            exponent = rng.choice(
                [ast.Constant(2), ast.Constant(3), ast.UnaryOp(ast.USub(), ast.Constant(1)), self.tree(sub - 1, bound)]
            )
            return ast.BinOp(self.tree(sub, bound), ast.Pow(), exponent)
        if kind == "neg":
            return ast.UnaryOp(ast.USub(), self.tree(sub, bound))
        if kind == "unary":  # SymPy evaluates some functions of an integral as it builds them (F15): not nested
            return _call(rng.choice(UNARY), self.tree(sub, bound | {_INSIDE}))
        if kind == "log2":
            return _call("log", self.tree(sub, bound | {_INSIDE}), ast.Constant(rng.choice([2, 10])))
        if kind == "maxmin":
            inner = bound | {_INSIDE}
            return _call(rng.choice(["max", "min"]), self.tree(sub, inner), self.tree(sub, inner))
        if kind in ("sum", "prod"):
            free = [i for i in ("j", "k") if i not in bound]
            if not free:
                return self.leaf(bound)
            index = free[0]
            body = self.indexed_body(sub, bound | {index}, index)
            return _call("Sum" if kind == "sum" else "Product", body, _limits(index))
        if kind == "diff":
            variable = rng.choice(["x", "y"])
            return _call("diff", self.tree(sub, bound), _name(variable))
        if kind == "limit":
            point = rng.choice([ast.Constant(0), ast.Constant(1), _name("oo"), _name("x")])
            args: list[ast.expr] = [self.with_variable("h", sub, bound), _name("h"), point]
            if not (isinstance(point, ast.Name) and point.id == "oo") and rng.random() < 0.4:
                args.append(ast.Constant(rng.choice(["+", "-"])))
            return _call("Limit", *args)
        if kind == "integral":
            lo, hi = rng.choice(_RANGES)
            body = self.with_variable("t", sub, bound)
            return _call("Integral", body, ast.Tuple([_name("t"), lo, hi], ast.Load()))
        if kind == "expectation":
            law = rng.choice(_LAWS)
            word = "Expectation" if rng.random() < 0.7 else "Var"
            return _call(word, self.with_variable("t", sub, bound), ast.Tuple([_name("t"), law], ast.Load()))
        if kind == "matrix":
            return rng.choice(_MATRIX_NUMBERS)
        return _call("KroneckerDelta", _name("j"), _name("k"))

    def with_variable(self, name: str, depth: int, bound: frozenset[str]) -> ast.expr:
        """A random tree in which the bound variable ``name`` of a limit or an integral occurs."""
        bound = bound | {_INSIDE}
        op = self.rng.choice([ast.Mult, ast.Add, ast.Sub, ast.Div, ast.Pow])()
        if isinstance(op, ast.Pow):
            return ast.BinOp(_name(name), op, ast.Constant(self.rng.choice([2, 3])))
        if isinstance(op, ast.Div):
            return ast.BinOp(self.tree(depth - 1, bound), op, ast.BinOp(_name(name), ast.Add(), ast.Constant(2)))
        return ast.BinOp(self.tree(depth - 1, bound), op, _name(name))

    def indexed_body(self, depth: int, bound: frozenset[str], index: str) -> ast.expr:
        element = ast.Subscript(_name("z"), _name(index), ast.Load())
        if depth <= 0:
            return element
        op = self.rng.choice([ast.Mult, ast.Add, ast.Sub, ast.Pow])()
        if isinstance(op, ast.Pow):
            return ast.BinOp(element, op, ast.Constant(2))
        return ast.BinOp(element, op, self.tree(depth - 1, bound))

    def leaf(self, bound: frozenset[str]) -> ast.expr:
        rng = self.rng
        choice = rng.random()
        if choice < 0.55:
            return _name(rng.choice(SCALARS))
        if choice < 0.75:
            return ast.Constant(rng.randint(1, 9))
        if choice < 0.82:
            return ast.Constant(float(rng.choice(["0.5", "2.25", "0.1"])))
        if choice < 0.9:
            return _name("E") if rng.random() < 0.5 else _name("pi")
        index = rng.choice(sorted(bound - {_INSIDE}) or ["k"])
        return ast.Subscript(_name("z"), _name(index), ast.Load())


_INSIDE = "@"  # in ``bound``: inside a limit, an integral or an expectation


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


# Finite ranges only: SymPy evaluates an integral over an infinite range inside max, floor, a quotient …
# as it builds the tree, for minutes (benchmarks/ORACLE_FINDINGS.md, F15); the oracle's latex class
# reads \int_{-\infty}^{\infty} in its own steps.
_RANGES = [(ast.Constant(0), ast.Constant(1)), (ast.Constant(0), _name("x")), (_name("b"), _name("x")),
           (ast.UnaryOp(ast.USub(), ast.Constant(1)), _name("a"))]  # fmt: skip
_LAWS = [_expr(t) for t in ("Normal(x, a)", "Uniform(0, 1)", "Uniform(b, x)", "Exponential(a)", "Bernoulli(b)")]
_MATRIX_NUMBERS = [_expr(t) for t in ("transpose(u) @ M @ v", "dot(u, v)", "norm(v)", "transpose(v) @ (M @ u)",
                                      "dot(u - v, u + v)", "transpose(u) @ transpose(M) @ v")]  # fmt: skip


# -- a second printer --------------------------------------------------------------------------

_LEVEL = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}
_FUNCTIONS = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh",
    "coth": r"\coth", "exp": r"\exp", "atan": r"\arctan", "asin": r"\arcsin", "acos": r"\arccos", "log": r"\ln",
    "sign": r"\operatorname{sign}", "sech": r"\operatorname{sech}", "csch": r"\operatorname{csch}",
    "erf": r"\operatorname{erf}", "erfc": r"\operatorname{erfc}", "log1p": r"\operatorname{log1p}",
    "expm1": r"\operatorname{expm1}", "floor": r"\operatorname{floor}", "ceiling": r"\operatorname{ceiling}",
}  # fmt: skip


@dataclass
class PlainPrinter:
    """LaTeX with other bracket habits than the renderer; every choice is one the format documents."""

    rng: random.Random

    def open_close(self) -> tuple[str, str]:
        return self.rng.choice(
            [
                ("(", ")"),
                (r"\left(", r"\right)"),
                (r"\bigl(", r"\bigr)"),
                ("[", "]"),
                (r"\{", r"\}"),
                (r"\left[", r"\right]"),
            ]
        )

    def bracket(self, text: str) -> str:
        left, right = self.open_close()
        return f"{left}{text}{right}"

    def latex(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return repr(node.value) if isinstance(node.value, float) else str(node.value)
        if isinstance(node, ast.Name):
            if SYMBOLS.get(node.id, "").startswith("vector"):
                return self.rng.choice([rf"\mathbf{{{node.id}}}", rf"\vec{{{node.id}}}", rf"\boldsymbol{{{node.id}}}"])
            return {"E": "e", "pi": r"\pi", "oo": r"\infty"}.get(node.id, node.id)
        if isinstance(node, ast.Subscript):
            assert isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name)
            return f"{node.value.id}_{{{node.slice.id}}}"
        if isinstance(node, ast.UnaryOp):
            return "-" + self.operand(node.operand, 3)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise AssertionError(ast.dump(node))

    def operand(self, node: ast.expr, needed: float) -> str:
        text = self.latex(node)
        return self.bracket(text) if self.strength(node) < needed else text

    def strength(self, node: ast.expr) -> float:
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.MatMult):
                return 1.5  # a product of vectors and matrices is bracketed in a product of numbers
            if isinstance(node.op, ast.Pow):
                return 4
            if isinstance(node.op, ast.Div):
                return 2
            return _LEVEL[type(node.op)]
        if isinstance(node, ast.UnaryOp):
            return 0  # a negative operand is always bracketed (a - (-b), a(-b))
        if isinstance(node, ast.Call) and _name_of(node) in ("Sum", "Product", "diff", "Limit", "Integral"):
            return 1.5  # a big operator takes the rest of its term
        if isinstance(node, ast.Call) and _name_of(node) in ("dot", "transpose"):
            return 1.5
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            return 4.5
        return 5

    def binary(self, node: ast.BinOp) -> str:
        op = node.op
        if isinstance(op, ast.Pow):
            left, right = node.left, node.right
            one = isinstance(left, ast.Call) and len(left.args) == 1
            head = _FUNCTIONS.get(_name_of(left), "") if isinstance(left, ast.Call) and one else ""
            power = isinstance(right, ast.Constant) and isinstance(right.value, int)
            if head.startswith("\\") and head[1:].isalpha() and power and self.rng.random() < 0.4:
                assert isinstance(left, ast.Call)  # \sin^{2}(x): a power of the value
                return rf"{head}^{{{self.latex(right)}}}" + self.bracket(self.latex(left.args[0]))
            base = self.operand(node.left, 5)
            if isinstance(node.left, ast.Name) and node.left.id == "E":
                base = "e"
            return f"{base}^{{{self.latex(node.right)}}}"
        if isinstance(op, ast.MatMult):
            return self.matrix_operand(node.left) + " " + self.matrix_operand(node.right)
        if isinstance(op, (ast.Add, ast.Sub)):
            sign = " + " if isinstance(op, ast.Add) else " - "
            return self.operand(node.left, 1) + sign + self.operand(node.right, 2)
        if isinstance(op, ast.Div):
            if self.rng.random() < 0.6:
                return rf"\frac{{{self.latex(node.left)}}}{{{self.latex(node.right)}}}"
            return self.operand(node.left, 2) + "/" + self.operand(node.right, 5)
        left = self.operand(node.left, 2)
        right = self.operand(node.right, 2.5)  # a product on the right is bracketed
        return left + self.times(left, right) + right

    def times(self, left: str, right: str) -> str:
        """``\\cdot``, ``\\times`` or juxtaposition where juxtaposition reads the same."""
        needs_sign = right[:1].isdigit() or right.startswith(("-", r"\frac", "e")) or "/" in left  # a/2 b is refused
        if needs_sign or left.endswith("}") and right[:1] == "(":
            return self.rng.choice([r" \cdot ", r" \times "])
        if left[-1:].isdigit() and right[:1].isalpha() and right[:1] != "e":
            return self.rng.choice(["", " ", r" \cdot "])
        return self.rng.choice([" ", r" \cdot ", r" \times "])

    def call(self, node: ast.Call) -> str:
        name = _name_of(node)
        args = node.args
        if name == "sqrt":
            return rf"\sqrt{{{self.latex(args[0])}}}"
        if name == "abs":
            inner = self.latex(args[0])
            return rf"\left|{inner}\right|" if self.rng.random() < 0.5 else rf"\lvert {inner} \rvert"
        if name == "log" and len(args) == 2:
            return rf"\log_{{{self.latex(args[1])}}}" + self.bracket(self.latex(args[0]))
        if name in ("max", "min"):
            return rf"\{name}" + self.bracket(", ".join(self.latex(a) for a in args))
        if name in ("Sum", "Product"):
            limits = args[1]
            assert isinstance(limits, ast.Tuple) and isinstance(limits.elts[0], ast.Name)
            index = limits.elts[0].id
            macro = r"\sum" if name == "Sum" else r"\prod"
            body = self.operand(args[0], 2)
            if self.rng.random() < 0.3:  # over the declared range of the index
                return rf"{macro}_{index} {body}" if self.rng.random() < 0.5 else rf"{macro}_{{{index}}} {body}"
            return rf"{macro}_{{{index}=1}}^{{C}} {body}"
        if name == "diff":
            assert isinstance(args[1], ast.Name)
            variable = args[1].id
            return rf"\frac{{d}}{{d{variable}}}" + self.bracket(self.latex(args[0]))
        if name == "KroneckerDelta":
            return r"\delta_{j,k}" if self.rng.random() < 0.5 else r"\delta_{jk}"
        if name == "Limit":
            side = args[3].value if len(args) > 3 and isinstance(args[3], ast.Constant) else None
            point = self.latex(args[2]) + (f"^{{{side}}}" if side else "")
            return rf"\lim_{{h \to {point}}} " + self.operand(args[0], 2)
        if name == "Integral":
            limits = args[1]
            assert isinstance(limits, ast.Tuple)
            lo, hi = (self.latex(e) for e in limits.elts[1:])
            d = self.rng.choice(["d", r"\mathrm{d}"])
            body = self.latex(args[0])
            if "Integral" in ast.unparse(args[0]):  # an integral inside the integrand: brackets tell the two dt apart
                body = self.bracket(body)
            return rf"\int_{{{lo}}}^{{{hi}}} {body} \, {d}t"
        if name in ("Expectation", "Var"):
            limits = args[1]
            assert isinstance(limits, ast.Tuple) and isinstance(limits.elts[1], ast.Call)
            head = r"\mathbb{E}" if name == "Expectation" else r"\operatorname{Var}"
            left, right = self.rng.choice([("[", "]"), (r"\left[", r"\right]")])
            return rf"{head}_{{t \sim {self.law(limits.elts[1])}}}{left}{self.latex(args[0])}{right}"
        if name == "transpose":
            return self.matrix_operand(args[0]) + self.rng.choice([r"^\top", r"^T", r"^{\top}", r"^\intercal"])
        if name == "dot":
            return self.latex(_call("transpose", args[0])) + " " + self.matrix_operand(args[1])
        if name == "norm":
            return self.rng.choice([rf"\|{self.latex(args[0])}\|", rf"\lVert {self.latex(args[0])} \rVert"])
        head = _FUNCTIONS[name]
        if name in _INVERSES and self.rng.random() < 0.4:
            head = _INVERSES[name]  # \sin^{-1}(x) is the inverse function
        return head + self.bracket(self.latex(args[0]))


    def law(self, law: ast.Call) -> str:
        """A distribution as authors write it (the normal law with its variance)."""
        name = _name_of(law)
        params = [self.latex(p) for p in law.args]
        if name == "Normal":
            return rf"\mathcal{{N}}({params[0]}, {params[1]}^{{2}})"
        heads = {"Uniform": r"\mathcal{U}", "Exponential": r"\operatorname{Exp}"}
        head = heads.get(name, r"\operatorname{Bernoulli}")
        return f"{head}({', '.join(params)})"

    def matrix_operand(self, node: ast.expr) -> str:
        """A factor of a product of vectors and matrices: a name, a transpose, else bracketed."""
        text = self.latex(node)
        if isinstance(node, ast.Name) or isinstance(node, ast.Call) and _name_of(node) == "transpose":
            return text
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return text if self.rng.random() < 0.5 else self.bracket(text)
        return self.bracket(text)


_INVERSES = {"asin": r"\sin^{-1}", "acos": r"\cos^{-1}", "atan": r"\tan^{-1}"}


def _name_of(node: ast.Call) -> str:
    assert isinstance(node.func, ast.Name)
    return node.func.id


# -- reading back ------------------------------------------------------------------------------


def _scope() -> Scope:
    return Scope({name: read_symbol(SymbolDecl(name, words, 1)) for name, words in SYMBOLS.items()}, {})


def _names():  # noqa: ANN202 - Names of the reader
    return names_from_declarations([SymbolDecl(name, words, 1) for name, words in SYMBOLS.items()], [])


def reference(tree: ast.expr) -> sympy.Expr:
    """The tree built by the Python-syntax front end from its text."""
    return parse_expression(Text(ast.unparse(tree), 1), _scope())


def read_back(latex: str) -> sympy.Expr:
    """The LaTeX text read by the reader and built by the same builder."""
    reading = read_expression(tokenize(latex), _names())
    text = reading.text(1) if hasattr(reading, "text") else Text(reading.python, 1)
    return parse_expression(text, _scope())


def renderer_latex(tree: ast.expr) -> str | None:
    """The project's renderer's LaTeX of the tree (None where it falls back to monospace text)."""
    from derivcheck.render.boxes import Words
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.latex import to_latex

    box = layout_expression(ast.unparse(tree))
    if isinstance(box, Words):
        return None
    return to_latex(box)


_DUMMY = re.compile(r", dummy_index=\d+|(?<=Dummy\('Dummy)_\d+")


def canonical(expr: sympy.Basic) -> str:
    """The structure of ``expr`` with bound variables compared by name.

    SymPy distributes a sign or a number over a sum as it builds a product, so
    ``-(a*b)`` and ``(-a)*b`` (LaTeX's and Python's reading of ``-ab``) can differ in
    form with ``a`` a sum; products are multiplied out first (``expand_mul``, which
    keeps the value), so a form that differs is a reading that differs.
    """
    expanded = sympy.expand_mul(expr)
    signed = expanded.replace(
        lambda node: isinstance(node, sympy.Sum) and node.function.could_extract_minus_sign(),
        lambda node: -sympy.Sum(-node.function, *node.limits),
    )  # -(u^T w) read as the index form of (-u)^T w: the sign is taken out of the sum, as from a product
    return _DUMMY.sub("", sympy.srepr(sympy.expand_mul(signed)))


@dataclass
class Tally:
    """Cases and mismatches of one printer, with a few examples."""

    cases: int = 0
    mismatches: int = 0
    skipped: int = 0
    examples: list[str] = field(default_factory=list)

    def rate(self) -> float:
        return self.mismatches / self.cases if self.cases else 0.0


def compare(latex: str, expected: str, tally: Tally, python: str, reference_expr: sympy.Expr | None = None) -> None:
    """Count a mismatch unless the reading has the reference's structure, or (given ``reference_expr``)
    differs from it only in form: ``(-(x - y) e)^3`` read as ``-(x - y)^3 e^3`` expands to the same."""
    tally.cases += 1
    read: sympy.Expr | None = None
    try:
        read = read_back(latex)
        got = canonical(read)
    except (FormatError, ValueError, TypeError) as exc:
        got = f"error: {exc}"
    if got != expected and read is not None and reference_expr is not None and sympy.expand(reference_expr - read) == 0:
        return
    if got != expected:
        tally.mismatches += 1
        if len(tally.examples) < 12:
            tally.examples.append(f"{python}  |  {latex}  |  {got[:160]}")


def run(cases: int, seed: int, depth: int = 3) -> dict[str, Tally]:
    """Generate ``cases`` trees from ``seed``; tally both printers."""
    rng = random.Random(seed)
    generator = Generator(rng)
    printer = PlainPrinter(rng)
    tallies = {"renderer": Tally(), "plain": Tally()}
    made = 0
    while made < cases:
        tree = generator.tree(depth)
        try:
            built = reference(tree)
            expected = canonical(built)
        except (FormatError, ValueError, TypeError):
            continue  # not a valid expression of the format (e.g. a bound outside its sum)
        made += 1
        python = ast.unparse(tree)
        rendered = renderer_latex(tree)
        if rendered is None:
            tallies["renderer"].skipped += 1
        else:
            compare(rendered, expected, tallies["renderer"], python, built)
        compare(printer.latex(tree), expected, tallies["plain"], python, built)
    return tallies


def main(argv: list[str]) -> None:
    cases = int(argv[1]) if len(argv) > 1 else 1000
    seed = int(argv[2]) if len(argv) > 2 else 27
    for printer, tally in run(cases, seed).items():
        print(
            f"{printer}: {tally.mismatches}/{tally.cases} mismatches ({100 * tally.rate():.1f}%)"
            f", {tally.skipped} not renderable"
        )
        for example in tally.examples:
            print("   ", example)


if __name__ == "__main__":
    main(sys.argv)
