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


# --- Class 3 of issue 12: tol means what it says; values bounded with their own error

import sympy  # noqa: E402

from derivcheck.check.ladder.engine import decide_claim, show_tolerance  # noqa: E402


def single(expr, claimed, tol=None, symbols=None, at=None, functions=None):
    claim = {"expr": expr, "at": at or {}, "is": claimed}
    if tol is not None:
        claim["tol"] = tol
    (result,) = number_results([claim], symbols, functions=functions)
    return result


@pytest.mark.parametrize(
    "expr, claimed, tol, verdict",
    [
        ("1 + 10**-45", "1", 0, "wrong"),             # no hidden 1e-40 slack
        ("1 + 10**-45", "1", "1e-44", "proved"),
        ("1 + 10**-45", "1", "1e-46", "wrong"),
        ("3/10", "0.25", 0.05, "proved"),              # exactly on the edge: |0.3 - 0.25| == 0.05
        ("3/10 + 10**-60", "0.25", 0.05, "wrong"),     # just beyond the edge
        ("log(8)/log(2)", "3", None, "proved"),        # exact claim proved exactly
        ("log(8)/log(2) + 10**-70", "3", None, "wrong"),
        ("sqrt(2)**2", "2", 0, "proved"),
        ("exp(1)", "2.718281828", None, "proved"),
        ("exp(1)", "2.718281826", None, "wrong"),
        ("(exp(200) + 2)**2 - exp(400) - 4*exp(200)", "4", 0, "proved"),  # cancellation, exact
        ("(exp(200) + 2)**2 - exp(400) - 4*exp(200)", "4.002", None, "wrong"),
    ],
)
def test_tolerance_means_what_it_says(expr, claimed, tol, verdict):
    result = single(expr, claimed, tol)
    assert result.verdict.value == verdict, result.outcome


def test_decide_claim_exact_and_bounded():
    third = sympy.Rational(1, 3)
    assert decide_claim(third, third, sympy.Integer(0)).status == "holds"
    assert decide_claim(third, sympy.Rational(333, 1000), sympy.Integer(0)).status == "fails"
    assert decide_claim(third, sympy.Rational(333, 1000), sympy.Rational(1, 1000)).status == "holds"
    # pi is not 355/113, though they agree to 6 digits
    assert decide_claim(sympy.pi, sympy.Rational(355, 113), sympy.Integer(0)).status == "fails"
    assert decide_claim(sympy.pi, sympy.Rational(355, 113), sympy.Rational(1, 10**6)).status == "holds"
    assert decide_claim(sympy.pi, sympy.Rational(355, 113), sympy.Rational(1, 10**7)).status == "fails"


def test_equal_to_every_digit_but_not_proved_exact_is_numeric_not_proved():
    # True (Gauss), but SymPy does not reduce it to 0: numeric, never "proved".
    c = sympy.cos
    product = c(sympy.pi / 7) * c(2 * sympy.pi / 7) * c(4 * sympy.pi / 7)
    assert decide_claim(product, sympy.Rational(-1, 8), sympy.Integer(0)).status == "close"
    result = single("cos(pi/7)*cos(2*pi/7)*cos(4*pi/7)", "-1/8")
    assert result.verdict.value == "numeric", result.outcome
    # a Float claim of finite precision is not the exact value
    assert decide_claim(sympy.zeta(3), sympy.zeta(3).evalf(120), sympy.Integer(0)).status == "fails"


def test_at_value_breaking_a_declaration_is_a_format_error():
    cases = [
        ({"x": "positive"}, {"x": -2}, "'x' is declared positive", "x = -2"),
        ({"n": "integer"}, {"n": "1/2"}, "'n' is declared integer", "n = 1/2"),
        ({"x": "nonnegative"}, {"x": [1, -3]}, "'x' is declared nonnegative", "x = -3"),
        ({"z": "positive vector"}, {"z": [1, -1]}, "'z' is declared positive", "z[2] = -1"),
        ({"i": "index 1..C", "C": "positive integer"}, {"i": 4, "C": 3}, "index 1..C", "i = 4"),
        ({"i": "index 0..3"}, {"i": -1}, "index 0..3", "i = -1"),
        ({"x": "real"}, {"x": "sqrt(-1)"}, "'x' is declared real", "x = I"),
    ]
    for symbols, at, declared, given in cases:
        text = derivation(None, symbols, numbers=[{"expr": "1", "at": at, "is": 1}])
        report = verify_text(text)
        (error,) = [r for r in report.results if r.kind == "error"]
        assert declared in error.message and given in error.message, error.message
        assert error.line is not None and error.line > 1
        assert report.exit_code == 2


