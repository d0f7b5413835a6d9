"""Spacing commands separate, never multiply (issue 28, 1b): thin spacing reads as juxtaposition,
wide spacing between two factors is an error, between two claims of a row it separates them."""

from __future__ import annotations

import pytest

from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import LoadError
from tests.helpers import step_verdicts, verify_text
from tests.load.test_latex_reach import post, verdicts, verify


def _error(text: str) -> str:
    docs = documents_from_markdown(text, "post.md")
    errors = [d.message for d in docs if isinstance(d, LoadError)]
    assert errors, docs
    return errors[0]


@pytest.mark.parametrize("math", ["2 \\, x", "2 \\; x", "2\\!x", "2 \\: x", "2 ~ x", "2 \\thinspace x"])
def test_thin_spacing_reads_as_the_juxtaposition_without_it(math):
    assert verdicts(post(f"$$ {math} = 2x $$\n")) == ["proved"]


@pytest.mark.parametrize("spacing", ["\\quad", "\\qquad", "\\hspace{1in}", "\\hspace*{2em}"])
def test_wide_spacing_between_two_factors_never_multiplies(spacing):
    text = post(f"$$ (f(x) {spacing} g) = x^2 g $$\n", "  x, g: real\n", "functions:\n  f(t): t**2\n")
    message = _error(text)
    assert "never multiplies" in message and "\\cdot" in message


@pytest.mark.parametrize("spacing", ["\\quad", "\\hspace{1em}"])
def test_wide_spacing_beside_an_operator_is_layout(spacing):
    assert verdicts(post(f"$$ (x {spacing} + 1) = 1 + x $$\n")) == ["proved"]


def test_a_row_split_by_wide_spacing_between_two_relations_is_two_claims():
    report = verify(post("$$ x + x = 2x \\hspace{2cm} 3x - x = 3x $$\n"))
    steps = [r for r in report.results if r.kind == "step"]
    assert [(r.previous, r.expr, r.verdict.value) for r in steps] == [
        ("x + x", "2x", "proved"),
        ("3x - x", "3x", "wrong"),
    ]


def test_wide_spacing_after_a_comma_stays_the_rows_condition():
    symbols = "  p: real vector\n  i, j: index 1..C\n"
    report = verify(post("$$ p_i - p_j = 0, \\quad i = j $$\n", symbols))
    (step,) = [r for r in report.results if r.kind == "step"]
    assert step.verdict.value == "proved" and "when" in step.chain


def test_wide_spacing_before_a_lone_expression_is_no_product():
    text = post("$$ f(x) \\hspace{1in} g = x^2 g $$\n", "  x, g: real\n", "functions:\n  f(t): t**2\n")
    report = verify(text)
    assert not [r for r in report.results if r.kind == "step"]  # never f(x)*g = x^2 g
    assert any("stands alone" in r.message for r in report.results if r.kind == "note")


def test_spacing_between_digits_is_an_error():
    assert "between two digits" in _error(post("$$ 1\\,000 x = 1000 x $$\n"))


def test_hspace_in_a_yaml_latex_step_reads_as_in_markdown():
    text = "title: t\nsymbols: {x: real}\nsteps:\n  - latex: 'x \\hspace{1em} + 1'\n  - latex: '1 + \\, x'\n"
    assert step_verdicts(verify_text(text)) == ["proved"]
    product = "title: t\nsymbols: {x: real}\nsteps:\n  - latex: 'x \\hspace{1em} x'\n  - x**2\n"
    (error,) = [r for r in verify_text(product).results if r.is_error]
    assert "never multiplies" in error.message
