"""Number claims: exact then numeric evaluation, the tolerance rule, lists and vectors."""

import pytest

from derivcheck.parse.document import default_tolerance
from tests.helpers import derivation, verify_text

SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}


def number_results(numbers, symbols=None, functions=SIGMA):
    text = derivation(None, symbols or {"x": "real"}, functions=functions, numbers=numbers)
    return [r for r in verify_text(text).results if r.kind == "number"]


@pytest.mark.parametrize(
    "text, tol", [("0.2360", "1/10000"), ("0.25", "1/100"), ("1", "0"), ("1.5e-3", "1/10000"), ("3/4", "0")]
)
def test_default_tolerance_is_one_unit_in_last_written_place(text, tol):
    assert str(default_tolerance(text)) == tol


def test_sigmoid_slope_at_zero():
    (result,) = number_results([{"expr": "sigma(x)*(1 - sigma(x))", "at": {"x": 0}, "is": 0.25}])
    assert result.verdict.value == "proved" and result.passes


def test_list_given_to_a_plain_symbol_evaluates_element_by_element():
    (result,) = number_results(
        [{"expr": "sigma(x)", "at": {"x": [-1.7723, -1.5965, 0.8863]}, "is": [0.1453, 0.1685, 0.7081]}]
    )
    assert result.verdict.value == "proved"
    assert len(result.outcome.value) == 3


def test_failing_elements_are_named_with_value_claim_and_tolerance():
    (result,) = number_results(
        [{"expr": "sigma(x)", "at": {"x": [0, 0]}, "is": [0.5, 0.7]}]
    )
    assert result.verdict.value == "wrong" and not result.passes
    assert result.outcome.failing == (1,)
    assert result.outcome.claimed == ("0.5", "0.7")
    assert result.outcome.value[1].startswith("0.5")
    assert result.outcome.tol == ("1/10", "1/10")


def test_vector_binding_and_explicit_tol():
    symbols = {"z": "real vector", "c": "index 1..C", "C": "positive integer"}
    (result,) = number_results(
        [{"expr": "Sum(z[c], (c, 1, C))/C", "at": {"z": [1, 2, 4], "C": 3}, "is": 2.33, "tol": 0.01}],
        symbols,
        functions=None,
    )
    assert result.verdict.value == "proved"
    assert result.outcome.tol == ("1/100",)


def test_unevaluable_claim_is_unknown_with_a_reason():
    (result,) = number_results([{"expr": "x + 1", "at": {}, "is": 1}])
    assert result.verdict.value == "unknown"
    assert "no value given for x" in result.outcome.detail
