"""The junit, github and sarif writers on hand-made results: escaping, rules, edge cases."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.report import REPORTERS
from derivcheck.report.fields import RULES, finding_level, finding_rule, result_message
from derivcheck.report.github import escape_data, escape_property, workflow_command
from derivcheck.report.sarif import artifact_uri
from derivcheck.results import Report, Result, passes


def step(verdict: Verdict, erratum: str | None = None, strict: bool = False, **fields) -> Result:
    return Result(
        file=fields.pop("file", "d/a.yaml"),
        line=fields.pop("line", 7),
        kind=fields.pop("kind", "step"),
        verdict=verdict,
        passes=passes(verdict, erratum, strict),
        title="t",
        chain="steps",
        expr=fields.pop("expr", "x + 1"),
        previous="1 + x",
        previous_line=6,
        erratum=erratum,
        outcome=Outcome(verdict, "m", fields.pop("detail", "")),
        **fields,
    )


def error(message: str = "no such file or directory", line: int | None = None, file: str = "gone.yaml") -> Result:
    return Result(file, line, "error", None, False, message=message)


def write(fmt: str, *results: Result, strict: bool = False) -> str:
    stream = io.StringIO()
    files = tuple(dict.fromkeys(r.file for r in results))
    REPORTERS[fmt](Report(tuple(results), files, strict), stream)
    return stream.getvalue()


@pytest.mark.parametrize(
    "result, level, rule",
    [
        (step(Verdict.PROVED), None, None),
        (step(Verdict.PROVED_FOR_SIZES), None, None),
        (step(Verdict.WRONG, erratum="typo"), None, None),  # a refuted erratum passes
        (step(Verdict.NUMERIC), "warning", "numeric-step"),
        (step(Verdict.NUMERIC, strict=True), "error", "numeric-step"),
        (step(Verdict.WRONG), "error", "wrong-step"),
        (step(Verdict.UNKNOWN), "error", "unknown-step"),
        (step(Verdict.PROVED, erratum="typo"), "error", "erratum-not-refuted"),
        (step(Verdict.NUMERIC, erratum="typo"), "error", "erratum-not-refuted"),
        (step(Verdict.WRONG, kind="number"), "error", "wrong-number"),
        (step(Verdict.UNKNOWN, kind="number"), "error", "unknown-number"),
        (error(), "error", "unreadable-file"),
    ],
)
def test_level_and_rule_of_each_kind_of_result(result, level, rule):
    assert finding_level(result) == level
    found = finding_rule(result)
    assert (found.id if found else None) == rule
    if rule:
        assert found in RULES


def test_github_escapes_message_and_properties():
    assert escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    result = step(Verdict.WRONG, file="dir/a,b:c.yaml", expr="x\n+ 1")
    command = workflow_command(result)
    assert "\n" not in command
    assert command.startswith("::error file=dir/a%2Cb%3Ac.yaml,line=7,title=derivcheck::")
    assert command.endswith(escape_data(result_message(result)))


def test_github_error_without_a_line_has_no_line_property():
    (line, summary) = write("github", error()).splitlines()
    assert line == "::error file=gone.yaml,title=derivcheck::no such file or directory"
    assert summary.startswith("derivcheck: ") and "(exit 2)" in summary


def test_github_passing_results_print_only_the_summary():
    out = write("github", step(Verdict.PROVED), step(Verdict.WRONG, erratum="typo"))
    assert [line for line in out.splitlines() if line.startswith("::")] == []


def test_junit_survives_characters_xml_cannot_hold():
    out = write("junit", step(Verdict.WRONG, expr="x\x01 + 1 <&> ü"), error("bad \x00 byte", 3))
    root = ET.fromstring(out.encode("utf-8"))
    failure = root.find(".//failure")
    assert failure is not None and "<&> ü" in failure.get("message")
    assert root.find(".//error").get("message") == "bad \\x00 byte"  # escaped, as in every format


def test_junit_error_without_a_line_is_named_after_the_file():
    root = ET.fromstring(write("junit", error()).encode("utf-8"))
    case = root.find("./testsuite/testcase")
    assert case.get("name") == "file: cannot be read" and case.get("line") is None
    assert case.find("error").get("type") == "unreadable-file"


def test_junit_shortens_long_steps_in_names():
    root = ET.fromstring(write("junit", step(Verdict.PROVED, expr="x + " * 100 + "1")).encode("utf-8"))
    name = root.find(".//testcase").get("name")
    assert name.startswith("line 7: steps: x + x") and name.endswith("…") and len(name) < 120


def test_empty_report_in_every_format():
    report = Report((), (), False)
    for fmt in ("junit", "github", "sarif"):
        stream = io.StringIO()
        REPORTERS[fmt](report, stream)
        assert stream.getvalue()
    assert json.loads(write("sarif"))["runs"][0]["results"] == []
    assert ET.fromstring(write("junit").encode("utf-8")).get("tests") == "0"


@pytest.mark.parametrize(
    "path, uri",
    [
        ("derivations/a.yaml", "derivations/a.yaml"),
        ("./derivations/sub/../a.yaml", "derivations/a.yaml"),
        ("notes/my loss#1.yaml", "notes/my%20loss%231.yaml"),
        ("a.yaml", "a.yaml"),
    ],
)
def test_sarif_uri_is_relative_with_forward_slashes(path, uri):
    assert artifact_uri(path) == uri


def test_sarif_absolute_path_is_a_file_uri(tmp_path):
    path = tmp_path / "a b.yaml"
    assert artifact_uri(str(path)) == path.as_uri()
    item = json.loads(write("sarif", step(Verdict.WRONG, file=str(path))))["runs"][0]["results"][0]
    location = item["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uri"].startswith("file:///") and "uriBaseId" not in location


def test_sarif_error_without_a_line_starts_at_line_1():
    (item,) = json.loads(write("sarif", error()))["runs"][0]["results"]
    assert item["ruleId"] == "unreadable-file" and item["level"] == "error"
    assert item["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert item["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "gone.yaml",
        "uriBaseId": "%SRCROOT%",
    }


def test_sarif_fingerprint_survives_a_move_to_another_line():
    def fingerprint(line):
        log = json.loads(write("sarif", step(Verdict.WRONG, line=line)))
        return log["runs"][0]["results"][0]["partialFingerprints"]

    assert fingerprint(7) == fingerprint(30)




def test_sarif_rules_default_to_warning_only_for_findings_that_pass_unless_strict():
    log = json.loads(write("sarif", step(Verdict.NUMERIC)))
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert levels.pop("numeric-step") == levels.pop("numeric-number") == levels.pop("absent-variable") == "warning"
    assert set(levels.values()) == {"error"}
    (result,) = log["runs"][0]["results"]
    assert result["level"] == "warning" and result["ruleId"] == "numeric-step"


ABSENT = "line 6: the derivative of y**2 in z is 0 only because z does not occur in it"


def _noted(strict: bool) -> Result:
    proved = step(Verdict.PROVED, doubtful=(ABSENT,), notes=(ABSENT,))
    return Result(**{**proved.__dict__, "passes": not strict})


@pytest.mark.parametrize("strict", [False, True])
def test_every_format_marks_a_noted_proof_as_its_outcome(strict):
    """A proof with an absent-variable note fails under --strict: no format may show it as passing."""
    result = _noted(strict)
    text = write("text", result, strict=strict)
    assert ("✓ proved" in text) is not strict and ("✗ proved, failing" in text) is strict
    assert json.loads(write("json", result, strict=strict))["results"][0]["passes"] is not strict
    github = write("github", result, strict=strict)
    assert github.startswith("::error" if strict else "::warning")
    (sarif,) = json.loads(write("sarif", result, strict=strict))["runs"][0]["results"]
    assert sarif["level"] == ("error" if strict else "warning") and sarif["ruleId"] == "absent-variable"
    junit = ET.fromstring(write("junit", result, strict=strict))
    assert (junit.find(".//failure") is not None) is strict


@pytest.mark.parametrize("strict", [False, True])
def test_render_mark_of_a_noted_proof_matches_its_outcome(strict):
    from derivcheck.render.views import mark_of

    mark = mark_of(_noted(strict))
    assert mark.passes is not strict
    assert (mark.symbol, mark.tone) == (("!", "noted") if strict else ("✓", "proved"))
    assert not strict or "z does not occur" in mark.detail
