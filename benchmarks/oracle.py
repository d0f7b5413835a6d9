"""The independent oracle (issue 27): random steps across the format, single-edit mutations, dense labels.

    PYTHONPATH=$PWD python benchmarks/oracle.py --seed 1 --count 200
    PYTHONPATH=$PWD python benchmarks/oracle.py --count 10000 --classes eq,ineq --jobs 2 --log run.log

Every pair is a derivation the oracle writes itself (YAML, or a Markdown post
with LaTeX display math), made from its own expression trees
(``oracle_tree``). Its truth is decided by the oracle's own dense evaluation —
exact rational arithmetic where every operation is rational (so exact zeros
are decided exactly), mpmath at 50 and 100 digits otherwise — at many points
that honour the symbols' words and the conditions, with sizes instantiated.
A pair the evaluation cannot settle (too few points, a near-tie) is dropped
and counted, never guessed. derivcheck is called only through its public API
(``derivcheck.verify_paths``) on the files written to a temporary folder; no
code of ``derivcheck.check`` or ``derivcheck.parse`` is used for labelling.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import mpmath

if __package__ in (None, ""):  # run as a script: make ``benchmarks.oracle_tree`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.oracle_tree import (  # noqa: E402
    OO,
    LatexStyle,
    Mat,
    Node,
    Point,
    Tie,
    Undefined,
    Value,
    add,
    adds,
    antiderivative,
    as_latex_reads,
    call,
    child,
    const,
    delta,
    diff,
    div,
    el,
    el2,
    entry,
    evaluate,
    evaluate_with_peak,
    expect,
    float64,
    grad,
    integral,
    kl,
    latex_ok,
    limit,
    matmul,
    matrix,
    mul,
    muls,
    mvar,
    neg,
    nodes,
    num,
    number_of,
    pw,
    py,
    rename,
    replace_at,
    sprod,
    ssum,
    sub,
    tex,
    var,
)

CLASSES = ("eq", "split", "cond", "ineq", "sums", "latex", "numbers", "stability",
           "limits", "integrals", "expectations", "matrices",
           "named", "vectors", "divergences", "antiderivatives")
HEAVY = ("integrals", "expectations", "divergences")  # labelled at fewer points: every value is a quadrature
LABEL_POINTS = 40  # points wanted per pair
MIN_POINTS = 12  # fewer valid points: the pair is dropped
MAX_TRIES = 400  # candidate points drawn per pair
DPS = 50  # working precision of the labels
CONFIRM_DPS = 100  # a difference (or a tie) is looked at again at this precision
PRECISIONS = (DPS, CONFIRM_DPS, 250, 500, 1000)  # the levels a comparison climbs until two agree
TIE_RESOLUTION = mpmath.mpf(10) ** -60  # a tie is declared only where the noise is below this
MAX_SIZE = 9  # sizes are instantiated from their smallest value up to this
VECTOR_SPAN = range(-2, 16)  # vector elements exist at these indices


# ------------------------------------------------------------------------------------------
# documents


@dataclass(frozen=True)
class Cond:
    """A condition ``lhs rel rhs`` or ``name in {values}``; ``every`` makes it per element."""

    lhs: Node
    rel: str
    rhs: Node | None = None
    values: tuple[Fraction, ...] = ()
    every: str | None = None

    def text(self) -> str:
        if self.rel == "in":
            return f"{py(self.lhs)} in {{{', '.join(str(v) for v in self.values)}}}" + (
                f" for every {self.every}" if self.every else "")
        assert self.rhs is not None
        return f"{py(self.lhs)} {self.rel} {py(self.rhs)}" + (f" for every {self.every}" if self.every else "")


@dataclass(frozen=True)
class NumberClaim:
    """``expr`` at ``at`` is ``claim`` (text written in ``is``), within ``tol`` (text, or None: the default)."""

    expr: Node
    at: dict[str, list[Fraction] | Fraction | Node]
    claim_text: str | list[str]
    tol_text: str | None


@dataclass(frozen=True)
class StabilityClaim:
    expr: Node
    over: tuple[str, float, float]
    at: dict[str, float]
    stable: bool
    rtol: float | None = None


@dataclass(frozen=True)
class Doc:
    """One derivation with one thing to check: a step, a number claim or a stability claim."""

    symbols: dict[str, str]
    functions: dict[str, tuple[tuple[str, ...], Node]] = field(default_factory=dict)
    assume: tuple[Cond, ...] = ()
    when: tuple[Cond, ...] = ()
    prev: Node | None = None
    this: Node | None = None
    rel: str = "=="
    number: NumberClaim | None = None
    stability: StabilityClaim | None = None
    exact: bool = False  # built as an identity: a tie at every point is the identity (number claims with tol 0)
    defines: dict[str, tuple[str | None, Node]] = field(default_factory=dict)  # ``define:``: name -> (index, expression)
    antiderivative_in: str | None = None  # a step with ``Integral(f, x)``: its truth is the equality of the x-derivatives
    depends: tuple[str, ...] = ()  # defined names written under ``depends:`` (on x and y), their formulas kept secret


@dataclass
class Pair:
    """A generated case, its label and what derivcheck said."""

    pid: int
    cls: str
    template: str
    edit: str  # "base" or the mutation's name
    doc: Doc
    latex: bool = False
    style: LatexStyle = LatexStyle()
    latex_in_yaml: bool = False  # the LaTeX as ``latex:`` steps of a YAML file (else a Markdown post)
    truth: bool | None = None
    label_note: str = ""
    verdict: str = ""
    message: str = ""
    seconds: float = 0.0  # derivcheck's time on the check (its outcome's elapsed)
    relabelled: bool = False
    counterexample: dict[str, str] | None = None

    @property
    def outcome(self) -> str:
        """unsound, false alarm, undecided, error, right or dropped."""
        if self.truth is None:
            return "dropped"
        if self.verdict == "error":
            return "error"
        if self.verdict == "unknown":
            return "undecided"
        accepted = self.verdict in ("proved", "proved for sizes", "numeric")
        if accepted and not self.truth:
            return "unsound"
        if not accepted and self.truth:
            return "false alarm"
        return "right"


# ------------------------------------------------------------------------------------------
# random terms

X, Y, W = var("x"), var("y"), var("w")
P, Q = var("p"), var("q")  # positive
N = var("n")  # a size


def small(rng: random.Random) -> Fraction:
    return Fraction(rng.choice([1, 2, 3, 4, 5])) / rng.choice([1, 1, 1, 2, 3])


def term(rng: random.Random, names: Sequence[str], depth: int = 2, smooth: bool = True) -> Node:
    """A random real term in ``names``: polynomials, exp, sin, cos, tanh, quotients with positive denominators."""
    if depth <= 0 or rng.random() < 0.3:
        if rng.random() < 0.25:
            return num(small(rng))
        return var(rng.choice(names))
    a = term(rng, names, depth - 1, smooth)
    b = term(rng, names, depth - 1, smooth)
    choice = rng.randrange(9)
    if choice == 0:
        return add(a, b)
    if choice == 1:
        return sub(a, b)
    if choice == 2:
        return mul(a, b)
    if choice == 3:
        return pw(a, rng.choice([2, 2, 3]))
    if choice == 4:
        return div(a, add(pw(b, 2), num(1)))
    if choice == 5:
        return call(rng.choice(["sin", "cos"]), a)
    if choice == 6:
        return call("exp", mul(num(Fraction(1, rng.choice([2, 3, 4]))), a)) if smooth else call("exp", a)
    if choice == 7:
        return call("tanh", a)
    return mul(num(small(rng)), a)


def linear(rng: random.Random, names: Sequence[str]) -> Node:
    """A linear form with rational zeros: ``x - y``, ``2*x + 1``, ``x - 3/2``."""
    a = var(rng.choice(names))
    choice = rng.randrange(4)
    if choice == 0 and len(names) > 1:
        other = var(rng.choice([n for n in names if n != str(a.args[0])]))
        return sub(a, other)
    if choice == 1:
        return add(mul(num(rng.choice([2, 3])), a), num(rng.choice([1, 2])))
    if choice == 2:
        return sub(a, num(small(rng)))
    return a


# ------------------------------------------------------------------------------------------
# templates: each returns a right (previous, this) pair, with its declarations


def _doc(prev: Node, this: Node, symbols: dict[str, str] | None = None, **kw: object) -> Doc:
    return Doc(symbols=symbols or {"x": "real", "y": "real", "w": "real"}, prev=prev, this=this, **kw)  # type: ignore[arg-type]


def eq_templates(rng: random.Random) -> tuple[str, Doc]:
    names = ["x", "y", "w"]
    u, v, t = term(rng, names), term(rng, names), term(rng, names, 1)
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("square", lambda: (pw(add(u, v), 2), adds(pw(u, 2), mul(mul(num(2), u), v), pw(v, 2)))),
        ("diffsq", lambda: (mul(add(u, v), sub(u, v)), sub(pw(u, 2), pw(v, 2)))),
        ("distribute", lambda: (mul(t, add(u, v)), add(mul(t, u), mul(t, v)))),
        ("exp-sum", lambda: (mul(call("exp", u), call("exp", v)), call("exp", add(u, v)))),
        ("pythagoras", lambda: (mul(t, add(pw(call("sin", u), 2), pw(call("cos", u), 2))), t)),
        ("cosh-sinh", lambda: (sub(pw(call("cosh", u), 2), pw(call("sinh", u), 2)), num(1))),
        ("fractions", lambda: (add(div(u, add(pw(v, 2), num(1))), div(t, add(pw(v, 2), num(1)))),
                               div(add(u, t), add(pw(v, 2), num(1))))),
        ("sigmoid", lambda: (div(num(1), add(num(1), call("exp", neg(u)))),
                             div(call("exp", u), add(call("exp", u), num(1))))),
        ("tanh", lambda: (call("tanh", u), div(sub(call("exp", mul(num(2), u)), num(1)),
                                               add(call("exp", mul(num(2), u)), num(1))))),
        ("sigmoid-derivative", lambda: (
            mul(div(num(1), add(num(1), call("exp", neg(X)))),
                sub(num(1), div(num(1), add(num(1), call("exp", neg(X)))))),
            div(call("exp", neg(X)), pw(add(num(1), call("exp", neg(X))), 2)))),
        ("cube", lambda: (pw(sub(u, v), 3), adds(pw(u, 3), neg(mul(mul(num(3), pw(u, 2)), v)),
                                                 mul(mul(num(3), u), pw(v, 2)), neg(pw(v, 3))))),
        ("double-angle", lambda: (call("sin", mul(num(2), u)), mul(mul(num(2), call("sin", u)), call("cos", u)))),
        ("commute", lambda: (add(mul(u, v), t), add(t, mul(v, u)))),
    ]
    name, make = rng.choice(options)
    prev, this = make()
    if rng.random() < 0.5:
        prev, this = this, prev
    return name, _doc(prev, this)


def split_templates(rng: random.Random) -> tuple[str, Doc]:
    names = ["x", "y", "w"]
    u, v = linear(rng, names), rng.choice([linear(rng, names), term(rng, names, 1)])
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("max-abs", lambda: (call("max", u, v), div(adds(u, v, call("abs", sub(u, v))), num(2)))),
        ("min-abs", lambda: (call("min", u, v), div(sub(add(u, v), call("abs", sub(u, v))), num(2)))),
        ("max+min", lambda: (add(call("max", u, v), call("min", u, v)), add(u, v))),
        ("abs-sign", lambda: (mul(call("abs", u), call("sign", u)), u)),
        ("relu-parts", lambda: (sub(call("max", u, num(0)), call("max", neg(u), num(0))), u)),
        ("abs-product", lambda: (call("abs", mul(u, v)), mul(call("abs", u), call("abs", v)))),
        ("min-max", lambda: (call("min", u, v), neg(call("max", neg(u), neg(v))))),
        ("abs-square", lambda: (pw(call("abs", u), 2), pw(u, 2))),
        ("sign-product", lambda: (call("sign", mul(u, v)), mul(call("sign", u), call("sign", v)))),
        ("max-shift", lambda: (call("max", add(u, W), add(v, W)), add(call("max", u, v), W))),
        ("softplus", lambda: (call("log", add(num(1), call("exp", u))),
                              add(call("max", u, num(0)), call("log", add(num(1), call("exp", neg(call("abs", u)))))))),
        ("abs-max", lambda: (call("abs", u), call("max", u, neg(u)))),
    ]
    name, make = rng.choice(options)
    prev, this = make()
    if rng.random() < 0.5:
        prev, this = this, prev
    return name, _doc(prev, this)


def cond_templates(rng: random.Random) -> tuple[str, Doc]:
    """Steps that hold only under conditions: symbol words, assume, when, integers, complex symbols."""
    c = num(rng.choice([Fraction(1), Fraction(2), Fraction(1, 2), Fraction(3)]))
    k = var("k")
    z, s = var("z"), var("s")
    pos = {"p": "positive", "q": "positive", "x": "real"}
    options: list[tuple[str, Callable[[], Doc]]] = [
        ("sqrt-square", lambda: _doc(call("sqrt", pw(P, 2)), P, pos)),
        ("log-product", lambda: _doc(call("log", mul(P, Q)), add(call("log", P), call("log", Q)), pos)),
        ("log-power", lambda: _doc(call("log", pw(P, 3)), mul(num(3), call("log", P)), pos)),
        ("exp-log", lambda: _doc(call("exp", call("log", P)), P, pos)),
        ("sqrt-product", lambda: _doc(call("sqrt", mul(P, Q)), mul(call("sqrt", P), call("sqrt", Q)), pos)),
        ("powers", lambda: _doc(mul(pw(P, Fraction(1, 2)), pw(P, Fraction(3, 2))), pw(P, 2), pos)),
        ("abs-assume", lambda: _doc(call("abs", sub(X, c)), sub(X, c), {"x": "real", "y": "real"},
                                    assume=(Cond(X, ">", c),))),
        ("abs-when", lambda: _doc(call("abs", sub(X, c)), sub(c, X), {"x": "real", "y": "real"},
                                  when=(Cond(X, "<=", c),))),
        ("max-when", lambda: _doc(call("max", X, c), X, {"x": "real"}, when=(Cond(X, ">=", c),))),
        ("sqrt-nonneg", lambda: _doc(pw(call("sqrt", X), 2), X, {"x": "nonnegative"})),
        ("log-assume", lambda: _doc(call("log", pw(X, 2)), mul(num(2), call("log", X)), {"x": "real"},
                                    assume=(Cond(X, ">", num(0)),))),
        ("neg-abs", lambda: _doc(call("abs", X), neg(X), {"x": "negative"})),
        ("integer-power", lambda: _doc(pw(neg(num(1)), mul(num(2), k)), num(1), {"k": "integer"})),
        ("integer-cos", lambda: _doc(pw(call("cos", mul(const("pi"), k)), 2), num(1), {"k": "integer"})),
        ("integer-sin", lambda: _doc(call("sin", mul(const("pi"), k)), num(0), {"k": "integer"})),
        ("integer-floor", lambda: _doc(call("floor", add(k, X)), add(k, call("floor", X)), {"k": "integer", "x": "real"})),
        ("binary", lambda: _doc(pw(Y, 2), Y, {"y": "real"}, assume=(Cond(Y, "in", values=(Fraction(0), Fraction(1))),))),
        ("binary-product", lambda: _doc(mul(Y, sub(num(1), Y)), num(0), {"y": "real"},
                                        assume=(Cond(Y, "in", values=(Fraction(0), Fraction(1))),))),
        ("complex-exp", lambda: _doc(mul(call("exp", z), call("exp", s)), call("exp", add(z, s)),
                                     {"z": "complex", "s": "complex"})),
        ("complex-square", lambda: _doc(pw(add(z, s), 2), adds(pw(z, 2), mul(mul(num(2), z), s), pw(s, 2)),
                                        {"z": "complex", "s": "complex"})),
        ("complex-log-real", lambda: _doc(call("log", call("exp", X)), X, {"x": "real", "z": "complex"})),
        ("chain", lambda: _doc(call("abs", sub(X, Y)), sub(X, Y), {"x": "real", "y": "real"},
                               assume=(Cond(X, ">", Y), Cond(Y, ">", num(0))))),
        ("bounded", lambda: _doc(add(call("abs", X), call("abs", sub(X, num(1)))), num(1), {"x": "real"},
                                 assume=(Cond(X, ">=", num(0)), Cond(X, "<=", num(1))))),
    ]
    name, make = rng.choice(options)
    doc = make()
    if rng.random() < 0.5:
        doc = replace(doc, prev=doc.this, this=doc.prev)
    return name, doc


def ineq_templates(rng: random.Random) -> tuple[str, Doc]:
    """Right inequality steps ``previous rel this`` (``<=``, ``<``, ``>=``, ``>``)."""
    names = ["x", "y", "w"]
    u = term(rng, names, 1)
    v = linear(rng, names)
    options: list[tuple[str, Callable[[], tuple[Node, Node, str, dict[str, str] | None]]]] = [
        ("plus-square", lambda: (u, add(u, pw(v, 2)), "<=", None)),
        ("plus-abs", lambda: (sub(u, call("abs", v)), u, "<=", None)),
        ("max-ge", lambda: (call("max", u, v), u, ">=", None)),
        ("min-max", lambda: (call("min", u, v), call("max", u, v), "<=", None)),
        ("triangle", lambda: (call("abs", add(u, v)), add(call("abs", u), call("abs", v)), "<=", None)),
        ("exp-tangent", lambda: (call("exp", v), add(num(1), v), ">=", None)),
        ("log-tangent", lambda: (call("log", P), sub(P, num(1)), "<=", {"p": "positive"})),
        ("am-gm", lambda: (mul(mul(num(2), X), Y), add(pw(X, 2), pw(Y, 2)), "<=", None)),
        ("softplus-above", lambda: (call("log", add(num(1), call("exp", u))), call("max", u, num(0)), ">", None)),
        ("softplus-below", lambda: (call("log", add(num(1), call("exp", u))),
                                    add(call("max", u, num(0)), call("log", num(2))), "<=", None)),
        ("sqrt-am-gm", lambda: (call("sqrt", mul(P, Q)), div(add(P, Q), num(2)), "<=", {"p": "positive", "q": "positive"})),
        ("tanh-below", lambda: (call("tanh", u), num(1), "<", None)),
        ("sin-bound", lambda: (call("sin", u), num(1), "<=", None)),
        ("abs-sin", lambda: (call("abs", call("sin", v)), call("abs", v), "<=", None)),
        ("square-nonneg", lambda: (num(0), pw(sub(u, v), 2), "<=", None)),
        ("exp-positive", lambda: (num(0), call("exp", u), "<", None)),
        ("complex-abs-exp", lambda: (num(0), call("abs", call("exp", var("z"))), "<", {"z": "complex"})),
        ("ratio", lambda: (div(pw(X, 2), add(pw(X, 2), num(1))), num(1), "<", None)),
    ]
    name, make = rng.choice(options)
    prev, this, rel, symbols = make()
    if rng.random() < 0.4:  # the same relation written the other way round
        flip = {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}
        prev, this, rel = this, prev, flip[rel]
    return name, _doc(prev, this, symbols, rel=rel)


SUM_SYMBOLS = {"u": "real vector", "v": "real vector", "n": "positive integer", "x": "real"}


def sums_templates(rng: random.Random) -> tuple[str, Doc]:
    """Sums and products over a symbolic size ``n``, vectors ``u``, ``v``, Kronecker deltas, max(u)."""
    i, j = var("i"), var("j")
    a, b = num(small(rng)), num(small(rng))
    ui, vi, uj = el("u", i), el("v", i), el("u", j)
    symbols = dict(SUM_SYMBOLS)
    with_k = dict(symbols, k="index 1..n")
    with_c = dict(symbols, c="index 1..n")
    options: list[tuple[str, Callable[[], tuple[Node, Node, str, dict[str, str]]]]] = [
        ("linear", lambda: (ssum(add(mul(a, ui), mul(b, vi)), "i", 1, N),
                            add(mul(a, ssum(ui, "i", 1, N)), mul(b, ssum(vi, "i", 1, N))), "==", symbols)),
        ("peel-last", lambda: (ssum(ui, "i", 1, N), add(ssum(ui, "i", 1, sub(N, num(1))), el("u", N)), "==", symbols)),
        ("gauss", lambda: (ssum(i, "i", 1, N), div(mul(N, add(N, num(1))), num(2)), "==", symbols)),
        ("squares", lambda: (ssum(pw(i, 2), "i", 1, N),
                             div(muls(N, add(N, num(1)), add(mul(num(2), N), num(1))), num(6)), "==", symbols)),
        ("constant", lambda: (ssum(mul(a, X), "i", 1, N), mul(mul(N, a), X), "==", symbols)),
        ("difference", lambda: (ssum(sub(ui, vi), "i", 1, N), sub(ssum(ui, "i", 1, N), ssum(vi, "i", 1, N)), "==", symbols)),
        ("double", lambda: (ssum(ssum(mul(ui, el("v", j)), "j", 1, N), "i", 1, N),
                            mul(ssum(ui, "i", 1, N), ssum(el("v", j), "j", 1, N)), "==", symbols)),
        ("delta", lambda: (ssum(mul(ui, delta(i, var("k"))), "i", 1, N), el("u", var("k")), "==", with_k)),
        ("softmax", lambda: (ssum(div(call("exp", ui), ssum(call("exp", uj), "j", 1, N)), "i", 1, N), num(1), "==", symbols)),
        ("product-exp", lambda: (sprod(call("exp", ui), "i", 1, N), call("exp", ssum(ui, "i", 1, N)), "==", symbols)),
        ("telescope", lambda: (ssum(sub(el("u", add(i, num(1))), ui), "i", 1, N), sub(el("u", add(N, num(1))), el("u", num(1))), "==", symbols)),
        ("squares-nonneg", lambda: (num(0), ssum(pw(ui, 2), "i", 1, N), "<=", symbols)),
        ("abs-sum", lambda: (call("abs", ssum(ui, "i", 1, N)), ssum(call("abs", ui), "i", 1, N), "<=", symbols)),
        ("max-element", lambda: (el("u", var("k")), Node("vmax", ("u",)), "<=", with_k)),
        ("max-min", lambda: (add(Node("vmax", ("u",)), num(1)), Node("vmin", ("u",)), ">", with_k)),
        ("nonneg-every", lambda: (num(0), ssum(ui, "i", 1, N), "<=", with_c)),
        ("binary-every", lambda: (ssum(pw(ui, 2), "i", 1, N), ssum(ui, "i", 1, N), "==", with_c)),
        ("cauchy", lambda: (pw(ssum(mul(ui, vi), "i", 1, N), 2),
                            mul(ssum(pw(ui, 2), "i", 1, N), ssum(pw(vi, 2), "i", 1, N)), "<=", symbols)),
    ]
    name, make = rng.choice(options)
    prev, this, rel, syms = make()
    if rel == "==" and rng.random() < 0.5:
        prev, this = this, prev
    every: tuple[Cond, ...] = ()
    if name == "nonneg-every":
        every = (Cond(el("u", var("c")), ">=", num(0), every="c"),)
    elif name == "binary-every":
        every = (Cond(el("u", var("c")), "in", values=(Fraction(0), Fraction(1)), every="c"),)
    return name, _doc(prev, this, syms, rel=rel, assume=every)


def latex_templates(rng: random.Random) -> tuple[str, Doc]:
    """A step of the other classes that the oracle's LaTeX printer covers."""
    for _ in range(50):
        family = rng.choice(["eq", "split", "ineq", "sums", "cond", "limits", "integrals", "expectations", "matrices",
                             "divergences", "vectors"])
        maker = TEMPLATES[family]
        name, doc = maker(rng)
        if doc.when or any(c.rel == "in" for c in doc.assume):
            continue
        assert doc.prev is not None and doc.this is not None
        if latex_ok(doc.prev) and latex_ok(doc.this):
            return f"{family}:{name}", doc
    raise RuntimeError("no LaTeX-printable template found")


