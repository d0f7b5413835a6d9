"""junit, github and sarif report the same findings as json, with the same exit codes.

Each format is parsed the way its consumer reads it (JUnit XML with the
standard library's XML parser, SARIF as JSON, workflow commands line by line)
and compared with ``--format json`` on fixtures that pass, are wrong, get
``numeric`` and cannot be read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.cli import app

HERE = Path(__file__).parent
# Paths as a user types them: relative to the working directory (HERE while running).
TARGETS = {
    "passing": ["fixtures/passing.yaml"],
    "wrong": ["fixtures/wrong.yaml"],
    "numeric": ["fixtures/numeric.yaml"],
    "unreadable": ["fixtures/unreadable.yaml"],
    "missing": ["fixtures/no_such_file.yaml"],
    "all": ["fixtures"],
}
EXPECTED_EXIT = {"passing": 0, "wrong": 1, "numeric": 0, "unreadable": 2, "missing": 2, "all": 2}
FORMATS = ("json", "junit", "github", "sarif")


@functools.cache
def run(target: str, fmt: str, strict: bool = False) -> tuple[int, str]:
    """Run ``derivcheck verify`` in process; return the exit code and standard output."""
    args = ["verify", "--no-cache", "--jobs", "1", "--format", fmt]
    args += ["--strict"] if strict else ["--no-strict"]
    with contextlib.chdir(HERE):
        result = CliRunner().invoke(app, args + TARGETS[target])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def json_results(target: str, strict: bool = False) -> list[dict]:
    return json.loads(run(target, "json", strict)[1])["results"]


def failing(results: list[dict]) -> set[tuple[str, int | None]]:
    return {(r["file"], r["line"]) for r in results if not r["passes"]}


def warned(results: list[dict]) -> set[tuple[str, int | None]]:
    return {(r["file"], r["line"]) for r in results if r["passes"] and r["verdict"] == "numeric"}


# --- exit codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_code_is_the_same_for_every_format(target, fmt):
    assert run(target, fmt)[0] == EXPECTED_EXIT[target]


@pytest.mark.parametrize("fmt", FORMATS)
def test_strict_numeric_fails_in_every_format(fmt):
    assert run("numeric", fmt, True)[0] == 1


def test_fixtures_give_each_verdict():
    verdicts = {(Path(r["file"]).name, r["verdict"], r["passes"]) for r in json_results("all")}
    assert ("passing.yaml", "proved", True) in verdicts
    assert ("passing.yaml", "wrong", True) in verdicts  # a refuted erratum passes
    assert ("wrong.yaml", "wrong", False) in verdicts
    assert ("numeric.yaml", "numeric", True) in verdicts
    assert ("unreadable.yaml", None, False) in verdicts


# --- JUnit XML ------------------------------------------------------------------------------


def junit_cases(target: str, strict: bool = False) -> list[ET.Element]:
    root = ET.fromstring(run(target, "junit", strict)[1].encode("utf-8"))
    assert root.tag == "testsuites"
    return root.findall("./testsuite/testcase")


@pytest.mark.parametrize("target", list(TARGETS))
def test_junit_has_one_testcase_per_json_result(target):
    results = json_results(target)
    cases = junit_cases(target)
    assert len(cases) == len(results)
    for case, item in zip(cases, results):
        assert case.get("classname") == item["file"]
        assert case.get("line") == (str(item["line"]) if item["line"] is not None else None)
        if item["line"] is not None:
            assert case.get("name").startswith(f"line {item['line']}: ")
        problems = case.findall("failure") + case.findall("error")
        assert len(problems) == (0 if item["passes"] else 1)
        if item["kind"] == "error":
            assert problems[0].tag == "error" and problems[0].get("message") == item["message"]
        elif not item["passes"]:
            assert problems[0].tag == "failure"
            assert item["verdict"] in problems[0].get("message")


def test_junit_counts_and_evidence():
    root = ET.fromstring(run("all", "junit")[1].encode("utf-8"))
    summary = json.loads(run("all", "json")[1])["summary"]
    assert int(root.get("tests")) == summary["steps"] + summary["numbers"] + summary["errors"]
    assert int(root.get("errors")) == summary["errors"]
    assert int(root.get("failures")) == summary["failed"] - summary["errors"]
    suites = {Path(s.get("name")).name: s for s in root.findall("testsuite")}
    assert set(suites) == {"passing.yaml", "wrong.yaml", "numeric.yaml", "unreadable.yaml"}
    (wrong_step,) = [
        f for f in root.iter("failure") if f.get("type") == "wrong-step"
    ]
    assert "counterexample: x = " in wrong_step.text and "previous_line: 7" in wrong_step.text
    names = [c.get("name") for c in suites["wrong.yaml"].findall("testcase")]
    assert names == [
        "line 7: steps: x**2 - 2*x*y + y**2", "line 8: steps: x**2 + 2*x*y + y**2", "line 10: number: exp(0)"
    ]


def test_junit_strict_numeric_is_a_failure():
    (case,) = junit_cases("numeric", strict=True)
    assert case.find("failure").get("type") == "numeric-step"


# --- GitHub workflow commands ---------------------------------------------------------------

COMMAND = re.compile(r"^::(error|warning) (?P<props>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def github_commands(target: str, strict: bool = False) -> list[tuple[str, dict, str]]:
    out = []
    for line in run(target, "github", strict)[1].splitlines():
        if not line.startswith("::"):
            continue
        match = COMMAND.match(line)
        assert match, line
        props = dict(part.split("=", 1) for part in match["props"].split(","))
        out.append((match[1], {k: unescape(v) for k, v in props.items()}, unescape(match["message"])))
    return out


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("strict", [False, True])
def test_github_annotates_each_failing_result(target, strict):
    results = json_results(target, strict)
    commands = github_commands(target, strict)
    errors = {(p["file"], int(p["line"]) if "line" in p else None) for kind, p, _ in commands if kind == "error"}
    warnings = {(p["file"], int(p["line"])) for kind, p, _ in commands if kind == "warning"}
    assert errors == failing(results)
    assert warnings == warned(results)
    assert len(commands) == len(failing(results)) + len(warned(results))
    assert all(p["title"] == "derivcheck" for _, p, _ in commands)


def test_github_messages_carry_the_evidence():
    commands = github_commands("all")
    messages = {Path(p["file"]).name + ":" + p.get("line", "?"): m for _, p, m in commands}
    assert "did you mean 'alpha'" in messages["unreadable.yaml:5"]
    assert "differs from the previous step at x = " in messages["wrong.yaml:8"]
    assert "claimed 2" in messages["wrong.yaml:10"]
    assert messages["numeric.yaml:8"].startswith("step is numeric")


# --- SARIF ----------------------------------------------------------------------------------


def sarif_run(target: str, strict: bool = False) -> dict:
    log = json.loads(run(target, "sarif", strict)[1])
    assert log["version"] == "2.1.0"
    assert "sarif" in log["$schema"]
    (only,) = log["runs"]
    return only


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("strict", [False, True])
def test_sarif_results_are_the_failing_json_results(target, strict):
    results = json_results(target, strict)
    sarif = sarif_run(target, strict)
    driver = sarif["tool"]["driver"]
    assert driver["name"] == "derivcheck"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in ("error", "warning")
    found = {"error": set(), "warning": set()}
    for item in sarif["results"]:
        assert item["ruleId"] in rule_ids and rule_ids[item["ruleIndex"]] == item["ruleId"]
        assert item["message"]["text"]
        (location,) = item["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert "\\" not in uri and not uri.startswith("/")
        line = physical["region"]["startLine"]
        assert isinstance(line, int) and line >= 1
        fields = item["properties"]["derivcheck"]
        assert fields in results  # the very object --format json gives
        assert uri == Path(fields["file"]).as_posix()
        found[item["level"]].add((fields["file"], fields["line"]))
    assert found["error"] == failing(results)
    assert found["warning"] == warned(results)
    assert sarif["invocations"][0]["exitCode"] == run(target, "json", strict)[0]


def test_sarif_rules_name_each_kind_of_finding():
    by_line = {
        (Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name,
         r["locations"][0]["physicalLocation"]["region"]["startLine"]): r["ruleId"]
        for r in sarif_run("all")["results"]
    }
    assert by_line == {
        ("numeric.yaml", 8): "numeric-step",
        ("unreadable.yaml", 5): "unreadable-file",
        ("wrong.yaml", 8): "wrong-step",
        ("wrong.yaml", 10): "wrong-number",
    }
