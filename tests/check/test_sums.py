"""General proofs over indexed sums (check/ladder/sums.py): true steps proved for every size, wrong ones never."""

import pytest
import sympy

from derivcheck.check.ladder.sums import SumFacts, normal_form, one_sum, provably_nonnegative, reduce_sums
from derivcheck.check.prove.assume import Relation
from tests.helpers import derivation, verify_text

VEC = {"z": "real vector", "y": "real vector", "C": "positive integer", "i, j, c, k": "index 1..C"}
SOFTMAX = {"p(m)": "exp(z[m])/Sum(exp(z[c]), (c, 1, C))"}

GENERAL = [
    # derivative of a sum in one element: the Kronecker delta collapses (i in 1..C)
    ("diff(Sum(z[c]**2, (c, 1, C)), z[i])", "2*z[i]", VEC, [], {}),
    ("diff(Sum(y[c]*exp(z[c]), (c, 1, C)), z[i])", "y[i]*exp(z[i])", VEC, [], {}),
    # softmax Jacobian without a case split, and with one
    ("diff(p(i), z[j])", "p(i)*(KroneckerDelta(i, j) - p(j))", VEC, [], SOFTMAX),
    ("diff(p(i), z[j])", "-p(i)*p(j)", VEC, ["j != i"], SOFTMAX),
    ("diff(p(i), z[j])", "p(i)*(1 - p(i))", VEC, ["j == i"], SOFTMAX),
    # linearity, renamed summation variables, factors pulled out
    ("Sum(y[c] + 2*z[c], (c, 1, C))", "Sum(y[k], (k, 1, C)) + 2*Sum(z[c], (c, 1, C))", VEC, [], {}),
    ("Sum(y[c]*p(i), (c, 1, C))", "p(i)*Sum(y[k], (k, 1, C))", VEC, [], SOFTMAX),
    # the sum abstracted by a positive symbol (sqrt(S**2) == S needs S > 0)
    ("sqrt(Sum(exp(z[c]), (c, 1, C))**2)", "Sum(exp(z[k]), (k, 1, C))", VEC, [], {}),
    ("log(Sum(exp(z[c]), (c, 1, C))/exp(z[i]))", "log(Sum(exp(z[c]), (c, 1, C))) - z[i]", VEC, [], {}),
    # a constraint on a sum used as a substitution
    ("-y[i] + p(i)*Sum(y[c], (c, 1, C))", "p(i) - y[i]", VEC, ["Sum(y[c], (c, 1, C)) == 1"], SOFTMAX),
    # closed forms, with the inclusive semantics (n = 0 is an empty sum)
    ("Sum(3, (c, 1, C))", "3*C", VEC, [], {}),
    ("Sum(c, (c, 1, C))", "C*(C + 1)/2", VEC, [], {}),
    ("Sum(1, (k, 1, n))", "n", {"n": "nonnegative integer", "k": "index 1..n"}, [], {}),
    ("Sum(2**k, (k, 0, n))", "2**(n + 1) - 1", {"n": "nonnegative integer", "k": "index 0..n"}, [], {}),
    # the cross-entropy gradient in one step
    ("diff(-Sum(y[c]*log(p(c)), (c, 1, C)), z[i])", "p(i)*Sum(y[c], (c, 1, C)) - y[i]", VEC, [], SOFTMAX),
]