# number claims ------------------------------------------------------------------------------


def decimal_text(value: mpmath.mpf, places: int) -> str:
    """``value`` rounded to ``places`` decimals, as text."""
    scaled = int(mpmath.nint(value * mpmath.mpf(10) ** places))
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled)).rjust(places + 1, "0")
    return sign + digits[:-places] + "." + digits[-places:] if places else sign + digits


def numbers_templates(rng: random.Random) -> tuple[str, Doc]:
    """A number claim: a value rounded to some places (default tolerance), an explicit tol, lists, exact values."""
    names = ["x", "y"]
    kind = rng.choice(["rounded", "rounded", "tol", "list", "exact", "vector", "tol-expr"])
    symbols = {"x": "real", "y": "real"}
    if kind == "exact":
        options = [
            (div(call("log", num(8)), call("log", num(2))), "3"),
            (add(pw(call("sin", X), 2), pw(call("cos", X), 2)), "1"),
            (div(mul(num(3), X), num(4)), None),
            (call("exp", mul(num(2), call("log", X))), None),
        ]
        expr, claim = rng.choice(options)
        at_value = Fraction(rng.choice([1, 2, 3, 5])) / rng.choice([1, 2, 4])
        if claim is None:
            claim = str(at_value * 3 / 4) if expr.op == "div" else str(at_value ** 2)
        return "exact", Doc(symbols=symbols, number=NumberClaim(expr, {"x": at_value}, claim, None), exact=True)
    if kind == "vector":
        expr = ssum(pw(el("u", var("i")), 2), "i", 1, num(3))
        values = [Fraction(rng.randint(-9, 9), rng.choice([1, 2, 10])) for _ in range(3)]
        total = sum(v * v for v in values)
        return "vector", Doc(symbols={"u": "real vector"},
                             number=NumberClaim(expr, {"u": values}, str(total), None))
    expr = term(rng, names, 2)
    at = {n: Fraction(rng.randint(-20, 20), rng.choice([1, 2, 4, 10])) for n in names}
    places = rng.choice([2, 3, 4, 6])
    if kind == "list":
        xs = [Fraction(rng.randint(-20, 20), rng.choice([1, 2, 4])) for _ in range(3)]
        claims = []
        for xv in xs:
            value = evaluate(expr, Point({"x": xv, "y": at["y"]}, {}), DPS)
            claims.append(decimal_text(mpmath.re(mpmath.mpf(0) + value), places))
        return "list", Doc(symbols=symbols, number=NumberClaim(expr, {"x": xs, "y": at["y"]}, claims, None))
    value = evaluate(expr, Point(dict(at), {}), DPS)
    value_mp = mpmath.re(mpmath.mpf(0) + value)
    if kind == "rounded":
        return "rounded", Doc(symbols=symbols, number=NumberClaim(expr, dict(at), decimal_text(value_mp, places), None))
    if kind == "tol":
        tol = rng.choice(["0.01", "0.001", "1e-6"])
        return "tol", Doc(symbols=symbols, number=NumberClaim(expr, dict(at), decimal_text(value_mp, 8), tol))
    return "tol-expr", Doc(symbols=symbols, number=NumberClaim(expr, dict(at), decimal_text(value_mp, 8), "pi/1000"))


# stability claims ---------------------------------------------------------------------------


def stability_templates(rng: random.Random) -> tuple[str, Doc]:
    """A float64 claim about a classical naive or stable form over a range."""
    x = X
    a = var("a")
    options: list[tuple[str, Node, tuple[float, float], bool, dict[str, str], dict[str, float]]] = [
        ("softplus-naive", call("log", add(num(1), call("exp", x))), rng.choice([(-1000.0, 1000.0), (-30.0, 30.0), (0.0, 30.0)]), False, {}, {}),
        ("softplus-stable", add(call("max", x, num(0)), call("log1p", call("exp", neg(call("abs", x))))), (-1000.0, 1000.0), True, {}, {}),
        ("log1p-naive", call("log", add(num(1), x)), rng.choice([(1e-12, 1.0), (0.5, 100.0)]), False, {}, {}),
        ("log1p", call("log1p", x), (1e-12, 1.0), True, {}, {}),
        ("expm1-naive", sub(call("exp", x), num(1)), rng.choice([(-1e-3, 1e-3), (1.0, 50.0)]), False, {}, {}),
        ("expm1", call("expm1", x), (-1e-3, 1e-3), True, {}, {}),
        ("sqrt-diff", sub(call("sqrt", add(x, num(1))), call("sqrt", x)), rng.choice([(0.0, 1e12), (0.0, 10.0)]), False, {}, {}),
        ("sqrt-diff-stable", div(num(1), add(call("sqrt", add(x, num(1))), call("sqrt", x))), (0.0, 1e12), True, {}, {}),
        ("sigmoid", div(num(1), add(num(1), call("exp", neg(x)))), rng.choice([(-700.0, 700.0), (-1000.0, 1000.0)]), True, {}, {}),
        ("tanh-exp", div(sub(call("exp", mul(num(2), x)), num(1)), add(call("exp", mul(num(2), x)), num(1))),
         rng.choice([(-400.0, 400.0), (0.5, 5.0)]), False, {}, {}),
        ("one-minus-cos", sub(num(1), call("cos", x)), rng.choice([(-1e-4, 1e-4), (1.0, 3.0)]), False, {}, {}),
        ("half-angle", mul(num(2), pw(call("sin", div(x, num(2))), 2)), (-1e-4, 1e-4), True, {}, {}),
        ("scaled-softplus", call("f", x), rng.choice([(-50.0, 50.0), (0.0, 20.0)]), False, {"a": "positive"}, {"a": 2.0}),
        ("logsumexp-naive", call("log", add(call("exp", x), call("exp", a))), rng.choice([(-800.0, 800.0), (-5.0, 5.0)]), False, {"a": "real"}, {"a": 1.0}),
    ]
    name, expr, (lo, hi), claim, extra_symbols, at = rng.choice(options)
    functions: dict[str, tuple[tuple[str, ...], Node]] = {}
    if name == "scaled-softplus":
        functions["f"] = (("t",), call("log", add(num(1), call("exp", mul(a, var("t"))))))
    symbols = {"x": "real", **extra_symbols}
    return name, Doc(symbols=symbols, functions=functions,
                     stability=StabilityClaim(expr, ("x", lo, hi), at, claim))


