"""LaTeX math -> derivcheck's whitelisted expression tree -> Python-syntax text.

A small tokenizer and a recursive-descent parser of our own. The parser
builds only the node kinds below and never evaluates anything; the tree is
written out in the Python syntax of the format (``reading``), which the
ordinary front end (``derivcheck.parse.expressions``) turns into SymPy, so a
LaTeX step and a Python-syntax step meet the same builders and bounds.

Names are resolved against the document's declarations (``Names``); where a
text can be read two ways the parser raises a FormatError that says how to
write it unambiguously. Unknown macros, and macro definitions, are errors
with line and column. Every convention is documented in docs/format.md,
section "LaTeX sources: Markdown posts and notebooks".
"""

from __future__ import annotations

import ast
import bisect
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn, TypeAlias

from derivcheck.bounds import MAX_DIFF_ORDER, MAX_LATEX_LETTER_RUN, MAX_LATEX_NUMBER_DIGITS, MAX_LATEX_TEXT
from derivcheck.builtins import latex_fences, latex_macros, unary_builtins
from derivcheck.errors import FormatError
from derivcheck.model import Definition, FunctionDecl, SymbolDecl, Text
from derivcheck.parse import syntax
from derivcheck.parse.expressions import (
    BUILTIN_FUNCTIONS,
    MAX_DEPTH,
)
from derivcheck.parse.symbols import read_symbol

GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
    "ell",
]
VARIANTS = {
    "varepsilon": "epsilon",
    "vartheta": "theta",
    "varpi": "pi",
    "varrho": "rho",
    "varsigma": "sigma",
    "varphi": "phi",
}
DECORATIONS = {
    "hat": "hat",
    "widehat": "hat",
    "bar": "bar",
    "overline": "bar",
    "tilde": "tilde",
    "widetilde": "tilde",
    "check": "check",
    "dot": "dot",
    "ddot": "ddot",
    "breve": "breve",
    "mathring": "ring",
}
# Marks of \overset{mark}{x} read as the decoration of the same look (\overset{\sim}{x} is \tilde{x}).
OVERSET_MARKS = {"sim": "tilde", "wedge": "hat", "frown": "breve", "circ": "ring", "cdot": "dot", "-": "bar"}
# Matrix environments read as a matrix of their entries.
MATRIX_ENVIRONMENTS = {"pmatrix", "bmatrix", "matrix"}
# Functions of vectors and matrices written as a named function in LaTeX (\operatorname{tr}(A)).
MATRIX_WORDS = {"trace", "diag"}
TYPEFACES = {
    "mathbf",
    "boldsymbol",
    "bm",
    "mathbb",
    "mathcal",
    "mathit",
    "mathsf",
    "vec",
    "pmb",
    "mathnormal",
    "mathscr",
    "mathfrak",
}
NAME_MACROS = {"operatorname", "mathrm", "text", "textrm", "textit", "textsf", "texttt", "mbox", "textbf", "mathtt"}
# LaTeX commands of the built-ins (\sin, \arctan, …) from the registry (derivcheck/builtins.py); \ln is log.
FUNCTION_MACROS = {**latex_macros(), "ln": "ln"}
# Brackets read as a built-in: \lfloor x \rfloor is floor(x).
FUNCTION_FENCES = latex_fences()
_FENCE_CLOSERS = {closer for closer, _ in FUNCTION_FENCES.values()}
# Other spellings of built-ins inside \operatorname{…}, \mathrm{…}, \text{…} (\operatorname{arctan} is atan).
NAME_SPELLINGS = {macro: name for macro, name in latex_macros().items() if macro != name} | {
    "ceil": "ceiling", "tr": "trace", "Tr": "trace"
}
# f^{-1} on these names is the inverse function.
INVERSES = {"sin": "asin", "cos": "acos", "tan": "atan"}
SPACING = {
    ",",
    ";",
    ":",
    "!",
    " ",
    "quad",
    "qquad",
    "enspace",
    "thinspace",
    "medspace",
    "thickspace",
    "negthinspace",
    "displaystyle",
    "textstyle",
    "large",  # size switches: layout
    "Large",
    "LARGE",
    "limits",
    "nolimits",
    "nonumber",
    "notag",
    "hfill",
    "allowbreak",
    "relax",
    "\n",
    "\t",
}
SIZES = {
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "Bigl",
    "biggl",
    "Biggl",
    "bigr",
    "Bigr",
    "biggr",
    "Biggr",
    "bigm",
    "Bigm",
}
DEFINITIONS = {
    "def",
    "newcommand",
    "renewcommand",
    "providecommand",
    "DeclareMathOperator",
    "let",
    "edef",
    "gdef",
    "xdef",
    "input",
    "include",
    "usepackage",
    "newenvironment",
    "renewenvironment",
    "csname",
    "catcode",
    "write",
    "immediate",
    "openout",
    "read",
    "openin",
    "special",
    "directlua",
    "href",
    "url",
}
RELATIONS = {
    "=": "=",
    "<": "<",
    ">": ">",
    "le": "≤",
    "leq": "≤",
    "leqslant": "≤",
    "ge": "≥",
    "geq": "≥",
    "geqslant": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "propto": "∝",
    "leftarrow": "←",
    "gets": "←",
    "rightarrow": "→",
    "to": "→",
    "Rightarrow": "⇒",
    "implies": "⇒",
    "Leftarrow": "⇐",
    "iff": "⇔",
    "equiv": "≡",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "coloneqq": ":=",
    "triangleq": "≜",
    "doteq": "≐",
    "mapsto": "↦",
    "ll": "≪",
    "gg": "≫",
    "lt": "<",
    "gt": ">",
}
# Constructs that are not read, with what to write instead.
NOT_READ = {
    "oint": "integrals are not checked; write the value in a step of its own",
}
DOTS = {"ldots", "cdots", "dots", "vdots", "ddots", "dotsi", "dotsb", "dotsc", "dotsm", "dotso"}
OPEN = {
    "(": ")",
    "[": "]",
    "\\{": "\\}",
    "\\lbrace": "\\rbrace",
    "\\lbrack": "\\rbrack",
    "\\langle": "\\rangle",
    "\\lparen": "\\rparen",
    "\\lfloor": "\\rfloor",
    "\\lceil": "\\rceil",
}
CLOSE = {v: k for k, v in OPEN.items()}
NORM_OPEN = {"|", "lVert", "Vert"}  # macros: \| \lVert \Vert
NORM_CLOSE = {"rVert"}
ABS_OPEN = {"|", "\\lvert", "\\vert", "\\left|", "\\|"}
_DIGIT = re.compile(r"[0-9]")
_PY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXPECTATION_FORM = "\\mathbb{E}_{x \\sim D}[f]"
INTEGRALS = {"int": 1, "intop": 1, "iint": 2, "iiint": 3}
"""The integral signs read, and how many differentials each takes."""
_KL_FORM = "D_{\\mathrm{KL}}(p \\| q)"
_WORD_MACROS = ("mathrm", "operatorname", "text", "textrm", "mathsf")
# Distributions after \sim in an expectation: the name written -> the one of parse/distributions.py.
_LAWS = {
    "N": "Normal", "Normal": "Normal", "U": "Uniform", "Uniform": "Uniform", "Exp": "Exponential",
    "Exponential": "Exponential", "Laplace": "Laplace", "Bernoulli": "Bernoulli", "Bern": "Bernoulli",
    "Categorical": "Categorical", "Cat": "Categorical",
}


@dataclass(frozen=True)
class Token:
    """One LaTeX token. ``kind``: macro, letter, digit, char, arg (raw text of \\text{…}), end."""

    kind: str
    text: str
    line: int
    col: int
    space: bool = False  # whitespace before it
    offset: int = 0  # where it starts in the tokenized text
    end: int = 0  # where it ends
    gap: str = ""  # spacing commands before it: "thin" (\\, \\;), "wide" (\\quad, \\hspace{…}) or ""

    @property
    def key(self) -> str:
        return "\\" + self.text if self.kind == "macro" else self.text


def tokenize(source: str, line: int = 1, col: int = 1) -> list[Token]:
    """Split LaTeX math into tokens; ``%`` comments dropped, raw text kept for ``\\text{…}``.

    FormatError (with line and column) for a macro definition or a character
    that has no meaning in math.
    """
    if len(source) > MAX_LATEX_TEXT:
        raise FormatError(f"LaTeX block is {len(source)} characters long (limit {MAX_LATEX_TEXT})", line)
    tokens: list[Token] = []
    i, n = 0, len(source)
    space = False

    starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def where(k: int) -> tuple[int, int]:
        row = bisect.bisect_right(starts, k) - 1
        return line + row, (k - starts[row] + 1) if row else col + k

    while i < n:
        ch = source[i]
        if ch in " \t\r\n":
            space = True
            i += 1
            continue
        if ch == "%":
            end = source.find("\n", i)
            i = n if end < 0 else end
            space = True
            continue
        ln, cl = where(i)
        if ch == "\\":
            j = i + 1
            while j < n and source[j].isascii() and source[j].isalpha():
                j += 1
            if j == i + 1:
                name = source[i + 1 : i + 2]
                j = i + 2
                if name in ("", "\n"):
                    name = " "
            else:
                name = source[i + 1 : j]
            if name in DEFINITIONS:
                raise FormatError(
                    f"column {cl}: \\{name} is not allowed; a derivation is checked as "
                    "written, without macro definitions or included files",
                    ln,
                )
            if name in NAME_MACROS:
                k = j
                while k < n and source[k] in " \t":
                    k += 1
                if k < n and source[k] == "{":
                    end = _matching_brace(source, k)
                    if end < 0:
                        raise FormatError(f"column {cl}: \\{name}{{ is never closed", ln)
                    tokens.append(Token("macro", name, ln, cl, space, i, j))
                    tokens.append(Token("arg", source[k + 1 : end], ln, cl, False, k, end + 1))
                    i, space = end + 1, False
                    continue
            tokens.append(Token("macro", name, ln, cl, space, i, j))
            i, space = j, False
            continue
        if ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, ln, cl, space, i, i + 1))
        elif ch.isdigit() and ch.isascii():
            tokens.append(Token("digit", ch, ln, cl, space, i, i + 1))
        elif ch in "+-*/^_()[]{}|,=<>!'&.;:~?":
            tokens.append(Token("char", ch, ln, cl, space, i, i + 1))
        elif ch in "’′":
            tokens.append(Token("char", "'", ln, cl, space, i, i + 1))
        elif ch == "−":
            tokens.append(Token("char", "-", ln, cl, space, i, i + 1))
        elif ch == "·":
            tokens.append(Token("macro", "cdot", ln, cl, space, i, i + 1))
        elif ch == "×":
            tokens.append(Token("macro", "times", ln, cl, space, i, i + 1))
        elif ch.isalpha():  # words in another script: a remark after the math, or an error when read
            tokens.append(Token("prose", ch, ln, cl, space, i, i + 1))
        else:
            raise FormatError(
                f"column {cl}: the character '{ch}' has no meaning in math here (put words in \\text{{…}})",
                ln,
            )
        i, space = i + 1, False
    return tokens


def _matching_brace(source: str, start: int) -> int:
    depth = 0
    k = start
    while k < len(source):
        c = source[k]
        if c == "\\":
            k += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return k
        k += 1
    return -1


# -- declarations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What the document declares, as the LaTeX reader needs it."""

    symbols: dict[str, str]  # name -> "scalar", "vector" or "index"
    functions: dict[str, tuple[str, ...]]  # name -> parameters
    ranges: dict[str, tuple[str, str]] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    log_base: str | None = None
    prime: str | None = None  # LaTeX of the variable a prime on an expression differentiates in
    complex: frozenset[str] = frozenset()  # symbols declared complex
    iterates: frozenset[str] = frozenset()  # names whose superscript counts iterations (w^{(k)} is w[k])
    supported: frozenset[str] = frozenset()  # symbols declared with a 'support' (integrals over them need no bounds)

    def is_declared(self, name: str) -> bool:
        return name in self.symbols or name in self.functions


_INDEX = re.compile(r"index\s+(\S+?)\s*\.\.\s*(\S+)")


def names_from_declarations(
    symbols: Sequence[SymbolDecl],
    functions: Sequence[FunctionDecl],
    log_base: str | None = None,
    prime: str | None = None,
    definitions: Sequence[Definition] = (),
    iterates: Sequence[str] = (),
) -> Names:
    """Build ``Names`` from the model's SymbolDecl, FunctionDecl and Definition items."""
    kinds: dict[str, str] = {}
    for definition in definitions:  # a defined quantity is written like a symbol (L) or a vector (p_j)
        kinds[definition.name] = "vector" if definition.index is not None else "scalar"
    ranges: dict[str, tuple[str, str]] = {}
    sizes: list[str] = []  # the sizes of vectors and matrices, declared as index bounds are
    for decl in symbols:
        match = _INDEX.search(decl.words)
        if match:
            kinds[decl.name] = "index"
            ranges[decl.name] = (match.group(1), match.group(2))
        elif _shape(decl):
            kinds[decl.name] = "matrix"  # a vector or matrix with sizes: the name alone is the whole
            sizes.extend(_shape(decl))
        elif "vector" in decl.words.replace(",", " ").split():
            kinds[decl.name] = "vector"
        else:
            kinds[decl.name] = "scalar"
    for lo_hi in [*ranges.values(), tuple(sizes)]:
        for bound in lo_hi:
            if _PY_NAME.match(bound) and bound not in kinds:
                kinds[bound] = "scalar"
    params = {decl.name: decl.params for decl in functions}
    bodies = {decl.name: decl.body.text for decl in functions if decl.body is not None}
    complex_names = frozenset(d.name for d in symbols if "complex" in d.words.replace(",", " ").split())
    supported = frozenset(d.name for d in symbols if "support" in d.words.replace(",", " ").split())
    return Names(
        kinds, params, ranges, bodies, log_base, prime, complex=complex_names, iterates=frozenset(iterates),
        supported=supported,
    )


def _shape(decl: SymbolDecl) -> tuple[str, ...]:
    """The sizes of a vector or matrix declared with them (empty: none)."""
    try:
        return read_symbol(decl).shape or ()
    except FormatError:
        return ()  # the declaration's own error is reported where the symbols are read


# -- the tree ------------------------------------------------------------------------------------
# Nodes are tuples: ("num", "2.5"), ("name", py), ("call", f, [args]), ("elem", v, [idx]),
# ("add", [(sign, node)]), ("mul", [(op, node)]), ("pow", base, exp), ("neg", node),
# ("diff", node, var, order), ("sum"|"prod", body, var, lo, hi), ("abs", node).

ReaderNode: TypeAlias = tuple[Any, ...]
"""A node of the reader's tree: a tuple whose first item names its kind (the forms above)."""


