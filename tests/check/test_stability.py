"""Stability claims: float64 evaluated as written against a high-precision reference, as evidence."""

import math

import pytest
import yaml

from derivcheck.check.screen.stability import (
    Evaluator,
    Float64,
    StabilityTask,
    relative_error,
    sample_points,
)
from derivcheck.config import CheckConfig
from tests.helpers import verify_text

SIGMA = {"sigma(t)": "1/(1 + exp(-t))"}
NAIVE_BCE = "-(y*log(sigma(x)) + (1 - y)*log(1 - sigma(x)))"
STABLE_BCE = "max(x, 0) + log(1 + exp(-abs(x))) - x*y"


def claims(*items, symbols=None, functions=None):
    doc = {"title": "t", "symbols": symbols or {"x": "real", "y": "real"}}
    if functions:
        doc["functions"] = functions
    doc["stability"] = list(items)
    return yaml.safe_dump(doc, sort_keys=False)


def claim(expr, stable, over=None, at=None, **more):
    item = {"expr": expr, "over": over or {"x": [-1000, 1000]}}
    if at:
        item["at"] = at
    item["stable"] = stable
    item.update(more)
    return item


def results(text, config=None):
    report = verify_text(text, config) if config else verify_text(text)
    errors = [r.message for r in report.results if r.kind == "error"]
    return [r for r in report.results if r.kind == "stability"], errors, report


def test_float64_follows_ieee_rules_without_exceptions():
    assert Float64.exp(1000.0) == math.inf
    assert Float64.log(0.0) == -math.inf
    assert math.isnan(Float64.log(-1.0))
    assert math.isnan(Float64.div(0.0, 0.0))
    assert Float64.div(1.0, 0.0) == math.inf and Float64.div(-1.0, 0.0) == -math.inf
    assert math.isnan(Float64.sub(math.inf, math.inf))
    assert Float64.pow(10.0, 400.0) == math.inf and Float64.pow(-10.0, 401.0) == -math.inf
    assert math.isnan(Float64.pow(-8.0, 1 / 3))
    assert Float64.cosh(1000.0) == math.inf
    assert math.isnan(Float64.sin(math.inf))
    assert math.isnan(Float64.max(1.0, math.nan))


def test_relative_error_counts_values_below_the_smallest_normal_absolutely():
    import mpmath

    assert relative_error(0.0, mpmath.mpf("1e-400")) < 1e-80
    assert relative_error(1.0, mpmath.mpf(2)) == 0.5
    assert relative_error(math.inf, mpmath.mpf(1)) == math.inf


def test_the_expression_is_evaluated_as_written_not_simplified():
    # log(exp(x)) is x mathematically (SymPy even simplifies it on parsing), but
    # exp(1000) overflows in float64.
    (result,), errors, _ = results(claims(claim("log(exp(x))", True), symbols={"x": "real"}))
    assert not errors
    assert result.verdict.value == "wrong" and not result.passes
    first = result.outcome.stability["first_failing"]
    assert first["at"] == {"x": "-1000.0"} and first["float64"] == "-inf"  # exp(-1000) underflows to 0
    assert "'log(exp(x))'" in first["operation"] and "rounded to 0" in first["operation"]
    (result,), _, _ = results(claims(claim("log(exp(x))", True, over={"x": [0, 1000]}), symbols={"x": "real"}))
    first = result.outcome.stability["first_failing"]
    assert first["float64"] == "inf" and "'exp(x)'" in first["operation"] and "overflow" in first["operation"]


def test_naive_bce_is_unstable_and_the_overflowing_operation_is_named():
    (result,), errors, _ = results(
        claims(claim(NAIVE_BCE, False, at={"y": 0.5}), functions=SIGMA)
    )
    assert not errors
    assert result.verdict.value == "numeric" and result.passes  # the claim 'unstable' is confirmed
    evidence = result.outcome.stability
    assert evidence["found"] == "unstable"
    assert evidence["first_failing"]["at"]["x"] == "-1000.0"  # an end of the range comes first
    assert "(in sigma)" in evidence["first_failing"]["operation"]
    assert evidence["points"] >= 50 and evidence["over"] == {"x": [-1000.0, 1000.0]}