# limits, integrals, expectations, sized vectors and matrices (issue 29) -----------------------

H, T = var("h"), var("t")  # the bound variables of limits and of integrals / expectations
BOUND_NAMES = ("h", "t")


def _pair(prev: Node, this: Node, rng: random.Random) -> tuple[Node, Node]:
    return (this, prev) if rng.random() < 0.5 else (prev, this)


def limits_templates(rng: random.Random) -> tuple[str, Doc]:
    """Limits at a point (two-sided, one-sided) and at infinity whose value is known in closed form."""
    a = num(small(rng))
    c = num(rng.choice([1, 2, 3, Fraction(1, 2)]))
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("first-principles-square", lambda: (limit(div(sub(pw(add(X, H), 2), pw(X, 2)), H), "h", num(0)), mul(num(2), X))),
        ("first-principles-cube", lambda: (limit(div(sub(pw(add(X, H), 3), pw(X, 3)), H), "h", num(0)),
                                           mul(num(3), pw(X, 2)))),
        ("exp-derivative", lambda: (limit(div(sub(call("exp", add(X, H)), call("exp", X)), H), "h", num(0)), call("exp", X))),
        ("sin-derivative", lambda: (limit(div(sub(call("sin", add(X, H)), call("sin", X)), H), "h", num(0)), call("cos", X))),
        ("sin-ratio", lambda: (limit(div(call("sin", mul(a, H)), H), "h", num(0)), a)),
        ("sin-ratio-x", lambda: (limit(div(call("sin", mul(X, H)), H), "h", num(0)), X)),
        ("exp-ratio", lambda: (limit(div(sub(call("exp", mul(a, H)), num(1)), H), "h", num(0)), a)),
        ("log-ratio", lambda: (limit(div(call("log", add(num(1), mul(a, H))), H), "h", num(0)), a)),
        ("cos-ratio", lambda: (limit(div(sub(num(1), call("cos", H)), pw(H, 2)), "h", num(0)), num(Fraction(1, 2)))),
        ("one-sided-above", lambda: (limit(div(call("abs", H), H), "h", num(0), "+"), num(1))),
        ("one-sided-below", lambda: (limit(div(call("abs", H), H), "h", num(0), "-"), neg(num(1)))),
        ("one-sided-sqrt", lambda: (limit(mul(call("sqrt", H), X), "h", num(0), "+"), num(0))),
        ("at-infinity-ratio", lambda: (limit(div(add(mul(X, H), Y), add(H, c)), "h", OO), X)),
        ("at-infinity-sqrt", lambda: (limit(sub(call("sqrt", add(pw(H, 2), mul(a, H))), H), "h", OO), div(a, num(2)))),
        ("at-infinity-sin", lambda: (limit(mul(H, call("sin", div(X, H))), "h", OO), X)),
        ("at-infinity-atan", lambda: (limit(call("atan", H), "h", OO), div(const("pi"), num(2)))),
        ("linearity", lambda: (limit(add(mul(a, div(call("sin", H), H)), mul(X, call("cos", H))), "h", num(0)), add(a, X))),
        ("at-a-point", lambda: (limit(add(pw(X, 2), mul(H, Y)), "h", c), add(pw(X, 2), mul(c, Y)))),
        ("sum-of-limits", lambda: (limit(add(div(call("sin", H), H), mul(X, H)), "h", num(0)),
                                   add(limit(div(call("sin", H), H), "h", num(0)), limit(mul(X, H), "h", num(0))))),
    ]
    name, make = rng.choice(options)
    prev, this = _pair(*make(), rng)
    return name, _doc(prev, this, {"x": "real", "y": "real"})


def integrals_templates(rng: random.Random) -> tuple[str, Doc]:
    """Definite integrals over finite and infinite ranges, linearity, splitting the range, an inequality."""
    a, b = num(small(rng)), num(small(rng))
    k = rng.choice([1, 2, 3])
    pos = {"x": "real", "y": "real", "p": "positive"}
    f, g = rng.sample([T, pw(T, 2), call("exp", T), call("cos", T), mul(Y, T)], 2)
    options: list[tuple[str, Callable[[], tuple[Node, Node, str]]]] = [
        ("power", lambda: (integral(pw(T, k), "t", num(0), X), div(pw(X, k + 1), num(k + 1)), "==")),
        ("linear-body", lambda: (integral(add(mul(Y, T), a), "t", num(0), X), add(div(mul(Y, pw(X, 2)), num(2)), mul(a, X)), "==")),
        ("cos", lambda: (integral(call("cos", T), "t", num(0), X), call("sin", X), "==")),
        ("exp-decay", lambda: (integral(call("exp", neg(mul(P, T))), "t", num(0), OO), div(num(1), P), "==")),
        ("gauss", lambda: (integral(call("exp", neg(pw(T, 2))), "t", neg(OO), OO), call("sqrt", const("pi")), "==")),
        ("lorentz", lambda: (integral(div(num(1), add(num(1), pw(T, 2))), "t", neg(OO), OO), const("pi"), "==")),
        ("gamma", lambda: (integral(mul(T, call("exp", neg(T))), "t", num(0), OO), num(1), "==")),
        ("log", lambda: (integral(div(num(1), T), "t", num(1), P), call("log", P), "==")),
        ("by-parts", lambda: (integral(mul(T, call("cos", T)), "t", num(0), X),
                              sub(add(mul(X, call("sin", X)), call("cos", X)), num(1)), "==")),
        ("sin-squared", lambda: (integral(pw(call("sin", T), 2), "t", num(0), const("pi")), div(const("pi"), num(2)), "==")),
        ("linearity", lambda: (integral(add(mul(a, f), mul(b, g)), "t", num(0), X),
                               add(mul(a, integral(f, "t", num(0), X)), mul(b, integral(g, "t", num(0), X))), "==")),
        ("split-range", lambda: (add(integral(f, "t", num(0), X), integral(f, "t", X, num(1))), integral(f, "t", num(0), num(1)), "==")),
        ("nonnegative", lambda: (num(0), integral(pw(sub(T, Y), 2), "t", num(0), P), "<=")),
        ("bounded", lambda: (integral(call("exp", neg(pw(T, 2))), "t", num(0), P), call("sqrt", const("pi")), "<")),
    ]
    name, make = rng.choice(options)
    prev, this, rel = make()
    if rel == "==":
        prev, this = _pair(prev, this, rng)
    return name, _doc(prev, this, pos, rel=rel)


def expectations_templates(rng: random.Random) -> tuple[str, Doc]:
    """Expectations and variances over the declared laws, with their closed forms, linearity and Jensen."""
    a = num(small(rng))
    m, sd, rate, q = var("m"), var("s"), P, var("q")
    symbols = {"m": "real", "s": "positive", "p": "positive", "q": "real", "y": "real"}
    lo, hi = sorted(rng.sample([Fraction(v) for v in (-2, -1, 0, 1, 2, 3)], 2))
    law = rng.choice(["Normal", "Uniform", "Exponential", "Bernoulli", "Laplace"])
    params = {"Normal": (m, sd), "Uniform": (num(lo), num(hi)), "Exponential": (rate,), "Bernoulli": (q,),
              "Laplace": (m, sd)}[law]
    mean = {"Normal": m, "Uniform": num((lo + hi) / 2), "Exponential": div(num(1), rate), "Bernoulli": q, "Laplace": m}[law]
    second = {"Normal": add(pw(m, 2), pw(sd, 2)), "Uniform": num((lo * lo + lo * hi + hi * hi) / 3),
              "Exponential": div(num(2), pw(rate, 2)), "Bernoulli": q, "Laplace": add(pw(m, 2), mul(num(2), pw(sd, 2)))}[law]
    variance = {"Normal": pw(sd, 2), "Uniform": num((hi - lo) ** 2 / 12), "Exponential": div(num(1), pw(rate, 2)),
                "Bernoulli": mul(q, sub(num(1), q)), "Laplace": mul(num(2), pw(sd, 2))}[law]

    def e(body: Node, var_: bool = False) -> Node:
        return expect(body, "t", law, *params, variance=var_)

    f, g = rng.sample([T, pw(T, 2), mul(Y, T), add(T, Y)], 2)
    i = var("i")
    options: list[tuple[str, Callable[[], tuple[Node, Node, str, dict[str, str]]]]] = [
        ("mean", lambda: (e(T), mean, "==", symbols)),
        ("second-moment", lambda: (e(pw(T, 2)), second, "==", symbols)),
        ("variance", lambda: (e(T, True), variance, "==", symbols)),
        ("variance-formula", lambda: (e(T, True), sub(e(pw(T, 2)), pw(e(T), 2)), "==", symbols)),
        ("linear", lambda: (e(add(mul(a, T), Y)), add(mul(a, mean), Y), "==", symbols)),
        ("linearity", lambda: (e(add(f, g)), add(e(f), e(g)), "==", symbols)),
        ("scaling", lambda: (e(mul(a, f)), mul(a, e(f)), "==", symbols)),
        ("jensen", lambda: (pw(e(T), 2), e(pw(T, 2)), "<=", symbols)),
        ("variance-nonnegative", lambda: (num(0), e(pw(sub(T, Y), 2)), "<=", symbols)),
        ("categorical-definition", lambda: (
            expect(pw(T, 2), "t", "Categorical", var("u"), N), ssum(mul(el("u", i), pw(i, 2)), "i", 1, N), "==",
            {"u": "real vector", "n": "positive integer", "y": "real"})),
        ("categorical-linearity", lambda: (
            expect(add(mul(a, T), mul(Y, pw(T, 2))), "t", "Categorical", var("u"), N),
            add(mul(a, expect(T, "t", "Categorical", var("u"), N)), mul(Y, expect(pw(T, 2), "t", "Categorical", var("u"), N))),
            "==", {"u": "real vector", "n": "positive integer", "y": "real"})),
    ]
    name, make = rng.choice(options)
    prev, this, rel, syms = make()
    if rel == "==":
        prev, this = _pair(prev, this, rng)
    used = free_names(prev) | free_names(this) | {"n"}
    return f"{law}:{name}" if "categorical" not in name else name, _doc(
        prev, this, {k: v for k, v in syms.items() if k in used or v.endswith("vector")}, rel=rel)


MATRIX_SYMBOLS = {"x": "vector n", "w": "vector n", "A": "matrix n n", "B": "matrix n n"}
MAX_MATRIX_SIZE = 5  # sized vectors and matrices are instantiated from 1 to this


def matrices_templates(rng: random.Random) -> tuple[str, Doc]:
    """Sized vectors and matrices: products, transposes, inner products, norms, traces, elements, inequalities."""
    x, w, A, B = mvar("x"), mvar("w"), mvar("A"), mvar("B")
    i, j = var("i"), var("j")
    c = num(small(rng))
    tr = lambda m: call("transpose", m)  # noqa: E731
    options: list[tuple[str, Callable[[], tuple[Node, Node, str]]]] = [
        ("quadratic-form", lambda: (matmul(matmul(tr(x), A), x),
                                    ssum(ssum(muls(el("x", i), el2("A", i, j), el("x", j)), "j", 1, N), "i", 1, N), "==")),
        ("norm-squared", lambda: (pw(call("norm", x), 2), call("dot", x, x), "==")),
        ("expand-distance", lambda: (call("dot", sub(x, w), sub(x, w)),
                                     add(sub(call("dot", x, x), mul(num(2), call("dot", x, w))), call("dot", w, w)), "==")),
        ("dot-symmetric", lambda: (call("dot", x, w), call("dot", w, x), "==")),
        ("dot-as-product", lambda: (call("dot", x, w), matmul(tr(x), w), "==")),
        ("bilinear", lambda: (matmul(matmul(tr(x), add(A, B)), w), add(matmul(matmul(tr(x), A), w), matmul(matmul(tr(x), B), w)), "==")),
        ("transpose-form", lambda: (matmul(matmul(tr(w), tr(A)), x), matmul(matmul(tr(x), A), w), "==")),
        ("adjoint", lambda: (call("dot", matmul(A, x), w), matmul(matmul(tr(x), tr(A)), w), "==")),
        ("trace-sum", lambda: (call("trace", add(A, B)), add(call("trace", A), call("trace", B)), "==")),
        ("trace-identity", lambda: (call("trace", add(A, call("eye", N))), add(call("trace", A), N), "==")),
        ("trace-scaled", lambda: (call("trace", mul(c, A)), mul(c, call("trace", A)), "==")),
        ("trace-transpose", lambda: (call("trace", tr(A)), call("trace", A), "==")),
        ("element", lambda: (entry(matmul(A, x), i), ssum(mul(el2("A", i, j), el("x", j)), "j", 1, N), "==")),
        ("element-sum", lambda: (entry(add(A, B), i, i), add(el2("A", i, i), el2("B", i, i)), "==")),
        ("scaled-dot", lambda: (call("dot", mul(c, x), w), mul(c, call("dot", x, w)), "==")),
        ("cauchy-schwarz", lambda: (pw(call("dot", x, w), 2), mul(call("dot", x, x), call("dot", w, w)), "<=")),
        ("triangle", lambda: (call("norm", add(x, w)), add(call("norm", x), call("norm", w)), "<=")),
        ("square-nonnegative", lambda: (num(0), call("dot", sub(x, w), sub(x, w)), "<=")),
        ("polarisation", lambda: (mul(num(4), call("dot", x, w)),
                                  sub(call("dot", add(x, w), add(x, w)), call("dot", sub(x, w), sub(x, w))), "==")),
    ]
    name, make = rng.choice(options)
    prev, this, rel = make()
    if rel == "==":
        prev, this = _pair(prev, this, rng)
    used = {str(k.args[0]) for t in (prev, this) for k in nodes(t) if k.op in ("mvar", "el", "el2")}
    symbols = {k: v for k, v in MATRIX_SYMBOLS.items() if k in used}
    if "i" in free_names(prev) | free_names(this):
        symbols["i"] = "index 1..n"
    return name, _doc(prev, this, symbols, rel=rel)


# named quantities (``define:``), derivatives through them ------------------------------------

