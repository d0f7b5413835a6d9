"""The built-in functions of the expression syntax: one registry for every part that knows them.

The parser (``parse/expressions.py``) builds them, the LaTeX reader
(``parse/latex.py``) reads their LaTeX spellings, the stability evaluator
(``check/screen/stability.py``) evaluates them in float64 and at high
precision, the renderer (``render/expressions.py``) typesets them, and the JSON
Schema (``authoring/schema.py``) describes them, all from this table.
``tests/test_builtins.py`` runs every entry through each of them; a built-in
one of them cannot handle fails there.

This module is plain data (no SymPy), so every layer may read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    """One built-in function.

    ``least``/``most`` bound its number of arguments (``most`` None: any
    number). ``sympy`` names the SymPy function that a one-argument built-in
    is (None where the parser builds it itself: written out, several
    arguments, sums). ``latex`` is its typeset name; None where the renderer
    has a notation of its own (``e^x``, a root, bars, brackets, ∂, ∑, δ).
    ``macros`` are the LaTeX commands read as it besides
    ``\\operatorname{name}``; ``fences`` the LaTeX brackets read as it.
    ``reserved``: a name of version 1 of the format, which no document may
    declare; a later built-in (False) gives way to a document's own symbol
    or function of that name. ``scalar``: a float64 operation, so a
    stability claim can evaluate it (sums, products and derivatives are not).
    ``matrix``: a function of vectors and matrices with sizes (``parse/linalg.py``),
    never applied to numbers element by element.
    """

    name: str
    least: int
    most: int | None
    meaning: str
    sympy: str | None = None
    latex: str | None = None
    macros: tuple[str, ...] = ()
    fences: tuple[str, str] | None = None
    reserved: bool = True
    scalar: bool = True
    matrix: bool = False

    @property
    def is_unary(self) -> bool:
        """Whether it takes exactly one argument and is a SymPy function of it (or written out as one)."""
        return self.least == self.most == 1 and not self.matrix


def _unary(
    name: str,
    meaning: str,
    sympy: str | None,
    latex: str | None,
    *,
    macros: tuple[str, ...] = (),
    fences: tuple[str, str] | None = None,
    reserved: bool = True,
) -> Builtin:
    return Builtin(name, 1, 1, meaning, sympy, latex, macros, fences, reserved)


BUILTINS: tuple[Builtin, ...] = (
    _unary("exp", "the exponential e^x", "exp", None, macros=("exp",)),
    _unary("sqrt", "the principal square root", "sqrt", None),
    _unary("abs", "the absolute value |x|", "Abs", None),
    _unary("sign", "the sign: -1, 0 or 1 (x/|x| for complex x)", "sign", "\\operatorname{sign}", macros=("sgn",)),
    _unary("sin", "sine", "sin", "\\sin", macros=("sin",)),
    _unary("cos", "cosine", "cos", "\\cos", macros=("cos",)),
    _unary("tan", "tangent", "tan", "\\tan", macros=("tan",)),
    _unary("sinh", "hyperbolic sine", "sinh", "\\sinh", macros=("sinh",)),
    _unary("cosh", "hyperbolic cosine", "cosh", "\\cosh", macros=("cosh",)),
    _unary("tanh", "hyperbolic tangent", "tanh", "\\tanh", macros=("tanh",)),
    _unary("sech", "hyperbolic secant 1/cosh", "sech", "\\operatorname{sech}", reserved=False),
    _unary("csch", "hyperbolic cosecant 1/sinh", "csch", "\\operatorname{csch}", reserved=False),
    _unary("coth", "hyperbolic cotangent", "coth", "\\coth", macros=("coth",), reserved=False),
    _unary("atan", "the inverse tangent", "atan", "\\arctan", macros=("arctan",), reserved=False),
    _unary("asin", "the inverse sine", "asin", "\\arcsin", macros=("arcsin",), reserved=False),
    _unary("acos", "the inverse cosine", "acos", "\\arccos", macros=("arccos",), reserved=False),
    _unary("erf", "the error function", "erf", "\\operatorname{erf}", reserved=False),
    _unary("erfc", "the complementary error function 1 - erf", "erfc", "\\operatorname{erfc}", reserved=False),
    _unary("floor", "the largest integer <= x", "floor", None, fences=("\\lfloor", "\\rfloor"), reserved=False),
    _unary("ceiling", "the smallest integer >= x", "ceiling", None, fences=("\\lceil", "\\rceil"), reserved=False),
    _unary("log1p", "log(1 + x), accurate near 0 in float64", None, "\\operatorname{log1p}", reserved=False),
    _unary("expm1", "exp(x) - 1, accurate near 0 in float64", None, "\\operatorname{expm1}", reserved=False),
    Builtin("log", 1, 2, "the natural logarithm; log(x, b) to base b", latex="\\log", macros=("log",)),
    Builtin("max", 1, None, "the largest argument; max(z) the largest element of a vector", latex="\\max",
            macros=("max",)),
    Builtin("min", 1, None, "the smallest argument; min(z) the smallest element of a vector", latex="\\min",
            macros=("min",)),
    Builtin("diff", 2, 3, "diff(f, x) the derivative, diff(f, x, n) the n-th", scalar=False),
    Builtin("Sum", 2, 2, "Sum(term, (k, lo, hi)): the sum over k = lo..hi, bounds inclusive", scalar=False),
    Builtin("Product", 2, 2, "Product(term, (k, lo, hi)): the product over k = lo..hi", scalar=False),
    Builtin("KroneckerDelta", 2, 2, "KroneckerDelta(i, j): 1 when i == j, else 0"),
    Builtin("Limit", 3, 4, "Limit(f, h, a): the limit of f as h -> a (oo allowed); a 4th argument '+' or '-' "
            "makes it one-sided", scalar=False),
    Builtin("Integral", 2, None, "Integral(f, (x, a, b)): the definite integral of f over a < x < b (a, b may be "
            "-oo, oo); several ranges (f, (x, a, b), (y, c, d)) the first innermost; Integral(f, x) an "
            "antiderivative (a step with one holds up to a constant)", reserved=False, scalar=False),
    Builtin("Expectation", 2, 2, "Expectation(f, (x, D)): the expected value of f for x drawn from D, one of "
            "Normal(mu, sigma), Uniform(a, b), Exponential(rate), Laplace(mu, b), Bernoulli(p), Categorical(p, C), "
            "or a declared density p: (x, p) over the support of x, (x, p, a, b) over a < x < b",
            reserved=False, scalar=False),
    Builtin("Var", 2, 2, "Var(f, (x, D)): the variance of f for x drawn from D (as for Expectation)",
            reserved=False, scalar=False),
    Builtin("KL", 2, 3, "KL(P, Q): the Kullback-Leibler divergence of P from Q, two distributions as for "
            "Expectation or two declared densities p, q over the support of their variable; KL(p(x), q(x), "
            "(x, a, b)) over a < x < b", reserved=False, scalar=False),
    *(Builtin(name, least, most, meaning, reserved=False, scalar=False, matrix=True) for name, least, most, meaning in (
        ("transpose", 1, 1, "transpose(A): the transpose of a vector or matrix"),
        ("dot", 2, 2, "dot(u, v): the inner product of two vectors of one size"),
        ("norm", 1, 1, "norm(v): the Euclidean norm of a vector, sqrt(dot(v, v))"),
        ("trace", 1, 1, "trace(A): the sum of the diagonal of a square matrix"),
        ("eye", 1, 1, "eye(n): the n×n identity matrix"),
        ("diag", 1, 1, "diag(v): the square matrix with the elements of a vector v on its diagonal"),
        ("grad", 2, 2, "grad(f, w): the gradient of a number f in a vector w with a size; element i is diff(f, w[i])"),
        ("hessian", 2, 2, "hessian(f, w): the Hessian of f in w; element (i, j) is diff(f, w[i], w[j])"),
        ("Matrix", 1, 1, "Matrix([[a, b], [c, d]]): a matrix of its rows; Matrix([a, b]) a vector"),
    )),
)
"""Every built-in function, in the order docs/format.md lists them."""

BUILTIN_NAMES: frozenset[str] = frozenset(b.name for b in BUILTINS)
"""The names of the built-in functions."""

CONSTANTS: tuple[str, ...] = ("E", "pi")
"""The built-in constants (Euler's number and pi)."""


def builtin(name: str) -> Builtin | None:
    """The built-in called ``name``, or None."""
    return _BY_NAME.get(name)


def unary_builtins() -> tuple[Builtin, ...]:
    """The one-argument built-ins (sin, exp, erf, …), in registry order."""
    return tuple(b for b in BUILTINS if b.is_unary)


def latex_macros() -> dict[str, str]:
    """LaTeX command (without the backslash) -> the built-in it reads as (``arctan`` -> ``atan``)."""
    return {macro: b.name for b in BUILTINS for macro in b.macros}


def latex_fences() -> dict[str, tuple[str, str]]:
    """Opening LaTeX bracket -> (its closing bracket, the built-in they read as): ``\\lfloor`` -> floor."""
    return {b.fences[0]: (b.fences[1], b.name) for b in BUILTINS if b.fences is not None}


def typeset_names() -> dict[str, str]:
    """Built-in -> its typeset LaTeX name, for the built-ins written as a named function."""
    return {b.name: b.latex for b in BUILTINS if b.latex is not None}


_BY_NAME = {b.name: b for b in BUILTINS}
