"""The numeric screen's soundness table: it must not be fooled, and its counterexamples must be real.

Every counterexample is re-checked here independently: the point satisfies
every condition and declaration, and the two sides, evaluated by SymPy at 100
digits, differ by far more than round-off.
"""

import pytest
import sympy

from derivcheck.check.prove.assume import Relation, relevant_relations
from derivcheck.check.prove.sizes import Shape
from derivcheck.check.screen.sampling import compare_at, concrete_functions, refute_at_high_precision, screen
from tests.helpers import derivation, verify_text

x, y = sympy.symbols("x y", real=True)
p = sympy.Symbol("p", positive=True)
z = sympy.Symbol("z", complex=True)
NO_SHAPE = Shape((), ())


def run_screen(a, b, relations=(), samples=24, seed=0):
    return screen(a, b, list(relations), NO_SHAPE, samples, 4, seed)


def assert_real_counterexample(a, b, relations, found):
    """The point satisfies the conditions and declarations, and the sides really differ there."""
    assert found.counterexample is not None
    values = found.counterexample.values
    for atom, value in values.items():
        if atom.is_real:
            assert sympy.im(value) == 0, (atom, value)
        if atom.is_positive:
            assert value > 0
    for relation in relations:
        lhs = sympy.N(relation.expr.xreplace(values), 60)
        if relation.op == "==":
            assert abs(lhs) < 1e-50
        elif relation.op == ">":
            assert lhs > 0
    (ca, cb), _ = concrete_functions([a, b])
    va, vb = sympy.N(ca.xreplace(values), 100), sympy.N(cb.xreplace(values), 100)
    gap = abs(sympy.N(va - vb, 100))
    assert gap > sympy.Float("1e-60") * max(1, abs(va), abs(vb)), (va, vb)


def verdict_of(previous, step, symbols, assume=None, functions=None):
    report = verify_text(derivation([previous, step], symbols, assume, functions))
    (result,) = report.results
    return result


def recheck_reported(result, previous, step, symbols):
    """Parse the reported counterexample and re-evaluate both sides at 100 digits."""
    names = {}
    for name, words in symbols.items():
        kwargs = {"complex": True} if "complex" in words else {"real": True}
        for word in ("positive", "negative", "nonnegative", "integer"):
            if word in words.split():
                kwargs[word] = True
        names[name] = sympy.Symbol(name, **kwargs)
    point = {names[k]: sympy.sympify(v, locals=names) for k, v in result.outcome.counterexample.items()}
    a = sympy.sympify(previous, locals=names)
    b = sympy.sympify(step, locals=names)
    gap = (a - b).xreplace(point).evalf(100, strict=True)  # raises if it cannot be told from 0
    assert not gap.is_zero, (point, gap)
    return point


# --- Class 4: the screen is not fooled by its stand-ins or by where it samples

UNKNOWN_F = {"f(t)": None}
UNKNOWN_G = {"g(s, t)": None}

FOOLING = [
    # (previous, step, symbols, assume, functions): each is wrong
    ("abs(f(x))", "f(x)", {"x": "real"}, None, UNKNOWN_F),                     # stand-in of one sign
    ("f(x)**2", "f(x)*abs(f(x))", {"x": "real"}, None, UNKNOWN_F),
    ("g(x, y + 2*pi)", "g(x, y)", {"x": "real", "y": "real"}, None, UNKNOWN_G),  # periodic stand-in
    ("g(x, y) - g(x, 0) - g(0, y) + g(0, 0)", "0", {"x": "real", "y": "real"}, None, UNKNOWN_G),  # additive
    ("g(x, y)", "g(y, x)", {"x": "real", "y": "real"}, None, UNKNOWN_G),         # same for each position
    ("f(x)", "h(x)", {"x": "real"}, None, {"f(t)": None, "h(t)": None}),        # same for each function
    ("f(-x)", "f(x)", {"x": "real"}, None, UNKNOWN_F),                          # even stand-in
    ("min(x, 40)", "x", {"x": "real"}, None, None),                             # breakpoint away from 0
    ("max(x, 1000)", "1000", {"x": "real"}, None, None),
    ("abs(x - 250)", "250 - x", {"x": "real"}, None, None),
    ("sign(x - 77)", "-1", {"x": "real"}, None, None),
    ("max(x**2, 90000)", "90000", {"x": "real"}, None, None),                    # quadratic breakpoint
    ("max(x**3 - 10**10, 0)", "0", {"x": "real"}, None, None),                   # only far points separate
    ("sqrt(1/z)", "1/sqrt(z)", {"z": "complex"}, None, None),                    # differ on the negative real axis only
    ("log(1/z)", "-log(z)", {"z": "complex"}, None, None),
    ("sqrt(z**2)", "z", {"z": "complex"}, None, None),
    ("1 + 10**-80", "1", {"x": "real"}, None, None),                             # pure numbers: exact
    ("(sqrt(2) + 10**-50)**2", "2 + 2*sqrt(2)*10**-50", {"x": "real"}, None, None),
    ("exp(1) + 10**-60", "exp(1)", {"x": "real"}, None, None),
]