def test_the_stable_form_is_stable_and_its_worst_point_shown():
    (result,), _, _ = results(claims(claim(STABLE_BCE, True, at={"y": 0.5})))
    assert result.verdict.value == "numeric" and result.passes
    evidence = result.outcome.stability
    assert evidence["found"] == "stable"
    assert float(evidence["worst"]["relative_error"]) <= 1e-6
    assert "not a proof" in result.outcome.detail
    assert result.verdict.value != "proved"


def test_a_false_stability_claim_fails_with_its_point():
    (result,), _, report = results(claims(claim(NAIVE_BCE, True, at={"y": 0.5}), functions=SIGMA))
    assert result.verdict.value == "wrong" and not result.passes
    assert result.outcome.counterexample["x"] == "-1000.0"
    assert report.exit_code == 1
    (result,), _, _ = results(claims(claim(STABLE_BCE, False, at={"y": 0.5})))
    assert result.verdict.value == "wrong"  # claimed unstable, but accurate everywhere


def test_cancellation_is_named():
    text = claims(claim("(1 + x) - 1", True, over={"x": [1e-12, 1]}), symbols={"x": "real"})
    (result,), _, _ = results(text)
    assert result.verdict.value == "wrong"
    assert "cancellation" in result.outcome.stability["first_failing"]["operation"]


def test_log_near_one_is_named():
    text = claims(claim("log(1 + exp(x))", True, over={"x": [-100, 0]}), symbols={"x": "real"})
    (result,), _, _ = results(text)
    assert "log1p" in result.outcome.stability["first_failing"]["operation"]


def test_a_confirmed_claim_passes_under_strict_and_never_reads_proved():
    (result,), _, report = results(
        claims(claim(STABLE_BCE, True, at={"y": 0.5})), CheckConfig(jobs=1, strict=True, timeout=10.0)
    )
    assert result.passes and result.verdict.value == "numeric"
    assert report.exit_code == 0


def test_points_outside_the_domain_are_skipped_and_counted():
    text = claims(claim("log(x)", True, over={"x": [-1, 1]}), symbols={"x": "real"})
    (result,), _, _ = results(text)
    evidence = result.outcome.stability
    assert evidence["outside_domain"] > 0
    assert result.verdict.value == "numeric"


def test_points_are_deterministic_and_cover_ends_zero_and_magnitudes():
    task = StabilityTask(STABLE_BCE, (), (("x", -1000.0, 1000.0),), (("y", 0.5),), True, 1e-6)
    first, second = sample_points(task, 0), sample_points(task, 0)
    assert first == second
    xs = [p["x"] for p in first]
    assert xs[:3] == [-1000.0, 1000.0, 0.0]
    assert 1e-8 in xs and -1e-8 in xs and 100.0 in xs and -100.0 in xs
    assert len(xs) <= 400 and all(p["y"] == 0.5 for p in first)


def test_several_ranges_are_sampled_together():
    text = claims(
        claim("log(exp(x) + exp(y))", False, over={"x": [-1000, 1000], "y": [-1000, 1000]}),
    )
    (result,), _, _ = results(text)
    assert result.verdict.value == "numeric"  # the unshifted log-sum-exp overflows
    assert "series" not in result.outcome.stability  # a plot only for one range


def test_the_evaluator_records_operations_of_definitions():
    task = StabilityTask("sigma(x)", (("sigma", ("t",), "1/(1 + exp(-t))"),), (("x", -1.0, 1.0),), (), True, 1e-6)
    trace = Evaluator(task).run(Float64, {"x": 0.0})
    labels = [op.label for op in trace]
    assert "exp(-t) (in sigma)" in labels and labels[-1] == "sigma(x)"
    assert trace[-1].value == 0.5


