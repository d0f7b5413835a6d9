"""Issue 23: bounded evaluation, a budget per stage, nested limits, constants, and a cache key that never evaluates.

No test here asserts a duration: each asserts the mechanism (the outer limit
fires again, the screen stops at its share, a point is evaluated without
building the exact number). Loops that would run on if the mechanism broke
are ended by a generous CPU guard, so a regression fails rather than hangs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import sympy
from sympy.core.evalf import EvalfMixin

from derivcheck.check.ladder.engine import StepTask, run_task
from derivcheck.check.limits import OuterTimeout, cpu_seconds, own_time_limit, seconds_left, time_limit
from derivcheck.check.outcome import Verdict
from derivcheck.check.prove.assume import Relation
from derivcheck.check.prove.sizes import Shape
from derivcheck.check.run import cache as cache_mod
from derivcheck.check.run.cache import task_key
from derivcheck.check.run.runner import RunStats, run_tasks
from derivcheck.check.screen import sampling
from derivcheck.check.screen.certified import fits_exactly
from derivcheck.check.screen.sampling import certified_agreement, compare_at, evaluate, holds_at, screen
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout
from derivcheck.results import passes
from tests.helpers import FAST, derivation, step_verdicts, verify_text

ROOT = Path(__file__).resolve().parents[2]
x, y = sympy.symbols("x y", real=True)
u, v = sympy.symbols("u v", complex=True)
NO_SHAPE = Shape((), ())
FAR = sympy.Rational(10**6) + sympy.Rational(1, 7)


def _spin(started: float, guard: float = 30.0) -> None:
    while cpu_seconds() - started < guard:
        pass


# --- nested time limits -------------------------------------------------------------


def _helper_that_catches_its_own_limit(started: float) -> str:
    try:
        with time_limit(5):
            _spin(started)
    except CheckTimeout:
        return "caught"
    return "finished"


def test_an_outer_limit_survives_an_inner_helper_that_catches_its_timeout():
    # The outer limit (0.3 s) runs out inside the helper's own limit (5 s); the
    # helper catches that CheckTimeout. The outer limit must fire again anyway.
    started = cpu_seconds()
    with pytest.raises(CheckTimeout):
        with time_limit(0.3):
            for _ in range(3):
                _helper_that_catches_its_own_limit(started)
            _spin(started)
    assert cpu_seconds() - started < 30


def test_an_inner_limit_that_fires_first_leaves_the_outer_one_armed():
    started = cpu_seconds()
    with pytest.raises(CheckTimeout):
        with time_limit(0.6):
            try:
                with time_limit(0.05):
                    _spin(started)
            except CheckTimeout:
                pass
            left = seconds_left()
            assert left is not None and 0 < left <= 0.7
            _spin(started)
    assert cpu_seconds() - started < 30


# Deterministic: the signal is raised by the test, at a known place, not by the CPU clock.


def _fire() -> None:
    signal.raise_signal(signal.SIGPROF)


def _helper_with_a_limit_of_its_own(seconds: float) -> str:
    try:
        with time_limit(seconds):
            _fire()
    except OuterTimeout:
        raise
    except CheckTimeout:
        return "its own limit"
    return "finished"


def test_a_limit_bound_by_the_outer_one_reports_the_outer_timeout():
    # The helper's limit (100 s) is armed with the outer limit's 50 s: when it fires, the outer is spent.
    reached = []
    with pytest.raises(CheckTimeout) as raised:
        with time_limit(50):
            try:
                _helper_with_a_limit_of_its_own(100)
            except OuterTimeout:
                reached.append("outer timeout")
                raise
            reached.append("went on")
    assert reached == ["outer timeout"]
    assert type(raised.value) is CheckTimeout  # the outermost limit's own timeout
    assert seconds_left() is None


def test_an_inner_limit_that_fires_first_is_its_own_and_the_outer_one_stays_armed():
    with time_limit(50):
        assert _helper_with_a_limit_of_its_own(5) == "its own limit"
        left = seconds_left()
        assert left is not None and 40 < left <= 51
    assert seconds_left() is None


def test_an_inner_timeout_passing_through_an_outer_limit_stays_the_inner_ones():
    # Nobody catches the inner limit's timeout inside the outer block: it is not the outer limit's.
    with pytest.raises(CheckTimeout) as raised:
        with time_limit(50):
            with time_limit(5):
                _fire()
    assert type(raised.value) is CheckTimeout


def test_three_nested_limits_pass_the_outermost_timeout_out():
    seen = []
    with pytest.raises(CheckTimeout) as raised:
        with time_limit(20):
            try:
                with time_limit(30):
                    _helper_with_a_limit_of_its_own(40)
            except OuterTimeout:
                seen.append("middle spent")
                raise
    assert seen == ["middle spent"] and type(raised.value) is CheckTimeout


def test_a_stage_with_its_own_limit_ends_quietly_and_lets_the_outer_timeout_pass():
    with own_time_limit(5) as spent:
        _fire()
    assert spent.ran_out
    with own_time_limit(5) as spent:
        pass
    assert not spent.ran_out
    with pytest.raises(CheckTimeout):
        with time_limit(2):
            with own_time_limit(5) as spent:
                _fire()
    assert not spent.ran_out


def test_seconds_left_is_none_outside_any_limit():
    assert seconds_left() is None
    with time_limit(50):
        left = seconds_left()
        assert left is not None and left <= 51  # the timer rounds to its tick
    assert seconds_left() is None


# --- bounded evaluation ---------------------------------------------------------------


def test_a_far_point_is_not_substituted_exactly_when_the_numbers_would_be_huge():
    expr = 2 ** (2 + x) / 4
    assert fits_exactly(expr, {x: sympy.Rational(5, 2)})
    assert not fits_exactly(expr, {x: FAR})
    assert not fits_exactly(sympy.Pow(sympy.Rational(3, 2), 10**8, evaluate=False), {})
    assert fits_exactly(x**3 + sympy.exp(x), {x: FAR})


def test_a_power_sympy_leaves_unevaluated_fits_at_any_exponent():
    # (1 + exp(-x))**g stays a power at a far g: exact substitution is cheap, and gives the same value.
    g = sympy.Symbol("g", positive=True)
    far_g = sympy.Rational(7450000 * 7 + 1, 7)
    point = {x: sympy.Rational(-8491, 10), g: far_g}
    expr = (1 + sympy.exp(-x)) ** g
    assert fits_exactly(expr, point)
    exact, floating = evaluate(expr, point, 30), expr.evalf(30, subs=point)
    assert exact is not None and abs(exact / floating - 1) < sympy.Float(10) ** -25
    # A base that becomes a rational number (or has one as a factor) is raised exactly: too large.
    assert not fits_exactly((1 + x) ** g, {x: sympy.Rational(3, 7), g: far_g})
    assert not fits_exactly(sympy.cos(sympy.pi * x) ** g, {x: sympy.Rational(1, 3), g: far_g})
    assert not fits_exactly((2 * sympy.sqrt(x)) ** g, {x: sympy.Integer(3), g: sympy.Rational(74500 * 7 + 1, 7)})
    assert not fits_exactly(sympy.sqrt(x) ** g, {x: sympy.Integer(3), g: far_g})


@pytest.mark.parametrize(
    "expr",
    [
        x**3 + sympy.exp(x) * y,
        (1 + x) ** 40 * y**7,
        sympy.Pow(x, 2000) + 1,
        sympy.sqrt(x + 2 * sympy.sqrt(y)) ** 31,
        2 ** (2 + x) / 4,
        (1 + sympy.exp(-x)) ** y,
        sympy.Rational(3, 2) ** 20_000 * x,
    ],
)
def test_the_size_estimate_found_once_per_expression_agrees_with_the_one_at_each_point(monkeypatch, expr):
    from derivcheck.check.screen import certified

    points = [{x: sympy.Rational(3, 7), y: sympy.Integer(2)}, {x: FAR, y: -FAR},
              {x: sympy.Integer(10) ** 30 + sympy.I, y: sympy.Rational(1, 10**25)}]
    cached = [fits_exactly(expr, point) for point in points]
    monkeypatch.setattr(certified, "_static_size", lambda expr: None)
    assert cached == [fits_exactly(expr, point) for point in points]


def test_a_far_point_is_evaluated_at_working_precision(monkeypatch):
    # Building 2**1000002 exactly is what stalled the screen: forbid any huge exact integer.
    real_xreplace = sympy.Basic.xreplace

    def no_huge_exact_number(self, rule, *args, **kwargs):
        result = real_xreplace(self, rule, *args, **kwargs)
        built = [n for n in result.atoms(sympy.Integer) if int(n).bit_length() > 100_000]
        assert not built, "the far point was substituted exactly"
        return result

    monkeypatch.setattr(sympy.Basic, "xreplace", no_huge_exact_number)
    with time_limit(60):  # a regression ends as a CheckTimeout, not a hang
        value = evaluate(2 ** (2 + x) / 4, {x: FAR}, 30)
        state = compare_at(2 ** (2 + x) / 4, 2**x, {x: FAR})
    with mpmath.workdps(40):
        expected = mpmath.power(2, mpmath.mpf(10**6) + mpmath.mpf(1) / 7)
        assert value is not None
        assert abs(mpmath.mpf(str(value)) / expected - 1) < mpmath.mpf(10) ** -25
    assert state == "agree"


def test_a_condition_at_a_far_point_is_decided_without_the_exact_number(monkeypatch):
    real_xreplace = sympy.Basic.xreplace

    def no_huge_exact_number(self, rule, *args, **kwargs):
        result = real_xreplace(self, rule, *args, **kwargs)
        assert not [n for n in result.atoms(sympy.Integer) if int(n).bit_length() > 100_000]
        return result

    monkeypatch.setattr(sympy.Basic, "xreplace", no_huge_exact_number)
    assert holds_at(Relation(">", 2**x - 5), {x: FAR}) is True
    assert holds_at(Relation("<", 2**x - 5), {x: FAR}) is False
    assert holds_at(Relation(">", 2**x - 5), {x: sympy.Integer(1)}) is False


def test_a_step_with_a_condition_on_a_huge_power_is_proved():
    text = derivation(["2**(2 + x)/4", "2**x"], assume=["2**x > 3"])
    assert step_verdicts(verify_text(text, FAST.with_(seed=3))) == ["proved"]


def test_complex_values_beyond_float_range_are_decided_on_their_difference():
    a, b = sympy.cosh(u + v) - sympy.cosh(u - v), 2 * sympy.sinh(u) * sympy.sinh(v)
    far = {u: sympy.Rational(-712345, 1), v: sympy.Rational(3, 2) + sympy.I}
    assert compare_at(a, b, far) == "agree"
    assert compare_at(a, b + 1, far) in ("differ", "agree")  # no OverflowError either way


# --- the screen's share --------------------------------------------------------------


def _endless_comparison(*args, **kwargs):
    _spin(cpu_seconds())
    raise AssertionError("the point's limit did not stop it")


def test_the_screen_stops_at_its_share(monkeypatch):
    monkeypatch.setattr(sampling, "compare_at", _endless_comparison)
    found = screen(x + 1, 1 + x, [], NO_SHAPE, 24, 4, 0, budget=0.4)
    assert found.stopped
    assert found.slow >= 1
    assert found.agreed == 0 and found.counterexample is None


def test_a_slow_screen_never_starves_the_proof(monkeypatch):
    monkeypatch.setattr(sampling, "compare_at", _endless_comparison)
    task = StepTask(2 ** (2 + x) / 4, 2**x, (), ())
    outcome = run_task(task, CheckConfig(jobs=1, timeout=3.0))
    assert outcome.verdict is Verdict.PROVED


# --- the steps of the issue, and constants ----------------------------------------------

ISSUE_STEPS = [
    ({"x": "real"}, "2**(2 + x)/4", "2**x", "proved"),
    ({"x, y": "real"}, "x*exp(x + y) + x*exp(x)", "x*(1 + exp(y))*exp(x)", "proved"),
    ({"x, y": "complex"}, "cosh(x + y) - cosh(x - y)", "2*sinh(x)*sinh(y)", "proved"),
]
TAN = "tan(7*pi/18) + tan(5*pi/18) - sqrt(3)*tan(5*pi/18)*tan(7*pi/18)"


@pytest.mark.parametrize("symbols, previous, current, verdict", ISSUE_STEPS)
@pytest.mark.parametrize("seed", [0, 3])
def test_plain_identities_of_the_issue_are_proved(symbols, previous, current, verdict, seed):
    report = verify_text(derivation([previous, current], symbols=symbols), FAST.with_(seed=seed))
    assert step_verdicts(report) == [verdict]


PI = sympy.pi
T5, T7 = sympy.tan(5 * PI / 18), sympy.tan(7 * PI / 18)
TAN_EXPR = T7 + T5 - sympy.sqrt(3) * T5 * T7


def test_a_constant_identity_no_proof_decides_is_numeric_with_its_digits():
    outcome = run_task(StepTask(TAN_EXPR, -sympy.sqrt(3), (), ()), FAST)
    assert outcome.verdict is Verdict.NUMERIC
    assert "-1.7320508075688772935274463415058723669" in outcome.detail
    assert "110 significant digits" in outcome.detail
    assert passes(outcome.verdict, None, strict=False) and not passes(outcome.verdict, None, strict=True)


@pytest.mark.slow
def test_a_constant_identity_in_a_file_is_numeric():
    report = verify_text(derivation([TAN, "-sqrt(3)"], symbols={}))
    assert step_verdicts(report) == ["numeric"]


@pytest.mark.parametrize(
    "current",
    [
        -sympy.sqrt(3) + sympy.Integer(10) ** -300,
        -sympy.sqrt(3) + sympy.exp(-300),
        -sympy.sqrt(3) - sympy.Integer(10) ** -120,
        -sympy.sqrt(3) * (1 + sympy.exp(-1000)),
    ],
)
def test_a_tiny_difference_between_constants_is_refuted(current):
    # Decided to 110 digits once no proof is found (a short limit: the proof stops at its share).
    outcome = run_task(StepTask(TAN_EXPR, current, (), ()), FAST.with_(timeout=3.0))
    assert outcome.verdict is Verdict.WRONG


def test_constants_are_numeric_only_when_they_agree_to_every_digit_asked():
    tan = sympy.tan(7 * sympy.pi / 18) + sympy.tan(5 * sympy.pi / 18)
    tan -= sympy.sqrt(3) * sympy.tan(5 * sympy.pi / 18) * sympy.tan(7 * sympy.pi / 18)
    agreement = certified_agreement(tan, -sympy.sqrt(3))
    assert agreement is not None and not agreement.counterexample and agreement.digits >= 100
    assert agreement.value.startswith("-1.73205080756887729352744634150587236694")
    near = certified_agreement(sympy.pi, sympy.pi + sympy.exp(-400))
    assert near is not None and near.counterexample


# Nested radicals and trigonometric values from SymPy's own tests (benchmarks/identities.json).
NESTED = sympy.sqrt(2 + 2 * sympy.sqrt(1 + 2 * sympy.sqrt(3 + sympy.sqrt(2) + sympy.sqrt(5)))
                    + 2 * sympy.sqrt(3 + sympy.sqrt(2) + sympy.sqrt(5)))
DENESTED = 1 + sympy.sqrt(1 + 2 * sympy.sqrt(3 + sympy.sqrt(2) + sympy.sqrt(5)))
COS_PI_17 = sympy.cos(PI / 17).rewrite(sympy.sqrt)


@pytest.mark.parametrize(
    "previous, current, method",
    [
        (NESTED, DENESTED, "denest square roots"),
        (sympy.cos(PI / 17), COS_PI_17, "trigonometric values as radicals"),
        (sympy.tan(PI / 17) * sympy.cos(PI / 17), sympy.sin(PI / 17).rewrite(sympy.sqrt),
         "trigonometric values as radicals"),
    ],
)
def test_constants_of_radicals_are_proved_without_their_digits(monkeypatch, previous, current, method):
    # A proof needs no 110-digit agreement: computing it first cost most of such a check.
    def no_digits(*args, **kwargs):
        raise AssertionError("the certified agreement was computed although the step was proved")

    monkeypatch.setattr(sampling, "certified_agreement", no_digits)
    outcome = run_task(StepTask(previous, current, (), ()), FAST)
    assert (outcome.verdict, outcome.method) == (Verdict.PROVED, method)


@pytest.mark.parametrize(
    "previous, current",
    [
        (NESTED, DENESTED + sympy.Integer(10) ** -200),
        (NESTED, 1 + sympy.sqrt(1 + 2 * sympy.sqrt(3 + sympy.sqrt(2) + sympy.sqrt(6)))),
        (sympy.cos(PI / 17), COS_PI_17 * (1 + sympy.exp(-500))),
    ],
)
def test_constants_of_radicals_that_differ_stay_wrong(previous, current):
    assert run_task(StepTask(previous, current, (), ()), FAST).verdict is Verdict.WRONG


def test_denesting_is_left_to_constants():
    # sqrt(x + 2*sqrt(x - 1)) = sqrt(x - 1) + 1 needs the sign of x - 1: no denesting of symbols.
    from derivcheck.check.prove.equality import prove_zero

    diff = sympy.sqrt(x + 2 * sympy.sqrt(x - 1)) - sympy.sqrt(x - 1) - 1
    assert prove_zero(diff, 5.0) != "denest square roots"


def test_two_constants_no_proof_decides_are_settled_once():
    calls = []
    real = sampling.certified_agreement

    def counted(a, b, *args):
        calls.append((a, b))
        return real(a, b, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sampling, "certified_agreement", counted)
        outcome = run_task(StepTask(TAN_EXPR, -sympy.sqrt(3), (), ()), FAST)
    assert outcome.verdict is Verdict.NUMERIC and "110 significant digits" in outcome.detail
    assert len(calls) == 1


def test_a_variable_step_with_a_tiny_difference_stays_wrong():
    report = verify_text(derivation(["x", "x + 10**-300"]))
    assert step_verdicts(report) == ["wrong"]


# --- the cache key -----------------------------------------------------------------


def _key(previous, current, config_key="k") -> str | None:
    return task_key(StepTask(previous, current, (), ()), config_key)


def test_the_cache_key_never_prints_or_evaluates(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the key printed or evaluated an expression")

    monkeypatch.setattr(sympy, "srepr", forbidden)
    monkeypatch.setattr(EvalfMixin, "evalf", forbidden)
    monkeypatch.setattr(sympy.Basic, "doit", forbidden)
    k = sympy.Symbol("k", integer=True)
    product = sympy.Product(x + k, (k, 1, 10**6))
    assert _key(sympy.Sum(product, (k, 1, 3)), x) is not None


def test_the_cache_key_hashes_shared_subtrees_once():
    # 2**60 nodes written out as a tree, 60 distinct ones.
    shared = x
    for _ in range(60):
        shared = sympy.Add(sympy.Mul(shared, shared, evaluate=False), 1, evaluate=False)
    key = _key(shared, x)
    assert key is not None and key != _key(shared, y)


def test_the_cache_key_tells_apart_what_can_change_a_verdict():
    keys = {
        _key(x + 2, x),
        _key(x + sympy.Float(2.0), x),
        _key(sympy.Symbol("x", positive=True) + 2, x),
        _key(x + 2, x, "other config"),
        _key(x + sympy.Rational(5, 2), x),
    }
    assert len(keys) == 5
    assert _key(x + 2, x) == _key(x + 2, x)


def test_the_cache_key_of_a_task_too_large_to_key_is_none(monkeypatch):
    monkeypatch.setattr(cache_mod, "MAX_KEY_NODES", 5)
    assert _key(x**2 + 3 * x + sympy.sin(x) + 1, x) is None


def test_a_task_too_large_to_key_is_checked_without_the_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(cache_mod, "MAX_KEY_NODES", 5)
    config = CheckConfig(jobs=1, cache_dir=tmp_path / "cache")
    task = StepTask((x + 1) ** 2 + sympy.sin(x), x**2 + 2 * x + 1 + sympy.sin(x), (), ())
    for _ in range(2):
        stats = RunStats()
        (outcome,) = run_tasks([task], config, stats=stats)
        assert outcome.verdict is Verdict.PROVED
        assert (stats.cached, stats.computed) == (0, 1)


@pytest.mark.slow
def test_the_cache_keys_of_a_library_file_are_the_same_under_any_hash_seed():
    # Index symbols carry several assumption words; srepr wrote them in set order.
    code = (
        "from derivcheck.api import load_paths, plan_document\n"
        "from derivcheck.check.run.cache import task_key\n"
        "from derivcheck.config import CheckConfig\n"
        "config = CheckConfig(jobs=1)\n"
        "for item in load_paths(['derivations/softmax'], config):\n"
        "    for doc in item.items:\n"
        "        for planned in plan_document(doc, config):\n"
        "            print(task_key(planned.check.task, config.verdict_key()))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True)
        assert done.stdout.count("\n") >= 5
        outputs.add(done.stdout)
    assert len(outputs) == 1


# --- ties at a point -------------------------------------------------------------------


def test_a_tie_is_proved_and_a_tiny_nonzero_value_is_no_tie_without_a_proof_attempt(monkeypatch):
    from derivcheck.check.screen import branches

    assert branches.proved_zero(-sympy.log(3 * sympy.E) + 1 + sympy.log(3))

    def no_proof(*args, **kwargs):
        raise AssertionError("a proof was attempted for a value evaluation tells from 0")

    monkeypatch.setattr(branches, "prove_zero", no_proof)
    assert not branches.proved_zero(sympy.log(sympy.E + sympy.exp(1000)) - 1000)  # about 10**-434


def test_an_order_at_a_point_with_a_gap_below_the_error_floor_is_undecided_without_a_proof(monkeypatch):
    from derivcheck.check.ladder import relations

    def no_proof(*args, **kwargs):
        raise AssertionError("a tie was tried for a gap evaluated to a nonzero value")

    monkeypatch.setattr(relations, "proved_zero", no_proof)
    # 1/(1 + exp(x)) > 0 at x = 10**6: the gap, about 10**-434295, is below the evaluation's error floor.
    assert relations.relation_at(1 / (1 + sympy.exp(x)), sympy.Integer(0), ">", {x: sympy.Integer(10**6)}) is None
    held = relations.relation_at(1 / (1 + sympy.exp(x)), sympy.Integer(0), ">", {x: sympy.Integer(3)})
    assert held is not None and held.holds


def test_the_proof_between_two_constants_leaves_time_for_their_digits():
    from derivcheck.bounds import PROOF_RESERVE_SHARE, SCREEN_SHARE
    from derivcheck.check.limits import proof_share

    assert proof_share(10.0, NO_SHAPE) == pytest.approx(10.0 * (1 - PROOF_RESERVE_SHARE))
    assert proof_share(10.0, NO_SHAPE, constants=True) == pytest.approx(10.0 * (1 - PROOF_RESERVE_SHARE - SCREEN_SHARE))


def test_a_task_sent_to_a_worker_is_unpickled_within_its_time_limit(monkeypatch):
    # Unpickling rebuilds every SymPy node, and building one can evaluate it: that work is the check's.
    import pickle

    task = StepTask(x**2 - 1, (x - 1) * (x + 1), (), ())
    assert run_task(pickle.dumps(task), FAST).verdict is Verdict.PROVED

    def slow_rebuild(*args, **kwargs):
        raise CheckTimeout()

    monkeypatch.setattr(pickle, "loads", slow_rebuild)
    outcome = run_task(pickle.dumps(task), FAST)
    assert (outcome.verdict, outcome.method) == (Verdict.UNKNOWN, "time limit")