@pytest.mark.parametrize("previous, step, symbols, assume, functions", FOOLING)
def test_screen_is_not_fooled(previous, step, symbols, assume, functions):
    result = verdict_of(previous, step, symbols, assume, functions)
    assert result.verdict.value == "wrong", result.outcome
    assert result.outcome.counterexample is not None
    if not functions:
        recheck_reported(result, previous, step, symbols)


def test_pure_number_difference_decided_exactly_by_the_screen():
    a = 1 + sympy.Rational(1, 10**80)
    found = run_screen(a, sympy.Integer(1))
    assert found.counterexample is not None
    assert "e-80" in found.values[1]
    # Equal numbers written differently are not refuted (left to the prover).
    assert run_screen(sympy.sqrt(8), 2 * sympy.sqrt(2)).counterexample is None


def test_breakpoint_points_refute_min_far_from_origin():
    found = run_screen(sympy.Min(x, 40), x)
    assert_real_counterexample(sympy.Min(x, 40), x, [], found)
    assert found.counterexample.values[x] > 40


def test_far_points_refute_a_threshold_at_two_thousand():
    a = sympy.Max(x**3 - 10**10, 0)
    found = run_screen(a, sympy.Integer(0))
    assert_real_counterexample(a, sympy.Integer(0), [], found)


def test_branch_cut_points_for_complex_symbols():
    a, b = sympy.sqrt(1 / z), 1 / sympy.sqrt(z)
    found = run_screen(a, b)
    assert_real_counterexample(a, b, [], found)


def test_stand_ins_are_of_both_signs_and_differ_by_function_and_position():
    f, g = sympy.Function("f", real=True), sympy.Function("g", real=True)
    (fx, gx, gxy, gyx), described = concrete_functions([f(x), g(x, 0), g(x, y), g(y, x)])
    values = [fx.xreplace({x: v}) for v in (-5, 0, 5)]
    assert any(sympy.N(v) < 0 for v in values) and any(sympy.N(v) > 0 for v in values)
    assert sympy.N((gxy - gyx).xreplace({x: 1, y: 2})) != 0
    assert set(described) == {"f", "g"}


# --- Class 5: counterexamples are real (no false alarms)

CONSISTENT = [
    # (previous, step, symbols, assume): true under the conditions; never "wrong"
    ("min(x, 5)", "5", {"x": "real", "y": "real"}, ["x > y", "y > 5"]),
    ("abs(x - 5)", "x - 5", {"x": "real", "y": "real", "w": "real"}, ["x > y", "y > w", "w > 5"]),
    ("abs(x)**2", "x**2", {"x": "real", "z": "complex"}, ["x == z"]),
    ("sqrt(p**2)", "p", {"p": "positive"}, ["p in {-1, 1}"]),
    ("(exp(200) + x)**2 - exp(400) - 2*exp(200)*x", "x**2", {"x": "real"}, []),
    ("log(exp(300) + x) - 300", "log(1 + x*exp(-300))", {"x": "positive"}, []),
    ("(10**40 + exp(x))*(10**40 - exp(x)) + exp(2*x)", "10**80", {"x": "real"}, []),
]