# an inner quantity u of x and y: (its expression, d/dx, d/dy)
INNER: list[tuple[str, Callable[[Node], tuple[Node, Node, Node]]]] = [
    ("product-sine", lambda a: (add(mul(X, Y), call("sin", X)), add(Y, call("cos", X)), X)),
    ("square", lambda a: (add(pw(X, 2), Y), mul(num(2), X), num(1))),
    ("exp", lambda a: (mul(call("exp", mul(a, X)), Y), muls(a, call("exp", mul(a, X)), Y), call("exp", mul(a, X)))),
    ("ratio", lambda a: (div(X, add(num(1), pw(Y, 2))), div(num(1), add(num(1), pw(Y, 2))),
                         neg(div(muls(num(2), X, Y), pw(add(num(1), pw(Y, 2)), 2))))),
]
U = var("u")
# an outer quantity F of u and x: (its expression, dF/du holding x, dF/dx holding u)
OUTER: list[tuple[str, Callable[[Node], tuple[Node, Node, Node]]]] = [
    ("square", lambda a: (pw(U, 2), mul(num(2), U), num(0))),
    ("x-times", lambda a: (mul(X, U), X, U)),
    ("exp", lambda a: (call("exp", mul(a, U)), mul(a, call("exp", mul(a, U))), num(0))),
    ("log", lambda a: (call("log", add(num(1), pw(U, 2))), div(mul(num(2), U), add(num(1), pw(U, 2))), num(0))),
    ("sine", lambda a: (mul(call("sin", U), X), mul(call("cos", U), X), call("sin", U))),
    ("mixed", lambda a: (add(pw(U, 3), mul(a, X)), mul(num(3), pw(U, 2)), a)),
]
NAMED_SYMBOLS = {"z": "real vector", "y": "real vector", "n": "positive integer", "i": "index 1..n", "j": "index 1..n"}


def named_templates(rng: random.Random) -> tuple[str, Doc]:
    """``define:`` entries and derivatives through them: total, partial, the chain rule; a softmax family."""
    if rng.random() < 0.4:
        return softmax_templates(rng)
    a = num(small(rng))
    inner_name, inner = rng.choice(INNER)
    outer_name, outer = rng.choice(OUTER)
    u, du_dx, du_dy = inner(a)
    f, df_du, df_dx = outer(a)
    defines: dict[str, tuple[str | None, Node]] = {"u": (None, u), "F": (None, f)}
    big_f = var("F")
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("chain", lambda: (diff(big_f, "x"), add(mul(diff(big_f, "u"), diff(U, "x")), df_dx))),
        ("chain-written", lambda: (diff(big_f, "x"), add(mul(df_du, du_dx), df_dx))),
        ("chain-y", lambda: (diff(big_f, "y"), mul(diff(big_f, "u"), diff(U, "y")))),
        ("chain-y-written", lambda: (diff(big_f, "y"), mul(df_du, du_dy))),
        ("partial", lambda: (diff(big_f, "u"), df_du)),
        ("inner", lambda: (diff(U, "x"), du_dx)),
        ("second", lambda: (diff(diff(U, "x"), "y"), diff(du_dy, "x"))),
    ]
    if rng.random() < 0.3:
        # u under ``depends: {u: [x, y]}``: a function derivcheck does not know; the oracle evaluates it as a
        # concrete one it keeps to itself, so only steps true for every u (derivatives of u left as written) are right
        options = [(n, make) for n, make in options if n in ("chain", "chain-y", "partial")]
        name, make = rng.choice(options)
        prev, this = _pair(*make(), rng)
        return f"{outer_name}-of-depends:{name}", _doc(prev, this, {"x": "real", "y": "real"}, defines=defines,
                                                       depends=("u",))
    name, make = rng.choice(options)
    prev, this = _pair(*make(), rng)
    return f"{outer_name}-of-{inner_name}:{name}", _doc(prev, this, {"x": "real", "y": "real"}, defines=defines)


def softmax_templates(rng: random.Random) -> tuple[str, Doc]:
    """The softmax and the cross-entropy as authors define them, and their derivatives."""
    z, yv = "z", "y"
    k, c, d = var("k"), var("c"), var("d")
    i, j = var("i"), var("j")
    p = lambda idx: el("p", idx)  # noqa: E731
    defines: dict[str, tuple[str | None, Node]] = {
        "p": ("k", div(call("exp", el(z, k)), ssum(call("exp", el(z, d)), "d", 1, N))),
        "L": (None, neg(ssum(mul(el(yv, c), call("log", p(c))), "c", 1, N))),
    }
    big_l = var("L")
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("softmax-derivative", lambda: (diff(p(j), z, i), mul(p(j), sub(delta(i, j), p(i))))),
        ("loss-partial", lambda: (diff(big_l, "p", j), neg(div(el(yv, j), p(j))))),
        ("loss-chain", lambda: (diff(big_l, z, i), ssum(mul(diff(big_l, "p", j), diff(p(j), z, i)), "j", 1, N))),
        ("loss-gradient", lambda: (diff(big_l, z, i), sub(mul(p(i), ssum(el(yv, c), "c", 1, N)), el(yv, i)))),
        ("normalised", lambda: (ssum(p(k), "k", 1, N), num(1))),
        ("log-softmax", lambda: (call("log", p(i)), sub(el(z, i), call("log", ssum(call("exp", el(z, d)), "d", 1, N))))),
    ]
    name, make = rng.choice(options)
    prev, this = _pair(*make(), rng)
    return f"softmax:{name}", _doc(prev, this, dict(NAMED_SYMBOLS), defines=defines)


# vector calculus: grad, hessian, elementwise functions, Matrix literals -----------------------

VECTOR_FUNCTIONS: dict[str, tuple[tuple[str, ...], Node]] = {
    "sp": (("t",), call("log", add(num(1), call("exp", T)))),  # softplus
    "sg": (("t",), div(num(1), add(num(1), call("exp", neg(T))))),  # its derivative, the logistic sigmoid
    "ds": (("t",), div(call("exp", T), pw(add(num(1), call("exp", T)), 2))),  # the sigmoid's derivative
}


def vectors_templates(rng: random.Random) -> tuple[str, Doc]:
    """Gradients and Hessians in sized vectors, functions applied element by element, Matrix literals."""
    x, w, A = mvar("x"), mvar("w"), mvar("A")
    k, i = var("k"), var("i")
    c = num(small(rng))
    tr = lambda m: call("transpose", m)  # noqa: E731
    sized: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("grad-quadratic", lambda: (grad(div(call("dot", w, matmul(A, w)), num(2)), "w"),
                                    div(matmul(add(A, tr(A)), w), num(2)))),
        ("grad-linear", lambda: (grad(call("dot", x, w), "w"), x)),
        ("grad-norm", lambda: (grad(pw(call("norm", w), 2), "w"), mul(num(2), w))),
        ("grad-mixed", lambda: (grad(add(mul(c, call("dot", w, w)), call("dot", x, w)), "w"), add(mul(mul(num(2), c), w), x))),
        ("grad-elementwise", lambda: (grad(ssum(call("sp", el("w", k)), "k", 1, N), "w"), call("sg", w))),
        ("grad-exp", lambda: (grad(ssum(call("exp", el("w", k)), "k", 1, N), "w"), call("exp", w))),
        ("grad-logistic", lambda: (grad(ssum(call("sp", entry(matmul(A, w), k)), "k", 1, N), "w"),
                                   matmul(tr(A), call("sg", matmul(A, w))))),
        ("hessian-quadratic", lambda: (grad(call("dot", w, matmul(A, w)), "w", hessian=True), add(A, tr(A)))),
        ("hessian-outer", lambda: (grad(pw(call("dot", x, w), 2), "w", hessian=True), mul(num(2), matmul(x, tr(x))))),
        ("hessian-softplus", lambda: (grad(ssum(call("sp", el("w", k)), "k", 1, N), "w", hessian=True),
                                      call("diag", call("ds", w)))),
        ("elementwise-dot", lambda: (call("dot", x, call("exp", w)), ssum(mul(el("x", k), call("exp", el("w", k))), "k", 1, N))),
        ("elementwise-row", lambda: (entry(matmul(A, call("sg", w)), i), ssum(mul(el2("A", i, k), call("sg", el("w", k))), "k", 1, N))),
    ]
    a, b, cc, d = var("a"), var("b"), var("c"), var("d")
    m2 = matrix([[a, b], [cc, d]])
    literal: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("literal-product", lambda: (matmul(m2, matrix([[a], [cc]])),
                                     matrix([[add(pw(a, 2), mul(b, cc))], [add(mul(cc, a), mul(d, cc))]]))),
        ("literal-trace", lambda: (call("trace", m2), add(a, d))),
        ("literal-dot", lambda: (call("dot", matrix([[a], [b]]), matrix([[cc], [d]])), add(mul(a, cc), mul(b, d)))),
        ("literal-transpose", lambda: (tr(m2), matrix([[a, cc], [b, d]]))),
        ("literal-adjugate", lambda: (matmul(m2, matrix([[d, neg(b)], [neg(cc), a]])),
                                      mul(sub(mul(a, d), mul(b, cc)), call("eye", num(2))))),
        ("literal-norm", lambda: (pw(call("norm", matrix([[mul(num(3), a)], [mul(num(4), a)]])), 2), mul(num(25), pw(a, 2)))),
        ("literal-elementwise", lambda: (call("exp", matrix([[a], [b]])), matrix([[call("exp", a)], [call("exp", b)]]))),
        ("literal-scaled", lambda: (mul(c, matrix([[a, b], [cc, d]])), matrix([[mul(c, a), mul(c, b)], [mul(c, cc), mul(c, d)]]))),
    ]
    if rng.random() < 0.3:
        name, make = rng.choice(literal)
        prev, this = _pair(*make(), rng)
        return name, _doc(prev, this, {"a": "real", "b": "real", "c": "real", "d": "real"})
    name, make = rng.choice(sized)
    prev, this = _pair(*make(), rng)
    used = {str(k.args[0]) for t in (prev, this) for k in nodes(t) if k.op in ("mvar", "el", "el2")} | {"w"}
    symbols = {k: v for k, v in MATRIX_SYMBOLS.items() if k in used}
    if "i" in free_names(prev) | free_names(this):
        symbols["i"] = "index 1..n"
    called = {str(k.args[0]) for t in (prev, this) for k in nodes(t) if k.op == "call"}
    return name, _doc(prev, this, symbols, functions={f: VECTOR_FUNCTIONS[f] for f in sorted(called & set(VECTOR_FUNCTIONS))})


# divergences between declared laws -----------------------------------------------------------

def divergences_templates(rng: random.Random) -> tuple[str, Doc]:
    """KL(P, Q) between declared laws against closed forms the oracle derives itself (and KL >= 0)."""
    m, q, s, p = var("m"), var("q"), var("s"), P
    lo, hi = sorted(rng.sample([Fraction(v) for v in (-2, -1, 0, 1, 2, 3)], 2))
    dm = sub(m, q)
    half_log_2pi = div(call("log", mul(num(2), const("pi"))), num(2))
    e_abs = add(muls(s, call("sqrt", div(num(2), const("pi"))), call("exp", neg(div(pw(dm, 2), mul(num(2), pw(s, 2)))))),
                mul(dm, call("erf", div(dm, mul(call("sqrt", num(2)), s)))))  # E|X - q| for X ~ Normal(m, s)
    normal, laplace = ("Normal", (m, s)), ("Laplace", (m, s))
    width = num(hi - lo)
    third = div(sub(pw(sub(num(hi), q), 3), pw(sub(num(lo), q), 3)), mul(num(3), width))  # E(X - q)^2, X ~ U(lo, hi)
    options: list[tuple[str, Callable[[], tuple[Node, Node, str]]]] = [
        ("normal-normal", lambda: (kl(normal, ("Normal", (q, p))),
                                   sub(add(call("log", div(p, s)), div(add(pw(s, 2), pw(dm, 2)), mul(num(2), pw(p, 2)))),
                                       num(Fraction(1, 2))), "==")),
        ("exponential-exponential", lambda: (kl(("Exponential", (s,)), ("Exponential", (p,))),
                                             sub(add(call("log", div(s, p)), div(p, s)), num(1)), "==")),
        ("laplace-laplace", lambda: (kl(laplace, ("Laplace", (q, p))),
                                     adds(call("log", div(p, s)), div(call("abs", dm), p),
                                          mul(div(s, p), call("exp", neg(div(call("abs", dm), s)))), neg(num(1))), "==")),
        ("laplace-normal", lambda: (kl(laplace, ("Normal", (q, p))),
                                    adds(call("log", p), half_log_2pi, div(add(mul(num(2), pw(s, 2)), pw(dm, 2)), mul(num(2), pw(p, 2))),
                                         neg(num(1)), neg(call("log", mul(num(2), s)))), "==")),
        ("normal-laplace", lambda: (kl(normal, ("Laplace", (q, p))),
                                    adds(call("log", mul(num(2), p)), div(e_abs, p), neg(num(Fraction(1, 2))),
                                         neg(call("log", s)), neg(half_log_2pi)), "==")),
        ("exponential-normal", lambda: (kl(("Exponential", (s,)), ("Normal", (q, p))),
                                        adds(call("log", s), neg(num(1)), call("log", p), half_log_2pi,
                                             div(add(sub(div(num(2), pw(s, 2)), div(mul(num(2), q), s)), pw(q, 2)),
                                                 mul(num(2), pw(p, 2)))), "==")),
        ("uniform-normal", lambda: (kl(("Uniform", (num(lo), num(hi))), ("Normal", (q, p))),
                                    adds(neg(call("log", width)), call("log", p), half_log_2pi, div(third, mul(num(2), pw(p, 2)))),
                                    "==")),
        ("self", lambda: (kl(normal, normal), num(0), "==")),
        ("nonnegative", lambda: (num(0), kl(laplace, ("Normal", (q, p))), "<=")),
    ]
    uu, vv = var("u"), var("v")
    discrete: list[tuple[str, Callable[[], tuple[Node, Node, str]]]] = [
        ("bernoulli", lambda: (kl(("Bernoulli", (uu,)), ("Bernoulli", (vv,))),
                               adds(mul(uu, call("log", uu)), neg(mul(uu, call("log", vv))),
                                    mul(sub(num(1), uu), call("log", sub(num(1), uu))),
                                    neg(mul(sub(num(1), uu), call("log", sub(num(1), vv))))), "==")),
        ("categorical", lambda: (kl(("Categorical", (uu, N)), ("Categorical", (vv, N))),
                                 ssum(mul(el("u", var("k")), call("log", div(el("u", var("k")), el("v", var("k"))))), "k", 1, N),
                                 "==")),
    ]
    if rng.random() < 0.25:
        name, make = rng.choice(discrete)
        prev, this, rel = make()
        prev, this = _pair(prev, this, rng)
        if name == "bernoulli":
            conds = tuple(Cond(v, r, num(b)) for v in (uu, vv) for r, b in ((">", 0), ("<", 1)))
            return name, _doc(prev, this, {"u": "real", "v": "real"}, assume=conds)
        return name, _doc(prev, this, {"u": "positive vector", "v": "positive vector", "n": "positive integer"})
    name, make = rng.choice(options)
    prev, this, rel = make()
    if rel == "==":
        prev, this = _pair(prev, this, rng)
    used = free_names(prev) | free_names(this)
    symbols = {k: v for k, v in {"m": "real", "q": "real", "s": "positive", "p": "positive"}.items() if k in used}
    return name, _doc(prev, this, symbols, rel=rel)


