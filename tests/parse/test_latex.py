"""The LaTeX front end: one row per convention of docs/format.md, and its errors.

Each convention is a LaTeX text, the declarations it is read under, and the
reading in the Python syntax that it must give. The reading is then parsed
by the ordinary front end, so every row also checks that LaTeX and Python
syntax meet the same builders.
"""

import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.model import FunctionDecl, SymbolDecl, Text
from derivcheck.parse.expressions import Scope, define_function, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol

SYMBOLS = {
    "x": "real",
    "y": "real",
    "t": "real",
    "n": "positive integer",
    "a": "real",
    "b": "real",
    "z": "real vector",
    "o": "real vector",
    "w": "real vector",
    "C": "positive integer",
    "c": "index 1..C",
    "i": "index 1..C",
    "j": "index 1..C",
    "k": "index 1..C",
    "y_hat": "real",
    "x_bar": "real",
    "x_tilde": "real",
    "y_prime": "real",
    "theta": "real",
    "mu": "real",
    "lambda_": "real",
    "pi_": "real vector",
    "x_0": "real",
    "u": "real",
}
FUNCTIONS = {
    "sigma": (("t",), "1/(1 + exp(-t))"),
    "f": (("t",), "t**3"),
    "g": (("t",), "t**2 + 1"),
    "L": (("y", "x"), "(x - y)**2"),
    "p": (("q",), "exp(z[q])"),
    "sigmoid": (("t",), "1/(1 + exp(-t))"),
    "ReLU": (("t",), "max(t, 0)"),
    "h": ((), "x**2"),
}


def names(log_base=None, prime=None, symbols=SYMBOLS):
    decls = [SymbolDecl(name, words, 1) for name, words in symbols.items()]
    funcs = [FunctionDecl(name, params, Text(body, 1), 1) for name, (params, body) in FUNCTIONS.items()]
    return names_from_declarations(decls, funcs, log_base, prime)


def read(latex, **kw):
    return read_expression(tokenize(latex), names(**kw)).python