def test_sqrt_of_square_at_a_forbidden_value_is_not_proved():
    text = derivation(None, {"x": "positive"}, numbers=[{"expr": "sqrt(x**2)", "at": {"x": -2}, "is": -2}])
    report = verify_text(text)
    assert report.exit_code == 2
    assert not [r for r in report.results if r.kind == "number"]


def test_at_values_the_declaration_allows_are_accepted():
    result = single("x", "0.1416", symbols={"x": "positive"}, at={"x": "pi - 3"})
    assert result.verdict.value == "proved"


# --- Issue 14 point 9: long finite sums evaluated with error control, or unknown

K = {"k": "positive integer"}


def test_long_oscillating_sum_is_summed_with_error_control():
    # sum_{k=1}^{5000} cos(k)/k; the reference is summed here term by term with mpmath at 50 digits.
    import mpmath

    with mpmath.workdps(50):
        reference = mpmath.fsum(mpmath.cos(k) / k for k in range(1, 5001))
    claimed = mpmath.nstr(reference, 12)
    result = single("Sum(cos(k)/k, (k, 1, 5000))", claimed, symbols=K)
    assert result.verdict.value == "proved", result.outcome
    wrong = single("Sum(cos(k)/k, (k, 1, 5000))", mpmath.nstr(reference + mpmath.mpf("3e-12"), 12), symbols=K)
    assert wrong.verdict.value == "wrong", wrong.outcome
    assert wrong.outcome.value[0].startswith(mpmath.nstr(reference, 10)[:10])


def test_long_sum_verdict_is_deterministic():
    outcomes = {single("Sum(1/k**2, (k, 1, 3000))", "1.6446", symbols=K).outcome.value for _ in range(2)}
    assert len(outcomes) == 1


def test_sum_too_long_to_bound_is_unknown_not_wrong():
    result = single("Sum(cos(k)/k, (k, 1, 10**7))", "0.042", symbols=K)
    assert result.verdict.value == "unknown", result.outcome
    assert "terms" in result.outcome.detail


# --- Issue 16 point 6: wording, and the tolerance used is printed

def test_failing_element_is_named_with_its_position_value_claim_and_tolerance():
    (result,) = number_results([{"expr": "sigma(x)", "at": {"x": [0, 0, 0]}, "is": [0.5, 0.5, 0.7]}])
    detail = result.outcome.detail
    assert detail.startswith("element 3 of 3 differs: value 0.5"), detail
    assert "claimed 0.7" in detail and "tolerance 0.1" in detail


def test_several_failing_elements():
    (result,) = number_results([{"expr": "sigma(x)", "at": {"x": [0, 0, 0]}, "is": [0.62, 0.5, 0.7]}])
    assert result.outcome.detail.startswith("elements 1, 3 of 3 differ"), result.outcome.detail


def test_passing_claim_prints_the_tolerance_used():
    result = single("sigma(x)", 0.2689, at={"x": -1}, functions=SIGMA)
    assert result.verdict.value == "proved"
    assert "0.0001" in result.outcome.detail


@pytest.mark.parametrize("tol, shown", [(sympy.Rational(1, 10000), "0.0001"), (sympy.Integer(0), "0"),
                                        (sympy.Rational(1, 3), "1/3"), (sympy.Integer(10), "10")])
def test_tolerance_shown_as_written(tol, shown):
    assert show_tolerance(tol) == shown


def test_an_exact_looking_evaluation_of_a_tiny_value_is_never_exact():
    # SymPy's evalf returns the integer 0 for log(1 + exp(-3270000)), which is
    # about 10**-1420000: that must not pass as the exact value 0.
    from derivcheck.check.ladder.engine import decide_claim
    from derivcheck.check.screen.certified import bounded_value

    tiny = sympy.log(1 + sympy.exp(sympy.Integer(-3270000)))
    assert bounded_value(tiny).exact is False
    assert decide_claim(tiny, sympy.Integer(0), sympy.Integer(0)).status != "holds"
    # A rational expression stays exact.
    assert bounded_value(sympy.Rational(1, 3)).exact is True