WRONG = [
    # index swapped
    ("diff(Sum(y[c]*z[c]**2, (c, 1, C)), z[i])", "2*y[j]*z[i]", VEC, [], {}),
    ("diff(p(i), z[j])", "-p(j)*p(j)", VEC, ["j != i"], SOFTMAX),
    # off-by-one bounds
    ("Sum(z[c], (c, 1, C))", "Sum(z[c], (c, 2, C))", VEC, [], {}),
    ("Sum(c, (c, 1, C))", "C*(C - 1)/2", VEC, [], {}),
    ("Sum(3, (c, 1, C))", "3*(C + 1)", VEC, [], {}),
    # a delta outside the range of the sum: j may be C, where the derivative is 0
    ("diff(Sum(z[c]**2, (c, 1, C - 1)), z[j])", "2*z[j]", VEC, [], {}),
    # the constraint is not stated
    ("-y[i] + p(i)*Sum(y[c], (c, 1, C))", "p(i) - y[i]", VEC, [], SOFTMAX),
    # positivity is not known for a sum of reals
    ("sqrt(Sum(z[c], (c, 1, C))**2)", "Sum(z[c], (c, 1, C))", VEC, [], {}),
    # the empty range is 0, not n - m + 1 < 0
    ("Sum(1, (k, m, n))", "n - m + 1", {"m, n": "integer", "k": "index m..n"}, [], {}),
    # identities false only from C = 5 on
    ("Sum(c, (c, 1, C))", "C*(C + 1)/2 + (C - 1)*(C - 2)*(C - 3)*(C - 4)", VEC, [], {}),
    ("Sum(z[c], (c, 1, C))", "Sum(z[c], (c, 1, C)) + (C - 1)*(C - 2)*(C - 3)*(C - 4)*z[1]", VEC, [], {}),
]


def _verdict(previous, step, symbols, assume, functions):
    report = verify_text(derivation([previous, step], symbols, assume, functions))
    (result,) = [r for r in report.results if r.kind == "step"]
    return result


@pytest.mark.parametrize("previous, step, symbols, assume, functions", GENERAL)
def test_true_sum_steps_are_proved_for_every_size(previous, step, symbols, assume, functions):
    result = _verdict(previous, step, symbols, assume, functions)
    assert result.verdict.value == "proved", (result.outcome.method, result.outcome.detail)


@pytest.mark.parametrize("previous, step, symbols, assume, functions", WRONG)
def test_wrong_sum_steps_are_never_proved(previous, step, symbols, assume, functions):
    result = _verdict(previous, step, symbols, assume, functions)
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)


def test_false_from_size_five_is_wrong_with_the_size_shown():
    result = _verdict("Sum(c, (c, 1, C))", "C*(C + 1)/2 + (C - 1)*(C - 2)*(C - 3)*(C - 4)", VEC, [], {})
    assert result.outcome.method == "numeric screen at larger sizes"
    assert int(result.outcome.counterexample["C"]) >= 5


def _k():
    return sympy.Dummy("k", integer=True)


def test_delta_collapse_needs_the_range():
    C = sympy.Symbol("C", integer=True, positive=True)
    j = sympy.Symbol("j", integer=True)
    z = sympy.IndexedBase("z", real=True)
    k = _k()
    inside = [Relation("<=", 1 - j), Relation("<=", j - C)]
    facts = SumFacts(inside)
    assert one_sum(sympy.KroneckerDelta(k, j) * z[k], k, 1, C, facts) == z[j]
    open_range = one_sum(sympy.KroneckerDelta(k, j) * z[k], k, 1, C, SumFacts([]))
    assert isinstance(open_range, sympy.Piecewise)
    # at j = 0 the sum is empty of the delta's point: the Piecewise gives 0
    assert open_range.xreplace({j: 0}) == 0
    assert open_range.xreplace({j: 2, C: 3}) == z[2]


def test_abstracted_sum_carries_its_sign_only_when_the_range_is_not_empty():
    n = sympy.Symbol("n", integer=True, nonnegative=True)
    z = sympy.IndexedBase("z", real=True)
    k = _k()
    facts = SumFacts([])
    symbol = reduce_sums(sympy.Sum(sympy.exp(z[k]), (k, 1, n)), facts)
    assert symbol.is_nonnegative and not symbol.is_positive  # n may be 0
    C = sympy.Symbol("C", integer=True, positive=True)
    assert reduce_sums(sympy.Sum(sympy.exp(z[k]), (k, 1, C)), SumFacts([])).is_positive


