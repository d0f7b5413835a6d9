"""--verbose shows the full evidence of every step: both sides as parsed, the method and its
intermediate forms, the points where the sides were compared."""

from __future__ import annotations

import io

from typer.testing import CliRunner

from derivcheck.cli import app
from derivcheck.report.text import write_text
from tests.helpers import FAST, derivation, verify_text

TEXT = derivation(
    ["diff(sigma(x), x)", "sigma(x)*(1 - sigma(x))"], {"x": "real"}, functions={"sigma(t)": "1/(1 + exp(-t))"}
)


EVIDENCE = FAST.with_(evidence=True)


def text_report(verbose: bool) -> str:
    stream = io.StringIO()
    write_text(verify_text(TEXT, EVIDENCE), stream, color=False, verbose=verbose)
    return stream.getvalue()


def test_the_outcome_carries_the_full_evidence_as_fields():
    (result,) = verify_text(TEXT, EVIDENCE).results
    outcome = result.outcome
    assert outcome.sides == ("exp(-x)/(1 + exp(-x))**2", "(1 - 1/(1 + exp(-x)))/(1 + exp(-x))")
    assert outcome.forms[0].startswith("previous - this step = ")
    assert any("reduces to 0" in form for form in outcome.forms)
    assert outcome.sample_points and all("(previous)" in p and "(this step)" in p for p in outcome.sample_points)


def test_verbose_shows_both_sides_the_method_the_forms_and_the_points():
    shown = text_report(verbose=True)
    assert "previous  (line 7): diff(sigma(x), x)" in shown
    assert "previous:  exp(-x)/(1 + exp(-x))**2" in shown
    assert "this step: (1 - 1/(1 + exp(-x)))/(1 + exp(-x))" in shown
    assert "method: " in shown and "previous - this step = " in shown
    assert "points where the sides agree: " in shown and "x = " in shown


def test_without_verbose_a_passing_step_is_one_line():
    shown = text_report(verbose=False)
    assert "as parsed" not in shown and "points where" not in shown


def test_the_cli_passes_verbose_to_the_text_reporter(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", "--no-cache", "--jobs", "1", "--verbose", str(path)])
    assert result.exit_code == 0, result.output
    assert "as parsed (definitions expanded)" in result.output


def test_the_evidence_is_collected_only_when_asked_for():
    # It costs time on every step, and only --verbose shows it.
    (result,) = verify_text(TEXT).results
    assert result.outcome.sides is None and result.outcome.sample_points == ()
