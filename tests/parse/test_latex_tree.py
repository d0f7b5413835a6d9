"""The LaTeX reader builds the expression tree itself: grouping as written, no text parsed again."""

import ast

import pytest
import sympy

from derivcheck.api import verify_loaded
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse import expressions
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize
from derivcheck.parse.symbols import read_symbol
from derivcheck.parse.syntax import ExactDecimal, show

SYMBOLS = {"a": "real", "b": "real", "c": "real", "x": "real", "y": "real", "n": "positive integer"}


def scope(symbols: dict[str, str] = SYMBOLS) -> Scope:
    return Scope({name: read_symbol(SymbolDecl(name, words, 1)) for name, words in symbols.items()}, {})


def value(latex: str, symbols: dict[str, str] = SYMBOLS) -> sympy.Expr:
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in symbols.items()], [])
    reading = read_expression(tokenize(latex), names)
    return parse_expression(reading.text(1), scope(symbols))


def python(text: str) -> sympy.Expr:
    return parse_expression(Text(text, 1), scope())


GROUPED = [
    (r"a - (b - c)", "a - (b - c)"),
    (r"a - \left(b - c\right)", "a - (b - c)"),
    (r"a - \{b - c\}", "a - (b - c)"),
    (r"a - {b - c}", "a - (b - c)"),
    (r"a - [b - c]", "a - (b - c)"),
    (r"a - \bigl(b - c\bigr)", "a - (b - c)"),
    (r"-(b - c)", "-(b - c)"),
    (r"-(b - c) + a", "-(b - c) + a"),
    (r"a + -(b - c)", "a - (b - c)"),
    (r"x^{a - (b - c)}", "x**(a - (b - c))"),
    (r"x^2 - (y^2 + 2xy)", "x**2 - (y**2 + 2*x*y)"),
    (r"a - (b - (c - x))", "a - (b - (c - x))"),
    (r"\frac{a}{b - (c - x)}", "a/(b - (c - x))"),
    (r"a \cdot (b - c)", "a*(b - c)"),
    (r"a (b - c)^2", "a*(b - c)**2"),
    (r"(a - b)(a - c)", "(a - b)*(a - c)"),
]


@pytest.mark.parametrize("latex, as_python", GROUPED, ids=[g[0] for g in GROUPED])
def test_brackets_after_a_minus_keep_their_grouping(latex, as_python):
    assert value(latex) == python(as_python)


def test_the_false_step_of_issue_27_is_not_an_identity():
    assert sympy.expand(value(r"x^2 - (y^2 + 2xy)") - value(r"x^2 - y^2 + 2xy")) != 0


@pytest.mark.parametrize("latex", [g[0] for g in GROUPED])
def test_the_display_text_is_written_from_the_tree_and_means_the_same(latex):
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in SYMBOLS.items()], [])
    reading = read_expression(tokenize(latex), names)
    assert python(reading.python) == parse_expression(reading.text(1), scope())


def test_the_reader_gives_a_typed_tree_not_text():
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in SYMBOLS.items()], [])
    reading = read_expression(tokenize(r"a - (b - c)"), names)
    assert isinstance(reading.tree, ast.expr)
    text = reading.text(3)
    assert text.tree is reading.tree and text.line == 3


def test_decimals_stay_exact():
    assert value(r"0.1 + 0.2") == sympy.Rational(3, 10)
    long = "3.14159265358979323846264338327950288"
    assert value(long) == sympy.Rational(314159265358979323846264338327950288, 10**35)
    names = names_from_declarations([], [])
    tree = read_expression(tokenize(long), names).tree
    assert isinstance(tree, ast.Constant) and isinstance(tree.value, ExactDecimal) and show(tree) == long


POST = """\
<!-- derivcheck
title: grouping
symbols:
  x: real
  y: real
-->
$$
x^2 - (y^2 + 2xy) = x^2 - y^2 - 2xy
$$
"""


def test_no_text_of_a_latex_reading_is_parsed_again(monkeypatch):
    parsed_texts: list[str] = []
    original = expressions._parse_ast

    def spy(source: str, line: int) -> ast.expr:
        parsed_texts.append(source)
        return original(source, line)

    monkeypatch.setattr(expressions, "_parse_ast", spy)
    loaded = LoadedFile("post.md", tuple(documents_from_markdown(POST, "post.md")), "markdown")
    report = verify_loaded([loaded], CheckConfig(jobs=1, cache_dir=None, timeout=10.0), files=["post.md"])
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "proved"
    assert not any("y**2" in source for source in parsed_texts), parsed_texts