# (convention, LaTeX, reading in the Python syntax)
CONVENTIONS = [
    ("\\log natural", r"\log(x)", "log(x)"),
    ("\\ln natural", r"\ln x", "log(x)"),
    ("e^{...} is exp", r"e^{-x}", "exp(-x)"),
    ("bare e is Euler's number", r"2e", "2*E"),
    ("\\exp", r"\exp(-x)", "exp(-x)"),
    ("\\frac", r"\frac{1}{1 + e^{-x}}", "1/(1 + exp(-x))"),
    ("\\dfrac and \\tfrac", r"\dfrac{a}{b} + \tfrac{x}{y}", "a/b + x/y"),
    ("\\frac with single tokens", r"\frac12 x", "1/2*x"),
    ("\\sqrt", r"\sqrt{x}", "sqrt(x)"),
    ("\\sqrt[n], odd n: the real root", r"\sqrt[3]{x}", "sign(x)*abs(x)**(1/3)"),
    ("\\sqrt[n], even n: the principal root", r"\sqrt[4]{x}", "x**(1/4)"),
    ("\\cdot and \\times", r"a \cdot b \times x", "a*b*x"),
    ("juxtaposition of letters", r"xy", "x*y"),
    ("number times name", r"2x", "2*x"),
    ("declared function then parenthesis is a product", r"\sigma(x)(1-\sigma(x))", "sigma(x)*(1 - sigma(x))"),
    ("\\left( \\right) grouping", r"\left(x + 1\right)^2", "(x + 1)**2"),
    ("[ ] grouping", r"-[x + y]", "-(x + y)"),
    ("\\{ \\} grouping", r"\{x + y\} a", "(x + y)*a"),
    ("{ } grouping", r"\log({1 + x})", "log(1 + x)"),
    ("|x| is abs", r"|x - y|", "abs(x - y)"),
    ("\\lvert \\rvert is abs", r"\lvert x \rvert", "abs(x)"),
    ("\\max", r"\max(x, 0)", "max(x, 0)"),
    ("\\min", r"\min(x, y)", "min(x, y)"),
    ("max without backslash", r"max(x,0)", "max(x, 0)"),
    ("greek letter names the declared function", r"\sigma(t)", "sigma(t)"),
    ("greek letter names the declared symbol", r"\mu \theta", "mu*theta"),
    ("subscript on a vector is an element", r"z_i + z_{j}", "z[i] + z[j]"),
    ("two indices with a comma", r"z_{i,j}", "z[i, j]"),
    ("subscript completes a declared name", r"x_0 + x_{0}", "x_0 + x_0"),
    ("subscript on a one-argument function is its argument", r"p_i", "p(i)"),
    ("\\hat names name_hat", r"\hat{y}", "y_hat"),
    ("\\bar names name_bar", r"\bar{x} + \overline{x}", "x_bar + x_bar"),
    ("\\tilde names name_tilde", r"\tilde{x}", "x_tilde"),
    ("a prime on a symbol names name_prime", r"y'", "y_prime"),
    ("bold is the plain name", r"\mathbf{o}_j + \boldsymbol{\theta}", "o[j] + theta"),
    ("decoration of bold", r"\hat{\mathbf{y}}", "y_hat"),
    ("\\sum with bounds", r"\sum_{c=1}^{C} z_c", "Sum(z[c], (c, 1, C))"),
    ("\\sum with one-token bounds", r"\sum_{c=1}^C e^{z_c}", "Sum(exp(z[c]), (c, 1, C))"),
    ("\\prod", r"\prod_{k=1}^{n} x", "Product(x, (k, 1, n))"),
    ("\\sum over a declared index", r"\sum_k z_k", "Sum(z[k], (k, 1, C))"),
    ("\\sum over two declared indices", r"\sum_{i,j} z_i z_j", "Sum(Sum(z[i]*z[j], (j, 1, C)), (i, 1, C))"),
    ("\\sum body is the product term", r"\sum_c z_c \cdot x + 1", "Sum(z[c]*x, (c, 1, C)) + 1"),
    ("\\max over a declared index", r"\max_k o_k", "max(o[k], (k, 1, C))"),
    ("\\min over bounds", r"\min_{k=1}^{n} o_k", "min(o[k], (k, 1, n))"),
    (
        "\\delta_{ij} is the Kronecker delta",
        r"\delta_{ij} + \delta_{i,j}",
        "KroneckerDelta(i, j) + KroneckerDelta(i, j)",
    ),
    ("\\frac{\\partial}{\\partial x} F", r"\frac{\partial}{\partial x} \sigma(x)", "diff(sigma(x), x)"),
    ("\\frac{\\partial f}{\\partial x}", r"\frac{\partial L(y, x)}{\partial x}", "diff(L(y, x), x)"),
    (
        "\\frac{d}{dx} scope is the product term",
        r"3 \frac{d}{dx} x^2 - 4 \frac{d}{dx} x",
        "3*diff(x**2, x) - 4*diff(x, x)",
    ),
    ("\\frac{d}{dx} of a bracket", r"\frac{d}{dx}(x^2) y", "diff(x**2, x)*y"),
    ("\\mathrm{d}", r"\frac{\mathrm{d} f(x)}{\mathrm{d} x}", "diff(f(x), x)"),
    ("\\frac{df}{dx} for a declared function", r"\frac{df}{dx}", "diff(f(x), x)"),
    ("derivative then evaluate", r"\frac{dg}{dx}(x)", "diff(g(x), x)"),
    ("higher derivative", r"\frac{d^2 f}{dx^2}", "diff(f(x), x, 2)"),
    ("f'(x) for a declared function", r"f'(x)", "diff(f(x), x)"),
    ("f''(x)", r"f''(x)", "diff(f(x), x, 2)"),
    ("\\sigma^{'}(x)", r"\sigma^{'}(x)", "diff(sigma(x), x)"),
    ("derivative in a vector element", r"\frac{\partial p_i}{\partial z_i}", "diff(p(i), z[i])"),
    ("\\tanh^2(x) is tanh(x)**2", r"\tanh^2(x)", "tanh(x)**2"),
    ("\\operatorname for a declared function", r"\operatorname{sigmoid}(x)", "sigmoid(x)"),
    ("\\text names a declared function", r"\text{ReLU}(x)", "ReLU(x)"),
    ("\\text with a prime", r"\text{sigmoid}'(x)", "diff(sigmoid(x), x)"),
    ("\\mathrm names a built-in", r"\mathrm{tanh}(x)", "tanh(x)"),
    ("\\lambda follows the declaration lambda_", r"\lambda x", "lambda_*x"),
    ("\\pi_i follows the declared vector pi_", r"\pi_i", "pi_[i]"),
    ("\\log_2", r"\log_2(x)", "log(x, 2)"),
    ("a function without parameters is used bare", r"h + 1", "h() + 1"),
    ("spacing is ignored", r"x\,\;\!y\quad", "x*y"),
    ("unicode prime and minus", "f’(x) − 1", "diff(f(x), x) - 1"),
    ("decimal numbers", r"0.5 x", "0.5*x"),
    ("power of a bracket", r"(1+e^{-x})^2", "(1 + exp(-x))**2"),
]