def to_tree(node: ReaderNode) -> ast.expr:
    """The Python ``ast`` tree of a reader node: the typed tree the expression builder consumes."""
    kind = node[0]
    if kind == "num":
        return syntax.number(node[1])
    if kind == "name":
        return syntax.name(node[1])
    if kind == "call":
        return syntax.call(node[1], [to_tree(a) for a in node[2]])
    if kind == "abs":
        return syntax.call("abs", [to_tree(node[1])])
    if kind == "elem":
        return syntax.element(node[1], [to_tree(a) for a in node[2]])
    if kind == "add":
        return _sum_tree(node[1])
    if kind == "mul":
        return _product_tree(node[1])
    if kind == "neg":
        return _negated(node[1])
    if kind == "pow":
        return syntax.binary(to_tree(node[1]), ast.Pow(), to_tree(node[2]))
    if kind == "diff":
        args = [to_tree(node[1]), to_tree(node[2])]
        if node[3] != 1:
            args.append(syntax.number(str(node[3])))
        return syntax.call("diff", args)
    if kind == "extremum":
        return syntax.call(node[1], [to_tree(node[2]), syntax.limits(node[3], to_tree(node[4]), to_tree(node[5]))])
    if kind == "limit":
        args = [to_tree(node[1]), syntax.name(node[2]), to_tree(node[3])]
        if node[4] is not None:
            args.append(ast.Constant(node[4]))
        return syntax.call("Limit", args)
    if kind == "integral" and node[3] is None:  # an antiderivative
        return syntax.call("Integral", [to_tree(node[1]), syntax.name(node[2])])
    if kind == "integral":
        return syntax.call("Integral", [to_tree(node[1]), syntax.limits(node[2], to_tree(node[3]), to_tree(node[4]))])
    if kind == "expect":
        law = syntax.call(node[4], [to_tree(p) for p in node[5]]) if node[4] else to_tree(node[5][0])
        return syntax.call(node[1], [to_tree(node[2]), ast.Tuple([syntax.name(node[3]), law], ast.Load())])
    if kind == "matrix":
        rows: list[ast.expr] = [ast.List([to_tree(entry) for entry in row], ast.Load()) for row in node[1]]
        return syntax.call("Matrix", [ast.List(rows, ast.Load())])
    if kind in ("sum", "prod"):
        limits = syntax.limits(node[2], to_tree(node[3]), to_tree(node[4]))
        return syntax.call("Sum" if kind == "sum" else "Product", [to_tree(node[1]), limits])
    raise AssertionError(kind)  # pragma: no cover - every builder returns a known kind


def _sum_tree(terms: list) -> ast.expr:
    """``t1 ± t2 ± …`` as a left-deep chain; a term that is a sum stays one operand (its brackets)."""
    tree: ast.expr | None = None
    for sign, term in terms:
        if term[0] == "neg":  # a + -b is a - b
            sign, term = ("-" if sign == "+" else "+"), term[1]
        if tree is None:
            tree = _negated(term) if sign == "-" else to_tree(term)
        else:
            tree = syntax.binary(tree, ast.Sub() if sign == "-" else ast.Add(), to_tree(term))
    assert tree is not None
    return tree


def _product_tree(factors: list) -> ast.expr:
    """``f1 * f2 / f3 …`` as a left-deep chain; a product of atoms after '*' joins it (2xy is 2*x*y)."""
    flat: list = []
    for op, factor in factors:
        atoms = factor[0] == "mul" and all(inner_op == "*" and _is_atom(inner) for inner_op, inner in factor[1])
        if op == "*" and atoms and flat:
            flat.extend(factor[1])
        else:
            flat.append((op, factor))
    tree: ast.expr | None = None
    for op, factor in flat:
        operand = to_tree(factor)
        tree = operand if tree is None else syntax.binary(tree, ast.Div() if op == "/" else ast.Mult(), operand)
    assert tree is not None
    return tree


def _is_atom(node: ReaderNode) -> bool:
    return node[0] in ("num", "name", "elem", "call", "abs")


def _negated(node: ReaderNode) -> ast.expr:
    """``-node``; the sign of a product goes on its first factor (-(a*b) is -a*b, the same tree in
    SymPy) unless that factor is a sum, which a sign would distribute over."""
    if node[0] == "mul" and node[1][0][1][0] not in ("neg", "add"):
        (op, first), *rest = node[1]
        return _product_tree([(op, ("neg", first)), *rest])
    return syntax.negative(to_tree(node))


# -- the parser ----------------------------------------------------------------------------------


@dataclass
class Reading:
    """One LaTeX expression read: its expression tree (Python ``ast``, for the builder) and the notes.

    The tree is handed to the builder as it is (``text``); ``python`` is only its
    display text (``read as`` in reports), written from the tree.
    """

    tree: ast.expr
    notes: list[str]
    alternative: ast.expr | None = None  # the reading with a \sum covering the terms after it

    @property
    def python(self) -> str:
        """The reading written in the Python syntax, for display."""
        return syntax.show(self.tree)

    def text(self, line: int) -> Text:
        """The reading as the model's expression: display text and the tree itself."""
        return Text(self.python, line, self.tree)

    def alternative_text(self, line: int) -> Text | None:
        """The other reading (a \\sum widened past a '+') as the model's expression, if there is one."""
        if self.alternative is None:
            return None
        return Text(syntax.show(self.alternative), line, self.alternative)


_COMPARISONS: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
}


def comparison(sides: list[Reading], ops: list[str], line: int) -> Text:
    """A condition ``a op b [op c]`` (ops in the Python syntax) from its readings, as the model's expression."""
    tree = ast.Compare(sides[0].tree, [_COMPARISONS[op]() for op in ops], [side.tree for side in sides[1:]])
    return Text(syntax.show(tree), line, tree)


def read_expression(
    tokens: list[Token], names: Names, lenient: bool = False, bound: frozenset[str] = frozenset()
) -> Reading:
    """Read the tokens of one expression (no relation at the top level).

    ``lenient``: a parenthesis left unclosed is closed at the end of its
    group (used only for rows marked ``wrong:``), with a note saying so.
    ``bound``: names bound around the expression (the ``k`` of a definition ``p_k = …``).
    """
    parser = _Parser(tokens, names, lenient, set(bound))
    try:
        node = parser.whole()
        alternative = None
        if parser.widened:
            old, new = parser.widened[0]
            alternative = to_tree(_substitute(node, old, new))
        return Reading(to_tree(node), parser.notes, alternative)
    except RecursionError:
        line = tokens[0].line if tokens else None
        raise FormatError(f"LaTeX nested too deeply to read (limit {MAX_DEPTH} levels)", line) from None


