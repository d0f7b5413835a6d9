"""Conditions as substitutions: every encoding must cover exactly the points it claims."""


import pytest
import sympy

from derivcheck.check.prove.assume import Relation, apply, encode, scenarios

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)
b = sympy.Symbol("b", positive=True)
OPS = {">": sympy.Gt, ">=": sympy.Ge, "<": sympy.Lt, "<=": sympy.Le, "!=": sympy.Ne, "==": sympy.Eq}


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("g", [x, -x, 2 - 3 * x, x - y, -x + b, x / 2 + 1])
def test_encoding_satisfies_its_relation(op, g):
    (mapping,) = encode(Relation(op, g))
    substituted = g.xreplace(mapping)
    holds = OPS[op](substituted, 0)
    fresh = [d for d in substituted.free_symbols if isinstance(d, sympy.Dummy)]
    if op == "==":
        assert sympy.simplify(substituted) == 0
        return
    # The relation must follow from the fresh symbol's sign, for every value of it.
    for value in (sympy.Rational(1, 3), 0, -sympy.Rational(1, 3), 5, -5):
        (t,) = fresh
        if not _allowed(t, value):
            continue
        instance = holds.xreplace({t: value})
        assert instance in (sympy.true, True) or sympy.simplify(instance) is sympy.true, (op, g, mapping, value)


def _allowed(t, value):
    return all(
        not getattr(t, f"is_{word}") or test(value)
        for word, test in [("positive", lambda v: v > 0), ("negative", lambda v: v < 0),
                           ("nonnegative", lambda v: v >= 0), ("nonpositive", lambda v: v <= 0),
                           ("nonzero", lambda v: v != 0)]
    )


def test_membership_splits_into_one_scenario_per_value():
    plans = scenarios([Relation("in", y, (sympy.Integer(0), sympy.Integer(1)))])
    assert sorted(apply(y, p) for p in plans) == [0, 1]


def test_contradictory_conditions_leave_no_scenario():
    assert scenarios([Relation("in", y, (sympy.Integer(2),)), Relation("<", y - 1)]) == []


def test_a_symbol_with_its_own_sign_is_kept_when_another_can_move():
    (mapping,) = encode(Relation(">", x - b))
    assert list(mapping) == [x]


@pytest.mark.parametrize(
    "lhs, rhs, relation, provable",
    [
        (sympy.Abs(x), x, Relation("<=", -x), True),      # 0 <= x
        (sympy.Abs(x), -x, Relation("<=", -x), False),
        (sympy.Abs(x), -x, Relation("<", x), True),       # x < 0
        (sympy.Abs(x), x, Relation("<", x), False),
        (sympy.Min(sympy.Abs(x), b), sympy.Abs(x), Relation("<", x - b), False),   # only x < b: |x| may exceed b
    ],
)
def test_the_prover_alone_respects_the_direction_of_conditions(lhs, rhs, relation, provable):
    # No numeric screen here: the symbolic prover must not prove a false identity on its own.
    from derivcheck.check.prove.equality import prove_equal

    assert (prove_equal(lhs, rhs, [relation], 5.0) is not None) is provable