def test_provably_nonnegative_uses_equalities_and_bounds():
    i, j, C = sympy.symbols("i j C", integer=True)
    relations = [Relation("==", j - i), Relation("<=", i - C)]
    assert provably_nonnegative(C - j, relations)
    assert not provably_nonnegative(C - j - 1, relations)


TELESCOPING = {
    "z": "real vector", "C": "positive integer", "c": "index 1..C", "n": "nonnegative integer", "k": "index 1..n"
}


@pytest.mark.parametrize(
    "previous, step, verdict",
    [
        ("Sum(z[c + 1] - z[c], (c, 1, C))", "z[C + 1] - z[1]", "proved"),
        ("Sum(1/c - 1/(c + 1), (c, 1, C))", "1 - 1/(C + 1)", "proved"),
        ("Sum(z[k + 1] - z[k], (k, 1, n))", "z[n + 1] - z[1]", "proved"),  # n = 0: both sides 0
        ("Sum(z[c + 1] - z[c], (c, 1, C))", "z[C] - z[1]", "wrong"),  # off by one at the top
        ("Sum(z[c + 1] - z[c], (c, 1, C))", "z[C + 1] - z[2]", "wrong"),  # off by one at the bottom
    ],
)
def test_telescoping_sums(previous, step, verdict):
    result = _verdict(previous, step, TELESCOPING, [], {})
    assert result.verdict.value == verdict, (result.verdict, result.outcome.method)


def test_radicals_become_powers_of_one_symbol_exactly():
    from derivcheck.check.ladder.sums import radicals_as_symbols

    x, y = sympy.symbols("x y", real=True)
    a = (x + 1) ** sympy.Rational(3, 2) / (x + 1)
    b = (x + 1) ** sympy.Rational(1, 3) * (1 + x) ** sympy.Rational(1, 2)
    ga, gb = radicals_as_symbols([a, b])
    (r,) = (ga.free_symbols | gb.free_symbols) - {x}
    assert r.is_real is None  # r = (x + 1)**(1/6) may be complex: no assumption
    assert ga == r**3 and gb == r**5
    # each base has its own symbol; sqrt(A)*sqrt(B) - sqrt(A*B) is not 0 for complex values
    c = sympy.sqrt(x + 1) * sympy.sqrt(y + 1) - sympy.sqrt((x + 1) * (y + 1))
    (gc,) = radicals_as_symbols([c])
    assert len(gc.free_symbols) == 2 and sympy.simplify(gc) != 0


@pytest.mark.parametrize(
    "previous, step, verdict",
    [
        (
            "(Sum(z[c]**2, (c, 1, C)) + 1)**(3/2)/(1 + Sum(z[c]**2, (c, 1, C)))",
            "sqrt(Sum(z[c]**2, (c, 1, C)) + 1)",
            "proved",
        ),
        ("sqrt(Sum(z[c], (c, 1, C)) + 1)**2", "Sum(z[c], (c, 1, C)) + 1", "proved"),
        ("sqrt((Sum(z[c], (c, 1, C)) + 1)**2)", "Sum(z[c], (c, 1, C)) + 1", "wrong"),  # may be negative
        (
            "sqrt(Sum(z[c]**2, (c, 1, C)) + 1)**3",
            "(Sum(z[c]**2, (c, 1, C)) + 1)*sqrt(Sum(z[c]**2, (c, 1, C)))",
            "wrong",
        ),
    ],
)
def test_radicals_of_sums(previous, step, verdict):
    result = _verdict(previous, step, VEC, [], {})
    assert result.verdict.value == verdict, (result.verdict, result.outcome.method)


# -- exchange of nested sums (Fubini for finite sums) ------------------------------------------

NEST = {"z": "real vector", "y": "real vector", "C, K, L": "positive integer", "c, k, l": "index 1..C"}
F = "exp(z[c]*y[k])"  # a summand that is not a product of a function of c and one of k


