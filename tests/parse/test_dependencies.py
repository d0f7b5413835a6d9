"""Quantities under 'depends' (no formula, only what they depend on): the chain rule through them as written."""

from __future__ import annotations

import pytest
import sympy

from derivcheck.errors import FormatError
from tests.helpers import step_verdicts, verify_text
from tests.load.test_latex_reach import verify
from tests.parse.test_definitions import _parsed, _steps

SCALAR = "title: t\nsymbols: {x: real}\ndepends: {u: x}\ndefine: {f: sin(u)}\nsteps:\n"


def test_a_total_derivative_goes_through_a_dependent_quantity():
    total, written = _steps(SCALAR + "  - diff(f, x)\n  - cos(u)*diff(u, x)\n")
    assert total == written and total != 0
    partial = sympy.Symbol("∂u/∂x", real=True)
    assert total == sympy.cos(sympy.Symbol("u", real=True)) * partial


def test_a_chain_rule_slip_through_a_dependent_quantity_is_refuted():
    report = verify_text(SCALAR + "  - diff(f, x)\n  - cos(u)*diff(u, x)**2\n")
    (result,) = [r for r in report.results if r.kind == "step"]
    assert result.verdict.value == "wrong" and "∂u/∂x" in result.outcome.counterexample


SOFTMAX = """
title: cross-entropy through an unknown p(z)
symbols:
  z, y: real vector
  i, j, c: index 1..C
depends:
  p[k]: z
define:
  L: -Sum(y[c]*log(p[c]), (c, 1, C))
steps:
  - diff(L, z[i])
"""


@pytest.mark.slow  # sums through an unknown p(z), proved in general
def test_the_multivariable_chain_rule_through_an_unknown_p_of_z():
    right = SOFTMAX + "  - Sum(diff(L, p[j])*diff(p[j], z[i]), (j, 1, C))\n"
    assert step_verdicts(verify_text(right)) == ["proved"]
    wrong = SOFTMAX + "  - Sum(y[j]/p[j]*diff(p[j], z[i]), (j, 1, C))\n"
    assert step_verdicts(verify_text(wrong)) == ["wrong"]


def test_a_partial_in_the_quantity_itself_and_in_an_unrelated_symbol():
    text = SOFTMAX.replace("steps:\n  - diff(L, z[i])\n", "steps:\n  - diff(p[j], z[i])\n  - diff(p[j], y[i])\n")
    unknown, none = _steps(text)
    assert isinstance(unknown, sympy.Indexed) and str(unknown.base) == "∂p/∂z" and none == 0


BATCH_NORM = """
title: t
symbols:
  gamma, beta, x_hat: real vector
  N, D: positive integer
  i, a: index 1..N
  j, b: index 1..D
define:
  y[a, b]: gamma[b]*x_hat[a, b] + beta[b]
depends:
  L: {on}
steps:
  - diff(L, beta[j])
  - {last}
"""


def test_a_chain_through_a_defined_quantity_of_two_indices_sums_over_their_ranges():
    text = BATCH_NORM.format(on="y[a, b]", last="Sum(diff(L, y[i, j]), (i, 1, N))")
    assert step_verdicts(verify_text(text)) == ["proved"]
    slip = BATCH_NORM.format(on="y[a, b]", last="Sum(diff(L, y[i, j])*x_hat[i, j], (i, 1, N))")
    assert step_verdicts(verify_text(slip)) == ["wrong"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"on": "y", "last": "0"}, "write their ranges under 'depends' as L: y[i, j]"),
        ({"on": "q", "last": "0"}, "'L' depends on 'q', which is not"),
        ({"on": "y[a, N]", "last": "0"}, "must be an index declared with its range"),
        ({"on": "y[a, b]", "last": "diff(diff(L, y[i, j]), beta[j])"}, "derivative of a partial derivative"),
    ],
)
def test_dependencies_that_cannot_be_read_say_why(change, message):
    with pytest.raises(FormatError, match=message.replace("[", "\\[").replace("]", "\\]")):
        _parsed(BATCH_NORM.format(**change))


def test_a_dependent_name_may_not_be_declared_otherwise():
    with pytest.raises(FormatError, match="under 'depends' is also"):
        _parsed("title: t\nsymbols: {x: real, u: real}\ndepends: {u: x}\nsteps: [u, u]\n")


def test_a_defined_quantity_of_two_indices_takes_both():
    text = "title: t\nsymbols: {z: real vector}\ndefine:\n  y[a, b]: z[a]*z[b]\nsteps: ['y[1, 2]', 'z[1]*z[2]']\n"
    first, second = _steps(text)
    assert first == second
    with pytest.raises(FormatError, match="takes 2 index"):
        _parsed(text.replace("'y[1, 2]'", "'y[1]'"))


def test_the_batch_norm_chain_in_latex_reads_and_passes():
    declarations = BATCH_NORM.format(on="y[a, b]", last="0").split("steps:")[0].strip()
    math = (
        "$$\\frac{\\partial \\mathcal{L}}{\\partial \\beta_j} "
        "= \\sum_{i=1}^N \\frac{\\partial \\mathcal{L}}{\\partial y_{i,j}}$$\n"
    )
    report = verify(f"<!-- derivcheck\n{declarations}\n-->\n{math}")
    assert [r.verdict.value for r in report.results if r.kind == "step"] == ["proved"]
