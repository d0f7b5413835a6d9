"""Diagnostics of wrong steps: each kind of slip gets a true counterexample, the right
difference, and the intended fix; a suggestion is never shown unless it is proved."""

import random
import re
import zlib
from pathlib import Path

import pytest
import sympy

from derivcheck.api import verify_paths
from derivcheck.load.documents import documents_from_text
from derivcheck.parse.document import parse_document
from tests.helpers import FAST, derivation, verify_text

FIXTURES = Path(__file__).parent / "fixtures"
XY = {"x": "real", "y": "real"}


def wrong_results(report):
    return [r for r in report.results if r.kind == "step" and r.verdict.value == "wrong"]


def assert_counterexample_separates(text: str, result, chain: int = 0):
    """Evaluate both sides at the reported point, independently of the engine."""
    (doc,) = [d for d in documents_from_text(text, "t.yaml") if d.title == result.title]
    parsed = parse_document(doc)
    steps = parsed.chains[chain].steps
    by_line = {s.step.expr.line: s.expr for s in steps}
    previous, current = by_line[result.previous_line], by_line[result.line]
    point = result.outcome.counterexample
    symbols = {name: spec for name, spec in parsed.symbols.items()}
    values = {}
    for key, raw in point.items():
        value = sympy.Rational(raw) if "I" not in raw else None
        if "[" in key:
            base, index = key[:-1].split("[")
            values[symbols[base].obj[int(index)]] = value
        else:
            values[symbols[key].obj] = value
    plain = {k: v for k, v in values.items() if not isinstance(k, sympy.Indexed)}
    elements = {k: v for k, v in values.items() if isinstance(k, sympy.Indexed)}

    def at_point(expr):
        return sympy.N(expr.xreplace(plain).doit().xreplace(elements), 50)

    a, b = at_point(previous), at_point(current)
    assert abs(a - b) > 1e-20, (a, b)
    for condition in parsed.assume + parsed.chains[chain].when:
        if not (condition.lhs.free_symbols | getattr(condition.rhs, "free_symbols", set())) <= set(plain):
            continue  # a condition on a symbol the step does not use (the other indices)
        if condition.op == "in":
            assert at_point(condition.lhs) in condition.values
        else:
            relations = {"==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}
            relation = relations[condition.op]
            assert bool(relation(at_point(condition.lhs), at_point(condition.rhs)))
    return values


def test_sign_slip():
    text = derivation(["(x + y)**2", "x**2 - 2*x*y + y**2"], XY)
    (result,) = wrong_results(verify_text(text))
    assert_counterexample_separates(text, result)
    assert result.outcome.difference == "the sides differ by 4*x*y (previous - this step)"
    assert result.outcome.suggestion == "x**2 + 2*x*y + y**2"


def test_factor_slip():
    text = derivation(["(x + y)**2 / 2", "(x + y)**2"], XY)
    (result,) = wrong_results(verify_text(text))
    assert result.outcome.difference == "this step is the previous one times 2"
    assert sympy.sympify(result.outcome.suggestion.replace("x", "X").replace("y", "Y")) == sympy.sympify("(X + Y)**2/2")


def test_symbol_swap():
    text = derivation(["log(a/b)", "log(b) - log(a)"], {"a": "positive", "b": "positive"})
    (result,) = wrong_results(verify_text(text))
    assert_counterexample_separates(text, result)
    assert result.outcome.suggestion == "log(a) - log(b)"


def test_index_swap_in_softmax_erratum():
    report = verify_paths([str(FIXTURES / "softmax.yaml")], FAST)
    (erratum,) = [r for r in report.results if r.erratum]
    assert erratum.passes and erratum.verdict.value == "wrong"
    assert erratum.outcome.suggestion == "-p(i)*p(j)"
    point = erratum.outcome.counterexample
    assert point["C"] == "2" and point["i"] != point["j"]
    text = (FIXTURES / "softmax.yaml").read_text()
    assert_counterexample_separates(text, erratum, chain=1)


def test_parenthesis_slip_is_localized_and_fixed():
    report = verify_paths([str(FIXTURES / "slips_parenthesis.yaml")], FAST)
    paren = [r for r in report.results if r.title == "paren"]
    slip, after = paren
    assert slip.verdict.value == "wrong" and not slip.passes and slip.role == "slip"
    assert slip.outcome.suggestion == "-(y[i]*(1 - sigma(z[i])) - (1 - y[i])*sigma(z[i]))"
    assert "only this step is a slip" in slip.notes[0]
    # The step after the slip is checked against the last correct step (line 10): it passes.
    assert after.passes and after.verdict.value in ("proved", "proved for sizes")
    assert after.role == "resumes" and after.slip_line == 11
    assert after.previous_line == 10
    assert after.outcome.suggestion is None


def test_wrong_case_condition():
    text = derivation(None, {"x": "real"}, cases=[{"when": "x > 0", "steps": ["abs(x) + x", "0"]}])
    (result,) = wrong_results(verify_text(text))
    values = assert_counterexample_separates(text, result)
    assert all(v > 0 for v in values.values())
    assert result.outcome.difference == "the sides differ by 2*x (previous - this step)"


def test_propagating_error_is_said():
    text = derivation(["2*x", "3*x", "x + 2*x", "3*x"], XY)
    (result,) = wrong_results(verify_text(text))
    assert "propagates" in result.notes[0]


CORRECT_STEPS = [
    ("(x + y)**2", "x**2 + 2*x*y + y**2", XY),
    ("exp(-x)/(1 + exp(-x))**2", "1/(1 + exp(-x)) - 1/(1 + exp(-x))**2", XY),
    ("log(a*b**2)", "log(a) + 2*log(b)", {"a": "positive", "b": "positive"}),
    ("x*(1 - y) + y*(1 - x)", "x + y - 2*x*y", XY),
    ("(x - y)*(x + y)", "x**2 - y**2", XY),
]


def _mutations(text: str, rng: random.Random) -> list[str]:
    out = []
    for _ in range(6):
        kind = rng.choice(["sign", "factor", "swap", "exponent"])
        if kind == "sign" and ("+" in text or "-" in text):
            positions = [i for i, ch in enumerate(text) if ch in "+-" and i > 0]
            i = rng.choice(positions)
            out.append(text[:i] + ("-" if text[i] == "+" else "+") + text[i + 1 :])
        elif kind == "factor":
            out.append(f"{rng.choice([2, 3, -1])}*({text})")
        elif kind == "swap" and "x" in text and "y" in text:
            out.append(text.replace("x", "#").replace("y", "x").replace("#", "y").replace("e#p", "exp"))
        elif kind == "exponent" and "**2" in text:
            out.append(text.replace("**2", "**3", 1))
    return out


@pytest.mark.parametrize("previous, step, symbols", CORRECT_STEPS)
def test_every_suggestion_is_proved(previous, step, symbols):
    # A seed from the text itself, the same in every process (hash() of a str is salted).
    rng = random.Random(zlib.crc32(step.encode()))
    shown = 0
    for mutated in _mutations(step, rng):
        report = verify_text(derivation([previous, mutated], symbols))
        (result,) = report.results
        if result.verdict.value != "wrong" or not result.outcome.suggestion:
            continue
        shown += 1
        check = verify_text(derivation([previous, result.outcome.suggestion], symbols))
        assert check.results[0].verdict.value in ("proved", "proved for sizes"), result.outcome.suggestion
    assert shown >= 1


def assert_suggestion_is_proved(text_steps, symbols, suggestion, **kw):
    check = verify_text(derivation([text_steps[0], suggestion], symbols, **kw))
    assert check.results[0].verdict.value in ("proved", "proved for sizes"), suggestion


def test_difference_drops_a_branch_the_conditions_exclude():
    symbols = {"b": "real", "n": "positive integer", "k": "integer"}
    text = derivation(["Sum(b**k, (k, 0, n))", "(1 - b**(n + 1))/(1 - b) + b"], symbols, assume=["0 < b", "b < 1"])
    (result,) = wrong_results(verify_text(text))
    assert result.outcome.difference == "the sides differ by -b (previous - this step)"


def test_decimals_written_by_the_author_are_shown_as_decimals():
    text = derivation(["0.044715*x**3 + x", "0.04*x**3 + x"], {"x": "real"})
    (result,) = wrong_results(verify_text(text))
    assert result.outcome.difference == "the sides differ by 0.004715*x**3 (previous - this step)"
    exact = derivation(["x**3/3 + x", "x**3/4 + x"], {"x": "real"})
    (result,) = wrong_results(verify_text(exact))
    assert result.outcome.difference == "the sides differ by x**3/12 (previous - this step)"


def test_differences_use_the_formats_names():
    text = derivation(["abs(x) + max(x, y)", "x + max(x, y)"], XY)
    (result,) = wrong_results(verify_text(text))
    assert "abs(x)" in result.outcome.difference and "Abs" not in result.outcome.difference


GAUSS = {"x": "real", "mu": "real", "s": "positive"}


def test_a_factor_dropped_in_one_term_is_suggested():
    steps = ["-log(exp(-(x - mu)**2/(2*s**2))/(sqrt(2*pi)*s))", "(x - mu)**2/s**2 + log(s) + log(2*pi)/2"]
    (result,) = wrong_results(verify_text(derivation(steps, GAUSS)))
    assert result.outcome.suggestion == "(x - mu)**2/s**2/2 + log(s) + log(2*pi)/2"
    assert_suggestion_is_proved(steps, GAUSS, result.outcome.suggestion)


def test_an_extra_factor_in_one_term_is_suggested():
    steps = ["x**2 + 3*y", "2*x**2 + 3*y"]
    (result,) = wrong_results(verify_text(derivation(steps, XY)))
    assert result.outcome.suggestion in ("2*x**2/2 + 3*y", "x**2 + 3*y")
    assert_suggestion_is_proved(steps, XY, result.outcome.suggestion)


LABEL_SMOOTHING = {
    "q": "real vector", "p": "positive vector", "j": "index 1..K", "K": "positive integer", "eps": "real",
}


def test_a_wrong_index_inside_a_sum_is_suggested():
    steps = [
        "-Sum(((1 - eps)*q[k] + eps/K)*log(p[k]), (k, 1, K))",
        "-(1 - eps)*Sum(q[k]*log(p[k]), (k, 1, K)) - eps/K*Sum(log(p[j]), (k, 1, K))",
    ]
    (result,) = wrong_results(verify_text(derivation(steps, LABEL_SMOOTHING)))
    assert result.outcome.suggestion == (
        "-(1 - eps)*Sum(q[k]*log(p[k]), (k, 1, K)) - eps/K*Sum(log(p[k]), (k, 1, K))"
    )
    assert_suggestion_is_proved(steps, LABEL_SMOOTHING, result.outcome.suggestion)


def test_a_wrong_index_in_a_function_argument_is_suggested():
    symbols = {"i": "index 1..n", "j": "index 1..n", "n": "positive integer"}
    functions = {"p(t)": None}
    steps = ["p(i)*(1 - p(j))", "p(i) - p(i)*p(i)"]
    (result,) = wrong_results(verify_text(derivation(steps, symbols, functions=functions)))
    assert result.outcome.suggestion in ("p(i) - p(i)*p(j)", "p(i) - p(j)*p(i)")
    assert_suggestion_is_proved(steps, symbols, result.outcome.suggestion, functions=functions)


def test_a_sign_inside_a_parenthesis_is_suggested():
    symbols = {"x": "real", "y": "real"}
    steps = ["y*log(x) + (1 - y)*log(1 - x)", "y*log(x) + (y - 1)*log(1 - x)"]
    assume = ["0 < x", "x < 1"]
    (result,) = wrong_results(verify_text(derivation(steps, symbols, assume=assume)))
    assert result.outcome.suggestion in ("y*log(x) - (y - 1)*log(1 - x)", "y*log(x) + (1 - y)*log(1 - x)")
    assert_suggestion_is_proved(steps, symbols, result.outcome.suggestion, assume=assume)


def test_a_scaled_part_is_never_shown_unless_proved():
    # A factor that fixes the step only at some points (x*y vs x**2) is not a constant: no suggestion.
    steps = ["x**2 + y", "x*y + y"]
    (result,) = wrong_results(verify_text(derivation(steps, XY)))
    if result.outcome.suggestion is not None:
        assert_suggestion_is_proved(steps, XY, result.outcome.suggestion)


def test_a_branch_the_index_range_excludes_is_dropped_from_the_difference():
    from derivcheck.check.evidence.diagnose import describe_difference
    from derivcheck.check.prove.assume import Relation

    i, c, k = sympy.symbols("i c k", integer=True)
    size = sympy.Symbol("C", integer=True, positive=True)
    y, z = sympy.IndexedBase("y", real=True), sympy.IndexedBase("z", real=True)
    total = sympy.Sum(sympy.exp(z[k]), (k, 1, size))
    full = -sympy.Sum(y[c] * (sympy.KroneckerDelta(c, i) - sympy.exp(z[i]) / total), (c, 1, size))
    one_term = -y[i] * (1 - sympy.exp(z[i]) / total)
    inside = [Relation(">=", i - 1), Relation(">=", size - i)]  # i: index 1..C
    text = describe_difference(full, one_term, 10, inside)
    assert text is not None and "Piecewise" not in text and "Sum(y[c], (c, 1, C))" in text
    # Without the range the branch stays: the difference depends on where i is.
    assert "Piecewise" in (describe_difference(full, one_term, 10, []) or "Piecewise")


def test_methods_name_what_the_author_wrote(tmp_path):
    from derivcheck.api import verify_paths
    from derivcheck.config import CheckConfig

    path = tmp_path / "abs_condition.yaml"
    path.write_text(
        "title: no internal names\nsymbols:\n  r: real\n  delta: positive\n"
        "cases:\n  - when: abs(r) <= delta\n    steps:\n"
        "      - min(abs(r), delta)**2/2 + delta*(abs(r) - min(abs(r), delta))\n      - r**2/2\n",
        encoding="utf-8",
    )
    (result,) = verify_paths([str(path)], CheckConfig(jobs=1, cache_dir=None)).results
    assert result.verdict.value == "proved"
    method = result.outcome.method
    assert "r" in method and not re.search(r"(?<![A-Za-z0-9])_", method), method
