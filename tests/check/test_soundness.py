"""The soundness table: tricky right and wrong steps, each with the verdict it must get.

A wrong step must never be proved, proved for sizes or numeric.
"""

import pytest

from tests.helpers import derivation, step_verdicts, verify_text

XY = {"x": "real", "y": "real"}
POS = {"a": "positive", "b": "positive"}
REAL_AB = {"a": "real", "b": "real"}
SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}

RIGHT = [
    ("(x + 1)**2", "x**2 + 2*x + 1", XY, [], {}),
    ("exp(-x)/(1 + exp(-x))**2", "1/(1 + exp(-x)) - 1/(1 + exp(-x))**2", XY, [], {}),
    ("diff(sigma(x), x)", "sigma(x)*(1 - sigma(x))", XY, [], SIGMA),
    ("sigma(x)", "1 - sigma(-x)", XY, [], SIGMA),
    ("log(a*b)", "log(a) + log(b)", POS, [], {}),
    ("sqrt(x**2)", "x", {"x": "nonnegative"}, [], {}),
    ("sqrt(x**2)", "abs(x)", XY, [], {}),
    ("abs(x)", "x", XY, ["x >= 0"], {}),
    ("log(1 + exp(-x)) + x - x*y", "max(x, 0) + log(1 + exp(-abs(x))) - x*y", XY, [], {}),
    ("log(1 + exp(-x)) + x", "log(1 + exp(x))", XY, [], {}),
    ("y*x + (1 - y)*x", "x", XY, ["y in {0, 1}"], {}),
    ("y**2", "y", XY, ["y in {0, 1}"], {}),
    ("max(x, y) + min(x, y)", "x + y", XY, [], {}),
    ("0.1 + 0.2", "0.3", XY, [], {}),
    ("x^2", "x**2", XY, [], {}),
    ("log(8, 2)", "3", XY, [], {}),
    ("sign(x)*abs(x)", "x", XY, [], {}),
    ("min(abs(x), b)", "abs(x)", {"x": "real", "b": "positive"}, ["-b < x < b"], {}),
    ("abs(x)", "x", XY, ["0 <= x"], {}),
    ("min(exp(-abs(x)), 1)", "exp(-abs(x))", XY, [], {}),
]

WRONG = [
    ("x**2 - 1", "(x - 1)*(x + 2)", XY, [], {}),                      # factor slip
    ("2*x*y", "x*y", XY, [], {}),                                       # missing factor 2
    ("x - y", "y - x", XY, [], {}),                                     # sign error
    ("sqrt(x**2)", "x", XY, [], {}),                                    # holds only for x >= 0
    ("abs(x)", "x", XY, [], {}),                                        # same, no assumption
    ("log(a*b)", "log(a) + log(b)", REAL_AB, [], {}),                   # needs positivity
    ("diff(sigma(x), x)", "sigma(x)*(1 + sigma(x))", XY, [], SIGMA),   # sign inside
    ("sigma(x)", "1 - sigma(x)", XY, [], SIGMA),                        # symmetry misapplied
    ("log(1 + exp(-x)) + x - x*y", "max(x, 0) + log(1 + exp(-abs(x))) + x*y", XY, [], {}),
    ("y*x", "x", XY, ["y in {0, 1}"], {}),                              # fails at y = 0
    ("0.1 + 0.2", "0.30000000000000004", XY, [], {}),                  # decimals are exact
    ("x", "x + 10**-30", XY, [], {}),                                   # tiny but real difference
    ("abs(x)", "x", XY, ["x <= 1"], {}),
    ("abs(x)", "-x", XY, ["0 <= x"], {}),                              # sign of the condition matters
    ("min(abs(x), b)", "b", {"x": "real", "b": "positive"}, ["-b < x < b"], {}),
    ("max(exp(-abs(x)), 1)", "exp(-abs(x))", XY, [], {}),
]


@pytest.mark.parametrize("previous, step, symbols, assume, functions", RIGHT)
def test_true_steps_are_proved(previous, step, symbols, assume, functions):
    report = verify_text(derivation([previous, step], symbols, assume, functions))
    assert step_verdicts(report) == ["proved"], report.results[0].outcome


@pytest.mark.parametrize("previous, step, symbols, assume, functions", WRONG)
def test_wrong_steps_are_refuted(previous, step, symbols, assume, functions):
    report = verify_text(derivation([previous, step], symbols, assume, functions))
    (result,) = report.results
    assert result.verdict.value == "wrong", result.outcome
    assert not result.passes
    assert result.outcome.counterexample is not None


def test_identity_under_case_condition_only():
    # abs(x) == -x holds in the case x < 0 but not in general.
    text = derivation(
        ["abs(x)", "x"],
        XY,
        cases=[{"when": "x < 0", "steps": ["abs(x)", "-x"]}, {"when": "x >= 0", "steps": ["abs(x)", "x"]}],
    )
    assert step_verdicts(verify_text(text)) == ["wrong", "proved", "proved"]


def test_wrong_case_condition_is_refuted():
    text = derivation(None, XY, cases=[{"when": "x > 0", "steps": ["abs(x)", "-x"]}])
    assert step_verdicts(verify_text(text)) == ["wrong"]