# antiderivatives (up to a constant) and integrals decided by quadrature ------------------------

def antiderivatives_templates(rng: random.Random) -> tuple[str, Doc]:
    """``Integral(f, x)`` against an antiderivative (right up to a constant); constant integrals without a
    closed form compared across a substitution (derivcheck's quadrature)."""
    a, b = num(small(rng)), num(small(rng))
    k = rng.choice([1, 2, 3])
    big_c = var("C")
    anti = lambda f: antiderivative(f, "x")  # noqa: E731
    f, g = rng.sample([X, pw(X, 2), call("exp", X), call("cos", X), mul(Y, X)], 2)
    options: list[tuple[str, Callable[[], tuple[Node, Node]]]] = [
        ("chain", lambda: (anti(muls(num(2), X, call("cos", pw(X, 2)))), add(call("sin", pw(X, 2)), big_c))),
        ("by-parts", lambda: (anti(mul(X, call("exp", X))), mul(sub(X, num(1)), call("exp", X)))),
        ("cos-squared", lambda: (anti(pw(call("cos", X), 2)), add(div(X, num(2)), div(call("sin", mul(num(2), X)), num(4))))),
        ("atan", lambda: (anti(div(num(1), add(num(1), pw(X, 2)))), call("atan", X))),
        ("power", lambda: (anti(mul(Y, pw(X, k))), div(mul(Y, pw(X, k + 1)), num(k + 1)))),
        ("exp-scaled", lambda: (anti(call("exp", mul(a, X))), div(call("exp", mul(a, X)), a))),
        ("x-cos", lambda: (anti(mul(X, call("cos", X))), add(mul(X, call("sin", X)), call("cos", X)))),
        ("tanh", lambda: (anti(call("tanh", X)), call("log", call("cosh", X)))),
        ("linearity", lambda: (anti(add(mul(a, f), mul(b, g))), add(mul(a, anti(f)), mul(b, anti(g))))),
        ("constant-shift", lambda: (anti(mul(a, call("sin", X))), sub(num(7), mul(a, call("cos", X))))),
    ]
    quadrature: list[tuple[str, Callable[[Node], tuple[Node, Node]]]] = [
        ("scale", lambda h: (integral(h, "t", num(0), num(2)),
                             mul(num(2), integral(rename_t(h, mul(num(2), T)), "t", num(0), num(1))))),
        ("reflect", lambda h: (integral(h, "t", num(0), num(1)), integral(rename_t(h, sub(num(1), T)), "t", num(0), num(1)))),
        ("fold", lambda h: (integral(h, "t", neg(num(1)), num(1)), integral(add(h, rename_t(h, neg(T))), "t", num(0), num(1)))),
    ]
    if rng.random() < 0.25:
        body = rng.choice([call("sqrt", add(num(1), pw(T, 4))), mul(call("exp", neg(pw(T, 3))), call("cos", T)),
                           div(num(1), add(num(2), call("sin", pw(T, 2)))), call("cos", add(T, pw(T, 3)))])
        name, qmake = rng.choice(quadrature)
        prev, this = _pair(*qmake(body), rng)
        return f"quadrature-{name}", Doc(symbols={}, prev=prev, this=this)
    name, make = rng.choice(options)
    prev, this = _pair(*make(), rng)
    used = free_names(prev) | free_names(this)
    symbols = {k: "real" for k in ("x", "y", "C") if k in used}
    return name, _doc(prev, this, symbols, antiderivative_in="x")


def rename_t(tree: Node, value: Node) -> Node:
    """``tree`` with the integration variable ``t`` replaced by ``value``."""
    if tree.op == "var" and tree.args[0] == "t":
        return value
    return Node(tree.op, tuple(rename_t(a, value) if isinstance(a, Node) else a for a in tree.args))


def free_names(tree: Node) -> set[str]:
    """The names of ``var`` leaves not bound by an enclosing sum, product, limit, integral or expectation."""
    if tree.op == "var":
        return {str(tree.args[0])}
    found = set().union(*(free_names(k) for k in tree.kids())) if tree.kids() else set()
    if tree.op in ("sum", "prod", "limit", "integral", "expect", "variance"):
        body = tree.args[0]
        assert isinstance(body, Node)
        others = set().union(*(free_names(k) for k in tree.kids()[1:])) if len(tree.kids()) > 1 else set()
        found = (free_names(body) - {str(tree.args[1])}) | others
    return found


TEMPLATES: dict[str, Callable[[random.Random], tuple[str, Doc]]] = {
    "limits": limits_templates, "integrals": integrals_templates,
    "expectations": expectations_templates, "matrices": matrices_templates,
    "eq": eq_templates, "split": split_templates, "cond": cond_templates, "ineq": ineq_templates,
    "sums": sums_templates, "latex": latex_templates, "numbers": numbers_templates,
    "stability": stability_templates, "named": named_templates, "vectors": vectors_templates,
    "divergences": divergences_templates, "antiderivatives": antiderivatives_templates,
}


# ------------------------------------------------------------------------------------------
# single-edit mutations

SWAPS = {"max": "min", "min": "max", "sin": "cos", "cos": "sin", "exp": "log", "log": "exp",
         "sinh": "cosh", "cosh": "sinh", "tanh": "sin"}


def _edit_nodes(tree: Node, pred: Callable[[Node], bool]) -> list[int]:
    return [k for k, n in enumerate(nodes(tree)) if pred(n)]


def mutate_tree(rng: random.Random, tree: Node, doc: Doc) -> tuple[str, Node] | None:
    """One random single edit of ``tree``, or None when none applies."""
    all_nodes = nodes(tree)
    edits: list[tuple[str, Callable[[], Node]]] = []

    def at(pred: Callable[[Node], bool], make: Callable[[Node], Node]) -> Callable[[], Node] | None:
        spots = _edit_nodes(tree, pred)
        if not spots:
            return None
        spot = rng.choice(spots)
        return lambda: replace_at(tree, spot, make(all_nodes[spot]))

    def flip_sign(n: Node) -> Node:
        if n.op == "add":
            return Node("sub", n.args)
        if n.op == "sub":
            return Node("add", n.args)
        return n.kids()[0]

    candidates: list[tuple[str, Callable[[], Node] | None]] = [
        ("sign", at(lambda n: n.op in ("add", "sub", "neg"), flip_sign)),
        ("negate", at(lambda n: n.op in ("var", "el", "call"), neg)),
        ("exponent", at(lambda n: n.op == "pow" and n.kids()[1].op == "num",
                        lambda n: pw(n.kids()[0], number_of(n.kids()[1]) + 1))),
        ("constant", at(lambda n: n.op == "num", lambda n: num(number_of(n) + 1))),
        ("drop-term", at(lambda n: n.op in ("add", "sub"), lambda n: n.kids()[rng.randrange(2)])),
        ("function", at(lambda n: n.op == "call" and str(n.args[0]) in SWAPS,
                        lambda n: Node("call", (SWAPS[str(n.args[0])], *n.args[1:])))),
        ("abs-dropped", at(lambda n: n.op == "call" and n.args[0] == "abs", lambda n: n.kids()[0])),
        ("bound", at(lambda n: n.op in ("sum", "prod"),
                     lambda n: Node(n.op, (n.args[0], n.args[1], n.args[2],
                                           add(child(n, 3), num(rng.choice([1, -1]))))))),
        ("low-bound", at(lambda n: n.op in ("sum", "prod"),
                         lambda n: Node(n.op, (n.args[0], n.args[1], add(child(n, 2), num(1)), n.args[3])))),
        ("vmax-vmin", at(lambda n: n.op in ("vmax", "vmin"),
                         lambda n: Node("vmin" if n.op == "vmax" else "vmax", n.args))),
        # (not beside a constant integral: derivcheck's quadrature claims agreement to 1e-15 only, as documented)
        ("tiny", (lambda: add(tree, pw(num(10), neg(num(30))))) if rng.random() < 0.15 and doc.symbols else None),
    ]
    names = sorted({str(n.args[0]) for n in all_nodes if n.op == "var"} - {"n", "k", "i", "j", *BOUND_NAMES}
                   - {str(n.args[0]) for n in all_nodes if n.op == "var" and doc.symbols.get(str(n.args[0]), "").endswith("vector")})
    wholes = sorted({str(n.args[0]) for n in all_nodes if n.op == "mvar"})
    for kind in ("vector", "matrix"):
        same = [w for w in wholes if doc.symbols.get(w, "").split()[0:1] == [kind]]
        others = [w for w in MATRIX_SYMBOLS if MATRIX_SYMBOLS[w].startswith(kind) and w not in same]
        if same and (len(same) >= 2 or others):
            a, b = (rng.sample(same, 2) if len(same) >= 2 else (same[0], others[0]))
            candidates.append((f"swap-{kind}", lambda a=a, b=b: rename(tree, {a: b, b: a})))
    candidates.append(("transpose", at(lambda n: n.op == "mvar" and MATRIX_SYMBOLS.get(str(n.args[0]), "").startswith("matrix"),
                                       lambda n: call("transpose", n))))
    candidates.append(("limit-side", at(lambda n: n.op == "limit" and n.args[3] != "",
                                        lambda n: Node("limit", (*n.args[:3], "+" if n.args[3] == "-" else "-")))))
    candidates.append(("limit-point", at(lambda n: n.op == "limit" and n.args[2] != OO,
                                         lambda n: Node("limit", (n.args[0], n.args[1], add(child(n, 2), num(1)), n.args[3])))))
    candidates.append(("integral-bound", at(lambda n: n.op == "integral" and child(n, 3) != OO,
                                            lambda n: Node("integral", (*n.args[:3], add(child(n, 3), num(1)))))))
    candidates.append(("law-parameter", at(lambda n: n.op in ("expect", "variance") and n.args[2] != "Categorical",
                                           lambda n: Node(n.op, (*n.args[:3], add(child(n, 3), num(1)), *n.args[4:])))))
    if len(names) >= 2:
        a, b = rng.sample(names, 2)
        candidates.append(("swap", lambda: rename(tree, {a: b, b: a})))
    vectors = sorted({str(n.args[0]) for n in all_nodes if n.op == "el"})
    if len(vectors) >= 2:
        candidates.append(("swap-vectors", lambda: rename(tree, {vectors[0]: vectors[1], vectors[1]: vectors[0]})))
    indices = sorted({str(child(n, 1).args[0]) for n in all_nodes if n.op == "el" and child(n, 1).op == "var"})
    if "k" in doc.symbols and indices:
        candidates.append(("index", at(lambda n: n.op == "el" and child(n, 1).op == "var",
                                       lambda n: el(str(n.args[0]), var("k" if child(n, 1).args[0] != "k" else "n")))))
    edits = [(name, make) for name, make in candidates if make is not None]
    if not edits:
        return None
    name, make = rng.choice(edits)
    return name, make()


def mutate(rng: random.Random, doc: Doc) -> tuple[str, Doc] | None:
    """A single edit of the document: of its step, its relation, a condition, a claim."""
    if doc.number is not None:
        return mutate_number(rng, doc)
    if doc.stability is not None:
        claim = doc.stability
        if rng.random() < 0.6:
            return "claim-flipped", replace(doc, stability=replace(claim, stable=not claim.stable))
        lo, hi = claim.over[1], claim.over[2]
        return "range", replace(doc, stability=replace(claim, over=(claim.over[0], lo * 10 if lo < 0 else lo, hi * 10 if hi > 0 else hi)))
    assert doc.this is not None and doc.prev is not None
    roll = rng.random()
    if doc.rel != "==" and roll < 0.25:
        strictness = {"<=": "<", "<": "<=", ">=": ">", ">": ">="}
        if rng.random() < 0.7:
            return "strictness", replace(doc, rel=strictness[doc.rel])
        turn = {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}
        return "direction", replace(doc, rel=turn[doc.rel])
    if (doc.assume or doc.when) and roll < 0.4:
        turn = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
        conds = list(doc.assume or doc.when)
        k = rng.randrange(len(conds))
        cond = conds[k]
        if cond.rel in turn:
            conds[k] = replace(cond, rel=turn[cond.rel])
            edit = "condition-turned"
        else:
            conds.pop(k)
            edit = "condition-dropped"
        return edit, replace(doc, assume=tuple(conds)) if doc.assume else replace(doc, when=tuple(conds))
    if roll < 0.5 and any(w in ("positive", "negative", "nonnegative", "integer") for w in doc.symbols.values()):
        names = [n for n, w in doc.symbols.items() if w in ("positive", "negative", "nonnegative", "integer")]
        name = rng.choice(names)
        return "word", replace(doc, symbols=dict(doc.symbols, **{name: "real"}))
    result = mutate_tree(rng, doc.this, doc)
    if result is None:
        return None
    edit, this = result
    if this == doc.this:
        return None
    wholes = {str(n.args[0]) for n in nodes(this) if n.op in ("mvar", "el", "el2")} & set(MATRIX_SYMBOLS)
    in_gradients = {str(n.args[1]) for n in nodes(this) if n.op in ("grad", "hessian")}
    if sized_shapes(doc) and wholes | in_gradients:  # a swapped-in vector or matrix is declared like the others
        missing = {w: MATRIX_SYMBOLS[w] for w in sorted(wholes) if w not in doc.symbols}
        doc = replace(doc, symbols={**doc.symbols, **missing})
    return edit, replace(doc, this=this)


def mutate_number(rng: random.Random, doc: Doc) -> tuple[str, Doc] | None:
    claim = doc.number
    assert claim is not None

    def shifted(text: str, units: int) -> str:
        if "." in text:
            places = len(text.split(".")[1].split("e")[0])
            value = Fraction(text) + Fraction(units, 10**places)
            return decimal_text(mpmath.mpf(value.numerator) / value.denominator, places)
        return f"{text} + 10**-30" if units == 1 else str(Fraction(text) + units)

    units = rng.choice([2, 3, -2, 1])
    if claim.tol_text is not None and not isinstance(claim.claim_text, list):
        tol = Fraction(claim.tol_text) if claim.tol_text != "pi/1000" else Fraction(315, 100000)
        value = Fraction(claim.claim_text) + units * tol
        text = decimal_text(mpmath.mpf(value.numerator) / value.denominator, 8)
        return "claim-shifted", replace(doc, number=replace(claim, claim_text=text))
    if isinstance(claim.claim_text, list):
        k = rng.randrange(len(claim.claim_text))
        texts = list(claim.claim_text)
        texts[k] = shifted(texts[k], units)
        return "claim-shifted", replace(doc, number=replace(claim, claim_text=texts))
    if rng.random() < 0.2 and claim.at:
        name = rng.choice(sorted(claim.at))
        given = claim.at[name]
        if isinstance(given, Fraction):
            return "at-shifted", replace(doc, number=replace(claim, at=dict(claim.at, **{name: given + 1})))
    return "claim-shifted", replace(doc, number=replace(claim, claim_text=shifted(claim.claim_text, units)))


# ------------------------------------------------------------------------------------------
# sampling points that honour words, conditions and sizes