@pytest.mark.parametrize(
    "previous, step",
    [
        (f"Sum(Sum({F}, (k, 1, K)), (c, 1, C))", f"Sum(Sum({F}, (c, 1, C)), (k, 1, K))"),
        # a factor of the outer variable taken into the inner sum
        (f"Sum(z[c]*Sum({F}, (k, 1, K)), (c, 1, C))", f"Sum(Sum(z[c]*{F}, (c, 1, C)), (k, 1, K))"),
        # three sums in another order, names changed
        (
            f"Sum(Sum(Sum({F}*y[l]*z[l], (l, 1, L)), (k, 1, K)), (c, 1, C))",
            "Sum(Sum(Sum(exp(z[k]*y[c])*y[l]*z[l], (k, 1, C)), (l, 1, L)), (c, 1, K))",
        ),
        # bounds that depend on a size and an outer sum's variable, exchanged where they allow
        (
            f"Sum(Sum(Sum({F}*z[l], (k, 1, K)), (l, 1, c)), (c, 1, C))",
            f"Sum(Sum(Sum({F}*z[l], (l, 1, c)), (c, 1, C)), (k, 1, K))",
        ),
        # the square of an inner sum as a product of two sums
        (
            f"Sum(Sum({F}, (k, 1, K))**2, (c, 1, C))",
            "Sum(Sum(Sum(exp(z[c]*y[k])*exp(z[c]*y[l]), (c, 1, C)), (k, 1, K)), (l, 1, K))",
        ),
        # sums that reach zero when a size is 0 (empty ranges are 0 on both sides)
        (
            "Sum(Sum(exp(z[c]*y[k]), (k, 1, n)), (c, 1, m))",
            "Sum(Sum(exp(z[c]*y[k]), (c, 1, m)), (k, 1, n))",
        ),
    ],
)
def test_nested_sums_in_another_order_are_proved_for_every_size(previous: str, step: str) -> None:
    symbols = {**NEST, "m, n": "nonnegative integer"}
    result = _verdict(previous, step, symbols, [], {})
    assert result.verdict.value == "proved", (result.verdict, result.outcome.method)
    assert "order of nested sums exchanged" in result.outcome.method


@pytest.mark.parametrize(
    "previous, step, verdict",
    [
        # the bounds go with their variables: swapping the bounds alone is wrong
        (
            f"Sum(Sum({F}, (k, 1, K)), (c, 1, C))",
            f"Sum(Sum({F}, (c, 1, K)), (k, 1, C))",
            "wrong",
        ),
        # the square of a sum is not the sum of the squares
        (
            f"Sum(Sum({F}, (k, 1, K))**2, (c, 1, C))",
            f"Sum(Sum({F}**2, (c, 1, C)), (k, 1, K))",
            "wrong",
        ),
        # a triangular sum swapped naively is wrong
        (f"Sum(Sum({F}, (k, 1, c)), (c, 1, C))", f"Sum(Sum({F}, (c, 1, k)), (k, 1, C))", "wrong"),
        # a triangle missing its diagonal
        (f"Sum(Sum({F}, (k, 1, c)), (c, 1, C))", f"Sum(Sum({F}, (c, k + 1, C)), (k, 1, C))", "wrong"),
        # a lower bound that does not follow from the conditions: written out for each size
        (
            f"Sum(Sum({F}, (k, 1, c - 1)), (c, K, C))",
            f"Sum(Sum({F}, (c, k + 1, C)), (k, 1, C - 1))",
            "wrong",
        ),
    ],
)
@pytest.mark.slow
def test_dependent_bounds_go_with_their_variables(previous: str, step: str, verdict: str) -> None:
    result = _verdict(previous, step, NEST, [], {})
    assert result.verdict.value == verdict, (result.verdict, result.outcome.method)


