"""Names and text from files never break a report or inject into a CI log (issue 25, items 1 and 2).

A file name that is not UTF-8 (byte 0xff) is named with a lossless escape in
every format, and every format stays a valid document; a title, ``by:`` or
file name with a newline, ESC, a C1 control or U+2028 is printed escaped.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.api import verify_paths
from derivcheck.cli import app
from derivcheck.config import CheckConfig
from derivcheck.printable import display_path, printable
from derivcheck.report import REPORTERS
from derivcheck.results import Report

ROOT = Path(__file__).resolve().parents[2]
FORMATS = tuple(REPORTERS)  # every registered format
# A title and a `by:` that try to forge a GitHub command, colour the terminal, and break lines.
HOSTILE = (
    'title: "t\\e[31mred\\n::warning file=x::forged\\N\\Lend"\n'
    "symbols: {x: real}\n"
    "steps:\n"
    "  - (x + 1)**2\n"
    '  - expr: x**2 + 1\n    by: "b\\r::error::by\\x9b2J"\n'
)
RAW_CONTROLS = ("\x1b", "\x85", "\u2028", "\x9b", "\r")


def written(report: Report, fmt: str) -> str:
    stream = io.StringIO()
    REPORTERS[fmt](report, stream, color=False, verbose=True)
    return stream.getvalue()


@pytest.fixture
def byte_named(tmp_path: Path) -> Path:
    """A folder holding one wrong derivation whose name has the byte 0xff (not UTF-8)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"a\xffb.yaml"), "wb") as handle:
        handle.write(HOSTILE.encode())
    return folder


def test_display_path_is_lossless_and_leaves_plain_names_alone() -> None:
    names = ["a.yaml", "a\udcffb.yaml", "a\\xffb.yaml", '"a\\xffb.yaml"', "a\xffb.yaml", "a\x85.yaml",
             "a\udc85.yaml", "a\nb.yaml", "a\\nb.yaml", "d/é σ.yaml"]
    shown = [display_path(name) for name in names]
    assert len(set(shown)) == len(names)  # no two names print alike
    assert shown[0] == "a.yaml" and shown[-1] == "d/é σ.yaml" and shown[4] == "a\xffb.yaml"
    assert shown[1] == '"a\\xffb.yaml"' and shown[6] == '"a\\x85.yaml"' and shown[5] == '"a\\u0085.yaml"'
    for text in shown:
        text.encode("utf-8")
        assert printable(text) == text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_that_is_not_utf8_gives_a_valid_document_in_every_format(byte_named: Path, fmt: str) -> None:
    report = verify_paths([str(byte_named)], CheckConfig(jobs=1, cache_dir=None))
    assert report.exit_code == 1
    text = written(report, fmt)
    text.encode("utf-8")  # no lone surrogate: valid UTF-8
    shown = f'"{byte_named}/a\\xffb.yaml"'
    if fmt == "json":
        assert json.loads(text)["results"][0]["file"] == shown
    elif fmt == "junit":
        case = ET.fromstring(text).find("testsuite/testcase")
        assert case is not None and case.get("file") == shown
    elif fmt == "sarif":
        uri = json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("/docs/a%FFb.yaml")
    else:
        assert shown in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_titles_and_by_never_print_raw_controls(byte_named: Path, fmt: str) -> None:
    report = verify_paths([str(byte_named)], CheckConfig(jobs=1, cache_dir=None))
    assert report.results[0].title.startswith("t\x1b[31mred\n")  # the data is kept as written
    text = written(report, fmt)
    for char in RAW_CONTROLS:
        assert char not in text, (fmt, char)
    lines = text.split("\n")
    assert not any(line.startswith("::warning") for line in lines)
    assert not any(line.startswith("::") and not line.startswith("::error file=") for line in lines)
    if fmt in ("json", "sarif"):  # JSON escapes decode to the exact data
        data = json.loads(text)
        fields = data["results"][0] if fmt == "json" else data["runs"][0]["results"][0]["properties"]["derivcheck"]
        assert fields["title"] == report.results[0].title and fields["by"] == report.results[0].by
    if fmt == "text":
        assert "t\\x1b[31mred\\n::warning file=x::forged\\u0085\\u2028end" in text


def test_skipped_names_on_stderr_cannot_start_a_workflow_command(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ok.yaml").write_text("title: t\nsymbols: {x: real}\nsteps:\n  - 2*x\n  - x + x\n")
    (tmp_path / "docs" / "x\n::stop-commands::tok\n.yaml").symlink_to("/etc/hostname")
    run = CliRunner().invoke(app, ["verify", "--no-cache", "-j", "1", "--format", "github", "docs"])
    assert run.exit_code == 0, run.output
    notes = run.stderr.splitlines()
    assert len(notes) == 1 and notes[0].startswith("derivcheck: skipped")
    assert "\\n::stop-commands::tok\\n.yaml" in notes[0]
    assert not any(line.startswith("::") for line in run.stdout.splitlines() + notes)


@pytest.mark.slow  # a CLI subprocess per format
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_utf8_stdout_prints_every_format_for_a_name_that_is_not_utf8(byte_named: Path, fmt: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "-j", "1", "--format", fmt, str(byte_named)],
        capture_output=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"},
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr == b""
    run.stdout.decode("utf-8")
    shown = run.stdout.replace(b"\\\\", b"\\")  # JSON doubles the backslash
    assert b"a\\xffb.yaml" in shown or b"a%FFb.yaml" in shown


@pytest.mark.slow  # a CLI subprocess
def test_a_name_that_is_not_utf8_never_reaches_a_utf8_stdout_as_an_error(byte_named: Path) -> None:
    """The writers' last line of defence: a lone surrogate that reaches stdout (here through render,
    which has no escaping of its own) is written as an escape, not an error or invalid UTF-8."""
    run = subprocess.run(
        [sys.executable, "-m", "derivcheck", "render", "--no-check", str(byte_named)],
        capture_output=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"},
    )
    assert run.returncode == 0, run.stderr
    assert b"internal error" not in run.stderr
    run.stdout.decode("utf-8")