class _Parser:
    def __init__(
        self,
        tokens: list[Token],
        names: Names,
        lenient: bool = False,
        bound: set[str] | None = None,
        depth: int = 0,
        notes: list[str] | None = None,
        shared: tuple[list, list] | None = None,
    ) -> None:
        self.tokens = with_gaps(tokens)
        prose = next((t for t in self.tokens if t.kind == "prose"), None)
        if prose is not None:
            message = f"the character '{prose.text}' has no meaning in math here (put words in \\text{{…}})"
            raise self.error(prose, message)
        self.pos = 0
        self.names = names
        self.lenient = lenient
        self.bound = set(bound or ())
        self.depth = depth
        self.notes = notes if notes is not None else []
        self.abs_depth = 0
        self.norm_depth = 0  # inside \|…\|, where \| closes
        self.closers: list[str] = []
        # sums visibly meant past a '+', and (sum of terms, the same with the sum widened)
        self.flagged, self.widened = shared if shared is not None else ([], [])

    # -- helpers -------------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> Token:
        k = self.pos + offset
        return self.tokens[k] if k < len(self.tokens) else self._end()

    def _end(self) -> Token:
        last = self.tokens[-1] if self.tokens else None
        return Token("end", "", last.line if last else 0, (last.col + len(last.text)) if last else 0)

    def take(self) -> Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def error(self, tok: Token, message: str) -> FormatError:
        where = f"column {tok.col}: " if tok.line else ""
        return FormatError(f"{where}{message}", tok.line or None)

    def sub(self, tokens: list[Token]) -> _Parser:
        if self.depth + 1 > MAX_DEPTH:
            raise self.error(tokens[0] if tokens else self.peek(), f"LaTeX nested deeper than {MAX_DEPTH} levels")
        child = _Parser(
            tokens, self.names, self.lenient, self.bound, self.depth + 1, self.notes, (self.flagged, self.widened)
        )
        return child

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(tok, f"LaTeX nested deeper than {MAX_DEPTH} levels")

    def whole(self) -> ReaderNode:
        if not self.tokens:
            raise FormatError("empty expression")
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(tok, f"unexpected '{tok.key}'{_stray_hint(tok)}")
        return node

    def group_tokens(self) -> list[Token]:
        """Take a braced group ``{…}`` (its inner tokens) or one token."""
        tok = self.take()
        if tok.kind == "char" and tok.text == "{":
            depth, start = 1, self.pos
            while True:
                t = self.take()
                if t.kind == "end":
                    raise self.error(tok, "'{' is never closed")
                if t.kind == "char" and t.text == "{":
                    depth += 1
                elif t.kind == "char" and t.text == "}":
                    depth -= 1
                    if depth == 0:
                        return self.tokens[start : self.pos - 1]
        if tok.kind == "end":
            raise self.error(tok, "an argument is missing at the end")
        if tok.kind == "macro" and tok.text in NAME_MACROS | TYPEFACES | set(DECORATIONS):
            # \frac\mathrm{d}x and the like: the macro with its argument
            start = self.pos - 1
            self.group_tokens()
            return self.tokens[start : self.pos]
        return [tok]

    # -- grammar -------------------------------------------------------------------------------

    def expr(self) -> ReaderNode:
        self.enter(self.peek())
        try:
            terms = []
            sign = "+"
            tok = self.peek()
            if tok.kind == "char" and tok.text in "+-":
                self.take()
                sign = tok.text
            terms.append((sign, self.term()))
            while True:
                tok = self.peek()
                if tok.kind == "char" and tok.text in "+-":
                    self.take()
                    nxt = self.peek()
                    if nxt.kind == "macro" and nxt.text in DOTS:  # a_1 + a_2 + \dots + a_n
                        self.take()
                        terms.append((tok.text, ("dots", nxt)))
                        continue
                    terms.append((tok.text, self.term()))
                    continue
                break
            while any(term[0] == "dots" for _, term in terms):
                terms = self.dots_sum(terms)
            if len(terms) == 1 and terms[0][0] == "+":
                return terms[0][1]
            if len(terms) == 1:
                return ("neg", terms[0][1])
            node = ("add", terms)
            self.widen_sum(node)
            return node
        finally:
            self.depth -= 1

    def dots_sum(self, terms: list) -> list:
        """``a_1 + a_2 + \\dots + a_n`` as the Sum it stands for; an error saying what was expected otherwise.

        The terms before the dots must be the last term with its one varying
        index replaced by consecutive whole numbers; the sum runs from the first
        of them to the last term's index.
        """
        at = next(k for k, (_, term) in enumerate(terms) if term[0] == "dots")
        dots = terms[at][1][1]
        expected = (
            f"'\\{dots.text}' between terms is read as a sum: write the terms it stands between as "
            "a_1 + a_2 + \\dots + a_n (the same term, one index counting up to the last term's)"
        )
        if at == 0 or at + 1 >= len(terms) or terms[at + 1][1][0] == "dots":
            raise self.error(dots, expected)
        sign, last = terms[at + 1]
        run: list[int] = []
        value = None
        upper = None
        for k in range(at - 1, -1, -1):
            term_sign, term = terms[k]
            slot = _varying_index(term, last)
            if term_sign != sign or slot is None or (upper is not None and slot[1] != upper):
                break
            if value is not None and slot[0] != value - 1:
                break
            value, upper = slot[0], slot[1]
            run.append(k)
        if not run or value is None or upper is None:
            raise self.error(dots, expected)
        free = [v for v in ("k", "j", "m", "q", "r", "s", "t") if v not in self.bound and not _mentions(last, v)]
        if not free:
            raise self.error(dots, expected)
        variable = free[0]
        body = _substitute(last, upper, ("name", variable), equal=True)
        summed = (sign, ("sum", body, variable, ("num", str(value)), upper))
        self.notes.append(
            f"'\\{dots.text}' at line {dots.line}, column {dots.col} is read as the sum from {value} over the "
            "terms it stands between"
        )
        first = min(run)
        return [*terms[:first], summed, *terms[at + 2 :]]

    def widen_sum(self, node: ReaderNode) -> None:
        """Record the reading where a flagged \\sum also covers the terms after it."""
        terms = node[1]
        for k, (sign, term) in enumerate(terms[:-1]):
            if any(term is flagged for flagged in self.flagged):
                kind, body, var, lo, hi = term
                wide = (kind, ("add", [("+", body), *terms[k + 1 :]]), var, lo, hi)
                self.widened.append((node, ("add", [*terms[:k], (sign, wide)]) if k or sign == "-" else wide))
                return

    def term(self) -> ReaderNode:
        start = self.pos
        factors = [("*", self.factor())]
        spans = [(start, self.pos)]  # the tokens of each factor
        while True:
            tok = self.peek()
            if tok.kind == "macro" and tok.text in ("cdot", "times", "ast"):
                self.take()
                op = "*"
            elif (tok.kind == "char" and tok.text == "/") or (tok.kind == "macro" and tok.text == "div"):
                self.take()
                op = "/"
            elif tok.kind == "char" and tok.text == "*":
                self.take()
                op = "*"
            elif self.starts_factor(tok):
                op = ""  # juxtaposition
                if tok.gap == "wide":
                    raise self.error(tok, _WIDE_GAP)
            else:
                break
            start = self.pos
            factor = self.factor()
            if op == "/" and factor[0] == "mul" and self.tokens[start].kind == "letter":
                self.slash_ambiguity(spans[-1], (start, self.pos), None)  # a/xy: a run of names after '/'
            if op == "" and factors[-1][0] == "/":
                self.slash_ambiguity(spans[-2], spans[-1], (start, self.pos))
            factors.append((op or "*", factor))
            spans.append((start, self.pos))
        return factors[0][1] if len(factors) == 1 else ("mul", factors)

    def slash_ambiguity(
        self, top: tuple[int, int], bottom: tuple[int, int], after: tuple[int, int] | None
    ) -> NoReturn:
        """``a/2b``, ``x^2/2\\sigma^2``, ``a/xy``: (a/2)·b or a/(2b)? Refused with both readings."""
        num = _written(self.tokens[top[0] : top[1]])
        if after is None:  # a run of letters: the first name is the divisor on one reading
            run = self.tokens[bottom[0] : bottom[1]]
            den, rest = _written(run[:1]), _written(run[1:])
        else:
            den = _written(self.tokens[bottom[0] : bottom[1]])
            rest = _written(self.tokens[after[0] : after[1]])
        whole = _written(self.tokens[top[0] : (after or bottom)[1]])
        raise self.error(
            self.tokens[top[0]],
            f"'{whole}' can be read as ({num}/{den})·{rest} or as {num}/({den} {rest}); "
            f"write \\frac{{{num}}}{{{den} {rest}}} for the second, or \\frac{{{num}}}{{{den}}} {rest} "
            "for the first",
        )

    def starts_factor(self, tok: Token) -> bool:
        if tok.kind in ("letter", "digit"):
            return True
        if tok.kind == "char":
            if tok.text == "|":
                return self.abs_depth == 0
            return tok.text in "({["
        if tok.kind == "macro":
            if tok.text in ("right", "cdot", "times", "div", "ast") or tok.key in CLOSE or tok.text in ("rvert", "}"):
                return False
            if tok.text in NORM_CLOSE or (self.norm_depth and tok.text in NORM_OPEN):
                return False
            if tok.key in _FENCE_CLOSERS:
                return False
            if tok.text in RELATIONS or tok.text in DOTS:
                return False
            if tok.text in SIZES:
                nxt = self.peek(1)
                return nxt.key in OPEN or nxt.text in ("lvert", "|")
            return True
        return False

    def factor(self) -> ReaderNode:
        tok = self.peek()
        if tok.kind == "char" and tok.text in "+-":
            self.take()
            self.enter(tok)
            try:
                inner = self.factor()
            finally:
                self.depth -= 1
            return ("neg", inner) if tok.text == "-" else inner
        self.enter(tok)
        try:
            return self.postfix(self.primary())
        finally:
            self.depth -= 1

    def postfix(self, node: ReaderNode) -> ReaderNode:
        while True:
            tok = self.peek()
            if tok.kind == "char" and tok.text == "^":
                self.take()
                exp_tokens = self.group_tokens()
                if _is_prime_group(exp_tokens):
                    node = self.prime_of(node, tok, _prime_count(exp_tokens))
                elif (transposed := self.transposed(node, exp_tokens)) is not None:
                    node = transposed
                else:
                    node = ("pow", node, self.sub(exp_tokens).whole())
            elif (tok.kind == "char" and tok.text == "'") or (tok.kind == "macro" and tok.text == "prime"):
                node = self.prime_of(node, tok, self.primes())
            elif tok.kind == "char" and tok.text == "_":
                raise self.error(tok, "a subscript here has no meaning; subscripts go on declared names (z_i)")
            elif tok.kind == "char" and tok.text == "!":
                raise self.error(tok, "factorials are not supported")
            else:
                return node

    def prime_of(self, node: ReaderNode, tok: Token, count: int) -> ReaderNode:
        """``(…)'``: the derivative in the variable the comment's ``prime:`` names."""
        if self.names.prime is None:
            raise self.error(
                tok,
                "a prime on an expression does not say the variable; write \\frac{d}{dx}(…), "
                "or name the variable in the derivcheck comment (e.g. 'prime: x')",
            )
        try:
            variable = _Parser(tokenize(self.names.prime), self.names).whole()
        except FormatError as exc:
            raise self.error(
                tok, f"the comment's 'prime: {self.names.prime}' is not a variable ({exc.message})"
            ) from None
        if variable[0] not in ("name", "elem"):
            raise self.error(tok, f"the comment's 'prime: {self.names.prime}' is not a declared variable")
        return ("diff", node, variable, count)

    def primary(self) -> ReaderNode:
        tok = self.peek()
        if tok.kind == "end":
            raise self.error(tok, "an expression is missing at the end")
        if tok.kind == "digit" or (tok.kind == "char" and tok.text == "." and self.peek(1).kind == "digit"):
            return self.number()
        width = self.divergence_width()
        if width:
            return self.divergence(tok, width)
        if tok.kind == "letter":
            return self.letters()
        if tok.kind == "char":
            if tok.text == "{":
                inner = self.group_tokens()
                if not inner:
                    raise self.error(tok, "empty group '{}'")
                return self.sub(inner).whole()
            if tok.text in "([":
                return self.bracket()
            if tok.text == "|":
                return self.absolute()
            raise self.error(tok, f"unexpected '{tok.text}'{_stray_hint(tok)}")
        if tok.kind == "macro":
            return self.macro()
        raise self.error(tok, f"unexpected '{tok.text}'")

    def number(self) -> ReaderNode:
        first = self.peek()
        digits = ""
        while True:
            tok = self.peek()
            if digits and tok.kind == "digit" and tok.gap:
                raise self.error(tok, _DIGIT_GAP)
            adjacent = not digits or not tok.space
            if (
                tok.kind == "digit"
                and adjacent
                or (
                    tok.kind == "char"
                    and tok.text == "."
                    and "." not in digits
                    and adjacent
                    and self.peek(1).kind == "digit"
                    and not self.peek(1).space
                )
            ):
                digits += self.take().text
            else:
                break
        if len(digits) > MAX_LATEX_NUMBER_DIGITS:
            raise self.error(first, f"number longer than {MAX_LATEX_NUMBER_DIGITS} digits")
        if digits.startswith("."):
            digits = "0" + digits
        return ("num", digits)

    # -- brackets and bars ---------------------------------------------------------------------

    def bracket(self) -> ReaderNode:
        opener = self.take()
        return self.until_closer(opener, OPEN.get(opener.text, ")"), opener.text)

    def until_closer(self, opener: Token, closer: str, shown: str, right: bool = False) -> ReaderNode:
        """Parse ``expr`` up to ``closer`` (a char, or after \\right when ``right``)."""
        saved_abs = self.abs_depth
        self.abs_depth = 0
        self.closers.append(closer)
        try:
            node = self.expr()
        finally:
            self.closers.pop()
            self.abs_depth = saved_abs
        tok = self.peek()
        if right:
            if tok.kind == "macro" and tok.text == "right":
                self.take()
                self.take_delimiter(tok)
                return node
        elif tok.key == closer:
            self.take()
            return node
        if self.lenient and (
            tok.kind == "end"
            or (tok.kind == "macro" and tok.text == "right")
            or tok.key in CLOSE
            or tok.key in self.closers
        ):
            self.notes.append(
                f"'{shown}' opened at line {opener.line}, column {opener.col} is never closed; "
                f"read as closed at line {tok.line}, column {tok.col} (the row is marked wrong:)"
            )
            return node
        if tok.kind == "end":
            raise self.error(opener, f"'{shown}' is never closed (add {_shown_closer(closer, right)})")
        if (tok.kind == "macro" and tok.text == "right") or tok.key in CLOSE:
            raise self.error(
                opener,
                f"'{shown}' is never closed: '{tok.key}' at line {tok.line}, column {tok.col} "
                f"closes an outer group first (add {_shown_closer(closer, right)})",
            )
        raise self.error(tok, f"unexpected '{tok.key}' inside '{shown}…'{_stray_hint(tok)}")

    def take_delimiter(self, at: Token) -> Token:
        tok = self.take()
        if tok.kind == "end":
            raise self.error(at, "\\left or \\right without a delimiter")
        return tok

    def absolute(self) -> ReaderNode:
        opener = self.take()
        if self.abs_depth and opener.text == "|":
            raise self.error(opener, "nested |…| bars are ambiguous; write \\lvert … \\rvert or \\left| … \\right|")
        self.abs_depth += 1
        saved = self.closers
        self.closers = ["|"]
        try:
            node = self.expr()
        finally:
            self.abs_depth -= 1
            self.closers = saved
        tok = self.take()
        if not (tok.kind == "char" and tok.text == "|"):
            raise self.error(opener, "'|' is never closed (write |x| for the absolute value)")
        return ("abs", node)

    # -- names ---------------------------------------------------------------------------------

    def letters(self) -> ReaderNode:
        run = [self.take()]
        while self.peek().kind == "letter" and not self.peek().space:
            run.append(self.take())
        word = "".join(t.text for t in run)
        first = run[0]
        if self.peek().kind == "digit" and not self.peek().space:
            raise self.error(
                first,
                f"a number right after '{word}' is ambiguous: write {word}_{self.peek().text} "
                f"for a subscript or {word} \\cdot {self.peek().text} for a product",
            )
        parts = self.segment(word, first, self.peek_subscript())
        nodes = []
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            nodes.append(self.named(part, first, postfix_allowed=last))
        return nodes[0] if len(nodes) == 1 else ("mul", [("*", n) for n in nodes])

    def peek_subscript(self) -> str | None:
        """The plain text of a subscript that comes next (``_1``, ``_{o}``, ``_{max}``), without taking it."""
        if not (self.peek().kind == "char" and self.peek().text == "_"):
            return None
        tok = self.peek(1)
        if tok.kind in ("letter", "digit"):
            return tok.text
        greek = _greek_subscript([tok]) or _greek_subscript([tok, self.peek(2), self.peek(3)])
        if greek is not None:  # _\phi, _{\theta}: q_\phi names q_phi
            return greek
        upright = _plain_subscript(_upright_subscript([tok, self.peek(2)]))
        if upright is not None:  # _\mathrm{A}
            return upright
        if tok.kind == "char" and tok.text == "{" and self.peek(4).kind == "char" and self.peek(4).text == "}":
            upright = _plain_subscript(_upright_subscript([self.peek(2), self.peek(3)]))
            if upright is not None:  # _{\mathrm{A}}
                return upright
        if not (tok.kind == "char" and tok.text == "{"):
            return None
        inner = []
        k = 2
        while self.peek(k).kind in ("letter", "digit"):
            inner.append(self.peek(k))
            k += 1
        closing = self.peek(k)
        return _plain_subscript(inner) if closing.kind == "char" and closing.text == "}" else None

    def subscripted_name(self, word: str, subscript: str | None) -> str | None:
        """``word_subscript`` when that whole name is declared and ``word`` is not (``\\beta_1``, ``E_o``)."""
        if subscript is None or word in self.bound:
            return None
        name = f"{word}_{subscript}"
        if self.names.is_declared(name) and not self.names.is_declared(self.python_name(word)):
            return name
        return None

    def segment(self, word: str, tok: Token, subscript: str | None = None) -> list[str]:
        """Split a run of letters into declared names; an error if none or several readings.

        The last name may be one completed by the subscript that follows (``E_o`` declared).
        """
        if len(word) > MAX_LATEX_LETTER_RUN:
            raise self.error(tok, "a run of more than 200 letters; separate names with spaces")
        ways: list[list[list[str]]] = [[] for _ in range(len(word) + 1)]
        ways[0] = [[]]
        for end in range(1, len(word) + 1):
            found: list[list[str]] = []
            for start in range(max(0, end - 40), end):
                piece = word[start:end]
                last = end == len(word) and self.subscripted_name(piece, subscript) is not None
                if ways[start] and (self.resolvable(piece) or last):
                    for way in ways[start][:3]:
                        found.append(way + [piece])
            ways[end] = found[:3]
        readings = ways[len(word)]
        if not readings and word == "I" and subscript is not None:
            return [word]  # I_n: the identity (apply)
        if not readings:
            if len(word) == 1:
                raise self.error(tok, f"undeclared name '{word}'; declare it under 'symbols' in the derivcheck comment")
            raise self.error(
                tok,
                f"'{word}' is neither a declared name nor a product of declared names; declare it, "
                f"or write \\operatorname{{{word}}} for a function",
            )
        if len(readings) > 1:
            a, b = (" \\cdot ".join(r) if len(r) > 1 else r[0] for r in readings[:2])
            raise self.error(
                tok,
                f"'{word}' can be read as {a} or as {b}; write the product with spaces or \\cdot "
                f"(e.g. '{a}') or the single name with \\operatorname{{{word}}}",
            )
        return readings[0]

    def resolvable(self, word: str) -> bool:
        if word in self.bound or self.names.is_declared(word):
            return True
        return word == "e" or word in ("log", "ln", "exp", "max", "min") or word in _unary_builtins()

    def named(self, word: str, tok: Token, postfix_allowed: bool = True) -> ReaderNode:
        """A resolved name with what follows it: subscript, primes, power, arguments."""
        if not postfix_allowed:
            return self.atom(word, tok, None)
        sub_tokens = None
        primes = 0
        power = None
        for _ in range(4):
            nxt = self.peek()
            if nxt.kind == "char" and nxt.text == "_" and sub_tokens is None:
                self.take()
                sub_tokens = _upright_subscript(self.group_tokens())
            elif (nxt.kind == "char" and nxt.text == "'") or (nxt.kind == "macro" and nxt.text == "prime"):
                primes += self.primes()
            elif nxt.kind == "char" and nxt.text == "^" and power is None:
                self.take()
                group = self.group_tokens()
                if _is_prime_group(group):
                    primes += _prime_count(group)
                else:
                    power = group
            else:
                break
        return self.apply(word, tok, sub_tokens, primes, power)

    def primes(self) -> int:
        count = 0
        while self.peek().kind == "char" and self.peek().text == "'":
            self.take()
            count += 1
        while self.peek().kind == "macro" and self.peek().text == "prime":
            self.take()
            count += 1
        return count

    def apply(
        self, word: str, tok: Token, sub_tokens: list[Token] | None, primes: int, power: list[Token] | None
    ) -> ReaderNode:
        whole = self.subscripted_name(word, _plain_subscript(sub_tokens) if sub_tokens is not None else None)
        if whole is not None:
            return self.apply(whole, tok, None, primes, power)
        if (
            word == "delta"
            and sub_tokens is not None
            and not self.names.is_declared("delta")
            and not self.names.is_declared("delta_")
            and "KroneckerDelta" in BUILTIN_FUNCTIONS
        ):
            return self.finish_power(self.kronecker(tok, sub_tokens), power)
        if word == "I" and sub_tokens is not None and not self.names.is_declared("I") and "I" not in self.bound:
            return self.finish_power(("call", "eye", [self.sub(sub_tokens).whole()]), power)  # I_n: the identity
        kind = self.kind_of(word, tok, _plain_subscript(sub_tokens) if sub_tokens is not None else None)
        if kind == "builtin" and word in ("max", "min") and sub_tokens is not None:
            return self.extremum(word, tok, sub_tokens, power)  # \max_{k=1}^{C}: the ^ is the bound
        if kind == "function" or kind == "builtin":
            node = self.function_use(word, tok, kind, sub_tokens, primes)
            if power is not None and not (kind == "function" and sub_tokens is not None):
                return self.function_power(word, tok, node, self.sub(power).whole())
        else:
            if primes and sub_tokens is not None and self.names.symbols.get(word) == "vector" and self.names.prime:
                # e_j' on a vector element: the derivative in the comment's prime: variable
                element = self.symbol_use(word, tok, sub_tokens)
                return self.finish_power(self.prime_of(element, tok, primes), power)
            if primes:
                name = self.decorated(word, "prime" if primes == 1 else "prime" * primes, tok)
                return self.finish_power(self.apply(name, tok, sub_tokens, 0, None), power)
            if word in self.names.iterates and power is not None and sub_tokens is None:
                return self.iterate(word, tok, power)
            node = self.symbol_use(word, tok, sub_tokens)
            if power is not None and _looks_like_iteration(power, self.names):
                shown = "".join(t.key if t.kind != "arg" else t.text for t in power)
                self.notes.append(
                    f"{word}^{{{shown}}} is read as a power; if the superscript counts iterations, declare "
                    f"'iterates: [{word}]' in the derivcheck comment ({word}^{{{shown}}} is then an element of {word})"
                )
        return self.finish_power(node, power)

    def iterate(self, word: str, tok: Token, power: list[Token]) -> ReaderNode:
        """``w^{(k)}``, ``w^k``, ``h^{k-1}`` for a name declared under ``iterates``: the element ``w[k]``."""
        if self.names.symbols.get(word) != "vector":
            message = f"'{word}' is listed under 'iterates': declare it a vector (e.g. '{word}: real vector')"
            raise self.error(tok, message)
        inner = [t for t in power if not _ignorable(t)]
        if len(inner) >= 2 and inner[0].key == "(" and inner[-1].key == ")":
            inner = inner[1:-1]
        return ("elem", word, [self.sub(inner).whole()])

    def kronecker(self, tok: Token, sub_tokens: list[Token]) -> ReaderNode:
        """``\\delta_{ij}``, ``\\delta_{i,j}`` (``delta`` not declared): the Kronecker delta of two indices."""
        parts = _split_commas(sub_tokens)
        if len(parts) == 1:
            letters = [t for t in parts[0] if not _ignorable(t)]
            if len(letters) == 2 and all(t.kind == "letter" for t in letters):
                parts = [[letters[0]], [letters[1]]]
        if len(parts) != 2:
            raise self.error(
                tok, "\\delta_{…} is the Kronecker delta of two indices: write \\delta_{i,j} (or declare 'delta')"
            )
        return ("call", "KroneckerDelta", [self.sub(p).whole() for p in parts])

    def finish_power(self, node: ReaderNode, power: list[Token] | None) -> ReaderNode:
        if power is None:
            return node
        if (transposed := self.transposed(node, power)) is not None:
            return transposed
        exponent = self.sub(power).whole()
        if node[0] == "name" and node[1] == "E":
            return ("call", "exp", [exponent])
        return ("pow", node, exponent)

    def kind_of(self, word: str, tok: Token, subscript: str | None = None) -> str:
        if word in self.bound:
            return "symbol"
        py = self.python_name(word)
        if py in self.names.functions:
            return "function"
        if py in self.names.symbols:
            return "symbol"
        if word in ("log", "ln", "exp", "max", "min") or word in _unary_builtins() or word in MATRIX_WORDS:
            return "builtin"
        if word == "e" or word == "pi":
            return "symbol"
        if keyword.iskeyword(word):
            raise self.error(
                tok,
                f"'{word}' is a reserved word of the expression syntax; declare the name "
                f"as '{word}_' and \\{word} will mean it",
            )
        if subscript is not None:
            raise self.error(
                tok,
                f"undeclared name '{word}_{subscript}'; declare '{word}_{subscript}' (or a vector '{word}' for "
                "its elements) under 'symbols' in the derivcheck comment",
            )
        raise self.error(
            tok, f"undeclared name '{word}'; declare it under 'symbols' or 'functions' in the derivcheck comment"
        )

    def python_name(self, word: str) -> str:
        """Declared name ``word``, else declared ``word_`` (for keywords and built-ins), else ``word``."""
        if word in self.bound:
            return word
        if self.names.is_declared(word):
            return word
        if self.names.is_declared(word + "_"):
            return word + "_"
        return word

    def decorated(self, word: str, decoration: str, tok: Token) -> str:
        name = f"{word}_{decoration}"
        if not self.names.is_declared(name):
            raise self.error(
                tok,
                f"'{name}' is not declared (a decorated name \\{decoration}{{{word}}} or "
                f"{word}' names the declared symbol '{name}')",
            )
        return name

    def atom(self, word: str, tok: Token, sub_tokens: list[Token] | None) -> ReaderNode:
        kind = self.kind_of(word, tok)
        if kind in ("function", "builtin"):
            return self.function_use(word, tok, kind, None, 0)
        return self.symbol_use(word, tok, sub_tokens)

    def symbol_use(self, word: str, tok: Token, sub_tokens: list[Token] | None) -> ReaderNode:
        if word in self.bound:
            if sub_tokens is not None:
                raise self.error(tok, f"'{word}' is a summation index and has no elements")
            return ("name", word)
        py = self.python_name(word)
        kind = self.names.symbols.get(py)
        if kind is None:
            if word == "e":
                if sub_tokens is not None:
                    raise self.error(tok, "'e' is Euler's number here; declare 'e' or a name like e_i to subscript it")
                return ("name", "E")
            if word == "pi":
                if sub_tokens is not None:
                    raise self.error(
                        tok, "\\pi is the constant pi here; declare a vector 'pi_' for \\pi_i ('pi' itself is built in)"
                    )
                return ("name", "pi")
            raise self.error(tok, f"undeclared name '{word}'")
        if sub_tokens is None:
            if kind == "vector" and py != word:
                raise self.error(
                    tok,
                    f"'{word}' names the declared vector '{py}' (declared in place of the "
                    f"reserved or built-in '{word}'); write an element such as {word}_i, or "
                    f"rename '{py}' to use the built-in",
                )
            if kind == "vector":
                raise self.error(tok, f"'{py}' is a declared vector; write an element such as {word}_i")
            return ("name", py)
        if kind in ("vector", "matrix"):
            return ("elem", py, self.indices(sub_tokens, py, tok))
        text = _plain_subscript(sub_tokens)
        if text is not None and self.names.is_declared(f"{py}_{text}"):
            return self.named_plain(f"{py}_{text}", tok)
        raise self.error(
            tok,
            f"'{word}_{{{_tokens_text(sub_tokens)}}}': '{py}' is not a declared vector; declare '{py}' as a "
            f"vector for elements, or declare the name '{py}_{text or '…'}'",
        )

    def named_plain(self, name: str, tok: Token) -> ReaderNode:
        kind = self.names.symbols.get(name)
        if kind == "vector":
            raise self.error(tok, f"'{name}' is a declared vector; write an element of it")
        if name in self.names.functions:
            return self.function_use(name, tok, "function", None, 0)
        return ("name", name)

    def indices(self, sub_tokens: list[Token], vector: str, tok: Token) -> list:
        parts = _split_commas(sub_tokens)
        out = []
        for part in parts:
            letters = [t for t in part if t.kind == "letter"]
            if (
                len(part) == len(letters)
                and len(letters) > 1
                and not any(t.space for t in part[1:])
                and not self.names.is_declared("".join(t.text for t in letters))
            ):
                word = "".join(t.text for t in letters)
                raise self.error(
                    tok,
                    f"'{vector}_{{{word}}}' is ambiguous: write {vector}_{{{', '.join(word)}}} for the element "
                    f"with indices {', '.join(word)}, or {vector}_{{{' '.join(word)}}} for one index "
                    f"{' * '.join(word)}",
                )
            out.append(self.sub(part).whole())
        return out

    # -- functions -----------------------------------------------------------------------------

    def function_use(
        self, word: str, tok: Token, kind: str, sub_tokens: list[Token] | None, primes: int
    ) -> ReaderNode:
        py = self.python_name(word) if kind == "function" else word
        base = None
        args = None
        if kind == "function":
            params = self.names.functions[py]
            if sub_tokens is not None:
                if primes:
                    raise self.error(tok, f"a prime and a subscript on '{word}' together are ambiguous")
                parts = _split_commas(sub_tokens)
                if len(parts) != len(params):
                    raise self.error(tok, f"'{py}' takes {len(params)} argument(s); a subscript gives {len(parts)}")
                args = [self.sub(p).whole() for p in parts]
                return ("call", py, args)
        elif sub_tokens is not None:
            if word in ("log",):
                base = self.sub(sub_tokens).whole()
            elif word in ("max", "min"):
                return self.extremum(word, tok, sub_tokens)
            else:
                raise self.error(tok, f"a subscript on the built-in '{word}' has no meaning")
        power = None
        if self.peek().kind == "char" and self.peek().text == "^":
            self.take()
            group = self.group_tokens()
            if _is_prime_group(group):
                primes += _prime_count(group)
            else:
                power = self.sub(group).whole()
        primes += self.primes()
        args = self.arguments(word, tok, kind)
        if kind == "function":
            arity = len(self.names.functions[py])
            if len(args) != arity:
                raise self.error(tok, f"'{py}' takes {arity} argument(s), given {len(args)}")
            node = ("call", py, args)
        else:
            node = self.builtin(word, tok, args, base)
        if primes:
            node = self.prime_derivative(py, tok, node, args, primes)
        return self.function_power(word, tok, node, power) if power is not None else node

    def function_power(self, word: str, tok: Token, node: ReaderNode, exponent: ReaderNode) -> ReaderNode:
        """``\\sin^2 x`` is a power; ``\\sin^{-1} x`` the inverse function; any other negative power is refused."""
        if exponent[0] != "neg":
            return ("pow", node, exponent)
        shown = f"\\{word}" if word in _unary_builtins() or word in ("log", "ln") else word
        inverse = INVERSES.get(word)
        if exponent == ("neg", ("num", "1")) and inverse is not None and node[0] == "call" and len(node[2]) == 1:
            return ("call", inverse, node[2])
        power = write_exponent(exponent)
        if exponent == ("neg", ("num", "1")):
            inverse_text = f"the inverse function of {shown}, which is not built in"
        else:
            inverse_text = f"a power of the inverse function of {shown}"
        reciprocal = f"{shown} x" if power in ("-1", "…") else f"({shown} x)^{{{power[1:]}}}"
        raise self.error(
            tok,
            f"'{shown}^{{{power}}}' can be read two ways: {inverse_text}, or the power "
            f"({shown} x)^{{{power}}}; for the power write ({shown} x)^{{{power}}} or "
            f"\\frac{{1}}{{{reciprocal}}}, and for an inverse function declare it under 'functions'",
        )

    def extremum(
        self, word: str, tok: Token, sub_tokens: list[Token], upper: list[Token] | None = None
    ) -> ReaderNode:
        """``\\max_k o_k``, ``\\max_{k=1}^{C} o_k``: the extremum over an index (``max(o[k], (k, 1, C))``)."""
        if upper is None and self.peek().kind == "char" and self.peek().text == "^":
            self.take()
            upper = self.group_tokens()
        ranges = self.operator_ranges(Token("macro", word, tok.line, tok.col), sub_tokens, upper)
        if len(ranges) != 1:
            raise self.error(tok, f"\\{word} over several indices is not supported; nest them")
        var, lo, hi = ranges[0]
        saved = set(self.bound)
        self.bound.add(var)
        try:
            body = self.factor()
            after = self.peek()
            if self.starts_factor(after):
                raise self.error(
                    tok,
                    f"'\\{word}_{var} … {after.key}' is ambiguous: write \\{word}_{var}(…) around "
                    "everything it covers, or put the product after it in parentheses",
                )
        finally:
            self.bound = saved
        return ("extremum", word, body, var, lo, hi)

    def arguments(self, word: str, tok: Token, kind: str) -> list:
        nxt = self.peek()
        opener = None
        bracket = nxt.kind == "macro" and nxt.key in OPEN and nxt.key not in FUNCTION_FENCES
        if (nxt.kind == "char" and nxt.text in "([") or bracket:
            opener = self.take()
            closer = OPEN[opener.key]
            return self.argument_list(opener, lambda t: t.key == closer, False)
        if nxt.kind == "macro" and nxt.text == "left":
            opener = self.take()
            self.take_delimiter(opener)
            return self.argument_list(opener, lambda t: t.kind == "macro" and t.text == "right", True)
        if nxt.kind == "macro" and nxt.text in SIZES:
            opener = self.take()
            self.take_delimiter(opener)
            return self.argument_list(
                opener, lambda t: t.kind == "macro" and t.text in SIZES and self.peek(1).key in CLOSE, True
            )
        if nxt.kind == "char" and nxt.text == "{":
            inner = self.group_tokens()
            return [self.sub(inner).whole()]
        if kind == "function" and not self.names.functions[self.python_name(word)]:
            return []
        if kind == "function":
            count = len(self.names.functions[self.python_name(word)])
            raise self.error(
                tok,
                f"'{word}' is a declared function of {count} argument(s); write its arguments "
                f"in parentheses, e.g. \\{word}(x)"
                if len(word) > 1
                else f"'{word}' is a declared function; write its arguments in parentheses, e.g. {word}(x)",
            )
        if word in ("max", "min"):
            raise self.error(tok, f"\\{word} takes its arguments in parentheses: \\{word}(a, b)")
        # An unbracketed argument of a built-in: one factor, nothing juxtaposed after it.
        arg = self.factor()
        after = self.peek()
        if self.starts_factor(after) and not (after.kind == "macro" and after.text in ("sum", "prod")):
            raise self.error(
                tok,
                f"'\\{word} … {after.key}' is ambiguous: is the argument of \\{word} only the first factor? "
                f"write \\{word}(… {after.key} …) or (\\{word} …) {after.key}",
            )
        return [arg]

    def argument_list(self, opener: Token, is_closer: Callable[[Token], bool], right: bool) -> list:
        start = self.pos
        depth = 0
        while True:
            tok = self.peek()
            if tok.kind == "end":
                if self.lenient:
                    self.notes.append(
                        f"'{opener.key}' at line {opener.line}, column {opener.col} is never closed; "
                        "read as closed at the end (the row is marked wrong:)"
                    )
                    inner = self.tokens[start : self.pos]
                    return [self.sub(p).whole() for p in _split_commas(inner)]
                raise self.error(opener, f"'{opener.key}' is never closed")
            if depth == 0 and is_closer(tok):
                break
            if _opens(tok):
                depth += 1
            elif _closes(tok):
                if depth == 0:
                    if self.lenient:
                        self.notes.append(
                            f"'{opener.key}' at line {opener.line}, column {opener.col} is never closed; read as "
                            f"closed before '{tok.key}' at line {tok.line}, column {tok.col} (the row is marked wrong:)"
                        )
                        inner = self.tokens[start : self.pos]
                        return [self.sub(p).whole() for p in _split_commas(inner)]
                    raise self.error(
                        opener,
                        f"'{opener.key}' is never closed: '{tok.key}' at line {tok.line}, "
                        f"column {tok.col} closes an outer group first",
                    )
                depth -= 1
            self.pos += 1
        inner = self.tokens[start : self.pos]
        closing = self.take()
        if right:
            self.take_delimiter(closing)
        if not inner:
            raise self.error(opener, "empty parentheses")
        return [self.sub(p).whole() for p in _split_commas(inner, given=True)]

    def builtin(self, word: str, tok: Token, args: list, base: ReaderNode | None) -> ReaderNode:
        if word in ("max", "min"):
            if len(args) < 2:
                raise self.error(tok, f"{word} takes at least 2 arguments, given {len(args)}")
            return ("call", word, args)
        if word == "KroneckerDelta":
            if len(args) != 2:
                raise self.error(tok, f"KroneckerDelta takes 2 arguments, given {len(args)}")
            return ("call", word, args)
        if len(args) != 1:
            raise self.error(tok, f"{word} takes 1 argument, given {len(args)}")
        if word == "ln":
            return ("call", "log", args)
        if word == "log":
            if base is None and self.names.log_base is not None:
                base = ("num", self.names.log_base) if self.names.log_base.isdigit() else ("name", self.names.log_base)
            return ("call", "log", args + ([base] if base is not None else []))
        return ("call", word, args)

    def prime_derivative(self, py: str, tok: Token, node: ReaderNode, args: list, primes: int) -> ReaderNode:
        if len(args) != 1:
            raise self.error(tok, f"{py}' needs a function of one argument")
        var = args[0]
        if var[0] != "name" or var[1] in ("E", "pi") or var[1] in self.bound:
            raise self.error(
                tok,
                f"{py}'(…) is read as d/dx {py}(x) and needs a plain declared variable as "
                f"its argument; write \\frac{{d}}{{dx}} {py}(x) and substitute afterwards",
            )
        body = self.names.bodies.get(py)
        if body is not None and var[1] in _names_in(body) - set(self.names.functions.get(py, ())):
            raise self.error(
                tok,
                f"{py}'({var[1]}) is ambiguous: the definition of {py} uses '{var[1]}' itself; "
                f"write the derivative as \\frac{{d}}{{dt}} with another variable",
            )
        return ("diff", node, var, primes)

    # -- macros --------------------------------------------------------------------------------

    def macro(self) -> ReaderNode:
        tok = self.peek()
        name = tok.text
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.take()
            return self.fraction(tok)
        if name in NORM_OPEN:
            self.take()
            return self.norm(tok)
        if name == "sqrt":
            self.take()
            index = None
            if self.peek().kind == "char" and self.peek().text == "[":
                self.take()
                start = self.pos
                while not (self.peek().kind == "char" and self.peek().text == "]"):
                    if self.peek().kind == "end":
                        raise self.error(tok, "\\sqrt[ is never closed")
                    self.pos += 1
                index = self.sub(self.tokens[start : self.pos]).whole()
                self.take()
            radicand = self.sub(self.group_tokens()).whole()
            if index is None:
                return ("call", "sqrt", [radicand])
            return self.root(radicand, index)
        if name in ("sum", "prod"):
            self.take()
            return self.big_operator(tok)
        if name == "lim":
            self.take()
            return self.limit(tok)
        if name in INTEGRALS:
            self.take()
            return self.integral(tok)
        expectation = self.expectation_word()
        if expectation is not None:
            return self.expectation(tok, expectation)
        if name == "color":  # \color{blue}{x}: the colour is layout, the group is the math
            self.take()
            self.group_tokens()
            return self.sub(self.group_tokens()).whole() if self.peek().text == "{" else self.factor()
        if name == "nabla":
            self.take()
            return self.nabla(tok)
        if name == "overset":
            self.take()
            return self.overset(tok)
        if name == "begin" and self.environment(self.pos) in MATRIX_ENVIRONMENTS:
            self.take()
            env = "".join(t.text for t in self.group_tokens())
            return self.matrix_literal(tok, env)
        if name == "underset":
            self.take()
            below = self.group_tokens()
            over = [t for t in self.group_tokens() if not _ignorable(t)]
            if len(over) == 1 and over[0].kind == "macro" and over[0].text == "lim":
                return self.limit(over[0], below)
            raise self.error(tok, "\\underset is read only as \\underset{h \\to 0}{\\lim}")
        if name == "left":
            self.take()
            delim = self.take_delimiter(tok)
            if delim.key in ("|", "\\vert", "\\lvert"):
                node = self.until_closer(tok, "\\right", "\\left|", right=True)
                return ("abs", node)
            if delim.key == ".":
                return self.until_closer(tok, "\\right", "\\left.", right=True)
            if delim.key == "\\langle":
                return self.inner_product(tok, self.argument_list(tok, _is_right, True))
            if delim.key in ("\\|", "\\lVert", "\\Vert"):
                return self.norm_scripts(tok, self.until_closer(tok, "\\right", f"\\left{delim.key}", right=True))
            if delim.key in FUNCTION_FENCES:
                function = FUNCTION_FENCES[delim.key][1]
                return ("call", function, [self.until_closer(tok, "\\right", f"\\left{delim.key}", right=True)])
            if delim.key not in OPEN:
                raise self.error(delim, f"'\\left{delim.key}' is not a grouping delimiter")
            return self.until_closer(tok, "\\right", f"\\left{delim.key}", right=True)
        if name in SIZES:
            self.take()
            delim = self.take_delimiter(tok)
            if delim.key not in OPEN:
                raise self.error(delim, f"'\\{name}{delim.key}' is not an opening delimiter")
            node = self.until_sized(tok, delim)
            return ("call", FUNCTION_FENCES[delim.key][1], [node]) if delim.key in FUNCTION_FENCES else node
        if tok.key in FUNCTION_FENCES:
            self.take()
            closer, function = FUNCTION_FENCES[tok.key]
            return ("call", function, [self.until_closer(tok, closer, tok.key)])
        if tok.key == "\\langle":
            self.take()
            return self.inner_product(tok, self.argument_list(tok, lambda t: t.key == "\\rangle", False))
        if tok.key in OPEN:
            self.take()
            return self.until_closer(tok, OPEN[tok.key], tok.key)
        if name in ("lvert", "vert"):
            self.take()
            node = self.until_closer(tok, "\\rvert" if name == "lvert" else "\\vert", "\\" + name)
            return ("abs", node)
        if name in GREEK or name in VARIANTS:
            self.take()
            return self.named(VARIANTS.get(name, name), tok)
        if name in FUNCTION_MACROS:
            self.take()
            return self.named(FUNCTION_MACROS[name], tok)
        if name in NAME_MACROS:
            self.take()
            arg = self.take()
            text = arg.text.strip() if arg.kind == "arg" else ""
            if arg.kind == "letter" and name in ("mathrm", "mathbf", "mathsf"):
                text = arg.text  # \mathrm x: one letter without braces
            if not _PY_NAME.match(text) or text.startswith("__"):
                raise self.error(
                    tok,
                    f"\\{name}{{{text}}} is not a name; in math, \\{name}{{…}} names a declared "
                    "symbol or function or a built-in (words belong after \\quad)",
                )
            if text == "d":
                raise self.error(tok, "a lone differential \\mathrm{d} outside \\frac{d}{dx}")
            if text in NAME_SPELLINGS and not self.names.is_declared(text):
                text = NAME_SPELLINGS[text]
            return self.named(text, tok)
        if name in TYPEFACES:
            self.take()
            inner = self.inner_name(tok)
            if inner in ("E", "P") and name == "mathbb" and not self.names.is_declared(inner):
                if inner == "E":
                    raise self.error(tok, f"\\mathbb{{E}} (an expectation) needs its distribution: {_EXPECTATION_FORM}")
                raise self.error(
                    tok, "\\mathbb{P} (a probability) is not supported here; write the sum or the value it stands for"
                )
            return self.named(inner, tok)
        if name in DECORATIONS:
            self.take()
            inner = self.inner_name(tok)
            return self.named(self.decorated(inner, DECORATIONS[name], tok), tok)
        if name in NOT_READ:
            raise self.error(tok, f"\\{name} is not supported here; {NOT_READ[name]}")
        if name in ("infty",):
            raise self.error(
                tok, "\\infty is allowed only as the point of a limit or an integral's bound, \\lim_{x \\to \\infty}"
            )
        if name in RELATIONS:
            raise self.error(tok, f"the relation '\\{name}' cannot appear inside an expression")
        if name in DOTS:
            raise self.error(tok, f"'\\{name}' cannot be checked: write the expression out")
        if name == "partial":
            raise self.error(tok, "a lone \\partial outside \\frac{\\partial …}{\\partial x}")
        if name in ("begin", "end"):
            raise self.error(tok, "an environment inside an expression is not supported")
        raise self.error(tok, f"unknown macro '\\{name}'{_macro_hint(name)}")

    def root(self, radicand: ReaderNode, index: ReaderNode) -> ReaderNode:
        """``\\sqrt[n]{x}``: for an odd whole ``n`` and a real radicand the real root, ``sign(x)*abs(x)**(1/n)``
        (``\\sqrt[3]{-8}`` is -2); otherwise (an even or symbolic ``n``, a complex symbol) the principal root
        ``x**(1/n)``."""
        exponent = ("mul", [("*", ("num", "1")), ("/", index)])
        odd = index[0] == "num" and index[1].isdigit() and int(index[1]) % 2 == 1
        if not odd or self.mentions_complex(radicand):
            return ("pow", radicand, exponent)
        if index[1] == "1":
            return radicand
        return ("mul", [("*", ("call", "sign", [radicand])), ("*", ("pow", ("abs", radicand), exponent))])

    def mentions_complex(self, node: ReaderNode) -> bool:
        """Whether the reader's tree uses a symbol declared complex."""
        stack = [node]
        while stack:
            part = stack.pop()
            if isinstance(part, tuple):
                if len(part) >= 2 and part[0] in ("name", "elem") and part[1] in self.names.complex:
                    return True
                stack.extend(part)
            elif isinstance(part, list):
                stack.extend(part)
        return False

    def norm(self, opener: Token) -> ReaderNode:
        """``\\|v\\|``, ``\\lVert v \\rVert``, ``\\|v\\|_2``: the Euclidean norm of a vector."""
        if self.norm_depth:
            raise self.error(opener, "a norm inside a norm is ambiguous with \\|; write \\lVert … \\rVert")
        self.norm_depth += 1
        try:
            node = self.expr()
        finally:
            self.norm_depth -= 1
        tok = self.take()
        if not (tok.kind == "macro" and (tok.text in NORM_CLOSE or tok.text in NORM_OPEN)):
            raise self.error(opener, f"'\\{opener.text}' is never closed (write \\|v\\| for the norm)")
        return self.norm_scripts(opener, node)

    def norm_scripts(self, opener: Token, node: ReaderNode) -> ReaderNode:
        """The norm of ``node`` after its closing bar: ``_2`` is the Euclidean norm, any other an error."""
        nxt = self.peek()
        if nxt.kind == "char" and nxt.text == "_":
            self.take()
            sub = [t for t in self.group_tokens() if not _ignorable(t)]
            if not (len(sub) == 1 and sub[0].text == "2"):
                raise self.error(nxt, "only the Euclidean norm \\|v\\|_2 is read")
        return ("call", "norm", [node])

    def inner_product(self, tok: Token, args: list) -> ReaderNode:
        """``\\langle u, v \\rangle``: the inner product dot(u, v); one argument is a bracketed expression."""
        if len(args) == 2:
            return ("call", "dot", args)
        if len(args) == 1:
            return args[0]
        raise self.error(tok, "\\langle u, v \\rangle is the inner product of two vectors")

    def nabla(self, tok: Token) -> ReaderNode:
        """``\\nabla_{\\mathbf w} f``, ``\\nabla f(\\mathbf w)``, ``\\nabla^2_{w} f``: grad(f, w), hessian(f, w)."""
        variable: ReaderNode | None = None
        order = 1
        for _ in range(2):
            nxt = self.peek()
            if nxt.kind == "char" and nxt.text == "_" and variable is None:
                self.take()
                variable = self.sub(self.group_tokens()).whole()
            elif nxt.kind == "char" and nxt.text == "^" and order == 1:
                self.take()
                power = [t for t in self.group_tokens() if not _ignorable(t)]
                if not (len(power) == 1 and power[0].text == "2"):
                    raise self.error(tok, "\\nabla^2 is the Hessian; other powers of \\nabla are not read")
                order = 2
        target = self.nabla_target(tok)
        if isinstance(target, tuple) and target[0] == "at":
            _, target, argument = target
            variable = variable if variable is not None else argument
            if argument != variable:
                raise self.error(tok, "\\nabla_{w} f(v): the gradient is taken in w but f is written at v")
        if variable is None:
            raise self.error(tok, "\\nabla needs its variable: \\nabla_{\\mathbf{w}} f or \\nabla f(\\mathbf{w})")
        return ("call", "grad" if order == 1 else "hessian", [target, variable])

    def nabla_target(self, tok: Token) -> ReaderNode | tuple:
        """What \\nabla applies to: ``f(w)`` of a quantity that is no function (("at", f, w)), else one factor."""
        start = self.pos
        name = self.peek()
        if name.kind == "letter" or (name.kind == "macro" and (name.text in GREEK or name.text in TYPEFACES)):
            self.take()
            word = self.inner_name(name) if name.kind == "macro" and name.text in TYPEFACES else (
                VARIANTS.get(name.text, name.text)
            )
            opener = self.peek()
            py = self.python_name(word)
            if opener.kind == "char" and opener.text == "(" and py not in self.names.functions:
                self.take()
                args = self.argument_list(opener, lambda t: t.key == ")", False)
                if len(args) != 1:
                    raise self.error(opener, "\\nabla f(w) takes the one vector f is differentiated in")
                return ("at", self.atom(word, name, None) if word not in self.bound else ("name", word), args[0])
            self.pos = start
        if self.peek().kind == "end":
            raise self.error(tok, "\\nabla needs what it differentiates: \\nabla_{\\mathbf{w}} f")
        return self.factor()

    def overset(self, tok: Token) -> ReaderNode:
        """``\\overset{\\sim}{x}``: the decorated name of the same look as the mark (x_tilde), declared."""
        mark = [t for t in self.group_tokens() if not _ignorable(t)]
        key = mark[0].text if len(mark) == 1 else ""
        if key not in OVERSET_MARKS:
            shown = "".join(t.key for t in mark)
            raise self.error(
                tok,
                f"\\overset{{{shown}}}{{…}} is not read; the marks read are "
                + ", ".join(f"\\{m}" if m.isalpha() else m for m in OVERSET_MARKS)
                + " (\\overset{\\sim}{x} names the declared symbol x_tilde)",
            )
        inner = self.inner_name(tok)
        return self.named(self.decorated(inner, OVERSET_MARKS[key], tok), tok)

    def environment(self, at: int) -> str | None:
        """The name of the environment ``\\begin{name}`` at token ``at`` (None: not written so)."""
        if at + 1 >= len(self.tokens) or self.tokens[at + 1].text != "{":
            return None
        name = ""
        for t in self.tokens[at + 2 : at + 12]:
            if t.text == "}":
                return name
            name += t.text
        return None

    def matrix_literal(self, tok: Token, env: str) -> ReaderNode:
        """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (also bmatrix, matrix): Matrix([[a, b], [c, d]])."""
        rows: list[list[list[Token]]] = [[[]]]
        depth = 0
        while True:
            t = self.take()
            if t.kind == "end":
                raise self.error(tok, f"\\begin{{{env}}} is never closed")
            if t.kind == "macro" and t.text == "end" and depth == 0:
                closing = "".join(c.text for c in self.group_tokens())
                if closing != env:
                    raise self.error(t, f"\\begin{{{env}}} is closed by \\end{{{closing}}}")
                break
            if t.kind == "macro" and t.text in ("begin", "end"):
                depth += 1 if t.text == "begin" else -1
            elif depth == 0 and t.kind == "macro" and t.text == "\\":
                rows.append([[]])
                continue
            elif depth == 0 and t.kind == "char" and t.text == "&":
                rows[-1].append([])
                continue
            rows[-1][-1].append(t)
        rows = [row for row in rows if any(not _ignorable(t) for cell in row for t in cell)]
        if not rows or any(not any(not _ignorable(t) for t in cell) for row in rows for cell in row):
            raise self.error(tok, f"every entry of \\begin{{{env}}} must be written (an empty entry is not read)")
        return ("matrix", [[self.sub(cell).whole() for cell in row] for row in rows])

    def transposed(self, node: ReaderNode, power: list[Token]) -> ReaderNode | None:
        """``x^T``, ``x^\\top``, ``x^\\intercal``, ``x^{\\mathsf{T}}``: the transpose (None: a power)."""
        marks = [t for t in power if not _ignorable(t) and not (t.kind == "macro" and t.text in TYPEFACES)]
        marks = [t for t in marks if t.text not in ("{", "}")]
        upright = len(marks) == 2 and marks[0].kind == "macro" and marks[0].text in NAME_MACROS
        if upright and marks[1].text.strip() == "T":
            return ("call", "transpose", [node])  # ^{\text{T}}, ^{\mathrm{T}}: an upright T
        if len(marks) != 1:
            return None
        mark = marks[0]
        if (mark.kind == "macro" and mark.text in ("top", "intercal", "mathsf")) or (
            mark.kind == "letter" and mark.text == "T" and not self.names.is_declared("T") and "T" not in self.bound
        ):
            return ("call", "transpose", [node])
        return None

    def until_sized(self, opener: Token, delim: Token) -> ReaderNode:
        saved = self.abs_depth
        self.abs_depth = 0
        try:
            node = self.expr()
        finally:
            self.abs_depth = saved
        tok = self.peek()
        if tok.kind == "macro" and tok.text in SIZES:
            self.take()
            self.take_delimiter(tok)
            return node
        if tok.key == OPEN[delim.key]:
            self.take()
            return node
        raise self.error(opener, f"'\\{opener.text}{delim.key}' is never closed")

    def inner_name(self, tok: Token) -> str:
        """The name inside \\mathbf{…}, \\hat{…} (nested decorations and typefaces allowed)."""
        group = self.group_tokens()
        group = [t for t in group if not _ignorable(t)]
        # \hat{y_i} is the element i of y_hat: move the subscript outside
        if len(group) >= 3 and group[1].kind == "char" and group[1].text == "_":
            self.tokens[self.pos : self.pos] = group[1:]
            group = group[:1]
        if len(group) == 1 and group[0].kind == "letter":
            return group[0].text
        if len(group) == 1 and group[0].kind == "macro" and (group[0].text in GREEK or group[0].text in VARIANTS):
            return VARIANTS.get(group[0].text, group[0].text)
        if group and group[0].kind == "macro" and group[0].text in TYPEFACES | set(DECORATIONS) | NAME_MACROS:
            child = self.sub(group[1:])
            child_name = child.inner_name(group[0]) if group[0].text not in NAME_MACROS else group[2 - 1].text.strip()
            if child.pos < len(child.tokens):
                self.tokens[self.pos : self.pos] = child.tokens[child.pos :]
            if group[0].text in DECORATIONS:
                return f"{child_name}_{DECORATIONS[group[0].text]}"
            return child_name
        if group and all(t.kind == "letter" for t in group) and not any(t.space for t in group[1:]):
            return "".join(t.text for t in group)
        raise self.error(tok, f"\\{tok.text}{{…}} takes a single name, e.g. \\{tok.text}{{y}}")

    # -- fractions and derivatives -------------------------------------------------------------

    def fraction(self, tok: Token) -> ReaderNode:
        num = self.group_tokens()
        den = self.group_tokens()
        derivative = self.derivative(tok, num, den)
        if derivative is not None:
            return derivative
        top = self.sub(num).whole()
        bottom = self.sub(den).whole()
        return ("mul", [("*", top), ("/", bottom)])

    def differential(self, tokens: list[Token]) -> tuple[int, int] | None:
        """If ``tokens`` start with d, \\partial or \\mathrm{d}: (tokens it takes, order)."""
        tokens = [t for t in tokens]
        if not tokens:
            return None
        first = tokens[0]
        used = 0
        if first.kind == "macro" and first.text == "partial" or first.kind == "letter" and first.text == "d":
            used = 1
        elif (
            first.kind == "macro"
            and first.text in NAME_MACROS
            and len(tokens) > 1
            and tokens[1].kind == "arg"
            and tokens[1].text.strip() == "d"
        ):
            used = 2
        else:
            return None
        order = 1
        if len(tokens) > used + 1 and tokens[used].kind == "char" and tokens[used].text == "^":
            sub = tokens[used + 1]
            if sub.kind == "digit":
                order, used = int(sub.text), used + 2
            elif sub.kind == "char" and sub.text == "{":
                k = used + 2
                digits = ""
                while k < len(tokens) and tokens[k].kind == "digit":
                    digits += tokens[k].text
                    k += 1
                if digits and k < len(tokens) and tokens[k].kind == "char" and tokens[k].text == "}":
                    order, used = int(digits), k + 1
        return used, order

    def derivative(self, tok: Token, num: list[Token], den: list[Token]) -> ReaderNode | None:
        num = [t for t in num if not _ignorable(t)]
        den = [t for t in den if not _ignorable(t)]
        top = self.differential(num)
        bottom = self.differential(den)
        if top is None or bottom is None:
            return None
        if any(t.kind == "letter" and t.text == "d" for t in (num[:1] + den[:1])) and self.names.is_declared("d"):
            raise self.error(
                tok,
                "'d' is a declared symbol, so \\frac{d…}{d…} could be a quotient or a derivative; "
                "write the derivative with \\mathrm{d} or rename the symbol",
            )
        used_top, order_top = top
        used_bottom, order_bottom = bottom
        variable_tokens = den[used_bottom:]
        order = order_bottom
        if (
            variable_tokens
            and variable_tokens[-1:]
            and len(variable_tokens) >= 2
            and variable_tokens[-2].kind == "char"
            and variable_tokens[-2].text == "^"
        ):
            if variable_tokens[-1].kind != "digit":
                raise self.error(tok, "the order of a derivative must be a number")
            order = int(variable_tokens[-1].text)
            variable_tokens = variable_tokens[:-2]
        elif len(variable_tokens) >= 4 and variable_tokens[-4].kind == "char" and variable_tokens[-4].text == "^":
            pass
        if order != order_top:
            raise self.error(tok, f"the derivative's orders differ (d^{order_top} over dx^{order}); write them alike")
        if not 1 <= order <= MAX_DIFF_ORDER:
            raise self.error(tok, f"the order of a derivative must be from 1 to {MAX_DIFF_ORDER}")
        if any(
            (t.kind == "macro" and t.text == "partial") or (t.kind == "letter" and t.text == "d" and k == 0)
            for k, t in enumerate(variable_tokens)
        ):
            raise self.error(tok, "mixed derivatives (\\partial x \\partial y) are not supported; nest them")
        if not variable_tokens:
            raise self.error(tok, "the derivative names no variable")
        variable = self.sub(variable_tokens).whole()
        if variable[0] not in ("name", "elem") or (variable[0] == "name" and variable[1] in ("E", "pi")):
            raise self.error(tok, "a derivative is taken in a declared symbol or a vector element")
        target_tokens = num[used_top:]
        if not target_tokens:
            # operator form: \frac{d}{dx} F
            nxt = self.peek()
            if (
                nxt.kind == "char"
                and nxt.text in "(["
                or (nxt.kind == "macro" and (nxt.text == "left" or nxt.key in OPEN or nxt.text in SIZES))
            ):
                target = self.factor()
            else:
                factors = [("*", self.factor())]
                while True:
                    nxt = self.peek()
                    if nxt.kind == "macro" and nxt.text in ("cdot", "times"):
                        self.take()
                        factors.append(("*", self.factor()))
                    elif self.starts_factor(nxt):
                        factors.append(("*", self.factor()))
                    else:
                        break
                target = factors[0][1] if len(factors) == 1 else ("mul", factors)
            return self.derivative_node(target, variable, order)
        target = self.derivative_target(target_tokens, variable, tok)
        return self.derivative_node(target, variable, order)

    def derivative_node(self, target: ReaderNode, variable: ReaderNode, order: int) -> ReaderNode:
        """diff(f, x, order); in a vector with a size, ``\\frac{\\partial f}{\\partial \\mathbf{w}}`` is grad(f, w)
        (and the second derivative hessian(f, w))."""
        if variable[0] == "name" and self.names.symbols.get(variable[1]) == "matrix" and order <= 2:
            return ("call", "grad" if order == 1 else "hessian", [target, variable])
        return ("diff", target, variable, order)

    def derivative_target(self, tokens: list[Token], variable: ReaderNode, tok: Token) -> ReaderNode:
        # \frac{df}{dx} for a declared function of one argument: f(x), and \frac{df}{dx}(x)
        word = _single_name(tokens)
        if word is not None:
            py = self.python_name(word)
            if py in self.names.functions and len(self.names.functions[py]) != 1:
                return self.partial_at_arguments(word, py, variable, tok)
            if py in self.names.functions:
                node = ("call", py, [variable])
                nxt = self.peek()
                if nxt.kind == "char" and nxt.text == "(":
                    opener = self.take()
                    args = self.argument_list(opener, lambda t: t.key == ")", False)
                    if len(args) != 1 or args[0] != variable:
                        raise self.error(
                            opener,
                            "\\frac{df}{dx}(a) is evaluated only at the variable itself; write "
                            "\\frac{d}{dx} f(x) and substitute afterwards",
                        )
                return node
        return self.sub(tokens).whole()

    def partial_at_arguments(self, word: str, py: str, variable: ReaderNode, tok: Token) -> ReaderNode:
        """``\\frac{\\partial f}{\\partial x}(x, z)`` for a declared f of several arguments: diff(f(x, z), x).

        The arguments must be distinct plain names, one of them the variable.
        """
        arity = len(self.names.functions[py])
        shown = ", ".join(["x", "z", "w", "u"][:arity]) if arity <= 4 else "…"
        wanted = (
            f"\\frac{{\\partial {word}}}{{\\partial x}} for '{py}' of {arity} arguments is read with its "
            f"arguments written after it, one of them the variable: \\frac{{\\partial {word}}}{{\\partial x}}({shown})"
        )
        nxt = self.peek()
        if not (nxt.kind == "char" and nxt.text == "("):
            raise self.error(tok, wanted)
        opener = self.take()
        args = self.argument_list(opener, lambda t: t.key == ")", False)
        plain = [a for a in args if a[0] == "name"]
        if len(args) != arity or len(plain) != arity or len(set(plain)) != arity or variable not in args:
            raise self.error(opener, wanted)
        return ("call", py, args)

    # -- sums and products ---------------------------------------------------------------------

    def big_operator(self, tok: Token) -> ReaderNode:
        kind = "sum" if tok.text == "sum" else "prod"
        lower = upper = None
        for _ in range(2):
            nxt = self.peek()
            if nxt.kind == "char" and nxt.text == "_" and lower is None:
                self.take()
                lower = self.group_tokens()
            elif nxt.kind == "char" and nxt.text == "^" and upper is None:
                self.take()
                upper = self.group_tokens()
        if lower is None:
            raise self.error(
                tok, f"\\{tok.text} needs its index: \\{tok.text}_{{c=1}}^{{C}} or \\{tok.text}_c over a declared index"
            )
        lower, excluded = self.excluded_index(tok, lower, upper)
        ranges = self.operator_ranges(tok, lower, upper)
        saved = set(self.bound)
        self.bound |= {var for var, _, _ in ranges}
        try:
            body = self.term()
            if excluded is not None:  # \sum_{c \ne i}: the declared range without the term c = i
                skip = ("call", "KroneckerDelta", [("name", ranges[0][0]), excluded])
                body = ("mul", [("*", body), ("*", ("add", [("+", ("num", "1")), ("-", skip)]))])
        finally:
            self.bound = saved
        after = self.peek()
        past_plus = False
        if after.kind == "char" and after.text in "+-":
            used = {var for var, _, _ in ranges}
            rest = self.tokens[self.pos + 1 :]
            depth = 0
            for t in rest:
                if t.kind == "char" and t.text in "([{":
                    depth += 1
                elif t.kind == "char" and t.text in ")]}":
                    depth -= 1
                    if depth < 0:
                        break
                if t.kind == "letter" and t.text in used:
                    self.notes.append(
                        f"the \\{tok.text} at line {tok.line}, column {tok.col} is read as (Σ …) {after.text} …, "
                        f"and '{t.text}' after the '{after.text}' is outside it; write \\{tok.text}(… {after.text} …) "
                        "if it covers both"
                    )
                    past_plus = True
                    break
        node = body
        for var, lo, hi in reversed(ranges):
            node = (kind, node, var, lo, hi)
        if past_plus:
            self.flagged.append(node)
        return node

    def limit(self, tok: Token, lower: list[Token] | None = None) -> ReaderNode:
        """``\\lim_{h \\to a} body`` (also ``a^+``, ``a^-``, ``\\infty``): the limit of the term after it."""
        if lower is None:
            nxt = self.peek()
            if not (nxt.kind == "char" and nxt.text == "_"):
                raise self.error(tok, "\\lim needs its variable and point: \\lim_{h \\to 0}")
            self.take()
            lower = self.group_tokens()
        lower = [t for t in lower if not _ignorable(t)]
        arrow = next(
            (k for k, t in enumerate(lower) if t.kind == "macro" and t.text in ("to", "rightarrow", "longrightarrow")),
            None,
        )
        var = _single_name(lower[:arrow]) if arrow is not None else None
        if arrow is None or var is None or not _PY_NAME.match(var):
            raise self.error(tok, "\\lim is read as \\lim_{h \\to a}: one variable, \\to, and the point")
        point_tokens, direction = _limit_direction(lower[arrow + 1 :])
        if not point_tokens:
            raise self.error(tok, "\\lim_{h \\to …} needs the point the variable tends to")
        point = self.limit_point(point_tokens)
        saved = set(self.bound)
        self.bound.add(var)
        try:
            body = self.term()
        finally:
            self.bound = saved
        return ("limit", body, var, point, direction)

    def integral(self, tok: Token) -> tuple:
        """``\\int_a^b f \\, dx`` (``\\infty`` allowed as a bound), ``\\iint_a^b f \\, dx \\, dy`` (each over a..b),
        ``\\int f \\, dx`` (an antiderivative): the integrand runs up to its differentials."""
        lower = upper = None
        for _ in range(2):
            nxt = self.peek()
            if nxt.kind == "char" and nxt.text == "_" and lower is None:
                self.take()
                lower = [t for t in self.group_tokens() if not _ignorable(t)]
            elif nxt.kind == "char" and nxt.text == "^" and upper is None:
                self.take()
                upper = [t for t in self.group_tokens() if not _ignorable(t)]
        count = INTEGRALS[tok.text]
        over = _single_name(lower) if lower and not upper else None  # \int_x f dx: over the support of x
        if (not lower or not upper) and not over and (lower or upper or count > 1):
            raise self.error(
                tok,
                f"\\{tok.text} is read with both bounds: \\{tok.text}_{{a}}^{{b}} f \\, dx (a bound may be \\infty)",
            )
        start, at, names, end = self.differentials_after(tok, count)
        body_tokens = [t for t in self.tokens[start:at] if not _ignorable(t)]
        if over is not None and (over != names[0] or over not in self.names.supported):
            raise self.error(
                tok,
                f"\\int_{over} is read as the integral over the support of {over}: declare it "
                f"('{over}: real, support -oo..oo') and end the integrand with d{over}",
            )
        if not lower or not upper:  # over the support, or an antiderivative (Integral(f, x) decides)
            body = self.sub(body_tokens).whole() if body_tokens else ("num", "1")
            self.pos = end
            return ("integral", body, names[0], None, None)
        lo, hi = self.limit_point(lower), self.limit_point(upper)
        saved = set(self.bound)
        self.bound.update(names)
        try:
            body = self.sub(body_tokens).whole() if body_tokens else ("num", "1")
        finally:
            self.bound = saved
        self.pos = end
        node: tuple = body
        for name in names:  # \iint ... dx dy: dx innermost
            node = ("integral", node, name, lo, hi)
        return node

    def differentials_after(self, tok: Token, count: int) -> tuple[int, int, list[str], int]:
        """(start, where the first differential begins, the variables, just past the last) of an integral.

        The differentials of integrals inside the integrand come first and are theirs
        (``\\int_0^1 \\int_0^2 f \\, dx \\, dy``: dx is the inner one's).
        """
        depth = 0
        inner = 0
        k = self.pos
        while k < len(self.tokens):
            t = self.tokens[k]
            if t.kind == "end":
                break
            if _opens(t):
                depth += 1
            elif _closes(t):
                depth -= 1
                if depth < 0:
                    break
            if depth == 0 and t.kind == "macro" and t.text in INTEGRALS:
                inner += INTEGRALS[t.text]
            found = self.differential_at(k) if depth == 0 else None
            if found is None:
                k += 1
                continue
            if inner:
                inner -= 1
                k = found[1]
                continue
            names = [found[0]]
            end = found[1]
            while len(names) < count:
                while end < len(self.tokens) and _ignorable(self.tokens[end]):
                    end += 1
                more = self.differential_at(end)
                if more is None:
                    raise self.error(tok, f"\\{tok.text} needs {count} differentials after the integrand (dx \\, dy)")
                names.append(more[0])
                end = more[1]
            if len(set(names)) < len(names):
                raise self.error(tok, f"\\{tok.text}: a variable is integrated twice")
            return self.pos, k, names, end
        raise self.error(tok, "\\int_a^b needs its differential after the integrand: \\int_0^1 f(x) \\, dx")

    def differential_at(self, k: int) -> tuple[str, int] | None:
        """(the variable, just past it) when a differential ``dx`` or ``\\mathrm{d}x`` begins at token ``k``."""
        if k >= len(self.tokens):
            return None
        t = self.tokens[k]
        width = 1 if t.kind == "letter" and t.text == "d" else 0
        if t.kind == "macro" and t.text in ("mathrm", "operatorname") and k + 1 < len(self.tokens):
            width = 2 if self.tokens[k + 1].kind == "arg" and self.tokens[k + 1].text.strip() == "d" else 0
        if width and k + width < len(self.tokens):
            var = _single_name([self.tokens[k + width]])
            if var is not None and _PY_NAME.match(var):
                return var, k + width + 1
        return None

    def expectation_word(self) -> str | None:
        """``Expectation`` at ``\\mathbb{E}`` (``\\operatorname{E}``), ``Var`` at ``\\operatorname{Var}``, else None."""
        tok = self.peek()
        if tok.kind != "macro":
            return None
        if tok.text == "mathbb":
            inner = [self.peek(k).text for k in (1, 2, 3)]
            word = inner[1] if inner[0] == "{" and inner[2] == "}" else None
            width = 4
        elif tok.text in ("operatorname", "mathrm") and self.peek(1).kind == "arg":
            word, width = self.peek(1).text.strip(), 2
        else:
            return None
        meaning = {"E": "Expectation", "V": "Var", "Var": "Var"}.get(word or "")
        after = self.peek(width)
        if meaning is None or not (after.kind == "char" and after.text == "_"):
            return None
        for _ in range(width):
            self.take()
        return meaning

    def expectation(self, tok: Token, meaning: str) -> tuple:
        """``\\mathbb{E}_{x \\sim D}[f]`` with D one of the declared distributions."""
        self.take()  # the '_'
        lower = [t for t in self.group_tokens() if not _ignorable(t)]
        at = next((k for k, t in enumerate(lower) if t.kind == "macro" and t.text == "sim"), None)
        var = _single_name(lower[:at]) if at is not None else _density_variable(lower)
        if var is None or not _PY_NAME.match(var):
            raise self.error(
                tok,
                f"an expectation is read as {_EXPECTATION_FORM}, D e.g. \\mathcal{{N}}(\\mu, \\sigma^2) or a "
                "declared density p, or as \\mathbb{E}_{q(z \\mid x)}[f] (the variable first)",
            )
        law, params = self.law_or_density(tok, lower[at + 1 :] if at is not None else lower, var)
        opener = self.peek()
        saved = set(self.bound)
        self.bound.add(var)
        try:
            if opener.kind == "macro" and opener.text == "left":
                self.take()
                delim = self.take_delimiter(opener)
                if delim.key != "[":
                    raise self.error(delim, f"the quantity of an expectation goes in brackets: {_EXPECTATION_FORM}")
                body = self.until_closer(opener, "\\right", "\\left[", right=True)
            elif opener.kind == "char" and opener.text == "[":
                self.take()
                body = self.until_closer(opener, "]", "[")
            else:
                raise self.error(tok, f"the quantity of an expectation goes in brackets: {_EXPECTATION_FORM}")
        finally:
            self.bound = saved
        return ("expect", meaning, body, var, law, params)

    def law_or_density(self, tok: Token, tokens: list[Token], var: str | None) -> tuple[str, list]:
        """A distribution (its name and parameters) or a density ("" and its node) after ``\\sim``.

        A density is a declared function named bare (``p``, ``p_r``, ``q_\\phi``) or an expression in
        the variable ``var`` (``q(z \\mid x)``).
        """
        if _law_head(tokens) is not None:
            return self.distribution(tok, tokens)
        bare = self.bare_function(tokens)
        if bare is not None:
            return "", [("name", bare)]
        saved = set(self.bound)
        if var is not None:
            self.bound.add(var)
        try:
            return "", [self.sub(tokens).whole()]
        finally:
            self.bound = saved

    def bare_function(self, tokens: list[Token]) -> str | None:
        """The declared function that ``tokens`` name without arguments (``p``, ``p_r``, ``q_\\phi``), else None."""
        kept = [t for t in tokens if not _ignorable(t)]
        word = _single_name(kept[:1]) if kept else None
        if word is None:
            return None
        if len(kept) == 1:
            name = word
        elif len(kept) >= 3 and kept[1].kind == "char" and kept[1].text == "_":
            subscript = _single_name(kept[2:]) or _plain_subscript(
                [t for t in kept[2:] if not (t.kind == "char" and t.text in "{}")]
            )
            if subscript is None:
                return None
            name = f"{word}_{subscript}"
        else:
            return None
        py = self.python_name(name)
        return py if py in self.names.functions else None

    def divergence_width(self) -> int:
        """How many tokens spell ``D_{KL}``, ``D_\\mathrm{KL}``, ``\\mathrm{KL}``, ``KL`` before ``(`` (0: none)."""
        if any(self.names.is_declared(name) for name in ("KL", "D_KL")):
            return 0
        first, second = self.peek(), self.peek(1)
        width = 0
        if first.kind == "letter" and first.text == "D" and second.kind == "char" and second.text == "_":
            if self.peek(2).kind == "char" and self.peek(2).text == "{":
                inner = self.kl_word(3)
                closed = self.peek(3 + inner)
                width = 4 + inner if inner and closed.kind == "char" and closed.text == "}" else 0
            else:
                inner = self.kl_word(2)
                width = 2 + inner if inner else 0
        elif first.kind == "macro" or not (self.names.is_declared("K") or self.names.is_declared("L")):
            width = self.kl_word(0)
        after = self.peek(width)
        opens = (after.kind == "char" and after.text == "(") or (after.kind == "macro" and after.text == "left")
        return width if width and opens else 0

    def kl_word(self, k: int) -> int:
        """The tokens of the word ``KL`` at offset ``k`` (letters, or \\mathrm{KL}), or 0."""
        one, two = self.peek(k), self.peek(k + 1)
        if one.kind == "letter" and one.text == "K" and two.kind == "letter" and two.text == "L" and not two.space:
            return 2
        if one.kind == "macro" and one.text in _WORD_MACROS and two.kind == "arg" and two.text.strip() == "KL":
            return 2
        return 0

    def divergence(self, tok: Token, width: int) -> ReaderNode:
        """``D_{KL}(P \\| Q)``: the Kullback-Leibler divergence of two distributions or densities."""
        for _ in range(width):
            self.take()
        inner = self.parenthesized(tok)
        parts = _split_divergence(inner)
        if len(parts) == 1:  # KL(p, q), D_{KL}(P,Q): a comma between the two
            parts = _split_commas(inner)
        if len(parts) != 2 or not all(parts):
            raise self.error(
                tok, f"a divergence is read as {_KL_FORM}: two densities or distributions, split by \\| (or a comma)"
            )
        variable = _density_variable(parts[0])
        return ("call", "KL", [self.kl_argument(tok, part, variable) for part in parts])

    def kl_argument(self, tok: Token, tokens: list[Token], var: str | None) -> ReaderNode:
        law, params = self.law_or_density(tok, tokens, var)
        return ("call", law, params) if law else params[0]

    def parenthesized(self, tok: Token) -> list[Token]:
        """The tokens inside ``( … )`` or ``\\left( … \\right)`` that come next, taken."""
        opener = self.take()
        if opener.kind == "macro" and self.take_delimiter(opener).key != "(":
            raise self.error(opener, f"{_KL_FORM} takes its densities in parentheses")
        start, depth = self.pos, 0
        for k in range(start, len(self.tokens)):
            t = self.tokens[k]
            ends = (t.kind == "char" and t.text == ")") or (t.kind == "macro" and t.text == "right")
            if depth == 0 and ends:
                self.pos = k + 1
                if t.kind == "macro":
                    self.take_delimiter(t)
                return self.tokens[start:k]
            depth += 1 if _opens(t) else -1 if _closes(t) else 0
        raise self.error(tok, f"'(' of {_KL_FORM} is never closed")

    def distribution(self, tok: Token, tokens: list[Token]) -> tuple[str, list]:
        """A distribution after ``\\sim``: its name and parameter nodes (\\mathcal{N} takes the variance)."""
        head: str | None = None
        rest = tokens
        if len(tokens) >= 4 and tokens[0].kind == "macro" and tokens[0].text == "mathcal" and tokens[1].text == "{":
            head, rest = tokens[2].text, tokens[4:]
        elif len(tokens) >= 2 and tokens[0].kind == "macro" and tokens[1].kind == "arg":
            head, rest = tokens[1].text.strip(), tokens[2:]
        law = _LAWS.get(head or "")
        if len(rest) >= 4 and _is_macro(rest[0], "left") and _is_macro(rest[-2], "right"):
            rest = [*rest[1:-2], rest[-1]]  # \mathcal{U}\left(0, 2\right): the sized brackets
        if law is None or not rest or rest[0].text != "(" or rest[-1].text != ")":
            known = ", ".join(sorted(_LAWS))
            raise self.error(tok, f"unknown distribution after \\sim; write one of {known} with its parameters in ( )")
        parts = _split_commas(rest[1:-1])
        params = [self.law_weights(part) if law == "Categorical" and k == 0 else self.sub(part).whole()
                  for k, part in enumerate(parts)]
        if head == "N" and len(params) == 2:  # N(mu, sigma^2): the variance
            params[1] = ("call", "sqrt", [params[1]])
        return law, params

    def law_weights(self, tokens: list[Token]) -> ReaderNode:
        """The weights of ``\\operatorname{Categorical}(p, C)``: the declared vector ``p`` itself, by its name."""
        word = _single_name(tokens)
        if word is not None and self.names.symbols.get(self.python_name(word)) == "vector":
            return ("name", self.python_name(word))
        return self.sub(tokens).whole()

    def limit_point(self, tokens: list[Token]) -> ReaderNode:
        sign = ""
        if tokens[0].kind == "char" and tokens[0].text in "+-":
            sign, tokens = tokens[0].text, tokens[1:]
        if len(tokens) == 1 and tokens[0].kind == "macro" and tokens[0].text == "infty":
            return ("neg", ("name", "oo")) if sign == "-" else ("name", "oo")
        point = self.sub(tokens).whole()
        return ("neg", point) if sign == "-" else point

    def excluded_index(
        self, tok: Token, lower: list[Token], upper: list[Token] | None
    ) -> tuple[list[Token], object]:
        """``\\sum_{c \\ne i}``: the index alone (its declared range) and the node of the value left out."""
        kept = [t for t in lower if not _ignorable(t)]
        at = next((k for k, t in enumerate(kept) if t.kind == "macro" and t.text in ("ne", "neq")), None)
        if at is None:
            return lower, None
        var = _single_name(kept[:at])
        if tok.text != "sum" or upper is not None or var is None or self.names.symbols.get(var) != "index":
            raise self.error(
                tok,
                f"\\{tok.text}_{{… \\ne …}} is read as \\sum_{{c \\ne i}}: a declared index without one of its "
                "values (declare it, e.g. 'c: index 1..C')",
            )
        return kept[:at], self.sub(kept[at + 1 :]).whole()

    def declared_range_to(self, tok: Token, lower: list[Token], upper: list[Token]) -> list:
        """``\\sum_j^C``: a declared index from the low end of its range up to the bound written."""
        var = _single_name(lower)
        if var is None or self.names.symbols.get(var) != "index":
            raise self.error(
                tok,
                f"\\{tok.text} with an upper bound needs a lower one (_{{c=1}}), or a declared index (_c^C)",
            )
        lo = self.names.ranges[var][0]
        saved = set(self.bound)
        hi = self.sub(upper).whole()
        self.bound = saved
        return [(var, _bound_node(lo), hi)]

    def operator_ranges(self, tok: Token, lower: list[Token], upper: list[Token] | None) -> list:
        lower = [t for t in lower if not _ignorable(t)]
        eq = next((k for k, t in enumerate(lower) if t.kind == "char" and t.text == "="), None)
        if eq is not None:
            var = _single_name(lower[:eq])
            if var is None or not _PY_NAME.match(var):
                raise self.error(tok, f"the index of \\{tok.text} must be a single name")
            if upper is None:
                raise self.error(tok, f"\\{tok.text}_{{{var}=…}} needs an upper bound: ^{{…}}")
            saved = set(self.bound)
            lo = self.sub(lower[eq + 1 :]).whole()
            hi = self.sub(upper).whole()
            self.bound = saved
            return [(var, lo, hi)]
        if upper is not None and not [t for t in upper if not _ignorable(t)]:
            upper = None  # \sum_k^{ }: an empty upper bound
        if upper is not None:
            return self.declared_range_to(tok, lower, upper)
        out = []
        for part in _split_commas(lower):
            var = _single_name(part)
            if var is None:
                raise self.error(
                    tok,
                    f"\\{tok.text}_{{{_tokens_text(part)}}} is not supported; write the range "
                    f"as \\{tok.text}_{{c=1}}^{{C}} or over a declared index",
                )
            if self.names.symbols.get(var) != "index":
                raise self.error(
                    tok,
                    f"\\{tok.text}_{var} without bounds needs '{var}' declared as an index (e.g. '{var}: index 1..C')",
                )
            low, high = self.names.ranges[var]
            out.append((var, _bound_node(low), _bound_node(high)))
        return out


