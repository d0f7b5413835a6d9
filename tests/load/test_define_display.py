"""A display marked '<!-- derivcheck define -->': its rows are 'define:' entries of the derivations after it."""

from __future__ import annotations

import pytest

from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import LoadError
from tests.load.test_latex_reach import verify

DEFINITIONS = """Let the loss be

<!-- derivcheck define -->
$$
p_k = \\frac{e^{z_k}}{\\sum_{d=1}^{C} e^{z_d}} \\\\
\\mathcal{L} = -\\sum_{c=1}^{C} y_c \\log p_c
$$
"""

DERIVATION = """
<!-- derivcheck
title: softmax CE
symbols:
  z, y: real vector
  i, j, c, d: index 1..C
assume:
  - Sum(y[c], (c, 1, C)) == 1
-->
$$
\\frac{{\\partial \\mathcal{{L}}}}{{\\partial z_i}}
= \\sum_{{j=1}}^{{C}} \\frac{{\\partial \\mathcal{{L}}}}{{\\partial p_j}}
\\frac{{\\partial p_j}}{{\\partial z_i}} = {last}
$$
"""


def _errors(text: str) -> list[LoadError]:
    return [d for d in documents_from_markdown(text, "post.md") if isinstance(d, LoadError)]


@pytest.mark.slow  # two checks with sums proved for sizes
def test_rows_of_a_definition_display_define_quantities_like_define():
    report = verify(DEFINITIONS + DERIVATION.format(last="p_i - y_i"))
    steps = [r for r in report.results if r.kind == "step"]
    assert [r.passes for r in steps] == [True, True] and not [r for r in report.results if r.is_error]
    wrong = verify(DEFINITIONS + DERIVATION.format(last="y_i - p_i"))
    assert [r.verdict.value for r in wrong.results if r.kind == "step"][-1] == "wrong"


def test_definitions_reach_every_derivation_after_them_and_none_before():
    before = DERIVATION.format(last="p_i - y_i") + DEFINITIONS
    (error,) = _errors(before)
    assert "undeclared name" in error.message
    twice = DEFINITIONS + DERIVATION.format(last="p_i - y_i") + DERIVATION.format(last="p_i - y_i")
    assert not _errors(twice)


def test_errors_in_a_definition_display_point_at_its_row():
    bad = DEFINITIONS.replace("\\mathcal{L} = -", "\\mathcal{L} = q -") + DERIVATION.format(last="p_i - y_i")
    (error,) = _errors(bad)
    assert error.line == 6 and "row 2 of the definitions" in error.message and "'q'" in error.message
    chain = DEFINITIONS.replace("\\mathcal{L} = -", "\\mathcal{L} = 0 = -") + DERIVATION.format(last="p_i")
    (error,) = _errors(chain)
    assert error.line == 6 and "'name = expression'" in error.message
    twice = DEFINITIONS.replace("\\mathcal{L} =", "p_j =") + DERIVATION.format(last="p_i")
    assert "defined twice" in _errors(twice)[0].message


def test_a_definition_display_conflicting_with_the_comment_is_an_error():
    text = DEFINITIONS + DERIVATION.format(last="p_i").replace("  z, y: real vector", "  z, y, p: real vector")
    assert "declared in the derivcheck comment" in _errors(text)[0].message


def test_a_define_comment_without_a_display_is_an_error():
    (error,) = _errors("<!-- derivcheck define -->\nno math here\n")
    assert error.line == 1 and "no display math" in error.message