@pytest.mark.parametrize(
    "previous, step",
    [
        # the lower triangle with its diagonal, written from either side
        (f"Sum(Sum({F}, (k, 1, c)), (c, 1, C))", f"Sum(Sum({F}, (c, k, C)), (k, 1, C))"),
        # without it (pairs k < c), tight bounds
        (f"Sum(Sum({F}, (k, 1, c - 1)), (c, 2, C))", f"Sum(Sum({F}, (c, k + 1, C)), (k, 1, C - 1))"),
        # without it, bounds written loosely (c = 1 and k = C give empty sums)
        (f"Sum(Sum({F}, (k, 1, c - 1)), (c, 1, C))", f"Sum(Sum({F}, (c, k + 1, C)), (k, 1, C))"),
        # a triangle inside a rectangle
        (
            f"Sum(Sum(Sum({F}*z[l], (k, 1, c)), (c, 1, C)), (l, 1, L))",
            f"Sum(Sum(Sum({F}*z[l], (l, 1, L)), (c, k, C)), (k, 1, C))",
        ),
    ],
)
def test_triangular_sums_written_from_either_side_are_proved(previous: str, step: str) -> None:
    result = _verdict(previous, step, NEST, [], {})
    assert result.verdict.value == "proved", (result.verdict, result.outcome.method)
    assert "order of nested sums exchanged" in result.outcome.method


def test_exchange_order_gives_one_form_for_every_order() -> None:
    from derivcheck.check.ladder.sums import exchange_order

    n, m = sympy.symbols("n m", integer=True, positive=True)
    a = sympy.IndexedBase("a", real=True)
    i, j, t = _k(), _k(), _k()
    facts = SumFacts([])
    inner_first = exchange_order(sympy.Sum(sympy.exp(a[i, j]) * a[j, t], (i, 1, n), (j, 1, m), (t, 1, m)), facts)
    nested = sympy.Sum(a[j, t] * sympy.Sum(sympy.exp(a[i, j]), (i, 1, n)), (t, 1, m))
    outer_first = exchange_order(sympy.Sum(nested, (j, 1, m)), facts)
    assert inner_first == outer_first
    assert len(inner_first.limits) == 3 and not inner_first.function.has(sympy.Sum)
    # a bound on an outer variable keeps that sum inside it, or the triangle is written from its other side
    triangle = exchange_order(sympy.Sum(a[i, j], (i, 1, j), (j, 1, n)), facts)
    assert triangle == exchange_order(sympy.Sum(a[i, j], (j, i, n), (i, 1, n)), facts)
    assert triangle != exchange_order(sympy.Sum(a[i, j], (j, 1, i), (i, 1, n)), facts)  # the other triangle
    assert triangle != exchange_order(sympy.Sum(a[i, j], (j, i + 1, n), (i, 1, n)), facts)  # no diagonal
    ((_, lo, hi), (outer, _, _)) = triangle.limits
    assert outer in (lo.free_symbols | hi.free_symbols)


MATRICES = {"x, w": "vector n", "u": "vector d", "A": "matrix n n", "B": "matrix n d", "D": "matrix d n"}


@pytest.mark.parametrize(
    "previous, step, verdict",
    [
        ("transpose(w) @ transpose(A) @ x", "transpose(x) @ A @ w", "proved"),
        ("trace(B @ D)", "trace(D @ B)", "proved"),
        ("trace(B @ D)", "trace(transpose(D) @ transpose(B))", "proved"),
        ("transpose(x) @ transpose(A) @ A @ x", "dot(A @ x, A @ x)", "proved"),
        ("dot(A @ x, B @ u)", "transpose(x) @ transpose(A) @ B @ u", "proved"),
        ("norm(B @ u)**2", "transpose(u) @ transpose(B) @ B @ u", "proved"),
        # the ridge regression expansion (derivations/linear_algebra/ridge_regression.yaml)
        (
            "transpose(x - B @ u) @ (x - B @ u)",
            "dot(x, x) - 2*dot(x, B @ u) + transpose(u) @ transpose(B) @ B @ u",
            "proved",
        ),
        # A is not symmetric: the exchange must not make these equal
        ("transpose(w) @ A @ x", "transpose(x) @ A @ w", "wrong"),
        ("transpose(x) @ transpose(A) @ A @ x", "dot(transpose(A) @ x, transpose(A) @ x)", "wrong"),
    ],
)
def test_matrix_steps_that_exchange_sums(previous: str, step: str, verdict: str) -> None:
    result = _verdict(previous, step, MATRICES, [], {})
    assert result.verdict.value == verdict, (result.verdict, result.outcome.method)