def write_exponent(node: ReaderNode) -> str:
    """An exponent of the reader's tree in short text for messages (``-1``, ``-2``, else ``…``)."""
    if node[0] == "num":
        return node[1]
    if node[0] == "neg" and node[1][0] == "num":
        return "-" + node[1][1]
    return "…"


def _limit_direction(tokens: list[Token]) -> tuple[list[Token], str | None]:
    """The point's tokens and the side written after it (``0^+``, ``0^{-}``, ``0+``), if any."""
    for k in range(len(tokens) - 1, 0, -1):
        tok = tokens[k]
        if tok.kind == "char" and tok.text == "^":
            side = [t.text for t in tokens[k + 1 :] if not (t.kind == "char" and t.text in "{}")]
            if side in (["+"], ["-"]):
                return tokens[:k], side[0]
            return tokens, None
    last = tokens[-1] if tokens else None
    if last is not None and last.kind == "char" and last.text in "+-" and len(tokens) > 1:
        return tokens[:-1], last.text
    return tokens, None


def _substitute(node: Any, old: object, new: ReaderNode, equal: bool = False) -> Any:
    """``node`` with the subtree ``old`` (by identity, or every subtree equal to it) replaced by ``new``."""
    if node is old or (equal and node == old):
        return new
    if isinstance(node, tuple):
        return tuple(_substitute(part, old, new, equal) for part in node)
    if isinstance(node, list):
        return [_substitute(part, old, new, equal) for part in node]
    return node


