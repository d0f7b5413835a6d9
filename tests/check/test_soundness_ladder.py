"""One verdict ladder for every relation, and the sign/inequality trust fixes (issue 27, items 7-14).

Each test names the mechanism it guards; each fails when that mechanism is reverted.
"""

from dataclasses import dataclass

import pytest
import sympy

from derivcheck.check.ladder.engine import StepTask, _ladder
from derivcheck.check.ladder.relations import Equality, Order, rule_for
from derivcheck.check.prove.assume import conflicting_conditions
from derivcheck.check.prove.equality import monotone_core
from derivcheck.check.prove.signs import SignGoal, _prove_every_plan, decide_sign, prove_relation
from derivcheck.check.screen.branches import Undecided, decide_jumps, exact_floor, exact_sign
from derivcheck.check.screen.sampling import Point, Screen, evaluate
from derivcheck.parse.expressions import Condition
from tests.helpers import FAST, derivation, verify_text

SIZED = {"y": "real vector", "z": "real vector", "C": "positive integer", "c, k": "index 1..C"}


def results(text: str):
    report = verify_text(text)
    assert all(r.kind != "error" for r in report.results), [r.message for r in report.results]
    return [r for r in report.results if r.kind in ("step", "number")]


def one_step(first, rel, second, symbols=None, assume=None):
    (step,) = results(
        derivation([first, {"expr": second, "rel": rel}], symbols=symbols or {"x": "real"}, assume=assume)
    )
    return step


# -- A: one ladder, every relation ------------------------------------------------------------


def test_every_relation_is_a_strategy_of_the_same_ladder():
    assert isinstance(rule_for("=="), Equality)
    assert all(isinstance(rule_for(r), Order) for r in ("<", "<=", ">", ">="))


def test_conditions_for_every_element_reach_the_sizes_of_an_inequality():
    # The inequality strategy's sizes dropped "for every c": this stayed numeric.
    step = one_step("C", "<=", "Sum(y[c], (c, 1, C))", SIZED, ["y[c] >= 1 for every c"])
    assert step.verdict.value == "proved for sizes", step.outcome
    assert step.outcome.size_bound == 4


def test_a_false_inequality_with_every_conditions_is_still_refuted():
    step = one_step("C + 1", "<=", "Sum(y[c], (c, 1, C))", SIZED, ["y[c] >= 1 for every c"])
    assert step.verdict.value == "wrong", step.outcome


# -- 9: inequalities over sums screened at larger sizes ---------------------------------------


def test_an_inequality_between_sums_that_fails_from_size_5_is_wrong_with_the_size():
    step = one_step("Sum(c, (c, 1, C))", "<=", "10 + 0*C", SIZED)
    assert step.verdict.value == "wrong", step.outcome
    assert step.outcome.method == "numeric screen at larger sizes"
    assert int(step.outcome.counterexample["C"]) >= 5
    assert "proved for small sizes" in step.outcome.detail


def test_an_equality_over_sums_keeps_its_larger_size_screen():
    step = one_step("Sum(c**2, (c, 1, C))", "==", "Sum(c**2, (c, 1, C)) + max(0, C - 4)", SIZED)
    assert step.verdict.value == "wrong", step.outcome
    assert int(step.outcome.counterexample["C"]) >= 5


# -- 7: exp/log rules only on real arguments --------------------------------------------------


def test_exp_of_a_complex_symbol_is_not_positive():
    z = sympy.Symbol("z", complex=True)
    assert decide_sign(SignGoal(sympy.exp(z), True)) is None
    assert decide_sign(SignGoal(sympy.exp(z) + 1, True)) is None
    step = one_step("0", "<", "exp(z)", {"z": "complex"})
    assert step.verdict.value == "wrong", step.outcome


def test_exp_of_a_square_root_of_a_real_symbol_is_not_positive_on_the_whole_line():
    step = one_step("0", "<", "exp(sqrt(x))")
    assert step.verdict.value == "wrong", step.outcome  # at a negative x the right side is not real
    assert "not real" in step.outcome.detail and float(step.outcome.counterexample["x"]) < 0
    step = one_step("0", "<", "exp(sqrt(x))", assume=["x >= 0"])
    assert step.verdict.value == "proved", step.outcome


def test_exp_is_increasing_only_between_real_exponents():
    z = sympy.Symbol("z", complex=True)
    x = sympy.Symbol("x", real=True)
    difference = sympy.exp(z + 1) - sympy.exp(z)  # (e - 1)*exp(z): no order for complex z
    assert monotone_core(difference) == difference
    assert monotone_core(sympy.exp(x + 1) - sympy.exp(x)) == 1
    assert prove_relation(sympy.exp(z), sympy.exp(z + 1), "<", []) is None


