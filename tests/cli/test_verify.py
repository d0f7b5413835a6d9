"""Acceptance tests: the command line on fixture files — exit codes, JSON shape, formats of errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs the command line in a subprocess

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args, cwd=None):
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "--jobs", "1", *map(str, args)],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def run_json(*args):
    proc = run("--format", "json", *args)
    return proc.returncode, json.loads(proc.stdout)


def test_format_example_passes_with_exit_0():
    code, data = run_json(FIXTURES / "format_example.yaml")
    assert code == 0
    assert [r["verdict"] for r in data["results"]] == ["proved"] * 6
    lines = [(r["kind"], r["line"]) for r in data["results"]]
    assert lines == [("step", 12), ("step", 14), ("step", 15), ("step", 20), ("step", 21), ("number", 23)]


def test_json_shape_has_format_keys():
    _, data = run_json(FIXTURES / "wrong.yaml")
    for item in data["results"]:
        assert {"file", "line", "kind", "verdict", "passes"} <= item.keys()
    wrong = data["results"][-1]
    assert wrong["verdict"] == "wrong" and wrong["passes"] is False and wrong["line"] == 8
    assert set(wrong["counterexample"]) == {"x", "y"}
    assert len(wrong["values"]) == 2
    assert data["summary"]["wrong"] == 1


def test_wrong_step_exits_1_and_text_shows_both_sides():
    proc = run(FIXTURES / "wrong.yaml")
    assert proc.returncode == 1
    assert "counterexample" in proc.stdout and "(line 7)" in proc.stdout


def test_refuted_erratum_passes_and_next_step_checks_against_last_good_step():
    code, data = run_json(FIXTURES / "erratum.yaml")
    assert code == 0
    erratum, after = data["results"]
    assert erratum["verdict"] == "wrong" and erratum["passes"] is True
    assert erratum["erratum"].startswith("the cross term")
    assert after["verdict"] == "proved" and after["previous_line"] == 5


def test_numeric_passes_unless_strict():
    assert run(FIXTURES / "numeric.yaml").returncode == 0
    assert run("--strict", FIXTURES / "numeric.yaml").returncode == 1


def test_unreadable_file_exits_2_with_line_and_suggestion():
    code, data = run_json(FIXTURES / "unreadable.yaml")
    assert code == 2
    (item,) = data["results"]
    assert item["kind"] == "error" and item["line"] == 5
    assert "did you mean 'alpha'" in item["message"]
    text = run(FIXTURES / "unreadable.yaml").stdout
    assert "unreadable.yaml:5" in text


def test_exit_2_wins_over_1_and_directories_are_searched():
    code, data = run_json(FIXTURES / "tree", FIXTURES / "wrong.yaml", FIXTURES / "unreadable.yaml")
    assert code == 2
    files = {Path(r["file"]).name for r in data["results"]}
    assert files == {"a.yaml", "b.yml", "wrong.yaml", "unreadable.yaml"}


def test_missing_path_is_an_error():
    code, data = run_json(FIXTURES / "nope.yaml")
    assert code == 2 and "no such file" in data["results"][0]["message"]


def test_version_and_help_are_fast_paths():
    out = subprocess.run([sys.executable, "-m", "derivcheck", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("derivcheck ")
    helptext = subprocess.run([sys.executable, "-m", "derivcheck", "verify", "--help"], capture_output=True, text=True)
    assert "--strict" in helptext.stdout and "Example" in helptext.stdout


def test_api_matches_cli():
    from derivcheck import CheckConfig, verify_paths
    from derivcheck.report.fields import report_fields

    paths = [FIXTURES / "wrong.yaml", FIXTURES / "tree", FIXTURES / "unreadable.yaml", FIXTURES / "erratum.yaml"]
    code, from_cli = run_json(*paths)
    report = verify_paths([str(p) for p in paths], CheckConfig(jobs=1, cache_dir=None))
    assert code == report.exit_code == 2
    assert from_cli == report_fields(report)
    assert {r["verdict"] for r in from_cli["results"]} >= {"proved", "wrong", None}


@pytest.mark.parametrize("jobs", ["2"])
def test_parallel_run_gives_identical_json(jobs):
    args = ["--format", "json", FIXTURES / "tree", FIXTURES / "wrong.yaml", FIXTURES / "format_example.yaml"]
    one = run(*args).stdout
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "--jobs", jobs, *map(str, args)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.stdout == one
