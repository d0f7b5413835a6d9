"""Expression text -> layout boxes, in the author's form.

The text is read by Python's ``ast`` (``^`` as power), exactly as the checker
reads it, and never evaluated: the tree is walked and typeset as written, with
no simplification. Parentheses are placed by precedence, so the author's
grouping survives (``-(x*y)`` stays -(xy), ``a + (b + c)`` keeps its
parentheses) and redundant ones vanish (a numerator needs none).

Anything the walker does not know becomes the text as written, in monospace:
rendering never fails on a file the checker refuses.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from derivcheck.bounds import MAX_RENDER_DEPTH as MAX_DEPTH, MAX_RENDER_TEXT as MAX_TEXT
from derivcheck.builtins import typeset_names
from derivcheck.render.boxes import (
    ACCENTS,
    Accent,
    BigOp,
    Box,
    Fenced,
    Frac,
    Grid,
    Ident,
    Num,
    Op,
    Row,
    Scripts,
    Sqrt,
    Words,
    row,
)

GREEK = {
    name: (f"\\{name}", char)
    for name, char in {
        "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "zeta": "ζ", "eta": "η",
        "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
        "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "chi": "χ", "psi": "ψ",
        "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
        "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    }.items()
}
GREEK["epsilon"] = ("\\varepsilon", "ε")
GREEK["phi"] = ("\\varphi", "φ")
GREEK["lam"] = ("\\lambda", "λ")  # 'lambda' is a Python keyword, so authors write lam

# Built-ins typeset as a named function (\sin, \operatorname{erf}), from the registry.
FUNCTION_NAMES = typeset_names()
# Built-ins written with brackets rather than a name: floor(x) is ⌊x⌋.
BRACKETS = {"floor": ("⌊", "⌋"), "ceiling": ("⌈", "⌉")}

RELATIONS = {
    ast.Eq: ("=", "="),
    ast.NotEq: ("\\neq", "≠"),
    ast.Lt: ("<", "<"),
    ast.LtE: ("\\leq", "≤"),
    ast.Gt: (">", ">"),
    ast.GtE: ("\\geq", "≥"),
    ast.In: ("\\in", "∈"),
    ast.NotIn: ("\\notin", "∉"),
}

# Precedence of what a piece looks like, loosest first.
RELATION, SUM, BIGOP, PRODUCT, NEGATION, FRACTION, POWER, ATOM = range(8)

MINUS = Op("-", "\u2212")
NEGATE = Op("-", "\u2212", "prefix")
PLUS = Op("+", "+")
TIMES_DOT = Op("\\cdot", "\u00b7")
JUXTAPOSE = Op("", "\u2062", "invisible")
APPLY = Op("", "\u2061", "apply")
COMMA = Op(",", ",", "sep")
TOP = Ident("\\top", "\u22a4")  # the transpose mark
_LINEAR_ALGEBRA = {"transpose": 1, "norm": 1, "dot": 2, "trace": 1, "eye": 1, "diag": 1, "grad": 2, "hessian": 2}
NABLA = Ident("\\nabla", "\u2207")  # gradients and Hessians

_DIGITS_SUFFIX = re.compile(r"([A-Za-z]+?)(\d+)\Z")


class Unrenderable(Exception):
    """The walker met syntax it does not typeset."""


@dataclass(frozen=True)
class Piece:
    """A typeset subexpression and what its edges look like.

    ``lead`` and ``trail`` say what the piece starts and ends with (``minus``,
    ``digit``, ``word``, ``frac``, ``other``): they decide where a product needs a
    visible dot and where a term needs parentheses.
    """

    box: Box
    prec: int
    lead: str = "other"
    trail: str = "other"


def layout_expression(text: str, tree: ast.expr | None = None) -> Box:
    """Return the boxes of an expression as written; unknown syntax becomes the text in monospace.

    ``tree``: the expression's tree when it was read from another notation (a LaTeX step's
    ``Text.tree``); it is typeset as it is, and ``text`` is then only the fallback.
    """
    source = text.replace("^", "**").strip()
    if len(source) > MAX_TEXT:
        return Words(_one_line(text)[:200] + "…", monospace=True)
    try:
        node = tree if tree is not None else ast.parse(source, mode="eval").body
        return _Walker(source).expr(node).box
    except (SyntaxError, ValueError, Unrenderable, RecursionError, MemoryError):
        return Words(_one_line(text), monospace=True)


def layout_condition(text: str, tree: ast.expr | None = None) -> Box:
    """Return the boxes of a condition (``0 <= y <= 1``, ``y in {0, 1}``, ``j != i``); ``tree`` as for
    ``layout_expression``."""
    source = text.replace("^", "**").strip()
    if len(source) > MAX_TEXT:
        return Words(_one_line(text)[:200] + "…", monospace=True)
    try:
        node = tree if tree is not None else ast.parse(source, mode="eval").body
        walker = _Walker(source)
        if isinstance(node, ast.Compare):
            return walker.compare(node).box
        return walker.expr(node).box
    except (SyntaxError, ValueError, Unrenderable, RecursionError, MemoryError):
        return Words(_one_line(text), monospace=True)


def layout_definition(name: str, params: tuple[str, ...], body: str | None) -> Box:
    """Return ``name(params) = body`` for a declared function (just the head when it has no body)."""
    head = row(layout_name(name), APPLY, _parens(_join([layout_name(p) for p in params])))
    if body is None:
        return head
    return row(head, Op("=", "="), layout_expression(body))


def layout_name(name: str) -> Box:
    """Return the box of a name: Greek letters, ``p_t`` as p with subscript t, ``y_hat`` as ŷ."""
    return _name(name)[0]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _name(name: str) -> tuple[Box, bool]:
    """The box of a name and whether it is shown as an upright word."""
    parts = name.split("_")
    base, rest = parts[0], [p for p in parts[1:] if p]
    if not base:
        return Ident(name.replace("_", "\\_"), name, upright=True), True
    accent = None
    if rest and rest[-1] in ACCENTS:
        accent = rest.pop()
    elif len(base) > 3 and base.endswith(tuple(ACCENTS)):
        for suffix in ACCENTS:
            stem = base[: -len(suffix)]
            if base.endswith(suffix) and _is_letter(stem):
                base, accent = stem, suffix
                break
    subs: list[Box] = []
    match = _DIGITS_SUFFIX.match(base)
    if match and _is_letter(match.group(1)):
        base = match.group(1)
        subs.append(Num(match.group(2)))
    box, word = _letter(base)
    if accent is not None:
        box, word = Accent(accent, box), False
    for part in rest:
        subs.append(Num(part) if part.isdigit() else _letter(part)[0])
    if subs:
        return Scripts(box, sub=_join(subs)), word
    return box, word


def _is_letter(text: str) -> bool:
    return len(text) == 1 and text.isalpha() or text in GREEK


def _letter(text: str) -> tuple[Box, bool]:
    if text in GREEK:
        latex, char = GREEK[text]
        return Ident(latex, char), False
    if len(text) == 1:
        return Ident(text, text), False
    return Ident(f"\\mathrm{{{text}}}", text, upright=True), True


def _join(boxes: list[Box]) -> Box:
    items: list[Box] = []
    for i, box in enumerate(boxes):
        if i:
            items.append(COMMA)
        items.append(box)
    return row(*items) if items else Row(())


def _parens(box: Box) -> Box:
    return Fenced("(", ")", box)


def _wrap(piece: Piece) -> Piece:
    return Piece(_parens(piece.box), ATOM)


class _Walker:
    def __init__(self, source: str):
        self.source = source
        self.depth = 0

    def expr(self, node: ast.AST) -> Piece:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unrenderable(type(node).__name__)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Unrenderable("nested too deeply")
            return method(node)
        finally:
            self.depth -= 1

    # -- leaves --------------------------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> Piece:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Unrenderable("constant")
        written = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        if written[:2].lower() in ("0x", "0o", "0b"):
            written = str(value)
        mantissa, _, exponent = written.lower().partition("e")
        if exponent:
            digits = exponent.lstrip("+-") or "0"
            power_box: Box = Num(digits) if not exponent.startswith("-") else row(NEGATE, Num(digits))
            power = Scripts(Num("10"), sup=power_box)
            if mantissa in ("1", "1.", "1.0"):
                return Piece(power, POWER, "digit", "other")
            return Piece(row(Num(mantissa), Op("\\times", "×"), power), PRODUCT, "digit", "other")
        return Piece(Num(written), ATOM, "digit", "digit")

    def _Name(self, node: ast.Name) -> Piece:
        if node.id == "E":
            return Piece(Ident("e", "e"), ATOM, "other", "other")
        if node.id == "oo":  # only ever the point of a Limit
            return Piece(Ident("\\infty", "∞"), ATOM, "other", "other")
        box, word = _name(node.id)
        edge = "word" if word else "other"
        return Piece(box, ATOM, edge, edge)

    def _Subscript(self, node: ast.Subscript) -> Piece:
        if not isinstance(node.value, ast.Name):
            raise Unrenderable("subscript")
        base, _ = _name(node.value.id)
        index = node.slice
        elements = index.elts if isinstance(index, ast.Tuple) else [index]
        subs = [self.expr(e).box for e in elements]
        if isinstance(base, Scripts) and base.sub is not None and base.sup is None:
            return Piece(Scripts(base.base, sub=_join([base.sub, *subs])), ATOM)
        return Piece(Scripts(base, sub=_join(subs)), ATOM)

    # -- operators -----------------------------------------------------------------------------

    def _UnaryOp(self, node: ast.UnaryOp) -> Piece:
        if isinstance(node.op, ast.UAdd):
            operand = self.expr(node.operand)
            if operand.prec < NEGATION and operand.prec != BIGOP or operand.lead == "minus":
                operand = _wrap(operand)
            return Piece(row(Op("+", "+", "prefix"), operand.box), NEGATION, "minus", operand.trail)
        if not isinstance(node.op, ast.USub):
            raise Unrenderable("unary operator")
        operand = self.expr(node.operand)
        if (operand.prec < NEGATION and operand.prec != BIGOP) or operand.lead == "minus":
            operand = _wrap(operand)
        # -∑ … still takes the rest of its product term: a factor after it needs brackets around it.
        prec = BIGOP if operand.prec == BIGOP else NEGATION
        return Piece(row(NEGATE, operand.box), prec, "minus", operand.trail)

    def _BinOp(self, node: ast.BinOp) -> Piece:
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            return self._terms(node)
        if op in (ast.Mult, ast.MatMult):
            return self._factors(node, type(node.op))
        if op is ast.Div:
            num, den = self.expr(node.left), self.expr(node.right)
            return Piece(Frac(num.box, den.box), FRACTION, "frac", "frac")
        if op is ast.Pow:
            return self._power(self.expr(node.left), self.expr(node.right).box)
        raise Unrenderable("operator")

    def _terms(self, node: ast.expr) -> Piece:
        operands: list[tuple[type, ast.AST]] = []
        while isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub):
            operands.append((type(node.op), node.right))
            node = node.left
        first = self.expr(node)
        if first.prec < SUM:
            first = _wrap(first)
        items: list[Box] = [first.box]
        trail = first.trail
        for op, right in reversed(operands):
            term = self.expr(right)
            if term.prec <= SUM or term.lead == "minus":
                term = _wrap(term)
            items += [PLUS if op is ast.Add else MINUS, term.box]
            trail = term.trail
        return Piece(row(*items), SUM, first.lead, trail)

    def _factors(self, node: ast.expr, op: type = ast.Mult) -> Piece:
        """A product (``*``) or a matrix product (``@``, written side by side), left to right."""
        operands: list[ast.AST] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, op):
            operands.append(node.right)
            node = node.left
        nodes = [node, *reversed(operands)]
        pieces: list[Piece] = []
        for i, factor in enumerate(nodes):
            piece = self.expr(factor)
            last = i == len(nodes) - 1
            if piece.prec == BIGOP:
                if not last or (i > 0 and piece.lead == "minus"):
                    piece = _wrap(piece)
            elif piece.prec < PRODUCT or (i > 0 and (piece.prec == PRODUCT or piece.lead == "minus")):
                piece = _wrap(piece)
            pieces.append(piece)
        items: list[Box] = [pieces[0].box]
        for left, right in zip(pieces, pieces[1:]):
            items += [_product_sign(left, right), right.box]
        prec = BIGOP if pieces[-1].prec == BIGOP else PRODUCT
        return Piece(row(*items), prec, pieces[0].lead, pieces[-1].trail)

    def _power(self, base: Piece, exponent: Box) -> Piece:
        box = base.box
        if base.prec < ATOM or (isinstance(box, Scripts) and box.sup is not None):
            return Piece(Scripts(_parens(box), sup=exponent), POWER, "other", "other")
        if isinstance(box, Scripts):
            return Piece(Scripts(box.base, sub=box.sub, sup=exponent), POWER, base.lead, "other")
        return Piece(Scripts(box, sup=exponent), POWER, base.lead, "other")

    # -- calls ---------------------------------------------------------------------------------

    def _Call(self, node: ast.Call) -> Piece:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise Unrenderable("call")
        name, args = node.func.id, node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise Unrenderable("starred")
        if name == "exp" and len(args) == 1:
            return self._power(Piece(Ident("e", "e"), ATOM), self.expr(args[0]).box)
        if name == "sqrt" and len(args) == 1:
            return Piece(Sqrt(self.expr(args[0]).box), ATOM)
        if name == "abs" and len(args) == 1:
            return Piece(Fenced("|", "|", self.expr(args[0]).box), ATOM)
        if name in BRACKETS and len(args) == 1:
            return Piece(Fenced(*BRACKETS[name], self.expr(args[0]).box), ATOM)
        if name == "log" and len(args) == 2:
            log_head = Scripts(Ident("\\log", "log", upright=True), sub=self.expr(args[1]).box)
            return Piece(row(log_head, APPLY, _parens(self.expr(args[0]).box)), ATOM)
        if name == "diff" and len(args) in (2, 3):
            return self._diff(args)
        if name == "Limit" and len(args) in (3, 4):
            return self._limit(args)
        if name == "Matrix" and len(args) == 1 and isinstance(args[0], ast.List) and args[0].elts:
            return self._matrix(args[0])
        if name in _LINEAR_ALGEBRA and len(args) == _LINEAR_ALGEBRA[name]:
            return self._linear_algebra(name, [self.expr(a) for a in args])
        if name == "KroneckerDelta" and len(args) == 2:
            delta = Scripts(Ident("\\delta", "δ"), sub=_join([self.expr(a).box for a in args]))
            return Piece(delta, ATOM)
        if name in ("Sum", "Product") and len(args) == 2 and _is_limits(args[1]):
            return self._big(name, args)
        if name == "Integral" and len(args) >= 2 and all(_is_limits(a) for a in args[1:]):
            return self._integral(args)
        if name == "Integral" and len(args) == 2 and isinstance(args[1], ast.Name):
            return self._antiderivative(args)
        if name in ("Expectation", "Var") and len(args) == 2 and _is_law(args[1]):
            return self._expectation(name, args)
        if name == "Expectation" and len(args) == 2 and _is_ranged_density(args[1]):
            return self._ranged_expectation(args)
        if name in ("Expectation", "Var") and len(args) == 2 and _is_density(args[1]):
            return self._expectation(name, args)
        if name == "KL" and len(args) == 2:
            return self._divergence(args)
        if name == "KL" and len(args) == 3 and _is_limits(args[2]):
            return self._divergence_integral(args)
        word = False
        head: Box
        if name in FUNCTION_NAMES:
            head = Ident(FUNCTION_NAMES[name], name, upright=True)
        else:
            head, word = _name(name)
        arguments = _join([self.expr(a).box for a in args])
        return Piece(row(head, APPLY, _parens(arguments)), ATOM, "word" if word else "other")

    def _linear_algebra(self, name: str, args: list[Piece]) -> Piece:
        """transpose(A) as A^⊤, norm(v) as ‖v‖, dot(u, v) as u^⊤v, trace(A) as tr(A), eye(n) as I_n."""
        if name == "norm":
            return Piece(Fenced("‖", "‖", args[0].box), ATOM)
        if name == "transpose":
            return self._power(args[0], TOP)
        if name == "dot":
            left = self._power(args[0], TOP)
            right = args[1] if args[1].prec >= PRODUCT else _wrap(args[1])
            return Piece(row(left.box, JUXTAPOSE, right.box), PRODUCT, left.lead, right.trail)
        if name in ("trace", "diag"):
            head = Ident("\\operatorname{tr}", "tr", upright=True) if name == "trace" else Ident(
                "\\operatorname{diag}", "diag", upright=True
            )
            return Piece(row(head, APPLY, _parens(args[0].box)), ATOM, "word")
        if name in ("grad", "hessian"):
            nabla = Scripts(NABLA, sub=args[1].box, sup=Num("2") if name == "hessian" else None)
            body = args[0] if args[0].prec == ATOM else _wrap(args[0])
            return Piece(row(nabla, JUXTAPOSE, body.box), PRODUCT, "other", body.trail)
        return Piece(Scripts(Ident("I", "I"), sub=args[0].box), ATOM)

    def _matrix(self, rows: ast.List) -> Piece:
        """``Matrix([[a, b], [c, d]])`` as a pmatrix; ``Matrix([a, b])`` as a column."""
        lines = [r.elts if isinstance(r, ast.List) else [r] for r in rows.elts]
        return Piece(Grid(tuple(tuple(self.expr(e).box for e in line) for line in lines)), ATOM)

    def _diff(self, args: list[ast.expr]) -> Piece:
        target = self.expr(args[0])
        variable = self.expr(args[1]).box
        partial = Ident("\\partial", "∂")
        if len(args) == 3:
            order = self.expr(args[2]).box
            top: Box = Scripts(partial, sup=order)
            bottom = row(partial, _power_of(variable, order))
        else:
            top, bottom = partial, row(partial, variable)
        body = target if target.prec == ATOM else _wrap(target)
        return Piece(row(Frac(top, bottom), body.box), BIGOP, "frac", body.trail)

    def _limit(self, args: list[ast.expr]) -> Piece:
        """``Limit(f, h, a)`` as lim over ``h → a`` (``a^+`` one-sided, ``oo`` as ∞), then ``f``."""
        point_node = args[2]
        infinite = isinstance(point_node, ast.Name) and point_node.id == "oo"
        point = Ident("\\infty", "∞") if infinite else self.expr(point_node).box
        if len(args) == 4:
            side = args[3]
            if not (isinstance(side, ast.Constant) and side.value in ("+", "-")):
                raise Unrenderable("limit direction")
            point = Scripts(point, sup=Op(str(side.value), "+" if side.value == "+" else "−", "prefix"))
        under = row(self.expr(args[1]).box, Op("\\to", "→"), point)
        body = self.expr(args[0])
        if body.prec <= SUM or body.lead == "minus":
            body = _wrap(body)
        return Piece(row(Scripts(Ident("\\lim", "lim", upright=True), sub=under), body.box), BIGOP, "other", body.trail)

    def _big(self, name: str, args: list[ast.expr]) -> Piece:
        limits = args[1]
        assert isinstance(limits, ast.Tuple)  # checked by _is_limits
        var, lo, hi = limits.elts
        under = row(self.expr(var).box, Op("=", "="), self.expr(lo).box)
        over = self.expr(hi).box
        symbol = BigOp("\\sum", "∑", under, over) if name == "Sum" else BigOp("\\prod", "∏", under, over)
        body = self.expr(args[0])
        if body.prec <= SUM or body.lead == "minus":
            body = _wrap(body)
        return Piece(row(symbol, body.box), BIGOP, "other", body.trail)

    def _integral(self, args: list[ast.expr]) -> Piece:
        """``Integral(f, (x, a, b), (y, c, d))`` as ∫ from c to d ∫ from a to b of f dx dy."""
        ranges = [r for r in args[1:] if isinstance(r, ast.Tuple)]  # checked by _is_limits
        signs = [BigOp("\\int", "∫", self._bound(r.elts[1]), self._bound(r.elts[2])) for r in reversed(ranges)]
        return self._integrated(signs, self.expr(args[0]), [r.elts[0] for r in ranges])

    def _antiderivative(self, args: list[ast.expr]) -> Piece:
        """``Integral(f, x)`` as ∫ f dx."""
        return self._integrated([Op("\\int", "∫", "prefix")], self.expr(args[0]), [args[1]])

    def _integrated(self, signs: Sequence[Box], body: Piece, variables: list[ast.expr]) -> Piece:
        if body.prec <= SUM or body.lead == "minus":
            body = _wrap(body)
        differentials = [
            row(Op("\\,", "\u2009", "prefix"), Ident("\\mathrm{d}", "d", upright=True), self.expr(v).box)
            for v in variables
        ]
        return Piece(row(*signs, body.box, *differentials), BIGOP, "other", "other")

    def _divergence(self, args: list[ast.expr]) -> Piece:
        """``KL(P, Q)`` as D_KL(P ‖ Q), each a distribution or a density."""
        head = Scripts(Ident("D", "D"), sub=Ident("\\mathrm{KL}", "KL", upright=True))
        sides = [self._law(a) if _is_law_call(a) else self.expr(a).box for a in args]
        return Piece(row(head, APPLY, _parens(row(sides[0], Op("\\|", "∥"), sides[1]))), ATOM)

    def _divergence_integral(self, args: list[ast.expr]) -> Piece:
        """``KL(p(x), q(x), (x, a, b))`` as the integral it is: ∫ p log(p/q) dx."""
        limits = args[2]
        assert isinstance(limits, ast.Tuple)
        p, q = (_called(a, limits.elts[0]) for a in args[:2])
        body = ast.BinOp(p, ast.Mult(), ast.Call(ast.Name("log", ast.Load()), [ast.BinOp(p, ast.Div(), q)], []))
        return self._integral([body, limits])

    def _ranged_expectation(self, args: list[ast.expr]) -> Piece:
        """``Expectation(f, (x, p, a, b))`` as the integral it is: ∫ from a to b of p(x) f dx."""
        spec = args[1]
        assert isinstance(spec, ast.Tuple)
        var, density, lo, hi = spec.elts
        body = ast.BinOp(_called(density, var), ast.Mult(), args[0])
        return self._integral([body, ast.Tuple([var, lo, hi], ast.Load())])

    def _bound(self, node: ast.expr) -> Box:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return row(NEGATE, self._bound(node.operand))
        if isinstance(node, ast.Name) and node.id == "oo":
            return Ident("\\infty", "∞")
        return self.expr(node).box

    def _law(self, law: ast.expr) -> Box:
        """A distribution: 𝒩(μ, σ²) (the variance, as written in the field), Bernoulli(p), …"""
        assert isinstance(law, ast.Call) and isinstance(law.func, ast.Name)  # checked by _is_law_call
        params = [self.expr(a) for a in law.args]
        if law.func.id == "Normal" and len(params) == 2:
            head: Box = Ident("\\mathcal{N}", "𝒩")
            params[1] = self._power(params[1], Num("2"))
        else:
            head = Ident(f"\\operatorname{{{law.func.id}}}", law.func.id, upright=True)
        return row(head, APPLY, _parens(_join([p.box for p in params])))

    def _expectation(self, name: str, args: list[ast.expr]) -> Piece:
        """``Expectation(f, (x, D))`` as 𝔼 with ``x ∼ D`` below, then [f]; ``Var`` likewise; D may be a density."""
        spec = args[1]
        assert isinstance(spec, ast.Tuple)  # checked by _is_law or _is_density
        var, law = spec.elts
        shown = self._law(law) if _is_law_call(law) else self.expr(law).box
        drawn = row(self.expr(var).box, Op("\\sim", "∼"), shown)
        operator = Ident("\\mathbb{E}", "𝔼")
        if name == "Var":
            operator = Ident("\\operatorname{Var}", "Var", upright=True)
        return Piece(row(Scripts(operator, sub=drawn), Fenced("[", "]", self.expr(args[0]).box)), ATOM)

    # -- conditions ----------------------------------------------------------------------------

    def compare(self, node: ast.Compare) -> Piece:
        items: list[Box] = [self.expr(node.left).box]
        for op, right in zip(node.ops, node.comparators):
            symbol = RELATIONS.get(type(op))
            if symbol is None:
                raise Unrenderable("relation")
            if isinstance(right, ast.Set):
                value: Box = Fenced("{", "}", _join([self.expr(e).box for e in right.elts]))
            else:
                value = self.expr(right).box
            items += [Op(*symbol), value]
        return Piece(row(*items), RELATION)

    def _Compare(self, node: ast.Compare) -> Piece:
        return self.compare(node)


LAWS = frozenset({"Normal", "Uniform", "Exponential", "Laplace", "Bernoulli", "Categorical"})
"""The distributions an expectation names (parse/distributions.py; tests check they agree)."""


def _is_law_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LAWS


def _is_law(node: ast.AST) -> bool:
    """``(x, Normal(mu, sigma))``: a variable and a named distribution."""
    return (
        isinstance(node, ast.Tuple)
        and len(node.elts) == 2
        and isinstance(node.elts[0], ast.Name)
        and _is_law_call(node.elts[1])
    )


def _is_density(node: ast.AST) -> bool:
    """``(x, p)`` or ``(z, q(z, x))``: a variable and a density (a function named, or an expression)."""
    return isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], ast.Name)


def _is_ranged_density(node: ast.AST) -> bool:
    """``(x, p, a, b)``: a variable, a density and the range."""
    return isinstance(node, ast.Tuple) and len(node.elts) == 4 and isinstance(node.elts[0], ast.Name)


def _called(density: ast.expr, var: ast.expr) -> ast.expr:
    """A density named bare (``p``) as its value at the variable, ``p(x)``; an expression as it is."""
    if isinstance(density, ast.Name):
        return ast.Call(ast.Name(density.id, ast.Load()), [var], [])
    return density


def _is_limits(node: ast.AST) -> bool:
    return isinstance(node, ast.Tuple) and len(node.elts) == 3 and isinstance(node.elts[0], ast.Name)


def _power_of(variable: Box, order: Box) -> Box:
    if isinstance(variable, Scripts) and variable.sup is None:
        return Scripts(variable.base, sub=variable.sub, sup=order)
    return Scripts(variable, sup=order)


def _product_sign(left: Piece, right: Piece) -> Op:
    """A visible dot where juxtaposition would misread: before a number, between words, number·fraction."""
    if right.lead == "digit" or (left.trail == "digit" and right.lead == "frac"):
        return TIMES_DOT
    if left.trail == "word" or right.lead == "word":
        return TIMES_DOT
    return JUXTAPOSE