@pytest.mark.parametrize("convention, latex, expected", CONVENTIONS, ids=[c[0] for c in CONVENTIONS])
def test_convention(convention, latex, expected):
    reading = read(latex)
    assert reading == expected
    # the reading is ordinary Python syntax: the same builders parse it
    scope = Scope(
        {d: read_symbol(SymbolDecl(d, w, 1)) for d, w in SYMBOLS.items()},
        {n: FunctionDecl(n, p, Text(b, 1), 1) for n, (p, b) in FUNCTIONS.items()},
    )
    for decl in scope.functions.values():
        define_function(scope, decl)
    assert isinstance(parse_expression(Text(reading, 1), scope), sympy.Basic)


def test_hat_of_an_element_is_the_element_of_the_decorated_vector():
    symbols = dict(SYMBOLS, w_hat="real vector")
    assert read(r"\hat{w_i}", symbols=symbols) == "w_hat[i]"
    assert read(r"\hat {w_i}", symbols=symbols) == "w_hat[i]"


def test_pi_is_the_constant_unless_pi_is_declared_and_the_message_says_so():
    symbols = {k: v for k, v in SYMBOLS.items() if k != "pi_"}
    assert read(r"2\pi", symbols=symbols) == "2*pi"
    with pytest.raises(FormatError) as info:
        read(r"2\pi")
    assert "in place of the reserved or built-in 'pi'" in info.value.message


def test_log_base_from_the_comment():
    assert read(r"\log(x)", log_base="2") == "log(x, 2)"
    assert read(r"\ln(x)", log_base="2") == "log(x)"


def test_prime_on_an_expression_uses_the_declared_variable():
    assert read(r"(e^{x})'", prime="x") == "diff(exp(x), x)"
    assert read(r"(z_i)^{'}", prime="z_j") == "diff(z[i], z[j])"


def test_sum_running_past_a_plus_is_read_with_precedence_and_noted():
    reading = read_expression(tokenize(r"\sum_c z_c + z_c"), names())
    assert reading.python == "Sum(z[c], (c, 1, C)) + z[c]"
    assert "write \\sum(… + …) if it covers both" in reading.notes[0]


