"""Inequality steps: true inequalities proved with the argument named, false ones refuted, never proved.

Strict-versus-nonstrict at a boundary is the case that matters most: the seed's
``-|x| < 0`` fails only at x = 0, where both sides are exactly equal.
"""

import pytest
import sympy

from derivcheck.check.ladder.relations import AtPoint, relation_at
from derivcheck.check.prove.signs import SignGoal, decide_sign, goal_of, prove_relation
from tests.helpers import derivation, verify_text

X = {"x": "real"}
XY = {"x": "real", "y": "real"}
SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}


def chain_verdicts(first, *steps, symbols=X, assume=None, functions=None):
    """Verdicts of a chain ``first rel1 e1 rel2 e2 …`` given as (rel, expr) pairs."""
    text = derivation(
        [first] + [{"expr": expr, "rel": rel} for rel, expr in steps],
        symbols=symbols,
        assume=assume,
        functions=functions,
    )
    report = verify_text(text)
    assert all(r.kind != "error" for r in report.results), [r.message for r in report.results]
    return [r for r in report.results if r.kind == "step"]


TRUE = [
    ("-abs(x)", "<=", "0", X, [], {}),
    ("0", "<", "exp(-abs(x))", X, [], {}),
    ("exp(-abs(x))", "<=", "1", X, [], {}),
    ("max(x, 0)", "<", "log(1 + exp(x))", X, [], {}),
    ("log(1 + exp(x))", "<=", "max(x, 0) + log(2)", X, [], {}),
    ("0", "<", "sigma(x)", X, [], SIGMA),
    ("sigma(x)", "<", "1", X, [], SIGMA),
    ("sin(x)", "<=", "1", X, [], {}),
    ("-1", "<=", "cos(x)", X, [], {}),
    ("x**2 + 1", ">", "0", X, [], {}),
    ("abs(x)", ">=", "x", X, [], {}),
    ("exp(x)", ">", "exp(y)", XY, ["x > y"], {}),
    ("log(x)", "<", "log(y)", {"x": "positive", "y": "positive"}, ["x < y"], {}),
    ("x", "<=", "abs(x)", X, [], {}),
    ("max(x, y)", ">=", "x", XY, [], {}),
]

FALSE = [
    ("-abs(x)", "<", "0", X, [], {}),  # the seed's slip: equal at x = 0
    ("exp(-abs(x))", "<", "1", X, [], {}),  # equal at x = 0
    ("log(1 + exp(x))", "<", "max(x, 0) + log(2)", X, [], {}),  # equal at x = 0
    ("x**2", ">", "0", X, [], {}),  # equal at x = 0
    ("0", "<", "x", X, [], {}),
    ("abs(x)", "<=", "x", X, [], {}),
    ("sin(x)", "<", "1", X, [], {}),  # equal at x = pi/2
    ("x", "<=", "x**2", X, [], {}),  # fails at x = 1/2
    ("exp(x)", "<", "exp(y)", XY, ["x >= y"], {}),
    ("sigma(x)", "<=", "1/2", X, [], SIGMA),
]


@pytest.mark.parametrize("a, rel, b, symbols, assume, functions", TRUE)
def test_true_inequalities_are_proved(a, rel, b, symbols, assume, functions):
    (step,) = chain_verdicts(a, (rel, b), symbols=symbols, assume=assume, functions=functions)
    assert step.verdict.value == "proved", step.outcome
    assert step.outcome.method  # the argument is named


@pytest.mark.parametrize("a, rel, b, symbols, assume, functions", FALSE)
def test_false_inequalities_are_never_proved(a, rel, b, symbols, assume, functions):
    (step,) = chain_verdicts(a, (rel, b), symbols=symbols, assume=assume, functions=functions)
    assert step.verdict.value not in ("proved", "proved for sizes", "numeric"), step.outcome
    assert not step.passes


def test_strict_fails_at_the_boundary_with_the_point_and_the_fix():
    (step,) = chain_verdicts("-abs(x)", ("<", "0"))
    assert step.verdict.value == "wrong"
    assert step.outcome.counterexample == {"x": "0"}
    assert step.outcome.method == "boundary point"
    assert "equal" in step.outcome.detail
    assert '"<="' in step.outcome.hint


def test_the_counterexample_really_breaks_the_relation():
    (step,) = chain_verdicts("x", ("<=", "x**2"))
    assert step.verdict.value == "wrong"
    value = sympy.Rational(step.outcome.counterexample["x"])
    assert not (value <= value**2)


def test_a_chain_concludes_with_the_strictest_relation_and_each_step_is_checked():
    steps = chain_verdicts("max(x, 0)", ("<", "log(1 + exp(x))"), ("<=", "max(x, 0) + log(2)"))
    assert [s.verdict.value for s in steps] == ["proved", "proved"]
    assert [s.relation for s in steps] == ["<", "<="]
    from derivcheck.model import chain_relation

    assert chain_relation(["<", "<="]) == "<"
    assert chain_relation(["==", "<="]) == "<="
    assert chain_relation([">=", "==", ">"]) == ">"
    assert chain_relation(["=="]) == "=="


def test_equality_steps_in_an_inequality_chain_stay_equalities():
    steps = chain_verdicts("0", ("<=", "abs(x)"), ("==", "sqrt(x**2)"), ("<", "sqrt(x**2) + 1"))
    assert [s.verdict.value for s in steps] == ["proved", "proved", "proved"]


