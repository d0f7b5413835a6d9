"""Limits in steps: evaluated exactly by SymPy under the conditions; never decided by sampling."""

from __future__ import annotations

import pytest

from derivcheck.config import CheckConfig
from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl, Text
from derivcheck.parse.expressions import Scope, parse_expression
from derivcheck.parse.symbols import read_symbol
from tests.helpers import derivation, step_verdicts, verify_text


def _methods(report) -> list[str]:
    return [r.outcome.method for r in report.results if r.kind == "step" and r.outcome is not None]


def test_first_principles_chain_of_a_defined_function_is_proved():
    text = derivation(
        [
            "Limit((f(x + h) - f(x))/h, h, 0)",
            "Limit((x**2 + 2*x*h + h**2 - x**2)/h, h, 0)",
            "Limit(2*x + h, h, 0)",
            "2*x",
        ],
        functions={"f(t)": "t**2"},
    )
    report = verify_text(text)
    assert step_verdicts(report) == ["proved", "proved", "proved"]
    assert all(m.startswith("limits evaluated") for m in _methods(report))


def test_difference_quotient_of_an_undefined_function_is_its_derivative():
    text = derivation(
        ["Limit((g(x + h) - g(x))/h, h, 0)", "diff(g(x), x)"], functions={"g(t)": None}
    )
    assert step_verdicts(verify_text(text)) == ["proved"]


def test_symmetric_difference_quotient_of_an_undefined_function():
    text = derivation(
        ["Limit((g(x + h) - g(x - h))/(2*h), h, 0)", "diff(g(x), x)"], functions={"g(t)": None}
    )
    assert step_verdicts(verify_text(text)) == ["proved"]


def test_a_wrong_limit_value_is_refuted():
    text = derivation(["Limit((x + h)**3, h, 0)", "3*x"])
    assert step_verdicts(verify_text(text)) == ["wrong"]


def test_one_sided_limits_differ():
    text = derivation(["Limit(abs(h)/h, h, 0, '+')", "1", "Limit(abs(h)/h, h, 0, '-')"])
    assert step_verdicts(verify_text(text)) == ["proved", "wrong"]


def test_a_limit_that_does_not_exist_is_unknown_not_numeric():
    report = verify_text(derivation(["Limit(abs(h)/h, h, 0)", "1"]))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "unknown" and "does not exist" in result.outcome.detail


def test_a_limit_sympy_cannot_evaluate_is_unknown_never_sampled():
    # sin(1/h) oscillates: sampling small h would give any value; the step must stay unknown.
    report = verify_text(derivation(["Limit(sin(1/h), h, 0)", "0"]))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "unknown" and "never decided by sampling" in result.outcome.detail


def test_limit_at_infinity():
    text = derivation(["Limit(x*(1 + 1/n)**n, n, oo)", "x*E"])
    assert step_verdicts(verify_text(text)) == ["proved"]


def test_limit_needing_the_conditions_is_evaluated_in_their_sign_cases():
    # exp(-a n) -> 0 needs a > 0, given as a condition (not a declaration).
    text = derivation(["Limit(exp(-a*n), n, oo)", "0"], symbols={"a": "real"}, assume=["a > 0"])
    report = verify_text(text)
    assert step_verdicts(report) == ["proved"]
    assert "under the conditions" in _methods(report)[0]


def _scope() -> Scope:
    return Scope({"x": read_symbol(SymbolDecl("x", "real", 1))}, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Limit(x, 2, 0)", "variable of Limit must be a name"),
        ("Limit(x, h, 0, 'up')", "direction of Limit"),
        ("x + oo", "only as the point of a Limit"),
        ("limit(x, x, 0)", "not supported here; write Limit("),
        ("Piecewise(x, x)", "not supported here"),
        ("x + oo", "or a bound of an Integral"),
        ("E(x)", "not supported here"),
    ],
)
def test_limit_and_unsupported_constructs_get_clear_messages(text: str, message: str):
    with pytest.raises(FormatError) as caught:
        parse_expression(Text(text, 1), _scope())
    assert message in caught.value.message
    assert "did you mean" not in caught.value.message


def test_limit_variable_is_bound_not_declared():
    expr = parse_expression(Text("Limit(x + h, h, 0)", 1), _scope())
    assert {s.name for s in expr.free_symbols} == {"x"}


def test_limits_are_bounded_per_step():
    many = " + ".join(f"Limit(x + h, h, {k})" for k in range(20))
    report = verify_text(derivation([many, "20*x + 190"]), CheckConfig(jobs=1, cache_dir=None, timeout=10.0))
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "unknown" and "integrals in one step" in result.outcome.detail




def _one(report):
    (result,) = [r for r in report.results if r.kind == "step"]
    return result


def test_a_limit_depending_on_a_parameters_sign_is_refuted_in_the_case_that_contradicts_it():
    # exp(-a x) -> 0 only for a > 0: at a = 0 the limit is 1 (a < 0: infinite, undecided).
    result = _one(verify_text(derivation(["Limit(exp(-a*x), x, oo)", "0"], symbols={"a": "real"})))
    assert result.verdict.value == "wrong"
    assert result.outcome.counterexample == {"a": "0"} and result.outcome.values[0] == "1"
    assert "sign case a = 0" in result.outcome.method


def test_a_sign_case_without_the_parameter_left_gets_a_value_of_its_sign():
    result = _one(verify_text(derivation(["Limit(atan(a*x), x, oo)", "pi/2"], symbols={"a": "real"})))
    assert result.verdict.value == "wrong" and result.outcome.counterexample == {"a": "-1"}


def test_a_limit_proved_in_every_sign_case_is_proved():
    report = verify_text(derivation(["Limit(atan(a*x), x, oo)", "pi/2*sign(a)"], symbols={"a": "real"}))
    result = _one(report)
    assert result.verdict.value == "proved" and "each sign case" in result.outcome.method
    assert all(case in result.outcome.method for case in ("a > 0", "a < 0", "a = 0"))


def test_sign_cases_respect_the_conditions_and_declarations():
    # a >= 0 leaves a > 0 and a = 0: refuted at a = 0; a nonzero leaves both signs, a**2 > 0 in each.
    wrong = derivation(["Limit(exp(-a*x**2), x, oo)", "0"], symbols={"a": "real"}, assume=["a >= 0"])
    assert _one(verify_text(wrong)).outcome.counterexample == {"a": "0"}
    right = derivation(["Limit(exp(-a**2*x), x, oo)", "0"], symbols={"a": "real"}, assume=["a != 0"])
    assert step_verdicts(verify_text(right)) == ["proved"]
    # a condition that rules out both signs of the case values but one: a value of that sign satisfying it
    below = derivation(["Limit(atan(a*x), x, oo)", "pi/2"], symbols={"a": "real"}, assume=["a*(a + 3) > 0"])
    result = _one(verify_text(below))
    assert result.verdict.value == "wrong" and result.outcome.counterexample == {"a": "-10"}