def _bound_node(text: str) -> ReaderNode:
    if text.lstrip("-").isdigit():
        return ("neg", ("num", text[1:])) if text.startswith("-") else ("num", text)
    return ("name", text)


def _unary_builtins() -> frozenset[str]:
    return frozenset(b.name for b in unary_builtins()) | {"KroneckerDelta"}


# Spacing that separates the parts of a row; between two factors it never makes a product.
WIDE_SPACING = frozenset({"quad", "qquad", "hspace", "hfill"})
# Thin spacing, read as the juxtaposition without it (``2 \\, x`` is ``2x``).
THIN_SPACING = frozenset({",", ";", ":", "!", " ", "enspace", "thinspace", "medspace", "thickspace", "negthinspace"})
_WIDE_GAP = (
    "wide spacing (\\quad, \\qquad, \\hspace{…}) between two factors separates them, it never multiplies: "
    "write \\cdot for a product, or put the parts in steps of their own"
)
_DIGIT_GAP = "spacing between two digits: write the number without it (1000), or \\cdot for a product (1 \\cdot 000)"


def with_gaps(tokens: list[Token]) -> list[Token]:
    """The tokens without spacing and layout commands; each kept token records the spacing before it.

    ``\\hspace{…}`` (and ``\\hspace*{…}``) goes with its argument.
    """
    out: list[Token] = []
    gap = ""
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind == "macro" and tok.text == "hspace":
            k += 1
            if k < len(tokens) and tokens[k].text == "*":
                k += 1
            k = _after_group(tokens, k)
            gap = "wide"
            continue
        if _ignorable(tok):
            if tok.kind == "macro" and tok.text in WIDE_SPACING:
                gap = "wide"
            elif gap != "wide" and ((tok.kind == "macro" and tok.text in THIN_SPACING) or tok.text == "~"):
                gap = "thin"
            k += 1
            continue
        out.append(replace(tok, gap=gap) if gap != tok.gap else tok)
        gap = ""
        k += 1
    return out