def test_sums_with_bounds_on_an_outer_variable_are_written_out() -> None:
    from derivcheck.check.prove.sizes import instantiate

    z = sympy.IndexedBase("z", real=True)
    k, c = sympy.symbols("k c", integer=True)
    C = sympy.Symbol("C", integer=True, positive=True)
    triangular = sympy.Sum(sympy.Sum(z[k], (k, 1, c)), (c, 1, C))
    assert instantiate(triangular, {C: 3}) == 3 * z[1] + 2 * z[2] + z[3]
    # an inner sum that binds the outer variable again keeps its own
    shadowed = sympy.Sum(z[c] * sympy.Sum(z[c], (c, 1, 2)), (c, 1, 3))
    assert sympy.expand(instantiate(shadowed, {}) - (z[1] + z[2]) * (z[1] + z[2] + z[3])) == 0


@pytest.mark.slow
def test_three_nested_sums_that_differ_are_not_proved_equal() -> None:
    # SymPy merges two nested sums into one node with two limits; the third sum's variable
    # was once named like the middle one's, which made these two different sums equal
    previous = "Sum(Sum(Sum(exp(z[c]*y[k] + z[c]*y[l]), (c, 1, C)), (k, 1, K)), (l, 1, K))"
    step = "Sum(Sum(Sum(exp(3*z[c]*y[k]/2 + z[c]*y[l]/2), (c, 1, C)), (k, 1, K)), (l, 1, K))"
    result = _verdict(previous, step, NEST, [], {})
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)


def test_three_nested_sums_keep_their_variables_apart() -> None:
    z, y = sympy.IndexedBase("z", real=True), sympy.IndexedBase("y", real=True)
    c, k, m = _k(), _k(), _k()
    C, K = sympy.symbols("C K", integer=True, positive=True)
    nest = sympy.Sum(sympy.exp(z[c] * y[k] + z[c] * y[m]), (c, 1, C), (k, 1, K), (m, 1, K))
    normal = normal_form(nest, SumFacts([]))
    assert len({var for var, _, _ in normal.limits}) == 3, normal


def test_a_nest_keeps_the_sign_of_the_sum_as_written() -> None:
    # (Sum(sin(…)))**2 taken apart is a sum of sin(a)*sin(b), whose sign is unknown; the square is >= 0
    z, y = sympy.IndexedBase("z", real=True), sympy.IndexedBase("y", real=True)
    c, k = _k(), _k()
    C, K = sympy.symbols("C K", integer=True, positive=True)
    squares = sympy.Sum(sympy.Sum(sympy.sin(z[c] * y[k]), (k, 1, K)) ** 2, (c, 1, C))
    facts = SumFacts([])
    symbol = reduce_sums(squares, facts)
    assert symbol.is_nonnegative, symbol.assumptions0


