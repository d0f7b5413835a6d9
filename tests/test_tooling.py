"""The project's own tooling: CI runs the README's test command, the rendered library cannot drift."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = re.search(r"## Quick start\n\n```bash\n(.*?)```", readme, re.S)
    assert quick_start, "README.md has no Quick start block"
    return quick_start.group(1).strip().splitlines()


def test_ci_runs_exactly_the_readme_test_command():
    (test_command,) = [line for line in readme_commands() if "[test]" in line]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci
    assert ci[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in ci
    assert any(line.startswith("python3 -m venv ") for line in ci)


def test_the_test_command_lints_types_and_tests():
    check = (ROOT / "scripts" / "check").read_text(encoding="utf-8")
    lint = (ROOT / "scripts" / "lint").read_text(encoding="utf-8")
    assert "scripts/lint" in check and re.search(r"-m pytest\b", check)
    assert re.search(r"-m ruff check \.", lint) and re.search(r"-m mypy derivcheck", lint)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    test_extra = project["optional-dependencies"]["test"]
    for tool in ("ruff", "mypy", "pytest"):
        assert any(requirement.startswith(tool) for requirement in test_extra), tool


def test_the_pre_commit_config_runs_the_linters():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert any(e.startswith("ruff check") for e in entries) and "mypy derivcheck" in entries


PINNED = ("ruff", "mypy")


def test_the_linters_are_pinned_alike_in_pyproject_and_pre_commit():
    from importlib.metadata import version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = dict(
        requirement.split("==") for requirement in project["optional-dependencies"]["test"] if "==" in requirement
    )
    assert set(PINNED) <= set(pins)
    header = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    named = re.search(r"Pinned in pyproject.toml's test extra: (.*)", header)
    assert named and named.group(1).strip() == ", ".join(f"{tool}=={pins[tool]}" for tool in PINNED)
    for tool in PINNED:  # the environment that runs the hooks and CI has exactly these
        assert version(tool) == pins[tool], tool


# Modules still allowed untyped functions: none now (every function of the package is typed); the
# list only shrinks, so a mypy override that turns disallow_untyped_defs off again fails the test.
STILL_UNTYPED: set[str] = set()


def test_every_function_is_typed_but_in_the_modules_still_listed():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert mypy["disallow_untyped_defs"] is True
    untyped = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs") is False]
    assert all(set(o["module"]) <= STILL_UNTYPED for o in untyped)


def render_library(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["bash", str(repo / "scripts" / "render-library"), *args],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.slow
def test_the_rendered_library_check_fails_on_drift(tmp_path):
    repo = tmp_path / "somewhere" / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "render-library", repo / "scripts")
    (repo / "derivations" / "sub").mkdir(parents=True)
    (repo / "derivations" / "sub" / "a.yaml").write_text("title: a\nsymbols: {x: real}\nsteps: [2*x, x + x]\n")
    refreshed = render_library(repo)
    assert refreshed.returncode == 0, refreshed.stderr
    page = (repo / "docs" / "derivations" / "sub" / "a.md").read_text(encoding="utf-8")
    assert "](../../../derivations/sub/a.yaml)" in page  # relative to the output folder
    assert render_library(repo, "--check").returncode == 0
    moved = tmp_path / "elsewhere"
    shutil.move(str(repo), str(moved))  # the check does not depend on where the repository lives
    assert render_library(moved, "--check").returncode == 0
    (moved / "derivations" / "sub" / "a.yaml").write_text("title: a\nsymbols: {x: real}\nsteps: [3*x, x + x]\n")
    drifted = render_library(moved, "--check")
    assert drifted.returncode == 1
    assert "refresh it with: scripts/render-library" in drifted.stderr
    assert not list((moved / "docs").glob(".derivations-fresh*")), "the fresh rendering is removed"


DOCUMENTS = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "derivations/README.md", *(
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md"))
)]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documentation_links_stay_in_the_repository(name):
    path = ROOT / name
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{name} links outside the repository: {target}"
        assert resolved.exists(), f"{name} links to a missing file: {target}"


def test_no_source_refers_to_files_outside_the_repository():
    sources = [*(ROOT / "derivcheck").rglob("*.py"), *(ROOT / "derivations").rglob("*"), *ROOT.glob("*.md")]
    for path in sources:
        if path.is_file():
            assert "../shared" not in path.read_text(encoding="utf-8"), path
