"""Soundness of the symbolic prover on its own (issue 12, classes 1, 2, 6, 7; issue 16 point 5).

Most tests call ``prove_equal`` directly, so that the numeric screen cannot
hide a prover that proves something false: each "never proved" case fails if
the prover's guard is removed. The end-to-end cases check the verdicts a user
sees.
"""

import itertools

import pytest
import sympy

from derivcheck.check.prove.assume import Relation, apply, scenarios, split_abs, split_roots
from derivcheck.check.prove.equality import evaluate_sums, prove_equal, range_status, sign_arguments
from derivcheck.check.prove.sizes import Shape, assignments, size_range
from derivcheck.parse.expressions import unknown_function
from tests.helpers import derivation, step_verdicts, verify_text

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)
r = sympy.Symbol("r", real=True)
z = sympy.Symbol("z", complex=True)
w = sympy.Symbol("w", complex=True)
delta = sympy.Symbol("delta", positive=True)
pos = sympy.Symbol("a", positive=True)
n = sympy.Symbol("n", integer=True, nonnegative=True)
p = sympy.Symbol("p", integer=True, positive=True)
m = sympy.Symbol("m", integer=True)
k = sympy.Dummy("k", integer=True)
j = sympy.Dummy("j", integer=True)
f = unknown_function("f")
g = unknown_function("g")
u = sympy.IndexedBase("u", real=True)


def proved(a, b, relations=()):
    return prove_equal(a, b, list(relations), 10.0) is not None


# -- class 1: case splits only on real arguments ---------------------------------------------

NEVER_PROVED_COMPLEX = [
    (sympy.Abs(x + z) ** 2, (x + z) ** 2),
    (sympy.sign(x + z) * (x + z), sympy.Abs(x + z)),
    (sympy.Abs(z) ** 2, z**2),
    (sympy.Abs(x * z) ** 2, x**2 * z**2),
    (sympy.Abs(x - w + 1) ** 2, (x - w + 1) ** 2),
    (sympy.Abs(x + sympy.sqrt(y)) ** 2, (x + sympy.sqrt(y)) ** 2),  # sqrt(y) is imaginary for y < 0
    (sympy.sign(x + sympy.sqrt(y)) * (x + sympy.sqrt(y)), sympy.Abs(x + sympy.sqrt(y))),
]


@pytest.mark.parametrize("lhs, rhs", NEVER_PROVED_COMPLEX)
def test_no_split_on_an_argument_that_may_be_complex(lhs, rhs):
    assert not proved(lhs, rhs)


@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (sympy.Abs(x + y) ** 2, (x + y) ** 2, []),
        (sympy.sign(x - y) * (x - y), sympy.Abs(x - y), []),
        (sympy.Abs(x + sympy.sqrt(pos)) ** 2, (x + sympy.sqrt(pos)) ** 2, []),
        (sympy.Abs(x + z) ** 2, (x + z) ** 2, [Relation("==", z - y)]),  # z equals a real
    ],
)
def test_splits_on_real_arguments_still_prove(lhs, rhs, relations):
    assert proved(lhs, rhs, relations)


def test_sign_arguments_are_real_and_free_of_summation_variables():
    expr = sympy.Abs(x + z) + sympy.Abs(x - y) + sympy.Sum(sympy.Abs(x - k), (k, 1, p))
    assert sign_arguments(expr) == [x - y]


def test_max_and_min_of_a_complex_symbol_are_never_proved():
    text = derivation(["max(x, z)", "x"], {"x": "real", "z": "complex"})
    assert step_verdicts(verify_text(text)) != ["proved"]


# -- class 2: sums and products over ranges that may be empty --------------------------------

def test_evaluate_sums_follows_the_format_not_karr():
    assert evaluate_sums(sympy.Sum(k, (k, 3, 1))) == 0          # Karr: -2
    assert evaluate_sums(sympy.Product(k, (k, 4, 1))) == 1      # Karr: 1/6
    assert evaluate_sums(sympy.Sum(k, (k, 1, 0))) == 0
    assert evaluate_sums(sympy.Sum(1, (k, 1, m))) == sympy.Sum(1, (k, 1, m))  # undecided: kept


@pytest.mark.parametrize(
    "lo, hi, status",
    [(1, n, "proper"), (1, p, "proper"), (2, n, None), (1, m, None), (n + 2, n, "empty"), (1, x, None)],
)
def test_range_status(lo, hi, status):
    assert range_status(sympy.sympify(lo), sympy.sympify(hi)) == status