# -- 8: every branch of a case split ----------------------------------------------------------


def test_a_case_split_proves_every_scenario_of_a_branch():
    x = sympy.Symbol("x", real=True)
    t = sympy.Dummy("t", positive=True)
    # Two scenarios for one sign: the first gives x = t > 0, the second x = -t < 0.
    assert _prove_every_plan(x, True, [[{x: t}], [{x: -t}]], 0) is None
    assert _prove_every_plan(x**2, True, [[{x: t}], [{x: -t}]], 0) is not None
    assert _prove_every_plan(x, True, [], 0).cases == 0  # an impossible sign has nothing to prove


# -- 10: a point decided on a certified interval ----------------------------------------------


def test_a_refuted_inequality_never_ends_numeric():
    step = one_step("x", "<=", "x - 10**-50")
    assert step.verdict.value == "wrong", step.outcome
    step = one_step("exp(x)", ">=", "exp(x) + exp(-x**2)/10**60")
    assert step.verdict.value == "wrong", step.outcome


# -- 11: jumps decided exactly ----------------------------------------------------------------


def test_sign_and_floor_at_an_exact_zero_are_exact_never_rounding_noise():
    one = sympy.Integer(1)
    tie = sympy.cos(one) ** 2 + sympy.sin(one) ** 2 - 1  # exactly 0, evaluates to about -1e-31
    assert exact_sign(tie) == 0
    assert exact_floor(tie + 1) == 1
    assert decide_jumps(sympy.sign(tie)) == 0
    assert decide_jumps(sympy.ceiling(tie + 2)) == 2
    x = sympy.Symbol("x", real=True)
    assert evaluate(sympy.sign(sympy.cos(x) ** 2 + sympy.sin(x) ** 2 - 1), {x: one}, 30).is_zero


def test_a_jump_too_close_to_call_is_undecided_not_guessed():
    close = sympy.exp(-sympy.Integer(10) ** 6)  # positive, far below any precision tried
    try:
        sign = exact_sign(close)
    except Undecided:
        sign = None
    assert sign in (1, None)


def test_a_step_with_sign_of_an_exact_zero_is_not_called_wrong():
    text = derivation(["sign(cos(x)**2 + sin(x)**2 - 1)", "0"])
    (step,) = results(text)
    assert step.verdict.value != "wrong", step.outcome
    text = derivation(["sign(cos(x)**2 + sin(x)**2 - 1)", {"expr": "0", "rel": ">="}])
    (step,) = results(text)
    assert step.verdict.value != "wrong", step.outcome


def test_a_number_claim_never_shows_a_failing_value_equal_to_the_claim():
    text = derivation([], numbers=[{"expr": "1 + 10**-30", "is": "1", "tol": "0"},
                                   {"expr": "sign(cos(1)**2 + sin(1)**2 - 1)", "is": "0", "tol": "0"}])
    first, second = results(text)
    assert first.verdict.value == "wrong"
    assert first.outcome.value[0] != "1" and first.outcome.value[0].startswith("1.0000")
    assert second.verdict.value == "proved", second.outcome


# -- 13: extrema over an index with a symbolic size -------------------------------------------


def test_max_and_min_over_a_size_are_sampled_on_their_elements():
    step = one_step("max(z) + 1", ">", "min(z)", SIZED)
    assert step.verdict.value == "proved", step.outcome
    step = one_step("max(z)", ">=", "min(z)", SIZED)
    assert step.verdict.value == "proved", step.outcome


def test_a_false_extremum_step_is_refuted_on_elements_never_on_the_bound_variable():
    step = one_step("max(z)", ">", "min(z)", SIZED)  # equal at C = 1, or with equal elements
    assert step.verdict.value == "wrong", step.outcome
    assert not any("_" in name for name in step.outcome.counterexample), step.outcome.counterexample
    step = one_step("max(z)", "==", "min(z)", SIZED)
    assert step.verdict.value == "wrong", step.outcome
    assert step.outcome.values[0] != step.outcome.values[1]
    assert not any("_" in name for name in step.outcome.counterexample), step.outcome.counterexample


# -- 14: conditions that cannot hold together -------------------------------------------------


def _condition(op: str, rhs: int, line: int) -> Condition:
    x = sympy.Symbol("x", real=True)
    return Condition(op, x, sympy.Integer(rhs), (), f"x {op} {rhs}", line)