SIMPLE = [Fraction(v) for v in (0, 1, -1, 2, -2, 3, -3)] + [Fraction(1, 2), Fraction(-1, 2), Fraction(3, 2), Fraction(-3, 2)]


def _sample_real(rng: random.Random, word: str, specials: Sequence[Fraction]) -> Fraction:
    roll = rng.random()
    if roll < 0.35:
        value = rng.choice(SIMPLE + list(specials))
    elif roll < 0.85:
        value = Fraction(rng.randint(-400, 400), rng.choice([7, 10, 16, 20, 100]))
    else:
        value = Fraction(rng.randint(-60, 60)) * rng.choice([1, 3, 7])
    if word == "integer":
        return Fraction(round(value))
    if word == "positive":
        return abs(value) if value != 0 else Fraction(1, 3)
    if word == "nonnegative":
        return abs(value)
    if word == "negative":
        return -abs(value) if value != 0 else Fraction(-2, 3)
    return value


def index_range(doc: Doc, name: str, size: int) -> range:
    """The values of an index declared ``index lo..hi`` (``hi`` a number or the size ``n``); else 1..size."""
    words = doc.symbols.get(name, "")
    found = re.fullmatch(r"index\s+(-?\d+)\.\.(\w+)", words)
    if found is None:
        return range(1, size + 1)
    hi = found.group(2)
    return range(int(found.group(1)), (size if hi == "n" else int(hi)) + 1)


def _sample_element(rng: random.Random, doc: Doc, vector: str, word: str, specials: Sequence[Fraction],
                    k: int, size: int) -> Fraction:
    """Element ``k`` of a vector, drawn mostly inside a per-element condition on it when ``k`` is in the
    condition's index range (a condition ``for every c`` says nothing about the elements outside it)."""
    for cond in doc.assume + doc.when:
        if cond.every and k not in index_range(doc, cond.every, size):
            continue
        if cond.every and cond.lhs.op == "el" and cond.lhs.args[0] == vector and rng.random() < 0.9:
            if cond.rel == "in":
                return rng.choice(cond.values)
            if cond.rel in (">=", ">") and cond.rhs == num(0):
                return abs(_sample_real(rng, word, specials)) or Fraction(1, 2)
    return _sample_real(rng, word, specials)


def _sample_complex(rng: random.Random) -> mpmath.mpc:
    roll = rng.random()
    re_part = Fraction(rng.randint(-30, 30), 10)
    im_part = Fraction(rng.randint(-30, 30), 10)
    if roll < 0.2:
        im_part = Fraction(0)
        re_part = -abs(re_part) - 1  # the negative real axis
    elif roll < 0.35:
        re_part = Fraction(0)
    elif roll < 0.45:
        im_part = Fraction(rng.choice([1, -1, 2, 3])) * rng.choice([1, 1, 2])  # multiples of i: exp(i*pi)-like points
    return mpmath.mpc(mpmath.mpf(re_part.numerator) / re_part.denominator, mpmath.mpf(im_part.numerator) / im_part.denominator)


def specials_of(doc: Doc) -> list[Fraction]:
    """Constants written in the document and their negatives: values where breakpoints sit."""
    out: set[Fraction] = set()
    trees = [t for t in (doc.prev, doc.this) if t is not None] + [c.lhs for c in doc.assume + doc.when] + \
        [c.rhs for c in doc.assume + doc.when if c.rhs is not None]
    for t in trees:
        for n in nodes(t):
            if n.op == "num":
                value = n.args[0]
                assert isinstance(value, Fraction)
                if value.denominator < 100 and abs(value) < 100:
                    out.update({value, -value, value / 2, value / 3, -value / 2, -value / 3})
                    # just beside them: where a pole or a breakpoint at +-value changes the picture
                    out.update({v + d for v in (value, -value) for d in (Fraction(1, 10), Fraction(-1, 10), Fraction(1, 100), Fraction(-1, 100))})
    return sorted(out)


TRIG = ("sin", "cos", "tan")


def has_trig(doc: Doc) -> bool:
    """Whether a step's sides call sin/cos/tan: their extrema sit at multiples of pi/2."""
    trees = [t for t in (doc.prev, doc.this) if t is not None]
    return any(n.op == "call" and n.args[0] in TRIG for t in trees for n in nodes(t))


def _pi_multiple(rng: random.Random) -> mpmath.mpf:
    return mpmath.pi * rng.choice([-3, -2, -1, 1, 2, 3]) / 2


def _fits_word(value: Fraction, word: str) -> bool:
    return {"positive": value > 0, "negative": value < 0, "nonnegative": value >= 0}.get(word, True)


def draw_point(rng: random.Random, doc: Doc, specials: Sequence[Fraction], fixed: Fraction | None = None) -> Point:
    """A random point: symbols by their words, sizes from their least value to MAX_SIZE, vectors element-wise.

    With ``fixed``, every real symbol and every vector element takes that one value where its word
    allows it (a boundary point: where the sides meet or a branch switches).
    """
    trig = has_trig(doc)
    scalars: dict[str, Value] = {}
    vectors: dict[str, dict[int, Value]] = {}
    sizes = {name: words for name, words in doc.symbols.items() if "integer" in words and name == "n"}
    for name, words in sizes.items():
        low = 1 if "positive" in words else 0
        scalars[name] = Fraction(rng.randint(low, MAX_SIZE))
    shapes = sized_shapes(doc)
    matrices: dict[str, dict[tuple[int, int], Value]] = {}
    for size in sorted({s for shape in shapes.values() for s in shape if not s.isdigit()}):
        scalars[size] = Fraction(rng.randint(1, MAX_MATRIX_SIZE))
    same = rng.random() < 0.15  # several symbols at one value: where x - y changes sign
    shared = _sample_real(rng, "real", specials)
    for name, words in doc.symbols.items():
        if name in scalars:
            continue
        if name in shapes:
            rows, cols = (int(scalars[d]) if not d.isdigit() else int(d) for d in shapes[name])
            pick = (lambda: fixed) if fixed is not None else (lambda: _sample_real(rng, "real", specials))
            if cols == 1 and shapes[name][1] == "1":
                vectors[name] = {k: pick() for k in range(1, rows + 1)}
            else:
                matrices[name] = {(i, j): pick() for i in range(1, rows + 1) for j in range(1, cols + 1)}
            continue
        if fixed is not None and (words.endswith("vector") or words in ("real", "positive", "negative", "nonnegative")) \
                and _fits_word(fixed, words.split()[0]):
            if words.endswith("vector"):
                vectors[name] = dict.fromkeys(VECTOR_SPAN, fixed)
            else:
                scalars[name] = fixed
        elif words.endswith("vector"):
            size = int(scalars.get("n", Fraction(MAX_SIZE)))
            vectors[name] = {k: _sample_element(rng, doc, name, words.split()[0], specials, k, size) for k in VECTOR_SPAN}
        elif words == "complex":
            scalars[name] = _sample_complex(rng)
        elif words.startswith("index"):
            hi = scalars.get("n", Fraction(MAX_SIZE))
            scalars[name] = Fraction(rng.randint(1, max(1, int(hi))))
        else:
            value: Value = _sample_real(rng, words, specials)
            if same and words == "real":
                value = shared
            elif trig and words == "real" and rng.random() < 0.15:
                value = _pi_multiple(rng)  # a tie there leaves a strict relation undecided: dropped, not guessed
            scalars[name] = value
    return Point(scalars, vectors, matrices, shapes)


def sized_shapes(doc: Doc) -> dict[str, tuple[str, str]]:
    """The shapes of the vectors and matrices declared with sizes (``vector n``, ``matrix n d``)."""
    out: dict[str, tuple[str, str]] = {}
    for name, words in doc.symbols.items():
        parts = words.split()
        if parts and parts[0] == "real":
            parts = parts[1:]
        if len(parts) == 2 and parts[0] == "vector":
            out[name] = (parts[1], "1")
        elif len(parts) == 3 and parts[0] == "matrix":
            out[name] = (parts[1], parts[2])
    return out


def holds(cond: Cond, point: Point) -> bool:
    """Whether the condition holds at the point (Undefined / Tie when it cannot be told)."""
    if cond.every:
        size = int(point.scalars["n"])
        return all(holds(replace(cond, lhs=_bind(cond.lhs, cond.every, k), every=None), point)
                   for k in range(1, size + 1))
    lhs = evaluate(cond.lhs, point, DPS)
    if cond.rel == "in":
        return any(_compare(lhs, v) == 0 for v in cond.values)
    assert cond.rhs is not None
    c = _compare(lhs, evaluate(cond.rhs, point, DPS))
    return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "==": c == 0, "!=": c != 0}[cond.rel]


def _bind(tree: Node, name: str, k: int) -> Node:
    if tree.op == "var" and tree.args[0] == name:
        return num(k)
    return Node(tree.op, tuple(_bind(a, name, k) if isinstance(a, Node) else a for a in tree.args))


def _compare(a: Value, b: Value) -> int:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return (a > b) - (a < b)
    d = mpmath.mpf(0) + a - b
    if isinstance(d, mpmath.mpc):
        if abs(d.imag) > mpmath.mpf(10) ** (-DPS + 10):
            raise Undefined("an order of complex values")
        d = d.real
    if abs(d) < mpmath.mpf(10) ** (-DPS + 12):
        raise Tie("a condition at a tie")
    return 1 if d > 0 else -1


BOUNDARY_VALUES = [Fraction(v) for v in (0, 1, -1)] + [Fraction(1, 2), Fraction(-1, 2), Fraction(2), Fraction(-2)]
MAX_BOUNDARY = 16  # boundary points (every symbol at one value) tried before the random ones


def boundary_values(specials: Sequence[Fraction]) -> list[Fraction]:
    """The values every symbol takes at once at the boundary points: simple values, then the document's constants."""
    out = list(BOUNDARY_VALUES)
    for v in specials:
        if v not in out:
            out.append(v)
    return out[:MAX_BOUNDARY]


QUADRATURES = ("integral", "expect", "variance")
HEAVY_POINTS = (6, 3, 6)  # points wanted, boundary points, fewest points: a side with a quadrature in it
QUAD_TIE_RESOLUTION = mpmath.mpf(10) ** -40  # quadratures carry at most 60 digits (oracle_tree.QUAD_DPS)


def has_quadrature(doc: Doc) -> bool:
    """Whether a side needs numerical quadrature (an integral, or an expectation of a continuous law)."""
    return any(n.op in QUADRATURES and (n.op == "integral" or n.args[2] not in ("Bernoulli", "Categorical"))
               or n.op == "kl" and n.args[0] not in ("Bernoulli", "Categorical")
               for t in (doc.prev, doc.this) if t is not None for n in nodes(t))


def is_heavy(doc: Doc) -> bool:
    """Whether every value of a side is costly: a quadrature, or a Hessian (second differences per element)."""
    return has_quadrature(doc) or any(n.op == "hessian" for t in (doc.prev, doc.this) if t is not None for n in nodes(t))


def tie_resolution(doc: Doc) -> mpmath.mpf:
    """Below this noise two equal-looking values are a tie: coarser where the sides need quadrature."""
    return QUAD_TIE_RESOLUTION if has_quadrature(doc) else TIE_RESOLUTION


def admissible_points(rng: random.Random, doc: Doc, want: int = LABEL_POINTS) -> Iterator[Point]:
    """Points allowed by the words and conditions: the boundary points always, then random ones."""
    specials = specials_of(doc)
    found = 0
    fixed_values: list[Fraction | None] = list(boundary_values(specials))
    if is_heavy(doc):
        want, boundary, _ = HEAVY_POINTS
        fixed_values = fixed_values[:boundary]
    for attempt in range(MAX_TRIES + len(fixed_values)):
        if found >= want + len(fixed_values):
            return
        fixed = fixed_values[attempt] if attempt < len(fixed_values) else None
        point = draw_point(rng, doc, specials, fixed)
        try:
            if not all(holds(c, point) for c in doc.assume + doc.when):
                continue
        except (Undefined, Tie, ZeroDivisionError, ValueError):
            continue
        found += 1
        yield point


# ------------------------------------------------------------------------------------------
# labelling


@dataclass(frozen=True)
class Comparison:
    """At one point: ``sign`` of this - previous (0 exact or a tie), or ``nonreal``."""

    sign: int
    exact: bool
    nonreal: bool = False
    tie: bool = False


def _difference(doc: Doc, point: Point, dps: int) -> tuple[Value, Value, mpmath.mpf] | None:
    """(previous, this, noise): both sides at ``dps`` digits and the size below which their difference is noise."""
    assert doc.prev is not None and doc.this is not None
    try:
        a, peak_a = evaluate_with_peak(doc.prev, point, dps, doc.functions, doc.defines)
        b, peak_b = evaluate_with_peak(doc.this, point, dps, doc.functions, doc.defines)
    except (Undefined, Tie, ZeroDivisionError, ValueError, OverflowError):
        return None
    if isinstance(a, Mat) or isinstance(b, Mat):
        found = _farthest_elements(a, b)
        if found is None:
            return None
        a, b = found
    with mpmath.workdps(dps):
        scale = max(mpmath.mpf(1), peak_a, peak_b, abs(mpmath.mpf(0) + a), abs(mpmath.mpf(0) + b))
        return a, b, scale * mpmath.mpf(10) ** (-dps + 15)


def _farthest_elements(a: Value, b: Value) -> tuple[Value, Value] | None:
    """Two vectors or matrices of one shape: the pair of elements that differ most (None: not comparable)."""
    if not (isinstance(a, Mat) and isinstance(b, Mat)) or len(a.rows) != len(b.rows) or \
            any(len(ra) != len(rb) for ra, rb in zip(a.rows, b.rows)):
        return None
    pairs = [(x, y) for ra, rb in zip(a.rows, b.rows) for x, y in zip(ra, rb)]
    if not pairs:
        return None
    exact = all(isinstance(x, Fraction) and isinstance(y, Fraction) for x, y in pairs)
    if exact:
        return next(((x, y) for x, y in pairs if x != y), pairs[0])
    return max(pairs, key=lambda xy: abs(mpmath.mpf(0) + xy[1] - xy[0]))


