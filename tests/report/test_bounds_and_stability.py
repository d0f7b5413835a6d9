"""Reports of inequality steps and stability claims in every format (text, json, junit, github, sarif)."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.cli import app

DOCUMENT = """\
title: bounds and stability
symbols: {x: real, y: real}
functions:
  sigma(t): 1/(1 + exp(-t))
steps:
  - -abs(x)
  - expr: 0
    rel: "<="
  - expr: exp(0)
    rel: "<"
---
title: the seed's slip
symbols: {x: real}
steps:
  - -abs(x)
  - expr: 0
    rel: "<"
---
title: float64
symbols: {x: real, y: real}
functions:
  sigma(t): 1/(1 + exp(-t))
stability:
  - expr: -(y*log(sigma(x)) + (1 - y)*log(1 - sigma(x)))
    over: {x: [-1000, 1000]}
    at: {y: 0.5}
    stable: false
  - expr: -(y*log(sigma(x)) + (1 - y)*log(1 - sigma(x)))
    over: {x: [-1000, 1000]}
    at: {y: 0.5}
    stable: true
"""


@functools.lru_cache(maxsize=None)
def run(fmt: str, strict: bool = False) -> tuple[int, str]:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    path = folder / "bounds.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    args = ["verify", "--no-cache", "--jobs", "1", "--format", fmt, str(path)]
    args += ["--strict"] if strict else []
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def results() -> list[dict]:
    return json.loads(run("json")[1])["results"]


def test_json_carries_the_relation_and_the_stability_evidence():
    items = results()
    steps = [r for r in items if r["kind"] == "step"]
    assert [(s["relation"], s["verdict"]) for s in steps] == [("<=", "proved"), ("<", "proved"), ("<", "wrong")]
    slip = steps[2]
    assert slip["counterexample"] == {"x": "0"} and not slip["passes"]
    claims = [r for r in items if r["kind"] == "stability"]
    assert [(c["verdict"], c["passes"]) for c in claims] == [("numeric", True), ("wrong", False)]
    evidence = claims[0]["stability"]
    assert evidence["claim"] == "unstable" and evidence["found"] == "unstable"
    assert evidence["points"] > 50 and evidence["over"] == {"x": [-1000.0, 1000.0]}
    assert evidence["first_failing"]["operation"]
    assert json.loads(run("json")[1])["summary"]["stability"] == 2


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github", "sarif"])
def test_every_format_gives_the_same_exit_code(fmt):
    assert run(fmt)[0] == 1


def test_a_confirmed_stability_claim_passes_under_strict():
    items = json.loads(run("json", True)[1])["results"]
    assert [r["passes"] for r in items if r["kind"] == "stability"] == [True, False]


def test_text_shows_relations_and_the_stability_table():
    out = run("text")[1]
    assert "≤ 0" in out and "< exp(0)" in out
    assert "unstable as claimed" in out and "claimed stable, unstable" in out
    assert "checked" in out and "float64 points" in out and "overflow" in out
    assert "2 stability claims" in out


def test_junit_has_a_testcase_per_result_and_a_stability_failure_type():
    root = ET.fromstring(run("junit")[1].encode("utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(results())
    types = [f.get("type") for f in root.iter("failure")]
    assert sorted(types) == ["wrong-stability", "wrong-step"]
    failure = next(f for f in root.iter("failure") if f.get("type") == "wrong-stability")
    assert "series" not in failure.text


def test_sarif_and_github_report_the_failing_claim_and_no_warning_for_a_confirmed_one():
    sarif = json.loads(run("sarif")[1])
    rule_ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert rule_ids == {"wrong-step", "wrong-stability"}
    declared = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"wrong-stability", "unknown-stability"} <= declared
    lines = [l for l in run("github")[1].splitlines() if l.startswith("::")]
    assert sum(l.startswith("::error") for l in lines) == 2
    assert not any(l.startswith("::warning") for l in lines)