def test_the_conflicting_conditions_are_named_and_only_those():
    y = sympy.Symbol("y", real=True)
    other = Condition(">", y, sympy.Integer(0), (), "y > 0", 9)
    conflict = conflicting_conditions([_condition(">", 1, 4), other, _condition("<", 0, 5)])
    assert [c.text for c in conflict] == ["x > 1", "x < 0"]
    assert conflicting_conditions([_condition(">", 1, 4), other]) == ()


def test_contradictory_assumptions_fail_every_step_instead_of_proving_it():
    text = derivation(["x", "x + 1"], assume=["x > 1", "x < 0"])
    (step,) = results(text)
    assert step.verdict.value == "unknown" and not step.passes
    assert "'x > 1'" in step.outcome.detail and "'x < 0'" in step.outcome.detail
    assert step.outcome.method == "conditions are contradictory"


def test_a_case_whose_when_contradicts_assume_fails():
    text = derivation(None, assume=["x > 1"], cases=[{"when": ["x < 0"], "steps": ["x", {"expr": "0", "rel": "<"}]}])
    (step,) = results(text)
    assert step.verdict.value == "unknown" and not step.passes
    assert "cannot hold together" in step.outcome.detail


# -- 13/10: a counterexample must stand on the step as written --------------------------------


@dataclass(frozen=True)
class _ScreenSaysWrong(Equality):
    """A strategy whose screen reports a failure at x = 1 after agreeing at five points; nothing proves."""

    stands: bool = False

    def screen(self, a, b, relations, shape, samples, max_size, seed, budget=None, early=None):
        x = sympy.Symbol("x", real=True)
        return Screen(agreed=5, tried=6, counterexample=Point({}, {x: sympy.Integer(1)}), values=("1", "2"))

    def prove(self, a, b, relations, budget):
        return None

    def fails_at(self, a, b, values):
        return self.stands


def test_a_counterexample_not_confirmed_on_the_step_as_written_is_neither_shown_nor_numeric():
    x = sympy.Symbol("x", real=True)
    task = StepTask(sympy.sin(x) ** 2, 1 - sympy.cos(x) ** 2, (), ())
    outcome = _ladder(task, _ScreenSaysWrong(stands=False), FAST, {})
    assert outcome.verdict.value == "unknown" and outcome.counterexample is None
    outcome = _ladder(task, _ScreenSaysWrong(stands=True), FAST, {})
    assert outcome.verdict.value == "wrong" and outcome.counterexample == {"x": "1"}


def test_the_search_tries_both_sides_of_where_the_sides_meet_and_of_a_pole():
    # Oracle findings (final run): the relation fails only between the roots of the gap, or just
    # beside a pole of one side; the boundary search tried the roots themselves, never beside them.
    words = {"x": "real", "y": "real", "w": "real"}
    for previous, step, relation in (
        ("(exp(1/3) - (w - 3))**2", "1", ">="),
        ("y/(w**2 + 1)", "y/(w**3 + 1) + x**2", "<="),
    ):
        text = derivation([previous, {"expr": step, "rel": relation}], words)
        (result,) = verify_text(text).results
        assert result.verdict.value == "wrong", (previous, step, result.verdict)


def test_the_search_tries_the_extrema_of_the_gap():
    # Oracle finding F16 (final run, pair 5312): a tiny constant breaks the bound only at the maxima of
    # the sine, a set no sample meets; the step was `numeric`. The zeros of the gap's derivative are tried.
    text = derivation(["1", {"expr": "sin(2.5*y) + 10**(-30)", "rel": ">="}], {"y": "real"})
    (result,) = verify_text(text).results
    assert result.verdict.value == "wrong", result.verdict
    previous, this = result.outcome.values
    assert previous == "1" and this.startswith("1.0000000000000000000000000000")


@pytest.mark.parametrize("shift", ["5", "-7", "12"])
def test_the_search_scans_moderate_values(shift: str):
    # Oracle finding F20 (run I, pair 72): sin(y) + (y - 5)**2 >= -sin(y) fails only for 3.8 < y < 5.9,
    # beyond the simple values, short of the far ones, and rarely drawn at random: the step was `numeric`.
    text = derivation(
        [f"sin(y) + (y - {shift})**2".replace("- -", "+ "), {"expr": "sin(-y)", "rel": ">="}], {"y": "real"}
    )
    (result,) = verify_text(text).results
    assert result.verdict.value == "wrong", result.verdict
    y = sympy.Rational(result.outcome.counterexample["y"])
    assert sympy.sin(y) + (y - int(shift)) ** 2 + sympy.sin(y) < 0