def test_past_a_step_marked_wrong_the_next_is_checked_with_the_combined_relation():
    text = derivation(
        ["-abs(x)", {"expr": "-abs(x) - 1", "rel": ">=", "wrong": "off by one"}, {"expr": "-abs(x) - 1", "rel": ">"}],
    )
    # Direction >= then >: the third step is checked as -abs(x) > -abs(x) - 1.
    steps = [r for r in verify_text(text).results if r.kind == "step"]
    assert steps[0].verdict.value in ("proved",)  # not actually wrong: the erratum is not refuted
    assert not steps[0].passes
    assert steps[1].relation == ">" and steps[1].verdict.value == "proved"


def test_conditions_restrict_the_points_of_a_refutation():
    (step,) = chain_verdicts("0", ("<", "x"), assume=["x > 0"])
    assert step.verdict.value == "proved"


def test_a_point_is_decided_by_the_certified_sign_of_the_gap_never_by_closeness():
    # Item 10 of issue 27: a gap of 1e-50 is no tie; a true tie is decided exactly.
    x = sympy.Symbol("x", real=True)
    tiny = sympy.Integer(10) ** -50
    at = {x: sympy.Integer(1)}
    assert relation_at(x, x - tiny, "<=", at) == AtPoint(False)
    assert relation_at(x, x + tiny, "<", at) == AtPoint(True)
    assert relation_at(x, x - tiny, ">", at) == AtPoint(True)
    tie = sympy.sin(x) ** 2 + sympy.cos(x) ** 2
    assert relation_at(tie, sympy.Integer(1), "<", at) == AtPoint(False, equal=True)
    assert relation_at(tie, sympy.Integer(1), "<=", at) == AtPoint(True, equal=True)


def test_a_tiny_negative_gap_makes_a_step_wrong_not_numeric():
    (step,) = chain_verdicts("x", ("<=", "x - 10**-50"))
    assert step.verdict.value == "wrong", step.outcome
    (step,) = chain_verdicts("exp(x)", (">=", "exp(x) + 10**-60*exp(-x**2)"))
    assert step.verdict.value == "wrong", step.outcome


def test_decide_sign_names_its_argument():
    x = sympy.Symbol("x", real=True)
    assert "exp is increasing" in decide_sign(SignGoal(1 - sympy.exp(-abs(x)), False))
    assert "bound" in decide_sign(SignGoal(1 - sympy.sin(x), False))
    assert decide_sign(SignGoal(1 - sympy.sin(x), True)) is None  # sin reaches 1
    assert decide_sign(SignGoal(1 - sympy.tanh(x), True)) is not None  # tanh never does
    assert decide_sign(SignGoal(x, False)) is None


def test_prove_relation_refuses_false_statements():
    x = sympy.Symbol("x", real=True)
    assert prove_relation(-abs(x), sympy.Integer(0), "<", []) is None
    assert prove_relation(-abs(x), sympy.Integer(0), "<=", []) is not None
    assert goal_of(x, x + 1, ">").expr == -1


def test_numeric_when_no_argument_is_found():
    # True (x**4 - x**2 + 1 > 0 has no real root) but beyond the sign rules: numeric or proved, never wrong.
    (step,) = chain_verdicts("x**2", ("<", "x**4 + 1"))
    assert step.verdict.value in ("proved", "numeric")


def test_sums_written_twice_cancel_and_softmax_stays_in_the_unit_interval():
    symbols = {"z": "real vector", "C": "positive integer", "i": "index 1..C"}
    steps = chain_verdicts(
        "0",
        ("<", "exp(z[i])/Sum(exp(z[k]), (k, 1, C))"),
        ("<=", "1"),
        symbols=symbols,
    )
    assert [s.verdict.value for s in steps] == ["proved", "proved for sizes"]
    (step,) = chain_verdicts(
        "Sum(exp(z[k]), (k, 1, C))", ("<", "Sum(exp(z[k]), (k, 1, C)) + 1"), symbols=symbols
    )
    assert step.verdict.value == "proved"


def test_a_false_bound_over_sizes_is_refuted_with_the_size():
    symbols = {"z": "real vector", "C": "positive integer", "i": "index 1..C"}
    (step,) = chain_verdicts("exp(z[i])/Sum(exp(z[k]), (k, 1, C))", ("<", "1"), symbols=symbols)
    # C = 1: the softmax of one logit is exactly 1.
    assert step.verdict.value == "wrong" and step.outcome.counterexample.get("C") == "1"


VECTOR = {"z": "real vector", "C": "positive integer", "c": "index 1..C"}
LSE = "log(Sum(exp(z[c]), (c, 1, C)))"


def test_log_sum_exp_bounds_over_a_vector_are_proved_in_general():
    steps = chain_verdicts("max(z)", ("<=", LSE), ("<=", "max(z) + log(C)"), symbols=VECTOR)
    assert [s.verdict.value for s in steps] == ["proved", "proved"]
    assert all("a sum of" in s.outcome.method for s in steps)


@pytest.mark.parametrize(
    "first, rel, second",
    [("max(z)", "<", LSE), (LSE, "<", "max(z) + log(C)"), ("max(z) + log(C)", "<=", LSE), (LSE, "<=", "max(z)")],
)
def test_false_log_sum_exp_bounds_are_never_proved(first, rel, second):
    (step,) = chain_verdicts(first, (rel, second), symbols=VECTOR)
    assert step.verdict.value not in ("proved", "proved for sizes", "numeric") and not step.passes