def _after_group(tokens: list[Token], k: int) -> int:
    """The index after the braced group that starts at ``k`` (``k`` itself when none starts there)."""
    if k >= len(tokens) or tokens[k].text != "{":
        return k
    depth = 0
    for j in range(k, len(tokens)):
        if tokens[j].kind == "char" and tokens[j].text == "{":
            depth += 1
        elif tokens[j].kind == "char" and tokens[j].text == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(tokens)


def _is_right(tok: Token) -> bool:
    return tok.kind == "macro" and tok.text == "right"


def _ignorable(tok: Token) -> bool:
    return (tok.kind == "macro" and tok.text in SPACING) or (tok.kind == "char" and tok.text == "~")


def _is_prime_group(tokens: list[Token]) -> bool:
    return bool(tokens) and all(
        (t.kind == "char" and t.text == "'") or (t.kind == "macro" and t.text == "prime") for t in tokens
    )


def _prime_count(tokens: list[Token]) -> int:
    return len(tokens)


def _opens(tok: Token) -> bool:
    """Whether ``tok`` opens a group (a bracket, \\{, \\left): the depth of a token scan."""
    if tok.kind == "char":
        return tok.text in "([{"
    return tok.kind == "macro" and (tok.text == "left" or tok.key in OPEN)


def _closes(tok: Token) -> bool:
    if tok.kind == "char":
        return tok.text in ")]}"
    return tok.kind == "macro" and (tok.text == "right" or tok.key in CLOSE)