def test_the_search_tries_far_points_at_growing_scales():
    # Oracle finding F13: the softplus bound fails only for y > 34.4; the search drew too few far
    # points to meet it and the step ended `numeric`. Far points at 10, 100, … now come first.
    text = derivation(["log(1 + exp(y/17))", {"expr": "max(y/26, 0) + log(2)", "rel": "<="}], {"y": "real"})
    (result,) = verify_text(text).results
    assert result.verdict.value == "wrong", result.verdict
    assert result.outcome.counterexample == {"y": "100"}
    previous, this = (float(v) for v in result.outcome.values)
    assert previous > this + 1  # the values shown really separate the sides


def test_a_far_pattern_stops_growing_where_the_growth_bound_would_be_passed():
    from derivcheck.bounds import MAX_GROWTH
    from derivcheck.check.ladder.relations import _far_points

    y = sympy.Symbol("y", real=True)
    side = sympy.exp(y**2)  # y**2 passes MAX_GROWTH between 10**3 and 10**4
    points = [p[y] for p in _far_points(side, sympy.Integer(0), [])]
    assert points == [10, 100, 1000, -10, -100, -1000]
    assert all(v**2 <= MAX_GROWTH for v in points)
    p = sympy.Symbol("p", positive=True)
    assert [q[p] for q in _far_points(sympy.exp(p), p, [])] == [10, 100, 1000, 10**4, 10**5, 10**6]


def test_a_solve_that_answers_in_dicts_gives_no_root_not_an_internal_error():
    # oracle run (pair 1040): solving abs(exp(z)) - 1 for a complex z gives dicts; the search crashed on them
    text = derivation(["abs(exp(z))", {"expr": "1", "rel": ">"}], {"z": "complex"})
    (result,) = verify_text(text).results
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)
    assert result.outcome.counterexample == {"z": "0"}


# -- the early proof of an order: the search stops where a proof makes it pointless -----------


def _sigmoid_bound() -> tuple[sympy.Expr, sympy.Expr, sympy.Symbol]:
    x = sympy.Symbol("x", real=True)
    return 1 / (1 + sympy.exp(-x)), sympy.Integer(1), x


def test_a_proved_inequality_ends_its_search_after_the_near_points(monkeypatch):
    # The far points of a true step cost seconds (gaps too small to tell from 0); a step proved
    # once the boundary points found nothing must not go on to them or to the sampled points.
    from derivcheck.bounds import MAX_BOUNDARY_POINTS
    from derivcheck.check.ladder import relations
    from derivcheck.check.prove.equality import Proof
    from derivcheck.check.prove.sizes import Shape

    def far_points(*args):
        raise AssertionError("far points searched after the step was proved")

    monkeypatch.setattr(relations, "_far_points", far_points)
    previous, this, _ = _sigmoid_bound()
    early = relations.EarlyProof(lambda: Proof("a stand-in proof"))
    found = relations.search_counterexample(previous, this, "<", [], Shape((), ()), 64, 4, 0, early)
    assert early.proof is not None and early.known and found.counterexample is None
    assert 0 < found.agreed <= found.tried <= MAX_BOUNDARY_POINTS


def test_an_unproved_inequality_searches_on_past_the_early_proof(monkeypatch):
    from derivcheck.check.ladder import relations
    from derivcheck.check.prove.sizes import Shape

    far_calls: list[int] = []
    real_far_points = relations._far_points

    def far_points(*args):
        far_calls.append(1)
        return real_far_points(*args)

    monkeypatch.setattr(relations, "_far_points", far_points)
    previous, this, _ = _sigmoid_bound()
    early = relations.EarlyProof(lambda: None)
    found = relations.search_counterexample(previous, this, "<", [], Shape((), ()), 64, 4, 0, early)
    assert early.tried and early.known and early.proof is None
    assert far_calls and found.tried > 64  # far and sampled points were tried too


@dataclass(frozen=True)
class _CountedOrder(Order):
    """An order whose proof fails and counts its attempts."""

    calls: list = None  # type: ignore[assignment]

    def prove(self, a, b, relations, budget):
        self.calls.append(1)
        return None


def test_the_ladder_does_not_repeat_a_proof_the_search_already_ran_to_its_end():
    previous, this, _ = _sigmoid_bound()
    rule = _CountedOrder("<", [])
    outcome = _ladder(StepTask(previous, this, (), (), "<"), rule, FAST, {})
    assert outcome.verdict.value == "numeric"
    assert len(rule.calls) == 1


def test_a_proof_found_by_the_search_is_the_steps_proof():
    previous, this, _ = _sigmoid_bound()
    outcome = _ladder(StepTask(previous, this, (), (), "<"), Order("<"), FAST, {})
    assert outcome.verdict.value == "proved" and outcome.points > 0
