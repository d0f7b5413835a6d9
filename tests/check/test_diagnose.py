"""Diagnostics of wrong steps: each kind of slip gets a true counterexample, the right
difference, and the intended fix; a suggestion is never shown unless it is proved."""

import random
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
    slip, after = wrong_results(report)[:2]
    assert slip.outcome.suggestion == "-(y[i]*(1 - sigma(z[i])) - (1 - y[i])*sigma(z[i]))"
    assert "only this step is a slip" in slip.notes[0]
    assert after.notes[0].startswith("follows from the slip at line 11")
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
    rng = random.Random(hash(step) & 0xFFFF)
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