def _split_commas(tokens: list[Token], given: bool = False) -> list[list[Token]]:
    """The comma-separated parts of ``tokens``; ``given``: ``\\mid`` separates too (``p(x \\mid z)`` is p(x, z))."""
    parts: list[list[Token]] = [[]]
    depth = 0
    bar = given and _lone_bar(tokens)  # p(x | z): one bar is the conditioning bar, two would be |x|
    delimiters = _sized_delimiters(tokens)
    for position, t in enumerate(tokens):
        if position in delimiters:
            parts[-1].append(t)  # the | of \left| … \right| belongs to its \left or \right
            continue
        if _opens(t):
            depth += 1
        elif _closes(t):
            depth -= 1
        given_here = given and ((t.kind == "macro" and t.text == "mid") or (bar and t.kind == "char" and t.text == "|"))
        if depth == 0 and ((t.kind == "char" and t.text == ",") or given_here):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def _lone_bar(tokens: list[Token]) -> bool:
    """Whether ``tokens`` hold exactly one ``|``, outside any bracket."""
    depth, bars = 0, 0
    delimiters = _sized_delimiters(tokens)
    for position, t in enumerate(tokens):
        if position in delimiters:
            continue
        if _opens(t):
            depth += 1
        elif _closes(t):
            depth -= 1
        elif depth == 0 and t.kind == "char" and t.text == "|":
            bars += 1
    return bars == 1