def test_a_wrong_grouping_is_refuted_not_proved():
    text = POST.replace("x^2 - y^2 - 2xy", "x^2 - y^2 + 2xy")
    loaded = LoadedFile("post.md", tuple(documents_from_markdown(text, "post.md")), "markdown")
    report = verify_loaded([loaded], CheckConfig(jobs=1, cache_dir=None, timeout=10.0), files=["post.md"])
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong"


def test_the_shown_text_brackets_every_grouping_the_tree_has():
    a, b, c = (ast.Name(n, ast.Load()) for n in "abc")
    sub = ast.BinOp(b, ast.Sub(), c)
    assert show(ast.BinOp(a, ast.Sub(), sub)) == "a - (b - c)"
    assert show(ast.BinOp(a, ast.Div(), ast.BinOp(b, ast.Mult(), c))) == "a/(b*c)"
    assert show(ast.BinOp(ast.BinOp(a, ast.Pow(), b), ast.Pow(), c)) == "(a**b)**c"
    assert show(ast.UnaryOp(ast.USub(), ast.BinOp(a, ast.Mult(), b))) == "-(a*b)"
    assert show(ast.BinOp(ast.UnaryOp(ast.USub(), a), ast.Pow(), b)) == "(-a)**b"
    long = ast.Name("x", ast.Load())
    for _ in range(20000):  # a long sum is written without recursing per term
        long = ast.BinOp(long, ast.Add(), ast.Name("x", ast.Load()))
    assert show(long).count("+") == 20000


def reading(latex: str, symbols: dict[str, str]) -> str:
    names = names_from_declarations([SymbolDecl(n, w, 1) for n, w in symbols.items()], [])
    return read_expression(tokenize(latex), names).python


@pytest.mark.parametrize(
    "latex, symbols, expected",
    [
        (r"\beta_1 + \beta_{2}", {"beta_1": "real", "beta_2": "real"}, "beta_1 + beta_2"),
        (r"1 - \beta_1^t", {"beta_1": "real", "t": "real"}, "1 - beta_1**t"),
        (r"x_1 x_2", {"x_1": "real", "x_2": "real"}, "x_1*x_2"),
        (r"x_{max} - x_{min}", {"x_max": "real", "x_min": "real"}, "x_max - x_min"),
        (r"E_o - E_h", {"E_o": "real", "E_h": "real"}, "E_o - E_h"),
        (r"e^{E_o} + e_h", {"E_o": "real", "e_h": "real"}, "exp(E_o) + e_h"),
        (r"2E_o", {"E_o": "real"}, "2*E_o"),
        (r"yE_o", {"E_o": "real", "y": "real"}, "y*E_o"),
        (
            r"\hat{m}_t / (1 - \beta_1^t)",
            {"m_hat": "real vector", "beta_1": "real", "t": "index 1..T", "T": "positive integer"},
            "m_hat[t]/(1 - beta_1**t)",
        ),
    ],
)
def test_a_declared_subscripted_name_is_read_without_its_base_declared(latex, symbols, expected):
    assert reading(latex, symbols) == expected


def test_an_undeclared_subscripted_name_names_the_whole_name():
    from derivcheck.errors import FormatError

    with pytest.raises(FormatError) as info:
        reading(r"\beta_2", {"beta_1": "real"})
    assert "beta_2" in info.value.message


def test_the_renderer_typesets_a_latex_step_from_its_tree(monkeypatch):
    from derivcheck.render import expressions as render_expressions
    from derivcheck.render.views import document_view

    parsed_texts: list[str] = []
    original = ast.parse

    def spy(source: str, *args: object, **kwargs: object) -> ast.AST:
        parsed_texts.append(source)
        return original(source, *args, **kwargs)

    (doc,) = documents_from_markdown(POST, "post.md")
    monkeypatch.setattr(render_expressions.ast, "parse", spy)
    view = document_view(doc)
    assert view.chains and not any("y**2" in source for source in parsed_texts), parsed_texts


def test_max_of_a_constant_that_is_not_real_is_a_format_error_not_a_crash():
    from derivcheck.errors import FormatError

    with pytest.raises(FormatError) as info:
        python("max(asin(7), x)")
    assert "not a real number" in info.value.message