@pytest.mark.parametrize(
    "item, fragment",
    [
        ({"expr": "x", "stable": True}, "needs 'over'"),
        ({"expr": "x", "over": {"x": [-1, 1]}}, "needs 'stable: true'"),
        ({"expr": "x", "over": {"x": [-1, 1]}, "stable": "yes please"}, "'stable' must be true or false"),
        ({"expr": "x", "over": {"x": [1, -1]}, "stable": True}, "low < high"),
        ({"expr": "x", "over": {"x": 5}, "stable": True}, "[low, high]"),
        ({"expr": "x", "over": {"z": [-1, 1]}, "stable": True}, "not a declared symbol"),
        ({"expr": "x*y", "over": {"x": [-1, 1]}, "stable": True}, "no range or value for y"),
        ({"expr": "x", "over": {"x": [-1, 1]}, "at": {"x": 1}, "stable": True}, "both a range"),
        ({"expr": "x", "over": {"x": [-1, 1]}, "stable": True, "rtol": 2}, "'rtol' must be"),
        ({"expr": "x", "over": {"x": [-1, "1e400"]}, "stable": True}, "largest float64"),
        ({"expr": "x", "over": {"x": [-1, 1]}, "stable": True, "tol": 1}, "unknown stability key 'tol'"),
        ({"expr": "Sum(x, (k, 1, 3))", "over": {"x": [-1, 1]}, "stable": True}, "not supported"),
    ],
)
def test_bad_claims_are_format_errors_with_a_line(item, fragment):
    text = claims(item)
    _, errors, report = results(text)
    assert report.exit_code == 2
    assert any(fragment in e for e in errors), errors
    assert all(r.line for r in report.results if r.kind == "error")


def test_a_range_must_respect_the_symbol_words():
    text = claims(claim("log(x)", True, over={"x": [-1, 1]}), symbols={"x": "positive"})
    _, errors, _ = results(text)
    assert any("leaves what its declared words allow" in e for e in errors)


def test_hostile_claims_end_in_a_verdict_not_a_crash():
    # Towers of exp over huge ranges: the reference gives up cleanly, float64 gives inf.
    text = claims(claim("exp(exp(exp(x)))", False, over={"x": [-1e308, 1e308]}), symbols={"x": "real"})
    (result,), errors, _ = results(text)
    assert not errors and result.verdict.value in ("numeric", "wrong", "unknown")
    # Definitions that double at each level: too many operations per point.
    functions = {"f0(t)": "t + 1"}
    for level in range(1, 16):
        functions[f"f{level}(t)"] = f"f{level - 1}(t) + f{level - 1}(t)"
    text = claims(claim("f15(x)", True, over={"x": [-1, 1]}), symbols={"x": "real"}, functions=functions)
    (result,), errors, _ = results(text)
    assert not errors and result.verdict.value == "unknown"
    assert "operations" in result.outcome.detail


def test_a_band_where_float64_overflows_between_sampled_points_is_found():
    # exp(-x) overflows below x = -709.78, where 1/(1 + exp(-x)) is flushed to 0 while the true value
    # is still about 1e-308 .. 1e-314: a band of width 13 that the sampled points straddle (found by the
    # independent oracle, benchmarks/ORACLE_FINDINGS.md F8). Its edge is located and sampled.
    (result,), _, _ = results(claims(claim("1/(1 + exp(-x))", True)))
    assert result.verdict.value == "wrong"
    point = float(result.outcome.counterexample["x"])
    assert -722.5 < point < -709.78
    # a claim that holds across such a change of regime stays confirmed: exp(x) flushed to 0 below
    # x = -745 is still within rtol (counted against the smallest normal float64)
    (result,), _, _ = results(claims(claim("exp(x)", True, over={"x": [-1000, 0]})))
    assert result.verdict.value == "numeric" and result.outcome.stability["found"] == "stable"
