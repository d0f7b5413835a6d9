"""LaTeX that authors write two ways: function powers and juxtaposition after a slash."""

import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol

SYMBOLS = {"a": "real", "b": "real", "x": "real", "y": "real", "sigma": "positive"}


def value(latex: str) -> sympy.Expr:
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in SYMBOLS.items()], [])
    scope = Scope({n: read_symbol(SymbolDecl(n, w, 1)) for n, w in SYMBOLS.items()}, {})
    return parse_expression(read_expression(tokenize(latex), names).text(1), scope)


def refusal(latex: str) -> str:
    with pytest.raises(FormatError) as info:
        value(latex)
    return info.value.message


x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)


@pytest.mark.parametrize(
    "latex, expected",
    [
        (r"\sin^{-1} x", sympy.asin(x)),
        (r"\sin^{-1}(x)", sympy.asin(x)),
        (r"\cos^{-1}\left(x\right)", sympy.acos(x)),
        (r"\tan^{-1} y", sympy.atan(y)),
        (r"\arctan y", sympy.atan(y)),
        (r"\sin^2 x", sympy.sin(x) ** 2),
        (r"\tanh^{2}(x)", sympy.tanh(x) ** 2),
        (r"(\sin x)^{-1}", 1 / sympy.sin(x)),
        (r"\frac{1}{\sin x}", 1 / sympy.sin(x)),
    ],
)
def test_a_power_on_a_function_name_is_a_power_and_minus_one_the_inverse(latex, expected):
    assert value(latex) == expected


@pytest.mark.parametrize("latex", [r"\cosh^{-1} x", r"\tanh^{-1}(x)", r"\exp^{-1}(x)", r"\log^{-1} x", r"\sin^{-2} x"])
def test_a_negative_power_on_a_function_without_a_built_in_inverse_is_refused_with_both_readings(latex):
    message = refusal(latex)
    assert "can be read two ways" in message and "inverse function" in message
    assert "\\frac{1}{" in message  # how to write the power


@pytest.mark.parametrize(
    "latex, first, second",
    [
        (r"a/2b", r"\frac{a}{2} b", r"\frac{a}{2 b}"),
        (r"x^2/2\sigma^2", r"\frac{x^2}{2} \sigma^2", r"\frac{x^2}{2 \sigma^2}"),
        (r"a/xy", r"\frac{a}{x} y", r"\frac{a}{x y}"),
        (r"1/2 x", r"\frac{1}{2} x", r"\frac{1}{2 x}"),
        (r"y + a/b \sin(x)", r"\frac{a}{b} \sin(x)", r"\frac{a}{b \sin(x)}"),
    ],
)
def test_juxtaposition_after_a_slash_is_refused_with_both_readings(latex, first, second):
    message = refusal(latex)
    assert "can be read as" in message
    assert first in message and second in message


@pytest.mark.parametrize(
    "latex, expected",
    [
        (r"a/2 \cdot b", "a*b/2"),
        (r"(a/2) b", "a*b/2"),
        (r"a/(2b)", "a/(2*b)"),
        (r"a b/y", "a*b/y"),
        (r"a/b/y", "a/(b*y)"),
        (r"a/\sqrt{2}", "a/sqrt(2)"),
    ],
)
def test_a_slash_without_juxtaposition_after_it_is_read(latex, expected):
    scope = Scope({n: read_symbol(SymbolDecl(n, w, 1)) for n, w in SYMBOLS.items()}, {})
    assert value(latex) == parse_expression(Text(expected, 1), scope)


def root_reading(latex: str, symbols: dict[str, str]) -> sympy.Expr:
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in symbols.items()], [])
    scope = Scope({n: read_symbol(SymbolDecl(n, w, 1)) for n, w in symbols.items()}, {})
    return parse_expression(read_expression(tokenize(latex), names).text(1), scope)


def test_an_odd_root_of_a_real_number_is_the_real_root():
    assert root_reading(r"\sqrt[3]{-8}", {}) == -2
    assert root_reading(r"\sqrt[5]{-32}", {}) == -2
    real = root_reading(r"\sqrt[3]{x}", {"x": "real"})
    x_real = sympy.Symbol("x", real=True)
    assert real.subs(x_real, -27) == -3


def test_an_even_or_symbolic_root_and_a_complex_radicand_keep_the_principal_root():
    principal = root_reading(r"\sqrt[3]{w}", {"w": "complex"})
    (w,) = principal.free_symbols
    assert principal == w ** sympy.Rational(1, 3)
    x_real = sympy.Symbol("x", real=True)
    assert root_reading(r"\sqrt[4]{x}", {"x": "real"}) == x_real ** sympy.Rational(1, 4)
    n = sympy.Symbol("n", integer=True, positive=True)
    assert root_reading(r"\sqrt[n]{x}", {"x": "real", "n": "positive integer"}) == x_real ** (1 / n)