NEVER_PROVED_RANGES = [
    (sympy.Sum(k, (k, 3, n)), n * (n + 1) / 2 - 3, []),            # n = 0: 0 vs -3
    (sympy.Sum(k, (k, 2, n)), n * (n + 1) / 2 - 1, []),            # n = 0: 0 vs -1
    (sympy.Sum(1, (k, 1, m)), m, []),                              # m = -2: 0 vs -2
    (sympy.Sum(k, (k, 1, m)), m * (m + 1) / 2, []),                # m = -2: 0 vs 1
    (sympy.Product(2, (k, 1, m)), 2**m, []),                       # m = -1: 1 vs 1/2
    (sympy.Product(k, (k, 3, n)), sympy.factorial(n) / 2, []),     # n = 1: 1 vs 1/2
    (sympy.Sum(k, (k, 1, p)) + sympy.Sum(k, (k, p + 1, n)), sympy.Sum(k, (k, 1, n)), []),  # p > n
    (sympy.Sum(u[k], (k, 1, n)), u[1] + sympy.Sum(u[k], (k, 2, n)), []),                 # n = 0
    (sympy.Sum(k, (k, 3, 1)), -2, []),
]


@pytest.mark.parametrize("lhs, rhs, relations", NEVER_PROVED_RANGES)
def test_closed_forms_for_possibly_empty_ranges_are_never_proved(lhs, rhs, relations):
    assert not proved(lhs, rhs, relations)


@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (sympy.Sum(1, (k, 1, n)), n, []),
        (sympy.Sum(k, (k, 1, n)), n * (n + 1) / 2, []),
        (sympy.Sum(k, (k, 2, n)), n * (n + 1) / 2 - 1, [Relation(">=", n - 1)]),
        (sympy.Sum(1, (k, 1, m)), sympy.Max(m, 0), []),
        (sympy.Product(2, (k, 1, n)), 2**n, []),
        (sympy.Sum(sympy.Sum(1, (j, 1, k)), (k, 1, n)), n * (n + 1) / 2, []),
        (sympy.Sum(k, (k, 3, 1)), 0, []),
        (sympy.Product(k, (k, 3, 1)), 1, []),
    ],
)
def test_closed_forms_under_the_format_semantics_are_proved(lhs, rhs, relations):
    assert proved(lhs, rhs, relations)


@pytest.mark.parametrize(
    "size, expected",
    [
        (p, range(1, 5)),
        (n, range(0, 5)),
        (m, range(-4, 5)),
        (sympy.Symbol("q", integer=True, negative=True), range(-4, 0)),
        (sympy.Symbol("q", integer=True, nonpositive=True), range(-4, 1)),
    ],
)
def test_sizes_start_at_the_smallest_the_declaration_allows(size, expected):
    assert sorted(size_range(size, 4)) == list(expected)
    assert sorted(a[size] for a in assignments(Shape((size,), ()), [], 4)) == list(expected)


def test_sizes_respect_conditions_on_them():
    found = [a[m] for a in assignments(Shape((m,), ()), [Relation(">=", m + 1)], 4)]
    assert found == [0, -1, 1, 2, 3, 4]  # nearest zero first: small counterexamples


SIZES = {"n": "nonnegative integer", "u": "real vector"}


@pytest.mark.parametrize(
    "previous, step, symbols, expected",
    [
        ("Sum(1, (k, 1, n))", "n", SIZES, {"proved"}),
        ("Sum(k, (k, 1, n))", "n*(n + 1)/2", SIZES, {"proved"}),
        ("Sum(k, (k, 3, n))", "n*(n + 1)/2 - 3", SIZES, {"wrong"}),
        ("Sum(k, (k, 3, n))", "n*(n + 1)/2 - 3", {"n": "positive integer"}, {"wrong"}),
        ("Sum(u[k], (k, 1, n))", "u[1] + Sum(u[k], (k, 2, n))", SIZES, {"wrong"}),
        ("Sum(u[k], (k, 1, n))", "u[1] + Sum(u[k], (k, 2, n))", {"n": "positive integer", "u": "real vector"},
         {"proved", "proved for sizes"}),
        ("Product(2, (k, 1, m))", "2**m", {"m": "integer"}, {"wrong"}),
        ("Product(2, (k, 1, n))", "2**n", SIZES, {"proved"}),
        ("Sum(1, (k, 1, m))", "max(m, 0)", {"m": "integer"}, {"proved", "proved for sizes"}),
        ("Sum(1, (k, 1, m))", "m", {"m": "integer"}, {"wrong"}),
    ],
)
def test_sums_end_to_end(previous, step, symbols, expected):
    report = verify_text(derivation([previous, step], symbols))
    (result,) = report.results
    assert result.verdict.value in expected, result.outcome


def test_sizes_are_proved_from_zero_for_a_nonnegative_size():
    text = derivation(["Sum(u[k]**2, (k, 1, n)) + 0", "Sum(u[k]*u[k], (k, 1, n))"], SIZES)
    (result,) = verify_text(text).results
    if result.verdict.value == "proved for sizes":
        assert result.outcome.sizes[0] == 0, result.outcome
    else:
        assert result.verdict.value == "proved", result.outcome