def compare_at(doc: Doc, point: Point) -> Comparison | None:
    """Both sides at the point (None where a side has no value or the precisions disagree).

    Exact where every operation is rational. Otherwise at 50 then 100 digits
    (250, 500, 1000 to settle a disagreement): a difference counts when it
    stands above the noise of the largest intermediate value at two levels and
    the levels agree on it; below the noise at two levels it is a tie, but only
    once the noise is below TIE_RESOLUTION (``exp(148)`` in a side leaves 100
    digits too coarse for a difference of ``1e-65``: the precision grows).
    """
    previous: mpmath.mpf | mpmath.mpc | None = None
    tie_before = False
    for dps in PRECISIONS:
        sides = _difference(doc, point, dps)
        if sides is None:
            return None
        a, b, noise = sides
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            return Comparison((b > a) - (b < a), exact=True)
        with mpmath.workdps(dps):
            d = mpmath.mpf(0) + b - a
            if abs(d) <= noise:
                # a tie at two levels, the second one resolving differences down to TIE_RESOLUTION
                if tie_before and noise <= tie_resolution(doc):
                    return Comparison(0, exact=False, tie=True)
                tie_before = True
                previous = None
                continue
            tie_before = False
            if previous is None or abs(d - previous) > abs(d) / 1000:
                previous = d
                continue
            nonreal = any(isinstance(v, mpmath.mpc) and abs(v.imag) > noise for v in (a, b))
            if nonreal and doc.rel != "==":
                return Comparison(0, exact=False, nonreal=True)
            if isinstance(d, mpmath.mpc) and abs(d.imag) > noise:
                return Comparison(1, exact=False)  # different complex values
            real = d.real if isinstance(d, mpmath.mpc) else d
            if abs(real) <= noise:
                return Comparison(0, exact=False, tie=True)
            return Comparison(1 if real > 0 else -1, exact=False)
    return None


def relation_holds(rel: str, c: Comparison) -> bool | None:
    """Whether ``previous rel this`` holds (None: a tie decides a strict relation)."""
    if c.nonreal:
        return False
    if c.tie and rel in ("<", ">"):
        return None
    s = 0 if c.tie else c.sign
    return {"==": s == 0, "<=": s >= 0, "<": s > 0, ">=": s <= 0, ">": s < 0}[rel]


def judged(doc: Doc) -> Doc:
    """The step whose truth the oracle decides: for a step with an antiderivative in x, the x-derivatives of
    both sides (such a step claims equality up to a constant; docs/format.md, "Integrals without bounds")."""
    x = doc.antiderivative_in
    if x is None or doc.prev is None or doc.this is None or \
            not any(k.op == "antider" for t in (doc.prev, doc.this) for k in nodes(t)):
        return doc
    return replace(doc, prev=diff(doc.prev, x), this=diff(doc.this, x), antiderivative_in=None)


def label_step(rng: random.Random, doc: Doc) -> tuple[bool | None, str]:
    agree = 0
    undecided_ties = 0
    doc = judged(doc)
    assert doc.prev is not None and doc.this is not None
    constant = not doc.symbols and not doc.defines
    for point in admissible_points(rng, doc):
        if constant and agree:  # no symbol in either side: one point decides
            break
        c = compare_at(doc, point)
        if c is None:
            continue
        ok = relation_holds(doc.rel, c)
        if ok is None:
            undecided_ties += 1
            continue
        if not ok:
            return False, f"fails at {describe(point)}"
        agree += 1
    if undecided_ties:
        return None, f"dropped: {undecided_ties} near-tie(s) decide a strict relation"
    if agree < (1 if constant else HEAVY_POINTS[2] if is_heavy(doc) else MIN_POINTS):
        return None, f"dropped: only {agree} admissible points with values"
    return True, f"holds at {agree} points"


def describe(point: Point) -> str:
    parts = [f"{k} = {_short(v)}" for k, v in sorted(point.scalars.items())]
    size = point.scalars.get("n")
    for name, elements in sorted(point.vectors.items()):
        if name in point.shapes:
            parts.append(f"{name} = [" + ", ".join(_short(v) for _, v in sorted(elements.items())) + "]")
            continue
        count = int(size) if isinstance(size, Fraction) else 3
        parts.append(f"{name}[1..{count + 1}] = " + ", ".join(_short(elements[k]) for k in range(1, count + 2)))
    for name, cells in sorted(point.matrices.items()):
        parts.append(f"{name} = " + ", ".join(f"[{i},{j}]: {_short(v)}" for (i, j), v in sorted(cells.items())))
    return ", ".join(parts)


def _short(v: Value) -> str:
    if isinstance(v, Fraction):
        return str(v)
    return mpmath.nstr(v, 8)


def _claim_value(text: str) -> mpmath.mpf:
    """A claim written by the oracle: a decimal, a fraction, or ``a + 10**-30``."""
    total = mpmath.mpf(0)
    for part in text.split(" + "):
        if part.startswith("10**"):
            total += mpmath.mpf(10) ** int(part[4:])
        else:
            value = Fraction(part)
            total += mpmath.mpf(value.numerator) / value.denominator
    return total


def _default_tol(text: str) -> Fraction:
    if " + " in text or "." not in text:
        return Fraction(0)
    mantissa = text.split("e")[0]
    places = len(mantissa.split(".")[1])
    exponent = int(text.split("e")[1]) if "e" in text else 0
    return Fraction(1, 10**places) * Fraction(10) ** exponent


def label_number(doc: Doc) -> tuple[bool | None, str]:
    claim = doc.number
    assert claim is not None
    texts = claim.claim_text if isinstance(claim.claim_text, list) else [claim.claim_text]
    lists = {k: v for k, v in claim.at.items() if isinstance(v, list) and doc.symbols.get(k, "").endswith("vector") is False}
    count = len(next(iter(lists.values()))) if lists else 1
    with mpmath.workdps(CONFIRM_DPS):
        for k in range(count):
            scalars: dict[str, Value] = {}
            vectors: dict[str, dict[int, Value]] = {}
            for name, value in claim.at.items():
                if doc.symbols.get(name, "").endswith("vector"):
                    assert isinstance(value, list)
                    vectors[name] = {j + 1: v for j, v in enumerate(value)}
                elif isinstance(value, list):
                    scalars[name] = value[k]
                else:
                    assert isinstance(value, Fraction)
                    scalars[name] = value
            try:
                value_k = evaluate(claim.expr, Point(scalars, vectors), CONFIRM_DPS, doc.functions)
            except (Undefined, Tie, ZeroDivisionError, ValueError):
                return None, "dropped: the expression has no value there"
            if isinstance(value_k, mpmath.mpc):
                if abs(value_k.imag) > mpmath.mpf(10) ** -80:
                    return None, "dropped: a complex value"
                value_k = value_k.real
            text = texts[k]
            if claim.tol_text is None:
                tol = mpmath.mpf(_default_tol(text).numerator) / _default_tol(text).denominator
            elif claim.tol_text == "pi/1000":
                tol = mpmath.pi / 1000
            else:
                tol = mpmath.mpf(claim.tol_text)
            gap = abs(mpmath.mpf(0) + value_k - _claim_value(text))
            if isinstance(value_k, Fraction) and " + " not in text:
                exact_gap = abs(value_k - Fraction(text))
                if exact_gap > Fraction(str(tol)) if tol != 0 else exact_gap != 0:
                    return False, f"element {k + 1}: value {_short(value_k)}, claim {text}"
                continue
            if tol == 0:
                if gap > mpmath.mpf(10) ** -80:
                    return False, f"element {k + 1}: differs by {mpmath.nstr(gap, 5)}"
                if not doc.exact:
                    return None, "dropped: an exact claim the oracle cannot decide"
                continue
            margin = tol * mpmath.mpf(10) ** -20 + mpmath.mpf(10) ** -80
            if gap > tol + margin:
                return False, f"element {k + 1}: |value - claim| = {mpmath.nstr(gap, 5)} > tol {mpmath.nstr(tol, 5)}"
            if gap > tol - margin:
                return None, "dropped: at the edge of the tolerance"
    return True, f"{count} value(s) within the tolerance"


def stability_points(lo: float, hi: float, rng: random.Random) -> list[float]:
    """Dense points: the ends, 0, magnitudes every 5 decades below 1e-20 and every quarter decade above, random."""
    points = {lo, hi}
    if lo < 0 < hi:
        points.add(0.0)
    top = math.log10(max(abs(lo), abs(hi)))
    quarters = [x / 4 for x in range(-80, int(top * 4) + 1)] + [float(x) for x in range(-300, -20, 5)]
    for e10 in quarters:
        m = 10.0 ** e10
        for s in (m, -m):
            if lo <= s <= hi:
                points.add(s)
    for _ in range(300):
        points.add(rng.uniform(lo, hi))
    if lo > 0:
        for _ in range(100):
            points.add(10 ** rng.uniform(math.log10(lo), math.log10(hi)))
    return sorted(points)


def reference(doc: Doc, expr: Node, point: Point) -> mpmath.mpf | None:
    """The true value at the point: two precisions (40, 80, … up to 640 digits) that agree to 30 digits."""
    previous = None
    for dps in (40, 80, 160, 320, 640):
        try:
            value = evaluate(expr, point, dps, doc.functions)
        except (Undefined, Tie, ZeroDivisionError, ValueError, OverflowError):
            return None
        with mpmath.workdps(dps):
            t = mpmath.mpf(0) + value
            if isinstance(t, mpmath.mpc):
                if abs(t.imag) > abs(t) * mpmath.mpf(10) ** -25:
                    return None
                t = t.real
            if isinstance(value, Fraction):
                return t
            if previous is not None and abs(t - previous) <= abs(t) * mpmath.mpf(10) ** -30:
                return t
            previous = t
    return None


def _regime(value: float) -> str:
    """What float64 made of a value: nan, inf, 0, subnormal or normal."""
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf"
    if value == 0:
        return "0"
    return "subnormal" if abs(value) < 2.0 ** -1022 else "normal"


def regime_edges(doc: Doc, xs: Sequence[float]) -> list[float]:
    """The floats on both sides of every place where the float64 result changes regime between neighbours.

    Bands where an operation overflows or is flushed to 0 can be narrower than
    the gaps between sample points; bisection in float64 finds their edges.
    """
    claim = doc.stability
    assert claim is not None
    name = claim.over[0]

    def regime_at(x: float) -> str:
        return _regime(float64(claim.expr, {name: x, **claim.at}, doc.functions))

    edges: list[float] = []
    regimes = [regime_at(x) for x in xs]
    for (a, ra), (b, rb) in zip(zip(xs, regimes), zip(xs[1:], regimes[1:])):
        if ra == rb:
            continue
        low, high = a, b
        for _ in range(90):
            middle = low + (high - low) / 2
            if middle in (low, high):
                break
            if regime_at(middle) == ra:
                low = middle
            else:
                high = middle
        edges.extend([low, high])
    return edges


def stability_error(doc: Doc, x: float) -> float | None:
    """The relative error of the float64 value at ``x`` (None where the true value is not a real number)."""
    claim = doc.stability
    assert claim is not None
    scalars = {claim.over[0]: x, **claim.at}
    got = float64(claim.expr, scalars, doc.functions)
    t = reference(doc, claim.expr, Point({k: Fraction(v) for k, v in scalars.items()}, {}))
    if t is None:
        return None
    if got != got or got in (float("inf"), float("-inf")):
        return float("inf")
    with mpmath.workdps(40):
        return float(abs(mpmath.mpf(got) - t) / max(abs(t), mpmath.mpf(2.0 ** -1022)))


def label_stability(rng: random.Random, doc: Doc) -> tuple[bool | None, str]:
    claim = doc.stability
    assert claim is not None
    rtol = claim.rtol if claim.rtol is not None else 1e-6
    _, lo, hi = claim.over
    worst = 0.0
    worst_at = lo
    counted = 0
    xs = stability_points(lo, hi, rng)
    for x in xs + regime_edges(doc, xs):
        err = stability_error(doc, x)
        if err is None:
            continue
        counted += 1
        if err > worst:
            worst, worst_at = err, x
    if counted < 20:
        return None, "dropped: too few points with a real value"
    if worst <= rtol / 4:
        stable = True
    elif worst >= rtol * 4:
        stable = False
    else:
        return None, f"dropped: worst relative error {worst:.3g} too close to rtol {rtol:g}"
    right = stable == claim.stable
    return right, f"{'stable' if stable else 'unstable'}: worst relative error {worst:.3g} at x = {worst_at!r}"


def label(rng: random.Random, pair: Pair) -> None:
    doc = pair.doc
    if pair.cls == "latex" and doc.prev is not None and doc.this is not None:
        # labelled as written: the LaTeX print gives a normal law's variance (oracle_tree.as_latex_reads)
        doc = replace(doc, prev=as_latex_reads(doc.prev), this=as_latex_reads(doc.this))
    if doc.number is not None:
        pair.truth, pair.label_note = label_number(doc)
    elif doc.stability is not None:
        pair.truth, pair.label_note = label_stability(rng, doc)
    else:
        pair.truth, pair.label_note = label_step(rng, doc)


# ------------------------------------------------------------------------------------------
# writing the files


def _yaml_str(text: str) -> str:
    return json.dumps(text)


def _value_text(value: list[Fraction] | Fraction | Node) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_str(str(v)) for v in value) + "]"
    if isinstance(value, Node):
        return _yaml_str(py(value))
    return _yaml_str(str(value))


def header_lines(doc: Doc, title: str) -> list[str]:
    lines = [f"title: {title}", "symbols:"]
    if not doc.symbols:
        lines[-1] = "symbols: {}"
    for name, words in doc.symbols.items():
        lines.append(f"  {name}: {words}")
    if doc.functions:
        lines.append("functions:")
        for name, (params, body) in doc.functions.items():
            lines.append(f"  {name}({', '.join(params)}): {_yaml_str(py(body))}")
    written = {name: entry for name, entry in doc.defines.items() if name not in doc.depends}
    if written:
        lines.append("define:")
        for name, (index, body) in written.items():
            lines.append(f"  {name}{f'[{index}]' if index else ''}: {_yaml_str(py(body))}")
    if doc.depends:
        lines.append("depends:")
        lines.extend(f"  {name}: [x, y]" for name in doc.depends)
    if doc.assume:
        lines.append("assume:")
        lines.extend(f"  - {_yaml_str(c.text())}" for c in doc.assume)
    return lines


def yaml_text(pair: Pair) -> str:
    doc = pair.doc
    lines = header_lines(doc, f"oracle pair {pair.pid} ({pair.cls}, {pair.template}, {pair.edit})")
    if doc.prev is not None and doc.this is not None:
        chain = [f"  - {_yaml_str(py(doc.prev))}", f"  - expr: {_yaml_str(py(doc.this))}"]
        if pair.latex:
            chain = [f"  - latex: {_yaml_str(tex(doc.prev, pair.style))}", f"  - latex: {_yaml_str(tex(doc.this, pair.style))}"]
        if doc.rel != "==":
            chain.append(f"    rel: {_yaml_str(doc.rel)}")
        if doc.when:
            lines.append("cases:")
            lines.append("  - when: [" + ", ".join(_yaml_str(c.text()) for c in doc.when) + "]")
            lines.append("    steps:")
            lines.extend("    " + line for line in chain)
        else:
            lines.append("steps:")
            lines.extend(chain)
    if doc.number is not None:
        claim = doc.number
        lines.append("numbers:")
        lines.append(f"  - expr: {_yaml_str(py(claim.expr))}")
        lines.append("    at: {" + ", ".join(f"{k}: {_value_text(v)}" for k, v in claim.at.items()) + "}")
        if isinstance(claim.claim_text, list):
            lines.append("    is: [" + ", ".join(_yaml_str(t) for t in claim.claim_text) + "]")
        else:
            lines.append(f"    is: {_yaml_str(claim.claim_text)}")
        if claim.tol_text is not None:
            lines.append(f"    tol: {_yaml_str(claim.tol_text)}")
    if doc.stability is not None:
        st = doc.stability
        lines.append("stability:")
        lines.append(f"  - expr: {_yaml_str(py(st.expr))}")
        lines.append(f"    over: {{{st.over[0]}: [{st.over[1]!r}, {st.over[2]!r}]}}")
        if st.at:
            lines.append("    at: {" + ", ".join(f"{k}: {v!r}" for k, v in st.at.items()) + "}")
        lines.append(f"    stable: {'true' if st.stable else 'false'}")
        if st.rtol is not None:
            lines.append(f"    rtol: {st.rtol!r}")
    return "\n".join(lines) + "\n"