@pytest.mark.slow
def test_every_exchange_keeps_the_value_of_random_nests() -> None:
    # random nests of 2 to 4 sums, bounds on sizes, numbers and outer variables (triangles, with and
    # without their diagonal, written from either side),
    # written out at a few sizes (empty ranges included) before and after the normal form and the exchange
    import random

    from derivcheck.check.ladder.sums import exchange_order
    from derivcheck.check.prove.sizes import instantiate

    rng = random.Random(7)
    z = sympy.IndexedBase("z", real=True)
    n, m = sympy.symbols("n m", integer=True, nonnegative=True)
    exchanged = 0
    for _ in range(30):
        variables = [sympy.Symbol(f"v{t}", integer=True) for t in range(rng.randint(2, 4))]
        body = z[sum(variables)] ** 2
        product = sympy.Integer(1)
        for v in variables:
            product *= z[rng.randint(1, 3) * v + rng.randint(0, 2)] + rng.randint(1, 3)
        nest = body + product
        for position in reversed(range(len(variables))):
            outer = variables[:position]
            lo = rng.choice([sympy.Integer(0), sympy.Integer(1), *outer, *(o + 1 for o in outer)])
            hi = rng.choice([n, m, n - 1, sympy.Integer(2), *outer, *(o + 1 for o in outer), *(o - 1 for o in outer)])
            nest = sympy.Sum(nest, (variables[position], lo, hi))
        facts = SumFacts([])
        terms = sympy.Add.make_args(normal_form(nest, facts))
        ordered = sympy.Add(*(exchange_order(t, facts) if isinstance(t, sympy.Sum) else t for t in terms))
        exchanged += "order of nested sums exchanged" in facts.used
        for sizes in ({n: 2, m: 3}, {n: 0, m: 2}):
            before, after = instantiate(nest, sizes), instantiate(ordered, sizes)
            values = {e: rng.randint(-5, 5) for e in before.atoms(sympy.Indexed) | after.atoms(sympy.Indexed)}
            assert sympy.expand(before.xreplace(values) - after.xreplace(values)) == 0, (nest, ordered, sizes)
    assert exchanged >= 10  # the exchange was exercised, not only the identity order


def test_every_form_of_a_random_nest_has_its_value() -> None:
    # every way of writing a nest that the moves reach (not only the one kept) sums the same terms
    import random

    from derivcheck.check.ladder.sums import _flatten_nest, _nest_forms, _nest_in_order
    from derivcheck.check.prove.sizes import instantiate

    rng = random.Random(11)
    z = sympy.IndexedBase("z", real=True)
    n = sympy.Symbol("n", integer=True, nonnegative=True)
    flipped = 0
    for _ in range(40):
        variables = [sympy.Symbol(f"v{t}", integer=True) for t in range(rng.randint(2, 3))]
        nest = z[sum((t + 2) * v for t, v in enumerate(variables))]
        for position in reversed(range(len(variables))):
            outer = variables[:position]
            lo = rng.choice([sympy.Integer(1), *outer, *(o + 1 for o in outer)])
            hi = rng.choice([n, n - 1, *outer, *(o - 1 for o in outer)])
            nest = sympy.Sum(nest, (variables[position], lo, hi))
        facts = SumFacts([Relation(">=", n)])
        limits, body = _flatten_nest(nest)
        forms = _nest_forms(tuple(limits), facts)
        flipped += any({lo for _, lo, _ in form} != {lo for _, lo, _ in limits} for form in forms)
        expected = instantiate(nest, {n: 4})
        for form in forms:
            written = instantiate(_nest_in_order(body, list(form), 0, facts), {n: 4})
            assert sympy.expand(written - expected) == 0, (nest, form)
    assert flipped >= 5


def test_one_fraction_per_summand_keeps_each_radicand_as_written():
    # cancel pulls factors out of a radicand (sqrt(e + t/n**2) -> sqrt(e*n**2 + t)/n); done in the
    # summands only, the same radical outside the sums was another symbol for radicals_as_symbols
    # and the layer-norm backward step fell to a slow proof without them.
    from derivcheck.check.ladder.sums import _one_fraction

    g, e, t, s = sympy.symbols("g e t s")
    n = sympy.Symbol("n", positive=True)
    radicand = e + t / n**2
    together = _one_fraction(g / (1 + sympy.exp(-s)) / sympy.sqrt(radicand))
    assert sympy.denom(together) != 1 and sympy.Add.make_args(together) == (together,)  # one fraction
    assert {p.base for p in together.atoms(sympy.Pow) if not p.exp.is_Integer} == {radicand}
    assert sympy.simplify(together - g / (1 + sympy.exp(-s)) / sympy.sqrt(radicand)) == 0
    # Only radicals in the denominators: no fraction to bring together, the summand stays as written.
    radicals_only = g / sympy.sqrt(radicand) + t / radicand ** sympy.Rational(3, 2)
    assert _one_fraction(radicals_only) == radicals_only