# -- class 6: nonlinear equality conditions ---------------------------------------------------

@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (x * y, 1, [Relation("==", x * y - 1)]),
        (y, 1 / x, [Relation("==", x * y - 1)]),
        (sympy.Abs(x), sympy.sqrt(2), [Relation("==", x**2 - 2)]),
        (x**4, 4, [Relation("==", x**2 - 2)]),
        (x, sympy.sqrt(2), [Relation("==", x**2 - 2), Relation(">", x)]),
        (sympy.Abs(z) ** 2, 1, [Relation("==", sympy.Abs(z) - 1)]),
        (sympy.Abs(z) ** 4 + sympy.Abs(z), 2, [Relation("==", sympy.Abs(z) - 1)]),
        (x, 2, [Relation("==", x**3 - 8)]),                 # the complex roots are not real
        (x * y * sympy.exp(x), 0, [Relation("==", x * y)]),
        (x**2 + y**2, 1, [Relation("==", x**2 + y**2 - 1)]),
    ],
)
def test_nonlinear_equalities_are_used_branch_by_branch(lhs, rhs, relations):
    assert proved(lhs, rhs, relations)


@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (x, sympy.sqrt(2), [Relation("==", x**2 - 2)]),     # x may be -sqrt(2)
        (x, 0, [Relation("==", x * y)]),                    # y may be 0 and x anything
        (z, 1, [Relation("==", sympy.Abs(z) - 1)]),
        (z, 2, [Relation("==", z**3 - 8)]),                 # z complex: the other roots count
        (y, 1, [Relation("==", x**2 + y**2 - 1)]),
    ],
)
def test_nonlinear_equalities_keep_every_branch(lhs, rhs, relations):
    assert not proved(lhs, rhs, relations)


@pytest.mark.parametrize(
    "expr, symbol",
    [(x * y - 1, x), (x**2 - 2, x), (x**2 * y + x - 3, x), (x**3 - 8, x), (pos * x**2 + y * x - 1, x)],
)
def test_root_cases_cover_every_solution(expr, symbol):
    cases = split_roots(expr)
    assert cases is not None
    # At sample points that satisfy the equation, some case's relations all hold.
    for yv in (sympy.Integer(2), sympy.Rational(-1, 3), sympy.Integer(0)):
        point = {y: yv, pos: sympy.Integer(3)}
        for root in sympy.solve(expr.xreplace(point), symbol):
            full = {**point, symbol: root}
            assert any(all(_holds(rel.expr.xreplace(full), rel.op) for rel in case) for case in cases), (expr, full)


def _holds(value, op):
    value = sympy.nsimplify(sympy.simplify(value))
    if op == "==":
        return value == 0
    if op == "!=":
        return value != 0
    return {"<": value < 0, "<=": value <= 0, ">": value > 0, ">=": value >= 0}[op] == sympy.true


def test_nonlinear_condition_end_to_end():
    symbols = {"x": "real", "y": "real"}
    text = derivation(None, symbols, cases=[
        {"when": "x*y == 1", "steps": ["x*y*exp(x)", "exp(x)"]},
        {"when": "x**2 == 2", "steps": ["abs(x)**3", "2*sqrt(2)"]},
    ])
    assert step_verdicts(verify_text(text)) == ["proved", "proved"]


# -- class 7: unknown functions of complex arguments -----------------------------------------

def test_unknown_function_is_real_exactly_on_real_arguments():
    assert f(x).is_real is True
    assert f(x, y).is_real is True
    assert f(z).is_real is None
    assert f(x, z).is_real is None
    assert f(1 / pos).is_real is True
    assert f(sympy.sqrt(x)).is_real is None


@pytest.mark.parametrize(
    "lhs, rhs",
    [
        (sympy.Abs(f(z)) ** 2, f(z) ** 2),
        (sympy.Abs(f(x + z)) ** 2, f(x + z) ** 2),
        (sympy.Abs(f(x, z)) ** 2, f(x, z) ** 2),
        (sympy.Abs(g(sympy.sqrt(x))) ** 2, g(sympy.sqrt(x)) ** 2),
        (sympy.sign(f(z)) * f(z), sympy.Abs(f(z))),
    ],
)
def test_unknown_function_of_a_complex_argument_is_not_real(lhs, rhs):
    assert not proved(lhs, rhs)


def test_unknown_function_of_real_arguments_stays_real():
    assert proved(sympy.Abs(f(x)) ** 2, f(x) ** 2)
    assert proved(sympy.sign(f(x, y)) * f(x, y), sympy.Abs(f(x, y)))