@pytest.mark.parametrize("previous, step, symbols, assume", CONSISTENT)
def test_no_false_alarm(previous, step, symbols, assume):
    result = verdict_of(previous, step, symbols, assume)
    assert result.verdict.value != "wrong", result.outcome


def test_round_off_step_reaches_the_prover():
    result = verdict_of("(exp(200) + x)**2 - exp(400) - 2*exp(200)*x", "x**2", {"x": "real"})
    assert result.verdict.value == "proved", result.outcome


def test_round_off_is_not_a_difference_for_the_screen():
    e = sympy.exp(200)
    a, b = (e + x) ** 2 - e**2 - 2 * e * x, x**2
    found = run_screen(a, b)
    assert found.counterexample is None and found.agreed >= 3
    assert refute_at_high_precision(found) is None
    assert compare_at(a, b, {x: sympy.Integer(2)}, exact=True) == "agree"


def test_tiny_real_difference_is_found_at_high_precision():
    found = run_screen(x, x + sympy.Rational(1, 10**30))
    if found.counterexample is None:
        found = refute_at_high_precision(found)
    assert_real_counterexample(x, x + sympy.Rational(1, 10**30), [], found)


def test_relevant_relations_keep_the_closure():
    w = sympy.Symbol("w", real=True)
    relations = [Relation(">", x - y), Relation(">", y - w), Relation(">", w - 5), Relation(">", p - 1)]
    kept = relevant_relations([sympy.Min(x, 5)], relations, set())
    assert kept == relations[:3]


def test_points_respect_linked_conditions():
    relations = [Relation(">", x - y), Relation(">", y - 5)]
    found = run_screen(sympy.Min(x, 5), sympy.Integer(5), relations)
    assert found.counterexample is None and found.agreed >= 3


def test_wrong_step_under_linked_conditions_is_refuted_at_a_valid_point():
    relations = [Relation(">", x - y), Relation(">", y - 5)]
    found = run_screen(sympy.Min(x, 6), sympy.Integer(6), relations)
    assert_real_counterexample(sympy.Min(x, 6), sympy.Integer(6), relations, found)


def test_real_symbol_solved_from_complex_equation_stays_real():
    relations = [Relation("==", x - z)]
    found = run_screen(sympy.Abs(x) ** 2, x**2, relations)
    assert found.counterexample is None
    for point, _, _ in found.agreeing:
        assert sympy.im(point.values[x]) == 0


def test_values_from_a_set_respect_sign_words():
    relations = [Relation("in", p, (sympy.Integer(-1), sympy.Integer(1)))]
    found = run_screen(sympy.sqrt(p**2), p, relations)
    assert found.counterexample is None and found.agreed >= 1
    assert all(point.values[p] == 1 for point, _, _ in found.agreeing)


# --- Class 6: nonlinear conditions

def test_screen_finds_points_on_nonlinear_equalities():
    cases = [
        (x, 1 / y, [Relation("==", x * y - 1)]),
        (x**2, sympy.Integer(2), [Relation("==", x**2 - 2)]),
        (sympy.Abs(z) ** 2, sympy.Integer(1), [Relation("==", sympy.Abs(z) - 1)]),
        (sympy.exp(x), sympy.Integer(3), [Relation("==", sympy.exp(x) - 3)]),
    ]
    for a, b, relations in cases:
        found = run_screen(a, b, relations)
        assert found.counterexample is None, (a, b, found.values)
        assert found.agreed >= 3, (a, b, found.tried)


@pytest.mark.parametrize(
    "a, b, relations",
    [
        (x, sympy.sqrt(2), [Relation("==", x**2 - 2)]),          # the negative root refutes
        (x, y, [Relation("==", x * y - 1)]),
        (z, sympy.Integer(1), [Relation("==", sympy.Abs(z) - 1)]),
        (x + y, sympy.Integer(2), [Relation("==", x**2 + y**2 - 2)]),
    ],
)
def test_wrong_steps_under_nonlinear_equalities_are_refuted_at_valid_points(a, b, relations):
    found = run_screen(a, b, relations)
    assert_real_counterexample(a, b, relations, found)


