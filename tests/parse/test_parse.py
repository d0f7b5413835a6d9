"""Parsing: the whitelist, exact decimals, definitions, and messages that point at the fault."""

import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.load.documents import documents_from_text
from derivcheck.parse.document import parse_document
from tests.helpers import derivation


def parsed(text):
    (doc,) = documents_from_text(text, "f.yaml")
    return parse_document(doc)


def first_steps(steps, **kw):
    return [s.expr for s in parsed(derivation(steps, **kw)).chains[0].steps]


def test_decimals_are_exact_and_caret_is_power():
    a, b = first_steps(["0.1 + x^2", "x**2"])
    assert a - b == sympy.Rational(1, 10)


def test_functions_expand_and_null_is_undefined():
    a, b = first_steps(["sigma(2*x)", "f(x)"], functions={"sigma(t)": "1/(1 + exp(-t))", "f(u)": None})
    x = sympy.Symbol("x", real=True)
    assert a == 1 / (1 + sympy.exp(-2 * x))
    assert isinstance(b.func, sympy.FunctionClass) and str(b.func) == "f"


def test_diff_is_computed_and_sum_is_kept():
    a, b = first_steps(
        ["diff(x**3, x)", "Sum(z[k], (k, 1, n))"],
        symbols={"x": "real", "z": "real vector", "n": "positive integer"},
    )
    assert a == 3 * sympy.Symbol("x", real=True) ** 2
    assert isinstance(b, sympy.Sum)


def test_symbol_words_become_assumptions():
    symbols = {"p": "positive", "i": "index 1..C", "z": "nonnegative vector", "C": "positive integer"}
    text = derivation(["p + i + z[1]", "1"], symbols=symbols)
    doc = parsed(text)
    assert doc.symbols["p"].obj.is_positive
    assert doc.symbols["i"].obj.is_integer and doc.symbols["i"].obj.is_positive
    assert doc.symbols["z"].obj[1].is_nonnegative
    assert doc.symbols["C"].obj.is_integer


@pytest.mark.parametrize(
    "step, fragment",
    [
        ("x.__class__", "attribute access"),
        ("__import__('os')", "unknown function '__import__'"),
        ("lambda: 1", "a lambda"),
        ("[t for t in x]", "comprehension"),
        ("'text'", "strings"),
        ("f'{x}'", "f-string"),
        ("(y := 1)", "':='"),
        ("exp(*x)", "starred"),
        ("exp(x=1)", "keyword arguments"),
        ("xx + 1", "undeclared name 'xx' (did you mean 'x'?)"),
        ("sigma(x, x)", "sigma takes 1 argument, given 2"),
        ("exp(x, x)", "exp takes 1 argument, given 2"),
        ("2x", "cannot parse"),
        ("10**10**10", "number too large"),
        ("x[1]", "not a declared vector"),
        ("sigma", "must be called"),
        ("x(2)", "is a symbol, not a function"),
        ("diff(x, x, 10**6)", "order of diff"),
    ],
)
def test_rejected_expressions_point_at_the_fault(step, fragment):
    text = derivation(["x", step], functions={"sigma(t)": "1/(1 + exp(-t))"})
    with pytest.raises(FormatError) as info:
        parsed(text)
    assert fragment in info.value.message
    assert info.value.line == len(text.splitlines())  # the last line holds the step


def test_function_cycle_is_named():
    text = derivation(["f(x)", "x"], functions={"f(t)": "g(t)", "g(t)": "f(t) + 1"})
    with pytest.raises(FormatError, match="cycle: f -> g -> f"):
        parsed(text)


def test_malformed_symbol_word_suggests():
    with pytest.raises(FormatError, match="unknown word 'postive'.*did you mean 'positive'"):
        parsed(derivation(["x", "x"], symbols={"x": "postive"}))


def test_conditions():
    doc = parsed(derivation(["x", "x"], assume=["0 < x < 1", "y in {0, 1}"], symbols={"x": "real", "y": "real"}))
    assert [c.op for c in doc.assume] == ["<", "<", "in"]
    assert doc.assume[2].values == (0, 1)
