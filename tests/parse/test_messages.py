"""Parse errors that say the fix, and the built-in functions added for first-time authors."""

from __future__ import annotations

import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.load.documents import documents_from_text
from derivcheck.model import LoadError, SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.symbols import read_symbol
from tests.helpers import derivation, step_verdicts, verify_text

SCOPE = Scope({n: read_symbol(SymbolDecl(n, "real", 1)) for n in ("x", "y", "a", "b")}, {})


def message(text: str) -> str:
    with pytest.raises(FormatError) as caught:
        parse_expression(Text(text, 1), SCOPE)
    return caught.value.message


@pytest.mark.parametrize(
    "text, fix",
    [
        ("2x", "write 2*x"),
        ("2x + 3y", "write 2*x + 3*y"),  # every implicit product, not only the first
        ("2.5x", "write 2.5*x"),
        ("x y", "write x*y"),
        ("x**2y", "write x**2*y"),
        ("2(x + 1)", "write 2*(x + 1)"),
        ("(x + 1)(x - 1)", "write (x + 1)*(x - 1)"),
        ("x(1 + y)", "write x*(1 + y)"),
        ("xy", "write x*y"),
        ("abx", "write a*b*x"),
    ],
)
def test_implicit_multiplication_says_where_the_star_goes(text, fix):
    assert fix in message(text)


@pytest.mark.parametrize(
    "name, definition",
    [
        ("sigmoid", "sigmoid(t): 1/(1 + exp(-t))"),
        ("softplus", "softplus(t): log(1 + exp(t))"),
        ("relu", "relu(t): max(t, 0)"),
    ],
)
def test_common_functions_say_how_to_define_them(name, definition):
    text = message(f"{name}(x)")
    assert "define it under 'functions'" in text and definition in text
    assert "did you mean" not in text


def test_other_spellings_of_built_ins_are_answered():
    assert "write log(x)" in message("ln(x)")
    assert "write atan(x)" in message("arctan(x)")


BUILT_INS = {
    "erf(x)": sympy.erf(sympy.Symbol("x", real=True)),
    "erfc(x)": sympy.erfc(sympy.Symbol("x", real=True)),
    "floor(x)": sympy.floor(sympy.Symbol("x", real=True)),
    "ceiling(x)": sympy.ceiling(sympy.Symbol("x", real=True)),
    "sech(x)": sympy.sech(sympy.Symbol("x", real=True)),
    "csch(x)": sympy.csch(sympy.Symbol("x", real=True)),
    "coth(x)": sympy.coth(sympy.Symbol("x", real=True)),
    "atan(x)": sympy.atan(sympy.Symbol("x", real=True)),
    "asin(x)": sympy.asin(sympy.Symbol("x", real=True)),
    "acos(x)": sympy.acos(sympy.Symbol("x", real=True)),
    "log1p(x)": sympy.log(1 + sympy.Symbol("x", real=True)),
    "expm1(x)": sympy.exp(sympy.Symbol("x", real=True)) - 1,
}


@pytest.mark.parametrize("text", sorted(BUILT_INS))
def test_new_built_ins_parse(text):
    assert parse_expression(Text(text, 1), SCOPE) == BUILT_INS[text]


def test_new_built_ins_verify_and_refute():
    x = {"x": "real"}
    positive = {"x": "positive"}
    assert step_verdicts(verify_text(derivation(["erfc(x)", "1 - erf(x)"], x))) == ["proved"]
    assert step_verdicts(verify_text(derivation(["expm1(x) + 1", "exp(x)"], x))) == ["proved"]
    assert step_verdicts(verify_text(derivation(["log1p(x)", "log(1 + x)"], positive))) == ["proved"]
    assert step_verdicts(verify_text(derivation(["sech(x)", "1/cosh(x)"], x)))[0] in ("proved", "numeric")
    assert step_verdicts(verify_text(derivation(["erf(x)", "erfc(x)"], x))) == ["wrong"]
    assert step_verdicts(verify_text(derivation(["floor(x)", "ceiling(x)"], x))) == ["wrong"]
    assert step_verdicts(verify_text(derivation(["atan(x)", "asin(x)"], positive))) == ["wrong"]


def test_a_document_may_still_declare_a_new_built_in_name():
    text = derivation(["erf(x)", "2*x"], {"x": "real"}, functions={"erf(t)": "2*t"})
    assert step_verdicts(verify_text(text)) == ["proved"]


def load_error(text: str) -> str:
    (error,) = documents_from_text(text, "a.yaml")
    assert isinstance(error, LoadError)
    return error.message


@pytest.mark.parametrize(
    "key, right",
    [("assumptions", "assume"), ("assumption", "assume"), ("given", "assume"), ("step", "steps"),
     ("definitions", "functions")],
)
def test_key_aliases_are_answered_with_the_right_key(key, right):
    text = f"title: t\nsymbols: {{x: real}}\n{key}: x\nsteps: [x, x]\n"
    if key == "step":
        text = "title: t\nsymbols: {x: real}\nstep: [x, x]\n"
    assert f"unknown top-level key '{key}': write '{right}'" in load_error(text)


def test_step_and_case_keys_are_answered_with_the_right_key():
    step = "title: t\nsymbols: {x: real}\nsteps:\n  - x\n  - expr: x\n    reason: same\n"
    assert "write 'by'" in load_error(step)
    case = "title: t\nsymbols: {x: real}\ncases:\n  - given: x > 0\n    steps: [x, x]\n"
    assert "write 'when'" in load_error(case)


def test_a_by_text_with_colon_space_says_quote_it():
    text = "title: t\nsymbols: {x: real}\nsteps:\n  - expr: x\n    by: chain rule: outer first\n  - x\n"
    error = documents_from_text(text, "a.yaml")[0]
    assert error.line == 5
    assert 'quote it: by: "chain rule: outer first"' in error.message


def test_an_indentation_error_gives_the_line_and_the_indentation_expected():
    text = "title: t\nsymbols:\n  x: real\n    y: real\nsteps: [x, x]\n"
    error = documents_from_text(text, "a.yaml")[0]
    assert error.line == 4
    assert "indented 4 spaces" in error.message and "indent it by 2 spaces" in error.message
    deeper = "title: t\nsymbols: {x: real}\nsteps:\n  - expr: x\n     by: foo\n  - x\n"
    assert "indent it by 4 spaces" in documents_from_text(deeper, "a.yaml")[0].message


def test_a_tab_says_spaces_only():
    assert "spaces only" in documents_from_text("title: t\nsymbols:\n\tx: real\n", "a.yaml")[0].message


def test_new_built_ins_evaluate_in_number_claims():
    numbers = [
        {"expr": "erf(x)", "at": {"x": 0.5}, "is": 0.5205},
        {"expr": "floor(x) + ceiling(x)", "at": {"x": 2.5}, "is": 5},
        {"expr": "4*atan(1)", "at": {}, "is": 3.1416},
        {"expr": "log1p(x) - expm1(x)", "at": {"x": 0}, "is": 0},
        {"expr": "erf(x)", "at": {"x": 0.5}, "is": 0.5305},
    ]
    report = verify_text(derivation(None, {"x": "real"}, numbers=numbers))
    assert [r.verdict.value for r in report.results] == ["proved", "proved", "proved", "proved", "wrong"]