def test_nonlinear_condition_step_is_not_unknown():
    result = verdict_of("x**2 + y", "2 + y", {"x": "real", "y": "real"}, ["x**2 == 2"])
    assert result.verdict.value in ("proved", "numeric"), result.outcome


def test_screen_is_deterministic():
    a, b = sympy.Min(x, 40) + y, x + y
    first = run_screen(a, b, seed=3)
    second = run_screen(a, b, seed=3)
    assert first.counterexample.values == second.counterexample.values


def test_screen_visits_the_smallest_sizes_too():
    from derivcheck.check.prove.sizes import shape_of
    from derivcheck.parse.symbols import SymbolSpec

    n = sympy.Symbol("n", integer=True, positive=True)
    k = sympy.Symbol("k", integer=True)
    zb = sympy.IndexedBase("z", real=True)
    total = sympy.Sum(zb[k], (k, 1, n))
    wrong_at_one = total + (n - 2) * (n - 3) * (n - 4)  # equal for n = 2, 3, 4 only
    spec = SymbolSpec("n", n, False, False, True, None, 1)
    shape = shape_of([total, wrong_at_one], [], (spec,))
    found = screen(total, wrong_at_one, [], shape, 24, 4, 0)
    assert found.counterexample is not None
    assert found.counterexample.shape[n] == 1


def test_stand_in_counterexample_rechecked_independently():
    f = sympy.Function("f", real=True)
    for a, b in [(sympy.Abs(f(x)), f(x)), (f(x + 2 * sympy.pi), f(x)), (f(x) * f(-x), f(x) ** 2)]:
        found = run_screen(a, b)
        assert_real_counterexample(a, b, [], found)


def test_far_points_keep_nested_exponentials_feasible():
    # exp(exp(10**6)) cannot be evaluated; far points that would need it are skipped.
    gumbel = sympy.exp(-sympy.exp(-x))
    found = run_screen(sympy.diff(gumbel, x), gumbel * sympy.exp(-x))
    assert found.counterexample is None and found.agreed >= 20
    a = sympy.cos(sympy.exp(x)) ** 2 + sympy.sin(sympy.exp(x)) ** 2
    found = run_screen(a, sympy.Integer(1))
    assert found.counterexample is None and found.agreed >= 20


def test_an_equation_in_a_vector_element_is_solved_for_it():
    # Sum(y[c], (c, 1, C)) == 1 written out is an equation in y[1], y[2], ...: the
    # screen must solve it (the label y is not a free variable of its own).
    import sympy

    from derivcheck.check.prove.assume import Relation
    from derivcheck.check.prove.sizes import Shape
    from derivcheck.check.screen.sampling import screen

    y, z = sympy.IndexedBase("y", real=True), sympy.IndexedBase("z", real=True)
    condition = [Relation("==", y[1] + y[2] - 1)]
    found = screen(sympy.S.Zero, sympy.exp(z[1]) + y[1], condition, Shape((), ()), 24, 4, 0)
    assert found.counterexample is not None
    values = found.counterexample.values
    assert values[y[1]] + values[y[2]] == 1


def test_the_screen_finds_a_sign_change_of_each_factor_of_a_product():
    # Oracle finding F10: a sign of a product breaks where a factor does; the interval -3/2 < y < -1
    # between the breakpoints of two factors holds the counterexample.
    x, w, y = sympy.symbols("x w y", real=True)
    a, b = sympy.sign((x - w) * (2 * y + 2)), sympy.sign(x - w) * sympy.sign(2 * y + 3)
    found = screen(a, b, [], NO_SHAPE, 24, 4, seed=0)
    assert found.counterexample is not None
    result = verdict_of("sign((x - w)*(2*y + 2))", "sign(x - w)*sign(2*y + 3)", {"x": "real", "w": "real", "y": "real"})
    assert result.verdict.value == "wrong"
