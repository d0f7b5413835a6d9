"""One slip is one failure: every format counts the same failures, and a step that only
follows from a slip (or goes back to the last correct step) is not reported as an error."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.report import REPORTERS
from tests.helpers import FAST

SLIPS = Path(__file__).parent / "slip_fixtures" / "slips.yaml"


@pytest.fixture(scope="module")
def report():
    return verify_paths([str(SLIPS)], FAST)


def by_title(report, title):
    return [r for r in report.results if r.title == title]


def written(report, fmt: str) -> str:
    stream = io.StringIO()
    REPORTERS[fmt](report, stream)
    return stream.getvalue()


def test_lone_slip_counts_once_and_the_next_step_is_checked_against_the_last_correct_step(report):
    _, slip, after = by_title(report, "lone slip")
    assert slip.verdict.value == "wrong" and not slip.passes and slip.role == "slip"
    assert "only this step is a slip" in slip.notes[0]
    assert after.passes and after.verdict.value == "proved"
    assert after.role == "resumes" and after.slip_line == slip.line
    assert after.previous_line == slip.previous_line  # the last correct step, not the slip
    assert "checked against line" in after.notes[0]


def test_propagating_error_is_reported_once_on_the_first_wrong_step(report):
    slip, *later = by_title(report, "propagating error")
    assert not slip.passes and slip.role == "slip"
    assert "propagates" in slip.notes[0] and "not counted as new errors" in slip.notes[0]
    assert all(r.passes and r.role == "follows slip" and r.slip_line == slip.line for r in later)


def test_a_step_that_follows_neither_is_another_error(report):
    first, second = by_title(report, "two errors")
    assert not first.passes and first.role == "slip"
    assert not second.passes and second.role == "another error"
    assert second.previous_line == first.line


def test_every_format_counts_the_same_failures(report):
    failed = report.counts()["failed"]
    assert failed == 4 and report.exit_code == 1  # one per slip, two for two errors
    data = json.loads(written(report, "json"))
    assert data["summary"]["failed"] == failed
    assert sum(1 for r in data["results"] if not r["passes"]) == failed
    github = written(report, "github")
    assert sum(1 for line in github.splitlines() if line.startswith("::error")) == failed
    assert f"{failed} not passing" in github
    root = ET.fromstring(written(report, "junit"))
    assert int(root.get("failures")) + int(root.get("errors")) == failed
    assert len(root.findall(".//failure")) == failed
    sarif = json.loads(written(report, "sarif"))
    assert sum(1 for r in sarif["runs"][0]["results"] if r["level"] == "error") == failed
    assert f"({failed} not passing)" in written(report, "text")