@pytest.mark.parametrize(
    "symbols, previous, step, expected",
    [
        ({"x": "real"}, "abs(f(x))**2", "f(x)**2", "proved"),
        ({"z": "complex"}, "abs(f(z))**2", "f(z)**2", "wrong"),
        ({"x": "real", "z": "complex"}, "abs(f(x + z))**2", "f(x + z)**2", "wrong"),
    ],
)
def test_unknown_functions_end_to_end(symbols, previous, step, expected):
    report = verify_text(derivation([previous, step], symbols, functions={"f(t)": None}))
    assert step_verdicts(report) == [expected], report.results[0].outcome


def test_unknown_function_values_survive_worker_processes():
    import pickle

    expr = f(x) + f(z)
    back = pickle.loads(pickle.dumps(expr))
    assert back == expr
    assert {arg: arg.is_real for arg in back.args} == {f(x): True, f(z): None}


# -- issue 16 point 5: conditions written with abs --------------------------------------------

@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (sympy.Min(sympy.Max(r, -delta), delta), r, [Relation("<=", sympy.Abs(r) - delta)]),
        (sympy.Max(x, -1), x, [Relation("<", sympy.Abs(x) - 1)]),
        (sympy.Min(x, 1), x, [Relation("<", sympy.Abs(x) - 1)]),
        (sympy.Max(sympy.Abs(x), 1), sympy.Abs(x), [Relation(">=", sympy.Abs(x) - 1)]),
        (sympy.Max(x**2, 1), x**2, [Relation(">=", sympy.Abs(x) - 1)]),
        (sympy.Min(r, delta), r, [Relation(">=", delta - sympy.Abs(r))]),      # written delta >= abs(r)
        (sympy.Abs(x), 3, [Relation("==", sympy.Abs(x) - 3)]),
    ],
)
def test_abs_conditions_are_used_like_their_expanded_form(lhs, rhs, relations):
    assert proved(lhs, rhs, relations)


@pytest.mark.parametrize(
    "lhs, rhs, relations",
    [
        (sympy.Max(x, 1), x, [Relation(">=", sympy.Abs(x) - 1)]),       # x may be -2
        (sympy.Min(x, 1), x, [Relation(">=", sympy.Abs(x) - 1)]),       # x may be 2
        (x, 3, [Relation("==", sympy.Abs(x) - 3)]),
        (sympy.Max(x, -1), x, [Relation("!=", sympy.Abs(x) - 1)]),
    ],
)
def test_abs_conditions_never_prove_more_than_they_say(lhs, rhs, relations):
    assert not proved(lhs, rhs, relations)


def test_split_abs_needs_a_real_argument():
    assert split_abs(Relation("<=", sympy.Abs(x + z) - 1)) is None
    assert split_abs(Relation("!=", sympy.Abs(x) - 1)) is None


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "=="])
@pytest.mark.parametrize("expr", [sympy.Abs(x) - y, 2 * sympy.Abs(x - 1) - y, y - sympy.Abs(x)])
def test_abs_cases_cover_the_condition(op, expr):
    cases = split_abs(Relation(op, expr))
    grid = [sympy.Rational(v, 2) for v in range(-5, 6)]
    for xv, yv in itertools.product(grid, grid):
        point = {x: xv, y: yv}
        if not _holds(expr.xreplace(point), op):
            continue
        assert any(all(_holds(rel.expr.xreplace(point), rel.op) for rel in case) for case in cases), (op, point)


def test_abs_condition_end_to_end_matches_the_expanded_form():
    symbols = {"r": "real", "delta": "positive"}
    steps = ["min(max(r, -delta), delta)**2/2", "r**2/2"]
    expanded = derivation(None, symbols, cases=[{"when": "-delta <= r <= delta", "steps": steps}])
    with_abs = derivation(None, symbols, cases=[{"when": "abs(r) <= delta", "steps": steps}])
    assert step_verdicts(verify_text(expanded)) == ["proved"]
    assert step_verdicts(verify_text(with_abs)) == ["proved"]


def test_every_scenario_of_an_abs_split_is_proved():
    # abs(x) >= 1 gives two scenarios; a step true in only one of them is not proved.
    plans = scenarios([Relation(">=", sympy.Abs(x) - 1)])
    assert len(plans) == 2
    assert sorted(sympy.sign(apply(x, plan)) for plan in plans) == [-1, 1]


def test_instantiate_writes_empty_ranges_as_the_format_says():
    from derivcheck.check.prove.sizes import instantiate

    assert instantiate(sympy.Sum(k, (k, 3, m)), {m: sympy.Integer(1)}) == 0
    assert instantiate(sympy.Product(k + 1, (k, 3, m)), {m: sympy.Integer(-2)}) == 1
    assert instantiate(sympy.Sum(k, (k, 1, m)), {m: sympy.Integer(0)}) == 0
    assert instantiate(sympy.Sum(k, (k, 1, m)), {m: sympy.Integer(3)}) == 6