REL_TEX = {"==": "=", "<=": "\\le", "<": "<", ">=": "\\ge", ">": ">"}


def markdown_text(pair: Pair) -> str:
    doc = pair.doc
    assert doc.prev is not None and doc.this is not None
    lines = ["# An oracle post", "", "<!-- derivcheck"]
    lines.extend(header_lines(doc, f"oracle pair {pair.pid} ({pair.cls}, {pair.template}, {pair.edit})"))
    lines.append("-->")
    lines.append("$$")
    lines.append(f"{tex(doc.prev, pair.style)} {REL_TEX[doc.rel]} {tex(doc.this, pair.style)}")
    lines.append("$$")
    return "\n".join(lines) + "\n"


def file_text(pair: Pair) -> tuple[str, str]:
    """The suffix and the text of the pair's file."""
    return (".md", markdown_text(pair)) if pair.latex and not pair.latex_in_yaml else (".yaml", yaml_text(pair))


# ------------------------------------------------------------------------------------------
# generating


def generate(seed: int, count: int, classes: Sequence[str]) -> Iterator[Pair]:
    """``count`` pairs spread evenly over ``classes``: each template once right, once mutated."""
    rng = random.Random(seed)
    pid = 0
    made = 0
    while pid < count:
        cls = classes[made % len(classes)]
        made += 1
        name, doc = TEMPLATES[cls](rng)
        latex = cls == "latex"
        style = LatexStyle(cdot=rng.random() < 0.5, left_right=rng.random() < 0.5)
        in_yaml = latex and rng.random() < 0.3
        pid += 1
        yield Pair(pid, cls, name, "base", doc, latex, style, in_yaml)
        if pid >= count:
            return
        for _ in range(5):
            mutated = mutate(rng, doc)
            if mutated is not None:
                break
        if mutated is None:
            continue
        edit, mdoc = mutated
        pid += 1
        yield Pair(pid, cls, name, edit, mdoc, latex, style, in_yaml)


def labelled(seed: int, count: int, classes: Sequence[str]) -> list[Pair]:
    pairs = list(generate(seed, count, classes))
    for pair in pairs:
        try:
            label(random.Random(seed * 1_000_003 + pair.pid), pair)
        except LABELLER_FAILURES as exc:  # the labeller's own bug: the pair is dropped, named, never guessed
            pair.truth, pair.label_note = None, f"dropped: the labeller failed: {exc!r}"
    return pairs


LABELLER_FAILURES = (KeyError, ValueError, TypeError, AttributeError, IndexError, AssertionError)


# ------------------------------------------------------------------------------------------
# running derivcheck (its public API only) and scoring


def run_checker(pairs: Sequence[Pair], jobs: int, timeout: float, folder: Path) -> None:
    """Write every labelled pair to its own file under ``folder`` and record derivcheck's verdict."""
    from derivcheck import CheckConfig
    from derivcheck.api import verify_paths  # derivcheck.verify_paths, the public API

    by_file: dict[str, Pair] = {}
    for pair in pairs:
        if pair.truth is None:
            continue
        suffix, text = file_text(pair)
        written = folder / f"p{pair.pid:06d}{suffix}"
        written.write_text(text, encoding="utf-8")
        by_file[str(written)] = pair
    if not by_file:
        return
    config = CheckConfig(jobs=jobs, timeout=timeout, cache_dir=None, suggest_fixes=False, seed=0)
    report = verify_paths([str(folder)], config)
    seen: set[str] = set()
    for result in report.results:
        found = by_file.get(result.file)
        if found is None or result.kind == "note":
            continue
        pair = found
        if result.file in seen:  # one check per pair: a second result is an error of the pair
            if result.kind == "error":
                pair.verdict, pair.message = "error", result.message
            continue
        seen.add(result.file)
        if result.kind == "error":
            pair.verdict, pair.message = "error", result.message
            continue
        pair.verdict = str(result.verdict)
        outcome = result.outcome
        if outcome is not None:
            pair.message = outcome.method
            pair.seconds = outcome.elapsed
            pair.counterexample = outcome.counterexample
    for path, pair in by_file.items():
        if not pair.verdict:
            pair.verdict, pair.message = "error", "no result for this file"
        Path(path).unlink()


READABLE_FUNCTIONS = ("sqrt", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "atan")


def read_value(text: str) -> Node | None:
    """A counterexample value as the oracle's tree: numbers, pi, E, + - * / **, READABLE_FUNCTIONS; else None.

    Read with Python's ``ast`` into a whitelist of node kinds and built by the
    oracle itself (never evaluated as code).
    """
    import ast

    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None

    def build(n: ast.AST) -> Node | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, int | float) and not isinstance(n.value, bool):
            return num(Fraction(str(n.value)))
        if isinstance(n, ast.Name) and n.id in ("pi", "E"):
            return const(n.id)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            inner = build(n.operand)
            return None if inner is None else (neg(inner) if isinstance(n.op, ast.USub) else inner)
        if isinstance(n, ast.BinOp):
            left, right = build(n.left), build(n.right)
            ops: dict[type, Callable[[Node, Node], Node]] = {ast.Add: add, ast.Sub: sub, ast.Mult: mul,
                                                              ast.Div: div, ast.Pow: pw}
            make = ops.get(type(n.op))
            return None if left is None or right is None or make is None else make(left, right)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in READABLE_FUNCTIONS \
                and len(n.args) == 1 and not n.keywords:
            inner = build(n.args[0])
            return None if inner is None else call(n.func.id, inner)
        return None

    return build(tree)


def _confirm_stability_point(pair: Pair) -> bool:
    """Whether derivcheck's point contradicts the stability claim, by the oracle's own float64 and reference."""
    claim = pair.doc.stability
    assert claim is not None and pair.counterexample is not None
    text = pair.counterexample.get(claim.over[0])
    try:
        x = float(text) if text is not None else None
    except ValueError:
        return False
    if x is None:
        return False
    err = stability_error(pair.doc, x)
    if err is None:
        return False
    rtol = claim.rtol if claim.rtol is not None else 1e-6
    return err >= 4 * rtol if claim.stable else err <= rtol / 4


def confirm_counterexample(pair: Pair) -> bool | None:
    """Derivcheck's counterexample to a step labelled right, re-evaluated by the oracle.

    True: it breaks the step (the oracle's sampling missed it); None: a tie
    there decides a strict relation (the truth cannot be established);
    False: it does not break the step, or cannot be read.
    """
    doc = judged(pair.doc)
    if doc.stability is not None and pair.counterexample is not None:
        return _confirm_stability_point(pair)
    if pair.counterexample is None or doc.prev is None or doc.this is None:
        return False
    scalars: dict[str, Value] = {}
    vectors: dict[str, dict[int, Value]] = {}
    matrices: dict[str, dict[tuple[int, int], Value]] = {}
    for key, text in pair.counterexample.items():
        tree = read_value(text)
        if tree is None:
            return False
        try:
            value = evaluate(tree, Point({}, {}), CONFIRM_DPS)
        except (Undefined, Tie, ZeroDivisionError, ValueError):
            return False
        element = re.match(r"^(\w+)\[(\d+)\]$", key)
        cell = re.match(r"^(\w+)\[(\d+),\s*(\d+)\]$", key)
        if element:
            vectors.setdefault(element.group(1), {})[int(element.group(2))] = value
        elif cell:
            matrices.setdefault(cell.group(1), {})[(int(cell.group(2)), int(cell.group(3)))] = value
        else:
            scalars[key] = value
    point = Point(scalars, vectors, matrices, sized_shapes(doc))
    try:
        if not all(holds(c, point) for c in doc.assume + doc.when):
            return False
        c = compare_at(doc, point)
    except (Undefined, Tie, KeyError, ZeroDivisionError, ValueError):
        return False
    if c is None:
        return False
    verdict = relation_holds(doc.rel, c)
    return None if verdict is None else not verdict


@dataclass
class Tally:
    total: int = 0
    unsound: int = 0
    false_alarms: int = 0
    undecided: int = 0
    errors: int = 0
    dropped: int = 0
    relabelled: int = 0
    seconds: float = 0.0

    def add(self, pair: Pair) -> None:
        outcome = pair.outcome
        if outcome == "dropped":
            self.dropped += 1
            return
        self.total += 1
        if pair.relabelled:
            self.relabelled += 1
        self.unsound += outcome == "unsound"
        self.false_alarms += outcome == "false alarm"
        self.undecided += outcome == "undecided"
        self.errors += outcome == "error"


def score(pairs: Sequence[Pair]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for pair in pairs:
        if pair.outcome == "false alarm":
            confirmed = confirm_counterexample(pair)
            if confirmed is None:
                pair.truth = None
                pair.label_note = "dropped: derivcheck's counterexample is a tie the oracle cannot decide for a strict relation"
            elif confirmed:
                pair.truth, pair.relabelled = False, True
                pair.label_note = "the oracle missed it; derivcheck's counterexample, re-evaluated by the oracle, breaks the step"
        tallies.setdefault(pair.cls, Tally()).add(pair)
    return tallies


def table(tallies: dict[str, Tally], seconds: dict[str, float]) -> str:
    rows = ["| class | pairs | unsound | false alarms | undecided | errors | dropped by the labeller | relabelled | seconds |",
            "|---|---|---|---|---|---|---|---|---|"]
    total = Tally()
    for cls in sorted(tallies):
        t = tallies[cls]
        secs = seconds.get(cls, 0.0)
        rows.append(f"| {cls} | {t.total} | {t.unsound} | {t.false_alarms} | {t.undecided} | {t.errors} | {t.dropped} | {t.relabelled} | {secs:.0f} |")
        for key in ("total", "unsound", "false_alarms", "undecided", "errors", "dropped", "relabelled"):
            setattr(total, key, getattr(total, key) + getattr(t, key))
    rows.append(f"| all | {total.total} | {total.unsound} | {total.false_alarms} | {total.undecided} | {total.errors} | {total.dropped} | {total.relabelled} | {sum(seconds.values()):.0f} |")
    return "\n".join(rows)


def pair_record(pair: Pair) -> dict[str, object]:
    suffix, text = file_text(pair) if pair.truth is not None else ("", "")
    return {"pid": pair.pid, "class": pair.cls, "template": pair.template, "edit": pair.edit,
            "truth": pair.truth, "label": pair.label_note, "verdict": pair.verdict, "message": pair.message,
            "outcome": pair.outcome, "counterexample": pair.counterexample, "relabelled": pair.relabelled,
            "file": text}


def run(seed: int, count: int, classes: Sequence[str], jobs: int, timeout: float, batch: int,
        log: Callable[[str], None], records: Path | None = None, deadline: float | None = None) -> tuple[list[Pair], dict[str, float]]:
    """Generate, label and check ``count`` pairs in batches; returns the pairs and the checker's seconds per class."""
    pairs: list[Pair] = []
    seconds: dict[str, float] = {}
    start = time.monotonic()
    done = 0
    sizes = [min(batch, count - start_at) for start_at in range(0, count, batch)]
    seeds = [seed + 7919 * k for k in range(len(sizes))]
    # each batch starts the round of classes where the one before stopped (a template and its mutation per step)
    orders = [list(classes[(k * (batch // 2)) % len(classes):]) + list(classes[:(k * (batch // 2)) % len(classes)])
              for k in range(len(sizes))]
    with tempfile.TemporaryDirectory(prefix="oracle-") as tmp, ProcessPoolExecutor(1) as labeller:
        folder = Path(tmp)
        # the next batch is labelled in another process while derivcheck checks this one
        upcoming = labeller.submit(labelled, seeds[0], sizes[0], orders[0]) if sizes else None
        for k, size in enumerate(sizes):
            assert upcoming is not None
            chunk = upcoming.result()
            upcoming = labeller.submit(labelled, seeds[k + 1], sizes[k + 1], orders[k + 1]) if k + 1 < len(sizes) else None
            if deadline is not None and time.time() > deadline:
                log(f"deadline reached after {done} pairs")
                break
            for pair in chunk:
                pair.pid += done
            run_checker(chunk, jobs, timeout, folder)
            for pair in chunk:
                seconds[pair.cls] = seconds.get(pair.cls, 0.0) + pair.seconds
            score(chunk)
            pairs.extend(chunk)
            done += size
            if records is not None:
                with records.open("a", encoding="utf-8") as out:
                    for pair in chunk:
                        if pair.outcome not in ("right", "dropped") or pair.relabelled or \
                                pair.label_note.startswith("dropped: the labeller failed"):
                            out.write(json.dumps(pair_record(pair)) + "\n")
            bad = sum(p.outcome in ("unsound", "false alarm") for p in pairs)
            log(f"{done}/{count} pairs, {time.monotonic() - start:.0f} s, unsound + false alarms so far: {bad}")
        if upcoming is not None:
            upcoming.cancel()
    return pairs, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--classes", default=",".join(CLASSES), help="comma-separated: " + ", ".join(CLASSES))
    parser.add_argument("--jobs", type=int, default=2, help="derivcheck's worker processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="derivcheck's time limit per check")
    parser.add_argument("--batch", type=int, default=200, help="pairs per call of derivcheck")
    parser.add_argument("--log", type=Path, default=None, help="append progress here")
    parser.add_argument("--records", type=Path, default=None, help="JSON lines of every pair not decided right")
    parser.add_argument("--until", type=float, default=None, help="stop starting batches after this Unix time")
    args = parser.parse_args(argv)
    classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        parser.error(f"unknown class {', '.join(unknown)}; the classes are {', '.join(CLASSES)}")

    def log(line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        print(f"[{stamp}] {line}", flush=True)
        if args.log is not None:
            with args.log.open("a", encoding="utf-8") as out:
                out.write(f"[{stamp}] {line}\n")

    pairs, seconds = run(args.seed, args.count, classes, args.jobs, args.timeout, args.batch, log, args.records, args.until)
    tallies = score(pairs)
    print(table(tallies, seconds))
    for pair in pairs:
        if pair.outcome in ("unsound", "false alarm", "error"):
            print(f"\n--- {pair.outcome}: pair {pair.pid} ({pair.cls}, {pair.template}, {pair.edit}); "
                  f"truth {'right' if pair.truth else 'wrong'} ({pair.label_note}); derivcheck: {pair.verdict} {pair.message}")
            print(file_text(pair)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
