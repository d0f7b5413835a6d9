"""Folder runs: one line for the files without derivations, --quiet, --allow-empty, progress while loading."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from derivcheck.api import verify_paths
from derivcheck.cli import app
from derivcheck.config import CheckConfig

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
GOOD = "title: good\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
BAD = "title: bad\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 1\n"


def folder(tmp_path: Path, prose: int = 1) -> Path:
    root = tmp_path / "derivations"
    root.mkdir()
    (root / "good.yaml").write_text(GOOD)
    (root / "bad.yaml").write_text(BAD)
    for number in range(prose):
        (root / f"notes{number}.md").write_text(f"# Notes {number}\n\nProse, no derivation.\n")
    return root


def verify(*args: str):
    return CliRunner().invoke(app, ["verify", "--jobs", "1", "--no-cache", "--no-color", *args])


def test_files_without_derivations_get_one_line_together(tmp_path):
    root = folder(tmp_path, prose=7)
    result = verify(str(root))
    lines = result.output.splitlines()
    assert result.exit_code == 1
    (line,) = [line for line in lines if "without derivations" in line]
    assert line.startswith("7 files without derivations (nothing to check): ")
    assert line.endswith("and 2 more") and "notes0.md" in line
    assert "no derivation blocks" not in result.output


def test_quiet_shows_only_what_does_not_pass(tmp_path):
    root = folder(tmp_path)
    loud, quiet = verify(str(root)), verify("--quiet", str(root))
    assert "good.yaml" in loud.output and "x**2 + 2*x + 1" in loud.output
    assert "good.yaml" not in quiet.output and "without derivations" not in quiet.output
    assert "bad.yaml" in quiet.output and "wrong" in quiet.output
    assert quiet.output.splitlines()[-1] == loud.output.splitlines()[-1]  # the same summary line
    assert quiet.exit_code == loud.exit_code == 1


def test_allow_empty_passes_a_commit_of_prose_only(tmp_path):
    readme = folder(tmp_path) / "notes0.md"
    assert verify(str(readme)).exit_code == 2  # a CI run that checks nothing still fails
    result = verify("--allow-empty", str(readme))
    assert result.exit_code == 0
    assert "nothing to check" in result.output and "passing (allow_empty)" in result.output
    both = verify("--allow-empty", str(readme), str(readme.parent / "bad.yaml"))
    assert both.exit_code == 1  # a derivation among the files is checked as always


def test_progress_follows_reading_and_parsing_before_the_checks(tmp_path):
    root = folder(tmp_path, prose=2)
    seen: list[tuple[str, int, int]] = []
    checks: list[tuple[int, int]] = []
    verify_paths([str(root)], FAST, lambda done, total: checks.append((done, total)),
                 stages=lambda stage, done, total: seen.append((stage, done, total)))
    assert [s for s in seen if s[0] == "reading"] == [("reading", i, 4) for i in range(1, 5)]
    assert [s for s in seen if s[0] == "parsing"] == [("parsing", i, 4) for i in range(1, 5)]
    assert seen.index(("reading", 4, 4)) < seen.index(("parsing", 1, 4))
    assert checks and checks[-1][0] == checks[-1][1]


def test_help_names_notebooks():
    for command in (["verify", "--help"], ["render", "--help"]):
        output = CliRunner().invoke(app, command).output
        assert ".ipynb" in output
    assert "notebook" in CliRunner().invoke(app, ["--help"]).output