def _is_macro(tok: Token, name: str) -> bool:
    return tok.kind == "macro" and tok.text == name


def _sized_delimiters(tokens: list[Token]) -> set[int]:
    """Positions of the delimiters that follow a ``\\left`` or ``\right`` (part of it, not a token of their own)."""
    return {
        position + 1
        for position, t in enumerate(tokens[:-1])
        if t.kind == "macro" and t.text in ("left", "right")
    }


def _law_head(tokens: list[Token]) -> str | None:
    """The distribution ``tokens`` begin with (``\\mathcal{N}``, ``\\operatorname{Bernoulli}``), or None."""
    if len(tokens) >= 4 and tokens[0].kind == "macro" and tokens[0].text == "mathcal" and tokens[1].text == "{":
        return _LAWS.get(tokens[2].text)
    if len(tokens) >= 2 and tokens[0].kind == "macro" and tokens[1].kind == "arg":
        return _LAWS.get(tokens[1].text.strip())
    return None


def _density_variable(tokens: list[Token]) -> str | None:
    """The first argument of a density written called, ``q_\\phi(z \\mid x)`` -> ``z`` (None if not a name)."""
    kept = [t for t in tokens if not _ignorable(t)]
    at = next((k for k, t in enumerate(kept) if t.kind == "char" and t.text == "("), None)
    if at is None:
        return None
    end = next(
        (k for k in range(at + 1, len(kept)) if kept[k].text in (",", "|", "mid", ")") and kept[k].kind != "letter"),
        None,
    )
    return _single_name(kept[at + 1 : end]) if end is not None else None


def _split_divergence(tokens: list[Token]) -> list[list[Token]]:
    """The two sides of ``p \\| q`` (also ``p || q``, ``p \\Vert q``), split at the top level."""
    parts: list[list[Token]] = [[]]
    depth = 0
    k = 0
    while k < len(tokens):
        t = tokens[k]
        bar = t.kind == "macro" and t.text in ("|", "Vert", "parallel")
        double = t.kind == "char" and t.text == "|" and k + 1 < len(tokens) and tokens[k + 1].text == "|"
        if depth == 0 and (bar or double):
            parts.append([])
            k += 2 if double else 1
            continue
        depth += 1 if _opens(t) else -1 if _closes(t) else 0
        parts[-1].append(t)
        k += 1
    return parts


def _single_name(tokens: list[Token]) -> str | None:
    tokens = [t for t in tokens if not _ignorable(t)]
    while len(tokens) >= 3 and tokens[0].kind == "char" and tokens[0].text == "{" and tokens[-1].text == "}":
        tokens = tokens[1:-1]
    if len(tokens) == 1 and tokens[0].kind == "letter":
        return tokens[0].text
    if len(tokens) == 1 and tokens[0].kind == "macro" and (tokens[0].text in GREEK or tokens[0].text in VARIANTS):
        return VARIANTS.get(tokens[0].text, tokens[0].text)
    if len(tokens) == 2 and tokens[0].kind == "macro" and tokens[0].text in NAME_MACROS and tokens[1].kind == "arg":
        text = tokens[1].text.strip()
        return text if _PY_NAME.match(text) else None
    return None


def _looks_like_iteration(power: list[Token], names: Names) -> bool:
    """A superscript that may count iterations: ``(k)``, or an index-like ``k``, ``k-1``, ``t+1``."""
    kept = [t for t in power if not _ignorable(t)]
    if len(kept) >= 3 and kept[0].key == "(" and kept[-1].key == ")":
        return True
    letters = [t.text for t in kept if t.kind == "letter"]
    return len(letters) == 1 and (letters[0] in ("k", "t") or names.symbols.get(letters[0]) == "index") and all(
        t.kind in ("letter", "digit") or t.key in ("+", "-") for t in kept
    )


def _varying_index(term: ReaderNode, last: ReaderNode) -> tuple[int, object] | None:
    """Where ``term`` is ``last`` with one subtree of ``last`` replaced by a whole number: (number, subtree)."""
    found: list[tuple[int, object]] = []

    def walk(a: object, b: object) -> bool:
        if a == b:
            return True
        if isinstance(a, tuple) and a[:1] == ("num",) and a[1].isdigit() and isinstance(b, tuple):
            found.append((int(a[1]), b))
            return True
        if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and a[:1] == b[:1]:
            return all(walk(x, y) for x, y in zip(a, b))
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return all(walk(x, y) for x, y in zip(a, b))
        return False

    if not walk(term, last) or not found or len({(v, repr(b)) for v, b in found}) != 1:
        return None
    return found[0]


def _mentions(node: object, name: str) -> bool:
    if node == ("name", name):
        return True
    if isinstance(node, (tuple, list)):
        return any(_mentions(part, name) for part in node)
    return False


def _upright_subscript(tokens: list[Token]) -> list[Token]:
    """``x_\\mathrm{A}`` and ``x_{\\mathrm{A}}`` name ``x_A``: the upright label as plain letters."""
    kept = [t for t in tokens if not _ignorable(t)]
    if (
        len(kept) == 2
        and kept[0].kind == "macro"
        and kept[0].text in NAME_MACROS
        and kept[1].kind == "arg"
        and re.fullmatch(r"[A-Za-z0-9]+", kept[1].text.strip())
    ):
        label = kept[1].text.strip()
        return [replace(kept[1], kind="digit" if ch.isdigit() else "letter", text=ch) for ch in label]
    return tokens


def _greek_subscript(tokens: list[Token]) -> str | None:
    """``\\phi`` or ``{\\phi}`` as a subscript: the letter's name (``q_\\phi`` names ``q_phi``), else None."""
    kept = [t for t in tokens if not _ignorable(t)]
    if len(kept) == 3 and kept[0].text == "{" and kept[2].text == "}" and kept[0].kind == kept[2].kind == "char":
        kept = kept[1:2]
    if len(kept) == 1 and kept[0].kind == "macro" and (kept[0].text in GREEK or kept[0].text in VARIANTS):
        return VARIANTS.get(kept[0].text, kept[0].text)
    return None


def _plain_subscript(tokens: list[Token]) -> str | None:
    greek = _greek_subscript(tokens)
    if greek is not None:
        return greek
    text = "".join(t.text for t in tokens if t.kind in ("letter", "digit"))
    if all(t.kind in ("letter", "digit") for t in tokens) and text:
        return text
    return None


def _written(tokens: list[Token]) -> str:
    """Tokens as LaTeX to show in a message: spaced where the author spaced them, and after a macro name."""
    out = ""
    for tok in tokens:
        text = tok.key if tok.kind != "arg" else "{" + tok.text + "}"
        if out and (tok.space or (re.search(r"\\[A-Za-z]+\Z", out) and text[:1].isalpha())):
            out += " "
        out += text
    return out


def _tokens_text(tokens: list[Token]) -> str:
    return "".join(t.key if t.kind != "arg" else "{" + t.text + "}" for t in tokens)


def _names_in(text: str) -> set[str]:
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _shown_closer(closer: str, right: bool) -> str:
    return "\\right)" if right else f"'{closer}'"


def _stray_hint(tok: Token) -> str:
    if tok.kind == "char" and tok.text in ")]}":
        return " (a closing bracket without its opening one)"
    if tok.kind == "char" and tok.text in ",.;":
        return " (punctuation inside an expression)"
    if tok.kind == "char" and tok.text == "&":
        return " (an alignment '&' inside a group)"
    return ""


def _macro_hint(name: str) -> str:
    import difflib

    known = sorted(
        set(GREEK)
        | set(FUNCTION_MACROS)
        | TYPEFACES
        | NAME_MACROS
        | set(DECORATIONS)
        | {"frac", "dfrac", "tfrac", "sqrt", "sum", "prod", "cdot", "times", "left", "right"}
    )
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    hint = f" (did you mean '\\{close[0]}'?)" if close else ""
    return hint + "; only the math macros listed in docs/format.md are read"
