"""The notation of indexed sums: KroneckerDelta, max(z)/min(z), conditions 'for every c'."""

import pytest
import sympy

from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_conditions, parse_expression
from derivcheck.parse.extrema import ElementMax, ElementMin, element_bounds, write_out_extrema
from derivcheck.parse.symbols import read_symbol
from tests.helpers import derivation, verify_text

VEC = {"z": "real vector", "y": "real vector", "C": "positive integer", "i, c": "index 1..C"}


def _scope(**words) -> Scope:
    symbols = {}
    for name, text in words.items():
        symbols[name] = read_symbol(SymbolDecl(name, text, 1))
    return Scope(symbols, {})


def _one_range_scope():
    return _scope(z="real vector", y="real vector", C="positive integer", i="index 1..C", c="index 1..C")


def test_kronecker_delta_is_built_in():
    scope = _one_range_scope()
    i, c = scope.symbols["i"].obj, scope.symbols["c"].obj
    assert parse_expression(Text("KroneckerDelta(i, c)", 1), scope) == sympy.KroneckerDelta(i, c)
    with pytest.raises(FormatError, match="KroneckerDelta takes 2 arguments"):
        parse_expression(Text("KroneckerDelta(i)", 1), scope)


def test_max_of_a_vector_runs_over_the_declared_index_range():
    scope = _one_range_scope()
    value = parse_expression(Text("max(z)", 1), scope)
    assert isinstance(value, ElementMax) and value.is_real
    C = scope.symbols["C"].obj
    z = scope.symbols["z"].obj
    assert value.limits[0][1:] == (1, C)
    assert write_out_extrema(value.xreplace({C: 3})) == sympy.Max(z[1], z[2], z[3])
    assert isinstance(parse_expression(Text("min(z[k], (k, 2, C))", 1), scope), ElementMin)
    # two plain arguments keep their meaning
    assert parse_expression(Text("max(C, 2)", 1), scope) == sympy.Max(C, 2)


def test_max_of_a_vector_needs_one_range():
    scope = _scope(z="real vector", n="positive integer", m="positive integer", i="index 1..n", j="index 1..m")
    with pytest.raises(FormatError, match=r"max\(z\[k\], \(k, 1, C\)\)"):
        parse_expression(Text("max(z)", 1), scope)


def test_elements_are_bounded_by_the_max():
    scope = _one_range_scope()
    expr = parse_expression(Text("z[i] - max(z)", 1), scope)
    facts = element_bounds(expr, lambda t, lo, hi: t == scope.symbols["i"].obj)
    assert facts == [("<=", expr)]


def test_for_every_condition_parses_with_its_range():
    scope = _one_range_scope()
    (condition,) = parse_conditions(Text("y[c] in {0, 1} for every c", 3), scope)
    c, C = scope.symbols["c"].obj, scope.symbols["C"].obj
    assert condition.op == "in" and condition.every == (c, 1, C)
    chain = parse_conditions(Text("0 <= y[c] <= 1 for every c", 3), scope)
    assert len(chain) == 2 and all(cond.every for cond in chain)


@pytest.mark.parametrize(
    "text, message",
    [
        ("y[c] in {0, 1} for every q", "needs an index declared with its range"),
        ("C > 0 for every c", "does not use c"),
    ],
)
def test_for_every_errors_say_what_is_right(text, message):
    with pytest.raises(FormatError, match=message):
        parse_conditions(Text(text, 3), _one_range_scope())


def _results(previous, step, assume, symbols=VEC):
    report = verify_text(derivation([previous, step], symbols, assume))
    return [r for r in report.results if r.kind == "step"]


def test_for_every_condition_is_used_for_each_element():
    (result,) = _results("y[i]**2", "y[i]", ["y[c] in {0, 1} for every c"])
    assert result.verdict.value == "proved"
    (result,) = _results("Sum(y[c]**3, (c, 1, C))", "Sum(y[c], (c, 1, C))", ["y[c] in {0, 1} for every c"])
    assert result.verdict.value in ("proved", "proved for sizes")
    (result,) = _results("Sum(y[c]**3, (c, 1, C))", "Sum(y[c], (c, 1, C))", ["y[c] in {0, 2} for every c"])
    assert result.verdict.value == "wrong"


def test_one_element_condition_on_an_index_gets_a_warning():
    (result,) = _results("y[i]**2", "y[i]", ["y[c] in {0, 1}"])
    assert any("for every c" in note for note in result.notes)
    (result,) = _results("y[i]**2", "y[i]", ["y[c] in {0, 1} for every c"])
    assert not any(note.startswith("warning") for note in result.notes)


def test_max_shift_is_proved_and_a_wrong_shift_refuted():
    (right,) = _results("log(Sum(exp(z[c]), (c, 1, C)))", "max(z) + log(Sum(exp(z[c] - max(z)), (c, 1, C)))", [])
    assert right.verdict.value == "proved"
    (wrong,) = _results("log(Sum(exp(z[c]), (c, 1, C)))", "max(z) + log(Sum(exp(z[c] + max(z)), (c, 1, C)))", [])
    assert wrong.verdict.value == "wrong"