@pytest.mark.parametrize(
    "latex, fragment",
    [
        (r"\sin x y", "ambiguous"),
        (r"z_{ij}", "write z_{i, j} for the element"),
        (r"\foo(x)", "unknown macro '\\foo'"),
        (r"\def\x{1} x", "\\def is not allowed"),
        (r"\newcommand{\x}{1}", "\\newcommand is not allowed"),
        (r"\input{secret}", "\\input is not allowed"),
        (r"\include{secret}", "\\include is not allowed"),
        (r"q", "undeclared name 'q'"),
        (r"\sigma", "declared function"),
        (r"z", "declared vector"),
        (r"(x + 1", "never closed"),
        (r"\left(x(1 - y\right)", "closes an outer group first"),
        (r"x2", "ambiguous"),
        (r"(x)'", "does not say the variable"),
        (r"f'(x + 1)", "plain declared variable"),
        (r"\sum_q z_q", "declared as an index"),
        (r"\max_k o_k y", "is ambiguous"),
        (r"||x| - 1|", "nested |…| bars are ambiguous"),
        (r"\lambda", "reserved word"),
        (r"x 文字", "has no meaning in math"),
        (r"\frac{d^2 f}{dx}", "orders differ"),
    ],
)
def test_errors_say_what_and_where(latex, fragment):
    symbols = {k: v for k, v in SYMBOLS.items() if k != "lambda_"}
    with pytest.raises(FormatError) as info:
        read(latex, symbols=symbols)
    assert fragment in info.value.message
    assert info.value.line == 1


def test_errors_carry_line_and_column():
    with pytest.raises(FormatError) as info:
        read_expression(tokenize("x +\n  \\foo", line=7), names())
    assert info.value.line == 8
    assert "column 3" in info.value.message


def test_letter_run_with_two_readings_is_an_error():
    symbols = dict(SYMBOLS, xy="real")
    with pytest.raises(FormatError) as info:
        read("xy", symbols=symbols)
    assert "can be read as" in info.value.message and "\\operatorname{xy}" in info.value.message


def test_lenient_reading_closes_an_unclosed_parenthesis_with_a_note():
    reading = read_expression(tokenize(r"-\left(y(1-x - (1-y)x\right)"), names(), lenient=True)
    assert reading.python == "-y*(1 - x - (1 - y)*x)"
    assert "never closed" in reading.notes[0]


def test_nesting_is_bounded():
    with pytest.raises(FormatError) as info:
        read("{" * 400 + "x" + "}" * 400)
    assert "nested deeper" in info.value.message


def test_size_is_bounded():
    from derivcheck.parse.latex import MAX_LATEX_TEXT

    with pytest.raises(FormatError) as info:
        tokenize("x" * (MAX_LATEX_TEXT + 1))
    assert "limit" in info.value.message


PIECES = [
    r"\frac",
    r"\sqrt",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "|",
    r"\left(",
    r"\right)",
    r"\left|",
    r"\right|",
    "x",
    "y",
    "z",
    "_",
    "^",
    "i",
    "k",
    "2",
    "0.5",
    "+",
    "-",
    r"\cdot",
    r"\sum",
    r"\max",
    "_{k=1}",
    "^{C}",
    r"\sigma",
    "'",
    r"\log",
    r"\hat",
    r"\mathbf",
    r"\operatorname{sigma}",
    r"\text{f}",
    r"\partial",
    "d",
    ",",
    "e",
    r"\exp",
    r"\{",
    r"\}",
    r"\lvert",
    r"\rvert",
    "&",
    "=",
    r"\delta_{ik}",
    "h",
    "f",
    r"\tanh",
    r"\prime",
    "’",
    ".",
]


def test_random_token_soup_gives_a_reading_or_a_format_error():
    import random

    rng = random.Random(20261201)  # fixed: the same inputs on every run
    for _ in range(1500):
        latex = " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 20)))
        try:
            read(latex)
        except FormatError as exc:
            assert exc.message


@pytest.mark.parametrize(
    "latex, python",
    [
        (r"\max(y, \left|b\right|)", "max(y, abs(b))"),
        (r"\sin\left(\left|b\right|\right)", "sin(abs(b))"),
        (r"\max\left(y, |b|\right)", "max(y, abs(b))"),
    ],
)
def test_the_bar_of_left_and_right_belongs_to_them_inside_arguments(latex, python):
    # The | after \right was taken for a conditioning bar (p(x | z)) or left the argument unclosed.
    assert read(latex, symbols={"b": "real", "y": "real"}) == python
