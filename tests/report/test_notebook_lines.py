"""Notebook findings point at the line of the .ipynb file in every machine format; text keeps cell and line."""

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load.notebook import cell_line_map, file_line
from derivcheck.report.fields import report_fields
from derivcheck.report.github import write_github
from derivcheck.report.junit import write_junit
from derivcheck.report.sarif import sarif_log
from derivcheck.report.text import write_text

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
NOTEBOOK = Path(__file__).resolve().parents[1] / "load" / "fixtures" / "sigmoid.ipynb"
FILE_LINES = NOTEBOOK.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def report():
    return verify_paths([str(NOTEBOOK)], FAST)


def test_each_cell_line_maps_to_the_json_string_that_holds_it():
    text = NOTEBOOK.read_text(encoding="utf-8")
    lines = cell_line_map(text)
    # cell 3 is a list of strings, one per file line; cell 4 is one string on one file line
    assert len(lines[3]) == 16 and lines[3] == tuple(range(lines[3][0], lines[3][0] + 16))
    assert "1+\\\\sigma(x)" in FILE_LINES[file_line(lines, 3, 14) - 1]
    assert set(lines[4]) == {FILE_LINES.index(next(x for x in FILE_LINES if "title: broken" in x)) + 1}
    assert file_line(lines, 9, 1) is None


def test_a_source_split_inside_a_line_and_a_duplicate_key():
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["one ", "more\n", "two\n", "three"]}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    first = text.splitlines().index('    "one ",') + 1
    assert cell_line_map(text) == {1: (first, first + 2, first + 3)}
    duplicated = text.replace('"cell_type": "markdown"', '"cell_type": "code", "cell_type": "markdown"')
    assert cell_line_map(duplicated) == {}  # the layout cannot be followed: no file lines, never wrong ones


def test_github_sarif_and_junit_give_the_file_line_and_the_cell_in_the_message(report):
    wrong = next(r for r in report.results if r.kind == "step" and not r.passes)
    error = next(r for r in report.results if r.is_error)
    assert (wrong.cell, wrong.line) == (3, 14) and "1+\\\\sigma(x)" in FILE_LINES[wrong.file_line - 1]
    assert (error.cell, error.line) == (4, 6) and "\\\\foo" in FILE_LINES[error.file_line - 1]

    out = io.StringIO()
    write_github(report, out)
    annotations = [line for line in out.getvalue().splitlines() if line.startswith("::error")]
    assert f"line={wrong.file_line}," in annotations[0] and "::cell 3, line 14: step is wrong" in annotations[0]
    assert f"line={error.file_line}," in annotations[1] and "::cell 4, line 6:" in annotations[1]

    sarif = sarif_log(report)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif] == [
        wrong.file_line, error.file_line,
    ]
    assert sarif[0]["message"]["text"].startswith("cell 3, line 14: ")

    out = io.StringIO()
    write_junit(report, out)
    cases = ET.fromstring(out.getvalue()).iter("testcase")
    failing = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    assert [c.get("line") for c in failing] == [str(wrong.file_line), str(error.file_line)]
    assert failing[0].get("name").startswith("cell 3, line 14: ")

    fields = report_fields(report)["results"]
    assert [(f["cell"], f["line"], f["file_line"]) for f in fields if not f["passes"]] == [
        (3, 14, wrong.file_line), (4, 6, error.file_line),
    ]


def test_text_keeps_cell_and_line(report):
    out = io.StringIO()
    write_text(report, out, color=False)
    assert "sigmoid.ipynb, cell 3, line 14" in out.getvalue() or "cell 3, line 14" in out.getvalue()
    assert "sigmoid.ipynb, cell 4, line 6" in out.getvalue()
